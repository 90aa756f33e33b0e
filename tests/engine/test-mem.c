/* rl-mem: alignment and zeroing of engine buffers, and that large ones bypass malloc (so a
 * worker's activations never hold a malloc arena lock the interface thread may be waiting on). */
#include <glib.h>
#include <malloc.h>
#include <stdint.h>
#include <string.h>

#include "rl-mem.h"

static void
test_alignment (void)
{
  const size_t aligns[] = { 16, 64, 4096, (size_t) 2 << 20 };
  const size_t sizes[] = { 0, 1, 100, 4095, RL_MEM_MAP_MIN - 1, RL_MEM_MAP_MIN,
                           9 * RL_MEM_MAP_MIN + 3 };
  for (size_t a = 0; a < G_N_ELEMENTS (aligns); a++)
    for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
      {
        unsigned char *p = rl_mem_alloc (sizes[s], aligns[a]);
        g_assert_nonnull (p);
        g_assert_cmpuint ((uintptr_t) p % aligns[a], ==, 0);
        memset (p, 0x5a, sizes[s]);   /* every byte writable (ASan checks the bounds) */
        if (sizes[s] > 0)
          g_assert_cmpuint (p[sizes[s] - 1], ==, 0x5a);
        rl_mem_free (p);
      }
  rl_mem_free (NULL);
}

static void
test_bad_arguments (void)
{
  g_assert_null (rl_mem_alloc (SIZE_MAX, 64));
  g_assert_null (rl_mem_alloc (SIZE_MAX - 100, 64));
  g_assert_null (rl_mem_alloc (1000, 48));   /* not a power of two */
}

static void
test_zeroed (void)
{
  const size_t sizes[] = { 64, 5000, RL_MEM_MAP_MIN + 17 };
  for (size_t s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      /* dirty memory first, so malloc would likely hand the same bytes back */
      unsigned char *d = rl_mem_alloc (sizes[s], 64);
      memset (d, 0xff, sizes[s]);
      rl_mem_free (d);
      unsigned char *p = rl_mem_alloc0 (sizes[s], 64);
      g_assert_nonnull (p);
      for (size_t i = 0; i < sizes[s]; i++)
        if (p[i] != 0)
          g_error ("byte %zu of a %zu-byte zeroed buffer is %u", i, sizes[s], p[i]);
      rl_mem_free (p);
    }
}

/* mallinfo2 counts what malloc handed out, from its heaps (uordblks) and its own mappings
 * (hblkhd): a large engine buffer must change neither; a small one must (so the probe works). */
static void
test_large_bypasses_malloc (void)
{
  struct mallinfo2 before = mallinfo2 ();
  void *big = rl_mem_alloc (8 * RL_MEM_MAP_MIN, 64);
  struct mallinfo2 during = mallinfo2 ();
  g_assert_nonnull (big);
  g_assert_cmpuint (during.uordblks, ==, before.uordblks);
  g_assert_cmpuint (during.hblkhd, ==, before.hblkhd);
  rl_mem_free (big);

  before = mallinfo2 ();
  void *small = rl_mem_alloc (1000, 64);
  during = mallinfo2 ();
  g_assert_cmpuint (during.uordblks, >=, before.uordblks + 1000);
  rl_mem_free (small);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mem/alignment", test_alignment);
  g_test_add_func ("/mem/bad-arguments", test_bad_arguments);
  g_test_add_func ("/mem/zeroed", test_zeroed);
  g_test_add_func ("/mem/large-bypasses-malloc", test_large_bypasses_malloc);
  return g_test_run ();
}
