/* The metrics of an evaluation as JSON: the object `relabel eval --json` prints and the project
 * stores for each metrics run (one builder, so the two can never drift apart). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "rl-class-spec.h"
#include "rl-metrics.h"

/* Keys, in order: images, global_accuracy, class_accuracy, miou, bf (fractions 0..1, null when
 * undefined), per_class (index, name when spec knows it, accuracy, iou, bf, pixels; the ignore
 * index left out), confusion (K x K integer rows), per_image (name, global_accuracy,
 * class_accuracy, miou, bf). image_names has one entry per accumulated image. spec may be NULL.
 * Returns a newly allocated string. */
char *rl_metrics_to_json (const RlMetrics *m, const RlClassSpec *spec,
                          const char *const *image_names, gboolean pretty);

/* Adds key: v to the object being built, null when v is NaN (JSON has no NaN). */
void rl_json_add_number (JsonBuilder *b, const char *key, double v);
