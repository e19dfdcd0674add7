/*
 * gateway/link/mgr_link.h: the gateway's link to the manager (mgr_link.c): registration and
 * heartbeats, and the tables it fetches when their versions change: users, buckets, the
 * rings, the endpoints. Its state is per worker (struct gw_mgr in gw_server_t), its tables
 * are every worker's: a fetch, made by whichever worker needs it (worker 0 for the
 * heartbeat's, any worker that waits for a bucket change), is published as a snapshot
 * (tables.h) and read through the views in struct gw_mgr that gw_mgr_sync sets. Loop thread
 * of its worker only.
 */
#ifndef CAIRN_GATEWAY_MGR_LINK_H
#define CAIRN_GATEWAY_MGR_LINK_H

#define H2O_USE_LIBUV 1
#include <h2o.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "common/mgr_client.h"
#include "common/redundancy.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "gateway/auth/access.h" /* gw_ownership_t */
#include "gateway/auth/policy.h"
#include "common/lifecycle.h"
#include "gateway/s3/cors.h"
#include "gateway/s3/lock_doc.h"
#include "gateway/s3/sse_conf.h"
#include "gateway/link/sse_keys.h"
#include "gateway/link/tables.h"

typedef struct gw_server gw_server_t;

/* One Active access key of a user (a user has as many entries as Active keys; one with
 * access_key "" when it has none, so that it is still found by id). */
typedef struct gw_user {
    char *user;
    char *id;         /* canonical id (64 hex): what owns buckets and objects */
    char *access_key;
    char *secret;
    char *role;
    char *email;      /* "" when none: what a grant by email address names (issue 15) */
} gw_user_t;

/* A bucket's public access block (PutPublicAccessBlock): which of S3's four settings are on. */
#define GW_PAB_BLOCK_ACLS 1u       /* BlockPublicAcls: a request setting a public ACL: 403 */
#define GW_PAB_IGNORE_ACLS 2u      /* IgnorePublicAcls: public ACLs grant nothing */
#define GW_PAB_BLOCK_POLICY 4u     /* BlockPublicPolicy: PutBucketPolicy of a public one: 403 */
#define GW_PAB_RESTRICT 8u         /* RestrictPublicBuckets: a public policy allows its owner only */

/* a bucket's versioning (PutBucketVersioning) */
#define GW_VER_OFF 0       /* never enabled: an object is its key alone */
#define GW_VER_ENABLED 1   /* every write makes a version, a DELETE a delete marker */
#define GW_VER_SUSPENDED 2 /* writes replace the null version; older versions stay */

typedef struct gw_bucket {
    char *name;
    char *owner; /* canonical id of the owning user */
    char *acl;
    char *grants; /* the bucket's grant list (common/acl.h), "" when its canned acl is it */
    uint64_t created_ms;
    uint64_t quota; /* bytes, 0: none (set-bucket-quota) */
    uint64_t used;  /* bytes stored, as the manager last summed them (lags; ADMIN_API.md) */
    _Atomic uint64_t taken; /* bytes this gateway (every worker) let in since `used` last
                               changed (quota check): the one field of a published table
                               that changes */
    char *policy_doc;     /* the bucket policy as stored (GetBucketPolicy), NULL: none */
    gw_policy_t *policy;  /* compiled (gateway/auth/policy.h); NULL: none, or broken */
    int policy_broken;    /* a stored policy that does not parse: it denies (fail closed) */
    int policy_public;    /* gw_policy_is_public of it (RestrictPublicBuckets) */
    unsigned pab;         /* GW_PAB_* */
    int has_pab;          /* a public access block is set (GetPublicAccessBlock) */
    gw_ownership_t ownership;
    int has_ownership;    /* ownership controls are set (GetBucketOwnershipControls) */
    int versioning;       /* GW_VER_*: never back to GW_VER_OFF once set (s3/version.h) */
    char *tagging;        /* its tags as stored, JSON (s3_tagging.c), NULL: none; malloc'd */
    char *cors_doc;       /* its CORS rules as stored, JSON (s3/cors.h), NULL: none; malloc'd */
    gw_cors_t *cors;      /* those rules read once per table (s3_cors.c matches requests with
                             them); NULL: none, or a stored form that does not read (then no
                             request is allowed, fail closed) */
    char *lifecycle_doc;  /* its lifecycle rules as stored, JSON (common/lifecycle.h), NULL:
                             none; malloc'd */
    cn_lc_rules_t *lifecycle; /* those rules read once per table (x-amz-expiration); NULL:
                                 none, or a stored form that does not read */
    int object_lock;      /* created with Object Lock (its "object_lock" configuration) */
    gw_lock_conf_t lock;  /* its default retention (s3_objlock.c) */
    int has_encryption;   /* a default encryption is set (PutBucketEncryption) */
    gw_sse_conf_t encryption; /* it (s3/sse_conf.h); mode GW_SSE_NONE when the stored form
                                 does not read: writes are then refused (fail closed) */
    char *log_target;     /* server access logs go to this bucket (s3_logging.c), NULL: off */
    char *log_prefix;     /* ... under this prefix; both owned */
    cn_redund_t redundancy; /* its redundancy policy (set-bucket-redundancy, issue 21; its
                               "redundancy" configuration): replicate when it has none or
                               when the stored form does not read. Read, not used yet: no
                               write looks at it */
    int replication;      /* 1: its changes go to the linked clusters (set-bucket-replication,
                             issue 22; no "replication" configuration, the default, or one
                             that does not read), 0: off. Read, not used yet: nothing
                             replicates over a link */
} gw_bucket_t;

/* The ring table (GW_TAB_RING): the current ring and the one before, with checksums. */
typedef struct gw_ring_pair {
    cn_ring_t *cur;         /* NULL: none yet (or an empty one) */
    cn_ring_t *prev;
    uint64_t cur_sum, prev_sum;
} gw_ring_pair_t;

/* The storage facts of a heartbeat reply (GW_TAB_STOR): nodes out of service, N, W, D; and
 * kms_origins, the linked clusters whose key stores the managers hold (sse_keys.h). */
typedef struct gw_stor_facts {
    char down[4096];
    uint64_t n, w, d;
    char kms_origins[GW_SSEKEY_ORIGINS * (GW_SSEKEY_ORIGIN_LEN + 1)]; /* comma-joined */
} gw_stor_facts_t;

/* manager link state (mgr_link.c), per worker */
struct gw_mgr {
    cn_mgr_client_t *client; /* the managers: failover and leader following (mgr_client.h) */
    uv_timer_t timer;        /* worker 0: register and heartbeat */
    int registered;
    int inflight;           /* a register/heartbeat is pending */
    int fetching_users, fetching_buckets, fetching_ring, fetching_endpoints;
    /* a fetch the heartbeat asked for after the manager's version went back (a rebuilt
     * cluster): published over a newer-looking table */
    int force_users, force_buckets, force_endpoints;
    /* views of the snapshot this worker reads (s->tabs), set by gw_mgr_sync; valid until
     * its next call, which only happens between callbacks */
    uint64_t users_ver, buckets_ver;
    int users_loaded, buckets_loaded;
    gw_user_t *users;
    size_t nusers;
    gw_bucket_t *buckets;
    size_t nbuckets;
    cn_ring_t *ring;        /* current ring, NULL until fetched */
    cn_ring_t *ring_prev;
    uint64_t ring_sum, ring_prev_sum;
    /* add-endpoint's DNS names: <bucket>.<endpoint> hosts route to the bucket */
    char **endpoints;
    size_t nendpoints;
    uint64_t endpoints_ver;
    int endpoints_loaded;
    const gw_stor_facts_t *stor; /* NULL until the first heartbeat */
    /* gw_mgr_refresh_buckets: callers waiting for the next fetch, and for the one in flight */
    struct gw_mgr_waiter *wait_next, *wait_cur;
};

/** Worker 0: registers and heartbeats; every worker: its client for calls. */
int gw_mgr_start(gw_server_t *s);
void gw_mgr_stop(gw_server_t *s);
/** Moves s to the newest published snapshot (a no-op when it holds it): sets the views in
 *  s->mgr, rebuilds the storage clients when the ring changed, applies the heartbeat's
 *  storage facts. Call between callbacks (a request's start, a wake-up) or right after this
 *  worker published; the old snapshot stays valid until gw_mgr_release_retired. */
void gw_mgr_sync(gw_server_t *s);
/** Drops the snapshots gw_mgr_sync moved s off: at a turn of s's loop (uv_prepare), where
 *  no callback holds a pointer into them. */
void gw_mgr_release_retired(gw_server_t *s);
/** 1 when users and the ring are loaded (S3 requests may be served). */
int gw_mgr_ready(const gw_server_t *s);
/** The entry of an Active access key, or NULL (also for ""). Valid until the next fetch or
 *  gw_mgr_user_learn (which may move the table): use at once. */
const gw_user_t *gw_mgr_user_by_key(const gw_server_t *s, const char *access_key);
/** Adds the key a get_key answer (user, id, role, access_key, secret) names to the users
 *  table, until the next fetch replaces the table (which then holds it too). An answer that
 *  lacks a field adds nothing. */
void gw_mgr_user_learn(gw_server_t *s, const cn_msg_t *resp);
/** The domain under which host names a bucket (virtual-host style): [gateway] domain or one
 *  of the manager's endpoints (cairn-adm add-endpoint), the longest that matches; NULL when
 *  host is under none. */
const char *gw_mgr_vhost_domain(const gw_server_t *s, const char *host, size_t host_len);
/** The user with canonical id id, or NULL. */
const gw_user_t *gw_mgr_user_by_id(const gw_server_t *s, const char *id);
/** The user whose email address is email[0..len) (case-insensitive), or NULL. */
const gw_user_t *gw_mgr_user_by_email(const gw_server_t *s, const char *email, size_t len);
const gw_bucket_t *gw_mgr_bucket_find(const gw_server_t *s, const char *name);
/** Quota accounting between two of the manager's usage sums: 1 when bytes more would take
 *  bucket name over its quota (used + what this gateway let in since); else counts them
 *  in and returns 0 (also for an unknown bucket or one without a quota). */
int gw_mgr_quota_take(gw_server_t *s, const char *name, uint64_t bytes);
/** Completion of a manager call made for a request: status (transport) and the response. */
typedef void (*gw_mgr_done_fn)(int status, cn_msg_t *resp, void *arg);
/** Sends a request to the manager (takes ownership of m): to the current one of [manager]
 *  addresses, resent to the leader a follower names; a call that no manager could take ends
 *  with the transport status or rc CN_ENOTLEADER (S3 503: the client retries). */
void gw_mgr_call(gw_server_t *s, cn_msg_t *m, gw_mgr_done_fn cb, void *arg);
/** Refetches the bucket table now and calls cb(status, arg) when it is loaded. */
void gw_mgr_refresh_buckets(gw_server_t *s, void (*cb)(int status, void *arg), void *arg);

#endif
