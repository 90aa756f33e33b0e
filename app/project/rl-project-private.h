/* What the files of the project store share (rl-project.c: schema, SQLite helpers, opening,
 * images, masks; rl-project-import.c; rl-project-edits.c; rl-project-models.c): the
 * connection's struct, the image row and the helpers. Private to app/project/rl-project*.c. */
#pragma once

#include <sqlite3.h>

#include "rl-project.h"

#define MASK_CURRENT 0
#define MASK_ORIGINAL 1

#define PREDICTION_ORDER \
  " ORDER BY model_id = (SELECT id FROM models WHERE current = 1) DESC, model_id DESC LIMIT 1"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

struct _RlProject
{
  sqlite3 *db;
  char *path;
  char *kind;
  char *root;
  RlClassSpec *spec;

  /* The last current mask read or written, valid while images.rev matches: a stroke commit
   * then costs no PNG decode. */
  gint64 cache_image;
  gint64 cache_rev;
  int cache_width, cache_height;
  guint8 *cache_mask;
};

typedef struct
{
  gint64 id;
  int width, height;
  int status;
  gint64 edit_pos;
  gint64 rev;
  char *name;
} ImageRow;

static inline void
image_row_clear (ImageRow *row)
{
  g_clear_pointer (&row->name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImageRow, image_row_clear)

/* Small SQLite helpers (rl-project.c): every failure becomes a GError naming the project file. */
void cache_drop (RlProject *p);
gboolean db_exec (RlProject *p, const char *sql, GError **error);
gboolean db_fail (RlProject *p, GError **error, const char *what);
sqlite3_stmt *db_prepare (RlProject *p, const char *sql, GError **error);
gboolean db_step_done (RlProject *p, sqlite3_stmt *stmt, GError **error, const char *what);
gboolean decode_mask (RlProject *p, const void *blob, gsize len, int want_w, int want_h,
                      const char *what, guint8 **out, GError **error);
gboolean load_meta (RlProject *p, GError **error);
gboolean meta_set (RlProject *p, const char *key, const char *value, GError **error);
char *now_iso (void);
gboolean query_int (RlProject *p, const char *sql, gint64 *out, GError **error);
guint8 *read_current (RlProject *p, const ImageRow *row, GError **error);
gboolean read_image_row (RlProject *p, gint64 image_id, ImageRow *row, GError **error);
guint8 *read_other (RlProject *p, const ImageRow *row, RlMaskKind kind, GError **error);
sqlite3_stmt *select_by_id (RlProject *p, const char *sql, gint64 id, const char *thing,
                            GError **error);
gboolean tx_begin (RlProject *p, GError **error);
gboolean tx_end (RlProject *p, gboolean ok, GError **error);
