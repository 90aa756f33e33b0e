/* Placeholder until the datasets work lands. */
#include "rl-dataset.h"
