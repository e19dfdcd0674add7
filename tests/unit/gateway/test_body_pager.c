/* tests/unit/gateway/test_body_pager.c: tests gateway/http/body_pager.c on real h2o socket buffers:
 * a body over the threshold lands in a temp file in tmp_dir, hashing and releasing it drops
 * its pages from the process (smaps_rollup Rss) without changing a byte, and release never
 * touches memory that is not an h2o body mapping. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
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
    cr_assert_eq(gw_body_pager_start(&pager, &loop, dir, 0), 0);
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
    cr_assert_geq(gw_body_pager_trim(0), n);
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

/* gw_body_hashes (issue 19): one pass gives what the one-shot functions give, the chunk MD5s
 * included, for chunk sizes that do and do not divide the step, on a mapped body (released as
 * it goes) and on a malloc'd one; and from another thread, as the gateway's thread pool runs it. */
struct hashes_arg {
    const char *p;
    size_t n;
    size_t chunk;
    uint8_t (*md5s)[CN_MD5_LEN];
    cn_hashes_t out;
};

static void *hashes_thread(void *a)
{
    struct hashes_arg *h = a;
    gw_body_hashes(h->p, h->n, CN_HASH_MD5 | CN_HASH_SHA256 | CN_HASH_CRC32C, h->chunk, h->md5s,
                   &h->out);
    return NULL;
}

static void check_hashes(const char *p, size_t n, size_t chunk, int threaded)
{
    size_t nchunks = (n + chunk - 1) / chunk;
    uint8_t(*md5s)[CN_MD5_LEN] = calloc(nchunks ? nchunks : 1, CN_MD5_LEN);
    uint8_t md5[CN_MD5_LEN], sha[CN_SHA256_LEN];
    struct hashes_arg a = {p, n, chunk, md5s, {0}};

    cn_md5(p, n, md5);
    cn_sha256(p, n, sha);
    if (threaded) {
        pthread_t t;
        cr_assert_eq(pthread_create(&t, NULL, hashes_thread, &a), 0);
        pthread_join(t, NULL);
    } else {
        hashes_thread(&a);
    }
    cr_assert_eq(a.out.have, CN_HASH_MD5 | CN_HASH_SHA256 | CN_HASH_CRC32C);
    cr_assert_arr_eq(a.out.md5, md5, sizeof(md5), "n=%zu chunk=%zu", n, chunk);
    cr_assert_arr_eq(a.out.sha256, sha, sizeof(sha), "n=%zu chunk=%zu", n, chunk);
    cr_assert_eq(a.out.crc32c, cn_crc32c(0, p, n));
    for (size_t i = 0; n > chunk && i < nchunks; i++) {
        uint8_t want[CN_MD5_LEN];
        size_t len = n - i * chunk < chunk ? n - i * chunk : chunk;
        cn_md5(p + i * chunk, len, want);
        cr_assert_arr_eq(md5s[i], want, CN_MD5_LEN, "n=%zu chunk=%zu i=%zu", n, chunk, i);
    }
    free(md5s);
}

Test(body_pager, body_hashes_one_pass_with_chunk_md5s, .timeout = 60)
{
    size_t n = (size_t)40 << 20;
    h2o_buffer_t *b = body_buffer(n);
    char *m = malloc((size_t)11 << 20);
    static const size_t chunks[] = {5u << 20, 65536, 3000001, 1u << 20, 64u << 20};

    cr_assert_eq(b->_fd >= 0, 1);
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++)
        check_hashes(b->bytes, b->size, chunks[i], i == 0);
    memcpy(m, b->bytes, (size_t)11 << 20);
    check_hashes(m, (size_t)11 << 20, 5u << 20, 1);
    check_hashes(m, (5u << 20), 5u << 20, 0);     /* one chunk: none computed */
    check_hashes(m, (5u << 20) + 1, 5u << 20, 0); /* a last chunk of 1 byte */
    check_hashes(m, 0, 5u << 20, 0);
    free(m);
    h2o_buffer_dispose(&b);
}
