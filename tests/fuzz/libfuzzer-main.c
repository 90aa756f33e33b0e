/* libFuzzer's entry point around a target's fuzz_one (only in -Dfuzzing=true builds). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return fuzz_one (data, size);
}
