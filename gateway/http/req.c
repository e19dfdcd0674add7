/*
 * gateway/http/req.c: one h2o request and its response (see req.h).
 */
#include "gateway/http/req.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"

const char *gw_http_reason(int status)
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

static void on_pool_dispose(void *p)
{
    gw_http_t *h = *(gw_http_t **)p;
    const h2o_req_t *req = h->req;

    h->req = NULL;
    h->on_dispose(h, req);
}

void gw_http_init(gw_http_t *h, h2o_req_t *req, gw_http_dispose_fn on_dispose)
{
    gw_http_t **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_pool_dispose);

    h->req = req;
    h->on_dispose = on_dispose;
    *slot = h;
}

int gw_http_body_stable(const gw_http_t *h)
{
    return h->req != NULL && h->req->version < 0x200;
}

int gw_http_rpc_done(gw_http_t *h)
{
    CN_ASSERT(h->pending > 0);
    h->pending--;
    return h->req == NULL;
}

int gw_http_unused(const gw_http_t *h)
{
    return h->req == NULL && h->pending == 0;
}

const char *gw_http_query(const gw_http_t *h, size_t *len)
{
    if (!h->req || h->req->query_at == SIZE_MAX) {
        *len = 0;
        return NULL;
    }
    *len = h->req->path.len - h->req->query_at - 1;
    return h->req->path.base + h->req->query_at + 1;
}

cn_slice_t gw_http_header(const gw_http_t *h, const char *lname)
{
    size_t n = strlen(lname);

    if (!h->req)
        return cn_slice(NULL, 0);
    for (size_t i = 0; i < h->req->headers.size; i++) {
        const h2o_header_t *e = &h->req->headers.entries[i];
        if (e->name->len == n && strncasecmp(e->name->base, lname, n) == 0)
            return cn_slice(e->value.base ? e->value.base : "", e->value.len);
    }
    return cn_slice(NULL, 0);
}

int gw_http_is_head(const gw_http_t *h)
{
    return h->req && h2o_memis(h->req->method.base, h->req->method.len, H2O_STRLIT("HEAD"));
}

void gw_http_add_header(gw_http_t *h, const char *name, const char *value, size_t len)
{
    h2o_req_t *req = h->req;
    h2o_iovec_t v, n;

    if (!req)
        return;
    v = h2o_strdup(&req->pool, value, len);
    n = h2o_strdup(&req->pool, name, strlen(name));
    /* HTTP/1 clients and scripts look for "ETag" as S3 spells it; h2o's token would be
     * "etag" (HTTP/2 needs lower case, so keep the token there) */
    if (req->version < 0x200 && strcmp(name, "etag") == 0) {
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("ETag"), 0, NULL,
                              v.base, v.len);
        return;
    }
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void gw_http_send(gw_http_t *h, int status, const char *ctype, const char *body, size_t len)
{
    h2o_req_t *req = h->req;

    if (!req || h->responded)
        return;
    h->responded = 1;
    req->res.status = status;
    req->res.reason = gw_http_reason(status);
    if (ctype)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
                       strlen(ctype));
    /* h2o_send_inline leaves the length unset (chunked, and close after errors) */
    req->res.content_length = status == 304 || status == 204 ? SIZE_MAX : len;
    h2o_send_inline(req, body ? body : "", body ? len : 0);
}

int gw_http_peer_ip(const gw_http_t *h, char *out, size_t len)
{
    struct sockaddr_storage ss;
    h2o_req_t *req = h->req;

    if (!req || !req->conn->callbacks->get_peername ||
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss) == 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, len) ? 0 : -1;
    if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;

        if (IN6_IS_ADDR_V4MAPPED(a))
            return inet_ntop(AF_INET, &a->s6_addr[12], out, len) ? 0 : -1;
        return inet_ntop(AF_INET6, a, out, len) ? 0 : -1;
    }
    return -1;
}

int gw_http_is_secure(const gw_http_t *h)
{
    return h->req != NULL && h->req->scheme == &H2O_URL_SCHEME_HTTPS;
}

int gw_http_peer_is_loopback(const gw_http_t *h)
{
    h2o_req_t *req = h->req;

    struct sockaddr_storage ss;
    socklen_t n;

    if (!req || !req->conn->callbacks->get_peername)
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
