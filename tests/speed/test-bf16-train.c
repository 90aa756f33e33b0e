/* test-bf16-train: a short training run on the bf16 path tracks the same run on fp32 (issue #8):
 * SegNet-Basic from one He initialisation, 8 real CamVid train images at 96x128, batch 4, the
 * same batches, 40 SGD steps with median-frequency class weights. Both losses must fall, and the
 * bf16 curve must stay close to the fp32 one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rl-dataset.h"
#include "rl-dnnl.h"
#include "rl-image-io.h"
#include "rl-net.h"
#include "rl-train.h"

enum { N_IMG = 8, B = 4, H = 96, W = 128, STEPS = 40 };

/* Nearest-neighbour downscale of an RGB image and its labels (labels must not be blended). */
static void
shrink (const guint8 *rgb, const guint8 *lab, int w, int h, guint8 *rgb_out, guint8 *lab_out)
{
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        int sy = y * h / H, sx = x * w / W;
        memcpy (rgb_out + ((size_t) y * W + x) * 3, rgb + ((size_t) sy * w + sx) * 3, 3);
        lab_out[(size_t) y * W + x] = lab[(size_t) sy * w + sx];
      }
}

static int
run (RlEnginePath path, const float *x, const guint8 *labels, const float *weights,
     double *losses)
{
  RlTrainer *t = NULL;
  RlError err = { "" };
  static const char *const names[11] = { "Sky", "Building", "Pole", "Road", "Pavement", "Tree",
                                          "SignSymbol", "Fence", "Car", "Pedestrian",
                                          "Bicyclist" };
  if (rl_trainer_new ("segnet-basic", 11, 7, path, &t, &err) != RL_OK
      || rl_trainer_set_classes (t, names, 11, &err) != RL_OK)
    {
      fprintf (stderr, "test-bf16-train: %s\n", err.text);
      return 0;
    }
  for (int s = 0; s < STEPS; s++)
    {
      int first = (s % (N_IMG / B)) * B;
      if (rl_trainer_forward (t, x + (size_t) first * 3 * H * W, B, H, W, 1, &err) != RL_OK
          || rl_trainer_backward (t, labels + (size_t) first * H * W, weights, &losses[s], &err)
             != RL_OK)
        {
          fprintf (stderr, "test-bf16-train: %s\n", err.text);
          rl_trainer_free (t);
          return 0;
        }
      rl_trainer_sgd_step (t, 0.05f, 0.9f, 5e-4f);
    }
  rl_trainer_free (t);
  return 1;
}

int
main (void)
{
  const char *camvid = getenv ("RELABEL_CAMVID");
  const float weights[11] = { 0.2595f, 0.1826f, 4.5640f, 0.1417f, 0.9051f, 0.3826f,
                              9.6446f, 1.8418f, 0.6823f, 6.2478f, 7.3614f };
  const float mean[3] = { 0.4f, 0.4f, 0.4f }, std[3] = { 0.3f, 0.3f, 0.3f };
  float *x = malloc ((size_t) N_IMG * 3 * H * W * sizeof (float));
  guint8 *labels = malloc ((size_t) N_IMG * H * W), *rgb_s = malloc (H * W * 3);
  double lf[STEPS], lb[STEPS];
  g_autoptr (RlDataset) ds = NULL;
  GError *error = NULL;
  int failed = 0;

  if (!rl_dnnl_supports (RL_PRECISION_BF16))
    {
      printf ("1..0 # SKIP this CPU has no AVX512-BF16/AMX\n");
      return 77;
    }
  if (camvid == NULL)
    {
      printf ("1..0 # SKIP RELABEL_CAMVID not set\n");
      return 77;
    }
  ds = rl_dataset_load ("camvid", camvid, &error);
  GPtrArray *train = ds != NULL ? rl_dataset_split (ds, "train") : NULL;
  if (train == NULL || train->len < N_IMG)
    {
      fprintf (stderr, "test-bf16-train: %s\n", error ? error->message : "too few images");
      return 1;
    }
  for (int i = 0; i < N_IMG; i++)
    {
      RlSample *s = g_ptr_array_index (train, i * 40);
      int w, h, lw, lh;
      guint8 *rgb = NULL, *lab = NULL;
      if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error)
          || !rl_label_read (s->label_path, &lw, &lh, &lab, &error))
        {
          fprintf (stderr, "test-bf16-train: %s\n", error->message);
          return 1;
        }
      shrink (rgb, lab, w, h, rgb_s, labels + (size_t) i * H * W);
      rl_normalize_rgb8 (rgb_s, H, W, mean, std, x + (size_t) i * 3 * H * W);
      g_free (rgb);
      g_free (lab);
    }
  g_ptr_array_unref (train);
  if (!run (RL_ENGINE_PATH_FP32, x, labels, weights, lf)
      || !run (RL_ENGINE_PATH_BF16, x, labels, weights, lb))
    return 1;

  /* Compare the curves over windows of 8 steps (each batch four times): two SGD runs whose
   * arithmetic differs drift apart and back step by step, the trend must not. */
  double worst = 0, first_f = 0, first_b = 0, last_f = 0, last_b = 0;
  for (int s = 0; s < STEPS; s++)
    {
      printf ("# step %2d  loss fp32 %.4f  bf16 %.4f\n", s, lf[s], lb[s]);
      if (s < 4)
        first_f += lf[s] / 4, first_b += lb[s] / 4;
      if (s >= STEPS - 8)
        last_f += lf[s] / 8, last_b += lb[s] / 8;
    }
  for (int s = 0; s + 8 <= STEPS; s += 8)
    {
      double mf = 0, mb = 0;
      for (int k = 0; k < 8; k++)
        mf += lf[s + k] / 8, mb += lb[s + k] / 8;
      worst = fmax (worst, fabs (mb - mf) / mf);
    }
  printf ("%s - fp32 loss falls: %.4f -> %.4f (mean of the first 4 / last 8 steps)\n",
          last_f < 0.8 * first_f ? "ok" : "not ok", first_f, last_f);
  failed += !(last_f < 0.8 * first_f);
  printf ("%s - bf16 loss falls: %.4f -> %.4f\n", last_b < 0.8 * first_b ? "ok" : "not ok",
          first_b, last_b);
  failed += !(last_b < 0.8 * first_b);
  printf ("%s - bf16 tracks fp32: 8-step means at most %.1f %% apart (limit 10 %%)\n",
          worst <= 0.10 ? "ok" : "not ok", 100 * worst);
  failed += worst > 0.10;
  printf ("%s - bf16 ends where fp32 does: last 8 steps %.4f vs %.4f, %.1f %% apart (limit 5 %%)"
          "\n", fabs (last_b - last_f) <= 0.05 * last_f ? "ok" : "not ok", last_b, last_f,
          100 * fabs (last_b - last_f) / last_f);
  failed += fabs (last_b - last_f) > 0.05 * last_f;
  printf ("1..4\n");
  free (x);
  free (labels);
  free (rgb_s);
  return failed > 0;
}
