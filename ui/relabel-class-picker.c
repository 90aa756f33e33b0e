/* The type-to-search class picker (relabel-class-picker.h): a GtkPopover holding a search entry
 * and a list box filtered on the class names. */
#define G_LOG_DOMAIN "relabel"

#include "relabel-class-picker.h"

#include <string.h>

struct _RelabelClassPicker
{
  GtkPopover parent_instance;

  /* owned */
  GtkSearchEntry *entry;
  GtkListBox *list;
  GArray *values;     /* int per row */
  GPtrArray *names;   /* char* per row (lower case, for matching) */
};

G_DEFINE_FINAL_TYPE (RelabelClassPicker, relabel_class_picker, GTK_TYPE_POPOVER)

enum
{
  SIGNAL_CLASS_CHOSEN,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static gboolean
filter_row (GtkListBoxRow *row, gpointer data)
{
  RelabelClassPicker *self = data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  if (text == NULL || text[0] == '\0')
    return TRUE;
  int i = gtk_list_box_row_get_index (row);
  g_autofree char *needle = g_utf8_strdown (text, -1);
  return i >= 0 && (guint) i < self->names->len
         && strstr (self->names->pdata[i], needle) != NULL;
}

static void
choose (RelabelClassPicker *self, GtkListBoxRow *row)
{
  if (row == NULL)
    return;
  int i = gtk_list_box_row_get_index (row);
  if (i < 0 || (guint) i >= self->values->len)
    return;
  gtk_popover_popdown (GTK_POPOVER (self));
  g_signal_emit (self, signals[SIGNAL_CLASS_CHOSEN], 0, g_array_index (self->values, int, i));
}

/* The first row the filter shows. */
static GtkListBoxRow *
first_visible (RelabelClassPicker *self)
{
  for (int i = 0;; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->list, i);
      if (row == NULL)
        return NULL;
      if (gtk_widget_get_child_visible (GTK_WIDGET (row)) && filter_row (row, self))
        return row;
    }
}

static void
on_search_changed (GtkSearchEntry *entry, RelabelClassPicker *self)
{
  gtk_list_box_invalidate_filter (self->list);
  GtkListBoxRow *row = first_visible (self);
  if (row != NULL)
    gtk_list_box_select_row (self->list, row);
}

static void
on_activate (GtkSearchEntry *entry, RelabelClassPicker *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list);
  if (row == NULL || !filter_row (row, self))
    row = first_visible (self);
  choose (self, row);
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, RelabelClassPicker *self)
{
  choose (self, row);
}

static void
on_stop_search (GtkSearchEntry *entry, RelabelClassPicker *self)
{
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
relabel_class_picker_finalize (GObject *object)
{
  RelabelClassPicker *self = RELABEL_CLASS_PICKER (object);
  g_array_unref (self->values);
  g_ptr_array_unref (self->names);
  G_OBJECT_CLASS (relabel_class_picker_parent_class)->finalize (object);
}

static void
relabel_class_picker_class_init (RelabelClassPickerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relabel_class_picker_finalize;
  signals[SIGNAL_CLASS_CHOSEN] = g_signal_new ("class-chosen", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
relabel_class_picker_init (RelabelClassPicker *self)
{
  self->values = g_array_new (FALSE, FALSE, sizeof (int));
  self->names = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->entry = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->entry, "placeholder-text", "Type a class name", NULL);
  GtkWidget *scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroll), 240);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 360);
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_activate_on_single_click (self->list, TRUE);
  gtk_list_box_set_filter_func (self->list, filter_row, self, NULL);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->list));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->entry));
  gtk_box_append (GTK_BOX (box), scroll);
  gtk_widget_set_size_request (box, 240, -1);
  gtk_popover_set_child (GTK_POPOVER (self), box);
  g_signal_connect (self->entry, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->entry, "activate", G_CALLBACK (on_activate), self);
  g_signal_connect (self->entry, "stop-search", G_CALLBACK (on_stop_search), self);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  /* search-changed waits 150 ms by default; a picker should follow each key */
  gtk_search_entry_set_search_delay (self->entry, 0);
}

RelabelClassPicker *
relabel_class_picker_new (void)
{
  return g_object_new (RELABEL_TYPE_CLASS_PICKER, NULL);
}

static void
add_row (RelabelClassPicker *self, int value, const char *name, guint8 r, guint8 g, guint8 b)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  g_autofree char *markup = g_strdup_printf ("<span foreground=\"#%02x%02x%02x\">\u25a0</span>",
                                             r, g, b);
  GtkWidget *swatch = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (swatch), markup);
  g_autofree char *text = value >= 0 ? g_strdup_printf ("%s (%d)", name, value)
                                     : g_strdup (name);
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (row), swatch);
  gtk_box_append (GTK_BOX (row), label);
  gtk_list_box_append (self->list, row);
  g_array_append_val (self->values, value);
  g_ptr_array_add (self->names, g_utf8_strdown (name, -1));
}

void
relabel_class_picker_set_spec (RelabelClassPicker *self, const RlClassSpec *spec)
{
  g_return_if_fail (RELABEL_IS_CLASS_PICKER (self));
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_array_set_size (self->values, 0);
  g_ptr_array_set_size (self->names, 0);
  if (spec == NULL)
    return;
  for (int v = 0; v < spec->n_classes; v++)
    if (rl_class_spec_is_class (spec, (guint) v))
      add_row (self, v, spec->classes[v].name, spec->classes[v].r, spec->classes[v].g,
               spec->classes[v].b);
  int void_value = spec->ignore_index;
  g_array_append_val (self->values, void_value);
  g_ptr_array_add (self->names, g_strdup ("void"));
  GtkWidget *label = gtk_label_new ("void (unlabelled)");
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_box_append (self->list, label);
}

void
relabel_class_picker_open (RelabelClassPicker *self)
{
  g_return_if_fail (RELABEL_IS_CLASS_PICKER (self));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  gtk_list_box_invalidate_filter (self->list);
  gtk_popover_popup (GTK_POPOVER (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

GtkEditable *
relabel_class_picker_get_entry (RelabelClassPicker *self)
{
  return GTK_EDITABLE (self->entry);
}
