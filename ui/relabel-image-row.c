/* One row of the image list (relabel-image-row.ui): thumbnail, name, status pill, split and the
 * prediction's mIoU/BF, redrawn when its RelabelImageItem changes. */
#define G_LOG_DOMAIN "relabel"

#include "relabel-image-row.h"

#include <math.h>

struct _RelabelImageRow
{
  GtkBox parent_instance;

  /* template */
  GtkPicture *picture;
  GtkLabel *name_label;
  GtkLabel *status_pill;
  GtkLabel *detail_label;

  /* owned */
  RelabelImageItem *item;
  gulong changed_id;
};

G_DEFINE_FINAL_TYPE (RelabelImageRow, relabel_image_row, GTK_TYPE_BOX)

static void
format_metric (GString *s, const char *name, double v)
{
  if (isnan (v))
    g_string_append_printf (s, " · %s –", name);
  else
    g_string_append_printf (s, " · %s %.2f", name, v);
}

static void
row_sync (RelabelImageRow *self)
{
  RelabelImageItem *item = self->item;
  if (item == NULL)
    return;
  GtkWidget *pill = GTK_WIDGET (self->status_pill);
  static const char *const pill_classes[] = {
    "status-unlabelled", "status-prelabelled", "status-corrected", "status-reviewed", "missing",
  };
  RlImageStatus st = relabel_image_item_get_status (item);

  gtk_picture_set_paintable (self->picture, relabel_image_item_get_thumbnail (item));
  gtk_label_set_text (self->name_label, relabel_image_item_get_name (item));
  for (guint i = 0; i < G_N_ELEMENTS (pill_classes); i++)
    gtk_widget_remove_css_class (pill, pill_classes[i]);
  if (relabel_image_item_get_missing (item))
    {
      gtk_label_set_text (self->status_pill, "missing");
      gtk_widget_add_css_class (pill, "missing");
    }
  else
    {
      gtk_label_set_text (self->status_pill, relabel_image_status_name (st));
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
  gtk_label_set_text (self->detail_label, s->str);
}

void
relabel_image_row_set_item (RelabelImageRow *self, RelabelImageItem *item)
{
  g_return_if_fail (RELABEL_IS_IMAGE_ROW (self));
  if (self->item != NULL)
    {
      g_clear_signal_handler (&self->changed_id, self->item);
      g_clear_object (&self->item);
    }
  if (item == NULL)
    return;
  self->item = g_object_ref (item);
  self->changed_id = g_signal_connect_swapped (item, "changed", G_CALLBACK (row_sync), self);
  row_sync (self);
}

GtkWidget *
relabel_image_row_new (void)
{
  return g_object_new (RELABEL_TYPE_IMAGE_ROW, NULL);
}

static void
relabel_image_row_dispose (GObject *object)
{
  RelabelImageRow *self = RELABEL_IMAGE_ROW (object);
  relabel_image_row_set_item (self, NULL);
  G_OBJECT_CLASS (relabel_image_row_parent_class)->dispose (object);
}

static void
relabel_image_row_class_init (RelabelImageRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  G_OBJECT_CLASS (klass)->dispose = relabel_image_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/relabel/Relabel/ui/relabel-image-row.ui");
  gtk_widget_class_bind_template_child (widget_class, RelabelImageRow, picture);
  gtk_widget_class_bind_template_child (widget_class, RelabelImageRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, RelabelImageRow, status_pill);
  gtk_widget_class_bind_template_child (widget_class, RelabelImageRow, detail_label);
}

static void
relabel_image_row_init (RelabelImageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
