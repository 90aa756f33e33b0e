/* Layers as forward/backward pairs on plain float buffers, all (N, C, H, W) row-major.
 * Backward functions OVERWRITE parameter gradients (they are the gradients of one batch). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "rl-status.h"
#include "rl-dnnl.h"

/* Which convolution code runs: the im2col + sgemm reference (always there, the oracle), or
 * oneDNN fp32 / bf16 when built with it. The engine reads no environment: callers pass the
 * path (trainer, workspace, rl_model_set_engine_path). RL_ENGINE_PATH_DEFAULT is the documented
 * automatic choice: when built with oneDNN, bf16 for inference on a CPU that has it
 * (rl_engine_path_default) and fp32 for training (rl_workspace_new), else the reference; only
 * the automatic choice falls back (bf16 -> fp32 -> reference) from a oneDNN plan this CPU can
 * only run on reference kernels, a named path fails instead. */
typedef enum
{
  RL_ENGINE_PATH_DEFAULT = -1,  /* the automatic choice above */
  RL_ENGINE_PATH_REFERENCE = 0,
  RL_ENGINE_PATH_FP32 = 1,
  RL_ENGINE_PATH_BF16 = 2,
} RlEnginePath;

/* Scratch for one thread of work: the im2col tile (bounded, grown on demand) and the optional
 * oneDNN context. Never share one workspace between threads. */
typedef struct RlWorkspace RlWorkspace;

/* "auto" (or NULL, ""), "reference", "fp32", "bf16" -> *out; 0 for any other name. */
int rl_engine_path_from_name (const char *name, RlEnginePath *out);
/* "reference", "fp32", "bf16" or "auto" (RL_ENGINE_PATH_DEFAULT): the names from_name takes. */
const char *rl_engine_path_name (RlEnginePath path);
/* What RL_ENGINE_PATH_DEFAULT resolves to for inference on this build and CPU. */
RlEnginePath rl_engine_path_default (void);
/* The automatic path for training (fp32); with prefer_bf16, bf16 where the CPU runs it
 * natively (fine-tuning: Retrain's scores equal fp32's within 0.1 point on the CamVid
 * scenario, 1.6x faster). */
RlEnginePath rl_engine_path_training (int prefer_bf16);

/* OpenBLAS's thread count is process-wide: this is the one place that sets it (n_threads 0:
 * all cores). The reference path's callers (inference, training) call it before their work;
 * concurrent jobs asking for different counts share whichever was set last. */
void rl_engine_set_blas_threads (int n_threads);

RlStatus rl_workspace_new (RlEnginePath path, RlWorkspace **out, RlError *err);
void rl_workspace_free (RlWorkspace *ws);  /* accepts NULL */
RlEnginePath rl_workspace_path (const RlWorkspace *ws);
/* Upper bound on im2col scratch in bytes (default 24 MB; at least one output row is used). */
void rl_workspace_set_tile_bytes (RlWorkspace *ws, size_t bytes);

/* x (N, C_in, H, W), w (C_out, C_in, K, K), b (C_out) or NULL -> y (N, C_out, Ho, Wo),
 * Ho = H + 2 pad - K + 1. relu != 0 applies ReLU to y. */
RlStatus rl_conv2d_forward (RlWorkspace *ws, const RlConvShape *s, const float *x,
                            const float *w, const float *b, float *y, int relu, RlError *err);
/* dy (N, C_out, Ho, Wo) -> dx (N, C_in, H, W) (skipped when NULL), dw (C_out, C_in, K, K),
 * db (C_out) or NULL. All three overwritten. */
RlStatus rl_conv2d_backward (RlWorkspace *ws, const RlConvShape *s, const float *x,
                             const float *w, const float *dy, float *dx, float *dw, float *db,
                             RlError *err);

/* Batch norm, training mode: x (N, C, HW) -> y (may alias x), normalising with the batch mean and
 * biased variance; updates running_mean/var with momentum (unbiased variance, as PyTorch).
 * save_mean/save_invstd (C) keep what backward needs. Needs N * HW >= 2. */
RlStatus rl_batchnorm_forward_train (int n, int c, int hw, const float *x, const float *gamma,
                                     const float *beta, float eps, float momentum,
                                     float *running_mean, float *running_var, float *y,
                                     float *save_mean, float *save_invstd, RlError *err);
/* Eval mode with the running statistics; y may alias x. */
void rl_batchnorm_forward_eval (int n, int c, int hw, const float *x, const float *gamma,
                                const float *beta, const float *running_mean,
                                const float *running_var, float eps, float *y);
/* x is the forward input; dy -> dx (may alias dy), dgamma, dbeta (C) overwritten. */
void rl_batchnorm_backward (int n, int c, int hw, const float *x, const float *dy,
                            const float *gamma, const float *save_mean, const float *save_invstd,
                            float *dx, float *dgamma, float *dbeta);
/* Backward of eval-mode batch norm (the running statistics are constants, so the gradient is
 * per-element: dx = dy * gamma / sqrt(var + eps)); for fine-tuning, where a few small batches must
 * not replace statistics gathered over a whole dataset. dx may alias dy. */
void rl_batchnorm_backward_eval (int n, int c, int hw, const float *x, const float *dy,
                                 const float *gamma, const float *running_mean,
                                 const float *running_var, float eps, float *dx, float *dgamma,
                                 float *dbeta);
/* Folds eval-mode batch norm into the preceding conv: w' = w * g / sqrt(v + eps), b' likewise. */
void rl_batchnorm_fold (int c_out, int fan_in, const float *w, const float *b, const float *gamma,
                        const float *beta, const float *running_mean, const float *running_var,
                        float eps, float *w_out, float *b_out);

/* In place; backward: dx = dy where y > 0 else 0 (dx may alias dy). */
void rl_relu_forward (size_t n, float *x);
void rl_relu_backward (size_t n, const float *y, const float *dy, float *dx);

/* Max-pool 2x2 stride 2, ceil mode: x (N, C, H, W) -> y (N, C, (H+1)/2, (W+1)/2) and indices
 * (same shape as y) of the argmax within each (H, W) plane; ties go to the first in row order. */
void rl_maxpool_forward (int n, int c, int h, int w, const float *x, float *y, int32_t *idx);
/* dy (N, C, Ho, Wo) -> dx (N, C, H, W), overwritten. */
void rl_maxpool_backward (int n, int c, int h, int w, const float *dy, const int32_t *idx,
                          float *dx);

/* Max-unpool: x (N, C, h, w) with the pool's indices -> y (N, C, H, W), zero elsewhere. */
void rl_maxunpool_forward (int n, int c, int h, int w, int out_h, int out_w, const float *x,
                           const int32_t *idx, float *y);
/* dy (N, C, H, W) -> dx (N, C, h, w) = dy at the indices. */
void rl_maxunpool_backward (int n, int c, int h, int w, int out_h, int out_w, const float *dy,
                            const int32_t *idx, float *dx);

/* Softmax cross-entropy as PyTorch's CrossEntropyLoss(weight, ignore_index), mean reduction:
 * logits (N, C, H, W), labels (N, H, W), weight (C) or NULL for ones. *loss =
 * sum_i w[y_i] * -log softmax_i[y_i] / sum_i w[y_i] over pixels with y_i != ignore_index.
 * dlogits (same shape as logits, may be NULL) gets d loss / d logits. When every pixel is
 * ignored the loss and gradient are 0 (PyTorch gives NaN). A label >= C that is not the ignore
 * index is an error. */
RlStatus rl_softmax_xent (int n, int c, int hw, const float *logits, const uint8_t *labels,
                          const float *weight, int ignore_index, double *loss, float *dlogits,
                          RlError *err);

/* PyTorch's SGD: d = g + weight_decay * p; buf = momentum * buf + d (buf starts at 0, which equals
 * PyTorch's first-step copy); p -= lr * (momentum ? buf : d). */
void rl_sgd_update (size_t n, float *p, const float *g, float *buf, float lr, float momentum,
                    float weight_decay);

/* --- Layers of the decoder variants (issue 21): plain C / BLAS on every engine path. --- */

/* Depthwise conv (groups = channels): x (N, C, H, W), w (C, 1, K, K), b (C) or NULL -> y (N, C,
 * H, W), zero padding (K - 1) / 2 on every side, K odd. */
void rl_dwconv2d_forward (int n, int c, int h, int w, int k, const float *x, const float *wt,
                          const float *b, float *y);
/* dy -> dx (skipped when NULL), dw (C, 1, K, K), db (C) or NULL; all overwritten. */
void rl_dwconv2d_backward (int n, int c, int h, int w, int k, const float *x, const float *wt,
                           const float *dy, float *dx, float *dw, float *db);

/* Transposed conv, kernel 4, stride 2, padding 1 (PyTorch's ConvTranspose2d(c_in, c_out, 4, 2,
 * 1)), which makes (h, w) -> (2h, 2w), then cropped to (out_h, out_w) (2h - 1 or 2h: the
 * remembered pre-pool size of an odd dimension): keeps rows and columns 0..out - 1.
 * x (N, C_in, h, w), wt (C_in, C_out, 4, 4) (PyTorch's layout), b (C_out) or NULL. */
RlStatus rl_deconv2d_forward (RlWorkspace *ws, int n, int c_in, int h, int w, int c_out,
                              int out_h, int out_w, const float *x, const float *wt,
                              const float *b, float *y, RlError *err);
/* dy (N, C_out, out_h, out_w) -> dx (skipped when NULL), dw (C_in, C_out, 4, 4), db (C_out) or
 * NULL; all overwritten. */
RlStatus rl_deconv2d_backward (RlWorkspace *ws, int n, int c_in, int h, int w, int c_out,
                               int out_h, int out_w, const float *x, const float *wt,
                               const float *dy, float *dx, float *dw, float *db, RlError *err);
/* The bilinear upsampling kernel (c, c, 4, 4): channel i to channel i weighted by the outer
 * product of (1/4, 3/4, 3/4, 1/4), 0 across channels (FCN's initialisation). */
void rl_deconv2d_bilinear_init (int c, float *wt);

/* Bilinear resize as PyTorch's F.interpolate (x, size = (out_h, out_w), mode = 'bilinear',
 * align_corners = False): source coordinate (d + 0.5) * in / out - 0.5, clamped at 0. */
void rl_bilinear_forward (int n, int c, int h, int w, int out_h, int out_w, const float *x,
                          float *y);
/* dy (N, C, out_h, out_w) -> dx (N, C, h, w), overwritten. */
void rl_bilinear_backward (int n, int c, int h, int w, int out_h, int out_w, const float *dy,
                           float *dx);

/* y = a + b elementwise (y may alias either). */
void rl_add_forward (size_t n, const float *a, const float *b, float *y);
