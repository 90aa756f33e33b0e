/* The confusion matrix as a row-normalised heat map (relabel-charts.h): rows the labelled class,
 * columns the predicted one, each cell's share of its row; counts and percentages on hover, and
 * a click on a cell says which (the dashboard lists that cell's images). */
#define G_LOG_DOMAIN "relabel-dashboard"

#include "relabel-charts.h"

#include <math.h>

struct _RelabelChartConfusion
{
  GtkWidget parent_instance;
  guint n;
  RelabelChartClass *classes;
  gint64 *counts;             /* (n, n) */
  gint64 *row_total;          /* (n) */
  char *logged;               /* the geometry last said in the debug log */
};

G_DEFINE_FINAL_TYPE (RelabelChartConfusion, relabel_chart_confusion, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_CELL_ACTIVATED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* accent (GNOME blue) mixed into the background by the row share */
#define ACCENT_R (53 / 255.0)
#define ACCENT_G (132 / 255.0)
#define ACCENT_B (228 / 255.0)

typedef struct
{
  double left, top, cell, font;
} Layout;

static Layout
layout (RelabelChartConfusion *self, int width, int height)
{
  Layout l;
  guint n = MAX (self->n, 1);
  /* names shrink with the number of classes: readable at 11, usable at 37 */
  l.font = n <= 12 ? 11 : n <= 24 ? 9.5 : 8;
  l.left = n <= 12 ? 96 : 84;
  l.top = n <= 12 ? 66 : 60;
  double aw = width - l.left - 24, ah = height - l.top - 8;
  l.cell = MAX (floor (MIN (aw, ah) / n), 2);
  return l;
}

static double
share (RelabelChartConfusion *self, guint a, guint b)
{
  gint64 t = self->row_total[a];
  return t > 0 ? (double) self->counts[(gsize) a * self->n + b] / t : NAN;
}

void
relabel_chart_confusion_draw (GtkWidget *chart, cairo_t *cr, int width, int height)
{
  RelabelChartConfusion *self = RELABEL_CHART_CONFUSION (chart);
  GdkRGBA fg, grid;
  relabel_chart_colors (chart, &fg, &grid);
  Layout l = layout (self, width, height);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, l.font);

  gdk_cairo_set_source_rgba (cr, &fg);
  cairo_set_font_size (cr, 10);
  cairo_move_to (cr, 4, 12);
  cairo_show_text (cr, "labelled ↓  predicted →  (share of the row)");
  cairo_set_font_size (cr, l.font);

  for (guint a = 0; a < self->n; a++)
    {
      const RelabelChartClass *c = &self->classes[a];
      double y = l.top + a * l.cell;
      /* row name, right-aligned, with a colour tick */
      cairo_text_extents_t ext;
      cairo_text_extents (cr, c->name, &ext);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, l.left - 10 - ext.x_advance, y + l.cell / 2 + ext.height / 2 - 1);
      cairo_show_text (cr, c->name);
      cairo_set_source_rgb (cr, c->r / 255.0, c->g / 255.0, c->b / 255.0);
      cairo_rectangle (cr, l.left - 7, y + 1, 4, l.cell - 2);
      cairo_fill (cr);
      for (guint b = 0; b < self->n; b++)
        {
          double x = l.left + b * l.cell, s = share (self, a, b);
          double t = isnan (s) ? 0 : sqrt (s);   /* small confusions stay visible */
          cairo_rectangle (cr, x, y, l.cell - 1, l.cell - 1);
          if (isnan (s))
            gdk_cairo_set_source_rgba (cr, &grid);
          else
            cairo_set_source_rgba (cr, ACCENT_R, ACCENT_G, ACCENT_B, 0.06 + 0.94 * t);
          cairo_fill (cr);
          if (l.cell >= 20 && !isnan (s) && s >= 0.0005)
            {
              g_autofree char *txt = s >= 0.995 ? g_strdup ("100") : s >= 0.1
                                     ? g_strdup_printf ("%.0f", 100 * s)
                                     : g_strdup_printf ("%.1f", 100 * s);
              cairo_set_font_size (cr, l.cell >= 30 ? 9.5 : l.cell >= 24 ? 8 : 7);
              cairo_text_extents (cr, txt, &ext);
              if (t > 0.55)
                cairo_set_source_rgb (cr, 1, 1, 1);
              else
                gdk_cairo_set_source_rgba (cr, &fg);
              cairo_move_to (cr, x + (l.cell - 1 - ext.x_advance) / 2,
                             y + (l.cell - 1 + ext.height) / 2);
              cairo_show_text (cr, txt);
              cairo_set_font_size (cr, l.font);
            }
        }
    }
  /* the diagonal framed: the correct pixels */
  gdk_cairo_set_source_rgba (cr, &fg);
  cairo_set_line_width (cr, 1);
  for (guint a = 0; a < self->n && l.cell >= 8; a++)
    {
      cairo_rectangle (cr, l.left + a * l.cell + 0.5, l.top + a * l.cell + 0.5, l.cell - 2,
                       l.cell - 2);
      cairo_stroke (cr);
    }
  /* column names, turned */
  for (guint b = 0; b < self->n; b++)
    {
      cairo_save (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, l.left + b * l.cell + l.cell / 2 + l.font / 3, l.top - 6);
      cairo_rotate (cr, -G_PI / 3);
      cairo_show_text (cr, self->classes[b].name);
      cairo_restore (cr);
    }
}

gboolean
relabel_chart_confusion_cell_rect (RelabelChartConfusion *self, guint a, guint b,
                                   graphene_rect_t *rect)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));
  if (a >= self->n || b >= self->n || w <= 0 || h <= 0)
    return FALSE;
  Layout l = layout (self, w, h);
  graphene_rect_init (rect, l.left + b * l.cell, l.top + a * l.cell, l.cell - 1, l.cell - 1);
  return TRUE;
}

static gboolean
cell_at (RelabelChartConfusion *self, double x, double y, guint *a, guint *b)
{
  Layout l = layout (self, gtk_widget_get_width (GTK_WIDGET (self)),
                     gtk_widget_get_height (GTK_WIDGET (self)));
  if (self->n == 0 || x < l.left || y < l.top)
    return FALSE;
  *b = (guint) ((x - l.left) / l.cell);
  *a = (guint) ((y - l.top) / l.cell);
  return *a < self->n && *b < self->n;
}

static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip,
                  gpointer data)
{
  RelabelChartConfusion *self = RELABEL_CHART_CONFUSION (widget);
  guint a, b;
  if (!cell_at (self, x, y, &a, &b))
    return FALSE;
  g_autofree char *pct = relabel_chart_percent (share (self, a, b));
  g_autofree char *text = g_strdup_printf (
    "Labelled %s, predicted %s\n%" G_GINT64_FORMAT " pixels · %s of the %s pixels%s",
    self->classes[a].name, self->classes[b].name, self->counts[(gsize) a * self->n + b], pct,
    self->classes[a].name, a == b ? "" : "\nClick: the images with most such pixels");
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, gpointer data)
{
  RelabelChartConfusion *self = data;
  guint a, b;
  if (cell_at (self, x, y, &a, &b))
    g_signal_emit (self, signals[SIGNAL_CELL_ACTIVATED], 0, (int) a, (int) b);
}

/* The grid's place in the window, in the debug log when it changes (the GUI test clicks a cell
 * from it: G_MESSAGES_DEBUG=relabel-dashboard). */
static void
log_geometry (RelabelChartConfusion *self, int w, int h)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));
  graphene_point_t p;
  if (root == NULL || self->n == 0
      || !gtk_widget_compute_point (GTK_WIDGET (self), root, &GRAPHENE_POINT_INIT (0, 0), &p))
    return;
  Layout l = layout (self, w, h);
  g_autofree char *text = g_strdup_printf ("confusion grid %u classes at %.0f,%.0f cell %.0f",
                                           self->n, p.x + l.left, p.y + l.top, l.cell);
  if (g_strcmp0 (text, self->logged) != 0)
    {
      g_debug ("%s", text);
      g_free (self->logged);
      self->logged = g_steal_pointer (&text);
    }
}

static void
relabel_chart_confusion_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  log_geometry (RELABEL_CHART_CONFUSION (widget), w, h);
  cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  relabel_chart_confusion_draw (widget, cr, w, h);
  cairo_destroy (cr);
}

void
relabel_chart_confusion_set (RelabelChartConfusion *self, guint n,
                             const RelabelChartClass *classes, const gint64 *counts)
{
  for (guint i = 0; i < self->n; i++)
    g_free ((char *) self->classes[i].name);
  g_free (self->classes);
  g_free (self->counts);
  g_free (self->row_total);
  self->n = n;
  self->classes = g_new0 (RelabelChartClass, n + 1);
  self->counts = g_new0 (gint64, (gsize) n * n + 1);
  self->row_total = g_new0 (gint64, n + 1);
  for (guint i = 0; i < n; i++)
    {
      self->classes[i] = classes[i];
      self->classes[i].name = g_strdup (classes[i].name);
    }
  /* many classes (SUN RGB-D's 37): ask for rows of 14 px; the dashboard scrolls */
  gtk_widget_set_size_request (GTK_WIDGET (self), 300, n > 16 ? (int) (14 * n + 90) : 300);
  for (guint a = 0; a < n; a++)
    for (guint b = 0; b < n; b++)
      {
        self->counts[(gsize) a * n + b] = counts[(gsize) a * n + b];
        self->row_total[a] += counts[(gsize) a * n + b];
      }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
relabel_chart_confusion_finalize (GObject *object)
{
  RelabelChartConfusion *self = RELABEL_CHART_CONFUSION (object);
  for (guint i = 0; i < self->n; i++)
    g_free ((char *) self->classes[i].name);
  g_free (self->classes);
  g_free (self->counts);
  g_free (self->row_total);
  g_free (self->logged);
  G_OBJECT_CLASS (relabel_chart_confusion_parent_class)->finalize (object);
}

static void
relabel_chart_confusion_class_init (RelabelChartConfusionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relabel_chart_confusion_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = relabel_chart_confusion_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "relabel-chart");
  signals[SIGNAL_CELL_ACTIVATED] =
    g_signal_new ("cell-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
relabel_chart_confusion_init (RelabelChartConfusion *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self), 300, 300);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  GtkGesture *click = gtk_gesture_click_new ();
  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
}
