/* Shared by the oneDNN sources (rl-dnnl.c, rl-dnnl-net.c), not part of the engine's API: oneDNN
 * status -> RlStatus with a message, the DN() call-checking macro, the OpenMP switch. */
#pragma once

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdlib.h>
#include <string.h>
#include "rl-status.h"

#if DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP && defined(RL_DNNL_GOMP)
#include <omp.h>
#define RL_DNNL_OMP 1
#endif

/* Turns a failed oneDNN call into an RlStatus and a message naming the call. */
static inline RlStatus
rl_dnnl_fail (RlError *err, dnnl_status_t st, const char *what)
{
  RlStatus code = st == dnnl_out_of_memory ? RL_ERR_NOMEM
                  : st == dnnl_invalid_arguments ? RL_ERR_INVALID : RL_ERR_UNSUPPORTED;
  return rl_error_set (err, code, "oneDNN: %s failed: %s", what, dnnl_status2str (st));
}

/* In a function with `RlStatus status` and an `out:` label: checks a oneDNN call. */
#define DN(call, what)                                 \
  do                                                   \
    {                                                  \
      dnnl_status_t st_ = (call);                      \
      if (st_ != dnnl_success)                         \
        {                                              \
          status = rl_dnnl_fail (err, st_, (what));    \
          goto out;                                    \
        }                                              \
    }                                                  \
  while (0)

/* The blocked activation layout the whole-network plan keeps: 16 channels per block where oneDNN
 * has AVX-512 kernels for it, else 8 (its AVX2 and SSE4.1 kernels block by 8; asking them for 16
 * gets the reference kernels). DNNL_MAX_CPU_ISA / ONEDNN_MAX_CPU_ISA lower the effective ISA.
 * rl_dnnl_set_block_override (rl-dnnl.h) forces one for tests. */
extern int rl_dnnl_block_override;

static inline dnnl_format_tag_t
rl_dnnl_block_tag (void)
{
  if (rl_dnnl_block_override == 16)
    return dnnl_nChw16c;
  if (rl_dnnl_block_override == 8)
    return dnnl_nChw8c;
  unsigned isa = (unsigned) dnnl_get_effective_cpu_isa ();
  return (isa & (unsigned) dnnl_cpu_isa_avx512_core) == (unsigned) dnnl_cpu_isa_avx512_core
         ? dnnl_nChw16c : dnnl_nChw8c;
}
