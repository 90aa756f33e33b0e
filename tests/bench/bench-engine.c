/* Benchmark of the engine's SegNet-Basic at 360x480: inference latency (median), peak resident
 * memory, a training step at batch 4, achieved GFLOP/s, then PyTorch 1.13 in the same run. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rl-model.h"
#include "rl-net.h"
#include "rl-train.h"

#define PEAK_FP32_GFLOPS 415.0  /* 2 cores with AVX-512 FMA, as measured for the issue */
#define H 360
#define W 480

static double
now (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Multiply-adds x 2 of every conv for one (H, W) image; training adds the data and weight
 * gradients (2x forward) except the first layer's data gradient, which is never computed. */
static void
count_flops (double *fwd, double *train)
{
  RlNet net;
  int oc[RL_NET_MAX_OPS], oh[RL_NET_MAX_OPS], ow[RL_NET_MAX_OPS], ph[8], pw[8];
  rl_net_init (&net, "segnet-basic", 11, NULL);
  rl_net_plan (&net, H, W, oc, oh, ow, ph, pw, NULL);
  *fwd = *train = 0;
  for (int i = 0; i < net.n_ops; i++)
    if (net.op[i].kind == RL_OP_CONV)
      {
        const RlConvSpec *c = &net.conv[net.op[i].index];
        double f = 2.0 * c->c_in * c->k * c->k * c->c_out * oh[i] * ow[i];
        *fwd += f;
        *train += net.op[i].index == 0 ? 2 * f : 3 * f;
      }
}

static long
peak_rss_kb (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Each measurement runs in a child so its peak RSS is its own. */
static int
run_inference (const char *model_path, int threads, int runs, double gflop, double *result)
{
  RlModel *m = NULL;
  RlError err;
  if (rl_model_load (model_path, &m, &err) != RL_OK)
    {
      fprintf (stderr, "%s\n", err.text);
      return 1;
    }
  uint8_t *rgb = malloc (H * W * 3), *labels = malloc (H * W);
  RlRng rng;
  rl_rng_seed (&rng, 1);
  for (int i = 0; i < H * W * 3; i++)
    rgb[i] = (uint8_t) (rl_rng_next (&rng) >> 56);
  double t[64];
  for (int r = 0; r <= runs; r++)
    {
      double t0 = now ();
      if (rl_model_predict_rgb8 (m, rgb, H, W, labels, threads, NULL, NULL, &err) != RL_OK)
        {
          fprintf (stderr, "%s\n", err.text);
          return 1;
        }
      if (r > 0)
        t[r - 1] = now () - t0;   /* run 0 warms up */
    }
  double med = median (t, runs);
  printf ("C engine inference: median %.3f s of %d (min %.3f), %.1f GFLOP/s = %.1f%% of %.0f peak,"
          " peak RSS %.0f MB\n", med, runs, t[0], gflop / med, 100 * gflop / med / PEAK_FP32_GFLOPS,
          PEAK_FP32_GFLOPS, peak_rss_kb () / 1024.0);
  *result = med;
  rl_model_free (m);
  free (rgb);
  free (labels);
  return 0;
}

static int
run_training (int threads, int runs, double gflop_per_image, double *result)
{
  openblas_set_num_threads (threads);
  RlTrainer *t = NULL;
  RlError err;
  if (rl_trainer_new ("segnet-basic", 11, 1, RL_ENGINE_PATH_DEFAULT, &t, &err) != RL_OK)
    {
      fprintf (stderr, "%s\n", err.text);
      return 1;
    }
  int n = 4;
  float *x = malloc (sizeof (float) * n * 3 * H * W);
  uint8_t *labels = malloc ((size_t) n * H * W);
  RlRng rng;
  rl_rng_seed (&rng, 2);
  for (size_t i = 0; i < (size_t) n * 3 * H * W; i++)
    x[i] = (float) rl_rng_normal (&rng);
  for (size_t i = 0; i < (size_t) n * H * W; i++)
    labels[i] = (uint8_t) (rl_rng_next (&rng) % 11);
  double tm[16];
  for (int r = 0; r <= runs; r++)
    {
      double t0 = now (), loss;
      if (rl_trainer_forward (t, x, n, H, W, 1, &err) != RL_OK
          || rl_trainer_backward (t, labels, NULL, &loss, &err) != RL_OK)
        {
          fprintf (stderr, "%s\n", err.text);
          return 1;
        }
      rl_trainer_sgd_step (t, 0.01f, 0.9f, 5e-4f);
      if (r > 0)
        tm[r - 1] = now () - t0;
    }
  double med = median (tm, runs);
  printf ("C engine training step, batch 4: median %.2f s of %d = %.2f s per image, %.1f GFLOP/s"
          " = %.1f%% of peak, peak RSS %.0f MB\n", med, runs, med / n,
          gflop_per_image * n / med, 100 * gflop_per_image * n / med / PEAK_FP32_GFLOPS,
          peak_rss_kb () / 1024.0);
  *result = med;
  rl_trainer_free (t);
  free (x);
  free (labels);
  return 0;
}

int
main (int argc, char **argv)
{
  int threads = 2, runs = 5, train_runs = 3, torch = 1;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        threads = atoi (argv[++i]);
      else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
        runs = atoi (argv[++i]);
      else if (strcmp (argv[i], "--train-runs") == 0 && i + 1 < argc)
        train_runs = atoi (argv[++i]);
      else if (strcmp (argv[i], "--no-torch") == 0)
        torch = 0;
      else
        {
          fprintf (stderr, "usage: bench-engine [--threads T] [--runs N] [--train-runs N] "
                   "[--no-torch]\n");
          return 2;
        }
    }
  if (runs < 1 || runs > 63 || train_runs < 1 || train_runs > 15 || threads < 1)
    return 2;
  double fwd, train;
  count_flops (&fwd, &train);
  fwd /= 1e9;
  train /= 1e9;
  const char *path_env = getenv ("RELABEL_ENGINE_PATH");
  printf ("SegNet-Basic, 11 classes, %dx%d, %d threads, engine path %s, OpenBLAS core %s\n"
          "forward %.1f GFLOP per image, training step %.1f GFLOP per image\n", W, H, threads,
          path_env ? path_env : "reference", openblas_get_corename (), fwd, train);
  fflush (stdout);

  char model_path[] = "/tmp/bench-engine-XXXXXX";
  int fd = mkstemp (model_path);
  if (fd < 0)
    return 1;
  close (fd);
  RlTrainer *t = NULL;
  RlError err;
  if (rl_trainer_new ("segnet-basic", 11, 1, RL_ENGINE_PATH_REFERENCE, &t, &err) != RL_OK
      || rl_trainer_save (t, model_path, &err) != RL_OK)
    {
      fprintf (stderr, "%s\n", err.text);
      return 1;
    }
  rl_trainer_free (t);

  /* The children hand their medians back through shared memory. */
  double *medians = mmap (NULL, 2 * sizeof (double), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (medians == MAP_FAILED)
    return 1;
  int status = 0;
  for (int mode = 0; mode < 2; mode++)
    {
      fflush (stdout);
      pid_t pid = fork ();
      if (pid == 0)
        {
          int rc = mode == 0 ? run_inference (model_path, threads, runs, fwd, &medians[0])
                             : run_training (threads, train_runs, train, &medians[1]);
          fflush (stdout);
          _exit (rc);
        }
      int ws;
      waitpid (pid, &ws, 0);
      if (!WIFEXITED (ws) || WEXITSTATUS (ws) != 0)
        status = 1;
    }
  unlink (model_path);
  if (torch)
    {
      char cmd[1024];
      snprintf (cmd, sizeof cmd, "/usr/bin/python3 %s --threads %d --runs %d --train-runs %d"
                " --c-infer %.4f --c-train %.4f", BENCH_TORCH_PY, threads, runs, train_runs,
                medians[0], medians[1]);
      fflush (stdout);
      if (system (cmd) != 0)
        printf ("(PyTorch comparison unavailable)\n");
    }
  return status;
}
