/* Option handling shared by the subcommands that use GOption (train, finetune). */
#pragma once

#include <glib.h>
#include "rl-layers.h"

/* Parses argv with ctx and refuses leftover arguments; on failure prints one line
 * "relabel CMD: ..." on stderr and returns FALSE (the caller exits 2). */
gboolean rl_cli_parse (const char *cmd, GOptionContext *ctx, int *argc, char ***argv);

/* "auto" (or NULL), "reference", "fp32", "bf16" -> *path; otherwise prints
 * "relabel CMD: --engine wants auto, reference, fp32 or bf16" and returns FALSE. */
gboolean rl_cli_engine_path (const char *cmd, const char *name, RlEnginePath *path);
