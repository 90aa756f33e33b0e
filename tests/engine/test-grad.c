/* Central-difference gradient checks for every engine layer: conv (3x3, 7x7 larger than the
 * image, 1x1, tiled), batch norm (train and eval), ReLU, max-pool, max-unpool and softmax
 * cross-entropy; and a whole SegNet-Basic trainer with frozen batch norm and with its first
 * convolutions frozen (fine-tuning). */
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rl-layers.h"
#include "rl-net.h"
#include "rl-train.h"

static RlRng rng;

static void
fill (float *p, size_t n, double scale)
{
  for (size_t i = 0; i < n; i++)
    p[i] = (float) (scale * rl_rng_normal (&rng));
}

static double
dot (const float *a, const float *r, size_t n)
{
  double s = 0;
  for (size_t i = 0; i < n; i++)
    s += (double) a[i] * r[i];
  return s;
}

/* Gradients below this count as this (a relative tolerance of an absolute noise floor). */
static double check_floor = 1e-3;

/* A scalar loss of the current values of the checked buffer. */
typedef double (*LossFunc) (void *data);

/* Compares analytic[i] with the central difference of loss over v[i] for every i (or a strided
 * sample when n is large); the step is the float difference actually taken. */
static void
check (const char *what, float *v, size_t n, const float *analytic, LossFunc loss, void *data,
       float eps, double tol)
{
  double max_err = 0, max_a = check_floor;
  size_t step = n > 400 ? n / 400 : 1;
  for (size_t i = 0; i < n; i += step)
    {
      float orig = v[i];
      float xp = orig + eps, xm = orig - eps;
      v[i] = xp;
      double lp = loss (data);
      v[i] = xm;
      double lm = loss (data);
      v[i] = orig;
      double num = (lp - lm) / ((double) xp - xm);
      max_err = fmax (max_err, fabs (num - analytic[i]));
      max_a = fmax (max_a, fabs (analytic[i]));
    }
  g_test_message ("%-28s max |numeric - analytic| %.3g, max |analytic| %.3g", what, max_err,
                  max_a);
  if (!(max_err / max_a < tol))
    g_error ("%s: gradient mismatch %.3g (relative %.3g > %.3g)", what, max_err,
             max_err / max_a, tol);
}

/* ---- convolution ---- */
typedef struct
{
  RlWorkspace *ws;
  RlConvShape s;
  float *x, *w, *b, *y, *r;
  size_t ny;
} Conv;

static double
conv_loss (void *data)
{
  Conv *c = data;
  g_assert_cmpint (rl_conv2d_forward (c->ws, &c->s, c->x, c->w, c->b, c->y, 0, NULL), ==, RL_OK);
  return dot (c->y, c->r, c->ny);
}

static void
conv_case (int n, int c_in, int h, int w, int c_out, int k, size_t tile_bytes)
{
  Conv c = { 0 };
  c.s = (RlConvShape) { n, c_in, h, w, c_out, k, (k - 1) / 2 };
  int ho = h + 2 * c.s.pad - k + 1, wo = w + 2 * c.s.pad - k + 1;
  size_t nx = (size_t) n * c_in * h * w, nw = (size_t) c_out * c_in * k * k;
  c.ny = (size_t) n * c_out * ho * wo;
  g_assert_cmpint (rl_workspace_new (RL_ENGINE_PATH_REFERENCE, &c.ws, NULL), ==, RL_OK);
  if (tile_bytes > 0)
    rl_workspace_set_tile_bytes (c.ws, tile_bytes);
  c.x = g_malloc (nx * 4);
  c.w = g_malloc (nw * 4);
  c.b = g_malloc (c_out * 4);
  c.y = g_malloc (c.ny * 4);
  c.r = g_malloc (c.ny * 4);
  float *dx = g_malloc (nx * 4), *dw = g_malloc (nw * 4), *db = g_malloc (c_out * 4);
  fill (c.x, nx, 1);
  fill (c.w, nw, 0.3);
  fill (c.b, c_out, 0.3);
  fill (c.r, c.ny, 1);
  g_assert_cmpint (rl_conv2d_backward (c.ws, &c.s, c.x, c.w, c.r, dx, dw, db, NULL), ==, RL_OK);
  char what[64];
  snprintf (what, sizeof what, "conv%dx%d %dx%d dx", k, k, h, w);
  check (what, c.x, nx, dx, conv_loss, &c, 1e-2f, 1e-3);
  snprintf (what, sizeof what, "conv%dx%d %dx%d dw", k, k, h, w);
  check (what, c.w, nw, dw, conv_loss, &c, 1e-2f, 1e-3);
  snprintf (what, sizeof what, "conv%dx%d %dx%d db", k, k, h, w);
  check (what, c.b, c_out, db, conv_loss, &c, 1e-2f, 1e-3);
  /* dx = NULL computes the same weight gradients. */
  float *dw2 = g_malloc (nw * 4), *db2 = g_malloc (c_out * 4);
  g_assert_cmpint (rl_conv2d_backward (c.ws, &c.s, c.x, c.w, c.r, NULL, dw2, db2, NULL), ==,
                   RL_OK);
  g_assert_cmpmem (dw, nw * 4, dw2, nw * 4);
  g_assert_cmpmem (db, c_out * 4, db2, c_out * 4);
  rl_workspace_free (c.ws);
  g_free (c.x); g_free (c.w); g_free (c.b); g_free (c.y); g_free (c.r);
  g_free (dx); g_free (dw); g_free (db); g_free (dw2); g_free (db2);
}

/* A hand-computed case: 1 channel 3x3 input, 3x3 kernel of ones, pad 1, bias 0.5. */
static void
test_conv_known (void)
{
  float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, w[9], b = 0.5f, y[9];
  for (int i = 0; i < 9; i++)
    w[i] = 1;
  RlConvShape s = { 1, 1, 3, 3, 1, 3, 1 };
  RlWorkspace *ws = NULL;
  g_assert_cmpint (rl_workspace_new (RL_ENGINE_PATH_REFERENCE, &ws, NULL), ==, RL_OK);
  g_assert_cmpint (rl_conv2d_forward (ws, &s, x, w, &b, y, 0, NULL), ==, RL_OK);
  /* Sums of 3x3 neighbourhoods (zero padded) plus 0.5. */
  float want[9] = { 12.5, 21.5, 16.5, 27.5, 45.5, 33.5, 24.5, 39.5, 28.5 };
  for (int i = 0; i < 9; i++)
    g_assert_cmpfloat (y[i], ==, want[i]);
  rl_workspace_free (ws);
}

static void
test_conv (void)
{
  conv_case (2, 3, 5, 6, 4, 3, 0);
  conv_case (2, 3, 5, 6, 4, 3, 1);      /* one output row per tile */
  conv_case (1, 2, 4, 5, 3, 7, 0);      /* 7x7 kernel wider than the image */
  conv_case (2, 2, 9, 7, 3, 7, 3000);   /* 7x7 tiled */
  conv_case (2, 5, 3, 4, 3, 1, 0);      /* 1x1, the direct path */
}

/* ---- batch norm ---- */
typedef struct
{
  int n, c, hw;
  float *x, *gamma, *beta, *rm, *rv, *y, *r, *sm, *si;
} Bn;

static double
bn_loss (void *data)
{
  Bn *b = data;
  g_assert_cmpint (rl_batchnorm_forward_train (b->n, b->c, b->hw, b->x, b->gamma, b->beta, 1e-5f,
                                               0.1f, b->rm, b->rv, b->y, b->sm, b->si, NULL),
                   ==, RL_OK);
  return dot (b->y, b->r, (size_t) b->n * b->c * b->hw);
}

static void
test_batchnorm (void)
{
  Bn b = { 2, 3, 5 };
  size_t nx = (size_t) b.n * b.c * b.hw;
  b.x = g_malloc (nx * 4); b.y = g_malloc (nx * 4); b.r = g_malloc (nx * 4);
  b.gamma = g_malloc (12); b.beta = g_malloc (12); b.rm = g_malloc0 (12); b.rv = g_malloc (12);
  b.sm = g_malloc (12); b.si = g_malloc (12);
  float *dx = g_malloc (nx * 4), dg[3], dbeta[3];
  fill (b.x, nx, 2);
  for (size_t i = 0; i < nx; i++)
    b.x[i] += 1.0f;
  fill (b.gamma, 3, 1);
  fill (b.beta, 3, 1);
  fill (b.r, nx, 1);
  for (int i = 0; i < 3; i++)
    b.rv[i] = 1;
  bn_loss (&b);
  /* Running statistics after one step: 0.9 * old + 0.1 * batch (unbiased variance). */
  for (int ch = 0; ch < 3; ch++)
    {
      double m = 0, v = 0;
      for (int i = 0; i < b.n; i++)
        for (int j = 0; j < b.hw; j++)
          m += b.x[(i * 3 + ch) * b.hw + j];
      m /= b.n * b.hw;
      for (int i = 0; i < b.n; i++)
        for (int j = 0; j < b.hw; j++)
          v += pow (b.x[(i * 3 + ch) * b.hw + j] - m, 2);
      g_assert_cmpfloat (fabs (b.rm[ch] - 0.1 * m), <, 1e-6);
      g_assert_cmpfloat (fabs (b.rv[ch] - (0.9 + 0.1 * v / (b.n * b.hw - 1))), <, 1e-5);
    }
  rl_batchnorm_backward (b.n, b.c, b.hw, b.x, b.r, b.gamma, b.sm, b.si, dx, dg, dbeta);
  check ("batchnorm dx", b.x, nx, dx, bn_loss, &b, 1e-3f, 5e-3);
  check ("batchnorm dgamma", b.gamma, 3, dg, bn_loss, &b, 1e-3f, 5e-3);
  check ("batchnorm dbeta", b.beta, 3, dbeta, bn_loss, &b, 1e-3f, 5e-3);
  /* In-place backward (dx aliasing dy) gives the same. */
  float *g = g_memdup2 (b.r, nx * 4);
  rl_batchnorm_backward (b.n, b.c, b.hw, b.x, g, b.gamma, b.sm, b.si, g, dg, dbeta);
  g_assert_cmpmem (g, nx * 4, dx, nx * 4);
  /* One value per channel cannot be trained. */
  g_assert_cmpint (rl_batchnorm_forward_train (1, 3, 1, b.x, b.gamma, b.beta, 1e-5f, 0.1f, b.rm,
                                               b.rv, b.y, b.sm, b.si, NULL), ==, RL_ERR_INVALID);
  g_free (g); g_free (dx);
  g_free (b.x); g_free (b.y); g_free (b.r); g_free (b.gamma); g_free (b.beta); g_free (b.rm);
  g_free (b.rv); g_free (b.sm); g_free (b.si);
}

/* Eval-mode batch norm (frozen running statistics, as fine-tuning trains it). */
static double
bn_eval_loss (void *data)
{
  Bn *b = data;
  rl_batchnorm_forward_eval (b->n, b->c, b->hw, b->x, b->gamma, b->beta, b->rm, b->rv, 1e-5f,
                             b->y);
  return dot (b->y, b->r, (size_t) b->n * b->c * b->hw);
}

static void
test_batchnorm_eval (void)
{
  Bn b = { 2, 3, 5 };
  size_t nx = (size_t) b.n * b.c * b.hw;
  b.x = g_malloc (nx * 4); b.y = g_malloc (nx * 4); b.r = g_malloc (nx * 4);
  b.gamma = g_malloc (12); b.beta = g_malloc (12); b.rm = g_malloc (12); b.rv = g_malloc (12);
  float *dx = g_malloc (nx * 4), dg[3], dbeta[3], rm[3], rv[3];
  fill (b.x, nx, 2);
  fill (b.gamma, 3, 1);
  fill (b.beta, 3, 1);
  fill (b.r, nx, 1);
  fill (b.rm, 3, 1);
  for (int i = 0; i < 3; i++)
    b.rv[i] = 0.5f + (float) i;
  memcpy (rm, b.rm, 12);
  memcpy (rv, b.rv, 12);
  rl_batchnorm_backward_eval (b.n, b.c, b.hw, b.x, b.r, b.gamma, b.rm, b.rv, 1e-5f, dx, dg,
                              dbeta);
  check ("batchnorm eval dx", b.x, nx, dx, bn_eval_loss, &b, 1e-3f, 5e-3);
  check ("batchnorm eval dgamma", b.gamma, 3, dg, bn_eval_loss, &b, 1e-3f, 5e-3);
  check ("batchnorm eval dbeta", b.beta, 3, dbeta, bn_eval_loss, &b, 1e-3f, 5e-3);
  /* The running statistics are inputs only. */
  g_assert_cmpmem (rm, 12, b.rm, 12);
  g_assert_cmpmem (rv, 12, b.rv, 12);
  /* In-place backward (dx aliasing dy) gives the same. */
  float *g = g_memdup2 (b.r, nx * 4);
  float dg2[3], dbeta2[3];
  rl_batchnorm_backward_eval (b.n, b.c, b.hw, b.x, g, b.gamma, b.rm, b.rv, 1e-5f, g, dg2,
                              dbeta2);
  g_assert_cmpmem (g, nx * 4, dx, nx * 4);
  g_assert_cmpmem (dg2, 12, dg, 12);
  g_assert_cmpmem (dbeta2, 12, dbeta, 12);
  g_free (g); g_free (dx);
  g_free (b.x); g_free (b.y); g_free (b.r); g_free (b.gamma); g_free (b.beta); g_free (b.rm);
  g_free (b.rv);
}

/* ---- a trainer with frozen batch norm ---- */
typedef struct
{
  RlTrainer *t;
  const float *x;
  const guint8 *y;
  int n, h, w;
} Frozen;

static double
frozen_loss (void *data)
{
  Frozen *f = data;
  RlError err = { { 0 } };
  double loss = 0;
  g_assert_cmpint (rl_trainer_forward (f->t, f->x, f->n, f->h, f->w, 1, &err), ==, RL_OK);
  /* backward also returns the loss; its gradients are overwritten by the next call anyway */
  g_assert_cmpint (rl_trainer_backward (f->t, f->y, NULL, &loss, &err), ==, RL_OK);
  return loss;
}

/* Central differences of f's loss against the gradients of the named parameters (NULL-ended),
 * the first 12 entries of each. */
static void
check_trainer_params (Frozen *f, const char *label, const char *const *names)
{
  int np = rl_trainer_num_params (f->t);
  for (guint k = 0; names[k] != NULL; k++)
    for (int i = 0; i < np; i++)
      if (strcmp (rl_trainer_param_name (f->t, i), names[k]) == 0)
        {
          frozen_loss (f);
          size_t count;
          float *p = rl_trainer_param (f->t, i, &count);
          float *grad = g_memdup2 (rl_trainer_grad (f->t, i), count * 4);
          g_autofree char *what = g_strdup_printf ("%s %s", label, names[k]);
          /* a small step: a ReLU or pooling switch within a 1e-3 step of an early weight
           * spoils the difference (measured 4e-5 absolute error at 3e-4, 2e-3 at 1e-3) */
          check (what, p, MIN (count, 12), grad, frozen_loss, f, 3e-4f, 0.1);
          g_free (grad);
        }
}

/* A batch of 3-class training data of its own, whatever ran before (seed 11): input (n, 3, h, w)
 * and labels (n, h, w), g_free both. */
static void
trainer_batch (int n, int h, int w, float **x, guint8 **y)
{
  size_t nx = (size_t) n * 3 * h * w;
  rl_rng_seed (&rng, 11);
  *x = g_malloc (nx * 4);
  *y = g_malloc ((size_t) n * h * w);
  fill (*x, nx, 1);
  for (size_t i = 0; i < (size_t) n * h * w; i++)
    (*y)[i] = (guint8) (rl_rng_normal (&rng) > 0 ? 1 : (i % 3));
}

static void
test_trainer_bn_frozen (void)
{
  RlError err = { { 0 } };
  RlTrainer *t = NULL;
  g_assert_cmpint (rl_trainer_new ("segnet-basic", 3, 7, RL_ENGINE_PATH_REFERENCE, &t, &err),
                   ==, RL_OK);
  int n = 2, h = 16, w = 16;
  /* Its own data, whatever ran before: with some draws a ReLU or pooling switch lies within the
   * finite-difference step of an early weight and spoils the difference, not the gradient
   * (seeds 11-16: four agree to 2.4e-5, two miss by 0.07 and 0.17 on one entry). */
  float *x;
  guint8 *y;
  trainer_batch (n, h, w, &x, &y);
  /* Running statistics that differ from any batch's, so using them is visible. */
  int np = rl_trainer_num_params (t);
  for (int i = 0; i < np; i++)
    {
      size_t count;
      float *p = rl_trainer_param (t, i, &count);
      if (g_str_has_suffix (rl_trainer_param_name (t, i), "running_mean"))
        fill (p, count, 0.3);
      else if (g_str_has_suffix (rl_trainer_param_name (t, i), "running_var"))
        for (size_t k = 0; k < count; k++)
          p[k] = 0.5f + (float) (k % 5) * 0.3f;
    }
  size_t total = 0;
  for (int i = 0; i < np; i++)
    {
      size_t count;
      rl_trainer_param (t, i, &count);
      total += count;
    }
  float *before = g_malloc (total * 4);
  for (int i = 0, off = 0; i < np; i++)
    {
      size_t count;
      float *p = rl_trainer_param (t, i, &count);
      memcpy (before + off, p, count * 4);
      off += (int) count;
    }

  rl_trainer_set_bn_frozen (t, 1);
  Frozen f = { t, x, y, n, h, w };
  frozen_loss (&f);
  /* A frozen training forward gives the eval forward's logits. */
  size_t nl = (size_t) n * 3 * h * w;
  float *train_logits = g_memdup2 (rl_trainer_logits (t), nl * 4);
  g_assert_cmpint (rl_trainer_forward (t, x, n, h, w, 0, &err), ==, RL_OK);
  g_assert_cmpmem (train_logits, nl * 4, rl_trainer_logits (t), nl * 4);
  /* Gradients of the first conv, a BN gamma and beta deep in the net, the classifier. */
  const char *const names[] = { "enc1.conv.weight", "enc3.bn.weight", "dec2.bn.bias",
                                "classifier.weight", NULL };
  check_trainer_params (&f, "frozen-BN net", names);
  /* An SGD step leaves the running statistics exactly as they were. */
  frozen_loss (&f);
  rl_trainer_sgd_step (t, 0.1f, 0.9f, 5e-4f);
  for (int i = 0, off = 0; i < np; i++)
    {
      size_t count;
      float *p = rl_trainer_param (t, i, &count);
      if (strstr (rl_trainer_param_name (t, i), "running_") != NULL)
        g_assert_cmpmem (p, count * 4, before + off, count * 4);
      off += (int) count;
    }
  g_free (before);
  g_free (train_logits);
  g_free (x);
  g_free (y);
  rl_trainer_free (t);
}

/* ---- a trainer with its first convolutions frozen (fine-tuning the last layers) ---- */

static RlTrainer *
frozen_convs_trainer (RlEnginePath path)
{
  RlError err = { { 0 } };
  RlTrainer *t = NULL;
  g_assert_cmpint (rl_trainer_new ("segnet-basic", 3, 7, path, &t, &err), ==, RL_OK);
  /* running statistics unlike any batch's, the same in every trainer made here */
  for (int i = 0; i < rl_trainer_num_params (t); i++)
    {
      size_t count;
      float *p = rl_trainer_param (t, i, &count);
      if (g_str_has_suffix (rl_trainer_param_name (t, i), "running_mean"))
        for (size_t k = 0; k < count; k++)
          p[k] = 0.1f * (float) (k % 7) - 0.3f;
      else if (g_str_has_suffix (rl_trainer_param_name (t, i), "running_var"))
        for (size_t k = 0; k < count; k++)
          p[k] = 0.5f + (float) (k % 5) * 0.3f;
    }
  return t;
}

/* Whether parameter i belongs to the layers that learn when the first 7 of SegNet-Basic's 9
 * convolutions are frozen (enc1-4, dec4-2 frozen; dec1 and the classifier learn). */
static gboolean
learns (const char *name)
{
  return g_str_has_prefix (name, "dec1.") || g_str_has_prefix (name, "classifier.");
}

static void
test_trainer_frozen_convs (void)
{
  const RlEnginePath paths[] = { RL_ENGINE_PATH_REFERENCE, RL_ENGINE_PATH_DEFAULT };
  for (guint pi = 0; pi < G_N_ELEMENTS (paths); pi++)
    {
      RlError err = { { 0 } };
      RlTrainer *all = frozen_convs_trainer (paths[pi]);
      RlTrainer *t = frozen_convs_trainer (paths[pi]);
      g_assert_cmpint (rl_trainer_num_convs (t), ==, 9);
      g_assert_cmpint (rl_trainer_set_frozen_convs (t, -1, &err), ==, RL_ERR_INVALID);
      g_assert_cmpint (rl_trainer_set_frozen_convs (t, 9, &err), ==, RL_ERR_INVALID);
      g_assert_cmpint (rl_trainer_frozen_convs (t), ==, 0);
      g_assert_cmpint (rl_trainer_set_frozen_convs (t, 7, &err), ==, RL_OK);
      g_assert_cmpint (rl_trainer_frozen_convs (t), ==, 7);
      int n = 2, h = 16, w = 16, np = rl_trainer_num_params (t);
      float *x;
      guint8 *y;
      trainer_batch (n, h, w, &x, &y);

      /* With every batch norm on its running statistics, the frozen net computes what the
       * whole one does: the same loss and logits, the same gradients of the layers that learn
       * (the whole net's are checked against central differences above), none of the others
       * (they read 0), and an SGD step changes the layers that learn only. */
      rl_trainer_set_bn_frozen (all, 1);
      rl_trainer_set_bn_frozen (t, 1);
      Frozen fa = { all, x, y, n, h, w }, ft = { t, x, y, n, h, w };
      double la = frozen_loss (&fa), lt = frozen_loss (&ft);
      g_assert_cmpfloat (la, ==, lt);
      size_t nl = (size_t) n * 3 * h * w;
      g_assert_cmpmem (rl_trainer_logits (all), nl * 4, rl_trainer_logits (t), nl * 4);
      int n_learn = 0, n_frozen = 0;
      float **before = g_new0 (float *, np);
      for (int i = 0; i < np; i++)
        {
          const char *name = rl_trainer_param_name (t, i);
          size_t count;
          float *p = rl_trainer_param (t, i, &count);
          before[i] = g_memdup2 (p, count * 4);
          const float *ga = rl_trainer_grad (all, i), *gt = rl_trainer_grad (t, i);
          if (ga == NULL)   /* running statistics */
            continue;
          if (learns (name))
            {
              g_assert_cmpmem (ga, count * 4, gt, count * 4);
              n_learn++;
            }
          else
            {
              float *zero = g_malloc0 (count * 4);
              g_assert_cmpmem (gt, count * 4, zero, count * 4);
              g_free (zero);
              n_frozen++;
            }
        }
      /* weight and bias of dec1 and the classifier, dec1's batch norm's two */
      g_assert_cmpint (n_learn, ==, 6);
      g_assert_cmpint (n_frozen, ==, 4 * 4 + 3 * 4);
      rl_trainer_sgd_step (t, 0.1f, 0.9f, 5e-4f);
      for (int i = 0; i < np; i++)
        {
          size_t count;
          const char *name = rl_trainer_param_name (t, i);
          float *p = rl_trainer_param (t, i, &count);
          if (learns (name) && rl_trainer_grad (t, i) != NULL)
            g_assert_true (memcmp (p, before[i], count * 4) != 0);
          else
            g_assert_cmpmem (p, count * 4, before[i], count * 4);
        }

      /* With batch statistics in training forwards, the frozen layers keep normalising with
       * their running statistics and keep them; the layers that learn update theirs, and their
       * gradients in this mixed net match central differences (reference path: the float
       * arithmetic of the check is the same on both). */
      rl_trainer_set_bn_frozen (t, 0);
      frozen_loss (&ft);
      for (int i = 0; i < np; i++)
        {
          size_t count;
          const char *name = rl_trainer_param_name (t, i);
          float *p = rl_trainer_param (t, i, &count);
          if (!g_str_has_suffix (name, "running_mean"))
            continue;
          if (learns (name))
            g_assert_true (memcmp (p, before[i], count * 4) != 0);
          else
            g_assert_cmpmem (p, count * 4, before[i], count * 4);
        }
      if (paths[pi] == RL_ENGINE_PATH_REFERENCE)
        {
          const char *const names[] = { "dec1.conv.weight", "dec1.bn.weight",
                                        "classifier.weight", NULL };
          check_trainer_params (&ft, "frozen-convs net", names);
        }
      for (int i = 0; i < np; i++)
        g_free (before[i]);
      g_free (before);
      g_free (x);
      g_free (y);
      rl_trainer_free (all);
      rl_trainer_free (t);
    }
}

/* ---- ReLU ---- */
typedef struct
{
  size_t n;
  float *x, *y, *r;
} Relu;

static double
relu_loss (void *data)
{
  Relu *r = data;
  memcpy (r->y, r->x, r->n * 4);
  rl_relu_forward (r->n, r->y);
  return dot (r->y, r->r, r->n);
}

static void
test_relu (void)
{
  Relu r = { 64 };
  r.x = g_malloc (256); r.y = g_malloc (256); r.r = g_malloc (256);
  float *dx = g_malloc (256);
  fill (r.x, 64, 1);
  for (int i = 0; i < 64; i++)   /* away from the kink at 0 */
    r.x[i] += r.x[i] > 0 ? 0.05f : -0.05f;
  fill (r.r, 64, 1);
  relu_loss (&r);
  rl_relu_backward (64, r.y, r.r, dx);
  check ("relu dx", r.x, 64, dx, relu_loss, &r, 1e-3f, 1e-3);
  g_free (r.x); g_free (r.y); g_free (r.r); g_free (dx);
}

/* ---- max-pool (ceil mode) and max-unpool ---- */
typedef struct
{
  int n, c, h, w, ho, wo;
  float *x, *y, *r, *u;
  int32_t *idx;
} Pool;

static double
pool_loss (void *data)
{
  Pool *p = data;
  rl_maxpool_forward (p->n, p->c, p->h, p->w, p->x, p->y, p->idx);
  return dot (p->y, p->r, (size_t) p->n * p->c * p->ho * p->wo);
}

static double
unpool_loss (void *data)
{
  Pool *p = data;
  rl_maxunpool_forward (p->n, p->c, p->ho, p->wo, p->h, p->w, p->y, p->idx, p->u);
  return dot (p->u, p->r, (size_t) p->n * p->c * p->h * p->w);
}

static void
test_pool (void)
{
  Pool p = { 2, 2, 5, 7, 3, 4 };
  size_t nx = (size_t) p.n * p.c * p.h * p.w, ny = (size_t) p.n * p.c * p.ho * p.wo;
  p.x = g_malloc (nx * 4); p.y = g_malloc (ny * 4); p.r = g_malloc (nx * 4);
  p.u = g_malloc (nx * 4); p.idx = g_malloc (ny * 4);
  float *dx = g_malloc (nx * 4), *dy = g_malloc (ny * 4);
  /* Distinct values 0.01 apart (a shuffled ramp), so +-1e-3 never changes an argmax. */
  for (size_t i = 0; i < nx; i++)
    p.x[i] = 0.01f * (float) ((i * 37) % nx);
  fill (p.r, nx, 1);
  pool_loss (&p);
  /* Ceil mode: 5x7 -> 3x4, the last row/column windows are clipped. */
  g_assert_cmpint (p.idx[p.ho * p.wo - 1], ==, 4 * 7 + 6);
  rl_maxpool_backward (p.n, p.c, p.h, p.w, p.r, p.idx, dx);
  check ("maxpool dx", p.x, nx, dx, pool_loss, &p, 1e-3f, 1e-3);

  rl_maxpool_forward (p.n, p.c, p.h, p.w, p.x, p.y, p.idx);
  unpool_loss (&p);
  rl_maxunpool_backward (p.n, p.c, p.ho, p.wo, p.h, p.w, p.r, p.idx, dy);
  check ("maxunpool dx", p.y, ny, dy, unpool_loss, &p, 1e-2f, 1e-3);
  /* Unpool puts each value back where it came from and zero elsewhere. */
  rl_maxpool_forward (p.n, p.c, p.h, p.w, p.x, p.y, p.idx);
  unpool_loss (&p);
  for (size_t i = 0; i < nx; i++)
    g_assert_true (p.u[i] == 0 || p.u[i] == p.x[i]);

  /* Ties go to the first element in row order, as PyTorch's CPU kernel. */
  float tie[4] = { 1, 1, 1, 1 }, ty;
  int32_t ti;
  rl_maxpool_forward (1, 1, 2, 2, tie, &ty, &ti);
  g_assert_cmpint (ti, ==, 0);
  g_free (p.x); g_free (p.y); g_free (p.r); g_free (p.u); g_free (p.idx); g_free (dx);
  g_free (dy);
}

/* ---- softmax cross-entropy ---- */
typedef struct
{
  int n, c, hw;
  float *logits, *weight;
  uint8_t *labels;
  int ignore;
} Xent;

static double
xent_loss (void *data)
{
  Xent *x = data;
  double loss;
  g_assert_cmpint (rl_softmax_xent (x->n, x->c, x->hw, x->logits, x->labels, x->weight, x->ignore,
                                    &loss, NULL, NULL), ==, RL_OK);
  return loss;
}

static void
test_xent (void)
{
  Xent x = { 2, 4, 6 };
  size_t nl = (size_t) x.n * x.c * x.hw;
  x.logits = g_malloc (nl * 4);
  x.labels = g_malloc (x.n * x.hw);
  float w[4] = { 0.5f, 2.0f, 1.0f, 3.0f };
  x.weight = w;
  x.ignore = 4;
  float *d = g_malloc (nl * 4);
  fill (x.logits, nl, 2);
  for (int i = 0; i < x.n * x.hw; i++)
    x.labels[i] = (uint8_t) (i % 5);   /* every 5th pixel is ignored */
  double loss;
  g_assert_cmpint (rl_softmax_xent (x.n, x.c, x.hw, x.logits, x.labels, x.weight, x.ignore, &loss,
                                    d, NULL), ==, RL_OK);
  check ("softmax-xent dlogits", x.logits, nl, d, xent_loss, &x, 1e-3f, 5e-3);
  x.weight = NULL;
  g_assert_cmpint (rl_softmax_xent (x.n, x.c, x.hw, x.logits, x.labels, NULL, x.ignore, &loss,
                                    d, NULL), ==, RL_OK);
  check ("softmax-xent unweighted", x.logits, nl, d, xent_loss, &x, 1e-3f, 5e-3);

  /* Hand-computed: 2 classes, logits (0, ln 3) -> p = (1/4, 3/4); labels 0 (w 2) and 1 (w 1):
   * loss = (2 ln 4 + 1 ln(4/3)) / 3. */
  float l2[4] = { 0, 0, logf (3), logf (3) };
  uint8_t y2[2] = { 0, 1 };
  float w2[2] = { 2, 1 };
  g_assert_cmpint (rl_softmax_xent (1, 2, 2, l2, y2, w2, 255, &loss, NULL, NULL), ==, RL_OK);
  g_assert_cmpfloat (fabs (loss - (2 * log (4) + log (4.0 / 3)) / 3), <, 1e-6);
  /* A label out of range that is not the ignore index is an error. */
  y2[1] = 7;
  RlError err;
  g_assert_cmpint (rl_softmax_xent (1, 2, 2, l2, y2, w2, 255, &loss, NULL, &err), ==,
                   RL_ERR_INVALID);
  /* All ignored: loss 0, gradient 0. */
  y2[0] = y2[1] = 255;
  float d2[4] = { 1, 1, 1, 1 };
  g_assert_cmpint (rl_softmax_xent (1, 2, 2, l2, y2, w2, 255, &loss, d2, NULL), ==, RL_OK);
  g_assert_cmpfloat (loss, ==, 0);
  g_assert_cmpfloat (d2[0] + d2[1] + d2[2] + d2[3], ==, 0);
  g_free (x.logits); g_free (x.labels); g_free (d);
}


/* ---- decoder-variant layers (issue 21): depthwise conv, transposed conv, bilinear ---- */
typedef struct
{
  int kind;            /* 0 depthwise, 1 transposed, 2 bilinear */
  RlWorkspace *ws;
  int n, c_in, h, w, c_out, k, oh, ow;
  float *x, *wt, *b, *y, *r;
  size_t ny;
} Var;

static double
var_loss (void *data)
{
  Var *v = data;
  if (v->kind == 0)
    rl_dwconv2d_forward (v->n, v->c_in, v->h, v->w, v->k, v->x, v->wt, v->b, v->y);
  else if (v->kind == 1)
    g_assert_cmpint (rl_deconv2d_forward (v->ws, v->n, v->c_in, v->h, v->w, v->c_out, v->oh,
                                          v->ow, v->x, v->wt, v->b, v->y, NULL), ==, RL_OK);
  else
    rl_bilinear_forward (v->n, v->c_in, v->h, v->w, v->oh, v->ow, v->x, v->y);
  return dot (v->y, v->r, v->ny);
}

static void
var_case (int kind, int n, int c_in, int h, int w, int c_out, int oh, int ow, size_t tile_bytes)
{
  static const char *names[] = { "dwconv7x7", "deconv4x4s2", "bilinear" };
  Var v = { kind, NULL, n, c_in, h, w, c_out, 7, oh, ow, NULL, NULL, NULL, NULL, NULL, 0 };
  if (kind == 0)
    v.c_out = c_in, v.oh = h, v.ow = w;
  if (kind == 2)
    v.c_out = c_in;
  size_t nx = (size_t) n * c_in * h * w;
  size_t nw = kind == 0 ? (size_t) c_in * 49 : kind == 1 ? (size_t) c_in * v.c_out * 16 : 1;
  v.ny = (size_t) n * v.c_out * v.oh * v.ow;
  g_assert_cmpint (rl_workspace_new (RL_ENGINE_PATH_REFERENCE, &v.ws, NULL), ==, RL_OK);
  if (tile_bytes > 0)
    rl_workspace_set_tile_bytes (v.ws, tile_bytes);
  v.x = g_malloc (nx * 4);
  v.wt = g_malloc (nw * 4);
  v.b = g_malloc (v.c_out * 4);
  v.y = g_malloc (v.ny * 4);
  v.r = g_malloc (v.ny * 4);
  float *dx = g_malloc (nx * 4), *dw = g_malloc (nw * 4), *db = g_malloc (v.c_out * 4);
  fill (v.x, nx, 1);
  fill (v.wt, nw, 0.3);
  fill (v.b, v.c_out, 0.3);
  fill (v.r, v.ny, 1);
  if (kind == 0)
    rl_dwconv2d_backward (n, c_in, h, w, 7, v.x, v.wt, v.r, dx, dw, db);
  else if (kind == 1)
    g_assert_cmpint (rl_deconv2d_backward (v.ws, n, c_in, h, w, v.c_out, oh, ow, v.x, v.wt, v.r,
                                           dx, dw, db, NULL), ==, RL_OK);
  else
    rl_bilinear_backward (n, c_in, h, w, oh, ow, v.r, dx);
  char what[64];
  snprintf (what, sizeof what, "%s %dx%d->%dx%d dx", names[kind], h, w, v.oh, v.ow);
  check (what, v.x, nx, dx, var_loss, &v, 1e-2f, 1e-3);
  if (kind < 2)
    {
      snprintf (what, sizeof what, "%s %dx%d->%dx%d dw", names[kind], h, w, v.oh, v.ow);
      check (what, v.wt, nw, dw, var_loss, &v, 1e-2f, 1e-3);
      snprintf (what, sizeof what, "%s %dx%d->%dx%d db", names[kind], h, w, v.oh, v.ow);
      check (what, v.b, v.c_out, db, var_loss, &v, 1e-2f, 1e-3);
      /* dx = NULL computes the same parameter gradients */
      float *dw2 = g_malloc (nw * 4), *db2 = g_malloc (v.c_out * 4);
      if (kind == 0)
        rl_dwconv2d_backward (n, c_in, h, w, 7, v.x, v.wt, v.r, NULL, dw2, db2);
      else
        g_assert_cmpint (rl_deconv2d_backward (v.ws, n, c_in, h, w, v.c_out, oh, ow, v.x, v.wt,
                                               v.r, NULL, dw2, db2, NULL), ==, RL_OK);
      g_assert_cmpmem (dw, nw * 4, dw2, nw * 4);
      g_assert_cmpmem (db, v.c_out * 4, db2, v.c_out * 4);
      g_free (dw2);
      g_free (db2);
    }
  rl_workspace_free (v.ws);
  g_free (v.x); g_free (v.wt); g_free (v.b); g_free (v.y); g_free (v.r);
  g_free (dx); g_free (dw); g_free (db);
}

static void
test_variant_layers (void)
{
  var_case (0, 2, 3, 5, 6, 0, 0, 0, 0);      /* depthwise, image smaller than the kernel */
  var_case (0, 1, 2, 9, 8, 0, 0, 0, 0);
  var_case (1, 2, 3, 3, 4, 2, 6, 8, 0);      /* transposed: 2h x 2w */
  var_case (1, 2, 3, 3, 4, 2, 5, 7, 0);      /* odd pre-pool sizes: cropped to 2h - 1 */
  var_case (1, 1, 2, 5, 3, 3, 9, 6, 64);     /* a tile of one input row */
  var_case (2, 2, 3, 3, 4, 0, 5, 7, 0);      /* bilinear 3x4 -> 5x7 (as 23 -> 45) */
  var_case (2, 1, 2, 4, 3, 0, 8, 6, 0);
}

/* Hand-computed: PyTorch's bilinear (align_corners = False) doubling [1, 3] gives
 * [1, 1.5, 2.5, 3] (sources -0.25 -> clamped 0, 0.25, 0.75, 1.25 -> clamped to the last);
 * 2 -> 3 samples at 1/6 and 5/6 of the way: [1, 1 + 2 / 6, 3] ... source (d + 0.5) * 2/3 - 0.5
 * = -1/6 (clamped), 0.5, 7/6 -> [1, 2, 3]. The bilinear-initialised transposed conv of a
 * constant is that constant away from the border and 3/4 of it on the first row/column. */
static void
test_variant_known (void)
{
  float x[2] = { 1, 3 }, y[4];
  rl_bilinear_forward (1, 1, 1, 2, 1, 4, x, y);
  float want[4] = { 1, 1.5f, 2.5f, 3 };
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (fabsf (y[i] - want[i]), <, 1e-6);
  float y3[3], want3[3] = { 1, 2, 3 };
  rl_bilinear_forward (1, 1, 1, 2, 1, 3, x, y3);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (fabsf (y3[i] - want3[i]), <, 1e-6);

  float ones[9], wt[16], out[36];
  for (int i = 0; i < 9; i++)
    ones[i] = 2;
  rl_deconv2d_bilinear_init (1, wt);
  RlWorkspace *ws = NULL;
  g_assert_cmpint (rl_workspace_new (RL_ENGINE_PATH_REFERENCE, &ws, NULL), ==, RL_OK);
  g_assert_cmpint (rl_deconv2d_forward (ws, 1, 1, 3, 3, 1, 6, 6, ones, wt, NULL, out, NULL), ==,
                   RL_OK);
  for (int oy = 0; oy < 6; oy++)
    for (int ox = 0; ox < 6; ox++)
      {
        double fy = oy == 0 || oy == 5 ? 0.75 : 1, fx = ox == 0 || ox == 5 ? 0.75 : 1;
        g_assert_cmpfloat (fabs (out[oy * 6 + ox] - 2 * fy * fx), <, 1e-6);
      }
  /* A 1-pixel input at (1, 1) spreads the kernel over rows/columns 1..4. */
  float one[9] = { 0 };
  one[4] = 1;
  g_assert_cmpint (rl_deconv2d_forward (ws, 1, 1, 3, 3, 1, 6, 6, one, wt, NULL, out, NULL), ==,
                   RL_OK);
  g_assert_cmpfloat (out[1 * 6 + 1], ==, 0.0625f);
  g_assert_cmpfloat (out[2 * 6 + 3], ==, 0.5625f);
  g_assert_cmpfloat (out[0], ==, 0.0f);
  g_assert_cmpfloat (out[5 * 6 + 5], ==, 0.0f);
  /* 3 -> 4 is not a doubling: refused */
  RlError err;
  g_assert_cmpint (rl_deconv2d_forward (ws, 1, 1, 3, 3, 1, 4, 6, one, wt, NULL, out, &err), ==,
                   RL_ERR_INVALID);
  rl_workspace_free (ws);
}

/* The loss with sampled entries of a parameter tensor written from vals (check varies vals). */
typedef struct
{
  Frozen *f;
  float *p;
  const size_t *at;
  const float *vals;
  int n;
} Sampled;

static double
sampled_loss (void *data)
{
  Sampled *s = data;
  for (int k = 0; k < s->n; k++)
    s->p[s->at[k]] = s->vals[k];
  RlError err = { { 0 } };
  Frozen *f = s->f;
  g_assert_cmpint (rl_trainer_forward (f->t, f->x, f->n, f->h, f->w, 0, &err), ==, RL_OK);
  double loss;
  int nc = rl_trainer_num_classes (f->t);
  g_assert_cmpint (rl_softmax_xent (f->n, nc, f->h * f->w, rl_trainer_logits (f->t), f->y, NULL,
                                    255, &loss, NULL, &err), ==, RL_OK);
  return loss;
}

/* Each decoder variant as a whole trainer: the gradient of a few entries of every parameter
 * tensor that reaches the loss through a new op (skip adds, branches, depthwise, transposed)
 * against central differences, on an odd size (13 x 11: 7 x 6, 4 x 3, 2 x 2, 1 x 1 after the
 * pools), batch norm frozen as in the fine-tuning test. */
static void
test_trainer_variants (void)
{
  const char *const *archs = rl_net_arch_names ();
  for (int a = 0; archs[a] != NULL; a++)
    {
      if (strcmp (archs[a], "segnet") == 0)
        continue;
      RlError err = { { 0 } };
      RlTrainer *t = NULL;
      g_assert_cmpint (rl_trainer_new (archs[a], 3, 7, RL_ENGINE_PATH_REFERENCE, &t, &err), ==,
                       RL_OK);
      int n = 2, h = 13, w = 11;
      float *x;
      guint8 *y;
      trainer_batch (n, h, w, &x, &y);
      int np = rl_trainer_num_params (t);
      /* random (not bilinear) transposed-conv weights and biases, so each entry matters */
      for (int i = 0; i < np; i++)
        {
          size_t count;
          float *p = rl_trainer_param (t, i, &count);
          const char *name = rl_trainer_param_name (t, i);
          if (g_str_has_prefix (name, "up") || g_str_has_suffix (name, "bias"))
            fill (p, count, 0.2);
          else if (g_str_has_suffix (name, "running_var"))
            for (size_t k = 0; k < count; k++)
              p[k] = 0.5f + (float) (k % 5) * 0.3f;
        }
      rl_trainer_set_bn_frozen (t, 1);
      Frozen f = { t, x, y, n, h, w };
      int checked = 0;
      static const char *const which[] = {
        "enc1.conv.weight", "enc4.conv.bias", "skip1.weight", "skip4.weight", "reduce.weight",
        "up4.weight", "up1.weight", "up1.bias", "dec4.conv.weight", "dec1.conv.weight",
        "dec1.conv.bias", "classifier.weight", NULL
      };
      for (int i = 0; i < np; i++)
        {
          const char *name = rl_trainer_param_name (t, i);
          if (!g_strv_contains (which, name))
            continue;
          frozen_loss (&f);
          size_t count;
          float *p = rl_trainer_param (t, i, &count);
          const float *grad = rl_trainer_grad (t, i);
          /* 6 entries spread over the tensor (not its first kernel row, which a 7x7 conv on a
           * 2x2 map never reaches) */
          float vals[6], an[6];
          size_t at[6];
          int ns = count < 6 ? (int) count : 6;
          for (int k = 0; k < ns; k++)
            {
              at[k] = count <= 6 ? (size_t) k
                      : (size_t) ((k * 2 + 1) * (double) count / 12.0) % count;
              if (count >= 49 && strstr (name, "weight") != NULL)   /* a central tap */
                at[k] = at[k] - at[k] % 49 + 24 + (k % 3) - 1;
              vals[k] = p[at[k]];
              an[k] = grad[at[k]];
            }
          Sampled smp = { &f, p, at, vals, ns };
          g_autofree char *what = g_strdup_printf ("%s %s", archs[a], name);
          /* The central differences of a float32 network at this step scatter by up to 1.8e-4
           * (measured on entries whose gradient is 0.03 and more), so gradients under 3e-3
           * count as 3e-3: an absolute tolerance of 3e-4 */
          check_floor = 3e-3;
          check (what, vals, (size_t) ns, an, sampled_loss, &smp, 3e-4f, 0.1);
          check_floor = 1e-3;
          checked++;
        }
      g_assert_cmpint (checked, >=, 3);
      /* Train-mode forward and backward run too (batch statistics), and a model file round
       * trip gives the same eval logits. */
      rl_trainer_set_bn_frozen (t, 0);
      double loss;
      g_assert_cmpint (rl_trainer_forward (t, x, n, h, w, 1, &err), ==, RL_OK);
      g_assert_cmpint (rl_trainer_backward (t, y, NULL, &loss, &err), ==, RL_OK);
      g_assert_true (isfinite (loss));
      g_free (x);
      g_free (y);
      rl_trainer_free (t);
    }
}

/* SGD against values computed by hand from PyTorch's formula. */
static void
test_sgd (void)
{
  float p[2] = { 1.0f, -2.0f }, g[2] = { 0.5f, 0.25f }, buf[2] = { 0, 0 };
  rl_sgd_update (2, p, g, buf, 0.1f, 0.9f, 0.01f);
  /* d = g + 0.01 p = (0.51, 0.23); buf = d; p -= 0.1 d. */
  g_assert_cmpfloat (fabs (p[0] - 0.949f), <, 1e-6);
  g_assert_cmpfloat (fabs (p[1] - (-2.023f)), <, 1e-6);
  rl_sgd_update (2, p, g, buf, 0.1f, 0.9f, 0.01f);
  /* d = (0.50949, 0.22977); buf = 0.9 (0.51, 0.23) + d = (0.96849, 0.43677). */
  g_assert_cmpfloat (fabs (p[0] - (0.949f - 0.096849f)), <, 1e-6);
  g_assert_cmpfloat (fabs (p[1] - (-2.023f - 0.043677f)), <, 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  rl_rng_seed (&rng, 2024);
  g_test_add_func ("/engine/grad/conv-known", test_conv_known);
  g_test_add_func ("/engine/grad/conv", test_conv);
  g_test_add_func ("/engine/grad/batchnorm", test_batchnorm);
  g_test_add_func ("/engine/grad/batchnorm-eval", test_batchnorm_eval);
  g_test_add_func ("/engine/grad/trainer-bn-frozen", test_trainer_bn_frozen);
  g_test_add_func ("/engine/grad/trainer-frozen-convs", test_trainer_frozen_convs);
  g_test_add_func ("/engine/grad/relu", test_relu);
  g_test_add_func ("/engine/grad/pool-unpool", test_pool);
  g_test_add_func ("/engine/grad/softmax-xent", test_xent);
  g_test_add_func ("/engine/grad/sgd", test_sgd);
  g_test_add_func ("/engine/grad/variant-layers", test_variant_layers);
  g_test_add_func ("/engine/grad/variant-known", test_variant_known);
  g_test_add_func ("/engine/grad/trainer-variants", test_trainer_variants);
  return g_test_run ();
}
