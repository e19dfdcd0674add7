/*
 * storage/cluster/cluster.h: internals shared by the cluster side of cairn-storage: storage/cluster/cluster.c
 * (rings, levels, peers, versions, async engine calls, fan-out reads), storage/cluster/replicator.c
 * (the coordinator of put/delete/get/head), storage/cluster/repair_q.c (the persistent repair queue
 * and its worker) and storage/cluster/recoverer.c (recover_*, rebalance walk, whereis).
 * Not for other folders: the contract between daemons is docs/PROTOCOL.md, "Replication".
 *
 * Threads: everything here runs on the main loop; engine calls go to the libuv pool through
 * stor_local_read/stor_local_write and come back on the loop (with CN_ECANCELED when the
 * job never ran, then possibly before the call returns: common/work.h).
 * Rings: s->ring_cur/s->ring_prev are replaced whole at any loop turn, so nothing keeps a
 * cn_ring_node_t pointer across a callback: owners are copied by name (stor_owners_t) and
 * peers are looked up by name at call time.
 */
#ifndef CAIRN_STORAGE_CLUSTER_H
#define CAIRN_STORAGE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "common/proto.h"
#include "common/wcond.h"
#include "storage/storage.h"

/* ops added by the cluster side (docs/PROTOCOL.md, "Replication") */
#define STOR_OP_WHEREIS "whereis"
#define STOR_OP_WHEREIS_KEYS "whereis_keys"
#define STOR_WHEREIS_KEYS_MAX 4096 /* keys one whereis_keys asks about at most */
#define STOR_WHEREIS_ENT 21        /* bytes of its answer per key (recoverer.c) */
#define STOR_OP_MQ_STATS "mq_stats"
#define STOR_OP_MQ_SUSPEND "mq_suspend"
#define STOR_OP_MQ_RESUME "mq_resume"
#define STOR_OP_RECOVER_FILE "recover_file"
#define STOR_OP_RECOVER_NODE "recover_node"
#define STOR_OP_RECOVER_CONSISTENCY "recover_consistency"
#define STOR_OP_RECOVER_STATUS "recover_status"
#define STOR_OP_REBALANCE_STATUS "rebalance_status"
#define STOR_OP_MOVE "move"
#define STOR_OP_FRAG_HANDOFF "frag_handoff"
#define STOR_OP_RANGE_HASH "range_hash"

#define STOR_NAME_MAX CN_RING_NAME_MAX
#define STOR_READ_SET_MAX (2 * CN_RING_MAX_REPLICAS)

/** Why a repair was queued (persisted as a byte: never renumber). */
enum stor_reason {
    STOR_R_REPLICATE = 0, /* a replica write failed or timed out (hinted handoff) */
    STOR_R_READ = 1,      /* read repair */
    STOR_R_FILE = 2,      /* recover_file */
    STOR_R_NODE = 3,      /* recover_node */
    STOR_R_REBALANCE = 4, /* the ring changed: push to a new owner */
    STOR_R_SCRUB = 5,     /* scrub or a read found the local record corrupt */
    STOR_R_CONSISTENCY = 6, /* recover_consistency found a difference */
    STOR_R_COUNT
};
const char *stor_reason_name(int reason);

/* ---- versions ----------------------------------------------------------------------- */

/** One version of a key as read locally or from a peer; owns its bytes. */
typedef struct stor_version {
    int rc;                 /* 0 found (live or tombstone), CN_ENOENT, CN_ECORRUPT, or error */
    stor_obj_meta_t m;      /* m.meta points into meta */
    cn_buf_t meta, body;    /* body: the requested range (all of it for repairs) */
} stor_version_t;

void stor_version_init(stor_version_t *v);
void stor_version_dispose(stor_version_t *v);
/** 1 when v holds a version (live or tombstone). */
static inline int stor_version_found(const stor_version_t *v)
{
    return v->rc == 0;
}
/** Reads key's version from the engine as stor_local_read does, on the calling thread (the
 *  thread pool): tombstones and bad versions too; with want_body the range [off, off+len). */
void stor_version_read(stor_engine_t *e, cn_slice_t key, int want_body, uint64_t off,
                       uint64_t len, stor_version_t *v);
/** Fills v from a get/head answer of a peer (asked with replica=1, so a tombstone is rc 0
 *  with CN_OBJ_TOMBSTONE). status is the call status; takes resp's body; frees nothing. */
void stor_version_from_msg(stor_version_t *v, int status, cn_msg_t *resp);
/** The replica write of a version: put (live) or delete (tombstone) with replica = 1 and the
 *  same clock, etag, meta, flags, size, mtime and body (copied). */
cn_msg_t *stor_write_msg(cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body);

/* ---- owners ------------------------------------------------------------------------- */

typedef struct stor_owners {
    size_t n;
    char name[STOR_READ_SET_MAX][STOR_NAME_MAX];
} stor_owners_t;

/** key's first n owners on r (empty when r is NULL). */
void stor_owners_of(const cn_ring_t *r, cn_slice_t key, size_t n, stor_owners_t *out);
int stor_owners_has(const stor_owners_t *o, const char *name);
/** Adds name unless present or full. */
void stor_owners_add(stor_owners_t *o, const char *name);
/** Every node that may hold key: its N owners on cur, then its owners on prev not already
 *  listed; without the names equal to skip1/skip2 (may be NULL). */
void stor_read_set(const struct stor_server *s, cn_slice_t key, const char *skip1,
                   const char *skip2, stor_owners_t *out);
/** 1 when this node is one of key's N owners on the current ring. */
int stor_is_owner(const struct stor_server *s, cn_slice_t key);
static inline const char *stor_self(const struct stor_server *s)
{
    return s->conf->name;
}

/* ---- peers -------------------------------------------------------------------------- */

/** Calls the peer named name (found on ring cur, else prev) with req (taken). Returns 0 and
 *  cb runs later exactly once, or CN_EUNAVAIL (unknown name, stopping) and cb never runs. */
int stor_peer_call(struct stor_server *s, const char *name, cn_msg_t *req, uint64_t timeout_ms,
                   cn_rpc_done_fn cb, void *arg);
/** 1 when name is a member of ring cur or prev. */
int stor_peer_known(const struct stor_server *s, const char *name);
/** Keeps the ring members the manager's last heartbeat reply reported out of service
 *  (field `down`, comma-joined: stop, restarted or suspend); NULL or "" = none. */
void stor_cluster_set_down(struct stor_server *s, const char *csv);
/** 1 when the manager's last heartbeat reply reported name out of service. */
int stor_peer_down(const struct stor_server *s, const char *name);
/** How many of a key's holders a read may leave unasked and still see every acked version:
 *  an acked put is on W owners and an acked delete on D, so min(W, D, N) - 1. */
size_t stor_read_may_skip(const struct stor_server *s);

/* ---- local engine calls (thread pool) ----------------------------------------------- */

/* want_body STOR_BODY_IF_MANIFEST: the body only when the version is a chunk manifest */
#define STOR_BODY_IF_MANIFEST 2
/** Reads key's version (tombstones and bad versions included, see stor_engine_stat); with
 *  want_body the body range [off, off+len) too. cb gets v (owned by cb: dispose and free). */
typedef void (*stor_read_cb)(struct stor_server *s, stor_version_t *v, void *arg);
void stor_local_read(struct stor_server *s, cn_slice_t key, int want_body, uint64_t off,
                     uint64_t len, stor_read_cb cb, void *arg);
/** Writes a version: put, or delete with m->clock when m->flags has CN_OBJ_TOMBSTONE. key,
 *  m (with m->meta) and body are borrowed until cb. cb gets the engine's rc (0, CN_ESTALE,
 *  CN_ENOENT for a delete of nothing live, or an error). */
typedef void (*stor_write_cb)(struct stor_server *s, int rc, void *arg);
void stor_local_write(struct stor_server *s, cn_slice_t key, const stor_obj_meta_t *m,
                      cn_slice_t body, stor_write_cb cb, void *arg);
/** A put (m->flags without CN_OBJ_TOMBSTONE) as stor_local_write that also says what it
 *  replaced, from the engine's own lookup under its commit lock (stor_engine_put_prev): cb
 *  gets the rc and prev (owned by cb: dispose and free), whose rc is 0 (a version, tombstone
 *  included; the body for a live chunk manifest), CN_ENOENT (none) or CN_ECORRUPT; prev means
 *  something only when rc is 0. */
typedef void (*stor_write_prev_cb)(struct stor_server *s, int rc, stor_version_t *prev,
                                   void *arg);
void stor_local_put_prev(struct stor_server *s, cn_slice_t key, const stor_obj_meta_t *m,
                         cn_slice_t body, stor_write_prev_cb cb, void *arg);
/** Writes a change-journal entry for key alone (storage/xdc/xdc.h: the coordinator's when
 *  the node that was to journal a client's write did not store it); cb gets the rc. */
void stor_local_journal(struct stor_server *s, cn_slice_t key, uint64_t clock, uint32_t flags,
                        stor_write_cb cb, void *arg);
/** Drops key's version when its clock is clock (rebalance); cb gets the rc. */
void stor_local_drop(struct stor_server *s, cn_slice_t key, uint64_t clock, stor_write_cb cb,
                     void *arg);

/* ---- fan-out reads ------------------------------------------------------------------ */

/** Asks several peers for key at once (get or head with replica = 1) and calls cb once all
 *  have answered or failed. res[i].v.rc is the call status or the answer's rc. */
typedef struct stor_gather {
    uint32_t magic;
    struct stor_server *s;
    cn_buf_t key;
    size_t n, pending;
    struct {
        char name[STOR_NAME_MAX];
        stor_version_t v;
    } res[STOR_READ_SET_MAX];
    void (*cb)(struct stor_gather *g, void *arg);
    void *arg;
} stor_gather_t;

/** op is CN_OP_GET or CN_OP_HEAD; off/len a body range for get. cb owns g (stor_gather_free).
 *  With no names, cb runs on the next loop turn. */
void stor_gather_start(struct stor_server *s, cn_slice_t key, const stor_owners_t *names,
                       const char *op, uint64_t off, uint64_t len,
                       void (*cb)(stor_gather_t *g, void *arg), void *arg);
/** A gather of HEADs of key from every node of its read set but this one (owners on cur,
 *  then on prev during a rebalance): what the others hold beside this node's own copy. */
void stor_gather_heads(struct stor_server *s, cn_slice_t key,
                       void (*cb)(stor_gather_t *g, void *arg), void *arg);
/** Index of the newest version found (-1: none). */
int stor_gather_best(const stor_gather_t *g);
/** The newest version among this node's copy (local) and a gather's answers (g may be NULL),
 *  and in *answered how many of owners answered (found or not found: a copy they know), so a
 *  caller can tell whether enough of them were read (stor_cond_need). NULL: none found. */
const stor_version_t *stor_gather_newest(const struct stor_server *s,
                                         const stor_owners_t *owners,
                                         const stor_version_t *local, const stor_gather_t *g,
                                         size_t *answered);
void stor_gather_free(stor_gather_t *g);

/* ---- erasure-coded fragments (storage/cluster/frag_rebuild.c) --------------------------- */

/** Rebuilds the fragment key (a key cn_frag_key_parse accepts) from its chunk's other
 *  fragments, read from their owners (ring cur, and prev). cb gets v (owned: dispose and
 *  free): rc 0 with the rebuilt record (m: the write's clock and mtime, body: header and
 *  payload) or a tombstone newer than every write that has K good fragments; CN_ENOENT when
 *  no owner holds any of the chunk's fragments; CN_EUNAVAIL when some answered but fewer than
 *  K good fragments of one write did. */
void stor_frag_rebuild(struct stor_server *s, cn_slice_t key, stor_read_cb cb, void *arg);
/** The op frag_handoff {key, target}: queues (key, target) and answers once persistent.
 *  Returns 1 when req was this op (answered), 0 otherwise. */
int stor_frag_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);
/** recover_node's part for a fragment key this node holds: appends to keys (u32 length +
 *  key, repeated) the keys of the same chunk's fragments owned by target that this node is
 *  one of the two nodes to rebuild, and returns how many. 0 for any other key. */
size_t stor_frag_recover_targets(const struct stor_server *s, cn_slice_t key,
                                 const char *target, cn_buf_t *keys);

/* ---- recover-cluster's comparison (storage/cluster/range_hash_op.c) --------------------- */

/** The op range_hash (docs/PROTOCOL.md): this node's summary, or list, of the versions under
 *  a prefix in a range of hash positions (common/range_hash.h) whose first owner on ring cur it
 *  is, walked on the thread pool. Returns 1 when req was this op (it is answered, now or
 *  later), 0 otherwise. */
int stor_range_hash_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);

/* ---- object lock (storage/cluster/lock_check.c) ------------------------------------------ */

/** 1 when key can hold a lock: an object's key or version (not an internal key "\x01...")
 *  of a bucket with Object Lock, or of one this node's bucket table does not know yet. */
int stor_lock_applies(const struct stor_server *s, cn_slice_t key);
typedef void (*stor_lock_done_fn)(struct stor_server *s, int rc, void *arg);
/** A coordinator's check before a delete of key (owners: its cur owners): the newest version on
 *  the read set, read from enough owners, is not locked against it (common/objlock.h; bypass:
 *  the request bypasses GOVERNANCE). cb gets 0, CN_EPERM (locked) or CN_EUNAVAIL (too few
 *  owners answered to know). Main loop. */
void stor_lock_check(struct stor_server *s, cn_slice_t key, const stor_owners_t *owners,
                     int bypass, stor_lock_done_fn cb, void *arg);
/** The guard of a write no client coordinated (the delete-bucket job): CN_EPERM when this
 *  node's copy of key is locked against a delete, else 0. Engine thread. */
int stor_lock_guard(stor_engine_t *e, cn_slice_t key);

/* ---- the lifecycle worker (storage/cluster/lifecycle.c) ------------------------------------ */

/** What the lifecycle worker did since this node started (lifecycle_status, /metrics). */
typedef struct stor_lc_stats {
    uint64_t passes;           /* passes over the index completed */
    uint64_t scanned;          /* index entries looked at */
    uint64_t visited;          /* objects and upload markers visited */
    uint64_t expired;          /* current versions expired (deleted or given a delete marker) */
    uint64_t versions_deleted; /* noncurrent versions deleted */
    uint64_t markers_deleted;  /* expired object delete markers deleted */
    uint64_t uploads_aborted;  /* incomplete multipart uploads aborted */
    uint64_t errors;           /* actions or reads that failed (retried by the next pass) */
    int resumed;               /* this node's first pass resumed a saved position */
    int running;               /* a pass is in progress */
    uint64_t last_pass_ms;     /* when the last pass ended (0: none yet) */
    size_t cursor_len;         /* 0: between passes */
} stor_lc_stats_t;

/** Starts the worker (after the repair queue: it reads its saved position there). 0. */
int stor_lc_start(struct stor_server *s);
/** Saves the position and stops (calls out come back to nothing). */
void stor_lc_stop(struct stor_server *s);
void stor_lc_stats(const struct stor_server *s, stor_lc_stats_t *out);

/* ---- conditional writes (storage/cluster/cond_write.c) ------------------------------------ */

typedef struct stor_cond stor_cond_t;
/** The outcome of a conditional write's check: rc 0 (the condition holds: write now), CN_ECOND
 *  (missing = 1: an If-Match on a key that does not exist), CN_ECONFLICT, or CN_EUNAVAIL (too
 *  few owners answered to know the current version); seen_clock is the clock of the current
 *  version read (0: none), which the write must pass. */
typedef void (*stor_cond_done_fn)(struct stor_server *s, int rc, int missing,
                                  uint64_t seen_clock, void *arg);
/** 1 when this node is the coordinator of conditional writes of a key whose cur owners are
 *  owners: the first of them, in ring order, that the manager does not report down. */
int stor_cond_is_coordinator(const struct stor_server *s, const stor_owners_t *owners);
/** How many of a key's owners on cur must answer the check: N - min(W, D) + 1, at most owners. */
size_t stor_cond_need(const struct stor_server *s, size_t owners);
/** Queues a conditional write of key behind the conditional writes of the same object (key up
 *  to its NUL) that came before, then checks c against the key's current version and calls cb
 *  (never inline). The caller writes (or not) and then calls stor_cond_end, in every case, to
 *  let the next one go. c and owners are copied. Main loop only. */
stor_cond_t *stor_cond_begin(struct stor_server *s, cn_slice_t key, const cn_wcond_t *c,
                             const stor_owners_t *owners, stor_cond_done_fn cb, void *arg);
void stor_cond_end(stor_cond_t *h);
/** The latest live version of one object (storage/cluster/cond_group.c) from n listings of
 *  its own key and versions (`group` and `tombstones`, one per owner; NULL: that owner did
 *  not answer), truncated[i] when listing i was cut short: each key's newest entry across
 *  the listings decides it, then the newest key that is not a tombstone is *latest (NULL: no
 *  live version; it may be a delete marker, which the caller judges). 0, or CN_EAGAIN when
 *  no live version lies within what the cut listings tell (every entry seen was deleted). */
int stor_group_latest(cn_list_result_t *const *res, const int *truncated, size_t n,
                      const cn_list_entry_t **latest);

/* ---- replicator (storage/cluster/replicator.c) ---------------------------------------------- */

/** The object ops of the cluster RPC (CN_OP_PUT ... CN_OP_LIST, docs/PROTOCOL.md), as
 *  storage/rpc_srv.c parses a request and the coordinator below takes it. */
enum stor_obj_op { STOR_OBJ_PUT, STOR_OBJ_DELETE, STOR_OBJ_GET, STOR_OBJ_HEAD, STOR_OBJ_LIST };

/** Where a coordinated write comes from. A link's (storage/xdc/listener.c) is another
 *  cluster's version: its clock and mtime are kept, it has no condition nor lock bypass,
 *  and it never enters this cluster's change journal (so nothing loops between clusters). */
enum stor_write_from { STOR_FROM_CLIENT, STOR_FROM_LINK };

/** Coordinates a put/delete/get/head (op: any but STOR_OBJ_LIST) that came without
 *  replica = 1 while a ring exists. Takes req (the reply is sent from here). m, body, off and
 *  len are the parsed request (borrowing from req); m->clock is set for writes. */
void stor_repl_coordinate(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req,
                          enum stor_obj_op op, const stor_obj_meta_t *m, cn_slice_t body,
                          uint64_t off, uint64_t len, enum stor_write_from from);

/* ---- repair queue (storage/cluster/repair_q.c) ---------------------------------------------- */

int stor_repair_q_open(struct stor_server *s);
void stor_repair_q_stop(struct stor_server *s);
void stor_repair_q_close(struct stor_server *s);
/** Queues "make target hold key's newest version" (deduplicated by key and target; an entry
 *  already queued keeps its place). The RocksDB write goes to the queue's writer thread: the
 *  entry is persistent a moment later (use stor_repair_q_push_cb to wait for it). 0 or
 *  CN_EINVAL. */
int stor_repair_q_push(struct stor_server *s, cn_slice_t key, const char *target, int reason);
/** Called on the loop once the writes queued before it are in RocksDB's WAL: rc 0, or the
 *  write's error (common/rocks_err.h: CN_EIO, CN_ENOSPC, ...). */
typedef void (*stor_rq_persisted_fn)(void *arg, int rc);
/** As stor_repair_q_push, then: 1 when cb(arg, rc) will run later (never from inside this
 *  call) once the entry is persistent; 0 when it already is (nothing will be called, as
 *  during shutdown, when writes are synchronous); < 0 on error (nothing will be called). */
int stor_repair_q_push_cb(struct stor_server *s, cn_slice_t key, const char *target, int reason,
                          stor_rq_persisted_fn cb, void *arg);
/** An op that answers once its pushes are persistent counts them here: pending (the write
 *  is under way), queued (persistent), failed (CN_EINVAL, or the write failed). done(w) runs
 *  on the loop after each pending push settles; the op answers once pending is 0 (also
 *  right after its pushes, when none went pending). Embed it zeroed, with done set. */
typedef struct stor_rq_wait {
    size_t pending, queued, failed;
    void (*done)(struct stor_rq_wait *w);
} stor_rq_wait_t;
/** stor_repair_q_push_cb counted in w; 1 when the push is pending (done(w) will run). */
int stor_rq_wait_push(struct stor_server *s, stor_rq_wait_t *w, cn_slice_t key,
                      const char *target, int reason);
/** recover_file's part (storage/cluster/frag_rebuild.c): when v is a live chunk manifest
 *  (its body read) with coded segments, queues (fragment key, its owner on cur, reason) for every fragment of every
 *  coded chunk, counted in w. Returns how many; 0 for any other version. */
size_t stor_frag_queue_object(struct stor_server *s, const stor_version_t *v,
                              stor_rq_wait_t *w, int reason);

/** Node-local records of other modules in the queue's RocksDB, under "r" + kind + name (kind
 *  'b': delete-bucket jobs, storage/admin_ops.c). put/del are queued to the writer thread like
 *  entries; with cb, the same contract as stor_repair_q_push_cb. foreach reads RocksDB on the
 *  calling thread: call it at start, before any put. fn returns non-zero to stop. */
int stor_repair_q_rec_put(struct stor_server *s, char kind, cn_slice_t name, cn_slice_t val,
                          stor_rq_persisted_fn cb, void *arg);
int stor_repair_q_rec_del(struct stor_server *s, char kind, cn_slice_t name);
int stor_repair_q_rec_foreach(struct stor_server *s, char kind,
                              int (*fn)(void *arg, cn_slice_t name, cn_slice_t val), void *arg);
/** 1 when (key, target) is queued. */
int stor_repair_q_has(struct stor_server *s, cn_slice_t key, const char *target);
void stor_repair_q_cron(struct stor_server *s);
/** Answers mq_stats, mq_suspend, mq_resume; 1 when op was one of them. */
int stor_repair_q_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);
/** Queue counters for /metrics (loop thread); all 0 without a queue. */
void stor_repair_q_counts(struct stor_server *s, uint64_t *depth, uint64_t *inflight,
                          uint64_t *retries, uint64_t *done, uint64_t *dropped);
/** Persistent small values (the last ring pair walked by the rebalance). */
int stor_repair_q_meta_get(struct stor_server *s, const char *name, uint64_t *v);
int stor_repair_q_meta_put(struct stor_server *s, const char *name, uint64_t v);
/** The engine's repair hook (any thread): queues a repair of key from the replicas to this
 *  node, through the loop. */
void stor_repair_hook(void *arg, cn_slice_t key, int rc);

/* ---- batched moves (storage/cluster/mover.c, move_srv.c, move_rec.c, move_rate.c) ------- */

/** A key's result in a batch: the local copy is missing or corrupt (repair it from others). */
#define STOR_MOVE_FALLBACK 1
/** Bytes a moved key counts for beyond its body, against [replication] move_rate. */
#define STOR_MOVE_KEY_COST 1024
/** key_fn(arg, i, rc, local_clock, bytes): key i's result (0, STOR_MOVE_FALLBACK or an
 *  error), the clock of the local version (0: none) and the body bytes sent. */
typedef void (*stor_move_key_fn)(void *arg, size_t i, int rc, uint64_t local_clock,
                                 uint64_t bytes);
typedef void (*stor_move_end_fn)(void *arg);
/** Moves keys[0..n) (n > 0, copied) to the peer target in batches: key_fn once per key,
 *  then end_fn once, always later on the loop. */
void stor_move_start(struct stor_server *s, const char *target, const cn_slice_t *keys,
                     size_t n, stor_move_key_fn key_fn, stor_move_end_fn end_fn, void *arg);
/** Answers op move (the receiving side); 1 when req was one. */
int stor_move_srv_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);
/** A move record (move_rec.c): appends one to b / takes one from *in (borrowing from it;
 *  0 or CN_EPROTO). */
void stor_move_rec_encode(cn_buf_t *b, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body);
int stor_move_rec_decode(cn_slice_t *in, cn_slice_t *key, stor_obj_meta_t *m, cn_slice_t *body);

/** What the moves did and may do (move_rate.c). */
typedef struct stor_move_stats {
    uint64_t keys, bytes;           /* moved since start */
    double rate_keys, rate_bytes;   /* per second, lately */
    size_t window;                  /* move jobs in flight now */
    double fg_p99_ms, fg_idle_p99_ms; /* the last window's foreground p99, the idle one */
    uint64_t rate_limit;            /* [replication] move_rate (0: adaptive) */
    uint64_t rate_now;              /* the budget in force, cost bytes per second */
} stor_move_stats_t;
/** One foreground request answered by this node as a coordinator took seconds. */
void stor_move_rate_fg(struct stor_server *s, double seconds);
/** 1 when one more move job may start, with pending jobs about to start besides those in
 *  flight (repair_inflight bounds them) and the budget not in debt. */
int stor_move_rate_allow(struct stor_server *s, size_t pending);
/** A move job starts: counted in flight, and keys (each STOR_MOVE_KEY_COST) plus bytes
 *  paid from the budget (stor_move_start pays its bodies itself, chunk by chunk: 0 there).
 *  stor_move_rate_end when it ends. */
void stor_move_rate_begin(struct stor_server *s, uint64_t keys, uint64_t bytes);
void stor_move_rate_end(struct stor_server *s);
/** fn(arg, status): the chunk was paid (status 0) and may be read and sent, or the cluster
 *  stops (CN_ECANCELED). */
typedef void (*stor_move_paid_fn)(void *arg, int status);
/** A chunk of a running job pays bytes of bodies before reading them: 1 when paid now;
 *  else 0, and fn is called from the cron once the budget allows (chunks served in order). */
int stor_move_rate_pay(struct stor_server *s, uint64_t bytes, stor_move_paid_fn fn, void *arg);
/** Calls every waiting chunk's fn with CN_ECANCELED (the cluster stops). */
void stor_move_rate_stop(struct stor_server *s);
/** Pays for work found after the job started (bodies read). */
void stor_move_rate_debit(struct stor_server *s, uint64_t keys, uint64_t bytes);
/** keys moved with bytes of bodies (the totals and rates of stor_move_rate_stats). */
void stor_move_rate_count(struct stor_server *s, uint64_t keys, uint64_t bytes);
/** How much one job should carry (cost bytes, as stor_move_rate_begin counts): about
 *  100 ms of the rate in force, at least 16 small keys. */
uint64_t stor_move_rate_batch_cost(struct stor_server *s);
/** Refills the budget (every tick); every 200 ms, the adaptive controller's step; the rates
 *  once a second (cluster cron). */
void stor_move_rate_cron(struct stor_server *s);
/** stor_move_rate_cron at now (cn_mono_ms() time): the unit tests drive the clock. */
void stor__move_rate_cron_at(struct stor_server *s, uint64_t now);
void stor_move_rate_stats(struct stor_server *s, stor_move_stats_t *out);
void stor_move_rate_close(struct stor_server *s);

/* ---- recoverer (storage/cluster/recoverer.c) ------------------------------------------------ */

int stor_recoverer_start(struct stor_server *s);
void stor_recoverer_stop(struct stor_server *s);
void stor_recoverer_close(struct stor_server *s);
/** Answers whereis, recover_*, rebalance_status; 1 when op was one of them. */
int stor_recoverer_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);
/** Rebalance walk progress for /metrics (loop thread); all 0 without a recoverer. */
void stor_recoverer_rebalance_progress(struct stor_server *s, uint64_t *running,
                                       uint64_t *scanned, uint64_t *queued, uint64_t *done,
                                       uint64_t *dropped);
/** The rings changed: start (or restart) the rebalance walk when a prev ring exists and this
 *  pair was not walked yet. */
void stor_recoverer_ring_changed(struct stor_server *s);
/** The move budget may allow more: the rebalance walk goes on when it waited for it (loop
 *  thread; every cron tick). */
void stor_recoverer_kick(struct stor_server *s);
/** Starts the periodic consistency pass when it is due ([replication] anti_entropy_interval).
 *  Loop thread; called from the cluster cron. */
void stor_recoverer_cron(struct stor_server *s);
/** A queue entry finished (its target holds the newest version). clock: the version this
 *  node holds locally (0: none); bytes: the body bytes sent for it. */
void stor_recoverer_entry_done(struct stor_server *s, cn_slice_t key, int reason,
                               uint64_t local_clock, uint64_t bytes);

#endif
