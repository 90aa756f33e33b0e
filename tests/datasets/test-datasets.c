/* Tests of datasets/rl-dataset and rl-class-spec: the real CamVid copy and SUN RGB-D sample, the
 * accepted layouts, and bad datasets made on the fly (every bad sample reported, none fatal). */
#include "rl-dataset.h"
#include "rl-image-io.h"
#include "ds-testutil.h"

#include <string.h>
#include <unistd.h>
#include <png.h>

/* Per-class pixel counts of trainannot, from ../shared/datasets/camvid/README.md. */
static const guint64 camvid_train_counts[12] = {
  10682767, 14750079, 623349, 20076880, 2845085, 6166762,
  743859, 714595, 3719877, 405385, 184967, 2503995,
};

static const char *
data_dir (const char *var)
{
  const char *dir = g_getenv (var);

  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    g_error ("%s is not set to a folder (meson's test_env sets it): the real data is needed",
             var);
  return dir;
}

static guint
split_len (RlDataset *ds, const char *split)
{
  g_autoptr (GPtrArray) s = rl_dataset_split (ds, split);

  return s->len;
}

static void
count_progress (guint done, guint total, gpointer data)
{
  guint *last = data;

  g_assert_cmpuint (done, >, *last);
  g_assert_cmpuint (done, <=, total);
  *last = done;
}

/* ---- real CamVid ------------------------------------------------------------------------- */

static void
camvid_real (gboolean full)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = rl_dataset_load ("camvid", data_dir ("RELABEL_CAMVID"), &error);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 hist[256] = { 0 };
  gint64 t0, t_decode, t_validate;
  guint last = 0, bad;

  g_assert_no_error (error);
  g_assert_nonnull (ds);
  g_assert_cmpstr (ds->kind, ==, "camvid");
  g_assert_cmpint (ds->spec->n_classes, ==, 11);
  g_assert_cmpint (ds->spec->ignore_index, ==, 11);
  g_assert_cmpstr (ds->spec->classes[3].name, ==, "Road");
  for (guint i = 0; i < ds->problems->len; i++)
    g_test_message ("problem: %s", (char *) ds->problems->pdata[i]);
  g_assert_cmpuint (ds->problems->len, ==, 0);
  g_assert_cmpuint (split_len (ds, "train"), ==, 367);
  g_assert_cmpuint (split_len (ds, "val"), ==, 101);
  g_assert_cmpuint (split_len (ds, "test"), ==, 0);   /* withheld from this copy */
  g_assert_cmpuint (ds->samples->len, ==, 468);
  /* train then val, in list order */
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[0])->name, ==, "0001TP_006690");
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[367])->split, ==, "val");

  if (!full)
    {
      /* Under ASan: the first 10 of each split. */
      for (guint i = ds->samples->len; i-- > 0;)
        if (!(i < 10 || (i >= 367 && i < 377)))
          g_ptr_array_remove_index (ds->samples, i);
      g_assert_cmpuint (ds->samples->len, ==, 20);
    }

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      g_autofree guint8 *rgb = NULL;
      g_autofree guint8 *labels = NULL;
      RlImageFormat fmt;
      int w, h;

      g_assert_true (g_path_is_absolute (s->image_path));
      g_assert_nonnull (s->label_path);
      g_assert_false (g_hash_table_contains (names, s->name));
      g_hash_table_add (names, s->name);
      g_assert_true (rl_image_read_rgb_full (s->image_path, &fmt, &w, &h, &rgb, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fmt, ==, RL_IMAGE_FORMAT_PNG);
      g_assert_cmpint (w, ==, 480);
      g_assert_cmpint (h, ==, 360);
      g_assert_true (rl_label_read (s->label_path, &w, &h, &labels, &error));
      g_assert_no_error (error);
      g_assert_cmpint (w, ==, 480);
      g_assert_cmpint (h, ==, 360);
      if (strcmp (s->split, "train") == 0)
        for (int p = 0; p < w * h; p++)
          hist[labels[p]]++;
      else
        for (int p = 0; p < w * h; p++)
          g_assert_cmpuint (labels[p], <=, 11);
    }
  t_decode = g_get_monotonic_time () - t0;
  for (guint v = 12; v < 256; v++)
    g_assert_cmpuint (hist[v], ==, 0);
  if (full)
    for (guint c = 0; c < 12; c++)
      {
        g_test_message ("class %u: %" G_GUINT64_FORMAT " pixels", c, hist[c]);
        g_assert_cmpuint (hist[c], ==, camvid_train_counts[c]);
      }

  t0 = g_get_monotonic_time ();
  bad = rl_dataset_validate (ds, FALSE, count_progress, &last);
  t_validate = g_get_monotonic_time () - t0;
  g_assert_cmpuint (bad, ==, 0);
  g_assert_cmpuint (last, ==, ds->samples->len);
  g_assert_cmpuint (ds->problems->len, ==, 0);
  g_test_message ("%u samples: sequential decode of images + labels %.2f s (%.1f ms/sample), "
                  "rl_dataset_validate %.2f s with %u threads", ds->samples->len,
                  t_decode / 1e6, t_decode / 1e3 / ds->samples->len, t_validate / 1e6,
                  MIN (g_get_num_processors (), 4));
}

static void
test_camvid_full (void)
{
  camvid_real (TRUE);
}

static void
test_camvid_light (void)
{
  camvid_real (FALSE);
}

/* ---- real SUN RGB-D sample --------------------------------------------------------------- */

static void
test_sunrgbd_sample (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = rl_dataset_load ("sunrgbd", data_dir ("RELABEL_SUNRGBD"), &error);
  guint last = 0;

  g_assert_no_error (error);
  g_assert_cmpint (ds->spec->n_classes, ==, 38);
  g_assert_cmpint (ds->spec->ignore_index, ==, 0);
  g_assert_true (ds->spec->high_is_void);
  g_assert_cmpstr (ds->spec->classes[37].name, ==, "bag");
  g_assert_cmpuint (ds->problems->len, ==, 0);
  g_assert_cmpuint (ds->samples->len, ==, 30);
  g_assert_cmpuint (split_len (ds, "train"), ==, 15);
  g_assert_cmpuint (split_len (ds, "val"), ==, 15);
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      g_autofree guint8 *rgb = NULL;
      RlImageFormat fmt = RL_IMAGE_FORMAT_UNKNOWN;
      int w, h;

      g_assert_null (s->label_path);
      g_assert_true (g_str_has_suffix (s->image_path, ".png"));
      g_assert_true (rl_image_read_rgb_full (s->image_path, &fmt, &w, &h, &rgb, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (rl_image_format_name (fmt), ==, "JPEG");   /* despite the .png name */
      g_assert_cmpint (w, ==, 730);
      g_assert_cmpint (h, ==, 530);
    }
  g_assert_cmpuint (rl_dataset_validate (ds, FALSE, count_progress, &last), ==, 0);
  g_assert_cmpuint (last, ==, 30);
}

/* ---- synthetic files --------------------------------------------------------------------- */

static void
write_rgb (const char *dir, const char *rel, int w, int h)
{
  g_autofree char *path = ds_path (dir, rel);
  g_autofree guint8 *rgb = g_malloc ((gsize) w * h * 3);
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < w * h * 3; i++)
    rgb[i] = (guint8) (i * 3);
  g_assert_true (rl_image_write_rgb_png (path, w, h, rgb, &error));
  g_assert_no_error (error);
}

static void
write_jpeg (const char *dir, const char *rel, int w, int h)
{
  g_autofree char *path = ds_path (dir, rel);
  g_autofree guint8 *rgb = g_malloc ((gsize) w * h * 3);
  g_autoptr (GBytes) jpg = NULL;

  for (int i = 0; i < w * h * 3; i++)
    rgb[i] = (guint8) (i * 5);
  jpg = ds_jpeg_bytes (w, h, 3, rgb, 90);
  ds_write_bytes (path, jpg);
}

/* Labels 0..modulo-1, with value `bad` at (1,1) when bad >= 0. */
static void
write_label (const char *dir, const char *rel, int w, int h, int modulo, int bad)
{
  g_autofree char *path = ds_path (dir, rel);
  g_autofree guint8 *l = g_malloc ((gsize) w * h);
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < w * h; i++)
    l[i] = (guint8) (i % modulo);
  if (bad >= 0)
    l[w + 1] = (guint8) bad;
  g_assert_true (rl_label_write (path, w, h, l, NULL, &error));
  g_assert_no_error (error);
}

static void
write_truncated (const char *dir, const char *rel, const char *from_rel)
{
  g_autofree char *from = g_build_filename (dir, from_rel, NULL);
  g_autofree char *path = ds_path (dir, rel);
  g_autofree char *data = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (from, &data, &len, NULL));
  ds_write (path, data, len / 2);
}

static gboolean
has_problem (RlDataset *ds, const char *file, const char *fragment)
{
  for (guint i = 0; i < ds->problems->len; i++)
    {
      const char *p = ds->problems->pdata[i];
      if (strstr (p, file) && strstr (p, fragment))
        return TRUE;
    }
  return FALSE;
}

/* A CamVid copy with one bad line or sample per cause: load reports the bad lines, validate the
 * bad samples, all of them, one line each, and the good samples survive drop_bad. */
static void
test_camvid_corrupt (void)
{
  typedef struct
  {
    const char *line;       /* in train.txt */
    const char *file;       /* file the problem must name ("" for the list file itself) */
    const char *fragment;   /* NULL: a good sample */
    gboolean at_load;       /* reported by rl_dataset_load rather than rl_dataset_validate */
  } Case;
  static const Case cases[] = {
    { "/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/a.png", NULL, NULL, FALSE },
    { "/SegNet/CamVid/train/b.png", "train.txt:2", "one field", TRUE },
    { "", NULL, NULL, FALSE },
    { "train/c.png   trainannot/c.png\r", NULL, NULL, FALSE },
    { "/SegNet/CamVid/train/nothere.png /SegNet/CamVid/trainannot/nothere.png",
      "train/nothere.png", "no such image file", TRUE },
    { "/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/nolabel.png",
      "trainannot/nolabel.png", "no such label file", TRUE },
    { "/SegNet/CamVid/train/d.png /SegNet/CamVid/trainannot/d.png", "trainannot/d.png",
      "label is 9x6 but its image", FALSE },
    { "/SegNet/CamVid/train/e.png /SegNet/CamVid/trainannot/e.png", "trainannot/e.png",
      "value 12 at (1,1) out of range", FALSE },
    { "/SegNet/CamVid/train/f.png /SegNet/CamVid/trainannot/f.png", "train/f.png",
      "truncated PNG", FALSE },
    { "/SegNet/CamVid/train/g.png /SegNet/CamVid/trainannot/g.png", "trainannot/g.png",
      "16-bit label", FALSE },
    { "/SegNet/CamVid/train/h.png /SegNet/CamVid/trainannot/h.png", "trainannot/h.png",
      "RGB label", FALSE },
    { "/SegNet/CamVid/train/k.png /SegNet/CamVid/trainannot/k.png", "train/k.png",
      "empty file", FALSE },
    { "/SegNet/CamVid/train/m.png /SegNet/CamVid/trainannot/m.png", "train/m.png",
      "not a PNG or JPEG", FALSE },
    { "/elsewhere/data/train/i.png /elsewhere/data/trainannot/i.png", NULL, NULL, FALSE },
    { "a.png b.png c.png", "train.txt:15", "too many fields", TRUE },
  };
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *list = ds_path (dir, "train.txt");
  g_autofree char *test_list = ds_path (dir, "test.txt");
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = NULL;
  guint16 wide[8 * 6];
  guint n_load = 0, n_validate = 0, n_good = 0;
  guint bad;

  for (const char *const *n = (const char *const[]) { "a", "c", "d", "e", "f", "g", "h", "i",
                                                      "j", NULL }; *n; n++)
    {
      g_autofree char *img = g_strdup_printf ("train/%s.png", *n);
      g_autofree char *lab = g_strdup_printf ("trainannot/%s.png", *n);
      write_rgb (dir, img, 8, 6);
      write_label (dir, lab, strcmp (*n, "d") == 0 ? 9 : 8, 6, 12,
                   strcmp (*n, "e") == 0 ? 12 : -1);
    }
  write_truncated (dir, "train/f.png", "train/a.png");
  for (int i = 0; i < 8 * 6; i++)
    wide[i] = GUINT16_TO_BE (3);
  {
    g_autoptr (GBytes) b16 = ds_png_bytes (8, 6, 16, PNG_COLOR_TYPE_GRAY, wide, NULL, 0, FALSE);
    g_autofree char *p = ds_path (dir, "trainannot/g.png");
    ds_write_bytes (p, b16);
  }
  write_rgb (dir, "trainannot/h.png", 8, 6);
  write_rgb (dir, "trainannot/k.png", 8, 6);
  write_rgb (dir, "trainannot/m.png", 8, 6);
  {
    g_autofree char *k = ds_path (dir, "train/k.png");
    g_autofree char *m = ds_path (dir, "train/m.png");
    ds_write (k, "", 0);
    ds_write_text (m, "<html>not an image</html>\n");
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_string_append_printf (text, "%s\n", cases[i].line);
      if (cases[i].fragment == NULL && cases[i].line[0])
        n_good++;
      else if (cases[i].fragment && cases[i].at_load)
        n_load++;
      else if (cases[i].fragment)
        n_validate++;
    }
  ds_write_text (list, text->str);
  ds_write_text (test_list, "/SegNet/CamVid/test/j.png /SegNet/CamVid/testannot/j.png\n");
  write_rgb (dir, "test/j.png", 8, 6);
  write_label (dir, "testannot/j.png", 8, 6, 12, -1);
  /* no val.txt: the split is simply absent */

  ds = rl_dataset_load ("camvid", dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ds->problems->len; i++)
    g_test_message ("load: %s", (char *) ds->problems->pdata[i]);
  g_assert_cmpuint (ds->problems->len, ==, n_load);
  g_assert_cmpuint (split_len (ds, "val"), ==, 0);
  g_assert_cmpuint (split_len (ds, "test"), ==, 1);
  g_assert_cmpuint (split_len (ds, "train"), ==, n_good + n_validate);

  bad = rl_dataset_validate (ds, TRUE, NULL, NULL);
  for (guint i = n_load; i < ds->problems->len; i++)
    g_test_message ("validate: %s", (char *) ds->problems->pdata[i]);
  g_assert_cmpuint (bad, ==, n_validate);
  g_assert_cmpuint (ds->problems->len, ==, n_load + n_validate);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    if (cases[i].fragment)
      {
        if (!has_problem (ds, cases[i].file, cases[i].fragment))
          g_error ("no problem naming %s with '%s'", cases[i].file, cases[i].fragment);
      }
  for (guint i = 0; i < ds->problems->len; i++)
    {
      const char *p = ds->problems->pdata[i];
      g_assert_null (strchr (p, '\n'));
      g_assert_true (g_str_has_prefix (p, dir));   /* starts with the file's path */
    }
  /* drop_bad kept a, c, i (train) and j (test), in order. */
  g_assert_cmpuint (ds->samples->len, ==, n_good + 1);
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[0])->name, ==, "a");
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[1])->name, ==, "c");
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[2])->name, ==, "i");
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[3])->name, ==, "j");
  g_assert_true (g_str_has_suffix (rl_dataset_find (ds, "i")->label_path, "trainannot/i.png"));
  g_assert_cmpstr (rl_dataset_find (ds, "j")->split, ==, "test");
  g_assert_null (rl_dataset_find (ds, "e"));

  /* One list file on its own: its name is the split, its folder the root. */
  {
    g_autoptr (RlDataset) one = rl_dataset_load ("camvid", test_list, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (one->samples->len, ==, 1);
    g_assert_cmpstr (((RlSample *) one->samples->pdata[0])->split, ==, "test");
    g_assert_cmpstr (one->root, ==, dir);
  }
  ds_rmtree (dir);
}

/* ---- generic folder ---------------------------------------------------------------------- */

static const char *classes_json =
  "{\"classes\": [{\"name\": \"sky\", \"color\": [128,128,128]},\n"
  "               {\"name\": \"road\", \"color\": [128,64,128]},\n"
  "               {\"name\": \"car\", \"color\": [64,0,128]}],\n"
  " \"ignore_index\": 255, \"void_color\": [1,2,3]}\n";

static void
test_folder (void)
{
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *root = g_build_filename (dir, "mydata", NULL);
  g_autofree char *json = ds_path (root, "classes.json");
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = NULL;
  RlSample *s;

  ds_write_text (json, classes_json);
  write_rgb (root, "images/z.png", 6, 4);            /* flat: train */
  write_label (root, "labels/z.png", 6, 4, 3, 3);    /* 3 is neither a class nor 255 */
  write_rgb (root, "images/train/x.png", 6, 4);
  write_label (root, "labels/train/x.png", 6, 4, 3, 255);
  write_jpeg (root, "images/val/y.jpg", 6, 4);       /* no label */
  write_rgb (root, "images/test/w.png", 5, 5);
  write_label (root, "labels/test/w.png", 5, 5, 3, -1);

  ds = rl_dataset_load ("folder", root, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->kind, ==, "folder");
  g_assert_cmpstr (ds->spec->id, ==, "mydata");
  g_assert_cmpint (ds->spec->n_classes, ==, 3);
  g_assert_cmpint (ds->spec->ignore_index, ==, 255);
  g_assert_cmpuint (ds->spec->void_rgb[2], ==, 3);
  g_assert_cmpstr (ds->spec->classes[2].name, ==, "car");
  g_assert_cmpuint (ds->samples->len, ==, 4);
  s = ds->samples->pdata[0];
  g_assert_cmpstr (s->name, ==, "z");
  g_assert_cmpstr (s->split, ==, "train");
  s = ds->samples->pdata[1];
  g_assert_cmpstr (s->name, ==, "x");
  g_assert_cmpstr (s->split, ==, "train");
  g_assert_true (g_str_has_suffix (s->label_path, "labels/train/x.png"));
  s = ds->samples->pdata[2];
  g_assert_cmpstr (s->split, ==, "val");
  g_assert_null (s->label_path);
  g_assert_cmpstr (((RlSample *) ds->samples->pdata[3])->split, ==, "test");

  g_assert_cmpuint (rl_dataset_validate (ds, FALSE, NULL, NULL), ==, 1);
  g_assert_cmpuint (ds->problems->len, ==, 1);
  g_assert_true (has_problem (ds, "labels/z.png", "value 3 at (1,1) out of range"));
  g_assert_cmpuint (ds->samples->len, ==, 4);   /* not dropped */
  ds_rmtree (dir);
}

static void
test_classes_json (void)
{
  static const struct
  {
    const char *json;
    const char *fragment;
  } bad[] = {
    { "{\"classes\": [", "invalid JSON" },
    { "[1, 2]", "expected a JSON object" },
    { "{\"ignore_index\": 3}", "missing \"classes\"" },
    { "{\"classes\": []}", "1..256 entries" },
    { "{\"classes\": [{\"name\": \"a\", \"color\": [1, 2]}]}", "class 0's \"color\" must be" },
    { "{\"classes\": [{\"name\": \"a\", \"color\": [1, 2, 300]}]}", "0..255" },
    { "{\"classes\": [{\"color\": [1, 2, 3]}]}", "class 0 has no \"name\"" },
    { "{\"classes\": [{\"name\": \"a\", \"color\": [1, 2, 3]}], \"ignore_index\": -1}",
      "\"ignore_index\" must be" },
    { "{\"classes\": [{\"name\": \"a\", \"color\": [1, 2, 3]}], \"void_color\": \"black\"}",
      "\"void_color\" must be" },    /* json-glib quotes the text it choked on, newlines included: still one line here. */
    { "{\"classes   },\n    {\n      \"name\": 1}", "invalid JSON" },
  };
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "classes.json", NULL);
  g_autofree char *missing = g_build_filename (dir, "nothere.json", NULL);
  g_autoptr (RlClassSpec) camvid = rl_class_spec_camvid ();
  g_autoptr (RlClassSpec) back = NULL;
  g_autoptr (RlClassSpec) copy = NULL;
  g_autofree char *json = NULL;
  g_autoptr (GError) error = NULL;

  /* Round trip of a built-in spec through JSON and copy. */
  json = rl_class_spec_to_json (camvid);
  back = rl_class_spec_from_json (json, &error);
  g_assert_no_error (error);
  copy = rl_class_spec_copy (back);
  g_assert_cmpstr (copy->id, ==, "camvid");
  g_assert_cmpint (copy->n_classes, ==, camvid->n_classes);
  g_assert_cmpint (copy->ignore_index, ==, 11);
  g_assert_false (copy->high_is_void);
  for (int i = 0; i < camvid->n_classes; i++)
    {
      g_assert_cmpstr (copy->classes[i].name, ==, camvid->classes[i].name);
      g_assert_cmpuint (copy->classes[i].r, ==, camvid->classes[i].r);
      g_assert_cmpuint (copy->classes[i].g, ==, camvid->classes[i].g);
      g_assert_cmpuint (copy->classes[i].b, ==, camvid->classes[i].b);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (RlClassSpec) spec = NULL;
      ds_write_text (path, bad[i].json);
      g_clear_error (&error);
      spec = rl_class_spec_load_json (path, &error);
      g_test_message ("%s", error ? error->message : "(no error)");
      g_assert_null (spec);
      g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT);
      ds_assert_message (error, path, bad[i].fragment);
    }
  g_clear_error (&error);
  g_assert_null (rl_class_spec_load_json (missing, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND);
  ds_assert_message (error, missing, "no such file");
  /* Over RL_CLASS_SPEC_MAX_BYTES: refused on its size (sparse, so nothing is written or read). */
  g_clear_error (&error);
  ds_write_text (path, "{\"classes\": [{\"name\": \"a\", \"color\": [1, 2, 3]}]}");
  {
    g_autoptr (RlClassSpec) small = rl_class_spec_load_json (path, &error);
    g_assert_no_error (error);
    g_assert_nonnull (small);
  }
  g_assert_cmpint (truncate (path, RL_CLASS_SPEC_MAX_BYTES + 1), ==, 0);
  g_assert_null (rl_class_spec_load_json (path, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT);
  ds_assert_message (error, path, "too large for a class list");
  ds_rmtree (dir);
}

/* ---- SUN RGB-D layouts ------------------------------------------------------------------- */

static void
test_sunrgbd_layouts (void)
{
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *conv = g_build_filename (dir, "conversion", NULL);
  g_autofree char *skku = g_build_filename (dir, "skku", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) a = NULL;
  g_autoptr (RlDataset) b = NULL;
  g_autofree guint8 *l = g_malloc (7 * 5);
  g_autofree char *lpath = NULL;

  /* The common conversion: img-NNNNNN.jpg per split folder, all labels in one folder. Values
   * above 37 do not fit the default 1-based convention and are refused (a 0-based file with
   * 255 = void would otherwise shift silently); 1-based-255 takes 255 as void, not 200. */
  write_jpeg (conv, "SUNRGBD-train_images/img-005051.jpg", 7, 5);
  write_jpeg (conv, "SUNRGBD-train_images/img-005052.jpg", 7, 5);
  write_jpeg (conv, "SUNRGBD-test_images/img-000001.jpg", 7, 5);
  for (int i = 0; i < 7 * 5; i++)
    l[i] = (guint8) (i % 38);
  l[3] = 255;
  lpath = ds_path (conv, "sunrgbd_train_test_labels/img-005051.png");
  g_assert_true (rl_label_write (lpath, 7, 5, l, NULL, &error));
  g_assert_no_error (error);
  write_label (conv, "sunrgbd_train_test_labels/img-000001.png", 7, 5, 38, 200);

  a = rl_dataset_load ("sunrgbd", conv, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->samples->len, ==, 3);
  g_assert_cmpuint (split_len (a, "train"), ==, 2);
  g_assert_cmpuint (split_len (a, "test"), ==, 1);
  g_assert_cmpstr (rl_dataset_find (a, "img-005051")->label_path, ==, lpath);
  g_assert_null (rl_dataset_find (a, "img-005052")->label_path);
  g_assert_nonnull (rl_dataset_find (a, "img-000001")->label_path);
  g_assert_cmpuint (rl_dataset_validate (a, FALSE, NULL, NULL), ==, 2);
  g_assert_true (has_problem (a, "img-005051.png", "value 255 at pixel (3, 0)"));
  g_assert_true (has_problem (a, "img-000001.png", "value 200 at pixel (1, 1)"));
  {
    RlDatasetOptions opt = { RL_LABEL_CONVENTION_1_BASED_255, "--label-convention" };
    g_autoptr (RlDataset) a255 = rl_dataset_load_with ("sunrgbd", conv, &opt, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rl_dataset_validate (a255, FALSE, NULL, NULL), ==, 1);
    g_assert_true (has_problem (a255, "img-000001.png", "value 200 at pixel (1, 1)"));
  }

  /* The sample's layout with label folders next to color/, and a label of the wrong size. */
  write_jpeg (skku, "train/color/0001.png", 7, 5);
  write_label (skku, "train/label/0001.png", 7, 5, 38, -1);
  write_jpeg (skku, "val/color/0002.png", 7, 5);
  write_label (skku, "val/labels/0002.png", 5, 7, 38, -1);
  b = rl_dataset_load ("sunrgbd", skku, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (b->samples->len, ==, 2);
  g_assert_nonnull (rl_dataset_find (b, "0001")->label_path);
  g_assert_cmpuint (rl_dataset_validate (b, FALSE, NULL, NULL), ==, 1);
  g_assert_true (has_problem (b, "val/labels/0002.png", "label is 5x7 but its image"));
  ds_rmtree (dir);
}

/* ---- load errors ------------------------------------------------------------------------- */

static void
test_load_errors (void)
{
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *missing = g_build_filename (dir, "nothere", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *nolist = g_build_filename (dir, "nolist", NULL);
  g_autofree char *allbad = g_build_filename (dir, "allbad", NULL);
  g_autofree char *noimages = g_build_filename (dir, "noimages", NULL);
  g_autofree char *p = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (empty, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (nolist, 0755), ==, 0);
  p = ds_path (allbad, "train.txt");
  ds_write_text (p, "/SegNet/CamVid/train/x.png\n");
  g_free (p);
  p = ds_path (noimages, "classes.json");
  ds_write_text (p, classes_json);

  g_assert_null (rl_dataset_load ("camvid", missing, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND);
  ds_assert_message (error, missing, "no such folder");
  g_clear_error (&error);

  g_assert_null (rl_dataset_load ("pascal", empty, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_KIND);
  ds_assert_message (error, empty, "unknown dataset kind 'pascal'");
  g_clear_error (&error);

  g_assert_null (rl_dataset_load ("camvid", nolist, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND);
  ds_assert_message (error, nolist, "no train.txt, val.txt or test.txt");
  g_clear_error (&error);

  g_assert_null (rl_dataset_load ("camvid", allbad, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY);
  ds_assert_message (error, allbad, "train.txt:1: one field");
  g_clear_error (&error);

  /* A list file over RL_DATASET_MAX_LIST_BYTES (sparse) is refused unread. */
  {
    g_autofree char *big = g_build_filename (dir, "biglist", NULL);
    g_autofree char *list = ds_path (big, "train.txt");
    ds_write_text (list, "train/a.png trainannot/a.png\n");
    g_assert_cmpint (truncate (list, RL_DATASET_MAX_LIST_BYTES + 1), ==, 0);
    g_assert_null (rl_dataset_load ("camvid", big, &error));
    g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY);
    ds_assert_message (error, list, "too large for a list file");
    g_clear_error (&error);
  }

  g_assert_null (rl_dataset_load ("sunrgbd", empty, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_EMPTY);
  ds_assert_message (error, empty, "no SUN RGB-D images");
  g_clear_error (&error);

  g_assert_null (rl_dataset_load ("folder", empty, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND);
  ds_assert_message (error, "classes.json", "no such file");
  g_clear_error (&error);

  g_assert_null (rl_dataset_load ("folder", noimages, &error));
  g_assert_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND);
  ds_assert_message (error, "noimages/images", "no such folder");
  ds_rmtree (dir);
}

int
main (int argc, char **argv)
{
  gboolean full = FALSE;

  /* --full: only the complete decode of the real CamVid (suite 'datasets', not under ASan). */
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--full") == 0)
      {
        full = TRUE;
        memmove (argv + i, argv + i + 1, (argc - i) * sizeof *argv);
        argc--;
        break;
      }
  g_test_init (&argc, &argv, NULL);
  if (full)
    g_test_add_func ("/datasets/camvid-real-full", test_camvid_full);
  else
    {
      g_test_add_func ("/datasets/camvid-real-light", test_camvid_light);
      g_test_add_func ("/datasets/sunrgbd-sample", test_sunrgbd_sample);
      g_test_add_func ("/datasets/camvid-corrupt", test_camvid_corrupt);
      g_test_add_func ("/datasets/folder", test_folder);
      g_test_add_func ("/datasets/classes-json", test_classes_json);
      g_test_add_func ("/datasets/sunrgbd-layouts", test_sunrgbd_layouts);
      g_test_add_func ("/datasets/load-errors", test_load_errors);
    }
  return g_test_run ();
}
