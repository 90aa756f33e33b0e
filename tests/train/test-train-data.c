/* Tests for the training data module: median-frequency class weights against the values the
 * CamVid README lists, input statistics, and batches (crop, flip, normalisation) by hand. */
#include <math.h>
#include <string.h>

#include "rl-dataset.h"
#include "rl-train-data.h"

static void
test_camvid_class_weights (void)
{
  const char *root = g_getenv ("RELABEL_CAMVID");
  if (root == NULL || !g_file_test (root, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("RELABEL_CAMVID not set or missing");
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = rl_dataset_load ("camvid", root, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) train = rl_dataset_split (ds, "train");
  g_assert_cmpuint (train->len, ==, 367);
  g_autoptr (RlTrainSet) set = rl_train_set_load (train, ds->spec, 0.25, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (set->n, ==, 367);
  g_assert_cmpint (set->height, ==, 90);
  g_assert_cmpint (set->width, ==, 120);

  /* Counted at full resolution: the README's per-class pixel counts exactly. */
  static const guint64 counts[11] = { 10682767, 14750079, 623349, 20076880, 2845085, 6166762,
                                      743859, 714595, 3719877, 405385, 184967 };
  for (int c = 0; c < 11; c++)
    g_assert_cmpuint (set->class_pixels[c], ==, counts[c]);

  /* The README's median-frequency weights (4 decimals). */
  static const float expect[11] = { 0.2793f, 0.2017f, 4.7865f, 0.1490f, 1.0000f, 0.4217f,
                                    3.8467f, 1.9736f, 0.7889f, 6.3747f, 8.8587f };
  float w[11];
  rl_train_set_class_weights (set, w);
  for (int c = 0; c < 11; c++)
    g_assert_cmpfloat_with_epsilon (w[c], expect[c], 0.00051);

  /* --class-weight-power: 0.5 gives the square roots (by hand: sqrt 4.7865 = 2.1878), 0 every
   * present class 1; a class that never occurs keeps 0 */
  float soft[12], none[12];
  memcpy (soft, w, sizeof w);
  memcpy (none, w, sizeof w);
  soft[11] = none[11] = 0.0f;
  rl_class_weights_power (soft, 12, 0.5);
  rl_class_weights_power (none, 12, 0.0);
  g_assert_cmpfloat_with_epsilon (soft[2], 2.1878f, 0.0003);
  g_assert_cmpfloat_with_epsilon (soft[3], 0.3860f, 0.0003);    /* sqrt 0.1490 */
  g_assert_cmpfloat_with_epsilon (soft[10], 2.9764f, 0.0003);   /* sqrt 8.8587 */
  for (int c = 0; c < 11; c++)
    g_assert_cmpfloat (none[c], ==, 1.0f);
  g_assert_cmpfloat (soft[11], ==, 0.0f);
  g_assert_cmpfloat (none[11], ==, 0.0f);

  /* Void (11) stays the ignore value after scaling; no other value appears. */
  gsize npix = (gsize) set->n * set->height * set->width;
  for (gsize p = 0; p < npix; p++)
    g_assert_cmpuint (set->labels[p], <=, 11);
}

/* A 2x4 synthetic set checked by hand. */
static RlTrainSet *
tiny_set (void)
{
  RlTrainSet *set = g_new0 (RlTrainSet, 1);
  set->n = 1;
  set->height = 2;
  set->width = 4;
  set->n_classes = 3;
  set->ignore_index = 3;
  set->rgb = g_malloc (2 * 4 * 3);
  set->labels = g_malloc (2 * 4);
  for (int p = 0; p < 8; p++)
    {
      set->rgb[p * 3 + 0] = (guint8) (p * 10);
      set->rgb[p * 3 + 1] = (guint8) (p * 10 + 1);
      set->rgb[p * 3 + 2] = (guint8) (p * 10 + 2);
      set->labels[p] = (guint8) (p % 4);
    }
  set->names = g_new0 (char *, 2);
  set->names[0] = g_strdup ("tiny");
  set->class_pixels = g_new0 (guint64, 3);
  set->class_image_pixels = g_new0 (guint64, 3);
  return set;
}

static void
test_batch_crop_flip (void)
{
  g_autoptr (RlTrainSet) set = tiny_set ();
  const float mean[3] = { 0, 0, 0 }, std[3] = { 1, 1, 1 };
  float x[3 * 2 * 4];
  guint8 y[2 * 4];
  int idx = 0;
  RlRand rng;

  /* No crop, no flip: x = rgb / 255 in planar layout, y = labels. */
  rl_rand_seed (&rng, 1);
  rl_train_set_make_batch (set, &idx, 1, 2, 4, FALSE, &rng, mean, std, x, y);
  for (int p = 0; p < 8; p++)
    {
      g_assert_cmpfloat_with_epsilon (x[p], p * 10 / 255.0f, 1e-6);
      g_assert_cmpfloat_with_epsilon (x[8 + p], (p * 10 + 1) / 255.0f, 1e-6);
      g_assert_cmpfloat_with_epsilon (x[16 + p], (p * 10 + 2) / 255.0f, 1e-6);
      g_assert_cmpuint (y[p], ==, p % 4);
    }

  /* Flips happen about half the time, and a flipped row is the row reversed. */
  int flipped = 0;
  for (int t = 0; t < 200; t++)
    {
      rl_train_set_make_batch (set, &idx, 1, 2, 4, TRUE, &rng, mean, std, x, y);
      gboolean is_flipped = y[0] == 3;
      if (is_flipped)
        {
          flipped++;
          for (int q = 0; q < 4; q++)
            g_assert_cmpuint (y[q], ==, (3 - q) % 4);
        }
      else
        g_assert_cmpuint (y[0], ==, 0);
    }
  g_assert_cmpint (flipped, >, 60);
  g_assert_cmpint (flipped, <, 140);

  /* Crops of 1x2 stay inside and cover every offset. */
  gboolean seen[2][3] = { { FALSE } };
  for (int t = 0; t < 200; t++)
    {
      rl_train_set_make_batch (set, &idx, 1, 1, 2, FALSE, &rng, mean, std, x, y);
      int p = (int) lroundf (x[0] * 255.0f / 10.0f); /* source pixel index */
      int r = p / 4, q = p % 4;
      g_assert_cmpint (q, <=, 2);
      g_assert_cmpuint (y[1], ==, (p + 1) % 4);
      seen[r][q] = TRUE;
    }
  for (int r = 0; r < 2; r++)
    for (int q = 0; q < 3; q++)
      g_assert_true (seen[r][q]);
}

static void
test_normalisation_and_stats (void)
{
  g_autoptr (RlTrainSet) set = tiny_set ();
  float mean[3], std[3];
  rl_train_set_input_stats (set, mean, std);
  /* Channel 0 holds 0,10,...,70: mean 35/255, population std sqrt(525)/255. */
  g_assert_cmpfloat_with_epsilon (mean[0], 35.0f / 255.0f, 1e-6);
  g_assert_cmpfloat_with_epsilon (std[0], sqrtf (525.0f) / 255.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (mean[2], 37.0f / 255.0f, 1e-6);

  float x[24];
  guint8 y[8];
  int idx = 0;
  RlRand rng;
  rl_rand_seed (&rng, 7);
  rl_train_set_make_batch (set, &idx, 1, 2, 4, FALSE, &rng, mean, std, x, y);
  double s = 0, sq = 0;
  for (int p = 0; p < 8; p++)
    {
      s += x[p];
      sq += x[p] * x[p];
    }
  g_assert_cmpfloat_with_epsilon (s / 8, 0.0, 1e-5);
  g_assert_cmpfloat_with_epsilon (sq / 8, 1.0, 1e-4);
}

static void
test_rand_deterministic (void)
{
  RlRand a, b;
  rl_rand_seed (&a, 42);
  rl_rand_seed (&b, 42);
  for (int i = 0; i < 100; i++)
    g_assert_cmpuint (rl_rand_next (&a), ==, rl_rand_next (&b));
  guint hist[5] = { 0 };
  for (int i = 0; i < 5000; i++)
    hist[rl_rand_below (&a, 5)]++;
  for (int i = 0; i < 5; i++)
    g_assert_cmpuint (hist[i], >, 850);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-data/rand", test_rand_deterministic);
  g_test_add_func ("/train-data/batch-crop-flip", test_batch_crop_flip);
  g_test_add_func ("/train-data/stats", test_normalisation_and_stats);
  g_test_add_func ("/train-data/camvid-class-weights", test_camvid_class_weights);
  return g_test_run ();
}
