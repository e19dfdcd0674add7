/*
 * common/rpc_client.c: an RPC client for one peer address (libuv TCP).
 *
 * States: IDLE (no connection) -> CONNECTING -> HANDSHAKE (waiting for the server's nonce,
 * then for its verdict) -> READY. A call made before READY is encoded and queued (sent = 0);
 * READY writes the queue in call order. Any failure closes the connection, fails every
 * pending call (CN_ECONNREFUSED when the connect failed, CN_EAUTH when the handshake was
 * refused, else CN_ECONNRESET) and goes back to IDLE; the next call reconnects.
 * A call that times out drops a connection that is stalled (conn_stalled: not READY yet,
 * or the kernel retransmits to a peer that acknowledges nothing), failing the other pending
 * calls with CN_ETIMEDOUT too: TCP alone would keep it through a silent partition and, once
 * the network heals, resume only at its next retransmission, up to two minutes later.
 *
 * Calls: every call is in c->pending (call order, for timeouts and failing all) and in the
 * hash bucket of its id until it completes; then it moves to c->done with its status, and
 * run_done() invokes callbacks one at a time from the queue. Completions found inside
 * cn_rpc_call() are handed to run_done() through a zero-delay timer, so a callback never
 * runs inside cn_rpc_call(). Callbacks may call cn_rpc_call() or cn_rpc_client_destroy().
 * One timer per client fires at the earliest deadline and scans the pending calls.
 *
 * TLS (optional, c->tls): each connection's stream (rpc_tls.c) runs the TLS handshake right
 * after the connect, inside HANDSHAKE, before the server's nonce can arrive; every frame then
 * goes through it. A refused server certificate fails the pending calls with CN_EAUTH, any
 * other TLS failure with CN_EPROTO; nothing else here knows about TLS. The secret the hello
 * answers with is the one the server knows self_name by (a link: this cluster's secret with
 * that remote cluster).
 *
 * Lifetimes (loop thread only): c->refcnt = 1 for the user (dropped by destroy) + 1 per open
 * handle (two timers, the connection) + 1 while run_done() dispatches. A connection is its
 * own allocation, freed in its close callback; a detached connection (conn->c == NULL after
 * failure) only waits for that.
 */
#include "common/rpc.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc_int.h"

#define CLI_MAGIC 0x72636c69u   /* "rcli" */
#define CCONN_MAGIC 0x7263636eu /* "rccn" */
#define CALL_MAGIC 0x7263616cu  /* "rcal" */
#define NBUCKETS 256

enum cli_state { CLI_IDLE, CLI_CONNECTING, CLI_HANDSHAKE, CLI_READY };

struct cli_conn {
    uint32_t magic;
    uv_tcp_t tcp;
    uv_connect_t creq;
    cn__rpc_stream_t st;    /* every read and write of tcp goes through it */
    cn_rpc_client_t *c;     /* NULL once detached from its client */
    cn_rpc_client_t *owner; /* for the close callback's unref */
    int got_nonce;
    cn_frame_reader_t rd;
    char rbuf[CN__RPC_READ_SIZE];
};

struct call {
    uint32_t magic;
    uint64_t id;
    uint64_t deadline;      /* uv_now() ms */
    cn_rpc_done_fn cb;
    void *arg;
    int sent;
    int status;
    cn_msg_t *resp;
    cn_buf_t frame;         /* encoded request until sent */
    cn__q_t link;           /* c->pending or c->done */
    cn__q_t hlink;          /* hash bucket while pending */
};

struct cn_rpc_client {
    uint32_t magic;
    uv_loop_t *loop;
    int refcnt;
    int destroyed;
    int state;
    char *host;
    char *tls_host;         /* the host as given: the name the certificate must carry */
    cn_rpc_tls_t *tls;      /* NULL: plain TCP */
    int port;
    struct sockaddr_storage addr;
    char *secret;
    char *name;
    uint64_t next_id;
    struct cli_conn *conn;
    cn__q_t pending;
    cn__q_t done;
    cn__q_t buckets[NBUCKETS];
    uv_timer_t tmo;
    uint64_t tmo_due;
    uv_timer_t defer;
};

static void cli_unref(cn_rpc_client_t *c)
{
    CN_CHECK_OBJ(c, CLI_MAGIC);
    if (--c->refcnt > 0)
        return;
    CN_ASSERT(cn__q_empty(&c->pending) && cn__q_empty(&c->done));
    cn_free(c->host);
    cn_free(c->tls_host);
    cn_rpc_tls_free(c->tls);
    cn_free(c->secret);
    cn_free(c->name);
    c->magic = 0;
    cn_free(c);
}

static void call_free(struct call *k)
{
    cn_buf_dispose(&k->frame);
    cn_msg_free(k->resp);
    k->magic = 0;
    cn_free(k);
}

/* Moves k from pending to done with its outcome (takes resp). */
static void complete(cn_rpc_client_t *c, struct call *k, int status, cn_msg_t *resp)
{
    cn__q_remove(&k->link);
    cn__q_remove(&k->hlink);
    cn_buf_dispose(&k->frame);
    k->status = status;
    k->resp = resp;
    cn__q_insert_tail(&c->done, &k->link);
}

static void run_done(cn_rpc_client_t *c)
{
    c->refcnt++;
    while (!cn__q_empty(&c->done)) {
        struct call *k = CN__Q_DATA(c->done.next, struct call, link);
        cn_msg_t *resp = k->resp;

        CN_CHECK_OBJ(k, CALL_MAGIC);
        cn__q_remove(&k->link);
        k->resp = NULL;
        k->cb(k->status, resp, k->arg);
        call_free(k);
    }
    cli_unref(c);
}

static void on_defer(uv_timer_t *t)
{
    run_done(t->data);
}

static void defer_done(cn_rpc_client_t *c)
{
    if (!c->destroyed)
        uv_timer_start(&c->defer, on_defer, 0, 0);
}

static void fail_all(cn_rpc_client_t *c, int status)
{
    while (!cn__q_empty(&c->pending))
        complete(c, CN__Q_DATA(c->pending.next, struct call, link), status, NULL);
}

static struct call *lookup(cn_rpc_client_t *c, uint64_t id)
{
    cn__q_t *h = &c->buckets[id % NBUCKETS];

    for (cn__q_t *q = h->next; q != h; q = q->next) {
        struct call *k = CN__Q_DATA(q, struct call, hlink);

        if (k->id == id)
            return k;
    }
    return NULL;
}

/* ---- connection --------------------------------------------------------------------- */

static void on_cconn_close(uv_handle_t *h)
{
    struct cli_conn *cc = h->data;
    cn_rpc_client_t *owner = cc->owner;

    cn_frame_reader_dispose(&cc->rd);
    cn__rpc_stream_dispose(&cc->st);
    cc->magic = 0;
    cn_free(cc);
    cli_unref(owner);
}

/* Drops the connection and fails every pending call with status (callbacks are left to
 * the caller's run_done or to the defer timer). */
static void conn_fail(cn_rpc_client_t *c, int status)
{
    struct cli_conn *cc = c->conn;

    if (cc != NULL) {
        cc->c = NULL;
        c->conn = NULL;
        uv_close((uv_handle_t *)&cc->tcp, on_cconn_close);
    }
    c->state = CLI_IDLE;
    fail_all(c, status);
}

/* Writes a queued call; its encoded frame moves into the write request. Returns 0 or a
 * CN_E* code (the connection is then broken). */
static int send_call(cn_rpc_client_t *c, struct call *k)
{
    k->sent = 1;
    return cn__rpc_stream_write(&c->conn->st, &k->frame);
}

static void flush_queue(cn_rpc_client_t *c)
{
    for (cn__q_t *q = c->pending.next; q != &c->pending; q = q->next) {
        struct call *k = CN__Q_DATA(q, struct call, link);
        int rc;

        if (k->sent)
            continue;
        if ((rc = send_call(c, k)) != 0) {
            CN_LOG(CN_LOG_WARN, "rpc peer=%s:%d: write: %s", c->host, c->port, cn_strerror(rc));
            conn_fail(c, CN_ECONNRESET);
            return;
        }
    }
}

static void send_hello(cn_rpc_client_t *c, const cn_msg_t *m)
{
    uint8_t mac[CN_SHA256_LEN];
    cn_slice_t nonce;
    cn_msg_t *h;
    int rc;

    if (cn_msg_get_bytes(m, "nonce", &nonce) != 0 || nonce.len != CN__RPC_NONCE_LEN) {
        CN_LOG(CN_LOG_WARN, "rpc peer=%s:%d: bad hello from server", c->host, c->port);
        conn_fail(c, CN_ECONNRESET);
        return;
    }
    cn_hmac_sha256(c->secret, strlen(c->secret), nonce.ptr, nonce.len, mac);
    h = cn_msg_new(CN__RPC_OP_HELLO);
    cn_msg_set_str(h, "name", c->name);
    cn_msg_set_bytes(h, "mac", mac, sizeof(mac));
    rc = cn__rpc_stream_write_msg(&c->conn->st, h, CN_RPC_HELLO, 0);
    cn_msg_free(h);
    if (rc != 0)
        conn_fail(c, CN_ECONNRESET);
    else
        c->conn->got_nonce = 1;
}

/* One frame from the server. Takes m. */
static void on_frame(cn_rpc_client_t *c, cn_msg_t *m)
{
    struct call *k;
    int rc;

    if (c->state == CLI_HANDSHAKE) {
        if (cn_msg_kind(m) != CN_RPC_HELLO) {
            conn_fail(c, CN_ECONNRESET);
        } else if (!c->conn->got_nonce) {
            send_hello(c, m);
        } else if ((rc = cn_msg_rc(m)) != 0) {
            CN_LOG(CN_LOG_WARN, "rpc peer=%s:%d: handshake refused: %s", c->host, c->port,
                   cn_strerror(rc));
            conn_fail(c, CN_EAUTH);
        } else {
            c->state = CLI_READY;
            flush_queue(c);
        }
        cn_msg_free(m);
        return;
    }
    if (cn_msg_kind(m) != CN_RPC_RESP) {
        CN_LOG(CN_LOG_WARN, "rpc peer=%s:%d: unexpected frame kind %d", c->host, c->port,
               cn_msg_kind(m));
        cn_msg_free(m);
        conn_fail(c, CN_ECONNRESET);
        return;
    }
    if ((k = lookup(c, cn_msg_id(m))) == NULL || !k->sent) {
        cn_msg_free(m);   /* its call timed out meanwhile */
        return;
    }
    complete(c, k, 0, m);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct cli_conn *cc = h->data;

    *buf = uv_buf_init(cc->rbuf, sizeof(cc->rbuf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct cli_conn *cc = st->data;
    cn_rpc_client_t *c = cc->c;
    cn_msg_t *m;
    int rc;

    CN_CHECK_OBJ(cc, CCONN_MAGIC);
    if (c == NULL)
        return;
    c->refcnt++;
    if (nread < 0) {
        if (cn__rpc_stream_handshaking(&cc->st))
            CN_LOG(CN_LOG_WARN, "rpc peer=%s:%d: %s in the TLS handshake (a server without "
                   "TLS?)", c->host, c->port, uv_strerror((int)nread));
        else
            CN_LOG(CN_LOG_DEBUG, "rpc peer=%s:%d: %s", c->host, c->port,
                   uv_strerror((int)nread));
        conn_fail(c, CN_ECONNRESET);
    } else if ((rc = cn__rpc_stream_feed(&cc->st, buf->base, (size_t)nread, &cc->rd)) != 0) {
        conn_fail(c, rc);   /* logged by the stream */
    } else {
        while (c->conn == cc && (rc = cn_frame_reader_next(&cc->rd, &m)) != 0) {
            if (rc < 0) {
                CN_LOG(CN_LOG_WARN, "rpc peer=%s:%d: %s frame from server", c->host, c->port,
                       rc == CN_E2BIG ? "oversized" : "malformed");
                conn_fail(c, CN_ECONNRESET);
                break;
            }
            on_frame(c, m);
        }
    }
    run_done(c);
    cli_unref(c);
}

static void on_connect(uv_connect_t *req, int status)
{
    struct cli_conn *cc = req->data;
    cn_rpc_client_t *c = cc->c;
    int rc;

    if (c == NULL)
        return;   /* detached; its close is under way */
    c->refcnt++;
    if (status < 0) {
        CN_LOG(CN_LOG_DEBUG, "rpc peer=%s:%d: connect: %s", c->host, c->port,
               uv_strerror(status));
        conn_fail(c, CN_ECONNREFUSED);
    } else {
        uv_tcp_nodelay(&cc->tcp, 1);
        c->state = CLI_HANDSHAKE;
        if ((rc = uv_read_start((uv_stream_t *)&cc->tcp, on_alloc, on_read)) != 0)
            conn_fail(c, CN_ECONNRESET);
        else if ((rc = cn__rpc_stream_start(&cc->st)) != 0)
            conn_fail(c, rc == CN_EAUTH ? rc : CN_ECONNRESET);
    }
    run_done(c);
    cli_unref(c);
}

/* Starts a connection. Returns 0 or the CN_E* code the pending calls should fail with. */
static int start_connect(cn_rpc_client_t *c)
{
    struct cli_conn *cc = cn_calloc(1, sizeof(*cc));
    char label[300];
    int rc;

    cc->magic = CCONN_MAGIC;
    cc->c = c;
    cc->owner = c;
    cn_frame_reader_init(&cc->rd, CN_RPC_MAX_FRAME_DEFAULT);
    uv_tcp_init(c->loop, &cc->tcp);
    cc->tcp.data = cc;
    cc->creq.data = cc;
    c->refcnt++;
    c->conn = cc;
    c->state = CLI_CONNECTING;
    snprintf(label, sizeof(label), "rpc peer=%s:%d", c->host, c->port);
    if (cn__rpc_stream_init(&cc->st, (uv_stream_t *)&cc->tcp, c->tls, c->tls_host, label) != 0)
        return CN_ECONNRESET;
    if ((rc = uv_tcp_connect(&cc->creq, &cc->tcp, (struct sockaddr *)&c->addr, on_connect)) != 0) {
        CN_LOG(CN_LOG_DEBUG, "rpc peer=%s:%d: connect: %s", c->host, c->port, uv_strerror(rc));
        return CN_ECONNREFUSED;
    }
    return 0;
}

/* ---- timeouts ----------------------------------------------------------------------- */

static void on_timeout(uv_timer_t *t);

static void rearm(cn_rpc_client_t *c, uint64_t deadline)
{
    uint64_t now = uv_now(c->loop);

    c->tmo_due = deadline;
    uv_timer_start(&c->tmo, on_timeout, deadline > now ? deadline - now : 0, 0);
}

/* 1 when the connection is not worth keeping after a call timed out on it: it never got
 * to READY (no answer to the connect or the handshake), or the kernel is retransmitting
 * because the peer's host acknowledges nothing (a partition, a dead host). A peer that is
 * only slow (or stopped) still acknowledges, so its connection and its other calls stay. */
static int conn_stalled(const cn_rpc_client_t *c)
{
    if (c->conn == NULL)
        return 0;
    if (c->state != CLI_READY)
        return 1;
#ifdef TCP_INFO
    {
        struct tcp_info ti;
        socklen_t len = sizeof(ti);
        uv_os_fd_t fd;

        if (uv_fileno((const uv_handle_t *)&c->conn->tcp, &fd) == 0 &&
            getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0)
            return ti.tcpi_retransmits > 0 || ti.tcpi_backoff > 0;
    }
#endif
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    cn_rpc_client_t *c = t->data;
    uint64_t now = uv_now(c->loop), next = UINT64_MAX;
    cn__q_t *q, *nq;
    int expired = 0;

    for (q = c->pending.next; q != &c->pending; q = nq) {
        struct call *k = CN__Q_DATA(q, struct call, link);

        nq = q->next;
        if (k->deadline <= now) {
            complete(c, k, CN_ETIMEDOUT, NULL);
            expired = 1;
        } else if (k->deadline < next) {
            next = k->deadline;
        }
    }
    if (expired && conn_stalled(c)) {
        CN_LOG(CN_LOG_DEBUG, "rpc peer=%s:%d: a call timed out on a stalled connection "
               "(state %d): dropped, the next call reconnects", c->host, c->port, c->state);
        conn_fail(c, CN_ETIMEDOUT);
    } else if (next != UINT64_MAX) {
        rearm(c, next);
    }
    run_done(c);
}

/* ---- public ------------------------------------------------------------------------- */

static void on_timer_close(uv_handle_t *h)
{
    cli_unref(h->data);
}

int cn_rpc_client_create(uv_loop_t *loop, const char *host, int port, const char *secret,
                         const char *self_name, cn_rpc_client_t **out)
{
    cn_rpc_client_opts_t o = {.host = host, .port = port, .secret = secret,
                              .self_name = self_name};

    return cn_rpc_client_create_opts(loop, &o, out);
}

int cn_rpc_client_create_opts(uv_loop_t *loop, const cn_rpc_client_opts_t *o,
                              cn_rpc_client_t **out)
{
    const char *host = o->host, *secret = o->secret, *self_name = o->self_name;
    int port = o->port;
    cn_rpc_client_t *c;
    struct sockaddr_storage ss;

    *out = NULL;
    if (host == NULL || secret == NULL || port <= 0 || port > 65535 ||
        (o->tls != NULL && cn__rpc_tls_is_server(o->tls)))
        return CN_EINVAL;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    memset(&ss, 0, sizeof(ss));
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
        return CN_EINVAL;
    cn__rpc_ignore_sigpipe();
    c = cn_calloc(1, sizeof(*c));
    c->magic = CLI_MAGIC;
    c->loop = loop;
    c->refcnt = 3;   /* the user and the two timers */
    c->tls_host = cn_strdup(o->host);
    c->tls = o->tls ? cn__rpc_tls_ref(o->tls) : NULL;
    c->host = cn_strdup(host);
    c->port = port;
    c->addr = ss;
    c->secret = cn_strdup(secret);
    c->name = cn_strdup(self_name && *self_name ? self_name : "?");
    cn__q_init(&c->pending);
    cn__q_init(&c->done);
    for (int k = 0; k < NBUCKETS; k++)
        cn__q_init(&c->buckets[k]);
    uv_timer_init(loop, &c->tmo);
    uv_unref((uv_handle_t *)&c->tmo);   /* a pending call always has its connection open */
    c->tmo.data = c;
    uv_timer_init(loop, &c->defer);
    c->defer.data = c;
    *out = c;
    return 0;
}

void cn_rpc_call(cn_rpc_client_t *c, cn_msg_t *req, uint64_t timeout_ms, cn_rpc_done_fn cb,
                 void *arg)
{
    struct call *k = cn_calloc(1, sizeof(*k));
    int rc;

    CN_CHECK_OBJ(c, CLI_MAGIC);
    CN_ASSERT(cb != NULL);
    k->magic = CALL_MAGIC;
    k->id = ++c->next_id;
    k->cb = cb;
    k->arg = arg;
    k->deadline = uv_now(c->loop) + (timeout_ms ? timeout_ms : CN_RPC_TIMEOUT_DEFAULT_MS);
    cn__q_init(&k->hlink);
    cn_buf_init(&k->frame);
    cn_msg_encode(req, CN_RPC_REQ, k->id, &k->frame);
    cn_msg_free(req);
    cn__q_insert_tail(&c->pending, &k->link);
    cn__q_insert_tail(&c->buckets[k->id % NBUCKETS], &k->hlink);

    if (c->destroyed) {
        complete(c, k, CN_ECANCELED, NULL);   /* only reachable from a cancel callback */
        return;
    }
    if (k->frame.len - 4 > CN_RPC_MAX_FRAME_DEFAULT) {
        complete(c, k, CN_E2BIG, NULL);
        defer_done(c);
        return;
    }
    if (!uv_is_active((uv_handle_t *)&c->tmo) || k->deadline < c->tmo_due)
        rearm(c, k->deadline);
    switch (c->state) {
    case CLI_READY:
        if ((rc = send_call(c, k)) != 0) {
            conn_fail(c, CN_ECONNRESET);
            defer_done(c);
        }
        break;
    case CLI_IDLE:
        if ((rc = start_connect(c)) != 0) {
            conn_fail(c, rc);
            defer_done(c);
        }
        break;
    default:
        break;   /* queued until the handshake is done */
    }
}

void cn_rpc_client_destroy(cn_rpc_client_t *c)
{
    if (c == NULL)
        return;
    CN_CHECK_OBJ(c, CLI_MAGIC);
    if (c->destroyed)
        return;
    c->destroyed = 1;
    conn_fail(c, CN_ECANCELED);
    uv_close((uv_handle_t *)&c->tmo, on_timer_close);
    uv_close((uv_handle_t *)&c->defer, on_timer_close);
    run_done(c);      /* the cancellations, and anything a cancel callback queued */
    cli_unref(c);     /* the user's reference; the handles' close callbacks hold the rest */
}

int cn_rpc_client_connected(const cn_rpc_client_t *c)
{
    CN_CHECK_OBJ(c, CLI_MAGIC);
    return c->state == CLI_READY;
}
