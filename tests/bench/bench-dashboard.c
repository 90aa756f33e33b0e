/* Benchmark (a program that prints figures, not a test): the metrics dashboard on a project.
 * 1. --compute: scores the current version on every split from scratch as the dashboard's
 *    Compute does (a session job: predictions the version has not made yet, then the metrics),
 *    and prints the total and per-image time.
 * 2. Shows the stored run of every split ("all", current labels) in a 1280x800 window: the time
 *    from opening the project to the dashboard drawn, then the time of a reload (read the
 *    versions and runs through the session, parse them on its writer, fill cards, charts and
 *    table, draw), median of --repeat runs, and the main thread's share.
 * Under Xvfb from a build folder, on a project of CamVid's 468 train + val images:
 *   build/app/relabel import --project p468.relabel --dataset camvid CAMVID   (train + val lists)
 *   build/app/relabel models --project p468.relabel --add resources/models/segnet-basic-camvid.safetensors
 *   xvfb-run -a -s "-screen 0 1280x800x24" build/tests/gui/bench-dashboard p468.relabel \
 *     [--compute] [--repeat 5] */
#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relabel-dashboard.h"

/* the GResource (compile_resources, c_name relabel): referencing it links its registration */
GResource *relabel_get_resource (void);

typedef struct
{
  gboolean shown, painted, finished, ok;
  guint n_shown;
  gint64 last_paint;        /* frame gaps while reloading */
  double max_gap_ms;
  gint64 t_shown, t_painted;
  guint n_images;
  double main_ms;
} Bench;

static void
on_shown (RelabelDashboard *d, Bench *b)
{
  const RlDashRun *run = relabel_dashboard_get_run (d);
  b->n_shown++;
  if (run == NULL)
    return;
  b->shown = TRUE;
  b->t_shown = g_get_monotonic_time ();
  b->n_images = run->n_images;
}

static Bench *gaps;   /* the frame gaps are kept across the resets of b */

static void
on_after_paint (GdkFrameClock *clock, Bench *b)
{
  gint64 now = g_get_monotonic_time ();
  if (gaps->last_paint != 0)
    gaps->max_gap_ms = MAX (gaps->max_gap_ms, (now - gaps->last_paint) / 1000.0);
  gaps->last_paint = now;
  if (b->shown && !b->painted)
    {
      b->painted = TRUE;
      b->t_painted = g_get_monotonic_time ();
    }
}

static void
on_finished (RlSession *s, const char *kind, gboolean ok, GError *error, gpointer result,
             Bench *b)
{
  b->finished = TRUE;
  b->ok = ok;
  if (!ok)
    fprintf (stderr, "bench-dashboard: %s\n", error->message);
  else
    b->n_images = ((RlEvalResult *) result)->n_images;
}

static void
spin (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

static int
compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-dashboard PROJECT [--compute] [--repeat N]\n");
      return 2;
    }
  const char *path = argv[1];
  const char *split = NULL;
  gboolean compute = FALSE;
  int repeat = 5;
  for (int i = 2; i < argc; i++)
    if (g_str_equal (argv[i], "--compute"))
      compute = TRUE;
    else if (g_str_equal (argv[i], "--repeat") && i + 1 < argc)
      repeat = atoi (argv[++i]);
    else if (g_str_equal (argv[i], "--split") && i + 1 < argc)
      split = argv[++i];
  setvbuf (stdout, NULL, _IOLBF, 0);
  g_assert_nonnull (relabel_get_resource ());
  gtk_init ();

  g_autoptr (RlSession) session = rl_session_new ();
  Bench b = { 0 }, none = { 0 };
  gaps = &none;
  g_signal_connect (session, "job-finished", G_CALLBACK (on_finished), &b);
  if (compute)
    {
      rl_session_open (session, path);
      rl_session_flush (session);
      gint64 t0 = g_get_monotonic_time ();
      if (!rl_session_evaluate (session, 0, split, RL_MASK_CURRENT))
        return 1;
      spin (&b.finished);
      if (!b.ok)
        return 1;
      double s = (g_get_monotonic_time () - t0) / 1e6;
      printf ("compute from scratch (split %s, current labels, %d engine threads): %u images"
              " in %.1f s, %.3f s per image\n", split ? split : "all",
              rl_session_job_threads (session), b.n_images, s, s / b.n_images);
    }

  GtkWidget *window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  RelabelDashboard *dash = relabel_dashboard_new ();
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (dash));
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (dash, "shown", G_CALLBACK (on_shown), &b);
  while (gtk_widget_get_frame_clock (window) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_after_paint), &b);

  g_autoptr (RlSession) s2 = rl_session_new ();
  relabel_dashboard_set_session (dash, s2);
  memset (&b, 0, sizeof b);
  gint64 t0 = g_get_monotonic_time ();
  rl_session_open (s2, path);
  /* the split dropdown defaults to val: choose every split once the project is open */
  while (b.n_shown == 0)
    g_main_context_iteration (NULL, TRUE);
  b.shown = b.painted = FALSE;
  relabel_dashboard_select (dash, rl_session_get_current_model (s2), split, RL_MASK_CURRENT);
  if (relabel_dashboard_get_run (dash) == NULL)
    {
      fprintf (stderr, "bench-dashboard: %s: no stored run of split %s (run with --compute)\n",
               path, split ? split : "all");
      return 1;
    }
  gtk_widget_queue_draw (GTK_WIDGET (dash));
  spin (&b.painted);
  printf ("open the project to the stored run of split %s drawn: %u images, %.1f ms\n",
          split ? split : "all", b.n_images, (b.t_painted - t0) / 1000.0);

  Bench g = { 0 };
  gaps = &g;
  double *ms = g_new (double, repeat);
  for (int i = 0; i < repeat; i++)
    {
      memset (&b, 0, sizeof b);
      gint64 t = g_get_monotonic_time ();
      relabel_dashboard_reload (dash);
      spin (&b.painted);
      ms[i] = (b.t_painted - t) / 1000.0;
      /* the table fills over the next frames: keep drawing for a second */
      gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;
      while (g_get_monotonic_time () < until)
        {
          gtk_widget_queue_draw (GTK_WIDGET (dash));
          g_main_context_iteration (NULL, FALSE);
          g_usleep (2000);
        }
    }
  qsort (ms, repeat, sizeof *ms, compare);
  printf ("reload (read + parse on the session's writer, fill, draw): median %.1f ms, min %.1f,"
          " max %.1f over %d\n", ms[repeat / 2], ms[0], ms[repeat - 1], repeat);
  printf ("largest frame gap during the reloads and the table filling after them: %.1f ms\n",
          g.max_gap_ms);
  g_free (ms);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
