/* The decoder-study view's data: table.json parsed, two models' boundary errors on one image. */
#include "rl-study-view.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-app-engine.h"
#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-metrics.h"
#include "rl-model.h"

static void
row_free (gpointer p)
{
  RlStudyRow *r = p;
  g_free (r->arch);
  g_free (r->balancing);
  g_free (r->model);
  g_free (r);
}

void
rl_study_table_free (RlStudyTable *t)
{
  if (t == NULL)
    return;
  g_free (t->dir);
  g_free (t->dataset);
  g_free (t->budget);
  g_free (t->heldout);
  g_ptr_array_unref (t->rows);
  g_ptr_array_unref (t->images);
  g_free (t);
}

static double
number (JsonObject *o, const char *key)
{
  if (o == NULL || !json_object_has_member (o, key) || json_object_get_null_member (o, key))
    return NAN;
  return json_object_get_double_member (o, key);
}

static void
read_set (JsonObject *row, const char *key, double out[4])
{
  JsonObject *s = json_object_has_member (row, key) ? json_object_get_object_member (row, key)
                                                    : NULL;
  const char *m[4] = { "global_accuracy", "class_accuracy", "miou", "bf" };
  for (int i = 0; i < 4; i++)
    out[i] = number (s, m[i]);
}

static JsonObject *
load_object (const char *path, JsonParser *p, GError **error)
{
  if (!json_parser_load_from_file (p, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (p);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a study table", path);
      return NULL;
    }
  return json_node_get_object (root);
}

RlStudyTable *
rl_study_table_load (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "table.json", NULL);
  g_autoptr (JsonParser) p = json_parser_new ();
  JsonObject *o = load_object (path, p, error);
  if (o == NULL)
    return NULL;
  if (!json_object_has_member (o, "rows") || !json_object_has_member (o, "dataset"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: not a study table (no rows or dataset)", path);
      return NULL;
    }
  RlStudyTable *t = g_new0 (RlStudyTable, 1);
  t->dir = g_strdup (dir);
  t->dataset = g_strdup (json_object_get_string_member_with_default (o, "dataset", ""));
  t->budget = g_strdup (json_object_get_string_member_with_default (o, "budget", ""));
  t->heldout = g_strdup (json_object_get_string_member_with_default (o, "heldout_sequences",
                                                                     ""));
  t->rows = g_ptr_array_new_with_free_func (row_free);
  t->images = g_ptr_array_new_with_free_func (g_free);
  JsonArray *rows = json_object_get_array_member (o, "rows");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *ro = json_array_get_object_element (rows, i);
      RlStudyRow *r = g_new0 (RlStudyRow, 1);
      r->arch = g_strdup (json_object_get_string_member_with_default (ro, "arch", "?"));
      r->balancing = g_strdup (json_object_get_string_member_with_default (ro, "balancing", "?"));
      r->finished = json_object_get_boolean_member_with_default (ro, "finished", FALSE);
      r->parameters = number (ro, "parameters");
      r->storage = number (ro, "storage_multiplier");
      r->infer_ms = number (ro, "inference_ms");
      read_set (ro, "heldout", r->held);
      read_set (ro, "val", r->val);
      const char *model = json_object_get_string_member_with_default (ro, "model", NULL);
      if (r->finished && model != NULL)
        r->model = g_build_filename (dir, model, NULL);
      g_ptr_array_add (t->rows, r);
    }
  /* the scored images: every run scores the same ones; the first finished run lists them */
  for (guint i = 0; i < t->rows->len && t->images->len == 0; i++)
    {
      RlStudyRow *r = t->rows->pdata[i];
      if (r->model == NULL)
        continue;
      g_autofree char *rdir = g_path_get_dirname (r->model);
      g_autofree char *res = g_build_filename (rdir, "result.json", NULL);
      g_autoptr (JsonParser) rp = json_parser_new ();
      JsonObject *ro = load_object (res, rp, error);
      if (ro == NULL)
        {
          rl_study_table_free (t);
          return NULL;
        }
      const char *sets[2] = { "heldout", "val" };
      for (int s = 0; s < 2; s++)
        {
          JsonObject *so = json_object_has_member (ro, sets[s])
                             ? json_object_get_object_member (ro, sets[s]) : NULL;
          JsonArray *names = so != NULL && json_object_has_member (so, "names")
                               ? json_object_get_array_member (so, "names") : NULL;
          for (guint k = 0; names != NULL && k < json_array_get_length (names); k++)
            g_ptr_array_add (t->images, g_strdup (json_array_get_string_element (names, k)));
        }
    }
  return t;
}

void
rl_study_compare_free (RlStudyCompare *c)
{
  if (c == NULL)
    return;
  g_free (c->image);
  g_free (c->rgb);
  g_free (c->errors[0]);
  g_free (c->errors[1]);
  g_free (c);
}

static int
aborted (void *data)
{
  return g_cancellable_is_cancelled (data);
}

RlStudyCompare *
rl_study_compare_image (const RlStudyTable *t, const char *image, const char *model_a,
                        const char *model_b, GCancellable *cancellable, GError **error)
{
  const char *colon = strchr (t->dataset, ':');
  if (colon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s/table.json: dataset '%s' is not KIND:PATH", t->dir, t->dataset);
      return NULL;
    }
  g_autofree char *kind = g_strndup (t->dataset, colon - t->dataset);
  g_autoptr (RlDataset) ds = rl_dataset_load (kind, colon + 1, error);
  if (ds == NULL)
    return NULL;
  RlSample *s = rl_dataset_find (ds, image);
  if (s == NULL || s->label_path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no labelled image '%s'",
                   ds->root, image);
      return NULL;
    }
  RlStudyCompare *c = g_new0 (RlStudyCompare, 1);
  c->image = g_strdup (image);
  g_autofree guint8 *truth = NULL;
  int lw, lh;
  if (!rl_image_read_rgb (s->image_path, &c->width, &c->height, &c->rgb, error)
      || !rl_dataset_read_label (ds, s->label_path, &lw, &lh, &truth, error))
    {
      rl_study_compare_free (c);
      return NULL;
    }
  if (lw != c->width || lh != c->height)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: label %dx%d, image %dx%d",
                   s->label_path, lw, lh, c->width, c->height);
      rl_study_compare_free (c);
      return NULL;
    }
  const char *models[2] = { model_a, model_b };
  gsize plane = (gsize) c->width * c->height;
  for (int m = 0; m < 2; m++)
    {
      RlModel *model = NULL;
      RlError err = { { 0 } };
      g_autofree guint8 *pred = g_malloc (plane);
      c->errors[m] = g_malloc (plane);
      RlImageScores sc;
      if (rl_model_load (models[m], &model, &err) != RL_OK)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err.text);
          rl_study_compare_free (c);
          return NULL;
        }
      rl_model_set_engine_path (model, rl_app_engine_path ());
      int k = rl_model_num_classes (model);
      RlStatus st = rl_model_predict_rgb8 (model, c->rgb, c->height, c->width, pred, 0,
                                           cancellable != NULL ? aborted : NULL, cancellable,
                                           &err);
      rl_model_free (model);
      if (st == RL_OK)
        st = rl_metrics_boundary_errors (k, ds->spec->ignore_index, truth, pred, c->height,
                                         c->width, c->errors[m], &err);
      if (st == RL_OK)
        st = rl_metrics_image (k, ds->spec->ignore_index, truth, pred, c->height, c->width, &sc,
                               &err);
      if (st != RL_OK)
        {
          g_set_error (error, G_IO_ERROR,
                       st == RL_ERR_CANCELLED ? G_IO_ERROR_CANCELLED : G_IO_ERROR_FAILED,
                       "%s: %s", models[m], err.text);
          rl_study_compare_free (c);
          return NULL;
        }
      c->bf[m] = sc.bf;
      c->miou[m] = sc.miou;
    }
  return c;
}

/* --- the worker threads */

typedef struct
{
  char *dir;
  const RlStudyTable *table;
  char *image, *model[2];
  RlStudyTableDone table_done;
  RlStudyCompareDone compare_done;
  gpointer data;
} Job;

static void
job_free (gpointer p)
{
  Job *j = p;
  g_free (j->dir);
  g_free (j->image);
  g_free (j->model[0]);
  g_free (j->model[1]);
  g_free (j);
}

static void
load_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *j = data;
  GError *error = NULL;
  RlStudyTable *t = rl_study_table_load (j->dir, &error);
  if (t == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, t, (GDestroyNotify) rl_study_table_free);
}

static void
load_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Job *j = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  RlStudyTable *t = g_task_propagate_pointer (G_TASK (result), &error);
  j->table_done (t, error, j->data);
}

void
rl_session_study_load (RlSession *self, const char *dir, GCancellable *cancellable,
                       RlStudyTableDone done, gpointer data)
{
  Job *j = g_new0 (Job, 1);
  j->dir = g_strdup (dir);
  j->table_done = done;
  j->data = data;
  g_autoptr (GTask) task = g_task_new (self, cancellable, load_done, NULL);
  g_task_set_task_data (task, j, job_free);
  g_task_run_in_thread (task, load_thread);
}

static void
compare_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *j = data;
  GError *error = NULL;
  RlStudyCompare *c = rl_study_compare_image (j->table, j->image, j->model[0], j->model[1],
                                              cancellable, &error);
  if (c == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, c, (GDestroyNotify) rl_study_compare_free);
}

static void
compare_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Job *j = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  RlStudyCompare *c = g_task_propagate_pointer (G_TASK (result), &error);
  j->compare_done (c, error, j->data);
  rl_study_compare_free (c);
}

void
rl_session_study_compare (RlSession *self, const RlStudyTable *t, const char *image,
                          const char *model_a, const char *model_b, GCancellable *cancellable,
                          RlStudyCompareDone done, gpointer data)
{
  Job *j = g_new0 (Job, 1);
  j->table = t;
  j->image = g_strdup (image);
  j->model[0] = g_strdup (model_a);
  j->model[1] = g_strdup (model_b);
  j->compare_done = done;
  j->data = data;
  g_autoptr (GTask) task = g_task_new (self, cancellable, compare_done, NULL);
  g_task_set_task_data (task, j, job_free);
  g_task_run_in_thread (task, compare_thread);
}
