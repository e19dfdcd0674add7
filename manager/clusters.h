/*
 * manager/clusters.h: this cluster's id and its links to other clusters (issue 22,
 * multi-datacenter replication), as state. The data path that replicates over a link
 * (queues, senders, the remote's writes) is not built yet, and until it is a link is a
 * record, not a working replication (docs/DESIGN.md, "Multi-datacenter links (issue 22):
 * state"). What is sent today, for it: this cluster's storage nodes get links_sum in every
 * register/heartbeat reply and the links with their secrets unwrapped (hex) from the
 * cluster op get_links (rpc_srv.c, mgr_clusters_links_json); their heartbeats' xdc_stats
 * come back as the live sender figures of cluster-status (mgr_clusters_live; the stored
 * figures below stay zero); the link listener (xdc_srv.c) authenticates a linked cluster
 * by the link's secret.
 *
 * State (state.h), no format bump (migrate.h): both are new keys that no older release
 * reads, and a state without them has no id yet and no link.
 *   c/id          {"id": "3f1c0a9e5b7d2c44", "created_ms": 1732330000123}
 *                 made once per cluster (manager group) by a cluster_id_set entry whose
 *                 proposer drew the id (mgr_clusters_cron, the leader's duty); never changed
 *                 by another entry. A restore takes the backup's id, or keeps this one when
 *                 the backup has none (a release before ids).
 *   l/<remote id> {"id": REMOTE, "managers": ["10.1.0.1:10010", ...], "state": "linked",
 *                  "created_ms": ..., "master": "<16 hex id>", "wrapped": "<base64 of 60
 *                  bytes>", "ca": "-----BEGIN CERTIFICATE-----..." (optional),
 *                  "lag_objects": 0, "lag_seconds": 0, "queue_bytes": 0, "last_error": "",
 *                  "last_ok_ms": 0}
 *                 one per linked cluster, at most MGR_CLUSTER_LINKS_MAX. "managers" are the
 *                 remote managers' link listeners (their [xdc] listen), canonical
 *                 (common/mgr_addrs.h). The shared secret of the two clusters (32 bytes) is
 *                 stored only wrapped by this manager group's master key (kms_master.h),
 *                 like the key service's KEKs, with AAD "cairn cluster link secret v1|<remote
 *                 id>", so a wrapped secret copied to another link does not unwrap; no read
 *                 of the admin API returns it, wrapped or not. The last five fields stay
 *                 zero: the sender's figures are live, from the storage nodes' heartbeats
 *                 (mgr_clusters_live), never written to the state.
 *
 * Ids: 16 lower-case hex digits (64 random bits). A link's state is "linked" or "removing":
 * remove-cluster makes it "removing" (cluster_link_set_state), and the leader's cron deletes
 * a removing link (cluster_link_delete) once nothing sends over it any more, which today is
 * at once. While it is removing the id cannot be linked again.
 *
 * The one write path (fsm.h): five kinds of entries (cmd.h), each carrying what its apply
 * needs (the id drawn, the time, the secret already wrapped); the apply reads no clock,
 * random source, config or master key:
 *   cluster_id_set {id, created_ms}: CN_EEXIST when the cluster has an id (another leader's
 *       came first), CN_EINVAL for a malformed id;
 *   cluster_link_add {id, managers, created_ms, master, wrapped, ca?}: CN_EINVAL (a bad id,
 *       address list, master id or CA; the cluster's own id), CN_EAGAIN (no id yet: the own
 *       id cannot be told apart), CN_EEXIST (linked or being removed), CN_ENOSPC (4 links);
 *   cluster_link_set_state {id, state, from}: CN_ENOENT, CN_EINVAL, CN_EBUSY (not in from);
 *   cluster_link_delete {id}: CN_ENOENT, CN_EBUSY (not removing: remove-cluster first);
 *   cluster_link_rewrap {id, master, wrapped}: the secret wrapped again under the current
 *       master (kms-rewrap after a master rotation); CN_ENOENT, CN_EINVAL.
 * Threads: callers hold the server lock (the state has none); the masters are read-only.
 */
#ifndef CAIRN_MANAGER_CLUSTERS_H
#define CAIRN_MANAGER_CLUSTERS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "common/sse.h"
#include "manager/kms_master.h"
#include "manager/members.h"
#include "manager/state.h"

#define MGR_CLUSTER_ID_LEN 16
#define MGR_CLUSTER_ID_KEY "c/id"
#define MGR_CLUSTER_PREFIX "l/"
#define MGR_CLUSTER_LINKS_MAX 4             /* links of one cluster */
#define MGR_CLUSTER_MANAGERS_MAX 7          /* addresses of one remote (a group's most) */
#define MGR_CLUSTER_MANAGERS_LEN 1024       /* their comma-joined canonical list */
#define MGR_CLUSTER_CA_MAX (32u << 10)      /* bytes of a link's CA (PEM) */
#define MGR_CLUSTER_SECRET_LEN CN_SSE_KEY_LEN
#define MGR_CLUSTER_AAD_LABEL "cairn cluster link secret v1"
#define MGR_LINK_LINKED "linked"
#define MGR_LINK_REMOVING "removing"

struct mgr_cmd;

/* A link as an entry carries it (cmd.h) and as mgr_clusters_get reads it. */
typedef struct mgr_cluster_link {
    char id[MGR_CLUSTER_ID_LEN + 1];            /* the remote cluster's */
    char managers[MGR_CLUSTER_MANAGERS_LEN + 1]; /* "host:port,host:port", canonical */
    char state[12];                             /* set_state: the new one */
    char master[MGR_KMS_ID_LEN + 1];            /* the master that wrapped the secret */
    uint8_t wrapped[CN_SSE_WRAPPED_LEN];        /* the secret, wrapped */
} mgr_cluster_link_t;

/* What join-cluster asks for, as the admin handler checked its shape. */
struct mgr_cluster_join {
    const char *id;                             /* the remote cluster's id */
    const char *managers;                       /* "host:port,host:port" as given */
    const uint8_t *secret;                      /* MGR_CLUSTER_SECRET_LEN bytes */
    const char *ca;                             /* PEM, or NULL */
    size_t ca_len;
};

/** 1 when id is 16 lower-case hex digits. */
int mgr_clusters_id_valid(const char *id);
/** The AAD of a link's secret into out (cap >= sizeof(MGR_CLUSTER_AAD_LABEL) + 18); returns
 *  its length. */
size_t mgr_clusters_aad(const char *id, char *out, size_t cap);

/* ---- proposers: fill an entry (nothing is written here) --------------------------------- */

/** A cluster_id_set entry with a new random id and now_ms. 0 or CN_EIO (no randomness). */
int mgr_clusters_id_cmd(uint64_t now_ms, struct mgr_cmd *cmd /* OUT */);
/** A cluster_link_add entry for j: the secret wrapped under m's current master. Checks what
 *  the apply will (and the CA's PEM, which the apply takes as text). 0, or with the reason in
 *  why: CN_EINVAL (a bad id, address list or CA; this cluster's own id), CN_ENOTSUP (no master
 *  key), CN_EAGAIN (this cluster has no id yet), CN_EEXIST (linked, or being removed),
 *  CN_ENOSPC (MGR_CLUSTER_LINKS_MAX links), CN_EIO. */
int mgr_clusters_join_cmd(mgr_state_t *st, const mgr_kms_masters_t *m,
                          const struct mgr_cluster_join *j, uint64_t now_ms,
                          struct mgr_cmd *cmd /* OUT */, char *why, size_t whylen);
/** Fills cmd as a cluster_link_set_state of id from `from` to `to`. */
void mgr_clusters_state_cmd(struct mgr_cmd *cmd, const char *id, const char *from,
                            const char *to);
/** A cluster_link_rewrap entry for the first link (in id order) whose secret m's previous
 *  master wrapped: unwrapped and wrapped again under the current one; cmd's kind stays
 *  MGR_CMD_NONE when none is left. *others counts the links under a master that is neither.
 *  0, CN_ENOTSUP (no current master), CN_ECORRUPT (a secret that names the previous master
 *  does not unwrap with it; logged), CN_EIO. */
int mgr_clusters_rewrap_cmd(mgr_state_t *st, const mgr_kms_masters_t *m,
                            struct mgr_cmd *cmd /* OUT */, size_t *others /* OUT */);

/** The leader's duty, from the cron (loop thread, lock held; main.c): proposes this
 *  cluster's id when the state has none (a new cluster, or a state of a release before ids:
 *  an entry, not a migration), and the deletion of one link that is being removed. One entry
 *  at a time: *busy is set while one is proposed and cleared by its done (at once without a
 *  log); one that fails is proposed again at a later call. */
void mgr_clusters_cron(mgr_fsm_t *f, int *busy, uint64_t now_ms);

/* ---- reads -------------------------------------------------------------------------------- */

/** This cluster's id into id: 0, CN_ENOENT (none yet), CN_ECORRUPT, CN_EIO. */
int mgr_clusters_id(mgr_state_t *st, char id[MGR_CLUSTER_ID_LEN + 1] /* OUT */);
/** The link to the cluster id: 0, CN_ENOENT, CN_ECORRUPT (logged), CN_EIO. */
int mgr_clusters_get(mgr_state_t *st, const char *id, mgr_cluster_link_t *out /* OUT */);
/** How many links there are (any state); 0 when the state cannot be read. */
size_t mgr_clusters_count(mgr_state_t *st);
/** One link for the admin API, never its secret: {id, managers, state, created, created_ms,
 *  master, ca (bool), lag_objects, lag_seconds, queue_bytes, last_error (null for none),
 *  last_ok (ISO 8601, null for never), last_ok_ms}; NULL with *rc (CN_ENOENT, CN_ECORRUPT,
 *  CN_EIO). */
json_t *mgr_clusters_link_json(mgr_state_t *st, const char *id, int *rc);
/** Every link as mgr_clusters_link_json, in id order; NULL with *rc on failure. */
json_t *mgr_clusters_list_json(mgr_state_t *st, int *rc);
/** The shared secret of the link to id, unwrapped (the sender's, once it exists): 0 with
 *  secret set (the caller wipes it), CN_ENOTSUP (no master key), CN_ENOENT, CN_ECORRUPT
 *  (wrapped by a master this manager does not hold, or it does not unwrap; logged), CN_EIO. */
int mgr_clusters_secret(mgr_state_t *st, const mgr_kms_masters_t *m, const char *id,
                        uint8_t secret[MGR_CLUSTER_SECRET_LEN] /* OUT */);
/** The CA (PEM) of the link to id into *pem (NUL-terminated, cn_free it) and *len: 0,
 *  CN_ENOENT (no such link, or it has no CA), CN_ECORRUPT, CN_EIO. */
int mgr_clusters_ca(mgr_state_t *st, const char *id, char **pem /* OUT */, size_t *len);
/* ---- what this cluster's storage nodes get (issue 22: the link senders) ------------------ */

/** links_sum of the register and heartbeat replies: a checksum (CRC-64/NVME, never 0 once
 *  there is something) over the stored bytes of c/id and of every l/ record, keys included;
 *  0 when the cluster has no id and no link (or the state does not read). A node that sees it
 *  change calls get_links. Lock held. */
uint64_t mgr_clusters_sum(mgr_state_t *st);
/** The get_links body: {"cluster_id": ID or "", "sum": mgr_clusters_sum, "links": [{"id",
 *  "state", "managers": "host:port,...", "secret": 64 lower-case hex of the unwrapped
 *  secret ("" when it does not unwrap: logged), "ca": PEM (only when the link has one)}]},
 *  in id order. The secrets are in the returned object: wipe them with
 *  mgr_clusters_links_wipe before json_decref. NULL with *rc (CN_ECORRUPT, CN_EIO). */
json_t *mgr_clusters_links_json(mgr_state_t *st, const mgr_kms_masters_t *m, int *rc);
/** Overwrites (OPENSSL_cleanse) the "secret" strings of a mgr_clusters_links_json answer. */
void mgr_clusters_links_wipe(json_t *j);
/** Replaces the sender's figures of one link of the admin API (mgr_clusters_link_json) by
 *  the live ones the storage nodes of ms reported in their heartbeats (memory, this
 *  manager's): lag_objects, queue_bytes summed; lag_seconds and last_ok_ms the max; last_error
 *  the most recently first seen non-empty one as "NODE: error"; needs_recover true if any
 *  node says so; nodes_reporting how many nodes sent figures for the link. Lock held. */
void mgr_clusters_live(json_t *link, const mgr_members_t *ms);

/** How many links' secrets are wrapped by a master m does not hold, the first one's id into
 *  id (said at startup, as mgr_kms_unknown_masters). */
size_t mgr_clusters_unknown_masters(mgr_state_t *st, const mgr_kms_masters_t *m,
                                    char id[MGR_KMS_ID_LEN + 1]);

/* For fsm.c (apply) only. */
/** Checks a cluster_* entry against st and adds its effect to b: 0, the code that refuses it
 *  (see the header), CN_EIO. */
int mgr__clusters_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
