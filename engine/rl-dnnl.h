/* Optional oneDNN convolution backend (fp32, and bf16 on AVX512-BF16/AMX CPUs) with the same
 * shapes and buffers as the reference im2col + sgemm convolution in rl-conv. Built only when
 * RL_HAVE_DNNL is defined; the reference path stays the portable one and the correctness oracle. */
#pragma once

#include "rl-status.h"

/* Stride-1 2-D convolution with square kernel k and zero padding pad on every side.
 * Output size: h_out = h + 2 * pad - k + 1, w_out = w + 2 * pad - k + 1. */
typedef struct
{
  int n, c_in, h, w;  /* input (N, C_in, H, W) */
  int c_out, k, pad;  /* weights (C_out, C_in, K, K), bias (C_out) */
} RlConvShape;

typedef enum
{
  RL_PRECISION_FP32 = 0,
  RL_PRECISION_BF16 = 1,  /* bf16 inputs/weights, fp32 accumulation and outputs */
} RlPrecision;

typedef struct RlDnnl RlDnnl;  /* engine, stream and a cache of primitives; one per thread/job */

/* TRUE when this CPU runs the precision natively (bf16 needs AVX512-BF16 or AMX). */
int rl_dnnl_supports (RlPrecision precision);
RlStatus rl_dnnl_new (RlPrecision precision, RlDnnl **out, RlError *err);
void rl_dnnl_free (RlDnnl *ctx);  /* accepts NULL */

/* x (N, C_in, H, W), w (C_out, C_in, K, K), b (C_out) or NULL -> y (N, C_out, H_out, W_out).
 * relu != 0 applies ReLU to the output (fused post-op). */
RlStatus rl_dnnl_conv2d_forward (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                 const float *w, const float *b, float *y, int relu,
                                 RlError *err);
/* dy (N, C_out, H_out, W_out), w -> dx (N, C_in, H, W) (overwritten). */
RlStatus rl_dnnl_conv2d_backward_data (RlDnnl *ctx, const RlConvShape *s, const float *w,
                                       const float *dy, float *dx, RlError *err);
/* x, dy -> dw (C_out, C_in, K, K) and db (C_out) or NULL, both overwritten (not accumulated). */
RlStatus rl_dnnl_conv2d_backward_weights (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                          const float *dy, float *dw, float *db, RlError *err);
