/* Replays inputs through a target's fuzz_one without libFuzzer (any compiler): every file named,
 * and every file of every folder named (sorted, hidden ones skipped), one TAP line each. A defect
 * aborts the run, so the test fails; an input that is missing or unreadable fails too. */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
collect (const char *path, GPtrArray *files)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      GError *error = NULL;
      GDir *d = g_dir_open (path, 0, &error);
      const char *name;
      if (d == NULL)
        fuzz_fail ("%s", error->message);
      GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
      while ((name = g_dir_read_name (d)) != NULL)
        if (name[0] != '.')
          g_ptr_array_add (names, g_build_filename (path, name, NULL));
      g_dir_close (d);
      g_ptr_array_sort (names, compare_strings);
      for (guint i = 0; i < names->len; i++)
        collect (names->pdata[i], files);
      g_ptr_array_unref (names);
    }
  else
    g_ptr_array_add (files, g_strdup (path));
}

int
main (int argc, char **argv)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);

  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--tap") != 0)
      collect (argv[i], files);
  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      char *data = NULL;
      gsize len = 0;
      GError *error = NULL;
      if (!g_file_get_contents (path, &data, &len, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          g_error_free (error);
          continue;
        }
      fflush (stdout);
      fuzz_one ((const uint8_t *) data, len);
      printf ("ok %u - %s (%zu bytes)\n", i + 1, path, (size_t) len);
      fflush (stdout);
      g_free (data);
    }
  g_ptr_array_unref (files);
  return 0;
}
