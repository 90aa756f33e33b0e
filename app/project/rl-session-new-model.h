/* "Train New Model…" as a session job (rl-session.h, "Extending the session"): the new-model
 * job (rl-new-model-job.h) on its own worker thread and connection, its steps as "job-progress",
 * Cancel through rl_session_cancel_job, and at the end "job-finished" with kind "new-model" and
 * an RlNewModelResult*. When the new version was made current, the session's current model is
 * set to it (on the writer) before "job-finished", so a pre-label started from the handler uses
 * it. The GTK thread never waits: everything runs on the job's thread or the writer. */
#pragma once

#include "rl-new-model.h"
#include "rl-session.h"

G_BEGIN_DECLS

/* FALSE (nothing started) when another job runs or no project is open. opt is copied. */
gboolean rl_session_new_model (RlSession *self, const RlNewModelOptions *opt);

G_END_DECLS
