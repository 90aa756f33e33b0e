/* The project store: edits as compressed pixel diffs, undo and redo, and the edit steps.
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

/* The status of an image whose history is applied up to step pos: reviewed at the point where
 * a person marked it reviewed, else corrected while a step a person made is applied, else as
 * the steps that took the prediction and the import left it (labelled when the dataset gave
 * labels or a prediction was taken). */
static gboolean
status_at (RlProject *p, gint64 image_id, gint64 pos, int *status, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt =
    db_prepare (p, "SELECT EXISTS (SELECT 1 FROM edits WHERE image_id = ?1 AND seq <= ?2"
                   " AND human = 1), i.has_original, i.reviewed_pos IS ?2"
                   " FROM images i WHERE i.id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, image_id);
  sqlite3_bind_int64 (stmt, 2, pos);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return db_fail (p, error, "cannot read the edit history");
  if (sqlite3_column_int (stmt, 2))
    *status = RL_IMAGE_REVIEWED;
  else if (sqlite3_column_int (stmt, 0))
    *status = RL_IMAGE_CORRECTED;
  else
    *status = pos > 0 || sqlite3_column_int (stmt, 1) ? RL_IMAGE_PRELABELLED
                                                      : RL_IMAGE_UNLABELLED;
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

  /* A new step after undo drops the redo tail, and a reviewed point in it. */
  {
    g_autoptr (sqlite3_stmt) del =
      db_prepare (p, "DELETE FROM edits WHERE image_id = ? AND seq > ?", error);
    if (del == NULL)
      return FALSE;
    sqlite3_bind_int64 (del, 1, image_id);
    sqlite3_bind_int64 (del, 2, row.edit_pos);
    if (!db_step_done (p, del, error, "cannot drop the redo steps"))
      return FALSE;
    g_autoptr (sqlite3_stmt) unmark =
      db_prepare (p, "UPDATE images SET reviewed_pos = NULL WHERE id = ? AND reviewed_pos > ?",
                  error);
    if (unmark == NULL)
      return FALSE;
    sqlite3_bind_int64 (unmark, 1, image_id);
    sqlite3_bind_int64 (unmark, 2, row.edit_pos);
    if (!db_step_done (p, unmark, error, "cannot drop the redo steps"))
      return FALSE;
  }
  {
    g_autoptr (sqlite3_stmt) ins =
      db_prepare (p, "INSERT INTO edits (image_id, seq, tool, n_changed, diff, created, human)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", error);
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
    sqlite3_bind_int (ins, 7, kind == STEP_HUMAN);
    if (!db_step_done (p, ins, error, "cannot record an edit"))
      return FALSE;
  }
  if (!store_current (p, &row, new, error))
    return FALSE;
  {
    /* As after undo and redo: a person's step makes the image corrected, a taken prediction
     * pre-labelled unless a person's step is applied; a reviewed mask that changes is no longer
     * the one a person reviewed (its point stays reachable by undo). */
    int status;
    if (!status_at (p, image_id, row.edit_pos + 1, &status, error))
      return FALSE;
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
  gint64 pos = forward ? seq : seq - 1;
  int status;
  if (!status_at (p, image_id, pos, &status, error))
    return FALSE;
  g_autoptr (sqlite3_stmt) upd =
    db_prepare (p, "UPDATE images SET edit_pos = ?, rev = ?, status = ? WHERE id = ?", error);
  if (upd == NULL)
    return FALSE;
  sqlite3_bind_int64 (upd, 1, pos);
  sqlite3_bind_int64 (upd, 2, row.rev + 1);
  sqlite3_bind_int (upd, 3, status);
  sqlite3_bind_int64 (upd, 4, image_id);
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
    db_prepare (p, "UPDATE images SET status = ?1,"
                   " reviewed_pos = CASE WHEN ?1 = ?3 THEN edit_pos END WHERE id = ?2", error);
  gboolean ok = stmt != NULL;
  if (ok)
    {
      sqlite3_bind_int (stmt, 1, status);
      sqlite3_bind_int64 (stmt, 2, image_id);
      sqlite3_bind_int (stmt, 3, RL_IMAGE_REVIEWED);
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
