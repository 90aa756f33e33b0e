/* Marshalling a job's values to its main context (rl-job-post.h). */
#include "rl-job-post.h"

typedef struct
{
  GTask *task;
  RlJobDeliver deliver;
  GDestroyNotify clear;
  gpointer value;
} Post;

static gboolean
post_run (gpointer data)
{
  Post *p = data;
  p->deliver (p->task, p->value);
  return G_SOURCE_REMOVE;
}

static void
post_free (gpointer data)
{
  Post *p = data;
  if (p->clear != NULL)
    p->clear (p->value);
  g_free (p->value);
  g_object_unref (p->task);
  g_free (p);
}

void
rl_job_post (GTask *task, int priority, RlJobDeliver deliver, gconstpointer value, gsize size,
             GDestroyNotify clear)
{
  Post *p = g_new0 (Post, 1);
  p->task = g_object_ref (task);
  p->deliver = deliver;
  p->clear = clear;
  p->value = g_memdup2 (value, size);
  g_main_context_invoke_full (g_task_get_context (task), priority, post_run, p, post_free);
}
