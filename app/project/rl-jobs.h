/* Background jobs on a project: pre-labelling images with the project's current model,
 * retraining it, importing a dataset, thumbnails.
 * Each job runs in a GTask worker thread with its own RlProject connection (same file). */
#pragma once

#include <gio/gio.h>
#include "rl-finetune.h"

/* Called in the thread-default main context of the caller of _async after each image:
 * done of total images finished, image_id is the image just predicted (0 when skipped). */
typedef void (*RlJobProgress) (guint done, guint total, gint64 image_id, gpointer data);

/* Pre-labels the images image_ids[0..n) of the project at project_path with its model model_id
 * on a worker thread, which opens its own RlProject connection (one connection per thread; the
 * project's busy timeout serialises writers): it exports the model to a temporary file, predicts
 * each image and stores the result with rl_project_set_prediction. progress runs in the
 * caller's main context after each stored image (image_id 0 when skipped) so the caller can
 * refresh its views. n_threads: engine threads, 0 = all cores. progress data must stay valid
 * until callback runs (pass its owner as source_object). Cancel with cancellable: the engine
 * stops between layers. */
void rl_prelabel_async (gpointer source_object, const char *project_path, gint64 model_id,
                        const gint64 *image_ids, guint n_images, int n_threads,
                        RlJobProgress progress, gpointer data, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data);
/* Number of images predicted; FALSE with G_IO_ERROR_CANCELLED when cancelled. */
gboolean rl_prelabel_finish (GAsyncResult *result, guint *n_done, GError **error);

/* Called in the caller's main context with the progress of a retrain (a copy of what
 * rl_finetune_run reported on the worker). */
typedef void (*RlRetrainProgress) (const RlFinetuneProgress *p, gpointer data);

/* Retrains ("fine-tunes") the current model of the project at project_path on its labelled
 * images with rl_finetune_run on a worker thread (which opens its own connection) and registers
 * the result as a new model version, made current only when it is not worse on held-out images
 * (rl-finetune.h).
 * opt: the finetune options (copied; its string fields too), e.g. rl_finetune_options_init with
 * fewer iters. progress data must stay valid until callback runs (pass its owner as
 * source_object). Cancel with cancellable: the trainer stops at the next step or image and
 * nothing is added to the project. */
void rl_retrain_async (gpointer source_object, const char *project_path,
                       const RlFinetuneOptions *opt, RlRetrainProgress progress, gpointer data,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data);
/* out (may be NULL): the new version, its before/after scores and whether it was made current
 * (clear it with rl_finetune_result_clear); FALSE with G_IO_ERROR_CANCELLED when cancelled. */
gboolean rl_retrain_finish (GAsyncResult *result, RlFinetuneResult *out, GError **error);

/* Makes model_id the current model of the project at project_path, on a worker thread (its own
 * connection), e.g. when the user picks a version after a retrain. */
void rl_set_current_model_async (gpointer source_object, const char *project_path,
                                 gint64 model_id, GAsyncReadyCallback callback,
                                 gpointer user_data);
/* model_id (may be NULL): the version asked for. */
gboolean rl_set_current_model_finish (GAsyncResult *result, gint64 *model_id, GError **error);

/* Creates (or opens) the project at project_path and imports the dataset (kind "camvid" |
 * "sunrgbd" | "folder") at dataset_path into it, on a worker thread. progress gets (done, total,
 * 0) in the caller's main context. */
void rl_import_async (gpointer source_object, const char *project_path, const char *kind,
                      const char *dataset_path, RlJobProgress progress, gpointer progress_data,
                      GCancellable *cancellable, GAsyncReadyCallback callback,
                      gpointer user_data);
/* n_added: images added; problems (may be NULL): char* lines about skipped samples. */
gboolean rl_import_finish (GAsyncResult *result, guint *n_added, GPtrArray **problems,
                           GError **error);

/* The dataset kind a folder looks like: "camvid" (train.txt/val.txt/test.txt list files),
 * "folder" (a classes.json), else "sunrgbd". */
const char *rl_guess_dataset_kind (const char *path);

/* Called in the caller's main context with a small RGB copy (H, W, 3) of one image. */
typedef void (*RlThumbnailFunc) (gint64 image_id, int width, int height, GBytes *rgb,
                                 gpointer data);

/* Reads the image files paths[0..n) (from rl_project_image_path) on a worker thread and scales
 * each down (box filter) to fit max_size x max_size; image_ids[i] names paths[i] in the
 * callback. No project connection is opened. Unreadable images are skipped. */
void rl_thumbnails_async (gpointer source_object, const char *const *paths,
                          const gint64 *image_ids, guint n_images, int max_size,
                          RlThumbnailFunc func, gpointer func_data, GCancellable *cancellable,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean rl_thumbnails_finish (GAsyncResult *result, GError **error);

/* Rescores the newest prediction of image_id against its current labels and stores the scores
 * (rl_image_metrics_rescore) on a worker thread with its own connections: run it after an edit
 * so the image's mIoU/BF stay true. */
void rl_rescore_async (gpointer source_object, const char *project_path, gint64 image_id,
                       GCancellable *cancellable, GAsyncReadyCallback callback,
                       gpointer user_data);
/* image_id, miou, bf (may be NULL): the image and its new scores (NaN when undefined or when
 * nothing was stored: no prediction, or a newer one landed meanwhile). */
gboolean rl_rescore_finish (GAsyncResult *result, gint64 *image_id, double *miou, double *bf,
                            GError **error);
