/*
 * gateway/logs/log_req.c: from a request to its access log line (see log_req.h). What comes
 * from h2o's request (addresses, headers, the request line, TLS) is copied at gw_alog_begin:
 * at dispose time h2o's pool is being freed and the connection may be closing, so only the
 * request's own counters (status, bytes, timestamps) are read then. The logging
 * configuration is the one the bucket had when the request came in.
 */
#include "gateway/logs/log_req.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/logs/access_log.h"
#include "gateway/logs/log_ship.h"
#include "gateway/s3/s3_object.h"

struct gw_alog_req {
    char *target, *prefix, *owner; /* where the line goes, the logged bucket's owner */
    char *request_line, *referer, *user_agent, *host;
    char remote_ip[64];
    char cipher[64];
    char tls[16];
    char operation[64];
    struct timeval received;       /* h2o's request_begin_at */
    struct timeval handled;        /* the whole request was there (our handler ran) */
};

/* A copy of header tok of req, cut to GW_ALOG_FIELD_MAX; NULL when absent. */
static char *header_copy(const h2o_req_t *req, const h2o_token_t *tok)
{
    ssize_t i = h2o_find_header(&req->headers, tok, -1);
    size_t n;

    if (i < 0)
        return NULL;
    n = req->headers.entries[i].value.len;
    return cn_strndup(req->headers.entries[i].value.base,
                      n < GW_ALOG_FIELD_MAX ? n : GW_ALOG_FIELD_MAX);
}

static void copy_iov(char *out, size_t len, h2o_iovec_t v)
{
    snprintf(out, len, "%.*s", v.base ? (int)v.len : 0, v.base ? v.base : "");
}

void gw_alog_begin(gw_req_t *r)
{
    h2o_req_t *req = r->http.req;
    const gw_bucket_t *b;
    gw_alog_req_t *a;
    cn_buf_t line;

    if (req == NULL || r->alog != NULL || r->route.bucket[0] == '\0' ||
        r->route.bucket_too_long || !gw_alog_enabled(r->srv) ||
        (b = gw_mgr_bucket_find(r->srv, r->route.bucket)) == NULL || b->log_target == NULL)
        return;
    a = cn_calloc(1, sizeof(*a));
    a->target = cn_strdup(b->log_target);
    a->prefix = cn_strdup(b->log_prefix ? b->log_prefix : "");
    a->owner = cn_strdup(b->owner ? b->owner : "");
    cn_buf_init(&line);
    cn_buf_appendf(&line, "%.*s %.*s HTTP/%d.%d", (int)req->method.len, req->method.base,
                   (int)(req->path.len < GW_ALOG_FIELD_MAX ? req->path.len : GW_ALOG_FIELD_MAX),
                   req->path.base, req->version >> 8, req->version & 0xff);
    a->request_line = cn_strndup(line.data, line.len);
    cn_buf_dispose(&line);
    a->referer = header_copy(req, H2O_TOKEN_REFERER);
    a->user_agent = header_copy(req, H2O_TOKEN_USER_AGENT);
    a->host = header_copy(req, H2O_TOKEN_HOST);
    if (a->host == NULL && req->authority.base != NULL)
        a->host = cn_strndup(req->authority.base, req->authority.len);
    if (gw_http_peer_ip(&r->http, a->remote_ip, sizeof(a->remote_ip)) != 0)
        a->remote_ip[0] = '\0';
    if (gw_http_is_secure(&r->http) && req->conn->callbacks->log_.ssl.cipher != NULL) {
        copy_iov(a->cipher, sizeof(a->cipher), req->conn->callbacks->log_.ssl.cipher(req));
        copy_iov(a->tls, sizeof(a->tls), req->conn->callbacks->log_.ssl.protocol_version(req));
    }
    gw_alog_operation(r->route.op, req->method.base, req->method.len,
                      h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-amz-copy-source"),
                                             -1) >= 0,
                      a->operation, sizeof(a->operation));
    a->received = req->timestamps.request_begin_at;
    gettimeofday(&a->handled, NULL);
    r->alog = a;
}

void gw_alog_req_free(gw_alog_req_t *a)
{
    if (a == NULL)
        return;
    cn_free(a->target);
    cn_free(a->prefix);
    cn_free(a->owner);
    cn_free(a->request_line);
    cn_free(a->referer);
    cn_free(a->user_agent);
    cn_free(a->host);
    cn_free(a);
}

static int64_t ms_between(struct timeval a, struct timeval b)
{
    return ((int64_t)b.tv_sec - a.tv_sec) * 1000 + ((int64_t)b.tv_usec - a.tv_usec) / 1000;
}

/* The object's size and version as r's object operation knew them. */
static void object_facts(const gw_req_t *r, gw_alog_rec_t *rec)
{
    const gw_obj_op_t *o = gw_obj_op_of(r);
    gw_op_t op = r->route.op;

    if (op == GW_OP_PUT_OBJECT || op == GW_OP_UPLOAD_PART || op == GW_OP_POST_OBJECT) {
        rec->has_object_size = 1;
        rec->object_size = o != NULL && o->size ? o->size : r->body.len;
    } else if (o != NULL && (op == GW_OP_GET_OBJECT || op == GW_OP_HEAD_OBJECT) &&
               o->parent != NULL) {
        rec->has_object_size = 1;
        rec->object_size = o->total;
    }
    if (o != NULL && (op == GW_OP_PUT_OBJECT || op == GW_OP_GET_OBJECT ||
                      op == GW_OP_HEAD_OBJECT || op == GW_OP_DELETE_OBJECT))
        rec->version_id = o->vid;
}

void gw_alog_end(gw_req_t *r, const h2o_req_t *req)
{
    gw_alog_req_t *a = r->alog;
    gw_alog_rec_t rec = {0};
    struct timeval now;
    char host_id[128];
    gw_auth_kind_t k = r->auth.kind;
    cn_buf_t line;

    if (a == NULL || req == NULL || req->res.status == 0)
        return;
    gettimeofday(&now, NULL);
    snprintf(host_id, sizeof(host_id), "%s/%s", r->srv->conf.name, r->reqid);
    rec.bucket_owner = a->owner;
    rec.bucket = r->route.bucket;
    rec.time_s = a->received.tv_sec ? (int64_t)a->received.tv_sec : (int64_t)now.tv_sec;
    rec.remote_ip = a->remote_ip;
    rec.requester = r->requester;
    rec.request_id = r->reqid;
    rec.operation = a->operation;
    rec.key = r->route.key;
    rec.key_len = r->route.key_len;
    rec.request_line = a->request_line;
    rec.status = req->res.status;
    rec.error_code = r->err_code;
    rec.bytes_sent = req->bytes_sent;
    object_facts(r, &rec);
    if (a->received.tv_sec && ms_between(a->received, now) > 0)
        rec.total_ms = (uint64_t)ms_between(a->received, now);
    rec.turnaround_ms = -1;
    if (req->timestamps.response_start_at.tv_sec) { /* from our handler to the first byte */
        rec.turnaround_ms = ms_between(a->handled, req->timestamps.response_start_at);
        if (rec.turnaround_ms < 0)
            rec.turnaround_ms = 0;
    }
    rec.referer = a->referer;
    rec.user_agent = a->user_agent;
    rec.host_id = host_id;
    rec.sig_version = k == GW_AUTH_V4_HEADER || k == GW_AUTH_V4_QUERY || k == GW_AUTH_V4_POST
                          ? "SigV4"
                      : k == GW_AUTH_ANONYMOUS ? NULL
                                               : "SigV2";
    rec.auth_type = k == GW_AUTH_V4_HEADER || k == GW_AUTH_V2_HEADER  ? "AuthHeader"
                    : k == GW_AUTH_V4_QUERY || k == GW_AUTH_V2_QUERY ? "QueryString"
                                                                     : NULL;
    rec.cipher = a->cipher;
    rec.tls_version = a->tls;
    rec.host = a->host;
    cn_buf_init(&line);
    gw_alog_format(&rec, &line);
    gw_alog_enqueue(r->srv, a->target, a->prefix, line.data, line.len);
    cn_buf_dispose(&line);
}
