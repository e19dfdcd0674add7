/*
 * gateway/s3/s3_req.c: the S3 context of a request (see s3_req.h): its lifetime, its request id,
 * and answers in S3's shape.
 */
#include "gateway/s3/s3_req.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/http/metrics_http.h"
#include "gateway/logs/log_req.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_grants.h"
#include "gateway/s3/s3_post.h"

static void req_free(gw_req_t *r)
{
    CN_CHECK_OBJ(r, GW_REQ_MAGIC);
    if (r->op_free)
        r->op_free(r);
    cn_free(r->grants);
    cn_free(r->tags);
    cn_free(r->bucket_grants);
    cn_free(r->chunk_md5);
    gw_post_free(r->post);
    gw_alog_req_free(r->alog);
    r->magic = 0;
    cn_free(r);
}

/* h2o disposed of the request: count it, log it, and free the context unless RPCs are out */
static void on_dispose(gw_http_t *h, const h2o_req_t *req)
{
    gw_req_t *r = (gw_req_t *)h;

    CN_CHECK_OBJ(r, GW_REQ_MAGIC);
    gw_metrics_request(r, req);
    gw_alog_end(r, req);
    if (gw_http_unused(&r->http))
        req_free(r);
}

gw_req_t *gw_req_new(gw_server_t *s, h2o_req_t *req)
{
    gw_req_t *r = cn_calloc(1, sizeof(*r));
    char id2[128];
    uint64_t id;

    r->magic = GW_REQ_MAGIC;
    r->srv = s;
    gw_http_init(&r->http, req, on_dispose);
    id = s->reqid_seed + s->reqid_ctr++ * 0x9E3779B97F4A7C15ull;
    snprintf(r->reqid, sizeof(r->reqid), "%016" PRIX64, id);
    snprintf(id2, sizeof(id2), "%s/%s", s->conf.name, r->reqid);
    gw_req_add_header(r, "x-amz-request-id", r->reqid, 16);
    gw_req_add_header(r, "x-amz-id-2", id2, strlen(id2));
    return r;
}

int gw_req_rpc_done(gw_req_t *r)
{
    CN_CHECK_OBJ(r, GW_REQ_MAGIC);
    if (!gw_http_rpc_done(&r->http))
        return 0;
    if (gw_http_unused(&r->http))
        req_free(r);
    return 1;
}

int gw_req_rpc_gone(gw_req_t *r, cn_msg_t *resp)
{
    if (!gw_req_rpc_done(r))
        return 0;
    if (resp)
        cn_msg_free(resp);
    return 1;
}

int gw_req_rpc_end(gw_req_t *r, int status, cn_msg_t *resp, int *rc)
{
    *rc = status ? status : cn_msg_rc(resp);
    if (resp)
        cn_msg_free(resp);
    return gw_req_rpc_done(r);
}

void gw_req_error(gw_req_t *r, gw_s3_err_t e, const char *msg)
{
    int head = gw_http_is_head(&r->http);
    cn_buf_t b;

    if (!r->http.req || r->http.responded)
        return;
    r->err_code = gw_s3_err_code(e);
    if (e != GW_S3_NO_SUCH_KEY || !head)
        CN_LOG(CN_LOG_DEBUG, "req=%s %s -> %s", r->reqid, r->resource, gw_s3_err_code(e));
    if (head) {
        gw_http_send(&r->http, gw_s3_err_status(e), NULL, "", 0);
        return;
    }
    cn_buf_init(&b);
    gw_s3_err_xml(&b, e, msg, r->resource, r->reqid);
    gw_http_send(&r->http, gw_s3_err_status(e), "application/xml", b.data, b.len);
    cn_buf_dispose(&b);
}

void gw_req_send_xml(gw_req_t *r, int status, const cn_buf_t *xml)
{
    gw_http_send(&r->http, status, "application/xml", xml->data, xml->len);
}

gw_s3_err_t gw_req_route(gw_req_t *r)
{
    const h2o_req_t *req = r->http.req;
    size_t qat = req->query_at;
    size_t plen = qat != SIZE_MAX ? qat : req->path.len;
    const char *host = req->authority.base;
    size_t host_len = req->authority.len;
    ssize_t hi = h2o_find_header(&req->headers, H2O_TOKEN_HOST, -1);
    gw_s3_err_t e;

    if (hi >= 0) {
        host = req->headers.entries[hi].value.base;
        host_len = req->headers.entries[hi].value.len;
    }
    snprintf(r->resource, sizeof(r->resource), "%.*s", (int)plen, req->path.base);
    e = gw_route_parse(req->method.base, req->method.len, req->path.base, plen,
                       qat != SIZE_MAX ? req->path.base + qat + 1 : NULL,
                       qat != SIZE_MAX ? req->path.len - qat - 1 : 0, host, host_len,
                       gw_mgr_vhost_domain(r->srv, host, host_len), &r->route);
    if (r->route.vhost)
        snprintf(r->resource, sizeof(r->resource), "/%s%.*s", r->route.bucket, (int)plen,
                 req->path.base);
    gw_alog_begin(r); /* its bucket known: does it log its requests? */
    return e;
}

gw_s3_err_t gw_req_read_acl(gw_req_t *r, const char **msg)
{
    cn_slice_t acl = gw_req_header(r, "x-amz-acl");

    if (acl.ptr) {
        snprintf(r->acl, sizeof(r->acl), "%.*s", (int)acl.len, acl.ptr);
        if (acl.len >= sizeof(r->acl) || !gw_acl_canned_valid(r->acl))
            return GW_S3_INVALID_ARGUMENT;
    }
    return gw_req_read_grants(r, msg);
}
