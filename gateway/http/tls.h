/*
 * gateway/http/tls.h: the OpenSSL server context of the HTTPS listeners (tls.c).
 */
#ifndef CAIRN_GATEWAY_TLS_H
#define CAIRN_GATEWAY_TLS_H

typedef struct gw_server gw_server_t;
struct gw_conf;

/** Whether the configuration asks for an HTTPS listener (S3 or REST). */
int gw_tls_wanted(const struct gw_conf *c);
/** OpenSSL's version constant for conf.tls_min_version ("" or "1.2", "1.3"); 0 if invalid. */
int gw_tls_min_version(const char *v);
/** Loads conf.tls_cert/tls_key into an OpenSSL server context (tls_min_version, tls_ciphers,
 *  ALPN h2 and http/1.1) kept in s->tls_ssl_ctx, which the HTTPS listeners' accept contexts
 *  use. CN_ECONFIG (logged) when they cannot be loaded. */
int gw_tls_init(gw_server_t *s);
/** SIGHUP: loads the same files into a fresh context for new connections (open ones keep the
 *  old). On failure logs why and keeps the old context (CN_ECONFIG). 0 without TLS. */
int gw_tls_reload(gw_server_t *s);
/** Frees what gw_tls_init made (idempotent). */
void gw_tls_dispose(gw_server_t *s);
/** Another worker (on its wake-up): moves its HTTPS listeners to the context worker 0
 *  reloaded, if it did. */
void gw_tls_sync(gw_server_t *s);

#endif
