/* Export to Pascal VOC and Cityscapes labelIds (issue 20): import -> export -> import round trips
 * that must be pixel-exact (the same class at every pixel, void to void) on generated datasets
 * and on a subset of CamVid val (also through the CamVid layout), a second export that writes
 * the same label files, the layout each format promises (VOC lists and labelmap.txt, Cityscapes
 * file names and the official labelIds for its 19 train classes). */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "camvid-subset.h"
#include "rl-image-io.h"
#include "rl-project.h"

static const char *source_root;

typedef struct
{
  char *name, *split;
  int w, h;
  guint8 *mask;
} Img;

static void
img_free (gpointer p)
{
  Img *i = p;
  g_free (i->name);
  g_free (i->split);
  g_free (i->mask);
  g_free (i);
}

/* Imports kind:path into dir/NAME.relabel; its images (name order) with their original labels,
 * and its classes (*spec, owned). */
static GPtrArray *
import (const char *dir, const char *name, const char *kind, const char *path,
        RlClassSpec **spec)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.relabel", dir, name);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (file, TRUE, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) problems = NULL;
  if (!rl_project_import (p, kind, path, NULL, NULL, NULL, NULL, &problems, &error))
    g_error ("import %s %s: %s", kind, path, error->message);
  if (problems != NULL && problems->len > 0)
    g_error ("import %s %s: %s", kind, path, (char *) problems->pdata[0]);
  *spec = rl_class_spec_copy (rl_project_get_class_spec (p));
  g_autoptr (GPtrArray) infos = rl_project_list_images (p, &error);
  GPtrArray *out = g_ptr_array_new_with_free_func (img_free);
  for (guint i = 0; i < infos->len; i++)
    {
      RlImageInfo *info = infos->pdata[i];
      Img *im = g_new0 (Img, 1);
      im->name = g_strdup (info->name);
      im->split = g_strdup (info->split);
      g_assert_true (info->has_original);
      g_assert_true (rl_project_get_mask (p, info->id, RL_MASK_ORIGINAL, &im->w, &im->h,
                                          &im->mask, &error));
      g_ptr_array_add (out, im);
    }
  return out;
}

static char *
export (const char *dir, const char *name, const char *format, const char *out_name)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.relabel", dir, name);
  char *out = g_build_filename (dir, out_name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (file, FALSE, &error);
  g_assert_no_error (error);
  if (!rl_project_export (p, format, out, NULL, "original", FALSE, NULL, NULL, NULL, &error))
    g_error ("export %s: %s", format, error->message);
  return out;
}

/* a and b hold the same images (names may differ by the Cityscapes suffix) with the same class
 * at every pixel, void where the other has void. */
static void
assert_same (GPtrArray *a, const RlClassSpec *sa, GPtrArray *b, const RlClassSpec *sb,
             const char *what)
{
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert_cmpint (sa->n_classes - (sa->ignore_index < sa->n_classes),
                   ==, sb->n_classes - (sb->ignore_index < sb->n_classes));
  for (guint i = 0; i < a->len; i++)
    {
      Img *x = a->pdata[i], *y = b->pdata[i];
      if (!g_str_has_prefix (y->name, x->name) && !g_str_has_prefix (x->name, y->name))
        g_error ("%s: image %u is '%s' then '%s'", what, i, x->name, y->name);
      g_assert_cmpstr (x->split, ==, y->split);
      g_assert_cmpint (x->w, ==, y->w);
      g_assert_cmpint (x->h, ==, y->h);
      for (int k = 0; k < x->w * x->h; k++)
        {
          gboolean vx = !rl_class_spec_is_class (sa, x->mask[k]);
          gboolean vy = !rl_class_spec_is_class (sb, y->mask[k]);
          if (vx != vy || (!vx && (x->mask[k] != y->mask[k]
                                   || strcmp (sa->classes[x->mask[k]].name,
                                              sb->classes[y->mask[k]].name) != 0)))
            g_error ("%s: %s pixel (%d, %d): %u then %u", what, x->name, k % x->w, k / x->w,
                     x->mask[k], y->mask[k]);
        }
    }
}

/* Every label file under dir1 reads back with the same values under dir2. */
static void
assert_same_files (const char *dir1, const char *dir2, const char *sub, const char *suffix)
{
  g_autofree char *d1 = g_build_filename (dir1, sub, NULL);
  g_autoptr (GDir) d = g_dir_open (d1, 0, NULL);
  g_assert_nonnull (d);
  const char *e;
  int n = 0;
  while ((e = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p1 = g_build_filename (d1, e, NULL);
      g_autofree char *p2 = g_build_filename (dir2, sub, e, NULL);
      if (g_file_test (p1, G_FILE_TEST_IS_DIR))
        {
          g_autofree char *s = g_build_filename (sub, e, NULL);
          assert_same_files (dir1, dir2, s, suffix);
          continue;
        }
      if (!g_str_has_suffix (e, suffix))
        continue;
      int w1, h1, w2, h2;
      g_autofree guint8 *m1 = NULL, *m2 = NULL;
      g_autoptr (GError) error = NULL;
      if (!rl_label_read (p1, &w1, &h1, &m1, &error) || !rl_label_read (p2, &w2, &h2, &m2, &error))
        g_error ("%s", error->message);
      g_assert_cmpint (w1 * h1, ==, w2 * h2);
      g_assert_cmpmem (m1, w1 * h1, m2, w2 * h2);
      n++;
    }
  (void) n;
}

/* A folder dataset: 3 classes + void 255, images in train/ and val/ with labels of every
 * value (and void) in stripes and random pixels. */
static char *
make_folder (const char *dir)
{
  g_autofree char *ds = g_build_filename (dir, "gen", NULL);
  const char *splits[] = { "train", "val" };
  GRand *rand = g_rand_new_with_seed (20);
  for (int s = 0; s < 2; s++)
    for (int n = 0; n < 2; n++)
      {
        g_autofree char *idir = g_build_filename (ds, "images", splits[s], NULL);
        g_autofree char *ldir = g_build_filename (ds, "labels", splits[s], NULL);
        g_assert_cmpint (g_mkdir_with_parents (idir, 0755), ==, 0);
        g_assert_cmpint (g_mkdir_with_parents (ldir, 0755), ==, 0);
        int w = 24 + 8 * n, h = 16;
        g_autofree guint8 *rgb = g_malloc ((gsize) w * h * 3);
        g_autofree guint8 *lab = g_malloc ((gsize) w * h);
        for (int k = 0; k < w * h; k++)
          {
            rgb[3 * k] = rgb[3 * k + 1] = rgb[3 * k + 2] = (guint8) (k * 7);
            static const guint8 values[] = { 0, 1, 2, 255 };
            lab[k] = values[g_rand_int_range (rand, 0, 4)];
          }
        g_autofree char *name = g_strdup_printf ("%s_%06d_%06d", splits[s], n, 19);
        g_autofree char *ip = g_strdup_printf ("%s/%s.png", idir, name);
        g_autofree char *lp = g_strdup_printf ("%s/%s.png", ldir, name);
        g_assert_true (rl_image_write_rgb_png (ip, w, h, rgb, NULL));
        g_assert_true (rl_label_write (lp, w, h, lab, NULL, NULL));
      }
  g_rand_free (rand);
  g_autofree char *json = g_build_filename (ds, "classes.json", NULL);
  g_assert_true (g_file_set_contents (
    json, "{\"classes\": [{\"name\": \"road\", \"color\": [128,64,128]}, {\"name\": \"car\", "
          "\"color\": [0,0,142]}, {\"name\": \"sky\", \"color\": [70,130,180]}], "
          "\"ignore_index\": 255}", -1, NULL));
  return g_steal_pointer (&ds);
}

static void
round_trip (const char *tmp, const char *a_name, const char *format, const char *kind)
{
  g_autoptr (RlClassSpec) sa = NULL, sb = NULL, sc = NULL;
  g_autofree char *a_proj = g_strdup_printf ("%s/%s.relabel", tmp, a_name);
  /* the images of A */
  g_autoptr (GPtrArray) a = NULL;
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (RlProject) p = rl_project_open (a_proj, FALSE, &error);
    g_assert_no_error (error);
    sa = rl_class_spec_copy (rl_project_get_class_spec (p));
    g_autoptr (GPtrArray) infos = rl_project_list_images (p, &error);
    a = g_ptr_array_new_with_free_func (img_free);
    for (guint i = 0; i < infos->len; i++)
      {
        RlImageInfo *info = infos->pdata[i];
        Img *im = g_new0 (Img, 1);
        im->name = g_strdup (info->name);
        im->split = g_strdup (info->split);
        g_assert_true (rl_project_get_mask (p, info->id, RL_MASK_ORIGINAL, &im->w, &im->h,
                                            &im->mask, &error));
        g_ptr_array_add (a, im);
      }
  }
  g_autofree char *out1_name = g_strdup_printf ("%s-%s-1", a_name, format);
  g_autofree char *out2_name = g_strdup_printf ("%s-%s-2", a_name, format);
  g_autofree char *b_name = g_strdup_printf ("%s-%s-b", a_name, format);
  g_autofree char *c_name = g_strdup_printf ("%s-%s-c", a_name, format);
  g_autofree char *out1 = export (tmp, a_name, format, out1_name);
  g_autoptr (GPtrArray) b = import (tmp, b_name, kind, out1, &sb);
  g_autofree char *what = g_strdup_printf ("%s: %s -> %s -> import", a_name, a_name, format);
  assert_same (a, sa, b, sb, what);
  /* B exported again writes the same labels, and imports to the same masks */
  g_autofree char *out2 = export (tmp, b_name, format, out2_name);
  g_autoptr (GPtrArray) c = import (tmp, c_name, kind, out2, &sc);
  assert_same (b, sb, c, sc, what);
  const char *sub = g_str_equal (format, "voc") ? "SegmentationClass"
                    : g_str_equal (format, "cityscapes") ? "gtFine" : "valannot";
  assert_same_files (out1, out2, sub, ".png");
}

static void
test_generated (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-export-XXXXXX", NULL);
  g_autofree char *ds = make_folder (tmp);
  g_autoptr (RlClassSpec) spec = NULL;
  g_autoptr (GPtrArray) a = import (tmp, "gen", "folder", ds, &spec);
  g_assert_cmpuint (a->len, ==, 4);
  round_trip (tmp, "gen", "voc", "voc");
  round_trip (tmp, "gen", "cityscapes", "cityscapes");

  /* the VOC layout: lists of names per split, labelmap.txt, void 255 in the palette PNGs */
  g_autofree char *voc = g_build_filename (tmp, "gen-voc-1", NULL);
  g_autofree char *val = g_build_filename (voc, "ImageSets", "Segmentation", "val.txt", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (val, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "val_000000_000019\nval_000001_000019\n");
  g_autofree char *lm = g_build_filename (voc, "labelmap.txt", NULL);
  g_autofree char *lmt = NULL;
  g_assert_true (g_file_get_contents (lm, &lmt, NULL, NULL));
  g_assert_cmpstr (lmt, ==, "# label:color_rgb:parts:actions\nroad:128,64,128::\n"
                            "car:0,0,142::\nsky:70,130,180::\n");
  g_autofree char *png = g_build_filename (voc, "SegmentationClass", "train_000000_000019.png",
                                           NULL);
  int w, h;
  g_autofree guint8 *m = NULL;
  g_assert_true (rl_label_read (png, &w, &h, &m, NULL));
  Img *first = a->pdata[0];
  g_assert_cmpstr (first->name, ==, "train_000000_000019");
  for (int k = 0; k < w * h; k++)
    g_assert_cmpint (m[k], ==, first->mask[k]);   /* void is 255 in both */
  /* Cityscapes: these three classes are not Cityscapes' 19, so the ids are the class values
   * with void 255, named in the label map */
  g_autofree char *cs = g_build_filename (tmp, "gen-cityscapes-1", "gtFine", "train", "train",
                                          "train_000000_000019_gtFine_labelIds.png", NULL);
  g_autofree guint8 *ids = NULL;
  g_assert_true (rl_label_read (cs, &w, &h, &ids, NULL));
  g_assert_cmpmem (ids, w * h, first->mask, w * h);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

/* A Cityscapes-like dataset through the shipped map: labelIds of every kind (train ids, ids
 * mapped to void, 0); export gives the official ids back where they were train ids, 0 for
 * void, and the round trip is exact. */
static void
test_cityscapes_official (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-export-XXXXXX", NULL);
  g_autofree char *ds = g_build_filename (tmp, "cs", NULL);
  g_autofree char *idir = g_build_filename (ds, "leftImg8bit", "val", "aachen", NULL);
  g_autofree char *ldir = g_build_filename (ds, "gtFine", "val", "aachen", NULL);
  g_assert_cmpint (g_mkdir_with_parents (idir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (ldir, 0755), ==, 0);
  g_autofree char *src = g_build_filename (source_root, "resources", "label-maps",
                                           "cityscapes-trainids.json", NULL);
  g_autofree char *map = NULL;
  g_assert_true (g_file_get_contents (src, &map, NULL, NULL));
  g_autofree char *dst = g_build_filename (ds, "label-map.json", NULL);
  g_assert_true (g_file_set_contents (dst, map, -1, NULL));
  int w = 34, h = 2;
  guint8 rgb[34 * 2 * 3], lab[34 * 2];
  memset (rgb, 100, sizeof rgb);
  for (int k = 0; k < w * h; k++)
    lab[k] = (guint8) (k % 34);   /* every labelId 0..33 */
  g_autofree char *ip = g_build_filename (idir, "aachen_000000_000019_leftImg8bit.png", NULL);
  g_autofree char *lp = g_build_filename (ldir, "aachen_000000_000019_gtFine_labelIds.png", NULL);
  g_assert_true (rl_image_write_rgb_png (ip, w, h, rgb, NULL));
  g_assert_true (rl_label_write (lp, w, h, lab, NULL, NULL));
  g_autoptr (RlClassSpec) spec = NULL;
  g_autoptr (GPtrArray) a = import (tmp, "cs", "cityscapes", ds, &spec);
  g_assert_cmpint (spec->n_classes, ==, 19);
  round_trip (tmp, "cs", "cityscapes", "cityscapes");
  round_trip (tmp, "cs", "voc", "voc");
  g_autofree char *out = g_build_filename (tmp, "cs-cityscapes-1", "gtFine", "val", "aachen",
                                           "aachen_000000_000019_gtFine_labelIds.png", NULL);
  g_autofree guint8 *ids = NULL;
  g_assert_true (rl_label_read (out, &w, &h, &ids, NULL));
  static const int train_ids[] = { 7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
                                   31, 32, 33 };
  for (int k = 0; k < w * h; k++)
    {
      gboolean train = FALSE;
      for (guint t = 0; t < G_N_ELEMENTS (train_ids); t++)
        train |= lab[k] == train_ids[t];
      g_assert_cmpint (ids[k], ==, train ? lab[k] : 0);
    }
  g_autofree char *im = g_build_filename (tmp, "cs-cityscapes-1", "leftImg8bit", "val", "aachen",
                                          "aachen_000000_000019_leftImg8bit.png", NULL);
  g_assert_true (g_file_test (im, G_FILE_TEST_IS_REGULAR));
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

/* CamVid val, the first 12 images (the whole split with RELABEL_EXPORT_FULL=1): through the
 * CamVid layout, VOC and Cityscapes. */
static void
test_camvid_val (void)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID");
  if (camvid == NULL || !g_file_test (camvid, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("RELABEL_CAMVID is not set");
      return;
    }
  g_autofree char *tmp = g_dir_make_tmp ("rl-export-XXXXXX", NULL);
  int n = g_strcmp0 (g_getenv ("RELABEL_EXPORT_FULL"), "1") == 0 ? G_MAXINT : 12;
  g_autofree char *ds = g_build_filename (tmp, "camvid", NULL);
  camvid_subset (camvid, ds, n);
  g_autoptr (RlClassSpec) spec = NULL;
  g_autoptr (GPtrArray) a = import (tmp, "cv", "camvid", ds, &spec);
  g_assert_cmpuint (a->len, >=, 12);
  round_trip (tmp, "cv", "voc", "voc");
  round_trip (tmp, "cv", "cityscapes", "cityscapes");
  round_trip (tmp, "cv", "camvid", "camvid");
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  source_root = g_getenv ("RELABEL_SOURCE_ROOT");
  if (source_root == NULL)
    g_error ("RELABEL_SOURCE_ROOT must be set (run through meson test)");
  g_test_add_func ("/export/generated-voc-cityscapes", test_generated);
  g_test_add_func ("/export/cityscapes-official-ids", test_cityscapes_official);
  g_test_add_func ("/export/camvid-val", test_camvid_val);
  return g_test_run ();
}
