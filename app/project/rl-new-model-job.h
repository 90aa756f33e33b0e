/* "Train New Model…" as a background job: rl_new_model_run (rl-new-model.h) on a GTask worker
 * thread with its own project connection, progress marshalled to the caller's main context,
 * cancellable between steps (nothing is added to the project then). For the window (through the
 * session) and any other main-loop caller. */
#pragma once

#include <gio/gio.h>
#include "rl-new-model.h"

/* Called in the caller's thread-default main context with a copy of each step's progress. */
typedef void (*RlNewModelProgress) (const RlTrainProgress *p, gpointer data);

/* opt is copied (its strings too). progress data must stay valid until callback runs (pass its
 * owner as source_object). */
void rl_new_model_async (gpointer source_object, const char *project_path,
                         const RlNewModelOptions *opt, RlNewModelProgress progress,
                         gpointer data, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data);
/* FALSE with G_IO_ERROR_CANCELLED when cancelled; out (may be NULL) gets the result. */
gboolean rl_new_model_finish (GAsyncResult *result, RlNewModelResult *out, GError **error);
