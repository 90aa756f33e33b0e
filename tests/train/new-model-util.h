/* Shared by the new-model job tests (test-new-model-job.c, test-session-new-model.c). */
#pragma once

#include <glib.h>

/* Makes TMP/ds, a SUN RGB-D style dataset of 2 real indoor images (nyu0001, nyu0300: links to
 * RELABEL_SUNRGBD/../indoor-labelled's images and 37-class labels), and imports it (1-based
 * labels) into a new project TMP/p.relabel. Returns the project's path; *added: the number of
 * images the import added. */
char *nm_test_indoor_project (const char *tmp, guint *added);

/* The project's models (RlModelInfo), read with a fresh connection. */
GPtrArray *nm_test_models (const char *path);
