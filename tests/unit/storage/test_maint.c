/*
 * tests/unit/storage/test_maint.c: tests storage/engine/compact.c and storage/engine/scrub.c through the
 * container engine on real files: compaction under concurrent writes and deletes (20,000
 * objects, half overwritten or deleted: disk use falls by at least 45% of the dead bytes,
 * nothing live is lost, nothing deleted comes back, also after a reopen), the tombstone grace
 * period, suspend/resume, automatic compaction (it waits for both thresholds, then reclaims),
 * the index memory budget reaching RocksDB, and the scrub of a corrupted body byte (reported,
 * marked, handed to the repair hook, never served).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "storage/engine/engine.h"
#include "tests/harness/tmpdir.h"

#define N_OBJ 20000
#define N_NEW 4000
#define BODY 1024

static char dir[PATH_MAX / 2];
static stor_engine_t *eng;
static uint32_t ver[N_OBJ + N_NEW]; /* 0: deleted/absent, else the version stored */
static uint64_t clk = 1;

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
    stor_engine_close(eng);
    eng = NULL;
    t_tmpdir_remove(dir);
}

TestSuite(maint, .init = setup, .fini = teardown);

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void body_of(uint32_t i, uint32_t v, char *out)
{
    uint32_t x = i * 2654435761u ^ v * 40503u;

    for (int k = 0; k < BODY; k++) {
        x = x * 1103515245u + 12345u;
        out[k] = (char)(x >> 16);
    }
}

static void key_of(uint32_t i, char *k, size_t n)
{
    snprintf(k, n, "b/obj/%06u", i);
}

static int put_v(uint32_t i, uint32_t v)
{
    char k[32], b[BODY];
    stor_obj_meta_t m = {.clock = __atomic_add_fetch(&clk, 1, __ATOMIC_RELAXED), .size = BODY};

    key_of(i, k, sizeof(k));
    body_of(i, v, b);
    return stor_engine_put(eng, cn_slice_str(k), &m, cn_slice(b, BODY));
}

static int del(uint32_t i)
{
    char k[32];

    key_of(i, k, sizeof(k));
    return stor_engine_delete(eng, cn_slice_str(k), __atomic_add_fetch(&clk, 1, __ATOMIC_RELAXED));
}

static void check_all(uint32_t n)
{
    char k[32], want[BODY];
    stor_obj_meta_t m;
    cn_buf_t b;

    cn_buf_init(&b);
    for (uint32_t i = 0; i < n; i++) {
        int rc;

        key_of(i, k, sizeof(k));
        cn_buf_reset(&b);
        rc = stor_engine_get(eng, cn_slice_str(k), 0, UINT64_MAX, &m, NULL, &b);
        if (ver[i] == 0) {
            cr_assert_eq(rc, CN_ENOENT, "key %u was deleted but reads rc=%d", i, rc);
            continue;
        }
        cr_assert_eq(rc, 0, "key %u (v%u) lost: rc=%d", i, ver[i], rc);
        body_of(i, ver[i], want);
        cr_assert_eq(b.len, BODY);
        cr_assert(memcmp(b.data, want, BODY) == 0, "key %u has the wrong bytes", i);
    }
    cn_buf_dispose(&b);
}

static void open_eng(uint64_t grace_ms, uint32_t containers)
{
    stor_engine_opts_t o = {.kind = "container", .no_sync = 1, .tombstone_grace_ms = grace_ms,
                            .containers = containers};

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
}

static void wait_compaction(stor_compact_status_t *st)
{
    for (int i = 0; i < 6000; i++) {
        cr_assert_eq(stor_engine_compact_status(eng, st), 0);
        if (strcmp(st->state, "idle") == 0)
            return;
        sleep_ms(10);
    }
    cr_assert_fail("compaction did not finish in 60 s");
}

static volatile int writer_stop;
static uint64_t appended; /* bytes the concurrent writer appended */

static void *writer(void *arg)
{
    uint32_t n = 0;

    (void)arg;
    while (!writer_stop || n < 200) {
        uint32_t i = N_OBJ + n % N_NEW;        /* new keys */
        uint32_t j = 1 + 2 * ((n * 7919) % (N_OBJ / 2)); /* odd: untouched originals */

        if (put_v(i, ver[i] + 1) != 0)
            return (void *)1;
        ver[i]++;
        appended += 128 + 12 + BODY;
        if (n % 3 == 0) {
            uint32_t d = N_OBJ + (n * 31) % N_NEW;
            int rc = del(d);

            if (rc != 0 && rc != CN_ENOENT)
                return (void *)2;
            ver[d] = 0;
            appended += 128 + 12;
        }
        if (n % 5 == 0 && ver[j] != 0) {
            if (put_v(j, ver[j] + 1) != 0)
                return (void *)3;
            ver[j]++;
            appended += 128 + 12 + BODY;
        }
        n++;
        if (n >= 100000)
            break;
    }
    return NULL;
}

Test(maint, compaction_under_concurrent_writes_and_deletes, .timeout = 120)
{
    stor_compact_status_t st;
    uint64_t before, after, dead;
    pthread_t th;
    void *res;

    open_eng(1, 8);
    for (uint32_t i = 0; i < N_OBJ; i++) {
        cr_assert_eq(put_v(i, 1), 0);
        ver[i] = 1;
    }
    /* half of the objects: even ones; overwrite every other even, delete the rest */
    for (uint32_t i = 0; i < N_OBJ; i += 2) {
        if (i % 4 == 0) {
            cr_assert_eq(put_v(i, 2), 0);
            ver[i] = 2;
        } else {
            cr_assert_eq(del(i), 0);
            ver[i] = 0;
        }
    }
    cr_assert_eq(stor_engine_disk_usage(eng, &before), 0);
    /* dead: the 10,000 replaced records (each header + key + body) */
    dead = (uint64_t)(N_OBJ / 2) * (128 + 12 + BODY);
    sleep_ms(5); /* tombstones pass their 1 ms grace */

    writer_stop = 0;
    pthread_create(&th, NULL, writer, NULL);
    sleep_ms(20);
    cr_assert_eq(stor_engine_compact_start(eng, 0), 0);
    cr_assert_eq(stor_engine_compact_start(eng, 0), CN_EBUSY);
    wait_compaction(&st);
    writer_stop = 1;
    pthread_join(th, &res);
    cr_assert_null(res, "the concurrent writer failed (%p)", res);
    cr_assert_eq(st.done, 8);
    cr_assert_eq(st.failed, 0);
    cr_assert_gt(st.dropped, 0, "expired tombstones are dropped");
    cr_assert_gt(st.reclaimed_bytes, 0);

    cr_assert_eq(stor_engine_disk_usage(eng, &after), 0);
    cr_log_info("disk before=%" PRIu64 " appended=%" PRIu64 " after=%" PRIu64 " dead=%" PRIu64,
                before, appended, after, dead);
    cr_assert_geq((double)before + (double)appended - (double)after, 0.45 * (double)dead,
                  "reclaimed %" PRIu64 " of %" PRIu64 " dead bytes",
                  before + appended - after, dead);
    check_all(N_OBJ + N_NEW);
    stor_engine_close(eng);
    eng = NULL;
    open_eng(1, 8);
    check_all(N_OBJ + N_NEW);
}

static void put_s(const char *k, uint64_t clock, const char *body)
{
    stor_obj_meta_t m = {.clock = clock, .size = strlen(body)};

    cr_assert_eq(stor_engine_put(eng, cn_slice_str(k), &m, cn_slice_str(body)), 0);
}

Test(maint, tombstones_survive_compaction_within_the_grace_period, .timeout = 30)
{
    stor_compact_status_t st;
    stor_obj_meta_t m = {.clock = 5, .size = 3};

    open_eng(3600 * 1000, 2);
    put_s("b/gone", 10, "x");
    cr_assert_eq(stor_engine_delete(eng, CN_SLICE("b/gone"), 20), 0);
    cr_assert_eq(stor_engine_compact_start(eng, 0), 0);
    wait_compaction(&st);
    cr_assert_eq(st.dropped, 0);
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/gone"), &m, CN_SLICE("old")), CN_ESTALE,
                 "the tombstone is kept during the grace period");
    stor_engine_close(eng);
    eng = NULL;
    open_eng(1, 2);
    sleep_ms(5);
    cr_assert_eq(stor_engine_compact_start(eng, 0), 0);
    wait_compaction(&st);
    cr_assert_eq(st.dropped, 1, "after the grace period it is dropped");
    cr_assert_eq(stor_engine_put(eng, CN_SLICE("b/gone"), &m, CN_SLICE("old")), 0);
}

Test(maint, suspend_and_resume, .timeout = 60)
{
    stor_compact_status_t st;
    stor_engine_opts_t o = {.kind = "container", .no_sync = 1, .containers = 2,
                            .compact_rate = 200 << 10};
    char k[32], b[BODY];

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
    memset(b, 'x', sizeof(b));
    for (int i = 0; i < 400; i++) {
        stor_obj_meta_t m = {.clock = 1, .size = BODY};
        snprintf(k, sizeof(k), "b/%d", i);
        cr_assert_eq(stor_engine_put(eng, cn_slice_str(k), &m, cn_slice(b, BODY)), 0);
    }
    cr_assert_eq(stor_engine_compact_suspend(eng), CN_EINVAL, "nothing to suspend");
    cr_assert_eq(stor_engine_compact_start(eng, 1), 0);
    cr_assert_eq(stor_engine_compact_suspend(eng), 0);
    cr_assert_eq(stor_engine_compact_status(eng, &st), 0);
    cr_assert_str_eq(st.state, "suspended");
    sleep_ms(300);
    cr_assert_eq(stor_engine_compact_status(eng, &st), 0);
    cr_assert_str_eq(st.state, "suspended");
    cr_assert_eq(stor_engine_compact_resume(eng), 0);
    wait_compaction(&st);
    cr_assert_eq(st.total, 1);
    cr_assert_eq(st.done, 1);
    for (int i = 0; i < 400; i++) {
        stor_obj_meta_t m;
        cn_buf_t out;
        snprintf(k, sizeof(k), "b/%d", i);
        cn_buf_init(&out);
        cr_assert_eq(stor_engine_get(eng, cn_slice_str(k), 0, UINT64_MAX, &m, NULL, &out), 0);
        cr_assert_eq(out.len, BODY);
        cn_buf_dispose(&out);
    }
}

/* Bytes of the container files (dir/containers/c*.dat). */
static uint64_t container_bytes(void)
{
    char path[PATH_MAX];
    uint64_t total = 0;
    struct stat sb;

    for (int i = 0; i < 64; i++) {
        snprintf(path, sizeof(path), "%s/containers/c%04d.dat", dir, i);
        if (stat(path, &sb) == 0)
            total += (uint64_t)sb.st_size;
    }
    return total;
}

Test(maint, automatic_compaction_waits_for_the_threshold_then_reclaims, .timeout = 120)
{
    stor_engine_opts_t o = {.kind = "container", .no_sync = 1, .containers = 4,
                            .compact_auto_pct = 50, .compact_auto_min = 1 << 20,
                            .compact_auto_interval_ms = 100};
    stor_compact_status_t st;
    uint64_t before, after;
    const uint32_t n = 2000; /* 2 MB live, ~0.5 MB per container */

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq(put_v(i, 1), 0);
        ver[i] = 1;
    }
    /* one overwrite of everything: half of each file is dead (~0.5 MB each), under the
     * 1 MiB minimum: several looks later nothing was compacted */
    for (uint32_t i = 0; i < n; i++) {
        cr_assert_eq(put_v(i, 2), 0);
        ver[i] = 2;
    }
    sleep_ms(600);
    cr_assert_eq(stor_engine_compact_status(eng, &st), 0);
    cr_assert_str_eq(st.state, "idle");
    cr_assert_eq(st.started_ms, 0, "nothing compacts under compact_auto_min");
    /* three more: 4/5 of each file dead (~2 MB each): over both thresholds */
    for (uint32_t v = 3; v <= 5; v++)
        for (uint32_t i = 0; i < n; i++) {
            cr_assert_eq(put_v(i, v), 0);
            ver[i] = v;
        }
    before = container_bytes();
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(stor_engine_compact_status(eng, &st), 0);
        if (st.started_ms != 0 && strcmp(st.state, "idle") == 0)
            break;
        sleep_ms(20);
    }
    cr_assert_neq(st.started_ms, 0, "no automatic compaction within 20 s");
    cr_assert_str_eq(st.state, "idle");
    cr_assert_eq(st.failed, 0);
    cr_assert_eq(st.done, 4, "every container was over the thresholds (done=%u)", st.done);
    after = container_bytes();
    cr_assert_lt(after * 100, before * 30, "container bytes %" PRIu64 " -> %" PRIu64 ": "
                 "at least 70%% reclaimed", before, after);
    check_all(n);
    /* nothing more to do: the next looks start nothing */
    {
        uint64_t started = st.started_ms;

        sleep_ms(400);
        cr_assert_eq(stor_engine_compact_status(eng, &st), 0);
        cr_assert_eq(st.started_ms, started, "a compacted store is left alone");
    }
    stor_engine_close(eng);
    eng = NULL;
    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
    check_all(n);
}

Test(maint, the_index_memory_budget_reaches_rocksdb, .timeout = 30)
{
    stor_engine_opts_t o = {.kind = "container", .no_sync = 1, .containers = 2,
                            .index_memtable = 3 << 20, .index_cache = 5 << 20};
    char cmd[PATH_MAX + 128], line[256];
    FILE *f;
    int found = 0;

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
    /* RocksDB writes the options in force to index/OPTIONS-NNNNNN */
    snprintf(cmd, sizeof(cmd), "cat %s/index/OPTIONS-* 2>/dev/null", dir);
    f = popen(cmd, "r");
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strstr(line, "write_buffer_size=3145728") != NULL)
            found = 1;
    pclose(f);
    cr_assert(found, "the index's memtable size is index_memtable");
}

/* ---- scrub ------------------------------------------------------------------------------ */

static char repaired[64];
static int repairs;

static void repair_hook(void *arg, cn_slice_t key, int rc)
{
    (void)arg;
    snprintf(repaired, sizeof(repaired), "%.*s", (int)key.len, key.ptr);
    __atomic_add_fetch(&repairs, 1, __ATOMIC_RELAXED);
    cr_assert_eq(rc, CN_ECORRUPT);
}

/* Flips one byte of the first occurrence of pattern in the container file. */
static void corrupt(const char *pattern)
{
    char path[PATH_MAX];
    struct stat st;
    char *map, *hit;
    int fd;

    snprintf(path, sizeof(path), "%s/containers/c0000.dat", dir);
    fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0);
    cr_assert_eq(fstat(fd, &st), 0);
    map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    cr_assert_neq(map, MAP_FAILED);
    hit = memmem(map, (size_t)st.st_size, pattern, strlen(pattern));
    cr_assert_not_null(hit);
    hit[3] ^= 0x20;
    munmap(map, (size_t)st.st_size);
    close(fd);
}

Test(maint, scrub_finds_a_corrupted_body_byte, .timeout = 60)
{
    stor_engine_opts_t o = {.kind = "container", .containers = 1, .repair = repair_hook};
    stor_scrub_status_t st;
    stor_obj_meta_t m;
    cn_buf_t out;
    char k[32];

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof(k), "b/ok%d", i);
        put_s(k, 1, "an ordinary body");
    }
    put_s("b/victim", 1, "VICTIM-BODY-0123456789");
    put_s("b/after", 1, "after the victim");
    corrupt("VICTIM-BODY");

    cr_assert_eq(stor_engine_scrub_start(eng), 0);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(stor_engine_scrub_status(eng, &st), 0);
        if (st.passes >= 1 && !st.running)
            break;
        sleep_ms(10);
    }
    cr_assert_eq(st.passes, 1);
    cr_assert_eq(st.records, 52);
    cr_assert_eq(st.bad, 1, "the scrub reports the bad record");
    cr_assert_eq(__atomic_load_n(&repairs, __ATOMIC_RELAXED), 1);
    cr_assert_str_eq(repaired, "b/victim", "the repair hook got the key");

    cn_buf_init(&out);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/victim"), 0, UINT64_MAX, &m, NULL, &out),
                 CN_ECORRUPT);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/victim"), 2, 5, &m, NULL, &out), CN_ECORRUPT,
                 "a range read of a bad record is refused too");
    cr_assert_eq(out.len, 0, "no byte of the bad record is served");
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/after"), 0, UINT64_MAX, &m, NULL, &out), 0);
    cr_assert_eq(out.len, 16);
    cn_buf_reset(&out);
    /* a newer write repairs the key */
    put_s("b/victim", 2, "VICTIM-REPAIRED");
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/victim"), 0, UINT64_MAX, &m, NULL, &out), 0);
    cr_assert_eq(out.len, 15);
    cn_buf_dispose(&out);
}

Test(maint, a_full_get_checks_the_body_crc_without_scrub, .timeout = 30)
{
    stor_engine_opts_t o = {.kind = "container", .containers = 1, .repair = repair_hook};
    stor_obj_meta_t m;
    cn_buf_t out;

    cr_assert_eq(stor_engine_open(dir, &o, &eng), 0);
    put_s("b/v", 1, "SECOND-VICTIM-BODY");
    corrupt("SECOND-VICTIM");
    cn_buf_init(&out);
    cr_assert_eq(stor_engine_get(eng, CN_SLICE("b/v"), 0, UINT64_MAX, &m, NULL, &out),
                 CN_ECORRUPT);
    cr_assert_eq(out.len, 0);
    cr_assert_eq(__atomic_load_n(&repairs, __ATOMIC_RELAXED), 1);
    cn_buf_dispose(&out);
}
