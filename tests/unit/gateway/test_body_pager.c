/* tests/unit/gateway/test_body_pager.c: tests gateway/http/body_pager.c on real h2o socket buffers:
 * a body over the threshold lands in a temp file in tmp_dir, hashing and releasing it drops
 * its pages from the process (smaps_rollup Rss) without changing a byte, and release never
 * touches memory that is not an h2o body mapping. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <h2o.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "gateway/http/body_pager.h"
#include "tests/harness/tmpdir.h"

#define BODY_MIB 96

static char dir[512];
static uv_loop_t loop;
static gw_body_pager_t pager;

static void setup(void)
{
    t_tmpdir_make(dir, sizeof(dir));
    uv_loop_init(&loop);
    cr_assert_eq(gw_body_pager_start(&pager, &loop, dir), 0);
}

static void teardown(void)
{
    gw_body_pager_stop(&pager);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
    t_tmpdir_remove(dir);
}

/* the process's resident KiB, walking the page tables (exact, unlike VmRSS) */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    long v = -1;
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "Rss: %ld kB", &v) == 1)
            break;
    fclose(f);
    return v;
}

/* an h2o socket buffer holding n pseudo-random bytes, grown the way a body arrives */
static h2o_buffer_t *body_buffer(size_t n)
{
    h2o_buffer_t *b;
    uint32_t x = 12345;
    h2o_buffer_init(&b, &h2o_socket_buffer_prototype);
    while (b->size < n) {
        h2o_iovec_t v = h2o_buffer_reserve(&b, 65536);
        size_t k = n - b->size < 65536 ? n - b->size : 65536;
        cr_assert_not_null(v.base);
        for (size_t i = 0; i < k; i++) {
            x = x * 1103515245u + 12345u;
            v.base[i] = (char)(x >> 16);
        }
        b->size += k;
    }
    return b;
}

TestSuite(body_pager, .init = setup, .fini = teardown);

Test(body_pager, big_body_is_a_file_in_tmp_dir_and_hashing_leaves_it_not_resident, .timeout = 30)
{
    size_t n = (size_t)BODY_MIB << 20;
    h2o_buffer_t *b = body_buffer(n);
    uint8_t want[CN_MD5_LEN], got[CN_MD5_LEN], sha_want[CN_SHA256_LEN], sha_got[CN_SHA256_LEN];
    long full, after;

    cr_assert_eq(b->_fd >= 0, 1, "a %d MiB body is in a temp file", BODY_MIB);
    cn_md5(b->bytes, b->size, want);
    cn_sha256(b->bytes, b->size, sha_want);
    full = rss_kib();
    gw_body_md5(b->bytes, b->size, got);
    after = rss_kib();
    cr_assert_arr_eq(got, want, sizeof(want));
    cr_assert_lt(after, full - (BODY_MIB - 40) * 1024L, "rss %ld KiB after hashing, %ld before", after,
                 full);
    gw_body_sha256(b->bytes, b->size, sha_got);
    cr_assert_arr_eq(sha_got, sha_want, sizeof(sha_want));
    /* the bytes are all still there */
    cn_md5(b->bytes, b->size, got);
    cr_assert_arr_eq(got, want, sizeof(want));
    /* the timer's trim drops them again */
    cr_assert_geq(gw_body_pager_trim(), n);
    cr_assert_lt(rss_kib(), full - (BODY_MIB - 40) * 1024L);
    gw_body_pager_release(b->bytes + (8 << 20), 16 << 20);
    cn_md5(b->bytes, b->size, got);
    cr_assert_arr_eq(got, want, sizeof(want));
    h2o_buffer_dispose(&b);
}

Test(body_pager, temp_files_are_named_and_unlinked, .timeout = 30)
{
    h2o_buffer_t *b = body_buffer((size_t)8 << 20);
    char path[64];
    char target[1024];
    ssize_t len;

    cr_assert_eq(b->_fd >= 0, 1);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", b->_fd);
    len = readlink(path, target, sizeof(target) - 1);
    cr_assert_gt(len, 0);
    target[len] = '\0';
    cr_assert_eq(strncmp(target, dir, strlen(dir)), 0, "%s is not in %s", target, dir);
    cr_assert_not_null(strstr(target, "/" GW_BODY_FILE_PREFIX));
    cr_assert_not_null(strstr(target, "(deleted)"));
    h2o_buffer_dispose(&b);
}

Test(body_pager, release_never_touches_other_memory, .timeout = 30)
{
    size_t n = (size_t)4 << 20;
    char *p = malloc(n);
    uint8_t want[CN_MD5_LEN], got[CN_MD5_LEN];

    cr_assert_not_null(p);
    memset(p, 0x5a, n);
    cn_md5(p, n, want);
    gw_body_pager_release(p, n);
    gw_body_md5(p, n, got);
    cr_assert_arr_eq(got, want, sizeof(want));
    cn_md5(p, n, got);
    cr_assert_arr_eq(got, want, sizeof(want), "a malloc'd buffer was changed");
    free(p);
}

Test(body_pager, a_small_body_stays_in_memory, .timeout = 10)
{
    h2o_buffer_t *b = body_buffer(100000);
    cr_assert_eq(b->_fd, -1);
    h2o_buffer_dispose(&b);
}
