/* The correction tools in the window (issue 20): magic wand with a live tolerance preview,
 * superpixel brush over the session's precomputed superpixels (boundaries on demand), clean-up
 * (islands, holes, replace a class and accept the prediction in a stroke), the contour overlay and
 * the class picker. It reads the canvas's gestures ("tool-event", "tool-scroll") and the
 * session's image, builds each edit with rl-tool-edit.h and sends it to the session
 * (rl_session_apply_edit): the path of every brush stroke. Its options row and shortcuts are
 * added to the window by relabel_tools_attach. */
#pragma once

#include <gtk/gtk.h>

#include "relabel-canvas.h"
#include "rl-session.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_TOOLS (relabel_tools_get_type ())
G_DECLARE_FINAL_TYPE (RelabelTools, relabel_tools, RELABEL, TOOLS, GObject)

/* Signals: "notice" (const char *text): a status line; "class-chosen" (int value): the picker
 * chose a class. session and canvas are borrowed (they outlive the tools). */
RelabelTools *relabel_tools_new (RlSession *session, RelabelCanvas *canvas);
/* Adds the options row below toolbar (in toolbar's parent box) and the tools' shortcuts and
 * actions ("tools.*") to window. */
void relabel_tools_attach (RelabelTools *self, GtkWidget *window, GtkWidget *toolbar);
/* The classes changed (a project opened). */
void relabel_tools_set_spec (RelabelTools *self, const RlClassSpec *spec);

double relabel_tools_get_tolerance (RelabelTools *self);
void relabel_tools_set_tolerance (RelabelTools *self, double tolerance);

G_END_DECLS
