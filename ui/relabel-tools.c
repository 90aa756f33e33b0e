/* The correction tools in the window (relabel-tools.h): gestures from the canvas become region
 * edits (rl-tool-edit.h) sent to the session; previews and superpixel boundaries are drawn into
 * one image-sized surface the canvas shows over the labels. */
#define G_LOG_DOMAIN "relabel"

#include "relabel-tools.h"

#include <math.h>
#include <string.h>

#include "relabel-class-picker.h"
#include "rl-tool-edit.h"

#define PREVIEW_PX 0x8033c8ffu    /* premultiplied: half-opaque cyan */
#define BOUNDARY_PX 0xc0c0c0c0u   /* premultiplied: light grey at 75 % */

struct _RelabelTools
{
  GObject parent_instance;

  /* borrowed */
  RlSession *session;
  RelabelCanvas *canvas;

  /* owned */
  GtkAdjustment *tolerance;
  GtkAdjustment *min_size;
  GtkWidget *bar;
  GtkDropDown *size_dropdown;
  GtkToggleButton *boundaries_toggle;
  GtkToggleButton *contours_toggle;
  GtkToggleButton *lasso_toggle;  /* replace / take prediction inside a drawn polygon */
  RelabelClassPicker *picker;
  cairo_surface_t *surface;   /* ARGB32 (H, W): preview + boundaries */
  guint8 *preview;            /* (H, W) 0/1 */
  RlSuperpixels *bounds_sp;   /* the superpixels bounds was made from (a reference) */
  guint8 *bounds;             /* (H, W) their boundaries, kept while they are shown */
  int width, height;
  GArray *stroke;             /* double x, y of the stroke under way */
  gboolean hover_valid;
  int hover_x, hover_y;
  gboolean stroking;
};

G_DEFINE_FINAL_TYPE (RelabelTools, relabel_tools, G_TYPE_OBJECT)

enum
{
  SIGNAL_NOTICE,
  SIGNAL_CLASS_CHOSEN,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
notice (RelabelTools *self, const char *text)
{
  g_signal_emit (self, signals[SIGNAL_NOTICE], 0, text);
}

static int
sp_size (RelabelTools *self)
{
  guint i = gtk_drop_down_get_selected (self->size_dropdown);
  return rl_superpixel_sizes[MIN (i, RL_SUPERPIXEL_N_SIZES - 1)];
}

/* The session's image as a tool input; FALSE without one. */
static gboolean
tool_input (RelabelTools *self, RlToolInput *in)
{
  memset (in, 0, sizeof *in);
  in->spec = rl_session_get_class_spec (self->session);
  in->where = "the image";
  return rl_session_get_image (self->session, &in->width, &in->height, &in->rgb, &in->mask, NULL,
                               NULL)
         && in->spec != NULL;
}

/* ---- the overlay surface */

static void
ensure_surface (RelabelTools *self)
{
  int w = 0, h = 0;
  if (!rl_session_get_image (self->session, &w, &h, NULL, NULL, NULL, NULL))
    w = h = 0;
  if (w == self->width && h == self->height && (self->surface != NULL || w == 0))
    return;
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  g_clear_pointer (&self->preview, g_free);
  self->width = w;
  self->height = h;
  if (w > 0)
    {
      self->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
      self->preview = g_malloc0 ((gsize) w * h);
    }
}

static gboolean
shows_boundaries (RelabelTools *self)
{
  return gtk_toggle_button_get_active (self->boundaries_toggle);
}

/* Redraws the surface from the preview and (when shown) the superpixel boundaries. */
static void
redraw (RelabelTools *self, gboolean with_preview)
{
  ensure_surface (self);
  if (self->surface == NULL)
    {
      relabel_canvas_set_tool_overlay (self->canvas, NULL);
      return;
    }
  int w = self->width, h = self->height;
  cairo_surface_flush (self->surface);
  guint32 *px = (guint32 *) cairo_image_surface_get_data (self->surface);
  int stride = cairo_image_surface_get_stride (self->surface) / 4;
  const guint8 *bounds = NULL;
  if (shows_boundaries (self))
    {
      g_autoptr (RlSuperpixels) sp = rl_session_get_superpixels (self->session, sp_size (self));
      if (sp != NULL && sp->width == w && sp->height == h)
        {
          /* the hover preview redraws often: compute the boundaries once per superpixels */
          if (sp != self->bounds_sp)
            {
              g_clear_pointer (&self->bounds_sp, rl_superpixels_unref);
              self->bounds = g_realloc (self->bounds, (gsize) w * h);
              rl_superpixels_boundaries (sp, self->bounds);
              self->bounds_sp = rl_superpixels_ref (sp);
            }
          bounds = self->bounds;
        }
    }
  gboolean any = FALSE;
  for (int y = 0; y < h; y++)
    {
      guint32 *row = px + (gsize) y * stride;
      for (int x = 0; x < w; x++)
        {
          gsize i = (gsize) y * w + x;
          guint32 v = 0;
          if (with_preview && self->preview[i])
            v = PREVIEW_PX;
          else if (bounds != NULL && bounds[i])
            v = BOUNDARY_PX;
          row[x] = v;
          any |= v != 0;
        }
    }
  cairo_surface_mark_dirty (self->surface);
  relabel_canvas_set_tool_overlay (self->canvas, any ? self->surface : NULL);
}

/* ---- the wand */

static void
wand_preview (RelabelTools *self)
{
  RlToolInput in;
  if (!self->hover_valid || !tool_input (self, &in))
    {
      redraw (self, FALSE);
      return;
    }
  ensure_surface (self);
  g_autoptr (GError) error = NULL;
  gboolean protect = relabel_canvas_get_protect (self->canvas);
  g_autoptr (RlEdit) edit = rl_tool_wand (&in, relabel_canvas_get_class (self->canvas),
                                          self->hover_x, self->hover_y,
                                          gtk_adjustment_get_value (self->tolerance),
                                          protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE,
                                          self->preview, &error);
  redraw (self, edit != NULL);
}

static void
apply (RelabelTools *self, RlEdit *edit, GError *error, const char *what)
{
  if (edit == NULL)
    {
      g_autofree char *msg = g_strdup_printf ("%s: %s", what, error ? error->message : "failed");
      notice (self, msg);
      return;
    }
  guint n = 0;
  g_autoptr (GError) err = NULL;
  if (!rl_session_apply_edit (self->session, edit, &n, &err))
    {
      g_autofree char *msg = g_strdup_printf ("%s: %s", what, err->message);
      notice (self, msg);
      return;
    }
  g_autofree char *msg = g_strdup_printf ("%s: %u pixel%s changed", what, n, n == 1 ? "" : "s");
  notice (self, msg);
}

/* ---- strokes (superpixel brush, replace, accept) */

static void
stroke_preview (RelabelTools *self, RelabelTool tool)
{
  RlToolInput in;
  if (!tool_input (self, &in) || self->stroke->len < 2)
    return;
  ensure_surface (self);
  const double *xy = (const double *) self->stroke->data;
  int n = (int) self->stroke->len / 2;
  double radius = relabel_canvas_get_brush_radius (self->canvas);
  if (tool == RELABEL_TOOL_SUPERPIXEL)
    {
      g_autoptr (RlSuperpixels) sp = rl_session_get_superpixels (self->session, sp_size (self));
      if (sp == NULL)
        return;
      rl_superpixels_stroke_region (sp, radius, xy, n, self->preview);
    }
  else if (gtk_toggle_button_get_active (self->lasso_toggle))
    {
      if (n < 3)
        return;
      rl_mask_polygon_region (self->preview, in.width, in.height, xy, n);
    }
  else
    rl_mask_stroke_region (self->preview, in.width, in.height, radius, xy, n);
  redraw (self, TRUE);
}

static void
finish_stroke (RelabelTools *self, RelabelTool tool)
{
  RlToolInput in;
  if (!tool_input (self, &in) || self->stroke->len < 2)
    return;
  RlShape shape = { (const double *) self->stroke->data, (int) self->stroke->len / 2,
                    relabel_canvas_get_brush_radius (self->canvas) };
  /* lasso: the drag's path is a closed polygon (replace and take prediction) */
  if (tool != RELABEL_TOOL_SUPERPIXEL && gtk_toggle_button_get_active (self->lasso_toggle))
    {
      if (shape.n_points < 3)
        {
          notice (self, "Lasso: drag around the region");
          return;
        }
      shape.radius = 0;
    }
  gboolean protect = relabel_canvas_get_protect (self->canvas);
  int cls = relabel_canvas_get_class (self->canvas);
  g_autoptr (GError) error = NULL;
  g_autoptr (RlEdit) edit = NULL;
  const char *what = "";
  switch (tool)
    {
    case RELABEL_TOOL_SUPERPIXEL:
      {
        what = "Superpixel brush";
        g_autoptr (RlSuperpixels) sp = rl_session_get_superpixels (self->session,
                                                                   sp_size (self));
        if (sp == NULL)
          {
            notice (self, "Superpixel brush: the superpixels are still being computed");
            return;
          }
        edit = rl_tool_superpixel (&in, sp, cls, &shape,
                                   protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE, &error);
      }
      break;
    case RELABEL_TOOL_REPLACE:
      {
        what = "Replace class";
        int x = (int) floor (shape.xy[0]), y = (int) floor (shape.xy[1]);
        if (x < 0 || y < 0 || x >= in.width || y >= in.height)
          {
            notice (self, "Replace class: start the stroke on the class to replace");
            return;
          }
        edit = rl_tool_replace_class (&in, in.mask[(gsize) y * in.width + x], cls, &shape,
                                      &error);
      }
      break;
    case RELABEL_TOOL_ACCEPT_PREDICTION:
      what = "Accept prediction";
      edit = rl_tool_accept_prediction (&in, &shape,
                                        protect ? RL_PROTECT_VOID : RL_PROTECT_NONE, &error);
      break;
    default:
      return;
    }
  apply (self, edit, error, what);
}

/* ---- canvas gestures */

static void
on_tool_event (RelabelCanvas *canvas, int phase, double ix, double iy, RelabelTools *self)
{
  RelabelTool tool = relabel_canvas_get_tool (canvas);
  RlToolInput in;
  if (!tool_input (self, &in))
    return;
  int x = (int) floor (ix), y = (int) floor (iy);
  gboolean inside = x >= 0 && y >= 0 && x < in.width && y < in.height;
  if (tool == RELABEL_TOOL_WAND)
    {
      if (phase == RELABEL_TOOL_HOVER || phase == RELABEL_TOOL_DRAG)
        {
          if (inside && self->hover_valid && x == self->hover_x && y == self->hover_y)
            return;
          self->hover_valid = inside;
          self->hover_x = x;
          self->hover_y = y;
          wand_preview (self);
        }
      else if (phase == RELABEL_TOOL_PRESS && inside)
        {
          g_autoptr (GError) error = NULL;
          gboolean protect = relabel_canvas_get_protect (canvas);
          g_autoptr (RlEdit) edit = rl_tool_wand (&in, relabel_canvas_get_class (canvas), x, y,
                                                  gtk_adjustment_get_value (self->tolerance),
                                                  protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE,
                                                  NULL, &error);
          apply (self, edit, error, "Wand");
        }
      return;
    }
  switch (phase)
    {
    case RELABEL_TOOL_PRESS:
      g_array_set_size (self->stroke, 0);
      self->stroking = TRUE;
      G_GNUC_FALLTHROUGH;
    case RELABEL_TOOL_DRAG:
      if (!self->stroking)
        return;
      {
        double xy[2] = { ix, iy };
        g_array_append_vals (self->stroke, xy, 2);
      }
      stroke_preview (self, tool);
      break;
    case RELABEL_TOOL_RELEASE:
      if (!self->stroking)
        return;
      self->stroking = FALSE;
      {
        double xy[2] = { ix, iy };
        g_array_append_vals (self->stroke, xy, 2);
      }
      finish_stroke (self, tool);
      g_array_set_size (self->stroke, 0);
      redraw (self, FALSE);
      break;
    case RELABEL_TOOL_HOVER:
    default:
      break;
    }
}

static gboolean
on_tool_scroll (RelabelCanvas *canvas, double dy, RelabelTools *self)
{
  if (relabel_canvas_get_tool (canvas) != RELABEL_TOOL_WAND)
    return FALSE;
  /* wheel up: a larger tolerance, 2 RGB units a notch */
  gtk_adjustment_set_value (self->tolerance, gtk_adjustment_get_value (self->tolerance) - 2 * dy);
  return TRUE;
}

static void
on_tolerance_changed (GtkAdjustment *adj, RelabelTools *self)
{
  if (relabel_canvas_get_tool (self->canvas) == RELABEL_TOOL_WAND)
    wand_preview (self);
  g_autofree char *msg = g_strdup_printf ("Wand tolerance %.0f", gtk_adjustment_get_value (adj));
  notice (self, msg);
}

static void
refresh (RelabelTools *self)
{
  if (relabel_canvas_get_tool (self->canvas) == RELABEL_TOOL_WAND)
    wand_preview (self);
  else
    redraw (self, FALSE);
}

static void
on_image_loaded (RlSession *session, gint64 id, RelabelTools *self)
{
  self->hover_valid = FALSE;
  self->stroking = FALSE;
  redraw (self, FALSE);
}

static void
on_superpixels_ready (RlSession *session, gint64 id, int size, RelabelTools *self)
{
  if (size == sp_size (self) && shows_boundaries (self))
    refresh (self);
}

/* ---- actions */

static void
cleanup (RelabelTools *self, gboolean holes)
{
  RlToolInput in;
  if (!tool_input (self, &in))
    return;
  g_autoptr (GError) error = NULL;
  guint n = (guint) gtk_adjustment_get_value (self->min_size);
  g_autoptr (RlEdit) edit = holes ? rl_tool_fill_holes (&in, n, &error)
                                  : rl_tool_remove_islands (&in, n, &error);
  g_autofree char *what = g_strdup_printf (holes ? "Holes under %u px filled"
                                                 : "Islands under %u px removed", n);
  apply (self, edit, error, what);
}

static void
action_cb (GSimpleAction *action, GVariant *param, gpointer data)
{
  RelabelTools *self = data;
  const char *name = g_action_get_name (G_ACTION (action));
  if (g_str_equal (name, "remove-islands"))
    cleanup (self, FALSE);
  else if (g_str_equal (name, "fill-holes"))
    cleanup (self, TRUE);
  else if (g_str_equal (name, "toggle-boundaries"))
    gtk_toggle_button_set_active (self->boundaries_toggle, !shows_boundaries (self));
  else if (g_str_equal (name, "toggle-contours"))
    gtk_toggle_button_set_active (self->contours_toggle,
                                  !gtk_toggle_button_get_active (self->contours_toggle));
  else if (g_str_equal (name, "cycle-size"))
    gtk_drop_down_set_selected (self->size_dropdown,
                                (gtk_drop_down_get_selected (self->size_dropdown) + 1)
                                  % RL_SUPERPIXEL_N_SIZES);
  else if (g_str_equal (name, "tolerance"))
    gtk_adjustment_set_value (self->tolerance, gtk_adjustment_get_value (self->tolerance)
                                                 + g_variant_get_int32 (param));
  else if (g_str_equal (name, "toggle-lasso"))
    gtk_toggle_button_set_active (self->lasso_toggle,
                                  !gtk_toggle_button_get_active (self->lasso_toggle));
  else if (g_str_equal (name, "pick-class"))
    relabel_class_picker_open (self->picker);
}

static void
on_contours_toggled (GtkToggleButton *b, RelabelTools *self)
{
  relabel_canvas_set_contours (self->canvas, gtk_toggle_button_get_active (b));
}

static void
on_class_chosen (RelabelClassPicker *picker, int value, RelabelTools *self)
{
  g_signal_emit (self, signals[SIGNAL_CLASS_CHOSEN], 0, value);
}

/* ---- the options row */

static GtkWidget *
build_bar (RelabelTools *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_start (bar, 6);
  gtk_widget_set_margin_end (bar, 6);
  gtk_widget_set_margin_top (bar, 3);
  gtk_widget_set_margin_bottom (bar, 3);

  /* first, so that it is on screen for its popover however narrow the window */
  GtkWidget *pick = gtk_menu_button_new ();
  gtk_menu_button_set_label (GTK_MENU_BUTTON (pick), "Class…");
  gtk_widget_set_tooltip_text (pick, "Find a class by name (/)");
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (pick), GTK_WIDGET (self->picker));
  gtk_widget_set_focus_on_click (pick, FALSE);
  gtk_box_append (GTK_BOX (bar), pick);
  GtkWidget *tools = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (tools, "linked");
  static const struct { const char *name, *label, *tip; } buttons[] = {
    { "wand", "Wand", "Magic wand (W): click paints similar colours; wheel or slider: tolerance" },
    { "superpixel", "Superpixels", "Superpixel brush (S): paints whole superpixels" },
    { "replace", "Replace", "Replace (R): in a stroke, the class under its start becomes the "
                            "selected class" },
    { "accept", "Take prediction", "Accept the prediction in a stroke (T); X: only void" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkWidget *b = gtk_toggle_button_new_with_label (buttons[i].label);
      gtk_widget_set_tooltip_text (b, buttons[i].tip);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "win.tool");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "s", buttons[i].name);
      gtk_widget_set_focus_on_click (b, FALSE);
      gtk_box_append (GTK_BOX (tools), b);
    }
  gtk_box_append (GTK_BOX (bar), tools);
  self->lasso_toggle = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_label ("Lasso"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->lasso_toggle),
                               "Replace and Take prediction act inside the polygon the drag "
                               "draws instead of under the brush (L)");
  gtk_widget_set_focus_on_click (GTK_WIDGET (self->lasso_toggle), FALSE);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->lasso_toggle));

  gtk_box_append (GTK_BOX (bar), gtk_label_new ("Tolerance"));
  GtkWidget *scale = gtk_scale_new (GTK_ORIENTATION_HORIZONTAL, self->tolerance);
  gtk_scale_set_draw_value (GTK_SCALE (scale), TRUE);
  gtk_scale_set_value_pos (GTK_SCALE (scale), GTK_POS_RIGHT);
  gtk_scale_set_digits (GTK_SCALE (scale), 0);
  gtk_widget_set_size_request (scale, 120, -1);
  gtk_widget_set_tooltip_text (scale, "Wand tolerance: RGB distance to the clicked pixel "
                                      "(wheel over the image, , and .)");
  gtk_widget_set_focus_on_click (scale, FALSE);
  gtk_box_append (GTK_BOX (bar), scale);

  gtk_box_append (GTK_BOX (bar), gtk_label_new ("Superpixels"));
  self->size_dropdown = GTK_DROP_DOWN (gtk_drop_down_new_from_strings (
    (const char *const[]) { "8 px", "16 px", "32 px", NULL }));
  gtk_drop_down_set_selected (self->size_dropdown, 1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->size_dropdown), "Superpixel size (Shift+S)");
  gtk_widget_set_focus_on_click (GTK_WIDGET (self->size_dropdown), FALSE);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->size_dropdown));
  self->boundaries_toggle = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_label ("Boundaries"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->boundaries_toggle),
                               "Show the superpixel boundaries (Shift+B)");
  gtk_widget_set_focus_on_click (GTK_WIDGET (self->boundaries_toggle), FALSE);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->boundaries_toggle));
  self->contours_toggle = GTK_TOGGLE_BUTTON (gtk_toggle_button_new_with_label ("Contours"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->contours_toggle),
                               "Labels as outlines only (K)");
  gtk_widget_set_focus_on_click (GTK_WIDGET (self->contours_toggle), FALSE);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (self->contours_toggle));

  gtk_box_append (GTK_BOX (bar), gtk_label_new ("Under"));
  GtkWidget *spin = gtk_spin_button_new (self->min_size, 1, 0);
  gtk_widget_set_tooltip_text (spin, "Clean-up size in pixels");
  gtk_box_append (GTK_BOX (bar), spin);
  GtkWidget *isl = gtk_button_new_with_label ("Remove islands");
  gtk_widget_set_tooltip_text (isl, "Class regions under the size take the class around them "
                                    "(Shift+I)");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (isl), "tools.remove-islands");
  gtk_widget_set_focus_on_click (isl, FALSE);
  gtk_box_append (GTK_BOX (bar), isl);
  GtkWidget *holes = gtk_button_new_with_label ("Fill holes");
  gtk_widget_set_tooltip_text (holes, "Void regions under the size take the class around them "
                                      "(Shift+H)");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (holes), "tools.fill-holes");
  gtk_widget_set_focus_on_click (holes, FALSE);
  gtk_box_append (GTK_BOX (bar), holes);

  g_signal_connect_swapped (self->size_dropdown, "notify::selected", G_CALLBACK (refresh), self);
  g_signal_connect_swapped (self->boundaries_toggle, "toggled", G_CALLBACK (refresh), self);
  g_signal_connect (self->contours_toggle, "toggled", G_CALLBACK (on_contours_toggled), self);
  /* the row may be wider than the window: it scrolls instead of widening the window */
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), bar);
  return scroll;
}

static void
add_shortcut (GtkShortcutController *c, guint key, GdkModifierType mods, const char *action,
              GVariant *args)
{
  GtkShortcut *s = gtk_shortcut_new (gtk_keyval_trigger_new (key, mods),
                                     gtk_named_action_new (action));
  if (args != NULL)
    gtk_shortcut_set_arguments (s, args);
  gtk_shortcut_controller_add_shortcut (c, s);
}

void
relabel_tools_attach (RelabelTools *self, GtkWidget *window, GtkWidget *toolbar)
{
  static const GActionEntry entries[] = {
    { "remove-islands", action_cb }, { "fill-holes", action_cb },
    { "toggle-boundaries", action_cb }, { "toggle-contours", action_cb },
    { "cycle-size", action_cb }, { "tolerance", action_cb, "i" }, { "pick-class", action_cb },
    { "toggle-lasso", action_cb },
  };
  GSimpleActionGroup *group = g_simple_action_group_new ();
  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), self);
  gtk_widget_insert_action_group (window, "tools", G_ACTION_GROUP (group));
  g_object_unref (group);

  GtkEventController *c = gtk_shortcut_controller_new ();
  GtkShortcutController *sc = GTK_SHORTCUT_CONTROLLER (c);
  add_shortcut (sc, GDK_KEY_w, 0, "win.tool", g_variant_new_string ("wand"));
  add_shortcut (sc, GDK_KEY_s, 0, "win.tool", g_variant_new_string ("superpixel"));
  add_shortcut (sc, GDK_KEY_r, 0, "win.tool", g_variant_new_string ("replace"));
  add_shortcut (sc, GDK_KEY_t, 0, "win.tool", g_variant_new_string ("accept"));
  add_shortcut (sc, GDK_KEY_S, GDK_SHIFT_MASK, "tools.cycle-size", NULL);
  add_shortcut (sc, GDK_KEY_B, GDK_SHIFT_MASK, "tools.toggle-boundaries", NULL);
  add_shortcut (sc, GDK_KEY_k, 0, "tools.toggle-contours", NULL);
  add_shortcut (sc, GDK_KEY_l, 0, "tools.toggle-lasso", NULL);
  add_shortcut (sc, GDK_KEY_I, GDK_SHIFT_MASK, "tools.remove-islands", NULL);
  add_shortcut (sc, GDK_KEY_H, GDK_SHIFT_MASK, "tools.fill-holes", NULL);
  add_shortcut (sc, GDK_KEY_comma, 0, "tools.tolerance", g_variant_new_int32 (-2));
  add_shortcut (sc, GDK_KEY_period, 0, "tools.tolerance", g_variant_new_int32 (2));
  add_shortcut (sc, GDK_KEY_slash, 0, "tools.pick-class", NULL);
  add_shortcut (sc, GDK_KEY_KP_Divide, 0, "tools.pick-class", NULL);
  gtk_widget_add_controller (window, c);

  if (toolbar != NULL && GTK_IS_BOX (gtk_widget_get_parent (toolbar)))
    gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (toolbar)), self->bar, toolbar);
}

void
relabel_tools_set_spec (RelabelTools *self, const RlClassSpec *spec)
{
  relabel_class_picker_set_spec (self->picker, spec);
}

double
relabel_tools_get_tolerance (RelabelTools *self)
{
  return gtk_adjustment_get_value (self->tolerance);
}

void
relabel_tools_set_tolerance (RelabelTools *self, double tolerance)
{
  gtk_adjustment_set_value (self->tolerance, tolerance);
}

/* ---- GObject */

static void
relabel_tools_dispose (GObject *object)
{
  RelabelTools *self = RELABEL_TOOLS (object);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (self->canvas != NULL)
    g_signal_handlers_disconnect_by_data (self->canvas, self);
  self->session = NULL;
  self->canvas = NULL;
  G_OBJECT_CLASS (relabel_tools_parent_class)->dispose (object);
}

static void
relabel_tools_finalize (GObject *object)
{
  RelabelTools *self = RELABEL_TOOLS (object);
  g_clear_object (&self->tolerance);
  g_clear_object (&self->min_size);
  g_clear_pointer (&self->surface, cairo_surface_destroy);
  g_free (self->preview);
  g_free (self->bounds);
  g_clear_pointer (&self->bounds_sp, rl_superpixels_unref);
  g_array_unref (self->stroke);
  G_OBJECT_CLASS (relabel_tools_parent_class)->finalize (object);
}

static void
relabel_tools_class_init (RelabelToolsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = relabel_tools_dispose;
  object_class->finalize = relabel_tools_finalize;
  signals[SIGNAL_NOTICE] = g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CLASS_CHOSEN] = g_signal_new ("class-chosen", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
relabel_tools_init (RelabelTools *self)
{
  self->stroke = g_array_new (FALSE, FALSE, sizeof (double));
  self->tolerance = g_object_ref_sink (gtk_adjustment_new (20, 0, 200, 1, 10, 0));
  self->min_size = g_object_ref_sink (gtk_adjustment_new (64, 2, 100000, 1, 16, 0));
  self->picker = relabel_class_picker_new ();
  g_signal_connect (self->picker, "class-chosen", G_CALLBACK (on_class_chosen), self);
  self->bar = build_bar (self);
  g_signal_connect (self->tolerance, "value-changed", G_CALLBACK (on_tolerance_changed), self);
}

RelabelTools *
relabel_tools_new (RlSession *session, RelabelCanvas *canvas)
{
  RelabelTools *self = g_object_new (RELABEL_TYPE_TOOLS, NULL);
  self->session = session;
  self->canvas = canvas;
  g_signal_connect (canvas, "tool-event", G_CALLBACK (on_tool_event), self);
  g_signal_connect (canvas, "tool-scroll", G_CALLBACK (on_tool_scroll), self);
  g_signal_connect (session, "image-loaded", G_CALLBACK (on_image_loaded), self);
  g_signal_connect (session, "superpixels-ready", G_CALLBACK (on_superpixels_ready), self);
  g_signal_connect_swapped (session, "mask-changed", G_CALLBACK (refresh), self);
  return self;
}
