/* Label conventions (1-based with 0 = void, 0-based with 255 = void) as value label maps. See
 * rl-label-convention.h. */
#include "rl-label-convention.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "rl-dataset.h"

gboolean
rl_label_convention_parse (const char *text, RlLabelConvention *out)
{
  if (text == NULL)
    return FALSE;
  if (strcmp (text, "1-based") == 0)
    *out = RL_LABEL_CONVENTION_1_BASED;
  else if (strcmp (text, "1-based-255") == 0)
    *out = RL_LABEL_CONVENTION_1_BASED_255;
  else if (strcmp (text, "0-based-255") == 0 || strcmp (text, "0-based") == 0)
    *out = RL_LABEL_CONVENTION_0_BASED_255;
  else
    return FALSE;
  return TRUE;
}

const char *
rl_label_convention_name (RlLabelConvention c)
{
  switch (c)
    {
    case RL_LABEL_CONVENTION_1_BASED:
      return "1-based";
    case RL_LABEL_CONVENTION_1_BASED_255:
      return "1-based-255";
    case RL_LABEL_CONVENTION_0_BASED_255:
      return "0-based-255";
    case RL_LABEL_CONVENTION_UNSET:
    default:
      return "unset";
    }
}

char *
rl_label_convention_describe (RlLabelConvention c, int k)
{
  switch (c)
    {
    case RL_LABEL_CONVENTION_1_BASED:
      return g_strdup_printf ("1-based (0 = void, 1..%d the classes)", k);
    case RL_LABEL_CONVENTION_1_BASED_255:
      return g_strdup_printf ("1-based-255 (0 and 255 = void, 1..%d the classes)", k);
    case RL_LABEL_CONVENTION_0_BASED_255:
      return g_strdup_printf ("0-based-255 (0..%d the classes, 255 = void)", k - 1);
    case RL_LABEL_CONVENTION_UNSET:
    default:
      return g_strdup ("the values as the classes say");
    }
}

RlLabelMap *
rl_label_convention_map (RlLabelConvention c, const RlClassSpec *spec, GError **error)
{
  g_return_val_if_fail (spec != NULL && spec->ignore_index == 0 && spec->n_classes >= 2, NULL);
  int k = spec->n_classes - 1;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  g_autofree char *what = rl_label_convention_describe (c, k);
  g_autofree char *id = g_strdup_printf ("convention %s", what);
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "match");
  json_builder_add_string_value (b, "value");
  json_builder_set_member_name (b, "target");
  g_autofree char *spec_json = rl_class_spec_to_json (spec);
  g_autoptr (JsonNode) target = json_from_string (spec_json, NULL);
  json_builder_add_value (b, g_steal_pointer (&target));
  json_builder_set_member_name (b, "map");
  json_builder_begin_array (b);
#define ENTRY(from, to)                                  \
  do                                                     \
    {                                                    \
      json_builder_begin_object (b);                     \
      json_builder_set_member_name (b, "value");         \
      json_builder_add_int_value (b, (from));            \
      json_builder_set_member_name (b, "to");            \
      json_builder_add_int_value (b, (to));              \
      json_builder_end_object (b);                       \
    }                                                    \
  while (0)
  switch (c)
    {
    case RL_LABEL_CONVENTION_1_BASED:
    case RL_LABEL_CONVENTION_1_BASED_255:
      for (int v = 0; v <= k; v++)
        ENTRY (v, v);
      if (c == RL_LABEL_CONVENTION_1_BASED_255)
        ENTRY (255, 0);
      break;
    case RL_LABEL_CONVENTION_0_BASED_255:
      for (int v = 0; v < k; v++)
        ENTRY (v, v + 1);
      ENTRY (255, 0);
      break;
    case RL_LABEL_CONVENTION_UNSET:
    default:
      g_set_error (error, RL_DATASET_ERROR, RL_DATASET_ERROR_FORMAT,
                   "no label convention given");
      return NULL;
    }
#undef ENTRY
  json_builder_end_array (b);
  json_builder_end_object (b);
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, FALSE);
  return rl_label_map_from_json (text, id, error);
}

RlClassSpec *
rl_label_convention_spec (const RlClassSpec *classes)
{
  RlClassSpec *spec = g_new0 (RlClassSpec, 1);
  spec->id = g_strdup (classes->id);
  spec->n_classes = classes->n_classes + 1;
  spec->classes = g_new0 (RlClass, spec->n_classes);
  spec->classes[0].name = g_strdup ("void");
  for (int i = 0; i < classes->n_classes; i++)
    {
      spec->classes[i + 1] = classes->classes[i];
      spec->classes[i + 1].name = g_strdup (classes->classes[i].name);
    }
  spec->ignore_index = 0;
  memcpy (spec->void_rgb, classes->void_rgb, 3);
  spec->high_is_void = FALSE;
  return spec;
}
