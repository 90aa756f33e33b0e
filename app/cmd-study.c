/* relabel study: the SegNet paper's decoder study (its Table 1) on a dataset. Each architecture
 * is trained with the same recipe and budget for each class balancing (median-frequency weights,
 * natural frequency = no weights), holding whole sequences out of training; each final model is
 * scored with the paper's metrics on the held-out images and on val and timed at 360x480; the
 * table goes to OUT/table.md and OUT/table.json.
 *
 * OUT holds study.json (the settings and each invocation's command and wall time), one folder per
 * run (runs/ARCH-BALANCING/: model.safetensors, its checkpoint and log, result.json once scored)
 * and the table. --resume skips the runs with a result.json, resumes a partial run from its
 * checkpoint and starts the others; Ctrl+C / SIGTERM checkpoints the run in progress and stops. */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-options.h"
#include "cli-stop.h"
#include "relabel-cli.h"
#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-metrics.h"
#include "rl-model.h"
#include "rl-net.h"
#include "rl-train-loop.h"

#define STUDY_FORMAT 1
#define DEFAULT_BUDGET "iters=300,crop=128x160,batch=4,score-images=25"

/* What every run of a study shares: compared on resume, so runs of one table are comparable. */
typedef struct
{
  int iters, epochs;        /* one of them > 0 */
  int crop_h, crop_w;       /* 0: whole images */
  int batch;
  int score_images;         /* per scored set, evenly spaced; 0: all */
} Budget;

typedef struct
{
  const char *name;         /* "median" / "natural" */
  const char *title;
  double power;             /* class_weight_power */
} Balancing;

static const Balancing balancings[] = {
  { "median", "median-frequency balancing", 1.0 },
  { "natural", "natural frequency (no class weights)", 0.0 },
};

/* The scores of one set of images. */
typedef struct
{
  int images;
  double g, c, miou, bf;
} SetScores;

typedef struct
{
  gboolean done;
  SetScores held, val;
  double infer_ms;          /* median over the timing runs */
  double train_s, score_s;
} RunResult;

/* "iters=N|epochs=N,crop=HxW|full,batch=B,score-images=N" -> b; FALSE with one line in *why. */
static gboolean
parse_budget (const char *s, Budget *b, char **why)
{
  memset (b, 0, sizeof *b);
  b->batch = 4;
  b->score_images = 25;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  for (int i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      if (eq == NULL)
        {
          *why = g_strdup_printf ("'%s' is not KEY=VALUE", parts[i]);
          return FALSE;
        }
      g_autofree char *key = g_strndup (parts[i], eq - parts[i]);
      const char *v = eq + 1;
      char *end = NULL;
      long n = strtol (v, &end, 10);
      gboolean number = end != v && *end == '\0';
      if (strcmp (key, "crop") == 0)
        {
          if (strcmp (v, "full") == 0)
            b->crop_h = b->crop_w = 0;
          else if (sscanf (v, "%dx%d", &b->crop_h, &b->crop_w) != 2 || b->crop_h < 16
                   || b->crop_w < 16 || b->crop_h > 4096 || b->crop_w > 4096)
            {
              *why = g_strdup_printf ("crop wants HxW of at least 16x16 or full, not '%s'", v);
              return FALSE;
            }
        }
      else if (strcmp (key, "iters") == 0 || strcmp (key, "epochs") == 0
               || strcmp (key, "batch") == 0 || strcmp (key, "score-images") == 0)
        {
          gboolean zero_ok = strcmp (key, "score-images") == 0;
          if (!number || n < (zero_ok ? 0 : 1) || n > 10000000
              || (strcmp (key, "batch") == 0 && n > 256))
            {
              *why = g_strdup_printf ("%s wants a %s number, not '%s'", key,
                                      zero_ok ? "non-negative" : "positive", v);
              return FALSE;
            }
          if (strcmp (key, "iters") == 0)
            b->iters = (int) n;
          else if (strcmp (key, "epochs") == 0)
            b->epochs = (int) n;
          else if (strcmp (key, "batch") == 0)
            b->batch = (int) n;
          else
            b->score_images = (int) n;
        }
      else
        {
          *why = g_strdup_printf ("unknown key '%s' (iters, epochs, crop, batch, score-images)",
                                  key);
          return FALSE;
        }
    }
  if ((b->iters > 0) == (b->epochs > 0))
    {
      *why = g_strdup ("give exactly one of iters=N and epochs=N");
      return FALSE;
    }
  return TRUE;
}

static char *
budget_string (const Budget *b)
{
  g_autofree char *crop = b->crop_h > 0 ? g_strdup_printf ("%dx%d", b->crop_h, b->crop_w)
                                        : g_strdup ("full");
  return g_strdup_printf ("%s=%d,crop=%s,batch=%d,score-images=%d",
                          b->iters > 0 ? "iters" : "epochs", b->iters > 0 ? b->iters : b->epochs,
                          crop, b->batch, b->score_images);
}

/* The recipe every run trains with (tools/train-recipe's, with the study's budget and class
 * balancing): SGD momentum 0.9, lr 0.02 with poly decay 0.9, weight decay 5e-4, random scale
 * 0.75-1.25, flips, photometric jitter 0.25; no validation, so the model is the final weights. */
static void
recipe_options (RlTrainOptions *opt, const Budget *b, double power, guint64 seed, int threads,
                RlEnginePath path)
{
  rl_train_options_init (opt);
  opt->iters = b->iters;
  opt->epochs = b->epochs;
  opt->crop_h = b->crop_h;
  opt->crop_w = b->crop_w;
  opt->batch = b->batch;
  opt->lr = 0.02;
  opt->lr_poly = 0.9;
  opt->momentum = 0.9;
  opt->weight_decay = 5e-4;
  opt->scale_min = 0.75;
  opt->scale_max = 1.25;
  opt->flip = TRUE;
  opt->brightness = opt->contrast = opt->saturation = opt->gamma = 0.25;
  opt->class_weight_power = power;
  opt->val_split = "";
  opt->holdout_sequences = NULL;  /* held out by the study itself (see hold_out) */
  opt->seed = seed;
  opt->threads = threads;
  opt->checkpoint_minutes = 5.0;
  opt->path = path;
  opt->quiet = TRUE;
}

static const char *recipe_text =
  "SGD momentum 0.9, lr 0.02 with poly decay (power 0.9) over the budget, weight decay 5e-4, "
  "random crops of the full-resolution images scaled by 0.75-1.25, horizontal flips, "
  "brightness/contrast/saturation/gamma jitter 0.25 (tools/train-recipe's recipe); He "
  "initialisation from the same seed; no validation during training: each model is the "
  "final weights of its budget";

/* Moves the training samples of the held-out sequences (the name before '_') to split
 * "study-heldout", so training never sees them; returns them (borrowed), NULL with an error
 * naming a sequence without images. */
static GPtrArray *
hold_out (RlDataset *ds, const char *sequences, GError **error)
{
  g_auto (GStrv) seqs = g_strsplit (sequences, ",", -1);
  GPtrArray *held = g_ptr_array_new ();
  for (int k = 0; seqs[k] != NULL; k++)
    {
      int found = 0;
      for (guint i = 0; i < ds->samples->len; i++)
        {
          RlSample *s = g_ptr_array_index (ds->samples, i);
          const char *us = strchr (s->name, '_');
          if (strcmp (s->split, "train") != 0 || us == NULL
              || strlen (seqs[k]) != (gsize) (us - s->name)
              || strncmp (s->name, seqs[k], us - s->name) != 0)
            continue;
          g_free (s->split);
          s->split = g_strdup ("study-heldout");
          g_ptr_array_add (held, s);
          found++;
        }
      if (found == 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "%s: held-out sequence '%s' has no training image (names are "
                       "SEQUENCE_FRAME)", ds->root, seqs[k]);
          g_ptr_array_unref (held);
          return NULL;
        }
    }
  return held;
}

/* m of the n samples, evenly spaced (all when m is 0 or >= n), as the train loop's holdout. */
static GPtrArray *
evenly_spaced (GPtrArray *samples, int m)
{
  guint n = samples->len, k = m > 0 ? MIN ((guint) m, n) : n;
  GPtrArray *out = g_ptr_array_new ();
  for (guint i = 0; i < k; i++)
    g_ptr_array_add (out, samples->pdata[(gsize) i * n / k]);
  return out;
}

/* Predicts every sample with the model and scores it against its labels with the engine's
 * metrics, as `relabel predict` + `relabel eval` do. */
static gboolean
score_set (const RlModel *model, RlDataset *ds, GPtrArray *samples, int threads,
           SetScores *out, GError **error)
{
  int k = rl_model_num_classes (model);
  RlMetrics *m = rl_metrics_new (k, ds->spec->ignore_index);
  RlError err = { { 0 } };
  for (guint i = 0; i < samples->len; i++)
    {
      if (rl_cli_should_stop (NULL))
        {
          rl_metrics_free (m);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped while scoring");
          return FALSE;
        }
      RlSample *s = samples->pdata[i];
      int w, h, lw, lh;
      g_autofree guint8 *rgb = NULL, *truth = NULL, *pred = NULL;
      if (s->label_path == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no label to score against",
                       s->image_path);
          rl_metrics_free (m);
          return FALSE;
        }
      if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, error)
          || !rl_dataset_read_label (ds, s->label_path, &lw, &lh, &truth, error))
        {
          rl_metrics_free (m);
          return FALSE;
        }
      if (lw != w || lh != h)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "%s: label %dx%d, image %dx%d", s->label_path, lw, lh, w, h);
          rl_metrics_free (m);
          return FALSE;
        }
      pred = g_malloc ((gsize) w * h);
      if (rl_model_predict_rgb8 (model, rgb, h, w, pred, threads, NULL, NULL, &err) != RL_OK
          || rl_metrics_add_image (m, truth, pred, h, w, &err) != RL_OK)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", s->image_path, err.text);
          rl_metrics_free (m);
          return FALSE;
        }
    }
  out->images = (int) samples->len;
  out->g = rl_metrics_global_accuracy (m);
  out->c = rl_metrics_class_accuracy (m);
  out->miou = rl_metrics_miou (m);
  out->bf = rl_metrics_bf (m);
  rl_metrics_free (m);
  return TRUE;
}

/* The engine's architecture names, joined by sep. */
static char *
arch_names (const char *sep)
{
  return g_strjoinv (sep, (char **) rl_net_arch_names ());
}

/* The paper's storage multiplier (rl-net.h), NaN for an unknown name. */
static double
storage_multiplier (const char *arch)
{
  double m = rl_net_storage_multiplier (arch);
  return m < 0 ? NAN : m;
}

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Median milliseconds of `runs` predictions of one rgb image of h x w (after one warm-up). */
static gboolean
time_inference (const RlModel *model, const guint8 *rgb, int h, int w, int runs, int threads,
                double *ms, GError **error)
{
  g_autofree guint8 *labels = g_malloc ((gsize) h * w);
  g_autofree double *t = g_new (double, runs);
  RlError err = { { 0 } };
  for (int i = -1; i < runs; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      if (rl_model_predict_rgb8 (model, rgb, h, w, labels, threads, NULL, NULL, &err) != RL_OK)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "timing: %s", err.text);
          return FALSE;
        }
      if (i >= 0)
        t[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  qsort (t, runs, sizeof *t, compare_double);
  *ms = runs % 2 ? t[runs / 2] : 0.5 * (t[runs / 2 - 1] + t[runs / 2]);
  return TRUE;
}

/* The timing input: the first held-out image resampled (nearest) to h x w. */
static guint8 *
timing_image (RlSample *s, int h, int w, GError **error)
{
  int iw, ih;
  g_autofree guint8 *rgb = NULL;
  if (!rl_image_read_rgb (s->image_path, &iw, &ih, &rgb, error))
    return NULL;
  guint8 *out = g_malloc ((gsize) h * w * 3);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy (out + ((gsize) y * w + x) * 3,
              rgb + ((gsize) (y * ih / h) * iw + x * iw / w) * 3, 3);
  return out;
}

/* --- JSON files */

static JsonObject *
read_json_object (const char *path, JsonParser **keep, GError **error)
{
  *keep = json_parser_new ();
  if (!json_parser_load_from_file (*keep, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (*keep);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not a JSON object", path);
      return NULL;
    }
  return json_node_get_object (root);
}

static gboolean
write_json (const char *path, JsonBuilder *b, GError **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  g_autofree char *text = json_generator_to_data (gen, NULL);
  g_autofree char *full = g_strconcat (text, "\n", NULL);
  return g_file_set_contents (path, full, -1, error);
}

static void
add_number (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, v);
}

static double
get_number (JsonObject *o, const char *key)
{
  if (o == NULL || !json_object_has_member (o, key) || json_object_get_null_member (o, key))
    return NAN;
  return json_object_get_double_member (o, key);
}

static void
add_set (JsonBuilder *b, const char *key, const SetScores *s, GPtrArray *samples)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, s->images);
  add_number (b, "global_accuracy", s->g);
  add_number (b, "class_accuracy", s->c);
  add_number (b, "miou", s->miou);
  add_number (b, "bf", s->bf);
  if (samples != NULL)
    {
      json_builder_set_member_name (b, "names");
      json_builder_begin_array (b);
      for (guint i = 0; i < samples->len; i++)
        json_builder_add_string_value (b, ((RlSample *) samples->pdata[i])->name);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

static void
get_set (JsonObject *o, const char *key, SetScores *s)
{
  JsonObject *x = o != NULL && json_object_has_member (o, key)
                    ? json_object_get_object_member (o, key) : NULL;
  s->images = x != NULL ? (int) json_object_get_int_member_with_default (x, "images", 0) : 0;
  s->g = get_number (x, "global_accuracy");
  s->c = get_number (x, "class_accuracy");
  s->miou = get_number (x, "miou");
  s->bf = get_number (x, "bf");
}

static gboolean
read_result (const char *path, RunResult *r)
{
  memset (r, 0, sizeof *r);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  g_autoptr (JsonParser) p = NULL;
  g_autoptr (GError) error = NULL;
  JsonObject *o = read_json_object (path, &p, &error);
  if (o == NULL)
    return FALSE;
  get_set (o, "heldout", &r->held);
  get_set (o, "val", &r->val);
  r->infer_ms = get_number (o, "inference_ms");
  r->train_s = get_number (o, "train_seconds");
  r->score_s = get_number (o, "score_seconds");
  r->done = TRUE;
  return TRUE;
}

/* Seconds of training spent in earlier legs of a run (OUT/runs/X/train-seconds). */
static double
read_seconds (const char *path)
{
  g_autofree char *text = NULL;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return g_ascii_strtod (text, NULL);
}

static void
write_seconds (const char *path, double s)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd (buf, sizeof buf, "%.3f", s);
  g_file_set_contents (path, buf, -1, NULL);
}

/* --- the table */

typedef struct
{
  const char *dataset;
  const char *holdout;
  const Budget *budget;
  char **archs;
  int n_bal;
  const Balancing **bal;
  int timing_h, timing_w, timing_runs, threads;
  const char *engine_name;
  int held_total, val_total;
  int train_images;
  const char *image_size;
  JsonArray *legs;          /* of study.json */
} TableInfo;

static void
fmt_pct (GString *s, double v)
{
  if (isnan (v))
    g_string_append (s, " n/a |");
  else
    g_string_append_printf (s, " %.1f |", 100 * v);
}

static gboolean
write_table (const char *dir, const TableInfo *ti, GError **error)
{
  int n_arch = (int) g_strv_length (ti->archs);
  g_autoptr (GString) md = g_string_new (NULL);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree char *budget = budget_string (ti->budget);
  double total_s = 0;
  int finished = 0;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "dataset");
  json_builder_add_string_value (b, ti->dataset);
  json_builder_set_member_name (b, "budget");
  json_builder_add_string_value (b, budget);
  json_builder_set_member_name (b, "recipe");
  json_builder_add_string_value (b, recipe_text);
  json_builder_set_member_name (b, "heldout_sequences");
  json_builder_add_string_value (b, ti->holdout);
  json_builder_set_member_name (b, "train_images");
  json_builder_add_int_value (b, ti->train_images);
  json_builder_set_member_name (b, "image_size");
  json_builder_add_string_value (b, ti->image_size);
  json_builder_set_member_name (b, "engine");
  json_builder_add_string_value (b, ti->engine_name);
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, ti->threads);
  g_autofree char *timing = g_strdup_printf ("median of %d predictions of one %dx%d image "
                                             "(after one warm-up)", ti->timing_runs,
                                             ti->timing_w, ti->timing_h);
  json_builder_set_member_name (b, "timing");
  json_builder_add_string_value (b, timing);
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);

  g_string_append_printf (md, "# Decoder study (SegNet paper, Table 1)\n\n");
  for (int bi = 0; bi < ti->n_bal; bi++)
    {
      const Balancing *bal = ti->bal[bi];
      g_string_append_printf (md, "## %s\n\n", bal->title);
      g_string_append (md, "| variant | parameters (M) | storage multiplier | inference ms | "
                           "held-out G | C | mIoU | BF | val G | C | mIoU | BF |\n");
      g_string_append (md, "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (int a = 0; a < n_arch; a++)
        {
          const char *arch = ti->archs[a];
          g_autofree char *run = g_strdup_printf ("%s-%s", arch, bal->name);
          g_autofree char *res = g_build_filename (dir, "runs", run, "result.json", NULL);
          RunResult r;
          read_result (res, &r);
          RlNet *net = g_new0 (RlNet, 1);
          RlError err = { { 0 } };
          double params = NAN;
          if (rl_net_init (net, arch, 11, &err) == RL_OK)
            params = (double) rl_net_count_weights (net);
          g_free (net);
          double storage = storage_multiplier (arch);
          if (r.done)
            {
              finished++;
              total_s += (isnan (r.train_s) ? 0 : r.train_s) + (isnan (r.score_s) ? 0 : r.score_s);
            }
          g_string_append_printf (md, "| %s |", arch);
          if (isnan (params))
            g_string_append (md, " n/a |");
          else
            g_string_append_printf (md, " %.3f |", params / 1e6);
          if (isnan (storage))
            g_string_append (md, " n/a |");
          else
            g_string_append_printf (md, " %.0f |", storage);
          if (!r.done)
            g_string_append (md, " not run yet | | | | | | | | |\n");
          else
            {
              g_string_append_printf (md, " %.0f |", r.infer_ms);
              fmt_pct (md, r.held.g);
              fmt_pct (md, r.held.c);
              fmt_pct (md, r.held.miou);
              fmt_pct (md, r.held.bf);
              fmt_pct (md, r.val.g);
              fmt_pct (md, r.val.c);
              fmt_pct (md, r.val.miou);
              fmt_pct (md, r.val.bf);
              g_string_append_c (md, '\n');
            }
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "arch");
          json_builder_add_string_value (b, arch);
          json_builder_set_member_name (b, "balancing");
          json_builder_add_string_value (b, bal->name);
          json_builder_set_member_name (b, "class_weight_power");
          json_builder_add_double_value (b, bal->power);
          add_number (b, "parameters", params);
          add_number (b, "storage_multiplier", storage);
          json_builder_set_member_name (b, "finished");
          json_builder_add_boolean_value (b, r.done);
          if (r.done)
            {
              g_autofree char *model = g_build_filename ("runs", run, "model.safetensors", NULL);
              json_builder_set_member_name (b, "model");
              json_builder_add_string_value (b, model);
              add_number (b, "inference_ms", r.infer_ms);
              add_number (b, "train_seconds", r.train_s);
              add_number (b, "score_seconds", r.score_s);
              add_set (b, "heldout", &r.held, NULL);
              add_set (b, "val", &r.val, NULL);
            }
          json_builder_end_object (b);
        }
      g_string_append_c (md, '\n');
    }
  json_builder_end_array (b);
  int total_runs = n_arch * ti->n_bal;
  json_builder_set_member_name (b, "finished_runs");
  json_builder_add_int_value (b, finished);
  json_builder_set_member_name (b, "runs");
  json_builder_add_int_value (b, total_runs);
  add_number (b, "run_seconds", total_s);
  json_builder_set_member_name (b, "invocations");
  json_builder_add_value (b, json_node_init_array (json_node_alloc (), ti->legs));
  json_builder_end_object (b);

  g_autofree char *crop = ti->budget->crop_h > 0
                           ? g_strdup_printf ("%dx%d", ti->budget->crop_h, ti->budget->crop_w)
                           : g_strdup ("none (whole images)");
  g_string_append_printf (md, "%d of %d runs finished.\n\n", finished, total_runs);
  g_string_append_printf (md,
    "- Dataset: `%s`; %d training images (every `train` image outside the held-out sequences), "
    "%s images.\n"
    "- Budget: `%s` (crop %s of the full-resolution images; score-images: evenly spaced images "
    "scored per set, 0 = all).\n"
    "- Recipe: %s.\n"
    "- Held-out: sequence(s) %s, removed from training (%d images; the scored ones are listed "
    "in each run's result.json): a street the model never saw.\n"
    "- Val: %d images; CamVid's val (0016E5) is a street the training images also show, so val "
    "is in-neighbourhood of train (in-sample street): choose on held-out, not on val.\n"
    "- Scores: the paper's G, C, mIoU, BF (engine metrics, as `relabel eval`), in %%, at the "
    "images' full resolution.\n"
    "- Parameters: trainable weights (11 classes). Storage multiplier: encoder memory the "
    "decoder keeps at inference relative to SegNet-Basic's pooling indices "
    "(`rl_net_storage_multiplier`: 1 = the pooling indices, 64 = 64-channel float maps, 0 = nothing).\n"
    "- Inference: median of %d predictions of one %dx%d image after a warm-up, engine %s, "
    "%d thread(s), on this machine (shared: other work ran too).\n"
    "- Wall time of the finished runs (training + scoring + timing): %.0f s (%.1f h).\n",
    ti->dataset, ti->train_images, ti->image_size, budget,
    crop,
    recipe_text, ti->holdout, ti->held_total, ti->val_total, ti->timing_runs, ti->timing_w,
    ti->timing_h, ti->engine_name, ti->threads, total_s, total_s / 3600);
  g_string_append (md, "\nInvocations (command, wall seconds):\n\n");
  for (guint i = 0; i < json_array_get_length (ti->legs); i++)
    {
      JsonObject *leg = json_array_get_object_element (ti->legs, i);
      g_string_append_printf (md, "- `%s` (%s): %.0f s\n",
                              json_object_get_string_member_with_default (leg, "command", "?"),
                              json_object_get_string_member_with_default (leg, "started", "?"),
                              json_object_get_double_member_with_default (leg, "seconds", 0));
    }
  g_autofree char *md_path = g_build_filename (dir, "table.md", NULL);
  g_autofree char *json_path = g_build_filename (dir, "table.json", NULL);
  return g_file_set_contents (md_path, md->str, -1, error) && write_json (json_path, b, error);
}

/* --- study.json: the settings (checked on resume) and the invocations */

static gboolean
write_study (const char *path, const char *dataset, const char *budget, const char *holdout,
             gint64 seed, const char *engine, JsonArray *legs, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_int_value (b, STUDY_FORMAT);
  json_builder_set_member_name (b, "dataset");
  json_builder_add_string_value (b, dataset);
  json_builder_set_member_name (b, "budget");
  json_builder_add_string_value (b, budget);
  json_builder_set_member_name (b, "heldout_sequences");
  json_builder_add_string_value (b, holdout);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, seed);
  json_builder_set_member_name (b, "engine");
  json_builder_add_string_value (b, engine);
  json_builder_set_member_name (b, "invocations");
  json_builder_add_value (b, json_node_init_array (json_node_alloc (), legs));
  json_builder_end_object (b);
  return write_json (path, b, error);
}

static char *
shell_quote_argv (int argc, char **argv)
{
  g_autoptr (GString) s = g_string_new ("relabel");
  for (int i = 0; i < argc; i++)
    {
      g_autofree char *q = g_shell_quote (argv[i]);
      g_string_append_c (s, ' ');
      /* plain words stay unquoted, for a readable command */
      g_string_append (s, g_regex_match_simple ("^[A-Za-z0-9_.,:/=+-]+$", argv[i], 0, 0)
                            ? argv[i] : q);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

int
rl_cmd_study (int argc, char **argv)
{
  g_autofree char *command = shell_quote_argv (argc, argv);
  gint64 started = g_get_monotonic_time ();
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *started_text = g_date_time_format_iso8601 (now);
  g_autofree char *dataset = NULL, *archs_arg = NULL, *budget_arg = NULL, *out = NULL;
  g_autofree char *holdout = NULL, *balancing_arg = NULL, *engine = NULL, *timing_size = NULL;
  gboolean resume = FALSE;
  int threads = 0, timing_runs = 5, stop_after = 0;
  gint64 seed = 1;
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "camvid:PATH (or folder:PATH)",
      "KIND:PATH" },
    { "archs", 0, 0, G_OPTION_ARG_STRING, &archs_arg,
      "Architectures, comma-separated (default segnet-basic)", "A,B,..." },
    { "budget", 0, 0, G_OPTION_ARG_STRING, &budget_arg,
      "Per run: iters=N or epochs=N, crop=HxW|full, batch=B, score-images=N (evenly spaced "
      "images scored per set, 0 all); default " DEFAULT_BUDGET, "SPEC" },
    { "balancing", 0, 0, G_OPTION_ARG_STRING, &balancing_arg,
      "median (median-frequency weights), natural (no weights) or both (default)", "B" },
    { "holdout-sequences", 0, 0, G_OPTION_ARG_STRING, &holdout,
      "Sequences held out of training and scored (default 0006R0)", "SEQ[,SEQ]" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Study folder (runs, table.md, table.json)",
      "DIR" },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume,
      "Continue the study in DIR: finished runs are kept, a partial one resumes", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default: all cores)", "T" },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &engine, "auto, reference, fp32 or bf16", "PATH" },
    { "timing-runs", 0, 0, G_OPTION_ARG_INT, &timing_runs,
      "Predictions timed per model (median; default 5)", "N" },
    { "timing-size", 0, 0, G_OPTION_ARG_STRING, &timing_size,
      "Image size timed, HxW (default 360x480)", "HxW" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed of every run (default 1)", "S" },
    { "stop-after", 0, 0, G_OPTION_ARG_INT, &stop_after,
      "Stop the first unfinished run at step N as SIGTERM would (for tests)", "N" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- the SegNet paper's decoder study");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
    "Trains every architecture with the same recipe and budget for median-frequency and natural-\n"
    "frequency class balancing, holding the --holdout-sequences out of training; scores each\n"
    "final model on the held-out images and on val (G, C, mIoU, BF, as relabel eval) at the\n"
    "images' full resolution and times it; writes DIR/table.md and DIR/table.json (and\n"
    "DIR/runs/ARCH-BALANCING/: model, checkpoint, log, result.json). Ctrl+C or SIGTERM\n"
    "checkpoints the run in progress; --resume keeps finished runs and continues the rest.\n"
    "docs/decoder-study.md describes the recipe and a CamVid run.");
  if (!rl_cli_parse ("study", ctx, &argc, &argv))
    return 2;
  if (dataset == NULL || out == NULL || strchr (dataset, ':') == NULL)
    {
      fprintf (stderr, "relabel study: --dataset KIND:PATH and --out DIR are required\n");
      return 2;
    }
  Budget budget;
  g_autofree char *why = NULL;
  if (!parse_budget (budget_arg != NULL ? budget_arg : DEFAULT_BUDGET, &budget, &why))
    {
      fprintf (stderr, "relabel study: --budget: %s\n", why);
      return 2;
    }
  g_autofree char *budget_text = budget_string (&budget);
  int timing_h = 360, timing_w = 480;
  if (timing_size != NULL && (sscanf (timing_size, "%dx%d", &timing_h, &timing_w) != 2
                              || timing_h < 8 || timing_w < 8 || timing_h > 4096
                              || timing_w > 4096))
    {
      fprintf (stderr, "relabel study: --timing-size wants HxW, not '%s'\n", timing_size);
      return 2;
    }
  if (threads < 0 || timing_runs < 1 || timing_runs > 1000 || stop_after < 0)
    {
      fprintf (stderr, "relabel study: --threads, --timing-runs or --stop-after out of range\n");
      return 2;
    }
  if (holdout == NULL)
    holdout = g_strdup ("0006R0");
  if (!g_regex_match_simple ("^[A-Za-z0-9.-]+(,[A-Za-z0-9.-]+)*$", holdout, 0, 0))
    {
      fprintf (stderr, "relabel study: --holdout-sequences wants names separated by commas, "
               "not '%s'\n", holdout);
      return 2;
    }
  const Balancing *bal[2];
  int n_bal = 0;
  if (balancing_arg == NULL || strcmp (balancing_arg, "both") == 0)
    {
      bal[n_bal++] = &balancings[0];
      bal[n_bal++] = &balancings[1];
    }
  else if (strcmp (balancing_arg, "median") == 0)
    bal[n_bal++] = &balancings[0];
  else if (strcmp (balancing_arg, "natural") == 0)
    bal[n_bal++] = &balancings[1];
  else
    {
      fprintf (stderr, "relabel study: --balancing wants median, natural or both, not '%s'\n",
               balancing_arg);
      return 2;
    }
  RlEnginePath path;
  if (!rl_cli_engine_path ("study", engine, &path))
    return 2;
  g_auto (GStrv) archs = g_strsplit (archs_arg != NULL ? archs_arg : "segnet-basic", ",", -1);
  for (int a = 0; archs[a] != NULL; a++)
    {
      if (!rl_net_arch_known (archs[a]))
        {
          g_autofree char *known = arch_names (", ");
          fprintf (stderr, "relabel study: --archs: unknown architecture '%s' (known: %s)\n",
                   archs[a], known);
          return 2;
        }
      for (int b = 0; b < a; b++)
        if (strcmp (archs[a], archs[b]) == 0)
          {
            fprintf (stderr, "relabel study: --archs names '%s' twice\n", archs[a]);
            return 2;
          }
    }

  /* The study folder: new, or resumed with the same settings. */
  g_autofree char *study_path = g_build_filename (out, "study.json", NULL);
  g_autofree char *dataset_abs = NULL;
  {
    const char *p = strchr (dataset, ':') + 1;
    g_autofree char *kind = g_strndup (dataset, p - dataset - 1);
    g_autofree char *abs = g_canonicalize_filename (p, NULL);
    dataset_abs = g_strconcat (kind, ":", abs, NULL);
  }
  const char *engine_name = engine != NULL ? engine : g_getenv ("RELABEL_ENGINE_PATH");
  if (engine_name == NULL || engine_name[0] == '\0')
    engine_name = "auto";
  g_autoptr (JsonArray) legs = json_array_new ();
  g_autoptr (GError) error = NULL;
  if (g_file_test (study_path, G_FILE_TEST_EXISTS))
    {
      if (!resume)
        {
          fprintf (stderr, "relabel study: %s holds a study: add --resume to continue it, or "
                           "choose another --out\n", out);
          return 2;
        }
      g_autoptr (JsonParser) p = NULL;
      JsonObject *o = read_json_object (study_path, &p, &error);
      if (o == NULL)
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
      const char *keys[] = { "dataset", "budget", "heldout_sequences" };
      const char *mine[] = { dataset_abs, budget_text, holdout };
      for (int i = 0; i < 3; i++)
        {
          const char *theirs = json_object_get_string_member_with_default (o, keys[i], "");
          if (strcmp (theirs, mine[i]) != 0)
            {
              fprintf (stderr, "relabel study: %s: the study has %s '%s', this command '%s' "
                               "(runs of one table share them; use another --out)\n",
                       study_path, keys[i], theirs, mine[i]);
              return 2;
            }
        }
      if (json_object_get_int_member_with_default (o, "seed", -1) != seed)
        {
          fprintf (stderr, "relabel study: %s: the study has seed %" G_GINT64_FORMAT ", this "
                           "command %" G_GINT64_FORMAT " (use another --out)\n", study_path,
                   json_object_get_int_member_with_default (o, "seed", -1), seed);
          return 2;
        }
      if (json_object_has_member (o, "invocations"))
        {
          JsonArray *old = json_object_get_array_member (o, "invocations");
          for (guint i = 0; i < json_array_get_length (old); i++)
            json_array_add_element (legs, json_node_copy (json_array_get_element (old, i)));
        }
    }
  else if (resume)
    {
      fprintf (stderr, "relabel study: %s: no study to resume (no study.json)\n", out);
      return 2;
    }

  /* The dataset, with the held-out sequences taken out of training. */
  g_autoptr (RlDataset) ds = NULL;
  {
    g_autofree char *kind = g_strndup (dataset, strchr (dataset, ':') - dataset);
    ds = rl_dataset_load (kind, strchr (dataset, ':') + 1, &error);
    if (ds == NULL)
      {
        fprintf (stderr, "relabel: %s\n", error->message);
        return error->domain == RL_DATASET_ERROR && error->code == RL_DATASET_ERROR_KIND ? 2 : 1;
      }
  }
  for (guint i = 0; i < ds->problems->len; i++)
    fprintf (stderr, "relabel: warning: %s\n", (char *) g_ptr_array_index (ds->problems, i));
  if (ds->spec->n_classes != 11)
    {
      /* parameter counts and the paper's comparison are for CamVid's 11 classes */
      fprintf (stderr, "relabel study: %s: %d classes; the study compares 11-class (CamVid) "
                       "models\n", ds->root, ds->spec->n_classes);
      return 1;
    }
  g_autoptr (GPtrArray) held_all = hold_out (ds, holdout, &error);
  if (held_all == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  g_autoptr (GPtrArray) train_samples = rl_dataset_split (ds, "train");
  g_autoptr (GPtrArray) val_all = rl_dataset_split (ds, "val");
  if (train_samples->len == 0)
    {
      fprintf (stderr, "relabel: %s: no training image outside the held-out sequences %s\n",
               ds->root, holdout);
      return 1;
    }
  if (val_all->len == 0)
    {
      fprintf (stderr, "relabel: %s: no val images to score\n", ds->root);
      return 1;
    }
  g_autoptr (GPtrArray) held = evenly_spaced (held_all, budget.score_images);
  g_autoptr (GPtrArray) val = evenly_spaced (val_all, budget.score_images);
  g_autofree char *image_size = NULL;
  {
    int w, h;
    g_autofree guint8 *rgb = NULL;
    RlSample *s0 = g_ptr_array_index (train_samples, 0);
    if (!rl_image_read_rgb (s0->image_path, &w, &h, &rgb, &error))
      {
        fprintf (stderr, "relabel: %s\n", error->message);
        return 1;
      }
    image_size = g_strdup_printf ("%dx%d (WxH) full-resolution", w, h);
  }
  g_autofree guint8 *timing_rgb = timing_image (held->pdata[0], timing_h, timing_w, &error);
  if (timing_rgb == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }

  if (g_mkdir_with_parents (out, 0755) != 0)
    {
      fprintf (stderr, "relabel: %s: %s\n", out, g_strerror (errno));
      return 1;
    }
  /* this invocation, its wall time filled in as it goes */
  JsonObject *leg = json_object_new ();
  json_object_set_string_member (leg, "command", command);
  json_object_set_string_member (leg, "started", started_text);
  json_object_set_double_member (leg, "seconds", 0);
  json_array_add_object_element (legs, leg);
  if (!write_study (study_path, dataset_abs, budget_text, holdout, seed, engine_name, legs,
                    &error))
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  TableInfo ti = { dataset_abs, holdout, &budget, archs, n_bal, bal, timing_h, timing_w,
                   timing_runs, threads, engine_name, (int) held_all->len, (int) val_all->len,
                   (int) train_samples->len, image_size, legs };

  int n_arch = (int) g_strv_length (archs), total_runs = n_arch * n_bal, done = 0, skipped = 0;
  fprintf (stderr, "study: %d architecture(s) x %d balancing(s); budget %s; %d training "
                   "images; held out %s (%d images, %d scored); val %d scored\n",
           n_arch, n_bal, budget_text, train_samples->len, holdout, held_all->len, held->len,
           val->len);
  rl_cli_catch_stop_signals ();
  int status = 0;
  gboolean stop_used = FALSE;
  for (int bi = 0; bi < n_bal && status == 0; bi++)
    for (int a = 0; a < n_arch && status == 0; a++)
      {
        g_autofree char *run = g_strdup_printf ("%s-%s", archs[a], bal[bi]->name);
        g_autofree char *run_dir = g_build_filename (out, "runs", run, NULL);
        g_autofree char *res_path = g_build_filename (run_dir, "result.json", NULL);
        g_autofree char *model_path = g_build_filename (run_dir, "model.safetensors", NULL);
        g_autofree char *ckpt = g_build_filename (run_dir, "model.safetensors.ckpt", NULL);
        g_autofree char *secs_path = g_build_filename (run_dir, "train-seconds", NULL);
        RunResult prev;
        if (read_result (res_path, &prev))
          {
            fprintf (stderr, "run %s: finished earlier, kept\n", run);
            done++;
            skipped++;
            continue;
          }
        if (g_mkdir_with_parents (run_dir, 0755) != 0)
          {
            fprintf (stderr, "relabel: %s: %s\n", run_dir, g_strerror (errno));
            status = 1;
            break;
          }
        RlTrainOptions opt;
        recipe_options (&opt, &budget, bal[bi]->power, (guint64) seed, threads, path);
        opt.arch = archs[a];
        opt.out = model_path;
        gboolean resumed = g_file_test (ckpt, G_FILE_TEST_IS_DIR);
        opt.resume = resumed ? ckpt : NULL;
        fprintf (stderr, "run %s: %s\n", run, resumed ? "resuming from its checkpoint"
                                                      : "training");
        double before = read_seconds (secs_path);
        gint64 t0 = g_get_monotonic_time ();
        RlCliStopAfter sa = { 0, stop_used ? 0 : stop_after };
        stop_used = stop_used || stop_after > 0;
        RlTrainCallbacks cb = { rl_cli_stop_after_progress,
                                rl_cli_stop_after_should_stop, &sa };
        g_clear_error (&error);
        gboolean ok = rl_train_run (ds, &opt, &cb, &error);
        double train_s = before + (g_get_monotonic_time () - t0) / 1e6;
        write_seconds (secs_path, train_s);
        if (!ok)
          {
            if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
              fprintf (stderr, "relabel: run %s stopped; its checkpoint %s resumes it\n", run,
                       ckpt);
            else
              fprintf (stderr, "relabel: run %s: %s\n", run, error->message);
            status = 1;
            break;
          }
        /* score and time the final model */
        gint64 s0 = g_get_monotonic_time ();
        RlModel *model = NULL;
        RlError err = { { 0 } };
        if (rl_model_load (model_path, &model, &err) != RL_OK)
          {
            fprintf (stderr, "relabel: %s\n", err.text);
            status = 1;
            break;
          }
        rl_model_set_engine_path (model, path);
        RunResult r = { TRUE };
        fprintf (stderr, "run %s: scoring %u held-out and %u val images\n", run, held->len,
                 val->len);
        if (!score_set (model, ds, held, threads, &r.held, &error)
            || !score_set (model, ds, val, threads, &r.val, &error)
            || !time_inference (model, timing_rgb, timing_h, timing_w, timing_runs, threads,
                                &r.infer_ms, &error))
          {
            rl_model_free (model);
            fprintf (stderr, "relabel: run %s: %s\n", run, error->message);
            status = 1;
            break;
          }
        rl_model_free (model);
        r.train_s = train_s;
        r.score_s = (g_get_monotonic_time () - s0) / 1e6;
        g_autoptr (JsonBuilder) b = json_builder_new ();
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "arch");
        json_builder_add_string_value (b, archs[a]);
        json_builder_set_member_name (b, "balancing");
        json_builder_add_string_value (b, bal[bi]->name);
        json_builder_set_member_name (b, "class_weight_power");
        json_builder_add_double_value (b, bal[bi]->power);
        json_builder_set_member_name (b, "budget");
        json_builder_add_string_value (b, budget_text);
        add_set (b, "heldout", &r.held, held);
        add_set (b, "val", &r.val, val);
        add_number (b, "inference_ms", r.infer_ms);
        json_builder_set_member_name (b, "timing_size");
        json_builder_add_string_value (b, timing_size != NULL ? timing_size : "360x480");
        add_number (b, "train_seconds", r.train_s);
        add_number (b, "score_seconds", r.score_s);
        json_builder_end_object (b);
        if (!write_json (res_path, b, &error))
          {
            fprintf (stderr, "relabel: %s\n", error->message);
            status = 1;
            break;
          }
        done++;
        fprintf (stderr, "run %s: held-out G %.1f C %.1f mIoU %.1f BF %.1f; val G %.1f C %.1f "
                         "mIoU %.1f BF %.1f; %.0f ms per image; %.0f s training, %.0f s "
                         "scoring\n", run, 100 * r.held.g, 100 * r.held.c, 100 * r.held.miou,
                 100 * r.held.bf, 100 * r.val.g, 100 * r.val.c, 100 * r.val.miou,
                 100 * r.val.bf, r.infer_ms, r.train_s, r.score_s);
        json_object_set_double_member (leg, "seconds",
                                       (g_get_monotonic_time () - started) / 1e6);
        if (!write_study (study_path, dataset_abs, budget_text, holdout, seed, engine_name,
                          legs, &error)
            || !write_table (out, &ti, &error))
          {
            fprintf (stderr, "relabel: %s\n", error->message);
            status = 1;
          }
      }
  json_object_set_double_member (leg, "seconds", (g_get_monotonic_time () - started) / 1e6);
  g_clear_error (&error);
  if (!write_study (study_path, dataset_abs, budget_text, holdout, seed, engine_name, legs,
                    &error)
      || !write_table (out, &ti, &error))
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  /* every finished run counts, also those after the one that stopped */
  done = 0;
  for (int bi = 0; bi < n_bal; bi++)
    for (int a = 0; a < n_arch; a++)
      {
        g_autofree char *run = g_strdup_printf ("%s-%s", archs[a], bal[bi]->name);
        g_autofree char *res = g_build_filename (out, "runs", run, "result.json", NULL);
        RunResult r;
        done += read_result (res, &r);
      }
  if (status != 0)
    {
      fprintf (stderr, "relabel: %d of %d runs finished; the table so far is %s/table.md; "
                       "continue with: %s%s\n", done, total_runs, out, command,
               resume ? "" : " --resume");
      return 1;
    }
  g_autofree char *table = g_build_filename (out, "table.md", NULL);
  printf ("%s: %d runs finished (%d kept from earlier); %s\n", out, total_runs, skipped, table);
  return 0;
}
