/* Shared by the crash-safety tests: see crash-util.h. */
#include "crash-util.h"

#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
crash_tool_k (const char *tool)
{
  g_assert_true (g_str_has_prefix (tool, "crash-"));
  return atoi (tool + 6);
}

GArray *
crash_applied_steps (RlProject *p, gint64 id, gboolean check_seq)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) edits = rl_project_list_edits (p, id, &error);
  g_assert_no_error (error);
  GArray *ks = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < edits->len; i++)
    {
      RlEditInfo *e = edits->pdata[i];
      if (check_seq)
        g_assert_cmpint (e->seq, ==, (int) i + 1);
      if (e->applied)
        {
          int k = crash_tool_k (e->tool);
          g_array_append_val (ks, k);
        }
    }
  return ks;
}

gboolean
crash_same_stack (const GArray *a, const GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (int)) == 0;
}

void
crash_integrity_ok (const char *path, gboolean foreign_keys)
{
  sqlite3 *db = NULL;
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_stmt *stmt = NULL;
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  if (foreign_keys)
    {
      g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA foreign_key_check", -1, &stmt, NULL),
                       ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
}

char *
crash_run_and_kill (const char *const *argv, int deadline_ms, int round)
{
  g_autoptr (GError) error = NULL;
  GPid pid;
  int out_fd = -1;
  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                                           G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, NULL,
                                           &out_fd, NULL, &error));
  g_assert_no_error (error);
  /* The deadline counts from the child's ready line, so a slow start (a loaded machine, a
   * sanitizer build) cannot use it up before the child has edited anything. */
  gint64 deadline = g_get_monotonic_time () + CRASH_READY_TIMEOUT_S * G_USEC_PER_SEC;
  gboolean ready = FALSE;
  GString *buf = g_string_new (NULL);
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      if (now >= deadline)
        break;
      struct pollfd pfd = { out_fd, POLLIN, 0 };
      if (poll (&pfd, 1, (int) ((deadline - now) / 1000) + 1) > 0)
        {
          char chunk[4096];
          ssize_t got = read (out_fd, chunk, sizeof chunk);
          if (got <= 0)
            break;   /* the child exited on its own: an error, checked below */
          g_string_append_len (buf, chunk, got);
          if (!ready && strchr (buf->str, '\n') != NULL)
            {
              if (!g_str_has_prefix (buf->str, "R\n"))
                g_error ("round %d: the child's first line is not its ready line", round);
              g_string_erase (buf, 0, 2);
              ready = TRUE;
              deadline = g_get_monotonic_time () + (gint64) deadline_ms * 1000;
            }
        }
    }
  if (!ready)
    {
      kill (pid, SIGKILL);
      g_error ("round %d: the child ended or took over %d s before its ready line", round,
               CRASH_READY_TIMEOUT_S);
    }
  kill (pid, SIGKILL);
  /* Whatever the child wrote before dying. */
  char chunk[4096];
  ssize_t got;
  while ((got = read (out_fd, chunk, sizeof chunk)) > 0)
    g_string_append_len (buf, chunk, got);
  close (out_fd);
  int wstatus = 0;
  g_assert_cmpint (waitpid (pid, &wstatus, 0), ==, pid);
  g_spawn_close_pid (pid);
  if (!(WIFSIGNALED (wstatus) && WTERMSIG (wstatus) == SIGKILL))
    g_error ("round %d: the child ended on its own (status %d)", round, wstatus);
  return g_string_free (buf, FALSE);
}
