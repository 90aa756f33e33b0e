/* Issue 20's correction tools as RlEdits (rl-edit.h): each builds ONE RL_EDIT_REGION from the
 * image, the current mask and the tool's parameters, which the session (GUI) or
 * rl_project_apply_edit (CLI, rl-project-tools.h) then applies with rl_edit_apply. So an option
 * means the same wherever a tool runs. No SQL, no GTK: plain buffers in, an edit out.
 *
 * protect, as everywhere (rl-edit.h): RL_PROTECT_ANCHOR is "protect other classes": only pixels
 * of the class under the click / the stroke's first point, or void, change (and the wand's flood
 * stops at the others); RL_PROTECT_VOID: only void pixels change.
 * Errors: RL_PROJECT_ERROR_INVALID for a class out of range, a point or a shape outside the
 * image, a bad size; nothing is built then. An edit that covers no pixel is still returned (it
 * changes nothing and is not recorded). */
#pragma once

#include <glib.h>

#include "rl-class-spec.h"
#include "rl-edit.h"
#include "rl-superpixels.h"

/* A region drawn by the user, in image coordinates (pixel (i, j) centred at (i + .5, j + .5),
 * as rl-mask-ops.h): a round-brush stroke when radius > 0, else a closed polygon (>= 3
 * points, even-odd rule). */
typedef struct
{
  const double *xy;
  int n_points;
  double radius;
} RlShape;

/* What a tool reads: the shown image (rgb may be NULL for tools that do not need it), its
 * current mask and classes; where names the image in messages ("p.relabel: image 'x'"). */
typedef struct
{
  const RlClassSpec *spec;
  int width, height;
  const guint8 *rgb;     /* (H, W, 3) */
  const guint8 *mask;    /* (H, W) current labels */
  const char *where;
} RlToolInput;

/* Magic wand: the pixels 4-connected to pixel (x, y) whose colour lies within tolerance of it
 * (rl_wand_region), painted cls. preview (may be NULL; (H, W)) receives the region as 0/1, for
 * the overlay while the tolerance changes. */
RlEdit *rl_tool_wand (const RlToolInput *in, int cls, int x, int y, double tolerance,
                      RlProtect protect, guint8 *preview, GError **error);

/* Superpixel brush: every superpixel of sp (the image's, same size) the round-brush stroke
 * touches, painted cls. */
RlEdit *rl_tool_superpixel (const RlToolInput *in, const RlSuperpixels *sp, int cls,
                            const RlShape *stroke, RlProtect protect, GError **error);

/* Clean-up: class components (islands) or void components (holes) under min_size (>= 2)
 * pixels take the majority class around them (rl_mask_remove_islands / rl_mask_fill_holes):
 * one region edit with a value per pixel. */
RlEdit *rl_tool_remove_islands (const RlToolInput *in, guint min_size, GError **error);
RlEdit *rl_tool_fill_holes (const RlToolInput *in, guint min_size, GError **error);

/* Inside the shape, pixels of class `from` become `to` (either may be the void value). */
RlEdit *rl_tool_replace_class (const RlToolInput *in, int from, int to, const RlShape *shape,
                               GError **error);

/* Inside the shape, the labels take the prediction (protect RL_PROTECT_VOID: only void pixels
 * do). The prediction itself is read where the edit is applied (RlEditTarget). */
RlEdit *rl_tool_accept_prediction (const RlToolInput *in, const RlShape *shape,
                                   RlProtect protect, GError **error);

/* The 0/1 (H, W) region a shape covers; NULL with INVALID when it is malformed or covers no
 * pixel. *n (may be NULL) gets its size. */
guint8 *rl_tool_shape_region (const RlToolInput *in, const RlShape *shape, guint *n,
                              GError **error);
