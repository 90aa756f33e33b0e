/* The metrics of an evaluation as JSON, shared by `relabel eval --json` and the metrics runs the
 * project stores, so both speak the same keys in the same order. */
#include "rl-metrics-json.h"

#include <json-glib/json-glib.h>
#include <math.h>

void
rl_json_add_number (JsonBuilder *b, const char *key, double v)
{
  json_builder_set_member_name (b, key);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, v);
}

static const char *
class_name (const RlClassSpec *spec, int c)
{
  return spec != NULL && c < spec->n_classes ? spec->classes[c].name : NULL;
}

char *
rl_metrics_to_json (const RlMetrics *m, const RlClassSpec *spec,
                    const char *const *image_names, gboolean pretty)
{
  int K = rl_metrics_n_classes (m), ignore = rl_metrics_ignore_index (m);
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, rl_metrics_n_images (m));
  rl_json_add_number (b, "global_accuracy", rl_metrics_global_accuracy (m));
  rl_json_add_number (b, "class_accuracy", rl_metrics_class_accuracy (m));
  rl_json_add_number (b, "miou", rl_metrics_miou (m));
  rl_json_add_number (b, "bf", rl_metrics_bf (m));

  json_builder_set_member_name (b, "per_class");
  json_builder_begin_array (b);
  for (int c = 0; c < K; c++)
    {
      if (c == ignore)
        continue;
      RlClassScores s;
      rl_metrics_class (m, c, &s);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "index");
      json_builder_add_int_value (b, c);
      if (class_name (spec, c) != NULL)
        {
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, class_name (spec, c));
        }
      rl_json_add_number (b, "accuracy", s.accuracy);
      rl_json_add_number (b, "iou", s.iou);
      rl_json_add_number (b, "bf", s.bf);
      json_builder_set_member_name (b, "pixels");
      json_builder_add_int_value (b, s.pixels);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  const int64_t *conf = rl_metrics_confusion (m);
  json_builder_set_member_name (b, "confusion");
  json_builder_begin_array (b);
  for (int i = 0; i < K; i++)
    {
      json_builder_begin_array (b);
      for (int j = 0; j < K; j++)
        json_builder_add_int_value (b, conf[(gsize) i * K + j]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "per_image");
  json_builder_begin_array (b);
  for (gint64 i = 0; i < rl_metrics_n_images (m); i++)
    {
      RlImageScores s;
      rl_metrics_image_scores (m, i, &s);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, image_names[i]);
      rl_json_add_number (b, "global_accuracy", s.global_accuracy);
      rl_json_add_number (b, "class_accuracy", s.class_accuracy);
      rl_json_add_number (b, "miou", s.miou);
      rl_json_add_number (b, "bf", s.bf);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, pretty);
  return json_generator_to_data (gen, NULL);
}
