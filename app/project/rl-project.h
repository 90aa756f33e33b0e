/* The project: one SQLite file (*.relabel) holding the dataset's images, original and corrected
 * masks, predictions, the undoable edit history, model versions and metrics runs.
 * Headless (GLib/GIO only): the CLI, the tests and the GUI all go through this API.
 * An RlProject wraps one SQLite connection: use it from one thread; open another in a worker. */
#pragma once

#include <gio/gio.h>
#include "rl-class-spec.h"
#include "rl-dataset.h"
#include "rl-edit.h"

#define RL_PROJECT_ERROR (rl_project_error_quark ())
GQuark rl_project_error_quark (void);

typedef enum
{
  RL_PROJECT_ERROR_OPEN,       /* missing, unreadable, corrupt or not a project */
  RL_PROJECT_ERROR_VERSION,    /* written by a newer Relabel */
  RL_PROJECT_ERROR_READONLY,   /* file or folder not writable */
  RL_PROJECT_ERROR_NOT_FOUND,  /* no such image / model */
  RL_PROJECT_ERROR_INVALID,    /* class out of range, point outside the image, ... */
  RL_PROJECT_ERROR_DATASET,    /* dataset folder or image file missing/changed */
  RL_PROJECT_ERROR_DB,         /* any other SQLite failure */
  RL_PROJECT_ERROR_EXISTS,     /* export target not empty */
} RlProjectError;

typedef struct _RlProject RlProject;

typedef enum
{
  RL_IMAGE_UNLABELLED = 0,   /* no label mask at all */
  RL_IMAGE_PRELABELLED,      /* labels come from the dataset or an accepted prediction */
  RL_IMAGE_CORRECTED,        /* a human edited the mask (while such an edit is applied:
                              * undoing every one gives the status back) */
  RL_IMAGE_REVIEWED,         /* a human marked it done */
} RlImageStatus;

typedef enum
{
  RL_MASK_CURRENT = 0,   /* corrected labels (= original until edited) */
  RL_MASK_ORIGINAL,      /* as imported from the dataset, never modified */
  RL_MASK_PREDICTION,    /* latest prediction of the current model */
} RlMaskKind;

typedef struct
{
  gint64 id;
  char *name;            /* unique base name, e.g. "0001TP_006690" */
  char *split;
  char *rel_path;        /* image path relative to the dataset root */
  int width, height;
  RlImageStatus status;
  gboolean has_original;
  gboolean has_prediction;
  gboolean missing;      /* the file disappeared or its content hash changed */
  int n_edits;           /* undo steps available */
  double pred_miou;      /* of the prediction against the current labels; NaN if unknown */
  double pred_bf;
  gint64 pred_model_id;  /* the model that made the prediction shown, 0 when none */
  gboolean pred_in_sample;  /* that model was trained on this image: its score is in-sample */
} RlImageInfo;

void rl_image_info_free (RlImageInfo *info);

/* Opens an existing project (create = FALSE) or creates/opens one (create = TRUE).
 * Applies migrations; refuses files from a newer version (VERSION) or that are not projects
 * (OPEN: not SQLite, corrupt, another program's database), and read-only files or folders
 * (READONLY, checked on the permission bits up front). Nothing is written to a refused file.
 * WAL, foreign keys, synchronous=FULL, 10 s busy timeout. */
RlProject *rl_project_open (const char *path, gboolean create, GError **error);
void rl_project_close (RlProject *project);
const char *rl_project_get_path (RlProject *project);

/* Dataset description, set by the first import. NULL spec before any import. */
const RlClassSpec *rl_project_get_class_spec (RlProject *project);
const char *rl_project_get_dataset_kind (RlProject *project);
const char *rl_project_get_dataset_root (RlProject *project);

/* Imports (or re-imports, idempotently) a dataset: kind "camvid" | "sunrgbd" | "folder".
 * progress (may be NULL) is called with (done, total). Bad samples are reported in *problems
 * (may be NULL) and skipped. Known images are never relabelled: one whose file changed or
 * vanished is flagged missing (and reported). Images without labels start all void and
 * UNLABELLED. Rows are committed in batches of 32: a cancelled or failed import keeps what it
 * added, and importing again continues. A project holds one dataset (kind + root folder); adding
 * another is an INVALID error. */
gboolean rl_project_import (RlProject *project, const char *kind, const char *path,
                            void (*progress) (guint done, guint total, gpointer data),
                            gpointer data, GCancellable *cancellable, guint *n_added,
                            GPtrArray **problems, GError **error);
/* As rl_project_import, with the dataset loader's options (the label convention; NULL: none). */
gboolean rl_project_import_with (RlProject *project, const char *kind, const char *path,
                                 const RlDatasetOptions *dataset_options,
                                 void (*progress) (guint done, guint total, gpointer data),
                                 gpointer data, GCancellable *cancellable, guint *n_added,
                                 GPtrArray **problems, GError **error);

/* All images in name order (RlImageInfo*, owned by the array). pred_miou/pred_bf are those of
 * the prediction shown (the current model's, else the newest), scored against the current
 * labels when it was stored. */
GPtrArray *rl_project_list_images (RlProject *project, GError **error);
/* name: an image's name with or without its file extension ("0001TP_006690" or
 * "0001TP_006690.png"). */
RlImageInfo *rl_project_find_image (RlProject *project, const char *name, GError **error);
RlImageInfo *rl_project_get_image (RlProject *project, gint64 image_id, GError **error);
/* Re-hashes files on disk and flags the ones that disappeared or changed. Returns the count. */
guint rl_project_check_files (RlProject *project, GError **error);

/* The image's pixels (H, W, 3) and absolute path. */
gboolean rl_project_load_rgb (RlProject *project, gint64 image_id, int *width, int *height,
                              guint8 **rgb, GError **error);
char *rl_project_image_path (RlProject *project, gint64 image_id);

/* A copy of one mask (H, W), g_free(); FALSE with NOT_FOUND when it does not exist.
 * RL_MASK_PREDICTION is the current model's prediction for the image, else the newest. */
gboolean rl_project_get_mask (RlProject *project, gint64 image_id, RlMaskKind kind,
                              int *width, int *height, guint8 **mask, GError **error);

/* The prediction model_id made of image_id (NOT_FOUND when it has made none). */
gboolean rl_project_get_model_prediction (RlProject *project, gint64 image_id, gint64 model_id,
                                          int *width, int *height, guint8 **mask,
                                          GError **error);

/* --- edits: each call is one undoable step, committed in one transaction before it returns.
 * n_changed (may be NULL) receives the number of pixels changed; a step that changes nothing is
 * not recorded. */

/* Replaces the current mask with new_mask (H, W) and records the difference as one step. The GUI
 * paints into its own copy with rl_mask_* during a stroke and commits here at the stroke end. */
gboolean rl_project_commit_mask (RlProject *project, gint64 image_id, const char *tool,
                                 const guint8 *new_mask, guint *n_changed, GError **error);
/* Applies one edit (rl-edit.h: the same function the GUI's session uses) as one step. Bad input
 * (class out of range, a stroke entirely outside the image, a fill point outside it, ...) is an
 * INVALID error and changes nothing. */
gboolean rl_project_apply_edit (RlProject *project, gint64 image_id, const RlEdit *edit,
                                guint *n_changed, GError **error);
/* Shorthands for rl_project_apply_edit. paint: round brush along xy (image coordinates, pixel
 * (i, j) centred at (i + .5, j + .5), see rl-mask-ops.h); fill: flood fill from pixel (x, y).
 * cls is a class or the void value; protect: "protect other classes" (RL_PROTECT_ANCHOR: only
 * pixels of the class under the first point, or void, change). */
gboolean rl_project_paint (RlProject *project, gint64 image_id, int cls, double radius,
                           const double *xy, int n_points, gboolean protect, guint *n_changed,
                           GError **error);
gboolean rl_project_fill (RlProject *project, gint64 image_id, int cls, int x, int y,
                          gboolean protect, guint *n_changed, GError **error);
/* Copies the prediction into the current labels (all pixels, or only void ones). */
gboolean rl_project_accept_prediction (RlProject *project, gint64 image_id,
                                       gboolean only_void, guint *n_changed, GError **error);
/* *done (may be NULL) is FALSE when there was nothing to undo/redo. */
gboolean rl_project_undo (RlProject *project, gint64 image_id, gboolean *done, GError **error);
gboolean rl_project_redo (RlProject *project, gint64 image_id, gboolean *done, GError **error);
/* Redo steps available (undone steps not yet dropped by a new edit). */
int rl_project_count_redo (RlProject *project, gint64 image_id);

/* One step of an image's history. */
typedef struct
{
  gint64 id;             /* unique over the project, never reused */
  int seq;               /* 1, 2, ... per image */
  char *tool;            /* "paint", "fill", "accept-prediction", or the GUI's tool name */
  int n_changed;         /* pixels changed */
  char *created;         /* ISO 8601, UTC */
  gboolean applied;      /* FALSE: undone (a redo step) */
} RlEditInfo;

void rl_edit_info_free (RlEditInfo *info);
/* The image's steps in order (RlEditInfo*, owned by the array). */
GPtrArray *rl_project_list_edits (RlProject *project, gint64 image_id, GError **error);

gboolean rl_project_set_status (RlProject *project, gint64 image_id, RlImageStatus status,
                                GError **error);

/* --- models and predictions. Each model is a version (id 1, 2, ...; its parent the version it
 * was fine-tuned from); exactly one is the project's current model (pre-label, retrain and the
 * predictions shown use it) once there is any. */
/* Registers a model file (copied into the project as a blob) and makes it the current model.
 * The file is validated completely first (rl_project_check_model_file): a broken model is
 * refused here, with one line naming the file and the cause, never later when it is used. The
 * project's images that its trained_on lists are recorded as its training images
 * (rl_project_images_in_trained_on; revision -1). Returns its id, or 0. */
gint64 rl_project_add_model (RlProject *project, const char *name, const char *safetensors_path,
                             gint64 parent_id, const char *config_json, GError **error);
/* One image a version was trained on, with the label version it saw: the image's mask revision
 * (bumped by every change of its current mask) and the SHA-1 (hex) of the mask's pixels. */
typedef struct
{
  gint64 image_id;
  gint64 rev;
  char label_sha1[41];
} RlTrainedImage;
/* rl_project_add_model with the images it was trained on (n_trained may be 0), made current
 * only when make_current; one transaction. */
gint64 rl_project_add_model_version (RlProject *project, const char *name,
                                     const char *safetensors_path, gint64 parent_id,
                                     const char *config_json, const RlTrainedImage *trained,
                                     guint n_trained, gboolean make_current, GError **error);
/* The newest version whose stored weights are byte for byte the file at safetensors_path, or 0
 * (no error) when none is; 0 with error when the file cannot be read. */
gint64 rl_project_find_model_file (RlProject *project, const char *safetensors_path,
                                   GError **error);
/* Makes model_id the current model (NOT_FOUND when there is no such model). */
gboolean rl_project_set_current_model (RlProject *project, gint64 model_id, GError **error);

/* Renames a version (1 to 200 bytes of UTF-8; names need not be unique). */
gboolean rl_project_rename_model (RlProject *project, gint64 model_id, const char *name,
                                  GError **error);
/* Deletes a version that is not the current one, with its predictions, metrics runs and
 * training-image records; versions fine-tuned from it lose their parent. */
gboolean rl_project_delete_model (RlProject *project, gint64 model_id, GError **error);

typedef struct
{
  gint64 id;
  char *name;
  gint64 parent_id;      /* 0: none */
  char *config;          /* JSON or NULL */
  char *created;         /* ISO 8601, UTC */
  gboolean current;
  guint n_trained;       /* images recorded as trained on (0 for imported models) */
} RlModelInfo;

void rl_model_info_free (RlModelInfo *info);
/* All model versions in id order (RlModelInfo*, owned by the array). */
GPtrArray *rl_project_list_models (RlProject *project, GError **error);
/* The images model_id was trained on: a table of image id (gint64*) -> mask revision (gint64*)
 * (empty for a model whose training images are not recorded). */
GHashTable *rl_project_model_trained_images (RlProject *project, gint64 model_id,
                                             GError **error);
/* The image's label version: the revision of its current mask. */
gboolean rl_project_get_label_version (RlProject *project, gint64 image_id, gint64 *rev,
                                       GError **error);
/* The ids (gint64 keys) of the project's images that a model file's trained_on lists (rl-net.h
 * RlNetMeta: [name, SHA-1 of the image file] pairs), matched by the SHA-1 the import stored:
 * the images that model learnt from. An empty set for NULL; NULL with error on a database
 * failure. Every way a model enters the project records them (rl_project_add_model). */
GHashTable *rl_project_images_in_trained_on (RlProject *project, const char *trained_on,
                                             GError **error);
/* Records for every stored version the images its file's trained_on lists that are not
 * recorded yet (one transaction): what an import runs after adding images, so that images
 * added after the model are matched too. */
gboolean rl_project_record_trained_on (RlProject *project, GError **error);
/* The one check of a model file, for every way a model enters a project: rl_model_load
 * (header, every tensor, shapes, metadata) and its class count against spec's (spec may be
 * NULL: no class check). FALSE with RL_PROJECT_ERROR_INVALID naming the file and the cause. */
gboolean rl_project_check_model_file (const char *path, const RlClassSpec *spec, GError **error);
/* The one way a stored version is loaded for the engine (pre-label, eval, suspects): its
 * weights through a temporary file into an RlModel (free with rl_model_free) on the app's
 * engine path (rl_app_engine_path), or NULL with error naming the project and the version. */
struct RlModel *rl_project_load_model (RlProject *project, gint64 model_id, GError **error);
/* Writes the model's weights to a file (e.g. a temp file for the engine to load). */
gboolean rl_project_export_model (RlProject *project, gint64 model_id, const char *path,
                                  GError **error);
/* The current model, or 0 when there is none. */
gint64 rl_project_current_model (RlProject *project);
gboolean rl_project_set_prediction (RlProject *project, gint64 image_id, gint64 model_id,
                                    const guint8 *mask, int width, int height, GError **error);
/* Scores the image's newest prediction again against its current labels (after an edit) and
 * stores the new mIoU / BF with it. *stored is FALSE when the image has no prediction (not an
 * error); miou / bf get NaN where undefined (e.g. no labels). Any pointer may be NULL. */
gboolean rl_project_rescore_prediction (RlProject *project, gint64 image_id, double *miou,
                                        double *bf, gboolean *stored, GError **error);

/* --- metrics runs: metrics_json is `relabel eval --json`'s object. */
gboolean rl_project_add_metrics (RlProject *project, gint64 model_id, const char *split,
                                 const char *metrics_json, GError **error);
/* The newest metrics run of model_id under each key (RlMetricsRun*, by key). */
typedef struct
{
  char *key;             /* the split, "heldout", "all", "val:original", ... */
  char *metrics;         /* `relabel eval --json`'s object */
  char *created;         /* ISO 8601, UTC */
} RlMetricsRun;
void rl_metrics_run_free (RlMetricsRun *run);
GPtrArray *rl_project_list_metrics_runs (RlProject *project, gint64 model_id, GError **error);
/* The newest metrics JSON for (model, split), or NULL. */
char *rl_project_get_metrics (RlProject *project, gint64 model_id, const char *split);

/* --- export: format "camvid" | "color"; labels "corrected" | "original" | "prediction";
 * split NULL for all. Atomic: a temporary folder renamed into place; refuses a non-empty out_dir
 * unless force (EXISTS), and never replaces a folder holding the project or the dataset.
 * Layout: SPLIT/IMAGE (the image file copied), SPLITannot/NAME.png (indexed palette PNG, or RGB
 * for "color"), SPLIT.txt ("SPLIT/IMAGE SPLITannot/NAME.png", relative), classes.json and
 * changes.csv: image,split,status,pixels_changed,changes where changes is "from>to:count ..."
 * against the original labels (all void for unlabelled images). Images flagged missing,
 * unlabelled and unedited, or without the requested labels are skipped and said so there. */
gboolean rl_project_export (RlProject *project, const char *format, const char *out_dir,
                            const char *split, const char *labels, gboolean force,
                            void (*progress) (guint done, guint total, gpointer data),
                            gpointer data, GCancellable *cancellable, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlProject, rl_project_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlImageInfo, rl_image_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlEditInfo, rl_edit_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlModelInfo, rl_model_info_free)
