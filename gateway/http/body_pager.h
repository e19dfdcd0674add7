/*
 * gateway/http/body_pager.h: keeps the request bodies h2o buffers out of the gateway's resident
 * memory.
 *
 * h2o 2.2 (HTTP/1) calls a handler only once the whole request body has arrived. A socket
 * buffer over h2o_socket_buffer_mmap_settings.threshold lives in an unlinked temp file that
 * h2o maps MAP_SHARED; every page read into it stays mapped, so a 2 GiB PUT used to count
 * 2 GiB of RSS. The pager names those temp files GW_BODY_FILE_PREFIX in the gateway's tmp_dir,
 * lowers the threshold to GW_BODY_MMAP_THRESHOLD, and every GW_BODY_TRIM_MS, on the loop
 * thread, finds the files' mappings in /proc/self/maps and drops their pages from the process
 * with madvise(MADV_DONTNEED). For a shared file mapping that loses nothing: the bytes stay in
 * the file (page cache) and are faulted back when touched. Worker 0's timer also gives the
 * heap's free pages back every GW_HEAP_TRIM_MS (malloc_trim): smaller bodies and their RPC
 * frames live in the heap (gateway/main.c's mmap threshold).
 *
 * Threads: one pager per worker (gateway/workers.h), on its loop thread. h2o maps, grows
 * and frees these buffers on the loop thread too, and a worker's files carry its index in
 * their names (cairn-gw-body.<worker>.), so no mapping the pager found can change while it
 * works on it.
 */
#ifndef CAIRN_GATEWAY_BODY_PAGER_H
#define CAIRN_GATEWAY_BODY_PAGER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/hash.h"

#define GW_BODY_FILE_PREFIX "cairn-gw-body."
#define GW_BODY_MMAP_THRESHOLD (4u << 20) /* bodies over 4 MiB go to a temp file */
#define GW_BODY_TRIM_MS 100
#define GW_HEAP_TRIM_MS 1000 /* worker 0's timer gives the heap's free pages back (malloc_trim) */
#define GW_BODY_STEP (32u << 20) /* gw_body_md5/sha256 release the body every 32 MiB */

/* The trimming timer, owned by whoever started it (the gateway's server). h2o's mmap
 * settings that gw_body_pager_start sets are h2o's own process-wide globals. */
typedef struct gw_body_pager {
    uv_timer_t timer;
    int timer_on;
    unsigned worker; /* whose files it trims */
    unsigned ticks;  /* of the timer: worker 0 trims the heap every GW_HEAP_TRIM_MS */
    void *ms;        /* h2o_buffer_mmap_settings_t of a worker past 0 (h2o's for worker 0) */
} gw_body_pager_t;

/** Points the calling thread's h2o body temp files at dir ("" or NULL: $TMPDIR, else /tmp;
 *  created, mode 0700, when missing but its parent exists), named for worker, and starts the
 *  trim timer on loop (unreferenced: it does not keep the loop alive). Call on the worker's
 *  thread. 0, CN_ENAMETOOLONG, CN_ENOENT (not a directory), or the mkdir error. */
int gw_body_pager_start(gw_body_pager_t *bp, uv_loop_t *loop, const char *dir,
                        unsigned worker);
/** Drops the resident pages of every h2o body file of worker now (on its thread); returns
 *  the bytes of mappings trimmed. */
size_t gw_body_pager_trim(unsigned worker);
/** Stops the timer (the h2o settings stay). */
void gw_body_pager_stop(gw_body_pager_t *bp);

/** Drops the resident pages of [p, p + len) when that range lies in an h2o body file mapping;
 *  a no-op for anything else (a malloc'd body is never touched). For the chunked PUT path,
 *  once a chunk has been copied out. */
void gw_body_pager_release(const void *p, size_t len);
/** 1 when p lies in an h2o body file mapping, with the mapping's bounds in *lo and *hi (the
 *  mapping starts with h2o's buffer header, then the bytes that arrived: over HTTP/1 the
 *  request head, then the body); else 0. Reads /proc/self/maps. Any thread: the caller keeps
 *  the mapping alive (its request is not disposed of meanwhile). */
int gw_body_pager_map(const void *p, uintptr_t *lo, uintptr_t *hi);
/** The digests in want (CN_HASH_*, common/hash.h) of a request body p[0, n) in ONE pass of
 *  CN_HASH_STEP steps (each step fed to every digest while it is in cache) and, when
 *  chunk_md5 is given and n > chunk_size, the MD5 of each chunk_size slice into chunk_md5
 *  (ceil(n / chunk_size) entries) from the same steps. A body in an h2o body file is released
 *  behind every GW_BODY_STEP hashed, so that hashing a 2 GiB body does not make it resident.
 *  Any thread (issue 19: the gateway hashes large bodies on libuv's thread pool): it reads
 *  /proc/self/maps and madvises only [p, p + n), whose mapping the caller keeps alive (its
 *  request is not disposed of meanwhile). */
void gw_body_hashes(const void *p, size_t n, unsigned want, size_t chunk_size,
                    uint8_t (*chunk_md5)[CN_MD5_LEN], cn_hashes_t *out);
/** gw_body_hashes of MD5 / SHA-256 alone. Same results as cn_md5 / cn_sha256. */
void gw_body_md5(const void *p, size_t n, uint8_t out[CN_MD5_LEN]);
void gw_body_sha256(const void *p, size_t n, uint8_t out[CN_SHA256_LEN]);

#endif
