/*
 * manager/ring_sync.h: the rings (cur and prev) and the consistency levels, kept in the
 * state as r/cur, r/prev (cn_ring_encode bytes) and c/levels, and the first ring built by
 * "start". prev is empty (checksum 0) except while a rebalance moves data: "rebalance" makes
 * a new cur from the members and keeps the old one as prev; the watcher (watch.c) drops prev
 * once every node has moved its keys; "rollback" swaps them back (the data moves back).
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
/** Saves both rings (NULL deletes) in one batch. */
int mgr_rings_save(mgr_state_t *st, const cn_ring_t *cur, const cn_ring_t *prev);
/** The checksum of r, 0 for NULL. */
uint64_t mgr_ring_sum(const cn_ring_t *r);

/** Loads the consistency levels fixed at start. 0, CN_ENOENT (not started yet). */
int mgr_levels_load(mgr_state_t *st, mgr_levels_t *out);

/** Builds the first ring from every attached storage node (with its vnodes weight), saves
 *  it with the levels lv, and makes those nodes running, all in one batch.
 *  On success *cur is the new ring (owned by the caller) and *started how many nodes it has.
 *  CN_EEXIST when a ring exists (cur_now != NULL), CN_ENOENT when no storage node is
 *  attached, CN_EIO. Fewer nodes than N is allowed: each key then lives on every node. */
int mgr_ring_start(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur_now,
                   const mgr_levels_t *lv, cn_ring_t **cur, size_t *started);

/** Builds the next ring from the storage members: those of cur that are not detached, plus
 *  every attached node (each with its vnodes). On success saves (new cur, old cur as prev)
 *  with the joining nodes made running, in one batch, and returns the new ring in *next
 *  (owned by the caller). CN_ENOENT no ring yet, CN_EBUSY a rebalance is still running
 *  (prev_now != NULL) or a kept member is stop, CN_EEXIST nothing changes, CN_EINVAL no
 *  node would be left, CN_EIO. why gets a one-line reason on failure. */
int mgr_ring_rebalance(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur_now,
                       const cn_ring_t *prev_now, cn_ring_t **next, char *why, size_t whylen);
/** Saves (cur, prev) swapped: the abandoned ring becomes prev so that the nodes move the
 *  data back. CN_ENOENT when there is no prev, CN_EIO. */
int mgr_ring_rollback(mgr_state_t *st, const cn_ring_t *cur_now, const cn_ring_t *prev_now);

#endif
