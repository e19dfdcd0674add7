/*
 * manager/admin_int.h: what admin_srv.c (HTTP plumbing: libmicrohttpd, routing, token,
 * audit log, metrics, static dashboard files) and admin_api.c (the /v1 handlers) share.
 * Handlers run on libmicrohttpd's thread with s->lock held, unless their route says
 * MGR_ROUTE_NOLOCK.
 */
#ifndef CAIRN_MANAGER_ADMIN_INT_H
#define CAIRN_MANAGER_ADMIN_INT_H

#include <stddef.h>
#include <jansson.h>
#include <microhttpd.h>

#include "manager/manager.h"

#define MGR_ADMIN_MAX_BODY (64u << 10)
#define MGR_ADMIN_MAX_RESTORE (64u << 20)
#define MGR_ROUTE_MAX_PARAMS 2

/* One request, as the handlers see it. */
struct mgr_req {
    struct MHD_Connection *conn;
    const char *method, *url;
    char param[MGR_ROUTE_MAX_PARAMS][256]; /* the {} segments of the route, in order */
    const char *body;
    size_t body_len;
};

/* The answer being built: a status and JSON, or bytes (text, a file) with a content type. */
struct mgr_answer {
    unsigned status;
    json_t *json;
    char *bytes;                   /* cn_malloc'd */
    size_t len;
    const char *ctype;
    json_t *audit;                 /* what a change touched, for the audit log (no secrets) */
};

typedef void (*mgr_handler_fn)(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);

#define MGR_ROUTE_PUBLIC 1u  /* served without the token (health, dashboard files) */
#define MGR_ROUTE_NOLOCK 2u  /* the handler does not touch the server state */
#define MGR_ROUTE_BIG 4u     /* accepts a body up to MGR_ADMIN_MAX_RESTORE */

struct mgr_route {
    const char *method;
    const char *pattern;           /* "/v1/users/{}/role": {} is one non-empty segment */
    mgr_handler_fn fn;
    unsigned flags;
};

void mgr_fail(struct mgr_answer *a, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** The body as a JSON object, or NULL after answering 400. Free with json_decref. */
json_t *mgr_body_json(const struct mgr_req *r, struct mgr_answer *a);
/** Adds key = value to the audit record of this change. */
void mgr_audit(struct mgr_answer *a, const char *key, const char *value);

/* admin_api.c */
void mgr_h_version(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_status(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_start(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_action(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_log_level(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_whereis(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_ring(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_consistency(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_users(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_user_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_user_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_user_role(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* PUT /v1/users/{name}/email {"email": "a@b" or ""}: the address grants by email name */
void mgr_h_user_email(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_user_password(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_endpoints(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_endpoint_add(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_endpoint_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_buckets(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* admin_group.c: the manager group */
/** The managers as this manager sees them (status's "managers"). [lock] */
json_t *mgr_managers_json(struct mgr_server *s);
void mgr_h_managers(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_managers_change(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* admin_keys.c: a user's access keys */
void mgr_h_keys_list(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_key_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_key_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_key_status(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* admin_kms.c: the key service (never a key's bytes) */
void mgr_h_kms_list(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_kms_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_kms_rotate(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_kms_rewrap(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* admin_clusters.c: links to other clusters (issue 22, state only; never a secret) */
void mgr_h_clusters(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_cluster(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_cluster_join(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_cluster_remove(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_cluster_recover(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_cluster_recover_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* admin_node.c (routes without the lock) */
void mgr_h_node_du(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_property(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_log_level(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_remove(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_delete2(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_delete_stats(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_purge_cache(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_owner(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_acl(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_bucket_quota(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* PUT /v1/buckets/{name}/redundancy {"policy": "replicate" | "ec:K+M"} (issue 21) */
void mgr_h_bucket_redundancy(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
/* PUT /v1/buckets/{name}/replication {"replication": "on" | "off"} (issue 22) */
void mgr_h_bucket_replication(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_backup(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_restore(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);


/* admin_ops.c (cluster operations; the NOLOCK ones lock only around state reads) */
void mgr_h_rebalance_start(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_rebalance_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_rollback(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_recover_file(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_recover_node(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_recover_disk(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_recover_consistency(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_recover_ring(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_recover_progress(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_mq(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_compact(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_diagnose(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_node_full(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);
void mgr_h_whereis_full(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a);

/* admin_whereis_ec.c (issue 21) */
/** Adds "ec" to whereis answer j of key when the newest manifest copy among j's replicas is
 *  format 3: the fragments of its coded chunks, their owners and what each holds (or
 *  "ec_error" when the manifest could not be read). Nothing for any other object. Takes
 *  s->lock itself, briefly; calls storage nodes. */
void mgr_whereis_ec(struct mgr_server *s, json_t *j, const char *key);

#endif
