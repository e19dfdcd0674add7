/*
 * gateway/http/tls.c: HTTPS for the S3 and REST listeners. When [gateway] tls_listen (S3) or
 * rest_tls_listen (REST) is set, the gateway also listens there and hands each connection to
 * h2o with one OpenSSL server context shared by both (h2o_accept_ctx_t.ssl_ctx): the same h2o
 * contexts, hosts and handlers as plain HTTP, HTTP/1.1 and h2 through ALPN. TLS 1.2 or newer
 * (tls_min_version), TLS 1.2 ciphers from tls_ciphers; the certificate chain and key are PEM
 * files ([gateway] tls_cert, tls_key).
 * Reload (SIGHUP, gw_tls_reload): the files are read again into a fresh context, which new
 * connections get; connections already open keep the old one (SSL_new took a reference on
 * it). A context that cannot be built is logged and the old one stays in use.
 * Threads: worker 0 makes the context and reloads it; it is shared (struct gw_shared's
 * tls_ctx, under tls_lock), each worker holding its own reference (SSL_CTX_up_ref) and
 * moving to a reloaded one when woken (gw_tls_sync). OpenSSL's SSL_CTX may be used by
 * several threads at once to make connections.
 */
#include "gateway/gateway.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "gateway/http/tls.h"
#include "gateway/workers.h"

/* Logs OpenSSL's error queue (oldest first) after what. */
static void log_ssl_errors(const char *what, const char *path)
{
    unsigned long e;
    char buf[256];
    int any = 0;

    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        CN_LOG(CN_LOG_ERROR, "tls: %s %s: %s", what, path, buf);
        any = 1;
    }
    if (!any)
        CN_LOG(CN_LOG_ERROR, "tls: %s %s failed", what, path);
}

int gw_tls_wanted(const struct gw_conf *c)
{
    return (c->tls_listen && *c->tls_listen) ||
           (c->rest_enabled && c->rest_tls_listen && *c->rest_tls_listen);
}

int gw_tls_min_version(const char *v)
{
    if (v == NULL || *v == '\0' || strcmp(v, "1.2") == 0)
        return TLS1_2_VERSION;
    if (strcmp(v, "1.3") == 0)
        return TLS1_3_VERSION;
    return 0;
}

/* A new server context from the configuration's files, or NULL (logged). */
static SSL_CTX *make_ctx(const struct gw_conf *c)
{
    SSL_CTX *ctx;
    int minv = gw_tls_min_version(c->tls_min_version);

    if (!c->tls_cert || !*c->tls_cert || !c->tls_key || !*c->tls_key) {
        CN_LOG(CN_LOG_ERROR, "gateway.tls_listen and rest_tls_listen need gateway.tls_cert and "
                             "gateway.tls_key");
        return NULL;
    }
    if (minv == 0) {
        CN_LOG(CN_LOG_ERROR, "gateway.tls_min_version %s: not 1.2 or 1.3", c->tls_min_version);
        return NULL;
    }
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        log_ssl_errors("new context", "");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, minv);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_RENEGOTIATION);
    if (c->tls_ciphers && *c->tls_ciphers && SSL_CTX_set_cipher_list(ctx, c->tls_ciphers) != 1) {
        log_ssl_errors("gateway.tls_ciphers", c->tls_ciphers);
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
        log_ssl_errors("certificate", c->tls_cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM) != 1) {
        log_ssl_errors("private key", c->tls_key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        log_ssl_errors("key does not match the certificate", c->tls_key);
        goto fail;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Logs which certificate ctx serves: subject, serial (hex) and expiry. */
static void log_cert(const char *what, SSL_CTX *ctx, const char *path)
{
    X509 *x = SSL_CTX_get0_certificate(ctx);
    char subj[256] = "?", serial[128] = "?", until[64] = "?";
    BIGNUM *bn;

    if (x == NULL)
        return;
    X509_NAME_oneline(X509_get_subject_name(x), subj, sizeof(subj));
    if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) != NULL) {
        char *hex = BN_bn2hex(bn);
        if (hex) {
            snprintf(serial, sizeof(serial), "%s", hex);
            OPENSSL_free(hex);
        }
        BN_free(bn);
    }
    {
        BIO *b = BIO_new(BIO_s_mem());
        if (b && ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1) {
            int n = BIO_read(b, until, (int)sizeof(until) - 1);
            until[n > 0 ? n : 0] = '\0';
        }
        BIO_free(b);
    }
    CN_LOG(CN_LOG_INFO, "tls: %s %s: subject=%s serial=%s not_after=%s", what, path, subj,
           serial, until);
}

/* With sh->tls_lock held: the shared context, referenced for the caller, and its gen. */
static SSL_CTX *do_take_shared(gw_shared_t *sh, uint64_t *gen)
{
    SSL_CTX *ctx = sh->tls_ctx;

    if (ctx != NULL)
        SSL_CTX_up_ref(ctx);
    *gen = atomic_load(&sh->tls_gen);
    return ctx;
}

/* Worker 0: ctx is the context every worker serves from now on (the shared reference, a
 * new gen); the one shared before is dropped (workers still serving it hold their own). */
static void share(gw_server_t *s, SSL_CTX *ctx)
{
    SSL_CTX *old;

    SSL_CTX_up_ref(ctx);
    pthread_mutex_lock(&s->sh->tls_lock);
    old = s->sh->tls_ctx;
    s->sh->tls_ctx = ctx;
    s->tls_gen = atomic_fetch_add(&s->sh->tls_gen, 1) + 1;
    pthread_mutex_unlock(&s->sh->tls_lock);
    if (old != NULL)
        SSL_CTX_free(old);
}

/* s's HTTPS listeners take ctx (a reference for s) for their next connections; open ones
 * hold a reference on the old one. */
static void serve(gw_server_t *s, SSL_CTX *ctx)
{
    SSL_CTX *old = s->tls_ssl_ctx;

    s->tls_ssl_ctx = ctx;
    s->tls_accept_ctx.ssl_ctx = ctx;
    s->rest_tls_accept_ctx.ssl_ctx = ctx;
    if (old != NULL)
        SSL_CTX_free(old);
}

int gw_tls_init(gw_server_t *s)
{
    gw_shared_t *sh = s->sh;
    SSL_CTX *ctx;

    if (s->tls_ssl_ctx != NULL)
        return 0;
    if (s->idx != 0) { /* worker 0's */
        pthread_mutex_lock(&sh->tls_lock);
        s->tls_ssl_ctx = do_take_shared(sh, &s->tls_gen);
        pthread_mutex_unlock(&sh->tls_lock);
        return s->tls_ssl_ctx != NULL ? 0 : CN_ECONFIG;
    }
    if ((ctx = make_ctx(&s->conf)) == NULL)
        return CN_ECONFIG;
    log_cert("certificate", ctx, s->conf.tls_cert);
    s->tls_ssl_ctx = ctx;
    share(s, ctx);
    return 0;
}

void gw_tls_sync(gw_server_t *s)
{
    gw_shared_t *sh = s->sh;
    SSL_CTX *ctx;

    if (s->tls_ssl_ctx == NULL || atomic_load(&sh->tls_gen) == s->tls_gen)
        return;
    pthread_mutex_lock(&sh->tls_lock);
    ctx = do_take_shared(sh, &s->tls_gen);
    pthread_mutex_unlock(&sh->tls_lock);
    serve(s, ctx);
}

int gw_tls_reload(gw_server_t *s)
{
    SSL_CTX *ctx;

    if (s->tls_ssl_ctx == NULL)
        return 0;
    if ((ctx = make_ctx(&s->conf)) == NULL) {
        CN_LOG(CN_LOG_ERROR, "tls: reload of %s failed: still serving the old certificate",
               s->conf.tls_cert);
        return CN_ECONFIG;
    }
    serve(s, ctx);
    share(s, ctx);
    gw_workers_wake(s->sh, s); /* the others move to it (gw_tls_sync) */
    log_cert("reloaded", ctx, s->conf.tls_cert);
    return 0;
}

void gw_tls_dispose(gw_server_t *s)
{
    /* connections still open hold their own reference (SSL_new), so this is safe at exit */
    if (s->tls_ssl_ctx != NULL) {
        SSL_CTX_free(s->tls_ssl_ctx);
        s->tls_ssl_ctx = NULL;
    }
}
