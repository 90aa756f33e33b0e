/* Placeholder until the datasets work lands. */
#include "rl-image-io.h"
