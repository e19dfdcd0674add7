/*
 * gateway/cache/mcache.h: the gateway's memory cache of whole small objects (LeoFS leo_mcerl idea).
 *
 * A sharded LRU: the key's CRC32C picks a shard; each shard has its own mutex, hash table,
 * LRU list and a slice (capacity / nshards) of the byte budget. An entry holds one whole
 * object version as storage returned it: the key, the version (gw_cache_info_t: ETag, clock,
 * mtime, size, flags), the stored metadata (msgpack of manifest.h) and the body, in one
 * allocation. Entries are refcounted: gw_mcache_get() returns a referenced entry whose bytes
 * stay valid until gw_mcache_unref(), even when it is evicted or invalidated meanwhile.
 *
 * Fill races: a miss reads storage and then inserts. An invalidation (a PUT/DELETE seen by
 * this gateway) may land between the read and the insert; the insert must then not put the
 * old version back. So a filler takes a ticket (gw_mcache_ticket) before it reads, and
 * gw_mcache_put() refuses (CN_ESTALE) when any invalidation hit the key's shard since.
 *
 * Threads: every function is thread-safe (shard mutex; refcounts are atomic).
 */
#ifndef CAIRN_GATEWAY_MCACHE_H
#define CAIRN_GATEWAY_MCACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define GW_MCACHE_ENT_MAGIC 0x676d6365u /* "gmce" */
#define GW_CACHE_ETAG_MAX 72

/** One object version as storage described it (get/head response fields). */
typedef struct gw_cache_info {
    char etag[GW_CACHE_ETAG_MAX]; /* NUL-terminated, without quotes */
    uint64_t clock;               /* HLC of the version; with etag, what validation compares */
    uint64_t mtime_ms;
    uint64_t size;                /* whole object size (== body length for cached objects) */
    uint32_t flags;               /* CN_OBJ_* */
} gw_cache_info_t;

/** Counters of one cache. Monotonic except bytes and entries (current values). */
typedef struct gw_cache_stats {
    uint64_t hits, misses, inserts, evictions, invalidations, rejected, corrupt;
    uint64_t bytes, entries, capacity;
} gw_cache_stats_t;

typedef struct gw_mcache gw_mcache_t;
typedef struct gw_mcache_ent gw_mcache_ent_t;

/** An entry; read-only for users. key, meta and body point inside the entry. */
struct gw_mcache_ent {
    uint32_t magic;
    gw_cache_info_t info;
    cn_slice_t key;
    cn_slice_t meta;
    cn_slice_t body;
    _Atomic uint64_t validated_ms; /* cn_mono_ms() of the last successful validation */
    /* private */
    _Atomic uint32_t _refcnt;
    uint32_t _hash;
    size_t _charge;
    int _linked; /* in its shard's table and LRU (guarded by the shard lock) */
    gw_mcache_ent_t *_hnext;       /* hash chain */
    gw_mcache_ent_t *_prev, *_next; /* LRU list, head = most recently used */
};

typedef struct gw_mcache_opts {
    uint64_t capacity_bytes;   /* total budget (entries are charged key+meta+body+overhead) */
    uint64_t max_object_bytes; /* larger bodies are refused with CN_E2BIG */
    unsigned nshards;          /* 0 = 16; rounded up to a power of two */
} gw_mcache_opts_t;

/** Creates a cache. Returns 0 or CN_EINVAL (capacity 0 is allowed: nothing is ever kept). */
int gw_mcache_create(const gw_mcache_opts_t *opts, gw_mcache_t **out);
/** Frees the cache. Entries still referenced stay valid until their last unref. */
void gw_mcache_destroy(gw_mcache_t *mc);

/** Returns a referenced entry (moved to the head of its LRU) or NULL on a miss. Counts a hit
 *  or a miss. Release it with gw_mcache_unref(). */
gw_mcache_ent_t *gw_mcache_get(gw_mcache_t *mc, cn_slice_t key);
void gw_mcache_ref(gw_mcache_ent_t *e);
void gw_mcache_unref(gw_mcache_ent_t *e);

/** The shard's invalidation generation for key; take it before reading storage for a fill. */
uint64_t gw_mcache_ticket(gw_mcache_t *mc, cn_slice_t key);
/** Inserts a copy of (info, meta, body) under key, replacing any entry of that key, and evicts
 *  least recently used entries past the shard's budget. Returns 0, CN_E2BIG (over
 *  max_object_bytes or the shard's budget), CN_ESTALE (an invalidation since ticket, or the
 *  cached entry already holds a newer clock). Nothing is kept on error. */
int gw_mcache_put(gw_mcache_t *mc, cn_slice_t key, const gw_cache_info_t *info, cn_slice_t meta,
                  cn_slice_t body, uint64_t ticket);
/** Drops key (if cached) and bumps its shard's generation (outstanding fills fail).
 *  Returns 1 when an entry was dropped. */
int gw_mcache_invalidate(gw_mcache_t *mc, cn_slice_t key);
/** Drops everything. */
void gw_mcache_clear(gw_mcache_t *mc);
void gw_mcache_stats(gw_mcache_t *mc, gw_cache_stats_t *out);

#endif
