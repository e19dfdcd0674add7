/*
 * manager/cmd.h: the manager's command entries. Every change to the manager's state is one
 * entry: a proposer (an admin handler, an RPC op, the cron monitor, the watcher) decides what
 * to change, fills an mgr_cmd_t, and manager/fsm.c encodes it, gives it the next index and
 * applies it. Nothing else writes the state (state.h). Later kinds are added here, never as a
 * side door.
 *
 * Encoding, format version MGR_CMD_VERSION (1): one msgpack map with string keys,
 *   {"v": 1, "kind": "user_create", "user": "alice", "id": "9f…", "access_key": …}
 * "v" and "kind" come first and always; then the kind's fields in the order of cmd.c's table
 * (docs/PROTOCOL.md, "Manager command entries", lists them). A field is a str (names, keys,
 * states; no NUL, bounded by the mgr_cmd_t member it fills; a policy document: up to
 * MGR_CMD_MAX_TEXT bytes; a link's CA), a positive int, a bin (a ring's cn_ring_encode bytes,
 * a wrapped KEK or link secret of exactly its 60 bytes), for restore an array of [str key,
 * bin value] records, or for kms_rewrap and kms_remote_put an array of [str name, int epoch,
 * str master, bin wrapped] records, with a fifth element str origin (a linked cluster's id)
 * for an epoch of a remote key store (kms.h; always in kms_remote_put, left out for this
 * cluster's own keys); xdc_state_put's records are restore's [str key, bin value] with the value a
 * JSON envelope (xdc_sync.h). Optional strings and the optional int "xc" (a stamp's clock) are left out when empty, so one value has one encoding.
 * Decoding is strict and never trusts the bytes (an entry may come from a peer's log one
 * day): anything but one well-formed map of the kind's known fields with the right types and
 * sizes is CN_ECORRUPT; a version other than MGR_CMD_VERSION, or a kind this release does not
 * know, is CN_EPROTO (an entry of a newer release is refused, never half-understood).
 * The decoder checks shapes only; whether a name is valid or a user exists is the apply's
 * business (fsm.c), which answers with a code rather than failing the entry.
 *
 * Determinism: an entry carries every value its apply needs that the state does not hold:
 * random access keys, secrets and canonical ids, password hashes (computed before proposing:
 * an entry never carries a password), timestamps, whole rings, the key service's KEKs and
 * the cluster links' shared secrets already wrapped under the master key (an entry never
 * carries a KEK, a link's secret or a master key), the cluster's random id. Applying reads
 * no clock, no random source and no config, so every replica that applies the same entries
 * to the same state writes the same bytes.
 *
 * Ownership: an mgr_cmd_t owns its ring, records, wraps and text (mgr_cmd_dispose frees them); the
 * rest is inline. Threads: none of this touches shared state; any thread.
 */
#ifndef CAIRN_MANAGER_CMD_H
#define CAIRN_MANAGER_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ring.h"
#include "manager/buckets.h"
#include "manager/clusters.h"
#include "manager/endpoints.h"
#include "manager/group.h"
#include "manager/kms.h"
#include "manager/members.h"
#include "manager/ring_sync.h"
#include "manager/users.h"

#define MGR_CMD_VERSION 1
#define MGR_CMD_MAX_RING (1u << 20)     /* bytes of a ring in an entry */
#define MGR_CMD_MAX_KEY 1024            /* bytes of a state key in a restore record */
#define MGR_CMD_MAX_VALUE (16u << 20)   /* bytes of a state value in a restore record */
#define MGR_CMD_MAX_TEXT (64u << 10)    /* bytes of a text field (a bucket policy) */

/* The kinds; the number is for this process only, the wire names the kind by its string. */
enum mgr_cmd_kind {
    MGR_CMD_NONE = 0,
    MGR_CMD_USER_CREATE,        /* create-user and import-user: the whole user */
    MGR_CMD_USER_DELETE,
    MGR_CMD_USER_SET_ROLE,
    MGR_CMD_USER_SET_PASSWORD,  /* the PBKDF2 hash, or none */
    MGR_CMD_BUCKET_CREATE,
    MGR_CMD_BUCKET_DELETE,
    MGR_CMD_BUCKET_SET_ACL,     /* optionally only when the bucket's owner is if_owner */
    MGR_CMD_BUCKET_SET_OWNER,
    MGR_CMD_BUCKET_SET_QUOTA,
    MGR_CMD_ENDPOINT_ADD,
    MGR_CMD_ENDPOINT_DELETE,
    MGR_CMD_MEMBER_PUT,         /* register and heartbeat: a member's whole saved record */
    MGR_CMD_MEMBER_SET_STATE,   /* admin actions, monitor, watcher: only when it is `from` */
    MGR_CMD_MEMBER_REMOVE,
    MGR_CMD_RING_START,         /* the first ring and the consistency levels */
    MGR_CMD_RING_REBALANCE,     /* a new cur; the old cur becomes prev */
    MGR_CMD_RING_ROLLBACK,      /* cur and prev swap */
    MGR_CMD_RING_DROP_PREV,     /* the rebalance is done */
    MGR_CMD_LEVELS_SET,
    MGR_CMD_RESTORE,            /* restore-manager: the whole state from a backup */
    MGR_CMD_SNAPSHOT,           /* the whole state at an index: installed (fsm.h), never
                                 * applied as an entry */
    MGR_CMD_GROUP_PUT,          /* update-managers: where a manager answers (group.h) */
    MGR_CMD_GROUP_REMOVE,
    MGR_CMD_BUCKET_SET_POLICY,  /* Put/DeleteBucketPolicy: the document, or none (delete);
                                 * optionally only when the bucket's owner is if_owner */
    MGR_CMD_BUCKET_SET_CONFIG,  /* one named configuration of a bucket (buckets.h: public
                                 * access block, ownership controls, ...), or none */
    MGR_CMD_ACCESS_KEY_CREATE,  /* a user's next key (access_keys.h) */
    MGR_CMD_ACCESS_KEY_DELETE,
    MGR_CMD_ACCESS_KEY_SET_STATUS, /* Active or Inactive */
    MGR_CMD_USER_SET_EMAIL,     /* update-user-email: the address grants by email name, or
                                 * none */
    MGR_CMD_KMS_KEY_CREATE,     /* the key service (kms.h): a named key, its epoch 1 */
    MGR_CMD_KMS_KEY_ROTATE,     /* the key's next epoch */
    MGR_CMD_KMS_REWRAP,         /* epochs wrapped again under the current master key */
    MGR_CMD_CLUSTER_ID_SET,     /* issue 22 (clusters.h): this cluster's id, once */
    MGR_CMD_CLUSTER_LINK_ADD,   /* join-cluster: a link with its secret already wrapped */
    MGR_CMD_CLUSTER_LINK_SET_STATE, /* remove-cluster: linked -> removing */
    MGR_CMD_CLUSTER_LINK_DELETE, /* the leader drops a link being removed */
    MGR_CMD_CLUSTER_LINK_REWRAP, /* a link's secret wrapped again under the current master */
    MGR_CMD_XDC_STATE_PUT,      /* issue 22 (xdc_sync.h): records pulled from a linked
                                 * cluster, each with its stamp, applied by the rule */
    MGR_CMD_XDC_TOMBSTONE_PURGE, /* the tombstones stamped before `before` dropped */
    MGR_CMD_KMS_REMOTE_PUT,     /* issue 22 (kms.h): a linked cluster's KEKs, wrapped here */
    MGR_CMD_NKINDS
};

/* One state record of a restore entry. */
typedef struct mgr_cmd_rec {
    char *key;                     /* NUL-terminated */
    void *val;
    size_t vlen;
} mgr_cmd_rec_t;

/* One entry, decoded. Which members a kind uses is its field table in cmd.c; the others stay
 * zero. */
typedef struct mgr_cmd {
    enum mgr_cmd_kind kind;
    mgr_user_t user;               /* user_*: name; user_create all but the password itself */
    mgr_bucket_t bucket;           /* bucket_*: name, owner (canonical id), acl, grants (a
                                    * grant list, common/acl.h; optional), created_ms,
                                    * quota_bytes */
    char if_owner[MGR_USER_ID_LEN + 1]; /* bucket_set_acl: "" or the id that must own it */
    char endpoint[MGR_ENDPOINT_MAX + 1]; /* endpoint_*: the domain, lower case */
    uint64_t created_ms;           /* endpoint_add */
    mgr_member_t member;           /* member_*: name; member_put the saved fields only */
    char from[16];                 /* member_set_state: the state the member must be in */
    uint8_t *ring;                 /* ring_start, ring_rebalance: cn_ring_encode bytes */
    size_t ring_len;
    uint64_t expect_cur, expect_prev; /* ring_*: the checksums the proposer saw */
    mgr_levels_t levels;           /* ring_start, levels_set */
    mgr_cmd_rec_t *recs;           /* restore, snapshot: the records, in key order */
    size_t nrecs;
    uint64_t applied;              /* snapshot: the index it was taken at */
    struct mgr_peer peer;          /* group_put: id, host and ports; group_remove: id */
    char config[32];               /* bucket_set_config: the configuration's name */
    char *text;                    /* bucket_set_policy: the policy document; bucket_set_config:
                                    * the configuration (JSON); NUL-terminated, NULL for none;
                                    * owned */
    size_t text_len;
    char key_status[12];           /* access_key_set_status: "Active" or "Inactive"; the key
                                    * is user.access_key (access_key_create: also user.name,
                                    * user.secret and created_ms) */
    mgr_kms_wrap_t kms;            /* kms_key_create (epoch 1, not sent), kms_key_rotate: the
                                    * name and its new epoch's wrapped KEK; with created_ms */
    mgr_kms_wrap_t *wraps;         /* kms_rewrap: the epochs rewrapped; kms_remote_put: the
                                    * epochs copied (with created_ms); at most
                                    * MGR_KMS_REWRAP_MAX; owned */
    size_t nwraps;
    char cluster_id[MGR_CLUSTER_ID_LEN + 1]; /* cluster_id_set: this cluster's id, with
                                    * created_ms */
    uint64_t xclock;               /* issue 22 (xdc_sync.h): the stamp's clock (an HLC value)
                                    * of a user_*, access_key_* or bucket_* entry, chosen by
                                    * the proposer (mgr_fsm_propose), 0 in an entry of an older
                                    * log ("xc", left out when 0); xdc_tombstone_purge: the
                                    * clock before which tombstones go ("before") */
    mgr_cluster_link_t link;       /* cluster_link_*: id (the remote's); add: also managers,
                                    * master, wrapped, created_ms and the CA as text (PEM,
                                    * optional); set_state: also state and `from`; rewrap:
                                    * also master and wrapped */
} mgr_cmd_t;

/** Zeroes c and sets its kind. */
void mgr_cmd_init(mgr_cmd_t *c, enum mgr_cmd_kind kind);
/** Frees what c owns (ring, records, wraps, text) and zeroes it. */
void mgr_cmd_dispose(mgr_cmd_t *c);
/** The kind's wire name ("user_create"), or "?" for a number that is no kind. */
const char *mgr_cmd_kind_name(enum mgr_cmd_kind kind);
/** Sets the ring of c to cn_ring_encode(r) (replacing one set before). */
void mgr_cmd_set_ring(mgr_cmd_t *c, const cn_ring_t *r);
/** Sets the text of c to a copy of text[0..len) (len 0: none), replacing one set before. */
void mgr_cmd_set_text(mgr_cmd_t *c, const char *text, size_t len);
/** Appends a copy of one record to a restore entry. */
void mgr_cmd_add_rec(mgr_cmd_t *c, const char *key, const void *val, size_t vlen);
/** Appends a copy of one wrap to a kms_rewrap or kms_remote_put entry. */
void mgr_cmd_add_wrap(mgr_cmd_t *c, const mgr_kms_wrap_t *w);

/** Appends the encoding of c to out. c must be a complete entry of a known kind (its
 *  required strings non-empty): anything else is our bug and asserts. */
void mgr_cmd_encode(const mgr_cmd_t *c, cn_buf_t *out);
/** Decodes one entry (exactly len bytes) into *out, which the caller disposes on success.
 *  0, CN_ECORRUPT (malformed, or fields that do not fit the kind), CN_EPROTO (another
 *  format version or an unknown kind). On failure *out holds nothing to free. */
int mgr_cmd_decode(const void *p, size_t len, mgr_cmd_t *out);

#endif
