/* Shared by the crash-safety tests (test-crash.c, test-session-crash.c): a child process edits
 * a project and reports its steps on a pipe; the parent SIGKILLs it and checks the project. */
#pragma once

#include <glib.h>

#include "rl-project.h"

/* k of a step's tool name "crash-K". */
int crash_tool_k (const char *tool);

/* The k of the image's applied steps, in order; with check_seq, also asserts that the steps'
 * seq run 1, 2, 3, ... */
GArray *crash_applied_steps (RlProject *p, gint64 id, gboolean check_seq);

gboolean crash_same_stack (const GArray *a, const GArray *b);

/* PRAGMA integrity_check says ok (and, with foreign_keys, PRAGMA foreign_key_check finds
 * nothing). */
void crash_integrity_ok (const char *path, gboolean foreign_keys);

/* Spawns ARGV, waits (at most CRASH_READY_TIMEOUT_S) for its first line, "R" (the child prints it
 * once it is ready to edit), reads what it prints until DEADLINE_MS after that, SIGKILLs it, reads
 * the rest and reaps it; fails the test (naming ROUND) when the child ended on its own or never
 * got ready. Returns its output after the ready line. */
#define CRASH_READY_TIMEOUT_S 120
char *crash_run_and_kill (const char *const *argv, int deadline_ms, int round);
