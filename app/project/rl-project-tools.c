/* Issue 20's tools on a project image: read the current mask, apply the pure mask operation
 * (rl-wand, rl-superpixels, rl-mask-ops) and commit the result as one undoable step. */
#define G_LOG_DOMAIN "relabel"

#include "rl-project-tools.h"

#include <math.h>

static gboolean
check_class (RlProject *p, int value, GError **error)
{
  const RlClassSpec *spec = rl_project_get_class_spec (p);
  if (spec == NULL || value < 0 || value > 255
      || !(value < spec->n_classes || value == spec->ignore_index))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: class %d is out of range for %s (0..%d, void %d)",
                   rl_project_get_path (p), value, spec ? spec->id : "this project",
                   spec ? spec->n_classes - 1 : -1, spec ? spec->ignore_index : -1);
      return FALSE;
    }
  return TRUE;
}

static RlPaint
rules (RlProject *p, int cls, gboolean protect)
{
  int void_value = rl_project_get_class_spec (p)->ignore_index;
  RlPaint paint = { (guint8) cls, protect ? void_value : -1, void_value };
  return paint;
}

/* The current mask of the image (g_free()) and its size. */
static guint8 *
current (RlProject *p, gint64 image_id, int *w, int *h, GError **error)
{
  guint8 *mask = NULL;
  if (!rl_project_get_mask (p, image_id, RL_MASK_CURRENT, w, h, &mask, error))
    return NULL;
  return mask;
}

static const char *
image_name (RlProject *p, gint64 image_id, char **owned)
{
  g_autoptr (RlImageInfo) info = rl_project_get_image (p, image_id, NULL);
  *owned = g_strdup (info ? info->name : "?");
  return *owned;
}

/* The shape as a 0/1 region; INVALID when it is malformed or covers no pixel. */
static guint8 *
shape_region (RlProject *p, gint64 image_id, const RlShape *shape, int w, int h,
              GError **error)
{
  g_autofree guint8 *region = g_malloc ((gsize) w * h);
  guint n = 0;
  gboolean ok = shape != NULL && shape->xy != NULL && shape->n_points > 0;
  if (ok && shape->radius > 0 && isfinite (shape->radius))
    n = rl_mask_stroke_region (region, w, h, shape->radius, shape->xy, shape->n_points);
  else if (ok && shape->radius == 0 && shape->n_points >= 3)
    n = rl_mask_polygon_region (region, w, h, shape->xy, shape->n_points);
  else
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: a region is a stroke (radius > 0, >= 1 point) or a polygon (>= 3 "
                   "points)", rl_project_get_path (p));
      return NULL;
    }
  if (n == 0)
    {
      g_autofree char *name = NULL;
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the %s covers no pixel of image '%s' (%dx%d)", rl_project_get_path (p),
                   shape->radius > 0 ? "stroke" : "polygon", image_name (p, image_id, &name), w,
                   h);
      return NULL;
    }
  return g_steal_pointer (&region);
}

static gboolean
commit (RlProject *p, gint64 image_id, const char *tool, const guint8 *mask, guint changed,
        guint *n_changed, GError **error)
{
  if (n_changed)
    *n_changed = 0;
  if (changed == 0)
    return TRUE;   /* nothing to record */
  return rl_project_commit_mask (p, image_id, tool, mask, n_changed, error);
}

gboolean
rl_project_wand (RlProject *project, gint64 image_id, const guint8 *rgb, int cls, int x, int y,
                 double tolerance, gboolean protect, guint *n_changed, GError **error)
{
  if (!check_class (project, cls, error))
    return FALSE;
  if (!(tolerance >= 0) || !isfinite (tolerance))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the wand tolerance must be a number >= 0", rl_project_get_path (project));
      return FALSE;
    }
  int w = 0, h = 0;
  g_autofree guint8 *mask = current (project, image_id, &w, &h, error);
  if (mask == NULL)
    return FALSE;
  if (x < 0 || y < 0 || x >= w || y >= h)
    {
      g_autofree char *name = NULL;
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: point (%d, %d) is outside image '%s' (%dx%d)",
                   rl_project_get_path (project), x, y, image_name (project, image_id, &name),
                   w, h);
      return FALSE;
    }
  g_autofree guint8 *loaded = NULL;
  if (rgb == NULL)
    {
      int iw = 0, ih = 0;
      if (!rl_project_load_rgb (project, image_id, &iw, &ih, &loaded, error))
        return FALSE;
      if (iw != w || ih != h)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET,
                       "%s: image %lld is %dx%d on disk but %dx%d in the project",
                       rl_project_get_path (project), (long long) image_id, iw, ih, w, h);
          return FALSE;
        }
      rgb = loaded;
    }
  RlPaint paint = rules (project, cls, protect);
  guint changed = rl_wand_paint (mask, rgb, w, h, x, y, tolerance, &paint);
  return commit (project, image_id, "wand", mask, changed, n_changed, error);
}

gboolean
rl_project_superpixel_paint (RlProject *project, gint64 image_id, RlSuperpixels *sp, int size,
                             int cls, const RlShape *stroke, gboolean protect, guint *n_changed,
                             GError **error)
{
  if (!check_class (project, cls, error))
    return FALSE;
  if (stroke == NULL || !(stroke->radius > 0))
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the superpixel brush needs a stroke with a radius > 0",
                   rl_project_get_path (project));
      return FALSE;
    }
  int w = 0, h = 0;
  g_autofree guint8 *mask = current (project, image_id, &w, &h, error);
  if (mask == NULL)
    return FALSE;
  g_autofree guint8 *region = shape_region (project, image_id, stroke, w, h, error);
  if (region == NULL)
    return FALSE;
  g_autoptr (RlSuperpixels) own = NULL;
  if (sp == NULL)
    {
      if (size < 2 || size > MAX (w, h))
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                       "%s: superpixel size %d is not in 2..%d", rl_project_get_path (project),
                       size, MAX (w, h));
          return FALSE;
        }
      int iw = 0, ih = 0;
      g_autofree guint8 *rgb = NULL;
      if (!rl_project_load_rgb (project, image_id, &iw, &ih, &rgb, error))
        return FALSE;
      own = rl_superpixels_slic (rgb, iw, ih, size, RL_SUPERPIXEL_COMPACTNESS);
      sp = own;
    }
  if (sp == NULL || sp->width != w || sp->height != h)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the superpixels do not match image %lld (%dx%d)",
                   rl_project_get_path (project), (long long) image_id, w, h);
      return FALSE;
    }
  RlPaint paint = rules (project, cls, protect);
  guint changed = rl_superpixels_paint_stroke (sp, mask, &paint, stroke->radius, stroke->xy,
                                               stroke->n_points);
  return commit (project, image_id, "superpixel", mask, changed, n_changed, error);
}

static gboolean
check_min_size (RlProject *p, guint min_size, GError **error)
{
  if (min_size < 2)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the clean-up size must be at least 2 pixels (regions under it change)",
                   rl_project_get_path (p));
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_project_remove_islands (RlProject *project, gint64 image_id, guint min_size,
                           guint *n_changed, GError **error)
{
  if (rl_project_get_class_spec (project) == NULL)
    return check_class (project, 0, error);
  if (!check_min_size (project, min_size, error))
    return FALSE;
  int w = 0, h = 0;
  g_autofree guint8 *mask = current (project, image_id, &w, &h, error);
  if (mask == NULL)
    return FALSE;
  int void_value = rl_project_get_class_spec (project)->ignore_index;
  guint changed = rl_mask_remove_islands (mask, w, h, void_value, min_size, NULL);
  return commit (project, image_id, "remove-islands", mask, changed, n_changed, error);
}

gboolean
rl_project_fill_holes (RlProject *project, gint64 image_id, guint min_size, guint *n_changed,
                       GError **error)
{
  if (rl_project_get_class_spec (project) == NULL)
    return check_class (project, 0, error);
  if (!check_min_size (project, min_size, error))
    return FALSE;
  int w = 0, h = 0;
  g_autofree guint8 *mask = current (project, image_id, &w, &h, error);
  if (mask == NULL)
    return FALSE;
  int void_value = rl_project_get_class_spec (project)->ignore_index;
  guint changed = rl_mask_fill_holes (mask, w, h, void_value, min_size, NULL);
  return commit (project, image_id, "fill-holes", mask, changed, n_changed, error);
}

gboolean
rl_project_replace_class (RlProject *project, gint64 image_id, int from, int to,
                          const RlShape *shape, guint *n_changed, GError **error)
{
  if (!check_class (project, from, error) || !check_class (project, to, error))
    return FALSE;
  int w = 0, h = 0;
  g_autofree guint8 *mask = current (project, image_id, &w, &h, error);
  if (mask == NULL)
    return FALSE;
  g_autofree guint8 *region = shape_region (project, image_id, shape, w, h, error);
  if (region == NULL)
    return FALSE;
  guint changed = rl_mask_replace_in_region (mask, w, h, region, (guint8) from, (guint8) to);
  return commit (project, image_id, "replace-class", mask, changed, n_changed, error);
}

gboolean
rl_project_accept_prediction_in (RlProject *project, gint64 image_id, const RlShape *shape,
                                 gboolean protect, guint *n_changed, GError **error)
{
  if (rl_project_get_class_spec (project) == NULL)
    return check_class (project, 0, error);
  int w = 0, h = 0;
  g_autofree guint8 *mask = current (project, image_id, &w, &h, error);
  if (mask == NULL)
    return FALSE;
  g_autofree guint8 *region = shape_region (project, image_id, shape, w, h, error);
  if (region == NULL)
    return FALSE;
  int pw = 0, ph = 0;
  g_autofree guint8 *pred = NULL;
  if (!rl_project_get_mask (project, image_id, RL_MASK_PREDICTION, &pw, &ph, &pred, error))
    return FALSE;
  if (pw != w || ph != h)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the prediction of image %lld is %dx%d, its labels %dx%d",
                   rl_project_get_path (project), (long long) image_id, pw, ph, w, h);
      return FALSE;
    }
  RlPaint paint = rules (project, 0, protect);
  guint changed = rl_mask_copy_in_region (mask, w, h, region, pred, &paint);
  return commit (project, image_id, "accept-prediction-region", mask, changed, n_changed,
                 error);
}
