/* SegNet layer lists, parameter layout, He initialisation and model-file I/O.
 * The loader checks every tensor and metadata key before handing anything out. */
#include "rl-net.h"
#include "rl-mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl-json.h"
#include "rl-layers.h"
#include "rl-safetensors.h"

static void
add_param (RlNet *net, const char *name, int ndim, const int64_t *shape, int trainable, int *slot)
{
  RlParamInfo *p = &net->param[net->n_params];
  snprintf (p->name, sizeof p->name, "%s", name);
  p->ndim = ndim;
  p->count = 1;
  for (int d = 0; d < ndim; d++)
    {
      p->shape[d] = shape[d];
      p->count *= (size_t) shape[d];
    }
  p->offset = net->total;
  p->trainable = trainable;
  net->total += p->count;
  *slot = net->n_params++;
}

/* Adds a conv-like op (RL_OP_CONV, RL_OP_DWCONV, RL_OP_DECONV) reading op src's output;
 * returns its op index. */
static int
add_conv_op (RlNet *net, RlOpKind kind, const char *name, int c_in, int c_out, int k, int bn,
             int relu, int src, int stage)
{
  RlConvSpec *c = &net->conv[net->n_convs];
  char buf[64];
  memset (c, 0, sizeof *c);
  snprintf (c->name, sizeof c->name, "%s", name);
  c->c_in = c_in;
  c->c_out = c_out;
  c->k = k;
  c->pad = kind == RL_OP_DECONV ? 1 : (k - 1) / 2;
  c->bn = bn;
  c->relu = relu;
  c->groups = kind == RL_OP_DWCONV ? c_in : 1;
  c->transposed = kind == RL_OP_DECONV;
  c->p_gamma = c->p_beta = c->p_mean = c->p_var = -1;
  int64_t wshape[4] = { c_out, c_in, k, k }, vshape[1] = { c_out };
  if (kind == RL_OP_DWCONV)
    wshape[1] = 1;
  else if (kind == RL_OP_DECONV)
    {
      wshape[0] = c_in;
      wshape[1] = c_out;
    }
  snprintf (buf, sizeof buf, bn ? "%s.conv.weight" : "%s.weight", name);
  add_param (net, buf, 4, wshape, 1, &c->p_w);
  snprintf (buf, sizeof buf, bn ? "%s.conv.bias" : "%s.bias", name);
  add_param (net, buf, 1, vshape, 1, &c->p_b);
  if (bn)
    {
      snprintf (buf, sizeof buf, "%s.bn.weight", name);
      add_param (net, buf, 1, vshape, 1, &c->p_gamma);
      snprintf (buf, sizeof buf, "%s.bn.bias", name);
      add_param (net, buf, 1, vshape, 1, &c->p_beta);
      snprintf (buf, sizeof buf, "%s.bn.running_mean", name);
      add_param (net, buf, 1, vshape, 0, &c->p_mean);
      snprintf (buf, sizeof buf, "%s.bn.running_var", name);
      add_param (net, buf, 1, vshape, 0, &c->p_var);
    }
  RlOp *op = &net->op[net->n_ops];
  op->kind = kind;
  op->index = net->n_convs;
  op->src = src;
  op->skip = -1;
  op->stage = stage;
  net->n_convs++;
  return net->n_ops++;
}

static int
add_conv (RlNet *net, const char *name, int c_in, int c_out, int k, int bn, int relu)
{
  return add_conv_op (net, RL_OP_CONV, name, c_in, c_out, k, bn, relu, net->n_ops - 1, -1);
}

/* A parameterless op on the previous op's output (POOL, UNPOOL, BILINEAR: stage; ADD: skip). */
static int
add_op_from (RlNet *net, RlOpKind kind, int stage, int src, int skip)
{
  RlOp *op = &net->op[net->n_ops];
  op->kind = kind;
  op->index = kind == RL_OP_POOL || kind == RL_OP_UNPOOL ? stage : -1;
  op->stage = stage;
  op->src = src;
  op->skip = skip;
  return net->n_ops++;
}

static void
add_op (RlNet *net, RlOpKind kind, int stage)
{
  add_op_from (net, kind, stage, net->n_ops - 1, -1);
}

static const char *const arch_names[] = {
  "segnet-basic", "segnet",
  /* the decoder variants, in the order of the SegNet paper's Table 1 */
  "bilinear-interpolation", "segnet-basic-single-channel-decoder",
  "segnet-basic-encoder-addition", "fcn-basic", "fcn-basic-no-addition",
  "fcn-basic-no-dim-reduction", "fcn-basic-no-addition-no-dim-reduction", NULL
};

const char *const *
rl_net_arch_names (void)
{
  return arch_names;
}

int
rl_net_arch_known (const char *arch)
{
  for (int i = 0; arch != NULL && arch_names[i] != NULL; i++)
    if (strcmp (arch, arch_names[i]) == 0)
      return 1;
  return 0;
}

/* SegNet-Basic's encoder; enc[i] gets the op of stage i's conv (its output, before the pool, is
 * what encoder addition adds). With skip_c > 0, FCN's 1x1 reduction of that output to skip_c
 * channels follows each conv ("skip1".."skip4", op in skip[i]), computed in the encoder so the
 * decoder keeps only the reduced map; the pool reads the conv's output. */
static void
basic_encoder (RlNet *net, int skip_c, int *enc, int *skip)
{
  char name[24];
  net->n_stages = 4;
  for (int i = 0; i < 4; i++)
    {
      snprintf (name, sizeof name, "enc%d", i + 1);
      enc[i] = add_conv (net, name, i == 0 ? 3 : 64, 64, 7, 1, 1);
      if (skip_c > 0)
        {
          snprintf (name, sizeof name, "skip%d", i + 1);
          skip[i] = add_conv_op (net, RL_OP_CONV, name, 64, skip_c, 1, 0, 0, enc[i], -1);
        }
      add_op_from (net, RL_OP_POOL, i, enc[i], -1);
    }
}

/* The variants of issue 21; 0 when arch is none of them. */
static int
init_variant (RlNet *net, const char *arch, int num_classes)
{
  int enc[4], skip[4];
  char name[24];
  if (strcmp (arch, "segnet-basic-encoder-addition") == 0)
    {
      basic_encoder (net, 0, enc, skip);
      for (int i = 3; i >= 0; i--)
        {
          add_op (net, RL_OP_UNPOOL, i);
          add_op_from (net, RL_OP_ADD, -1, net->n_ops - 1, enc[i]);
          snprintf (name, sizeof name, "dec%d", i + 1);
          add_conv (net, name, 64, 64, 7, 1, 0);
        }
      add_conv (net, "classifier", 64, num_classes, 1, 0, 0);
      return 1;
    }
  if (strcmp (arch, "segnet-basic-single-channel-decoder") == 0)
    {
      basic_encoder (net, 0, enc, skip);
      for (int i = 3; i >= 0; i--)
        {
          add_op (net, RL_OP_UNPOOL, i);
          snprintf (name, sizeof name, "dec%d", i + 1);
          add_conv_op (net, RL_OP_DWCONV, name, 64, 64, 7, 1, 0, net->n_ops - 1, -1);
        }
      add_conv (net, "classifier", 64, num_classes, 1, 0, 0);
      return 1;
    }
  if (strcmp (arch, "bilinear-interpolation") == 0)
    {
      basic_encoder (net, 0, enc, skip);
      for (int i = 3; i >= 0; i--)
        add_op_from (net, RL_OP_BILINEAR, i, net->n_ops - 1, -1);
      add_conv (net, "classifier", 64, num_classes, 1, 0, 0);
      return 1;
    }
  int addition, reduce;
  if (strcmp (arch, "fcn-basic") == 0)
    addition = 1, reduce = 1;
  else if (strcmp (arch, "fcn-basic-no-addition") == 0)
    addition = 0, reduce = 1;
  else if (strcmp (arch, "fcn-basic-no-dim-reduction") == 0)
    addition = 1, reduce = 0;
  else if (strcmp (arch, "fcn-basic-no-addition-no-dim-reduction") == 0)
    addition = 0, reduce = 0;
  else
    return 0;
  /* FCN decoding: channels reduced to the number of classes (or kept at 64); each decoder
   * upsamples with a learned 4x4 stride-2 transposed conv (bilinear at start), adds the encoder
   * map of that size (reduced), then a 7x7 conv + BN as SegNet-Basic's decoders. */
  int k = reduce ? num_classes : 64;
  basic_encoder (net, addition && reduce ? k : 0, enc, skip);
  if (reduce)
    add_conv (net, "reduce", 64, k, 1, 0, 0);
  for (int i = 3; i >= 0; i--)
    {
      snprintf (name, sizeof name, "up%d", i + 1);
      add_conv_op (net, RL_OP_DECONV, name, k, k, 4, 0, 0, net->n_ops - 1, i);
      if (addition)
        add_op_from (net, RL_OP_ADD, -1, net->n_ops - 1, reduce ? skip[i] : enc[i]);
      snprintf (name, sizeof name, "dec%d", i + 1);
      add_conv (net, name, k, k, 7, 1, 0);
    }
  add_conv (net, "classifier", k, num_classes, 1, 0, 0);
  return 1;
}

int
rl_net_is_plain (const RlNet *net)
{
  for (int i = 0; i < net->n_ops; i++)
    {
      const RlOp *op = &net->op[i];
      if ((op->kind != RL_OP_CONV && op->kind != RL_OP_POOL && op->kind != RL_OP_UNPOOL)
          || op->src != i - 1)
        return 0;
      if (op->kind == RL_OP_CONV
          && (net->conv[op->index].groups != 1 || net->conv[op->index].transposed))
        return 0;
    }
  return 1;
}

RlStatus
rl_net_init (RlNet *net, const char *arch, int num_classes, RlError *err)
{
  memset (net, 0, sizeof *net);
  if (num_classes < 1 || num_classes > 256)
    return rl_error_set (err, RL_ERR_INVALID, "%d classes: must be 1 to 256", num_classes);
  net->num_classes = num_classes;
  char name[24];
  if (strcmp (arch, "segnet-basic") == 0)
    {
      net->n_stages = 4;
      for (int i = 0; i < 4; i++)
        {
          snprintf (name, sizeof name, "enc%d", i + 1);
          add_conv (net, name, i == 0 ? 3 : 64, 64, 7, 1, 1);
          add_op (net, RL_OP_POOL, i);
        }
      for (int i = 3; i >= 0; i--)
        {
          add_op (net, RL_OP_UNPOOL, i);
          snprintf (name, sizeof name, "dec%d", i + 1);
          add_conv (net, name, 64, 64, 7, 1, 0);
        }
      add_conv (net, "classifier", 64, num_classes, 1, 0, 0);
    }
  else if (strcmp (arch, "segnet") == 0)
    {
      static const int depth[5] = { 2, 2, 3, 3, 3 };
      static const int width[5] = { 64, 128, 256, 512, 512 };
      int c = 3;
      net->n_stages = 5;
      for (int b = 0; b < 5; b++)
        {
          for (int i = 0; i < depth[b]; i++)
            {
              snprintf (name, sizeof name, "enc%d.%d", b + 1, i);
              add_conv (net, name, c, width[b], 3, 1, 1);
              c = width[b];
            }
          add_op (net, RL_OP_POOL, b);
        }
      for (int b = 4; b >= 0; b--)
        {
          add_op (net, RL_OP_UNPOOL, b);
          int n = b == 0 ? 1 : depth[b];
          for (int i = 0; i < n; i++)
            {
              int out = (i == n - 1 && b > 0) ? width[b - 1] : width[b];
              snprintf (name, sizeof name, "dec%d.%d", b + 1, i);
              add_conv (net, name, c, out, 3, 1, 1);
              c = out;
            }
        }
      add_conv (net, "classifier", 64, num_classes, 3, 0, 0);
    }
  else if (!init_variant (net, arch, num_classes))
    return rl_error_set (err, RL_ERR_INVALID, "unknown architecture '%s'", arch);
  snprintf (net->arch, sizeof net->arch, "%s", arch);
  return RL_OK;
}

size_t
rl_net_count_weights (const RlNet *net)
{
  size_t n = 0;
  for (int i = 0; i < net->n_params; i++)
    if (net->param[i].trainable)
      n += net->param[i].count;
  return n;
}

void
rl_net_meta_clear (RlNetMeta *meta)
{
  if (meta->class_names != NULL)
    for (int i = 0; meta->class_names[i] != NULL; i++)
      free (meta->class_names[i]);
  free (meta->class_names);
  free (meta->class_weights);
  free (meta->trained_on);
  memset (meta, 0, sizeof *meta);
}

RlStatus
rl_net_meta_default (RlNetMeta *meta, int num_classes, RlError *err)
{
  static const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
  memset (meta, 0, sizeof *meta);
  meta->class_names = calloc ((size_t) num_classes + 1, sizeof (char *));
  if (meta->class_names == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
  for (int i = 0; i < num_classes; i++)
    {
      char buf[32];
      snprintf (buf, sizeof buf, "class%d", i);
      if ((meta->class_names[i] = strdup (buf)) == NULL)
        {
          rl_net_meta_clear (meta);
          return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
        }
    }
  meta->ignore_index = 255;
  memcpy (meta->mean, mean, sizeof mean);
  memcpy (meta->std, std, sizeof std);
  meta->bn_eps = 1e-5f;
  meta->class_weight_power = NAN;
  return RL_OK;
}

RlStatus
rl_net_meta_copy (RlNetMeta *dst, const RlNetMeta *src, int num_classes, RlError *err)
{
  RlStatus st = rl_net_meta_default (dst, num_classes, err);
  if (st != RL_OK)
    return st;
  for (int i = 0; i < num_classes; i++)
    {
      char *s = strdup (src->class_names[i]);
      if (s == NULL)
        {
          rl_net_meta_clear (dst);
          return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
        }
      free (dst->class_names[i]);
      dst->class_names[i] = s;
    }
  dst->ignore_index = src->ignore_index;
  memcpy (dst->mean, src->mean, sizeof dst->mean);
  memcpy (dst->std, src->std, sizeof dst->std);
  dst->input_norm = src->input_norm;
  dst->bn_eps = src->bn_eps;
  memcpy (dst->loss, src->loss, sizeof dst->loss);
  dst->class_weight_power = src->class_weight_power;
  if (src->class_weights != NULL)
    {
      dst->class_weights = malloc ((size_t) num_classes * sizeof (float));
      if (dst->class_weights == NULL)
        {
          rl_net_meta_clear (dst);
          return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
        }
      memcpy (dst->class_weights, src->class_weights, (size_t) num_classes * sizeof (float));
    }
  if (src->trained_on != NULL && (dst->trained_on = strdup (src->trained_on)) == NULL)
    {
      rl_net_meta_clear (dst);
      return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
    }
  return RL_OK;
}

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void
rl_rng_seed (RlRng *rng, uint64_t seed)
{
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&seed);
}

static uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

uint64_t
rl_rng_next (RlRng *rng)
{
  uint64_t *s = rng->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
rl_rng_uniform (RlRng *rng)
{
  return (double) (rl_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
rl_rng_normal (RlRng *rng)
{
  double u1 = rl_rng_uniform (rng), u2 = rl_rng_uniform (rng);
  return sqrt (-2.0 * log (1.0 - u1)) * cos (2.0 * M_PI * u2);
}

void
rl_net_init_params (const RlNet *net, uint64_t seed, float *params)
{
  RlRng rng;
  rl_rng_seed (&rng, seed);
  memset (params, 0, net->total * sizeof (float));
  for (int j = 0; j < net->n_convs; j++)
    {
      const RlConvSpec *c = &net->conv[j];
      const RlParamInfo *w = &net->param[c->p_w];
      if (c->transposed)
        rl_deconv2d_bilinear_init (c->c_in, params + w->offset);
      else
        {
          double std = sqrt (2.0 / (double) (c->c_in / c->groups * c->k * c->k));
          for (size_t i = 0; i < w->count; i++)
            params[w->offset + i] = (float) (std * rl_rng_normal (&rng));
        }
      if (c->bn)
        for (int i = 0; i < c->c_out; i++)
          {
            params[net->param[c->p_gamma].offset + i] = 1.0f;
            params[net->param[c->p_var].offset + i] = 1.0f;
          }
    }
}

RlStatus
rl_net_plan (const RlNet *net, int h, int w, int *out_c, int *out_h, int *out_w, int *pre_h,
             int *pre_w, RlError *err)
{
  if (h < 1 || w < 1)
    return rl_error_set (err, RL_ERR_INVALID, "image size %dx%d is empty", w, h);
  if ((int64_t) h * w > (int64_t) 1 << 26)
    return rl_error_set (err, RL_ERR_INVALID, "image size %dx%d is too large", w, h);
  int h0 = h, w0 = w;
  for (int i = 0; i < net->n_ops; i++)
    {
      const RlOp *op = &net->op[i];
      int c = op->src < 0 ? 3 : out_c[op->src];
      h = op->src < 0 ? h0 : out_h[op->src];
      w = op->src < 0 ? w0 : out_w[op->src];
      if (RL_OP_HAS_CONV (op->kind))
        c = net->conv[op->index].c_out;
      if (op->kind == RL_OP_POOL)
        {
          pre_h[op->index] = h;
          pre_w[op->index] = w;
          h = (h + 1) / 2;
          w = (w + 1) / 2;
        }
      else if (op->kind == RL_OP_UNPOOL || op->kind == RL_OP_DECONV
               || op->kind == RL_OP_BILINEAR)
        {
          h = pre_h[op->stage];
          w = pre_w[op->stage];
        }
      out_c[i] = c;
      out_h[i] = h;
      out_w[i] = w;
    }
  return RL_OK;
}

double
rl_net_storage_multiplier (const char *arch)
{
  enum { SIZE = 256 };   /* divisible by 16: every pooling window is a full 2x2 */
  int oc[RL_NET_MAX_OPS], oh[RL_NET_MAX_OPS], ow[RL_NET_MAX_OPS];
  int ph[RL_NET_MAX_STAGES], pw[RL_NET_MAX_STAGES];
  RlNet *n = calloc (2, sizeof (RlNet));   /* large: not on the stack */
  if (n == NULL || rl_net_init (&n[0], arch, 11, NULL) != RL_OK
      || rl_net_init (&n[1], "segnet-basic", 11, NULL) != RL_OK)
    {
      free (n);
      return -1;
    }
  /* SegNet-Basic's indices: 2 bits per pooled value (the argmax within its 2x2 window). */
  double ref_bits = 0, map_bits = 0, idx_bits = 0;
  for (int pass = 0; pass < 2; pass++)
    {
      const RlNet *m = &n[pass == 0 ? 1 : 0];
      rl_net_plan (m, SIZE, SIZE, oc, oh, ow, ph, pw, NULL);
      for (int i = 0; i < m->n_ops; i++)
        {
          const RlOp *op = &m->op[i];
          if (op->kind == RL_OP_UNPOOL)
            {
              int j;   /* the pool of that stage */
              for (j = 0; j < m->n_ops; j++)
                if (m->op[j].kind == RL_OP_POOL && m->op[j].index == op->stage)
                  break;
              double bits = 2.0 * oc[j] * oh[j] * ow[j];
              if (pass == 0)
                ref_bits += bits;
              else
                idx_bits += bits;
            }
          else if (op->kind == RL_OP_ADD && pass == 1)
            map_bits += 32.0 * oc[op->skip] * oh[op->skip] * ow[op->skip];
        }
    }
  free (n);
  return map_bits > 0 ? map_bits / ref_bits : idx_bits / ref_bits;
}

void
rl_normalize_rgb8 (const uint8_t *rgb, int h, int w, const float mean[3], const float std[3],
                   float *x)
{
  size_t hw = (size_t) h * w;
  for (int c = 0; c < 3; c++)
    {
      float sc = 1.0f / (255.0f * std[c]), sh = -mean[c] / std[c];
      float *dst = x + c * hw;
      for (size_t i = 0; i < hw; i++)
        dst[i] = (float) rgb[3 * i + c] * sc + sh;
    }
}

void
rl_standardize_planes (float *x, size_t n, size_t hw)
{
  if (hw == 0)
    return;
  for (size_t p = 0; p < n; p++)
    {
      float *v = x + p * hw;
      double sum = 0;
      for (size_t i = 0; i < hw; i++)
        sum += v[i];
      double m = sum / (double) hw, ss = 0;
      for (size_t i = 0; i < hw; i++)
        ss += ((double) v[i] - m) * ((double) v[i] - m);
      float inv = (float) (1.0 / sqrt (ss / (double) hw + RL_STANDARDIZE_EPS));
      float fm = (float) m;
      for (size_t i = 0; i < hw; i++)
        v[i] = (v[i] - fm) * inv;
    }
}

void
rl_net_normalize_input (const RlNetMeta *meta, const uint8_t *rgb, int h, int w, float *x)
{
  rl_normalize_rgb8 (rgb, h, w, meta->mean, meta->std, x);
  if (meta->input_norm == RL_INPUT_NORM_IMAGE)
    rl_standardize_planes (x, 3, (size_t) h * w);
}

int
rl_input_norm_from_name (const char *name, int *out)
{
  if (name != NULL && strcmp (name, "dataset") == 0)
    *out = RL_INPUT_NORM_DATASET;
  else if (name != NULL && strcmp (name, "image") == 0)
    *out = RL_INPUT_NORM_IMAGE;
  else
    return 0;
  return 1;
}

const char *
rl_input_norm_name (int input_norm)
{
  return input_norm == RL_INPUT_NORM_IMAGE ? "image" : "dataset";
}

/* Parses "[a, b, c]" of numbers. */
static int
parse_float3 (const char *s, float out[3])
{
  RlJson *j = NULL;
  int ok = s != NULL && rl_json_parse (s, strlen (s), &j, NULL) == RL_OK
           && j->type == RL_JSON_ARRAY && j->n == 3;
  for (int i = 0; ok && i < 3; i++)
    {
      ok = j->items[i].type == RL_JSON_NUMBER && isfinite (j->items[i].number);
      if (ok)
        out[i] = (float) j->items[i].number;
    }
  rl_json_free (j);
  return ok;
}

static int
parse_int (const char *s, long lo, long hi, int *out)
{
  if (s == NULL || *s == '\0')
    return 0;
  char *end;
  long v = strtol (s, &end, 10);
  if (*end != '\0' || v < lo || v > hi)
    return 0;
  *out = (int) v;
  return 1;
}

/* The features a reader must know to use a model as its writer meant (the "requires" key, a JSON
 * list of their names): a version that ignored one would predict or train wrongly without a
 * word, so a file that requires a feature this version does not know is refused. A feature's
 * name goes here in the version that first reads its keys (and in the PyTorch package's
 * KNOWN_FEATURES). */
static const char *const known_features[] = { "input_norm" };

static RlStatus
check_requires (const char *path, const char *requires, RlError *err)
{
  RlJson *j = NULL;
  int ok = rl_json_parse (requires, strlen (requires), &j, NULL) == RL_OK
           && j->type == RL_JSON_ARRAY;
  for (int i = 0; ok && i < j->n; i++)
    ok = j->items[i].type == RL_JSON_STRING;
  if (!ok)
    {
      rl_json_free (j);
      return rl_error_set (err, RL_ERR_FORMAT, "%s: requires is not a JSON list of names", path);
    }
  RlStatus st = RL_OK;
  for (int i = 0; st == RL_OK && i < j->n; i++)
    {
      const char *name = j->items[i].string;
      int known = 0;
      for (size_t k = 0; k < sizeof known_features / sizeof *known_features; k++)
        known = known || strcmp (name, known_features[k]) == 0;
      if (!known)
        {
          char shown[41];   /* on one line, whatever the file holds */
          size_t n = 0;
          for (; n < sizeof shown - 1 && name[n] != '\0'; n++)
            shown[n] = name[n] >= ' ' && name[n] <= '~' ? name[n] : '?';
          shown[n] = '\0';
          st = rl_error_set (err, RL_ERR_FORMAT,
                             "%s: made for a newer Relabel (it requires '%s', which this version "
                             "does not know)", path, shown);
        }
    }
  rl_json_free (j);
  return st;
}

RlStatus
rl_trained_on_check (const char *what, const char *json, RlError *err)
{
  RlJson *j = NULL;
  int ok = rl_json_parse (json, strlen (json), &j, NULL) == RL_OK && j->type == RL_JSON_ARRAY;
  for (int i = 0; ok && i < j->n; i++)
    {
      const RlJson *pair = &j->items[i];
      ok = pair->type == RL_JSON_ARRAY && pair->n == 2 && pair->items[0].type == RL_JSON_STRING
           && pair->items[1].type == RL_JSON_STRING && strlen (pair->items[1].string) == 40;
      for (int k = 0; ok && k < 40; k++)
        {
          char c = pair->items[1].string[k];
          ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
    }
  rl_json_free (j);
  if (!ok)
    return rl_error_set (err, RL_ERR_FORMAT,
                         "%s: trained_on is not a JSON list of [name, SHA-1] pairs", what);
  return RL_OK;
}

/* The optional keys: input_norm ("dataset" or "image"), loss (a short identifier),
 * class_weights (a JSON list of num_classes finite numbers >= 0), class_weight_power (a
 * finite number) and trained_on (rl_trained_on_check). A key that is present must be well
 * formed: a fine-tune that silently fell back to other weights would train another loss, and a
 * damaged list of training images would hide in-sample scores. */
static RlStatus
read_optional_meta (const char *path, const RlSafetensors *st, int num_classes,
                    RlNetMeta *meta, RlError *err)
{
  const char *loss = rl_safetensors_meta (st, "loss");
  const char *weights = rl_safetensors_meta (st, "class_weights");
  const char *power = rl_safetensors_meta (st, "class_weight_power");
  const char *norm = rl_safetensors_meta (st, "input_norm");
  const char *requires = rl_safetensors_meta (st, "requires");
  const char *trained_on = rl_safetensors_meta (st, "trained_on");
  if (requires != NULL)
    {
      RlStatus rs = check_requires (path, requires, err);
      if (rs != RL_OK)
        return rs;
    }
  /* An unknown normalisation is refused: predicting with another one gives wrong labels. */
  if (norm != NULL && !rl_input_norm_from_name (norm, &meta->input_norm))
    return rl_error_set (err, RL_ERR_FORMAT,
                         "%s: input_norm '%.40s' is not one this version knows (dataset, image)",
                         path, norm);
  if (loss != NULL)
    {
      size_t n = strlen (loss);
      int ok = n > 0 && n < sizeof meta->loss;
      for (size_t i = 0; ok && i < n; i++)
        ok = (loss[i] >= 'a' && loss[i] <= 'z') || (loss[i] >= '0' && loss[i] <= '9')
             || loss[i] == '_';
      if (!ok)
        return rl_error_set (err, RL_ERR_FORMAT, "%s: bad loss '%.40s'", path, loss);
      memcpy (meta->loss, loss, n + 1);
    }
  if (weights != NULL)
    {
      RlJson *j = NULL;
      int ok = rl_json_parse (weights, strlen (weights), &j, NULL) == RL_OK
               && j->type == RL_JSON_ARRAY && j->n == num_classes;
      float *w = ok ? malloc ((size_t) num_classes * sizeof (float)) : NULL;
      for (int i = 0; ok && w != NULL && i < num_classes; i++)
        {
          ok = j->items[i].type == RL_JSON_NUMBER && isfinite (j->items[i].number)
               && j->items[i].number >= 0;
          if (ok)
            w[i] = (float) j->items[i].number;
        }
      rl_json_free (j);
      if (!ok || w == NULL)
        {
          free (w);
          return ok ? rl_error_set (err, RL_ERR_NOMEM, "out of memory")
                    : rl_error_set (err, RL_ERR_FORMAT,
                                    "%s: class_weights is not a JSON list of %d numbers >= 0",
                                    path, num_classes);
        }
      meta->class_weights = w;
    }
  if (power != NULL)
    {
      char *end;
      double p = strtod (power, &end);
      if (*power == '\0' || *end != '\0' || !isfinite (p))
        return rl_error_set (err, RL_ERR_FORMAT, "%s: bad class_weight_power '%.40s'", path,
                             power);
      meta->class_weight_power = p;
    }
  if (trained_on != NULL)
    {
      RlStatus rs = rl_trained_on_check (path, trained_on, err);
      if (rs != RL_OK)
        return rs;
      if ((meta->trained_on = strdup (trained_on)) == NULL)
        return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
    }
  return RL_OK;
}

static RlStatus
read_meta (const char *path, const RlSafetensors *st, RlNet *net, RlNetMeta *meta, RlError *err)
{
  const char *arch = rl_safetensors_meta (st, "arch");
  const char *ncls = rl_safetensors_meta (st, "num_classes");
  const char *names = rl_safetensors_meta (st, "class_names");
  const char *ignore = rl_safetensors_meta (st, "ignore_index");
  const char *mean = rl_safetensors_meta (st, "input_mean");
  const char *std = rl_safetensors_meta (st, "input_std");
  const char *eps = rl_safetensors_meta (st, "bn_eps");
  static const char *keys[] = { "arch", "num_classes", "class_names", "ignore_index",
                                "input_mean", "input_std", "bn_eps" };
  const char *vals[] = { arch, ncls, names, ignore, mean, std, eps };
  for (int i = 0; i < 7; i++)
    if (vals[i] == NULL)
      return rl_error_set (err, RL_ERR_FORMAT, "%s: metadata lacks '%s'", path, keys[i]);
  int num_classes;
  if (!parse_int (ncls, 1, 256, &num_classes))
    return rl_error_set (err, RL_ERR_FORMAT, "%s: bad num_classes '%.40s'", path, ncls);
  RlError nerr;
  if (rl_net_init (net, arch, num_classes, &nerr) != RL_OK)
    return rl_error_set (err, RL_ERR_FORMAT, "%s: %s", path, nerr.text);
  RlStatus status = rl_net_meta_default (meta, num_classes, err);
  if (status != RL_OK)
    return status;
  RlJson *j = NULL;
  if (rl_json_parse (names, strlen (names), &j, NULL) != RL_OK || j->type != RL_JSON_ARRAY
      || j->n != num_classes)
    status = rl_error_set (err, RL_ERR_FORMAT,
                           "%s: class_names is not a JSON list of %d names", path, num_classes);
  for (int i = 0; status == RL_OK && i < num_classes; i++)
    {
      if (j->items[i].type != RL_JSON_STRING)
        {
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: class name %d is not a string", path, i);
          break;
        }
      char *s = strdup (j->items[i].string);
      if (s == NULL)
        status = rl_error_set (err, RL_ERR_NOMEM, "out of memory");
      else
        {
          free (meta->class_names[i]);
          meta->class_names[i] = s;
        }
    }
  rl_json_free (j);
  if (status == RL_OK && !parse_int (ignore, -1000000, 1000000, &meta->ignore_index))
    status = rl_error_set (err, RL_ERR_FORMAT, "%s: bad ignore_index '%.40s'", path, ignore);
  if (status == RL_OK && (!parse_float3 (mean, meta->mean) || !parse_float3 (std, meta->std)
                          || !(meta->std[0] > 0 && meta->std[1] > 0 && meta->std[2] > 0)))
    status = rl_error_set (err, RL_ERR_FORMAT,
                           "%s: input_mean/input_std must be lists of 3 numbers (std > 0)", path);
  if (status == RL_OK)
    {
      char *end;
      double e = strtod (eps, &end);
      if (*end != '\0' || !(e > 0.0 && e < 1.0))
        status = rl_error_set (err, RL_ERR_FORMAT, "%s: bad bn_eps '%.40s'", path, eps);
      meta->bn_eps = (float) e;
    }
  if (status == RL_OK)
    status = read_optional_meta (path, st, num_classes, meta, err);
  if (status != RL_OK)
    rl_net_meta_clear (meta);
  return status;
}

static int
ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

RlStatus
rl_net_load (const char *path, RlNet *net, RlNetMeta *meta, float **params, RlError *err)
{
  RlSafetensors *st = NULL;
  *params = NULL;
  RlStatus status = rl_safetensors_read (path, &st, err);
  if (status != RL_OK)
    return status;
  RlNetMeta m = { 0 };
  status = read_meta (path, st, net, &m, err);
  float *p = NULL;
  if (status == RL_OK && (p = rl_mem_alloc (net->total * sizeof (float), 64)) == NULL)
    status = rl_error_set (err, RL_ERR_NOMEM, "%s: out of memory", path);
  for (int i = 0; status == RL_OK && i < net->n_params; i++)
    {
      const RlParamInfo *info = &net->param[i];
      const RlStTensor *t = rl_safetensors_find (st, info->name);
      if (t == NULL)
        {
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' is missing", path,
                                 info->name);
          break;
        }
      if (strcmp (t->dtype, "F32") != 0)
        {
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' is %s, not F32", path,
                                 info->name, t->dtype);
          break;
        }
      int same = t->ndim == info->ndim;
      for (int d = 0; same && d < t->ndim; d++)
        same = t->shape[d] == info->shape[d];
      if (!same)
        {
          char want[64], got[96];
          int n = 0;
          for (int d = 0; d < info->ndim; d++)
            n += snprintf (want + n, sizeof want - (size_t) n, "%s%lld", d ? "," : "",
                           (long long) info->shape[d]);
          n = 0;
          got[0] = '\0';
          for (int d = 0; d < t->ndim && n < (int) sizeof got - 24; d++)
            n += snprintf (got + n, sizeof got - (size_t) n, "%s%lld", d ? "," : "",
                           (long long) t->shape[d]);
          status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' has shape [%s], expected [%s]",
                                 path, info->name, got, want);
          break;
        }
      memcpy (p + info->offset, t->data, info->count * sizeof (float));
      for (size_t k = 0; k < info->count; k++)
        if (!isfinite (p[info->offset + k]))
          {
            status = rl_error_set (err, RL_ERR_FORMAT, "%s: tensor '%s' holds NaN or infinity",
                                   path, info->name);
            break;
          }
    }
  /* Anything else in the file means it was made for another network. */
  for (int i = 0; status == RL_OK && i < st->n_tensors; i++)
    {
      const char *name = st->tensors[i].name;
      int known = ends_with (name, ".num_batches_tracked");
      for (int k = 0; !known && k < net->n_params; k++)
        known = strcmp (net->param[k].name, name) == 0;
      if (!known)
        status = rl_error_set (err, RL_ERR_FORMAT, "%s: unexpected tensor '%s' for %s", path,
                               name, net->arch);
    }
  rl_safetensors_free (st);
  if (status != RL_OK)
    {
      rl_mem_free (p);
      rl_net_meta_clear (&m);
      return status;
    }
  *meta = m;
  *params = p;
  return RL_OK;
}

RlStatus
rl_net_save (const char *path, const RlNet *net, const RlNetMeta *meta, const float *params,
             RlError *err)
{
  RlStWrite *t = calloc ((size_t) net->n_params, sizeof *t);
  size_t cap = 64;
  for (int i = 0; i < net->num_classes; i++)
    cap += strlen (meta->class_names[i]) * 6 + 4;
  char *names = malloc (cap);
  if (t == NULL || names == NULL)
    {
      free (t);
      free (names);
      return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
    }
  size_t len = 1;
  names[0] = '[';
  for (int i = 0; i < net->num_classes; i++)
    {
      if (i > 0)
        names[len++] = ',';
      len = (size_t) rl_json_escape (names, cap, len, meta->class_names[i]);
    }
  names[len++] = ']';
  names[len] = '\0';
  char ncls[16], ign[16], mean[96], std[96], eps[32];
  snprintf (ncls, sizeof ncls, "%d", net->num_classes);
  snprintf (ign, sizeof ign, "%d", meta->ignore_index);
  snprintf (mean, sizeof mean, "[%.9g, %.9g, %.9g]", meta->mean[0], meta->mean[1], meta->mean[2]);
  snprintf (std, sizeof std, "[%.9g, %.9g, %.9g]", meta->std[0], meta->std[1], meta->std[2]);
  snprintf (eps, sizeof eps, "%.9g", meta->bn_eps);
  const char *kv[32] = { "arch", net->arch, "num_classes", ncls, "class_names", names,
                         "ignore_index", ign, "input_mean", mean, "input_std", std,
                         "bn_eps", eps };
  int n_kv = 7;
  /* The loss keys only when known, so a file says nothing rather than something invented. */
  char power[32], *weights = NULL;
  if (meta->loss[0] != '\0')
    {
      kv[2 * n_kv] = "loss";
      kv[2 * n_kv++ + 1] = meta->loss;
    }
  if (meta->class_weights != NULL)
    {
      size_t wcap = 4 + (size_t) net->num_classes * 24, wlen = 1;
      weights = malloc (wcap);
      if (weights == NULL)
        {
          free (t);
          free (names);
          return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
        }
      weights[0] = '[';
      for (int i = 0; i < net->num_classes; i++)
        wlen += (size_t) snprintf (weights + wlen, wcap - wlen, "%s%.9g", i ? ", " : "",
                                   meta->class_weights[i]);
      snprintf (weights + wlen, wcap - wlen, "]");
      kv[2 * n_kv] = "class_weights";
      kv[2 * n_kv++ + 1] = weights;
    }
  if (isfinite (meta->class_weight_power))
    {
      snprintf (power, sizeof power, "%.9g", meta->class_weight_power);
      kv[2 * n_kv] = "class_weight_power";
      kv[2 * n_kv++ + 1] = power;
    }
  /* Written only when not the default, so the files of dataset-normalised models stay as they
   * were (and readable by versions before the key). */
  if (meta->input_norm != RL_INPUT_NORM_DATASET)
    {
      kv[2 * n_kv] = "input_norm";
      kv[2 * n_kv++ + 1] = rl_input_norm_name (meta->input_norm);
      /* versions from this one on refuse the file if they do not know the feature (earlier
       * ones ignore both keys) */
      kv[2 * n_kv] = "requires";
      kv[2 * n_kv++ + 1] = "[\"input_norm\"]";
    }
  if (meta->trained_on != NULL)
    {
      kv[2 * n_kv] = "trained_on";
      kv[2 * n_kv++ + 1] = meta->trained_on;
    }
  for (int i = 0; i < net->n_params; i++)
    {
      t[i].name = net->param[i].name;
      t[i].ndim = net->param[i].ndim;
      for (int d = 0; d < t[i].ndim; d++)
        t[i].shape[d] = net->param[i].shape[d];
      t[i].data = params + net->param[i].offset;
    }
  RlStatus st = rl_safetensors_write (path, t, net->n_params, kv, n_kv, err);
  free (t);
  free (names);
  free (weights);
  return st;
}
