/* What every background job's worker thread does alike: hands a value to the main context its
 * GTask was created in (the caller's thread-default one: the job's progress, a finished
 * thumbnail), and yields the CPU to the interface. Shared by the jobs of rl-jobs.c,
 * rl-new-model-job.c and rl-session-dash.c. GLib only. */
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

/* Sets the calling thread's priority 10 nice steps below the main thread's (at most 19), so that
 * long background work yields to the interface; called first by a job's worker thread, again on
 * a reused pool thread without lowering it further. On Linux nice is per thread and inherited by
 * the threads created from this one (the engine's); a no-op elsewhere. */
void rl_job_lower_priority (void);
