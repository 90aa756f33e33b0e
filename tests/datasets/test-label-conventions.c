/* Label conventions and the NYU-40 -> SUN RGB-D 37 mapping on the real indoor labels
 * (../shared/datasets/indoor-labelled, found beside RELABEL_SUNRGBD). The reference is the
 * dataset's own labels37/ (1-based, 0 = void), read raw with rl_label_read:
 *  - the two SUN RGB-D labels as re-packaged 0-based with 255 = void, read as 0-based-255, equal
 *    labels37 pixel for pixel (as a sunrgbd dataset with --label-convention, and as a folder
 *    dataset whose classes.json says so);
 *  - read as 1-based (the default, or given) they are refused: one line naming the file, the
 *    value 255 and its first pixel, found here by scanning the raw file;
 *  - read as 1-based-255 (255 void too) they load but are visibly wrong: almost no labelled
 *    pixel agrees with labels37 (every class shifted by one, wall become void);
 *  - the 25 NYU labels40 through resources/label-maps/nyu40-sunrgbd37.json equal labels37. */
#include <glib.h>
#include <string.h>

#include "ds-testutil.h"
#include "rl-dataset.h"
#include "rl-image-io.h"

static const char *const sun_stems[] = { "sunrgbd_test_img-000001", "sunrgbd_train_img-000001" };

static char *
indoor_dir (void)
{
  const char *sun = g_getenv ("RELABEL_SUNRGBD");
  if (sun == NULL)
    g_error ("RELABEL_SUNRGBD is not set (meson's test_env sets it): the real data is needed");
  g_autofree char *dir = g_build_filename (sun, "..", "indoor-labelled", NULL);
  char *canon = g_canonicalize_filename (dir, NULL);
  if (!g_file_test (canon, G_FILE_TEST_IS_DIR))
    g_error ("%s: the real indoor labels are needed", canon);
  return canon;
}

static void
link_to (const char *target, const char *dir, const char *rel)
{
  g_autofree char *path = ds_path (dir, rel);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

static guint8 *
read_raw (const char *path, int *w, int *h)
{
  g_autoptr (GError) error = NULL;
  guint8 *labels = NULL;
  g_assert_true (rl_label_read (path, w, h, &labels, &error));
  g_assert_no_error (error);
  return labels;
}

/* A sunrgbd layout: train/color/STEM.jpg and train/label/STEM.png = the 0-based-255 labels. */
static char *
make_zero_based_sunrgbd (const char *tmp, const char *indoor)
{
  char *root = g_build_filename (tmp, "sun0", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sun_stems); i++)
    {
      g_autofree char *img = g_strdup_printf ("%s/images/%s.jpg", indoor, sun_stems[i]);
      g_autofree char *lab = g_strdup_printf ("%s/sunrgbd-0based-255/%s.png", indoor,
                                              sun_stems[i]);
      g_autofree char *rimg = g_strdup_printf ("train/color/%s.jpg", sun_stems[i]);
      g_autofree char *rlab = g_strdup_printf ("train/label/%s.png", sun_stems[i]);
      link_to (img, root, rimg);
      link_to (lab, root, rlab);
    }
  return root;
}

static RlDataset *
load (const char *kind, const char *root, RlLabelConvention conv)
{
  g_autoptr (GError) error = NULL;
  RlDatasetOptions opt = { conv, "--label-convention" };
  RlDataset *ds = rl_dataset_load_with (kind, root, &opt, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ds);
  g_assert_cmpuint (ds->samples->len, ==, 2);
  return ds;
}

/* Reads every sample through ds and compares with labels37; returns the fraction of pixels
 * that labels37 labels (non-zero) on which they agree, or -1 when a read failed (*error). */
static double
agreement (RlDataset *ds, const char *indoor, gboolean *all_equal, GError **error)
{
  guint64 labelled = 0, agree = 0;
  *all_equal = TRUE;
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      g_autofree char *ref_path = g_strdup_printf ("%s/labels37/%s.png", indoor, s->name);
      int rw, rh, w, h;
      g_autofree guint8 *ref = read_raw (ref_path, &rw, &rh);
      g_autofree guint8 *got = NULL;
      if (!rl_dataset_read_label (ds, s->label_path, &w, &h, &got, error))
        return -1;
      g_assert_cmpint (w, ==, rw);
      g_assert_cmpint (h, ==, rh);
      *all_equal = *all_equal && memcmp (got, ref, (gsize) w * h) == 0;
      for (gsize k = 0; k < (gsize) w * h; k++)
        if (ref[k] != 0)
          {
            labelled++;
            agree += got[k] == ref[k];
          }
    }
  g_assert_cmpuint (labelled, >, 100000);
  return (double) agree / labelled;
}

static void
test_sunrgbd_zero_based (void)
{
  g_autofree char *indoor = indoor_dir ();
  g_autofree char *tmp = ds_tmpdir ();
  g_autofree char *root = make_zero_based_sunrgbd (tmp, indoor);
  g_autoptr (GError) error = NULL;
  gboolean equal = FALSE;

  /* Right: read as what it is. */
  g_autoptr (RlDataset) right = load ("sunrgbd", root, RL_LABEL_CONVENTION_0_BASED_255);
  g_assert_cmpint (right->label_convention, ==, RL_LABEL_CONVENTION_0_BASED_255);
  g_autofree char *how = rl_dataset_describe_labels (right);
  g_assert_nonnull (strstr (how, "0-based-255 (0..36 the classes, 255 = void)"));
  g_assert_nonnull (strstr (how, "--label-convention"));
  g_assert_cmpfloat (agreement (right, indoor, &equal, &error), ==, 1.0);
  g_assert_no_error (error);
  g_assert_true (equal);
  g_assert_cmpuint (rl_dataset_validate (right, FALSE, NULL, NULL), ==, 0);

  /* Wrong, 1-based, given or by default: refused, naming file, value and first pixel. */
  for (int given = 0; given < 2; given++)
    {
      g_autoptr (RlDataset) wrong
        = load ("sunrgbd", root, given ? RL_LABEL_CONVENTION_1_BASED : RL_LABEL_CONVENTION_UNSET);
      g_assert_cmpint (wrong->label_convention, ==, RL_LABEL_CONVENTION_1_BASED);
      g_autofree char *said = rl_dataset_describe_labels (wrong);
      g_assert_nonnull (strstr (said, given ? "from --label-convention" : "the default"));
      for (guint i = 0; i < wrong->samples->len; i++)
        {
          RlSample *s = wrong->samples->pdata[i];
          int w, h;
          g_autofree guint8 *raw = read_raw (s->label_path, &w, &h);
          gsize first = 0;
          while (first < (gsize) w * h && raw[first] <= 37)
            first++;
          g_assert_cmpuint (first, <, (gsize) w * h);
          g_autofree char *where = g_strdup_printf ("value %u at pixel (%d, %d)", raw[first],
                                                    (int) (first % w), (int) (first / w));
          g_autofree guint8 *got = NULL;
          g_assert_false (rl_dataset_read_label (wrong, s->label_path, &w, &h, &got, &error));
          ds_assert_message (error, s->label_path, where);
          g_assert_nonnull (strstr (error->message, "1-based"));
          g_clear_error (&error);
        }
      g_assert_cmpuint (rl_dataset_validate (wrong, FALSE, NULL, NULL), ==, 2);
    }

  /* 1-based-255 accepts the values but the picture is visibly wrong, not silently close. */
  g_autoptr (RlDataset) shifted = load ("sunrgbd", root, RL_LABEL_CONVENTION_1_BASED_255);
  double a = agreement (shifted, indoor, &equal, &error);
  g_assert_no_error (error);
  g_assert_false (equal);
  g_assert_cmpfloat (a, <, 0.05);
  ds_rmtree (tmp);
}

/* The toolbox's own 1-based labels (labels37) read by default are themselves. */
static void
test_sunrgbd_one_based (void)
{
  g_autofree char *indoor = indoor_dir ();
  g_autofree char *tmp = ds_tmpdir ();
  g_autofree char *root = g_build_filename (tmp, "sun1", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sun_stems); i++)
    {
      g_autofree char *img = g_strdup_printf ("%s/images/%s.jpg", indoor, sun_stems[i]);
      g_autofree char *lab = g_strdup_printf ("%s/labels37/%s.png", indoor, sun_stems[i]);
      g_autofree char *rimg = g_strdup_printf ("test/color/%s.jpg", sun_stems[i]);
      g_autofree char *rlab = g_strdup_printf ("test/label/%s.png", sun_stems[i]);
      link_to (img, root, rimg);
      link_to (lab, root, rlab);
    }
  g_autoptr (GError) error = NULL;
  gboolean equal = FALSE;
  g_autoptr (RlDataset) ds = load ("sunrgbd", root, RL_LABEL_CONVENTION_UNSET);
  g_assert_cmpfloat (agreement (ds, indoor, &equal, &error), ==, 1.0);
  g_assert_true (equal);
  /* Read as 0-based-255 they are refused: 37 does not fit 0..36 (the train frame holds bag). */
  g_autoptr (RlDataset) wrong = load ("sunrgbd", root, RL_LABEL_CONVENTION_0_BASED_255);
  g_assert_cmpuint (rl_dataset_validate (wrong, FALSE, NULL, NULL), >=, 1);
  g_assert_true (strstr (wrong->problems->pdata[0], "value 37 at pixel") != NULL);
  ds_rmtree (tmp);
}

/* A folder dataset's classes.json carries the convention; the option must agree with it. */
static void
test_folder_classes_json (void)
{
  g_autofree char *indoor = indoor_dir ();
  g_autofree char *tmp = ds_tmpdir ();
  g_autofree char *root = g_build_filename (tmp, "folder0", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sun_stems); i++)
    {
      g_autofree char *img = g_strdup_printf ("%s/images/%s.jpg", indoor, sun_stems[i]);
      g_autofree char *lab = g_strdup_printf ("%s/sunrgbd-0based-255/%s.png", indoor,
                                              sun_stems[i]);
      g_autofree char *rimg = g_strdup_printf ("images/%s.jpg", sun_stems[i]);
      g_autofree char *rlab = g_strdup_printf ("labels/%s.png", sun_stems[i]);
      link_to (img, root, rimg);
      link_to (lab, root, rlab);
    }
  g_autofree char *json = ds_path (root, "classes.json");
  ds_write_text (json, "{\"classes\": \"sunrgbd\", \"label_convention\": \"0-based-255\"}");
  g_autoptr (GError) error = NULL;
  gboolean equal = FALSE;
  g_autoptr (RlDataset) ds = load ("folder", root, RL_LABEL_CONVENTION_UNSET);
  g_assert_cmpint (ds->spec->n_classes, ==, 38);
  g_assert_cmpint (ds->spec->ignore_index, ==, 0);
  g_autofree char *how = rl_dataset_describe_labels (ds);
  g_assert_nonnull (strstr (how, json));
  g_assert_cmpfloat (agreement (ds, indoor, &equal, &error), ==, 1.0);
  g_assert_true (equal);

  /* The option contradicting the file: one line naming the file. */
  RlDatasetOptions opt = { RL_LABEL_CONVENTION_1_BASED, "--label-convention" };
  g_assert_null (rl_dataset_load_with ("folder", root, &opt, &error));
  ds_assert_message (error, json, "\"label_convention\" is 0-based-255 but --label-convention "
                                  "1-based was given");
  g_clear_error (&error);

  /* Classes listed, 0-based-255: they become values 1..K after void, as SUN RGB-D's. */
  ds_write_text (json, "{\"label_convention\": \"0-based-255\", \"classes\": ["
                       "{\"name\": \"a\", \"color\": [1, 2, 3]}, {\"name\": \"b\", \"color\": [4, 5, 6]}]}");
  g_autoptr (RlDataset) two = load ("folder", root, RL_LABEL_CONVENTION_UNSET);
  g_assert_cmpint (two->spec->n_classes, ==, 3);
  g_assert_cmpstr (two->spec->classes[0].name, ==, "void");
  g_assert_cmpstr (two->spec->classes[2].name, ==, "b");
  /* the real labels hold values above 1: refused */
  g_assert_cmpuint (rl_dataset_validate (two, FALSE, NULL, NULL), ==, 2);

  ds_write_text (json, "{\"classes\": \"sunrgbd\", \"label_convention\": \"2-based\"}");
  g_assert_null (rl_dataset_load_with ("folder", root, NULL, &error));
  ds_assert_message (error, json, "\"label_convention\" must be");
  g_clear_error (&error);
  ds_write_text (json, "{\"classes\": \"sunrgbd\"}");
  g_assert_null (rl_dataset_load_with ("folder", root, NULL, &error));
  ds_assert_message (error, json, "needs a \"label_convention\"");
  g_clear_error (&error);
  /* CamVid has one numbering. */
  g_assert_null (rl_dataset_load_with ("camvid", root, &opt, &error));
  g_assert_nonnull (error);
  ds_rmtree (tmp);
}

/* NYU-40 labels into the 37 classes through the shipped label map equal labels37. */
static void
test_nyu40_to_37 (void)
{
  g_autofree char *indoor = indoor_dir ();
  g_autofree char *tmp = ds_tmpdir ();
  g_autofree char *root = g_build_filename (tmp, "nyu", NULL);
  g_autofree char *labels40 = g_build_filename (indoor, "labels40", NULL);
  g_autoptr (GDir) dir = g_dir_open (labels40, 0, NULL);
  const char *name;
  guint n = 0;
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *stem = g_strndup (name, strlen (name) - 4);
      g_autofree char *img = NULL;
      for (int e = 0; e < 2 && img == NULL; e++)
        {
          char *c = g_strdup_printf ("%s/images/%s.%s", indoor, stem, e ? "jpg" : "png");
          if (g_file_test (c, G_FILE_TEST_EXISTS))
            img = c;
          else
            g_free (c);
        }
      g_assert_nonnull (img);
      g_autofree char *rimg = g_strdup_printf ("images/%s%s", stem, strrchr (img, '.'));
      g_autofree char *lab = g_build_filename (labels40, name, NULL);
      g_autofree char *rlab = g_strdup_printf ("labels/%s", name);
      link_to (img, root, rimg);
      link_to (lab, root, rlab);
      n++;
    }
  g_assert_cmpuint (n, ==, 25);
  g_autofree char *map = g_build_filename (g_getenv ("RELABEL_SOURCE_ROOT"), "resources",
                                           "label-maps", "nyu40-sunrgbd37.json", NULL);
  link_to (map, root, "label-map.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = rl_dataset_load ("folder", root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds->samples->len, ==, 25);
  g_assert_cmpint (ds->spec->n_classes, ==, 38);
  g_assert_cmpstr (ds->spec->classes[24].name, ==, "fridge");
  guint64 void_40 = 0;
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      g_autofree char *ref_path = g_strdup_printf ("%s/labels37/%s.png", indoor, s->name);
      int rw, rh, w, h;
      g_autofree guint8 *ref = read_raw (ref_path, &rw, &rh);
      g_autofree guint8 *raw = read_raw (s->label_path, &w, &h);
      g_autofree guint8 *got = NULL;
      g_assert_true (rl_dataset_read_label (ds, s->label_path, &w, &h, &got, &error));
      g_assert_no_error (error);
      g_assert_cmpint (w, ==, rw);
      g_assert_cmpint (h, ==, rh);
      for (gsize k = 0; k < (gsize) w * h; k++)
        void_40 += raw[k] >= 38;
      if (memcmp (got, ref, (gsize) w * h) != 0)
        g_error ("%s: NYU-40 through the map differs from labels37", s->label_path);
    }
  /* the mapping had something to do: 38..40 occur and became void */
  g_assert_cmpuint (void_40, >, 10000);
  g_assert_cmpuint (rl_dataset_validate (ds, FALSE, NULL, NULL), ==, 0);
  ds_rmtree (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/label-conventions/sunrgbd-0based-255", test_sunrgbd_zero_based);
  g_test_add_func ("/label-conventions/sunrgbd-1based", test_sunrgbd_one_based);
  g_test_add_func ("/label-conventions/folder-classes-json", test_folder_classes_json);
  g_test_add_func ("/label-conventions/nyu40-to-37", test_nyu40_to_37);
  return g_test_run ();
}
