/* File > Export Dataset… (relabel-export-dialog.h): choose format, split, labels and an empty
 * destination folder; the session exports in the background, this window shows its progress. */
#define G_LOG_DOMAIN "relabel-export"

#include "relabel-export-dialog.h"

#include "rl-session-dash.h"

struct _RelabelExportDialog
{
  GtkWindow parent_instance;

  /* owned */
  RlSession *session;
  GPtrArray *splits;           /* split names after "All splits" */
  GFile *folder;

  /* borrowed (children) */
  GtkDropDown *format, *split, *labels;
  GtkButton *folder_button, *export_button, *close_button;
  GtkProgressBar *progress;
  GtkLabel *status;
  gboolean running;
};

G_DEFINE_FINAL_TYPE (RelabelExportDialog, relabel_export_dialog, GTK_TYPE_WINDOW)

static const char *const formats[] = { "camvid", "color", "voc", "cityscapes", NULL };
static const char *const labels[] = { "corrected", "original", "prediction", NULL };

static void
update (RelabelExportDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button),
                            !self->running && self->folder != NULL);
  gtk_button_set_label (self->close_button, self->running ? "Cancel" : "Close");
}

static void
on_folder (GtkNativeDialog *chooser, int response, RelabelExportDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_clear_object (&self->folder);
      self->folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (self->folder);
      gtk_button_set_label (self->folder_button, path);
    }
  g_object_unref (chooser);
  update (self);
}

static void
choose_folder (RelabelExportDialog *self)
{
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new ("Export To (an empty folder)", GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, "_Select", "_Cancel");
  g_signal_connect (chooser, "response", G_CALLBACK (on_folder), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
start (RelabelExportDialog *self)
{
  if (self->folder == NULL)
    return;
  guint s = gtk_drop_down_get_selected (self->split);
  const char *split = s == 0 ? NULL : g_ptr_array_index (self->splits, s - 1);
  g_autofree char *out = g_file_get_path (self->folder);
  if (!rl_session_export_dataset (self->session,
                                  formats[gtk_drop_down_get_selected (self->format)], out,
                                  split, labels[gtk_drop_down_get_selected (self->labels)]))
    {
      gtk_label_set_text (self->status, "Another job is running: wait for it or cancel it.");
      return;
    }
  self->running = TRUE;
  gtk_label_set_text (self->status, "Exporting…");
  update (self);
}

static void
on_close (RelabelExportDialog *self)
{
  if (self->running)
    rl_session_cancel_job (self->session);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_progress (RlSession *session, double fraction, const char *text, RelabelExportDialog *self)
{
  if (!self->running)
    return;
  gtk_progress_bar_set_fraction (self->progress, fraction);
  gtk_label_set_text (self->status, text);
}

static void
on_finished (RlSession *session, const char *kind, gboolean ok, GError *error, gpointer result,
             RelabelExportDialog *self)
{
  if (!g_str_equal (kind, "export") || !self->running)
    return;
  self->running = FALSE;
  g_autofree char *text = NULL;
  if (ok)
    text = g_strdup_printf ("Exported to %s (with changes.csv)", (const char *) result);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    text = g_strdup ("Cancelled: nothing was written.");
  else
    text = g_strdup (error->message);
  gtk_label_set_text (self->status, text);
  gtk_progress_bar_set_fraction (self->progress, ok ? 1.0 : 0.0);
  update (self);
}

static GtkWidget *
row (GtkGrid *grid, int r, const char *label, GtkWidget *w)
{
  GtkWidget *l = gtk_label_new_with_mnemonic (label);
  gtk_label_set_mnemonic_widget (GTK_LABEL (l), w);
  gtk_label_set_xalign (GTK_LABEL (l), 1);
  gtk_grid_attach (grid, l, 0, r, 1, 1);
  gtk_widget_set_hexpand (w, TRUE);
  gtk_grid_attach (grid, w, 1, r, 1, 1);
  return w;
}

RelabelExportDialog *
relabel_export_dialog_new (GtkWindow *parent, RlSession *session)
{
  RelabelExportDialog *self = g_object_new (RELABEL_TYPE_EXPORT_DIALOG, "transient-for", parent,
                                            "modal", TRUE, "title", "Export Dataset",
                                            "default-width", 520, NULL);
  self->session = g_object_ref (session);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  g_object_set (box, "margin-start", 18, "margin-end", 18, "margin-top", 18, "margin-bottom",
                18, NULL);
  GtkGrid *grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_row_spacing (grid, 8);
  gtk_grid_set_column_spacing (grid, 12);
  const char *fmt_names[] = { "CamVid (indexed label PNGs)", "Colour-coded label PNGs",
                              "Pascal VOC (SegmentationClass)", "Cityscapes (gtFine labelIds)",
                              NULL };
  self->format = GTK_DROP_DOWN (row (grid, 0, "_Format", gtk_drop_down_new_from_strings (fmt_names)));

  self->splits = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GtkStringList) splits = gtk_string_list_new (NULL);
  gtk_string_list_append (splits, "All splits");
  GPtrArray *images = rl_session_get_images (session);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; images && i < images->len; i++)
    {
      RlImageInfo *info = g_ptr_array_index (images, i);
      if (info->split && g_hash_table_add (seen, info->split))
        {
          g_ptr_array_add (self->splits, g_strdup (info->split));
          gtk_string_list_append (splits, info->split);
        }
    }
  self->split = GTK_DROP_DOWN (row (grid, 1, "_Split", gtk_drop_down_new (g_object_ref (G_LIST_MODEL (splits)), NULL)));
  const char *label_names[] = { "Corrected labels", "Original labels", "Predictions", NULL };
  self->labels = GTK_DROP_DOWN (row (grid, 2, "_Labels", gtk_drop_down_new_from_strings (label_names)));
  self->folder_button = GTK_BUTTON (row (grid, 3, "_Destination",
                                         gtk_button_new_with_label ("Choose an empty folder…")));
  g_signal_connect_swapped (self->folder_button, "clicked", G_CALLBACK (choose_folder), self);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (grid));

  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));
  self->status = GTK_LABEL (gtk_label_new ("The folder is written atomically, with changes.csv "
                                           "listing what changed against the original labels."));
  gtk_label_set_wrap (self->status, TRUE);
  gtk_label_set_xalign (self->status, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status));

  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  self->close_button = GTK_BUTTON (gtk_button_new_with_mnemonic ("_Close"));
  self->export_button = GTK_BUTTON (gtk_button_new_with_mnemonic ("_Export"));
  gtk_widget_add_css_class (GTK_WIDGET (self->export_button), "suggested-action");
  g_signal_connect_swapped (self->close_button, "clicked", G_CALLBACK (on_close), self);
  g_signal_connect_swapped (self->export_button, "clicked", G_CALLBACK (start), self);
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->close_button));
  gtk_box_append (GTK_BOX (buttons), GTK_WIDGET (self->export_button));
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (GTK_WINDOW (self), box);

  g_signal_connect_object (session, "job-progress", G_CALLBACK (on_progress), self, 0);
  g_signal_connect_object (session, "job-finished", G_CALLBACK (on_finished), self, 0);
  update (self);
  return self;
}

static gboolean
close_request (GtkWindow *window)
{
  RelabelExportDialog *self = RELABEL_EXPORT_DIALOG (window);
  if (self->running)   /* closing cancels; the window goes once the job says so */
    {
      rl_session_cancel_job (self->session);
      return TRUE;
    }
  return FALSE;
}

static void
relabel_export_dialog_dispose (GObject *object)
{
  RelabelExportDialog *self = RELABEL_EXPORT_DIALOG (object);
  g_clear_object (&self->session);
  g_clear_object (&self->folder);
  g_clear_pointer (&self->splits, g_ptr_array_unref);
  G_OBJECT_CLASS (relabel_export_dialog_parent_class)->dispose (object);
}

static void
relabel_export_dialog_class_init (RelabelExportDialogClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = relabel_export_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = close_request;
  gtk_widget_class_add_binding_action (GTK_WIDGET_CLASS (klass), GDK_KEY_Escape, 0,
                                       "window.close", NULL);
}

static void
relabel_export_dialog_init (RelabelExportDialog *self)
{
}
