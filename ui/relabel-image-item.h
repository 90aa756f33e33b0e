/* One row of the image list: a snapshot of an image's RlImageInfo, updated in place when the
 * project changes so the list view and its sorter follow. */
#pragma once

#include <gdk/gdk.h>
#include "rl-project.h"

G_BEGIN_DECLS

#define RELABEL_TYPE_IMAGE_ITEM (relabel_image_item_get_type ())
G_DECLARE_FINAL_TYPE (RelabelImageItem, relabel_image_item, RELABEL, IMAGE_ITEM, GObject)

RelabelImageItem *relabel_image_item_new (const RlImageInfo *info);
/* Copies the fields of info and emits ::changed. */
void relabel_image_item_update (RelabelImageItem *self, const RlImageInfo *info);

gint64 relabel_image_item_get_id (RelabelImageItem *self);
const char *relabel_image_item_get_name (RelabelImageItem *self);
const char *relabel_image_item_get_split (RelabelImageItem *self);
RlImageStatus relabel_image_item_get_status (RelabelImageItem *self);
/* NaN when unknown */
double relabel_image_item_get_miou (RelabelImageItem *self);
double relabel_image_item_get_bf (RelabelImageItem *self);
int relabel_image_item_get_n_edits (RelabelImageItem *self);
gboolean relabel_image_item_get_has_prediction (RelabelImageItem *self);
/* The prediction's model was trained on this image: its mIoU/BF are in-sample scores. */
gboolean relabel_image_item_get_in_sample (RelabelImageItem *self);
gboolean relabel_image_item_get_missing (RelabelImageItem *self);

/* A small picture of the image, or NULL until loaded. Setting it emits ::changed. */
GdkPaintable *relabel_image_item_get_thumbnail (RelabelImageItem *self);
void relabel_image_item_set_thumbnail (RelabelImageItem *self, GdkPaintable *thumbnail);

const char *relabel_image_status_name (RlImageStatus status);

G_END_DECLS
