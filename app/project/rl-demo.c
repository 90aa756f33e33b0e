/* The bundled demo project (rl-demo.h), built on the session's writer thread on first use
 * so that the GTK thread never waits on the import or on SQLite. */
#define G_LOG_DOMAIN "relabel-project"

#include "rl-demo.h"

#include <errno.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "rl-project.h"

static void
remove_side_files (const char *db)
{
  for (const char *const *ext = (const char *const[]) { "-wal", "-shm", "-journal", NULL }; *ext;
       ext++)
    {
      g_autofree char *side = g_strconcat (db, *ext, NULL);
      g_unlink (side);
    }
}

gboolean
rl_demo_ensure (const char *path, const char *data_dir, GError **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  if (data_dir == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "the bundled demo was not found (set RELABEL_DATA_DIR to the folder holding "
                   "demo/)");
      return FALSE;
    }
  g_autofree char *dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", dir, g_strerror (e));
      return FALSE;
    }

  g_autofree char *tmp = g_strdup_printf ("%s.tmp-%d", path, (int) getpid ());
  g_autofree char *demo = g_build_filename (data_dir, "demo", NULL);
  g_autofree char *model = g_build_filename (data_dir, "models", RL_DEMO_MODEL, NULL);
  RlProject *project = rl_project_open (tmp, TRUE, error);
  gboolean ok = project != NULL
                && rl_project_import (project, "camvid", demo, NULL, NULL, NULL, NULL, NULL,
                                      error);
  /* validated completely by rl_project_add_model: a broken shipped model is refused here */
  if (ok && g_file_test (model, G_FILE_TEST_IS_REGULAR))
    ok = rl_project_add_model (project, RL_DEMO_MODEL, model, 0, NULL, error) != 0;
  if (project != NULL)
    rl_project_close (project);
  if (ok && g_rename (tmp, path) != 0)
    {
      int e = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s: %s", path, g_strerror (e));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (tmp);
  remove_side_files (tmp);
  return ok;
}
