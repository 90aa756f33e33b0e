/* Colour-coded and renumbered labels through label maps (issue 20): the shipped CamVid 32-colour
 * map and Cityscapes labelIds map on generated datasets with hand-picked pixels, the one-line
 * error for an unknown colour or value, and colour export -> import back pixel-exact. */
#include <glib/gstdio.h>
#include <string.h>

#include "rl-image-io.h"
#include "rl-label-map.h"
#include "rl-project.h"

static const char *source_root;

static void
write_file (const char *path, const char *text)
{
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

/* A folder dataset in dir/NAME: images/img.png (16x12 grey) and an empty labels/, with the
 * shipped map MAP (when not NULL) copied as label-map.json. */
static char *
make_ds (const char *dir, const char *name, const char *map)
{
  g_autofree char *ds = g_build_filename (dir, name, NULL);
  g_autofree char *images = g_build_filename (ds, "images", NULL);
  g_autofree char *labels = g_build_filename (ds, "labels", NULL);
  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (labels, 0755), ==, 0);
  if (map != NULL)
    {
      g_autofree char *src = g_build_filename (source_root, "resources", "label-maps", map, NULL);
      g_autofree char *text = NULL;
      g_assert_true (g_file_get_contents (src, &text, NULL, NULL));
      g_autofree char *dst = g_build_filename (ds, "label-map.json", NULL);
      write_file (dst, text);
    }
  guint8 rgb[16 * 12 * 3];
  memset (rgb, 90, sizeof rgb);
  g_autofree char *img = g_build_filename (images, "img.png", NULL);
  g_assert_true (rl_image_write_rgb_png (img, 16, 12, rgb, NULL));
  return g_steal_pointer (&ds);
}

static guint8 *
import_original (const char *dir, const char *ds, GPtrArray **problems)
{
  g_autofree char *path = g_build_filename (dir, "p.relabel", NULL);
  g_unlink (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (rl_project_import (p, "folder", ds, NULL, NULL, NULL, NULL, problems, &error));
  g_autoptr (RlImageInfo) info = rl_project_find_image (p, "img", NULL);
  if (info == NULL || !info->has_original)
    return NULL;
  int w, h;
  guint8 *m = NULL;
  g_assert_true (rl_project_get_mask (p, info->id, RL_MASK_ORIGINAL, &w, &h, &m, &error));
  return m;
}

static void
test_camvid32 (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-formats-XXXXXX", NULL);
  g_autofree char *ds = make_ds (tmp, "camvid32", "camvid32-segnet11.json");
  /* Columns of CamVid 32-class colours, the SegNet class each must become (by hand from the
   * standard grouping): Sky 0, Archway -> Building 1, TrafficCone -> Pole 2,
   * LaneMkgsDriv -> Road 3, RoadShoulder -> Pavement 4, VegetationMisc -> Tree 5,
   * TrafficLight -> SignSymbol 6, Fence 7, Truck_Bus -> Car 8, Child -> Pedestrian 9,
   * MotorcycleScooter -> Bicyclist 10, Void -> 11 (void), Wall -> Building 1, Animal -> 9,
   * Tunnel -> 1, Misc_Text -> 6. */
  static const guint8 cols[16][3] = {
    { 128, 128, 128 }, { 192, 0, 128 }, { 0, 0, 64 }, { 128, 0, 192 }, { 128, 128, 192 },
    { 192, 192, 0 }, { 0, 64, 64 }, { 64, 64, 128 }, { 192, 128, 192 }, { 192, 128, 64 },
    { 192, 0, 192 }, { 0, 0, 0 }, { 64, 192, 0 }, { 64, 128, 64 }, { 64, 0, 64 },
    { 128, 128, 64 } };
  static const guint8 want[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 9, 1, 6 };
  guint8 lab[16 * 12 * 3];
  for (int k = 0; k < 16 * 12; k++)
    memcpy (lab + 3 * k, cols[k % 16], 3);
  g_autofree char *lpath = g_build_filename (ds, "labels", "img_L.png", NULL);
  g_assert_true (rl_image_write_rgb_png (lpath, 16, 12, lab, NULL));
  g_autoptr (GPtrArray) problems = NULL;
  g_autofree guint8 *m = import_original (tmp, ds, &problems);
  g_assert_nonnull (m);
  for (int k = 0; k < 16 * 12; k++)
    g_assert_cmpint (m[k], ==, want[k % 16]);

  /* Export as colour PNGs (the 11 SegNet colours) and import that back through a colour map of
   * the 11 classes: the same labels, pixel for pixel. */
  g_autofree char *path = g_build_filename (tmp, "p.relabel", NULL);
  g_autofree char *out = g_build_filename (tmp, "exported", NULL);
  g_autoptr (GError) error = NULL;
  {
    g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
    g_assert_true (rl_project_export (p, "color", out, NULL, "original", FALSE, NULL, NULL, NULL,
                                      &error));
    g_assert_no_error (error);
  }
  g_autofree char *back = make_ds (tmp, "back", NULL);
  g_autoptr (RlClassSpec) spec = rl_class_spec_camvid ();
  g_autoptr (GString) map = g_string_new ("{\"id\": \"segnet11-colours\", \"match\": \"color\","
                                          " \"target\": \"camvid\", \"map\": [");
  for (int c = 0; c < spec->n_classes; c++)
    g_string_append_printf (map, "{\"color\": [%u,%u,%u], \"to\": %d},", spec->classes[c].r,
                            spec->classes[c].g, spec->classes[c].b, c);
  g_string_append_printf (map, "{\"color\": [%u,%u,%u], \"to\": \"void\"}]}", spec->void_rgb[0],
                          spec->void_rgb[1], spec->void_rgb[2]);
  g_autofree char *mpath = g_build_filename (back, "label-map.json", NULL);
  write_file (mpath, map->str);
  g_autofree char *exported = g_build_filename (out, "trainannot", "img.png", NULL);
  g_autofree char *blabel = g_build_filename (back, "labels", "img.png", NULL);
  g_autofree char *ebytes = NULL;
  gsize elen = 0;
  if (!g_file_get_contents (exported, &ebytes, &elen, NULL))
    g_error ("%s: not exported", exported);
  g_assert_true (g_file_set_contents (blabel, ebytes, elen, NULL));
  g_autoptr (GPtrArray) problems2 = NULL;
  g_autofree guint8 *m2 = import_original (tmp, back, &problems2);
  g_assert_nonnull (m2);
  g_assert_cmpmem (m2, 16 * 12, m, 16 * 12);

  /* An unknown colour: one line naming the file, the colour and the first pixel. */
  lab[3 * (7 * 16 + 5)] = 1;
  lab[3 * (7 * 16 + 5) + 1] = 2;
  lab[3 * (7 * 16 + 5) + 2] = 3;
  lab[3 * (9 * 16 + 2)] = 1;
  lab[3 * (9 * 16 + 2) + 1] = 2;
  lab[3 * (9 * 16 + 2) + 2] = 3;
  g_assert_true (rl_image_write_rgb_png (lpath, 16, 12, lab, NULL));
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_autofree guint8 *none = import_original (tmp, ds, &problems);
  g_assert_null (none);
  g_assert_nonnull (problems);
  g_assert_cmpuint (problems->len, ==, 1);
  g_autofree char *want_msg = g_strdup_printf ("%s: colour (1, 2, 3) at pixel (5, 7) is not in "
                                               "label map 'camvid32-segnet11'", lpath);
  g_assert_cmpstr (problems->pdata[0], ==, want_msg);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

static void
test_cityscapes_ids (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-formats-XXXXXX", NULL);
  g_autofree char *ds = make_ds (tmp, "cs", "cityscapes-trainids.json");
  /* labelIds -> train ids by cityscapesScripts' table: 0 unlabeled -> void 255, 7 road -> 0,
   * 8 sidewalk -> 1, 9 parking -> 255, 26 car -> 13, 33 bicycle -> 18, 24 person -> 11. */
  static const guint8 ids[7] = { 0, 7, 8, 9, 26, 33, 24 };
  static const guint8 want[7] = { 255, 0, 1, 255, 13, 18, 11 };
  guint8 lab[16 * 12];
  for (int k = 0; k < 16 * 12; k++)
    lab[k] = ids[k % 7];
  g_autofree char *lpath = g_build_filename (ds, "labels", "img.png", NULL);
  g_assert_true (rl_label_write (lpath, 16, 12, lab, NULL, NULL));
  g_autoptr (GPtrArray) problems = NULL;
  g_autofree guint8 *m = import_original (tmp, ds, &problems);
  g_assert_nonnull (m);
  for (int k = 0; k < 16 * 12; k++)
    g_assert_cmpint (m[k], ==, want[k % 7]);
  /* 34 is no Cityscapes id. */
  lab[3 * 16 + 4] = 34;
  g_assert_true (rl_label_write (lpath, 16, 12, lab, NULL, NULL));
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_autofree guint8 *none = import_original (tmp, ds, &problems);
  g_assert_null (none);
  g_autofree char *want_msg = g_strdup_printf ("%s: value 34 at pixel (4, 3) is not in label "
                                               "map 'cityscapes-trainids'", lpath);
  g_assert_cmpstr (problems->pdata[0], ==, want_msg);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

static void
test_bad_maps (void)
{
  /* Each malformed map is refused with the file name and the cause. */
  const char *bad[][2] = {
    { "{\"match\": \"colour\", \"target\": \"camvid\", \"map\": []}", "\"match\"" },
    { "{\"match\": \"value\", \"target\": \"nope\", \"map\": []}", "\"target\"" },
    { "{\"match\": \"value\", \"target\": \"camvid\", \"map\": [{\"value\": 1, \"to\": \"Zebra\"}]}",
      "entry 1 of \"map\": \"to\"" },
    { "{\"match\": \"value\", \"target\": \"camvid\", \"map\": [{\"value\": 1, \"to\": 0},"
      " {\"value\": 1, \"to\": 2}]}", "entry 2 of \"map\": listed twice" },
    { "{\"match\": \"value\", \"target\": \"camvid\", \"map\": []}", "empty" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (RlLabelMap) m = rl_label_map_from_json (bad[i][0], "m.json", &error);
      g_assert_null (m);
      g_assert_nonnull (error);
      if (!g_str_has_prefix (error->message, "m.json: ") || !strstr (error->message, bad[i][1]))
        g_error ("map %zu: '%s' does not name '%s'", i, error->message, bad[i][1]);
    }
  /* The shipped maps load. */
  const char *shipped[] = { "camvid32-segnet11.json", "cityscapes-trainids.json", "voc.json" };
  for (gsize i = 0; i < G_N_ELEMENTS (shipped); i++)
    {
      g_autofree char *path = g_build_filename (source_root, "resources", "label-maps",
                                                shipped[i], NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (RlLabelMap) m = rl_label_map_load_json (path, &error);
      g_assert_no_error (error);
      int covered = 0;
      for (int v = 0; v < 256; v++)
        {
          guint8 src, rgb[3];
          covered += rl_label_map_source_value (m, v, &src) || rl_label_map_source_color (m, v, rgb);
        }
      g_assert_cmpint (covered, >, 0);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  source_root = g_getenv ("RELABEL_SOURCE_ROOT");
  if (source_root == NULL)
    g_error ("RELABEL_SOURCE_ROOT must be set (run through meson test)");
  g_test_add_func ("/formats/camvid32-colour-map", test_camvid32);
  g_test_add_func ("/formats/cityscapes-label-ids", test_cityscapes_ids);
  g_test_add_func ("/formats/bad-maps", test_bad_maps);
  return g_test_run ();
}
