/* Benchmark of engine/rl-metrics: all metrics including BF on 233 CamVid-sized label pairs
 * (val labels cycled, predictions perturbed), on 1 and on T threads. Prints the times. */
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rl-image-io.h"
#include "rl-metrics.h"

#define N_IMAGES 233

typedef struct
{
  guint8 **truth, **pred;
  int height, width;
  int lo, hi;
  RlMetrics *metrics;
  RlStatus status;
  RlError err;
} Chunk;

static void *
run_chunk (void *data)
{
  Chunk *c = data;
  c->status = RL_OK;
  for (int i = c->lo; i < c->hi && c->status == RL_OK; i++)
    c->status = rl_metrics_add_image (c->metrics, c->truth[i], c->pred[i], c->height, c->width,
                                      &c->err);
  return NULL;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static double
cpu_seconds (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Evaluates all images on n_threads threads; returns wall seconds (and CPU seconds of the
 * process, which a loaded machine does not inflate) and the merged metrics. */
static double
evaluate (guint8 **truth, guint8 **pred, int H, int W, int n_threads, RlMetrics **out,
          double *cpu)
{
  double c0 = cpu_seconds ();
  Chunk chunks[64];
  pthread_t tid[64];
  gint64 t0 = g_get_monotonic_time ();
  for (int t = 0; t < n_threads; t++)
    {
      chunks[t] = (Chunk) { truth, pred, H, W, N_IMAGES * t / n_threads,
                            N_IMAGES * (t + 1) / n_threads, rl_metrics_new (11, 11), RL_OK,
                            { { 0 } } };
      if (t > 0 && pthread_create (&tid[t], NULL, run_chunk, &chunks[t]) != 0)
        g_error ("cannot start a thread");
    }
  run_chunk (&chunks[0]);
  for (int t = 1; t < n_threads; t++)
    pthread_join (tid[t], NULL);
  RlError err;
  for (int t = 0; t < n_threads; t++)
    {
      if (chunks[t].status != RL_OK)
        g_error ("metrics: %s", chunks[t].err.text);
      if (t > 0 && rl_metrics_merge (chunks[0].metrics, chunks[t].metrics, &err) != RL_OK)
        g_error ("merge: %s", err.text);
      if (t > 0)
        rl_metrics_free (chunks[t].metrics);
    }
  double s = (g_get_monotonic_time () - t0) / 1e6;
  *cpu = cpu_seconds () - c0;
  *out = chunks[0].metrics;
  return s;
}

int
main (int argc, char **argv)
{
  const char *camvid = argc > 1 ? argv[1] : g_getenv ("RELABEL_CAMVID");
  int n_threads = argc > 2 ? atoi (argv[2]) : 2;
  if (camvid == NULL || n_threads < 1 || n_threads > 64)
    {
      fprintf (stderr, "usage: bench-metrics [CAMVID_DIR [THREADS]] (or RELABEL_CAMVID)\n");
      return 2;
    }
  g_autofree char *annot = g_build_filename (camvid, "valannot", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (annot, 0, &error);
  if (dir == NULL)
    {
      fprintf (stderr, "bench-metrics: %s\n", error->message);
      return 1;
    }
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".png"))
      g_ptr_array_add (files, g_build_filename (annot, name, NULL));
  if (files->len == 0)
    {
      fprintf (stderr, "bench-metrics: %s: no label PNGs\n", annot);
      return 1;
    }
  g_ptr_array_sort (files, compare_paths);

  /* 233 pairs: val labels cycled; the prediction is the label shifted by a few pixels with
   * blocks of wrong classes, like a plausible network output. */
  guint8 *truth[N_IMAGES], *pred[N_IMAGES];
  int H = 0, W = 0;
  GRand *rng = g_rand_new_with_seed (233);
  for (int i = 0; i < N_IMAGES; i++)
    {
      int w, h;
      if (!rl_label_read (files->pdata[i % files->len], &w, &h, &truth[i], &error))
        {
          fprintf (stderr, "bench-metrics: %s\n", error->message);
          return 1;
        }
      if (i > 0 && (w != W || h != H))
        {
          fprintf (stderr, "bench-metrics: %s: size differs\n",
                   (char *) files->pdata[i % files->len]);
          return 1;
        }
      W = w;
      H = h;
      pred[i] = g_malloc ((gsize) H * W);
      int dy = g_rand_int_range (rng, -4, 5), dx = g_rand_int_range (rng, -4, 5);
      for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++)
          pred[i][r * W + c] = truth[i][CLAMP (r - dy, 0, H - 1) * W + CLAMP (c - dx, 0, W - 1)];
      for (int b = 0; b < 40; b++)
        {
          int r0 = g_rand_int_range (rng, 0, H - 16), c0 = g_rand_int_range (rng, 0, W - 16);
          guint8 v = g_rand_int_range (rng, 0, 11);
          for (int r = r0; r < r0 + 16; r++)
            memset (pred[i] + r * W + c0, v, 16);
        }
    }
  g_rand_free (rng);

  RlMetrics *m1, *mt;
  double c1, ct;
  double s1 = evaluate (truth, pred, H, W, 1, &m1, &c1);
  double st = evaluate (truth, pred, H, W, n_threads, &mt, &ct);
  if (rl_metrics_bf (m1) != rl_metrics_bf (mt)
      || memcmp (rl_metrics_confusion (m1), rl_metrics_confusion (mt), 121 * sizeof (int64_t)))
    g_error ("results differ between 1 and %d threads", n_threads);

  guint8 *errors = g_malloc ((gsize) H * W);
  RlError err;
  gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < 10; i++)
    if (rl_metrics_boundary_errors (11, 11, truth[i], pred[i], H, W, errors, &err) != RL_OK)
      g_error ("boundary errors: %s", err.text);
  double se = (g_get_monotonic_time () - t0) / 1e6 / 10;

  printf ("metrics of %d images of %dx%d (G, C, mIoU, BF, per class, confusion):\n", N_IMAGES,
          W, H);
  printf ("  1 thread:   %.3f s wall, %.3f s CPU (%.2f ms CPU per image)\n", s1, c1,
          1e3 * c1 / N_IMAGES);
  printf ("  %d threads:  %.3f s wall, %.3f s CPU\n", n_threads, st, ct);
  printf ("  boundary-error map of one image: %.2f ms\n", 1e3 * se);
  printf ("  G %.4f  C %.4f  mIoU %.4f  BF %.4f\n", rl_metrics_global_accuracy (mt),
          rl_metrics_class_accuracy (mt), rl_metrics_miou (mt), rl_metrics_bf (mt));
  rl_metrics_free (m1);
  rl_metrics_free (mt);
  g_free (errors);
  for (int i = 0; i < N_IMAGES; i++)
    {
      g_free (truth[i]);
      g_free (pred[i]);
    }
  return 0;
}
