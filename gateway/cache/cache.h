/*
 * gateway/cache/cache.h: the gateway's object caches wired into GET/HEAD (issue 6).
 *
 * Memory cache (mcache.h) for whole objects up to [cache] mem_max_object, disk cache
 * (dcache.h) for larger ones up to disk_max_object when disk_dir is set, miss coalescing
 * (coalesce.h). Only single-record objects are cached (a chunked object's manifest is not).
 *
 * Coherence (docs/CACHE.md has the argument):
 *  - validate = true (default): every hit is checked with the key's coordinator by a `head`
 *    (no body moves); it is served only when ETag and clock equal the cached version, unless
 *    the last check is younger than ttl_ms (0 = check every hit). A write through any gateway
 *    changes the clock, so a hit never serves a version older than the one storage has.
 *  - validate = false: hits are served without a check until ttl_ms has passed since the
 *    last check (0 = no limit); other gateways' writes arrive through the manager's
 *    invalidation feed (heartbeat field inval_seq, op get_invalidations), so staleness is
 *    bounded by about one heartbeat period plus ttl_ms.
 *  - every put/delete this gateway sends to storage (PUT, DELETE, multi-delete, multipart
 *    completion, copy, ACL change: all go through gw_stor_send) invalidates the key before it
 *    is sent and again when it completes, so a reader after the answer never sees the old
 *    version; fills carry a ticket taken before their storage read and are refused when an
 *    invalidation happened in between.
 *  - disk-cache hits are always validated (they may predate a restart).
 *
 * Threads (issue 19): the memory and disk caches are the gateway's, shared by its workers
 * (struct gw_cache_shared; both are thread-safe); each worker has its own glue (gw_cache_t:
 * miss flights, validations in flight, disk jobs, counters) on its loop; disk I/O runs in
 * uv_queue_work jobs. Worker 0 alone follows the manager's invalidation feed; the feed
 * positions of every worker's own writes are shared (own_lock) so that none is dropped
 * again when the feed lists it back.
 */
#ifndef CAIRN_GATEWAY_CACHE_H
#define CAIRN_GATEWAY_CACHE_H

#include <pthread.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rpc.h"
#include "gateway/cache/dcache.h"
#include "gateway/cache/mcache.h"

typedef struct gw_server gw_server_t;
typedef struct gw_req gw_req_t;
typedef struct gw_cache gw_cache_t;

/** [cache] keys (struct gw_conf.cache; gateway/conf_keys.h). */
struct gw_cache_conf {
    uint64_t mem_capacity;
    uint64_t mem_max_object;
    char *disk_dir;
    uint64_t disk_capacity;
    uint64_t disk_max_object;
    int validate;
    uint64_t ttl_ms;
};

#define GW_CACHE_OWN_SEQS 256 /* own announcements remembered (feed positions) */

/** The caches every worker serves from: made by worker 0's gw_cache_start, used by the
 *  others' (workers.h). */
struct gw_cache_shared {
    int made;
    gw_mcache_t *mc;
    gw_dcache_t *dc;          /* NULL: no disk cache */
    pthread_mutex_t own_lock; /* guards own_seqs, own_next */
    uint64_t own_seqs[GW_CACHE_OWN_SEQS]; /* feed positions of this gateway's own writes */
    unsigned own_next;
};
void gw_cache_shared_init(struct gw_cache_shared *cs);

/** Counters kept by the glue (the caches keep their own, gw_cache_stats_t). Only uint64_t
 *  fields: gw_cache_counters sums the workers' as arrays. */
typedef struct gw_cache_counters {
    uint64_t validated_hits;    /* hits that needed a check */
    uint64_t validations;       /* heads sent to check them (one head checks every hit on
                                   its key that arrived before it was sent) */
    uint64_t validations_stale; /* ... that found another version (entry dropped) */
    uint64_t validation_errors; /* ... that failed (served from storage instead) */
    uint64_t served_mem, served_disk, bytes_served;
    uint64_t coalesced;         /* misses that waited behind another miss's read */
    uint64_t fills_mem, fills_disk;
    uint64_t invalidations_local, invalidations_remote, resets_remote;
} gw_cache_counters_t;

/** A cached version a GET/HEAD may be answered from (borrowed from the entry the request
 *  holds until it is freed). */
typedef struct gw_cache_hit {
    const gw_cache_info_t *info;
    cn_slice_t meta;
    cn_slice_t body;
} gw_cache_hit_t;
/** How a lookup ends, given by the caller of gw_cache_get: hit, or NULL for a miss (read
 *  storage; a fill may be armed: call gw_cache_get_done from the storage read's completion). */
typedef void (*gw_cache_answer_fn)(gw_req_t *r, const gw_cache_hit_t *hit);

/** Per-request cache state, owned by the object op (chunk.h gw_obj_op_t.cache). */
typedef struct gw_cache_req {
    gw_cache_answer_fn answer; /* the caller's, for lookups that end later */
    gw_mcache_ent_t *ent; /* referenced memory entry being validated or served */
    gw_cache_info_t dinfo; /* disk hit: the indexed version, validated before the read */
    uint64_t mticket, dticket;
    int fill;   /* fill the caches from this request's full storage GET */
    int leader; /* leads the miss flight of its key: must finish it */
    int disk;   /* the hit being validated is on disk */
    gw_dcache_obj_t *dobj; /* a disk hit being served */
    cn_slice_t body;       /* the cached body being served (in ent or dobj), else NULL */
} gw_cache_req_t;

/** Opens the caches from s->conf.cache (disk cache loaded from its directory) for worker 0,
 *  or joins them for another worker. 0 or a CN_E* code (a disk_dir that cannot be used). */
int gw_cache_start(gw_server_t *s);
/** Frees this worker's glue (once its running disk jobs are done); the caches themselves
 *  live as long as the process (another worker may still serve from them). */
void gw_cache_stop(gw_server_t *s);

/** Looks up r's object for a GET/HEAD (r->op is its gw_obj_op_t). Returns 0 when the caller
 *  must read storage now (a fill may then be armed: call gw_cache_get_done), 1 when the
 *  lookup goes on (a validation, a disk read, a coalesced miss) and ends with answer(r, hit)
 *  or answer(r, NULL) for a miss. */
int gw_cache_get(gw_req_t *r, gw_cache_answer_fn answer);
/** The full storage GET of r completed (status, resp as the RPC callback got them; resp is
 *  borrowed). Call first thing in the completion, before gw_req_rpc_done. Fills the caches
 *  and wakes coalesced waiters. */
void gw_cache_get_done(gw_req_t *r, int status, const cn_msg_t *resp);
/** Answers status with [off, off + len) of the cached body r's op serves (o->cache.body), sent
 *  from the cache's memory without a copy; the entry is held until the request is freed. */
void gw_cache_send_body(gw_req_t *r, int status, uint64_t off, uint64_t len);
/** Releases the per-request state (from the op's free); ends a flight it still leads. */
void gw_cache_req_dispose(gw_server_t *s, gw_cache_req_t *cr, cn_slice_t key);

/** Drops key from both caches (and bumps their generations). */
void gw_cache_invalidate(gw_server_t *s, const char *key, size_t keylen);
/** Drops everything. */
void gw_cache_clear(gw_server_t *s);
/** A put or delete of key is about to be sent (gw_obj_write_send, the one caller):
 *  invalidates key now and wraps (*cb, *arg) so that it is invalidated again on completion
 *  and announced to the manager's feed (cache_invalidate, fire and forget). Returns the
 *  wrapper (pass it to gw_cache_write_abort when the send fails without calling cb) or NULL. */
void *gw_cache_write_begin(gw_server_t *s, const char *key, size_t keylen, cn_rpc_done_fn *cb,
                           void **arg);
void gw_cache_write_abort(void *wrap);
/** Looks at a heartbeat reply of the manager: follows its invalidation feed. */
void gw_cache_on_heartbeat(gw_server_t *s, const cn_msg_t *resp);
/** Adds the cache counters to a heartbeat for the manager (cache_mem_hits, cache_mem_misses,
 *  cache_mem_bytes, cache_mem_entries, cache_mem_evictions, the same with cache_disk_, and
 *  cache_validations, cache_validations_stale, cache_coalesced). */
void gw_cache_heartbeat_fields(gw_server_t *s, cn_msg_t *m);
/** Appends the Prometheus text of the cache counters. */
void gw_cache_metrics_write(gw_server_t *s, cn_buf_t *out);
void gw_cache_counters(gw_server_t *s, gw_cache_counters_t *out, gw_cache_stats_t *mem,
                       gw_cache_stats_t *disk);

#endif
