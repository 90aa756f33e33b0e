/* PNG encoding tuned for label masks (few values, long runs): used for every mask the project
 * stores, so that committing a brush stroke stays within a few milliseconds. */
#include "rl-mask-png.h"

#include <png.h>
#include <zlib.h>

#include "rl-project.h"

typedef struct
{
  GByteArray *out;
  char message[200];
} Writer;

static void
on_error (png_structp png, png_const_charp msg)
{
  Writer *w = png_get_error_ptr (png);
  g_strlcpy (w->message, msg, sizeof w->message);
  png_longjmp (png, 1);
}

static void
on_warning (png_structp png, png_const_charp msg)
{
  (void) png;
  (void) msg;
}

static void
on_write (png_structp png, png_bytep data, size_t n)
{
  Writer *w = png_get_io_ptr (png);
  g_byte_array_append (w->out, data, n);
}

static void
on_flush (png_structp png)
{
  (void) png;
}

GBytes *
rl_mask_png_encode (int width, int height, const guint8 *labels, GError **error)
{
  if (width <= 0 || height <= 0 || width > 1 << 16 || height > 1 << 16 || labels == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "cannot encode a %dx%d mask", width, height);
      return NULL;
    }
  Writer w = { g_byte_array_new (), "" };
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, &w, on_error, on_warning);
  png_infop info = png ? png_create_info_struct (png) : NULL;
  if (png == NULL || info == NULL)
    {
      png_destroy_write_struct (&png, &info);
      g_byte_array_unref (w.out);
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "out of memory encoding a mask");
      return NULL;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_byte_array_unref (w.out);
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "cannot encode a mask: %s",
                   w.message);
      return NULL;
    }
  png_set_write_fn (png, &w, on_write, on_flush);
  png_set_IHDR (png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_set_filter (png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_compression_strategy (png, Z_RLE);
  png_set_compression_level (png, 6);
  png_write_info (png, info);
  for (int y = 0; y < height; y++)
    png_write_row (png, (png_bytep) labels + (gsize) y * width);
  png_write_end (png, info);
  png_destroy_write_struct (&png, &info);
  return g_byte_array_free_to_bytes (w.out);
}
