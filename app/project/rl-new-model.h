/* A new model from a project's labels: trains a SegNet from scratch (He init) on the project's
 * labelled images with the learning-loop recipe (resources/models/README.md, "The generalising
 * recipe") and the project's classes, and registers it as a model version with no parent and
 * the exact images and label versions it trained on, as Retrain does. So a project with no model
 * (a SUN RGB-D sample, a folder of photos someone labelled a few of) can get one and pre-label
 * the rest. Headless (GLib/GIO, no GTK): `relabel train --project` calls it; a GUI would from a
 * worker thread. */
#pragma once

#include <gio/gio.h>
#include "rl-train-loop.h"

typedef struct
{
  /* The recipe (rl_new_model_options_init). The job sets out, checkpoint, log, init, resume,
   * train_split and val_split itself (no validation inside the loop: the last weights are the
   * version); the rest is used as given. */
  RlTrainOptions train;      /* train.init_encoder (e.g. the CamVid model) is kept: the new
                              * model starts from that model's layers that fit */
  const char *out;          /* also write the model to this file; may be NULL */
  const char *name;         /* NULL: "ARCH from N labelled images, DATE" */
  /* Training images: the labelled ones (pre-labelled from the dataset's labels, corrected or
   * reviewed; not missing) of this split; NULL or "*" = every split. */
  const char *split;
  /* Made current when the project has no current model, or when this is TRUE. */
  gboolean make_current;
} RlNewModelOptions;

/* The learning-loop recipe: SegNet-Basic, batch 4, 192x256 crops scaled 0.75-1.25, flips,
 * brightness/contrast/saturation/gamma 0.25, SGD lr 0.02 with poly decay 0.9, momentum 0.9,
 * weight decay 5e-4, square-rooted median-frequency class weights, 2000 steps. */
void rl_new_model_options_init (RlNewModelOptions *opt);

typedef struct
{
  gint64 model_id;
  gboolean made_current;
  int train_images;
  int iters;
  double first_loss, last_loss;   /* mean loss of the first and of the last tenth of the steps
                                   * (at least 1 step each) */
  double seconds;
} RlNewModelResult;

/* Trains and registers. Opens its own connection to the project. cb (may be NULL): the training
 * loop's progress and stop callbacks, run in the calling thread; a stop (or a failure) adds
 * nothing to the project (G_IO_ERROR_CANCELLED). Errors: RL_PROJECT_ERROR_OPEN (no project),
 * RL_PROJECT_ERROR_INVALID (no images, no labelled image), G_IO_ERROR_* for training and files;
 * messages name the file and the cause. */
gboolean rl_new_model_run (const char *project_path, const RlNewModelOptions *opt,
                           const RlTrainCallbacks *cb, RlNewModelResult *result, GError **error);
