/* The suspects queue panel: lists the session's suspected label errors worst first, walks them
 * on the canvas (region highlighted and centred), accepts or dismisses them through the session. */
#define G_LOG_DOMAIN "relabel-suspects-panel"

#include "relabel-suspects-panel.h"

/* rows built at once: the queue of a large project can hold thousands of regions */
#define PAGE 400

struct _RelabelSuspectsPanel
{
  GtkWidget parent_instance;

  /* template */
  GtkWidget *box;
  GtkLabel *summary_label;
  GtkDropDown *pair_dropdown;
  GtkStringList *pair_strings;
  GtkScrolledWindow *scroller;
  GtkListBox *list;
  GtkLabel *region_label;
  GtkButton *accept_button;
  GtkButton *dismiss_button;

  /* owned */
  GArray *pair_keys;          /* int[2] (labelled, suggested) of dropdown item i; item 0: all */

  /* borrowed */
  RlSession *session;
  RelabelCanvas *canvas;

  /* state */
  int position;               /* selected row, -1: none */
  guint n_rows;
  gint64 wanted_id;           /* the region whose pixels were asked for / are shown */
  gboolean highlighted;
  gboolean rebuilding;
  gint64 opened_at;           /* monotonic time of "project-opened", for the first-page debug */
};

G_DEFINE_FINAL_TYPE (RelabelSuspectsPanel, relabel_suspects_panel, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_GO_TO_IMAGE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static const char *
class_name (RelabelSuspectsPanel *self, int c)
{
  const RlClassSpec *spec = self->session ? rl_session_get_class_spec (self->session) : NULL;
  if (spec != NULL && c >= 0 && c < spec->n_classes && spec->classes[c].name != NULL)
    return spec->classes[c].name;
  return "?";
}

static const RlSuspectRegion *
region_at (RelabelSuspectsPanel *self, int i)
{
  GPtrArray *all = self->session ? rl_session_get_suspects (self->session) : NULL;
  if (all == NULL || i < 0 || (guint) i >= all->len || (guint) i >= self->n_rows)
    return NULL;
  return g_ptr_array_index (all, i);
}

static void
update_actions (RelabelSuspectsPanel *self)
{
  const RlSuspectRegion *r = region_at (self, self->position);
  const RlSuspectRegion *loaded =
    self->session ? rl_session_get_suspect_region (self->session, NULL, NULL, NULL) : NULL;
  gboolean shown = r != NULL && self->highlighted && loaded != NULL && loaded->id == r->id;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "suspects.accept", shown);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "suspects.dismiss", r != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "suspects.next",
                                 self->n_rows > 0 && self->position + 1 < (int) self->n_rows);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "suspects.previous", self->position > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "suspects.update", self->session != NULL);
}

static void
clear_highlight (RelabelSuspectsPanel *self)
{
  if (self->highlighted && self->canvas != NULL)
    relabel_canvas_set_highlight (self->canvas, NULL, 0, 0);
  self->highlighted = FALSE;
}

/* Shows the loaded region when it is the wanted one and its image is the one shown. */
static void
apply_highlight (RelabelSuspectsPanel *self)
{
  GBytes *mask = NULL;
  int w = 0, h = 0;
  const RlSuspectRegion *r = rl_session_get_suspect_region (self->session, &mask, &w, &h);
  if (r == NULL || r->id != self->wanted_id || mask == NULL
      || rl_session_get_image_id (self->session) != r->image_id)
    return;
  relabel_canvas_set_highlight (self->canvas, mask, w, h);
  relabel_canvas_show_rect (self->canvas, r->x, r->y, r->w, r->h);
  self->highlighted = TRUE;
  g_debug ("suspect region %" G_GINT64_FORMAT " shown (row %d)", r->id, self->position);
  update_actions (self);
}

static void
describe (RelabelSuspectsPanel *self, const RlSuspectRegion *r)
{
  if (r == NULL)
    {
      gtk_label_set_text (self->region_label, "");
      return;
    }
  /* the class pair's answers so far moved it (rl_suspects_list's weight) */
  g_autofree char *answers =
    r->weight > 1.005   ? g_strdup_printf ("\nRanked up ×%.1f by your answers", r->weight)
    : r->weight < 0.995 ? g_strdup_printf ("\nRanked down ×%.2f by your answers", r->weight)
                        : g_strdup ("");
  g_autofree char *text =
    g_markup_printf_escaped ("<b>%s</b> labelled as <b>%s</b>\n%s · %" G_GINT64_FORMAT
                             " px%s%s%s", class_name (self, r->suggested),
                             class_name (self, r->labelled), r->image, r->pixels,
                             r->in_sample ? " · in-sample (the model trained on this image)"
                                          : "",
                             r->stale ? " · labels changed since" : "", answers);
  gtk_label_set_markup (self->region_label, text);
}

/* Goes to the region at row i: its image, then its pixels. */
static void
show_region (RelabelSuspectsPanel *self, int i)
{
  const RlSuspectRegion *r = region_at (self, i);
  self->position = r != NULL ? i : -1;
  clear_highlight (self);
  describe (self, r);
  if (r == NULL)
    {
      self->wanted_id = 0;
      update_actions (self);
      return;
    }
  self->wanted_id = r->id;
  if (rl_session_get_image_id (self->session) != r->image_id)
    g_signal_emit (self, signals[SIGNAL_GO_TO_IMAGE], 0, r->image_id);
  rl_session_load_suspect (self->session, r->id);
  update_actions (self);
}

static void
select_row (RelabelSuspectsPanel *self, int i)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list, i);
  if (row == NULL)
    return;
  /* -> on_row_selected -> show_region. The focus stays where it is: a focused row that a
   * new list removes would hand the focus (and, in browse mode, the selection) to another */
  gtk_list_box_select_row (self->list, row);
}

static void
on_row_selected (GtkListBox *list, GtkListBoxRow *row, RelabelSuspectsPanel *self)
{
  if (self->rebuilding || row == NULL)
    return;
  int i = gtk_list_box_row_get_index (row);
  if (i != self->position || !self->highlighted)
    show_region (self, i);
}

static GtkWidget *
make_row (RelabelSuspectsPanel *self, const RlSuspectRegion *r, guint rank)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 1);
  gtk_widget_set_margin_start (box, 4);
  gtk_widget_set_margin_end (box, 4);
  gtk_widget_set_margin_top (box, 3);
  gtk_widget_set_margin_bottom (box, 3);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autofree char *title =
    g_markup_printf_escaped ("<span alpha=\"60%%\">%u</span>  %s → <b>%s</b>", rank,
                             class_name (self, r->labelled), class_name (self, r->suggested));
  GtkWidget *t = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (t), title);
  gtk_label_set_xalign (GTK_LABEL (t), 0);
  gtk_widget_set_hexpand (t, TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (t), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (top), t);
  if (r->in_sample)
    {
      GtkWidget *pill = gtk_label_new ("in-sample");
      gtk_widget_set_tooltip_text (pill, "The model trained on this image: its confidence here"
                                         " is biased");
      gtk_widget_add_css_class (pill, "status-pill");
      gtk_widget_add_css_class (pill, "suspect-in-sample");
      gtk_box_append (GTK_BOX (top), pill);
    }
  if (r->kind == RL_SUSPECT_BOUNDARY)
    {
      GtkWidget *pill = gtk_label_new ("boundary");
      gtk_widget_set_tooltip_text (pill, "Disagreement along a label boundary only");
      gtk_widget_add_css_class (pill, "status-pill");
      gtk_box_append (GTK_BOX (top), pill);
    }
  gtk_box_append (GTK_BOX (box), top);
  g_autofree char *sub = g_strdup_printf ("%s · %" G_GINT64_FORMAT " px%s", r->image, r->pixels,
                                          r->stale ? " · changed" : "");
  GtkWidget *s = gtk_label_new (sub);
  gtk_label_set_xalign (GTK_LABEL (s), 0);
  gtk_label_set_ellipsize (GTK_LABEL (s), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (s, "dim-label");
  gtk_widget_add_css_class (s, "caption");
  gtk_box_append (GTK_BOX (box), s);
  return box;
}

static void
rebuild_pairs (RelabelSuspectsPanel *self)
{
  GPtrArray *pairs = rl_session_get_suspect_pairs (self->session);
  GPtrArray *all = rl_session_get_suspects (self->session);
  int want_l = -1, want_s = -1;
  guint sel = gtk_drop_down_get_selected (self->pair_dropdown);
  if (sel != GTK_INVALID_LIST_POSITION && sel < self->pair_keys->len)
    {
      want_l = g_array_index (self->pair_keys, int, 2 * sel);
      want_s = g_array_index (self->pair_keys, int, 2 * sel + 1);
    }
  guint n_regions = 0, n_in = 0;
  for (guint i = 0; pairs != NULL && i < pairs->len; i++)
    {
      const RlSuspectPair *p = g_ptr_array_index (pairs, i);
      n_regions += p->n_regions;
      n_in += p->n_in_sample;
    }
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->pair_strings));
  g_array_set_size (self->pair_keys, 0);
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (items, g_strdup_printf ("All class pairs (%u regions)", n_regions));
  int k[2] = { -1, -1 };
  g_array_append_vals (self->pair_keys, k, 2);
  guint new_sel = 0;
  for (guint i = 0; pairs != NULL && i < pairs->len; i++)
    {
      const RlSuspectPair *p = g_ptr_array_index (pairs, i);
      g_ptr_array_add (items, g_strdup_printf ("%s labelled as %s: %" G_GINT64_FORMAT
                                               " px in %u image%s",
                                               class_name (self, p->suggested),
                                               class_name (self, p->labelled), p->pixels,
                                               p->n_images, p->n_images == 1 ? "" : "s"));
      k[0] = p->labelled;
      k[1] = p->suggested;
      g_array_append_vals (self->pair_keys, k, 2);
      if (p->labelled == want_l && p->suggested == want_s)
        new_sel = i + 1;
    }
  g_ptr_array_add (items, NULL);
  self->rebuilding = TRUE;
  gtk_string_list_splice (self->pair_strings, 0, n_old, (const char *const *) items->pdata);
  gtk_drop_down_set_selected (self->pair_dropdown, new_sel);
  self->rebuilding = FALSE;

  g_autofree char *summary = NULL;
  if (all == NULL || all->len == 0)
    summary = g_strdup (pairs != NULL && pairs->len > 0
                          ? "No suspected region of this class pair."
                          : "No suspected label errors. Pre-label the images, then update"
                            " the queue.");
  else
    summary = g_strdup_printf ("%u region%s, worst first · %u in-sample%s", all->len,
                               all->len == 1 ? "" : "s", n_in,
                               all->len > PAGE ? " · first " G_STRINGIFY (PAGE) " listed" : "");
  gtk_label_set_text (self->summary_label, summary);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->summary_label),
                               "Worst first. Accepting or dismissing a suggestion raises or"
                               " lowers the other regions of its class pair.\nIn-sample: regions"
                               " on images the current model trained on; its confidence there"
                               " is biased");
}

static void
on_suspects_changed (RlSession *session, RelabelSuspectsPanel *self)
{
  GPtrArray *all = rl_session_get_suspects (session);
  g_debug ("suspects queue listed: %u regions", all != NULL ? all->len : 0);
  rebuild_pairs (self);
  self->rebuilding = TRUE;
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  self->n_rows = all != NULL ? MIN (all->len, PAGE) : 0;
  for (guint i = 0; i < self->n_rows; i++)
    gtk_list_box_append (self->list, make_row (self, g_ptr_array_index (all, i), i + 1));
  self->rebuilding = FALSE;
  if (self->opened_at != 0)
    {
      /* the rows are built: what the first frame after this shows */
      g_debug ("first page of the suspects queue (%u rows) %.1f ms after the project opened",
               self->n_rows, (g_get_monotonic_time () - self->opened_at) / 1000.0);
      self->opened_at = 0;
    }

  int keep = self->position;
  if (self->n_rows == 0)
    show_region (self, -1);
  else if (keep >= 0)
    {
      /* the list changed under the selection (an accept, a dismissal, an undo): select the
       * row now at that place without moving the canvas, so Ctrl+Z still undoes on the image
       * shown; N then goes to that row */
      self->rebuilding = TRUE;
      int i = MIN (keep, (int) self->n_rows - 1);
      gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, i));
      self->rebuilding = FALSE;
      const RlSuspectRegion *r = region_at (self, i);
      if (r == NULL || r->id != self->wanted_id)
        {
          clear_highlight (self);
          self->position = i;
          self->wanted_id = 0;
        }
      describe (self, r);   /* its weight may have changed with an answer */
    }
  update_actions (self);
}

static void
on_suspect_region (RlSession *session, gint64 suspect_id, gint64 image_id,
                   RelabelSuspectsPanel *self)
{
  if (suspect_id != self->wanted_id)
    return;
  if (image_id == 0)
    {
      gtk_label_set_text (self->region_label, "This region is no longer there: update the"
                                              " queue.");
      return;
    }
  apply_highlight (self);
}

static void
on_image_loaded (RlSession *session, gint64 image_id, RelabelSuspectsPanel *self)
{
  const RlSuspectRegion *r = rl_session_get_suspect_region (session, NULL, NULL, NULL);
  self->highlighted = FALSE;   /* a new image clears nothing on the canvas by itself */
  relabel_canvas_set_highlight (self->canvas, NULL, 0, 0);
  if (r != NULL && r->id == self->wanted_id && r->image_id == image_id)
    apply_highlight (self);
  update_actions (self);
}

static void
on_project_opened (RlSession *session, RelabelSuspectsPanel *self)
{
  self->opened_at = g_get_monotonic_time ();
  self->position = -1;
  self->wanted_id = 0;
  clear_highlight (self);
  describe (self, NULL);
  rl_session_list_suspects (session, NULL);   /* the stored queue: one query */
}

static void
on_job_finished (RlSession *session, const char *kind, gboolean ok, gpointer error,
                 gpointer result, RelabelSuspectsPanel *self)
{
  /* new predictions (with confidences) or a new current model: the queue is recomputed */
  if (g_strcmp0 (kind, "prelabel") == 0 || g_strcmp0 (kind, "current-model") == 0)
    rl_session_update_suspects (session);
}

static void
on_pair_selected (RelabelSuspectsPanel *self)
{
  if (self->rebuilding || self->session == NULL)
    return;
  guint sel = gtk_drop_down_get_selected (self->pair_dropdown);
  if (sel == GTK_INVALID_LIST_POSITION || sel >= self->pair_keys->len / 2)
    return;
  RlSuspectFilter filter;
  rl_suspect_filter_init (&filter);
  filter.labelled = g_array_index (self->pair_keys, int, 2 * sel);
  filter.suggested = g_array_index (self->pair_keys, int, 2 * sel + 1);
  self->position = -1;
  self->wanted_id = 0;
  clear_highlight (self);
  describe (self, NULL);
  rl_session_list_suspects (self->session, &filter);
}

/* ---- actions */

static void
action_step (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelSuspectsPanel *self = RELABEL_SUSPECTS_PANEL (widget);
  int step = g_str_equal (name, "suspects.next") ? 1 : -1;
  int i = self->position < 0 ? 0 : self->position + step;
  if (self->position >= 0 && self->wanted_id == 0 && step > 0)
    i = self->position;   /* the row that took the place of an accepted or dismissed one */
  if (i >= 0 && i < (int) self->n_rows)
    select_row (self, i);
}

static void
action_accept (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelSuspectsPanel *self = RELABEL_SUSPECTS_PANEL (widget);
  g_autoptr (GError) error = NULL;
  guint n = 0;
  if (!rl_session_accept_suspect (self->session, self->wanted_id, &n, &error))
    {
      gtk_label_set_text (self->region_label, error->message);
      return;
    }
  clear_highlight (self);
  update_actions (self);
}

static void
action_dismiss (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelSuspectsPanel *self = RELABEL_SUSPECTS_PANEL (widget);
  const RlSuspectRegion *r = region_at (self, self->position);
  if (r == NULL)
    return;
  rl_session_dismiss_suspect (self->session, r->id);
  clear_highlight (self);
  update_actions (self);
}

static void
action_update (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelSuspectsPanel *self = RELABEL_SUSPECTS_PANEL (widget);
  gtk_label_set_text (self->summary_label, "Updating the queue…");
  rl_session_update_suspects (self->session);
}

/* ---- public */

void
relabel_suspects_panel_attach (RelabelSuspectsPanel *self, RlSession *session,
                               RelabelCanvas *canvas)
{
  g_return_if_fail (RELABEL_IS_SUSPECTS_PANEL (self));
  g_return_if_fail (self->session == NULL);
  self->session = session;
  self->canvas = canvas;
  g_signal_connect_object (session, "project-opened", G_CALLBACK (on_project_opened), self, 0);
  g_signal_connect_object (session, "suspects-changed", G_CALLBACK (on_suspects_changed), self,
                           0);
  g_signal_connect_object (session, "suspect-region", G_CALLBACK (on_suspect_region), self, 0);
  g_signal_connect_object (session, "image-loaded", G_CALLBACK (on_image_loaded), self, 0);
  g_signal_connect_object (session, "job-finished", G_CALLBACK (on_job_finished), self, 0);
  update_actions (self);
}

int
relabel_suspects_panel_get_position (RelabelSuspectsPanel *self)
{
  return self->position;
}

guint
relabel_suspects_panel_get_n_listed (RelabelSuspectsPanel *self)
{
  return self->n_rows;
}

/* ---- GObject */

static void
relabel_suspects_panel_dispose (GObject *object)
{
  RelabelSuspectsPanel *self = RELABEL_SUSPECTS_PANEL (object);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELABEL_TYPE_SUSPECTS_PANEL);
  G_OBJECT_CLASS (relabel_suspects_panel_parent_class)->dispose (object);
}

static void
relabel_suspects_panel_finalize (GObject *object)
{
  RelabelSuspectsPanel *self = RELABEL_SUSPECTS_PANEL (object);
  g_array_unref (self->pair_keys);
  G_OBJECT_CLASS (relabel_suspects_panel_parent_class)->finalize (object);
}

static void
relabel_suspects_panel_class_init (RelabelSuspectsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = relabel_suspects_panel_dispose;
  object_class->finalize = relabel_suspects_panel_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/relabel/Relabel/ui/relabel-suspects-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, box);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, summary_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, pair_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, pair_strings);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, scroller);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, list);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, region_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, accept_button);
  gtk_widget_class_bind_template_child (widget_class, RelabelSuspectsPanel, dismiss_button);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "relabel-suspects");

  signals[SIGNAL_GO_TO_IMAGE] = g_signal_new ("go-to-image", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_install_action (widget_class, "suspects.next", NULL, action_step);
  gtk_widget_class_install_action (widget_class, "suspects.previous", NULL, action_step);
  gtk_widget_class_install_action (widget_class, "suspects.accept", NULL, action_accept);
  gtk_widget_class_install_action (widget_class, "suspects.dismiss", NULL, action_dismiss);
  gtk_widget_class_install_action (widget_class, "suspects.update", NULL, action_update);
}

static void
add_shortcut (GtkShortcutController *c, guint key, GdkModifierType mods, const char *action)
{
  gtk_shortcut_controller_add_shortcut (c, gtk_shortcut_new (gtk_keyval_trigger_new (key, mods),
                                                             gtk_named_action_new (action)));
}

static void
relabel_suspects_panel_init (RelabelSuspectsPanel *self)
{
  self->position = -1;
  self->pair_keys = g_array_new (FALSE, FALSE, sizeof (int));
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->list, "row-selected", G_CALLBACK (on_row_selected), self);
  g_signal_connect_swapped (self->pair_dropdown, "notify::selected",
                            G_CALLBACK (on_pair_selected), self);

  /* the keys work wherever the focus is in the window */
  GtkEventController *c = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (c), GTK_SHORTCUT_SCOPE_GLOBAL);
  add_shortcut (GTK_SHORTCUT_CONTROLLER (c), GDK_KEY_n, 0, "suspects.next");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (c), GDK_KEY_N, GDK_SHIFT_MASK, "suspects.previous");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (c), GDK_KEY_A, GDK_SHIFT_MASK, "suspects.accept");
  add_shortcut (GTK_SHORTCUT_CONTROLLER (c), GDK_KEY_D, GDK_SHIFT_MASK, "suspects.dismiss");
  gtk_widget_add_controller (GTK_WIDGET (self), c);
  update_actions (self);
}
