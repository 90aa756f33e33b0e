/* rl-mem: the engine's allocator for large buffers (activations, plan buffers, training arenas).
 *
 * Buffers of 1 MiB and more are mapped straight from the kernel, never from malloc: a worker
 * thread that runs the engine may share a malloc arena with the interface thread (glibc hands
 * out at most 8 arenas per core and then reuses them, the main thread's among them), and a
 * large arena allocation can hold that arena's lock while pages are touched (with
 * MALLOC_PERTURB_ set, malloc fills every new block under the lock: measured 250-1300 ms for a
 * SegNet plan in fresh memory, with the GTK main thread blocked in calloc all that time).
 * Mapped buffers also go back to the system when freed. Smaller ones come from malloc. */
#pragma once

#include <stddef.h>

/* size bytes aligned to align (a power of two; less than 16 counts as 16); NULL when out of
 * memory or when align is not a power of two. Contents are unspecified. */
void *rl_mem_alloc (size_t size, size_t align);

/* Zero-filled (mapped buffers are zero already; small ones are cleared). */
void *rl_mem_alloc0 (size_t size, size_t align);

/* Frees a buffer from rl_mem_alloc; NULL is ignored. */
void rl_mem_free (void *p);

/* The size from which buffers are mapped rather than taken from malloc. */
#define RL_MEM_MAP_MIN ((size_t) 1 << 20)
