/* The new-model job run by the session (rl-session-new-model.h). */
#include "rl-session-new-model.h"

#include <math.h>

#include "rl-new-model-job.h"

typedef struct
{
  RlSession *session;
  gboolean ok, ended;
  GError *error;
  RlNewModelResult result;
} Done;

static void
progress (const RlTrainProgress *p, gpointer data)
{
  g_autofree char *text = NULL;
  if (isfinite (p->eta_s) && isfinite (p->loss))
    text = g_strdup_printf ("New model: step %d/%d · loss %.3f · %.0f s left", p->iter,
                            p->total_iters, p->loss, p->eta_s);
  else
    text = g_strdup_printf ("New model: step %d/%d", p->iter, p->total_iters);
  rl_session_job_progress (RL_SESSION (data), p->total_iters ? (double) p->iter / p->total_iters
                                                             : 0.0, text);
}

static void
nothing (RlProject *project, gpointer data, GError **error)
{
}

/* Main thread, after the writer delivered everything queued before (the new current model). */
static void
finish (RlSession *session, gpointer data, const GError *error)
{
  Done *d = data;
  d->ended = TRUE;
  rl_session_end_job (d->session, "new-model", d->ok, d->error, &d->result);
}

/* Main thread. When another project was opened meanwhile, finish did not run: the job ends
 * here, as it went. */
static void
done_free (gpointer data)
{
  Done *d = data;
  if (!d->ended)
    rl_session_end_job (d->session, "new-model", d->ok, d->error, &d->result);
  g_object_unref (d->session);
  g_clear_error (&d->error);
  g_free (d);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Done *d = g_new0 (Done, 1);
  d->session = g_object_ref (RL_SESSION (source));
  d->ok = rl_new_model_finish (result, &d->result, &d->error);
  /* The job stored the version on its own connection; the writer reads it back as current.
   * The call queued after it ends the job once that is delivered. */
  if (d->ok && d->result.made_current)
    rl_session_set_current_model (d->session, d->result.model_id);
  rl_session_call (d->session, nothing, finish, d, done_free);
}

gboolean
rl_session_new_model (RlSession *self, const RlNewModelOptions *opt)
{
  g_return_val_if_fail (RL_IS_SESSION (self) && opt != NULL, FALSE);
  const char *path = rl_session_get_path (self);
  if (path == NULL)
    return FALSE;
  GCancellable *cancellable = rl_session_begin_job (self, "new-model");
  if (cancellable == NULL)
    return FALSE;
  RlNewModelOptions o = *opt;
  if (o.train.threads <= 0)
    o.train.threads = rl_session_job_threads (self);
  o.train.quiet = TRUE;
  rl_new_model_async (self, path, &o, progress, self, cancellable, on_done, NULL);
  return TRUE;
}
