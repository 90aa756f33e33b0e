/* Scoring a model version inside a project: the SegNet paper's metrics (G, C, mIoU, BF, per
 * class, confusion, per image) of one version's predictions against the current (corrected) or
 * the original labels of one split, with the images the version (or a version it descends from)
 * trained on marked in-sample. Predictions the version has not made yet are made and stored;
 * the result is stored as a metrics run, so the dashboard shows it without computing again.
 * Headless (GLib/GIO, no GTK): `relabel eval --project` calls it directly, the GUI from a worker
 * thread. */
#pragma once

#include <gio/gio.h>
#include "rl-metrics.h"
#include "rl-project.h"

typedef struct
{
  gint64 model_id;          /* 0: the project's current model */
  const char *split;        /* NULL or "*": every split */
  RlMaskKind labels;        /* RL_MASK_CURRENT or RL_MASK_ORIGINAL */
  int threads;              /* engine threads for the predictions still to make; 0 = all cores */
  gboolean store;           /* store the result as a metrics run (rl_project_eval_run_key) */
} RlEvalOptions;

void rl_eval_options_init (RlEvalOptions *opt);

typedef struct
{
  gint64 model_id;
  char *model_name;
  guint n_images;           /* images scored */
  guint n_predicted;        /* of them, predicted now (the others had a stored prediction) */
  guint n_in_sample;        /* of them, trained on by the version or a version it descends from */
  guint n_skipped;          /* of the split, without the chosen labels or whose file is missing */
  RlMetrics *metrics;       /* pooled over the scored images, in name order */
  GPtrArray *names;         /* image names (char *), in the order of the metrics' images */
  GArray *in_sample;        /* gboolean per scored image */
  GPtrArray *confusion_pairs;  /* per scored image, a GArray of guint32 (truth, pred, pixels)
                                * triples: its off-diagonal confusion (pred K: void) */
  char *json;               /* `relabel eval --json`'s object plus the keys listed below */
} RlEvalResult;

void rl_eval_result_free (RlEvalResult *r);

/* progress(done, total) after each image, from the calling thread; should_stop polled between
 * images (TRUE ends with G_IO_ERROR_CANCELLED). Either may be NULL.
 *
 * The JSON object is rl_metrics_to_json's (images, global_accuracy, class_accuracy, miou, bf,
 * per_class, confusion, per_image) with "in_sample" (bool) and
 * "confusion_pairs" (that image's off-diagonal confusion as [truth, prediction, pixels] triples,
 * prediction K for a void or out-of-range prediction) added to each per_image entry and, at
 * the top: "model" (version id), "model_name", "split" (null for every split), "labels"
 * ("current" or "original"), "in_sample_images" (count). NOT_FOUND when the project has no such
 * model (or none at all) or no image of the split has the chosen labels. */
RlEvalResult *rl_project_evaluate (const char *project_path, const RlEvalOptions *opt,
                                   void (*progress) (guint done, guint total, gpointer data),
                                   gboolean (*should_stop) (gpointer data), gpointer data,
                                   GError **error);

/* The metrics-run key a result is stored under: the split ("all" for every split), with
 * ":original" appended for the original labels. Newly allocated. */
char *rl_project_eval_run_key (const char *split, RlMaskKind labels);

/* The version with this id (decimal) or name (newest of that name), or 0 with NOT_FOUND. */
gint64 rl_project_find_model (RlProject *project, const char *version, GError **error);

/* The images of a stored result (its JSON) with pixels labelled truth_class and predicted
 * pred_class, most such pixels first (the dashboard's confusion cell -> image list). */
typedef struct
{
  char *name;
  gint64 pixels;
  gboolean in_sample;
} RlCellImage;
GArray *rl_eval_images_for_cell (const char *result_json, int truth_class, int pred_class,
                                 GError **error);

/* The ids (gint64 *) of the images model_id and every version it descends from trained on: the
 * images on which its scores are in-sample (empty for model_id 0). */
GHashTable *rl_project_lineage_trained_images (RlProject *project, gint64 model_id,
                                               GError **error);
