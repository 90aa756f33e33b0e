/* test-isa: the oneDNN plans on whatever CPU runs the test. With nothing forced, every layer of the
 * fp32 (and, where the CPU has it, bf16) plan runs on an optimised oneDNN kernel, never on its
 * reference kernels (20-50x slower than the engine's own reference path). With
 * `--block 16` (16-channel blocks forced) on a dispatch below AVX-512 (ONEDNN_MAX_CPU_ISA=AVX2, as
 * meson's engine-isa-fallback test runs it), the plan is refused naming the layer, an explicit fp32
 * request fails with that error, and the automatic choice falls back to the reference path and
 * gives exactly its logits. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rl-dnnl.h"
#include "rl-layers.h"
#include "rl-model.h"
#include "tap.h"

enum { H = 61, W = 83 };

int
main (int argc, char **argv)
{
  const char *root = getenv ("RELABEL_SOURCE_ROOT");
  const char *force = argc == 3 && strcmp (argv[1], "--block") == 0 ? argv[2] : NULL;
  char model_path[4096], info[4096];
  RlModel *m = NULL;
  RlError err = { "" };
  uint64_t r = 7;
  int expect_refusal;

  if (root == NULL)
    {
      printf ("1..0 # SKIP RELABEL_SOURCE_ROOT not set\n");
      return 77;
    }
  unsetenv ("RELABEL_ENGINE_PATH");  /* the automatic choice is under test */
  if (force != NULL)
    rl_dnnl_set_block_override (atoi (force));
  snprintf (model_path, sizeof model_path, "%s/resources/models/segnet-basic-camvid.safetensors",
            root);
  if (rl_model_load (model_path, &m, &err) != RL_OK)
    {
      fprintf (stderr, "test-isa: %s\n", err.text);
      return 1;
    }
  int nc = rl_model_num_classes (m);
  size_t hw = (size_t) H * W;
  float *x = malloc (3 * hw * sizeof (float)), *ref = malloc (nc * hw * sizeof (float));
  float *got = malloc (nc * hw * sizeof (float));
  for (size_t i = 0; i < 3 * hw; i++)
    {
      r = r * 6364136223846793005ULL + 1442695040888963407ULL;
      x[i] = (float) ((r >> 40) / (double) (1 << 24) * 4.0 - 2.0);
    }

  RlStatus st = rl_model_plan_info (m, RL_ENGINE_PATH_FP32, H, W, info, sizeof info, &err);
  /* The 16-channel layout has only AVX-512 kernels: forced below AVX-512 it must be refused. */
  expect_refusal = force != NULL && strcmp (force, "16") == 0 && !rl_dnnl_supports (RL_PRECISION_BF16)
                   && st != RL_OK;
  printf ("# forced block: %s, bf16 %s\n", force != NULL ? force : "(unset)",
          rl_dnnl_supports (RL_PRECISION_BF16) ? "available" : "not available");
  if (force == NULL)
    {
      check (st == RL_OK, "fp32 plan builds: %s", st == RL_OK ? "yes" : err.text);
      printf ("%s", info);
      check (st == RL_OK && strstr (info, " ref") == NULL, "no fp32 layer runs on a reference "
             "kernel");
      if (rl_dnnl_supports (RL_PRECISION_BF16))
        {
          st = rl_model_plan_info (m, RL_ENGINE_PATH_BF16, H, W, info, sizeof info, &err);
          check (st == RL_OK && strstr (info, " ref") == NULL, "bf16 plan builds with no layer on "
                 "a reference kernel: %s", st == RL_OK ? "yes" : err.text);
          printf ("%s", info);
        }
    }
  else
    {
      check (expect_refusal && strstr (err.text, "reference kernel") != NULL
             && strstr (err.text, "enc1") != NULL,
             "forced 16-channel blocks below AVX-512: the plan is refused naming the layer (%s)",
             st == RL_OK ? "built" : err.text);
      st = rl_model_forward_on (m, RL_ENGINE_PATH_FP32, x, H, W, got, 1, NULL, NULL, &err);
      check (st == RL_ERR_UNSUPPORTED, "an explicit fp32 request fails: %s",
             st == RL_OK ? "it ran" : err.text);
    }
  /* The automatic choice: whatever it picks agrees with the reference (exactly when it fell back
   * to it). */
  if (rl_model_forward_on (m, RL_ENGINE_PATH_REFERENCE, x, H, W, ref, 1, NULL, NULL, &err) != RL_OK)
    check (0, "reference path: %s", err.text);
  for (int run = 0; run < 2; run++)
    {
      memset (got, 0, nc * hw * sizeof (float));
      st = rl_model_forward (m, x, H, W, got, 1, NULL, NULL, &err);
      check (st == RL_OK, "automatic path runs (run %d): %s", run + 1, st == RL_OK ? "ok" : err.text);
      if (force != NULL)
        check (st == RL_OK && memcmp (got, ref, nc * hw * sizeof (float)) == 0,
               "automatic path fell back to the reference: identical logits (run %d)", run + 1);
    }
  rl_model_free (m);
  free (x);
  free (ref);
  free (got);
  printf ("1..%d\n", n_checks);
  return n_failed > 0;
}
