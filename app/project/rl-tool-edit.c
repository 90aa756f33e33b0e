/* The correction tools (wand, superpixel brush, clean-up) turned into region edits: each finds
 * the pixels it changes on the current mask and hands rl_edit_apply one RL_EDIT_REGION. */
#define G_LOG_DOMAIN "relabel-tools"

#include "rl-tool-edit.h"

#include <math.h>
#include <string.h>

#include "rl-mask-ops.h"
#include "rl-project.h"
#include "rl-wand.h"

static gboolean
invalid (GError **error, const RlToolInput *in, const char *msg)
{
  g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s",
               in->where ? in->where : "image", msg);
  return FALSE;
}

static gboolean
check_input (const RlToolInput *in, GError **error)
{
  if (in->spec == NULL)
    return invalid (error, in, "the project has no classes yet (import a dataset first)");
  if (in->mask == NULL || in->width <= 0 || in->height <= 0)
    return invalid (error, in, "no labels to edit");
  return TRUE;
}

static gboolean
check_class (const RlToolInput *in, int value, GError **error)
{
  const RlClassSpec *spec = in->spec;
  if (value < 0 || value > 255 || !(value < spec->n_classes || value == spec->ignore_index))
    {
      g_autofree char *msg = g_strdup_printf ("class %d is out of range for %s (0..%d, void %d)",
                                              value, spec->id ? spec->id : "this project",
                                              spec->n_classes - 1, spec->ignore_index);
      return invalid (error, in, msg);
    }
  return TRUE;
}

/* The edit for a full-image 0/1 region (values: per-pixel new values or NULL), cropped to the
 * bounding box of its pixels (a 1x1 empty region at anchor when it has none). */
static RlEdit *
region_edit (const RlToolInput *in, const char *tool, const guint8 *region, const guint8 *values,
             int anchor_x, int anchor_y)
{
  int w = in->width, h = in->height;
  int x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = region + (gsize) y * w;
      for (int x = 0; x < w; x++)
        if (row[x])
          {
            x0 = MIN (x0, x);
            x1 = MAX (x1, x);
            y0 = MIN (y0, y);
            y1 = MAX (y1, y);
          }
    }
  RlEdit *e = rl_edit_new (RL_EDIT_REGION, tool);
  if (x1 < 0)
    {
      x0 = x1 = CLAMP (anchor_x, 0, w - 1);
      y0 = y1 = CLAMP (anchor_y, 0, h - 1);
    }
  e->region_x = x0;
  e->region_y = y0;
  e->region_w = x1 - x0 + 1;
  e->region_h = y1 - y0 + 1;
  e->region = g_malloc ((gsize) e->region_w * e->region_h);
  if (values)
    e->values = g_malloc ((gsize) e->region_w * e->region_h);
  for (int y = 0; y < e->region_h; y++)
    {
      gsize src = (gsize) (y + y0) * w + x0, dst = (gsize) y * e->region_w;
      memcpy (e->region + dst, region + src, e->region_w);
      if (values)
        memcpy (e->values + dst, values + src, e->region_w);
    }
  double anchor[2] = { anchor_x + 0.5, anchor_y + 0.5 };
  rl_edit_set_points (e, anchor, 1);
  return e;
}

static RlPaint
paint_rules (const RlToolInput *in, int cls, RlProtect protect, int anchor)
{
  int void_value = in->spec->ignore_index;
  RlPaint paint = { (guint8) cls, -1, void_value };
  if (protect == RL_PROTECT_ANCHOR)
    paint.protect_value = anchor;
  else if (protect == RL_PROTECT_VOID)
    paint.protect_value = void_value;
  return paint;
}

RlEdit *
rl_tool_wand (const RlToolInput *in, int cls, int x, int y, double tolerance, RlProtect protect,
              guint8 *preview, GError **error)
{
  if (!check_input (in, error) || !check_class (in, cls, error))
    return NULL;
  if (in->rgb == NULL)
    return invalid (error, in, "the wand needs the image's colours"), NULL;
  if (!(tolerance >= 0) || !isfinite (tolerance))
    return invalid (error, in, "the wand tolerance must be a number >= 0"), NULL;
  if (x < 0 || y < 0 || x >= in->width || y >= in->height)
    {
      g_autofree char *msg = g_strdup_printf ("point (%d, %d) is outside image (%dx%d)", x,
                                              y, in->width, in->height);
      return invalid (error, in, msg), NULL;
    }
  g_autofree guint8 *own = preview ? NULL : g_malloc ((gsize) in->width * in->height);
  guint8 *region = preview ? preview : own;
  RlPaint paint = paint_rules (in, cls, protect, in->mask[(gsize) y * in->width + x]);
  rl_wand_region (in->rgb, in->width, in->height, x, y, tolerance,
                  protect != RL_PROTECT_NONE ? in->mask : NULL,
                  protect != RL_PROTECT_NONE ? &paint : NULL, region);
  RlEdit *e = region_edit (in, "wand", region, NULL, x, y);
  e->cls = cls;
  e->protect = protect;
  return e;
}

RlEdit *
rl_tool_superpixel (const RlToolInput *in, const RlSuperpixels *sp, int cls,
                    const RlShape *stroke, RlProtect protect, GError **error)
{
  if (!check_input (in, error) || !check_class (in, cls, error))
    return NULL;
  if (stroke == NULL || stroke->xy == NULL || stroke->n_points < 1 || !(stroke->radius > 0)
      || !isfinite (stroke->radius))
    return invalid (error, in, "the superpixel brush needs a stroke with a radius > 0"), NULL;
  if (sp == NULL || sp->width != in->width || sp->height != in->height)
    return invalid (error, in, "the superpixels do not match the image"), NULL;
  if (rl_mask_stroke_coverage (in->width, in->height, stroke->radius, stroke->xy,
                               stroke->n_points) == 0)
    return invalid (error, in, "the stroke lies entirely outside the image"), NULL;
  g_autofree guint8 *region = g_malloc ((gsize) in->width * in->height);
  rl_superpixels_stroke_region (sp, stroke->radius, stroke->xy, stroke->n_points, region);
  int ax = (int) CLAMP (floor (stroke->xy[0]), 0, in->width - 1);
  int ay = (int) CLAMP (floor (stroke->xy[1]), 0, in->height - 1);
  RlEdit *e = region_edit (in, "superpixel", region, NULL, ax, ay);
  /* the anchor is the stroke's first point even when it lies outside the image */
  rl_edit_set_points (e, stroke->xy, 1);
  e->cls = cls;
  e->protect = protect;
  return e;
}

static RlEdit *
cleanup (const RlToolInput *in, guint min_size, gboolean holes, GError **error)
{
  if (!check_input (in, error))
    return NULL;
  if (min_size < 2)
    return invalid (error, in, "the clean-up size must be at least 2 pixels (regions under "
                               "it change)"), NULL;
  gsize n = (gsize) in->width * in->height;
  g_autofree guint8 *after = g_memdup2 (in->mask, n);
  if (holes)
    rl_mask_fill_holes (after, in->width, in->height, in->spec->ignore_index, min_size, NULL);
  else
    rl_mask_remove_islands (after, in->width, in->height, in->spec->ignore_index, min_size,
                            NULL);
  g_autofree guint8 *region = g_malloc (n);
  int ax = 0, ay = 0;
  gboolean first = TRUE;
  for (gsize i = 0; i < n; i++)
    {
      region[i] = after[i] != in->mask[i];
      if (region[i] && first)
        {
          ax = (int) (i % in->width);
          ay = (int) (i / in->width);
          first = FALSE;
        }
    }
  RlEdit *e = region_edit (in, holes ? "fill-holes" : "remove-islands", region, after, ax, ay);
  e->source = RL_EDIT_SOURCE_VALUES;
  return e;
}

RlEdit *
rl_tool_remove_islands (const RlToolInput *in, guint min_size, GError **error)
{
  return cleanup (in, min_size, FALSE, error);
}

RlEdit *
rl_tool_fill_holes (const RlToolInput *in, guint min_size, GError **error)
{
  return cleanup (in, min_size, TRUE, error);
}

guint8 *
rl_tool_shape_region (const RlToolInput *in, const RlShape *shape, guint *n_out, GError **error)
{
  int w = in->width, h = in->height;
  g_autofree guint8 *region = g_malloc ((gsize) w * h);
  guint n = 0;
  gboolean ok = shape != NULL && shape->xy != NULL && shape->n_points > 0;
  if (ok && shape->radius > 0 && isfinite (shape->radius))
    n = rl_mask_stroke_region (region, w, h, shape->radius, shape->xy, shape->n_points);
  else if (ok && shape->radius == 0 && shape->n_points >= 3)
    n = rl_mask_polygon_region (region, w, h, shape->xy, shape->n_points);
  else
    return invalid (error, in, "a region is a stroke (radius > 0, >= 1 point) or a polygon (>= "
                               "3 points)"), NULL;
  if (n == 0)
    {
      g_autofree char *msg = g_strdup_printf ("the %s covers no pixel of the image (%dx%d)",
                                              shape->radius > 0 ? "stroke" : "polygon", w, h);
      return invalid (error, in, msg), NULL;
    }
  if (n_out)
    *n_out = n;
  return g_steal_pointer (&region);
}

/* The first pixel of a region in row order (its anchor). */
static void
first_pixel (const guint8 *region, int w, int h, int *ax, int *ay)
{
  *ax = *ay = 0;
  for (gsize i = 0; i < (gsize) w * h; i++)
    if (region[i])
      {
        *ax = (int) (i % w);
        *ay = (int) (i / w);
        return;
      }
}

RlEdit *
rl_tool_replace_class (const RlToolInput *in, int from, int to, const RlShape *shape,
                       GError **error)
{
  if (!check_input (in, error) || !check_class (in, from, error) || !check_class (in, to, error))
    return NULL;
  g_autofree guint8 *region = rl_tool_shape_region (in, shape, NULL, error);
  if (region == NULL)
    return NULL;
  int ax, ay;
  first_pixel (region, in->width, in->height, &ax, &ay);
  for (gsize i = 0; i < (gsize) in->width * in->height; i++)
    region[i] = region[i] && in->mask[i] == from;
  RlEdit *e = region_edit (in, "replace-class", region, NULL, ax, ay);
  e->cls = to;
  return e;
}

RlEdit *
rl_tool_accept_prediction (const RlToolInput *in, const RlShape *shape, RlProtect protect,
                           GError **error)
{
  if (!check_input (in, error))
    return NULL;
  g_autofree guint8 *region = rl_tool_shape_region (in, shape, NULL, error);
  if (region == NULL)
    return NULL;
  int ax, ay;
  first_pixel (region, in->width, in->height, &ax, &ay);
  RlEdit *e = region_edit (in, "accept-prediction-region", region, NULL, ax, ay);
  e->source = RL_EDIT_SOURCE_PREDICTION;
  e->protect = protect;
  return e;
}
