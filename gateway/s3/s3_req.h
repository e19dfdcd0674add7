/*
 * gateway/s3/s3_req.h: the S3 context of a request (gw_req_t): the plain request and response
 * (gateway/http/req.h, its first member), and around it what S3 adds: the request id, the route,
 * the authentication result, the requester and the bucket's owner and ACL as the access
 * decision saw them, the decoded body, and the operation's own state.
 *
 * Lifetime (req.h): a context is freed once h2o has disposed of its request AND no RPC made
 * for it is pending. Every RPC completion starts with gw_req_rpc_done or gw_req_rpc_gone.
 * Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_REQ_H
#define CAIRN_GATEWAY_S3_REQ_H

#include <stdint.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/proto.h"
#include "common/rpc.h"
#include "gateway/http/req.h"
#include "gateway/s3/route.h"
#include "gateway/auth/s3_auth.h"
#include "gateway/s3/s3_error.h"
#include "gateway/s3/lock_doc.h"

#define GW_REQ_MAGIC 0x67777271u /* "gwrq" */

typedef struct gw_server gw_server_t;
typedef struct gw_req gw_req_t;
typedef void (*gw_req_free_fn)(gw_req_t *r);

struct gw_req {
    gw_http_t http;          /* the request and its response: first, so req.h's callbacks
                                find the context */
    uint32_t magic;
    gw_server_t *srv;
    char reqid[17];
    char resource[1200];     /* "/bucket/key" for error bodies */
    gw_route_t route;
    gw_auth_result_t auth;
    int rest;                /* came in on the REST listener */
    int anonymous;           /* no signature */
    char key_unknown[128];   /* the access key the last authentication missed in the users
                                table, "" if none (gateway/link/key_ask.h may learn it) */
    char requester[72];      /* canonical id of the signer ("" anonymous): gateway/auth/access.h */
    char bucket_owner[72];   /* the bucket's owner and canned ACL when access was decided */
    char bucket_acl[32];
    char *bucket_grants;     /* and its grant list (common/acl.h), "" none; owned */
    int may_list;            /* the requester may list the bucket: a missing key is 404 to
                                it, 403 to anyone else (S3 tells only listers what exists) */
    int obj_policy;          /* the bucket policy's gw_policy_result_t for the operation on
                                its object (access_req.c), for the object's part */
    cn_slice_t body;         /* the request body as stored: h2o's bytes, aws-chunked framing
                                removed in place (aws_chunked.c); valid while the request is */
    char acl[32];            /* x-amz-acl of a PUT/POST, "" when absent */
    char *grants;            /* the x-amz-grant-* headers as a grant list (common/acl.h),
                                NULL when absent; owned (s3_grants.h); a PutObjectAcl's
                                body's too, once read */
    char acl_owner_claim[72];/* the Owner ID of a Put*Acl body, "" none */
    char *tags;              /* the tags r sets, stored form (gateway/s3/tags.h; "" none):
                                x-amz-tagging, a Put*Tagging body; NULL when it sets none
                                (s3_tagging.h, gw_req_read_tagging); owned */
    gw_lock_req_t lock;      /* the x-amz-object-lock-* headers of a new version (s3_objlock.h) */
    int lock_bypass;         /* the write bypasses GOVERNANCE: its storage message says so */
    cn_hashes_t body_hashes; /* digests of body_hashed computed by the body's one pass
                                (auth_req.c; issue 19), .have 0 none */
    cn_slice_t body_hashed;  /* the bytes body_hashes are of */
    char body_sha256_hex[2 * CN_SHA256_LEN + 1]; /* for the signature check (auth_req.c) */
    uint8_t (*chunk_md5)[CN_MD5_LEN]; /* the MD5 of each chunk_md5_size slice of body_hashed
                                (a chunked PutObject's or UploadPart's chunks), NULL none;
                                owned */
    size_t chunk_md5_size;
    size_t chunk_md5_n;
    char checksum_name[32];  /* "x-amz-checksum-crc32"... verified for this body, or "" */
    char checksum_value[96]; /* its base64 value */
    struct gw_post *post;    /* a POST form upload's form (s3_post.h); owned */
    struct gw_alog_req *alog; /* its access log record's start, NULL when its bucket does not
                                 log (gateway/logs/log_req.h); owned */
    const char *err_code;    /* the S3 error answered (gw_req_error), NULL none; static */
    /* operation state, owned by the operation file; op_free releases it */
    void *op;
    gw_req_free_fn op_free;
    h2o_generator_t gen;     /* streaming GET */
};

/** A context for req (freed by itself, see above), with the x-amz-request-id and
 *  x-amz-id-2 headers set; counted in the gateway's metrics when h2o disposes of it. */
gw_req_t *gw_req_new(gw_server_t *s, h2o_req_t *req);
/** Drops one pending RPC; 1 when the request is gone (the context may have been freed:
 *  touch nothing). */
int gw_req_rpc_done(gw_req_t *r);
/** The usual start of an RPC completion that got resp: gw_req_rpc_done, and when the request
 *  is gone also frees resp and returns 1 (return at once). */
int gw_req_rpc_gone(gw_req_t *r, cn_msg_t *resp);
/** The start of an RPC completion that needs only the call's result: *rc gets it (the
 *  transport status, else the answer's rc), resp is freed, then gw_req_rpc_done (1: the
 *  request is gone, return at once). */
int gw_req_rpc_end(gw_req_t *r, int status, cn_msg_t *resp, int *rc);
/** Routes r (method, path, query, Host against [gateway] domain and the endpoints) into
 *  r->route and sets r->resource. GW_S3_OK or the S3 error. */
gw_s3_err_t gw_req_route(gw_req_t *r);
/** Reads x-amz-acl into r->acl and, on the operations that take them, the x-amz-grant-*
 *  headers into r->grants (gw_req_read_grants): GW_S3_OK, or the error with *msg (NULL: the
 *  table's): InvalidArgument for a canned ACL we do not know. */
gw_s3_err_t gw_req_read_acl(gw_req_t *r, const char **msg);
/** Answers an S3 error (XML body with the request id and resource; none for HEAD). */
void gw_req_error(gw_req_t *r, gw_s3_err_t e, const char *msg);
/** Answers status with an XML body (copied). */
void gw_req_send_xml(gw_req_t *r, int status, const cn_buf_t *xml);

static inline cn_slice_t gw_req_header(const gw_req_t *r, const char *lname)
{
    return gw_http_header(&r->http, lname);
}

static inline const char *gw_req_query(const gw_req_t *r, size_t *len)
{
    return gw_http_query(&r->http, len);
}

static inline void gw_req_add_header(gw_req_t *r, const char *name, const char *value,
                                     size_t len)
{
    gw_http_add_header(&r->http, name, value, len);
}

/** Answers status with body (copied), Content-Length set. */
static inline void gw_req_send_inline(gw_req_t *r, int status, const char *body, size_t len)
{
    gw_http_send(&r->http, status, NULL, body, len);
}

/** Answers status with no body. */
static inline void gw_req_send_empty(gw_req_t *r, int status)
{
    gw_http_send(&r->http, status, NULL, "", 0);
}

#endif
