/* Per-class accuracy and IoU as grouped bars in the class colours (relabel-charts.h), with the
 * helpers the dashboard's charts share: theme colours, percentages, the PNG export. */
#define G_LOG_DOMAIN "relabel-dashboard"

#include "relabel-charts.h"

#include <math.h>

/* ---- shared */

void
relabel_chart_colors (GtkWidget *chart, GdkRGBA *fg, GdkRGBA *grid)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (chart), fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  *grid = *fg;
  grid->alpha = fg->alpha * 0.18f;
}

char *
relabel_chart_percent (double v)
{
  return isnan (v) ? g_strdup ("n/a") : g_strdup_printf ("%.1f %%", 100.0 * v);
}

void
relabel_chart_percent_axis (cairo_t *cr, const GdkRGBA *fg, const GdkRGBA *grid, double x0,
                            double top, double plot_h, int width)
{
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 10);
  for (int t = 0; t <= 4; t++)
    {
      double y = top + plot_h * (1 - t / 4.0);
      gdk_cairo_set_source_rgba (cr, grid);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, x0, round (y) + 0.5);
      cairo_line_to (cr, width - 8, round (y) + 0.5);
      cairo_stroke (cr);
      gdk_cairo_set_source_rgba (cr, fg);
      g_autofree char *label = g_strdup_printf ("%d%%", t * 25);
      cairo_text_extents_t ext;
      cairo_text_extents (cr, label, &ext);
      cairo_move_to (cr, x0 - 6 - ext.x_advance, y + 3.5);
      cairo_show_text (cr, label);
    }
}

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
relabel_chart_to_png (GtkWidget *chart, RelabelChartDrawFunc draw, GError **error)
{
  int w = gtk_widget_get_width (chart), h = gtk_widget_get_height (chart);
  if (w <= 0 || h <= 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the chart is not shown");
      return NULL;
    }
  /* twice the screen size, on the window's background so the PNG reads like the screen */
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 2 * w, 2 * h);
  cairo_t *cr = cairo_create (s);
  GdkRGBA fg, grid;
  relabel_chart_colors (chart, &fg, &grid);
  double lum = 0.3 * fg.red + 0.6 * fg.green + 0.1 * fg.blue;
  if (lum > 0.5)
    cairo_set_source_rgb (cr, 0.14, 0.14, 0.14);   /* light text: dark style */
  else
    cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_scale (cr, 2, 2);
  draw (chart, cr, w, h);
  cairo_destroy (cr);
  GByteArray *bytes = g_byte_array_new ();
  cairo_status_t st = cairo_surface_write_to_png_stream (s, append_png, bytes);
  cairo_surface_destroy (s);
  if (st != CAIRO_STATUS_SUCCESS)
    {
      g_byte_array_unref (bytes);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "PNG encoding failed: %s",
                   cairo_status_to_string (st));
      return NULL;
    }
  return g_byte_array_free_to_bytes (bytes);
}

/* ---- bars */

struct _RelabelChartBars
{
  GtkWidget parent_instance;
  guint n;
  RelabelChartClass *classes;   /* names owned in names */
  GPtrArray *names;
  double *a, *b, *a2, *b2;      /* a2/b2 NULL without a comparison */
  gint64 *pixels;
  char *other_name;
};

G_DEFINE_FINAL_TYPE (RelabelChartBars, relabel_chart_bars, GTK_TYPE_WIDGET)

#define BAR_LEFT 44.0
#define BAR_TOP 26.0
#define BAR_BOTTOM 64.0

static void
bars_geometry (RelabelChartBars *self, int width, int height, double *x0, double *group,
               double *plot_h)
{
  *x0 = BAR_LEFT;
  *group = self->n ? (width - BAR_LEFT - 8) / self->n : 0;
  *plot_h = MAX (height - BAR_TOP - BAR_BOTTOM, 10);
}

static void
bar (cairo_t *cr, double x, double w, double v, double plot_h, const RelabelChartClass *c,
     double alpha, gboolean outline)
{
  if (isnan (v))
    return;
  double h = plot_h * CLAMP (v, 0, 1);
  cairo_rectangle (cr, x, BAR_TOP + plot_h - h, w, h);
  cairo_set_source_rgba (cr, c->r / 255.0, c->g / 255.0, c->b / 255.0, alpha);
  if (outline)
    {
      cairo_set_line_width (cr, 1.5);
      cairo_stroke (cr);
    }
  else
    cairo_fill (cr);
}

void
relabel_chart_bars_draw (GtkWidget *chart, cairo_t *cr, int width, int height)
{
  RelabelChartBars *self = RELABEL_CHART_BARS (chart);
  GdkRGBA fg, grid;
  relabel_chart_colors (chart, &fg, &grid);
  double x0, group, plot_h;
  bars_geometry (self, width, height, &x0, &group, &plot_h);

  relabel_chart_percent_axis (cr, &fg, &grid, x0, BAR_TOP, plot_h, width);

  /* legend */
  cairo_set_font_size (cr, 11);
  gdk_cairo_set_source_rgba (cr, &fg);
  cairo_move_to (cr, x0, 16);
  cairo_show_text (cr, self->a2 ? "solid: accuracy, light: IoU; outlines: " : "solid: accuracy   light: IoU");
  if (self->a2 && self->other_name)
    cairo_show_text (cr, self->other_name);

  for (guint i = 0; i < self->n; i++)
    {
      const RelabelChartClass *c = &self->classes[i];
      double gx = x0 + i * group + group * 0.1, bw = group * 0.8 / 2;
      bar (cr, gx, bw, self->a[i], plot_h, c, 1.0, FALSE);
      bar (cr, gx + bw, bw, self->b[i], plot_h, c, 0.45, FALSE);
      if (self->a2 != NULL)
        {
          cairo_save (cr);
          cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 1);
          bar (cr, gx, bw, self->a2[i], plot_h, &(RelabelChartClass) { NULL, fg.red * 255,
                                                                       fg.green * 255,
                                                                       fg.blue * 255 },
               0.9, TRUE);
          bar (cr, gx + bw, bw, self->b2[i], plot_h, &(RelabelChartClass) { NULL, fg.red * 255,
                                                                            fg.green * 255,
                                                                            fg.blue * 255 },
               0.5, TRUE);
          cairo_restore (cr);
        }
      /* the class name under its group, turned when the groups are narrow */
      cairo_save (cr);
      cairo_set_font_size (cr, group < 40 ? 9 : 10);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_text_extents_t ext;
      cairo_text_extents (cr, c->name, &ext);
      if (ext.x_advance < group - 2)
        cairo_move_to (cr, x0 + i * group + (group - ext.x_advance) / 2, BAR_TOP + plot_h + 14);
      else
        {
          cairo_move_to (cr, x0 + i * group + group / 2 + 3, BAR_TOP + plot_h + 6);
          cairo_rotate (cr, G_PI / 3);
        }
      cairo_show_text (cr, c->name);
      cairo_restore (cr);
    }
}

static void
relabel_chart_bars_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  relabel_chart_bars_draw (widget, cr, w, h);
  cairo_destroy (cr);
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  gpointer data)
{
  RelabelChartBars *self = RELABEL_CHART_BARS (widget);
  double x0, group, plot_h;
  bars_geometry (self, gtk_widget_get_width (widget), gtk_widget_get_height (widget), &x0,
                 &group, &plot_h);
  if (self->n == 0 || x < x0 || group <= 0)
    return FALSE;
  guint i = (guint) ((x - x0) / group);
  if (i >= self->n)
    return FALSE;
  g_autofree char *a = relabel_chart_percent (self->a[i]);
  g_autofree char *b = relabel_chart_percent (self->b[i]);
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "%s\nAccuracy %s · IoU %s\n%" G_GINT64_FORMAT " labelled pixels",
                          self->classes[i].name, a, b, self->pixels[i]);
  if (self->a2 != NULL)
    {
      g_autofree char *a2 = relabel_chart_percent (self->a2[i]);
      g_autofree char *b2 = relabel_chart_percent (self->b2[i]);
      g_string_append_printf (s, "\n%s: accuracy %s · IoU %s", self->other_name, a2, b2);
    }
  gtk_tooltip_set_text (tooltip, s->str);
  return TRUE;
}

static void
bars_clear (RelabelChartBars *self)
{
  g_clear_pointer (&self->classes, g_free);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  g_clear_pointer (&self->a, g_free);
  g_clear_pointer (&self->b, g_free);
  g_clear_pointer (&self->a2, g_free);
  g_clear_pointer (&self->b2, g_free);
  g_clear_pointer (&self->pixels, g_free);
  g_clear_pointer (&self->other_name, g_free);
  self->n = 0;
}

void
relabel_chart_bars_set (RelabelChartBars *self, guint n, const RelabelChartClass *classes,
                        const double *accuracy, const double *iou, const gint64 *pixels,
                        const double *accuracy_other, const double *iou_other,
                        const char *other_name)
{
  bars_clear (self);
  self->n = n;
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->classes = g_new0 (RelabelChartClass, n + 1);
  for (guint i = 0; i < n; i++)
    {
      self->classes[i] = classes[i];
      self->classes[i].name = g_strdup (classes[i].name);
      g_ptr_array_add (self->names, (char *) self->classes[i].name);
    }
  self->a = g_memdup2 (accuracy, sizeof (double) * (n + 1));
  self->b = g_memdup2 (iou, sizeof (double) * (n + 1));
  self->pixels = g_memdup2 (pixels, sizeof (gint64) * (n + 1));
  if (accuracy_other != NULL && iou_other != NULL)
    {
      self->a2 = g_memdup2 (accuracy_other, sizeof (double) * (n + 1));
      self->b2 = g_memdup2 (iou_other, sizeof (double) * (n + 1));
      self->other_name = g_strdup (other_name ? other_name : "other");
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
relabel_chart_bars_finalize (GObject *object)
{
  bars_clear (RELABEL_CHART_BARS (object));
  G_OBJECT_CLASS (relabel_chart_bars_parent_class)->finalize (object);
}

static void
relabel_chart_bars_class_init (RelabelChartBarsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relabel_chart_bars_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = relabel_chart_bars_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "relabel-chart");
}

static void
relabel_chart_bars_init (RelabelChartBars *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 320, 220);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
}
