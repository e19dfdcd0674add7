/*
 * storage/storage.h: the cairn-storage server object and module start/stop. Nothing else
 * lives here (no god header): modules keep their own state in their own files.
 * Threads: struct stor_server and every module belong to the main loop thread; only the
 * engine (storage/engine/engine.h) is used from the libuv thread pool.
 */
#ifndef CAIRN_STORAGE_STORAGE_H
#define CAIRN_STORAGE_STORAGE_H

#include <stdint.h>
#include <uv.h>

#include "common/ring.h"
#include "common/rpc.h"
#include "storage/buckets.h"
#include "storage/engine/engine.h"

struct stor_conf {
    char *name;
    char *rpc_listen;
    char *data_dir;
    char *engine;
    char *index_dir;
    char *container_dirs;
    uint64_t containers;
    int sync;
    uint64_t tombstone_grace;
    uint64_t compact_rate;
    uint64_t compact_auto_ratio;
    uint64_t compact_auto_min;
    uint64_t compact_auto_interval;
    uint64_t index_memtable;
    uint64_t index_cache;
    uint64_t scrub_rate;
    uint64_t scrub_interval;
    uint64_t min_free;
    uint64_t threads;
    uint64_t vnodes;
    char *manager_addresses;
    char *secret;
    uint64_t heartbeat_ms;
    int log_level;
    char *log_file;
    /* [replication] (storage/cluster/replicator.c, storage/cluster/repair_q.c) */
    uint64_t repl_timeout_ms;
    uint64_t repair_inflight;
    uint64_t repair_backoff_min_ms;
    uint64_t repair_backoff_max_ms;
    uint64_t scan_batch;
    uint64_t anti_entropy_ms;     /* periodic recover_consistency; 0: off */
    uint64_t move_rate;           /* bytes/s of moves; 0: adaptive (cluster/move_rate.c) */
    uint64_t move_batch_keys;
    uint64_t move_batch_bytes;
    /* /metrics (storage/metrics.c) and delete-bucket (storage/admin_ops.c) */
    char *metrics_listen;
    uint64_t delete_bucket_rate;
    /* [lifecycle] (storage/cluster/lifecycle.c) */
    uint64_t lc_day_seconds;
    uint64_t lc_interval_ms;
    uint64_t lc_rate;
    /* [xdc] (storage/xdc/xdc.h, issue 22) */
    char *xdc_listen;
    char *xdc_cert;
    char *xdc_key;
    char *xdc_ca;
    uint64_t xdc_window;
    uint64_t xdc_journal_max;
};

struct stor_rpc;
struct stor_mgr_link;
struct stor_cluster;
struct stor_repair_q;
struct stor_recoverer;
struct stor_mover;
struct stor_metrics;
struct stor_admin;
struct stor_lc;
struct stor_xdc;

/** Consistency levels from the manager's heartbeat replies (defaults 3/2/1/2 until then). */
struct stor_levels {
    uint32_t n, w, r, d;
};

/** The engine options of c (strings borrowed from c). */
void stor_conf_engine_opts(const struct stor_conf *c, stor_engine_opts_t *o);

#define STOR_SERVER_MAGIC 0x53545356u /* "STSV" */

struct cond_queue;
struct stor_server {
    uint32_t magic;
    struct cond_queue *cond_queues; /* conditional writes' per-object queues (cond_write.c) */
    uv_loop_t *loop;
    const struct stor_conf *conf;
    stor_engine_t *engine;
    char rpc_host[64];          /* listen host, also registered with the manager */
    int rpc_port;               /* the real bound port */
    struct stor_rpc *rpc;
    struct stor_mgr_link *mgr;
    /* the cluster side (storage/cluster/cluster.h): rings, levels, peers, repair queue, recoverer */
    cn_ring_t *ring_cur, *ring_prev;   /* owned; replaced whole by stor_cluster_set_ring */
    struct stor_levels levels;
    struct stor_cluster *cl;
    struct stor_repair_q *rq;
    struct stor_recoverer *rec;
    struct stor_mover *mv;      /* the moves' budget and counters (cluster/move_rate.c) */
    uv_timer_t cron;
    uint64_t frag_rebuilt, frag_rebuild_failed; /* fragments the repair queue rebuilt or could
                                                  * not (frag_rebuild.c; /metrics) */
    uint64_t ticks;
    /* operator surface: /metrics listener (storage/metrics.c), du and delete-bucket jobs
     * (storage/admin_ops.c) */
    struct stor_metrics *metrics;
    char metrics_host[64];
    int metrics_port;           /* 0: no listener */
    struct stor_admin *adm;
    uint32_t rh_jobs;           /* range_hash walks in the thread pool (cluster/range_hash_op.c) */
    struct stor_lc *lc;         /* the lifecycle worker (storage/cluster/lifecycle.c) */
    stor_buckets_t buckets;     /* the buckets' versioning, lock and lifecycle (buckets.h) */
    struct stor_xdc *xdc;       /* links to other clusters (storage/xdc/xdc.h) */
};

/** Starts the RPC server on conf->rpc_listen; fills s->rpc_port. 0 or a CN_E* code. */
int stor_rpc_start(struct stor_server *s);
/** Stops listening and closes connections; work in the thread pool finishes, its replies
 *  are dropped. Run the loop afterwards. */
void stor_rpc_stop(struct stor_server *s);

/** Starts registering with the manager (retried every second), then heartbeats. Never fails
 *  for an unreachable manager; CN_EINVAL for a bad manager address. */
int stor_mgr_start(struct stor_server *s);
void stor_mgr_stop(struct stor_server *s);

/** Starts the cluster side (storage/cluster/cluster.c): peers, the repair queue (its RocksDB under
 *  data_dir/repairq), the recoverer and the 100 ms cron. 0 or a CN_E* code. */
int stor_cluster_start(struct stor_server *s);
/** Stops starting new work and cancels calls to peers; run the loop afterwards, then call
 *  stor_cluster_close. */
void stor_cluster_stop(struct stor_server *s);
/** Frees what is left once the loop has returned. */
void stor_cluster_close(struct stor_server *s);
/** Takes ownership of cur and prev (either may be NULL), replacing the rings; drops peers
 *  that left, and starts the rebalance walk when the pair changed. */
void stor_cluster_set_ring(struct stor_server *s, cn_ring_t *cur, cn_ring_t *prev);
/** Applies the levels of a manager reply (fields n, w, r, d; absent ones are kept). */
void stor_cluster_set_levels(struct stor_server *s, uint64_t n, uint64_t w, uint64_t r,
                             uint64_t d);

/** Creates the registry and, when conf->metrics_listen is set, the /metrics listener
 *  (fills metrics_host/port). 0 or a CN_E* code (bad address, port taken). */
int stor_metrics_start(struct stor_server *s);
/** Stops the listener and frees the registry (after the loop has returned). */
void stor_metrics_stop(struct stor_server *s);
/** Counts one answered request (loop thread or any thread; no-op before start). */
void stor_metrics_request(struct stor_server *s, const char *op, int rc, double seconds,
                          uint64_t bytes_in, uint64_t bytes_out);
/** Monotonic seconds (for request latency). */
double stor_metrics_now(void);
/** Refreshes the gauges owned by the loop (repair queue, rebalance, rings); from the cron. */
void stor_metrics_cron(struct stor_server *s);

/** Admin ops (docs/PROTOCOL.md, "Operator ops"): du, set_property, delete_bucket,
 *  delete_bucket_status. Returns 1 when req was one of them (it is answered). */
int stor_admin_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);
/** Resumes the delete-bucket jobs recorded before a restart (after stor_cluster_start: the
 *  records live in the repair queue's RocksDB). 0 or a CN_E* code (logged; the node runs). */
int stor_admin_start(struct stor_server *s);
/** Stops the delete-bucket worker; the loop then closes its handles. */
void stor_admin_stop(struct stor_server *s);
/** Frees the admin state once the loop has returned. */
void stor_admin_close(struct stor_server *s);
/** Applies "section.key=value" to the live configuration when the key is reloadable.
 *  0, or CN_EINVAL / CN_ECONFIG / CN_EPERM (not reloadable) with err set. Loop thread. */
int stor_conf_update(const char *assignment, char *err, size_t errlen);

#endif
