/* The project store: one SQLite file with the dataset's images, original and current masks
 * (8-bit PNG blobs), the undoable edit history (compressed pixel diffs), models and metrics. */
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

/* 'RLBL': marks the file as a Relabel project (PRAGMA application_id). */
#define RL_APPLICATION_ID 0x524C424C

G_DEFINE_QUARK (rl-project-error-quark, rl_project_error)

/* ------------------------------------------------------------------------------------------ */
/* Schema: migrations[i] takes user_version i to i + 1, each in its own transaction. */

/* An image left "corrected" (status 2) with none of a person's steps applied gets the status its
 * history gives (status_at in rl-project-edits.c): pre-labelled with a step applied or the
 * dataset's labels, else unlabelled. Undo used to leave such images behind. */
#define STALE_CORRECTED_TO_HISTORY \
  "UPDATE images SET status = CASE WHEN edit_pos > 0 OR has_original THEN 1 ELSE 0 END" \
  "  WHERE status = 2 AND NOT EXISTS (SELECT 1 FROM edits e WHERE e.image_id = images.id" \
  "                                   AND e.seq <= images.edit_pos AND e.human = 1);"

static const char *const migrations[] = {
  /* 0 -> 1 */
  "CREATE TABLE project ("
  "  key TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL);"
  "CREATE TABLE images ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  split TEXT NOT NULL,"
  "  rel_path TEXT NOT NULL,"
  "  label_rel_path TEXT,"
  "  width INTEGER NOT NULL CHECK (width > 0),"
  "  height INTEGER NOT NULL CHECK (height > 0),"
  "  sha1 TEXT NOT NULL,"
  "  has_original INTEGER NOT NULL DEFAULT 0,"
  "  status INTEGER NOT NULL DEFAULT 0,"
  "  missing INTEGER NOT NULL DEFAULT 0,"
  "  edit_pos INTEGER NOT NULL DEFAULT 0,"   /* seq of the last applied edit, 0: none */
  "  rev INTEGER NOT NULL DEFAULT 0,"        /* bumped whenever the current mask changes */
  "  added TEXT NOT NULL);"
  "CREATE TABLE masks ("                     /* kind 0: current, 1: original (never updated) */
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  kind INTEGER NOT NULL,"
  "  png BLOB NOT NULL,"
  "  PRIMARY KEY (image_id, kind));"
  "CREATE TABLE edits ("
  "  id INTEGER PRIMARY KEY,"
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  seq INTEGER NOT NULL,"
  "  tool TEXT NOT NULL,"
  "  n_changed INTEGER NOT NULL,"
  "  diff BLOB NOT NULL,"
  "  created TEXT NOT NULL,"
  "  UNIQUE (image_id, seq));"
  "CREATE TABLE models ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  parent_id INTEGER REFERENCES models (id) ON DELETE SET NULL,"
  "  config TEXT,"
  "  weights BLOB NOT NULL,"
  "  created TEXT NOT NULL);"
  "CREATE TABLE predictions ("
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,"
  "  png BLOB NOT NULL,"
  "  miou REAL,"
  "  bf REAL,"
  "  created TEXT NOT NULL,"
  "  PRIMARY KEY (image_id, model_id));"
  "CREATE TABLE metrics_runs ("
  "  id INTEGER PRIMARY KEY,"
  "  model_id INTEGER REFERENCES models (id) ON DELETE CASCADE,"
  "  split TEXT NOT NULL,"
  "  metrics TEXT NOT NULL,"
  "  created TEXT NOT NULL);"
  "CREATE INDEX metrics_runs_model ON metrics_runs (model_id, split);"
  "PRAGMA application_id = 1380729420;",
  /* 1 -> 2: the current model is chosen explicitly (a retrained version that scored worse on
   * held-out images is kept but not made current); until then the newest one was current.
   * model_train_images: exactly which images, and which label version of each (the mask
   * revision and a SHA-1 of its pixels), a version was trained on, so its scores on them can be
   * marked in-sample. Rows with revision -1 and an empty SHA-1 (since 2026-12-07) are images its
   * file's trained_on lists: learnt before the model entered the project, from labels it does
   * not know. */
  "ALTER TABLE models ADD COLUMN current INTEGER NOT NULL DEFAULT 0;"
  "UPDATE models SET current = 1 WHERE id = (SELECT max(id) FROM models);"
  "CREATE UNIQUE INDEX models_one_current ON models (current) WHERE current = 1;"
  "CREATE TABLE model_train_images ("
  "  model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,"
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  rev INTEGER NOT NULL,"
  "  label_sha1 TEXT NOT NULL,"
  "  PRIMARY KEY (model_id, image_id));"
  "CREATE INDEX model_train_images_image ON model_train_images (image_id);",
  /* 2 -> 3: suspected label errors (rl-suspects.c). conf: the prediction's 8-bit softmax
   * confidences (rl-suspects.c's format), conf_stats: its per-class threshold sums; both NULL
   * until stored, and a prediction stored again (INSERT OR REPLACE) drops them with the row.
   * suspects: the ranked queue as last computed; suspect_dismissals: regions marked "not an
   * error", matched again by class pair and bounding box. */
  "ALTER TABLE predictions ADD COLUMN conf BLOB;"
  "ALTER TABLE predictions ADD COLUMN conf_stats BLOB;"
  "CREATE TABLE suspects ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"   /* an id never names another region later */
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,"
  "  image_rev INTEGER NOT NULL,"
  "  labelled INTEGER NOT NULL,"
  "  suggested INTEGER NOT NULL,"
  "  kind INTEGER NOT NULL,"
  "  pixels INTEGER NOT NULL,"
  "  x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,"
  "  score REAL NOT NULL);"
  "CREATE INDEX suspects_rank ON suspects (kind, score DESC);"
  "CREATE INDEX suspects_image ON suspects (image_id);"
  "CREATE TABLE suspect_dismissals ("
  "  id INTEGER PRIMARY KEY,"
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  labelled INTEGER NOT NULL,"
  "  suggested INTEGER NOT NULL,"
  "  x INTEGER NOT NULL, y INTEGER NOT NULL, w INTEGER NOT NULL, h INTEGER NOT NULL,"
  "  pixels INTEGER NOT NULL,"
  "  created TEXT NOT NULL);"
  "CREATE INDEX suspect_dismissals_image ON suspect_dismissals (image_id);",
  /* 3 -> 4: accepted suggestions, by class pair: with the dismissals they are the annotator's
   * answers, from which the queue learns which class pairs hold this project's errors
   * (rl-project-suspects.c, "The queue learns from the answers"). */
  "CREATE TABLE suspect_accepts ("
  "  id INTEGER PRIMARY KEY,"
  "  image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,"
  "  labelled INTEGER NOT NULL,"
  "  suggested INTEGER NOT NULL,"
  "  pixels INTEGER NOT NULL,"
  "  created TEXT NOT NULL);",
  /* 4 -> 5: which steps of an image's history a person made (human = 1) and which took the
   * model's prediction (0): the image's status follows undo and redo (corrected while a human
   * step is applied; rl-project-edits.c). Steps from before: by their tool's name. */
  "ALTER TABLE edits ADD COLUMN human INTEGER NOT NULL DEFAULT 1;"
  "UPDATE edits SET human = 0 WHERE tool IN ('accept-prediction', 'accept-prediction-region');"
  STALE_CORRECTED_TO_HISTORY,
  /* 5 -> 6: "reviewed" belongs to a point of the image's history: reviewed_pos is the edit_pos
   * at which a person marked the image reviewed (NULL: not marked, or that point was dropped
   * with a redo tail). Undo or redo back to it makes the image reviewed again; elsewhere the
   * history gives the status (status_at). Images reviewed before: at their present position.
   * The release that introduced format 5 upgraded without recomputing stale statuses, so its
   * projects get that here. */
  "ALTER TABLE images ADD COLUMN reviewed_pos INTEGER;"
  "UPDATE images SET reviewed_pos = edit_pos WHERE status = 3;"
  STALE_CORRECTED_TO_HISTORY,
};

#define SCHEMA_VERSION ((int) G_N_ELEMENTS (migrations))
G_STATIC_ASSERT (RL_APPLICATION_ID == 1380729420);

/* ------------------------------------------------------------------------------------------ */
/* Small SQLite helpers: every failure becomes a GError naming the project file. */

/* SQLite's message, on one line: it may quote a damaged file's own schema text, newlines and
 * all. g_free() it. */
static char *
db_errmsg (sqlite3 *db)
{
  char *m = g_strdup (db != NULL ? sqlite3_errmsg (db) : "out of memory");
  for (char *c = m; *c != '\0'; c++)
    if (g_ascii_iscntrl (*c))
      *c = ' ';
  return m;
}

gboolean
db_fail (RlProject *p, GError **error, const char *what)
{
  int code = sqlite3_errcode (p->db);
  RlProjectError e = RL_PROJECT_ERROR_DB;
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
    e = RL_PROJECT_ERROR_OPEN;
  else if (code == SQLITE_READONLY)
    e = RL_PROJECT_ERROR_READONLY;
  g_autofree char *why = db_errmsg (p->db);
  g_set_error (error, RL_PROJECT_ERROR, e, "%s: %s: %s", p->path, what, why);
  return FALSE;
}

sqlite3_stmt *
db_prepare (RlProject *p, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v3 (p->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      db_fail (p, error, "cannot prepare a query");
      return NULL;
    }
  return stmt;
}

/* Prepares sql (one "?" for the id), binds id and steps: the statement on its row, or NULL with
 * RL_PROJECT_ERROR_NOT_FOUND ("no <thing> with id N") or a database error. */
sqlite3_stmt *
select_by_id (RlProject *p, const char *sql, gint64 id, const char *thing, GError **error)
{
  sqlite3_stmt *stmt = db_prepare (p, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return stmt;
  if (rc == SQLITE_DONE)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: no %s with id %" G_GINT64_FORMAT, p->path, thing, id);
  else
    {
      g_autofree char *what = g_strdup_printf ("cannot read the %s", thing);
      db_fail (p, error, what);
    }
  sqlite3_finalize (stmt);
  return NULL;
}

gboolean
db_exec (RlProject *p, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec (p->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      RlProjectError e = RL_PROJECT_ERROR_DB;
      int code = sqlite3_errcode (p->db);
      if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        e = RL_PROJECT_ERROR_OPEN;
      else if (code == SQLITE_READONLY)
        e = RL_PROJECT_ERROR_READONLY;
      g_set_error (error, RL_PROJECT_ERROR, e, "%s: %s", p->path, msg ? msg : "SQLite error");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

/* Runs a statement that returns no row. */
gboolean
db_step_done (RlProject *p, sqlite3_stmt *stmt, GError **error, const char *what)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (p, error, what);
  return TRUE;
}

gboolean
tx_begin (RlProject *p, GError **error)
{
  return db_exec (p, "BEGIN IMMEDIATE", error);
}

/* Ends a transaction: commits when ok, otherwise (or when the commit fails) rolls back.
 * Returns the final success. The one exit path of every write. */
gboolean
tx_end (RlProject *p, gboolean ok, GError **error)
{
  if (ok && db_exec (p, "COMMIT", error))
    return TRUE;
  if (!sqlite3_get_autocommit (p->db))
    sqlite3_exec (p->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

char *
now_iso (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format_iso8601 (now);
}

void
cache_drop (RlProject *p)
{
  p->cache_image = 0;
  g_clear_pointer (&p->cache_mask, g_free);
}

/* ------------------------------------------------------------------------------------------ */
/* Opening */

static gboolean
check_writable (const char *path, gboolean exists, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  if (exists)
    {
      GStatBuf st;
      if (g_stat (path, &st) != 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN, "%s: %s", path,
                       g_strerror (errno));
          return FALSE;
        }
      if (S_ISDIR (st.st_mode))
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                       "%s: is a folder, not a project file", path);
          return FALSE;
        }
      /* The file's own permission bits count even for root: a file marked read-only is not
       * edited behind its owner's back. */
      if (access (path, W_OK) != 0 || (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_READONLY,
                       "%s: the project file is read-only", path);
          return FALSE;
        }
    }
  else if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                   "%s: folder %s does not exist", path, dir);
      return FALSE;
    }
  /* WAL needs the -wal and -shm files next to the project. */
  if (access (dir, W_OK) != 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_READONLY,
                   "%s: folder %s is not writable", path, dir);
      return FALSE;
    }
  return TRUE;
}

/* Reads the first 16 bytes: an SQLite file starts with "SQLite format 3\0". Empty files are
 * allowed only when creating. */
static gboolean
check_header (const char *path, gboolean create, gboolean *empty, GError **error)
{
  /* stat(), never open(): closing any descriptor of a database file drops every POSIX lock
   * this process holds on it, including those of connections already open, which lets another
   * process checkpoint and delete the WAL under them. SQLite itself reports a file that is not
   * a database (SQLITE_NOTADB) on the first query. */
  GStatBuf st;
  if (g_stat (path, &st) != 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN, "%s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  *empty = st.st_size == 0;
  if (*empty && !create)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                   "%s: not a Relabel project (an empty file)", path);
      return FALSE;
    }
  return TRUE;
}

gboolean
query_int (RlProject *p, const char *sql, gint64 *out, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = db_prepare (p, sql, error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return db_fail (p, error, "cannot read the file");
  *out = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
migrate (RlProject *p, int from, GError **error)
{
  for (int v = from; v < SCHEMA_VERSION; v++)
    {
      if (!tx_begin (p, error))
        return FALSE;
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", v + 1);
      gboolean ok = db_exec (p, migrations[v], error) && db_exec (p, bump, error);
      if (!tx_end (p, ok, error))
        {
          g_prefix_error (error, "schema upgrade to version %d failed: ", v + 1);
          return FALSE;
        }
    }
  return TRUE;
}

static char *
meta_get (RlProject *p, const char *key)
{
  g_autoptr (sqlite3_stmt) stmt = db_prepare (p, "SELECT value FROM project WHERE key = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

gboolean
meta_set (RlProject *p, const char *key, const char *value, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "INSERT OR REPLACE INTO project (key, value) VALUES (?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return db_step_done (p, stmt, error, "cannot write the project description");
}

gboolean
load_meta (RlProject *p, GError **error)
{
  g_clear_pointer (&p->kind, g_free);
  g_clear_pointer (&p->root, g_free);
  g_clear_pointer (&p->spec, rl_class_spec_free);
  p->kind = meta_get (p, "kind");
  p->root = meta_get (p, "root");
  g_autofree char *spec = meta_get (p, "class_spec");
  if (spec != NULL)
    {
      g_autoptr (GError) local = NULL;
      p->spec = rl_class_spec_from_json (spec, &local);
      if (p->spec == NULL)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                       "%s: the stored class spec is unreadable: %s", p->path, local->message);
          return FALSE;
        }
    }
  return TRUE;
}

RlProject *
rl_project_open (const char *path, gboolean create, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);
  if (!exists && !create)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                   "%s: no such project file", path);
      return NULL;
    }
  if (!check_writable (path, exists, error))
    return NULL;
  gboolean empty = !exists;
  if (exists && !check_header (path, create, &empty, error))
    return NULL;

  g_autoptr (RlProject) p = g_new0 (RlProject, 1);
  p->path = g_strdup (path);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2 (path, &p->db, flags, NULL) != SQLITE_OK)
    {
      g_autofree char *why = db_errmsg (p->db);
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN, "%s: cannot open: %s", path,
                   why);
      goto fail;
    }
  sqlite3_extended_result_codes (p->db, 0);
  sqlite3_busy_timeout (p->db, 10000);

  /* Read-only checks first: nothing is written to a file that turns out not to be ours. */
  gint64 app_id = 0, version = 0, n_tables = 0;
  {
    GError *local = NULL;
    if (!query_int (p, "PRAGMA application_id", &app_id, &local)
        || !query_int (p, "PRAGMA user_version", &version, &local)
        || !query_int (p, "SELECT count(*) FROM sqlite_master", &n_tables, &local))
      {
        g_autofree char *why = db_errmsg (p->db);
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                     "%s: not a Relabel project (%s)", path, why);
        g_error_free (local);
        goto fail;
      }
  }
  if (app_id != RL_APPLICATION_ID && !(create && app_id == 0 && version == 0 && n_tables == 0))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN,
                   "%s: not a Relabel project (an SQLite database of another program)", path);
      goto fail;
    }
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_VERSION,
                   "%s: written by a newer Relabel (project format %d, this version reads up "
                   "to %d)", path, (int) version, SCHEMA_VERSION);
      goto fail;
    }

  {
    g_autoptr (sqlite3_stmt) stmt = db_prepare (p, "PRAGMA journal_mode = WAL", error);
    if (stmt == NULL)
      goto fail;
    if (sqlite3_step (stmt) != SQLITE_ROW
        || g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") != 0)
      {
        db_fail (p, error, "cannot switch to WAL mode");
        goto fail;
      }
  }
  /* FULL: an edit reported as committed survives a crash or power loss. */
  if (!db_exec (p, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", error))
    goto fail;
  if (!migrate (p, (int) version, error))
    goto fail;
  if (!load_meta (p, error))
    goto fail;
  return g_steal_pointer (&p);

fail:
  {
    gboolean remove = !exists || empty;
    g_clear_pointer (&p, rl_project_close);
    if (remove && !exists)
      {
        /* Do not leave a half-made file behind when creating failed. */
        g_autofree char *wal = g_strconcat (path, "-wal", NULL);
        g_autofree char *shm = g_strconcat (path, "-shm", NULL);
        g_unlink (path);
        g_unlink (wal);
        g_unlink (shm);
      }
  }
  return NULL;
}

void
rl_project_close (RlProject *project)
{
  if (project == NULL)
    return;
  if (project->db != NULL)
    sqlite3_close_v2 (project->db);
  cache_drop (project);
  g_free (project->path);
  g_free (project->kind);
  g_free (project->root);
  rl_class_spec_free (project->spec);
  g_free (project);
}

const char *
rl_project_get_path (RlProject *project)
{
  return project->path;
}

const RlClassSpec *
rl_project_get_class_spec (RlProject *project)
{
  return project->spec;
}

const char *
rl_project_get_dataset_kind (RlProject *project)
{
  return project->kind;
}

const char *
rl_project_get_dataset_root (RlProject *project)
{
  return project->root;
}

/* ------------------------------------------------------------------------------------------ */
/* Images */

void
rl_image_info_free (RlImageInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->split);
  g_free (info->rel_path);
  g_free (info);
}

/* The prediction an image shows: the current model's, else the newest. */

#define IMAGE_COLUMNS \
  "SELECT i.id, i.name, i.split, i.rel_path, i.width, i.height, i.status, i.has_original," \
  " i.missing, i.edit_pos, p.image_id IS NOT NULL, p.miou, p.bf, p.model_id," \
  " EXISTS (SELECT 1 FROM model_train_images t WHERE t.model_id = p.model_id" \
  "         AND t.image_id = i.id)" \
  " FROM images i LEFT JOIN predictions p ON p.image_id = i.id AND p.model_id =" \
  " (SELECT model_id FROM predictions q WHERE q.image_id = i.id" PREDICTION_ORDER ") "

static RlImageInfo *
image_from_row (sqlite3_stmt *stmt)
{
  RlImageInfo *info = g_new0 (RlImageInfo, 1);
  info->id = sqlite3_column_int64 (stmt, 0);
  info->name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  info->split = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  info->rel_path = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  info->width = sqlite3_column_int (stmt, 4);
  info->height = sqlite3_column_int (stmt, 5);
  info->status = (RlImageStatus) sqlite3_column_int (stmt, 6);
  info->has_original = sqlite3_column_int (stmt, 7) != 0;
  info->missing = sqlite3_column_int (stmt, 8) != 0;
  info->n_edits = sqlite3_column_int (stmt, 9);
  info->has_prediction = sqlite3_column_int (stmt, 10) != 0;
  info->pred_miou = sqlite3_column_type (stmt, 11) == SQLITE_NULL
                      ? NAN : sqlite3_column_double (stmt, 11);
  info->pred_bf = sqlite3_column_type (stmt, 12) == SQLITE_NULL
                    ? NAN : sqlite3_column_double (stmt, 12);
  info->pred_model_id = sqlite3_column_int64 (stmt, 13);
  info->pred_in_sample = sqlite3_column_int (stmt, 14) != 0;
  return info;
}

GPtrArray *
rl_project_list_images (RlProject *project, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = db_prepare (project, IMAGE_COLUMNS "ORDER BY i.name", error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_image_info_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (list, image_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      db_fail (project, error, "cannot list images");
      return NULL;
    }
  return g_steal_pointer (&list);
}

RlImageInfo *
rl_project_find_image (RlProject *project, const char *name, GError **error)
{
  /* "0001TP_006690" or "0001TP_006690.png": a name with an extension that is not itself an
   * image's name is looked up without it */
  g_autofree char *stem = NULL;
  const char *dot = strrchr (name, '.');
  if (dot != NULL && dot != name && strchr (dot, '/') == NULL)
    stem = g_strndup (name, dot - name);
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (project, IMAGE_COLUMNS "WHERE i.name = ?1 OR i.name = ?2 ORDER BY i.name = ?1 DESC",
                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, stem ? stem : name, -1, SQLITE_STATIC);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return image_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: no image named '%s'", project->path, name);
  else
    db_fail (project, error, "cannot read images");
  return NULL;
}

RlImageInfo *
rl_project_get_image (RlProject *project, gint64 image_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (project, IMAGE_COLUMNS "WHERE i.id = ?", image_id, "image", error);
  return stmt != NULL ? image_from_row (stmt) : NULL;
}

char *
rl_project_image_path (RlProject *project, gint64 image_id)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (project, "SELECT rel_path FROM images WHERE id = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, image_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  const char *rel = (const char *) sqlite3_column_text (stmt, 0);
  if (g_path_is_absolute (rel) || project->root == NULL)
    return g_strdup (rel);
  return g_build_filename (project->root, rel, NULL);
}

gboolean
rl_project_load_rgb (RlProject *project, gint64 image_id, int *width, int *height,
                     guint8 **rgb, GError **error)
{
  g_autoptr (RlImageInfo) info = rl_project_get_image (project, image_id, error);
  if (info == NULL)
    return FALSE;
  g_autofree char *path = rl_project_image_path (project, image_id);
  g_autoptr (GError) local = NULL;
  int w = 0, h = 0;
  g_autofree guint8 *pix = NULL;
  if (!rl_image_read_rgb (path, &w, &h, &pix, &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET, "%s", local->message);
      return FALSE;
    }
  if (w != info->width || h != info->height)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET,
                   "%s: image is now %dx%d, it was %dx%d when imported", path, w, h,
                   info->width, info->height);
      return FALSE;
    }
  *width = w;
  *height = h;
  *rgb = g_steal_pointer (&pix);
  return TRUE;
}

static char *
sha1_of_file (const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) data, len);
}

guint
rl_project_check_files (RlProject *project, GError **error)
{
  g_autoptr (sqlite3_stmt) sel =
    db_prepare (project, "SELECT id, sha1, missing FROM images ORDER BY id", error);
  if (sel == NULL)
    return 0;
  g_autoptr (GArray) flips = g_array_new (FALSE, FALSE, sizeof (gint64) * 2);
  guint n_missing = 0;
  int rc;
  while ((rc = sqlite3_step (sel)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (sel, 0);
      const char *sha1 = (const char *) sqlite3_column_text (sel, 1);
      gboolean was = sqlite3_column_int (sel, 2) != 0;
      g_autofree char *path = rl_project_image_path (project, id);
      g_autofree char *now = path ? sha1_of_file (path, NULL) : NULL;
      gboolean missing = now == NULL || g_strcmp0 (now, sha1) != 0;
      n_missing += missing;
      if (missing != was)
        {
          gint64 pair[2] = { id, missing };
          g_array_append_val (flips, pair);
        }
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (project, error, "cannot read images");
      return 0;
    }
  g_clear_pointer (&sel, sqlite3_finalize);
  if (flips->len == 0)
    return n_missing;

  if (!tx_begin (project, error))
    return 0;
  gboolean ok = TRUE;
  g_autoptr (sqlite3_stmt) upd =
    db_prepare (project, "UPDATE images SET missing = ? WHERE id = ?", error);
  ok = upd != NULL;
  for (guint k = 0; ok && k < flips->len; k++)
    {
      gint64 *pair = &g_array_index (flips, gint64, 2 * k);
      sqlite3_reset (upd);
      sqlite3_bind_int (upd, 1, (int) pair[1]);
      sqlite3_bind_int64 (upd, 2, pair[0]);
      ok = db_step_done (project, upd, error, "cannot flag missing images");
    }
  g_clear_pointer (&upd, sqlite3_finalize);
  if (!tx_end (project, ok, error))
    return 0;
  return n_missing;
}

/* ------------------------------------------------------------------------------------------ */
/* Masks */

gboolean
decode_mask (RlProject *p, const void *blob, gsize len, int want_w, int want_h, const char *what,
             guint8 **out, GError **error)
{
  g_autoptr (GError) local = NULL;
  int w = 0, h = 0;
  g_autofree guint8 *mask = NULL;
  if (!rl_label_decode (blob, len, what, &w, &h, &mask, &local))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: %s", p->path,
                   local->message);
      return FALSE;
    }
  if (w != want_w || h != want_h)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                   "%s: stored %s is %dx%d, expected %dx%d", p->path, what, w, h, want_w,
                   want_h);
      return FALSE;
    }
  *out = g_steal_pointer (&mask);
  return TRUE;
}


gboolean
read_image_row (RlProject *p, gint64 image_id, ImageRow *row, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (p, "SELECT width, height, status, edit_pos, rev, name FROM images WHERE id = ?",
                  image_id, "image", error);
  if (stmt == NULL)
    return FALSE;
  row->id = image_id;
  row->width = sqlite3_column_int (stmt, 0);
  row->height = sqlite3_column_int (stmt, 1);
  row->status = sqlite3_column_int (stmt, 2);
  row->edit_pos = sqlite3_column_int64 (stmt, 3);
  row->rev = sqlite3_column_int64 (stmt, 4);
  row->name = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  return TRUE;
}

/* The current mask of row (a new copy), from the cache when it is still valid. */
guint8 *
read_current (RlProject *p, const ImageRow *row, GError **error)
{
  gsize n = (gsize) row->width * row->height;
  if (p->cache_mask != NULL && p->cache_image == row->id && p->cache_rev == row->rev
      && p->cache_width == row->width && p->cache_height == row->height)
    return g_memdup2 (p->cache_mask, n);
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT png FROM masks WHERE image_id = ? AND kind = 0", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, row->id);
  int rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                     "%s: image '%s' has no current mask", p->path, row->name);
      else
        db_fail (p, error, "cannot read a mask");
      return NULL;
    }
  guint8 *mask = NULL;
  if (!decode_mask (p, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0),
                    row->width, row->height, "current mask", &mask, error))
    return NULL;
  cache_drop (p);
  p->cache_image = row->id;
  p->cache_rev = row->rev;
  p->cache_width = row->width;
  p->cache_height = row->height;
  p->cache_mask = g_memdup2 (mask, n);
  return mask;
}

/* Steps stmt (prepared and bound, selecting one PNG blob) and decodes the row's mask; *found is
 * FALSE (no error set) when it selected nothing. */
static guint8 *
step_mask (RlProject *p, const ImageRow *row, sqlite3_stmt *stmt, const char *what,
           gboolean *found, GError **error)
{
  int rc = sqlite3_step (stmt);
  *found = rc != SQLITE_DONE;
  if (rc == SQLITE_DONE)
    return NULL;
  if (rc != SQLITE_ROW)
    return db_fail (p, error, "cannot read a mask"), NULL;
  guint8 *out = NULL;
  if (!decode_mask (p, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0),
                    row->width, row->height, what, &out, error))
    return NULL;
  return out;
}

/* The original mask or the prediction shown (RL_MASK_ORIGINAL / RL_MASK_PREDICTION) of row, a new
 * copy; NULL with NOT_FOUND when there is none. */
guint8 *
read_other (RlProject *p, const ImageRow *row, RlMaskKind kind, GError **error)
{
  const char *sql = kind == RL_MASK_ORIGINAL
    ? "SELECT png FROM masks WHERE image_id = ? AND kind = 1"
    : "SELECT png FROM predictions WHERE image_id = ?" PREDICTION_ORDER;
  const char *what = kind == RL_MASK_ORIGINAL ? "original mask" : "prediction";
  g_autoptr (sqlite3_stmt) stmt = db_prepare (p, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, row->id);
  gboolean found = FALSE;
  guint8 *out = step_mask (p, row, stmt, what, &found, error);
  if (!found)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: image '%s' has no %s", p->path, row->name, what);
  return out;
}

gboolean
rl_project_get_mask (RlProject *project, gint64 image_id, RlMaskKind kind, int *width,
                     int *height, guint8 **mask, GError **error)
{
  RlProject *p = project;
  g_auto (ImageRow) row = { 0 };
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  guint8 *out = kind == RL_MASK_CURRENT ? read_current (p, &row, error)
                                        : read_other (p, &row, kind, error);
  if (out == NULL)
    return FALSE;
  *width = row.width;
  *height = row.height;
  *mask = out;
  return TRUE;
}

gboolean
rl_project_get_model_prediction (RlProject *project, gint64 image_id, gint64 model_id,
                                 int *width, int *height, guint8 **mask, GError **error)
{
  RlProject *p = project;
  g_auto (ImageRow) row = { 0 };
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT png FROM predictions WHERE image_id = ? AND model_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, image_id);
  sqlite3_bind_int64 (stmt, 2, model_id);
  gboolean found = FALSE;
  guint8 *out = step_mask (p, &row, stmt, "prediction", &found, error);
  if (!found)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: image '%s' has no prediction of version %" G_GINT64_FORMAT, p->path,
                 row.name, model_id);
  if (out == NULL)
    return FALSE;
  *width = row.width;
  *height = row.height;
  *mask = out;
  return TRUE;
}
