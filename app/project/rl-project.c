/* Placeholder until the project store lands. */
#include "rl-project.h"
