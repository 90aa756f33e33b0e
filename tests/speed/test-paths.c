/* test-paths: the whole SegNet-Basic network on each fast engine path (oneDNN fp32, bf16) against
 * the reference path, on real CamVid images with the shipped model: logits, loss, every gradient. */
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

static double
cosine (const float *a, const float *b, size_t n)
{
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < n; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return aa > 0 && bb > 0 ? ab / sqrt (aa * bb) : (aa == bb ? 1 : 0);
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
      rl_normalize_rgb8 (rgb, h, w, rl_model_input_mean (m), rl_model_input_std (m), x);
      if (rl_model_forward_on (m, RL_ENGINE_PATH_REFERENCE, x, h, w, ref, 2, NULL, NULL, &err)
          != RL_OK)
        check (0, "%s reference inference: %s", s->name, err.text);
      for (int p = RL_ENGINE_PATH_FP32; p <= RL_ENGINE_PATH_BF16; p++)
        {
          const char *name = p == RL_ENGINE_PATH_FP32 ? "fp32" : "bf16";
          size_t agree = 0;
          if (!rl_dnnl_supports (p == RL_ENGINE_PATH_BF16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32))
            continue;
          /* Twice: the second run reuses the cached plan. */
          for (int r = 0; r < 2; r++)
            {
              memset (got, 0, nc * hw * sizeof (float));
              if (rl_model_forward_on (m, p, x, h, w, got, 2, NULL, NULL, &err) != RL_OK)
                check (0, "%s %s plan inference (run %d): %s", s->name, name, r + 1, err.text);
            }
          for (size_t i = 0; i < hw; i++)
            {
              int a = 0, b = 0;
              for (int c = 1; c < nc; c++)
                {
                  if (got[c * hw + i] > got[a * hw + i])
                    a = c;
                  if (ref[c * hw + i] > ref[b * hw + i])
                    b = c;
                }
              agree += a == b;
            }
          double e = rel_l2 (got, ref, nc * hw);
          check (e <= (p == RL_ENGINE_PATH_FP32 ? 1e-3 : 0.1), "%s %s plan: logits rel. L2 "
                 "error %.2e", s->name, name, e);
          /* bf16 per image depends on the model's margins (96.9 to 98.6 % seen with two shipped
           * models before the encoder's first stage and the max-pools ran in f32, 99.2 to 99.7 %
           * since with two shipped models, 243x181 crop the lowest); the bar that matters is over
           * all of val (test-bf16-val). A wiring error drops far below 95 %. */
          check (agree >= (p == RL_ENGINE_PATH_FP32 ? 0.999 : 0.95) * hw,
                 "%s %s plan: argmax agrees with the reference on %.3f %% of %dx%d pixels",
                 s->name, name, 100.0 * agree / hw, w, h);
        }
      g_free (rgb);
      free (x);
      free (ref);
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
      /* bf16 through 26 untrained layers: rounding alone gives about 0.2 (the layer-by-layer
       * bf16 path measured 0.20, the plan 0.22); a wiring error (a wrong unpool, a lost
       * ReLU) gives O(1). */
      double e = rel_l2 (got, ref, VC * hw);
      check (e <= (p == RL_ENGINE_PATH_FP32 ? 1e-4 : 0.35), "SegNet (VGG-16) %s plan at %dx%d: "
             "logits rel. L2 error %.2e", p == RL_ENGINE_PATH_FP32 ? "fp32" : "bf16", VW, VH, e);
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
      Result r = { 0 };
      double worst_cos = 1, worst_rel = 0, worst_bias = 0;
      int worst_i = -1;
      size_t nl = (size_t) N * 11 * H * W, agree = 0;

      if (!rl_dnnl_supports (bf16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32))
        {
          printf ("# SKIP %s: not available on this build/CPU\n", name);
          continue;
        }
      check (run_path (model, (RlEnginePath) p, x, labels, weights, &r), "%s path runs", name);
      if (r.logits == NULL)
        continue;
      for (size_t i = 0; i < (size_t) N * H * W; i++)
        {
          size_t n = i / (H * W), q = i % (H * W);
          int a = 0, b = 0;
          for (int c = 1; c < 11; c++)
            {
              size_t o = (n * 11) * H * W + q;
              if (r.logits[o + (size_t) c * H * W] > r.logits[o + (size_t) a * H * W])
                a = c;
              if (ref.logits[o + (size_t) c * H * W] > ref.logits[o + (size_t) b * H * W])
                b = c;
            }
          agree += a == b;
        }
      for (int i = 0; i < r.n_params; i++)
        {
          double c, e;
          const char *pn = ref.names[i];
          size_t len = strlen (pn);
          if (ref.grads[i] == NULL)
            continue;
          c = cosine (r.grads[i], ref.grads[i], ref.counts[i]);
          e = rel_l2 (r.grads[i], ref.grads[i], ref.counts[i]);
          if (getenv ("RELABEL_TEST_VERBOSE"))
            printf ("# %s %-28s cos %.6f rel %.2e\n", name, pn, c, e);
          /* A convolution bias followed by training-mode batch norm has gradient 0 in exact
           * arithmetic (the batch mean absorbs it): only rounding noise, which must stay tiny
           * next to the batch norm's own bias gradient. */
          if (len > 10 && strcmp (pn + len - 10, ".conv.bias") == 0 && i + 2 < r.n_params)
            {
              double nb = 0, nr = 0;
              for (size_t k = 0; k < ref.counts[i]; k++)
                nb += (double) r.grads[i][k] * r.grads[i][k];
              for (size_t k = 0; k < ref.counts[i + 2]; k++)
                nr += (double) ref.grads[i + 2][k] * ref.grads[i + 2][k];
              worst_bias = fmax (worst_bias, sqrt (nb / fmax (nr, 1e-30)));
              continue;
            }
          if (c < worst_cos)
            worst_cos = c, worst_i = i;
          worst_rel = fmax (worst_rel, e);
        }
      if (getenv ("RELABEL_TEST_VERBOSE"))
        for (int j = 0; j < r.n_stages; j++)
          {
            size_t d = 0;
            for (size_t i = 0; i < ref.idx_n[j]; i++)
              d += r.idx[j][i] != ref.idx[j][i];
            printf ("# %s pool stage %d: %zu of %zu indices differ\n", name, j, d,
                    ref.idx_n[j]);
          }
      /* Relative L2 rather than max error: a max-pool whose two largest inputs differ by
       * rounding may pick the other one on another path, which moves one value by a pixel
       * (seen: 1 to 3 indices of 800,000 on fp32), a local O(1) change. */
      double el = rel_l2 (r.logits, ref.logits, nl);
      double ee = rel_l2 (r.eval_logits, ref.eval_logits, nl);
      check (ee <= (bf16 ? 0.05 : 1e-3), "%s inference-mode logits rel. L2 error %.2e", name, ee);
      check (el <= (bf16 ? 0.05 : 1e-3), "%s training-mode logits rel. L2 error %.2e", name, el);
      check (fabs (r.loss - ref.loss) <= (bf16 ? 0.01 : 1e-5) * fabs (ref.loss),
             "%s loss %.6f vs reference %.6f", name, r.loss, ref.loss);
      check (agree >= (bf16 ? 0.97 : 0.999) * N * H * W,
             "%s argmax agrees with the reference on %.3f %% of pixels", name,
             100.0 * agree / (N * H * W));
      /* fp32: every gradient to 1e-3 (relative L2; measured 5e-5 and 1.0e-4 with two shipped
       * models: a flipped near-tie in a max-pool or a ReLU input within rounding of 0 moves a
       * gradient locally). bf16 rounds activations, weights and output gradients to 8 bits of
       * mantissa: each gradient must still point the same way. */
      if (bf16)
        check (worst_cos >= 0.999, "%s gradients: worst cosine similarity %.5f (%s), max rel. "
               "L2 error %.2e", name, worst_cos, worst_i >= 0 ? ref.names[worst_i] : "-",
               worst_rel);
      else
        check (worst_rel <= 1e-3, "%s gradients: max rel. L2 error %.2e, worst cosine %.7f",
               name, worst_rel, worst_cos);
      /* exactly 0 in exact arithmetic (batch norm removes the mean); a bug that let them through
       * would make them as large as the batch norm bias gradient (ratio ~1). Measured with two
       * of session 3's models: fp32 1.0e-5 and 1.2e-4, bf16 2.7e-3 and 3.3e-3. */
      check (worst_bias <= (bf16 ? 1e-2 : 1e-3), "%s conv bias gradients before batch norm are "
             "rounding noise: at most %.2e of the batch norm bias gradient", name, worst_bias);
    }
  check_inference (model, ds);
  check_vgg ();
  free (x);
  free (labels);
  g_free (model);
  printf ("1..%d\n", n_checks);
  return n_failed > 0;
}
