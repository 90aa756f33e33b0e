/* The "Retrain" job: fine-tunes the project's model on its corrected masks with rl_train_run,
 * scores it at full resolution on the val images and stores it as a new model version + metrics. */
#include "rl-finetune.h"
#include "rl-metrics-json.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-mask-png.h"
#include "rl-metrics.h"
#include "rl-model.h"
#include "rl-project.h"
#include "rl-train-loop.h"

void
rl_finetune_options_init (RlFinetuneOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->iters = 100;
  opt->batch = 4;
  opt->lr = 0.01;
  opt->momentum = 0.9;
  opt->weight_decay = 5e-4;
  opt->crop_h = 192;
  opt->crop_w = 256;
  opt->scale = 1.0;
  opt->seed = 1;
  opt->path = RL_ENGINE_PATH_DEFAULT;
}

/* Everything one run owns, freed by job_clear whatever happened. */
typedef struct
{
  const RlFinetuneOptions *opt;
  const RlFinetuneCallbacks *cb;
  RlProject *project;
  char *tmpdir;                 /* removed with its contents at the end */
  RlDataset *ds;                /* hand-built: samples point at the images and tmpdir labels */
  GPtrArray *val_images;        /* RlImageInfo* scored at the end */
  RlModel *base, *model;
  char *base_path;
  gint64 parent_id;
  guint n_train, n_train_fallback;
  gboolean val_overlaps_train;
} Job;

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
sample_free (gpointer data)
{
  RlSample *s = data;
  g_free (s->name);
  g_free (s->image_path);
  g_free (s->label_path);
  g_free (s->split);
  g_free (s);
}

static void
job_clear (Job *job)
{
  rl_model_free (job->base);
  rl_model_free (job->model);
  rl_dataset_free (job->ds);
  g_clear_pointer (&job->val_images, g_ptr_array_unref);
  if (job->tmpdir != NULL)
    remove_tree (job->tmpdir);
  g_free (job->tmpdir);
  g_free (job->base_path);
  g_clear_pointer (&job->project, rl_project_close);
}

static gboolean
job_should_stop (Job *job)
{
  return job->cb != NULL && job->cb->should_stop != NULL && job->cb->should_stop (job->cb->data);
}

static void
job_progress (Job *job, RlFinetunePhase phase, int done, int total)
{
  if (job->cb == NULL || job->cb->progress == NULL)
    return;
  RlFinetuneProgress p = { phase, done, total, NAN, NAN, NAN };
  job->cb->progress (&p, job->cb->data);
}

static gboolean
set_cancelled (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "fine-tuning cancelled");
  return FALSE;
}

/* An engine message, prefixed with the file unless it already names it. */
static void
set_engine_error (GError **error, const char *file, RlStatus st, const RlError *err)
{
  const char *text = err->text[0] ? err->text : rl_status_name (st);
  if (st == RL_ERR_CANCELLED)
    set_cancelled (error);
  else if (g_str_has_prefix (text, file))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, text);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", file, text);
}

/* Loads the base model (a file, or the project's current model exported to tmpdir) and checks
 * that its classes are the project's. */
static gboolean
load_base (Job *job, const RlClassSpec *spec, GError **error)
{
  if (job->opt->model != NULL)
    job->base_path = g_strdup (job->opt->model);
  else
    {
      job->parent_id = rl_project_current_model (job->project);
      if (job->parent_id <= 0)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                       "%s: the project has no model to fine-tune; give one with --model",
                       rl_project_get_path (job->project));
          return FALSE;
        }
      job->base_path = g_build_filename (job->tmpdir, "base.safetensors", NULL);
      if (!rl_project_export_model (job->project, job->parent_id, job->base_path, error))
        return FALSE;
    }
  RlError err = { { 0 } };
  RlStatus st = rl_model_load (job->base_path, &job->base, &err);
  if (st != RL_OK)
    {
      set_engine_error (error, job->base_path, st, &err);
      return FALSE;
    }
  if (rl_model_num_classes (job->base) != spec->n_classes)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the model has %d classes but the project's dataset (%s) has %d",
                   job->opt->model ? job->opt->model : rl_project_get_path (job->project),
                   rl_model_num_classes (job->base), spec->id, spec->n_classes);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_labelled (const RlImageInfo *info, gboolean corrected_only)
{
  if (info->missing)
    return FALSE;
  if (corrected_only)
    return info->status == RL_IMAGE_CORRECTED || info->status == RL_IMAGE_REVIEWED;
  return info->status != RL_IMAGE_UNLABELLED;
}

/* Writes the current mask of info to tmpdir/labels/SPLIT-ID.png and adds a sample of split. */
static gboolean
add_sample (Job *job, const RlImageInfo *info, const char *split, GError **error)
{
  g_autofree char *label = g_strdup_printf ("%s/labels/%s-%" G_GINT64_FORMAT ".png", job->tmpdir,
                                            split, info->id);
  g_autofree guint8 *mask = NULL;
  int w, h;
  if (!rl_project_get_mask (job->project, info->id, RL_MASK_CURRENT, &w, &h, &mask, error))
    return FALSE;
  g_autoptr (GBytes) png = rl_mask_png_encode (w, h, mask, error);
  if (png == NULL)
    return FALSE;
  gsize len;
  const char *data = g_bytes_get_data (png, &len);
  if (!g_file_set_contents_full (label, data, (gssize) len, G_FILE_SET_CONTENTS_NONE, 0644,
                                 error))
    return FALSE;
  RlSample *s = g_new0 (RlSample, 1);
  s->name = g_strdup (info->name);
  s->image_path = rl_project_image_path (job->project, info->id);
  s->label_path = g_steal_pointer (&label);
  s->split = g_strdup (split);
  g_ptr_array_add (job->ds->samples, s);
  return TRUE;
}

/* Chooses the training and validation images and writes the training labels. */
static gboolean
prepare_data (Job *job, const RlClassSpec *spec, GError **error)
{
  const RlFinetuneOptions *opt = job->opt;
  g_autoptr (GPtrArray) images = rl_project_list_images (job->project, error);
  if (images == NULL)
    return FALSE;
  const char *train_split = opt->train_split ? opt->train_split : "train";
  const char *val_split = opt->val_split ? opt->val_split : "val";
  gboolean all_splits = g_strcmp0 (train_split, "*") == 0;

  g_autoptr (GPtrArray) train = g_ptr_array_new ();
  job->val_images = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_image_info_free);
  for (guint i = 0; i < images->len; i++)
    {
      RlImageInfo *info = images->pdata[i];
      if (is_labelled (info, opt->corrected_only)
          && (all_splits || g_strcmp0 (info->split, train_split) == 0))
        g_ptr_array_add (train, info);
    }
  if (train->len == 0 && opt->train_split == NULL)
    {
      /* The documented fallback: no labelled "train" image, so train on every labelled one. */
      for (guint i = 0; i < images->len; i++)
        if (is_labelled (images->pdata[i], opt->corrected_only))
          g_ptr_array_add (train, images->pdata[i]);
      job->n_train_fallback = train->len;
      if (!opt->quiet && train->len > 0)
        g_printerr ("note: no labelled 'train' images: training on all %u labelled images\n",
                    train->len);
    }
  if (train->len == 0)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: no %s images to train on%s%s%s", rl_project_get_path (job->project),
                   opt->corrected_only ? "human-corrected" : "labelled",
                   all_splits ? "" : " in split '", all_splits ? "" : train_split,
                   all_splits ? "" : "'");
      return FALSE;
    }
  for (guint i = 0; val_split[0] != '\0' && i < images->len; i++)
    {
      RlImageInfo *info = images->pdata[i];
      if (is_labelled (info, FALSE) && g_strcmp0 (info->split, val_split) == 0)
        {
          /* Keep a copy: images (and its RlImageInfo) is freed when this returns. */
          g_autoptr (RlImageInfo) copy = rl_project_get_image (job->project, info->id, error);
          if (copy == NULL)
            return FALSE;
          g_ptr_array_add (job->val_images, g_steal_pointer (&copy));
          for (guint j = 0; j < train->len; j++)
            if (train->pdata[j] == info)
              job->val_overlaps_train = TRUE;
        }
    }

  job->ds = g_new0 (RlDataset, 1);
  job->ds->kind = g_strdup (rl_project_get_dataset_kind (job->project));
  job->ds->root = g_strdup (rl_project_get_path (job->project));
  job->ds->spec = rl_class_spec_copy (spec);
  job->ds->samples = g_ptr_array_new_with_free_func (sample_free);
  job->ds->problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *labels = g_build_filename (job->tmpdir, "labels", NULL);
  if (g_mkdir (labels, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", labels,
                   g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < train->len; i++)
    {
      if (job_should_stop (job))
        return set_cancelled (error);
      if (!add_sample (job, train->pdata[i], "train", error))
        return FALSE;
      job_progress (job, RL_FINETUNE_PREPARE, (int) i + 1, (int) train->len);
    }
  job->n_train = train->len;
  return TRUE;
}

static void
train_progress (const RlTrainProgress *p, gpointer data)
{
  Job *job = data;
  if (job->cb == NULL || job->cb->progress == NULL)
    return;
  RlFinetuneProgress fp = { RL_FINETUNE_TRAIN, p->iter, p->total_iters, p->loss,
                            p->images_per_s, p->eta_s };
  job->cb->progress (&fp, job->cb->data);
}

static gboolean
train_should_stop (gpointer data)
{
  return job_should_stop (data);
}

static int
predict_abort (void *data)
{
  return job_should_stop (data);
}

static char *
builder_to_string (JsonBuilder *b)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* Scores job->model on the validation images at full resolution against their current masks. */
static char *
evaluate (Job *job, const RlClassSpec *spec, GError **error)
{
  g_autoptr (GPtrArray) scored = g_ptr_array_new ();
  RlMetrics *m = rl_metrics_new (spec->n_classes, spec->ignore_index);
  g_return_val_if_fail (m != NULL, NULL);
  guint n = job->val_images->len;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < n; i++)
    {
      RlImageInfo *info = job->val_images->pdata[i];
      g_autofree guint8 *rgb = NULL, *truth = NULL, *pred = NULL;
      int w, h, mw, mh;
      if (job_should_stop (job))
        {
          ok = set_cancelled (error);
          break;
        }
      ok = rl_project_load_rgb (job->project, info->id, &w, &h, &rgb, error)
           && rl_project_get_mask (job->project, info->id, RL_MASK_CURRENT, &mw, &mh, &truth,
                                   error);
      if (ok && (mw != w || mh != h))
        {
          g_autofree char *path = rl_project_image_path (job->project, info->id);
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET,
                       "%s: the image is %dx%d but its mask is %dx%d", path, w, h, mw, mh);
          ok = FALSE;
        }
      if (!ok)
        break;
      pred = g_malloc ((gsize) w * h);
      RlError err = { { 0 } };
      RlStatus st = rl_model_predict_rgb8 (job->model, rgb, h, w, pred, job->opt->threads,
                                           predict_abort, job, &err);
      if (st == RL_OK)
        st = rl_metrics_add_image (m, truth, pred, h, w, &err);
      if (st != RL_OK)
        {
          set_engine_error (error, info->name, st, &err);
          ok = FALSE;
          break;
        }
      g_ptr_array_add (scored, info);
      job_progress (job, RL_FINETUNE_EVAL, (int) i + 1, (int) n);
    }
  g_autofree const char **names = g_new0 (const char *, scored->len + 1);
  for (guint i = 0; i < scored->len; i++)
    names[i] = ((RlImageInfo *) scored->pdata[i])->name;
  char *json = ok ? rl_metrics_to_json (m, spec, names, FALSE) : NULL;
  rl_metrics_free (m);
  return json;
}

static char *
config_json (Job *job, const RlTrainOptions *t, double train_s)
{
  const RlFinetuneOptions *opt = job->opt;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "job");
  json_builder_add_string_value (b, "finetune");
  json_builder_set_member_name (b, "base_model_id");
  if (job->parent_id > 0)
    json_builder_add_int_value (b, job->parent_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "base_model_file");
  if (opt->model != NULL)
    json_builder_add_string_value (b, opt->model);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "arch");
  json_builder_add_string_value (b, rl_model_arch (job->base));
  json_builder_set_member_name (b, "train_split");
  if (job->n_train_fallback > 0)
    json_builder_add_string_value (b, "*");
  else
    json_builder_add_string_value (b, opt->train_split ? opt->train_split : "train");
  json_builder_set_member_name (b, "corrected_only");
  json_builder_add_boolean_value (b, opt->corrected_only);
  json_builder_set_member_name (b, "train_images");
  json_builder_add_int_value (b, job->n_train);
  json_builder_set_member_name (b, "val_split");
  json_builder_add_string_value (b, opt->val_split ? opt->val_split : "val");
  json_builder_set_member_name (b, "val_images");
  json_builder_add_int_value (b, job->val_images->len);
  json_builder_set_member_name (b, "val_overlaps_train");
  json_builder_add_boolean_value (b, job->val_overlaps_train);
  json_builder_set_member_name (b, "iters");
  json_builder_add_int_value (b, t->iters);
  json_builder_set_member_name (b, "batch");
  json_builder_add_int_value (b, t->batch);
  rl_json_add_number (b, "lr", t->lr);
  rl_json_add_number (b, "momentum", t->momentum);
  rl_json_add_number (b, "weight_decay", t->weight_decay);
  json_builder_set_member_name (b, "crop");
  json_builder_begin_array (b);
  json_builder_add_int_value (b, t->crop_h);
  json_builder_add_int_value (b, t->crop_w);
  json_builder_end_array (b);
  rl_json_add_number (b, "scale", t->scale);
  json_builder_set_member_name (b, "flip");
  json_builder_add_boolean_value (b, t->flip);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) t->seed);
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, t->threads);
  json_builder_set_member_name (b, "engine");
  json_builder_add_string_value (b, t->path == RL_ENGINE_PATH_FP32 ? "fp32"
                                    : t->path == RL_ENGINE_PATH_BF16 ? "bf16"
                                    : t->path == RL_ENGINE_PATH_REFERENCE ? "reference"
                                    : "default");
  rl_json_add_number (b, "train_seconds", train_s);
  json_builder_end_object (b);
  return builder_to_string (b);
}

/* Copies the file at src to dst through a temporary name. */
static gboolean
copy_atomic (const char *src, const char *dst, GError **error)
{
  g_autofree char *data = NULL;
  gsize len;
  if (!g_file_get_contents (src, &data, &len, error))
    return FALSE;
  g_autoptr (GError) local = NULL;
  if (!rl_file_write_atomic (dst, data, len, &local))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, local->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run (Job *job, gint64 *new_model_id, GError **error)
{
  const RlFinetuneOptions *opt = job->opt;
  const RlClassSpec *spec = rl_project_get_class_spec (job->project);
  if (spec == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the project has no images yet (import a dataset first)",
                   rl_project_get_path (job->project));
      return FALSE;
    }
  job->tmpdir = g_dir_make_tmp ("relabel-finetune-XXXXXX", error);
  if (job->tmpdir == NULL)
    return FALSE;
  if (!load_base (job, spec, error) || !prepare_data (job, spec, error))
    return FALSE;

  RlTrainOptions t;
  rl_train_options_init (&t);
  g_autofree char *out = g_build_filename (job->tmpdir, "model.safetensors", NULL);
  g_autofree char *ckpt = g_build_filename (job->tmpdir, "ckpt", NULL);
  g_autofree char *log = g_build_filename (job->tmpdir, "log.jsonl", NULL);
  t.arch = rl_model_arch (job->base);
  t.out = out;
  t.init = job->base_path;
  t.checkpoint = ckpt;
  t.log = log;
  t.train_split = "train";
  /* No validation inside the loop: the last weights are the new model, scored once below at
   * full resolution, so the stored metrics are not biased by choosing among steps on val. */
  t.val_split = NULL;
  t.iters = opt->iters;
  t.batch = MIN (opt->batch, (int) job->n_train);
  t.lr = opt->lr;
  t.momentum = opt->momentum;
  t.weight_decay = opt->weight_decay;
  t.crop_h = opt->crop_h;
  t.crop_w = opt->crop_w;
  t.scale = opt->scale;
  t.flip = TRUE;
  t.seed = opt->seed;
  t.threads = opt->threads;
  t.path = opt->path;
  t.checkpoint_minutes = 1e9;   /* the job is short: only the final checkpoint, in tmpdir */
  t.quiet = opt->quiet;
  RlTrainCallbacks tcb = { train_progress, train_should_stop, job };
  gint64 start = g_get_monotonic_time ();
  if (!rl_train_run (job->ds, &t, &tcb, error))
    {
      if (error != NULL && g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (error);
          return set_cancelled (error);
        }
      return FALSE;
    }
  double train_s = (g_get_monotonic_time () - start) / 1e6;

  RlError err = { { 0 } };
  RlStatus st = rl_model_load (out, &job->model, &err);
  if (st != RL_OK)
    {
      set_engine_error (error, out, st, &err);
      return FALSE;
    }
  g_autofree char *metrics = NULL;
  if (job->val_images->len > 0)
    {
      metrics = evaluate (job, spec, error);
      if (metrics == NULL)
        return FALSE;
    }
  if (job_should_stop (job))
    return set_cancelled (error);
  if (opt->out != NULL && !copy_atomic (out, opt->out, error))
    return FALSE;

  g_autofree char *config = config_json (job, &t, train_s);
  g_autofree char *name = NULL;
  if (opt->name != NULL)
    name = g_strdup (opt->name);
  else if (job->parent_id > 0)
    name = g_strdup_printf ("finetune of model %" G_GINT64_FORMAT, job->parent_id);
  else
    {
      g_autofree char *base = g_path_get_basename (opt->model);
      name = g_strdup_printf ("finetune of %s", base);
    }
  gint64 id = rl_project_add_model (job->project, name, out, job->parent_id, config, error);
  if (id <= 0)
    return FALSE;
  if (new_model_id != NULL)
    *new_model_id = id;
  const char *val_split = opt->val_split ? opt->val_split : "val";
  if (metrics != NULL && !rl_project_add_metrics (job->project, id, val_split, metrics, error))
    {
      g_prefix_error (error, "model %" G_GINT64_FORMAT " was stored without its metrics: ", id);
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_finetune_run (const char *project_path, const RlFinetuneOptions *opt,
                 const RlFinetuneCallbacks *cb, gint64 *new_model_id, GError **error)
{
  g_return_val_if_fail (project_path != NULL && opt != NULL, FALSE);
  if (new_model_id != NULL)
    *new_model_id = 0;
  if (opt->iters < 1 || opt->batch < 1 || opt->batch > 256 || !(opt->lr > 0)
      || !(opt->scale > 0) || opt->scale > 1 || opt->threads < 0 || opt->crop_h < 0
      || opt->crop_w < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "fine-tune options out of range (iterations, batch, lr, scale, threads, crop)");
      return FALSE;
    }
  if (!g_file_test (project_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN, "%s: no such project file",
                   project_path);
      return FALSE;
    }
  Job job = { 0 };
  job.opt = opt;
  job.cb = cb;
  job.project = rl_project_open (project_path, FALSE, error);
  gboolean ok = job.project != NULL && run (&job, new_model_id, error);
  job_clear (&job);
  return ok;
}
