/* The project store: one SQLite file with the dataset's images, original and current masks
 * (8-bit PNG blobs), the undoable edit history (compressed pixel diffs), models and metrics. */
#include "rl-project.h"

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

#define MASK_CURRENT 0
#define MASK_ORIGINAL 1

G_DEFINE_QUARK (rl-project-error-quark, rl_project_error)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

struct _RlProject
{
  sqlite3 *db;
  char *path;
  char *kind;
  char *root;
  RlClassSpec *spec;

  /* The last current mask read or written, valid while images.rev matches: a stroke commit
   * then costs no PNG decode. */
  gint64 cache_image;
  gint64 cache_rev;
  int cache_width, cache_height;
  guint8 *cache_mask;
};

/* ------------------------------------------------------------------------------------------ */
/* Schema: migrations[i] takes user_version i to i + 1, each in its own transaction. */

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
   * marked in-sample. */
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

static gboolean
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

static sqlite3_stmt *
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
static sqlite3_stmt *
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

static gboolean
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
static gboolean
db_step_done (RlProject *p, sqlite3_stmt *stmt, GError **error, const char *what)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (p, error, what);
  return TRUE;
}

static gboolean
tx_begin (RlProject *p, GError **error)
{
  return db_exec (p, "BEGIN IMMEDIATE", error);
}

/* Ends a transaction: commits when ok, otherwise (or when the commit fails) rolls back.
 * Returns the final success. The one exit path of every write. */
static gboolean
tx_end (RlProject *p, gboolean ok, GError **error)
{
  if (ok && db_exec (p, "COMMIT", error))
    return TRUE;
  if (!sqlite3_get_autocommit (p->db))
    sqlite3_exec (p->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static char *
now_iso (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  return g_date_time_format_iso8601 (now);
}

static void
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

static gboolean
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

static gboolean
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

static gboolean
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
#define PREDICTION_ORDER \
  " ORDER BY model_id = (SELECT id FROM models WHERE current = 1) DESC, model_id DESC LIMIT 1"

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
  if (n_added)
    *n_added = added;
  if (problems)
    *problems = g_steal_pointer (&probs);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Masks */

static gboolean
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

typedef struct
{
  gint64 id;
  int width, height;
  int status;
  gint64 edit_pos;
  gint64 rev;
  char *name;
} ImageRow;

static void
image_row_clear (ImageRow *row)
{
  g_clear_pointer (&row->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImageRow, image_row_clear)

static gboolean
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
static guint8 *
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

/* The original mask or the prediction shown (RL_MASK_ORIGINAL / RL_MASK_PREDICTION) of row, a new
 * copy; NULL with NOT_FOUND when there is none. */
static guint8 *
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
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: image '%s' has no %s", p->path, row->name, what);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    return db_fail (p, error, "cannot read a mask"), NULL;
  guint8 *out = NULL;
  if (!decode_mask (p, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0),
                    row->width, row->height, what, &out, error))
    return NULL;
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
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: image '%s' has no prediction of version %" G_GINT64_FORMAT, p->path,
                   row.name, model_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return db_fail (p, error, "cannot read a prediction");
  guint8 *out = NULL;
  if (!decode_mask (p, sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), row.width,
                    row.height, "prediction", &out, error))
    return FALSE;
  *width = row.width;
  *height = row.height;
  *mask = out;
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Edit diffs: the changed pixels as runs (varint gap, varint length, old bytes, new bytes),
 * zlib-compressed. Exact in both directions, a few hundred bytes for a brush stroke. */

#define DIFF_MAGIC "RLD1"

static void
put_varint (GByteArray *out, guint64 v)
{
  do
    {
      guint8 b = v & 0x7f;
      v >>= 7;
      if (v)
        b |= 0x80;
      g_byte_array_append (out, &b, 1);
    }
  while (v);
}

static gboolean
get_varint (const guint8 **pos, const guint8 *end, guint64 *v)
{
  guint64 x = 0;
  for (int shift = 0; shift < 64; shift += 7)
    {
      if (*pos >= end)
        return FALSE;
      guint8 b = *(*pos)++;
      x |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        {
          *v = x;
          return TRUE;
        }
    }
  return FALSE;
}

/* max_out (0: no limit) stops a decompression bomb before it is held in memory. */
static GBytes *
zlib_convert (GConverter *conv, const guint8 *in, gsize len, gsize max_out, GError **error)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  guint8 buf[16384];
  gsize off = 0;
  for (;;)
    {
      gsize r = 0, w = 0;
      GConverterResult res = g_converter_convert (conv, in + off, len - off, buf, sizeof buf,
                                                  G_CONVERTER_INPUT_AT_END, &r, &w, error);
      if (res == G_CONVERTER_ERROR)
        return NULL;
      off += r;
      if (max_out != 0 && w > max_out - out->len)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                       "inflates to more than %" G_GSIZE_FORMAT " bytes", max_out);
          return NULL;
        }
      g_byte_array_append (out, buf, w);
      if (res == G_CONVERTER_FINISHED)
        break;
      if (r == 0 && w == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT, "truncated data");
          return NULL;
        }
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* Returns the compressed diff from old to new (n pixels) and the count of changed pixels. */
static GBytes *
diff_encode (const guint8 *old, const guint8 *new, gsize n, guint *n_changed)
{
  g_autoptr (GByteArray) raw = g_byte_array_new ();
  g_byte_array_append (raw, (const guint8 *) DIFF_MAGIC, 4);
  put_varint (raw, n);
  guint changed = 0;
  gsize prev_end = 0;
  for (gsize k = 0; k < n;)
    {
      if (old[k] == new[k])
        {
          k++;
          continue;
        }
      gsize e = k;
      while (e < n && old[e] != new[e])
        e++;
      put_varint (raw, k - prev_end);
      put_varint (raw, e - k);
      g_byte_array_append (raw, old + k, e - k);
      g_byte_array_append (raw, new + k, e - k);
      changed += e - k;
      prev_end = e;
      k = e;
    }
  *n_changed = changed;
  g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 6);
  return zlib_convert (G_CONVERTER (z), raw->data, raw->len, 0, NULL);
}

/* The longest raw diff of n pixels: magic, the count, then at most n runs of one pixel, each a
 * 10-byte gap, a 10-byte length and its old and new byte. */
#define DIFF_MAX_RAW(n) (4 + 10 + (n) * (gsize) 22)

/* Applies a diff to mask (n pixels): forward (redo) writes the new values where the old ones
 * are, backward (undo) the reverse. Refuses if the mask does not hold the expected values, and
 * a blob that inflates beyond any diff of n pixels (*bomb set) before inflating it all. */
static gboolean
diff_apply (const void *blob, gsize len, guint8 *mask, gsize n, gboolean forward,
            gboolean *bomb)
{
  g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) raw = zlib_convert (G_CONVERTER (z), blob, len, DIFF_MAX_RAW (n), &local);
  *bomb = g_error_matches (local, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  if (raw == NULL)
    return FALSE;
  gsize rlen = 0;
  const guint8 *pos = g_bytes_get_data (raw, &rlen), *end = pos + rlen;
  guint64 total = 0;
  if (rlen < 4 || memcmp (pos, DIFF_MAGIC, 4) != 0)
    return FALSE;
  pos += 4;
  if (!get_varint (&pos, end, &total) || total != n)
    return FALSE;
  g_autofree guint8 *out = g_memdup2 (mask, n);
  gsize at = 0;
  while (pos < end)
    {
      guint64 gap, run;
      if (!get_varint (&pos, end, &gap) || !get_varint (&pos, end, &run))
        return FALSE;
      if (gap > n - at || run > n - at - gap || (gsize) (end - pos) < 2 * run || run == 0)
        return FALSE;
      at += gap;
      const guint8 *from = forward ? pos : pos + run, *to = forward ? pos + run : pos;
      if (memcmp (out + at, from, run) != 0)
        return FALSE;
      memcpy (out + at, to, run);
      at += run;
      pos += 2 * run;
    }
  memcpy (mask, out, n);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Edit steps */

/* Changes mask (row's size) in place; returns FALSE with error to abandon the step. */
typedef gboolean (*EditFunc) (RlProject *p, const ImageRow *row, guint8 *mask, gpointer data,
                              GError **error);

typedef enum
{
  STEP_HUMAN,       /* a human edit: status becomes CORRECTED */
  STEP_PRELABEL,    /* accepted prediction: UNLABELLED becomes PRELABELLED */
} StepKind;

static gboolean
store_current (RlProject *p, const ImageRow *row, const guint8 *mask, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) png = rl_mask_png_encode (row->width, row->height, mask, &local);
  if (png == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: %s", p->path,
                   local->message);
      return FALSE;
    }
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "UPDATE masks SET png = ? WHERE image_id = ? AND kind = 0", error);
  if (stmt == NULL)
    return FALSE;
  gsize len = 0;
  const void *data = g_bytes_get_data (png, &len);
  sqlite3_bind_blob64 (stmt, 1, data, len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, row->id);
  if (!db_step_done (p, stmt, error, "cannot store a mask"))
    return FALSE;
  if (sqlite3_changes (p->db) != 1)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                   "%s: image '%s' has no current mask", p->path, row->name);
      return FALSE;
    }
  return TRUE;
}

/* The body of one step, inside the transaction. On success *out_mask is the new current mask
 * and *out_rev its revision (NULL when nothing changed). */
static gboolean
edit_step_body (RlProject *p, gint64 image_id, const char *tool, StepKind kind, EditFunc fn,
                gpointer data, guint *n_changed, guint8 **out_mask, gint64 *out_rev,
                GError **error)
{
  g_auto (ImageRow) row = { 0 };
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  g_autofree guint8 *old = read_current (p, &row, error);
  if (old == NULL)
    return FALSE;
  gsize n = (gsize) row.width * row.height;
  g_autofree guint8 *new = g_memdup2 (old, n);
  if (!fn (p, &row, new, data, error))
    return FALSE;
  guint changed = 0;
  g_autoptr (GBytes) diff = diff_encode (old, new, n, &changed);
  *n_changed = changed;
  if (changed == 0)
    return TRUE;
  if (diff == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: cannot compress an edit",
                   p->path);
      return FALSE;
    }

  /* A new step after undo drops the redo tail. */
  {
    g_autoptr (sqlite3_stmt) del =
      db_prepare (p, "DELETE FROM edits WHERE image_id = ? AND seq > ?", error);
    if (del == NULL)
      return FALSE;
    sqlite3_bind_int64 (del, 1, image_id);
    sqlite3_bind_int64 (del, 2, row.edit_pos);
    if (!db_step_done (p, del, error, "cannot drop the redo steps"))
      return FALSE;
  }
  {
    g_autoptr (sqlite3_stmt) ins =
      db_prepare (p, "INSERT INTO edits (image_id, seq, tool, n_changed, diff, created)"
                     " VALUES (?, ?, ?, ?, ?, ?)", error);
    if (ins == NULL)
      return FALSE;
    g_autofree char *now = now_iso ();
    gsize len = 0;
    const void *blob = g_bytes_get_data (diff, &len);
    sqlite3_bind_int64 (ins, 1, image_id);
    sqlite3_bind_int64 (ins, 2, row.edit_pos + 1);
    sqlite3_bind_text (ins, 3, tool, -1, SQLITE_STATIC);
    sqlite3_bind_int (ins, 4, (int) changed);
    sqlite3_bind_blob64 (ins, 5, blob, len, SQLITE_STATIC);
    sqlite3_bind_text (ins, 6, now, -1, SQLITE_STATIC);
    if (!db_step_done (p, ins, error, "cannot record an edit"))
      return FALSE;
  }
  if (!store_current (p, &row, new, error))
    return FALSE;
  {
    int status = row.status;
    if (kind == STEP_HUMAN)
      status = RL_IMAGE_CORRECTED;
    else if (status == RL_IMAGE_UNLABELLED)
      status = RL_IMAGE_PRELABELLED;
    g_autoptr (sqlite3_stmt) upd =
      db_prepare (p, "UPDATE images SET edit_pos = ?, rev = ?, status = ? WHERE id = ?", error);
    if (upd == NULL)
      return FALSE;
    sqlite3_bind_int64 (upd, 1, row.edit_pos + 1);
    sqlite3_bind_int64 (upd, 2, row.rev + 1);
    sqlite3_bind_int (upd, 3, status);
    sqlite3_bind_int64 (upd, 4, image_id);
    if (!db_step_done (p, upd, error, "cannot update an image"))
      return FALSE;
  }
  *out_rev = row.rev + 1;
  *out_mask = g_steal_pointer (&new);
  return TRUE;
}

/* After a successful commit the cache holds the new mask; after a failure it is dropped (the
 * database may or may not have moved on). */
static void
cache_after (RlProject *p, gboolean ok, gint64 image_id, int width, int height, guint8 *mask,
             gint64 rev)
{
  if (!ok)
    {
      cache_drop (p);
      g_free (mask);
      return;
    }
  if (mask == NULL)
    return;
  cache_drop (p);
  p->cache_image = image_id;
  p->cache_rev = rev;
  p->cache_width = width;
  p->cache_height = height;
  p->cache_mask = mask;
}

static gboolean
edit_step (RlProject *p, gint64 image_id, const char *tool, StepKind kind, EditFunc fn,
           gpointer data, guint *n_changed, GError **error)
{
  guint changed = 0;
  guint8 *mask = NULL;
  gint64 rev = 0;
  if (n_changed)
    *n_changed = 0;
  if (!tx_begin (p, error))
    return FALSE;
  gboolean ok = edit_step_body (p, image_id, tool, kind, fn, data, &changed, &mask, &rev, error);
  int w = p->cache_width, h = p->cache_height;
  ok = tx_end (p, ok, error);
  cache_after (p, ok, image_id, w, h, mask, rev);
  if (ok && n_changed)
    *n_changed = changed;
  return ok;
}

static gboolean
commit_fn (RlProject *p, const ImageRow *row, guint8 *mask, gpointer data, GError **error)
{
  const guint8 *new_mask = data;
  gsize n = (gsize) row->width * row->height;
  for (gsize k = 0; k < n; k++)
    if (p->spec == NULL || !rl_class_spec_value_ok (p->spec, new_mask[k]))
      {
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                     "%s: value %u at (%d, %d) of the new mask of '%s' is not a class",
                     p->path, new_mask[k], (int) (k % row->width), (int) (k / row->width),
                     row->name);
        return FALSE;
      }
  memcpy (mask, new_mask, n);
  return TRUE;
}

gboolean
rl_project_commit_mask (RlProject *project, gint64 image_id, const char *tool,
                        const guint8 *new_mask, guint *n_changed, GError **error)
{
  g_return_val_if_fail (new_mask != NULL, FALSE);
  return edit_step (project, image_id, tool ? tool : "edit", STEP_HUMAN, commit_fn,
                    (gpointer) new_mask, n_changed, error);
}

/* Applies an RlEdit (rl-edit.h) to the current mask, reading the original or the prediction
 * when the edit takes its values from them. */
static gboolean
apply_fn (RlProject *p, const ImageRow *row, guint8 *mask, gpointer data, GError **error)
{
  const RlEdit *edit = data;
  g_autofree guint8 *original = NULL, *prediction = NULL;
  if (edit->source == RL_EDIT_SOURCE_ORIGINAL
      && (original = read_other (p, row, RL_MASK_ORIGINAL, error)) == NULL)
    return FALSE;
  if (edit->source == RL_EDIT_SOURCE_PREDICTION
      && (prediction = read_other (p, row, RL_MASK_PREDICTION, error)) == NULL)
    return FALSE;
  g_autofree char *where = g_strdup_printf ("%s: image '%s'", p->path, row->name);
  RlEditTarget target = { p->spec, row->width, row->height, original, prediction, where };
  return rl_edit_apply (edit, &target, mask, NULL, NULL, error);
}

gboolean
rl_project_apply_edit (RlProject *project, gint64 image_id, const RlEdit *edit,
                       guint *n_changed, GError **error)
{
  g_return_val_if_fail (edit != NULL, FALSE);
  /* taking the prediction's labels is pre-labelling, not a human correction */
  StepKind kind = edit->source == RL_EDIT_SOURCE_PREDICTION ? STEP_PRELABEL : STEP_HUMAN;
  return edit_step (project, image_id, edit->tool ? edit->tool : "edit", kind, apply_fn,
                    (gpointer) edit, n_changed, error);
}

gboolean
rl_project_paint (RlProject *project, gint64 image_id, int cls, double radius,
                  const double *xy, int n_points, gboolean protect, guint *n_changed,
                  GError **error)
{
  g_autoptr (RlEdit) edit = rl_edit_new (RL_EDIT_STROKE, "paint");
  edit->cls = cls;
  edit->radius = radius;
  edit->protect = protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE;
  rl_edit_set_points (edit, xy, n_points);
  return rl_project_apply_edit (project, image_id, edit, n_changed, error);
}

gboolean
rl_project_fill (RlProject *project, gint64 image_id, int cls, int x, int y,
                 gboolean protect, guint *n_changed, GError **error)
{
  g_autoptr (RlEdit) edit = rl_edit_new (RL_EDIT_FILL, "fill");
  double xy[2] = { x, y };
  edit->cls = cls;
  edit->protect = protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE;
  rl_edit_set_points (edit, xy, 1);
  return rl_project_apply_edit (project, image_id, edit, n_changed, error);
}

gboolean
rl_project_accept_prediction (RlProject *project, gint64 image_id, gboolean only_void,
                              guint *n_changed, GError **error)
{
  g_autoptr (RlEdit) edit = rl_edit_new (RL_EDIT_WHOLE_IMAGE, "accept-prediction");
  edit->source = RL_EDIT_SOURCE_PREDICTION;
  edit->protect = only_void ? RL_PROTECT_VOID : RL_PROTECT_NONE;
  return rl_project_apply_edit (project, image_id, edit, n_changed, error);
}

/* Undo (forward = FALSE) or redo of one step. */
static gboolean
history_body (RlProject *p, gint64 image_id, gboolean forward, gboolean *done, guint8 **out_mask,
              gint64 *out_rev, GError **error)
{
  g_auto (ImageRow) row = { 0 };
  if (!read_image_row (p, image_id, &row, error))
    return FALSE;
  gint64 seq = forward ? row.edit_pos + 1 : row.edit_pos;
  *done = FALSE;
  if (seq < 1)
    return TRUE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT diff FROM edits WHERE image_id = ? AND seq = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, image_id);
  sqlite3_bind_int64 (stmt, 2, seq);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      if (forward)
        return TRUE;   /* nothing to redo */
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                   "%s: edit %" G_GINT64_FORMAT " of '%s' is missing from the history",
                   p->path, seq, row.name);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return db_fail (p, error, "cannot read the edit history");
  g_autofree guint8 *mask = read_current (p, &row, error);
  if (mask == NULL)
    return FALSE;
  gboolean bomb = FALSE;
  if (!diff_apply (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), mask,
                   (gsize) row.width * row.height, forward, &bomb))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                   "%s: edit %" G_GINT64_FORMAT " of '%s' %s; the history is damaged", p->path,
                   seq, row.name,
                   bomb ? "inflates to more than any edit of the image could"
                   : "does not match the mask");
      return FALSE;
    }
  if (!store_current (p, &row, mask, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) upd =
    db_prepare (p, "UPDATE images SET edit_pos = ?, rev = ? WHERE id = ?", error);
  if (upd == NULL)
    return FALSE;
  sqlite3_bind_int64 (upd, 1, forward ? seq : seq - 1);
  sqlite3_bind_int64 (upd, 2, row.rev + 1);
  sqlite3_bind_int64 (upd, 3, image_id);
  if (!db_step_done (p, upd, error, "cannot update an image"))
    return FALSE;
  *done = TRUE;
  *out_rev = row.rev + 1;
  *out_mask = g_steal_pointer (&mask);
  return TRUE;
}

static gboolean
history_step (RlProject *p, gint64 image_id, gboolean forward, gboolean *done, GError **error)
{
  gboolean did = FALSE;
  guint8 *mask = NULL;
  gint64 rev = 0;
  if (done)
    *done = FALSE;
  if (!tx_begin (p, error))
    return FALSE;
  gboolean ok = history_body (p, image_id, forward, &did, &mask, &rev, error);
  int w = p->cache_width, h = p->cache_height;
  ok = tx_end (p, ok, error);
  cache_after (p, ok, image_id, w, h, mask, rev);
  if (ok && done)
    *done = did;
  return ok;
}

gboolean
rl_project_undo (RlProject *project, gint64 image_id, gboolean *done, GError **error)
{
  return history_step (project, image_id, FALSE, done, error);
}

gboolean
rl_project_redo (RlProject *project, gint64 image_id, gboolean *done, GError **error)
{
  return history_step (project, image_id, TRUE, done, error);
}

int
rl_project_count_redo (RlProject *project, gint64 image_id)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (project, "SELECT count(*) FROM edits e JOIN images i ON i.id = e.image_id"
                         " WHERE e.image_id = ? AND e.seq > i.edit_pos", NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_int64 (stmt, 1, image_id);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int (stmt, 0) : 0;
}

void
rl_edit_info_free (RlEditInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->tool);
  g_free (info->created);
  g_free (info);
}

GPtrArray *
rl_project_list_edits (RlProject *project, gint64 image_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (project, "SELECT e.id, e.seq, e.tool, e.n_changed, e.created, e.seq <= i.edit_pos"
                         " FROM edits e JOIN images i ON i.id = e.image_id"
                         " WHERE e.image_id = ? ORDER BY e.seq", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, image_id);
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_edit_info_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      RlEditInfo *e = g_new0 (RlEditInfo, 1);
      e->id = sqlite3_column_int64 (stmt, 0);
      e->seq = sqlite3_column_int (stmt, 1);
      e->tool = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
      e->n_changed = sqlite3_column_int (stmt, 3);
      e->created = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      e->applied = sqlite3_column_int (stmt, 5) != 0;
      g_ptr_array_add (list, e);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (project, error, "cannot read the edit history");
      return NULL;
    }
  return g_steal_pointer (&list);
}

gboolean
rl_project_set_status (RlProject *project, gint64 image_id, RlImageStatus status,
                       GError **error)
{
  RlProject *p = project;
  if (status < RL_IMAGE_UNLABELLED || status > RL_IMAGE_REVIEWED)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: unknown status %d",
                   p->path, (int) status);
      return FALSE;
    }
  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "UPDATE images SET status = ? WHERE id = ?", error);
  gboolean ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int (stmt, 1, status);
      sqlite3_bind_int64 (stmt, 2, image_id);
      ok = db_step_done (p, stmt, error, "cannot set the status");
    }
  if (ok && sqlite3_changes (p->db) == 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: no image with id %" G_GINT64_FORMAT, p->path, image_id);
      ok = FALSE;
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  return tx_end (p, ok, error);
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
  guint64 hlen = 0;
  if (len >= 8)
    for (int k = 7; k >= 0; k--)
      hlen = (hlen << 8) | (guint8) data[k];
  if (len < 10 || hlen > len - 8 || data[8] != '{')
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: not a safetensors file", safetensors_path);
      return 0;
    }
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
  if (ok && make_current)
    ok = set_current (p, id, error);
  if (!tx_end (p, ok, error))
    return 0;
  return id;
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

gboolean
rl_project_set_current_model (RlProject *project, gint64 model_id, GError **error)
{
  RlProject *p = project;
  if (!tx_begin (p, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (p, "SELECT id FROM models WHERE id = ?", model_id, "model", error);
  gboolean ok = stmt != NULL;
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (ok)
    ok = set_current (p, model_id, error);
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
  g_autoptr (sqlite3_stmt) stmt =
    select_by_id (p, "SELECT id FROM models WHERE id = ?", model_id, "model", error);
  gboolean ok = stmt != NULL;
  g_clear_pointer (&stmt, sqlite3_finalize);
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
      ok = db_step_done (p, stmt, error, "cannot store a prediction");
      if (!ok && sqlite3_errcode (p->db) == SQLITE_CONSTRAINT)
        {
          g_clear_error (error);
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                       "%s: no model with id %" G_GINT64_FORMAT, p->path, model_id);
        }
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
      ok = db_step_done (p, stmt, error, "cannot store metrics");
      if (!ok && sqlite3_errcode (p->db) == SQLITE_CONSTRAINT)
        {
          g_clear_error (error);
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                       "%s: no model with id %" G_GINT64_FORMAT, p->path, model_id);
        }
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
