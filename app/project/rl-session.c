/* The editing session (rl-session.h): the open project, the shown image and its masks, the jobs,
 * the rescore queue, and the writer thread that runs every project call of the session. */
#define G_LOG_DOMAIN "relabel-session"

#include "rl-session.h"

#include <math.h>
#include <string.h>

#include "rl-demo.h"
#include "rl-jobs.h"
#include "rl-metrics.h"
#include "rl-superpixel-prep.h"
#include "rl-project-suspects.h"

typedef enum
{
  OP_OPEN,
  OP_LOAD,
  OP_EDIT,
  OP_UNDO,
  OP_REDO,
  OP_STATUS,
  OP_RESCORE,
  OP_INFO,
  OP_ADD_MODEL,
  OP_SET_MODEL,
  OP_SUSPECTS_LIST,      /* the stored queue (filtered) and the class-pair summary */
  OP_SUSPECTS_UPDATE,    /* recompute the whole queue, then list */
  OP_SUSPECTS_IMAGE,     /* recompute one image's queue (after an accept, undo, redo), list */
  OP_SUSPECT_DISMISS,    /* "not an error", then list */
  OP_SUSPECT_REGION,     /* one region's pixels */
  OP_FLUSH,
  OP_CALL,
  OP_QUIT,
} OpKind;

typedef struct
{
  OpKind kind;
  RlSession *session;       /* a reference, dropped on the main thread */
  guint generation;
  char *path;
  char *data_dir;           /* OPEN of the demo: where the bundled demo lies (may be NULL) */
  gint64 image_id;
  RlEdit *edit;
  int status;
  gboolean flag;            /* ADD_MODEL: only if none; INFO: with the prediction; OPEN: the
                             * demo (built first when missing, given its model when it has none) */
  /* results, filled by the writer */
  GError *error;
  GPtrArray *images;
  char **paths;             /* OPEN: image files, for thumbnails */
  RlClassSpec *spec;
  gint64 model;
  int width, height;
  guint8 *rgb, *current, *original, *prediction;
  guint8 *confidence;       /* LOAD, INFO: the prediction's stored confidences, or NULL */
  RlImageInfo *info;
  gboolean done;
  guint n_changed;
  double miou, bf, ms;
  /* suspects */
  RlSuspectFilter filter;
  GPtrArray *suspects;      /* RlSuspectRegion* */
  GPtrArray *pairs;         /* RlSuspectPair* */
  RlSuspectRegion *region;
  guint8 *region_mask;
  /* FLUSH */
  gboolean flushed;
  /* CALL (rl_session_call) */
  RlSessionCallFunc call_func;
  RlSessionCallDone call_done;
  gpointer call_data;
  GDestroyNotify call_destroy;
} Op;

struct _RlSession
{
  GObject parent_instance;

  /* owned */
  GThread *writer;
  GAsyncQueue *queue;
  GMainContext *context;
  char *path;
  GPtrArray *images;          /* RlImageInfo* */
  RlClassSpec *spec;
  GCancellable *job_cancellable;
  GCancellable *thumb_cancellable;
  GMutex lock;                /* guards rescore_queued and the FLUSH handshake */
  GCond cond;
  GHashTable *rescore_queued; /* image ids whose rescore is queued and not yet started */
  RlSuperpixelPrep *superpixels; /* the shown image's superpixels, computed when it opens */

  /* the shown image */
  gint64 image_id;
  gint64 want_image;          /* the last one asked for */
  int width, height;
  guint8 *rgb, *current, *original, *prediction;
  guint8 *confidence;         /* (H, W) round(255 p) of the prediction's class, NULL if unknown */
  guint8 *boundary;           /* (H, W) rl_metrics_boundary_errors of current vs prediction */

  /* the boundary-errors map: computed in a worker when wanted, one at a time */
  gboolean boundary_wanted;
  gboolean boundary_running;
  gboolean boundary_dirty;    /* the masks changed while it ran: run again after it */

  /* state */
  gint64 current_model;
  guint generation;           /* bumped when another project opens: late results are dropped */
  guint n_pending;            /* ops queued and not yet delivered */
  guint n_mask_ops;           /* EDIT/UNDO/REDO not yet delivered */
  guint n_thumb_jobs;
  gboolean switching_model;
  gboolean busy;
  const char *job_kind;

  /* the suspects queue (rl_session_list_suspects) */
  gboolean suspects_wanted;   /* listed once: keep it in step with accepts, undo and redo */
  RlSuspectFilter suspect_filter;
  GPtrArray *suspects;        /* RlSuspectRegion*, or NULL before the first list */
  GPtrArray *suspect_pairs;   /* RlSuspectPair* */
  RlSuspectRegion *suspect_region;  /* the region whose pixels are in suspect_mask */
  GBytes *suspect_mask;       /* (suspect_h, suspect_w) */
  int suspect_w, suspect_h;
};

G_DEFINE_FINAL_TYPE (RlSession, rl_session, G_TYPE_OBJECT)

enum
{
  SIG_PROJECT_OPENED,
  SIG_IMAGE_LOADED,
  SIG_MASK_CHANGED,
  SIG_PREDICTION_CHANGED,
  SIG_IMAGE_CHANGED,
  SIG_THUMBNAIL,
  SIG_NOTICE,
  SIG_ERROR,
  SIG_JOB_PROGRESS,
  SIG_JOB_FINISHED,
  SIG_RESCORED,
  SIG_BOUNDARY_ERRORS,
  SIG_SUPERPIXELS_READY,
  SIG_SUSPECTS_CHANGED,
  SIG_SUSPECT_REGION,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

enum
{
  PROP_0,
  PROP_BUSY,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void
op_free (Op *op)
{
  g_clear_error (&op->error);
  g_clear_pointer (&op->images, g_ptr_array_unref);
  g_strfreev (op->paths);
  g_clear_pointer (&op->spec, rl_class_spec_free);
  g_clear_pointer (&op->edit, rl_edit_free);
  g_clear_pointer (&op->info, rl_image_info_free);
  g_free (op->path);
  g_free (op->data_dir);
  g_free (op->rgb);
  g_free (op->current);
  g_free (op->original);
  g_free (op->prediction);
  g_free (op->confidence);
  if (op->call_destroy != NULL)
    op->call_destroy (op->call_data);
  g_clear_pointer (&op->suspects, g_ptr_array_unref);
  g_clear_pointer (&op->pairs, g_ptr_array_unref);
  g_clear_pointer (&op->region, rl_suspect_region_free);
  g_free (op->region_mask);
  g_clear_object (&op->session);
  g_free (op);
}

/* ---- the writer thread */

static gboolean
no_project (RlProject *project, Op *op)
{
  if (project != NULL)
    return FALSE;
  g_set_error (&op->error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_OPEN, "no project is open");
  return TRUE;
}

/* A mask that may be absent (NULL, no error). */
static guint8 *
optional_mask (RlProject *project, gint64 id, RlMaskKind kind, int w, int h, GError **error)
{
  int mw = 0, mh = 0;
  guint8 *mask = NULL;
  g_autoptr (GError) local = NULL;
  if (!rl_project_get_mask (project, id, kind, &mw, &mh, &mask, &local))
    {
      if (!g_error_matches (local, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND))
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (mw != w || mh != h)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: a mask is %dx%d but the image is %dx%d", rl_project_get_path (project),
                   mw, mh, w, h);
      g_free (mask);
      return NULL;
    }
  return mask;
}

/* The confidences stored with the prediction an image shows, when they belong to exactly that
 * prediction; NULL otherwise (predicted before confidences were stored, or damaged: the image
 * still opens, without them). */
static guint8 *
optional_confidence (RlProject *project, gint64 id, int w, int h, const guint8 *prediction)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlImageInfo) info = rl_project_get_image (project, id, &error);
  g_autofree guint8 *pred = NULL;
  guint8 *conf = NULL;
  if (info == NULL || info->pred_model_id == 0
      || !rl_suspects_get_confidence (project, id, info->pred_model_id, w, h, &pred, &conf,
                                      &error))
    {
      if (error != NULL && !g_error_matches (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND))
        g_warning ("%s", error->message);
      return NULL;
    }
  if (memcmp (pred, prediction, (gsize) w * h) != 0)
    g_clear_pointer (&conf, g_free);
  return conf;
}

/* After a change of the current mask: the image's row and the mask the project holds now. */
static void
read_back (RlProject *project, Op *op)
{
  int w = 0, h = 0;
  op->info = rl_project_get_image (project, op->image_id, op->error ? NULL : &op->error);
  if (op->info != NULL)
    rl_project_get_mask (project, op->image_id, RL_MASK_CURRENT, &w, &h, &op->current, NULL);
}

static void
run_op (RlProject **project, Op *op)
{
  RlProject *p = *project;
  switch (op->kind)
    {
    case OP_OPEN:
      {
        if (op->flag && !rl_demo_ensure (op->path, op->data_dir, &op->error))
          {
            g_prefix_error (&op->error, "Could not create the demo project: ");
            return;
          }
        g_autoptr (RlProject) np = rl_project_open (op->path, FALSE, &op->error);
        if (np == NULL)
          return;
        if (op->flag && op->data_dir != NULL && rl_project_current_model (np) == 0)
          {
            /* a demo made before the model was shipped: give it the model now */
            g_autofree char *model = g_build_filename (op->data_dir, "models", RL_DEMO_MODEL,
                                                       NULL);
            if (g_file_test (model, G_FILE_TEST_IS_REGULAR)
                && rl_project_add_model (np, RL_DEMO_MODEL, model, 0, NULL, &op->error) == 0)
              return;
          }
        op->images = rl_project_list_images (np, &op->error);
        if (op->images == NULL)
          return;
        op->paths = g_new0 (char *, op->images->len + 1);
        for (guint i = 0; i < op->images->len; i++)
          {
            RlImageInfo *info = g_ptr_array_index (op->images, i);
            op->paths[i] = rl_project_image_path (np, info->id);
            if (op->paths[i] == NULL)
              op->paths[i] = g_strdup ("");
          }
        const RlClassSpec *spec = rl_project_get_class_spec (np);
        op->spec = spec ? rl_class_spec_copy (spec) : NULL;
        op->model = rl_project_current_model (np);
        g_clear_pointer (project, rl_project_close);
        *project = g_steal_pointer (&np);
      }
      break;
    case OP_LOAD:
      if (no_project (p, op))
        return;
      if (!rl_project_load_rgb (p, op->image_id, &op->width, &op->height, &op->rgb, &op->error))
        return;
      if ((op->current = optional_mask (p, op->image_id, RL_MASK_CURRENT, op->width, op->height,
                                        &op->error), op->error != NULL)
          || (op->original = optional_mask (p, op->image_id, RL_MASK_ORIGINAL, op->width,
                                            op->height, &op->error), op->error != NULL)
          || (op->prediction = optional_mask (p, op->image_id, RL_MASK_PREDICTION, op->width,
                                              op->height, &op->error), op->error != NULL))
        return;
      if (op->prediction != NULL)
        op->confidence = optional_confidence (p, op->image_id, op->width, op->height,
                                              op->prediction);
      break;
    case OP_EDIT:
      if (no_project (p, op))
        return;
      rl_project_apply_edit (p, op->image_id, op->edit, &op->n_changed, &op->error);
      read_back (p, op);
      break;
    case OP_UNDO:
    case OP_REDO:
      if (no_project (p, op))
        return;
      if (op->kind == OP_UNDO)
        rl_project_undo (p, op->image_id, &op->done, &op->error);
      else
        rl_project_redo (p, op->image_id, &op->done, &op->error);
      read_back (p, op);
      break;
    case OP_STATUS:
      if (no_project (p, op))
        return;
      rl_project_set_status (p, op->image_id, (RlImageStatus) op->status, &op->error);
      op->info = rl_project_get_image (p, op->image_id, op->error ? NULL : &op->error);
      break;
    case OP_RESCORE:
      {
        RlSession *self = op->session;
        g_mutex_lock (&self->lock);
        g_hash_table_remove (self->rescore_queued, &op->image_id);
        g_mutex_unlock (&self->lock);
        if (no_project (p, op))
          return;
        gint64 t0 = g_get_monotonic_time ();
        gboolean stored = FALSE;
        op->miou = op->bf = NAN;
        op->done = rl_project_rescore_prediction (p, op->image_id, &op->miou, &op->bf, &stored,
                                                  &op->error);
        op->ms = (g_get_monotonic_time () - t0) / 1000.0;
        if (op->done)
          op->info = rl_project_get_image (p, op->image_id, &op->error);
      }
      break;
    case OP_INFO:
      if (no_project (p, op))
        return;
      op->info = rl_project_get_image (p, op->image_id, &op->error);
      if (op->info != NULL && op->flag)
        op->prediction = optional_mask (p, op->image_id, RL_MASK_PREDICTION, op->info->width,
                                        op->info->height, &op->error);
      if (op->prediction != NULL)
        op->confidence = optional_confidence (p, op->image_id, op->info->width,
                                              op->info->height, op->prediction);
      break;
    case OP_ADD_MODEL:
      {
        if (no_project (p, op))
          return;
        if (op->flag && (rl_project_current_model (p) != 0
                         || !g_file_test (op->path, G_FILE_TEST_IS_REGULAR)))
          {
            op->model = rl_project_current_model (p);
            return;
          }
        g_autofree char *base = g_path_get_basename (op->path);
        /* validated completely there: a broken model is refused now, in one line */
        if (rl_project_add_model (p, base, op->path, 0, NULL, &op->error) == 0)
          return;
        op->done = TRUE;
        op->model = rl_project_current_model (p);
      }
      break;
    case OP_SET_MODEL:
      if (no_project (p, op))
        return;
      if (rl_project_set_current_model (p, op->model, &op->error))
        op->done = TRUE;
      break;
    case OP_CALL:
      if (no_project (p, op))
        return;
      op->call_func (p, op->call_data, &op->error);
      break;
    case OP_SUSPECTS_UPDATE:
    case OP_SUSPECTS_IMAGE:
    case OP_SUSPECT_DISMISS:
    case OP_SUSPECTS_LIST:
      if (no_project (p, op))
        return;
      if ((op->kind == OP_SUSPECTS_UPDATE
           && !rl_suspects_update (p, 0, NULL, NULL, NULL, NULL, &op->error))
          || (op->kind == OP_SUSPECTS_IMAGE && op->region != NULL
              && !rl_suspects_record_accept (p, op->region, &op->error))
          || (op->kind == OP_SUSPECTS_IMAGE
              && !rl_suspects_update_image (p, op->image_id, &op->error))
          || (op->kind == OP_SUSPECT_DISMISS
              && !rl_suspects_dismiss (p, op->model, &op->error)))
        return;
      op->suspects = rl_suspects_list (p, &op->filter, &op->error);
      if (op->suspects != NULL)
        op->pairs = rl_suspects_pairs (p, &op->error);
      break;
    case OP_SUSPECT_REGION:
      if (no_project (p, op))
        return;
      rl_suspects_region_mask (p, op->model, &op->region, &op->width, &op->height,
                               &op->region_mask, &op->error);
      break;
    case OP_FLUSH:
    case OP_QUIT:
      break;
    }
}

static void deliver (Op *op);

static gboolean
deliver_cb (gpointer data)
{
  deliver (data);
  return G_SOURCE_REMOVE;
}

static gpointer
writer_main (gpointer data)
{
  GAsyncQueue *queue = data;
  RlProject *project = NULL;
  for (;;)
    {
      Op *op = g_async_queue_pop (queue);
      if (op->kind == OP_QUIT)
        {
          op_free (op);
          break;
        }
      run_op (&project, op);
      if (op->kind == OP_FLUSH)
        {
          RlSession *self = op->session;
          g_mutex_lock (&self->lock);
          op->flushed = TRUE;
          g_cond_broadcast (&self->cond);
          g_mutex_unlock (&self->lock);
        }
      /* always through a source: g_main_context_invoke would run deliver here, on this
       * thread, whenever the main thread happens not to own its context */
      GSource *source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, deliver_cb, op, NULL);
      g_source_attach (source, op->session->context);
      g_source_unref (source);
    }
  g_clear_pointer (&project, rl_project_close);
  g_async_queue_unref (queue);
  return NULL;
}

/* ---- the main thread */

static void
update_busy (RlSession *self)
{
  gboolean busy = self->job_cancellable != NULL || self->n_thumb_jobs > 0
                  || self->switching_model || self->n_pending > 0;
  if (busy != self->busy)
    {
      self->busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

static Op *
op_new (RlSession *self, OpKind kind, gint64 image_id)
{
  Op *op = g_new0 (Op, 1);
  op->kind = kind;
  op->session = g_object_ref (self);
  op->generation = self->generation;
  op->image_id = image_id;
  return op;
}

static void
queue_op (RlSession *self, Op *op)
{
  self->n_pending++;
  if (op->kind == OP_EDIT || op->kind == OP_UNDO || op->kind == OP_REDO)
    self->n_mask_ops++;
  g_async_queue_push (self->queue, op);
  update_busy (self);
}

static void
emit_error (RlSession *self, const char *prefix, const GError *error)
{
  g_autofree char *msg = g_strdup_printf ("%s%s", prefix ? prefix : "", error->message);
  g_signal_emit (self, signals[SIG_ERROR], 0, msg);
}

/* Replaces a row of the image list (kept in step with the project) and says so. */
static void
image_changed (RlSession *self, RlImageInfo *info)
{
  if (info == NULL || self->images == NULL)
    return;
  for (guint i = 0; i < self->images->len; i++)
    if (((RlImageInfo *) g_ptr_array_index (self->images, i))->id == info->id)
      {
        RlImageInfo *old = g_ptr_array_index (self->images, i);
        RlImageInfo *copy = g_memdup2 (info, sizeof *info);
        copy->name = g_strdup (info->name);
        copy->split = g_strdup (info->split);
        copy->rel_path = g_strdup (info->rel_path);
        g_ptr_array_index (self->images, i) = copy;
        rl_image_info_free (old);
        break;
      }
  g_signal_emit (self, signals[SIG_IMAGE_CHANGED], 0, info);
}

static RlImageInfo *
find_info (RlSession *self, gint64 id)
{
  for (guint i = 0; self->images != NULL && i < self->images->len; i++)
    if (((RlImageInfo *) g_ptr_array_index (self->images, i))->id == id)
      return g_ptr_array_index (self->images, i);
  return NULL;
}

/* After an edit of image id: its prediction's mIoU/BF are scored again on the writer. One
 * queued rescore per image: a later edit is covered by the one that has not started yet. */
static void
queue_rescore (RlSession *self, gint64 id)
{
  RlImageInfo *info = find_info (self, id);
  if (info == NULL || !info->has_prediction)
    return;
  g_mutex_lock (&self->lock);
  gboolean queued = g_hash_table_contains (self->rescore_queued, &id);
  if (!queued)
    g_hash_table_add (self->rescore_queued, g_memdup2 (&id, sizeof id));
  g_mutex_unlock (&self->lock);
  if (!queued)
    queue_op (self, op_new (self, OP_RESCORE, id));
}

static void
clear_image (RlSession *self)
{
  self->image_id = 0;
  self->width = self->height = 0;
  g_clear_pointer (&self->rgb, g_free);
  g_clear_pointer (&self->current, g_free);
  g_clear_pointer (&self->original, g_free);
  g_clear_pointer (&self->prediction, g_free);
  g_clear_pointer (&self->confidence, g_free);
  g_clear_pointer (&self->boundary, g_free);
}

static void start_thumbnails (RlSession *self, char **paths);

/* ---- the boundary-errors map (the Boundary view): rl_metrics_boundary_errors of the current
 * labels against the prediction, the same function and tolerance as the BF figures, computed
 * in a worker thread on copies of the masks so the GTK thread never runs it. */

typedef struct
{
  gint64 image_id;
  guint generation;
  int n_classes, ignore_index, width, height;
  guint8 *truth, *pred, *out;
  char *error;
} BoundaryJob;

static void
boundary_job_free (BoundaryJob *job)
{
  g_free (job->truth);
  g_free (job->pred);
  g_free (job->out);
  g_free (job->error);
  g_free (job);
}

static void
boundary_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  BoundaryJob *job = data;
  RlError err = { { 0 } };
  job->out = g_malloc ((gsize) job->width * job->height);
  if (rl_metrics_boundary_errors (job->n_classes, job->ignore_index, job->truth, job->pred,
                                  job->height, job->width, job->out, &err) != RL_OK)
    {
      job->error = g_strdup (err.text);
      g_clear_pointer (&job->out, g_free);
    }
  g_task_return_boolean (task, TRUE);
}

static void schedule_boundary (RlSession *self);

static void
on_boundary_done (GObject *source, GAsyncResult *result, gpointer data)
{
  RlSession *self = RL_SESSION (source);
  BoundaryJob *job = g_task_get_task_data (G_TASK (result));
  self->boundary_running = FALSE;
  if (job->generation == self->generation && job->image_id == self->image_id
      && !self->boundary_dirty)
    {
      if (job->error != NULL)
        {
          g_autofree char *msg = g_strdup_printf ("%s: boundary errors: %s", self->path,
                                                  job->error);
          g_signal_emit (self, signals[SIG_ERROR], 0, msg);
        }
      g_free (self->boundary);
      self->boundary = g_steal_pointer (&job->out);
      g_signal_emit (self, signals[SIG_BOUNDARY_ERRORS], 0, self->image_id);
    }
  if (self->boundary_dirty)
    {
      self->boundary_dirty = FALSE;
      schedule_boundary (self);
    }
}

/* After the shown image, its labels or its prediction changed: computes the map again when the
 * Boundary view wants it (a change while it runs is picked up by one more run after it). */
static void
schedule_boundary (RlSession *self)
{
  if (!self->boundary_wanted || self->image_id == 0 || self->current == NULL
      || self->spec == NULL)
    return;
  if (self->boundary_running)
    {
      self->boundary_dirty = TRUE;
      return;
    }
  if (self->prediction == NULL)
    {
      /* nothing to compare with: no boundary errors to show */
      g_clear_pointer (&self->boundary, g_free);
      g_signal_emit (self, signals[SIG_BOUNDARY_ERRORS], 0, self->image_id);
      return;
    }
  BoundaryJob *job = g_new0 (BoundaryJob, 1);
  job->image_id = self->image_id;
  job->generation = self->generation;
  job->n_classes = self->spec->n_classes;
  job->ignore_index = self->spec->ignore_index;
  job->width = self->width;
  job->height = self->height;
  job->truth = g_memdup2 (self->current, (gsize) self->width * self->height);
  job->pred = g_memdup2 (self->prediction, (gsize) self->width * self->height);
  self->boundary_running = TRUE;
  g_autoptr (GTask) task = g_task_new (self, NULL, on_boundary_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) boundary_job_free);
  g_task_run_in_thread (task, boundary_thread);
}

static void
deliver_mask_op (RlSession *self, Op *op)
{
  self->n_mask_ops--;
  if (op->info != NULL)
    {
      g_autoptr (RlImageInfo) info = g_steal_pointer (&op->info);
      image_changed (self, info);
    }
  if (op->error != NULL)
    emit_error (self, op->kind == OP_EDIT ? "The edit was not saved: " : NULL, op->error);
  else if ((op->kind == OP_UNDO || op->kind == OP_REDO) && !op->done)
    g_signal_emit (self, signals[SIG_NOTICE], 0,
                   op->kind == OP_REDO ? "Nothing to redo" : "Nothing to undo");
  if (op->error == NULL && (op->n_changed > 0 || op->done))
    queue_rescore (self, op->image_id);
  if (op->error == NULL && op->done && self->suspects_wanted)
    {
      Op *sop = op_new (self, OP_SUSPECTS_IMAGE, op->image_id);
      sop->filter = self->suspect_filter;
      queue_op (self, sop);
    }
  /* once the writer has caught up, the copy is what the project holds */
  if (self->n_mask_ops == 0 && op->image_id == self->image_id && op->current != NULL
      && self->current != NULL && self->want_image == self->image_id
      && memcmp (op->current, self->current, (gsize) self->width * self->height) != 0)
    {
      memcpy (self->current, op->current, (gsize) self->width * self->height);
      g_signal_emit (self, signals[SIG_MASK_CHANGED], 0, self->image_id, 0, 0, self->width,
                     self->height);
      schedule_boundary (self);
    }
}

static void
deliver (Op *op)
{
  RlSession *self = op->session;
  self->n_pending--;
  gboolean stale = op->generation != self->generation;
  switch (op->kind)
    {
    case OP_OPEN:
      if (stale)
        break;
      if (op->error != NULL)
        {
          emit_error (self, NULL, op->error);
          break;
        }
      g_clear_pointer (&self->images, g_ptr_array_unref);
      self->images = g_steal_pointer (&op->images);
      g_clear_pointer (&self->spec, rl_class_spec_free);
      self->spec = g_steal_pointer (&op->spec);
      self->current_model = op->model;
      g_signal_emit (self, signals[SIG_PROJECT_OPENED], 0);
      start_thumbnails (self, op->paths);
      break;
    case OP_LOAD:
      if (stale || op->image_id != self->want_image)
        break;
      clear_image (self);
      if (op->error != NULL)
        {
          RlImageInfo *info = find_info (self, op->image_id);
          g_autofree char *prefix = g_strdup_printf ("%s: ", info ? info->name : "image");
          emit_error (self, prefix, op->error);
          self->want_image = 0;
          g_signal_emit (self, signals[SIG_IMAGE_LOADED], 0, (gint64) 0);
          break;
        }
      self->image_id = op->image_id;
      self->width = op->width;
      self->height = op->height;
      self->rgb = g_steal_pointer (&op->rgb);
      self->current = g_steal_pointer (&op->current);
      self->original = g_steal_pointer (&op->original);
      self->prediction = g_steal_pointer (&op->prediction);
      self->confidence = g_steal_pointer (&op->confidence);
      if (self->current == NULL)   /* an image without labels shows all void */
        self->current = g_malloc0 ((gsize) self->width * self->height);
      rl_superpixel_prep_start (self->superpixels, self->image_id, self->width, self->height,
                                self->rgb);
      g_signal_emit (self, signals[SIG_IMAGE_LOADED], 0, self->image_id);
      schedule_boundary (self);
      break;
    case OP_EDIT:
    case OP_UNDO:
    case OP_REDO:
      if (stale)
        self->n_mask_ops--;
      else
        deliver_mask_op (self, op);
      break;
    case OP_STATUS:
    case OP_INFO:
      if (stale)
        break;
      if (op->error != NULL)
        emit_error (self, NULL, op->error);
      if (op->info != NULL)
        {
          g_autoptr (RlImageInfo) info = g_steal_pointer (&op->info);
          image_changed (self, info);
        }
      if (op->prediction != NULL && op->image_id == self->image_id && self->rgb != NULL)
        {
          g_free (self->prediction);
          self->prediction = g_steal_pointer (&op->prediction);
          g_free (self->confidence);
          self->confidence = g_steal_pointer (&op->confidence);
          g_signal_emit (self, signals[SIG_PREDICTION_CHANGED], 0, op->image_id);
          schedule_boundary (self);
        }
      break;
    case OP_RESCORE:
      if (stale)
        break;
      g_signal_emit (self, signals[SIG_RESCORED], 0, op->image_id,
                     op->error == NULL && op->done, op->miou, op->bf, op->ms);
      if (op->error != NULL)
        emit_error (self, "The prediction's scores were not updated: ", op->error);
      else if (op->info != NULL)
        {
          g_autoptr (RlImageInfo) info = g_steal_pointer (&op->info);
          image_changed (self, info);
        }
      break;
    case OP_ADD_MODEL:
      if (stale)
        break;
      if (op->error != NULL)
        emit_error (self, NULL, op->error);
      else
        {
          self->current_model = op->model;
          if (op->done)
            {
              g_autofree char *base = g_path_get_basename (op->path);
              g_autofree char *msg = g_strdup_printf ("Model %s added to the project", base);
              g_signal_emit (self, signals[SIG_NOTICE], 0, msg);
            }
        }
      break;
    case OP_SET_MODEL:
      self->switching_model = FALSE;
      if (stale)
        break;
      if (op->done)
        self->current_model = op->model;
      g_signal_emit (self, signals[SIG_JOB_FINISHED], 0, "current-model", op->done, op->error,
                     &op->model);
      break;
    case OP_CALL:
      if (!stale && op->call_done != NULL)
        op->call_done (self, op->call_data, op->error);
      break;
    case OP_SUSPECTS_LIST:
    case OP_SUSPECTS_UPDATE:
    case OP_SUSPECTS_IMAGE:
    case OP_SUSPECT_DISMISS:
      if (stale)
        break;
      if (op->error != NULL)
        emit_error (self, "The suspects queue: ", op->error);
      if (op->suspects != NULL && op->pairs != NULL)
        {
          g_clear_pointer (&self->suspects, g_ptr_array_unref);
          g_clear_pointer (&self->suspect_pairs, g_ptr_array_unref);
          self->suspects = g_steal_pointer (&op->suspects);
          self->suspect_pairs = g_steal_pointer (&op->pairs);
          self->suspect_filter = op->filter;
          g_signal_emit (self, signals[SIG_SUSPECTS_CHANGED], 0);
        }
      break;
    case OP_SUSPECT_REGION:
      if (stale)
        break;
      if (op->error != NULL)
        {
          emit_error (self, NULL, op->error);
          g_signal_emit (self, signals[SIG_SUSPECT_REGION], 0, op->model, (gint64) 0);
          break;
        }
      g_clear_pointer (&self->suspect_region, rl_suspect_region_free);
      g_clear_pointer (&self->suspect_mask, g_bytes_unref);
      self->suspect_region = g_steal_pointer (&op->region);
      self->suspect_w = op->width;
      self->suspect_h = op->height;
      self->suspect_mask = g_bytes_new_take (g_steal_pointer (&op->region_mask),
                                             (gsize) op->width * op->height);
      g_signal_emit (self, signals[SIG_SUSPECT_REGION], 0, op->model,
                     self->suspect_region->image_id);
      break;
    case OP_FLUSH:
    case OP_QUIT:
      break;
    }
  update_busy (self);
  op_free (op);
}

/* ---- thumbnails */

static void
on_thumbnail (gint64 image_id, int width, int height, GBytes *rgb, gpointer data)
{
  g_signal_emit (data, signals[SIG_THUMBNAIL], 0, image_id, width, height, rgb);
}

static void
on_thumbnails_done (GObject *source, GAsyncResult *result, gpointer data)
{
  RlSession *self = RL_SESSION (source);
  /* unreadable images were skipped: their rows simply keep no thumbnail */
  rl_thumbnails_finish (result, NULL);
  self->n_thumb_jobs--;
  update_busy (self);
}

static void
start_thumbnails (RlSession *self, char **paths)
{
  guint n = self->images ? self->images->len : 0;
  if (self->thumb_cancellable != NULL)
    g_cancellable_cancel (self->thumb_cancellable);
  g_clear_object (&self->thumb_cancellable);
  self->thumb_cancellable = g_cancellable_new ();
  if (n == 0 || paths == NULL)
    return;
  g_autofree gint64 *ids = g_new (gint64, n);
  for (guint i = 0; i < n; i++)
    ids[i] = ((RlImageInfo *) g_ptr_array_index (self->images, i))->id;
  self->n_thumb_jobs++;
  rl_thumbnails_async (self, (const char *const *) paths, ids, n, 64, on_thumbnail, self,
                       self->thumb_cancellable, on_thumbnails_done, NULL);
  update_busy (self);
}

/* ---- public API */

RlSession *
rl_session_new (void)
{
  return g_object_new (RL_TYPE_SESSION, NULL);
}

static void
open_project (RlSession *self, const char *path, gboolean demo, const char *data_dir)
{
  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
  self->generation++;
  clear_image (self);
  self->want_image = 0;
  g_free (self->path);
  self->path = g_strdup (path);
  Op *op = op_new (self, OP_OPEN, 0);
  op->path = g_strdup (path);
  op->flag = demo;
  op->data_dir = g_strdup (data_dir);
  queue_op (self, op);
}

void
rl_session_open (RlSession *self, const char *path)
{
  g_return_if_fail (RL_IS_SESSION (self));
  open_project (self, path, FALSE, NULL);
}

void
rl_session_open_demo (RlSession *self, const char *path, const char *data_dir)
{
  g_return_if_fail (RL_IS_SESSION (self));
  open_project (self, path, TRUE, data_dir);
}

const char *
rl_session_get_path (RlSession *self)
{
  return self->path;
}

GPtrArray *
rl_session_get_images (RlSession *self)
{
  return self->images;
}

const RlClassSpec *
rl_session_get_class_spec (RlSession *self)
{
  return self->spec;
}

gint64
rl_session_get_current_model (RlSession *self)
{
  return self->current_model;
}

void
rl_session_select_image (RlSession *self, gint64 image_id)
{
  g_return_if_fail (RL_IS_SESSION (self));
  self->want_image = image_id;
  if (image_id == 0)
    {
      clear_image (self);
      g_signal_emit (self, signals[SIG_IMAGE_LOADED], 0, (gint64) 0);
      return;
    }
  queue_op (self, op_new (self, OP_LOAD, image_id));
}

gint64
rl_session_get_image_id (RlSession *self)
{
  return self->image_id;
}

gboolean
rl_session_get_image (RlSession *self, int *width, int *height, const guint8 **rgb,
                      const guint8 **current, const guint8 **original,
                      const guint8 **prediction)
{
  if (width)
    *width = self->width;
  if (height)
    *height = self->height;
  if (rgb)
    *rgb = self->rgb;
  if (current)
    *current = self->current;
  if (original)
    *original = self->original;
  if (prediction)
    *prediction = self->prediction;
  return self->rgb != NULL;
}

const guint8 *
rl_session_get_confidence (RlSession *self)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  return self->rgb != NULL && self->prediction != NULL ? self->confidence : NULL;
}

gboolean
rl_session_apply_edit (RlSession *self, const RlEdit *edit, guint *n_changed, GError **error)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  if (n_changed)
    *n_changed = 0;
  if (self->current == NULL || self->image_id != self->want_image)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND, "no image is shown");
      return FALSE;
    }
  RlImageInfo *info = find_info (self, self->image_id);
  g_autofree char *where = g_strdup_printf ("%s: image '%s'", self->path,
                                            info ? info->name : "?");
  RlEditTarget target = { self->spec, self->width, self->height, self->original,
                          self->prediction, where };
  guint changed = 0;
  int box[4];
  if (!rl_edit_apply (edit, &target, self->current, &changed, box, error))
    return FALSE;
  if (n_changed)
    *n_changed = changed;
  if (changed == 0)
    return TRUE;   /* nothing to record, as the project does */
  g_signal_emit (self, signals[SIG_MASK_CHANGED], 0, self->image_id, box[0], box[1], box[2],
                 box[3]);
  schedule_boundary (self);
  Op *op = op_new (self, OP_EDIT, self->image_id);
  op->edit = rl_edit_copy (edit);
  queue_op (self, op);
  return TRUE;
}

void
rl_session_set_boundary_errors_wanted (RlSession *self, gboolean wanted)
{
  g_return_if_fail (RL_IS_SESSION (self));
  if (wanted == self->boundary_wanted)
    return;
  self->boundary_wanted = wanted;
  if (wanted)
    schedule_boundary (self);
  else
    g_clear_pointer (&self->boundary, g_free);
}

const guint8 *
rl_session_get_boundary_errors (RlSession *self)
{
  return self->boundary;
}

void
rl_session_undo (RlSession *self)
{
  if (self->image_id != 0)
    queue_op (self, op_new (self, OP_UNDO, self->image_id));
}

void
rl_session_redo (RlSession *self)
{
  if (self->image_id != 0)
    queue_op (self, op_new (self, OP_REDO, self->image_id));
}

void
rl_session_set_status (RlSession *self, gint64 image_id, RlImageStatus status)
{
  Op *op = op_new (self, OP_STATUS, image_id);
  op->status = status;
  queue_op (self, op);
}

void
rl_session_add_model (RlSession *self, const char *path, gboolean only_if_none)
{
  Op *op = op_new (self, OP_ADD_MODEL, 0);
  op->path = g_strdup (path);
  op->flag = only_if_none;
  queue_op (self, op);
}

gboolean
rl_session_is_busy (RlSession *self)
{
  return self->busy;
}

gboolean
rl_session_has_job (RlSession *self)
{
  return self->job_cancellable != NULL;
}

/* ---- the suspects queue */

static void
queue_suspects_op (RlSession *self, OpKind kind, gint64 image_id, gint64 arg,
                   const RlSuspectFilter *filter, RlSuspectRegion *accepted)
{
  Op *op = op_new (self, kind, image_id);
  op->model = arg;
  op->region = accepted;   /* taken: an accepted suggestion to record first */
  if (filter != NULL)
    op->filter = *filter;
  else if (self->suspects_wanted)
    op->filter = self->suspect_filter;
  else
    rl_suspect_filter_init (&op->filter);
  self->suspects_wanted = TRUE;
  queue_op (self, op);
}

void
rl_session_list_suspects (RlSession *self, const RlSuspectFilter *filter)
{
  g_return_if_fail (RL_IS_SESSION (self));
  queue_suspects_op (self, OP_SUSPECTS_LIST, 0, 0, filter, NULL);
}

void
rl_session_update_suspects (RlSession *self)
{
  g_return_if_fail (RL_IS_SESSION (self));
  queue_suspects_op (self, OP_SUSPECTS_UPDATE, 0, 0, NULL, NULL);
}

GPtrArray *
rl_session_get_suspects (RlSession *self)
{
  return self->suspects;
}

GPtrArray *
rl_session_get_suspect_pairs (RlSession *self)
{
  return self->suspect_pairs;
}

void
rl_session_load_suspect (RlSession *self, gint64 suspect_id)
{
  g_return_if_fail (RL_IS_SESSION (self));
  Op *op = op_new (self, OP_SUSPECT_REGION, 0);
  op->model = suspect_id;
  queue_op (self, op);
}

const RlSuspectRegion *
rl_session_get_suspect_region (RlSession *self, GBytes **mask, int *width, int *height)
{
  if (mask != NULL)
    *mask = self->suspect_mask;
  if (width != NULL)
    *width = self->suspect_w;
  if (height != NULL)
    *height = self->suspect_h;
  return self->suspect_region;
}

gboolean
rl_session_accept_suspect (RlSession *self, gint64 suspect_id, guint *n_changed,
                           GError **error)
{
  g_return_val_if_fail (RL_IS_SESSION (self), FALSE);
  if (n_changed != NULL)
    *n_changed = 0;
  const RlSuspectRegion *r = self->suspect_region;
  if (r == NULL || r->id != suspect_id || self->suspect_mask == NULL)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "the suspected region is not loaded yet");
      return FALSE;
    }
  if (self->image_id != r->image_id || self->current == NULL
      || self->width != self->suspect_w || self->height != self->suspect_h)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND,
                   "the suspected region's image '%s' is not shown", r->image);
      return FALSE;
    }
  /* the region's pixels still labelled its labelled class, over its bounding box: the same
   * RL_EDIT_REGION a GUI tool sends */
  const guint8 *m = g_bytes_get_data (self->suspect_mask, NULL);
  int x0 = self->width, y0 = self->height, x1 = 0, y1 = 0;
  for (int y = 0; y < self->height; y++)
    for (int x = 0; x < self->width; x++)
      {
        gsize i = (gsize) y * self->width + x;
        if (m[i] && self->current[i] == r->labelled)
          {
            x0 = MIN (x0, x);
            y0 = MIN (y0, y);
            x1 = MAX (x1, x + 1);
            y1 = MAX (y1, y + 1);
          }
      }
  if (x0 >= x1)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: the suspected region in '%s' is no longer labelled %d", self->path,
                   r->image, r->labelled);
      return FALSE;
    }
  g_autoptr (RlEdit) edit = rl_edit_new (RL_EDIT_REGION, "accept-suggestion");
  edit->source = RL_EDIT_SOURCE_CLASS;
  edit->protect = RL_PROTECT_NONE;
  edit->cls = r->suggested;
  edit->region_x = x0;
  edit->region_y = y0;
  edit->region_w = x1 - x0;
  edit->region_h = y1 - y0;
  edit->region = g_malloc0 ((gsize) edit->region_w * edit->region_h);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        gsize i = (gsize) y * self->width + x;
        edit->region[(gsize) (y - y0) * edit->region_w + (x - x0)] =
          m[i] && self->current[i] == r->labelled;
      }
  RlSuspectRegion *accepted = rl_suspect_region_copy (r);
  if (!rl_session_apply_edit (self, edit, n_changed, error))
    {
      rl_suspect_region_free (accepted);
      return FALSE;
    }
  /* after the edit on the writer: the answer (which weighs its class pair in the queue), that
   * image's queue again, then the list */
  queue_suspects_op (self, OP_SUSPECTS_IMAGE, accepted->image_id, 0, NULL, accepted);
  return TRUE;
}

void
rl_session_dismiss_suspect (RlSession *self, gint64 suspect_id)
{
  g_return_if_fail (RL_IS_SESSION (self));
  queue_suspects_op (self, OP_SUSPECT_DISMISS, 0, suspect_id, NULL, NULL);
}

/* ---- jobs */

static int
job_threads (int threads)
{
  /* leave a core to the interface */
  return threads > 0 ? threads : MAX (1, (int) g_get_num_processors () - 1);
}

static void
start_job (RlSession *self, const char *kind)
{
  self->job_cancellable = g_cancellable_new ();
  self->job_kind = kind;
  update_busy (self);
}

static void
end_job (RlSession *self)
{
  g_clear_object (&self->job_cancellable);
  self->job_kind = NULL;
}

static void
on_prelabel_progress (guint done, guint total, gint64 image_id, gpointer data)
{
  RlSession *self = data;
  g_autofree char *text = g_strdup_printf ("Pre-labelling %u/%u", done, total);
  g_signal_emit (self, signals[SIG_JOB_PROGRESS], 0, total ? (double) done / total : 0.0, text);
  if (image_id != 0)
    {
      /* the worker stored it on its own connection: read the new row (and the prediction of
       * the shown image) back on the writer */
      Op *op = op_new (self, OP_INFO, image_id);
      op->flag = image_id == self->image_id;
      queue_op (self, op);
    }
}

static void
on_prelabel_done (GObject *source, GAsyncResult *result, gpointer data)
{
  RlSession *self = RL_SESSION (source);
  g_autoptr (GError) error = NULL;
  guint n_done = 0;
  gboolean ok = rl_prelabel_finish (result, &n_done, &error);
  end_job (self);
  g_signal_emit (self, signals[SIG_JOB_FINISHED], 0, "prelabel", ok, error, &n_done);
  update_busy (self);
}

void
rl_session_prelabel (RlSession *self, const gint64 *image_ids, guint n, int threads)
{
  g_return_if_fail (RL_IS_SESSION (self));
  if (self->job_cancellable != NULL || self->path == NULL || n == 0)
    return;
  if (self->current_model == 0)
    {
      g_signal_emit (self, signals[SIG_ERROR], 0,
                     "This project has no model yet: add one with “Add Model to Project…” in "
                     "the main menu.");
      return;
    }
  start_job (self, "prelabel");
  rl_prelabel_async (self, self->path, self->current_model, image_ids, n, job_threads (threads),
                     on_prelabel_progress, self, self->job_cancellable, on_prelabel_done, NULL);
}

static void
on_retrain_progress (const RlFinetuneProgress *p, gpointer data)
{
  g_autofree char *text = NULL;
  switch (p->phase)
    {
    case RL_FINETUNE_PREPARE:
      text = g_strdup_printf ("Retrain: preparing labels %d/%d", p->done, p->total);
      break;
    case RL_FINETUNE_TRAIN:
      if (isfinite (p->eta_s) && isfinite (p->loss))
        text = g_strdup_printf ("Retrain: step %d/%d · loss %.3f · %.0f s left", p->done,
                                p->total, p->loss, p->eta_s);
      else
        text = g_strdup_printf ("Retrain: step %d/%d", p->done, p->total);
      break;
    case RL_FINETUNE_EVAL:
    default:
      text = g_strdup_printf ("Retrain: scoring image %d/%d (before and after)", p->done,
                              p->total);
      break;
    }
  g_signal_emit (data, signals[SIG_JOB_PROGRESS], 0,
                 p->total ? (double) p->done / p->total : 0.0, text);
}

static void
on_retrain_done (GObject *source, GAsyncResult *result, gpointer data)
{
  RlSession *self = RL_SESSION (source);
  g_autoptr (GError) error = NULL;
  RlFinetuneResult r;
  memset (&r, 0, sizeof r);
  gboolean ok = rl_retrain_finish (result, &r, &error);
  end_job (self);
  if (ok)
    self->current_model = r.current_id;
  g_signal_emit (self, signals[SIG_JOB_FINISHED], 0, "retrain", ok, error, &r);
  if (ok)
    rl_finetune_result_clear (&r);
  update_busy (self);
}

void
rl_session_retrain (RlSession *self, const RlFinetuneOptions *opt)
{
  g_return_if_fail (RL_IS_SESSION (self));
  if (self->job_cancellable != NULL || self->path == NULL)
    return;
  if (self->current_model == 0)
    {
      g_signal_emit (self, signals[SIG_ERROR], 0,
                     "This project has no model to retrain: train one from its labels with "
                     "“Train New Model…” or add one with “Add Model to Project…”.");
      return;
    }
  RlFinetuneOptions o = *opt;
  o.threads = job_threads (o.threads);
  start_job (self, "retrain");
  rl_retrain_async (self, self->path, &o, on_retrain_progress, self, self->job_cancellable,
                    on_retrain_done, NULL);
}

static void
on_import_progress (guint done, guint total, gint64 image_id, gpointer data)
{
  g_autofree char *text = g_strdup_printf ("Importing %u/%u", done, total);
  g_signal_emit (data, signals[SIG_JOB_PROGRESS], 0, total ? (double) done / total : 0.0, text);
}

static void
on_import_done (GObject *source, GAsyncResult *result, gpointer data)
{
  RlSession *self = RL_SESSION (source);
  g_autofree char *path = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) problems = NULL;
  guint n_added = 0;
  gboolean ok = rl_import_finish (result, &n_added, &problems, &error);
  end_job (self);
  if (ok)
    {
      rl_session_open (self, path);
      if (problems != NULL && problems->len > 0)
        {
          g_autofree char *msg = g_strdup_printf ("%u images imported, %u skipped; first: %s",
                                                  n_added, problems->len,
                                                  (const char *) g_ptr_array_index (problems, 0));
          g_signal_emit (self, signals[SIG_ERROR], 0, msg);
        }
    }
  g_signal_emit (self, signals[SIG_JOB_FINISHED], 0, "import", ok, error, path);
  update_busy (self);
}

void
rl_session_import (RlSession *self, const char *project_path, const char *kind,
                   const char *dataset_path)
{
  g_return_if_fail (RL_IS_SESSION (self));
  if (self->job_cancellable != NULL)
    return;
  start_job (self, "import");
  rl_import_async (self, project_path, kind, dataset_path, on_import_progress, self,
                   self->job_cancellable, on_import_done, g_strdup (project_path));
}

void
rl_session_set_current_model (RlSession *self, gint64 model_id)
{
  if (self->path == NULL || self->switching_model)
    return;
  self->switching_model = TRUE;
  Op *op = op_new (self, OP_SET_MODEL, 0);
  op->model = model_id;
  queue_op (self, op);
}

void
rl_session_cancel_job (RlSession *self)
{
  if (self->job_cancellable != NULL)
    g_cancellable_cancel (self->job_cancellable);
}

void
rl_session_shutdown (RlSession *self)
{
  rl_session_cancel_job (self);
  if (self->thumb_cancellable != NULL)
    g_cancellable_cancel (self->thumb_cancellable);
  g_mutex_lock (&self->lock);
  g_hash_table_remove_all (self->rescore_queued);
  g_mutex_unlock (&self->lock);
}

void
rl_session_flush (RlSession *self)
{
  Op *op = op_new (self, OP_FLUSH, 0);
  Op *watch = op;
  queue_op (self, op);
  g_mutex_lock (&self->lock);
  while (!watch->flushed)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  /* the FLUSH op is freed by its delivery: deliver everything queued up to it */
  while (self->n_pending > 0)
    g_main_context_iteration (self->context, TRUE);
}

/* ---- extensions (rl-session.h: "Extending the session") */

void
rl_session_call (RlSession *self, RlSessionCallFunc func, RlSessionCallDone done, gpointer data,
                 GDestroyNotify destroy)
{
  g_return_if_fail (RL_IS_SESSION (self) && func != NULL);
  Op *op = op_new (self, OP_CALL, 0);
  op->call_func = func;
  op->call_done = done;
  op->call_data = data;
  op->call_destroy = destroy;
  queue_op (self, op);
}

GCancellable *
rl_session_begin_job (RlSession *self, const char *kind)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  if (self->job_cancellable != NULL || self->path == NULL)
    return NULL;
  start_job (self, kind);
  return self->job_cancellable;
}

void
rl_session_job_progress (RlSession *self, double fraction, const char *text)
{
  g_signal_emit (self, signals[SIG_JOB_PROGRESS], 0, fraction, text);
}

void
rl_session_end_job (RlSession *self, const char *kind, gboolean ok, const GError *error,
                    gpointer result)
{
  end_job (self);
  g_signal_emit (self, signals[SIG_JOB_FINISHED], 0, kind, ok, error, result);
  update_busy (self);
}

void
rl_session_refresh_image (RlSession *self, gint64 image_id)
{
  Op *op = op_new (self, OP_INFO, image_id);
  op->flag = image_id == self->image_id;
  queue_op (self, op);
}

int
rl_session_job_threads (RlSession *self)
{
  return job_threads (0);
}

/* ---- GObject */

static void
rl_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  RlSession *self = RL_SESSION (object);
  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rl_session_dispose (GObject *object)
{
  RlSession *self = RL_SESSION (object);
  rl_session_shutdown (self);
  G_OBJECT_CLASS (rl_session_parent_class)->dispose (object);
}

static void
rl_session_finalize (GObject *object)
{
  RlSession *self = RL_SESSION (object);
  /* every op holds a reference: none is queued now. The writer ends after QUIT. */
  Op *quit = g_new0 (Op, 1);
  quit->kind = OP_QUIT;
  g_async_queue_push (self->queue, quit);
  g_thread_join (self->writer);
  g_async_queue_unref (self->queue);
  g_main_context_unref (self->context);
  g_clear_object (&self->job_cancellable);
  g_clear_object (&self->thumb_cancellable);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_clear_pointer (&self->spec, rl_class_spec_free);
  g_clear_pointer (&self->suspects, g_ptr_array_unref);
  g_clear_pointer (&self->suspect_pairs, g_ptr_array_unref);
  g_clear_pointer (&self->suspect_region, rl_suspect_region_free);
  g_clear_pointer (&self->suspect_mask, g_bytes_unref);
  g_hash_table_unref (self->rescore_queued);
  g_clear_pointer (&self->superpixels, rl_superpixel_prep_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  clear_image (self);
  g_free (self->path);
  G_OBJECT_CLASS (rl_session_parent_class)->finalize (object);
}

static void
rl_session_class_init (RlSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->get_property = rl_session_get_property;
  object_class->dispose = rl_session_dispose;
  object_class->finalize = rl_session_finalize;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  GType t = G_TYPE_FROM_CLASS (klass);
  signals[SIG_PROJECT_OPENED] = g_signal_new ("project-opened", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 0);
  signals[SIG_IMAGE_LOADED] = g_signal_new ("image-loaded", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                            NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIG_MASK_CHANGED] = g_signal_new ("mask-changed", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                            NULL, G_TYPE_NONE, 5, G_TYPE_INT64, G_TYPE_INT,
                                            G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  signals[SIG_PREDICTION_CHANGED] = g_signal_new ("prediction-changed", t, G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 1,
                                                  G_TYPE_INT64);
  signals[SIG_IMAGE_CHANGED] = g_signal_new ("image-changed", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                             NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIG_THUMBNAIL] = g_signal_new ("thumbnail", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 4, G_TYPE_INT64, G_TYPE_INT, G_TYPE_INT,
                                         G_TYPE_BYTES);
  signals[SIG_NOTICE] = g_signal_new ("notice", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                      G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIG_ERROR] = g_signal_new ("error", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                     G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIG_JOB_PROGRESS] = g_signal_new ("job-progress", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                            NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_STRING);
  signals[SIG_JOB_FINISHED] = g_signal_new ("job-finished", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                            NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_BOOLEAN,
                                            G_TYPE_POINTER, G_TYPE_POINTER);
  signals[SIG_BOUNDARY_ERRORS] = g_signal_new ("boundary-errors", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                               NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIG_RESCORED] = g_signal_new ("rescored", t, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 5, G_TYPE_INT64, G_TYPE_BOOLEAN,
                                        G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  signals[SIG_SUPERPIXELS_READY] = g_signal_new ("superpixels-ready", t, G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 2,
                                                 G_TYPE_INT64, G_TYPE_INT);
  signals[SIG_SUSPECTS_CHANGED] = g_signal_new ("suspects-changed", t, G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIG_SUSPECT_REGION] = g_signal_new ("suspect-region", t, G_SIGNAL_RUN_LAST, 0, NULL,
                                              NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64,
                                              G_TYPE_INT64);
}

static void
on_superpixels_ready (gint64 image_id, int size, gpointer data)
{
  RlSession *self = data;
  if (image_id == self->image_id)
    g_signal_emit (self, signals[SIG_SUPERPIXELS_READY], 0, image_id, size);
}

RlSuperpixels *
rl_session_get_superpixels (RlSession *self, int size)
{
  g_return_val_if_fail (RL_IS_SESSION (self), NULL);
  if (self->image_id == 0 || self->superpixels == NULL)
    return NULL;
  return rl_superpixel_prep_lookup (self->superpixels, self->image_id, size);
}

static void
rl_session_init (RlSession *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->rescore_queued = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->superpixels = rl_superpixel_prep_new (self->context, on_superpixels_ready, self);
  self->queue = g_async_queue_new ();
  self->writer = g_thread_new ("relabel-writer", writer_main, g_async_queue_ref (self->queue));
}
