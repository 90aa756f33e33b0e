/* Benchmark of the project store: open a 468-image CamVid project and list it (target < 100 ms),
 * commit one brush stroke (target < 5 ms median). Prints figures; not a test. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rl-mask-ops.h"
#include "rl-project.h"

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double
cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double
ms_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1000.0;
}

int
main (int argc, char **argv)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID");
  if (argc > 2 || (argc == 1 && camvid == NULL))
    {
      fprintf (stderr, "usage: RELABEL_CAMVID=DIR bench-project [PROJECT]\n"
                       "  (without PROJECT, CamVid train+val is imported into a temporary one)\n");
      return 2;
    }
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *path = NULL;
  if (argc == 2)
    path = g_strdup (argv[1]);
  else
    {
      tmp = g_dir_make_tmp ("rl-bench-XXXXXX", &error);
      path = g_build_filename (tmp, "bench.relabel", NULL);
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (RlProject) p = rl_project_open (path, TRUE, &error);
      guint added = 0;
      if (p == NULL
          || !rl_project_import (p, "camvid", camvid, NULL, NULL, NULL, &added, NULL, &error))
        {
          fprintf (stderr, "bench-project: %s\n", error->message);
          return 1;
        }
      printf ("import of %u CamVid images: %.0f ms\n", added, ms_since (t0));
    }
  {
    GStatBuf st;
    if (g_stat (path, &st) == 0)
      printf ("project file: %.1f MB\n", st.st_size / 1e6);
  }

  /* Open + list, repeated (the first includes a cold statement cache and page cache). */
  enum { N_OPEN = 21 };
  double open_ms[N_OPEN];
  guint n_images = 0;
  for (int r = 0; r < N_OPEN; r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
      g_autoptr (GPtrArray) list = p ? rl_project_list_images (p, &error) : NULL;
      if (list == NULL)
        {
          fprintf (stderr, "bench-project: %s\n", error->message);
          return 1;
        }
      open_ms[r] = ms_since (t0);
      n_images = list->len;
    }
  double first_open = open_ms[0];
  printf ("open + list %u images: first %.2f ms, median %.2f ms of %d (target < 100 ms)\n",
          n_images, first_open, median (open_ms, N_OPEN), N_OPEN);

  /* One brush stroke as the GUI commits it: paint 20 points into a copy, commit the mask. */
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_autoptr (GPtrArray) list = rl_project_list_images (p, &error);
  RlImageInfo *info = list->pdata[0];
  enum { N_STROKES = 60 };
  double commit_ms[N_STROKES], commit_cpu[N_STROKES], paint_ms[N_STROKES], other_ms[N_STROKES];
  GRand *rand = g_rand_new_with_seed (7);
  for (int r = 0; r < N_STROKES; r++)
    {
      int w, h;
      g_autofree guint8 *mask = NULL;
      if (!rl_project_get_mask (p, info->id, RL_MASK_CURRENT, &w, &h, &mask, &error))
        {
          fprintf (stderr, "bench-project: %s\n", error->message);
          return 1;
        }
      double xy[40];
      double x = g_rand_double_range (rand, 0, w), y = g_rand_double_range (rand, 0, h);
      for (int k = 0; k < 20; k++)
        {
          xy[2 * k] = x + 4 * k;
          xy[2 * k + 1] = y + 2 * k;
        }
      RlPaint paint = { (guint8) (r % 11), -1, 11 };
      rl_mask_paint_stroke (mask, w, h, &paint, 8.0, xy, 20);
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_ms ();
      guint changed = 0;
      if (!rl_project_commit_mask (p, info->id, "brush", mask, &changed, &error))
        {
          fprintf (stderr, "bench-project: %s\n", error->message);
          return 1;
        }
      commit_ms[r] = ms_since (t0);
      commit_cpu[r] = cpu_ms () - c0;

      /* The CLI's path, rl_project_paint (reads the mask, paints, commits). */
      t0 = g_get_monotonic_time ();
      if (!rl_project_paint (p, info->id, (r + 5) % 11, 8.0, xy, 20, FALSE, &changed, &error))
        {
          fprintf (stderr, "bench-project: %s\n", error->message);
          return 1;
        }
      paint_ms[r] = ms_since (t0);

      /* A stroke on another image each time (its mask is decoded from the PNG blob first). */
      RlImageInfo *other = list->pdata[1 + r % (list->len - 1)];
      t0 = g_get_monotonic_time ();
      if (!rl_project_paint (p, other->id, r % 11, 8.0, xy, 20, FALSE, &changed, &error))
        {
          fprintf (stderr, "bench-project: %s\n", error->message);
          return 1;
        }
      other_ms[r] = ms_since (t0);
    }
  g_rand_free (rand);
  printf ("commit one brush stroke (commit_mask, same image): median %.2f ms of %d "
          "(target < 5 ms); CPU time %.2f ms (the rest is the fsync and waiting)\n",
          median (commit_ms, N_STROKES), N_STROKES, median (commit_cpu, N_STROKES));
  printf ("rl_project_paint, same image: median %.2f ms; switching images each stroke: "
          "median %.2f ms\n", median (paint_ms, N_STROKES), median (other_ms, N_STROKES));
  g_clear_pointer (&p, rl_project_close);
  if (tmp != NULL)
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
      if (system (cmd) != 0)
        return 1;
    }
  return 0;
}
