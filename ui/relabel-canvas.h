/* The annotation canvas: the image with the label overlay, zoom and pan, and the painting tools.
 * It edits its own copy of the current mask during a stroke and says when a stroke ends. */
#pragma once

#include <gtk/gtk.h>
#include "rl-class-spec.h"
#include "rl-edit.h"

G_BEGIN_DECLS

typedef enum
{
  RELABEL_TOOL_BRUSH,
  RELABEL_TOOL_ERASER,
  RELABEL_TOOL_FILL,
  RELABEL_TOOL_POLYGON,
  RELABEL_TOOL_EYEDROPPER,
  /* Tools run outside the canvas (ui/relabel-tools.c): the canvas reports the gestures with
   * "tool-event" / "tool-scroll" and draws their overlay (relabel_canvas_set_tool_overlay); it
   * never changes its copy of the labels for them. */
  RELABEL_TOOL_WAND,
  RELABEL_TOOL_SUPERPIXEL,
  RELABEL_TOOL_REPLACE,            /* replace the class under the stroke's start in a stroke */
  RELABEL_TOOL_ACCEPT_PREDICTION,  /* accept the prediction in a stroke */
} RelabelTool;

/* Phases of "tool-event" (image coordinates; hover only while no button is down). */
typedef enum
{
  RELABEL_TOOL_PRESS,
  RELABEL_TOOL_DRAG,
  RELABEL_TOOL_RELEASE,
  RELABEL_TOOL_HOVER,
} RelabelToolPhase;

typedef enum
{
  RELABEL_VIEW_LABELS,     /* current labels */
  RELABEL_VIEW_ORIGINAL,   /* labels as imported */
  RELABEL_VIEW_PREDICTION, /* the model's prediction */
  RELABEL_VIEW_ERRORS,     /* pixels where prediction and current labels disagree */
  RELABEL_VIEW_BOUNDARY,   /* boundary pixels outside the BF tolerance: missed / spurious */
} RelabelView;

#define RELABEL_TYPE_CANVAS (relabel_canvas_get_type ())
G_DECLARE_FINAL_TYPE (RelabelCanvas, relabel_canvas, RELABEL, CANVAS, GtkWidget)

GtkWidget *relabel_canvas_new (void);

/* The class names/colours and the void value. Copied. */
void relabel_canvas_set_spec (RelabelCanvas *self, const RlClassSpec *spec);

/* Shows an image: rgb (H, W, 3) and the masks (H, W), each may be NULL except rgb. Copied. */
void relabel_canvas_set_image (RelabelCanvas *self, int width, int height, const guint8 *rgb,
                               const guint8 *current, const guint8 *original,
                               const guint8 *prediction);
void relabel_canvas_clear (RelabelCanvas *self);
gboolean relabel_canvas_has_image (RelabelCanvas *self);

/* Replace one mask (H, W) of the shown image (after undo, a failed commit, a new prediction). */
void relabel_canvas_set_current (RelabelCanvas *self, const guint8 *mask);
void relabel_canvas_set_prediction (RelabelCanvas *self, const guint8 *mask);
/* The boundary-errors view's map (H, W) of the shown image: 1 missed, 2 spurious, 0 none, as
 * rl_metrics_boundary_errors computes it (the session does, off the GTK thread); NULL clears
 * it. Copied. */
void relabel_canvas_set_boundary_errors (RelabelCanvas *self, const guint8 *map);
/* Copies mask's rectangle [x0, x1) x [y0, y1) into the current labels and redraws it (nothing
 * when it already shows that). */
void relabel_canvas_set_current_rect (RelabelCanvas *self, const guint8 *mask, int x0, int y0,
                                      int x1, int y1);
/* The edit the last stroke, fill or polygon made (stroke-finished), for the session; the caller
 * owns it. NULL when there is none. */
RlEdit *relabel_canvas_take_edit (RelabelCanvas *self);

/* The canvas's copy of the current labels (H, W); borrowed. NULL without an image. */
const guint8 *relabel_canvas_get_current (RelabelCanvas *self, int *width, int *height);

void relabel_canvas_set_tool (RelabelCanvas *self, RelabelTool tool);
RelabelTool relabel_canvas_get_tool (RelabelCanvas *self);
void relabel_canvas_set_class (RelabelCanvas *self, int cls);
int relabel_canvas_get_class (RelabelCanvas *self);
void relabel_canvas_set_brush_radius (RelabelCanvas *self, double radius);
double relabel_canvas_get_brush_radius (RelabelCanvas *self);
void relabel_canvas_set_protect (RelabelCanvas *self, gboolean protect);
/* The eraser writes void (FALSE) or restores the original label (TRUE). */
void relabel_canvas_set_erase_to_original (RelabelCanvas *self, gboolean to_original);
void relabel_canvas_set_view (RelabelCanvas *self, RelabelView view);
RelabelView relabel_canvas_get_view (RelabelCanvas *self);
void relabel_canvas_set_opacity (RelabelCanvas *self, double opacity);
void relabel_canvas_set_overlay_visible (RelabelCanvas *self, gboolean visible);
gboolean relabel_canvas_get_overlay_visible (RelabelCanvas *self);

/* Zooms and pans so the image rectangle is centred in the view. */
void relabel_canvas_show_rect (RelabelCanvas *self, int x, int y, int width, int height);

/* factor > 1 zooms in around the widget centre; fit shows the whole image. */
void relabel_canvas_zoom (RelabelCanvas *self, double factor);
void relabel_canvas_zoom_fit (RelabelCanvas *self);
double relabel_canvas_get_zoom (RelabelCanvas *self);

/* Paints one brush segment (image coordinates) with the current tool, as a drag would; used by
 * the frame benchmark. Does not emit stroke-finished. */
void relabel_canvas_paint_segment (RelabelCanvas *self, double x0, double y0, double x1,
                                   double y1);

/* An ARGB32 surface of the image's size drawn over the labels (wand preview, superpixel
 * boundaries); NULL removes it. A reference is taken; call again after changing its pixels. */
void relabel_canvas_set_tool_overlay (RelabelCanvas *self, cairo_surface_t *surface);
/* Labels drawn as outlines only (pixels with a 4-neighbour of another value). */
void relabel_canvas_set_contours (RelabelCanvas *self, gboolean contours);
gboolean relabel_canvas_get_contours (RelabelCanvas *self);
gboolean relabel_canvas_get_protect (RelabelCanvas *self);
/* Highlights pixels over the shown image: mask (height, width) bytes, nonzero = highlighted (the
 * rest is dimmed); copied. NULL clears. Drawn only while the image has that size. */
void relabel_canvas_set_highlight (RelabelCanvas *self, GBytes *mask, int width, int height);

G_END_DECLS
