/* Crash safety through the session: a child process edits a project with RlSession (strokes and
 * undos queued for the writer thread, flushed now and then) and reports on a pipe each
 * operation before queueing it and each flush after it returned; the parent SIGKILLs it at
 * random moments, then checks that every flushed operation is in the project, that the rest is
 * a prefix of what was queued after the last flush (the writer runs them in order, each in its
 * own transaction; an edit that changed nothing where the writer applied it, which happens
 * behind an undo the session's copy did not show yet, is no step, apply_line), that the mask
 * equals a replay of the recorded steps with rl_edit_apply, and that PRAGMA integrity_check
 * says ok. */
#include <stdio.h>
#include <string.h>

#include "camvid-subset.h"
#include "crash-util.h"
#include "rl-edit.h"
#include "rl-project.h"
#include "rl-session.h"

#define N_CLASSES 11

/* The stroke of edit k: deterministic, inside the image, so the parent can replay it. */
static RlEdit *
stroke_for (int k, int width, int height)
{
  GRand *rand = g_rand_new_with_seed ((guint32) k * 2654435761u + 29);
  g_autofree char *tool = g_strdup_printf ("crash-%d", k);
  RlEdit *e = rl_edit_new (RL_EDIT_STROKE, tool);
  e->cls = k % N_CLASSES;
  e->radius = g_rand_double_range (rand, 2.0, 25.0);
  e->protect = RL_PROTECT_NONE;
  int n = g_rand_int_range (rand, 1, 7);
  double xy[12];
  for (int i = 0; i < n; i++)
    {
      xy[2 * i] = g_rand_double_range (rand, 0, width - 1);
      xy[2 * i + 1] = g_rand_double_range (rand, 0, height - 1);
    }
  rl_edit_set_points (e, xy, n);
  g_rand_free (rand);
  return e;
}

/* ---- child: edit through the session until killed */

static void
on_loaded (RlSession *s, gint64 id, gboolean *loaded)
{
  *loaded = id != 0;
}

static void
on_error (RlSession *s, const char *msg, gpointer data)
{
  fprintf (stderr, "child: %s\n", msg);
  exit (1);
}

static int
child_main (const char *path, guint32 seed)
{
  g_autoptr (RlSession) s = rl_session_new ();
  gboolean loaded = FALSE;
  g_signal_connect (s, "image-loaded", G_CALLBACK (on_loaded), &loaded);
  g_signal_connect (s, "error", G_CALLBACK (on_error), NULL);
  rl_session_open (s, path);
  rl_session_flush (s);
  GPtrArray *images = rl_session_get_images (s);
  if (images == NULL || images->len != 1)
    return 1;
  gint64 id = ((RlImageInfo *) images->pdata[0])->id;
  rl_session_select_image (s, id);
  rl_session_flush (s);
  int width = 0, height = 0;
  if (!loaded || !rl_session_get_image (s, &width, &height, NULL, NULL, NULL, NULL))
    return 1;
  /* the next k after the ones a previous child recorded */
  int k = 0;
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (RlProject) p = rl_project_open (path, FALSE, &error);
    g_autoptr (GPtrArray) edits = p ? rl_project_list_edits (p, id, &error) : NULL;
    if (edits == NULL)
      return 1;
    for (guint i = 0; i < edits->len; i++)
      k = MAX (k, crash_tool_k (((RlEditInfo *) edits->pdata[i])->tool));
  }
  setvbuf (stdout, NULL, _IOLBF, 0);   /* every line reaches the pipe as it is printed */
  GRand *rand = g_rand_new_with_seed (seed);
  printf ("R\n");   /* ready: the parent's kill deadline counts from here */
  for (;;)
    {
      /* a burst of queued operations, then a flush: the writer has run them all */
      int burst = g_rand_int_range (rand, 1, 6);
      for (int b = 0; b < burst; b++)
        {
          /* each operation is reported before it is queued (the writer may commit it at
           * once); an edit that changed nothing is then withdrawn with "X" */
          if (g_rand_int_range (rand, 0, 5) == 0)
            {
              printf ("U\n");
              rl_session_undo (s);
            }
          else
            {
              k++;
              g_autoptr (RlEdit) e = stroke_for (k, width, height);
              guint changed = 0;
              g_autoptr (GError) error = NULL;
              printf ("E %d\n", k);
              if (!rl_session_apply_edit (s, e, &changed, &error))
                {
                  fprintf (stderr, "child: %s\n", error->message);
                  return 1;
                }
              if (changed == 0)
                printf ("X\n");
            }
        }
      rl_session_flush (s);
      printf ("F\n");
      fflush (stdout);
    }
}

/* ---- parent */

/* What a replay needs: the image and its original labels. */
typedef struct
{
  const RlClassSpec *spec;
  int width, height;
  const guint8 *original;
} Replay;

/* The mask after the steps of stack, applied to the original labels with rl_edit_apply. */
static guint8 *
replay_stack (const Replay *r, const GArray *stack)
{
  guint8 *mask = g_memdup2 (r->original, (gsize) r->width * r->height);
  RlEditTarget target = { r->spec, r->width, r->height, r->original, NULL, "replay" };
  for (guint i = 0; i < stack->len; i++)
    {
      g_autoptr (RlEdit) e = stroke_for (g_array_index (stack, int, i), r->width, r->height);
      g_autoptr (GError) error = NULL;
      guint changed = 0;
      int box[4];
      g_assert_true (rl_edit_apply (e, &target, mask, &changed, box, &error));
    }
  return mask;
}

/* Applies one reported operation ("E k" or "U") to a stack of applied steps. With r, an edit
 * the project holds no record of (recorded: the k of its steps) is a step only if it changes
 * the mask the stack gives: the session applies an edit to its copy, which still shows the
 * state before an undo queued ahead of it until that undo comes back, and queues it when it
 * changed that copy; the writer then applies it after the undo, where it may change nothing,
 * and the project records no step that changes nothing. */
static void
apply_line (GArray *stack, const char *line, const Replay *r, GHashTable *recorded)
{
  if (line[0] == 'E')
    {
      int k = atoi (line + 2);
      if (r != NULL && !g_hash_table_contains (recorded, GINT_TO_POINTER (k)))
        {
          g_autofree guint8 *mask = replay_stack (r, stack);
          g_autoptr (RlEdit) e = stroke_for (k, r->width, r->height);
          RlEditTarget target = { r->spec, r->width, r->height, r->original, NULL, "replay" };
          g_autoptr (GError) error = NULL;
          guint changed = 0;
          int box[4];
          g_assert_true (rl_edit_apply (e, &target, mask, &changed, box, &error));
          if (changed == 0)
            return;
        }
      g_array_append_val (stack, k);
    }
  else if (line[0] == 'U' && stack->len > 0)
    g_array_set_size (stack, stack->len - 1);
}

/* Whether the project's stack is the flushed operations (lines before last_f, applied to
 * expected, which is updated) plus a prefix of the pending ones (after last_f); *landed: how
 * many pending ones. r: apply_line's. */
static gboolean
explains (GArray *expected, char **lines, int last_f, int n, const GArray *got_stack,
          const Replay *r, GHashTable *recorded, int *landed)
{
  for (int i = 0; i < last_f; i++)
    apply_line (expected, lines[i], r, recorded);
  gboolean found = crash_same_stack (got_stack, expected);
  g_autoptr (GArray) candidate = g_array_copy (expected);
  *landed = 0;
  for (int i = last_f + 1; !found && i < n && lines[i][0] != '\0'; i++)
    {
      apply_line (candidate, lines[i], r, recorded);
      (*landed)++;
      found = crash_same_stack (got_stack, candidate);
    }
  return found;
}

/* Every step the project recorded for the image, applied or undone: the set of their k. */
static GHashTable *
recorded_steps (RlProject *p, gint64 id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, id, &error);
  g_assert_no_error (error);
  GHashTable *ks = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (guint i = 0; i < edits->len; i++)
    {
      int k = crash_tool_k (((RlEditInfo *) edits->pdata[i])->tool);
      g_hash_table_add (ks, GINT_TO_POINTER (k));
    }
  return ks;
}

static void
test_session_crash (void)
{
  const char *camvid = g_getenv ("RELABEL_CAMVID");
  g_assert_nonnull (camvid);
  g_autofree char *tmp = g_dir_make_tmp ("rl-session-crash-XXXXXX", NULL);
  g_autofree char *proj = g_build_filename (tmp, "c.relabel", NULL);
  g_autofree char *ds = g_build_filename (tmp, "ds", NULL);
  camvid_subset (camvid, ds, 1);
  g_autoptr (GError) error = NULL;
  gint64 id = 0;
  int width = 0, height = 0;
  g_autofree guint8 *original = NULL;
  RlClassSpec *spec = NULL;
  {
    g_autoptr (RlProject) p = rl_project_open (proj, TRUE, &error);
    g_assert_no_error (error);
    g_assert_true (rl_project_import (p, "camvid", ds, NULL, NULL, NULL, NULL, NULL, &error));
    g_autoptr (GPtrArray) images = rl_project_list_images (p, &error);
    id = ((RlImageInfo *) images->pdata[0])->id;
    g_assert_true (rl_project_get_mask (p, id, RL_MASK_ORIGINAL, &width, &height, &original,
                                        &error));
    spec = rl_class_spec_copy (rl_project_get_class_spec (p));
  }

  g_autofree char *self = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autoptr (GArray) expected = g_array_new (FALSE, FALSE, sizeof (int));
  int rounds = 6, total_flushed = 0, total_pending_landed = 0;
  const Replay r = { spec, width, height, original };
  for (int round = 0; round < rounds; round++)
    {
      g_autofree char *seed = g_strdup_printf ("%u", g_rand_int (rand));
      const char *argv[] = { self, "--child", proj, seed, NULL };
      g_autofree char *out = crash_run_and_kill (argv, g_rand_int_range (rand, 400, 1500), round);

      /* flushed: everything up to the last "F"; pending: what was queued after it */
      g_auto (GStrv) raw = g_strsplit (out, "\n", -1);
      crash_integrity_ok (proj, FALSE);
      g_autoptr (RlProject) p = rl_project_open (proj, FALSE, &error);
      g_assert_no_error (error);
      g_autoptr (GHashTable) recorded = recorded_steps (p, id);
      g_autoptr (GPtrArray) kept = g_ptr_array_new ();
      for (int i = 0; raw[i] != NULL; i++)
        if (strcmp (raw[i], "X") == 0)
          {
            /* The session counted no change on its copy, which is provisional while an undo
             * queued before the edit has not come back (the copy still shows the state before
             * it): the edit is withdrawn unless the project recorded it. */
            g_assert_cmpuint (kept->len, >, 0);
            const char *e = kept->pdata[kept->len - 1];
            g_assert_true (e[0] == 'E');
            if (!g_hash_table_contains (recorded, GINT_TO_POINTER (atoi (e + 2))))
              g_ptr_array_set_size (kept, kept->len - 1);
          }
        else
          g_ptr_array_add (kept, raw[i]);
      g_ptr_array_add (kept, NULL);
      char **lines = (char **) kept->pdata;
      int last_f = -1, n = 0;
      for (; lines[n] != NULL; n++)
        if (strcmp (lines[n], "F") == 0)
          last_f = n;
      for (int i = 0; i < last_f; i++)
        total_flushed += lines[i][0] != 'F';
      g_autoptr (GArray) got_stack = crash_applied_steps (p, id, FALSE);
      /* the project holds the flushed state plus a prefix of the pending operations: every
       * edit a step, or (rarely, see apply_line) an edit queued behind an undo that changed
       * nothing where the writer applied it */
      g_autoptr (GArray) before = g_array_copy (expected);
      int landed = 0;
      gboolean found = explains (expected, lines, last_f, n, got_stack, NULL, recorded, &landed);
      if (!found)
        {
          g_array_set_size (expected, 0);
          g_array_append_vals (expected, before->data, before->len);
          found = explains (expected, lines, last_f, n, got_stack, &r, recorded, &landed);
          if (found)
            g_test_message ("round %d: an edit queued behind an undo changed nothing where it "
                            "was applied (no step recorded)", round);
        }
      if (!found)
        g_error ("round %d: the project's steps are not the flushed ones plus queued ones in "
                 "order", round);
      total_pending_landed += landed;
      g_array_set_size (expected, 0);
      g_array_append_vals (expected, got_stack->data, got_stack->len);

      /* nothing half-applied: the mask is the replay of the recorded steps */
      g_autofree guint8 *replay = replay_stack (&r, got_stack);
      int w, h;
      g_autofree guint8 *mask = NULL;
      g_assert_true (rl_project_get_mask (p, id, RL_MASK_CURRENT, &w, &h, &mask, &error));
      g_assert_cmpmem (mask, (gsize) w * h, replay, (gsize) width * height);
      g_test_message ("round %d: %u steps applied (%d pending operations landed)", round,
                      got_stack->len, landed);
    }
  g_rand_free (rand);
  rl_class_spec_free (spec);
  /* only meaningful when the children got work done */
  g_assert_cmpint (total_flushed, >=, rounds);
  g_test_message ("%d flushed operations in %d rounds; %d queued ones landed before the kill",
                  total_flushed, rounds, total_pending_landed);
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (cmd), ==, 0);
}

int
main (int argc, char **argv)
{
  if (argc == 4 && strcmp (argv[1], "--child") == 0)
    return child_main (argv[2], (guint32) strtoul (argv[3], NULL, 10));
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/session/crash-safety", test_session_crash);
  return g_test_run ();
}
