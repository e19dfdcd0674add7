/*
 * common/ring.h: the consistent-hash ring.
 * The 64-bit key space is cut into CN_RING_PARTITIONS equal arcs (fixed virtual nodes). Each
 * arc's ordered owner list is chosen by weighted rendezvous hashing over the members: every
 * node scores every arc (score = weight / -ln(u), u = a 64-bit hash of node and arc mapped to
 * (0,1)); the arc's redundancy set is the N best-scoring distinct nodes, coordinator first
 * (N replicas, or the K+M fragments of an erasure-coded chunk).
 * Why not random vnode positions: with 128 random vnodes per node a node's share varies by
 * ~9% (measured 0.85..1.18 of even for 5 nodes); this scheme holds ~1%, and adding a node only
 * moves keys onto the new node (an arc's order among the old nodes never changes).
 * A node's "vnodes" is its weight (default 128; give a bigger disk more).
 * A key's position is the first 8 bytes (big-endian) of MD5("bucket/key"), of the bytes before
 * the first NUL only ("bucket/key\0VERSION" is a version of the object, placed with it); its
 * arc is the top
 * CN_RING_PARTITION_BITS bits. The table is a pure function of the member list, so every
 * daemon that holds the same members computes the same table.
 * The checksum is the first 8 bytes of SHA-256 over the members sorted by name (name, host,
 * port, vnodes) and identifies a ring version across the cluster; an empty ring's is 0.
 * Shown as 16 lower-case hex digits.
 * A ring is immutable once built; the owner replaces it as a whole (no locking inside).
 */
#ifndef CAIRN_COMMON_RING_H
#define CAIRN_COMMON_RING_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define CN_RING_NAME_MAX 64
#define CN_RING_HOST_MAX 64
#define CN_RING_DEFAULT_VNODES 128
#define CN_RING_PARTITION_BITS 16
#define CN_RING_PARTITIONS (1u << CN_RING_PARTITION_BITS)
#define CN_RING_MAX_REPLICAS 8   /* the most copies of a replicated key: N, W, R, D <= this */
#define CN_RING_MAX_OWNERS 16    /* owner rows are precomputed this deep: erasure coding's K+M */

typedef struct cn_ring_node {
    char name[CN_RING_NAME_MAX];   /* unique node name, e.g. "storage0" */
    char host[CN_RING_HOST_MAX];   /* RPC address */
    uint16_t port;
    uint32_t vnodes;               /* weight: number of virtual nodes */
} cn_ring_node_t;

typedef struct cn_ring cn_ring_t;

/** An empty, unbuilt ring. */
cn_ring_t *cn_ring_create(void);
void cn_ring_destroy(cn_ring_t *r);
/** Adds a node (before cn_ring_build). CN_EEXIST if the name is taken, CN_EINVAL for an
 *  empty/too long name or host or vnodes == 0. */
int cn_ring_add(cn_ring_t *r, const char *name, const char *host, uint16_t port, uint32_t vnodes);
/** Removes a node by name (then rebuild). CN_ENOENT if absent. */
int cn_ring_remove(cn_ring_t *r, const char *name);
/** Computes the partition table and the checksum. Must be called after add/remove. */
int cn_ring_build(cn_ring_t *r);
uint64_t cn_ring_checksum(const cn_ring_t *r);
/** Formats a checksum as 16 hex digits into out (17 bytes). */
void cn_ring_checksum_hex(uint64_t sum, char out[17]);

size_t cn_ring_node_count(const cn_ring_t *r);
/** The i-th node (in name order); NULL past the end. Borrowed, lives as long as r. */
const cn_ring_node_t *cn_ring_node_at(const cn_ring_t *r, size_t i);
const cn_ring_node_t *cn_ring_find(const cn_ring_t *r, const char *name);

/** Position of a key on the ring. */
uint64_t cn_ring_hash_key(const void *key, size_t len);
/** Fills out[0..k) with the key's first k owners, best (coordinator) first, all distinct,
 *  and returns k = min(n, node count, CN_RING_MAX_OWNERS): never more than n, so out needs n
 *  entries. Replication asks for its N (<= CN_RING_MAX_REPLICAS) owners, erasure coding for
 *  K+M; an arc's owners are one list, so the first N of a deeper answer are the N-owner
 *  answer. A fragment key (common/ec_key.h) has one owner: owner i (modulo the row) of its
 *  chunk's row, so out[0] alone is filled (k = 1, or 0 when n is 0). Pointers are borrowed
 *  from r. */
size_t cn_ring_lookup(const cn_ring_t *r, const void *key, size_t len, size_t n,
                      const cn_ring_node_t **out);
/** As cn_ring_lookup, for an arc (0..CN_RING_PARTITIONS-1) instead of a key (the admin API
 *  and the dashboard draw the arcs). 0 for an arc out of range. */
size_t cn_ring_lookup_arc(const cn_ring_t *r, uint32_t arc, size_t n,
                          const cn_ring_node_t **out);

/** Serializes a built ring (its members) to out, appended.
 *  Format: msgpack array of [name, host, port, vnodes]. The table is recomputed on decode. */
void cn_ring_encode(const cn_ring_t *r, cn_buf_t *out);
/** Decodes and builds. Returns 0 or CN_ECORRUPT for bad bytes. */
int cn_ring_decode(const void *p, size_t len, cn_ring_t **out);
/** A deep copy (built if src is built). */
cn_ring_t *cn_ring_clone(const cn_ring_t *src);

#endif
