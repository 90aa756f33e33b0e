/* Magic wand: a scanline flood over pixels within a colour distance of the seed, optionally
 * blocked by pixels that "protect other classes" forbids; then a paint of that region. */
#define G_LOG_DOMAIN "relabel"

#include "rl-wand.h"

#include <math.h>
#include <string.h>

static inline gboolean
inside (const guint8 *rgb, gsize k, const int seed[3], int tol2, const guint8 *mask,
        const RlPaint *paint)
{
  const guint8 *c = rgb + 3 * k;
  int dr = c[0] - seed[0], dg = c[1] - seed[1], db = c[2] - seed[2];
  if (dr * dr + dg * dg + db * db > tol2)
    return FALSE;
  return mask == NULL || rl_paint_may_write (paint, mask[k]);
}

guint
rl_wand_region (const guint8 *rgb, int width, int height, int x, int y, double tolerance,
                const guint8 *mask, const RlPaint *paint, guint8 *region)
{
  g_return_val_if_fail (rgb != NULL && region != NULL, 0);
  g_return_val_if_fail ((mask == NULL) == (paint == NULL), 0);
  if (width <= 0 || height <= 0)
    return 0;
  memset (region, 0, (gsize) width * height);
  if (x < 0 || y < 0 || x >= width || y >= height || !(tolerance >= 0.0))
    return 0;
  gsize k0 = (gsize) y * width + x;
  int seed[3] = { rgb[3 * k0], rgb[3 * k0 + 1], rgb[3 * k0 + 2] };
  /* Squared distances are integers: d <= t  <=>  d^2 <= floor(t^2). */
  double t2 = MIN (tolerance * tolerance, 3.0 * 255 * 255 + 1);
  int tol2 = (int) floor (t2 + 1e-9);
  if (!inside (rgb, k0, seed, tol2, mask, paint))
    return 0;

  /* Scanline flood with an explicit stack of seeds (as rl_mask_flood_fill). */
  guint n = 0;
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (gint32) * 2);
  gint32 s0[2] = { x, y };
  g_array_append_val (stack, s0);
  while (stack->len > 0)
    {
      gint32 *top = &g_array_index (stack, gint32, 2 * (stack->len - 1));
      int sx = top[0], sy = top[1];
      g_array_set_size (stack, stack->len - 1);
      gsize row = (gsize) sy * width;
      if (region[row + sx])
        continue;
      int l = sx, r = sx;
      while (l > 0 && !region[row + l - 1] && inside (rgb, row + l - 1, seed, tol2, mask, paint))
        l--;
      while (r < width - 1 && !region[row + r + 1]
             && inside (rgb, row + r + 1, seed, tol2, mask, paint))
        r++;
      memset (region + row + l, 1, (gsize) (r - l + 1));
      n += r - l + 1;
      for (int dy = -1; dy <= 1; dy += 2)
        {
          int ny = sy + dy;
          if (ny < 0 || ny >= height)
            continue;
          gsize nrow = (gsize) ny * width;
          gboolean prev = FALSE;
          for (int i = l; i <= r; i++)
            {
              gboolean in = !region[nrow + i] && inside (rgb, nrow + i, seed, tol2, mask, paint);
              if (in && !prev)
                {
                  gint32 s[2] = { i, ny };
                  g_array_append_val (stack, s);
                }
              prev = in;
            }
        }
    }
  return n;
}

guint
rl_wand_paint (guint8 *mask, const guint8 *rgb, int width, int height, int x, int y,
               double tolerance, const RlPaint *paint)
{
  g_return_val_if_fail (mask != NULL && paint != NULL, 0);
  if (width <= 0 || height <= 0)
    return 0;
  g_autofree guint8 *region = g_malloc ((gsize) width * height);
  if (rl_wand_region (rgb, width, height, x, y, tolerance, mask, paint, region) == 0)
    return 0;
  guint changed = 0;
  gsize n = (gsize) width * height;
  for (gsize k = 0; k < n; k++)
    if (region[k] && mask[k] != paint->value)
      {
        mask[k] = paint->value;
        changed++;
      }
  return changed;
}
