/* Whole-network SegNet inference in oneDNN: every activation stays in one blocked layout from the
 * first convolution to the logits (see rl-dnnl-net.h); primitives are built once per plan. */
#include "rl-dnnl-net.h"
#include "rl-mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl-dnnl-private.h"

typedef struct
{
  RlOpKind kind;
  int stage;
  dnnl_primitive_t prim;
  dnnl_memory_t src, dst;     /* activations (handles attached when the plan is built or run) */
  dnnl_memory_t wei, bias;    /* convolutions: weights in the primitive's layout, f32 bias */
  dnnl_memory_t ws;           /* pool / unpool: the stage's workspace (owned by the pool step) */
  dnnl_primitive_t cvt;       /* convolutions: reorders the previous step's output (cvt_src) */
  dnnl_memory_t cvt_src;      /* into src when it has another data type, else NULL */
  dnnl_memory_desc_t dst_md;
  int src_user, dst_user;     /* reads the caller's x / writes the caller's logits directly */
} Step;

struct RlDnnlPlan
{
  int height, width, n_threads;
  RlPrecision precision;
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  Step step[RL_NET_MAX_OPS];
  int n_steps;
  dnnl_format_tag_t block;    /* the activations' layout: nChw16c on AVX-512, else nChw8c */
  char impl[RL_NET_MAX_OPS][48];  /* oneDNN's implementation of each step */
  /* Input: the caller's NCHW f32, reordered into in_buf when the first convolution wants another
   * layout or bf16. Output: the last step's layout, reordered into the caller's NCHW f32. */
  dnnl_memory_t x_user, x_conv, logits_user, logits_conv;
  dnnl_primitive_t x_reorder, logits_reorder;
  void *in_buf;
  void *cvt_buf;              /* a convolution's input converted to its data type */
  void *act[2];               /* ping-pong activation buffers */
  void *ws_buf[RL_NET_MAX_STAGES];
  void *wei_buf[RL_NET_MAX_CONVS];
  float *bias_buf[RL_NET_MAX_CONVS];
  void *scratch;
  dnnl_memory_t scratch_mem;
  size_t bytes;
};

/* 64-byte aligned, counted in plan->bytes; NULL on failure. */
static void *
plan_alloc (RlDnnlPlan *p, size_t bytes)
{
  void *q = rl_mem_alloc (bytes > 0 ? bytes : 64, 64);
  if (q == NULL)
    return NULL;
  p->bytes += bytes;
  return q;
}

void
rl_dnnl_plan_free (RlDnnlPlan *p)
{
  if (p == NULL)
    return;
  for (int i = 0; i < p->n_steps; i++)
    {
      Step *s = &p->step[i];
      dnnl_memory_t mems[] = { s->src, s->dst, s->wei, s->bias, s->cvt_src };
      for (size_t k = 0; k < sizeof mems / sizeof mems[0]; k++)
        if (mems[k] != NULL)
          dnnl_memory_destroy (mems[k]);
      if (s->kind == RL_OP_POOL && s->ws != NULL)
        dnnl_memory_destroy (s->ws);
      if (s->prim != NULL)
        dnnl_primitive_destroy (s->prim);
      if (s->cvt != NULL)
        dnnl_primitive_destroy (s->cvt);
    }
  dnnl_memory_t mems[] = { p->x_user, p->x_conv, p->logits_user, p->logits_conv, p->scratch_mem };
  for (size_t k = 0; k < sizeof mems / sizeof mems[0]; k++)
    if (mems[k] != NULL)
      dnnl_memory_destroy (mems[k]);
  if (p->x_reorder != NULL)
    dnnl_primitive_destroy (p->x_reorder);
  if (p->logits_reorder != NULL)
    dnnl_primitive_destroy (p->logits_reorder);
  rl_mem_free (p->in_buf);
  rl_mem_free (p->cvt_buf);
  rl_mem_free (p->act[0]);
  rl_mem_free (p->act[1]);
  for (int i = 0; i < RL_NET_MAX_STAGES; i++)
    rl_mem_free (p->ws_buf[i]);
  for (int i = 0; i < RL_NET_MAX_CONVS; i++)
    {
      rl_mem_free (p->wei_buf[i]);
      rl_mem_free (p->bias_buf[i]);
    }
  rl_mem_free (p->scratch);
  if (p->stream != NULL)
    dnnl_stream_destroy (p->stream);
  if (p->engine != NULL)
    dnnl_engine_destroy (p->engine);
  free (p);
}

int
rl_dnnl_plan_matches (const RlDnnlPlan *p, int height, int width, RlPrecision precision,
                      int n_threads)
{
  return p != NULL && p->height == height && p->width == width && p->precision == precision
         && p->n_threads == n_threads;
}

const char *
rl_dnnl_plan_impl (const RlDnnlPlan *p, int i)
{
  return p != NULL && i >= 0 && i < p->n_steps ? p->impl[i] : NULL;
}

int
rl_dnnl_plan_num_steps (const RlDnnlPlan *p)
{
  return p != NULL ? p->n_steps : 0;
}

size_t
rl_dnnl_plan_bytes (const RlDnnlPlan *p)
{
  return p != NULL ? p->bytes : 0;
}

/* Reorders src (plain, in user memory) into a new plan-owned buffer of layout md; *buf and *mem
 * receive it. Used for weights at build time. */
static RlStatus
reorder_into (RlDnnlPlan *p, const dnnl_memory_desc_t *user_md, void *user,
              const dnnl_memory_desc_t *md, void **buf, dnnl_memory_t *mem, RlError *err)
{
  dnnl_memory_t um = NULL;
  dnnl_primitive_desc_t rpd = NULL;
  dnnl_primitive_t r = NULL;
  RlStatus status = RL_OK;

  *buf = plan_alloc (p, dnnl_memory_desc_get_size (md));
  if (*buf == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory for weights");
  DN (dnnl_memory_create (mem, md, p->engine, *buf), "creating a weight buffer");
  DN (dnnl_memory_create (&um, user_md, p->engine, user), "wrapping the weights");
  DN (dnnl_reorder_primitive_desc_create (&rpd, user_md, p->engine, md, p->engine, NULL),
      "describing a weight reorder");
  DN (dnnl_primitive_create (&r, rpd), "creating a weight reorder");
  {
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, um }, { DNNL_ARG_TO, *mem } };
    DN (dnnl_primitive_execute (r, p->stream, 2, a), "reordering weights");
    DN (dnnl_stream_wait (p->stream), "waiting for the stream");
  }
out:
  if (r != NULL)
    dnnl_primitive_destroy (r);
  if (rpd != NULL)
    dnnl_primitive_desc_destroy (rpd);
  if (um != NULL)
    dnnl_memory_destroy (um);
  return status;
}

/* A reorder primitive between two descriptors (NULL output when they are equal). */
static RlStatus
make_reorder (RlDnnlPlan *p, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
              dnnl_primitive_t *out, RlError *err)
{
  dnnl_primitive_desc_t rpd = NULL;
  RlStatus status = RL_OK;

  *out = NULL;
  if (dnnl_memory_desc_equal (from, to))
    return RL_OK;
  DN (dnnl_reorder_primitive_desc_create (&rpd, from, p->engine, to, p->engine, NULL),
      "describing an activation reorder");
  DN (dnnl_primitive_create (out, rpd), "creating an activation reorder");
out:
  if (rpd != NULL)
    dnnl_primitive_desc_destroy (rpd);
  return status;
}

/* Grows the shared scratchpad to what pd needs. */
static void
note_scratchpad (size_t *need, const_dnnl_primitive_desc_t pd)
{
  const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md (pd, dnnl_query_scratchpad_md, 0);
  if (md != NULL)
    {
      size_t b = dnnl_memory_desc_get_size (md);
      *need = b > *need ? b : *need;
    }
}

/* The data type convolution op i computes in. The bf16 plan runs the convolutions before the
 * first max-pool in f32: that pool's argmax at full resolution is the most sensitive to rounding
 * (a near-tie flipped by bf16 sends a value to another pixel through the unpool), and they cost
 * little (3 input channels in SegNet-Basic). Measured on CamVid val with the shipped model of
 * iteration 5248, labels as fp32: 98.45 % all in bf16, 99.32 % with f32 pool inputs, 99.55 %
 * with this as well (99.75 % with that of iteration 8008). */
static dnnl_data_type_t
conv_type (const RlDnnlPlan *p, const RlNet *net, int i)
{
  if (p->precision == RL_PRECISION_FP32)
    return dnnl_f32;
  for (int j = 0; j < i; j++)
    if (net->op[j].kind == RL_OP_POOL)
      return dnnl_bf16;
  return dnnl_f32;
}

/* Records the implementation oneDNN chose for step i and refuses its reference kernels: they are
 * correct but 20-50x slower than the reference path's im2col + OpenBLAS (a 480x360 image took
 * over 120 s on an AVX2 CPU when the plan forced 16-channel blocks there), so a plan that would
 * use one is not built and the caller falls back. */
static RlStatus
check_impl (RlDnnlPlan *p, int i, const_dnnl_primitive_desc_t pd, const char *what, RlError *err)
{
  const char *impl = NULL;
  if (dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success
      || impl == NULL)
    impl = "unknown";
  snprintf (p->impl[i], sizeof p->impl[i], "%s", impl);
  if (strncmp (impl, "ref", 3) == 0)
    return rl_error_set (err, RL_ERR_UNSUPPORTED, "oneDNN plan: layer %s would run on oneDNN's "
                         "reference kernel (%s) on this CPU", what, impl);
  return RL_OK;
}

static RlStatus
build (RlDnnlPlan *p, const RlNet *net, const float *params, RlError *err)
{
  dnnl_primitive_attr_t attr = NULL, relu_attr = NULL;
  dnnl_post_ops_t po = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_desc_t pool_pd[RL_NET_MAX_STAGES] = { NULL };
  dnnl_memory_desc_t cur, x_md, logits_md;
  size_t act_bytes = 0, cvt_bytes = 0, scratch_need = 0;
  int c = 3, h = p->height, w = p->width;
  int pre_h[RL_NET_MAX_STAGES], pre_w[RL_NET_MAX_STAGES], pre_c[RL_NET_MAX_STAGES];
  RlStatus status = RL_OK;

  DN (dnnl_primitive_attr_create (&attr), "creating primitive attributes");
  DN (dnnl_primitive_attr_set_scratchpad_mode (attr, dnnl_scratchpad_mode_user),
      "setting the scratchpad mode");
  DN (dnnl_primitive_attr_create (&relu_attr), "creating primitive attributes");
  DN (dnnl_primitive_attr_set_scratchpad_mode (relu_attr, dnnl_scratchpad_mode_user),
      "setting the scratchpad mode");
  DN (dnnl_post_ops_create (&po), "creating post-ops");
  DN (dnnl_post_ops_append_eltwise (po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f),
      "appending the ReLU post-op");
  DN (dnnl_primitive_attr_set_post_ops (relu_attr, po), "setting post-ops");
  {
    dnnl_dims_t d = { 1, 3, h, w };
    DN (dnnl_memory_desc_init_by_tag (&x_md, 4, d, dnnl_f32, dnnl_nchw), "describing the input");
  }
  DN (dnnl_memory_create (&p->x_user, &x_md, p->engine, DNNL_MEMORY_NONE),
      "wrapping the input");

  for (int i = 0; i < net->n_ops; i++)
    {
      const RlOp *op = &net->op[i];
      Step *s = &p->step[p->n_steps++];
      int last = i == net->n_ops - 1;
      s->kind = op->kind;
      s->stage = op->index;
      if (op->kind == RL_OP_CONV)
        {
          const RlConvSpec *cv = &net->conv[op->index];
          dnnl_convolution_desc_t cd;
          dnnl_memory_desc_t src_md, wei_md, bias_md, dst_md, wu_md, bu_md;
          dnnl_dims_t sd = { 1, c, h, w }, wd = { cv->c_out, c, cv->k, cv->k }, bd = { cv->c_out };
          dnnl_dims_t dd = { 1, cv->c_out, h + 2 * cv->pad - cv->k + 1,
                             w + 2 * cv->pad - cv->k + 1 };
          dnnl_dims_t strides = { 1, 1 }, pad = { cv->pad, cv->pad };
          dnnl_data_type_t dt = conv_type (p, net, i);
          /* f32 out for the logits, and for a max-pool, which then compares (and unpools by)
           * f32 values, not near-ties rounded to equal bf16; a bf16 convolution reading a pool's
           * output converts it (a quarter of the pixels). */
          int f32_out = last || dt == dnnl_f32 || net->op[i + 1].kind == RL_OP_POOL;
          if (cv->c_in != c)
            {
              status = rl_error_set (err, RL_ERR_INVALID, "oneDNN plan: layer %s expects %d "
                                     "channels, gets %d", cv->name, cv->c_in, c);
              goto out;
            }
          if (i == 0)
            DN (dnnl_memory_desc_init_by_tag (&src_md, 4, sd, dt, dnnl_format_tag_any),
                "describing a convolution input");
          else if (cur.data_type == dt)
            src_md = cur;
          else
            DN (dnnl_memory_desc_init_by_tag (&src_md, 4, sd, dt, p->block),
                "describing a convolution input");
          DN (dnnl_memory_desc_init_by_tag (&wei_md, 4, wd, dt, dnnl_format_tag_any),
              "describing weights");
          DN (dnnl_memory_desc_init_by_tag (&bias_md, 1, bd, dnnl_f32, dnnl_x),
              "describing a bias");
          /* Logits in f32, in whatever layout the kernel writes best (reordered once). */
          DN (dnnl_memory_desc_init_by_tag (&dst_md, 4, dd, f32_out ? dnnl_f32 : dnnl_bf16,
                                            last ? dnnl_format_tag_any : p->block),
              "describing a convolution output");
          DN (dnnl_convolution_forward_desc_init (&cd, dnnl_forward_inference,
                                                  dnnl_convolution_direct, &src_md, &wei_md,
                                                  &bias_md, &dst_md, strides, pad, pad),
              "describing a convolution");
          DN (dnnl_primitive_desc_create (&pd, &cd, cv->relu ? relu_attr : attr, p->engine, NULL),
              "creating a convolution");
          status = check_impl (p, p->n_steps - 1, pd, cv->name, err);
          if (status != RL_OK)
            goto out;
          DN (dnnl_primitive_create (&s->prim, pd), "creating a convolution primitive");
          note_scratchpad (&scratch_need, pd);
          /* Weights and bias from the folded parameters. */
          DN (dnnl_memory_desc_init_by_tag (&wu_md, 4, wd, dnnl_f32, dnnl_oihw),
              "describing plain weights");
          status = reorder_into (p, &wu_md, (void *) (params + net->param[cv->p_w].offset),
                                 dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0),
                                 &p->wei_buf[op->index], &s->wei, err);
          if (status != RL_OK)
            goto out;
          p->bias_buf[op->index] = plan_alloc (p, cv->c_out * sizeof (float));
          if (p->bias_buf[op->index] == NULL)
            {
              status = rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory");
              goto out;
            }
          memcpy (p->bias_buf[op->index], params + net->param[cv->p_b].offset,
                  cv->c_out * sizeof (float));
          bu_md = bias_md;
          DN (dnnl_memory_create (&s->bias, &bu_md, p->engine, p->bias_buf[op->index]),
              "wrapping a bias");
          /* The first convolution reads the caller's input, reordered if it must be. */
          const dnnl_memory_desc_t *q = dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
          if (i == 0)
            {
              status = make_reorder (p, &x_md, q, &p->x_reorder, err);
              if (status != RL_OK)
                goto out;
              if (p->x_reorder != NULL)
                {
                  p->in_buf = plan_alloc (p, dnnl_memory_desc_get_size (q));
                  if (p->in_buf == NULL)
                    {
                      status = rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory");
                      goto out;
                    }
                  DN (dnnl_memory_create (&p->x_conv, q, p->engine, p->in_buf),
                      "creating the input buffer");
                }
              s->src_user = p->x_reorder == NULL;
            }
          else
            {
              status = make_reorder (p, &cur, q, &s->cvt, err);
              if (status != RL_OK)
                goto out;
              if (s->cvt != NULL)
                {
                  size_t b = dnnl_memory_desc_get_size (q);
                  cvt_bytes = b > cvt_bytes ? b : cvt_bytes;
                  DN (dnnl_memory_create (&s->cvt_src, &cur, p->engine, DNNL_MEMORY_NONE),
                      "describing a conversion input");
                }
            }
          DN (dnnl_memory_create (&s->src, q, p->engine, DNNL_MEMORY_NONE),
              "describing a convolution input");
          s->dst_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
          c = cv->c_out;
          h = (int) dd[2];
          w = (int) dd[3];
          dnnl_primitive_desc_destroy (pd);
          pd = NULL;
        }
      else if (op->kind == RL_OP_POOL)
        {
          dnnl_pooling_v2_desc_t pdsc;
          dnnl_memory_desc_t dst_md;
          int ho = (h + 1) / 2, wo = (w + 1) / 2;
          dnnl_dims_t dd = { 1, c, ho, wo }, k = { 2, 2 }, st = { 2, 2 }, dil = { 0, 0 };
          dnnl_dims_t pl = { 0, 0 }, pr = { 2 * ho - h, 2 * wo - w };  /* ceil mode */
          const dnnl_memory_desc_t *wmd;
          if (op->index < 0 || op->index >= RL_NET_MAX_STAGES || pool_pd[op->index] != NULL)
            {
              status = rl_error_set (err, RL_ERR_INVALID, "oneDNN plan: bad pooling stage");
              goto out;
            }
          pre_h[op->index] = h;
          pre_w[op->index] = w;
          pre_c[op->index] = c;
          DN (dnnl_memory_desc_init_by_tag (&dst_md, 4, dd, cur.data_type, dnnl_format_tag_any),
              "describing a pooling output");
          /* forward_training: the workspace remembers the argmax for the unpool. */
          DN (dnnl_pooling_v2_forward_desc_init (&pdsc, dnnl_forward_training,
                                                 dnnl_pooling_max, &cur, &dst_md, st, k, dil,
                                                 pl, pr),
              "describing a max-pool");
          DN (dnnl_primitive_desc_create (&pool_pd[op->index], &pdsc, attr, p->engine, NULL),
              "creating a max-pool");
          status = check_impl (p, p->n_steps - 1, pool_pd[op->index], "max-pool", err);
          if (status != RL_OK)
            goto out;
          DN (dnnl_primitive_create (&s->prim, pool_pd[op->index]), "creating a max-pool primitive");
          note_scratchpad (&scratch_need, pool_pd[op->index]);
          wmd = dnnl_primitive_desc_query_md (pool_pd[op->index], dnnl_query_workspace_md, 0);
          if (wmd == NULL)
            {
              status = rl_error_set (err, RL_ERR_UNSUPPORTED, "oneDNN plan: max-pool has no "
                                     "workspace");
              goto out;
            }
          p->ws_buf[op->index] = plan_alloc (p, dnnl_memory_desc_get_size (wmd));
          if (p->ws_buf[op->index] == NULL)
            {
              status = rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory");
              goto out;
            }
          DN (dnnl_memory_create (&s->ws, wmd, p->engine, p->ws_buf[op->index]),
              "creating a pooling workspace");
          DN (dnnl_memory_create (&s->src, &cur, p->engine, DNNL_MEMORY_NONE),
              "describing a pooling input");
          s->dst_md = *dnnl_primitive_desc_query_md (pool_pd[op->index], dnnl_query_dst_md, 0);
          h = ho;
          w = wo;
        }
      else
        {
          /* Max-unpool = the max-pool's backward pass: each value goes to its argmax, 0 elsewhere. */
          dnnl_pooling_v2_desc_t pdsc;
          dnnl_memory_desc_t src_md, dst_md;
          int g = op->index;
          dnnl_dims_t k = { 2, 2 }, st = { 2, 2 }, dil = { 0, 0 }, pl = { 0, 0 }, pr;
          if (g < 0 || g >= RL_NET_MAX_STAGES || pool_pd[g] == NULL || pre_c[g] != c)
            {
              status = rl_error_set (err, RL_ERR_INVALID, "oneDNN plan: unpool %d has no "
                                     "matching pool", g);
              goto out;
            }
          dnnl_dims_t sd = { 1, c, pre_h[g], pre_w[g] };
          pr[0] = 2 * h - pre_h[g];
          pr[1] = 2 * w - pre_w[g];
          DN (dnnl_memory_desc_init_by_tag (&src_md, 4, sd, cur.data_type, p->block),
              "describing an unpool output");
          dst_md = cur;
          DN (dnnl_pooling_v2_backward_desc_init (&pdsc, dnnl_pooling_max, &src_md, &dst_md, st,
                                                  k, dil, pl, pr),
              "describing a max-unpool");
          DN (dnnl_primitive_desc_create (&pd, &pdsc, attr, p->engine, pool_pd[g]),
              "creating a max-unpool");
          status = check_impl (p, p->n_steps - 1, pd, "max-unpool", err);
          if (status != RL_OK)
            goto out;
          DN (dnnl_primitive_create (&s->prim, pd), "creating a max-unpool primitive");
          note_scratchpad (&scratch_need, pd);
          for (int j = 0; j < p->n_steps; j++)
            if (p->step[j].kind == RL_OP_POOL && p->step[j].stage == g)
              s->ws = p->step[j].ws;
          DN (dnnl_memory_create (&s->src, &cur, p->engine, DNNL_MEMORY_NONE),
              "describing an unpool input");
          s->dst_md = *dnnl_primitive_desc_query_md (pd, dnnl_query_diff_src_md, 0);
          h = pre_h[g];
          w = pre_w[g];
          dnnl_primitive_desc_destroy (pd);
          pd = NULL;
        }
      cur = s->dst_md;
      if (!last || op->kind != RL_OP_CONV)
        {
          size_t b = dnnl_memory_desc_get_size (&cur);
          act_bytes = b > act_bytes ? b : act_bytes;
        }
    }
  if (p->n_steps == 0 || p->step[p->n_steps - 1].kind != RL_OP_CONV)
    {
      status = rl_error_set (err, RL_ERR_INVALID, "oneDNN plan: the network must end in a "
                             "convolution");
      goto out;
    }
  /* Logits: straight into the caller's buffer when the layout is already NCHW f32. */
  {
    Step *s = &p->step[p->n_steps - 1];
    dnnl_dims_t d = { 1, c, h, w };
    DN (dnnl_memory_desc_init_by_tag (&logits_md, 4, d, dnnl_f32, dnnl_nchw),
        "describing the logits");
    DN (dnnl_memory_create (&p->logits_user, &logits_md, p->engine, DNNL_MEMORY_NONE),
        "wrapping the logits");
    status = make_reorder (p, &s->dst_md, &logits_md, &p->logits_reorder, err);
    if (status != RL_OK)
      goto out;
    s->dst_user = p->logits_reorder == NULL;
    if (!s->dst_user)
      {
        size_t b = dnnl_memory_desc_get_size (&s->dst_md);
        act_bytes = b > act_bytes ? b : act_bytes;
      }
  }
  for (int k = 0; k < 2; k++)
    if ((p->act[k] = plan_alloc (p, act_bytes)) == NULL)
      {
        status = rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory for "
                               "activations (%zu bytes)", act_bytes);
        goto out;
      }
  if (cvt_bytes > 0 && (p->cvt_buf = plan_alloc (p, cvt_bytes)) == NULL)
    {
      status = rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory");
      goto out;
    }
  /* Ping-pong: step i writes act[i % 2] and reads what step i - 1 wrote (through cvt_buf when
   * it converts it first). */
  for (int i = 0; i < p->n_steps; i++)
    {
      Step *s = &p->step[i];
      void *in = i == 0 ? (p->x_reorder != NULL ? p->in_buf : NULL) : p->act[(i - 1) % 2];
      void *outp = s->dst_user ? NULL : p->act[i % 2];
      DN (dnnl_memory_create (&s->dst, &s->dst_md, p->engine, DNNL_MEMORY_NONE),
          "describing an output");
      if (s->cvt != NULL)
        {
          DN (dnnl_memory_set_data_handle (s->cvt_src, in), "attaching a conversion input");
          in = p->cvt_buf;
        }
      if (in != NULL)
        DN (dnnl_memory_set_data_handle (s->src, in), "attaching an input");
      if (outp != NULL)
        DN (dnnl_memory_set_data_handle (s->dst, outp), "attaching an output");
    }
  if (p->logits_reorder != NULL)
    DN (dnnl_memory_create (&p->logits_conv, &p->step[p->n_steps - 1].dst_md, p->engine,
                            p->act[(p->n_steps - 1) % 2]),
        "describing the logits buffer");
  if (scratch_need > 0)
    {
      dnnl_memory_desc_t smd;
      dnnl_dims_t d = { (dnnl_dim_t) scratch_need };
      p->scratch = plan_alloc (p, scratch_need);
      if (p->scratch == NULL)
        {
          status = rl_error_set (err, RL_ERR_NOMEM, "oneDNN plan: out of memory");
          goto out;
        }
      DN (dnnl_memory_desc_init_by_tag (&smd, 1, d, dnnl_u8, dnnl_x), "describing a scratchpad");
      DN (dnnl_memory_create (&p->scratch_mem, &smd, p->engine, p->scratch),
          "creating the scratchpad");
    }
out:
  for (int g = 0; g < RL_NET_MAX_STAGES; g++)
    if (pool_pd[g] != NULL)
      dnnl_primitive_desc_destroy (pool_pd[g]);
  if (pd != NULL)
    dnnl_primitive_desc_destroy (pd);
  if (po != NULL)
    dnnl_post_ops_destroy (po);
  if (attr != NULL)
    dnnl_primitive_attr_destroy (attr);
  if (relu_attr != NULL)
    dnnl_primitive_attr_destroy (relu_attr);
  return status;
}

RlStatus
rl_dnnl_plan_new (const RlNet *net, const float *params, int height, int width,
                  RlPrecision precision, int n_threads, RlDnnlPlan **out, RlError *err)
{
  RlDnnlPlan *p;
  RlStatus status = RL_OK;

  if (out == NULL || net == NULL || params == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "rl_dnnl_plan_new: NULL argument");
  *out = NULL;
  if (height < 1 || width < 1 || (int64_t) height * width > ((int64_t) 1 << 28))
    return rl_error_set (err, RL_ERR_INVALID, "rl_dnnl_plan_new: bad image size %dx%d", width,
                         height);
  if (!rl_net_is_plain (net))   /* the decoder variants run layer by layer (rl-model.c) */
    return rl_error_set (err, RL_ERR_UNSUPPORTED, "%s has no whole-network oneDNN plan",
                         net->arch);
  if (!rl_dnnl_supports (precision))
    return rl_error_set (err, RL_ERR_UNSUPPORTED, "the bf16 engine path: this CPU has no native "
                         "bf16 (needs AVX512-BF16 or AMX)");
  p = calloc (1, sizeof *p);
  if (p == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "rl_dnnl_plan_new: out of memory");
  p->height = height;
  p->width = width;
  p->precision = precision;
  p->n_threads = n_threads > 0 ? n_threads : 0;
  p->block = rl_dnnl_block_tag ();
#ifdef RL_DNNL_OMP
  /* Kernels are created for the thread count they run with. */
  int saved_threads = omp_get_max_threads ();
  if (p->n_threads > 0)
    omp_set_num_threads (p->n_threads);
#endif
  DN (dnnl_engine_create (&p->engine, dnnl_cpu, 0), "creating the CPU engine");
  DN (dnnl_stream_create (&p->stream, p->engine, dnnl_stream_default_flags),
      "creating a stream");
  status = build (p, net, params, err);
out:
#ifdef RL_DNNL_OMP
  omp_set_num_threads (saved_threads);
#endif
  if (status != RL_OK)
    {
      rl_dnnl_plan_free (p);
      return status;
    }
  *out = p;
  return RL_OK;
}

RlStatus
rl_dnnl_plan_run (RlDnnlPlan *p, const float *x, float *logits, int (*abort) (void *data),
                  void *abort_data, RlError *err)
{
  RlStatus status = RL_OK;

  if (p == NULL || x == NULL || logits == NULL)
    return rl_error_set (err, RL_ERR_INVALID, "rl_dnnl_plan_run: NULL argument");
#ifdef RL_DNNL_OMP
  int saved_threads = omp_get_max_threads ();
  if (p->n_threads > 0)
    omp_set_num_threads (p->n_threads);
#endif
  DN (dnnl_memory_set_data_handle (p->x_user, (void *) x), "attaching the input");
  DN (dnnl_memory_set_data_handle (p->logits_user, logits), "attaching the logits");
  if (p->x_reorder != NULL)
    {
      dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, p->x_user }, { DNNL_ARG_TO, p->x_conv } };
      DN (dnnl_primitive_execute (p->x_reorder, p->stream, 2, a), "reordering the input");
    }
  for (int i = 0; i < p->n_steps; i++)
    {
      Step *s = &p->step[i];
      dnnl_exec_arg_t a[6];
      int n = 0;
      if (abort != NULL && abort (abort_data))
        {
          status = rl_error_set (err, RL_ERR_CANCELLED, "cancelled");
          goto out;
        }
      if (s->src_user)
        DN (dnnl_memory_set_data_handle (s->src, (void *) x), "attaching the input");
      if (s->dst_user)
        DN (dnnl_memory_set_data_handle (s->dst, logits), "attaching the logits");
      switch (s->kind)
        {
        case RL_OP_CONV:
          if (s->cvt != NULL)
            {
              dnnl_exec_arg_t c[2] = { { DNNL_ARG_FROM, s->cvt_src }, { DNNL_ARG_TO, s->src } };
              DN (dnnl_primitive_execute (s->cvt, p->stream, 2, c), "converting an input");
            }
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, s->src };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_WEIGHTS, s->wei };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_BIAS, s->bias };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DST, s->dst };
          break;
        case RL_OP_POOL:
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_SRC, s->src };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DST, s->dst };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_WORKSPACE, s->ws };
          break;
        case RL_OP_UNPOOL:
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_DST, s->src };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_DIFF_SRC, s->dst };
          a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_WORKSPACE, s->ws };
          break;
        default:   /* never built: rl_dnnl_plan_new refuses nets that are not plain */
          break;
        }
      if (p->scratch_mem != NULL)
        a[n++] = (dnnl_exec_arg_t) { DNNL_ARG_SCRATCHPAD, p->scratch_mem };
      DN (dnnl_primitive_execute (s->prim, p->stream, n, a), "running a layer");
    }
  if (p->logits_reorder != NULL)
    {
      dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, p->logits_conv }, { DNNL_ARG_TO, p->logits_user } };
      DN (dnnl_primitive_execute (p->logits_reorder, p->stream, 2, a), "reordering the logits");
    }
  DN (dnnl_stream_wait (p->stream), "waiting for the stream");
out:
#ifdef RL_DNNL_OMP
  omp_set_num_threads (saved_threads);
#endif
  return status;
}
