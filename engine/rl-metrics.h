/* Segmentation metrics as the SegNet paper defines them: global accuracy G, class-average
 * accuracy C, mIoU, boundary F1 (BF), per-class numbers and the confusion matrix.
 *
 * Labels are (H, W) uint8 buffers, row-major. With K = n_classes, value v is class v when
 * v < K and v != ignore_index; any other value is void. Pixels whose truth is void are skipped;
 * a void or out-of-range prediction on a non-void pixel is simply wrong.
 *
 * n_ij = pixels of true class i predicted as class j, t_i = non-void pixels whose truth is i
 * (t_i may exceed sum_j n_ij by the void predictions).
 *   G      = sum_i n_ii / sum_i t_i
 *   C      = mean of n_ii / t_i over classes with t_i > 0
 *   IoU_i  = n_ii / (t_i + sum_j n_ji - n_ii); mIoU = mean over classes whose denominator is > 0
 *   BF     = mean over images of the image's BF. For each image and class c: boundary maps of
 *            (truth == c) and (pred == c) (void is just another value): pixel (i, j) with
 *            i < H-1, j < W-1 is a boundary pixel iff the 2x2 block at (i, j) is not constant;
 *            on the last row iff M[i][j] != M[i][j+1]; on the last column iff
 *            M[i][j] != M[i+1][j]; the bottom-right pixel never. d = rl_metrics_bf_tolerance().
 *            Precision = fraction of predicted boundary pixels whose exact Euclidean distance to
 *            the nearest true boundary pixel is <= d (0 when there are none); recall the other
 *            way; F1 = 2PR / (P + R) (0 when P + R = 0). Class c counts in the image iff it has
 *            a boundary in the truth or the prediction; the image's BF is the mean F1 over
 *            counted classes, 0 when none counts.
 * A mean or ratio whose denominator is empty is NaN (callers print it as null or "n/a").
 *
 * An RlMetrics accumulator is not thread-safe, but there are no globals: use one per thread and
 * rl_metrics_merge() them in image order. */
#pragma once

#include <stdint.h>

#include "rl-status.h"

typedef struct RlMetrics RlMetrics;

/* One image's numbers (or, for the *_image_* getters, one accumulated image). */
typedef struct
{
  double global_accuracy;  /* G; NaN when every truth pixel is void */
  double class_accuracy;   /* C; NaN likewise */
  double miou;             /* NaN when no class is in the truth or the prediction */
  double bf;               /* mean F1 over counted classes; 0 when no class has a boundary */
  int64_t pixels;          /* non-void truth pixels */
  int bf_classes;          /* classes counted in bf */
} RlImageScores;

/* One class over everything accumulated. */
typedef struct
{
  double accuracy;         /* n_cc / t_c; NaN when t_c = 0 */
  double iou;              /* NaN when t_c + sum_j n_jc - n_cc = 0 */
  double bf;               /* mean F1 over the images where c counts; NaN when it never does */
  int64_t pixels;          /* t_c */
  int64_t predicted;       /* sum_i n_ic: non-void pixels predicted as c */
  int64_t bf_images;       /* images where c counts in the BF */
} RlClassScores;

/* BF tolerance in pixels for an H x W image: 0.0075 * sqrt(H^2 + W^2) (4.5 at 360 x 480). */
double rl_metrics_bf_tolerance (int height, int width);

/* A new, empty accumulator. n_classes is 1..256; ignore_index is any int (one outside 0..255,
 * e.g. -1, means no ignore value). Returns NULL on a bad argument or when out of memory.
 * Free with rl_metrics_free() (accepts NULL). */
RlMetrics *rl_metrics_new (int n_classes, int ignore_index);
void rl_metrics_free (RlMetrics *m);

/* Accumulates one image: truth and pred are (height, width). On error nothing is added. */
RlStatus rl_metrics_add_image (RlMetrics *m, const uint8_t *truth, const uint8_t *pred,
                               int height, int width, RlError *err);

/* Adds everything src accumulated to dst, src's images after dst's. Both need the same
 * n_classes and ignore_index. src is left unchanged. */
RlStatus rl_metrics_merge (RlMetrics *dst, const RlMetrics *src, RlError *err);

int rl_metrics_n_classes (const RlMetrics *m);
int rl_metrics_ignore_index (const RlMetrics *m);
int64_t rl_metrics_n_images (const RlMetrics *m);

/* Over everything accumulated (NaN when undefined; bf is NaN with no image). */
double rl_metrics_global_accuracy (const RlMetrics *m);
double rl_metrics_class_accuracy (const RlMetrics *m);
double rl_metrics_miou (const RlMetrics *m);
double rl_metrics_bf (const RlMetrics *m);

/* class is 0..n_classes-1 (the ignore index, if a class value, reads as all NaN / 0). */
void rl_metrics_class (const RlMetrics *m, int class_index, RlClassScores *out);

/* The confusion matrix (n_classes, n_classes), row = truth, column = prediction; owned by m,
 * valid until the next add/merge/free. */
const int64_t *rl_metrics_confusion (const RlMetrics *m);

/* Image index is 0..n_images-1, in the order added. */
void rl_metrics_image_scores (const RlMetrics *m, int64_t image, RlImageScores *out);
/* F1 of class_index in that image; NaN when the class did not count there. */
double rl_metrics_image_class_bf (const RlMetrics *m, int64_t image, int class_index);

/* One image's numbers alone, without an accumulator (e.g. for a GUI). Thread-safe. */
RlStatus rl_metrics_image (int n_classes, int ignore_index, const uint8_t *truth,
                           const uint8_t *pred, int height, int width, RlImageScores *out,
                           RlError *err);

/* The "boundary errors" view of one image. out is (height, width), filled with:
 *   1  missed:   the pixel is a truth boundary pixel of some class c whose distance to the
 *                nearest predicted boundary pixel of c is > d (or c has none), i.e. it lowers
 *                the recall of c;
 *   2  spurious: otherwise, the pixel is a predicted boundary pixel of some class c whose
 *                distance to the nearest truth boundary pixel of c is > d (or c has none), i.e.
 *                it lowers the precision of c;
 *   0  otherwise.
 * Only classes (not void values) are considered, with the boundary maps and d defined above,
 * so the 1 and 2 pixels are exactly what the image's BF misses. Thread-safe. */
RlStatus rl_metrics_boundary_errors (int n_classes, int ignore_index, const uint8_t *truth,
                                     const uint8_t *pred, int height, int width, uint8_t *out,
                                     RlError *err);
