/* Option handling shared by the subcommands that use GOption: parsing with leftover arguments
 * refused, and the --engine values. */
#include "cli-options.h"

#include <stdio.h>
#include <string.h>

gboolean
rl_cli_parse (const char *cmd, GOptionContext *ctx, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      fprintf (stderr, "relabel %s: %s\n", cmd, error->message);
      return FALSE;
    }
  if (*argc > 1)
    {
      fprintf (stderr, "relabel %s: unexpected argument '%s'\n", cmd, (*argv)[1]);
      return FALSE;
    }
  return TRUE;
}

gboolean
rl_cli_engine_path (const char *cmd, const char *name, RlEnginePath *path)
{
  if (name == NULL || strcmp (name, "auto") == 0)
    *path = RL_ENGINE_PATH_DEFAULT;
  else if (strcmp (name, "reference") == 0)
    *path = RL_ENGINE_PATH_REFERENCE;
  else if (strcmp (name, "fp32") == 0)
    *path = RL_ENGINE_PATH_FP32;
  else if (strcmp (name, "bf16") == 0)
    *path = RL_ENGINE_PATH_BF16;
  else
    {
      fprintf (stderr, "relabel %s: --engine wants auto, reference, fp32 or bf16\n", cmd);
      return FALSE;
    }
  return TRUE;
}
