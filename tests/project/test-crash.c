/* Crash safety: a child process edits a project (strokes and undos through the real API) and
 * reports each committed step on a pipe; the parent SIGKILLs it at random moments, then checks
 * that every reported step is there, the mask equals a replay of the recorded steps, and
 * PRAGMA integrity_check says ok. */
#include <stdio.h>
#include <string.h>

#include "camvid-subset.h"
#include "crash-util.h"
#include "rl-mask-ops.h"
#include "rl-project.h"

#define N_CLASSES 11

/* The stroke of edit k: deterministic, so the parent can replay it. */
typedef struct
{
  int cls;
  double radius;
  int n;
  double xy[12];
} Stroke;

static void
stroke_for (int k, int width, int height, Stroke *s)
{
  GRand *rand = g_rand_new_with_seed ((guint32) k * 2654435761u + 17);
  s->cls = k % N_CLASSES;
  s->radius = g_rand_double_range (rand, 2.0, 25.0);
  s->n = g_rand_int_range (rand, 1, 7);
  for (int i = 0; i < s->n; i++)
    {
      s->xy[2 * i] = g_rand_double_range (rand, -10, width + 10);
      s->xy[2 * i + 1] = g_rand_double_range (rand, -10, height + 10);
    }
  g_rand_free (rand);
}

/* ---------------------------------------------------------------------------------------- */
/* Child: edit forever (until killed). Each line is written after the call returned. */

static int
child_main (const char *path, const char *name, guint32 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
  if (p == NULL)
    {
      fprintf (stderr, "child: %s\n", error->message);
      return 1;
    }
  g_autoptr (RlImageInfo) info = rl_project_find_image (p, name, &error);
  if (info == NULL)
    {
      fprintf (stderr, "child: %s\n", error->message);
      return 1;
    }
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, info->id, &error);
  int k = 0;
  for (guint i = 0; i < edits->len; i++)
    k = MAX (k, crash_tool_k (((RlEditInfo *) edits->pdata[i])->tool));
  GRand *rand = g_rand_new_with_seed (seed);
  int width = info->width, height = info->height;
  g_autofree guint8 *mask = NULL;
  printf ("R\n");   /* ready: the parent's kill deadline counts from here */
  fflush (stdout);
  for (;;)
    {
      gboolean done = FALSE;
      if (g_rand_int_range (rand, 0, 4) == 0)
        {
          if (!rl_project_undo (p, info->id, &done, &error))
            break;
          if (done)
            printf ("U\n");
        }
      else
        {
          Stroke s;
          k++;
          stroke_for (k, width, height, &s);
          g_autofree char *tool = g_strdup_printf ("crash-%d", k);
          guint changed = 0;
          /* The GUI's path: paint into a copy, commit the whole mask at the stroke end. */
          int w, h;
          g_clear_pointer (&mask, g_free);
          if (!rl_project_get_mask (p, info->id, RL_MASK_CURRENT, &w, &h, &mask, &error))
            break;
          RlPaint paint = { (guint8) s.cls, -1, 11 };
          rl_mask_paint_stroke (mask, w, h, &paint, s.radius, s.xy, s.n);
          if (!rl_project_commit_mask (p, info->id, tool, mask, &changed, &error))
            break;
          if (changed > 0)
            printf ("E %d\n", k);
        }
      fflush (stdout);
    }
  fprintf (stderr, "child: %s\n", error ? error->message : "?");
  g_rand_free (rand);
  return 1;
}

/* ---------------------------------------------------------------------------------------- */
/* Parent */

static void
test_crash (void)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID");
  g_assert_nonnull (camvid);
  g_autofree char *tmp = g_dir_make_tmp ("rl-crash-XXXXXX", NULL);
  g_autofree char *proj = g_build_filename (tmp, "c.relabel", NULL);
  /* A one-image project: the first line of val.txt. */
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  camvid_subset (camvid, ds, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  gint64 id = 0;
  int width = 0, height = 0;
  g_autofree guint8 *original = NULL;
  {
    g_autoptr (RlProject) p = rl_project_open (proj, TRUE, &error);
    g_assert_no_error (error);
    guint added = 0;
    g_assert_true (rl_project_import (p, "camvid", ds, NULL, NULL, NULL, &added, NULL, &error));
    g_assert_cmpuint (added, ==, 1);
    g_autoptr (GPtrArray) images = rl_project_list_images (p, &error);
    RlImageInfo *info = images->pdata[0];
    name = g_strdup (info->name);
    id = info->id;
    g_assert_true (rl_project_get_mask (p, id, RL_MASK_ORIGINAL, &width, &height, &original,
                                        &error));
  }

  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autoptr (GArray) expected = g_array_new (FALSE, FALSE, sizeof (int));
  int rounds = 8, total_reported = 0, total_kills_mid = 0;
  for (int round = 0; round < rounds; round++)
    {
      g_autofree char *seed = g_strdup_printf ("%u", g_rand_int (rand));
      const char *argv[] = { self, "--child", proj, name, seed, NULL };
      /* Read reports until a random deadline, then kill mid-whatever. */
      g_autofree char *out = crash_run_and_kill (argv, g_rand_int_range (rand, 150, 900), round);

      /* The reported steps applied to the state after the previous round. */
      g_auto (GStrv) lines = g_strsplit (out, "\n", -1);
      int reported = 0;
      for (int i = 0; lines[i] && lines[i][0]; i++)
        {
          if (lines[i][0] == 'E')
            {
              int k = atoi (lines[i] + 2);
              g_array_append_val (expected, k);
            }
          else
            {
              g_assert_cmpint (lines[i][0], ==, 'U');
              g_assert_cmpuint (expected->len, >, 0);
              g_array_set_size (expected, expected->len - 1);
            }
          reported++;
        }
      total_reported += reported;

      crash_integrity_ok (proj, TRUE);
      g_autoptr (RlProject) p = rl_project_open (proj, FALSE, &error);
      g_assert_no_error (error);
      g_autoptr (GArray) got_stack = crash_applied_steps (p, id, TRUE);
      /* Every reported step is there; at most one more (committed, killed before printing). */
      if (!crash_same_stack (got_stack, expected))
        {
          total_kills_mid++;
          gboolean one_more = got_stack->len == expected->len + 1
            && memcmp (got_stack->data, expected->data, expected->len * sizeof (int)) == 0
            && g_array_index (got_stack, int, got_stack->len - 1)
                 > (expected->len ? g_array_index (expected, int, expected->len - 1) : 0);
          gboolean one_undo = got_stack->len + 1 == expected->len
            && memcmp (got_stack->data, expected->data, got_stack->len * sizeof (int)) == 0;
          if (!one_more && !one_undo)
            g_error ("round %d: the project's steps differ from the reported ones", round);
        }
      g_array_set_size (expected, 0);
      g_array_append_vals (expected, got_stack->data, got_stack->len);

      /* Nothing half-applied: the mask is exactly the replay of the recorded steps. */
      g_autofree guint8 *replay = g_memdup2 (original, (gsize) width * height);
      for (guint i = 0; i < got_stack->len; i++)
        {
          Stroke s;
          stroke_for (g_array_index (got_stack, int, i), width, height, &s);
          RlPaint paint = { (guint8) s.cls, -1, 11 };
          rl_mask_paint_stroke (replay, width, height, &paint, s.radius, s.xy, s.n);
        }
      int w, h;
      g_autofree guint8 *mask = NULL;
      g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &mask, &error));
      g_assert_cmpmem (mask, (gsize) w * h, replay, (gsize) width * height);
      g_autoptr (RlImageInfo) info = rl_project_get_image (p, id, &error);
      g_assert_cmpint (info->n_edits, ==, (int) got_stack->len);
      g_test_message ("round %d: %d steps reported, %u applied", round, reported,
                      got_stack->len);
    }
  g_rand_free (rand);
  /* The test only means something if the children actually got work done. */
  g_assert_cmpint (total_reported, >=, rounds);
  g_test_message ("%d steps reported in %d rounds; %d kills between commit and report",
                  total_reported, rounds, total_kills_mid);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && strcmp (argv[1], "--child") == 0)
    return child_main (argv[2], argv[3], (guint32) strtoul (argv[4], NULL, 10));
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/project/crash-safety", test_crash);
  return g_test_run ();
}
