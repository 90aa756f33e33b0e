/* The window's actions, their keyboard shortcuts and the file choosers (moved from
 * relabel-window.c). */
#include "relabel-window-private.h"

/* ---- file choosers */

static void
on_open_response (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        relabel_window_open_project (self, path);
    }
  g_object_unref (dialog);
}

static void
action_open_recent (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  /* like Open Project…: a running job on the current project is cancelled */
  relabel_window_open_project (self, g_variant_get_string (param, NULL));
}

static void
action_open (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new ("Open Project", GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              "_Open", "_Cancel");
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, "Relabel projects");
  gtk_file_filter_add_pattern (filter, "*.relabel");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_new_project_save (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  char *dataset = g_object_steal_data (G_OBJECT (dialog), "dataset");
  if (response == GTK_RESPONSE_ACCEPT && !rl_session_has_job (self->session))
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL && !g_str_has_suffix (path, ".relabel"))
        {
          char *with = g_strconcat (path, ".relabel", NULL);
          g_free (path);
          path = with;
        }
      if (path != NULL)
        {
          const char *kind = rl_guess_dataset_kind (dataset);
          set_job_visible (self, TRUE, "Importing…");
          rl_session_import (self->session, path, kind, dataset);
          update_actions (self);
        }
    }
  g_free (dataset);
  g_object_unref (dialog);
}

static void
on_new_project_folder (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *base = g_file_get_basename (folder);
      g_autofree char *name = g_strconcat (base, ".relabel", NULL);
      GtkFileChooserNative *save = gtk_file_chooser_native_new ("Save the New Project As",
                                                                GTK_WINDOW (self),
                                                                GTK_FILE_CHOOSER_ACTION_SAVE,
                                                                "_Create", "_Cancel");
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (save), name);
      g_object_set_data_full (G_OBJECT (save), "dataset", g_file_get_path (folder), g_free);
      g_signal_connect (save, "response", G_CALLBACK (on_new_project_save), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (save));
    }
  g_object_unref (dialog);
}

static void
action_new_project (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new ("Choose a Dataset Folder (CamVid, SUN RGB-D or images + labels)",
                                 GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                 "_Choose", "_Cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_new_project_folder), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

gboolean
relabel_window_add_model (RelabelWindow *self, const char *path)
{
  g_return_val_if_fail (RELABEL_IS_WINDOW (self), FALSE);
  /* queued after the open: the writer runs them in order; failures come as "error" */
  rl_session_add_model (self->session, path, FALSE);
  return TRUE;
}

void
relabel_window_ensure_model (RelabelWindow *self, const char *path)
{
  g_return_if_fail (RELABEL_IS_WINDOW (self));
  rl_session_add_model (self->session, path, TRUE);
}

static void
on_add_model_response (GtkNativeDialog *dialog, int response, RelabelWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->has_project)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      if (path != NULL)
        relabel_window_add_model (self, path);
    }
  g_object_unref (dialog);
}

static void
action_add_model (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new ("Add a Model (safetensors)",
                                                              GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              "_Add", "_Cancel");
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, "SegNet models (*.safetensors)");
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (on_add_model_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- actions */

void
update_actions (RelabelWindow *self)
{
  GtkWidget *w = GTK_WIDGET (self);
  gboolean has_image = self->has_project && self->current_id != 0;
  gboolean busy = rl_session_has_job (self->session);
  RelabelImageItem *item = has_image ? find_item (self, self->current_id, NULL) : NULL;

  /* a stroke just made may not be committed yet: the session says when there is nothing to undo */
  gtk_widget_action_set_enabled (w, "win.undo", has_image);
  gtk_widget_action_set_enabled (w, "win.redo", has_image);
  gtk_widget_action_set_enabled (w, "win.prelabel-current", has_image && !busy);
  gtk_widget_action_set_enabled (w, "win.prelabel-all", self->has_project && !busy);
  gtk_widget_action_set_enabled (w, "win.retrain", self->has_project && !busy);
  gtk_widget_action_set_enabled (w, "win.train-new-model", self->has_project && !busy);
  gtk_widget_action_set_enabled (w, "win.cancel-job", busy);
  gtk_widget_action_set_enabled (w, "win.new-project", !busy);
  gtk_widget_action_set_enabled (w, "win.add-model", self->has_project);
  gtk_widget_action_set_enabled (w, "win.export-dataset", self->has_project && !busy);
  gtk_widget_action_set_enabled (w, "win.accept-prediction",
                                 item && relabel_image_item_get_has_prediction (item));
  gtk_widget_action_set_enabled (w, "win.accept-prediction-void",
                                 item && relabel_image_item_get_has_prediction (item));
  gtk_widget_action_set_enabled (w, "win.mark-reviewed", has_image);
}

static void
undo_redo (RelabelWindow *self, gboolean redo)
{
  if (self->current_id == 0)
    return;
  if (redo)
    rl_session_redo (self->session);
  else
    rl_session_undo (self->session);
}

void
on_notice (RlSession *session, const char *text, RelabelWindow *self)
{
  gtk_label_set_text (self->status_label, text);
  update_actions (self);
}

void
on_session_error (RlSession *session, const char *text, RelabelWindow *self)
{
  relabel_window_show_message (self, GTK_MESSAGE_ERROR, text);
}

static void
action_undo (GtkWidget *widget, const char *name, GVariant *param)
{
  undo_redo (RELABEL_WINDOW (widget), FALSE);
}

static void
action_redo (GtkWidget *widget, const char *name, GVariant *param)
{
  undo_redo (RELABEL_WINDOW (widget), TRUE);
}

static void
action_retrain (GtkWidget *widget, const char *name, GVariant *param)
{
  start_retrain (RELABEL_WINDOW (widget));
}

static void
action_train_new_model (GtkWidget *widget, const char *name, GVariant *param)
{
  start_new_model_dialog (RELABEL_WINDOW (widget));
}

static void
action_prelabel (GtkWidget *widget, const char *name, GVariant *param)
{
  start_prelabel (RELABEL_WINDOW (widget), g_str_equal (name, "win.prelabel-all"));
}

static void
action_cancel_job (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  if (rl_session_has_job (self->session))
    {
      rl_session_cancel_job (self->session);
      gtk_label_set_text (self->job_label, "Cancelling…");
    }
}

static void
action_accept_prediction (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  g_autoptr (GError) error = NULL;
  guint n = 0;
  if (self->current_id == 0)
    return;
  g_autoptr (RlEdit) edit = rl_edit_new (RL_EDIT_WHOLE_IMAGE, "accept-prediction");
  edit->source = RL_EDIT_SOURCE_PREDICTION;
  if (g_str_equal (name, "win.accept-prediction-void"))
    edit->protect = RL_PROTECT_VOID;
  if (!rl_session_apply_edit (self->session, edit, &n, &error))
    {
      show_error (self, error);
      return;
    }
  g_autofree char *msg = g_strdup_printf ("Prediction accepted: %u pixels changed (Ctrl+Z undoes)",
                                          n);
  gtk_label_set_text (self->status_label, msg);
}

static void
action_mark_reviewed (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  if (self->current_id != 0)
    rl_session_set_status (self->session, self->current_id, RL_IMAGE_REVIEWED);
}

static void
action_navigate (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint pos = gtk_single_selection_get_selected (self->selection);
  int delta = g_variant_get_int32 (param);
  if (n == 0)
    return;
  if (pos == GTK_INVALID_LIST_POSITION)
    pos = 0;
  else if (delta < 0 && pos > 0)
    pos--;
  else if (delta > 0 && pos + 1 < n)
    pos++;
  gtk_single_selection_set_selected (self->selection, pos);
  gtk_widget_activate_action (GTK_WIDGET (self->image_list), "list.scroll-to-item", "u", pos);
}

static void
action_select_class (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  relabel_palette_select_index (self->palette, g_variant_get_int32 (param));
}

static void
action_brush_size (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  double r = gtk_adjustment_get_value (self->brush_adjustment);
  double step = MAX (1.0, round (r * 0.2));
  gtk_adjustment_set_value (self->brush_adjustment,
                            r + (g_variant_get_int32 (param) > 0 ? step : -step));
}

static void
action_toggle_overlay (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  relabel_canvas_set_overlay_visible (self->canvas,
                                      !relabel_canvas_get_overlay_visible (self->canvas));
}

static void
action_cycle_view (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  guint v = gtk_drop_down_get_selected (self->view_dropdown);
  gtk_drop_down_set_selected (self->view_dropdown, (v + 1) % 5);
}

static void
action_zoom (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  if (g_str_equal (name, "win.zoom-in"))
    relabel_canvas_zoom (self->canvas, 1.25);
  else if (g_str_equal (name, "win.zoom-out"))
    relabel_canvas_zoom (self->canvas, 0.8);
  else
    relabel_canvas_zoom_fit (self->canvas);
  update_status (self);
}

void
on_view_changed (GtkDropDown *dropdown, GParamSpec *pspec, RelabelWindow *self)
{
  RelabelView view = (RelabelView) gtk_drop_down_get_selected (dropdown);
  /* the session computes the Boundary view's map off this thread, only while it is shown */
  rl_session_set_boundary_errors_wanted (self->session, view == RELABEL_VIEW_BOUNDARY);
  relabel_canvas_set_view (self->canvas, view);
}

void
on_canvas_view_changed (RelabelCanvas *canvas, RelabelWindow *self)
{
  gtk_drop_down_set_selected (self->view_dropdown, relabel_canvas_get_view (canvas));
}

void
on_brush_changed (GtkAdjustment *adj, RelabelWindow *self)
{
  relabel_canvas_set_brush_radius (self->canvas, gtk_adjustment_get_value (adj));
}

void
on_opacity_changed (GtkAdjustment *adj, RelabelWindow *self)
{
  relabel_canvas_set_opacity (self->canvas, gtk_adjustment_get_value (adj));
  relabel_canvas_set_overlay_visible (self->canvas, TRUE);
}

RelabelTool
tool_from_name (const char *name)
{
  if (g_strcmp0 (name, "eraser") == 0)
    return RELABEL_TOOL_ERASER;
  if (g_strcmp0 (name, "fill") == 0)
    return RELABEL_TOOL_FILL;
  if (g_strcmp0 (name, "polygon") == 0)
    return RELABEL_TOOL_POLYGON;
  if (g_strcmp0 (name, "eyedropper") == 0)
    return RELABEL_TOOL_EYEDROPPER;
  if (g_strcmp0 (name, "wand") == 0)
    return RELABEL_TOOL_WAND;
  if (g_strcmp0 (name, "superpixel") == 0)
    return RELABEL_TOOL_SUPERPIXEL;
  if (g_strcmp0 (name, "replace") == 0)
    return RELABEL_TOOL_REPLACE;
  if (g_strcmp0 (name, "accept") == 0)
    return RELABEL_TOOL_ACCEPT_PREDICTION;
  return RELABEL_TOOL_BRUSH;
}

gboolean
on_frame_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  gint64 t = gdk_frame_clock_get_frame_time (clock);
  if (self->last_frame_time != 0 && self->frame_log != NULL)
    {
      /* the gap since the last frame, and when this tick ran (CLOCK_MONOTONIC, ms): the GUI
       * test compares stalls with those another process saw at the same time */
      g_autofree char *line = g_strdup_printf ("%.3f %.3f", (t - self->last_frame_time) / 1000.0,
                                               g_get_monotonic_time () / 1000.0);
      frame_log (self, line);
    }
  self->last_frame_time = t;
  return G_SOURCE_CONTINUE;
}

static void
add_key (GtkWidgetClass *klass, guint key, GdkModifierType mods, const char *action,
         const char *format, int arg)
{
  if (format != NULL)
    gtk_widget_class_add_binding_action (klass, key, mods, action, format, arg);
  else
    gtk_widget_class_add_binding_action (klass, key, mods, action, NULL);
}

void
relabel_window_install_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, action_open);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", action_open_recent);
  gtk_widget_class_install_action (widget_class, "win.new-project", NULL, action_new_project);
  gtk_widget_class_install_action (widget_class, "win.add-model", NULL, action_add_model);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, action_undo);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, action_redo);
  gtk_widget_class_install_action (widget_class, "win.prelabel-current", NULL, action_prelabel);
  gtk_widget_class_install_action (widget_class, "win.prelabel-all", NULL, action_prelabel);
  gtk_widget_class_install_action (widget_class, "win.retrain", NULL, action_retrain);
  gtk_widget_class_install_action (widget_class, "win.train-new-model", NULL,
                                   action_train_new_model);
  gtk_widget_class_install_action (widget_class, "win.cancel-job", NULL, action_cancel_job);
  gtk_widget_class_install_action (widget_class, "win.accept-prediction", NULL,
                                   action_accept_prediction);
  gtk_widget_class_install_action (widget_class, "win.accept-prediction-void", NULL,
                                   action_accept_prediction);
  gtk_widget_class_install_action (widget_class, "win.mark-reviewed", NULL, action_mark_reviewed);
  gtk_widget_class_install_action (widget_class, "win.navigate", "i", action_navigate);
  gtk_widget_class_install_action (widget_class, "win.select-class", "i", action_select_class);
  gtk_widget_class_install_action (widget_class, "win.brush-size", "i", action_brush_size);
  gtk_widget_class_install_action (widget_class, "win.toggle-overlay", NULL,
                                   action_toggle_overlay);
  gtk_widget_class_install_action (widget_class, "win.cycle-view", NULL, action_cycle_view);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, action_zoom);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, action_zoom);
  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, action_zoom);
  gtk_widget_class_install_action (widget_class, "win.page", "i", action_page);
  gtk_widget_class_install_action (widget_class, "win.export-dataset", NULL,
                                   action_export_dataset);
  gtk_widget_class_install_property_action (widget_class, "win.tool", "tool");
  gtk_widget_class_install_property_action (widget_class, "win.protect", "protect");
  gtk_widget_class_install_property_action (widget_class, "win.erase-to-original",
                                            "erase-to-original");

  add_key (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL, 0);
  add_key (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL, 0);
  add_key (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL, 0);
  add_key (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL, 0);
  add_key (widget_class, GDK_KEY_y, GDK_CONTROL_MASK, "win.redo", NULL, 0);
  add_key (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.prelabel-current", NULL, 0);
  add_key (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.retrain", NULL, 0);
  add_key (widget_class, GDK_KEY_r, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.train-new-model",
           NULL, 0);
  add_key (widget_class, GDK_KEY_R, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.train-new-model",
           NULL, 0);
  add_key (widget_class, GDK_KEY_l, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.prelabel-all",
           NULL, 0);
  add_key (widget_class, GDK_KEY_L, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.prelabel-all",
           NULL, 0);
  add_key (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "win.mark-reviewed", NULL, 0);
  add_key (widget_class, GDK_KEY_Page_Down, 0, "win.navigate", "i", 1);
  add_key (widget_class, GDK_KEY_Page_Up, 0, "win.navigate", "i", -1);
  add_key (widget_class, GDK_KEY_d, 0, "win.navigate", "i", 1);
  add_key (widget_class, GDK_KEY_a, 0, "win.navigate", "i", -1);
  static const guint digits[] = { GDK_KEY_1, GDK_KEY_2, GDK_KEY_3, GDK_KEY_4, GDK_KEY_5,
                                  GDK_KEY_6, GDK_KEY_7, GDK_KEY_8, GDK_KEY_9, GDK_KEY_0 };
  static const guint kp_digits[] = { GDK_KEY_KP_1, GDK_KEY_KP_2, GDK_KEY_KP_3, GDK_KEY_KP_4,
                                     GDK_KEY_KP_5, GDK_KEY_KP_6, GDK_KEY_KP_7, GDK_KEY_KP_8,
                                     GDK_KEY_KP_9, GDK_KEY_KP_0 };
  for (int i = 0; i < 10; i++)
    {
      add_key (widget_class, digits[i], 0, "win.select-class", "i", i);
      add_key (widget_class, kp_digits[i], 0, "win.select-class", "i", i);
    }
  add_key (widget_class, GDK_KEY_bracketleft, 0, "win.brush-size", "i", -1);
  add_key (widget_class, GDK_KEY_bracketright, 0, "win.brush-size", "i", 1);
  add_key (widget_class, GDK_KEY_o, 0, "win.toggle-overlay", NULL, 0);
  add_key (widget_class, GDK_KEY_v, 0, "win.cycle-view", NULL, 0);
  add_key (widget_class, GDK_KEY_plus, 0, "win.zoom-in", NULL, 0);
  add_key (widget_class, GDK_KEY_equal, 0, "win.zoom-in", NULL, 0);
  add_key (widget_class, GDK_KEY_KP_Add, 0, "win.zoom-in", NULL, 0);
  add_key (widget_class, GDK_KEY_minus, 0, "win.zoom-out", NULL, 0);
  add_key (widget_class, GDK_KEY_KP_Subtract, 0, "win.zoom-out", NULL, 0);
  add_key (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL, 0);
  add_key (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.page", "i", 1);
  add_key (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.page", "i", 2);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, 0, "win.tool", "s", "brush");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, 0, "win.tool", "s", "eraser");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, 0, "win.tool", "s", "fill");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, 0, "win.tool", "s", "polygon");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, 0, "win.tool", "s",
                                       "eyedropper");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_x, 0, "win.protect", NULL);
}
