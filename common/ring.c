/*
 * common/ring.c: the consistent-hash ring (scheme and reasons in ring.h and docs/RING.md).
 * Members are kept sorted by name, so the table and the checksum depend only on the member
 * set, never on the order of cn_ring_add() calls. Building scores every (arc, node) pair with
 * weighted rendezvous hashing, score = weight / -ln(u); we keep the equivalent cost
 * -ln(u) / weight, smaller is better, and select the best `depth` nodes per arc with a small
 * insertion list (no full sort). Most candidates are rejected without a log() call since
 * -ln(u) >= 1 - u. A node's u depends only on its own name and the arc, so adding a node
 * never reorders the old nodes of an arc: keys only move onto the new node.
 * Invariants: when built, table has CN_RING_PARTITIONS * depth node indexes, depth =
 * min(count, CN_RING_MAX_OWNERS), and each arc's row holds distinct nodes, best first.
 * A row is the first `depth` nodes of one total order (cost, then index), so its first N
 * entries are what a build `N` deep would give: deeper rows never move a replica.
 * add/remove drop the table (built = 0); the owner must rebuild. No locking: a built ring is
 * immutable and shared read-only.
 */
#include "common/ring.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>

#include "common/ec_key.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/msgpack_check.h"

#define RING_MAGIC 0x52494e47u  /* "RING" */
#define RING_MAX_NODES 4096     /* bounds build time and decode of hostile bytes */
#define CUT_FACTOR 2.0          /* candidates per arc / depth in the fast path */

struct cn_ring {
    uint32_t magic;
    int built;
    cn_ring_node_t *nodes;      /* sorted by name */
    uint64_t *seeds;            /* per node: first 8 bytes of MD5(name); valid when built */
    size_t count, cap;
    size_t depth;               /* owners kept per arc */
    uint16_t *table;            /* [arc * depth + i] = node index */
    uint64_t checksum;
};

static_assert(RING_MAX_NODES <= UINT16_MAX, "node indexes are uint16_t");
static_assert(CN_RING_MAX_REPLICAS <= CN_RING_MAX_OWNERS, "a replica set is a row's prefix");

cn_ring_t *cn_ring_create(void)
{
    cn_ring_t *r = cn_calloc(1, sizeof(*r));

    r->magic = RING_MAGIC;
    return r;
}

static void drop_table(cn_ring_t *r)
{
    cn_free(r->table);
    cn_free(r->seeds);
    r->table = NULL;
    r->seeds = NULL;
    r->depth = 0;
    r->built = 0;
    r->checksum = 0;
}

void cn_ring_destroy(cn_ring_t *r)
{
    if (r == NULL)
        return;
    CN_CHECK_OBJ(r, RING_MAGIC);
    drop_table(r);
    cn_free(r->nodes);
    r->magic = 0;
    cn_free(r);
}

/* Index where name is or would be inserted; *found set when present. */
static size_t search(const cn_ring_t *r, const char *name, int *found)
{
    size_t lo = 0, hi = r->count;

    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(r->nodes[mid].name, name);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int cn_ring_add(cn_ring_t *r, const char *name, const char *host, uint16_t port, uint32_t vnodes)
{
    size_t at, nlen, hlen;
    int found;

    CN_CHECK_OBJ(r, RING_MAGIC);
    if (name == NULL || host == NULL || vnodes == 0)
        return CN_EINVAL;
    nlen = strlen(name);
    hlen = strlen(host);
    if (nlen == 0 || nlen >= CN_RING_NAME_MAX || hlen == 0 || hlen >= CN_RING_HOST_MAX)
        return CN_EINVAL;
    at = search(r, name, &found);
    if (found)
        return CN_EEXIST;
    if (r->count >= RING_MAX_NODES)
        return CN_E2BIG;
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->nodes = cn_realloc(r->nodes, r->cap * sizeof(*r->nodes));
    }
    memmove(&r->nodes[at + 1], &r->nodes[at], (r->count - at) * sizeof(*r->nodes));
    memset(&r->nodes[at], 0, sizeof(r->nodes[at]));
    memcpy(r->nodes[at].name, name, nlen + 1);
    memcpy(r->nodes[at].host, host, hlen + 1);
    r->nodes[at].port = port;
    r->nodes[at].vnodes = vnodes;
    r->count++;
    drop_table(r);
    return 0;
}

int cn_ring_remove(cn_ring_t *r, const char *name)
{
    int found;
    size_t at;

    CN_CHECK_OBJ(r, RING_MAGIC);
    at = search(r, name, &found);
    if (!found)
        return CN_ENOENT;
    memmove(&r->nodes[at], &r->nodes[at + 1], (r->count - at - 1) * sizeof(*r->nodes));
    r->count--;
    drop_table(r);
    return 0;
}

/* murmur3's 64-bit finalizer: a fast, well-mixing bijection. Inlined even at -O0 since the
 * build loop calls it for every (arc, node) pair. */
static inline __attribute__((always_inline)) uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The per-arc half of the (node, arc) hash, computed once per arc. */
static inline uint64_t arc_mix(uint32_t arc)
{
    return mix64((uint64_t)arc * 0x9e3779b97f4a7c15ull + 1);
}

/* u in (0,1) from a (node, arc) hash: 53 random bits, offset by half a step so u is never
 * 0 or 1. The int64 cast is exact (< 2^53) and converts faster than from uint64. */
static inline __attribute__((always_inline)) double hash_u(uint64_t h)
{
    return ((double)(int64_t)(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static inline __attribute__((always_inline)) double node_arc_u(uint64_t seed, uint64_t am)
{
    return hash_u(mix64(seed ^ am));
}

static uint64_t compute_checksum(const cn_ring_t *r)
{
    cn_digest_t *d;
    uint8_t sum[CN_SHA256_LEN];
    uint8_t num[6];

    if (r->count == 0)
        return 0;
    d = cn_digest_sha256_new();
    for (size_t i = 0; i < r->count; i++) {
        const cn_ring_node_t *n = &r->nodes[i];
        /* name NUL host NUL port(u16be) vnodes(u32be): unambiguous field boundaries */
        cn_digest_update(d, n->name, strlen(n->name) + 1);
        cn_digest_update(d, n->host, strlen(n->host) + 1);
        num[0] = (uint8_t)(n->port >> 8);
        num[1] = (uint8_t)n->port;
        cn_put_u32be(num + 2, n->vnodes);
        cn_digest_update(d, num, sizeof(num));
    }
    cn_digest_final(d, sum);
    return cn_get_u64be(sum);
}

/* Inserts (cost, node) into the ascending list best[0..*have) of at most depth entries
 * (the caller checked that cost beats the current last one when the list is full).
 * Returns the cost to beat from now on: the last entry once the list is full. */
static double keep_best(double *best_cost, uint16_t *best, size_t *have, size_t depth,
                        double cost, uint16_t node)
{
    size_t j = *have < depth ? (*have)++ : depth - 1;

    while (j > 0 && best_cost[j - 1] > cost) {
        best_cost[j] = best_cost[j - 1];
        best[j] = best[j - 1];
        j--;
    }
    best_cost[j] = cost;
    best[j] = node;
    return *have == depth ? best_cost[depth - 1] : INFINITY;
}

/* Scratch space and per-node constants of one build. */
struct build {
    const uint64_t *seeds;
    const double *inv_w;   /* 1 / weight */
    size_t count, depth;
    double cut;            /* candidate threshold on the cost lower bound (1 - u) / w */
    uint64_t *cut_g;       /* [count] the same per node on g = 2^53 (1 - u) - 0.5 */
    uint16_t *cand;        /* [count] candidate node indexes */
    uint64_t *cand_h;      /* [count] their hashes */
};

/* The exact selection over every node: the reference the fast path must agree with. */
static void arc_full_scan(const struct build *b, uint64_t am, uint16_t *best)
{
    double best_cost[CN_RING_MAX_OWNERS], worst = INFINITY;
    size_t have = 0;

    for (size_t i = 0; i < b->count; i++) {
        double u = node_arc_u(b->seeds[i], am), cost;
        /* -ln(u) >= 1 - u: skip the log when even the bound cannot make the list */
        if ((1.0 - u) * b->inv_w[i] >= worst)
            continue;
        cost = -log(u) * b->inv_w[i];
        if (cost < worst) /* ties keep the lower (earlier by name) index */
            worst = keep_best(best_cost, best, &have, b->depth, cost, (uint16_t)i);
    }
}

/* Fast path: only nodes whose cost lower bound (1 - u) / w is under b->cut can make the
 * list; if depth of them have an exact cost under the cut, nobody else can beat them and the
 * result equals the full scan's. Otherwise (rare) falls back to the full scan. */
static void arc_select(const struct build *b, uint64_t am, uint16_t *best)
{
    double best_cost[CN_RING_MAX_OWNERS], worst = INFINITY;
    size_t have = 0, m = 0;

    /* Branch-free integer filter: 1 - u = (g + 0.5) / 2^53 with g = ~h >> 11, so
     * (1 - u) / w < cut  <=>  g < cut * w * 2^53 - 0.5, rounded down into cut_g (a node
     * wrongly kept costs a log(); none is wrongly dropped but by rounding, which the
     * final check below covers). */
    for (size_t i = 0; i < b->count; i++) {
        uint64_t h = mix64(b->seeds[i] ^ am);
        b->cand[m] = (uint16_t)i;
        b->cand_h[m] = h;
        m += (~h >> 11) <= b->cut_g[i];
    }
    for (size_t j = 0; j < m; j++) {
        uint16_t i = b->cand[j];
        double cost = -log(hash_u(b->cand_h[j])) * b->inv_w[i];
        if (cost < worst)
            worst = keep_best(best_cost, best, &have, b->depth, cost, i);
    }
    if (have < b->depth || worst >= b->cut * (1.0 - 1e-9)) /* margin for rounding */
        arc_full_scan(b, am, best);
}

int cn_ring_build(cn_ring_t *r)
{
    struct build b;
    double *inv_w, total_w = 0;

    CN_CHECK_OBJ(r, RING_MAGIC);
    drop_table(r);
    r->checksum = compute_checksum(r);
    r->built = 1;
    if (r->count == 0)
        return 0;
    r->depth = r->count < CN_RING_MAX_OWNERS ? r->count : CN_RING_MAX_OWNERS;
    r->table = cn_malloc((size_t)CN_RING_PARTITIONS * r->depth * sizeof(*r->table));
    r->seeds = cn_malloc(r->count * sizeof(*r->seeds));
    inv_w = cn_malloc(r->count * sizeof(*inv_w));
    for (size_t i = 0; i < r->count; i++) {
        uint8_t md5[CN_MD5_LEN];
        cn_md5(r->nodes[i].name, strlen(r->nodes[i].name), md5);
        r->seeds[i] = cn_get_u64be(md5);
        inv_w[i] = 1.0 / (double)r->nodes[i].vnodes;
        total_w += (double)r->nodes[i].vnodes;
    }
    b.seeds = r->seeds;
    b.inv_w = inv_w;
    b.count = r->count;
    b.depth = r->depth;
    /* P(lower bound < cut) = cut * w per node: about CUT_FACTOR * depth candidates per arc
     * (a log() each), and a full-scan fallback when fewer than depth make it. */
    b.cut = CUT_FACTOR * (double)r->depth / total_w;
    b.cut_g = cn_malloc(r->count * sizeof(*b.cut_g));
    for (size_t i = 0; i < r->count; i++) {
        double g = b.cut * (double)r->nodes[i].vnodes * 9007199254740992.0;
        b.cut_g[i] = g >= 9007199254740992.0 ? UINT64_MAX : (uint64_t)g;
    }
    b.cand = cn_malloc(r->count * sizeof(*b.cand));
    b.cand_h = cn_malloc(r->count * sizeof(*b.cand_h));
    for (uint32_t arc = 0; arc < CN_RING_PARTITIONS; arc++) {
        uint16_t *row = &r->table[(size_t)arc * r->depth];
        if (r->count > 2 * r->depth)
            arc_select(&b, arc_mix(arc), row);
        else
            arc_full_scan(&b, arc_mix(arc), row);
    }
    cn_free(b.cand_h);
    cn_free(b.cand);
    cn_free(b.cut_g);
    cn_free(inv_w);
    return 0;
}

uint64_t cn_ring_checksum(const cn_ring_t *r)
{
    CN_CHECK_OBJ(r, RING_MAGIC);
    return r->built ? r->checksum : compute_checksum(r);
}

void cn_ring_checksum_hex(uint64_t sum, char out[17])
{
    snprintf(out, 17, "%016" PRIx64, sum);
}

size_t cn_ring_node_count(const cn_ring_t *r)
{
    CN_CHECK_OBJ(r, RING_MAGIC);
    return r->count;
}

const cn_ring_node_t *cn_ring_node_at(const cn_ring_t *r, size_t i)
{
    CN_CHECK_OBJ(r, RING_MAGIC);
    return i < r->count ? &r->nodes[i] : NULL;
}

const cn_ring_node_t *cn_ring_find(const cn_ring_t *r, const char *name)
{
    int found;
    size_t at;

    CN_CHECK_OBJ(r, RING_MAGIC);
    at = search(r, name, &found);
    return found ? &r->nodes[at] : NULL;
}

uint64_t cn_ring_hash_key(const void *key, size_t len)
{
    const char *nul = len ? memchr(key, '\0', len) : NULL;
    uint8_t md5[CN_MD5_LEN];

    /* "bucket/key\0VERSION" is a version of bucket/key (object keys never hold a NUL): it
     * lives with its object, so one node's index holds all of a key's versions in order */
    if (nul != NULL)
        len = (size_t)(nul - (const char *)key);
    cn_md5(key, len, md5);
    return cn_get_u64be(md5);
}

size_t cn_ring_lookup(const cn_ring_t *r, const void *key, size_t len, size_t n,
                      const cn_ring_node_t **out)
{
    size_t arc, k;
    cn_frag_key_t fk;

    CN_CHECK_OBJ(r, RING_MAGIC);
    if (!r->built || r->depth == 0)
        return 0;
    arc = (size_t)(cn_ring_hash_key(key, len) >> (64 - CN_RING_PARTITION_BITS));
    if (cn_frag_key_parse(key, len, &fk)) { /* fragment i: owner i of its chunk (ec_key.h) */
        if (n == 0)
            return 0;
        out[0] = &r->nodes[r->table[arc * r->depth + fk.index % r->depth]];
        return 1;
    }
    k = n < r->depth ? n : r->depth;
    for (size_t i = 0; i < k; i++)
        out[i] = &r->nodes[r->table[arc * r->depth + i]];
    return k;
}

size_t cn_ring_lookup_arc(const cn_ring_t *r, uint32_t arc, size_t n,
                          const cn_ring_node_t **out)
{
    size_t k;

    CN_CHECK_OBJ(r, RING_MAGIC);
    if (!r->built || r->depth == 0 || arc >= CN_RING_PARTITIONS)
        return 0;
    k = n < r->depth ? n : r->depth;
    for (size_t i = 0; i < k; i++)
        out[i] = &r->nodes[r->table[(size_t)arc * r->depth + i]];
    return k;
}

void cn_ring_encode(const cn_ring_t *r, cn_buf_t *out)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;

    CN_CHECK_OBJ(r, RING_MAGIC);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, r->count);
    for (size_t i = 0; i < r->count; i++) {
        const cn_ring_node_t *n = &r->nodes[i];
        size_t nl = strlen(n->name), hl = strlen(n->host);
        msgpack_pack_array(&pk, 4);
        msgpack_pack_str(&pk, nl);
        msgpack_pack_str_body(&pk, n->name, nl);
        msgpack_pack_str(&pk, hl);
        msgpack_pack_str_body(&pk, n->host, hl);
        msgpack_pack_uint16(&pk, n->port);
        msgpack_pack_uint32(&pk, n->vnodes);
    }
    cn_buf_append(out, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

int cn_ring_decode(const void *p, size_t len, cn_ring_t **out)
{
    msgpack_unpacked u;
    size_t off = 0, used = 0;
    cn_ring_t *r = NULL;
    const msgpack_object *top;
    int rc = CN_ECORRUPT;

    *out = NULL;
    msgpack_unpacked_init(&u);
    if (p == NULL || len == 0 || cn_msgpack_check(p, len, &used) != 0 || used != len ||
        msgpack_unpack_next(&u, p, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len)
        goto out_unpacked;
    top = &u.data;
    if (top->type != MSGPACK_OBJECT_ARRAY || top->via.array.size > RING_MAX_NODES)
        goto out_unpacked;
    r = cn_ring_create();
    for (uint32_t i = 0; i < top->via.array.size; i++) {
        const msgpack_object *e = &top->via.array.ptr[i], *f;
        char name[CN_RING_NAME_MAX], host[CN_RING_HOST_MAX];
        if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 4)
            goto out_ring;
        f = e->via.array.ptr;
        if (cn_msgpack_copy_str(&f[0], name, sizeof(name)) != 0 ||
            cn_msgpack_copy_str(&f[1], host, sizeof(host)) != 0)
            goto out_ring;
        if (f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[2].via.u64 > UINT16_MAX)
            goto out_ring;
        if (f[3].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[3].via.u64 == 0 ||
            f[3].via.u64 > UINT32_MAX)
            goto out_ring;
        if (cn_ring_add(r, name, host, (uint16_t)f[2].via.u64, (uint32_t)f[3].via.u64) != 0)
            goto out_ring; /* duplicate name */
    }
    if ((rc = cn_ring_build(r)) != 0)
        goto out_ring;
    msgpack_unpacked_destroy(&u);
    *out = r;
    return 0;

out_ring:
    cn_ring_destroy(r);
    rc = CN_ECORRUPT;
out_unpacked:
    msgpack_unpacked_destroy(&u);
    return rc;
}

cn_ring_t *cn_ring_clone(const cn_ring_t *src)
{
    cn_ring_t *r;

    CN_CHECK_OBJ(src, RING_MAGIC);
    r = cn_ring_create();
    r->count = r->cap = src->count;
    if (src->count) {
        r->nodes = cn_malloc(src->count * sizeof(*r->nodes));
        memcpy(r->nodes, src->nodes, src->count * sizeof(*r->nodes));
    }
    if (src->built) {
        r->built = 1;
        r->checksum = src->checksum;
        r->depth = src->depth;
        if (src->table) {
            size_t tn = (size_t)CN_RING_PARTITIONS * src->depth;
            r->table = cn_malloc(tn * sizeof(*r->table));
            memcpy(r->table, src->table, tn * sizeof(*r->table));
        }
        if (src->seeds) {
            r->seeds = cn_malloc(src->count * sizeof(*r->seeds));
            memcpy(r->seeds, src->seeds, src->count * sizeof(*r->seeds));
        }
    }
    return r;
}
