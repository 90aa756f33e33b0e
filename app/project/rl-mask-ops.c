/* Placeholder until the project store lands. */
#include "rl-mask-ops.h"
