/* The "Retrain" job: fine-tune the project's current model on its corrected masks mixed with its
 * other labelled images, score the parent and the new version before and after on the corrected
 * images and on held-out images, and register the new version, made current only when it is not
 * worse on the held-out images. Headless (GLib/GIO, no GTK): the CLI calls it directly, the GUI
 * from a worker. */
#pragma once

#include <gio/gio.h>
#include "rl-layers.h"
#include "rl-project.h"

typedef struct
{
  const char *model;        /* base weights file; NULL = the project's current model */
  const char *out;          /* also write the new model to this file (atomically); may be NULL */
  const char *name;         /* name of the new version; NULL = "retrained from version P, DATE" */
  /* Training images: the labelled images (status PRELABELLED, CORRECTED or REVIEWED, file not
   * missing) of this split, their current (corrected) masks as labels, less the held-out ones.
   * NULL means "train", and when the project has no labelled "train" image, every labelled image
   * of any split (so the demo project, all "val", can be retrained). "*" = every split. */
  const char *train_split;
  gboolean corrected_only;  /* only images a human touched (CORRECTED or REVIEWED) */
  /* Also score the new version on this split's labelled images and store that as a metrics run
   * (`relabel eval --json`'s object); NULL or "" = not (the held-out scores are always taken). */
  const char *val_split;
  int iters;                /* SGD steps */
  int batch;                /* lowered to the number of training samples when larger */
  double lr, momentum, weight_decay;
  int crop_h, crop_w;       /* random crops of the scaled images; 0 = whole image */
  double scale;             /* training resolution, (0, 1]; scoring is always full resolution */
  gboolean freeze_bn;       /* batch norm keeps the parent's running statistics */
  int train_last;           /* only the last this many convolutions learn; 0 = all */
  /* Oversampling: the corrected images are repeated so that they make about this share of the
   * training samples (never fewer than once each). */
  double corrected_share;
  int heldout_max;          /* at most this many held-out images (see rl_finetune_run); 0 none */
  double tolerance;         /* held-out G and mIoU may fall by this much (fraction, 0.005 = 0.5
                             * point) and the new version is still made current */
  int threads;              /* engine threads; 0 = all cores */
  guint64 seed;
  RlEnginePath path;        /* convolution path of the trainer (default: RELABEL_ENGINE_PATH;
                             * under auto bf16 where the CPU runs it natively, else fp32) */
  gboolean quiet;           /* no training progress lines on stderr */
} RlFinetuneOptions;

/* The one set of defaults of `relabel finetune` and the GUI's Retrain (chosen by measurement,
 * see README.md "Retrain"). */
void rl_finetune_options_init (RlFinetuneOptions *opt);

typedef enum
{
  RL_FINETUNE_PREPARE,      /* done/total: training labels written */
  RL_FINETUNE_TRAIN,        /* done/total: SGD steps */
  RL_FINETUNE_EVAL,         /* done/total: images scored at full resolution (before and after) */
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

/* Scores of the parent ("before") and the new version ("after") on one set of images, pooled
 * over its pixels (the paper's metrics, fractions 0..1, NaN where undefined). */
typedef struct
{
  int images;               /* 0: the set was empty, nothing scored */
  gboolean before_in_sample;  /* the parent (or a version it descends from) trained on some */
  gboolean after_in_sample;   /* the new version trained on some */
  double before_g, before_c, before_miou, before_bf;
  double after_g, after_c, after_miou, after_bf;
} RlFinetuneScores;

typedef struct
{
  gint64 model_id;          /* the new version */
  gint64 parent_id;         /* the version it was fine-tuned from; 0 when the base was a file */
  gint64 current_id;        /* the project's current model when the job ended */
  gboolean made_current;
  char *reason;             /* one line: why it was not made current; NULL when it was */
  RlFinetuneScores heldout;   /* held-out images (never trained on by this lineage) */
  RlFinetuneScores corrected; /* the corrected images (trained on: in-sample after) */
  int train_images;         /* distinct images trained on */
  int corrected_repeat;     /* each corrected image's copies among the training samples */
  double seconds;           /* wall time of the whole job */
} RlFinetuneResult;

void rl_finetune_result_clear (RlFinetuneResult *r);

/* Training data from a project (Retrain and a new model): writes the current mask of info to
 * TMPDIR/labels/ID.png (TMPDIR/labels must exist), appends the label version it wrote
 * (RlTrainedImage: the mask revision, read again if an edit landed meanwhile, and the SHA-1 of
 * its pixels) to trained, and `copies` samples of split "train" (RlSample*) to samples. */
gboolean rl_finetune_add_training_image (RlProject *project, const RlImageInfo *info,
                                         const char *tmpdir, int copies, GArray *trained,
                                         GPtrArray *samples, GError **error);

/* Fine-tunes and registers the result. Opens its own connection to the project at project_path
 * (safe next to the GUI's).
 *
 * Held-out images: the labelled images that no human corrected or reviewed and that neither the
 * parent nor any version it descends from trained on, taken from the "val" split when it has
 * such images, else from every split; of those, the quarter (rounded up, at least 1, at most
 * opt->heldout_max) whose names have the smallest SHA-1. The rule depends only on the names, so
 * the same images stay held out from one retrain to the next. They are never trained on.
 *
 * Steps: pick the base model (opt->model, or the current model, which becomes the parent);
 * write the training labels to a temporary folder, the corrected ones repeated (oversampled);
 * score the base on the held-out and the corrected images at full resolution; train with the
 * base's loss and class weights (its metadata's class_weights, else median-frequency weights
 * raised to its class_weight_power, else to 0.5, computed on the training images) and frozen
 * batch-norm statistics (opt->freeze_bn); score the new version on the same images; write
 * opt->out; store it with its config (options, weights used, the scores, the decision) and the
 * exact training images and label versions; it becomes current only when its held-out G and mIoU
 * are each at least the base's less opt->tolerance (and there were held-out images). A metrics
 * run "heldout" is stored for it, and one for opt->val_split when given.
 * Temporary files are removed in all cases. On failure or cancel (G_IO_ERROR_CANCELLED) nothing
 * was added to the project.
 * Errors: RL_PROJECT_ERROR_* for the project (OPEN for a missing project, NOT_FOUND when there
 * is no base model, INVALID for no labelled images or a class count that differs from the
 * project's), G_IO_ERROR_* for training and files; messages name the file and the cause.
 * result (may be NULL) is filled on success; clear it with rl_finetune_result_clear. */
gboolean rl_finetune_run (const char *project_path, const RlFinetuneOptions *opt,
                          const RlFinetuneCallbacks *cb, RlFinetuneResult *result,
                          GError **error);
