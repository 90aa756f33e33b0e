/* Background jobs: pre-label runs SegNet inference on a worker thread (GTask) with its own
 * project connection, stores each prediction there and tells the caller's main context. */
#include "rl-jobs.h"

#include <glib/gstdio.h>
#include <math.h>

#include "rl-image-io.h"
#include "rl-image-metrics.h"
#include "rl-job-post.h"
#include "rl-model.h"
#include "rl-project.h"
#include "rl-project-suspects.h"

/* First member of every job's task data, so progress delivery is shared. */
typedef struct
{
  RlJobProgress progress;
  gpointer progress_data;
} JobHead;

typedef struct
{
  JobHead head;
  char *project_path;
  gint64 model_id;
  gint64 *ids;
  guint n;
  int n_threads;
  guint n_done;
} PrelabelData;

typedef struct
{
  guint done, total;
  gint64 image_id;
} ProgressMsg;

static void
prelabel_data_free (PrelabelData *d)
{
  g_free (d->project_path);
  g_free (d->ids);
  g_free (d);
}

static void
deliver_progress (GTask *task, gconstpointer value)
{
  const ProgressMsg *m = value;
  JobHead *head = g_task_get_task_data (task);
  if (head->progress != NULL)
    head->progress (m->done, m->total, m->image_id, head->progress_data);
}

static void
post_progress (GTask *task, guint done, guint total, gint64 image_id)
{
  ProgressMsg m = { done, total, image_id };
  rl_job_post (task, G_PRIORITY_DEFAULT, deliver_progress, &m, sizeof m, NULL);
}

static int
abort_if_cancelled (void *data)
{
  return g_cancellable_is_cancelled (data) ? 1 : 0;
}

static void
prelabel_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  PrelabelData *d = task_data;
  g_autoptr (GError) error = NULL;
  rl_job_lower_priority ();

  /* this thread's own connection: an RlProject is used from one thread only */
  RlProject *project = rl_project_open (d->project_path, FALSE, &error);
  if (project == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  RlModel *model = rl_project_load_model (project, d->model_id, &error);
  if (model == NULL)
    {
      rl_project_close (project);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  gboolean ok = TRUE;
  for (guint i = 0; i < d->n && ok; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        {
          ok = FALSE;
          break;
        }
      /* The prediction and its confidences (for the suspects queue) in one call. */
      if (!rl_suspects_predict_image (project, model, d->model_id, d->ids[i], d->n_threads,
                                      abort_if_cancelled, cancellable, &error))
        {
          ok = FALSE;
          break;
        }
      d->n_done++;
      post_progress (task, i + 1, d->n, d->ids[i]);
    }
  rl_model_free (model);
  rl_project_close (project);

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
rl_prelabel_async (gpointer source_object, const char *project_path, gint64 model_id,
                   const gint64 *image_ids, guint n_images, int n_threads,
                   RlJobProgress progress, gpointer data, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, cancellable, callback, user_data);
  PrelabelData *d = g_new0 (PrelabelData, 1);

  g_task_set_source_tag (task, rl_prelabel_async);
  d->project_path = g_strdup (project_path);
  d->model_id = model_id;
  d->ids = g_memdup2 (image_ids, sizeof (gint64) * MAX (n_images, 1));
  d->n = n_images;
  d->n_threads = n_threads;
  d->head.progress = progress;
  d->head.progress_data = data;
  g_task_set_task_data (task, d, (GDestroyNotify) prelabel_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, prelabel_thread);
}

gboolean
rl_prelabel_finish (GAsyncResult *result, guint *n_done, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  PrelabelData *d = g_task_get_task_data (G_TASK (result));
  if (n_done != NULL)
    *n_done = d->n_done;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- retrain */

typedef struct
{
  RlRetrainProgress progress;
  gpointer progress_data;
  char *project_path;
  char *model, *out, *name, *train_split, *val_split;  /* owned copies of opt's strings */
  RlFinetuneOptions opt;
  RlFinetuneResult result;
  GCancellable *cancellable;
} RetrainData;

static void
retrain_data_free (RetrainData *d)
{
  g_free (d->project_path);
  g_free (d->model);
  g_free (d->out);
  g_free (d->name);
  g_free (d->train_split);
  g_free (d->val_split);
  rl_finetune_result_clear (&d->result);
  g_clear_object (&d->cancellable);
  g_free (d);
}

static void
deliver_retrain_progress (GTask *task, gconstpointer value)
{
  RetrainData *d = g_task_get_task_data (task);
  d->progress (value, d->progress_data);
}

/* Runs on the worker: marshal a copy to the caller's main context. */
static void
retrain_progress (const RlFinetuneProgress *p, gpointer data)
{
  GTask *task = data;
  RetrainData *d = g_task_get_task_data (task);
  if (d->progress != NULL)
    rl_job_post (task, G_PRIORITY_DEFAULT, deliver_retrain_progress, p, sizeof *p, NULL);
}

static gboolean
retrain_should_stop (gpointer data)
{
  RetrainData *d = g_task_get_task_data (G_TASK (data));
  return g_cancellable_is_cancelled (d->cancellable);
}

static void
retrain_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RetrainData *d = task_data;
  g_autoptr (GError) error = NULL;
  RlFinetuneCallbacks cb = { retrain_progress, retrain_should_stop, task };
  rl_job_lower_priority ();
  if (!rl_finetune_run (d->project_path, &d->opt, &cb, &d->result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
rl_retrain_async (gpointer source_object, const char *project_path,
                  const RlFinetuneOptions *opt, RlRetrainProgress progress, gpointer data,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, cancellable, callback, user_data);
  RetrainData *d = g_new0 (RetrainData, 1);

  g_task_set_source_tag (task, rl_retrain_async);
  d->progress = progress;
  d->progress_data = data;
  d->project_path = g_strdup (project_path);
  d->opt = *opt;
  d->opt.model = d->model = g_strdup (opt->model);
  d->opt.out = d->out = g_strdup (opt->out);
  d->opt.name = d->name = g_strdup (opt->name);
  d->opt.train_split = d->train_split = g_strdup (opt->train_split);
  d->opt.val_split = d->val_split = g_strdup (opt->val_split);
  d->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  g_task_set_task_data (task, d, (GDestroyNotify) retrain_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, retrain_thread);
}

gboolean
rl_retrain_finish (GAsyncResult *result, RlFinetuneResult *out, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  RetrainData *d = g_task_get_task_data (G_TASK (result));
  gboolean ok = g_task_propagate_boolean (G_TASK (result), error);
  if (out != NULL)
    {
      memset (out, 0, sizeof *out);
      if (ok)
        {
          *out = d->result;
          memset (&d->result, 0, sizeof d->result);
        }
    }
  return ok;
}

/* ---- make a model version current */

typedef struct
{
  char *project_path;
  gint64 model_id;
} CurrentData;

static void
current_data_free (CurrentData *d)
{
  g_free (d->project_path);
  g_free (d);
}

static void
current_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CurrentData *d = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) project = rl_project_open (d->project_path, FALSE, &error);
  if (project == NULL || !rl_project_set_current_model (project, d->model_id, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
rl_set_current_model_async (gpointer source_object, const char *project_path, gint64 model_id,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, NULL, callback, user_data);
  CurrentData *d = g_new0 (CurrentData, 1);
  g_task_set_source_tag (task, rl_set_current_model_async);
  d->project_path = g_strdup (project_path);
  d->model_id = model_id;
  g_task_set_task_data (task, d, (GDestroyNotify) current_data_free);
  g_task_run_in_thread (task, current_thread);
}

gboolean
rl_set_current_model_finish (GAsyncResult *result, gint64 *model_id, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  CurrentData *d = g_task_get_task_data (G_TASK (result));
  if (model_id != NULL)
    *model_id = d->model_id;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- import */

typedef struct
{
  JobHead head;
  char *project_path;
  char *kind;
  char *dataset_path;
  guint n_added;
  GPtrArray *problems;
} ImportData;

static void
import_data_free (ImportData *d)
{
  g_free (d->project_path);
  g_free (d->kind);
  g_free (d->dataset_path);
  g_clear_pointer (&d->problems, g_ptr_array_unref);
  g_free (d);
}

static void
import_progress (guint done, guint total, gpointer data)
{
  GTask *task = data;
  post_progress (task, done, total, 0);
}

static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ImportData *d = task_data;
  g_autoptr (GError) error = NULL;
  rl_job_lower_priority ();
  g_autoptr (RlProject) project = rl_project_open (d->project_path, TRUE, &error);
  if (project == NULL
      || !rl_project_import (project, d->kind, d->dataset_path, import_progress, task,
                             cancellable, &d->n_added, &d->problems, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
rl_import_async (gpointer source_object, const char *project_path, const char *kind,
                 const char *dataset_path, RlJobProgress progress, gpointer progress_data,
                 GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, cancellable, callback, user_data);
  ImportData *d = g_new0 (ImportData, 1);

  g_task_set_source_tag (task, rl_import_async);
  d->project_path = g_strdup (project_path);
  d->kind = g_strdup (kind);
  d->dataset_path = g_strdup (dataset_path);
  d->head.progress = progress;
  d->head.progress_data = progress_data;
  g_task_set_task_data (task, d, (GDestroyNotify) import_data_free);
  g_task_run_in_thread (task, import_thread);
}

gboolean
rl_import_finish (GAsyncResult *result, guint *n_added, GPtrArray **problems, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  ImportData *d = g_task_get_task_data (G_TASK (result));
  if (n_added != NULL)
    *n_added = d->n_added;
  if (problems != NULL)
    *problems = d->problems ? g_ptr_array_ref (d->problems) : NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
rl_guess_dataset_kind (const char *path)
{
  static const char *const lists[] = { "train.txt", "val.txt", "test.txt" };
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autofree char *p = g_build_filename (path, lists[i], NULL);
      if (g_file_test (p, G_FILE_TEST_IS_REGULAR))
        return "camvid";
    }
  g_autofree char *cls = g_build_filename (path, "classes.json", NULL);
  if (g_file_test (cls, G_FILE_TEST_IS_REGULAR))
    return "folder";
  return "sunrgbd";
}

/* ---- thumbnails */

typedef struct
{
  JobHead head;          /* unused: thumbnails are delivered by ThumbMsg */
  char **paths;
  gint64 *ids;
  guint n;
  int max_size;
  RlThumbnailFunc func;
  gpointer func_data;
} ThumbData;

typedef struct
{
  gint64 id;
  int width, height;
  GBytes *rgb;
} ThumbMsg;

static void
thumb_data_free (ThumbData *d)
{
  g_strfreev (d->paths);
  g_free (d->ids);
  g_free (d);
}

static void
deliver_thumb (GTask *task, gconstpointer value)
{
  const ThumbMsg *m = value;
  ThumbData *d = g_task_get_task_data (task);
  if (!g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    d->func (m->id, m->width, m->height, m->rgb, d->func_data);
}

static void
thumb_msg_clear (gpointer value)
{
  ThumbMsg *m = value;
  g_bytes_unref (m->rgb);
}

/* Box-filter downscale of (h, w, 3) to (th, tw, 3). */
static guint8 *
downscale (const guint8 *rgb, int w, int h, int tw, int th)
{
  guint8 *out = g_malloc ((gsize) tw * th * 3);
  for (int ty = 0; ty < th; ty++)
    {
      int y0 = (int) ((gint64) ty * h / th);
      int y1 = MAX ((int) ((gint64) (ty + 1) * h / th), y0 + 1);
      for (int tx = 0; tx < tw; tx++)
        {
          int x0 = (int) ((gint64) tx * w / tw);
          int x1 = MAX ((int) ((gint64) (tx + 1) * w / tw), x0 + 1);
          guint sum[3] = { 0 }, n = 0;
          for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++, n++)
              for (int c = 0; c < 3; c++)
                sum[c] += rgb[((gsize) y * w + x) * 3 + c];
          for (int c = 0; c < 3; c++)
            out[((gsize) ty * tw + tx) * 3 + c] = (guint8) (sum[c] / n);
        }
    }
  return out;
}

static void
thumbnails_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ThumbData *d = task_data;
  rl_job_lower_priority ();
  for (guint i = 0; i < d->n; i++)
    {
      int w = 0, h = 0;
      g_autofree guint8 *rgb = NULL;
      if (g_cancellable_is_cancelled (cancellable))
        break;
      if (d->paths[i] == NULL || !rl_image_read_rgb (d->paths[i], &w, &h, &rgb, NULL))
        continue;
      double s = MIN (1.0, (double) d->max_size / MAX (w, h));
      int tw = MAX (1, (int) (w * s)), th = MAX (1, (int) (h * s));
      ThumbMsg m = { d->ids[i], tw, th,
                     g_bytes_new_take (downscale (rgb, w, h, tw, th), (gsize) tw * th * 3) };
      rl_job_post (task, G_PRIORITY_DEFAULT_IDLE, deliver_thumb, &m, sizeof m, thumb_msg_clear);
    }
  g_task_return_boolean (task, TRUE);
}

void
rl_thumbnails_async (gpointer source_object, const char *const *paths, const gint64 *image_ids,
                     guint n_images, int max_size, RlThumbnailFunc func, gpointer func_data,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, cancellable, callback, user_data);
  ThumbData *d = g_new0 (ThumbData, 1);

  g_task_set_source_tag (task, rl_thumbnails_async);
  d->paths = g_new0 (char *, n_images + 1);
  for (guint i = 0; i < n_images; i++)
    d->paths[i] = g_strdup (paths[i]);
  d->ids = g_memdup2 (image_ids, sizeof (gint64) * n_images);
  d->n = n_images;
  d->max_size = MAX (max_size, 1);
  d->func = func;
  d->func_data = func_data;
  g_task_set_task_data (task, d, (GDestroyNotify) thumb_data_free);
  g_task_run_in_thread (task, thumbnails_thread);
}

gboolean
rl_thumbnails_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- rescore after an edit */

typedef struct
{
  char *project_path;
  gint64 image_id;
  double miou, bf;
} RescoreData;

static void
rescore_data_free (RescoreData *d)
{
  g_free (d->project_path);
  g_free (d);
}

static void
rescore_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  RescoreData *d = task_data;
  g_autoptr (GError) error = NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, &error)
      || !rl_image_metrics_rescore (d->project_path, d->image_id, &d->miou, &d->bf, NULL,
                                    &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
rl_rescore_async (gpointer source_object, const char *project_path, gint64 image_id,
                  GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (source_object, cancellable, callback, user_data);
  RescoreData *d = g_new0 (RescoreData, 1);

  g_task_set_source_tag (task, rl_rescore_async);
  d->project_path = g_strdup (project_path);
  d->image_id = image_id;
  d->miou = NAN;
  d->bf = NAN;
  g_task_set_task_data (task, d, (GDestroyNotify) rescore_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, rescore_thread);
}

gboolean
rl_rescore_finish (GAsyncResult *result, gint64 *image_id, double *miou, double *bf,
                   GError **error)
{
  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  RescoreData *d = g_task_get_task_data (G_TASK (result));
  if (image_id != NULL)
    *image_id = d->image_id;
  if (miou != NULL)
    *miou = d->miou;
  if (bf != NULL)
    *bf = d->bf;
  return g_task_propagate_boolean (G_TASK (result), error);
}
