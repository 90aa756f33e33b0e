/* Scoring a model version inside a project (rl-project-eval.h). */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-metrics-json.h"
#include "rl-model.h"
#include "rl-project-eval.h"

void
rl_eval_options_init (RlEvalOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->labels = RL_MASK_CURRENT;
  opt->store = TRUE;
}

void
rl_eval_result_free (RlEvalResult *r)
{
  if (r == NULL)
    return;
  g_free (r->model_name);
  rl_metrics_free (r->metrics);
  if (r->names != NULL)
    g_ptr_array_unref (r->names);
  if (r->in_sample != NULL)
    g_array_unref (r->in_sample);
  if (r->confusion_pairs != NULL)
    g_ptr_array_unref (r->confusion_pairs);
  g_free (r->json);
  g_free (r);
}

char *
rl_project_eval_run_key (const char *split, RlMaskKind labels)
{
  const char *s = split == NULL || g_strcmp0 (split, "*") == 0 ? "all" : split;
  return labels == RL_MASK_ORIGINAL ? g_strconcat (s, ":original", NULL) : g_strdup (s);
}

gint64
rl_project_find_model (RlProject *project, const char *version, GError **error)
{
  g_autoptr (GPtrArray) models = rl_project_list_models (project, error);
  if (models == NULL)
    return 0;
  gint64 id = 0;
  guint64 number;
  gboolean numeric = g_ascii_string_to_unsigned (version, 10, 1, G_MAXINT64, &number, NULL);
  for (guint i = 0; i < models->len; i++)
    {
      RlModelInfo *m = models->pdata[i];
      if ((numeric && m->id == (gint64) number) || (!numeric && g_strcmp0 (m->name, version) == 0))
        id = m->id;
    }
  if (id == 0)
    g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                 "%s: no model version '%s' (relabel models lists them)",
                 rl_project_get_path (project), version);
  return id;
}

GHashTable *
rl_project_lineage_trained_images (RlProject *project, gint64 model_id, GError **error)
{
  g_autoptr (GHashTable) all = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  if (model_id <= 0)
    return g_steal_pointer (&all);
  g_autoptr (GPtrArray) models = rl_project_list_models (project, error);
  if (models == NULL)
    return NULL;
  gint64 id = model_id;
  for (guint hops = 0; id > 0 && hops <= models->len; hops++)
    {
      g_autoptr (GHashTable) set = rl_project_model_trained_images (project, id, error);
      if (set == NULL)
        return NULL;
      GHashTableIter it;
      gpointer key;
      g_hash_table_iter_init (&it, set);
      while (g_hash_table_iter_next (&it, &key, NULL))
        g_hash_table_add (all, g_memdup2 (key, sizeof (gint64)));
      gint64 next = 0;
      for (guint i = 0; i < models->len; i++)
        {
          RlModelInfo *m = models->pdata[i];
          if (m->id == id)
            next = m->parent_id;
        }
      id = next;
    }
  return g_steal_pointer (&all);
}

static gboolean
has_labels (const RlImageInfo *info, RlMaskKind labels)
{
  if (info->missing)
    return FALSE;
  return labels == RL_MASK_ORIGINAL ? info->has_original : info->status != RL_IMAGE_UNLABELLED;
}

typedef struct
{
  gboolean (*should_stop) (gpointer data);
  gpointer data;
} StopCheck;

static int
abort_check (void *data)
{
  StopCheck *s = data;
  return s->should_stop != NULL && s->should_stop (s->data);
}

/* The stored prediction of model_id, or a new one made (and stored) with *model, loaded on
 * first use. */
static guint8 *
prediction_of (RlProject *project, const RlImageInfo *info, gint64 model_id,
               const RlEvalOptions *opt, RlModel **model, StopCheck *stop, gboolean *made,
               GError **error)
{
  int w, h;
  guint8 *pred = NULL;
  g_autoptr (GError) local = NULL;
  *made = FALSE;
  if (rl_project_get_model_prediction (project, info->id, model_id, &w, &h, &pred, &local))
    return pred;
  if (!g_error_matches (local, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (*model == NULL && (*model = rl_project_load_model (project, model_id, error)) == NULL)
    return NULL;
  g_autofree guint8 *rgb = NULL;
  if (!rl_project_load_rgb (project, info->id, &w, &h, &rgb, error))
    return NULL;
  g_autofree guint8 *labels = g_malloc ((gsize) w * h);
  RlError err = { { 0 } };
  RlStatus st = rl_model_predict_rgb8 (*model, rgb, h, w, labels, opt->threads, abort_check,
                                       stop, &err);
  if (st != RL_OK)
    {
      if (abort_check (stop))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
      else
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s",
                     info->rel_path, err.text);
      return NULL;
    }
  if (!rl_project_set_prediction (project, info->id, model_id, labels, w, h, error))
    return NULL;
  *made = TRUE;
  return g_steal_pointer (&labels);
}

/* The off-diagonal confusion of one image as (truth, prediction, pixels) triples, truth
 * non-void, in (truth, prediction) order; a void or out-of-range prediction is column K. */
static GArray *
confusion_pairs (const guint8 *truth, const guint8 *pred, gsize n, int K, int ignore)
{
  g_autofree guint32 *counts = g_new0 (guint32, (gsize) K * (K + 1));
  for (gsize i = 0; i < n; i++)
    {
      int t = truth[i], q = pred[i];
      if (t >= K || t == ignore || t == q)
        continue;
      if (q >= K || q == ignore)
        q = K;
      counts[(gsize) t * (K + 1) + q]++;
    }
  GArray *pairs = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (int t = 0; t < K; t++)
    for (int q = 0; q <= K; q++)
      if (counts[(gsize) t * (K + 1) + q] > 0)
        {
          guint32 triple[3] = { (guint32) t, (guint32) q, counts[(gsize) t * (K + 1) + q] };
          g_array_append_vals (pairs, triple, 3);
        }
  return pairs;
}

/* rl_metrics_to_json's object with the in-sample marks and the run's description added. */
static char *
result_json (const RlEvalResult *r, const RlClassSpec *spec, const RlEvalOptions *opt)
{
  g_autofree char *base = rl_metrics_to_json (r->metrics, spec,
                                              (const char *const *) r->names->pdata, FALSE);
  g_autoptr (JsonNode) node = json_from_string (base, NULL);
  JsonObject *o = json_node_get_object (node);
  JsonArray *per_image = json_object_get_array_member (o, "per_image");
  for (guint i = 0; i < json_array_get_length (per_image); i++)
    {
      JsonObject *img = json_array_get_object_element (per_image, i);
      json_object_set_boolean_member (img, "in_sample",
                                      g_array_index (r->in_sample, gboolean, i));
      GArray *pairs = r->confusion_pairs->pdata[i];
      JsonArray *list = json_array_sized_new (pairs->len / 3);
      for (guint k = 0; k + 2 < pairs->len; k += 3)
        {
          JsonArray *triple = json_array_sized_new (3);
          for (guint j = 0; j < 3; j++)
            json_array_add_int_element (triple, g_array_index (pairs, guint32, k + j));
          json_array_add_array_element (list, triple);
        }
      json_object_set_array_member (img, "confusion_pairs", list);
    }
  json_object_set_int_member (o, "model", r->model_id);
  json_object_set_string_member (o, "model_name", r->model_name);
  if (opt->split == NULL || g_strcmp0 (opt->split, "*") == 0)
    json_object_set_null_member (o, "split");
  else
    json_object_set_string_member (o, "split", opt->split);
  json_object_set_string_member (o, "labels",
                                 opt->labels == RL_MASK_ORIGINAL ? "original" : "current");
  json_object_set_int_member (o, "in_sample_images", r->n_in_sample);
  return json_to_string (node, TRUE);
}

RlEvalResult *
rl_project_evaluate (const char *project_path, const RlEvalOptions *opt,
                     void (*progress) (guint done, guint total, gpointer data),
                     gboolean (*should_stop) (gpointer data), gpointer data, GError **error)
{
  g_return_val_if_fail (opt->labels == RL_MASK_CURRENT || opt->labels == RL_MASK_ORIGINAL, NULL);
  g_autoptr (RlProject) project = rl_project_open (project_path, FALSE, error);
  if (project == NULL)
    return NULL;
  gint64 model_id = opt->model_id > 0 ? opt->model_id : rl_project_current_model (project);
  g_autoptr (GPtrArray) models = rl_project_list_models (project, error);
  if (models == NULL)
    return NULL;
  const RlModelInfo *info_m = NULL;
  for (guint i = 0; i < models->len; i++)
    if (((RlModelInfo *) models->pdata[i])->id == model_id)
      info_m = models->pdata[i];
  if (info_m == NULL)
    {
      if (model_id == 0)
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                     "%s: the project has no model to evaluate (add one with relabel models "
                     "--add)", project_path);
      else
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                     "%s: no model version %" G_GINT64_FORMAT, project_path, model_id);
      return NULL;
    }
  g_autoptr (GHashTable) trained = rl_project_lineage_trained_images (project, model_id, error);
  if (trained == NULL)
    return NULL;

  g_autoptr (GPtrArray) images = rl_project_list_images (project, error);
  if (images == NULL)
    return NULL;
  gboolean all = opt->split == NULL || g_strcmp0 (opt->split, "*") == 0;
  g_autoptr (GPtrArray) chosen = g_ptr_array_new ();
  guint skipped = 0;
  for (guint i = 0; i < images->len; i++)
    {
      RlImageInfo *info = images->pdata[i];
      if (!all && g_strcmp0 (info->split, opt->split) != 0)
        continue;
      if (has_labels (info, opt->labels))
        g_ptr_array_add (chosen, info);
      else
        skipped++;
    }
  if (chosen->len == 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: no image %s%s%shas %s labels", project_path, all ? "" : "of split '",
                   all ? "" : opt->split, all ? "" : "' ",
                   opt->labels == RL_MASK_ORIGINAL ? "original" : "current");
      return NULL;
    }

  const RlClassSpec *spec = rl_project_get_class_spec (project);
  RlEvalResult *r = g_new0 (RlEvalResult, 1);
  r->model_id = model_id;
  r->model_name = g_strdup (info_m->name);
  r->n_skipped = skipped;
  r->metrics = rl_metrics_new (spec->n_classes, spec->ignore_index);
  r->names = g_ptr_array_new_with_free_func (g_free);
  r->in_sample = g_array_new (FALSE, FALSE, sizeof (gboolean));
  r->confusion_pairs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  if (r->metrics == NULL)
    g_error ("out of memory");

  RlModel *model = NULL;
  StopCheck stop = { should_stop, data };
  gboolean ok = TRUE;
  for (guint i = 0; i < chosen->len && ok; i++)
    {
      const RlImageInfo *info = chosen->pdata[i];
      if (abort_check (&stop))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
          break;
        }
      int w, h;
      g_autofree guint8 *truth = NULL;
      if (!rl_project_get_mask (project, info->id, opt->labels, &w, &h, &truth, error))
        {
          ok = FALSE;
          break;
        }
      gboolean made;
      g_autofree guint8 *pred = prediction_of (project, info, model_id, opt, &model, &stop,
                                               &made, error);
      if (pred == NULL)
        {
          ok = FALSE;
          break;
        }
      RlError err = { { 0 } };
      if (rl_metrics_add_image (r->metrics, truth, pred, h, w, &err) != RL_OK)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: image '%s': %s",
                       project_path, info->name, err.text);
          ok = FALSE;
          break;
        }
      gboolean in_sample = g_hash_table_contains (trained, &info->id);
      g_ptr_array_add (r->names, g_strdup (info->name));
      g_ptr_array_add (r->confusion_pairs, confusion_pairs (truth, pred, (gsize) w * h,
                                                            spec->n_classes,
                                                            spec->ignore_index));
      g_array_append_val (r->in_sample, in_sample);
      r->n_images++;
      r->n_predicted += made;
      r->n_in_sample += in_sample;
      if (progress != NULL)
        progress (i + 1, chosen->len, data);
    }
  rl_model_free (model);
  if (ok)
    {
      r->json = result_json (r, spec, opt);
      g_autofree char *key = rl_project_eval_run_key (opt->split, opt->labels);
      if (opt->store && !rl_project_add_metrics (project, model_id, key, r->json, error))
        ok = FALSE;
    }
  if (!ok)
    {
      rl_eval_result_free (r);
      return NULL;
    }
  return r;
}

static int
cell_hit_cmp (gconstpointer a, gconstpointer b)
{
  const RlCellImage *x = a, *y = b;
  if (x->pixels != y->pixels)
    return x->pixels > y->pixels ? -1 : 1;
  return strcmp (x->name, y->name);
}

static void
cell_image_clear (gpointer data)
{
  g_free (((RlCellImage *) data)->name);
}

GArray *
rl_eval_images_for_cell (const char *result_json, int truth_class, int pred_class,
                         GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, result_json, -1, error))
    return NULL;
  JsonNode *root = json_parser_get_root (parser);
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  JsonArray *per_image = o != NULL && json_object_has_member (o, "per_image")
                         ? json_object_get_array_member (o, "per_image") : NULL;
  if (per_image == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "the metrics run has no per-image results");
      return NULL;
    }
  GArray *hits = g_array_new (FALSE, FALSE, sizeof (RlCellImage));
  g_array_set_clear_func (hits, cell_image_clear);
  for (guint i = 0; i < json_array_get_length (per_image); i++)
    {
      JsonObject *img = json_array_get_object_element (per_image, i);
      if (img == NULL || !json_object_has_member (img, "confusion_pairs"))
        continue;
      JsonArray *pairs = json_object_get_array_member (img, "confusion_pairs");
      for (guint k = 0; pairs != NULL && k < json_array_get_length (pairs); k++)
        {
          JsonArray *t = json_array_get_array_element (pairs, k);
          if (t == NULL || json_array_get_length (t) != 3
              || json_array_get_int_element (t, 0) != truth_class
              || json_array_get_int_element (t, 1) != pred_class)
            continue;
          RlCellImage hit = { g_strdup (json_object_get_string_member (img, "name")),
                              json_array_get_int_element (t, 2),
                              json_object_get_boolean_member_with_default (img, "in_sample",
                                                                           FALSE) };
          g_array_append_val (hits, hit);
        }
    }
  g_array_sort (hits, cell_hit_cmp);
  return hits;
}
