/* One image's prediction scores (mIoU, BF) kept current after its labels change: the project
 * scores a prediction against the labels when the prediction is stored; an edit made later
 * (stroke, fill, undo, redo, accept) is followed by a rescore so the image list stays true. */
#pragma once

#include <gio/gio.h>

/* Rescores the newest prediction of image_id in the project at project_path against its current
 * labels and stores the scores on that prediction (rl_project_rescore_prediction), on a
 * connection of its own (call it from a worker thread: 7 to 96 ms for a 480 x 360 image here).
 * *stored (may be NULL) is FALSE when the image has no prediction. miou/bf (may be NULL)
 * receive the scores, NaN when undefined. */
gboolean rl_image_metrics_rescore (const char *project_path, gint64 image_id, double *miou,
                                   double *bf, gboolean *stored, GError **error);
