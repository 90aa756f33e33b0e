/* Hands a value from a background job's worker thread to the main context its GTask was created
 * in (the caller's thread-default one): the job's progress, a finished thumbnail. Shared by the
 * jobs of rl-jobs.c and rl-new-model-job.c. GLib only. */
#pragma once

#include <gio/gio.h>

/* Runs in the task's main context with the task (its task data holds the job's callbacks) and
 * the posted copy of the value. */
typedef void (*RlJobDeliver) (GTask *task, gconstpointer value);

/* Copies SIZE bytes of VALUE and has DELIVER called with the copy at PRIORITY in TASK's main
 * context; the task is kept alive until then. CLEAR (may be NULL) then releases what the copy
 * owns (it also runs when the context is destroyed before delivery). Callable from any thread. */
void rl_job_post (GTask *task, int priority, RlJobDeliver deliver, gconstpointer value,
                  gsize size, GDestroyNotify clear);
