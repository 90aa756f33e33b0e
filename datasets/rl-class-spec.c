/* Placeholder until the datasets work lands. */
#include "rl-class-spec.h"
