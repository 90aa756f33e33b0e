/* The session's superpixels: when an image opens, its SLIC superpixels at every size of
 * rl_superpixel_sizes are computed in the background (two threads) and cached, so the superpixel
 * brush and the boundary overlay find them ready. Owned by RlSession (rl_session_get_superpixels,
 * "superpixels-ready"); GLib only. */
#pragma once

#include <glib.h>

#include "rl-superpixels.h"

typedef struct _RlSuperpixelPrep RlSuperpixelPrep;

/* Called in context (the session's) when one size of an image is ready. */
typedef void (*RlSuperpixelReadyFunc) (gint64 image_id, int size, gpointer data);

RlSuperpixelPrep *rl_superpixel_prep_new (GMainContext *context, RlSuperpixelReadyFunc ready,
                                          gpointer data);
/* Starts computing image_id's superpixels (rgb (H, W, 3) is copied); work for the image asked
 * before is abandoned after the size it is computing. Sizes already cached are reported at
 * once (in context). */
void rl_superpixel_prep_start (RlSuperpixelPrep *prep, gint64 image_id, int width, int height,
                               const guint8 *rgb);
/* A new reference, or NULL while that size is not ready. */
RlSuperpixels *rl_superpixel_prep_lookup (RlSuperpixelPrep *prep, gint64 image_id, int size);
/* Stops reporting (ready is never called after this) and drops the caller's reference; running
 * workers finish their current size and go. */
void rl_superpixel_prep_free (RlSuperpixelPrep *prep);
