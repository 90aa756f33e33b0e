/* SLIC superpixels in CIELAB (grid seeds moved to the lowest gradient, 10 k-means iterations in
 * 2S x 2S windows, connectivity enforced), the superpixel brush and a small LRU cache. */
#define G_LOG_DOMAIN "relabel"

#include "rl-superpixels.h"

#include <float.h>
#include <math.h>
#include <string.h>

const int rl_superpixel_sizes[RL_SUPERPIXEL_N_SIZES] = { 8, 16, 32 };

#define SLIC_ITERATIONS 10

/* sRGB (D65) to CIELAB, (H*W, 3) floats. */
static float *
rgb_to_lab (const guint8 *rgb, gsize n)
{
  float lin[256];
  for (int v = 0; v < 256; v++)
    {
      double c = v / 255.0;
      lin[v] = (float) (c <= 0.04045 ? c / 12.92 : pow ((c + 0.055) / 1.055, 2.4));
    }
  float *lab = g_new (float, 3 * n);
  const float eps = 216.0f / 24389.0f, kappa = 24389.0f / 27.0f;
  for (gsize k = 0; k < n; k++)
    {
      float r = lin[rgb[3 * k]], g = lin[rgb[3 * k + 1]], b = lin[rgb[3 * k + 2]];
      float xyz[3] = { (0.4124564f * r + 0.3575761f * g + 0.1804375f * b) / 0.95047f,
                       0.2126729f * r + 0.7151522f * g + 0.0721750f * b,
                       (0.0193339f * r + 0.1191920f * g + 0.9503041f * b) / 1.08883f };
      float f[3];
      for (int i = 0; i < 3; i++)
        f[i] = xyz[i] > eps ? cbrtf (xyz[i]) : (kappa * xyz[i] + 16.0f) / 116.0f;
      lab[3 * k] = 116.0f * f[1] - 16.0f;
      lab[3 * k + 1] = 500.0f * (f[0] - f[1]);
      lab[3 * k + 2] = 200.0f * (f[1] - f[2]);
    }
  return lab;
}

typedef struct
{
  float l, a, b, x, y;
} Centre;

static float
gradient_at (const float *lab, int w, int h, int x, int y)
{
  if (x < 1 || y < 1 || x >= w - 1 || y >= h - 1)
    return FLT_MAX;
  const float *r = lab + 3 * ((gsize) y * w + x + 1), *l = lab + 3 * ((gsize) y * w + x - 1);
  const float *d = lab + 3 * ((gsize) (y + 1) * w + x), *u = lab + 3 * ((gsize) (y - 1) * w + x);
  float g = 0;
  for (int i = 0; i < 3; i++)
    g += (r[i] - l[i]) * (r[i] - l[i]) + (d[i] - u[i]) * (d[i] - u[i]);
  return g;
}

/* Relabels so every superpixel is one 4-connected component; components smaller than
 * min_size join the neighbouring component met first in scan order (SLIC's own rule).
 * Returns the number of labels; labels are rewritten in place as 0 .. n-1. */
static int
enforce_connectivity (gint32 *labels, int w, int h, int min_size)
{
  gsize n = (gsize) w * h;
  g_autofree gint32 *out = g_new (gint32, n);
  g_autofree gint32 *queue = g_new (gint32, n);
  for (gsize k = 0; k < n; k++)
    out[k] = -1;
  int next = 0;
  for (gsize k = 0; k < n; k++)
    {
      if (out[k] >= 0)
        continue;
      int x0 = (int) (k % w), y0 = (int) (k / w);
      /* An already relabelled neighbour to join when this component is too small. */
      int adjacent = next > 0 ? next - 1 : 0;
      gint32 nb0[4] = { x0 > 0 ? (gint32) k - 1 : -1, y0 > 0 ? (gint32) (k - w) : -1, -1, -1 };
      for (int d = 0; d < 2; d++)
        if (nb0[d] >= 0 && out[nb0[d]] >= 0)
          adjacent = out[nb0[d]];
      gint32 v = labels[k];
      gsize head = 0, tail = 0;
      queue[tail++] = (gint32) k;
      out[k] = next;
      while (head < tail)
        {
          gint32 p = queue[head++];
          int x = p % w, y = p / w;
          gint32 nb[4] = { x > 0 ? p - 1 : -1, x + 1 < w ? p + 1 : -1, y > 0 ? p - w : -1,
                           y + 1 < h ? p + w : -1 };
          for (int d = 0; d < 4; d++)
            if (nb[d] >= 0 && out[nb[d]] < 0 && labels[nb[d]] == v)
              {
                out[nb[d]] = next;
                queue[tail++] = nb[d];
              }
        }
      if ((int) tail < min_size && next > 0)
        for (gsize q = 0; q < tail; q++)
          out[queue[q]] = adjacent;
      else
        next++;
    }
  memcpy (labels, out, n * sizeof (gint32));
  return next;
}

RlSuperpixels *
rl_superpixels_slic (const guint8 *rgb, int width, int height, int size, double compactness)
{
  g_return_val_if_fail (rgb != NULL, NULL);
  if (width <= 0 || height <= 0 || size < 2 || !(compactness > 0))
    return NULL;
  gsize n = (gsize) width * height;
  g_autofree float *lab = rgb_to_lab (rgb, n);

  int kx = MAX (1, (int) lround ((double) width / size));
  int ky = MAX (1, (int) lround ((double) height / size));
  double stepx = (double) width / kx, stepy = (double) height / ky;
  int nc = kx * ky;
  g_autofree Centre *c = g_new (Centre, nc);
  for (int j = 0; j < ky; j++)
    for (int i = 0; i < kx; i++)
      {
        int x = (int) (stepx * (i + 0.5)), y = (int) (stepy * (j + 0.5));
        /* Move the seed to the lowest gradient in its 3x3 neighbourhood (off edges). */
        float best = gradient_at (lab, width, height, x, y);
        int bx = x, by = y;
        for (int dy = -1; dy <= 1; dy++)
          for (int dx = -1; dx <= 1; dx++)
            {
              float g = gradient_at (lab, width, height, x + dx, y + dy);
              if (g < best)
                {
                  best = g;
                  bx = x + dx;
                  by = y + dy;
                }
            }
        const float *p = lab + 3 * ((gsize) by * width + bx);
        c[j * kx + i] = (Centre) { p[0], p[1], p[2], (float) bx, (float) by };
      }

  gint32 *labels = g_new (gint32, n);
  g_autofree float *dist = g_new (float, n);
  g_autofree double *acc = g_new (double, 6 * (gsize) nc);
  double s = MAX (stepx, stepy);
  float wspace = (float) ((compactness / s) * (compactness / s));
  int win = (int) ceil (s);
  for (gsize k = 0; k < n; k++)
    labels[k] = 0;
  for (int it = 0; it < SLIC_ITERATIONS; it++)
    {
      for (gsize k = 0; k < n; k++)
        dist[k] = FLT_MAX;
      for (int ci = 0; ci < nc; ci++)
        {
          const Centre *cc = &c[ci];
          int x0 = MAX (0, (int) cc->x - win), x1 = MIN (width - 1, (int) cc->x + win);
          int y0 = MAX (0, (int) cc->y - win), y1 = MIN (height - 1, (int) cc->y + win);
          for (int y = y0; y <= y1; y++)
            {
              float dy2 = (y - cc->y) * (y - cc->y);
              const float *p = lab + 3 * ((gsize) y * width + x0);
              float *d = dist + (gsize) y * width;
              gint32 *lr = labels + (gsize) y * width;
              for (int x = x0; x <= x1; x++, p += 3)
                {
                  float dl = p[0] - cc->l, da = p[1] - cc->a, db = p[2] - cc->b;
                  float dx = x - cc->x;
                  float D = dl * dl + da * da + db * db + (dx * dx + dy2) * wspace;
                  if (D < d[x])
                    {
                      d[x] = D;
                      lr[x] = ci;
                    }
                }
            }
        }
      memset (acc, 0, 6 * (gsize) nc * sizeof (double));
      for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
          {
            gsize k = (gsize) y * width + x;
            double *a = acc + 6 * (gsize) labels[k];
            a[0] += lab[3 * k];
            a[1] += lab[3 * k + 1];
            a[2] += lab[3 * k + 2];
            a[3] += x;
            a[4] += y;
            a[5] += 1;
          }
      for (int ci = 0; ci < nc; ci++)
        {
          double *a = acc + 6 * (gsize) ci;
          if (a[5] > 0)
            c[ci] = (Centre) { (float) (a[0] / a[5]), (float) (a[1] / a[5]),
                               (float) (a[2] / a[5]), (float) (a[3] / a[5]),
                               (float) (a[4] / a[5]) };
        }
    }

  RlSuperpixels *sp = g_new0 (RlSuperpixels, 1);
  sp->width = width;
  sp->height = height;
  sp->size = size;
  sp->labels = labels;
  sp->n = enforce_connectivity (labels, width, height, MAX (1, (int) (s * s / 4)));
  sp->ref = 1;
  /* Pixel lists grouped by superpixel (a counting sort). */
  sp->start = g_new0 (gint32, sp->n + 1);
  sp->pixels = g_new (gint32, n);
  for (gsize k = 0; k < n; k++)
    sp->start[labels[k] + 1]++;
  for (int i = 0; i < sp->n; i++)
    sp->start[i + 1] += sp->start[i];
  g_autofree gint32 *fillpos = g_memdup2 (sp->start, sizeof (gint32) * sp->n);
  for (gsize k = 0; k < n; k++)
    sp->pixels[fillpos[labels[k]]++] = (gint32) k;
  return sp;
}

RlSuperpixels *
rl_superpixels_ref (RlSuperpixels *sp)
{
  g_return_val_if_fail (sp != NULL, NULL);
  g_atomic_int_inc (&sp->ref);
  return sp;
}

void
rl_superpixels_unref (RlSuperpixels *sp)
{
  if (sp == NULL || !g_atomic_int_dec_and_test (&sp->ref))
    return;
  g_free (sp->labels);
  g_free (sp->start);
  g_free (sp->pixels);
  g_free (sp);
}

/* Marks touched[s] for every superpixel under the stroke; returns how many. */
static int
touched_superpixels (const RlSuperpixels *sp, double radius, const double *xy, int n_points,
                     guint8 *touched)
{
  int w = sp->width, h = sp->height;
  memset (touched, 0, sp->n);
  if (n_points <= 0 || xy == NULL)
    return 0;
  g_autofree guint8 *cover = g_malloc ((gsize) w * h);
  if (rl_mask_stroke_region (cover, w, h, radius, xy, n_points) == 0)
    return 0;
  /* Only the stroke's bounding box can be covered. */
  double x0 = xy[0], x1 = xy[0], y0 = xy[1], y1 = xy[1];
  for (int i = 1; i < n_points; i++)
    {
      x0 = MIN (x0, xy[2 * i]);
      x1 = MAX (x1, xy[2 * i]);
      y0 = MIN (y0, xy[2 * i + 1]);
      y1 = MAX (y1, xy[2 * i + 1]);
    }
  int i0 = (int) CLAMP (floor (x0 - radius - 1), 0, w - 1);
  int i1 = (int) CLAMP (ceil (x1 + radius + 1), 0, w - 1);
  int j0 = (int) CLAMP (floor (y0 - radius - 1), 0, h - 1);
  int j1 = (int) CLAMP (ceil (y1 + radius + 1), 0, h - 1);
  int count = 0;
  for (int j = j0; j <= j1; j++)
    for (int i = i0; i <= i1; i++)
      {
        gsize k = (gsize) j * w + i;
        if (cover[k] && !touched[sp->labels[k]])
          {
            touched[sp->labels[k]] = 1;
            count++;
          }
      }
  return count;
}

guint
rl_superpixels_stroke_region (const RlSuperpixels *sp, double radius, const double *xy,
                              int n_points, guint8 *region)
{
  g_return_val_if_fail (sp != NULL && region != NULL, 0);
  memset (region, 0, (gsize) sp->width * sp->height);
  g_autofree guint8 *touched = g_malloc (sp->n);
  if (touched_superpixels (sp, radius, xy, n_points, touched) == 0)
    return 0;
  guint size = 0;
  for (int s = 0; s < sp->n; s++)
    if (touched[s])
      for (gint32 q = sp->start[s]; q < sp->start[s + 1]; q++, size++)
        region[sp->pixels[q]] = 1;
  return size;
}

guint
rl_superpixels_paint_stroke (const RlSuperpixels *sp, guint8 *mask, const RlPaint *paint,
                             double radius, const double *xy, int n_points)
{
  g_return_val_if_fail (sp != NULL && mask != NULL && paint != NULL, 0);
  g_autofree guint8 *touched = g_malloc (sp->n);
  if (touched_superpixels (sp, radius, xy, n_points, touched) == 0)
    return 0;
  guint changed = 0;
  for (int s = 0; s < sp->n; s++)
    if (touched[s])
      for (gint32 q = sp->start[s]; q < sp->start[s + 1]; q++)
        {
          gint32 k = sp->pixels[q];
          if (mask[k] != paint->value && rl_paint_may_write (paint, mask[k]))
            {
              mask[k] = paint->value;
              changed++;
            }
        }
  return changed;
}

void
rl_superpixels_boundaries (const RlSuperpixels *sp, guint8 *out)
{
  g_return_if_fail (sp != NULL && out != NULL);
  int w = sp->width, h = sp->height;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize k = (gsize) y * w + x;
        out[k] = (x + 1 < w && sp->labels[k + 1] != sp->labels[k])
                 || (y + 1 < h && sp->labels[k + w] != sp->labels[k]);
      }
}

/* ------------------------------------------------------------------------------------------ */

typedef struct
{
  gint64 key;
  RlSuperpixels *sp;
  guint64 used;
} CacheEntry;

struct _RlSuperpixelCache
{
  GMutex lock;
  guint max_entries;
  guint64 clock;
  GArray *entries;   /* CacheEntry */
};

RlSuperpixelCache *
rl_superpixel_cache_new (guint max_entries)
{
  RlSuperpixelCache *cache = g_new0 (RlSuperpixelCache, 1);
  g_mutex_init (&cache->lock);
  cache->max_entries = MAX (1, max_entries);
  cache->entries = g_array_new (FALSE, FALSE, sizeof (CacheEntry));
  return cache;
}

void
rl_superpixel_cache_free (RlSuperpixelCache *cache)
{
  if (cache == NULL)
    return;
  for (guint i = 0; i < cache->entries->len; i++)
    rl_superpixels_unref (g_array_index (cache->entries, CacheEntry, i).sp);
  g_array_free (cache->entries, TRUE);
  g_mutex_clear (&cache->lock);
  g_free (cache);
}

RlSuperpixels *
rl_superpixel_cache_lookup (RlSuperpixelCache *cache, gint64 image_key, int size)
{
  g_return_val_if_fail (cache != NULL, NULL);
  RlSuperpixels *found = NULL;
  g_mutex_lock (&cache->lock);
  for (guint i = 0; i < cache->entries->len; i++)
    {
      CacheEntry *e = &g_array_index (cache->entries, CacheEntry, i);
      if (e->key == image_key && e->sp->size == size)
        {
          e->used = ++cache->clock;
          found = rl_superpixels_ref (e->sp);
          break;
        }
    }
  g_mutex_unlock (&cache->lock);
  return found;
}

void
rl_superpixel_cache_insert (RlSuperpixelCache *cache, gint64 image_key, RlSuperpixels *sp)
{
  g_return_if_fail (cache != NULL && sp != NULL);
  g_mutex_lock (&cache->lock);
  for (guint i = 0; i < cache->entries->len; i++)
    {
      CacheEntry *e = &g_array_index (cache->entries, CacheEntry, i);
      if (e->key == image_key && e->sp->size == sp->size)
        {
          rl_superpixels_unref (e->sp);
          g_array_remove_index_fast (cache->entries, i);
          break;
        }
    }
  if (cache->entries->len >= cache->max_entries)
    {
      guint oldest = 0;
      for (guint i = 1; i < cache->entries->len; i++)
        if (g_array_index (cache->entries, CacheEntry, i).used
            < g_array_index (cache->entries, CacheEntry, oldest).used)
          oldest = i;
      rl_superpixels_unref (g_array_index (cache->entries, CacheEntry, oldest).sp);
      g_array_remove_index_fast (cache->entries, oldest);
    }
  CacheEntry e = { image_key, rl_superpixels_ref (sp), ++cache->clock };
  g_array_append_val (cache->entries, e);
  g_mutex_unlock (&cache->lock);
}

RlSuperpixels *
rl_superpixel_cache_get (RlSuperpixelCache *cache, gint64 image_key, const guint8 *rgb,
                         int width, int height, int size)
{
  RlSuperpixels *sp = rl_superpixel_cache_lookup (cache, image_key, size);
  if (sp != NULL && sp->width == width && sp->height == height)
    return sp;
  rl_superpixels_unref (sp);
  sp = rl_superpixels_slic (rgb, width, height, size, RL_SUPERPIXEL_COMPACTNESS);
  if (sp != NULL)
    rl_superpixel_cache_insert (cache, image_key, sp);
  return sp;
}
