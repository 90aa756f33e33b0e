/* The class palette (relabel-palette.ui): rows built from the class spec, a swatch drawn per
 * class, "class-selected" with the label value of the selected row; a search entry filters the
 * rows by name (typing while the list has the focus goes to it; Enter picks the first match). */
#define G_LOG_DOMAIN "relabel"

#include "relabel-palette.h"

#include <string.h>

struct _RelabelPalette
{
  GtkBox parent_instance;

  /* template */
  GtkListBox *list;
  GtkSearchEntry *search;
  GtkLabel *count;

  /* owned */
  GArray *values;   /* int: label value of row i */
  GPtrArray *names; /* char*: the lower-case name of row i (for the search) */
  char *query;      /* lower case; NULL or "" shows every row */
};

G_DEFINE_FINAL_TYPE (RelabelPalette, relabel_palette, GTK_TYPE_BOX)

enum
{
  SIGNAL_CLASS_SELECTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
draw_swatch (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  guint32 rgb = GPOINTER_TO_UINT (data);
  cairo_rectangle (cr, 0.5, 0.5, width - 1, height - 1);
  cairo_set_source_rgb (cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                        (rgb & 255) / 255.0);
  cairo_fill_preserve (cr);
  /* mid grey: the outline shows around dark colours (window, navy) on the dark style and around
   * light ones on the light style */
  cairo_set_source_rgba (cr, 0.5, 0.5, 0.5, 0.9);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
}

static gboolean
row_matches (RelabelPalette *self, int i)
{
  return self->query == NULL || self->query[0] == '\0'
         || (i >= 0 && (guint) i < self->names->len
             && strstr (g_ptr_array_index (self->names, i), self->query) != NULL);
}

static gboolean
filter_row (GtkListBoxRow *row, gpointer data)
{
  return row_matches (data, gtk_list_box_row_get_index (row));
}

static void
update_count (RelabelPalette *self)
{
  guint n = self->values->len, shown = 0;
  for (guint i = 0; i < n; i++)
    shown += row_matches (self, (int) i);
  g_autofree char *text = shown == n ? g_strdup_printf ("%u classes", n)
                                     : g_strdup_printf ("%u of %u classes", shown, n);
  gtk_label_set_text (self->count, text);
}

static void
on_search_changed (GtkSearchEntry *entry, RelabelPalette *self)
{
  g_free (self->query);
  self->query = g_utf8_strdown (gtk_editable_get_text (GTK_EDITABLE (entry)), -1);
  gtk_list_box_invalidate_filter (self->list);
  update_count (self);
}

/* Enter: the first row that matches becomes the class. */
static void
on_search_activate (GtkSearchEntry *entry, RelabelPalette *self)
{
  for (guint i = 0; i < self->values->len; i++)
    if (row_matches (self, (int) i))
      {
        relabel_palette_select_index (self, (int) i);
        return;
      }
}

static void
on_stop_search (GtkSearchEntry *entry, RelabelPalette *self)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

void
relabel_palette_set_spec (RelabelPalette *self, const RlClassSpec *spec)
{
  g_return_if_fail (RELABEL_IS_PALETTE (self));
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  g_array_set_size (self->values, 0);
  g_ptr_array_set_size (self->names, 0);
  if (spec == NULL)
    {
      gtk_label_set_text (self->count, "");
      return;
    }

  for (int v = 0; v < spec->n_classes; v++)
    {
      if (!rl_class_spec_is_class (spec, (guint) v))
        continue;
      guint n = self->values->len;
      const RlClass *c = &spec->classes[v];
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *swatch = gtk_drawing_area_new ();
      GtkWidget *key = gtk_label_new (n < 10 ? (const char *[]) { "1", "2", "3", "4", "5", "6",
                                                                   "7", "8", "9", "0" }[n] : "");
      GtkWidget *name = gtk_label_new (c->name);
      guint32 rgb = ((guint32) c->r << 16) | ((guint32) c->g << 8) | c->b;

      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 18);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 18);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                      GUINT_TO_POINTER (rgb), NULL);
      gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
      gtk_label_set_width_chars (GTK_LABEL (key), 1);
      gtk_widget_add_css_class (key, "dim-label");
      gtk_widget_add_css_class (key, "numeric");
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_box_append (GTK_BOX (row), swatch);
      gtk_box_append (GTK_BOX (row), name);
      gtk_box_append (GTK_BOX (row), key);
      gtk_widget_set_margin_top (row, 3);
      gtk_widget_set_margin_bottom (row, 3);
      gtk_list_box_append (self->list, row);
      g_array_append_val (self->values, v);
      g_ptr_array_add (self->names, g_utf8_strdown (c->name, -1));
    }
  gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, 0));
  gtk_list_box_invalidate_filter (self->list);
  update_count (self);
}

guint
relabel_palette_get_n_classes (RelabelPalette *self)
{
  g_return_val_if_fail (RELABEL_IS_PALETTE (self), 0);
  return self->values->len;
}

void
relabel_palette_select_value (RelabelPalette *self, int value)
{
  g_return_if_fail (RELABEL_IS_PALETTE (self));
  for (guint i = 0; i < self->values->len; i++)
    if (g_array_index (self->values, int, i) == value)
      {
        relabel_palette_select_index (self, (int) i);
        return;
      }
}

void
relabel_palette_select_index (RelabelPalette *self, int i)
{
  g_return_if_fail (RELABEL_IS_PALETTE (self));
  if (i >= 0 && (guint) i < self->values->len)
    gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, i));
}

static void
on_row_selected (GtkListBox *box, GtkListBoxRow *row, RelabelPalette *self)
{
  if (row == NULL)
    return;
  int i = gtk_list_box_row_get_index (row);
  if (i >= 0 && (guint) i < self->values->len)
    g_signal_emit (self, signals[SIGNAL_CLASS_SELECTED], 0, g_array_index (self->values, int, i));
}

GtkWidget *
relabel_palette_new (void)
{
  return g_object_new (RELABEL_TYPE_PALETTE, NULL);
}

static void
relabel_palette_finalize (GObject *object)
{
  RelabelPalette *self = RELABEL_PALETTE (object);
  g_array_unref (self->values);
  g_ptr_array_unref (self->names);
  g_free (self->query);
  G_OBJECT_CLASS (relabel_palette_parent_class)->finalize (object);
}

static void
relabel_palette_class_init (RelabelPaletteClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = relabel_palette_finalize;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/relabel/Relabel/ui/relabel-palette.ui");
  gtk_widget_class_bind_template_child (widget_class, RelabelPalette, list);
  gtk_widget_class_bind_template_child (widget_class, RelabelPalette, search);
  gtk_widget_class_bind_template_child (widget_class, RelabelPalette, count);
  gtk_widget_class_bind_template_callback (widget_class, on_row_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  signals[SIGNAL_CLASS_SELECTED] = g_signal_new ("class-selected", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
relabel_palette_init (RelabelPalette *self)
{
  self->values = g_array_new (FALSE, FALSE, sizeof (int));
  self->names = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_list_box_set_filter_func (self->list, filter_row, self, NULL);
  /* typing while the class list has the focus searches */
  gtk_search_entry_set_key_capture_widget (self->search, GTK_WIDGET (self->list));
}
