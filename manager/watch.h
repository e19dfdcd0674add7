/*
 * manager/watch.h: the manager's watcher thread and its blocking calls to storage nodes.
 * The watcher polls the storage nodes over RPC (cn_rpc_call_sync, never on the loop) while
 * a rebalance runs (rebalance_status, mq_stats) and drops ring prev once every node has
 * moved its keys, and while a node is "restarted" (mq_stats) to make it running once every
 * repair queue is empty. The admin API's fan-out commands use mgr_node_call.
 * Threads: its own thread; it takes s->lock only to read members and rings and to apply a
 * decision, never while an RPC is in flight.
 */
#ifndef CAIRN_MANAGER_WATCH_H
#define CAIRN_MANAGER_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/rpc.h"

struct mgr_server;

#define MGR_NODE_CALL_TIMEOUT_MS 3000

/* Storage ops the manager sends (docs/PROTOCOL.md, "Replication" and "Storage engine
 * maintenance"). */
#define MGR_SOP_MQ_STATS "mq_stats"
#define MGR_SOP_MQ_SUSPEND "mq_suspend"
#define MGR_SOP_MQ_RESUME "mq_resume"
#define MGR_SOP_REBALANCE_STATUS "rebalance_status"
#define MGR_SOP_RECOVER_STATUS "recover_status"
#define MGR_SOP_RECOVER_FILE "recover_file"
#define MGR_SOP_RECOVER_NODE "recover_node"
#define MGR_SOP_RECOVER_CONSISTENCY "recover_consistency"
#define MGR_SOP_WHEREIS "whereis"
#define MGR_SOP_WHEREIS_KEYS "whereis_keys"
#define MGR_SOP_COMPACT_START "compact_start"
#define MGR_SOP_COMPACT_SUSPEND "compact_suspend"
#define MGR_SOP_COMPACT_RESUME "compact_resume"
#define MGR_SOP_COMPACT_STATUS "compact_status"
#define MGR_SOP_SCRUB_START "scrub_start"
#define MGR_SOP_SCRUB_STATUS "scrub_status"
#define MGR_SOP_LC_STATUS "lifecycle_status"

/** Rebalance progress, filled by the watcher. [lock] */
struct mgr_rebal {
    uint64_t cur, prev;            /* the ring pair being moved (0, 0: none) */
    uint64_t started_ms, finished_ms;
    uint64_t queued, done, pending, dropped;
    uint64_t bytes, left;          /* body bytes moved, moves left (the nodes' estimates) */
    uint64_t rate_keys, rate_bytes; /* the nodes' move rates, summed (per second) */
    size_t walking, nodes_ok, nodes;
    json_t *detail;                /* per node, from the last poll (owned; may be NULL) */
    char last[256];                /* one line about the last finished rebalance */
};

/** Starts the watcher thread. 0 or CN_EIO. */
int mgr_watch_start(struct mgr_server *s);
/** Stops it and waits. */
void mgr_watch_stop(struct mgr_server *s);
/** Makes the watcher poll now (after a rebalance or a state change). */
void mgr_watch_kick(struct mgr_server *s);

/** A blocking call to the storage member name (address looked up under s->lock; the call
 *  itself runs without it). Not for the loop thread. Returns 0 with *resp (free it; its rc
 *  may be an error) or CN_ENOENT (no such storage member; why says so) or the transport
 *  status. Takes ownership of req. */
int mgr_node_call(struct mgr_server *s, const char *name, cn_msg_t *req, uint64_t timeout_ms,
                  cn_msg_t **resp, char *why, size_t whylen);

/* Field specs for mgr_msg_json: "u:name" u64, "i:name" i64, "s:name" string, "x:name" u64
 * as 16 hex digits (ring checksums). Absent fields are left out. NULL ends the list. */
/** Fields named prefix + name (prefix may be NULL) as a JSON object, without the prefix. */
json_t *mgr_msg_json(const cn_msg_t *m, const char *prefix, const char *const *specs);
extern const char *const mgr_mq_fields[];
extern const char *const mgr_scan_fields[];
extern const char *const mgr_compact_fields[];
extern const char *const mgr_lc_fields[];
extern const char *const mgr_scrub_fields[];

#endif
