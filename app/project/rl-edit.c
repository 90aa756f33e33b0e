/* Mask edits: finds an edit's footprint (brush, fill, polygon, region, whole image) and writes
 * its new values under the protect rule. Pure memory work shared by the session and the project. */
#define G_LOG_DOMAIN "relabel-edit"

#include "rl-edit.h"

#include <math.h>
#include <string.h>

#include "rl-mask-ops.h"
#include "rl-project.h"

RlEdit *
rl_edit_new (RlEditKind kind, const char *tool)
{
  RlEdit *edit = g_new0 (RlEdit, 1);
  edit->kind = kind;
  edit->tool = g_strdup (tool);
  return edit;
}

RlEdit *
rl_edit_copy (const RlEdit *edit)
{
  RlEdit *copy = g_memdup2 (edit, sizeof *edit);
  copy->points = edit->points ? g_memdup2 (edit->points, sizeof (double) * 2 * edit->n_points)
                              : NULL;
  copy->region = edit->region ? g_memdup2 (edit->region, (gsize) edit->region_w
                                                           * edit->region_h)
                              : NULL;
  copy->values = edit->values ? g_memdup2 (edit->values, (gsize) edit->region_w
                                                           * edit->region_h)
                              : NULL;
  copy->tool = g_strdup (edit->tool);
  return copy;
}

void
rl_edit_free (RlEdit *edit)
{
  if (edit == NULL)
    return;
  g_free (edit->points);
  g_free (edit->region);
  g_free (edit->values);
  g_free (edit->tool);
  g_free (edit);
}

void
rl_edit_set_points (RlEdit *edit, const double *xy, int n)
{
  g_free (edit->points);
  edit->points = n > 0 ? g_memdup2 (xy, sizeof (double) * 2 * n) : NULL;
  edit->n_points = MAX (n, 0);
}

static gboolean
invalid (GError **error, const RlEditTarget *t, const char *what)
{
  g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID, "%s: %s",
               t->where ? t->where : "edit", what);
  return FALSE;
}

/* The footprint: a (y1 - y0, x1 - x0) bitmap of the pixels the edit covers, or NULL with error. */
static guint8 *
footprint (const RlEdit *e, const RlEditTarget *t, const guint8 *mask, int box[4],
           GError **error)
{
  int w = t->width, h = t->height;
  switch (e->kind)
    {
    case RL_EDIT_STROKE:
      {
        if (!(e->radius > 0.0) || !isfinite (e->radius) || e->n_points < 1 || e->points == NULL)
          return invalid (error, t, "a stroke needs a radius > 0 and at least one point"), NULL;
        if (rl_mask_stroke_coverage (w, h, e->radius, e->points, e->n_points) == 0)
          {
            g_autofree char *msg = g_strdup_printf ("the stroke lies entirely outside image "
                                                    "(%dx%d)", w, h);
            return invalid (error, t, msg), NULL;
          }
        double minx = e->points[0], maxx = minx, miny = e->points[1], maxy = miny;
        for (int i = 1; i < e->n_points; i++)
          {
            minx = MIN (minx, e->points[2 * i]);
            maxx = MAX (maxx, e->points[2 * i]);
            miny = MIN (miny, e->points[2 * i + 1]);
            maxy = MAX (maxy, e->points[2 * i + 1]);
          }
        box[0] = (int) CLAMP (floor (minx - e->radius) - 1, 0, w);
        box[1] = (int) CLAMP (floor (miny - e->radius) - 1, 0, h);
        box[2] = (int) CLAMP (ceil (maxx + e->radius) + 2, 0, w);
        box[3] = (int) CLAMP (ceil (maxy + e->radius) + 2, 0, h);
        int bw = box[2] - box[0], bh = box[3] - box[1];
        guint8 *fp = g_malloc0 ((gsize) MAX (bw, 1) * MAX (bh, 1));
        g_autofree double *local = g_new (double, 2 * e->n_points);
        for (int i = 0; i < e->n_points; i++)
          {
            local[2 * i] = e->points[2 * i] - box[0];
            local[2 * i + 1] = e->points[2 * i + 1] - box[1];
          }
        RlPaint paint = { .value = 1, .protect_value = -1, .void_value = 0 };
        rl_mask_paint_stroke (fp, bw, bh, &paint, e->radius, local, e->n_points);
        return fp;
      }
    case RL_EDIT_FILL:
      {
        if (e->n_points < 1 || e->points == NULL)
          return invalid (error, t, "a fill needs a point"), NULL;
        double fx = floor (e->points[0]), fy = floor (e->points[1]);
        if (!(fx >= 0 && fy >= 0 && fx < w && fy < h))
          {
            g_autofree char *msg = g_strdup_printf ("point (%.0f, %.0f) is outside image "
                                                    "(%dx%d)", fx, fy, w, h);
            return invalid (error, t, msg), NULL;
          }
        /* the region of the anchor's value, found by filling a copy with another value */
        g_autofree guint8 *copy = g_memdup2 (mask, (gsize) w * h);
        guint8 v = mask[(gsize) fy * w + (gsize) fx];
        RlPaint paint = { .value = (guint8) (v ^ 1), .protect_value = -1, .void_value = 0 };
        rl_mask_flood_fill (copy, w, h, &paint, (int) fx, (int) fy);
        box[0] = box[1] = 0;
        box[2] = w;
        box[3] = h;
        guint8 *fp = g_malloc ((gsize) w * h);
        for (gsize i = 0; i < (gsize) w * h; i++)
          fp[i] = copy[i] != mask[i];
        return fp;
      }
    case RL_EDIT_POLYGON:
      {
        if (e->n_points < 3 || e->points == NULL)
          return invalid (error, t, "a polygon needs at least 3 points"), NULL;
        box[0] = box[1] = 0;
        box[2] = w;
        box[3] = h;
        guint8 *fp = g_malloc0 ((gsize) w * h);
        RlPaint paint = { .value = 1, .protect_value = -1, .void_value = 0 };
        rl_mask_fill_polygon (fp, w, h, &paint, e->points, e->n_points);
        return fp;
      }
    case RL_EDIT_REGION:
      if (e->region == NULL || e->region_w <= 0 || e->region_h <= 0 || e->region_x < 0
          || e->region_y < 0 || e->region_x + e->region_w > w || e->region_y + e->region_h > h)
        {
          g_autofree char *msg = g_strdup_printf ("the region does not lie inside the image "
                                                  "(%dx%d)", w, h);
          return invalid (error, t, msg), NULL;
        }
      box[0] = e->region_x;
      box[1] = e->region_y;
      box[2] = e->region_x + e->region_w;
      box[3] = e->region_y + e->region_h;
      return g_memdup2 (e->region, (gsize) e->region_w * e->region_h);
    case RL_EDIT_WHOLE_IMAGE:
      box[0] = box[1] = 0;
      box[2] = w;
      box[3] = h;
      {
        guint8 *fp = g_malloc ((gsize) w * h);
        memset (fp, 1, (gsize) w * h);
        return fp;
      }
    }
  return invalid (error, t, "unknown edit kind"), NULL;
}

/* The value under the edit's first point, or -1 (void) when it has none inside the image. */
static int
anchor_value (const RlEdit *e, const RlEditTarget *t, const guint8 *mask, const guint8 *fp,
              const int box[4])
{
  int bw = box[2] - box[0];
  switch (e->kind)
    {
    case RL_EDIT_STROKE:
    case RL_EDIT_FILL:
    case RL_EDIT_POLYGON:
      {
        double x = floor (e->points[0]), y = floor (e->points[1]);
        if (x >= 0 && y >= 0 && x < t->width && y < t->height)
          return mask[(gsize) y * t->width + (gsize) x];
        return -1;
      }
    case RL_EDIT_REGION:
      if (e->n_points >= 1 && e->points != NULL)
        {
          double x = floor (e->points[0]), y = floor (e->points[1]);
          if (x >= 0 && y >= 0 && x < t->width && y < t->height)
            return mask[(gsize) y * t->width + (gsize) x];
          return -1;
        }
      for (int y = box[1]; y < box[3]; y++)
        for (int x = box[0]; x < box[2]; x++)
          if (fp[(gsize) (y - box[1]) * bw + (x - box[0])])
            return mask[(gsize) y * t->width + x];
      return -1;
    case RL_EDIT_WHOLE_IMAGE:
    default:
      return -1;
    }
}

gboolean
rl_edit_apply (const RlEdit *edit, const RlEditTarget *target, guint8 *mask, guint *n_changed,
               int bbox[4], GError **error)
{
  const RlClassSpec *spec = target->spec;
  if (n_changed)
    *n_changed = 0;
  if (spec == NULL)
    return invalid (error, target, "the project has no classes yet (import a dataset first)");
  const guint8 *src = NULL;
  switch (edit->source)
    {
    case RL_EDIT_SOURCE_CLASS:
      if (edit->cls < 0 || edit->cls > 255
          || !(edit->cls < spec->n_classes || edit->cls == spec->ignore_index))
        {
          g_autofree char *msg = g_strdup_printf ("class %d is out of range for %s (0..%d, void "
                                                  "%d)", edit->cls, spec->id ? spec->id : "it",
                                                  spec->n_classes - 1, spec->ignore_index);
          return invalid (error, target, msg);
        }
      break;
    case RL_EDIT_SOURCE_ORIGINAL:
      src = target->original;
      if (src == NULL)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                       "%s has no original labels", target->where ? target->where : "the image");
          return FALSE;
        }
      break;
    case RL_EDIT_SOURCE_PREDICTION:
      src = target->prediction;
      if (src == NULL)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                       "%s has no prediction", target->where ? target->where : "the image");
          return FALSE;
        }
      break;
    case RL_EDIT_SOURCE_VALUES:
      if (edit->kind != RL_EDIT_REGION || edit->values == NULL)
        return invalid (error, target, "per-pixel values need a region edit with values");
      for (gsize i = 0; i < (gsize) MAX (edit->region_w, 0) * MAX (edit->region_h, 0); i++)
        if (edit->region != NULL && edit->region[i] && edit->values[i] >= spec->n_classes
            && edit->values[i] != spec->ignore_index)
          {
            g_autofree char *msg = g_strdup_printf ("value %d is out of range for %s (0..%d, "
                                                    "void %d)", edit->values[i],
                                                    spec->id ? spec->id : "it",
                                                    spec->n_classes - 1, spec->ignore_index);
            return invalid (error, target, msg);
          }
      break;
    }

  int box[4] = { 0 };
  g_autofree guint8 *fp = footprint (edit, target, mask, box, error);
  if (fp == NULL)
    return FALSE;
  int anchor = edit->protect == RL_PROTECT_ANCHOR ? anchor_value (edit, target, mask, fp, box)
                                                  : -1;
  int w = target->width, bw = box[2] - box[0];
  guint changed = 0;
  for (int y = box[1]; y < box[3]; y++)
    for (int x = box[0]; x < box[2]; x++)
      {
        if (!fp[(gsize) (y - box[1]) * bw + (x - box[0])])
          continue;
        gsize i = (gsize) y * w + x;
        guint8 cur = mask[i];
        if (edit->protect != RL_PROTECT_NONE && rl_class_spec_is_class (spec, cur)
            && (edit->protect == RL_PROTECT_VOID || cur != anchor))
          continue;
        guint8 v = src != NULL ? src[i]
                   : edit->values != NULL && edit->source == RL_EDIT_SOURCE_VALUES
                     ? edit->values[(gsize) (y - box[1]) * bw + (x - box[0])]
                     : (guint8) edit->cls;
        if (v != cur)
          {
            mask[i] = v;
            changed++;
          }
      }
  if (n_changed)
    *n_changed = changed;
  if (bbox)
    memcpy (bbox, box, sizeof box);
  return TRUE;
}
