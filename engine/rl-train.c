/* The SegNet trainer: forward in train or eval mode keeping activations, backward through every
 * layer to parameter gradients, SGD, and the input statistics helper. */
#include "rl-train.h"
#include "rl-mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl-net.h"

struct RlTrainer
{
  RlNet net;
  RlNetMeta meta;
  float *params, *grads, *momentum;
  RlWorkspace *ws;

  /* Activations of the last forward, for (n, h, w). */
  int n, h, w, trained;
  int oc[RL_NET_MAX_OPS], oh[RL_NET_MAX_OPS], ow[RL_NET_MAX_OPS];
  int pre_h[RL_NET_MAX_STAGES], pre_w[RL_NET_MAX_STAGES];
  float *arena;
  size_t arena_cap;
  int32_t *idx_arena;
  size_t idx_cap;
  float *act[RL_NET_MAX_OPS + 1];     /* act[0] input, act[i + 1] output of op i */
  float *z[RL_NET_MAX_CONVS];         /* conv output before batch norm */
  int32_t *idx[RL_NET_MAX_STAGES];
  float *gbuf[2];
  float *accum[RL_NET_MAX_OPS];       /* gradient of an op's output read by a branch or an add
                                       * (not only by the next op); NULL otherwise */
  float *bn_mean, *bn_invstd;         /* per conv at bn_off[j] */
  int bn_frozen;                      /* train-mode steps use and keep the running statistics */
  int n_frozen;                       /* convs 0..n_frozen - 1 neither learn nor update their
                                       * statistics; backward stops at conv n_frozen */
  size_t bn_off[RL_NET_MAX_CONVS];
};

static RlStatus
trainer_alloc (RlTrainer *t, RlEnginePath path, RlError *err)
{
  size_t bn_total = 0;
  for (int j = 0; j < t->net.n_convs; j++)
    {
      t->bn_off[j] = bn_total;
      bn_total += (size_t) t->net.conv[j].c_out;
    }
  if (t->params == NULL)
    t->params = rl_mem_alloc (t->net.total * sizeof (float), 64);
  t->grads = rl_mem_alloc0 (t->net.total * sizeof (float), 64);
  t->momentum = rl_mem_alloc0 (t->net.total * sizeof (float), 64);
  t->bn_mean = calloc (bn_total, sizeof (float));
  t->bn_invstd = calloc (bn_total, sizeof (float));
  if (t->params == NULL || t->grads == NULL || t->momentum == NULL || t->bn_mean == NULL
      || t->bn_invstd == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for the trainer");
  return rl_workspace_new (path, &t->ws, err);
}

RlStatus
rl_trainer_new (const char *arch, int num_classes, uint64_t seed, RlEnginePath path,
                RlTrainer **out, RlError *err)
{
  *out = NULL;
  RlTrainer *t = calloc (1, sizeof *t);
  if (t == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
  RlStatus st = rl_net_init (&t->net, arch, num_classes, err);
  if (st == RL_OK)
    st = rl_net_meta_default (&t->meta, num_classes, err);
  if (st == RL_OK)
    st = trainer_alloc (t, path, err);
  if (st != RL_OK)
    {
      rl_trainer_free (t);
      return st;
    }
  rl_net_init_params (&t->net, seed, t->params);
  *out = t;
  return RL_OK;
}

RlStatus
rl_trainer_load (const char *model_path, RlEnginePath path, RlTrainer **out, RlError *err)
{
  *out = NULL;
  RlTrainer *t = calloc (1, sizeof *t);
  if (t == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
  RlStatus st = rl_net_load (model_path, &t->net, &t->meta, &t->params, err);
  if (st == RL_OK)
    st = trainer_alloc (t, path, err);
  if (st != RL_OK)
    {
      rl_trainer_free (t);
      return st;
    }
  *out = t;
  return RL_OK;
}

void
rl_trainer_free (RlTrainer *t)
{
  if (t == NULL)
    return;
  rl_net_meta_clear (&t->meta);
  rl_mem_free (t->params);
  rl_mem_free (t->grads);
  rl_mem_free (t->momentum);
  free (t->bn_mean);
  free (t->bn_invstd);
  rl_mem_free (t->arena);
  rl_mem_free (t->idx_arena);
  rl_workspace_free (t->ws);
  free (t);
}

RlStatus
rl_trainer_set_classes (RlTrainer *t, const char *const *names, int ignore_index, RlError *err)
{
  for (int i = 0; i < t->net.num_classes; i++)
    {
      char *s = strdup (names[i]);
      if (s == NULL)
        return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
      free (t->meta.class_names[i]);
      t->meta.class_names[i] = s;
    }
  t->meta.ignore_index = ignore_index;
  return RL_OK;
}

void
rl_trainer_set_input_stats (RlTrainer *t, const float mean[3], const float std[3])
{
  memcpy (t->meta.mean, mean, sizeof t->meta.mean);
  memcpy (t->meta.std, std, sizeof t->meta.std);
}

void
rl_trainer_set_input_norm (RlTrainer *t, int input_norm)
{
  t->meta.input_norm = input_norm;
}

int
rl_trainer_input_norm (const RlTrainer *t)
{
  return t->meta.input_norm;
}

RlStatus
rl_trainer_set_loss (RlTrainer *t, const char *loss, const float *class_weights,
                     double class_weight_power, RlError *err)
{
  if (loss == NULL || strlen (loss) >= sizeof t->meta.loss)
    return rl_error_set (err, RL_ERR_INVALID, "loss name must be under %d characters",
                         (int) sizeof t->meta.loss);
  float *w = NULL;
  if (class_weights != NULL)
    {
      size_t bytes = (size_t) t->net.num_classes * sizeof (float);
      if ((w = malloc (bytes)) == NULL)
        return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
      memcpy (w, class_weights, bytes);
    }
  free (t->meta.class_weights);
  t->meta.class_weights = w;
  snprintf (t->meta.loss, sizeof t->meta.loss, "%s", loss);
  t->meta.class_weight_power = class_weight_power;
  return RL_OK;
}

RlStatus
rl_trainer_set_trained_on (RlTrainer *t, const char *json, RlError *err)
{
  char *copy = NULL;
  if (json != NULL)
    {
      RlStatus st = rl_trained_on_check ("trained_on", json, err);
      if (st != RL_OK)
        return st;
      if ((copy = strdup (json)) == NULL)
        return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
    }
  free (t->meta.trained_on);
  t->meta.trained_on = copy;
  return RL_OK;
}

const char *
rl_trainer_trained_on (const RlTrainer *t)
{
  return t->meta.trained_on;
}

const char *
rl_trainer_loss (const RlTrainer *t)
{
  return t->meta.loss;
}

const float *
rl_trainer_class_weights (const RlTrainer *t)
{
  return t->meta.class_weights;
}

double
rl_trainer_class_weight_power (const RlTrainer *t)
{
  return t->meta.class_weight_power;
}

int
rl_trainer_num_classes (const RlTrainer *t)
{
  return t->net.num_classes;
}

RlEnginePath
rl_trainer_path (const RlTrainer *t)
{
  return rl_workspace_path (t->ws);
}

int
rl_trainer_ignore_index (const RlTrainer *t)
{
  return t->meta.ignore_index;
}

const float *
rl_trainer_input_mean (const RlTrainer *t)
{
  return t->meta.mean;
}

const float *
rl_trainer_input_std (const RlTrainer *t)
{
  return t->meta.std;
}

/* Lays out activations for (n, h, w) in one arena, growing it when needed. */
static RlStatus
plan_activations (RlTrainer *t, int n, int h, int w, RlError *err)
{
  const RlNet *net = &t->net;
  RlStatus st = rl_net_plan (net, h, w, t->oc, t->oh, t->ow, t->pre_h, t->pre_w, err);
  if (st != RL_OK)
    return st;
  size_t in_size = (size_t) n * 3 * h * w, total = in_size, biggest = in_size, idx_total = 0;
  for (int i = 0; i < net->n_ops; i++)
    {
      size_t sz = (size_t) n * t->oc[i] * t->oh[i] * t->ow[i];
      biggest = sz > biggest ? sz : biggest;
      const RlOp *op = &net->op[i];
      total += sz;
      if (RL_OP_HAS_CONV (op->kind) && net->conv[op->index].bn)
        total += sz;   /* z before batch norm as well as the output */
      if (op->kind == RL_OP_POOL)
        idx_total += sz;
    }
  total += 2 * biggest;
  int branch[RL_NET_MAX_OPS] = { 0 };   /* output read by an op other than the next */
  for (int i = 0; i < net->n_ops; i++)
    {
      const RlOp *op = &net->op[i];
      if (op->src >= 0 && op->src != i - 1)
        branch[op->src] = 1;
      if (op->kind == RL_OP_ADD)
        branch[op->skip] = 1;
    }
  for (int i = 0; i < net->n_ops; i++)
    if (branch[i])
      total += (size_t) n * t->oc[i] * t->oh[i] * t->ow[i];
  if (total > t->arena_cap)
    {
      rl_mem_free (t->arena);
      t->arena = rl_mem_alloc (total * sizeof (float), 64);
      t->arena_cap = t->arena != NULL ? total : 0;
    }
  if (idx_total > t->idx_cap)
    {
      rl_mem_free (t->idx_arena);
      t->idx_arena = rl_mem_alloc (idx_total * sizeof (int32_t), 64);
      t->idx_cap = t->idx_arena != NULL ? idx_total : 0;
    }
  if (t->arena == NULL || t->idx_arena == NULL)
    {
      t->n = 0;
      return rl_error_set (err, RL_ERR_NOMEM, "out of memory for activations of %d x %dx%d",
                           n, w, h);
    }
  float *p = t->arena;
  int32_t *q = t->idx_arena;
  t->act[0] = p;
  p += in_size;
  for (int i = 0; i < net->n_ops; i++)
    {
      size_t sz = (size_t) n * t->oc[i] * t->oh[i] * t->ow[i];
      const RlOp *op = &net->op[i];
      if (RL_OP_HAS_CONV (op->kind))
        {
          t->z[op->index] = p;
          if (net->conv[op->index].bn)
            p += sz;
        }
      if (op->kind == RL_OP_POOL)
        {
          t->idx[op->index] = q;
          q += sz;
        }
      t->act[i + 1] = p;
      p += sz;
    }
  t->gbuf[0] = p;
  t->gbuf[1] = p + biggest;
  p += 2 * biggest;
  for (int i = 0; i < net->n_ops; i++)
    {
      t->accum[i] = branch[i] ? p : NULL;
      if (branch[i])
        p += (size_t) n * t->oc[i] * t->oh[i] * t->ow[i];
    }
  t->n = n;
  t->h = h;
  t->w = w;
  return RL_OK;
}

#define P(t, k) ((t)->params + (t)->net.param[k].offset)
#define G(t, k) ((t)->grads + (t)->net.param[k].offset)

RlStatus
rl_trainer_forward (RlTrainer *t, const float *x, int n, int h, int w, int train, RlError *err)
{
  if (n < 1)
    return rl_error_set (err, RL_ERR_INVALID, "empty batch");
  RlStatus st = plan_activations (t, n, h, w, err);
  if (st != RL_OK)
    return st;
  const RlNet *net = &t->net;
  memcpy (t->act[0], x, (size_t) n * 3 * h * w * sizeof (float));
  int h0 = h, w0 = w;
  t->trained = 0;
  for (int i = 0; i < net->n_ops && st == RL_OK; i++)
    {
      const RlOp *op = &net->op[i];
      /* the input: op src's output (the previous op's but for branches) */
      int c = op->src < 0 ? 3 : t->oc[op->src];
      h = op->src < 0 ? h0 : t->oh[op->src];
      w = op->src < 0 ? w0 : t->ow[op->src];
      float *in = t->act[op->src + 1], *out = t->act[i + 1];
      if (RL_OP_HAS_CONV (op->kind))
        {
          const RlConvSpec *cv = &net->conv[op->index];
          float *z = t->z[op->index];
          if (op->kind == RL_OP_CONV)
            {
              RlConvShape s = { n, c, h, w, cv->c_out, cv->k, cv->pad };
              st = rl_conv2d_forward (t->ws, &s, in, P (t, cv->p_w), P (t, cv->p_b), z,
                                      cv->relu && !cv->bn, err);
            }
          else if (op->kind == RL_OP_DWCONV)
            {
              rl_dwconv2d_forward (n, c, h, w, cv->k, in, P (t, cv->p_w), P (t, cv->p_b), z);
              if (cv->relu && !cv->bn)
                rl_relu_forward ((size_t) n * c * h * w, z);
            }
          else
            {
              st = rl_deconv2d_forward (t->ws, n, c, h, w, cv->c_out, t->oh[i], t->ow[i], in,
                                        P (t, cv->p_w), P (t, cv->p_b), z, err);
              if (st == RL_OK && cv->relu && !cv->bn)
                rl_relu_forward ((size_t) n * cv->c_out * t->oh[i] * t->ow[i], z);
            }
          if (st != RL_OK || !cv->bn)
            continue;
          int hw = t->oh[i] * t->ow[i];
          if (train && !t->bn_frozen && op->index >= t->n_frozen)
            st = rl_batchnorm_forward_train (n, cv->c_out, hw, z, P (t, cv->p_gamma),
                                             P (t, cv->p_beta), t->meta.bn_eps, 0.1f,
                                             P (t, cv->p_mean), P (t, cv->p_var), out,
                                             t->bn_mean + t->bn_off[op->index],
                                             t->bn_invstd + t->bn_off[op->index], err);
          else
            rl_batchnorm_forward_eval (n, cv->c_out, hw, z, P (t, cv->p_gamma),
                                       P (t, cv->p_beta), P (t, cv->p_mean), P (t, cv->p_var),
                                       t->meta.bn_eps, out);
          if (cv->relu)
            rl_relu_forward ((size_t) n * cv->c_out * hw, out);
        }
      else if (op->kind == RL_OP_POOL)
        rl_maxpool_forward (n, c, h, w, in, out, t->idx[op->index]);
      else if (op->kind == RL_OP_UNPOOL)
        rl_maxunpool_forward (n, c, h, w, t->oh[i], t->ow[i], in, t->idx[op->index], out);
      else if (op->kind == RL_OP_BILINEAR)
        rl_bilinear_forward (n, c, h, w, t->oh[i], t->ow[i], in, out);
      else
        rl_add_forward ((size_t) n * c * h * w, in, t->act[op->skip + 1], out);
    }
  if (st != RL_OK)
    {
      t->n = 0;
      return st;
    }
  t->trained = train;
  return RL_OK;
}

const float *
rl_trainer_logits (const RlTrainer *t)
{
  return t->n > 0 ? t->act[t->net.n_ops] : NULL;
}

const int32_t *
rl_trainer_pool_indices (const RlTrainer *t, int stage, int *c, int *h, int *w)
{
  if (t->n == 0 || stage < 0 || stage >= t->net.n_stages)
    return NULL;
  for (int i = 0; i < t->net.n_ops; i++)
    if (t->net.op[i].kind == RL_OP_POOL && t->net.op[i].index == stage)
      {
        *c = t->oc[i];
        *h = t->oh[i];
        *w = t->ow[i];
      }
  return t->idx[stage];
}

const float *
rl_trainer_conv_output (const RlTrainer *t, int j, int *c, int *h, int *w, int *relu)
{
  if (t->n == 0 || j < 0 || j >= t->net.n_convs)
    return NULL;
  for (int i = 0; i < t->net.n_ops; i++)
    if (RL_OP_HAS_CONV (t->net.op[i].kind) && t->net.op[i].index == j)
      {
        *c = t->oc[i];
        *h = t->oh[i];
        *w = t->ow[i];
        *relu = t->net.conv[j].relu;
        return t->act[i + 1];
      }
  return NULL;
}

int
rl_trainer_num_convs (const RlTrainer *t)
{
  return t->net.n_convs;
}

int
rl_trainer_num_stages (const RlTrainer *t)
{
  return t->net.n_stages;
}

RlStatus
rl_trainer_backward (RlTrainer *t, const uint8_t *labels, const float *class_weights,
                     double *loss, RlError *err)
{
  if (t->n == 0 || !t->trained)
    return rl_error_set (err, RL_ERR_INVALID, "backward needs a training-mode forward first");
  const RlNet *net = &t->net;
  int n = t->n, last = net->n_ops - 1;
  float *g = t->gbuf[0], *other = t->gbuf[1];
  RlStatus st = rl_softmax_xent (n, net->num_classes, t->oh[last] * t->ow[last],
                                 t->act[net->n_ops], labels, class_weights,
                                 t->meta.ignore_index, loss, g, err);
  if (st != RL_OK)
    return st;
  for (int i = 0; i < net->n_ops; i++)
    if (t->accum[i] != NULL)
      memset (t->accum[i], 0, (size_t) n * t->oc[i] * t->oh[i] * t->ow[i] * sizeof (float));
  int direct = 1;   /* g holds the gradient the next op passed back to this op's output */
  int stop = 0;     /* the first op with anything to learn: nothing before it needs a gradient */
  for (int i = 0; i < net->n_ops; i++)
    if (RL_OP_HAS_CONV (net->op[i].kind) && net->op[i].index == t->n_frozen)
      {
        stop = i;
        break;
      }
  for (int i = last; i >= stop && st == RL_OK; i--)
    {
      const RlOp *op = &net->op[i];
      int src = op->src;
      int c_in = src >= 0 ? t->oc[src] : 3;
      int h_in = src >= 0 ? t->oh[src] : t->h, w_in = src >= 0 ? t->ow[src] : t->w;
      int hw = t->oh[i] * t->ow[i];
      size_t out_sz = (size_t) n * t->oc[i] * hw;
      /* gradients reaching this op's output from branches and adds */
      if (t->accum[i] != NULL && !direct)
        memcpy (g, t->accum[i], out_sz * sizeof (float));
      else if (t->accum[i] != NULL)
        rl_add_forward (out_sz, g, t->accum[i], g);
      float *dx = src >= 0 && i > stop ? other : NULL;
      if (RL_OP_HAS_CONV (op->kind))
        {
          const RlConvSpec *cv = &net->conv[op->index];
          size_t sz = (size_t) n * cv->c_out * hw;
          if (cv->relu)
            rl_relu_backward (sz, t->act[i + 1], g, g);
          if (cv->bn && t->bn_frozen)
            rl_batchnorm_backward_eval (n, cv->c_out, hw, t->z[op->index], g,
                                        P (t, cv->p_gamma), P (t, cv->p_mean), P (t, cv->p_var),
                                        t->meta.bn_eps, g, G (t, cv->p_gamma),
                                        G (t, cv->p_beta));
          else if (cv->bn)
            rl_batchnorm_backward (n, cv->c_out, hw, t->z[op->index], g, P (t, cv->p_gamma),
                                   t->bn_mean + t->bn_off[op->index],
                                   t->bn_invstd + t->bn_off[op->index], g,
                                   G (t, cv->p_gamma), G (t, cv->p_beta));
          if (op->kind == RL_OP_CONV)
            {
              RlConvShape s = { n, c_in, h_in, w_in, cv->c_out, cv->k, cv->pad };
              st = rl_conv2d_backward (t->ws, &s, t->act[src + 1], P (t, cv->p_w), g, dx,
                                       G (t, cv->p_w), G (t, cv->p_b), err);
            }
          else if (op->kind == RL_OP_DWCONV)
            rl_dwconv2d_backward (n, c_in, h_in, w_in, cv->k, t->act[src + 1], P (t, cv->p_w),
                                  g, dx, G (t, cv->p_w), G (t, cv->p_b));
          else
            st = rl_deconv2d_backward (t->ws, n, c_in, h_in, w_in, cv->c_out, t->oh[i],
                                       t->ow[i], t->act[src + 1], P (t, cv->p_w), g, dx,
                                       G (t, cv->p_w), G (t, cv->p_b), err);
        }
      else if (op->kind == RL_OP_POOL)
        rl_maxpool_backward (n, c_in, h_in, w_in, g, t->idx[op->index], other);
      else if (op->kind == RL_OP_UNPOOL)
        rl_maxunpool_backward (n, c_in, h_in, w_in, t->oh[i], t->ow[i], g, t->idx[op->index],
                               other);
      else if (op->kind == RL_OP_BILINEAR)
        rl_bilinear_backward (n, c_in, h_in, w_in, t->oh[i], t->ow[i], g, other);
      else
        {
          rl_add_forward (out_sz, t->accum[op->skip], g, t->accum[op->skip]);
          memcpy (other, g, out_sz * sizeof (float));
        }
      /* a branch's input gradient goes to its source's accumulator */
      direct = src == i - 1;
      if (src >= 0 && !direct)
        rl_add_forward ((size_t) n * c_in * h_in * w_in, t->accum[src], other, t->accum[src]);
      float *tmp = g;
      g = other;
      other = tmp;
    }
  return st;
}

void
rl_trainer_set_bn_frozen (RlTrainer *t, int frozen)
{
  t->bn_frozen = frozen != 0;
}

/* Whether parameter i belongs to a frozen conv (its weights, bias or batch norm). */
static int
param_frozen (const RlTrainer *t, int i)
{
  for (int j = 0; j < t->n_frozen; j++)
    {
      const RlConvSpec *cv = &t->net.conv[j];   /* indices, -1 where absent */
      if (i == cv->p_w || i == cv->p_b || i == cv->p_gamma || i == cv->p_beta
          || i == cv->p_mean || i == cv->p_var)
        return 1;
    }
  return 0;
}

RlStatus
rl_trainer_set_frozen_convs (RlTrainer *t, int n, RlError *err)
{
  if (n < 0 || n >= t->net.n_convs)
    return rl_error_set (err, RL_ERR_INVALID, "cannot freeze %d of the %d convolutions"
                         " (0 to %d: at least the last one learns)", n, t->net.n_convs,
                         t->net.n_convs - 1);
  t->n_frozen = n;
  t->n = 0;   /* the last forward's statistics no longer match; forward again */
  for (int i = 0; i < t->net.n_params; i++)
    if (param_frozen (t, i))
      {
        const RlParamInfo *p = &t->net.param[i];
        memset (t->grads + p->offset, 0, p->count * sizeof (float));
        memset (t->momentum + p->offset, 0, p->count * sizeof (float));
      }
  return RL_OK;
}

int
rl_trainer_frozen_convs (const RlTrainer *t)
{
  return t->n_frozen;
}

void
rl_trainer_sgd_step (RlTrainer *t, float lr, float momentum, float weight_decay)
{
  for (int i = 0; i < t->net.n_params; i++)
    {
      const RlParamInfo *p = &t->net.param[i];
      if (p->trainable && (t->n_frozen == 0 || !param_frozen (t, i)))
        rl_sgd_update (p->count, t->params + p->offset, t->grads + p->offset,
                       t->momentum + p->offset, lr, momentum, weight_decay);
    }
}

RlStatus
rl_trainer_save (const RlTrainer *t, const char *path, RlError *err)
{
  return rl_net_save (path, &t->net, &t->meta, t->params, err);
}

int
rl_trainer_num_params (const RlTrainer *t)
{
  return t->net.n_params;
}

const char *
rl_trainer_param_name (const RlTrainer *t, int i)
{
  return i >= 0 && i < t->net.n_params ? t->net.param[i].name : NULL;
}

float *
rl_trainer_param (RlTrainer *t, int i, size_t *count)
{
  if (i < 0 || i >= t->net.n_params)
    return NULL;
  if (count != NULL)
    *count = t->net.param[i].count;
  return t->params + t->net.param[i].offset;
}

const float *
rl_trainer_grad (const RlTrainer *t, int i)
{
  if (i < 0 || i >= t->net.n_params || !t->net.param[i].trainable)
    return NULL;
  return t->grads + t->net.param[i].offset;
}

size_t
rl_trainer_num_weights (const RlTrainer *t)
{
  return rl_net_count_weights (&t->net);
}

void
rl_input_stats_init (RlInputStats *s)
{
  memset (s, 0, sizeof *s);
}

void
rl_input_stats_add (RlInputStats *s, const uint8_t *rgb, int h, int w)
{
  size_t hw = (size_t) h * w;
  for (int c = 0; c < 3; c++)
    {
      uint64_t sum = 0, sq = 0;
      for (size_t i = 0; i < hw; i++)
        {
          uint64_t v = rgb[3 * i + c];
          sum += v;
          sq += v * v;
        }
      s->sum[c] += (double) sum / 255.0;
      s->sq[c] += (double) sq / (255.0 * 255.0);
    }
  s->count += (double) hw;
}

RlStatus
rl_input_stats_finish (const RlInputStats *s, float mean[3], float std[3], RlError *err)
{
  if (s->count < 2)
    return rl_error_set (err, RL_ERR_INVALID, "no pixels for input statistics");
  for (int c = 0; c < 3; c++)
    {
      double m = s->sum[c] / s->count;
      double var = s->sq[c] / s->count - m * m;
      if (!(var > 1e-12))
        return rl_error_set (err, RL_ERR_INVALID, "channel %d is constant over the images", c);
      mean[c] = (float) m;
      std[c] = (float) sqrt (var);
    }
  return RL_OK;
}

float *
rl_trainer_momentum (RlTrainer *t, size_t *count)
{
  if (count != NULL)
    *count = t->net.total;
  return t->momentum;
}
