/* The engine settings the app gives the engine (which reads no environment itself). */
#pragma once

#include <glib.h>

#include "rl-layers.h"

G_BEGIN_DECLS

/* The engine path for work that names none (--engine not given, the GUI's jobs): the
 * RELABEL_ENGINE_PATH environment variable (auto|reference|fp32|bf16, documented in the
 * README), read here and nowhere else; unset, empty or unknown: RL_ENGINE_PATH_DEFAULT, the
 * engine's automatic choice. */
RlEnginePath rl_app_engine_path (void);

G_END_DECLS
