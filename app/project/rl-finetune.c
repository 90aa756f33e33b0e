/* The "Retrain" job: fine-tunes the project's model with rl_train_run on its corrected masks
 * (oversampled) mixed with its other labelled images, scores the parent and the new version on
 * held-out and corrected images at full resolution, and stores the new version, made current
 * only when it is not worse on the held-out images. */
#include "rl-finetune.h"
#include "rl-metrics-json.h"
#include "rl-project-eval.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-app-engine.h"
#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-mask-png.h"
#include "rl-metrics.h"
#include "rl-model.h"
#include "rl-project.h"
#include "rl-safetensors.h"
#include "rl-train-loop.h"

void
rl_finetune_options_init (RlFinetuneOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->iters = 100;
  opt->batch = 4;
  opt->lr = 0.001;
  opt->momentum = 0.9;
  opt->weight_decay = 5e-4;
  opt->crop_h = 192;
  opt->crop_w = 256;
  opt->scale = 1.0;
  opt->freeze_bn = TRUE;
  opt->corrected_share = 0.25;
  opt->heldout_max = 24;
  opt->tolerance = 0.005;
  opt->seed = 1;
  opt->path = rl_app_engine_path ();
}

void
rl_finetune_result_clear (RlFinetuneResult *r)
{
  g_clear_pointer (&r->reason, g_free);
}

/* Everything one run owns, freed by job_clear whatever happened. */
typedef struct
{
  const RlFinetuneOptions *opt;
  const RlFinetuneCallbacks *cb;
  RlProject *project;
  char *tmpdir;                 /* removed with its contents at the end */
  RlDataset *ds;                /* hand-built: samples point at the images and tmpdir labels */
  GPtrArray *val_images;        /* RlImageInfo* of opt->val_split, scored at the end */
  GPtrArray *heldout;           /* RlImageInfo* held out (never trained on) */
  GPtrArray *corrected;         /* RlImageInfo* corrected or reviewed, trained on */
  GArray *trained;              /* RlTrainedImage: each distinct training image */
  GHashTable *lineage_trained;  /* image ids the parent or its ancestors trained on */
  RlModel *base, *model;
  char *base_path;
  gint64 parent_id;
  guint n_train, n_train_fallback;
  int repeat;                   /* copies of each corrected image among the samples */
  gboolean val_overlaps_train;
  float *class_weights;         /* from the base's metadata, or NULL */
  double class_weight_power;    /* from the base's metadata, or the fallback 0.5 */
  const char *weights_source;   /* "model" or "training set" */
  int eval_done, eval_total;
  RlFinetuneResult res;
  char *heldout_json;           /* the new version's held-out metrics run */
} Job;

static void
job_clear (Job *job)
{
  rl_model_free (job->base);
  rl_model_free (job->model);
  rl_dataset_free (job->ds);
  g_clear_pointer (&job->val_images, g_ptr_array_unref);
  g_clear_pointer (&job->heldout, g_ptr_array_unref);
  g_clear_pointer (&job->corrected, g_ptr_array_unref);
  g_clear_pointer (&job->trained, g_array_unref);
  g_clear_pointer (&job->lineage_trained, g_hash_table_unref);
  if (job->tmpdir != NULL)
    rl_dataset_remove_tree (job->tmpdir);
  g_free (job->tmpdir);
  g_free (job->base_path);
  g_free (job->class_weights);
  g_free (job->heldout_json);
  rl_finetune_result_clear (&job->res);
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


/* The base model file's loss keys (written by `relabel train`): the fine-tune must train the loss
 * the model was trained with. Absent keys fall back to median-frequency weights raised to 0.5 on
 * the training images (the recipe of the shipped model); a key that is present but unusable is an
 * error rather than a silent change of loss. */
static gboolean
read_base_loss (Job *job, int k, GError **error)
{
  RlSafetensors *st = NULL;
  RlError err = { { 0 } };
  RlStatus s = rl_safetensors_read (job->base_path, &st, &err);
  if (s != RL_OK)
    {
      set_engine_error (error, job->base_path, s, &err);
      return FALSE;
    }
  const char *loss = rl_safetensors_meta (st, "loss");
  const char *weights = rl_safetensors_meta (st, "class_weights");
  const char *power = rl_safetensors_meta (st, "class_weight_power");
  gboolean ok = TRUE;
  job->class_weight_power = 0.5;
  job->weights_source = "training set";
  if (loss != NULL && strcmp (loss, "cross_entropy") != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s: the model was trained with loss '%s'; fine-tuning supports "
                   "cross_entropy only", job->base_path, loss);
      ok = FALSE;
    }
  if (ok && power != NULL)
    {
      char *end = NULL;
      double v = g_ascii_strtod (power, &end);
      if (end == power || *end != '\0' || !isfinite (v))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: class_weight_power '%s' is not a number", job->base_path, power);
          ok = FALSE;
        }
      else
        job->class_weight_power = v;
    }
  if (ok && weights != NULL)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonNode *root = NULL;
      if (json_parser_load_from_data (parser, weights, -1, NULL))
        root = json_parser_get_root (parser);
      JsonArray *a = root != NULL && JSON_NODE_HOLDS_ARRAY (root) ? json_node_get_array (root)
                                                                 : NULL;
      ok = a != NULL && json_array_get_length (a) == (guint) k;
      job->class_weights = g_new0 (float, k);
      for (int c = 0; ok && c < k; c++)
        {
          JsonNode *n = json_array_get_element (a, c);
          double v = JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
          ok = isfinite (v) && v >= 0;
          job->class_weights[c] = (float) v;
        }
      if (!ok)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "%s: class_weights is not a list of %d numbers >= 0", job->base_path, k);
      else
        job->weights_source = "model";
    }
  rl_safetensors_free (st);
  return ok;
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
  rl_model_set_engine_path (job->base, rl_app_engine_path ());
  if (rl_model_num_classes (job->base) != spec->n_classes)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the model has %d classes but the project's dataset (%s) has %d",
                   job->opt->model ? job->opt->model : rl_project_get_path (job->project),
                   rl_model_num_classes (job->base), spec->id, spec->n_classes);
      return FALSE;
    }
  return read_base_loss (job, spec->n_classes, error);
}

/* The image ids that the base learnt from: those the parent and every version it descends
 * from were trained on, and those its file's trained_on lists (a base given as a file). */
static gboolean
load_lineage (Job *job, GError **error)
{
  job->lineage_trained = rl_project_lineage_trained_images (job->project, job->parent_id, error);
  g_autoptr (GHashTable) listed =
    job->lineage_trained == NULL
      ? NULL
      : rl_project_images_in_trained_on (job->project, rl_model_trained_on (job->base), error);
  if (listed == NULL)
    return FALSE;
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init (&it, listed);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_hash_table_add (job->lineage_trained, g_memdup2 (key, sizeof (gint64)));
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

static gboolean
is_corrected (const RlImageInfo *info)
{
  return info->status == RL_IMAGE_CORRECTED || info->status == RL_IMAGE_REVIEWED;
}

gboolean
rl_finetune_add_training_image (RlProject *project, const RlImageInfo *info, const char *tmpdir,
                                int copies, GArray *trained, GPtrArray *samples, GError **error)
{
  g_autofree char *label = g_strdup_printf ("%s/labels/%" G_GINT64_FORMAT ".png", tmpdir,
                                            info->id);
  g_autofree guint8 *mask = NULL;
  int w, h;
  RlTrainedImage rec = { info->id, 0, "" };
  gint64 rev_after = -1;
  /* The revision before and after reading the mask: an edit landing in between (the GUI writes
   * on its own connection) would leave the recorded version ambiguous, so read it again. */
  for (int tries = 0; tries < 3 && rev_after != rec.rev; tries++)
    {
      g_clear_pointer (&mask, g_free);
      if (!rl_project_get_label_version (project, info->id, &rec.rev, error)
          || !rl_project_get_mask (project, info->id, RL_MASK_CURRENT, &w, &h, &mask, error)
          || !rl_project_get_label_version (project, info->id, &rev_after, error))
        return FALSE;
    }
  g_autofree char *sha1 = g_compute_checksum_for_data (G_CHECKSUM_SHA1, mask, (gsize) w * h);
  g_strlcpy (rec.label_sha1, sha1, sizeof rec.label_sha1);
  g_autoptr (GBytes) png = rl_mask_png_encode (w, h, mask, error);
  if (png == NULL)
    return FALSE;
  gsize len;
  const char *data = g_bytes_get_data (png, &len);
  if (!g_file_set_contents_full (label, data, (gssize) len, G_FILE_SET_CONTENTS_NONE, 0644,
                                 error))
    return FALSE;
  g_array_append_val (trained, rec);
  for (int c = 0; c < copies; c++)
    {
      RlSample *smp = g_new0 (RlSample, 1);
      smp->name = g_strdup (info->name);
      smp->image_path = rl_project_image_path (project, info->id);
      smp->label_path = g_strdup (label);
      smp->split = g_strdup ("train");
      g_ptr_array_add (samples, smp);
    }
  return TRUE;
}

static gboolean
add_training_image (Job *job, const RlImageInfo *info, int copies, GError **error)
{
  return rl_finetune_add_training_image (job->project, info, job->tmpdir, copies, job->trained,
                                         job->ds->samples, error);
}

static GPtrArray *
copy_infos (RlProject *project, GPtrArray *from, GError **error)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_image_info_free);
  for (guint i = 0; i < from->len; i++)
    {
      RlImageInfo *copy = rl_project_get_image (project, ((RlImageInfo *) from->pdata[i])->id,
                                                error);
      if (copy == NULL)
        {
          g_ptr_array_unref (out);
          return NULL;
        }
      g_ptr_array_add (out, copy);
    }
  return out;
}

typedef struct
{
  RlImageInfo *info;
  char *sha1;
} Ranked;

static int
ranked_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Ranked *) a)->sha1, ((const Ranked *) b)->sha1);
}

/* The held-out rule of rl-finetune.h: from candidates, the quarter (at least 1, at most max)
 * whose names have the smallest SHA-1. */
static GPtrArray *
pick_heldout (GPtrArray *candidates, int max)
{
  GPtrArray *out = g_ptr_array_new ();
  guint n = candidates->len;
  if (n == 0 || max <= 0)
    return out;
  g_autoptr (GArray) ranked = g_array_sized_new (FALSE, FALSE, sizeof (Ranked), n);
  for (guint i = 0; i < n; i++)
    {
      RlImageInfo *info = candidates->pdata[i];
      Ranked r = { info, g_compute_checksum_for_string (G_CHECKSUM_SHA1, info->name, -1) };
      g_array_append_val (ranked, r);
    }
  g_array_sort (ranked, ranked_cmp);
  guint m = MIN ((guint) max, MAX (1u, (n + 3) / 4));
  for (guint i = 0; i < n; i++)
    {
      Ranked *r = &g_array_index (ranked, Ranked, i);
      if (i < m)
        g_ptr_array_add (out, r->info);
      g_free (r->sha1);
    }
  return out;
}

/* Chooses the held-out, training and validation images and writes the training labels. */
static gboolean
prepare_data (Job *job, const RlClassSpec *spec, GError **error)
{
  const RlFinetuneOptions *opt = job->opt;
  g_autoptr (GPtrArray) images = rl_project_list_images (job->project, error);
  if (images == NULL)
    return FALSE;
  const char *train_split = opt->train_split ? opt->train_split : "train";
  gboolean all_splits = g_strcmp0 (train_split, "*") == 0;

  /* Held out: labelled, uncorrected, never trained on by this lineage; "val" first. Where the
   * lineage trained on every such image (a shipped model on a project of its own training
   * images), those it trained on: still never trained on by this fine-tune, so they show what it
   * forgets, but their scores are in-sample for both versions and say so. */
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
  for (int pass = 0; pass < 3 && candidates->len == 0; pass++)
    for (guint i = 0; i < images->len; i++)
      {
        RlImageInfo *info = images->pdata[i];
        if (is_labelled (info, FALSE) && !is_corrected (info)
            && (pass == 2 || !g_hash_table_contains (job->lineage_trained, &info->id))
            && (pass >= 1 || g_strcmp0 (info->split, "val") == 0))
          g_ptr_array_add (candidates, info);
      }
  g_autoptr (GPtrArray) heldout = pick_heldout (candidates, opt->heldout_max);
  g_autoptr (GHashTable) is_heldout = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < heldout->len; i++)
    g_hash_table_add (is_heldout, heldout->pdata[i]);

  g_autoptr (GPtrArray) train = g_ptr_array_new ();
  for (int pass = 0; pass < 2 && train->len == 0; pass++)
    {
      /* pass 1, the documented fallback: no labelled "train" image, so every labelled one */
      if (pass == 1 && (opt->train_split != NULL || job->n_train_fallback > 0))
        break;
      for (guint i = 0; i < images->len; i++)
        {
          RlImageInfo *info = images->pdata[i];
          if (is_labelled (info, opt->corrected_only) && !g_hash_table_contains (is_heldout, info)
              && (pass == 1 || all_splits || g_strcmp0 (info->split, train_split) == 0))
            g_ptr_array_add (train, info);
        }
      if (pass == 1)
        {
          job->n_train_fallback = train->len;
          if (!opt->quiet && train->len > 0)
            g_printerr ("note: no labelled '%s' images: training on the %u labelled images of "
                        "every split that are not held out\n", train_split, train->len);
        }
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

  /* Oversampling: corrected images repeated to make about corrected_share of the samples. */
  g_autoptr (GPtrArray) corrected = g_ptr_array_new ();
  for (guint i = 0; i < train->len; i++)
    if (is_corrected (train->pdata[i]))
      g_ptr_array_add (corrected, train->pdata[i]);
  guint n_other = train->len - corrected->len;
  job->repeat = 1;
  if (corrected->len > 0 && n_other > 0 && opt->corrected_share > 0 && opt->corrected_share < 1)
    job->repeat = MAX (1, (int) lround (opt->corrected_share * n_other
                                        / ((1 - opt->corrected_share) * corrected->len)));

  const char *val_split = opt->val_split;
  job->val_images = g_ptr_array_new_with_free_func ((GDestroyNotify) rl_image_info_free);
  for (guint i = 0; val_split != NULL && val_split[0] != '\0' && i < images->len; i++)
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
  job->heldout = copy_infos (job->project, heldout, error);
  job->corrected = job->heldout ? copy_infos (job->project, corrected, error) : NULL;
  if (job->corrected == NULL)
    return FALSE;

  job->ds = g_new0 (RlDataset, 1);
  job->ds->kind = g_strdup (rl_project_get_dataset_kind (job->project));
  job->ds->root = g_strdup (rl_project_get_path (job->project));
  job->ds->spec = rl_class_spec_copy (spec);
  job->ds->samples = g_ptr_array_new_with_free_func (rl_sample_free);
  job->ds->problems = g_ptr_array_new_with_free_func (g_free);
  job->trained = g_array_new (FALSE, FALSE, sizeof (RlTrainedImage));
  g_autofree char *labels = g_build_filename (job->tmpdir, "labels", NULL);
  if (g_mkdir (labels, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", labels,
                   g_strerror (errno));
      return FALSE;
    }
  for (guint i = 0; i < train->len; i++)
    {
      RlImageInfo *info = train->pdata[i];
      if (job_should_stop (job))
        return set_cancelled (error);
      if (!add_training_image (job, info, is_corrected (info) ? job->repeat : 1, error))
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

/* Scores model on images at full resolution against their current masks: the pooled metrics in
 * out[4] (G, C, mIoU, BF) and, when json is not NULL, `relabel eval --json`'s object. */
static gboolean
evaluate (Job *job, const RlModel *model, GPtrArray *images, const RlClassSpec *spec,
          double out[4], char **json, GError **error)
{
  g_autoptr (GPtrArray) scored = g_ptr_array_new ();
  RlMetrics *m = rl_metrics_new (spec->n_classes, spec->ignore_index);
  g_return_val_if_fail (m != NULL, FALSE);
  guint n = images->len;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < n; i++)
    {
      RlImageInfo *info = images->pdata[i];
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
      RlStatus st = rl_model_predict_rgb8 (model, rgb, h, w, pred, job->opt->threads,
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
      job_progress (job, RL_FINETUNE_EVAL, ++job->eval_done, job->eval_total);
    }
  if (ok)
    {
      out[0] = rl_metrics_global_accuracy (m);
      out[1] = rl_metrics_class_accuracy (m);
      out[2] = rl_metrics_miou (m);
      out[3] = rl_metrics_bf (m);
    }
  if (ok && json != NULL)
    {
      g_autofree const char **names = g_new0 (const char *, scored->len + 1);
      for (guint i = 0; i < scored->len; i++)
        names[i] = ((RlImageInfo *) scored->pdata[i])->name;
      *json = rl_metrics_to_json (m, spec, names, FALSE);
    }
  rl_metrics_free (m);
  return ok;
}

/* Any of images in the set of image ids? */
static gboolean
any_in (GPtrArray *images, GHashTable *ids)
{
  for (guint i = 0; i < images->len; i++)
    if (g_hash_table_contains (ids, &((RlImageInfo *) images->pdata[i])->id))
      return TRUE;
  return FALSE;
}

static void
add_scores (JsonBuilder *b, const char *key, const RlFinetuneScores *s)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, s->images);
  json_builder_set_member_name (b, "before_in_sample");
  json_builder_add_boolean_value (b, s->before_in_sample);
  json_builder_set_member_name (b, "after_in_sample");
  json_builder_add_boolean_value (b, s->after_in_sample);
  const char *names[] = { "global_accuracy", "class_accuracy", "miou", "bf" };
  const double before[] = { s->before_g, s->before_c, s->before_miou, s->before_bf };
  const double after[] = { s->after_g, s->after_c, s->after_miou, s->after_bf };
  for (int w = 0; w < 2; w++)
    {
      json_builder_set_member_name (b, w == 0 ? "before" : "after");
      json_builder_begin_object (b);
      for (int i = 0; i < 4; i++)
        rl_json_add_number (b, names[i], w == 0 ? before[i] : after[i]);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

static char *
config_json (Job *job, const RlTrainOptions *t, int k, double train_s)
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
  json_builder_set_member_name (b, "corrected_images");
  json_builder_add_int_value (b, job->corrected->len);
  json_builder_set_member_name (b, "corrected_repeat");
  json_builder_add_int_value (b, job->repeat);
  json_builder_set_member_name (b, "heldout_images");
  json_builder_add_int_value (b, job->heldout->len);
  json_builder_set_member_name (b, "heldout_names");
  json_builder_begin_array (b);
  for (guint i = 0; i < job->heldout->len; i++)
    json_builder_add_string_value (b, ((RlImageInfo *) job->heldout->pdata[i])->name);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "val_split");
  if (opt->val_split != NULL && opt->val_split[0] != '\0')
    json_builder_add_string_value (b, opt->val_split);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "val_images");
  json_builder_add_int_value (b, job->val_images->len);
  json_builder_set_member_name (b, "val_overlaps_train");
  json_builder_add_boolean_value (b, job->val_overlaps_train);
  json_builder_set_member_name (b, "loss");
  json_builder_add_string_value (b, "cross_entropy");
  json_builder_set_member_name (b, "class_weights_from");
  json_builder_add_string_value (b, job->weights_source);
  rl_json_add_number (b, "class_weight_power", job->class_weight_power);
  json_builder_set_member_name (b, "freeze_bn");
  json_builder_add_boolean_value (b, t->freeze_bn);
  json_builder_set_member_name (b, "train_last");
  json_builder_add_int_value (b, t->train_last);
  rl_json_add_number (b, "corrected_share", opt->corrected_share);
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
  json_builder_add_string_value (b, rl_engine_path_name (t->path));
  rl_json_add_number (b, "train_seconds", train_s);
  add_scores (b, "heldout", &job->res.heldout);
  add_scores (b, "corrected", &job->res.corrected);
  rl_json_add_number (b, "tolerance", opt->tolerance);
  json_builder_set_member_name (b, "made_current");
  json_builder_add_boolean_value (b, job->res.made_current);
  json_builder_set_member_name (b, "reason");
  if (job->res.reason != NULL)
    json_builder_add_string_value (b, job->res.reason);
  else
    json_builder_add_null_value (b);
  (void) k;
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

/* The acceptance rule: not worse on the held-out images than the base by more than the
 * tolerance, in G and in mIoU. Sets res.made_current and, when refused, res.reason (without the
 * version numbers, added once the version is stored). */
static char *
decide (Job *job)
{
  const RlFinetuneScores *h = &job->res.heldout;
  double tol = job->opt->tolerance;
  if (h->images == 0)
    return g_strdup ("there were no held-out images to check it on (every labelled image is "
                     "corrected or trained on)");
  gboolean g_worse = !(h->after_g >= h->before_g - tol);
  gboolean m_worse = !(h->after_miou >= h->before_miou - tol);
  if (!g_worse && !m_worse)
    return NULL;
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "on %d held-out images it scored worse: ", h->images);
  if (g_worse)
    g_string_append_printf (s, "G %.1f -> %.1f %%", 100 * h->before_g, 100 * h->after_g);
  if (g_worse && m_worse)
    g_string_append (s, ", ");
  if (m_worse)
    g_string_append_printf (s, "mIoU %.1f -> %.1f %%", 100 * h->before_miou,
                            100 * h->after_miou);
  g_string_append_printf (s, " (more than %.1f point lower)", 100 * tol);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
version_name (Job *job)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M");
  if (job->parent_id > 0)
    return g_strdup_printf ("retrained from version %" G_GINT64_FORMAT ", %s", job->parent_id,
                            date);
  g_autofree char *base = g_path_get_basename (job->opt->model);
  return g_strdup_printf ("retrained from %s, %s", base, date);
}

static gboolean
run (Job *job, GError **error)
{
  const RlFinetuneOptions *opt = job->opt;
  gint64 job_start = g_get_monotonic_time ();
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
  if (!load_base (job, spec, error) || !load_lineage (job, error)
      || !prepare_data (job, spec, error))
    return FALSE;

  /* Before: the base on the held-out and corrected images. */
  RlFinetuneScores *ho = &job->res.heldout, *co = &job->res.corrected;
  ho->images = (int) job->heldout->len;
  co->images = (int) job->corrected->len;
  job->eval_total = 2 * (ho->images + co->images) + (int) job->val_images->len;
  double sc[4] = { NAN, NAN, NAN, NAN };
  if (ho->images > 0 && !evaluate (job, job->base, job->heldout, spec, sc, NULL, error))
    return FALSE;
  ho->before_g = sc[0], ho->before_c = sc[1], ho->before_miou = sc[2], ho->before_bf = sc[3];
  sc[0] = sc[1] = sc[2] = sc[3] = NAN;
  if (co->images > 0 && !evaluate (job, job->base, job->corrected, spec, sc, NULL, error))
    return FALSE;
  co->before_g = sc[0], co->before_c = sc[1], co->before_miou = sc[2], co->before_bf = sc[3];
  ho->before_in_sample = any_in (job->heldout, job->lineage_trained);
  co->before_in_sample = any_in (job->corrected, job->lineage_trained);

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
  /* No validation inside the loop: the last weights are the new version, scored once below at
   * full resolution, so its scores are not biased by choosing among steps on them. */
  t.val_split = NULL;
  t.iters = opt->iters;
  t.batch = MIN (opt->batch, (int) job->ds->samples->len);
  t.lr = opt->lr;
  t.momentum = opt->momentum;
  t.weight_decay = opt->weight_decay;
  t.class_weights = job->class_weights;
  t.class_weight_power = job->class_weight_power;
  t.freeze_bn = opt->freeze_bn;
  t.train_last = opt->train_last;
  t.crop_h = opt->crop_h;
  t.crop_w = opt->crop_w;
  t.scale = opt->scale;
  t.flip = TRUE;
  t.seed = opt->seed;
  t.threads = opt->threads;
  t.path = opt->path == RL_ENGINE_PATH_DEFAULT ? rl_engine_path_training (TRUE) : opt->path;
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
  if (st == RL_OK)
    rl_model_set_engine_path (job->model, rl_app_engine_path ());
  if (st != RL_OK)
    {
      set_engine_error (error, out, st, &err);
      return FALSE;
    }
  /* After: the new version on the same images. */
  sc[0] = sc[1] = sc[2] = sc[3] = NAN;
  if (ho->images > 0
      && !evaluate (job, job->model, job->heldout, spec, sc, &job->heldout_json, error))
    return FALSE;
  ho->after_g = sc[0], ho->after_c = sc[1], ho->after_miou = sc[2], ho->after_bf = sc[3];
  sc[0] = sc[1] = sc[2] = sc[3] = NAN;
  if (co->images > 0 && !evaluate (job, job->model, job->corrected, spec, sc, NULL, error))
    return FALSE;
  co->after_g = sc[0], co->after_c = sc[1], co->after_miou = sc[2], co->after_bf = sc[3];
  /* held-out images are never trained on by this fine-tune; in-sample only where the lineage
   * trained on them (then for both versions) */
  ho->after_in_sample = ho->before_in_sample;
  co->after_in_sample = co->images > 0;
  g_autofree char *val_metrics = NULL;
  if (job->val_images->len > 0
      && !evaluate (job, job->model, job->val_images, spec, sc, &val_metrics, error))
    return FALSE;
  if (job_should_stop (job))
    return set_cancelled (error);
  if (opt->out != NULL && !copy_atomic (out, opt->out, error))
    return FALSE;

  g_autofree char *why = decide (job);
  job->res.made_current = why == NULL;
  job->res.parent_id = job->parent_id;
  job->res.train_images = (int) job->n_train;
  job->res.corrected_repeat = job->repeat;
  gint64 current = rl_project_current_model (job->project);
  if (why != NULL)
    {
      /* The stored config says why too; the version numbers are added once it has one. */
      job->res.reason = g_strdup_printf ("not made current: %s", why);
    }
  g_autofree char *config = config_json (job, &t, spec->n_classes, train_s);
  g_autofree char *name = opt->name ? g_strdup (opt->name) : version_name (job);
  gint64 id = rl_project_add_model_version (job->project, name, out, job->parent_id, config,
                                            (const RlTrainedImage *) job->trained->data,
                                            job->trained->len, job->res.made_current, error);
  if (id <= 0)
    return FALSE;
  job->res.model_id = id;
  job->res.current_id = job->res.made_current ? id : current;
  if (why != NULL)
    {
      g_free (job->res.reason);
      if (current > 0)
        job->res.reason = g_strdup_printf ("version %" G_GINT64_FORMAT " was not made current: "
                                           "%s; version %" G_GINT64_FORMAT " stays current",
                                           id, why, current);
      else
        job->res.reason = g_strdup_printf ("version %" G_GINT64_FORMAT " was not made current: "
                                           "%s", id, why);
    }
  if (job->heldout_json != NULL
      && !rl_project_add_metrics (job->project, id, "heldout", job->heldout_json, error))
    {
      g_prefix_error (error, "version %" G_GINT64_FORMAT " was stored without its metrics: ", id);
      return FALSE;
    }
  if (val_metrics != NULL
      && !rl_project_add_metrics (job->project, id, opt->val_split, val_metrics, error))
    {
      g_prefix_error (error, "version %" G_GINT64_FORMAT " was stored without its metrics: ", id);
      return FALSE;
    }
  job->res.seconds = (g_get_monotonic_time () - job_start) / 1e6;
  return TRUE;
}

gboolean
rl_finetune_run (const char *project_path, const RlFinetuneOptions *opt,
                 const RlFinetuneCallbacks *cb, RlFinetuneResult *result, GError **error)
{
  g_return_val_if_fail (project_path != NULL && opt != NULL, FALSE);
  if (result != NULL)
    memset (result, 0, sizeof *result);
  if (opt->iters < 1 || opt->batch < 1 || opt->batch > 256 || !(opt->lr > 0)
      || !(opt->scale > 0) || opt->scale > 1 || opt->threads < 0 || opt->crop_h < 0
      || opt->crop_w < 0 || !(opt->corrected_share >= 0) || !(opt->corrected_share < 1)
      || opt->heldout_max < 0 || !(opt->tolerance >= 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "fine-tune options out of range (iterations, batch, lr, scale, threads, crop, "
                   "corrected share, held-out count, tolerance)");
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
  gboolean ok = job.project != NULL && run (&job, error);
  if (ok && result != NULL)
    {
      *result = job.res;
      memset (&job.res, 0, sizeof job.res);
    }
  job_clear (&job);
  return ok;
}
