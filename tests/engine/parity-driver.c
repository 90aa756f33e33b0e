/* The C half of the PyTorch parity test: runs SegNet on real CamVid images and dumps inputs,
 * logits, loss, every gradient and the weights after SGD steps as safetensors for parity.py. */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rl-image-io.h"
#include "rl-model.h"
#include "rl-net.h"
#include "rl-safetensors.h"
#include "rl-train.h"

#define N_STEPS 3
#define LR 0.01f
#define MOMENTUM 0.9f
#define WEIGHT_DECAY 5e-4f

static const char *camvid_names[11] = { "Sky", "Building", "Pole", "Road", "Pavement", "Tree",
                                        "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist" };
/* Median-frequency weights of CamVid's training labels (../shared/datasets/camvid/README.md). */
static const float camvid_weights[11] = { 0.2793f, 0.2017f, 4.7865f, 0.1490f, 1.0000f, 0.4217f,
                                          3.8467f, 1.9736f, 0.7889f, 6.3747f, 8.8587f };

static void
die (const char *what, const char *msg)
{
  fprintf (stderr, "parity-driver: %s: %s\n", what, msg);
  exit (1);
}

/* Nearest-neighbour downscale by an integer factor of an (H, W, ch) 8-bit image. */
static guint8 *
downscale (const guint8 *src, int w, int h, int ch, int f, int *ow, int *oh)
{
  *ow = w / f;
  *oh = h / f;
  guint8 *dst = g_malloc ((gsize) *ow * *oh * ch);
  for (int y = 0; y < *oh; y++)
    for (int x = 0; x < *ow; x++)
      memcpy (dst + ((gsize) y * *ow + x) * ch, src + ((gsize) y * f * w + x * f) * ch, ch);
  return dst;
}

/* Flat, saturated regions (sky) give max-pool windows whose values tie exactly, and then
 * rounding (summation order, threads) picks the argmax at random in either implementation. A
 * deterministic dither of +-0.004 (a quarter of one 8-bit step after normalisation) separates
 * them by far more than rounding, so the comparison tests arithmetic, not tie-breaking. */
static void
dither (float *x, size_t n)
{
  RlRng rng;
  rl_rng_seed (&rng, 99);
  for (size_t i = 0; i < n; i++)
    x[i] += (float) (0.008 * (rl_rng_uniform (&rng) - 0.5));
}

typedef struct
{
  GPtrArray *names;   /* owned strings */
  GArray *items;      /* RlStWrite */
  GPtrArray *data;    /* owned float buffers */
} Dump;

static void
dump_add (Dump *d, const char *name, int ndim, const int64_t *shape, const float *data)
{
  size_t n = 1;
  for (int i = 0; i < ndim; i++)
    n *= (size_t) shape[i];
  float *copy = g_memdup2 (data, n * sizeof (float));
  char *nm = g_strdup (name);
  g_ptr_array_add (d->names, nm);
  g_ptr_array_add (d->data, copy);
  RlStWrite w = { nm, ndim, { 0 }, copy };
  memcpy (w.shape, shape, (size_t) ndim * sizeof (int64_t));
  g_array_append_val (d->items, w);
}

/* Indices dumped as floats (exact below 2^24) named PREFIX.STAGE. */
static void
dump_indices (Dump *d, const char *prefix, int stage, int n, int c, int h, int w,
              const int32_t *idx)
{
  size_t count = (size_t) n * c * h * w;
  float *f = g_malloc (count * sizeof (float));
  for (size_t i = 0; i < count; i++)
    f[i] = (float) idx[i];
  char name[64];
  snprintf (name, sizeof name, "%s.%d", prefix, stage);
  int64_t shape[4] = { n, c, h, w };
  dump_add (d, name, 4, shape, f);
  g_free (f);
}

/* The per-stage indices of rl_model_forward (batch 1), freed here. */
static void
dump_pool (Dump *d, const char *prefix, int32_t **idx, int n_stages, int h, int w)
{
  for (int s = 0; s < n_stages; s++)
    {
      h = (h + 1) / 2;
      w = (w + 1) / 2;
      /* Channels: SegNet-Basic 64 throughout; VGG 64, 128, 256, 512, 512. */
      static const int vgg[5] = { 64, 128, 256, 512, 512 };
      int c = n_stages == 4 ? 64 : vgg[s];
      dump_indices (d, prefix, s, 1, c, h, w, idx[s]);
      free (idx[s]);
    }
}

static void
dump_write (Dump *d, const char *path)
{
  RlError err;
  if (rl_safetensors_write (path, (RlStWrite *) d->items->data, (int) d->items->len, NULL, 0,
                            &err) != RL_OK)
    die (path, err.text);
  g_ptr_array_set_size (d->names, 0);
  g_ptr_array_set_size (d->data, 0);
  g_array_set_size (d->items, 0);
}

int
main (int argc, char **argv)
{
  if (argc != 8 && argc != 9)
    {
      fprintf (stderr, "usage: parity-driver ARCH SCALE OUTDIR IMG1 LBL1 IMG2 LBL2 [full]\n");
      return 2;
    }
  const char *arch = argv[1], *outdir = argv[3];
  int scale = atoi (argv[2]), full = argc == 9;
  RlError err = { { 0 } };
  g_autoptr (GError) error = NULL;

  int h = 0, w = 0, fw = 0, fh = 0;
  guint8 *rgb[2], *lbl[2], *full_rgb = NULL;
  for (int i = 0; i < 2; i++)
    {
      int iw, ih, lw, lh;
      guint8 *img, *lab;
      if (!rl_image_read_rgb (argv[4 + 2 * i], &iw, &ih, &img, &error))
        die (argv[4 + 2 * i], error->message);
      if (!rl_label_read (argv[5 + 2 * i], &lw, &lh, &lab, &error))
        die (argv[5 + 2 * i], error->message);
      if (lw != iw || lh != ih)
        die (argv[5 + 2 * i], "label size differs from the image");
      if (i == 0)
        {
          full_rgb = g_memdup2 (img, (gsize) iw * ih * 3);
          fw = iw;
          fh = ih;
        }
      rgb[i] = downscale (img, iw, ih, 3, scale, &w, &h);
      lbl[i] = downscale (lab, iw, ih, 1, scale, &w, &h);
      g_free (img);
      g_free (lab);
    }

  RlTrainer *t = NULL;
  /* the engine reads no environment: the test's RELABEL_ENGINE_PATH (meson's test_env_reference
   * and test_env_fp32) picks the trainer's path here */
  RlEnginePath path = RL_ENGINE_PATH_DEFAULT;
  if (!rl_engine_path_from_name (getenv ("RELABEL_ENGINE_PATH"), &path))
    die ("RELABEL_ENGINE_PATH", "wants auto, reference, fp32 or bf16");
  if (rl_trainer_new (arch, 11, 5, path, &t, &err) != RL_OK
      || rl_trainer_set_classes (t, camvid_names, 11, &err) != RL_OK)
    die (arch, err.text);
  g_autofree char *model0 = g_build_filename (outdir, "model0.safetensors", NULL);
  g_autofree char *model3 = g_build_filename (outdir, "model3.safetensors", NULL);
  if (rl_trainer_save (t, model0, &err) != RL_OK)
    die (model0, err.text);

  size_t hw = (size_t) h * w;
  float *x = g_malloc (2 * 3 * hw * sizeof (float));
  float *labels_f = g_malloc (2 * hw * sizeof (float));
  uint8_t *labels = g_malloc (2 * hw);
  for (int i = 0; i < 2; i++)
    {
      rl_normalize_rgb8 (rgb[i], h, w, rl_trainer_input_mean (t), rl_trainer_input_std (t),
                         x + i * 3 * hw);
      memcpy (labels + i * hw, lbl[i], hw);
    }
  dither (x, 2 * 3 * hw);
  for (size_t i = 0; i < 2 * hw; i++)
    labels_f[i] = labels[i];

  Dump d = { g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (RlStWrite)),
             g_ptr_array_new_with_free_func (g_free) };
  int64_t xs[4] = { 2, 3, h, w }, ls[3] = { 2, h, w }, ws[1] = { 11 }, one[1] = { 1 };
  int64_t lg[4] = { 2, 11, h, w };
  dump_add (&d, "x", 4, xs, x);
  dump_add (&d, "labels", 3, ls, labels_f);
  dump_add (&d, "class_weights", 1, ws, camvid_weights);
  float hyper[3] = { LR, MOMENTUM, WEIGHT_DECAY };
  int64_t hs[1] = { 3 };
  dump_add (&d, "sgd", 1, hs, hyper);
  /* in two floats, each exact (SegNet's 29.4 M is above float's 2^24) */
  size_t nw = rl_trainer_num_weights (t);
  float nweights[2] = { (float) (nw >> 12), (float) (nw & 4095) };
  int64_t two[1] = { 2 };
  dump_add (&d, "num_weights", 1, two, nweights);
  for (int step = 0; step < N_STEPS; step++)
    {
      double loss;
      if (rl_trainer_forward (t, x, 2, h, w, 1, &err) != RL_OK
          || rl_trainer_backward (t, labels, camvid_weights, &loss, &err) != RL_OK)
        die ("train step", err.text);
      float lf = (float) loss;
      char name[64];
      snprintf (name, sizeof name, "idx%d", step);
      for (int sidx = 0; sidx < rl_trainer_num_stages (t); sidx++)
        {
          int pc, ph, pw;
          const int32_t *pi = rl_trainer_pool_indices (t, sidx, &pc, &ph, &pw);
          dump_indices (&d, name, sidx, 2, pc, ph, pw, pi);
        }
      /* ReLU masks (output > 0) of every conv with ReLU, so PyTorch can follow the C side
       * through activations that rounding puts on either side of 0. */
      for (int j = 0; j < rl_trainer_num_convs (t); j++)
        {
          int mc, mh, mw, relu;
          const float *o = rl_trainer_conv_output (t, j, &mc, &mh, &mw, &relu);
          if (!relu)
            continue;
          size_t count = (size_t) 2 * mc * mh * mw;
          float *mask = g_malloc (count * sizeof (float));
          for (size_t k = 0; k < count; k++)
            mask[k] = o[k] > 0.0f ? 1.0f : 0.0f;
          snprintf (name, sizeof name, "mask%d.%d", step, j);
          int64_t shape[4] = { 2, mc, mh, mw };
          dump_add (&d, name, 4, shape, mask);
          g_free (mask);
        }
      snprintf (name, sizeof name, "loss%d", step);
      dump_add (&d, name, 1, one, &lf);
      if (step == 0)
        {
          dump_add (&d, "logits", 4, lg, rl_trainer_logits (t));
          for (int i = 0; i < rl_trainer_num_params (t); i++)
            {
              const float *g = rl_trainer_grad (t, i);
              if (g == NULL)
                continue;
              size_t count;
              rl_trainer_param (t, i, &count);
              int64_t c[1] = { (int64_t) count };
              snprintf (name, sizeof name, "grad.%s", rl_trainer_param_name (t, i));
              dump_add (&d, name, 1, c, g);
            }
        }
      rl_trainer_sgd_step (t, LR, MOMENTUM, WEIGHT_DECAY);
      fprintf (stderr, "parity-driver: %s step %d loss %.6f\n", arch, step, loss);
    }
  if (rl_trainer_save (t, model3, &err) != RL_OK)
    die (model3, err.text);

  /* Eval mode through the folded inference path of the trained model, image 1. */
  RlModel *m = NULL;
  if (rl_model_load (model3, &m, &err) != RL_OK)
    die (model3, err.text);
  rl_model_set_engine_path (m, path);   /* the trainer's path (RELABEL_ENGINE_PATH) */
  float *ev = g_malloc (11 * hw * sizeof (float));
  int32_t *pidx[8];
  if (rl_model_forward_with_indices (m, x, h, w, ev, 2, pidx, &err) != RL_OK)
    die ("eval forward", err.text);
  dump_pool (&d, "eval_idx", pidx, rl_trainer_num_stages (t), h, w);
  int64_t es[4] = { 1, 11, h, w };
  dump_add (&d, "eval_logits", 4, es, ev);
  rl_model_free (m);

  if (full)
    {
      /* One full-size forward of the initial model (eval, folded). */
      size_t fhw = (size_t) fh * fw;
      float *fx = g_malloc (3 * fhw * sizeof (float)), *fl = g_malloc (11 * fhw * sizeof (float));
      if (rl_model_load (model0, &m, &err) != RL_OK)
        die (model0, err.text);
      rl_model_set_engine_path (m, path);
      rl_model_normalize_input (m, full_rgb, fh, fw, fx);
      dither (fx, 3 * fhw);
      if (rl_model_forward_with_indices (m, fx, fh, fw, fl, 2, pidx, &err) != RL_OK)
        die ("full forward", err.text);
      dump_pool (&d, "full_idx", pidx, rl_trainer_num_stages (t), fh, fw);
      int64_t fs[4] = { 1, 3, fh, fw }, fls[4] = { 1, 11, fh, fw };
      dump_add (&d, "full_x", 4, fs, fx);
      dump_add (&d, "full_logits", 4, fls, fl);
      rl_model_free (m);
      g_free (fx);
      g_free (fl);
    }
  g_autofree char *out = g_build_filename (outdir, "c-results.safetensors", NULL);
  dump_write (&d, out);
  rl_trainer_free (t);
  g_free (ev);
  g_free (x);
  g_free (labels_f);
  g_free (labels);
  g_free (full_rgb);
  for (int i = 0; i < 2; i++)
    {
      g_free (rgb[i]);
      g_free (lbl[i]);
    }
  g_ptr_array_unref (d.names);
  g_ptr_array_unref (d.data);
  g_array_unref (d.items);
  return 0;
}
