/* Locations of relabel's data: an environment override, the installed datadir, the source tree.
 * The build passes the installed and uninstalled paths as macros (see ui/meson.build). */
#include "relabel-paths.h"

char *
relabel_find_data_dir (void)
{
  const char *candidates[] = {
    g_getenv ("RELABEL_DATA_DIR"),
    RELABEL_INSTALLED_DATA_DIR,
    RELABEL_SOURCE_DATA_DIR,
  };
  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      if (candidates[i] == NULL || candidates[i][0] == '\0')
        continue;
      g_autofree char *demo = g_build_filename (candidates[i], "demo", NULL);
      if (g_file_test (demo, G_FILE_TEST_IS_DIR))
        return g_strdup (candidates[i]);
    }
  return NULL;
}

const char *
relabel_build_schema_dir (void)
{
  return RELABEL_BUILD_SCHEMA_DIR;
}
