/*
 * bench/ring-build.c: what a ring (common/ring.h) costs to build and to hold, for rings of 3,
 * 6, 16, 32, 64, 256 and 4096 nodes of VNODES each (default 128): 32 is the largest ring that
 * ring.c scans in full (16 when rows were 8 deep), 4096 the most members it accepts (a
 * hostile ring's cost). Per size: the owner rows' depth (the most owners an arc answers), the
 * median and best build time of REPS builds (default 9) in this process's CPU time (the
 * machine is shared: wall time is noisier), the resident memory a built ring adds
 * (/proc/self/statm before creating it and after building it, once a warm-up ring has loaded
 * the hash code; glibc's mmap threshold is pinned at 128 KiB, so the owner table is a fresh
 * mapping each time and shows up whole), and the cost of one 3-owner key lookup (MD5 and a
 * table read). Single-threaded; nothing is asserted. It uses only the public API that rings 8
 * and 16 deep share, to compare the two.
 *
 * usage: bench/ring-build [REPS [VNODES]]
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ring.h"

#define MAX_REPS 101
#define LOOKUPS 1000000

static volatile uintptr_t sink;

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Resident set in KiB, from /proc/self/statm (0 when unreadable). */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;

    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2)
        res = 0;
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static cn_ring_t *make_ring(int nodes, uint32_t vnodes)
{
    cn_ring_t *r = cn_ring_create();
    char name[32];

    for (int i = 0; i < nodes; i++) {
        snprintf(name, sizeof(name), "storage%d", i);
        if (cn_ring_add(r, name, "10.0.0.1", (uint16_t)(10100 + i), vnodes) != 0)
            abort();
    }
    if (cn_ring_build(r) != 0)
        abort();
    return r;
}

int main(int argc, char **argv)
{
    static const int sizes[] = {3, 6, 16, 32, 64, 256, 4096};
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    uint32_t vnodes = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 128;
    double ms[MAX_REPS];

    if (reps < 1 || reps > MAX_REPS || vnodes == 0) {
        fprintf(stderr, "usage: %s [REPS (1..%d) [VNODES]]\n", argv[0], MAX_REPS);
        return 2;
    }
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* a fixed threshold: glibc stops raising it */
    cn_ring_destroy(make_ring(3, vnodes));
    printf("%6s %7s %6s %12s %12s %12s %14s\n", "nodes", "vnodes", "depth", "build_ms_med",
           "build_ms_min", "rss_kib", "lookup3_ns");
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        const cn_ring_node_t *out[64];
        long rss0 = rss_kib(), rss1;
        cn_ring_t *r = make_ring(sizes[s], vnodes);
        size_t depth;
        double t0, lookup_ns;
        char key[32];

        rss1 = rss_kib();
        depth = cn_ring_lookup_arc(r, 0, sizeof(out) / sizeof(out[0]), out);
        for (int i = 0; i < reps; i++) {
            t0 = cpu_ms();
            if (cn_ring_build(r) != 0)
                abort();
            ms[i] = cpu_ms() - t0;
        }
        qsort(ms, (size_t)reps, sizeof(ms[0]), cmp_double);
        t0 = cpu_ms();
        for (int i = 0; i < LOOKUPS; i++) {
            int len = snprintf(key, sizeof(key), "b/k%d", i);
            if (cn_ring_lookup(r, key, (size_t)len, 3, out) == 0)
                abort();
            sink += (uintptr_t)out[0];
        }
        lookup_ns = (cpu_ms() - t0) * 1e6 / LOOKUPS;
        printf("%6d %7u %6zu %12.2f %12.2f %12ld %14.0f\n", sizes[s], vnodes, depth,
               ms[reps / 2], ms[0], rss1 - rss0, lookup_ns);
        cn_ring_destroy(r);
    }
    return 0;
}
