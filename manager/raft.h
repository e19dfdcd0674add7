/*
 * manager/raft.h: the manager group. The state machine of fsm.h runs on C-Raft (Debian's
 * libraft-dev, raft.h), on the manager's libuv loop, as a group of 1, 3 or 5 managers.
 *
 * Config. [manager] id (1..255, default 1) names this manager in the group; [manager] peers
 * lists the group, "id@host:raft_port[/rpc_port/admin_port], ...". The Raft transport has a
 * port of its own; a peer's RPC and admin ports default to raft_port - 2 and raft_port - 1
 * (the default layout: RPC 10010, admin 10011, Raft 10012), and a follower answers with the
 * leader's from there (CN_ENOTLEADER + "leader" = "host:rpc_port" on the cluster RPC, HTTP
 * 421 + "leader" = "host:admin_port" on the admin API). Empty peers: a group of one, this
 * manager alone, its transport on [manager] raft_listen. With peers, the transport listens
 * on this manager's own entry, which must be there.
 *
 * Files. The log and snapshots are C-Raft's, under data_dir/raft (fsynced as C-Raft does).
 * The directory exists exactly when the group was bootstrapped: bootstrap writes into
 * data_dir/raft.new and renames it.
 *
 * Bootstrap and upgrade; index alignment. Raft indexes are the state's applied indexes (no
 * offset): raft_fsm.apply applies the entry at raft_last_applied() + 1, and the log's own
 * entries (configuration, barriers) are gaps that never reach the state machine (fsm.c
 * allows them). At the first start:
 *   - a fresh state (no record but the format): raft_bootstrap with the peers, every peer
 *     alike; the configuration is entry 1, the first command entry 2.
 *   - a state already holding records (the data dir of the one-manager release, or of the
 *     step before the log): the log starts with a snapshot of that state at index
 *     max(v/applied, 1), term 1, with the peers as configuration, so C-Raft's indexes go on
 *     after v/applied and a manager added later gets the whole state as that snapshot, not a
 *     log that never held it. Installing it at start changes nothing (it is not above
 *     v/applied). Only a group of one starts like this: a group of three is made from it by
 *     adding managers (update-managers, not yet built); starting an old state with more
 *     peers is refused.
 *
 * Threads. C-Raft runs on the loop thread. Its fsm callbacks take the server lock. A
 * proposal from another thread (admin API, watcher) is queued under the lock and handed to
 * the loop by a uv_async handle; its proposer waits on the fsm's condition variable (fsm.h).
 * A read barrier (mgr_fsm_barrier_wait: raft_barrier, for the admin API's reads on the
 * leader) takes the same way.
 * The role, term and leader are mirrored into struct mgr_server under the lock by the cron
 * (mgr_raft_cron), where other threads read them.
 */
#ifndef CAIRN_MANAGER_RAFT_H
#define CAIRN_MANAGER_RAFT_H

#include <stddef.h>
#include <stdint.h>

#include "manager/group.h"

struct mgr_server;
struct mgr_conf;

/* What the cron mirrors for other threads. [lock] */
struct mgr_raft_view {
    int role;                      /* MGR_ROLE_* */
    uint64_t term;
    uint64_t leader_id;            /* 0: none known */
    uint64_t commit, last_index, applied; /* C-Raft's indexes (applied: last_applied) */
    struct {                       /* indexed as mgr_server.peers */
        int up;                    /* leader: heard from within two election timeouts */
        uint64_t match;            /* leader: the peer's last replicated index */
    } peer[MGR_PEERS_MAX];
};

enum { MGR_ROLE_DOWN = 0, MGR_ROLE_FOLLOWER, MGR_ROLE_CANDIDATE, MGR_ROLE_LEADER };

/** Checks [manager] id, peers and raft_listen (main.c's check_conf). 0 or CN_ECONFIG, with
 *  the reason in err. */
int mgr_raft_check_conf(const struct mgr_conf *c, char *err, size_t errlen);

/** Bootstraps the group when data_dir/raft is missing (see the header), then starts C-Raft
 *  on s->loop and hooks the fsm's proposals to it. After load_state, before the RPC and
 *  admin listeners. Loop thread, lock not held. 0, CN_ECONFIG or CN_EIO (logged). */
int mgr_raft_start(struct mgr_server *s);
/** Closes C-Raft (pending proposals fail with CN_ECANCELED, later ones at once). Loop
 *  thread; the handles finish closing in the next uv_run. */
void mgr_raft_stop(struct mgr_server *s);
/** Releases what stop left (after the loop has run dry). */
void mgr_raft_dispose(struct mgr_server *s);
/** Mirrors role, term, leader and progress into s->rview. Loop thread, lock held. Returns
 *  1 when this manager has just become the leader. */
int mgr_raft_cron(struct mgr_server *s);

/** update-managers (group.h): on the leader, adds peer (its g/<id> record first, then
 *  Raft's configuration change: a spare, caught up, then a voter) or removes the manager
 *  peer->id (the configuration, then its record), one change at a time, under the rule of
 *  mgr_group_change_check; returns once the change is committed or has failed. Removing
 *  the leader itself hands leadership to another voter first and answers CN_ENOTLEADER,
 *  so the caller asks the new leader. 0, CN_ENOTLEADER, CN_EBUSY (another change runs),
 *  the rule's codes, CN_ETIMEDOUT (the new manager did not catch up: it is taken out
 *  again), CN_ECANCELED (shutdown, or leadership lost meanwhile), CN_EIO; a reason in why.
 *  An admin thread, lock held (released while it waits). */
int mgr_raft_change(struct mgr_server *s, int op, const struct mgr_peer *peer, char *why,
                    size_t whylen);

/** 1 when this manager is the leader (as of the last cron). [lock] */
int mgr_raft_is_leader(const struct mgr_server *s);
/** The leader's "host:rpc_port" (rpc != 0) or "host:admin_port"; "" when none is known or
 *  this manager is the leader. [lock] */
void mgr_raft_leader_addr(const struct mgr_server *s, int rpc, char *out, size_t outlen);
/** "leader", "follower", "candidate" or "down". */
const char *mgr_raft_role_name(int role);

#endif
