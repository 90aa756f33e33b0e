/* Helpers shared by the fuzz targets (see fuzz.h). */
#include "fuzz.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir;

static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          char *full = g_build_filename (path, name, NULL);
          if (g_file_test (full, G_FILE_TEST_IS_DIR) && !g_file_test (full, G_FILE_TEST_IS_SYMLINK))
            remove_tree (full);
          else
            g_unlink (full);
          g_free (full);
        }
      g_dir_close (d);
    }
  g_rmdir (path);
}

static void
tmpdir_cleanup (void)
{
  if (tmpdir != NULL)
    remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

const char *
fuzz_tmpdir (void)
{
  if (tmpdir == NULL)
    {
      gboolean shm = g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) && access ("/dev/shm", W_OK) == 0;
      const char *base = shm ? "/dev/shm" : g_get_tmp_dir ();
      char *tmpl = g_build_filename (base, "relabel-fuzz-XXXXXX", NULL);
      if (g_mkdtemp (tmpl) == NULL)
        fuzz_fail ("cannot make a temporary folder %s", tmpl);
      tmpdir = tmpl;
      atexit (tmpdir_cleanup);
    }
  return tmpdir;
}

char *
fuzz_write_file (const char *name, const void *data, size_t size)
{
  char *path = g_build_filename (fuzz_tmpdir (), name, NULL);
  GError *error = NULL;

  if (!g_file_set_contents (path, data, (gssize) size, &error))
    fuzz_fail ("cannot write %s: %s", path, error->message);
  return path;
}

void
fuzz_fail (const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  fputs ("fuzz contract broken: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
  va_end (ap);
  abort ();
}

void
fuzz_check_message (const char *what, const char *message, const char *name)
{
  if (message == NULL || message[0] == '\0')
    fuzz_fail ("%s: failed with an empty message", what);
  if (strchr (message, '\n') != NULL)
    fuzz_fail ("%s: message is not one line: \"%s\"", what, message);
  if (name != NULL && strstr (message, name) == NULL)
    fuzz_fail ("%s: message does not name %s: \"%s\"", what, name, message);
}

void
fuzz_check_decoded (const char *what, int w, int h, const guint8 *pix, gsize bytes_per_pixel,
                    int max_side)
{
  if (w < 1 || h < 1 || w > max_side || h > max_side || pix == NULL)
    fuzz_fail ("%s: accepted a %dx%d image", what, w, h);
  volatile guint8 last = pix[(gsize) w * h * bytes_per_pixel - 1];
  (void) last;
}
