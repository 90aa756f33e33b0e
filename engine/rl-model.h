/* SegNet models as the rest of Relabel sees them: load a safetensors file, predict labels for an
 * RGB8 image of any size. A loaded model is read-only, so several threads may predict at once. */
#pragma once

#include <stdint.h>
#include <stddef.h>
#include "rl-status.h"

typedef struct RlModel RlModel;

/* Polled between layers; returning non-zero stops the work with RL_ERR_CANCELLED. */
typedef int (*RlAbortFunc) (void *data);

/* Loads and fully validates a model file; *out is NULL on failure (never half-loaded). */
RlStatus rl_model_load (const char *path, RlModel **out, RlError *err);
void rl_model_free (RlModel *model);  /* accepts NULL */

int rl_model_num_classes (const RlModel *model);
/* Class name i (from the file's metadata), or NULL. Borrowed. */
const char *rl_model_class_name (const RlModel *model, int i);
int rl_model_ignore_index (const RlModel *model);
const char *rl_model_arch (const RlModel *model);   /* one of rl_net_arch_names () */
/* 1 when the whole-network oneDNN plans (fp32/bf16 paths) cover the model's architecture
 * (segnet-basic, segnet); the decoder variants run layer by layer on every path, their standard
 * convolutions on oneDNN fp32/bf16 when asked (correct, slower than a plan). */
int rl_model_whole_plan (const RlModel *model);

/* rgb (H, W, 3) 8-bit -> labels (H, W) argmax class indices. Any H, W >= 1.
 * n_threads 0 = all cores. abort may be NULL. */
RlStatus rl_model_predict_rgb8 (const RlModel *model, const uint8_t *rgb, int height, int width,
                                uint8_t *labels, int n_threads, RlAbortFunc abort,
                                void *abort_data, RlError *err);

/* The same prediction with the model's softmax confidences, 8 bits each (round(255 p)):
 * conf_pred (H, W) the probability of the predicted class; with truth (H, W) labels (may be
 * NULL), conf_truth (H, W) the probability of the truth's class (0 where the truth is void or
 * not a class of the model). Suspected label errors are ranked from these. */
RlStatus rl_model_predict_confidence_rgb8 (const RlModel *model, const uint8_t *rgb, int height,
                                           int width, const uint8_t *truth, uint8_t *labels,
                                           uint8_t *conf_pred, uint8_t *conf_truth,
                                           int n_threads, RlAbortFunc abort, void *abort_data,
                                           RlError *err);

/* The same from logits (C, H*W): argmax labels, round(255 p) of the argmax class and, where
 * truth is given, of truth's class (0 where it is not a class < C). Any output may be NULL. */
void rl_confidence_from_logits (const float *logits, int n_classes, size_t hw,
                                const uint8_t *truth, uint8_t *labels, uint8_t *conf_pred,
                                uint8_t *conf_truth);

/* Additions beyond the contract above. */

/* Mean and std (3 floats, borrowed) the model normalises RGB / 255 with. */
const float *rl_model_input_mean (const RlModel *model);
const float *rl_model_input_std (const RlModel *model);
int rl_model_input_norm (const RlModel *model);  /* RL_INPUT_NORM_* (rl-net.h) */
/* The file's trained_on (rl-net.h RlNetMeta: JSON text of [name, SHA-1] pairs), or NULL. */
const char *rl_model_trained_on (const RlModel *model);
/* rgb (H, W, 3) -> x (3, H, W) as the model's input wants it (rl_net_normalize_input). */
void rl_model_normalize_input (const RlModel *model, const uint8_t *rgb, int h, int w, float *x);

/* x (1, 3, H, W) normalised -> logits (1, C, H, W), eval mode with batch norm folded into the
 * convs. Any H, W >= 1: ceil-mode pooling and unpooling to the remembered size run odd sizes as
 * PyTorch does, so nothing is padded or cropped. n_threads (0: all cores): on the oneDNN paths
 * the OpenMP thread count of this call only (each job keeps its own); on the reference path
 * OpenBLAS's, which is process-global (openblas_set_num_threads): concurrent jobs asking for
 * different counts share whichever was set last. */
RlStatus rl_model_forward (const RlModel *model, const float *x, int height, int width,
                           float *logits, int n_threads, RlAbortFunc abort, void *abort_data,
                           RlError *err);
/* Frees the oneDNN plans kept for the next image (they hold the activation buffers, about
 * 2 x 64 x H x W floats). Safe to call at any time; the next call builds a new plan. */
void rl_model_release_cache (const RlModel *model);
/* The engine path (RlEnginePath, rl-layers.h) the calls above run on; after loading it is
 * RL_ENGINE_PATH_DEFAULT, the automatic choice. Set it before sharing the model between
 * threads. The engine reads no environment: the app passes --engine / RELABEL_ENGINE_PATH. */
void rl_model_set_engine_path (RlModel *model, int path);
/* The same on a given path (RL_ENGINE_PATH_DEFAULT: the model's path). The oneDNN paths
 * run the whole network as one plan; RL_ERR_UNSUPPORTED when this build or CPU lacks the path. */
RlStatus rl_model_forward_on (const RlModel *model, int path, const float *x, int height,
                              int width, float *logits, int n_threads, RlAbortFunc abort,
                              void *abort_data, RlError *err);
/* Builds the oneDNN plan of that path (fp32 or bf16) for a height x width image and writes one
 * line per layer into buf, "NAME IMPLEMENTATION" (e.g. "enc1.conv jit:avx2", "max-pool
 * jit:avx2"), for benchmarks and logs. RL_ERR_UNSUPPORTED (naming the layer) when a layer would
 * run on oneDNN's reference kernels on this CPU, or without oneDNN. */
RlStatus rl_model_plan_info (const RlModel *model, int path, int height, int width, char *buf,
                             size_t size, RlError *err);
/* rl_model_forward layer by layer (per-convolution oneDNN or the reference), also returning the
 * pooling indices: pool_indices has room for one pointer per pooling stage (at most 8), each
 * receiving a malloc'd copy (1, C, h, w) of that stage's argmax indices (the parity test compares them). */
RlStatus rl_model_forward_with_indices (const RlModel *model, const float *x, int height,
                                        int width, float *logits, int n_threads,
                                        int32_t **pool_indices, RlError *err);
