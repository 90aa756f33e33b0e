/* fuzz-png: arbitrary bytes as an image (rl_image_decode_rgb_full), as an indexed label
 * (rl_label_decode) and as a colour-coded label file (rl_label_read_color). A label that
 * decodes must survive an encode/decode round trip unchanged. */
#include "fuzz.h"
#include "rl-image-io.h"

#include <string.h>

static RlClassSpec *camvid;

int
fuzz_one (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  RlImageFormat format = RL_IMAGE_FORMAT_UNKNOWN;
  int w = 0, h = 0;
  guint8 *pix = NULL;

  if (camvid == NULL)
    camvid = rl_class_spec_camvid ();

  if (rl_image_decode_rgb_full (data, size, "fuzz.png", &format, &w, &h, &pix, &error))
    {
      fuzz_check_decoded ("rl_image_decode_rgb_full", w, h, pix, 3, RL_IMAGE_MAX_SIDE);
      g_free (pix);
    }
  else
    {
      fuzz_check_message ("rl_image_decode_rgb_full", error->message, "fuzz.png");
      g_clear_error (&error);
    }

  pix = NULL;
  if (rl_label_decode (data, size, "fuzz.png", &w, &h, &pix, &error))
    {
      fuzz_check_decoded ("rl_label_decode", w, h, pix, 1, RL_IMAGE_MAX_SIDE);
      GBytes *png = rl_label_encode (w, h, pix, &error);
      if (png == NULL)
        fuzz_fail ("rl_label_encode of a decoded %dx%d label: %s", w, h, error->message);
      int w2 = 0, h2 = 0;
      guint8 *back = NULL;
      gsize len = 0;
      const void *bytes = g_bytes_get_data (png, &len);
      if (!rl_label_decode (bytes, len, "round trip", &w2, &h2, &back, &error))
        fuzz_fail ("re-encoded label does not decode: %s", error->message);
      if (w2 != w || h2 != h || memcmp (back, pix, (gsize) w * h) != 0)
        fuzz_fail ("label changed in an encode/decode round trip");
      g_free (back);
      g_bytes_unref (png);
      g_free (pix);
    }
  else
    {
      fuzz_check_message ("rl_label_decode", error->message, "fuzz.png");
      g_clear_error (&error);
    }

  char *path = fuzz_write_file ("label.png", data, size);
  pix = NULL;
  if (rl_label_read_color (path, camvid, &w, &h, &pix, &error))
    {
      fuzz_check_decoded ("rl_label_read_color", w, h, pix, 1, RL_IMAGE_MAX_SIDE);
      for (gsize k = 0; k < (gsize) w * h; k++)
        if (!rl_class_spec_value_ok (camvid, pix[k]))
          fuzz_fail ("rl_label_read_color gave value %u outside the spec", pix[k]);
      g_free (pix);
    }
  else
    {
      fuzz_check_message ("rl_label_read_color", error->message, path);
      g_clear_error (&error);
    }
  g_free (path);
  return 0;
}
