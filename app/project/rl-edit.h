/* One mask edit, as the GUI and the CLI describe it (brush stroke, flood fill, polygon, a region of
 * pixels, accept the prediction), and the one function that applies it to a label mask.
 *
 * Every edit is "a set of pixels (its footprint) gets new values": the kind says how the
 * footprint is found, the source where the new values come from, and protect which pixels of the
 * footprint may change. rl_project_apply_edit (the CLI, and the session's writer thread) and the
 * session's in-memory copy (what the canvas shows) both call rl_edit_apply, so an option means
 * the same wherever an edit comes from. How to add a kind: see rl-session.h. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"

typedef enum
{
  RL_EDIT_STROKE,      /* round brush of `radius` along points (a polyline; 1 point: a dab) */
  RL_EDIT_FILL,        /* 4-connected region of equal value containing pixel points[0] */
  RL_EDIT_POLYGON,     /* polygon points (even-odd rule, pixel centres), >= 3 points */
  RL_EDIT_REGION,      /* the nonzero pixels of region (region_w x region_h at region_x, y) */
  RL_EDIT_WHOLE_IMAGE, /* every pixel (e.g. accept the prediction) */
} RlEditKind;

typedef enum
{
  RL_EDIT_SOURCE_CLASS,      /* the value `cls` (a class or the void value) */
  RL_EDIT_SOURCE_ORIGINAL,   /* the imported label of each pixel (eraser "back to original") */
  RL_EDIT_SOURCE_PREDICTION, /* the prediction's label of each pixel */
  RL_EDIT_SOURCE_VALUES,     /* RL_EDIT_REGION only: values (region_h, region_w) per pixel (the
                              * clean-up's islands and holes, each taking its own majority) */
} RlEditSource;

typedef enum
{
  RL_PROTECT_NONE,    /* every pixel of the footprint may change */
  /* "Protect other classes" (the GUI's X, the CLI's --protect): only pixels of the class under
   * the edit's first point (its anchor), or void, change. A fill covers one region of one class,
   * so protect never narrows a fill. */
  RL_PROTECT_ANCHOR,
  RL_PROTECT_VOID,    /* only void pixels change (e.g. accept the prediction where unlabelled) */
} RlProtect;

typedef struct
{
  RlEditKind kind;
  RlEditSource source;
  RlProtect protect;
  int cls;                  /* RL_EDIT_SOURCE_CLASS: the value written */
  double radius;            /* RL_EDIT_STROKE: pixels, > 0 */
  /* STROKE, POLYGON: continuous image coordinates (pixel (i, j) centred at (i + .5, j + .5), see
   * rl-mask-ops.h); FILL: points[0], points[1] name the pixel (floored). The first point is the
   * anchor of RL_PROTECT_ANCHOR (REGION: points[0] when given, e.g. the wand's click or the
   * superpixel stroke's start, else its first pixel in row order; WHOLE_IMAGE: none, so protect
   * there means void only). */
  double *points;           /* x, y pairs, owned */
  int n_points;
  int region_x, region_y, region_w, region_h;
  guint8 *region;           /* (region_h, region_w), nonzero = in the footprint, owned */
  guint8 *values;           /* RL_EDIT_SOURCE_VALUES: (region_h, region_w) new values, owned */
  char *tool;               /* recorded in the history ("brush", "paint", "fill", ...), owned */
} RlEdit;

RlEdit *rl_edit_new (RlEditKind kind, const char *tool);
RlEdit *rl_edit_copy (const RlEdit *edit);
void rl_edit_free (RlEdit *edit);
/* Copies n (x, y) pairs into edit->points. */
void rl_edit_set_points (RlEdit *edit, const double *xy, int n);

/* What an edit is applied against. original / prediction may be NULL when absent (an edit that
 * reads one then fails with NOT_FOUND). where names the image in error messages, e.g.
 * "demo.relabel: image '0016E5_07959'". */
typedef struct
{
  const RlClassSpec *spec;
  int width, height;
  const guint8 *original;     /* (H, W) */
  const guint8 *prediction;   /* (H, W) */
  const char *where;
} RlEditTarget;

/* Applies edit to mask (H, W) in place. *n_changed (may be NULL): pixels whose value changed;
 * *bbox (may be NULL): x0, y0, x1, y1 (exclusive) of the pixels that may have changed. Bad input
 * (a class out of range, a stroke entirely outside the image, a fill point outside it, a
 * polygon with fewer than 3 points, a region outside the image, no prediction) is an
 * RL_PROJECT_ERROR_INVALID (NOT_FOUND for a missing mask) and leaves mask unchanged. */
gboolean rl_edit_apply (const RlEdit *edit, const RlEditTarget *target, guint8 *mask,
                        guint *n_changed, int bbox[4], GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlEdit, rl_edit_free)
