/* Image and label I/O: RGB images from PNG or JPEG (chosen by the file's first bytes, never its
 * extension), 8-bit indexed label PNGs (grayscale or palette), colour-coded label PNGs.
 * No global state: every function may run in several threads at once. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"

#define RL_IMAGE_ERROR (rl_image_error_quark ())
GQuark rl_image_error_quark (void);

typedef enum
{
  RL_IMAGE_ERROR_OPEN,      /* missing or unreadable file */
  RL_IMAGE_ERROR_FORMAT,    /* not PNG/JPEG, truncated or corrupt */
  RL_IMAGE_ERROR_SIZE,      /* wrong or unsupported dimensions */
  RL_IMAGE_ERROR_VALUE,     /* label value out of range */
  RL_IMAGE_ERROR_WRITE,     /* could not write or rename */
} RlImageError;

typedef enum
{
  RL_IMAGE_FORMAT_UNKNOWN,
  RL_IMAGE_FORMAT_PNG,
  RL_IMAGE_FORMAT_JPEG,
} RlImageFormat;

/* The format from the first bytes (PNG signature, JPEG SOI marker); the name is never used. */
RlImageFormat rl_image_detect_format (const void *data, gsize len);
const char *rl_image_format_name (RlImageFormat format);   /* "PNG", "JPEG", "unknown" */

/* The pixel budget, checked as soon as an image's header is read, before any pixel memory is
 * allocated: each side 1..RL_IMAGE_MAX_SIDE and at most RL_IMAGE_MAX_PIXELS pixels in all
 * (8192 x 8192 = 67108864 pixels, 192 MiB as RGB; a CamVid frame is 172800 pixels, a SUN RGB-D
 * one 307200). A PNG whose compressed data is too short to hold its pixels (zlib inflates at
 * most 1032:1) and a progressive JPEG of more than RL_IMAGE_MAX_JPEG_SCANS scans (each one a
 * pass over the whole image) are refused too. Messages name the file and the limit. */
#define RL_IMAGE_MAX_SIDE 16384
#define RL_IMAGE_MAX_PIXELS (8192 * 8192)
#define RL_IMAGE_MAX_JPEG_SCANS 500

/* Reads any PNG (8/16-bit, gray, palette, alpha) or JPEG as 8-bit RGB.
 * *rgb is (H, W, 3) interleaved, g_free() it. Messages name the file and the cause. */
gboolean rl_image_read_rgb (const char *path, int *width, int *height, guint8 **rgb,
                            GError **error);
/* Same, from memory (e.g. a blob). name is used in messages. */
gboolean rl_image_decode_rgb (const void *data, gsize len, const char *name, int *width,
                              int *height, guint8 **rgb, GError **error);

/* As above, also returning the detected format (may be NULL). */
gboolean rl_image_read_rgb_full (const char *path, RlImageFormat *format, int *width,
                                 int *height, guint8 **rgb, GError **error);
gboolean rl_image_decode_rgb_full (const void *data, gsize len, const char *name,
                                   RlImageFormat *format, int *width, int *height, guint8 **rgb,
                                   GError **error);

/* Reads an 8-bit label PNG: grayscale value or palette index is the label. (H, W), g_free().
 * 1/2/4-bit gray or palette PNGs give their raw values; an alpha channel is ignored; 16-bit,
 * RGB and JPEG labels are refused. Values are not checked against any spec here. */
gboolean rl_label_read (const char *path, int *width, int *height, guint8 **labels,
                        GError **error);
gboolean rl_label_decode (const void *data, gsize len, const char *name, int *width,
                          int *height, guint8 **labels, GError **error);

/* FALSE (RL_IMAGE_ERROR_VALUE, naming name, the first bad value and pixel, and how many) if
 * a label value is not allowed by spec (rl_class_spec_value_ok). labels is (H, W). */
gboolean rl_label_check_values (const RlClassSpec *spec, const char *name, int width,
                                int height, const guint8 *labels, GError **error);

/* Writes labels as an 8-bit PNG. With spec, a palette PNG whose palette holds the class colours
 * (index = label, so it still reads back as indices); without, 8-bit grayscale.
 * Written to a temporary file in the same folder and renamed into place. */
gboolean rl_label_write (const char *path, int width, int height, const guint8 *labels,
                         const RlClassSpec *spec, GError **error);
/* Encodes labels as an 8-bit grayscale PNG in memory (for project blobs). g_bytes_unref(). */
GBytes *rl_label_encode (int width, int height, const guint8 *labels, GError **error);

/* Encodes labels as a palette PNG with the spec's colours (reads back as indices). */
GBytes *rl_label_encode_palette (int width, int height, const guint8 *labels,
                                 const RlClassSpec *spec, GError **error);

/* Writes labels as an RGB PNG with the spec's colours (void in void_rgb). Atomic like above. */
gboolean rl_label_write_color (const char *path, int width, int height, const guint8 *labels,
                               const RlClassSpec *spec, GError **error);
/* Reads a colour-coded label PNG back to indices (void_rgb -> ignore_index); unknown colours
 * become an error naming the pixel and the colour. */
gboolean rl_label_read_color (const char *path, const RlClassSpec *spec, int *width,
                              int *height, guint8 **labels, GError **error);

/* Writes an RGB image (H, W, 3) as PNG, atomically. */
gboolean rl_image_write_rgb_png (const char *path, int width, int height, const guint8 *rgb,
                                 GError **error);

/* Writes bytes to path through a temporary file in the same folder (".NAME.XXXXXX.tmp", removed
 * on failure) + fsync + rename + fsync of the folder. A replaced file keeps its mode; a new one
 * gets 0644. */
gboolean rl_file_write_atomic (const char *path, const void *data, gsize len, GError **error);
