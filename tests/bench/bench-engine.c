/* Engine benchmark of issue 8: SegNet-Basic and SegNet (VGG-16) at 360x480 on each engine path
 * and on PyTorch 1.13 in the same run: latency, training step, peak memory, GFLOP/s, ratios. */
#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef RL_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#endif

#include "rl-dnnl.h"
#include "rl-layers.h"
#include "rl-model.h"
#include "rl-net.h"
#include "rl-train.h"

#define H 360
#define W 480
#define N_CLASSES 11
#define TRAIN_BATCH 4
#define MAX_RUNS 200

/* FP32 peak of 2 cores as measured for the issue (2 AVX-512 FMA units x 16 lanes x 2 flops x
 * about 3.24 GHz per core); scaled per thread. bf16 on AVX512-BF16 (vdpbf16ps: 2 products per
 * fp32 lane) is 2x that; AMX (a TMUL does 1024 bf16 MACs per cycle) 32x. */
#define PEAK_FP32_2CORES 415.0

enum { P_REFERENCE, P_FP32, P_BF16, N_PATHS };
static const char *const path_names[N_PATHS] = { "reference", "fp32", "bf16" };
static const RlEnginePath path_ids[N_PATHS] = {
  RL_ENGINE_PATH_REFERENCE, RL_ENGINE_PATH_FP32, RL_ENGINE_PATH_BF16
};

enum { T_FP32_NCHW, T_FP32_CL, T_BF16_CL, N_TORCH };
static const char *const torch_names[N_TORCH] = { "fp32-nchw", "fp32-cl", "bf16-cl" };

typedef struct
{
  int ok;               /* measured */
  double first, median, min;
  double hwm_mb, start_mb;
} Measure;

typedef struct
{
  const char *arch;     /* rl_trainer_new's name */
  const char *flag;     /* --arch value */
  const char *title;
  double fwd_gflop, train_gflop;  /* per image */
  double weights_mb;
  Measure ours[N_PATHS][2], torch[N_TORCH][2];  /* [..][0] inference, [..][1] training */
} Arch;

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

/* A /proc/self/status field in kB (VmHWM: peak resident set of this process image; unlike
 * ru_maxrss it starts again at exec, so a child does not inherit its parent's peak). */
static double
status_kb (const char *field)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  double kb = -1;
  size_t n = strlen (field);
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, field, n) == 0 && line[n] == ':')
      {
        kb = atof (line + n + 1);
        break;
      }
  fclose (f);
  return kb;
}

static int
cpu_flag (const char *flag)
{
  FILE *f = fopen ("/proc/cpuinfo", "r");
  char line[8192];
  int found = 0;
  if (f == NULL)
    return 0;
  while (!found && fgets (line, sizeof line, f) != NULL)
    if (strncmp (line, "flags", 5) == 0)
      {
        for (char *tok = strtok (line + 5, " :\n"); tok; tok = strtok (NULL, " \n"))
          if (strcmp (tok, flag) == 0)
            found = 1;
        break;
      }
  fclose (f);
  return found;
}

/* Multiply-adds x 2 of every convolution for one (H, W) image, from the network's own shapes.
 * Training = forward + data gradient + weight gradient (each as many MACs as the forward), except
 * the first conv's data gradient, which nobody computes. Not counted: batch norm, ReLU, pooling,
 * unpooling, the loss, the SGD update, and nothing is discounted for the zeros unpooling makes. */
static int
count_flops (const char *arch, double *fwd, double *train, double *weights_mb)
{
  RlNet net;
  RlError err;
  int oc[RL_NET_MAX_OPS], oh[RL_NET_MAX_OPS], ow[RL_NET_MAX_OPS];
  int ph[RL_NET_MAX_STAGES], pw[RL_NET_MAX_STAGES];
  if (rl_net_init (&net, arch, N_CLASSES, &err) != RL_OK
      || rl_net_plan (&net, H, W, oc, oh, ow, ph, pw, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s: %s\n", arch, err.text);
      return 1;
    }
  *fwd = *train = 0;
  for (int i = 0; i < net.n_ops; i++)
    if (net.op[i].kind == RL_OP_CONV)
      {
        const RlConvSpec *c = &net.conv[net.op[i].index];
        double f = 2.0 * c->c_in * c->k * c->k * c->c_out * oh[i] * ow[i];
        *fwd += f;
        *train += i == 0 ? 2 * f : 3 * f;
      }
  *fwd /= 1e9;
  *train /= 1e9;
  *weights_mb = rl_net_count_weights (&net) * sizeof (float) / 1048576.0;
  return 0;
}

/* ---- children: one measurement each, in a freshly exec'd process ------------------------- */

static void
print_result (double *t, int runs, double first, double start_kb)
{
  double med = median (t, runs);
  printf ("RESULT %.6f %.6f %.6f %.0f %.0f\n", first, med, t[0], status_kb ("VmHWM"), start_kb);
}

/* Normalised random image -> logits on the given path, then the argmax labels (as
 * rl_model_predict_rgb8 does, which has no path argument). Run 0 builds the oneDNN plan. */
static int
child_infer (const char *model_path, RlEnginePath path, int threads, int runs)
{
  double start_kb = status_kb ("VmRSS");
  RlModel *m = NULL;
  RlError err;
  if (rl_model_load (model_path, &m, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s: %s\n", model_path, err.text);
      return 1;
    }
  int nc = rl_model_num_classes (m);
  float *x = malloc (sizeof (float) * 3 * H * W), *logits = malloc (sizeof (float) * nc * H * W);
  uint8_t *labels = malloc (H * W);
  double *t = malloc (sizeof (double) * (runs + 1));
  if (x == NULL || logits == NULL || labels == NULL || t == NULL)
    {
      fprintf (stderr, "relabel: bench-engine: out of memory\n");
      return 1;
    }
  RlRng rng;
  rl_rng_seed (&rng, 1);
  for (int i = 0; i < 3 * H * W; i++)
    x[i] = (float) rl_rng_normal (&rng);
  double first = 0;
  for (int r = 0; r <= runs; r++)
    {
      double t0 = now ();
      if (rl_model_forward_on (m, path, x, H, W, logits, threads, NULL, NULL, &err) != RL_OK)
        {
          fprintf (stderr, "relabel: %s: %s\n", model_path, err.text);
          return 1;
        }
      for (int p = 0; p < H * W; p++)
        {
          int best = 0;
          for (int c = 1; c < nc; c++)
            if (logits[(size_t) c * H * W + p] > logits[(size_t) best * H * W + p])
              best = c;
          labels[p] = (uint8_t) best;
        }
      double dt = now () - t0;
      if (r == 0)
        first = dt;
      else
        t[r - 1] = dt;
    }
  print_result (t, runs, first, start_kb);
  rl_model_free (m);
  free (x);
  free (logits);
  free (labels);
  free (t);
  return 0;
}

/* One SGD step at batch 4 on random data: train-mode forward, backward, update. Step 0 warms up. */
static int
child_train (const char *arch, RlEnginePath path, int runs)
{
  double start_kb = status_kb ("VmRSS");
  RlTrainer *tr = NULL;
  RlError err;
  if (rl_trainer_new (arch, N_CLASSES, 1, path, &tr, &err) != RL_OK)
    {
      fprintf (stderr, "relabel: %s: %s\n", arch, err.text);
      return 1;
    }
  size_t n = TRAIN_BATCH;
  float *x = malloc (sizeof (float) * n * 3 * H * W);
  uint8_t *labels = malloc (n * H * W);
  double *t = malloc (sizeof (double) * (runs + 1));
  if (x == NULL || labels == NULL || t == NULL)
    {
      fprintf (stderr, "relabel: bench-engine: out of memory\n");
      return 1;
    }
  RlRng rng;
  rl_rng_seed (&rng, 2);
  for (size_t i = 0; i < n * 3 * H * W; i++)
    x[i] = (float) rl_rng_normal (&rng);
  for (size_t i = 0; i < n * H * W; i++)
    labels[i] = (uint8_t) (rl_rng_next (&rng) % N_CLASSES);
  double first = 0;
  for (int r = 0; r <= runs; r++)
    {
      double t0 = now (), loss;
      if (rl_trainer_forward (tr, x, (int) n, H, W, 1, &err) != RL_OK
          || rl_trainer_backward (tr, labels, NULL, &loss, &err) != RL_OK)
        {
          fprintf (stderr, "relabel: %s: %s\n", arch, err.text);
          return 1;
        }
      rl_trainer_sgd_step (tr, 0.01f, 0.9f, 5e-4f);
      double dt = now () - t0;
      if (r == 0)
        first = dt;
      else
        t[r - 1] = dt;
    }
  print_result (t, runs, first, start_kb);
  rl_trainer_free (tr);
  free (x);
  free (labels);
  free (t);
  return 0;
}

/* ---- parent ------------------------------------------------------------------------------ */

static char self_exe[4096];

/* Runs argv (argv[0] the program) with OMP/OpenBLAS thread counts set, echoes its output except
 * RESULT lines, which go to on_result. Returns the child's exit status (or 1). */
static int
run_child (char *const argv[], int threads, void (*on_result) (const char *line, void *data),
           void *data)
{
  int fd[2];
  if (pipe (fd) != 0)
    return 1;
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return 1;
  if (pid == 0)
    {
      char n[16];
      snprintf (n, sizeof n, "%d", threads);
      setenv ("OMP_NUM_THREADS", n, 1);
      setenv ("OPENBLAS_NUM_THREADS", n, 1);
      dup2 (fd[1], STDOUT_FILENO);
      close (fd[0]);
      close (fd[1]);
      execv (argv[0], argv);
      fprintf (stderr, "relabel: %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  close (fd[1]);
  FILE *f = fdopen (fd[0], "r");
  char line[1024];
  while (f != NULL && fgets (line, sizeof line, f) != NULL)
    {
      if (strncmp (line, "RESULT ", 7) == 0)
        on_result (line + 7, data);
      else
        {
          fputs (line, stdout);
          fflush (stdout);
        }
    }
  if (f != NULL)
    fclose (f);
  else
    close (fd[0]);
  int ws;
  if (waitpid (pid, &ws, 0) < 0)
    return 1;
  return WIFEXITED (ws) ? WEXITSTATUS (ws) : 1;
}

static void
ours_result (const char *line, void *data)
{
  Measure *m = data;
  double hwm_kb, start_kb;
  if (sscanf (line, "%lf %lf %lf %lf %lf", &m->first, &m->median, &m->min, &hwm_kb,
              &start_kb) == 5)
    {
      m->hwm_mb = hwm_kb / 1024;
      m->start_mb = start_kb / 1024;
      m->ok = 1;
    }
}

/* "ARCH CONFIG infer|train first median min hwm_mb start_mb" from bench_torch.py */
static void
torch_result (const char *line, void *data)
{
  Arch *a = data;
  char arch[32], config[32], mode[16];
  Measure m = { 1, 0, 0, 0, 0, 0 };
  if (sscanf (line, "%31s %31s %15s %lf %lf %lf %lf %lf", arch, config, mode, &m.first,
              &m.median, &m.min, &m.hwm_mb, &m.start_mb) != 8)
    return;
  for (int c = 0; c < N_TORCH; c++)
    if (strcmp (config, torch_names[c]) == 0)
      a->torch[c][strcmp (mode, "train") == 0] = m;
}

static double peak_fp32, peak_bf16;

static void
print_measure (const char *who, const Measure *m, int train, double gflop, double peak)
{
  if (!m->ok)
    {
      printf ("  %-22s %-9s failed\n", who, train ? "training" : "inference");
      return;
    }
  printf ("  %-22s %-9s median %7.3f s (min %.3f; first call %.3f s)  %6.1f GFLOP/s = %5.1f%%"
          " of %.0f  peak RSS %5.0f MB (%.0f at start)\n", who, train ? "training" : "inference",
          m->median, m->min, m->first, gflop / m->median, 100 * gflop / m->median / peak, peak,
          m->hwm_mb, m->start_mb);
  fflush (stdout);
}

static int
save_model (const char *arch, const char *path)
{
  /* In a forked child, so the trainer's memory never touches the parent. */
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return 1;
  if (pid == 0)
    {
      RlTrainer *t = NULL;
      RlError err;
      if (rl_trainer_new (arch, N_CLASSES, 1, RL_ENGINE_PATH_REFERENCE, &t, &err) != RL_OK
          || rl_trainer_save (t, path, &err) != RL_OK)
        {
          fprintf (stderr, "relabel: %s: %s\n", path, err.text);
          _exit (1);
        }
      rl_trainer_free (t);
      _exit (0);
    }
  int ws;
  return waitpid (pid, &ws, 0) < 0 || !WIFEXITED (ws) || WEXITSTATUS (ws) != 0;
}

/* The oneDNN implementation of each layer of the fp32 and bf16 plans at the benchmark's size, and
 * the path the automatic choice (RELABEL_ENGINE_PATH unset, what the app uses) runs on. */
static void
print_plans (const char *model_path)
{
  RlModel *m = NULL;
  RlError err;
  static char info[2][4096];
  int ok[2];
  if (rl_model_load (model_path, &m, &err) != RL_OK)
    {
      printf ("(plans: %s: %s)\n", model_path, err.text);
      return;
    }
  for (int k = 0; k < 2; k++)
    {
      ok[k] = rl_model_plan_info (m, k ? RL_ENGINE_PATH_BF16 : RL_ENGINE_PATH_FP32, H, W,
                                  info[k], sizeof info[k], &err) == RL_OK;
      if (!ok[k])
        snprintf (info[k], sizeof info[k], "%s\n", err.text);
    }
  const char *env = getenv ("RELABEL_ENGINE_PATH");
  RlEnginePath dflt = rl_engine_path_default ();
  /* The automatic choice falls back from a plan this CPU refuses (rl-model.c). */
  RlEnginePath named = RL_ENGINE_PATH_DEFAULT;
  if (rl_engine_path_from_name (env, &named) && named != RL_ENGINE_PATH_DEFAULT)
    dflt = named;   /* what relabel runs on with this RELABEL_ENGINE_PATH */
  else
    {
      if (dflt == RL_ENGINE_PATH_BF16 && !ok[1])
        dflt = RL_ENGINE_PATH_FP32;
      if (dflt == RL_ENGINE_PATH_FP32 && !ok[0])
        dflt = RL_ENGINE_PATH_REFERENCE;
    }
  printf ("default inference path (RELABEL_ENGINE_PATH=%s): %s\n", env != NULL ? env : "unset",
          dflt == RL_ENGINE_PATH_BF16 ? "bf16" : dflt == RL_ENGINE_PATH_FP32 ? "fp32"
                                                                               : "reference");
  printf ("oneDNN implementation per layer (fp32 plan | bf16 plan):\n");
  char *a = info[0], *b = info[1];
  while (*a != '\0' || *b != '\0')
    {
      char *ea = strchr (a, '\n'), *eb = strchr (b, '\n');
      int la = ea ? (int) (ea - a) : (int) strlen (a), lb = eb ? (int) (eb - b) : (int) strlen (b);
      printf ("  %-40.*s | %.*s\n", la, a, lb, b);
      a += la + (ea != NULL);
      b += lb + (eb != NULL);
    }
  rl_model_free (m);
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: bench-engine [--arch basic|vgg|both] [--paths reference,fp32,bf16] "
           "[--runs N] [--train-runs N] [--threads T] [--no-torch] [--quick]\n"
           "                    [--model SEGNET-BASIC.safetensors | --random-weights]\n"
           "SegNet-Basic inference runs with trained weights (default: the shipped model) on\n"
           "both sides: freshly initialised weights run PyTorch's bf16 path slower (measured\n"
           "0.32 s fresh vs 0.24 s after one training step), so they would flatter us.\n");
}

/* Best of our measured paths among those listed (mask), or -1. */
static int
best_ours (const Arch *a, int mode, unsigned mask)
{
  int best = -1;
  for (int p = 0; p < N_PATHS; p++)
    if ((mask >> p & 1) && a->ours[p][mode].ok
        && (best < 0 || a->ours[p][mode].median < a->ours[best][mode].median))
      best = p;
  return best;
}

static int
best_torch (const Arch *a, int mode, unsigned mask)
{
  int best = -1;
  for (int c = 0; c < N_TORCH; c++)
    if ((mask >> c & 1) && a->torch[c][mode].ok
        && (best < 0 || a->torch[c][mode].median < a->torch[best][mode].median))
      best = c;
  return best;
}

/* "ours X s vs PyTorch Y s: Z x faster (target ...: met)"; the target is a minimum speed-up. */
static void
print_ratio (const Arch *a, const char *what, int mode, unsigned ours_mask, unsigned torch_mask,
             double target)
{
  int p = best_ours (a, mode, ours_mask), c = best_torch (a, mode, torch_mask);
  printf ("  %-16s ", what);
  if (p < 0 || c < 0)
    {
      printf ("n/a (%s not measured)\n", p < 0 ? "our path" : "PyTorch");
      return;
    }
  double ours = a->ours[p][mode].median, torch = a->torch[c][mode].median;
  printf ("ours %-9s %7.3f s  PyTorch %-9s %7.3f s  ours/PyTorch time %.2f = %.2fx faster"
          "  (target >= %.1fx: %s)\n", path_names[p], ours, torch_names[c], torch, ours / torch,
          torch / ours, target, torch / ours >= target ? "MET" : "not met");
}

int
main (int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "--child") == 0)
    {
      /* --child infer|train ARCH PATH MODEL_FILE RUNS THREADS */
      if (argc != 8)
        return 2;
      int path = atoi (argv[4]), runs = atoi (argv[6]), threads = atoi (argv[7]);
      openblas_set_num_threads (threads);
      return strcmp (argv[2], "infer") == 0
               ? child_infer (argv[5], (RlEnginePath) path, threads, runs)
               : child_train (argv[3], (RlEnginePath) path, runs);
    }

  int threads = 2, runs = 5, train_runs = 3, torch = 1;
  unsigned paths = 0, archs = 3;
  const char *basic_model = BENCH_SHIPPED_MODEL;
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
      if (strcmp (a, "--threads") == 0 && v)
        threads = atoi (argv[++i]);
      else if (strcmp (a, "--runs") == 0 && v)
        runs = atoi (argv[++i]);
      else if (strcmp (a, "--train-runs") == 0 && v)
        train_runs = atoi (argv[++i]);
      else if (strcmp (a, "--no-torch") == 0)
        torch = 0;
      else if (strcmp (a, "--quick") == 0)
        runs = train_runs = 1;
      else if (strcmp (a, "--model") == 0 && v)
        basic_model = argv[++i];
      else if (strcmp (a, "--random-weights") == 0)
        basic_model = NULL;
      else if (strcmp (a, "--arch") == 0 && v)
        {
          i++;
          archs = strcmp (v, "basic") == 0 ? 1 : strcmp (v, "vgg") == 0 ? 2
                  : strcmp (v, "both") == 0 ? 3 : 0;
          if (archs == 0)
            {
              fprintf (stderr, "relabel: --arch: '%s' is not basic, vgg or both\n", v);
              return 2;
            }
        }
      else if (strcmp (a, "--paths") == 0 && v)
        {
          char buf[256];
          snprintf (buf, sizeof buf, "%s", argv[++i]);
          for (char *tok = strtok (buf, ","); tok; tok = strtok (NULL, ","))
            {
              int p = 0;
              while (p < N_PATHS && strcmp (tok, path_names[p]) != 0)
                p++;
              if (p == N_PATHS)
                {
                  fprintf (stderr, "relabel: --paths: '%s' is not reference, fp32 or bf16\n", tok);
                  return 2;
                }
              paths |= 1u << p;
            }
        }
      else if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0)
        {
          usage (stdout);
          return 0;
        }
      else
        {
          usage (stderr);
          return 2;
        }
    }
  if (runs < 1 || runs > MAX_RUNS || train_runs < 1 || train_runs > MAX_RUNS || threads < 1)
    {
      fprintf (stderr, "relabel: runs must be 1..%d and threads at least 1\n", MAX_RUNS);
      return 2;
    }
  ssize_t len = readlink ("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (len <= 0)
    {
      fprintf (stderr, "relabel: /proc/self/exe: %s\n", strerror (errno));
      return 1;
    }
  self_exe[len] = 0;

  /* Which of our paths this build and CPU run. */
  if (paths == 0)
    paths = (1u << N_PATHS) - 1;
  const char *why_not[N_PATHS] = { NULL, NULL, NULL };
#ifdef RL_HAVE_DNNL
  if (!rl_dnnl_supports (RL_PRECISION_BF16))
    why_not[P_BF16] = "oneDNN reports no AVX512-BF16/AMX on this CPU";
  const char *isa_name = "unknown";
  dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa ();
  if (((unsigned) isa & (unsigned) dnnl_cpu_isa_avx512_core_amx) == dnnl_cpu_isa_avx512_core_amx)
    isa_name = "avx512_core_amx";
  else if (((unsigned) isa & (unsigned) dnnl_cpu_isa_avx512_core_bf16)
           == dnnl_cpu_isa_avx512_core_bf16)
    isa_name = "avx512_core_bf16";
  else if (((unsigned) isa & (unsigned) dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core)
    isa_name = "avx512_core";
  else if (((unsigned) isa & (unsigned) dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2)
    isa_name = "avx2";
  const dnnl_version_t *ver = dnnl_version ();
  char dnnl_text[128];
  snprintf (dnnl_text, sizeof dnnl_text, "oneDNN %d.%d.%d, effective ISA %s", ver->major,
            ver->minor, ver->patch, isa_name);
#else
  why_not[P_FP32] = why_not[P_BF16] = "this build has no oneDNN";
  const char *dnnl_text = "no oneDNN in this build";
#endif

  int amx = cpu_flag ("amx_bf16"), avx512bf16 = cpu_flag ("avx512_bf16");
  long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
  int cores = threads < ncpu ? threads : (int) ncpu;
  peak_fp32 = PEAK_FP32_2CORES / 2 * cores;
  peak_bf16 = peak_fp32 * (amx ? 32 : avx512bf16 ? 2 : 1);
  printf ("Relabel engine benchmark (issue 8): %dx%d, %d classes, %d threads on %ld CPUs, "
          "inference median of %d after 1 warm-up, training step batch %d median of %d after 1"
          " warm-up\n", W, H, N_CLASSES, threads, ncpu, runs, TRAIN_BATCH, train_runs);
  printf ("CPU flags: avx512f %s, avx512_bf16 %s, amx_bf16 %s; %s; OpenBLAS core %s\n",
          cpu_flag ("avx512f") ? "yes" : "no", avx512bf16 ? "yes" : "no", amx ? "yes" : "no",
          dnnl_text, openblas_get_corename ());
  printf ("Peak used: fp32 %.0f GFLOP/s (415 for 2 cores: 2 AVX-512 FMA units x 16 lanes x 2 "
          "flops x ~3.24 GHz, scaled to %d core%s); bf16 %.0f GFLOP/s (%s)\n", peak_fp32, cores,
          cores > 1 ? "s" : "", peak_bf16,
          amx ? "AMX: 1024 bf16 MACs per cycle per core, 32x fp32"
              : avx512bf16 ? "AVX512-BF16 vdpbf16ps, 2x fp32; no AMX on this CPU"
                           : "no bf16 instructions: same as fp32");
  printf ("FLOPs: 2 x conv multiply-adds from the network's shapes; training = forward + data "
          "gradient (not for the first conv) + weight gradient; batch norm, ReLU, pooling, "
          "unpooling, loss and SGD not counted; unpooled zeros counted as dense.\n"
          "Inference is logits on the given path (rl_model_forward_on) + argmax, on normalised "
          "random input; peak RSS = VmHWM of a freshly exec'd child per measurement.\n");
  for (int p = 0; p < N_PATHS; p++)
    if ((paths >> p & 1) && why_not[p] != NULL)
      {
        printf ("(path %s skipped: %s)\n", path_names[p], why_not[p]);
        paths &= ~(1u << p);
      }

  Arch arch_tab[2] = {
    { .arch = "segnet-basic", .flag = "basic", .title = "SegNet-Basic" },
    { .arch = "segnet", .flag = "vgg", .title = "SegNet (VGG-16)" },
  };
  int status = 0;
  char threads_s[16], runs_s[16], train_runs_s[16];
  snprintf (threads_s, sizeof threads_s, "%d", threads);
  snprintf (runs_s, sizeof runs_s, "%d", runs);
  snprintf (train_runs_s, sizeof train_runs_s, "%d", train_runs);
  for (int ai = 0; ai < 2; ai++)
    {
      if (!(archs >> ai & 1))
        continue;
      Arch *a = &arch_tab[ai];
      if (count_flops (a->arch, &a->fwd_gflop, &a->train_gflop, &a->weights_mb) != 0)
        return 1;
      printf ("\n== %s: forward %.1f GFLOP per image, training step %.1f GFLOP per image "
              "(%.1f per batch of %d); %.1f MB of fp32 weights\n", a->title, a->fwd_gflop,
              a->train_gflop, a->train_gflop * TRAIN_BATCH, TRAIN_BATCH, a->weights_mb);
      fflush (stdout);
      char tmp_path[] = "/tmp/bench-engine-XXXXXX";
      const char *model_path = tmp_path;
      int own_model = 1;
      if (ai == 0 && basic_model != NULL && access (basic_model, R_OK) == 0)
        {
          model_path = basic_model;
          own_model = 0;
          printf ("inference weights: %s (trained); training steps start from He init\n",
                  basic_model);
        }
      else
        {
          int fd = mkstemp (tmp_path);
          if (fd >= 0)
            close (fd);
          if (fd < 0 || save_model (a->arch, tmp_path) != 0)
            {
              fprintf (stderr, "relabel: %s: cannot write the benchmark model\n", tmp_path);
              unlink (tmp_path);
              return 1;
            }
          printf ("weights: He init (random), the same kind on both sides\n");
        }
      print_plans (model_path);
      for (int p = 0; p < N_PATHS; p++)
        {
          if (!(paths >> p & 1))
            continue;
          char pid_s[8];
          snprintf (pid_s, sizeof pid_s, "%d", (int) path_ids[p]);
          double peak = p == P_BF16 ? peak_bf16 : peak_fp32;
          char who[32];
          snprintf (who, sizeof who, "ours %s", path_names[p]);
          for (int mode = 0; mode < 2; mode++)
            {
              char *cargv[] = { self_exe, "--child", mode ? "train" : "infer", (char *) a->arch,
                                pid_s, (char *) model_path, mode ? train_runs_s : runs_s, threads_s, NULL };
              if (run_child (cargv, threads, ours_result, &a->ours[p][mode]) != 0
                  || !a->ours[p][mode].ok)
                {
                  a->ours[p][mode].ok = 0;
                  status = 1;
                }
              print_measure (who, &a->ours[p][mode], mode,
                             mode ? a->train_gflop * TRAIN_BATCH : a->fwd_gflop, peak);
            }
        }
      if (own_model)
        unlink (model_path);
      if (torch)
        {
          char *targv[] = { "/usr/bin/python3", BENCH_TORCH_PY, "--arch", (char *) a->flag,
                            "--threads", threads_s, "--runs", runs_s, "--train-runs",
                            train_runs_s, "--quiet", own_model ? NULL : "--model",
                            (char *) model_path, NULL };
          if (run_child (targv, threads, torch_result, a) != 0)
            printf ("  (PyTorch comparison failed or unavailable)\n");
          for (int c = 0; c < N_TORCH; c++)
            for (int mode = 0; mode < 2; mode++)
              if (a->torch[c][mode].ok)
                {
                  char who[32];
                  snprintf (who, sizeof who, "PyTorch %s", torch_names[c]);
                  print_measure (who, &a->torch[c][mode], mode,
                                 mode ? a->train_gflop * TRAIN_BATCH : a->fwd_gflop,
                                 c == T_BF16_CL ? peak_bf16 : peak_fp32);
                }
        }
    }

  /* The summary table, the ratios and the targets. */
  printf ("\n== Summary (%d threads; s = median seconds; %%pk = fraction of the fp32 or bf16 peak;"
          " RSS = peak MB)\n", threads);
  printf ("%-16s %-18s | %8s %8s %7s %5s %6s | %8s %7s %5s %6s\n", "network", "implementation",
          "infer s", "first s", "GFLOP/s", "%pk", "RSS", "train s", "GFLOP/s", "%pk", "RSS");
  for (int ai = 0; ai < 2; ai++)
    {
      if (!(archs >> ai & 1))
        continue;
      Arch *a = &arch_tab[ai];
      for (int row = 0; row < N_PATHS + N_TORCH; row++)
        {
          int ours = row < N_PATHS, k = ours ? row : row - N_PATHS;
          Measure *m = ours ? a->ours[k] : a->torch[k];
          if (!m[0].ok && !m[1].ok)
            continue;
          int bf16 = ours ? k == P_BF16 : k == T_BF16_CL;
          double peak = bf16 ? peak_bf16 : peak_fp32;
          char who[32];
          snprintf (who, sizeof who, "%s %s", ours ? "ours" : "PyTorch",
                    ours ? path_names[k] : torch_names[k]);
          printf ("%-16s %-18s |", a->title, who);
          if (m[0].ok)
            printf (" %8.3f %8.3f %7.1f %5.1f %6.0f |", m[0].median, m[0].first,
                    a->fwd_gflop / m[0].median, 100 * a->fwd_gflop / m[0].median / peak,
                    m[0].hwm_mb);
          else
            printf (" %8s %8s %7s %5s %6s |", "-", "-", "-", "-", "-");
          double g = a->train_gflop * TRAIN_BATCH;
          if (m[1].ok)
            printf (" %8.2f %7.1f %5.1f %6.0f\n", m[1].median, g / m[1].median,
                    100 * g / m[1].median / peak, m[1].hwm_mb);
          else
            printf (" %8s %7s %5s %6s\n", "-", "-", "-", "-");
        }
    }
  unsigned ours_fp32 = 1u << P_REFERENCE | 1u << P_FP32, ours_bf16 = 1u << P_BF16;
  unsigned torch_fp32 = 1u << T_FP32_NCHW | 1u << T_FP32_CL, torch_bf16 = 1u << T_BF16_CL;
  printf ("\n== Ratios and issue 8's targets (our fastest path of the precision vs PyTorch's "
          "fastest of it)\n");
  for (int ai = 0; ai < 2; ai++)
    {
      if (!(archs >> ai & 1))
        continue;
      Arch *a = &arch_tab[ai];
      printf ("%s\n", a->title);
      print_ratio (a, "fp32 inference", 0, ours_fp32, torch_fp32, 1.4);
      print_ratio (a, "bf16 inference", 0, ours_bf16, torch_bf16, 1.4);
      print_ratio (a, "fp32 training", 1, ours_fp32, torch_fp32, 1.0);
      print_ratio (a, "bf16 training", 1, ours_bf16, torch_bf16, 1.0);
      /* The issue set the memory target with SegNet-Basic's figures; VGG-16 is shown against
       * the same line, with its weights' size for context. */
      for (int p = 0; p < N_PATHS; p++)
        if (a->ours[p][0].ok)
          printf ("  %-16s ours %-9s %5.0f MB  (target < 150 MB: %s%s)\n", "inference memory",
                  path_names[p], a->ours[p][0].hwm_mb,
                  a->ours[p][0].hwm_mb < 150 ? "MET" : "not met",
                  ai == 0 ? "" : "; the issue set it for SegNet-Basic");
      int c = best_torch (a, 0, (1u << N_TORCH) - 1);
      if (c >= 0)
        printf ("  %-16s PyTorch %-9s %5.0f MB  (its fastest inference; %.0f MB of it before the"
                " model was built: interpreter + torch)\n", "", torch_names[c],
                a->torch[c][0].hwm_mb, a->torch[c][0].start_mb);
    }
  if (runs < 3 || train_runs < 3)
    printf ("\n(fewer than 3 timed runs: smoke-test figures, not a measurement)\n");
  return status;
}
