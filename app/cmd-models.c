/* relabel models: the project's model versions with their provenance (parent, images trained on,
 * settings), the before/after scores a retrain took and the stored metrics runs, which one is
 * current; --add registers a model file as a new version (made current), --set-current picks
 * the current version, --rename and --delete manage versions, --images lists what one trained
 * on. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli-options.h"
#include "relabel-cli.h"
#include "rl-metrics-json.h"
#include "rl-project.h"

/* The retrain scores of one set ("heldout" or "corrected") stored in a version's config. */
typedef struct
{
  gboolean present;
  gint64 images;
  gboolean before_in_sample, after_in_sample;
  double before_g, before_miou, after_g, after_miou;
} Scores;

static double
number (JsonObject *o, const char *key)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, key) : NULL;
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
}

static Scores
read_scores (JsonObject *config, const char *key)
{
  Scores s = { FALSE, 0, FALSE, FALSE, NAN, NAN, NAN, NAN };
  JsonNode *n = config != NULL ? json_object_get_member (config, key) : NULL;
  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    return s;
  JsonObject *o = json_node_get_object (n);
  s.present = TRUE;
  s.images = json_object_get_int_member_with_default (o, "images", 0);
  s.before_in_sample = json_object_get_boolean_member_with_default (o, "before_in_sample", FALSE);
  s.after_in_sample = json_object_get_boolean_member_with_default (o, "after_in_sample", FALSE);
  JsonNode *b = json_object_get_member (o, "before"), *a = json_object_get_member (o, "after");
  JsonObject *bo = b != NULL && JSON_NODE_HOLDS_OBJECT (b) ? json_node_get_object (b) : NULL;
  JsonObject *ao = a != NULL && JSON_NODE_HOLDS_OBJECT (a) ? json_node_get_object (a) : NULL;
  s.before_g = number (bo, "global_accuracy");
  s.before_miou = number (bo, "miou");
  s.after_g = number (ao, "global_accuracy");
  s.after_miou = number (ao, "miou");
  return s;
}

static void
add_json_number (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

static void
add_scores_json (JsonBuilder *b, const char *key, const Scores *s)
{
  json_builder_set_member_name (b, key);
  if (!s->present)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, s->images);
  for (int w = 0; w < 2; w++)
    {
      json_builder_set_member_name (b, w == 0 ? "before" : "after");
      json_builder_begin_object (b);
      add_json_number (b, "global_accuracy", w == 0 ? s->before_g : s->after_g);
      add_json_number (b, "miou", w == 0 ? s->before_miou : s->after_miou);
      json_builder_set_member_name (b, "in_sample");
      json_builder_add_boolean_value (b, w == 0 ? s->before_in_sample : s->after_in_sample);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* "G 84.0 → 84.1 %, mIoU 51.0 → 51.2 %" with "(in-sample)" after a side that is. */
static void
print_scores (const char *what, const Scores *s)
{
  if (!s->present || s->images == 0)
    return;
  printf ("    %-9s %3" G_GINT64_FORMAT " images: G %.1f -> %.1f %%, mIoU %.1f -> %.1f %%",
          what, s->images, 100 * s->before_g, 100 * s->after_g, 100 * s->before_miou,
          100 * s->after_miou);
  if (s->before_in_sample && s->after_in_sample)
    printf ("  (in-sample before and after)");
  else if (s->after_in_sample)
    printf ("  (after: in-sample)");
  else if (s->before_in_sample)
    printf ("  (before: in-sample)");
  printf ("\n");
}

/* The summary of a stored metrics run: images, in-sample images, G, C, mIoU, BF (NaN absent). */
typedef struct
{
  gint64 images, in_sample;
  double g, c, miou, bf;
} RunSummary;

static double
member_number (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
}

static gboolean
summarise_run (const char *text, RunSummary *s)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  s->images = json_object_get_int_member_with_default (o, "images", 0);
  s->in_sample = json_object_get_int_member_with_default (o, "in_sample_images", 0);
  s->g = member_number (o, "global_accuracy");
  s->c = member_number (o, "class_accuracy");
  s->miou = member_number (o, "miou");
  s->bf = member_number (o, "bf");
  return TRUE;
}

/* "metrics": {KEY: {images, in_sample_images, global_accuracy, class_accuracy, miou, bf,
 * created}} of the newest stored run under each key (relabel eval --project, Retrain). */
static gboolean
add_metrics_json (JsonBuilder *b, RlProject *project, gint64 model_id, GError **error)
{
  g_autoptr (GPtrArray) runs = rl_project_list_metrics_runs (project, model_id, error);
  if (runs == NULL)
    return FALSE;
  json_builder_set_member_name (b, "metrics");
  json_builder_begin_object (b);
  for (guint i = 0; i < runs->len; i++)
    {
      RlMetricsRun *run = runs->pdata[i];
      RunSummary s;
      if (!summarise_run (run->metrics, &s))
        continue;
      json_builder_set_member_name (b, run->key);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, s.images);
      json_builder_set_member_name (b, "in_sample_images");
      json_builder_add_int_value (b, s.in_sample);
      rl_json_add_number (b, "global_accuracy", s.g);
      rl_json_add_number (b, "class_accuracy", s.c);
      rl_json_add_number (b, "miou", s.miou);
      rl_json_add_number (b, "bf", s.bf);
      json_builder_set_member_name (b, "created");
      json_builder_add_string_value (b, run->created);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return TRUE;
}

static gboolean
print_metrics (RlProject *project, gint64 model_id, GError **error)
{
  g_autoptr (GPtrArray) runs = rl_project_list_metrics_runs (project, model_id, error);
  if (runs == NULL)
    return FALSE;
  for (guint i = 0; i < runs->len; i++)
    {
      RlMetricsRun *run = runs->pdata[i];
      RunSummary s;
      if (!summarise_run (run->metrics, &s))
        continue;
      printf ("    %-12s %3" G_GINT64_FORMAT " images: G %.1f  C %.1f  mIoU %.1f  BF %.1f %%",
              run->key, s.images, 100 * s.g, 100 * s.c, 100 * s.miou, 100 * s.bf);
      if (s.in_sample > 0)
        printf ("  (%" G_GINT64_FORMAT " in-sample)", s.in_sample);
      printf ("\n");
    }
  return TRUE;
}

static int
print_trained_images (RlProject *project, gint64 model_id, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) trained = rl_project_model_trained_images (project, model_id, &error);
  g_autoptr (GPtrArray) images = trained != NULL ? rl_project_list_images (project, &error)
                                                 : NULL;
  g_autoptr (GPtrArray) models = images != NULL ? rl_project_list_models (project, &error)
                                                : NULL;
  if (models == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  gboolean known = FALSE;
  for (guint i = 0; i < models->len; i++)
    known |= ((RlModelInfo *) models->pdata[i])->id == model_id;
  if (!known)
    {
      fprintf (stderr, "relabel: %s: no model version %" G_GINT64_FORMAT "\n",
               rl_project_get_path (project), model_id);
      return 1;
    }
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < images->len; i++)
    {
      RlImageInfo *info = images->pdata[i];
      gint64 *rev = g_hash_table_lookup (trained, &info->id);
      if (rev == NULL)
        continue;
      /* revision -1: learnt before the model entered this project (its file's trained_on),
       * from labels the project does not know */
      if (!json)
        {
          if (*rev >= 0)
            printf ("%s\t%s\t%" G_GINT64_FORMAT "\n", info->name, info->split, *rev);
          else
            printf ("%s\t%s\t-\n", info->name, info->split);
          continue;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "image");
      json_builder_add_string_value (b, info->name);
      json_builder_set_member_name (b, "split");
      json_builder_add_string_value (b, info->split);
      json_builder_set_member_name (b, "label_revision");
      if (*rev >= 0)
        json_builder_add_int_value (b, *rev);
      else
        json_builder_add_null_value (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (json)
    rl_cli_print_json (b);
  return 0;
}

int
rl_cmd_models (int argc, char **argv)
{
  g_autofree char *project_path = NULL, *add = NULL, *name = NULL;
  gint64 set_current = 0, rename = 0, delete = 0, images_of = 0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project_path, "Project file", "P" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "add", 0, 0, G_OPTION_ARG_FILENAME, &add,
      "Register this model file as a new version and make it current", "M.safetensors" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      "Name of the version --add registers, or the new name for --rename", "NAME" },
    { "set-current", 0, 0, G_OPTION_ARG_INT64, &set_current,
      "Make this version the project's current model", "VERSION" },
    { "rename", 0, 0, G_OPTION_ARG_INT64, &rename, "Rename this version to --name", "VERSION" },
    { "delete", 0, 0, G_OPTION_ARG_INT64, &delete,
      "Delete this version (not the current one) with its predictions and scores", "VERSION" },
    { "images", 0, 0, G_OPTION_ARG_INT64, &images_of,
      "List the images this version was trained on (name, split, label revision)", "VERSION" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    g_option_context_new ("- list the project's model versions, add one or pick the current");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!rl_cli_parse ("models", ctx, &argc, &argv))
    return 2;
  if (project_path == NULL)
    {
      fprintf (stderr, "relabel models: --project P is required\n");
      return 2;
    }
  if ((add != NULL) + (set_current != 0) + (rename != 0) + (delete != 0) + (images_of != 0) > 1)
    {
      fprintf (stderr, "relabel models: give one of --add, --set-current, --rename, --delete "
               "and --images\n");
      return 2;
    }
  if (set_current < 0 || rename < 0 || delete < 0 || images_of < 0)
    {
      fprintf (stderr, "relabel models: a version is a number (1, 2, ...)\n");
      return 2;
    }
  if (rename != 0 && name == NULL)
    {
      fprintf (stderr, "relabel models: --rename VERSION needs --name NAME\n");
      return 2;
    }
  if (!g_file_test (project_path, G_FILE_TEST_IS_REGULAR))
    {
      fprintf (stderr, "relabel: %s: no such project file\n", project_path);
      return 1;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) project = rl_project_open (project_path, FALSE, &error);
  if (project == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  if (add != NULL)
    {
      g_autofree char *base = g_path_get_basename (add);
      gint64 id = rl_project_add_model (project, name ? name : base, add, 0, NULL, &error);
      if (id == 0)
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
      printf ("version %" G_GINT64_FORMAT " added from %s and made current\n", id, add);
      return 0;
    }
  if (set_current != 0)
    {
      if (!rl_project_set_current_model (project, set_current, &error))
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
      printf ("version %" G_GINT64_FORMAT " is now the current model\n", set_current);
      return 0;
    }

  if (rename != 0)
    {
      if (!rl_project_rename_model (project, rename, name, &error))
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
      printf ("version %" G_GINT64_FORMAT " renamed to %s\n", rename, name);
      return 0;
    }
  if (delete != 0)
    {
      if (!rl_project_delete_model (project, delete, &error))
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
      printf ("version %" G_GINT64_FORMAT " deleted\n", delete);
      return 0;
    }
  if (images_of != 0)
    return print_trained_images (project, images_of, json);

  g_autoptr (GPtrArray) models = rl_project_list_models (project, &error);
  if (models == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    {
      RlModelInfo *m = models->pdata[i];
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *config = NULL;
      if (m->config != NULL && json_parser_load_from_data (parser, m->config, -1, NULL)
          && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        config = json_node_get_object (json_parser_get_root (parser));
      Scores heldout = read_scores (config, "heldout");
      Scores corrected = read_scores (config, "corrected");
      const char *reason = config != NULL && json_object_has_member (config, "reason")
                           && !json_object_get_null_member (config, "reason")
                           ? json_object_get_string_member (config, "reason") : NULL;
      if (json)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "version");
          json_builder_add_int_value (b, m->id);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, m->name);
          json_builder_set_member_name (b, "created");
          json_builder_add_string_value (b, m->created);
          json_builder_set_member_name (b, "parent");
          if (m->parent_id > 0)
            json_builder_add_int_value (b, m->parent_id);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "current");
          json_builder_add_boolean_value (b, m->current);
          json_builder_set_member_name (b, "trained_on");
          json_builder_add_int_value (b, m->n_trained);
          add_scores_json (b, "heldout", &heldout);
          add_scores_json (b, "corrected", &corrected);
          json_builder_set_member_name (b, "not_current_reason");
          if (reason != NULL)
            json_builder_add_string_value (b, reason);
          else
            json_builder_add_null_value (b);
          /* settings: how the version was made (the job's configuration less its scores) */
          json_builder_set_member_name (b, "settings");
          if (config != NULL)
            {
              json_builder_begin_object (b);
              g_autoptr (GList) keys = json_object_get_members (config);
              for (GList *k = keys; k != NULL; k = k->next)
                if (g_strcmp0 (k->data, "heldout") != 0 && g_strcmp0 (k->data, "corrected") != 0
                    && g_strcmp0 (k->data, "reason") != 0)
                  {
                    json_builder_set_member_name (b, k->data);
                    json_builder_add_value (b, json_node_copy (json_object_get_member (config,
                                                                                     k->data)));
                  }
              json_builder_end_object (b);
            }
          else
            json_builder_add_null_value (b);
          if (!add_metrics_json (b, project, m->id, &error))
            {
              fprintf (stderr, "relabel: %s\n", error->message);
              return 1;
            }
          json_builder_end_object (b);
          continue;
        }
      printf ("version %" G_GINT64_FORMAT "%s  %s  (%s)\n", m->id, m->current ? " [current]" : "",
              m->name, m->created);
      if (m->parent_id > 0)
        printf ("    parent version %" G_GINT64_FORMAT ", trained on %u images\n", m->parent_id,
                m->n_trained);
      else if (m->n_trained > 0)
        printf ("    trained on %u images\n", m->n_trained);
      print_scores ("held-out", &heldout);
      print_scores ("corrected", &corrected);
      if (reason != NULL)
        printf ("    %s\n", reason);
      if (!print_metrics (project, m->id, &error))
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
    }
  json_builder_end_array (b);
  if (json)
    rl_cli_print_json (b);
  else if (models->len == 0)
    printf ("no model versions\n");
  return 0;
}
