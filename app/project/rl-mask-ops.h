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

/* TRUE when a pixel holding `old` may be overwritten under these rules (protect: only the
 * protected value or void). */
static inline gboolean
rl_paint_may_write (const RlPaint *paint, guint8 old)
{
  return paint->protect_value < 0 || old == paint->protect_value || old == paint->void_value;
}

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

/* --- regions: a (H, W) buffer of 0/1 marking the pixels a shape covers (the same pixels the
 * brush or the polygon fill would paint). Both return the number of pixels set. */
guint rl_mask_stroke_region (guint8 *region, int width, int height, double radius,
                             const double *xy, int n_points);
guint rl_mask_polygon_region (guint8 *region, int width, int height, const double *xy,
                              int n_points);

/* --- clean-up (issue 20). Components are 4-connected runs of one value.
 * Islands: every class component (not void_value) of fewer than min_size pixels takes the
 * majority value among the pixels 4-adjacent to it (counted once per adjacent pixel-edge),
 * preferring classes over void (void only when nothing else touches it); ties go to the lower
 * value. A component that touches no other value (the whole image) stays. All components are
 * decided on the mask as it was, then written, so the result does not depend on scan order.
 * Holes: the same for void components (they take the majority class around them; a void
 * component touching only void or nothing stays void).
 * Only pixels paint allows (rl_paint_may_write, with paint->value ignored) change; paint may be
 * NULL for no protection. Return the number of pixels changed. */
guint rl_mask_remove_islands (guint8 *mask, int width, int height, int void_value,
                              guint min_size, const RlPaint *paint);
guint rl_mask_fill_holes (guint8 *mask, int width, int height, int void_value,
                          guint min_size, const RlPaint *paint);

/* Inside region (H, W, 0/1): pixels of value `from` become `to`. */
guint rl_mask_replace_in_region (guint8 *mask, int width, int height, const guint8 *region,
                                 guint8 from, guint8 to);
/* Inside region: mask takes src's value (e.g. the prediction) where paint allows writing
 * (paint->value ignored; NULL: everywhere). */
guint rl_mask_copy_in_region (guint8 *mask, int width, int height, const guint8 *region,
                              const guint8 *src, const RlPaint *paint);
