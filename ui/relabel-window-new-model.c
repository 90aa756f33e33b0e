/* The window's "Train New Model…" (issue 17): the dialog, the job in the jobs area (progress and
 * Cancel as for Retrain; the session runs it, rl-session-new-model.h), and at its end the offer
 * to pre-label the images that have no labels with the new model. */
#include "relabel-window-private.h"

#include "relabel-new-model-dialog.h"
#include "relabel-paths.h"
#include "rl-session-new-model.h"

/* The images the new model did not train on and that need labels: no mask at all. */
static GArray *
unlabelled_ids (RelabelWindow *self)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      if (relabel_image_item_get_status (item) == RL_IMAGE_UNLABELLED
          && !relabel_image_item_get_missing (item))
        {
          gint64 id = relabel_image_item_get_id (item);
          g_array_append_val (ids, id);
        }
    }
  return ids;
}

static guint
count_labelled (RelabelWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store)), k = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      if (relabel_image_item_get_status (item) != RL_IMAGE_UNLABELLED
          && !relabel_image_item_get_missing (item))
        k++;
    }
  return k;
}

static void
start (const RlNewModelOptions *opt, gpointer data)
{
  RelabelWindow *self = data;
  if (self->closing || !self->has_project)
    return;
  if (!rl_session_new_model (self->session, opt))
    {
      relabel_window_show_message (self, GTK_MESSAGE_WARNING,
                                   "Another job is running: wait for it or cancel it.");
      return;
    }
  gtk_info_bar_set_revealed (self->info_bar, FALSE);
  gtk_info_bar_set_revealed (self->retrain_bar, FALSE);
  set_job_visible (self, TRUE, "New model: starting…");
  g_autofree char *line = g_strdup_printf ("# new-model-start %s %d steps%s%s",
                                           opt->train.arch, opt->train.iters,
                                           opt->train.init_encoder ? " from-camvid" : "",
                                           opt->train.input_norm == RL_INPUT_NORM_IMAGE
                                             ? " image-norm" : "");
  frame_log (self, line);
  update_actions (self);
}

void
start_new_model_dialog (RelabelWindow *self)
{
  if (!self->has_project || rl_session_has_job (self->session) || self->closing)
    return;
  g_autofree char *dir = relabel_find_data_dir ();
  g_autofree char *camvid = dir ? g_build_filename (dir, "models", "segnet-basic-camvid.safetensors",
                                                    NULL)
                                : NULL;
  if (camvid != NULL && !g_file_test (camvid, G_FILE_TEST_IS_REGULAR))
    g_clear_pointer (&camvid, g_free);
  RelabelNewModelDialog *d = relabel_new_model_dialog_new (GTK_WINDOW (self), self->session,
                                                           count_labelled (self), camvid, start,
                                                           self);
  gtk_window_present (GTK_WINDOW (d));
}

static void
prelabel_rest (RelabelWindow *self)
{
  if (!self->has_project || rl_session_has_job (self->session) || self->closing)
    return;
  g_autoptr (GArray) ids = unlabelled_ids (self);
  if (ids->len == 0)
    return;
  set_job_visible (self, TRUE, "Pre-labelling…");
  frame_log (self, "# job-start");
  rl_session_prelabel (self->session, (const gint64 *) ids->data, ids->len,
                       self->settings ? g_settings_get_int (self->settings, "threads") : 0);
  update_actions (self);
}

/* The offer at the end: a small modal window, Return pre-labels, Escape declines. */
static void
offer_prelabel (RelabelWindow *self, const char *text, guint n)
{
  GtkWindow *w = GTK_WINDOW (g_object_new (GTK_TYPE_WINDOW, "transient-for", self, "modal", TRUE,
                                           "title", "New Model Ready", "default-width", 460,
                                           "resizable", FALSE, NULL));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  g_object_set (box, "margin-start", 18, "margin-end", 18, "margin-top", 18, "margin-bottom",
                18, NULL);
  GtkWidget *l = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (l), TRUE);
  gtk_label_set_xalign (GTK_LABEL (l), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (l), 50);
  gtk_box_append (GTK_BOX (box), l);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  GtkWidget *no = gtk_button_new_with_mnemonic ("_Not Now");
  g_autofree char *label = g_strdup_printf ("_Pre-label %u Image%s", n, n == 1 ? "" : "s");
  GtkWidget *yes = gtk_button_new_with_mnemonic (label);
  gtk_widget_add_css_class (yes, "suggested-action");
  g_signal_connect_swapped (no, "clicked", G_CALLBACK (gtk_window_destroy), w);
  g_signal_connect_swapped (yes, "clicked", G_CALLBACK (prelabel_rest), self);
  g_signal_connect_swapped (yes, "clicked", G_CALLBACK (gtk_window_destroy), w);
  gtk_box_append (GTK_BOX (buttons), no);
  gtk_box_append (GTK_BOX (buttons), yes);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (w, box);
  gtk_window_set_default_widget (w, yes);
  GtkEventController *keys = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (
    GTK_SHORTCUT_CONTROLLER (keys),
    gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Escape, 0),
                      gtk_named_action_new ("window.close")));
  gtk_widget_add_controller (GTK_WIDGET (w), keys);
  gtk_window_present (w);
  gtk_widget_grab_focus (yes);
}

void
new_model_done (RelabelWindow *self, gboolean ok, const GError *error,
                const RlNewModelResult *r)
{
  gboolean cancelled = !ok && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  frame_log (self, ok ? "# new-model-end ok" : cancelled ? "# new-model-end cancelled"
                                                         : "# new-model-end failed");
  if (self->closing || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  set_job_visible (self, FALSE, NULL);
  if (!ok)
    {
      if (cancelled)
        gtk_label_set_text (self->status_label, "Train New Model cancelled: nothing was added");
      else
        {
          g_autofree char *msg = g_strdup_printf ("Train New Model failed: %s", error->message);
          relabel_window_show_message (self, GTK_MESSAGE_ERROR, msg);
        }
      return;
    }
  g_autofree char *summary =
    g_strdup_printf ("New model: version %" G_GINT64_FORMAT ", trained on %d labelled image%s, "
                     "%d steps in %.0f s (mean loss %.3f at the start, %.3f at the end)",
                     r->model_id, r->train_images, r->train_images == 1 ? "" : "s", r->iters,
                     r->seconds, r->first_loss, r->last_loss);
  g_autofree char *line = g_strdup_printf ("# new-model-result %s%s", summary,
                                           r->made_current ? "; current" : "");
  frame_log (self, line);
  gtk_label_set_text (self->status_label, summary);
  g_autoptr (GArray) rest = unlabelled_ids (self);
  if (!r->made_current)
    {
      g_autofree char *msg =
        g_strdup_printf ("%s. The project's current model is unchanged: make version %"
                         G_GINT64_FORMAT " current on the dashboard to pre-label with it.",
                         summary, r->model_id);
      relabel_window_show_message (self, GTK_MESSAGE_INFO, msg);
      return;
    }
  if (rest->len == 0)
    {
      g_autofree char *msg = g_strdup_printf ("%s. It is now the current model; every image "
                                              "has labels, so there is nothing to pre-label.",
                                              summary);
      relabel_window_show_message (self, GTK_MESSAGE_INFO, msg);
      return;
    }
  g_autofree char *msg =
    g_strdup_printf ("%s. It is now the current model.\n\nPre-label the %u image%s without "
                     "labels with it? Their predictions can then be corrected and the model "
                     "retrained.", summary, rest->len, rest->len == 1 ? "" : "s");
  offer_prelabel (self, msg, rest->len);
}
