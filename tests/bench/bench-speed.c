/* Benchmark of SegNet-Basic's convolutions at 360x480: the oneDNN backend (fp32, bf16) against a
 * row-tiled im2col + OpenBLAS sgemm baseline, per layer, for inference and a training step. */
#include "rl-dnnl.h"
#include "rl-model.h"
#include "rl-net.h"
#include "rl-train.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define PEAK_FP32_GFLOPS 415.0  /* 2 cores, AVX-512 FMA, as measured for the issue */

typedef struct
{
  const char *name;
  int c_in, c_out, k, scale;  /* scale: input is 360/scale x 480/scale */
} Layer;

/* SegNet-Basic: encoders at full, 1/2, 1/4, 1/8 size, decoders mirrored, 1x1 classifier. */
static const Layer layers[] = {
  { "enc1", 3, 64, 7, 1 },  { "enc2", 64, 64, 7, 2 }, { "enc3", 64, 64, 7, 4 },
  { "enc4", 64, 64, 7, 8 }, { "dec4", 64, 64, 7, 8 }, { "dec3", 64, 64, 7, 4 },
  { "dec2", 64, 64, 7, 2 }, { "dec1", 64, 64, 7, 1 }, { "cls", 64, 11, 1, 1 },
};
#define N_LAYERS ((int) (sizeof layers / sizeof layers[0]))

/* The oneDNN paths on NCHW buffers (reorders to oneDNN's layouts inside every call) and on
 * NHWC buffers (the layout an engine would keep through the network: no reorder for fp32). */
enum { PATH_IM2COL, PATH_DNNL_FP32, PATH_DNNL_BF16, PATH_NHWC_FP32, PATH_NHWC_BF16, N_PATHS };
static const char *path_names[] = { "im2col+sgemm fp32", "oneDNN fp32 NCHW", "oneDNN bf16 NCHW",
                                    "oneDNN fp32 NHWC", "oneDNN bf16 NHWC" };
static const char *path_short[] = { "im2col f32", "NCHW f32", "NCHW bf16", "NHWC f32",
                                    "NHWC bf16" };
enum { PASS_FWD, PASS_BWD_DATA, PASS_BWD_WEIGHTS, N_PASSES };

/* Everything a run needs, passed explicitly. */
typedef struct
{
  int threads, reps, height, width, tile_cols;
  float *x, *w, *b, *y, *dy, *dx, *dw, *db, *col;
  size_t col_floats;
  RlDnnl *dnnl[N_PATHS];
} Bench;

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static RlConvShape
shape_of (const Bench *B, const Layer *l, int n)
{
  int h = (B->height + l->scale - 1) / l->scale, w = (B->width + l->scale - 1) / l->scale;
  RlConvShape s = { n, l->c_in, h, w, l->c_out, l->k, l->k / 2 };
  return s;
}

static double
gflop (const RlConvShape *s)
{
  return 2.0 * s->n * s->c_out * s->c_in * s->k * s->k * (double) s->h * s->w * 1e-9;
}

/* Output rows per im2col tile, so one tile's column buffer has about tile_cols columns. */
static int
tile_rows (const Bench *B, const RlConvShape *s)
{
  int r = B->tile_cols / s->w;
  return r < 1 ? 1 : r > s->h ? s->h : r;
}

/* col (C_in*K*K, rows*W) for output rows [r0, r0+rows) of image x (C_in, H, W). */
static void
im2col (const RlConvShape *s, const float *x, int r0, int rows, float *col)
{
  int kk = s->k * s->k, cols = rows * s->w;
#pragma omp parallel for schedule(static)
  for (int row = 0; row < s->c_in * kk; row++)
    {
      int c = row / kk, p = (row % kk) / s->k, q = row % s->k;
      float *dst = col + (size_t) row * cols;
      for (int i = 0; i < rows; i++)
        {
          int hi = r0 + i + p - s->pad;
          float *d = dst + (size_t) i * s->w;
          if (hi < 0 || hi >= s->h)
            {
              memset (d, 0, s->w * sizeof *d);
              continue;
            }
          const float *src = x + ((size_t) c * s->h + hi) * s->w;
          for (int j = 0; j < s->w; j++)
            {
              int wi = j + q - s->pad;
              d[j] = wi >= 0 && wi < s->w ? src[wi] : 0.0f;
            }
        }
    }
}

/* Adds col (C_in*K*K, rows*W) back into dx (C_in, H, W); parallel over channels (no overlap). */
static void
col2im (const RlConvShape *s, const float *col, int r0, int rows, float *dx)
{
  int kk = s->k * s->k, cols = rows * s->w;
#pragma omp parallel for schedule(static)
  for (int c = 0; c < s->c_in; c++)
    for (int pq = 0; pq < kk; pq++)
      {
        int p = pq / s->k, q = pq % s->k;
        const float *src = col + ((size_t) c * kk + pq) * cols;
        for (int i = 0; i < rows; i++)
          {
            int hi = r0 + i + p - s->pad;
            if (hi < 0 || hi >= s->h)
              continue;
            float *d = dx + ((size_t) c * s->h + hi) * s->w;
            for (int j = 0; j < s->w; j++)
              {
                int wi = j + q - s->pad;
                if (wi >= 0 && wi < s->w)
                  d[wi] += src[(size_t) i * s->w + j];
              }
          }
      }
}

/* The baseline: one pass of the convolution with row-tiled im2col and sgemm (stride 1, "same"
 * padding, so output size = input size). gemm_time accumulates the time spent in sgemm. */
static void
im2col_pass (Bench *B, const RlConvShape *s, int pass, double *gemm_time)
{
  int kk = s->k * s->k, ckk = s->c_in * kk, hw = s->h * s->w, R = tile_rows (B, s);
  double t;

  if (pass == PASS_BWD_DATA)
    memset (B->dx, 0, (size_t) s->n * s->c_in * hw * sizeof (float));
  if (pass == PASS_BWD_WEIGHTS)
    {
      memset (B->dw, 0, (size_t) s->c_out * ckk * sizeof (float));
      for (int o = 0; o < s->c_out; o++)
        {
          double acc = 0;
          for (int n = 0; n < s->n; n++)
            {
              const float *g = B->dy + ((size_t) n * s->c_out + o) * hw;
              for (int i = 0; i < hw; i++)
                acc += g[i];
            }
          B->db[o] = (float) acc;
        }
    }
  for (int n = 0; n < s->n; n++)
    for (int r0 = 0; r0 < s->h; r0 += R)
      {
        int rows = r0 + R <= s->h ? R : s->h - r0, cols = rows * s->w;
        const float *xn = B->x + (size_t) n * s->c_in * hw;
        size_t yoff = (size_t) n * s->c_out * hw + (size_t) r0 * s->w;
        switch (pass)
          {
          case PASS_FWD:
            im2col (s, xn, r0, rows, B->col);
            for (int o = 0; o < s->c_out; o++)
              for (int i = 0; i < cols; i++)
                B->y[yoff + (size_t) o * hw + i] = B->b[o];
            t = now ();
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, s->c_out, cols, ckk, 1.0f,
                         B->w, ckk, B->col, cols, 1.0f, B->y + yoff, hw);
            *gemm_time += now () - t;
            break;
          case PASS_BWD_DATA:
            t = now ();
            cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, ckk, cols, s->c_out, 1.0f,
                         B->w, ckk, B->dy + yoff, hw, 0.0f, B->col, cols);
            *gemm_time += now () - t;
            col2im (s, B->col, r0, rows, B->dx + (size_t) n * s->c_in * hw);
            break;
          case PASS_BWD_WEIGHTS:
            im2col (s, xn, r0, rows, B->col);
            t = now ();
            cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, s->c_out, ckk, cols, 1.0f,
                         B->dy + yoff, hw, B->col, cols, 1.0f, B->dw, ckk);
            *gemm_time += now () - t;
            break;
          }
      }
}

static int
run_pass (Bench *B, int path, const RlConvShape *s, int pass, double *gemm_time)
{
  RlError err = { "" };
  RlStatus st = RL_OK;

  if (path == PATH_IM2COL)
    {
      im2col_pass (B, s, pass, gemm_time);
      return 0;
    }
  if (path == PATH_NHWC_FP32 || path == PATH_NHWC_BF16)
    switch (pass)
      {
      case PASS_FWD:
        st = rl_dnnl_conv2d_forward_nhwc (B->dnnl[path], s, B->x, B->w, B->b, B->y, 1, &err);
        break;
      case PASS_BWD_DATA:
        st = rl_dnnl_conv2d_backward_data_nhwc (B->dnnl[path], s, B->w, B->dy, B->dx, &err);
        break;
      case PASS_BWD_WEIGHTS:
        st = rl_dnnl_conv2d_backward_weights_nhwc (B->dnnl[path], s, B->x, B->dy, B->dw, B->db,
                                                   &err);
        break;
      }
  else
    switch (pass)
      {
      case PASS_FWD:
        st = rl_dnnl_conv2d_forward (B->dnnl[path], s, B->x, B->w, B->b, B->y, 1, &err);
        break;
      case PASS_BWD_DATA:
        st = rl_dnnl_conv2d_backward_data (B->dnnl[path], s, B->w, B->dy, B->dx, &err);
        break;
      case PASS_BWD_WEIGHTS:
        st = rl_dnnl_conv2d_backward_weights (B->dnnl[path], s, B->x, B->dy, B->dw, B->db, &err);
        break;
      }
  if (st != RL_OK)
    {
      fprintf (stderr, "bench-speed: %s: %s\n", path_names[path], err.text);
      return -1;
    }
  return 0;
}

/* CPU time of the whole process (every thread), seconds. */
static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best-of-reps time of one pass, after a first call that builds the primitive (its time, which
 * an engine pays once per context and shape, goes to *first). *cpu_best: the least CPU time of
 * a rep, which other programs sharing the cores do not inflate the way they inflate wall time. */
static double
time_pass (Bench *B, int path, const RlConvShape *s, int pass, double *gemm_best, double *first,
           double *cpu_best)
{
  double best = INFINITY, g, t0 = now ();
  *gemm_best = INFINITY;
  *cpu_best = INFINITY;
  if (run_pass (B, path, s, pass, &g) != 0)
    return NAN;
  *first = now () - t0;
  for (int r = 0; r < B->reps; r++)
    {
      double t = now (), c = cpu_now ();
      g = 0;
      if (run_pass (B, path, s, pass, &g) != 0)
        return NAN;
      t = now () - t;
      c = cpu_now () - c;
      if (t < best)
        best = t;
      if (c < *cpu_best)
        *cpu_best = c;
      if (g < *gemm_best)
        *gemm_best = g;
    }
  return best;
}

static const char *pass_names[] = { "fwd", "bwd-data", "bwd-weights" };

/* One table: every layer, every pass of the mode, every path; then totals and ratios. Each path
 * runs all its layers before the next path starts, so one path's thread pool (OpenBLAS's
 * pthreads, oneDNN's OpenMP team) is not still spinning while another is timed. */
static void
run_mode (Bench *B, const char *mode, int batch, int n_passes, const int *paths, int n_paths)
{
  double total[N_PATHS] = { 0 }, total_gflop = 0, total_gemm = 0, first[N_PATHS] = { 0 };
  double cpu[N_PATHS] = { 0 };
  double t[N_LAYERS][N_PASSES][N_PATHS], gemm[N_LAYERS][N_PASSES];

  for (int p = 0; p < n_paths; p++)
    for (int li = 0; li < N_LAYERS; li++)
      for (int pass = 0; pass < n_passes; pass++)
        {
          RlConvShape s = shape_of (B, &layers[li], batch);
          double g = NAN, f = 0, c = 0;
          /* The first layer's input gradient is never needed in training. */
          if (pass == PASS_BWD_DATA && li == 0)
            continue;
          t[li][pass][paths[p]] = time_pass (B, paths[p], &s, pass, &g, &f, &c);
          cpu[paths[p]] += c;
          first[paths[p]] += f - t[li][pass][paths[p]];
          if (paths[p] == PATH_IM2COL)
            gemm[li][pass] = g;
        }

  printf ("\n## %s: batch %d, %d threads, %dx%d, best of %d\n", mode, batch, B->threads,
          B->height, B->width, B->reps);
  printf ("%-5s %-11s %7s", "layer", "pass", "GFLOP");
  for (int p = 0; p < n_paths; p++)
    printf (" | %10s ms  GF/s peak", path_short[paths[p]]);
  printf (" | %s\n", paths[0] == PATH_IM2COL ? "sgemm-only GF/s" : "");
  printf ("(ms per call, GFLOP/s, %% of the %.0f GFLOP/s fp32 peak)\n", PEAK_FP32_GFLOPS);
  for (int li = 0; li < N_LAYERS; li++)
    for (int pass = 0; pass < n_passes; pass++)
      {
        RlConvShape s = shape_of (B, &layers[li], batch);
        double gf = gflop (&s);
        if (pass == PASS_BWD_DATA && li == 0)
          continue;
        printf ("%-5s %-11s %7.2f", layers[li].name, pass_names[pass], gf);
        for (int p = 0; p < n_paths; p++)
          {
            double tt = t[li][pass][paths[p]];
            printf (" | %13.1f %5.0f %3.0f%%", tt * 1e3, gf / tt, 100 * gf / tt / PEAK_FP32_GFLOPS);
            total[paths[p]] += tt;
          }
        if (paths[0] == PATH_IM2COL)
          {
            printf (" | %6.0f", gf / gemm[li][pass]);
            total_gemm += gemm[li][pass];
          }
        printf ("\n");
        total_gflop += gf;
      }
  printf ("%-5s %-11s %7.2f", "all", "", total_gflop);
  for (int p = 0; p < n_paths; p++)
    printf (" | %13.1f %5.0f %3.0f%%", total[paths[p]] * 1e3, total_gflop / total[paths[p]],
            100 * total_gflop / total[paths[p]] / PEAK_FP32_GFLOPS);
  if (total_gemm > 0)
    printf (" | %6.0f", total_gflop / total_gemm);
  printf ("\n");
  for (int p = 0; p < n_paths; p++)
    if (paths[p] != PATH_IM2COL && total[PATH_IM2COL] > 0)
      printf ("speedup of %s over im2col+sgemm: %.2fx\n", path_names[paths[p]],
              total[PATH_IM2COL] / total[paths[p]]);
  printf ("CPU-time figures (robust to other programs on the cores; with OMP_WAIT_POLICY=passive "
          "waiting threads sleep instead of spinning): GFLOP per CPU-second x %d threads =\n",
          B->threads);
  for (int p = 0; p < n_paths; p++)
    printf ("  %-18s %5.0f GFLOP/s (%3.0f%% of peak) if the %d threads had the cores to "
            "themselves\n", path_names[paths[p]], total_gflop / cpu[paths[p]] * B->threads,
            100 * total_gflop / cpu[paths[p]] * B->threads / PEAK_FP32_GFLOPS, B->threads);
  for (int p = 0; p < n_paths; p++)
    if (paths[p] != PATH_IM2COL)
      printf ("%s: first calls (kernel generation, scratch growth) cost %.0f ms more than "
              "cached calls in all\n", path_names[paths[p]], first[paths[p]] * 1e3);
  fflush (stdout);
}

/* Which oneDNN kernels ran, per layer and pass; "+r" marks a call that reorders activations
 * between the caller's layout and the kernel's. */
static void
print_impls (Bench *B, int batch, int path)
{
  int nhwc = path == PATH_NHWC_FP32 || path == PATH_NHWC_BF16;
  printf ("%s kernels (batch %d, fwd / bwd-data / bwd-weights):\n", path_names[path], batch);
  for (int li = 0; li < N_LAYERS; li++)
    {
      RlConvShape s = shape_of (B, &layers[li], batch);
      if (li == 4 || li == 5 || li == 6)  /* same shapes as enc4, enc3, enc2 */
        continue;
      printf ("  %s:", layers[li].name);
      for (int k = RL_DNNL_FORWARD; k <= RL_DNNL_BACKWARD_WEIGHTS; k++)
        {
          const char *name = rl_dnnl_impl_name (B->dnnl[path], k, &s, nhwc);
          printf (" %s%s", name ? name : "-",
                  rl_dnnl_reorders (B->dnnl[path], k, &s, nhwc) == 1 ? "+r" : "");
        }
      printf ("\n");
    }
}

/* Prints the load average: figures taken on a busy machine say so. */
static void
print_load (void)
{
  char line[128] = "";
  FILE *f = fopen ("/proc/loadavg", "r");
  if (f != NULL)
    {
      if (fgets (line, sizeof line, f) == NULL)
        line[0] = 0;
      fclose (f);
    }
  printf ("# load average at start: %s", line[0] ? line : "unknown\n");
}

/* The whole SegNet-Basic network through the engine (rl_model_forward for inference with batch
 * norm folded, the trainer for a training step), on one engine path, in a child process so its
 * peak memory is its own. Prints one line. Returns 0 on success. */
static int
network_child (const char *path_env, RlEnginePath path, int threads, int reps, int height,
               int width, const char *model_file)
{
  RlError err = { "" };
  RlModel *model = NULL;
  RlTrainer *t = NULL;
  size_t hw = (size_t) height * width;
  float *x = malloc (4 * 3 * hw * sizeof (float)), *logits = malloc (11 * hw * sizeof (float));
  uint8_t *labels = malloc (4 * hw);
  double inf = INFINITY, train = INFINITY, loss = 0, t0, c0, gf_inf = 0, gf_train = 0;
  double inf_cpu = INFINITY, train_cpu = INFINITY;
  struct rusage ru;
  long rss_inf;
  Bench B = { .height = height, .width = width };

  for (int li = 0; li < N_LAYERS; li++)
    {
      RlConvShape s = shape_of (&B, &layers[li], 1);
      gf_inf += gflop (&s);
      gf_train += 4 * gflop (&s) * (li == 0 ? 2 : 3);  /* no input gradient for enc1 */
    }

  if (x == NULL || logits == NULL || labels == NULL)
    return 1;
  for (size_t i = 0; i < 4 * 3 * hw; i++)
    x[i] = (float) ((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  for (size_t i = 0; i < 4 * hw; i++)
    labels[i] = (uint8_t) ((i / 97) % 11);
  if (rl_model_load (model_file, &model, &err) != RL_OK)
    goto fail;
  rl_model_set_engine_path (model, path);
  for (int r = 0; r <= reps; r++)  /* r = 0 warms up (oneDNN builds its kernels) */
    {
      t0 = now ();
      c0 = cpu_now ();
      if (rl_model_forward (model, x, height, width, logits, threads, NULL, NULL, &err) != RL_OK)
        goto fail;
      if (r > 0 && now () - t0 < inf)
        inf = now () - t0;
      if (r > 0 && cpu_now () - c0 < inf_cpu)
        inf_cpu = cpu_now () - c0;
    }
  getrusage (RUSAGE_SELF, &ru);
  rss_inf = ru.ru_maxrss;
  if (rl_trainer_load (model_file, path, &t, &err) != RL_OK)
    goto fail;
  for (int r = 0; r <= reps; r++)
    {
      t0 = now ();
      c0 = cpu_now ();
      if (rl_trainer_forward (t, x, 4, height, width, 1, &err) != RL_OK
          || rl_trainer_backward (t, labels, NULL, &loss, &err) != RL_OK)
        goto fail;
      rl_trainer_sgd_step (t, 1e-3f, 0.9f, 5e-4f);
      if (r > 0 && now () - t0 < train)
        train = now () - t0;
      if (r > 0 && cpu_now () - c0 < train_cpu)
        train_cpu = cpu_now () - c0;
    }
  getrusage (RUSAGE_SELF, &ru);
  printf ("%-9s | inference %7.1f ms, %4.0f GFLOP/s, peak RSS %4.0f MB | training step %7.1f ms,"
          " %4.0f GFLOP/s, peak RSS %5.0f MB (loss %.3f)\n", path_env, inf * 1e3, gf_inf / inf,
          rss_inf / 1024.0, train * 1e3, gf_train / train, ru.ru_maxrss / 1024.0, loss);
  printf ("%-9s | CPU time / %d threads: inference %7.1f ms, training step %7.1f ms (what the wall "
          "time would be with the cores to itself and perfect scaling)\n", path_env, threads,
          inf_cpu * 1e3 / threads, train_cpu * 1e3 / threads);
  fflush (stdout);
  rl_trainer_free (t);
  rl_model_free (model);
  return 0;
fail:
  fprintf (stderr, "bench-speed: network on %s: %s\n", path_env, err.text);
  rl_trainer_free (t);
  rl_model_free (model);
  return 1;
}

/* Saves a He-initialised SegNet-Basic (11 classes) and times it on every engine path. */
static int
run_network (int threads, int reps, int height, int width, int with_reference)
{
  char model_file[] = "/tmp/bench-speed-XXXXXX";
  const char *names[11] = { "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10" };
  RlTrainer *t = NULL;
  RlError err = { "" };
  int fd = mkstemp (model_file), failed = 0;
  struct { const char *env; RlEnginePath path; int ok; } paths[] = {
    { "reference", RL_ENGINE_PATH_REFERENCE, with_reference },
    { "fp32", RL_ENGINE_PATH_FP32, 1 },
    { "bf16", RL_ENGINE_PATH_BF16, rl_dnnl_supports (RL_PRECISION_BF16) },
  };

  if (fd < 0)
    {
      perror ("bench-speed: /tmp");
      return 1;
    }
  close (fd);
  if (rl_trainer_new ("segnet-basic", 11, 1, RL_ENGINE_PATH_REFERENCE, &t, &err) != RL_OK
      || rl_trainer_set_classes (t, names, 11, &err) != RL_OK
      || rl_trainer_save (t, model_file, &err) != RL_OK)
    {
      fprintf (stderr, "bench-speed: %s: %s\n", model_file, err.text);
      rl_trainer_free (t);
      unlink (model_file);
      return 1;
    }
  rl_trainer_free (t);
  printf ("\n## whole SegNet-Basic through the engine (rl_model_forward, trainer step at batch 4),"
          " %dx%d, %d threads, best of %d; GFLOP/s counts the convolutions' work only\n",
          height, width, threads, reps);
  fflush (stdout);
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
    {
      pid_t pid;
      int status;
      if (!paths[i].ok)
        continue;
      pid = fork ();
      if (pid == 0)
        _exit (network_child (paths[i].env, paths[i].path, threads, reps, height, width,
                              model_file));
      if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status)
          || WEXITSTATUS (status) != 0)
        failed = 1;
    }
  unlink (model_file);
  return failed;
}

static void
usage (void)
{
  fprintf (stderr, "usage: bench-speed [--threads N] [--reps N] [--size HxW] "
                   "[--tile-cols N] [--inference-only] [--training-only] [--no-im2col]\n"
                   "       bench-speed --network [--threads N] [--reps N] [--size HxW] "
                   "[--no-reference]\n");
  exit (2);
}

int
main (int argc, char **argv)
{
  Bench B = { .threads = 2, .reps = 2, .height = 360, .width = 480, .tile_cols = 2048 };
  int do_inf = 1, do_train = 1, do_im2col = 1, paths[N_PATHS], n_paths = 0;
  int network = 0, no_reference = 0;
  size_t max_x = 0, max_y = 0, max_w = 0;
  struct rusage ru;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        B.threads = atoi (argv[++i]);
      else if (strcmp (argv[i], "--reps") == 0 && i + 1 < argc)
        B.reps = atoi (argv[++i]);
      else if (strcmp (argv[i], "--size") == 0 && i + 1 < argc)
        {
          if (sscanf (argv[++i], "%dx%d", &B.height, &B.width) != 2)
            usage ();
        }
      else if (strcmp (argv[i], "--tile-cols") == 0 && i + 1 < argc)
        B.tile_cols = atoi (argv[++i]);
      else if (strcmp (argv[i], "--inference-only") == 0)
        do_train = 0;
      else if (strcmp (argv[i], "--training-only") == 0)
        do_inf = 0;
      else if (strcmp (argv[i], "--no-im2col") == 0)
        do_im2col = 0;
      else if (strcmp (argv[i], "--network") == 0)
        network = 1;
      else if (strcmp (argv[i], "--no-reference") == 0)
        no_reference = 1;
      else
        usage ();
    }
  if (B.threads < 1 || B.reps < 1 || B.height < 8 || B.width < 8 || B.tile_cols < 1)
    usage ();

  print_load ();
  /* Before any thread pool exists: each engine path runs in a forked child. */
  if (network)
    return run_network (B.threads, B.reps, B.height, B.width, !no_reference);
  openblas_set_num_threads (B.threads);
#ifdef _OPENMP
  omp_set_num_threads (B.threads);
#endif
  if (do_im2col)
    paths[n_paths++] = PATH_IM2COL;
  for (int p = PATH_DNNL_FP32; p < N_PATHS; p++)
    {
      RlError err = { "" };
      RlPrecision prec = p == PATH_DNNL_BF16 || p == PATH_NHWC_BF16 ? RL_PRECISION_BF16
                                                                     : RL_PRECISION_FP32;
      if (!rl_dnnl_supports (prec))
        {
          printf ("# %s: not supported on this CPU, skipped\n", path_names[p]);
          continue;
        }
      if (rl_dnnl_new (prec, &B.dnnl[p], &err) != RL_OK)
        {
          fprintf (stderr, "bench-speed: %s\n", err.text);
          return 1;
        }
      rl_dnnl_set_threads (B.dnnl[p], B.threads);
      paths[n_paths++] = p;
    }

  for (int li = 0; li < N_LAYERS; li++)
    {
      RlConvShape s = shape_of (&B, &layers[li], do_train ? 4 : 1);
      size_t nx = (size_t) s.n * s.c_in * s.h * s.w, ny = (size_t) s.n * s.c_out * s.h * s.w;
      size_t nw = (size_t) s.c_out * s.c_in * s.k * s.k;
      size_t nc = (size_t) s.c_in * s.k * s.k * tile_rows (&B, &s) * s.w;
      max_x = nx > max_x ? nx : max_x;
      max_y = ny > max_y ? ny : max_y;
      max_w = nw > max_w ? nw : max_w;
      B.col_floats = nc > B.col_floats ? nc : B.col_floats;
    }
  B.x = malloc (max_x * sizeof (float));
  B.dx = malloc (max_x * sizeof (float));
  B.y = malloc (max_y * sizeof (float));
  B.dy = malloc (max_y * sizeof (float));
  B.w = malloc (max_w * sizeof (float));
  B.dw = malloc (max_w * sizeof (float));
  B.b = malloc (64 * sizeof (float));
  B.db = malloc (64 * sizeof (float));
  B.col = malloc (B.col_floats * sizeof (float));
  if (!B.x || !B.dx || !B.y || !B.dy || !B.w || !B.dw || !B.b || !B.db || !B.col)
    {
      fprintf (stderr, "bench-speed: out of memory\n");
      return 1;
    }
  {
    uint64_t st = 12345;
    float *bufs[] = { B.x, B.dy, B.w, B.b };
    size_t ns[] = { max_x, max_y, max_w, 64 };
    for (int i = 0; i < 4; i++)
      for (size_t j = 0; j < ns[i]; j++)
        {
          st = st * 6364136223846793005ULL + 1442695040888963407ULL;
          bufs[i][j] = (float) ((double) (st >> 40) / (double) (1 << 24) - 0.5);
        }
  }

  printf ("# bench-speed: SegNet-Basic convolutions, %s\n", openblas_get_config ());
  printf ("# GFLOP counts 2*N*Cout*Cin*K*K*H*W (padding included); peak = %.0f GFLOP/s fp32 "
          "(bf16 dot products: 2x that)\n", PEAK_FP32_GFLOPS);
  if (do_inf)
    {
      run_mode (&B, "inference (forward, bias + ReLU fused)", 1, 1, paths, n_paths);
      for (int p = PATH_DNNL_FP32; p < N_PATHS; p++)
        if (B.dnnl[p] != NULL)
          print_impls (&B, 1, p);
    }
  if (do_train)
    {
      run_mode (&B, "training (forward + backward data + backward weights and bias)", 4,
                N_PASSES, paths, n_paths);
      for (int p = PATH_DNNL_FP32; p < N_PATHS; p++)
        if (B.dnnl[p] != NULL)
          print_impls (&B, 4, p);
    }
  getrusage (RUSAGE_SELF, &ru);
  printf ("\npeak RSS of the whole benchmark: %.0f MB\n", ru.ru_maxrss / 1024.0);

  for (int p = 0; p < N_PATHS; p++)
    rl_dnnl_free (B.dnnl[p]);
  free (B.x); free (B.dx); free (B.y); free (B.dy); free (B.w); free (B.dw); free (B.b);
  free (B.db); free (B.col);
  return 0;
}
