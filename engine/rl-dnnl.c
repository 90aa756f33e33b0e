/* oneDNN convolution backend: plain NCHW float buffers in and out, oneDNN's own blocked layouts
 * (and bf16 when asked) inside, with primitives cached per shape in the RlDnnl context. */
#include "rl-dnnl.h"
#include "rl-mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rl-dnnl-private.h"

/* Which convolution a cache entry computes. */
typedef enum
{
  KIND_FWD,
  KIND_BWD_DATA,
  KIND_BWD_WEIGHTS,
} Kind;

/* Argument roles inside an entry; each has its own scratch slot for its blocked copy. */
enum { ARG_SRC, ARG_WEI, ARG_BIAS, ARG_DST, N_ARGS };
#define SLOT_SCRATCHPAD N_ARGS
#define N_SLOTS (N_ARGS + 1)

/* One convolution argument: the caller's plain buffer and, when the primitive wants another
 * layout or data type, a reorder to (inputs) or from (outputs) a context scratch buffer. */
typedef struct
{
  int used;
  int output;                 /* written by the primitive, reordered back to the user */
  int dnnl_arg;               /* DNNL_ARG_* for the convolution */
  dnnl_memory_desc_t user_md; /* plain layout, f32 */
  dnnl_memory_desc_t conv_md; /* what the convolution primitive asked for */
  dnnl_memory_t user_mem;
  dnnl_memory_t conv_mem;     /* NULL when conv_md == user_md (the user buffer is used) */
  dnnl_primitive_t reorder;   /* NULL when conv_mem is NULL */
  size_t conv_bytes;
} Arg;

typedef struct
{
  Kind kind;
  RlConvShape shape;
  int relu, bias, nhwc;
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  Arg args[N_ARGS];
  dnnl_memory_t scratchpad_mem;  /* NULL when the primitive needs none */
  size_t scratchpad_bytes;
  char impl[64];
} Entry;

struct RlDnnl
{
  RlPrecision precision;
  int n_threads;           /* 0: the calling thread's OpenMP default */
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  Entry **entries;
  int n_entries, cap_entries;
  void *scratch[N_SLOTS];  /* blocked copies and primitive scratchpad, grown on demand */
  size_t scratch_size[N_SLOTS];
};

int rl_dnnl_block_override;

void
rl_dnnl_set_block_override (int channels)
{
  rl_dnnl_block_override = channels == 16 || channels == 8 ? channels : 0;
}

int
rl_dnnl_supports (RlPrecision precision)
{
  dnnl_cpu_isa_t isa;

  switch (precision)
    {
    case RL_PRECISION_FP32:
      return 1;
    case RL_PRECISION_BF16:
      /* ISA values are bit sets: AMX includes AVX512-BF16. DNNL_MAX_CPU_ISA can lower it. */
      isa = dnnl_get_effective_cpu_isa ();
      return ((unsigned) isa & (unsigned) dnnl_cpu_isa_avx512_core_bf16)
             == (unsigned) dnnl_cpu_isa_avx512_core_bf16;
    }
  return 0;
}

RlStatus
rl_dnnl_new (RlPrecision precision, RlDnnl **out, RlError *err)
{
  RlDnnl *ctx;
  RlStatus status = RL_OK;

  if (out == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "rl_dnnl_new: out is NULL");
  *out = NULL;
  if (precision != RL_PRECISION_FP32 && precision != RL_PRECISION_BF16)
    return rl_error_set (err, RL_ERR_INVALID, "rl_dnnl_new: unknown precision %d",
                         (int) precision);
  if (!rl_dnnl_supports (precision))
    return rl_error_set (err, RL_ERR_UNSUPPORTED,
                         "rl_dnnl_new: this CPU has no native bf16 (needs AVX512-BF16 or AMX)");
  ctx = calloc (1, sizeof *ctx);
  if (ctx == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "rl_dnnl_new: out of memory");
  ctx->precision = precision;
  DN (dnnl_engine_create (&ctx->engine, dnnl_cpu, 0), "creating the CPU engine");
  DN (dnnl_stream_create (&ctx->stream, ctx->engine, dnnl_stream_default_flags),
      "creating a stream");
  *out = ctx;
  ctx = NULL;
out:
  rl_dnnl_free (ctx);
  return status;
}

static void
arg_clear (Arg *a)
{
  if (a->reorder != NULL)
    dnnl_primitive_destroy (a->reorder);
  if (a->conv_mem != NULL)
    dnnl_memory_destroy (a->conv_mem);
  if (a->user_mem != NULL)
    dnnl_memory_destroy (a->user_mem);
  memset (a, 0, sizeof *a);
}

static void
entry_free (Entry *e)
{
  if (e == NULL)
    return;
  for (int i = 0; i < N_ARGS; i++)
    arg_clear (&e->args[i]);
  if (e->scratchpad_mem != NULL)
    dnnl_memory_destroy (e->scratchpad_mem);
  if (e->prim != NULL)
    dnnl_primitive_destroy (e->prim);
  if (e->pd != NULL)
    dnnl_primitive_desc_destroy (e->pd);
  free (e);
}

static void
cache_clear (RlDnnl *ctx)
{
  for (int i = 0; i < ctx->n_entries; i++)
    entry_free (ctx->entries[i]);
  ctx->n_entries = 0;
}

void
rl_dnnl_free (RlDnnl *ctx)
{
  if (ctx == NULL)
    return;
  cache_clear (ctx);
  free (ctx->entries);
  for (int i = 0; i < N_SLOTS; i++)
    rl_mem_free (ctx->scratch[i]);
  if (ctx->stream != NULL)
    dnnl_stream_destroy (ctx->stream);
  if (ctx->engine != NULL)
    dnnl_engine_destroy (ctx->engine);
  free (ctx);
}

void
rl_dnnl_set_threads (RlDnnl *ctx, int n_threads)
{
  if (ctx == NULL)
    return;
  if (n_threads < 0)
    n_threads = 0;
  /* Kernels fix their work split for a thread count when created: drop them on a change. */
  if (n_threads != ctx->n_threads)
    cache_clear (ctx);
  ctx->n_threads = n_threads;
}

int
rl_dnnl_cache_size (const RlDnnl *ctx)
{
  return ctx != NULL ? ctx->n_entries : 0;
}

void
rl_dnnl_release_scratch (RlDnnl *ctx)
{
  if (ctx == NULL)
    return;
  for (int i = 0; i < N_SLOTS; i++)
    {
      rl_mem_free (ctx->scratch[i]);
      ctx->scratch[i] = NULL;
      ctx->scratch_size[i] = 0;
    }
}

/* Checks a shape: every size positive, the output non-empty, element counts far from overflow. */
static RlStatus
check_shape (const char *fn, const RlConvShape *s, RlError *err)
{
  const int64_t limit = (int64_t) 1 << 40;
  int64_t h_out, w_out;

  if (s == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "%s: shape is NULL", fn);
  if (s->n < 1 || s->c_in < 1 || s->h < 1 || s->w < 1 || s->c_out < 1 || s->k < 1
      || s->pad < 0)
    return rl_error_set (err, RL_ERR_INVALID,
                         "%s: bad shape n=%d c_in=%d h=%d w=%d c_out=%d k=%d pad=%d", fn, s->n,
                         s->c_in, s->h, s->w, s->c_out, s->k, s->pad);
  h_out = (int64_t) s->h + 2 * (int64_t) s->pad - s->k + 1;
  w_out = (int64_t) s->w + 2 * (int64_t) s->pad - s->k + 1;
  if (h_out < 1 || w_out < 1)
    return rl_error_set (err, RL_ERR_INVALID, "%s: kernel %d larger than padded input %dx%d",
                         fn, s->k, s->h + 2 * s->pad, s->w + 2 * s->pad);
  if ((int64_t) s->h * s->w > limit / s->n / s->c_in
      || h_out * w_out > limit / s->n / s->c_out
      || (int64_t) s->k * s->k > limit / s->c_in / s->c_out)
    return rl_error_set (err, RL_ERR_INVALID, "%s: tensor too large", fn);
  return RL_OK;
}

static int
shape_equal (const RlConvShape *a, const RlConvShape *b)
{
  return a->n == b->n && a->c_in == b->c_in && a->h == b->h && a->w == b->w
         && a->c_out == b->c_out && a->k == b->k && a->pad == b->pad;
}

/* Fills one argument: the plain user md given, the conv md queried from the primitive. */
static RlStatus
arg_init (RlDnnl *ctx, Entry *e, int index, int dnnl_arg, int output,
          int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag, RlError *err)
{
  Arg *a = &e->args[index];
  const dnnl_memory_desc_t *conv_md;
  dnnl_primitive_desc_t rpd = NULL;
  RlStatus status = RL_OK;

  a->used = 1;
  a->output = output;
  a->dnnl_arg = dnnl_arg;
  DN (dnnl_memory_desc_init_by_tag (&a->user_md, ndims, dims, dnnl_f32, tag),
      "describing a plain buffer");
  conv_md = dnnl_primitive_desc_query_md (e->pd, dnnl_query_exec_arg_md, dnnl_arg);
  if (conv_md == NULL)
    {
      status = rl_error_set (err, RL_ERR_UNSUPPORTED, "oneDNN: convolution has no argument %d",
                             dnnl_arg);
      goto out;
    }
  a->conv_md = *conv_md;
  DN (dnnl_memory_create (&a->user_mem, &a->user_md, ctx->engine, DNNL_MEMORY_NONE),
      "creating a memory object");
  if (dnnl_memory_desc_equal (&a->user_md, &a->conv_md))
    goto out;
  a->conv_bytes = dnnl_memory_desc_get_size (&a->conv_md);
  DN (dnnl_memory_create (&a->conv_mem, &a->conv_md, ctx->engine, DNNL_MEMORY_NONE),
      "creating a memory object");
  if (output)
    DN (dnnl_reorder_primitive_desc_create (&rpd, &a->conv_md, ctx->engine, &a->user_md,
                                            ctx->engine, NULL),
        "creating a reorder to the plain layout");
  else
    DN (dnnl_reorder_primitive_desc_create (&rpd, &a->user_md, ctx->engine, &a->conv_md,
                                            ctx->engine, NULL),
        "creating a reorder to the convolution's layout");
  DN (dnnl_primitive_create (&a->reorder, rpd), "creating a reorder");
out:
  if (rpd != NULL)
    dnnl_primitive_desc_destroy (rpd);
  return status;
}

/* Memory descriptors for the convolution: activations in layout act (a plain tag, or "any" to
 * let oneDNN choose), weights "any"; bf16 where the precision and the role ask for it.
 * Forward: bf16 src and weights, f32 dst. Backward data: bf16 diff_dst and weights, f32
 * diff_src. Backward weights: bf16 src and diff_dst, f32 diff_weights and diff_bias.
 * The forward hint of a backward primitive is all bf16 (what bf16 training would run). */
static dnnl_status_t
conv_mds (RlDnnl *ctx, const RlConvShape *s, Kind kind, int hint, dnnl_format_tag_t act,
          dnnl_memory_desc_t *src, dnnl_memory_desc_t *wei, dnnl_memory_desc_t *bias,
          dnnl_memory_desc_t *dst)
{
  int h_out = s->h + 2 * s->pad - s->k + 1, w_out = s->w + 2 * s->pad - s->k + 1;
  dnnl_dims_t src_dims = { s->n, s->c_in, s->h, s->w };
  dnnl_dims_t wei_dims = { s->c_out, s->c_in, s->k, s->k };
  dnnl_dims_t bias_dims = { s->c_out };
  dnnl_dims_t dst_dims = { s->n, s->c_out, h_out, w_out };
  dnnl_data_type_t lo = ctx->precision == RL_PRECISION_BF16 ? dnnl_bf16 : dnnl_f32;
  dnnl_data_type_t ts = lo, tw = lo, td = lo;
  dnnl_status_t st;

  if (!hint)
    switch (kind)
      {
      case KIND_FWD: td = dnnl_f32; break;
      case KIND_BWD_DATA: ts = dnnl_f32; break;
      case KIND_BWD_WEIGHTS: tw = dnnl_f32; break;
      }
  st = dnnl_memory_desc_init_by_tag (src, 4, src_dims, ts, act);
  if (st == dnnl_success)
    st = dnnl_memory_desc_init_by_tag (wei, 4, wei_dims, tw, dnnl_format_tag_any);
  if (st == dnnl_success)
    st = dnnl_memory_desc_init_by_tag (bias, 1, bias_dims, dnnl_f32, dnnl_x);
  if (st == dnnl_success)
    st = dnnl_memory_desc_init_by_tag (dst, 4, dst_dims, td, act);
  return st;
}

/* The convolution's primitive descriptor with activations in layout act; *what names the step
 * that failed. */
static dnnl_status_t
make_pd (RlDnnl *ctx, Kind kind, const RlConvShape *s, int bias, dnnl_format_tag_t act,
         const_dnnl_primitive_attr_t attr, dnnl_primitive_desc_t *pd, const char **what)
{
  dnnl_primitive_desc_t hint = NULL;
  dnnl_convolution_desc_t desc;
  dnnl_memory_desc_t src, wei, bmd, dst;
  dnnl_dims_t strides = { 1, 1 }, pad = { s->pad, s->pad };
  dnnl_status_t st;

  *what = "describing the convolution's memory";
  st = conv_mds (ctx, s, KIND_FWD, kind != KIND_FWD, act, &src, &wei, &bmd, &dst);
  if (st != dnnl_success)
    return st;
  *what = "describing the forward convolution";
  st = dnnl_convolution_forward_desc_init (&desc, kind == KIND_FWD ? dnnl_forward_inference
                                                                   : dnnl_forward_training,
                                           dnnl_convolution_direct, &src, &wei,
                                           bias && kind != KIND_BWD_DATA ? &bmd : NULL, &dst,
                                           strides, pad, pad);
  if (st != dnnl_success)
    return st;
  if (kind == KIND_FWD)
    {
      *what = "creating the forward convolution";
      return dnnl_primitive_desc_create (pd, &desc, attr, ctx->engine, NULL);
    }
  *what = "creating the forward hint for a backward convolution";
  st = dnnl_primitive_desc_create (&hint, &desc, NULL, ctx->engine, NULL);
  if (st != dnnl_success)
    return st;
  *what = "describing the backward convolution's memory";
  st = conv_mds (ctx, s, kind, 0, act, &src, &wei, &bmd, &dst);
  if (st == dnnl_success)
    {
      *what = "describing a backward convolution";
      if (kind == KIND_BWD_DATA)
        st = dnnl_convolution_backward_data_desc_init (&desc, dnnl_convolution_direct, &src,
                                                       &wei, &dst, strides, pad, pad);
      else
        st = dnnl_convolution_backward_weights_desc_init (&desc, dnnl_convolution_direct, &src,
                                                          &wei, bias ? &bmd : NULL, &dst,
                                                          strides, pad, pad);
    }
  if (st == dnnl_success)
    {
      *what = "creating a backward convolution";
      st = dnnl_primitive_desc_create (pd, &desc, attr, ctx->engine, hint);
    }
  dnnl_primitive_desc_destroy (hint);
  return st;
}

/* Builds the cache entry for (kind, shape, relu, bias, layout): primitive, reorders, memory
 * objects. With nhwc, the caller's activations are NHWC and the convolution is asked to work
 * on NHWC directly (no reorder); where oneDNN has no such kernel it falls back to its choice. */
static RlStatus
entry_create (RlDnnl *ctx, Kind kind, const RlConvShape *s, int relu, int bias, int nhwc,
              Entry **out, RlError *err)
{
  Entry *e = calloc (1, sizeof *e);
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t po = NULL;
  int h_out = s->h + 2 * s->pad - s->k + 1, w_out = s->w + 2 * s->pad - s->k + 1;
  dnnl_dims_t src_dims = { s->n, s->c_in, s->h, s->w };
  dnnl_dims_t wei_dims = { s->c_out, s->c_in, s->k, s->k };
  dnnl_dims_t bias_dims = { s->c_out };
  dnnl_dims_t dst_dims = { s->n, s->c_out, h_out, w_out };
  dnnl_format_tag_t user_act = nhwc ? dnnl_nhwc : dnnl_nchw;
  const dnnl_memory_desc_t *sp_md;
  const char *impl = NULL, *what = NULL;
  dnnl_status_t st;
  RlStatus status = RL_OK;

  *out = NULL;
  if (e == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "oneDNN: out of memory for a cache entry");
  e->kind = kind;
  e->shape = *s;
  e->relu = relu;
  e->bias = bias;
  e->nhwc = nhwc;

  DN (dnnl_primitive_attr_create (&attr), "creating primitive attributes");
  /* The scratchpad lives in the context's buffers, not in oneDNN's per-thread global one. */
  DN (dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user),
      "setting the scratchpad mode");
  if (kind == KIND_FWD && relu)
    {
      DN (dnnl_post_ops_create (&po), "creating post-ops");
      DN (dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f),
          "appending the ReLU post-op");
      DN (dnnl_primitive_attr_set_post_ops (attr, po), "setting post-ops");
    }
  st = make_pd (ctx, kind, s, bias, nhwc ? dnnl_nhwc : dnnl_format_tag_any, attr, &e->pd, &what);
  if (st == dnnl_unimplemented && nhwc)
    st = make_pd (ctx, kind, s, bias, dnnl_format_tag_any, attr, &e->pd, &what);
  DN (st, what);
  DN (dnnl_primitive_create (&e->prim, e->pd), "creating the convolution primitive");
  if (dnnl_primitive_desc_query (e->pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success
      && impl != NULL)
    snprintf (e->impl, sizeof e->impl, "%s", impl);

  switch (kind)
    {
    case KIND_FWD:
      status = arg_init (ctx, e, ARG_SRC, DNNL_ARG_SRC, 0, 4, src_dims,
                         user_act, err);
      if (status == RL_OK)
        status = arg_init (ctx, e, ARG_WEI, DNNL_ARG_WEIGHTS, 0, 4,
                           wei_dims, dnnl_oihw, err);
      if (status == RL_OK && bias)
        status = arg_init (ctx, e, ARG_BIAS, DNNL_ARG_BIAS, 0, 1,
                           bias_dims, dnnl_x, err);
      if (status == RL_OK)
        status = arg_init (ctx, e, ARG_DST, DNNL_ARG_DST, 1, 4, dst_dims,
                           user_act, err);
      break;
    case KIND_BWD_DATA:
      status = arg_init (ctx, e, ARG_SRC, DNNL_ARG_DIFF_SRC, 1, 4,
                         src_dims, user_act, err);
      if (status == RL_OK)
        status = arg_init (ctx, e, ARG_WEI, DNNL_ARG_WEIGHTS, 0, 4,
                           wei_dims, dnnl_oihw, err);
      if (status == RL_OK)
        status = arg_init (ctx, e, ARG_DST, DNNL_ARG_DIFF_DST, 0, 4,
                           dst_dims, user_act, err);
      break;
    case KIND_BWD_WEIGHTS:
      status = arg_init (ctx, e, ARG_SRC, DNNL_ARG_SRC, 0, 4, src_dims,
                         user_act, err);
      if (status == RL_OK)
        status = arg_init (ctx, e, ARG_WEI, DNNL_ARG_DIFF_WEIGHTS, 1, 4, wei_dims, dnnl_oihw, err);
      if (status == RL_OK && bias)
        status = arg_init (ctx, e, ARG_BIAS, DNNL_ARG_DIFF_BIAS, 1,
                           1, bias_dims, dnnl_x, err);
      if (status == RL_OK)
        status = arg_init (ctx, e, ARG_DST, DNNL_ARG_DIFF_DST, 0, 4,
                           dst_dims, user_act, err);
      break;
    }
  if (status != RL_OK)
    goto out;

  sp_md = dnnl_primitive_desc_query_md (e->pd, dnnl_query_scratchpad_md, 0);
  if (sp_md != NULL && (e->scratchpad_bytes = dnnl_memory_desc_get_size (sp_md)) > 0)
    DN (dnnl_memory_create (&e->scratchpad_mem, sp_md, ctx->engine, DNNL_MEMORY_NONE),
        "creating the scratchpad memory object");
  *out = e;
  e = NULL;
out:
  entry_free (e);
  if (po != NULL)
    dnnl_post_ops_destroy (po);
  if (attr != NULL)
    dnnl_primitive_attr_destroy (attr);
  return status;
}

/* The cached entry for this request, created on first use. */
static RlStatus
entry_get (RlDnnl *ctx, Kind kind, const RlConvShape *s, int relu, int bias, int nhwc,
           Entry **out, RlError *err)
{
  Entry *e;
  RlStatus status;

  for (int i = 0; i < ctx->n_entries; i++)
    {
      e = ctx->entries[i];
      if (e->kind == kind && e->relu == relu && e->bias == bias && e->nhwc == nhwc
          && shape_equal (&e->shape, s))
        {
          *out = e;
          return RL_OK;
        }
    }
  if (ctx->n_entries == ctx->cap_entries)
    {
      int cap = ctx->cap_entries > 0 ? 2 * ctx->cap_entries : 16;
      Entry **grown = realloc (ctx->entries, (size_t) cap * sizeof *grown);
      if (grown == NULL)
        return rl_error_set (err, RL_ERR_NOMEM, "oneDNN: out of memory for the primitive cache");
      ctx->entries = grown;
      ctx->cap_entries = cap;
    }
  status = entry_create (ctx, kind, s, relu, bias, nhwc, &e, err);
  if (status != RL_OK)
    return status;
  ctx->entries[ctx->n_entries++] = e;
  *out = e;
  return RL_OK;
}

/* A context scratch buffer of at least size bytes (64-byte aligned), kept for later calls.
 * Large ones are 2 MB aligned and asked to be backed by transparent huge pages: a fresh 44 MB
 * activation copy otherwise costs ~11000 page faults on first touch (15 % of a whole-network
 * inference when contexts are short-lived), and the kernels take fewer TLB misses. */
static void *
scratch (RlDnnl *ctx, int slot, size_t size)
{
  if (ctx->scratch_size[slot] < size)
    {
      const size_t huge = (size_t) 2 << 20;
      size_t align = size >= huge ? huge : 4096;
      size_t rounded = (size + align - 1) & ~(align - 1);
      void *p = rl_mem_alloc (rounded, align);
      if (p == NULL)
        return NULL;
#ifdef MADV_HUGEPAGE
      /* Only advice: where THP is off or madvise fails, normal pages are used, still correct. */
      if (align == huge)
        (void) madvise (p, rounded, MADV_HUGEPAGE);
#endif
      rl_mem_free (ctx->scratch[slot]);
      ctx->scratch[slot] = p;
      ctx->scratch_size[slot] = rounded;
    }
  return ctx->scratch[slot];
}

/* Runs an entry: reorders inputs in, the convolution, reorders outputs back to user buffers.
 * dy_ready: the ARG_DST input's converted copy is already in its scratch slot (left there by the
 * previous entry run with the same memory descriptor), so its reorder is skipped. */
static RlStatus
entry_run (RlDnnl *ctx, Entry *e, void *user[N_ARGS], int dy_ready, RlError *err)
{
  dnnl_exec_arg_t conv_args[N_ARGS + 1];
  int n_conv_args = 0;
  RlStatus status = RL_OK;
#ifdef RL_DNNL_OMP
  /* The OpenMP thread count is a per-thread setting: change it for this call only. */
  int saved_threads = omp_get_max_threads ();
  if (ctx->n_threads > 0)
    omp_set_num_threads (ctx->n_threads);
#endif

  for (int i = 0; i < N_ARGS; i++)
    {
      Arg *a = &e->args[i];
      dnnl_memory_t conv_mem;
      if (!a->used)
        continue;
      DN (dnnl_memory_set_data_handle_v2 (a->user_mem, user[i], ctx->stream),
          "attaching a buffer");
      conv_mem = a->user_mem;
      if (a->conv_mem != NULL)
        {
          void *p = scratch (ctx, i, a->conv_bytes);
          if (p == NULL)
            {
              status = rl_error_set (err, RL_ERR_NOMEM,
                                     "oneDNN: out of memory for a %zu-byte blocked copy",
                                     a->conv_bytes);
              goto out;
            }
          DN (dnnl_memory_set_data_handle_v2 (a->conv_mem, p, ctx->stream),
              "attaching a scratch buffer");
          conv_mem = a->conv_mem;
          if (!a->output && !(dy_ready && i == ARG_DST))
            {
              dnnl_exec_arg_t r[2] = { { DNNL_ARG_FROM, a->user_mem }, { DNNL_ARG_TO, conv_mem } };
              DN (dnnl_primitive_execute (a->reorder, ctx->stream, 2, r),
                  "reordering an input");
            }
        }
      conv_args[n_conv_args].arg = a->dnnl_arg;
      conv_args[n_conv_args].memory = conv_mem;
      n_conv_args++;
    }
  if (e->scratchpad_mem != NULL)
    {
      void *p = scratch (ctx, SLOT_SCRATCHPAD, e->scratchpad_bytes);
      if (p == NULL)
        {
          status = rl_error_set (err, RL_ERR_NOMEM,
                                 "oneDNN: out of memory for a %zu-byte scratchpad",
                                 e->scratchpad_bytes);
          goto out;
        }
      DN (dnnl_memory_set_data_handle_v2 (e->scratchpad_mem, p, ctx->stream),
          "attaching the scratchpad");
      conv_args[n_conv_args].arg = DNNL_ARG_SCRATCHPAD;
      conv_args[n_conv_args].memory = e->scratchpad_mem;
      n_conv_args++;
    }
  DN (dnnl_primitive_execute (e->prim, ctx->stream, n_conv_args, conv_args),
      "running the convolution");
  for (int i = 0; i < N_ARGS; i++)
    {
      Arg *a = &e->args[i];
      if (a->used && a->output && a->conv_mem != NULL)
        {
          dnnl_exec_arg_t r[2] = { { DNNL_ARG_FROM, a->conv_mem }, { DNNL_ARG_TO, a->user_mem } };
          DN (dnnl_primitive_execute (a->reorder, ctx->stream, 2, r), "reordering an output");
        }
    }
  DN (dnnl_stream_wait (ctx->stream), "waiting for the stream");
out:
#ifdef RL_DNNL_OMP
  omp_set_num_threads (saved_threads);
#endif
  return status;
}

/* Checks a call and finds (or builds) its cache entry. */
static RlStatus
prepare (RlDnnl *ctx, const char *fn, Kind kind, const RlConvShape *s, int relu, int bias,
         int nhwc, void *user[N_ARGS], Entry **e, RlError *err)
{
  RlStatus status;

  if (ctx == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "%s: context is NULL", fn);
  status = check_shape (fn, s, err);
  if (status != RL_OK)
    return status;
  for (int i = 0; i < N_ARGS; i++)
    if (i != ARG_BIAS && user[i] == NULL)
      return rl_error_set (err, RL_ERR_INVALID, "%s: a required buffer is NULL", fn);
  {
#ifdef RL_DNNL_OMP
    /* Primitives are created for the thread count they will run with. */
    int saved_threads = omp_get_max_threads ();
    if (ctx->n_threads > 0)
      omp_set_num_threads (ctx->n_threads);
#endif
    status = entry_get (ctx, kind, s, relu, bias, nhwc, e, err);
#ifdef RL_DNNL_OMP
    omp_set_num_threads (saved_threads);
#endif
  }
  return status;
}

static RlStatus
run (RlDnnl *ctx, const char *fn, Kind kind, const RlConvShape *s, int relu, int bias, int nhwc,
     void *user[N_ARGS], RlError *err)
{
  Entry *e = NULL;
  RlStatus status = prepare (ctx, fn, kind, s, relu, bias, nhwc, user, &e, err);
  if (status != RL_OK)
    return status;
  return entry_run (ctx, e, user, 0, err);
}

/* Backward weights, then backward data when dx is wanted, converting dy once for both when the
 * two kernels want it in the same layout. */
static RlStatus
backward_both (RlDnnl *ctx, const char *fn, const RlConvShape *s, int nhwc, const float *x,
               const float *w, const float *dy, float *dx, float *dw, float *db, RlError *err)
{
  void *uw[N_ARGS] = { (void *) x, dw, db, (void *) dy };
  void *ud[N_ARGS] = { dx, (void *) w, NULL, (void *) dy };
  Entry *ew = NULL, *ed = NULL;
  RlStatus status;
  int shared;

  status = prepare (ctx, fn, KIND_BWD_WEIGHTS, s, 0, db != NULL, nhwc, uw, &ew, err);
  if (status == RL_OK && dx != NULL)
    status = prepare (ctx, fn, KIND_BWD_DATA, s, 0, 0, nhwc, ud, &ed, err);
  if (status == RL_OK)
    status = entry_run (ctx, ew, uw, 0, err);
  if (status != RL_OK || ed == NULL)
    return status;
  shared = ew->args[ARG_DST].conv_mem != NULL && ed->args[ARG_DST].conv_mem != NULL
           && dnnl_memory_desc_equal (&ew->args[ARG_DST].conv_md, &ed->args[ARG_DST].conv_md);
  return entry_run (ctx, ed, ud, shared, err);
}

RlStatus
rl_dnnl_conv2d_forward (RlDnnl *ctx, const RlConvShape *s, const float *x, const float *w,
                        const float *b, float *y, int relu, RlError *err)
{
  void *user[N_ARGS] = { (void *) x, (void *) w, (void *) b, y };
  return run (ctx, "rl_dnnl_conv2d_forward", KIND_FWD, s, relu != 0, b != NULL, 0, user,
              err);
}

RlStatus
rl_dnnl_conv2d_backward_data (RlDnnl *ctx, const RlConvShape *s, const float *w,
                              const float *dy, float *dx, RlError *err)
{
  void *user[N_ARGS] = { dx, (void *) w, NULL, (void *) dy };
  return run (ctx, "rl_dnnl_conv2d_backward_data", KIND_BWD_DATA, s, 0, 0, 0, user, err);
}

RlStatus
rl_dnnl_conv2d_backward_weights (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                 const float *dy, float *dw, float *db, RlError *err)
{
  void *user[N_ARGS] = { (void *) x, dw, db, (void *) dy };
  return run (ctx, "rl_dnnl_conv2d_backward_weights", KIND_BWD_WEIGHTS, s, 0, db != NULL, 0,
              user, err);
}

RlStatus
rl_dnnl_conv2d_forward_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *x, const float *w,
                             const float *b, float *y, int relu, RlError *err)
{
  void *user[N_ARGS] = { (void *) x, (void *) w, (void *) b, y };
  return run (ctx, "rl_dnnl_conv2d_forward_nhwc", KIND_FWD, s, relu != 0, b != NULL, 1, user,
              err);
}

RlStatus
rl_dnnl_conv2d_backward_data_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *w,
                                   const float *dy, float *dx, RlError *err)
{
  void *user[N_ARGS] = { dx, (void *) w, NULL, (void *) dy };
  return run (ctx, "rl_dnnl_conv2d_backward_data_nhwc", KIND_BWD_DATA, s, 0, 0, 1, user, err);
}

RlStatus
rl_dnnl_conv2d_backward_weights_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *x,
                                      const float *dy, float *dw, float *db, RlError *err)
{
  void *user[N_ARGS] = { (void *) x, dw, db, (void *) dy };
  return run (ctx, "rl_dnnl_conv2d_backward_weights_nhwc", KIND_BWD_WEIGHTS, s, 0, db != NULL,
              1, user, err);
}

RlStatus
rl_dnnl_conv2d_backward (RlDnnl *ctx, const RlConvShape *s, const float *x, const float *w,
                         const float *dy, float *dx, float *dw, float *db, RlError *err)
{
  return backward_both (ctx, "rl_dnnl_conv2d_backward", s, 0, x, w, dy, dx, dw, db, err);
}

RlStatus
rl_dnnl_conv2d_backward_nhwc (RlDnnl *ctx, const RlConvShape *s, const float *x, const float *w,
                              const float *dy, float *dx, float *dw, float *db, RlError *err)
{
  return backward_both (ctx, "rl_dnnl_conv2d_backward_nhwc", s, 1, x, w, dy, dx, dw, db, err);
}

/* Whether an entry works on the caller's buffers without reordering activations. */
int
rl_dnnl_reorders (RlDnnl *ctx, int which, const RlConvShape *s, int nhwc)
{
  if (ctx == NULL || s == NULL)
    return -1;
  for (int i = 0; i < ctx->n_entries; i++)
    {
      Entry *e = ctx->entries[i];
      if ((int) e->kind == which && e->nhwc == (nhwc != 0) && shape_equal (&e->shape, s))
        return e->args[ARG_SRC].conv_mem != NULL || e->args[ARG_DST].conv_mem != NULL;
    }
  return -1;
}

const char *
rl_dnnl_impl_name (RlDnnl *ctx, int which, const RlConvShape *s, int nhwc)
{
  if (ctx == NULL || s == NULL)
    return NULL;
  for (int i = 0; i < ctx->n_entries; i++)
    if ((int) ctx->entries[i]->kind == which && ctx->entries[i]->nhwc == (nhwc != 0)
        && shape_equal (&ctx->entries[i]->shape, s))
      return ctx->entries[i]->impl;
  return NULL;
}
