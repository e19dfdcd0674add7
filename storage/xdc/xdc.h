/*
 * storage/xdc/xdc.h: a storage node's side of the links to other clusters (issue 22,
 * multi-datacenter replication; docs/DESIGN.md, "Multi-datacenter replication").
 *
 * The parts, one file each:
 *   storage/xdc/links.c    what the manager says of the links (get_links: this cluster's id,
 *                          each remote's id, state, managers, secret and CA), and THE decision
 *                          whether a client's write enters the change journal
 *                          (stor_xdc_journals).
 *   storage/xdc/listener.c the link listener ([xdc] listen): TLS, authenticated by the link's
 *                          secret (the hello names the remote cluster's id), serving one op,
 *                          xdc_write, which this node's coordinator writes with this cluster's
 *                          own N and W and the change's own clock (storage/cluster/replicator.c,
 *                          from_link), so it is never journaled again here.
 *   storage/xdc/sender.c   per link, walks this node's journal in seq order and sends each
 *                          key's CURRENT version to the remote cluster's nodes.
 *   storage/xdc/requeue.c  the cluster op xdc_requeue: recover-cluster's keys journaled again
 *                          for the senders, and the needs-recover alarm cleared.
 *   storage/xdc/xdc.c      start and stop.
 *   storage/xdc/requeue.c  the cluster RPC op xdc_requeue: recover-cluster's keys get journal
 *                          entries of their own, so the senders send them again.
 *
 * The journal (storage/engine/engine.h, "the change journal"): a client's put or delete of a
 * user key (not an internal chunk key: a chunked object's manifest stands for its chunks) in
 * a bucket whose replication is on, while this cluster has a linked remote, is written with
 * CN_OBJ_JOURNALED by exactly one node: the coordinator when it is an owner, else the first
 * owner it sends the write to (the replica write's field "journal"). The entry is in the same
 * RocksDB batch as the index entry, so an acked change is never lost for the remote.
 *
 * Sending (sender.c): per link a cursor `acked` (every entry up to it is at the remote, kept
 * in DATA_DIR/xdc/<remote id>.cursor) and a window of at most [xdc] window changes in flight
 * (back-pressure: the remote's answers pace the reads). A change reads the key's current
 * version through this node's own coordinator (get, so the newest of the cluster's copies,
 * wherever the ring put it): a tombstone goes as a delete with its clock; a live version as
 * a put with its clock, ETag, metadata, flags, size and mtime; a chunk manifest's chunks (or
 * fragments) first, one at a time, each under its own key and clock, then the manifest. The
 * remote writes each with its own N and W; its last-writer-wins by clock keeps the newer of
 * two versions, so two clusters that wrote the same key converge on the same winner
 * (CN_ESTALE from the remote is a success: it holds that version or a newer one). Entries
 * behind every link's cursor are trimmed. The journal is bounded ([xdc] journal_max
 * entries behind a link that has sent nothing for 10 s): beyond it the stalled link's oldest
 * entries are skipped, the link is marked needs_recover (status, /metrics; cleared when a
 * recover-cluster toward it starts, requeue.c) and recover-cluster has to compare the two
 * sides; local writes are never slowed.
 *
 * Threads: main loop only (journal reads and trims on the libuv pool, results back on the
 * loop).
 */
#ifndef CAIRN_STORAGE_XDC_H
#define CAIRN_STORAGE_XDC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/rpc.h"

struct stor_server;

#define STOR_XDC_ID_LEN 16
#define STOR_XDC_LINKS_MAX 4
#define STOR_XDC_SECRET_HEX 64
#define STOR_XDC_OP_WRITE "xdc_write"
#define STOR_XDC_OP_NODES CN_OP_XDC_NODES

/** Starts the module: the link listener when [xdc] listen is set (CN_EINVAL for unreadable
 *  certificate files), the sender's timer. 0 or a CN_E* code. */
int stor_xdc_start(struct stor_server *s);
/** Stops the listener, the senders' calls and the timer; run the loop afterwards. */
void stor_xdc_stop(struct stor_server *s);
/** Frees what is left once the loop has returned. */
void stor_xdc_close(struct stor_server *s);

/** The cluster RPC op xdc_requeue {keys: (u16le len | key)*, at most CN_XDC_REQUEUE_MAX}:
 *  a journal entry for each key (requeue.c), answered {queued}; CN_EAGAIN while this node has
 *  no linked link. Returns 1 when req was this op (answered now or later), 0 otherwise. */
int stor_xdc_requeue_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req);

/* ---- links (links.c) ------------------------------------------------------------------ */

/** The links' checksum this node holds (0: none loaded); a heartbeat reply's links_sum that
 *  differs makes storage/mgr_link.c fetch get_links. */
uint64_t stor_xdc_links_sum(const struct stor_server *s);
/** Replaces the links with a get_links answer's body (JSON, docs/PROTOCOL.md). 0 or
 *  CN_ECORRUPT (nothing changed). Senders of links that went away stop; new ones start. */
int stor_xdc_links_load(struct stor_server *s, const char *json, size_t len);
/** A heartbeat reply's links_sum: when it is the one held, the links held are current. */
void stor_xdc_links_seen(struct stor_server *s, uint64_t sum);
/** 1 when a client's write of key must enter the journal: key is a user key and, once the
 *  links are current, this cluster has a linked remote and key's bucket's replication is on
 *  (on when the bucket is unknown); before that (a start), every user key. */
int stor_xdc_journals(const struct stor_server *s, cn_slice_t key);
/** A journaled write of this node is stored: the senders look at the journal now instead
 *  of at their next tick (the lag of an idle link is then a round trip, not a tick). */
void stor_xdc_kick(struct stor_server *s);
/** The heartbeat fields: xdc_addr (the listener's host:port, "" when none) and xdc_stats
 *  (JSON {remote id: {sent, lag_objects, lag_seconds, queue_bytes, last_error, last_ok_ms,
 *  needs_recover}}). */
void stor_xdc_heartbeat_fields(struct stor_server *s, cn_msg_t *m);

/** One link's sender as /metrics shows it (storage/metrics.c). */
typedef struct stor_xdc_link_stats {
    char id[STOR_XDC_ID_LEN + 1];
    uint64_t lag_objects, lag_seconds;   /* journal entries not yet at the remote; the age of
                                          * the oldest one in flight */
    uint64_t sent, errors, skipped;      /* since start: changes sent, failed tries, entries
                                          * skipped at the bound */
    int needs_recover;                   /* the alarm: entries were skipped (recover-cluster) */
} stor_xdc_link_stats_t;
/** The senders' figures of up to max links into out; returns how many. */
size_t stor_xdc_stats(const struct stor_server *s, stor_xdc_link_stats_t *out, size_t max);

#endif
