/* The editing session: what the window shows. It owns the open project, the image being edited
 * and its masks, the jobs with their cancellables, the rescore queue, and one thread (the
 * writer) that runs every project call of the session in order: opening, decoding an image and
 * its masks, committing edits, undo/redo, rescoring. Widgets send it edits and commands and
 * redraw from its signals; the thread that owns it (the GTK thread) never waits on SQLite or on
 * decoding. GLib/GIO only: the tests drive it headless.
 *
 * Edits. rl_session_apply_edit applies an RlEdit (rl-edit.h) to the session's copy of the
 * current mask at once (the canvas redraws from "mask-changed") and queues the same edit for the
 * writer, which applies it to the project with rl_project_apply_edit: the function the CLI's
 * `relabel paint/fill` uses, so every option means the same in both. When the writer's result
 * differs from the copy (another process wrote the image meanwhile) or fails, the copy is
 * replaced by what the project holds and "mask-changed" / "error" say so.
 *
 * Adding an edit kind (magic wand, superpixel brush, clean-up, accept a suggested fix, ...):
 *  1. If the new tool can say which pixels it changes and to what, build an RL_EDIT_REGION (a
 *     bitmap of the pixels over a rectangle; the value from cls, the original or the prediction)
 *     in the tool and send it with rl_session_apply_edit: nothing else changes. A wand or a
 *     superpixel brush computes its region from the image in the tool (or in a worker that then
 *     calls rl_session_apply_edit on the main thread); a suggestion from the suspects queue
 *     carries its region already. Set edit->tool to the name the history should show.
 *  2. Only when the footprint is cheaper to describe than to list (like a stroke's polyline) add
 *     an RlEditKind in rl-edit.h and its footprint in rl-edit.c's footprint(): the project, the
 *     session and the CLI pick it up from there. Add its cases to tests/project/test-edit.c.
 *  3. A CLI subcommand for it parses its options into the same RlEdit (app/cmd-edit.c) and
 *     calls rl_project_apply_edit. */
#pragma once

#include <gio/gio.h>

#include "rl-edit.h"
#include "rl-finetune.h"
#include "rl-project.h"
#include "rl-superpixels.h"
#include "rl-project-suspects.h"

G_BEGIN_DECLS

#define RL_TYPE_SESSION (rl_session_get_type ())
G_DECLARE_FINAL_TYPE (RlSession, rl_session, RL, SESSION, GObject)

/* Signals (all emitted in the main context of the thread that created the session):
 *   "project-opened" ()           the project opened: read rl_session_get_images() etc.
 *   "image-loaded" (gint64 id)    the image and its masks are in memory (id 0: none / failed)
 *   "mask-changed" (gint64 id, int x0, int y0, int x1, int y1)
 *                                 the current mask changed inside [x0, x1) x [y0, y1)
 *   "prediction-changed" (gint64 id)  a new prediction of the shown image
 *   "image-changed" (gpointer RlImageInfo*)  an image's row changed (borrowed, during emission)
 *   "thumbnail" (gint64 id, int w, int h, GBytes *rgb)
 *   "notice" (const char *text)   a status line ("Nothing to undo", "Model x added", ...)
 *   "error" (const char *text)    something failed: one line naming the file and the cause
 *   "job-progress" (double fraction, const char *text)
 *   "job-finished" (const char *kind, gboolean ok, gpointer GError*, gpointer result)
 *                                 kind "prelabel" (result: guint* images predicted),
 *                                 "retrain" (RlFinetuneResult*), "import" (char* path opened
 *                                 next), "current-model" (gint64* version), "evaluate"
 *                                 (RlEvalResult*, rl-session-dash.h)
 *   "rescored" (gint64 id, gboolean ok, double miou, double bf, double ms)
 *   "boundary-errors" (gint64 id) the boundary-errors map of the shown image is new (only while
 *                                 wanted: rl_session_set_boundary_errors_wanted)
 *   "superpixels-ready" (gint64 id, int size)  the shown image's superpixels at size (one of
 *                                 rl_superpixel_sizes) were computed in the background
 *   "suspects-changed" ()         a new list: rl_session_get_suspects(), _get_suspect_pairs()
 *   "suspect-region" (gint64 suspect_id, gint64 image_id)  that region's pixels are loaded
 *                                 (rl_session_get_suspect_region); image_id 0: it failed
 *   "notify::busy"                a job, a thumbnail run or queued writes started/finished */

RlSession *rl_session_new (void);

/* Opens path on the writer (replacing the open project: running jobs are cancelled). */
void rl_session_open (RlSession *self, const char *path);
/* Opens the demo project at path the same way; when it is missing the writer first builds it
 * from data_dir (rl_demo_ensure: the bundled demo images and model; NULL when not found), and
 * a demo without a model is given the shipped one. Failures come as "error". */
void rl_session_open_demo (RlSession *self, const char *path, const char *data_dir);
const char *rl_session_get_path (RlSession *self);
/* After "project-opened": the images in name order (RlImageInfo*, borrowed), the classes. */
GPtrArray *rl_session_get_images (RlSession *self);
const RlClassSpec *rl_session_get_class_spec (RlSession *self);
gint64 rl_session_get_current_model (RlSession *self);

/* Decodes the image and its masks on the writer, then emits "image-loaded". */
void rl_session_select_image (RlSession *self, gint64 image_id);
gint64 rl_session_get_image_id (RlSession *self);
/* The shown image: rgb (H, W, 3), masks (H, W) or NULL when absent; borrowed. FALSE without one. */
gboolean rl_session_get_image (RlSession *self, int *width, int *height, const guint8 **rgb,
                               const guint8 **current, const guint8 **original,
                               const guint8 **prediction);
/* The shown prediction's stored confidence, (H, W) round(255 p) of each pixel's predicted class
 * (as the suspects queue stores it when the pre-label job or `relabel suspects` predicts);
 * borrowed, NULL when that prediction has none. Changes with "image-loaded" and
 * "prediction-changed". */
const guint8 *rl_session_get_confidence (RlSession *self);

/* Applies edit to the shown image (see the top of this file). FALSE with error when the edit is
 * invalid (nothing changes); TRUE otherwise (*n_changed may be 0: then nothing is recorded).
 * *n_changed counts on the session's copy, which an undo or redo still on the writer has not
 * changed yet: right after one it is provisional ("mask-changed" follows with the project's
 * result when it differs). */
gboolean rl_session_apply_edit (RlSession *self, const RlEdit *edit, guint *n_changed,
                                GError **error);
/* The Boundary view: while wanted, the session computes rl_metrics_boundary_errors (engine/
 * rl-metrics.h: per class, exact distances, the BF tolerance; the function behind every BF
 * figure) of the shown image's current labels against its prediction in a worker thread,
 * after each load, edit and new prediction, and says "boundary-errors". The map is (H, W):
 * 1 missed, 2 spurious, 0 none; borrowed; NULL when not wanted, not computed yet, or the image
 * has no prediction. */
void rl_session_set_boundary_errors_wanted (RlSession *self, gboolean wanted);
const guint8 *rl_session_get_boundary_errors (RlSession *self);

/* The shown image's superpixels at size (rl_superpixel_sizes), computed when it opened; a new
 * reference, or NULL until "superpixels-ready" said so. */
RlSuperpixels *rl_session_get_superpixels (RlSession *self, int size);
void rl_session_undo (RlSession *self);
void rl_session_redo (RlSession *self);
void rl_session_set_status (RlSession *self, gint64 image_id, RlImageStatus status);
/* Registers a model file (safetensors) and makes it current; only_if_none: only when the
 * project has no model yet and the file exists. */
void rl_session_add_model (RlSession *self, const char *path, gboolean only_if_none);

/* Who writes the project file, on which connection (every connection: WAL, a busy timeout;
 * the GTK thread never opens one and never waits on one):
 *   the writer thread (its own connection): opening, building the demo, decoding an image and
 *     its masks, edits, undo/redo, status, rescores, adding a model (validated completely
 *     first: rl_project_add_model), setting the current model, reading rows back after a job
 *     step;
 *   the pre-label job (its own connection, in a GTask thread): predictions and confidences of
 *     each image (rl_suspects_predict_image), one short transaction per image;
 *   the retrain job (its own connection): the new model version and its scores, at the end;
 *   the import job: the project it creates (a new file; the session opens it afterwards).
 * Concurrent writers wait on SQLite's busy timeout in their own threads, never in the GTK
 * thread; the writer reads the rows a job wrote back (OP_INFO) when the job reports them.
 *
 * Jobs: one at a time; threads 0 = all cores but one. */
gboolean rl_session_is_busy (RlSession *self);
gboolean rl_session_has_job (RlSession *self);
void rl_session_prelabel (RlSession *self, const gint64 *image_ids, guint n, int threads);
void rl_session_retrain (RlSession *self, const RlFinetuneOptions *opt);
void rl_session_import (RlSession *self, const char *project_path, const char *kind,
                        const char *dataset_path);
void rl_session_set_current_model (RlSession *self, gint64 model_id);
void rl_session_cancel_job (RlSession *self);
/* Cancels everything cancellable (jobs, thumbnails, queued rescores); queued edits are still
 * written. "notify::busy" says when the last worker returned. */
void rl_session_shutdown (RlSession *self);

/* Extending the session from another file (the dashboard, the suspects queue, ...).
 * rl_session_call runs func on the writer thread, in order with every other operation, with the
 * open project (never NULL: without one, done gets an OPEN error); then done (may be NULL) on
 * the main thread with func's error, unless another project was opened meanwhile; destroy (may
 * be NULL) frees data in any case. func must not keep the project. */
typedef void (*RlSessionCallFunc) (RlProject *project, gpointer data, GError **error);
typedef void (*RlSessionCallDone) (RlSession *self, gpointer data, const GError *error);
void rl_session_call (RlSession *self, RlSessionCallFunc func, RlSessionCallDone done,
                      gpointer data, GDestroyNotify destroy);
/* A job run by another file: NULL when a job runs already or no project is open; else the
 * job's cancellable (borrowed, valid until rl_session_end_job, cancelled by
 * rl_session_cancel_job). job_progress emits "job-progress"; end_job emits "job-finished"
 * (kind, ok, error, result) and ends the job. Main thread only. */
GCancellable *rl_session_begin_job (RlSession *self, const char *kind);
void rl_session_job_progress (RlSession *self, double fraction, const char *text);
void rl_session_end_job (RlSession *self, const char *kind, gboolean ok, const GError *error,
                         gpointer result);
/* Reads an image's row (and the shown image's prediction) again after a job wrote it on its own
 * connection: "image-changed" (and "prediction-changed") follow. */
void rl_session_refresh_image (RlSession *self, gint64 image_id);
/* Engine threads for a job: all cores but one. */
int rl_session_job_threads (RlSession *self);
/* The suspects queue (rl-project-suspects.h), read and changed on the writer.
 * list: the stored queue with filter (NULL: the last one, else everything) and the class-pair
 * summary, then "suspects-changed". One query: what a panel shows first on opening a project.
 * update: recomputes the whole queue for the current model (after a pre-label run), then lists.
 * Once listed, the queue of an image is recomputed after an accept, an undo and a redo. */
void rl_session_list_suspects (RlSession *self, const RlSuspectFilter *filter);
void rl_session_update_suspects (RlSession *self);
/* The last list (RlSuspectRegion*, RlSuspectPair*; borrowed), NULL before the first. */
GPtrArray *rl_session_get_suspects (RlSession *self);
GPtrArray *rl_session_get_suspect_pairs (RlSession *self);
/* Loads the pixels of region suspect_id on the writer, then "suspect-region". */
void rl_session_load_suspect (RlSession *self, gint64 suspect_id);
/* The loaded region, its mask (H, W; nonzero = the pixels accepting it relabels); borrowed. */
const RlSuspectRegion *rl_session_get_suspect_region (RlSession *self, GBytes **mask,
                                                      int *width, int *height);
/* Accepts the loaded region suspect_id on the shown image: one RL_EDIT_REGION edit ("accept-
 * suggestion", undoable like any edit) of its pixels still labelled its labelled class to the
 * suggested class, then that image's queue is recomputed. NOT_FOUND when the region is not
 * loaded or its image not shown. */
gboolean rl_session_accept_suspect (RlSession *self, gint64 suspect_id, guint *n_changed,
                                    GError **error);
/* "Not an error": remembered, the list follows. */
void rl_session_dismiss_suspect (RlSession *self, gint64 suspect_id);

/* Blocks until the writer has run every operation queued so far (tests, and the end of the
 * program: never call it from a GTK handler). */
void rl_session_flush (RlSession *self);

G_END_DECLS
