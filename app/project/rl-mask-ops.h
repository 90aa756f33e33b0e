/* Pure mask edits shared by the GUI's tools and the CLI: round brush strokes, flood fill,
 * polygon fill. No SQL, no GTK: they change a (H, W) label buffer in place.
 *
 * Coordinates: continuous image coordinates, pixel (i, j) covers [i, i+1) x [j, j+1) and its
 * centre is (i + 0.5, j + 0.5); a mouse position divided by the zoom maps straight onto them.
 * To name pixel (X, Y) itself (the CLI does), pass (X + 0.5, Y + 0.5). A pixel is painted when
 * its centre lies within `radius` of the stroke (distance <= radius): radius 1 at a pixel centre
 * paints that pixel and its 4 neighbours; radius 0.5 paints the one pixel. */
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

/* Flood fill (4-connected) of the region of equal value containing (x, y) (pixel indices).
 * With protect, the region is filled only if its value is protect_value or void. */
guint rl_mask_flood_fill (guint8 *mask, int width, int height, const RlPaint *paint,
                          int x, int y);

/* Fills the polygon xy[0..2n) (even-odd rule, pixel centres). */
guint rl_mask_fill_polygon (guint8 *mask, int width, int height, const RlPaint *paint,
                            const double *xy, int n_points);

/* The number of image pixels a stroke covers, whatever their values (0: entirely outside). */
guint rl_mask_stroke_coverage (int width, int height, double radius, const double *xy,
                               int n_points);
