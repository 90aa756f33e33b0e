/* Helpers shared by the datasets tests: PNG and JPEG files written with libpng and libjpeg
 * directly, temporary folders, one-line message checks. */
#include "ds-testutil.h"

#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <png.h>
#include <jpeglib.h>

static void
png_append (png_structp png, png_bytep data, size_t n)
{
  g_byte_array_append (png_get_io_ptr (png), data, (guint) n);
}

static void
png_noflush (png_structp png)
{
}

GBytes *
ds_png_bytes (int width, int height, int bit_depth, int color_type, const void *data,
              const guint8 *palette, int n_palette, gboolean interlace)
{
  GByteArray *buf = g_byte_array_new ();
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct (png);
  png_color pal[256];
  gsize rowbytes;
  int passes;

  g_assert_nonnull (png);
  g_assert_nonnull (info);
  if (setjmp (png_jmpbuf (png)))
    g_error ("libpng failed while making a test file");
  png_set_write_fn (png, buf, png_append, png_noflush);
  png_set_check_for_invalid_index (png, 0);   /* tests write indices past a short palette */
  png_set_IHDR (png, info, width, height, bit_depth, color_type,
                interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (palette)
    {
      for (int i = 0; i < n_palette; i++)
        {
          pal[i].red = palette[3 * i];
          pal[i].green = palette[3 * i + 1];
          pal[i].blue = palette[3 * i + 2];
        }
      png_set_PLTE (png, info, pal, n_palette);
    }
  png_write_info (png, info);
  rowbytes = png_get_rowbytes (png, info);
  passes = png_set_interlace_handling (png);
  for (int p = 0; p < passes; p++)
    for (int y = 0; y < height; y++)
      png_write_row (png, (png_const_bytep) data + (gsize) y * rowbytes);
  png_write_end (png, info);
  png_destroy_write_struct (&png, &info);
  return g_byte_array_free_to_bytes (buf);
}

GBytes *
ds_jpeg_bytes (int width, int height, int components, const guint8 *pixels, int quality)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  unsigned char *out = NULL;
  unsigned long out_len = 0;
  GBytes *bytes;

  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_mem_dest (&cinfo, &out, &out_len);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, quality, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      JSAMPROW row = (JSAMPROW) pixels + (gsize) cinfo.next_scanline * width * components;
      jpeg_write_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  bytes = g_bytes_new (out, out_len);
  free (out);
  return bytes;
}

void
ds_write (const char *path, const void *data, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

void
ds_write_bytes (const char *path, GBytes *bytes)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  ds_write (path, data, len);
}

void
ds_write_text (const char *path, const char *text)
{
  ds_write (path, text, strlen (text));
}

char *
ds_path (const char *dir, const char *rel)
{
  char *path = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  return path;
}

char *
ds_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("relabel-datasets-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
ds_rmtree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    {
      g_remove (dir);
      return;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *full = g_build_filename (dir, name, NULL);
      if (g_file_test (full, G_FILE_TEST_IS_DIR) && !g_file_test (full, G_FILE_TEST_IS_SYMLINK))
        ds_rmtree (full);
      else
        g_remove (full);
    }
  g_rmdir (dir);
}

void
ds_assert_message (const GError *error, const char *name, const char *fragment)
{
  g_assert_nonnull (error);
  if (name && !strstr (error->message, name))
    g_error ("message '%s' does not name '%s'", error->message, name);
  if (fragment && !strstr (error->message, fragment))
    g_error ("message '%s' lacks '%s'", error->message, fragment);
  g_assert_null (strchr (error->message, '\n'));
}
