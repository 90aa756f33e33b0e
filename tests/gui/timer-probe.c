/* timer-probe SECONDS [CPU]: sleeps 10 ms at a time for SECONDS (on CPU only, if given) and
 * prints every wake-up that came more than 30 ms after the previous one as "GAP_MS END_MS"
 * (CLOCK_MONOTONIC, the clock of g_get_monotonic_time). A process that does nothing else cannot
 * stall on its own: a gap here means the machine did not run that CPU (on this project's CI
 * machine, a virtual machine, a vCPU stops while the thread on it faults in fresh memory, and
 * every timer queued on it fires late). The GUI frame test runs one per CPU to tell such stalls
 * from the app's own. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
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
  if (argc < 2 || argc > 3 || !(seconds > 0))
    {
      fprintf (stderr, "usage: timer-probe SECONDS [CPU]\n");
      return 2;
    }
  if (argc == 3)
    {
      cpu_set_t set;
      CPU_ZERO (&set);
      CPU_SET (atoi (argv[2]), &set);
      if (sched_setaffinity (0, sizeof set, &set) != 0)
        {
          perror ("timer-probe: sched_setaffinity");
          return 1;
        }
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
