/* The suspects queue panel (issue 19): suspected label errors worst first, the class-pair summary
 * that filters them, Accept suggestion / Not an error, N / Shift+N to walk the queue. */
#pragma once

#include <gtk/gtk.h>

#include "relabel-canvas.h"
#include "rl-session.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_SUSPECTS_PANEL (relabel_suspects_panel_get_type ())
G_DECLARE_FINAL_TYPE (RelabelSuspectsPanel, relabel_suspects_panel, RELABEL, SUSPECTS_PANEL,
                      GtkWidget)

/* Signals:
 *   "go-to-image" (gint64 image_id)  show that image (the window selects it in its list)
 * Actions (with global shortcuts): suspects.next (N), suspects.previous (Shift+N),
 * suspects.accept (Shift+A), suspects.dismiss (Shift+D), suspects.update. */

/* Everything the panel shows comes from session; it highlights regions on canvas. Both are
 * borrowed and must outlive the panel (the window owns all three). The panel lists the stored
 * queue when the session opens a project and updates it after a pre-label run. */
void relabel_suspects_panel_attach (RelabelSuspectsPanel *self, RlSession *session,
                                    RelabelCanvas *canvas);

/* Index in the shown list of the selected region (-1: none), and how many are listed. */
int relabel_suspects_panel_get_position (RelabelSuspectsPanel *self);
guint relabel_suspects_panel_get_n_listed (RelabelSuspectsPanel *self);

G_END_DECLS
