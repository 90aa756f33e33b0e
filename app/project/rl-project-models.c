/* The project store: models (versions, the current one, the one check a model file passes
 * before it is stored, the one way a stored version is loaded), predictions and metrics runs. */
#define G_LOG_DOMAIN "relabel-project"

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

#include <glib/gstdio.h>

#include "rl-app-engine.h"
#include "rl-model.h"

/* rl_project_check_model_file, also handing out a copy of the file's trained_on (NULL when it
 * has none) where trained_on is not NULL. */
static gboolean
check_model_file (const char *path, const RlClassSpec *spec, char **trained_on, GError **error)
{
  RlModel *model = NULL;
  RlError err = { { 0 } };
  if (rl_model_load (path, &model, &err) != RL_OK)
    {
      /* the engine's messages name the file already; do not say it twice */
      if (g_str_has_prefix (err.text, path))
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s", err.text);
      else
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s", path,
                     err.text);
      return FALSE;
    }
  int n = rl_model_num_classes (model);
  if (trained_on != NULL)
    *trained_on = g_strdup (rl_model_trained_on (model));
  rl_model_free (model);
  if (spec != NULL && n != spec->n_classes)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the model has %d classes but the project's dataset (%s) has %d", path, n,
                   spec->id, spec->n_classes);
      if (trained_on != NULL)
        g_clear_pointer (trained_on, g_free);
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_project_check_model_file (const char *path, const RlClassSpec *spec, GError **error)
{
  return check_model_file (path, spec, NULL, error);
}

GHashTable *
rl_project_images_in_trained_on (RlProject *project, const char *trained_on, GError **error)
{
  RlProject *p = project;
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (trained_on == NULL)
    return g_steal_pointer (&ids);
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, trained_on, -1, error))
    return NULL;   /* checked by the engine when the file was read: not reached */
  JsonArray *pairs = json_node_get_array (json_parser_get_root (parser));
  g_autoptr (GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < json_array_get_length (pairs); i++)
    g_hash_table_add (listed, (gpointer) json_array_get_string_element (
                                json_array_get_array_element (pairs, i), 1));
  g_autoptr (sqlite3_stmt) sel = db_prepare (p, "SELECT id, sha1 FROM images", error);
  if (sel == NULL)
    return NULL;
  int rc;
  while ((rc = sqlite3_step (sel)) == SQLITE_ROW)
    {
      const char *sha1 = (const char *) sqlite3_column_text (sel, 1);
      if (sha1 != NULL && g_hash_table_contains (listed, sha1))
        g_hash_table_add (ids, g_memdup2 (&(gint64) { sqlite3_column_int64 (sel, 0) },
                                          sizeof (gint64)));
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (p, error, "cannot read images");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

/* Records as trained on by model id the project's images that the model file's trained_on
 * lists (rl_project_images_in_trained_on) and that are not recorded for it yet. A model trained
 * outside this project saw labels the project does not know, so these rows say revision -1 and
 * an empty label SHA-1. Within the caller's transaction. */
static gboolean
record_file_trained_on (RlProject *p, gint64 id, const char *trained_on, GError **error)
{
  g_autoptr (GHashTable) listed = rl_project_images_in_trained_on (p, trained_on, error);
  g_autoptr (sqlite3_stmt) ins =
    listed == NULL ? NULL
                   : db_prepare (p, "INSERT INTO model_train_images (model_id, image_id, rev,"
                                    " label_sha1) SELECT ?1, ?2, -1, '' WHERE NOT EXISTS"
                                    " (SELECT 1 FROM model_train_images WHERE model_id = ?1"
                                    "  AND image_id = ?2)", error);
  if (ins == NULL)
    return FALSE;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, listed);
  while (g_hash_table_iter_next (&it, &key, NULL))
    {
      sqlite3_reset (ins);
      sqlite3_bind_int64 (ins, 1, id);
      sqlite3_bind_int64 (ins, 2, *(gint64 *) key);
      if (!db_step_done (p, ins, error, "cannot record the model's training images"))
        return FALSE;
    }
  return TRUE;
}

/* The trained_on of stored version id, read from its weights' safetensors header alone (the
 * file was checked completely when it was stored); NULL with no error when it has none. */
static char *
stored_trained_on (RlProject *p, gint64 id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT substr(weights, 1, 8) FROM models WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_bytes (stmt, 0) != 8)
    {
      db_fail (p, error, "cannot read a model's header");
      return NULL;
    }
  const guint8 *b = sqlite3_column_blob (stmt, 0);
  guint64 hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = hlen << 8 | b[i];   /* little-endian, as the format says */
  g_clear_pointer (&stmt, sqlite3_finalize);
  stmt = db_prepare (p, "SELECT substr(weights, 9, ?) FROM models WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) MIN (hlen, G_MAXINT32));
  sqlite3_bind_int64 (stmt, 2, id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      db_fail (p, error, "cannot read a model's header");
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, sqlite3_column_blob (stmt, 0),
                                   sqlite3_column_bytes (stmt, 0), NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;   /* checked when stored: not reached */
  JsonObject *meta = json_object_get_object_member (
    json_node_get_object (json_parser_get_root (parser)), "__metadata__");
  const char *list = meta != NULL && json_object_has_member (meta, "trained_on")
                       ? json_object_get_string_member (meta, "trained_on") : NULL;
  return g_strdup (list);
}

gboolean
rl_project_record_trained_on (RlProject *project, GError **error)
{
  RlProject *p = project;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  {
    g_autoptr (sqlite3_stmt) stmt = db_prepare (p, "SELECT id FROM models", error);
    if (stmt == NULL)
      return FALSE;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_array_append_val (ids, (gint64) { sqlite3_column_int64 (stmt, 0) });
    if (rc != SQLITE_DONE)
      return db_fail (p, error, "cannot list the models");
  }
  if (ids->len == 0)
    return TRUE;
  if (!tx_begin (p, error))
    return FALSE;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < ids->len; i++)
    {
      g_autoptr (GError) local = NULL;
      gint64 id = g_array_index (ids, gint64, i);
      g_autofree char *list = stored_trained_on (p, id, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          ok = FALSE;
        }
      else if (list != NULL)
        ok = record_file_trained_on (p, id, list, error);
    }
  return tx_end (p, ok, error);
}

RlModel *
rl_project_load_model (RlProject *project, gint64 model_id, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("relabel-model-XXXXXX", error);
  if (dir == NULL)
    return NULL;
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  RlModel *model = NULL;
  if (rl_project_export_model (project, model_id, path, error))
    {
      RlError err = { { 0 } };
      if (rl_model_load (path, &model, &err) != RL_OK)
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                     "%s: model version %" G_GINT64_FORMAT ": %s",
                     rl_project_get_path (project), model_id, err.text);
      else
        rl_model_set_engine_path (model, rl_app_engine_path ());
    }
  g_unlink (path);
  g_rmdir (dir);
  return model;
}

/* ------------------------------------------------------------------------------------------ */
/* Models, predictions, metrics */

static gboolean set_current (RlProject *p, gint64 id, GError **error);

gint64
rl_project_add_model (RlProject *project, const char *name, const char *safetensors_path,
                      gint64 parent_id, const char *config_json, GError **error)
{
  return rl_project_add_model_version (project, name, safetensors_path, parent_id, config_json,
                                       NULL, 0, TRUE, error);
}

gint64
rl_project_find_model_file (RlProject *project, const char *safetensors_path, GError **error)
{
  RlProject *p = project;
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (safetensors_path, &data, &len, &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND, "%s", local->message);
      return 0;
    }
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT id FROM models WHERE length (weights) = ? AND weights = ?"
                   " ORDER BY id DESC LIMIT 1", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, (sqlite3_int64) len);
  sqlite3_bind_blob64 (stmt, 2, data, len, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc != SQLITE_DONE)
    db_fail (p, error, "cannot read the models");
  return 0;
}

gint64
rl_project_add_model_version (RlProject *project, const char *name,
                              const char *safetensors_path, gint64 parent_id,
                              const char *config_json, const RlTrainedImage *trained,
                              guint n_trained, gboolean make_current, GError **error)
{
  RlProject *p = project;
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  /* The weights go into one blob: refuse a file SQLite could not store before reading it whole
   * (a file picked by mistake may be gigabytes). */
  GStatBuf st;
  int max_blob = sqlite3_limit (p->db, SQLITE_LIMIT_LENGTH, -1);
  if (g_stat (safetensors_path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > max_blob)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: too large for a model in a project (%lld bytes, at most %d)",
                   safetensors_path, (long long) st.st_size, max_blob);
      return 0;
    }
  if (!g_file_get_contents (safetensors_path, &data, &len, &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND, "%s", local->message);
      return 0;
    }
  /* validated completely (rl-project-models.c) before it is stored */
  g_autofree char *trained_on = NULL;
  if (!check_model_file (safetensors_path, p->spec, &trained_on, error))
    return 0;
  if (config_json != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, config_json, -1, &local))
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                       "%s: model config is not JSON: %s", p->path, local->message);
          return 0;
        }
    }
  if (!tx_begin (p, error))
    return 0;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "INSERT INTO models (name, parent_id, config, weights, created)"
                   " VALUES (?, ?, ?, ?, ?)", error);
  gboolean ok = stmt != NULL;
  gint64 id = 0;
  g_autofree char *now = now_iso ();
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, name ? name : "model", -1, SQLITE_STATIC);
      if (parent_id > 0)
        sqlite3_bind_int64 (stmt, 2, parent_id);
      if (config_json)
        sqlite3_bind_text (stmt, 3, config_json, -1, SQLITE_STATIC);
      sqlite3_bind_blob64 (stmt, 4, data, len, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, now, -1, SQLITE_STATIC);
      ok = db_step_done (p, stmt, error, "cannot store the model");
      id = sqlite3_last_insert_rowid (p->db);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (ok && n_trained > 0)
    {
      stmt = db_prepare (p, "INSERT INTO model_train_images (model_id, image_id, rev, label_sha1)"
                            " VALUES (?, ?, ?, ?)", error);
      ok = stmt != NULL;
      for (guint i = 0; ok && i < n_trained; i++)
        {
          sqlite3_reset (stmt);
          sqlite3_bind_int64 (stmt, 1, id);
          sqlite3_bind_int64 (stmt, 2, trained[i].image_id);
          sqlite3_bind_int64 (stmt, 3, trained[i].rev);
          sqlite3_bind_text (stmt, 4, trained[i].label_sha1, -1, SQLITE_STATIC);
          ok = db_step_done (p, stmt, error, "cannot record the model's training images");
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  if (ok && trained_on != NULL)
    ok = record_file_trained_on (p, id, trained_on, error);
  if (ok && make_current)
    ok = set_current (p, id, error);
  if (!tx_end (p, ok, error))
    return 0;
  return id;
}

/* Runs a write that names model_id (a row with a foreign key to models): a constraint failure
 * becomes RL_PROJECT_ERROR_NOT_FOUND, "no model with id N". */
static gboolean
step_for_model (RlProject *p, sqlite3_stmt *stmt, gint64 model_id, const char *what,
                GError **error)
{
  if (db_step_done (p, stmt, error, what))
    return TRUE;
  if (sqlite3_errcode (p->db) == SQLITE_CONSTRAINT)
    {
      g_clear_error (error);
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: no model with id %" G_GINT64_FORMAT, p->path, model_id);
    }
  return FALSE;
}

/* Inside a transaction: id becomes the only current model. */
static gboolean
set_current (RlProject *p, gint64 id, GError **error)
{
  /* two statements: the unique index on current = 1 is checked row by row */
  if (!db_exec (p, "UPDATE models SET current = 0 WHERE current = 1", error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt = db_prepare (p, "UPDATE models SET current = 1 WHERE id = ?",
                                              error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return db_step_done (p, stmt, error, "cannot set the current model");
}

/* Inside a transaction: FALSE with RL_PROJECT_ERROR_NOT_FOUND unless the version exists. */
static gboolean
model_exists (RlProject *p, gint64 model_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (p, "SELECT id FROM models WHERE id = ?", model_id, "model", error);
  return stmt != NULL;
}

gboolean
rl_project_set_current_model (RlProject *project, gint64 model_id, GError **error)
{
  RlProject *p = project;
  if (!tx_begin (p, error))
    return FALSE;
  gboolean ok = model_exists (p, model_id, error) && set_current (p, model_id, error);
  return tx_end (p, ok, error);
}

gboolean
rl_project_rename_model (RlProject *project, gint64 model_id, const char *name, GError **error)
{
  RlProject *p = project;
  if (name == NULL || *name == '\0' || strlen (name) > 200 || !g_utf8_validate (name, -1, NULL))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: a version's name must be 1 to 200 bytes of UTF-8", p->path);
      return FALSE;
    }
  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gboolean ok = model_exists (p, model_id, error);
  if (ok)
    ok = (stmt = db_prepare (p, "UPDATE models SET name = ? WHERE id = ?", error)) != NULL;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, model_id);
      ok = db_step_done (p, stmt, error, "cannot rename a model version");
    }
  return tx_end (p, ok, error);
}

gboolean
rl_project_delete_model (RlProject *project, gint64 model_id, GError **error)
{
  RlProject *p = project;
  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (p, "SELECT current FROM models WHERE id = ?", model_id, "model", error);
  gboolean ok = stmt != NULL;
  if (ok && sqlite3_column_int (stmt, 0) != 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: version %" G_GINT64_FORMAT " is the current model: make another "
                   "version current before deleting it", p->path, model_id);
      ok = FALSE;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  /* Its predictions, metrics runs and training-image records go with it (ON DELETE CASCADE);
   * versions fine-tuned from it keep their weights and lose their parent (SET NULL). */
  if (ok)
    ok = (stmt = db_prepare (p, "DELETE FROM models WHERE id = ?", error)) != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, model_id);
      ok = db_step_done (p, stmt, error, "cannot delete a model version");
    }
  return tx_end (p, ok, error);
}

void
rl_metrics_run_free (RlMetricsRun *run)
{
  if (run == NULL)
    return;
  g_free (run->key);
  g_free (run->metrics);
  g_free (run->created);
  g_free (run);
}

GPtrArray *
rl_project_list_metrics_runs (RlProject *project, gint64 model_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (project, "SELECT split, metrics, created FROM metrics_runs r WHERE model_id = ?"
                         " AND id = (SELECT max(id) FROM metrics_runs s"
                         "           WHERE s.model_id = r.model_id AND s.split = r.split)"
                         " ORDER BY split", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, model_id);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_metrics_run_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      RlMetricsRun *run = g_new0 (RlMetricsRun, 1);
      run->key = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      run->metrics = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      run->created = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      g_ptr_array_add (list, run);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (project, error, "cannot read the metrics runs");
      return NULL;
    }
  return g_steal_pointer (&list);
}

void
rl_model_info_free (RlModelInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->config);
  g_free (info->created);
  g_free (info);
}

GPtrArray *
rl_project_list_models (RlProject *project, GError **error)
{
  RlProject *p = project;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT id, name, parent_id, config, created, current,"
                   " (SELECT count(*) FROM model_train_images t WHERE t.model_id = m.id)"
                   " FROM models m ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_model_info_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      RlModelInfo *m = g_new0 (RlModelInfo, 1);
      m->id = sqlite3_column_int64 (stmt, 0);
      m->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      m->parent_id = sqlite3_column_int64 (stmt, 2);
      m->config = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      m->created = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      m->current = sqlite3_column_int (stmt, 5) != 0;
      m->n_trained = (guint) sqlite3_column_int64 (stmt, 6);
      g_ptr_array_add (list, m);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (p, error, "cannot list the models");
      return NULL;
    }
  return g_steal_pointer (&list);
}

GHashTable *
rl_project_model_trained_images (RlProject *project, gint64 model_id, GError **error)
{
  RlProject *p = project;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT image_id, rev FROM model_train_images WHERE model_id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, model_id);
  g_autoptr (GHashTable) set = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 *k = g_new (gint64, 1), *v = g_new (gint64, 1);
      *k = sqlite3_column_int64 (stmt, 0);
      *v = sqlite3_column_int64 (stmt, 1);
      g_hash_table_insert (set, k, v);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (p, error, "cannot read the model's training images");
      return NULL;
    }
  return g_steal_pointer (&set);
}

gboolean
rl_project_get_label_version (RlProject *project, gint64 image_id, gint64 *rev, GError **error)
{
  RlProject *p = project;
  g_auto (ImageRow) row = { 0 };
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  *rev = row.rev;
  return TRUE;
}

gboolean
rl_project_export_model (RlProject *project, gint64 model_id, const char *path, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (project, "SELECT weights FROM models WHERE id = ?", model_id, "model", error);
  if (stmt == NULL)
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (!rl_file_write_atomic (path, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0),
                             &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s", local->message);
      return FALSE;
    }
  return TRUE;
}

gint64
rl_project_current_model (RlProject *project)
{
  gint64 id = 0;
  if (!query_int (project, "SELECT coalesce((SELECT id FROM models WHERE current = 1), 0)", &id,
                  NULL))
    return 0;
  return id;
}

/* The prediction's mIoU and BF (engine/rl-metrics.h, the SegNet paper's definitions) against
 * the current labels at the time the prediction is stored; NaN when undefined (e.g. an
 * unlabelled image, all void). */
static void
score_prediction (RlProject *p, const ImageRow *row, const guint8 *pred, double *miou,
                  double *bf)
{
  *miou = NAN;
  *bf = NAN;
  if (p->spec == NULL)
    return;
  g_autofree guint8 *truth = read_current (p, row, NULL);
  if (truth == NULL)
    return;
  RlImageScores scores;
  if (rl_metrics_image (p->spec->n_classes, p->spec->ignore_index, truth, pred, row->height,
                        row->width, &scores, NULL) != RL_OK)
    return;
  *miou = scores.miou;
  /* An image without any class boundary has BF 0 by definition; keep it unknown instead when
   * the truth is entirely void. */
  *bf = scores.pixels > 0 ? scores.bf : NAN;
}

gboolean
rl_project_set_prediction (RlProject *project, gint64 image_id, gint64 model_id,
                           const guint8 *mask, int width, int height, GError **error)
{
  RlProject *p = project;
  g_auto (ImageRow) row = { 0 };
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  if (width != row.width || height != row.height)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: prediction for '%s' is %dx%d, the image is %dx%d", p->path, row.name,
                   width, height, row.width, row.height);
      return FALSE;
    }
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) png = rl_mask_png_encode (width, height, mask, &local);
  if (png == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s", p->path,
                   local->message);
      return FALSE;
    }
  double miou = NAN, bf = NAN;
  score_prediction (p, &row, mask, &miou, &bf);

  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "INSERT OR REPLACE INTO predictions (image_id, model_id, png, miou, bf,"
                   " created) VALUES (?, ?, ?, ?, ?, ?)", error);
  gboolean ok = stmt != NULL;
  g_autofree char *now = now_iso ();
  if (ok)
    {
      gsize len = 0;
      const void *data = g_bytes_get_data (png, &len);
      sqlite3_bind_int64 (stmt, 1, image_id);
      sqlite3_bind_int64 (stmt, 2, model_id);
      sqlite3_bind_blob64 (stmt, 3, data, len, SQLITE_STATIC);
      if (isfinite (miou))
        sqlite3_bind_double (stmt, 4, miou);
      if (isfinite (bf))
        sqlite3_bind_double (stmt, 5, bf);
      sqlite3_bind_text (stmt, 6, now, -1, SQLITE_STATIC);
      ok = step_for_model (p, stmt, model_id, "cannot store a prediction", error);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  return tx_end (p, ok, error);
}

gboolean
rl_project_rescore_prediction (RlProject *project, gint64 image_id, double *miou, double *bf,
                               gboolean *stored, GError **error)
{
  RlProject *p = project;
  g_auto (ImageRow) row = { 0 };
  double m = NAN, b = NAN;
  gint64 model_id = 0;
  guint8 *pred = NULL;

  if (miou != NULL)
    *miou = NAN;
  if (bf != NULL)
    *bf = NAN;
  if (stored != NULL)
    *stored = FALSE;
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  /* One transaction: the prediction scored is the one whose row is updated. */
  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT model_id, png FROM predictions WHERE image_id = ?"
                   PREDICTION_ORDER, error);
  gboolean ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, image_id);
      int rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          model_id = sqlite3_column_int64 (stmt, 0);
          ok = decode_mask (p, sqlite3_column_blob (stmt, 1), sqlite3_column_bytes (stmt, 1),
                            row.width, row.height, "prediction", &pred, error);
        }
      else if (rc != SQLITE_DONE)
        ok = db_fail (p, error, "cannot read a prediction");
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (ok && pred != NULL)
    {
      score_prediction (p, &row, pred, &m, &b);
      stmt = db_prepare (p, "UPDATE predictions SET miou = ?, bf = ?"
                            " WHERE image_id = ? AND model_id = ?", error);
      ok = stmt != NULL;
      if (ok)
        {
          if (isfinite (m))
            sqlite3_bind_double (stmt, 1, m);
          if (isfinite (b))
            sqlite3_bind_double (stmt, 2, b);
          sqlite3_bind_int64 (stmt, 3, image_id);
          sqlite3_bind_int64 (stmt, 4, model_id);
          ok = db_step_done (p, stmt, error, "cannot store a prediction's scores");
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  g_free (pred);
  if (!tx_end (p, ok, error))
    return FALSE;
  if (model_id != 0)
    {
      if (miou != NULL)
        *miou = m;
      if (bf != NULL)
        *bf = b;
      if (stored != NULL)
        *stored = TRUE;
    }
  return TRUE;
}

gboolean
rl_project_add_metrics (RlProject *project, gint64 model_id, const char *split,
                        const char *metrics_json, GError **error)
{
  RlProject *p = project;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (metrics_json == NULL || !json_parser_load_from_data (parser, metrics_json, -1, &local)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: metrics are not a JSON object%s%s", p->path, local ? ": " : "",
                   local ? local->message : "");
      return FALSE;
    }
  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "INSERT INTO metrics_runs (model_id, split, metrics, created)"
                   " VALUES (?, ?, ?, ?)", error);
  gboolean ok = stmt != NULL;
  g_autofree char *now = now_iso ();
  if (ok)
    {
      if (model_id > 0)
        sqlite3_bind_int64 (stmt, 1, model_id);
      sqlite3_bind_text (stmt, 2, split ? split : "", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, metrics_json, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, now, -1, SQLITE_STATIC);
      ok = step_for_model (p, stmt, model_id, "cannot store metrics", error);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  return tx_end (p, ok, error);
}

char *
rl_project_get_metrics (RlProject *project, gint64 model_id, const char *split)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (project, "SELECT metrics FROM metrics_runs WHERE model_id IS ? AND split = ?"
                         " ORDER BY id DESC LIMIT 1", NULL);
  if (stmt == NULL)
    return NULL;
  if (model_id > 0)
    sqlite3_bind_int64 (stmt, 1, model_id);
  sqlite3_bind_text (stmt, 2, split ? split : "", -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}
