/* Training data: a dataset split decoded into memory at training resolution, class weights,
 * input statistics and augmented batches. Shared by `relabel train` and the fine-tune job. */
#include "rl-train-data.h"

#include <gio/gio.h>
#include <math.h>
#include <string.h>

#include "rl-image-io.h"
#include "rl-net.h"

void
rl_rand_seed (RlRand *rng, guint64 seed)
{
  rng->state = seed;
}

guint64
rl_rand_next (RlRand *rng)
{
  guint64 z = (rng->state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

guint32
rl_rand_below (RlRand *rng, guint32 n)
{
  g_return_val_if_fail (n > 0, 0);
  /* The top 32 bits, scaled: bias below 2^-32 per value is irrelevant here. */
  return (guint32) (((rl_rand_next (rng) >> 32) * (guint64) n) >> 32);
}

double
rl_rand_uniform (RlRand *rng, double lo, double hi)
{
  /* 53 random bits: every double in [0, 1) this can give is exact. */
  double u = (double) (rl_rand_next (rng) >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * u;
}

/* Box-filter resize of an RGB image (downscaling averages every source pixel once; upscaling
 * degenerates to nearest neighbour). */
static void
resize_rgb (const guint8 *src, int sh, int sw, guint8 *dst, int dh, int dw)
{
  for (int oy = 0; oy < dh; oy++)
    {
      int y0 = (int) ((gint64) oy * sh / dh);
      int y1 = MAX (y0 + 1, (int) ((gint64) (oy + 1) * sh / dh));
      for (int ox = 0; ox < dw; ox++)
        {
          int x0 = (int) ((gint64) ox * sw / dw);
          int x1 = MAX (x0 + 1, (int) ((gint64) (ox + 1) * sw / dw));
          guint sum[3] = { 0, 0, 0 };
          for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
              for (int c = 0; c < 3; c++)
                sum[c] += src[((gsize) y * sw + x) * 3 + c];
          guint cnt = (guint) ((y1 - y0) * (x1 - x0));
          for (int c = 0; c < 3; c++)
            dst[((gsize) oy * dw + ox) * 3 + c] = (guint8) ((sum[c] + cnt / 2) / cnt);
        }
    }
}

/* Nearest-neighbour resize of labels, sampling each output pixel's centre. */
static void
resize_labels (const guint8 *src, int sh, int sw, guint8 *dst, int dh, int dw)
{
  for (int oy = 0; oy < dh; oy++)
    {
      int sy = (int) (((gint64) 2 * oy + 1) * sh / (2 * dh));
      for (int ox = 0; ox < dw; ox++)
        {
          int sx = (int) (((gint64) 2 * ox + 1) * sw / (2 * dw));
          dst[(gsize) oy * dw + ox] = src[(gsize) sy * sw + sx];
        }
    }
}

static RlTrainSet *train_set_load (GPtrArray *samples, const RlClassSpec *spec,
                                    const RlDataset *ds, double scale,
                                    void (*progress) (guint done, guint total, gpointer data),
                                    gpointer data, GError **error);

RlTrainSet *
rl_train_set_load (GPtrArray *samples, const RlClassSpec *spec, double scale,
                   void (*progress) (guint done, guint total, gpointer data), gpointer data,
                   GError **error)
{
  return train_set_load (samples, spec, NULL, scale, progress, data, error);
}

RlTrainSet *
rl_train_set_load_ds (GPtrArray *samples, const RlDataset *ds, double scale,
                      void (*progress) (guint done, guint total, gpointer data), gpointer data,
                      GError **error)
{
  return train_set_load (samples, ds->spec, ds, scale, progress, data, error);
}

static RlTrainSet *
train_set_load (GPtrArray *samples, const RlClassSpec *spec, const RlDataset *ds, double scale,
                void (*progress) (guint done, guint total, gpointer data), gpointer data,
                GError **error)
{
  g_return_val_if_fail (samples != NULL && spec != NULL, NULL);
  if (!(scale > 0.0 && scale <= 1.0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "scale %g is outside (0, 1]", scale);
      return NULL;
    }
  if (spec->ignore_index < 0 || spec->ignore_index > 255)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "class spec '%s' has no 8-bit ignore index for training", spec->id);
      return NULL;
    }

  guint total = 0;
  for (guint i = 0; i < samples->len; i++)
    if (((RlSample *) g_ptr_array_index (samples, i))->label_path != NULL)
      total++;
  if (total == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "the dataset has no labelled images to train on");
      return NULL;
    }

  g_autoptr (RlTrainSet) set = g_new0 (RlTrainSet, 1);
  set->n_classes = spec->n_classes;
  set->ignore_index = spec->ignore_index;
  set->names = g_new0 (char *, total + 1);
  set->class_pixels = g_new0 (guint64, spec->n_classes);
  set->class_image_pixels = g_new0 (guint64, spec->n_classes);
  g_autofree guint64 *counts = g_new0 (guint64, spec->n_classes);

  guint done = 0;
  for (guint i = 0; i < samples->len; i++)
    {
      RlSample *s = g_ptr_array_index (samples, i);
      if (s->label_path == NULL)
        continue;
      int iw, ih, lw, lh;
      g_autofree guint8 *rgb = NULL;
      g_autofree guint8 *lab = NULL;
      if (!rl_image_read_rgb (s->image_path, &iw, &ih, &rgb, error)
          || !(ds != NULL ? rl_dataset_read_label (ds, s->label_path, &lw, &lh, &lab, error)
                          : rl_label_read (s->label_path, &lw, &lh, &lab, error)))
        return NULL;
      if (iw != lw || ih != lh)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: label is %dx%d but its image is %dx%d", s->label_path, lw, lh, iw,
                       ih);
          return NULL;
        }
      memset (counts, 0, sizeof (guint64) * spec->n_classes);
      gsize npix = (gsize) iw * ih;
      for (gsize p = 0; p < npix; p++)
        {
          guint v = lab[p];
          if (!rl_class_spec_value_ok (spec, v))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "%s: label value %u is not a class of %s (%d classes)", s->label_path,
                           v, spec->id, spec->n_classes);
              return NULL;
            }
          if (rl_class_spec_is_class (spec, v))
            counts[v]++;
          else
            lab[p] = (guint8) spec->ignore_index;
        }
      for (int c = 0; c < spec->n_classes; c++)
        if (counts[c] > 0)
          {
            set->class_pixels[c] += counts[c];
            set->class_image_pixels[c] += npix;
          }

      if (set->n == 0)
        {
          set->height = MAX (1, (int) lround (ih * scale));
          set->width = MAX (1, (int) lround (iw * scale));
          set->rgb = g_malloc ((gsize) total * set->height * set->width * 3);
          set->labels = g_malloc ((gsize) total * set->height * set->width);
        }
      gsize plane = (gsize) set->height * set->width;
      resize_rgb (rgb, ih, iw, set->rgb + plane * 3 * set->n, set->height, set->width);
      resize_labels (lab, ih, iw, set->labels + plane * set->n, set->height, set->width);
      set->names[set->n++] = g_strdup (s->name);
      done++;
      if (progress != NULL)
        progress (done, total, data);
    }
  return g_steal_pointer (&set);
}

void
rl_train_set_free (RlTrainSet *set)
{
  if (set == NULL)
    return;
  g_free (set->rgb);
  g_free (set->labels);
  g_strfreev (set->names);
  g_free (set->class_pixels);
  g_free (set->class_image_pixels);
  g_free (set);
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

void
rl_train_set_class_weights (const RlTrainSet *set, float *weights)
{
  g_autofree double *freq = g_new0 (double, set->n_classes);
  g_autofree double *sorted = g_new0 (double, set->n_classes);
  int n_present = 0;
  for (int c = 0; c < set->n_classes; c++)
    if (set->class_pixels[c] > 0)
      {
        freq[c] = (double) set->class_pixels[c] / (double) set->class_image_pixels[c];
        sorted[n_present++] = freq[c];
      }
  if (n_present == 0)
    {
      for (int c = 0; c < set->n_classes; c++)
        weights[c] = 0.0f;
      return;
    }
  qsort (sorted, n_present, sizeof (double), compare_double);
  double median = n_present % 2 == 1
                    ? sorted[n_present / 2]
                    : 0.5 * (sorted[n_present / 2 - 1] + sorted[n_present / 2]);
  for (int c = 0; c < set->n_classes; c++)
    weights[c] = set->class_pixels[c] > 0 ? (float) (median / freq[c]) : 0.0f;
}

void
rl_class_weights_power (float *weights, int n, double power)
{
  for (int c = 0; c < n; c++)
    if (weights[c] > 0.0f)
      weights[c] = (float) pow (weights[c], power);
}

void
rl_train_set_input_stats (const RlTrainSet *set, float mean[3], float std[3])
{
  double sum[3] = { 0, 0, 0 }, sq[3] = { 0, 0, 0 };
  gsize npix = (gsize) set->n * set->height * set->width;
  for (gsize p = 0; p < npix; p++)
    for (int c = 0; c < 3; c++)
      {
        double v = set->rgb[p * 3 + c] / 255.0;
        sum[c] += v;
        sq[c] += v * v;
      }
  for (int c = 0; c < 3; c++)
    {
      double m = npix > 0 ? sum[c] / npix : 0.0;
      double var = npix > 0 ? sq[c] / npix - m * m : 1.0;
      mean[c] = (float) m;
      std[c] = (float) sqrt (MAX (var, 1e-12));
    }
}

void
rl_photometric_draw (const RlAugment *aug, RlRand *rng, RlPhotometric *p)
{
  p->brightness = aug->brightness > 0
                    ? rl_rand_uniform (rng, 1 - aug->brightness, 1 + aug->brightness) : 1.0;
  p->contrast = aug->contrast > 0
                  ? rl_rand_uniform (rng, 1 - aug->contrast, 1 + aug->contrast) : 1.0;
  p->saturation = aug->saturation > 0
                    ? rl_rand_uniform (rng, 1 - aug->saturation, 1 + aug->saturation) : 1.0;
  p->gamma = aug->gamma > 0 ? pow (1 + aug->gamma, rl_rand_uniform (rng, -1, 1)) : 1.0;
}

static inline float
clamp01 (float v)
{
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

void
rl_photometric_apply (const RlPhotometric *p, float *rgb, gsize n)
{
  float *r = rgb, *g = rgb + n, *b = rgb + 2 * n;
  if (p->brightness != 1.0)
    {
      float f = (float) p->brightness;
      for (gsize i = 0; i < 3 * n; i++)
        rgb[i] = clamp01 (rgb[i] * f);
    }
  if (p->contrast != 1.0 && n > 0)
    {
      /* Around the crop's mean grey (as torchvision does), so contrast keeps the brightness. */
      double sum = 0;
      for (gsize i = 0; i < n; i++)
        sum += 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
      float m = (float) (sum / (double) n), f = (float) p->contrast;
      for (gsize i = 0; i < 3 * n; i++)
        rgb[i] = clamp01 (m + (rgb[i] - m) * f);
    }
  if (p->saturation != 1.0)
    {
      float f = (float) p->saturation;
      for (gsize i = 0; i < n; i++)
        {
          float grey = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
          r[i] = clamp01 (grey + (r[i] - grey) * f);
          g[i] = clamp01 (grey + (g[i] - grey) * f);
          b[i] = clamp01 (grey + (b[i] - grey) * f);
        }
    }
  if (p->gamma != 1.0)
    {
      float y = (float) p->gamma;
      for (gsize i = 0; i < 3 * n; i++)
        rgb[i] = rgb[i] > 0.0f ? powf (rgb[i], y) : 0.0f;
    }
}

void
rl_train_set_make_batch (const RlTrainSet *set, const int *indices, int n, int crop_h,
                         int crop_w, gboolean flip, RlRand *rng, const float mean[3],
                         const float std[3], int input_norm, float *x, guint8 *y)
{
  RlAugment aug = { .flip = flip, .scale_min = 1.0, .scale_max = 1.0 };
  rl_train_set_make_batch_aug (set, indices, n, crop_h, crop_w, &aug, rng, mean, std,
                               input_norm, x, y);
}

/* One crop through a scale factor f: output pixel (r, q) samples the source at
 * (oy + (r + 1/2) / f - 1/2, ox + (q + 1/2) / f - 1/2), bilinear for RGB (into xb as 0..1) and
 * the nearest pixel for the label, so both see the same point. */
static void
scaled_crop (const RlTrainSet *set, const guint8 *rgb, const guint8 *lab, double f, double oy,
             double ox, gboolean mirror, int crop_h, int crop_w, float *xb, guint8 *yb)
{
  gsize cplane = (gsize) crop_h * crop_w;
  int H = set->height, W = set->width;
  for (int r = 0; r < crop_h; r++)
    {
      double sy = oy + (r + 0.5) / f - 0.5;
      sy = CLAMP (sy, 0.0, (double) (H - 1));
      int y0 = (int) sy, y1 = MIN (y0 + 1, H - 1);
      float wy = (float) (sy - y0);
      int ny = (int) floor (sy + 0.5);
      ny = MIN (ny, H - 1);
      for (int q = 0; q < crop_w; q++)
        {
          int qq = mirror ? crop_w - 1 - q : q;
          double sx = ox + (qq + 0.5) / f - 0.5;
          sx = CLAMP (sx, 0.0, (double) (W - 1));
          int x0 = (int) sx, x1 = MIN (x0 + 1, W - 1);
          float wx = (float) (sx - x0);
          int nx = MIN ((int) floor (sx + 0.5), W - 1);
          gsize d = (gsize) r * crop_w + q;
          const guint8 *p00 = rgb + ((gsize) y0 * W + x0) * 3, *p01 = rgb + ((gsize) y0 * W + x1) * 3;
          const guint8 *p10 = rgb + ((gsize) y1 * W + x0) * 3, *p11 = rgb + ((gsize) y1 * W + x1) * 3;
          for (int c = 0; c < 3; c++)
            {
              float top = p00[c] + (p01[c] - p00[c]) * wx;
              float bot = p10[c] + (p11[c] - p10[c]) * wx;
              xb[cplane * c + d] = (top + (bot - top) * wy) * (1.0f / 255.0f);
            }
          yb[d] = lab[(gsize) ny * W + nx];
        }
    }
}

void
rl_train_set_make_batch_aug (const RlTrainSet *set, const int *indices, int n, int crop_h,
                             int crop_w, const RlAugment *aug, RlRand *rng, const float mean[3],
                             const float std[3], int input_norm, float *x, guint8 *y)
{
  g_return_if_fail (crop_h >= 1 && crop_h <= set->height && crop_w >= 1
                    && crop_w <= set->width);
  static const RlAugment none = { FALSE, 1.0, 1.0, 0, 0, 0, 0 };
  if (aug == NULL)
    aug = &none;
  gboolean scaled = aug->scale_min != 1.0 || aug->scale_max != 1.0;
  gboolean photo = aug->brightness > 0 || aug->contrast > 0 || aug->saturation > 0
                   || aug->gamma > 0;
  gsize plane = (gsize) set->height * set->width;
  gsize cplane = (gsize) crop_h * crop_w;
  float scale[3], shift[3];
  for (int c = 0; c < 3; c++)
    {
      scale[c] = 1.0f / (255.0f * std[c]);
      shift[c] = -mean[c] / std[c];
    }
  for (int b = 0; b < n; b++)
    {
      int idx = indices[b];
      g_return_if_fail (idx >= 0 && idx < set->n);
      const guint8 *rgb = set->rgb + plane * 3 * idx;
      const guint8 *lab = set->labels + plane * idx;
      float *xb = x + cplane * 3 * b;
      guint8 *yb = y + cplane * b;
      if (scaled)
        {
          double f = rl_rand_uniform (rng, aug->scale_min, aug->scale_max);
          /* The source region is crop / f; never larger than the image. */
          f = MAX (f, MAX ((double) crop_h / set->height, (double) crop_w / set->width));
          double rh = crop_h / f, rw = crop_w / f;
          double oy = rl_rand_uniform (rng, 0, MAX (0.0, set->height - rh));
          double ox = rl_rand_uniform (rng, 0, MAX (0.0, set->width - rw));
          gboolean mirror = aug->flip && (rl_rand_next (rng) & 1);
          scaled_crop (set, rgb, lab, f, oy, ox, mirror, crop_h, crop_w, xb, yb);
        }
      else
        {
          int oy = crop_h < set->height ? (int) rl_rand_below (rng, set->height - crop_h + 1) : 0;
          int ox = crop_w < set->width ? (int) rl_rand_below (rng, set->width - crop_w + 1) : 0;
          gboolean mirror = aug->flip && (rl_rand_next (rng) & 1);
          for (int r = 0; r < crop_h; r++)
            for (int q = 0; q < crop_w; q++)
              {
                int sx = ox + (mirror ? crop_w - 1 - q : q);
                gsize s = (gsize) (oy + r) * set->width + sx;
                gsize d = (gsize) r * crop_w + q;
                for (int c = 0; c < 3; c++)
                  xb[cplane * c + d] = photo ? rgb[s * 3 + c] * (1.0f / 255.0f)
                                             : rgb[s * 3 + c] * scale[c] + shift[c];
                yb[d] = lab[s];
              }
        }
      /* Unless the copy above normalised in one step (as before there was more
       * augmentation): the photometric jitter, then (v - mean) / std on the 0..1 values. */
      if (scaled || photo)
        {
          if (photo)
            {
              RlPhotometric p;
              rl_photometric_draw (aug, rng, &p);
              rl_photometric_apply (&p, xb, cplane);
            }
          for (int c = 0; c < 3; c++)
            {
              float sc = 255.0f * scale[c];
              for (gsize d = 0; d < cplane; d++)
                xb[cplane * c + d] = xb[cplane * c + d] * sc + shift[c];
            }
        }
      /* The model's input normalisation (rl_net_normalize_input), on the crop it sees. */
      if (input_norm == RL_INPUT_NORM_IMAGE)
        rl_standardize_planes (xb, 3, cplane);
    }
}
