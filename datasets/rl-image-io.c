/* Image and label I/O: PNG (libpng) and JPEG (libjpeg-turbo) decoding to 8-bit RGB or label
 * indices, PNG encoding of labels and images, and atomic file writes (temp + fsync + rename). */
#include "rl-image-io.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <jpeglib.h>
#include <jerror.h>

G_DEFINE_QUARK (rl-image-error-quark, rl_image_error)

/* RL_IMAGE_MAX_SIDE and RL_IMAGE_MAX_PIXELS are checked right after the header, before anything
 * is allocated: a header alone can ask for 4 G pixels, and no segmentation dataset needs more. */
/* Whole files are read into memory; refuse anything no image of the allowed size can need. */
#define RL_IMAGE_MAX_FILE ((gsize) 1 << 30)

static const guint8 png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

RlImageFormat
rl_image_detect_format (const void *data, gsize len)
{
  const guint8 *b = data;

  if (len >= 8 && memcmp (b, png_magic, 8) == 0)
    return RL_IMAGE_FORMAT_PNG;
  if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
    return RL_IMAGE_FORMAT_JPEG;
  return RL_IMAGE_FORMAT_UNKNOWN;
}

const char *
rl_image_format_name (RlImageFormat format)
{
  switch (format)
    {
    case RL_IMAGE_FORMAT_PNG:
      return "PNG";
    case RL_IMAGE_FORMAT_JPEG:
      return "JPEG";
    case RL_IMAGE_FORMAT_UNKNOWN:
    default:
      return "unknown";
    }
}

/* Reads a whole file; messages name the file and the cause. */
static gboolean
read_file (const char *path, guint8 **data, gsize *len, GError **error)
{
  int fd;
  struct stat st;
  guint8 *buf;
  gsize done = 0;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_OPEN, "%s: cannot open: %s", path,
                   g_strerror (e));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_OPEN,
                   "%s: cannot open: not a regular file", path);
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size > RL_IMAGE_MAX_FILE)
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_SIZE,
                   "%s: file too large (%" G_GUINT64_FORMAT " bytes)", path, (guint64) st.st_size);
      close (fd);
      return FALSE;
    }
  buf = g_malloc (st.st_size > 0 ? (gsize) st.st_size : 1);
  while (done < (gsize) st.st_size)
    {
      ssize_t n = read (fd, buf + done, (gsize) st.st_size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_OPEN, "%s: cannot read: %s", path,
                       g_strerror (e));
          g_free (buf);
          close (fd);
          return FALSE;
        }
      if (n == 0)
        break; /* the file shrank under us: decode what is there, the decoder will complain */
      done += (gsize) n;
    }
  close (fd);
  *data = buf;
  *len = done;
  return TRUE;
}

static gboolean
check_dimensions (const char *name, const char *what, guint64 w, guint64 h, GError **error)
{
  if (w == 0 || h == 0 || w > RL_IMAGE_MAX_SIDE || h > RL_IMAGE_MAX_SIDE)
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_SIZE,
                   "%s: unsupported %s size %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT
                   " (each side must be 1..%d)", name, what, w, h, RL_IMAGE_MAX_SIDE);
      return FALSE;
    }
  if (w * h > RL_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_SIZE,
                   "%s: %s of %" G_GUINT64_FORMAT "x%" G_GUINT64_FORMAT " pixels is over "
                   "the pixel budget (at most %d pixels, e.g. 8192x8192)", name, what, w, h,
                   RL_IMAGE_MAX_PIXELS);
      return FALSE;
    }
  return TRUE;
}

/* ---- PNG decoding ------------------------------------------------------------------------ */

/* Everything the decoder touches after setjmp lives on the heap, so nothing is an automatic
 * variable modified between setjmp and longjmp. */
typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  char message[256];
  char warning[192];      /* the first warning: it explains a generic IHDR error */
  gboolean truncated;     /* the data ended before libpng was done */
  guint8 *pixels;
  png_bytep *rows;
} PngReadCtx;

static void
png_ctx_error (png_structp png, png_const_charp msg)
{
  PngReadCtx *ctx = png_get_error_ptr (png);

  if (ctx->message[0] == '\0')
    g_strlcpy (ctx->message, msg, sizeof ctx->message);
  png_longjmp (png, 1);
}

static void
png_ctx_warning (png_structp png, png_const_charp msg)
{
  /* Benign on its own (e.g. an unknown-profile iCCP chunk): the pixels are still right. */
  PngReadCtx *ctx = png_get_error_ptr (png);

  if (ctx && ctx->warning[0] == '\0')
    g_strlcpy (ctx->warning, msg, sizeof ctx->warning);
}

static void
png_write_warning (png_structp png, png_const_charp msg)
{
}

static void
png_ctx_read (png_structp png, png_bytep out, size_t n)
{
  PngReadCtx *ctx = png_get_io_ptr (png);

  if (n > ctx->len - ctx->pos)
    {
      ctx->truncated = TRUE;
      png_error (png, "unexpected end of data");
    }
  memcpy (out, ctx->data + ctx->pos, n);
  ctx->pos += n;
}

typedef enum
{
  PNG_WANT_RGB,
  PNG_WANT_LABEL,
} PngWant;

static gboolean
png_decode (const guint8 *data, gsize len, const char *name, PngWant want, int *width,
            int *height, guint8 **out, GError **error)
{
  PngReadCtx *ctx = g_new0 (PngReadCtx, 1);
  png_structp png;
  png_infop info;
  gboolean ok = FALSE;

  ctx->data = data;
  ctx->len = len;

  png = png_create_read_struct (PNG_LIBPNG_VER_STRING, ctx, png_ctx_error, png_ctx_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (!png || !info)
    {
      png_destroy_read_struct (png ? &png : NULL, NULL, NULL);
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT, "%s: cannot start PNG decoder",
                   name);
      g_free (ctx);
      return FALSE;
    }

  if (setjmp (png_jmpbuf (png)))
    {
      if (ctx->truncated)
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                     "%s: truncated PNG (unexpected end of data)", name);
      else
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT, "%s: corrupt PNG: %s%s%s%s",
                     name, ctx->message, ctx->warning[0] ? " (" : "", ctx->warning,
                     ctx->warning[0] ? ")" : "");
      goto out;
    }

  /* libpng's own size limit would give a vague "Invalid IHDR data": lift it and check below. */
  png_set_user_limits (png, 0x7fffffff, 0x7fffffff);
  png_set_read_fn (png, ctx, png_ctx_read);
  png_read_info (png, info);

  {
    png_uint_32 w = png_get_image_width (png, info);
    png_uint_32 h = png_get_image_height (png, info);
    int depth = png_get_bit_depth (png, info);
    int ctype = png_get_color_type (png, info);
    int channels;
    gsize rowbytes;

    if (!check_dimensions (name, "image", w, h, error))
      goto out;
    {
      /* zlib inflates at most 1032:1, so the bytes left bound the pixels they can hold: a
       * header claiming more is refused here, not after allocating for it. */
      guint64 bits = (guint64) w * h * depth * png_get_channels (png, info);
      guint64 left = ctx->len - ctx->pos;
      if (bits / 8 > left * 1032 + 1032)
        {
          g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                       "%s: truncated PNG (%" G_GUINT64_FORMAT " bytes of data cannot hold "
                       "%ux%u pixels)", name, left, (guint) w, (guint) h);
          goto out;
        }
    }

    if (want == PNG_WANT_RGB)
      {
        if (ctype == PNG_COLOR_TYPE_PALETTE)
          png_set_palette_to_rgb (png);
        if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
          png_set_expand_gray_1_2_4_to_8 (png);
        if (depth == 16)
          png_set_scale_16 (png);
        if (ctype & PNG_COLOR_MASK_ALPHA)
          png_set_strip_alpha (png);
        if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
          png_set_gray_to_rgb (png);
        /* tRNS is not expanded to alpha: transparency is dropped like an alpha channel. */
        channels = 3;
      }
    else
      {
        if (depth == 16)
          {
            g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                         "%s: 16-bit label PNG not supported (labels must be 8-bit grayscale "
                         "or palette)", name);
            goto out;
          }
        if (ctype == PNG_COLOR_TYPE_RGB || ctype == PNG_COLOR_TYPE_RGB_ALPHA)
          {
            g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                         "%s: RGB label PNG not supported (labels must be 8-bit grayscale or "
                         "palette; colour-coded labels need a class spec)", name);
            goto out;
          }
        /* Gray or palette at 1/2/4/8 bits: one byte per pixel holding the raw value or index. */
        if (depth < 8)
          png_set_packing (png);
        if (ctype == PNG_COLOR_TYPE_GRAY_ALPHA)
          png_set_strip_alpha (png);
        channels = 1;
      }
    png_set_interlace_handling (png);
    png_read_update_info (png, info);

    rowbytes = png_get_rowbytes (png, info);
    if (rowbytes != (gsize) w * channels)
      {
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                     "%s: unsupported PNG layout (bit depth %d, colour type %d)", name, depth,
                     ctype);
        goto out;
      }
    ctx->pixels = g_malloc ((gsize) w * h * channels);
    ctx->rows = g_new (png_bytep, h);
    for (png_uint_32 y = 0; y < h; y++)
      ctx->rows[y] = ctx->pixels + (gsize) y * rowbytes;
    png_read_image (png, ctx->rows);
    /* Reading the end verifies the last IDAT's CRC and catches files cut after the pixels. */
    png_read_end (png, NULL);

    *width = (int) w;
    *height = (int) h;
    *out = g_steal_pointer (&ctx->pixels);
    ok = TRUE;
  }

out:
  png_destroy_read_struct (&png, &info, NULL);
  g_free (ctx->pixels);
  g_free (ctx->rows);
  g_free (ctx);
  return ok;
}

/* ---- JPEG decoding ----------------------------------------------------------------------- */

typedef struct
{
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
  gboolean truncated;
  gboolean too_many_scans;
} JpegErrorMgr;

typedef struct
{
  struct jpeg_decompress_struct cinfo;
  JpegErrorMgr err;
  struct jpeg_progress_mgr progress;
  guint8 *pixels;
  guint8 *row;      /* scratch row for CMYK */
} JpegReadCtx;

static void
jpeg_ctx_error_exit (j_common_ptr cinfo)
{
  JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;

  cinfo->err->format_message (cinfo, err->message);
  longjmp (err->jump, 1);
}

static void
jpeg_ctx_emit_message (j_common_ptr cinfo, int level)
{
  JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;

  if (level >= 0)
    return;   /* trace messages */
  /* libjpeg only warns about a cut file (it pads with grey) and about damaged entropy data (it
   * guesses); either means wrong pixels, so both are errors here and decoding stops at once.
   * Harmless warnings (extraneous bytes before a marker, an odd JFIF version, a bad ICC chunk)
   * are common in camera files and ignored. */
  switch (cinfo->err->msg_code)
    {
    case JWRN_JPEG_EOF:
      err->truncated = TRUE;
      longjmp (err->jump, 1);
    case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE:
    case JWRN_HIT_MARKER:
    case JWRN_MUST_RESYNC:
    case JWRN_BOGUS_PROGRESSION:
      cinfo->err->format_message (cinfo, err->message);
      longjmp (err->jump, 1);
    default:
      break;
    }
}

static void
jpeg_ctx_output_message (j_common_ptr cinfo)
{
}

/* Each scan of a progressive JPEG is a pass over the whole image, and a few KB can hold
 * thousands of them: a decompression bomb for time rather than memory. */
static void
jpeg_ctx_progress (j_common_ptr cinfo)
{
  JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;
  j_decompress_ptr d = (j_decompress_ptr) cinfo;

  if (cinfo->is_decompressor && d->input_scan_number > RL_IMAGE_MAX_JPEG_SCANS)
    {
      err->too_many_scans = TRUE;
      longjmp (err->jump, 1);
    }
}

static gboolean
jpeg_decode (const guint8 *data, gsize len, const char *name, int *width, int *height,
             guint8 **out, GError **error)
{
  JpegReadCtx *ctx = g_new0 (JpegReadCtx, 1);
  struct jpeg_decompress_struct *cinfo = &ctx->cinfo;
  gboolean ok = FALSE;

  cinfo->err = jpeg_std_error (&ctx->err.pub);
  ctx->err.pub.error_exit = jpeg_ctx_error_exit;
  ctx->err.pub.emit_message = jpeg_ctx_emit_message;
  ctx->err.pub.output_message = jpeg_ctx_output_message;

  if (setjmp (ctx->err.jump))
    {
      if (ctx->err.truncated)
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                     "%s: truncated JPEG (premature end of data)", name);
      else if (ctx->err.too_many_scans)
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_SIZE,
                     "%s: progressive JPEG of more than %d scans refused (a decompression "
                     "bomb: each scan is a pass over the whole image)", name,
                     RL_IMAGE_MAX_JPEG_SCANS);
      else
        {
          const char *msg = ctx->err.message;
          if (g_str_has_prefix (msg, "Corrupt JPEG data: "))
            msg += strlen ("Corrupt JPEG data: ");
          g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT, "%s: corrupt JPEG: %s", name,
                       msg);
        }
      goto out;
    }

  jpeg_create_decompress (cinfo);
  ctx->progress.progress_monitor = jpeg_ctx_progress;
  cinfo->progress = &ctx->progress;
  jpeg_mem_src (cinfo, data, (unsigned long) len);
  jpeg_read_header (cinfo, TRUE);

  if (!check_dimensions (name, "image", cinfo->image_width, cinfo->image_height, error))
    goto out;

  if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK)
    cinfo->out_color_space = JCS_CMYK;
  else
    cinfo->out_color_space = JCS_RGB;   /* libjpeg-turbo also expands grayscale to RGB */
  jpeg_start_decompress (cinfo);

  {
    gsize w = cinfo->output_width, h = cinfo->output_height;
    int comps = cinfo->output_components;

    if ((comps != 3 && cinfo->out_color_space == JCS_RGB)
        || (comps != 4 && cinfo->out_color_space == JCS_CMYK))
      {
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                     "%s: unsupported JPEG colour layout (%d components)", name, comps);
        goto out;
      }
    ctx->pixels = g_malloc (w * h * 3);
    if (comps == 4)
      ctx->row = g_malloc (w * 4);
    while (cinfo->output_scanline < h)
      {
        guint8 *dst = ctx->pixels + (gsize) cinfo->output_scanline * w * 3;
        JSAMPROW rowp = comps == 4 ? ctx->row : dst;

        if (jpeg_read_scanlines (cinfo, &rowp, 1) != 1)
          break;
        if (comps == 4)
          {
            /* Adobe writes inverted CMYK, which is what libjpeg hands back. */
            for (gsize x = 0; x < w; x++)
              {
                guint k = ctx->row[4 * x + 3];
                dst[3 * x + 0] = (guint8) ((ctx->row[4 * x + 0] * k + 127) / 255);
                dst[3 * x + 1] = (guint8) ((ctx->row[4 * x + 1] * k + 127) / 255);
                dst[3 * x + 2] = (guint8) ((ctx->row[4 * x + 2] * k + 127) / 255);
              }
          }
      }
    if (ctx->err.truncated || cinfo->output_scanline < h)
      {
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                     "%s: truncated JPEG (premature end of data)", name);
        goto out;
      }
    jpeg_finish_decompress (cinfo);
    if (ctx->err.truncated)
      {
        g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                     "%s: truncated JPEG (premature end of data)", name);
        goto out;
      }
    *width = (int) w;
    *height = (int) h;
    *out = g_steal_pointer (&ctx->pixels);
    ok = TRUE;
  }

out:
  jpeg_destroy_decompress (cinfo);
  g_free (ctx->pixels);
  g_free (ctx->row);
  g_free (ctx);
  return ok;
}

/* ---- public decoding --------------------------------------------------------------------- */

static gboolean
check_signature (const void *data, gsize len, const char *name, RlImageFormat *format,
                 GError **error)
{
  if (len == 0)
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT, "%s: empty file", name);
      return FALSE;
    }
  *format = rl_image_detect_format (data, len);
  if (*format == RL_IMAGE_FORMAT_UNKNOWN)
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                   "%s: not a PNG or JPEG file (unknown signature)", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_image_decode_rgb_full (const void *data, gsize len, const char *name, RlImageFormat *format,
                          int *width, int *height, guint8 **rgb, GError **error)
{
  RlImageFormat fmt;

  g_return_val_if_fail (width && height && rgb, FALSE);
  if (name == NULL)
    name = "(memory)";
  if (!check_signature (data, len, name, &fmt, error))
    return FALSE;
  if (format)
    *format = fmt;
  if (fmt == RL_IMAGE_FORMAT_PNG)
    return png_decode (data, len, name, PNG_WANT_RGB, width, height, rgb, error);
  return jpeg_decode (data, len, name, width, height, rgb, error);
}

gboolean
rl_image_decode_rgb (const void *data, gsize len, const char *name, int *width, int *height,
                     guint8 **rgb, GError **error)
{
  return rl_image_decode_rgb_full (data, len, name, NULL, width, height, rgb, error);
}

gboolean
rl_image_read_rgb_full (const char *path, RlImageFormat *format, int *width, int *height,
                        guint8 **rgb, GError **error)
{
  g_autofree guint8 *data = NULL;
  gsize len = 0;

  if (!read_file (path, &data, &len, error))
    return FALSE;
  return rl_image_decode_rgb_full (data, len, path, format, width, height, rgb, error);
}

gboolean
rl_image_read_rgb (const char *path, int *width, int *height, guint8 **rgb, GError **error)
{
  return rl_image_read_rgb_full (path, NULL, width, height, rgb, error);
}

gboolean
rl_label_decode (const void *data, gsize len, const char *name, int *width, int *height,
                 guint8 **labels, GError **error)
{
  RlImageFormat fmt;

  g_return_val_if_fail (width && height && labels, FALSE);
  if (name == NULL)
    name = "(memory)";
  if (!check_signature (data, len, name, &fmt, error))
    return FALSE;
  if (fmt != RL_IMAGE_FORMAT_PNG)
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_FORMAT,
                   "%s: label is JPEG data (labels must be lossless 8-bit PNG)", name);
      return FALSE;
    }
  return png_decode (data, len, name, PNG_WANT_LABEL, width, height, labels, error);
}

gboolean
rl_label_read (const char *path, int *width, int *height, guint8 **labels, GError **error)
{
  g_autofree guint8 *data = NULL;
  gsize len = 0;

  if (!read_file (path, &data, &len, error))
    return FALSE;
  return rl_label_decode (data, len, path, width, height, labels, error);
}

/* Label values the spec does not allow; the message counts them and names the first. */
gboolean
rl_label_check_values (const RlClassSpec *spec, const char *name, int width, int height,
                       const guint8 *labels, GError **error)
{
  gboolean ok[256];
  gsize n = (gsize) width * height, bad = 0, first = 0;

  for (guint v = 0; v < 256; v++)
    ok[v] = rl_class_spec_value_ok (spec, v);
  for (gsize i = n; i-- > 0;)
    if (!ok[labels[i]])
      {
        bad++;
        first = i;
      }
  if (bad == 0)
    return TRUE;
  if (spec->ignore_index >= spec->n_classes)
    g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE,
                 "%s: value %u at (%d,%d) out of range (%" G_GSIZE_FORMAT " pixel%s; %s allows "
                 "0..%d and %d)", name, labels[first], (int) (first % width),
                 (int) (first / width), bad, bad == 1 ? "" : "s",
                 spec->id ? spec->id : "the spec", spec->n_classes - 1, spec->ignore_index);
  else
    g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE,
                 "%s: value %u at (%d,%d) out of range (%" G_GSIZE_FORMAT " pixel%s; %s allows "
                 "0..%d)", name, labels[first], (int) (first % width), (int) (first / width),
                 bad, bad == 1 ? "" : "s", spec->id ? spec->id : "the spec", spec->n_classes - 1);
  return FALSE;
}

/* ---- PNG encoding ------------------------------------------------------------------------ */

typedef struct
{
  GByteArray *buf;
  char message[256];
} PngWriteCtx;

static void
png_wctx_error (png_structp png, png_const_charp msg)
{
  PngWriteCtx *ctx = png_get_error_ptr (png);

  g_strlcpy (ctx->message, msg, sizeof ctx->message);
  png_longjmp (png, 1);
}

static void
png_wctx_write (png_structp png, png_bytep data, size_t n)
{
  PngWriteCtx *ctx = png_get_io_ptr (png);

  g_byte_array_append (ctx->buf, data, (guint) n);
}

static void
png_wctx_flush (png_structp png)
{
}

/* ctype: PNG_COLOR_TYPE_GRAY / _PALETTE (1 byte per pixel) or _RGB (3). palette: 256 entries
 * when ctype is palette. */
static GBytes *
png_encode (const char *name, int width, int height, const guint8 *pixels, int ctype,
            const png_color *palette, GError **error)
{
  PngWriteCtx *ctx = g_new0 (PngWriteCtx, 1);
  png_structp png;
  png_infop info;
  GBytes *bytes = NULL;
  int channels = ctype == PNG_COLOR_TYPE_RGB ? 3 : 1;

  if (!check_dimensions (name, "image", width > 0 ? (guint64) width : 0,
                         height > 0 ? (guint64) height : 0, error))
    {
      g_free (ctx);
      return NULL;
    }
  ctx->buf = g_byte_array_new ();
  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, ctx, png_wctx_error, png_write_warning);
  info = png ? png_create_info_struct (png) : NULL;
  if (!png || !info)
    {
      png_destroy_write_struct (png ? &png : NULL, NULL);
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_WRITE, "%s: cannot start PNG encoder",
                   name);
      g_byte_array_unref (ctx->buf);
      g_free (ctx);
      return NULL;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_WRITE, "%s: cannot encode PNG: %s", name,
                   ctx->message);
      goto out;
    }
  png_set_write_fn (png, ctx, png_wctx_write, png_wctx_flush);
  png_set_compression_level (png, 6);
  /* Labels are flat regions that zlib handles alone: on CamVid's trainannot, no filter was
   * both smaller (5.4 vs 5.7 KiB) and faster (about 5 vs 8 ms) than adaptive filtering. */
  if (channels == 1)
    png_set_filter (png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
  png_set_IHDR (png, info, (png_uint_32) width, (png_uint_32) height, 8, ctype,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (ctype == PNG_COLOR_TYPE_PALETTE)
    png_set_PLTE (png, info, palette, 256);
  png_write_info (png, info);
  for (int y = 0; y < height; y++)
    png_write_row (png, pixels + (gsize) y * width * channels);
  png_write_end (png, info);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&ctx->buf));

out:
  png_destroy_write_struct (&png, &info);
  if (ctx->buf)
    g_byte_array_unref (ctx->buf);
  g_free (ctx);
  return bytes;
}

static void
spec_palette (const RlClassSpec *spec, png_color palette[256])
{
  for (int i = 0; i < 256; i++)
    {
      palette[i].red = spec->void_rgb[0];
      palette[i].green = spec->void_rgb[1];
      palette[i].blue = spec->void_rgb[2];
    }
  for (int i = 0; i < spec->n_classes && i < 256; i++)
    if (i != spec->ignore_index)
      {
        palette[i].red = spec->classes[i].r;
        palette[i].green = spec->classes[i].g;
        palette[i].blue = spec->classes[i].b;
      }
}

GBytes *
rl_label_encode (int width, int height, const guint8 *labels, GError **error)
{
  g_return_val_if_fail (labels != NULL, NULL);
  return png_encode ("(label)", width, height, labels, PNG_COLOR_TYPE_GRAY, NULL, error);
}

GBytes *
rl_label_encode_palette (int width, int height, const guint8 *labels, const RlClassSpec *spec,
                         GError **error)
{
  png_color palette[256];

  g_return_val_if_fail (labels != NULL && spec != NULL, NULL);
  spec_palette (spec, palette);
  return png_encode ("(label)", width, height, labels, PNG_COLOR_TYPE_PALETTE, palette, error);
}

static gboolean
write_bytes (const char *path, GBytes *bytes, GError **error)
{
  gsize len;
  const void *data = g_bytes_get_data (bytes, &len);

  return rl_file_write_atomic (path, data, len, error);
}

gboolean
rl_label_write (const char *path, int width, int height, const guint8 *labels,
                const RlClassSpec *spec, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  png_color palette[256];

  g_return_val_if_fail (path != NULL && labels != NULL, FALSE);
  if (spec)
    {
      spec_palette (spec, palette);
      bytes = png_encode (path, width, height, labels, PNG_COLOR_TYPE_PALETTE, palette, error);
    }
  else
    bytes = png_encode (path, width, height, labels, PNG_COLOR_TYPE_GRAY, NULL, error);
  return bytes && write_bytes (path, bytes, error);
}

static void
label_colour (const RlClassSpec *spec, guint v, guint8 rgb[3])
{
  if (rl_class_spec_is_class (spec, v))
    {
      rgb[0] = spec->classes[v].r;
      rgb[1] = spec->classes[v].g;
      rgb[2] = spec->classes[v].b;
    }
  else
    memcpy (rgb, spec->void_rgb, 3);
}

gboolean
rl_label_write_color (const char *path, int width, int height, const guint8 *labels,
                      const RlClassSpec *spec, GError **error)
{
  g_autoptr (GBytes) bytes = NULL;
  g_autofree guint8 *rgb = NULL;
  guint8 lut[256][3];
  gsize n;

  g_return_val_if_fail (path != NULL && labels != NULL && spec != NULL, FALSE);
  if (!check_dimensions (path, "label", width > 0 ? (guint64) width : 0,
                         height > 0 ? (guint64) height : 0, error))
    return FALSE;
  for (guint v = 0; v < 256; v++)
    label_colour (spec, v, lut[v]);
  n = (gsize) width * height;
  rgb = g_malloc (n * 3);
  for (gsize i = 0; i < n; i++)
    memcpy (rgb + 3 * i, lut[labels[i]], 3);
  bytes = png_encode (path, width, height, rgb, PNG_COLOR_TYPE_RGB, NULL, error);
  return bytes && write_bytes (path, bytes, error);
}

gboolean
rl_label_read_color (const char *path, const RlClassSpec *spec, int *width, int *height,
                     guint8 **labels, GError **error)
{
  g_autofree guint8 *rgb = NULL;
  g_autoptr (GHashTable) map = NULL;
  g_autofree guint8 *out = NULL;
  int w, h;
  guint32 last_key = G_MAXUINT32;
  guint8 last_value = 0;

  g_return_val_if_fail (path && spec && width && height && labels, FALSE);
  if (!rl_image_read_rgb (path, &w, &h, &rgb, error))
    return FALSE;

  /* colour -> value + 1 (0 means absent). Classes win over void if colours collide. */
  map = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (spec->ignore_index >= 0 && spec->ignore_index < 256)
    {
      guint32 key = (spec->void_rgb[0] << 16) | (spec->void_rgb[1] << 8) | spec->void_rgb[2];
      g_hash_table_insert (map, GUINT_TO_POINTER (key), GUINT_TO_POINTER (spec->ignore_index + 1));
    }
  for (int c = spec->n_classes - 1; c >= 0; c--)
    {
      guint32 key;
      if (c == spec->ignore_index || c > 255)
        continue;
      key = (spec->classes[c].r << 16) | (spec->classes[c].g << 8) | spec->classes[c].b;
      g_hash_table_insert (map, GUINT_TO_POINTER (key), GUINT_TO_POINTER ((guint) c + 1));
    }

  out = g_malloc ((gsize) w * h);
  for (gsize i = 0; i < (gsize) w * h; i++)
    {
      guint32 key = (rgb[3 * i] << 16) | (rgb[3 * i + 1] << 8) | rgb[3 * i + 2];
      if (key != last_key)
        {
          guint v = GPOINTER_TO_UINT (g_hash_table_lookup (map, GUINT_TO_POINTER (key)));
          if (v == 0)
            {
              g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE,
                           "%s: pixel (%d,%d) has colour (%u,%u,%u), which is no class of %s",
                           path, (int) (i % w), (int) (i / w), rgb[3 * i], rgb[3 * i + 1],
                           rgb[3 * i + 2], spec->id ? spec->id : "the class spec");
              return FALSE;
            }
          last_key = key;
          last_value = (guint8) (v - 1);
        }
      out[i] = last_value;
    }
  *width = w;
  *height = h;
  *labels = g_steal_pointer (&out);
  return TRUE;
}

gboolean
rl_image_write_rgb_png (const char *path, int width, int height, const guint8 *rgb,
                        GError **error)
{
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (path != NULL && rgb != NULL, FALSE);
  bytes = png_encode (path, width, height, rgb, PNG_COLOR_TYPE_RGB, NULL, error);
  return bytes && write_bytes (path, bytes, error);
}

/* ---- atomic writes ----------------------------------------------------------------------- */

gboolean
rl_file_write_atomic (const char *path, const void *data, gsize len, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp = NULL;
  const guint8 *p = data;
  gsize done = 0;
  int fd, e;

  g_return_val_if_fail (path != NULL && (data != NULL || len == 0), FALSE);
  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  /* Hidden, in the same folder so rename() is atomic; the X's are replaced by g_mkstemp. */
  tmp = g_strdup_printf ("%s%s.%s.XXXXXX.tmp", dir, G_DIR_SEPARATOR_S, base);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      e = errno;
      g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_WRITE, "%s: cannot create file: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  /* mkstemp files are 0600: keep the mode of the file being replaced, else 0644 (umask() is
   * process-wide and racy, so it is not consulted). A failure is not fatal. */
  {
    struct stat st;
    mode_t mode = stat (path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (fchmod (fd, mode) != 0)
      { /* the data is what matters */ }
  }
  while (done < len)
    {
      ssize_t n = write (fd, p + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          e = errno;
          goto fail;
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0)
    {
      e = errno;
      goto fail;
    }
  if (close (fd) != 0)
    {
      e = errno;
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (rename (tmp, path) != 0)
    {
      e = errno;
      goto fail;
    }
  /* Make the rename itself durable. Failure here (e.g. a filesystem without directory fsync)
   * leaves a complete file, so it is not reported. */
  {
    int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0)
      {
        if (fsync (dfd) != 0)
          { /* see above */ }
        close (dfd);
      }
  }
  return TRUE;

fail:
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_WRITE, "%s: cannot write: %s", path,
               g_strerror (e));
  return FALSE;
}
