/* File > Export Dataset…: format, split, which labels and the destination folder; runs the
 * export (the code of `relabel export`) as a session job with progress and Cancel. */
#pragma once

#include <gtk/gtk.h>

#include "rl-session.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_EXPORT_DIALOG (relabel_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (RelabelExportDialog, relabel_export_dialog, RELABEL, EXPORT_DIALOG,
                      GtkWindow)

RelabelExportDialog *relabel_export_dialog_new (GtkWindow *parent, RlSession *session);

G_END_DECLS
