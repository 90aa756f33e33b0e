/* Option handling shared by the subcommands that use GOption (train, finetune). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include "rl-class-spec.h"
#include "rl-layers.h"

/* Parses argv with ctx and refuses leftover arguments; on failure prints one line
 * "relabel CMD: ..." on stderr and returns FALSE (the caller exits 2). */
gboolean rl_cli_parse (const char *cmd, GOptionContext *ctx, int *argc, char ***argv);

/* "auto" (or NULL), "reference", "fp32", "bf16" -> *path; otherwise prints
 * "relabel CMD: --engine wants auto, reference, fp32 or bf16" and returns FALSE. */
gboolean rl_cli_engine_path (const char *cmd, const char *name, RlEnginePath *path);

/* Prints the builder's value as indented JSON and a newline on stdout. */
void rl_cli_print_json (JsonBuilder *b);

/* "X,Y" (numbers, optionally fractional, finite). */
gboolean rl_cli_parse_point (const char *s, double *x, double *y);
/* "x,y x,y ..." (also separated by tabs, newlines or ';') appended to xy as pixel centres
 * (x + 0.5, y + 0.5): the CLI names pixels, the tools work in continuous coordinates. FALSE on a
 * malformed point or when there is none. */
gboolean rl_cli_parse_points (const char *s, GArray *xy);
/* A class given as an index or by name (case-insensitive; "void" is the void value). -1 when
 * unknown; an index outside 0..255 gives 256 (the project reports the range). */
int rl_cli_parse_class (const char *s, const RlClassSpec *spec);
