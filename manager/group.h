/*
 * manager/group.h: the managers of the group as records and rules, apart from C-Raft
 * (raft.h runs the group; raft_change.c changes its membership).
 *
 * Who is in the group is C-Raft's configuration: ids and Raft addresses, replicated in the
 * log. What the configuration cannot hold is where a manager answers RPCs and admin calls,
 * which followers need to name the leader. That is a state record per manager, written by
 * entries like every other change:
 *   g/<id>   {"id": 4, "host": "10.0.0.4", "raft": 10012, "rpc": 10010, "admin": 10011}
 * put by update-managers before it adds the manager (group_put), deleted after it removes
 * one (group_remove). A manager of the first configuration may have none: [manager] peers
 * says the same. A record is believed only for the manager whose Raft address it names, so
 * a record restored from another group's backup never redirects anyone.
 *
 * The rule of a change (mgr_group_change_check): one manager at a time, and the group after
 * the change still has a majority of its voters answering, counted by the leader.
 * Threads: the record functions take the state (server lock held); the rest is pure.
 */
#ifndef CAIRN_MANAGER_GROUP_H
#define CAIRN_MANAGER_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "manager/state.h"

#define MGR_PEERS_MAX 7

typedef struct mgr_cmd mgr_cmd_t;

/* One manager of the group. */
struct mgr_peer {
    uint64_t id;
    char host[64];
    int raft_port, rpc_port, admin_port;
    char raft_addr[80];            /* "host:raft_port", C-Raft's address of the peer */
    int voter;                     /* in the configuration as a voter (else standby/spare) */
};

/* A manager as the leader sees it, for the rule of a change. */
struct mgr_group_seen {
    uint64_t id;
    int voter;
    int up;                        /* heard from within the election timeout (itself: 1) */
};

enum mgr_group_op { MGR_GROUP_ADD = 1, MGR_GROUP_REMOVE };

/** Parses one "ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT]" (len bytes; the ports default to
 *  raft - 2 and raft - 1). 0 or CN_ECONFIG with the reason in err. */
int mgr_peer_parse(const char *e, size_t len, struct mgr_peer *p, char *err, size_t errlen);
/** Parses a comma-separated list of them into out (up to MGR_PEERS_MAX). 0, or CN_ECONFIG
 *  with a reason in err (a bad entry, a repeated id or address, too many). */
int mgr_peers_parse(const char *list, struct mgr_peer *out, size_t *n, char *err,
                    size_t errlen);

/** Reads g/<id> into *out when it names raft_addr: 0, CN_ENOENT (none, or another
 *  address), CN_EIO. [lock] */
int mgr_group_record(mgr_state_t *st, uint64_t id, const char *raft_addr,
                     struct mgr_peer *out);
/** Fills c as a group_put of p (id, host, ports). */
void mgr_group_cmd_put(mgr_cmd_t *c, const struct mgr_peer *p);
/** The apply of group_put and group_remove (fsm.c): fills b. 0 or CN_EINVAL. */
int mgr__group_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b);

/** May op (MGR_GROUP_ADD of a new voter, MGR_GROUP_REMOVE of id) run on a group seen as
 *  seen[0..n)? 0, or CN_EEXIST (add: id is in the group), CN_ENOENT (remove: it is not),
 *  CN_ENOSPC (add: MGR_PEERS_MAX already), CN_EINVAL (remove the last voter), CN_EQUORUM
 *  (the group after it would have no majority of its voters up), with the reason in why. */
int mgr_group_change_check(int op, uint64_t id, const struct mgr_group_seen *seen, size_t n,
                           char *why, size_t whylen);

#endif
