/*
 * gateway/tls.c: HTTPS for the S3 listener. When [gateway] tls_listen is set, the gateway
 * also listens there and hands each connection to h2o with an OpenSSL server context
 * (h2o_accept_ctx_t.ssl_ctx): the same h2o context, hosts and S3 handler as plain HTTP,
 * HTTP/1.1 and h2 through ALPN. TLS 1.2 or newer; the certificate chain and key are PEM files
 * ([gateway] tls_cert, tls_key) read once at start.
 * Threads: the loop thread only.
 */
#include "gateway/gateway.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/err.h"
#include "common/log.h"

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

int gw_tls_init(gw_server_t *s, h2o_accept_ctx_t *actx)
{
    SSL_CTX *ctx;

    if (!s->conf.tls_cert || !*s->conf.tls_cert || !s->conf.tls_key || !*s->conf.tls_key) {
        CN_LOG(CN_LOG_ERROR, "gateway.tls_listen needs gateway.tls_cert and gateway.tls_key");
        return CN_ECONFIG;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        log_ssl_errors("new context", "");
        return CN_ENOMEM;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, s->conf.tls_cert) != 1) {
        log_ssl_errors("certificate", s->conf.tls_cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, s->conf.tls_key, SSL_FILETYPE_PEM) != 1) {
        log_ssl_errors("private key", s->conf.tls_key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        log_ssl_errors("key does not match the certificate", s->conf.tls_key);
        goto fail;
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    s->tls_ssl_ctx = ctx;
    actx->ssl_ctx = ctx;
    return 0;
fail:
    SSL_CTX_free(ctx);
    return CN_ECONFIG;
}

void gw_tls_dispose(gw_server_t *s)
{
    /* connections still open hold their own reference (SSL_new), so this is safe at exit */
    if (s->tls_ssl_ctx != NULL) {
        SSL_CTX_free(s->tls_ssl_ctx);
        s->tls_ssl_ctx = NULL;
    }
}
