/* Label maps (colour or value -> class value) parsed from JSON, applied to label files, and
 * inverted for export. See rl-label-map.h for the file format. */
#define G_LOG_DOMAIN "relabel"

#include "rl-label-map.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "rl-dataset.h"
#include "rl-image-io.h"

typedef struct
{
  guint32 key;       /* value, or 0xRRGGBB */
  guint8 to;
} Entry;

struct _RlLabelMap
{
  char *id;
  gboolean color;
  RlClassSpec *spec;
  GArray *entries;   /* Entry, in file order */
  GHashTable *lut;   /* key + 1 -> to + 1 */
};

void
rl_label_map_free (RlLabelMap *map)
{
  if (map == NULL)
    return;
  g_free (map->id);
  rl_class_spec_free (map->spec);
  g_array_unref (map->entries);
  g_hash_table_unref (map->lut);
  g_free (map);
}

static gboolean
fail (GError **error, const char *name, const char *what)
{
  g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT, "%s: %s", name, what);
  return FALSE;
}

static gboolean
int_member (JsonObject *o, const char *member, gint64 lo, gint64 hi, gint64 *out)
{
  JsonNode *n = json_object_get_member (o, member);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (n);
  return *out >= lo && *out <= hi;
}

/* "to": a class name, a value or "void" -> target value. */
static gboolean
resolve_to (const RlClassSpec *spec, JsonNode *n, guint8 *to)
{
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n))
    return FALSE;
  if (json_node_get_value_type (n) == G_TYPE_INT64)
    {
      gint64 v = json_node_get_int (n);
      if (v < 0 || v > 255 || !(v < spec->n_classes || v == spec->ignore_index))
        return FALSE;
      *to = (guint8) v;
      return TRUE;
    }
  if (json_node_get_value_type (n) != G_TYPE_STRING)
    return FALSE;
  const char *s = json_node_get_string (n);
  if (g_ascii_strcasecmp (s, "void") == 0)
    {
      *to = (guint8) spec->ignore_index;
      return TRUE;
    }
  for (int c = 0; c < spec->n_classes; c++)
    if (c != spec->ignore_index && spec->classes[c].name
        && g_ascii_strcasecmp (spec->classes[c].name, s) == 0)
      {
        *to = (guint8) c;
        return TRUE;
      }
  return FALSE;
}

RlLabelMap *
rl_label_map_from_json (const char *json, const char *name, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  if (!json_parser_load_from_data (parser, json, -1, &local))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT, "%s: %s", name,
                   local->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, name, "expected a JSON object with \"match\", \"target\" and \"map\""),
           NULL;
  JsonObject *o = json_node_get_object (root);
  RlLabelMap *map = g_new0 (RlLabelMap, 1);
  map->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  map->lut = g_hash_table_new (NULL, NULL);
  g_autoptr (RlLabelMap) guard = map;
  const char *id = json_object_get_string_member_with_default (o, "id", "label-map");
  map->id = g_strdup (id);
  const char *match = json_object_get_string_member_with_default (o, "match", "");
  if (strcmp (match, "color") != 0 && strcmp (match, "value") != 0)
    return fail (error, name, "\"match\" must be \"color\" or \"value\""), NULL;
  map->color = strcmp (match, "color") == 0;
  JsonNode *target = json_object_get_member (o, "target");
  if (target != NULL && JSON_NODE_HOLDS_VALUE (target)
      && json_node_get_value_type (target) == G_TYPE_STRING)
    {
      const char *t = json_node_get_string (target);
      if (strcmp (t, "camvid") == 0)
        map->spec = rl_class_spec_camvid ();
      else if (strcmp (t, "sunrgbd") == 0)
        map->spec = rl_class_spec_sunrgbd ();
    }
  else if (target != NULL && JSON_NODE_HOLDS_OBJECT (target))
    {
      g_autofree char *text = json_to_string (target, FALSE);
      map->spec = rl_class_spec_from_json (text, &local);
      if (map->spec == NULL)
        return fail (error, name, local->message), NULL;
    }
  if (map->spec == NULL)
    return fail (error, name, "\"target\" must be \"camvid\", \"sunrgbd\" or a classes object"),
           NULL;
  JsonNode *list = json_object_get_member (o, "map");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    return fail (error, name, "missing \"map\" list"), NULL;
  JsonArray *arr = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (arr); i++)
    {
      JsonNode *en = json_array_get_element (arr, i);
      g_autofree char *where = g_strdup_printf ("entry %u of \"map\"", i + 1);
      if (!JSON_NODE_HOLDS_OBJECT (en))
        return fail (error, name, where), NULL;
      JsonObject *e = json_node_get_object (en);
      Entry entry = { 0, 0 };
      if (map->color)
        {
          JsonNode *c = json_object_get_member (e, "color");
          JsonArray *ca;
          if (c == NULL || !JSON_NODE_HOLDS_ARRAY (c)
              || json_array_get_length ((ca = json_node_get_array (c))) != 3)
            {
              g_autofree char *m = g_strdup_printf ("%s: \"color\" must be [r, g, b]", where);
              return fail (error, name, m), NULL;
            }
          for (int k = 0; k < 3; k++)
            {
              gint64 v = json_array_get_int_element (ca, k);
              if (v < 0 || v > 255)
                {
                  g_autofree char *m = g_strdup_printf ("%s: colour values are 0..255", where);
                  return fail (error, name, m), NULL;
                }
              entry.key = (entry.key << 8) | (guint32) v;
            }
        }
      else
        {
          gint64 v;
          if (!int_member (e, "value", 0, 255, &v))
            {
              g_autofree char *m = g_strdup_printf ("%s: \"value\" must be 0..255", where);
              return fail (error, name, m), NULL;
            }
          entry.key = (guint32) v;
        }
      if (!resolve_to (map->spec, json_object_get_member (e, "to"), &entry.to))
        {
          g_autofree char *m = g_strdup_printf ("%s: \"to\" is not a class of %s, a value or "
                                                "\"void\"", where, map->spec->id);
          return fail (error, name, m), NULL;
        }
      if (g_hash_table_contains (map->lut, GUINT_TO_POINTER (entry.key + 1)))
        {
          g_autofree char *m = g_strdup_printf ("%s: listed twice", where);
          return fail (error, name, m), NULL;
        }
      g_hash_table_insert (map->lut, GUINT_TO_POINTER (entry.key + 1),
                           GUINT_TO_POINTER ((guint) entry.to + 1));
      g_array_append_val (map->entries, entry);
    }
  if (map->entries->len == 0)
    return fail (error, name, "the \"map\" list is empty"), NULL;
  return g_steal_pointer (&guard);
}

RlLabelMap *
rl_label_map_load_json (const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (GError) local = NULL;
  if (!g_file_get_contents (path, &text, &len, &local))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_NOT_FOUND, "%s: cannot read: %s",
                   path, local->message);
      return NULL;
    }
  if (len > RL_CLASS_SPEC_MAX_BYTES)
    return fail (error, path, "too large for a label map"), NULL;
  return rl_label_map_from_json (text, path, error);
}

const RlClassSpec *
rl_label_map_get_spec (const RlLabelMap *map)
{
  return map->spec;
}

const char *
rl_label_map_get_id (const RlLabelMap *map)
{
  return map->id;
}

gboolean
rl_label_map_is_color (const RlLabelMap *map)
{
  return map->color;
}

gboolean
rl_label_map_read (const RlLabelMap *map, const char *path, int *width, int *height,
                   guint8 **labels, GError **error)
{
  int w = 0, h = 0;
  g_autofree guint8 *src = NULL;
  if (map->color ? !rl_image_read_rgb (path, &w, &h, &src, error)
                 : !rl_label_read (path, &w, &h, &src, error))
    return FALSE;
  gsize n = (gsize) w * h;
  g_autofree guint8 *out = g_malloc (n);
  /* Runs of one colour are common: remember the last lookup. */
  guint32 last_key = G_MAXUINT32;
  guint8 last_to = 0;
  for (gsize k = 0; k < n; k++)
    {
      guint32 key = map->color ? ((guint32) src[3 * k] << 16) | ((guint32) src[3 * k + 1] << 8)
                                   | src[3 * k + 2]
                               : src[k];
      if (key != last_key)
        {
          gpointer v = g_hash_table_lookup (map->lut, GUINT_TO_POINTER (key + 1));
          if (v == NULL)
            {
              if (map->color)
                g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE,
                             "%s: colour (%u, %u, %u) at pixel (%d, %d) is not in label map "
                             "'%s'", path, key >> 16, (key >> 8) & 0xff, key & 0xff,
                             (int) (k % w), (int) (k / w), map->id);
              else
                g_set_error (error, RL_IMAGE_ERROR, RL_IMAGE_ERROR_VALUE,
                             "%s: value %u at pixel (%d, %d) is not in label map '%s'", path,
                             key, (int) (k % w), (int) (k / w), map->id);
              return FALSE;
            }
          last_key = key;
          last_to = (guint8) (GPOINTER_TO_UINT (v) - 1);
        }
      out[k] = last_to;
    }
  *width = w;
  *height = h;
  *labels = g_steal_pointer (&out);
  return TRUE;
}

gboolean
rl_label_map_source_value (const RlLabelMap *map, guint8 target, guint8 *value)
{
  for (guint i = 0; i < map->entries->len; i++)
    {
      const Entry *e = &g_array_index (map->entries, Entry, i);
      if (e->to == target)
        {
          *value = (guint8) e->key;
          return !map->color;
        }
    }
  return FALSE;
}

gboolean
rl_label_map_source_color (const RlLabelMap *map, guint8 target, guint8 rgb[3])
{
  for (guint i = 0; i < map->entries->len; i++)
    {
      const Entry *e = &g_array_index (map->entries, Entry, i);
      if (e->to == target)
        {
          rgb[0] = e->key >> 16;
          rgb[1] = (e->key >> 8) & 0xff;
          rgb[2] = e->key & 0xff;
          return map->color;
        }
    }
  return FALSE;
}
