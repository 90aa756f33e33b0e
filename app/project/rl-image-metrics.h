/* One image's prediction scores (mIoU, BF) kept current after its labels change: the project
 * scores a prediction against the labels when the prediction is stored; an edit made later
 * (stroke, fill, undo, redo, accept) is followed by a rescore so the image list stays true. */
#pragma once

#include <gio/gio.h>
#include "rl-class-spec.h"

/* The prediction's mIoU and BF against truth (both H x W label buffers), with the definitions of
 * engine/rl-metrics.h as rl_project_set_prediction stores them: NaN when undefined (mIoU with no
 * class in either mask; BF when every truth pixel is void). FALSE (both NaN) on bad sizes. */
gboolean rl_image_metrics_score (const RlClassSpec *spec, const guint8 *truth,
                                 const guint8 *pred, int width, int height, double *miou,
                                 double *bf);

/* Rescores the newest prediction of image_id in the project at project_path against its current
 * labels and stores the scores on that prediction, on connections of its own (call it from a
 * worker thread: 7 to 96 ms for a 480 x 360 image here). *stored (may be NULL) is FALSE
 * when the image has no prediction, or when a newer prediction landed meanwhile (it was scored
 * when stored). miou/bf (may be NULL) receive the scores, NaN when undefined or not stored. */
gboolean rl_image_metrics_rescore (const char *project_path, gint64 image_id, double *miou,
                                   double *bf, gboolean *stored, GError **error);
