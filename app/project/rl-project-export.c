/* Export of a project's labels as a dataset folder (CamVid layout or colour-coded PNGs) with a
 * changes.csv report, written to a temporary folder and renamed into place. */
#include "rl-project.h"

gboolean
rl_project_export (RlProject *project, const char *format, const char *out_dir,
                   const char *split, const char *labels, gboolean force,
                   void (*progress) (guint done, guint total, gpointer data),
                   gpointer data, GCancellable *cancellable, GError **error)
{
  g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "export: not yet");
  return FALSE;
}
