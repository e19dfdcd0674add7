/*
 * manager/xdc_recover.h: recover-cluster (issue 22, multi-datacenter replication, step 6 of
 * docs/DESIGN.md's plan): compare this cluster with a linked one by hash ranges and make both
 * converge by the replication rule (the newer version of each key by clock wins; a tombstone
 * is a version). docs/PROTOCOL.md "Range summaries" has the comparison; in short:
 *
 *   1. Both sides summarize the range (0, 0) (every version under the prefix "BUCKET/", or
 *      every bucket) into 2^16 children: here the op range_hash on every running storage node
 *      of this cluster, summed (each node counts the keys it is the first owner of); there
 *      the link op xdc_range_hash on the remote's leader, which does the same on its cluster.
 *   2. Children whose (count, sum) differ are listed on both sides (range_hash list = 1 with
 *      select) when they hold at most MGR_XRC_LIST_MAX versions, else summarized again one
 *      level down (16 more bits of the position). Lists go in selections of at most
 *      MGR_XRC_LIST_BATCH versions.
 *   3. The lists are merged by key. A key this side holds newer (or alone) is queued to this
 *      cluster's senders (the storage op xdc_requeue: a journal entry, so every link's sender
 *      sends the key's current version); a key the remote holds newer (or alone) is queued on
 *      the remote's senders (the link op xdc_requeue, which its leader passes to its nodes).
 *      Same clock and kind: equal. Same clock, another kind (a tombstone against a live
 *      version, a tie no clock breaks): queued both ways, last-writer-wins settles it.
 *
 * The job runs on the leader that took POST /v1/clusters/ID/recover, on a thread of its own
 * with blocking calls (mgr_node_call to this cluster's nodes, mgr_xdc_call_sync to the
 * remote's managers), never the loop thread. It ends done (everything compared and queued:
 * the senders are still sending) or failed (a call failed: nothing is undone, run it again).
 * One job at a time per manager; its figures stay until the next start. A new leader knows
 * no job (the figures are in memory only).
 *
 * Locking: the job struct is [lock] (s->lock); the thread takes the lock only to read the
 * members and the link and to update the figures, never across a call.
 */
#ifndef CAIRN_MANAGER_XDC_RECOVER_H
#define CAIRN_MANAGER_XDC_RECOVER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/range_hash.h"

struct mgr_server;

#define MGR_XRC_BITS 16          /* children of one summary */
#define MGR_XRC_LIST_MAX 2000    /* a differing child with more versions is split further */
#define MGR_XRC_LIST_BATCH 20000 /* versions one list call selects at most */
#define MGR_XRC_LIST_BYTES (16u << 20) /* a cluster's list answer at most (CN_E2BIG beyond) */

/** A range_hash question to a whole cluster (the fields of docs/PROTOCOL.md's range_hash). */
struct mgr_rh_q {
    cn_slice_t prefix;
    cn_rh_range_t range;
    uint32_t bits;
    int list;
    cn_slice_t select; /* list only; empty: the whole range */
};

/** Asks every running storage node of this cluster (pages while truncated) and adds up their
 *  answers: a summary into sum (initialised by the caller for q's range and bits) or, with
 *  q->list, the lists appended to list. Blocking: not the loop thread. 0, or the first error
 *  (why says which node and what). CN_E2BIG when a list passes MGR_XRC_LIST_BYTES. */
int mgr_xdc_rh_cluster(struct mgr_server *s, const struct mgr_rh_q *q, cn_rh_summary_t *sum,
                       cn_buf_t *list, char *why, size_t whylen);
/** Journals keys ((u16le len | key)*, n of them) on this cluster's running storage nodes
 *  (xdc_requeue, at most CN_XDC_REQUEUE_MAX a call, the next node after a failure), so this
 *  cluster's senders send them. Blocking. 0 with *queued, or an error (why). */
int mgr_xdc_requeue_cluster(struct mgr_server *s, cn_slice_t keys, uint64_t *queued, char *why,
                            size_t whylen);

/** Starts a comparison with the linked cluster remote (bucket NULL or "": every bucket).
 *  [lock]. 0, CN_EBUSY (one runs; why says which). */
int mgr_xdc_recover_start(struct mgr_server *s, const char *remote, const char *bucket,
                          char *why, size_t whylen);
/** The job's figures as JSON ({remote, bucket, state, error, ranges_compared,
 *  ranges_differed, keys_listed, queued_here, queued_there, started_ms, finished_ms}), or
 *  NULL when this manager ran none for remote. [lock] */
json_t *mgr_xdc_recover_json(struct mgr_server *s, const char *remote);
/** Stops a running job and waits for its thread; frees the figures. Without the lock, at
 *  shutdown. */
void mgr_xdc_recover_stop(struct mgr_server *s);

#endif
