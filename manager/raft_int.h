/*
 * manager/raft_int.h: what raft.c (the group on C-Raft) shares with raft_change.c (its
 * membership changes). Nothing else includes it.
 * Locking: fields marked [s->lock] are read and written with the server lock; the rest
 * belong to the loop thread.
 */
#ifndef CAIRN_MANAGER_RAFT_INT_H
#define CAIRN_MANAGER_RAFT_INT_H

#include <limits.h>
#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>
#include <uv.h>

#include "manager/fsm.h"
#include "manager/raft.h"

#define MGR_RAFT_MAGIC 0x6d677266u /* "mgrf" */

struct prop;
struct mgr_change;

struct mgr_raft {
    uint32_t magic;
    struct mgr_server *s;
    struct raft raft;
    struct raft_io io;
    struct raft_uv_transport transport;
    struct raft_fsm fsm;
    uv_async_t async;              /* wakes the loop for queued proposals and changes */
    uv_thread_t loop_thread;
    struct prop *qhead, **qtail;   /* [s->lock] */
    int closing;                   /* [s->lock] */
    int raft_open, async_open;
    mgr_fsm_result_t last;         /* fsm_apply -> on_applied, same loop turn */
    char dir[PATH_MAX];
    /* membership changes (raft_change.c) */
    struct mgr_change *change;     /* [s->lock] the one in progress, NULL when none */
    pthread_cond_t change_cond;    /* [s->lock] signalled when a change finishes */
    int own_record_due;            /* loop: the leader checks its own g/<id> record */
    /* when the leader last heard from each manager (mgr__raft_mirror_peers): C-Raft's
     * recent_recv is cleared every election timeout, so one look at it may miss a live one */
    struct {
        uint64_t id, ms;           /* monotonic ms */
    } heard[MGR_PEERS_MAX];
};

/** Mirrors the group (s->peers) and the leader's view of each into s->rview, as the cron
 *  does, without its role changes. Loop thread, lock held. */
void mgr__raft_mirror_peers(struct mgr_server *s, struct mgr_raft *r);
/** Starts the change queued by mgr_raft_change, if one waits. Loop thread, lock held. */
void mgr__raft_change_kick(struct mgr_raft *r);
/** Fails the change in progress at shutdown (CN_ECANCELED). Loop thread, lock held. */
void mgr__raft_change_cancel(struct mgr_raft *r);
/** The leader's duty of every cron tick: its own g/<id> record names where it answers.
 *  Loop thread, lock held. */
void mgr__raft_own_record(struct mgr_raft *r);

#endif
