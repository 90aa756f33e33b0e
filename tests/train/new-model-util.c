/* Shared by the new-model job tests: see new-model-util.h. */
#include "new-model-util.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "rl-project.h"

char *
nm_test_indoor_project (const char *tmp, guint *added)
{
  const char *sun = g_getenv ("RELABEL_SUNRGBD");
  g_assert_nonnull (sun);
  g_autofree char *indoor = g_build_filename (sun, "..", "indoor-labelled", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *color = g_build_filename (tmp, "ds", "train", "color", NULL);
  g_autofree char *label = g_build_filename (tmp, "ds", "train", "label", NULL);
  g_assert_cmpint (g_mkdir_with_parents (color, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (label, 0755), ==, 0);
  const char *stems[] = { "nyu0001", "nyu0300" };
  for (guint i = 0; i < G_N_ELEMENTS (stems); i++)
    {
      g_autofree char *img = g_strdup_printf ("%s/images/%s.png", indoor, stems[i]);
      g_autofree char *lab = g_strdup_printf ("%s/labels37/%s.png", indoor, stems[i]);
      g_autofree char *img_to = g_strdup_printf ("%s/%s.png", color, stems[i]);
      g_autofree char *lab_to = g_strdup_printf ("%s/%s.png", label, stems[i]);
      g_assert_cmpint (symlink (img, img_to), ==, 0);
      g_assert_cmpint (symlink (lab, lab_to), ==, 0);
    }
  char *path = g_build_filename (tmp, "p.relabel", NULL);
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  g_autoptr (RlProject) p = rl_project_open (path, TRUE, &error);
  g_assert_no_error (error);
  RlDatasetOptions dopt = { RL_LABEL_CONVENTION_1_BASED, "test" };
  *added = 0;
  g_assert_true (rl_project_import_with (p, "sunrgbd", ds, &dopt, NULL, NULL, NULL, added, NULL,
                                         &error));
  g_assert_no_error (error);
  return path;
}

GPtrArray *
nm_test_models (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  GPtrArray *m = rl_project_list_models (p, &error);
  g_assert_no_error (error);
  return m;
}
