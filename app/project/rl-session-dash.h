/* What the metrics dashboard shows, read through the editing session: the model versions with
 * their stored metrics runs (parsed on the writer thread), scoring a version as a session job
 * (rl_project_evaluate in a worker), a confusion cell's images and the pixels behind it, and the
 * version commands (rename, delete). GLib/GIO only: the tests drive it headless. */
#pragma once

#include <gio/gio.h>

#include "rl-project-eval.h"
#include "rl-session.h"

G_BEGIN_DECLS

/* One image of a stored run. */
typedef struct
{
  char *name;
  double g, c, miou, bf;     /* NaN when undefined */
  gboolean in_sample;
} RlDashImage;

/* One class of a stored run. */
typedef struct
{
  int index;                 /* the class's label value */
  double accuracy, iou, bf;  /* NaN when undefined */
  gint64 pixels;
} RlDashClass;

/* A stored metrics run (`relabel eval --project --json`'s object), parsed. */
typedef struct
{
  char *key;                 /* "val", "all", "val:original", ... */
  char *created;             /* ISO 8601, UTC; NULL for a result not read from the project */
  gint64 model_id;
  guint n_images;
  guint n_in_sample;
  double g, c, miou, bf;     /* NaN when undefined */
  guint n_classes;           /* K: the confusion matrix is K x K */
  gint64 *confusion;         /* (K, K): row truth, column prediction */
  GArray *classes;           /* RlDashClass, in index order, the ignore index left out */
  GArray *images;            /* RlDashImage, in the run's order */
  char *json;                /* the stored object (for the cell lookup and JSON export) */
} RlDashRun;

RlDashRun *rl_dash_run_parse (const char *json, GError **error);
void rl_dash_run_free (RlDashRun *run);
/* The run's metrics as CSV: a summary row, one row per class, one per image (see the .c). */
char *rl_dash_run_to_csv (const RlDashRun *run, const RlClassSpec *spec);

/* A model version with its newest stored run under each key. */
typedef struct
{
  gint64 id;
  char *name;
  gint64 parent_id;          /* 0: none */
  char *config;              /* settings (JSON) or NULL */
  char *created;
  gboolean current;
  guint n_trained;
  GPtrArray *runs;           /* RlDashRun* */
  GPtrArray *trained_names;  /* the images it trained on (char*), by name */
} RlDashModel;

void rl_dash_model_free (RlDashModel *m);
/* The run of m under key, or NULL. */
RlDashRun *rl_dash_model_get_run (const RlDashModel *m, const char *key);

/* Reads every version with its runs on the writer; done gets an array of RlDashModel* (in id
 * order, owned by the caller) or NULL with the error. */
typedef void (*RlDashModelsDone) (RlSession *session, GPtrArray *models, const GError *error,
                                  gpointer data);
void rl_session_read_models (RlSession *self, RlDashModelsDone done, gpointer data);

/* Scores a version as a session job (kind "evaluate"; progress and Cancel as every job; the
 * result, an RlEvalResult*, in "job-finished"). The result is stored as a metrics run. FALSE
 * when a job runs already or no project is open. */
gboolean rl_session_evaluate (RlSession *self, gint64 model_id, const char *split,
                              RlMaskKind labels);

/* The images of a confusion cell of a stored run (rl_eval_images_for_cell, on the writer):
 * done gets an array of RlCellImage, most pixels first, or NULL with the error. */
typedef void (*RlDashCellDone) (RlSession *session, GArray *images, const GError *error,
                                gpointer data);
void rl_session_cell_images (RlSession *self, const RlDashRun *run, int truth, int pred,
                             RlDashCellDone done, gpointer data);

/* The pixels of image_id labelled truth (labels: current or original) and predicted pred by
 * model_id: done gets a (height, width) mask of 0/1 bytes, or NULL with the error. */
typedef void (*RlDashMaskDone) (RlSession *session, gint64 image_id, GBytes *mask, int width,
                                int height, const GError *error, gpointer data);
void rl_session_cell_pixels (RlSession *self, gint64 image_id, gint64 model_id,
                             RlMaskKind labels, int truth, int pred, RlDashMaskDone done,
                             gpointer data);

/* Version commands on the writer; done (may be NULL) gets the error or NULL. */
typedef void (*RlDashDone) (RlSession *session, const GError *error, gpointer data);
void rl_session_rename_model (RlSession *self, gint64 model_id, const char *name,
                              RlDashDone done, gpointer data);
void rl_session_delete_model (RlSession *self, gint64 model_id, RlDashDone done,
                              gpointer data);

/* File > Export Dataset: rl_project_export (the code of `relabel export`: atomic folder,
 * changes.csv) as a session job (kind "export", result the folder as const char*). format
 * "camvid" | "color", split NULL for all, labels "corrected" | "original" | "prediction"; the
 * folder must be absent or empty. FALSE when a job runs already or no project is open. */
gboolean rl_session_export_dataset (RlSession *self, const char *format, const char *out_dir,
                                    const char *split, const char *labels);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlDashRun, rl_dash_run_free)

G_END_DECLS
