/* The GtkApplication: placeholder window until the annotation workspace lands.
 * Opens a window titled Relabel so the build and the GUI test harness work from day one. */
#include <gtk/gtk.h>

#include "relabel-cli.h"

static void
on_activate (GtkApplication *app, gpointer user_data)
{
  GtkWidget *win = gtk_application_window_new (app);
  gtk_window_set_title (GTK_WINDOW (win), "Relabel");
  gtk_window_set_default_size (GTK_WINDOW (win), 1024, 700);
  gtk_window_present (GTK_WINDOW (win));
}

int
rl_gui_main (int argc, char **argv)
{
  g_autoptr (GtkApplication) app = gtk_application_new ("org.relabel.Relabel",
                                                        G_APPLICATION_DEFAULT_FLAGS);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
