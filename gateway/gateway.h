/*
 * gateway/gateway.h: the gateway server (struct gw_server), its configuration and the
 * per-request context shared by the S3 operation files. One loop thread owns everything here.
 *
 * Lifetime of a request context (gw_req_t): allocated with cn_calloc when h2o calls the
 * handler; a small slot in req->pool points back at it and its dispose callback clears r->req
 * (the request is gone). The context is freed once the request is gone AND no RPC is pending
 * (r->pending == 0), so a late RPC completion never touches a freed h2o_req_t.
 */
#ifndef CAIRN_GATEWAY_GATEWAY_H
#define CAIRN_GATEWAY_GATEWAY_H

#define H2O_USE_LIBUV 1
#include <h2o.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "gateway/route.h"
#include "gateway/s3_auth.h"
#include "gateway/s3_error.h"
#include "gateway/body_pager.h"
#include "gateway/cache.h"
#include "gateway/metrics_http.h"
#include "gateway/stor_link.h"

#define GW_SERVER_MAGIC 0x67777372u /* "gwsr" */
#define GW_REQ_MAGIC 0x67777271u    /* "gwrq" */

struct gw_conf {
    struct gw_cache_conf cache; /* [cache] (cache.h) */
    char *name;
    char *s3_listen;
    char *region;
    char *domain;
    uint64_t chunk_size;
    uint64_t max_object_size;
    uint64_t rpc_timeout_ms;
    char *mgr_address;
    char *secret;
    uint64_t heartbeat_ms;
    char *rest_listen;
    int rest_enabled;
    int rest_trust_loopback;
    int log_level;
    char *log_file;
    /* limits and TLS (gateway/tls.c, issue 8) */
    uint64_t max_connections;    /* open client connections; beyond: 503 SlowDown and close */
    uint64_t request_timeout_ms; /* h2o's HTTP/1 request and HTTP/2 idle timeouts (slowloris) */
    char *tls_listen;            /* "" = no HTTPS listener */
    char *tls_cert;
    char *tls_key;
    char *rest_tls_listen;       /* "" = no HTTPS REST listener (needs rest_enabled) */
    char *tls_ciphers;           /* OpenSSL cipher list for TLS 1.2 ("" = OpenSSL's) */
    char *tls_min_version;       /* "1.2" or "1.3" */
    char *tmp_dir; /* h2o's temp files for request bodies over 4 MiB (gateway/body_pager.c) */
    char *metrics_listen; /* GET /metrics and /health (gateway/metrics_http.c); "" = off */
};

typedef struct gw_user {
    char *user;
    char *id;         /* canonical id (64 hex): what owns buckets and objects */
    char *access_key;
    char *secret;
    char *role;
} gw_user_t;

typedef struct gw_bucket {
    char *name;
    char *owner; /* canonical id of the owning user */
    char *acl;
    uint64_t created_ms;
    uint64_t quota; /* bytes, 0: none (set-bucket-quota) */
    uint64_t used;  /* bytes stored, as the manager last summed them (lags; ADMIN_API.md) */
    uint64_t taken; /* bytes this gateway let in since `used` last changed (quota check) */
} gw_bucket_t;

typedef struct gw_server gw_server_t;

/* manager link state (mgr_link.c) */
struct gw_mgr {
    cn_rpc_client_t *client;
    uv_timer_t timer;
    int registered;
    int inflight;           /* a register/heartbeat is pending */
    int fetching_users, fetching_buckets, fetching_ring;
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
    int endpoints_loaded, fetching_endpoints;
    /* gw_mgr_refresh_buckets: callers waiting for the next fetch, and for the one in flight */
    struct gw_mgr_waiter *wait_next, *wait_cur;
};

struct gw_server {
    uint32_t magic;
    gw_cache_t *cache;      /* object caches (cache.c), NULL before start */
    uv_loop_t *loop;
    struct gw_conf conf;
    char host[64];
    int port;               /* the real S3 port once listening */
    /* h2o */
    h2o_globalconf_t h2o_cfg;
    h2o_context_t h2o_ctx;
    h2o_accept_ctx_t accept_ctx;
    uv_tcp_t listener;
    int listening;
    /* REST listener (plain PUT/GET/HEAD/DELETE /bucket/key, no S3 auth; see http.c) */
    h2o_globalconf_t rest_cfg;
    h2o_context_t rest_ctx;
    h2o_accept_ctx_t rest_accept_ctx;
    uv_tcp_t rest_listener;
    int rest_listening;
    char rest_host[64];
    int rest_port;
    /* HTTPS listener (gateway/tls.c): the S3 handler and context behind OpenSSL */
    h2o_accept_ctx_t tls_accept_ctx;
    uv_tcp_t tls_listener;
    int tls_listening;
    char tls_host[64];
    int tls_port;
    void *tls_ssl_ctx;      /* SSL_CTX *, NULL without TLS; replaced by gw_tls_reload */
    /* HTTPS REST listener: the REST handler and context behind the same SSL_CTX */
    h2o_accept_ctx_t rest_tls_accept_ctx;
    uv_tcp_t rest_tls_listener;
    int rest_tls_listening;
    char rest_tls_host[64];
    int rest_tls_port;
    uint64_t nconns;        /* open client connections, every listener */
    /* cluster */
    struct gw_mgr mgr;
    struct gw_stor stor;    /* the storage nodes' clients and what the manager says of them */
    uint64_t reqid_seed, reqid_ctr;
    gw_body_pager_t pager;  /* drops h2o's mapped request bodies from RSS (body_pager.c) */
    struct gw_metrics metrics; /* /metrics and /health (metrics_http.c) */
    int stopping;
};

typedef struct gw_req gw_req_t;
typedef void (*gw_req_free_fn)(gw_req_t *r);

struct gw_req {
    uint32_t magic;
    gw_server_t *srv;
    h2o_req_t *req;          /* NULL once h2o has disposed the request */
    int pending;             /* RPCs in flight that will come back to this context */
    int responded;
    char reqid[17];
    char resource[1200];     /* "/bucket/key" for error bodies */
    gw_route_t route;
    gw_auth_result_t auth;
    int rest;                /* came in on the REST listener */
    int anonymous;           /* no signature */
    char requester[72];      /* canonical id of the signer ("" anonymous): gateway/access.h */
    char bucket_owner[72];   /* the bucket's owner and canned ACL when access was decided */
    char bucket_acl[32];
    int may_list;            /* the requester may list the bucket: a missing key is 404 to
                                it, 403 to anyone else (S3 tells only listers what exists) */
    cn_slice_t body;         /* the request body as stored: h2o's bytes, aws-chunked framing
                                removed in place (aws_chunked.c); valid while req is */
    char acl[32];            /* x-amz-acl of a PUT/POST, "" when absent */
    char checksum_name[32];  /* "x-amz-checksum-crc32"... verified for this body, or "" */
    char checksum_value[96]; /* its base64 value */
    /* operation state, owned by the operation file; op_free releases it */
    void *op;
    gw_req_free_fn op_free;
    h2o_generator_t gen;     /* streaming GET */
};

/* ---- http.c -------------------------------------------------------------------------- */

/** Binds the S3 listener and sets up h2o. Returns 0 or a CN_E* code. */
int gw_http_start(gw_server_t *s);
void gw_http_stop(gw_server_t *s);
/** gateway/tls.c: whether the configuration asks for an HTTPS listener (S3 or REST). */
int gw_tls_wanted(const struct gw_conf *c);
/** OpenSSL's version constant for conf.tls_min_version ("" or "1.2", "1.3"); 0 if invalid. */
int gw_tls_min_version(const char *v);
/** Loads conf.tls_cert/tls_key into an OpenSSL server context (tls_min_version, tls_ciphers,
 *  ALPN h2 and http/1.1) kept in s->tls_ssl_ctx, which the HTTPS listeners' accept contexts
 *  use. CN_ECONFIG (logged) when they cannot be loaded. */
int gw_tls_init(gw_server_t *s);
/** SIGHUP: loads the same files into a fresh context for new connections (open ones keep the
 *  old). On failure logs why and keeps the old context (CN_ECONFIG). 0 without TLS. */
int gw_tls_reload(gw_server_t *s);
/** Frees what gw_tls_init made (idempotent). */
void gw_tls_dispose(gw_server_t *s);
/** Answers an S3 error (XML body, none for HEAD). Marks r responded. */
void gw_req_error(gw_req_t *r, gw_s3_err_t e, const char *msg);
/** Answers status with an XML body (copied). */
void gw_req_send_xml(gw_req_t *r, int status, const cn_buf_t *xml);
/** Answers status with body (copied), Content-Length set. */
void gw_req_send_inline(gw_req_t *r, int status, const char *body, size_t len);
/** Answers status with no body. */
void gw_req_send_empty(gw_req_t *r, int status);
/** Adds a response header (value copied into the pool). No-op when the request is gone. */
void gw_req_add_header(gw_req_t *r, const char *name, const char *value, size_t len);
/** Called at the start of every RPC completion: drops one pending and returns 1 when the
 *  request is gone (the context may have been freed: touch nothing). */
int gw_req_rpc_done(gw_req_t *r);
/** The usual start of an RPC completion that got resp: gw_req_rpc_done, and when the request
 *  is gone also frees resp and returns 1 (return at once). */
int gw_req_rpc_gone(gw_req_t *r, cn_msg_t *resp);
/** Decides r's access to bucket b by its operation's bucket permission (gateway/access.h;
 *  sets r->may_list). An object permission is decided later, once the object's metadata is
 *  known (gw_obj_allows). GW_S3_OK or AccessDenied. */
gw_s3_err_t gw_req_check_access(gw_req_t *r, const gw_bucket_t *b);
/** Removes the aws-chunked framing of r's body (verifying chunk signatures and the trailing
 *  checksum) and points r->body at the payload; aws_chunked.c. */
gw_s3_err_t gw_req_decode_chunked(gw_req_t *r);
/** Verifies an x-amz-checksum-* request header against r->body and remembers it. */
gw_s3_err_t gw_req_check_checksum_header(gw_req_t *r);
/** Finds a request header; returns its value or a slice with ptr NULL. */
cn_slice_t gw_req_header(const gw_req_t *r, const char *lname);

/* ---- mgr_link.c ---------------------------------------------------------------------- */

int gw_mgr_start(gw_server_t *s);
void gw_mgr_stop(gw_server_t *s);
/** 1 when users and the ring are loaded (S3 requests may be served). */
int gw_mgr_ready(const gw_server_t *s);
const gw_user_t *gw_mgr_user_by_key(const gw_server_t *s, const char *access_key);
/** The domain under which host names a bucket (virtual-host style): [gateway] domain or one
 *  of the manager's endpoints (cairn-adm add-endpoint), the longest that matches; NULL when
 *  host is under none. */
const char *gw_mgr_vhost_domain(const gw_server_t *s, const char *host, size_t host_len);
/** The user with canonical id id, or NULL. */
const gw_user_t *gw_mgr_user_by_id(const gw_server_t *s, const char *id);
const gw_bucket_t *gw_mgr_bucket_find(const gw_server_t *s, const char *name);
/** Quota accounting between two of the manager's usage sums: 1 when bytes more would take
 *  bucket name over its quota (used + what this gateway let in since); else counts them
 *  in and returns 0 (also for an unknown bucket or one without a quota). */
int gw_mgr_quota_take(gw_server_t *s, const char *name, uint64_t bytes);
/** Completion of a manager call made for a request: status (transport) and the response. */
typedef void (*gw_mgr_done_fn)(int status, cn_msg_t *resp, void *arg);
/** Sends a request to the manager (takes ownership of m). */
void gw_mgr_call(gw_server_t *s, cn_msg_t *m, gw_mgr_done_fn cb, void *arg);
/** Refetches the bucket table now and calls cb(status, arg) when it is loaded. */
void gw_mgr_refresh_buckets(gw_server_t *s, void (*cb)(int status, void *arg), void *arg);

/* ---- operations ---------------------------------------------------------------------- */

void gw_s3_list_buckets(gw_req_t *r);
/** set-bucket-quota: when storing bytes more in the request's bucket would pass its quota,
 *  answers 403 QuotaExceeded and returns 1; else counts them in and returns 0. Checked
 *  against the manager's periodic sum plus what this gateway let in since
 *  (gw_mgr_quota_take; docs/ADMIN_API.md). PUT, UploadPart, CopyObject and UploadPartCopy
 *  call it. */
int gw_quota_refuses(gw_req_t *r, uint64_t bytes);
void gw_s3_create_bucket(gw_req_t *r);
void gw_s3_delete_bucket(gw_req_t *r);
void gw_s3_head_bucket(gw_req_t *r);
void gw_s3_bucket_location(gw_req_t *r);
void gw_s3_list_objects(gw_req_t *r, int v2);
void gw_s3_put_object(gw_req_t *r);
void gw_s3_get_object(gw_req_t *r, int head);
void gw_s3_delete_object(gw_req_t *r);
/** CopyObject (PUT with x-amz-copy-source); s3_copy.c. */
void gw_s3_copy_object(gw_req_t *r);
/** Object metadata (stored headers, x-amz-meta-*, canned ACL, checksum) of r, msgpack. */
void gw_obj_meta_from_headers(gw_req_t *r, cn_buf_t *out);
/* s3_multipart.c */
void gw_s3_create_multipart(gw_req_t *r);
void gw_s3_upload_part(gw_req_t *r);
void gw_s3_complete_multipart(gw_req_t *r);
void gw_s3_abort_multipart(gw_req_t *r);
void gw_s3_list_parts(gw_req_t *r);
void gw_s3_list_multipart_uploads(gw_req_t *r);
/* s3_delete.c */
void gw_s3_delete_objects(gw_req_t *r);
/* s3_acl.c */
void gw_s3_get_bucket_acl(gw_req_t *r);
void gw_s3_put_bucket_acl(gw_req_t *r);
void gw_s3_get_object_acl(gw_req_t *r);
void gw_s3_put_object_acl(gw_req_t *r);
/** GetObjectTagging: an empty TagSet for an object that exists (tags are not stored; aws cli
 *  v2 asks for them when it copies an object). */
void gw_s3_get_object_tagging(gw_req_t *r);
/** Appends <tag><ID>id</ID><DisplayName>the user's name</DisplayName></tag> (s3_acl.c). */
void gw_owner_xml(gw_req_t *r, cn_buf_t *b, const char *tag, const char *id);
/** 1 when a canned ACL name is one we store. */
int gw_acl_canned_valid(const char *acl);
/** The raw query of r's request (without '?'), or NULL with *len 0. */
const char *gw_req_query(const gw_req_t *r, size_t *len);

#endif
