/* "Train New Model…" through the session (rl-session-new-model.h), headless, on a project of 2
 * real indoor images (SUN RGB-D 37-class labels) with no model: the job reports its steps as
 * "job-progress" ("New model: step i/N"), a second job is refused while it runs, and
 * "job-finished" ("new-model") comes with version 1, made current, after the session's current
 * model is already that version (so a pre-label started from the handler uses it); the version
 * started from the CamVid model's layers says so in its settings (the job kept its own copy of
 * the file name, freed by the caller at once). Then a run cancelled at its first step ends with
 * G_IO_ERROR_CANCELLED and adds nothing. Small: 1/4 scale, 96x128 crops, 3 steps. */
#include <gio/gio.h>
#include <stdlib.h>
#include <string.h>

#include "new-model-util.h"
#include "rl-project.h"
#include "rl-session-new-model.h"

typedef struct
{
  RlSession *session;
  GMainLoop *loop;
  int progress;
  gboolean text_ok;
  gboolean cancel_on_first;
  gboolean finished, ok, cancelled;
  gint64 model_id, current_at_finish;
  gboolean made_current;
} Run;

static void
on_progress (RlSession *s, double fraction, const char *text, Run *r)
{
  r->progress++;
  r->text_ok = r->text_ok && g_str_has_prefix (text, "New model: step ");
  if (r->cancel_on_first)
    rl_session_cancel_job (s);
}

static void
on_finished (RlSession *s, const char *kind, gboolean ok, GError *error, gpointer result,
             Run *r)
{
  if (!g_str_equal (kind, "new-model"))
    return;
  r->finished = TRUE;
  r->ok = ok;
  r->cancelled = !ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (ok)
    {
      const RlNewModelResult *res = result;
      r->model_id = res->model_id;
      r->made_current = res->made_current;
    }
  r->current_at_finish = rl_session_get_current_model (s);
  g_main_loop_quit (r->loop);
}

static void
on_opened (RlSession *s, GMainLoop *loop)
{
  g_main_loop_quit (loop);
}

static void
test_session_new_model (void)
{
  const char *src = g_getenv ("RELABEL_SOURCE_ROOT");
  g_assert_nonnull (src);
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("relabel-session-nm-XXXXXX", &error);
  g_assert_no_error (error);
  guint added = 0;
  g_autofree char *path = nm_test_indoor_project (tmp, &added);

  RlSession *s = rl_session_new ();
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);
  gulong h = g_signal_connect (s, "project-opened", G_CALLBACK (on_opened), loop);
  rl_session_open (s, path);
  g_main_loop_run (loop);
  g_signal_handler_disconnect (s, h);
  g_assert_cmpint (rl_session_get_current_model (s), ==, 0);

  RlNewModelOptions opt;
  rl_new_model_options_init (&opt);
  opt.train.iters = 3;
  opt.train.scale = 0.25;
  opt.train.crop_h = 96;
  opt.train.crop_w = 128;
  opt.train.threads = 1;
  char *camvid = g_build_filename (src, "resources", "models",
                                   "segnet-basic-camvid.safetensors", NULL);
  opt.train.init_encoder = camvid;

  Run r = { s, loop, 0, TRUE };
  gulong hp = g_signal_connect (s, "job-progress", G_CALLBACK (on_progress), &r);
  gulong hf = g_signal_connect (s, "job-finished", G_CALLBACK (on_finished), &r);
  g_assert_true (rl_session_new_model (s, &opt));
  g_free (camvid);   /* the job has its own copy */
  g_assert_false (rl_session_new_model (s, &opt));   /* one job at a time */
  g_main_loop_run (loop);
  g_assert_true (r.finished);
  g_assert_true (r.ok);
  g_assert_cmpint (r.progress, ==, 3);
  g_assert_true (r.text_ok);
  g_assert_cmpint (r.model_id, ==, 1);
  g_assert_true (r.made_current);
  g_assert_cmpint (r.current_at_finish, ==, 1);
  g_assert_false (rl_session_has_job (s));
  {
    g_autoptr (GPtrArray) m = nm_test_models (path);
    g_assert_cmpuint (m->len, ==, 1);
    RlModelInfo *info = m->pdata[0];
    g_assert_true (info->current);
    g_assert_cmpint (info->parent_id, ==, 0);
    g_assert_cmpuint (info->n_trained, ==, 2);
    g_assert_nonnull (strstr (info->config, "\"init_encoder\":\"segnet-basic-camvid.safetensors\""));
  }

  /* cancelled at its first step: nothing added */
  Run c = { s, loop, 0, TRUE, TRUE };
  g_signal_handler_disconnect (s, hp);
  g_signal_handler_disconnect (s, hf);
  hp = g_signal_connect (s, "job-progress", G_CALLBACK (on_progress), &c);
  hf = g_signal_connect (s, "job-finished", G_CALLBACK (on_finished), &c);
  opt.train.init_encoder = NULL;
  opt.train.iters = 500;
  g_assert_true (rl_session_new_model (s, &opt));
  g_main_loop_run (loop);
  g_assert_true (c.finished);
  g_assert_true (c.cancelled);
  g_assert_cmpint (c.progress, <, 500);
  g_assert_cmpint (c.current_at_finish, ==, 1);
  {
    g_autoptr (GPtrArray) m = nm_test_models (path);
    g_assert_cmpuint (m->len, ==, 1);
  }
  g_signal_handler_disconnect (s, hp);
  g_signal_handler_disconnect (s, hf);
  rl_session_shutdown (s);
  g_object_unref (s);
  g_main_loop_unref (loop);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/new-model/session", test_session_new_model);
  return g_test_run ();
}
