/* timer-probe SECONDS: sleeps 10 ms at a time for SECONDS and prints every wake-up that came more
 * than 30 ms after the previous one as "GAP_MS END_MS" (CLOCK_MONOTONIC, the clock of
 * g_get_monotonic_time). A process that does nothing else cannot stall on its own: a gap here
 * means the machine did not run it (on this project's CI machine, a virtual machine, that happens
 * while another process faults in or frees a few hundred MB). The GUI frame test uses it to tell
 * such stalls from the app's own. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int
main (int argc, char **argv)
{
  double seconds = argc > 1 ? atof (argv[1]) : 0;
  if (argc != 2 || !(seconds > 0))
    {
      fprintf (stderr, "usage: timer-probe SECONDS\n");
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  double prev = now_ms (), end = prev + seconds * 1e3;
  while (prev < end)
    {
      struct timespec s = { 0, 10 * 1000 * 1000 };
      nanosleep (&s, NULL);
      double t = now_ms ();
      if (t - prev > 30.0)
        printf ("%.3f %.3f\n", t - prev, t);
      prev = t;
    }
  return 0;
}
