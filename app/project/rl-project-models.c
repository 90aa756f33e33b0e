/* Models in a project: the one check a model file passes before it is stored, and the one way
 * a stored version is loaded for the engine. */
#define G_LOG_DOMAIN "relabel-project"

#include "rl-project.h"

#include <glib/gstdio.h>

#include "rl-app-engine.h"
#include "rl-model.h"

gboolean
rl_project_check_model_file (const char *path, const RlClassSpec *spec, GError **error)
{
  RlModel *model = NULL;
  RlError err = { { 0 } };
  if (rl_model_load (path, &model, &err) != RL_OK)
    {
      /* the engine's messages name the file already; do not say it twice */
      if (g_str_has_prefix (err.text, path))
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s", err.text);
      else
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s", path,
                     err.text);
      return FALSE;
    }
  int n = rl_model_num_classes (model);
  rl_model_free (model);
  if (spec != NULL && n != spec->n_classes)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the model has %d classes but the project's dataset (%s) has %d", path, n,
                   spec->id, spec->n_classes);
      return FALSE;
    }
  return TRUE;
}

RlModel *
rl_project_load_model (RlProject *project, gint64 model_id, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("relabel-model-XXXXXX", error);
  if (dir == NULL)
    return NULL;
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  RlModel *model = NULL;
  if (rl_project_export_model (project, model_id, path, error))
    {
      RlError err = { { 0 } };
      if (rl_model_load (path, &model, &err) != RL_OK)
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                     "%s: model version %" G_GINT64_FORMAT ": %s",
                     rl_project_get_path (project), model_id, err.text);
      else
        rl_model_set_engine_path (model, rl_app_engine_path ());
    }
  g_unlink (path);
  g_rmdir (dir);
  return model;
}
