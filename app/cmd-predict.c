/* relabel predict: placeholder until its issue lands.
 * Prints a usage error so scripts can tell it is missing. */
#include <stdio.h>

#include "relabel-cli.h"

int
rl_cmd_predict (int argc, char **argv)
{
  (void) argc;
  fprintf (stderr, "relabel: '%s' is not implemented yet\n", argv[0]);
  return 2;
}
