/*
 * common/rpc_server.c: the RPC listener and its connections (libuv TCP).
 *
 * A connection starts in HELLO: the server has sent hello {nonce} and accepts nothing but
 * the client's hello {name, mac}. A good MAC moves it to AUTHED (hello {rc: 0}); a bad one
 * gets hello {rc: CN_EAUTH}, a shutdown (so the answer is flushed) and a close. Any other
 * frame before that, a malformed frame or one over max_frame closes the connection with one
 * WARN line naming the peer address.
 *
 * The secret is the server's one cluster secret, or, with secret_fn, the one secret_fn gives
 * for the name in the client's hello: a link server serves several remote clusters, each
 * with its own secret, and knows them by the cluster id they name. The lookup runs at each
 * hello, so a changed secret applies from the next connection; an unknown name is refused
 * as a bad MAC is.
 *
 * Every byte goes through the connection's stream (rpc_tls.c): plain, or TLS when the server
 * has a cn_rpc_tls_t. With TLS the hello {nonce} written at accept waits inside the stream
 * until the TLS handshake is over; nothing else here knows about TLS.
 *
 * Lifetimes (loop thread only, no locks):
 * - cn_rpc_conn: refcnt = 1 for its TCP handle (dropped in the close callback) + 1 per
 *   request handed to the handler (dropped by cn_rpc_reply). A reply on a closed connection
 *   is dropped; the memory goes when the last reference does.
 * - cn_rpc_server: refcnt = 1 for the listener handle + 1 per connection whose handle is
 *   still open. conns lists exactly those connections. It holds a reference to its tls.
 * - a connection's stream (and its SSL) goes with the connection's last reference.
 * Writes own their encoded buffer (rpc_frame.c), so nothing here waits for them.
 */
#include "common/rpc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc_int.h"

#define SRV_MAGIC 0x72737276u  /* "rsrv" */
#define CONN_MAGIC 0x72636f6eu /* "rcon" */

enum conn_state { CONN_HELLO, CONN_AUTHED, CONN_CLOSING };

struct cn_rpc_server {
    uint32_t magic;
    uv_loop_t *loop;
    uv_tcp_t tcp;
    int refcnt;
    int stopped;
    char *secret;                   /* NULL when secret_fn picks each peer's */
    cn_rpc_secret_fn secret_fn;
    void *secret_arg;
    cn_rpc_tls_t *tls;              /* NULL: plain TCP */
    size_t max_frame;
    cn_rpc_handler_fn handler;
    void *udata;
    cn__q_t conns;
    char rbuf[CN__RPC_READ_SIZE];   /* shared: a read is consumed before the next alloc */
};

struct cn_rpc_conn {
    uint32_t magic;
    uv_tcp_t tcp;
    cn__rpc_stream_t st;            /* every read and write of tcp goes through it */
    cn_rpc_server_t *srv;
    int refcnt;
    int state;
    cn__q_t link;                   /* in srv->conns while the handle is open */
    cn_frame_reader_t rd;
    uint8_t nonce[CN__RPC_NONCE_LEN];
    char name[64];                  /* from the handshake */
    char addr[64];                  /* "ip:port" of the peer, for logs */
};

static void srv_unref(cn_rpc_server_t *s)
{
    CN_CHECK_OBJ(s, SRV_MAGIC);
    if (--s->refcnt > 0)
        return;
    cn_free(s->secret);
    cn_rpc_tls_free(s->tls);
    s->magic = 0;
    cn_free(s);
}

static void conn_unref(cn_rpc_conn_t *c)
{
    CN_CHECK_OBJ(c, CONN_MAGIC);
    if (--c->refcnt > 0)
        return;
    cn_frame_reader_dispose(&c->rd);
    cn__rpc_stream_dispose(&c->st);
    c->magic = 0;
    cn_free(c);
}

static void on_conn_close(uv_handle_t *h)
{
    cn_rpc_conn_t *c = h->data;
    cn_rpc_server_t *s = c->srv;

    cn__q_remove(&c->link);
    c->srv = NULL;
    conn_unref(c);
    srv_unref(s);
}

static void conn_close(cn_rpc_conn_t *c)
{
    if (c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    cn_rpc_conn_t *c = req->data;

    cn_free(req);
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_conn_close);
}

/* Closes once the queued writes are out (a refusal must reach the peer). */
static void conn_close_flushed(cn_rpc_conn_t *c)
{
    uv_shutdown_t *req;

    if (c->state == CONN_CLOSING)
        return;
    c->state = CONN_CLOSING;
    uv_read_stop((uv_stream_t *)&c->tcp);
    req = cn_calloc(1, sizeof(*req));
    req->data = c;
    if (uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        cn_free(req);
        uv_close((uv_handle_t *)&c->tcp, on_conn_close);
    }
}

static void send_hello_rc(cn_rpc_conn_t *c, int rc)
{
    cn_msg_t *m = cn_msg_new(CN__RPC_OP_HELLO);

    cn_msg_set_rc(m, rc);
    (void)cn__rpc_stream_write_msg(&c->st, m, CN_RPC_HELLO, 0);
    cn_msg_free(m);
}

/* The client's hello: {name, mac}. Returns 0 when authenticated; *why says what failed. */
static int check_hello(cn_rpc_conn_t *c, const cn_msg_t *m, const char **why)
{
    cn_rpc_server_t *s = c->srv;
    uint8_t want[CN_SHA256_LEN];
    char peer_secret[1024];
    const char *secret = s->secret;
    cn_slice_t mac;
    int named = cn_msg_get_str(m, "name", c->name, sizeof(c->name)) == 0;

    if (!named)
        snprintf(c->name, sizeof(c->name), "?");
    *why = "bad handshake MAC (wrong secret?)";
    if (cn_msg_get_bytes(m, "mac", &mac) != 0 || mac.len != CN_SHA256_LEN)
        return CN_EAUTH;
    if (s->secret_fn != NULL) {
        *why = "unknown peer name";
        if (!named)
            return CN_EAUTH;
        peer_secret[0] = '\0';
        if (s->secret_fn(c->name, peer_secret, sizeof(peer_secret), s->secret_arg) != 0 ||
            memchr(peer_secret, '\0', sizeof(peer_secret)) == NULL) {
            OPENSSL_cleanse(peer_secret, sizeof(peer_secret));
            return CN_EAUTH;
        }
        *why = "bad handshake MAC (wrong secret for this name?)";
        secret = peer_secret;
    }
    cn_hmac_sha256(secret, strlen(secret), c->nonce, sizeof(c->nonce), want);
    OPENSSL_cleanse(peer_secret, sizeof(peer_secret));
    if (cn__rpc_memneq(want, mac.ptr, sizeof(want)))
        return CN_EAUTH;
    return 0;
}

/* The name a peer claims, fit for one log line (it may hold any byte but NUL). */
static const char *loggable(const char *name, char *out, size_t cap)
{
    size_t k;

    for (k = 0; name[k] != '\0' && k + 1 < cap; k++)
        out[k] = (unsigned char)name[k] < 0x20 || name[k] == 0x7f ? '?' : name[k];
    out[k] = '\0';
    return out;
}

/* One decoded frame. Returns 0 to go on reading, < 0 when the connection was closed. */
static int on_frame(cn_rpc_conn_t *c, cn_msg_t *m)
{
    cn_rpc_server_t *s = c->srv;
    const char *why;
    char name[sizeof(c->name)];
    int rc;

    if (c->state == CONN_HELLO) {
        if (cn_msg_kind(m) != CN_RPC_HELLO) {
            CN_LOG(CN_LOG_WARN, "peer=%s op=%s: request before the handshake, closing", c->addr,
                   cn_msg_op(m));
            cn_msg_free(m);
            conn_close(c);
            return CN_EPROTO;
        }
        rc = check_hello(c, m, &why);
        cn_msg_free(m);
        if (rc != 0) {
            CN_LOG(CN_LOG_WARN, "peer=%s name=%s: %s, closing", c->addr,
                   loggable(c->name, name, sizeof(name)), why);
            send_hello_rc(c, CN_EAUTH);
            conn_close_flushed(c);
            return rc;
        }
        c->state = CONN_AUTHED;
        send_hello_rc(c, 0);
        CN_LOG(CN_LOG_DEBUG, "peer=%s name=%s: authenticated", c->addr, c->name);
        return 0;
    }
    if (cn_msg_kind(m) != CN_RPC_REQ) {
        CN_LOG(CN_LOG_WARN, "peer=%s kind=%d: unexpected frame kind, closing", c->addr,
               cn_msg_kind(m));
        cn_msg_free(m);
        conn_close(c);
        return CN_EPROTO;
    }
    c->refcnt++;   /* held by the request until cn_rpc_reply */
    s->handler(c, m, s->udata);
    return c->state == CONN_CLOSING ? CN_ECANCELED : 0;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    cn_rpc_conn_t *c = h->data;

    *buf = uv_buf_init(c->srv->rbuf, sizeof(c->srv->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    cn_rpc_conn_t *c = st->data;
    cn_msg_t *m;
    int rc;

    CN_CHECK_OBJ(c, CONN_MAGIC);
    if (nread < 0) {
        if (c->state != CONN_CLOSING && cn__rpc_stream_handshaking(&c->st))
            CN_LOG(CN_LOG_WARN, "peer=%s: %s in the TLS handshake (a client without TLS?)",
                   c->addr, nread == UV_EOF ? "closed" : uv_strerror((int)nread));
        else if (nread != UV_EOF)
            CN_LOG(CN_LOG_DEBUG, "peer=%s: read: %s", c->addr, uv_strerror((int)nread));
        conn_close(c);
        return;
    }
    if (c->state == CONN_CLOSING)
        return;
    if (cn__rpc_stream_feed(&c->st, buf->base, (size_t)nread, &c->rd) != 0) {
        conn_close(c);   /* logged by the stream */
        return;
    }
    c->refcnt++;   /* the handler may stop the server; keep c until this loop ends */
    while (c->state != CONN_CLOSING && (rc = cn_frame_reader_next(&c->rd, &m)) != 0) {
        if (rc < 0) {
            CN_LOG(CN_LOG_WARN, "peer=%s: %s frame (max %zu bytes), closing", c->addr,
                   rc == CN_E2BIG ? "oversized" : "malformed", c->rd.max_frame);
            conn_close(c);
            break;
        }
        if (on_frame(c, m) != 0)
            break;
    }
    conn_unref(c);
}

static void on_accept(uv_stream_t *ls, int status)
{
    cn_rpc_server_t *s = ls->data;
    cn_rpc_conn_t *c;
    struct sockaddr_storage ss;
    int sslen = sizeof(ss), rc;
    char ip[INET6_ADDRSTRLEN] = "?", label[80];
    cn_msg_t *hello;

    CN_CHECK_OBJ(s, SRV_MAGIC);
    if (status < 0) {
        CN_LOG(CN_LOG_WARN, "rpc accept: %s", uv_strerror(status));
        return;
    }
    c = cn_calloc(1, sizeof(*c));
    c->magic = CONN_MAGIC;
    c->srv = s;
    c->refcnt = 1;
    c->state = CONN_HELLO;
    cn__q_init(&c->link);
    cn_frame_reader_init(&c->rd, s->max_frame);
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    s->refcnt++;
    cn__q_insert_tail(&s->conns, &c->link);
    if ((rc = uv_accept(ls, (uv_stream_t *)&c->tcp)) != 0) {
        CN_LOG(CN_LOG_WARN, "rpc accept: %s", uv_strerror(rc));
        conn_close(c);
        return;
    }
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &sslen) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            uv_ip4_name(a, ip, sizeof(ip));
            snprintf(c->addr, sizeof(c->addr), "%s:%d", ip, ntohs(a->sin_port));
        } else {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof(ip));
            snprintf(c->addr, sizeof(c->addr), "[%s]:%d", ip, ntohs(a->sin6_port));
        }
    } else {
        snprintf(c->addr, sizeof(c->addr), "?");
    }
    uv_tcp_nodelay(&c->tcp, 1);
    snprintf(label, sizeof(label), "peer=%s", c->addr);
    if (cn__rpc_stream_init(&c->st, (uv_stream_t *)&c->tcp, s->tls, NULL, label) != 0) {
        conn_close(c);
        return;
    }
    if ((rc = cn_random_bytes(c->nonce, sizeof(c->nonce))) != 0) {
        CN_LOG(CN_LOG_ERROR, "peer=%s: no random nonce: %s", c->addr, cn_strerror(rc));
        conn_close(c);
        return;
    }
    hello = cn_msg_new(CN__RPC_OP_HELLO);
    cn_msg_set_bytes(hello, "nonce", c->nonce, sizeof(c->nonce));
    rc = cn__rpc_stream_write_msg(&c->st, hello, CN_RPC_HELLO, 0);   /* TLS: held */
    cn_msg_free(hello);
    if (rc == 0)
        rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc == 0)
        rc = cn__rpc_stream_start(&c->st);
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "peer=%s: %s", c->addr, cn_strerror(rc));
        conn_close(c);
    }
}

static void on_listener_close(uv_handle_t *h)
{
    srv_unref(h->data);
}

int cn_rpc_server_start(uv_loop_t *loop, const cn_rpc_server_opts_t *opts,
                        cn_rpc_server_t **out)
{
    cn_rpc_server_t *s;
    struct sockaddr_storage ss;
    const char *host = opts->host && *opts->host ? opts->host : "127.0.0.1";
    int rc;

    *out = NULL;
    if (opts->handler == NULL || (opts->secret == NULL && opts->secret_fn == NULL) ||
        opts->port < 0 || opts->port > 65535 ||
        (opts->tls != NULL && !cn__rpc_tls_is_server(opts->tls)))
        return CN_EINVAL;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (uv_ip4_addr(host, opts->port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, opts->port, (struct sockaddr_in6 *)&ss) != 0)
        return CN_EINVAL;
    cn__rpc_ignore_sigpipe();
    s = cn_calloc(1, sizeof(*s));
    s->magic = SRV_MAGIC;
    s->loop = loop;
    s->refcnt = 1;
    s->secret = opts->secret ? cn_strdup(opts->secret) : NULL;
    s->secret_fn = opts->secret_fn;
    s->secret_arg = opts->secret_arg;
    s->tls = opts->tls ? cn__rpc_tls_ref(opts->tls) : NULL;
    s->max_frame = opts->max_frame ? opts->max_frame : CN_RPC_MAX_FRAME_DEFAULT;
    s->handler = opts->handler;
    s->udata = opts->udata;
    cn__q_init(&s->conns);
    uv_tcp_init(loop, &s->tcp);
    s->tcp.data = s;
    if ((rc = uv_tcp_bind(&s->tcp, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&s->tcp, 128, on_accept)) != 0) {
        s->stopped = 1;
        uv_close((uv_handle_t *)&s->tcp, on_listener_close);
        return rc;
    }
    *out = s;
    return 0;
}

int cn_rpc_server_port(const cn_rpc_server_t *s)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);

    CN_CHECK_OBJ(s, SRV_MAGIC);
    if (uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len) != 0)
        return CN_EIO;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void cn_rpc_server_stop(cn_rpc_server_t *s)
{
    cn__q_t *q;

    CN_CHECK_OBJ(s, SRV_MAGIC);
    if (s->stopped)
        return;
    s->stopped = 1;
    for (q = s->conns.next; q != &s->conns; q = q->next) {
        cn_rpc_conn_t *c = CN__Q_DATA(q, cn_rpc_conn_t, link);

        if (c->state != CONN_CLOSING) {
            c->state = CONN_CLOSING;
            uv_close((uv_handle_t *)&c->tcp, on_conn_close);
        } else if (!uv_is_closing((uv_handle_t *)&c->tcp)) {
            uv_close((uv_handle_t *)&c->tcp, on_conn_close);   /* was waiting on shutdown */
        }
    }
    uv_close((uv_handle_t *)&s->tcp, on_listener_close);
}

void cn_rpc_reply(cn_rpc_conn_t *conn, cn_msg_t *req, cn_msg_t *resp)
{
    int rc;

    CN_CHECK_OBJ(conn, CONN_MAGIC);
    cn__msg_set_header(resp, CN_RPC_RESP, cn_msg_id(req), cn_msg_op(req));
    if (conn->state == CONN_AUTHED) {
        rc = cn__rpc_stream_write_msg(&conn->st, resp, CN_RPC_RESP, cn_msg_id(req));
        if (rc != 0) {
            CN_LOG(CN_LOG_WARN, "peer=%s: reply: %s, closing", conn->addr, cn_strerror(rc));
            conn_close(conn);
        }
    }
    cn_msg_free(resp);
    cn_msg_free(req);
    conn_unref(conn);
}

const char *cn_rpc_conn_peer(const cn_rpc_conn_t *conn)
{
    CN_CHECK_OBJ(conn, CONN_MAGIC);
    return conn->name;
}
