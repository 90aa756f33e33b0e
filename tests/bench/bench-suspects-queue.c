/* Suspects over a pre-labelled project (issue 19's benchmark): the time and memory of
 * recomputing the whole queue (rl_suspects_update), and the first page's latency: from
 * rl_session_open to the session's "suspects-changed" with the stored queue, the path the
 * window's panel takes when a project opens. Prints figures; not a test.
 *
 *   bench-suspects-queue PROJECT [--runs N]
 *
 * PROJECT must hold predictions with confidences (`relabel suspects --project P --model M`
 * makes them); tests/bench/bench-suspects-468.sh builds the 468-image CamVid project and runs
 * this. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "rl-project-suspects.h"
#include "rl-session.h"

/* kB from /proc/self/status ("VmRSS:" or "VmHWM:"), -1 when unknown. */
static long
proc_kb (const char *key)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents ("/proc/self/status", &text, NULL, NULL))
    return -1;
  const char *p = strstr (text, key);
  return p != NULL ? strtol (p + strlen (key), NULL, 10) : -1;
}

static double
cpu_s (void)
{
  struct rusage u;
  getrusage (RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

typedef struct
{
  gint64 t0, t_opened, t_listed;
  guint n;
} Page;

static void
on_opened (RlSession *session, Page *page)
{
  page->t_opened = g_get_monotonic_time ();
  rl_session_list_suspects (session, NULL);
}

static void
on_suspects (RlSession *session, Page *page)
{
  page->t_listed = g_get_monotonic_time ();
  GPtrArray *all = rl_session_get_suspects (session);
  page->n = all ? all->len : 0;
}

int
main (int argc, char **argv)
{
  int runs = 5;
  GOptionEntry entries[] = {
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "First-page measurements (default 5)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("PROJECT - suspects benchmark");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 2 || runs < 1)
    {
      fprintf (stderr, "usage: bench-suspects-queue PROJECT [--runs N]%s%s\n",
               error ? ": " : "", error ? error->message : "");
      return 2;
    }
  const char *path = argv[1];
  g_autoptr (RlProject) project = rl_project_open (path, FALSE, &error);
  if (project == NULL)
    {
      fprintf (stderr, "bench-suspects-queue: %s\n", error->message);
      return 1;
    }
  g_autoptr (GPtrArray) images = rl_project_list_images (project, &error);
  gint64 model = rl_project_current_model (project);
  g_autoptr (GArray) missing = images && model ? rl_suspects_missing (project, model, &error)
                                               : NULL;
  if (missing == NULL)
    {
      fprintf (stderr, "bench-suspects-queue: %s: %s\n", path,
               error ? error->message : "no model");
      return 1;
    }
  guint n_conf = images->len - missing->len;
  printf ("%s: %u images, %u with confidences of the current model (version %" G_GINT64_FORMAT
          ")\n", path, images->len, n_conf, model);
  if (n_conf == 0)
    {
      fprintf (stderr, "bench-suspects-queue: %s: no predictions with confidences (run relabel"
                       " suspects first)\n", path);
      return 1;
    }

  /* the whole queue */
  /* VmHWM is the peak since the process started: reset it (Linux 4.0+) to see this step's */
  g_file_set_contents ("/proc/self/clear_refs", "5", 1, NULL);
  long rss0 = proc_kb ("VmRSS:");
  gint64 t0 = g_get_monotonic_time ();
  double c0 = cpu_s ();
  guint n_regions = 0;
  if (!rl_suspects_update (project, model, NULL, NULL, NULL, &n_regions, &error))
    {
      fprintf (stderr, "bench-suspects-queue: %s\n", error->message);
      return 1;
    }
  double wall = (g_get_monotonic_time () - t0) / 1e6, cpu = cpu_s () - c0;
  long hwm = proc_kb ("VmHWM:");
  printf ("rl_suspects_update: %u regions from %u images in %.2f s wall (%.1f ms per image),"
          " %.2f s CPU; peak RSS %.1f MiB (%.1f MiB above the %.1f MiB before)\n", n_regions,
          n_conf, wall, 1000 * wall / n_conf, cpu, hwm / 1024.0, (hwm - rss0) / 1024.0,
          rss0 / 1024.0);

  t0 = g_get_monotonic_time ();
  g_autoptr (GPtrArray) all = rl_suspects_list (project, NULL, &error);
  g_autoptr (GPtrArray) pairs = all ? rl_suspects_pairs (project, &error) : NULL;
  if (pairs == NULL)
    {
      fprintf (stderr, "bench-suspects-queue: %s\n", error->message);
      return 1;
    }
  printf ("rl_suspects_list + rl_suspects_pairs: %u regions, %u class pairs in %.1f ms\n",
          all->len, pairs->len, (g_get_monotonic_time () - t0) / 1000.0);
  g_clear_pointer (&project, rl_project_close);

  /* the first page, as the window gets it */
  for (int r = 0; r < runs; r++)
    {
      Page page = { 0 };
      g_autoptr (RlSession) session = rl_session_new ();
      g_signal_connect (session, "project-opened", G_CALLBACK (on_opened), &page);
      g_signal_connect (session, "suspects-changed", G_CALLBACK (on_suspects), &page);
      page.t0 = g_get_monotonic_time ();
      rl_session_open (session, path);
      while (page.t_listed == 0 && g_get_monotonic_time () - page.t0 < 30 * G_USEC_PER_SEC)
        g_main_context_iteration (NULL, TRUE);
      if (page.t_listed == 0)
        {
          fprintf (stderr, "bench-suspects-queue: %s: no queue after 30 s\n", path);
          return 1;
        }
      printf ("first page %d: project opened after %.1f ms, queue of %u regions listed after"
              " %.1f ms\n", r + 1, (page.t_opened - page.t0) / 1000.0, page.n,
              (page.t_listed - page.t0) / 1000.0);
      rl_session_shutdown (session);
      rl_session_flush (session);
    }
  return 0;
}
