/* relabel train: trains a SegNet on a dataset with the engine, the paper's recipe by default.
 * Ctrl+C (SIGINT) or SIGTERM writes a checkpoint before exiting; --resume continues exactly. */
#include <errno.h>
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "cli-options.h"
#include "cli-stop.h"
#include "relabel-cli.h"
#include "rl-dataset.h"
#include "rl-train-loop.h"

int
rl_cmd_train (int argc, char **argv)
{
  RlTrainOptions opt;
  rl_train_options_init (&opt);
  g_autofree char *dataset = NULL, *arch = NULL, *out = NULL, *init = NULL, *resume = NULL;
  g_autofree char *crop = NULL, *val_split = NULL, *engine = NULL, *log = NULL;
  g_autofree char *checkpoint = NULL;
  int epochs = 0, iters = 0, batch = opt.batch, threads = 0, val_every = 1, val_images = 0;
  double lr = opt.lr, scale = 1.0, ckpt_minutes = opt.checkpoint_minutes;
  double cw_power = opt.class_weight_power;
  gint64 seed = 1;
  gboolean no_flip = FALSE, quiet = FALSE;
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "camvid:PATH, sunrgbd:PATH or folder:PATH",
      "KIND:PATH" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "segnet-basic (default) or segnet", "ARCH" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Model file to write (best epoch by val G)",
      "M.safetensors" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init, "Start from these weights", "M0.safetensors" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, "Continue from a checkpoint folder",
      "CKPT" },
    { "checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &checkpoint,
      "Checkpoint folder to write (default OUT.ckpt)", "CKPT" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs (default 100)", "E" },
    { "iters", 0, 0, G_OPTION_ARG_INT, &iters, "Total SGD steps (instead of epochs)", "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Batch size (default 4)", "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "Learning rate (default 0.1)", "LR" },
    { "class-weight-power", 0, 0, G_OPTION_ARG_DOUBLE, &cw_power,
      "Median-frequency class weights raised to P: 1 (default), 0.5 softer, 0 none", "P" },
    { "crop", 0, 0, G_OPTION_ARG_STRING, &crop, "Random crops of HxW pixels", "HxW" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "Scale images by S first (default 1)", "S" },
    { "no-flip", 0, 0, G_OPTION_ARG_NONE, &no_flip, "No random horizontal flips", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default: all cores)", "T" },
    { "val-split", 0, 0, G_OPTION_ARG_STRING, &val_split,
      "Split validated every epoch (default val; \"\" for none)", "SPLIT" },
    { "val-every", 0, 0, G_OPTION_ARG_INT, &val_every, "Validate every N epochs", "N" },
    { "val-images", 0, 0, G_OPTION_ARG_INT, &val_images, "Validate on the first N images", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Random seed (default 1)", "S" },
    { "checkpoint-minutes", 0, 0, G_OPTION_ARG_DOUBLE, &ckpt_minutes,
      "Minutes between checkpoints (default 5)", "M" },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &engine, "auto, reference, fp32 or bf16", "PATH" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &log, "JSON-lines log (default OUT.log.jsonl)",
      "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress lines", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- train a SegNet on a dataset");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!rl_cli_parse ("train", ctx, &argc, &argv))
    return 2;
  if (dataset == NULL || out == NULL || strchr (dataset, ':') == NULL)
    {
      fprintf (stderr, "relabel train: --dataset KIND:PATH and --out M.safetensors are required\n");
      return 2;
    }
  if (epochs < 0 || iters < 0 || batch < 1 || batch > 256 || !(lr > 0) || !(scale > 0)
      || scale > 1 || threads < 0 || val_every < 1 || val_images < 0 || !(ckpt_minutes > 0)
      || !(cw_power >= 0 && cw_power <= 2))
    {
      fprintf (stderr, "relabel train: an option is out of range (see --help)\n");
      return 2;
    }
  if (crop != NULL && (sscanf (crop, "%dx%d", &opt.crop_h, &opt.crop_w) != 2 || opt.crop_h < 16
                       || opt.crop_w < 16))
    {
      fprintf (stderr, "relabel train: --crop wants HxW of at least 16x16, not '%s'\n", crop);
      return 2;
    }
  if (!rl_cli_engine_path ("train", engine, &opt.path))
    return 2;
  if (arch != NULL && strcmp (arch, "segnet-basic") != 0 && strcmp (arch, "segnet") != 0)
    {
      fprintf (stderr, "relabel train: --arch wants segnet-basic or segnet\n");
      return 2;
    }

  g_autofree char *kind = g_strndup (dataset, strchr (dataset, ':') - dataset);
  const char *path = strchr (dataset, ':') + 1;
  g_autoptr (RlDataset) ds = rl_dataset_load (kind, path, &error);
  if (ds == NULL)
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return error->domain == RL_DATASET_ERROR && error->code == RL_DATASET_ERROR_KIND ? 2 : 1;
    }
  for (guint i = 0; i < ds->problems->len; i++)
    fprintf (stderr, "relabel: warning: %s\n", (char *) g_ptr_array_index (ds->problems, i));

  if (arch != NULL)
    opt.arch = arch;
  opt.out = out;
  opt.init = init;
  opt.resume = resume;
  opt.checkpoint = checkpoint;
  opt.log = log;
  if (val_split != NULL)
    opt.val_split = val_split;
  opt.epochs = epochs > 0 ? epochs : opt.epochs;
  opt.iters = iters;
  opt.batch = batch;
  opt.lr = lr;
  opt.class_weight_power = cw_power;
  opt.scale = scale;
  opt.flip = !no_flip;
  opt.seed = (guint64) seed;
  opt.threads = threads;
  opt.checkpoint_minutes = ckpt_minutes;
  opt.val_every = val_every;
  opt.val_max_images = val_images;
  opt.quiet = quiet;

  rl_cli_catch_stop_signals ();
  RlTrainCallbacks cb = { NULL, rl_cli_should_stop, NULL };
  if (!rl_train_run (ds, &opt, &cb, &error))
    {
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  return 0;
}
