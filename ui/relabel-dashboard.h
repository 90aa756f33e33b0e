/* The metrics dashboard (the main window's second page): a model version's G, C, mIoU and BF on
 * a split against the current or original labels, with the change against its parent, per-class
 * bars, the confusion heat map, the per-image table, the versions and the metrics across them.
 * Everything is read through the session (stored runs show at once); Compute scores the version
 * as a session job. */
#pragma once

#include <gtk/gtk.h>

#include "rl-session-dash.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_DASHBOARD (relabel_dashboard_get_type ())
G_DECLARE_FINAL_TYPE (RelabelDashboard, relabel_dashboard, RELABEL, DASHBOARD, GtkBox)

/* Signals:
 *   "filter-images" (GStrv names, const char *title, gint64 model, int labels, int truth,
 *                    int pred)
 *       show these images in the image list, in this order: a confusion cell's (truth, pred:
 *       label values; labels an RlMaskKind; the pixels to highlight are those labelled truth and
 *       predicted pred by model) or a version's training images (truth = pred = -1).
 *   "shown" ()   the dashboard shows what the session read (after a read or a computation). */
RelabelDashboard *relabel_dashboard_new (void);
void relabel_dashboard_set_session (RelabelDashboard *self, RlSession *session);

/* What is shown (for tests and the benchmark): the run (NULL when the chosen version has none
 * under the chosen key) and the key. */
const RlDashRun *relabel_dashboard_get_run (RelabelDashboard *self);
/* Chooses version, split (NULL: every split) and labels as the dropdowns would. */
void relabel_dashboard_select (RelabelDashboard *self, gint64 model_id, const char *split,
                               RlMaskKind labels);
/* Reads the versions and their stored runs again through the session ("shown" follows). */
void relabel_dashboard_reload (RelabelDashboard *self);
/* The confusion chart (the GUI test clicks one of its cells). */
GtkWidget *relabel_dashboard_get_confusion (RelabelDashboard *self);

G_END_DECLS
