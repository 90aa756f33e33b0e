/* The SUN RGB-D classes' colours stay distinguishable: every two of the 37 classes, and each
 * against void's black, differ by a CIE76 distance of at least 25 in CIE L*a*b* (sRGB, D65;
 * computed here from the standard formulas, independently of how the palette was chosen). The
 * PASCAL VOC colour map used before fails this: ceiling/whiteboard 6.1, pillow/towel 7.2. */
#include <glib.h>
#include <math.h>

#include "rl-class-spec.h"

static double
lin (double u)
{
  u /= 255.0;
  return u <= 0.04045 ? u / 12.92 : pow ((u + 0.055) / 1.055, 2.4);
}

static double
f (double t)
{
  return t > 216.0 / 24389.0 ? cbrt (t) : (24389.0 / 27.0 * t + 16.0) / 116.0;
}

static void
to_lab (int r8, int g8, int b8, double lab[3])
{
  double r = lin (r8), g = lin (g8), b = lin (b8);
  double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  double y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b;
  double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883;
  lab[0] = 116 * f (y) - 16;
  lab[1] = 500 * (f (x) - f (y));
  lab[2] = 200 * (f (y) - f (z));
}

static double
delta_e (const RlClass *a, const guint8 *b)
{
  double la[3], lb[3];
  to_lab (a->r, a->g, a->b, la);
  to_lab (b[0], b[1], b[2], lb);
  return sqrt ((la[0] - lb[0]) * (la[0] - lb[0]) + (la[1] - lb[1]) * (la[1] - lb[1])
               + (la[2] - lb[2]) * (la[2] - lb[2]));
}

static void
test_sunrgbd_distinct (void)
{
  g_autoptr (RlClassSpec) spec = rl_class_spec_sunrgbd ();
  g_assert_cmpint (spec->n_classes, ==, 38);
  g_assert_cmpint (spec->ignore_index, ==, 0);
  g_assert_cmpstr (spec->classes[22].name, ==, "ceiling");
  g_assert_cmpstr (spec->classes[30].name, ==, "whiteboard");
  const guint8 black[3] = { 0, 0, 0 };
  double worst = INFINITY;
  int wa = -1, wb = -1;
  for (int a = 1; a < spec->n_classes; a++)
    {
      double d = delta_e (&spec->classes[a], black);
      if (d < worst)
        worst = d, wa = a, wb = 0;
      for (int b = a + 1; b < spec->n_classes; b++)
        {
          const guint8 rgb[3] = { spec->classes[b].r, spec->classes[b].g, spec->classes[b].b };
          d = delta_e (&spec->classes[a], rgb);
          if (d < worst)
            worst = d, wa = a, wb = b;
        }
    }
  g_test_message ("closest pair: %s / %s, CIE76 %.1f", spec->classes[wa].name,
                  wb == 0 ? "void" : spec->classes[wb].name, worst);
  g_assert_cmpfloat (worst, >=, 25.0);
  /* void itself is black */
  g_assert_cmpint (spec->classes[0].r | spec->classes[0].g | spec->classes[0].b, ==, 0);
}

/* The distance formula itself, on a pair with a published value: sRGB red (255,0,0) is
 * L*a*b* (53.24, 80.09, 67.20). */
static void
test_lab_reference (void)
{
  double lab[3];
  to_lab (255, 0, 0, lab);
  g_assert_cmpfloat (fabs (lab[0] - 53.24), <, 0.05);
  g_assert_cmpfloat (fabs (lab[1] - 80.09), <, 0.1);
  g_assert_cmpfloat (fabs (lab[2] - 67.20), <, 0.1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/class-colours/lab-reference", test_lab_reference);
  g_test_add_func ("/class-colours/sunrgbd-distinct", test_sunrgbd_distinct);
  return g_test_run ();
}
