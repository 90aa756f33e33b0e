/* The dashboard's numbers through the session, headless: on a project of 3 CamVid val images with
 * the shipped model and one painted stroke (so current and original labels differ), Compute
 * (rl_session_evaluate) and the stored run the dashboard reads (rl_session_read_models) hold
 * exactly the figures `relabel eval --project --json` prints for the same version, split and
 * labels (G, C, mIoU, BF, per class, the confusion matrix, per image, in-sample); a run the CLI
 * stored shows through the session as the CLI printed it; a confusion cell's images equal
 * `relabel eval --cell`'s, and the pixels the canvas highlights for an image are as many as the
 * metrics counted for it; Cancel stores nothing; rename and delete go through the session. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "camvid-subset.h"
#include "rl-project.h"
#include "rl-session-dash.h"

static char *
make_project (const char *tmp)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID");
  g_assert_nonnull (camvid);
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  camvid_subset (camvid, ds, 3);
  char *proj = g_build_filename (tmp, "d.relabel", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (proj, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (rl_project_import (p, "camvid", ds, NULL, NULL, NULL, NULL, NULL, &error));
  g_autofree char *model = g_build_filename (g_getenv ("RELABEL_SOURCE_ROOT"), "resources",
                                             "models", "segnet-basic-camvid.safetensors", NULL);
  g_assert_cmpint (rl_project_add_model (p, "shipped", model, 0, NULL, &error), ==, 1);
  g_assert_no_error (error);
  return proj;
}

static char *
run_cli (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static JsonNode *
parse (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *n = json_from_string (text, &error);
  g_assert_no_error (error);
  return n;
}

static void
same_number (double dash, JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  g_assert_nonnull (n);
  if (json_node_is_null (n))
    g_assert_true (isnan (dash));
  else
    g_assert_cmpfloat (dash, ==, json_node_get_double (n));   /* the same bits */
}

/* Every figure the dashboard shows equals the CLI's JSON. */
static void
check_run_equals_cli (const RlDashRun *run, const char *cli_json)
{
  g_autoptr (JsonNode) root = parse (cli_json);
  JsonObject *o = json_node_get_object (root);
  g_assert_cmpint (run->n_images, ==, json_object_get_int_member (o, "images"));
  g_assert_cmpint (run->n_in_sample, ==, json_object_get_int_member (o, "in_sample_images"));
  g_assert_cmpint (run->model_id, ==, json_object_get_int_member (o, "model"));
  same_number (run->g, o, "global_accuracy");
  same_number (run->c, o, "class_accuracy");
  same_number (run->miou, o, "miou");
  same_number (run->bf, o, "bf");
  JsonArray *pc = json_object_get_array_member (o, "per_class");
  g_assert_cmpuint (run->classes->len, ==, json_array_get_length (pc));
  for (guint i = 0; i < run->classes->len; i++)
    {
      const RlDashClass *c = &g_array_index (run->classes, RlDashClass, i);
      JsonObject *e = json_array_get_object_element (pc, i);
      g_assert_cmpint (c->index, ==, json_object_get_int_member (e, "index"));
      g_assert_cmpint (c->pixels, ==, json_object_get_int_member (e, "pixels"));
      same_number (c->accuracy, e, "accuracy");
      same_number (c->iou, e, "iou");
      same_number (c->bf, e, "bf");
    }
  JsonArray *conf = json_object_get_array_member (o, "confusion");
  g_assert_cmpuint (run->n_classes, ==, json_array_get_length (conf));
  for (guint i = 0; i < run->n_classes; i++)
    for (guint j = 0; j < run->n_classes; j++)
      g_assert_cmpint (run->confusion[i * run->n_classes + j], ==,
                       json_array_get_int_element (json_array_get_array_element (conf, i), j));
  JsonArray *pi = json_object_get_array_member (o, "per_image");
  g_assert_cmpuint (run->images->len, ==, json_array_get_length (pi));
  for (guint i = 0; i < run->images->len; i++)
    {
      const RlDashImage *im = &g_array_index (run->images, RlDashImage, i);
      JsonObject *e = json_array_get_object_element (pi, i);
      g_assert_cmpstr (im->name, ==, json_object_get_string_member (e, "name"));
      same_number (im->g, e, "global_accuracy");
      same_number (im->c, e, "class_accuracy");
      same_number (im->miou, e, "miou");
      same_number (im->bf, e, "bf");
      g_assert_cmpint (im->in_sample, ==, json_object_get_boolean_member (e, "in_sample"));
    }
}

typedef struct
{
  gboolean finished, ok;
  GError *error;
  char *json;
  int progress;
  GPtrArray *models;
  GArray *cell;
  GBytes *mask;
  gboolean done;
} Wait;

static void
on_finished (RlSession *s, const char *kind, gboolean ok, GError *error, gpointer result,
             Wait *w)
{
  g_assert_cmpstr (kind, ==, "evaluate");
  w->finished = TRUE;
  w->ok = ok;
  g_clear_error (&w->error);
  w->error = error ? g_error_copy (error) : NULL;
  if (ok)
    w->json = g_strdup (((RlEvalResult *) result)->json);
}

static void
on_progress (RlSession *s, double f, const char *text, Wait *w)
{
  w->progress++;
}

static void
on_models (RlSession *s, GPtrArray *models, const GError *error, gpointer data)
{
  Wait *w = data;
  g_assert_no_error (error);
  w->models = models;
  w->done = TRUE;
}

static void
on_cell (RlSession *s, GArray *images, const GError *error, gpointer data)
{
  Wait *w = data;
  g_assert_no_error (error);
  w->cell = images;
  w->done = TRUE;
}

static void
on_mask (RlSession *s, gint64 id, GBytes *mask, int width, int height, const GError *error,
         gpointer data)
{
  Wait *w = data;
  g_assert_no_error (error);
  g_assert_cmpint ((gsize) width * height, ==, g_bytes_get_size (mask));
  w->mask = g_bytes_ref (mask);
  w->done = TRUE;
}

static void
on_model_done (RlSession *s, const GError *error, gpointer data)
{
  Wait *w = data;
  g_assert_no_error (error);
  w->done = TRUE;
}

static void
spin (gboolean *flag)
{
  gint64 end = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;
  while (!*flag && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*flag);
}

static GPtrArray *
read_models (RlSession *s)
{
  Wait w = { 0 };
  rl_session_read_models (s, on_models, &w);
  spin (&w.done);
  return w.models;
}

static RlDashRun *
find_run (GPtrArray *models, gint64 id, const char *key)
{
  for (guint i = 0; i < models->len; i++)
    {
      RlDashModel *m = g_ptr_array_index (models, i);
      if (m->id == id)
        return rl_dash_model_get_run (m, key);
    }
  return NULL;
}

static void
test_dashboard_numbers (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-dash-XXXXXX", NULL);
  g_autofree char *proj = make_project (tmp);
  const char *bin = g_getenv ("RELABEL_BIN");
  /* a stroke of Road across the first image: current labels differ from the original ones */
  g_autofree char *first = NULL;
  {
    g_autoptr (RlProject) p = rl_project_open (proj, FALSE, NULL);
    g_autoptr (GPtrArray) images = rl_project_list_images (p, NULL);
    first = g_strdup (((RlImageInfo *) images->pdata[0])->name);
  }
  const char *paint[] = { bin, "paint", "--project", proj, "--image", first, "--class", "Road",
                          "--radius", "12", "--stroke", "20,40 400,60", NULL };
  g_free (run_cli (paint));

  g_autoptr (RlSession) s = rl_session_new ();
  Wait w = { 0 };
  g_signal_connect (s, "job-finished", G_CALLBACK (on_finished), &w);
  g_signal_connect (s, "job-progress", G_CALLBACK (on_progress), &w);
  int opened = 0;
  g_signal_connect_swapped (s, "project-opened", G_CALLBACK (g_atomic_int_inc), &opened);
  rl_session_open (s, proj);
  rl_session_flush (s);
  g_assert_cmpint (opened, ==, 1);

  /* Cancel before the first image: CANCELLED, nothing stored */
  g_assert_true (rl_session_evaluate (s, 1, "val", RL_MASK_CURRENT));
  g_assert_false (rl_session_evaluate (s, 1, "val", RL_MASK_CURRENT));   /* one job at a time */
  rl_session_cancel_job (s);
  spin (&w.finished);
  g_assert_false (w.ok);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  {
    g_autoptr (GPtrArray) models = read_models (s);
    g_assert_cmpuint (models->len, ==, 1);
    g_assert_cmpuint (((RlDashModel *) models->pdata[0])->runs->len, ==, 0);
  }

  const RlMaskKind kinds[] = { RL_MASK_CURRENT, RL_MASK_ORIGINAL };
  const char *const names[] = { "current", "original" };
  gint64 g_of[2] = { 0 };
  for (int k = 0; k < 2; k++)
    {
      g_free (w.json);
      memset (&w, 0, sizeof w);
      g_assert_true (rl_session_evaluate (s, 1, "val", kinds[k]));
      spin (&w.finished);
      g_assert_no_error (w.error);
      g_assert_true (w.ok);
      g_assert_cmpint (w.progress, >=, 2);
      g_autofree char *key = rl_project_eval_run_key ("val", kinds[k]);
      g_autoptr (GPtrArray) models = read_models (s);
      RlDashRun *run = find_run (models, 1, key);
      g_assert_nonnull (run);
      g_assert_cmpuint (run->n_images, ==, 3);
      g_assert_nonnull (run->created);
      const char *eval[] = { bin, "eval", "--project", proj, "--model", "1", "--split", "val",
                             "--labels", names[k], "--json", NULL };
      g_autofree char *cli = run_cli (eval);
      check_run_equals_cli (run, cli);          /* Compute, as the dashboard shows it */
      /* the CLI stored its run as the newest under the key: the dashboard shows it alike */
      g_autoptr (GPtrArray) again = read_models (s);
      check_run_equals_cli (find_run (again, 1, key), cli);
      for (guint j = 0; j < run->n_classes; j++)   /* pixels labelled Road */
        g_of[k] += run->confusion[3 * run->n_classes + j];
    }
  /* the stroke painted Road: the current labels have more pixels labelled Road */
  g_assert_cmpint (g_of[0], >, g_of[1]);

  g_clear_pointer (&w.json, g_free);
  /* the largest confusion of the current-labels run: its images and their pixels */
  g_autoptr (GPtrArray) models = read_models (s);
  RlDashRun *run = find_run (models, 1, "val");
  guint K = run->n_classes, ba = 0, bb = 1;
  for (guint a = 0; a < K; a++)
    for (guint b = 0; b < K; b++)
      if (a != b && run->confusion[a * K + b] > run->confusion[ba * K + bb])
        ba = a, bb = b;
  g_assert_cmpint (run->confusion[ba * K + bb], >, 0);
  memset (&w, 0, sizeof w);
  rl_session_cell_images (s, run, ba, bb, on_cell, &w);
  spin (&w.done);
  g_autoptr (GArray) cell = w.cell;
  g_assert_cmpuint (cell->len, >, 0);
  g_autofree char *ab = g_strdup_printf ("%u,%u", ba, bb);
  const char *cellcmd[] = { bin, "eval", "--project", proj, "--model", "1", "--split", "val",
                            "--cell", ab, "--json", NULL };
  g_autofree char *cli_cell = run_cli (cellcmd);
  g_autoptr (JsonNode) cn = parse (cli_cell);
  JsonArray *ca = json_node_get_array (cn);
  g_assert_cmpuint (cell->len, ==, json_array_get_length (ca));
  gint64 total = 0;
  for (guint i = 0; i < cell->len; i++)
    {
      RlCellImage *h = &g_array_index (cell, RlCellImage, i);
      JsonObject *e = json_array_get_object_element (ca, i);
      g_assert_cmpstr (h->name, ==, json_object_get_string_member (e, "image"));
      g_assert_cmpint (h->pixels, ==, json_object_get_int_member (e, "pixels"));
      if (i > 0)
        g_assert_cmpint (h->pixels, <=, g_array_index (cell, RlCellImage, i - 1).pixels);
      total += h->pixels;
    }
  g_assert_cmpint (total, ==, run->confusion[ba * K + bb]);

  /* the highlight of the worst image: as many pixels as the metrics counted */
  RlCellImage *worst = &g_array_index (cell, RlCellImage, 0);
  gint64 worst_id = 0;
  for (guint i = 0; i < rl_session_get_images (s)->len; i++)
    {
      RlImageInfo *info = g_ptr_array_index (rl_session_get_images (s), i);
      if (g_str_equal (info->name, worst->name))
        worst_id = info->id;
    }
  g_assert_cmpint (worst_id, >, 0);
  memset (&w, 0, sizeof w);
  rl_session_cell_pixels (s, worst_id, 1, RL_MASK_CURRENT, ba, bb, on_mask, &w);
  spin (&w.done);
  gsize n = 0, on = 0;
  const guint8 *m = g_bytes_get_data (w.mask, &n);
  for (gsize i = 0; i < n; i++)
    on += m[i] != 0;
  g_assert_cmpint ((gint64) on, ==, worst->pixels);
  g_bytes_unref (w.mask);

  /* CSV: one summary, one row per class, one per image */
  g_autofree char *csv = rl_dash_run_to_csv (run, rl_session_get_class_spec (s));
  g_auto (GStrv) rows = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (rows), ==, 1 + 1 + run->classes->len + 3 + 1);
  g_assert_true (g_str_has_prefix (rows[1], "summary,val,"));

  /* a second version (the same weights), renamed, then deleted through the session */
  {
    g_autoptr (RlProject) p = rl_project_open (proj, FALSE, NULL);
    g_autofree char *model = g_build_filename (g_getenv ("RELABEL_SOURCE_ROOT"), "resources",
                                               "models", "segnet-basic-camvid.safetensors",
                                               NULL);
    g_assert_cmpint (rl_project_add_model_version (p, "v2", model, 1, NULL, NULL, 0, FALSE,
                                                   NULL), ==, 2);
  }
  memset (&w, 0, sizeof w);
  rl_session_rename_model (s, 2, "v2 renamed", on_model_done, &w);
  spin (&w.done);
  g_autoptr (GPtrArray) two = read_models (s);
  g_assert_cmpuint (two->len, ==, 2);
  g_assert_cmpstr (((RlDashModel *) two->pdata[1])->name, ==, "v2 renamed");
  g_assert_cmpint (((RlDashModel *) two->pdata[1])->parent_id, ==, 1);
  memset (&w, 0, sizeof w);
  rl_session_delete_model (s, 2, on_model_done, &w);
  spin (&w.done);
  g_autoptr (GPtrArray) one = read_models (s);
  g_assert_cmpuint (one->len, ==, 1);

  /* File > Export Dataset: the session job writes what `relabel export` writes */
  g_autofree char *out_gui = g_build_filename (tmp, "export-gui", NULL);
  g_autofree char *out_cli = g_build_filename (tmp, "export-cli", NULL);
  g_signal_handlers_disconnect_by_func (s, on_finished, &w);
  int exported = 0;
  g_signal_connect_swapped (s, "job-finished", G_CALLBACK (g_atomic_int_inc), &exported);
  g_assert_true (rl_session_export_dataset (s, "camvid", out_gui, "val", "corrected"));
  spin ((gboolean *) &exported);
  const char *export[] = { bin, "export", "--project", proj, "--format", "camvid", "--out",
                           out_cli, "--split", "val", "--labels", "corrected", NULL };
  g_free (run_cli (export));
  const char *files[] = { "changes.csv", "val.txt", "classes.json", NULL };
  for (int i = 0; files[i]; i++)
    {
      g_autofree char *a = g_build_filename (out_gui, files[i], NULL);
      g_autofree char *b = g_build_filename (out_cli, files[i], NULL);
      g_autofree char *ta = NULL, *tb = NULL;
      g_assert_true (g_file_get_contents (a, &ta, NULL, NULL));
      g_assert_true (g_file_get_contents (b, &tb, NULL, NULL));
      g_assert_cmpstr (ta, ==, tb);
    }
  g_autofree char *ann = g_strdup_printf ("valannot/%s.png", first);
  g_autofree char *pa = g_build_filename (out_gui, ann, NULL);
  g_autofree char *pb = g_build_filename (out_cli, ann, NULL);
  g_autofree char *bytes_a = NULL, *bytes_b = NULL;
  gsize la = 0, lb = 0;
  g_assert_true (g_file_get_contents (pa, &bytes_a, &la, NULL));
  g_assert_true (g_file_get_contents (pb, &bytes_b, &lb, NULL));
  g_assert_cmpmem (bytes_a, la, bytes_b, lb);

  rl_session_shutdown (s);
  rl_session_flush (s);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session-dash/numbers", test_dashboard_numbers);
  return g_test_run ();
}
