/* A new model from a project's labels (rl-new-model.h): the labelled images' current masks are
 * written to a temporary folder, rl_train_run trains from scratch with the recipe, and the last
 * weights are stored as a version with no parent and the images and label versions it saw. */
#include "rl-new-model.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-dataset.h"
#include "rl-finetune.h"
#include "rl-project.h"

void
rl_new_model_options_init (RlNewModelOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  RlTrainOptions *t = &opt->train;
  rl_train_options_init (t);
  t->arch = "segnet-basic";
  t->iters = 2000;
  t->batch = 4;
  t->crop_h = 192;
  t->crop_w = 256;
  t->scale_min = 0.75;
  t->scale_max = 1.25;
  t->brightness = t->contrast = t->saturation = t->gamma = 0.25;
  t->lr = 0.02;
  t->lr_poly = 0.9;
  t->momentum = 0.9;
  t->weight_decay = 5e-4;
  t->class_weight_power = 0.5;
  t->flip = TRUE;
  t->path = RL_ENGINE_PATH_DEFAULT;
}

typedef struct
{
  const RlNewModelOptions *opt;
  const RlTrainCallbacks *cb;
  RlProject *project;
  char *tmpdir;
  RlDataset *ds;
  GArray *trained;          /* RlTrainedImage */
  GArray *losses;           /* double, one per step */
  int last_iter;
  int input_norm;           /* the trained model's RL_INPUT_NORM_*, from progress; -1 none yet */
} Job;

static void
progress (const RlTrainProgress *p, gpointer data)
{
  Job *job = data;
  if (p->iter > job->last_iter)
    {
      double loss = p->loss;
      g_array_append_val (job->losses, loss);
      job->last_iter = p->iter;
    }
  job->input_norm = p->input_norm;
  if (job->cb != NULL && job->cb->progress != NULL)
    job->cb->progress (p, job->cb->data);
}

static gboolean
should_stop (gpointer data)
{
  Job *job = data;
  return job->cb != NULL && job->cb->should_stop != NULL && job->cb->should_stop (job->cb->data);
}

static double
mean_of (GArray *a, guint from, guint to)
{
  double s = 0;
  for (guint i = from; i < to; i++)
    s += g_array_index (a, double, i);
  return to > from ? s / (to - from) : NAN;
}

static char *
config_json (const RlTrainOptions *t, int input_norm, guint n_images, double seconds,
             double first, double last)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
#define STR(k, v) (json_builder_set_member_name (b, k), json_builder_add_string_value (b, v))
#define NUM(k, v) (json_builder_set_member_name (b, k), json_builder_add_double_value (b, v))
#define INT(k, v) (json_builder_set_member_name (b, k), json_builder_add_int_value (b, v))
  STR ("kind", "new-model");
  STR ("recipe", t->init_encoder ? "learning-loop (resources/models/README.md), from another "
                                   "model's layers"
                                 : "learning-loop (resources/models/README.md), from scratch");
  if (t->init_encoder != NULL)
    {
      g_autofree char *base = g_path_get_basename (t->init_encoder);
      STR ("init_encoder", base);
    }
  STR ("arch", t->arch);
  if (input_norm >= 0)
    STR ("input_norm", rl_input_norm_name (input_norm));
  INT ("train_images", n_images);
  INT ("iters", t->iters);
  INT ("batch", t->batch);
  INT ("crop_h", t->crop_h);
  INT ("crop_w", t->crop_w);
  NUM ("scale", t->scale);
  NUM ("random_scale_min", t->scale_min);
  NUM ("random_scale_max", t->scale_max);
  NUM ("brightness", t->brightness);
  NUM ("contrast", t->contrast);
  NUM ("saturation", t->saturation);
  NUM ("gamma", t->gamma);
  NUM ("lr", t->lr);
  NUM ("lr_poly", t->lr_poly);
  NUM ("momentum", t->momentum);
  NUM ("weight_decay", t->weight_decay);
  NUM ("class_weight_power", t->class_weight_power);
  INT ("seed", (gint64) t->seed);
  NUM ("train_seconds", seconds);
  NUM ("loss_first_tenth", first);
  NUM ("loss_last_tenth", last);
#undef STR
#undef NUM
#undef INT
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static gboolean
run (Job *job, RlNewModelResult *res, GError **error)
{
  const RlNewModelOptions *opt = job->opt;
  gint64 start = g_get_monotonic_time ();
  const RlClassSpec *spec = rl_project_get_class_spec (job->project);
  if (spec == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the project has no images yet (import a dataset first)",
                   rl_project_get_path (job->project));
      return FALSE;
    }
  g_autoptr (GPtrArray) images = rl_project_list_images (job->project, error);
  if (images == NULL)
    return FALSE;
  gboolean any_split = opt->split == NULL || strcmp (opt->split, "*") == 0;
  job->tmpdir = g_dir_make_tmp ("relabel-new-model-XXXXXX", error);
  if (job->tmpdir == NULL)
    return FALSE;
  g_autofree char *labels = g_build_filename (job->tmpdir, "labels", NULL);
  if (g_mkdir (labels, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", labels,
                   g_strerror (errno));
      return FALSE;
    }
  job->ds = g_new0 (RlDataset, 1);
  job->ds->kind = g_strdup (rl_project_get_dataset_kind (job->project));
  job->ds->root = g_strdup (rl_project_get_path (job->project));
  job->ds->spec = rl_class_spec_copy (spec);
  job->ds->samples = g_ptr_array_new_with_free_func (rl_sample_free);
  job->ds->problems = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < images->len; i++)
    {
      RlImageInfo *info = images->pdata[i];
      if (info->missing || info->status == RL_IMAGE_UNLABELLED
          || !(any_split || g_strcmp0 (info->split, opt->split) == 0))
        continue;
      if (should_stop (job))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped before training");
          return FALSE;
        }
      if (!rl_finetune_add_training_image (job->project, info, job->tmpdir, 1, job->trained,
                                           job->ds->samples, error))
        return FALSE;
    }
  if (job->ds->samples->len == 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: no labelled images%s%s%s to train a new model on (label or correct "
                   "some first)", rl_project_get_path (job->project), any_split ? "" : " in split '",
                   any_split ? "" : opt->split, any_split ? "" : "'");
      return FALSE;
    }

  RlTrainOptions t = opt->train;
  g_autofree char *out = g_build_filename (job->tmpdir, "model.safetensors", NULL);
  g_autofree char *ckpt = g_build_filename (job->tmpdir, "ckpt", NULL);
  g_autofree char *log = g_build_filename (job->tmpdir, "log.jsonl", NULL);
  t.out = out;
  t.checkpoint = ckpt;
  t.log = log;
  t.init = NULL;
  t.resume = NULL;
  t.train_split = "train";
  t.val_split = NULL;       /* the last weights are the version: nothing chosen on any score */
  t.holdout_sequences = NULL;
  t.class_weights = NULL;
  t.batch = MIN (t.batch, (int) job->ds->samples->len);
  if (t.path == RL_ENGINE_PATH_DEFAULT)
    t.path = rl_engine_path_training (TRUE);
  t.checkpoint_minutes = 1e9;   /* only the final checkpoint, in tmpdir */
  RlTrainCallbacks tcb = { progress, should_stop, job };
  gint64 train_start = g_get_monotonic_time ();
  if (!rl_train_run (job->ds, &t, &tcb, error))
    return FALSE;
  double train_s = (g_get_monotonic_time () - train_start) / 1e6;

  guint n = job->losses->len, tenth = MAX (1u, n / 10);
  res->first_loss = mean_of (job->losses, 0, MIN (tenth, n));
  res->last_loss = mean_of (job->losses, n > tenth ? n - tenth : 0, n);
  res->iters = (int) n;
  if (should_stop (job))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped after training");
      return FALSE;
    }
  if (opt->out != NULL)
    {
      g_autofree char *data = NULL;
      gsize len;
      if (!g_file_get_contents (out, &data, &len, error)
          || !g_file_set_contents_full (opt->out, data, (gssize) len,
                                        G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
        return FALSE;
    }
  gint64 current = rl_project_current_model (job->project);
  gboolean make_current = current <= 0 || opt->make_current;
  g_autofree char *config = config_json (&t, job->input_norm, job->ds->samples->len, train_s,
                                         res->first_loss, res->last_loss);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M");
  g_autofree char *name = opt->name ? g_strdup (opt->name)
                                    : g_strdup_printf ("%s from %u labelled images, %s", t.arch,
                                                       job->ds->samples->len, date);
  gint64 id = rl_project_add_model_version (job->project, name, out, 0, config,
                                            (const RlTrainedImage *) job->trained->data,
                                            job->trained->len, make_current, error);
  if (id <= 0)
    return FALSE;
  res->model_id = id;
  res->made_current = make_current;
  res->train_images = (int) job->ds->samples->len;
  res->seconds = (g_get_monotonic_time () - start) / 1e6;
  return TRUE;
}

gboolean
rl_new_model_run (const char *project_path, const RlNewModelOptions *opt,
                  const RlTrainCallbacks *cb, RlNewModelResult *result, GError **error)
{
  g_return_val_if_fail (project_path != NULL && opt != NULL, FALSE);
  RlNewModelResult res = { 0 };
  if (!g_file_test (project_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN, "%s: no such project file",
                   project_path);
      return FALSE;
    }
  Job job = { 0 };
  job.opt = opt;
  job.cb = cb;
  job.input_norm = -1;
  job.trained = g_array_new (FALSE, FALSE, sizeof (RlTrainedImage));
  job.losses = g_array_new (FALSE, FALSE, sizeof (double));
  job.project = rl_project_open (project_path, FALSE, error);
  gboolean ok = job.project != NULL && run (&job, &res, error);
  if (ok && result != NULL)
    *result = res;
  g_clear_pointer (&job.project, rl_project_close);
  rl_dataset_free (job.ds);
  if (job.tmpdir != NULL)
    rl_dataset_remove_tree (job.tmpdir);
  g_free (job.tmpdir);
  g_array_unref (job.trained);
  g_array_unref (job.losses);
  return ok;
}
