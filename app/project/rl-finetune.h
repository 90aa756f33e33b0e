/* The "Retrain" job: fine-tune a SegNet on a project's corrected masks, score the result on the
 * project's validation images at full resolution and register it as a new model version with
 * its metrics. Headless (GLib/GIO, no GTK): the CLI calls it directly, the GUI from a worker. */
#pragma once

#include <gio/gio.h>
#include "rl-layers.h"

typedef struct
{
  const char *model;        /* base weights file; NULL = the project's current (newest) model */
  const char *out;          /* also write the new model to this file (atomically); may be NULL */
  const char *name;         /* name of the new model version; NULL = "finetune of ..." */
  /* Training images: the labelled images (status PRELABELLED, CORRECTED or REVIEWED, file not
   * missing) of this split, their current (corrected) masks as labels. NULL means "train", and
   * when the project has no labelled "train" image, every labelled image of any split (so the
   * demo project, all "val", can be retrained; its val metrics then include training images,
   * which the stored config says with "val_overlaps_train"). "*" = every split, always. */
  const char *train_split;
  gboolean corrected_only;  /* only images a human touched (CORRECTED or REVIEWED) */
  const char *val_split;    /* NULL = "val"; "" = no validation and no metrics run */
  int iters;                /* SGD steps */
  int batch;                /* lowered to the number of training images when larger */
  double lr, momentum, weight_decay;
  int crop_h, crop_w;       /* random crops of the scaled images; 0 = whole image */
  double scale;             /* training resolution, (0, 1]; validation scoring is always full */
  int threads;              /* engine threads; 0 = all cores */
  guint64 seed;
  RlEnginePath path;        /* convolution path of the trainer (default: RELABEL_ENGINE_PATH) */
  gboolean quiet;           /* no training progress lines on stderr */
} RlFinetuneOptions;

/* Defaults for a quick retrain on 2 cores: 100 steps of batch 4, random 192x256 crops at full
 * resolution (the scale the model predicts at), flips, lr 0.01, momentum 0.9, weight decay 5e-4. */
void rl_finetune_options_init (RlFinetuneOptions *opt);

typedef enum
{
  RL_FINETUNE_PREPARE,      /* done/total: training labels written */
  RL_FINETUNE_TRAIN,        /* done/total: SGD steps */
  RL_FINETUNE_EVAL,         /* done/total: validation images scored at full resolution */
} RlFinetunePhase;

typedef struct
{
  RlFinetunePhase phase;
  int done, total;
  double loss;              /* TRAIN: mean loss of the last step; NaN otherwise */
  double images_per_s;      /* TRAIN; NaN otherwise */
  double eta_s;             /* TRAIN: of the training phase; NaN otherwise */
} RlFinetuneProgress;

/* Both run in the thread that called rl_finetune_run (a worker thread in the GUI: marshal to the
 * main loop yourself). Either may be NULL. */
typedef struct
{
  void (*progress) (const RlFinetuneProgress *p, gpointer data);
  /* Polled between steps and images; TRUE stops the job with G_IO_ERROR_CANCELLED. */
  gboolean (*should_stop) (gpointer data);
  gpointer data;
} RlFinetuneCallbacks;

/* Fine-tunes and registers the result. Opens its own connection to the project at project_path
 * (safe next to the GUI's). Steps: pick the base model (opt->model, or the current model exported
 * to a temporary file, which becomes the parent of the new version); write the training and
 * labels to a temporary folder; train (the last step's weights are the new model: nothing is
 * chosen on val, so its scores are not biased); score the new model on the validation images at
 * full resolution against their current masks; write opt->out;
 * store the model (config JSON: the options, base, image counts, time) and a metrics run for
 * the validation split (`relabel eval --json`'s object). Temporary files are removed in all
 * cases. On failure or cancel (G_IO_ERROR_CANCELLED) nothing was added to the project.
 * Errors: RL_PROJECT_ERROR_* for the project (OPEN for a missing project, NOT_FOUND when there
 * is no base model, INVALID for no labelled images or a class count that differs from the
 * project's), G_IO_ERROR_* for training and files; messages name the file and the cause.
 * *new_model_id (may be NULL) receives the new model's id. */
gboolean rl_finetune_run (const char *project_path, const RlFinetuneOptions *opt,
                          const RlFinetuneCallbacks *cb, gint64 *new_model_id, GError **error);
