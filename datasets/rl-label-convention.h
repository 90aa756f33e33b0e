/* Label conventions: how the values of a label file number the classes. SUN RGB-D's 37 classes
 * ship 1-based with 0 = void in the official toolbox and 0-based with 255 = void in some
 * re-packagings; read with the wrong one, every class shifts by one with no error. So the
 * convention is never guessed: it is given (`--label-convention`, or "label_convention" in a
 * folder dataset's classes.json), or it is the SUN RGB-D toolbox's and the loader says so
 * (rl_dataset_describe_labels). A value that does not fit the convention is an error naming the
 * file, the value and its first pixel, never void.
 *
 * Inside Relabel a dataset read with a convention always has the SUN RGB-D layout: value 0 is
 * void and classes are 1..K (rl_class_spec_sunrgbd, or classes.json's K classes after a void
 * entry), so a model trained on labels of either convention is the same model. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"
#include "rl-label-map.h"

typedef enum
{
  RL_LABEL_CONVENTION_UNSET = 0,     /* none given: the loader's default (see rl-dataset.h) */
  RL_LABEL_CONVENTION_1_BASED,       /* 0 = void, 1..K classes: the SUN RGB-D toolbox's */
  RL_LABEL_CONVENTION_1_BASED_255,   /* as 1-based, and 255 is also void */
  RL_LABEL_CONVENTION_0_BASED_255,   /* 0..K-1 classes, 255 = void (some re-packagings) */
} RlLabelConvention;

/* "1-based", "1-based-255", "0-based-255" (also "0-based" for the last). FALSE otherwise. */
gboolean rl_label_convention_parse (const char *text, RlLabelConvention *out);
/* The canonical name ("1-based", ...); "unset" for RL_LABEL_CONVENTION_UNSET. */
const char *rl_label_convention_name (RlLabelConvention c);
/* A phrase for messages, e.g. "1-based (0 = void, 1..37)" for k = 37 classes. g_free(). */
char *rl_label_convention_describe (RlLabelConvention c, int k);

/* The label map that reads files of convention c into spec's values. spec has the internal
 * layout: ignore_index 0 and classes 1..n_classes-1. Values outside the convention are not in
 * the map, so rl_label_map_read refuses them (file, value, first pixel). */
RlLabelMap *rl_label_convention_map (RlLabelConvention c, const RlClassSpec *spec,
                                     GError **error);

/* The internal spec for a folder dataset's K classes under a convention: "void" at 0 (black),
 * then the K classes, ignore_index 0. */
RlClassSpec *rl_label_convention_spec (const RlClassSpec *classes);
