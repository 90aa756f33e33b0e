/* The window's image list: rows, sorting, filtering and the summary line (moved from
 * relabel-window.c). */
#include "relabel-window-private.h"

#include "relabel-image-row.h"

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
  if (self->only_names != NULL)   /* the dashboard's order: most confused pixels first */
    {
      int rx = GPOINTER_TO_INT (g_hash_table_lookup (self->only_names,
                                                     relabel_image_item_get_name (x)));
      int ry = GPOINTER_TO_INT (g_hash_table_lookup (self->only_names,
                                                     relabel_image_item_get_name (y)));
      if (rx != ry)
        return rx < ry ? -1 : 1;
    }
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

  if (self->only_names != NULL
      && !g_hash_table_contains (self->only_names, relabel_image_item_get_name (item)))
    return FALSE;
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

/* The rows are RelabelImageRow widgets (relabel-image-row.ui). */

void
row_setup (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  gtk_list_item_set_child (list_item, relabel_image_row_new ());
}

void
row_bind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  relabel_image_row_set_item (RELABEL_IMAGE_ROW (gtk_list_item_get_child (list_item)),
                              gtk_list_item_get_item (list_item));
}

void
row_unbind (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  relabel_image_row_set_item (RELABEL_IMAGE_ROW (gtk_list_item_get_child (list_item)), NULL);
}
