/* Checks the oneDNN convolution backend (forward, backward data, backward weights and bias)
 * against a naive direct convolution in double precision, in fp32 and (where the CPU has it) bf16. */
#include "rl-dnnl.h"
#include "rl-layers.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

/* A small explicit RNG so the test needs no global state. */
static double
rnd (uint64_t *state)
{
  *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (double) (*state >> 11) / (double) (1ULL << 53) * 2.0 - 1.0;
}

static float *
random_buf (size_t n, uint64_t *state)
{
  float *p = malloc (n * sizeof *p + 1);
  if (p == NULL)
    {
      fprintf (stderr, "test-dnnl: out of memory\n");
      exit (1);
    }
  for (size_t i = 0; i < n; i++)
    p[i] = (float) rnd (state);
  return p;
}

/* Round to the nearest bf16, ties to even (what oneDNN's f32 -> bf16 reorder does). */
static float
to_bf16 (float f)
{
  uint32_t u;
  memcpy (&u, &f, 4);
  u = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000u;
  memcpy (&f, &u, 4);
  return f;
}

static float *
bf16_copy (const float *p, size_t n)
{
  float *q = malloc (n * sizeof *q + 1);
  if (q == NULL)
    exit (1);
  for (size_t i = 0; i < n; i++)
    q[i] = to_bf16 (p[i]);
  return q;
}

/* (N, C, H, W) <-> (N, H, W, C) copies. */
static float *
to_nhwc (const float *p, int n, int c, int h, int w)
{
  float *q = malloc ((size_t) n * c * h * w * sizeof *q + 1);
  if (q == NULL)
    exit (1);
  for (int a = 0; a < n; a++)
    for (int k = 0; k < c; k++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          q[(((size_t) a * h + y) * w + x) * c + k] = p[(((size_t) a * c + k) * h + y) * w + x];
  return q;
}

static void
from_nhwc (const float *q, int n, int c, int h, int w, float *p)
{
  for (int a = 0; a < n; a++)
    for (int k = 0; k < c; k++)
      for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
          p[(((size_t) a * c + k) * h + y) * w + x] = q[(((size_t) a * h + y) * w + x) * c + k];
}

typedef struct
{
  size_t nx, nw, ny;
  int ho, wo;
} Sizes;

static Sizes
sizes_of (const RlConvShape *s)
{
  Sizes z;
  z.ho = s->h + 2 * s->pad - s->k + 1;
  z.wo = s->w + 2 * s->pad - s->k + 1;
  z.nx = (size_t) s->n * s->c_in * s->h * s->w;
  z.nw = (size_t) s->c_out * s->c_in * s->k * s->k;
  z.ny = (size_t) s->n * s->c_out * z.ho * z.wo;
  return z;
}

/* Naive direct convolution in double. Every output gets its exact value (ref) and the sum of
 * absolute values of its terms (mag), the scale its rounding error is measured against. */
static void
naive (const RlConvShape *s, const float *x, const float *w, const float *b, const float *dy,
       double *y, double *y_mag, double *dx, double *dx_mag, double *dw, double *dw_mag,
       double *db, double *db_mag)
{
  Sizes z = sizes_of (s);
  memset (dx, 0, z.nx * sizeof *dx);
  memset (dx_mag, 0, z.nx * sizeof *dx_mag);
  memset (dw, 0, z.nw * sizeof *dw);
  memset (dw_mag, 0, z.nw * sizeof *dw_mag);
  for (int o = 0; o < s->c_out; o++)
    {
      db[o] = 0;
      db_mag[o] = 0;
    }
  for (int n = 0; n < s->n; n++)
    for (int o = 0; o < s->c_out; o++)
      for (int i = 0; i < z.ho; i++)
        for (int j = 0; j < z.wo; j++)
          {
            size_t yi = (((size_t) n * s->c_out + o) * z.ho + i) * z.wo + j;
            double acc = b != NULL ? b[o] : 0, mag = b != NULL ? fabs (b[o]) : 0;
            double g = dy[yi];
            for (int c = 0; c < s->c_in; c++)
              for (int p = 0; p < s->k; p++)
                for (int q = 0; q < s->k; q++)
                  {
                    int hi = i + p - s->pad, wi = j + q - s->pad;
                    size_t xi, wk;
                    if (hi < 0 || hi >= s->h || wi < 0 || wi >= s->w)
                      continue;
                    xi = (((size_t) n * s->c_in + c) * s->h + hi) * s->w + wi;
                    wk = (((size_t) o * s->c_in + c) * s->k + p) * s->k + q;
                    acc += (double) x[xi] * w[wk];
                    mag += fabs ((double) x[xi] * w[wk]);
                    dx[xi] += g * w[wk];
                    dx_mag[xi] += fabs (g * w[wk]);
                    dw[wk] += g * x[xi];
                    dw_mag[wk] += fabs (g * x[xi]);
                  }
            y[yi] = acc;
            y_mag[yi] = mag;
            db[o] += g;
            db_mag[o] += fabs (g);
          }
}

/* Largest |got - ref| / mag over the buffer (mag floored so an all-zero term set counts as 1e-30);
 * also reports the normwise error max|got - ref| / max|ref| in *normwise. */
static double
worst (const float *got, const double *ref, const double *mag, size_t n, int relu,
       double *normwise)
{
  double w = 0, maxerr = 0, maxref = 0;
  for (size_t i = 0; i < n; i++)
    {
      double r = relu && ref[i] < 0 ? 0 : ref[i];
      double e = fabs ((double) got[i] - r);
      double m = mag[i] > 1e-30 ? mag[i] : 1e-30;
      if (!isfinite (got[i]))
        e = INFINITY;
      if (e / m > w)
        w = e / m;
      if (e > maxerr)
        maxerr = e;
      if (fabs (r) > maxref)
        maxref = fabs (r);
    }
  *normwise = maxref > 0 ? maxerr / maxref : maxerr;
  return w;
}

/* Tolerances from the arithmetic (Higham, Accuracy and Stability of Numerical Algorithms, 3.1): a
 * sum of K products accumulated in f32, in any order, is within gamma_K = K u / (1 - K u) of the
 * exact sum relative to the sum of its terms' magnitudes (what worst () divides by), u = 2^-24.
 * bf16 first rounds each operand to 8 significant bits (unit roundoff 2^-8 each, so at most
 * 2^-7 per product).
 * So the bound grows with the reduction length of each pass (forward: C_in k^2 + the bias;
 * backward data: C_out k^2; weights and bias: N H_out W_out) and holds for any kernel and CPU,
 * while a wrong index moves an output by the order of its magnitude. */
static double
tolerance (RlPrecision p, double k)
{
  double ku = k / 16777216.0;
  return ku / (1 - ku) + (p == RL_PRECISION_BF16 ? 1.0 / 128 : 0);
}

static const char *
prec_name (RlPrecision p)
{
  return p == RL_PRECISION_BF16 ? "bf16" : "fp32";
}

/* One shape in one precision: forward (with bias + ReLU and without bias), backward data,
 * backward weights with and without the bias gradient. */
static void
check_shape (RlDnnl *ctx, RlPrecision prec, const RlConvShape *s, uint64_t *rng)
{
  Sizes z = sizes_of (s);
  float *x = random_buf (z.nx, rng), *w = random_buf (z.nw, rng);
  float *b = random_buf ((size_t) s->c_out, rng), *dy = random_buf (z.ny, rng);
  float *y = malloc (z.ny * sizeof *y), *y2 = malloc (z.ny * sizeof *y2);
  float *dx = malloc (z.nx * sizeof *dx), *dw = malloc (z.nw * sizeof *dw);
  float *db = malloc ((size_t) s->c_out * sizeof *db);
  double *ry = malloc (z.ny * sizeof *ry), *my = malloc (z.ny * sizeof *my);
  double *rdx = malloc (z.nx * sizeof *rdx), *mdx = malloc (z.nx * sizeof *mdx);
  double *rdw = malloc (z.nw * sizeof *rdw), *mdw = malloc (z.nw * sizeof *mdw);
  double *rdb = malloc ((size_t) s->c_out * sizeof *rdb);
  double *mdb = malloc ((size_t) s->c_out * sizeof *mdb);
  /* Exact in bf16's rounding of the inputs: what fp32 accumulation must reproduce tightly. */
  double *qy = malloc (z.ny * sizeof *qy), *qdx = malloc (z.nx * sizeof *qdx);
  double *qdw = malloc (z.nw * sizeof *qdw), *tmp[5];
  RlError err = { "" };
  RlStatus st;
  char name[160];
  double nw, e;
  double tol_y = tolerance (prec, (double) s->c_in * s->k * s->k + 1);
  double tol_dx = tolerance (prec, (double) s->c_out * s->k * s->k);
  double tol_dw = tolerance (prec, (double) s->n * z.ho * z.wo), tol_db = tol_dw;
  /* the same sums on operands already rounded to bf16: f32 accumulation only */
  double acc_y = tolerance (RL_PRECISION_FP32, (double) s->c_in * s->k * s->k + 1);
  double acc_dx = tolerance (RL_PRECISION_FP32, (double) s->c_out * s->k * s->k);
  double acc_dw = tolerance (RL_PRECISION_FP32, (double) s->n * z.ho * z.wo);
  int cached;

  for (int i = 0; i < 5; i++)
    tmp[i] = malloc ((z.nx + z.ny + z.nw + (size_t) s->c_out) * sizeof (double));
  if (!x || !w || !b || !dy || !y || !y2 || !dx || !dw || !db || !ry || !my || !rdx || !mdx
      || !rdw || !mdw || !rdb || !mdb || !qy || !qdx || !qdw || !tmp[0] || !tmp[1] || !tmp[2]
      || !tmp[3] || !tmp[4])
    {
      fprintf (stderr, "test-dnnl: out of memory\n");
      exit (1);
    }
  snprintf (name, sizeof name, "%s n=%d c_in=%d %dx%d c_out=%d k=%d pad=%d", prec_name (prec),
            s->n, s->c_in, s->h, s->w, s->c_out, s->k, s->pad);
  naive (s, x, w, b, dy, ry, my, rdx, mdx, rdw, mdw, rdb, mdb);
  if (prec == RL_PRECISION_BF16)
    {
      float *xq = bf16_copy (x, z.nx), *wq = bf16_copy (w, z.nw), *dyq = bf16_copy (dy, z.ny);
      naive (s, xq, wq, b, dyq, qy, tmp[0], qdx, tmp[1], qdw, tmp[2], tmp[3], tmp[4]);
      free (xq);
      free (wq);
      free (dyq);
    }

  /* Forward with bias and fused ReLU. */
  st = rl_dnnl_conv2d_forward (ctx, s, x, w, b, y, 1, &err);
  check (st == RL_OK, "%s forward+bias+relu runs (%s)", name, st == RL_OK ? "" : err.text);
  if (st == RL_OK)
    {
      e = worst (y, ry, my, z.ny, 1, &nw);
      check (e <= tol_y, "%s forward+bias+relu: error %.2e of term magnitude (tol %.2e), "
             "normwise %.2e", name, e, tol_y, nw);
      if (prec == RL_PRECISION_BF16)
        {
          e = worst (y, qy, my, z.ny, 1, &nw);
          check (e <= acc_y, "%s forward matches bf16-rounded inputs with fp32 accumulation: "
                 "%.2e (tol %.2e)", name, e, acc_y);
        }
    }
  /* Forward without bias or ReLU, twice: the second call reuses the cached primitive. */
  st = rl_dnnl_conv2d_forward (ctx, s, x, w, NULL, y, 0, &err);
  cached = rl_dnnl_cache_size (ctx);
  if (st == RL_OK)
    st = rl_dnnl_conv2d_forward (ctx, s, x, w, NULL, y2, 0, &err);
  check (st == RL_OK, "%s forward (no bias) runs twice (%s)", name, st == RL_OK ? "" : err.text);
  check (rl_dnnl_cache_size (ctx) == cached, "%s repeated call reuses the cache (%d entries)",
         name, rl_dnnl_cache_size (ctx));
  if (st == RL_OK)
    {
      for (int o = 0; o < s->c_out; o++)
        for (size_t i = 0; i < (size_t) s->n * z.ho * z.wo; i++)
          {
            size_t n = i / ((size_t) z.ho * z.wo), pix = i % ((size_t) z.ho * z.wo);
            size_t yi = ((n * s->c_out + o) * z.ho * z.wo) + pix;
            ry[yi] -= b[o];
          }
      e = worst (y2, ry, my, z.ny, 0, &nw);
      check (e <= tol_y, "%s forward (no bias): error %.2e (tol %.2e), normwise %.2e", name, e,
             tol_y, nw);
      check (memcmp (y, y2, z.ny * sizeof *y) == 0, "%s repeated forward is bitwise identical",
             name);
    }

  /* Backward data. */
  memset (dx, 0xff, z.nx * sizeof *dx);  /* NaN: the call must overwrite every element */
  st = rl_dnnl_conv2d_backward_data (ctx, s, w, dy, dx, &err);
  check (st == RL_OK, "%s backward data runs (%s)", name, st == RL_OK ? "" : err.text);
  if (st == RL_OK)
    {
      e = worst (dx, rdx, mdx, z.nx, 0, &nw);
      check (e <= tol_dx, "%s backward data: error %.2e (tol %.2e), normwise %.2e", name, e, tol_dx,
             nw);
      if (prec == RL_PRECISION_BF16)
        {
          e = worst (dx, qdx, mdx, z.nx, 0, &nw);
          check (e <= acc_dx, "%s backward data matches bf16-rounded inputs: %.2e", name, e);
        }
    }

  /* Backward weights with bias gradient, then without. */
  memset (dw, 0xff, z.nw * sizeof *dw);
  memset (db, 0xff, (size_t) s->c_out * sizeof *db);
  st = rl_dnnl_conv2d_backward_weights (ctx, s, x, dy, dw, db, &err);
  check (st == RL_OK, "%s backward weights+bias runs (%s)", name, st == RL_OK ? "" : err.text);
  if (st == RL_OK)
    {
      e = worst (dw, rdw, mdw, z.nw, 0, &nw);
      check (e <= tol_dw, "%s backward weights: error %.2e (tol %.2e), normwise %.2e", name, e, tol_dw,
             nw);
      if (prec == RL_PRECISION_BF16)
        {
          e = worst (dw, qdw, mdw, z.nw, 0, &nw);
          check (e <= acc_dw, "%s backward weights matches bf16-rounded inputs: %.2e", name, e);
        }
      /* The bias gradient sums dy, which bf16 rounds: the bf16 tolerance applies. */
      e = worst (db, rdb, mdb, (size_t) s->c_out, 0, &nw);
      check (e <= tol_db, "%s bias gradient: error %.2e (tol %.2e)", name, e, tol_db);
    }
  memset (dw, 0xff, z.nw * sizeof *dw);
  st = rl_dnnl_conv2d_backward_weights (ctx, s, x, dy, dw, NULL, &err);
  check (st == RL_OK, "%s backward weights (no bias) runs (%s)", name,
         st == RL_OK ? "" : err.text);
  if (st == RL_OK)
    {
      e = worst (dw, rdw, mdw, z.nw, 0, &nw);
      check (e <= tol_dw, "%s backward weights (no bias): error %.2e", name, e);
    }

  /* Both backward passes in one call (dy converted once), then without dx. */
  memset (dx, 0xff, z.nx * sizeof *dx);
  memset (dw, 0xff, z.nw * sizeof *dw);
  memset (db, 0xff, (size_t) s->c_out * sizeof *db);
  st = rl_dnnl_conv2d_backward (ctx, s, x, w, dy, dx, dw, db, &err);
  check (st == RL_OK, "%s combined backward runs (%s)", name, st == RL_OK ? "" : err.text);
  if (st == RL_OK)
    {
      double e2, e3;
      e = worst (dx, rdx, mdx, z.nx, 0, &nw);
      e2 = worst (dw, rdw, mdw, z.nw, 0, &nw);
      e3 = worst (db, rdb, mdb, (size_t) s->c_out, 0, &nw);
      check (e <= tol_dx && e2 <= tol_dw && e3 <= tol_db, "%s combined backward: dx %.2e, "
             "dw %.2e, db %.2e (tol %.2e, %.2e, %.2e)", name, e, e2, e3, tol_dx, tol_dw, tol_db);
    }
  memset (dw, 0xff, z.nw * sizeof *dw);
  st = rl_dnnl_conv2d_backward (ctx, s, x, NULL, dy, NULL, dw, NULL, &err);
  check (st == RL_OK, "%s combined backward without dx and db runs (%s)", name,
         st == RL_OK ? "" : err.text);
  if (st == RL_OK)
    {
      e = worst (dw, rdw, mdw, z.nw, 0, &nw);
      check (e <= tol_dw, "%s combined backward without dx: dw %.2e", name, e);
    }

  /* Against the engine's own im2col + sgemm reference convolution (rl-layers), which the
   * oneDNN path replaces: same inputs, outputs compared element by element. */
  {
    RlWorkspace *ws = NULL;
    float *yr = malloc (z.ny * sizeof *yr), *dxr = malloc (z.nx * sizeof *dxr);
    float *dwr = malloc (z.nw * sizeof *dwr), *dbr = malloc ((size_t) s->c_out * sizeof *dbr);
    double ew = 0;
    if (yr == NULL || dxr == NULL || dwr == NULL || dbr == NULL)
      exit (1);
    st = rl_workspace_new (RL_ENGINE_PATH_REFERENCE, &ws, &err);
    if (st == RL_OK)
      st = rl_conv2d_forward (ws, s, x, w, b, yr, 1, &err);
    if (st == RL_OK)
      st = rl_conv2d_backward (ws, s, x, w, dy, dxr, dwr, dbr, &err);
    if (st == RL_OK)
      st = rl_dnnl_conv2d_forward (ctx, s, x, w, b, y, 1, &err);
    if (st == RL_OK)
      st = rl_dnnl_conv2d_backward_data (ctx, s, w, dy, dx, &err);
    if (st == RL_OK)
      st = rl_dnnl_conv2d_backward_weights (ctx, s, x, dy, dw, db, &err);
    check (st == RL_OK, "%s engine reference conv and oneDNN run (%s)", name,
           st == RL_OK ? "" : err.text);
    if (st == RL_OK)
      {
        /* Each side is within its bound of the exact value, so they are within twice it of
         * each other: errors are taken as fractions of each pass's bound. */
        for (size_t i = 0; i < z.ny; i++)
          ew = fmax (ew, fabs ((double) y[i] - yr[i]) / fmax (my[i], 1e-30) / (2 * tol_y));
        for (size_t i = 0; i < z.nx; i++)
          ew = fmax (ew, fabs ((double) dx[i] - dxr[i]) / fmax (mdx[i], 1e-30) / (2 * tol_dx));
        for (size_t i = 0; i < z.nw; i++)
          ew = fmax (ew, fabs ((double) dw[i] - dwr[i]) / fmax (mdw[i], 1e-30) / (2 * tol_dw));
        for (int o = 0; o < s->c_out; o++)
          ew = fmax (ew, fabs ((double) db[o] - dbr[o]) / fmax (mdb[o], 1e-30) / (2 * tol_db));
        check (ew <= 1, "%s oneDNN matches the engine's im2col reference (forward, dx, dw, db):"
               " worst error %.2f of its bound", name, ew);
      }
    rl_workspace_free (ws);
    free (yr); free (dxr); free (dwr); free (dbr);
  }

  /* The channels-last calls against the same references (ry has no bias from here on). */
  {
    float *xh = to_nhwc (x, s->n, s->c_in, s->h, s->w);
    float *dyh = to_nhwc (dy, s->n, s->c_out, z.ho, z.wo);
    float *yh = malloc (z.ny * sizeof *yh), *dxh = malloc (z.nx * sizeof *dxh);
    if (yh == NULL || dxh == NULL)
      exit (1);
    st = rl_dnnl_conv2d_forward_nhwc (ctx, s, xh, w, NULL, yh, 1, &err);
    check (st == RL_OK, "%s nhwc forward+relu runs (%s)", name, st == RL_OK ? "" : err.text);
    if (st == RL_OK)
      {
        from_nhwc (yh, s->n, s->c_out, z.ho, z.wo, y);
        e = worst (y, ry, my, z.ny, 1, &nw);
        check (e <= tol_y, "%s nhwc forward+relu: error %.2e (tol %.2e), normwise %.2e", name,
               e, tol_y, nw);
        if (rl_dnnl_reorders (ctx, RL_DNNL_FORWARD, s, 1) == 0)
          printf ("# %s nhwc forward runs on the caller's layout (%s)\n", name,
                  rl_dnnl_impl_name (ctx, RL_DNNL_FORWARD, s, 1));
      }
    memset (dxh, 0xff, z.nx * sizeof *dxh);
    st = rl_dnnl_conv2d_backward_data_nhwc (ctx, s, w, dyh, dxh, &err);
    check (st == RL_OK, "%s nhwc backward data runs (%s)", name, st == RL_OK ? "" : err.text);
    if (st == RL_OK)
      {
        from_nhwc (dxh, s->n, s->c_in, s->h, s->w, dx);
        e = worst (dx, rdx, mdx, z.nx, 0, &nw);
        check (e <= tol_dx, "%s nhwc backward data: error %.2e (tol %.2e)", name, e, tol_dx);
      }
    memset (dw, 0xff, z.nw * sizeof *dw);
    memset (db, 0xff, (size_t) s->c_out * sizeof *db);
    st = rl_dnnl_conv2d_backward_weights_nhwc (ctx, s, xh, dyh, dw, db, &err);
    check (st == RL_OK, "%s nhwc backward weights+bias runs (%s)", name,
           st == RL_OK ? "" : err.text);
    if (st == RL_OK)
      {
        e = worst (dw, rdw, mdw, z.nw, 0, &nw);
        check (e <= tol_dw, "%s nhwc backward weights: error %.2e (tol %.2e)", name, e, tol_dw);
        e = worst (db, rdb, mdb, (size_t) s->c_out, 0, &nw);
        check (e <= tol_db, "%s nhwc bias gradient: error %.2e (tol %.2e)", name, e, tol_db);
      }
    memset (dxh, 0xff, z.nx * sizeof *dxh);
    memset (dw, 0xff, z.nw * sizeof *dw);
    st = rl_dnnl_conv2d_backward_nhwc (ctx, s, xh, w, dyh, dxh, dw, db, &err);
    check (st == RL_OK, "%s nhwc combined backward runs (%s)", name,
           st == RL_OK ? "" : err.text);
    if (st == RL_OK)
      {
        double e2;
        from_nhwc (dxh, s->n, s->c_in, s->h, s->w, dx);
        e = worst (dx, rdx, mdx, z.nx, 0, &nw);
        e2 = worst (dw, rdw, mdw, z.nw, 0, &nw);
        check (e <= tol_dx && e2 <= tol_dw, "%s nhwc combined backward: dx %.2e, dw %.2e", name,
               e, e2);
      }
    free (xh); free (dyh); free (yh); free (dxh);
  }

  for (int i = 0; i < 5; i++)
    free (tmp[i]);
  free (x); free (w); free (b); free (dy); free (y); free (y2); free (dx); free (dw); free (db);
  free (ry); free (my); free (rdx); free (mdx); free (rdw); free (mdw); free (rdb); free (mdb);
  free (qy); free (qdx); free (qdw);
}

/* Bad input: clear errors, no crash. */
static void
check_errors (RlDnnl *ctx)
{
  RlConvShape good = { 1, 2, 5, 5, 3, 3, 1 }, s;
  float x[50] = { 0 }, w[54] = { 0 }, y[75] = { 0 };
  RlError err;
  RlStatus st;

  err.text[0] = 0;
  st = rl_dnnl_conv2d_forward (NULL, &good, x, w, NULL, y, 0, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "NULL context refused: %s", err.text);
  err.text[0] = 0;
  st = rl_dnnl_conv2d_forward (ctx, NULL, x, w, NULL, y, 0, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "NULL shape refused: %s", err.text);
  s = good;
  s.c_in = 0;
  err.text[0] = 0;
  st = rl_dnnl_conv2d_forward (ctx, &s, x, w, NULL, y, 0, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "zero channels refused: %s", err.text);
  s = good;
  s.k = 9;
  err.text[0] = 0;
  st = rl_dnnl_conv2d_backward_data (ctx, &s, w, y, x, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "kernel larger than input refused: %s",
         err.text);
  s = good;
  s.pad = -1;
  err.text[0] = 0;
  st = rl_dnnl_conv2d_backward_weights (ctx, &s, x, y, w, NULL, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "negative padding refused: %s", err.text);
  s = good;
  s.n = 1 << 30;
  s.h = s.w = 1 << 20;
  err.text[0] = 0;
  st = rl_dnnl_conv2d_forward (ctx, &s, x, w, NULL, y, 0, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "huge shape refused: %s", err.text);
  err.text[0] = 0;
  st = rl_dnnl_conv2d_forward (ctx, &good, NULL, w, NULL, y, 0, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "NULL input refused: %s", err.text);
  err.text[0] = 0;
  st = rl_dnnl_conv2d_backward_weights (ctx, &good, x, y, NULL, NULL, &err);
  check (st == RL_ERR_INVALID && err.text[0] != 0, "NULL weight gradient refused: %s", err.text);
}

static void
run_precision (RlPrecision prec, uint64_t seed)
{
  /* SegNet-Basic's three kinds of layer at small sizes, then random shapes. */
  RlConvShape fixed[] = {
    { 2, 64, 9, 11, 64, 7, 3 },
    { 1, 3, 12, 10, 64, 7, 3 },
    { 2, 64, 8, 7, 11, 1, 0 },
    { 1, 64, 3, 2, 64, 7, 3 },   /* smaller than the kernel: mostly padding (23x30 -> deeper) */
  };
  uint64_t rng = seed;
  RlDnnl *ctx = NULL;
  RlError err = { "" };
  RlStatus st;

  st = rl_dnnl_new (prec, &ctx, &err);
  check (st == RL_OK, "%s context created (%s)", prec_name (prec), err.text);
  if (st != RL_OK)
    return;
  rl_dnnl_set_threads (ctx, 2);
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
    check_shape (ctx, prec, &fixed[i], &rng);
  for (int t = 0; t < 8; t++)
    {
      RlConvShape s;
      int ks[] = { 1, 3, 5, 7 };
      s.n = 1 + (int) ((rnd (&rng) + 1) * 1.5);
      s.c_in = 1 + (int) ((rnd (&rng) + 1) * 12);
      s.c_out = 1 + (int) ((rnd (&rng) + 1) * 12);
      s.k = ks[(int) ((rnd (&rng) + 1) * 2) % 4];
      s.pad = (int) ((rnd (&rng) + 1) * 0.5 * s.k);
      s.h = 1 + (int) ((rnd (&rng) + 1) * 7);
      s.w = 1 + (int) ((rnd (&rng) + 1) * 7);
      if (s.h + 2 * s.pad < s.k)
        s.h = s.k;
      if (s.w + 2 * s.pad < s.k)
        s.w = s.k;
      check_shape (ctx, prec, &s, &rng);
    }
  /* A different thread count drops the cache and still computes the same convolution. */
  rl_dnnl_set_threads (ctx, 1);
  check (rl_dnnl_cache_size (ctx) == 0, "%s thread change clears the cache", prec_name (prec));
  check_shape (ctx, prec, &fixed[0], &rng);
  rl_dnnl_release_scratch (ctx);
  check_shape (ctx, prec, &fixed[2], &rng);
  if (prec == RL_PRECISION_FP32)
    check_errors (ctx);
  rl_dnnl_free (ctx);
}

/* Two jobs at once (say inference and training): each thread has its own context; results must
 * be exactly those of the same calls made alone. */
typedef struct
{
  RlPrecision prec;
  RlConvShape s;
  const float *x, *w, *b;
  const float *expect;
  int ok;
  char msg[600];
} Job;

static void *
job_run (void *data)
{
  Job *j = data;
  RlDnnl *ctx = NULL;
  RlError err = { "" };
  Sizes z = sizes_of (&j->s);
  float *y = malloc (z.ny * sizeof *y);

  j->ok = y != NULL && rl_dnnl_new (j->prec, &ctx, &err) == RL_OK;
  if (j->ok)
    rl_dnnl_set_threads (ctx, 1);
  for (int r = 0; j->ok && r < 10; r++)
    {
      if (rl_dnnl_conv2d_forward (ctx, &j->s, j->x, j->w, j->b, y, 1, &err) != RL_OK)
        j->ok = 0;
      else if (memcmp (y, j->expect, z.ny * sizeof *y) != 0)
        {
          j->ok = 0;
          snprintf (err.text, sizeof err.text, "result differs from the single-thread run");
        }
    }
  snprintf (j->msg, sizeof j->msg, "%s", err.text);
  rl_dnnl_free (ctx);
  free (y);
  return NULL;
}

static void
check_concurrent (uint64_t seed)
{
  RlConvShape s = { 1, 64, 24, 32, 64, 7, 3 };
  Sizes z = sizes_of (&s);
  uint64_t rng = seed;
  float *x = random_buf (z.nx, &rng), *w = random_buf (z.nw, &rng);
  float *b = random_buf (64, &rng);
  Job jobs[2];
  pthread_t th[2];

  for (int i = 0; i < 2; i++)
    {
      RlDnnl *ctx = NULL;
      RlError err = { "" };
      float *expect = malloc (z.ny * sizeof *expect);
      jobs[i] = (Job) { .prec = i == 1 && rl_dnnl_supports (RL_PRECISION_BF16)
                                  ? RL_PRECISION_BF16 : RL_PRECISION_FP32,
                        .s = s, .x = x, .w = w, .b = b, .expect = expect };
      if (expect == NULL || rl_dnnl_new (jobs[i].prec, &ctx, &err) != RL_OK)
        exit (1);
      rl_dnnl_set_threads (ctx, 1);
      if (rl_dnnl_conv2d_forward (ctx, &s, x, w, b, expect, 1, &err) != RL_OK)
        {
          fprintf (stderr, "test-dnnl: %s\n", err.text);
          exit (1);
        }
      rl_dnnl_free (ctx);
    }
  for (int i = 0; i < 2; i++)
    if (pthread_create (&th[i], NULL, job_run, &jobs[i]) != 0)
      exit (1);
  for (int i = 0; i < 2; i++)
    {
      pthread_join (th[i], NULL);
      check (jobs[i].ok, "concurrent job %d (%s) in its own thread and context: %s", i,
             prec_name (jobs[i].prec), jobs[i].ok ? "same results" : jobs[i].msg);
      free ((float *) jobs[i].expect);
    }
  free (x);
  free (w);
  free (b);
}

int
main (void)
{
  uint64_t seed = 0x5e6e7b1a5ULL;
  const char *env = getenv ("RELABEL_TEST_SEED");
  RlDnnl *ctx = NULL;
  RlError err = { "" };

  if (env != NULL)
    seed = strtoull (env, NULL, 0);
  printf ("# seed 0x%llx (set RELABEL_TEST_SEED to change)\n", (unsigned long long) seed);
  rl_dnnl_free (NULL);
  check (rl_dnnl_new ((RlPrecision) 7, &ctx, &err) == RL_ERR_INVALID && ctx == NULL,
         "unknown precision refused: %s", err.text);
  run_precision (RL_PRECISION_FP32, seed);
  if (rl_dnnl_supports (RL_PRECISION_BF16))
    run_precision (RL_PRECISION_BF16, seed + 1);
  else
    {
      printf ("# SKIP bf16: this CPU has no AVX512-BF16/AMX\n");
      check (rl_dnnl_new (RL_PRECISION_BF16, &ctx, &err) == RL_ERR_UNSUPPORTED && ctx == NULL,
             "bf16 context refused on this CPU: %s", err.text);
    }
  check_concurrent (seed + 2);
  printf ("1..%d\n", n_checks);
  if (n_failed > 0)
    {
      fprintf (stderr, "test-dnnl: %d of %d checks failed\n", n_failed, n_checks);
      return 1;
    }
  return 0;
}
