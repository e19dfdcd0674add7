/* tests/unit/common/test_ring.c: tests common/ring.c: balance, movement on a membership
 * change, weights, owner rows CN_RING_MAX_OWNERS deep (their order against the formula of
 * docs/RING.md, and the first CN_RING_MAX_REPLICAS of them against rings built before the rows
 * grew from 8 to 16), fragment keys' one owner each (common/ec_key.h), checksums,
 * encode/decode and bad input. Measured numbers are printed to stderr (docs/RING.md quotes
 * them). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/ring.h"

#define NKEYS 1000000

static cn_ring_t *make_ring(int nodes, uint32_t vnodes)
{
    cn_ring_t *r = cn_ring_create();
    char name[32];

    for (int i = 0; i < nodes; i++) {
        snprintf(name, sizeof(name), "storage%d", i);
        cr_assert_eq(cn_ring_add(r, name, "127.0.0.1", (uint16_t)(10100 + i), vnodes), 0);
    }
    cr_assert_eq(cn_ring_build(r), 0);
    return r;
}

static size_t key_of(int i, char *buf, size_t len)
{
    return (size_t)snprintf(buf, len, "bucket/key-%d", i);
}

static int node_index(const cn_ring_t *r, const cn_ring_node_t *n)
{
    for (size_t i = 0; i < cn_ring_node_count(r); i++)
        if (cn_ring_node_at(r, i) == n)
            return (int)i;
    cr_assert_fail("lookup returned a node that is not in the ring");
    return -1;
}

Test(ring, balance_five_nodes, .timeout = 60)
{
    cn_ring_t *r = make_ring(5, 128);
    size_t counts[5] = {0};
    const cn_ring_node_t *out[1];
    char key[64];
    double even = NKEYS / 5.0, worst = 0;

    for (int i = 0; i < NKEYS; i++) {
        size_t len = key_of(i, key, sizeof(key));
        cr_assert_eq(cn_ring_lookup(r, key, len, 1, out), 1);
        counts[node_index(r, out[0])]++;
    }
    for (int i = 0; i < 5; i++) {
        double dev = counts[i] / even - 1.0;
        if (dev < 0)
            dev = -dev;
        if (dev > worst)
            worst = dev;
        cr_assert(dev < 0.10, "node %d holds %zu keys, even share is %.0f", i, counts[i], even);
    }
    fprintf(stderr, "ring balance: 5 nodes x 128, %d keys: worst node off even by %.2f%%\n",
            NKEYS, worst * 100);
    cn_ring_destroy(r);
}

Test(ring, adding_a_node_moves_keys_only_to_it, .timeout = 60)
{
    cn_ring_t *before = make_ring(5, 128), *after = cn_ring_clone(before);
    const cn_ring_node_t *a[3], *b[3];
    char key[64];
    size_t coord_moved = 0, set_changed = 0;

    cr_assert_eq(cn_ring_add(after, "storage5", "127.0.0.1", 10105, 128), 0);
    cr_assert_eq(cn_ring_build(after), 0);
    for (int i = 0; i < NKEYS; i++) {
        size_t len = key_of(i, key, sizeof(key)), j, k;
        cr_assert_eq(cn_ring_lookup(before, key, len, 3, a), 3);
        cr_assert_eq(cn_ring_lookup(after, key, len, 3, b), 3);
        if (strcmp(a[0]->name, b[0]->name) != 0) {
            coord_moved++;
            cr_assert_str_eq(b[0]->name, "storage5", "key %s moved between old nodes", key);
        }
        /* the new set is the old one with storage5 inserted somewhere (or unchanged) */
        for (j = 0, k = 0; j < 3; j++) {
            if (strcmp(b[j]->name, "storage5") == 0)
                continue;
            cr_assert_str_eq(b[j]->name, a[k]->name, "key %s: set changed beyond the new node",
                             key);
            k++;
        }
        if (k != 3)
            set_changed++;
    }
    double moved = (double)coord_moved / NKEYS, changed = (double)set_changed / NKEYS;
    fprintf(stderr, "ring movement 5 -> 6 nodes: coordinator moved for %.2f%% of keys, "
            "N=3 set changed for %.2f%% (ideal 16.67%% and 50%%)\n", moved * 100, changed * 100);
    cr_assert(moved >= 0.13 && moved <= 0.20, "coordinator moved for %.4f of keys", moved);
    cr_assert(changed >= 0.45 && changed <= 0.55, "N=3 set changed for %.4f of keys", changed);
    cn_ring_destroy(before);
    cn_ring_destroy(after);
}

/* Every size answers min(n, nodes, CN_RING_MAX_OWNERS) distinct owners: fewer nodes than asked
 * for, a ring of exactly CN_RING_MAX_OWNERS (each arc lists every node) and one more. */
Test(ring, lookup_returns_distinct_nodes, .timeout = 30)
{
    static const int sizes[] = {1, 2, 3, 5, 10, 16, 17, 40};
    const cn_ring_node_t *out[CN_RING_MAX_OWNERS + 4];
    char key[64];

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        cn_ring_t *r = make_ring(sizes[s], 128);
        for (size_t n = 0; n <= CN_RING_MAX_OWNERS + 2; n++) {
            size_t want = n < (size_t)sizes[s] ? n : (size_t)sizes[s];
            if (want > CN_RING_MAX_OWNERS)
                want = CN_RING_MAX_OWNERS;
            for (int i = 0; i < 2000; i++) {
                size_t len = key_of(i, key, sizeof(key));
                size_t got = cn_ring_lookup(r, key, len, n, out);
                cr_assert_eq(got, want, "nodes=%d n=%zu", sizes[s], n);
                for (size_t x = 0; x < got; x++)
                    for (size_t y = x + 1; y < got; y++)
                        cr_assert_neq(out[x], out[y], "duplicate owner");
            }
        }
        cn_ring_destroy(r);
    }
}

/* A key's versions ("bucket/key\0VERSION") are placed with it: one node lists them all */
Test(ring, versions_live_with_their_object, .timeout = 10)
{
    cn_ring_t *r = make_ring(5, 128);
    const cn_ring_node_t *a[3], *b[3];
    char key[64], ver[96];

    for (int i = 0; i < 500; i++) {
        size_t len = key_of(i, key, sizeof(key));
        memcpy(ver, key, len);
        size_t vlen = len + (size_t)snprintf(ver + len, sizeof(ver) - len, "%c%016x", 0, i * 7919);
        cr_assert_eq(cn_ring_hash_key(key, len), cn_ring_hash_key(ver, vlen));
        cr_assert_eq(cn_ring_lookup(r, key, len, 3, a), 3);
        cr_assert_eq(cn_ring_lookup(r, ver, vlen, 3, b), 3);
        for (int k = 0; k < 3; k++)
            cr_assert_eq(a[k], b[k], "key %d: owner %d differs", i, k);
    }
    /* and a key without a NUL hashes as it always did (old data stays where it is) */
    cr_assert_neq(cn_ring_hash_key("b/k", 3), cn_ring_hash_key("b/k2", 4));
    cn_ring_destroy(r);
}

Test(ring, weight_doubles_share, .timeout = 60)
{
    cn_ring_t *r = cn_ring_create();
    size_t counts[4] = {0};
    const cn_ring_node_t *out[1];
    char key[64];

    cr_assert_eq(cn_ring_add(r, "big", "10.0.0.1", 1, 256), 0);
    cr_assert_eq(cn_ring_add(r, "small1", "10.0.0.2", 1, 128), 0);
    cr_assert_eq(cn_ring_add(r, "small2", "10.0.0.3", 1, 128), 0);
    cr_assert_eq(cn_ring_add(r, "small3", "10.0.0.4", 1, 128), 0);
    cr_assert_eq(cn_ring_build(r), 0);
    for (int i = 0; i < NKEYS; i++) {
        size_t len = key_of(i, key, sizeof(key));
        cr_assert_eq(cn_ring_lookup(r, key, len, 1, out), 1);
        counts[node_index(r, out[0])]++;
    }
    cr_assert_str_eq(cn_ring_node_at(r, 0)->name, "big");
    for (int i = 1; i < 4; i++) {
        double ratio = (double)counts[0] / (double)counts[i];
        fprintf(stderr, "ring weight: 256 vs 128 vnodes -> share ratio %.3f\n", ratio);
        cr_assert(ratio > 1.8 && ratio < 2.2, "ratio %.3f", ratio);
    }
    cn_ring_destroy(r);
}

Test(ring, checksum_depends_on_members_not_order, .timeout = 10)
{
    cn_ring_t *a = cn_ring_create(), *b = cn_ring_create(), *c;
    char hex[17];

    cr_assert_eq(cn_ring_add(a, "n1", "h1", 1, 128), 0);
    cr_assert_eq(cn_ring_add(a, "n2", "h2", 2, 128), 0);
    cr_assert_eq(cn_ring_add(a, "n3", "h3", 3, 64), 0);
    cr_assert_eq(cn_ring_add(b, "n3", "h3", 3, 64), 0);
    cr_assert_eq(cn_ring_add(b, "n1", "h1", 1, 128), 0);
    cr_assert_eq(cn_ring_add(b, "n2", "h2", 2, 128), 0);
    cr_assert_eq(cn_ring_build(a), 0);
    cr_assert_eq(cn_ring_build(b), 0);
    cr_assert_eq(cn_ring_checksum(a), cn_ring_checksum(b));
    cr_assert_neq(cn_ring_checksum(a), 0);
    cn_ring_checksum_hex(cn_ring_checksum(a), hex);
    cr_assert_eq(strlen(hex), 16);

    /* the same table too */
    for (int i = 0; i < 5000; i++) {
        char key[64];
        const cn_ring_node_t *x[3], *y[3];
        size_t len = key_of(i, key, sizeof(key));
        cr_assert_eq(cn_ring_lookup(a, key, len, 3, x), 3);
        cr_assert_eq(cn_ring_lookup(b, key, len, 3, y), 3);
        for (int j = 0; j < 3; j++)
            cr_assert_str_eq(x[j]->name, y[j]->name);
    }

    static const struct { const char *name, *host; uint16_t port; uint32_t vnodes; } change[] = {
        {"n3", "h4", 3, 64},   /* host */
        {"n3", "h3", 4, 64},   /* port */
        {"n3", "h3", 3, 65},   /* weight */
        {"n4", "h3", 3, 64},   /* name */
    };
    for (size_t i = 0; i < sizeof(change) / sizeof(change[0]); i++) {
        c = cn_ring_create();
        cr_assert_eq(cn_ring_add(c, "n1", "h1", 1, 128), 0);
        cr_assert_eq(cn_ring_add(c, "n2", "h2", 2, 128), 0);
        cr_assert_eq(cn_ring_add(c, change[i].name, change[i].host, change[i].port,
                                 change[i].vnodes), 0);
        cr_assert_eq(cn_ring_build(c), 0);
        cr_assert_neq(cn_ring_checksum(c), cn_ring_checksum(a), "change %zu", i);
        cn_ring_destroy(c);
    }
    /* removing a node changes it as well, and the empty ring's is 0 */
    cr_assert_eq(cn_ring_remove(b, "n3"), 0);
    cr_assert_eq(cn_ring_build(b), 0);
    cr_assert_neq(cn_ring_checksum(b), cn_ring_checksum(a));
    cn_ring_destroy(a);
    cn_ring_destroy(b);
    c = cn_ring_create();
    cr_assert_eq(cn_ring_build(c), 0);
    cr_assert_eq(cn_ring_checksum(c), 0);
    cn_ring_destroy(c);
}

Test(ring, encode_decode_round_trip, .timeout = 10)
{
    cn_ring_t *r = make_ring(7, 128), *d = NULL, *cl;
    cn_buf_t buf;

    cr_assert_eq(cn_ring_add(r, "heavy", "192.168.1.20", 65535, 1000), 0);
    cr_assert_eq(cn_ring_build(r), 0);
    cn_buf_init(&buf);
    cn_ring_encode(r, &buf);
    cr_assert_eq(cn_ring_decode(buf.data, buf.len, &d), 0);
    cr_assert_eq(cn_ring_checksum(d), cn_ring_checksum(r));
    cr_assert_eq(cn_ring_node_count(d), 8);
    const cn_ring_node_t *h = cn_ring_find(d, "heavy");
    cr_assert_not_null(h);
    cr_assert_str_eq(h->host, "192.168.1.20");
    cr_assert_eq(h->port, 65535);
    cr_assert_eq(h->vnodes, 1000);
    cl = cn_ring_clone(d);
    cr_assert_eq(cn_ring_checksum(cl), cn_ring_checksum(r));
    for (int i = 0; i < 20000; i++) {
        char key[64];
        const cn_ring_node_t *x[4], *y[4], *z[4];
        size_t len = key_of(i, key, sizeof(key));
        cr_assert_eq(cn_ring_lookup(r, key, len, 4, x), 4);
        cr_assert_eq(cn_ring_lookup(d, key, len, 4, y), 4);
        cr_assert_eq(cn_ring_lookup(cl, key, len, 4, z), 4);
        for (int j = 0; j < 4; j++) {
            cr_assert_str_eq(x[j]->name, y[j]->name);
            cr_assert_str_eq(x[j]->name, z[j]->name);
        }
    }
    cn_buf_dispose(&buf);
    cn_ring_destroy(r);
    cn_ring_destroy(d);
    cn_ring_destroy(cl);
}

Test(ring, decode_rejects_bad_bytes, .timeout = 30)
{
    cn_ring_t *r = make_ring(3, 128), *d = NULL;
    cn_buf_t buf;
    /* valid msgpack, wrong shapes */
    static const struct { const char *bytes; size_t len; } bad[] = {
        {"\xc1", 1},                                      /* never-used byte */
        {"\x93\x01\x02\x03", 4},                          /* array of ints */
        {"\x91\x94\xa1n\xa1h\x01", 7},                    /* truncated member */
        {"\x91\x94\xa1n\xa1h\xff\x01", 8},                /* negative port */
        {"\x91\x94\xa1n\xa1h\x01\x00", 8},                /* zero vnodes */
        {"\x91\x94\xa0\xa1h\x01\x01", 7},                 /* empty name */
        {"\x91\x94\xa1n\xa1h\xce\x00\x01\x00\x00\x01", 12}, /* port > 65535 */
        {"\x91\x93\xa1n\xa1h\x01", 6},                    /* 3 fields */
        {"\x92\x94\xa1n\xa1h\x01\x01\x94\xa1n\xa1h\x01\x01", 14}, /* duplicate name */
        {"\x91\x94\xa1n\xa1h\x01\x01\x00", 9},            /* trailing byte */
        {"\x81\xa1n\x01", 4},                             /* a map */
        {"\xdd\xff\xff\xff\xff", 5},                      /* huge array header */
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        d = (cn_ring_t *)1;
        cr_assert_eq(cn_ring_decode(bad[i].bytes, bad[i].len, &d), CN_ECORRUPT, "case %zu", i);
        cr_assert_null(d);
    }
    cr_assert_eq(cn_ring_decode("", 0, &d), CN_ECORRUPT);

    cn_buf_init(&buf);
    cn_ring_encode(r, &buf);
    for (size_t cut = 0; cut < buf.len; cut++)
        cr_assert_eq(cn_ring_decode(buf.data, cut, &d), CN_ECORRUPT, "truncated at %zu", cut);
    /* random garbage: any result but a crash; most is rejected */
    unsigned seed = 12345;
    for (int i = 0; i < 20000; i++) {
        char junk[64];
        size_t len = 1 + (size_t)(rand_r(&seed) % sizeof(junk));
        for (size_t j = 0; j < len; j++)
            junk[j] = (char)rand_r(&seed);
        if (cn_ring_decode(junk, len, &d) == 0)
            cn_ring_destroy(d);
    }
    /* flipped bytes of a good encoding: 0 or CN_ECORRUPT, never a crash */
    for (size_t pos = 0; pos < buf.len; pos++) {
        char copy[512];
        cr_assert(buf.len <= sizeof(copy));
        memcpy(copy, buf.data, buf.len);
        copy[pos] ^= 0x5a;
        int rc = cn_ring_decode(copy, buf.len, &d);
        cr_assert(rc == 0 || rc == CN_ECORRUPT);
        if (rc == 0)
            cn_ring_destroy(d);
    }
    cn_buf_dispose(&buf);
    cn_ring_destroy(r);
}

Test(ring, empty_and_unbuilt_rings_find_nothing, .timeout = 5)
{
    cn_ring_t *r = cn_ring_create();
    const cn_ring_node_t *out[3];
    cn_buf_t buf;
    cn_ring_t *d = NULL;

    cr_assert_eq(cn_ring_lookup(r, "b/k", 3, 3, out), 0, "unbuilt");
    cr_assert_eq(cn_ring_build(r), 0);
    cr_assert_eq(cn_ring_lookup(r, "b/k", 3, 3, out), 0, "empty");
    cr_assert_eq(cn_ring_node_count(r), 0);
    cr_assert_null(cn_ring_node_at(r, 0));
    cn_buf_init(&buf);
    cn_ring_encode(r, &buf);
    cr_assert_eq(cn_ring_decode(buf.data, buf.len, &d), 0);
    cr_assert_eq(cn_ring_checksum(d), 0);
    cn_ring_destroy(d);
    cn_buf_dispose(&buf);
    cr_assert_eq(cn_ring_add(r, "a", "h", 1, 1), 0);
    cr_assert_eq(cn_ring_lookup(r, "b/k", 3, 3, out), 0, "added but not rebuilt");
    cr_assert_eq(cn_ring_build(r), 0);
    cr_assert_eq(cn_ring_lookup(r, "b/k", 3, 3, out), 1);
    cn_ring_destroy(r);
}

Test(ring, add_remove_errors, .timeout = 5)
{
    cn_ring_t *r = cn_ring_create();
    char longname[CN_RING_NAME_MAX + 1];

    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    cr_assert_eq(cn_ring_add(r, "a", "h", 1, 128), 0);
    cr_assert_eq(cn_ring_add(r, "a", "h2", 2, 128), CN_EEXIST);
    cr_assert_eq(cn_ring_add(r, "", "h", 1, 128), CN_EINVAL);
    cr_assert_eq(cn_ring_add(r, "b", "", 1, 128), CN_EINVAL);
    cr_assert_eq(cn_ring_add(r, "b", "h", 1, 0), CN_EINVAL);
    cr_assert_eq(cn_ring_add(r, longname, "h", 1, 1), CN_EINVAL);
    longname[CN_RING_NAME_MAX - 1] = '\0'; /* 63 chars fit */
    cr_assert_eq(cn_ring_add(r, longname, "h", 1, 1), 0);
    cr_assert_eq(cn_ring_remove(r, "nope"), CN_ENOENT);
    cr_assert_eq(cn_ring_remove(r, "a"), 0);
    cr_assert_null(cn_ring_find(r, "a"));
    cr_assert_not_null(cn_ring_find(r, longname));
    cn_ring_destroy(r);
}

/* Builds a 64-node ring of mixed weights and checks every arc got a full owner list. The
 * build time is printed, never asserted: these machines are noisy (see docs/RING.md for the
 * measured figure). */
Test(ring, build_64_nodes_fills_every_arc, .timeout = 10)
{
    struct timespec t0, t1;
    const cn_ring_node_t *set[CN_RING_MAX_OWNERS];
    cn_ring_t *r = cn_ring_create();
    char name[32];
    double ms;

    for (int i = 0; i < 64; i++) {
        snprintf(name, sizeof(name), "storage%d", i);
        cr_assert_eq(cn_ring_add(r, name, "10.0.0.1", (uint16_t)(10100 + i),
                                 (uint32_t)(i % 2 ? 128 : 256)), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(cn_ring_build(r), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    fprintf(stderr, "ring build: 64 nodes in %.1f ms\n", ms);
    for (uint32_t k = 0; k < 4096; k++) {
        char key[32];

        snprintf(key, sizeof(key), "b/k%u", k);
        cr_assert_eq(cn_ring_lookup(r, key, strlen(key), CN_RING_MAX_OWNERS, set),
                     CN_RING_MAX_OWNERS);
    }
    cn_ring_destroy(r);
}

/* ---- owner rows CN_RING_MAX_OWNERS deep: an erasure-coded chunk's K+M fragments go to its
 * first K+M owners (issue 21); replication's N owners are the same rows' first N ---------- */

static cn_ring_t *make_mixed_ring(int nodes)
{
    cn_ring_t *r = cn_ring_create();
    char name[32];

    for (int i = 0; i < nodes; i++) {
        snprintf(name, sizeof(name), "storage%d", i);
        cr_assert_eq(cn_ring_add(r, name, "127.0.0.1", (uint16_t)(10100 + i),
                                 (uint32_t)(i % 2 ? 128 : 256)), 0);
    }
    cr_assert_eq(cn_ring_build(r), 0);
    return r;
}

/* The first 8 bytes of SHA-256 over every arc's first n owners (names, NUL-terminated): one
 * number for what a whole table answers. */
static uint64_t rows_digest(const cn_ring_t *r, size_t n)
{
    const cn_ring_node_t *out[CN_RING_MAX_OWNERS];
    cn_digest_t *d = cn_digest_sha256_new();
    uint8_t sum[CN_SHA256_LEN];

    cr_assert(n <= CN_RING_MAX_OWNERS);
    for (uint32_t arc = 0; arc < CN_RING_PARTITIONS; arc++) {
        size_t k = cn_ring_lookup_arc(r, arc, n, out);
        for (size_t i = 0; i < k; i++)
            cn_digest_update(d, out[i]->name, strlen(out[i]->name) + 1);
    }
    cn_digest_final(d, sum);
    return cn_get_u64be(sum);
}

/* A ring of 20 members of weights 64 to 1000, as cn_ring_encode wrote it at ffc2b4a, when
 * owner rows were 8 deep; fixture20_ring() adds the same members. */
static const char fixture20[] =
    "\xdc\x00\x14" /* array of 20: [name, host, port, vnodes] each */
    "\x94\xab" "rack0-stor0" "\xa9" "10.0.0.10" "\xcd\x23\x8c\x40"
    "\x94\xac" "rack0-stor12" "\xa9" "10.0.0.22" "\xcd\x23\x98\xcc\x80"
    "\x94\xac" "rack0-stor16" "\xa9" "10.0.0.26" "\xcd\x23\x9c\xcc\x80"
    "\x94\xab" "rack0-stor4" "\xa9" "10.0.0.14" "\xcd\x23\x90\xcd\x03\xe8"
    "\x94\xab" "rack0-stor8" "\xa9" "10.0.0.18" "\xcd\x23\x94\xcd\x01\x00"
    "\x94\xab" "rack1-stor1" "\xa9" "10.0.1.11" "\xcd\x23\x8d\xcc\x80"
    "\x94\xac" "rack1-stor13" "\xa9" "10.0.1.23" "\xcd\x23\x99\xcd\x01\x00"
    "\x94\xac" "rack1-stor17" "\xa9" "10.0.1.27" "\xcd\x23\x9d\xcc\x80"
    "\x94\xab" "rack1-stor5" "\xa9" "10.0.1.15" "\xcd\x23\x91\x40"
    "\x94\xab" "rack1-stor9" "\xa9" "10.0.1.19" "\xcd\x23\x95\xcd\x03\xe8"
    "\x94\xac" "rack2-stor10" "\xa9" "10.0.2.20" "\xcd\x23\x96\x40"
    "\x94\xac" "rack2-stor14" "\xa9" "10.0.2.24" "\xcd\x23\x9a\xcd\x03\xe8"
    "\x94\xac" "rack2-stor18" "\xa9" "10.0.2.28" "\xcd\x23\x9e\xcd\x01\x00"
    "\x94\xab" "rack2-stor2" "\xa9" "10.0.2.12" "\xcd\x23\x8e\xcc\x80"
    "\x94\xab" "rack2-stor6" "\xa9" "10.0.2.16" "\xcd\x23\x92\xcc\x80"
    "\x94\xac" "rack3-stor11" "\xa9" "10.0.3.21" "\xcd\x23\x97\xcc\x80"
    "\x94\xac" "rack3-stor15" "\xa9" "10.0.3.25" "\xcd\x23\x9b\x40"
    "\x94\xac" "rack3-stor19" "\xa9" "10.0.3.29" "\xcd\x23\x9f\xcd\x03\xe8"
    "\x94\xab" "rack3-stor3" "\xa9" "10.0.3.13" "\xcd\x23\x8f\xcd\x01\x00"
    "\x94\xab" "rack3-stor7" "\xa9" "10.0.3.17" "\xcd\x23\x93\xcc\x80";

static cn_ring_t *fixture20_ring(void)
{
    static const uint32_t weight[] = {64, 128, 128, 256, 1000};
    cn_ring_t *r = cn_ring_create();
    char name[32], host[32];

    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "rack%d-stor%d", i % 4, i);
        snprintf(host, sizeof(host), "10.0.%d.%d", i % 4, 10 + i);
        cr_assert_eq(cn_ring_add(r, name, host, (uint16_t)(9100 + i), weight[i % 5]), 0);
    }
    cr_assert_eq(cn_ring_build(r), 0);
    return r;
}

/* Rings are stored and sent as members only (the rows are rebuilt on decode), so a ring
 * written before the rows grew decodes to the same members; and every arc's first 8 owners
 * (the rows' depth then, CN_RING_MAX_REPLICAS) are those that ffc2b4a computed: replicas
 * placed then are where a deeper ring looks for them. The digests are rows_digest(r, 8) at
 * ffc2b4a, for the fixture and for rings of 3 to 256 members (full scans and fast paths). */
Test(ring, old_rings_keep_their_first_8_owners, .timeout = 60)
{
    static const struct { int nodes, mixed; uint64_t digest; } old[] = {
        {3, 0, 0x642853ff8b4318deull},  {5, 0, 0x298254c4d4761693ull},
        {6, 0, 0x6156a1b131cc460cull},  {16, 0, 0x045763f3e0dafbf0ull},
        {17, 0, 0x07350752e79bebdeull}, {64, 0, 0xb8e34de9d1c7f721ull},
        {64, 1, 0x100be286395b6a63ull}, {256, 1, 0xf730d3af41f809f3ull},
    };
    cn_ring_t *d = NULL, *f = fixture20_ring();
    cn_buf_t buf;

    cr_assert_eq(cn_ring_decode(fixture20, sizeof(fixture20) - 1, &d), 0);
    cr_assert_eq(cn_ring_node_count(d), 20);
    cr_assert_eq(cn_ring_checksum(d), cn_ring_checksum(f));
    cr_assert_eq(rows_digest(d, 8), 0x725f7f1d7bc77ed3ull);
    cr_assert_eq(rows_digest(d, CN_RING_MAX_OWNERS), rows_digest(f, CN_RING_MAX_OWNERS));
    cn_buf_init(&buf); /* and the encoding is unchanged: today's bytes are ffc2b4a's */
    cn_ring_encode(f, &buf);
    cr_assert_eq(buf.len, sizeof(fixture20) - 1);
    cr_assert_arr_eq(buf.data, fixture20, buf.len);
    cn_buf_dispose(&buf);
    cn_ring_destroy(d);
    cn_ring_destroy(f);
    for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
        cn_ring_t *r = old[i].mixed ? make_mixed_ring(old[i].nodes) : make_ring(old[i].nodes, 128);
        cr_assert_eq(rows_digest(r, 8), old[i].digest, "%d nodes%s: first 8 owners moved",
                     old[i].nodes, old[i].mixed ? " (mixed)" : "");
        cn_ring_destroy(r);
    }
}

/* Every shorter answer is the start of the deepest one, key by key: replication's N owners
 * and erasure coding's K+M are one list. */
Test(ring, shorter_answers_are_prefixes_of_the_deepest, .timeout = 30)
{
    static const int sizes[] = {3, 6, 16, 17, 20, 64};
    const cn_ring_node_t *deep[CN_RING_MAX_OWNERS], *out[CN_RING_MAX_OWNERS];
    char key[64];

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        cn_ring_t *r = make_mixed_ring(sizes[s]);
        for (int i = 0; i < 5000; i++) {
            size_t len = key_of(i, key, sizeof(key));
            size_t k = cn_ring_lookup(r, key, len, CN_RING_MAX_OWNERS, deep);
            for (size_t n = 1; n <= k; n++) {
                cr_assert_eq(cn_ring_lookup(r, key, len, n, out), n);
                cr_assert_arr_eq(out, deep, n * sizeof(out[0]), "nodes=%d key %s n=%zu",
                                 sizes[s], key, n);
            }
        }
        cn_ring_destroy(r);
    }
}

/* The order docs/RING.md specifies, computed the slow way: every node's cost -ln(u) / vnodes
 * with u from mix64(seed ^ mix64(arc * golden + 1)), seed = MD5(name)'s first 8 bytes, then
 * the depth cheapest by (cost, name order). The build's candidate filter, its bounds and its
 * fallback must give exactly this, 16 deep as 8 deep. The cost is multiplied by 1 / vnodes, as
 * ring.c does, so that near ties round alike. */
static uint64_t spec_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static size_t spec_row(const cn_ring_t *r, const uint64_t *seed, double *cost, uint32_t arc,
                       size_t *row)
{
    size_t count = cn_ring_node_count(r);
    size_t depth = count < CN_RING_MAX_OWNERS ? count : CN_RING_MAX_OWNERS;
    uint64_t am = spec_mix64((uint64_t)arc * 0x9e3779b97f4a7c15ull + 1);

    for (size_t i = 0; i < count; i++) {
        double u = ((double)(spec_mix64(seed[i] ^ am) >> 11) + 0.5) / 9007199254740992.0;
        cost[i] = -log(u) * (1.0 / (double)cn_ring_node_at(r, i)->vnodes);
    }
    for (size_t j = 0; j < depth; j++) { /* the cheapest after row[j - 1] in (cost, index) */
        size_t best = count;
        for (size_t i = 0; i < count; i++) {
            if (j > 0 && (cost[i] < cost[row[j - 1]] ||
                          (cost[i] == cost[row[j - 1]] && i <= row[j - 1])))
                continue;
            if (best == count || cost[i] < cost[best])
                best = i;
        }
        row[j] = best;
    }
    return depth;
}

Test(ring, deep_rows_follow_the_formula, .timeout = 60)
{
    static const int sizes[] = {16, 17, 33, 64, 300};
    const cn_ring_node_t *out[CN_RING_MAX_OWNERS];
    size_t want[CN_RING_MAX_OWNERS];

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        cn_ring_t *r = make_mixed_ring(sizes[s]);
        size_t count = cn_ring_node_count(r);
        uint64_t *seed = calloc(count, sizeof(*seed));
        double *cost = calloc(count, sizeof(*cost));

        for (size_t i = 0; i < count; i++) {
            uint8_t md5[CN_MD5_LEN];
            const char *name = cn_ring_node_at(r, i)->name;
            cn_md5(name, strlen(name), md5);
            seed[i] = cn_get_u64be(md5);
        }
        for (uint32_t arc = 0; arc < CN_RING_PARTITIONS; arc += 7) {
            size_t k = spec_row(r, seed, cost, arc, want);
            cr_assert_eq(cn_ring_lookup_arc(r, arc, CN_RING_MAX_OWNERS, out), k);
            for (size_t j = 0; j < k; j++)
                cr_assert_eq(out[j], cn_ring_node_at(r, want[j]), "nodes=%d arc %u owner %zu",
                             sizes[s], arc, j);
        }
        free(cost);
        free(seed);
        cn_ring_destroy(r);
    }
}

/* Removing a node takes it out of every row it was in, and the rest of each row keeps its
 * order; where the row loses it, the next node in the arc's order fills the last place (when
 * there is one). Every arc, rows 16 deep: the shallow property (adding_a_node_...) at depth. */
Test(ring, removing_a_node_moves_only_its_positions, .timeout = 60)
{
    static const struct { int nodes; const char *gone; } cases[] = {
        {16, "storage3"}, {17, "storage0"}, {17, "storage16"}, {20, "storage7"},
        {33, "storage12"}, {64, "storage41"},
    };
    const cn_ring_node_t *a[CN_RING_MAX_OWNERS], *b[CN_RING_MAX_OWNERS];

    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        cn_ring_t *before = make_mixed_ring(cases[c].nodes), *after = cn_ring_clone(before);
        size_t rows_with = 0;

        cr_assert_eq(cn_ring_remove(after, cases[c].gone), 0);
        cr_assert_eq(cn_ring_build(after), 0);
        for (uint32_t arc = 0; arc < CN_RING_PARTITIONS; arc++) {
            size_t ka = cn_ring_lookup_arc(before, arc, CN_RING_MAX_OWNERS, a);
            size_t kb = cn_ring_lookup_arc(after, arc, CN_RING_MAX_OWNERS, b), j = 0;

            for (size_t i = 0; i < ka; i++) { /* b starts with a, without the removed node */
                if (strcmp(a[i]->name, cases[c].gone) == 0)
                    continue;
                cr_assert(j < kb);
                cr_assert_str_eq(b[j]->name, a[i]->name, "nodes=%d arc %u: owner %zu moved",
                                 cases[c].nodes, arc, j);
                j++;
            }
            rows_with += j < ka;
            if (j < kb) { /* the newcomer at the end was not in the row before */
                cr_assert_eq(j + 1, kb);
                cr_assert_eq(kb, ka);
                for (size_t i = 0; i < ka; i++)
                    cr_assert_str_neq(b[j]->name, a[i]->name);
            }
        }
        fprintf(stderr, "ring removal %d -> %d nodes: %s was in %.2f%% of 16-deep rows\n",
                cases[c].nodes, cases[c].nodes - 1, cases[c].gone,
                100.0 * (double)rows_with / CN_RING_PARTITIONS);
        cn_ring_destroy(before);
        cn_ring_destroy(after);
    }
}

/* ---- fragment keys (common/ec_key.h): one owner each, owner i of its chunk's row --------- */

/* Fragment i of a chunk coded K+M has exactly one owner, whatever n asks for: the chunk key's
 * owner i (cn_ring_lookup of the chunk key with n = 16), so a chunk's K+M fragments land on
 * K+M distinct nodes when the ring has that many. */
Test(ring, fragment_key_has_one_owner_owner_i_of_its_chunk, .timeout = 30)
{
    static const struct { unsigned k, m; } codes[] = {{4, 2}, {8, 3}, {1, 1}, {15, 1}, {10, 6}};
    cn_ring_t *r = make_mixed_ring(20);
    const cn_ring_node_t *row[CN_RING_MAX_OWNERS], *out[CN_RING_MAX_OWNERS];
    char chunk[64];
    cn_buf_t fk;

    cn_buf_init(&fk);
    for (int c = 0; c < 300; c++) {
        size_t len = (size_t)snprintf(chunk, sizeof(chunk),
                                      "\x01" "c/b/obj-%d/00000000000000aa/%06d", c % 37, c);
        cr_assert_eq(cn_ring_lookup(r, chunk, len, CN_RING_MAX_OWNERS, row), CN_RING_MAX_OWNERS);
        for (size_t x = 0; x < sizeof(codes) / sizeof(codes[0]); x++) {
            unsigned n = codes[x].k + codes[x].m;
            for (unsigned i = 0; i < n; i++) {
                cn_frag_key(chunk, len, codes[x].k, codes[x].m, i, &fk);
                for (size_t want = 1; want <= CN_RING_MAX_OWNERS; want += 5) {
                    cr_assert_eq(cn_ring_lookup(r, fk.data, fk.len, want, out), 1,
                                 "chunk %d %u+%u #%u: n=%zu", c, codes[x].k, codes[x].m, i,
                                 want);
                    cr_assert_eq(out[0], row[i], "chunk %d %u+%u #%u: not owner %u", c,
                                 codes[x].k, codes[x].m, i, i);
                }
                /* distinct from every other fragment of the chunk (the row has no repeats) */
                for (unsigned j = 0; j < i; j++)
                    cr_assert_neq(row[j], row[i]);
            }
        }
    }
    cn_buf_dispose(&fk);
    cn_ring_destroy(r);
}

/* With fewer nodes than K+M, fragment i goes to owner i mod the row's depth (the node count):
 * fragments then share nodes, but every one still has exactly one owner. */
Test(ring, fragment_index_wraps_with_fewer_nodes, .timeout = 30)
{
    static const int sizes[] = {1, 2, 3, 5};
    const cn_ring_node_t *row[CN_RING_MAX_OWNERS], *out[CN_RING_MAX_OWNERS];
    char chunk[64];
    cn_buf_t fk;

    cn_buf_init(&fk);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        cn_ring_t *r = make_ring(sizes[s], 64);
        for (int c = 0; c < 100; c++) {
            size_t len = (size_t)snprintf(chunk, sizeof(chunk), "\x01" "c/b/k/%06d", c);
            size_t depth = cn_ring_lookup(r, chunk, len, CN_RING_MAX_OWNERS, row);

            cr_assert_eq(depth, (size_t)sizes[s]);
            for (unsigned i = 0; i < 6; i++) {
                cn_frag_key(chunk, len, 4, 2, i, &fk);
                cr_assert_eq(cn_ring_lookup(r, fk.data, fk.len, 3, out), 1);
                cr_assert_eq(out[0], row[i % depth], "%d nodes, chunk %d #%u", sizes[s], c, i);
            }
        }
        cn_ring_destroy(r);
    }
    cn_buf_dispose(&fk);
}

/* n = 0 asks for no owner, of a fragment key as of any other; an empty or unbuilt ring has
 * none to give. */
Test(ring, fragment_key_n_0_and_empty_ring_give_none, .timeout = 5)
{
    cn_ring_t *r = make_ring(6, 64), *empty = cn_ring_create();
    const cn_ring_node_t *out[CN_RING_MAX_OWNERS] = {NULL};
    cn_buf_t fk;

    cn_buf_init(&fk);
    cn_frag_key("\x01" "c/b/k/000000", 12, 4, 2, 3, &fk);
    cr_assert_eq(cn_ring_lookup(r, fk.data, fk.len, 0, out), 0);
    cr_assert_null(out[0], "n = 0 wrote an owner");
    cr_assert_eq(cn_ring_lookup(r, "\x01" "c/b/k/000000", 12, 0, out), 0);
    cr_assert_eq(cn_ring_lookup(empty, fk.data, fk.len, 1, out), 0, "unbuilt");
    cr_assert_eq(cn_ring_build(empty), 0);
    cr_assert_eq(cn_ring_lookup(empty, fk.data, fk.len, 1, out), 0, "built, no members");
    cn_buf_dispose(&fk);
    cn_ring_destroy(empty);
    cn_ring_destroy(r);
}
