/* Unit tests of engine/rl-metrics: cases small enough to check on paper (derivations in the
 * comments), and the fast boundary F1 against a brute-force reading of the definition. */
#include <glib.h>
#include <math.h>
#include <string.h>

#include "rl-metrics.h"

#define EPS 1e-12

static void
check_close (double got, double want, const char *what)
{
  if (isnan (want))
    {
      if (!isnan (got))
        g_error ("%s: got %.17g, want NaN", what, got);
      return;
    }
  if (!(fabs (got - want) <= EPS))
    g_error ("%s: got %.17g, want %.17g", what, got, want);
}

/* (H, W) image filled with value. */
static guint8 *
image_new (int H, int W, guint8 value)
{
  guint8 *im = g_malloc ((gsize) H * W);
  memset (im, value, (gsize) H * W);
  return im;
}

/* Sets rows r0..r1-1, cols c0..c1-1 to value. */
static void
fill_rect (guint8 *im, int W, int r0, int r1, int c0, int c1, guint8 value)
{
  for (int r = r0; r < r1; r++)
    for (int c = c0; c < c1; c++)
      im[r * W + c] = value;
}

static RlMetrics *
metrics_of (int K, int ignore, const guint8 *truth, const guint8 *pred, int H, int W)
{
  RlMetrics *m = rl_metrics_new (K, ignore);
  g_assert_nonnull (m);
  RlError err = { { 0 } };
  if (rl_metrics_add_image (m, truth, pred, H, W, &err) != RL_OK)
    g_error ("add_image: %s", err.text);
  return m;
}

/* Perfect prediction, void pixels included: every metric is 1 and the confusion is diagonal. */
static void
test_perfect (void)
{
  int H = 6, W = 8;
  guint8 *t = image_new (H, W, 0);
  fill_rect (t, W, 0, 3, 4, 8, 1);
  fill_rect (t, W, 3, 6, 0, 2, 2);
  fill_rect (t, W, 4, 5, 5, 7, 9); /* void (K = 3, ignore 9) */
  RlMetrics *m = metrics_of (3, 9, t, t, H, W);
  check_close (rl_metrics_global_accuracy (m), 1, "G");
  check_close (rl_metrics_class_accuracy (m), 1, "C");
  check_close (rl_metrics_miou (m), 1, "mIoU");
  check_close (rl_metrics_bf (m), 1, "BF");
  const int64_t *n = rl_metrics_confusion (m);
  /* t_0 = 48 - 12 - 6 - 2 = 28, t_1 = 12, t_2 = 6 */
  int64_t want[9] = { 28, 0, 0, 0, 12, 0, 0, 0, 6 };
  for (int k = 0; k < 9; k++)
    g_assert_cmpint (n[k], ==, want[k]);
  for (int c = 0; c < 3; c++)
    {
      RlClassScores s;
      rl_metrics_class (m, c, &s);
      check_close (s.accuracy, 1, "class accuracy");
      check_close (s.iou, 1, "class IoU");
      check_close (s.bf, 1, "class BF");
      g_assert_cmpint (s.bf_images, ==, 1);
    }
  RlImageScores im;
  rl_metrics_image_scores (m, 0, &im);
  check_close (im.bf, 1, "image BF");
  g_assert_cmpint (im.pixels, ==, 46);
  g_assert_cmpint (im.bf_classes, ==, 3);
  rl_metrics_free (m);
  g_free (t);
}

/* K = 4 with ignore 3 inside the class range (like SUN RGB-D), 7 and 5 out of range.
 *   truth  0 0 1 1      pred  0 1 1 2
 *          0 3 1 7            5 2 1 0
 * Void truth: (1,1) = 3 and (1,3) = 7, skipped whatever is predicted there.
 * Non-void: (0,0) 0->0, (0,1) 0->1, (1,0) 0->5 (out of range: wrong, in t_0 only),
 *           (0,2) 1->1, (0,3) 1->2 (class 2 is missing from the truth), (1,2) 1->1.
 * n00 = 1, n01 = 1, n11 = 2, n12 = 1; t = (3, 3, 0, 0).
 *   G = 3/6 = 1/2;  C = (1/3 + 2/3) / 2 = 1/2 (class 2 has t = 0, class 3 is the ignore value)
 *   IoU_0 = 1 / (3 + 1 - 1) = 1/3, IoU_1 = 2 / (3 + 3 - 2) = 1/2, IoU_2 = 0 / (0 + 1 - 0) = 0
 *   mIoU = (1/3 + 1/2 + 0) / 3 = 5/18
 * BF: d = 0.0075 sqrt(20) = 0.034, so only identical pixels match.
 *   truth boundaries: class 0 {(0,0) (0,1) (1,0)}, class 1 {(0,1) (0,2) (0,3) (1,1) (1,2)}
 *   pred boundaries:  class 0 {(0,0) (0,2) (0,3) (1,2)}, class 1 {(0,0) (0,1) (0,2) (1,1) (1,2)},
 *                     class 2 {(0,0) (0,1) (0,2) (0,3) (1,0) (1,1)}
 *   (blocks at (0,j) hold rows 0-1, cols j..j+1; (0,3) compares down, (1,j) compares right.)
 *   class 0: P = 1/4, R = 1/3, F1 = 2/7; class 1: P = R = 4/5, F1 = 4/5;
 *   class 2: no truth boundary, counted with F1 = 0.  BF = (2/7 + 4/5 + 0) / 3 = 38/105. */
static void
test_void_missing_outside (void)
{
  const guint8 t[8] = { 0, 0, 1, 1, 0, 3, 1, 7 };
  const guint8 p[8] = { 0, 1, 1, 2, 5, 2, 1, 0 };
  RlMetrics *m = metrics_of (4, 3, t, p, 2, 4);
  check_close (rl_metrics_global_accuracy (m), 0.5, "G");
  check_close (rl_metrics_class_accuracy (m), 0.5, "C");
  check_close (rl_metrics_miou (m), 5.0 / 18, "mIoU");
  check_close (rl_metrics_bf (m), 38.0 / 105, "BF");
  const int64_t *n = rl_metrics_confusion (m);
  int64_t want[16] = { 1, 1, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  for (int k = 0; k < 16; k++)
    g_assert_cmpint (n[k], ==, want[k]);
  RlClassScores s;
  rl_metrics_class (m, 0, &s);
  check_close (s.accuracy, 1.0 / 3, "acc 0");
  check_close (s.iou, 1.0 / 3, "iou 0");
  check_close (s.bf, 2.0 / 7, "bf 0");
  g_assert_cmpint (s.pixels, ==, 3);
  g_assert_cmpint (s.predicted, ==, 1);
  rl_metrics_class (m, 1, &s);
  check_close (s.accuracy, 2.0 / 3, "acc 1");
  check_close (s.iou, 0.5, "iou 1");
  check_close (s.bf, 0.8, "bf 1");
  rl_metrics_class (m, 2, &s);
  check_close (s.accuracy, NAN, "acc 2");
  check_close (s.iou, 0, "iou 2");
  check_close (s.bf, 0, "bf 2");
  g_assert_cmpint (s.pixels, ==, 0);
  g_assert_cmpint (s.predicted, ==, 1);
  rl_metrics_class (m, 3, &s);
  check_close (s.accuracy, NAN, "acc 3");
  check_close (s.iou, NAN, "iou 3");
  check_close (s.bf, NAN, "bf 3");
  g_assert_cmpint (s.bf_images, ==, 0);

  /* The single-image API gives the same numbers. */
  RlImageScores im;
  RlError err;
  g_assert_cmpint (rl_metrics_image (4, 3, t, p, 2, 4, &im, &err), ==, RL_OK);
  check_close (im.global_accuracy, 0.5, "image G");
  check_close (im.class_accuracy, 0.5, "image C");
  check_close (im.miou, 5.0 / 18, "image mIoU");
  check_close (im.bf, 38.0 / 105, "image BF");
  g_assert_cmpint (im.pixels, ==, 6);
  g_assert_cmpint (im.bf_classes, ==, 3);
  rl_metrics_free (m);
}

/* Truth: columns < 40 are class 0, the rest class 1. Pred: the edge moved right by s columns.
 * Both classes have the same boundary: truth column 39, pred column 39 + s, all H rows (the
 * last row compares right, so it is on the boundary too), at distance exactly s.
 * So BF = 1 when s <= d and 0 when s > d. Confusion: s*H pixels of class 1 predicted 0:
 *   G = (N - sH) / N, C = (1 + (t1 - sH)/t1) / 2, IoU_0 = t0 / (t0 + sH), IoU_1 = (t1-sH)/t1. */
static void
check_shift (int H, int W, int s, double want_bf)
{
  guint8 *t = image_new (H, W, 0), *p = image_new (H, W, 0);
  fill_rect (t, W, 0, H, 40, W, 1);
  fill_rect (p, W, 0, H, 40 + s, W, 1);
  RlMetrics *m = metrics_of (2, 255, t, p, H, W);
  double N = (double) H * W, t0 = 40.0 * H, t1 = N - t0, e = (double) s * H;
  check_close (rl_metrics_global_accuracy (m), (N - e) / N, "G");
  check_close (rl_metrics_class_accuracy (m), (1 + (t1 - e) / t1) / 2, "C");
  check_close (rl_metrics_miou (m), (t0 / (t0 + e) + (t1 - e) / t1) / 2, "mIoU");
  check_close (rl_metrics_bf (m), want_bf, "BF");
  RlImageScores im;
  rl_metrics_image_scores (m, 0, &im);
  g_assert_cmpint (im.bf_classes, ==, 2);
  rl_metrics_free (m);
  g_free (t);
  g_free (p);
}

static void
test_shift_tolerance (void)
{
  /* 80 x 107: d = 0.0075 sqrt(80^2 + 107^2) = 0.0075 * 133.600 = 1.0020 (just above 1);
   * 80 x 106: d = 0.0075 * 132.801 = 0.9960 (just below). */
  g_assert_cmpfloat (rl_metrics_bf_tolerance (80, 107), >, 1.0);
  g_assert_cmpfloat (rl_metrics_bf_tolerance (80, 106), <, 1.0);
  check_shift (80, 107, 1, 1.0);
  check_shift (80, 106, 1, 0.0);
  check_shift (80, 107, 2, 0.0);
  /* 160 x 214: d = 2.0040; 160 x 213: d = 1.9980. */
  check_shift (160, 214, 2, 1.0);
  check_shift (160, 213, 2, 0.0);
  check_shift (160, 214, 3, 0.0);
  /* 360 x 480: d = 4.5, so shifts of 4 count and 5 do not. */
  check_shift (360, 480, 4, 1.0);
  check_shift (360, 480, 5, 0.0);
  check_shift (360, 480, 0, 1.0);
}

/* One pixel of class 1 at (r, c) in truth, at (r+1, c+1) in pred, background 0. A lone pixel's
 * boundary is the four blocks holding it: truth {(r-1,c-1) (r-1,c) (r,c-1) (r,c)}, pred
 * {(r,c) (r,c+1) (r+1,c) (r+1,c+1)}, the same for class 0 and class 1. Distances from pred to
 * truth: (r,c) 0, (r,c+1) 1, (r+1,c) 1, (r+1,c+1) sqrt 2; symmetric the other way. So:
 *   d < 1:           P = R = 1/4, F1 = 1/4
 *   1 <= d < sqrt 2: P = R = 3/4, F1 = 3/4 (a chessboard distance would give 1 here)
 *   d >= sqrt 2:     F1 = 1.  BF is the same F1 (classes 0 and 1 agree).
 * Confusion (N = H W): n00 = N - 2, n01 = n10 = 1, n11 = 0: G = (N-2)/N,
 * C = ((N-2)/(N-1) + 0) / 2, IoU_0 = (N-2) / N, IoU_1 = 0, mIoU = (N-2) / (2N). */
static void
check_diagonal (int H, int W, double want_bf)
{
  guint8 *t = image_new (H, W, 0), *p = image_new (H, W, 0);
  t[20 * W + 30] = 1;
  p[21 * W + 31] = 1;
  RlMetrics *m = metrics_of (2, 255, t, p, H, W);
  double N = (double) H * W;
  check_close (rl_metrics_global_accuracy (m), (N - 2) / N, "G");
  check_close (rl_metrics_class_accuracy (m), ((N - 2) / (N - 1)) / 2, "C");
  check_close (rl_metrics_miou (m), (N - 2) / (2 * N), "mIoU");
  check_close (rl_metrics_bf (m), want_bf, "BF");
  rl_metrics_free (m);
  g_free (t);
  g_free (p);
}

static void
test_diagonal_euclidean (void)
{
  check_diagonal (80, 106, 0.25);   /* d = 0.9960 */
  check_diagonal (80, 107, 0.75);   /* d = 1.0020 */
  check_diagonal (80, 170, 0.75);   /* d = 1.4091 < sqrt 2 */
  check_diagonal (80, 171, 1.0);    /* d = 1.4159 > sqrt 2 */
}

/* No boundary anywhere: the image's BF is 0 (no class counts), per-class BF undefined. */
static void
test_no_boundaries (void)
{
  int H = 5, W = 7;
  guint8 *z = image_new (H, W, 0), *o = image_new (H, W, 1);
  RlMetrics *m = metrics_of (2, 255, z, z, H, W);
  check_close (rl_metrics_global_accuracy (m), 1, "G");
  check_close (rl_metrics_class_accuracy (m), 1, "C");
  check_close (rl_metrics_miou (m), 1, "mIoU");   /* only class 0 has a union */
  check_close (rl_metrics_bf (m), 0, "BF");
  RlClassScores s;
  rl_metrics_class (m, 0, &s);
  check_close (s.bf, NAN, "class 0 BF");
  check_close (rl_metrics_image_class_bf (m, 0, 0), NAN, "image class BF");
  rl_metrics_free (m);

  /* All 0 predicted all 1: G = 0, C = 0/35 = 0, IoU_0 = 0/35, IoU_1 = 0/35, BF = 0. */
  m = metrics_of (2, 255, z, o, H, W);
  check_close (rl_metrics_global_accuracy (m), 0, "G");
  check_close (rl_metrics_class_accuracy (m), 0, "C");
  check_close (rl_metrics_miou (m), 0, "mIoU");
  check_close (rl_metrics_bf (m), 0, "BF");
  rl_metrics_free (m);

  /* All void: G, C, mIoU undefined. */
  guint8 *v = image_new (H, W, 200);
  m = metrics_of (2, 255, v, z, H, W);
  check_close (rl_metrics_global_accuracy (m), NAN, "G void");
  check_close (rl_metrics_class_accuracy (m), NAN, "C void");
  check_close (rl_metrics_miou (m), NAN, "mIoU void");
  check_close (rl_metrics_bf (m), 0, "BF void");
  rl_metrics_free (m);
  g_free (z);
  g_free (o);
  g_free (v);
}

/* 3 x 3, class 1 only in the bottom-right pixel of the truth and the top-left of the pred.
 * Truth boundary (classes 0 and 1): block (1,1), last row (2,1) (0 != 1 to its right), last
 * column (1,2) (0 != 1 below); (2,2) never. Pred: block (0,0) only. d = 0.032: nothing matches,
 *   errors  2 0 0     (2 = spurious predicted, 1 = missed truth)
 *           0 1 1
 *           0 1 0   and BF = 0 (both classes P = R = 0). */
static void
test_edges_and_error_map (void)
{
  const guint8 t[9] = { 0, 0, 0, 0, 0, 0, 0, 0, 1 };
  const guint8 p[9] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 want[9] = { 2, 0, 0, 0, 1, 1, 0, 1, 0 };
  guint8 out[9];
  RlError err;
  g_assert_cmpint (rl_metrics_boundary_errors (2, 255, t, p, 3, 3, out, &err), ==, RL_OK);
  g_assert_cmpmem (out, 9, want, 9);
  RlImageScores im;
  g_assert_cmpint (rl_metrics_image (2, 255, t, p, 3, 3, &im, &err), ==, RL_OK);
  check_close (im.bf, 0, "BF");
  g_assert_cmpint (im.bf_classes, ==, 2);

  /* A perfect prediction has no boundary error. */
  g_assert_cmpint (rl_metrics_boundary_errors (2, 255, t, t, 3, 3, out, &err), ==, RL_OK);
  for (int k = 0; k < 9; k++)
    g_assert_cmpint (out[k], ==, 0);

  /* Shift beyond the tolerance (80 x 106, d < 1): truth column 39 missed, pred column 40
   * spurious; at 80 x 107 (d > 1) both are fine. */
  for (int W = 106; W <= 107; W++)
    {
      int H = 80;
      guint8 *a = image_new (H, W, 0), *b = image_new (H, W, 0), *e = g_malloc (H * W);
      fill_rect (a, W, 0, H, 40, W, 1);
      fill_rect (b, W, 0, H, 41, W, 1);
      g_assert_cmpint (rl_metrics_boundary_errors (2, 255, a, b, H, W, e, &err), ==, RL_OK);
      for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++)
          {
            int w = 0;
            if (W == 106 && c == 39)
              w = 1;
            else if (W == 106 && c == 40)
              w = 2;
            g_assert_cmpint (e[r * W + c], ==, w);
          }
      g_free (a);
      g_free (b);
      g_free (e);
    }
}

/* Several images: confusion sums, BF is the mean of image BFs, per-class BF the mean over the
 * images where the class counts; merging two accumulators equals adding in one. */
static void
test_accumulate_merge (void)
{
  const guint8 t1[8] = { 0, 0, 1, 1, 0, 3, 1, 7 };
  const guint8 p1[8] = { 0, 1, 1, 2, 5, 2, 1, 0 };
  const guint8 t2[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
  const guint8 p2[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
  /* Image 2: n00 = 7, n01 = 1. Boundary (d < 1): pred has block (0,2), (0,3) (compares down:
   * 0 != 1) and (1,2) (compares right), for classes 0 and 1; truth none. Both count with
   * F1 = 0: the image's BF is 0.
   * Totals: n00 = 8, n01 = 2, n11 = 2, n12 = 1; t = (11, 3, 0, 0):
   *   G = 10/14, C = (8/11 + 2/3) / 2, IoU_0 = 8/11, IoU_1 = 2/(3+4-2) = 2/5, IoU_2 = 0,
   *   BF = (38/105 + 0) / 2; class 0 BF = (2/7 + 0) / 2, class 1 BF = (4/5 + 0) / 2,
   *   class 2 BF = 0 (image 1 only). */
  RlMetrics *all = rl_metrics_new (4, 3), *a = rl_metrics_new (4, 3), *b = rl_metrics_new (4, 3);
  RlError err;
  g_assert_cmpint (rl_metrics_add_image (all, t1, p1, 2, 4, &err), ==, RL_OK);
  g_assert_cmpint (rl_metrics_add_image (all, t2, p2, 2, 4, &err), ==, RL_OK);
  g_assert_cmpint (rl_metrics_add_image (a, t1, p1, 2, 4, &err), ==, RL_OK);
  g_assert_cmpint (rl_metrics_add_image (b, t2, p2, 2, 4, &err), ==, RL_OK);
  g_assert_cmpint (rl_metrics_merge (a, b, &err), ==, RL_OK);
  for (RlMetrics *m = all; m != NULL; m = (m == all ? a : NULL))
    {
      g_assert_cmpint (rl_metrics_n_images (m), ==, 2);
      check_close (rl_metrics_global_accuracy (m), 10.0 / 14, "G");
      check_close (rl_metrics_class_accuracy (m), (8.0 / 11 + 2.0 / 3) / 2, "C");
      check_close (rl_metrics_miou (m), (8.0 / 11 + 2.0 / 5 + 0) / 3, "mIoU");
      check_close (rl_metrics_bf (m), 38.0 / 105 / 2, "BF");
      RlClassScores s;
      rl_metrics_class (m, 0, &s);
      check_close (s.bf, 1.0 / 7, "class 0 BF");
      rl_metrics_class (m, 1, &s);
      check_close (s.bf, 0.4, "class 1 BF");
      rl_metrics_class (m, 2, &s);
      check_close (s.bf, 0, "class 2 BF");
      g_assert_cmpint (s.bf_images, ==, 1);
      RlImageScores im;
      rl_metrics_image_scores (m, 1, &im);
      check_close (im.global_accuracy, 7.0 / 8, "image 2 G");
      check_close (im.class_accuracy, 7.0 / 8, "image 2 C");
      check_close (im.miou, (7.0 / 8 + 0) / 2, "image 2 mIoU");
      check_close (im.bf, 0, "image 2 BF");
      g_assert_cmpint (im.bf_classes, ==, 2);
    }
  g_assert_cmpmem (rl_metrics_confusion (all), 16 * sizeof (int64_t), rl_metrics_confusion (a),
                   16 * sizeof (int64_t));

  RlMetrics *other = rl_metrics_new (5, 3);
  g_assert_cmpint (rl_metrics_merge (a, other, &err), ==, RL_ERR_INVALID);
  rl_metrics_free (other);
  rl_metrics_free (all);
  rl_metrics_free (a);
  rl_metrics_free (b);
}

static void
test_bad_input (void)
{
  g_assert_null (rl_metrics_new (0, 255));
  g_assert_null (rl_metrics_new (257, 255));
  rl_metrics_free (NULL);
  RlMetrics *m = rl_metrics_new (2, 255);
  guint8 px[4] = { 0 };
  RlError err = { { 0 } };
  g_assert_cmpint (rl_metrics_add_image (m, px, px, 0, 4, &err), ==, RL_ERR_INVALID);
  g_assert_true (strstr (err.text, "size") != NULL);
  g_assert_cmpint (rl_metrics_add_image (m, NULL, px, 2, 2, &err), ==, RL_ERR_INVALID);
  g_assert_cmpint (rl_metrics_n_images (m), ==, 0);
  check_close (rl_metrics_bf (m), NAN, "BF of nothing");
  check_close (rl_metrics_global_accuracy (m), NAN, "G of nothing");
  RlImageScores im;
  g_assert_cmpint (rl_metrics_image (300, 255, px, px, 2, 2, &im, &err), ==, RL_ERR_INVALID);
  rl_metrics_free (m);
}

/* ---- brute force: the definition read literally, O(boundary^2) ---- */

static int
is_boundary (const guint8 *M, int H, int W, int i, int j, int c)
{
#define IN(r, s) (M[(r) * W + (s)] == c)
  if (i < H - 1 && j < W - 1)
    {
      int a = IN (i, j);
      return a != IN (i, j + 1) || a != IN (i + 1, j) || a != IN (i + 1, j + 1);
    }
  if (i == H - 1 && j < W - 1)
    return IN (i, j) != IN (i, j + 1);
  if (j == W - 1 && i < H - 1)
    return IN (i, j) != IN (i + 1, j);
  return 0;
#undef IN
}

static double
brute_bf (int K, int ignore, const guint8 *t, const guint8 *p, int H, int W)
{
  double d = 0.0075 * sqrt ((double) H * H + (double) W * W);
  GArray *bt = g_array_new (FALSE, FALSE, sizeof (int)), *bp = g_array_new (FALSE, FALSE,
                                                                             sizeof (int));
  double sum = 0;
  int counted = 0;
  for (int c = 0; c < K; c++)
    {
      if (c == ignore)
        continue;
      g_array_set_size (bt, 0);
      g_array_set_size (bp, 0);
      for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++)
          {
            int k = i * W + j;
            if (is_boundary (t, H, W, i, j, c))
              g_array_append_val (bt, k);
            if (is_boundary (p, H, W, i, j, c))
              g_array_append_val (bp, k);
          }
      if (bt->len == 0 && bp->len == 0)
        continue;
      GArray *sets[2] = { bp, bt };
      double frac[2] = { 0, 0 };
      for (int s = 0; s < 2; s++)
        {
          GArray *q = sets[s], *o = sets[1 - s];
          int hit = 0;
          for (guint a = 0; a < q->len; a++)
            {
              int qa = g_array_index (q, int, a);
              for (guint b = 0; b < o->len; b++)
                {
                  int ob = g_array_index (o, int, b);
                  double dr = qa / W - ob / W, dc = qa % W - ob % W;
                  if (sqrt (dr * dr + dc * dc) <= d)
                    {
                      hit++;
                      break;
                    }
                }
            }
          frac[s] = q->len > 0 ? (double) hit / q->len : 0;
        }
      double f1 = frac[0] + frac[1] > 0 ? 2 * frac[0] * frac[1] / (frac[0] + frac[1]) : 0;
      sum += f1;
      counted++;
    }
  g_array_free (bt, TRUE);
  g_array_free (bp, TRUE);
  return counted > 0 ? sum / counted : 0;
}

/* Random blocky label maps (rectangles, speckle, void) at several tolerances. */
static void
random_labels (GRand *rng, guint8 *im, int H, int W, int K)
{
  memset (im, g_rand_int_range (rng, 0, K), (gsize) H * W);
  int n = g_rand_int_range (rng, 1, 12);
  for (int k = 0; k < n; k++)
    {
      int r0 = g_rand_int_range (rng, 0, H), c0 = g_rand_int_range (rng, 0, W);
      int r1 = r0 + g_rand_int_range (rng, 1, H / 2 + 2);
      int c1 = c0 + g_rand_int_range (rng, 1, W / 2 + 2);
      r1 = MIN (H, r1);
      c1 = MIN (W, c1);
      fill_rect (im, W, r0, r1, c0, c1, g_rand_int_range (rng, 0, K + 2));
    }
  for (int k = 0; k < H * W / 50; k++)
    im[g_rand_int_range (rng, 0, H * W)] = g_rand_int_range (rng, 0, K + 2);
}

static void
test_random_vs_brute (void)
{
  GRand *rng = g_rand_new_with_seed (20261126);
  const int sizes[][2] = { { 1, 9 }, { 9, 1 }, { 2, 2 }, { 17, 23 }, { 80, 107 }, { 80, 171 },
                           { 120, 160 }, { 161, 214 }, { 240, 320 } };
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (int rep = 0; rep < 4; rep++)
      {
        int H = sizes[s][0], W = sizes[s][1], K = 5, ignore = rep % 2 ? 2 : 6;
        guint8 *t = g_malloc (H * W), *p = g_malloc (H * W);
        random_labels (rng, t, H, W, K);
        if (rep == 3)
          {
            /* Prediction = truth moved by a few pixels: most boundaries near the tolerance. */
            int dy = g_rand_int_range (rng, -3, 4), dx = g_rand_int_range (rng, -3, 4);
            for (int r = 0; r < H; r++)
              for (int c = 0; c < W; c++)
                p[r * W + c] = t[CLAMP (r + dy, 0, H - 1) * W + CLAMP (c + dx, 0, W - 1)];
          }
        else
          random_labels (rng, p, H, W, K);
        RlImageScores im;
        RlError err;
        g_assert_cmpint (rl_metrics_image (K, ignore, t, p, H, W, &im, &err), ==, RL_OK);
        double want = brute_bf (K, ignore, t, p, H, W);
        if (fabs (im.bf - want) > 1e-12)
          g_error ("%dx%d rep %d: BF %.17g, brute force %.17g", H, W, rep, im.bf, want);
        g_free (t);
        g_free (p);
      }
  g_rand_free (rng);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/perfect", test_perfect);
  g_test_add_func ("/metrics/void-missing-outside", test_void_missing_outside);
  g_test_add_func ("/metrics/shift-tolerance", test_shift_tolerance);
  g_test_add_func ("/metrics/diagonal-euclidean", test_diagonal_euclidean);
  g_test_add_func ("/metrics/no-boundaries", test_no_boundaries);
  g_test_add_func ("/metrics/edges-and-error-map", test_edges_and_error_map);
  g_test_add_func ("/metrics/accumulate-merge", test_accumulate_merge);
  g_test_add_func ("/metrics/bad-input", test_bad_input);
  g_test_add_func ("/metrics/random-vs-brute-force", test_random_vs_brute);
  return g_test_run ();
}
