/*
 * gateway/logs/log_queue.h: the on-disk queue of access log records waiting for delivery
 * (log_queue.c). The queue is a directory of segment files, one open segment per target
 * (bucket and prefix) at a time; a sealed segment is one batch, delivered as one log object
 * and then removed. A segment file is a sequence of framed records
 *   u32le length | u32le crc32c(payload) | payload
 * whose first payload is the segment's header ("cairn-alog 1\n<bucket>\n<prefix>\n<seconds>")
 * and each next one a log line. A torn or corrupt record ends the segment: what follows it
 * is never read (a crash in the middle of a write loses that record only).
 *
 * Durability: records are written (write(2)) as they come, and gw_logq_sync fsyncs the open
 * segments that changed, through libuv's threadpool, so the loop never waits on the disk;
 * the gateway calls it once a second. Loop thread only.
 */
#ifndef CAIRN_GATEWAY_LOG_QUEUE_H
#define CAIRN_GATEWAY_LOG_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"

#define GW_LOGQ_FRAME_HDR 8
#define GW_LOGQ_RECORD_MAX (64u << 10) /* a payload longer than this is corrupt */

typedef struct gw_logq_seg {
    uint64_t seq;         /* file name: %016llx.q */
    char *bucket;         /* target bucket and prefix (owned) */
    char *prefix;
    int64_t created_s;    /* Unix seconds of its first record (the log object's name) */
    uint64_t bytes;       /* file size */
    uint64_t nrecs;       /* log lines in it */
    int fd;               /* -1 once closed */
    int sealed;           /* no more appends: a batch to deliver */
    int busy;             /* being delivered: not dropped */
    int dirty;            /* written since the last fsync */
    int syncing;          /* an fsync is in the threadpool: fd stays open until it ends */
    int doomed;           /* removed while syncing: freed when the fsync ends */
    uv_fs_t fsreq;
    struct gw_logq *q;
    struct gw_logq_seg *next;
} gw_logq_seg_t;

typedef struct gw_logq {
    uv_loop_t *loop;
    char *dir;
    uint64_t next_seq;
    uint64_t bytes;            /* all segment files */
    gw_logq_seg_t *segs;       /* every segment, oldest first */
} gw_logq_t;

/** Appends one framed record (payload p[0..n)) to out. */
void gw_logq_frame(cn_buf_t *out, const void *p, size_t n);
/** The record at *off of buf[0..len): 1 with *rec (pointing into buf) and *off past it; 0 at
 *  the end; CN_ECORRUPT for a torn or damaged record (*off unchanged). Pure. */
int gw_logq_next(const char *buf, size_t len, size_t *off, cn_slice_t *rec);
/** Reads a segment header payload: 0 with bucket and prefix (cn_free them) and *created_s,
 *  or CN_ECORRUPT. Pure. */
int gw_logq_header_parse(cn_slice_t h, char **bucket, char **prefix, int64_t *created_s);

/** Opens the queue in dir (created when missing): every segment file there is taken as a
 *  sealed batch (what a previous run left: replayed); an unreadable or empty one is removed
 *  with a warning. 0 or a CN_E* code. */
int gw_logq_open(gw_logq_t *q, uv_loop_t *loop, const char *dir);
/** The open segment of (bucket, prefix), or NULL. */
gw_logq_seg_t *gw_logq_find_open(gw_logq_t *q, const char *bucket, const char *prefix);
/** Appends line to seg, or to a new open segment of (bucket, prefix) when seg is NULL
 *  (*out gets it). 0, or a CN_E* code (nothing written then: a full disk). */
int gw_logq_append(gw_logq_t *q, gw_logq_seg_t *seg, const char *bucket, const char *prefix,
                   int64_t now_s, const char *line, size_t len, gw_logq_seg_t **out);
/** Seals seg: no more appends; its file is synced (threadpool) and closed. */
void gw_logq_seal(gw_logq_seg_t *seg);
/** fsyncs every open segment written since its last sync (threadpool; not waited for). */
void gw_logq_sync(gw_logq_t *q);
/** Reads seg's lines, concatenated, into out (reset first). 0 or a CN_E* code. */
int gw_logq_read(gw_logq_seg_t *seg, cn_buf_t *out);
/** Removes seg's file and frees it (later, if an fsync of it is still running). */
void gw_logq_remove(gw_logq_seg_t *seg);
/** A clean stop: fsyncs and closes every open segment now (blocking), frees the list. The
 *  files stay for the next gw_logq_open. Call once the loop no longer runs syncs. */
void gw_logq_close(gw_logq_t *q);

#endif
