/* relabel export: writes the project's cleaned dataset (CamVid layout with indexed or
 * colour-coded label PNGs, Pascal VOC, Cityscapes labelIds: rl-export-formats.h) with changes.csv, atomically into a folder that must be empty unless --force. */
#include <stdio.h>

#include "relabel-cli.h"
#include "rl-project.h"

int
rl_cmd_export (int argc, char **argv)
{
  g_autofree char *project_path = NULL;
  g_autofree char *format = NULL;
  g_autofree char *out = NULL;
  g_autofree char *split = NULL;
  g_autofree char *labels = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project_path, "Project file", "P" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      "camvid (indexed label PNGs), color (colour-coded), voc (Pascal VOC SegmentationClass) or cityscapes (gtFine labelIds)", "FORMAT" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Output folder (absent or empty)", "DIR" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split, "Only this split (default: all)", "S" },
    { "labels", 0, 0, G_OPTION_ARG_STRING, &labels,
      "corrected (default), original or prediction", "WHICH" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, "Replace a non-empty output folder", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- export the cleaned dataset");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "relabel export: %s\n", error->message);
      return 2;
    }
  if (project_path == NULL || format == NULL || out == NULL || argc != 1)
    {
      fprintf (stderr, "relabel export: usage: relabel export --project P --format camvid|color|voc|cityscapes "
                       "--out DIR [--split S] [--labels corrected|original|prediction] "
                       "[--force]\n");
      return 2;
    }
  if (g_strcmp0 (format, "camvid") != 0 && g_strcmp0 (format, "color") != 0
      && g_strcmp0 (format, "voc") != 0 && g_strcmp0 (format, "cityscapes") != 0)
    {
      fprintf (stderr, "relabel export: unknown format '%s' (camvid, color, voc, cityscapes)\n",
               format);
      return 2;
    }
  if (labels != NULL && g_strcmp0 (labels, "corrected") != 0
      && g_strcmp0 (labels, "original") != 0 && g_strcmp0 (labels, "prediction") != 0)
    {
      fprintf (stderr, "relabel export: unknown --labels '%s' (corrected, original, "
                       "prediction)\n", labels);
      return 2;
    }

  g_autoptr (RlProject) project = rl_project_open (project_path, FALSE, &error);
  if (project == NULL
      || !rl_project_export (project, format, out, split, labels, force, NULL, NULL, NULL,
                             &error))
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  printf ("%s: exported to %s (changes in %s/changes.csv)\n", project_path, out, out);
  return 0;
}
