/* The window's image list: rows, sorting, filtering and the summary line (moved from
 * relabel-window.c). */
#include "relabel-window-private.h"

/* ---- image list */

RelabelImageItem *
find_item (RelabelWindow *self, gint64 id, guint *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      if (relabel_image_item_get_id (item) == id)
        {
          if (position)
            *position = i;
          return item;  /* the store keeps a reference */
        }
    }
  return NULL;
}

void
update_summary (RelabelWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint counts[4] = { 0 }, n_pred = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (RelabelImageItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      RlImageStatus st = relabel_image_item_get_status (item);
      if ((guint) st < 4)
        counts[st]++;
      n_pred += relabel_image_item_get_has_prediction (item);
    }
  g_autofree char *text = g_strdup_printf ("%u images · %u corrected · %u reviewed · %u predicted",
                                           n, counts[RL_IMAGE_CORRECTED],
                                           counts[RL_IMAGE_REVIEWED], n_pred);
  gtk_label_set_text (self->list_summary, text);
}

/* The session re-read an image's row: update it in the list. */
void
on_image_changed (RlSession *session, RlImageInfo *info, RelabelWindow *self)
{
  RelabelImageItem *item = find_item (self, info->id, NULL);
  if (item == NULL)
    return;
  relabel_image_item_update (item, info);
  update_summary (self);
  if (self->sort_mode != SORT_NAME)
    gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  if (info->id == self->current_id)
    {
      update_status (self);
      update_actions (self);
    }
}

static double
metric_key (double v)
{
  return isnan (v) ? INFINITY : v;  /* unknown metrics sort after every known one */
}

int
compare_items (gconstpointer a, gconstpointer b, gpointer data)
{
  RelabelWindow *self = data;
  RelabelImageItem *x = (RelabelImageItem *) a, *y = (RelabelImageItem *) b;
  double dx = 0, dy = 0;
  switch (self->sort_mode)
    {
    case SORT_MIOU:
      dx = metric_key (relabel_image_item_get_miou (x));
      dy = metric_key (relabel_image_item_get_miou (y));
      break;
    case SORT_BF:
      dx = metric_key (relabel_image_item_get_bf (x));
      dy = metric_key (relabel_image_item_get_bf (y));
      break;
    case SORT_STATUS:
      dx = relabel_image_item_get_status (x);
      dy = relabel_image_item_get_status (y);
      break;
    case SORT_EDITS:
      dx = -relabel_image_item_get_n_edits (x);
      dy = -relabel_image_item_get_n_edits (y);
      break;
    case SORT_NAME:
      break;
    }
  if (dx < dy)
    return -1;
  if (dx > dy)
    return 1;
  return g_strcmp0 (relabel_image_item_get_name (x), relabel_image_item_get_name (y));
}

gboolean
filter_item (gpointer object, gpointer data)
{
  RelabelWindow *self = data;
  RelabelImageItem *item = object;
  guint status = gtk_drop_down_get_selected (self->filter_dropdown);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (status != 0 && status != GTK_INVALID_LIST_POSITION
      && (guint) relabel_image_item_get_status (item) != status - 1)
    return FALSE;
  if (text != NULL && text[0] != '\0')
    {
      g_autofree char *a = g_utf8_casefold (relabel_image_item_get_name (item), -1);
      g_autofree char *b = g_utf8_casefold (text, -1);
      return strstr (a, b) != NULL;
    }
  return TRUE;
}

void
on_sort_changed (GtkDropDown *dropdown, GParamSpec *pspec, RelabelWindow *self)
{
  self->sort_mode = (SortMode) gtk_drop_down_get_selected (dropdown);
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

void
on_filter_changed (RelabelWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
format_metric (GString *s, const char *name, double v)
{
  if (isnan (v))
    g_string_append_printf (s, " · %s –", name);
  else
    g_string_append_printf (s, " · %s %.2f", name, v);
}

static void
row_sync (GtkListItem *list_item)
{
  RelabelImageItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *row = gtk_list_item_get_child (list_item);
  if (item == NULL || row == NULL)
    return;
  GtkWidget *picture = gtk_widget_get_first_child (row);
  GtkWidget *box = gtk_widget_get_next_sibling (picture);
  GtkWidget *top = gtk_widget_get_first_child (box);
  GtkWidget *name = gtk_widget_get_first_child (top);
  GtkWidget *pill = gtk_widget_get_next_sibling (name);
  GtkWidget *detail = gtk_widget_get_next_sibling (top);
  static const char *const pill_classes[] = {
    "status-unlabelled", "status-prelabelled", "status-corrected", "status-reviewed", "missing",
  };
  RlImageStatus st = relabel_image_item_get_status (item);

  gtk_picture_set_paintable (GTK_PICTURE (picture), relabel_image_item_get_thumbnail (item));
  gtk_label_set_text (GTK_LABEL (name), relabel_image_item_get_name (item));
  for (guint i = 0; i < G_N_ELEMENTS (pill_classes); i++)
    gtk_widget_remove_css_class (pill, pill_classes[i]);
  if (relabel_image_item_get_missing (item))
    {
      gtk_label_set_text (GTK_LABEL (pill), "missing");
      gtk_widget_add_css_class (pill, "missing");
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (pill), relabel_image_status_name (st));
      if ((guint) st < 4)
        gtk_widget_add_css_class (pill, pill_classes[st]);
    }

  g_autoptr (GString) s = g_string_new (relabel_image_item_get_split (item));
  if (relabel_image_item_get_has_prediction (item))
    {
      format_metric (s, "mIoU", relabel_image_item_get_miou (item));
      format_metric (s, "BF", relabel_image_item_get_bf (item));
      if (relabel_image_item_get_in_sample (item))
        g_string_append (s, " (in-sample)");
    }
  else
    g_string_append (s, " · no prediction");
  if (relabel_image_item_get_n_edits (item) > 0)
    g_string_append_printf (s, " · %d edit%s", relabel_image_item_get_n_edits (item),
                            relabel_image_item_get_n_edits (item) == 1 ? "" : "s");
  gtk_label_set_text (GTK_LABEL (detail), s->str);
}

void
row_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *pill = gtk_label_new (NULL);
  GtkWidget *detail = gtk_label_new (NULL);

  gtk_widget_set_size_request (picture, 56, 42);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_valign (picture, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (picture, "thumbnail");
  gtk_widget_set_hexpand (box, TRUE);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (row, 3);
  gtk_widget_set_margin_bottom (row, 3);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (name, "image-name");
  gtk_widget_add_css_class (pill, "status-pill");
  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_widget_add_css_class (detail, "dim-label");
  gtk_widget_add_css_class (detail, "caption");
  gtk_widget_add_css_class (detail, "numeric");
  gtk_box_append (GTK_BOX (top), name);
  gtk_box_append (GTK_BOX (top), pill);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), detail);
  gtk_box_append (GTK_BOX (row), picture);
  gtk_box_append (GTK_BOX (row), box);
  gtk_list_item_set_child (list_item, row);
}

static void
on_item_changed (RelabelImageItem *item, GtkListItem *list_item)
{
  row_sync (list_item);
}

void
row_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  RelabelImageItem *item = gtk_list_item_get_item (list_item);
  row_sync (list_item);
  g_signal_connect_object (item, "changed", G_CALLBACK (on_item_changed), list_item, 0);
}

void
row_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  RelabelImageItem *item = gtk_list_item_get_item (list_item);
  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, on_item_changed, list_item);
}
