/* Magic wand: the region reachable from a click over pixels of similar colour, as a preview
 * (a 0/1 buffer the GUI can draw while the tolerance changes) and as a paint operation.
 * No SQL, no GTK: plain (H, W, 3) RGB and (H, W) label buffers. */
#pragma once

#include <glib.h>
#include "rl-mask-ops.h"

/* The wand region from pixel (x, y): every pixel 4-connected to it through pixels whose RGB
 * colour lies within `tolerance` of the clicked pixel's colour (Euclidean distance in 0..255
 * RGB units, so 0 takes exactly equal colours and 442 everything). With mask and paint (both or
 * neither), pixels the paint may not write (protect other classes) are left out and stop the
 * flood, so the region never leaks through a protected object. region (H, W) receives 1 inside,
 * 0 outside. Returns the region's size (0 when (x, y) is outside the image or not writable). */
guint rl_wand_region (const guint8 *rgb, int width, int height, int x, int y, double tolerance,
                      const guint8 *mask, const RlPaint *paint, guint8 *region);

/* rl_wand_region + painting paint->value over the region. Returns pixels changed. */
guint rl_wand_paint (guint8 *mask, const guint8 *rgb, int width, int height, int x, int y,
                     double tolerance, const RlPaint *paint);
