/*
 * bench/speed.h: what the one-process speed benches (sse-speed, ec-speed) share: a clock in
 * seconds and a check that ends the run, named by the program.
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

/** Ends the run ("<program>: <what> failed", exit 1) unless ok. */
static inline void must(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "%s: %s failed\n", program_invocation_short_name, what);
        exit(1);
    }
}

#endif
