/* The window's jobs: pre-label, retrain, the current model and the scores after an edit, all
 * run by the session (moved from relabel-window.c). */
#include "relabel-window-private.h"

/* ---- jobs */

void
set_job_visible (RelabelWindow *self, gboolean visible, const char *what)
{
  /* a stack of equal height: showing the job never resizes the canvas */
  gtk_stack_set_visible_child_name (self->job_stack, visible ? "job" : "idle");
  if (what != NULL)
    gtk_label_set_text (self->job_label, what);
  gtk_progress_bar_set_fraction (self->job_progress, 0);
  update_actions (self);
}

void
on_job_progress (RlSession *session, double fraction, const char *text, RelabelWindow *self)
{
  gtk_progress_bar_set_fraction (self->job_progress, fraction);
  gtk_label_set_text (self->job_label, text);
  if (g_str_has_prefix (text, "Pre-labelling "))
    {
      g_autofree char *line = g_strdup_printf ("# progress %s", text + strlen ("Pre-labelling "));
      frame_log (self, line);
    }
}

static void
prelabel_done (RelabelWindow *self, gboolean ok, const GError *error, guint n_done)
{
  g_autofree char *line = g_strdup_printf ("# job-end %u %s", n_done, ok ? "ok" : "failed");
  frame_log (self, line);
  if (self->closing)
    return;
  set_job_visible (self, FALSE, NULL);
  if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *msg = g_strdup_printf ("Pre-label stopped: %s", error->message);
      relabel_window_show_message (self, GTK_MESSAGE_ERROR, msg);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf ("%s: %u image%s predicted",
                                              ok ? "Pre-label finished" : "Pre-label cancelled",
                                              n_done, n_done == 1 ? "" : "s");
      gtk_label_set_text (self->status_label, msg);
    }
}

void
start_prelabel (RelabelWindow *self, gboolean all)
{
  if (!self->has_project || rl_session_has_job (self->session) || self->closing)
    return;
  if (rl_session_get_current_model (self->session) == 0)
    {
      relabel_window_show_message (self, GTK_MESSAGE_WARNING,
                                   "This project has no model yet: add one with “Add Model to "
                                   "Project…” in the main menu.");
      return;
    }
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  if (all)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
      for (guint i = 0; i < n; i++)
        {
          g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
          gint64 id = relabel_image_item_get_id (item);
          g_array_append_val (ids, id);
        }
    }
  else if (self->current_id != 0)
    g_array_append_val (ids, self->current_id);
  if (ids->len == 0)
    return;
  set_job_visible (self, TRUE, "Pre-labelling…");
  frame_log (self, "# job-start");
  /* the worker exports the model and stores each prediction on its own connection; the session
   * reads each new row back on its writer thread */
  rl_session_prelabel (self->session, (const gint64 *) ids->data, ids->len,
                       self->settings ? g_settings_get_int (self->settings, "threads") : 0);
  update_actions (self);
}

/* ---- retrain */



/* "G 84.0 → 84.1 %, mIoU 51.0 → 51.2 %" of one set of before/after scores. */
static void
append_scores (GString *s, const char *what, const RlFinetuneScores *sc)
{
  g_string_append_printf (s, "%s (%d image%s", what, sc->images, sc->images == 1 ? "" : "s");
  if (sc->before_in_sample && sc->after_in_sample)
    g_string_append (s, ", in-sample");
  else if (sc->after_in_sample)
    g_string_append (s, ", in-sample after");
  else if (sc->before_in_sample)
    g_string_append (s, ", in-sample before");
  g_string_append_printf (s, "): G %.1f → %.1f %%, mIoU %.1f → %.1f %%", 100 * sc->before_g,
                          100 * sc->after_g, 100 * sc->before_miou, 100 * sc->after_miou);
}

/* The retrain bar's button offers the version of the last Retrain that is not current. */
static void
update_retrain_switch (RelabelWindow *self)
{
  gint64 other = self->retrain_current_id == self->retrain_new_id ? self->retrain_parent_id
                                                                  : self->retrain_new_id;
  gboolean can = other > 0 && !self->switching_model;
  gtk_widget_set_visible (GTK_WIDGET (self->retrain_switch), other > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->retrain_switch), can);
  if (other > 0)
    {
      g_autofree char *label = g_strdup_printf ("_Use version %" G_GINT64_FORMAT, other);
      gtk_button_set_label (self->retrain_switch, label);
    }
}

static void
retrain_done (RelabelWindow *self, gboolean ok, const GError *error, const RlFinetuneResult *rp)
{
  RlFinetuneResult r = *rp;
  frame_log (self, ok ? "# retrain-end ok"
                      : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                      ? "# retrain-end cancelled" : "# retrain-end failed");
  if (self->closing || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  set_job_visible (self, FALSE, NULL);
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->status_label, "Retrain cancelled: the model is unchanged");
      else
        {
          g_autofree char *msg = g_strdup_printf ("Retrain failed: %s", error->message);
          relabel_window_show_message (self, GTK_MESSAGE_ERROR, msg);
        }
      return;
    }
  /* Everything shown comes from the worker's result: no database read on this thread. */
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "Retrained: version %" G_GINT64_FORMAT, r.model_id);
  if (r.parent_id > 0)
    g_string_append_printf (s, " from version %" G_GINT64_FORMAT, r.parent_id);
  g_string_append_printf (s, " (%.0f s). ", r.seconds);
  if (r.heldout.images > 0)
    append_scores (s, "Held-out", &r.heldout);
  else
    g_string_append (s, "No held-out images");
  if (r.corrected.images > 0)
    {
      g_string_append (s, "; ");
      append_scores (s, "corrected", &r.corrected);
    }
  g_string_append (s, ". ");
  if (r.made_current)
    g_string_append_printf (s, "Version %" G_GINT64_FORMAT " is now the current model.",
                            r.model_id);
  else
    {
      /* the reason's first letter capitalised: it starts a sentence here */
      g_autofree char *reason = g_strdup (r.reason);
      reason[0] = g_ascii_toupper (reason[0]);
      g_string_append_printf (s, "%s.", reason);
    }
  self->retrain_new_id = r.model_id;
  self->retrain_parent_id = r.parent_id;
  self->retrain_current_id = r.current_id;
  gtk_info_bar_set_message_type (self->retrain_bar, r.made_current ? GTK_MESSAGE_INFO
                                                                   : GTK_MESSAGE_WARNING);
  gtk_label_set_text (self->retrain_label, s->str);
  update_retrain_switch (self);
  gtk_info_bar_set_revealed (self->retrain_bar, TRUE);
  g_autofree char *line = g_strdup_printf ("# retrain-result %s", s->str);
  frame_log (self, line);
  gtk_label_set_text (self->status_label, r.made_current ? "Retrain finished"
                                                         : "Retrain finished: version kept, "
                                                           "not made current");
}

static void
current_model_set (RelabelWindow *self, gboolean ok, const GError *error, gint64 id)
{
  self->switching_model = FALSE;
  if (self->closing || gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  if (!ok)
    {
      show_error (self, error);
      update_retrain_switch (self);
      return;
    }
  self->retrain_current_id = id;
  update_retrain_switch (self);
  g_autofree char *msg = g_strdup_printf ("Version %" G_GINT64_FORMAT " is now the current model",
                                          id);
  gtk_label_set_text (self->status_label, msg);
  g_autofree char *line = g_strdup_printf ("# current-model %" G_GINT64_FORMAT, id);
  frame_log (self, line);
}

/* The retrain bar's button: the other version of the last Retrain becomes current (a worker
 * writes it on its own connection). */
void
on_retrain_switch_clicked (GtkButton *button, RelabelWindow *self)
{
  gint64 other = self->retrain_current_id == self->retrain_new_id ? self->retrain_parent_id
                                                                  : self->retrain_new_id;
  if (!self->has_project || other <= 0 || self->switching_model)
    return;
  self->switching_model = TRUE;
  update_retrain_switch (self);
  rl_session_set_current_model (self->session, other);
}

void
on_retrain_bar_response (GtkInfoBar *bar, int response, RelabelWindow *self)
{
  gtk_info_bar_set_revealed (bar, FALSE);
}

void
start_retrain (RelabelWindow *self)
{
  if (!self->has_project || rl_session_has_job (self->session) || self->closing)
    return;
  if (rl_session_get_current_model (self->session) == 0)
    {
      relabel_window_show_message (self, GTK_MESSAGE_WARNING,
                                   "This project has no model to retrain: train one from its "
                                   "labels with “Train New Model…” (Ctrl+Shift+R) or add one with "
                                   "“Add Model to Project…” in the main menu.");
      return;
    }
  /* the same defaults as `relabel finetune` (README.md, "Retrain");
   * RELABEL_DEBUG=finetune-iters=N overrides the steps (the GUI tests use a few) */
  RlFinetuneOptions opt;
  rl_finetune_options_init (&opt);
  if (self->debug.finetune_iters > 0)
    opt.iters = self->debug.finetune_iters;
  opt.quiet = TRUE;
  opt.threads = self->settings ? g_settings_get_int (self->settings, "threads") : 0;

  gtk_info_bar_set_revealed (self->info_bar, FALSE);
  gtk_info_bar_set_revealed (self->retrain_bar, FALSE);
  set_job_visible (self, TRUE, "Retrain: starting…");
  frame_log (self, "# retrain-start");
  rl_session_retrain (self->session, &opt);
  update_actions (self);
}


/* Every job's end: the session ran it and says how it went. */
void
on_job_finished (RlSession *session, const char *kind, gboolean ok, GError *error,
                 gpointer result, RelabelWindow *self)
{
  if (g_str_equal (kind, "prelabel"))
    prelabel_done (self, ok, error, *(guint *) result);
  else if (g_str_equal (kind, "retrain"))
    retrain_done (self, ok, error, result);
  else if (g_str_equal (kind, "new-model"))
    new_model_done (self, ok, error, result);
  else if (g_str_equal (kind, "current-model"))
    current_model_set (self, ok, error, *(gint64 *) result);
  else if (g_str_equal (kind, "export"))   /* the export window shows how it went */
    frame_log (self, ok ? "# export-end ok" : "# export-end failed");
  else if (g_str_equal (kind, "evaluate"))   /* the dashboard shows how it went */
    frame_log (self, ok ? "# eval-end ok"
                        : g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                        ? "# eval-end cancelled" : "# eval-end failed");
  else if (!self->closing)   /* import: the session opens the new project */
    {
      set_job_visible (self, FALSE, NULL);
      if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_error (self, error);
    }
  update_actions (self);
}

/* ---- prediction scores after an edit */


/* The session rescored a prediction after an edit (on its writer thread). */
void
on_rescored (RlSession *session, gint64 id, gboolean ok, double miou, double bf, double ms,
             RelabelWindow *self)
{
  if (self->frame_log != NULL)
    {
      g_autofree char *line =
        g_strdup_printf ("# rescore %" G_GINT64_FORMAT " %s miou %.6f bf %.6f %.1f ms", id,
                         ok ? "ok" : "failed", miou, bf, ms);
      frame_log (self, line);
    }
}
