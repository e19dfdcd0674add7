/* tests/unit/gateway/test_mcache.c: tests gateway/cache/mcache.c (sharded refcounted LRU). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "gateway/cache/mcache.h"

static gw_cache_info_t info_of(const char *etag, uint64_t clock, size_t size)
{
    gw_cache_info_t i;
    memset(&i, 0, sizeof(i));
    snprintf(i.etag, sizeof(i.etag), "%s", etag);
    i.clock = clock;
    i.mtime_ms = 1700000000000ull;
    i.size = size;
    return i;
}

static gw_mcache_t *mk(uint64_t cap, uint64_t maxobj, unsigned shards)
{
    gw_mcache_t *mc;
    gw_mcache_opts_t o = {.capacity_bytes = cap, .max_object_bytes = maxobj, .nshards = shards};
    cr_assert_eq(gw_mcache_create(&o, &mc), 0);
    return mc;
}

static int put_str(gw_mcache_t *mc, const char *k, const char *body, uint64_t clock)
{
    gw_cache_info_t i = info_of("e1", clock, strlen(body));
    cn_slice_t key = cn_slice_str(k);
    return gw_mcache_put(mc, key, &i, CN_SLICE("meta"), cn_slice_str(body),
                         gw_mcache_ticket(mc, key));
}

Test(mcache, put_then_get_returns_same_bytes_and_info, .timeout = 5)
{
    gw_mcache_t *mc = mk(1 << 20, 1 << 16, 4);
    cr_assert_eq(put_str(mc, "b/k", "hello", 7), 0);
    gw_mcache_ent_t *e = gw_mcache_get(mc, CN_SLICE("b/k"));
    cr_assert_not_null(e);
    cr_assert_eq(e->body.len, 5);
    cr_assert_arr_eq(e->body.ptr, "hello", 5);
    cr_assert_arr_eq(e->meta.ptr, "meta", 4);
    cr_assert_str_eq(e->info.etag, "e1");
    cr_assert_eq(e->info.clock, 7);
    gw_mcache_unref(e);
    cr_assert_null(gw_mcache_get(mc, CN_SLICE("b/other")));
    gw_cache_stats_t st;
    gw_mcache_stats(mc, &st);
    cr_assert_eq(st.hits, 1);
    cr_assert_eq(st.misses, 1);
    cr_assert_eq(st.entries, 1);
    gw_mcache_destroy(mc);
}

Test(mcache, too_big_object_is_refused, .timeout = 5)
{
    gw_mcache_t *mc = mk(1 << 20, 4, 1);
    cr_assert_eq(put_str(mc, "b/k", "hello", 1), CN_E2BIG);
    cr_assert_null(gw_mcache_get(mc, CN_SLICE("b/k")));
    gw_mcache_destroy(mc);
}

Test(mcache, entry_stays_valid_after_invalidate_until_unref, .timeout = 5)
{
    gw_mcache_t *mc = mk(1 << 20, 1 << 16, 2);
    cr_assert_eq(put_str(mc, "b/k", "hello", 1), 0);
    gw_mcache_ent_t *e = gw_mcache_get(mc, CN_SLICE("b/k"));
    cr_assert_eq(gw_mcache_invalidate(mc, CN_SLICE("b/k")), 1);
    cr_assert_null(gw_mcache_get(mc, CN_SLICE("b/k")));
    cr_assert_arr_eq(e->body.ptr, "hello", 5); /* still ours */
    gw_mcache_unref(e);
    cr_assert_eq(gw_mcache_invalidate(mc, CN_SLICE("b/k")), 0);
    gw_mcache_destroy(mc);
}

Test(mcache, fill_after_invalidation_is_refused, .timeout = 5)
{
    gw_mcache_t *mc = mk(1 << 20, 1 << 16, 1);
    cn_slice_t key = CN_SLICE("b/k");
    gw_cache_info_t i = info_of("old", 1, 3);
    uint64_t t = gw_mcache_ticket(mc, key); /* the filler starts its storage read */
    gw_mcache_invalidate(mc, key);          /* a PUT lands meanwhile */
    cr_assert_eq(gw_mcache_put(mc, key, &i, CN_SLICE(""), CN_SLICE("old"), t), CN_ESTALE);
    cr_assert_null(gw_mcache_get(mc, key));
    gw_mcache_destroy(mc);
}

Test(mcache, older_clock_never_replaces_newer, .timeout = 5)
{
    gw_mcache_t *mc = mk(1 << 20, 1 << 16, 1);
    cr_assert_eq(put_str(mc, "b/k", "new", 10), 0);
    cr_assert_eq(put_str(mc, "b/k", "old", 5), CN_ESTALE);
    cr_assert_eq(put_str(mc, "b/k", "newer", 11), 0);
    gw_mcache_ent_t *e = gw_mcache_get(mc, CN_SLICE("b/k"));
    cr_assert_arr_eq(e->body.ptr, "newer", 5);
    gw_mcache_unref(e);
    gw_cache_stats_t st;
    gw_mcache_stats(mc, &st);
    cr_assert_eq(st.entries, 1);
    gw_mcache_destroy(mc);
}

Test(mcache, eviction_respects_capacity_and_lru_order, .timeout = 10)
{
    char body[1000], k[32];
    memset(body, 'x', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    gw_mcache_t *mc = mk(20000, 4096, 1); /* about 15 entries of 1 KB */
    for (int i = 0; i < 10; i++) {
        snprintf(k, sizeof(k), "b/k%d", i);
        cr_assert_eq(put_str(mc, k, body, 1), 0);
    }
    /* touch k0 so that it is the most recently used */
    gw_mcache_unref(gw_mcache_get(mc, CN_SLICE("b/k0")));
    for (int i = 10; i < 100; i++) {
        snprintf(k, sizeof(k), "b/k%d", i);
        cr_assert_eq(put_str(mc, k, body, 1), 0);
        if (i < 15) /* keep k0 hot */
            gw_mcache_unref(gw_mcache_get(mc, CN_SLICE("b/k0")));
    }
    gw_cache_stats_t st;
    gw_mcache_stats(mc, &st);
    cr_assert_leq(st.bytes, 20000);
    cr_assert_gt(st.evictions, 80);
    cr_assert_eq(st.entries + st.evictions, 100);
    cr_assert_null(gw_mcache_get(mc, CN_SLICE("b/k1"))); /* oldest went first */
    gw_mcache_ent_t *e = gw_mcache_get(mc, CN_SLICE("b/k99"));
    cr_assert_not_null(e);
    gw_mcache_unref(e);
    gw_mcache_destroy(mc);
}

Test(mcache, clear_drops_everything, .timeout = 5)
{
    gw_mcache_t *mc = mk(1 << 20, 1 << 16, 8);
    char k[32];
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof(k), "b/%d", i);
        cr_assert_eq(put_str(mc, k, "v", 1), 0);
    }
    gw_mcache_clear(mc);
    gw_cache_stats_t st;
    gw_mcache_stats(mc, &st);
    cr_assert_eq(st.entries, 0);
    cr_assert_eq(st.bytes, 0);
    gw_mcache_destroy(mc);
}

/* Several threads put, get and invalidate overlapping keys; every body read must be
 * consistent with its own etag (no torn or freed entry), and the byte budget holds. */
static gw_mcache_t *shared;
static void *hammer(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char k[32], body[300];
    for (int i = 0; i < 20000; i++) {
        int n = (int)(rand_r(&seed) % 64), op = (int)(rand_r(&seed) % 10);
        snprintf(k, sizeof(k), "b/%d", n);
        cn_slice_t key = cn_slice_str(k);
        if (op < 6) {
            gw_mcache_ent_t *e = gw_mcache_get(shared, key);
            if (e) {
                char want = e->info.etag[0];
                for (size_t j = 0; j < e->body.len; j++)
                    if (e->body.ptr[j] != want)
                        return (void *)1;
                gw_mcache_unref(e);
            }
        } else if (op < 9) {
            char c = (char)('a' + rand_r(&seed) % 26);
            size_t len = 1 + rand_r(&seed) % (sizeof(body) - 1);
            memset(body, c, len);
            gw_cache_info_t inf = info_of((char[]){c, 0}, (uint64_t)i, len);
            gw_mcache_put(shared, key, &inf, CN_SLICE(""), cn_slice(body, len),
                          gw_mcache_ticket(shared, key));
        } else {
            gw_mcache_invalidate(shared, key);
        }
    }
    return NULL;
}

Test(mcache, concurrent_use_is_consistent, .timeout = 30)
{
    pthread_t th[4];
    void *ret;
    shared = mk(8000, 1024, 4);
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], &ret);
        cr_assert_null(ret, "a reader saw a body that does not match its entry");
    }
    gw_cache_stats_t st;
    gw_mcache_stats(shared, &st);
    cr_assert_leq(st.bytes, 8000);
    gw_mcache_destroy(shared);
}
