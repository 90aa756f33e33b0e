/* relabel train: plain SGD training of a SegNet from He initialisation on a dataset's training
 * split, writing a model file (the training issue builds schedules, validation and resume on it). */
#include <cblas.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relabel-cli.h"
#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-net.h"
#include "rl-train.h"

static const char usage[] =
  "Usage: relabel train --dataset KIND:PATH --arch segnet-basic|segnet --iters N --batch B\n"
  "                     --out M.safetensors [--seed S] [--scale F] [--lr LR] [--momentum M]\n"
  "                     [--weight-decay WD] [--threads T]\n"
  "KIND is camvid, sunrgbd or folder. Trains on the 'train' split from He initialisation with\n"
  "SGD (defaults: lr 0.01, momentum 0.9, weight decay 0.0005) and median-frequency class\n"
  "weights; --scale F shrinks images F times (area average; labels take the block centre) for\n"
  "fast runs. input_mean/input_std in the model are measured on the (scaled) training images.\n";

typedef struct
{
  int w, h;
  guint8 *rgb;     /* (h, w, 3) */
  guint8 *labels;  /* (h, w) */
} Sample;

/* Shrinks an image f times: area average for RGB, the block's centre for labels. */
static void
shrink (const guint8 *rgb, const guint8 *lab, int w, int h, int f, Sample *out)
{
  out->w = w / f;
  out->h = h / f;
  out->rgb = g_malloc ((gsize) out->w * out->h * 3);
  out->labels = g_malloc ((gsize) out->w * out->h);
  for (int y = 0; y < out->h; y++)
    for (int x = 0; x < out->w; x++)
      {
        for (int c = 0; c < 3; c++)
          {
            unsigned sum = 0;
            for (int dy = 0; dy < f; dy++)
              for (int dx = 0; dx < f; dx++)
                sum += rgb[(((gsize) y * f + dy) * w + (gsize) x * f + dx) * 3 + c];
            out->rgb[((gsize) y * out->w + x) * 3 + c] = (guint8) ((sum + f * f / 2) / (f * f));
          }
        out->labels[(gsize) y * out->w + x] = lab[((gsize) y * f + f / 2) * w + (gsize) x * f + f / 2];
      }
}

static int
parse_long (const char *opt, const char *v, long lo, long hi, long *out)
{
  char *end;
  long x = strtol (v, &end, 10);
  if (*v == '\0' || *end != '\0' || x < lo || x > hi)
    {
      fprintf (stderr, "relabel: train: bad %s '%s' (%ld to %ld)\n", opt, v, lo, hi);
      return 0;
    }
  *out = x;
  return 1;
}

static int
parse_double (const char *opt, const char *v, double lo, double hi, double *out)
{
  char *end;
  double x = strtod (v, &end);
  if (*v == '\0' || *end != '\0' || !(x >= lo && x <= hi))
    {
      fprintf (stderr, "relabel: train: bad %s '%s'\n", opt, v);
      return 0;
    }
  *out = x;
  return 1;
}

int
rl_cmd_train (int argc, char **argv)
{
  const char *dataset = NULL, *arch = NULL, *out = NULL;
  long iters = -1, batch = -1, seed = 1, scale = 1, threads = 0;
  double lr = 0.01, momentum = 0.9, wd = 5e-4;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      if (a[0] != '-' || i + 1 >= argc)
        {
          fprintf (stderr, "relabel: train: unexpected '%s'\n%s", a, usage);
          return 2;
        }
      const char *v = argv[++i];
      int ok = 1;
      if (strcmp (a, "--dataset") == 0)
        dataset = v;
      else if (strcmp (a, "--arch") == 0)
        arch = v;
      else if (strcmp (a, "--out") == 0)
        out = v;
      else if (strcmp (a, "--iters") == 0)
        ok = parse_long (a, v, 0, 100000000, &iters);
      else if (strcmp (a, "--batch") == 0)
        ok = parse_long (a, v, 1, 4096, &batch);
      else if (strcmp (a, "--seed") == 0)
        ok = parse_long (a, v, 0, 0x7fffffff, &seed);
      else if (strcmp (a, "--scale") == 0)
        ok = parse_long (a, v, 1, 64, &scale);
      else if (strcmp (a, "--threads") == 0)
        ok = parse_long (a, v, 1, 1024, &threads);
      else if (strcmp (a, "--lr") == 0)
        ok = parse_double (a, v, 0, 100, &lr);
      else if (strcmp (a, "--momentum") == 0)
        ok = parse_double (a, v, 0, 1, &momentum);
      else if (strcmp (a, "--weight-decay") == 0)
        ok = parse_double (a, v, 0, 1, &wd);
      else
        {
          fprintf (stderr, "relabel: train: unknown option '%s'\n%s", a, usage);
          return 2;
        }
      if (!ok)
        return 2;
    }
  if (dataset == NULL || arch == NULL || out == NULL || iters < 0 || batch < 1)
    {
      fprintf (stderr, "relabel: train: --dataset, --arch, --out, --iters and --batch are "
               "required\n%s", usage);
      return 2;
    }
  const char *colon = strchr (dataset, ':');
  if (colon == NULL || colon == dataset || colon[1] == '\0')
    {
      fprintf (stderr, "relabel: train: --dataset must be KIND:PATH (e.g. camvid:/data/CamVid)\n");
      return 2;
    }
  if (strcmp (arch, "segnet-basic") != 0 && strcmp (arch, "segnet") != 0)
    {
      fprintf (stderr, "relabel: train: unknown --arch '%s' (segnet-basic or segnet)\n", arch);
      return 2;
    }
  g_autofree char *kind = g_strndup (dataset, (gsize) (colon - dataset));
  const char *path = colon + 1;
  if (threads > 0)
    openblas_set_num_threads ((int) threads);

  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) ds = rl_dataset_load (kind, path, &error);
  if (ds == NULL)
    {
      fprintf (stderr, "relabel: %s: %s\n", path, error->message);
      return 1;
    }
  g_autoptr (GPtrArray) train = rl_dataset_split (ds, "train");
  const RlClassSpec *spec = ds->spec;
  int n_classes = spec->n_classes, ignore = spec->ignore_index;

  /* Load the training split once, scaled; samples of another size than the first are skipped. */
  GArray *samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  RlInputStats stats;
  rl_input_stats_init (&stats);
  for (guint i = 0; i < train->len; i++)
    {
      RlSample *s = train->pdata[i];
      int w, h, lw, lh;
      g_autofree guint8 *rgb = NULL;
      g_autofree guint8 *lab = NULL;
      if (s->label_path == NULL)
        continue;
      g_clear_error (&error);
      if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error)
          || !rl_label_read (s->label_path, &lw, &lh, &lab, &error))
        {
          fprintf (stderr, "relabel: warning: skipping %s\n", error->message);
          continue;
        }
      if (lw != w || lh != h || w < scale || h < scale)
        {
          fprintf (stderr, "relabel: warning: skipping %s: label size differs or too small\n",
                   s->label_path);
          continue;
        }
      Sample sm;
      shrink (rgb, lab, w, h, (int) scale, &sm);
      if (samples->len > 0 && (sm.w != g_array_index (samples, Sample, 0).w
                               || sm.h != g_array_index (samples, Sample, 0).h))
        {
          fprintf (stderr, "relabel: warning: skipping %s: %dx%d differs from the first image\n",
                   s->image_path, w, h);
          g_free (sm.rgb);
          g_free (sm.labels);
          continue;
        }
      /* Values that are not classes (SUN RGB-D's high values) carry no loss. */
      for (gsize k = 0; k < (gsize) sm.w * sm.h; k++)
        if (sm.labels[k] >= n_classes)
          sm.labels[k] = (guint8) ignore;
      rl_input_stats_add (&stats, sm.rgb, sm.h, sm.w);
      g_array_append_val (samples, sm);
    }
  int status = 1;
  RlTrainer *t = NULL;
  RlError err = { { 0 } };
  float *x = NULL, *weights = NULL;
  guint8 *labels = NULL;
  if (samples->len == 0)
    {
      fprintf (stderr, "relabel: %s: no usable training samples\n", path);
      goto done;
    }
  int w = g_array_index (samples, Sample, 0).w, h = g_array_index (samples, Sample, 0).h;
  gsize hw = (gsize) w * h;
  float mean[3], std[3];
  if (rl_input_stats_finish (&stats, mean, std, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s: %s\n", path, err.text);
      goto done;
    }

  /* Median-frequency balancing: freq(c) = pixels of c / pixels of images containing c. */
  double *count = g_new0 (double, n_classes), *present = g_new0 (double, n_classes);
  for (guint i = 0; i < samples->len; i++)
    {
      Sample *s = &g_array_index (samples, Sample, i);
      double *c = g_new0 (double, n_classes);
      for (gsize k = 0; k < hw; k++)
        if (s->labels[k] < n_classes && s->labels[k] != ignore)
          c[s->labels[k]]++;
      for (int k = 0; k < n_classes; k++)
        if (c[k] > 0)
          {
            count[k] += c[k];
            present[k] += (double) hw;
          }
      g_free (c);
    }
  double *freq = g_new0 (double, n_classes);
  int n_freq = 0;
  for (int k = 0; k < n_classes; k++)
    if (count[k] > 0)
      freq[n_freq++] = count[k] / present[k];
  double *sorted = g_memdup2 (freq, sizeof (double) * (gsize) MAX (n_freq, 1));
  for (int a = 1; a < n_freq; a++)
    for (int b = a; b > 0 && sorted[b - 1] > sorted[b]; b--)
      {
        double tmp = sorted[b];
        sorted[b] = sorted[b - 1];
        sorted[b - 1] = tmp;
      }
  double median = n_freq == 0 ? 1.0 : (n_freq % 2 ? sorted[n_freq / 2]
                                       : 0.5 * (sorted[n_freq / 2 - 1] + sorted[n_freq / 2]));
  weights = g_new (float, n_classes);
  for (int k = 0; k < n_classes; k++)
    weights[k] = count[k] > 0 ? (float) (median / (count[k] / present[k])) : 0.0f;
  g_free (count);
  g_free (present);
  g_free (freq);
  g_free (sorted);

  if (rl_trainer_new (arch, n_classes, (uint64_t) seed, RL_ENGINE_PATH_DEFAULT, &t, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s: %s\n", out, err.text);
      goto done;
    }
  const char **names = g_new (const char *, n_classes);
  for (int k = 0; k < n_classes; k++)
    names[k] = spec->classes[k].name;
  rl_trainer_set_classes (t, names, ignore, &err);
  g_free (names);
  rl_trainer_set_input_stats (t, mean, std);
  fprintf (stderr, "relabel: train: %s, %u samples of %dx%d, %d classes, batch %ld, %ld iterations\n",
           arch, samples->len, w, h, n_classes, batch, iters);

  x = g_new (float, (gsize) batch * 3 * hw);
  labels = g_new (guint8, (gsize) batch * hw);
  RlRng rng;
  rl_rng_seed (&rng, (uint64_t) seed ^ 0x5eedULL);
  guint *order = g_new (guint, samples->len);
  guint pos = samples->len;
  gint64 start = g_get_monotonic_time ();
  for (long it = 0; it < iters; it++)
    {
      for (long b = 0; b < batch; b++)
        {
          if (pos == samples->len)
            {
              /* A fresh shuffle per epoch (Fisher-Yates). */
              for (guint k = 0; k < samples->len; k++)
                order[k] = k;
              for (guint k = samples->len - 1; k > 0; k--)
                {
                  guint j = (guint) (rl_rng_next (&rng) % (k + 1));
                  guint tmp = order[k];
                  order[k] = order[j];
                  order[j] = tmp;
                }
              pos = 0;
            }
          Sample *s = &g_array_index (samples, Sample, order[pos++]);
          rl_normalize_rgb8 (s->rgb, h, w, mean, std, x + b * 3 * hw);
          memcpy (labels + b * hw, s->labels, hw);
        }
      double loss;
      if (rl_trainer_forward (t, x, (int) batch, h, w, 1, &err) != RL_OK
          || rl_trainer_backward (t, labels, weights, &loss, &err) != RL_OK)
        {
          fprintf (stderr, "relabel: %s: %s\n", path, err.text);
          g_free (order);
          goto done;
        }
      rl_trainer_sgd_step (t, (float) lr, (float) momentum, (float) wd);
      if (!isfinite (loss))
        {
          fprintf (stderr, "relabel: %s: training diverged (loss %g at iteration %ld); "
                   "try a smaller --lr\n", path, loss, it + 1);
          g_free (order);
          goto done;
        }
      fprintf (stderr, "iter %ld/%ld loss %.4f (%.1f s)\n", it + 1, iters, loss,
               (double) (g_get_monotonic_time () - start) / 1e6);
    }
  g_free (order);
  if (rl_trainer_save (t, out, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s\n", err.text);
      goto done;
    }
  status = 0;
done:
  for (guint i = 0; i < samples->len; i++)
    {
      g_free (g_array_index (samples, Sample, i).rgb);
      g_free (g_array_index (samples, Sample, i).labels);
    }
  g_array_unref (samples);
  rl_trainer_free (t);
  g_free (x);
  g_free (labels);
  g_free (weights);
  return status;
}
