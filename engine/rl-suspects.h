/* Suspected label errors in one image, from a model's prediction and its 8-bit confidences:
 * connected regions where a confident prediction disagrees with the label, each with the
 * labelled class, the suggested class, its pixels, bounding box and a score (higher: more
 * likely a wrong label). Plain buffers in and out (no GLib); the project ranks them.
 *
 * Buffers are (H, W) uint8, row-major. labels: value v is class v when v < n_classes and
 * v != ignore_index, anything else void (never suspected). pred: the model's argmax class.
 * conf_pred: round(255 p) of the predicted class's softmax probability; conf_label: the same for
 * the labelled class (rl_model_predict_confidence_rgb8 makes both).
 *
 * The reasoning, per image:
 *  - a pixel disagrees when its label is a class, the model predicts another class c with
 *    conf_pred >= 255 t_c, and the label's own conf_label < 255 t_label, where t is the
 *    per-class threshold: the mean confidence the model gives pixels labelled that class
 *    (confident learning's threshold, accumulated over the project by RlSuspectStats);
 *  - disagreeing pixels group into 8-connected components of one labelled class;
 *  - "region" (a labelled region the model mostly calls something else): when the
 *    components inside one 8-connected labelled region cover at least half of it, the whole
 *    labelled region is the suspect, suggested as the class the model gives most of it;
 *  - otherwise each component is its own suspect ("an object the model sees inside a region
 *    labelled as its surroundings"), suggested as its majority predicted class; it is a
 *    "boundary" suspect when (nearly) all of it lies within the BF tolerance of a label boundary
 *    (see rl-metrics.h), i.e. it is a boundary offset, not a wrong region;
 *  - components smaller than min_pixels are dropped.
 *
 * Candidates are the 8-connected components of pixels the model predicts as another class at
 * all (not only confidently: a confidence threshold per pixel breaks a wrongly labelled object
 * into pieces), per labelled class. Score (region-level evidence, higher = more likely a wrong
 * label): m^2 * pixels * confident share * (1 - share in the boundary band) * isolation, where m
 * is the mean over the region of p_pred - p_label (size-normalised evidence; pixels enters
 * once), the confident share the part of it past the per-class thresholds above, and isolation
 * the mean, over the region, of 1 - the share of the model's object there (its 8-connected
 * predicted class) that the labels give that class: an object the model sees where the labels
 * say otherwise, rather than its prediction spilling over a boundary (1 for a labelled region
 * suspected whole: that is its own evidence). The project then divides
 * each score by its class pair's total over the project (rl_suspects_pair_normalise): the
 * model's systematic confusions (Road seen as Pavement along a whole street) count for less.
 * Designed and measured with tests/bench/bench-suspects-noise.c. */
#pragma once

#include <stdint.h>

#include "rl-status.h"

typedef enum
{
  RL_SUSPECT_REGION = 0,
  RL_SUSPECT_BOUNDARY = 1,
} RlSuspectKind;

typedef struct
{
  int labelled;            /* class the label gives the region */
  int suggested;           /* class the model gives it */
  RlSuspectKind kind;
  int64_t pixels;          /* pixels of the region (what accepting it relabels) */
  int64_t disagreeing;     /* of those, pixels confidently predicted otherwise */
  int64_t differing;       /* of those, pixels predicted as another class at all */
  double inside_band;      /* share of the differing pixels within the boundary band */
  double isolated;         /* mean over the differing pixels of how little of the model's
                            * object there (its connected predicted class) is labelled so */
  int x, y, w, h;          /* bounding box */
  double score;
  double mean_conf_pred;   /* over the differing pixels, 0..1 */
  double mean_conf_label;
} RlSuspect;

/* Per-class sums for the thresholds: sum of conf_label and pixel count by labelled class. */
typedef struct
{
  double sum[256];
  int64_t count[256];
} RlSuspectStats;

void rl_suspect_stats_init (RlSuspectStats *s);
/* Adds one image's labelled pixels (labels, conf_label: hw values). */
void rl_suspect_stats_add (RlSuspectStats *s, int n_classes, int ignore_index,
                           const uint8_t *labels, const uint8_t *conf_label, int64_t hw);
void rl_suspect_stats_merge (RlSuspectStats *dst, const RlSuspectStats *src);
/* thresholds[c] = mean confidence of pixels labelled c (0..1); 0.5 for a class never seen. */
void rl_suspect_stats_thresholds (const RlSuspectStats *s, int n_classes, float *thresholds);

typedef struct
{
  int n_classes;           /* 1..256 */
  int ignore_index;
  const float *thresholds; /* n_classes values in 0..1 */
  double band;             /* boundary tolerance in pixels; <= 0: rl_metrics_bf_tolerance */
  int min_pixels;          /* <= 0: max (16, H * W / 4000) */
} RlSuspectParams;

/* Finds the suspects of one image. *out (malloc'd, free()) receives *n_out suspects, best
 * score first. region_map (H, W) int32 (may be NULL) receives, for each pixel, 1 + the index
 * in *out of the suspect it belongs to, 0 for none: accepting suspect k relabels exactly the
 * pixels where region_map == k + 1. Deterministic: the same inputs give the same output. */
/* Per-class-pair calibration over a project. totals (n_classes * n_classes, zeroed by the
 * caller): rl_suspects_pair_add sums the differing pixels of "region" suspects by (labelled,
 * suggested) pair; rl_suspects_pair_normalise divides each suspect's score by its pair's
 * total (at least 1). Scores across images are comparable once every image is normalised by the
 * same totals. */
void rl_suspects_pair_add (double *totals, int n_classes, const RlSuspect *s, int n);
void rl_suspects_pair_normalise (const double *totals, int n_classes, RlSuspect *s, int n);

RlStatus rl_suspects_find (const RlSuspectParams *params, const uint8_t *labels,
                           const uint8_t *pred, const uint8_t *conf_pred,
                           const uint8_t *conf_label, int height, int width, RlSuspect **out,
                           int *n_out, int32_t *region_map, RlError *err);
