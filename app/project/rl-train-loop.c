/* The training loop: augmented SGD steps, per-epoch validation with G/C/mIoU/BF, best epochs,
 * checkpoints (weights + momentum + BN statistics + RNG + position) and exact resume. */
#include "rl-train-loop.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "rl-app-engine.h"
#include "rl-metrics.h"
#include "rl-net.h"
#include "rl-train.h"
#include "rl-train-data.h"

#define CKPT_MAGIC "RLMOM001"

void
rl_train_options_init (RlTrainOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->arch = "segnet-basic";
  opt->train_split = "train";
  opt->val_split = "val";
  opt->epochs = 100;
  opt->batch = 4;
  opt->lr = 0.1;
  opt->momentum = 0.9;
  opt->weight_decay = 5e-4;
  opt->class_weight_power = 1.0;
  opt->scale = 1.0;
  opt->input_norm = -1;
  opt->flip = TRUE;
  opt->scale_min = opt->scale_max = 1.0;
  opt->seed = 1;
  opt->checkpoint_minutes = 5.0;
  opt->val_every = 1;
  opt->path = rl_app_engine_path ();
}

typedef struct
{
  int iter;            /* SGD steps done */
  int epoch;           /* current epoch (0-based) */
  int pos;             /* images of this epoch's permutation consumed */
  guint64 rng;         /* augmentation RNG state */
  double best_g, best_miou;
  int best_g_epoch, best_miou_epoch;
  /* The criterion that picks --out: val G, or held-out (G + mIoU) / 2. select names the split
   * it was measured on; a resume that scores another split starts the bests afresh. */
  double best_score;
  int best_score_epoch;
  char select[256];
} TrainState;

static gboolean
engine_error (GError **error, const char *what, RlStatus st, const RlError *err)
{
  g_set_error (error, G_IO_ERROR, st == RL_ERR_CANCELLED ? G_IO_ERROR_CANCELLED : G_IO_ERROR_FAILED,
               "%s: %s", what, err->text[0] ? err->text : rl_status_name (st));
  return FALSE;
}

/* Epoch e's order of the n training images: a Fisher-Yates shuffle seeded by (seed, e), so a
 * resumed run recomputes it instead of storing it. */
static void
epoch_permutation (guint64 seed, int epoch, int n, int *perm)
{
  RlRand r;
  rl_rand_seed (&r, seed * G_GUINT64_CONSTANT (0x100000001B3) + (guint64) epoch + 1);
  for (int i = 0; i < n; i++)
    perm[i] = i;
  for (int i = n - 1; i > 0; i--)
    {
      int j = (int) rl_rand_below (&r, (guint32) i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
}

/* --- checkpoints: a folder with model.safetensors, momentum.bin and state.json, written as
 * FOLDER.tmp and swapped into place so a crash leaves the previous one intact. */

static gboolean
write_momentum (const char *path, const float *m, size_t count, GError **error)
{
  gsize len = 8 + 8 + count * sizeof (float);
  g_autofree guint8 *buf = g_malloc (len);
  memcpy (buf, CKPT_MAGIC, 8);
  guint64 c = GUINT64_TO_LE ((guint64) count);
  memcpy (buf + 8, &c, 8);
  memcpy (buf + 16, m, count * sizeof (float));
  return g_file_set_contents (path, (const char *) buf, (gssize) len, error);
}

static gboolean
read_momentum (const char *path, float *m, size_t count, GError **error)
{
  g_autofree char *buf = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &buf, &len, error))
    return FALSE;
  guint64 c = 0;
  if (len >= 16)
    memcpy (&c, buf + 8, 8);
  if (len < 16 || memcmp (buf, CKPT_MAGIC, 8) != 0 || GUINT64_FROM_LE (c) != count
      || len != 16 + count * sizeof (float))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: not a momentum file for this model", path);
      return FALSE;
    }
  memcpy (m, buf + 16, count * sizeof (float));
  return TRUE;
}

static gboolean
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  if (d == NULL)
    return TRUE;
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  return g_rmdir (dir) == 0;
}

static gboolean
save_checkpoint (const char *dir, RlTrainer *t, const TrainState *st, const RlTrainOptions *opt,
                 GError **error)
{
  g_autofree char *tmp = g_strconcat (dir, ".tmp", NULL);
  g_autofree char *old = g_strconcat (dir, ".old", NULL);
  remove_tree (tmp);
  if (g_mkdir_with_parents (tmp, 0755) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", tmp,
                   g_strerror (errno));
      return FALSE;
    }
  g_autofree char *model = g_build_filename (tmp, "model.safetensors", NULL);
  g_autofree char *mom = g_build_filename (tmp, "momentum.bin", NULL);
  g_autofree char *state = g_build_filename (tmp, "state.json", NULL);
  RlError err = { { 0 } };
  RlStatus s = rl_trainer_save (t, model, &err);
  if (s != RL_OK)
    return engine_error (error, model, s, &err);
  size_t count;
  float *m = rl_trainer_momentum (t, &count);
  if (!write_momentum (mom, m, count, error))
    return FALSE;
  /* JSON has no NaN: a metric not measured yet is null. */
  char best_g[32] = "null", best_miou[32] = "null", best_score[32] = "null";
  if (!isnan (st->best_g))
    g_ascii_formatd (best_g, sizeof best_g, "%.17g", st->best_g);
  if (!isnan (st->best_miou))
    g_ascii_formatd (best_miou, sizeof best_miou, "%.17g", st->best_miou);
  if (!isnan (st->best_score))
    g_ascii_formatd (best_score, sizeof best_score, "%.17g", st->best_score);
  g_autofree char *json = g_strdup_printf (
    "{\"iter\": %d, \"epoch\": %d, \"pos\": %d, \"rng\": \"%" G_GUINT64_FORMAT "\", "
    "\"seed\": \"%" G_GUINT64_FORMAT "\", \"arch\": \"%s\", \"batch\": %d, "
    "\"best_g\": %s, \"best_g_epoch\": %d, \"best_miou\": %s, \"best_miou_epoch\": %d, "
    "\"best_score\": %s, \"best_score_epoch\": %d, \"select\": \"%s\"}\n",
    st->iter, st->epoch, st->pos, st->rng, opt->seed, opt->arch, opt->batch,
    best_g, st->best_g_epoch, best_miou, st->best_miou_epoch, best_score, st->best_score_epoch,
    st->select);
  if (!g_file_set_contents (state, json, -1, error))
    return FALSE;
  /* Swap: dir -> dir.old, tmp -> dir, drop old. A crash in between leaves dir.old or dir.tmp,
   * both complete; resume_paths() finds whichever is there. */
  remove_tree (old);
  if (g_file_test (dir, G_FILE_TEST_IS_DIR) && g_rename (dir, old) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  if (g_rename (tmp, dir) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  remove_tree (old);
  return TRUE;
}

static gboolean
load_state (const char *dir, TrainState *st, guint64 *seed, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "state.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a checkpoint state",
                   path);
      return FALSE;
    }
  JsonObject *o = json_node_get_object (root);
  const char *keys[] = { "iter", "epoch", "pos", "rng", "seed", "best_g", "best_miou" };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (!json_object_has_member (o, keys[i]))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: missing \"%s\"", path,
                     keys[i]);
        return FALSE;
      }
  st->iter = (int) json_object_get_int_member (o, "iter");
  st->epoch = (int) json_object_get_int_member (o, "epoch");
  st->pos = (int) json_object_get_int_member (o, "pos");
  st->rng = g_ascii_strtoull (json_object_get_string_member (o, "rng"), NULL, 10);
  *seed = g_ascii_strtoull (json_object_get_string_member (o, "seed"), NULL, 10);
  st->best_g = json_object_get_null_member (o, "best_g")
                 ? NAN : json_object_get_double_member (o, "best_g");
  st->best_miou = json_object_get_null_member (o, "best_miou")
                    ? NAN : json_object_get_double_member (o, "best_miou");
  st->best_g_epoch = (int) json_object_get_int_member_with_default (o, "best_g_epoch", -1);
  st->best_miou_epoch = (int) json_object_get_int_member_with_default (o, "best_miou_epoch", -1);
  /* Checkpoints from before the held-out selection chose --out by val G. */
  if (json_object_has_member (o, "best_score"))
    {
      st->best_score = json_object_get_null_member (o, "best_score")
                         ? NAN : json_object_get_double_member (o, "best_score");
      st->best_score_epoch = (int) json_object_get_int_member_with_default (o, "best_score_epoch",
                                                                            -1);
    }
  else
    {
      st->best_score = st->best_g;
      st->best_score_epoch = st->best_g_epoch;
    }
  g_strlcpy (st->select, json_object_get_string_member_with_default (o, "select", "val"),
             sizeof st->select);
  return TRUE;
}

/* --- validation */

typedef struct
{
  double g, c, miou, bf;
} ValScores;

static gboolean
validate (RlTrainer *t, const RlTrainSet *val, int max_images, ValScores *out, GError **error)
{
  int n = val->n;
  if (max_images > 0 && max_images < n)
    n = max_images;
  int h = val->height, w = val->width, k = rl_trainer_num_classes (t);
  gsize plane = (gsize) h * w;
  RlMetrics *m = rl_metrics_new (k, val->ignore_index);
  g_autofree float *x = g_malloc (plane * 3 * sizeof (float));
  g_autofree guint8 *pred = g_malloc (plane);
  RlError err = { { 0 } };
  const float *mean = rl_trainer_input_mean (t), *std = rl_trainer_input_std (t);
  for (int i = 0; i < n; i++)
    {
      int idx = i;
      RlRand unused;
      rl_rand_seed (&unused, 0);
      guint8 *labels = g_malloc (plane);
      rl_train_set_make_batch (val, &idx, 1, h, w, FALSE, &unused, mean, std,
                               rl_trainer_input_norm (t), x, labels);
      RlStatus s = rl_trainer_forward (t, x, 1, h, w, 0, &err);
      if (s != RL_OK)
        {
          g_free (labels);
          rl_metrics_free (m);
          return engine_error (error, "validation", s, &err);
        }
      const float *logits = rl_trainer_logits (t);
      for (gsize p = 0; p < plane; p++)
        {
          int best = 0;
          float bv = logits[p];
          for (int c = 1; c < k; c++)
            if (logits[plane * c + p] > bv)
              {
                bv = logits[plane * c + p];
                best = c;
              }
          pred[p] = (guint8) best;
        }
      s = rl_metrics_add_image (m, labels, pred, h, w, &err);
      g_free (labels);
      if (s != RL_OK)
        {
          rl_metrics_free (m);
          return engine_error (error, "validation", s, &err);
        }
    }
  out->g = rl_metrics_global_accuracy (m);
  out->c = rl_metrics_class_accuracy (m);
  out->miou = rl_metrics_miou (m);
  out->bf = rl_metrics_bf (m);
  rl_metrics_free (m);
  return TRUE;
}

/* Moves the samples of the held-out sequences (CamVid names SEQUENCE_FRAME: the part before the
 * first '_') from *train to a new array, keeping max_images of them evenly spaced when
 * max_images > 0. A listed sequence with no training image is an error: a typo would otherwise
 * train on everything and score nothing. */
static GPtrArray *
split_holdout (GPtrArray **train, const char *sequences, int max_images, GError **error)
{
  g_auto (GStrv) seqs = g_strsplit (sequences, ",", -1);
  g_autofree int *found = g_new0 (int, g_strv_length (seqs) + 1);
  GPtrArray *kept = g_ptr_array_new ();
  g_autoptr (GPtrArray) held = g_ptr_array_new ();
  for (guint i = 0; i < (*train)->len; i++)
    {
      RlSample *smp = g_ptr_array_index (*train, i);
      gboolean hold = FALSE;
      for (int k = 0; !hold && seqs[k] != NULL; k++)
        if (rl_sample_in_sequence (smp->name, seqs[k]))
          {
            hold = TRUE;
            found[k]++;
          }
      g_ptr_array_add (hold ? held : kept, smp);
    }
  for (int k = 0; seqs[k] != NULL; k++)
    if (found[k] == 0)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     "held-out sequence '%s' has no training image (names are SEQUENCE_FRAME)",
                     seqs[k]);
        g_ptr_array_unref (kept);
        return NULL;
      }
  g_ptr_array_unref (*train);
  *train = kept;
  GPtrArray *out = g_ptr_array_new ();
  guint n = held->len, m = max_images > 0 ? MIN ((guint) max_images, n) : n;
  for (guint i = 0; i < m; i++)
    g_ptr_array_add (out, held->pdata[(gsize) i * n / m]);
  return out;
}

static char *
path_with_suffix (const char *out, const char *suffix)
{
  const char *dot = g_str_has_suffix (out, ".safetensors") ? out + strlen (out) - 12 : NULL;
  if (dot == NULL)
    return g_strconcat (out, suffix, NULL);
  g_autofree char *stem = g_strndup (out, dot - out);
  return g_strconcat (stem, suffix, ".safetensors", NULL);
}

static void
log_line (FILE *log, const char *json)
{
  if (log == NULL)
    return;
  fputs (json, log);
  fputc ('\n', log);
  fflush (log);
}

/* init_encoder: the tensors of FILE whose name and size match t's are copied into t (a classifier
 * for another number of classes is not), and so are its input statistics (the copied layers saw
 * inputs normalised with them). Fails when nothing but the classifier would be left to learn
 * from scratch is copied, i.e. when no tensor matches (another architecture). */
static gboolean
copy_matching_tensors (RlTrainer *t, const char *file, const RlTrainOptions *opt, GError **error)
{
  RlTrainer *src = NULL;
  RlError err = { 0 };
  RlStatus s = rl_trainer_load (file, opt->path, &src, &err);
  if (s != RL_OK)
    return engine_error (error, file, s, &err);
  int copied = 0, kept = 0;
  for (int i = 0; i < rl_trainer_num_params (t); i++)
    {
      const char *name = rl_trainer_param_name (t, i);
      size_t n, m = 0;
      float *dst = rl_trainer_param (t, i, &n);
      const float *from = NULL;
      for (int j = 0; j < rl_trainer_num_params (src) && from == NULL; j++)
        if (strcmp (rl_trainer_param_name (src, j), name) == 0)
          from = rl_trainer_param (src, j, &m);
      if (from != NULL && m == n)
        {
          memcpy (dst, from, n * sizeof (float));
          copied++;
        }
      else
        kept++;
    }
  if (copied == 0)
    {
      rl_trainer_free (src);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: no tensor matches a %s's (another architecture?)", file, opt->arch);
      return FALSE;
    }
  rl_trainer_set_input_stats (t, rl_trainer_input_mean (src), rl_trainer_input_std (src));
  rl_trainer_set_input_norm (t, opt->input_norm >= 0 ? opt->input_norm
                                                     : rl_trainer_input_norm (src));
  /* the copied layers learnt from the file's images: the new model's scores on them are
   * in-sample too */
  s = rl_trainer_set_trained_on (t, rl_trainer_trained_on (src), &err);
  rl_trainer_free (src);
  if (s != RL_OK)
    return engine_error (error, file, s, &err);
  if (!opt->quiet)
    g_printerr ("started from %s: %d tensors copied, %d initialised afresh\n", file, copied,
                kept);
  return TRUE;
}

/* Records in the trainer's metadata (trained_on) which images these weights learnt from: the
 * list the model had (a resumed run's, or the file it started from), then each training
 * sample's name and the SHA-1 of its image file's bytes (what a project stores when it imports
 * the image), each image once. A project marks the model's scores on those images in-sample. */
static gboolean
record_trained_on (RlTrainer *t, GPtrArray *samples, GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  const char *had = rl_trainer_trained_on (t);
  if (had != NULL)
    {
      /* checked by the engine when the file was read: a list of [name, sha1] string pairs */
      g_autoptr (JsonParser) parser = json_parser_new ();
      if (!json_parser_load_from_data (parser, had, -1, error))
        return FALSE;
      JsonArray *pairs = json_node_get_array (json_parser_get_root (parser));
      for (guint i = 0; i < json_array_get_length (pairs); i++)
        {
          JsonArray *pair = json_array_get_array_element (pairs, i);
          const char *sha1 = json_array_get_string_element (pair, 1);
          if (!g_hash_table_add (seen, g_strdup (sha1)))
            continue;
          json_builder_begin_array (b);
          json_builder_add_string_value (b, json_array_get_string_element (pair, 0));
          json_builder_add_string_value (b, sha1);
          json_builder_end_array (b);
        }
    }
  for (guint i = 0; i < samples->len; i++)
    {
      const RlSample *s = samples->pdata[i];
      g_autofree char *bytes = NULL;
      gsize len = 0;
      if (!g_file_get_contents (s->image_path, &bytes, &len, error))
        return FALSE;
      char *sha1 = g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) bytes, len);
      if (!g_hash_table_add (seen, sha1))
        continue;
      json_builder_begin_array (b);
      json_builder_add_string_value (b, s->name);
      json_builder_add_string_value (b, sha1);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *json = json_to_string (root, FALSE);
  RlError err = { { 0 } };
  RlStatus st = rl_trainer_set_trained_on (t, json, &err);
  return st == RL_OK || engine_error (error, "trained_on", st, &err);
}

/* The samples of the comma-separated splits to train on, in the dataset's order. A split that
 * is also validated is refused: its scores would be in-sample. */
static GPtrArray *
train_samples_of (RlDataset *ds, const RlTrainOptions *opt, GError **error)
{
  g_auto (GStrv) names = g_strsplit (opt->train_split, ",", -1);
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      if (g_strv_contains ((const char *const *) names, s->split))
        g_ptr_array_add (out, s);
    }
  if (opt->val_split != NULL && opt->val_split[0] != '\0'
      && g_strv_contains ((const char *const *) names, opt->val_split))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "'%s' is both trained on and validated: its scores would be in-sample "
                   "(validate another split, or none with --val-split '')", opt->val_split);
      g_ptr_array_unref (out);
      return NULL;
    }
  return out;
}

gboolean
rl_train_run (RlDataset *ds, const RlTrainOptions *opt, const RlTrainCallbacks *cb,
              GError **error)
{
  RlError err = { { 0 } };
  RlStatus s;
  g_return_val_if_fail (ds != NULL && opt != NULL && opt->out != NULL, FALSE);
  if (opt->batch < 1 || !(opt->lr > 0) || (opt->iters <= 0 && opt->epochs <= 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "batch, learning rate and iterations or epochs must be positive");
      return FALSE;
    }
  if (opt->threads > 0)
    rl_engine_set_blas_threads (opt->threads);

  g_autoptr (GPtrArray) train_samples = train_samples_of (ds, opt, error);
  if (train_samples == NULL)
    return FALSE;
  g_autoptr (GPtrArray) hold_samples = NULL;
  gboolean holdout = opt->holdout_sequences != NULL && opt->holdout_sequences[0] != '\0';
  if (holdout && train_samples->len > 0)
    {
      hold_samples = split_holdout (&train_samples, opt->holdout_sequences,
                                    opt->holdout_max_images, error);
      if (hold_samples == NULL)
        return FALSE;
    }
  if (train_samples->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no '%s' images to train on",
                   ds->root, opt->train_split);
      return FALSE;
    }
  g_autoptr (RlTrainSet) train = rl_train_set_load_ds (train_samples, ds, opt->scale, NULL,
                                                    NULL, error);
  if (train == NULL)
    return FALSE;
  g_autoptr (RlTrainSet) val = NULL;
  if (opt->val_split != NULL && opt->val_split[0] != '\0')
    {
      g_autoptr (GPtrArray) val_samples = rl_dataset_split (ds, opt->val_split);
      if (val_samples->len > 0)
        {
          val = rl_train_set_load_ds (val_samples, ds, opt->scale, NULL, NULL, error);
          if (val == NULL)
            return FALSE;
        }
    }
  g_autoptr (RlTrainSet) hold = NULL;
  if (hold_samples != NULL)
    {
      hold = rl_train_set_load_ds (hold_samples, ds, opt->scale, NULL, NULL, error);
      if (hold == NULL)
        return FALSE;
    }
  int crop_h = opt->crop_h > 0 ? MIN (opt->crop_h, train->height) : train->height;
  int crop_w = opt->crop_w > 0 ? MIN (opt->crop_w, train->width) : train->width;
  int k = ds->spec->n_classes;
  g_autofree float *weights = g_new0 (float, k);
  if (opt->class_weights != NULL)
    memcpy (weights, opt->class_weights, (gsize) k * sizeof (float));
  else
    {
      rl_train_set_class_weights (train, weights);
      rl_class_weights_power (weights, k, opt->class_weight_power);
    }

  /* The model: resumed, initialised from a file, or He-initialised. */
  RlTrainer *t = NULL;
  TrainState st = { 0, 0, 0, 0, NAN, NAN, -1, -1, NAN, -1, "" };
  guint64 seed = opt->seed;
  if (opt->resume != NULL)
    {
      g_autofree char *model = g_build_filename (opt->resume, "model.safetensors", NULL);
      g_autofree char *mom = g_build_filename (opt->resume, "momentum.bin", NULL);
      if (!load_state (opt->resume, &st, &seed, error))
        return FALSE;
      s = rl_trainer_load (model, opt->path, &t, &err);
      if (s != RL_OK)
        return engine_error (error, model, s, &err);
      size_t count;
      float *m = rl_trainer_momentum (t, &count);
      if (!read_momentum (mom, m, count, error))
        {
          rl_trainer_free (t);
          return FALSE;
        }
    }
  else if (opt->init != NULL)
    {
      s = rl_trainer_load (opt->init, opt->path, &t, &err);
      if (s != RL_OK)
        return engine_error (error, opt->init, s, &err);
    }
  else
    {
      s = rl_trainer_new (opt->arch, k, seed, opt->path, &t, &err);
      if (s != RL_OK)
        return engine_error (error, opt->arch, s, &err);
      float mean[3], std[3];
      rl_train_set_input_stats (train, mean, std);
      rl_trainer_set_input_stats (t, mean, std);
      rl_trainer_set_input_norm (t, MAX (opt->input_norm, RL_INPUT_NORM_DATASET));
      if (opt->init_encoder != NULL && !copy_matching_tensors (t, opt->init_encoder, opt, error))
        {
          rl_trainer_free (t);
          return FALSE;
        }
    }
  if (opt->input_norm >= 0 && rl_trainer_input_norm (t) != opt->input_norm)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s: the model's input normalisation is '%s', not '%s' (it stays the "
                   "model's)", opt->resume ? opt->resume : opt->init,
                   rl_input_norm_name (rl_trainer_input_norm (t)),
                   rl_input_norm_name (opt->input_norm));
      rl_trainer_free (t);
      return FALSE;
    }
  if (rl_trainer_num_classes (t) != k)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: the model has %d classes but the dataset %s has %d",
                   opt->resume ? opt->resume : opt->init, rl_trainer_num_classes (t),
                   ds->spec->id, k);
      rl_trainer_free (t);
      return FALSE;
    }
  {
    g_autofree const char **names = g_new0 (const char *, k);
    for (int c = 0; c < k; c++)
      names[c] = ds->spec->classes[c].name;
    s = rl_trainer_set_classes (t, names, ds->spec->ignore_index, &err);
    if (s != RL_OK)
      {
        rl_trainer_free (t);
        return engine_error (error, "classes", s, &err);
      }
  }
  rl_trainer_set_bn_frozen (t, opt->freeze_bn);
  if (opt->train_last > 0 && opt->train_last < rl_trainer_num_convs (t)
      && (s = rl_trainer_set_frozen_convs (t, rl_trainer_num_convs (t) - opt->train_last,
                                           &err)) != RL_OK)
    {
      rl_trainer_free (t);
      return engine_error (error, "frozen layers", s, &err);
    }
  /* The loss goes into the model's metadata, so a fine-tune can train with the same one. */
  s = rl_trainer_set_loss (t, "cross_entropy", weights, opt->class_weight_power, &err);
  if (s != RL_OK)
    {
      rl_trainer_free (t);
      return engine_error (error, "loss", s, &err);
    }
  if (!record_trained_on (t, train_samples, error))
    {
      rl_trainer_free (t);
      return FALSE;
    }
  g_autofree char *select = holdout ? g_strconcat ("holdout:", opt->holdout_sequences, NULL)
                                    : g_strdup ("val");
  if (opt->resume != NULL && strcmp (st.select, select) != 0)
    {
      /* A best measured on another split says nothing about this one. */
      if (!opt->quiet)
        g_printerr ("the checkpoint chose by %s; this run chooses by %s: bests start afresh\n",
                    st.select, select);
      st.best_g = st.best_miou = st.best_score = NAN;
      st.best_g_epoch = st.best_miou_epoch = st.best_score_epoch = -1;
    }
  g_strlcpy (st.select, select, sizeof st.select);
  if (opt->resume == NULL)
    {
      RlRand r;
      rl_rand_seed (&r, seed ^ G_GUINT64_CONSTANT (0xA5A5A5A5DEADBEEF));
      st.rng = rl_rand_next (&r);
    }

  int per_epoch = MAX (1, train->n / opt->batch);
  int total = opt->iters > 0 ? opt->iters : opt->epochs * per_epoch;
  g_autofree char *ckpt = opt->checkpoint ? g_strdup (opt->checkpoint)
                                          : g_strconcat (opt->out, ".ckpt", NULL);
  g_autofree char *log_path = opt->log ? g_strdup (opt->log)
                                       : g_strconcat (opt->out, ".log.jsonl", NULL);
  g_autofree char *out_miou = path_with_suffix (opt->out, "-best-miou");
  FILE *log = fopen (log_path, "a");
  if (log == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", log_path,
                   g_strerror (errno));
      rl_trainer_free (t);
      return FALSE;
    }

  {
    /* each leg (a start or a resume) records the loss weights it trains with */
    g_autoptr (GString) line = g_string_new (NULL);
    g_string_append_printf (line, "{\"type\": \"start\", \"iter\": %d, \"lr\": %g, "
                            "\"class_weight_power\": %g, \"class_weights\": [", st.iter, opt->lr,
                            opt->class_weight_power);
    for (int c = 0; c < k; c++)
      g_string_append_printf (line, "%s%.6f", c ? ", " : "", weights[c]);
    g_string_append_printf (line, "], \"lr_poly\": %g, \"weight_decay\": %g, \"batch\": %d, "
                            "\"crop\": [%d, %d], \"scale\": %g, \"flip\": %s, "
                            "\"random_scale\": [%g, %g], \"brightness\": %g, \"contrast\": %g, "
                            "\"saturation\": %g, \"gamma\": %g, \"train_images\": %d, "
                            "\"select\": \"%s\", \"holdout_images\": %d, \"engine\": \"%s\", "
                            "\"input_norm\": \"%s\"}",
                            opt->lr_poly, opt->weight_decay, opt->batch, crop_h, crop_w,
                            opt->scale, opt->flip ? "true" : "false", opt->scale_min,
                            opt->scale_max, opt->brightness, opt->contrast, opt->saturation,
                            opt->gamma, train->n, select, hold ? hold->n : 0,
                            rl_engine_path_name (rl_trainer_path (t)),
                            rl_input_norm_name (rl_trainer_input_norm (t)));
    log_line (log, line->str);
  }

  g_autofree int *perm = g_new (int, train->n);
  epoch_permutation (seed, st.epoch, train->n, perm);
  g_autofree float *x = g_malloc ((gsize) opt->batch * 3 * crop_h * crop_w * sizeof (float));
  g_autofree guint8 *y = g_malloc ((gsize) opt->batch * crop_h * crop_w);
  int idx[256];
  g_return_val_if_fail (opt->batch <= 256, FALSE);
  RlRand rng = { st.rng };
  gint64 start = g_get_monotonic_time ();
  gint64 last_ckpt = start;
  int start_iter = st.iter;
  gboolean ok = TRUE, stopped = FALSE;
  ValScores vs = { NAN, NAN, NAN, NAN }, hs = { NAN, NAN, NAN, NAN };
  RlAugment aug = { opt->flip, opt->scale_min, opt->scale_max, opt->brightness, opt->contrast,
                    opt->saturation, opt->gamma };
  const float *mean = rl_trainer_input_mean (t), *std = rl_trainer_input_std (t);

  if (!opt->quiet)
    {
      g_printerr ("training %s on %d images of %dx%d (crops %dx%d), %d classes, batch %d, "
                  "%d iterations (%d per epoch)\n",
                  opt->arch, train->n, train->width, train->height, crop_w, crop_h, k,
                  opt->batch, total, per_epoch);
      if (hold != NULL)
        g_printerr ("held out of training and scored each validation: %d images of %s; "
                    "the best epoch is chosen on them\n", hold->n, opt->holdout_sequences);
    }

  while (st.iter < total)
    {
      if (cb != NULL && cb->should_stop != NULL && cb->should_stop (cb->data))
        {
          stopped = TRUE;
          break;
        }
      for (int b = 0; b < opt->batch; b++)
        idx[b] = perm[st.pos + b];
      rl_train_set_make_batch_aug (train, idx, opt->batch, crop_h, crop_w, &aug, &rng, mean,
                                   std, rl_trainer_input_norm (t), x, y);
      st.pos += opt->batch;
      double loss = 0;
      s = rl_trainer_forward (t, x, opt->batch, crop_h, crop_w, 1, &err);
      if (s == RL_OK)
        s = rl_trainer_backward (t, y, weights, &loss, &err);
      if (s != RL_OK)
        {
          ok = engine_error (error, "training step", s, &err);
          break;
        }
      if (!isfinite (loss))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "training diverged at iteration %d (loss is %g): lower --lr",
                       st.iter + 1, loss);
          ok = FALSE;
          break;
        }
      /* Poly decay depends only on the step, so a resume continues the same schedule. */
      double lr = opt->lr_poly > 0 ? opt->lr * pow (1.0 - (double) st.iter / total, opt->lr_poly)
                                   : opt->lr;
      rl_trainer_sgd_step (t, (float) lr, (float) opt->momentum, (float) opt->weight_decay);
      st.iter++;
      st.rng = rng.state;

      gint64 now = g_get_monotonic_time ();
      double elapsed = (now - start) / 1e6;
      double ips = (st.iter - start_iter) * opt->batch / MAX (elapsed, 1e-9);
      double eta = (total - st.iter) * opt->batch / MAX (ips, 1e-9);
      g_autofree char *line = g_strdup_printf (
        "{\"type\": \"step\", \"iter\": %d, \"epoch\": %d, \"loss\": %.6f, "
        "\"images_per_s\": %.3f, \"eta_s\": %.0f, \"lr\": %g}",
        st.iter, st.epoch + 1, loss, ips, eta, lr);
      log_line (log, line);
      if (!opt->quiet)
        g_printerr ("iter %d/%d  epoch %d  loss %.4f  %.2f img/s  ETA %dm%02ds\n", st.iter,
                    total, st.epoch + 1, loss, ips, (int) eta / 60, (int) eta % 60);
      if (cb != NULL && cb->progress != NULL)
        {
          RlTrainProgress p = { st.iter, total, st.epoch + 1, loss, ips, eta,
                                vs.g, vs.c, vs.miou, vs.bf, hs.g, hs.c, hs.miou, hs.bf,
                                rl_trainer_input_norm (t) };
          cb->progress (&p, cb->data);
        }

      gboolean epoch_end = st.pos + opt->batch > train->n;
      gboolean last = st.iter == total;
      if (epoch_end)
        {
          st.epoch++;
          st.pos = 0;
          epoch_permutation (seed, st.epoch, train->n, perm);
        }
      if ((val != NULL || hold != NULL)
          && ((epoch_end && st.epoch % MAX (1, opt->val_every) == 0) || last))
        {
          if ((val != NULL && !validate (t, val, opt->val_max_images, &vs, error))
              || (hold != NULL && !validate (t, hold, 0, &hs, error)))
            {
              ok = FALSE;
              break;
            }
          if (val != NULL)
            {
              g_autofree char *vline = g_strdup_printf (
                "{\"type\": \"val\", \"iter\": %d, \"epoch\": %d, \"global_accuracy\": %.6f, "
                "\"class_accuracy\": %.6f, \"miou\": %.6f, \"bf\": %.6f}",
                st.iter, st.epoch, vs.g, vs.c, vs.miou, vs.bf);
              log_line (log, vline);
              if (!opt->quiet)
                g_printerr ("validation after epoch %d: G %.2f%%  C %.2f%%  mIoU %.2f%%  "
                            "BF %.2f%%%s\n", st.epoch, 100 * vs.g, 100 * vs.c, 100 * vs.miou,
                            100 * vs.bf, hold != NULL ? " (val: not used to choose)" : "");
            }
          if (hold != NULL)
            {
              g_autofree char *hline = g_strdup_printf (
                "{\"type\": \"holdout\", \"sequences\": \"%s\", \"images\": %d, "
                "\"iter\": %d, \"epoch\": %d, \"global_accuracy\": %.6f, "
                "\"class_accuracy\": %.6f, \"miou\": %.6f, \"bf\": %.6f}",
                opt->holdout_sequences, hold->n, st.iter, st.epoch, hs.g, hs.c, hs.miou, hs.bf);
              log_line (log, hline);
              if (!opt->quiet)
                g_printerr ("held-out %s after epoch %d: G %.2f%%  C %.2f%%  mIoU %.2f%%  "
                            "BF %.2f%%\n", opt->holdout_sequences, st.epoch, 100 * hs.g,
                            100 * hs.c, 100 * hs.miou, 100 * hs.bf);
            }
          /* With a holdout the scene the model never saw chooses (val is a street train
           * holds, so it rewards memorising it); without one, val G as before. */
          const ValScores *sel = hold != NULL ? &hs : &vs;
          double score = hold != NULL ? 0.5 * (hs.g + hs.miou) : vs.g;
          if (isnan (st.best_g) || sel->g > st.best_g)
            {
              st.best_g = sel->g;
              st.best_g_epoch = st.epoch;
            }
          if (isnan (st.best_score) || score > st.best_score)
            {
              st.best_score = score;
              st.best_score_epoch = st.epoch;
              s = rl_trainer_save (t, opt->out, &err);
              if (s != RL_OK)
                {
                  ok = engine_error (error, opt->out, s, &err);
                  break;
                }
            }
          if (isnan (st.best_miou) || sel->miou > st.best_miou)
            {
              st.best_miou = sel->miou;
              st.best_miou_epoch = st.epoch;
              s = rl_trainer_save (t, out_miou, &err);
              if (s != RL_OK)
                {
                  ok = engine_error (error, out_miou, s, &err);
                  break;
                }
            }
        }
      if ((now - last_ckpt) / 6e7 >= opt->checkpoint_minutes)
        {
          if (!save_checkpoint (ckpt, t, &st, opt, error))
            {
              ok = FALSE;
              break;
            }
          last_ckpt = g_get_monotonic_time ();
        }
    }

  if (ok)
    {
      /* Always leave a checkpoint of where we are, and a model when no validation chose one. */
      ok = save_checkpoint (ckpt, t, &st, opt, error);
      if (ok && val == NULL && hold == NULL)
        {
          s = rl_trainer_save (t, opt->out, &err);
          if (s != RL_OK)
            ok = engine_error (error, opt->out, s, &err);
        }
      if (ok && stopped)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                       "stopped at iteration %d; continue with --resume %s", st.iter, ckpt);
          ok = FALSE;
        }
    }
  fclose (log);
  rl_trainer_free (t);
  return ok;
}
