/* The new-model job (rl-new-model-job.h) on a project of 2 real indoor images with no model:
 * progress arrives in the caller's thread, the training runs on a thread 10 nice steps below
 * the caller (on Linux: the interface keeps the CPU), the result is version 1 with no parent
 * and made current; a second run cancelled at its first step fails with G_IO_ERROR_CANCELLED
 * and adds nothing. Small: 1/4 scale, 96x128 crops, a few steps. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "new-model-util.h"
#include "rl-new-model-job.h"
#include "rl-project.h"

typedef struct
{
  GMainLoop *loop;
  GThread *main_thread;
  GCancellable *cancel_on_first;
  int progress_calls;
  int worker_nice;   /* the highest nice among the other threads while progress came */
  gboolean wrong_thread;
  gboolean ok;
  RlNewModelResult res;
  GError *error;
} Run;

/* The highest nice value among this process's threads other than the caller's, read from
 * /proc/self/task/TID/stat (the 19th field; the 2nd, the name in parentheses, may hold spaces);
 * -100 where there is no such thread or no /proc. */
static int
others_max_nice (void)
{
  int best = -100;
#ifdef __linux__
  long self = (long) syscall (SYS_gettid);
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (atol (name) == self)
        continue;
      g_autofree char *path = g_strdup_printf ("/proc/self/task/%s/stat", name);
      g_autofree char *text = NULL;
      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;   /* the thread ended meanwhile */
      const char *rest = strrchr (text, ')');
      g_auto (GStrv) fields = rest != NULL ? g_strsplit (rest + 2, " ", 0) : NULL;
      if (fields != NULL && g_strv_length (fields) > 16)   /* field 3 is fields[0] */
        best = MAX (best, atoi (fields[16]));
    }
  if (dir != NULL)
    g_dir_close (dir);
#endif
  return best;
}

static void
on_progress (const RlTrainProgress *p, gpointer data)
{
  Run *r = data;
  r->progress_calls++;
  r->worker_nice = MAX (r->worker_nice, others_max_nice ());
  r->wrong_thread |= g_thread_self () != r->main_thread;
  if (r->cancel_on_first != NULL)
    g_cancellable_cancel (r->cancel_on_first);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Run *r = data;
  r->ok = rl_new_model_finish (result, &r->res, &r->error);
  g_main_loop_quit (r->loop);
}

static guint
n_models (const char *path)
{
  g_autoptr (GPtrArray) models = nm_test_models (path);
  return models->len;
}

static void
test_job (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("relabel-nm-job-XXXXXX", &error);
  g_assert_no_error (error);
  guint added = 0;
  g_autofree char *path = nm_test_indoor_project (tmp, &added);
  g_assert_cmpuint (added, ==, 2);
  g_assert_cmpuint (n_models (path), ==, 0);

  RlNewModelOptions opt;
  rl_new_model_options_init (&opt);
  opt.train.iters = 4;
  opt.train.scale = 0.25;
  opt.train.crop_h = 96;
  opt.train.crop_w = 128;
  opt.train.threads = 1;
  opt.train.quiet = TRUE;

  Run r = { 0 };
  r.worker_nice = -100;
  r.loop = g_main_loop_new (NULL, FALSE);
  r.main_thread = g_thread_self ();
  rl_new_model_async (NULL, path, &opt, on_progress, &r, NULL, on_done, &r);
  g_main_loop_run (r.loop);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpint (r.progress_calls, ==, 4);
  g_assert_false (r.wrong_thread);
#ifdef __linux__
  errno = 0;
  int caller_nice = getpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid));
  g_assert_true (caller_nice != -1 || errno == 0);
  g_assert_cmpint (r.worker_nice, ==, MIN (caller_nice + 10, 19));
#endif
  g_assert_cmpint (r.res.model_id, ==, 1);
  g_assert_true (r.res.made_current);
  g_assert_cmpint (r.res.train_images, ==, 2);
  g_assert_cmpuint (n_models (path), ==, 1);
  g_main_loop_unref (r.loop);

  /* Cancelled at its first step: nothing added. */
  Run c = { 0 };
  c.worker_nice = -100;
  c.loop = g_main_loop_new (NULL, FALSE);
  c.main_thread = g_thread_self ();
  c.cancel_on_first = g_cancellable_new ();
  opt.train.iters = 500;
  rl_new_model_async (NULL, path, &opt, on_progress, &c, c.cancel_on_first, on_done, &c);
  g_main_loop_run (c.loop);
  g_assert_false (c.ok);
  g_assert_error (c.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (c.progress_calls, <, 500);
#ifdef __linux__
  /* a second job (on a reused pool thread or a new one) is not lowered further */
  g_assert_cmpint (c.worker_nice, ==, MIN (caller_nice + 10, 19));
#endif
  g_clear_error (&c.error);
  g_assert_cmpuint (n_models (path), ==, 1);
  g_object_unref (c.cancel_on_first);
  g_main_loop_unref (c.loop);

  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/new-model/job", test_job);
  return g_test_run ();
}
