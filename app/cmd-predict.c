/* relabel predict: run a SegNet model over images and write 8-bit indexed PNG predictions named
 * after the inputs (the CamVid palette when the model's classes are CamVid's, else grayscale). */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl-app-engine.h"
#include "relabel-cli.h"
#include "rl-image-io.h"
#include "rl-model.h"

static const char usage[] =
  "Usage: relabel predict --model M.safetensors --out DIR [--threads T] [--engine PATH]\n"
  "                       (IMAGE... | --list FILE)\n"
  "Writes DIR/NAME.png (8-bit indexed, class index per pixel) for each input IMAGE (PNG or\n"
  "JPEG, any size). --list FILE: one image per line (first field; further fields such as a\n"
  "label path are ignored); relative paths, and absolute ones that do not exist (e.g. CamVid's\n"
  "/SegNet/CamVid/... prefix), are resolved against the list file's folder.\n"
  "--threads T: engine threads (default: all cores).\n"
  "--engine PATH: auto (default; also RELABEL_ENGINE_PATH), reference (im2col + OpenBLAS),\n"
  "fp32 or bf16 (oneDNN, whole network in one blocked layout; bf16 needs AVX512-BF16 or AMX).\n";

/* The palette of a dataset whose class names the model carries, else NULL (grayscale). */
static RlClassSpec *
palette_for (const RlModel *model)
{
  RlClassSpec *specs[2] = { rl_class_spec_camvid (), rl_class_spec_sunrgbd () };
  RlClassSpec *found = NULL;
  int nc = rl_model_num_classes (model);
  for (int s = 0; s < 2 && found == NULL; s++)
    {
      RlClassSpec *spec = specs[s];
      int offset = -1;
      /* SUN RGB-D's spec holds void at 0, so its 37 classes may sit at 1..37. */
      if (spec->n_classes == nc)
        offset = 0;
      else if (spec->n_classes == nc + 1 && spec->ignore_index == 0)
        offset = 1;
      gboolean same = offset >= 0;
      for (int i = 0; same && i < nc; i++)
        same = g_ascii_strcasecmp (spec->classes[i + offset].name,
                                   rl_model_class_name (model, i)) == 0;
      if (same && offset == 0)
        {
          found = spec;
          specs[s] = NULL;
        }
    }
  rl_class_spec_free (specs[0]);
  rl_class_spec_free (specs[1]);
  return found;
}

static char *
resolve_listed (const char *list_dir, const char *path)
{
  if (!g_path_is_absolute (path))
    return g_build_filename (list_dir, path, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_strdup (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *parent = g_path_get_basename (dir);
  return g_build_filename (list_dir, parent, base, NULL);
}

static gboolean
read_list (const char *list, GPtrArray *images, GError **error)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (list, &text, NULL, error))
    return FALSE;
  g_autofree char *dir = g_path_get_dirname (list);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (int i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      char *end = lines[i] + strcspn (lines[i], " \t");
      *end = '\0';
      g_ptr_array_add (images, resolve_listed (dir, lines[i]));
    }
  return TRUE;
}

static char *
output_name (const char *out_dir, const char *image)
{
  g_autofree char *base = g_path_get_basename (image);
  char *dot = strrchr (base, '.');
  if (dot != NULL && dot != base)
    *dot = '\0';
  g_autofree char *file = g_strconcat (base, ".png", NULL);
  return g_build_filename (out_dir, file, NULL);
}

int
rl_cmd_predict (int argc, char **argv)
{
  const char *model_path = NULL, *out_dir = NULL, *list = NULL;
  int threads = 0;
  g_autoptr (GPtrArray) images = g_ptr_array_new_with_free_func (g_free);
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
        {
          fputs (usage, stdout);
          return 0;
        }
      if (strcmp (a, "--model") == 0 || strcmp (a, "--out") == 0 || strcmp (a, "--list") == 0
          || strcmp (a, "--threads") == 0 || strcmp (a, "--engine") == 0)
        {
          if (i + 1 >= argc)
            {
              fprintf (stderr, "relabel: predict: %s needs a value\n%s", a, usage);
              return 2;
            }
          const char *v = argv[++i];
          if (strcmp (a, "--model") == 0)
            model_path = v;
          else if (strcmp (a, "--out") == 0)
            out_dir = v;
          else if (strcmp (a, "--list") == 0)
            list = v;
          else if (strcmp (a, "--engine") == 0)
            {
              /* The engine reads its path from the environment on every call. */
              if (strcmp (v, "auto") != 0 && strcmp (v, "reference") != 0
                  && strcmp (v, "fp32") != 0 && strcmp (v, "bf16") != 0)
                {
                  fprintf (stderr, "relabel: predict: --engine wants auto, reference, fp32 or "
                           "bf16, not '%s'\n", v);
                  return 2;
                }
              g_setenv ("RELABEL_ENGINE_PATH", v, TRUE);
            }
          else
            {
              char *end;
              long t = strtol (v, &end, 10);
              if (*end != '\0' || t < 1 || t > 1024)
                {
                  fprintf (stderr, "relabel: predict: bad --threads '%s'\n", v);
                  return 2;
                }
              threads = (int) t;
            }
          continue;
        }
      if (a[0] == '-' && a[1] != '\0')
        {
          fprintf (stderr, "relabel: predict: unknown option '%s'\n%s", a, usage);
          return 2;
        }
      g_ptr_array_add (images, g_strdup (a));
    }
  if (model_path == NULL || out_dir == NULL || (images->len == 0) == (list == NULL))
    {
      fprintf (stderr, "relabel: predict: give --model, --out and either images or --list\n%s",
               usage);
      return 2;
    }
  g_autoptr (GError) error = NULL;
  if (list != NULL && !read_list (list, images, &error))
    {
      fprintf (stderr, "relabel: %s: %s\n", list, error->message);
      return 1;
    }
  if (images->len == 0)
    {
      fprintf (stderr, "relabel: %s: lists no images\n", list);
      return 1;
    }
  RlModel *model = NULL;
  RlError err = { { 0 } };
  if (rl_model_load (model_path, &model, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s\n", err.text);
      return 1;
    }
  rl_model_set_engine_path (model, rl_app_engine_path ());
  RlEnginePath ep = rl_app_engine_path ();
  if (ep == RL_ENGINE_PATH_DEFAULT)
    ep = rl_engine_path_default ();
  if (ep != RL_ENGINE_PATH_REFERENCE && !rl_model_whole_plan (model))
    fprintf (stderr, "relabel: note: %s runs layer by layer (the whole-network oneDNN plan covers "
             "segnet-basic and segnet)\n", rl_model_arch (model));
  if (g_mkdir_with_parents (out_dir, 0755) != 0)
    {
      fprintf (stderr, "relabel: %s: %s\n", out_dir, g_strerror (errno));
      rl_model_free (model);
      return 1;
    }
  RlClassSpec *palette = palette_for (model);
  int failures = 0;
  for (guint i = 0; i < images->len; i++)
    {
      const char *path = images->pdata[i];
      int w = 0, h = 0;
      g_autofree guint8 *rgb = NULL;
      g_autofree guint8 *labels = NULL;
      g_autofree char *out = output_name (out_dir, path);
      g_clear_error (&error);
      if (!rl_image_read_rgb (path, &w, &h, &rgb, &error))
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          failures++;
          continue;
        }
      labels = g_malloc ((gsize) w * h);
      if (rl_model_predict_rgb8 (model, rgb, h, w, labels, threads, NULL, NULL, &err) != RL_OK)
        {
          fprintf (stderr, "relabel: %s: %s\n", path, err.text);
          failures++;
          continue;
        }
      if (!rl_label_write (out, w, h, labels, palette, &error))
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          failures++;
          continue;
        }
    }
  rl_class_spec_free (palette);
  rl_model_free (model);
  return failures > 0 ? 1 : 0;
}
