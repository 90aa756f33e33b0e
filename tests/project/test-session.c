/* The editing session headless: open, load an image, edits applied through rl_session_apply_edit
 * land in the project exactly as the CLI's rl_project_apply_edit lands the same edit in a copy,
 * undo/redo, an invalid edit changes nothing, protect means "class under the first point or
 * void", and image names resolve with or without extension. */
#include <glib/gstdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <math.h>

#include "rl-mask-ops.h"
#include "rl-metrics.h"
#include "rl-model.h"
#include "rl-net.h"
#include "rl-project-suspects.h"
#include "rl-safetensors.h"
#include "camvid-subset.h"
#include "rl-project.h"
#include "rl-session.h"

static char *
make_project (const char *tmp, int n, char **out_name)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID");
  g_assert_nonnull (camvid);
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  camvid_subset (camvid, ds, n);
  char *proj = g_build_filename (tmp, "s.relabel", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (proj, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (rl_project_import (p, "camvid", ds, NULL, NULL, NULL, NULL, NULL, &error));
  g_autoptr (GPtrArray) images = rl_project_list_images (p, &error);
  *out_name = g_strdup (((RlImageInfo *) images->pdata[0])->name);
  return proj;
}

static void
count_signal (gpointer counter)
{
  (*(int *) counter)++;
}

static void
on_error (RlSession *s, const char *msg, char **last)
{
  g_free (*last);
  *last = g_strdup (msg);
}

static guint8 *
project_mask (const char *path, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr (RlImageInfo) info = rl_project_find_image (p, name, &error);
  g_assert_no_error (error);
  int w, h;
  guint8 *mask = NULL;
  g_assert_true (rl_project_get_mask (p, info->id, RL_MASK_CURRENT, &w, &h, &mask, &error));
  return mask;
}

static void
test_session_edits (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-XXXXXX", NULL);
  g_autofree char *name = NULL;
  g_autofree char *proj = make_project (tmp, 2, &name);
  /* the CLI's copy: the same edits through rl_project_apply_edit */
  g_autofree char *cli = g_build_filename (tmp, "cli.relabel", NULL);
  {
    g_autofree char *cmd = g_strdup_printf ("cp '%s' '%s'", proj, cli);
    g_assert_cmpint (system (cmd), ==, 0);
  }

  g_autoptr (RlSession) s = rl_session_new ();
  int opened = 0, loaded = 0, masks = 0;
  g_autofree char *last_error = NULL;
  g_signal_connect_swapped (s, "project-opened", G_CALLBACK (count_signal), &opened);
  g_signal_connect_swapped (s, "image-loaded", G_CALLBACK (count_signal), &loaded);
  g_signal_connect_swapped (s, "mask-changed", G_CALLBACK (count_signal), &masks);
  g_signal_connect (s, "error", G_CALLBACK (on_error), &last_error);
  rl_session_open (s, proj);
  rl_session_flush (s);
  g_assert_cmpint (opened, ==, 1);
  g_assert_null (last_error);
  GPtrArray *images = rl_session_get_images (s);
  g_assert_cmpuint (images->len, ==, 2);
  gint64 id = ((RlImageInfo *) images->pdata[0])->id;
  rl_session_select_image (s, id);
  rl_session_flush (s);
  g_assert_cmpint (loaded, ==, 1);
  int w = 0, h = 0;
  const guint8 *rgb = NULL, *cur = NULL, *orig = NULL;
  g_assert_true (rl_session_get_image (s, &w, &h, &rgb, &cur, &orig, NULL));
  g_assert_cmpint (w, ==, 480);
  g_assert_cmpint (h, ==, 360);
  g_assert_true (memcmp (cur, orig, (gsize) w * h) == 0);
  g_autofree guint8 *before = g_memdup2 (cur, (gsize) w * h);

  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) cp = rl_project_open (cli, FALSE, &error);
  g_assert_no_error (error);

  /* a protected stroke: starts on the class at (100, 200); pixels of other classes stay */
  double xy[] = { 100.5, 200.5, 300.5, 220.5, 420.5, 120.5 };
  g_autoptr (RlEdit) stroke = rl_edit_new (RL_EDIT_STROKE, "brush");
  stroke->cls = 2;
  stroke->radius = 12;
  stroke->protect = RL_PROTECT_ANCHOR;
  rl_edit_set_points (stroke, xy, 3);
  guint n_session = 0, n_cli = 0;
  g_assert_true (rl_session_apply_edit (s, stroke, &n_session, &error));
  g_assert_no_error (error);
  g_assert_cmpint (masks, ==, 1);   /* the copy changed at once, before the writer ran */
  g_assert_true (rl_project_apply_edit (cp, id, stroke, &n_cli, &error));
  g_assert_cmpuint (n_session, ==, n_cli);
  g_assert_cmpuint (n_session, >, 500);
  /* protect by hand: every changed pixel was the anchor's class or void before */
  guint8 anchor = before[200 * w + 100];
  rl_session_get_image (s, NULL, NULL, NULL, &cur, NULL, NULL);
  for (gsize i = 0; i < (gsize) w * h; i++)
    if (cur[i] != before[i])
      {
        g_assert_cmpint (cur[i], ==, 2);
        g_assert_true (before[i] == anchor || before[i] >= 11);
      }
  /* an unprotected stroke over the same path changes more */
  g_autoptr (RlEdit) free_stroke = rl_edit_copy (stroke);
  free_stroke->protect = RL_PROTECT_NONE;
  free_stroke->cls = 5;
  g_assert_true (rl_session_apply_edit (s, free_stroke, &n_session, &error));
  g_assert_true (rl_project_apply_edit (cp, id, free_stroke, &n_cli, &error));
  g_assert_cmpuint (n_session, ==, n_cli);
  /* fill, polygon, eraser to original, a region */
  g_autoptr (RlEdit) fill = rl_edit_new (RL_EDIT_FILL, "fill");
  double at[] = { 10, 10 };
  fill->cls = 7;
  rl_edit_set_points (fill, at, 1);
  g_autoptr (RlEdit) poly = rl_edit_new (RL_EDIT_POLYGON, "polygon");
  double pts[] = { 50, 50, 150, 60, 90, 160 };
  poly->cls = 1;
  rl_edit_set_points (poly, pts, 3);
  g_autoptr (RlEdit) erase = rl_edit_new (RL_EDIT_STROKE, "eraser");
  erase->source = RL_EDIT_SOURCE_ORIGINAL;
  erase->radius = 20;
  rl_edit_set_points (erase, xy, 2);
  g_autoptr (RlEdit) region = rl_edit_new (RL_EDIT_REGION, "region");
  region->cls = 11;   /* void */
  region->region_x = 400;
  region->region_y = 300;
  region->region_w = 8;
  region->region_h = 4;
  region->region = g_malloc (32);
  for (int i = 0; i < 32; i++)
    region->region[i] = i % 3 == 0;
  RlEdit *edits[] = { fill, poly, erase, region };
  for (guint k = 0; k < G_N_ELEMENTS (edits); k++)
    {
      g_assert_true (rl_session_apply_edit (s, edits[k], &n_session, &error));
      g_assert_no_error (error);
      g_assert_true (rl_project_apply_edit (cp, id, edits[k], &n_cli, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n_session, ==, n_cli);
      g_assert_cmpuint (n_session, >, 0);
    }
  g_assert_cmpuint (n_session, ==, 11);   /* 32 region pixels, every third: 11 */

  /* an invalid edit: an error, nothing changes, nothing is queued */
  g_autoptr (RlEdit) bad = rl_edit_new (RL_EDIT_FILL, "fill");
  double outside[] = { 480, 10 };
  bad->cls = 3;
  rl_edit_set_points (bad, outside, 1);
  g_autofree guint8 *copy = g_memdup2 (cur, (gsize) w * h);
  g_assert_false (rl_session_apply_edit (s, bad, NULL, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "outside image"));
  g_clear_error (&error);
  g_assert_true (memcmp (copy, cur, (gsize) w * h) == 0);

  rl_session_flush (s);
  g_assert_null (last_error);
  g_autofree guint8 *saved = project_mask (proj, name);
  g_autofree guint8 *by_cli = project_mask (cli, name);
  g_assert_true (memcmp (saved, cur, (gsize) w * h) == 0);
  g_assert_true (memcmp (saved, by_cli, (gsize) w * h) == 0);
  RlImageInfo *info = rl_session_get_images (s)->pdata[0];
  g_assert_cmpint (info->n_edits, ==, 6);
  g_assert_cmpint (info->status, ==, RL_IMAGE_CORRECTED);

  /* undo all six: the session's copy and the project are the imported labels again */
  for (int k = 0; k < 6; k++)
    rl_session_undo (s);
  rl_session_flush (s);
  rl_session_get_image (s, NULL, NULL, NULL, &cur, NULL, NULL);
  g_assert_true (memcmp (cur, before, (gsize) w * h) == 0);
  g_autofree guint8 *undone = project_mask (proj, name);
  g_assert_true (memcmp (undone, before, (gsize) w * h) == 0);
  /* one more undo: a notice, no error */
  rl_session_undo (s);
  rl_session_redo (s);
  rl_session_flush (s);
  g_assert_null (last_error);
  g_autofree guint8 *redone = project_mask (proj, name);
  g_assert_false (memcmp (redone, before, (gsize) w * h) == 0);
  g_assert_true (memcmp (redone, cur, (gsize) w * h) == 0);
  /* the thumbnails started at open end; then the session is idle */
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (rl_session_is_busy (s) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (rl_session_is_busy (s));

  /* names with and without extension */
  g_autofree char *with_ext = g_strconcat (name, ".png", NULL);
  g_autoptr (RlImageInfo) a = rl_project_find_image (cp, name, &error);
  g_autoptr (RlImageInfo) b = rl_project_find_image (cp, with_ext, &error);
  g_assert_no_error (error);
  g_assert_cmpint (a->id, ==, b->id);
  g_autoptr (RlImageInfo) c = rl_project_find_image (cp, "nope.png", &error);
  g_assert_null (c);
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* A project that fails to open: one error line naming the file, no crash, nothing opened. */
static void
test_session_bad_open (void)
{
  g_autoptr (RlSession) s = rl_session_new ();
  int opened = 0;
  g_autofree char *last_error = NULL;
  g_signal_connect_swapped (s, "project-opened", G_CALLBACK (count_signal), &opened);
  g_signal_connect (s, "error", G_CALLBACK (on_error), &last_error);
  rl_session_open (s, "/nonexistent/x.relabel");
  rl_session_flush (s);
  g_assert_cmpint (opened, ==, 0);
  g_assert_nonnull (last_error);
  g_assert_nonnull (strstr (last_error, "/nonexistent/x.relabel"));
}

typedef struct
{
  char *kind;
  gboolean ok;
  gint64 version;
  int n;
} JobEnd;

static void
on_job_finished (RlSession *s, const char *kind, gboolean ok, gpointer error, gpointer result,
                 JobEnd *end)
{
  g_free (end->kind);
  end->kind = g_strdup (kind);
  end->ok = ok;
  if (g_strcmp0 (kind, "current-model") == 0)
    end->version = *(gint64 *) result;
  end->n++;
}

static gint64
project_current_model (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  return rl_project_current_model (p);
}

/* The demo is built and opened on the writer: the first open creates it from the data folder
 * (the bundled demo and model), later opens just open it, a missing data folder is one error. */
static void
test_session_demo (void)
{
  const char *root = g_getenv ("RELABEL_SOURCE_ROOT");
  g_assert_nonnull (root);
  g_autofree char *data_dir = g_build_filename (root, "resources", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-demo-XXXXXX", NULL);
  g_autofree char *demo = g_build_filename (tmp, "sub", "demo.relabel", NULL);

  g_autoptr (RlSession) s = rl_session_new ();
  int opened = 0;
  g_autofree char *last_error = NULL;
  g_signal_connect_swapped (s, "project-opened", G_CALLBACK (count_signal), &opened);
  g_signal_connect (s, "error", G_CALLBACK (on_error), &last_error);
  rl_session_open_demo (s, demo, data_dir);
  rl_session_flush (s);
  g_assert_null (last_error);
  g_assert_cmpint (opened, ==, 1);
  g_assert_true (g_file_test (demo, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (rl_session_get_images (s)->len, ==, 5);
  gint64 model = rl_session_get_current_model (s);
  g_assert_cmpint (model, >, 0);
  /* no temporary files are left beside it */
  g_autofree char *sub = g_path_get_dirname (demo);
  g_autoptr (GDir) dir = g_dir_open (sub, 0, NULL);
  const char *entry;
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_assert_null (strstr (entry, ".tmp-"));

  /* opened again without a data folder: it exists, so it just opens, with the same model */
  rl_session_open_demo (s, demo, NULL);
  rl_session_flush (s);
  g_assert_null (last_error);
  g_assert_cmpint (opened, ==, 2);
  g_assert_cmpint (rl_session_get_current_model (s), ==, model);

  /* missing and no data folder: one line saying so */
  g_autofree char *gone = g_build_filename (tmp, "gone.relabel", NULL);
  rl_session_open_demo (s, gone, NULL);
  rl_session_flush (s);
  g_assert_cmpint (opened, ==, 2);
  g_assert_nonnull (last_error);
  g_assert_nonnull (strstr (last_error, "Could not create the demo project"));
  g_assert_false (g_file_test (gone, G_FILE_TEST_EXISTS));

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* Adding a model and choosing the current one run on the writer: "current-model" reports the
 * version, and the project holds it. */
static void
test_session_current_model (void)
{
  const char *root = g_getenv ("RELABEL_SOURCE_ROOT");
  g_autofree char *model = g_build_filename (root, "resources", "models",
                                             "segnet-basic-camvid.safetensors", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-XXXXXX", NULL);
  g_autofree char *name = NULL;
  g_autofree char *proj = make_project (tmp, 1, &name);
  g_autoptr (RlSession) s = rl_session_new ();
  g_autofree char *last_error = NULL;
  JobEnd end = { 0 };
  g_signal_connect (s, "error", G_CALLBACK (on_error), &last_error);
  g_signal_connect (s, "job-finished", G_CALLBACK (on_job_finished), &end);
  rl_session_open (s, proj);
  rl_session_add_model (s, model, FALSE);
  rl_session_add_model (s, model, FALSE);
  rl_session_flush (s);
  g_assert_null (last_error);
  gint64 second = rl_session_get_current_model (s);
  g_assert_cmpint (second, >, 1);
  g_assert_cmpint (project_current_model (proj), ==, second);

  rl_session_set_current_model (s, second - 1);
  g_assert_true (rl_session_is_busy (s));
  rl_session_flush (s);
  g_assert_cmpint (end.n, ==, 1);
  g_assert_cmpstr (end.kind, ==, "current-model");
  g_assert_true (end.ok);
  g_assert_cmpint (end.version, ==, second - 1);
  g_assert_cmpint (rl_session_get_current_model (s), ==, second - 1);
  g_assert_cmpint (project_current_model (proj), ==, second - 1);

  /* a version that does not exist: refused, nothing changes */
  rl_session_set_current_model (s, 999);
  rl_session_flush (s);
  g_assert_cmpint (end.n, ==, 2);
  g_assert_false (end.ok);
  g_assert_cmpint (rl_session_get_current_model (s), ==, second - 1);
  g_assert_cmpint (project_current_model (proj), ==, second - 1);
  g_free (end.kind);

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

static void
wait_count (int *counter, int want)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (*counter < want && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (*counter, ==, want);
}

/* rl_metrics_boundary_errors of the masks, computed here independently of the session. */
static guint8 *
expected_boundary (const guint8 *truth, const guint8 *pred, int w, int h)
{
  guint8 *out = g_malloc ((gsize) w * h);
  RlError err = { { 0 } };
  g_assert_cmpint (rl_metrics_boundary_errors (11, 11, truth, pred, h, w, out, &err), ==, RL_OK);
  return out;
}

static gsize
count_value (const guint8 *m, gsize n, guint8 v)
{
  gsize k = 0;
  for (gsize i = 0; i < n; i++)
    k += m[i] == v;
  return k;
}

/* The Boundary view's map comes from the session (a worker thread, rl_metrics_boundary_errors)
 * only while wanted: none where the prediction equals the labels, the engine's map after an
 * edit moves a boundary, none for an image without a prediction. */
static void
test_session_boundary (void)
{
  const char *root = g_getenv ("RELABEL_SOURCE_ROOT");
  g_autofree char *model = g_build_filename (root, "resources", "models",
                                             "segnet-basic-camvid.safetensors", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-XXXXXX", NULL);
  g_autofree char *name = NULL;
  g_autofree char *proj = make_project (tmp, 2, &name);
  gint64 id = 0, other = 0;
  {
    /* image 0's prediction: its own labels (no boundary error anywhere) */
    g_autoptr (GError) error = NULL;
    g_autoptr (RlProject) p = rl_project_open (proj, FALSE, &error);
    g_assert_no_error (error);
    gint64 m = rl_project_add_model (p, "m", model, 0, NULL, &error);
    g_assert_no_error (error);
    g_autoptr (GPtrArray) images = rl_project_list_images (p, &error);
    id = ((RlImageInfo *) images->pdata[0])->id;
    other = ((RlImageInfo *) images->pdata[1])->id;
    int w, h;
    g_autofree guint8 *cur = NULL;
    g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &cur, &error));
    g_assert_true (rl_project_set_prediction (p, id, m, cur, w, h, &error));
    g_assert_no_error (error);
  }
  g_autoptr (RlSession) s = rl_session_new ();
  int maps = 0;
  g_autofree char *last_error = NULL;
  g_signal_connect_swapped (s, "boundary-errors", G_CALLBACK (count_signal), &maps);
  g_signal_connect (s, "error", G_CALLBACK (on_error), &last_error);
  rl_session_open (s, proj);
  rl_session_select_image (s, id);
  rl_session_flush (s);
  /* not wanted: nothing computed */
  g_assert_cmpint (maps, ==, 0);
  g_assert_null (rl_session_get_boundary_errors (s));

  rl_session_set_boundary_errors_wanted (s, TRUE);
  wait_count (&maps, 1);
  int w = 0, h = 0;
  const guint8 *cur = NULL, *pred = NULL;
  g_assert_true (rl_session_get_image (s, &w, &h, NULL, &cur, NULL, &pred));
  gsize n = (gsize) w * h;
  const guint8 *map = rl_session_get_boundary_errors (s);
  g_assert_nonnull (map);
  g_assert_cmpuint (count_value (map, n, 0), ==, n);

  /* a filled polygon of Sky (0) far from any Sky: its outline is missed by the prediction
   * (1 on the labels' new boundary) and the boundaries it covers are spurious (2) */
  g_autoptr (RlEdit) poly = rl_edit_new (RL_EDIT_POLYGON, "polygon");
  double pts[] = { 150, 250, 330, 250, 330, 340, 150, 340 };
  poly->cls = 0;
  rl_edit_set_points (poly, pts, 4);
  g_autoptr (GError) error = NULL;
  g_assert_true (rl_session_apply_edit (s, poly, NULL, &error));
  g_assert_no_error (error);
  rl_session_flush (s);
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autofree guint8 *want = NULL;
  for (;;)
    {
      rl_session_get_image (s, NULL, NULL, NULL, &cur, NULL, &pred);
      g_free (want);
      want = expected_boundary (cur, pred, w, h);
      map = rl_session_get_boundary_errors (s);
      if (memcmp (map, want, n) == 0 || g_get_monotonic_time () > end)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (memcmp (map, want, n) == 0);
  g_assert_cmpuint (count_value (map, n, 1), >, 400);
  /* every missed pixel is on the polygon's outline (within a pixel) */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (map[(gsize) y * w + x] == 1)
        g_assert_true (x >= 148 && x <= 332 && y >= 248 && y <= 341);

  /* another image without a prediction: no map */
  int before = maps;
  rl_session_select_image (s, other);
  rl_session_flush (s);
  wait_count (&maps, before + 1);
  g_assert_null (rl_session_get_boundary_errors (s));
  rl_session_set_boundary_errors_wanted (s, FALSE);
  g_assert_null (last_error);
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (rl_session_is_busy (s) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

/* The shipped model cut to its first 100 kB, and the shipped model with a 5-class classifier. */
static void
make_bad_models (const char *tmp, char **truncated, char **five)
{
  const char *root = g_getenv ("RELABEL_SOURCE_ROOT");
  g_autofree char *model = g_build_filename (root, "resources", "models",
                                             "segnet-basic-camvid.safetensors", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (model, &data, &len, NULL));
  *truncated = g_build_filename (tmp, "truncated.safetensors", NULL);
  g_assert_true (g_file_set_contents (*truncated, data, 100000, NULL));

  RlSafetensors *st = NULL;
  RlError err = { { 0 } };
  g_assert_cmpint (rl_safetensors_read (model, &st, &err), ==, RL_OK);
  RlStWrite *w = g_new0 (RlStWrite, st->n_tensors);
  for (int i = 0; i < st->n_tensors; i++)
    {
      const RlStTensor *t = &st->tensors[i];
      w[i].name = t->name;
      w[i].ndim = t->ndim;
      memcpy (w[i].shape, t->shape, sizeof t->shape);
      w[i].data = t->data;
      if (g_str_has_prefix (t->name, "classifier."))
        w[i].shape[0] = 5;   /* the first 5 rows: still a valid tensor */
    }
  const char *meta[2 * 64];
  int n_meta = 0;
  for (int i = 0; i < st->n_meta && n_meta < 63; i++)
    {
      const char *k = st->meta_keys[i], *v = st->meta_values[i];
      if (strcmp (k, "class_weights") == 0)
        continue;   /* optional; with 11 entries it would be refused first */
      if (strcmp (k, "num_classes") == 0)
        v = "5";
      else if (strcmp (k, "class_names") == 0)
        v = "[\"Sky\",\"Building\",\"Pole\",\"Road\",\"Pavement\"]";
      meta[2 * n_meta] = k;
      meta[2 * n_meta + 1] = v;
      n_meta++;
    }
  *five = g_build_filename (tmp, "five.safetensors", NULL);
  g_assert_cmpint (rl_safetensors_write (*five, w, st->n_tensors, meta, n_meta, &err), ==,
                   RL_OK);
  g_free (w);
  rl_safetensors_free (st);
}

static gint64
project_model_count (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) models = rl_project_list_models (p, &error);
  g_assert_no_error (error);
  return models->len;
}

/* A broken model is refused when it is added, with one line naming the file and the cause:
 * through the project API, the session and `relabel models --add`; nothing is stored. */
/* The confidence under the pointer: the session reads the confidences stored with the shown
 * prediction (the pre-label job's rl_suspects_predict_image); they are round(255 p) of the
 * predicted class's softmax, checked here against the model's logits. A prediction stored
 * without them, or a newer version's prediction shown instead, gives none. */
static void
test_session_confidence (void)
{
  const char *root = g_getenv ("RELABEL_SOURCE_ROOT");
  g_autofree char *model_path = g_build_filename (root, "resources", "models",
                                                  "segnet-basic-camvid.safetensors", NULL);
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-XXXXXX", NULL);
  g_autofree char *name = NULL;
  g_autofree char *proj = make_project (tmp, 2, &name);
  RlModel *model = NULL;
  RlError err = { { 0 } };
  g_assert_cmpint (rl_model_load (model_path, &model, &err), ==, RL_OK);
  gint64 id = 0, other = 0, m = 0;
  int w = 0, h = 0;
  g_autofree guint8 *rgb = NULL;
  g_autoptr (GError) error = NULL;
  {
    g_autoptr (RlProject) p = rl_project_open (proj, FALSE, &error);
    g_assert_no_error (error);
    m = rl_project_add_model (p, "m", model_path, 0, NULL, &error);
    g_assert_no_error (error);
    g_autoptr (GPtrArray) images = rl_project_list_images (p, &error);
    id = ((RlImageInfo *) images->pdata[0])->id;
    other = ((RlImageInfo *) images->pdata[1])->id;
    g_assert_true (rl_suspects_predict_image (p, model, m, id, 0, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (rl_project_load_rgb (p, id, &w, &h, &rgb, &error));
    /* the other image: a prediction without confidences */
    g_autofree guint8 *cur = NULL;
    int ow, oh;
    g_assert_true (rl_project_get_mask (p, other, RL_MASK_CURRENT, &ow, &oh, &cur, &error));
    g_assert_true (rl_project_set_prediction (p, other, m, cur, ow, oh, &error));
  }
  /* the reference: softmax of the same model's logits, computed here */
  gsize hw = (gsize) w * h;
  int nc = rl_model_num_classes (model);
  g_autofree float *x = g_new (float, 3 * hw);
  g_autofree float *logits = g_new (float, (gsize) nc * hw);
  rl_model_normalize_input (model, rgb, h, w, x);
  g_assert_cmpint (rl_model_forward (model, x, h, w, logits, 0, NULL, NULL, &err), ==, RL_OK);

  g_autoptr (RlSession) s = rl_session_new ();
  int loaded = 0;
  g_signal_connect_swapped (s, "image-loaded", G_CALLBACK (count_signal), &loaded);
  rl_session_open (s, proj);
  rl_session_select_image (s, id);
  wait_count (&loaded, 1);
  const guint8 *pred = NULL;
  g_assert_true (rl_session_get_image (s, NULL, NULL, NULL, NULL, NULL, &pred));
  const guint8 *conf = rl_session_get_confidence (s);
  g_assert_nonnull (conf);
  gsize far = 0;
  guint lo = 255, hi = 0;
  for (gsize i = 0; i < hw; i++)
    {
      float mx = -INFINITY, sum = 0;
      for (int c = 0; c < nc; c++)
        mx = fmaxf (mx, logits[(gsize) c * hw + i]);
      for (int c = 0; c < nc; c++)
        sum += expf (logits[(gsize) c * hw + i] - mx);
      /* p of the argmax class is 1 / sum; rounding of the last bit of expf may move the 8-bit
       * value by one */
      double want = 255.0 / sum;
      if (fabs (conf[i] - want) > 1.0 || logits[(gsize) pred[i] * hw + i] != mx)
        far++;
      lo = MIN (lo, conf[i]);
      hi = MAX (hi, conf[i]);
    }
  g_assert_cmpuint (far, ==, 0);
  g_assert_cmpuint (lo, <, hi);        /* not a constant */
  g_assert_cmpuint (lo, >=, 255 / nc); /* the argmax's p is at least 1 / classes */

  rl_session_select_image (s, other);
  wait_count (&loaded, 2);
  g_assert_true (rl_session_get_image (s, NULL, NULL, NULL, NULL, NULL, &pred));
  g_assert_nonnull (pred);
  g_assert_null (rl_session_get_confidence (s));

  /* a newer version's prediction (without confidences) is shown instead: none again */
  rl_session_flush (s);
  {
    g_autoptr (RlProject) p = rl_project_open (proj, FALSE, &error);
    g_assert_no_error (error);
    gint64 m2 = rl_project_add_model (p, "m2", model_path, 0, NULL, &error);
    g_assert_no_error (error);
    g_autofree guint8 *zeros = g_malloc0 (hw);
    g_assert_true (rl_project_set_prediction (p, id, m2, zeros, w, h, &error));
  }
  rl_session_select_image (s, id);
  wait_count (&loaded, 3);
  g_assert_true (rl_session_get_image (s, NULL, NULL, NULL, NULL, NULL, &pred));
  g_assert_cmpuint (pred[0], ==, 0);
  g_assert_null (rl_session_get_confidence (s));
  rl_model_free (model);
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (rl_session_is_busy (s) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

static void
test_session_bad_model (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-XXXXXX", NULL);
  g_autofree char *name = NULL;
  g_autofree char *proj = make_project (tmp, 1, &name);
  g_autofree char *truncated = NULL, *five = NULL;
  make_bad_models (tmp, &truncated, &five);
  const char *causes[] = { "is larger than the file",
                           "5 classes but the project's dataset (camvid) has 11" };
  const char *files[] = { truncated, five };

  for (int k = 0; k < 2; k++)
    {
      /* the API */
      g_autoptr (GError) error = NULL;
      {
        g_autoptr (RlProject) p = rl_project_open (proj, FALSE, &error);
        g_assert_no_error (error);
        g_assert_cmpint (rl_project_add_model (p, "bad", files[k], 0, NULL, &error), ==, 0);
        g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID);
        g_test_message ("API: %s", error->message);
        g_assert_true (g_str_has_prefix (error->message, files[k]));
        g_assert_null (strchr (error->message, '\n'));
        g_assert_nonnull (strstr (error->message, causes[k]));
      }
      /* the session */
      g_autoptr (RlSession) s = rl_session_new ();
      g_autofree char *last_error = NULL;
      g_signal_connect (s, "error", G_CALLBACK (on_error), &last_error);
      rl_session_open (s, proj);
      rl_session_add_model (s, files[k], FALSE);
      rl_session_flush (s);
      g_assert_nonnull (last_error);
      g_assert_cmpstr (last_error, ==, error->message);
      g_assert_cmpint (rl_session_get_current_model (s), ==, 0);
      /* the CLI: exit 1, one line on stderr naming the file */
      g_autofree char *out = NULL, *err = NULL;
      int status = 0;
      const char *argv[] = { g_getenv ("RELABEL_BIN"), "models", "--project", proj, "--add",
                             files[k], NULL };
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                   &out, &err, &status, NULL));
      g_test_message ("CLI: %s", err);
      g_assert_true (g_spawn_check_wait_status (status, NULL) == FALSE);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 1);
      g_assert_nonnull (strstr (err, files[k]));
      g_assert_nonnull (strstr (err, causes[k]));
      g_assert_cmpint (strchr (err, '\n') - err, ==, (int) strlen (err) - 1);
    }
  g_assert_cmpint (project_model_count (proj), ==, 0);

  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session/edits", test_session_edits);
  g_test_add_func ("/session/bad-open", test_session_bad_open);
  g_test_add_func ("/session/demo", test_session_demo);
  g_test_add_func ("/session/current-model", test_session_current_model);
  g_test_add_func ("/session/boundary-errors", test_session_boundary);
  g_test_add_func ("/session/bad-model", test_session_bad_model);
  g_test_add_func ("/session/confidence", test_session_confidence);
  return g_test_run ();
}
