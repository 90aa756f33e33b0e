/* Tests for the training data module: median-frequency class weights against the values the
 * CamVid README lists, input statistics, batches (crop, flip, normalisation) by hand, and the
 * recipe's augmentation: photometric values by hand, draws in range and seeded, random scale
 * keeping labels aligned with the pixels (void stays void). */
#include <math.h>
#include <string.h>

#include "rl-dataset.h"
#include "rl-net.h"
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
  rl_train_set_make_batch (set, &idx, 1, 2, 4, FALSE, &rng, mean, std, RL_INPUT_NORM_DATASET, x, y);
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
      rl_train_set_make_batch (set, &idx, 1, 2, 4, TRUE, &rng, mean, std,
                               RL_INPUT_NORM_DATASET, x, y);
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
      rl_train_set_make_batch (set, &idx, 1, 1, 2, FALSE, &rng, mean, std,
                               RL_INPUT_NORM_DATASET, x, y);
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
  rl_train_set_make_batch (set, &idx, 1, 2, 4, FALSE, &rng, mean, std, RL_INPUT_NORM_DATASET, x, y);
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

/* Two pixels, planar RGB, values checked against hand arithmetic. */
static void
test_photometric_by_hand (void)
{
  const float src[6] = { 0.2f, 0.6f, 0.4f, 0.4f, 0.5f, 0.1f };  /* R R G G B B */
  float v[6];
  RlPhotometric p = { 1.5, 1.0, 1.0, 1.0 };

  /* brightness 1.5: 0.2 -> 0.3, 0.6 -> 0.9, 0.5 -> 0.75; and a value pushed above 1 clamps */
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  g_assert_cmpfloat_with_epsilon (v[0], 0.3f, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[1], 0.9f, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[4], 0.75f, 1e-6);
  p.brightness = 2.0;
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  g_assert_cmpfloat (v[1], ==, 1.0f);

  /* contrast 2 around the mean grey: grey = .299 R + .587 G + .114 B is .3516 and .4256,
   * mean .3886; R .2 -> .3886 - 2 * .1886 = .0114, R .6 -> .8114, G .4 -> .4114,
   * B .5 -> .6114, B .1 -> .3886 - 2 * .2886 < 0 -> 0 */
  p = (RlPhotometric) { 1.0, 2.0, 1.0, 1.0 };
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  g_assert_cmpfloat_with_epsilon (v[0], 0.0114f, 1e-5);
  g_assert_cmpfloat_with_epsilon (v[1], 0.8114f, 1e-5);
  g_assert_cmpfloat_with_epsilon (v[2], 0.4114f, 1e-5);
  g_assert_cmpfloat_with_epsilon (v[4], 0.6114f, 1e-5);
  g_assert_cmpfloat (v[5], ==, 0.0f);

  /* saturation 0: every channel becomes the pixel's grey */
  p = (RlPhotometric) { 1.0, 1.0, 0.0, 1.0 };
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  for (int c = 0; c < 3; c++)
    {
      g_assert_cmpfloat_with_epsilon (v[2 * c], 0.3516f, 1e-5);
      g_assert_cmpfloat_with_epsilon (v[2 * c + 1], 0.4256f, 1e-5);
    }

  /* gamma 2: squares; brightness first, then gamma: (0.2 * 1.5)^2 = 0.09 */
  p = (RlPhotometric) { 1.0, 1.0, 1.0, 2.0 };
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  g_assert_cmpfloat_with_epsilon (v[0], 0.04f, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[1], 0.36f, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[2], 0.16f, 1e-6);
  p.brightness = 1.5;
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  g_assert_cmpfloat_with_epsilon (v[0], 0.09f, 1e-6);

  /* all factors 1: unchanged */
  p = (RlPhotometric) { 1.0, 1.0, 1.0, 1.0 };
  memcpy (v, src, sizeof v);
  rl_photometric_apply (&p, v, 2);
  g_assert_cmpmem (v, sizeof v, src, sizeof src);
}

static void
test_photometric_draw (void)
{
  RlAugment aug = { TRUE, 1.0, 1.0, 0.3, 0.2, 0.1, 0.5 };
  RlRand rng;
  rl_rand_seed (&rng, 3);
  double lo[4] = { 9, 9, 9, 9 }, hi[4] = { 0, 0, 0, 0 };
  for (int i = 0; i < 4000; i++)
    {
      RlPhotometric p;
      rl_photometric_draw (&aug, &rng, &p);
      double f[4] = { p.brightness, p.contrast, p.saturation, p.gamma };
      for (int k = 0; k < 4; k++)
        {
          lo[k] = MIN (lo[k], f[k]);
          hi[k] = MAX (hi[k], f[k]);
        }
    }
  /* inside the ranges, and reaching close to both ends */
  const double want_lo[4] = { 0.7, 0.8, 0.9, 1 / 1.5 }, want_hi[4] = { 1.3, 1.2, 1.1, 1.5 };
  for (int k = 0; k < 4; k++)
    {
      g_assert_cmpfloat (lo[k], >=, want_lo[k] - 1e-12);
      g_assert_cmpfloat (hi[k], <=, want_hi[k] + 1e-12);
      g_assert_cmpfloat (lo[k], <, want_lo[k] + 0.01);
      g_assert_cmpfloat (hi[k], >, want_hi[k] - 0.01);
    }
  /* a step that is off draws nothing: the RNG is where it was */
  RlAugment off = { TRUE, 1.0, 1.0, 0, 0, 0, 0 };
  guint64 before = rng.state;
  RlPhotometric p;
  rl_photometric_draw (&off, &rng, &p);
  g_assert_cmpuint (rng.state, ==, before);
  g_assert_cmpfloat (p.brightness, ==, 1.0);
  g_assert_cmpfloat (p.gamma, ==, 1.0);
}

/* A 40x60 set of stripes 5 pixels wide (across columns, or across rows when rows): stripe s
 * has label s % 4 (0, 1, 2 and void 3) and every channel 20 + 20 s. */
static RlTrainSet *
stripes_set (gboolean rows)
{
  RlTrainSet *set = g_new0 (RlTrainSet, 1);
  set->n = 1;
  set->height = 40;
  set->width = 60;
  set->n_classes = 3;
  set->ignore_index = 3;
  set->rgb = g_malloc (40 * 60 * 3);
  set->labels = g_malloc (40 * 60);
  for (int r = 0; r < 40; r++)
    for (int q = 0; q < 60; q++)
      {
        int stripe = (rows ? r : q) / 5;
        set->labels[r * 60 + q] = (guint8) (stripe % 4);
        for (int c = 0; c < 3; c++)
          set->rgb[(r * 60 + q) * 3 + c] = (guint8) (20 + 20 * stripe);
      }
  set->names = g_new0 (char *, 2);
  set->names[0] = g_strdup ("stripes");
  set->class_pixels = g_new0 (guint64, 3);
  set->class_image_pixels = g_new0 (guint64, 3);
  return set;
}

/* Counts label changes along the first row (or column) of a 16x24 batch. */
static int
label_changes (const guint8 *y, gboolean rows)
{
  int n = 0, len = rows ? 16 : 24, stride = rows ? 24 : 1;
  for (int i = 1; i < len; i++)
    n += y[i * stride] != y[(i - 1) * stride];
  return n;
}

static void
test_random_scale_alignment (void)
{
  const float mean[3] = { 0, 0, 0 }, std[3] = { 1, 1, 1 };
  float x[3 * 16 * 24];
  guint8 y[16 * 24];
  int idx = 0;
  for (int rows = 0; rows < 2; rows++)
    {
      g_autoptr (RlTrainSet) set = stripes_set (rows);
      RlAugment aug = { TRUE, 0.5, 2.0, 0, 0, 0, 0 };
      RlRand rng;
      rl_rand_seed (&rng, 11 + rows);
      gboolean seen[4] = { FALSE };
      for (int t = 0; t < 300; t++)
        {
          rl_train_set_make_batch_aug (set, &idx, 1, 16, 24, &aug, &rng, mean, std,
                                       RL_INPUT_NORM_DATASET, x, y);
          for (int d = 0; d < 16 * 24; d++)
            {
              /* The label is the source pixel nearest the sampled point; bilinear mixes at
               * most the two stripes around it with the nearest weighing >= 1/2, so the
               * pixel is within half a colour step (10) of a stripe that has its label. A
               * label taken a pixel or more away from the sampled point fails this near every
               * stripe edge. */
              g_assert_cmpuint (y[d], <=, 3);
              seen[y[d]] = TRUE;
              for (int c = 0; c < 3; c++)
                {
                  float v = x[c * 16 * 24 + d] * 255.0f;
                  int s = (int) lroundf ((v - 20.0f) / 20.0f);
                  gboolean near = FALSE;
                  for (int t2 = MAX (0, s - 1); t2 <= s + 1; t2++)
                    near |= t2 % 4 == y[d] && fabsf (v - (20 + 20 * t2)) <= 10.001f;
                  if (!near)
                    g_error ("pixel %d: value %.3f, label %u", d, v, y[d]);
                }
            }
        }
      for (int l = 0; l < 4; l++)
        g_assert_true (seen[l]);   /* void included: it stays void, never mixed away */

      /* The factor is in effect: at 2 a 24-wide crop covers 12 source pixels (at most 3 stripe
       * edges); at 0.5 it covers 48 (at least 8). */
      RlAugment big = { FALSE, 2.0, 2.0, 0, 0, 0, 0 }, small = { FALSE, 0.5, 0.5, 0, 0, 0, 0 };
      for (int t = 0; t < 50; t++)
        {
          rl_train_set_make_batch_aug (set, &idx, 1, 16, 24, &big, &rng, mean, std,
                                       RL_INPUT_NORM_DATASET, x, y);
          g_assert_cmpint (label_changes (y, rows), <=, rows ? 2 : 3);
          rl_train_set_make_batch_aug (set, &idx, 1, 16, 24, &small, &rng, mean, std,
                                       RL_INPUT_NORM_DATASET, x, y);
          g_assert_cmpint (label_changes (y, rows), >=, rows ? 5 : 8);
        }
    }
}

/* A 20x30 set of pseudo-random pixels and labels. */
static RlTrainSet *
noise_set (void)
{
  RlTrainSet *set = g_new0 (RlTrainSet, 1);
  set->n = 2;
  set->height = 20;
  set->width = 30;
  set->n_classes = 3;
  set->ignore_index = 3;
  set->rgb = g_malloc (2 * 20 * 30 * 3);
  set->labels = g_malloc (2 * 20 * 30);
  RlRand r;
  rl_rand_seed (&r, 99);
  for (int i = 0; i < 2 * 20 * 30 * 3; i++)
    set->rgb[i] = (guint8) rl_rand_below (&r, 256);
  for (int i = 0; i < 2 * 20 * 30; i++)
    set->labels[i] = (guint8) rl_rand_below (&r, 4);
  set->names = g_new0 (char *, 3);
  set->names[0] = g_strdup ("a");
  set->names[1] = g_strdup ("b");
  set->class_pixels = g_new0 (guint64, 3);
  set->class_image_pixels = g_new0 (guint64, 3);
  return set;
}

/* input_norm "image": each crop's planes come out standardised, whatever mean/std and the
 * jitter did to them. By hand on the tiny set's image 0: channel c holds (10 p + c) / 255 for
 * pixel p = 0..7, so after any affine map every plane is (p - 3.5) * 10 / 255 over
 * sqrt (var + eps) with var = 525 / 255^2 (once the dataset mean/std of 1 leave it as is). */
static void
test_batch_image_norm (void)
{
  g_autoptr (RlTrainSet) set = tiny_set ();
  const float mean[3] = { 0, 0, 0 }, std[3] = { 1, 1, 1 };
  float x[24];
  guint8 y[8];
  int idx = 0;
  RlRand rng;
  rl_rand_seed (&rng, 1);
  rl_train_set_make_batch (set, &idx, 1, 2, 4, FALSE, &rng, mean, std, RL_INPUT_NORM_IMAGE, x,
                           y);
  double var = 525.0 / (255.0 * 255.0);
  for (int c = 0; c < 3; c++)
    for (int p = 0; p < 8; p++)
      g_assert_cmpfloat_with_epsilon (x[8 * c + p],
                                      (p - 3.5) * 10.0 / 255.0 / sqrt (var + RL_STANDARDIZE_EPS),
                                      1e-5);

  /* With scale and jitter on, every crop's planes have mean 0 and variance v / (v + eps), v
   * the variance of the same crop normalised by the dataset's mean/std. */
  g_autoptr (RlTrainSet) noise = noise_set ();
  const float m2[3] = { 0.5f, 0.4f, 0.3f }, s2[3] = { 0.2f, 0.25f, 0.3f };
  RlAugment aug = { TRUE, 0.75, 1.25, 0.25, 0.25, 0.25, 0.25 };
  int two[2] = { 1, 0 };
  float xa[2 * 3 * 12 * 16], xd[2 * 3 * 12 * 16];
  guint8 ya[2 * 12 * 16], yd[2 * 12 * 16];
  RlRand a, d;
  rl_rand_seed (&a, 3);
  rl_rand_seed (&d, 3);
  rl_train_set_make_batch_aug (noise, two, 2, 12, 16, &aug, &a, m2, s2, RL_INPUT_NORM_IMAGE, xa,
                               ya);
  rl_train_set_make_batch_aug (noise, two, 2, 12, 16, &aug, &d, m2, s2, RL_INPUT_NORM_DATASET,
                               xd, yd);
  g_assert_cmpmem (ya, sizeof ya, yd, sizeof yd);   /* the same draws, the same geometry */
  g_assert_cmpuint (a.state, ==, d.state);
  for (int pl = 0; pl < 6; pl++)
    {
      const float *v = xa + pl * 12 * 16, *u = xd + pl * 12 * 16;
      double sv = 0, su = 0, qv = 0, qu = 0;
      for (int i = 0; i < 12 * 16; i++)
        {
          sv += v[i];
          su += u[i];
        }
      for (int i = 0; i < 12 * 16; i++)
        {
          qv += (v[i] - sv / 192) * (v[i] - sv / 192);
          qu += (u[i] - su / 192) * (u[i] - su / 192);
        }
      double vd = qu / 192;   /* the dataset-normalised plane's variance */
      g_assert_cmpfloat (vd, >, 0.01);
      g_assert_cmpfloat_with_epsilon (sv / 192, 0.0, 1e-5);
      g_assert_cmpfloat_with_epsilon (qv / 192, vd / (vd + RL_STANDARDIZE_EPS), 1e-4);
      /* and it is the dataset-normalised crop standardised */
      for (int i = 0; i < 12 * 16; i++)
        g_assert_cmpfloat_with_epsilon (v[i], (u[i] - su / 192)
                                                  / sqrt (qu / 192 + RL_STANDARDIZE_EPS), 1e-4);
    }
}

static void
test_augment_seeded (void)
{
  g_autoptr (RlTrainSet) set = noise_set ();
  const float mean[3] = { 0.5f, 0.4f, 0.3f }, std[3] = { 0.2f, 0.25f, 0.3f };
  RlAugment aug = { TRUE, 0.75, 1.25, 0.25, 0.25, 0.25, 0.25 };
  int idx[2] = { 1, 0 };
  float xa[2 * 3 * 12 * 16], xb[2 * 3 * 12 * 16];
  guint8 ya[2 * 12 * 16], yb[2 * 12 * 16];
  RlRand a, b;

  /* the same seed (or the same saved state) gives the same batch, bit for bit */
  rl_rand_seed (&a, 5);
  rl_rand_seed (&b, 5);
  for (int t = 0; t < 3; t++)
    {
      rl_train_set_make_batch_aug (set, idx, 2, 12, 16, &aug, &a, mean, std,
                                   RL_INPUT_NORM_DATASET, xa, ya);
      RlRand saved = b;
      rl_train_set_make_batch_aug (set, idx, 2, 12, 16, &aug, &saved, mean, std,
                                   RL_INPUT_NORM_DATASET, xb, yb);
      b = saved;
      g_assert_cmpmem (xa, sizeof xa, xb, sizeof xb);
      g_assert_cmpmem (ya, sizeof ya, yb, sizeof yb);
      g_assert_cmpuint (a.state, ==, b.state);
    }
  /* another seed another batch */
  rl_rand_seed (&b, 6);
  rl_train_set_make_batch_aug (set, idx, 2, 12, 16, &aug, &b, mean, std,
                               RL_INPUT_NORM_DATASET, xb, yb);
  g_assert_true (memcmp (xa, xb, sizeof xa) != 0);

  /* with only flips on, the batches (and the RNG after them) are rl_train_set_make_batch's */
  RlAugment flip = { TRUE, 1.0, 1.0, 0, 0, 0, 0 };
  rl_rand_seed (&a, 8);
  rl_rand_seed (&b, 8);
  for (int t = 0; t < 5; t++)
    {
      rl_train_set_make_batch_aug (set, idx, 2, 12, 16, &flip, &a, mean, std,
                                   RL_INPUT_NORM_DATASET, xa, ya);
      rl_train_set_make_batch (set, idx, 2, 12, 16, TRUE, &b, mean, std,
                               RL_INPUT_NORM_DATASET, xb, yb);
      g_assert_cmpmem (xa, sizeof xa, xb, sizeof xb);
      g_assert_cmpmem (ya, sizeof ya, yb, sizeof yb);
    }
  g_assert_cmpuint (a.state, ==, b.state);

  /* photometric jitter changes pixels, never labels (one image: its draws come after the
   * crop's, so the crop is the same) */
  RlAugment photo = { TRUE, 1.0, 1.0, 0.25, 0.25, 0.25, 0.25 };
  rl_rand_seed (&a, 8);
  rl_rand_seed (&b, 8);
  rl_train_set_make_batch_aug (set, idx, 1, 12, 16, &photo, &a, mean, std,
                               RL_INPUT_NORM_DATASET, xa, ya);
  rl_train_set_make_batch (set, idx, 1, 12, 16, TRUE, &b, mean, std, RL_INPUT_NORM_DATASET, xb, yb);
  g_assert_cmpmem (ya, 12 * 16, yb, 12 * 16);
  g_assert_true (memcmp (xa, xb, 3 * 12 * 16 * sizeof (float)) != 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train-data/rand", test_rand_deterministic);
  g_test_add_func ("/train-data/batch-crop-flip", test_batch_crop_flip);
  g_test_add_func ("/train-data/stats", test_normalisation_and_stats);
  g_test_add_func ("/train-data/photometric-by-hand", test_photometric_by_hand);
  g_test_add_func ("/train-data/photometric-draw", test_photometric_draw);
  g_test_add_func ("/train-data/random-scale-alignment", test_random_scale_alignment);
  g_test_add_func ("/train-data/augment-seeded", test_augment_seeded);
  g_test_add_func ("/train-data/batch-image-norm", test_batch_image_norm);
  g_test_add_func ("/train-data/camvid-class-weights", test_camvid_class_weights);
  return g_test_run ();
}
