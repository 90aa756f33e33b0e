/* Label maps: how a dataset's label files translate into a class spec's values, for labels that
 * are not already class indices: colour-coded PNGs (the original CamVid _L.png, 32 colours) and
 * value PNGs of another numbering (Cityscapes labelIds, NYU-40). A small JSON the user can edit:
 *
 * {"id": "camvid32-segnet11", "match": "color" | "value",
 *  "target": "camvid" | "sunrgbd" | {classes.json's object},
 *  "map": [{"name": "Archway", "color": [192,0,128], "to": "Building"},      (match "color")
 *          {"name": "road", "value": 7, "to": 0}, ...]}                      (match "value")
 *
 * "to" is a target class name (case-insensitive), a target value, or "void". A colour or value
 * the map does not list is an error naming the file, the colour/value and its first pixel. The
 * standard maps ship in resources/label-maps/. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"

typedef struct _RlLabelMap RlLabelMap;

RlLabelMap *rl_label_map_load_json (const char *path, GError **error);
RlLabelMap *rl_label_map_from_json (const char *json, const char *name, GError **error);
void rl_label_map_free (RlLabelMap *map);
const RlClassSpec *rl_label_map_get_spec (const RlLabelMap *map);   /* the target classes */
const char *rl_label_map_get_id (const RlLabelMap *map);
gboolean rl_label_map_is_color (const RlLabelMap *map);

/* Reads a label file through the map: (H, W) target values, g_free(). */
gboolean rl_label_map_read (const RlLabelMap *map, const char *path, int *width, int *height,
                            guint8 **labels, GError **error);

/* The source value for each target value (for export): the first map entry that maps to it
 * (for colour maps, the entry's colour). FALSE when the target value has none. */
gboolean rl_label_map_source_value (const RlLabelMap *map, guint8 target, guint8 *value);
gboolean rl_label_map_source_color (const RlLabelMap *map, guint8 target, guint8 rgb[3]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RlLabelMap, rl_label_map_free)
