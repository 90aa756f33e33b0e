/* The GtkApplication: opens projects in windows (the bundled demo when none is given), owns the
 * settings, the About, Preferences and shortcuts. rl_gui_main (relabel-cli.h) runs it. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RELABEL_TYPE_APPLICATION (relabel_application_get_type ())
G_DECLARE_FINAL_TYPE (RelabelApplication, relabel_application, RELABEL, APPLICATION,
                      GtkApplication)

RelabelApplication *relabel_application_new (void);

/* The settings, or NULL when the schema is neither installed nor in the build tree. */
GSettings *relabel_application_get_settings (RelabelApplication *self);

G_END_DECLS
