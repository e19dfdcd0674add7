/*
 * manager/ring_sync.h: the rings (cur and prev) and the consistency levels, kept in the
 * state as r/cur, r/prev (cn_ring_encode bytes) and c/levels, and the first ring built by
 * "start". prev is empty (checksum 0) except while a rebalance moves data: "rebalance" makes
 * a new cur from the members and keeps the old one as prev; the watcher (watch.c) drops prev
 * once every node has moved its keys; "rollback" swaps them back (the data moves back).
 * Each is a command entry (cmd.h); the functions that make one propose it and wait (not the
 * loop thread), and on success the new rings are in the fsm's views (fsm.h): a ring pointer
 * the caller held before (cur_now, prev_now) may be freed by then.
 * Threads: callers hold the server lock.
 */
#ifndef CAIRN_MANAGER_RING_SYNC_H
#define CAIRN_MANAGER_RING_SYNC_H

#include <stdint.h>
#include "common/ring.h"
#include "manager/members.h"
#include "manager/state.h"

typedef struct mgr_levels {
    uint64_t n, w, r, d;
} mgr_levels_t;

/** Loads the saved rings; a missing ring comes back NULL. 0, CN_ECORRUPT, CN_EIO. */
int mgr_rings_load(mgr_state_t *st, cn_ring_t **cur, cn_ring_t **prev);
/** The checksum of r, 0 for NULL. */
uint64_t mgr_ring_sum(const cn_ring_t *r);

/** Loads the consistency levels fixed at start. 0, CN_ENOENT (not started yet). */
int mgr_levels_load(mgr_state_t *st, mgr_levels_t *out);

/** Builds the first ring from every attached storage node (with its vnodes weight) and
 *  proposes it (ring_start) with the levels lv: applied, it is saved and those nodes are
 *  running, all in one batch. *started is how many nodes it has. CN_EEXIST when a ring
 *  exists, CN_ENOENT when no storage node is attached, CN_EINVAL (bad levels), CN_EIO. Fewer
 *  nodes than N is allowed: each key then lives on every node. */
int mgr_ring_start(mgr_fsm_t *f, mgr_members_t *ms, const cn_ring_t *cur_now,
                   const mgr_levels_t *lv, size_t *started);

/** Builds the next ring from the storage members: those of cur that are not detached, plus
 *  every attached node (each with its vnodes), and proposes it (ring_rebalance): applied,
 *  (new cur, old cur as prev) are saved with the joining nodes made running, in one batch.
 *  CN_ENOENT no ring yet, CN_EBUSY a rebalance is still running (prev_now != NULL) or a kept
 *  member is stop, CN_EEXIST nothing changes, CN_EINVAL no node would be left, CN_ESTALE the
 *  rings changed meanwhile, CN_EIO. why gets a one-line reason on failure. */
int mgr_ring_rebalance(mgr_fsm_t *f, mgr_members_t *ms, const cn_ring_t *cur_now,
                       const cn_ring_t *prev_now, char *why, size_t whylen);
/** Proposes (cur, prev) swapped: the abandoned ring becomes prev so that the nodes move the
 *  data back. CN_ENOENT when there is no prev, CN_ESTALE (changed meanwhile), CN_EIO. */
int mgr_ring_rollback(mgr_fsm_t *f, const cn_ring_t *cur_now, const cn_ring_t *prev_now);
/** Proposes dropping prev (the watcher, once a rebalance is done). CN_ENOENT when there is
 *  none, CN_ESTALE (the rings changed meanwhile), CN_EIO. */
int mgr_ring_drop_prev(mgr_fsm_t *f, const cn_ring_t *cur_now, const cn_ring_t *prev_now);
/** Proposes new consistency levels (update-consistency-level). 0, CN_EINVAL, CN_EIO. */
int mgr_levels_set(mgr_fsm_t *f, const mgr_levels_t *lv);

struct mgr_cmd;
/** For fsm.c: checks a ring_* or levels_set entry against st and adds its effect to b (with
 *  the members a new ring makes running). 0, CN_EEXIST, CN_ENOENT, CN_EBUSY, CN_ESTALE,
 *  CN_EINVAL, CN_EIO. */
int mgr__rings_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
