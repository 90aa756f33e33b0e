/* rl-mem: large engine buffers from mmap, small ones from malloc (see rl-mem.h). Every buffer
 * carries a 16-byte header just below the address returned: where the block starts and, for a
 * mapping, its length (0 for a malloc block). */
#include "rl-mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer every buffer comes from malloc, so that ASan still sees overruns past
 * the end of large buffers and LeakSanitizer still reports the ones never freed. */
#if defined(__SANITIZE_ADDRESS__)
#define MAP_MIN SIZE_MAX
#else
#define MAP_MIN RL_MEM_MAP_MIN
#endif

typedef struct
{
  void *base;
  size_t mapped;   /* bytes mapped at base; 0: base came from malloc */
} Header;

void *
rl_mem_alloc (size_t size, size_t align)
{
  if (align < sizeof (Header))
    align = sizeof (Header);
  if ((align & (align - 1)) != 0 || size > SIZE_MAX - 2 * align)
    return NULL;
  size_t total = size + align;   /* room to align and for the header below the buffer */
  void *base;
  size_t mapped = 0;
  if (size >= MAP_MIN)
    {
      base = mmap (NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (base == MAP_FAILED)
        return NULL;
      mapped = total;
    }
  else if ((base = malloc (total)) == NULL)
    return NULL;
  uintptr_t a = ((uintptr_t) base + sizeof (Header) + align - 1) & ~(uintptr_t) (align - 1);
  Header *h = (Header *) a - 1;
  h->base = base;
  h->mapped = mapped;
  return (void *) a;
}

void *
rl_mem_alloc0 (size_t size, size_t align)
{
  void *p = rl_mem_alloc (size, align);
  if (p != NULL && size < MAP_MIN)
    memset (p, 0, size);
  return p;
}

void
rl_mem_free (void *p)
{
  if (p == NULL)
    return;
  Header *h = (Header *) p - 1;
  if (h->mapped != 0)
    munmap (h->base, h->mapped);
  else
    free (h->base);
}
