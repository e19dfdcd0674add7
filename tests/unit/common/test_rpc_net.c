/* tests/unit/common/test_rpc_net.c: tests common/rpc_server.c, common/rpc_client.c and
 * common/rpc_sync.c over real sockets on 127.0.0.1 (port 0 picked by the kernel). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc.h"
#include "tests/harness/loop.h"

#define SECRET "s3cret"
#define MAX_HELD 64

/* ---- a test server ------------------------------------------------------------------ */

struct held {
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
};

struct tsrv {
    uv_loop_t *loop;
    cn_rpc_server_t *srv;
    int port;
    int handled;
    int mode;               /* MODE_* */
    struct held held[MAX_HELD];
    int nheld;
};

enum { MODE_ECHO, MODE_ECHO_DELAY_ODD, MODE_HOLD };

struct delayed {
    uv_timer_t t;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
};

static void echo(cn_rpc_conn_t *conn, cn_msg_t *req)
{
    cn_msg_t *resp = cn_msg_new("ignored");   /* cn_rpc_reply copies the request's op */
    cn_slice_t b = cn_msg_body(req);
    uint64_t n = 0;

    (void)cn_msg_get_u64(req, "n", &n);
    cn_msg_set_u64(resp, "n", n);
    cn_msg_set_str(resp, "peer", cn_rpc_conn_peer(conn));
    cn_msg_set_body_copy(resp, b.ptr, b.len);
    cn_msg_set_rc(resp, 0);
    cn_rpc_reply(conn, req, resp);
}

static void on_delayed_close(uv_handle_t *h)
{
    cn_free(h->data);
}

static void on_delay(uv_timer_t *t)
{
    struct delayed *d = t->data;

    echo(d->conn, d->req);
    uv_close((uv_handle_t *)&d->t, on_delayed_close);
}

static void handler(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct tsrv *ts = udata;
    uint64_t n = 0;

    ts->handled++;
    (void)cn_msg_get_u64(req, "n", &n);
    if (ts->mode == MODE_HOLD) {
        cr_assert_lt(ts->nheld, MAX_HELD);
        ts->held[ts->nheld++] = (struct held){conn, req};
    } else if (ts->mode == MODE_ECHO_DELAY_ODD && n % 2 == 1) {
        struct delayed *d = cn_calloc(1, sizeof(*d));

        d->conn = conn;
        d->req = req;
        uv_timer_init(ts->loop, &d->t);
        d->t.data = d;
        uv_timer_start(&d->t, on_delay, n >= 1000 ? n - 1000 : 1 + n % 5, 0);   /* n>=1000: n-1000 ms */
    } else {
        echo(conn, req);
    }
}

static void tsrv_start(struct tsrv *ts, uv_loop_t *loop, int port, size_t max_frame)
{
    cn_rpc_server_opts_t o = {.host = "127.0.0.1", .port = port, .secret = SECRET,
                              .max_frame = max_frame, .handler = handler, .udata = ts};

    ts->loop = loop;
    cr_assert_eq(cn_rpc_server_start(loop, &o, &ts->srv), 0);
    ts->port = cn_rpc_server_port(ts->srv);
    cr_assert_gt(ts->port, 0);
}

/* Answers every held request (after a stop the replies are dropped). */
static void tsrv_release(struct tsrv *ts)
{
    for (int k = 0; k < ts->nheld; k++)
        echo(ts->held[k].conn, ts->held[k].req);
    ts->nheld = 0;
}

/* ---- helpers ------------------------------------------------------------------------ */

static uv_loop_t loop;

static void setup(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    cr_assert_eq(uv_loop_init(&loop), 0);
}

static void teardown(void)
{
    t_loop_close(&loop);
}

TestSuite(rpc_net, .init = setup, .fini = teardown);

/* Runs the loop until *flag >= want or ms elapse; fails the test on a timeout. */
static void run_until(const int *flag, int want, uint64_t ms)
{
    t_loop_run_until(&loop, flag, want, ms);
}

struct result {
    int done;
    int status;
    uint64_t n;
    char body[64];
    int ok;
};

static void on_result(int status, cn_msg_t *resp, void *arg)
{
    struct result *r = arg;
    cn_slice_t b;

    r->done++;
    r->status = status;
    if (resp != NULL) {
        (void)cn_msg_get_u64(resp, "n", &r->n);
        b = cn_msg_body(resp);
        if (b.len < sizeof(r->body)) {
            memcpy(r->body, b.ptr, b.len);
            r->body[b.len] = '\0';
        }
        r->ok = cn_msg_kind(resp) == CN_RPC_RESP && strcmp(cn_msg_op(resp), "echo") == 0 &&
                cn_msg_rc(resp) == 0;
        cn_msg_free(resp);
    }
}

static cn_msg_t *echo_req(uint64_t n, const char *body)
{
    cn_msg_t *m = cn_msg_new("echo");

    cn_msg_set_u64(m, "n", n);
    cn_msg_set_body_copy(m, body, strlen(body));
    return m;
}

/* ---- tests -------------------------------------------------------------------------- */

#define NCALLS 1000

struct pipe_state {
    int done;
    int bad;
    int order_changed;
    uint64_t last;
};

struct pipe_call {
    struct pipe_state *st;
    uint64_t n;
};

static void on_pipe(int status, cn_msg_t *resp, void *arg)
{
    struct pipe_call *pc = arg;
    char want[32];
    uint64_t n = UINT64_MAX;
    cn_slice_t b;

    pc->st->done++;
    snprintf(want, sizeof(want), "body-%llu", (unsigned long long)pc->n);
    if (status != 0 || resp == NULL) {
        pc->st->bad++;
    } else {
        b = cn_msg_body(resp);
        if (cn_msg_get_u64(resp, "n", &n) != 0 || n != pc->n || b.len != strlen(want) ||
            memcmp(b.ptr, want, b.len) != 0)
            pc->st->bad++;
        if (pc->n < pc->st->last)
            pc->st->order_changed = 1;
        pc->st->last = pc->n;
    }
    cn_msg_free(resp);
}

Test(rpc_net, pipelined_calls_answered_out_of_order, .timeout = 30)
{
    struct tsrv ts = {.mode = MODE_ECHO_DELAY_ODD};
    static struct pipe_call calls[NCALLS];
    struct pipe_state st = {0};
    cn_rpc_client_t *c;
    char body[32];

    tsrv_start(&ts, &loop, 0, 0);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", ts.port, SECRET, "tester", &c), 0);
    cr_assert_not(cn_rpc_client_connected(c));
    for (int k = 0; k < NCALLS; k++) {
        calls[k] = (struct pipe_call){&st, (uint64_t)k};
        snprintf(body, sizeof(body), "body-%d", k);
        cn_rpc_call(c, echo_req((uint64_t)k, body), 10000, on_pipe, &calls[k]);
    }
    cr_assert_eq(st.done, 0, "a callback ran inside cn_rpc_call");
    run_until(&st.done, NCALLS, 20000);
    cr_assert_eq(st.bad, 0);
    cr_assert(st.order_changed, "the server's delays should reorder the replies");
    cr_assert_eq(ts.handled, NCALLS);
    cr_assert(cn_rpc_client_connected(c));
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_net, peer_name_and_echo, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_ECHO};
    struct result r = {0};
    cn_rpc_client_t *c;

    tsrv_start(&ts, &loop, 0, 0);
    cr_assert_eq(cn_rpc_client_create(&loop, "localhost", ts.port, SECRET, "node-a", &c), 0);
    cn_rpc_call(c, echo_req(7, "hi"), 5000, on_result, &r);
    run_until(&r.done, 1, 5000);
    cr_assert_eq(r.status, 0);
    cr_assert(r.ok);
    cr_assert_eq(r.n, 7);
    cr_assert_str_eq(r.body, "hi");
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_net, wrong_secret_is_eauth_and_no_request_handled, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_ECHO};
    struct result r1 = {0}, r2 = {0};
    cn_rpc_client_t *c;

    tsrv_start(&ts, &loop, 0, 0);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", ts.port, "wrong", "intruder", &c), 0);
    cn_rpc_call(c, echo_req(1, "x"), 5000, on_result, &r1);
    cn_rpc_call(c, echo_req(2, "y"), 5000, on_result, &r2);
    run_until(&r2.done, 1, 5000);
    cr_assert_eq(r1.status, CN_EAUTH);
    cr_assert_eq(r2.status, CN_EAUTH);
    cr_assert_eq(ts.handled, 0);
    cr_assert_not(cn_rpc_client_connected(c));
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
}

/* A raw libuv TCP client that sends one frame and records what comes back. */
struct raw {
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    cn_buf_t out;
    size_t got;
    int eof;
    char rbuf[4096];
};

static void raw_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct raw *r = h->data;

    *b = uv_buf_init(r->rbuf, sizeof(r->rbuf));
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct raw *r = s->data;

    if (n < 0) {
        r->eof = 1;
        uv_close((uv_handle_t *)&r->tcp, NULL);
        return;
    }
    r->got += (size_t)n;
}

static void raw_written(uv_write_t *w, int status)
{
}

static void raw_connected(uv_connect_t *req, int status)
{
    struct raw *r = req->data;
    uv_buf_t b = uv_buf_init(r->out.data, (unsigned)r->out.len);

    cr_assert_eq(status, 0);
    uv_read_start((uv_stream_t *)&r->tcp, raw_alloc, raw_read);
    cr_assert_eq(uv_write(&r->wreq, (uv_stream_t *)&r->tcp, &b, 1, raw_written), 0);
}

static void raw_send(struct raw *r, int port)
{
    struct sockaddr_in a;

    uv_ip4_addr("127.0.0.1", port, &a);
    uv_tcp_init(&loop, &r->tcp);
    r->tcp.data = r;
    r->creq.data = r;
    cr_assert_eq(uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&a, raw_connected), 0);
}

Test(rpc_net, request_before_handshake_is_disconnected, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_ECHO};
    static struct raw r;
    cn_msg_t *m = echo_req(1, "sneaky");

    tsrv_start(&ts, &loop, 0, 0);
    cn_buf_init(&r.out);
    cn_msg_encode(m, CN_RPC_REQ, 1, &r.out);
    cn_msg_free(m);
    raw_send(&r, ts.port);
    run_until(&r.eof, 1, 5000);
    cr_assert_gt(r.got, 0, "the server's hello should have arrived first");
    cr_assert_eq(ts.handled, 0);
    cn_buf_dispose(&r.out);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_net, oversized_frame_from_raw_client_is_disconnected, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_ECHO};
    static struct raw r;
    char hdr[4];

    tsrv_start(&ts, &loop, 0, 1024);
    cn_buf_init(&r.out);
    cn_put_u32be(hdr, 1u << 30);
    cn_buf_append(&r.out, hdr, 4);
    raw_send(&r, ts.port);
    run_until(&r.eof, 1, 5000);
    cr_assert_eq(ts.handled, 0);
    cn_buf_dispose(&r.out);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_net, oversized_frame_from_client_closes_connection, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_ECHO};
    struct result big = {0}, small = {0};
    cn_rpc_client_t *c;
    cn_msg_t *m = cn_msg_new("echo");
    char *body = cn_calloc(1, 4096);

    tsrv_start(&ts, &loop, 0, 1024);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", ts.port, SECRET, "big", &c), 0);
    cn_msg_set_body(m, body, 4096);
    cn_rpc_call(c, m, 5000, on_result, &big);
    run_until(&big.done, 1, 5000);
    cr_assert_eq(big.status, CN_ECONNRESET);
    cr_assert_eq(ts.handled, 0);
    /* The same client reconnects for a frame that fits. */
    cn_rpc_call(c, echo_req(3, "ok"), 5000, on_result, &small);
    run_until(&small.done, 1, 5000);
    cr_assert_eq(small.status, 0);
    cr_assert_str_eq(small.body, "ok");
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_net, server_stop_reset_refused_then_restart_reconnects, .timeout = 15)
{
    struct tsrv ts = {.mode = MODE_HOLD}, ts2 = {.mode = MODE_ECHO};
    struct result r[3] = {{0}}, later = {0}, again = {0};
    cn_rpc_client_t *c;
    int port;

    tsrv_start(&ts, &loop, 0, 0);
    port = ts.port;
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", port, SECRET, "c", &c), 0);
    for (int k = 0; k < 3; k++)
        cn_rpc_call(c, echo_req((uint64_t)k, "held"), 5000, on_result, &r[k]);
    run_until(&ts.handled, 3, 5000);
    cn_rpc_server_stop(ts.srv);
    run_until(&r[2].done, 1, 5000);
    for (int k = 0; k < 3; k++)
        cr_assert_eq(r[k].status, CN_ECONNRESET, "call %d: %d", k, r[k].status);
    tsrv_release(&ts);   /* replies after the stop are dropped, conns freed */
    cr_assert_not(cn_rpc_client_connected(c));

    cn_rpc_call(c, echo_req(9, "later"), 5000, on_result, &later);
    cr_assert_eq(later.done, 0);
    run_until(&later.done, 1, 5000);
    cr_assert_eq(later.status, CN_ECONNREFUSED);

    tsrv_start(&ts2, &loop, port, 0);
    cr_assert_eq(ts2.port, port);
    cn_rpc_call(c, echo_req(10, "again"), 5000, on_result, &again);
    run_until(&again.done, 1, 5000);
    cr_assert_eq(again.status, 0);
    cr_assert_str_eq(again.body, "again");
    cr_assert(cn_rpc_client_connected(c));
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts2.srv);
}

Test(rpc_net, call_to_silent_server_times_out, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_HOLD};
    struct result r = {0}, r2 = {0};
    cn_rpc_client_t *c;
    uint64_t t0;

    tsrv_start(&ts, &loop, 0, 0);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", ts.port, SECRET, "c", &c), 0);
    uv_update_time(&loop);
    t0 = uv_now(&loop);
    cn_rpc_call(c, echo_req(1, "x"), 200, on_result, &r);
    cn_rpc_call(c, echo_req(2, "y"), 5000, on_result, &r2);
    run_until(&r.done, 1, 5000);
    cr_assert_eq(r.status, CN_ETIMEDOUT);
    cr_assert_geq(uv_now(&loop) - t0, 200);
    cr_assert_eq(r2.done, 0, "the longer call must still be pending");
    /* A late reply to the timed-out call is dropped; the other still completes. */
    run_until(&ts.handled, 2, 5000);
    tsrv_release(&ts);
    run_until(&r2.done, 1, 5000);
    cr_assert_eq(r2.status, 0);
    cr_assert_eq(r.done, 1);
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
}

/* A listener that accepts connections and never writes: a client's handshake never ends. */
struct mute {
    uv_tcp_t lst;
    uv_tcp_t conns[4];
    int accepted;
};

static void mute_on_conn(uv_stream_t *s, int status)
{
    struct mute *m = s->data;

    cr_assert_eq(status, 0);
    cr_assert_lt(m->accepted, 4);
    uv_tcp_init(&loop, &m->conns[m->accepted]);
    cr_assert_eq(uv_accept(s, (uv_stream_t *)&m->conns[m->accepted]), 0);
    m->accepted++;
}

static int mute_start(struct mute *m)
{
    struct sockaddr_storage ss;
    struct sockaddr_in a;
    int len = sizeof(ss);

    uv_ip4_addr("127.0.0.1", 0, &a);
    uv_tcp_init(&loop, &m->lst);
    m->lst.data = m;
    cr_assert_eq(uv_tcp_bind(&m->lst, (struct sockaddr *)&a, 0), 0);
    cr_assert_eq(uv_listen((uv_stream_t *)&m->lst, 8, mute_on_conn), 0);
    uv_tcp_getsockname(&m->lst, (struct sockaddr *)&ss, &len);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void mute_stop(struct mute *m)
{
    for (int i = 0; i < m->accepted; i++)
        uv_close((uv_handle_t *)&m->conns[i], NULL);
    uv_close((uv_handle_t *)&m->lst, NULL);
}

Test(rpc_net, timed_out_handshake_drops_the_connection, .timeout = 10)
{
    static struct mute m;   /* its handles close after the test returns (teardown) */
    struct result r = {0}, r2 = {0}, r3 = {0};
    cn_rpc_client_t *c;
    int port = mute_start(&m);

    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", port, SECRET, "c", &c), 0);
    cn_rpc_call(c, echo_req(1, "x"), 200, on_result, &r);
    cn_rpc_call(c, echo_req(2, "y"), 5000, on_result, &r2);
    run_until(&r.done, 1, 5000);
    cr_assert_eq(r.status, CN_ETIMEDOUT);
    /* the connection never came up: dropped, with the call that was waiting on it */
    run_until(&r2.done, 1, 100);
    cr_assert_eq(r2.status, CN_ETIMEDOUT);
    cr_assert_eq(m.accepted, 1);
    cn_rpc_call(c, echo_req(3, "z"), 200, on_result, &r3);
    run_until(&m.accepted, 2, 5000);   /* the next call connects afresh */
    run_until(&r3.done, 1, 5000);
    cr_assert_eq(r3.status, CN_ETIMEDOUT);
    cn_rpc_client_destroy(c);
    mute_stop(&m);
}

static void on_cancel(int status, cn_msg_t *resp, void *arg)
{
    struct result *r = arg;

    r->done++;
    r->status = status;
    cn_msg_free(resp);
}

Test(rpc_net, destroy_cancels_pending_calls, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_HOLD};
    struct result r[2] = {{0}};
    cn_rpc_client_t *c;

    tsrv_start(&ts, &loop, 0, 0);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", ts.port, SECRET, "c", &c), 0);
    cn_rpc_call(c, echo_req(1, "x"), 5000, on_cancel, &r[0]);
    run_until(&ts.handled, 1, 5000);
    cn_rpc_call(c, echo_req(2, "y"), 5000, on_cancel, &r[1]);
    cn_rpc_client_destroy(c);
    cr_assert_eq(r[0].status, CN_ECANCELED);
    cr_assert_eq(r[1].status, CN_ECANCELED);
    tsrv_release(&ts);
    cn_rpc_server_stop(ts.srv);
}

/* A callback that destroys its client while other calls are pending, and one that issues
 * a new call from inside a callback. */
struct reent {
    cn_rpc_client_t *c;
    int first_status;
    int others;
    int other_status;
    struct result chained;
};

static void on_other(int status, cn_msg_t *resp, void *arg)
{
    struct reent *re = arg;

    re->others++;
    re->other_status = status;
    cn_msg_free(resp);
}

static void on_first_destroys(int status, cn_msg_t *resp, void *arg)
{
    struct reent *re = arg;

    re->first_status = status;
    cn_msg_free(resp);
    cn_rpc_client_destroy(re->c);
}

static void on_first_chains(int status, cn_msg_t *resp, void *arg)
{
    struct reent *re = arg;

    re->first_status = status;
    cn_msg_free(resp);
    cn_rpc_call(re->c, echo_req(5, "chained"), 5000, on_result, &re->chained);
    cr_assert_eq(re->chained.done, 0, "a callback ran inside cn_rpc_call");
}

Test(rpc_net, callback_may_destroy_client_or_call_again, .timeout = 10)
{
    struct tsrv ts = {.mode = MODE_ECHO};
    static struct reent re;

    tsrv_start(&ts, &loop, 0, 0);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", ts.port, SECRET, "c", &re.c), 0);
    cn_rpc_call(re.c, echo_req(1, "a"), 5000, on_first_chains, &re);
    run_until(&re.chained.done, 1, 5000);
    cr_assert_eq(re.first_status, 0);
    cr_assert_eq(re.chained.status, 0);
    cr_assert_str_eq(re.chained.body, "chained");

    /* Now the first reply's callback destroys the client; the second call (odd n: the
     * server delays it) is still pending and gets canceled. */
    ts.mode = MODE_ECHO_DELAY_ODD;
    re.first_status = 1;
    cn_rpc_call(re.c, echo_req(2, "b"), 5000, on_first_destroys, &re);
    cn_rpc_call(re.c, echo_req(1301, "c"), 5000, on_other, &re);   /* answered after 301 ms */
    run_until(&re.others, 1, 5000);
    cr_assert_eq(re.first_status, 0);
    cr_assert_eq(re.other_status, CN_ECANCELED);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_net, connect_refused_is_reported_from_the_loop, .timeout = 10)
{
    struct result r = {0};
    cn_rpc_client_t *c;
    struct tsrv ts = {.mode = MODE_ECHO};
    int port;

    tsrv_start(&ts, &loop, 0, 0);   /* take a port, then free it */
    port = ts.port;
    cn_rpc_server_stop(ts.srv);
    uv_run(&loop, UV_RUN_NOWAIT);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", port, SECRET, "c", &c), 0);
    cn_rpc_call(c, echo_req(1, "x"), 5000, on_result, &r);
    cr_assert_eq(r.done, 0);
    run_until(&r.done, 1, 5000);
    cr_assert_eq(r.status, CN_ECONNREFUSED);
    cn_rpc_client_destroy(c);
}

Test(rpc_net, bad_addresses_are_einval, .timeout = 5)
{
    cn_rpc_server_opts_t o = {.host = "not-an-ip", .port = 0, .secret = SECRET,
                              .handler = handler};
    cn_rpc_server_t *s;
    cn_rpc_client_t *c;

    cr_assert_eq(cn_rpc_server_start(&loop, &o, &s), CN_EINVAL);
    cr_assert_eq(cn_rpc_client_create(&loop, "999.1.1.1", 1, SECRET, "c", &c), CN_EINVAL);
    cr_assert_eq(cn_rpc_client_create(&loop, "127.0.0.1", 0, SECRET, "c", &c), CN_EINVAL);
}

/* ---- cn_rpc_call_sync: the server runs on its own loop in a thread ------------------- */

struct srv_thread {
    uv_loop_t loop;
    uv_async_t stop;
    struct tsrv ts;
    pthread_t th;
};

static void on_stop(uv_async_t *a)
{
    struct srv_thread *st = a->data;

    cn_rpc_server_stop(st->ts.srv);
    uv_close((uv_handle_t *)a, NULL);
}

static void *srv_main(void *arg)
{
    struct srv_thread *st = arg;

    uv_run(&st->loop, UV_RUN_DEFAULT);
    return NULL;
}

Test(rpc_net, call_sync, .timeout = 15)
{
    static struct srv_thread st = {.ts = {.mode = MODE_ECHO}};
    cn_msg_t *resp = NULL;
    uint64_t n = 0;
    cn_slice_t b;

    cr_assert_eq(uv_loop_init(&st.loop), 0);
    tsrv_start(&st.ts, &st.loop, 0, 0);
    uv_async_init(&st.loop, &st.stop, on_stop);
    st.stop.data = &st;
    cr_assert_eq(pthread_create(&st.th, NULL, srv_main, &st), 0);

    cr_assert_eq(cn_rpc_call_sync("127.0.0.1", st.ts.port, SECRET, "cli", echo_req(42, "sync"),
                                  5000, &resp), 0);
    cr_assert_not_null(resp);
    cr_assert_eq(cn_msg_get_u64(resp, "n", &n), 0);
    cr_assert_eq(n, 42);
    b = cn_msg_body(resp);
    cr_assert_eq(b.len, 4);
    cr_assert_arr_eq(b.ptr, "sync", 4);
    cn_msg_free(resp);

    cr_assert_eq(cn_rpc_call_sync("127.0.0.1", st.ts.port, "bad", "cli", echo_req(1, "x"), 5000,
                                  &resp), CN_EAUTH);
    cr_assert_null(resp);

    uv_async_send(&st.stop);
    pthread_join(st.th, NULL);
    cr_assert_eq(uv_loop_close(&st.loop), 0);

    cr_assert_eq(cn_rpc_call_sync("127.0.0.1", st.ts.port, SECRET, "cli", echo_req(1, "x"), 5000,
                                  &resp), CN_ECONNREFUSED);
}
