/* Issue 20's tools on a project image: read the current mask (and the image's colours when the
 * tool needs them), build the tool's RlEdit (rl-tool-edit.h) and apply it as one undoable step
 * with rl_project_apply_edit, the path the CLI's paint/fill and the session's writer take. */
#define G_LOG_DOMAIN "relabel"

#include "rl-project-tools.h"

#include <math.h>

/* The inputs of a tool: the current mask, the image's colours when want_rgb (or given). */
typedef struct
{
  RlToolInput in;
  guint8 *mask, *rgb;
  char *where;
} Input;

static void
input_clear (Input *in)
{
  g_free (in->mask);
  g_free (in->rgb);
  g_free (in->where);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Input, input_clear)

static gboolean
read_input (RlProject *p, gint64 image_id, const guint8 *rgb, gboolean want_rgb, Input *in,
            GError **error)
{
  g_autoptr (RlImageInfo) info = rl_project_get_image (p, image_id, error);
  if (info == NULL)
    return FALSE;
  in->where = g_strdup_printf ("%s: image '%s'", rl_project_get_path (p), info->name);
  in->in.where = in->where;
  in->in.spec = rl_project_get_class_spec (p);
  if (in->in.spec == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the project has no classes yet (import a dataset first)",
                   rl_project_get_path (p));
      return FALSE;
    }
  if (!rl_project_get_mask (p, image_id, RL_MASK_CURRENT, &in->in.width, &in->in.height,
                            &in->mask, error))
    return FALSE;
  in->in.mask = in->mask;
  in->in.rgb = rgb;
  if (rgb == NULL && want_rgb)
    {
      int iw = 0, ih = 0;
      if (!rl_project_load_rgb (p, image_id, &iw, &ih, &in->rgb, error))
        return FALSE;
      if (iw != in->in.width || ih != in->in.height)
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DATASET,
                       "%s is %dx%d on disk but %dx%d in the project", in->where, iw, ih,
                       in->in.width, in->in.height);
          return FALSE;
        }
      in->in.rgb = in->rgb;
    }
  return TRUE;
}

static gboolean
apply (RlProject *p, gint64 image_id, RlEdit *edit, guint *n_changed, GError **error)
{
  if (n_changed)
    *n_changed = 0;
  if (edit == NULL)
    return FALSE;
  g_autoptr (RlEdit) owned = edit;
  return rl_project_apply_edit (p, image_id, owned, n_changed, error);
}

gboolean
rl_project_wand (RlProject *project, gint64 image_id, const guint8 *rgb, int cls, int x, int y,
                 double tolerance, gboolean protect, guint *n_changed, GError **error)
{
  g_auto (Input) in = { 0 };
  if (!read_input (project, image_id, rgb, TRUE, &in, error))
    return FALSE;
  return apply (project, image_id,
                rl_tool_wand (&in.in, cls, x, y, tolerance,
                              protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE, NULL, error),
                n_changed, error);
}

gboolean
rl_project_superpixel_paint (RlProject *project, gint64 image_id, RlSuperpixels *sp, int size,
                             int cls, const RlShape *stroke, gboolean protect, guint *n_changed,
                             GError **error)
{
  g_auto (Input) in = { 0 };
  if (!read_input (project, image_id, NULL, sp == NULL, &in, error))
    return FALSE;
  g_autoptr (RlSuperpixels) own = NULL;
  if (sp == NULL)
    {
      int w = in.in.width, h = in.in.height;
      if (size < 2 || size > MAX (w, h))
        {
          g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                       "%s: superpixel size %d is not in 2..%d", in.where, size, MAX (w, h));
          return FALSE;
        }
      own = rl_superpixels_slic (in.in.rgb, w, h, size, RL_SUPERPIXEL_COMPACTNESS);
      sp = own;
    }
  return apply (project, image_id,
                rl_tool_superpixel (&in.in, sp, cls, stroke,
                                    protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE, error),
                n_changed, error);
}

gboolean
rl_project_remove_islands (RlProject *project, gint64 image_id, guint min_size,
                           guint *n_changed, GError **error)
{
  g_auto (Input) in = { 0 };
  if (!read_input (project, image_id, NULL, FALSE, &in, error))
    return FALSE;
  return apply (project, image_id, rl_tool_remove_islands (&in.in, min_size, error), n_changed,
                error);
}

gboolean
rl_project_fill_holes (RlProject *project, gint64 image_id, guint min_size, guint *n_changed,
                       GError **error)
{
  g_auto (Input) in = { 0 };
  if (!read_input (project, image_id, NULL, FALSE, &in, error))
    return FALSE;
  return apply (project, image_id, rl_tool_fill_holes (&in.in, min_size, error), n_changed,
                error);
}

gboolean
rl_project_replace_class (RlProject *project, gint64 image_id, int from, int to,
                          const RlShape *shape, guint *n_changed, GError **error)
{
  g_auto (Input) in = { 0 };
  if (!read_input (project, image_id, NULL, FALSE, &in, error))
    return FALSE;
  return apply (project, image_id, rl_tool_replace_class (&in.in, from, to, shape, error),
                n_changed, error);
}

gboolean
rl_project_accept_prediction_in (RlProject *project, gint64 image_id, const RlShape *shape,
                                 gboolean protect, guint *n_changed, GError **error)
{
  g_auto (Input) in = { 0 };
  if (!read_input (project, image_id, NULL, FALSE, &in, error))
    return FALSE;
  return apply (project, image_id,
                rl_tool_accept_prediction (&in.in, shape,
                                           protect ? RL_PROTECT_VOID : RL_PROTECT_NONE, error),
                n_changed, error);
}
