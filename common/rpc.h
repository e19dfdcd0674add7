/*
 * common/rpc.h: cluster RPC between cairn daemons, over libuv TCP.
 *
 * Wire: each frame is a 4-byte big-endian payload length followed by a msgpack array
 *   [kind, request id, op, fields map, body]
 * kind: 0 request, 1 response, 2 hello (handshake). fields: map of string -> int | str/bin.
 * body: bin (may be empty). A response carries the request's id and op and the field "rc"
 * (0 or a CN_E* code). Requests are pipelined: a client may have many in flight on one
 * connection and responses may come back in any order.
 *
 * Handshake (cluster secret; a stranger cannot join): on accept the server sends
 * hello {nonce: 32 random bytes}; the client answers hello {name, mac: HMAC-SHA256(secret,
 * nonce)}; the server checks the MAC in constant time and answers hello {rc: 0}, or
 * {rc: CN_EAUTH} and closes. Nothing else is accepted before that.
 *
 * Per-peer secrets (issue 22): a link server serves several remote clusters, each linked by
 * its own shared secret, and picks the secret by the name (the cluster id) the client gives
 * in its hello. A server with secret_fn looks the name up at hello time, on its loop thread,
 * so a secret changed later applies from the next connection; an unknown name is refused
 * exactly like a bad MAC. Without secret_fn every peer shares the one cluster secret.
 *
 * TLS (optional, OpenSSL, TLS 1.2 minimum): with a cn_rpc_tls_t on both ends, the TLS
 * handshake runs first on the TCP connection and the frames above, the hello included,
 * travel inside it. The client checks the server's chain against its CA file and the
 * server's certificate against the host it connects to (subjectAltName IP for an IP
 * literal). TLS protects the link between clusters over networks we do not own; the secret
 * handshake still decides who may talk. Both ends must agree: a plain end and a TLS end
 * never get to the hello (see cn_rpc_done_fn for what the client sees).
 *
 * Threads: every object here belongs to the loop it was made on; use it from that thread only.
 * Ownership: cn_msg_t is owned by whoever holds it; calls that take a message say so.
 */
#ifndef CAIRN_COMMON_RPC_H
#define CAIRN_COMMON_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "common/buf.h"

#define CN_RPC_MAX_FRAME_DEFAULT (64u << 20) /* payload bytes; larger frames are refused */
#define CN_RPC_TIMEOUT_DEFAULT_MS 10000

enum cn_rpc_kind { CN_RPC_REQ = 0, CN_RPC_RESP = 1, CN_RPC_HELLO = 2 };

/* ---- messages ---------------------------------------------------------------------- */

typedef struct cn_msg cn_msg_t;

/** A new message for op (at most 31 bytes). */
cn_msg_t *cn_msg_new(const char *op);
void cn_msg_free(cn_msg_t *m);
/** A copy of m (op, kind, id, fields, body), owned by the caller. A borrowed body
 *  (cn_msg_set_body_ref) is borrowed by the copy too, not copied. */
cn_msg_t *cn_msg_dup(const cn_msg_t *m);
const char *cn_msg_op(const cn_msg_t *m);
int cn_msg_kind(const cn_msg_t *m);
uint64_t cn_msg_id(const cn_msg_t *m);

/** Setters replace a field of the same name; values are copied. */
void cn_msg_set_u64(cn_msg_t *m, const char *name, uint64_t v);
void cn_msg_set_i64(cn_msg_t *m, const char *name, int64_t v);
void cn_msg_set_bytes(cn_msg_t *m, const char *name, const void *p, size_t len);
void cn_msg_set_str(cn_msg_t *m, const char *name, const char *s);
/** Getters return 0, CN_ENOENT when the field is absent, CN_EINVAL when it has another type.
 *  Integers: a non-negative i64 reads as u64 and a u64 <= INT64_MAX reads as i64.
 *  Bytes are borrowed and live as long as m. */
int cn_msg_get_u64(const cn_msg_t *m, const char *name, uint64_t *out);
int cn_msg_get_i64(const cn_msg_t *m, const char *name, int64_t *out);
int cn_msg_get_bytes(const cn_msg_t *m, const char *name, cn_slice_t *out);
/** Optional fields: as the getters, but an absent field is 0 with *out = def (u64) or empty
 *  (bytes); CN_EINVAL when the field has another type. */
int cn_msg_opt_u64(const cn_msg_t *m, const char *name, uint64_t def, uint64_t *out);
int cn_msg_opt_bytes(const cn_msg_t *m, const char *name, cn_slice_t *out);
/** Copies a bytes field into out as a NUL-terminated string; CN_E2BIG if it does not fit
 *  (or contains a NUL). */
int cn_msg_get_str(const cn_msg_t *m, const char *name, char *out, size_t outlen);
/** The response code: field "rc", 0 when absent. */
int cn_msg_rc(const cn_msg_t *m);
void cn_msg_set_rc(cn_msg_t *m, int rc);

/** Body: set_body takes ownership of data (allocated with cn_malloc); set_body_copy copies. */
void cn_msg_set_body(cn_msg_t *m, void *data, size_t len);
void cn_msg_set_body_copy(cn_msg_t *m, const void *data, size_t len);
/** Borrows data as the body, without copying: the caller keeps data valid and unchanged until
 *  m and every cn_msg_dup of it are freed (cn_rpc_call encodes its request at once, so there
 *  only until the call's retries are over). Never freed by m. */
void cn_msg_set_body_ref(cn_msg_t *m, const void *data, size_t len);
cn_slice_t cn_msg_body(const cn_msg_t *m);
/** Takes the body out of m (free with cn_free; a borrowed body is copied); m keeps an empty
 *  body. */
void *cn_msg_steal_body(cn_msg_t *m, size_t *len);

/** Appends one whole frame (length prefix + payload) to out. */
void cn_msg_encode(const cn_msg_t *m, int kind, uint64_t id, cn_buf_t *out);
/** Decodes one payload (without the length prefix). Returns 0 or CN_EPROTO for bytes that
 *  are not a well-formed frame. */
int cn_msg_decode(const void *payload, size_t len, cn_msg_t **out);

/* ---- frame reader: bytes in, messages out (exposed for tests and fuzzing) ------------ */

typedef struct cn_frame_reader {
    cn_buf_t buf;
    size_t max_frame;
} cn_frame_reader_t;

void cn_frame_reader_init(cn_frame_reader_t *r, size_t max_frame);
void cn_frame_reader_dispose(cn_frame_reader_t *r);
void cn_frame_reader_feed(cn_frame_reader_t *r, const void *p, size_t n);
/** Returns 1 and a message in *out, 0 when more bytes are needed, CN_E2BIG for a frame over
 *  max_frame (the stream is then unusable), CN_EPROTO for a malformed payload. */
int cn_frame_reader_next(cn_frame_reader_t *r, cn_msg_t **out);

/* ---- TLS --------------------------------------------------------------------------- */

/** A TLS configuration, shared by any number of servers or clients (on any threads). It is
 *  refcounted: every server and client made with it holds a reference until it is freed, so
 *  the caller may cn_rpc_tls_free() its own as soon as it has started them. */
typedef struct cn_rpc_tls cn_rpc_tls_t;

/** A server side: cert_file is a PEM certificate chain (the server's first), key_file its
 *  PEM private key. Returns 0, or CN_EINVAL (the OpenSSL reason logged) for a file that
 *  cannot be read or parsed, or a key that does not match the certificate. */
int cn_rpc_tls_server_new(const char *cert_file, const char *key_file, cn_rpc_tls_t **out);
/** A client side: servers must present a chain that ca_file (PEM, one or more CAs) signed,
 *  for the host the client connects to. Returns 0 or CN_EINVAL (logged). */
int cn_rpc_tls_client_new(const char *ca_file, cn_rpc_tls_t **out);
/** Drops the caller's reference (NULL is a no-op). Any thread. */
void cn_rpc_tls_free(cn_rpc_tls_t *t);

/* ---- server ------------------------------------------------------------------------ */

typedef struct cn_rpc_server cn_rpc_server_t;
typedef struct cn_rpc_conn cn_rpc_conn_t;

/** Called for each request on an authenticated connection. The handler owns req and must
 *  answer exactly once with cn_rpc_reply(), now or later. conn stays valid (referenced by the
 *  pending request) until that reply, even if the peer has gone (the reply is then dropped). */
typedef void (*cn_rpc_handler_fn)(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata);

/** The secret of the peer that names itself peer_name in its hello: returns 0 with the
 *  NUL-terminated secret in secret (cap bytes), or non-zero when the name is unknown (the
 *  handshake is then refused like a bad MAC). Called on the server's loop thread at every
 *  hello; it must not block. */
typedef int (*cn_rpc_secret_fn)(const char *peer_name, char *secret, size_t cap, void *arg);

typedef struct cn_rpc_server_opts {
    const char *host;          /* listen address, e.g. "127.0.0.1" */
    int port;                  /* 0 picks a free port: read it back with cn_rpc_server_port */
    const char *secret;        /* cluster secret; may be NULL when secret_fn is set */
    size_t max_frame;          /* 0 = CN_RPC_MAX_FRAME_DEFAULT */
    cn_rpc_handler_fn handler;
    void *udata;
    const cn_rpc_tls_t *tls;   /* a cn_rpc_tls_server_new context, or NULL for plain TCP */
    cn_rpc_secret_fn secret_fn; /* per-peer secrets; NULL = secret for every peer */
    void *secret_arg;          /* for secret_fn */
} cn_rpc_server_opts_t;

/** Binds and listens. Returns 0 or a CN_E* code (CN_EINVAL bad address, no secret nor
 *  secret_fn, a client-side tls; -EADDRINUSE...). The server takes its own reference to
 *  opts->tls and copies secret. */
int cn_rpc_server_start(uv_loop_t *loop, const cn_rpc_server_opts_t *opts,
                        cn_rpc_server_t **out);
int cn_rpc_server_port(const cn_rpc_server_t *s);
/** Closes the listener and every connection; memory is freed from close callbacks, so run
 *  the loop afterwards. Replies to requests still pending are dropped. */
void cn_rpc_server_stop(cn_rpc_server_t *s);
/** Answers req with resp (takes ownership of resp; req's id and op are copied onto it and
 *  req is freed by this call). */
void cn_rpc_reply(cn_rpc_conn_t *conn, cn_msg_t *req, cn_msg_t *resp);
/** The peer's name from the handshake. Borrowed, valid until the reply. */
const char *cn_rpc_conn_peer(const cn_rpc_conn_t *conn);

/* ---- client ------------------------------------------------------------------------ */

typedef struct cn_rpc_client cn_rpc_client_t;

/** Completion: status 0 and a response (owned by the callback) or status < 0 (CN_ETIMEDOUT,
 *  CN_ECONNREFUSED, CN_ECONNRESET, CN_EAUTH, CN_ECANCELED when the client is destroyed) and
 *  resp NULL. A response whose own "rc" is an error still has status 0.
 *  With TLS: CN_EAUTH also when the server's certificate is refused, CN_EPROTO for another
 *  TLS failure (a plain server answers a TLS client with bytes that are not TLS). A plain
 *  client of a TLS server waits for a hello that never comes: CN_ETIMEDOUT at the call's
 *  deadline (the server logs the connection that left in the middle of its handshake). */
typedef void (*cn_rpc_done_fn)(int status, cn_msg_t *resp, void *arg);

/** A client for one peer address. It connects lazily on the first call, queues calls during
 *  connect and handshake, and reconnects on the next call after a failure. */
int cn_rpc_client_create(uv_loop_t *loop, const char *host, int port, const char *secret,
                         const char *self_name, cn_rpc_client_t **out);

typedef struct cn_rpc_client_opts {
    const char *host;          /* IP literal or "localhost"; with tls, the certificate's name */
    int port;
    const char *secret;        /* the secret the server knows self_name by */
    const char *self_name;     /* the name in the hello (a link: this cluster's id) */
    const cn_rpc_tls_t *tls;   /* a cn_rpc_tls_client_new context, or NULL for plain TCP */
} cn_rpc_client_opts_t;

/** cn_rpc_client_create with options; the strings are copied and the client takes its own
 *  reference to o->tls. CN_EINVAL for a bad address, no secret or a server-side tls. */
int cn_rpc_client_create_opts(uv_loop_t *loop, const cn_rpc_client_opts_t *o,
                              cn_rpc_client_t **out);
/** Sends req (takes ownership) and calls cb exactly once, never from inside this call. */
void cn_rpc_call(cn_rpc_client_t *c, cn_msg_t *req, uint64_t timeout_ms, cn_rpc_done_fn cb,
                 void *arg);
/** Fails every pending call with CN_ECANCELED and frees the client once its handle closes. */
void cn_rpc_client_destroy(cn_rpc_client_t *c);
/** 1 when a connection is established and authenticated. */
int cn_rpc_client_connected(const cn_rpc_client_t *c);

/** Blocking call on a private loop, for CLIs, tools and tests (never from a daemon's loop).
 *  Returns 0 with *resp (free it) or a CN_E* status. Takes ownership of req. */
int cn_rpc_call_sync(const char *host, int port, const char *secret, const char *self_name,
                     cn_msg_t *req, uint64_t timeout_ms, cn_msg_t **resp);
/** cn_rpc_call_sync with client options (TLS). */
int cn_rpc_call_sync_opts(const cn_rpc_client_opts_t *o, cn_msg_t *req, uint64_t timeout_ms,
                          cn_msg_t **resp);

#endif
