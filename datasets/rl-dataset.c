/* Dataset loaders (CamVid, SUN RGB-D, generic folder) and whole-dataset validation.
 * Placeholder: the loaders land in the next commit. */
#include "rl-dataset.h"

G_DEFINE_QUARK (rl-dataset-error-quark, rl_dataset_error)

RlDataset *
rl_dataset_load (const char *kind, const char *path, GError **error)
{
  g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_KIND, "%s: loaders not implemented yet",
               path);
  return NULL;
}

guint
rl_dataset_validate (RlDataset *ds, gboolean drop_bad,
                     void (*progress) (guint done, guint total, gpointer data), gpointer data)
{
  return 0;
}

GPtrArray *
rl_dataset_split (RlDataset *ds, const char *split)
{
  return g_ptr_array_new ();
}

void
rl_dataset_free (RlDataset *ds)
{
  g_free (ds);
}
