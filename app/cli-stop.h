/* Ctrl+C / SIGTERM for long commands (train, finetune): the signal only raises a flag that the
 * work polls between steps, so it can write a checkpoint or clean up before exiting. */
#pragma once

#include <glib.h>

#include "rl-train-loop.h"

/* Installs the SIGINT and SIGTERM handlers. */
void rl_cli_catch_stop_signals (void);
/* TRUE once a stop signal arrived; data is ignored (fits the should_stop callbacks). */
gboolean rl_cli_should_stop (gpointer data);

/* --stop-after N of train and study: the step the progress callback last saw, checked before
 * each step with the stop signals. Use as RlTrainCallbacks { rl_cli_stop_after_progress,
 * rl_cli_stop_after_should_stop, &stop }. */
typedef struct
{
  int iter, stop_after;   /* stop_after <= 0: only a signal stops */
} RlCliStopAfter;

void rl_cli_stop_after_progress (const RlTrainProgress *p, gpointer data);
gboolean rl_cli_stop_after_should_stop (gpointer data);
