/* The GtkApplication subclass: command line (projects to open, --model), the demo project on
 * first run, settings lookup that survives running uninstalled, About/Preferences/Quit. */
#include "relabel-application.h"

#include "relabel-cli.h"
#include "relabel-paths.h"
#include "relabel-window.h"

struct _RelabelApplication
{
  GtkApplication parent_instance;

  /* owned */
  GSettings *settings;
  char *model_path;   /* --model: registered into every project opened by this run */
};

G_DEFINE_FINAL_TYPE (RelabelApplication, relabel_application, GTK_TYPE_APPLICATION)

/* ---- windows */

static RelabelWindow *
open_in_window (RelabelApplication *self, const char *path)
{
  RelabelWindow *win = relabel_window_new (GTK_APPLICATION (self), self->settings);
  gtk_window_present (GTK_WINDOW (win));
  /* after opening, so a bad --model's message stays on screen; through the window's own
   * connection: the project file is never opened twice in one process */
  if (relabel_window_open_project (win, path) && self->model_path != NULL)
    relabel_window_add_model (win, self->model_path);
  return win;
}

static void
relabel_application_activate (GApplication *app)
{
  RelabelApplication *self = RELABEL_APPLICATION (app);
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (active != NULL)
    {
      gtk_window_present (active);
      return;
    }
  /* built (first run) and opened on the session's writer thread: the GTK thread never waits
   * on the import or on SQLite; a failure shows in the window's message bar */
  g_autofree char *demo = g_build_filename (g_get_user_data_dir (), "relabel", "demo.relabel",
                                            NULL);
  g_autofree char *data_dir = relabel_find_data_dir ();
  RelabelWindow *win = relabel_window_new (GTK_APPLICATION (self), self->settings);
  gtk_window_present (GTK_WINDOW (win));
  relabel_window_open_demo (win, demo, data_dir);
  if (self->model_path != NULL)
    relabel_window_add_model (win, self->model_path);
}

static void
relabel_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  RelabelApplication *self = RELABEL_APPLICATION (app);
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *path = g_file_get_path (files[i]);
      if (path != NULL)
        open_in_window (self, path);
    }
}

/* ---- app actions */

static void
action_about (GSimpleAction *action, GVariant *param, gpointer data)
{
  GtkApplication *app = data;
  static const char *authors[] = { "The Relabel developers", NULL };
  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", "Relabel",
                         "logo-icon-name", "org.relabel.Relabel",
                         "version", RELABEL_VERSION,
                         "comments", "Correct semantic-segmentation datasets with SegNet in the "
                                     "loop: pre-label, fix masks with brush tools, retrain, "
                                     "measure, export.",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         NULL);
}

/* Closes every window as its close button would: a window whose job is still running hides,
 * cancels the job and goes away when the worker has returned (see relabel-window.c), so the
 * process never exits under a worker thread. The application quits with its last window. */
static void
action_quit (GSimpleAction *action, GVariant *param, gpointer data)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (data)));
  for (GList *l = windows; l != NULL; l = l->next)
    g_object_ref (l->data);
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free_full (windows, g_object_unref);
}

static GtkWidget *
pref_row (GtkGrid *grid, int row, const char *title, const char *subtitle, GtkWidget *control)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *t = gtk_label_new (title);
  GtkWidget *s = gtk_label_new (subtitle);
  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_label_set_xalign (GTK_LABEL (s), 0);
  gtk_label_set_wrap (GTK_LABEL (s), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (s), 40);
  gtk_widget_add_css_class (s, "dim-label");
  gtk_widget_add_css_class (s, "caption");
  gtk_widget_set_hexpand (box, TRUE);
  gtk_box_append (GTK_BOX (box), t);
  gtk_box_append (GTK_BOX (box), s);
  gtk_widget_set_valign (control, GTK_ALIGN_CENTER);
  gtk_grid_attach (grid, box, 0, row, 1, 1);
  gtk_grid_attach (grid, control, 1, row, 1, 1);
  return control;
}

static void
action_preferences (GSimpleAction *action, GVariant *param, gpointer data)
{
  RelabelApplication *self = data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *win = gtk_window_new ();
  GtkWidget *grid = gtk_grid_new ();

  gtk_window_set_title (GTK_WINDOW (win), "Preferences");
  gtk_window_set_transient_for (GTK_WINDOW (win), parent);
  gtk_window_set_modal (GTK_WINDOW (win), TRUE);
  gtk_window_set_default_size (GTK_WINDOW (win), 460, -1);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  gtk_widget_set_margin_start (grid, 24);
  gtk_widget_set_margin_end (grid, 24);
  gtk_widget_set_margin_top (grid, 24);
  gtk_widget_set_margin_bottom (grid, 24);

  GtkWidget *threads = gtk_spin_button_new_with_range (0, 256, 1);
  GtkWidget *opacity = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 0, 1, 0.05);
  gtk_widget_set_size_request (opacity, 160, -1);
  pref_row (GTK_GRID (grid), 0, "Engine threads",
            "Threads used by pre-labelling and training; 0 uses all cores but one, so the "
            "window stays responsive.", threads);
  pref_row (GTK_GRID (grid), 1, "Default overlay opacity",
            "Opacity of the label overlay when a window opens.", opacity);
  if (self->settings != NULL)
    {
      g_settings_bind (self->settings, "threads",
                       gtk_spin_button_get_adjustment (GTK_SPIN_BUTTON (threads)), "value",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "overlay-opacity",
                       gtk_range_get_adjustment (GTK_RANGE (opacity)), "value",
                       G_SETTINGS_BIND_DEFAULT);
    }
  else
    {
      GtkWidget *note = gtk_label_new ("The settings schema org.relabel.Relabel is not installed: "
                                       "changes are not kept.");
      gtk_label_set_wrap (GTK_LABEL (note), TRUE);
      gtk_grid_attach (GTK_GRID (grid), note, 0, 2, 2, 1);
    }
  gtk_window_set_child (GTK_WINDOW (win), grid);
  gtk_window_present (GTK_WINDOW (win));
}

/* ---- settings */

static GSettings *
lookup_settings (void)
{
  GSettingsSchemaSource *def = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  if (def != NULL)
    schema = g_settings_schema_source_lookup (def, "org.relabel.Relabel", TRUE);
  if (schema == NULL)
    {
      /* running uninstalled: the build compiles the schema into <build>/resources */
      g_autoptr (GSettingsSchemaSource) build = NULL;
      const char *dir = relabel_build_schema_dir ();
      g_autofree char *compiled = g_build_filename (dir, "gschemas.compiled", NULL);
      if (g_file_test (compiled, G_FILE_TEST_IS_REGULAR))
        build = g_settings_schema_source_new_from_directory (dir, def, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, "org.relabel.Relabel", FALSE);
    }
  return schema != NULL ? g_settings_new_full (schema, NULL, NULL) : NULL;
}

/* ---- GApplication */

static void
relabel_application_startup (GApplication *app)
{
  RelabelApplication *self = RELABEL_APPLICATION (app);
  static const GActionEntry entries[] = {
    { .name = "about", .activate = action_about },
    { .name = "preferences", .activate = action_preferences },
    { .name = "quit", .activate = action_quit },
  };

  G_APPLICATION_CLASS (relabel_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit",
                                         (const char *[]) { "<Control>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences",
                                         (const char *[]) { "<Control>comma", NULL });
  /* GtkApplication binds Ctrl+? to the shortcuts window (resources/ui/help-overlay.ui); F1 too */
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         (const char *[]) { "<Control>question", "F1", NULL });
  self->settings = lookup_settings ();

  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/org/relabel/Relabel/ui/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static int
relabel_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  RelabelApplication *self = RELABEL_APPLICATION (app);
  const char *model = NULL;
  if (g_variant_dict_lookup (options, "model", "^&ay", &model))
    {
      if (!g_file_test (model, G_FILE_TEST_IS_REGULAR))
        {
          g_printerr ("relabel: %s: no such model file\n", model);
          return 1;
        }
      self->model_path = g_canonicalize_filename (model, NULL);
    }
  return -1;
}

static void
relabel_application_finalize (GObject *object)
{
  RelabelApplication *self = RELABEL_APPLICATION (object);
  g_clear_object (&self->settings);
  g_free (self->model_path);
  G_OBJECT_CLASS (relabel_application_parent_class)->finalize (object);
}

static void
relabel_application_class_init (RelabelApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = relabel_application_finalize;
  app_class->startup = relabel_application_startup;
  app_class->activate = relabel_application_activate;
  app_class->open = relabel_application_open;
  app_class->handle_local_options = relabel_application_handle_local_options;
}

static void
relabel_application_init (RelabelApplication *self)
{
  static const GOptionEntry options[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, NULL,
      "Add this model (safetensors) to the opened project", "MODEL" },
    { NULL },
  };
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

RelabelApplication *
relabel_application_new (void)
{
  return g_object_new (RELABEL_TYPE_APPLICATION, "application-id", "org.relabel.Relabel",
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE, NULL);
}

GSettings *
relabel_application_get_settings (RelabelApplication *self)
{
  return self->settings;
}

int
rl_gui_main (int argc, char **argv)
{
  g_autoptr (RelabelApplication) app = relabel_application_new ();
  g_set_application_name ("Relabel");
  return g_application_run (G_APPLICATION (app), argc, argv);
}
