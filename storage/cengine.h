/*
 * storage/cengine.h: internals of the container engine shared by its files
 * (engine_container.c, writer.c, recover.c, compact.c, scrub.c). Not for other modules.
 *
 * Lock order: container commit -> container swap -> module locks (compactor, scrubber).
 * A thread holds at most one container's locks at a time.
 */
#ifndef CAIRN_STORAGE_CENGINE_H
#define CAIRN_STORAGE_CENGINE_H

#include <pthread.h>
#include <stdint.h>

#include "storage/container.h"
#include "storage/engine.h"
#include "storage/index.h"

#define CENG_MAGIC 0x43454e47u /* "CENG" */
#define STOR_DEFAULT_CONTAINERS 8
#define STOR_DEFAULT_GRACE_MS (7ull * 24 * 3600 * 1000)

struct stor_compactor;
struct stor_scrubber;

struct cengine {
    uint32_t magic;
    stor_index_t *ix;
    uint32_t k;                     /* containers, fixed at creation */
    stor_container_t **c;
    int sync;                       /* 1: fdatasync before the ack */
    uint64_t grace_ms, compact_rate, scrub_rate, scrub_interval_ms;
    uint32_t compact_auto_pct;
    stor_repair_fn repair;
    void *repair_arg;
    struct stor_compactor *comp;
    struct stor_scrubber *scrub;
};

/** A write waiting for its group commit (storage/writer.c). */
struct stor_wreq {
    struct stor_wreq *next;
    cn_slice_t key, meta, body;
    stor_rec_hdr_t h;
    uint8_t hdr[STOR_REC_HDR];
    int is_del;
    int was_live;                   /* delete: a live version was replaced */
    int rc;
    int done;
};

/** The container of key. */
uint32_t stor__route(const struct cengine *ce, cn_slice_t key);
/** Appends r (a put or a tombstone) through c's group commit; returns r->rc. Blocks until the
 *  batch holding r is durable and indexed. */
int stor__commit(struct cengine *ce, stor_container_t *c, struct stor_wreq *r);

/** Recovery of one container on open: re-index the records past its checkpoint (all of them
 *  when full), cut a torn or bad tail. Caller holds nothing; runs before any other thread. */
int stor__recover(struct cengine *ce, stor_container_t *c, int full);
/** Finishes or rolls back a compaction interrupted by a crash (before stor_container_open). */
int stor__compact_fixup(stor_index_t *ix, const char *dir, uint32_t cid);

int stor__compactor_start(struct cengine *ce);
void stor__compactor_stop(struct cengine *ce);
int stor__compact_cmd(struct cengine *ce, int cmd, uint32_t n, stor_compact_status_t *st);

int stor__scrubber_start(struct cengine *ce);
void stor__scrubber_stop(struct cengine *ce);
int stor__scrub_cmd(struct cengine *ce, int cmd, stor_scrub_status_t *st);

/** Marks key's entry bad when it still points at (cid, gen, off), logs and calls the repair
 *  hook. Takes c->commit. */
void stor__mark_bad(struct cengine *ce, stor_container_t *c, cn_slice_t key, uint32_t gen,
                    uint64_t off);

/** Sleeps so that bytes done since t0_ms stay under rate bytes/s (0: no limit). */
void stor__throttle(uint64_t rate, uint64_t bytes, uint64_t t0_ms);

#endif
