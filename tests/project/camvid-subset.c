/* Shared by the tests in tests/project: see camvid-subset.h. */
#include "camvid-subset.h"

#include <glib/gstdio.h>
#include <unistd.h>

void
camvid_subset (const char *camvid, const char *dir, int n)
{
  g_autofree char *list = g_build_filename (camvid, "val.txt", NULL);
  g_autofree char *contents = NULL;
  g_assert_true (g_file_get_contents (list, &contents, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autoptr (GString) some = g_string_new (NULL);
  for (int i = 0; lines[i] != NULL && i < n; i++)
    if (lines[i][0] != '\0')
      g_string_append_printf (some, "%s\n", lines[i]);
  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  g_autofree char *one = g_build_filename (dir, "val.txt", NULL);
  g_assert_true (g_file_set_contents (one, some->str, -1, NULL));
  for (int s = 0; s < 2; s++)
    {
      g_autofree char *src = g_build_filename (camvid, s ? "valannot" : "val", NULL);
      g_autofree char *dst = g_build_filename (dir, s ? "valannot" : "val", NULL);
      g_assert_cmpint (symlink (src, dst), ==, 0);
    }
}
