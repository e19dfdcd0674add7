/* tests/unit/common/test_range_hash.c: tests common/range_hash.c: known answers of the
 * position, the digest and the sum (computed apart with Python's hashlib, as in the comments);
 * identical sets give equal summaries whatever the order and however they are split among
 * "nodes" (also through the wire form); a single different version (another clock, missing,
 * a tombstone, a delete marker) is found in exactly its own child at every depth down to 64,
 * with several fan-outs; tombstones and delete markers differ from live versions, other flags
 * do not count; a version counted twice differs from once; a large set (200,000 versions)
 * spreads evenly and its one difference is found; bounds; hostile wire bytes never crash and
 * change nothing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/proto.h"
#include "common/range_hash.h"

#define ROOT ((cn_rh_range_t){0, 0})

typedef struct ver {
    char key[80];
    size_t len;
    uint64_t clock;
    uint32_t flags;
} ver_t;

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void) /* splitmix64: the same sequence every run */
{
    uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* n versions: objects "bucket/obj-I", every fourth one also a version key "...\0ID", every
 * tenth one a tombstone; clocks distinct. */
static ver_t *make_set(size_t n)
{
    ver_t *v = calloc(n, sizeof(*v));

    cr_assert_not_null(v);
    for (size_t i = 0; i < n; i++) {
        if (i % 4 == 3) {
            int k = snprintf(v[i].key, sizeof(v[i].key), "bucket/obj-%zu", i - 1);

            v[i].len = (size_t)k + 1 +
                       (size_t)snprintf(v[i].key + k + 1, sizeof(v[i].key) - (size_t)k - 1,
                                        "%016llx%08x", (unsigned long long)~(i * 7), (unsigned)i);
        } else {
            v[i].len = (size_t)snprintf(v[i].key, sizeof(v[i].key), "bucket/obj-%zu", i);
        }
        v[i].clock = 1700000000000000000ull + i * 1000;
        v[i].flags = i % 10 == 9 ? CN_OBJ_TOMBSTONE : 0;
    }
    return v;
}

static void summarize(cn_rh_summary_t *s, cn_rh_range_t r, uint32_t bits, const ver_t *v, size_t n)
{
    cr_assert_eq(cn_rh_summary_init(s, r, bits), 0);
    for (size_t i = 0; i < n; i++)
        cr_assert_geq(cn_rh_summary_add(s, v[i].key, v[i].len, v[i].clock, v[i].flags), 0);
}

static void shuffle(ver_t *v, size_t n)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(rnd() % (i + 1));
        ver_t t = v[i];

        v[i] = v[j];
        v[j] = t;
    }
}

static uint64_t pos_of(const ver_t *v)
{
    uint8_t kh[CN_RH_SUM_LEN];

    return cn_rh_key_hash(v->key, v->len, kh);
}

static void hex_of(const uint8_t *p, size_t n, char *out)
{
    cn_hex(p, n, out);
}

Test(range_hash, known_answers, .timeout = 5)
{
    /* hashlib.sha256(b"b/k").digest()[:8].hex() */
    uint8_t kh[CN_RH_SUM_LEN], d[CN_RH_SUM_LEN], d2[CN_RH_SUM_LEN], sb[CN_RH_SUM_LEN];
    char hex[2 * CN_RH_SUM_LEN + 1];
    cn_rh_sum_t s = {0};
    const char vkey[] = "bucket/key\0ffffffffffffff0012345678";

    cr_assert_eq(cn_rh_key_hash("b/k", 3, kh), 0x710800c9e207017dull);
    /* sha256(b"cairn-rh1" + sha256(key) + struct.pack("<Q", clock) + bytes([kind])) */
    cn_rh_digest(kh, 1, 0, d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "71c38a3960f63001bab9ec230f4d08caf6f7c7f7fec7be82d17f7c03e9c0718d");
    cn_rh_digest(kh, 1, CN_OBJ_TOMBSTONE, d2);
    hex_of(d2, sizeof(d2), hex);
    cr_assert_str_eq(hex, "61e8a3e7fe25d0d8ece82c6041e08afb122aac2cbab20d3b5d642604afccaf87");
    /* the sum of the two as 256-bit little-endian integers, modulo 2^256 */
    cn_rh_sum_add_digest(&s, d);
    cn_rh_sum_add_digest(&s, d2);
    cr_assert_eq(s.count, 2);
    cn_rh_sum_bytes(&s, sb);
    hex_of(sb, sizeof(sb), hex);
    cr_assert_str_eq(hex, "d2ab2e215f1c01daa6a21984502d93c509227424b97accbd2ee4a207988d2115");
    /* a version key with its NUL, and a delete marker (kind 2) */
    cr_assert_eq(cn_rh_key_hash(vkey, sizeof(vkey) - 1, kh), 0x54286f273fb97211ull);
    cn_rh_digest(kh, 0x123456789abcdef0ull, CN_OBJ_DELETE_MARKER, d);
    hex_of(d, sizeof(d), hex);
    cr_assert_str_eq(hex, "be4336b91d5b9c588d6242de80fecf213abb5e56b3bb5017cbe646f0139977a5");
}

Test(range_hash, sum_carries_across_words_and_wraps, .timeout = 5)
{
    uint8_t ones[CN_RH_SUM_LEN], one[CN_RH_SUM_LEN] = {1};
    cn_rh_sum_t s = {0}, zero = {0};

    memset(ones, 0xff, sizeof(ones));
    cn_rh_sum_add_digest(&s, ones); /* 2^256 - 1 */
    cn_rh_sum_add_digest(&s, one);  /* + 1 = 0 modulo 2^256 */
    cr_assert_eq(s.w[0] | s.w[1] | s.w[2] | s.w[3], 0);
    cr_assert_eq(s.count, 2);
    cr_assert_not(cn_rh_sum_eq(&s, &zero), "the count differs");
    zero.count = 2;
    cr_assert(cn_rh_sum_eq(&s, &zero));
    memset(&s, 0, sizeof(s));
    s.w[0] = UINT64_MAX;
    cn_rh_sum_add_digest(&s, one); /* a carry into the second word only */
    cr_assert_eq(s.w[0], 0);
    cr_assert_eq(s.w[1], 1);
}

Test(range_hash, identical_sets_are_equal_in_any_order, .timeout = 30)
{
    const size_t n = 5000;
    ver_t *a = make_set(n), *b = make_set(n);
    static const uint32_t bits[] = {0, 1, 8, 16};

    shuffle(b, n);
    for (size_t k = 0; k < sizeof(bits) / sizeof(bits[0]); k++) {
        cn_rh_summary_t sa, sb;
        cn_rh_sum_t ta, tb;
        size_t nd;

        summarize(&sa, ROOT, bits[k], a, n);
        summarize(&sb, ROOT, bits[k], b, n);
        cr_assert_eq(cn_rh_summary_diff(&sa, &sb, NULL, 0, &nd), 0);
        cr_assert_eq(nd, 0, "bits %u: %zu children differ", bits[k], nd);
        cn_rh_summary_total(&sa, &ta);
        cn_rh_summary_total(&sb, &tb);
        cr_assert(cn_rh_sum_eq(&ta, &tb));
        cr_assert_eq(ta.count, n);
        cn_rh_summary_dispose(&sa);
        cn_rh_summary_dispose(&sb);
    }
    free(a);
    free(b);
}

/* A cluster's answer is the sum of its nodes' answers: split the set among 3 "nodes" at
 * random, summarize each, and add them up, directly and through the wire form. */
Test(range_hash, split_among_nodes_and_added_equals_whole, .timeout = 30)
{
    const size_t n = 6000;
    ver_t *v = make_set(n);
    cn_rh_summary_t whole, node[3], sum, wire;
    cn_rh_range_t r = {3, 5}; /* a subtree, not only the root */
    size_t nd;
    cn_buf_t b;

    summarize(&whole, r, 10, v, n);
    for (int k = 0; k < 3; k++)
        cr_assert_eq(cn_rh_summary_init(&node[k], r, 10), 0);
    shuffle(v, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_geq(
            cn_rh_summary_add(&node[rnd() % 3], v[i].key, v[i].len, v[i].clock, v[i].flags), 0);
    cr_assert_eq(cn_rh_summary_init(&sum, r, 10), 0);
    cr_assert_eq(cn_rh_summary_init(&wire, r, 10), 0);
    cn_buf_init(&b);
    for (int k = 2; k >= 0; k--) { /* in another order than they were made */
        cr_assert_eq(cn_rh_summary_merge(&sum, &node[k]), 0);
        cn_buf_reset(&b);
        cn_rh_summary_encode(&node[k], &b);
        cr_assert_eq(b.len % CN_RH_CHILD_LEN, 0);
        cr_assert_eq(cn_rh_summary_decode_add(&wire, b.data, b.len), 0);
    }
    cr_assert_eq(cn_rh_summary_diff(&whole, &sum, NULL, 0, &nd), 0);
    cr_assert_eq(nd, 0);
    cr_assert_eq(cn_rh_summary_diff(&whole, &wire, NULL, 0, &nd), 0);
    cr_assert_eq(nd, 0);
    /* about 1/8 of the versions are in range (3, 5) */
    {
        cn_rh_sum_t t;

        cn_rh_summary_total(&whole, &t);
        cr_assert(t.count > n / 8 / 2 && t.count < n / 8 * 2, "count %llu",
                  (unsigned long long)t.count);
    }
    cn_buf_dispose(&b);
    for (int k = 0; k < 3; k++)
        cn_rh_summary_dispose(&node[k]);
    cn_rh_summary_dispose(&whole);
    cn_rh_summary_dispose(&sum);
    cn_rh_summary_dispose(&wire);
    free(v);
}

/* Walks down from the root with fan-out 2^bits, comparing side a and side b at each level;
 * exactly one child must differ, the one holding the changed key's position, down to
 * depth 64. */
static void descend(const ver_t *a, size_t na, const ver_t *b, size_t nb, uint64_t pos,
                    uint32_t bits)
{
    cn_rh_range_t r = ROOT;

    while (r.depth < CN_RH_MAX_DEPTH) {
        uint32_t bb = r.depth + bits > CN_RH_MAX_DEPTH ? CN_RH_MAX_DEPTH - r.depth : bits;
        cn_rh_summary_t sa, sb;
        uint32_t which[4];
        size_t nd;

        summarize(&sa, r, bb, a, na);
        summarize(&sb, r, bb, b, nb);
        cr_assert_eq(cn_rh_summary_diff(&sa, &sb, which, 4, &nd), 0);
        cr_assert_eq(nd, 1, "depth %u bits %u: %zu children differ", r.depth, bb, nd);
        cr_assert_eq(which[0], cn_rh_child_of(r, bb, pos), "depth %u: child %u, not the key's",
                     r.depth, which[0]);
        r = cn_rh_range_child(r, bb, which[0]);
        cr_assert(cn_rh_range_has(r, pos));
        cn_rh_summary_dispose(&sa);
        cn_rh_summary_dispose(&sb);
    }
    cr_assert_eq(r.value, pos);
}

Test(range_hash, one_different_version_is_found_at_every_depth, .timeout = 120)
{
    const size_t n = 2000;
    ver_t *a = make_set(n), *b = make_set(n);
    static const uint32_t bits[] = {1, 4, 7, 16};
    const size_t x = 1234; /* the version that differs */
    uint64_t pos = pos_of(&a[x]);

    /* another clock */
    b[x].clock++;
    for (size_t k = 0; k < sizeof(bits) / sizeof(bits[0]); k++)
        descend(a, n, b, n, pos, bits[k]);
    /* a tombstone of the same clock (b[x] was live: 1234 % 10 != 9) */
    b[x].clock = a[x].clock;
    b[x].flags = CN_OBJ_TOMBSTONE;
    descend(a, n, b, n, pos, 4);
    /* a delete marker of the same clock */
    b[x].flags = CN_OBJ_DELETE_MARKER;
    descend(a, n, b, n, pos, 8);
    /* missing on b: b is a without x */
    b[x] = b[n - 1];
    descend(a, n, b, n - 1, pos, 16);
    descend(b, n - 1, a, n, pos, 3);
    /* a version key ("\0ID") differs, not its object's own key */
    free(b);
    b = make_set(n);
    b[3].clock += 7;
    descend(a, n, b, n, pos_of(&a[3]), 16);
    free(a);
    free(b);
}

Test(range_hash, tombstones_and_markers_differ_other_flags_do_not, .timeout = 5)
{
    uint8_t kh[CN_RH_SUM_LEN], live[CN_RH_SUM_LEN], d[CN_RH_SUM_LEN];

    cn_rh_key_hash("b/k", 3, kh);
    cn_rh_digest(kh, 42, 0, live);
    cn_rh_digest(kh, 42, CN_OBJ_TOMBSTONE, d);
    cr_assert_neq(memcmp(live, d, sizeof(d)), 0, "a tombstone is not the live version");
    cn_rh_digest(kh, 42, CN_OBJ_DELETE_MARKER, d);
    cr_assert_neq(memcmp(live, d, sizeof(d)), 0, "a delete marker is not an object");
    cn_rh_digest(kh, 43, 0, d);
    cr_assert_neq(memcmp(live, d, sizeof(d)), 0, "another clock is another write");
    /* stored chunked or whole: the same write */
    cn_rh_digest(kh, 42, CN_OBJ_MANIFEST | 0x8u, d); /* 0x8: a flag not defined yet */
    cr_assert_eq(memcmp(live, d, sizeof(d)), 0);
    cn_rh_digest(kh, 42, 0x10000u, d); /* the index's "marked bad" bit */
    cr_assert_eq(memcmp(live, d, sizeof(d)), 0);
}

Test(range_hash, a_version_counted_twice_is_not_once, .timeout = 5)
{
    cn_rh_summary_t once, twice, none;
    size_t nd;

    cr_assert_eq(cn_rh_summary_init(&once, ROOT, 0), 0);
    cr_assert_eq(cn_rh_summary_init(&twice, ROOT, 0), 0);
    cr_assert_eq(cn_rh_summary_init(&none, ROOT, 0), 0);
    cr_assert_eq(cn_rh_summary_add(&once, "b/k", 3, 9, 0), 1);
    cr_assert_eq(cn_rh_summary_add(&twice, "b/k", 3, 9, 0), 1);
    cr_assert_eq(cn_rh_summary_add(&twice, "b/k", 3, 9, 0), 1);
    cr_assert_eq(cn_rh_summary_diff(&once, &twice, NULL, 0, &nd), 0);
    cr_assert_eq(nd, 1);
    cr_assert_eq(cn_rh_summary_diff(&none, &twice, NULL, 0, &nd), 0);
    cr_assert_eq(nd, 1, "a pair must not cancel out (XOR would)");
    cn_rh_summary_dispose(&once);
    cn_rh_summary_dispose(&twice);
    cn_rh_summary_dispose(&none);
}

Test(range_hash, large_set_spreads_evenly_and_one_difference_is_found, .timeout = 240)
{
    const size_t n = 200000;
    ver_t *a = make_set(n);
    cn_rh_summary_t sa, sb, s8;
    struct timespec t0, t1;
    uint32_t which[2];
    size_t nd, lo = SIZE_MAX, hi = 0;
    double secs;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    summarize(&sa, ROOT, 16, a, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "range_hash: %zu versions summarized in %.3f s (%.2f us each)\n", n, secs,
            secs * 1e6 / (double)n);
    /* the same set less one version, summarized in another order */
    a[77777] = a[n - 1];
    shuffle(a, n - 1);
    summarize(&sb, ROOT, 16, a, n - 1);
    cr_assert_eq(cn_rh_summary_diff(&sa, &sb, which, 2, &nd), 0);
    cr_assert_eq(nd, 1);
    /* 256 children of 200,000: about 781 each; a hash spreads them within a few percent */
    summarize(&s8, ROOT, 8, a, n - 1);
    for (size_t i = 0; i < s8.n; i++) {
        lo = s8.child[i].count < lo ? s8.child[i].count : lo;
        hi = s8.child[i].count > hi ? s8.child[i].count : hi;
    }
    fprintf(stderr, "range_hash: 256 children of %zu versions hold %zu..%zu\n", n - 1, lo, hi);
    cr_assert(lo > 781 * 8 / 10 && hi < 781 * 12 / 10, "children hold %zu..%zu", lo, hi);
    cn_rh_summary_dispose(&sa);
    cn_rh_summary_dispose(&sb);
    cn_rh_summary_dispose(&s8);
    free(a);
}

Test(range_hash, keys_sharing_a_long_prefix_spread_too, .timeout = 30)
{
    cn_rh_summary_t s;
    char key[200];

    cr_assert_eq(cn_rh_summary_init(&s, ROOT, 4), 0);
    memset(key, 'x', 150);
    for (int i = 0; i < 16000; i++) {
        int k = snprintf(key + 150, sizeof(key) - 150, "%d", i);

        cr_assert_eq(cn_rh_summary_add(&s, key, 150 + (size_t)k, 1, 0), 1);
    }
    for (size_t i = 0; i < s.n; i++)
        cr_assert(s.child[i].count > 800 && s.child[i].count < 1200);
    cn_rh_summary_dispose(&s);
}

Test(range_hash, ranges_and_children_agree, .timeout = 10)
{
    for (int t = 0; t < 20000; t++) {
        uint64_t pos = rnd();
        uint32_t depth = (uint32_t)(rnd() % 65), bits = (uint32_t)(rnd() % 17);
        cn_rh_range_t r = {depth, depth == 0 ? 0 : pos >> (64 - depth)}, c;

        if (depth + bits > 64)
            bits = 64 - depth;
        cr_assert_eq(cn_rh_range_check(r), 0);
        cr_assert(cn_rh_range_has(r, pos));
        c = cn_rh_range_child(r, bits, cn_rh_child_of(r, bits, pos));
        cr_assert_eq(c.depth, depth + bits);
        cr_assert_eq(cn_rh_range_check(c), 0);
        cr_assert(cn_rh_range_has(c, pos));
        if (depth > 0)
            cr_assert_not(cn_rh_range_has(r, pos ^ (1ull << (64 - depth))));
    }
    cr_assert(cn_rh_range_has((cn_rh_range_t){64, 5}, 5));
    cr_assert_not(cn_rh_range_has((cn_rh_range_t){64, 5}, 4));
}

Test(range_hash, bounds_are_refused, .timeout = 5)
{
    cn_rh_summary_t s;
    char big[CN_RH_KEY_MAX + 1];

    cr_assert_eq(cn_rh_summary_init(&s, ROOT, CN_RH_MAX_BITS + 1), CN_EINVAL);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_summary_init(&s, (cn_rh_range_t){65, 0}, 0), CN_EINVAL);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_summary_init(&s, (cn_rh_range_t){3, 8}, 0), CN_EINVAL);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_summary_init(&s, (cn_rh_range_t){0, 1}, 0), CN_EINVAL);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_summary_init(&s, (cn_rh_range_t){50, 1}, 15), CN_EINVAL);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_summary_init(&s, (cn_rh_range_t){64, UINT64_MAX}, 0), 0);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_summary_init(&s, (cn_rh_range_t){48, 7}, 16), 0);
    cr_assert_eq(s.n, 65536);
    memset(big, 'k', sizeof(big));
    cr_assert_eq(cn_rh_summary_add(&s, big, 0, 1, 0), CN_EINVAL);
    cr_assert_eq(cn_rh_summary_add(&s, big, sizeof(big), 1, 0), CN_EINVAL);
    cr_assert_geq(cn_rh_summary_add(&s, big, CN_RH_KEY_MAX, 1, 0), 0);
    cn_rh_summary_dispose(&s);
    cr_assert_eq(cn_rh_select_len(0), 1);
    cr_assert_eq(cn_rh_select_len(3), 1);
    cr_assert_eq(cn_rh_select_len(4), 2);
    cr_assert_eq(cn_rh_select_len(16), 8192);
}

/* Two summaries of different shapes are never merged or compared. */
Test(range_hash, shapes_must_match, .timeout = 5)
{
    cn_rh_summary_t a, b;
    size_t nd = 99;

    cr_assert_eq(cn_rh_summary_init(&a, ROOT, 4), 0);
    cr_assert_eq(cn_rh_summary_init(&b, ROOT, 5), 0);
    cr_assert_eq(cn_rh_summary_merge(&a, &b), CN_EINVAL);
    cr_assert_eq(cn_rh_summary_diff(&a, &b, NULL, 0, &nd), CN_EINVAL);
    cr_assert_eq(nd, 0);
    cn_rh_summary_dispose(&b);
    cr_assert_eq(cn_rh_summary_init(&b, (cn_rh_range_t){1, 1}, 4), 0);
    cr_assert_eq(cn_rh_summary_merge(&a, &b), CN_EINVAL);
    cn_rh_summary_dispose(&a);
    cn_rh_summary_dispose(&b);
}

static int summary_same(const cn_rh_summary_t *a, const cn_rh_summary_t *b)
{
    size_t nd;

    return cn_rh_summary_diff(a, b, NULL, 0, &nd) == 0 && nd == 0;
}

Test(range_hash, hostile_summary_bytes_change_nothing, .timeout = 60)
{
    const size_t n = 2000;
    ver_t *v = make_set(n);
    cn_rh_summary_t src, dst, before;
    cn_buf_t b;
    uint8_t *bad;

    summarize(&src, ROOT, 6, v, n);
    cn_buf_init(&b);
    cr_assert_eq(cn_rh_summary_encode(&src, &b), 64); /* 2000 versions fill all 64 children */
    cr_assert_eq(b.len, 64 * CN_RH_CHILD_LEN);
    summarize(&dst, ROOT, 6, v, 100);
    summarize(&before, ROOT, 6, v, 100);
    /* every truncation: a whole number of children is a valid shorter answer */
    for (size_t len = 0; len < b.len; len++) {
        cn_rh_summary_t t;
        int rc;

        summarize(&t, ROOT, 6, v, 0);
        rc = cn_rh_summary_decode_add(&t, b.data, len);
        if (len % CN_RH_CHILD_LEN == 0) {
            cr_assert_eq(rc, 0);
        } else {
            cr_assert_eq(rc, CN_ECORRUPT, "len %zu", len);
            cr_assert_eq(t.child[0].count, 0, "a refused answer changed the summary");
        }
        cn_rh_summary_dispose(&t);
    }
    bad = malloc(b.len);
    cr_assert_not_null(bad);
    /* a child past 2^bits, out of order, repeated, or with a count of 0 */
    memcpy(bad, b.data, b.len);
    cn_put_u32le(bad + 10 * CN_RH_CHILD_LEN, 64);
    cr_assert_eq(cn_rh_summary_decode_add(&dst, bad, b.len), CN_ECORRUPT);
    memcpy(bad, b.data, b.len);
    cn_put_u32le(bad + 10 * CN_RH_CHILD_LEN, 3);
    cr_assert_eq(cn_rh_summary_decode_add(&dst, bad, b.len), CN_ECORRUPT);
    memcpy(bad, b.data, b.len);
    cn_put_u32le(bad + 10 * CN_RH_CHILD_LEN, 9);
    cr_assert_eq(cn_rh_summary_decode_add(&dst, bad, b.len), CN_ECORRUPT);
    memcpy(bad, b.data, b.len);
    memset(bad + 63 * CN_RH_CHILD_LEN + 4, 0, 8);
    cr_assert_eq(cn_rh_summary_decode_add(&dst, bad, b.len), CN_ECORRUPT);
    cr_assert(summary_same(&dst, &before), "a refused answer changed the summary");
    /* random bytes: refused or taken, never a crash */
    for (int t = 0; t < 2000; t++) {
        size_t len = (size_t)(rnd() % (b.len + 1));

        for (size_t i = 0; i < len; i++)
            bad[i] = (uint8_t)rnd();
        if (t % 2) { /* mostly valid: flip one byte of the real answer */
            memcpy(bad, b.data, b.len);
            len = b.len;
            bad[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        }
        (void)cn_rh_summary_decode_add(&dst, bad, len);
    }
    cr_assert_eq(cn_rh_summary_decode_add(&dst, NULL, 0), 0);
    free(bad);
    cn_buf_dispose(&b);
    cn_rh_summary_dispose(&src);
    cn_rh_summary_dispose(&dst);
    cn_rh_summary_dispose(&before);
    free(v);
}

Test(range_hash, list_round_trips_and_refuses_bad_bytes, .timeout = 60)
{
    const size_t n = 300;
    ver_t *v = make_set(n);
    cn_buf_t b;
    cn_rh_item_t it;
    size_t off = 0, got = 0;
    uint8_t *bad;
    char big[CN_RH_KEY_MAX + 1], etag[80];
    int rc;

    cn_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        int k = snprintf(etag, sizeof(etag), "%032zx", i * 977);

        cr_assert_eq(cn_rh_list_append(&b, cn_slice(v[i].key, v[i].len), v[i].clock,
                                       v[i].flags | CN_OBJ_MANIFEST, cn_slice(etag, (size_t)k)),
                     0);
    }
    while ((rc = cn_rh_list_next(b.data, b.len, &off, &it)) == 1) {
        snprintf(etag, sizeof(etag), "%032zx", got * 977);
        cr_assert(cn_slice_eq(it.key, cn_slice(v[got].key, v[got].len)));
        cr_assert_eq(it.clock, v[got].clock);
        cr_assert_eq(it.flags, v[got].flags | CN_OBJ_MANIFEST);
        cr_assert_str_eq(it.etag, etag);
        got++;
    }
    cr_assert_eq(rc, 0);
    cr_assert_eq(got, n);
    cr_assert_eq(off, b.len);
    /* limits */
    memset(big, 'k', sizeof(big));
    memset(etag, 'e', sizeof(etag));
    {
        size_t len = b.len;

        cr_assert_eq(cn_rh_list_append(&b, cn_slice(big, 0), 1, 0, cn_slice("", 0)), CN_EINVAL);
        cr_assert_eq(cn_rh_list_append(&b, cn_slice(big, sizeof(big)), 1, 0, cn_slice("", 0)),
                     CN_EINVAL);
        cr_assert_eq(
            cn_rh_list_append(&b, cn_slice("b/k", 3), 1, 0, cn_slice(etag, CN_RH_ETAG_MAX + 1)),
            CN_EINVAL);
        cr_assert_eq(cn_rh_list_append(&b, cn_slice("b/k", 3), 1, 0, cn_slice("a\0b", 3)),
                     CN_EINVAL);
        cr_assert_eq(b.len, len, "a refused version appended bytes");
        cr_assert_eq(cn_rh_list_append(&b, cn_slice(big, CN_RH_KEY_MAX), 1, 0,
                                       cn_slice(etag, CN_RH_ETAG_MAX)),
                     0);
        off = len;
        cr_assert_eq(cn_rh_list_next(b.data, b.len, &off, &it), 1);
        cr_assert_eq(it.key.len, CN_RH_KEY_MAX);
        cr_assert_eq(strlen(it.etag), CN_RH_ETAG_MAX);
    }
    /* every truncation ends in CN_ECORRUPT (or at a version's end), never past the bytes */
    for (size_t len = 0; len < b.len; len += 7) {
        size_t o = 0;
        int r;

        while ((r = cn_rh_list_next(b.data, len, &o, &it)) == 1)
            cr_assert_leq(o, len);
        cr_assert(r == 0 || r == CN_ECORRUPT);
        cr_assert_leq(o, len);
    }
    /* random and flipped bytes */
    bad = malloc(b.len);
    cr_assert_not_null(bad);
    for (int t = 0; t < 3000; t++) {
        size_t len = (size_t)(rnd() % 4096), o = 0;
        int r;

        if (len > b.len)
            len = b.len;
        if (t % 2) {
            memcpy(bad, b.data, len);
            if (len > 0)
                bad[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        } else {
            for (size_t i = 0; i < len; i++)
                bad[i] = (uint8_t)rnd();
        }
        while ((r = cn_rh_list_next(bad, len, &o, &it)) == 1)
            cr_assert_leq(o, len);
        cr_assert(r == 0 || r == CN_ECORRUPT);
    }
    off = 5;
    cr_assert_eq(cn_rh_list_next(b.data, 3, &off, &it), CN_ECORRUPT, "an offset past the end");
    cr_assert_eq(off, 5);
    free(bad);
    cn_buf_dispose(&b);
    free(v);
}

Test(range_hash, selections, .timeout = 5)
{
    uint8_t sel[8192] = {0};

    cn_rh_select_set(sel, 0);
    cn_rh_select_set(sel, 9);
    cn_rh_select_set(sel, 65535);
    cr_assert(cn_rh_select_has(sel, 0));
    cr_assert(cn_rh_select_has(sel, 9));
    cr_assert(cn_rh_select_has(sel, 65535));
    cr_assert_not(cn_rh_select_has(sel, 8));
    cr_assert_not(cn_rh_select_has(sel, 65534));
    cr_assert_eq(sel[1], 0x02);
    cr_assert_eq(sel[8191], 0x80);
}
