/* relabel eval: the SegNet paper's metrics (G, C, mIoU, BF, per class, confusion, per image) of a
 * folder of predicted label PNGs against a folder of ground-truth label PNGs. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli-options.h"
#include "relabel-cli.h"
#include "rl-metrics-json.h"
#include "rl-class-spec.h"
#include "rl-image-io.h"
#include "rl-metrics.h"
#include "rl-project-eval.h"

#define USAGE "usage: relabel eval (--gt DIR --pred DIR (--classes K [--ignore I] | " \
              "--dataset camvid|sunrgbd) | --project P [--model VERSION] [--split S] " \
              "[--labels current|original] [--cell A,B]) [--json] [--threads T]"

/* One worker's share: images lo..hi-1, accumulated into its own RlMetrics. */
typedef struct
{
  GPtrArray *gt_paths;     /* borrowed */
  GPtrArray *pred_paths;   /* borrowed */
  guint lo, hi;
  RlMetrics *metrics;      /* owned */
  GError *error;           /* owned: the first failure of this chunk */
} EvalChunk;

static gpointer
eval_chunk_run (gpointer data)
{
  EvalChunk *chunk = data;

  for (guint i = chunk->lo; i < chunk->hi; i++)
    {
      const char *gt_path = chunk->gt_paths->pdata[i];
      const char *pred_path = chunk->pred_paths->pdata[i];
      g_autofree guint8 *truth = NULL, *pred = NULL;
      int tw, th, pw, ph;
      if (!rl_label_read (gt_path, &tw, &th, &truth, &chunk->error)
          || !rl_label_read (pred_path, &pw, &ph, &pred, &chunk->error))
        return NULL;
      if (tw != pw || th != ph)
        {
          g_set_error (&chunk->error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_SIZE,
                       "%s: size %dx%d differs from the ground truth %s (%dx%d)", pred_path, pw,
                       ph, gt_path, tw, th);
          return NULL;
        }
      RlError err;
      if (rl_metrics_add_image (chunk->metrics, truth, pred, th, tw, &err) != RL_OK)
        {
          g_set_error (&chunk->error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE, "%s: %s", gt_path,
                       err.text);
          return NULL;
        }
    }
  return NULL;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Label PNGs of dir by base name (file name without its extension), sorted. */
static GPtrArray *
list_labels (const char *dir, GHashTable **by_base, GError **error)
{
  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no such folder");
      return NULL;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR, "not a folder");
      return NULL;
    }
  g_autoptr (GDir) d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      const char *dot = strrchr (name, '.');
      if (name[0] == '.' || dot == NULL || g_ascii_strcasecmp (dot, ".png") != 0)
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  *by_base = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < names->len; i++)
    {
      const char *file = names->pdata[i];
      char *base = g_strndup (file, strrchr (file, '.') - file);
      if (g_hash_table_contains (*by_base, base))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                       "%s/%s: two label files share the name %s (%s)", dir, file, base,
                       (const char *) g_hash_table_lookup (*by_base, base));
          g_free (base);
          g_clear_pointer (by_base, g_hash_table_unref);
          return NULL;
        }
      g_hash_table_insert (*by_base, base, g_strdup (file));
    }
  return g_steal_pointer (&names);
}

static gboolean
parse_int (const char *text, gint64 lo, gint64 hi, gint64 *out)
{
  return text != NULL && g_ascii_string_to_signed (text, 10, lo, hi, out, NULL);
}

static const char *
class_name (const RlClassSpec *spec, int c)
{
  return spec != NULL && c < spec->n_classes ? spec->classes[c].name : NULL;
}

/* A percentage with two decimals, or n/a for an empty denominator. */
static const char *
pct (char *buf, gsize len, double v)
{
  if (isnan (v))
    g_strlcpy (buf, "n/a", len);
  else
    g_snprintf (buf, len, "%.2f", 100.0 * v);
  return buf;
}

static void
print_text (const RlMetrics *m, const RlClassSpec *spec)
{
  int K = rl_metrics_n_classes (m), ignore = rl_metrics_ignore_index (m);
  char a[32], b[32], c[32];
  printf ("%" G_GINT64_FORMAT " images, %d classes, void: ", rl_metrics_n_images (m), K);
  if (ignore >= 0 && ignore < K)
    printf ("%d and values >= %d\n", ignore, K);
  else
    printf ("values >= %d\n", K);
  printf ("\n  global accuracy G     %7s %%\n", pct (a, sizeof a, rl_metrics_global_accuracy (m)));
  printf ("  class average C       %7s %%\n", pct (a, sizeof a, rl_metrics_class_accuracy (m)));
  printf ("  mean IoU              %7s %%\n", pct (a, sizeof a, rl_metrics_miou (m)));
  printf ("  boundary F1 (BF)      %7s %%\n\n", pct (a, sizeof a, rl_metrics_bf (m)));
  printf ("  %3s  %-16s %9s %9s %9s %12s\n", "#", "class", "accuracy", "IoU", "BF", "pixels");
  for (int k = 0; k < K; k++)
    {
      if (k == ignore)
        continue;
      RlClassScores s;
      rl_metrics_class (m, k, &s);
      const char *name = class_name (spec, k);
      printf ("  %3d  %-16s %9s %9s %9s %12" G_GINT64_FORMAT "\n", k, name ? name : "",
              pct (a, sizeof a, s.accuracy), pct (b, sizeof b, s.iou), pct (c, sizeof c, s.bf),
              s.pixels);
    }
  printf ("\nConfusion matrix (pixels; rows: truth, columns: prediction)\n");
  const int64_t *conf = rl_metrics_confusion (m);
  for (int i = 0; i < K; i++)
    {
      if (i == ignore)
        continue;
      printf ("  %3d ", i);
      for (int j = 0; j < K; j++)
        if (j != ignore)
          printf (" %9" G_GINT64_FORMAT, conf[(gsize) i * K + j]);
      printf ("\n");
    }
}

static void
eval_progress (guint done, guint total, gpointer data)
{
  if (done == total || done % 10 == 0)
    fprintf (stderr, "scoring image %u/%u\n", done, total);
}

/* relabel eval --project: one model version of the project on one split and label set, the
 * predictions it has not made yet made and stored, the result stored as a metrics run. */
/* --cell A,B: the images with pixels labelled A and predicted B, most first. */
static int
print_cell (const RlEvalResult *r, int truth, int pred, gboolean json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) hits = rl_eval_images_for_cell (r->json, truth, pred, &error);
  if (hits == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_array (b);
  for (guint i = 0; i < hits->len; i++)
    {
      const RlCellImage *h = &g_array_index (hits, RlCellImage, i);
      if (!json)
        {
          printf ("%s\t%" G_GINT64_FORMAT "%s\n", h->name, h->pixels,
                  h->in_sample ? "\tin-sample" : "");
          continue;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "image");
      json_builder_add_string_value (b, h->name);
      json_builder_set_member_name (b, "pixels");
      json_builder_add_int_value (b, h->pixels);
      json_builder_set_member_name (b, "in_sample");
      json_builder_add_boolean_value (b, h->in_sample);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (json)
    rl_cli_print_json (b);
  return 0;
}

static int
eval_project (const char *project_path, const char *version, const char *split,
              const char *labels, gboolean json, int threads, const char *cell)
{
  int cell_a = -1, cell_b = -1;
  if (cell != NULL)
    {
      g_auto (GStrv) ab = g_strsplit (cell, ",", 3);
      gint64 a, b;
      if (g_strv_length (ab) != 2 || !parse_int (ab[0], 0, 256, &a) || !parse_int (ab[1], 0, 256, &b))
        {
          fprintf (stderr, "relabel eval: --cell wants TRUTH,PREDICTION class numbers, not "
                   "'%s'\n", cell);
          return 2;
        }
      cell_a = (int) a;
      cell_b = (int) b;
    }
  RlEvalOptions opt;
  rl_eval_options_init (&opt);
  opt.split = split;
  opt.threads = threads;
  opt.store = cell == NULL;   /* a query of one cell is not a new metrics run */
  if (labels == NULL || g_strcmp0 (labels, "current") == 0)
    opt.labels = RL_MASK_CURRENT;
  else if (g_strcmp0 (labels, "original") == 0)
    opt.labels = RL_MASK_ORIGINAL;
  else
    {
      fprintf (stderr, "relabel eval: --labels '%s' is not current or original\n", labels);
      return 2;
    }
  g_autoptr (GError) error = NULL;
  if (version != NULL)
    {
      g_autoptr (RlProject) project = rl_project_open (project_path, FALSE, &error);
      if (project == NULL || (opt.model_id = rl_project_find_model (project, version,
                                                                     &error)) == 0)
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
    }
  RlEvalResult *r = rl_project_evaluate (project_path, &opt, eval_progress, NULL, NULL, &error);
  if (r == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  if (cell != NULL)
    {
      int st = print_cell (r, cell_a, cell_b, json);
      rl_eval_result_free (r);
      return st;
    }
  if (json)
    printf ("%s\n", r->json);
  else
    {
      printf ("model version %" G_GINT64_FORMAT " (%s) on %s, %s labels: %u images",
              r->model_id, r->model_name, split != NULL ? split : "every split",
              opt.labels == RL_MASK_ORIGINAL ? "original" : "current", r->n_images);
      if (r->n_in_sample > 0)
        printf (", %u of them in-sample (the version or one it descends from trained on them: "
                "their scores are optimistic)", r->n_in_sample);
      printf ("\n");
      g_autoptr (RlProject) project = rl_project_open (project_path, FALSE, NULL);
      print_text (r->metrics, project != NULL ? rl_project_get_class_spec (project) : NULL);
    }
  if (r->n_skipped > 0)
    fprintf (stderr, "relabel eval: note: %u image%s without %s labels or with a missing file "
             "skipped\n", r->n_skipped, r->n_skipped == 1 ? "" : "s",
             opt.labels == RL_MASK_ORIGINAL ? "original" : "current");
  rl_eval_result_free (r);
  return 0;
}

int
rl_cmd_eval (int argc, char **argv)
{
  g_autofree char *gt_dir = NULL, *pred_dir = NULL, *classes_arg = NULL, *ignore_arg = NULL;
  g_autofree char *dataset = NULL, *threads_arg = NULL;
  g_autofree char *project = NULL, *model = NULL, *split = NULL, *labels = NULL;
  g_autofree char *cell = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "gt", 0, 0, G_OPTION_ARG_FILENAME, &gt_dir, "Folder of ground-truth label PNGs", "DIR" },
    { "pred", 0, 0, G_OPTION_ARG_FILENAME, &pred_dir,
      "Folder of predicted label PNGs (same base names)", "DIR" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &classes_arg, "Number of classes K (1..256)", "K" },
    { "ignore", 0, 0, G_OPTION_ARG_STRING, &ignore_arg,
      "Void label value (-1: none; values >= K are always void)", "I" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset,
      "camvid (K 11, void 11) or sunrgbd (K 38, void 0): also names the classes", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print JSON (fractions 0..1; null where a denominator is empty)", NULL },
    { "threads", 0, 0, G_OPTION_ARG_STRING, &threads_arg, "Worker threads (default: CPUs)",
      "T" },
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project,
      "Score a model version of this project instead (stored for the dashboard)", "P" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model,
      "With --project: the version, by id or name (default: the current one)", "VERSION" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split,
      "With --project: only this split's images (default: every split)", "S" },
    { "labels", 0, 0, G_OPTION_ARG_STRING, &labels,
      "With --project: score against the current (corrected, default) or original labels",
      "current|original" },
    { "cell", 0, 0, G_OPTION_ARG_STRING, &cell,
      "With --project: list the images with pixels labelled A and predicted B, most first "
      "(B = K: void predictions)", "A,B" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- evaluate predicted labels");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "relabel eval: %s\n", error->message);
      return 2;
    }
  if (project != NULL)
    {
      if (argc != 1 || gt_dir != NULL || pred_dir != NULL || classes_arg != NULL
          || dataset != NULL || ignore_arg != NULL)
        {
          fprintf (stderr, "relabel eval: " USAGE "\n");
          return 2;
        }
      gint64 t = 0;
      if (threads_arg != NULL && !parse_int (threads_arg, 1, 256, &t))
        {
          fprintf (stderr, "relabel eval: --threads '%s' is not a number in 1..256\n",
                   threads_arg);
          return 2;
        }
      return eval_project (project, model, split, labels, json, (int) t, cell);
    }
  if (model != NULL || split != NULL || labels != NULL || cell != NULL)
    {
      fprintf (stderr, "relabel eval: --model, --split, --labels and --cell need --project\n");
      return 2;
    }
  if (argc != 1 || gt_dir == NULL || pred_dir == NULL
      || (classes_arg == NULL && dataset == NULL))
    {
      fprintf (stderr, "relabel eval: " USAGE "\n");
      return 2;
    }

  g_autoptr (RlClassSpec) spec = NULL;
  int K = 0, ignore = -1;
  if (dataset != NULL)
    {
      if (g_strcmp0 (dataset, "camvid") == 0)
        spec = rl_class_spec_camvid ();
      else if (g_strcmp0 (dataset, "sunrgbd") == 0)
        spec = rl_class_spec_sunrgbd ();
      else
        {
          fprintf (stderr, "relabel eval: unknown dataset '%s' (camvid, sunrgbd)\n", dataset);
          return 2;
        }
      K = spec->n_classes;
      ignore = spec->ignore_index;
    }
  gint64 v;
  if (classes_arg != NULL)
    {
      if (!parse_int (classes_arg, 1, 256, &v))
        {
          fprintf (stderr, "relabel eval: --classes '%s' is not a number in 1..256\n",
                   classes_arg);
          return 2;
        }
      K = (int) v;
    }
  if (ignore_arg != NULL)
    {
      if (!parse_int (ignore_arg, -1, 255, &v))
        {
          fprintf (stderr, "relabel eval: --ignore '%s' is not a number in -1..255\n",
                   ignore_arg);
          return 2;
        }
      ignore = (int) v;
    }
  guint n_threads = g_get_num_processors ();
  if (threads_arg != NULL)
    {
      if (!parse_int (threads_arg, 1, 256, &v))
        {
          fprintf (stderr, "relabel eval: --threads '%s' is not a number in 1..256\n",
                   threads_arg);
          return 2;
        }
      n_threads = (guint) v;
    }

  /* Pair every ground truth with the prediction of the same base name. */
  g_autoptr (GHashTable) gt_by_base = NULL, pred_by_base = NULL;
  g_autoptr (GPtrArray) gt_files = list_labels (gt_dir, &gt_by_base, &error);
  if (gt_files == NULL)
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST))
        fprintf (stderr, "relabel: %s\n", error->message);
      else
        fprintf (stderr, "relabel: %s: cannot open the ground-truth folder: %s\n", gt_dir,
                 error->message);
      return 1;
    }
  g_autoptr (GPtrArray) pred_files = list_labels (pred_dir, &pred_by_base, &error);
  if (pred_files == NULL)
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST))
        fprintf (stderr, "relabel: %s\n", error->message);
      else
        fprintf (stderr, "relabel: %s: cannot open the prediction folder: %s\n", pred_dir,
                 error->message);
      return 1;
    }
  if (gt_files->len == 0)
    {
      fprintf (stderr, "relabel: %s: no label PNG files\n", gt_dir);
      return 1;
    }
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) gt_paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) pred_paths = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < gt_files->len; i++)
    {
      const char *file = gt_files->pdata[i];
      char *base = g_strndup (file, strrchr (file, '.') - file);
      const char *pred = g_hash_table_lookup (pred_by_base, base);
      if (pred == NULL)
        {
          fprintf (stderr, "relabel: %s/%s.png: missing prediction for %s/%s\n", pred_dir, base,
                   gt_dir, file);
          g_free (base);
          return 1;
        }
      g_ptr_array_add (names, base);
      g_ptr_array_add (gt_paths, g_build_filename (gt_dir, file, NULL));
      g_ptr_array_add (pred_paths, g_build_filename (pred_dir, pred, NULL));
    }

  /* Contiguous chunks, one accumulator each, merged in order: results do not depend on T. */
  guint n = gt_paths->len;
  n_threads = MIN (n_threads, n);
  g_autofree EvalChunk *chunks = g_new0 (EvalChunk, n_threads);
  g_autofree GThread **threads = g_new0 (GThread *, n_threads);
  for (guint t = 0; t < n_threads; t++)
    {
      chunks[t].gt_paths = gt_paths;
      chunks[t].pred_paths = pred_paths;
      chunks[t].lo = (guint) ((guint64) n * t / n_threads);
      chunks[t].hi = (guint) ((guint64) n * (t + 1) / n_threads);
      chunks[t].metrics = rl_metrics_new (K, ignore);
      if (chunks[t].metrics == NULL)
        g_error ("out of memory");
    }
  for (guint t = 1; t < n_threads; t++)
    {
      threads[t] = g_thread_try_new ("eval", eval_chunk_run, &chunks[t], NULL);
      if (threads[t] == NULL)   /* no thread: do the work here */
        eval_chunk_run (&chunks[t]);
    }
  eval_chunk_run (&chunks[0]);
  for (guint t = 1; t < n_threads; t++)
    if (threads[t] != NULL)
      g_thread_join (threads[t]);

  int status = 0;
  RlMetrics *all = chunks[0].metrics;
  for (guint t = 0; t < n_threads; t++)
    {
      if (status == 0 && chunks[t].error != NULL)
        {
          fprintf (stderr, "relabel: %s\n", chunks[t].error->message);
          status = 1;
        }
      RlError err;
      if (status == 0 && t > 0 && rl_metrics_merge (all, chunks[t].metrics, &err) != RL_OK)
        {
          fprintf (stderr, "relabel: %s: %s\n", gt_dir, err.text);
          status = 1;
        }
    }
  if (status == 0)
    {
      if (json)
        {
          g_autofree char *text = rl_metrics_to_json (all, spec,
                                                      (const char *const *) names->pdata, TRUE);
          printf ("%s\n", text);
        }
      else
        print_text (all, spec);
      if (pred_files->len > gt_files->len)
        fprintf (stderr, "relabel eval: note: %u prediction%s without ground truth ignored\n",
                 pred_files->len - gt_files->len,
                 pred_files->len - gt_files->len == 1 ? "" : "s");
    }
  for (guint t = 0; t < n_threads; t++)
    {
      rl_metrics_free (chunks[t].metrics);
      g_clear_error (&chunks[t].error);
    }
  return status;
}
