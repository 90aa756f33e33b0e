/* The image list's item: a GObject copy of one RlImageInfo (the list model needs GObjects).
 * ::changed tells the row widget to redraw itself after an edit, undo or new prediction. */
#include "relabel-image-item.h"

#include <math.h>

struct _RelabelImageItem
{
  GObject parent_instance;

  gint64 id;
  char *name;
  char *split;
  RlImageStatus status;
  double miou, bf;
  int n_edits;
  gboolean has_prediction;
  gboolean in_sample;         /* the prediction's model trained on this image */
  gboolean missing;
  GdkPaintable *thumbnail;
};

G_DEFINE_FINAL_TYPE (RelabelImageItem, relabel_image_item, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
relabel_image_item_finalize (GObject *object)
{
  RelabelImageItem *self = RELABEL_IMAGE_ITEM (object);
  g_free (self->name);
  g_free (self->split);
  g_clear_object (&self->thumbnail);
  G_OBJECT_CLASS (relabel_image_item_parent_class)->finalize (object);
}

static void
relabel_image_item_class_init (RelabelImageItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relabel_image_item_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
relabel_image_item_init (RelabelImageItem *self)
{
  self->miou = self->bf = NAN;
}

static void
copy_info (RelabelImageItem *self, const RlImageInfo *info)
{
  self->id = info->id;
  g_free (self->name);
  self->name = g_strdup (info->name);
  g_free (self->split);
  self->split = g_strdup (info->split ? info->split : "");
  self->status = info->status;
  self->miou = info->pred_miou;
  self->bf = info->pred_bf;
  self->n_edits = info->n_edits;
  self->has_prediction = info->has_prediction;
  self->in_sample = info->pred_in_sample;
  self->missing = info->missing;
}

RelabelImageItem *
relabel_image_item_new (const RlImageInfo *info)
{
  RelabelImageItem *self = g_object_new (RELABEL_TYPE_IMAGE_ITEM, NULL);
  copy_info (self, info);
  return self;
}

void
relabel_image_item_update (RelabelImageItem *self, const RlImageInfo *info)
{
  g_return_if_fail (RELABEL_IS_IMAGE_ITEM (self));
  copy_info (self, info);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

gint64
relabel_image_item_get_id (RelabelImageItem *self)
{
  return self->id;
}

const char *
relabel_image_item_get_name (RelabelImageItem *self)
{
  return self->name;
}

const char *
relabel_image_item_get_split (RelabelImageItem *self)
{
  return self->split;
}

RlImageStatus
relabel_image_item_get_status (RelabelImageItem *self)
{
  return self->status;
}

double
relabel_image_item_get_miou (RelabelImageItem *self)
{
  return self->miou;
}

double
relabel_image_item_get_bf (RelabelImageItem *self)
{
  return self->bf;
}

int
relabel_image_item_get_n_edits (RelabelImageItem *self)
{
  return self->n_edits;
}

gboolean
relabel_image_item_get_has_prediction (RelabelImageItem *self)
{
  return self->has_prediction;
}

gboolean
relabel_image_item_get_in_sample (RelabelImageItem *self)
{
  return self->in_sample;
}

gboolean
relabel_image_item_get_missing (RelabelImageItem *self)
{
  return self->missing;
}

GdkPaintable *
relabel_image_item_get_thumbnail (RelabelImageItem *self)
{
  return self->thumbnail;
}

void
relabel_image_item_set_thumbnail (RelabelImageItem *self, GdkPaintable *thumbnail)
{
  g_return_if_fail (RELABEL_IS_IMAGE_ITEM (self));
  g_set_object (&self->thumbnail, thumbnail);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

const char *
relabel_image_status_name (RlImageStatus status)
{
  switch (status)
    {
    case RL_IMAGE_UNLABELLED: return "unlabelled";
    case RL_IMAGE_PRELABELLED: return "pre-labelled";
    case RL_IMAGE_CORRECTED: return "corrected";
    case RL_IMAGE_REVIEWED: return "reviewed";
    default: return "unknown";
    }
}
