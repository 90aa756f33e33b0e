/* relabel finetune: retrains a project's model on its corrected masks (rl-finetune.h), writes the
 * new model file, stores it in the project as a new version and prints its scores before and
 * after on the held-out and the corrected images; says on stderr, in one line, why a version
 * that scored worse on the held-out images was not made current. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli-options.h"
#include "cli-stop.h"
#include "relabel-cli.h"
#include "rl-finetune.h"
#include "rl-project.h"

static void
progress (const RlFinetuneProgress *p, gpointer data)
{
  gboolean quiet = *(gboolean *) data;
  if (quiet)
    return;
  if (p->phase == RL_FINETUNE_PREPARE && p->done == p->total)
    fprintf (stderr, "labels written for %d images\n", p->total);
  else if (p->phase == RL_FINETUNE_EVAL && (p->done == 1 || p->done == p->total
                                            || p->done % 10 == 0))
    fprintf (stderr, "scoring image %d/%d at full resolution\n", p->done, p->total);
}

/* "G 84.0 %  mIoU 51.0 %" (in-sample marked) of one side of a score pair. */
static void
print_side (double g, double miou, gboolean in_sample)
{
  printf ("G %5.1f %%  mIoU %5.1f %%%s", 100 * g, 100 * miou, in_sample ? " (in-sample)" : "");
}

static void
print_scores (const char *what, const RlFinetuneScores *s)
{
  if (s->images == 0)
    {
      printf ("%-10s no images\n", what);
      return;
    }
  printf ("%-10s %3d images  before: ", what, s->images);
  print_side (s->before_g, s->before_miou, s->before_in_sample);
  printf ("  after: ");
  print_side (s->after_g, s->after_miou, s->after_in_sample);
  printf ("\n");
}

static double
member_double (JsonObject *o, const char *key)
{
  JsonNode *n = json_object_get_member (o, key);
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_double (n) : NAN;
}

/* Prints the stored metrics run: one summary line and the per-class accuracies. */
static void
print_metrics (const char *json, const char *split)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, json, -1, NULL))
    return;
  JsonObject *o = json_node_get_object (json_parser_get_root (parser));
  printf ("%s (%" G_GINT64_FORMAT " images, full resolution): G %.2f %%  C %.2f %%  "
          "mIoU %.2f %%  BF %.2f %%\n", split, json_object_get_int_member (o, "images"),
          100 * member_double (o, "global_accuracy"), 100 * member_double (o, "class_accuracy"),
          100 * member_double (o, "miou"), 100 * member_double (o, "bf"));
  JsonArray *per_class = json_object_get_array_member (o, "per_class");
  for (guint i = 0; per_class != NULL && i < json_array_get_length (per_class); i++)
    {
      JsonObject *c = json_array_get_object_element (per_class, i);
      printf ("  %-16s accuracy %6.2f %%  IoU %6.2f %%\n",
              json_object_get_string_member_with_default (c, "name", ""),
              100 * member_double (c, "accuracy"), 100 * member_double (c, "iou"));
    }
}

int
rl_cmd_finetune (int argc, char **argv)
{
  RlFinetuneOptions opt;
  rl_finetune_options_init (&opt);
  g_autofree char *project = NULL, *model = NULL, *out = NULL, *crop = NULL, *name = NULL;
  g_autofree char *split = NULL, *val_split = NULL, *engine = NULL;
  g_autofree char *iters_help = g_strdup_printf ("SGD steps (default %d)", opt.iters);
  g_autofree char *lr_help = g_strdup_printf ("Learning rate (default %g)", opt.lr);
  g_autofree char *share_help =
    g_strdup_printf ("Share of the training samples that are corrected images, by repeating them "
                     "(default %g)", opt.corrected_share);
  g_autofree char *heldout_help =
    g_strdup_printf ("At most N held-out images (default %d; 0: none, and the new version is "
                     "not made current)", opt.heldout_max);
  int iters = opt.iters, batch = opt.batch, threads = 0, heldout = opt.heldout_max;
  int train_last = opt.train_last;
  double lr = opt.lr, scale = opt.scale, share = opt.corrected_share;
  gint64 seed = 1;
  gboolean corrected_only = FALSE, quiet = FALSE, train_bn = FALSE;
  GOptionEntry entries[] = {
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project, "The project (*.relabel)", "P" },
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model,
      "Start from these weights (default: the project's current model)", "M.safetensors" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Also write the new model here",
      "M2.safetensors" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Name of the new model version", "NAME" },
    { "iters", 0, 0, G_OPTION_ARG_INT, &iters, iters_help, "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size (default 4)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, lr_help, "LR" },
    { "corrected-share", 0, 0, G_OPTION_ARG_DOUBLE, &share, share_help, "F" },
    { "heldout", 0, 0, G_OPTION_ARG_INT, &heldout, heldout_help, "N" },
    { "train-bn", 0, 0, G_OPTION_ARG_NONE, &train_bn,
      "Update the batch-norm statistics from the fine-tuning batches (default: keep the "
      "model's)", NULL },
    { "train-last", 0, 0, G_OPTION_ARG_INT, &train_last,
      "Only the last K convolutions learn, the others stay the model's (default 0: all)", "K" },
    { "crop", 0, 0, G_OPTION_ARG_STRING, &crop,
      "Random crops of HxW pixels after --scale (default 192x256; 0x0: none)", "HxW" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "Train at this scale (default 1)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default: all cores)", "T" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split,
      "Train on this split (default train, or every labelled image when train has none; "
      "* for all)", "SPLIT" },
    { "val-split", 0, 0, G_OPTION_ARG_STRING, &val_split,
      "Also score this split and store it as metrics (default none)", "SPLIT" },
    { "corrected-only", 0, 0, G_OPTION_ARG_NONE, &corrected_only,
      "Train only on images a human corrected or reviewed", NULL },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "S" },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &engine,
      "Training convolutions: auto, reference, fp32 or bf16", "PATH" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress lines", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx =
    g_option_context_new ("- fine-tune the project's model on its corrected masks");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!rl_cli_parse ("finetune", ctx, &argc, &argv))
    return 2;
  if (project == NULL || out == NULL)
    {
      fprintf (stderr, "relabel finetune: --project P and --out M2.safetensors are required\n");
      return 2;
    }
  if (iters < 1 || batch < 1 || batch > 256 || !(lr > 0) || !(scale > 0) || scale > 1
      || threads < 0 || !(share >= 0 && share < 1) || heldout < 0 || train_last < 0)
    {
      fprintf (stderr, "relabel finetune: an option is out of range (see --help)\n");
      return 2;
    }
  if (crop != NULL && strcmp (crop, "0x0") != 0
      && (sscanf (crop, "%dx%d", &opt.crop_h, &opt.crop_w) != 2 || opt.crop_h < 16
          || opt.crop_w < 16))
    {
      fprintf (stderr, "relabel finetune: --crop wants HxW of at least 16x16 (or 0x0), not '%s'\n",
               crop);
      return 2;
    }
  if (!rl_cli_engine_path ("finetune", engine, &opt.path))
    return 2;
  if (crop != NULL && strcmp (crop, "0x0") == 0)
    opt.crop_h = opt.crop_w = 0;
  opt.model = model;
  opt.out = out;
  opt.name = name;
  opt.train_split = split;
  opt.val_split = val_split;
  opt.corrected_only = corrected_only;
  opt.iters = iters;
  opt.batch = batch;
  opt.lr = lr;
  opt.scale = scale;
  opt.threads = threads;
  opt.seed = (guint64) seed;
  opt.quiet = quiet;
  opt.corrected_share = share;
  opt.heldout_max = heldout;
  opt.freeze_bn = !train_bn;
  opt.train_last = train_last;

  rl_cli_catch_stop_signals ();
  RlFinetuneCallbacks cb = { progress, rl_cli_should_stop, &quiet };
  RlFinetuneResult r;
  if (!rl_finetune_run (project, &opt, &cb, &r, &error))
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }

  printf ("version %" G_GINT64_FORMAT " stored in %s and written to %s\n", r.model_id, project,
          out);
  printf ("trained on %d images (%d corrected, each repeated %d times) in %.0f s in all\n",
          r.train_images, r.corrected.images, r.corrected_repeat, r.seconds);
  print_scores ("held-out", &r.heldout);
  print_scores ("corrected", &r.corrected);
  if (r.made_current)
    printf ("version %" G_GINT64_FORMAT " is now the project's current model\n", r.model_id);
  else
    fprintf (stderr, "relabel: %s\n", r.reason);
  const char *vs = val_split;
  if (vs != NULL && vs[0] != '\0')
    {
      g_autoptr (RlProject) p = rl_project_open (project, FALSE, &error);
      g_autofree char *metrics = p ? rl_project_get_metrics (p, r.model_id, vs) : NULL;
      if (metrics != NULL)
        print_metrics (metrics, vs);
      else
        printf ("no labelled '%s' images: no metrics stored\n", vs);
    }
  rl_finetune_result_clear (&r);
  return 0;
}
