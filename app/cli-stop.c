/* Ctrl+C / SIGTERM for long commands: a flag set by the handler, polled by the work.
 * Shared by relabel train and relabel finetune. */
#include "cli-stop.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void
on_signal (int sig)
{
  (void) sig;
  stop_requested = 1;
}

void
rl_cli_catch_stop_signals (void)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
}

gboolean
rl_cli_should_stop (gpointer data)
{
  (void) data;
  return stop_requested != 0;
}

void
rl_cli_stop_after_progress (const RlTrainProgress *p, gpointer data)
{
  ((RlCliStopAfter *) data)->iter = p->iter;
}

gboolean
rl_cli_stop_after_should_stop (gpointer data)
{
  RlCliStopAfter *sa = data;
  return rl_cli_should_stop (NULL) || (sa->stop_after > 0 && sa->iter >= sa->stop_after);
}
