/* Training data for `relabel train` and the fine-tune job: a dataset split decoded into memory at
 * the training resolution, median-frequency class weights, input statistics, and augmented
 * batches (random crop, horizontal flip) drawn by a seeded, serialisable RNG. GLib, no GTK. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"
#include "rl-dataset.h"

/* A small deterministic RNG (splitmix64) whose whole state is one integer, so a checkpoint can
 * store it and --resume continue exactly. */
typedef struct
{
  guint64 state;
} RlRand;

void rl_rand_seed (RlRand *rng, guint64 seed);
guint64 rl_rand_next (RlRand *rng);
/* Uniform integer in [0, n). */
guint32 rl_rand_below (RlRand *rng, guint32 n);
/* Uniform double in [lo, hi). */
double rl_rand_uniform (RlRand *rng, double lo, double hi);

typedef struct
{
  int n;               /* images */
  int height, width;   /* every image is stored at this size (after scaling) */
  guint8 *rgb;         /* (n, H, W, 3) */
  guint8 *labels;      /* (n, H, W): class values; anything that is not a class is ignore */
  char **names;        /* n base names */
  int n_classes;       /* K of the spec */
  int ignore_index;    /* the value the loss ignores; void values are mapped to it */
  guint64 *class_pixels;  /* K: pixels of each class over the set, counted at full resolution */
  guint64 *class_image_pixels; /* K: pixels of the images in which the class occurs (full res) */
} RlTrainSet;

/* Decodes the samples (RlSample*) that have labels, checks sizes and values against spec
 * (a bad sample is an error naming the file), scales them by scale (0 < scale <= 1; RGB by area
 * averaging / bilinear, labels by nearest neighbour) and keeps them in memory. Images of
 * different sizes are all resized to the first one's (scaled) size. progress may be NULL. */
RlTrainSet *rl_train_set_load (GPtrArray *samples, const RlClassSpec *spec, double scale,
                               void (*progress) (guint done, guint total, gpointer data),
                               gpointer data, GError **error);
/* As rl_train_set_load with ds's spec, reading each label through the dataset
 * (rl_dataset_read_label: its label map or label convention). */
RlTrainSet *rl_train_set_load_ds (GPtrArray *samples, const RlDataset *ds, double scale,
                                  void (*progress) (guint done, guint total, gpointer data),
                                  gpointer data, GError **error);
void rl_train_set_free (RlTrainSet *set);

/* Median-frequency balancing (Eigen & Fergus): freq(c) = class_pixels[c] /
 * class_image_pixels[c], weight(c) = median over present classes of freq / freq(c); classes
 * that never occur get weight 0. weights has n_classes entries. */
void rl_train_set_class_weights (const RlTrainSet *set, float *weights);

/* Raises the n weights to power: 1 leaves them, 0.5 softens them (square roots), 0 makes every
 * present class weigh 1 (unweighted). A weight of 0 (a class that never occurs) stays 0. */
void rl_class_weights_power (float *weights, int n, double power);

/* Per-channel mean and standard deviation of the RGB values scaled to 0..1. */
void rl_train_set_input_stats (const RlTrainSet *set, float mean[3], float std[3]);

/* Fills one batch. indices[0..n) pick images; each is cropped at a random position to
 * crop_h x crop_w (<= the set's size; equal means no crop) and flipped left-right with
 * probability 1/2 when flip. x (n, 3, crop_h, crop_w) gets (rgb/255 - mean) / std, then with
 * input_norm RL_INPUT_NORM_IMAGE (rl-net.h) each crop's 3 planes standardised
 * (rl_standardize_planes), as the model will see its input; y (n, crop_h, crop_w) the labels. */
void rl_train_set_make_batch (const RlTrainSet *set, const int *indices, int n, int crop_h,
                              int crop_w, gboolean flip, RlRand *rng, const float mean[3],
                              const float std[3], int input_norm, float *x, guint8 *y);

/* Augmentation of a training batch beyond crop and flip. Everything is drawn from the batch's
 * RlRand, so a checkpoint that stores its state resumes the same augmented batches. */
typedef struct
{
  gboolean flip;                /* mirror left-right with probability 1/2 */
  double scale_min, scale_max;  /* each crop is scaled by a factor uniform in [min, max]
                                 * (1, 1 = none): it covers crop / factor source pixels,
                                 * resampled bilinearly (labels: nearest) */
  /* Photometric jitter on RGB in 0..1, applied in this order, each factor drawn uniformly:
   * brightness v *= b, b in [1 - brightness, 1 + brightness];
   * contrast v = m + (v - m) c, c in [1 - contrast, 1 + contrast], m the crop's mean grey;
   * saturation v = g + (v - g) s, s in [1 - saturation, 1 + saturation], g the pixel's grey;
   * gamma v = v^y, y = (1 + gamma)^u with u in [-1, 1].
   * Grey is 0.299 R + 0.587 G + 0.114 B; values are clamped to 0..1 after each step. 0 turns
   * a step off (and draws nothing). */
  double brightness, contrast, saturation, gamma;
} RlAugment;

/* The factors drawn for one image. */
typedef struct
{
  double brightness, contrast, saturation, gamma;
} RlPhotometric;

/* Draws the photometric factors of aug from rng (only those switched on). */
void rl_photometric_draw (const RlAugment *aug, RlRand *rng, RlPhotometric *p);
/* Applies p to planar RGB (3 planes of n values in 0..1), in place. */
void rl_photometric_apply (const RlPhotometric *p, float *rgb, gsize n);

/* rl_train_set_make_batch with aug: per image a scale factor (when scale_min < scale_max or
 * either is not 1), a crop position, a flip and the photometric factors, in that order. The
 * labels follow the same geometry exactly (nearest source pixel; void stays void). A factor
 * that would need a source region larger than the image is raised to fit. aug NULL or all
 * off (flip only) gives exactly rl_train_set_make_batch's batches. */
void rl_train_set_make_batch_aug (const RlTrainSet *set, const int *indices, int n, int crop_h,
                                  int crop_w, const RlAugment *aug, RlRand *rng,
                                  const float mean[3], const float std[3], int input_norm,
                                  float *x, guint8 *y);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlTrainSet, rl_train_set_free)
