/* Export of a project's labels as a dataset folder (CamVid layout with indexed or colour-coded
 * label PNGs, Pascal VOC, Cityscapes-style labelIds) plus changes.csv, built in a temporary
 * folder and renamed into place. */
#include "rl-project.h"

#include <errno.h>
#include <ftw.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "rl-image-io.h"
#include "rl-export-formats.h"

static int
remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) flag;
  (void) ftw;
  return remove (path);
}

/* rm -rf, for the temporary and the replaced folder only. */
static void
remove_tree (const char *path)
{
  if (path != NULL && g_file_test (path, G_FILE_TEST_EXISTS))
    nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static gboolean
dir_is_empty (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  return dir == NULL || g_dir_read_name (dir) == NULL;
}

/* TRUE if `inner` is `outer` or lies inside it (both canonical). */
static gboolean
path_within (const char *inner, const char *outer)
{
  gsize n = strlen (outer);
  return g_str_has_prefix (inner, outer) && (inner[n] == '\0' || inner[n] == '/'
                                             || (n > 0 && outer[n - 1] == '/'));
}

static char *
real_or_canonical (const char *path)
{
  char *real = realpath (path, NULL);
  if (real != NULL)
    {
      char *out = g_strdup (real);
      free (real);
      return out;
    }
  return g_canonicalize_filename (path, NULL);
}

static const char *
status_name (RlImageStatus status)
{
  switch (status)
    {
    case RL_IMAGE_UNLABELLED:
      return "unlabelled";
    case RL_IMAGE_PRELABELLED:
      return "prelabelled";
    case RL_IMAGE_CORRECTED:
      return "corrected";
    case RL_IMAGE_REVIEWED:
      return "reviewed";
    default:
      return "unknown";
    }
}

static gboolean
copy_file (const char *src, const char *dst, GError **error)
{
  g_autoptr (GFile) from = g_file_new_for_path (src);
  g_autoptr (GFile) to = g_file_new_for_path (dst);
  g_autoptr (GError) local = NULL;
  if (!g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET, "%s: cannot copy: %s",
                   src, local->message);
      return FALSE;
    }
  return TRUE;
}

static char *
csv_field (const char *s)
{
  if (strpbrk (s, ",\"\n") == NULL)
    return g_strdup (s);
  g_autoptr (GString) out = g_string_new ("\"");
  for (const char *c = s; *c; c++)
    {
      if (*c == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Appends one changes.csv row: pixels changed from the original and "from>to:count" pairs. */
static void
append_changes (GString *csv, const RlImageInfo *info, const char *note, const guint8 *orig,
                const guint8 *out)
{
  g_autofree char *name = csv_field (info->name);
  g_autofree char *split = csv_field (info->split);
  g_string_append_printf (csv, "%s,%s,%s,", name, split, note);
  if (orig == NULL || out == NULL)
    {
      g_string_append (csv, ",\n");
      return;
    }
  g_autofree guint32 *pairs = g_new0 (guint32, 256 * 256);
  guint64 changed = 0;
  gsize n = (gsize) info->width * info->height;
  for (gsize k = 0; k < n; k++)
    if (orig[k] != out[k])
      {
        pairs[orig[k] * 256 + out[k]]++;
        changed++;
      }
  g_string_append_printf (csv, "%" G_GUINT64_FORMAT ",", changed);
  gboolean first = TRUE;
  for (int k = 0; k < 256 * 256; k++)
    if (pairs[k])
      {
        g_string_append_printf (csv, "%s%d>%d:%u", first ? "" : " ", k / 256, k % 256, pairs[k]);
        first = FALSE;
      }
  g_string_append_c (csv, '\n');
}

static void
free_string (gpointer s)
{
  g_string_free (s, TRUE);
}

static gboolean
write_text (const char *dir, const char *name, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) local = NULL;
  if (!rl_file_write_atomic (path, text, strlen (text), &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

/* Writes everything into tmp. */
static gboolean
export_into (RlProject *project, const char *tmp, RlExportFormat format, const char *split,
             RlMaskKind kind, void (*progress) (guint done, guint total, gpointer data),
             gpointer data, GCancellable *cancellable, GError **error)
{
  const RlClassSpec *spec = rl_project_get_class_spec (project);
  g_autoptr (GPtrArray) all = rl_project_list_images (project, error);
  if (all == NULL)
    return FALSE;
  g_autoptr (GPtrArray) images = g_ptr_array_new ();
  for (guint i = 0; i < all->len; i++)
    {
      RlImageInfo *info = all->pdata[i];
      if (split == NULL || g_strcmp0 (info->split, split) == 0)
        g_ptr_array_add (images, info);
    }
  if (images->len == 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: no images%s%s to export", rl_project_get_path (project),
                   split ? " in split " : "", split ? split : "");
      return FALSE;
    }

  g_autoptr (GString) csv = g_string_new ("image,split,status,pixels_changed,changes\n");
  /* split -> GString of list lines, in first-seen order. */
  g_autoptr (GHashTable) lists =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, free_string);
  g_autoptr (GPtrArray) split_order = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < images->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      const RlImageInfo *info = images->pdata[i];
      const char *sp = info->split && *info->split ? info->split : "all";
      if (info->missing)
        {
          append_changes (csv, info, "skipped: image missing or changed on disk", NULL, NULL);
          continue;
        }
      if (kind == RL_MASK_CURRENT && info->status == RL_IMAGE_UNLABELLED && info->n_edits == 0)
        {
          append_changes (csv, info, "skipped: unlabelled", NULL, NULL);
          continue;
        }
      int w = 0, h = 0;
      g_autofree guint8 *mask = NULL;
      g_autoptr (GError) local = NULL;
      if (!rl_project_get_mask (project, info->id, kind, &w, &h, &mask, &local))
        {
          if (!g_error_matches (local, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          append_changes (csv, info, kind == RL_MASK_PREDICTION ? "skipped: no prediction"
                                                                : "skipped: no original labels",
                          NULL, NULL);
          continue;
        }
      /* Changes are counted against the original labels, or against the all-void mask an
       * unlabelled image starts from (then they are the pixels annotated). */
      g_autofree guint8 *orig = NULL;
      if (info->has_original
          && !rl_project_get_mask (project, info->id, RL_MASK_ORIGINAL, &w, &h, &orig, error))
        return FALSE;
      if (!info->has_original)
        {
          orig = g_malloc ((gsize) w * h);
          memset (orig, spec->ignore_index & 0xff, (gsize) w * h);
        }

      g_autofree char *img_src = rl_project_image_path (project, info->id);
      g_autofree char *img_base = NULL, *lbl_base = NULL, *img_dir_rel = NULL;
      g_autofree char *lbl_dir_rel = NULL;
      rl_export_paths (format, info->name, info->rel_path, sp, &img_dir_rel, &img_base,
                       &lbl_dir_rel, &lbl_base);
      g_autofree char *img_dir = g_build_filename (tmp, img_dir_rel, NULL);
      g_autofree char *lbl_dir = g_build_filename (tmp, lbl_dir_rel, NULL);
      if (g_mkdir_with_parents (img_dir, 0755) != 0 || g_mkdir_with_parents (lbl_dir, 0755) != 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: %s", img_dir,
                       g_strerror (errno));
          return FALSE;
        }
      g_autofree char *img_dst = g_build_filename (img_dir, img_base, NULL);
      g_autofree char *lbl_dst = g_build_filename (lbl_dir, lbl_base, NULL);
      if (!copy_file (img_src, img_dst, error))
        return FALSE;
      gboolean ok = rl_export_write_label (format, lbl_dst, w, h, mask, spec, &local);
      if (!ok)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s", local->message);
          return FALSE;
        }
      append_changes (csv, info, status_name (info->status), orig, mask);

      GString *list = g_hash_table_lookup (lists, sp);
      if (list == NULL)
        {
          list = g_string_new (NULL);
          g_hash_table_insert (lists, g_strdup (sp), list);
          g_ptr_array_add (split_order, g_strdup (sp));
        }
      if (format == RL_EXPORT_VOC)
        g_string_append_printf (list, "%s\n", info->name);
      else
        g_string_append_printf (list, "%s/%s %s/%s\n", img_dir_rel, img_base, lbl_dir_rel,
                                lbl_base);
      if (progress)
        progress (i + 1, images->len, data);
    }

  for (guint i = 0; i < split_order->len; i++)
    {
      const char *sp = split_order->pdata[i];
      GString *list = g_hash_table_lookup (lists, sp);
      g_autofree char *name = format == RL_EXPORT_VOC
                                ? g_strconcat ("ImageSets/Segmentation/", sp, ".txt", NULL)
                                : g_strconcat (sp, ".txt", NULL);
      if (format == RL_EXPORT_VOC)
        {
          g_autofree char *dir = g_build_filename (tmp, "ImageSets", "Segmentation", NULL);
          g_mkdir_with_parents (dir, 0755);
        }
      if (!write_text (tmp, name, list->str, error))
        return FALSE;
    }
  if (!write_text (tmp, "changes.csv", csv->str, error))
    return FALSE;
  /* the classes, as the format describes them (re-importable) */
  if (format == RL_EXPORT_VOC)
    {
      g_autofree char *labelmap = rl_export_voc_labelmap (spec);
      return write_text (tmp, "labelmap.txt", labelmap, error);
    }
  if (format == RL_EXPORT_CITYSCAPES)
    {
      g_autofree char *map = rl_export_cityscapes_label_map (spec);
      return write_text (tmp, "label-map.json", map, error);
    }
  g_autofree char *spec_json = rl_class_spec_to_json (spec);
  return write_text (tmp, "classes.json", spec_json, error);
}

gboolean
rl_project_export (RlProject *project, const char *format, const char *out_dir,
                   const char *split, const char *labels, gboolean force,
                   void (*progress) (guint done, guint total, gpointer data),
                   gpointer data, GCancellable *cancellable, GError **error)
{
  const char *ppath = rl_project_get_path (project);
  g_return_val_if_fail (out_dir != NULL, FALSE);
  if (format == NULL)
    format = "camvid";
  RlExportFormat fmt;
  if (!rl_export_format_parse (format, &fmt))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: unknown export format '%s' (camvid, color, voc, cityscapes)", out_dir,
                   format);
      return FALSE;
    }
  RlMaskKind kind;
  if (labels == NULL || g_strcmp0 (labels, "corrected") == 0)
    kind = RL_MASK_CURRENT;
  else if (g_strcmp0 (labels, "original") == 0)
    kind = RL_MASK_ORIGINAL;
  else if (g_strcmp0 (labels, "prediction") == 0)
    kind = RL_MASK_PREDICTION;
  else
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: unknown labels '%s' (corrected, original, prediction)", out_dir, labels);
      return FALSE;
    }
  if (rl_project_get_class_spec (project) == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the project has no dataset yet (import one first)", ppath);
      return FALSE;
    }

  g_autofree char *out = real_or_canonical (out_dir);
  gboolean exists = g_file_test (out, G_FILE_TEST_EXISTS);
  if (exists && !g_file_test (out, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_EXISTS,
                   "%s: exists and is not a folder", out_dir);
      return FALSE;
    }
  if (exists && !force && !dir_is_empty (out))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_EXISTS,
                   "%s: folder is not empty (use --force to replace it)", out_dir);
      return FALSE;
    }
  /* --force replaces the folder: never one that holds the project or the dataset. */
  g_autofree char *proj_real = real_or_canonical (ppath);
  const char *root = rl_project_get_dataset_root (project);
  g_autofree char *root_real = root ? real_or_canonical (root) : NULL;
  if (path_within (proj_real, out) || (root_real && (path_within (root_real, out)
                                                     || path_within (out, root_real))))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_EXISTS,
                   "%s: refusing to export over or into the project or the dataset folder",
                   out_dir);
      return FALSE;
    }

  g_autofree char *parent = g_path_get_dirname (out);
  g_autofree char *base = g_path_get_basename (out);
  if (!g_file_test (parent, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: folder %s does not exist", out_dir, parent);
      return FALSE;
    }
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.tmp-XXXXXX", parent, base);
  char *tmp = g_mkdtemp_full (tmpl, 0755);   /* tmpl itself, filled in */
  if (tmp == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_READONLY,
                   "%s: cannot create a folder in %s: %s", out_dir, parent, g_strerror (errno));
      return FALSE;
    }

  gboolean ok = export_into (project, tmp, fmt, split, kind,
                             progress, data, cancellable, error);
  g_autofree char *old = NULL;
  if (ok && exists)
    {
      /* Move the old folder aside first so that out_dir is at every moment either the old
       * export or the new one. */
      old = g_strdup_printf ("%s/.%s.old-XXXXXX", parent, base);
      if (g_mkdtemp_full (old, 0755) == NULL || g_rename (out, old) != 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: cannot move aside: %s",
                       out_dir, g_strerror (errno));
          if (old)
            g_rmdir (old);
          g_clear_pointer (&old, g_free);
          ok = FALSE;
        }
    }
  if (ok && g_rename (tmp, out) != 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: cannot rename %s: %s",
                   out_dir, tmp, g_strerror (errno));
      if (old != NULL)
        g_rename (old, out);
      g_clear_pointer (&old, g_free);
      ok = FALSE;
    }
  if (!ok)
    remove_tree (tmp);
  remove_tree (old);
  return ok;
}
