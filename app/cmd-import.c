/* relabel import: creates a project or adds a dataset's images to it (idempotent re-import),
 * then prints a summary and every bad sample that was skipped. */
#include <glib/gstdio.h>
#include <stdio.h>

#include "relabel-cli.h"
#include "rl-dataset.h"
#include "rl-project.h"

static void
remove_project_files (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_unlink (wal);
  g_unlink (shm);
  g_unlink (path);
}

int
rl_cmd_import (int argc, char **argv)
{
  g_autofree char *project_path = NULL;
  g_autofree char *kind = NULL, *convention = NULL;
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project_path, "Project file (created if absent)",
      "P" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &kind, "Dataset kind: camvid, sunrgbd, folder, voc or cityscapes",
      "KIND" },
    { "label-convention", 0, 0, G_OPTION_ARG_STRING, &convention,
      "How label values number the classes: 1-based (0 = void; SUN RGB-D's default), "
      "1-based-255 (0 and 255 void) or 0-based-255 (255 = void)", "CONV" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only problems", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("PATH - import a dataset");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "relabel import: %s\n", error->message);
      return 2;
    }
  if (project_path == NULL || kind == NULL || argc != 2)
    {
      fprintf (stderr, "relabel import: usage: relabel import --project P "
                       "--dataset camvid|sunrgbd|folder|voc|cityscapes [--label-convention CONV] PATH\n");
      return 2;
    }
  if (g_strcmp0 (kind, "camvid") != 0 && g_strcmp0 (kind, "sunrgbd") != 0
      && g_strcmp0 (kind, "folder") != 0 && g_strcmp0 (kind, "voc") != 0
      && g_strcmp0 (kind, "cityscapes") != 0)
    {
      fprintf (stderr, "relabel import: unknown dataset kind '%s' (camvid, sunrgbd, folder, voc, cityscapes)\n",
               kind);
      return 2;
    }
  RlDatasetOptions dopt = { RL_LABEL_CONVENTION_UNSET, "--label-convention" };
  if (convention != NULL && !rl_label_convention_parse (convention, &dopt.label_convention))
    {
      fprintf (stderr, "relabel import: --label-convention wants 1-based, 1-based-255 or "
                       "0-based-255, not '%s'\n", convention);
      return 2;
    }
  const char *path = argv[1];
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      fprintf (stderr, "relabel: %s: no such dataset folder\n", path);
      return 1;
    }
  /* Which label convention applies, said before anything is read (a listing only). */
  {
    g_autoptr (GError) lerr = NULL;
    g_autoptr (RlDataset) listed = rl_dataset_load_with (kind, path, &dopt, &lerr);
    g_autofree char *how = listed ? rl_dataset_describe_labels (listed) : NULL;
    if (lerr != NULL)
      {
        fprintf (stderr, "relabel: %s\n", lerr->message);
        return 1;
      }
    if (how != NULL && !quiet)
      printf ("%s\n", how);
  }

  gboolean existed = g_file_test (project_path, G_FILE_TEST_EXISTS);
  g_autoptr (RlProject) project = rl_project_open (project_path, TRUE, &error);
  if (project == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  guint added = 0;
  g_autoptr (GPtrArray) problems = NULL;
  if (!rl_project_import_with (project, kind, path, &dopt, NULL, NULL, NULL, &added, &problems,
                               &error))
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      g_clear_pointer (&project, rl_project_close);
      if (!existed)
        remove_project_files (project_path);
      return 1;
    }
  g_autoptr (GPtrArray) images = rl_project_list_images (project, &error);
  if (images == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  guint missing = 0;
  for (guint i = 0; i < images->len; i++)
    missing += ((RlImageInfo *) images->pdata[i])->missing;
  for (guint i = 0; problems && i < problems->len; i++)
    fprintf (stderr, "relabel: warning: %s\n", (const char *) problems->pdata[i]);
  if (!quiet)
    printf ("%s: %u new image%s from %s dataset %s; %u in the project, %u flagged missing, "
            "%u problem%s\n", project_path, added, added == 1 ? "" : "s", kind,
            rl_project_get_dataset_root (project), images->len, missing,
            problems ? problems->len : 0, problems && problems->len == 1 ? "" : "s");
  return 0;
}
