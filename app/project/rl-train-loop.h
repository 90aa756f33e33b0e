/* The training loop behind `relabel train` and the fine-tune job: SGD over augmented batches,
 * validation with the paper's metrics every epoch (on the val split and on held-out sequences),
 * the best epochs kept (by held-out (G + mIoU) / 2, or val G without a holdout; and by mIoU),
 * checkpoints every few minutes and on request, and exact resume. GLib, no GTK. */
#pragma once

#include <glib.h>
#include "rl-dataset.h"
#include "rl-layers.h"
#include "rl-net.h"   /* RL_INPUT_NORM_* */

typedef struct
{
  const char *arch;           /* "segnet-basic" (default) or any rl_net_arch_names () */
  const char *out;            /* model file: the best epoch (see holdout_sequences), or the
                               * last without validation */
  const char *init;           /* start from these weights instead of He init (fine-tune) */
  const char *resume;         /* checkpoint folder to continue exactly */
  const char *checkpoint;     /* checkpoint folder written (default OUT.ckpt) */
  const char *log;            /* JSON-lines log (default OUT.log.jsonl) */
  const char *train_split;    /* default "train" */
  const char *val_split;      /* NULL or "" for no validation */
  int epochs;                 /* used when iters is 0 */
  int iters;                  /* total SGD steps; wins over epochs when > 0 */
  int batch;
  double lr, momentum, weight_decay;
  double class_weight_power;  /* median-frequency weights raised to this: 1 (the paper's), 0.5
                               * softer, 0 unweighted */
  const float *class_weights; /* num_classes loss weights used as given (a fine-tune continues
                               * with its model's); NULL: computed as class_weight_power says */
  gboolean freeze_bn;         /* batch norm uses and keeps the running statistics (fine-tune) */
  int train_last;             /* only the last this many convolutions learn (fine-tune; the
                               * others frozen, rl_trainer_set_frozen_convs); 0: all */
  int crop_h, crop_w;         /* random crops of the (scaled) images; 0 = whole image */
  double scale;               /* images scaled by this before cropping, (0, 1] */
  int input_norm;             /* RL_INPUT_NORM_* (rl-net.h) of a new model; -1 (default): the
                               * source model's with init_encoder, else dataset. A resumed or
                               * init model keeps its own (another value is refused). */
  gboolean flip;              /* random horizontal flips */
  double scale_min, scale_max;  /* random scale of each crop, uniform in [min, max]; 1, 1 none */
  double brightness, contrast, saturation, gamma;  /* photometric jitter (RlAugment); 0 none */
  double lr_poly;             /* lr * (1 - iter / total)^lr_poly per step; 0 = constant lr */
  const char *holdout_sequences;  /* "0001TP,0006R0": train images whose name starts with one
                                   * of these and '_' are not trained on but scored at each
                                   * validation, and choose the best epoch; NULL or "" none */
  int holdout_max_images;     /* 0 = all held-out images; else this many, evenly spaced */
  guint64 seed;
  int threads;                /* engine threads; 0 = all cores */
  double checkpoint_minutes;  /* time between checkpoints */
  int val_every;              /* validate every this many epochs (and at the end) */
  int val_max_images;         /* 0 = the whole validation split */
  RlEnginePath path;
  gboolean quiet;             /* no progress lines on stderr */
  const char *init_encoder;   /* with neither init nor resume: He init, then every tensor of
                               * this model whose name and size match (the encoder, decoder and
                               * their batch-norm statistics; not a classifier for another
                               * number of classes) is copied, with its input statistics */
} RlTrainOptions;

void rl_train_options_init (RlTrainOptions *opt);  /* the paper's recipe */

typedef struct
{
  int iter, total_iters;
  int epoch;
  double loss;                /* mean loss of the last step */
  double images_per_s;
  double eta_s;
  /* latest validation (NaN until one ran) */
  double val_g, val_c, val_miou, val_bf;
  double holdout_g, holdout_c, holdout_miou, holdout_bf;  /* NaN without a holdout */
  int input_norm;             /* RL_INPUT_NORM_* of the model being trained (what its file
                               * will say: an unset option follows init_encoder's model) */
} RlTrainProgress;

typedef struct
{
  void (*progress) (const RlTrainProgress *p, gpointer data);  /* after each step; may be NULL */
  gboolean (*should_stop) (gpointer data);  /* polled between steps; TRUE checkpoints and stops */
  gpointer data;
} RlTrainCallbacks;

/* Trains on ds. Returns FALSE with G_IO_ERROR_CANCELLED when should_stop asked (the checkpoint
 * is written first), or another error naming the file and the cause. */
gboolean rl_train_run (RlDataset *ds, const RlTrainOptions *opt, const RlTrainCallbacks *cb,
                       GError **error);
