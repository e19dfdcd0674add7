/*
 * common/rpc_tls.c: the optional TLS layer of the cluster RPC, and the per-connection stream
 * (plain or TLS) through which rpc_server.c and rpc_client.c read and write frames.
 *
 * OpenSSL never touches the socket: each SSL sits on two memory BIOs. Bytes libuv reads are
 * BIO_write()n into rbio, SSL_do_handshake()/SSL_read() turn them into plaintext for the
 * frame reader; frames go through SSL_write(), and whatever OpenSSL put into wbio (records,
 * handshake messages, alerts) is drained into one uv_write per drain (rpc_frame.c owns the
 * buffer). The TLS handshake runs first; frames written before it is over (the server's
 * hello {nonce}) wait in t->early and go out, in order, once it is. So the cairn hello and
 * everything after it travel inside TLS, and the secret handshake is unchanged.
 *
 * A client verifies the server's chain against its CA file and the certificate's name
 * against the host it was given (an IP literal must be in subjectAltName IP). A failed
 * verification is CN_EAUTH; any other TLS failure (a peer that does not speak TLS, an alert)
 * is CN_EPROTO. This file logs the reason once (one WARN line); callers only close.
 *
 * Lifetimes: cn_rpc_tls_t is refcounted (atomic, so servers and clients on several loops may
 * share one); each server or client holds a reference until it is freed. An SSL holds its own
 * reference to the SSL_CTX. A stream belongs to its connection and its loop thread.
 */
#include "common/rpc.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc_int.h"

#define TLS_MAGIC 0x72746c73u      /* "rtls" */
#define TLS_WRITE_CHUNK (256u << 10) /* plaintext per SSL_write, bounds wbio's growth */
#define TLS_READ_CHUNK 16384         /* one TLS record of plaintext */

struct cn_rpc_tls {
    uint32_t magic;
    atomic_int refcnt;
    int is_server;
    SSL_CTX *ctx;
};

struct cn__rpc_tls_conn {
    SSL *ssl;
    BIO *rbio;        /* bytes from the peer, read by OpenSSL */
    BIO *wbio;        /* bytes for the peer, drained by flush_out */
    int is_server;
    int done;         /* handshake over */
    int failed;       /* a fatal TLS error: nothing more goes through this SSL */
    cn_buf_t early;   /* plaintext frames written before the handshake was over */
    char label[96];   /* "peer=ip:port" for logs */
};

/* The OpenSSL error queue as one line (and emptied). */
static void ssl_reason(char *out, size_t cap)
{
    unsigned long e;
    size_t len = 0;

    out[0] = '\0';
    while ((e = ERR_get_error()) != 0) {
        char one[256];

        ERR_error_string_n(e, one, sizeof(one));
        if (len < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "; " : "", one);
    }
    if (out[0] == '\0')
        snprintf(out, cap, "no OpenSSL reason");
}

static cn_rpc_tls_t *tls_new(int is_server)
{
    cn_rpc_tls_t *t = cn_calloc(1, sizeof(*t));

    t->magic = TLS_MAGIC;
    atomic_init(&t->refcnt, 1);
    t->is_server = is_server;
    ERR_clear_error();
    t->ctx = SSL_CTX_new(is_server ? TLS_server_method() : TLS_client_method());
    if (t->ctx == NULL) {
        cn_free(t);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    return t;
}

int cn_rpc_tls_server_new(const char *cert_file, const char *key_file, cn_rpc_tls_t **out)
{
    cn_rpc_tls_t *t;
    char why[512];
    const char *step;

    *out = NULL;
    if (cert_file == NULL || key_file == NULL)
        return CN_EINVAL;
    if ((t = tls_new(1)) == NULL) {
        ssl_reason(why, sizeof(why));
        CN_LOG(CN_LOG_ERROR, "rpc tls: SSL_CTX_new: %s", why);
        return CN_ENOMEM;
    }
    SSL_CTX_set_num_tickets(t->ctx, 0);   /* no resumption: connections are long-lived */
    if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1)
        step = "certificate chain";
    else if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1)
        step = "private key";
    else if (SSL_CTX_check_private_key(t->ctx) != 1)
        step = "key does not match the certificate";
    else
        step = NULL;
    if (step != NULL) {
        ssl_reason(why, sizeof(why));
        CN_LOG(CN_LOG_ERROR, "rpc tls: cert=%s key=%s: %s: %s", cert_file, key_file, step, why);
        cn_rpc_tls_free(t);
        return CN_EINVAL;
    }
    *out = t;
    return 0;
}

int cn_rpc_tls_client_new(const char *ca_file, cn_rpc_tls_t **out)
{
    cn_rpc_tls_t *t;
    char why[512];

    *out = NULL;
    if (ca_file == NULL)
        return CN_EINVAL;
    if ((t = tls_new(0)) == NULL) {
        ssl_reason(why, sizeof(why));
        CN_LOG(CN_LOG_ERROR, "rpc tls: SSL_CTX_new: %s", why);
        return CN_ENOMEM;
    }
    if (SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1) {
        ssl_reason(why, sizeof(why));
        CN_LOG(CN_LOG_ERROR, "rpc tls: ca=%s: %s", ca_file, why);
        cn_rpc_tls_free(t);
        return CN_EINVAL;
    }
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    *out = t;
    return 0;
}

void cn_rpc_tls_free(cn_rpc_tls_t *t)
{
    if (t == NULL)
        return;
    CN_CHECK_OBJ(t, TLS_MAGIC);
    if (atomic_fetch_sub(&t->refcnt, 1) > 1)
        return;
    SSL_CTX_free(t->ctx);
    t->magic = 0;
    cn_free(t);
}

cn_rpc_tls_t *cn__rpc_tls_ref(const cn_rpc_tls_t *t)
{
    cn_rpc_tls_t *m = (cn_rpc_tls_t *)(uintptr_t)t;   /* the count is not the object's value */

    CN_CHECK_OBJ(m, TLS_MAGIC);
    atomic_fetch_add(&m->refcnt, 1);
    return m;
}

int cn__rpc_tls_is_server(const cn_rpc_tls_t *t)
{
    CN_CHECK_OBJ(t, TLS_MAGIC);
    return t->is_server;
}

/* ---- the stream ---------------------------------------------------------------------- */

int cn__rpc_stream_init(cn__rpc_stream_t *st, uv_stream_t *s, const cn_rpc_tls_t *tls,
                        const char *verify_host, const char *label)
{
    struct cn__rpc_tls_conn *t;
    struct in6_addr a6;
    int ok;

    st->s = s;
    st->tls = NULL;
    if (tls == NULL)
        return 0;
    CN_CHECK_OBJ(tls, TLS_MAGIC);
    t = cn_calloc(1, sizeof(*t));
    t->is_server = tls->is_server;
    cn_buf_init(&t->early);
    snprintf(t->label, sizeof(t->label), "%s", label);
    ERR_clear_error();
    if ((t->ssl = SSL_new(tls->ctx)) == NULL)
        goto out_free;
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (t->rbio == NULL || t->wbio == NULL) {
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        goto out_ssl;
    }
    BIO_set_mem_eof_return(t->rbio, -1);   /* empty means "wait for more", not EOF */
    BIO_set_mem_eof_return(t->wbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio); /* the SSL owns both BIOs now */
    if (t->is_server) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
        if (inet_pton(AF_INET, verify_host, &a6) == 1 || inet_pton(AF_INET6, verify_host, &a6) == 1)
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), verify_host) == 1;
        else
            ok = SSL_set1_host(t->ssl, verify_host) == 1 &&
                 SSL_set_tlsext_host_name(t->ssl, verify_host) == 1;
        if (!ok)
            goto out_ssl;
    }
    st->tls = t;
    return 0;

out_ssl:
    SSL_free(t->ssl);
out_free:
    {
        char why[512];

        ssl_reason(why, sizeof(why));
        CN_LOG(CN_LOG_WARN, "%s: TLS setup: %s", label, why);
    }
    cn_buf_dispose(&t->early);
    cn_free(t);
    return CN_ENOMEM;
}

void cn__rpc_stream_dispose(cn__rpc_stream_t *st)
{
    struct cn__rpc_tls_conn *t = st->tls;

    if (t == NULL)
        return;
    SSL_free(t->ssl);
    cn_buf_dispose(&t->early);
    cn_free(t);
    st->tls = NULL;
}

/* Writes out whatever OpenSSL left in wbio. */
static int flush_out(cn__rpc_stream_t *st)
{
    struct cn__rpc_tls_conn *t = st->tls;
    size_t n = BIO_ctrl_pending(t->wbio);
    cn_buf_t out;
    int got;

    if (n == 0)
        return 0;
    cn_buf_init(&out);
    cn_buf_reserve(&out, n);
    got = BIO_read(t->wbio, out.data, (int)n);
    CN_ASSERT(got == (int)n);   /* a memory BIO hands out all it holds */
    out.len = n;
    return cn__rpc_write_raw(st->s, &out);
}

/* A fatal error on t: logs why once and says which code the connection fails with. */
static int tls_fail(cn__rpc_stream_t *st, const char *what)
{
    struct cn__rpc_tls_conn *t = st->tls;
    long vr = t->is_server ? X509_V_OK : SSL_get_verify_result(t->ssl);
    unsigned long e;
    char why[512];
    int not_tls;

    t->failed = 1;
    (void)flush_out(st);   /* the alert OpenSSL queued, so the peer learns why */
    if (vr != X509_V_OK) {
        ERR_clear_error();
        CN_LOG(CN_LOG_WARN, "%s: TLS: server certificate refused: %s", t->label,
               X509_verify_cert_error_string(vr));
        return CN_EAUTH;
    }
    e = ERR_peek_error();
    not_tls = ERR_GET_LIB(e) == ERR_LIB_SSL && (ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER ||
                                                ERR_GET_REASON(e) == SSL_R_PACKET_LENGTH_TOO_LONG);
    ssl_reason(why, sizeof(why));
    CN_LOG(CN_LOG_WARN, "%s: TLS %s failed%s: %s", t->label, what,
           not_tls ? " (the peer does not speak TLS?)" : "", why);
    return CN_EPROTO;
}

static int ssl_write_all(cn__rpc_stream_t *st, const char *p, size_t len)
{
    struct cn__rpc_tls_conn *t = st->tls;
    int rc;

    while (len > 0) {
        int n = (int)(len < TLS_WRITE_CHUNK ? len : TLS_WRITE_CHUNK);
        int w;

        ERR_clear_error();
        if ((w = SSL_write(t->ssl, p, n)) <= 0)
            return tls_fail(st, "write");
        if ((rc = flush_out(st)) != 0)
            return rc;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Moves the handshake on with what rbio holds. 0 (over, or waiting for bytes) or a code. */
static int handshake_step(cn__rpc_stream_t *st)
{
    struct cn__rpc_tls_conn *t = st->tls;
    int r, rc;

    ERR_clear_error();
    r = SSL_do_handshake(t->ssl);
    if (r != 1) {
        if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ)
            return flush_out(st);
        return tls_fail(st, "handshake");
    }
    t->done = 1;
    if ((rc = flush_out(st)) != 0)
        return rc;
    CN_LOG(CN_LOG_DEBUG, "%s: TLS %s %s", t->label, SSL_get_version(t->ssl),
           SSL_get_cipher_name(t->ssl));
    if (t->early.len > 0) {
        rc = ssl_write_all(st, t->early.data, t->early.len);
        cn_buf_dispose(&t->early);
        return rc;
    }
    return 0;
}

int cn__rpc_stream_start(cn__rpc_stream_t *st)
{
    if (st->tls == NULL)
        return 0;
    return handshake_step(st);
}

int cn__rpc_stream_handshaking(const cn__rpc_stream_t *st)
{
    return st->tls != NULL && !st->tls->done;
}

int cn__rpc_stream_write(cn__rpc_stream_t *st, cn_buf_t *frame)
{
    struct cn__rpc_tls_conn *t = st->tls;
    int rc;

    if (t == NULL)
        return cn__rpc_write_raw(st->s, frame);
    if (t->failed) {
        rc = CN_ECONNRESET;
    } else if (!t->done) {
        cn_buf_append(&t->early, frame->data, frame->len);
        rc = 0;
    } else {
        rc = ssl_write_all(st, frame->data, frame->len);
    }
    cn_buf_dispose(frame);
    cn_buf_init(frame);
    return rc;
}

int cn__rpc_stream_write_msg(cn__rpc_stream_t *st, const cn_msg_t *m, int kind, uint64_t id)
{
    cn_buf_t frame;

    cn_buf_init(&frame);
    cn_msg_encode(m, kind, id, &frame);
    return cn__rpc_stream_write(st, &frame);
}

int cn__rpc_stream_feed(cn__rpc_stream_t *st, const void *p, size_t n, cn_frame_reader_t *rd)
{
    struct cn__rpc_tls_conn *t = st->tls;
    char plain[TLS_READ_CHUNK];
    int r, rc;

    if (t == NULL) {
        cn_frame_reader_feed(rd, p, n);
        return 0;
    }
    if (t->failed)
        return CN_ECONNRESET;
    CN_ASSERT(n <= INT_MAX);   /* one uv read */
    if (n > 0 && BIO_write(t->rbio, p, (int)n) != (int)n) {
        t->failed = 1;
        return CN_ENOMEM;
    }
    if (!t->done && ((rc = handshake_step(st)) != 0 || !t->done))
        return rc;
    for (;;) {
        ERR_clear_error();
        if ((r = SSL_read(t->ssl, plain, sizeof(plain))) > 0) {
            cn_frame_reader_feed(rd, plain, (size_t)r);
            continue;
        }
        switch (SSL_get_error(t->ssl, r)) {
        case SSL_ERROR_WANT_READ:
            return flush_out(st);   /* e.g. an answer to a key update */
        case SSL_ERROR_ZERO_RETURN:
            t->failed = 1;
            CN_LOG(CN_LOG_DEBUG, "%s: TLS close_notify", t->label);
            return CN_ECONNRESET;
        default:
            return tls_fail(st, "read");
        }
    }
}
