/* The correction tools of issue 20 applied to a project image: magic wand, superpixel brush and
 * clean-up (islands, holes, replace a class in a region, accept the prediction in a region).
 * Each call builds the tool's RlEdit with rl-tool-edit.h (the builders the GUI's session uses)
 * and applies it with rl_project_apply_edit: ONE undoable step under the tool's name; a step
 * that changes nothing is not recorded. So an option means the same in the CLI (relabel
 * wand|superpixel|cleanup) and the GUI. Errors: RL_PROJECT_ERROR_INVALID for a class out of range, a point or a shape
 * outside the image or a bad size (nothing changes), NOT_FOUND for a missing image or
 * prediction. */
#pragma once

#include "rl-project.h"
#include "rl-superpixels.h"
#include "rl-tool-edit.h"
#include "rl-wand.h"


/* protect: "protect other classes" (RL_PROTECT_ANCHOR, as the brush's): only pixels of the class
 * under the click or the stroke's first point, or void, change; the wand's flood stops at the
 * others. */

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
 * newest); with protect only void pixels do (RL_PROTECT_VOID, as Accept Prediction's). */
gboolean rl_project_accept_prediction_in (RlProject *project, gint64 image_id,
                                          const RlShape *shape, gboolean protect,
                                          guint *n_changed, GError **error);
