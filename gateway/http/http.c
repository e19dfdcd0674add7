/*
 * gateway/http/http.c: the HTTP edge's entry: the uv TCP listeners (S3, and REST when enabled,
 * each also over HTTPS with tls.c's context; port 0 supported) and h2o's accept, the two
 * handlers, and dispatch. The S3 handler runs a request through its steps in order: route
 * (s3_req.c), the CORS headers of a request with an Origin (s3_cors.c), header limits
 * (s3_limits.c), readiness, a preflight OPTIONS (answered there, s3_cors.c), authentication
 * and body checks (auth_req.c), the canned ACL header, the tags it sets (s3_tagging.c), the
 * bucket and the operation's access (access_req.c), then the operation's function from the
 * dispatch table. docs/DESIGN.md, "How a request
 * flows", follows a PUT and a GET through the files.
 */
#include "gateway/gateway.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/auth/access_req.h"
#include "gateway/auth/auth_req.h"
#include "gateway/http/http.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_bucket.h"
#include "gateway/s3/s3_cors.h"
#include "gateway/s3/s3_lifecycle.h"
#include "gateway/s3/s3_bucket_sse.h"
#include "gateway/s3/s3_delete.h"
#include "gateway/http/s3_limits.h"
#include "gateway/s3/s3_attributes.h"
#include "gateway/s3/s3_multipart.h"
#include "gateway/s3/s3_object.h"
#include "gateway/s3/s3_policy.h"
#include "gateway/s3/s3_post.h"
#include "gateway/s3/s3_refuse.h"
#include "gateway/s3/s3_list_versions.h"
#include "gateway/s3/s3_logging.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_tagging.h"
#include "gateway/s3/s3_objlock.h"
#include "gateway/http/tls.h"
#include "gateway/http/too_large.h"
#include "gateway/workers.h"

struct gw_handler {
    h2o_handler_t super;
    gw_server_t *srv;
};

/* One row per operation (the route's op, gateway/s3/route.h): the function that runs it. */
typedef void (*gw_op_fn)(gw_req_t *r);
static const gw_op_fn op_handlers[] = {
    [GW_OP_LIST_BUCKETS] = gw_s3_list_buckets,
    [GW_OP_CREATE_BUCKET] = gw_s3_create_bucket,
    [GW_OP_DELETE_BUCKET] = gw_s3_delete_bucket,
    [GW_OP_HEAD_BUCKET] = gw_s3_head_bucket,
    [GW_OP_GET_BUCKET_LOCATION] = gw_s3_bucket_location,
    [GW_OP_LIST_OBJECTS] = gw_s3_list_objects_v1,
    [GW_OP_LIST_OBJECTS_V2] = gw_s3_list_objects_v2,
    [GW_OP_PUT_OBJECT] = gw_s3_put_object,
    [GW_OP_GET_OBJECT] = gw_s3_get_object,
    [GW_OP_HEAD_OBJECT] = gw_s3_head_object,
    [GW_OP_DELETE_OBJECT] = gw_s3_delete_object,
    [GW_OP_CREATE_MULTIPART] = gw_s3_create_multipart,
    [GW_OP_UPLOAD_PART] = gw_s3_upload_part,
    [GW_OP_COMPLETE_MULTIPART] = gw_s3_complete_multipart,
    [GW_OP_ABORT_MULTIPART] = gw_s3_abort_multipart,
    [GW_OP_LIST_PARTS] = gw_s3_list_parts,
    [GW_OP_LIST_MULTIPART_UPLOADS] = gw_s3_list_multipart_uploads,
    [GW_OP_DELETE_OBJECTS] = gw_s3_delete_objects,
    [GW_OP_GET_BUCKET_ACL] = gw_s3_get_bucket_acl,
    [GW_OP_PUT_BUCKET_ACL] = gw_s3_put_bucket_acl,
    [GW_OP_GET_BUCKET_POLICY] = gw_s3_get_bucket_policy,
    [GW_OP_PUT_BUCKET_POLICY] = gw_s3_put_bucket_policy,
    [GW_OP_DELETE_BUCKET_POLICY] = gw_s3_delete_bucket_policy,
    [GW_OP_GET_BUCKET_POLICY_STATUS] = gw_s3_get_bucket_policy_status,
    [GW_OP_GET_PUBLIC_ACCESS_BLOCK] = gw_s3_get_public_access_block,
    [GW_OP_PUT_PUBLIC_ACCESS_BLOCK] = gw_s3_put_public_access_block,
    [GW_OP_DELETE_PUBLIC_ACCESS_BLOCK] = gw_s3_delete_public_access_block,
    [GW_OP_GET_OWNERSHIP_CONTROLS] = gw_s3_get_ownership_controls,
    [GW_OP_PUT_OWNERSHIP_CONTROLS] = gw_s3_put_ownership_controls,
    [GW_OP_DELETE_OWNERSHIP_CONTROLS] = gw_s3_delete_ownership_controls,
    [GW_OP_GET_BUCKET_VERSIONING] = gw_s3_get_bucket_versioning,
    [GW_OP_PUT_BUCKET_VERSIONING] = gw_s3_put_bucket_versioning,
    [GW_OP_LIST_OBJECT_VERSIONS] = gw_s3_list_object_versions,
    [GW_OP_GET_OBJECT_ACL] = gw_s3_get_object_acl,
    [GW_OP_PUT_OBJECT_ACL] = gw_s3_put_object_acl,
    [GW_OP_GET_OBJECT_TAGGING] = gw_s3_get_object_tagging,
    [GW_OP_GET_OBJECT_ATTRIBUTES] = gw_s3_get_object_attributes,
    [GW_OP_PUT_OBJECT_TAGGING] = gw_s3_put_object_tagging,
    [GW_OP_DELETE_OBJECT_TAGGING] = gw_s3_delete_object_tagging,
    [GW_OP_GET_BUCKET_TAGGING] = gw_s3_get_bucket_tagging,
    [GW_OP_PUT_BUCKET_TAGGING] = gw_s3_put_bucket_tagging,
    [GW_OP_DELETE_BUCKET_TAGGING] = gw_s3_delete_bucket_tagging,
    [GW_OP_POST_OBJECT] = gw_s3_post_object,
    [GW_OP_GET_BUCKET_CORS] = gw_s3_get_bucket_cors,
    [GW_OP_PUT_BUCKET_CORS] = gw_s3_put_bucket_cors,
    [GW_OP_DELETE_BUCKET_CORS] = gw_s3_delete_bucket_cors,
    [GW_OP_GET_BUCKET_LIFECYCLE] = gw_s3_get_bucket_lifecycle,
    [GW_OP_GET_BUCKET_ENCRYPTION] = gw_s3_get_bucket_encryption,
    [GW_OP_PUT_BUCKET_ENCRYPTION] = gw_s3_put_bucket_encryption,
    [GW_OP_DELETE_BUCKET_ENCRYPTION] = gw_s3_delete_bucket_encryption,
    [GW_OP_PUT_BUCKET_LIFECYCLE] = gw_s3_put_bucket_lifecycle,
    [GW_OP_DELETE_BUCKET_LIFECYCLE] = gw_s3_delete_bucket_lifecycle,
    [GW_OP_GET_OBJECT_LOCK_CONFIG] = gw_s3_get_object_lock_config,
    [GW_OP_PUT_OBJECT_LOCK_CONFIG] = gw_s3_put_object_lock_config,
    [GW_OP_GET_OBJECT_RETENTION] = gw_s3_get_object_retention,
    [GW_OP_PUT_OBJECT_RETENTION] = gw_s3_put_object_retention,
    [GW_OP_GET_OBJECT_LEGAL_HOLD] = gw_s3_get_object_legal_hold,
    [GW_OP_PUT_OBJECT_LEGAL_HOLD] = gw_s3_put_object_legal_hold,
    [GW_OP_GET_BUCKET_LOGGING] = gw_s3_get_bucket_logging,
    [GW_OP_PUT_BUCKET_LOGGING] = gw_s3_put_bucket_logging,
};

/* Runs r's operation; one without a row (GW_OP_UNSUPPORTED...) is NotImplemented. */
static void dispatch(gw_req_t *r)
{
    size_t op = (size_t)r->route.op;

    if (op < sizeof(op_handlers) / sizeof(op_handlers[0]) && op_handlers[op] != NULL)
        op_handlers[op](r);
    else
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED, NULL);
}

/* The steps after the body's checks (e: their result), to the operation; an error is
 * answered. */
static void after_body(gw_req_t *r, gw_s3_err_t e)
{
    const char *msg = NULL;

    if (e != GW_S3_OK)
        goto fail;
    if ((e = gw_req_read_acl(r, &msg)) != GW_S3_OK)
        goto fail;
    if ((e = gw_req_read_tagging(r, &msg)) != GW_S3_OK)
        goto fail;
    if ((e = gw_req_read_lock(r, &msg)) != GW_S3_OK) /* x-amz-object-lock-* */
        goto fail;
    if (r->route.op == GW_OP_POST_OBJECT && (e = gw_post_apply(r, &msg)) != GW_S3_OK)
        goto fail;
    if ((e = gw_refuse_req(r, &msg)) != GW_S3_OK)
        goto fail;
    if ((e = gw_req_check_bucket(r)) != GW_S3_OK)
        goto fail;
    dispatch(r);
    return;
fail:
    gw_req_error(r, e, msg);
}

/* The steps after authentication: the body (its digests maybe on the thread pool), then the
 * rest (after_body). */
static void after_auth(gw_req_t *r)
{
    gw_req_check_body(r, after_body);
}

/* Who sent r: its signature, or for a browser's POST form the form's (s3_post.h). */
static gw_s3_err_t authenticate(gw_req_t *r, const char **msg)
{
    *msg = NULL;
    if (r->route.op == GW_OP_POST_OBJECT)
        return gw_post_authenticate(r, msg);
    return gw_req_authenticate(r);
}

/* What a key the manager was asked for (gateway/link/key_ask.h) answers: InvalidAccessKeyId
 * when no Active key has that id; 503 when the manager could not say. */
static gw_s3_err_t key_err(int rc)
{
    return rc == CN_ENOENT || rc == CN_ENAMETOOLONG ? GW_S3_INVALID_ACCESS_KEY_ID
           : rc == CN_EAGAIN                        ? GW_S3_SLOW_DOWN
                                                    : GW_S3_SERVICE_UNAVAILABLE;
}

/* The manager answered for the key a held request signed with: authenticate it again. */
static void on_key_answer(void *arg, int rc)
{
    gw_req_t *r = arg;
    const char *msg;
    gw_s3_err_t e;

    if (gw_req_rpc_done(r))
        return; /* the client went away meanwhile */
    if (rc != 0) {
        gw_req_error(r, key_err(rc), NULL);
        return;
    }
    if ((e = authenticate(r, &msg)) != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    after_auth(r);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    gw_server_t *s = ((struct gw_handler *)self)->srv;
    gw_req_t *r;
    const char *msg = NULL;
    gw_s3_err_t e;
    int rc;

    gw_mgr_sync(s); /* a request starts on the newest tables (a new bucket, a new key) */
    r = gw_req_new(s, req);

    if ((e = gw_req_route(r)) != GW_S3_OK)
        goto fail;
    /* the CORS headers go on whatever answers the request, errors included (S3) */
    gw_cors_add_headers(r);
    if ((e = gw_s3_check_limits(req)) != GW_S3_OK)
        goto fail;
    if (!gw_mgr_ready(s)) {
        e = GW_S3_SERVICE_UNAVAILABLE;
        goto fail;
    }
    if (r->route.op == GW_OP_OPTIONS) {
        /* a preflight is never signed: S3 answers it from the CORS rules, before any
         * signature, ACL or policy is looked at */
        gw_cors_preflight(r);
        return 0;
    }
    if ((e = authenticate(r, &msg)) == GW_S3_INVALID_ACCESS_KEY_ID && r->key_unknown[0]) {
        /* a key made since the users table was fetched? ask once, holding the request (the
         * answer may come before gw_keyask_ask returns, when no manager can be called) */
        r->http.pending++;
        if ((rc = gw_keyask_ask(s, r->key_unknown, on_key_answer, r)) == 0)
            return 0;
        r->http.pending--;
        e = key_err(rc);
        msg = NULL;
    }
    if (e != GW_S3_OK)
        goto fail;
    after_auth(r);
    return 0;
fail:
    gw_req_error(r, e, msg);
    return 0;
}

/* ---- the REST listener ------------------------------------------------------------------
 * LeoFS REST mode: PUT/GET/HEAD/DELETE /bucket/key with no S3 signature, for curl -T. It runs
 * the same object operations as S3. Who may do what: a request from loopback acts as the
 * bucket's owner when rest_trust_loopback is set; any other request is anonymous and gets
 * what the bucket's canned ACL grants (public-read: GET/HEAD, public-read-write: also PUT and
 * DELETE) or, for a read, what the object's own ACL grants. */

/* A REST request after its body's checks (e), to the operation: its bucket is looked up again
 * (the body may have been hashed on the thread pool meanwhile). */
static void after_rest_body(gw_req_t *r, gw_s3_err_t e)
{
    const gw_bucket_t *b = NULL;
    const char *msg = NULL;

    if (e == GW_S3_OK && (b = gw_mgr_bucket_find(r->srv, r->route.bucket)) == NULL)
        e = GW_S3_NO_SUCH_BUCKET;
    if (e == GW_S3_OK)
        e = gw_req_read_tagging(r, &msg); /* x-amz-tagging */
    if (e == GW_S3_OK)
        e = gw_req_check_access(r, b);
    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    dispatch(r);
}

static int on_rest_req(h2o_handler_t *self, h2o_req_t *req)
{
    gw_server_t *s = ((struct gw_handler *)self)->srv;
    gw_req_t *r;
    size_t plen = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    const gw_bucket_t *b;
    const char *msg = NULL;
    gw_s3_err_t e;

    gw_mgr_sync(s);
    r = gw_req_new(s, req);
    r->rest = 1;
    snprintf(r->resource, sizeof(r->resource), "%.*s", (int)plen, req->path.base);
    e = gw_route_parse(req->method.base, req->method.len, req->path.base, plen, NULL, 0, NULL, 0,
                       NULL, &r->route);
    if (e == GW_S3_OK) {
        gw_cors_add_headers(r); /* on every answer, errors included */
        e = gw_s3_check_limits(req);
    }
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
    if (s->conf.rest_trust_loopback && gw_http_peer_is_loopback(&r->http)) {
        const gw_user_t *u = gw_mgr_user_by_id(s, b->owner);
        /* acts as the owner: its id decides, its key names it where a key is shown */
        snprintf(r->requester, sizeof(r->requester), "%s", b->owner);
        snprintf(r->auth.access_key, sizeof(r->auth.access_key), "%s", u ? u->access_key : "");
        r->auth.kind = GW_AUTH_V4_HEADER;
    } else {
        r->anonymous = 1;
    }
    gw_req_check_body(r, after_rest_body);
    return 0;
fail:
    gw_req_error(r, e, msg);
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

    atomic_fetch_sub(&c->srv->sh->nconns, 1);
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
           atomic_load(&s->sh->nconns), s->conf.max_connections);
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
    /* max_connections is the gateway's, every worker's connections together */
    if (atomic_fetch_add(&s->sh->nconns, 1) >= s->conf.max_connections) {
        atomic_fetch_sub(&s->sh->nconns, 1);
        refuse_connection(s, conn, actx->ssl_ctx != NULL);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1);
    sock = h2o_uv_socket_create((uv_stream_t *)&conn->tcp, on_conn_closed);
    h2o_accept(actx, sock);
}

/* A listening socket bound to ss: with SO_REUSEPORT when the gateway runs several workers,
 * so that each binds its own on the same port and the kernel spreads connections over them
 * (libuv 1.44 has no flag for it: the socket is made here and handed over with
 * uv_tcp_open). A gateway of one worker binds without it, so that another process on its
 * port is an error, not a silent share. */
static int bind_socket(const struct sockaddr_storage *ss, int reuseport)
{
    socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                              : sizeof(struct sockaddr_in);
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1, rc;

    if (fd < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
        bind(fd, (const struct sockaddr *)ss, len) != 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

/* Binds host:*port (0 = any free port; worker 0 picks it, the others join it) and writes
 * the real port back. */
static int listen_on(gw_server_t *s, uv_tcp_t *l, const char *host, int *port)
{
    struct sockaddr_storage ss;
    int namelen = sizeof(ss);
    int rc, fd;

    memset(&ss, 0, sizeof(ss));
    if (strchr(host, ':'))
        rc = uv_ip6_addr(host, *port, (struct sockaddr_in6 *)&ss);
    else
        rc = uv_ip4_addr(host, *port, (struct sockaddr_in *)&ss);
    if (rc != 0)
        return CN_EINVAL;
    if ((fd = bind_socket(&ss, s->sh->nthreads > 1)) < 0)
        return fd;
    uv_tcp_init(s->loop, l);
    l->data = s;
    if ((rc = uv_tcp_open(l, fd)) != 0) {
        close(fd);
        return rc;
    }
    if ((rc = uv_listen((uv_stream_t *)l, 128, on_connection)) != 0)
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
    gw_too_large_filter(hc, s);
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
    /* one OpenSSL context for both HTTPS listeners (gateway/http/tls.c, made by main.c before;
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
