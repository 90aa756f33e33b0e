/* Shared by the tests in tests/project: a small CamVid val dataset for a test project. */
#pragma once

#include <glib.h>

/* Makes the folder DIR (it must not exist) a CamVid dataset of the first N non-empty lines of
 * CAMVID/val.txt (at most N; G_MAXINT: all) with links to CAMVID's val and valannot folders. */
void camvid_subset (const char *camvid, const char *dir, int n);
