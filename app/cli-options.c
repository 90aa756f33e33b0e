/* Option handling shared by the subcommands that use GOption: parsing with leftover arguments
 * refused, and the --engine values. */
#include "cli-options.h"
#include "rl-app-engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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
  if (name == NULL)
    *path = rl_app_engine_path ();   /* RELABEL_ENGINE_PATH, else automatic */
  else if (strcmp (name, "auto") == 0)
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

gboolean
rl_cli_parse_point (const char *s, double *x, double *y)
{
  char *end = NULL;
  *x = g_ascii_strtod (s, &end);
  if (end == s || *end != ',')
    return FALSE;
  const char *t = end + 1;
  *y = g_ascii_strtod (t, &end);
  return end != t && *end == '\0' && isfinite (*x) && isfinite (*y);
}

gboolean
rl_cli_parse_points (const char *s, GArray *xy)
{
  g_auto (GStrv) pts = g_strsplit_set (s, " \t\n;", -1);
  guint before = xy->len;
  for (int i = 0; pts[i]; i++)
    {
      if (*pts[i] == '\0')
        continue;
      double x, y;
      if (!rl_cli_parse_point (pts[i], &x, &y))
        return FALSE;
      x += 0.5;
      y += 0.5;
      g_array_append_val (xy, x);
      g_array_append_val (xy, y);
    }
  return xy->len > before;
}

int
rl_cli_parse_class (const char *s, const RlClassSpec *spec)
{
  char *end = NULL;
  long v = strtol (s, &end, 10);
  if (end != s && *end == '\0')
    return v < 0 || v > 255 ? 256 : (int) v;   /* range is checked by the project */
  for (int c = 0; spec && c < spec->n_classes; c++)
    if (spec->classes[c].name && g_ascii_strcasecmp (spec->classes[c].name, s) == 0)
      return c;
  if (spec && g_ascii_strcasecmp (s, "void") == 0)
    return spec->ignore_index;
  return -1;
}

void
rl_cli_print_json (JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = json_to_string (root, TRUE);
  printf ("%s\n", text);
}
