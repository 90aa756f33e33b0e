/* Whole-network SegNet inference in oneDNN: one blocked layout (nChw16c on AVX-512, nChw8c on
 * AVX2 and older: rl_dnnl_block_tag) from the first convolution to the logits, batch norm folded and ReLU fused into each convolution, max-pool
 * with a workspace and max-unpool as that pool's backward pass. Only the input and the logits are
 * reordered. fp32 computes everything in f32; bf16 computes in bf16 except the convolutions before
 * the first max-pool, and keeps every max-pool in f32 (its argmax decides where the unpool puts
 * each value), converting a pool's output to bf16 for the next convolution. A plan is built for one
 * image size, precision and thread count, and reused.
 *
 *   RlDnnlPlan *p;
 *   rl_dnnl_plan_new (&net, folded_params, h, w, RL_PRECISION_BF16, 2, &p, &err);
 *   for each image: rl_dnnl_plan_run (p, x, logits, NULL, NULL, &err);   // x, logits NCHW f32
 *   rl_dnnl_plan_free (p);
 *
 * One plan serves one thread at a time. A plan whose layers oneDNN could only run on its reference
 * kernels is refused with RL_ERR_UNSUPPORTED (the caller falls back to another path). */
#pragma once

#include "rl-dnnl.h"
#include "rl-net.h"
#include "rl-status.h"

typedef struct RlDnnlPlan RlDnnlPlan;

/* params: the network's parameter arena with batch norm already folded into each convolution's
 * weight and bias (rl_batchnorm_fold); weights are copied into the plan. n_threads 0: OpenMP's
 * default. */
RlStatus rl_dnnl_plan_new (const RlNet *net, const float *params, int height, int width,
                           RlPrecision precision, int n_threads, RlDnnlPlan **out, RlError *err);
void rl_dnnl_plan_free (RlDnnlPlan *plan);  /* accepts NULL */
int rl_dnnl_plan_matches (const RlDnnlPlan *plan, int height, int width, RlPrecision precision,
                          int n_threads);

/* x (1, 3, H, W) normalised -> logits (1, C, H, W). abort (may be NULL) is polled between
 * layers; returning non-zero stops with RL_ERR_CANCELLED. */
RlStatus rl_dnnl_plan_run (RlDnnlPlan *plan, const float *x, float *logits,
                           int (*abort) (void *data), void *abort_data, RlError *err);

/* oneDNN's implementation of step i (e.g. "brg:avx512_core", "jit:avx2"), for benchmarks and
 * logs; NULL when out of range. Steps follow the network's ops. */
const char *rl_dnnl_plan_impl (const RlDnnlPlan *plan, int i);
int rl_dnnl_plan_num_steps (const RlDnnlPlan *plan);

/* Bytes the plan holds (activations, pool workspaces, weights, scratchpad). */
size_t rl_dnnl_plan_bytes (const RlDnnlPlan *plan);
