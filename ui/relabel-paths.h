/* Where the running relabel finds its data (bundled demo, shipped model) and, when run from the
 * build tree, its compiled GSettings schema. */
#pragma once

#include <glib.h>

/* The folder holding demo/ and models/, searched in this order:
 *   1. $RELABEL_DATA_DIR
 *   2. the installed <datadir>/relabel
 *   3. the source tree's resources/ (running uninstalled)
 * The first that contains demo/ wins; NULL when none does. g_free(). */
char *relabel_find_data_dir (void);

/* The build tree's folder holding gschemas.compiled (for running uninstalled). Borrowed. */
const char *relabel_build_schema_dir (void);
