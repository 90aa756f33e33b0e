/* fuzz-classes-json: arbitrary bytes as a folder dataset's classes.json: parsed from memory
 * (rl_class_spec_from_json, as a project reads its stored spec), from the file
 * (rl_class_spec_load_json) and through the folder loader (rl_dataset_load ("folder")). A spec
 * that loads must survive rl_class_spec_to_json / _from_json unchanged. */
#include "fuzz.h"
#include "rl-dataset.h"
#include "rl-image-io.h"

#include <string.h>

static char *root;

static void
make_layout (void)
{
  GError *error = NULL;
  guint8 rgb[2 * 2 * 3] = { 0 }, labels[2 * 2] = { 0, 1, 2, 255 };

  root = g_build_filename (fuzz_tmpdir (), "folder", NULL);
  char *images = g_build_filename (root, "images", NULL);
  char *lab = g_build_filename (root, "labels", NULL);
  if (g_mkdir_with_parents (images, 0755) != 0 || g_mkdir_with_parents (lab, 0755) != 0)
    fuzz_fail ("cannot make %s", root);
  char *img = g_build_filename (images, "x.png", NULL);
  char *label = g_build_filename (lab, "x.png", NULL);
  if (!rl_image_write_rgb_png (img, 2, 2, rgb, &error)
      || !rl_label_write (label, 2, 2, labels, NULL, &error))
    fuzz_fail ("cannot make the folder dataset: %s", error->message);
  g_free (img);
  g_free (label);
  g_free (images);
  g_free (lab);
}

static void
check_same (const RlClassSpec *a, const RlClassSpec *b)
{
  if (a->n_classes != b->n_classes || a->ignore_index != b->ignore_index
      || a->high_is_void != b->high_is_void || memcmp (a->void_rgb, b->void_rgb, 3) != 0
      || g_strcmp0 (a->id, b->id) != 0)
    fuzz_fail ("class spec changed in a JSON round trip");
  for (int i = 0; i < a->n_classes; i++)
    if (g_strcmp0 (a->classes[i].name, b->classes[i].name) != 0
        || a->classes[i].r != b->classes[i].r || a->classes[i].g != b->classes[i].g
        || a->classes[i].b != b->classes[i].b)
      fuzz_fail ("class %d changed in a JSON round trip", i);
}

static void
check_spec (const RlClassSpec *spec)
{
  if (spec->n_classes < 1 || spec->n_classes > 256 || spec->classes == NULL)
    fuzz_fail ("spec accepted with %d classes", spec->n_classes);
  for (int i = 0; i < spec->n_classes; i++)
    if (spec->classes[i].name == NULL)
      fuzz_fail ("class %d has no name", i);
  for (guint v = 0; v < 300; v++)
    (void) rl_class_spec_value_ok (spec, v), (void) rl_class_spec_is_class (spec, v);
  char *json = rl_class_spec_to_json (spec);
  GError *error = NULL;
  RlClassSpec *back = rl_class_spec_from_json (json, &error);
  if (back == NULL)
    fuzz_fail ("spec does not read back from its own JSON: %s", error->message);
  check_same (spec, back);
  RlClassSpec *copy = rl_class_spec_copy (spec);
  check_same (spec, copy);
  rl_class_spec_free (copy);
  rl_class_spec_free (back);
  g_free (json);
}

int
fuzz_one (const uint8_t *data, size_t size)
{
  GError *error = NULL;

  if (root == NULL)
    make_layout ();

  char *text = g_strndup ((const char *) data, size);
  RlClassSpec *spec = rl_class_spec_from_json (text, &error);
  if (spec != NULL)
    {
      check_spec (spec);
      rl_class_spec_free (spec);
    }
  else
    {
      fuzz_check_message ("rl_class_spec_from_json", error->message, NULL);
      g_clear_error (&error);
    }
  g_free (text);

  char *path = g_build_filename (root, "classes.json", NULL);
  if (!g_file_set_contents (path, (const char *) data, (gssize) size, &error))
    fuzz_fail ("cannot write %s: %s", path, error->message);
  spec = rl_class_spec_load_json (path, &error);
  if (spec != NULL)
    {
      check_spec (spec);
      rl_class_spec_free (spec);
    }
  else
    {
      fuzz_check_message ("rl_class_spec_load_json", error->message, path);
      g_clear_error (&error);
    }

  RlDataset *ds = rl_dataset_load ("folder", root, &error);
  if (ds != NULL)
    {
      check_spec (ds->spec);
      rl_dataset_validate (ds, FALSE, NULL, NULL);
      for (guint i = 0; i < ds->problems->len; i++)
        fuzz_check_message ("a dataset problem", ds->problems->pdata[i], NULL);
      rl_dataset_free (ds);
    }
  else
    {
      fuzz_check_message ("rl_dataset_load", error->message, NULL);
      g_clear_error (&error);
    }
  g_free (path);
  return 0;
}
