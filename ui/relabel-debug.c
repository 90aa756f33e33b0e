/* RELABEL_DEBUG, the window's one debug channel (relabel-debug.h): parsed here only. */
#define G_LOG_DOMAIN "relabel"

#include "relabel-debug.h"

#include <stdlib.h>
#include <string.h>

void
relabel_debug_parse (RelabelDebug *out)
{
  memset (out, 0, sizeof *out);
  const char *env = g_getenv ("RELABEL_DEBUG");
  if (env == NULL || env[0] == '\0')
    return;
  g_auto (GStrv) items = g_strsplit (env, ",", -1);
  for (char **it = items; *it != NULL; it++)
    {
      const char *eq = strchr (*it, '=');
      g_autofree char *key = eq ? g_strndup (*it, eq - *it) : g_strdup (*it);
      const char *value = eq ? eq + 1 : "";
      if (strcmp (key, "frame-log") == 0 && value[0] != '\0')
        {
          g_free (out->frame_log);
          out->frame_log = g_strdup (value);
        }
      else if (strcmp (key, "finetune-iters") == 0 && atoi (value) > 0)
        out->finetune_iters = atoi (value);
      else if (strcmp (key, "study") == 0 && value[0] != '\0')
        {
          g_free (out->study);
          out->study = g_strdup (value);
        }
      else if (key[0] != '\0')
        g_debug ("RELABEL_DEBUG: unknown item '%s'", *it);
    }
}

void
relabel_debug_clear (RelabelDebug *debug)
{
  g_clear_pointer (&debug->frame_log, g_free);
  debug->finetune_iters = 0;
  g_clear_pointer (&debug->study, g_free);
}
