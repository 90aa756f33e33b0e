/* The annotation canvas: draws the image and a label overlay (cached Cairo surfaces updated only
 * where a stroke changed them), handles zoom/pan and the brush, eraser, fill, polygon, eyedropper.
 * Frames are cheap while painting: the zoomed composite is kept in a widget-sized cache and only
 * the stroke's rectangle is recomposed; zoom, pan, view or opacity changes rebuild it. */
#include "relabel-canvas.h"

#include <math.h>
#include <string.h>

#include "rl-mask-ops.h"

#define ERROR_RGB 0xff3030u     /* errors view, missed boundary */
#define SPURIOUS_RGB 0xffd000u  /* spurious boundary */

struct _RelabelCanvas
{
  GtkWidget parent_instance;

  /* owned */
  RlClassSpec *spec;
  int width, height;
  guint8 *current;
  guint8 *original;
  guint8 *prediction;
  guint8 *boundary;           /* (H, W) boundary errors from the session, or NULL */
  cairo_surface_t *image;     /* RGB24 (H, W) */
  cairo_surface_t *overlay;   /* ARGB32 (H, W), premultiplied, opaque where drawn */
  guint32 lut[256];           /* label value -> premultiplied ARGB32 of the overlay */
  guint32 lut_solid[256];     /* the same, opaque (contours) unless the overlay is hidden */
  guint32 error_px, spurious_px;  /* premultiplied error colours */
  cairo_surface_t *cache;     /* (widget H, W) composite of image + overlay at the current zoom */
  gboolean cache_valid;
  GArray *polygon;            /* double x, y pairs in image coordinates */

  /* view */
  RelabelView view;
  double opacity;
  gboolean overlay_visible;
  double scale;               /* screen pixels per image pixel */
  double ox, oy;              /* screen position of the image origin */
  gboolean fit;               /* keep the image fitted when the widget resizes */

  /* tools */
  RelabelTool tool;
  int cls;
  double radius;
  gboolean protect;
  gboolean erase_to_original;

  /* interaction */
  gboolean space_down;
  gboolean panning;
  gboolean stroking;
  double pan_ox, pan_oy;
  double drag_x, drag_y;      /* drag start, widget coordinates */
  double last_ix, last_iy;    /* last stroke point, image coordinates */
  int protect_value;
  gboolean pointer_in;
  double pointer_x, pointer_y;
  gint64 last_poly_click;
  GArray *stroke;             /* double x, y pairs of the stroke being drawn */
  RlEdit *edit;               /* the last finished stroke, fill or polygon */
  cairo_surface_t *tool_overlay;  /* an outside tool's overlay (H, W), or NULL */
  gboolean contours;          /* labels as outlines */
  gboolean tool_down;         /* an outside tool's gesture is under way */
  cairo_surface_t *highlight; /* ARGB32 (H, W): relabel_canvas_set_highlight, or NULL */
};

G_DEFINE_FINAL_TYPE (RelabelCanvas, relabel_canvas, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_STROKE_FINISHED,
  SIGNAL_POINTER_MOVED,
  SIGNAL_CLASS_PICKED,
  SIGNAL_ZOOM_CHANGED,
  SIGNAL_VIEW_CHANGED,
  SIGNAL_TOOL_EVENT,
  SIGNAL_TOOL_SCROLL,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static int
void_value (RelabelCanvas *self)
{
  return self->spec != NULL ? self->spec->ignore_index : 255;
}

static guint32
premultiply (guint32 rgb, double alpha)
{
  guint a = (guint) lround (alpha * 255.0);
  guint r = ((rgb >> 16) & 255) * a / 255, g = ((rgb >> 8) & 255) * a / 255, b = (rgb & 255) * a / 255;
  return ((guint32) a << 24) | (r << 16) | (g << 8) | b;
}

/* Opacity is baked into the overlay so compositing is a plain OVER (pixman's fast path). */
static void
build_lut (RelabelCanvas *self)
{
  gboolean errors = self->view == RELABEL_VIEW_ERRORS || self->view == RELABEL_VIEW_BOUNDARY;
  /* error marks stay readable even when the label overlay is faint */
  double alpha = errors ? MAX (self->opacity, 0.85) : self->opacity;
  if (!self->overlay_visible)
    alpha = 0.0;
  for (int v = 0; v < 256; v++)
    {
      self->lut[v] = self->lut_solid[v] = 0;
      if (self->spec != NULL && v < self->spec->n_classes
          && rl_class_spec_is_class (self->spec, (guint) v))
        {
          const RlClass *c = &self->spec->classes[v];
          self->lut[v] = premultiply (((guint32) c->r << 16) | ((guint32) c->g << 8) | c->b, alpha);
          self->lut_solid[v] = premultiply (((guint32) c->r << 16) | ((guint32) c->g << 8) | c->b,
                                            alpha > 0.0 ? 1.0 : 0.0);
        }
    }
  self->error_px = premultiply (ERROR_RGB, alpha);
  self->spurious_px = premultiply (SPURIOUS_RGB, alpha);
}

static gboolean
is_outside_tool (RelabelTool tool)
{
  return tool >= RELABEL_TOOL_WAND;
}

static gboolean
is_class (RelabelCanvas *self, guint8 v)
{
  return self->spec != NULL && v < self->spec->n_classes
         && rl_class_spec_is_class (self->spec, v);
}

static void
invalidate_cache (RelabelCanvas *self)
{
  self->cache_valid = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---- boundary-error view: drawn from the map the session computes off the GTK thread with
 * rl_metrics_boundary_errors (1 missed, 2 spurious: exactly what the image's BF misses). The
 * canvas computes no boundaries of its own. */

static void
draw_boundary_errors (RelabelCanvas *self)
{
  guint32 *px = (guint32 *) cairo_image_surface_get_data (self->overlay);
  int stride = cairo_image_surface_get_stride (self->overlay) / 4;
  int w = self->width, h = self->height;

  for (int y = 0; y < h; y++)
    memset (px + (gsize) y * stride, 0, (gsize) w * 4);
  if (self->boundary == NULL)
    return;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        guint8 v = self->boundary[(gsize) y * w + x];
        if (v == 1)
          px[(gsize) y * stride + x] = self->error_px;
        else if (v == 2)
          px[(gsize) y * stride + x] = self->spurious_px;
      }
}

/* Recomputes the overlay pixels of the rectangle [x0, x1) x [y0, y1) for the current view. */
static void
update_overlay_rect (RelabelCanvas *self, int x0, int y0, int x1, int y1)
{
  if (self->overlay == NULL)
    return;
  if (self->contours)
    {
      /* a changed pixel changes whether its neighbours are outline pixels */
      x0--;
      y0--;
      x1++;
      y1++;
    }
  x0 = MAX (x0, 0);
  y0 = MAX (y0, 0);
  x1 = MIN (x1, self->width);
  y1 = MIN (y1, self->height);
  if (x0 >= x1 || y0 >= y1)
    return;

  cairo_surface_flush (self->overlay);
  guint32 *px = (guint32 *) cairo_image_surface_get_data (self->overlay);
  int stride = cairo_image_surface_get_stride (self->overlay) / 4;
  const guint8 *src = NULL;

  switch (self->view)
    {
    case RELABEL_VIEW_LABELS: src = self->current; break;
    case RELABEL_VIEW_ORIGINAL: src = self->original; break;
    case RELABEL_VIEW_PREDICTION: src = self->prediction; break;
    case RELABEL_VIEW_ERRORS: break;
    case RELABEL_VIEW_BOUNDARY:
      draw_boundary_errors (self);
      cairo_surface_mark_dirty (self->overlay);
      return;
    }

  for (int y = y0; y < y1; y++)
    {
      guint32 *row = px + (gsize) y * stride;
      gsize base = (gsize) y * self->width;
      if (self->view == RELABEL_VIEW_ERRORS)
        {
          for (int x = x0; x < x1; x++)
            {
              guint8 a = self->current ? self->current[base + x] : 0;
              guint8 b = self->prediction ? self->prediction[base + x] : a;
              row[x] = (is_class (self, a) && a != b) ? self->error_px : 0;
            }
        }
      else if (src == NULL)
        memset (row + x0, 0, (gsize) (x1 - x0) * 4);
      else if (self->contours)
        for (int x = x0; x < x1; x++)
          {
            guint8 v = src[base + x];
            gboolean edge = (x > 0 && src[base + x - 1] != v)
                            || (x + 1 < self->width && src[base + x + 1] != v)
                            || (y > 0 && src[base - self->width + x] != v)
                            || (y + 1 < self->height && src[base + self->width + x] != v);
            row[x] = edge ? self->lut_solid[v] : 0;
          }
      else
        for (int x = x0; x < x1; x++)
          row[x] = self->lut[src[base + x]];
    }
  cairo_surface_mark_dirty_rectangle (self->overlay, x0, y0, x1 - x0, y1 - y0);
}

static void
update_overlay (RelabelCanvas *self)
{
  update_overlay_rect (self, 0, 0, self->width, self->height);
  invalidate_cache (self);
}

static void
free_image (RelabelCanvas *self)
{
  g_clear_pointer (&self->current, g_free);
  g_clear_pointer (&self->original, g_free);
  g_clear_pointer (&self->prediction, g_free);
  g_clear_pointer (&self->boundary, g_free);
  g_clear_pointer (&self->image, cairo_surface_destroy);
  g_clear_pointer (&self->overlay, cairo_surface_destroy);
  self->cache_valid = FALSE;
  self->width = self->height = 0;
  self->stroking = FALSE;
  g_array_set_size (self->polygon, 0);
}

/* ---- coordinates */

static void
to_image (RelabelCanvas *self, double wx, double wy, double *ix, double *iy)
{
  *ix = (wx - self->ox) / self->scale;
  *iy = (wy - self->oy) / self->scale;
}

static void
clamp_offset (RelabelCanvas *self)
{
  double W = gtk_widget_get_width (GTK_WIDGET (self));
  double H = gtk_widget_get_height (GTK_WIDGET (self));
  double iw = self->width * self->scale, ih = self->height * self->scale;
  /* keep at least a quarter of the image on screen */
  self->ox = CLAMP (self->ox, -iw + W * 0.25, W * 0.75);
  self->oy = CLAMP (self->oy, -ih + H * 0.25, H * 0.75);
}

static void
do_fit (RelabelCanvas *self)
{
  double W = gtk_widget_get_width (GTK_WIDGET (self));
  double H = gtk_widget_get_height (GTK_WIDGET (self));
  if (self->width == 0 || W < 2 || H < 2)
    return;
  self->scale = MIN ((W - 16) / self->width, (H - 16) / self->height);
  if (self->scale <= 0)
    self->scale = 0.05;
  self->ox = floor ((W - self->width * self->scale) / 2);
  self->oy = floor ((H - self->height * self->scale) / 2);
  invalidate_cache (self);
  g_signal_emit (self, signals[SIGNAL_ZOOM_CHANGED], 0);
}

static void
zoom_at (RelabelCanvas *self, double factor, double wx, double wy)
{
  double ix, iy;
  if (self->width == 0)
    return;
  to_image (self, wx, wy, &ix, &iy);
  self->scale = CLAMP (self->scale * factor, 0.05, 64.0);
  self->ox = wx - ix * self->scale;
  self->oy = wy - iy * self->scale;
  self->fit = FALSE;
  clamp_offset (self);
  invalidate_cache (self);
  g_signal_emit (self, signals[SIGNAL_ZOOM_CHANGED], 0);
}

/* ---- drawing */

/* Recomposes the widget rectangle [sx, sx + sw) x [sy, sy + sh) of the cache: background,
 * zoomed image, zoomed overlay. */
static void
compose_rect (RelabelCanvas *self, int sx, int sy, int sw, int sh)
{
  cairo_t *cr = cairo_create (self->cache);
  cairo_rectangle (cr, sx, sy, sw, sh);
  cairo_clip (cr);
  cairo_set_source_rgb (cr, 0.13, 0.13, 0.14);
  cairo_paint (cr);
  cairo_translate (cr, self->ox, self->oy);
  cairo_scale (cr, self->scale, self->scale);
  cairo_rectangle (cr, 0, 0, self->width, self->height);
  cairo_clip (cr);
  cairo_set_source_surface (cr, self->image, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), self->scale >= 2.0
                            ? CAIRO_FILTER_NEAREST : CAIRO_FILTER_BILINEAR);
  cairo_paint (cr);
  if (self->overlay_visible && self->opacity > 0.0)
    {
      cairo_set_source_surface (cr, self->overlay, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
    }
  cairo_destroy (cr);
}

/* After the overlay changed in image rectangle [x0, x1) x [y0, y1): recompose that part only. */
static void
recompose_image_rect (RelabelCanvas *self, int x0, int y0, int x1, int y1)
{
  if (!self->cache_valid || self->cache == NULL)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  int sx0 = (int) floor (self->ox + x0 * self->scale) - 1;
  int sy0 = (int) floor (self->oy + y0 * self->scale) - 1;
  int sx1 = (int) ceil (self->ox + x1 * self->scale) + 1;
  int sy1 = (int) ceil (self->oy + y1 * self->scale) + 1;
  sx0 = MAX (sx0, 0);
  sy0 = MAX (sy0, 0);
  sx1 = MIN (sx1, cairo_image_surface_get_width (self->cache));
  sy1 = MIN (sy1, cairo_image_surface_get_height (self->cache));
  if (sx0 < sx1 && sy0 < sy1)
    compose_rect (self, sx0, sy0, sx1 - sx0, sy1 - sy0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
relabel_canvas_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  RelabelCanvas *self = RELABEL_CANVAS (widget);
  if (self->fit)
    do_fit (self);
  else
    clamp_offset (self);
  invalidate_cache (self);
}

static void draw_highlight (RelabelCanvas *self, cairo_t *cr);

static void
relabel_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  RelabelCanvas *self = RELABEL_CANVAS (widget);
  int W = gtk_widget_get_width (widget), H = gtk_widget_get_height (widget);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, W, H));

  if (self->image == NULL)
    {
      cairo_set_source_rgb (cr, 0.13, 0.13, 0.14);
      cairo_paint (cr);
    }
  else
    {
      if (self->cache == NULL || cairo_image_surface_get_width (self->cache) != W
          || cairo_image_surface_get_height (self->cache) != H)
        {
          g_clear_pointer (&self->cache, cairo_surface_destroy);
          self->cache = cairo_image_surface_create (CAIRO_FORMAT_RGB24, MAX (W, 1), MAX (H, 1));
          self->cache_valid = FALSE;
        }
      if (!self->cache_valid)
        {
          compose_rect (self, 0, 0, W, H);
          self->cache_valid = TRUE;
        }
      cairo_set_source_surface (cr, self->cache, 0, 0);
      cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
      cairo_paint (cr);
      cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
      draw_highlight (self, cr);
    }

  /* an outside tool's overlay (wand preview, superpixels) */
  if (self->image != NULL && self->tool_overlay != NULL)
    {
      cairo_save (cr);
      cairo_translate (cr, self->ox, self->oy);
      cairo_scale (cr, self->scale, self->scale);
      cairo_rectangle (cr, 0, 0, self->width, self->height);
      cairo_clip (cr);
      cairo_set_source_surface (cr, self->tool_overlay, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);
    }

  /* polygon under construction */
  if (self->polygon->len >= 2)
    {
      const double *p = (const double *) self->polygon->data;
      guint n = self->polygon->len / 2;
      cairo_new_path (cr);
      for (guint i = 0; i < n; i++)
        cairo_line_to (cr, self->ox + p[2 * i] * self->scale, self->oy + p[2 * i + 1] * self->scale);
      if (self->pointer_in)
        cairo_line_to (cr, self->pointer_x, self->pointer_y);
      cairo_set_line_width (cr, 3);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
      cairo_stroke_preserve (cr);
      cairo_set_line_width (cr, 1.5);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_stroke (cr);
      for (guint i = 0; i < n; i++)
        {
          cairo_arc (cr, self->ox + p[2 * i] * self->scale, self->oy + p[2 * i + 1] * self->scale,
                     i == 0 ? 5 : 3, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }

  /* brush outline */
  if (self->pointer_in && self->image != NULL && !self->panning
      && (self->tool == RELABEL_TOOL_BRUSH || self->tool == RELABEL_TOOL_ERASER
          || self->tool == RELABEL_TOOL_SUPERPIXEL || self->tool == RELABEL_TOOL_REPLACE
          || self->tool == RELABEL_TOOL_ACCEPT_PREDICTION))
    {
      double r = MAX (self->radius * self->scale, 1.5);
      cairo_arc (cr, self->pointer_x, self->pointer_y, r, 0, 2 * G_PI);
      cairo_set_line_width (cr, 3);
      cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
      cairo_stroke_preserve (cr);
      cairo_set_line_width (cr, 1.2);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

/* ---- painting */

static RlPaint
current_paint (RelabelCanvas *self)
{
  RlPaint p = { 0 };
  p.void_value = void_value (self);
  p.protect_value = self->protect ? self->protect_value : -1;
  p.value = (guint8) (self->tool == RELABEL_TOOL_ERASER ? void_value (self) : self->cls);
  return p;
}

/* Eraser back to the original: copies original labels inside the stroke's footprint. The
 * footprint is found by painting a scratch mask with the same brush. */
static void
erase_to_original (RelabelCanvas *self, const double *xy, int n, int x0, int y0, int x1, int y1)
{
  int w = self->width;
  int bw = x1 - x0, bh = y1 - y0;
  if (bw <= 0 || bh <= 0)
    return;
  g_autofree guint8 *scratch = g_malloc0 ((gsize) bw * bh);
  RlPaint p = { .value = 1, .protect_value = -1, .void_value = 0 };
  double local[4];
  for (int i = 0; i < n; i++)
    {
      local[2 * i] = xy[2 * i] - x0;
      local[2 * i + 1] = xy[2 * i + 1] - y0;
    }
  rl_mask_paint_stroke (scratch, bw, bh, &p, self->radius, local, n);
  for (int y = 0; y < bh; y++)
    for (int x = 0; x < bw; x++)
      if (scratch[(gsize) y * bw + x])
        {
          gsize i = (gsize) (y + y0) * w + (x + x0);
          guint8 cur = self->current[i];
          if (self->protect && cur != self->protect_value && cur != void_value (self))
            continue;
          self->current[i] = self->original[i];
        }
}

static void
paint_points (RelabelCanvas *self, const double *xy, int n)
{
  double minx = xy[0], maxx = xy[0], miny = xy[1], maxy = xy[1];
  for (int i = 1; i < n; i++)
    {
      minx = MIN (minx, xy[2 * i]);
      maxx = MAX (maxx, xy[2 * i]);
      miny = MIN (miny, xy[2 * i + 1]);
      maxy = MAX (maxy, xy[2 * i + 1]);
    }
  int x0 = MAX ((int) floor (minx - self->radius) - 1, 0);
  int y0 = MAX ((int) floor (miny - self->radius) - 1, 0);
  int x1 = MIN ((int) ceil (maxx + self->radius) + 2, self->width);
  int y1 = MIN ((int) ceil (maxy + self->radius) + 2, self->height);

  if (self->tool == RELABEL_TOOL_ERASER && self->erase_to_original && self->original != NULL)
    erase_to_original (self, xy, n, x0, y0, x1, y1);
  else
    {
      RlPaint p = current_paint (self);
      rl_mask_paint_stroke (self->current, self->width, self->height, &p, self->radius, xy, n);
    }
  if (self->view != RELABEL_VIEW_BOUNDARY)
    {
      update_overlay_rect (self, x0, y0, x1, y1);
      recompose_image_rect (self, x0, y0, x1, y1);
    }
}

void
relabel_canvas_paint_segment (RelabelCanvas *self, double x0, double y0, double x1, double y1)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (self->current == NULL)
    return;
  double xy[4] = { x0, y0, x1, y1 };
  paint_points (self, xy, 2);
}

static int
value_at (RelabelCanvas *self, double ix, double iy)
{
  int x = (int) floor (ix), y = (int) floor (iy);
  if (self->current == NULL || x < 0 || y < 0 || x >= self->width || y >= self->height)
    return -1;
  return self->current[(gsize) y * self->width + x];
}

/* The edit the last gesture made, as the session applies it (rl-edit.h). */
static void
set_edit (RelabelCanvas *self, RlEditKind kind, const char *tool, const double *xy, int n)
{
  g_clear_pointer (&self->edit, rl_edit_free);
  RlEdit *e = rl_edit_new (kind, tool);
  e->cls = self->tool == RELABEL_TOOL_ERASER ? void_value (self) : self->cls;
  if (self->tool == RELABEL_TOOL_ERASER && self->erase_to_original && self->original != NULL)
    e->source = RL_EDIT_SOURCE_ORIGINAL;
  e->radius = self->radius;
  e->protect = self->protect ? RL_PROTECT_ANCHOR : RL_PROTECT_NONE;
  rl_edit_set_points (e, xy, n);
  self->edit = e;
}

RlEdit *
relabel_canvas_take_edit (RelabelCanvas *self)
{
  g_return_val_if_fail (RELABEL_IS_CANVAS (self), NULL);
  return g_steal_pointer (&self->edit);
}

static void
finish_polygon (RelabelCanvas *self)
{
  guint n = self->polygon->len / 2;
  if (n >= 3 && self->current != NULL)
    {
      RlPaint p = current_paint (self);
      if (self->protect)
        {
          const double *xy = (const double *) self->polygon->data;
          p.protect_value = value_at (self, xy[0], xy[1]);
        }
      rl_mask_fill_polygon (self->current, self->width, self->height, &p,
                            (const double *) self->polygon->data, (int) n);
      set_edit (self, RL_EDIT_POLYGON, "polygon", (const double *) self->polygon->data, (int) n);
      g_array_set_size (self->polygon, 0);
      update_overlay (self);
      g_signal_emit (self, signals[SIGNAL_STROKE_FINISHED], 0, "polygon");
    }
  else
    g_array_set_size (self->polygon, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_primary_begin (GtkGestureDrag *gesture, double x, double y, RelabelCanvas *self)
{
  double ix, iy;
  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->drag_x = x;
  self->drag_y = y;
  if (self->image == NULL)
    return;
  if (self->space_down)
    {
      self->panning = TRUE;
      self->pan_ox = self->ox;
      self->pan_oy = self->oy;
      return;
    }
  to_image (self, x, y, &ix, &iy);
  int v = value_at (self, ix, iy);
  if (is_outside_tool (self->tool))
    {
      self->tool_down = TRUE;
      g_signal_emit (self, signals[SIGNAL_TOOL_EVENT], 0, RELABEL_TOOL_PRESS, ix, iy);
      return;
    }

  switch (self->tool)
    {
    case RELABEL_TOOL_WAND:
    case RELABEL_TOOL_SUPERPIXEL:
    case RELABEL_TOOL_REPLACE:
    case RELABEL_TOOL_ACCEPT_PREDICTION:
      break;
    case RELABEL_TOOL_BRUSH:
    case RELABEL_TOOL_ERASER:
      if (self->view == RELABEL_VIEW_ORIGINAL || self->view == RELABEL_VIEW_PREDICTION)
        {
          /* those layers are read-only: show the labels being edited */
          relabel_canvas_set_view (self, RELABEL_VIEW_LABELS);
          g_signal_emit (self, signals[SIGNAL_VIEW_CHANGED], 0);
        }
      self->stroking = TRUE;
      self->protect_value = v >= 0 ? v : void_value (self);
      self->last_ix = ix;
      self->last_iy = iy;
      g_array_set_size (self->stroke, 0);
      {
        double xy[2] = { ix, iy };
        g_array_append_vals (self->stroke, xy, 2);
        paint_points (self, xy, 1);
      }
      break;
    case RELABEL_TOOL_FILL:
      if (v >= 0)
        {
          RlPaint p = current_paint (self);
          p.protect_value = -1;  /* a fill only ever covers one region of one class */
          if (rl_mask_flood_fill (self->current, self->width, self->height, &p, (int) ix,
                                  (int) iy) > 0)
            {
              double xy[2] = { ix, iy };
              update_overlay (self);
              set_edit (self, RL_EDIT_FILL, "fill", xy, 1);
              g_signal_emit (self, signals[SIGNAL_STROKE_FINISHED], 0, "fill");
            }
        }
      break;
    case RELABEL_TOOL_POLYGON:
      {
        gint64 now = g_get_monotonic_time ();
        gboolean dbl = now - self->last_poly_click < 350000;
        self->last_poly_click = now;
        if (self->polygon->len >= 6)
          {
            const double *p = (const double *) self->polygon->data;
            double dx = (p[0] * self->scale + self->ox) - x;
            double dy = (p[1] * self->scale + self->oy) - y;
            if (dbl || dx * dx + dy * dy < 64)
              {
                finish_polygon (self);
                return;
              }
          }
        double pt[2] = { CLAMP (ix, 0, self->width), CLAMP (iy, 0, self->height) };
        g_array_append_vals (self->polygon, pt, 2);
        gtk_widget_queue_draw (GTK_WIDGET (self));
      }
      break;
    case RELABEL_TOOL_EYEDROPPER:
      if (v >= 0 && is_class (self, (guint8) v))
        g_signal_emit (self, signals[SIGNAL_CLASS_PICKED], 0, v);
      break;
    }
}

static void
on_primary_update (GtkGestureDrag *gesture, double dx, double dy, RelabelCanvas *self)
{
  if (self->panning)
    {
      self->ox = round (self->pan_ox + dx);
      self->oy = round (self->pan_oy + dy);
      self->fit = FALSE;
      clamp_offset (self);
      invalidate_cache (self);
      return;
    }
  if (self->tool_down)
    {
      double tx, ty;
      self->pointer_x = self->drag_x + dx;
      self->pointer_y = self->drag_y + dy;
      to_image (self, self->pointer_x, self->pointer_y, &tx, &ty);
      g_signal_emit (self, signals[SIGNAL_TOOL_EVENT], 0, RELABEL_TOOL_DRAG, tx, ty);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  if (!self->stroking)
    return;
  double ix, iy;
  to_image (self, self->drag_x + dx, self->drag_y + dy, &ix, &iy);
  self->pointer_x = self->drag_x + dx;
  self->pointer_y = self->drag_y + dy;
  double xy[4] = { self->last_ix, self->last_iy, ix, iy };
  paint_points (self, xy, 2);
  g_array_append_vals (self->stroke, xy + 2, 2);
  self->last_ix = ix;
  self->last_iy = iy;
}

static void
on_primary_end (GtkGestureDrag *gesture, double dx, double dy, RelabelCanvas *self)
{
  if (self->panning)
    {
      self->panning = FALSE;
      return;
    }
  if (self->tool_down)
    {
      double tx, ty;
      self->tool_down = FALSE;
      to_image (self, self->drag_x + dx, self->drag_y + dy, &tx, &ty);
      g_signal_emit (self, signals[SIGNAL_TOOL_EVENT], 0, RELABEL_TOOL_RELEASE, tx, ty);
      return;
    }
  if (!self->stroking)
    return;
  on_primary_update (gesture, dx, dy, self);
  self->stroking = FALSE;
  if (self->view == RELABEL_VIEW_BOUNDARY || self->view == RELABEL_VIEW_ERRORS)
    update_overlay (self);
  const char *tool = self->tool == RELABEL_TOOL_ERASER ? "eraser" : "brush";
  set_edit (self, RL_EDIT_STROKE, tool, (const double *) self->stroke->data,
            (int) self->stroke->len / 2);
  g_signal_emit (self, signals[SIGNAL_STROKE_FINISHED], 0, tool);
}

static void
on_pan_begin (GtkGestureDrag *gesture, double x, double y, RelabelCanvas *self)
{
  self->panning = TRUE;
  self->pan_ox = self->ox;
  self->pan_oy = self->oy;
}

static void
on_pan_update (GtkGestureDrag *gesture, double dx, double dy, RelabelCanvas *self)
{
  self->ox = round (self->pan_ox + dx);
  self->oy = round (self->pan_oy + dy);
  self->fit = FALSE;
  clamp_offset (self);
  invalidate_cache (self);
}

static void
on_pan_end (GtkGestureDrag *gesture, double dx, double dy, RelabelCanvas *self)
{
  self->panning = FALSE;
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, RelabelCanvas *self)
{
  double ix, iy;
  self->pointer_in = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  to_image (self, x, y, &ix, &iy);
  int v = value_at (self, ix, iy);
  g_signal_emit (self, signals[SIGNAL_POINTER_MOVED], 0, (int) floor (ix), (int) floor (iy), v);
  if (is_outside_tool (self->tool) && !self->tool_down && self->image != NULL)
    g_signal_emit (self, signals[SIGNAL_TOOL_EVENT], 0, RELABEL_TOOL_HOVER, ix, iy);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion, RelabelCanvas *self)
{
  self->pointer_in = FALSE;
  g_signal_emit (self, signals[SIGNAL_POINTER_MOVED], 0, -1, -1, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gboolean
on_scroll (GtkEventControllerScroll *scroll, double dx, double dy, RelabelCanvas *self)
{
  if (dy == 0)
    return FALSE;
  /* an outside tool may take the wheel (the wand's tolerance); Ctrl+wheel always zooms */
  GdkModifierType mods = gtk_event_controller_get_current_event_state (
    GTK_EVENT_CONTROLLER (scroll));
  gboolean taken = FALSE;
  if (is_outside_tool (self->tool) && !(mods & GDK_CONTROL_MASK))
    g_signal_emit (self, signals[SIGNAL_TOOL_SCROLL], 0, dy, &taken);
  if (taken)
    return TRUE;
  zoom_at (self, pow (1.15, -dy), self->pointer_in ? self->pointer_x
           : gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
           self->pointer_in ? self->pointer_y : gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
  return TRUE;
}

static void
on_zoom_scale_changed (GtkGestureZoom *gesture, double scale, RelabelCanvas *self)
{
  static const double step = 1.0;
  double cx, cy;
  double prev = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (gesture), "rl-prev")) / 1000.0;
  if (prev <= 0)
    prev = step;
  if (!gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &cx, &cy))
    return;
  zoom_at (self, scale / prev, cx, cy);
  g_object_set_data (G_OBJECT (gesture), "rl-prev", GINT_TO_POINTER ((int) (scale * 1000)));
}

static void
on_zoom_end (GtkGesture *gesture, GdkEventSequence *seq, RelabelCanvas *self)
{
  g_object_set_data (G_OBJECT (gesture), "rl-prev", NULL);
}

static gboolean
on_key_pressed (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
                RelabelCanvas *self)
{
  switch (keyval)
    {
    case GDK_KEY_space:
      self->space_down = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grab");
      return TRUE;
    case GDK_KEY_Escape:
      if (self->polygon->len > 0)
        {
          g_array_set_size (self->polygon, 0);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          return TRUE;
        }
      return FALSE;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
      if (self->polygon->len > 0)
        {
          finish_polygon (self);
          return TRUE;
        }
      return FALSE;
    default:
      return FALSE;
    }
}

static void
on_key_released (GtkEventControllerKey *key, guint keyval, guint keycode, GdkModifierType state,
                 RelabelCanvas *self)
{
  if (keyval == GDK_KEY_space)
    {
      self->space_down = FALSE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "crosshair");
    }
}

/* ---- public API */

GtkWidget *
relabel_canvas_new (void)
{
  return g_object_new (RELABEL_TYPE_CANVAS, NULL);
}

void
relabel_canvas_set_spec (RelabelCanvas *self, const RlClassSpec *spec)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  g_clear_pointer (&self->spec, rl_class_spec_free);
  if (spec != NULL)
    self->spec = rl_class_spec_copy (spec);
  build_lut (self);
  update_overlay (self);
}

static guint8 *
dup_mask (const guint8 *m, int w, int h)
{
  return m != NULL ? g_memdup2 (m, (gsize) w * h) : NULL;
}

void
relabel_canvas_set_image (RelabelCanvas *self, int width, int height, const guint8 *rgb,
                          const guint8 *current, const guint8 *original,
                          const guint8 *prediction)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  g_return_if_fail (rgb != NULL && width > 0 && height > 0);
  gboolean same_size = width == self->width && height == self->height;

  free_image (self);
  self->width = width;
  self->height = height;
  /* an image without labels is edited from all-void */
  self->current = current ? dup_mask (current, width, height) : g_malloc ((gsize) width * height);
  if (current == NULL)
    memset (self->current, void_value (self), (gsize) width * height);
  self->original = dup_mask (original, width, height);
  self->prediction = dup_mask (prediction, width, height);

  self->image = cairo_image_surface_create (CAIRO_FORMAT_RGB24, width, height);
  guint32 *px = (guint32 *) cairo_image_surface_get_data (self->image);
  int stride = cairo_image_surface_get_stride (self->image) / 4;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guint8 *p = rgb + ((gsize) y * width + x) * 3;
        px[(gsize) y * stride + x] = 0xff000000u | ((guint32) p[0] << 16) | ((guint32) p[1] << 8)
                                     | p[2];
      }
  cairo_surface_mark_dirty (self->image);
  self->overlay = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  update_overlay (self);
  if (!same_size || self->fit)
    {
      self->fit = TRUE;
      do_fit (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
relabel_canvas_clear (RelabelCanvas *self)
{
  free_image (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
relabel_canvas_has_image (RelabelCanvas *self)
{
  return self->image != NULL;
}

void
relabel_canvas_set_current (RelabelCanvas *self, const guint8 *mask)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (self->current == NULL || mask == NULL)
    return;
  memcpy (self->current, mask, (gsize) self->width * self->height);
  update_overlay (self);
}

void
relabel_canvas_set_current_rect (RelabelCanvas *self, const guint8 *mask, int x0, int y0, int x1,
                                 int y1)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (self->current == NULL || mask == NULL)
    return;
  x0 = CLAMP (x0, 0, self->width);
  x1 = CLAMP (x1, x0, self->width);
  y0 = CLAMP (y0, 0, self->height);
  y1 = CLAMP (y1, y0, self->height);
  gboolean same = TRUE;
  for (int y = y0; y < y1; y++)
    {
      gsize row = (gsize) y * self->width;
      if (memcmp (self->current + row + x0, mask + row + x0, x1 - x0) != 0)
        {
          memcpy (self->current + row + x0, mask + row + x0, x1 - x0);
          same = FALSE;
        }
    }
  if (same)
    return;   /* the stroke's preview already shows it */
  if (self->view == RELABEL_VIEW_BOUNDARY || self->view == RELABEL_VIEW_ERRORS)
    update_overlay (self);
  else
    {
      update_overlay_rect (self, x0, y0, x1, y1);
      recompose_image_rect (self, x0, y0, x1, y1);
    }
}

void
relabel_canvas_set_prediction (RelabelCanvas *self, const guint8 *mask)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (self->image == NULL)
    return;
  g_clear_pointer (&self->prediction, g_free);
  self->prediction = dup_mask (mask, self->width, self->height);
  /* the labels views do not show it: keep the cached frame (pre-label runs while painting) */
  if (self->view != RELABEL_VIEW_LABELS && self->view != RELABEL_VIEW_ORIGINAL)
    update_overlay (self);
}

void
relabel_canvas_set_boundary_errors (RelabelCanvas *self, const guint8 *map)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (self->image == NULL)
    return;
  g_clear_pointer (&self->boundary, g_free);
  self->boundary = dup_mask (map, self->width, self->height);
  if (self->view == RELABEL_VIEW_BOUNDARY)
    update_overlay (self);
}

const guint8 *
relabel_canvas_get_current (RelabelCanvas *self, int *width, int *height)
{
  if (width)
    *width = self->width;
  if (height)
    *height = self->height;
  return self->current;
}

void
relabel_canvas_set_tool (RelabelCanvas *self, RelabelTool tool)
{
  self->tool = tool;
  if (tool != RELABEL_TOOL_POLYGON)
    g_array_set_size (self->polygon, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

RelabelTool
relabel_canvas_get_tool (RelabelCanvas *self)
{
  return self->tool;
}

void
relabel_canvas_set_class (RelabelCanvas *self, int cls)
{
  self->cls = cls;
}

int
relabel_canvas_get_class (RelabelCanvas *self)
{
  return self->cls;
}

void
relabel_canvas_set_brush_radius (RelabelCanvas *self, double radius)
{
  self->radius = CLAMP (radius, 0.5, 500.0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
relabel_canvas_get_brush_radius (RelabelCanvas *self)
{
  return self->radius;
}

void
relabel_canvas_set_protect (RelabelCanvas *self, gboolean protect)
{
  self->protect = protect;
}

void
relabel_canvas_set_erase_to_original (RelabelCanvas *self, gboolean to_original)
{
  self->erase_to_original = to_original;
}

void
relabel_canvas_set_view (RelabelCanvas *self, RelabelView view)
{
  if (self->view == view)
    return;
  self->view = view;
  build_lut (self);
  update_overlay (self);
}

RelabelView
relabel_canvas_get_view (RelabelCanvas *self)
{
  return self->view;
}

void
relabel_canvas_set_opacity (RelabelCanvas *self, double opacity)
{
  self->opacity = CLAMP (opacity, 0.0, 1.0);
  build_lut (self);
  update_overlay (self);
}

void
relabel_canvas_set_overlay_visible (RelabelCanvas *self, gboolean visible)
{
  if (self->overlay_visible == visible)
    return;
  self->overlay_visible = visible;
  build_lut (self);
  update_overlay (self);
}

gboolean
relabel_canvas_get_overlay_visible (RelabelCanvas *self)
{
  return self->overlay_visible;
}

void
relabel_canvas_zoom (RelabelCanvas *self, double factor)
{
  zoom_at (self, factor, gtk_widget_get_width (GTK_WIDGET (self)) / 2.0,
           gtk_widget_get_height (GTK_WIDGET (self)) / 2.0);
}

void
relabel_canvas_zoom_fit (RelabelCanvas *self)
{
  self->fit = TRUE;
  do_fit (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
relabel_canvas_get_zoom (RelabelCanvas *self)
{
  return self->scale;
}

/* ---- the suspects queue's region */

void
relabel_canvas_show_rect (RelabelCanvas *self, int x, int y, int width, int height)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  double W = gtk_widget_get_width (GTK_WIDGET (self));
  double H = gtk_widget_get_height (GTK_WIDGET (self));
  if (self->width == 0 || W < 2 || H < 2)
    return;
  /* the rectangle at most half the view (small regions are zoomed to at most 4x), never
   * smaller than the fitted image */
  double fit = MIN ((W - 16) / self->width, (H - 16) / self->height);
  double s = MIN (0.5 * W / MAX (width, 1), 0.5 * H / MAX (height, 1));
  s = CLAMP (MIN (s, 4.0), MAX (fit, 0.05), 64.0);
  self->scale = s;
  self->ox = W / 2 - (x + width / 2.0) * s;
  self->oy = H / 2 - (y + height / 2.0) * s;
  self->fit = FALSE;
  clamp_offset (self);
  invalidate_cache (self);
  g_signal_emit (self, signals[SIGNAL_ZOOM_CHANGED], 0);
}

/* ---- GObject */

static void
relabel_canvas_finalize (GObject *object)
{
  g_clear_pointer (&RELABEL_CANVAS (object)->highlight, cairo_surface_destroy);
  RelabelCanvas *self = RELABEL_CANVAS (object);
  free_image (self);
  g_clear_pointer (&self->cache, cairo_surface_destroy);
  g_clear_pointer (&self->spec, rl_class_spec_free);
  g_array_unref (self->polygon);
  g_array_unref (self->stroke);
  g_clear_pointer (&self->edit, rl_edit_free);
  g_clear_pointer (&self->tool_overlay, cairo_surface_destroy);
  G_OBJECT_CLASS (relabel_canvas_parent_class)->finalize (object);
}

static void
relabel_canvas_class_init (RelabelCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = relabel_canvas_finalize;
  widget_class->snapshot = relabel_canvas_snapshot;
  widget_class->size_allocate = relabel_canvas_size_allocate;

  /* A stroke, fill or polygon ended; the tool name says which. The current mask holds it. */
  signals[SIGNAL_STROKE_FINISHED] =
    g_signal_new ("stroke-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Pointer at image pixel (x, y) with label value v; v = -1 outside the image. */
  signals[SIGNAL_POINTER_MOVED] =
    g_signal_new ("pointer-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  /* The eyedropper picked a class. */
  signals[SIGNAL_CLASS_PICKED] =
    g_signal_new ("class-picked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  /* The canvas switched the view by itself (painting while a read-only layer was shown). */
  signals[SIGNAL_VIEW_CHANGED] =
    g_signal_new ("view-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  /* The zoom factor changed (wheel, keys, fit, resize). */
  signals[SIGNAL_ZOOM_CHANGED] =
    g_signal_new ("zoom-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);

  /* An outside tool's gesture (RelabelToolPhase, image x, y). */
  signals[SIGNAL_TOOL_EVENT] =
    g_signal_new ("tool-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  /* The wheel (dy) over the canvas with an outside tool; TRUE when the tool used it. */
  signals[SIGNAL_TOOL_SCROLL] =
    g_signal_new ("tool-scroll", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, g_signal_accumulator_true_handled, NULL, NULL, G_TYPE_BOOLEAN, 1,
                  G_TYPE_DOUBLE);

  gtk_widget_class_set_css_name (widget_class, "relabel-canvas");
}

static void
relabel_canvas_init (RelabelCanvas *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GtkGesture *g;
  GtkEventController *c;

  self->polygon = g_array_new (FALSE, FALSE, sizeof (double));
  self->stroke = g_array_new (FALSE, FALSE, sizeof (double));
  self->opacity = 0.5;
  self->overlay_visible = TRUE;
  self->scale = 1.0;
  self->fit = TRUE;
  self->radius = 8.0;
  self->cls = 0;
  build_lut (self);

  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_hexpand (widget, TRUE);
  gtk_widget_set_vexpand (widget, TRUE);
  gtk_widget_set_overflow (widget, GTK_OVERFLOW_HIDDEN);
  gtk_widget_set_cursor_from_name (widget, "crosshair");

  g = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (g), GDK_BUTTON_PRIMARY);
  g_signal_connect (g, "drag-begin", G_CALLBACK (on_primary_begin), self);
  g_signal_connect (g, "drag-update", G_CALLBACK (on_primary_update), self);
  g_signal_connect (g, "drag-end", G_CALLBACK (on_primary_end), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (g));

  g = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (g), GDK_BUTTON_MIDDLE);
  g_signal_connect (g, "drag-begin", G_CALLBACK (on_pan_begin), self);
  g_signal_connect (g, "drag-update", G_CALLBACK (on_pan_update), self);
  g_signal_connect (g, "drag-end", G_CALLBACK (on_pan_end), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (g));

  g = gtk_gesture_zoom_new ();
  g_signal_connect (g, "scale-changed", G_CALLBACK (on_zoom_scale_changed), self);
  g_signal_connect (g, "end", G_CALLBACK (on_zoom_end), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (g));

  c = gtk_event_controller_motion_new ();
  g_signal_connect (c, "enter", G_CALLBACK (on_motion), self);
  g_signal_connect (c, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (c, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (widget, c);

  c = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  g_signal_connect (c, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (widget, c);

  c = gtk_event_controller_key_new ();
  g_signal_connect (c, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect (c, "key-released", G_CALLBACK (on_key_released), self);
  gtk_widget_add_controller (widget, c);
}

void
relabel_canvas_set_tool_overlay (RelabelCanvas *self, cairo_surface_t *surface)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (surface != NULL)
    cairo_surface_reference (surface);
  g_clear_pointer (&self->tool_overlay, cairo_surface_destroy);
  self->tool_overlay = surface;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
relabel_canvas_set_contours (RelabelCanvas *self, gboolean contours)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  if (self->contours == contours)
    return;
  self->contours = contours;
  update_overlay (self);
}

gboolean
relabel_canvas_get_contours (RelabelCanvas *self)
{
  return self->contours;
}

gboolean
relabel_canvas_get_protect (RelabelCanvas *self)
{
  return self->protect;
}
/* ---- highlighted pixels (the dashboard's confusion cell, the suspects queue's region) */

/* Drawn over the composed image at the image's transform: the highlighted pixels in magenta,
 * the rest dimmed. Only while the shown image has the highlight's size. */
static void
draw_highlight (RelabelCanvas *self, cairo_t *cr)
{
  if (self->highlight == NULL || cairo_image_surface_get_width (self->highlight) != self->width
      || cairo_image_surface_get_height (self->highlight) != self->height)
    return;
  cairo_save (cr);
  cairo_translate (cr, self->ox, self->oy);
  cairo_scale (cr, self->scale, self->scale);
  cairo_set_source_surface (cr, self->highlight, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (cr, 0, 0, self->width, self->height);
  cairo_fill (cr);
  cairo_restore (cr);
}

void
relabel_canvas_set_highlight (RelabelCanvas *self, GBytes *mask, int width, int height)
{
  g_return_if_fail (RELABEL_IS_CANVAS (self));
  g_clear_pointer (&self->highlight, cairo_surface_destroy);
  gsize n = 0;
  const guint8 *m = mask ? g_bytes_get_data (mask, &n) : NULL;
  if (m != NULL && width > 0 && height > 0 && n == (gsize) width * height)
    {
      self->highlight = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
      guint32 *px = (guint32 *) cairo_image_surface_get_data (self->highlight);
      int stride = cairo_image_surface_get_stride (self->highlight) / 4;
      /* premultiplied: magenta at 70 %, black at 45 % */
      const guint32 on = 0xb3b300b3u, off = 0x73000000u;
      for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
          px[(gsize) y * stride + x] = m[(gsize) y * width + x] ? on : off;
      cairo_surface_mark_dirty (self->highlight);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
