/*
 * manager/members.h: the cluster's members (storage nodes and gateways) and their states.
 * The table lives in memory (heartbeat times change every second) and each member is saved
 * as m/<name> whenever something that matters on restart changes (type, address, weight,
 * state, the ring checksums it reports): a member_put or member_set_state entry (cmd.h).
 * The table's saved fields follow the state: fsm.c calls mgr_members_refresh after applying
 * an entry that touches members, so they never say what the state does not.
 * States: a storage node that registers for the first time is "attached"; once it is in the
 * current ring, register and heartbeat make it "running". A gateway is "running" once it
 * registers. The monitor marks a member "stop" after node_timeout_ms of silence; its next
 * heartbeat or register gives it back its state (running, or attached when not in the ring).
 * Admin states (cairn-adm): "suspend" (a running storage node taken out of service; it stays
 * in the ring) and "detached" (marked for removal at the next rebalance). They are sticky:
 * heartbeats, registers and the monitor leave them alone; only resume (suspend -> running)
 * changes them back.
 * "restarted": a ring member that registers again (a restart) or is heard from after it was
 * marked stop; it is back but the other nodes' repair queues may still owe it writes, so it is
 * not used as a coordinator yet (it is in the heartbeat's `down` list). The watcher
 * (watch.c) makes it running once every node's repair queue is empty (mq_stats depth 0).
 * Threads: callers hold the server lock. The *_cmd functions only decide (the loop thread
 * proposes what they fill and answers from its done callback); admin, set_state and remove
 * propose and wait (not the loop thread); monitor proposes without waiting (the loop).
 */
#ifndef CAIRN_MANAGER_MEMBERS_H
#define CAIRN_MANAGER_MEMBERS_H

#include <stddef.h>
#include <stdint.h>
#include "common/ring.h"
#include "manager/state.h"

struct mgr_cmd;

#define MGR_STATE_ATTACHED "attached"
#define MGR_STATE_RUNNING "running"
#define MGR_STATE_STOP "stop"
#define MGR_STATE_SUSPEND "suspend"
#define MGR_STATE_DETACHED "detached"
#define MGR_STATE_RESTARTED "restarted"

/* The cache counters a gateway reports in each heartbeat (gateway/cache/cache.c, "cache_" + name),
 * kept in memory for `cairn-adm status GATEWAY`. */
#define MGR_GW_CACHE_NFIELDS 13
extern const char *const mgr_gw_cache_fields[MGR_GW_CACHE_NFIELDS];

/* What a storage node's link senders report in each heartbeat (issue 22; "xdc_stats", one
 * entry per remote cluster), kept in memory for cluster-status. */
#define MGR_XDC_STATS_MAX 8            /* entries kept per node (links are at most 4) */
#define MGR_XDC_ERROR_MAX 200          /* bytes of a last_error kept */
#define MGR_XDC_ADDR_MAX 96            /* "host:port" of a node's link listener */

typedef struct mgr_xdc_stat {
    char id[17];                   /* the remote cluster's id */
    uint64_t sent, lag_objects, lag_seconds, queue_bytes, last_ok_ms;
    int needs_recover;
    char last_error[MGR_XDC_ERROR_MAX]; /* "" = none */
    uint64_t error_since_ms;       /* wall clock when this node first reported last_error */
} mgr_xdc_stat_t;

typedef struct mgr_member {
    char name[CN_RING_NAME_MAX];
    char type[16];                 /* CN_NODE_STORAGE or CN_NODE_GATEWAY */
    char host[CN_RING_HOST_MAX];
    int port;
    uint32_t vnodes;               /* ring weight (storage) */
    char state[16];
    uint64_t ring_cur, ring_prev;  /* checksums the node reported last */
    uint64_t updated_ms;           /* wall clock of the last register or heartbeat */
    uint64_t seen_mono_ms;         /* monotonic time of the last contact (memory only) */
    int ring_push;                 /* recover-ring: make it fetch the rings again (memory) */
    int log_level_set;             /* update-log-level of a gateway: heartbeat replies carry */
    int log_level;                 /* log_level from then on (memory) */
    int have_cache;                /* a gateway's last reported cache counters (memory) */
    uint64_t cache[MGR_GW_CACHE_NFIELDS];
    char xdc_addr[MGR_XDC_ADDR_MAX]; /* a storage node's link listener, "" = none (memory) */
    uint64_t links_sum;            /* the links it holds (get_links' sum; memory): a link is
                                    * in force on it once this is the state's */
    int have_xdc;                  /* it sent xdc_stats in its last heartbeat (memory) */
    size_t n_xdc;
    mgr_xdc_stat_t xdc[MGR_XDC_STATS_MAX]; /* its last xdc_stats (memory) */
} mgr_member_t;

typedef struct mgr_members {
    mgr_member_t *v;
    size_t n, cap;
} mgr_members_t;

/** 1 when name is 1..63 of [A-Za-z0-9._@:-]. */
int mgr_node_name_valid(const char *name);
/** Initializes ms and loads every saved member; each gets a fresh grace period of
 *  node_timeout_ms from now_mono_ms. 0 or CN_EIO. */
int mgr_members_load(mgr_members_t *ms, mgr_state_t *st, uint64_t now_mono_ms);
void mgr_members_dispose(mgr_members_t *ms);
/** Borrowed pointer, valid until the table changes (an applied entry). NULL when unknown. */
mgr_member_t *mgr_members_find(mgr_members_t *ms, const char *name);
/** Forgets a member (a member_remove entry). 0, CN_ENOENT or CN_EIO. */
int mgr_members_remove(mgr_fsm_t *f, mgr_members_t *ms, const char *name);
/** Brings the saved fields of the table to what st holds: of member name, or of every member
 *  (name NULL; those st no longer has are dropped). A member new to the table gets
 *  now_mono_ms as its last contact. fsm.c calls it after applying. 0 or CN_EIO. */
int mgr_members_refresh(mgr_members_t *ms, mgr_state_t *st, const char *name,
                        uint64_t now_mono_ms);

/** Decides "register": fills *cmd with the member_put to propose (its state as register
 *  sets it: attached, running or restarted). cur is the current ring or NULL. vnodes 0 means
 *  the default. 0 (dispose cmd), CN_EINVAL (bad type, name, host or port), CN_EEXIST (the
 *  name belongs to a member of another type). Changes nothing. */
int mgr_members_register_cmd(mgr_members_t *ms, const cn_ring_t *cur, const char *type,
                             const char *name, const char *host, int port, uint32_t vnodes,
                             struct mgr_cmd *cmd);
/** Sets the last contact of a member to now_mono_ms (after its register is applied). */
void mgr_members_touch(mgr_members_t *ms, const char *name, uint64_t now_mono_ms);
/** Decides "heartbeat": notes the contact (memory only) and, when the node's state or the
 *  checksums it holds change, fills *cmd with the member_put to propose and sets *changed.
 *  0, CN_ENOENT when the node must register first. */
int mgr_members_heartbeat_cmd(mgr_members_t *ms, const cn_ring_t *cur, const char *name,
                              uint64_t ring_cur, uint64_t ring_prev, uint64_t now_mono_ms,
                              struct mgr_cmd *cmd, int *changed);
/** Notes a storage node's heartbeat fields of issue 22 on m (memory only, never an entry):
 *  addr its link listener ("host:port"; NULL or "" = none) and stats the JSON object text of
 *  its senders' figures (NULL = it sent none), {"<remote id>": {"sent", "lag_objects",
 *  "lag_seconds", "queue_bytes", "last_error", "last_ok_ms", "needs_recover"}}. now_ms is the
 *  wall clock (when an error was first seen). 0, or CN_EINVAL for an address or stats that
 *  do not parse (then m keeps no stats; the heartbeat goes on). */
int mgr_members_xdc_report(mgr_member_t *m, const char *addr, const char *stats, size_t len,
                           uint64_t now_ms);
/** Admin state changes of a storage node (detach, suspend, resume). cur is the current ring,
 *  n the replica count N. Returns 0 (saved), CN_ENOENT (unknown node), CN_EINVAL (not a
 *  storage node), CN_EBUSY (its state does not allow it: why says so), CN_ERING (detaching
 *  would leave fewer than n ring members), CN_EIO. why gets a one-line reason on failure. */
int mgr_members_admin(mgr_fsm_t *f, mgr_members_t *ms, const cn_ring_t *cur, uint64_t n,
                      const char *name, const char *action, char *why, size_t whylen);
/** 1 when a member in contact (running or suspend) reports a ring_cur other than sum; then
 *  *who is that member. 0 when every such member agrees or there is no ring (sum 0). */
int mgr_members_disagree(mgr_members_t *ms, uint64_t sum, const mgr_member_t **who);
/** Moves a member from the state it has now to state (the watcher: restarted -> running).
 *  0, CN_ENOENT, CN_EBUSY (it changed meanwhile), CN_EIO. */
int mgr_members_set_state(mgr_fsm_t *f, mgr_members_t *ms, const char *name,
                          const char *state);
/** Writes into out the comma-joined names of the storage nodes of cur that should not
 *  coordinate: stop, suspend or restarted ("" when none; truncated at a name boundary). */
void mgr_members_down_csv(const mgr_members_t *ms, const cn_ring_t *cur, char *out,
                          size_t outlen);
/** Counts every member as heard from at now_mono_ms: a manager that has just become the
 *  leader heard no heartbeat yet (they went to the old one). Lock held. */
void mgr_members_touch_all(mgr_members_t *ms, uint64_t now_mono_ms);
/** Proposes stop for the members silent for longer than timeout_ms, without waiting.
 *  Returns how many it proposed. */
size_t mgr_members_monitor(mgr_fsm_t *f, mgr_members_t *ms, uint64_t timeout_ms,
                           uint64_t now_mono_ms);

/* For fsm.c (apply) and ring_sync.c only. */
/** Adds m's record to b. */
void mgr__members_put(mgr_batch_t *b, const mgr_member_t *m);
/** Checks a member_* entry against st and adds its effect to b. 0, CN_EINVAL, CN_EEXIST
 *  (another type has the name), CN_ENOENT, CN_EBUSY (set_state: not in `from`), CN_EIO. */
int mgr__members_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);
/** Adds to b the saved members of ring r made running (only those attached, if asked). */
int mgr__members_run_ring(mgr_state_t *st, mgr_batch_t *b, const cn_ring_t *r,
                          int only_attached);

#endif
