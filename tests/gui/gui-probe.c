/* Test helper for the GUI tests: reads a project through the RlProject API (never SQL) so the
 * tests check what the window saved. Usage:
 *   gui-probe dump PROJECT IMAGE OUT.raw [current|original|prediction]
 *                                            a mask of IMAGE as raw bytes (W*H), prints W H
 *   gui-probe scores PROJECT IMAGE           the stored mIoU and BF of IMAGE's newest prediction
 *                                            ("nan" when unknown), then the class count K and
 *                                            the ignore index of the project's classes
 *   gui-probe predicted PROJECT              number of images that have a prediction
 *   gui-probe model PROJECT                  current model id, then 1 if it has val metrics
 *   gui-probe rgb PROJECT IMAGE OUT.raw      the image's colours (H*W*3 bytes), prints W H
 *   gui-probe slic PROJECT IMAGE SIZE OUT.raw  its SLIC superpixels at SIZE (H*W int32) */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "rl-project.h"
#include "rl-superpixels.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  if (argc >= 3 && strcmp (argv[1], "predicted") == 0)
    {
      g_autoptr (RlProject) project = rl_project_open (argv[2], FALSE, &error);
      g_autoptr (GPtrArray) images = project ? rl_project_list_images (project, &error) : NULL;
      if (images == NULL)
        {
          fprintf (stderr, "gui-probe: %s\n", error->message);
          return 1;
        }
      guint n = 0;
      for (guint i = 0; i < images->len; i++)
        n += ((RlImageInfo *) g_ptr_array_index (images, i))->has_prediction ? 1 : 0;
      printf ("%u\n", n);
      return 0;
    }
  if (argc == 3 && strcmp (argv[1], "model") == 0)
    {
      g_autoptr (RlProject) project = rl_project_open (argv[2], FALSE, &error);
      if (project == NULL)
        {
          fprintf (stderr, "gui-probe: %s\n", error->message);
          return 1;
        }
      gint64 id = rl_project_current_model (project);
      g_autofree char *metrics = id ? rl_project_get_metrics (project, id, "val") : NULL;
      printf ("%" G_GINT64_FORMAT " %d\n", id, metrics != NULL ? 1 : 0);
      return 0;
    }
  if (argc == 4 && strcmp (argv[1], "scores") == 0)
    {
      g_autoptr (RlProject) project = rl_project_open (argv[2], FALSE, &error);
      g_autoptr (RlImageInfo) info = project ? rl_project_find_image (project, argv[3], &error)
                                             : NULL;
      if (info == NULL)
        {
          fprintf (stderr, "gui-probe: %s\n", error->message);
          return 1;
        }
      const RlClassSpec *spec = rl_project_get_class_spec (project);
      printf ("%.17g %.17g %d %d\n", info->has_prediction ? info->pred_miou : NAN,
              info->has_prediction ? info->pred_bf : NAN, spec ? spec->n_classes : 0,
              spec ? spec->ignore_index : -1);
      return 0;
    }
  if ((argc == 5 || argc == 6) && strcmp (argv[1], "dump") == 0)
    {
      RlMaskKind kind = RL_MASK_CURRENT;
      if (argc == 6 && strcmp (argv[5], "original") == 0)
        kind = RL_MASK_ORIGINAL;
      else if (argc == 6 && strcmp (argv[5], "prediction") == 0)
        kind = RL_MASK_PREDICTION;
      else if (argc == 6 && strcmp (argv[5], "current") != 0)
        {
          fprintf (stderr, "gui-probe: %s: not a mask kind\n", argv[5]);
          return 2;
        }
      int w = 0, h = 0;
      g_autofree guint8 *mask = NULL;
      g_autoptr (RlProject) project = rl_project_open (argv[2], FALSE, &error);
      g_autoptr (RlImageInfo) info = project ? rl_project_find_image (project, argv[3], &error)
                                             : NULL;
      if (info == NULL
          || !rl_project_get_mask (project, info->id, kind, &w, &h, &mask, &error)
          || !g_file_set_contents (argv[4], (const char *) mask, (gssize) w * h, &error))
        {
          fprintf (stderr, "gui-probe: %s\n", error->message);
          return 1;
        }
      printf ("%d %d\n", w, h);
      return 0;
    }
  if ((argc == 5 && strcmp (argv[1], "rgb") == 0) || (argc == 6 && strcmp (argv[1], "slic") == 0))
    {
      int w = 0, h = 0;
      g_autofree guint8 *rgb = NULL;
      g_autoptr (RlProject) project = rl_project_open (argv[2], FALSE, &error);
      g_autoptr (RlImageInfo) info = project ? rl_project_find_image (project, argv[3], &error)
                                             : NULL;
      if (info == NULL || !rl_project_load_rgb (project, info->id, &w, &h, &rgb, &error))
        {
          fprintf (stderr, "gui-probe: %s\n", error->message);
          return 1;
        }
      gboolean ok;
      if (argc == 5)
        ok = g_file_set_contents (argv[4], (const char *) rgb, (gssize) w * h * 3, &error);
      else
        {
          g_autoptr (RlSuperpixels) sp = rl_superpixels_slic (rgb, w, h, atoi (argv[4]),
                                                              RL_SUPERPIXEL_COMPACTNESS);
          ok = sp != NULL && g_file_set_contents (argv[5], (const char *) sp->labels,
                                                  (gssize) w * h * 4, &error);
        }
      if (!ok)
        {
          fprintf (stderr, "gui-probe: %s\n", error ? error->message : "bad size");
          return 1;
        }
      printf ("%d %d\n", w, h);
      return 0;
    }
  fprintf (stderr,
           "usage: gui-probe dump PROJECT IMAGE OUT.raw [current|original|prediction] | "
           "scores PROJECT IMAGE | predicted PROJECT | model PROJECT\n");
  return 2;
}
