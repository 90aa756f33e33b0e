/* Pascal VOC and Cityscapes-style export layouts (rl-export-formats.h): file names, label
 * encodings and the class files that let `relabel import` read them back. */
#include "rl-export-formats.h"

#include <string.h>

#include "rl-image-io.h"

#define VOC_VOID 255

/* Cityscapes' 19 train classes (cityscapesScripts labels.py) and their labelIds. */
static const struct
{
  const char *name;
  guint8 id;
} cityscapes_train[19] = {
  { "road", 7 },         { "sidewalk", 8 },    { "building", 11 }, { "wall", 12 },
  { "fence", 13 },       { "pole", 17 },       { "traffic light", 19 },
  { "traffic sign", 20 }, { "vegetation", 21 }, { "terrain", 22 }, { "sky", 23 },
  { "person", 24 },      { "rider", 25 },      { "car", 26 },      { "truck", 27 },
  { "bus", 28 },         { "train", 31 },      { "motorcycle", 32 }, { "bicycle", 33 },
};

gboolean
rl_export_format_parse (const char *name, RlExportFormat *format)
{
  static const char *const names[] = { "camvid", "color", "voc", "cityscapes" };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (name, names[i]) == 0)
      {
        *format = (RlExportFormat) i;
        return TRUE;
      }
  return FALSE;
}

static char *
extension_of (const char *rel_path)
{
  const char *dot = strrchr (rel_path, '.');
  const char *slash = strrchr (rel_path, '/');
  return g_strdup (dot != NULL && (slash == NULL || dot > slash) ? dot : ".png");
}

void
rl_export_paths (RlExportFormat format, const char *name, const char *rel_path,
                 const char *split, char **img_dir, char **img_file, char **lbl_dir,
                 char **lbl_file)
{
  g_autofree char *ext = extension_of (rel_path);
  switch (format)
    {
    case RL_EXPORT_VOC:
      *img_dir = g_strdup ("JPEGImages");
      *img_file = g_strconcat (name, ext, NULL);
      *lbl_dir = g_strdup ("SegmentationClass");
      *lbl_file = g_strconcat (name, ".png", NULL);
      return;
    case RL_EXPORT_CITYSCAPES:
      {
        /* a Cityscapes import names its images CITY_SEQ_FRAME_leftImg8bit */
        g_autofree char *stem = g_str_has_suffix (name, "_leftImg8bit")
                                  ? g_strndup (name, strlen (name) - strlen ("_leftImg8bit"))
                                  : g_strdup (name);
        const char *us = strchr (stem, '_');
        g_autofree char *city = us != NULL && us > stem ? g_strndup (stem, us - stem)
                                                        : g_strdup ("images");
        *img_dir = g_build_filename ("leftImg8bit", split, city, NULL);
        *img_file = g_strconcat (stem, "_leftImg8bit", ext, NULL);
        *lbl_dir = g_build_filename ("gtFine", split, city, NULL);
        *lbl_file = g_strconcat (stem, "_gtFine_labelIds.png", NULL);
        return;
      }
    case RL_EXPORT_CAMVID:
    case RL_EXPORT_COLOR:
    default:
      *img_dir = g_strdup (split);
      *img_file = g_path_get_basename (rel_path);
      *lbl_dir = g_strconcat (split, "annot", NULL);
      *lbl_file = g_strconcat (name, ".png", NULL);
      return;
    }
}

/* TRUE when spec's classes are Cityscapes' 19 train classes in train-id order. */
static gboolean
is_cityscapes_train (const RlClassSpec *spec)
{
  if (spec->n_classes != 19)
    return FALSE;
  for (int v = 0; v < 19; v++)
    if (spec->classes[v].name == NULL
        || g_ascii_strcasecmp (spec->classes[v].name, cityscapes_train[v].name) != 0)
      return FALSE;
  return TRUE;
}

void
rl_export_cityscapes_ids (const RlClassSpec *spec, guint8 ids[256])
{
  gboolean official = is_cityscapes_train (spec);
  for (int v = 0; v < 256; v++)
    {
      if (!rl_class_spec_is_class (spec, (guint) v) || v >= spec->n_classes)
        ids[v] = official ? 0 : 255;   /* void: "unlabeled" */
      else
        ids[v] = official ? cityscapes_train[v].id : (guint8) v;
    }
}

gboolean
rl_export_write_label (RlExportFormat format, const char *path, int width, int height,
                       const guint8 *mask, const RlClassSpec *spec, GError **error)
{
  gsize n = (gsize) width * height;
  switch (format)
    {
    case RL_EXPORT_COLOR:
      return rl_label_write_color (path, width, height, mask, spec, error);
    case RL_EXPORT_VOC:
      {
        g_autoptr (RlClassSpec) voc = rl_class_spec_copy (spec);
        voc->ignore_index = VOC_VOID;
        voc->void_rgb[0] = 224;
        voc->void_rgb[1] = 224;
        voc->void_rgb[2] = 192;
        g_autofree guint8 *out = g_malloc (n);
        for (gsize i = 0; i < n; i++)
          out[i] = rl_class_spec_is_class (spec, mask[i]) && mask[i] < spec->n_classes
                     ? mask[i] : VOC_VOID;
        return rl_label_write (path, width, height, out, voc, error);
      }
    case RL_EXPORT_CITYSCAPES:
      {
        guint8 ids[256];
        rl_export_cityscapes_ids (spec, ids);
        g_autofree guint8 *out = g_malloc (n);
        for (gsize i = 0; i < n; i++)
          out[i] = ids[mask[i]];
        return rl_label_write (path, width, height, out, NULL, error);
      }
    case RL_EXPORT_CAMVID:
    default:
      return rl_label_write (path, width, height, mask, spec, error);
    }
}

char *
rl_export_voc_labelmap (const RlClassSpec *spec)
{
  GString *s = g_string_new ("# label:color_rgb:parts:actions\n");
  for (int v = 0; v < spec->n_classes; v++)
    {
      if (rl_class_spec_is_class (spec, (guint) v))
        {
          const RlClass *c = &spec->classes[v];
          g_string_append_printf (s, "%s:%d,%d,%d::\n", c->name, c->r, c->g, c->b);
        }
      else   /* a value that is not a class (SUN RGB-D's void 0) keeps its index */
        g_string_append_printf (s, "unused-%d:0,0,0::\n", v);
    }
  return g_string_free (s, FALSE);
}

char *
rl_export_cityscapes_label_map (const RlClassSpec *spec)
{
  guint8 ids[256];
  rl_export_cityscapes_ids (spec, ids);
  g_autofree char *target = rl_class_spec_to_json (spec);
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "{\n \"id\": \"%s-labelids\",\n \"match\": \"value\",\n"
                             " \"comment\": \"Written by relabel export --format cityscapes: "
                             "the labelIds of gtFine/*_gtFine_labelIds.png and the classes "
                             "they stand for.\",\n \"target\": %s,\n \"map\": [\n",
                          is_cityscapes_train (spec) ? "cityscapes" : "relabel", target);
  for (int v = 0; v < spec->n_classes; v++)
    if (rl_class_spec_is_class (spec, (guint) v))
      {
        g_autofree char *name = g_strescape (spec->classes[v].name, NULL);
        g_string_append_printf (s, "  {\"name\": \"%s\", \"value\": %d, \"to\": %d},\n", name,
                                ids[v], v);
      }
  g_string_append_printf (s, "  {\"name\": \"unlabeled\", \"value\": %d, \"to\": \"void\"}\n"
                             " ]\n}\n", ids[spec->ignore_index & 0xff]);
  return g_string_free (s, FALSE);
}
