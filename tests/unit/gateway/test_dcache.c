/* tests/unit/gateway/test_dcache.c: tests gateway/cache/dcache.c (disk cache: reload, checksums,
 * eviction) against real files in a temp directory. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/cache/dcache.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX];
static void setup(void)
{
    t_tmpdir_make(dir, sizeof(dir));
}
static void teardown(void)
{
    t_tmpdir_remove(dir);
}
TestSuite(dcache, .init = setup, .fini = teardown);

static gw_dcache_t *open_dc(uint64_t cap, uint64_t maxobj)
{
    gw_dcache_t *dc;
    gw_dcache_opts_t o = {.dir = dir, .capacity_bytes = cap, .max_object_bytes = maxobj};
    cr_assert_eq(gw_dcache_open(&o, &dc), 0);
    return dc;
}

static int put(gw_dcache_t *dc, const char *k, const void *body, size_t len, uint64_t clock)
{
    gw_cache_info_t i;
    memset(&i, 0, sizeof(i));
    snprintf(i.etag, sizeof(i.etag), "etag-%llu", (unsigned long long)clock);
    i.clock = clock;
    i.mtime_ms = 1700000000123ull;
    i.size = len;
    return gw_dcache_put(dc, cn_slice_str(k), &i, CN_SLICE("\x81\xa1k\xa1v"), cn_slice(body, len),
                         gw_dcache_ticket(dc));
}

static void expect_body(gw_dcache_t *dc, const char *k, const void *body, size_t len)
{
    gw_dcache_obj_t *o = NULL;
    cr_assert_eq(gw_dcache_get(dc, cn_slice_str(k), &o), 0, "get %s", k);
    cr_assert_eq(o->body.len, len);
    cr_assert_arr_eq(o->body.ptr, body, len);
    cr_assert_eq(o->key.len, strlen(k));
    cr_assert_eq(o->meta.len, 5);
    gw_dcache_obj_free(o);
}

Test(dcache, put_get_roundtrip_with_info, .timeout = 10)
{
    gw_dcache_t *dc = open_dc(1 << 20, 1 << 16);
    gw_dcache_obj_t *o = NULL;
    cr_assert_eq(put(dc, "b/k", "hello world", 11, 5), 0);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/k"), &o), 0);
    cr_assert_arr_eq(o->body.ptr, "hello world", 11);
    cr_assert_str_eq(o->info.etag, "etag-5");
    cr_assert_eq(o->info.clock, 5);
    cr_assert_eq(o->info.mtime_ms, 1700000000123ull);
    cr_assert_eq(o->info.size, 11);
    gw_dcache_obj_free(o);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/none"), &o), CN_ENOENT);
    cr_assert_eq(put(dc, "b/big", "0123456789", 10, 1), 0);
    gw_dcache_close(dc);
    dc = open_dc(1 << 20, 4);
    cr_assert_eq(put(dc, "b/big2", "0123456789", 10, 1), CN_E2BIG);
    gw_dcache_close(dc);
}

Test(dcache, restart_keeps_the_cache, .timeout = 10)
{
    static char big[200000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    gw_dcache_t *dc = open_dc(10 << 20, 1 << 20);
    cr_assert_eq(put(dc, "b/a", "alpha", 5, 1), 0);
    cr_assert_eq(put(dc, "b/big", big, sizeof(big), 2), 0);
    gw_dcache_close(dc);

    dc = open_dc(10 << 20, 1 << 20);
    gw_cache_info_t info;
    cr_assert_eq(gw_dcache_peek(dc, CN_SLICE("b/big"), &info), 1);
    cr_assert_str_eq(info.etag, "etag-2");
    expect_body(dc, "b/a", "alpha", 5);
    expect_body(dc, "b/big", big, sizeof(big));
    gw_cache_stats_t st;
    gw_dcache_stats(dc, &st);
    cr_assert_eq(st.entries, 2);
    gw_dcache_close(dc);
}

static void flip_byte(const char *path, off_t off)
{
    int fd = open(path, O_RDWR);
    char c;
    cr_assert_geq(fd, 0);
    cr_assert_eq(pread(fd, &c, 1, off), 1);
    c ^= 0x20;
    cr_assert_eq(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

Test(dcache, corrupt_body_is_never_served_and_is_dropped, .timeout = 10)
{
    char path[PATH_MAX];
    struct stat sb;
    gw_dcache_obj_t *o = NULL;
    gw_dcache_t *dc = open_dc(1 << 20, 1 << 16);
    cr_assert_eq(put(dc, "b/k", "hello world", 11, 1), 0);
    gw_dcache_path(dc, CN_SLICE("b/k"), path, sizeof(path));
    cr_assert_eq(stat(path, &sb), 0);
    flip_byte(path, sb.st_size - 3); /* inside the body */
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/k"), &o), CN_ECORRUPT);
    cr_assert_null(o);
    cr_assert_neq(stat(path, &sb), 0, "the corrupt file must be deleted");
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/k"), &o), CN_ENOENT);
    gw_cache_stats_t st;
    gw_dcache_stats(dc, &st);
    cr_assert_eq(st.corrupt, 1);
    cr_assert_eq(st.entries, 0);
    gw_dcache_close(dc);
}

Test(dcache, corrupt_or_truncated_files_are_dropped_at_start, .timeout = 10)
{
    char p1[PATH_MAX], p2[PATH_MAX], p3[PATH_MAX], junk[PATH_MAX + 32];
    struct stat sb;
    gw_dcache_obj_t *o = NULL;
    gw_dcache_t *dc = open_dc(1 << 20, 1 << 16);
    cr_assert_eq(put(dc, "b/hdr", "header flipped", 14, 1), 0);
    cr_assert_eq(put(dc, "b/trunc", "truncated body", 14, 1), 0);
    cr_assert_eq(put(dc, "b/body", "body flipped", 12, 1), 0);
    cr_assert_eq(put(dc, "b/good", "good", 4, 1), 0);
    gw_dcache_path(dc, CN_SLICE("b/hdr"), p1, sizeof(p1));
    gw_dcache_path(dc, CN_SLICE("b/trunc"), p2, sizeof(p2));
    gw_dcache_path(dc, CN_SLICE("b/body"), p3, sizeof(p3));
    gw_dcache_close(dc);
    flip_byte(p1, 34); /* the clock field */
    cr_assert_eq(stat(p2, &sb), 0);
    cr_assert_eq(truncate(p2, sb.st_size - 1), 0);
    cr_assert_eq(stat(p3, &sb), 0);
    flip_byte(p3, sb.st_size - 1);
    snprintf(junk, sizeof(junk), "%s/tmp.7.x.part", dir); /* a put cut short by a crash */
    FILE *f = fopen(junk, "w");
    fputs("partial", f);
    fclose(f);

    dc = open_dc(1 << 20, 1 << 16);
    cr_assert_neq(stat(p1, &sb), 0);
    cr_assert_neq(stat(p2, &sb), 0);
    cr_assert_neq(stat(junk, &sb), 0);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/hdr"), &o), CN_ENOENT);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/trunc"), &o), CN_ENOENT);
    /* the body is only checked on read: found then, never served */
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/body"), &o), CN_ECORRUPT);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/body"), &o), CN_ENOENT);
    expect_body(dc, "b/good", "good", 4);
    gw_dcache_close(dc);
}

Test(dcache, eviction_respects_capacity_also_after_restart, .timeout = 20)
{
    char body[4096], k[32];
    memset(body, 'z', sizeof(body));
    gw_dcache_t *dc = open_dc(10 * 4300, 1 << 16); /* about 10 files */
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof(k), "b/k%02d", i);
        cr_assert_eq(put(dc, k, body, sizeof(body), 1), 0);
    }
    gw_cache_stats_t st;
    gw_dcache_stats(dc, &st);
    cr_assert_leq(st.bytes, 10 * 4300);
    cr_assert_eq(st.entries + st.evictions, 30);
    gw_dcache_obj_t *o = NULL;
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/k00"), &o), CN_ENOENT);
    expect_body(dc, "b/k29", body, sizeof(body));
    gw_dcache_close(dc);

    /* fewer files kept after a restart with a smaller capacity: the oldest go */
    usleep(20000);
    dc = open_dc(3 * 4300, 1 << 16);
    gw_dcache_stats(dc, &st);
    cr_assert_leq(st.entries, 3);
    cr_assert_leq(st.bytes, 3 * 4300);
    int files = 0;
    char path[PATH_MAX];
    struct stat sb;
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof(k), "b/k%02d", i);
        gw_dcache_path(dc, cn_slice_str(k), path, sizeof(path));
        files += stat(path, &sb) == 0;
    }
    cr_assert_eq(files, (int)st.entries, "files on disk match the index");
    gw_dcache_close(dc);
}

Test(dcache, invalidate_and_stale_fill, .timeout = 10)
{
    gw_dcache_obj_t *o = NULL;
    gw_dcache_t *dc = open_dc(1 << 20, 1 << 16);
    gw_cache_info_t i = {.clock = 3, .size = 3};
    cr_assert_eq(put(dc, "b/k", "new", 3, 10), 0);
    cr_assert_eq(put(dc, "b/k", "old", 3, 9), CN_ESTALE);
    expect_body(dc, "b/k", "new", 3);
    uint64_t t = gw_dcache_ticket(dc);
    cr_assert_eq(gw_dcache_invalidate(dc, CN_SLICE("b/k")), 1);
    cr_assert_eq(gw_dcache_put(dc, CN_SLICE("b/k"), &i, CN_SLICE(""), CN_SLICE("old"), t),
                 CN_ESTALE);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/k"), &o), CN_ENOENT);
    gw_dcache_close(dc);
}
