/*
 * manager/buckets.h: buckets (name, owner's canonical user id, canned ACL or grant list,
 * creation time), stored as b/<name>. A grant list (common/acl.h's text form, "grants" in the
 * record, state format 4: migrate.h) is the bucket's ACL when it is not empty; the gateway
 * resolved its grantees, the manager checks its shape. Records written before user ids existed name the owner by access key
 * id; manager/migrate.c rewrites them. Every change is a command entry (cmd.h) that bumps
 * buckets_ver (MGR_VER_BUCKETS) in the batch that applies it. mgr_buckets_create and
 * mgr_buckets_change propose and wait (not for the loop thread); the *_cmd builders are for
 * proposers that do not wait (the RPC ops).
 * A bucket may have a quota in bytes (0: none), stored here and served to gateways with
 * get_buckets as "quota"; the gateway enforces it.
 * A bucket has a redundancy policy (issue 21, common/redundancy.h): replicate, or ec:K+M
 * with K+M at most the storage nodes of the current ring when it is set. It is the named
 * configuration "redundancy", {"policy": "ec:K+M"} at x/<bucket>/redundancy, changed by a
 * bucket_set_config entry like the other configurations, rather than a field of the b/
 * record changed by a kind of its own like the quota: the configurations already reach the
 * gateways (get_buckets' "config"), backups and bucket deletion, so no new entry kind, wire
 * field or state format is needed, and a state without it (every state before it) reads as
 * replicate with no migration. replicate is stored as no configuration at all, so the
 * default has one form. Only an operator sets it (the admin API): an entry with an if_owner
 * (a gateway's RPC for a bucket owner) is refused. The policy is state only so far: no
 * write reads it yet.
 * A bucket has a multi-datacenter replication switch (issue 22, manager/clusters.h), on or
 * off, on by default: whether its changes are to be sent to the linked clusters. It is the
 * named configuration "replication" by the same reasoning as the redundancy policy:
 * {"replication": "off"} at x/<bucket>/replication, on stored as no configuration (so every
 * bucket of an older state, and every new one, is on with no migration), set by an operator
 * only. State only so far: nothing replicates over a link yet.
 * Threads: callers hold the server lock.
 */
#ifndef CAIRN_MANAGER_BUCKETS_H
#define CAIRN_MANAGER_BUCKETS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "common/acl.h"
#include "common/redundancy.h"
#include "manager/state.h"

#define MGR_BUCKET_NAME_MAX 63

typedef struct mgr_bucket {
    char name[MGR_BUCKET_NAME_MAX + 1];
    char owner[72];                /* canonical id of the owning user (users.h) */
    char acl[32];                  /* canned ACL */
    char grants[CN_ACL_TEXT_MAX];  /* grant list, "" when acl is the ACL */
    uint64_t created_ms;
    uint64_t quota_bytes;          /* 0: no quota */
} mgr_bucket_t;

/** 1 when name follows the S3 rules: 3..63 of [a-z0-9.-], starts and ends with a letter or
 *  digit, no "..", not an IPv4 address. */
int mgr_bucket_name_valid(const char *name);
/** 1 for a canned ACL S3 knows (private, public-read, public-read-write, ...). */
int mgr_bucket_acl_valid(const char *acl);
struct mgr_cmd;
/** Checks a bucket creation and fills *cmd (a bucket_create entry: the owner, given by
 *  canonical id or access key, is stored as the id; the creation time is now). acl NULL
 *  means "private". 0 (dispose cmd), CN_EINVAL (bad name or ACL), CN_ENOENT (no such user),
 *  CN_EEXIST (then *existing, if given, is the bucket that holds the name), CN_EIO. */
int mgr_buckets_create_cmd(mgr_state_t *st, const char *name, const char *owner,
                           const char *acl, mgr_bucket_t *existing, struct mgr_cmd *cmd);
/** mgr_buckets_create_cmd, proposed: 0 once the bucket exists, or the codes above. */
int mgr_buckets_create(mgr_fsm_t *f, const char *name, const char *owner, const char *acl,
                       mgr_bucket_t *existing);
/** 0, CN_ENOENT. */
int mgr_buckets_get(mgr_state_t *st, const char *name, mgr_bucket_t *out);
/** 1 for the canned ACLs update-acl and PutBucketAcl set on a bucket: every one
 *  mgr_bucket_acl_valid knows (issue 15). */
int mgr_bucket_acl_settable(const char *acl);
/** Fills *cmd with a change of bucket bk->name (kind: MGR_CMD_BUCKET_DELETE, _SET_ACL with
 *  bk->acl and bk->grants (a grant list, or "" for the canned acl alone), _SET_OWNER with bk->owner, a canonical id, _SET_QUOTA with bk->quota_bytes);
 *  if_owner (may be NULL) makes set_acl refused with CN_EPERM unless that id owns it. */
void mgr_buckets_change_cmd(int kind, const mgr_bucket_t *bk, const char *if_owner,
                            struct mgr_cmd *cmd);
/** mgr_buckets_change_cmd, proposed. 0, CN_ENOENT, CN_EINVAL (an ACL update-acl does not set,
 *  an owner no user has), CN_EIO. A delete does not check emptiness: the gateway does. */
int mgr_buckets_change(mgr_fsm_t *f, int kind, const mgr_bucket_t *bk);
/** Deletes bucket name (mgr_buckets_change). 0, CN_ENOENT, CN_EIO. */
int mgr_buckets_delete(mgr_fsm_t *f, const char *name);
/** How many buckets the user with canonical id user_id owns. */
size_t mgr_buckets_count_owned(mgr_state_t *st, const char *user_id);
/** A bucket as JSON: {"name","owner","acl","created_ms","quota"} and "grants" when it has a
 *  grant list, the stored record and the
 *  RPC get_buckets entry, "owner" being the canonical id. admin (the admin API, cairn-adm):
 *  "owner" is the owner's access key as leofs-adm shows it, "owner_id" the canonical id,
 *  "owner_user" the user name, and "created" (ISO 8601), "bucket", "redundancy" (the
 *  policy's text form, "unreadable" when its stored form does not read) and "replication"
 *  ("on", "off" or "unreadable") are added. */
json_t *mgr_bucket_json(mgr_state_t *st, const mgr_bucket_t *b, int admin);
/** 1 when name is a bucket configuration the manager keeps ("public_access_block",
 *  "ownership_controls", "tagging", "cors", ..., "redundancy", "replication"; a JSON object
 *  each, record x/<bucket>/<name>). */
int mgr_bucket_config_known(const char *name);
/** 1 when bucket has its "object_lock" configuration (issue 18; an unreadable state counts
 *  as having it: the refusals it causes are the safe side). */
int mgr_buckets_has_object_lock(mgr_state_t *st, const char *bucket);
/** Fills cmd with a bucket_set_config of bucket: config = value[0..len) (a JSON object;
 *  value NULL: delete it), only when the owner is if_owner (NULL: anyone). 0, CN_ENOENT,
 *  CN_EPERM (also: "redundancy" or "replication" with an if_owner, an operator's setting),
 *  CN_EINVAL (an unknown name, too long, a NUL), CN_EIO. */
int mgr_buckets_set_config_cmd(mgr_state_t *st, const char *bucket, const char *config,
                               const char *value, size_t len, const char *if_owner,
                               struct mgr_cmd *cmd);
/** bucket's redundancy policy: its "redundancy" configuration, or replicate when it has
 *  none. 0, CN_ENOENT (no such bucket), CN_ECORRUPT (a stored form that does not read: a
 *  newer release's, or a damaged state), CN_EIO. */
int mgr_buckets_redundancy(mgr_state_t *st, const char *bucket, cn_redund_t *out);
/** 0 when the cluster can hold r: replicate always, ec:K+M when the current ring (r/cur in
 *  st) has at least K+M storage nodes, as every fragment of a chunk goes to its own node.
 *  CN_EINVAL with one line in why[0..whylen) (no ring yet, too few nodes), CN_ECORRUPT,
 *  CN_EIO. */
int mgr_buckets_redundancy_fits(mgr_state_t *st, const cn_redund_t *r, char *why,
                                size_t whylen);
/** Fills cmd with the bucket_set_config that gives bucket the policy r (replicate: deletes
 *  the configuration). 0, CN_ENOENT, CN_EINVAL (mgr_buckets_redundancy_fits, with why),
 *  CN_EIO. */
int mgr_buckets_set_redundancy_cmd(mgr_state_t *st, const char *bucket, const cn_redund_t *r,
                                   char *why, size_t whylen, struct mgr_cmd *cmd);
/** mgr_buckets_set_redundancy_cmd, proposed: 0 once applied, or its codes (CN_EINVAL also
 *  when the ring shrank before the apply, which checks again). */
int mgr_buckets_set_redundancy(mgr_fsm_t *f, const char *bucket, const cn_redund_t *r,
                               char *why, size_t whylen);
/** bucket's replication switch (issue 22): *on 0 when its "replication" configuration is
 *  off, 1 when it has none. 0, CN_ENOENT (no such bucket), CN_ECORRUPT (a stored form that
 *  does not read), CN_EIO. */
int mgr_buckets_replication(mgr_state_t *st, const char *bucket, int *on);
/** Fills cmd with the bucket_set_config that switches bucket's replication on (deletes the
 *  configuration) or off. 0, CN_ENOENT, CN_EIO. */
int mgr_buckets_set_replication_cmd(mgr_state_t *st, const char *bucket, int on,
                                    struct mgr_cmd *cmd);
/** mgr_buckets_set_replication_cmd, proposed: 0 once applied, or its codes. */
int mgr_buckets_set_replication(mgr_fsm_t *f, const char *bucket, int on);
/** A bucket's policy document (p/<bucket>): 0 with *doc (NUL-terminated, cn_free) and *len,
 *  CN_ENOENT (none), CN_EIO. */
int mgr_bucket_policy_get(mgr_state_t *st, const char *bucket, char **doc, size_t *len);
/** Adds "policy" (the document) and "config" ({name: configuration}) to each bucket of arr
 *  (mgr_buckets_json) that has them: the gateways' bucket table. */
void mgr_buckets_add_policies(mgr_state_t *st, json_t *arr);
/** Fills cmd with a bucket_set_policy of bucket: doc[0..len) (doc NULL: delete), only when
 *  the owner is if_owner (NULL: anyone; checked now and again at apply). 0, CN_ENOENT,
 *  CN_EPERM, CN_EINVAL (too long, or a NUL in it), CN_EIO. */
int mgr_buckets_set_policy_cmd(mgr_state_t *st, const char *bucket, const char *doc,
                               size_t len, const char *if_owner, struct mgr_cmd *cmd);
/** Every bucket in name order as mgr_bucket_json. */
json_t *mgr_buckets_json(mgr_state_t *st, int admin);
/** Calls fn for every readable bucket record in name order; fn returns 0 to go on. */
int mgr_buckets_each(mgr_state_t *st, int (*fn)(mgr_bucket_t *b, void *arg), void *arg);

/* For fsm.c (apply) and migrate.c only. */
/** Adds bk's record to b. */
void mgr__buckets_put(mgr_state_t *st, mgr_batch_t *b, const mgr_bucket_t *bk);
/** Checks a bucket_* entry against st and adds its effect and the buckets_ver bump to b.
 *  0, or the code that refuses it (CN_EEXIST, CN_ENOENT, CN_EINVAL, CN_EPERM), CN_EIO. */
int mgr__buckets_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
