/* The correction tools of issue 20 applied to a project image: magic wand, superpixel brush and
 * clean-up (islands, holes, replace a class in a region, accept the prediction in a region).
 * Each call is ONE undoable step recorded through rl_project_commit_mask (the path every edit
 * takes), under the tool's name; a step that changes nothing is not recorded. The same
 * functions serve the CLI (relabel wand|superpixel|cleanup) and the GUI, so an option means the
 * same in both. Errors: RL_PROJECT_ERROR_INVALID for a class out of range, a point or a shape
 * outside the image or a bad size (nothing changes), NOT_FOUND for a missing image or
 * prediction. */
#pragma once

#include "rl-project.h"
#include "rl-superpixels.h"
#include "rl-wand.h"

/* A region drawn by the user, in image coordinates (pixel (i, j) centred at (i + .5, j + .5),
 * as rl-mask-ops.h): a round-brush stroke when radius > 0, else a closed polygon (>= 3
 * points, even-odd rule). */
typedef struct
{
  const double *xy;
  int n_points;
  double radius;
} RlShape;

/* protect: "protect other classes": only void pixels (and pixels of the painted class) change. */

/* Magic wand from pixel (x, y) with the colour tolerance of rl_wand_region, painting cls.
 * rgb (H, W, 3) may be passed when the caller already holds the image (the GUI), else NULL. */
gboolean rl_project_wand (RlProject *project, gint64 image_id, const guint8 *rgb, int cls, int x,
                          int y, double tolerance, gboolean protect, guint *n_changed,
                          GError **error);

/* Superpixel brush: paints cls over every superpixel the stroke (radius > 0) touches. sp is the
 * image's superpixels when the caller holds them (e.g. from an RlSuperpixelCache), else NULL
 * and they are computed here at `size` (one of rl_superpixel_sizes or any step >= 2). */
gboolean rl_project_superpixel_paint (RlProject *project, gint64 image_id, RlSuperpixels *sp,
                                      int size, int cls, const RlShape *stroke,
                                      gboolean protect, guint *n_changed, GError **error);

/* Islands (class components) and holes (void components) under min_size pixels take the
 * surrounding majority class (rl_mask_remove_islands / rl_mask_fill_holes). min_size >= 2. */
gboolean rl_project_remove_islands (RlProject *project, gint64 image_id, guint min_size,
                                    guint *n_changed, GError **error);
gboolean rl_project_fill_holes (RlProject *project, gint64 image_id, guint min_size,
                                guint *n_changed, GError **error);

/* Inside the shape, pixels of class `from` become `to` (either may be the void value). */
gboolean rl_project_replace_class (RlProject *project, gint64 image_id, int from, int to,
                                   const RlShape *shape, guint *n_changed, GError **error);

/* Inside the shape, the labels take the image's prediction (the current model's, else the
 * newest); with protect only void pixels do. */
gboolean rl_project_accept_prediction_in (RlProject *project, gint64 image_id,
                                          const RlShape *shape, gboolean protect,
                                          guint *n_changed, GError **error);
