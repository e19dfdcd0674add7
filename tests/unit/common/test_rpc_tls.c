/* tests/unit/common/test_rpc_tls.c: tests common/rpc_tls.c (TLS on the cluster RPC) and the
 * server's per-peer secrets (secret_fn), over real sockets on 127.0.0.1. Each test makes its
 * own CA, a server certificate for IP 127.0.0.1 (subjectAltName) signed by it, and a second
 * CA that signed nothing, with the OpenSSL API into a temp dir. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc.h"
#include "tests/harness/loop.h"
#include "tests/harness/tmpdir.h"

#define SECRET "s3cret"
#define MAX_HELD 8

static uv_loop_t loop;
static char dir[PATH_MAX];
static char ca_pem[PATH_MAX + 32], other_ca_pem[PATH_MAX + 32];
static char srv_pem[PATH_MAX + 32], srv_key[PATH_MAX + 32];

/* ---- certificates ------------------------------------------------------------------- */

static void add_ext(X509 *crt, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, crt, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    cr_assert_not_null(ext);
    cr_assert_eq(X509_add_ext(crt, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, signed by issuer/ikey (self-signed when issuer is NULL). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, int ca,
                       long serial)
{
    X509 *crt = X509_new();
    X509_NAME *name = X509_NAME_new();

    cr_assert_eq(X509_set_version(crt, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(crt), serial);
    X509_gmtime_adj(X509_getm_notBefore(crt), -3600);
    X509_gmtime_adj(X509_getm_notAfter(crt), 86400);
    cr_assert_eq(X509_set_pubkey(crt, key), 1);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    cr_assert_eq(X509_set_subject_name(crt, name), 1);
    cr_assert_eq(X509_set_issuer_name(crt, issuer ? X509_get_subject_name(issuer) : name), 1);
    X509_NAME_free(name);
    if (ca) {
        add_ext(crt, issuer ? issuer : crt, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(crt, issuer ? issuer : crt, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(crt, crt, NID_subject_key_identifier, "hash");
    } else {
        add_ext(crt, issuer, NID_basic_constraints, "CA:FALSE");
        add_ext(crt, issuer, NID_subject_alt_name, "IP:127.0.0.1");
        add_ext(crt, issuer, NID_ext_key_usage, "serverAuth");
    }
    cr_assert_gt(X509_sign(crt, ikey ? ikey : key, EVP_sha256()), 0);
    return crt;
}

static void write_cert(const char *path, X509 *crt)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    cr_assert_eq(PEM_write_X509(f, crt), 1);
    fclose(f);
}

static void write_key(const char *path, EVP_PKEY *key)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f);
    cr_assert_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

static void make_pki(void)
{
    EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *other_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *ca, *other, *srv;

    cr_assert(ca_key && other_key && key);
    ca = make_cert("cairn test CA", ca_key, NULL, NULL, 1, 1);
    other = make_cert("cairn other CA", other_key, NULL, NULL, 1, 2);
    srv = make_cert("cairn link server", key, ca, ca_key, 0, 3);
    snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", dir);
    snprintf(other_ca_pem, sizeof(other_ca_pem), "%s/other_ca.pem", dir);
    snprintf(srv_pem, sizeof(srv_pem), "%s/server.pem", dir);
    snprintf(srv_key, sizeof(srv_key), "%s/server.key", dir);
    write_cert(ca_pem, ca);
    write_cert(other_ca_pem, other);
    write_cert(srv_pem, srv);
    write_key(srv_key, key);
    X509_free(ca);
    X509_free(other);
    X509_free(srv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other_key);
    EVP_PKEY_free(key);
}

/* ---- a test server ------------------------------------------------------------------ */

struct tsrv {
    cn_rpc_server_t *srv;
    int port;
    int handled;
    int hold;               /* keep requests unanswered in held[] */
    cn_rpc_conn_t *held_conn[MAX_HELD];
    cn_msg_t *held_req[MAX_HELD];
    int nheld;
};

static void echo(cn_rpc_conn_t *conn, cn_msg_t *req)
{
    cn_msg_t *resp = cn_msg_new("echo");
    cn_slice_t b = cn_msg_body(req);
    uint64_t n = 0;

    (void)cn_msg_get_u64(req, "n", &n);
    cn_msg_set_u64(resp, "n", n);
    cn_msg_set_str(resp, "peer", cn_rpc_conn_peer(conn));
    cn_msg_set_body_copy(resp, b.ptr, b.len);
    cn_rpc_reply(conn, req, resp);
}

static void handler(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct tsrv *ts = udata;

    ts->handled++;
    if (ts->hold) {
        cr_assert_lt(ts->nheld, MAX_HELD);
        ts->held_conn[ts->nheld] = conn;
        ts->held_req[ts->nheld++] = req;
        return;
    }
    echo(conn, req);
}

/* Starts ts with the TLS context tls (or plain) and o's secret settings. */
static void tsrv_start(struct tsrv *ts, const cn_rpc_tls_t *tls, cn_rpc_secret_fn fn, void *arg)
{
    cn_rpc_server_opts_t o = {.host = "127.0.0.1", .secret = fn ? NULL : SECRET,
                              .handler = handler, .udata = ts, .tls = tls, .secret_fn = fn,
                              .secret_arg = arg};

    cr_assert_eq(cn_rpc_server_start(&loop, &o, &ts->srv), 0);
    ts->port = cn_rpc_server_port(ts->srv);
    cr_assert_gt(ts->port, 0);
}

static cn_rpc_tls_t *server_tls(void)
{
    cn_rpc_tls_t *t;

    cr_assert_eq(cn_rpc_tls_server_new(srv_pem, srv_key, &t), 0);
    return t;
}

static cn_rpc_tls_t *client_tls(const char *ca)
{
    cn_rpc_tls_t *t;

    cr_assert_eq(cn_rpc_tls_client_new(ca, &t), 0);
    return t;
}

/* ---- helpers ------------------------------------------------------------------------ */

static void setup(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    cr_assert_eq(uv_loop_init(&loop), 0);
    t_tmpdir_make(dir, sizeof(dir));
    make_pki();
}

static void teardown(void)
{
    t_loop_close(&loop);
    t_tmpdir_remove(dir);
}

TestSuite(rpc_tls, .init = setup, .fini = teardown);

struct result {
    int done;
    int status;
    uint64_t n;
    char peer[64];
    size_t body_len;
    int body_ok;           /* the body is pattern(body_len) */
};

static char pattern_byte(size_t k)
{
    return (char)((k * 131 + k / 4099) & 0xff);
}

static void on_result(int status, cn_msg_t *resp, void *arg)
{
    struct result *r = arg;
    cn_slice_t b;

    r->done++;
    r->status = status;
    if (resp == NULL)
        return;
    (void)cn_msg_get_u64(resp, "n", &r->n);
    (void)cn_msg_get_str(resp, "peer", r->peer, sizeof(r->peer));
    b = cn_msg_body(resp);
    r->body_len = b.len;
    r->body_ok = 1;
    for (size_t k = 0; k < b.len; k++)
        if (b.ptr[k] != pattern_byte(k)) {
            r->body_ok = 0;
            break;
        }
    cn_msg_free(resp);
}

static cn_msg_t *echo_req(uint64_t n, size_t body_len)
{
    cn_msg_t *m = cn_msg_new("echo");
    char *body = cn_malloc(body_len ? body_len : 1);

    for (size_t k = 0; k < body_len; k++)
        body[k] = pattern_byte(k);
    cn_msg_set_u64(m, "n", n);
    cn_msg_set_body(m, body, body_len);
    return m;
}

static cn_rpc_client_t *client(int port, const char *secret, const char *name,
                               const cn_rpc_tls_t *tls)
{
    cn_rpc_client_opts_t o = {.host = "127.0.0.1", .port = port, .secret = secret,
                              .self_name = name, .tls = tls};
    cn_rpc_client_t *c;

    cr_assert_eq(cn_rpc_client_create_opts(&loop, &o, &c), 0);
    return c;
}

/* One call on a fresh client; returns its status (and fills r). */
static int call_once(int port, const char *secret, const char *name, const cn_rpc_tls_t *tls,
                     size_t body_len, uint64_t timeout_ms, struct result *r)
{
    cn_rpc_client_t *c = client(port, secret, name, tls);

    cn_rpc_call(c, echo_req(7, body_len), timeout_ms, on_result, r);
    t_loop_run_until(&loop, &r->done, 1, timeout_ms + 5000);
    cn_rpc_client_destroy(c);
    return r->status;
}

/* ---- tests -------------------------------------------------------------------------- */

Test(rpc_tls, call_over_tls_small_and_5mib_body, .timeout = 30)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);
    struct tsrv ts = {0};
    struct result small = {0}, big = {0};
    cn_rpc_client_t *c;
    size_t big_len = 5u << 20;

    tsrv_start(&ts, st, NULL, NULL);
    cn_rpc_tls_free(st);   /* the server holds its own reference */
    c = client(ts.port, SECRET, "node-a", ct);
    cn_rpc_tls_free(ct);   /* so does the client */
    cn_rpc_call(c, echo_req(1, 11), 5000, on_result, &small);
    cn_rpc_call(c, echo_req(2, big_len), 20000, on_result, &big);
    t_loop_run_until(&loop, &big.done, 1, 25000);
    t_loop_run_until(&loop, &small.done, 1, 5000);
    cr_assert_eq(small.status, 0);
    cr_assert_eq(small.n, 1);
    cr_assert_str_eq(small.peer, "node-a");
    cr_assert_eq(small.body_len, 11);
    cr_assert(small.body_ok);
    cr_assert_eq(big.status, 0);
    cr_assert_eq(big.n, 2);
    cr_assert_eq(big.body_len, big_len);
    cr_assert(big.body_ok, "the 5 MiB body came back changed");
    cr_assert(cn_rpc_client_connected(c));
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_tls, wrong_secret_over_tls_is_eauth, .timeout = 10)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);
    struct tsrv ts = {0};
    struct result r = {0};

    tsrv_start(&ts, st, NULL, NULL);
    cr_assert_eq(call_once(ts.port, "wrong", "intruder", ct, 1, 5000, &r), CN_EAUTH);
    cr_assert_eq(ts.handled, 0);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(st);
    cn_rpc_tls_free(ct);
}

/* A link server's table: one secret per remote cluster id. */
struct secrets {
    const char *name[3];
    const char *secret[3];
    int lookups;
};

static int lookup_secret(const char *peer, char *secret, size_t cap, void *arg)
{
    struct secrets *t = arg;

    t->lookups++;
    for (int k = 0; k < 3 && t->name[k] != NULL; k++)
        if (strcmp(peer, t->name[k]) == 0) {
            snprintf(secret, cap, "%s", t->secret[k]);
            return 0;
        }
    return -1;
}

static void check_secret_fn(const cn_rpc_tls_t *st, const cn_rpc_tls_t *ct)
{
    struct secrets tab = {{"east", "west"}, {"sec-east", "sec-west"}, 0};
    struct tsrv ts = {0};
    struct result e = {0}, w = {0}, unknown = {0}, crossed = {0}, changed = {0}, old = {0};

    tsrv_start(&ts, st, lookup_secret, &tab);
    cr_assert_eq(call_once(ts.port, "sec-east", "east", ct, 3, 5000, &e), 0);
    cr_assert_str_eq(e.peer, "east");
    cr_assert_eq(call_once(ts.port, "sec-west", "west", ct, 3, 5000, &w), 0);
    cr_assert_str_eq(w.peer, "west");
    cr_assert_eq(call_once(ts.port, "sec-east", "north", ct, 3, 5000, &unknown), CN_EAUTH);
    cr_assert_eq(call_once(ts.port, "sec-west", "east", ct, 3, 5000, &crossed), CN_EAUTH);
    cr_assert_eq(ts.handled, 2);
    /* A secret changed later applies from the next connection. */
    tab.secret[0] = "sec-east-2";
    cr_assert_eq(call_once(ts.port, "sec-east", "east", ct, 3, 5000, &old), CN_EAUTH);
    cr_assert_eq(call_once(ts.port, "sec-east-2", "east", ct, 3, 5000, &changed), 0);
    cr_assert_eq(tab.lookups, 6);
    cn_rpc_server_stop(ts.srv);
}

Test(rpc_tls, secret_fn_picks_each_peers_secret_by_name, .timeout = 20)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);

    check_secret_fn(st, ct);
    cn_rpc_tls_free(st);
    cn_rpc_tls_free(ct);
}

Test(rpc_tls, secret_fn_without_tls, .timeout = 20)
{
    check_secret_fn(NULL, NULL);
}

Test(rpc_tls, ca_that_did_not_sign_the_server_is_eauth, .timeout = 10)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(other_ca_pem);
    struct tsrv ts = {0};
    struct result r = {0};

    tsrv_start(&ts, st, NULL, NULL);
    cr_assert_eq(call_once(ts.port, SECRET, "node-a", ct, 1, 5000, &r), CN_EAUTH);
    cr_assert_eq(ts.handled, 0);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(st);
    cn_rpc_tls_free(ct);
}

Test(rpc_tls, certificate_for_another_name_is_eauth, .timeout = 10)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);
    cn_rpc_client_opts_t o = {.host = "localhost", .secret = SECRET, .self_name = "a",
                              .tls = ct};
    struct tsrv ts = {0};
    struct result r = {0};
    cn_rpc_client_t *c;

    tsrv_start(&ts, st, NULL, NULL);
    o.port = ts.port;   /* the certificate names IP 127.0.0.1 only, not "localhost" */
    cr_assert_eq(cn_rpc_client_create_opts(&loop, &o, &c), 0);
    cn_rpc_call(c, echo_req(1, 1), 5000, on_result, &r);
    t_loop_run_until(&loop, &r.done, 1, 8000);
    cr_assert_eq(r.status, CN_EAUTH);
    cr_assert_eq(ts.handled, 0);
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(st);
    cn_rpc_tls_free(ct);
}

Test(rpc_tls, tls_client_to_plain_server_fails_fast, .timeout = 10)
{
    cn_rpc_tls_t *ct = client_tls(ca_pem);
    struct tsrv ts = {0};
    struct result r = {0};
    uint64_t t0;

    tsrv_start(&ts, NULL, NULL, NULL);
    t0 = uv_hrtime();
    cr_assert_eq(call_once(ts.port, SECRET, "node-a", ct, 1, 3000, &r), CN_EPROTO);
    cr_assert_lt(uv_hrtime() - t0, 2500000000ull, "should fail before the call's timeout");
    cr_assert_eq(ts.handled, 0);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(ct);
}

Test(rpc_tls, plain_client_to_tls_server_fails_within_the_timeout, .timeout = 10)
{
    cn_rpc_tls_t *st = server_tls();
    struct tsrv ts = {0};
    struct result r = {0};
    int rc;

    tsrv_start(&ts, st, NULL, NULL);
    rc = call_once(ts.port, SECRET, "node-a", NULL, 1, 1000, &r);
    cr_assert(rc == CN_ETIMEDOUT || rc == CN_ECONNRESET || rc == CN_EPROTO, "rc=%d", rc);
    cr_assert_eq(ts.handled, 0);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(st);
}

#define NPIPE 100

Test(rpc_tls, pipelined_calls_over_one_tls_connection, .timeout = 30)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);
    static struct result rs[NPIPE];
    struct tsrv ts = {0};
    cn_rpc_client_t *c;

    tsrv_start(&ts, st, NULL, NULL);
    c = client(ts.port, SECRET, "piper", ct);
    for (int k = 0; k < NPIPE; k++)   /* all in flight at once: bodies of 0..9603 bytes */
        cn_rpc_call(c, echo_req((uint64_t)k, (size_t)k * 97), 20000, on_result, &rs[k]);
    for (int k = 0; k < NPIPE; k++) {
        t_loop_run_until(&loop, &rs[k].done, 1, 25000);
        cr_assert_eq(rs[k].status, 0, "call %d", k);
        cr_assert_eq(rs[k].n, (uint64_t)k);
        cr_assert_eq(rs[k].body_len, (size_t)k * 97);
        cr_assert(rs[k].body_ok);
    }
    cr_assert_eq(ts.handled, NPIPE);
    cn_rpc_client_destroy(c);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(st);
    cn_rpc_tls_free(ct);
}

Test(rpc_tls, server_stop_with_tls_connection_open_frees_everything, .timeout = 15)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);
    struct tsrv ts = {.hold = 1};
    struct result held = {0};
    cn_rpc_client_t *c;

    tsrv_start(&ts, st, NULL, NULL);
    cn_rpc_tls_free(st);   /* the server's own reference is the last one */
    c = client(ts.port, SECRET, "node-a", ct);
    cn_rpc_tls_free(ct);
    cn_rpc_call(c, echo_req(1, 1000), 5000, on_result, &held);
    t_loop_run_until(&loop, &ts.handled, 1, 5000);
    cr_assert(cn_rpc_client_connected(c));
    cn_rpc_server_stop(ts.srv);
    t_loop_run_until(&loop, &held.done, 1, 5000);
    cr_assert_eq(held.status, CN_ECONNRESET);
    /* The held request's reply, after the stop, is dropped; the connection goes with it. */
    echo(ts.held_conn[0], ts.held_req[0]);
    cn_rpc_client_destroy(c);
}

/* cn_rpc_call_sync_opts blocks its thread, so it runs on a second thread while this one
 * serves the server's loop; the thread says it is done through an async handle. */
struct sync_arg {
    const cn_rpc_client_opts_t *o;
    cn_msg_t *resp;
    int rc;
    int done;
    uv_async_t async;
};

static void on_sync_done(uv_async_t *h)
{
    struct sync_arg *a = h->data;

    a->done = 1;
    uv_close((uv_handle_t *)h, NULL);
}

static void sync_main(void *p)
{
    struct sync_arg *a = p;

    a->rc = cn_rpc_call_sync_opts(a->o, echo_req(5, 64), 5000, &a->resp);
    uv_async_send(&a->async);
}

Test(rpc_tls, call_sync_opts_over_tls, .timeout = 15)
{
    cn_rpc_tls_t *st = server_tls(), *ct = client_tls(ca_pem);
    cn_rpc_client_opts_t o = {.host = "127.0.0.1", .secret = SECRET, .self_name = "tool",
                              .tls = ct};
    struct sync_arg a = {.o = &o, .rc = -1};
    struct tsrv ts = {0};
    uv_thread_t th;
    char peer[16];

    tsrv_start(&ts, st, NULL, NULL);
    o.port = ts.port;
    cr_assert_eq(uv_async_init(&loop, &a.async, on_sync_done), 0);
    a.async.data = &a;
    cr_assert_eq(uv_thread_create(&th, sync_main, &a), 0);
    t_loop_run_until(&loop, &a.done, 1, 10000);
    uv_thread_join(&th);
    cr_assert_eq(a.rc, 0);
    cr_assert_not_null(a.resp);
    cr_assert_eq(cn_msg_get_str(a.resp, "peer", peer, sizeof(peer)), 0);
    cr_assert_str_eq(peer, "tool");
    cn_msg_free(a.resp);
    cn_rpc_server_stop(ts.srv);
    cn_rpc_tls_free(st);
    cn_rpc_tls_free(ct);
}

Test(rpc_tls, bad_files_and_wrong_sides_are_einval, .timeout = 10)
{
    cn_rpc_tls_t *t = NULL, *ct = client_tls(ca_pem), *st = server_tls();
    char missing[PATH_MAX + 32];
    struct tsrv ts = {0};
    cn_rpc_server_opts_t so = {.host = "127.0.0.1", .secret = SECRET, .handler = handler,
                               .udata = &ts, .tls = ct};
    cn_rpc_client_opts_t co = {.host = "127.0.0.1", .port = 1, .secret = SECRET, .tls = st};
    cn_rpc_client_t *c;

    snprintf(missing, sizeof(missing), "%s/missing.pem", dir);
    cr_assert_eq(cn_rpc_tls_server_new(missing, srv_key, &t), CN_EINVAL);
    cr_assert_null(t);
    cr_assert_eq(cn_rpc_tls_server_new(srv_pem, missing, &t), CN_EINVAL);
    /* The CA's certificate with the server's key: they do not match. */
    cr_assert_eq(cn_rpc_tls_server_new(ca_pem, srv_key, &t), CN_EINVAL);
    cr_assert_eq(cn_rpc_tls_client_new(missing, &t), CN_EINVAL);
    cr_assert_eq(cn_rpc_tls_client_new(srv_key, &t), CN_EINVAL);
    cr_assert_eq(cn_rpc_server_start(&loop, &so, &ts.srv), CN_EINVAL);
    so.tls = NULL;
    so.secret = NULL;
    cr_assert_eq(cn_rpc_server_start(&loop, &so, &ts.srv), CN_EINVAL);
    cr_assert_eq(cn_rpc_client_create_opts(&loop, &co, &c), CN_EINVAL);
    cn_rpc_tls_free(ct);
    cn_rpc_tls_free(st);
}
