/* Benchmark of issue 20's tools (prints figures; not a test):
 *  1. response per action of the wand and the superpixel brush at 480x360 (targets < 16 ms) and
 *     2048x1536 (< 50 ms), and SLIC precompute per 480x360 image (< 150 ms on 2 cores);
 *     Then the same through the editing session as the window runs them (RlSession on a project
 *     holding the resized image): building the tool's edit (rl-tool-edit.h, with the wand's
 *     preview), applying it to the session's copy (rl_session_apply_edit: what the canvas
 *     shows), and the writer's commit to SQLite in the background (rl_session_flush), and the
 *     session's superpixel precompute (three sizes on two threads, rl-superpixel-prep.c);
 *  2. correction effort: CamVid val images with injected errors, the number of actions a
 *     scripted annotator needs to fix 95 % of the wrong pixels with the round brush alone and
 *     with the new tools as well (policy described at effort_image below).
 * Usage: bench-tools [CAMVID_DIR] [N_EFFORT_IMAGES]   (default $RELABEL_CAMVID, 6 images) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rl-image-io.h"
#include "rl-project.h"
#include "rl-session.h"
#include "rl-superpixel-prep.h"
#include "rl-superpixels.h"
#include "rl-tool-edit.h"
#include "rl-wand.h"

#define VOID 11
#define NCLS 11

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* CPU time of the calling thread: what a run costs however many other processes share the
 * cores (this machine is often loaded far beyond its cores; wall times are printed too). */
static double
cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Nearest-neighbour resize (H, W, C). */
static guint8 *
resize (const guint8 *src, int w, int h, int c, int W, int H)
{
  guint8 *dst = g_malloc ((gsize) W * H * c);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      memcpy (dst + ((gsize) y * W + x) * c, src + ((gsize) (y * h / H) * w + x * w / W) * c, c);
  return dst;
}

static void
on_ready (gint64 image_id, int size, gpointer data)
{
  (*(int *) data)++;
}

/* The session's precompute: all three sizes on its two threads, wall time until the last. */
static double
prep_ms (const guint8 *rgb, int W, int H, gint64 key)
{
  GMainContext *ctx = g_main_context_new ();
  int n = 0;
  RlSuperpixelPrep *prep = rl_superpixel_prep_new (ctx, on_ready, &n);
  double t0 = now_ms ();
  rl_superpixel_prep_start (prep, key, W, H, rgb);
  while (n < RL_SUPERPIXEL_N_SIZES)
    g_main_context_iteration (ctx, TRUE);
  double t = now_ms () - t0;
  rl_superpixel_prep_free (prep);
  while (g_main_context_pending (ctx))
    g_main_context_iteration (ctx, FALSE);
  g_main_context_unref (ctx);
  return t;
}

static void
count_cb (gpointer data)
{
  (*(int *) data)++;
}

/* The tools through RlSession on a one-image project at W x H. */
static void
bench_session (const guint8 *rgb, const guint8 *lab, int W, int H)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-bench-tools-XXXXXX", NULL);
  g_autofree char *images = g_build_filename (tmp, "ds", "images", NULL);
  g_autofree char *labels = g_build_filename (tmp, "ds", "labels", NULL);
  g_mkdir_with_parents (images, 0755);
  g_mkdir_with_parents (labels, 0755);
  g_autoptr (RlClassSpec) spec = rl_class_spec_camvid ();
  g_autofree char *json = rl_class_spec_to_json (spec);
  g_autofree char *json_path = g_build_filename (tmp, "ds", "classes.json", NULL);
  g_autofree char *ip = g_build_filename (images, "img.png", NULL);
  g_autofree char *lp = g_build_filename (labels, "img.png", NULL);
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  g_autofree char *proj = g_build_filename (tmp, "b.relabel", NULL);
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (json_path, json, -1, &error)
      || !rl_image_write_rgb_png (ip, W, H, rgb, &error)
      || !rl_label_write (lp, W, H, lab, NULL, &error))
    {
      fprintf (stderr, "bench-tools: %s\n", error->message);
      return;
    }
  {
    g_autoptr (RlProject) p = rl_project_open (proj, TRUE, &error);
    if (p == NULL || !rl_project_import (p, "folder", ds, NULL, NULL, NULL, NULL, NULL, &error))
      {
        fprintf (stderr, "bench-tools: %s\n", error->message);
        return;
      }
  }
  g_autoptr (RlSession) s = rl_session_new ();
  int ready = 0;
  g_signal_connect_swapped (s, "superpixels-ready", G_CALLBACK (count_cb), &ready);
  rl_session_open (s, proj);
  rl_session_flush (s);
  GPtrArray *imgs = rl_session_get_images (s);
  if (imgs == NULL || imgs->len != 1)
    return;
  rl_session_select_image (s, ((RlImageInfo *) imgs->pdata[0])->id);
  rl_session_flush (s);
  while (ready < RL_SUPERPIXEL_N_SIZES)
    g_main_context_iteration (NULL, TRUE);
  RlToolInput in = { rl_session_get_class_spec (s), W, H, NULL, NULL, "img" };
  rl_session_get_image (s, NULL, NULL, &in.rgb, &in.mask, NULL, NULL);
  g_autofree guint8 *preview = g_malloc ((gsize) W * H);
  GRand *rand = g_rand_new_with_seed (2);
  enum { N = 20 };
  double tb[N], ta[N], tc[N], sb[N], sa[N], sc[N];
  for (int i = 0; i < N; i++)
    {
      int x = g_rand_int_range (rand, 0, W), y = g_rand_int_range (rand, 0, H);
      double t0 = now_ms ();
      RlEdit *e = rl_tool_wand (&in, i % NCLS, x, y, 20, RL_PROTECT_NONE, preview, NULL);
      double t1 = now_ms ();
      rl_session_apply_edit (s, e, NULL, NULL);
      double t2 = now_ms ();
      rl_session_flush (s);
      double t3 = now_ms ();
      rl_edit_free (e);
      tb[i] = t1 - t0;
      ta[i] = t2 - t1;
      tc[i] = t3 - t2;
    }
  double scale = W / 480.0;
  int size = rl_superpixel_sizes[1];
  g_autoptr (RlSuperpixels) sp = rl_session_get_superpixels (s, size);
  for (int i = 0; i < N; i++)
    {
      double xy[16];
      double x = g_rand_double_range (rand, 0, W), y = g_rand_double_range (rand, 0, H);
      for (int k = 0; k < 8; k++)
        {
          xy[2 * k] = x + k * 12.5 * scale;
          xy[2 * k + 1] = y + k * 4 * scale;
        }
      RlShape stroke = { xy, 8, 8 * scale };
      double t0 = now_ms ();
      RlEdit *e = rl_tool_superpixel (&in, sp, i % NCLS, &stroke, RL_PROTECT_NONE, NULL);
      double t1 = now_ms ();
      rl_session_apply_edit (s, e, NULL, NULL);
      double t2 = now_ms ();
      rl_session_flush (s);
      double t3 = now_ms ();
      rl_edit_free (e);
      sb[i] = t1 - t0;
      sa[i] = t2 - t1;
      sc[i] = t3 - t2;
    }
  g_rand_free (rand);
  printf ("  through the session (%d actions each; median ms): wand: edit + preview %.2f, "
          "apply to the shown copy %.2f, = response %.2f; background commit %.1f\n", N,
          median (tb, N), median (ta, N), median (tb, N) + median (ta, N), median (tc, N));
  printf ("    superpixel brush (session's size %d superpixels, radius %.0f): edit %.2f, apply "
          "%.2f, = response %.2f; background commit %.1f\n", size, 8 * scale, median (sb, N),
          median (sa, N), median (sb, N) + median (sa, N), median (sc, N));
  g_clear_object (&s);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  if (system (rm) != 0)
    fprintf (stderr, "bench-tools: could not remove %s\n", tmp);
}

static void
bench_speed (const guint8 *rgb0, const guint8 *lab0, int w0, int h0)
{
  const int sizes[2][2] = { { 480, 360 }, { 2048, 1536 } };
  for (int s = 0; s < 2; s++)
    {
      int W = sizes[s][0], H = sizes[s][1];
      g_autofree guint8 *rgb = resize (rgb0, w0, h0, 3, W, H);
      g_autofree guint8 *lab = resize (lab0, w0, h0, 1, W, H);
      g_autofree guint8 *mask = g_malloc ((gsize) W * H);
      g_autofree guint8 *region = g_malloc ((gsize) W * H);
      double scale = W / 480.0;
      printf ("%dx%d:\n", W, H);
      for (int z = 0; z < RL_SUPERPIXEL_N_SIZES; z++)
        {
          int size = (int) lround (rl_superpixel_sizes[z] * scale);
          double t[3], tc[3];
          for (int r = 0; r < 3; r++)
            {
              double t0 = now_ms (), c0 = cpu_ms ();
              RlSuperpixels *sp = rl_superpixels_slic (rgb, W, H, size, 10.0);
              t[r] = now_ms () - t0;
              tc[r] = cpu_ms () - c0;
              rl_superpixels_unref (sp);
            }
          printf ("  SLIC precompute, size %d: %.1f ms wall, %.1f ms CPU (median of 3, one "
                  "thread)\n", size, median (t, 3), median (tc, 3));
        }
      /* Wand: 60 clicks on a fixed grid, tolerance 20, preview region and paint separately. */
      GRand *rand = g_rand_new_with_seed (1);
      double tw[60], tp[60];
      for (int i = 0; i < 60; i++)
        {
          int x = g_rand_int_range (rand, 0, W), y = g_rand_int_range (rand, 0, H);
          memcpy (mask, lab, (gsize) W * H);
          RlPaint paint = { (guint8) (i % NCLS), -1, VOID };
          double t0 = now_ms ();
          rl_wand_region (rgb, W, H, x, y, 20, mask, &paint, region);
          tp[i] = now_ms () - t0;
          t0 = now_ms ();
          rl_wand_paint (mask, rgb, W, H, x, y, 20, &paint);
          tw[i] = now_ms () - t0;
        }
      double tw_max = 0;
      for (int i = 0; i < 60; i++)
        tw_max = MAX (tw_max, tw[i]);
      printf ("  wand (tolerance 20): preview median %.2f ms, paint median %.2f ms, max %.2f ms"
              " (60 clicks)\n", median (tp, 60), median (tw, 60), tw_max);
      /* Superpixel brush: strokes of 8 points over 100 px (scaled), radius 8 (scaled), size 16
       * (scaled). */
      int size = (int) lround (16 * scale);
      RlSuperpixels *sp = rl_superpixels_slic (rgb, W, H, size, 10.0);
      double tb[60], tb_max = 0;
      for (int i = 0; i < 60; i++)
        {
          double xy[16];
          double x = g_rand_double_range (rand, 0, W), y = g_rand_double_range (rand, 0, H);
          for (int k = 0; k < 8; k++)
            {
              xy[2 * k] = x + k * 12.5 * scale;
              xy[2 * k + 1] = y + k * 4 * scale;
            }
          memcpy (mask, lab, (gsize) W * H);
          RlPaint paint = { (guint8) (i % NCLS), -1, VOID };
          double t0 = now_ms ();
          rl_superpixels_paint_stroke (sp, mask, &paint, 8 * scale, xy, 8);
          tb[i] = now_ms () - t0;
          tb_max = MAX (tb_max, tb[i]);
        }
      printf ("  superpixel brush (size %d, radius %.0f, 8-point stroke): median %.2f ms, max "
              "%.2f ms (60 strokes)\n", size, 8 * scale, median (tb, 60), tb_max);
      rl_superpixels_unref (sp);
      g_rand_free (rand);
      double tq[3];
      for (int r = 0; r < 3; r++)
        tq[r] = prep_ms (rgb, W, H, r);
      printf ("  session precompute, sizes 8, 16, 32 on two threads: %.1f ms until all three "
              "(median of 3)\n", median (tq, 3));
      bench_session (rgb, lab, W, H);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Correction effort. */

static guint
count_wrong (const guint8 *mask, const guint8 *gt, gsize n)
{
  guint wrong = 0;
  for (gsize k = 0; k < n; k++)
    wrong += gt[k] != VOID && mask[k] != gt[k];
  return wrong;
}

/* Injects errors into a copy of gt, seeded: 3 whole objects (4-connected GT regions of
 * 300..30000 pixels) given another class; one class's boundary moved 4 px outward (its
 * neighbours' pixels within 4 px take it: sloppy edges); 40 speckles (discs of radius 1..3, a
 * random class); 15 holes (void discs of radius 2..4). */
static guint8 *
inject_errors (const guint8 *gt, int w, int h, guint32 seed)
{
  gsize n = (gsize) w * h;
  guint8 *m = g_memdup2 (gt, n);
  GRand *rand = g_rand_new_with_seed (seed);
  /* Whole objects: flood GT regions from random seeds. */
  guint8 *region = g_malloc (n);
  g_autofree guint8 *fake_rgb = g_malloc (3 * n);
  for (gsize k = 0; k < n; k++)
    fake_rgb[3 * k] = fake_rgb[3 * k + 1] = fake_rgb[3 * k + 2] = gt[k] * 20;
  int swapped = 0;
  for (int tries = 0; tries < 500 && swapped < 3; tries++)
    {
      int x = g_rand_int_range (rand, 0, w), y = g_rand_int_range (rand, 0, h);
      if (gt[(gsize) y * w + x] == VOID)
        continue;
      guint size = rl_wand_region (fake_rgb, w, h, x, y, 0, NULL, NULL, region);
      if (size < 300 || size > 30000)
        continue;
      guint8 to = (guint8) ((gt[(gsize) y * w + x] + g_rand_int_range (rand, 1, NCLS)) % NCLS);
      for (gsize k = 0; k < n; k++)
        if (region[k])
          m[k] = to;
      swapped++;
    }
  /* Sloppy boundary of one class: dilate it by 4 px over its neighbours. */
  guint8 cls = (guint8) g_rand_int_range (rand, 0, NCLS);
  g_autofree guint8 *grown = g_memdup2 (m, n);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if (m[(gsize) y * w + x] == cls)
        for (int dy = -4; dy <= 4; dy++)
          for (int dx = -4; dx <= 4; dx++)
            {
              int xx = x + dx, yy = y + dy;
              if (xx >= 0 && yy >= 0 && xx < w && yy < h && dx * dx + dy * dy <= 16)
                grown[(gsize) yy * w + xx] = cls;
            }
  memcpy (m, grown, n);
  for (int i = 0; i < 55; i++)
    {
      double xy[2] = { g_rand_double_range (rand, 0, w), g_rand_double_range (rand, 0, h) };
      gboolean hole = i >= 40;
      double r = hole ? g_rand_double_range (rand, 2, 4) : g_rand_double_range (rand, 1, 3);
      RlPaint p = { hole ? VOID : (guint8) g_rand_int_range (rand, 0, NCLS), -1, VOID };
      rl_mask_paint_stroke (m, w, h, &p, r, xy, 1);
    }
  g_free (region);
  g_rand_free (rand);
  return m;
}

/* Chamfer (3-4) distance, in pixels, from each pixel to the nearest pixel of another GT value
 * (the image border counts as far away). */
static float *
distance_to_other (const guint8 *gt, int w, int h)
{
  gsize n = (gsize) w * h;
  float *d = g_new (float, n);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize k = (gsize) y * w + x;
        gboolean edge = (x > 0 && gt[k - 1] != gt[k]) || (x + 1 < w && gt[k + 1] != gt[k])
                        || (y > 0 && gt[k - w] != gt[k]) || (y + 1 < h && gt[k + w] != gt[k]);
        d[k] = edge ? 1.0f : 1e9f;
      }
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        gsize k = (gsize) y * w + x;
        if (x > 0)
          d[k] = MIN (d[k], d[k - 1] + 1.0f);
        if (y > 0)
          d[k] = MIN (d[k], d[k - w] + 1.0f);
        if (x > 0 && y > 0)
          d[k] = MIN (d[k], d[k - w - 1] + 1.3333f);
        if (x + 1 < w && y > 0)
          d[k] = MIN (d[k], d[k - w + 1] + 1.3333f);
      }
  for (int y = h - 1; y >= 0; y--)
    for (int x = w - 1; x >= 0; x--)
      {
        gsize k = (gsize) y * w + x;
        if (x + 1 < w)
          d[k] = MIN (d[k], d[k + 1] + 1.0f);
        if (y + 1 < h)
          d[k] = MIN (d[k], d[k + w] + 1.0f);
        if (x + 1 < w && y + 1 < h)
          d[k] = MIN (d[k], d[k + w + 1] + 1.3333f);
        if (x > 0 && y + 1 < h)
          d[k] = MIN (d[k], d[k + w - 1] + 1.3333f);
      }
  return d;
}

#define MAX_ACTIONS 3000
#define MAX_RADIUS 20.0

/* The scripted annotator. It knows the ground truth (an oracle) and repeats until at most 5 %
 * of the initially wrong pixels are wrong:
 *  - it looks at the wrong pixel deepest inside its true class region (largest distance to
 *    another GT class; ties: first in scan order) and the largest round-brush dab centred
 *    there that stays inside that region (radius 0.9 d - 0.5, at least 0.5, at most 20 px);
 *  - brush only: it makes that dab (one action = one dab; a drag would cover several dabs, so
 *    this counts dabs, the same unit for both arms);
 *  - with the tools: it also tries, and takes the one that removes the most wrong pixels (net
 *    of pixels it breaks; the dab wins ties): the wand at that pixel with the true class at
 *    tolerance 8, 16 or 32, the superpixel brush (a radius 0.5 dab) at that pixel at sizes 8,
 *    16 or 32, and the two whole-image clean-ups, islands < 64 px and holes < 64 px.
 * Returns the number of actions (MAX_ACTIONS when it gives up). */
static int
effort_image (const guint8 *rgb, const guint8 *gt, const guint8 *start, int w, int h,
              gboolean tools, RlSuperpixels **sp, int *n_used)
{
  gsize n = (gsize) w * h;
  g_autofree guint8 *m = g_memdup2 (start, n);
  g_autofree guint8 *trial = g_malloc (n);
  g_autofree guint8 *best = g_malloc (n);
  g_autofree float *dist = distance_to_other (gt, w, h);
  guint wrong0 = count_wrong (m, gt, n);
  guint goal = wrong0 / 20;
  guint wrong = wrong0;
  int actions = 0;
  while (wrong > goal && actions < MAX_ACTIONS)
    {
      gsize pick = 0;
      float dmax = -1;
      for (gsize k = 0; k < n; k++)
        if (gt[k] != VOID && m[k] != gt[k] && dist[k] > dmax)
          {
            dmax = dist[k];
            pick = k;
          }
      int x = (int) (pick % w), y = (int) (pick / w);
      guint8 cls = gt[pick];
      RlPaint paint = { cls, -1, VOID };
      /* The dab. */
      double r = CLAMP (0.9 * dmax - 0.5, 0.5, MAX_RADIUS);
      double c[2] = { x + 0.5, y + 0.5 };
      memcpy (best, m, n);
      rl_mask_paint_stroke (best, w, h, &paint, r, c, 1);
      guint best_wrong = count_wrong (best, gt, n);
      int best_tool = 0;
      if (tools)
        {
          for (int t = 0; t < 8; t++)
            {
              memcpy (trial, m, n);
              if (t < 3)
                rl_wand_paint (trial, rgb, w, h, x, y, 8 << t, &paint);
              else if (t < 6)
                rl_superpixels_paint_stroke (sp[t - 3], trial, &paint, 0.5, c, 1);
              else if (t == 6)
                rl_mask_remove_islands (trial, w, h, VOID, 64, NULL);
              else
                rl_mask_fill_holes (trial, w, h, VOID, 64, NULL);
              guint tw = count_wrong (trial, gt, n);
              if (tw < best_wrong)
                {
                  best_wrong = tw;
                  best_tool = 1 + t;
                  memcpy (best, trial, n);
                }
            }
        }
      n_used[best_tool]++;
      memcpy (m, best, n);
      wrong = best_wrong;
      actions++;
    }
  return actions;
}

int
main (int argc, char **argv)
{
  const char *camvid = argc > 1 ? argv[1] : g_getenv ("RELABEL_CAMVID");
  int n_effort = argc > 2 ? atoi (argv[2]) : 6;
  if (camvid == NULL)
    {
      fprintf (stderr, "usage: bench-tools CAMVID_DIR [N_EFFORT_IMAGES]\n");
      return 2;
    }
  g_autofree char *list_path = g_build_filename (camvid, "val.txt", NULL);
  g_autofree char *list = NULL;
  if (!g_file_get_contents (list_path, &list, NULL, NULL))
    {
      fprintf (stderr, "bench-tools: %s: cannot read\n", list_path);
      return 1;
    }
  g_auto (GStrv) lines = g_strsplit (list, "\n", -1);
  int total_brush = 0, total_tools = 0, n_done = 0;
  int used[9] = { 0 };
  const char *tool_names[9] = { "brush dab", "wand t8", "wand t16", "wand t32", "superpixel 8",
                                "superpixel 16", "superpixel 32", "islands<64", "holes<64" };
  guint total_wrong = 0;
  /* Every 16th val image, so the sample spans the sequence. */
  for (int i = 0; lines[i] && *lines[i] && n_done < MAX (n_effort, 1); i += 16)
    {
      g_auto (GStrv) parts = g_strsplit (lines[i], " ", 2);
      g_autofree char *img_base = g_path_get_basename (parts[0]);
      g_autofree char *lab_base = g_path_get_basename (parts[1]);
      g_autofree char *img_path = g_build_filename (camvid, "val", img_base, NULL);
      g_autofree char *lab_path = g_build_filename (camvid, "valannot", lab_base, NULL);
      int w, h, lw, lh;
      g_autofree guint8 *rgb = NULL, *gt = NULL;
      g_autoptr (GError) error = NULL;
      if (!rl_image_read_rgb (img_path, &w, &h, &rgb, &error)
          || !rl_label_read (lab_path, &lw, &lh, &gt, &error))
        {
          fprintf (stderr, "bench-tools: %s\n", error->message);
          return 1;
        }
      if (n_done == 0)
        {
          printf ("== response per action (image %s, resized for 2048x1536) ==\n", img_base);
          bench_speed (rgb, gt, w, h);
          if (n_effort == 0)
            return 0;
          printf ("\n== correction effort (actions to fix 95 %% of injected wrong pixels) ==\n");
        }
      g_autofree guint8 *start = inject_errors (gt, w, h, 1000 + i);
      RlSuperpixels *sp[3];
      for (int z = 0; z < 3; z++)
        sp[z] = rl_superpixels_slic (rgb, w, h, rl_superpixel_sizes[z], 10.0);
      int dummy[9] = { 0 };
      guint wrong0 = count_wrong (start, gt, (gsize) w * h);
      int a_brush = effort_image (rgb, gt, start, w, h, FALSE, sp, dummy);
      int a_tools = effort_image (rgb, gt, start, w, h, TRUE, sp, used);
      for (int z = 0; z < 3; z++)
        rl_superpixels_unref (sp[z]);
      printf ("  %s: %u wrong pixels; brush alone %d actions, with the tools %d\n", img_base,
              wrong0, a_brush, a_tools);
      fflush (stdout);
      total_brush += a_brush;
      total_tools += a_tools;
      total_wrong += wrong0;
      n_done++;
    }
  printf ("  total over %d images (%u wrong pixels): brush alone %d actions, with the tools %d "
          "(%.1fx fewer)\n", n_done, total_wrong, total_brush, total_tools,
          total_tools > 0 ? (double) total_brush / total_tools : 0.0);
  printf ("  actions taken with the tools:");
  for (int t = 0; t < 9; t++)
    printf (" %s %d%s", tool_names[t], used[t], t < 8 ? "," : "\n");
  return 0;
}
