/*
 * gateway/cache/dcache.h: the gateway's disk cache of whole objects (LeoFS leo_dcerl idea), for
 * objects too big for the memory cache (up to max_object, default 64 MiB).
 *
 * One file per object in the cache directory, named by a hash of the key, written to a temp
 * file and renamed into place. Each file is a 64-byte header (magic, lengths, the version:
 * clock, mtime, size, flags; CRC32C of header+key+meta+etag and CRC32C of the body) followed
 * by key, meta, etag and body (the format is in dcache.c). The in-memory index (key -> file,
 * version, LRU position) is rebuilt at start by reading every header: a file whose header,
 * key or length does not check out is deleted. Every read verifies the whole file again; a
 * corrupt or truncated file is dropped and reported as CN_ECORRUPT, never served.
 *
 * Fills use the same ticket scheme as mcache.h (an invalidation between the storage read and
 * the put makes the put fail with CN_ESTALE).
 *
 * Threads: every function is thread-safe; the index is under one mutex, file I/O runs outside
 * it. The calls do blocking file I/O: a loop thread runs them through uv_queue_work.
 */
#ifndef CAIRN_GATEWAY_DCACHE_H
#define CAIRN_GATEWAY_DCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "gateway/cache/mcache.h"

typedef struct gw_dcache gw_dcache_t;

typedef struct gw_dcache_opts {
    const char *dir;           /* created when missing */
    uint64_t capacity_bytes;   /* sum of file sizes kept */
    uint64_t max_object_bytes; /* larger bodies are refused with CN_E2BIG */
} gw_dcache_opts_t;

/** An object read back from the disk cache; owned by the caller (gw_dcache_obj_free). */
typedef struct gw_dcache_obj {
    gw_cache_info_t info;
    cn_slice_t key, meta, body; /* inside one buffer owned by the object */
    void *_buf;
} gw_dcache_obj_t;

/** Opens (creating) the directory and loads the index from the files there; files that fail
 *  their header check and leftover temp files are deleted; if the files exceed the capacity,
 *  the oldest (by mtime) are evicted. Returns 0, or a CN_E* code when the directory cannot be
 *  made or read. */
int gw_dcache_open(const gw_dcache_opts_t *opts, gw_dcache_t **out);
void gw_dcache_close(gw_dcache_t *dc);

/** Reads key. Returns 0 with *out, CN_ENOENT (not cached), CN_ECORRUPT (the file failed its
 *  checks: it was deleted and counted) or an I/O error. Counts a hit or a miss. */
int gw_dcache_get(gw_dcache_t *dc, cn_slice_t key, gw_dcache_obj_t **out);
/** Looks key up in the index only (no file I/O): 1 and *info when indexed, else 0. */
int gw_dcache_peek(gw_dcache_t *dc, cn_slice_t key, gw_cache_info_t *info);
void gw_dcache_obj_free(gw_dcache_obj_t *o);

uint64_t gw_dcache_ticket(gw_dcache_t *dc);
/** Writes (info, meta, body) under key, replacing any older version, and evicts the least
 *  recently used files past capacity. Returns 0, CN_E2BIG, CN_ESTALE (invalidated since
 *  ticket, or a newer clock is cached) or an I/O error (nothing kept). */
int gw_dcache_put(gw_dcache_t *dc, cn_slice_t key, const gw_cache_info_t *info, cn_slice_t meta,
                  cn_slice_t body, uint64_t ticket);
/** Drops key; returns 1 when a file was dropped. */
int gw_dcache_invalidate(gw_dcache_t *dc, cn_slice_t key);
void gw_dcache_clear(gw_dcache_t *dc);
void gw_dcache_stats(gw_dcache_t *dc, gw_cache_stats_t *out);
/** The file that holds key (whether or not it exists), for tests: dir/<hex>.obj. */
void gw_dcache_path(gw_dcache_t *dc, cn_slice_t key, char *out, size_t outlen);

#endif
