/* Class specifications: names, colours and the void convention of a dataset.
 * Label value v is a class when v < n_classes and v != ignore_index; anything else is void. */
#pragma once

#include <glib.h>

typedef struct
{
  char *name;
  guint8 r, g, b;
} RlClass;

typedef struct
{
  char *id;                 /* "camvid", "sunrgbd", or the folder's own name */
  int n_classes;            /* K: label values 0..K-1 (may include the ignore index) */
  RlClass *classes;         /* K entries */
  int ignore_index;         /* void value: 11 for CamVid (outside 0..K-1), 0 for SUN RGB-D */
  guint8 void_rgb[3];       /* colour of void in colour-coded labels */
  gboolean high_is_void;    /* values >= K (other than ignore) are void (SUN RGB-D), not errors */
} RlClassSpec;

RlClassSpec *rl_class_spec_camvid (void);    /* 11 classes + void 11, SegNet tutorial colours */
RlClassSpec *rl_class_spec_sunrgbd (void);   /* 38 values: 0 void + 37 classes, values > 37 void */
RlClassSpec *rl_class_spec_copy (const RlClassSpec *spec);
void rl_class_spec_free (RlClassSpec *spec);

/* TRUE if value is allowed in a label of this spec (a class, the ignore index, or void-by-rule). */
gboolean rl_class_spec_value_ok (const RlClassSpec *spec, guint value);
/* TRUE if value is counted as a class (not void). */
gboolean rl_class_spec_is_class (const RlClassSpec *spec, guint value);

/* classes.json of a generic folder dataset:
 * {"classes": [{"name": "sky", "color": [128,128,128]}, ...], "ignore_index": 255,
 *  "void_color": [0,0,0]}
 * Optional members: "id" (string), "ignore_index" (0..255, default 255), "void_color" (default
 * black), "high_is_void" (default false). Errors are RL_DATASET_ERROR_NOT_FOUND / _FORMAT
 * (rl-dataset.h) with messages naming the file and the cause. A file over
 * RL_CLASS_SPEC_MAX_BYTES is refused before it is read. */
#define RL_CLASS_SPEC_MAX_BYTES (1 << 20)
RlClassSpec *rl_class_spec_load_json (const char *path, GError **error);
char *rl_class_spec_to_json (const RlClassSpec *spec);
RlClassSpec *rl_class_spec_from_json (const char *json, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlClassSpec, rl_class_spec_free)
