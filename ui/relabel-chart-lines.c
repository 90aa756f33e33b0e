/* G, C, mIoU and BF across model versions as lines (relabel-charts.h), values on hover. */
#define G_LOG_DOMAIN "relabel-dashboard"

#include "relabel-charts.h"

#include <math.h>

struct _RelabelChartLines
{
  GtkWidget parent_instance;
  guint n;
  char **labels;
  double *values;             /* (4, n) */
};

G_DEFINE_FINAL_TYPE (RelabelChartLines, relabel_chart_lines, GTK_TYPE_WIDGET)

static const char *const metric_names[4] = { "G", "C", "mIoU", "BF" };
/* distinguishable in light and dark, and by line style (dashes) without colour */
static const double metric_rgb[4][3] = {
  { 0.21, 0.52, 0.89 }, { 0.18, 0.66, 0.35 }, { 0.90, 0.47, 0.10 }, { 0.57, 0.33, 0.72 },
};

#define L_LEFT 44.0
#define L_TOP 24.0
#define L_BOTTOM 28.0

static double
point_x (RelabelChartLines *self, guint i, int width)
{
  double span = width - L_LEFT - 24;
  return self->n <= 1 ? L_LEFT + span / 2 : L_LEFT + 12 + i * (span - 12) / (self->n - 1);
}

void
relabel_chart_lines_draw (GtkWidget *chart, cairo_t *cr, int width, int height)
{
  RelabelChartLines *self = RELABEL_CHART_LINES (chart);
  GdkRGBA fg, grid;
  relabel_chart_colors (chart, &fg, &grid);
  double plot_h = MAX (height - L_TOP - L_BOTTOM, 10);
  relabel_chart_percent_axis (cr, &fg, &grid, L_LEFT, L_TOP, plot_h, width);
  double lx = L_LEFT;
  for (int m = 0; m < 4; m++)
    {
      cairo_set_source_rgb (cr, metric_rgb[m][0], metric_rgb[m][1], metric_rgb[m][2]);
      cairo_rectangle (cr, lx, 8, 14, 4);
      cairo_fill (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, lx + 18, 14);
      cairo_show_text (cr, metric_names[m]);
      lx += 64;
    }
  if (self->n == 0)
    {
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, L_LEFT + 8, L_TOP + plot_h / 2);
      cairo_show_text (cr, "No stored results for this split and labels yet");
      return;
    }
  for (guint i = 0; i < self->n; i++)
    {
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_text_extents_t ext;
      cairo_text_extents (cr, self->labels[i], &ext);
      cairo_move_to (cr, point_x (self, i, width) - ext.x_advance / 2, L_TOP + plot_h + 16);
      cairo_show_text (cr, self->labels[i]);
    }
  for (int m = 0; m < 4; m++)
    {
      const double dash[] = { 6.0 - m, 2.0 + m };
      cairo_set_source_rgb (cr, metric_rgb[m][0], metric_rgb[m][1], metric_rgb[m][2]);
      cairo_set_line_width (cr, 2);
      cairo_set_dash (cr, dash, m == 0 ? 0 : 2, 0);
      gboolean pen = FALSE;
      for (guint i = 0; i < self->n; i++)
        {
          double v = self->values[m * self->n + i];
          if (isnan (v))
            {
              pen = FALSE;
              continue;
            }
          double x = point_x (self, i, width), y = L_TOP + plot_h * (1 - CLAMP (v, 0, 1));
          if (pen)
            cairo_line_to (cr, x, y);
          else
            cairo_move_to (cr, x, y);
          pen = TRUE;
        }
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      for (guint i = 0; i < self->n; i++)
        {
          double v = self->values[m * self->n + i];
          if (isnan (v))
            continue;
          cairo_arc (cr, point_x (self, i, width), L_TOP + plot_h * (1 - CLAMP (v, 0, 1)), 3.5,
                     0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  gpointer data)
{
  RelabelChartLines *self = RELABEL_CHART_LINES (widget);
  int w = gtk_widget_get_width (widget);
  if (self->n == 0)
    return FALSE;
  guint best = 0;
  for (guint i = 1; i < self->n; i++)
    if (fabs (point_x (self, i, w) - x) < fabs (point_x (self, best, w) - x))
      best = i;
  g_autoptr (GString) s = g_string_new (self->labels[best]);
  for (int m = 0; m < 4; m++)
    {
      g_autofree char *v = relabel_chart_percent (self->values[m * self->n + best]);
      g_string_append_printf (s, "\n%s %s", metric_names[m], v);
    }
  gtk_tooltip_set_text (tooltip, s->str);
  return TRUE;
}

static void
relabel_chart_lines_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  relabel_chart_lines_draw (widget, cr, w, h);
  cairo_destroy (cr);
}

void
relabel_chart_lines_set (RelabelChartLines *self, guint n, const char *const *labels,
                         const double *values)
{
  g_strfreev (self->labels);
  g_free (self->values);
  self->n = n;
  self->labels = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    self->labels[i] = g_strdup (labels[i]);
  self->values = n > 0 ? g_memdup2 (values, sizeof (double) * 4 * n) : NULL;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
relabel_chart_lines_finalize (GObject *object)
{
  RelabelChartLines *self = RELABEL_CHART_LINES (object);
  g_strfreev (self->labels);
  g_free (self->values);
  G_OBJECT_CLASS (relabel_chart_lines_parent_class)->finalize (object);
}

static void
relabel_chart_lines_class_init (RelabelChartLinesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relabel_chart_lines_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = relabel_chart_lines_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "relabel-chart");
}

static void
relabel_chart_lines_init (RelabelChartLines *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 260, 160);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
}
