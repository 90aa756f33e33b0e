/* Training a SegNet: a trainer owns the parameters, their gradients, the SGD momentum, the
 * batch-norm running statistics (inside the parameters) and a workspace. One thread per trainer.
 *
 * Driving it, step by step:
 *   RlTrainer *t;
 *   rl_trainer_new ("segnet-basic", 11, seed, RL_ENGINE_PATH_DEFAULT, &t, &err);  // He init
 *   rl_trainer_set_classes (t, names, 11, &err);           // metadata saved with the model
 *   rl_trainer_set_input_stats (t, mean, std);             // see rl_input_stats_*
 *   for each batch:
 *     rl_normalize_rgb8 (rgb, h, w, mean, std, x + i * 3 * h * w);   // (rl-net.h) per image
 *     rl_trainer_forward (t, x, n, h, w, 1, &err);          // train mode: batch statistics
 *     rl_trainer_backward (t, labels, class_weights, &loss, &err);   // gradients, overwritten
 *     rl_trainer_sgd_step (t, lr, 0.9f, 5e-4f);
 *   rl_trainer_save (t, "model.safetensors", &err);
 * Evaluate with rl_trainer_forward (..., train = 0, ...) and rl_trainer_logits, or save and use
 * rl_model_load. Resume with rl_trainer_load (momentum starts again from zero). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "rl-layers.h"
#include "rl-status.h"

typedef struct RlTrainer RlTrainer;

/* arch: one of rl_net_arch_names () (rl-net.h); the same seed gives the same weights. */
RlStatus rl_trainer_new (const char *arch, int num_classes, uint64_t seed, RlEnginePath path,
                         RlTrainer **out, RlError *err);
/* From a model file (weights, running statistics and metadata). */
RlStatus rl_trainer_load (const char *model_path, RlEnginePath path, RlTrainer **out,
                          RlError *err);
void rl_trainer_free (RlTrainer *t);  /* accepts NULL */

/* names: num_classes strings (copied); ignore_index: the label value that carries no loss. */
RlStatus rl_trainer_set_classes (RlTrainer *t, const char *const *names, int ignore_index,
                                 RlError *err);
void rl_trainer_set_input_stats (RlTrainer *t, const float mean[3], const float std[3]);
/* RL_INPUT_NORM_* (rl-net.h): what the saved model's input_norm says; the caller prepares the
 * batches that way (rl_standardize_planes after the mean/std normalisation for "image"). */
void rl_trainer_set_input_norm (RlTrainer *t, int input_norm);
int rl_trainer_input_norm (const RlTrainer *t);
/* The loss saved in the model's metadata (keys loss, class_weights, class_weight_power) so that
 * a fine-tune can train with the same one: loss e.g. "cross_entropy" (< 32 characters),
 * class_weights num_classes floats (copied) or NULL, power NAN when not known. */
RlStatus rl_trainer_set_loss (RlTrainer *t, const char *loss, const float *class_weights,
                              double class_weight_power, RlError *err);
/* What the model file said (or set_loss set): "" / NULL / NAN when not recorded. Borrowed. */
const char *rl_trainer_loss (const RlTrainer *t);
const float *rl_trainer_class_weights (const RlTrainer *t);
double rl_trainer_class_weight_power (const RlTrainer *t);
/* The images the saved model says it trained on (key trained_on, rl_trained_on_check's JSON
 * text; copied), or NULL for none recorded. What the model file said, until set. */
RlStatus rl_trainer_set_trained_on (RlTrainer *t, const char *json, RlError *err);
const char *rl_trainer_trained_on (const RlTrainer *t);   /* borrowed; NULL when none */
int rl_trainer_num_classes (const RlTrainer *t);
/* The path its convolutions run on (the automatic choice resolved). */
RlEnginePath rl_trainer_path (const RlTrainer *t);
int rl_trainer_ignore_index (const RlTrainer *t);
const float *rl_trainer_input_mean (const RlTrainer *t);  /* 3 floats, borrowed */
const float *rl_trainer_input_std (const RlTrainer *t);

/* x (N, 3, H, W) normalised input (copied). train != 0: batch statistics, running averages
 * updated (momentum 0.1), activations kept for backward; 0: running statistics. */
RlStatus rl_trainer_forward (RlTrainer *t, const float *x, int n, int h, int w, int train,
                             RlError *err);
/* Logits (N, C, H, W) of the last forward; borrowed until the next forward. */
const float *rl_trainer_logits (const RlTrainer *t);
/* Argmax indices (N, C, h, w) of pooling stage s in the last forward (for tests), or NULL. */
const int32_t *rl_trainer_pool_indices (const RlTrainer *t, int stage, int *c, int *h, int *w);
int rl_trainer_num_stages (const RlTrainer *t);
/* Output (N, C, h, w) of conv layer j (after its batch norm and ReLU) in the last forward, for
 * tests; NULL when out of range. Layers count in forward order, 0..rl_trainer_num_convs - 1. */
const float *rl_trainer_conv_output (const RlTrainer *t, int j, int *c, int *h, int *w,
                                     int *relu);
int rl_trainer_num_convs (const RlTrainer *t);
/* After a training forward: labels (N, H, W), class_weights (C) or NULL -> *loss (mean weighted
 * cross-entropy over non-ignored pixels) and every parameter's gradient (overwritten). */
RlStatus rl_trainer_backward (RlTrainer *t, const uint8_t *labels, const float *class_weights,
                              double *loss, RlError *err);
/* frozen != 0: training forwards normalise with the running statistics and leave them as they
 * are (PyTorch's model.train() with every BatchNorm in eval()), and backward differentiates that;
 * for fine-tuning, where a few small batches of similar images would otherwise overwrite
 * statistics gathered over a whole dataset. Default 0. */
void rl_trainer_set_bn_frozen (RlTrainer *t, int frozen);
/* Freezes the first n convolutions (forward order; 0 <= n < rl_trainer_num_convs, 0 by
 * default): their weights, biases and batch norms neither learn nor update their running
 * statistics (training forwards normalise with them), and backward stops at the first conv that
 * learns, so a step costs the forward plus the backward of the layers that learn (fine-tuning
 * the last layers only). Their gradients read 0. */
RlStatus rl_trainer_set_frozen_convs (RlTrainer *t, int n, RlError *err);
int rl_trainer_frozen_convs (const RlTrainer *t);
/* PyTorch's SGD with momentum and weight decay on every trainable parameter. */
void rl_trainer_sgd_step (RlTrainer *t, float lr, float momentum, float weight_decay);

RlStatus rl_trainer_save (const RlTrainer *t, const char *path, RlError *err);
/* The SGD momentum buffers, laid out like the parameter arena (net.total floats; entries of
 * running statistics stay 0). Checkpoints save and restore it for an exact resume. */
float *rl_trainer_momentum (RlTrainer *t, size_t *count);

/* Parameters by index 0..n-1 in file order (PyTorch state_dict names). The data may be changed
 * (e.g. by tests); grads are those of the last backward (NULL for running statistics). */
int rl_trainer_num_params (const RlTrainer *t);
const char *rl_trainer_param_name (const RlTrainer *t, int i);
float *rl_trainer_param (RlTrainer *t, int i, size_t *count);
const float *rl_trainer_grad (const RlTrainer *t, int i);
size_t rl_trainer_num_weights (const RlTrainer *t);  /* trainable floats */

/* Mean and std of RGB / 255 over training images, for input_mean / input_std. */
typedef struct
{
  double sum[3], sq[3];
  double count;
} RlInputStats;

void rl_input_stats_init (RlInputStats *s);
void rl_input_stats_add (RlInputStats *s, const uint8_t *rgb, int h, int w);  /* (H, W, 3) */
/* Fails when nothing was added or a channel is constant. */
RlStatus rl_input_stats_finish (const RlInputStats *s, float mean[3], float std[3], RlError *err);
