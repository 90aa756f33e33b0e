/* relabel paint/fill/undo/redo: placeholder until the project store lands.
 * Prints a usage error so scripts can tell it is missing. */
#include <stdio.h>

#include "relabel-cli.h"

static int
missing (char **argv)
{
  fprintf (stderr, "relabel: '%s' is not implemented yet\n", argv[0]);
  return 2;
}

int rl_cmd_paint (int argc, char **argv) { (void) argc; return missing (argv); }
int rl_cmd_fill (int argc, char **argv) { (void) argc; return missing (argv); }
int rl_cmd_undo (int argc, char **argv) { (void) argc; return missing (argv); }
int rl_cmd_redo (int argc, char **argv) { (void) argc; return missing (argv); }
