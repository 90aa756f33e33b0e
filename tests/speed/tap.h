/* The TAP check() the tests in tests/speed share: prints "ok N - ..." or "not ok N - ...",
 * counts failures in n_failed; main prints "1..n_checks" and returns n_failed > 0. */
#pragma once

#include <stdarg.h>
#include <stdio.h>

static int n_failed, n_checks;

static void check (int ok, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
check (int ok, const char *fmt, ...)
{
  va_list ap;
  n_checks++;
  if (!ok)
    n_failed++;
  printf ("%s %d - ", ok ? "ok" : "not ok", n_checks);
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}
