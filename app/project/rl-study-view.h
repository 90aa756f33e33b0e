/* What the dashboard's decoder-study view shows (issue 21), read off the GTK thread: a
 * `relabel study` folder's table (DIR/table.json and each run's scored images) and, for one
 * scored image, the boundary-error maps of two of its models side by side. GLib/GIO only. */
#pragma once

#include <gio/gio.h>

#include "rl-session.h"

G_BEGIN_DECLS

/* One run of the table (a row of table.json). Figures are NaN when not measured. */
typedef struct
{
  char *arch;
  char *balancing;           /* "median" or "natural" */
  gboolean finished;
  double parameters, storage, infer_ms;
  double held[4], val[4];    /* G, C, mIoU, BF (0..1) */
  char *model;               /* absolute path of its model, NULL when not finished */
} RlStudyRow;

typedef struct
{
  char *dir;
  char *dataset;             /* "camvid:/abs/path" */
  char *budget;
  char *heldout;             /* the held-out sequences */
  GPtrArray *rows;           /* RlStudyRow*, in table order (balancing, then arch) */
  GPtrArray *images;         /* the scored images' names (held-out first, then val), char* */
} RlStudyTable;

RlStudyTable *rl_study_table_load (const char *dir, GError **error);
void rl_study_table_free (RlStudyTable *t);

/* One image with the two models' predictions scored. */
typedef struct
{
  char *image;
  int width, height;
  guint8 *rgb;               /* (H, W, 3) */
  guint8 *errors[2];         /* (H, W): rl_metrics_boundary_errors (1 missed, 2 spurious) */
  double bf[2];              /* the image's BF under each model */
  double miou[2];
} RlStudyCompare;

void rl_study_compare_free (RlStudyCompare *c);

/* Predicts `image` (a name of the table's dataset) with the two models and scores it; the work
 * of rl_session_study_compare, callable from any thread. */
RlStudyCompare *rl_study_compare_image (const RlStudyTable *t, const char *image,
                                        const char *model_a, const char *model_b,
                                        GCancellable *cancellable, GError **error);

/* Both in a worker thread; done runs in the caller's main context with the result or the
 * error (G_IO_ERROR_CANCELLED once cancellable is cancelled: then touch nothing). The table
 * belongs to done (rl_study_table_free); the comparison is valid during the call only. */
typedef void (*RlStudyTableDone) (RlStudyTable *t, const GError *error, gpointer data);
void rl_session_study_load (RlSession *self, const char *dir, GCancellable *cancellable,
                            RlStudyTableDone done, gpointer data);
typedef void (*RlStudyCompareDone) (RlStudyCompare *c, const GError *error, gpointer data);
/* t must stay alive until done runs. */
void rl_session_study_compare (RlSession *self, const RlStudyTable *t, const char *image,
                               const char *model_a, const char *model_b,
                               GCancellable *cancellable, RlStudyCompareDone done,
                               gpointer data);

G_END_DECLS
