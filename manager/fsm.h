/*
 * manager/fsm.h: the manager's state machine, the one write path of the manager's state.
 * Every change is a command entry (manager/cmd.h) applied in order by mgr_fsm_apply(), the
 * only function that commits to the RocksDB state (state.h; the write itself is in
 * state_int.h, which nothing else includes). Reads stay direct (mgr_state_get, the domain
 * modules' getters).
 *
 * The applied index. Entries are numbered 1, 2, ... and the state keeps the index of the last
 * one applied in "v/applied" (an 8-byte big-endian counter), written in the same RocksDB
 * batch as the entry's effect: after a crash the state holds an entry's effect exactly when
 * it holds its index. mgr_fsm_apply skips an entry whose index is not above it, so a log
 * replayed from any earlier point after a restart changes nothing twice. A state written by
 * a release before the log (no "v/applied") reads 0 and goes on from 1.
 * An entry that its apply refuses (the user exists, the ring changed meanwhile, ...) is
 * still applied: it writes nothing but the index, and its proposer gets the code. Whether an
 * entry is refused depends only on the state before it, so every replica refuses the same.
 *
 * Apply. mgr_fsm_apply decodes the entry (cmd.c), lets the module that owns the keys check it
 * against the state and fill one batch (users.c, buckets.c, endpoints.c, members.c,
 * ring_sync.c, backup.c, kms.c, clusters.c: their mgr__*_apply functions never commit), adds
 * "v/applied" and commits. Then it brings the views up to date: the in-memory copies of the
 * members table, the rings and the consistency levels are reloaded from what was just
 * written, so memory never says what the state does not (memory-only fields such as a
 * member's last contact survive the reload; a member new to memory gets a fresh grace
 * period).
 *
 * Propose. mgr_fsm_propose encodes the entry and hands it to the log (struct mgr_fsm_log,
 * set by manager/raft.c); without one (unit tests) it gives the entry the index applied + 1
 * and applies it at once, on the calling thread, `done` having run when it returns.
 *   - loop-thread proposers (RPC ops, the cron monitor) pass a `done` that finishes their
 *     work (the RPC reply is sent from it), and keep no borrowed pointer into the views
 *     across the call (apply may reallocate the members table and replace the rings);
 *   - threads that may block (admin handlers on libmicrohttpd's threads, the watcher) call
 *     mgr_fsm_propose_wait, which returns once the entry is applied. Proposers check what they
 *     can first (a bad name never becomes an entry) and choose every random or clock value
 *     the entry carries (cmd.h, "Determinism").
 *
 * C-Raft (Debian's libraft-dev 0.15; manager/raft.h has the group, bootstrap, upgrade):
 *   - mgr_fsm_propose -> raft_apply on the loop thread (an admin thread's entry is queued
 *     and handed to the loop through a uv_async handle); the apply callback calls done with
 *     the result's rc, or CN_ENOTLEADER at once on a follower, CN_ECANCELED when leadership
 *     was lost meanwhile (the entry may still be applied) or at shutdown.
 *   - mgr_fsm_propose_wait waits on a condition variable with the server lock, so the lock is
 *     free while the entry commits; callers therefore re-read the state after it returns.
 *   - struct raft_fsm.apply(fsm, buf, &result) -> mgr_fsm_apply(f, raft_last_applied(r) + 1,
 *     ...): C-Raft applies committed entries in index order on the loop thread and sets
 *     last_applied only after apply returns, so that is the entry's index. Raft indexes are
 *     the applied indexes (no offset); C-Raft's own entries (configuration, barriers) are
 *     gaps, which apply allows: an index must only be above the applied one. A failure to
 *     apply (an entry this release cannot decode, a failed write) stops the manager rather
 *     than letting it skip an entry. At start C-Raft replays the entries after its last
 *     snapshot; those up to "v/applied" are skipped here.
 *   - raft_fsm.snapshot -> mgr_fsm_snapshot (the records and the applied index, one buffer);
 *     raft_fsm.restore -> mgr_fsm_install (the buffer is freed after the install). A
 *     snapshot at or below "v/applied" changes nothing, so a restart that restores the last
 *     local snapshot keeps the newer state. One exception: a manager that holds nothing yet
 *     (it joins a group) takes a snapshot that says applied 0, the first snapshot of a
 *     state kept before the log (raft.h, "Bootstrap and upgrade").
 * Threads: every call here with the server lock held (tests without one: one thread).
 * Ownership: the fsm borrows st and the views; they outlive it.
 */
#ifndef CAIRN_MANAGER_FSM_H
#define CAIRN_MANAGER_FSM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ring.h"
#include "manager/cmd.h"
#include "manager/members.h"
#include "manager/ring_sync.h"
#include "manager/state.h"

#define MGR_VER_APPLIED "v/applied"

/* Which precondition refused an entry, when its code alone does not say (user_create's
 * CN_EEXIST is the name, the access key or the id). */
enum mgr_fsm_why {
    MGR_WHY_NONE = 0,
    MGR_WHY_NAME,
    MGR_WHY_KEY,
    MGR_WHY_ID,
};

/* The in-memory copies of the state that apply keeps in step; owned by the caller (the
 * server's fields). NULL members are not kept (tests that look at the state alone). */
struct mgr_fsm_views {
    mgr_members_t *members;
    cn_ring_t **ring_cur, **ring_prev;
    mgr_levels_t *levels;
};

/* What applying one entry decided. */
typedef struct mgr_fsm_result {
    int rc;                        /* 0, or the code that refused it (nothing changed) */
    int why;                       /* enum mgr_fsm_why */
} mgr_fsm_result_t;

/** Called once per proposal: rc is what applying decided (0, CN_EEXIST, ...) or why the
 *  entry was not applied (CN_EIO: the write failed). Runs with the server lock held. */
typedef void (*mgr_fsm_done_fn)(void *arg, int rc, int why);

/* How proposals reach the replicated log (manager/raft.c). Without one (unit tests, tools),
 * mgr_fsm_propose applies the entry at once on the calling thread. */
struct mgr_fsm_log {
    /** Takes the encoded entry (its bytes are the log's; buf is left empty) and calls
     *  done(arg, ...) once, on the loop thread with the lock held, when the entry is applied
     *  or has failed (CN_ENOTLEADER at once on a follower). Any thread, lock held. */
    void (*submit)(void *ctx, cn_buf_t *entry, mgr_fsm_done_fn done, void *arg);
    /** Calls done(arg, rc, MGR_WHY_NONE) once every entry committed before it is applied
     *  here (a read barrier: 0, or CN_ENOTLEADER on a follower). Same threads as submit. */
    void (*barrier)(void *ctx, mgr_fsm_done_fn done, void *arg);
    /** 1 on the thread that applies entries (propose_wait there would never return). */
    int (*on_loop)(void *ctx);
    void *ctx;
};

/** Brings st to the current format (migrate.h: a local step, see there) and reads its
 *  applied index. lock is the server lock (NULL in single-threaded tests); views may be
 *  NULL. 0, CN_EPROTO (a state of a newer release), CN_EIO. */
int mgr_fsm_create(mgr_state_t *st, pthread_mutex_t *lock, const struct mgr_fsm_views *views,
                   mgr_fsm_t **out);
void mgr_fsm_destroy(mgr_fsm_t *f);
/** Sends every proposal from now on through log (copied). Before any proposal. */
void mgr_fsm_set_log(mgr_fsm_t *f, const struct mgr_fsm_log *log);
/** The state, for reads. */
mgr_state_t *mgr_fsm_state(const mgr_fsm_t *f);
/** The index of the last entry applied (0 before the first). */
uint64_t mgr_fsm_applied(const mgr_fsm_t *f);

/** Proposes cmd (copied: the caller keeps and disposes it). done (may be NULL) is called once
 *  when the entry is applied or has failed: before this returns without a log; with one,
 *  later on the loop thread (CN_ENOTLEADER on a follower, CN_ECANCELED at shutdown). */
void mgr_fsm_propose(mgr_fsm_t *f, const mgr_cmd_t *cmd, mgr_fsm_done_fn done, void *arg);
/** Proposes cmd and returns once it is applied: what applying decided (0, CN_EEXIST, ...),
 *  CN_EIO, CN_ENOTLEADER (a follower) or CN_ECANCELED (leadership lost meanwhile: it may
 *  yet be applied; shutdown); *why (may be NULL) says which precondition refused it. With a log it waits on
 *  a condition variable with the server lock, which is free meanwhile: re-read the state
 *  after. Never on the loop thread. */
int mgr_fsm_propose_wait(mgr_fsm_t *f, const mgr_cmd_t *cmd, int *why);

/** CN_ENOTLEADER or CN_ECANCELED when a mgr_fsm_propose_wait of this thread failed so since
 *  the last call (the admin server answers 421 or 503 then, whatever the handler made of
 *  the code), else 0; clears it. */
int mgr_fsm_take_lost(void);
/** A read barrier: returns once this manager, as the leader, has applied every entry
 *  committed before the call, so that what it reads next is at least what any acked write
 *  left. 0 (at once without a log), CN_ENOTLEADER (a follower: it cannot tell), CN_ECANCELED.
 *  Like propose_wait: the lock is free meanwhile, never on the loop thread. */
int mgr_fsm_barrier_wait(mgr_fsm_t *f);

/** Applies the entry at index (see the header). Returns 0 when it is applied (res says what
 *  it decided) or was already (index <= the applied index: res->rc 0), CN_ECORRUPT or
 *  CN_EPROTO when it does not decode (nothing written), CN_EIO when the write failed. */
int mgr_fsm_apply(mgr_fsm_t *f, uint64_t index, const void *entry, size_t len,
                  mgr_fsm_result_t *res);

/** Appends to out a snapshot of the whole state: every record but "v/applied", and the
 *  applied index (a "snapshot" entry of cmd.h). 0 or CN_EIO. */
int mgr_fsm_snapshot(mgr_fsm_t *f, cn_buf_t *out);
/** Replaces the whole state with a snapshot (exactly its records, no version bump) and sets
 *  the applied index to the snapshot's, in one batch, then reloads the views. A snapshot
 *  not above the applied index changes nothing. 0, CN_ECORRUPT/CN_EPROTO (not a snapshot),
 *  CN_EINVAL (a record the manager does not keep), CN_EIO. */
int mgr_fsm_install(mgr_fsm_t *f, const void *snap, size_t len);

#endif
