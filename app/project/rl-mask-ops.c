/* Mask edits on a plain (H, W) label buffer: round brush along a polyline, 4-connected flood
 * fill, even-odd polygon fill. Shared by the GUI tools and rl_project_paint/fill. */
#include "rl-mask-ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define may_write rl_paint_may_write

/* Squared distance from (px, py) to the segment a-b. */
static double
seg_dist2 (double px, double py, double ax, double ay, double bx, double by)
{
  double dx = bx - ax, dy = by - ay;
  double len2 = dx * dx + dy * dy;
  double t = 0.0;
  if (len2 > 0.0)
    {
      t = ((px - ax) * dx + (py - ay) * dy) / len2;
      t = CLAMP (t, 0.0, 1.0);
    }
  double qx = ax + t * dx - px, qy = ay + t * dy - py;
  return qx * qx + qy * qy;
}

/* Visits every pixel whose centre is within radius of the polyline (each at most once per
 * segment; a pixel under two segments is visited twice). mask NULL: count only. */
static guint
stroke_visit (guint8 *mask, int width, int height, const RlPaint *paint, double radius,
              const double *xy, int n_points, guint8 *seen)
{
  guint n = 0;
  if (width <= 0 || height <= 0 || n_points <= 0 || !(radius > 0.0) || !isfinite (radius))
    return 0;
  /* Tolerance so that exact distances (radius 1 to a neighbour) count as inside. */
  double r2 = radius * radius * (1.0 + 1e-9) + 1e-12;
  for (int s = 0; s < n_points; s++)
    {
      double ax = xy[2 * s], ay = xy[2 * s + 1];
      double bx = s + 1 < n_points ? xy[2 * s + 2] : ax;
      double by = s + 1 < n_points ? xy[2 * s + 3] : ay;
      if (!isfinite (ax) || !isfinite (ay) || !isfinite (bx) || !isfinite (by))
        continue;
      /* Pixel i's centre is i + 0.5: the box of centres within radius. */
      double x0 = MIN (ax, bx) - radius - 0.5, x1 = MAX (ax, bx) + radius - 0.5;
      double y0 = MIN (ay, by) - radius - 0.5, y1 = MAX (ay, by) + radius - 0.5;
      if (x1 < 0 || y1 < 0 || x0 > width - 1 || y0 > height - 1)
        continue;
      int i0 = (int) MAX (0.0, floor (x0)), i1 = (int) MIN ((double) width - 1, ceil (x1));
      int j0 = (int) MAX (0.0, floor (y0)), j1 = (int) MIN ((double) height - 1, ceil (y1));
      for (int j = j0; j <= j1; j++)
        for (int i = i0; i <= i1; i++)
          {
            if (seg_dist2 (i + 0.5, j + 0.5, ax, ay, bx, by) > r2)
              continue;
            gsize k = (gsize) j * width + i;
            if (seen != NULL)
              {
                if (!seen[k])
                  {
                    seen[k] = 1;
                    n++;
                  }
              }
            else if (mask[k] != paint->value && may_write (paint, mask[k]))
              {
                mask[k] = paint->value;
                n++;
              }
          }
      if (s + 1 >= n_points - 1)
        break;   /* the last segment ends at the last point: done */
    }
  return n;
}

guint
rl_mask_paint_stroke (guint8 *mask, int width, int height, const RlPaint *paint,
                      double radius, const double *xy, int n_points)
{
  g_return_val_if_fail (mask != NULL && paint != NULL, 0);
  g_return_val_if_fail (n_points == 0 || xy != NULL, 0);
  return stroke_visit (mask, width, height, paint, radius, xy, n_points, NULL);
}

guint
rl_mask_stroke_coverage (int width, int height, double radius, const double *xy, int n_points)
{
  if (width <= 0 || height <= 0 || n_points <= 0 || xy == NULL)
    return 0;
  g_autofree guint8 *seen = g_malloc0 ((gsize) width * height);
  RlPaint dummy = { 0, -1, -1 };
  return stroke_visit (NULL, width, height, &dummy, radius, xy, n_points, seen);
}

guint
rl_mask_flood_fill (guint8 *mask, int width, int height, const RlPaint *paint, int x, int y)
{
  g_return_val_if_fail (mask != NULL && paint != NULL, 0);
  if (width <= 0 || height <= 0 || x < 0 || y < 0 || x >= width || y >= height)
    return 0;
  guint8 target = mask[(gsize) y * width + x];
  if (target == paint->value || !may_write (paint, target))
    return 0;

  /* Scanline fill with an explicit stack of seeds: no recursion, bounded memory per row. */
  guint n = 0;
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (gint32) * 2);
  gint32 seed[2] = { x, y };
  g_array_append_val (stack, seed);
  while (stack->len > 0)
    {
      gint32 *top = &g_array_index (stack, gint32, 2 * (stack->len - 1));
      int sx = top[0], sy = top[1];
      g_array_set_size (stack, stack->len - 1);
      guint8 *row = mask + (gsize) sy * width;
      if (row[sx] != target)
        continue;
      int l = sx, r = sx;
      while (l > 0 && row[l - 1] == target)
        l--;
      while (r < width - 1 && row[r + 1] == target)
        r++;
      for (int i = l; i <= r; i++)
        row[i] = paint->value;
      n += r - l + 1;
      for (int dy = -1; dy <= 1; dy += 2)
        {
          int ny = sy + dy;
          if (ny < 0 || ny >= height)
            continue;
          const guint8 *nrow = mask + (gsize) ny * width;
          for (int i = l; i <= r; i++)
            if (nrow[i] == target && (i == l || nrow[i - 1] != target))
              {
                gint32 s[2] = { i, ny };
                g_array_append_val (stack, s);
              }
        }
    }
  return n;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

guint
rl_mask_fill_polygon (guint8 *mask, int width, int height, const RlPaint *paint,
                      const double *xy, int n_points)
{
  g_return_val_if_fail (mask != NULL && paint != NULL, 0);
  if (width <= 0 || height <= 0 || n_points < 3 || xy == NULL)
    return 0;
  for (int k = 0; k < 2 * n_points; k++)
    if (!isfinite (xy[k]))
      return 0;
  double ymin = xy[1], ymax = xy[1];
  for (int k = 1; k < n_points; k++)
    {
      ymin = MIN (ymin, xy[2 * k + 1]);
      ymax = MAX (ymax, xy[2 * k + 1]);
    }
  int j0 = (int) MAX (0.0, floor (ymin - 0.5)), j1 = (int) MIN ((double) height - 1, ceil (ymax));
  g_autofree double *xs = g_new (double, n_points);
  guint n = 0;
  for (int j = j0; j <= j1; j++)
    {
      double yc = j + 0.5;
      int nx = 0;
      for (int k = 0; k < n_points; k++)
        {
          double ax = xy[2 * k], ay = xy[2 * k + 1];
          int k2 = (k + 1) % n_points;
          double bx = xy[2 * k2], by = xy[2 * k2 + 1];
          /* Half-open rule: an edge counts for ay <= yc < by (or the reverse), so a vertex on
           * the scanline is counted once and horizontal edges never. */
          if ((ay <= yc && yc < by) || (by <= yc && yc < ay))
            xs[nx++] = ax + (yc - ay) * (bx - ax) / (by - ay);
        }
      qsort (xs, nx, sizeof (double), cmp_double);
      guint8 *row = mask + (gsize) j * width;
      for (int p = 0; p + 1 < nx; p += 2)
        {
          /* Pixels whose centre i + 0.5 lies in [xs[p], xs[p+1]). */
          double a = ceil (xs[p] - 0.5), b = ceil (xs[p + 1] - 0.5) - 1;
          int i0 = (int) MAX (0.0, a), i1 = (int) MIN ((double) width - 1, b);
          for (int i = i0; i <= i1; i++)
            if (row[i] != paint->value && may_write (paint, row[i]))
              {
                row[i] = paint->value;
                n++;
              }
        }
    }
  return n;
}

guint
rl_mask_stroke_region (guint8 *region, int width, int height, double radius, const double *xy,
                       int n_points)
{
  g_return_val_if_fail (region != NULL, 0);
  memset (region, 0, (gsize) MAX (width, 0) * MAX (height, 0));
  RlPaint one = { 1, -1, -1 };
  if (n_points > 0 && xy == NULL)
    return 0;
  return stroke_visit (region, width, height, &one, radius, xy, n_points, NULL);
}

guint
rl_mask_polygon_region (guint8 *region, int width, int height, const double *xy, int n_points)
{
  g_return_val_if_fail (region != NULL, 0);
  memset (region, 0, (gsize) MAX (width, 0) * MAX (height, 0));
  RlPaint one = { 1, -1, -1 };
  return rl_mask_fill_polygon (region, width, height, &one, xy, n_points);
}

/* 4-connected components of equal value. comp (H, W) gets each pixel's component; order lists
 * the pixels grouped by component, component c at order[start[c] .. start[c + 1]). Returns the
 * number of components; *start_out is g_free()d by the caller. */
static int
label_components (const guint8 *mask, int width, int height, gint32 *comp, gint32 *order,
                  gint32 **start_out)
{
  gsize n = (gsize) width * height;
  for (gsize k = 0; k < n; k++)
    comp[k] = -1;
  GArray *start = g_array_new (FALSE, FALSE, sizeof (gint32));
  gsize tail = 0;
  int nc = 0;
  for (gsize k = 0; k < n; k++)
    {
      if (comp[k] >= 0)
        continue;
      gint32 s = (gint32) tail;
      g_array_append_val (start, s);
      guint8 v = mask[k];
      comp[k] = nc;
      order[tail++] = (gint32) k;
      /* The order array doubles as the BFS queue. */
      for (gsize head = (gsize) s; head < tail; head++)
        {
          gint32 p = order[head];
          int x = p % width, y = p / width;
          gint32 nb[4] = { x > 0 ? p - 1 : -1, x + 1 < width ? p + 1 : -1,
                           y > 0 ? p - width : -1, y + 1 < height ? p + width : -1 };
          for (int d = 0; d < 4; d++)
            if (nb[d] >= 0 && comp[nb[d]] < 0 && mask[nb[d]] == v)
              {
                comp[nb[d]] = nc;
                order[tail++] = nb[d];
              }
        }
      nc++;
    }
  gint32 end = (gint32) tail;
  g_array_append_val (start, end);
  *start_out = (gint32 *) g_array_free (start, FALSE);
  return nc;
}

/* Shared body of remove_islands (holes FALSE: class components) and fill_holes (void ones). */
static guint
replace_small (guint8 *mask, int width, int height, int void_value, guint min_size,
               const RlPaint *paint, gboolean holes)
{
  g_return_val_if_fail (mask != NULL, 0);
  if (width <= 0 || height <= 0 || min_size <= 1)
    return 0;
  gsize n = (gsize) width * height;
  g_autofree gint32 *comp = g_new (gint32, n);
  g_autofree gint32 *order = g_new (gint32, n);
  g_autofree gint32 *start = NULL;
  int nc = label_components (mask, width, height, comp, order, &start);
  /* Decisions first (on the unchanged mask), then the writes. */
  g_autofree gint16 *decided = g_new (gint16, nc);
  for (int c = 0; c < nc; c++)
    {
      decided[c] = -1;
      guint size = (guint) (start[c + 1] - start[c]);
      guint8 v = mask[order[start[c]]];
      gboolean is_void = v == void_value;
      if (size >= min_size || is_void != holes)
        continue;
      guint hist[256] = { 0 };
      for (gint32 q = start[c]; q < start[c + 1]; q++)
        {
          gint32 p = order[q];
          int x = p % width, y = p / width;
          gint32 nb[4] = { x > 0 ? p - 1 : -1, x + 1 < width ? p + 1 : -1,
                           y > 0 ? p - width : -1, y + 1 < height ? p + width : -1 };
          for (int d = 0; d < 4; d++)
            if (nb[d] >= 0 && comp[nb[d]] != c)
              hist[mask[nb[d]]]++;
        }
      int best = -1;
      for (int u = 0; u < 256; u++)
        if (u != void_value && hist[u] > 0 && (best < 0 || hist[u] > hist[best]))
          best = u;
      if (best < 0 && !holes && void_value >= 0 && void_value < 256 && hist[void_value] > 0)
        best = void_value;
      decided[c] = (gint16) best;
    }
  guint changed = 0;
  for (gsize k = 0; k < n; k++)
    {
      int to = decided[comp[k]];
      if (to >= 0 && to != mask[k] && (paint == NULL || rl_paint_may_write (paint, mask[k])))
        {
          mask[k] = (guint8) to;
          changed++;
        }
    }
  return changed;
}

guint
rl_mask_remove_islands (guint8 *mask, int width, int height, int void_value, guint min_size,
                        const RlPaint *paint)
{
  return replace_small (mask, width, height, void_value, min_size, paint, FALSE);
}

guint
rl_mask_fill_holes (guint8 *mask, int width, int height, int void_value, guint min_size,
                    const RlPaint *paint)
{
  return replace_small (mask, width, height, void_value, min_size, paint, TRUE);
}

guint
rl_mask_replace_in_region (guint8 *mask, int width, int height, const guint8 *region,
                           guint8 from, guint8 to)
{
  g_return_val_if_fail (mask != NULL && region != NULL, 0);
  guint changed = 0;
  gsize n = (gsize) MAX (width, 0) * MAX (height, 0);
  if (from == to)
    return 0;
  for (gsize k = 0; k < n; k++)
    if (region[k] && mask[k] == from)
      {
        mask[k] = to;
        changed++;
      }
  return changed;
}

guint
rl_mask_copy_in_region (guint8 *mask, int width, int height, const guint8 *region,
                        const guint8 *src, const RlPaint *paint)
{
  g_return_val_if_fail (mask != NULL && region != NULL && src != NULL, 0);
  guint changed = 0;
  gsize n = (gsize) MAX (width, 0) * MAX (height, 0);
  for (gsize k = 0; k < n; k++)
    if (region[k] && mask[k] != src[k] && (paint == NULL || rl_paint_may_write (paint, mask[k])))
      {
        mask[k] = src[k];
        changed++;
      }
  return changed;
}
