/* Issue 20's correction tools on hand-made images with answers worked out by hand: the magic
 * wand (tolerance, protect, void, borders), clean-up (islands, holes, replace, accept in a
 * region), SLIC superpixels and the superpixel brush, and the same tools as undoable project
 * edits and CLI commands on a generated folder dataset; the same tool edits through the editing
 * session (superpixels computed there when the image opens) land in the project exactly as
 * through rl_project_* (the CLI's path). */
#include <glib/gstdio.h>
#include <string.h>

#include "rl-image-io.h"
#include "rl-project-tools.h"
#include "rl-session.h"

static const char *relabel_bin;

/* Asserts mask == want pixel by pixel, naming the first difference. */
static void
assert_mask (const guint8 *mask, const guint8 *want, int w, int h)
{
  for (int k = 0; k < w * h; k++)
    if (mask[k] != want[k])
      g_error ("pixel (%d, %d) is %u, expected %u", k % w, k / w, mask[k], want[k]);
}

/* 8x4 image: left half grey (100,100,100) except (1,1) at distance 10 and (2,2) at distance
 * 30; right half red. */
static guint8 *
wand_image (void)
{
  guint8 *rgb = g_malloc (8 * 4 * 3);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 8; x++)
      {
        guint8 *p = rgb + 3 * (y * 8 + x);
        if (x < 4)
          p[0] = p[1] = p[2] = 100;
        else
          p[0] = 200, p[1] = 0, p[2] = 0;
      }
  rgb[3 * (1 * 8 + 1)] = 110;
  rgb[3 * (2 * 8 + 2)] = 130;
  return rgb;
}

static void
test_wand_tolerance (void)
{
  g_autofree guint8 *rgb = wand_image ();
  guint8 region[32];
  /* Tolerance 0: equal colours only; 15 takes (1,1) (distance 10); 30 takes (2,2) too
   * (distance exactly 30 counts). */
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 0, 0, 0, NULL, NULL, region), ==, 14);
  g_assert_false (region[1 * 8 + 1] || region[2 * 8 + 2] || region[4]);
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 0, 0, 15, NULL, NULL, region), ==, 15);
  g_assert_true (region[1 * 8 + 1] && !region[2 * 8 + 2]);
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 0, 0, 30, NULL, NULL, region), ==, 16);
  /* The red half is 141 away from (100,100,100)... */
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 3, 3, 141, NULL, NULL, region), ==, 16);
  /* ...sqrt(100^2 + 2 * 100^2) = 173.2 units: 174 reaches everything. */
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 3, 3, 174, NULL, NULL, region), ==, 32);
  /* Image border: a click in the bottom-right corner takes the red half only. */
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 7, 3, 0, NULL, NULL, region), ==, 16);
  for (int k = 0; k < 32; k++)
    g_assert_cmpint (region[k], ==, (k % 8) >= 4);
  /* Outside the image: nothing, not a crash. */
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, 8, 0, 30, NULL, NULL, region), ==, 0);
  g_assert_cmpuint (rl_wand_region (rgb, 8, 4, -1, 2, 30, NULL, NULL, region), ==, 0);
}

static void
test_wand_protect_and_void (void)
{
  g_autofree guint8 *rgb = wand_image ();
  /* Labels: all void (11) except column x = 2 (class 5), a protected object across the grey. */
  guint8 mask[32], want[32];
  memset (mask, 11, sizeof mask);
  for (int y = 0; y < 4; y++)
    mask[y * 8 + 2] = 5;
  RlPaint protect = { 3, 11, 11 };
  /* The flood stops at the protected column: only columns 0 and 1 (8 pixels) are painted,
   * column 3 is not reached although it has the clicked colour. */
  g_assert_cmpuint (rl_wand_paint (mask, rgb, 8, 4, 0, 0, 30, &protect), ==, 8);
  memset (want, 11, sizeof want);
  for (int y = 0; y < 4; y++)
    {
      want[y * 8 + 0] = want[y * 8 + 1] = 3;
      want[y * 8 + 2] = 5;
    }
  assert_mask (mask, want, 8, 4);
  /* A click on a protected pixel paints nothing. */
  g_assert_cmpuint (rl_wand_paint (mask, rgb, 8, 4, 2, 0, 30, &protect), ==, 0);
  /* Without protect the whole grey half becomes 3 (the 12 pixels not yet 3). */
  RlPaint plain = { 3, -1, 11 };
  g_assert_cmpuint (rl_wand_paint (mask, rgb, 8, 4, 0, 0, 30, &plain), ==, 8);
  /* Painting void erases: the grey half back to void. */
  RlPaint erase = { 11, -1, 11 };
  g_assert_cmpuint (rl_wand_paint (mask, rgb, 8, 4, 1, 2, 30, &erase), ==, 16);
  for (int k = 0; k < 32; k++)
    g_assert_cmpint (mask[k], ==, 11);
}

static void
test_islands (void)
{
  /* Hand-made 6x5 mask (void 11):
   *   1 1 1 1 2 2
   *   1 3 1 1 2 2        3 at (1,1): 1 pixel inside 1
   *   1 1 1 1 2 2
   *   4 4 1 1 2 2        the 4 block: 4 pixels on the left/bottom border, touching only 1
   *   4 4 1 1 2 5        5 in the corner: both neighbours, (4,4) and (5,3), are 2 */
  const guint8 start[30] = { 1, 1, 1, 1, 2, 2, 1, 3, 1, 1, 2, 2, 1, 1, 1, 1, 2, 2,
                             4, 4, 1, 1, 2, 2, 4, 4, 1, 1, 2, 5 };
  guint8 mask[30], want[30];
  memcpy (mask, start, 30);
  /* Under 2 pixels: the 3 and the 5. */
  g_assert_cmpuint (rl_mask_remove_islands (mask, 6, 5, 11, 2, NULL), ==, 2);
  memcpy (want, start, 30);
  want[7] = 1;
  want[29] = 2;
  assert_mask (mask, want, 6, 5);
  /* Under 5 pixels: the 4 block as well (its neighbours are all 1). */
  memcpy (mask, start, 30);
  g_assert_cmpuint (rl_mask_remove_islands (mask, 6, 5, 11, 5, NULL), ==, 6);
  want[18] = want[19] = want[24] = want[25] = 1;
  assert_mask (mask, want, 6, 5);
  /* A paint rule that protects class 4 keeps the block. */
  memcpy (mask, start, 30);
  RlPaint keep4 = { 0, 1, 11 };   /* only 1 or void may change: nothing here is either */
  g_assert_cmpuint (rl_mask_remove_islands (mask, 6, 5, 11, 5, &keep4), ==, 0);

  /* An island with only void around it becomes void; one touching a class takes the class
   * even when void is the majority. */
  guint8 v[9] = { 11, 11, 11, 11, 3, 11, 11, 11, 11 };
  g_assert_cmpuint (rl_mask_remove_islands (v, 3, 3, 11, 2, NULL), ==, 1);
  g_assert_cmpint (v[4], ==, 11);
  guint8 v2[9] = { 11, 11, 11, 11, 3, 7, 11, 11, 11 };
  /* 3 (1 px) touches 7 once and void three times -> 7; 7 (1 px) touches 3 -> 3: decided on
   * the mask as it was, so they swap. */
  g_assert_cmpuint (rl_mask_remove_islands (v2, 3, 3, 11, 2, NULL), ==, 2);
  g_assert_cmpint (v2[4], ==, 7);
  g_assert_cmpint (v2[5], ==, 3);
  /* One region covering the image touches nothing: it stays. */
  guint8 one[4] = { 2, 2, 2, 2 };
  g_assert_cmpuint (rl_mask_remove_islands (one, 2, 2, 11, 100, NULL), ==, 0);
}

static void
test_holes (void)
{
  /* 5x4, void 11:
   *  11 11 1 1 2        void at (0,0),(1,0),(0,1): 3 pixels on the border; neighbours 1 at
   *  11  1 1 1 2        (2,0), (1,1) twice [(1,1) is below (1,0) and right of (0,1)], 1 at
   *   1  1 1 11 2       (0,2): 1 wins.   (3,2)-(3,3): 2-pixel hole, neighbours 1 x3, 2 x2 -> 1
   *   1  1 1 11 2 */
  const guint8 start[20] = { 11, 11, 1, 1, 2, 11, 1, 1, 1, 2, 1, 1, 1, 11, 2, 1, 1, 1, 11, 2 };
  guint8 mask[20], want[20];
  memcpy (mask, start, 20);
  g_assert_cmpuint (rl_mask_fill_holes (mask, 5, 4, 11, 3, NULL), ==, 2);
  memcpy (want, start, 20);
  want[13] = want[18] = 1;
  assert_mask (mask, want, 5, 4);
  memcpy (mask, start, 20);
  g_assert_cmpuint (rl_mask_fill_holes (mask, 5, 4, 11, 4, NULL), ==, 5);
  want[0] = want[1] = want[5] = 1;
  assert_mask (mask, want, 5, 4);
  /* Islands of classes are not holes. */
  memcpy (mask, start, 20);
  mask[4] = 7;
  g_assert_cmpuint (rl_mask_fill_holes (mask, 5, 4, 11, 2, NULL), ==, 0);
}

static void
test_replace_and_accept_in_region (void)
{
  /* 5x5 of class 1 with row 2 of class 2. The polygon (0,0)-(3,0)-(3,5)-(0,5) covers columns
   * 0..2 (pixel centres 0.5..2.5): replace 2 -> 4 changes (0..2, 2). */
  guint8 mask[25], region[25];
  memset (mask, 1, 25);
  memset (mask + 10, 2, 5);
  const double poly[] = { 0, 0, 3, 0, 3, 5, 0, 5 };
  g_assert_cmpuint (rl_mask_polygon_region (region, 5, 5, poly, 4), ==, 15);
  g_assert_cmpuint (rl_mask_replace_in_region (mask, 5, 5, region, 2, 4), ==, 3);
  for (int x = 0; x < 5; x++)
    g_assert_cmpint (mask[10 + x], ==, x < 3 ? 4 : 2);
  g_assert_cmpint (mask[0], ==, 1);

  /* Accept the prediction (all 7) along row 0 (radius 0.5 stroke through the pixel centres);
   * with protect only the void pixels (1 and 3) take it. */
  const guint8 row0[5] = { 1, 11, 1, 11, 1 };
  memcpy (mask, row0, 5);
  guint8 pred[25];
  memset (pred, 7, 25);
  const double stroke[] = { 0.5, 0.5, 4.5, 0.5 };
  g_assert_cmpuint (rl_mask_stroke_region (region, 5, 5, 0.5, stroke, 2), ==, 5);
  RlPaint protect = { 0, 11, 11 };
  g_assert_cmpuint (rl_mask_copy_in_region (mask, 5, 5, region, pred, &protect), ==, 2);
  const guint8 want_p[5] = { 1, 7, 1, 7, 1 };
  g_assert_cmpmem (mask, 5, want_p, 5);
  g_assert_cmpuint (rl_mask_copy_in_region (mask, 5, 5, region, pred, NULL), ==, 3);
  g_assert_cmpint (mask[5], ==, 1);   /* outside the region: unchanged */
}

/* 64x48 of four flat colour quadrants split at x = 24 and y = 20 (not on the 8-pixel grid). */
static guint8 *
quadrant_image (void)
{
  static const guint8 colours[4][3] = { { 20, 20, 20 }, { 230, 40, 40 }, { 40, 200, 60 },
                                        { 50, 60, 220 } };
  guint8 *rgb = g_malloc (64 * 48 * 3);
  for (int y = 0; y < 48; y++)
    for (int x = 0; x < 64; x++)
      memcpy (rgb + 3 * (y * 64 + x), colours[(x >= 24) + 2 * (y >= 20)], 3);
  return rgb;
}

static void
test_slic (void)
{
  g_autofree guint8 *rgb = quadrant_image ();
  g_autoptr (RlSuperpixels) sp = rl_superpixels_slic (rgb, 64, 48, 8, 10.0);
  g_assert_nonnull (sp);
  /* A grid of 8 x 6 seeds; connectivity enforcement may merge or split a few. */
  g_assert_cmpint (sp->n, >=, 30);
  g_assert_cmpint (sp->n, <=, 70);
  /* Every label in range, each superpixel non-empty, 4-connected, within one quadrant, and the
   * pixel lists agree with the label image. */
  for (int s = 0; s < sp->n; s++)
    {
      g_assert_cmpint (sp->start[s + 1], >, sp->start[s]);
      int q0 = -1;
      for (gint32 i = sp->start[s]; i < sp->start[s + 1]; i++)
        {
          gint32 k = sp->pixels[i];
          g_assert_cmpint (sp->labels[k], ==, s);
          int q = (k % 64 >= 24) + 2 * (k / 64 >= 20);
          if (q0 < 0)
            q0 = q;
          if (q != q0)
            g_error ("superpixel %d spans two colour regions (at pixel %d, %d)", s, k % 64,
                     k / 64);
        }
      /* Connected: a flood from its first pixel over its label reaches all its pixels. */
      guint8 seen[64 * 48] = { 0 };
      GArray *stack = g_array_new (FALSE, FALSE, sizeof (gint32));
      g_array_append_val (stack, sp->pixels[sp->start[s]]);
      seen[sp->pixels[sp->start[s]]] = 1;
      int reached = 0;
      while (stack->len > 0)
        {
          gint32 p = g_array_index (stack, gint32, stack->len - 1);
          g_array_set_size (stack, stack->len - 1);
          reached++;
          int x = p % 64, y = p / 64;
          gint32 nb[4] = { x > 0 ? p - 1 : -1, x < 63 ? p + 1 : -1, y > 0 ? p - 64 : -1,
                           y < 47 ? p + 64 : -1 };
          for (int d = 0; d < 4; d++)
            if (nb[d] >= 0 && !seen[nb[d]] && sp->labels[nb[d]] == s)
              {
                seen[nb[d]] = 1;
                g_array_append_val (stack, nb[d]);
              }
        }
      g_array_free (stack, TRUE);
      g_assert_cmpint (reached, ==, sp->start[s + 1] - sp->start[s]);
    }
  g_assert_cmpint (sp->start[sp->n], ==, 64 * 48);
  /* The colour edges are superpixel boundaries. */
  guint8 bound[64 * 48];
  rl_superpixels_boundaries (sp, bound);
  for (int y = 0; y < 48; y++)
    g_assert_true (bound[y * 64 + 23]);
  for (int x = 0; x < 64; x++)
    g_assert_true (bound[19 * 64 + x]);
  /* Deterministic. */
  g_autoptr (RlSuperpixels) again = rl_superpixels_slic (rgb, 64, 48, 8, 10.0);
  g_assert_cmpint (again->n, ==, sp->n);
  g_assert_cmpmem (again->labels, 64 * 48 * 4, sp->labels, 64 * 48 * 4);
  /* Bad arguments. */
  g_assert_null (rl_superpixels_slic (rgb, 64, 48, 1, 10.0));
  g_assert_null (rl_superpixels_slic (rgb, 0, 48, 8, 10.0));
}

static void
test_superpixel_brush (void)
{
  g_autofree guint8 *rgb = quadrant_image ();
  g_autoptr (RlSuperpixels) sp = rl_superpixels_slic (rgb, 64, 48, 8, 10.0);
  guint8 mask[64 * 48], region[64 * 48];
  memset (mask, 11, sizeof mask);
  /* One pixel touched (radius 0.5 at its centre) paints exactly its superpixel. */
  int s = sp->labels[10 * 64 + 10];
  guint size = (guint) (sp->start[s + 1] - sp->start[s]);
  const double pt[] = { 10.5, 10.5 };
  g_assert_cmpuint (rl_superpixels_stroke_region (sp, 0.5, pt, 1, region), ==, size);
  RlPaint paint = { 4, -1, 11 };
  g_assert_cmpuint (rl_superpixels_paint_stroke (sp, mask, &paint, 0.5, pt, 1), ==, size);
  for (int k = 0; k < 64 * 48; k++)
    g_assert_cmpint (mask[k], ==, sp->labels[k] == s ? 4 : 11);
  /* A stroke along the image's top border (partly outside) touches the superpixels of the
   * top row of pixels and nothing below them. */
  const double top[] = { -5.0, 0.5, 70.0, 0.5 };
  guint n = rl_superpixels_stroke_region (sp, 0.5, top, 2, region);
  guint8 want[64 * 48] = { 0 };
  guint want_n = 0;
  for (int k = 0; k < 64 * 48; k++)
    for (int x = 0; x < 64; x++)
      if (sp->labels[k] == sp->labels[x])
        {
          want[k] = 1;
          want_n++;
          break;
        }
  g_assert_cmpuint (n, ==, want_n);
  assert_mask (region, want, 64, 48);
  /* Protect: the superpixel painted 4 above keeps its class when class 6 is brushed over it
   * with protect, the void pixels around take 6. */
  RlPaint protect = { 6, 11, 11 };
  guint changed = rl_superpixels_paint_stroke (sp, mask, &protect, 0.5, top, 2);
  for (int k = 0; k < 64 * 48; k++)
    if (want[k])
      g_assert_cmpint (mask[k], ==, sp->labels[k] == s ? 4 : 6);
  g_assert_cmpuint (changed, ==, want_n - (sp->labels[10] == s ? size : 0));
  /* Entirely outside: nothing. */
  const double out[] = { -20.0, -20.0 };
  g_assert_cmpuint (rl_superpixels_paint_stroke (sp, mask, &paint, 3.0, out, 1), ==, 0);

  /* The cache hands back the same object and recomputes after it is dropped. */
  g_autoptr (RlSuperpixelCache) cache = rl_superpixel_cache_new (1);
  g_autoptr (RlSuperpixels) a = rl_superpixel_cache_get (cache, 7, rgb, 64, 48, 8);
  g_autoptr (RlSuperpixels) b = rl_superpixel_cache_lookup (cache, 7, 8);
  g_assert_true (a == b);
  g_assert_null (rl_superpixel_cache_lookup (cache, 7, 16));
  g_autoptr (RlSuperpixels) c = rl_superpixel_cache_get (cache, 8, rgb, 64, 48, 8);
  g_assert_null (rl_superpixel_cache_lookup (cache, 7, 8));   /* evicted (1 entry) */
  g_assert_cmpmem (c->labels, 64 * 48 * 4, a->labels, 64 * 48 * 4);
}

/* Region edits with a value per pixel (the clean-up's): applied where the region is set, a value
 * that is no class refused with nothing changed; a region's anchor is its click when given. */
static void
test_region_values (void)
{
  g_autoptr (RlClassSpec) spec = rl_class_spec_camvid ();   /* 11 classes, void 11 */
  guint8 mask[4 * 3] = { 0, 0, 1, 1, 0, 2, 2, 1, 11, 11, 3, 3 };
  guint8 want[4 * 3];
  memcpy (want, mask, sizeof mask);
  RlEditTarget t = { spec, 4, 3, NULL, NULL, "test" };
  g_autoptr (RlEdit) e = rl_edit_new (RL_EDIT_REGION, "fill-holes");
  e->source = RL_EDIT_SOURCE_VALUES;
  e->region_x = 0;
  e->region_y = 1;
  e->region_w = 2;
  e->region_h = 2;
  e->region = g_memdup2 ((guint8[]) { 0, 1, 1, 1 }, 4);
  e->values = g_memdup2 ((guint8[]) { 9, 4, 5, 6 }, 4);
  guint n = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (rl_edit_apply (e, &t, mask, &n, NULL, &error));
  g_assert_no_error (error);
  want[5] = 4;   /* (1, 1) */
  want[8] = 5;   /* (0, 2) */
  want[9] = 6;   /* (1, 2) */
  g_assert_cmpuint (n, ==, 3);
  assert_mask (mask, want, 4, 3);
  /* a value outside the classes: refused, nothing changes */
  e->values[3] = 12;
  g_assert_false (rl_edit_apply (e, &t, mask, &n, NULL, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID);
  g_clear_error (&error);
  assert_mask (mask, want, 4, 3);
  /* the anchor of a region with a point is that point: protect keeps other classes */
  g_autoptr (RlEdit) r = rl_edit_new (RL_EDIT_REGION, "wand");
  r->cls = 7;
  r->protect = RL_PROTECT_ANCHOR;
  r->region_x = 0;
  r->region_y = 0;
  r->region_w = 4;
  r->region_h = 1;
  r->region = g_memdup2 ((guint8[]) { 1, 1, 1, 1 }, 4);
  rl_edit_set_points (r, (double[]) { 2.5, 0.5 }, 1);   /* on class 1 */
  g_assert_true (rl_edit_apply (r, &t, mask, &n, NULL, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (mask[0], ==, 0);
  g_assert_cmpint (mask[2], ==, 7);
  g_assert_cmpint (mask[3], ==, 7);
}

/* ---------------------------------------------------------------------------------------- */
/* The tools as project edits on a generated folder dataset: one 16x12 image (left half grey,
 * right half blue), labels all class 0 of 3 classes, void 255. */

static char *
make_dataset (const char *dir)
{
  g_autofree char *ds = g_build_filename (dir, "ds", NULL);
  g_autofree char *images = g_build_filename (ds, "images", NULL);
  g_autofree char *labels = g_build_filename (ds, "labels", NULL);
  g_assert_cmpint (g_mkdir_with_parents (images, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (labels, 0755), ==, 0);
  g_autofree char *json = g_build_filename (ds, "classes.json", NULL);
  g_assert_true (g_file_set_contents (
    json, "{\"classes\": [{\"name\": \"a\", \"color\": [10,10,10]}, {\"name\": \"b\", \"color\": "
          "[200,0,0]}, {\"name\": \"c\", \"color\": [0,200,0]}], \"ignore_index\": 255}", -1,
    NULL));
  guint8 rgb[16 * 12 * 3], lab[16 * 12];
  for (int k = 0; k < 16 * 12; k++)
    {
      gboolean left = k % 16 < 8;
      rgb[3 * k] = left ? 120 : 0;
      rgb[3 * k + 1] = left ? 120 : 0;
      rgb[3 * k + 2] = left ? 120 : 255;
      lab[k] = 0;
    }
  lab[5 * 16 + 3] = 2;   /* a 1-pixel island of c */
  lab[9 * 16 + 12] = 255;   /* a 1-pixel hole */
  g_autoptr (GError) error = NULL;
  g_autofree char *img = g_build_filename (images, "img.png", NULL);
  g_autofree char *lbl = g_build_filename (labels, "img.png", NULL);
  g_assert_true (rl_image_write_rgb_png (img, 16, 12, rgb, &error));
  g_assert_true (rl_label_write (lbl, 16, 12, lab, NULL, &error));
  return g_steal_pointer (&ds);
}

static char *
last_tool (RlProject *p, gint64 id)
{
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, id, NULL);
  g_assert_nonnull (edits);
  g_assert_cmpuint (edits->len, >, 0);
  RlEditInfo *e = edits->pdata[edits->len - 1];
  return g_strdup (e->tool);
}

static void
test_project_edits (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-tools-XXXXXX", NULL);
  g_autofree char *ds = make_dataset (tmp);
  g_autofree char *path = g_build_filename (tmp, "p.relabel", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (rl_project_import (p, "folder", ds, NULL, NULL, NULL, NULL, NULL, &error));
  g_autoptr (RlImageInfo) info = rl_project_find_image (p, "img", &error);
  g_assert_nonnull (info);
  gint64 id = info->id;
  guint n = 0;

  /* Wand on the left half (96 pixels, one of them already... no: the island is class c, the
   * wand paints it too: 96 pixels change). */
  g_assert_true (rl_project_wand (p, id, NULL, 1, 0, 0, 10, FALSE, &n, &error));
  g_assert_cmpuint (n, ==, 96);
  g_autofree char *t1 = last_tool (p, id);
  g_assert_cmpstr (t1, ==, "wand");
  gboolean done = FALSE;
  g_assert_true (rl_project_undo (p, id, &done, &error));
  g_assert_true (done);
  /* Protect other classes (the brush's X): only pixels of the clicked class (a) or void
   * change, and the flood goes round the island of c: 95 pixels, the island stays. */
  g_assert_true (rl_project_wand (p, id, NULL, 1, 0, 0, 10, TRUE, &n, &error));
  g_assert_cmpuint (n, ==, 95);
  {
    int pw, ph;
    g_autofree guint8 *pm = NULL;
    g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &pw, &ph, &pm, &error));
    g_assert_cmpint (pm[5 * 16 + 3], ==, 2);
    g_assert_cmpint (pm[0], ==, 1);
  }
  g_assert_true (rl_project_undo (p, id, &done, &error));
  g_assert_true (done);
  /* A click on the island with protect paints only the island (its class, bounded by a). */
  g_assert_true (rl_project_wand (p, id, NULL, 1, 3, 5, 10, TRUE, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (rl_project_undo (p, id, &done, &error));
  /* Errors: a class out of range and a point outside change nothing. */
  g_assert_false (rl_project_wand (p, id, NULL, 3, 0, 0, 10, FALSE, &n, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (rl_project_wand (p, id, NULL, 1, 16, 0, 10, FALSE, &n, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "image 'img': point (16, 0) is outside image"));
  g_clear_error (&error);

  /* Clean-up: the island and the hole, one step each. */
  g_assert_true (rl_project_remove_islands (p, id, 2, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (rl_project_fill_holes (p, id, 2, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  g_autofree char *t2 = last_tool (p, id);
  g_assert_cmpstr (t2, ==, "fill-holes");
  int w, h;
  g_autofree guint8 *m = NULL;
  g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &m, &error));
  for (int k = 0; k < w * h; k++)
    g_assert_cmpint (m[k], ==, 0);
  g_assert_false (rl_project_fill_holes (p, id, 1, &n, &error));
  g_clear_error (&error);

  /* Superpixel brush at size 4: a dot in the blue half paints its superpixel, which stays in
   * the blue half (the colour edge is at x = 8, on the grid). */
  RlShape dot = { (const double[]) { 12.5, 6.5 }, 1, 0.5 };
  g_assert_true (rl_project_superpixel_paint (p, id, NULL, 4, 2, &dot, FALSE, &n, &error));
  g_assert_cmpuint (n, >, 0);
  g_clear_pointer (&m, g_free);
  g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &m, &error));
  guint twos = 0;
  for (int k = 0; k < w * h; k++)
    if (m[k] == 2)
      {
        g_assert_cmpint (k % 16, >=, 8);
        twos++;
      }
  g_assert_cmpuint (twos, ==, n);
  g_assert_true (m[6 * 16 + 12] == 2);

  /* Replace c by b inside a polygon over the right half: exactly those pixels. */
  RlShape right = { (const double[]) { 8, 0, 16, 0, 16, 12, 8, 12 }, 4, 0 };
  g_assert_true (rl_project_replace_class (p, id, 2, 1, &right, &n, &error));
  g_assert_cmpuint (n, ==, twos);
  /* A polygon outside the image is refused. */
  RlShape away = { (const double[]) { 100, 100, 120, 100, 120, 120 }, 3, 0 };
  g_assert_false (rl_project_replace_class (p, id, 1, 0, &away, &n, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID);
  g_clear_error (&error);
  /* No prediction stored: accept-in-region says so. */
  g_assert_false (rl_project_accept_prediction_in (p, id, &right, FALSE, &n, &error));
  g_assert_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Undo walks back replace, superpixel, holes, islands: the original labels again. */
  for (int i = 0; i < 4; i++)
    g_assert_true (rl_project_undo (p, id, &done, &error) && done);
  g_clear_pointer (&m, g_free);
  g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &m, &error));
  g_assert_cmpint (m[5 * 16 + 3], ==, 2);
  g_assert_cmpint (m[9 * 16 + 12], ==, 255);
  g_clear_pointer (&p, rl_project_close);

  /* The CLI: same meaning, exit codes 0 / 1 / 2. */
  struct { const char *args; int rc; const char *out; } cases[] = {
    { "wand --image img --class b --at 0,0 --tolerance 10", 0, "96 pixels changed" },
    { "cleanup --image img --islands 2", 0, "0 pixels changed" },   /* the wand took it */
    { "cleanup --image img --holes 2", 0, "1 pixel changed" },
    { "superpixel --image img --class c --radius 0.5 --stroke 12,6 --size 4", 0, "changed" },
    { "cleanup --image img --replace c --by a --polygon \"8,0 16,0 16,12 8,12\"", 0, "changed" },
    { "cleanup --image img --replace c --by a --stroke 1,1 --radius 2", 0, "0 pixels" },
    { "wand --image img --class b --at 99,0", 1, "outside image" },
    { "wand --image img --class zebra --at 0,0", 1, "unknown class" },
    { "cleanup --image img --islands 2 --holes 2", 2, "exactly one" },
    { "cleanup --image img --replace c --by a", 2, "--stroke" },
    { "superpixel --image img --class c --stroke 1,1", 2, "--radius" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *cmd = g_strdup_printf ("%s %s --project %s", relabel_bin, cases[i].args,
                                              path);
      g_autofree char *out = NULL, *err = NULL;
      int status = 0;
      g_assert_true (g_spawn_command_line_sync (cmd, &out, &err, &status, NULL));
      int rc = WIFEXITED (status) ? WEXITSTATUS (status) : -1;
      if (rc != cases[i].rc || (!strstr (out, cases[i].out) && !strstr (err, cases[i].out)))
        g_error ("%s: exit %d (want %d), out '%s', err '%s'", cases[i].args, rc, cases[i].rc,
                 out, err);
    }
  p = rl_project_open (path, FALSE, &error);
  g_assert_nonnull (p);
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, id, &error);
  g_assert_cmpuint (edits->len, ==, 4);   /* wand, holes, superpixel, replace */
  g_clear_pointer (&p, rl_project_close);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

static void
count_ready (RlSession *s, gint64 id, int size, guint *mask_bits)
{
  for (int i = 0; i < RL_SUPERPIXEL_N_SIZES; i++)
    if (size == rl_superpixel_sizes[i])
      *mask_bits |= 1u << i;
}

static gboolean
timeout_cb (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

static guint8 *
current_of (const char *path, gint64 id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  g_assert_no_error (error);
  int w, h;
  guint8 *m = NULL;
  g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &m, &error));
  return m;
}

/* The GUI's path (tool edit built from the session's image, applied by the session, written by
 * its writer) against the CLI's (rl_project_* on a copy of the project): the same masks. */
static void
test_session_tools (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("rl-tools-XXXXXX", NULL);
  g_autofree char *ds = make_dataset (tmp);
  g_autofree char *path = g_build_filename (tmp, "gui.relabel", NULL);
  g_autofree char *cli = g_build_filename (tmp, "cli.relabel", NULL);
  g_autoptr (GError) error = NULL;
  gint64 id;
  {
    g_autoptr (RlProject) p = rl_project_open (path, TRUE, &error);
    g_assert_no_error (error);
    g_assert_true (rl_project_import (p, "folder", ds, NULL, NULL, NULL, NULL, NULL, &error));
    g_autoptr (RlImageInfo) info = rl_project_find_image (p, "img", &error);
    id = info->id;
  }
  g_autofree char *cp = g_strdup_printf ("cp '%s' '%s'", path, cli);
  g_assert_cmpint (system (cp), ==, 0);
  g_autoptr (RlProject) c = rl_project_open (cli, FALSE, &error);
  g_assert_no_error (error);

  g_autoptr (RlSession) s = rl_session_new ();
  guint ready = 0;
  g_signal_connect (s, "superpixels-ready", G_CALLBACK (count_ready), &ready);
  rl_session_open (s, path);
  rl_session_flush (s);
  rl_session_select_image (s, id);
  rl_session_flush (s);
  guint timer = g_timeout_add_seconds (20, timeout_cb, (gpointer) "superpixels-ready");
  while (ready != (1u << RL_SUPERPIXEL_N_SIZES) - 1)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timer);
  for (int i = 0; i < RL_SUPERPIXEL_N_SIZES; i++)
    {
      g_autoptr (RlSuperpixels) sp = rl_session_get_superpixels (s, rl_superpixel_sizes[i]);
      g_assert_nonnull (sp);
      g_assert_cmpint (sp->size, ==, rl_superpixel_sizes[i]);
    }

  int w, h;
  const guint8 *rgb, *cur;
  g_assert_true (rl_session_get_image (s, &w, &h, &rgb, &cur, NULL, NULL));
  RlToolInput in = { rl_session_get_class_spec (s), w, h, rgb, cur, "img" };
  guint n_gui = 0, n_cli = 0;

  /* wand with protect, then the superpixel brush at size 8 from the session's cache */
  g_autoptr (RlEdit) wand = rl_tool_wand (&in, 1, 0, 0, 10, RL_PROTECT_ANCHOR, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (rl_session_apply_edit (s, wand, &n_gui, &error));
  g_assert_true (rl_project_wand (c, id, NULL, 1, 0, 0, 10, TRUE, &n_cli, &error));
  g_assert_cmpuint (n_gui, ==, 95);
  g_assert_cmpuint (n_cli, ==, n_gui);

  g_autoptr (RlSuperpixels) sp8 = rl_session_get_superpixels (s, 8);
  RlShape dot = { (const double[]) { 12.5, 6.5 }, 1, 0.5 };
  g_autoptr (RlEdit) brush = rl_tool_superpixel (&in, sp8, 2, &dot, RL_PROTECT_NONE, &error);
  g_assert_nonnull (brush);
  g_assert_true (rl_session_apply_edit (s, brush, &n_gui, &error));
  g_assert_true (rl_project_superpixel_paint (c, id, NULL, 8, 2, &dot, FALSE, &n_cli, &error));
  g_assert_cmpuint (n_gui, >, 0);
  g_assert_cmpuint (n_cli, ==, n_gui);

  /* clean-up: islands with per-pixel values, then replace in a polygon */
  g_autoptr (RlEdit) isl = rl_tool_remove_islands (&in, 2, &error);
  g_assert_true (rl_session_apply_edit (s, isl, &n_gui, &error));
  g_assert_true (rl_project_remove_islands (c, id, 2, &n_cli, &error));
  g_assert_cmpuint (n_cli, ==, n_gui);
  RlShape right = { (const double[]) { 8, 0, 16, 0, 16, 12, 8, 12 }, 4, 0 };
  g_autoptr (RlEdit) rep = rl_tool_replace_class (&in, 2, 0, &right, &error);
  g_assert_true (rl_session_apply_edit (s, rep, &n_gui, &error));
  g_assert_true (rl_project_replace_class (c, id, 2, 0, &right, &n_cli, &error));
  g_assert_cmpuint (n_cli, ==, n_gui);
  g_assert_no_error (error);
  rl_session_flush (s);

  g_autofree guint8 *a = current_of (path, id);
  g_autofree guint8 *b = current_of (cli, id);
  assert_mask (a, b, 16, 12);
  assert_mask (cur, b, 16, 12);   /* the session's copy too */
  g_clear_object (&s);
  g_clear_pointer (&c, rl_project_close);
  g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  relabel_bin = g_getenv ("RELABEL_BIN");
  if (relabel_bin == NULL)
    g_error ("RELABEL_BIN must be set (run through meson test)");
  g_test_add_func ("/tools/wand/tolerance", test_wand_tolerance);
  g_test_add_func ("/tools/wand/protect-void", test_wand_protect_and_void);
  g_test_add_func ("/tools/cleanup/islands", test_islands);
  g_test_add_func ("/tools/cleanup/holes", test_holes);
  g_test_add_func ("/tools/cleanup/regions", test_replace_and_accept_in_region);
  g_test_add_func ("/tools/superpixels/slic", test_slic);
  g_test_add_func ("/tools/superpixels/brush", test_superpixel_brush);
  g_test_add_func ("/tools/edit/region-values", test_region_values);
  g_test_add_func ("/tools/project", test_project_edits);
  g_test_add_func ("/tools/session", test_session_tools);
  return g_test_run ();
}
