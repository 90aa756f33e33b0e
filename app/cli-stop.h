/* Ctrl+C / SIGTERM for long commands (train, finetune): the signal only raises a flag that the
 * work polls between steps, so it can write a checkpoint or clean up before exiting. */
#pragma once

#include <glib.h>

/* Installs the SIGINT and SIGTERM handlers. */
void rl_cli_catch_stop_signals (void);
/* TRUE once a stop signal arrived; data is ignored (fits the should_stop callbacks). */
gboolean rl_cli_should_stop (gpointer data);
