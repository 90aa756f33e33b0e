/* relabel suspects: pre-labels (with confidences) whatever the model has not yet predicted,
 * ranks the suspected label errors across the project and prints the worst K. */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-options.h"
#include "relabel-cli.h"
#include "rl-project-suspects.h"

static int
fail (GError *error)
{
  fprintf (stderr, "relabel: %s\n", error->message);
  return 1;
}

/* The model version from --model: a version number, or a file: the version holding exactly
 * those weights when there is one (a second run reuses its predictions), else registered as a
 * new current version. */
static gint64
resolve_model (RlProject *project, const char *arg, GError **error)
{
  if (arg == NULL)
    {
      gint64 id = rl_project_current_model (project);
      if (id == 0)
        g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                     "%s: the project has no model (give --model M.safetensors)",
                     rl_project_get_path (project));
      return id;
    }
  char *end = NULL;
  gint64 v = g_ascii_strtoll (arg, &end, 10);
  if (end != arg && *end == '\0')
    {
      g_autoptr (GPtrArray) models = rl_project_list_models (project, error);
      if (models == NULL)
        return 0;
      for (guint i = 0; i < models->len; i++)
        if (((RlModelInfo *) models->pdata[i])->id == v)
          return v;
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "%s: no model version %s (see relabel models)", rl_project_get_path (project),
                   arg);
      return 0;
    }
  g_autoptr (GError) local = NULL;
  gint64 known = rl_project_find_model_file (project, arg, &local);
  if (known != 0)
    return known;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return 0;
    }
  g_autofree char *base = g_path_get_basename (arg);
  return rl_project_add_model (project, base, arg, 0, NULL, error);
}

/* Predicts, with confidences, every image model_id has not (or not with confidences). */
static gboolean
prelabel_missing (RlProject *project, gint64 model_id, int threads, GError **error)
{
  g_autoptr (GArray) ids = rl_suspects_missing (project, model_id, error);
  if (ids == NULL)
    return FALSE;
  if (ids->len == 0)
    return TRUE;
  RlModel *model = rl_project_load_model (project, model_id, error);
  gboolean ok = model != NULL;
  for (guint i = 0; ok && i < ids->len; i++)
    {
      ok = rl_suspects_predict_image (project, model, model_id, g_array_index (ids, gint64, i),
                                      threads, NULL, NULL, error);
      fprintf (stderr, "\rrelabel suspects: pre-labelled %u of %u images", i + 1, ids->len);
    }
  fprintf (stderr, "\n");
  rl_model_free (model);
  return ok;
}

/* " x2.5 from the answers" when the annotator's answers on the region's class pair moved it */
static const char *
weight_note (double weight)
{
  static char buf[48];
  if (fabs (weight - 1.0) < 0.005)
    return "";
  g_snprintf (buf, sizeof buf, " x%.2g from the answers", weight);
  return buf;
}

static const char *
class_name (const RlClassSpec *spec, int c)
{
  return spec != NULL && c >= 0 && c < spec->n_classes && spec->classes[c].name != NULL
         ? spec->classes[c].name : "?";
}

int
rl_cmd_suspects (int argc, char **argv)
{
  g_autofree char *project_path = NULL, *model_arg = NULL;
  int top = 20, threads = 0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project_path, "Project file", "P" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model_arg,
      "Model version (a number, see relabel models) or a .safetensors file: the version with"
      " those weights, else added as a new current version (default: the current model)", "M" },
    { "top", 0, 0, G_OPTION_ARG_INT, &top, "Print the K worst regions (default 20, 0: all)",
      "K" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print {\"regions\": [{\"image\", \"labelled_class\", \"suggested_class\", \"pixels\","
      " \"score\", \"bbox\": [x, y, w, h], \"kind\": \"region\"|\"boundary\"}, ...]}", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default all cores)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new (
    "- rank suspected label errors: regions where a confident prediction disagrees with the"
    " label, worst first");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!rl_cli_parse ("suspects", ctx, &argc, &argv))
    return 2;
  if (project_path == NULL)
    {
      fprintf (stderr, "relabel suspects: --project P is required\n");
      return 2;
    }
  if (top < 0 || threads < 0)
    {
      fprintf (stderr, "relabel suspects: --top and --threads want a number >= 0\n");
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
    return fail (error);
  const RlClassSpec *spec = rl_project_get_class_spec (project);
  if (spec == NULL)
    {
      fprintf (stderr, "relabel: %s: the project has no dataset yet (relabel import)\n",
               project_path);
      return 1;
    }
  gint64 model_id = resolve_model (project, model_arg, &error);
  if (model_id == 0)
    return fail (error);
  if (!prelabel_missing (project, model_id, threads, &error))
    return fail (error);
  guint n_regions = 0;
  if (!rl_suspects_update (project, model_id, NULL, NULL, NULL, &n_regions, &error))
    return fail (error);
  RlSuspectFilter filter;
  rl_suspect_filter_init (&filter);
  filter.limit = (guint) top;
  g_autoptr (GPtrArray) regions = rl_suspects_list (project, &filter, &error);
  if (regions == NULL)
    return fail (error);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "regions");
      json_builder_begin_array (b);
      for (guint i = 0; i < regions->len; i++)
        {
          RlSuspectRegion *r = regions->pdata[i];
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "image");
          json_builder_add_string_value (b, r->image);
          json_builder_set_member_name (b, "labelled_class");
          json_builder_add_int_value (b, r->labelled);
          json_builder_set_member_name (b, "suggested_class");
          json_builder_add_int_value (b, r->suggested);
          json_builder_set_member_name (b, "pixels");
          json_builder_add_int_value (b, r->pixels);
          json_builder_set_member_name (b, "score");
          json_builder_add_double_value (b, r->score);
          json_builder_set_member_name (b, "weight");
          json_builder_add_double_value (b, r->weight);
          json_builder_set_member_name (b, "bbox");
          json_builder_begin_array (b);
          json_builder_add_int_value (b, r->x);
          json_builder_add_int_value (b, r->y);
          json_builder_add_int_value (b, r->w);
          json_builder_add_int_value (b, r->h);
          json_builder_end_array (b);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, r->kind == RL_SUSPECT_BOUNDARY ? "boundary"
                                                                           : "region");
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      rl_cli_print_json (b);
      return 0;
    }
  guint n_in_sample = 0;
  for (guint i = 0; i < regions->len; i++)
    n_in_sample += ((RlSuspectRegion *) regions->pdata[i])->in_sample;
  printf ("%u suspected regions (model version %" G_GINT64_FORMAT "), worst %u:\n", n_regions,
          model_id, regions->len);
  for (guint i = 0; i < regions->len; i++)
    {
      RlSuspectRegion *r = regions->pdata[i];
      printf ("%3u  %-16s %s labelled %s, suggested %s: %" G_GINT64_FORMAT " px at %d,%d %dx%d,"
              " score %.3g%s%s\n", i + 1, r->image,
              r->kind == RL_SUSPECT_BOUNDARY ? "boundary" : "region  ",
              class_name (spec, r->labelled), class_name (spec, r->suggested), r->pixels, r->x,
              r->y, r->w, r->h, r->score, weight_note (r->weight),
              r->in_sample ? " (in-sample)" : "");
    }
  if (n_in_sample > 0)
    printf ("%u of these are on images the model trained on (in-sample: its confidence there"
            " is biased)\n", n_in_sample);
  return 0;
}
