/* SegNet network descriptions shared by inference (rl-model.c) and training (rl-train.c):
 * the layer list, the parameter layout with PyTorch state_dict names, metadata, file I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "rl-status.h"

#define RL_NET_MAX_CONVS 32
#define RL_NET_MAX_OPS 64
#define RL_NET_MAX_STAGES 8
#define RL_NET_MAX_PARAMS (RL_NET_MAX_CONVS * 6)

/* One conv (+ batch norm) (+ ReLU) layer. With batch norm its tensors are "<name>.conv.weight",
 * "<name>.conv.bias", "<name>.bn.{weight,bias,running_mean,running_var}"; without (the
 * classifier), "<name>.weight" and "<name>.bias". */
typedef struct
{
  char name[24];
  int c_in, c_out, k, pad;
  int bn, relu;
  int groups;              /* 1, or c_in for a depthwise conv: weight (C, 1, K, K) */
  int transposed;          /* RL_OP_DECONV: weight (C_in, C_out, 4, 4), stride 2, padding 1 */
  int p_w, p_b, p_gamma, p_beta, p_mean, p_var;  /* indices into RlNet.param, -1 if none */
} RlConvSpec;

/* Ops run in list order; each reads the output of op `src` (the previous op, or -1 for the
 * image, unless a branch reads an earlier one) and writes its own output. */
typedef enum
{
  RL_OP_CONV,      /* index: conv layer (+ batch norm + ReLU as its spec says) */
  RL_OP_POOL,      /* index: stage; max-pool 2x2 s2 ceil mode, remembers indices and input size */
  RL_OP_UNPOOL,    /* index: stage; max-unpool to that stage's pre-pool size */
  RL_OP_DWCONV,    /* index: conv layer, depthwise (groups = channels) (+ batch norm) */
  RL_OP_DECONV,    /* index: conv layer, transposed 4x4 stride 2, cropped to stage's pre-pool
                    * size (rl_deconv2d_forward) */
  RL_OP_BILINEAR,  /* stage: bilinear upsampling to that stage's pre-pool size (no parameters) */
  RL_OP_ADD,       /* src's output + op skip's output (same shape) */
} RlOpKind;

typedef struct
{
  RlOpKind kind;
  int index;     /* conv layer (CONV, DWCONV, DECONV) or stage (POOL, UNPOOL); else -1 */
  int src;       /* op whose output is the input: normally the previous one; -1 the image */
  int skip;      /* RL_OP_ADD: the op whose output is added; else -1 */
  int stage;     /* POOL, UNPOOL, DECONV, BILINEAR: the pooling stage; else -1 */
} RlOp;

/* Convolution-like ops (a conv layer with parameters in RlNet.conv). */
#define RL_OP_HAS_CONV(kind) ((kind) == RL_OP_CONV || (kind) == RL_OP_DWCONV \
                              || (kind) == RL_OP_DECONV)

typedef struct
{
  char name[64];
  int ndim;
  int64_t shape[4];
  size_t offset, count;    /* floats, into the parameter arena */
  int trainable;           /* 0 for batch-norm running statistics */
} RlParamInfo;

typedef struct
{
  char arch[48];           /* one of rl_net_arch_names () */
  int num_classes;
  int n_convs, n_ops, n_stages, n_params;
  RlConvSpec conv[RL_NET_MAX_CONVS];
  RlOp op[RL_NET_MAX_OPS];
  RlParamInfo param[RL_NET_MAX_PARAMS];
  size_t total;            /* floats in the parameter arena */
} RlNet;

/* The input normalisation after (v / 255 - mean) / std: none ("dataset", the default, and what
 * a file without the key means), or each image's channels standardised to mean 0 and variance 1
 * over the image the network sees ("image"; rl_standardize_planes), which removes a change of
 * brightness or contrast of a channel, such as dusk against daylight. */
enum
{
  RL_INPUT_NORM_DATASET = 0,
  RL_INPUT_NORM_IMAGE = 1,
};

/* What the file's __metadata__ says besides arch and num_classes. */
typedef struct
{
  char **class_names;      /* num_classes strings, owned */
  int ignore_index;
  float mean[3], std[3];   /* per RGB channel, on values scaled to 0..1 */
  int input_norm;          /* RL_INPUT_NORM_*: what follows mean/std (key input_norm, optional) */
  float bn_eps;
  /* The loss the weights were trained with, so a fine-tune can continue with the same one.
   * Optional in files (models before this key have none): "" / NULL / NAN when not recorded. */
  char loss[32];           /* "cross_entropy": per-pixel class-weighted mean, void ignored */
  float *class_weights;    /* num_classes loss weights (malloc), or NULL */
  double class_weight_power;  /* median-frequency weights were raised to this, or NAN */
  /* The images the weights were trained on (key trained_on, optional): JSON text of a list of
   * [name, SHA-1 of the image file's bytes] pairs (rl_trained_on_check), so that a project can
   * mark the model's scores on them in-sample; malloc'd, or NULL when not recorded. */
  char *trained_on;
} RlNetMeta;

/* SegNet-Basic: 4 x (conv 7x7 64 + BN + ReLU + pool), 4 x (unpool + conv 7x7 64 + BN),
 * classifier conv 1x1. Names enc1..enc4, dec4..dec1, classifier.
 * SegNet ("segnet"): VGG-16's 13 conv 3x3 + BN + ReLU in blocks of 2,2,3,3,3 named
 * enc1.0, enc1.1, enc2.0, ... enc5.2; the mirrored decoder dec5.0..dec5.2, dec4.0..dec4.2 (the
 * last 512->256), dec3.0..dec3.2 (256->128), dec2.0, dec2.1 (128->64), dec1.0 (64->64), each
 * conv 3x3 + BN + ReLU after an unpool; classifier conv 3x3 64->C with bias.
 * num_classes 1..256 (predictions are 8-bit). */
RlStatus rl_net_init (RlNet *net, const char *arch, int num_classes, RlError *err);
size_t rl_net_count_weights (const RlNet *net);  /* trainable floats */

/* The decoder variants of the SegNet paper's Table 1 (issue 21; engine/README.md describes each
 * and its parameter count), all with SegNet-Basic's encoder (4 x conv 7x7 64 + BN + ReLU +
 * max-pool): "segnet-basic-encoder-addition", "segnet-basic-single-channel-decoder",
 * "fcn-basic", "fcn-basic-no-addition", "fcn-basic-no-dim-reduction",
 * "fcn-basic-no-addition-no-dim-reduction", "bilinear-interpolation".
 * Every architecture rl_net_init knows, NULL-terminated: "segnet-basic", "segnet", then the
 * variants in Table 1's order. */
const char *const *rl_net_arch_names (void);
/* 1 when rl_net_init accepts the name. */
int rl_net_arch_known (const char *arch);
/* The paper's "storage multiplier at inference" (Table 1): the memory of what the decoders need
 * from the encoder relative to SegNet-Basic's max-pooling indices at 2 bits per 2x2 window;
 * encoder feature maps count as float32 at their pre-pool size. Computed from the layer list
 * (for an image size divisible by 16): 1 for decoders that need only the indices, 64 for
 * adding 64-channel maps, 11 (num_classes) for FCN-Basic's reduced maps, 0 when the decoder
 * needs nothing. Where a decoder both unpools and adds maps (encoder addition) the paper gives
 * the maps' figure (64; with the indices 65) and so does this. -1 for an unknown arch. */
double rl_net_storage_multiplier (const char *arch);
/* 1 when the net is a plain chain of conv / max-pool / max-unpool ops (segnet-basic, segnet):
 * what the whole-network oneDNN plans (rl-dnnl-net.h) cover. The variants run layer by layer
 * on every path (their standard convolutions on oneDNN fp32/bf16 when asked). */
int rl_net_is_plain (const RlNet *net);

/* Images of any size run as they are: ceil-mode pooling and unpooling to the remembered size
 * handle odd sizes exactly as PyTorch does, so nothing is padded or cropped. */

void rl_net_meta_clear (RlNetMeta *meta);
/* RL_OK when json is a trained_on list: a JSON list of [name, sha1] pairs of strings, sha1 40
 * lowercase hexadecimal digits; otherwise RL_ERR_FORMAT "WHAT: trained_on is not ...". */
RlStatus rl_trained_on_check (const char *what, const char *json, RlError *err);
RlStatus rl_net_meta_default (RlNetMeta *meta, int num_classes, RlError *err);
RlStatus rl_net_meta_copy (RlNetMeta *dst, const RlNetMeta *src, int num_classes, RlError *err);

/* He (Kaiming normal, fan_in, gain sqrt 2) conv weights from seed, zero biases, BN gamma 1,
 * beta 0, running mean 0 and variance 1; transposed convs get the bilinear kernel
 * (rl_deconv2d_bilinear_init). params holds net->total floats. */
void rl_net_init_params (const RlNet *net, uint64_t seed, float *params);

/* Reads a model file: every tensor present, F32, right shape; metadata complete. On success
 * *params (net->total floats, freed with rl_mem_free) and meta are filled; on failure nothing
 * is. */
RlStatus rl_net_load (const char *path, RlNet *net, RlNetMeta *meta, float **params,
                      RlError *err);
RlStatus rl_net_save (const char *path, const RlNet *net, const RlNetMeta *meta,
                      const float *params, RlError *err);

/* Shapes of each op's output for an input of (h, w); out_c/out_h/out_w have n_ops entries,
 * pre_h/pre_w the pre-pool sizes per stage. Fails for h or w < 1. The shape of op i's input is
 * that of op src's output (the image's, 3 x h x w, for src -1). */
RlStatus rl_net_plan (const RlNet *net, int h, int w, int *out_c, int *out_h, int *out_w,
                      int *pre_h, int *pre_w, RlError *err);

/* rgb (H, W, 3) 8-bit -> x (3, H, W) float: (v / 255 - mean[c]) / std[c]. */
void rl_normalize_rgb8 (const uint8_t *rgb, int h, int w, const float mean[3],
                        const float std[3], float *x);
/* Each of n planes of hw floats, in place: x = (x - m) / sqrt (v + RL_STANDARDIZE_EPS), m and v
 * the plane's mean and (biased) variance, summed in double. On (v / 255 - mean) / std values the
 * result does not depend on mean and std except through the epsilon's scale. */
#define RL_STANDARDIZE_EPS 1e-5
void rl_standardize_planes (float *x, size_t n, size_t hw);
/* rgb -> x as meta says: rl_normalize_rgb8, then with input_norm "image" the 3 planes
 * standardised. */
void rl_net_normalize_input (const RlNetMeta *meta, const uint8_t *rgb, int h, int w, float *x);
/* "dataset" / "image" <-> RL_INPUT_NORM_*; from_name returns 0 for any other name. */
int rl_input_norm_from_name (const char *name, int *out);
const char *rl_input_norm_name (int input_norm);

/* A small deterministic RNG (xoshiro256**); one per use, no global state. */
typedef struct
{
  uint64_t s[4];
} RlRng;

void rl_rng_seed (RlRng *rng, uint64_t seed);
uint64_t rl_rng_next (RlRng *rng);
double rl_rng_uniform (RlRng *rng);  /* [0, 1) */
double rl_rng_normal (RlRng *rng);   /* N(0, 1) */
