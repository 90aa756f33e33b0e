/* The one place the app reads RELABEL_ENGINE_PATH (rl-app-engine.h); the engine itself takes
 * its path as an argument. */
#define G_LOG_DOMAIN "relabel"

#include "rl-app-engine.h"

RlEnginePath
rl_app_engine_path (void)
{
  const char *name = g_getenv ("RELABEL_ENGINE_PATH");
  RlEnginePath path = RL_ENGINE_PATH_DEFAULT;
  if (!rl_engine_path_from_name (name, &path))
    {
      g_debug ("RELABEL_ENGINE_PATH=%s is not auto, reference, fp32 or bf16: automatic", name);
      path = RL_ENGINE_PATH_DEFAULT;
    }
  return path;
}
