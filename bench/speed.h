/*
 * bench/speed.h: what the one-process speed benches (sse-speed, ec-speed) share: a clock in
 * seconds, the best of several timed passes, and a check that ends the run, named by the
 * program.
 */
#ifndef CAIRN_BENCH_SPEED_H
#define CAIRN_BENCH_SPEED_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/** Seconds of clock id (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID...). */
static inline double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** Runs fn passes times; the best (shortest) wall and CPU seconds of one run. */
static inline void best_of(int passes, void (*fn)(void), double *wall, double *cpu)
{
    *wall = *cpu = 1e9;
    for (int i = 0; i < passes; i++) {
        double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        fn();
        double c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0, w = clock_s(CLOCK_MONOTONIC) - w0;
        if (w < *wall)
            *wall = w;
        if (c < *cpu)
            *cpu = c;
    }
}

/** Ends the run ("<program>: <what> failed", exit 1) unless ok. */
static inline void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s: %s failed\n", program_invocation_short_name, what);
        exit(1);
    }
}

#endif
