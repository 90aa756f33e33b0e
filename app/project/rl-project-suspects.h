/* Suspected label errors across a project (issue 19): predictions stored with their 8-bit
 * softmax confidences, the ranked queue of suspected regions (engine/rl-suspects.h says how a
 * region is found and scored), accepting a suggestion (one undoable edit) and dismissing a
 * region ("not an error", remembered). Headless (GLib/GIO, SQLite): the CLI, the tests and the
 * GUI's panel use this API. Every function opens its own SQLite connection to the project's file
 * next to the caller's RlProject (same thread), so it never touches that connection's state. */
#pragma once

#include <gio/gio.h>

#include "rl-model.h"
#include "rl-project.h"
#include "rl-suspects.h"

/* Predicts image_id with model (the project's model version model_id), stores the prediction
 * (rl_project_set_prediction) and its confidences: per pixel the probability of the predicted
 * class and of the current label's class, 8 bits each, with a copy of the labels they refer to.
 * The pre-label job and `relabel suspects` both go through here. abort may be NULL. */
gboolean rl_suspects_predict_image (RlProject *project, const RlModel *model, gint64 model_id,
                                    gint64 image_id, int n_threads, RlAbortFunc abort,
                                    void *abort_data, GError **error);

/* The images (gint64 ids, in name order) without a prediction of model_id that carries
 * confidences: what rl_suspects_predict_image still has to do. */
GArray *rl_suspects_missing (RlProject *project, gint64 model_id, GError **error);

/* The confidences stored with model_id's prediction of image_id (width x height, as the image):
 * *pred the predicted classes and *conf round(255 p) of each pixel's predicted class, (H, W)
 * each, new. FALSE with RL_PROJECT_ERROR_NOT_FOUND when that prediction has none (predicted
 * before confidences were stored, or not at all). */
gboolean rl_suspects_get_confidence (RlProject *project, gint64 image_id, gint64 model_id,
                                     int width, int height, guint8 **pred, guint8 **conf,
                                     GError **error);

/* Recomputes the queue for model_id (0: the current model) over every image whose prediction
 * by it has confidences: per-class thresholds over all of them, then each image's regions
 * (rl_suspects_find on the current labels; a pixel edited since the prediction counts its label
 * as confident), minus dismissed ones; replaces the stored queue in one transaction. progress
 * (may be NULL) gets (done, total). n_regions (may be NULL): regions stored. */
gboolean rl_suspects_update (RlProject *project, gint64 model_id,
                             void (*progress) (guint done, guint total, gpointer data),
                             gpointer data, GCancellable *cancellable, guint *n_regions,
                             GError **error);
/* The same for one image (after an edit, an accept or an undo), with thresholds from all. */
gboolean rl_suspects_update_image (RlProject *project, gint64 image_id, GError **error);

typedef struct
{
  gint64 id;              /* queue entry, valid until the queue is updated */
  gint64 image_id;
  char *image;            /* the image's name, as `relabel paint --image` takes it */
  gint64 model_id;
  int labelled, suggested;
  RlSuspectKind kind;
  gint64 pixels;
  int x, y, w, h;         /* bounding box */
  double score;           /* the model's evidence (rl-suspects.h) */
  double weight;          /* from the annotator's answers on its class pair; 1 without any */
  gboolean in_sample;     /* the model trained on this image: its confidence is biased */
  gboolean stale;         /* the image's labels changed since: update it before acting */
} RlSuspectRegion;

void rl_suspect_region_free (RlSuspectRegion *region);
RlSuspectRegion *rl_suspect_region_copy (const RlSuspectRegion *region);

/* What rl_suspects_list returns: labelled / suggested / kind -1 for any; limit 0 for all. */
typedef struct
{
  int labelled, suggested;
  int kind;
  guint offset, limit;
} RlSuspectFilter;

void rl_suspect_filter_init (RlSuspectFilter *filter);   /* everything */

/* The stored queue, worst first ("region" kinds by score x weight, then "boundary" ones; the
 * weight learnt from the accepted and dismissed suggestions of each class pair), filtered
 * (filter NULL: everything). RlSuspectRegion*, owned by the array. Reads only the stored queue,
 * so a panel's first page costs one query. */
GPtrArray *rl_suspects_list (RlProject *project, const RlSuspectFilter *filter, GError **error);

/* One row of the class-pair summary ("Pavement labelled as Road: N px in M images"). */
typedef struct
{
  int labelled, suggested;
  gint64 pixels;
  guint n_images, n_regions;
  guint n_in_sample;      /* regions on images the model trained on */
} RlSuspectPair;

/* The summary over the stored "region" kind suspects, most pixels first (RlSuspectPair*,
 * g_free'd by the array). */
GPtrArray *rl_suspects_pairs (RlProject *project, GError **error);

/* The pixels region suspect_id relabels: *mask (*height, *width), g_free, 1 where the region
 * lies and the current label is still its labelled class, else 0; *region (may be NULL) its
 * queue entry. The same errors as rl_suspects_accept. The GUI accepts a suggestion by sending
 * this mask as an RL_EDIT_REGION edit through the session. */
gboolean rl_suspects_region_mask (RlProject *project, gint64 suspect_id,
                                  RlSuspectRegion **region, int *width, int *height,
                                  guint8 **mask, GError **error);

/* Relabels region suspect_id (only its pixels still labelled its labelled class) to its
 * suggested class as one undoable edit ("accept-suggestion", rl_project_commit_mask), then
 * records the answer (rl_suspects_record_accept) and updates that image's queue. NOT_FOUND when
 * the entry is gone; INVALID when the image changed since the queue was computed and the
 * region is no longer there. */
gboolean rl_suspects_accept (RlProject *project, gint64 suspect_id, guint *n_changed,
                             GError **error);
/* Records that region's suggestion as accepted (an answer about its class pair, which weighs
 * the pair's regions in rl_suspects_list). rl_suspects_accept does it; the GUI, which accepts
 * through the session's edit path, calls it after the edit. */
gboolean rl_suspects_record_accept (RlProject *project, const RlSuspectRegion *region,
                                    GError **error);
/* Marks region suspect_id "not an error" (an answer about its class pair, as above): removed
 * from the queue and not listed again while a region of the same class pair with a bounding box
 * overlapping it by IoU >= 0.5 is found. */
gboolean rl_suspects_dismiss (RlProject *project, gint64 suspect_id, GError **error);
/* Forgets every dismissal on image_id (undoes "not an error"); the image's queue is updated. */
gboolean rl_suspects_undismiss_image (RlProject *project, gint64 image_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlSuspectRegion, rl_suspect_region_free)
