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
#include "rl-net.h"
#include "rl-new-model.h"
#include "rl-train-loop.h"

/* "A,B" as two numbers, whatever the locale's decimal point. */
static gboolean
parse_range (const char *s, double *a, double *b)
{
  char *end;
  *a = g_ascii_strtod (s, &end);
  if (end == s || *end != ',')
    return FALSE;
  const char *t = end + 1;
  *b = g_ascii_strtod (t, &end);
  return end != t && *end == '\0';
}

int
rl_cmd_train (int argc, char **argv)
{
  /* --project: a new model from the project's labels (rl-new-model.h), whose defaults are the
   * learning-loop recipe rather than the paper's. */
  RlNewModelOptions nm;
  rl_new_model_options_init (&nm);
  gboolean for_project = FALSE;
  for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
    for_project = for_project || strcmp (argv[i], "--project") == 0
                  || g_str_has_prefix (argv[i], "--project=");
  RlTrainOptions opt;
  if (for_project)
    opt = nm.train;
  else
    rl_train_options_init (&opt);
  g_autofree char *project = NULL, *name = NULL, *split = NULL;
  gboolean make_current = FALSE;
  g_autofree char *dataset = NULL, *arch = NULL, *out = NULL, *init = NULL, *resume = NULL;
  g_autofree char *crop = NULL, *val_split = NULL, *engine = NULL, *log = NULL;
  g_autofree char *checkpoint = NULL, *holdout = NULL, *random_scale = NULL;
  g_autofree char *convention = NULL, *init_encoder = NULL, *input_norm = NULL;
  int epochs = 0, iters = 0, batch = opt.batch, threads = 0, val_every = 1, val_images = 0;
  double lr = opt.lr, scale = 1.0, ckpt_minutes = opt.checkpoint_minutes;
  double cw_power = opt.class_weight_power;
  double wd = opt.weight_decay, momentum = opt.momentum, lr_poly = opt.lr_poly;
  double brightness = opt.brightness, contrast = opt.contrast, saturation = opt.saturation;
  double gamma = opt.gamma;
  int holdout_images = 0, stop_after = 0;
  gint64 seed = 1;
  gboolean no_flip = FALSE, quiet = FALSE;
  GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "camvid:PATH, sunrgbd:PATH or folder:PATH",
      "KIND:PATH" },
    { "project", 0, 0, G_OPTION_ARG_FILENAME, &project,
      "Instead of --dataset: train a new model from scratch on this project's labelled images "
      "(learning-loop recipe by default: --iters 2000 --crop 192x256 --random-scale 0.75,1.25 "
      "--brightness/contrast/saturation/gamma 0.25 --lr 0.02 --lr-poly 0.9 "
      "--class-weight-power 0.5) and store it as a model version", "P" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "--project: the version's name", "NAME" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split,
      "Train on these splits (--dataset: comma-separated, default train; --project: one "
      "split's labelled images, default every split)", "SPLIT" },
    { "make-current", 0, 0, G_OPTION_ARG_NONE, &make_current,
      "--project: make the new version current even when the project has one", NULL },
    { "label-convention", 0, 0, G_OPTION_ARG_STRING, &convention,
      "How label values number the classes: 1-based (0 = void; SUN RGB-D's default), "
      "1-based-255 or 0-based-255 (255 = void)", "CONV" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "segnet-basic (default), segnet or one of the "
      "decoder variants of SegNet's Table 1 (fcn-basic, bilinear-interpolation, ...: "
      "an unknown name prints the list)", "ARCH" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out,
      "Model file to write (best epoch by val G, or by the held-out figures)", "M.safetensors" },
    { "init", 0, 0, G_OPTION_ARG_FILENAME, &init, "Start from these weights", "M0.safetensors" },
    { "init-encoder", 0, 0, G_OPTION_ARG_FILENAME, &init_encoder,
      "Start from this model's layers that fit (encoder, decoder; its classifier only if it has "
      "as many classes), the rest He-initialised: e.g. the CamVid model for 37 indoor classes",
      "M0.safetensors" },
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
    { "lr-poly", 0, 0, G_OPTION_ARG_DOUBLE, &lr_poly,
      "Poly decay: lr * (1 - iter/total)^P each step (default 0: constant)", "P" },
    { "momentum", 0, 0, G_OPTION_ARG_DOUBLE, &momentum, "SGD momentum (default 0.9)", "M" },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "Weight decay (default 5e-4)", "WD" },
    { "crop", 0, 0, G_OPTION_ARG_STRING, &crop, "Random crops of HxW pixels", "HxW" },
    { "random-scale", 0, 0, G_OPTION_ARG_STRING, &random_scale,
      "Scale each crop by a random factor in [MIN, MAX] (e.g. 0.75,1.25)", "MIN,MAX" },
    { "brightness", 0, 0, G_OPTION_ARG_DOUBLE, &brightness,
      "Random brightness factor in [1-B, 1+B] (default 0: off)", "B" },
    { "contrast", 0, 0, G_OPTION_ARG_DOUBLE, &contrast,
      "Random contrast factor in [1-C, 1+C] around the crop's mean grey", "C" },
    { "saturation", 0, 0, G_OPTION_ARG_DOUBLE, &saturation,
      "Random saturation factor in [1-S, 1+S]", "S" },
    { "gamma", 0, 0, G_OPTION_ARG_DOUBLE, &gamma,
      "Random gamma (1+G)^u, u uniform in [-1, 1]", "G" },
    { "input-norm", 0, 0, G_OPTION_ARG_STRING, &input_norm,
      "Input normalisation stored in the model: dataset (the training images' mean and std, "
      "the default) or image (each image's channels standardised: robust to lighting)",
      "dataset|image" },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &scale, "Scale images by S first (default 1)", "S" },
    { "no-flip", 0, 0, G_OPTION_ARG_NONE, &no_flip, "No random horizontal flips", NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default: all cores)", "T" },
    { "val-split", 0, 0, G_OPTION_ARG_STRING, &val_split,
      "Split validated every epoch (default val; \"\" for none)", "SPLIT" },
    { "val-every", 0, 0, G_OPTION_ARG_INT, &val_every, "Validate every N epochs", "N" },
    { "val-images", 0, 0, G_OPTION_ARG_INT, &val_images, "Validate on the first N images", "N" },
    { "holdout-sequences", 0, 0, G_OPTION_ARG_STRING, &holdout,
      "Hold these sequences (name prefix before '_') out of training, score them at each "
      "validation and choose the best epoch by their (G + mIoU) / 2", "SEQ[,SEQ]" },
    { "holdout-images", 0, 0, G_OPTION_ARG_INT, &holdout_images,
      "Score N evenly spaced held-out images (default all)", "N" },
    { "stop-after", 0, 0, G_OPTION_ARG_INT, &stop_after,
      "Stop at step N as SIGTERM would (checkpoint written; resume with --resume)", "N" },
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
  if (project != NULL && iters == 0 && epochs == 0)
    iters = nm.train.iters;
  if (project != NULL && dataset != NULL)
    {
      fprintf (stderr, "relabel train: --project and --dataset exclude each other\n");
      return 2;
    }
  if (project == NULL && (name != NULL || make_current))
    {
      fprintf (stderr, "relabel train: --name and --make-current go with --project\n");
      return 2;
    }
  if (project == NULL && (dataset == NULL || out == NULL || strchr (dataset, ':') == NULL))
    {
      fprintf (stderr, "relabel train: --dataset KIND:PATH and --out M.safetensors are required\n");
      return 2;
    }
  if (epochs < 0 || iters < 0 || batch < 1 || batch > 256 || !(lr > 0) || !(scale > 0)
      || scale > 1 || threads < 0 || val_every < 1 || val_images < 0 || !(ckpt_minutes > 0)
      || !(cw_power >= 0 && cw_power <= 2) || !(wd >= 0 && wd < 1)
      || !(momentum >= 0 && momentum < 1) || !(lr_poly >= 0 && lr_poly <= 10)
      || !(brightness >= 0 && brightness < 1) || !(contrast >= 0 && contrast < 1)
      || !(saturation >= 0 && saturation <= 1) || !(gamma >= 0 && gamma <= 2)
      || holdout_images < 0 || stop_after < 0)
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
  if (random_scale != NULL
      && (!parse_range (random_scale, &opt.scale_min, &opt.scale_max)
          || !(opt.scale_min >= 0.25 && opt.scale_min <= opt.scale_max && opt.scale_max <= 4)))
    {
      fprintf (stderr, "relabel train: --random-scale wants MIN,MAX with 0.25 <= MIN <= MAX <= 4, "
               "not '%s'\n", random_scale);
      return 2;
    }
  if (holdout != NULL && !g_regex_match_simple ("^[A-Za-z0-9.-]+(,[A-Za-z0-9.-]+)*$", holdout, 0, 0))
    {
      fprintf (stderr, "relabel train: --holdout-sequences wants names separated by commas, "
               "not '%s'\n", holdout);
      return 2;
    }
  if (init_encoder != NULL && (init != NULL || resume != NULL))
    {
      fprintf (stderr, "relabel train: --init-encoder excludes --init and --resume\n");
      return 2;
    }
  if (!rl_cli_engine_path ("train", engine, &opt.path))
    return 2;
  if (input_norm != NULL && !rl_input_norm_from_name (input_norm, &opt.input_norm))
    {
      fprintf (stderr, "relabel train: --input-norm wants dataset or image, not '%s'\n",
               input_norm);
      return 2;
    }
  if (arch != NULL && !rl_net_arch_known (arch))
    {
      g_autofree char *names = g_strjoinv (", ", (char **) rl_net_arch_names ());
      fprintf (stderr, "relabel train: --arch wants one of %s, not '%s'\n", names, arch);
      return 2;
    }

  g_autoptr (RlDataset) ds = NULL;
  if (project == NULL)
    {
      g_autofree char *kind = g_strndup (dataset, strchr (dataset, ':') - dataset);
      const char *path = strchr (dataset, ':') + 1;
      RlDatasetOptions dopt = { RL_LABEL_CONVENTION_UNSET, "--label-convention" };
      if (convention != NULL && !rl_label_convention_parse (convention, &dopt.label_convention))
        {
          fprintf (stderr, "relabel train: --label-convention wants 1-based, 1-based-255 or "
                           "0-based-255, not '%s'\n", convention);
          return 2;
        }
      ds = rl_dataset_load_with (kind, path, &dopt, &error);
      if (ds == NULL)
        {
          fprintf (stderr, "relabel: %s\n", error->message);
          return error->domain == RL_DATASET_ERROR && error->code == RL_DATASET_ERROR_KIND ? 2 : 1;
        }
      for (guint i = 0; i < ds->problems->len; i++)
        fprintf (stderr, "relabel: warning: %s\n", (char *) g_ptr_array_index (ds->problems, i));
      g_autofree char *how = rl_dataset_describe_labels (ds);
      if (how != NULL && !quiet)
        fprintf (stderr, "relabel: %s\n", how);
    }
  else if (convention != NULL || init != NULL || resume != NULL || holdout != NULL
           || val_split != NULL)
    {
      fprintf (stderr, "relabel train: --project trains from scratch on the project's current "
                       "masks: --label-convention, --init, --resume, --holdout-sequences and "
                       "--val-split do not apply\n");
      return 2;
    }

  if (arch != NULL)
    opt.arch = arch;
  opt.out = out;
  opt.init = init;
  opt.init_encoder = init_encoder;
  opt.resume = resume;
  opt.checkpoint = checkpoint;
  opt.log = log;
  if (val_split != NULL)
    opt.val_split = val_split;
  if (project == NULL && split != NULL)
    opt.train_split = split;
  opt.epochs = epochs > 0 ? epochs : opt.epochs;
  opt.iters = iters;
  opt.batch = batch;
  opt.lr = lr;
  opt.class_weight_power = cw_power;
  opt.weight_decay = wd;
  opt.momentum = momentum;
  opt.lr_poly = lr_poly;
  opt.brightness = brightness;
  opt.contrast = contrast;
  opt.saturation = saturation;
  opt.gamma = gamma;
  opt.holdout_sequences = holdout;
  opt.holdout_max_images = holdout_images;
  opt.scale = scale;
  opt.flip = !no_flip;
  opt.seed = (guint64) seed;
  opt.threads = threads;
  opt.checkpoint_minutes = ckpt_minutes;
  opt.val_every = val_every;
  opt.val_max_images = val_images;
  opt.quiet = quiet;

  rl_cli_catch_stop_signals ();
  RlCliStopAfter sa = { 0, stop_after };
  RlTrainCallbacks cb = { rl_cli_stop_after_progress,
                          rl_cli_stop_after_should_stop, &sa };
  if (project != NULL)
    {
      nm.train = opt;
      nm.out = out;
      nm.name = name;
      nm.split = split;
      nm.make_current = make_current;
      RlNewModelResult res;
      if (!rl_new_model_run (project, &nm, &cb, &res, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            fprintf (stderr, "relabel: stopped; nothing was added to %s\n", project);
          else
            fprintf (stderr, "relabel: %s\n", error->message);
          return 1;
        }
      printf ("%s: version %" G_GINT64_FORMAT " (%s, no parent), trained from %s on %d "
              "labelled images, %d steps in %.0f s; mean loss of the first tenth of the steps "
              "%.4f, of the last %.4f; %s\n", project, res.model_id, opt.arch,
              init_encoder ? "the layers that fit of the given model" : "scratch", res.train_images,
              res.iters, res.seconds, res.first_loss, res.last_loss,
              res.made_current ? "made current: pre-label with it"
                               : "not made current (the project has one; --make-current)");
      return 0;
    }
  if (!rl_train_run (ds, &opt, &cb, &error))
    {
      /* the stop asked for on the command line is a success */
      if (stop_after > 0 && sa.iter >= stop_after && !rl_cli_should_stop (NULL)
          && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          if (!quiet)
            fprintf (stderr, "relabel: %s\n", error->message);
          return 0;
        }
      fprintf (stderr, "relabel: %s\n", error->message);
      return 1;
    }
  return 0;
}
