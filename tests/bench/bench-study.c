/* Inference time of a `relabel study` folder's models, measured interleaved: each round predicts
 * the same 360x480 image (the study's first scored image, resampled) once with every model, so
 * that every model sees the same share of a busy machine; prints the median and the minimum per
 * model over the rounds, and the load average before and after. Prints figures; never a test.
 *
 *   build/tests/bench-study STUDY_DIR [--rounds N] [--threads T] [--engine PATH]
 *                                 [--size HxW]
 *
 * --engine: auto (default), reference, fp32 or bf16, as relabel's. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-layers.h"
#include "rl-model.h"
#include "rl-study-view.h"

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static char *
loadavg (void)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return g_strdup ("?");
  g_auto (GStrv) f = g_strsplit (text, " ", 4);
  return g_strdup_printf ("%s %s %s", f[0], f[1], f[2]);
}

int
main (int argc, char **argv)
{
  const char *dir = NULL, *engine = "auto";
  int rounds = 7, threads = 2, h = 360, w = 480;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--rounds") == 0 && i + 1 < argc)
        rounds = atoi (argv[++i]);
      else if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        threads = atoi (argv[++i]);
      else if (strcmp (argv[i], "--engine") == 0 && i + 1 < argc)
        engine = argv[++i];
      else if (strcmp (argv[i], "--size") == 0 && i + 1 < argc)
        {
          if (sscanf (argv[++i], "%dx%d", &h, &w) != 2 || h < 8 || w < 8)
            {
              fprintf (stderr, "bench-study: --size wants HxW\n");
              return 2;
            }
        }
      else if (argv[i][0] != '-' && dir == NULL)
        dir = argv[i];
      else
        {
          fprintf (stderr, "usage: bench-study STUDY_DIR [--rounds N] [--threads T] "
                           "[--engine PATH] [--size HxW]\n");
          return 2;
        }
    }
  RlEnginePath path;
  if (dir == NULL || rounds < 1 || threads < 0 || !rl_engine_path_from_name (engine, &path))
    {
      fprintf (stderr, "usage: bench-study STUDY_DIR [--rounds N] [--threads T] "
                       "[--engine auto|reference|fp32|bf16] [--size HxW]\n");
      return 2;
    }
  g_autoptr (GError) error = NULL;
  RlStudyTable *t = rl_study_table_load (dir, &error);
  if (t == NULL)
    {
      fprintf (stderr, "bench-study: %s\n", error->message);
      return 1;
    }
  if (t->images->len == 0)
    {
      fprintf (stderr, "bench-study: %s: no finished run\n", dir);
      return 1;
    }
  const char *colon = strchr (t->dataset, ':');
  g_autofree char *kind = g_strndup (t->dataset, colon - t->dataset);
  RlDataset *ds = rl_dataset_load (kind, colon + 1, &error);
  RlSample *s = ds != NULL ? rl_dataset_find (ds, t->images->pdata[0]) : NULL;
  int iw, ih;
  g_autofree guint8 *src = NULL;
  if (s == NULL || !rl_image_read_rgb (s->image_path, &iw, &ih, &src, &error))
    {
      fprintf (stderr, "bench-study: %s\n", error ? error->message : "first scored image missing");
      return 1;
    }
  g_autofree guint8 *rgb = g_malloc ((gsize) h * w * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy (rgb + ((gsize) y * w + x) * 3, src + ((gsize) (y * ih / h) * iw + x * iw / w) * 3,
              3);
  g_autofree guint8 *labels = g_malloc ((gsize) h * w);

  GPtrArray *rows = g_ptr_array_new ();
  GPtrArray *models = g_ptr_array_new ();
  for (guint i = 0; i < t->rows->len; i++)
    {
      RlStudyRow *r = t->rows->pdata[i];
      if (r->model == NULL)
        continue;
      RlModel *m = NULL;
      RlError err = { { 0 } };
      if (rl_model_load (r->model, &m, &err) != RL_OK)
        {
          fprintf (stderr, "bench-study: %s\n", err.text);
          return 1;
        }
      rl_model_set_engine_path (m, path);
      g_ptr_array_add (rows, r);
      g_ptr_array_add (models, m);
    }
  guint n = models->len;
  double *ms = g_new0 (double, (gsize) n * rounds);
  g_autofree char *load0 = loadavg ();
  for (int round = -1; round < rounds; round++)   /* round -1: warm-up */
    for (guint i = 0; i < n; i++)
      {
        RlError err = { { 0 } };
        gint64 t0 = g_get_monotonic_time ();
        if (rl_model_predict_rgb8 (models->pdata[i], rgb, h, w, labels, threads, NULL, NULL,
                                   &err) != RL_OK)
          {
            fprintf (stderr, "bench-study: %s\n", err.text);
            return 1;
          }
        if (round >= 0)
          ms[(gsize) i * rounds + round] = (g_get_monotonic_time () - t0) / 1000.0;
      }
  g_autofree char *load1 = loadavg ();
  printf ("study %s: %d rounds (after one warm-up), each predicting one %dx%d image with every "
          "model in turn; engine %s, %d thread(s); load average %s before, %s after\n",
          dir, rounds, h, w, engine, threads, load0, load1);
  printf ("| variant | balancing | median ms | min ms |\n|---|---|---|---|\n");
  for (guint i = 0; i < n; i++)
    {
      double *v = ms + (gsize) i * rounds;
      qsort (v, rounds, sizeof *v, compare_double);
      double med = rounds % 2 ? v[rounds / 2] : 0.5 * (v[rounds / 2 - 1] + v[rounds / 2]);
      RlStudyRow *r = rows->pdata[i];
      printf ("| %s | %s | %.0f | %.0f |\n", r->arch, r->balancing, med, v[0]);
    }
  for (guint i = 0; i < n; i++)
    rl_model_free (models->pdata[i]);
  g_free (ms);
  rl_dataset_free (ds);
  rl_study_table_free (t);
  return 0;
}
