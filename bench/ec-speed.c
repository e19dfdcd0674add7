/*
 * bench/ec-speed.c: what erasure coding (issue 21) costs per byte on one core, through
 * common/ec.h (ISA-L): for 4+2 and 8+3, over 1 MiB and 8 MiB chunks, encoding (the copy into
 * the K data fragments and the parity), the parity alone (data fragments sent straight from the
 * chunk's buffer), a degraded read (cn_ec_reconstruct_chunk with 1, 2 and, for 8+3, 3 data
 * fragments lost: the worst case, as parity must stand in), and CRC32C (cn_crc32c, ISA-L's
 * crc32_iscsi) of the K + M fragments a write stores and a scrub reads. The baseline, measured
 * in the same run, is memcpy of the same chunk bytes into the K data fragments. Rates are
 * chunk bytes (the object's bytes, not the fragments') per second of this process's CPU time
 * and of wall time, the best of 5 passes over MIB of chunks (default 128 MiB: larger than the
 * caches, as a stream of request bodies is; every chunk has its own fragments). Also the fixed
 * cost of one decode call (matrix inversion and ISA-L's tables) on 64-byte fragments.
 * Single-threaded; no timed assertion: the decoded bytes are checked once, outside the timing.
 *
 * usage: bench/ec-speed [MIB]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ec.h"
#include "common/hash.h"
#include "bench/speed.h"

#define PASSES 5

static struct {
    cn_ec_t *ec;
    unsigned k, m, lost;
    size_t chunk, f, n;       /* chunk bytes, fragment bytes, chunks */
    uint8_t *in, *out, *frag; /* n chunks; n decoded chunks; n * (K + M) fragments */
} g;
static volatile uint64_t sink;

/* Fragment i of chunk c. */
static uint8_t *frag(size_t c, unsigned i)
{
    return g.frag + (c * (g.k + g.m) + i) * g.f;
}

static void frags_of(size_t c, uint8_t **out)
{
    for (unsigned i = 0; i < g.k + g.m; i++)
        out[i] = frag(c, i);
}

static void b_memcpy(void)
{
    for (size_t c = 0; c < g.n; c++) /* the chunk into its K data fragments, as encode copies */
        for (unsigned i = 0; i < g.k; i++) {
            size_t off = i * g.f, len = off + g.f <= g.chunk ? g.f : g.chunk - off;
            memcpy(frag(c, i), g.in + c * g.chunk + off, len);
        }
    sink += g.frag[0];
}

static void b_encode(void)
{
    uint8_t *fr[CN_EC_MAX_FRAGS];

    for (size_t c = 0; c < g.n; c++) {
        frags_of(c, fr);
        must(cn_ec_encode(g.ec, g.in + c * g.chunk, g.chunk, fr) == 0, "encode");
    }
    sink += g.frag[0];
}

static void b_parity(void)
{
    const uint8_t *data[CN_EC_MAX_FRAGS];
    uint8_t *fr[CN_EC_MAX_FRAGS];

    for (size_t c = 0; c < g.n; c++) {
        for (unsigned i = 0; i < g.k; i++)
            data[i] = g.in + c * g.chunk + i * g.f; /* the chunks are multiples of K here */
        frags_of(c, fr);
        must(cn_ec_encode_parity(g.ec, data, g.f, fr + g.k) == 0, "parity");
    }
    sink += g.frag[0];
}

static void b_decode(void)
{
    uint8_t *fr[CN_EC_MAX_FRAGS], present[CN_EC_MAX_FRAGS];

    for (unsigned i = 0; i < g.k + g.m; i++)
        present[i] = i >= g.lost; /* data fragments 0..lost-1 lost */
    for (size_t c = 0; c < g.n; c++) {
        frags_of(c, fr);
        must(cn_ec_reconstruct_chunk(g.ec, (const uint8_t *const *)fr, present, g.f,
                                     g.out + c * g.chunk, g.chunk) == 0,
             "reconstruct");
    }
    sink += g.out[0];
}

static void b_crc(void)
{
    uint32_t crc = 0;

    for (size_t c = 0; c < g.n; c++)
        for (unsigned i = 0; i < g.k + g.m; i++)
            crc ^= cn_crc32c(0, frag(c, i), g.f);
    sink += crc;
}

static double base_cpu;

/* Runs fn PASSES times; prints the best rates in chunk bytes (or bytes, for bytes != 0). */
static void run(const char *name, void (*fn)(void), size_t bytes, int is_base)
{
    double best_wall, best_cpu, gib;

    if (bytes == 0)
        bytes = g.n * g.chunk;
    gib = (double)bytes / (double)(1u << 30);
    best_of(PASSES, fn, &best_wall, &best_cpu);
    if (is_base)
        base_cpu = best_cpu * ((double)(g.n * g.chunk) / (double)bytes);
    printf("  %-46s %6.2f GiB/s CPU  %6.2f GiB/s wall  %5.2f x memcpy\n", name, gib / best_cpu,
           gib / best_wall, best_cpu / base_cpu * ((double)(g.n * g.chunk) / (double)bytes));
}

/* The fixed cost of a decode call: 2 data fragments lost, 64-byte fragments. */
static void decode_setup(void)
{
    uint8_t buf[CN_EC_MAX_FRAGS][64], *fr[CN_EC_MAX_FRAGS], present[CN_EC_MAX_FRAGS];
    const int calls = 200000;
    double best = 1e9;

    memset(buf, 7, sizeof(buf));
    for (unsigned i = 0; i < g.k + g.m; i++) {
        fr[i] = buf[i];
        present[i] = i >= 2;
    }
    for (int p = 0; p < PASSES; p++) {
        double c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        for (int i = 0; i < calls; i++)
            must(cn_ec_decode(g.ec, fr, present, 64) == 0, "decode");
        double c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (c < best)
            best = c;
    }
    sink += buf[0][0];
    printf("  %-46s %6.2f us per call (CPU)\n", "decode call, 2 lost, 64-byte fragments",
           best / calls * 1e6);
}

static void bench(unsigned k, unsigned m, size_t chunk_mib, size_t total_mib)
{
    char name[96];

    must(cn_ec_create(k, m, &g.ec) == 0, "cn_ec_create");
    g.k = k;
    g.m = m;
    g.chunk = chunk_mib << 20;
    g.n = total_mib / chunk_mib;
    g.f = cn_ec_frag_len(g.ec, g.chunk);
    must(g.n > 0 && g.chunk % k == 0, "sizes");
    g.in = malloc(g.n * g.chunk);
    g.out = malloc(g.n * g.chunk);
    g.frag = malloc(g.n * (k + m) * g.f);
    must(g.in && g.out && g.frag, "malloc");
    for (size_t i = 0; i < g.n * g.chunk; i++)
        g.in[i] = (uint8_t)(i * 2654435761u >> 13);
    memset(g.out, 0, g.n * g.chunk); /* fault the pages in */
    memset(g.frag, 0, g.n * (k + m) * g.f);
    printf("%u+%u, %zu MiB chunks (%zu of them, fragments of %zu bytes)\n", k, m, chunk_mib, g.n,
           g.f);
    run("memcpy into the K data fragments (baseline)", b_memcpy, 0, 1);
    run("encode: copy + parity (cn_ec_encode)", b_encode, 0, 0);
    run("parity only (cn_ec_encode_parity)", b_parity, 0, 0);
    for (g.lost = 1; g.lost <= m; g.lost++) {
        snprintf(name, sizeof(name), "decode, %u data fragment%s lost (reconstruct)", g.lost,
                 g.lost > 1 ? "s" : "");
        run(name, b_decode, 0, 0);
        must(memcmp(g.out, g.in, g.n * g.chunk) == 0, "decoded bytes");
        memset(g.out, 0, g.n * g.chunk);
    }
    snprintf(name, sizeof(name), "CRC32C of the %u fragments (per fragment byte)", k + m);
    run(name, b_crc, g.n * (k + m) * g.f, 0);
    decode_setup();
    free(g.in);
    free(g.out);
    free(g.frag);
    cn_ec_destroy(g.ec);
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;

    must(mib >= 8, "MIB >= 8");
    printf("ec-speed: %zu MiB of chunks per pass, best of %d; GiB/s of chunk bytes on one core; "
           "CPU = this process's CPU time; x memcpy = CPU time against the baseline's\n",
           mib, PASSES);
    bench(4, 2, 1, mib);
    bench(4, 2, 8, mib);
    bench(8, 3, 1, mib);
    bench(8, 3, 8, mib);
    return (int)(sink & 0);
}
