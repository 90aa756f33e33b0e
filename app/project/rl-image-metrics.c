/* Per-image prediction scores after an edit: the project store scores its newest prediction
 * again, on a connection opened for the worker thread that calls this. */
#include "rl-image-metrics.h"

#include "rl-project.h"

gboolean
rl_image_metrics_rescore (const char *project_path, gint64 image_id, double *miou, double *bf,
                          gboolean *stored, GError **error)
{
  /* The store scores and updates in one transaction on a connection of this thread's own. */
  RlProject *project = rl_project_open (project_path, FALSE, error);
  if (project == NULL)
    return FALSE;
  gboolean ok = rl_project_rescore_prediction (project, image_id, miou, bf, stored, error);
  rl_project_close (project);
  return ok;
}
