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
} RelabelTool;

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

/* Highlights the pixels where mask (height, width) is nonzero over the shown image (when its
 * size matches); NULL clears. Copied. */
void relabel_canvas_set_highlight (RelabelCanvas *self, GBytes *mask, int width, int height);
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

G_END_DECLS
