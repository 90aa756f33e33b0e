/* The annotation workspace window: image list, canvas with tools, class palette, background
 * jobs. It shows an RlSession (rl-session.h) and talks to the project only through it. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define RELABEL_TYPE_WINDOW (relabel_window_get_type ())
G_DECLARE_FINAL_TYPE (RelabelWindow, relabel_window, RELABEL, WINDOW, GtkApplicationWindow)

/* settings may be NULL (schema not installed): preferences then use their defaults. */
RelabelWindow *relabel_window_new (GtkApplication *app, GSettings *settings);

/* Opens a project in this window (replacing the one shown). On failure the window shows the
 * error in its message bar and returns FALSE. */
gboolean relabel_window_open_project (RelabelWindow *self, const char *path);

/* Opens the bundled demo at path in this window; the session builds it first when it is
 * missing (from data_dir, may be NULL) and gives it the shipped model when it has none, on its
 * writer thread. Failures are shown in the message bar. */
void relabel_window_open_demo (RelabelWindow *self, const char *path, const char *data_dir);

/* Registers a model file (safetensors) in the open project, through the window's connection.
 * Failures are shown in the message bar. */
gboolean relabel_window_add_model (RelabelWindow *self, const char *path);

/* Adds path as the project's model when the project has none and the file exists (the demo
 * picks up a model shipped after it was created). */
void relabel_window_ensure_model (RelabelWindow *self, const char *path);

/* Shows a one-line message in the window's message bar (error or information). */
void relabel_window_show_message (RelabelWindow *self, GtkMessageType type, const char *message);

G_END_DECLS
