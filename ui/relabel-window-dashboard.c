/* The window's dashboard page (issue 18): the stack of the annotation view and the dashboard with
 * its switcher (Alt+1 / Alt+2), and the image list filtered to a confusion cell's images, whose
 * pixels are highlighted on the canvas. */
#include "relabel-window-private.h"

#include "relabel-dashboard.h"
#include "relabel-export-dialog.h"

static void
log_list (RelabelWindow *self, const char *what)
{
  if (self->frame_log == NULL)
    return;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  g_autoptr (GString) s = g_string_new (NULL);
  g_string_append_printf (s, "# %s %u", what, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), i);
      g_string_append_printf (s, "%s%s", i ? "," : " ", relabel_image_item_get_name (item));
    }
  frame_log (self, s->str);
}

static void
on_cell_pixels (RlSession *session, gint64 image_id, GBytes *mask, int width, int height,
                const GError *error, gpointer data)
{
  RelabelWindow *self = data;
  if (!gtk_widget_in_destruction (GTK_WIDGET (self)) && image_id == self->current_id
      && self->cell_truth >= 0)
    {
      if (error != NULL)
        relabel_window_show_message (self, GTK_MESSAGE_ERROR, error->message);
      relabel_canvas_set_highlight (self->canvas, mask, width, height);
      if (mask != NULL && self->frame_log != NULL)
        {
          gsize n = 0, on = 0;
          const guint8 *m = g_bytes_get_data (mask, &n);
          for (gsize i = 0; i < n; i++)
            on += m[i] != 0;
          g_autofree char *line = g_strdup_printf ("# highlight %" G_GINT64_FORMAT " %zu",
                                                   image_id, on);
          frame_log (self, line);
        }
    }
  g_object_unref (self);
}

/* The shown image is one of a confusion cell's: highlight the cell's pixels (read on the
 * session's writer); otherwise clear the highlight. */
void
relabel_window_request_highlight (RelabelWindow *self)
{
  RelabelImageItem *item = self->current_id ? find_item (self, self->current_id, NULL) : NULL;
  relabel_canvas_set_highlight (self->canvas, NULL, 0, 0);
  if (item == NULL || self->only_names == NULL || self->cell_truth < 0
      || !g_hash_table_contains (self->only_names, relabel_image_item_get_name (item)))
    return;
  rl_session_cell_pixels (self->session, self->current_id, self->cell_model,
                          (RlMaskKind) self->cell_labels, self->cell_truth, self->cell_pred,
                          on_cell_pixels, g_object_ref (self));
}

static void
show_all_images (RelabelWindow *self)
{
  g_clear_pointer (&self->only_names, g_hash_table_unref);
  self->cell_truth = self->cell_pred = -1;
  gtk_widget_set_visible (self->only_bar, FALSE);
  relabel_canvas_set_highlight (self->canvas, NULL, 0, 0);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_LESS_STRICT);
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static void
on_filter_images (RelabelDashboard *dashboard, GStrv names, const char *title, gint64 model,
                  int labels, int truth, int pred, RelabelWindow *self)
{
  g_clear_pointer (&self->only_names, g_hash_table_unref);
  self->only_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; names[i] != NULL; i++)
    if (!g_hash_table_contains (self->only_names, names[i]))
      g_hash_table_insert (self->only_names, g_strdup (names[i]), GINT_TO_POINTER (i + 1));
  self->cell_model = model;
  self->cell_labels = labels;
  self->cell_truth = truth;
  self->cell_pred = pred;
  gtk_label_set_text (self->only_label, title);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->only_label), title);
  gtk_widget_set_visible (self->only_bar, TRUE);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  gtk_stack_set_visible_child_name (self->pages, "images");
  log_list (self, "filtered");
  /* open the worst one (its pixels highlighted) */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    {
      gtk_single_selection_set_selected (self->selection, 0);
      RelabelImageItem *first = gtk_single_selection_get_selected_item (self->selection);
      if (first != NULL && relabel_image_item_get_id (first) == self->current_id)
        relabel_window_request_highlight (self);
    }
}

void
action_export_dataset (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  gtk_window_present (GTK_WINDOW (relabel_export_dialog_new (GTK_WINDOW (self),
                                                             self->session)));
}

void
action_page (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelWindow *self = RELABEL_WINDOW (widget);
  int page = g_variant_get_int32 (param);
  gtk_stack_set_visible_child_name (self->pages, page == 2 ? "dashboard" : "images");
}

static void
on_page_changed (GtkStack *stack, GParamSpec *pspec, RelabelWindow *self)
{
  g_autofree char *line = g_strdup_printf ("# page %s", gtk_stack_get_visible_child_name (stack));
  frame_log (self, line);
}

/* Puts the annotation view and the dashboard in a stack with a switcher in the header bar, and a
 * bar above the image list that says when it shows a dashboard selection. */
void
relabel_window_install_dashboard (RelabelWindow *self)
{
  GtkWidget *box = gtk_widget_get_parent (self->paned);
  g_object_ref (self->paned);
  gtk_box_remove (GTK_BOX (box), self->paned);
  self->pages = GTK_STACK (gtk_stack_new ());
  gtk_stack_set_transition_type (self->pages, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
  /* sized by the page shown: the dashboard never widens the annotation view */
  gtk_stack_set_hhomogeneous (self->pages, FALSE);
  gtk_stack_set_vhomogeneous (self->pages, FALSE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->pages), TRUE);
  gtk_stack_add_titled (self->pages, self->paned, "images", "Images");
  g_object_unref (self->paned);
  self->dashboard = relabel_dashboard_new ();
  GtkWidget *scroll = gtk_scrolled_window_new ();   /* a 37-class heat map is taller */
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->dashboard));
  gtk_stack_add_titled (self->pages, scroll, "dashboard", "Dashboard");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->pages));
  GtkWidget *switcher = gtk_stack_switcher_new ();
  gtk_stack_switcher_set_stack (GTK_STACK_SWITCHER (switcher), self->pages);
  gtk_widget_set_tooltip_text (switcher, "Images (Alt+1) / metrics dashboard (Alt+2)");
  gtk_header_bar_pack_start (GTK_HEADER_BAR (gtk_window_get_titlebar (GTK_WINDOW (self))),
                             switcher);
  g_signal_connect (self->pages, "notify::visible-child", G_CALLBACK (on_page_changed), self);

  self->only_bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (self->only_bar, "toolbar");
  self->only_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_ellipsize (self->only_label, PANGO_ELLIPSIZE_END);   /* the tooltip has it all */
  gtk_label_set_xalign (self->only_label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->only_label), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->only_label), "caption");
  GtkWidget *all = gtk_button_new_with_label ("Show All");
  gtk_widget_set_valign (all, GTK_ALIGN_CENTER);
  g_signal_connect_swapped (all, "clicked", G_CALLBACK (show_all_images), self);
  gtk_box_append (GTK_BOX (self->only_bar), GTK_WIDGET (self->only_label));
  gtk_box_append (GTK_BOX (self->only_bar), all);
  gtk_widget_set_visible (self->only_bar, FALSE);
  GtkWidget *sidebar = gtk_paned_get_start_child (GTK_PANED (self->paned));
  gtk_box_insert_child_after (GTK_BOX (sidebar), self->only_bar,
                              gtk_widget_get_first_child (sidebar));
  self->cell_truth = self->cell_pred = -1;

  relabel_dashboard_set_session (self->dashboard, self->session);
  g_signal_connect (self->dashboard, "filter-images", G_CALLBACK (on_filter_images), self);
  /* another project: its list is not filtered */
  g_signal_connect_swapped (self->session, "project-opened", G_CALLBACK (show_all_images), self);
}
