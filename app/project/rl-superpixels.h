/* Superpixels for the superpixel brush: SLIC (Achanta et al. 2012) in CIELAB, written in C, at
 * a few sizes; a brush that paints every superpixel a stroke touches; boundaries for display;
 * and a small thread-safe cache so a background job can compute them when an image opens.
 * No SQL, no GTK. */
#pragma once

#include <glib.h>
#include "rl-mask-ops.h"

/* The sizes offered (grid step in pixels: about size x size pixels per superpixel). */
#define RL_SUPERPIXEL_N_SIZES 3
extern const int rl_superpixel_sizes[RL_SUPERPIXEL_N_SIZES];   /* 8, 16, 32 */
#define RL_SUPERPIXEL_COMPACTNESS 10.0

/* Reference-counted and immutable once made: share it between threads freely. */
typedef struct
{
  int width, height;
  int size;           /* grid step it was computed with */
  int n;              /* number of superpixels, labelled 0 .. n-1 */
  gint32 *labels;     /* (H, W) */
  gint32 *start;      /* (n + 1): superpixel s owns pixels[start[s] .. start[s + 1]) */
  gint32 *pixels;     /* (H * W) pixel indices (y * W + x) grouped by superpixel */
  gint ref;
} RlSuperpixels;

/* SLIC on rgb (H, W, 3): grid step `size` (>= 2), compactness m (10 is SLIC's default), 10
 * iterations, then connectivity enforced (every superpixel 4-connected; fragments under a
 * quarter of size^2 join a neighbour). Deterministic. NULL only for a bad argument. */
RlSuperpixels *rl_superpixels_slic (const guint8 *rgb, int width, int height, int size,
                                    double compactness);
RlSuperpixels *rl_superpixels_ref (RlSuperpixels *sp);
void rl_superpixels_unref (RlSuperpixels *sp);   /* accepts NULL */

/* region (H, W) gets 1 on every pixel of every superpixel that the round brush stroke (same
 * geometry as rl_mask_paint_stroke) touches: the preview. Returns the region's size. */
guint rl_superpixels_stroke_region (const RlSuperpixels *sp, double radius, const double *xy,
                                    int n_points, guint8 *region);
/* Paints paint->value over those superpixels (pixels the paint may write). Returns pixels
 * changed. */
guint rl_superpixels_paint_stroke (const RlSuperpixels *sp, guint8 *mask, const RlPaint *paint,
                                   double radius, const double *xy, int n_points);
/* out (H, W) gets 1 where a pixel's right or lower neighbour is in another superpixel. */
void rl_superpixels_boundaries (const RlSuperpixels *sp, guint8 *out);

/* A cache of superpixels by (image key, size), holding at most max_entries (least recently
 * used dropped). Lookups return a new reference or NULL. Safe from several threads. */
typedef struct _RlSuperpixelCache RlSuperpixelCache;
RlSuperpixelCache *rl_superpixel_cache_new (guint max_entries);
void rl_superpixel_cache_free (RlSuperpixelCache *cache);
RlSuperpixels *rl_superpixel_cache_lookup (RlSuperpixelCache *cache, gint64 image_key,
                                           int size);
void rl_superpixel_cache_insert (RlSuperpixelCache *cache, gint64 image_key,
                                 RlSuperpixels *sp);
/* The cached superpixels, computing (and caching) them from rgb when missing. */
RlSuperpixels *rl_superpixel_cache_get (RlSuperpixelCache *cache, gint64 image_key,
                                        const guint8 *rgb, int width, int height, int size);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlSuperpixels, rl_superpixels_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlSuperpixelCache, rl_superpixel_cache_free)
