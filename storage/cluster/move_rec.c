/*
 * storage/cluster/move_rec.c: the records of a batched move (op "move", docs/PROTOCOL.md,
 * "Batched moves"), one after another in the request body, little-endian:
 *   u16 key_len | key | u64 clock | u64 size | u64 mtime_ms | u32 flags | u8 etag_len | etag
 *   | u32 meta_len | meta | u64 body_len | body
 * A check request carries the same records with no meta and no body. A record is a version
 * as stor_engine_stat returns it (tombstones too); the decoder borrows from the input and
 * refuses anything that does not fit (CN_EPROTO), never trusting a length.
 * Threads: any (pure functions).
 */
#include "storage/cluster/cluster.h"

#include <string.h>

#include "common/err.h"

#define REC_FIXED (2 + 8 + 8 + 8 + 4 + 1 + 4 + 8)

void stor_move_rec_encode(cn_buf_t *b, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body)
{
    size_t el = strnlen(m->etag, STOR_ETAG_MAX);
    char f[8];

    f[0] = (char)(key.len & 0xff);
    f[1] = (char)(key.len >> 8);
    cn_buf_append(b, f, 2);
    cn_buf_append(b, key.ptr, key.len);
    cn_put_u64le(f, m->clock);
    cn_buf_append(b, f, 8);
    cn_put_u64le(f, m->size);
    cn_buf_append(b, f, 8);
    cn_put_u64le(f, m->mtime_ms);
    cn_buf_append(b, f, 8);
    cn_put_u32le(f, m->flags);
    cn_buf_append(b, f, 4);
    f[0] = (char)el;
    cn_buf_append(b, f, 1);
    cn_buf_append(b, m->etag, el);
    cn_put_u32le(f, (uint32_t)m->meta.len);
    cn_buf_append(b, f, 4);
    if (m->meta.len > 0)
        cn_buf_append(b, m->meta.ptr, m->meta.len);
    cn_put_u64le(f, body.len);
    cn_buf_append(b, f, 8);
    if (body.len > 0)
        cn_buf_append(b, body.ptr, body.len);
}

/* Takes n bytes from *in into *out; 0 or CN_EPROTO. */
static int take(cn_slice_t *in, uint64_t n, cn_slice_t *out)
{
    if (n > in->len)
        return CN_EPROTO;
    *out = cn_slice(in->ptr, (size_t)n);
    in->ptr += n;
    in->len -= (size_t)n;
    return 0;
}

int stor_move_rec_decode(cn_slice_t *in, cn_slice_t *key, stor_obj_meta_t *m, cn_slice_t *body)
{
    cn_slice_t f, etag;
    uint64_t n;

    memset(m, 0, sizeof(*m));
    if (in->len < REC_FIXED || take(in, 2, &f) != 0)
        return CN_EPROTO;
    n = (uint8_t)f.ptr[0] | ((uint64_t)(uint8_t)f.ptr[1] << 8);
    if (n == 0 || n > STOR_KEY_MAX || take(in, n, key) != 0 || take(in, 8 + 8 + 8 + 4 + 1, &f) != 0)
        return CN_EPROTO;
    m->clock = cn_get_u64le(f.ptr);
    m->size = cn_get_u64le(f.ptr + 8);
    m->mtime_ms = cn_get_u64le(f.ptr + 16);
    m->flags = cn_get_u32le(f.ptr + 24) & ~CN_OBJ_JOURNALED; /* never from the wire */
    n = (uint8_t)f.ptr[28];
    if (n > STOR_ETAG_MAX || take(in, n, &etag) != 0)
        return CN_EPROTO;
    memcpy(m->etag, etag.ptr, etag.len);
    m->etag[etag.len] = '\0';
    if (take(in, 4, &f) != 0 || (n = cn_get_u32le(f.ptr)) > STOR_META_MAX ||
        take(in, n, &m->meta) != 0 || take(in, 8, &f) != 0 ||
        take(in, cn_get_u64le(f.ptr), body) != 0)
        return CN_EPROTO;
    if (m->clock == 0)
        return CN_EPROTO;
    return 0;
}
