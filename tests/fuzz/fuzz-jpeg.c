/* fuzz-jpeg: arbitrary bytes as an image (rl_image_decode_rgb_full, which picks libjpeg from the
 * SOI marker) and as a label (JPEG labels are refused with a message, never decoded). */
#include "fuzz.h"
#include "rl-image-io.h"

int
fuzz_one (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  RlImageFormat format = RL_IMAGE_FORMAT_UNKNOWN;
  int w = 0, h = 0;
  guint8 *pix = NULL;

  if (rl_image_decode_rgb_full (data, size, "fuzz.jpg", &format, &w, &h, &pix, &error))
    {
      fuzz_check_decoded ("rl_image_decode_rgb_full", w, h, pix, 3, RL_IMAGE_MAX_SIDE);
      g_free (pix);
    }
  else
    {
      fuzz_check_message ("rl_image_decode_rgb_full", error->message, "fuzz.jpg");
      g_clear_error (&error);
    }

  pix = NULL;
  if (rl_label_decode (data, size, "fuzz.jpg", &w, &h, &pix, &error))
    g_free (pix);
  else
    {
      fuzz_check_message ("rl_label_decode", error->message, "fuzz.jpg");
      g_clear_error (&error);
    }
  return 0;
}
