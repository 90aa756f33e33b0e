/* The dashboard's charts, drawn with Cairo in the widget's own colours (light and dark): per-class
 * bars, the confusion heat map, the metrics across model versions. Each shows numbers on hover
 * and draws the same picture into any cairo_t (the PNG export). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* One class as the charts show it. */
typedef struct
{
  const char *name;
  guint8 r, g, b;
} RelabelChartClass;

/* A chart drawn at width x height into cr (the widget's snapshot and the PNG export). */
typedef void (*RelabelChartDrawFunc) (GtkWidget *chart, cairo_t *cr, int width, int height);

/* The chart as a PNG at its current size, drawn by draw (NULL with error when it has no size). */
GBytes *relabel_chart_to_png (GtkWidget *chart, RelabelChartDrawFunc draw, GError **error);

/* ---- per-class accuracy and IoU */
#define RELABEL_TYPE_CHART_BARS (relabel_chart_bars_get_type ())
G_DECLARE_FINAL_TYPE (RelabelChartBars, relabel_chart_bars, RELABEL, CHART_BARS, GtkWidget)

/* n classes; a (accuracy) and b (IoU) fractions 0..1, NaN when undefined; b_other/a_other (may
 * be NULL): a second version's figures drawn as outlines beside them (the comparison). All
 * copied. */
void relabel_chart_bars_set (RelabelChartBars *self, guint n, const RelabelChartClass *classes,
                             const double *accuracy, const double *iou, const gint64 *pixels,
                             const double *accuracy_other, const double *iou_other,
                             const char *other_name);
void relabel_chart_bars_draw (GtkWidget *chart, cairo_t *cr, int width, int height);

/* ---- the confusion matrix as a row-normalised heat map */
#define RELABEL_TYPE_CHART_CONFUSION (relabel_chart_confusion_get_type ())
G_DECLARE_FINAL_TYPE (RelabelChartConfusion, relabel_chart_confusion, RELABEL,
                      CHART_CONFUSION, GtkWidget)

/* n classes shown (rows truth, columns prediction); counts (n, n) pixels. Copied. Clicking cell
 * (a, b) emits "cell-activated" (int a, int b): indices into classes. */
void relabel_chart_confusion_set (RelabelChartConfusion *self, guint n,
                                  const RelabelChartClass *classes, const gint64 *counts);
/* The cell's rectangle in widget coordinates at the current size; FALSE when not shown. */
gboolean relabel_chart_confusion_cell_rect (RelabelChartConfusion *self, guint a, guint b,
                                            graphene_rect_t *rect);
void relabel_chart_confusion_draw (GtkWidget *chart, cairo_t *cr, int width, int height);

/* ---- G, C, mIoU and BF across model versions */
#define RELABEL_TYPE_CHART_LINES (relabel_chart_lines_get_type ())
G_DECLARE_FINAL_TYPE (RelabelChartLines, relabel_chart_lines, RELABEL, CHART_LINES, GtkWidget)

/* n points (versions, in order) named labels; values (4, n): G, C, mIoU, BF as fractions, NaN
 * where a version has no stored run. Copied. */
void relabel_chart_lines_set (RelabelChartLines *self, guint n, const char *const *labels,
                              const double *values);
void relabel_chart_lines_draw (GtkWidget *chart, cairo_t *cr, int width, int height);

/* shared by the charts */
void relabel_chart_colors (GtkWidget *chart, GdkRGBA *fg, GdkRGBA *grid);
char *relabel_chart_percent (double v);
/* The 0 to 100 % axis: grid lines every 25 % from x0 to width - 8 over a plot of plot_h from
 * top down, their labels right-aligned left of x0 (sets the charts' 10 px Sans font). */
void relabel_chart_percent_axis (cairo_t *cr, const GdkRGBA *fg, const GdkRGBA *grid, double x0,
                                 double top, double plot_h, int width);

G_END_DECLS
