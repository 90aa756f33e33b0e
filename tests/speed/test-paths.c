/* test-paths: the whole SegNet-Basic network on each fast engine path (oneDNN fp32, bf16) against
 * the reference path, on real CamVid images with the shipped model: logits, loss, every gradient.
 *
 * Tolerances come from the arithmetic, not from one CPU's measured error. Two correct fp32
 * implementations differ only in rounding: each convolution's dot products (K = C_in k^2 terms,
 * summed in an order the kernel chooses) carry a relative error of about sqrt(K) u under the
 * probabilistic model of rounding (Higham and Mary, 2019; u the unit roundoff, 2^-24 in f32), and
 * bf16 adds the rounding of its inputs and weights (8 significant bits: 2^-8 relative each, so
 * 2^-7 per product, accumulated in f32). Over
 * a network of depth L that is a relative budget
 *     eta = L (sqrt(K_max) u_acc + u_in).
 * How much such an error grows by the time it reaches the logits, the loss and each gradient
 * depends on the network, the weights and the image (cancellation in the convolutions, max-pools
 * whose two largest inputs are nearly tied and flip, ReLU inputs within rounding of 0). That
 * growth is measured, not assumed: the reference path runs again on the input perturbed by
 * independent relative noise of size eta, and each compared quantity may differ from the
 * reference by at most SLACK times as much as that perturbation moved it. The comparison then
 * holds on any CPU whose kernels round no worse than the model, and a real bug (an off-by-one in
 * a layout, a lost ReLU, a wrong unpool) moves the outputs by O(1), far beyond it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rl-dataset.h"
#include "rl-image-io.h"
#include "rl-dnnl.h"
#include "rl-model.h"
#include "rl-net.h"
#include "rl-train.h"
#include "tap.h"

enum { N = 2, H = 120, W = 160 };

#define U_F32 (1.0 / 16777216.0)   /* 2^-24 */
#define U_BF16_IN (1.0 / 128.0)    /* bf16 rounding of both factors of a product, 2 x 2^-8 */
/* How much further than the perturbation's effect a path may be: the perturbation enters once, at
 * the input, while rounding enters at every layer; 4 covers that difference of where the noise
 * enters without letting an O(1) error through. */
#define SLACK 4.0

/* The rounding budget of a network of depth convolutions with at most k_max terms per dot product
 * (see the header). */
static double
budget (int depth, int k_max, int bf16)
{
  return depth * (sqrt ((double) k_max) * U_F32 + (bf16 ? U_BF16_IN : 0.0));
}

/* x (1 + d), d independent and uniform in [-eta, eta] (a fixed seed: the test is repeatable). */
static float *
perturbed (const float *x, size_t n, double eta)
{
  float *y = malloc (n * sizeof (float));
  uint64_t r = 0x9e3779b97f4a7c15ULL;
  for (size_t i = 0; i < n; i++)
    {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      double d = ((r >> 11) / 9007199254740992.0 * 2.0 - 1.0) * eta;
      y[i] = (float) (x[i] * (1.0 + d));
    }
  return y;
}

/* The bound on a relative error whose sensitivity to the budget is s: SLACK s, and never below
 * the budget itself (a perfectly conditioned output still carries its own rounding). */
static double
bound (double s, double eta)
{
  return SLACK * fmax (s, eta);
}

/* ||a - b|| / ||b|| */
static double
rel_l2 (const float *a, const float *b, size_t n)
{
  double d = 0, m = 0;
  for (size_t i = 0; i < n; i++)
    {
      d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
      m += (double) b[i] * b[i];
    }
  return m > 0 ? sqrt (d / m) : sqrt (d);
}

/* ||a|| / ||b|| */
static double
norm_ratio (const float *a, const float *b, size_t na, size_t nb)
{
  double sa = 0, sb = 0;
  for (size_t i = 0; i < na; i++)
    sa += (double) a[i] * a[i];
  for (size_t i = 0; i < nb; i++)
    sb += (double) b[i] * b[i];
  return sqrt (sa / fmax (sb, 1e-300));
}

/* Pixels of (C, hw) logits whose argmax is the same in a and b. */
static size_t
labels_agree (const float *a, const float *b, int nc, size_t hw)
{
  size_t agree = 0;
  for (size_t i = 0; i < hw; i++)
    {
      int ia = 0, ib = 0;
      for (int c = 1; c < nc; c++)
        {
          if (a[c * hw + i] > a[ia * hw + i])
            ia = c;
          if (b[c * hw + i] > b[ib * hw + i])
            ib = c;
        }
      agree += ia == ib;
    }
  return agree;
}

/* Pixels of (N, 11, H, W) logits whose argmax is the same in a and b. */
static size_t
argmax_agree (const float *a, const float *b)
{
  size_t agree = 0, hw = (size_t) H * W;
  for (int n = 0; n < N; n++)
    agree += labels_agree (a + n * 11 * hw, b + n * 11 * hw, 11, hw);
  return agree;
}

typedef struct
{
  float *logits, *eval_logits;
  float *convs[32];
  size_t conv_n[32];
  int n_convs;
  int32_t *idx[8];
  size_t idx_n[8];
  int n_stages;
  double loss;
  float **grads;
  size_t *counts;
  char **names;
  int n_params;
} Result;

static int
run_path (const char *model, RlEnginePath path, const float *x, const uint8_t *labels,
          const float *weights, Result *r)
{
  RlTrainer *t = NULL;
  RlError err = { "" };
  size_t nl = (size_t) N * 11 * H * W;

  if (rl_trainer_load (model, path, &t, &err) != RL_OK
      || rl_trainer_forward (t, x, N, H, W, 1, &err) != RL_OK)
    {
      fprintf (stderr, "test-paths: %s\n", err.text);
      rl_trainer_free (t);
      return 0;
    }
  r->logits = malloc (nl * sizeof (float));
  memcpy (r->logits, rl_trainer_logits (t), nl * sizeof (float));
  if (rl_trainer_backward (t, labels, weights, &r->loss, &err) != RL_OK)
    {
      fprintf (stderr, "test-paths: %s\n", err.text);
      rl_trainer_free (t);
      return 0;
    }
  r->n_params = rl_trainer_num_params (t);
  r->grads = calloc (r->n_params, sizeof (float *));
  r->counts = calloc (r->n_params, sizeof (size_t));
  r->names = calloc (r->n_params, sizeof (char *));
  for (int i = 0; i < r->n_params; i++)
    {
      size_t count;
      const float *g = rl_trainer_grad (t, i);
      rl_trainer_param (t, i, &count);
      r->counts[i] = count;
      r->names[i] = strdup (rl_trainer_param_name (t, i));
      if (g != NULL)
        {
          r->grads[i] = malloc (count * sizeof (float));
          memcpy (r->grads[i], g, count * sizeof (float));
        }
    }
  /* Inference mode (running statistics), as pre-labelling uses it. */
  if (rl_trainer_forward (t, x, N, H, W, 0, &err) != RL_OK)
    {
      fprintf (stderr, "test-paths: %s\n", err.text);
      rl_trainer_free (t);
      return 0;
    }
  r->eval_logits = malloc (nl * sizeof (float));
  memcpy (r->eval_logits, rl_trainer_logits (t), nl * sizeof (float));
  r->n_stages = rl_trainer_num_stages (t);
  for (int j = 0; j < r->n_stages && j < 8; j++)
    {
      int c, h, w;
      const int32_t *ix = rl_trainer_pool_indices (t, j, &c, &h, &w);
      r->idx_n[j] = ix != NULL ? (size_t) N * c * h * w : 0;
      r->idx[j] = malloc (r->idx_n[j] * sizeof (int32_t) + 1);
      if (ix != NULL)
        memcpy (r->idx[j], ix, r->idx_n[j] * sizeof (int32_t));
    }
  r->n_convs = rl_trainer_num_convs (t);
  for (int j = 0; j < r->n_convs && j < 32; j++)
    {
      int c, h, w, relu;
      const float *y = rl_trainer_conv_output (t, j, &c, &h, &w, &relu);
      r->conv_n[j] = y != NULL ? (size_t) N * c * h * w : 0;
      r->convs[j] = malloc (r->conv_n[j] * sizeof (float) + 1);
      if (y != NULL)
        memcpy (r->convs[j], y, r->conv_n[j] * sizeof (float));
    }
  rl_trainer_free (t);
  return 1;
}

/* Whole-image inference (rl_model_forward_on) on a full-size CamVid val image: each oneDNN
 * plan against the reference path. */
static void
check_inference (const char *model_path, RlDataset *ds)
{
  GPtrArray *val = rl_dataset_split (ds, "val");
  RlModel *m = NULL;
  RlError err = { "" };
  GError *error = NULL;

  if (rl_model_load (model_path, &m, &err) != RL_OK)
    {
      check (0, "model loads: %s", err.text);
      return;
    }
  /* Two full images, then an odd-sized crop (181x243: ceil-mode pooling pads at every stage,
   * and the unpool must return to the odd sizes). */
  for (guint k = 0; k < 3 && k < val->len; k++)
    {
      RlSample *s = g_ptr_array_index (val, (k % 2) * 50);
      int w, h, nc = rl_model_num_classes (m);
      guint8 *rgb = NULL;
      if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error))
        {
          check (0, "%s decodes: %s", s->name, error->message);
          g_clear_error (&error);
          continue;
        }
      if (k == 2)
        {
          int ch = 181, cw = 243;
          for (int y = 0; y < ch; y++)
            memmove (rgb + (size_t) y * cw * 3, rgb + (size_t) y * w * 3, cw * 3);
          h = ch;
          w = cw;
        }
      size_t hw = (size_t) h * w;
      float *x = malloc (3 * hw * sizeof (float));
      float *ref = malloc (nc * hw * sizeof (float)), *got = malloc (nc * hw * sizeof (float));
      float *refq = malloc (nc * hw * sizeof (float));
      rl_model_normalize_input (m, rgb, h, w, x);
      if (rl_model_forward_on (m, RL_ENGINE_PATH_REFERENCE, x, h, w, ref, 2, NULL, NULL, &err)
          != RL_OK)
        check (0, "%s reference inference: %s", s->name, err.text);
      for (int p = RL_ENGINE_PATH_FP32; p <= RL_ENGINE_PATH_BF16; p++)
        {
          const char *name = p == RL_ENGINE_PATH_FP32 ? "fp32" : "bf16";
          double eta = budget (9, 64 * 49, p == RL_ENGINE_PATH_BF16);
          if (!rl_dnnl_supports (p == RL_ENGINE_PATH_BF16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32))
            continue;
          /* Twice: the second run reuses the cached plan. */
          for (int r = 0; r < 2; r++)
            {
              memset (got, 0, nc * hw * sizeof (float));
              if (rl_model_forward_on (m, p, x, h, w, got, 2, NULL, NULL, &err) != RL_OK)
                check (0, "%s %s plan inference (run %d): %s", s->name, name, r + 1, err.text);
            }
          float *xq = perturbed (x, 3 * hw, eta);
          if (rl_model_forward_on (m, RL_ENGINE_PATH_REFERENCE, xq, h, w, refq, 2, NULL, NULL,
                                   &err) != RL_OK)
            check (0, "%s reference inference on the perturbed input: %s", s->name, err.text);
          free (xq);
          size_t flips = hw - labels_agree (got, ref, nc, hw);
          size_t flips_q = hw - labels_agree (refq, ref, nc, hw);
          double e = rel_l2 (got, ref, nc * hw), e_q = rel_l2 (refq, ref, nc * hw);
          check (e <= bound (e_q, eta), "%s %s plan: logits rel. L2 error %.2e (bound %.2e: the "
                 "perturbed reference's %.2e)", s->name, name, e, bound (e_q, eta), e_q);
          /* Labels flip where a pixel's two best logits are within rounding of each other: as
           * many as the perturbation flips, with SLACK, and at least one. A wiring error
           * changes most labels. */
          check (flips <= SLACK * fmax ((double) flips_q, 1), "%s %s plan: labels differ from the "
                 "reference on %zu of %dx%d pixels (bound %.0f: the perturbed reference's %zu)",
                 s->name, name, flips, w, h, SLACK * fmax ((double) flips_q, 1), flips_q);
        }
      g_free (rgb);
      free (x);
      free (ref);
      free (refq);
      free (got);
    }
  g_ptr_array_unref (val);
  rl_model_free (m);
}

/* SegNet (VGG-16) through the plans: He-initialised weights saved and loaded as a model (batch
 * norm folded), a 75x101 random image (odd at every stage), each path against the reference. */
static void
check_vgg (void)
{
  enum { VH = 75, VW = 101, VC = 11 };
  char path[] = "/tmp/test-paths-XXXXXX";
  int fd = mkstemp (path);
  RlTrainer *t = NULL;
  RlModel *m = NULL;
  RlError err = { "" };
  size_t hw = (size_t) VH * VW;
  float *x = malloc (3 * hw * sizeof (float)), *ref = malloc (VC * hw * sizeof (float));
  float *got = malloc (VC * hw * sizeof (float));
  uint64_t r = 12345;

  if (fd >= 0)
    close (fd);
  if (fd < 0 || rl_trainer_new ("segnet", VC, 3, RL_ENGINE_PATH_REFERENCE, &t, &err) != RL_OK
      || rl_trainer_save (t, path, &err) != RL_OK || rl_model_load (path, &m, &err) != RL_OK)
    {
      check (0, "SegNet (VGG-16) model saved and loaded: %s", err.text);
      goto out;
    }
  for (size_t i = 0; i < 3 * hw; i++)
    {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      x[i] = (float) ((r >> 40) / (double) (1 << 24) * 2.0 - 1.0);
    }
  if (rl_model_forward_on (m, RL_ENGINE_PATH_REFERENCE, x, VH, VW, ref, 2, NULL, NULL, &err)
      != RL_OK)
    {
      check (0, "SegNet (VGG-16) reference inference: %s", err.text);
      goto out;
    }
  for (int p = RL_ENGINE_PATH_FP32; p <= RL_ENGINE_PATH_BF16; p++)
    {
      if (!rl_dnnl_supports (p == RL_ENGINE_PATH_BF16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32))
        continue;
      if (rl_model_forward_on (m, p, x, VH, VW, got, 2, NULL, NULL, &err) != RL_OK)
        {
          check (0, "SegNet (VGG-16) plan inference: %s", err.text);
          continue;
        }
      /* 26 convolutions, at most 512 x 3 x 3 terms per output. */
      double eta = budget (26, 512 * 9, p == RL_ENGINE_PATH_BF16);
      float *xq = perturbed (x, 3 * hw, eta);
      float *refq = malloc (VC * hw * sizeof (float));
      if (rl_model_forward_on (m, RL_ENGINE_PATH_REFERENCE, xq, VH, VW, refq, 2, NULL, NULL,
                               &err) != RL_OK)
        check (0, "SegNet (VGG-16) reference inference on the perturbed input: %s", err.text);
      double e = rel_l2 (got, ref, VC * hw), e_q = rel_l2 (refq, ref, VC * hw);
      /* bf16 over 26 untrained layers: the budget (5 % at the input) moves the logits by about
       * 0.4, so the bound is above 1, where a wiring error would pass too; such a comparison is
       * reported, not counted (the bf16 plan's code is checked on SegNet-Basic above). */
      if (bound (e_q, eta) >= 1.0)
        {
          printf ("# SegNet (VGG-16) %s plan at %dx%d: logits rel. L2 error %.2e; its rounding "
                  "bound %.2e cannot tell rounding from a wiring error, not checked\n",
                  p == RL_ENGINE_PATH_FP32 ? "fp32" : "bf16", VW, VH, e, bound (e_q, eta));
          free (xq);
          free (refq);
          continue;
        }
      check (e <= bound (e_q, eta), "SegNet (VGG-16) %s plan at %dx%d: logits rel. L2 error "
             "%.2e (bound %.2e: the perturbed reference's %.2e)",
             p == RL_ENGINE_PATH_FP32 ? "fp32" : "bf16", VW, VH, e, bound (e_q, eta), e_q);
      free (xq);
      free (refq);
    }
out:
  unlink (path);
  rl_model_free (m);
  rl_trainer_free (t);
  free (x);
  free (ref);
  free (got);
}

int
main (void)
{
  const char *camvid = getenv ("RELABEL_CAMVID"), *root = getenv ("RELABEL_SOURCE_ROOT");
  /* CamVid median-frequency weights (the dataset README's values). */
  const float weights[11] = { 0.2595f, 0.1826f, 4.5640f, 0.1417f, 0.9051f, 0.3826f,
                              9.6446f, 1.8418f, 0.6823f, 6.2478f, 7.3614f };
  const char *names[N] = { "0001TP_006690", "0016E5_06390" };
  float *x = malloc ((size_t) N * 3 * H * W * sizeof (float));
  uint8_t *labels = malloc ((size_t) N * H * W);
  char *model;
  RlTrainer *t0 = NULL;
  RlError err = { "" };
  Result ref = { 0 };
  g_autoptr (RlDataset) ds = NULL;
  GError *error = NULL;

  if (camvid == NULL || root == NULL)
    {
      printf ("1..0 # SKIP RELABEL_CAMVID / RELABEL_SOURCE_ROOT not set\n");
      return 77;
    }
  model = g_build_filename (root, "resources", "models", "segnet-basic-camvid.safetensors", NULL);
  ds = rl_dataset_load ("camvid", camvid, &error);
  if (ds == NULL || rl_trainer_load (model, RL_ENGINE_PATH_REFERENCE, &t0, &err) != RL_OK)
    {
      fprintf (stderr, "test-paths: %s\n", ds == NULL ? error->message : err.text);
      return 1;
    }
  /* A 120x160 crop from the middle of each image, at full resolution. */
  for (int i = 0; i < N; i++)
    {
      RlSample *s = rl_dataset_find (ds, names[i]);
      int w, h, lw, lh;
      guint8 *rgb = NULL, *lab = NULL, *crop = malloc (H * W * 3);
      if (s == NULL || !rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error)
          || !rl_label_read (s->label_path, &lw, &lh, &lab, &error))
        {
          fprintf (stderr, "test-paths: %s: %s\n", names[i], error ? error->message : "missing");
          return 1;
        }
      for (int y = 0; y < H; y++)
        {
          int sy = (h - H) / 2 + y, sx = (w - W) / 2;
          memcpy (crop + (size_t) y * W * 3, rgb + ((size_t) sy * w + sx) * 3, W * 3);
          memcpy (labels + (size_t) i * H * W + (size_t) y * W, lab + (size_t) sy * w + sx, W);
        }
      rl_normalize_rgb8 (crop, H, W, rl_trainer_input_mean (t0), rl_trainer_input_std (t0),
                         x + (size_t) i * 3 * H * W);
      g_free (rgb);
      g_free (lab);
      free (crop);
    }
  rl_trainer_free (t0);

  if (!run_path (model, RL_ENGINE_PATH_REFERENCE, x, labels, weights, &ref))
    return 1;
  printf ("# reference loss %.6f\n", ref.loss);
  for (int p = RL_ENGINE_PATH_FP32; p <= RL_ENGINE_PATH_BF16; p++)
    {
      const char *name = p == RL_ENGINE_PATH_FP32 ? "fp32" : "bf16";
      int bf16 = p == RL_ENGINE_PATH_BF16;
      /* SegNet-Basic: 9 convolutions in sequence, at most 64 x 7 x 7 terms per output. */
      double eta = budget (9, 64 * 49, bf16);
      Result r = { 0 }, q = { 0 };
      size_t nl = (size_t) N * 11 * H * W;
      float *xq;

      if (!rl_dnnl_supports (bf16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32))
        {
          printf ("# SKIP %s: not available on this build/CPU\n", name);
          continue;
        }
      check (run_path (model, (RlEnginePath) p, x, labels, weights, &r), "%s path runs", name);
      xq = perturbed (x, (size_t) N * 3 * H * W, eta);
      check (run_path (model, RL_ENGINE_PATH_REFERENCE, xq, labels, weights, &q),
             "reference path runs on the input perturbed by the %s budget %.2e", name, eta);
      free (xq);
      if (r.logits == NULL || q.logits == NULL)
        continue;
      size_t flips = N * H * W - argmax_agree (r.logits, ref.logits),
             flips_q = N * H * W - argmax_agree (q.logits, ref.logits);
      double worst_excess = 0, worst_rel = 0, worst_bias = 0, bias_q = 0;
      int worst_i = -1;
      for (int i = 0; i < r.n_params; i++)
        {
          const char *pn = ref.names[i];
          size_t len = strlen (pn);
          if (ref.grads[i] == NULL)
            continue;
          /* A convolution bias followed by training-mode batch norm has gradient 0 in exact
           * arithmetic (the batch mean absorbs it): only rounding noise, compared with the
           * batch norm's own bias gradient, below. */
          if (len > 10 && strcmp (pn + len - 10, ".conv.bias") == 0 && i + 2 < r.n_params)
            {
              worst_bias = fmax (worst_bias, norm_ratio (r.grads[i], ref.grads[i + 2],
                                                         ref.counts[i], ref.counts[i + 2]));
              bias_q = fmax (bias_q, norm_ratio (ref.grads[i], ref.grads[i + 2],
                                                 ref.counts[i], ref.counts[i + 2]));
              bias_q = fmax (bias_q, norm_ratio (q.grads[i], ref.grads[i + 2], ref.counts[i],
                                                 ref.counts[i + 2]));
              continue;
            }
          double e = rel_l2 (r.grads[i], ref.grads[i], ref.counts[i]);
          double sq = rel_l2 (q.grads[i], ref.grads[i], ref.counts[i]);
          if (getenv ("RELABEL_TEST_VERBOSE"))
            printf ("# %s %-28s rel %.2e (perturbed reference %.2e)\n", name, pn, e, sq);
          if (e / bound (sq, eta) > worst_excess)
            worst_excess = e / bound (sq, eta), worst_rel = e, worst_i = i;
        }
      if (getenv ("RELABEL_TEST_VERBOSE"))
        for (int j = 0; j < r.n_stages; j++)
          {
            size_t d = 0, dq = 0;
            for (size_t i = 0; i < ref.idx_n[j]; i++)
              {
                d += r.idx[j][i] != ref.idx[j][i];
                dq += q.idx[j][i] != ref.idx[j][i];
              }
            printf ("# %s pool stage %d: %zu of %zu indices differ (perturbed reference %zu)\n",
                    name, j, d, ref.idx_n[j], dq);
          }
      /* Relative L2 rather than max error: a max-pool whose two largest inputs differ by
       * rounding may pick the other one on another path, which moves one value by a pixel, a
       * local O(1) change; the perturbed reference flips such near-ties too. */
      double el = rel_l2 (r.logits, ref.logits, nl), el_q = rel_l2 (q.logits, ref.logits, nl);
      double ee = rel_l2 (r.eval_logits, ref.eval_logits, nl);
      double ee_q = rel_l2 (q.eval_logits, ref.eval_logits, nl);
      double dl = fabs (r.loss - ref.loss) / fabs (ref.loss);
      double dl_q = fabs (q.loss - ref.loss) / fabs (ref.loss);
      check (ee <= bound (ee_q, eta), "%s inference-mode logits rel. L2 error %.2e (bound %.2e: "
             "the perturbed reference's %.2e)", name, ee, bound (ee_q, eta), ee_q);
      check (el <= bound (el_q, eta), "%s training-mode logits rel. L2 error %.2e (bound %.2e: "
             "the perturbed reference's %.2e)", name, el, bound (el_q, eta), el_q);
      check (dl <= bound (dl_q, eta), "%s loss %.6f vs reference %.6f: rel. error %.2e (bound "
             "%.2e)", name, r.loss, ref.loss, dl, bound (dl_q, eta));
      /* A pixel's argmax flips where its two best logits are within the error of each other:
       * as many as the perturbation flips, with SLACK, and at least one per image. */
      check (flips <= SLACK * fmax ((double) flips_q, N), "%s argmax differs from the reference "
             "on %zu of %d pixels (bound %.0f: the perturbed reference's %zu)", name, flips,
             N * H * W, SLACK * fmax ((double) flips_q, N), flips_q);
      check (worst_excess <= 1.0, "%s gradients: every parameter's rel. L2 error within its "
             "bound (worst %s: %.2e, %.2f of its bound)", name,
             worst_i >= 0 ? ref.names[worst_i] : "-", worst_rel, worst_excess);
      /* Exactly 0 in exact arithmetic; the reference path's own values (on the input and the
       * perturbed input) are what rounding leaves. A bug that let the bias through would make
       * them as large as the batch norm bias gradient (ratio ~1). */
      check (worst_bias <= bound (bias_q, eta), "%s conv bias gradients before batch norm are "
             "rounding noise: at most %.2e of the batch norm bias gradient (bound %.2e)", name,
             worst_bias, bound (bias_q, eta));
    }
  check_inference (model, ds);
  check_vgg ();
  free (x);
  free (labels);
  g_free (model);
  printf ("1..%d\n", n_checks);
  return n_failed > 0;
}
