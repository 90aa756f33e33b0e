/* Per-image prediction scores after an edit: reads the labels and the newest prediction through
 * RlProject, scores them with engine/rl-metrics.h and updates that prediction's stored scores. */
#include "rl-image-metrics.h"

#include <math.h>
#include <sqlite3.h>

#include "rl-metrics.h"
#include "rl-project.h"

gboolean
rl_image_metrics_score (const RlClassSpec *spec, const guint8 *truth, const guint8 *pred,
                        int width, int height, double *miou, double *bf)
{
  RlImageScores scores;
  *miou = NAN;
  *bf = NAN;
  if (spec == NULL || truth == NULL || pred == NULL || width <= 0 || height <= 0)
    return FALSE;
  if (rl_metrics_image (spec->n_classes, spec->ignore_index, truth, pred, height, width, &scores,
                        NULL) != RL_OK)
    return FALSE;
  *miou = scores.miou;
  /* as the project does when it stores a prediction: an all-void truth has no BF */
  *bf = scores.pixels > 0 ? scores.bf : NAN;
  return TRUE;
}

static gboolean
db_error (sqlite3 *db, const char *path, const char *what, GError **error)
{
  g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_DB, "%s: %s: %s", path, what,
               db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

/* The model id of the image's newest prediction, 0 when it has none. */
static gboolean
newest_prediction (sqlite3 *db, const char *path, gint64 image_id, gint64 *model_id,
                   GError **error)
{
  sqlite3_stmt *stmt = NULL;
  *model_id = 0;
  if (sqlite3_prepare_v2 (db, "SELECT max(model_id) FROM predictions WHERE image_id = ?", -1,
                          &stmt, NULL) != SQLITE_OK)
    return db_error (db, path, "cannot read predictions", error);
  sqlite3_bind_int64 (stmt, 1, image_id);
  int rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    *model_id = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW)
    return db_error (db, path, "cannot read predictions", error);
  return TRUE;
}

gboolean
rl_image_metrics_rescore (const char *project_path, gint64 image_id, double *miou, double *bf,
                          gboolean *stored, GError **error)
{
  double m = NAN, b = NAN;
  gboolean ok = FALSE, done = FALSE;
  sqlite3 *db = NULL;
  RlProject *project = NULL;
  int w = 0, h = 0, pw = 0, ph = 0;
  g_autofree guint8 *truth = NULL, *pred = NULL;
  gint64 model_id = 0;
  g_autoptr (GError) local = NULL;
  sqlite3_stmt *stmt = NULL;

  if (miou != NULL)
    *miou = NAN;
  if (bf != NULL)
    *bf = NAN;
  if (stored != NULL)
    *stored = FALSE;

  /* Opened by rl_project_open first: it checks that the file is a project. */
  project = rl_project_open (project_path, FALSE, error);
  if (project == NULL)
    return FALSE;
  if (sqlite3_open_v2 (project_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK)
    {
      db_error (db, project_path, "cannot open", error);
      goto out;
    }
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK)
    {
      db_error (db, project_path, "cannot set synchronous", error);
      goto out;
    }
  /* the prediction read below must be this one: a newer one is scored when it is stored */
  if (!newest_prediction (db, project_path, image_id, &model_id, error))
    goto out;
  if (model_id == 0)
    {
      ok = TRUE;
      goto out;
    }
  if (!rl_project_get_mask (project, image_id, RL_MASK_PREDICTION, &pw, &ph, &pred, error)
      || !rl_project_get_mask (project, image_id, RL_MASK_CURRENT, &w, &h, &truth, &local))
    {
      /* an image without labels has nothing to score against */
      if (local != NULL && !g_error_matches (local, RL_PROJECT_ERROR, RL_PROJECT_ERROR_NOT_FOUND))
        g_propagate_error (error, g_steal_pointer (&local));
      else if (local != NULL)
        ok = TRUE;
      goto out;
    }
  if (w != pw || h != ph)
    {
      g_set_error (error, RL_PROJECT_ERROR, RL_PROJECT_ERROR_INVALID,
                   "%s: image %" G_GINT64_FORMAT ": prediction is %dx%d, labels are %dx%d",
                   project_path, image_id, pw, ph, w, h);
      goto out;
    }
  rl_image_metrics_score (rl_project_get_class_spec (project), truth, pred, w, h, &m, &b);

  if (sqlite3_prepare_v2 (db, "UPDATE predictions SET miou = ?1, bf = ?2"
                              " WHERE image_id = ?3 AND model_id = ?4 AND model_id ="
                              " (SELECT max(model_id) FROM predictions WHERE image_id = ?3)",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      db_error (db, project_path, "cannot store the prediction's scores", error);
      goto out;
    }
  if (isfinite (m))
    sqlite3_bind_double (stmt, 1, m);
  else
    sqlite3_bind_null (stmt, 1);
  if (isfinite (b))
    sqlite3_bind_double (stmt, 2, b);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, image_id);
  sqlite3_bind_int64 (stmt, 4, model_id);
  int rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      db_error (db, project_path, "cannot store the prediction's scores", error);
      goto out;
    }
  done = sqlite3_changes (db) > 0;
  ok = TRUE;

out:
  if (db != NULL)
    sqlite3_close (db);
  rl_project_close (project);
  if (ok && done)
    {
      if (miou != NULL)
        *miou = m;
      if (bf != NULL)
        *bf = b;
      if (stored != NULL)
        *stored = TRUE;
    }
  return ok;
}
