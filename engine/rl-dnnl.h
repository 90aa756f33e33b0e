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
/* Tests only: plans built after this call block activations by 16 or 8 channels whatever the
 * CPU (0: by the CPU, the default). The fallback from a plan that would run on oneDNN's reference
 * kernels is tested by forcing 16 on an AVX2 dispatch (tests/speed/test-isa --block 16). */
void rl_dnnl_set_block_override (int channels);
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

/* --- additions (speed owner) --------------------------------------------------------------- */

/* Both backward passes in one call, as rl_conv2d_backward (rl-layers) does them: x, w, dy ->
 * dx (skipped when NULL), dw, db (NULL: not computed), all overwritten. Cheaper than the two
 * calls above: dy is converted to the kernels' layout once for both. */
RlStatus rl_dnnl_conv2d_backward (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                  const float *w, const float *dy, float *dx, float *dw,
                                  float *db, RlError *err);

/* Threads used by this context's calls; 0 (the default) = the calling thread's OpenMP default
 * (OMP_NUM_THREADS or all cores). Debian's oneDNN runs on OpenMP (libgomp): the count is set
 * with omp_set_num_threads for the duration of each call and restored afterwards, and OpenMP's
 * setting is per calling thread, so other threads and jobs are not affected. Changing the count
 * drops the cached primitives (their work split depends on it). */
void rl_dnnl_set_threads (RlDnnl *ctx, int n_threads);

/* Number of cached primitives (one per distinct call kind, shape, bias and ReLU flag). */
int rl_dnnl_cache_size (const RlDnnl *ctx);

/* Frees the scratch buffers that hold blocked copies (they are grown on demand to the largest
 * layer seen; call between jobs to give the memory back). Cached primitives are kept. */
void rl_dnnl_release_scratch (RlDnnl *ctx);

enum
{
  RL_DNNL_FORWARD = 0,
  RL_DNNL_BACKWARD_DATA = 1,
  RL_DNNL_BACKWARD_WEIGHTS = 2,
};
/* oneDNN's implementation name (e.g. "jit:avx512_core") of the cached primitive of that kind
 * (RL_DNNL_FORWARD...) for shape s and layout (nhwc = 1 for the _nhwc calls), or NULL when none
 * is cached. Borrowed from ctx. For benchmarks and logs. */
const char *rl_dnnl_impl_name (RlDnnl *ctx, int which, const RlConvShape *s, int nhwc);
/* 1 when that cached primitive reorders the activations (the caller's layout is not the one its
 * kernel runs on), 0 when it works on the caller's buffers directly, -1 when none is cached. */
int rl_dnnl_reorders (RlDnnl *ctx, int which, const RlConvShape *s, int nhwc);

/* The same calls on channels-last activations. oneDNN is asked to run on NHWC directly, which
 * its AVX-512 kernels do for all three passes (brgconv forward, jit backward): an engine that
 * keeps its activations NHWC through the whole network pays no layout reorder (fp32; bf16 still
 * converts to bf16 on the way in). Where a CPU has no NHWC kernel, oneDNN's own choice is used
 * with reorders inside, still correct (rl_dnnl_reorders tells which).
 * x (N, H, W, C_in), dy and y (N, H_out, W_out, C_out), dx (N, H, W, C_in); weights, bias and
 * their gradients stay as above: w and dw (C_out, C_in, K, K), b and db (C_out). */
RlStatus rl_dnnl_conv2d_forward_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                      const float *w, const float *b, float *y, int relu,
                                      RlError *err);
RlStatus rl_dnnl_conv2d_backward_data_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *w,
                                            const float *dy, float *dx, RlError *err);
RlStatus rl_dnnl_conv2d_backward_weights_nhwc (RlDnnl *ctx, const RlConvShape *s,
                                               const float *x, const float *dy, float *dw,
                                               float *db, RlError *err);
RlStatus rl_dnnl_conv2d_backward_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                       const float *w, const float *dy, float *dx, float *dw,
                                       float *db, RlError *err);
