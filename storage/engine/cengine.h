/*
 * storage/engine/cengine.h: internals of the container engine shared by its files
 * (engine_container.c, writer.c, replay.c, compact.c, scrub.c). Not for other modules.
 *
 * Lock order: engine queue lock (alone) | container commit -> container swap -> module locks
 * (compactor, scrubber). Only the group-commit leader holds several containers' commit
 * locks, always taken in ascending cid order; every other thread holds at most one
 * container's locks at a time and never waits for the leader while holding one.
 */
#ifndef CAIRN_STORAGE_CENGINE_H
#define CAIRN_STORAGE_CENGINE_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>

#include "storage/engine/container.h"
#include "storage/engine/engine.h"
#include "storage/engine/index.h"

#define CENG_MAGIC 0x43454e47u /* "CENG" */
#define STOR_DEFAULT_CONTAINERS 8
#define STOR_DEFAULT_GRACE_MS (7ull * 24 * 3600 * 1000)

struct stor_compactor;
struct stor_scrubber;
struct stor_wpool;
struct stor_wreq;
struct stor_cgroup;

struct cengine {
    uint32_t magic;
    stor_index_t *ix;
    uint32_t k;                     /* containers, fixed at creation */
    stor_container_t **c;
    int sync;                       /* 1: fdatasync before the ack */
    uint64_t grace_ms, compact_rate, scrub_rate, scrub_interval_ms;
    uint32_t compact_auto_pct;
    uint64_t compact_auto_min, compact_auto_interval_ms;
    uint32_t ndirs;                 /* container i lives in container dir i % ndirs */
    uint64_t min_free;              /* opts.min_free: refuse puts below this free space */
    char *index_path;               /* the index directory (free space checks) */
    int full;                       /* the last batch found a file system full (leader's) */
    uint64_t *compacted_ms;         /* k: start of each one's last compaction (compactor's) */
    stor_repair_fn repair;
    void *repair_arg;
    struct stor_compactor *comp;
    struct stor_scrubber *scrub;
    /* the group commit (storage/engine/writer.c): one queue and one leader for all containers */
    pthread_mutex_t qlock;          /* guards qhead, qtail, leader */
    pthread_cond_t qcond;           /* unused since the per-writer hand-off (writer.c) */
    struct stor_wreq *qhead, **qtail;
    int leader;
    struct stor_cgroup *grp;        /* k per-container parts of a batch: the leader's alone */
    uint32_t *touched;              /* k: cids of the batch's containers (leader's) */
    stor_index_batch_t *ib;         /* the leader's WriteBatch, cleared after each batch */
    uint64_t jseq;                  /* the last change-journal seq given (issue 22): the
                                     * replay's on open, then the commit leader's */
    cn_buf_t val;                   /* the leader's index lookup buffer */
    struct stor_wpool *pool;        /* helper threads: parallel appends and fdatasyncs */
    uint64_t batches;               /* batches committed (the leader's) */
};

/** A write waiting for its group commit (storage/engine/writer.c). */
struct stor_wreq {
    struct stor_wreq *next;         /* the engine queue / the batch */
    struct stor_wreq *gnext;        /* the batch's writes of the same container */
    stor_container_t *c;
    uint64_t off;                   /* where the leader appended it */
    cn_slice_t key, meta, body;
    stor_rec_hdr_t h;
    uint8_t hdr[STOR_REC_HDR];
    int is_del;
    int was_live;                   /* delete: a live version was replaced */
    stor_engine_prev_t *prev;       /* NULL, or filled by the leader: what this put replaced */
    int rc;
    int done;                       /* set by the leader before it posts wake */
    sem_t wake;                     /* posted when done, or to make this writer the leader */
};

/** The container of key. */
uint32_t stor__route(const struct cengine *ce, cn_slice_t key);
/** Appends r (a put or a tombstone) to c through the engine's group commit; returns r->rc.
 *  Blocks until the batch holding r is durable and indexed. */
int stor__commit(struct cengine *ce, stor_container_t *c, struct stor_wreq *r);
/** As stor__commit for n writes (r[i] to c[i]) queued together, so that they land in the
 *  same batch: one append and one fdatasync per container for all of them. Sets each
 *  r[i].rc; blocks until they are durable and indexed. */
void stor__commit_many(struct cengine *ce, stor_container_t **c, struct stor_wreq *r, size_t n);
/** Sets up / tears down the group commit (queue, scratch, helper threads) of ce, whose k
 *  and containers are known. stop runs after every writer has returned; safe on a partly
 *  started engine. */
int stor__writer_start(struct cengine *ce);
void stor__writer_stop(struct cengine *ce);

/** Reads e's whole record from c (e->gen must be c's: the caller holds c->commit or
 *  c->swap) and appends its body to body_out after checking the header against e and the
 *  record's checksum: 0, CN_ECORRUPT, or an errno code. Marks nothing. */
int stor__read_full(const stor_container_t *c, const stor_ientry_t *e, cn_slice_t key,
                    cn_buf_t *body_out);

/** Crash recovery of one container on open (storage/engine/replay.c): re-index the records past its
 *  checkpoint (all of them when full), cut a torn or bad tail. Caller holds nothing; runs
 *  before any other thread. */
int stor__replay(struct cengine *ce, stor_container_t *c, int full);
/** Finishes or rolls back a compaction interrupted by a crash (before stor_container_open). */
int stor__compact_fixup(stor_index_t *ix, const char *dir, uint32_t cid);

/** The tombstone drop guard (storage/engine/compact.c): load at open; set after a compaction of cid
 *  that started (stamped under its commit lock) at start_ms; 1 when every container but cid
 *  finished a compaction that started after t_ms. Compactor thread (and open) only. */
void stor__compacted_load(struct cengine *ce);
void stor__compacted_set(struct cengine *ce, uint32_t cid, uint64_t start_ms);
int stor__others_compacted_after(const struct cengine *ce, uint32_t cid, uint64_t t_ms);

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
