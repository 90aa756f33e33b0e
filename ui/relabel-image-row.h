/* One row of the image list (a .ui template): shows a RelabelImageItem and follows its
 * ::changed. */
#pragma once

#include <gtk/gtk.h>

#include "relabel-image-item.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_IMAGE_ROW (relabel_image_row_get_type ())
G_DECLARE_FINAL_TYPE (RelabelImageRow, relabel_image_row, RELABEL, IMAGE_ROW, GtkBox)

GtkWidget *relabel_image_row_new (void);
/* Shows item (a reference is kept) and updates on its ::changed; NULL unbinds. */
void relabel_image_row_set_item (RelabelImageRow *self, RelabelImageItem *item);

G_END_DECLS
