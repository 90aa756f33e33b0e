/* fuzz-project: arbitrary bytes as a .relabel project file, opened with rl_project_open and,
 * when it opens, every table the app reads read through the project API: the project
 * description and class spec, images (list, by id, by name), the three masks of each image, its
 * edit history (listed, undone and redone: the diffs are decoded), predictions' scores, models
 * (exported and parsed as safetensors) and metrics runs. Errors must be one line. */
#include "fuzz.h"
#include "rl-project.h"
#include "rl-safetensors.h"

#include <glib/gstdio.h>
#include <math.h>

static void
check_error_naming (const char *what, GError **error, const char *name)
{
  if (*error == NULL)
    fuzz_fail ("%s failed without a message", what);
  fuzz_check_message (what, (*error)->message, name);
  g_clear_error (error);
}

static void
check_error (const char *what, GError **error)
{
  check_error_naming (what, error, NULL);
}

static void
read_image (RlProject *p, const RlImageInfo *info)
{
  GError *error = NULL;
  RlImageInfo *again = rl_project_get_image (p, info->id, &error);
  if (again != NULL)
    rl_image_info_free (again);
  else
    check_error ("rl_project_get_image", &error);
  if (info->name != NULL)
    {
      RlImageInfo *byname = rl_project_find_image (p, info->name, &error);
      if (byname != NULL)
        rl_image_info_free (byname);
      else
        check_error ("rl_project_find_image", &error);
    }
  g_free (rl_project_image_path (p, info->id));

  for (int kind = RL_MASK_CURRENT; kind <= RL_MASK_PREDICTION; kind++)
    {
      int w = 0, h = 0;
      guint8 *mask = NULL;
      if (rl_project_get_mask (p, info->id, kind, &w, &h, &mask, &error))
        {
          if (w < 1 || h < 1 || mask == NULL)
            fuzz_fail ("a %dx%d mask was returned", w, h);
          volatile guint8 last = mask[(gsize) w * h - 1];
          (void) last;
          g_free (mask);
        }
      else
        check_error ("rl_project_get_mask", &error);
    }

  GPtrArray *edits = rl_project_list_edits (p, info->id, &error);
  if (edits != NULL)
    g_ptr_array_unref (edits);
  else
    check_error ("rl_project_list_edits", &error);
  (void) rl_project_count_redo (p, info->id);

  /* The GUI's undo and redo decode the stored diffs against the current mask. */
  gboolean done = FALSE;
  if (!rl_project_undo (p, info->id, &done, &error))
    check_error ("rl_project_undo", &error);
  if (!rl_project_redo (p, info->id, &done, &error))
    check_error ("rl_project_redo", &error);

  double miou = NAN, bf = NAN;
  gboolean stored = FALSE;
  if (!rl_project_rescore_prediction (p, info->id, &miou, &bf, &stored, &error))
    check_error ("rl_project_rescore_prediction", &error);
}

int
fuzz_one (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  char *path = g_build_filename (fuzz_tmpdir (), "fuzz.relabel", NULL);
  char *wal = g_strconcat (path, "-wal", NULL);
  char *shm = g_strconcat (path, "-shm", NULL);
  g_unlink (wal);
  g_unlink (shm);
  g_free (fuzz_write_file ("fuzz.relabel", data, size));

  RlProject *p = rl_project_open (path, FALSE, &error);
  if (p == NULL)
    {
      check_error_naming ("rl_project_open", &error, path);
      goto out;
    }
  (void) rl_project_get_class_spec (p);
  (void) rl_project_get_dataset_kind (p);
  (void) rl_project_get_dataset_root (p);

  GPtrArray *images = rl_project_list_images (p, &error);
  if (images == NULL)
    check_error ("rl_project_list_images", &error);
  else
    {
      /* A few images are enough to reach every code path; thousands would only be slow. */
      for (guint i = 0; i < images->len && i < 16; i++)
        read_image (p, images->pdata[i]);
      g_ptr_array_unref (images);
    }

  gint64 model = rl_project_current_model (p);
  if (model != 0)
    {
      char *out = g_build_filename (fuzz_tmpdir (), "exported.safetensors", NULL);
      if (rl_project_export_model (p, model, out, &error))
        {
          RlSafetensors *st = NULL;
          RlError err;
          if (rl_safetensors_read (out, &st, &err) == RL_OK)
            rl_safetensors_free (st);
          g_unlink (out);
        }
      else
        check_error ("rl_project_export_model", &error);
      g_free (out);
    }
  static const char *const splits[] = { "train", "val", "test" };
  for (guint i = 0; i < G_N_ELEMENTS (splits); i++)
    g_free (rl_project_get_metrics (p, model, splits[i]));
  rl_project_close (p);

out:
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_free (path);
  g_free (wal);
  g_free (shm);
  return 0;
}
