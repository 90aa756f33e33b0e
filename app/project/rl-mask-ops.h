/* Pure mask edits shared by the GUI's tools and the CLI: round brush strokes, flood fill,
 * polygon fill. No SQL, no GTK: they change a (H, W) label buffer in place. */
#pragma once

#include <glib.h>

/* Painting rules for one operation. */
typedef struct
{
  guint8 value;        /* class (or void value) written */
  int protect_value;   /* -1: overwrite anything; else only pixels == protect_value or void */
  int void_value;      /* the dataset's void value (used with protect) */
} RlPaint;

/* Round brush of the given radius (pixels, > 0) along the polyline xy[0..2n) in image
 * coordinates (segments are interpolated, so the stroke is contiguous). Returns the number of
 * pixels whose value changed. Points outside the image are clipped, not errors. */
guint rl_mask_paint_stroke (guint8 *mask, int width, int height, const RlPaint *paint,
                            double radius, const double *xy, int n_points);

/* Flood fill (4-connected) of the region of equal value containing (x, y). */
guint rl_mask_flood_fill (guint8 *mask, int width, int height, const RlPaint *paint,
                          int x, int y);

/* Fills the polygon xy[0..2n) (even-odd rule, pixel centres). */
guint rl_mask_fill_polygon (guint8 *mask, int width, int height, const RlPaint *paint,
                            const double *xy, int n_points);
