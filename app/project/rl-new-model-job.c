/* The new-model job on a worker thread (rl-new-model-job.h). */
#include "rl-new-model-job.h"

#include <string.h>

#include "rl-job-post.h"

typedef struct
{
  RlNewModelProgress progress;
  gpointer progress_data;
  char *project_path;
  char *arch, *out, *name, *split, *init_encoder;   /* owned copies of opt's strings */
  RlNewModelOptions opt;
  RlNewModelResult result;
  GCancellable *cancellable;
} JobData;

static void
job_data_free (JobData *d)
{
  g_free (d->project_path);
  g_free (d->arch);
  g_free (d->out);
  g_free (d->name);
  g_free (d->split);
  g_free (d->init_encoder);
  g_clear_object (&d->cancellable);
  g_free (d);
}

static void
deliver (GTask *task, gconstpointer value)
{
  JobData *d = g_task_get_task_data (task);
  d->progress (value, d->progress_data);
}

/* Runs on the worker: marshal a copy to the caller's main context. */
static void
on_progress (const RlTrainProgress *p, gpointer data)
{
  GTask *task = data;
  JobData *d = g_task_get_task_data (task);
  if (d->progress != NULL)
    rl_job_post (task, G_PRIORITY_DEFAULT, deliver, p, sizeof *p, NULL);
}

static gboolean
should_stop (gpointer data)
{
  JobData *d = g_task_get_task_data (G_TASK (data));
  return g_cancellable_is_cancelled (d->cancellable);
}

static void
job_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  JobData *d = task_data;
  g_autoptr (GError) error = NULL;
  RlTrainCallbacks cb = { on_progress, should_stop, task };
  rl_job_lower_priority ();
  if (!rl_new_model_run (d->project_path, &d->opt, &cb, &d->result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
rl_new_model_async (gpointer source_object, const char *project_path,
                    const RlNewModelOptions *opt, RlNewModelProgress progress, gpointer data,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, cancellable, callback, user_data);
  JobData *d = g_new0 (JobData, 1);
  g_task_set_source_tag (task, rl_new_model_async);
  d->progress = progress;
  d->progress_data = data;
  d->project_path = g_strdup (project_path);
  d->opt = *opt;
  d->opt.train.arch = d->arch = g_strdup (opt->train.arch ? opt->train.arch : "segnet-basic");
  d->opt.out = d->out = g_strdup (opt->out);
  d->opt.name = d->name = g_strdup (opt->name);
  d->opt.split = d->split = g_strdup (opt->split);
  d->opt.train.init_encoder = d->init_encoder = g_strdup (opt->train.init_encoder);
  d->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  g_task_set_task_data (task, d, (GDestroyNotify) job_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, job_thread);
}

gboolean
rl_new_model_finish (GAsyncResult *result, RlNewModelResult *out, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  JobData *d = g_task_get_task_data (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);
  if (out != NULL)
    {
      memset (out, 0, sizeof *out);
      if (ok)
        *out = d->result;
    }
  return ok;
}
