/* Helpers shared by the datasets tests: files made with libpng/libjpeg directly (independent of
 * the code under test), temporary folders, and message checks. */
#pragma once

#include <glib.h>

/* A PNG with any libpng layout. data rows are packed as libpng expects (16-bit big-endian).
 * palette: n_palette RGB triples or NULL. interlace: Adam7 when TRUE. */
GBytes *ds_png_bytes (int width, int height, int bit_depth, int color_type, const void *data,
                      const guint8 *palette, int n_palette, gboolean interlace);
/* A baseline JPEG of (H, W, components) 8-bit pixels; components 1 (gray) or 3 (RGB). */
GBytes *ds_jpeg_bytes (int width, int height, int components, const guint8 *pixels, int quality);

void ds_write (const char *path, const void *data, gsize len);
void ds_write_bytes (const char *path, GBytes *bytes);
void ds_write_text (const char *path, const char *text);
/* mkdir -p of the folder part of a path under dir; returns dir/rel (g_free). */
char *ds_path (const char *dir, const char *rel);

char *ds_tmpdir (void);            /* g_dir_make_tmp */
void ds_rmtree (const char *dir);  /* removes what the tests made */

/* Asserts that error is set, its message names name (when not NULL) and holds fragment, and
 * that it is one line. */
void ds_assert_message (const GError *error, const char *name, const char *fragment);
