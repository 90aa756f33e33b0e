/* The layouts `relabel export --format` writes (rl_project_export): CamVid (indexed label PNGs),
 * colour-coded PNGs, Pascal VOC and Cityscapes-style labelIds. Each names its files and writes
 * its label PNGs here; rl-project-export.c does the rest (atomic folder, lists, changes.csv).
 *
 * voc:        JPEGImages/NAME.EXT, SegmentationClass/NAME.png (palette PNG: index = class,
 *             255 = void in (224,224,192)), ImageSets/Segmentation/SPLIT.txt (names),
 *             labelmap.txt ("name:r,g,b::" per class, line i = index i, as CVAT/Datumaro write)
 * cityscapes: leftImg8bit/SPLIT/CITY/NAME_leftImg8bit.EXT,
 *             gtFine/SPLIT/CITY/NAME_gtFine_labelIds.png (8-bit ids) and label-map.json (the ids
 *             to the project's classes, rl-label-map.h). A project of Cityscapes' 19 train
 *             classes gets the official labelIds (void 0 "unlabeled"); any other project's ids
 *             are its class values, void 255. CITY is the name up to its first '_'.
 * Both read back with `relabel import --dataset voc|cityscapes`. */
#pragma once

#include <glib.h>
#include "rl-class-spec.h"

typedef enum
{
  RL_EXPORT_CAMVID,
  RL_EXPORT_COLOR,
  RL_EXPORT_VOC,
  RL_EXPORT_CITYSCAPES,
} RlExportFormat;

gboolean rl_export_format_parse (const char *name, RlExportFormat *format);
/* Where an image (project name, its file's rel_path) of split goes: folders relative to the
 * export's root and file names; all g_free(). */
void rl_export_paths (RlExportFormat format, const char *name, const char *rel_path,
                      const char *split, char **img_dir, char **img_file, char **lbl_dir,
                      char **lbl_file);
/* Writes mask (H, W; the project's values) in the format's label encoding, atomically. */
gboolean rl_export_write_label (RlExportFormat format, const char *path, int width, int height,
                                const guint8 *mask, const RlClassSpec *spec, GError **error);
/* The Cityscapes labelId of each project value (void included) into ids[256]. */
void rl_export_cityscapes_ids (const RlClassSpec *spec, guint8 ids[256]);
char *rl_export_voc_labelmap (const RlClassSpec *spec);
char *rl_export_cityscapes_label_map (const RlClassSpec *spec);
