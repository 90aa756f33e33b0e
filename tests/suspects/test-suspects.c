/* Suspected label errors: the engine's confidences and thresholds on hand-computed cases, the
 * ranking on a synthetic image with a known answer, and in a project of 2 CamVid val images
 * with the shipped model: accept as one undoable edit, dismiss remembered, both persistent, and
 * both answers weighing their class pair's regions in the queue. */
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rl-model.h"
#include "rl-project-suspects.h"
#include "rl-session.h"
#include "rl-suspects.h"

static void
test_confidence (void)
{
  /* 2 classes, 2 pixels: logits (0, ln 3) -> p = (0.25, 0.75); (2, 2) -> (0.5, 0.5). */
  const float logits[4] = { 0.0f, 2.0f, logf (3.0f), 2.0f };
  const guint8 truth[2] = { 0, 7 };   /* 7: not a class, confidence 0 */
  guint8 labels[2], cp[2], ct[2];
  rl_confidence_from_logits (logits, 2, 2, truth, labels, cp, ct);
  g_assert_cmpint (labels[0], ==, 1);
  g_assert_cmpint (cp[0], ==, 191);   /* round (255 * 0.75) = round (191.25) */
  g_assert_cmpint (ct[0], ==, 64);    /* round (63.75) */
  g_assert_cmpint (labels[1], ==, 0); /* ties go to the first class */
  g_assert_cmpint (cp[1], ==, 128);   /* round (127.5) */
  g_assert_cmpint (ct[1], ==, 0);
}

static void
test_thresholds (void)
{
  const guint8 labels[4] = { 0, 0, 1, 9 };
  const guint8 conf[4] = { 255, 0, 51, 200 };
  RlSuspectStats s, t;
  rl_suspect_stats_init (&s);
  rl_suspect_stats_add (&s, 3, 9, labels, conf, 4);
  rl_suspect_stats_init (&t);
  rl_suspect_stats_merge (&t, &s);
  rl_suspect_stats_merge (&t, &s);
  float thr[3];
  rl_suspect_stats_thresholds (&t, 3, thr);
  g_assert_cmpfloat_with_epsilon (thr[0], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (thr[1], 0.2, 1e-6);
  g_assert_cmpfloat_with_epsilon (thr[2], 0.5, 1e-6);   /* never labelled: the default */
  g_assert_cmpint (t.count[0], ==, 4);
}

enum { SKY = 0, ROAD = 3, PAVEMENT = 4, CAR = 8 };
#define W 60
#define H 40

/* Road everywhere, Sky above row 10, a Pavement square the model calls Road (a wrongly
 * labelled region), a Car the model sees in the Road (a missed object), and the Sky/Road
 * boundary predicted 2 rows low (an offset within the tolerance band). */
static void
test_ranking (void)
{
  guint8 lab[H * W], pred[H * W], cp[H * W], cl[H * W];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        int i = y * W + x;
        lab[i] = y < 10 ? SKY : ROAD;
        pred[i] = lab[i];
        if (y >= 10 && y < 12)
          pred[i] = SKY;                          /* boundary offset: 2 x 60 px */
        if (x >= 5 && x < 15 && y >= 20 && y < 30)
          {
            lab[i] = PAVEMENT;                    /* 10 x 10 region, model says Road */
            pred[i] = ROAD;
          }
        if (x >= 40 && x < 48 && y >= 24 && y < 32)
          pred[i] = CAR;                          /* 8 x 8 object labelled Road */
        gboolean dis = pred[i] != lab[i];
        cp[i] = dis ? 230 : 200;
        cl[i] = dis ? 10 : 200;
      }
  float thr[11];
  for (int c = 0; c < 11; c++)
    thr[c] = 0.5f;
  RlSuspectParams params = { 11, 11, thr, 3.0, 10 };
  RlSuspect *s = NULL;
  int n = 0;
  gint32 map[H * W];
  RlError err = { { 0 } };
  g_assert_cmpint (rl_suspects_find (&params, lab, pred, cp, cl, H, W, &s, &n, map, &err), ==,
                   RL_OK);
  g_assert_cmpint (n, ==, 3);
  /* Scores (rl-suspects.h): m^2 * pixels * confident share * (1 - band share) * isolation with
   * m = (230 - 10) / 255 everywhere. 1: the Car: 64 px, no label boundary near it, the model's
   * Car object entirely labelled Road (isolation 1). */
  const double m = 220 / 255.0;
  g_assert_cmpint (s[0].kind, ==, RL_SUSPECT_REGION);
  g_assert_cmpint (s[0].labelled, ==, ROAD);
  g_assert_cmpint (s[0].suggested, ==, CAR);
  g_assert_cmpint (s[0].pixels, ==, 64);
  g_assert_cmpint (s[0].x, ==, 40);
  g_assert_cmpint (s[0].y, ==, 24);
  g_assert_cmpint (s[0].w, ==, 8);
  g_assert_cmpint (s[0].h, ==, 8);
  g_assert_cmpfloat_with_epsilon (s[0].isolated, 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (s[0].score, m * m * 64, 1e-9);
  /* 2: the Pavement square, whole: 100 px, of which only the 2 x 2 centre lies farther than
   * 3 px from its own label boundary. */
  g_assert_cmpint (s[1].kind, ==, RL_SUSPECT_REGION);
  g_assert_cmpint (s[1].labelled, ==, PAVEMENT);
  g_assert_cmpint (s[1].suggested, ==, ROAD);
  g_assert_cmpint (s[1].pixels, ==, 100);
  g_assert_cmpint (s[1].x, ==, 5);
  g_assert_cmpint (s[1].y, ==, 20);
  g_assert_cmpint (s[1].w, ==, 10);
  g_assert_cmpint (s[1].h, ==, 10);
  g_assert_cmpfloat_with_epsilon (s[1].inside_band, 0.96, 1e-9);
  g_assert_cmpfloat_with_epsilon (s[1].score, m * m * 100 * 0.04, 1e-9);
  /* 3: the offset, all within 3 px of the Sky/Road boundary: kept apart, last. */
  g_assert_cmpint (s[2].kind, ==, RL_SUSPECT_BOUNDARY);
  g_assert_cmpint (s[2].labelled, ==, ROAD);
  g_assert_cmpint (s[2].suggested, ==, SKY);
  g_assert_cmpint (s[2].pixels, ==, 120);
  /* The map names exactly each region's pixels. */
  for (int i = 0; i < H * W; i++)
    {
      int x = i % W, y = i / W;
      int want = x >= 40 && x < 48 && y >= 24 && y < 32 ? 1
                 : x >= 5 && x < 15 && y >= 20 && y < 30 ? 2 : y >= 10 && y < 12 ? 3 : 0;
      g_assert_cmpint (map[i], ==, want);
    }
  free (s);

  /* The same square 30 % disagreeing is no longer suspected whole: only its 30 px (below
   * min_pixels 40) were, so nothing is reported for it. */
  for (int y = 20; y < 30; y++)
    for (int x = 5; x < 15; x++)
      if (y >= 23)
        {
          pred[y * W + x] = PAVEMENT;
          cp[y * W + x] = cl[y * W + x] = 200;
        }
  params.min_pixels = 40;
  g_assert_cmpint (rl_suspects_find (&params, lab, pred, cp, cl, H, W, &s, &n, NULL, &err), ==,
                   RL_OK);
  for (int k = 0; k < n; k++)
    g_assert_cmpint (s[k].labelled, !=, PAVEMENT);
  free (s);

  /* A pixel the model is unsure about (below its class's threshold) is not disagreement. */
  thr[CAR] = 0.95f;
  g_assert_cmpint (rl_suspects_find (&params, lab, pred, cp, cl, H, W, &s, &n, NULL, &err), ==,
                   RL_OK);
  for (int k = 0; k < n; k++)
    g_assert_cmpint (s[k].suggested, !=, CAR);
  free (s);
  g_assert_cmpint (rl_suspects_find (&params, lab, pred, cp, cl, 0, W, &s, &n, NULL, &err), ==,
                   RL_ERR_INVALID);
}

/* ------------------------------------------------------------------------------------------ */

static void
rm_rf (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR) && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
        rm_rf (p);
      else
        g_unlink (p);
    }
  g_rmdir (dir);
}

static RlSuspectRegion *
find_same (GPtrArray *list, const RlSuspectRegion *r)
{
  for (guint i = 0; i < list->len; i++)
    {
      RlSuspectRegion *o = list->pdata[i];
      if (o->image_id == r->image_id && o->labelled == r->labelled
          && o->suggested == r->suggested && o->x == r->x && o->y == r->y && o->w == r->w
          && o->h == r->h && o->pixels == r->pixels)
        return o;
    }
  return NULL;
}

/* How many rows sql (one count) finds in the project file at path. */
static gint64
count_rows (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  gint64 n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

/* ---- the session's suspects calls (what the window's panel uses) */

typedef struct
{
  gboolean opened, listed, loaded;
  gint64 image_loaded, region;
} Seen;

static void on_opened (RlSession *s, Seen *seen) { seen->opened = TRUE; }
static void on_listed (RlSession *s, Seen *seen) { seen->listed = TRUE; }
static void on_image (RlSession *s, gint64 id, Seen *seen) { seen->image_loaded = id; }
static void on_region (RlSession *s, gint64 sid, gint64 img, Seen *seen)
{
  seen->loaded = TRUE;
  seen->region = img != 0 ? sid : -1;
}

static void
wait_until (gboolean *flag)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!*flag && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*flag);
}

/* Through an RlSession on the project at path (pre-labelled, queue computed): list, load the
 * worst region's pixels, accept it as an RL_EDIT_REGION edit, undo, dismiss; each checked in
 * the project. */
static void
check_session (const char *path)
{
  g_autoptr (GError) error = NULL;
  Seen seen = { 0 };
  g_autoptr (RlSession) session = rl_session_new ();
  g_signal_connect (session, "project-opened", G_CALLBACK (on_opened), &seen);
  g_signal_connect (session, "suspects-changed", G_CALLBACK (on_listed), &seen);
  g_signal_connect (session, "image-loaded", G_CALLBACK (on_image), &seen);
  g_signal_connect (session, "suspect-region", G_CALLBACK (on_region), &seen);
  rl_session_open (session, path);
  wait_until (&seen.opened);
  rl_session_list_suspects (session, NULL);
  wait_until (&seen.listed);
  GPtrArray *list = rl_session_get_suspects (session);
  g_assert_nonnull (list);
  g_assert_cmpuint (list->len, >=, 1);
  g_assert_nonnull (rl_session_get_suspect_pairs (session));
  RlSuspectRegion r = *(RlSuspectRegion *) list->pdata[0];
  r.image = NULL;

  /* not loaded yet: accepting is refused, nothing changes */
  g_assert_false (rl_session_accept_suspect (session, r.id, NULL, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  rl_session_select_image (session, r.image_id);
  rl_session_load_suspect (session, r.id);
  wait_until (&seen.loaded);
  g_assert_cmpint (seen.region, ==, r.id);
  g_assert_cmpint (seen.image_loaded, ==, r.image_id);
  GBytes *mask = NULL;
  int w = 0, h = 0;
  const RlSuspectRegion *loaded = rl_session_get_suspect_region (session, &mask, &w, &h);
  g_assert_cmpint (loaded->id, ==, r.id);
  const guint8 *m = g_bytes_get_data (mask, NULL);
  g_assert_cmpuint (g_bytes_get_size (mask), ==, (gsize) w * h);

  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_autofree guint8 *before = NULL, *after = NULL, *undone = NULL;
  g_assert_true (rl_project_get_mask (p, r.image_id, RL_MASK_CURRENT, &w, &h, &before, &error));
  /* the mask: exactly the region's pixels, all labelled its class, inside its box */
  gint64 n_mask = 0;
  for (int i = 0; i < w * h; i++)
    if (m[i])
      {
        n_mask++;
        g_assert_cmpint (before[i], ==, r.labelled);
        int x = i % w, y = i / w;
        g_assert_true (x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h);
      }
  g_assert_cmpint (n_mask, ==, r.pixels);

  g_autofree char *q = g_strdup_printf ("SELECT count(*) FROM suspect_accepts WHERE image_id ="
                                        " %" G_GINT64_FORMAT " AND labelled = %d AND suggested"
                                        " = %d AND pixels = %" G_GINT64_FORMAT, r.image_id,
                                        r.labelled, r.suggested, r.pixels);
  gint64 n_answers = count_rows (path, q);
  guint changed = 0;
  g_assert_true (rl_session_accept_suspect (session, r.id, &changed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (changed, ==, r.pixels);
  seen.listed = FALSE;
  rl_session_flush (session);
  wait_until (&seen.listed);
  g_assert_true (rl_project_get_mask (p, r.image_id, RL_MASK_CURRENT, &w, &h, &after, &error));
  for (int i = 0; i < w * h; i++)
    g_assert_cmpint (after[i], ==, m[i] ? r.suggested : before[i]);
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, r.image_id, &error);
  g_assert_cmpstr (((RlEditInfo *) edits->pdata[edits->len - 1])->tool, ==,
                   "accept-suggestion");
  g_assert_null (find_same (rl_session_get_suspects (session), &r));
  /* the accept is an answer about its class pair, one more row */
  g_assert_cmpint (count_rows (path, q), ==, n_answers + 1);

  /* undo: the labels and the region come back (the image's queue is recomputed) */
  seen.listed = FALSE;
  rl_session_undo (session);
  rl_session_flush (session);
  wait_until (&seen.listed);
  g_assert_true (rl_project_get_mask (p, r.image_id, RL_MASK_CURRENT, &w, &h, &undone, &error));
  g_assert_cmpmem (undone, w * h, before, w * h);
  const RlSuspectRegion *back = find_same (rl_session_get_suspects (session), &r);
  g_assert_nonnull (back);

  /* not an error: remembered */
  seen.listed = FALSE;
  rl_session_dismiss_suspect (session, back->id);
  rl_session_flush (session);
  wait_until (&seen.listed);
  g_assert_null (find_same (rl_session_get_suspects (session), &r));
  g_autoptr (GPtrArray) stored = rl_suspects_list (p, NULL, &error);
  g_assert_null (find_same (stored, &r));
  rl_session_shutdown (session);
  rl_session_flush (session);
}

/* The queue is worst first by kind, then score x weight, and every region's weight is the one
 * its class pair's answers give: pair a (labelled a[0], suggested a[1]) weight wa, pair b wb,
 * every other pair 1. */
static void
check_weights (GPtrArray *list, const int a[2], double wa, const int b[2], double wb)
{
  g_assert_cmpuint (list->len, >=, 2);
  for (guint i = 0; i < list->len; i++)
    {
      RlSuspectRegion *r = list->pdata[i];
      double want = r->labelled == a[0] && r->suggested == a[1]   ? wa
                    : r->labelled == b[0] && r->suggested == b[1] ? wb
                                                                  : 1.0;
      g_assert_cmpfloat_with_epsilon (r->weight, want, 1e-9);
      if (i > 0)
        {
          RlSuspectRegion *q = list->pdata[i - 1];
          g_assert_true (q->kind < r->kind
                         || (q->kind == r->kind && q->score * q->weight >= r->score * r->weight));
        }
    }
}

/* The answers weigh the queue (rl-project-suspects.c, "The queue learns from the answers").
 * From no answers: a "not an error" on pair A gives g = (0 + 1) / (1 + 10) = 1/11, A's
 * p = (0 + 2/11) / (1 + 2) = 2/33, weight (p / g)^2 = (2/3)^2 = 4/9; then an accepted
 * suggestion of pair B: g = (1 + 1) / (2 + 10) = 1/6, B's p = (1 + 2/6) / 3 = 4/9, weight
 * (8/3)^2 = 64/9, A's p = (2/6) / 3 = 1/9, weight (2/3)^2 = 4/9. Kept across a reopen. */
static void
check_answers (const char *path)
{
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM suspect_accepts; DELETE FROM"
                                     " suspect_dismissals", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  RlProject *p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (rl_suspects_update (p, 0, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  const int none[2] = { -1, -1 };
  g_autoptr (GPtrArray) l0 = rl_suspects_list (p, NULL, &error);
  g_assert_no_error (error);
  check_weights (l0, none, 1.0, none, 1.0);

  RlSuspectRegion *worst = l0->pdata[0];
  g_assert_cmpint (worst->kind, ==, RL_SUSPECT_REGION);
  const int a[2] = { worst->labelled, worst->suggested };
  g_assert_true (rl_suspects_dismiss (p, worst->id, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) l1 = rl_suspects_list (p, NULL, &error);
  check_weights (l1, a, 4.0 / 9, none, 1.0);

  RlSuspectRegion *other = NULL;
  for (guint i = 0; i < l1->len && other == NULL; i++)
    {
      RlSuspectRegion *r = l1->pdata[i];
      if (r->kind == RL_SUSPECT_REGION && (r->labelled != a[0] || r->suggested != a[1]))
        other = r;
    }
  g_assert_nonnull (other);
  const int b[2] = { other->labelled, other->suggested };
  g_assert_true (rl_suspects_accept (p, other->id, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) l2 = rl_suspects_list (p, NULL, &error);
  check_weights (l2, a, 4.0 / 9, b, 64.0 / 9);
  /* a filtered page is ordered the same way */
  RlSuspectFilter f;
  rl_suspect_filter_init (&f);
  f.kind = RL_SUSPECT_REGION;
  g_autoptr (GPtrArray) regions = rl_suspects_list (p, &f, &error);
  guint k = 0;
  for (guint i = 0; i < l2->len; i++)
    if (((RlSuspectRegion *) l2->pdata[i])->kind == RL_SUSPECT_REGION)
      g_assert_cmpint (((RlSuspectRegion *) regions->pdata[k++])->id, ==,
                       ((RlSuspectRegion *) l2->pdata[i])->id);
  g_assert_cmpuint (k, ==, regions->len);
  rl_project_close (p);

  p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) l3 = rl_suspects_list (p, NULL, &error);
  g_assert_no_error (error);
  check_weights (l3, a, 4.0 / 9, b, 64.0 / 9);
  rl_project_close (p);
}

static void
test_project (void)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID"), *src = g_getenv ("RELABEL_SOURCE_ROOT");
  g_autofree char *val = camvid ? g_build_filename (camvid, "val.txt", NULL) : NULL;
  if (val == NULL || src == NULL || !g_file_test (val, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no CamVid (RELABEL_CAMVID) or source root");
      return;
    }
  g_autofree char *tmp = g_dir_make_tmp ("rl-suspects-XXXXXX", NULL);
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  g_mkdir (ds, 0755);
  for (int k = 0; k < 2; k++)
    {
      const char *d = k == 0 ? "val" : "valannot";
      g_autofree char *from = g_build_filename (camvid, d, NULL);
      g_autofree char *to = g_build_filename (ds, d, NULL);
      g_assert_cmpint (symlink (from, to), ==, 0);
    }
  g_autofree char *list = NULL;
  g_assert_true (g_file_get_contents (val, &list, NULL, NULL));
  g_auto (GStrv) lines = g_strsplit (list, "\n", 3);
  g_autofree char *two = g_strdup_printf ("%s\n%s\n", lines[0], lines[1]);
  g_autofree char *val_out = g_build_filename (ds, "val.txt", NULL);
  g_autofree char *train_out = g_build_filename (ds, "train.txt", NULL);
  g_assert_true (g_file_set_contents (val_out, two, -1, NULL));
  g_assert_true (g_file_set_contents (train_out, "", -1, NULL));

  g_autofree char *path = g_build_filename (tmp, "p.relabel", NULL);
  g_autofree char *model_path =
    g_build_filename (src, "resources/models/segnet-basic-camvid.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  RlProject *p = rl_project_open (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (rl_project_import (p, "camvid", ds, NULL, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* No model yet: a clear error, nothing else. */
  g_assert_false (rl_suspects_update (p, 0, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  gint64 model_id = rl_project_add_model (p, "shipped", model_path, 0, NULL, &error);
  g_assert_no_error (error);

  /* Pre-label both images with confidences. */
  g_autoptr (GArray) missing = rl_suspects_missing (p, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (missing->len, ==, 2);
  RlModel *model = NULL;
  g_assert_cmpint (rl_model_load (model_path, &model, NULL), ==, RL_OK);
  for (guint i = 0; i < missing->len; i++)
    {
      g_assert_true (rl_suspects_predict_image (p, model, model_id,
                                                g_array_index (missing, gint64, i), 0, NULL,
                                                NULL, &error));
      g_assert_no_error (error);
    }
  rl_model_free (model);
  g_autoptr (GArray) none = rl_suspects_missing (p, 0, &error);
  g_assert_cmpuint (none->len, ==, 0);
  guint n_regions = 0;
  g_assert_true (rl_suspects_update (p, 0, NULL, NULL, NULL, &n_regions, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) all = rl_suspects_list (p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, n_regions);
  g_assert_cmpuint (all->len, >=, 2);
  /* Worst first: regions by score, then boundary offsets. */
  for (guint i = 1; i < all->len; i++)
    {
      RlSuspectRegion *a = all->pdata[i - 1], *b = all->pdata[i];
      g_assert_true (a->kind < b->kind || (a->kind == b->kind && a->score >= b->score));
    }
  /* Filters and the class-pair summary agree with the full list. */
  RlSuspectRegion *first = all->pdata[0];
  RlSuspectFilter f;
  rl_suspect_filter_init (&f);
  f.labelled = first->labelled;
  f.suggested = first->suggested;
  g_autoptr (GPtrArray) pair_list = rl_suspects_list (p, &f, &error);
  g_autoptr (GPtrArray) pairs = rl_suspects_pairs (p, &error);
  g_assert_no_error (error);
  gint64 px = 0, n_pair = 0;
  for (guint i = 0; i < all->len; i++)
    {
      RlSuspectRegion *r = all->pdata[i];
      if (r->labelled == first->labelled && r->suggested == first->suggested)
        {
          n_pair++;
          px += r->kind == RL_SUSPECT_REGION ? r->pixels : 0;
        }
    }
  g_assert_cmpuint (pair_list->len, ==, n_pair);
  gboolean seen = FALSE;
  for (guint i = 0; i < pairs->len; i++)
    {
      RlSuspectPair *q = pairs->pdata[i];
      if (q->labelled == first->labelled && q->suggested == first->suggested)
        {
          g_assert_cmpint (q->pixels, ==, px);
          g_assert_cmpuint (q->n_in_sample, ==, 0);
          seen = TRUE;
        }
    }
  g_assert_true (seen);
  f.limit = 1;
  f.offset = 1;
  rl_suspect_filter_init (&f);
  f.limit = 1;
  f.offset = 1;
  g_autoptr (GPtrArray) page = rl_suspects_list (p, &f, &error);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpint (((RlSuspectRegion *) page->pdata[0])->id, ==,
                   ((RlSuspectRegion *) all->pdata[1])->id);

  /* Accept the worst: exactly its pixels become the suggested class, as one edit. */
  RlSuspectRegion acc = *first;
  acc.image = NULL;
  int w = 0, h = 0;
  g_autofree guint8 *before = NULL, *after = NULL, *undone = NULL;
  g_assert_true (rl_project_get_mask (p, acc.image_id, RL_MASK_CURRENT, &w, &h, &before,
                                      &error));
  guint changed = 0;
  g_assert_true (rl_suspects_accept (p, acc.id, &changed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (changed, ==, acc.pixels);
  g_assert_true (rl_project_get_mask (p, acc.image_id, RL_MASK_CURRENT, &w, &h, &after, &error));
  guint n_diff = 0;
  for (int i = 0; i < w * h; i++)
    if (before[i] != after[i])
      {
        n_diff++;
        g_assert_cmpint (before[i], ==, acc.labelled);
        g_assert_cmpint (after[i], ==, acc.suggested);
        int x = i % w, y = i / w;
        g_assert_true (x >= acc.x && x < acc.x + acc.w && y >= acc.y && y < acc.y + acc.h);
      }
  g_assert_cmpuint (n_diff, ==, changed);
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, acc.image_id, &error);
  g_assert_cmpuint (edits->len, ==, 1);
  g_assert_cmpstr (((RlEditInfo *) edits->pdata[0])->tool, ==, "accept-suggestion");
  g_autoptr (GPtrArray) after_accept = rl_suspects_list (p, NULL, &error);
  g_assert_null (find_same (after_accept, &acc));
  /* The entry is gone: accepting it again is NOT_FOUND and changes nothing. */
  g_assert_false (rl_suspects_accept (p, acc.id, &changed, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Persistent: reopen, the edit is there; undo restores the labels and the region. */
  rl_project_close (p);
  p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_autofree guint8 *reopened = NULL;
  g_assert_true (rl_project_get_mask (p, acc.image_id, RL_MASK_CURRENT, &w, &h, &reopened,
                                      &error));
  g_assert_cmpmem (reopened, w * h, after, w * h);
  gboolean done = FALSE;
  g_assert_true (rl_project_undo (p, acc.image_id, &done, &error));
  g_assert_true (done);
  g_assert_true (rl_project_get_mask (p, acc.image_id, RL_MASK_CURRENT, &w, &h, &undone,
                                      &error));
  g_assert_cmpmem (undone, w * h, before, w * h);
  g_assert_true (rl_suspects_update_image (p, acc.image_id, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) after_undo = rl_suspects_list (p, NULL, &error);
  g_assert_nonnull (find_same (after_undo, &acc));

  /* Dismiss one: gone from the queue, also after a full update and after reopening. */
  RlSuspectRegion dis = *(RlSuspectRegion *) after_undo->pdata[0];
  dis.image = NULL;
  g_assert_true (rl_suspects_dismiss (p, dis.id, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) l1 = rl_suspects_list (p, NULL, &error);
  g_assert_null (find_same (l1, &dis));
  g_assert_cmpuint (l1->len, ==, after_undo->len - 1);
  rl_project_close (p);
  p = rl_project_open (path, FALSE, &error);
  g_assert_true (rl_suspects_update (p, 0, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autoptr (GPtrArray) l2 = rl_suspects_list (p, NULL, &error);
  g_assert_null (find_same (l2, &dis));
  g_assert_cmpuint (l2->len, ==, after_undo->len - 1);
  /* ... and undismissed, it is back. */
  g_assert_true (rl_suspects_undismiss_image (p, dis.image_id, &error));
  g_autoptr (GPtrArray) l3 = rl_suspects_list (p, NULL, &error);
  g_assert_nonnull (find_same (l3, &dis));
  g_assert_false (rl_suspects_dismiss (p, 999999, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  check_session (path);
  check_answers (path);

  /* A prediction stored again without confidences drops them: the image is missing again. */
  g_autofree guint8 *pred = NULL;
  g_assert_true (rl_project_get_mask (p, acc.image_id, RL_MASK_PREDICTION, &w, &h, &pred,
                                      &error));
  g_assert_true (rl_project_set_prediction (p, acc.image_id, model_id, pred, w, h, &error));
  g_autoptr (GArray) again = rl_suspects_missing (p, 0, &error);
  g_assert_cmpuint (again->len, ==, 1);
  g_assert_cmpint (g_array_index (again, gint64, 0), ==, acc.image_id);
  rl_project_close (p);
  rm_rf (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/suspects/confidence", test_confidence);
  g_test_add_func ("/suspects/thresholds", test_thresholds);
  g_test_add_func ("/suspects/ranking", test_ranking);
  g_test_add_func ("/suspects/project", test_project);
  return g_test_run ();
}
