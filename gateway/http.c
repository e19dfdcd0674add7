/*
 * gateway/http.c: the libh2o glue: the uv TCP listeners (S3, and REST when enabled, each
 * also over HTTPS with gateway/tls.c's context when configured; port 0 supported), h2o
 * accept, the S3 handler (request id, routing, readiness, authentication, aws-chunked
 * decoding, payload, checksum and Content-MD5 checks, access by owner or canned ACL), the REST
 * handler, the filter that turns h2o's early 413 into S3's EntityTooLarge, and the response
 * helpers the operations use.
 * Request contexts outlive h2o requests when an RPC is pending (see gateway.h).
 */
#include "gateway/gateway.h"
#include "gateway/access.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/body_pager.h"
#include "gateway/s3_refuse.h"

struct gw_handler {
    h2o_handler_t super;
    gw_server_t *srv;
};

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 416: return "Requested Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

static void req_free(gw_req_t *r)
{
    CN_CHECK_OBJ(r, GW_REQ_MAGIC);
    if (r->op_free)
        r->op_free(r);
    r->magic = 0;
    cn_free(r);
}

static void on_pool_dispose(void *p)
{
    gw_req_t *r = *(gw_req_t **)p;
    CN_CHECK_OBJ(r, GW_REQ_MAGIC);
    gw_metrics_request(r);
    r->req = NULL;
    if (r->pending == 0)
        req_free(r);
}

int gw_req_rpc_done(gw_req_t *r)
{
    CN_CHECK_OBJ(r, GW_REQ_MAGIC);
    CN_ASSERT(r->pending > 0);
    r->pending--;
    if (r->req)
        return 0;
    if (r->pending == 0)
        req_free(r);
    return 1;
}

const char *gw_req_query(const gw_req_t *r, size_t *len)
{
    if (!r->req || r->req->query_at == SIZE_MAX) {
        *len = 0;
        return NULL;
    }
    *len = r->req->path.len - r->req->query_at - 1;
    return r->req->path.base + r->req->query_at + 1;
}

cn_slice_t gw_req_header(const gw_req_t *r, const char *lname)
{
    size_t n = strlen(lname);
    if (!r->req)
        return cn_slice(NULL, 0);
    const h2o_headers_t *h = &r->req->headers;
    for (size_t i = 0; i < h->size; i++) {
        const h2o_header_t *e = &h->entries[i];
        if (e->name->len == n && strncasecmp(e->name->base, lname, n) == 0)
            return cn_slice(e->value.base ? e->value.base : "", e->value.len);
    }
    return cn_slice(NULL, 0);
}

void gw_req_add_header(gw_req_t *r, const char *name, const char *value, size_t len)
{
    if (!r->req)
        return;
    h2o_iovec_t v = h2o_strdup(&r->req->pool, value, len);
    h2o_iovec_t n = h2o_strdup(&r->req->pool, name, strlen(name));
    /* HTTP/1 clients and scripts look for "ETag" as S3 spells it; h2o's token would be
     * "etag" (HTTP/2 needs lower case, so keep the token there) */
    if (r->req->version < 0x200 && strcmp(name, "etag") == 0) {
        h2o_add_header_by_str(&r->req->pool, &r->req->res.headers, H2O_STRLIT("ETag"), 0, NULL,
                              v.base, v.len);
        return;
    }
    h2o_add_header_by_str(&r->req->pool, &r->req->res.headers, n.base, n.len, 1, NULL, v.base,
                          v.len);
}

static int is_head_req(const h2o_req_t *req)
{
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
}

static int is_head(const gw_req_t *r)
{
    return r->req && is_head_req(r->req);
}

void gw_req_send_inline(gw_req_t *r, int status, const char *body, size_t len)
{
    h2o_req_t *req = r->req;
    if (!req)
        return;
    r->responded = 1;
    req->res.status = status;
    req->res.reason = reason_of(status);
    /* h2o_send_inline leaves the length unset (chunked, and close after errors) */
    req->res.content_length = status == 304 || status == 204 ? SIZE_MAX : len;
    h2o_send_inline(req, body ? body : "", body ? len : 0);
}

void gw_req_error(gw_req_t *r, gw_s3_err_t e, const char *msg)
{
    cn_buf_t b;
    h2o_req_t *req = r->req;

    if (!req || r->responded)
        return;
    r->responded = 1;
    req->res.status = gw_s3_err_status(e);
    req->res.reason = reason_of(req->res.status);
    if (e != GW_S3_NO_SUCH_KEY || !is_head(r))
        CN_LOG(CN_LOG_DEBUG, "req=%s %s -> %s", r->reqid, r->resource, gw_s3_err_code(e));
    if (is_head(r)) {
        req->res.content_length = 0;
        h2o_send_inline(req, "", 0);
        return;
    }
    cn_buf_init(&b);
    gw_s3_err_xml(&b, e, msg, r->resource, r->reqid);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/xml"));
    req->res.content_length = b.len;
    h2o_send_inline(req, b.data, b.len);
    cn_buf_dispose(&b);
}

void gw_req_send_xml(gw_req_t *r, int status, const cn_buf_t *xml)
{
    h2o_req_t *req = r->req;
    if (!req || r->responded)
        return;
    r->responded = 1;
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/xml"));
    req->res.content_length = xml->len;
    h2o_send_inline(req, xml->data, xml->len);
}

void gw_req_send_empty(gw_req_t *r, int status)
{
    h2o_req_t *req = r->req;
    if (!req || r->responded)
        return;
    r->responded = 1;
    req->res.status = status;
    req->res.reason = reason_of(status);
    req->res.content_length = status == 304 || status == 204 ? SIZE_MAX : 0;
    h2o_send_inline(req, "", 0);
}

/* ---- authentication ------------------------------------------------------------------ */

static int lookup_secret(void *arg, const char *access_key, char *secret, size_t secret_len)
{
    const gw_user_t *u = gw_mgr_user_by_key(arg, access_key);
    if (!u || strlen(u->secret) >= secret_len)
        return CN_ENOENT;
    strcpy(secret, u->secret);
    return 0;
}

static gw_s3_err_t authenticate(gw_req_t *r)
{
    h2o_req_t *req = r->req;
    size_t qat = req->query_at;
    size_t plen = qat != SIZE_MAX ? qat : req->path.len;
    gw_auth_header_t *hs = cn_calloc(req->headers.size + 2, sizeof(*hs));
    char clen[24];
    size_t nh = req->headers.size;
    gw_auth_req_t ar = {
        .method = req->method.base,
        .method_len = req->method.len,
        .path = req->path.base,
        .path_len = plen,
        .query = qat != SIZE_MAX ? req->path.base + qat + 1 : NULL,
        .query_len = qat != SIZE_MAX ? req->path.len - qat - 1 : 0,
        .headers = hs,
        .nheaders = 0,
        .now_ms = cn_now_ms(),
        .region = r->srv->conf.region,
    };
    char body_sha256[2 * CN_SHA256_LEN + 1];
    gw_s3_err_t e;

    for (size_t i = 0; i < req->headers.size; i++) {
        hs[i].name = req->headers.entries[i].name->base;
        hs[i].name_len = req->headers.entries[i].name->len;
        hs[i].value = req->headers.entries[i].value.base;
        hs[i].value_len = req->headers.entries[i].value.len;
    }
    /* h2o moves Host into req->authority (HTTP/1) or :authority (HTTP/2); SigV4 signs it */
    if (h2o_find_header(&req->headers, H2O_TOKEN_HOST, -1) < 0 && req->authority.len) {
        hs[nh].name = "host";
        hs[nh].name_len = 4;
        hs[nh].value = req->authority.base;
        hs[nh].value_len = req->authority.len;
        nh++;
    }
    /* h2o keeps Content-Length out of req->headers; s3cmd signs it (SignedHeaders has
     * content-length), and the body h2o buffered has exactly that length */
    if (req->entity.base != NULL &&
        h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_LENGTH, -1) < 0) {
        hs[nh].name = "content-length";
        hs[nh].name_len = 14;
        hs[nh].value = clen;
        hs[nh].value_len = (size_t)snprintf(clen, sizeof(clen), "%zu", req->entity.len);
        nh++;
    }
    ar.nheaders = nh;
    if (r->route.vhost && !r->route.bucket_too_long) {
        /* SigV2 signs "/bucket/key" even when the bucket came from the Host header */
        ar.v2_bucket = r->route.bucket;
        ar.v2_bucket_len = strlen(r->route.bucket);
    }
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-amz-content-sha256"), -1) < 0) {
        uint8_t d[CN_SHA256_LEN];

        gw_body_sha256(req->entity.base ? req->entity.base : "", req->entity.len, d);
        cn_hex(d, sizeof(d), body_sha256);
        ar.body_sha256 = body_sha256;
    }
    e = gw_auth_verify(&ar, lookup_secret, r->srv, &r->auth);
    cn_free(hs);
    if (e != GW_S3_OK)
        return e;
    r->anonymous = r->auth.kind == GW_AUTH_ANONYMOUS;
    if (!r->anonymous) {
        const gw_user_t *u = gw_mgr_user_by_key(r->srv, r->auth.access_key);
        /* a user without an id (a manager older than the gateway) owns nothing here */
        snprintf(r->requester, sizeof(r->requester), "%s", u && u->id ? u->id : "");
    }
    return GW_S3_OK;
}

static gw_s3_err_t check_body(gw_req_t *r)
{
    h2o_req_t *req = r->req;
    const char *body;
    size_t blen;
    cn_slice_t md5h;
    gw_s3_err_t e;

    r->body = cn_slice(req->entity.base ? req->entity.base : "",
                       req->entity.base ? req->entity.len : 0);
    if (r->auth.payload == GW_PAYLOAD_STREAMING) {
        if ((e = gw_req_decode_chunked(r)) != GW_S3_OK)
            return e;
    } else if ((e = gw_req_check_checksum_header(r)) != GW_S3_OK) {
        return e;
    }
    body = r->body.ptr;
    blen = r->body.len;
    if (r->auth.payload == GW_PAYLOAD_SHA256) {
        uint8_t d[CN_SHA256_LEN];
        char hex[2 * CN_SHA256_LEN + 1];
        gw_body_sha256(body, blen, d);
        cn_hex(d, sizeof(d), hex);
        if (strcasecmp(hex, r->auth.payload_sha256) != 0)
            return GW_S3_CONTENT_SHA256_MISMATCH;
    }
    md5h = gw_req_header(r, "content-md5");
    if (md5h.ptr) {
        unsigned char dec[64];
        uint8_t d[CN_MD5_LEN];
        int n;
        if (md5h.len == 0 || md5h.len > 44 || md5h.len % 4)
            return GW_S3_INVALID_DIGEST;
        n = EVP_DecodeBlock(dec, (const unsigned char *)md5h.ptr, (int)md5h.len);
        if (n < 0)
            return GW_S3_INVALID_DIGEST;
        for (size_t i = md5h.len; i > 0 && md5h.ptr[i - 1] == '='; i--)
            n--;
        if (n != CN_MD5_LEN)
            return GW_S3_INVALID_DIGEST;
        gw_body_md5(body, blen, d);
        if (memcmp(d, dec, CN_MD5_LEN) != 0)
            return GW_S3_BAD_DIGEST;
    }
    return GW_S3_OK;
}

/* ---- access ---------------------------------------------------------------------------
 * One decision, gateway/access.c: here the operation's bucket permission, before dispatch;
 * an object permission (GET, HEAD, the object's ACL) once its metadata is read
 * (gw_obj_allows, s3_object.c). The bucket's owner and ACL are copied into r: the bucket
 * table may be replaced while an RPC is pending. */

gw_s3_err_t gw_req_check_access(gw_req_t *r, const gw_bucket_t *b)
{
    gw_perm_t perm = gw_op_perm(r->route.op);
    gw_acl_subject_t bs;

    snprintf(r->bucket_owner, sizeof(r->bucket_owner), "%s", b->owner ? b->owner : "");
    snprintf(r->bucket_acl, sizeof(r->bucket_acl), "%s", b->acl ? b->acl : "");
    bs = (gw_acl_subject_t){r->bucket_owner, r->bucket_acl};
    r->may_list = gw_access_allows(r->requester, &bs, NULL, GW_PERM_BUCKET_LIST);
    if (gw_perm_is_object(perm))
        return GW_S3_OK;
    return gw_access_allows(r->requester, &bs, NULL, perm) ? GW_S3_OK : GW_S3_ACCESS_DENIED;
}

/* ---- limits ----------------------------------------------------------------------------
 * h2o 2.2.5 itself closes a connection whose request head passes H2O_MAX_REQLEN (417,792
 * bytes) or holds more than H2O_MAX_HEADERS (100) headers (answering 400 where it can). Under
 * that, S3's own limits: the header section (names and values) at most 8 KiB
 * (RequestHeaderSectionTooLarge) and user metadata (x-amz-meta-* names without the prefix,
 * plus values) at most 2 KiB (MetadataTooLarge). */
#define GW_MAX_HEADER_BYTES 8192
#define GW_MAX_META_BYTES 2048

static gw_s3_err_t check_header_limits(const h2o_req_t *req)
{
    size_t all = 0, meta = 0;

    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];

        all += h->name->len + h->value.len;
        if (h->name->len > 11 && strncasecmp(h->name->base, "x-amz-meta-", 11) == 0)
            meta += h->name->len - 11 + h->value.len;
    }
    if (all > GW_MAX_HEADER_BYTES)
        return GW_S3_HEADERS_TOO_LARGE;
    if (meta > GW_MAX_META_BYTES)
        return GW_S3_METADATA_TOO_LARGE;
    return GW_S3_OK;
}

/* ---- the handler --------------------------------------------------------------------- */

static void dispatch(gw_req_t *r)
{
    switch (r->route.op) {
    case GW_OP_LIST_BUCKETS: gw_s3_list_buckets(r); break;
    case GW_OP_CREATE_BUCKET: gw_s3_create_bucket(r); break;
    case GW_OP_DELETE_BUCKET: gw_s3_delete_bucket(r); break;
    case GW_OP_HEAD_BUCKET: gw_s3_head_bucket(r); break;
    case GW_OP_GET_BUCKET_LOCATION: gw_s3_bucket_location(r); break;
    case GW_OP_LIST_OBJECTS: gw_s3_list_objects(r, 0); break;
    case GW_OP_LIST_OBJECTS_V2: gw_s3_list_objects(r, 1); break;
    case GW_OP_PUT_OBJECT: gw_s3_put_object(r); break;
    case GW_OP_GET_OBJECT: gw_s3_get_object(r, 0); break;
    case GW_OP_HEAD_OBJECT: gw_s3_get_object(r, 1); break;
    case GW_OP_DELETE_OBJECT: gw_s3_delete_object(r); break;
    case GW_OP_CREATE_MULTIPART: gw_s3_create_multipart(r); break;
    case GW_OP_UPLOAD_PART: gw_s3_upload_part(r); break;
    case GW_OP_COMPLETE_MULTIPART: gw_s3_complete_multipart(r); break;
    case GW_OP_ABORT_MULTIPART: gw_s3_abort_multipart(r); break;
    case GW_OP_LIST_PARTS: gw_s3_list_parts(r); break;
    case GW_OP_LIST_MULTIPART_UPLOADS: gw_s3_list_multipart_uploads(r); break;
    case GW_OP_DELETE_OBJECTS: gw_s3_delete_objects(r); break;
    case GW_OP_GET_BUCKET_ACL: gw_s3_get_bucket_acl(r); break;
    case GW_OP_PUT_BUCKET_ACL: gw_s3_put_bucket_acl(r); break;
    case GW_OP_GET_OBJECT_ACL: gw_s3_get_object_acl(r); break;
    case GW_OP_PUT_OBJECT_ACL: gw_s3_put_object_acl(r); break;
    case GW_OP_GET_OBJECT_TAGGING: gw_s3_get_object_tagging(r); break;
    default: gw_req_error(r, GW_S3_NOT_IMPLEMENTED, NULL); break;
    }
}

/* A request context tied to req's pool, with its request id headers set. */
static gw_req_t *req_new(gw_server_t *s, h2o_req_t *req)
{
    gw_req_t *r = cn_calloc(1, sizeof(*r));
    gw_req_t **slot;
    char id2[128];
    uint64_t id;

    r->magic = GW_REQ_MAGIC;
    r->srv = s;
    r->req = req;
    slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_pool_dispose);
    *slot = r;
    id = s->reqid_seed + s->reqid_ctr++ * 0x9E3779B97F4A7C15ull;
    snprintf(r->reqid, sizeof(r->reqid), "%016" PRIX64, id);
    snprintf(id2, sizeof(id2), "%s/%s", s->conf.name, r->reqid);
    gw_req_add_header(r, "x-amz-request-id", r->reqid, 16);
    gw_req_add_header(r, "x-amz-id-2", id2, strlen(id2));
    return r;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    gw_server_t *s = ((struct gw_handler *)self)->srv;
    gw_req_t *r = req_new(s, req);
    const char *msg = NULL;
    gw_s3_err_t e;
    ssize_t hi;

    {
        size_t qat = req->query_at;
        size_t plen = qat != SIZE_MAX ? qat : req->path.len;
        const char *host = req->authority.base;
        size_t host_len = req->authority.len;
        hi = h2o_find_header(&req->headers, H2O_TOKEN_HOST, -1);
        if (hi >= 0) {
            host = req->headers.entries[hi].value.base;
            host_len = req->headers.entries[hi].value.len;
        }
        snprintf(r->resource, sizeof(r->resource), "%.*s", (int)plen, req->path.base);
        e = gw_route_parse(req->method.base, req->method.len, req->path.base, plen,
                           qat != SIZE_MAX ? req->path.base + qat + 1 : NULL,
                           qat != SIZE_MAX ? req->path.len - qat - 1 : 0, host, host_len,
                           s->conf.domain, &r->route);
        if (r->route.vhost)
            snprintf(r->resource, sizeof(r->resource), "/%s%.*s", r->route.bucket, (int)plen,
                     req->path.base);
    }
    if (e != GW_S3_OK)
        goto fail;
    if ((e = check_header_limits(req)) != GW_S3_OK)
        goto fail;
    if (!gw_mgr_ready(s)) {
        e = GW_S3_SERVICE_UNAVAILABLE;
        goto fail;
    }
    if ((e = authenticate(r)) != GW_S3_OK)
        goto fail;
    if ((e = check_body(r)) != GW_S3_OK)
        goto fail;
    {
        cn_slice_t acl = gw_req_header(r, "x-amz-acl");
        if (acl.ptr) {
            snprintf(r->acl, sizeof(r->acl), "%.*s", (int)acl.len, acl.ptr);
            if (acl.len >= sizeof(r->acl) || !gw_acl_canned_valid(r->acl)) {
                e = GW_S3_INVALID_ARGUMENT;
                goto fail;
            }
        }
    }
    if ((e = gw_refuse_req(r, &msg)) != GW_S3_OK)
        goto fail;
    if (r->anonymous && (!r->route.bucket[0] || r->route.op == GW_OP_CREATE_BUCKET)) {
        e = GW_S3_ACCESS_DENIED;
        goto fail;
    }
    if (r->route.bucket[0] && r->route.op != GW_OP_CREATE_BUCKET) {
        const gw_bucket_t *b = r->route.bucket_too_long ? NULL
                                                         : gw_mgr_bucket_find(s, r->route.bucket);
        if (!b) {
            e = GW_S3_NO_SUCH_BUCKET;
            goto fail;
        }
        if ((e = gw_req_check_access(r, b)) != GW_S3_OK)
            goto fail;
    }
    dispatch(r);
    return 0;
fail:
    gw_req_error(r, e, msg);
    return 0;
}

/* ---- EntityTooLarge before the body is read ----------------------------------------------
 * h2o refuses a body over max_request_entity_size (= max_object_size) on its own, as soon as
 * it sees Content-Length (or while reading a chunked body), with a plain-text 413 sent through
 * the host's fallback path. This filter, on that path, turns such a 413 into S3's 400
 * EntityTooLarge XML with a request id. */

struct xml_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int sent;
};

static void xml_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                        h2o_send_state_t state)
{
    struct xml_ostream *o = (struct xml_ostream *)self;
    if (h2o_send_state_is_in_progress(state) || o->sent) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    o->sent = 1;
    h2o_ostream_send_next(self, req, &o->body, 1, state);
}

struct gw_filter {
    h2o_filter_t super;
    gw_server_t *srv;
};

static void on_setup_413(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    gw_server_t *s = ((struct gw_filter *)self)->srv;
    struct xml_ostream *o;
    char reqid[17], id2[128], res[1200];
    uint64_t id;
    cn_buf_t b;

    if (req->res.status != 413) {
        h2o_setup_next_ostream(req, slot);
        return;
    }
    id = s->reqid_seed + s->reqid_ctr++ * 0x9E3779B97F4A7C15ull;
    snprintf(reqid, sizeof(reqid), "%016" PRIX64, id);
    snprintf(id2, sizeof(id2), "%s/%s", s->conf.name, reqid);
    snprintf(res, sizeof(res), "%.*s",
             (int)(req->query_at != SIZE_MAX ? req->query_at : req->path.len), req->path.base);
    cn_buf_init(&b);
    gw_s3_err_xml(&b, GW_S3_ENTITY_TOO_LARGE, NULL, res, reqid);
    req->res.status = gw_s3_err_status(GW_S3_ENTITY_TOO_LARGE);
    req->res.reason = reason_of(req->res.status);
    h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   H2O_STRLIT("application/xml"), 1);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amz-request-id"), 0, NULL,
                          h2o_strdup(&req->pool, reqid, SIZE_MAX).base, strlen(reqid));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amz-id-2"), 0, NULL,
                          h2o_strdup(&req->pool, id2, SIZE_MAX).base, strlen(id2));
    o = (struct xml_ostream *)h2o_add_ostream(req, sizeof(*o), slot);
    o->super.do_send = xml_do_send;
    o->sent = 0;
    if (is_head_req(req)) {
        o->body = h2o_iovec_init("", 0);
        req->res.content_length = 0;
    } else {
        o->body = h2o_strdup(&req->pool, b.data, b.len);
        req->res.content_length = b.len;
    }
    cn_buf_dispose(&b);
    h2o_setup_next_ostream(req, &o->super.next);
    CN_LOG(CN_LOG_DEBUG, "req=%s %s -> EntityTooLarge (before the body)", reqid, res);
}

/* ---- the REST listener ------------------------------------------------------------------
 * LeoFS REST mode: PUT/GET/HEAD/DELETE /bucket/key with no S3 signature, for curl -T. It runs
 * the same object operations as S3. Who may do what: a request from loopback acts as the
 * bucket's owner when rest_trust_loopback is set; any other request is anonymous and gets
 * what the bucket's canned ACL grants (public-read: GET/HEAD, public-read-write: also PUT and
 * DELETE) or, for a read, what the object's own ACL grants. */

static int peer_is_loopback(h2o_req_t *req)
{
    struct sockaddr_storage ss;
    socklen_t n;

    if (!req->conn->callbacks->get_peername)
        return 0;
    n = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (n == 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return 0;
}

static int on_rest_req(h2o_handler_t *self, h2o_req_t *req)
{
    gw_server_t *s = ((struct gw_handler *)self)->srv;
    gw_req_t *r = req_new(s, req);
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const gw_bucket_t *b;
    gw_s3_err_t e;

    r->rest = 1;
    snprintf(r->resource, sizeof(r->resource), "%.*s", (int)plen, req->path.base);
    e = gw_route_parse(req->method.base, req->method.len, req->path.base, plen, NULL, 0, NULL, 0,
                       NULL, &r->route);
    if (e == GW_S3_OK)
        e = check_header_limits(req);
    if (e != GW_S3_OK)
        goto fail;
    if (r->route.op != GW_OP_PUT_OBJECT && r->route.op != GW_OP_GET_OBJECT &&
        r->route.op != GW_OP_HEAD_OBJECT && r->route.op != GW_OP_DELETE_OBJECT) {
        e = GW_S3_METHOD_NOT_ALLOWED;
        goto fail;
    }
    if (!gw_mgr_ready(s)) {
        e = GW_S3_SERVICE_UNAVAILABLE;
        goto fail;
    }
    b = r->route.bucket_too_long ? NULL : gw_mgr_bucket_find(s, r->route.bucket);
    if (!b) {
        e = GW_S3_NO_SUCH_BUCKET;
        goto fail;
    }
    if (s->conf.rest_trust_loopback && peer_is_loopback(req)) {
        const gw_user_t *u = gw_mgr_user_by_id(s, b->owner);
        /* acts as the owner: its id decides, its key names it where a key is shown */
        snprintf(r->requester, sizeof(r->requester), "%s", b->owner);
        snprintf(r->auth.access_key, sizeof(r->auth.access_key), "%s", u ? u->access_key : "");
        r->auth.kind = GW_AUTH_V4_HEADER;
    } else {
        r->anonymous = 1;
    }
    if ((e = check_body(r)) != GW_S3_OK)
        goto fail;
    if ((e = gw_req_check_access(r, b)) != GW_S3_OK)
        goto fail;
    dispatch(r);
    return 0;
fail:
    gw_req_error(r, e, NULL);
    return 0;
}

/* A client connection: the uv handle first (h2o frees it with free()), and the server whose
 * connection count it holds. */
struct gw_conn {
    uv_tcp_t tcp;
    gw_server_t *srv;
};

static void on_conn_closed(uv_handle_t *h)
{
    struct gw_conn *c = (struct gw_conn *)h;

    c->srv->nconns--;
    free(c);
}

/* Over max_connections: a plain-HTTP client gets 503 SlowDown (best effort, one try), then
 * the connection is closed; a TLS client just sees the close. */
static void refuse_connection(gw_server_t *s, struct gw_conn *c, int tls)
{
    static const char resp[] =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
        "Connection: close\r\nContent-Length: 115\r\n\r\n"
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
        "<Message>Too many connections.</Message></Error>";

    if (!tls) {
        uv_buf_t b = uv_buf_init((char *)resp, sizeof(resp) - 1);
        uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    }
    CN_LOG(CN_LOG_WARN, "connections=%" PRIu64 " max_connections=%" PRIu64 ": refusing one",
           s->nconns, s->conf.max_connections);
    uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
}

static void on_connection(uv_stream_t *listener, int status)
{
    gw_server_t *s = listener->data;
    h2o_accept_ctx_t *actx =
        listener == (uv_stream_t *)&s->rest_listener       ? &s->rest_accept_ctx
        : listener == (uv_stream_t *)&s->tls_listener      ? &s->tls_accept_ctx
        : listener == (uv_stream_t *)&s->rest_tls_listener ? &s->rest_tls_accept_ctx
                                                           : &s->accept_ctx;
    struct gw_conn *conn;
    h2o_socket_t *sock;

    if (status != 0) {
        CN_LOG(CN_LOG_WARN, "accept: %s", uv_strerror(status));
        return;
    }
    conn = h2o_mem_alloc(sizeof(*conn));
    conn->srv = s;
    uv_tcp_init(listener->loop, &conn->tcp);
    if (uv_accept(listener, (uv_stream_t *)&conn->tcp) != 0) {
        uv_close((uv_handle_t *)&conn->tcp, (uv_close_cb)free);
        return;
    }
    if (s->nconns >= s->conf.max_connections) {
        refuse_connection(s, conn, actx->ssl_ctx != NULL);
        return;
    }
    s->nconns++;
    uv_tcp_nodelay(&conn->tcp, 1);
    sock = h2o_uv_socket_create((uv_stream_t *)&conn->tcp, on_conn_closed);
    h2o_accept(actx, sock);
}

/* Binds host:*port (0 = any free port) and writes the real port back. */
static int listen_on(gw_server_t *s, uv_tcp_t *l, const char *host, int *port)
{
    struct sockaddr_storage ss;
    int namelen = sizeof(ss);
    int rc;

    if (strchr(host, ':'))
        rc = uv_ip6_addr(host, *port, (struct sockaddr_in6 *)&ss);
    else
        rc = uv_ip4_addr(host, *port, (struct sockaddr_in *)&ss);
    if (rc != 0)
        return CN_EINVAL;
    uv_tcp_init(s->loop, l);
    l->data = s;
    if ((rc = uv_tcp_bind(l, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)l, 128, on_connection)) != 0)
        return rc;
    if ((rc = uv_tcp_getsockname(l, (struct sockaddr *)&ss, &namelen)) != 0)
        return rc;
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                           : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

/* One h2o configuration and context per listener, both on the server's loop. */
static void setup_h2o(gw_server_t *s, h2o_globalconf_t *cfg, h2o_context_t *ctx,
                      h2o_accept_ctx_t *actx, int (*on)(h2o_handler_t *, h2o_req_t *))
{
    h2o_hostconf_t *hc;
    h2o_pathconf_t *pc;
    struct gw_handler *h;
    struct gw_filter *f;

    h2o_config_init(cfg);
    cfg->server_name = h2o_iovec_init(H2O_STRLIT("cairn"));
    cfg->max_request_entity_size = (size_t)s->conf.max_object_size;
    /* slow clients: the whole request head within request_timeout_ms (slowloris) */
    cfg->http1.req_timeout = s->conf.request_timeout_ms;
    cfg->http2.idle_timeout = s->conf.request_timeout_ms;
    hc = h2o_config_register_host(cfg, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    pc = h2o_config_register_path(hc, "/", 0);
    h = (struct gw_handler *)h2o_create_handler(pc, sizeof(*h));
    h->super.on_req = on;
    h->srv = s;
    f = (struct gw_filter *)h2o_create_filter(&hc->fallback_path, sizeof(*f));
    f->super.on_setup_ostream = on_setup_413;
    f->srv = s;
    h2o_context_init(ctx, s->loop, cfg);
    actx->ctx = ctx;
    actx->hosts = cfg->hosts;
}

int gw_http_start(gw_server_t *s)
{
    int rc;

    setup_h2o(s, &s->h2o_cfg, &s->h2o_ctx, &s->accept_ctx, on_req);
    s->listening = 1;
    if ((rc = listen_on(s, &s->listener, s->host, &s->port)) != 0)
        return rc;
    /* one OpenSSL context for both HTTPS listeners (gateway/tls.c, made by main.c before;
     * gw_tls_init keeps it), swapped on SIGHUP */
    if (gw_tls_wanted(&s->conf) && (rc = gw_tls_init(s)) != 0)
        return rc;
    if (s->conf.tls_listen && *s->conf.tls_listen) {
        /* HTTPS: the S3 context and handler behind OpenSSL */
        s->tls_accept_ctx = s->accept_ctx;
        s->tls_accept_ctx.ssl_ctx = s->tls_ssl_ctx;
        s->tls_listening = 1;
        if ((rc = listen_on(s, &s->tls_listener, s->tls_host, &s->tls_port)) != 0) {
            CN_LOG(CN_LOG_ERROR, "tls listen %s: %s", s->conf.tls_listen, cn_strerror(rc));
            return rc;
        }
    }
    if (!s->conf.rest_enabled)
        return 0;
    setup_h2o(s, &s->rest_cfg, &s->rest_ctx, &s->rest_accept_ctx, on_rest_req);
    if (s->conf.rest_listen && *s->conf.rest_listen) {
        s->rest_listening = 1;
        if ((rc = listen_on(s, &s->rest_listener, s->rest_host, &s->rest_port)) != 0) {
            CN_LOG(CN_LOG_ERROR, "rest listen %s: %s", s->conf.rest_listen, cn_strerror(rc));
            return rc;
        }
    }
    if (s->conf.rest_tls_listen && *s->conf.rest_tls_listen) {
        /* HTTPS REST: the REST context and handler behind the same OpenSSL context */
        s->rest_tls_accept_ctx = s->rest_accept_ctx;
        s->rest_tls_accept_ctx.ssl_ctx = s->tls_ssl_ctx;
        s->rest_tls_listening = 1;
        if ((rc = listen_on(s, &s->rest_tls_listener, s->rest_tls_host, &s->rest_tls_port)) !=
            0) {
            CN_LOG(CN_LOG_ERROR, "rest tls listen %s: %s", s->conf.rest_tls_listen,
                   cn_strerror(rc));
            return rc;
        }
    }
    return 0;
}

void gw_http_stop(gw_server_t *s)
{
    if (s->listening) {
        s->listening = 0;
        uv_close((uv_handle_t *)&s->listener, NULL);
    }
    if (s->rest_listening) {
        s->rest_listening = 0;
        uv_close((uv_handle_t *)&s->rest_listener, NULL);
    }
    if (s->tls_listening) {
        s->tls_listening = 0;
        uv_close((uv_handle_t *)&s->tls_listener, NULL);
    }
    if (s->rest_tls_listening) {
        s->rest_tls_listening = 0;
        uv_close((uv_handle_t *)&s->rest_tls_listener, NULL);
    }
}
