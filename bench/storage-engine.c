/*
 * bench/storage-engine.c: drives the storage engine in-process (no network) and compares it
 * with the disk's limit for durable writes measured in the same run.
 *
 *   bench/storage-engine [--dir DIR] [--kind container|simple] [--no-sync] [--quick]
 *                        [--reps N] [--no-put] [--no-get] [--no-1m] [--curve N] [--journal]
 *
 * For 1, 8 and 64 concurrent writers and 4 KiB and 1 MiB values it prints ops/s, MiB/s,
 * p50/p99 latency of PUT, and the ratio to the baseline: plain appends of the same sizes to
 * one file by the same number of writers with the same group-commit fdatasync batching
 * (each configuration runs --reps times, default 3, alternating baseline and engine; the
 * median is printed).
 * Then 4 KiB GETs from one thread on cached data (a warm-up pass, then --reps passes of
 * 500,000 GETs over 10,000 keys; the median pass is printed). --curve N puts N 4 KiB
 * objects with 64 writers and prints the PUT rate per window (10k, 100k, 1M...), to show that
 * the rate holds as the node fills up; it fills --reps times from empty and prints each
 * point's median (each fill's points go to stderr).
 * --journal (issue 22) measures what the change journal adds to a PUT: the baseline of each
 * PUT row is then the engine itself without the journal, the measured run the same PUTs with
 * CN_OBJ_JOURNALED (each also writes its journal entry in the commit's WriteBatch).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "storage/engine/engine.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

#define REPS_MAX 15
static int REPS = 3; /* each configuration runs this often (--reps); the median is printed */

struct result {
    double ops, mib, p50_us, p99_us;
};

static int cmp_res(const void *a, const void *b)
{
    double x = ((const struct result *)a)->ops, y = ((const struct result *)b)->ops;
    return x < y ? -1 : x > y;
}

/* ---- baseline: group-committed appends to one file ---------------------------------- */

struct greq {
    struct greq *next;
    const void *p;
    size_t n;
    int done;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct greq *head, **tail;
    int leader, fd, sync;
    uint64_t off;
} gc = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, -1, 1, 0};

static void base_append(const void *p, size_t n)
{
    struct greq r = {NULL, p, n, 0};

    pthread_mutex_lock(&gc.lock);
    *gc.tail = &r;
    gc.tail = &r.next;
    while (!r.done) {
        if (!gc.leader) {
            struct greq *b = gc.head, *w;
            struct iovec iov[1024];
            int k = 0;
            uint64_t off = gc.off, len = 0;

            gc.leader = 1;
            gc.head = NULL;
            gc.tail = &gc.head;
            pthread_mutex_unlock(&gc.lock);
            for (w = b; w; w = w->next) {
                iov[k++] = (struct iovec){(void *)(uintptr_t)w->p, w->n};
                len += w->n;
                if (k == 1024 || !w->next) {
                    if (pwritev(gc.fd, iov, k, (off_t)off) < 0)
                        abort();
                    off += len;
                    len = 0;
                    k = 0;
                }
            }
            if (gc.sync && fdatasync(gc.fd) != 0)
                abort();
            pthread_mutex_lock(&gc.lock);
            gc.off = off;
            for (w = b; w; w = w->next)
                w->done = 1;
            gc.leader = 0;
            pthread_cond_broadcast(&gc.cond);
        } else {
            pthread_cond_wait(&gc.cond, &gc.lock);
        }
    }
    pthread_mutex_unlock(&gc.lock);
}

/* ---- runs ------------------------------------------------------------------------------ */

struct run {
    stor_engine_t *e;     /* NULL: baseline */
    size_t size;
    int writers;
    uint64_t ops_per_writer;
    uint64_t key_base;
    const char *data;
    uint32_t flags;       /* the engine PUTs' flags: CN_OBJ_JOURNALED with --journal */
    uint64_t *lat;        /* writers * ops_per_writer */
};

struct wctx {
    struct run *r;
    int id;
};

static uint64_t clock_ctr = 1;

static void *wthread(void *arg)
{
    struct wctx *c = arg;
    struct run *r = c->r;
    char key[64];

    for (uint64_t i = 0; i < r->ops_per_writer; i++) {
        uint64_t t0 = now_ns();

        if (r->e == NULL) {
            base_append(r->data, r->size + 128 + 24); /* record header + key, like the engine */
        } else {
            stor_obj_meta_t m = {.clock = __atomic_add_fetch(&clock_ctr, 1, __ATOMIC_RELAXED),
                                 .size = r->size, .flags = r->flags};
            int rc;

            snprintf(key, sizeof(key), "bench/%012" PRIu64,
                     r->key_base + (uint64_t)c->id * r->ops_per_writer + i);
            strcpy(m.etag, "0123456789abcdef0123456789abcdef");
            rc = stor_engine_put(r->e, cn_slice_str(key), &m, cn_slice(r->data, r->size));
            if (rc != 0) {
                fprintf(stderr, "put: %s\n", cn_strerror(rc));
                exit(1);
            }
        }
        r->lat[(uint64_t)c->id * r->ops_per_writer + i] = now_ns() - t0;
    }
    return NULL;
}

static struct result run(struct run *r)
{
    pthread_t th[64];
    struct wctx c[64];
    uint64_t n = (uint64_t)r->writers * r->ops_per_writer, t0, t;
    struct result res;

    r->lat = cn_malloc(n * sizeof(*r->lat));
    t0 = now_ns();
    for (int i = 0; i < r->writers; i++) {
        c[i] = (struct wctx){r, i};
        pthread_create(&th[i], NULL, wthread, &c[i]);
    }
    for (int i = 0; i < r->writers; i++)
        pthread_join(th[i], NULL);
    t = now_ns() - t0;
    qsort(r->lat, n, sizeof(*r->lat), cmp_u64);
    res.ops = (double)n * 1e9 / (double)t;
    res.mib = res.ops * (double)r->size / (1 << 20);
    res.p50_us = (double)r->lat[n / 2] / 1000;
    res.p99_us = (double)r->lat[n * 99 / 100] / 1000;
    cn_free(r->lat);
    return res;
}

static void reset_dir(const char *d)
{
    char cmd[PATH_MAX + 32];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", d, d);
    if (system(cmd) != 0)
        exit(1);
}

int main(int argc, char **argv)
{
    const char *base = "/tmp/cairn-bench-engine", *kind = "container";
    int quick = 0, no_sync = 0, no_put = 0, no_get = 0, no_1m = 0, journal = 0;
    uint64_t curve = 0;
    static const int writers[] = {1, 8, 64};
    static const size_t sizes[] = {4096, 1 << 20};
    char path[PATH_MAX];
    char *data;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            base = argv[++i];
        else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
            kind = argv[++i];
        else if (strcmp(argv[i], "--curve") == 0 && i + 1 < argc)
            curve = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            REPS = atoi(argv[++i]);
        else if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--no-put") == 0)
            no_put = 1;
        else if (strcmp(argv[i], "--no-get") == 0)
            no_get = 1;
        else if (strcmp(argv[i], "--no-1m") == 0)
            no_1m = 1;
        else if (strcmp(argv[i], "--journal") == 0)
            journal = 1;
        else if (strcmp(argv[i], "--no-sync") == 0)
            no_sync = 1;
        else {
            fprintf(stderr, "usage: %s [--dir DIR] [--kind container|simple] [--no-sync] "
                    "[--quick] [--reps N] [--no-put] [--no-get] [--no-1m] [--curve N]\n", argv[0]);
            return 2;
        }
    }
    if (REPS < 1 || REPS > REPS_MAX) {
        fprintf(stderr, "--reps: 1..%d\n", REPS_MAX);
        return 2;
    }
    cn_log_init("bench", CN_LOG_WARN, NULL);
    data = cn_malloc((1 << 20) + 4096);
    for (size_t i = 0; i < (1 << 20) + 4096; i++)
        data[i] = (char)(i * 131 + (i >> 9));
    gc.sync = !no_sync;
    printf("storage-engine bench: engine=%s sync=%s dir=%s\n", kind, no_sync ? "off" : "durable",
           base);
    printf("%-6s %-8s %-8s %10s %9s %9s %9s %10s %7s\n", "op", "size", "writers", "ops/s", "MiB/s",
           "p50_us", "p99_us", "base_ops/s", "ratio");
    for (size_t s = 0; s < (no_1m ? 1u : 2u) && !no_put; s++) {
        for (size_t w = 0; w < 3; w++) {
            stor_engine_opts_t o = {.kind = kind, .no_sync = no_sync};
            uint64_t total = sizes[s] == 4096 ? (quick ? 2000 : 20000) : (quick ? 64 : 512);
            struct run r = {.size = sizes[s], .writers = writers[w], .data = data};
            struct result br, er;

            if (writers[w] == 1 && sizes[s] == 4096)
                total /= 4;
            r.ops_per_writer = total / (uint64_t)writers[w];
            if (r.ops_per_writer == 0)
                r.ops_per_writer = 1;
            struct result bs[REPS_MAX], es[REPS_MAX];

            for (int k = 0; k < REPS; k++) {
                /* baseline, then engine, alternating so that both see the same disk mood */
                reset_dir(base);
                if (journal) { /* the baseline: the engine without the journal */
                    if (stor_engine_open(base, &o, &r.e) != 0)
                        return 1;
                    r.flags = 0;
                    bs[k] = run(&r);
                    stor_engine_close(r.e);
                } else {
                    snprintf(path, sizeof(path), "%s/baseline.log", base);
                    gc.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
                    gc.off = 0;
                    gc.tail = &gc.head;
                    r.e = NULL;
                    bs[k] = run(&r);
                    close(gc.fd);
                }
                reset_dir(base);
                if (stor_engine_open(base, &o, &r.e) != 0)
                    return 1;
                r.flags = journal ? CN_OBJ_JOURNALED : 0;
                es[k] = run(&r);
                stor_engine_close(r.e);
                r.e = NULL;
            }
            qsort(bs, REPS, sizeof(bs[0]), cmp_res);
            qsort(es, REPS, sizeof(es[0]), cmp_res);
            br = bs[REPS / 2];
            er = es[REPS / 2];
            printf("%-6s %-8s %-8d %10.0f %9.1f %9.0f %9.0f %10.0f %6.0f%%\n", "put",
                   sizes[s] == 4096 ? "4KiB" : "1MiB", writers[w], er.ops, er.mib, er.p50_us,
                   er.p99_us, br.ops, 100 * er.ops / br.ops);
            fflush(stdout);
        }
    }
    /* GET 4 KiB, one thread, cached: a warm-up pass, then REPS timed passes; the median */
    if (!no_get) {
        stor_engine_opts_t o = {.kind = kind, .no_sync = 1};
        uint64_t nkeys = 10000, ngets = quick ? 100000 : 500000, *lat;
        struct result gs[REPS_MAX + 1];
        stor_engine_t *e;
        stor_obj_meta_t m;
        cn_buf_t b;
        char (*keys)[32] = cn_malloc(nkeys * sizeof(*keys));

        reset_dir(base);
        if (stor_engine_open(base, &o, &e) != 0)
            return 1;
        for (uint64_t i = 0; i < nkeys; i++) {
            stor_obj_meta_t pm = {.clock = 1, .size = 4096};
            snprintf(keys[i], sizeof(keys[i]), "bench/%012" PRIu64, i);
            stor_engine_put(e, cn_slice_str(keys[i]), &pm, cn_slice(data, 4096));
        }
        cn_buf_init(&b);
        lat = cn_malloc(ngets * sizeof(*lat));
        for (int k = 0; k <= REPS; k++) {
            uint64_t t0 = now_ns(), t;

            for (uint64_t i = 0; i < ngets; i++) {
                uint64_t s0 = now_ns();

                cn_buf_reset(&b);
                if (stor_engine_get(e, cn_slice_str(keys[(i * 7919) % nkeys]), 0, UINT64_MAX, &m,
                                    NULL, &b) != 0 || b.len != 4096)
                    return 1;
                lat[i] = now_ns() - s0;
            }
            t = now_ns() - t0;
            qsort(lat, ngets, sizeof(*lat), cmp_u64);
            gs[k].ops = (double)ngets * 1e9 / (double)t;
            gs[k].mib = gs[k].ops * 4096 / (1 << 20);
            gs[k].p50_us = (double)lat[ngets / 2] / 1000;
            gs[k].p99_us = (double)lat[ngets * 99 / 100] / 1000;
        }
        qsort(gs + 1, REPS, sizeof(gs[0]), cmp_res); /* gs[0]: the warm-up pass */
        printf("%-6s %-8s %-8d %10.0f %9.1f %9.1f %9.1f %10s %7s\n", "get", "4KiB", 1,
               gs[1 + REPS / 2].ops, gs[1 + REPS / 2].mib, gs[1 + REPS / 2].p50_us,
               gs[1 + REPS / 2].p99_us, "-", "-");
        cn_free(lat);
        cn_free(keys);
        cn_buf_dispose(&b);
        stor_engine_close(e);
    }
    /* the fill curve: --reps fills from empty; each point's median over the fills */
    if (curve > 0) {
        enum { PTS = 16 };
        struct result pe[PTS][REPS_MAX], pb[PTS][REPS_MAX];
        uint64_t pdone[PTS] = {0};
        size_t np = 0;

        printf("\nfill curve: 4KiB PUT, 64 writers, rate measured over a 10000-object window at "
               "each point; base = the baseline's appends measured right after, on the same "
               "disk state; %d fills from empty, the median of each point\n", REPS);
        for (int k = 0; k < REPS; k++) {
            stor_engine_opts_t o = {.kind = kind, .no_sync = no_sync};
            uint64_t done = 0, window = 10000;
            struct run r = {.size = 4096, .writers = 64, .data = data};
            size_t p = 0;

            reset_dir(base);
            if (stor_engine_open(base, &o, &r.e) != 0)
                return 1;
            snprintf(path, sizeof(path), "%s/baseline.log", base);
            while (done + window <= curve && p < PTS) {
                uint64_t next = done == 0 ? 10000 : done * 10 > curve ? curve : done * 10;
                struct run b;

                /* fill up to next - window without measuring, then measure one window */
                while (done + window < next) {
                    uint64_t n = next - window - done;
                    r.ops_per_writer = (n > 640000 ? 640000 : n) / 64;
                    if (r.ops_per_writer == 0)
                        break;
                    r.key_base = done;
                    run(&r);
                    done += r.ops_per_writer * 64;
                }
                r.ops_per_writer = window / 64;
                r.key_base = done;
                pe[p][k] = run(&r);
                done += r.ops_per_writer * 64;
                b = r;
                b.e = NULL;
                gc.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
                gc.off = 0;
                gc.tail = &gc.head;
                pb[p][k] = run(&b);
                close(gc.fd);
                unlink(path);
                fprintf(stderr, "fill %d: %-12" PRIu64 " %10.0f ops/s, base %10.0f\n", k + 1,
                        done, pe[p][k].ops, pb[p][k].ops);
                pdone[p++] = done;
            }
            np = p;
            stor_engine_close(r.e);
        }
        printf("%-12s %10s %9s %9s %7s %10s %7s\n", "objects", "ops/s", "p50_us", "p99_us",
               "vs_10k", "base_ops/s", "ratio");
        for (size_t p = 0; p < np; p++) {
            qsort(pe[p], REPS, sizeof(pe[p][0]), cmp_res);
            qsort(pb[p], REPS, sizeof(pb[p][0]), cmp_res);
        }
        for (size_t p = 0; p < np; p++) {
            const struct result *res = &pe[p][REPS / 2], *br = &pb[p][REPS / 2];

            printf("%-12" PRIu64 " %10.0f %9.0f %9.0f %6.0f%% %10.0f %6.0f%%\n", pdone[p],
                   res->ops, res->p50_us, res->p99_us, 100 * res->ops / pe[0][REPS / 2].ops,
                   br->ops, 100 * res->ops / br->ops);
        }
        fflush(stdout);
    }
    reset_dir(base);
    cn_free(data);
    return 0;
}
