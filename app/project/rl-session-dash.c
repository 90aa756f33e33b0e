/* The dashboard's side of the editing session (rl-session-dash.h): stored runs parsed on the
 * writer thread, the evaluate job, confusion cells and their pixels, version commands. */
#define G_LOG_DOMAIN "relabel-session"

#include "rl-session-dash.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-job-post.h"

/* ---- stored runs */

static double
number (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  if (n == NULL || JSON_NODE_TYPE (n) != JSON_NODE_VALUE)
    return NAN;
  return json_node_get_double (n);
}

static void
dash_image_clear (gpointer p)
{
  g_free (((RlDashImage *) p)->name);
}

void
rl_dash_run_free (RlDashRun *run)
{
  if (run == NULL)
    return;
  g_free (run->key);
  g_free (run->created);
  g_free (run->confusion);
  g_clear_pointer (&run->classes, g_array_unref);
  g_clear_pointer (&run->images, g_array_unref);
  g_free (run->json);
  g_free (run);
}

RlDashRun *
rl_dash_run_parse (const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  if (o == NULL || !json_object_has_member (o, "confusion")
      || !json_object_has_member (o, "per_class") || !json_object_has_member (o, "per_image"))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "a stored metrics run lacks confusion, per_class or per_image");
      return NULL;
    }
  g_autoptr (RlDashRun) run = g_new0 (RlDashRun, 1);
  run->json = g_strdup (json);
  run->model_id = json_object_get_int_member_with_default (o, "model", 0);
  run->n_images = json_object_get_int_member_with_default (o, "images", 0);
  run->n_in_sample = json_object_get_int_member_with_default (o, "in_sample_images", 0);
  run->g = number (o, "global_accuracy");
  run->c = number (o, "class_accuracy");
  run->miou = number (o, "miou");
  run->bf = number (o, "bf");

  JsonArray *conf = json_object_get_array_member (o, "confusion");
  guint K = conf ? json_array_get_length (conf) : 0;
  run->n_classes = K;
  run->confusion = g_new0 (gint64, (gsize) K * K + 1);
  for (guint i = 0; i < K; i++)
    {
      JsonArray *row = json_array_get_array_element (conf, i);
      if (row == NULL || json_array_get_length (row) != K)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                       "a stored metrics run's confusion matrix is not square");
          return NULL;
        }
      for (guint j = 0; j < K; j++)
        run->confusion[(gsize) i * K + j] = json_array_get_int_element (row, j);
    }

  run->classes = g_array_new (FALSE, TRUE, sizeof (RlDashClass));
  JsonArray *pc = json_object_get_array_member (o, "per_class");
  for (guint i = 0; pc != NULL && i < json_array_get_length (pc); i++)
    {
      JsonObject *c = json_array_get_object_element (pc, i);
      if (c == NULL)
        continue;
      RlDashClass dc = { (int) json_object_get_int_member_with_default (c, "index", i),
                         number (c, "accuracy"), number (c, "iou"), number (c, "bf"),
                         json_object_get_int_member_with_default (c, "pixels", 0) };
      g_array_append_val (run->classes, dc);
    }

  run->images = g_array_new (FALSE, TRUE, sizeof (RlDashImage));
  g_array_set_clear_func (run->images, dash_image_clear);
  JsonArray *pi = json_object_get_array_member (o, "per_image");
  for (guint i = 0; pi != NULL && i < json_array_get_length (pi); i++)
    {
      JsonObject *im = json_array_get_object_element (pi, i);
      if (im == NULL)
        continue;
      RlDashImage di = { g_strdup (json_object_get_string_member_with_default (im, "name", "")),
                         number (im, "global_accuracy"), number (im, "class_accuracy"),
                         number (im, "miou"), number (im, "bf"),
                         json_object_get_boolean_member_with_default (im, "in_sample", FALSE) };
      g_array_append_val (run->images, di);
    }
  return g_steal_pointer (&run);
}

static void
csv_number (GString *s, double v)
{
  if (isnan (v))
    g_string_append_c (s, ',');
  else
    g_string_append_printf (s, ",%.6f", v);
}

static void
csv_text (GString *s, const char *t)
{
  /* quoted when it holds a comma or a quote: names come from the dataset */
  if (t != NULL && strpbrk (t, ",\"\n") != NULL)
    {
      g_string_append (s, ",\"");
      for (const char *p = t; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (s, '"');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '"');
    }
  else
    g_string_append_printf (s, ",%s", t ? t : "");
}

/* kind,name,global_accuracy,class_accuracy,miou,bf,iou,pixels,in_sample: one "summary" row,
 * one "class" row per class (accuracy in the class_accuracy column), one "image" row per image;
 * fractions 0..1, empty when undefined. */
char *
rl_dash_run_to_csv (const RlDashRun *run, const RlClassSpec *spec)
{
  GString *s = g_string_new ("kind,name,global_accuracy,class_accuracy,miou,bf,iou,pixels,"
                             "in_sample\n");
  g_string_append (s, "summary");
  csv_text (s, run->key ? run->key : "");
  csv_number (s, run->g);
  csv_number (s, run->c);
  csv_number (s, run->miou);
  csv_number (s, run->bf);
  g_string_append_printf (s, ",,%u,%u\n", run->n_images, run->n_in_sample);
  for (guint i = 0; i < run->classes->len; i++)
    {
      const RlDashClass *c = &g_array_index (run->classes, RlDashClass, i);
      g_autofree char *fallback = g_strdup_printf ("%d", c->index);
      g_string_append (s, "class");
      csv_text (s, spec && c->index < spec->n_classes ? spec->classes[c->index].name
                                                      : fallback);
      g_string_append_c (s, ',');
      csv_number (s, c->accuracy);
      g_string_append_c (s, ',');
      csv_number (s, c->bf);
      csv_number (s, c->iou);
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",\n", c->pixels);
    }
  for (guint i = 0; i < run->images->len; i++)
    {
      const RlDashImage *im = &g_array_index (run->images, RlDashImage, i);
      g_string_append (s, "image");
      csv_text (s, im->name);
      csv_number (s, im->g);
      csv_number (s, im->c);
      csv_number (s, im->miou);
      csv_number (s, im->bf);
      g_string_append_printf (s, ",,,%d\n", im->in_sample ? 1 : 0);
    }
  return g_string_free (s, FALSE);
}

/* ---- versions */

void
rl_dash_model_free (RlDashModel *m)
{
  if (m == NULL)
    return;
  g_free (m->name);
  g_free (m->config);
  g_free (m->created);
  g_clear_pointer (&m->runs, g_ptr_array_unref);
  g_clear_pointer (&m->trained_names, g_ptr_array_unref);
  g_free (m);
}

RlDashRun *
rl_dash_model_get_run (const RlDashModel *m, const char *key)
{
  for (guint i = 0; m != NULL && i < m->runs->len; i++)
    {
      RlDashRun *r = g_ptr_array_index (m->runs, i);
      if (g_strcmp0 (r->key, key) == 0)
        return r;
    }
  return NULL;
}

typedef struct
{
  RlDashModelsDone done;
  gpointer data;
  GPtrArray *models;
} ReadModels;

static void
read_models_free (gpointer p)
{
  ReadModels *rm = p;
  g_clear_pointer (&rm->models, g_ptr_array_unref);
  g_free (rm);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static void
read_models_run (RlProject *project, gpointer data, GError **error)
{
  ReadModels *rm = data;
  g_autoptr (GPtrArray) infos = rl_project_list_models (project, error);
  if (infos == NULL)
    return;
  g_autoptr (GPtrArray) images = rl_project_list_images (project, error);
  if (images == NULL)
    return;
  g_autoptr (GHashTable) names = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < images->len; i++)
    {
      RlImageInfo *im = g_ptr_array_index (images, i);
      g_hash_table_insert (names, &im->id, im->name);
    }
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_dash_model_free);
  for (guint i = 0; i < infos->len; i++)
    {
      RlModelInfo *info = g_ptr_array_index (infos, i);
      RlDashModel *m = g_new0 (RlDashModel, 1);
      g_ptr_array_add (models, m);
      m->id = info->id;
      m->name = g_strdup (info->name);
      m->parent_id = info->parent_id;
      m->config = g_strdup (info->config);
      m->created = g_strdup (info->created);
      m->current = info->current;
      m->n_trained = info->n_trained;
      m->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_dash_run_free);
      m->trained_names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) runs = rl_project_list_metrics_runs (project, m->id, error);
      if (runs == NULL)
        return;
      for (guint k = 0; k < runs->len; k++)
        {
          RlMetricsRun *mr = g_ptr_array_index (runs, k);
          g_autoptr (GError) local = NULL;
          RlDashRun *r = rl_dash_run_parse (mr->metrics, &local);
          if (r == NULL)
            {
              /* a run another tool stored (e.g. retrain's held-out scores without a confusion
               * matrix) is not a dashboard run: skip it, the others still show */
              g_debug ("version %" G_GINT64_FORMAT " run %s skipped: %s", m->id, mr->key,
                       local->message);
              continue;
            }
          r->key = g_strdup (mr->key);
          r->created = g_strdup (mr->created);
          r->model_id = m->id;
          g_ptr_array_add (m->runs, r);
        }
      if (m->n_trained > 0)
        {
          g_autoptr (GHashTable) trained = rl_project_model_trained_images (project, m->id,
                                                                            error);
          if (trained == NULL)
            return;
          GHashTableIter it;
          gpointer key;
          g_hash_table_iter_init (&it, trained);
          while (g_hash_table_iter_next (&it, &key, NULL))
            {
              const char *name = g_hash_table_lookup (names, key);
              if (name != NULL)
                g_ptr_array_add (m->trained_names, g_strdup (name));
            }
          g_ptr_array_sort (m->trained_names, compare_names);
        }
    }
  rm->models = g_steal_pointer (&models);
}

static void
read_models_done (RlSession *session, gpointer data, const GError *error)
{
  ReadModels *rm = data;
  rm->done (session, error ? NULL : g_steal_pointer (&rm->models), error, rm->data);
}

void
rl_session_read_models (RlSession *self, RlDashModelsDone done, gpointer data)
{
  ReadModels *rm = g_new0 (ReadModels, 1);
  rm->done = done;
  rm->data = data;
  rl_session_call (self, read_models_run, read_models_done, rm, read_models_free);
}

/* ---- evaluate */

typedef struct
{
  RlSession *session;
  char *path;
  RlEvalOptions opt;
  char *split;
  GCancellable *cancellable;
  GMainContext *context;
  GTask *task;              /* borrowed: the task owns the job */
  guint total;
  gint done;                /* atomic: the newest progress not yet shown */
  gint progress_queued;     /* atomic: a progress source is pending */
} EvalJob;

static void
eval_job_free (EvalJob *job)
{
  g_clear_object (&job->session);
  g_free (job->path);
  g_free (job->split);
  g_clear_object (&job->cancellable);
  g_main_context_unref (job->context);
  g_free (job);
}

static gboolean
eval_progress_show (gpointer data)
{
  EvalJob *job = g_task_get_task_data (data);
  g_atomic_int_set (&job->progress_queued, 0);
  guint done = (guint) g_atomic_int_get (&job->done);
  if (job->cancellable != NULL && !g_cancellable_is_cancelled (job->cancellable))
    {
      g_autofree char *text = g_strdup_printf ("Scoring image %u/%u", done, job->total);
      rl_session_job_progress (job->session, job->total ? (double) done / job->total : 0.0,
                               text);
    }
  return G_SOURCE_REMOVE;
}

/* worker thread: at most one progress source queued, showing the newest count */
static void
eval_progress (guint done, guint total, gpointer data)
{
  EvalJob *job = data;
  job->total = total;
  g_atomic_int_set (&job->done, (gint) done);
  if (g_atomic_int_compare_and_exchange (&job->progress_queued, 0, 1))
    {
      GSource *source = g_idle_source_new ();
      /* the source holds the task, and so the job, until it ran */
      g_source_set_callback (source, eval_progress_show, g_object_ref (job->task),
                             g_object_unref);
      g_source_attach (source, job->context);
      g_source_unref (source);
    }
}

static gboolean
eval_should_stop (gpointer data)
{
  return g_cancellable_is_cancelled (((EvalJob *) data)->cancellable);
}

static void
eval_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  EvalJob *job = data;
  rl_job_lower_priority ();
  GError *error = NULL;
  RlEvalResult *r = rl_project_evaluate (job->path, &job->opt, eval_progress, eval_should_stop,
                                         job, &error);
  if (r == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, r, (GDestroyNotify) rl_eval_result_free);
}

static void
eval_done (GObject *source, GAsyncResult *result, gpointer data)
{
  EvalJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  RlEvalResult *r = g_task_propagate_pointer (G_TASK (result), &error);
  g_clear_object (&job->cancellable);   /* late progress sources show nothing */
  if (r != NULL && r->n_predicted > 0)
    {
      /* it stored predictions on its own connection: the image list shows them */
      g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < r->names->len; i++)
        g_hash_table_add (names, g_ptr_array_index (r->names, i));
      GPtrArray *images = rl_session_get_images (job->session);
      for (guint i = 0; images != NULL && i < images->len; i++)
        {
          RlImageInfo *info = g_ptr_array_index (images, i);
          if (g_hash_table_contains (names, info->name))
            rl_session_refresh_image (job->session, info->id);
        }
    }
  rl_session_end_job (job->session, "evaluate", r != NULL, error, r);
  rl_eval_result_free (r);
}

gboolean
rl_session_evaluate (RlSession *self, gint64 model_id, const char *split, RlMaskKind labels)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  GCancellable *cancellable = rl_session_begin_job (self, "evaluate");
  if (cancellable == NULL)
    return FALSE;
  EvalJob *job = g_new0 (EvalJob, 1);
  job->session = g_object_ref (self);
  job->path = g_strdup (rl_session_get_path (self));
  job->split = g_strdup (split);
  rl_eval_options_init (&job->opt);
  job->opt.model_id = model_id;
  job->opt.split = job->split;
  job->opt.labels = labels;
  job->opt.threads = rl_session_job_threads (self);
  job->opt.store = TRUE;
  job->cancellable = g_object_ref (cancellable);
  job->context = g_main_context_ref_thread_default ();
  rl_session_job_progress (self, 0.0, "Scoring…");
  g_autoptr (GTask) task = g_task_new (self, NULL, eval_done, NULL);
  job->task = task;
  g_task_set_task_data (task, job, (GDestroyNotify) eval_job_free);
  g_task_run_in_thread (task, eval_thread);
  return TRUE;
}

/* ---- confusion cells */

typedef struct
{
  char *json;
  int truth, pred;
  GArray *images;
  RlDashCellDone done;
  gpointer data;
} CellCall;

static void
cell_call_free (gpointer p)
{
  CellCall *c = p;
  g_free (c->json);
  g_clear_pointer (&c->images, g_array_unref);
  g_free (c);
}

static void
cell_run (RlProject *project, gpointer data, GError **error)
{
  CellCall *c = data;
  c->images = rl_eval_images_for_cell (c->json, c->truth, c->pred, error);
}

static void
cell_done (RlSession *session, gpointer data, const GError *error)
{
  CellCall *c = data;
  c->done (session, error ? NULL : g_steal_pointer (&c->images), error, c->data);
}

void
rl_session_cell_images (RlSession *self, const RlDashRun *run, int truth, int pred,
                        RlDashCellDone done, gpointer data)
{
  CellCall *c = g_new0 (CellCall, 1);
  c->json = g_strdup (run->json);
  c->truth = truth;
  c->pred = pred;
  c->done = done;
  c->data = data;
  rl_session_call (self, cell_run, cell_done, c, cell_call_free);
}

typedef struct
{
  gint64 image_id, model_id;
  RlMaskKind labels;
  int truth, pred;
  int width, height;
  GBytes *mask;
  RlDashMaskDone done;
  gpointer data;
} PixelsCall;

static void
pixels_call_free (gpointer p)
{
  PixelsCall *c = p;
  g_clear_pointer (&c->mask, g_bytes_unref);
  g_free (c);
}

static void
pixels_run (RlProject *project, gpointer data, GError **error)
{
  PixelsCall *c = data;
  int lw = 0, lh = 0, pw = 0, ph = 0;
  g_autofree guint8 *labels = NULL, *pred = NULL;
  if (!rl_project_get_mask (project, c->image_id, c->labels, &lw, &lh, &labels, error)
      || !rl_project_get_model_prediction (project, c->image_id, c->model_id, &pw, &ph, &pred,
                                           error))
    return;
  if (lw != pw || lh != ph)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the prediction is %dx%d but the labels are %dx%d",
                   rl_project_get_path (project), pw, ph, lw, lh);
      return;
    }
  gsize n = (gsize) lw * lh;
  guint8 *m = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    m[i] = labels[i] == c->truth && pred[i] == c->pred;
  c->mask = g_bytes_new_take (m, n);
  c->width = lw;
  c->height = lh;
}

static void
pixels_done (RlSession *session, gpointer data, const GError *error)
{
  PixelsCall *c = data;
  c->done (session, c->image_id, error ? NULL : c->mask, c->width, c->height, error, c->data);
}

void
rl_session_cell_pixels (RlSession *self, gint64 image_id, gint64 model_id, RlMaskKind labels,
                        int truth, int pred, RlDashMaskDone done, gpointer data)
{
  PixelsCall *c = g_new0 (PixelsCall, 1);
  c->image_id = image_id;
  c->model_id = model_id;
  c->labels = labels;
  c->truth = truth;
  c->pred = pred;
  c->done = done;
  c->data = data;
  rl_session_call (self, pixels_run, pixels_done, c, pixels_call_free);
}

/* ---- version commands */

typedef struct
{
  gint64 model_id;
  char *name;               /* NULL: delete */
  RlDashDone done;
  gpointer data;
} ModelCall;

static void
model_call_free (gpointer p)
{
  ModelCall *c = p;
  g_free (c->name);
  g_free (c);
}

static void
model_run (RlProject *project, gpointer data, GError **error)
{
  ModelCall *c = data;
  if (c->name != NULL)
    rl_project_rename_model (project, c->model_id, c->name, error);
  else
    rl_project_delete_model (project, c->model_id, error);
}

static void
model_done (RlSession *session, gpointer data, const GError *error)
{
  ModelCall *c = data;
  if (c->done != NULL)
    c->done (session, error, c->data);
}

void
rl_session_rename_model (RlSession *self, gint64 model_id, const char *name, RlDashDone done,
                         gpointer data)
{
  ModelCall *c = g_new0 (ModelCall, 1);
  c->model_id = model_id;
  c->name = g_strdup (name);
  c->done = done;
  c->data = data;
  rl_session_call (self, model_run, model_done, c, model_call_free);
}

void
rl_session_delete_model (RlSession *self, gint64 model_id, RlDashDone done, gpointer data)
{
  ModelCall *c = g_new0 (ModelCall, 1);
  c->model_id = model_id;
  c->done = done;
  c->data = data;
  rl_session_call (self, model_run, model_done, c, model_call_free);
}

/* ---- exporting the dataset */

typedef struct
{
  RlSession *session;
  char *path, *format, *out_dir, *split, *labels;
  GCancellable *cancellable;
  GMainContext *context;
  GTask *task;              /* borrowed: the task owns the job */
  guint total;
  gint done;
  gint progress_queued;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_clear_object (&job->session);
  g_free (job->path);
  g_free (job->format);
  g_free (job->out_dir);
  g_free (job->split);
  g_free (job->labels);
  g_clear_object (&job->cancellable);
  g_main_context_unref (job->context);
  g_free (job);
}

static gboolean
export_progress_show (gpointer data)
{
  ExportJob *job = g_task_get_task_data (data);
  g_atomic_int_set (&job->progress_queued, 0);
  guint done = (guint) g_atomic_int_get (&job->done);
  if (job->cancellable != NULL && !g_cancellable_is_cancelled (job->cancellable))
    {
      g_autofree char *text = g_strdup_printf ("Exporting %u/%u", done, job->total);
      rl_session_job_progress (job->session, job->total ? (double) done / job->total : 0.0,
                               text);
    }
  return G_SOURCE_REMOVE;
}

static void
export_progress (guint done, guint total, gpointer data)
{
  ExportJob *job = data;
  job->total = total;
  g_atomic_int_set (&job->done, (gint) done);
  if (g_atomic_int_compare_and_exchange (&job->progress_queued, 0, 1))
    {
      GSource *source = g_idle_source_new ();
      g_source_set_callback (source, export_progress_show, g_object_ref (job->task),
                             g_object_unref);
      g_source_attach (source, job->context);
      g_source_unref (source);
    }
}

static void
export_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  ExportJob *job = data;
  GError *error = NULL;
  rl_job_lower_priority ();
  RlProject *project = rl_project_open (job->path, FALSE, &error);
  gboolean ok = project != NULL
                && rl_project_export (project, job->format, job->out_dir, job->split,
                                      job->labels, FALSE, export_progress, job,
                                      job->cancellable, &error);
  rl_project_close (project);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
export_done (GObject *source, GAsyncResult *result, gpointer data)
{
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);
  g_clear_object (&job->cancellable);
  rl_session_end_job (job->session, "export", ok, error, job->out_dir);
}

gboolean
rl_session_export_dataset (RlSession *self, const char *format, const char *out_dir,
                           const char *split, const char *labels)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  GCancellable *cancellable = rl_session_begin_job (self, "export");
  if (cancellable == NULL)
    return FALSE;
  ExportJob *job = g_new0 (ExportJob, 1);
  job->session = g_object_ref (self);
  job->path = g_strdup (rl_session_get_path (self));
  job->format = g_strdup (format);
  job->out_dir = g_strdup (out_dir);
  job->split = g_strdup (split);
  job->labels = g_strdup (labels);
  job->cancellable = g_object_ref (cancellable);
  job->context = g_main_context_ref_thread_default ();
  rl_session_job_progress (self, 0.0, "Exporting…");
  g_autoptr (GTask) task = g_task_new (self, NULL, export_done, NULL);
  job->task = task;
  g_task_set_task_data (task, job, (GDestroyNotify) export_job_free);
  g_task_run_in_thread (task, export_thread);
  return TRUE;
}
