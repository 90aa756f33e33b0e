/* Unit tests of the mask operations against hand-checked pixel sets: round brush (radius 0.5, 1,
 * 1.5, segments, clipping at the border, protect mode), flood fill regions and polygon fill. */
#include <string.h>

#include "rl-mask-ops.h"

#define W 5
#define H 5

/* Asserts that mask holds `value` exactly at the listed pixels and `bg` everywhere else. */
static void
assert_pixels (const guint8 *mask, int width, int height, guint8 bg, guint8 value,
               const int *xy, int n)
{
  g_autofree guint8 *want = g_malloc ((gsize) width * height);
  memset (want, bg, (gsize) width * height);
  for (int k = 0; k < n; k++)
    want[xy[2 * k + 1] * width + xy[2 * k]] = value;
  for (int j = 0; j < height; j++)
    for (int i = 0; i < width; i++)
      if (mask[j * width + i] != want[j * width + i])
        g_error ("pixel (%d, %d) is %u, expected %u", i, j, mask[j * width + i],
                 want[j * width + i]);
}

static void
test_brush_radius1 (void)
{
  guint8 mask[W * H];
  memset (mask, 0, sizeof mask);
  RlPaint paint = { 7, -1, 11 };
  double pt[] = { 2.5, 2.5 };   /* centre of pixel (2, 2) */
  guint n = rl_mask_paint_stroke (mask, W, H, &paint, 1.0, pt, 1);
  const int plus[] = { 2, 2, 1, 2, 3, 2, 2, 1, 2, 3 };
  g_assert_cmpuint (n, ==, 5);
  assert_pixels (mask, W, H, 0, 7, plus, 5);
  /* Painting again changes nothing. */
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 1.0, pt, 1), ==, 0);
  g_assert_cmpuint (rl_mask_stroke_coverage (W, H, 1.0, pt, 1), ==, 5);
}

static void
test_brush_radius_half_and_1_5 (void)
{
  guint8 mask[W * H];
  memset (mask, 0, sizeof mask);
  RlPaint paint = { 3, -1, 11 };
  double pt[] = { 2.5, 2.5 };
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 0.5, pt, 1), ==, 1);
  const int one[] = { 2, 2 };
  assert_pixels (mask, W, H, 0, 3, one, 1);

  memset (mask, 0, sizeof mask);
  /* sqrt(2) <= 1.5 < 2: the 3x3 block. */
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 1.5, pt, 1), ==, 9);
  const int block[] = { 1, 1, 2, 1, 3, 1, 1, 2, 2, 2, 3, 2, 1, 3, 2, 3, 3, 3 };
  assert_pixels (mask, W, H, 0, 3, block, 9);
}

static void
test_brush_segment (void)
{
  guint8 mask[W * H];
  memset (mask, 0, sizeof mask);
  RlPaint paint = { 1, -1, 11 };
  double seg[] = { 1.5, 2.5, 3.5, 2.5 };   /* pixel (1,2) to pixel (3,2) */
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 0.5, seg, 2), ==, 3);
  const int line[] = { 1, 2, 2, 2, 3, 2 };
  assert_pixels (mask, W, H, 0, 1, line, 3);

  memset (mask, 0, sizeof mask);
  /* Radius 1: row 2 from x = 0 to 4, rows 1 and 3 from x = 1 to 3. */
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 1.0, seg, 2), ==, 11);
  const int thick[] = { 0, 2, 1, 2, 2, 2, 3, 2, 4, 2, 1, 1, 2, 1, 3, 1, 1, 3, 2, 3, 3, 3 };
  assert_pixels (mask, W, H, 0, 1, thick, 11);

  /* A polyline with a corner: (0,0) -> (0,4) -> (4,4), radius 0.5: an L of 9 pixels. */
  memset (mask, 0, sizeof mask);
  double ell[] = { 0.5, 0.5, 0.5, 4.5, 4.5, 4.5 };
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 0.5, ell, 3), ==, 9);
  const int l[] = { 0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 1, 4, 2, 4, 3, 4, 4, 4 };
  assert_pixels (mask, W, H, 0, 1, l, 9);
}

static void
test_brush_clip (void)
{
  guint8 mask[W * H];
  memset (mask, 0, sizeof mask);
  RlPaint paint = { 9, -1, 11 };
  double corner[] = { 0.5, 0.5 };
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 1.0, corner, 1), ==, 3);
  const int c[] = { 0, 0, 1, 0, 0, 1 };
  assert_pixels (mask, W, H, 0, 9, c, 3);

  /* A point just outside the right edge reaches the last column only. */
  memset (mask, 0, sizeof mask);
  double out[] = { 5.5, 2.5 };
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 1.0, out, 1), ==, 1);
  const int e[] = { 4, 2 };
  assert_pixels (mask, W, H, 0, 9, e, 1);

  /* Entirely outside: nothing covered, nothing changed. */
  memset (mask, 0, sizeof mask);
  double far[] = { -10, -10, -3, 20 };
  g_assert_cmpuint (rl_mask_stroke_coverage (W, H, 2.0, far, 2), ==, 0);
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &paint, 2.0, far, 2), ==, 0);
  assert_pixels (mask, W, H, 0, 9, NULL, 0);
  /* A segment whose endpoints are both outside but which crosses the image is not outside. */
  double across[] = { -3.0, 2.5, 8.0, 2.5 };
  g_assert_cmpuint (rl_mask_stroke_coverage (W, H, 0.5, across, 2), ==, 5);
}

static void
test_brush_protect (void)
{
  /* Column 0 void (11), column 1 class 4, the rest class 3. */
  guint8 mask[W * H];
  for (int j = 0; j < H; j++)
    for (int i = 0; i < W; i++)
      mask[j * W + i] = i == 0 ? 11 : i == 1 ? 4 : 3;
  guint8 orig[W * H];
  memcpy (orig, mask, sizeof mask);
  double row[] = { 0.5, 2.5, 4.5, 2.5 };

  /* Protect with protect_value = void: only the void pixel of row 2 changes. */
  RlPaint only_void = { 5, 11, 11 };
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &only_void, 0.5, row, 2), ==, 1);
  g_assert_cmpuint (mask[2 * W + 0], ==, 5);
  g_assert_cmpuint (mask[2 * W + 1], ==, 4);
  g_assert_cmpuint (mask[2 * W + 2], ==, 3);

  /* protect_value = 3: class-3 pixels and void change, class 4 stays. */
  memcpy (mask, orig, sizeof mask);
  RlPaint over3 = { 5, 3, 11 };
  g_assert_cmpuint (rl_mask_paint_stroke (mask, W, H, &over3, 0.5, row, 2), ==, 4);
  const guint8 want[W] = { 5, 4, 5, 5, 5 };
  for (int i = 0; i < W; i++)
    g_assert_cmpuint (mask[2 * W + i], ==, want[i]);
  for (int j = 0; j < H; j++)
    if (j != 2)
      g_assert_cmpmem (mask + j * W, W, orig + j * W, W);
}

static void
test_flood_fill (void)
{
  enum { FW = 6, FH = 4 };
  const guint8 src[FW * FH] = {
    0, 0, 1, 1, 0, 0,
    0, 1, 1, 0, 0, 0,
    0, 0, 0, 0, 1, 1,
    1, 0, 0, 0, 1, 0,
  };
  guint8 mask[FW * FH];
  RlPaint paint = { 7, -1, 11 };

  memcpy (mask, src, sizeof mask);
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &paint, 2, 0), ==, 4);
  const guint8 want1[FW * FH] = {
    0, 0, 7, 7, 0, 0,
    0, 7, 7, 0, 0, 0,
    0, 0, 0, 0, 1, 1,
    1, 0, 0, 0, 1, 0,
  };
  g_assert_cmpmem (mask, sizeof mask, want1, sizeof want1);

  /* The zeros: 15 connected to (0,0); (5,3) only touches ones diagonally-free, so it stays. */
  memcpy (mask, src, sizeof mask);
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &paint, 0, 0), ==, 15);
  const guint8 want2[FW * FH] = {
    7, 7, 1, 1, 7, 7,
    7, 1, 1, 7, 7, 7,
    7, 7, 7, 7, 1, 1,
    1, 7, 7, 7, 1, 0,
  };
  g_assert_cmpmem (mask, sizeof mask, want2, sizeof want2);

  /* Same value, out of range, protected region: no change. */
  memcpy (mask, src, sizeof mask);
  RlPaint same = { 1, -1, 11 };
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &same, 2, 0), ==, 0);
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &paint, 6, 0), ==, 0);
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &paint, -1, 0), ==, 0);
  RlPaint prot = { 7, 11, 11 };
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &prot, 0, 0), ==, 0);
  g_assert_cmpmem (mask, sizeof mask, src, sizeof src);
  /* Protect lets a void region be filled. */
  RlPaint prot0 = { 7, 11, 0 };
  g_assert_cmpuint (rl_mask_flood_fill (mask, FW, FH, &prot0, 5, 3), ==, 1);
  g_assert_cmpuint (mask[3 * FW + 5], ==, 7);
}

static void
test_polygon (void)
{
  enum { PW = 8, PH = 8 };
  guint8 mask[PW * PH];
  RlPaint paint = { 2, -1, 11 };

  /* Rectangle [1,4) x [1,3): pixel centres i = 1..3, j = 1..2. */
  memset (mask, 0, sizeof mask);
  double rect[] = { 1, 1, 4, 1, 4, 3, 1, 3 };
  g_assert_cmpuint (rl_mask_fill_polygon (mask, PW, PH, &paint, rect, 4), ==, 6);
  const int r[] = { 1, 1, 2, 1, 3, 1, 1, 2, 2, 2, 3, 2 };
  assert_pixels (mask, PW, PH, 0, 2, r, 6);

  /* Triangle (0,0) (6,0) (0,6): centres with i + j + 1 < 6, i.e. i + j <= 4: 15 pixels. */
  memset (mask, 0, sizeof mask);
  double tri[] = { 0, 0, 6, 0, 0, 6 };
  g_assert_cmpuint (rl_mask_fill_polygon (mask, PW, PH, &paint, tri, 3), ==, 15);
  for (int j = 0; j < PH; j++)
    for (int i = 0; i < PW; i++)
      g_assert_cmpuint (mask[j * PW + i], ==, i + j <= 4 ? 2 : 0);

  /* Clipped: [-2,2) x [-2,2) covers pixels (0..1, 0..1). */
  memset (mask, 0, sizeof mask);
  double clip[] = { -2, -2, 2, -2, 2, 2, -2, 2 };
  g_assert_cmpuint (rl_mask_fill_polygon (mask, PW, PH, &paint, clip, 4), ==, 4);
  const int c[] = { 0, 0, 1, 0, 0, 1, 1, 1 };
  assert_pixels (mask, PW, PH, 0, 2, c, 4);

  /* Even-odd: a square with a square hole drawn as one polygon (outer, bridge, inner reversed).
   * Outer [0,6)^2, hole [2,4)^2: 36 - 4 = 32 pixels. */
  memset (mask, 0, sizeof mask);
  double ring[] = { 0, 0, 6, 0, 6, 6, 0, 6, 0, 0, 2, 2, 2, 4, 4, 4, 4, 2, 2, 2 };
  g_assert_cmpuint (rl_mask_fill_polygon (mask, PW, PH, &paint, ring, 10), ==, 32);
  for (int j = 0; j < PH; j++)
    for (int i = 0; i < PW; i++)
      {
        gboolean in = i < 6 && j < 6 && !(i >= 2 && i < 4 && j >= 2 && j < 4);
        g_assert_cmpuint (mask[j * PW + i], ==, in ? 2 : 0);
      }

  /* Fewer than 3 points: nothing. */
  g_assert_cmpuint (rl_mask_fill_polygon (mask, PW, PH, &paint, rect, 2), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mask-ops/brush/radius1", test_brush_radius1);
  g_test_add_func ("/mask-ops/brush/radius-half-1.5", test_brush_radius_half_and_1_5);
  g_test_add_func ("/mask-ops/brush/segment", test_brush_segment);
  g_test_add_func ("/mask-ops/brush/clip", test_brush_clip);
  g_test_add_func ("/mask-ops/brush/protect", test_brush_protect);
  g_test_add_func ("/mask-ops/flood-fill", test_flood_fill);
  g_test_add_func ("/mask-ops/polygon", test_polygon);
  return g_test_run ();
}
