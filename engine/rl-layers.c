/* Reference layers: convolution by im2col + sgemm tiled over output rows, batch norm, ReLU,
 * max-pool/unpool with indices, softmax cross-entropy, SGD. Dispatches conv to oneDNN if asked. */
#include "rl-layers.h"
#include "rl-mem.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The loops around the convolutions (batch norm, ReLU, pooling) run on every core with OpenMP
 * when the build has it: split over channels or planes, so each reduction keeps its order and
 * results do not depend on the thread count. Small tensors stay on the calling thread. */
#ifdef _OPENMP
#define OMP_FOR _Pragma ("omp parallel for schedule (static) if (par_)")
#else
#define OMP_FOR
#endif
/* Declares par_: whether a loop over `work` elements in total is worth the threads. */
#define PAR(work) const int par_ = (size_t) (work) >= 32768; (void) par_

struct RlWorkspace
{
  RlEnginePath path;
  size_t tile_bytes;
  float *col;          /* im2col tile */
  size_t col_cap;      /* floats */
#ifdef RL_HAVE_DNNL_CONV
  RlDnnl *dnnl;        /* NULL on the reference path */
#endif
};

int
rl_engine_path_from_name (const char *name, RlEnginePath *out)
{
  if (name == NULL || *name == '\0' || strcmp (name, "auto") == 0)
    *out = RL_ENGINE_PATH_DEFAULT;
  else if (strcmp (name, "reference") == 0)
    *out = RL_ENGINE_PATH_REFERENCE;
  else if (strcmp (name, "fp32") == 0)
    *out = RL_ENGINE_PATH_FP32;
  else if (strcmp (name, "bf16") == 0)
    *out = RL_ENGINE_PATH_BF16;
  else
    return 0;
  return 1;
}

const char *
rl_engine_path_name (RlEnginePath path)
{
  switch (path)
    {
    case RL_ENGINE_PATH_REFERENCE:
      return "reference";
    case RL_ENGINE_PATH_FP32:
      return "fp32";
    case RL_ENGINE_PATH_BF16:
      return "bf16";
    case RL_ENGINE_PATH_DEFAULT:
    default:
      return "auto";
    }
}

/* The automatic choice; the engine reads no environment: callers pass a path (the app takes
 * it from --engine or RELABEL_ENGINE_PATH, in one place). */
static RlEnginePath
automatic_path (int inference)
{
#ifdef RL_HAVE_DNNL_CONV
  /* oneDNN fp32, checked against the reference in tests/speed; for inference bf16 where the
   * CPU has it, as its labels agree with fp32 on at least 99.5 % of CamVid val pixels with the
   * shipped model (tests/speed/test-bf16-val, which fails if they stop doing so). */
  if (inference && rl_dnnl_supports (RL_PRECISION_BF16))
    return RL_ENGINE_PATH_BF16;
  return RL_ENGINE_PATH_FP32;
#else
  (void) inference;
  return RL_ENGINE_PATH_REFERENCE;
#endif
}

RlEnginePath
rl_engine_path_default (void)
{
  return automatic_path (1);
}

RlEnginePath
rl_engine_path_training (int prefer_bf16)
{
#ifdef RL_HAVE_DNNL_CONV
  if (prefer_bf16 && rl_dnnl_supports (RL_PRECISION_BF16))
    return RL_ENGINE_PATH_BF16;
#else
  (void) prefer_bf16;
#endif
  return automatic_path (0);
}

void
rl_engine_set_blas_threads (int n_threads)
{
  int want = n_threads > 0 ? n_threads : openblas_get_num_procs ();
  if (openblas_get_num_threads () != want)
    openblas_set_num_threads (want);
}

RlStatus
rl_workspace_new (RlEnginePath path, RlWorkspace **out, RlError *err)
{
  *out = NULL;
  RlWorkspace *ws = calloc (1, sizeof *ws);
  if (ws == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory");
  ws->tile_bytes = 24u << 20;
  ws->path = path == RL_ENGINE_PATH_DEFAULT ? automatic_path (0) : path;
  if (ws->path != RL_ENGINE_PATH_REFERENCE)
    {
#ifdef RL_HAVE_DNNL_CONV
      RlPrecision prec = ws->path == RL_ENGINE_PATH_BF16 ? RL_PRECISION_BF16 : RL_PRECISION_FP32;
      RlStatus st = rl_dnnl_new (prec, &ws->dnnl, err);
      if (st != RL_OK)
        {
          free (ws);
          return st;
        }
#else
      free (ws);
      return rl_error_set (err, RL_ERR_UNSUPPORTED,
                           "engine path %s needs oneDNN, which this build lacks",
                           path == RL_ENGINE_PATH_BF16 ? "bf16" : "fp32");
#endif
    }
  *out = ws;
  return RL_OK;
}

void
rl_workspace_free (RlWorkspace *ws)
{
  if (ws == NULL)
    return;
#ifdef RL_HAVE_DNNL_CONV
  rl_dnnl_free (ws->dnnl);
#endif
  rl_mem_free (ws->col);
  free (ws);
}

RlEnginePath
rl_workspace_path (const RlWorkspace *ws)
{
  return ws->path;
}

void
rl_workspace_set_tile_bytes (RlWorkspace *ws, size_t bytes)
{
  ws->tile_bytes = bytes;
}

/* Grows the workspace's scratch to hold floats. */
static RlStatus
ws_scratch (RlWorkspace *ws, size_t floats, RlError *err)
{
  if (floats <= ws->col_cap)
    return RL_OK;
  rl_mem_free (ws->col);
  ws->col = rl_mem_alloc (floats * sizeof (float), 64);
  ws->col_cap = ws->col != NULL ? floats : 0;
  if (ws->col == NULL)
    return rl_error_set (err, RL_ERR_NOMEM, "out of memory for a %zu-byte scratch",
                         floats * sizeof (float));
  return RL_OK;
}

/* Rows of output per tile and makes sure the scratch holds them. */
static RlStatus
tile_rows (RlWorkspace *ws, const RlConvShape *s, int h_out, int w_out, int *rows, RlError *err)
{
  size_t ckk = (size_t) s->c_in * s->k * s->k;
  size_t per_row = ckk * (size_t) w_out;
  size_t r = ws->tile_bytes / (per_row * sizeof (float));
  if (r < 1)
    r = 1;
  if (r > (size_t) h_out)
    r = (size_t) h_out;
  *rows = (int) r;
  return ws_scratch (ws, r * per_row, err);
}

/* x (C, H, W) -> col (C*K*K, (r1 - r0) * Wo) for output rows [r0, r1). */
static void
im2col_rows (const float *x, const RlConvShape *s, int w_out, int r0, int r1, float *col)
{
  int k = s->k, pad = s->pad, h = s->h, w = s->w;
  size_t ncols = (size_t) (r1 - r0) * w_out;
  for (int c = 0; c < s->c_in; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          float *dst = col + ((size_t) (c * k + ky) * k + kx) * ncols;
          int lo = pad - kx > 0 ? pad - kx : 0;
          int hi = w + pad - kx < w_out ? w + pad - kx : w_out;
          if (hi < lo)
            hi = lo;
          for (int oy = r0; oy < r1; oy++)
            {
              float *row = dst + (size_t) (oy - r0) * w_out;
              int iy = oy + ky - pad;
              if (iy < 0 || iy >= h)
                {
                  memset (row, 0, (size_t) w_out * sizeof (float));
                  continue;
                }
              const float *src = x + ((size_t) c * h + iy) * w + (lo + kx - pad);
              if (lo > 0)
                memset (row, 0, (size_t) lo * sizeof (float));
              memcpy (row + lo, src, (size_t) (hi - lo) * sizeof (float));
              if (hi < w_out)
                memset (row + hi, 0, (size_t) (w_out - hi) * sizeof (float));
            }
        }
}

/* Adds col (C*K*K, (r1 - r0) * Wo) back into dx (C, H, W). */
static void
col2im_rows (const float *col, const RlConvShape *s, int w_out, int r0, int r1, float *dx)
{
  int k = s->k, pad = s->pad, h = s->h, w = s->w;
  size_t ncols = (size_t) (r1 - r0) * w_out;
  for (int c = 0; c < s->c_in; c++)
    for (int ky = 0; ky < k; ky++)
      for (int kx = 0; kx < k; kx++)
        {
          const float *src = col + ((size_t) (c * k + ky) * k + kx) * ncols;
          int lo = pad - kx > 0 ? pad - kx : 0;
          int hi = w + pad - kx < w_out ? w + pad - kx : w_out;
          for (int oy = r0; oy < r1; oy++)
            {
              int iy = oy + ky - pad;
              if (iy < 0 || iy >= h)
                continue;
              const float *row = src + (size_t) (oy - r0) * w_out;
              float *d = dx + ((size_t) c * h + iy) * w + (kx - pad);
              for (int ox = lo; ox < hi; ox++)
                d[ox] += row[ox];
            }
        }
}

static RlStatus
check_shape (const RlConvShape *s, int *h_out, int *w_out, RlError *err)
{
  if (s->n < 1 || s->c_in < 1 || s->c_out < 1 || s->k < 1 || s->pad < 0 || s->h < 1 || s->w < 1)
    return rl_error_set (err, RL_ERR_INVALID, "bad convolution shape");
  *h_out = s->h + 2 * s->pad - s->k + 1;
  *w_out = s->w + 2 * s->pad - s->k + 1;
  if (*h_out < 1 || *w_out < 1)
    return rl_error_set (err, RL_ERR_INVALID, "convolution input %dx%d smaller than its kernel",
                         s->h, s->w);
  return RL_OK;
}

RlStatus
rl_conv2d_forward (RlWorkspace *ws, const RlConvShape *s, const float *x, const float *w,
                   const float *b, float *y, int relu, RlError *err)
{
  int h_out, w_out, rows = 1;
  RlStatus st = check_shape (s, &h_out, &w_out, err);
  if (st != RL_OK)
    return st;
#ifdef RL_HAVE_DNNL_CONV
  if (ws->dnnl != NULL)
    return rl_dnnl_conv2d_forward (ws->dnnl, s, x, w, b, y, relu, err);
#endif
  size_t hw_out = (size_t) h_out * w_out, in_plane = (size_t) s->c_in * s->h * s->w;
  int ckk = s->c_in * s->k * s->k;
  int direct = s->k == 1 && s->pad == 0;
  if (!direct && (st = tile_rows (ws, s, h_out, w_out, &rows, err)) != RL_OK)
    return st;
  for (int n = 0; n < s->n; n++)
    {
      const float *xn = x + n * in_plane;
      float *yn = y + n * (size_t) s->c_out * hw_out;
      if (direct)
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->c_out, (int) hw_out, ckk,
                     1.0f, w, ckk, xn, (int) hw_out, 0.0f, yn, (int) hw_out);
      else
        for (int r0 = 0; r0 < h_out; r0 += rows)
          {
            int r1 = r0 + rows < h_out ? r0 + rows : h_out;
            int ncols = (r1 - r0) * w_out;
            im2col_rows (xn, s, w_out, r0, r1, ws->col);
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->c_out, ncols, ckk,
                         1.0f, w, ckk, ws->col, ncols, 0.0f, yn + (size_t) r0 * w_out,
                         (int) hw_out);
          }
      for (int co = 0; co < s->c_out; co++)
        {
          float *p = yn + co * hw_out;
          float bias = b != NULL ? b[co] : 0.0f;
          if (relu)
            for (size_t i = 0; i < hw_out; i++)
              {
                float v = p[i] + bias;
                p[i] = v > 0.0f ? v : 0.0f;
              }
          else if (bias != 0.0f)
            for (size_t i = 0; i < hw_out; i++)
              p[i] += bias;
        }
    }
  return RL_OK;
}

RlStatus
rl_conv2d_backward (RlWorkspace *ws, const RlConvShape *s, const float *x, const float *w,
                    const float *dy, float *dx, float *dw, float *db, RlError *err)
{
  int h_out, w_out, rows = 1;
  RlStatus st = check_shape (s, &h_out, &w_out, err);
  if (st != RL_OK)
    return st;
#ifdef RL_HAVE_DNNL_CONV
  if (ws->dnnl != NULL)  /* both passes in one call: dy is converted to oneDNN's layout once */
    return rl_dnnl_conv2d_backward (ws->dnnl, s, x, w, dy, dx, dw, db, err);
#endif
  size_t hw_out = (size_t) h_out * w_out, in_plane = (size_t) s->c_in * s->h * s->w;
  int ckk = s->c_in * s->k * s->k;
  int direct = s->k == 1 && s->pad == 0;
  if (!direct && (st = tile_rows (ws, s, h_out, w_out, &rows, err)) != RL_OK)
    return st;
  if (dx != NULL)
    memset (dx, 0, (size_t) s->n * in_plane * sizeof (float));
  if (db != NULL)
    for (int co = 0; co < s->c_out; co++)
      {
        double acc = 0.0;
        for (int n = 0; n < s->n; n++)
          {
            const float *p = dy + ((size_t) n * s->c_out + co) * hw_out;
            float part = 0.0f;
            for (size_t i = 0; i < hw_out; i++)
              part += p[i];
            acc += part;
          }
        db[co] = (float) acc;
      }
  float beta = 0.0f;
  for (int n = 0; n < s->n; n++)
    {
      const float *xn = x + n * in_plane;
      const float *dyn = dy + n * (size_t) s->c_out * hw_out;
      float *dxn = dx != NULL ? dx + n * in_plane : NULL;
      if (direct)
        {
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->c_out, ckk, (int) hw_out,
                       1.0f, dyn, (int) hw_out, xn, (int) hw_out, beta, dw, ckk);
          if (dxn != NULL)
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, (int) hw_out, s->c_out,
                         1.0f, w, ckk, dyn, (int) hw_out, 0.0f, dxn, (int) hw_out);
          beta = 1.0f;
          continue;
        }
      for (int r0 = 0; r0 < h_out; r0 += rows)
        {
          int r1 = r0 + rows < h_out ? r0 + rows : h_out;
          int ncols = (r1 - r0) * w_out;
          const float *dyt = dyn + (size_t) r0 * w_out;
          im2col_rows (xn, s, w_out, r0, r1, ws->col);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->c_out, ckk, ncols,
                       1.0f, dyt, (int) hw_out, ws->col, ncols, beta, dw, ckk);
          beta = 1.0f;
          if (dxn != NULL)
            {
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ncols, s->c_out,
                           1.0f, w, ckk, dyt, (int) hw_out, 0.0f, ws->col, ncols);
              col2im_rows (ws->col, s, w_out, r0, r1, dxn);
            }
        }
    }
  return RL_OK;
}

RlStatus
rl_batchnorm_forward_train (int n, int c, int hw, const float *x, const float *gamma,
                            const float *beta, float eps, float momentum, float *running_mean,
                            float *running_var, float *y, float *save_mean, float *save_invstd,
                            RlError *err)
{
  size_t m = (size_t) n * hw;
  if (m < 2)
    return rl_error_set (err, RL_ERR_INVALID,
                         "batch norm in training needs more than one value per channel");
  PAR ((size_t) c * m);
  OMP_FOR
  for (int ch = 0; ch < c; ch++)
    {
      double sum = 0.0, sq = 0.0;
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            sum += p[j];
        }
      double mean = sum / (double) m;
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            {
              double d = p[j] - mean;
              sq += d * d;
            }
        }
      double var = sq / (double) m;
      double invstd = 1.0 / sqrt (var + eps);
      float sc = (float) (gamma[ch] * invstd), sh = (float) (beta[ch] - mean * gamma[ch] * invstd);
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          float *q = y + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            q[j] = p[j] * sc + sh;
        }
      save_mean[ch] = (float) mean;
      save_invstd[ch] = (float) invstd;
      running_mean[ch] = (float) ((1.0 - momentum) * running_mean[ch] + momentum * mean);
      running_var[ch] = (float) ((1.0 - momentum) * running_var[ch]
                                 + momentum * var * (double) m / (double) (m - 1));
    }
  return RL_OK;
}

void
rl_batchnorm_forward_eval (int n, int c, int hw, const float *x, const float *gamma,
                           const float *beta, const float *running_mean, const float *running_var,
                           float eps, float *y)
{
  PAR ((size_t) c * n * hw);
  OMP_FOR
  for (int ch = 0; ch < c; ch++)
    {
      double invstd = 1.0 / sqrt ((double) running_var[ch] + eps);
      float sc = (float) (gamma[ch] * invstd);
      float sh = (float) (beta[ch] - running_mean[ch] * gamma[ch] * invstd);
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          float *q = y + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            q[j] = p[j] * sc + sh;
        }
    }
}

void
rl_batchnorm_backward (int n, int c, int hw, const float *x, const float *dy, const float *gamma,
                       const float *save_mean, const float *save_invstd, float *dx,
                       float *dgamma, float *dbeta)
{
  double m = (double) n * hw;
  PAR ((size_t) c * n * hw);
  OMP_FOR
  for (int ch = 0; ch < c; ch++)
    {
      double sdy = 0.0, sdyx = 0.0;
      float mean = save_mean[ch], invstd = save_invstd[ch];
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          const float *g = dy + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            {
              sdy += g[j];
              sdyx += (double) g[j] * ((p[j] - mean) * invstd);
            }
        }
      dgamma[ch] = (float) sdyx;
      dbeta[ch] = (float) sdy;
      float k = gamma[ch] * invstd;
      float a = (float) (sdy / m), bq = (float) (sdyx / m);
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          const float *g = dy + ((size_t) i * c + ch) * hw;
          float *d = dx + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            {
              float xhat = (p[j] - mean) * invstd;
              d[j] = k * (g[j] - a - xhat * bq);
            }
        }
    }
}

void
rl_batchnorm_backward_eval (int n, int c, int hw, const float *x, const float *dy,
                            const float *gamma, const float *running_mean,
                            const float *running_var, float eps, float *dx, float *dgamma,
                            float *dbeta)
{
  PAR ((size_t) c * n * hw);
  OMP_FOR
  for (int ch = 0; ch < c; ch++)
    {
      double sdy = 0.0, sdyx = 0.0;
      float mean = running_mean[ch];
      float invstd = (float) (1.0 / sqrt ((double) running_var[ch] + eps));
      float k = gamma[ch] * invstd;
      for (int i = 0; i < n; i++)
        {
          const float *p = x + ((size_t) i * c + ch) * hw;
          const float *g = dy + ((size_t) i * c + ch) * hw;
          float *d = dx + ((size_t) i * c + ch) * hw;
          for (int j = 0; j < hw; j++)
            {
              float gj = g[j];   /* read before d[j] (which may be g[j]) is written */
              sdy += gj;
              sdyx += (double) gj * ((p[j] - mean) * invstd);
              d[j] = k * gj;
            }
        }
      dgamma[ch] = (float) sdyx;
      dbeta[ch] = (float) sdy;
    }
}

void
rl_batchnorm_fold (int c_out, int fan_in, const float *w, const float *b, const float *gamma,
                   const float *beta, const float *running_mean, const float *running_var,
                   float eps, float *w_out, float *b_out)
{
  for (int co = 0; co < c_out; co++)
    {
      double sc = gamma[co] / sqrt ((double) running_var[co] + eps);
      for (int i = 0; i < fan_in; i++)
        w_out[(size_t) co * fan_in + i] = (float) (w[(size_t) co * fan_in + i] * sc);
      double bias = b != NULL ? b[co] : 0.0;
      b_out[co] = (float) ((bias - running_mean[co]) * sc + beta[co]);
    }
}

void
rl_relu_forward (size_t n, float *x)
{
  PAR (n);
  OMP_FOR
  for (size_t i = 0; i < n; i++)
    x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void
rl_relu_backward (size_t n, const float *y, const float *dy, float *dx)
{
  PAR (n);
  OMP_FOR
  for (size_t i = 0; i < n; i++)
    dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

void
rl_maxpool_forward (int n, int c, int h, int w, const float *x, float *y, int32_t *idx)
{
  int ho = (h + 1) / 2, wo = (w + 1) / 2;
  PAR ((size_t) n * c * h * w);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    {
      const float *p = x + pl * h * w;
      float *q = y + pl * ho * wo;
      int32_t *ix = idx + pl * ho * wo;
      for (int oy = 0; oy < ho; oy++)
        for (int ox = 0; ox < wo; ox++)
          {
            int y0 = 2 * oy, x0 = 2 * ox;
            int y1 = y0 + 2 < h ? y0 + 2 : h, x1 = x0 + 2 < w ? x0 + 2 : w;
            int best = y0 * w + x0;
            float bv = p[best];
            for (int yy = y0; yy < y1; yy++)
              for (int xx = x0; xx < x1; xx++)
                {
                  float v = p[yy * w + xx];
                  if (v > bv || isnan (v))
                    {
                      bv = v;
                      best = yy * w + xx;
                      if (isnan (v))
                        goto done;
                    }
                }
          done:
            q[oy * wo + ox] = bv;
            ix[oy * wo + ox] = best;
          }
    }
}

void
rl_maxpool_backward (int n, int c, int h, int w, const float *dy, const int32_t *idx, float *dx)
{
  int ho = (h + 1) / 2, wo = (w + 1) / 2;
  PAR ((size_t) n * c * h * w);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    {
      const float *g = dy + pl * ho * wo;
      const int32_t *ix = idx + pl * ho * wo;
      float *d = dx + pl * h * w;
      memset (d, 0, (size_t) h * w * sizeof (float));
      for (int i = 0; i < ho * wo; i++)
        d[ix[i]] += g[i];
    }
}

void
rl_maxunpool_forward (int n, int c, int h, int w, int out_h, int out_w, const float *x,
                      const int32_t *idx, float *y)
{
  size_t in_pl = (size_t) h * w, out_pl = (size_t) out_h * out_w;
  PAR ((size_t) n * c * out_pl);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    {
      memset (y + pl * out_pl, 0, out_pl * sizeof (float));
      for (size_t i = 0; i < in_pl; i++)
        y[pl * out_pl + (size_t) idx[pl * in_pl + i]] = x[pl * in_pl + i];
    }
}

void
rl_maxunpool_backward (int n, int c, int h, int w, int out_h, int out_w, const float *dy,
                       const int32_t *idx, float *dx)
{
  size_t in_pl = (size_t) h * w, out_pl = (size_t) out_h * out_w;
  PAR ((size_t) n * c * in_pl);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    for (size_t i = 0; i < in_pl; i++)
      dx[pl * in_pl + i] = dy[pl * out_pl + (size_t) idx[pl * in_pl + i]];
}

RlStatus
rl_softmax_xent (int n, int c, int hw, const float *logits, const uint8_t *labels,
                 const float *weight, int ignore_index, double *loss, float *dlogits,
                 RlError *err)
{
  double wsum = 0.0, lsum = 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < hw; j++)
      {
        int y = labels[(size_t) i * hw + j];
        if (y == ignore_index)
          continue;
        if (y >= c)
          return rl_error_set (err, RL_ERR_INVALID, "label %d out of range for %d classes", y, c);
        const float *p = logits + (size_t) i * c * hw + j;
        float mx = p[0];
        for (int k = 1; k < c; k++)
          mx = p[(size_t) k * hw] > mx ? p[(size_t) k * hw] : mx;
        double se = 0.0;
        for (int k = 0; k < c; k++)
          se += exp ((double) p[(size_t) k * hw] - mx);
        double wy = weight != NULL ? weight[y] : 1.0;
        lsum += wy * (log (se) + mx - p[(size_t) y * hw]);
        wsum += wy;
      }
  *loss = wsum > 0.0 ? lsum / wsum : 0.0;
  if (dlogits == NULL)
    return RL_OK;
  double inv = wsum > 0.0 ? 1.0 / wsum : 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < hw; j++)
      {
        int y = labels[(size_t) i * hw + j];
        const float *p = logits + (size_t) i * c * hw + j;
        float *d = dlogits + (size_t) i * c * hw + j;
        if (y == ignore_index)
          {
            for (int k = 0; k < c; k++)
              d[(size_t) k * hw] = 0.0f;
            continue;
          }
        float mx = p[0];
        for (int k = 1; k < c; k++)
          mx = p[(size_t) k * hw] > mx ? p[(size_t) k * hw] : mx;
        double se = 0.0;
        for (int k = 0; k < c; k++)
          se += exp ((double) p[(size_t) k * hw] - mx);
        double scale = (weight != NULL ? weight[y] : 1.0) * inv;
        for (int k = 0; k < c; k++)
          {
            double pk = exp ((double) p[(size_t) k * hw] - mx) / se;
            d[(size_t) k * hw] = (float) ((pk - (k == y ? 1.0 : 0.0)) * scale);
          }
      }
  return RL_OK;
}

void
rl_sgd_update (size_t n, float *p, const float *g, float *buf, float lr, float momentum,
               float weight_decay)
{
  PAR (n);
  OMP_FOR
  for (size_t i = 0; i < n; i++)
    {
      float d = g[i] + weight_decay * p[i];
      if (momentum != 0.0f)
        {
          buf[i] = momentum * buf[i] + d;
          d = buf[i];
        }
      p[i] -= lr * d;
    }
}

/* ---- Layers of the decoder variants (issue 21) ---- */

void
rl_dwconv2d_forward (int n, int c, int h, int w, int k, const float *x, const float *wt,
                     const float *b, float *y)
{
  int pad = (k - 1) / 2;
  size_t hw = (size_t) h * w;
  PAR ((size_t) n * c * hw * k);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    {
      int ch = (int) (pl % (size_t) c);
      const float *p = x + pl * hw, *kern = wt + (size_t) ch * k * k;
      float *q = y + pl * hw;
      float bias = b != NULL ? b[ch] : 0.0f;
      for (size_t i = 0; i < hw; i++)
        q[i] = bias;
      for (int ky = 0; ky < k; ky++)
        for (int kx = 0; kx < k; kx++)
          {
            float wv = kern[ky * k + kx];
            int dy = ky - pad, dx = kx - pad;
            int x0 = dx < 0 ? -dx : 0, x1 = dx > 0 ? w - dx : w;
            for (int oy = 0; oy < h; oy++)
              {
                int iy = oy + dy;
                if (iy < 0 || iy >= h)
                  continue;
                const float *src = p + (size_t) iy * w + dx;
                float *dst = q + (size_t) oy * w;
                for (int ox = x0; ox < x1; ox++)
                  dst[ox] += wv * src[ox];
              }
          }
    }
}

void
rl_dwconv2d_backward (int n, int c, int h, int w, int k, const float *x, const float *wt,
                      const float *dy, float *dx, float *dw, float *db)
{
  int pad = (k - 1) / 2;
  size_t hw = (size_t) h * w;
  PAR ((size_t) n * c * hw * k);
  OMP_FOR
  for (int ch = 0; ch < c; ch++)
    {
      const float *kern = wt + (size_t) ch * k * k;
      float *dk = dw + (size_t) ch * k * k;
      double bsum = 0.0;
      for (int i = 0; i < k * k; i++)
        dk[i] = 0.0f;
      for (int b = 0; b < n; b++)
        {
          size_t pl = (size_t) b * c + (size_t) ch;
          const float *p = x + pl * hw, *g = dy + pl * hw;
          float *d = dx != NULL ? dx + pl * hw : NULL;
          for (size_t i = 0; i < hw; i++)
            bsum += g[i];
          if (d != NULL)
            memset (d, 0, hw * sizeof (float));
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
              {
                int oy_d = ky - pad, ox_d = kx - pad;
                int x0 = ox_d < 0 ? -ox_d : 0, x1 = ox_d > 0 ? w - ox_d : w;
                float wv = kern[ky * k + kx];
                double acc = 0.0;
                for (int oy = 0; oy < h; oy++)
                  {
                    int iy = oy + oy_d;
                    if (iy < 0 || iy >= h)
                      continue;
                    const float *src = p + (size_t) iy * w + ox_d;
                    const float *gr = g + (size_t) oy * w;
                    float part = 0.0f;
                    for (int ox = x0; ox < x1; ox++)
                      part += gr[ox] * src[ox];
                    acc += part;
                    if (d != NULL)
                      {
                        float *dr = d + (size_t) iy * w + ox_d;
                        for (int ox = x0; ox < x1; ox++)
                          dr[ox] += wv * gr[ox];
                      }
                  }
                dk[ky * k + kx] += (float) acc;
              }
        }
      if (db != NULL)
        db[ch] = (float) bsum;
    }
}

/* Input rows per tile of a transposed conv: its column buffer is c_out * 16 * rows * w. */
static RlStatus
deconv_rows (RlWorkspace *ws, int c_out, int h, int w, int *rows, RlError *err)
{
  size_t per_row = (size_t) c_out * 16 * (size_t) w;
  size_t r = ws->tile_bytes / (per_row * sizeof (float));
  r = r < 1 ? 1 : r > (size_t) h ? (size_t) h : r;
  *rows = (int) r;
  return ws_scratch (ws, r * per_row, err);
}

static RlStatus
deconv_check (int n, int c_in, int h, int w, int c_out, int out_h, int out_w, RlError *err)
{
  if (n < 1 || c_in < 1 || c_out < 1 || h < 1 || w < 1 || out_h < 2 * h - 1 || out_h > 2 * h
      || out_w < 2 * w - 1 || out_w > 2 * w)
    return rl_error_set (err, RL_ERR_INVALID, "bad transposed convolution shape %dx%d -> %dx%d",
                         w, h, out_w, out_h);
  return RL_OK;
}

RlStatus
rl_deconv2d_forward (RlWorkspace *ws, int n, int c_in, int h, int w, int c_out, int out_h,
                     int out_w, const float *x, const float *wt, const float *b, float *y,
                     RlError *err)
{
  int rows;
  RlStatus st = deconv_check (n, c_in, h, w, c_out, out_h, out_w, err);
  if (st == RL_OK)
    st = deconv_rows (ws, c_out, h, w, &rows, err);
  if (st != RL_OK)
    return st;
  size_t hw = (size_t) h * w, ohw = (size_t) out_h * out_w;
  int ckk = c_out * 16;
  for (int b0 = 0; b0 < n; b0++)
    {
      const float *xn = x + (size_t) b0 * c_in * hw;
      float *yn = y + (size_t) b0 * c_out * ohw;
      memset (yn, 0, (size_t) c_out * ohw * sizeof (float));
      for (int r0 = 0; r0 < h; r0 += rows)
        {
          int r1 = r0 + rows < h ? r0 + rows : h, ncols = (r1 - r0) * w;
          /* col (C_out*16, ncols) = wt^T (C_out*16, C_in) x (C_in, ncols) */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, ncols, c_in, 1.0f, wt, ckk,
                       xn + (size_t) r0 * w, (int) hw, 0.0f, ws->col, ncols);
          for (int co = 0; co < c_out; co++)
            for (int ky = 0; ky < 4; ky++)
              for (int kx = 0; kx < 4; kx++)
                {
                  const float *src = ws->col + ((size_t) (co * 4 + ky) * 4 + kx) * ncols;
                  float *dst = yn + (size_t) co * ohw;
                  for (int i = r0; i < r1; i++)
                    {
                      int oy = 2 * i - 1 + ky;
                      if (oy < 0 || oy >= out_h)
                        continue;
                      const float *s = src + (size_t) (i - r0) * w;
                      float *d = dst + (size_t) oy * out_w;
                      for (int j = 0; j < w; j++)
                        {
                          int ox = 2 * j - 1 + kx;
                          if (ox >= 0 && ox < out_w)
                            d[ox] += s[j];
                        }
                    }
                }
        }
      if (b != NULL)
        for (int co = 0; co < c_out; co++)
          for (size_t i = 0; i < ohw; i++)
            yn[(size_t) co * ohw + i] += b[co];
    }
  return RL_OK;
}

RlStatus
rl_deconv2d_backward (RlWorkspace *ws, int n, int c_in, int h, int w, int c_out, int out_h,
                      int out_w, const float *x, const float *wt, const float *dy, float *dx,
                      float *dw, float *db, RlError *err)
{
  int rows;
  RlStatus st = deconv_check (n, c_in, h, w, c_out, out_h, out_w, err);
  if (st == RL_OK)
    st = deconv_rows (ws, c_out, h, w, &rows, err);
  if (st != RL_OK)
    return st;
  size_t hw = (size_t) h * w, ohw = (size_t) out_h * out_w;
  int ckk = c_out * 16;
  if (db != NULL)
    for (int co = 0; co < c_out; co++)
      {
        double acc = 0.0;
        for (int b0 = 0; b0 < n; b0++)
          {
            const float *p = dy + ((size_t) b0 * c_out + co) * ohw;
            float part = 0.0f;
            for (size_t i = 0; i < ohw; i++)
              part += p[i];
            acc += part;
          }
        db[co] = (float) acc;
      }
  float beta = 0.0f;
  for (int b0 = 0; b0 < n; b0++)
    {
      const float *xn = x + (size_t) b0 * c_in * hw, *dyn = dy + (size_t) b0 * c_out * ohw;
      for (int r0 = 0; r0 < h; r0 += rows)
        {
          int r1 = r0 + rows < h ? r0 + rows : h, ncols = (r1 - r0) * w;
          /* gather: col[co, ky, kx, i, j] = dy[co, 2i - 1 + ky, 2j - 1 + kx] (0 outside) */
          for (int co = 0; co < c_out; co++)
            for (int ky = 0; ky < 4; ky++)
              for (int kx = 0; kx < 4; kx++)
                {
                  float *dst = ws->col + ((size_t) (co * 4 + ky) * 4 + kx) * ncols;
                  const float *src = dyn + (size_t) co * ohw;
                  for (int i = r0; i < r1; i++)
                    {
                      int oy = 2 * i - 1 + ky;
                      float *d = dst + (size_t) (i - r0) * w;
                      if (oy < 0 || oy >= out_h)
                        {
                          memset (d, 0, (size_t) w * sizeof (float));
                          continue;
                        }
                      const float *s = src + (size_t) oy * out_w;
                      for (int j = 0; j < w; j++)
                        {
                          int ox = 2 * j - 1 + kx;
                          d[j] = ox >= 0 && ox < out_w ? s[ox] : 0.0f;
                        }
                    }
                }
          /* dw (C_in, C_out*16) += x (C_in, ncols) col^T */
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, c_in, ckk, ncols, 1.0f,
                       xn + (size_t) r0 * w, (int) hw, ws->col, ncols, beta, dw, ckk);
          beta = 1.0f;
          /* dx (C_in, ncols) = wt (C_in, C_out*16) col */
          if (dx != NULL)
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, c_in, ncols, ckk, 1.0f, wt,
                         ckk, ws->col, ncols, 0.0f, dx + (size_t) b0 * c_in * hw + (size_t) r0 * w,
                         (int) hw);
        }
    }
  return RL_OK;
}

void
rl_deconv2d_bilinear_init (int c, float *wt)
{
  static const float f[4] = { 0.25f, 0.75f, 0.75f, 0.25f };
  memset (wt, 0, (size_t) c * c * 16 * sizeof (float));
  for (int i = 0; i < c; i++)
    for (int ky = 0; ky < 4; ky++)
      for (int kx = 0; kx < 4; kx++)
        wt[(((size_t) i * c + i) * 4 + ky) * 4 + kx] = f[ky] * f[kx];
}

/* PyTorch's source index for align_corners = False: i0, i1 = min (i0 + 1, in - 1), weight of
 * i1. */
static void
bilinear_coord (int d, int in, int out, int *i0, int *i1, float *lambda)
{
  double scale = (double) in / out;
  double src = (d + 0.5) * scale - 0.5;
  if (src < 0)
    src = 0;
  int a = (int) src;
  if (a > in - 1)
    a = in - 1;
  *i0 = a;
  *i1 = a < in - 1 ? a + 1 : a;
  *lambda = (float) (src - a);
}

void
rl_bilinear_forward (int n, int c, int h, int w, int out_h, int out_w, const float *x, float *y)
{
  size_t ip = (size_t) h * w, op = (size_t) out_h * out_w;
  PAR ((size_t) n * c * op);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    {
      const float *p = x + pl * ip;
      float *q = y + pl * op;
      for (int oy = 0; oy < out_h; oy++)
        {
          int y0, y1;
          float ly;
          bilinear_coord (oy, h, out_h, &y0, &y1, &ly);
          for (int ox = 0; ox < out_w; ox++)
            {
              int x0, x1;
              float lx;
              bilinear_coord (ox, w, out_w, &x0, &x1, &lx);
              const float *r0 = p + (size_t) y0 * w, *r1 = p + (size_t) y1 * w;
              q[(size_t) oy * out_w + ox] = (1 - ly) * ((1 - lx) * r0[x0] + lx * r0[x1])
                                            + ly * ((1 - lx) * r1[x0] + lx * r1[x1]);
            }
        }
    }
}

void
rl_bilinear_backward (int n, int c, int h, int w, int out_h, int out_w, const float *dy,
                      float *dx)
{
  size_t ip = (size_t) h * w, op = (size_t) out_h * out_w;
  PAR ((size_t) n * c * op);
  OMP_FOR
  for (size_t pl = 0; pl < (size_t) n * c; pl++)
    {
      const float *g = dy + pl * op;
      float *d = dx + pl * ip;
      memset (d, 0, ip * sizeof (float));
      for (int oy = 0; oy < out_h; oy++)
        {
          int y0, y1;
          float ly;
          bilinear_coord (oy, h, out_h, &y0, &y1, &ly);
          for (int ox = 0; ox < out_w; ox++)
            {
              int x0, x1;
              float lx;
              bilinear_coord (ox, w, out_w, &x0, &x1, &lx);
              float v = g[(size_t) oy * out_w + ox];
              d[(size_t) y0 * w + x0] += (1 - ly) * (1 - lx) * v;
              d[(size_t) y0 * w + x1] += (1 - ly) * lx * v;
              d[(size_t) y1 * w + x0] += ly * (1 - lx) * v;
              d[(size_t) y1 * w + x1] += ly * lx * v;
            }
        }
    }
}

void
rl_add_forward (size_t n, const float *a, const float *b, float *y)
{
  PAR (n);
  OMP_FOR
  for (size_t i = 0; i < n; i++)
    y[i] = a[i] + b[i];
}
