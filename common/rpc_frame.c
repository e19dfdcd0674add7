/*
 * common/rpc_frame.c: the frame reader (bytes in, messages out) and the frame writer both
 * RPC ends use.
 * Invariants: r->buf holds the unread bytes of the stream, starting at a frame boundary.
 * The 4-byte length prefix is checked against max_frame before the payload is waited for,
 * so a peer cannot make the reader hold more than max_frame + one read of bytes; the buffer
 * only grows with bytes that actually arrived.
 */
#include "common/rpc.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rpc_int.h"

void cn_frame_reader_init(cn_frame_reader_t *r, size_t max_frame)
{
    cn_buf_init(&r->buf);
    r->max_frame = max_frame ? max_frame : CN_RPC_MAX_FRAME_DEFAULT;
}

void cn_frame_reader_dispose(cn_frame_reader_t *r)
{
    cn_buf_dispose(&r->buf);
}

void cn_frame_reader_feed(cn_frame_reader_t *r, const void *p, size_t n)
{
    if (n > 0)
        cn_buf_append(&r->buf, p, n);
}

int cn_frame_reader_next(cn_frame_reader_t *r, cn_msg_t **out)
{
    uint32_t plen;
    int rc;

    *out = NULL;
    if (r->buf.len < 4)
        return 0;
    plen = cn_get_u32be(r->buf.data);
    if (plen > r->max_frame)
        return CN_E2BIG;
    if (r->buf.len - 4 < plen)
        return 0;
    rc = cn_msg_decode(r->buf.data + 4, plen, out);
    cn_buf_consume(&r->buf, 4 + (size_t)plen);
    if (rc != 0)
        return rc == CN_ENOMEM ? rc : CN_EPROTO;
    return 1;
}

/* ---- writes ------------------------------------------------------------------------- */

struct wreq {
    uv_write_t req;
    cn_buf_t buf;
};

static void on_write(uv_write_t *req, int status)
{
    struct wreq *w = CN__Q_DATA(req, struct wreq, req);

    /* A failed write surfaces as a read error or EOF on the same stream; nothing to do. */
    cn_buf_dispose(&w->buf);
    cn_free(w);
}

int cn__rpc_write_raw(uv_stream_t *s, cn_buf_t *frame)
{
    struct wreq *w = cn_calloc(1, sizeof(*w));
    uv_buf_t b;
    int rc;

    w->buf = *frame;
    cn_buf_init(frame);
    b = uv_buf_init(w->buf.data, (unsigned)w->buf.len);
    if ((rc = uv_write(&w->req, s, &b, 1, on_write)) != 0) {
        cn_buf_dispose(&w->buf);
        cn_free(w);
        return rc;
    }
    return 0;
}

int cn__rpc_write_msg(uv_stream_t *s, const cn_msg_t *m, int kind, uint64_t id)
{
    cn_buf_t frame;

    cn_buf_init(&frame);
    cn_msg_encode(m, kind, id, &frame);
    return cn__rpc_write_raw(s, &frame);
}

void cn__rpc_ignore_sigpipe(void)
{
    struct sigaction sa;

    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        (void)sigaction(SIGPIPE, &sa, NULL);
    }
}

int cn__rpc_memneq(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;

    for (size_t k = 0; k < n; k++)
        d |= x[k] ^ y[k];
    return d != 0;
}
