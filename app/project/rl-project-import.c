/* The project store: importing a dataset (CamVid, SUN RGB-D, a folder) into a project.
 * Moved from rl-project.c unchanged. */
#include "rl-project-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rl-dataset.h"
#include "rl-edit.h"
#include "rl-image-io.h"
#include "rl-mask-ops.h"
#include "rl-mask-png.h"
#include "rl-metrics.h"


/* ------------------------------------------------------------------------------------------ */
/* Import */

static char *
relative_to (const char *root, const char *path)
{
  gsize n = strlen (root);
  if (n > 0 && g_str_has_prefix (path, root) && (path[n] == '/' || root[n - 1] == '/'))
    return g_strdup (path + n + (path[n] == '/'));
  return g_strdup (path);
}

static char *
canonical (const char *path)
{
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  char *real = realpath (abs, NULL);
  if (real != NULL)
    {
      char *out = g_strdup (real);
      free (real);
      return out;
    }
  return g_steal_pointer (&abs);
}

static gboolean
insert_mask (RlProject *p, gint64 image_id, int kind, GBytes *png, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "INSERT OR REPLACE INTO masks (image_id, kind, png) VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  gsize len = 0;
  const void *data = g_bytes_get_data (png, &len);
  sqlite3_bind_int64 (stmt, 1, image_id);
  sqlite3_bind_int (stmt, 2, kind);
  sqlite3_bind_blob64 (stmt, 3, data, len, SQLITE_STATIC);
  return db_step_done (p, stmt, error, "cannot store a mask");
}

typedef struct
{
  gint64 id;
  char *sha1;
  gboolean missing;
} ExistingImage;

static void
existing_free (ExistingImage *e)
{
  g_free (e->sha1);
  g_free (e);
}

/* Imports one new sample inside the caller's transaction. Returns FALSE with *problem set for
 * a bad sample (skipped), FALSE with error set for a database failure. */
static gboolean
import_sample (RlProject *p, const RlDataset *ds, const RlSample *s, const char *data,
               gsize len, const char *sha1, char **problem, GError **error)
{
  g_autoptr (GError) local = NULL;
  int w = 0, h = 0;
  g_autofree guint8 *rgb = NULL;
  if (!rl_image_decode_rgb (data, len, s->image_path, &w, &h, &rgb, &local))
    {
      *problem = g_strdup (local->message);
      return FALSE;
    }
  g_clear_pointer (&rgb, g_free);
  g_autofree guint8 *labels = NULL;
  gboolean has_original = s->label_path != NULL;
  if (has_original)
    {
      int lw = 0, lh = 0;
      if (!rl_dataset_read_label (ds, s->label_path, &lw, &lh, &labels, &local))
        {
          *problem = g_strdup (local->message);
          return FALSE;
        }
      if (lw != w || lh != h)
        {
          *problem = g_strdup_printf ("%s: label is %dx%d but the image is %dx%d",
                                      s->label_path, lw, lh, w, h);
          return FALSE;
        }
      for (gsize k = 0; k < (gsize) w * h; k++)
        if (!rl_class_spec_value_ok (ds->spec, labels[k]))
          {
            *problem = g_strdup_printf ("%s: label value %u at (%d, %d) is not a class of %s",
                                        s->label_path, labels[k], (int) (k % w), (int) (k / w),
                                        ds->spec->id);
            return FALSE;
          }
    }
  else
    {
      labels = g_malloc ((gsize) w * h);
      memset (labels, ds->spec->ignore_index & 0xff, (gsize) w * h);
    }
  g_autoptr (GBytes) png = rl_mask_png_encode (w, h, labels, &local);
  if (png == NULL)
    {
      *problem = g_strdup (local->message);
      return FALSE;
    }

  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "INSERT INTO images (name, split, rel_path, label_rel_path, width, height,"
                   " sha1, has_original, status, added) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                error);
  if (stmt == NULL)
    return FALSE;
  g_autofree char *rel = relative_to (ds->root, s->image_path);
  g_autofree char *label_rel = s->label_path ? relative_to (ds->root, s->label_path) : NULL;
  g_autofree char *now = now_iso ();
  sqlite3_bind_text (stmt, 1, s->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, s->split ? s->split : "", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, rel, -1, SQLITE_STATIC);
  if (label_rel != NULL)
    sqlite3_bind_text (stmt, 4, label_rel, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 5, w);
  sqlite3_bind_int (stmt, 6, h);
  sqlite3_bind_text (stmt, 7, sha1, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 8, has_original);
  sqlite3_bind_int (stmt, 9, has_original ? RL_IMAGE_PRELABELLED : RL_IMAGE_UNLABELLED);
  sqlite3_bind_text (stmt, 10, now, -1, SQLITE_STATIC);
  if (!db_step_done (p, stmt, error, "cannot add an image"))
    return FALSE;
  gint64 id = sqlite3_last_insert_rowid (p->db);
  if (has_original && !insert_mask (p, id, MASK_ORIGINAL, png, error))
    return FALSE;
  return insert_mask (p, id, MASK_CURRENT, png, error);
}

static gboolean
set_missing (RlProject *p, gint64 id, gboolean missing, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "UPDATE images SET missing = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, missing);
  sqlite3_bind_int64 (stmt, 2, id);
  return db_step_done (p, stmt, error, "cannot flag an image");
}

#define IMPORT_BATCH 32

gboolean
rl_project_import (RlProject *project, const char *kind, const char *path,
                   void (*progress) (guint done, guint total, gpointer data),
                   gpointer data, GCancellable *cancellable, guint *n_added,
                   GPtrArray **problems, GError **error)
{
  return rl_project_import_with (project, kind, path, NULL, progress, data, cancellable,
                                 n_added, problems, error);
}

gboolean
rl_project_import_with (RlProject *project, const char *kind, const char *path,
                        const RlDatasetOptions *dataset_options,
                        void (*progress) (guint done, guint total, gpointer data),
                        gpointer data, GCancellable *cancellable, guint *n_added,
                        GPtrArray **problems, GError **error)
{
  RlProject *p = project;
  g_return_val_if_fail (kind != NULL && path != NULL, FALSE);
  if (n_added)
    *n_added = 0;
  g_autoptr (GPtrArray) probs = g_ptr_array_new_with_free_func (g_free);

  g_autoptr (GError) local = NULL;
  g_autoptr (RlDataset) ds = rl_dataset_load_with (kind, path, dataset_options, &local);
  if (ds == NULL)
    {
      int code = g_error_matches (local, RL_DATASET_ERROR, RL_DATASET_ERROR_KIND)
                   ? RL_PROJECT_ERROR_INVALID : RL_PROJECT_ERROR_DATASET;
      g_set_error (error, RL_PROJECT_ERROR, code, "%s", local->message);
      return FALSE;
    }
  for (guint k = 0; ds->problems && k < ds->problems->len; k++)
    g_ptr_array_add (probs, g_strdup (ds->problems->pdata[k]));

  g_autofree char *root = canonical (ds->root);
  g_autofree char *spec_json = rl_class_spec_to_json (ds->spec);
  gboolean first = p->kind == NULL;
  if (!first)
    {
      g_autofree char *stored = p->spec ? rl_class_spec_to_json (p->spec) : NULL;
      if (g_strcmp0 (p->kind, ds->kind) != 0 || g_strcmp0 (p->root, root) != 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                       "%s: the project holds the %s dataset at %s; cannot add the %s dataset "
                       "at %s", p->path, p->kind, p->root, ds->kind, root);
          return FALSE;
        }
      if (g_strcmp0 (stored, spec_json) != 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                       "%s: the classes of %s changed since the first import", p->path, root);
          return FALSE;
        }
    }

  /* What is already there, by name. */
  g_autoptr (GHashTable) existing =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) existing_free);
  {
    g_autoptr (sqlite3_stmt) stmt =
      db_prepare (p, "SELECT id, name, sha1, missing FROM images", error);
    if (stmt == NULL)
      return FALSE;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        ExistingImage *e = g_new0 (ExistingImage, 1);
        e->id = sqlite3_column_int64 (stmt, 0);
        e->sha1 = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
        e->missing = sqlite3_column_int (stmt, 3) != 0;
        g_hash_table_insert (existing, g_strdup ((const char *) sqlite3_column_text (stmt, 1)),
                             e);
      }
    if (rc != SQLITE_DONE)
      return db_fail (p, error, "cannot read images");
  }

  guint total = ds->samples->len, added = 0;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ok = TRUE;
  for (guint start = 0; ok && (start < total || (first && start == 0)); start += IMPORT_BATCH)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (!tx_begin (p, error))
        return FALSE;
      if (first && start == 0)
        ok = meta_set (p, "kind", ds->kind, error) && meta_set (p, "root", root, error)
             && meta_set (p, "class_spec", spec_json, error);
      guint batch_added = 0;
      for (guint k = start; ok && k < MIN (total, start + IMPORT_BATCH); k++)
        {
          const RlSample *s = ds->samples->pdata[k];
          if (g_hash_table_contains (seen, s->name))
            {
              g_ptr_array_add (probs, g_strdup_printf ("%s: duplicate image name '%s' skipped",
                                                       s->image_path, s->name));
              continue;
            }
          g_hash_table_add (seen, s->name);
          g_autofree char *bytes = NULL;
          gsize len = 0;
          g_autoptr (GError) ferr = NULL;
          gboolean readable = g_file_get_contents (s->image_path, &bytes, &len, &ferr);
          g_autofree char *sha1 =
            readable ? g_compute_checksum_for_data (G_CHECKSUM_SHA1, (guchar *) bytes, len) : NULL;
          ExistingImage *e = g_hash_table_lookup (existing, s->name);
          if (e != NULL)
            {
              /* Known image: never relabelled; flagged when its file changed or vanished. */
              gboolean missing = !readable || strcmp (sha1, e->sha1) != 0;
              if (missing)
                g_ptr_array_add (probs,
                                 g_strdup_printf ("%s: %s since the first import; flagged as "
                                                  "missing, labels kept", s->image_path,
                                                  readable ? "changed" : "unreadable"));
              if (missing != e->missing)
                ok = set_missing (p, e->id, missing, error);
              continue;
            }
          if (!readable)
            {
              g_ptr_array_add (probs, g_strdup (ferr->message));
              continue;
            }
          g_autofree char *problem = NULL;
          if (import_sample (p, ds, s, bytes, len, sha1, &problem, error))
            batch_added++;
          else if (problem != NULL)
            g_ptr_array_add (probs, g_steal_pointer (&problem));
          else
            ok = FALSE;
        }
      if (!tx_end (p, ok, error))
        return FALSE;
      added += batch_added;
      if (first && start == 0 && !load_meta (p, error))
        return FALSE;
      if (progress)
        progress (MIN (total, start + IMPORT_BATCH), total, data);
      if (total == 0)
        break;
    }
  /* the models already in the project may have trained on images just added */
  if (added > 0 && !rl_project_record_trained_on (p, error))
    return FALSE;
  if (n_added)
    *n_added = added;
  if (problems)
    *problems = g_steal_pointer (&probs);
  return TRUE;
}
