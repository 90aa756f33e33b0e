/* The metrics dashboard (relabel-dashboard.h): shows the stored metrics runs the session reads,
 * starts Compute as a session job, turns a confusion cell into an image list, manages versions. */
#define G_LOG_DOMAIN "relabel-dashboard"

#include "relabel-dashboard.h"
#include "relabel-study-view.h"

#include <math.h>

#include "relabel-charts.h"

enum
{
  CARD_G,
  CARD_C,
  CARD_MIOU,
  CARD_BF,
  N_CARDS
};
static const char *const card_names[N_CARDS] = { "Global accuracy G", "Class accuracy C",
                                                 "mIoU", "Boundary F1 (BF)" };

/* ---- a row of the per-image table */

#define DASH_TYPE_ROW (dash_row_get_type ())
G_DECLARE_FINAL_TYPE (DashRow, dash_row, DASH, ROW, GObject)

struct _DashRow
{
  GObject parent_instance;
  char *name;
  double g, miou, bf;
  gboolean in_sample;
  double other_miou;          /* the compared version's mIoU, NaN without one */
};

G_DEFINE_FINAL_TYPE (DashRow, dash_row, G_TYPE_OBJECT)

static void
dash_row_finalize (GObject *object)
{
  g_free (DASH_ROW (object)->name);
  G_OBJECT_CLASS (dash_row_parent_class)->finalize (object);
}

static void
dash_row_class_init (DashRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dash_row_finalize;
}

static void
dash_row_init (DashRow *self)
{
}

/* ---- the widget */

struct _RelabelDashboard
{
  GtkBox parent_instance;

  /* template */
  GtkDropDown *model_dropdown;
  GtkDropDown *split_dropdown;
  GtkDropDown *labels_dropdown;
  GtkDropDown *compare_dropdown;
  GtkStack *progress_stack;
  GtkProgressBar *progress_bar;
  GtkLabel *progress_label;
  GtkLabel *status_label;
  GtkBox *cards_box;
  RelabelChartBars *bars;
  RelabelChartConfusion *confusion;
  GtkStack *bottom_stack;
  GtkColumnView *image_table;
  GtkListBox *versions_list;
  RelabelChartLines *lines;

  /* owned */
  RlSession *session;
  GPtrArray *models;          /* RlDashModel*, id order */
  GPtrArray *splits;          /* char*: the split dropdown's entries after "All splits" */
  GListStore *rows;           /* DashRow */
  GArray *shown_values;       /* int: the label value of confusion row i */
  GPtrArray *pending_rows;    /* DashRow: table rows still to add (add_rows) */
  guint pending_next;
  guint rows_source;
  GtkLabel *card_value[N_CARDS], *card_delta[N_CARDS], *card_note[N_CARDS];

  /* state */
  gboolean updating;          /* filling the dropdowns: their notifications are ours */
  gboolean computing;
  gint64 want_model;          /* version to select after the next read (0: keep / current) */
  gint64 read_start;          /* monotonic µs of the newest read request */
  gint64 prelabel_after;      /* pre-label every image once this version is current (0: no) */
};

G_DEFINE_FINAL_TYPE (RelabelDashboard, relabel_dashboard, GTK_TYPE_BOX)

enum
{
  SIGNAL_FILTER_IMAGES,
  SIGNAL_SHOWN,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void show_run (RelabelDashboard *self);
static void read_models (RelabelDashboard *self);

/* ---- choices */

static RlDashModel *
model_at (RelabelDashboard *self, guint i)
{
  return self->models && i < self->models->len ? g_ptr_array_index (self->models, i) : NULL;
}

static RlDashModel *
find_model (RelabelDashboard *self, gint64 id)
{
  for (guint i = 0; self->models && i < self->models->len; i++)
    if (model_at (self, i)->id == id)
      return model_at (self, i);
  return NULL;
}

static RlDashModel *
chosen_model (RelabelDashboard *self)
{
  return model_at (self, gtk_drop_down_get_selected (self->model_dropdown));
}

static RlDashModel *
compared_model (RelabelDashboard *self)
{
  guint i = gtk_drop_down_get_selected (self->compare_dropdown);
  return i == 0 || i == GTK_INVALID_LIST_POSITION ? NULL : model_at (self, i - 1);
}

/* NULL: every split */
static const char *
chosen_split (RelabelDashboard *self)
{
  guint i = gtk_drop_down_get_selected (self->split_dropdown);
  return i == 0 || i == GTK_INVALID_LIST_POSITION || self->splits == NULL
         || i - 1 >= self->splits->len ? NULL : g_ptr_array_index (self->splits, i - 1);
}

static RlMaskKind
chosen_labels (RelabelDashboard *self)
{
  return gtk_drop_down_get_selected (self->labels_dropdown) == 1 ? RL_MASK_ORIGINAL
                                                                   : RL_MASK_CURRENT;
}

static char *
chosen_key (RelabelDashboard *self)
{
  return rl_project_eval_run_key (chosen_split (self), chosen_labels (self));
}

static const char *
class_name (RelabelDashboard *self, int value, char *buf, gsize len)
{
  const RlClassSpec *spec = self->session ? rl_session_get_class_spec (self->session) : NULL;
  if (spec != NULL && value >= 0 && value < spec->n_classes)
    return spec->classes[value].name;
  g_snprintf (buf, len, "class %d", value);
  return buf;
}

static RelabelChartClass
chart_class (RelabelDashboard *self, int value)
{
  const RlClassSpec *spec = self->session ? rl_session_get_class_spec (self->session) : NULL;
  RelabelChartClass c = { "?", 128, 128, 128 };
  if (spec != NULL && value >= 0 && value < spec->n_classes)
    {
      c.name = spec->classes[value].name;
      c.r = spec->classes[value].r;
      c.g = spec->classes[value].g;
      c.b = spec->classes[value].b;
    }
  return c;
}

/* ---- showing a run */

static double
card_metric (const RlDashRun *r, int card)
{
  if (r == NULL)
    return NAN;
  switch (card)
    {
    case CARD_G: return r->g;
    case CARD_C: return r->c;
    case CARD_MIOU: return r->miou;
    default: return r->bf;
    }
}

static void
show_cards (RelabelDashboard *self, const RlDashModel *m, const RlDashRun *run,
            const RlDashModel *other, const RlDashRun *other_run, const char *key)
{
  RlDashModel *parent = m && m->parent_id ? find_model (self, m->parent_id) : NULL;
  RlDashRun *parent_run = parent ? rl_dash_model_get_run (parent, key) : NULL;
  for (int k = 0; k < N_CARDS; k++)
    {
      double v = card_metric (run, k);
      g_autofree char *value = relabel_chart_percent (v);
      gtk_label_set_text (self->card_value[k], run ? value : "–");
      g_autofree char *delta = NULL;
      double pv = card_metric (parent_run, k);
      if (run == NULL)
        delta = g_strdup ("");
      else if (parent == NULL)
        delta = g_strdup ("no parent version");
      else if (parent_run == NULL)
        delta = g_strdup_printf ("parent %s not scored here", parent->name);
      else if (isnan (v) || isnan (pv))
        delta = g_strdup_printf ("vs parent %s: n/a", parent->name);
      else
        delta = g_strdup_printf ("%+.1f pts vs parent %s", 100 * (v - pv), parent->name);
      gtk_label_set_text (self->card_delta[k], delta);
      GtkWidget *dw = GTK_WIDGET (self->card_delta[k]);
      gtk_widget_remove_css_class (dw, "success");
      gtk_widget_remove_css_class (dw, "error");
      if (parent_run != NULL && !isnan (v) && !isnan (pv) && fabs (v - pv) >= 0.0005)
        gtk_widget_add_css_class (dw, v > pv ? "success" : "error");
      g_autofree char *note = NULL;
      if (other != NULL)
        {
          g_autofree char *ov = relabel_chart_percent (card_metric (other_run, k));
          note = other_run ? g_strdup_printf ("%s: %s", other->name, ov)
                           : g_strdup_printf ("%s: not scored here", other->name);
        }
      else if (run != NULL && run->n_in_sample > 0)
        note = g_strdup_printf ("in-sample: %u of %u images", run->n_in_sample, run->n_images);
      gtk_label_set_text (self->card_note[k], note ? note : "");
    }
}

static void
show_charts (RelabelDashboard *self, const RlDashRun *run, const RlDashModel *other,
             const RlDashRun *other_run)
{
  guint n = run ? run->classes->len : 0;
  g_autofree RelabelChartClass *classes = g_new0 (RelabelChartClass, n + 1);
  g_autofree double *acc = g_new0 (double, n + 1), *iou = g_new0 (double, n + 1);
  g_autofree double *acc2 = g_new0 (double, n + 1), *iou2 = g_new0 (double, n + 1);
  g_autofree gint64 *pixels = g_new0 (gint64, n + 1);
  g_autofree gint64 *counts = g_new0 (gint64, (gsize) n * n + 1);
  g_array_set_size (self->shown_values, n);
  for (guint i = 0; i < n; i++)
    {
      const RlDashClass *c = &g_array_index (run->classes, RlDashClass, i);
      classes[i] = chart_class (self, c->index);
      acc[i] = c->accuracy;
      iou[i] = c->iou;
      pixels[i] = c->pixels;
      acc2[i] = iou2[i] = NAN;
      g_array_index (self->shown_values, int, i) = c->index;
      for (guint j = 0; other_run && j < other_run->classes->len; j++)
        {
          const RlDashClass *o = &g_array_index (other_run->classes, RlDashClass, j);
          if (o->index == c->index)
            {
              acc2[i] = o->accuracy;
              iou2[i] = o->iou;
            }
        }
      for (guint j = 0; j < n; j++)
        {
          int a = c->index, b = g_array_index (run->classes, RlDashClass, j).index;
          if ((guint) a < run->n_classes && (guint) b < run->n_classes)
            counts[(gsize) i * n + j] = run->confusion[(gsize) a * run->n_classes + b];
        }
    }
  relabel_chart_bars_set (self->bars, n, classes, acc, iou, pixels, other_run ? acc2 : NULL,
                          other_run ? iou2 : NULL, other ? other->name : NULL);
  relabel_chart_confusion_set (self->confusion, n, classes, counts);
}

#define ROWS_PER_FRAME 24

static gboolean
add_rows (gpointer data)
{
  RelabelDashboard *self = data;
  guint have = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  if (have > self->pending_next)   /* old rows still shown: take the last ones away */
    {
      guint k = MIN (ROWS_PER_FRAME, have - self->pending_next);
      g_list_store_splice (self->rows, have - k, k, NULL, 0);
      return G_SOURCE_CONTINUE;
    }
  guint n = self->pending_rows ? self->pending_rows->len : 0;
  guint k = MIN (ROWS_PER_FRAME, n - MIN (self->pending_next, n));
  if (k > 0)
    {
      g_list_store_splice (self->rows, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), 0,
                           self->pending_rows->pdata + self->pending_next, k);
      self->pending_next += k;
    }
  if (self->pending_next < n)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->pending_rows, g_ptr_array_unref);
  self->rows_source = 0;
  return G_SOURCE_REMOVE;
}

static void
show_table (RelabelDashboard *self, const RlDashRun *run, const RlDashRun *other_run)
{
  gint64 t_start = g_get_monotonic_time ();
  g_autoptr (GHashTable) other = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; other_run && i < other_run->images->len; i++)
    {
      RlDashImage *im = &g_array_index (other_run->images, RlDashImage, i);
      g_hash_table_insert (other, im->name, im);
    }
  guint n = run ? run->images->len : 0;
  guint better = 0, worse = 0, same = 0;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    {
      const RlDashImage *im = &g_array_index (run->images, RlDashImage, i);
      DashRow *row = g_object_new (DASH_TYPE_ROW, NULL);
      row->name = g_strdup (im->name);
      row->g = im->g;
      row->miou = im->miou;
      row->bf = im->bf;
      row->in_sample = im->in_sample;
      RlDashImage *o = g_hash_table_lookup (other, im->name);
      row->other_miou = o ? o->miou : NAN;
      if (!isnan (row->other_miou) && !isnan (row->miou))
        {
          better += row->miou > row->other_miou;
          worse += row->miou < row->other_miou;
          same += row->miou == row->other_miou;
        }
      g_ptr_array_add (items, row);
    }
  if (other_run != NULL)   /* the GUI test checks these against `relabel eval` */
    g_debug ("compared: this version better on %u images, the other on %u, same on %u", better,
             worse, same);
  /* the old rows go and the new ones come a few dozen per frame: a column view makes (or takes
   * down) the widgets of up to ~200 rows at once, 0.1-0.3 s for 468 rows here, which would
   * stall the window */
  g_clear_pointer (&self->pending_rows, g_ptr_array_unref);
  self->pending_rows = g_steal_pointer (&items);
  self->pending_next = 0;
  if (self->rows_source == 0)
    self->rows_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, add_rows, self, NULL);
  g_debug ("table: %u rows built in %.1f ms", n, (g_get_monotonic_time () - t_start) / 1000.0);
}

static void
show_lines (RelabelDashboard *self, const char *key)
{
  guint n = self->models ? self->models->len : 0;
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autofree double *values = g_new0 (double, 4 * n + 1);
  guint k = 0;
  for (guint i = 0; i < n; i++)
    {
      RlDashModel *m = model_at (self, i);
      RlDashRun *r = rl_dash_model_get_run (m, key);
      if (r == NULL)
        continue;
      g_ptr_array_add (labels, m->name);
      for (int c = 0; c < 4; c++)
        values[c * n + k] = card_metric (r, c);
      k++;
    }
  /* values was laid out with stride n: pack it to stride k */
  g_autofree double *packed = g_new0 (double, 4 * k + 1);
  for (int c = 0; c < 4; c++)
    for (guint i = 0; i < k; i++)
      packed[c * k + i] = values[c * n + i];
  relabel_chart_lines_set (self->lines, k, (const char *const *) labels->pdata, packed);
}

static void
show_run (RelabelDashboard *self)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autofree char *key = chosen_key (self);
  RlDashModel *m = chosen_model (self);
  RlDashRun *run = rl_dash_model_get_run (m, key);
  RlDashModel *other = compared_model (self);
  if (other == m)
    other = NULL;
  RlDashRun *other_run = other ? rl_dash_model_get_run (other, key) : NULL;

  g_autoptr (GString) s = g_string_new (NULL);
  if (m == NULL)
    g_string_append (s, self->models && self->models->len == 0
                     ? "This project has no model yet: add one with “Add Model to Project…”."
                     : "");
  else if (run == NULL)
    g_string_append_printf (s, "No stored result of %s on %s: press Compute.", m->name, key);
  else
    {
      g_string_append_printf (s, "%s on %s: %u images, stored %s", m->name, key, run->n_images,
                              run->created ? run->created : "now");
      if (run->n_in_sample > 0)
        g_string_append_printf (s, " · ⚠ %u in-sample (this version or one it descends from "
                                "trained on them: their scores flatter it)", run->n_in_sample);
      if (other != NULL && other_run == NULL)
        g_string_append_printf (s, " · %s has no result here", other->name);
    }
  gtk_label_set_text (self->status_label, s->str);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), s->str);   /* when ellipsized */
  show_cards (self, m, run, other, other_run, key);
  gint64 t1 = g_get_monotonic_time ();
  show_charts (self, run, other, other_run);
  gint64 t2 = g_get_monotonic_time ();
  show_table (self, run, other_run);
  gint64 t3 = g_get_monotonic_time ();
  show_lines (self, key);
  g_debug ("show: cards %.1f ms, charts %.1f ms, table %.1f ms", (t1 - t0) / 1000.0,
           (t2 - t1) / 1000.0, (t3 - t2) / 1000.0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.compute",
                                 m != NULL && !self->computing
                                 && !rl_session_has_job (self->session));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.export", run != NULL);
  g_debug ("show: %u images, %.1f ms on the main thread", run ? run->n_images : 0,
           (g_get_monotonic_time () - t0) / 1000.0);
  g_signal_emit (self, signals[SIGNAL_SHOWN], 0);
}

/* ---- the versions list */

static void version_action (GtkButton *button, RelabelDashboard *self);

static GtkWidget *
version_button (RelabelDashboard *self, const char *label, const char *what, gint64 id,
                gboolean sensitive, const char *tooltip)
{
  GtkWidget *b = gtk_button_new_with_label (label);
  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_set_sensitive (b, sensitive);
  if (tooltip != NULL)
    gtk_widget_set_tooltip_text (b, tooltip);
  g_object_set_data_full (G_OBJECT (b), "what", g_strdup (what), g_free);
  g_object_set_data (G_OBJECT (b), "id", GINT_TO_POINTER ((int) id));
  g_signal_connect (b, "clicked", G_CALLBACK (version_action), self);
  return b;
}

static void
show_versions (RelabelDashboard *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->versions_list))) != NULL)
    gtk_list_box_remove (self->versions_list, child);
  g_autofree char *key = chosen_key (self);
  for (guint i = 0; self->models && i < self->models->len; i++)
    {
      RlDashModel *m = model_at (self, i);
      RlDashModel *parent = m->parent_id ? find_model (self, m->parent_id) : NULL;
      RlDashRun *r = rl_dash_model_get_run (m, key);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      gtk_widget_set_margin_start (row, 8);
      gtk_widget_set_margin_end (row, 8);
      gtk_widget_set_margin_top (row, 4);
      gtk_widget_set_margin_bottom (row, 4);
      g_autoptr (GString) t = g_string_new (NULL);
      g_autofree char *name = g_markup_escape_text (m->name, -1);
      g_string_append_printf (t, "<b>%s</b>%s · version %" G_GINT64_FORMAT, name,
                              m->current ? " (current)" : "", m->id);
      if (parent != NULL)
        {
          g_autofree char *pn = g_markup_escape_text (parent->name, -1);
          g_string_append_printf (t, " · from %s", pn);
        }
      g_string_append_printf (t, " · %s · trained on %u images", m->created, m->n_trained);
      if (r != NULL)
        {
          g_autofree char *g = relabel_chart_percent (r->g), *c = relabel_chart_percent (r->c);
          g_autofree char *mi = relabel_chart_percent (r->miou);
          g_autofree char *bf = relabel_chart_percent (r->bf);
          g_string_append_printf (t, "\n%s: G %s · C %s · mIoU %s · BF %s%s", key, g, c, mi, bf,
                                  r->n_in_sample ? " (partly in-sample)" : "");
        }
      else
        g_string_append_printf (t, "\n%s: not scored", key);
      GtkWidget *label = gtk_label_new (NULL);
      gtk_label_set_markup (GTK_LABEL (label), t->str);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_set_hexpand (label, TRUE);
      if (m->config != NULL)
        {
          g_autofree char *tip = g_strdup_printf ("Settings: %s", m->config);
          gtk_widget_set_tooltip_text (label, tip);
        }
      gtk_box_append (GTK_BOX (row), label);
      gtk_box_append (GTK_BOX (row), version_button (self, "Show", "show", m->id, TRUE,
                                                     "Show this version's metrics"));
      gtk_box_append (GTK_BOX (row),
                      version_button (self, "Images", "images", m->id, m->n_trained > 0,
                                      "List the images it trained on in the image list"));
      gtk_box_append (GTK_BOX (row),
                      version_button (self, "Make Current", "current", m->id, !m->current,
                                      "Pre-label and Retrain use the current version; pre-label "
                                      "again afterwards (Ctrl+Shift+L) to see its predictions"));
      gtk_box_append (GTK_BOX (row),
                      version_button (self, "Pre-label", "prelabel", m->id, TRUE,
                                      "Make it current and pre-label every image with it"));
      gtk_box_append (GTK_BOX (row), version_button (self, "Rename…", "rename", m->id, TRUE,
                                                     NULL));
      gtk_box_append (GTK_BOX (row),
                      version_button (self, "Delete", "delete", m->id, !m->current,
                                      m->current ? "The current version cannot be deleted"
                                                 : "Delete the version with its predictions "
                                                   "and stored results"));
      gtk_list_box_append (self->versions_list, row);
    }
}

static void
on_model_done (RlSession *session, const GError *error, gpointer data)
{
  RelabelDashboard *self = data;
  if (error != NULL)
    gtk_label_set_text (self->status_label, error->message);
  read_models (self);
  g_object_unref (self);
}

static void
on_rename_response (GtkDialog *dialog, int response, RelabelDashboard *self)
{
  GtkEntry *entry = g_object_get_data (G_OBJECT (dialog), "entry");
  gint64 id = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "id"));
  const char *name = gtk_editable_get_text (GTK_EDITABLE (entry));
  if (response == GTK_RESPONSE_OK && name[0] != '\0')
    rl_session_rename_model (self->session, id, name, on_model_done, g_object_ref (self));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
rename_dialog (RelabelDashboard *self, RlDashModel *m)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  GtkWidget *dialog = gtk_dialog_new_with_buttons ("Rename Version", GTK_WINDOW (root),
                                                   GTK_DIALOG_MODAL | GTK_DIALOG_USE_HEADER_BAR,
                                                   "_Cancel", GTK_RESPONSE_CANCEL, "_Rename",
                                                   GTK_RESPONSE_OK, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_OK);
  GtkWidget *area = gtk_dialog_get_content_area (GTK_DIALOG (dialog));
  G_GNUC_END_IGNORE_DEPRECATIONS
  GtkWidget *entry = gtk_entry_new ();
  gtk_editable_set_text (GTK_EDITABLE (entry), m->name);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_widget_set_margin_start (entry, 12);
  gtk_widget_set_margin_end (entry, 12);
  gtk_widget_set_margin_top (entry, 12);
  gtk_widget_set_margin_bottom (entry, 12);
  gtk_box_append (GTK_BOX (area), entry);
  g_object_set_data (G_OBJECT (dialog), "entry", entry);
  g_object_set_data (G_OBJECT (dialog), "id", GINT_TO_POINTER ((int) m->id));
  g_signal_connect (dialog, "response", G_CALLBACK (on_rename_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
version_action (GtkButton *button, RelabelDashboard *self)
{
  const char *what = g_object_get_data (G_OBJECT (button), "what");
  gint64 id = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "id"));
  RlDashModel *m = find_model (self, id);
  if (m == NULL)
    return;
  if (g_str_equal (what, "show"))
    relabel_dashboard_select (self, id, chosen_split (self), chosen_labels (self));
  else if (g_str_equal (what, "images"))
    {
      g_autofree char *title = g_strdup_printf ("The %u images %s trained on",
                                                m->trained_names->len, m->name);
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      for (guint i = 0; i < m->trained_names->len; i++)
        g_strv_builder_add (b, g_ptr_array_index (m->trained_names, i));
      g_auto (GStrv) names = g_strv_builder_end (b);
      g_signal_emit (self, signals[SIGNAL_FILTER_IMAGES], 0, names, title, id,
                     (int) RL_MASK_CURRENT, -1, -1);
    }
  else if (g_str_equal (what, "current"))
    rl_session_set_current_model (self->session, id);   /* "job-finished" current-model */
  else if (g_str_equal (what, "prelabel"))
    {
      /* the window's Pre-label All (its job bar, progress and Cancel), with this version */
      if (m->current)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.prelabel-all", NULL);
      else
        {
          self->prelabel_after = id;
          rl_session_set_current_model (self->session, id);
        }
    }
  else if (g_str_equal (what, "rename"))
    rename_dialog (self, m);
  else if (g_str_equal (what, "delete"))
    rl_session_delete_model (self->session, id, on_model_done, g_object_ref (self));
}

/* ---- reading */

static void
fill_dropdowns (RelabelDashboard *self)
{
  self->updating = TRUE;
  gint64 keep = self->want_model;
  if (keep == 0 && chosen_model (self) != NULL)
    keep = chosen_model (self)->id;
  RlDashModel *keep_other = compared_model (self);
  gint64 keep_other_id = keep_other ? keep_other->id : 0;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GtkStringList) others = gtk_string_list_new (NULL);
  gtk_string_list_append (others, "None");
  guint sel = GTK_INVALID_LIST_POSITION, sel_other = 0, current = 0;
  for (guint i = 0; i < self->models->len; i++)
    {
      RlDashModel *m = model_at (self, i);
      g_autofree char *label = g_strdup_printf ("%s%s", m->name, m->current ? " (current)" : "");
      gtk_string_list_append (names, label);
      gtk_string_list_append (others, label);
      if (m->id == keep)
        sel = i;
      if (m->id == keep_other_id)
        sel_other = i + 1;
      if (m->current)
        current = i;
    }
  gtk_drop_down_set_model (self->model_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_model (self->compare_dropdown, G_LIST_MODEL (others));
  gtk_drop_down_set_selected (self->model_dropdown, sel != GTK_INVALID_LIST_POSITION ? sel
                                                                                     : current);
  gtk_drop_down_set_selected (self->compare_dropdown, sel_other);
  self->want_model = 0;
  self->updating = FALSE;
}

static void
on_models_read (RlSession *session, GPtrArray *models, const GError *error, gpointer data)
{
  RelabelDashboard *self = data;
  if (self->session == NULL)   /* disposed meanwhile */
    ;
  else if (error != NULL)
    gtk_label_set_text (self->status_label, error->message);
  else
    {
      gint64 t0 = g_get_monotonic_time ();
      g_clear_pointer (&self->models, g_ptr_array_unref);
      self->models = models;
      fill_dropdowns (self);
      gint64 t1 = g_get_monotonic_time ();
      show_versions (self);
      gint64 t2 = g_get_monotonic_time ();
      show_run (self);
      g_debug ("models read: free + dropdowns %.1f ms, versions %.1f ms, show %.1f ms",
               (t1 - t0) / 1000.0, (t2 - t1) / 1000.0, (g_get_monotonic_time () - t2) / 1000.0);
      g_debug ("shown %u versions in %.1f ms from the request; run %s", self->models->len,
               (g_get_monotonic_time () - self->read_start) / 1000.0,
               relabel_dashboard_get_run (self) ? "shown" : "none");
    }
  g_object_unref (self);
}

static void
read_models (RelabelDashboard *self)
{
  if (self->session == NULL || rl_session_get_path (self->session) == NULL)
    return;
  self->read_start = g_get_monotonic_time ();
  rl_session_read_models (self->session, on_models_read, g_object_ref (self));
}

static void
fill_splits (RelabelDashboard *self)
{
  g_clear_pointer (&self->splits, g_ptr_array_unref);
  self->splits = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *images = rl_session_get_images (self->session);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; images && i < images->len; i++)
    {
      RlImageInfo *info = g_ptr_array_index (images, i);
      if (info->split != NULL && !g_hash_table_contains (seen, info->split))
        {
          g_hash_table_add (seen, info->split);
          g_ptr_array_add (self->splits, g_strdup (info->split));
        }
    }
  g_ptr_array_sort (self->splits, (GCompareFunc) g_strcmp0);
  self->updating = TRUE;
  g_autoptr (GtkStringList) list = gtk_string_list_new (NULL);
  gtk_string_list_append (list, "All splits");
  guint sel = 0;
  for (guint i = 0; i < self->splits->len; i++)
    {
      const char *s = g_ptr_array_index (self->splits, i);
      gtk_string_list_append (list, s);
      if (g_str_equal (s, "val"))
        sel = i + 1;   /* what the paper reports on, when the project has it */
    }
  gtk_drop_down_set_model (self->split_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->split_dropdown, sel);
  self->updating = FALSE;
}

static void
on_project_opened (RlSession *session, RelabelDashboard *self)
{
  fill_splits (self);
  read_models (self);
}

static void
on_choice_changed (RelabelDashboard *self)
{
  if (self->updating || self->models == NULL)
    return;
  show_versions (self);
  show_run (self);
}

/* ---- computing */

static void
set_computing (RelabelDashboard *self, gboolean on)
{
  self->computing = on;
  gtk_stack_set_visible_child_name (self->progress_stack, on ? "busy" : "idle");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_label_set_text (self->progress_label, on ? "Starting…" : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.compute", !on);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.cancel", on);
}

static void
action_compute (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelDashboard *self = RELABEL_DASHBOARD (widget);
  RlDashModel *m = chosen_model (self);
  if (m == NULL || self->computing)
    return;
  if (!rl_session_evaluate (self->session, m->id, chosen_split (self), chosen_labels (self)))
    {
      gtk_label_set_text (self->status_label,
                          "Another job is running: wait for it or cancel it first.");
      return;
    }
  self->want_model = m->id;
  set_computing (self, TRUE);
}

/* Decoder Study…: a `relabel study` folder in its own window (relabel-study-view.h). */
static void
action_study (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelDashboard *self = RELABEL_DASHBOARD (widget);
  if (self->session != NULL)
    relabel_study_view_choose (GTK_WINDOW (gtk_widget_get_root (widget)), self->session);
}

static void
action_cancel (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelDashboard *self = RELABEL_DASHBOARD (widget);
  if (self->computing)
    {
      rl_session_cancel_job (self->session);
      gtk_label_set_text (self->progress_label, "Cancelling…");
    }
}

static void
on_job_progress (RlSession *session, double fraction, const char *text, RelabelDashboard *self)
{
  if (!self->computing)
    return;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  gtk_label_set_text (self->progress_label, text);
}

static void
on_job_finished (RlSession *session, const char *kind, gboolean ok, GError *error,
                 gpointer result, RelabelDashboard *self)
{
  if (g_str_equal (kind, "evaluate"))
    {
      set_computing (self, FALSE);
      if (!ok)
        gtk_label_set_text (self->status_label,
                            g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                            ? "Cancelled: nothing was stored." : error->message);
      if (ok)
        read_models (self);   /* the run is stored: show it as every stored run is shown */
    }
  if (g_str_equal (kind, "current-model") && self->prelabel_after != 0)
    {
      if (ok && *(gint64 *) result == self->prelabel_after)
        gtk_widget_activate_action (GTK_WIDGET (self), "win.prelabel-all", NULL);
      self->prelabel_after = 0;
    }
  if (g_str_equal (kind, "evaluate"))
    ;
  else if (ok && (g_str_equal (kind, "retrain") || g_str_equal (kind, "current-model")
                  || g_str_equal (kind, "prelabel")))
    read_models (self);
  if (self->models != NULL)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.compute",
                                   chosen_model (self) != NULL && !self->computing);
}

/* ---- the confusion cell */

static void
on_cell_images (RlSession *session, GArray *images, const GError *error, gpointer data)
{
  RelabelDashboard *self = data;
  int truth = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "cell-truth"));
  int pred = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "cell-pred"));
  gint64 model = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "cell-model"));
  int labels = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "cell-labels"));
  if (error != NULL)
    gtk_label_set_text (self->status_label, error->message);
  else
    {
      char b1[32], b2[32];
      g_autofree char *title = g_strdup_printf (
        "%u images with pixels labelled %s and predicted %s, most first", images->len,
        class_name (self, truth, b1, sizeof b1), class_name (self, pred, b2, sizeof b2));
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      for (guint i = 0; i < images->len; i++)
        g_strv_builder_add (b, g_array_index (images, RlCellImage, i).name);
      g_auto (GStrv) names = g_strv_builder_end (b);
      g_debug ("confusion cell %d,%d: %u images", truth, pred, images->len);
      g_signal_emit (self, signals[SIGNAL_FILTER_IMAGES], 0, names, title, model, labels,
                     truth, pred);
      g_array_unref (images);
    }
  g_object_unref (self);
}

static void
on_cell_activated (RelabelChartConfusion *chart, int a, int b, RelabelDashboard *self)
{
  g_autofree char *key = chosen_key (self);
  RlDashModel *m = chosen_model (self);
  RlDashRun *run = rl_dash_model_get_run (m, key);
  if (run == NULL || (guint) a >= self->shown_values->len
      || (guint) b >= self->shown_values->len)
    return;
  int truth = g_array_index (self->shown_values, int, a);
  int pred = g_array_index (self->shown_values, int, b);
  if (truth == pred)
    {
      gtk_label_set_text (self->status_label, "The diagonal holds the correctly predicted "
                                              "pixels: click a cell off it to see the images "
                                              "behind a confusion.");
      return;
    }
  g_object_set_data (G_OBJECT (self), "cell-truth", GINT_TO_POINTER (truth));
  g_object_set_data (G_OBJECT (self), "cell-pred", GINT_TO_POINTER (pred));
  g_object_set_data (G_OBJECT (self), "cell-model", GINT_TO_POINTER ((int) m->id));
  g_object_set_data (G_OBJECT (self), "cell-labels", GINT_TO_POINTER ((int) chosen_labels (self)));
  rl_session_cell_images (self->session, run, truth, pred, on_cell_images, g_object_ref (self));
}

/* ---- export */

static void
on_written (GObject *source, GAsyncResult *result, gpointer data)
{
  RelabelDashboard *self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_file_get_path (G_FILE (source));
  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      g_autofree char *msg = g_strdup_printf ("%s: %s", path, error->message);
      gtk_label_set_text (self->status_label, msg);
    }
  else
    {
      g_autofree char *msg = g_strdup_printf ("Exported %s", path);
      gtk_label_set_text (self->status_label, msg);
    }
  g_object_unref (self);
}

static GBytes *
export_bytes (RelabelDashboard *self, const char *what, GError **error)
{
  g_autofree char *key = chosen_key (self);
  RlDashRun *run = rl_dash_model_get_run (chosen_model (self), key);
  if (g_str_equal (what, "bars"))
    return relabel_chart_to_png (GTK_WIDGET (self->bars), relabel_chart_bars_draw, error);
  if (g_str_equal (what, "confusion"))
    return relabel_chart_to_png (GTK_WIDGET (self->confusion), relabel_chart_confusion_draw,
                                 error);
  if (g_str_equal (what, "lines"))
    return relabel_chart_to_png (GTK_WIDGET (self->lines), relabel_chart_lines_draw, error);
  if (run == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "nothing to export");
      return NULL;
    }
  if (g_str_equal (what, "json"))
    return g_bytes_new (run->json, strlen (run->json));
  char *csv = rl_dash_run_to_csv (run, rl_session_get_class_spec (self->session));
  return g_bytes_new_take (csv, strlen (csv));
}

static void
on_export_response (GtkNativeDialog *dialog, int response, RelabelDashboard *self)
{
  const char *what = g_object_get_data (G_OBJECT (dialog), "what");
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes = export_bytes (self, what, &error);
      if (bytes == NULL)
        gtk_label_set_text (self->status_label, error->message);
      else   /* written to a temporary name and renamed, off the GTK thread */
        g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE,
                                             G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                             on_written, g_object_ref (self));
    }
  g_object_unref (dialog);
}

static void
action_export (GtkWidget *widget, const char *name, GVariant *param)
{
  RelabelDashboard *self = RELABEL_DASHBOARD (widget);
  const char *what = g_variant_get_string (param, NULL);
  RlDashModel *m = chosen_model (self);
  if (m == NULL)
    return;
  g_autofree char *key = chosen_key (self);
  g_strdelimit (key, ":", '-');
  const char *ext = g_str_equal (what, "csv") ? "csv" : g_str_equal (what, "json") ? "json"
                                                                                   : "png";
  g_autofree char *suggested = g_strdup_printf ("%s-%s%s%s.%s", m->name, key,
                                                g_str_equal (ext, "png") ? "-" : "",
                                                g_str_equal (ext, "png") ? what : "", ext);
  g_strdelimit (suggested, "/\\", '_');
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkFileChooserNative *dialog =
    gtk_file_chooser_native_new ("Export", GTK_WINDOW (root), GTK_FILE_CHOOSER_ACTION_SAVE,
                                 "_Export", "_Cancel");
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), suggested);
  g_object_set_data_full (G_OBJECT (dialog), "what", g_strdup (what), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- the per-image table */

static char *
metric_text (double v)
{
  return isnan (v) ? g_strdup ("n/a") : g_strdup_printf ("%.1f", 100 * v);
}

static void
cell_setup (GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), GPOINTER_TO_INT (data) == 0 ? 0 : 1);
  gtk_widget_add_css_class (label, "numeric");
  gtk_list_item_set_child (item, label);
}

static void
cell_bind (GtkSignalListItemFactory *f, GtkListItem *item, gpointer data)
{
  DashRow *row = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *text = NULL;
  switch (GPOINTER_TO_INT (data))
    {
    case 0: text = g_strdup (row->name); break;
    case 1: text = metric_text (row->g); break;
    case 2: text = metric_text (row->miou); break;
    case 3: text = metric_text (row->bf); break;
    case 4: text = g_strdup (row->in_sample ? "in-sample" : ""); break;
    default:
      if (isnan (row->other_miou) || isnan (row->miou))
        text = g_strdup ("");
      else
        text = g_strdup_printf ("%s %+.1f", row->miou > row->other_miou ? "this"
                                : row->miou < row->other_miou ? "other" : "same",
                                100 * (row->miou - row->other_miou));
      break;
    }
  gtk_label_set_text (label, text);
}

static double
row_value (DashRow *r, int col)
{
  double v = col == 1 ? r->g : col == 2 ? r->miou : col == 3 ? r->bf
             : col == 4 ? r->in_sample : r->miou - r->other_miou;
  return isnan (v) ? INFINITY : v;
}

static int
row_compare (gconstpointer a, gconstpointer b, gpointer data)
{
  int col = GPOINTER_TO_INT (data);
  DashRow *x = (DashRow *) a, *y = (DashRow *) b;
  if (col == 0)
    return g_strcmp0 (x->name, y->name);
  double dx = row_value (x, col), dy = row_value (y, col);
  return dx < dy ? -1 : dx > dy ? 1 : g_strcmp0 (x->name, y->name);
}

static void
add_column (RelabelDashboard *self, const char *title, int col, gboolean expand)
{
  GtkListItemFactory *f = gtk_signal_list_item_factory_new ();
  g_signal_connect (f, "setup", G_CALLBACK (cell_setup), GINT_TO_POINTER (col));
  g_signal_connect (f, "bind", G_CALLBACK (cell_bind), GINT_TO_POINTER (col));
  GtkColumnViewColumn *c = gtk_column_view_column_new (title, f);
  gtk_column_view_column_set_expand (c, expand);
  GtkCustomSorter *sorter = gtk_custom_sorter_new (row_compare, GINT_TO_POINTER (col), NULL);
  gtk_column_view_column_set_sorter (c, GTK_SORTER (sorter));
  g_object_unref (sorter);
  gtk_column_view_append_column (self->image_table, c);
  if (col == 2)   /* worst mIoU first: what to review */
    gtk_column_view_sort_by_column (self->image_table, c, GTK_SORT_ASCENDING);
  g_object_unref (c);
}

static void
on_table_activate (GtkColumnView *view, guint position, RelabelDashboard *self)
{
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (view));
  g_autoptr (DashRow) row = g_list_model_get_item (model, position);
  if (row == NULL)
    return;
  const char *names[] = { row->name, NULL };
  RlDashModel *m = chosen_model (self);
  g_signal_emit (self, signals[SIGNAL_FILTER_IMAGES], 0, names, row->name, m ? m->id : 0,
                 (int) chosen_labels (self), -1, -1);
}

/* ---- cards */

static void
build_cards (RelabelDashboard *self)
{
  for (int k = 0; k < N_CARDS; k++)
    {
      GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      gtk_widget_add_css_class (card, "card");
      gtk_widget_add_css_class (card, "view");
      GtkWidget *title = gtk_label_new (card_names[k]);
      gtk_widget_add_css_class (title, "caption-heading");
      gtk_widget_add_css_class (title, "dim-label");
      GtkWidget *value = gtk_label_new ("–");
      gtk_widget_add_css_class (value, "title-2");
      gtk_widget_add_css_class (value, "numeric");
      GtkWidget *delta = gtk_label_new ("");
      gtk_widget_add_css_class (delta, "numeric");
      GtkWidget *note = gtk_label_new ("");
      gtk_widget_add_css_class (note, "caption");
      gtk_widget_add_css_class (note, "dim-label");
      gtk_widget_set_margin_top (title, 6);
      gtk_widget_set_margin_bottom (note, 6);
      gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
      gtk_label_set_ellipsize (GTK_LABEL (delta), PANGO_ELLIPSIZE_END);
      gtk_label_set_ellipsize (GTK_LABEL (note), PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (card), title);
      gtk_box_append (GTK_BOX (card), value);
      gtk_box_append (GTK_BOX (card), delta);
      gtk_box_append (GTK_BOX (card), note);
      gtk_box_append (self->cards_box, card);
      self->card_value[k] = GTK_LABEL (value);
      self->card_delta[k] = GTK_LABEL (delta);
      self->card_note[k] = GTK_LABEL (note);
    }
}

/* ---- public */

RelabelDashboard *
relabel_dashboard_new (void)
{
  return g_object_new (RELABEL_TYPE_DASHBOARD, NULL);
}

void
relabel_dashboard_set_session (RelabelDashboard *self, RlSession *session)
{
  g_return_if_fail (self->session == NULL);
  self->session = g_object_ref (session);
  g_signal_connect_object (session, "project-opened", G_CALLBACK (on_project_opened), self, 0);
  g_signal_connect_object (session, "job-progress", G_CALLBACK (on_job_progress), self, 0);
  g_signal_connect_object (session, "job-finished", G_CALLBACK (on_job_finished), self, 0);
  if (rl_session_get_images (session) != NULL)
    on_project_opened (session, self);
}

const RlDashRun *
relabel_dashboard_get_run (RelabelDashboard *self)
{
  g_autofree char *key = chosen_key (self);
  return rl_dash_model_get_run (chosen_model (self), key);
}

void
relabel_dashboard_select (RelabelDashboard *self, gint64 model_id, const char *split,
                          RlMaskKind labels)
{
  self->updating = TRUE;
  for (guint i = 0; self->models && i < self->models->len; i++)
    if (model_at (self, i)->id == model_id)
      gtk_drop_down_set_selected (self->model_dropdown, i);
  guint s = 0;
  for (guint i = 0; split && self->splits && i < self->splits->len; i++)
    if (g_str_equal (g_ptr_array_index (self->splits, i), split))
      s = i + 1;
  gtk_drop_down_set_selected (self->split_dropdown, s);
  gtk_drop_down_set_selected (self->labels_dropdown, labels == RL_MASK_ORIGINAL ? 1 : 0);
  self->updating = FALSE;
  on_choice_changed (self);
}

void
relabel_dashboard_reload (RelabelDashboard *self)
{
  read_models (self);
}

GtkWidget *
relabel_dashboard_get_confusion (RelabelDashboard *self)
{
  return GTK_WIDGET (self->confusion);
}

/* ---- GObject */

static void
relabel_dashboard_dispose (GObject *object)
{
  RelabelDashboard *self = RELABEL_DASHBOARD (object);
  g_clear_handle_id (&self->rows_source, g_source_remove);
  g_clear_pointer (&self->pending_rows, g_ptr_array_unref);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELABEL_TYPE_DASHBOARD);
  G_OBJECT_CLASS (relabel_dashboard_parent_class)->dispose (object);
}

static void
relabel_dashboard_finalize (GObject *object)
{
  RelabelDashboard *self = RELABEL_DASHBOARD (object);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_clear_pointer (&self->splits, g_ptr_array_unref);
  g_clear_object (&self->rows);
  g_array_unref (self->shown_values);
  G_OBJECT_CLASS (relabel_dashboard_parent_class)->finalize (object);
}

static void
relabel_dashboard_class_init (RelabelDashboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = relabel_dashboard_dispose;
  object_class->finalize = relabel_dashboard_finalize;

  g_type_ensure (RELABEL_TYPE_CHART_BARS);
  g_type_ensure (RELABEL_TYPE_CHART_CONFUSION);
  g_type_ensure (RELABEL_TYPE_CHART_LINES);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/relabel/Relabel/ui/relabel-dashboard.ui");
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, model_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, split_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, labels_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, compare_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, progress_stack);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, progress_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, status_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, cards_box);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, bars);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, confusion);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, bottom_stack);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, image_table);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, versions_list);
  gtk_widget_class_bind_template_child (widget_class, RelabelDashboard, lines);

  gtk_widget_class_install_action (widget_class, "dash.compute", NULL, action_compute);
  gtk_widget_class_install_action (widget_class, "dash.cancel", NULL, action_cancel);
  gtk_widget_class_install_action (widget_class, "dash.export", "s", action_export);
  gtk_widget_class_install_action (widget_class, "dash.study", NULL, action_study);

  signals[SIGNAL_FILTER_IMAGES] =
    g_signal_new ("filter-images", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 6, G_TYPE_STRV, G_TYPE_STRING, G_TYPE_INT64, G_TYPE_INT,
                  G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_SHOWN] = g_signal_new ("shown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
relabel_dashboard_init (RelabelDashboard *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->shown_values = g_array_new (FALSE, TRUE, sizeof (int));
  self->rows = g_list_store_new (DASH_TYPE_ROW);
  build_cards (self);

  add_column (self, "Image", 0, TRUE);
  add_column (self, "G", 1, FALSE);
  add_column (self, "mIoU", 2, FALSE);
  add_column (self, "BF", 3, FALSE);
  add_column (self, "In-sample", 4, FALSE);
  add_column (self, "mIoU vs compared", 5, FALSE);
  GtkSortListModel *sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->rows)),
                                                      g_object_ref (gtk_column_view_get_sorter (self->image_table)));
  GtkSingleSelection *sel = gtk_single_selection_new (G_LIST_MODEL (sorted));
  gtk_column_view_set_model (self->image_table, GTK_SELECTION_MODEL (sel));
  g_object_unref (sel);
  g_signal_connect (self->image_table, "activate", G_CALLBACK (on_table_activate), self);

  g_signal_connect_swapped (self->model_dropdown, "notify::selected",
                            G_CALLBACK (on_choice_changed), self);
  g_signal_connect_swapped (self->split_dropdown, "notify::selected",
                            G_CALLBACK (on_choice_changed), self);
  g_signal_connect_swapped (self->labels_dropdown, "notify::selected",
                            G_CALLBACK (on_choice_changed), self);
  g_signal_connect_swapped (self->compare_dropdown, "notify::selected",
                            G_CALLBACK (on_choice_changed), self);
  g_signal_connect (self->confusion, "cell-activated", G_CALLBACK (on_cell_activated), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.compute", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.cancel", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "dash.export", FALSE);
}
