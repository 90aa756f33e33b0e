/* Tests of datasets/rl-image-io: PNG layouts and JPEG decoding against hand-computed pixels,
 * label and colour round trips, atomic writes, and a table of corrupt inputs (run under ASan). */
#include "rl-image-io.h"
#include "ds-testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <png.h>
#include <stdio.h>
#include <jpeglib.h>

#define W 13
#define H 7

static guint8
pat (int x, int y, int c)
{
  switch (c)
    {
    case 0:
      return (guint8) (x * 17 + y * 3);
    case 1:
      return (guint8) (x * 5 + y * 29);
    default:
      return (guint8) ((x ^ y) * 11);
    }
}

/* ---- format detection -------------------------------------------------------------------- */

static void
test_detect (void)
{
  guint8 rgb[W * H * 3];
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GBytes) jpg = NULL;

  for (int i = 0; i < W * H * 3; i++)
    rgb[i] = (guint8) i;
  png = ds_png_bytes (W, H, 8, PNG_COLOR_TYPE_RGB, rgb, NULL, 0, FALSE);
  jpg = ds_jpeg_bytes (W, H, 3, rgb, 90);
  g_assert_cmpint (rl_image_detect_format (g_bytes_get_data (png, NULL), g_bytes_get_size (png)),
                   ==, RL_IMAGE_FORMAT_PNG);
  g_assert_cmpint (rl_image_detect_format (g_bytes_get_data (jpg, NULL), g_bytes_get_size (jpg)),
                   ==, RL_IMAGE_FORMAT_JPEG);
  g_assert_cmpint (rl_image_detect_format ("GIF89a......", 12), ==, RL_IMAGE_FORMAT_UNKNOWN);
  g_assert_cmpint (rl_image_detect_format ("\x89PNG", 4), ==, RL_IMAGE_FORMAT_UNKNOWN);
  g_assert_cmpint (rl_image_detect_format ("", 0), ==, RL_IMAGE_FORMAT_UNKNOWN);
  g_assert_cmpstr (rl_image_format_name (RL_IMAGE_FORMAT_JPEG), ==, "JPEG");
}

/* ---- PNG layouts to RGB ------------------------------------------------------------------ */

typedef struct
{
  const char *what;
  int depth, ctype;
  gboolean interlace;
} PngLayout;

/* Builds the raw rows of one layout from pat() and the RGB every decoder must produce. */
static GBytes *
make_layout (const PngLayout *l, guint8 *expect)
{
  static const guint8 pal[4 * 3] = { 10, 20, 30, 200, 100, 0, 0, 255, 128, 7, 7, 7 };
  int chans = l->ctype == PNG_COLOR_TYPE_RGB ? 3 : l->ctype == PNG_COLOR_TYPE_RGB_ALPHA ? 4
              : l->ctype == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
  gsize rowbytes = ((gsize) W * chans * l->depth + 7) / 8;
  g_autofree guint8 *raw = g_malloc0 (rowbytes * H);

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        guint8 *row = raw + y * rowbytes;
        guint8 *e = expect + 3 * (y * W + x);
        guint8 v[4] = { pat (x, y, 0), pat (x, y, 1), pat (x, y, 2), pat (x, y, 1) };

        if (l->ctype == PNG_COLOR_TYPE_PALETTE || (l->ctype == PNG_COLOR_TYPE_GRAY && l->depth < 8))
          {
            int maxv = (1 << l->depth) - 1;
            int idx = l->ctype == PNG_COLOR_TYPE_PALETTE ? (x + y) % 4 : (x + 2 * y) % (maxv + 1);
            int shift = 8 - l->depth - (x * l->depth) % 8;
            row[x * l->depth / 8] |= (guint8) (idx << shift);
            if (l->ctype == PNG_COLOR_TYPE_PALETTE)
              memcpy (e, pal + 3 * idx, 3);
            else
              e[0] = e[1] = e[2] = (guint8) (idx * 255 / maxv);   /* 1/2/4-bit gray scales up */
            continue;
          }
        for (int c = 0; c < chans; c++)
          {
            if (l->depth == 8)
              row[x * chans + c] = v[c];
            else
              {
                /* v * 257 is exactly v in 8 bits, whatever rounding the 16->8 step uses. */
                guint16 s = (guint16) (v[c] * 257);
                row[2 * (x * chans + c)] = (guint8) (s >> 8);
                row[2 * (x * chans + c) + 1] = (guint8) (s & 255);
              }
          }
        if (chans >= 3)
          memcpy (e, v, 3);
        else
          e[0] = e[1] = e[2] = v[0];   /* gray (alpha dropped) */
      }
  return ds_png_bytes (W, H, l->depth, l->ctype, raw,
                       l->ctype == PNG_COLOR_TYPE_PALETTE ? pal : NULL, 4, l->interlace);
}

static void
test_png_layouts (void)
{
  static const PngLayout layouts[] = {
    { "gray1", 1, PNG_COLOR_TYPE_GRAY, FALSE },
    { "gray2", 2, PNG_COLOR_TYPE_GRAY, FALSE },
    { "gray4", 4, PNG_COLOR_TYPE_GRAY, FALSE },
    { "gray8", 8, PNG_COLOR_TYPE_GRAY, FALSE },
    { "gray16", 16, PNG_COLOR_TYPE_GRAY, FALSE },
    { "gray-alpha8", 8, PNG_COLOR_TYPE_GRAY_ALPHA, FALSE },
    { "gray-alpha16", 16, PNG_COLOR_TYPE_GRAY_ALPHA, FALSE },
    { "palette2", 2, PNG_COLOR_TYPE_PALETTE, FALSE },
    { "palette8", 8, PNG_COLOR_TYPE_PALETTE, FALSE },
    { "rgb8", 8, PNG_COLOR_TYPE_RGB, FALSE },
    { "rgb16", 16, PNG_COLOR_TYPE_RGB, FALSE },
    { "rgba8", 8, PNG_COLOR_TYPE_RGB_ALPHA, FALSE },
    { "rgba16", 16, PNG_COLOR_TYPE_RGB_ALPHA, FALSE },
    { "rgb8-interlaced", 8, PNG_COLOR_TYPE_RGB, TRUE },
    { "palette8-interlaced", 8, PNG_COLOR_TYPE_PALETTE, TRUE },
  };
  g_autofree char *dir = ds_tmpdir ();

  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      guint8 expect[W * H * 3];
      g_autoptr (GBytes) png = make_layout (&layouts[i], expect);
      g_autofree char *path = g_strdup_printf ("%s/%s.png", dir, layouts[i].what);
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *rgb = NULL;
      RlImageFormat fmt = RL_IMAGE_FORMAT_UNKNOWN;
      int w = 0, h = 0;

      g_test_message ("layout %s", layouts[i].what);
      ds_write_bytes (path, png);
      g_assert_true (rl_image_read_rgb_full (path, &fmt, &w, &h, &rgb, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fmt, ==, RL_IMAGE_FORMAT_PNG);
      g_assert_cmpint (w, ==, W);
      g_assert_cmpint (h, ==, H);
      g_assert_cmpmem (rgb, W * H * 3, expect, W * H * 3);
    }
  ds_rmtree (dir);
}

/* ---- JPEG -------------------------------------------------------------------------------- */

static void
test_jpeg (void)
{
  const int jw = 64, jh = 40;
  g_autofree guint8 *src = g_malloc (jw * jh * 3);
  g_autofree guint8 *gray = g_malloc (jw * jh);
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "photo.png", NULL);   /* JPEG data in .png */
  g_autofree char *gpath = g_build_filename (dir, "gray.jpg", NULL);
  g_autoptr (GBytes) jpg = NULL;
  g_autoptr (GBytes) gjpg = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *rgb = NULL;
  g_autofree guint8 *grgb = NULL;
  RlImageFormat fmt = RL_IMAGE_FORMAT_UNKNOWN;
  int w, h;
  double err = 0;

  /* Smooth gradients survive JPEG at quality 100 within a few levels. */
  for (int y = 0; y < jh; y++)
    for (int x = 0; x < jw; x++)
      {
        src[3 * (y * jw + x)] = (guint8) (x * 4);
        src[3 * (y * jw + x) + 1] = (guint8) (y * 6);
        src[3 * (y * jw + x) + 2] = (guint8) (128 + x - y);
        gray[y * jw + x] = (guint8) (x * 2 + y * 3);
      }
  jpg = ds_jpeg_bytes (jw, jh, 3, src, 100);
  gjpg = ds_jpeg_bytes (jw, jh, 1, gray, 100);
  ds_write_bytes (path, jpg);
  ds_write_bytes (gpath, gjpg);

  g_assert_true (rl_image_read_rgb_full (path, &fmt, &w, &h, &rgb, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fmt, ==, RL_IMAGE_FORMAT_JPEG);
  g_assert_cmpint (w, ==, jw);
  g_assert_cmpint (h, ==, jh);
  for (int i = 0; i < jw * jh * 3; i++)
    err += abs ((int) rgb[i] - (int) src[i]);
  err /= jw * jh * 3;
  g_test_message ("JPEG q100 mean abs error %.3f", err);
  g_assert_cmpfloat (err, <, 2.0);

  g_assert_true (rl_image_read_rgb (gpath, &w, &h, &grgb, &error));
  g_assert_no_error (error);
  for (int i = 0; i < jw * jh; i++)
    {
      g_assert_cmpint (grgb[3 * i], ==, grgb[3 * i + 1]);
      g_assert_cmpint (grgb[3 * i], ==, grgb[3 * i + 2]);
      g_assert_cmpint (abs ((int) grgb[3 * i] - (int) gray[i]), <=, 3);
    }
  ds_rmtree (dir);
}

/* ---- label round trips ------------------------------------------------------------------- */

static guint8 *
make_labels (int w, int h, int modulo)
{
  guint8 *l = g_malloc ((gsize) w * h);

  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      l[y * w + x] = (guint8) ((x * 7 + y * 13 + x * y) % modulo);
  return l;
}

static void
test_label_gray_roundtrip (void)
{
  const int lw = 37, lh = 23;
  g_autofree guint8 *labels = make_labels (lw, lh, 256);
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "gray.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *rgb = NULL;
  int w, h;

  g_assert_true (rl_label_write (path, lw, lh, labels, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (rl_label_read (path, &w, &h, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, lw);
  g_assert_cmpint (h, ==, lh);
  g_assert_cmpmem (back, lw * lh, labels, lw * lh);
  /* Without a spec the file is plain grayscale: value v shows as (v, v, v). */
  g_assert_true (rl_image_read_rgb (path, &w, &h, &rgb, &error));
  for (int i = 0; i < lw * lh; i++)
    {
      g_assert_cmpint (rgb[3 * i], ==, labels[i]);
      g_assert_cmpint (rgb[3 * i + 2], ==, labels[i]);
    }
  ds_rmtree (dir);
}

static void
test_label_palette_roundtrip (void)
{
  const int lw = 41, lh = 19;
  g_autoptr (RlClassSpec) spec = rl_class_spec_camvid ();
  g_autofree guint8 *labels = make_labels (lw, lh, 12);   /* 0..10 classes, 11 void */
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "palette.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *rgb = NULL;
  int w, h;

  g_assert_true (rl_label_write (path, lw, lh, labels, spec, &error));
  g_assert_no_error (error);
  g_assert_true (rl_label_read (path, &w, &h, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back, lw * lh, labels, lw * lh);
  /* The palette carries the tutorial's colours: Road (3) is (128,64,128), void (11) black. */
  g_assert_true (rl_image_read_rgb (path, &w, &h, &rgb, &error));
  for (int i = 0; i < lw * lh; i++)
    {
      const guint8 *c = rgb + 3 * i;
      if (labels[i] == 11)
        g_assert_true (c[0] == 0 && c[1] == 0 && c[2] == 0);
      else
        g_assert_true (c[0] == spec->classes[labels[i]].r && c[1] == spec->classes[labels[i]].g
                       && c[2] == spec->classes[labels[i]].b);
      if (labels[i] == 3)
        g_assert_true (c[0] == 128 && c[1] == 64 && c[2] == 128);
    }
  ds_rmtree (dir);
}

static void
test_label_encode_decode (void)
{
  const int lw = 50, lh = 30;
  g_autoptr (RlClassSpec) spec = rl_class_spec_sunrgbd ();
  g_autofree guint8 *labels = make_labels (lw, lh, 256);
  g_autoptr (GBytes) gray = NULL;
  g_autoptr (GBytes) pal = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *back2 = NULL;
  int w, h;

  gray = rl_label_encode (lw, lh, labels, &error);
  g_assert_no_error (error);
  g_assert_true (rl_label_decode (g_bytes_get_data (gray, NULL), g_bytes_get_size (gray), "blob",
                                  &w, &h, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, lw);
  g_assert_cmpint (h, ==, lh);
  g_assert_cmpmem (back, lw * lh, labels, lw * lh);

  pal = rl_label_encode_palette (lw, lh, labels, spec, &error);
  g_assert_no_error (error);
  g_assert_true (rl_label_decode (g_bytes_get_data (pal, NULL), g_bytes_get_size (pal), "blob",
                                  &w, &h, &back2, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back2, lw * lh, labels, lw * lh);

  g_assert_null (rl_label_encode (0, 5, labels, &error));
  ds_assert_message (error, NULL, "unsupported image size");
}

/* Label PNGs made by other tools: sub-byte palettes and gray+alpha keep their raw values. */
static void
test_label_external (void)
{
  static const guint8 pal[4 * 3] = { 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255 };
  const int lw = 11, lh = 3;
  guint8 packed[3 * 3] = { 0 };   /* 2 bits per pixel: 3 bytes per row */
  guint8 ga[11 * 3 * 2];
  guint8 expect[11 * 3];
  g_autoptr (GBytes) p2 = NULL;
  g_autoptr (GBytes) pga = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *back2 = NULL;
  int w, h;

  for (int y = 0; y < lh; y++)
    for (int x = 0; x < lw; x++)
      {
        int v = (x + y) % 4;
        packed[y * 3 + x / 4] |= (guint8) (v << (6 - 2 * (x % 4)));
        expect[y * lw + x] = (guint8) v;
        ga[2 * (y * lw + x)] = (guint8) (x * 3 + y);
        ga[2 * (y * lw + x) + 1] = 255;
      }
  p2 = ds_png_bytes (lw, lh, 2, PNG_COLOR_TYPE_PALETTE, packed, pal, 4, FALSE);
  g_assert_true (rl_label_decode (g_bytes_get_data (p2, NULL), g_bytes_get_size (p2), "p2", &w,
                                  &h, &back, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back, lw * lh, expect, lw * lh);

  /* Indices beyond a short palette are still the label (libpng only warns). */
  {
    guint8 idx[11 * 3];
    g_autoptr (GBytes) p8 = NULL;
    g_autofree guint8 *back8 = NULL;
    for (int i = 0; i < lw * lh; i++)
      idx[i] = (guint8) (i % 6);
    p8 = ds_png_bytes (lw, lh, 8, PNG_COLOR_TYPE_PALETTE, idx, pal, 2, FALSE);
    g_assert_true (rl_label_decode (g_bytes_get_data (p8, NULL), g_bytes_get_size (p8), "p8", &w,
                                    &h, &back8, &error));
    g_assert_no_error (error);
    g_assert_cmpmem (back8, lw * lh, idx, lw * lh);
  }

  pga = ds_png_bytes (lw, lh, 8, PNG_COLOR_TYPE_GRAY_ALPHA, ga, NULL, 0, FALSE);
  g_assert_true (rl_label_decode (g_bytes_get_data (pga, NULL), g_bytes_get_size (pga), "ga", &w,
                                  &h, &back2, &error));
  g_assert_no_error (error);
  for (int i = 0; i < lw * lh; i++)
    g_assert_cmpint (back2[i], ==, ga[2 * i]);
}

static void
test_color_roundtrip (void)
{
  const int lw = 29, lh = 17;
  g_autoptr (RlClassSpec) spec = rl_class_spec_camvid ();
  g_autofree guint8 *labels = make_labels (lw, lh, 12);
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "color.png", NULL);
  g_autofree char *odd = g_build_filename (dir, "odd.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *rgb = NULL;
  g_autofree guint8 *odd_rgb = NULL;
  g_autofree guint8 *none = NULL;
  int w, h;

  labels[5] = 200;   /* not a class: written in the void colour, read back as void (11) */
  g_assert_true (rl_label_write_color (path, lw, lh, labels, spec, &error));
  g_assert_no_error (error);
  g_assert_true (rl_image_read_rgb (path, &w, &h, &rgb, &error));
  g_assert_cmpint (rgb[3 * 5], ==, 0);
  for (int i = 0; i < lw * lh; i++)
    if (labels[i] < 11)
      g_assert_true (rgb[3 * i] == spec->classes[labels[i]].r
                     && rgb[3 * i + 1] == spec->classes[labels[i]].g
                     && rgb[3 * i + 2] == spec->classes[labels[i]].b);
  g_assert_true (rl_label_read_color (path, spec, &w, &h, &back, &error));
  g_assert_no_error (error);
  labels[5] = 11;
  g_assert_cmpmem (back, lw * lh, labels, lw * lh);

  /* A colour that is no class is an error naming the file, the pixel and the colour. */
  odd_rgb = g_malloc0 (lw * lh * 3);
  odd_rgb[3 * (2 * lw + 4)] = 1;
  odd_rgb[3 * (2 * lw + 4) + 1] = 2;
  odd_rgb[3 * (2 * lw + 4) + 2] = 3;
  g_assert_true (rl_image_write_rgb_png (odd, lw, lh, odd_rgb, &error));
  g_assert_no_error (error);
  g_assert_false (rl_label_read_color (odd, spec, &w, &h, &none, &error));
  ds_assert_message (error, odd, "pixel (4,2) has colour (1,2,3)");
  ds_rmtree (dir);
}

static void
test_rgb_write_roundtrip (void)
{
  g_autofree guint8 *src = g_malloc (W * H * 3);
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "rgb.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *back = NULL;
  int w, h;

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int c = 0; c < 3; c++)
        src[3 * (y * W + x) + c] = pat (x, y, c);
  g_assert_true (rl_image_write_rgb_png (path, W, H, src, &error));
  g_assert_no_error (error);
  g_assert_true (rl_image_read_rgb (path, &w, &h, &back, &error));
  g_assert_cmpmem (back, W * H * 3, src, W * H * 3);
  ds_rmtree (dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (d);
  while (g_dir_read_name (d))
    n++;
  return n;
}

static void
test_atomic_write (void)
{
  g_autofree char *dir = ds_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "data.bin", NULL);
  g_autofree char *bad = g_build_filename (dir, "missing", "data.bin", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  struct stat st;

  g_assert_true (rl_file_write_atomic (path, "first", 5, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);   /* no temporary file left behind */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, "first", 5);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0644);

  /* Replacing keeps the old file's mode and leaves one file. */
  g_assert_cmpint (chmod (path, 0600), ==, 0);
  g_assert_true (rl_file_write_atomic (path, "second!", 7, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpmem (contents, len, "second!", 7);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Zero bytes are a valid file. */
  g_assert_true (rl_file_write_atomic (path, NULL, 0, &error));
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, 0);

  /* A folder that does not exist: a clear error and nothing written. */
  g_assert_false (rl_file_write_atomic (bad, "x", 1, &error));
  ds_assert_message (error, bad, "cannot create file");
  g_assert_cmpuint (count_entries (dir), ==, 1);

  /* Writing onto a folder fails at rename; the temporary file is removed. */
  g_clear_error (&error);
  g_assert_false (rl_file_write_atomic (dir, "x", 1, &error));
  ds_assert_message (error, dir, "cannot write");
  ds_rmtree (dir);
}

/* ---- corrupt inputs ---------------------------------------------------------------------- */

static guint32
crc32_of (const guint8 *p, gsize n)
{
  guint32 c = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
  return c ^ 0xffffffffu;
}

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* Rewrites the IHDR's width and height of a PNG and fixes its CRC. */
static guint8 *
png_with_size (GBytes *png, guint32 w, guint32 h, gsize *len)
{
  guint8 *p = g_memdup2 (g_bytes_get_data (png, len), g_bytes_get_size (png));

  g_assert_cmpmem (p + 12, 4, "IHDR", 4);
  put_be32 (p + 16, w);
  put_be32 (p + 20, h);
  put_be32 (p + 29, crc32_of (p + 12, 17));
  return p;
}

static gsize
find (const guint8 *p, gsize n, const char *what, gsize wlen)
{
  for (gsize i = 0; i + wlen <= n; i++)
    if (memcmp (p + i, what, wlen) == 0)
      return i;
  g_assert_not_reached ();
  return 0;
}

typedef enum
{
  READ_RGB,
  READ_LABEL,
} Reader;

typedef struct
{
  char *file;
  Reader reader;
  const char *fragment;
} Corrupt;

static void
add_case (GPtrArray *cases, const char *dir, const char *name, const void *data, gssize len,
          Reader reader, const char *fragment)
{
  Corrupt *c = g_new0 (Corrupt, 1);

  c->file = g_build_filename (dir, name, NULL);
  if (len >= 0)
    ds_write (c->file, data, (gsize) len);
  c->reader = reader;
  c->fragment = fragment;
  g_ptr_array_add (cases, c);
}

static void
corrupt_free (gpointer p)
{
  Corrupt *c = p;

  g_free (c->file);
  g_free (c);
}

/* A grayscale progressive JPEG of rgb's red channel (W x H): the DC, then each of the 63 AC
 * coefficients in its own scan, first at bit al and then refined bit by bit down to bit 0:
 * 1 + 63 * (al + 1) scans. */
static GBytes *
progressive_jpeg (const guint8 *rgb, int al)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  unsigned char *out = NULL;
  unsigned long out_len = 0;
  g_autofree jpeg_scan_info *scans = g_new0 (jpeg_scan_info, 1 + 63 * (al + 1));
  g_autofree guint8 *gray = g_malloc (W * H);
  int n = 0;

  for (int i = 0; i < W * H; i++)
    gray[i] = rgb[3 * i];
  scans[n].comps_in_scan = 1;
  scans[n++].Se = 0;
  for (int k = 1; k < 64; k++)
    for (int bit = al; bit >= 0; bit--)
      {
        scans[n].comps_in_scan = 1;
        scans[n].Ss = k;
        scans[n].Se = k;
        scans[n].Ah = bit == al ? 0 : bit + 1;
        scans[n++].Al = bit;
      }
  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_mem_dest (&cinfo, &out, &out_len);
  cinfo.image_width = W;
  cinfo.image_height = H;
  cinfo.input_components = 1;
  cinfo.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults (&cinfo);
  cinfo.scan_info = scans;
  cinfo.num_scans = n;
  jpeg_start_compress (&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height)
    {
      JSAMPROW row = gray + (gsize) cinfo.next_scanline * W;
      jpeg_write_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  GBytes *bytes = g_bytes_new (out, out_len);
  free (out);
  return bytes;
}

static void
test_corrupt_table (void)
{
  g_autofree char *dir = ds_tmpdir ();
  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (corrupt_free);
  g_autofree guint8 *rgb = g_malloc (W * H * 3);
  guint16 wide[W * H];
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GBytes) jpg = NULL;
  g_autoptr (GBytes) png16 = NULL;
  const guint8 *pp, *jp;
  gsize plen, jlen, n;

  for (int i = 0; i < W * H * 3; i++)
    rgb[i] = (guint8) (i * 7);
  for (int i = 0; i < W * H; i++)
    wide[i] = GUINT16_TO_BE ((guint16) (i % 12));
  png = ds_png_bytes (W, H, 8, PNG_COLOR_TYPE_RGB, rgb, NULL, 0, FALSE);
  jpg = ds_jpeg_bytes (W, H, 3, rgb, 90);
  png16 = ds_png_bytes (W, H, 16, PNG_COLOR_TYPE_GRAY, wide, NULL, 0, FALSE);
  pp = g_bytes_get_data (png, &plen);
  jp = g_bytes_get_data (jpg, &jlen);

  add_case (cases, dir, "missing.png", NULL, -1, READ_RGB, "No such file");
  add_case (cases, dir, "missing-label.png", NULL, -1, READ_LABEL, "No such file");
  add_case (cases, dir, "empty.png", "", 0, READ_RGB, "empty file");
  add_case (cases, dir, "empty-label.png", "", 0, READ_LABEL, "empty file");
  add_case (cases, dir, "gif.png", "GIF89a\x01\x00\x01\x00\x00\x00\x00", 13, READ_RGB,
            "not a PNG or JPEG file");
  add_case (cases, dir, "text.jpg", "hello, world\n", 13, READ_LABEL, "not a PNG or JPEG file");
  add_case (cases, dir, "png-cut4.png", pp, 4, READ_RGB, "not a PNG or JPEG file");
  add_case (cases, dir, "jpeg-cut2.jpg", jp, 2, READ_RGB, "not a PNG or JPEG file");

  /* Truncated PNGs: in the signature's tail, the IHDR, the IDAT, before and inside IEND. */
  {
    const gsize cuts[] = { 8, 12, 20, 33, 41, plen / 2, plen - 12, plen - 4, plen - 1 };
    /* libpng has the whole header once the IDAT chunk's length and type are read. */
    gsize idat16 = find (g_bytes_get_data (png16, NULL), g_bytes_get_size (png16), "IDAT", 4);
    for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_autofree char *name = g_strdup_printf ("png-cut%zu.png", cuts[i]);
        g_autofree char *lname = g_strdup_printf ("label-cut%zu.png", cuts[i]);
        add_case (cases, dir, name, pp, (gssize) cuts[i], READ_RGB, "truncated PNG");
        add_case (cases, dir, lname, g_bytes_get_data (png16, NULL),
                  (gssize) MIN (cuts[i], g_bytes_get_size (png16) - 1), READ_LABEL,
                  cuts[i] >= idat16 + 4 ? "16-bit label" : "truncated PNG");
      }
  }
  /* Truncated JPEGs: in the headers, the scan and just before EOI. */
  {
    const gsize cuts[] = { 3, 20, 100, 300, jlen / 2, jlen - 2, jlen - 1 };
    for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
      {
        g_autofree char *name = g_strdup_printf ("jpeg-cut%zu.png", cuts[i]);
        g_assert_cmpuint (cuts[i], <, jlen);
        add_case (cases, dir, name, jp, (gssize) cuts[i], READ_RGB, "truncated JPEG");
      }
  }
  /* A flipped bit in the IDAT: the CRC catches it. */
  {
    g_autofree guint8 *p = g_memdup2 (pp, plen);
    p[find (p, plen, "IDAT", 4) + 6] ^= 0x10;
    add_case (cases, dir, "png-crc.png", p, (gssize) plen, READ_RGB, "corrupt PNG");
  }
  /* Damaged entropy data (all-ones codes): libjpeg only warns and guesses; we refuse. */
  {
    g_autofree guint8 *j = g_memdup2 (jp, jlen);
    gsize sos = find (j, jlen, "\xff\xda", 2);
    gsize start = sos + 2 + (j[sos + 2] << 8 | j[sos + 3]);
    for (gsize k = start; k + 1 < jlen - 2 && k < start + 64; k += 2)
      {
        j[k] = 0xff;
        j[k + 1] = 0x00;
      }
    add_case (cases, dir, "jpeg-huffman.jpg", j, (gssize) jlen, READ_RGB, "corrupt JPEG");
  }
  /* Garbage after a JPEG SOI marker. */
  add_case (cases, dir, "jpeg-garbage.jpg", "\xff\xd8\xff\x01garbage-garbage-garbage", 26, READ_RGB,
            "JPEG");
  /* Absurd dimensions are refused before allocating: PNG (valid CRC) and JPEG (SOF patched). */
  {
    g_autofree guint8 *p = png_with_size (png, 20000, 20000, &n);
    g_autofree guint8 *z = png_with_size (png, 0, 7, &n);
    g_autofree guint8 *j = g_memdup2 (jp, jlen);
    gsize sof = find (j, jlen, "\xff\xc0", 2);
    add_case (cases, dir, "png-huge.png", p, (gssize) n, READ_RGB, "unsupported image size");
    add_case (cases, dir, "png-huge-label.png", p, (gssize) n, READ_LABEL,
              "unsupported image size");
    add_case (cases, dir, "png-zero.png", z, (gssize) n, READ_RGB, "width is zero");
    j[sof + 5] = 0x4e;   /* height 0x4e20 = 20000 */
    j[sof + 6] = 0x20;
    add_case (cases, dir, "jpeg-huge.jpg", j, (gssize) jlen, READ_RGB, "unsupported image size");
  }
  /* Within the side limit but over the pixel budget, and a header whose few data bytes cannot
   * hold its pixels: refused on the header, before the pixel buffer is allocated. */
  {
    g_autofree guint8 *p = png_with_size (png, 9000, 9000, &n);
    g_autofree guint8 *f = png_with_size (png, 8000, 8000, &n);
    g_autofree guint8 *j = g_memdup2 (jp, jlen);
    gsize sof = find (j, jlen, "\xff\xc0", 2);
    g_assert_cmpint (9000, <=, RL_IMAGE_MAX_SIDE);
    g_assert_cmpint (8000 * 8000, <=, RL_IMAGE_MAX_PIXELS);
    add_case (cases, dir, "png-budget.png", p, (gssize) n, READ_RGB,
              "over the pixel budget (at most 67108864 pixels");
    add_case (cases, dir, "png-budget-label.png", p, (gssize) n, READ_LABEL,
              "over the pixel budget");
    add_case (cases, dir, "png-forged.png", f, (gssize) n, READ_RGB, "cannot hold 8000x8000");
    add_case (cases, dir, "png-forged-label.png", f, (gssize) n, READ_LABEL, "cannot hold");
    j[sof + 5] = 0x23;   /* 0x2328 x 0x2328 = 9000 x 9000 */
    j[sof + 6] = 0x28;
    j[sof + 7] = 0x23;
    j[sof + 8] = 0x28;
    add_case (cases, dir, "jpeg-budget.jpg", j, (gssize) jlen, READ_RGB,
              "image of 9000x9000 pixels is over the pixel budget");
  }
  /* A progressive JPEG of 631 small scans (each AC coefficient sent alone, bit by bit): every
   * scan is a pass over the image, so such files are time bombs. 64 scans still decode. */
  {
    g_autoptr (GBytes) bomb = progressive_jpeg (rgb, 9);
    g_autoptr (GBytes) fine = progressive_jpeg (rgb, 0);
    add_case (cases, dir, "jpeg-scans.jpg", g_bytes_get_data (bomb, NULL),
              (gssize) g_bytes_get_size (bomb), READ_RGB, "progressive JPEG of more than 500 scans refused");
    g_autoptr (GError) error = NULL;
    g_autofree guint8 *out = NULL;
    int w = 0, h = 0;
    g_assert_true (rl_image_decode_rgb (g_bytes_get_data (fine, NULL), g_bytes_get_size (fine),
                                        "fine.jpg", &w, &h, &out, &error));
    g_assert_no_error (error);
    g_assert_cmpint (w, ==, W);
  }
  /* Labels of the wrong kind. */
  add_case (cases, dir, "label16.png", g_bytes_get_data (png16, NULL),
            (gssize) g_bytes_get_size (png16), READ_LABEL, "16-bit label");
  add_case (cases, dir, "label-rgb.png", pp, (gssize) plen, READ_LABEL, "RGB label");
  add_case (cases, dir, "label-jpeg.png", jp, (gssize) jlen, READ_LABEL, "label is JPEG");
  /* A folder where a file is expected. */
  {
    g_autofree char *sub = g_build_filename (dir, "folder.png", NULL);
    g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
    add_case (cases, dir, "folder.png", NULL, -1, READ_RGB, "not a regular file");
  }

  for (guint i = 0; i < cases->len; i++)
    {
      Corrupt *c = cases->pdata[i];
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *out = NULL;
      int w = -1, h = -1;
      gboolean ok;

      if (c->reader == READ_RGB)
        ok = rl_image_read_rgb (c->file, &w, &h, &out, &error);
      else
        ok = rl_label_read (c->file, &w, &h, &out, &error);
      g_test_message ("%s -> %s", c->file, error ? error->message : "(no error)");
      g_assert_false (ok);
      g_assert_null (out);
      ds_assert_message (error, c->file, c->fragment);
    }
  ds_rmtree (dir);
}

/* Every proper prefix of a PNG and a JPEG fails cleanly, in memory too. */
static void
test_every_cut (void)
{
  g_autofree guint8 *rgb = g_malloc (W * H * 3);
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GBytes) jpg = NULL;
  GBytes *files[2];

  for (int i = 0; i < W * H * 3; i++)
    rgb[i] = (guint8) (i * 13);
  png = ds_png_bytes (W, H, 8, PNG_COLOR_TYPE_RGB, rgb, NULL, 0, TRUE);
  jpg = ds_jpeg_bytes (W, H, 3, rgb, 75);
  files[0] = png;
  files[1] = jpg;
  for (int f = 0; f < 2; f++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (files[f], &len);
      for (gsize cut = 0; cut < len; cut++)
        {
          g_autoptr (GError) error = NULL;
          g_autofree guint8 *out = NULL;
          /* A copy of exactly cut bytes, so ASan sees any read past the end. */
          g_autofree guint8 *copy = g_memdup2 (data, cut);
          int w, h;

          g_assert_false (rl_image_decode_rgb (copy, cut, "cut", &w, &h, &out, &error));
          ds_assert_message (error, "cut", NULL);
          g_assert_null (out);
        }
      g_test_message ("%s: all %zu prefixes refused", f ? "JPEG" : "PNG", len);
    }
}

/* Random byte damage: decoding may succeed (damage in pixels) or fail, but never crashes, and a
 * failure names the input. */
static void
test_random_damage (void)
{
  g_autofree guint8 *rgb = g_malloc (W * H * 3);
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GBytes) jpg = NULL;
  GRand *rand = g_rand_new_with_seed (1234);
  guint failed = 0;

  for (int i = 0; i < W * H * 3; i++)
    rgb[i] = (guint8) (i * 5);
  png = ds_png_bytes (W, H, 8, PNG_COLOR_TYPE_RGB, rgb, NULL, 0, FALSE);
  jpg = ds_jpeg_bytes (W, H, 3, rgb, 80);
  for (int iter = 0; iter < 400; iter++)
    {
      GBytes *src = iter % 2 ? jpg : png;
      gsize len;
      g_autofree guint8 *p = g_memdup2 (g_bytes_get_data (src, &len), g_bytes_get_size (src));
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *out = NULL;
      int w, h, flips = g_rand_int_range (rand, 1, 6);

      for (int k = 0; k < flips; k++)
        p[g_rand_int_range (rand, 2, (gint32) len)] = (guint8) g_rand_int_range (rand, 0, 256);
      if (!rl_image_decode_rgb (p, len, "damaged", &w, &h, &out, &error))
        {
          ds_assert_message (error, "damaged", NULL);
          failed++;
        }
      else
        {
          g_assert_true (w > 0 && h > 0 && w <= RL_IMAGE_MAX_SIDE && h <= RL_IMAGE_MAX_SIDE);
          g_assert_nonnull (out);
        }
    }
  g_test_message ("%u of 400 damaged files refused", failed);
  g_assert_cmpuint (failed, >, 0);
  g_rand_free (rand);
}

static void
test_check_values (void)
{
  g_autoptr (RlClassSpec) camvid = rl_class_spec_camvid ();
  g_autoptr (RlClassSpec) sun = rl_class_spec_sunrgbd ();
  guint8 l[6] = { 0, 10, 11, 12, 3, 12 };
  g_autoptr (GError) error = NULL;

  g_assert_false (rl_label_check_values (camvid, "l.png", 3, 2, l, &error));
  ds_assert_message (error, "l.png", "value 12 at (0,1) out of range (2 pixels;");
  g_clear_error (&error);
  /* SUN RGB-D: every value is allowed, those above 37 count as void. */
  l[0] = 255;
  g_assert_true (rl_label_check_values (sun, "l.png", 3, 2, l, &error));
  g_assert_no_error (error);
  g_assert_false (rl_class_spec_is_class (sun, 0));
  g_assert_true (rl_class_spec_is_class (sun, 37));
  g_assert_false (rl_class_spec_is_class (sun, 38));
  g_assert_true (rl_class_spec_value_ok (sun, 255));
  g_assert_true (rl_class_spec_is_class (camvid, 10));
  g_assert_false (rl_class_spec_is_class (camvid, 11));
  g_assert_true (rl_class_spec_value_ok (camvid, 11));
  g_assert_false (rl_class_spec_value_ok (camvid, 12));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image-io/detect", test_detect);
  g_test_add_func ("/image-io/png-layouts", test_png_layouts);
  g_test_add_func ("/image-io/jpeg", test_jpeg);
  g_test_add_func ("/image-io/label-gray-roundtrip", test_label_gray_roundtrip);
  g_test_add_func ("/image-io/label-palette-roundtrip", test_label_palette_roundtrip);
  g_test_add_func ("/image-io/label-encode-decode", test_label_encode_decode);
  g_test_add_func ("/image-io/label-external", test_label_external);
  g_test_add_func ("/image-io/color-roundtrip", test_color_roundtrip);
  g_test_add_func ("/image-io/rgb-write-roundtrip", test_rgb_write_roundtrip);
  g_test_add_func ("/image-io/atomic-write", test_atomic_write);
  g_test_add_func ("/image-io/corrupt-table", test_corrupt_table);
  g_test_add_func ("/image-io/every-cut", test_every_cut);
  g_test_add_func ("/image-io/random-damage", test_random_damage);
  g_test_add_func ("/image-io/check-values", test_check_values);
  return g_test_run ();
}
