/*
 * common/rpc_int.h: internals shared by the RPC files of common/ (rpc_msg.c, rpc_frame.c,
 * rpc_server.c, rpc_client.c, rpc_tls.c) and by proto.c. Not a public contract: daemons use
 * rpc.h.
 *
 * - A strict msgpack reader (cn__mp_*) for the small subset the wire uses: ints, str, bin,
 *   array and map headers. It never allocates and never reads past its end; anything else
 *   (nil, bool, float, ext, a truncated item) is CN_EPROTO. msgpack-c's unpacker is not
 *   used for peer bytes because it allocates a container's element table from the claimed
 *   count before reading any element (a 5-byte frame could ask for gigabytes).
 * - An intrusive doubly linked queue (libuv's QUEUE idea).
 * - The write helper both ends use: one uv_write per frame, the buffer owned by the request.
 * - The per-connection stream (rpc_tls.c) the server and the client read and write frames
 *   through: plain (straight to the write helper and the frame reader) or TLS.
 */
#ifndef CAIRN_COMMON_RPC_INT_H
#define CAIRN_COMMON_RPC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "common/buf.h"
#include "common/rpc.h"

#define CN__RPC_OP_HELLO "hello"
#define CN__RPC_NONCE_LEN 32
#define CN__RPC_NAME_MAX 31   /* op and field names */
#define CN__RPC_MAX_FIELDS 64
#define CN__RPC_READ_SIZE 65536

/* ---- strict msgpack reader ---------------------------------------------------------- */

enum cn__mp_type { CN__MP_UINT, CN__MP_NINT, CN__MP_STR, CN__MP_BIN, CN__MP_ARRAY, CN__MP_MAP };

typedef struct cn__mp_rd {
    const uint8_t *p;
    const uint8_t *end;
} cn__mp_rd_t;

typedef struct cn__mp_obj {
    int type;          /* enum cn__mp_type */
    uint64_t u;        /* CN__MP_UINT value; ARRAY/MAP element count */
    int64_t i;         /* CN__MP_NINT value (< 0) */
    cn_slice_t raw;    /* CN__MP_STR / CN__MP_BIN bytes, borrowed from the input */
} cn__mp_obj_t;

static inline void cn__mp_rd_init(cn__mp_rd_t *rd, const void *p, size_t len)
{
    rd->p = p;
    rd->end = rd->p + len;
}
static inline size_t cn__mp_rd_left(const cn__mp_rd_t *rd)
{
    return (size_t)(rd->end - rd->p);
}
/** Reads one item (a container only by its header). 0 or CN_EPROTO. */
int cn__mp_next(cn__mp_rd_t *rd, cn__mp_obj_t *o);
/** Reads one item that must be of type want. 0 or CN_EPROTO. */
int cn__mp_expect(cn__mp_rd_t *rd, int want, cn__mp_obj_t *o);

/** msgpack-c packer writing into a cn_buf_t (the packer's data pointer is the buffer). */
int cn__mp_buf_write(void *data, const char *p, size_t n);

/* ---- intrusive queue ---------------------------------------------------------------- */

typedef struct cn__q {
    struct cn__q *next;
    struct cn__q *prev;
} cn__q_t;

#define CN__Q_DATA(ptr, type, field) ((type *)((char *)(ptr) - offsetof(type, field)))

static inline void cn__q_init(cn__q_t *h)
{
    h->next = h->prev = h;
}
static inline int cn__q_empty(const cn__q_t *h)
{
    return h->next == h;
}
static inline void cn__q_insert_tail(cn__q_t *h, cn__q_t *n)
{
    n->next = h;
    n->prev = h->prev;
    h->prev->next = n;
    h->prev = n;
}
static inline void cn__q_remove(cn__q_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

/* ---- writes ------------------------------------------------------------------------- */

/** Encodes m as one frame of kind/id and writes it on s. Returns 0 or a CN_E* code (the
 *  stream is then broken; the caller closes it). Does not take m. */
int cn__rpc_write_msg(uv_stream_t *s, const cn_msg_t *m, int kind, uint64_t id);
/** Writes an already encoded frame on s; the bytes move out of frame (left empty) into the
 *  write request. Returns 0 or a CN_E* code. */
int cn__rpc_write_raw(uv_stream_t *s, cn_buf_t *frame);
/** Sets kind and id on a message (decode sets them from the wire). */
void cn__msg_set_header(cn_msg_t *m, int kind, uint64_t id, const char *op);
/** libuv writes with write(2): a peer that reset the connection would raise SIGPIPE and
 *  kill the process. Sets SIGPIPE to SIG_IGN unless the program installed its own handler. */
void cn__rpc_ignore_sigpipe(void);
/** Constant-time comparison of n bytes: 0 when equal. */
int cn__rpc_memneq(const void *a, const void *b, size_t n);

/* ---- the stream: plain or TLS (rpc_tls.c) -------------------------------------------- */

/** A reference to t for a server or client (drop it with cn_rpc_tls_free). Any thread. */
cn_rpc_tls_t *cn__rpc_tls_ref(const cn_rpc_tls_t *t);
/** 1 for a cn_rpc_tls_server_new context, 0 for a client's. */
int cn__rpc_tls_is_server(const cn_rpc_tls_t *t);

struct cn__rpc_tls_conn;

/** A connection's byte stream. tls == NULL is the plain stream: writes go straight to s and
 *  read bytes straight to the frame reader, exactly as before TLS existed. */
typedef struct cn__rpc_stream {
    uv_stream_t *s;
    struct cn__rpc_tls_conn *tls;
} cn__rpc_stream_t;

/** Sets st up on the TCP handle s; with tls, makes the connection's SSL (server or client
 *  side as tls is). verify_host (client side) is the name or IP literal the server's
 *  certificate must carry; label ("peer=ip:port") names the connection in logs. Returns 0
 *  or CN_ENOMEM (logged). Release with cn__rpc_stream_dispose. */
int cn__rpc_stream_init(cn__rpc_stream_t *st, uv_stream_t *s, const cn_rpc_tls_t *tls,
                        const char *verify_host, const char *label);
void cn__rpc_stream_dispose(cn__rpc_stream_t *st);
/** Once the TCP connection is up: a TLS client sends its ClientHello. 0 or a CN_E* code. */
int cn__rpc_stream_start(cn__rpc_stream_t *st);
/** 1 while a TLS handshake is not over (for the log line of a peer that leaves then). */
int cn__rpc_stream_handshaking(const cn__rpc_stream_t *st);
/** As cn__rpc_write_raw: frame is left empty. Frames written during the TLS handshake are
 *  held and sent, in order, when it is over. Returns 0 or a CN_E* code (close the stream). */
int cn__rpc_stream_write(cn__rpc_stream_t *st, cn_buf_t *frame);
/** As cn__rpc_write_msg, through st. */
int cn__rpc_stream_write_msg(cn__rpc_stream_t *st, const cn_msg_t *m, int kind, uint64_t id);
/** Bytes read from the socket: plain, into rd; TLS, through the handshake and SSL_read into
 *  rd. Returns 0, or (logged once) CN_EAUTH when the server's certificate was refused,
 *  CN_EPROTO for any other TLS failure, CN_ECONNRESET when the peer closed TLS: then close
 *  the connection. Frames are then taken out with cn_frame_reader_next as before. */
int cn__rpc_stream_feed(cn__rpc_stream_t *st, const void *p, size_t n, cn_frame_reader_t *rd);

#endif
