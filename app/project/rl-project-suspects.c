/* Suspected label errors across a project: confidences stored with the predictions, the ranked
 * queue, accept (one undoable edit) and dismiss (remembered). SQL lives here, on its own
 * connection to the project file; edits go through rl_project_commit_mask. */
#define G_LOG_DOMAIN "relabel-suspects"

#include "rl-project-suspects.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <zlib.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* ------------------------------------------------------------------------------------------ */
/* The confidence blob: "RLC1", width, height (u32 LE), the label revision the labels plane is
 * (i64 LE), then zlib of four (H, W) planes: predicted class, round(255 p) of it, round(255 p)
 * of the labelled class, and the labels those refer to. The confidence planes are stored as
 * differences from their left neighbour (mod 256), which zlib packs about twice as well. */

#define CONF_MAGIC "RLC1"
#define CONF_HEADER 20

typedef struct
{
  int width, height;
  gint64 rev;
  guint8 *pred, *conf_pred, *conf_label, *labels;   /* one allocation, at pred */
} Conf;

static void
conf_clear (Conf *c)
{
  g_clear_pointer (&c->pred, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Conf, conf_clear)

static void
put_u32 (guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static guint32
get_u32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static void
delta_rows (guint8 *plane, int w, int h, gboolean forward)
{
  for (int y = 0; y < h; y++)
    {
      guint8 *row = plane + (gsize) y * w;
      if (forward)
        for (int x = w - 1; x > 0; x--)
          row[x] = (guint8) (row[x] - row[x - 1]);
      else
        for (int x = 1; x < w; x++)
          row[x] = (guint8) (row[x] + row[x - 1]);
    }
}

static GBytes *
conf_encode (const Conf *c)
{
  gsize hw = (gsize) c->width * c->height;
  g_autofree guint8 *raw = g_malloc (4 * hw);
  memcpy (raw, c->pred, hw);
  memcpy (raw + hw, c->conf_pred, hw);
  memcpy (raw + 2 * hw, c->conf_label, hw);
  memcpy (raw + 3 * hw, c->labels, hw);
  delta_rows (raw + hw, c->width, c->height, TRUE);
  delta_rows (raw + 2 * hw, c->width, c->height, TRUE);
  uLongf len = compressBound (4 * hw);
  guint8 *out = g_malloc (CONF_HEADER + len);
  memcpy (out, CONF_MAGIC, 4);
  put_u32 (out + 4, (guint32) c->width);
  put_u32 (out + 8, (guint32) c->height);
  put_u32 (out + 12, (guint32) ((guint64) c->rev & 0xffffffffu));
  put_u32 (out + 16, (guint32) ((guint64) c->rev >> 32));
  if (compress2 (out + CONF_HEADER, &len, raw, 4 * hw, 6) != Z_OK)
    {
      g_free (out);
      return NULL;
    }
  return g_bytes_new_take (out, CONF_HEADER + len);
}

static gboolean
conf_decode (const guint8 *blob, gsize len, int want_w, int want_h, Conf *c)
{
  if (blob == NULL || len < CONF_HEADER || memcmp (blob, CONF_MAGIC, 4) != 0)
    return FALSE;
  c->width = (int) get_u32 (blob + 4);
  c->height = (int) get_u32 (blob + 8);
  c->rev = (gint64) ((guint64) get_u32 (blob + 12) | (guint64) get_u32 (blob + 16) << 32);
  if (c->width != want_w || c->height != want_h)
    return FALSE;
  gsize hw = (gsize) c->width * c->height;
  c->pred = g_malloc (4 * hw);
  uLongf out_len = 4 * hw;
  if (uncompress (c->pred, &out_len, blob + CONF_HEADER, len - CONF_HEADER) != Z_OK
      || out_len != 4 * hw)
    {
      conf_clear (c);
      return FALSE;
    }
  c->conf_pred = c->pred + hw;
  c->conf_label = c->pred + 2 * hw;
  c->labels = c->pred + 3 * hw;
  delta_rows (c->conf_pred, c->width, c->height, FALSE);
  delta_rows (c->conf_label, c->width, c->height, FALSE);
  return TRUE;
}

/* Per-class threshold sums of one image: for each class, (sum of p as a double, count as an
 * int64), host byte order (little-endian on every platform Relabel builds for). */
static GBytes *
stats_encode (const RlSuspectStats *s, int n_classes)
{
  gsize one = sizeof (double) + sizeof (gint64);
  guint8 *out = g_malloc (one * n_classes);
  for (int c = 0; c < n_classes; c++)
    {
      memcpy (out + c * one, &s->sum[c], sizeof (double));
      memcpy (out + c * one + sizeof (double), &s->count[c], sizeof (gint64));
    }
  return g_bytes_new_take (out, one * n_classes);
}

static gboolean
stats_decode (const guint8 *blob, gsize len, int n_classes, RlSuspectStats *s)
{
  gsize one = sizeof (double) + sizeof (gint64);
  rl_suspect_stats_init (s);
  if (blob == NULL || len != one * n_classes)
    return FALSE;
  for (int c = 0; c < n_classes; c++)
    {
      memcpy (&s->sum[c], blob + c * one, sizeof (double));
      memcpy (&s->count[c], blob + c * one + sizeof (double), sizeof (gint64));
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* SQLite: a connection of our own, every failure a GError naming the project file. */

static void
sqlite3_close_v2_ptr (sqlite3 *db)
{
  sqlite3_close_v2 (db);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close_v2_ptr)

static gboolean
db_fail (sqlite3 *db, RlProject *project, GError **error, const char *what)
{
  g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: %s: %s",
               rl_project_get_path (project), what, db ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

static sqlite3 *
db_open (RlProject *project, GError **error)
{
  sqlite3 *db = NULL;
  if (sqlite3_open_v2 (rl_project_get_path (project), &db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
      || sqlite3_busy_timeout (db, 10000) != SQLITE_OK
      || sqlite3_exec (db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL", NULL, NULL,
                       NULL) != SQLITE_OK)
    {
      db_fail (db, project, error, "cannot open the project");
      sqlite3_close_v2 (db);
      return NULL;
    }
  return db;
}

static sqlite3_stmt *
db_prepare (sqlite3 *db, RlProject *project, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v3 (db, sql, -1, 0, &stmt, NULL) != SQLITE_OK)
    {
      db_fail (db, project, error, "cannot prepare a query");
      return NULL;
    }
  return stmt;
}

static gboolean
db_exec (sqlite3 *db, RlProject *project, const char *sql, GError **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_fail (db, project, error, "cannot write the suspects");
  return TRUE;
}

/* Ends a transaction: commits when ok, else rolls back. The one exit path of every write. */
static gboolean
tx_end (sqlite3 *db, RlProject *project, gboolean ok, GError **error)
{
  if (ok && db_exec (db, project, "COMMIT", error))
    return TRUE;
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static const RlClassSpec *
need_spec (RlProject *project, GError **error)
{
  const RlClassSpec *spec = rl_project_get_class_spec (project);
  if (spec == NULL)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                 "%s: the project has no dataset yet", rl_project_get_path (project));
  return spec;
}

/* The project's class spec (an error without a dataset), then a connection of our own. */
static sqlite3 *
open_with_spec (RlProject *project, const RlClassSpec **spec, GError **error)
{
  *spec = need_spec (project, error);
  if (*spec == NULL)
    return NULL;
  return db_open (project, error);
}

static gint64
resolve_model (RlProject *project, gint64 model_id, GError **error)
{
  if (model_id == 0)
    model_id = rl_project_current_model (project);
  if (model_id == 0)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: the project has no model", rl_project_get_path (project));
  return model_id;
}

/* ------------------------------------------------------------------------------------------ */
/* Storing confidences */

gboolean
rl_suspects_predict_image (RlProject *project, const RlModel *model, gint64 model_id,
                           gint64 image_id, int n_threads, RlAbortFunc abort, void *abort_data,
                           GError **error)
{
  const RlClassSpec *spec = need_spec (project, error);
  if (spec == NULL)
    return FALSE;
  int w = 0, h = 0, lw = 0, lh = 0;
  g_autofree guint8 *rgb = NULL, *labels = NULL;
  gint64 rev = 0;
  if (!rl_project_get_label_version (project, image_id, &rev, error)
      || !rl_project_get_mask (project, image_id, RL_MASK_CURRENT, &lw, &lh, &labels, error)
      || !rl_project_load_rgb (project, image_id, &w, &h, &rgb, error))
    return FALSE;
  if (lw != w || lh != h)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET,
                   "%s: image %" G_GINT64_FORMAT " is %dx%d but its labels are %dx%d",
                   rl_project_get_path (project), image_id, w, h, lw, lh);
      return FALSE;
    }
  if (rl_model_num_classes (model) != spec->n_classes)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the model has %d classes, the project's labels %d",
                   rl_project_get_path (project), rl_model_num_classes (model), spec->n_classes);
      return FALSE;
    }
  gsize hw = (gsize) w * h;
  g_auto (Conf) c = { w, h, rev, NULL, NULL, NULL, NULL };
  c.pred = g_malloc (4 * hw);
  c.conf_pred = c.pred + hw;
  c.conf_label = c.pred + 2 * hw;
  c.labels = c.pred + 3 * hw;
  memcpy (c.labels, labels, hw);
  RlError err = { { 0 } };
  RlStatus st = rl_model_predict_confidence_rgb8 (model, rgb, h, w, labels, c.pred, c.conf_pred,
                                                  c.conf_label, n_threads, abort, abort_data,
                                                  &err);
  if (st == RL_ERR_CANCELLED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      return FALSE;
    }
  if (st != RL_OK)
    {
      g_autofree char *path = rl_project_image_path (project, image_id);
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s", path, err.text);
      return FALSE;
    }
  if (!rl_project_set_prediction (project, image_id, model_id, c.pred, w, h, error))
    return FALSE;

  RlSuspectStats stats;
  rl_suspect_stats_init (&stats);
  rl_suspect_stats_add (&stats, spec->n_classes, spec->ignore_index, labels, c.conf_label,
                        (gint64) hw);
  g_autoptr (GBytes) blob = conf_encode (&c);
  g_autoptr (GBytes) sblob = stats_encode (&stats, spec->n_classes);
  if (blob == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: cannot compress confidences",
                   rl_project_get_path (project));
      return FALSE;
    }
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, "UPDATE predictions SET conf = ?, conf_stats = ?"
                             " WHERE image_id = ? AND model_id = ?", error);
  if (stmt == NULL)
    return FALSE;
  gsize len = 0, slen = 0;
  const void *data = g_bytes_get_data (blob, &len), *sdata = g_bytes_get_data (sblob, &slen);
  sqlite3_bind_blob64 (stmt, 1, data, len, SQLITE_STATIC);
  sqlite3_bind_blob64 (stmt, 2, sdata, slen, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, image_id);
  sqlite3_bind_int64 (stmt, 4, model_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return db_fail (db, project, error, "cannot store confidences");
  return TRUE;
}

GArray *
rl_suspects_missing (RlProject *project, gint64 model_id, GError **error)
{
  model_id = resolve_model (project, model_id, error);
  if (model_id == 0)
    return NULL;
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return NULL;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, "SELECT i.id FROM images i WHERE i.missing = 0 AND NOT EXISTS"
                             " (SELECT 1 FROM predictions p WHERE p.image_id = i.id"
                             "  AND p.model_id = ? AND p.conf IS NOT NULL) ORDER BY i.name",
                error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, model_id);
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      g_array_append_val (ids, id);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (db, project, error, "cannot list the images");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

gboolean
rl_suspects_get_confidence (RlProject *project, gint64 image_id, gint64 model_id, int width,
                            int height, guint8 **pred, guint8 **conf, GError **error)
{
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, "SELECT conf FROM predictions WHERE image_id = ? AND model_id = ?"
                             " AND conf IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, image_id);
  sqlite3_bind_int64 (stmt, 2, model_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: image %" G_GINT64_FORMAT " has no confidences of version %" G_GINT64_FORMAT,
                   rl_project_get_path (project), image_id, model_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return db_fail (db, project, error, "cannot read confidences");
  g_auto (Conf) c = { 0 };
  if (!conf_decode (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0), width,
                    height, &c))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                   "%s: the confidences of image %" G_GINT64_FORMAT " are damaged",
                   rl_project_get_path (project), image_id);
      return FALSE;
    }
  gsize hw = (gsize) width * height;
  *pred = g_memdup2 (c.pred, hw);
  *conf = g_memdup2 (c.conf_pred, hw);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Computing the queue */

static gboolean
load_thresholds (sqlite3 *db, RlProject *project, const RlClassSpec *spec, gint64 model_id,
                 float *thresholds, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, "SELECT conf_stats FROM predictions WHERE model_id = ?"
                             " AND conf IS NOT NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, model_id);
  RlSuspectStats all, one;
  rl_suspect_stats_init (&all);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (stats_decode (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0),
                      spec->n_classes, &one))
      rl_suspect_stats_merge (&all, &one);
  if (rc != SQLITE_DONE)
    return db_fail (db, project, error, "cannot read confidences");
  rl_suspect_stats_thresholds (&all, spec->n_classes, thresholds);
  return TRUE;
}

typedef struct
{
  gint64 image_id, rev;
  int width, height;
  RlSuspect *found;     /* malloc'd by the engine */
  int n_found;
  gint32 *map;          /* (H, W) or NULL */
} ImageSuspects;

static void
image_suspects_clear (ImageSuspects *s)
{
  free (s->found);
  s->found = NULL;
  g_clear_pointer (&s->map, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImageSuspects, image_suspects_clear)

/* The image's suspects on its current labels. *found is FALSE (not an error) when the image has
 * no prediction with confidences by model_id. */
static gboolean
compute_image (sqlite3 *db, RlProject *project, const RlClassSpec *spec, gint64 model_id,
               const float *thresholds, gint64 image_id, gboolean want_map, ImageSuspects *out,
               gboolean *found, GError **error)
{
  *found = FALSE;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, "SELECT p.conf, i.width, i.height, i.rev FROM predictions p"
                             " JOIN images i ON i.id = p.image_id"
                             " WHERE p.image_id = ? AND p.model_id = ? AND p.conf IS NOT NULL",
                error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, image_id);
  sqlite3_bind_int64 (stmt, 2, model_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    return db_fail (db, project, error, "cannot read confidences");
  int w = sqlite3_column_int (stmt, 1), h = sqlite3_column_int (stmt, 2);
  gint64 rev = sqlite3_column_int64 (stmt, 3);
  g_auto (Conf) c = { 0 };
  if (!conf_decode (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0), w, h,
                    &c))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB,
                   "%s: the confidences of image %" G_GINT64_FORMAT " are damaged",
                   rl_project_get_path (project), image_id);
      return FALSE;
    }
  int lw = 0, lh = 0;
  g_autofree guint8 *labels = NULL;
  if (!rl_project_get_mask (project, image_id, RL_MASK_CURRENT, &lw, &lh, &labels, error))
    return FALSE;
  gsize hw = (gsize) w * h;
  /* A pixel relabelled since the prediction: confident where it now agrees with the model, and
   * otherwise a person's choice, trusted. */
  if (c.rev != rev)
    for (gsize i = 0; i < hw; i++)
      if (labels[i] != c.labels[i])
        c.conf_label[i] = labels[i] == c.pred[i] ? c.conf_pred[i] : 255;
  RlSuspectParams params = { spec->n_classes, spec->ignore_index, thresholds, 0, 0 };
  out->image_id = image_id;
  out->rev = rev;
  out->width = w;
  out->height = h;
  out->map = want_map ? g_new (gint32, hw) : NULL;
  RlError err = { { 0 } };
  if (rl_suspects_find (&params, labels, c.pred, c.conf_pred, c.conf_label, h, w, &out->found,
                        &out->n_found, out->map, &err) != RL_OK)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s",
                   rl_project_get_path (project), err.text);
      return FALSE;
    }
  *found = TRUE;
  return TRUE;
}

typedef struct
{
  int labelled, suggested, x, y, w, h;
} Box;

static gboolean
box_matches (const Box *a, const RlSuspect *s)
{
  if (a->labelled != s->labelled || a->suggested != s->suggested)
    return FALSE;
  int x0 = MAX (a->x, s->x), y0 = MAX (a->y, s->y);
  int x1 = MIN (a->x + a->w, s->x + s->w), y1 = MIN (a->y + a->h, s->y + s->h);
  double inter = x1 > x0 && y1 > y0 ? (double) (x1 - x0) * (y1 - y0) : 0.0;
  double uni = (double) a->w * a->h + (double) s->w * s->h - inter;
  return uni > 0 && inter / uni >= 0.5;
}

static GArray *
load_dismissals (sqlite3 *db, RlProject *project, gint64 image_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, "SELECT labelled, suggested, x, y, w, h FROM suspect_dismissals"
                             " WHERE image_id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, image_id);
  g_autoptr (GArray) boxes = g_array_new (FALSE, FALSE, sizeof (Box));
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Box b = { sqlite3_column_int (stmt, 0), sqlite3_column_int (stmt, 1),
                sqlite3_column_int (stmt, 2), sqlite3_column_int (stmt, 3),
                sqlite3_column_int (stmt, 4), sqlite3_column_int (stmt, 5) };
      g_array_append_val (boxes, b);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (db, project, error, "cannot read dismissed suspects");
      return NULL;
    }
  return g_steal_pointer (&boxes);
}

/* Replaces the stored rows of one image (inside the caller's transaction). */
static gboolean
store_image (sqlite3 *db, RlProject *project, gint64 model_id, const ImageSuspects *s,
             GError **error)
{
  g_autoptr (GArray) dismissed = load_dismissals (db, project, s->image_id, error);
  if (dismissed == NULL)
    return FALSE;
  g_autoptr (sqlite3_stmt) del =
    db_prepare (db, project, "DELETE FROM suspects WHERE image_id = ?", error);
  g_autoptr (sqlite3_stmt) ins =
    db_prepare (db, project, "INSERT INTO suspects (image_id, model_id, image_rev, labelled,"
                             " suggested, kind, pixels, x, y, w, h, score)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (del == NULL || ins == NULL)
    return FALSE;
  sqlite3_bind_int64 (del, 1, s->image_id);
  if (sqlite3_step (del) != SQLITE_DONE)
    return db_fail (db, project, error, "cannot store the suspects");
  for (int k = 0; k < s->n_found; k++)
    {
      const RlSuspect *r = &s->found[k];
      gboolean skip = FALSE;
      for (guint d = 0; d < dismissed->len && !skip; d++)
        skip = box_matches (&g_array_index (dismissed, Box, d), r);
      if (skip)
        continue;
      sqlite3_reset (ins);
      sqlite3_bind_int64 (ins, 1, s->image_id);
      sqlite3_bind_int64 (ins, 2, model_id);
      sqlite3_bind_int64 (ins, 3, s->rev);
      sqlite3_bind_int (ins, 4, r->labelled);
      sqlite3_bind_int (ins, 5, r->suggested);
      sqlite3_bind_int (ins, 6, r->kind);
      sqlite3_bind_int64 (ins, 7, r->pixels);
      sqlite3_bind_int (ins, 8, r->x);
      sqlite3_bind_int (ins, 9, r->y);
      sqlite3_bind_int (ins, 10, r->w);
      sqlite3_bind_int (ins, 11, r->h);
      sqlite3_bind_double (ins, 12, r->score);
      if (sqlite3_step (ins) != SQLITE_DONE)
        return db_fail (db, project, error, "cannot store the suspects");
    }
  return TRUE;
}

gboolean
rl_suspects_update (RlProject *project, gint64 model_id,
                    void (*progress) (guint done, guint total, gpointer data), gpointer data,
                    GCancellable *cancellable, guint *n_regions, GError **error)
{
  const RlClassSpec *spec = need_spec (project, error);
  if (spec == NULL)
    return FALSE;
  model_id = resolve_model (project, model_id, error);
  if (model_id == 0)
    return FALSE;
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return FALSE;
  g_autofree float *thr = g_new (float, spec->n_classes);
  if (!load_thresholds (db, project, spec, model_id, thr, error))
    return FALSE;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  {
    g_autoptr (sqlite3_stmt) stmt =
      db_prepare (db, project, "SELECT p.image_id FROM predictions p JOIN images i"
                               " ON i.id = p.image_id WHERE p.model_id = ? AND p.conf IS NOT NULL"
                               " ORDER BY i.name", error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, model_id);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        gint64 id = sqlite3_column_int64 (stmt, 0);
        g_array_append_val (ids, id);
      }
    if (rc != SQLITE_DONE)
      return db_fail (db, project, error, "cannot list the predictions");
  }
  /* Compute everything first (reads only), then replace the queue in one transaction. */
  GArray *all = g_array_new (FALSE, TRUE, sizeof (ImageSuspects));
  g_array_set_clear_func (all, (GDestroyNotify) image_suspects_clear);
  g_autoptr (GArray) all_owned = all;
  for (guint i = 0; i < ids->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      ImageSuspects s = { 0 };
      gboolean found = FALSE;
      if (!compute_image (db, project, spec, model_id, thr, g_array_index (ids, gint64, i),
                          FALSE, &s, &found, error))
        {
          image_suspects_clear (&s);
          return FALSE;
        }
      if (found)
        g_array_append_val (all, s);
      if (progress != NULL)
        progress (i + 1, ids->len, data);
    }
  /* per-class-pair calibration over the whole project (rl-suspects.h) */
  int K = spec->n_classes;
  g_autofree double *totals = g_new0 (double, (gsize) K * K);
  for (guint i = 0; i < all->len; i++)
    {
      ImageSuspects *s = &g_array_index (all, ImageSuspects, i);
      rl_suspects_pair_add (totals, K, s->found, s->n_found);
    }
  for (guint i = 0; i < all->len; i++)
    {
      ImageSuspects *s = &g_array_index (all, ImageSuspects, i);
      rl_suspects_pair_normalise (totals, K, s->found, s->n_found);
    }
  if (!db_exec (db, project, "BEGIN IMMEDIATE", error))
    return FALSE;
  gboolean ok = db_exec (db, project, "DELETE FROM suspects", error);
  for (guint i = 0; ok && i < all->len; i++)
    ok = store_image (db, project, model_id, &g_array_index (all, ImageSuspects, i), error);
  if (!tx_end (db, project, ok, error))
    return FALSE;
  if (n_regions != NULL)
    {
      g_autoptr (sqlite3_stmt) stmt = db_prepare (db, project, "SELECT count(*) FROM suspects",
                                                  error);
      if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
        return stmt == NULL ? FALSE : db_fail (db, project, error, "cannot count the suspects");
      *n_regions = (guint) sqlite3_column_int64 (stmt, 0);
    }
  return TRUE;
}

/* The model the stored queue was computed with, else the current one. */
static gint64
queue_model (sqlite3 *db, RlProject *project)
{
  g_autoptr (sqlite3_stmt) stmt = db_prepare (db, project, "SELECT model_id FROM suspects"
                                                           " LIMIT 1", NULL);
  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  return rl_project_current_model (project);
}

static gboolean
update_image (sqlite3 *db, RlProject *project, const RlClassSpec *spec, gint64 model_id,
              gint64 image_id, GError **error)
{
  g_autofree float *thr = g_new (float, spec->n_classes);
  if (!load_thresholds (db, project, spec, model_id, thr, error))
    return FALSE;
  g_auto (ImageSuspects) s = { 0 };
  gboolean found = FALSE;
  if (!compute_image (db, project, spec, model_id, thr, image_id, FALSE, &s, &found, error))
    return FALSE;
  s.image_id = image_id;
  /* the pair totals: the other images' stored regions (their pixels stand for their differing
   * pixels, equal but for whole labelled regions) and this image's */
  int K = spec->n_classes;
  g_autofree double *totals = g_new0 (double, (gsize) K * K);
  {
    g_autoptr (sqlite3_stmt) stmt =
      db_prepare (db, project, "SELECT labelled, suggested, SUM(pixels) FROM suspects"
                               " WHERE kind = 0 AND image_id != ? GROUP BY labelled, suggested",
                  error);
    if (stmt == NULL)
      return FALSE;
    sqlite3_bind_int64 (stmt, 1, image_id);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        int l = sqlite3_column_int (stmt, 0), g = sqlite3_column_int (stmt, 1);
        if (l >= 0 && l < K && g >= 0 && g < K)
          totals[(gsize) l * K + g] += sqlite3_column_double (stmt, 2);
      }
    if (rc != SQLITE_DONE)
      return db_fail (db, project, error, "cannot read the suspects");
  }
  if (found)
    {
      rl_suspects_pair_add (totals, K, s.found, s.n_found);
      rl_suspects_pair_normalise (totals, K, s.found, s.n_found);
    }
  if (!db_exec (db, project, "BEGIN IMMEDIATE", error))
    return FALSE;
  return tx_end (db, project, store_image (db, project, model_id, &s, error), error);
}

gboolean
rl_suspects_update_image (RlProject *project, gint64 image_id, GError **error)
{
  const RlClassSpec *spec = NULL;
  g_autoptr (sqlite3) db = open_with_spec (project, &spec, error);
  if (db == NULL)
    return FALSE;
  gint64 model_id = queue_model (db, project);
  if (model_id == 0)
    return resolve_model (project, 0, error) != 0;
  return update_image (db, project, spec, model_id, image_id, error);
}

/* ------------------------------------------------------------------------------------------ */
/* Reading the queue */

void
rl_suspect_region_free (RlSuspectRegion *region)
{
  if (region == NULL)
    return;
  g_free (region->image);
  g_free (region);
}

RlSuspectRegion *
rl_suspect_region_copy (const RlSuspectRegion *region)
{
  RlSuspectRegion *r = g_memdup2 (region, sizeof *region);
  r->image = g_strdup (region->image);
  return r;
}

void
rl_suspect_filter_init (RlSuspectFilter *filter)
{
  filter->labelled = filter->suggested = filter->kind = -1;
  filter->offset = filter->limit = 0;
}

/* The queue learns from the answers. Every accepted suggestion and every "not an error" is an
 * answer about its class pair (labelled, suggested). A pair's share of accepted answers, pulled
 * toward the share over all pairs by ANSWER_PRIOR answers' worth,
 *   p = (accepted + ANSWER_PRIOR g) / (answers + ANSWER_PRIOR),
 *   g = (all accepted + 1) / (all answers + 10)   (1 in 10 before any answer),
 * weighs each of the pair's regions by (p / g)^2: a pair whose suggestions the annotator keeps
 * turning down sinks, one whose suggestions are right rises, and a pair without answers keeps
 * weight 1. The queue is ordered by score x weight. Chosen on the injected-noise bench's seeds
 * 1-5 on the unseen street (tests/bench/suspects-answers-sim.py replays the bench's ranking
 * with a simulated annotator's answers; README, issue 19). An answer stays when its accept is
 * undone: it says what the annotator thought of the suggestion. */
#define ANSWER_PRIOR "2.0"
#define ANSWERS_CTE \
  "WITH answers (labelled, suggested, accepted) AS (" \
  "   SELECT labelled, suggested, 1 FROM suspect_accepts" \
  "   UNION ALL SELECT labelled, suggested, 0 FROM suspect_dismissals)," \
  " base (g) AS (SELECT (total (accepted) + 1.0) / (count (*) + 10.0) FROM answers)," \
  " pair (labelled, suggested, q) AS (" \
  "   SELECT labelled, suggested, (total (accepted) + " ANSWER_PRIOR " * g)" \
  "          / ((count (*) + " ANSWER_PRIOR ") * g)" \
  "   FROM answers, base GROUP BY labelled, suggested) "

#define REGION_COLUMNS \
  ANSWERS_CTE \
  "SELECT s.id, s.image_id, i.name, s.model_id, s.labelled, s.suggested, s.kind, s.pixels," \
  " s.x, s.y, s.w, s.h, s.score," \
  " EXISTS (SELECT 1 FROM model_train_images t WHERE t.model_id = s.model_id" \
  "         AND t.image_id = s.image_id), s.image_rev != i.rev," \
  " coalesce (a.q * a.q, 1.0) AS weight" \
  " FROM suspects s JOIN images i ON i.id = s.image_id" \
  " LEFT JOIN pair a ON a.labelled = s.labelled AND a.suggested = s.suggested "

static RlSuspectRegion *
region_from_row (sqlite3_stmt *stmt)
{
  RlSuspectRegion *r = g_new0 (RlSuspectRegion, 1);
  r->id = sqlite3_column_int64 (stmt, 0);
  r->image_id = sqlite3_column_int64 (stmt, 1);
  r->image = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  r->model_id = sqlite3_column_int64 (stmt, 3);
  r->labelled = sqlite3_column_int (stmt, 4);
  r->suggested = sqlite3_column_int (stmt, 5);
  r->kind = sqlite3_column_int (stmt, 6) == RL_SUSPECT_BOUNDARY ? RL_SUSPECT_BOUNDARY
                                                                : RL_SUSPECT_REGION;
  r->pixels = sqlite3_column_int64 (stmt, 7);
  r->x = sqlite3_column_int (stmt, 8);
  r->y = sqlite3_column_int (stmt, 9);
  r->w = sqlite3_column_int (stmt, 10);
  r->h = sqlite3_column_int (stmt, 11);
  r->score = sqlite3_column_double (stmt, 12);
  r->in_sample = sqlite3_column_int (stmt, 13) != 0;
  r->stale = sqlite3_column_int (stmt, 14) != 0;
  r->weight = sqlite3_column_double (stmt, 15);
  return r;
}

GPtrArray *
rl_suspects_list (RlProject *project, const RlSuspectFilter *filter, GError **error)
{
  RlSuspectFilter all;
  if (filter == NULL)
    {
      rl_suspect_filter_init (&all);
      filter = &all;
    }
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return NULL;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project, REGION_COLUMNS
                "WHERE (?1 < 0 OR s.labelled = ?1) AND (?2 < 0 OR s.suggested = ?2)"
                " AND (?3 < 0 OR s.kind = ?3)"
                " ORDER BY s.kind, s.score * weight DESC, s.id LIMIT ?4 OFFSET ?5", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int (stmt, 1, filter->labelled);
  sqlite3_bind_int (stmt, 2, filter->suggested);
  sqlite3_bind_int (stmt, 3, filter->kind);
  sqlite3_bind_int64 (stmt, 4, filter->limit > 0 ? (gint64) filter->limit : -1);
  sqlite3_bind_int64 (stmt, 5, filter->offset);
  g_autoptr (GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) rl_suspect_region_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (out, region_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      db_fail (db, project, error, "cannot read the suspects");
      return NULL;
    }
  return g_steal_pointer (&out);
}

GPtrArray *
rl_suspects_pairs (RlProject *project, GError **error)
{
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return NULL;
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (db, project,
                "SELECT labelled, suggested, sum(pixels), count(DISTINCT image_id), count(*),"
                " sum(EXISTS (SELECT 1 FROM model_train_images t WHERE t.model_id = s.model_id"
                "             AND t.image_id = s.image_id))"
                " FROM suspects s WHERE kind = 0 GROUP BY labelled, suggested"
                " ORDER BY sum(pixels) DESC, labelled, suggested", error);
  if (stmt == NULL)
    return NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  int rc;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      RlSuspectPair *p = g_new0 (RlSuspectPair, 1);
      p->labelled = sqlite3_column_int (stmt, 0);
      p->suggested = sqlite3_column_int (stmt, 1);
      p->pixels = sqlite3_column_int64 (stmt, 2);
      p->n_images = (guint) sqlite3_column_int64 (stmt, 3);
      p->n_regions = (guint) sqlite3_column_int64 (stmt, 4);
      p->n_in_sample = (guint) sqlite3_column_int64 (stmt, 5);
      g_ptr_array_add (out, p);
    }
  if (rc != SQLITE_DONE)
    {
      db_fail (db, project, error, "cannot read the suspects");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ------------------------------------------------------------------------------------------ */
/* Accept and dismiss */

static RlSuspectRegion *
read_region (sqlite3 *db, RlProject *project, gint64 suspect_id, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = db_prepare (db, project, REGION_COLUMNS "WHERE s.id = ?",
                                              error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, suspect_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return region_from_row (stmt);
  if (rc == SQLITE_DONE)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: no suspected region %" G_GINT64_FORMAT " (the queue was updated)",
                 rl_project_get_path (project), suspect_id);
  else
    db_fail (db, project, error, "cannot read the suspects");
  return NULL;
}

gboolean
rl_suspects_region_mask (RlProject *project, gint64 suspect_id, RlSuspectRegion **region,
                         int *width, int *height, guint8 **mask, GError **error)
{
  const RlClassSpec *spec = NULL;
  g_autoptr (sqlite3) db = open_with_spec (project, &spec, error);
  if (db == NULL)
    return FALSE;
  g_autoptr (RlSuspectRegion) r = read_region (db, project, suspect_id, error);
  if (r == NULL)
    return FALSE;
  g_autofree float *thr = g_new (float, spec->n_classes);
  if (!load_thresholds (db, project, spec, r->model_id, thr, error))
    return FALSE;
  /* The region's pixels: the same computation that listed it, found again by its identity. */
  g_auto (ImageSuspects) s = { 0 };
  gboolean found = FALSE;
  if (!compute_image (db, project, spec, r->model_id, thr, r->image_id, TRUE, &s, &found, error))
    return FALSE;
  int index = -1;
  for (int k = 0; found && k < s.n_found && index < 0; k++)
    {
      const RlSuspect *f = &s.found[k];
      if (f->labelled == r->labelled && f->suggested == r->suggested && f->kind == r->kind
          && f->x == r->x && f->y == r->y && f->w == r->w && f->h == r->h
          && f->pixels == r->pixels)
        index = k;
    }
  if (index < 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the suspected region in '%s' is no longer there (its labels or the"
                   " predictions changed); update the queue", rl_project_get_path (project),
                   r->image);
      return FALSE;
    }
  int w = 0, h = 0;
  g_autofree guint8 *labels = NULL;
  if (!rl_project_get_mask (project, r->image_id, RL_MASK_CURRENT, &w, &h, &labels, error))
    return FALSE;
  gsize hw = (gsize) w * h;
  for (gsize i = 0; i < hw; i++)
    labels[i] = s.map[i] == index + 1 && labels[i] == r->labelled;
  if (region != NULL)
    *region = g_steal_pointer (&r);
  *width = w;
  *height = h;
  *mask = g_steal_pointer (&labels);
  return TRUE;
}

gboolean
rl_suspects_accept (RlProject *project, gint64 suspect_id, guint *n_changed, GError **error)
{
  if (n_changed != NULL)
    *n_changed = 0;
  g_autoptr (RlSuspectRegion) r = NULL;
  int w = 0, h = 0;
  g_autofree guint8 *region = NULL;
  if (!rl_suspects_region_mask (project, suspect_id, &r, &w, &h, &region, error))
    return FALSE;
  g_autofree guint8 *mask = NULL;
  if (!rl_project_get_mask (project, r->image_id, RL_MASK_CURRENT, &w, &h, &mask, error))
    return FALSE;
  gsize hw = (gsize) w * h;
  for (gsize i = 0; i < hw; i++)
    if (region[i])
      mask[i] = (guint8) r->suggested;
  if (!rl_project_commit_mask (project, r->image_id, "accept-suggestion", mask, n_changed,
                               error)
      || !rl_suspects_record_accept (project, r, error))
    return FALSE;
  return rl_suspects_update_image (project, r->image_id, error);
}

gboolean
rl_suspects_record_accept (RlProject *project, const RlSuspectRegion *region, GError **error)
{
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return FALSE;
  g_autoptr (sqlite3_stmt) ins =
    db_prepare (db, project, "INSERT INTO suspect_accepts (image_id, labelled, suggested,"
                             " pixels, created) VALUES (?, ?, ?, ?,"
                             " strftime ('%Y-%m-%dT%H:%M:%SZ', 'now'))", error);
  if (ins == NULL)
    return FALSE;
  sqlite3_bind_int64 (ins, 1, region->image_id);
  sqlite3_bind_int (ins, 2, region->labelled);
  sqlite3_bind_int (ins, 3, region->suggested);
  sqlite3_bind_int64 (ins, 4, region->pixels);
  return sqlite3_step (ins) == SQLITE_DONE
         || db_fail (db, project, error, "cannot store an accepted suggestion");
}

gboolean
rl_suspects_dismiss (RlProject *project, gint64 suspect_id, GError **error)
{
  g_autoptr (sqlite3) db = db_open (project, error);
  if (db == NULL)
    return FALSE;
  g_autoptr (RlSuspectRegion) r = read_region (db, project, suspect_id, error);
  if (r == NULL)
    return FALSE;
  if (!db_exec (db, project, "BEGIN IMMEDIATE", error))
    return FALSE;
  g_autoptr (sqlite3_stmt) ins =
    db_prepare (db, project, "INSERT INTO suspect_dismissals (image_id, labelled, suggested,"
                             " x, y, w, h, pixels, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                             " strftime ('%Y-%m-%dT%H:%M:%SZ', 'now'))", error);
  g_autoptr (sqlite3_stmt) del =
    db_prepare (db, project, "DELETE FROM suspects WHERE id = ?", error);
  gboolean ok = ins != NULL && del != NULL;
  if (ok)
    {
      sqlite3_bind_int64 (ins, 1, r->image_id);
      sqlite3_bind_int (ins, 2, r->labelled);
      sqlite3_bind_int (ins, 3, r->suggested);
      sqlite3_bind_int (ins, 4, r->x);
      sqlite3_bind_int (ins, 5, r->y);
      sqlite3_bind_int (ins, 6, r->w);
      sqlite3_bind_int (ins, 7, r->h);
      sqlite3_bind_int64 (ins, 8, r->pixels);
      sqlite3_bind_int64 (del, 1, suspect_id);
      ok = (sqlite3_step (ins) == SQLITE_DONE && sqlite3_step (del) == SQLITE_DONE)
           || db_fail (db, project, error, "cannot store a dismissal");
    }
  g_clear_pointer (&ins, sqlite3_finalize);
  g_clear_pointer (&del, sqlite3_finalize);
  return tx_end (db, project, ok, error);
}

gboolean
rl_suspects_undismiss_image (RlProject *project, gint64 image_id, GError **error)
{
  const RlClassSpec *spec = NULL;
  g_autoptr (sqlite3) db = open_with_spec (project, &spec, error);
  if (db == NULL)
    return FALSE;
  g_autoptr (sqlite3_stmt) del =
    db_prepare (db, project, "DELETE FROM suspect_dismissals WHERE image_id = ?", error);
  if (del == NULL)
    return FALSE;
  sqlite3_bind_int64 (del, 1, image_id);
  if (sqlite3_step (del) != SQLITE_DONE)
    return db_fail (db, project, error, "cannot forget dismissals");
  g_clear_pointer (&del, sqlite3_finalize);
  gint64 model_id = queue_model (db, project);
  if (model_id == 0)
    return TRUE;
  return update_image (db, project, spec, model_id, image_id, error);
}
