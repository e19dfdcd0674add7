/* tests/unit/gateway/test_dcache_reap.c: tests the disk cache's deferred unlink
 * (gateway/cache/dcache.c, the reaper): an invalidated key is gone from the index at once and its
 * file a moment later; a put of the same key right after its invalidation keeps its new file
 * (the reaper never deletes it); close unlinks what is still waiting. Real files, temp dir. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "gateway/cache/dcache.h"
#include "tests/harness/tmpdir.h"

static char rdir[PATH_MAX];
static void reap_init(void)
{
    t_tmpdir_make(rdir, sizeof(rdir));
}
static void reap_fini(void)
{
    t_tmpdir_remove(rdir);
}
TestSuite(dcache_reap, .init = reap_init, .fini = reap_fini);

static gw_dcache_t *reap_open(void)
{
    gw_dcache_opts_t o = {.dir = rdir, .capacity_bytes = 1 << 24, .max_object_bytes = 1 << 20};
    gw_dcache_t *dc;

    cr_assert_eq(gw_dcache_open(&o, &dc), 0);
    return dc;
}

static int fill(gw_dcache_t *dc, const char *key, const char *body, uint64_t clock)
{
    gw_cache_info_t info = {.clock = clock, .size = strlen(body), .mtime_ms = 1};

    snprintf(info.etag, sizeof(info.etag), "e%llu", (unsigned long long)clock);
    return gw_dcache_put(dc, cn_slice_str(key), &info, CN_SLICE(""), cn_slice_str(body),
                         gw_dcache_ticket(dc));
}

static int exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

Test(dcache_reap, invalidated_file_goes_later_and_never_a_newer_one, .timeout = 20)
{
    gw_dcache_t *dc = reap_open();
    gw_dcache_obj_t *o = NULL;
    char path[PATH_MAX], k[32];
    int i;

    cr_assert_eq(fill(dc, "b/k", "v1", 1), 0);
    gw_dcache_path(dc, CN_SLICE("b/k"), path, sizeof(path));
    cr_assert_eq(gw_dcache_invalidate(dc, CN_SLICE("b/k")), 1);
    cr_assert_eq(gw_dcache_get(dc, CN_SLICE("b/k"), &o), CN_ENOENT, "never served again");
    for (i = 0; i < 500 && exists(path); i++)
        usleep(10000);
    cr_assert(!exists(path), "the reaper unlinks the invalidated file");

    /* invalidate + refill at once, many times: the new file always stays */
    for (i = 0; i < 300; i++) {
        snprintf(k, sizeof(k), "b/r%d", i % 7);
        cr_assert_eq(fill(dc, k, "old", 2 * (uint64_t)i + 10), 0);
        gw_dcache_invalidate(dc, cn_slice_str(k));
        cr_assert_eq(fill(dc, k, "new", 2 * (uint64_t)i + 11), 0);
    }
    usleep(100000);
    for (i = 0; i < 7; i++) {
        snprintf(k, sizeof(k), "b/r%d", i);
        gw_dcache_path(dc, cn_slice_str(k), path, sizeof(path));
        cr_assert(exists(path), "a refilled key's file was deleted by a late unlink");
        cr_assert_eq(gw_dcache_get(dc, cn_slice_str(k), &o), 0);
        cr_assert_eq(o->body.len, 3);
        cr_assert_arr_eq(o->body.ptr, "new", 3);
        gw_dcache_obj_free(o);
    }

    /* clear, then close at once: every file is gone when close returns */
    gw_dcache_clear(dc);
    gw_dcache_close(dc);
    cr_assert(!exists(path), "close unlinks what still waits");
    dc = reap_open();
    gw_cache_stats_t st;
    gw_dcache_stats(dc, &st);
    cr_assert_eq(st.entries, 0, "nothing invalidated comes back after a restart");
    gw_dcache_close(dc);
}
