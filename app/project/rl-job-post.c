/* Marshalling a job's values to its main context (rl-job-post.h). */
#include "rl-job-post.h"

#ifdef __linux__
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

void
rl_job_lower_priority (void)
{
#ifdef __linux__
  /* relative to the main thread's (the interface's; its id is the process id), not to this
   * thread's own: a pool thread that ran a job before is not lowered again */
  errno = 0;
  int nice = getpriority (PRIO_PROCESS, (id_t) getpid ());
  if (nice == -1 && errno != 0)
    nice = 0;
  setpriority (PRIO_PROCESS, (id_t) syscall (SYS_gettid), MIN (nice + 10, 19));
#endif
}
