/* Benchmark of datasets/ image I/O on the real data: PNG image, label and JPEG decode times,
 * label encode and atomic write, and rl_dataset_validate on all of CamVid. Prints figures. */
#include "rl-dataset.h"
#include "rl-image-io.h"

#include <stdio.h>
#include <stdlib.h>
#include <glib/gstdio.h>

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static void
progress_none (guint done, guint total, gpointer data)
{
}

int
main (int argc, char **argv)
{
  const char *camvid = argc > 1 ? argv[1] : g_getenv ("RELABEL_CAMVID");
  const char *sun = argc > 2 ? argv[2] : g_getenv ("RELABEL_SUNRGBD");
  g_autoptr (GError) error = NULL;
  g_autoptr (RlDataset) cv = NULL;
  g_autoptr (RlDataset) sr = NULL;
  g_autofree char *tmp = NULL;
  double t, t_img = 0, t_lab = 0, t_enc = 0, t_write = 0, t_jpeg = 0;
  gsize enc_bytes = 0;

  if (camvid == NULL || sun == NULL)
    {
      fprintf (stderr, "usage: bench-image-io CAMVID_DIR SUNRGBD_DIR (or RELABEL_CAMVID, "
               "RELABEL_SUNRGBD)\n");
      return 2;
    }
  t = now ();
  cv = rl_dataset_load ("camvid", camvid, &error);
  if (cv == NULL)
    {
      fprintf (stderr, "bench-image-io: %s\n", error->message);
      return 1;
    }
  printf ("load camvid lists: %u samples in %.1f ms\n", cv->samples->len, (now () - t) * 1e3);
  tmp = g_dir_make_tmp ("relabel-bench-XXXXXX", &error);
  if (tmp == NULL)
    {
      fprintf (stderr, "bench-image-io: %s\n", error->message);
      return 1;
    }

  for (guint i = 0; i < cv->samples->len; i++)
    {
      RlSample *s = cv->samples->pdata[i];
      g_autofree guint8 *rgb = NULL;
      g_autofree guint8 *lab = NULL;
      g_autoptr (GBytes) png = NULL;
      g_autofree char *out = g_build_filename (tmp, "label.png", NULL);
      int w, h;

      t = now ();
      if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error))
        goto fail;
      t_img += now () - t;
      t = now ();
      if (!rl_label_read (s->label_path, &w, &h, &lab, &error))
        goto fail;
      t_lab += now () - t;
      t = now ();
      png = rl_label_encode (w, h, lab, &error);
      if (png == NULL)
        goto fail;
      t_enc += now () - t;
      enc_bytes += g_bytes_get_size (png);
      t = now ();
      if (!rl_label_write (out, w, h, lab, cv->spec, &error))
        goto fail;
      t_write += now () - t;
      g_unlink (out);
    }
  printf ("camvid 480x360 RGB PNG decode: %.2f ms/image (%u images, %.2f s)\n",
          t_img * 1e3 / cv->samples->len, cv->samples->len, t_img);
  printf ("camvid label PNG decode: %.2f ms/label\n", t_lab * 1e3 / cv->samples->len);
  printf ("label encode (gray PNG in memory): %.2f ms/label, %.1f KiB average\n",
          t_enc * 1e3 / cv->samples->len, enc_bytes / 1024.0 / cv->samples->len);
  printf ("label write (palette PNG, temp + fsync + rename): %.2f ms/label\n",
          t_write * 1e3 / cv->samples->len);

  sr = rl_dataset_load ("sunrgbd", sun, &error);
  if (sr == NULL)
    goto fail;
  for (guint i = 0; i < sr->samples->len; i++)
    {
      RlSample *s = sr->samples->pdata[i];
      g_autofree guint8 *rgb = NULL;
      int w, h;

      t = now ();
      if (!rl_image_read_rgb (s->image_path, &w, &h, &rgb, &error))
        goto fail;
      t_jpeg += now () - t;
    }
  printf ("sunrgbd 730x530 JPEG decode: %.2f ms/image (%u images)\n",
          t_jpeg * 1e3 / sr->samples->len, sr->samples->len);

  t = now ();
  if (rl_dataset_validate (cv, FALSE, progress_none, NULL) != 0)
    fprintf (stderr, "bench-image-io: camvid has bad samples\n");
  printf ("rl_dataset_validate camvid (%u samples, up to %u threads): %.2f s\n",
          cv->samples->len, MIN (g_get_num_processors (), 4), now () - t);
  g_rmdir (tmp);
  return 0;

fail:
  fprintf (stderr, "bench-image-io: %s\n", error->message);
  g_rmdir (tmp);
  return 1;
}
