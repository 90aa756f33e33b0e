/* The decoder-study window (issue 21), opened from the dashboard's "Decoder Study…": a
 * `relabel study` folder's table (parameters, storage multiplier, inference time, held-out and
 * val G, C, mIoU, BF for each class balancing) and, for one of the scored images, the
 * boundary-error views of two variants side by side (missed boundaries red, spurious yellow, as
 * the canvas's boundary view), each with the image's BF. The table and the predictions are made
 * off the GTK thread through the session (rl-study-view.h). */
#pragma once

#include <gtk/gtk.h>

#include "rl-session.h"

G_BEGIN_DECLS

/* Opens the window on the study folder dir, transient for parent. */
GtkWindow *relabel_study_view_open (GtkWindow *parent, RlSession *session, const char *dir);
/* Asks for a study folder (a file chooser), then opens it. */
void relabel_study_view_choose (GtkWindow *parent, RlSession *session);

G_END_DECLS
