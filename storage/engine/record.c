/*
 * storage/engine/record.c: encode and decode of the on-disk record (layout in storage/engine/record.h and
 * docs/STORAGE_FORMAT.md). Explicit little-endian encoding; bytes from disk are validated and
 * answered with CN_ECORRUPT, never asserted.
 */
#include "storage/engine/record.h"

#include <assert.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/proto.h"

#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_KEY_LEN 6
#define OFF_FLAGS 8
#define OFF_META_LEN 12
#define OFF_BODY_LEN 16
#define OFF_CLOCK 24
#define OFF_MTIME 32
#define OFF_ETAG_LEN 40
#define OFF_ETAG 41
#define OFF_DATA_CRC 112
#define OFF_OBJ_SIZE 116
#define OFF_HDR_CRC 124

static_assert(OFF_ETAG + STOR_ETAG_MAX == OFF_DATA_CRC, "etag field fills 41..111");
static_assert(OFF_HDR_CRC + 4 == STOR_REC_HDR, "on-disk record header is 128 bytes");

uint32_t stor_rec_data_crc(cn_slice_t key, cn_slice_t meta, cn_slice_t body)
{
    uint32_t crc = cn_crc32c(0, key.ptr, key.len);

    if (meta.len)
        crc = cn_crc32c(crc, meta.ptr, meta.len);
    if (body.len)
        crc = cn_crc32c(crc, body.ptr, body.len);
    return crc;
}

void stor_rec_encode_hdr(const stor_rec_hdr_t *h, uint8_t out[STOR_REC_HDR])
{
    size_t etag_len = strnlen(h->etag, STOR_ETAG_MAX);

    memset(out, 0, STOR_REC_HDR);
    cn_put_u32le(out + OFF_MAGIC, STOR_REC_MAGIC);
    out[OFF_VERSION] = STOR_REC_VERSION;
    out[OFF_KEY_LEN] = (uint8_t)h->key_len;
    out[OFF_KEY_LEN + 1] = (uint8_t)(h->key_len >> 8);
    cn_put_u32le(out + OFF_FLAGS, h->flags);
    cn_put_u32le(out + OFF_META_LEN, h->meta_len);
    cn_put_u64le(out + OFF_BODY_LEN, h->body_len);
    cn_put_u64le(out + OFF_CLOCK, h->clock);
    cn_put_u64le(out + OFF_MTIME, h->mtime_ms);
    out[OFF_ETAG_LEN] = (uint8_t)etag_len;
    memcpy(out + OFF_ETAG, h->etag, etag_len);
    cn_put_u32le(out + OFF_DATA_CRC, h->data_crc);
    cn_put_u64le(out + OFF_OBJ_SIZE, h->obj_size);
    cn_put_u32le(out + OFF_HDR_CRC, cn_crc32c(0, out, OFF_HDR_CRC));
}

int stor_rec_decode_hdr(const uint8_t in[STOR_REC_HDR], stor_rec_hdr_t *h)
{
    size_t etag_len;

    if (cn_get_u32le(in + OFF_MAGIC) != STOR_REC_MAGIC ||
        cn_get_u32le(in + OFF_HDR_CRC) != cn_crc32c(0, in, OFF_HDR_CRC))
        return CN_ECORRUPT;
    if (in[OFF_VERSION] != STOR_REC_VERSION || in[OFF_VERSION + 1] != 0)
        return CN_ECORRUPT;
    memset(h, 0, sizeof(*h));
    h->key_len = (uint16_t)(in[OFF_KEY_LEN] | in[OFF_KEY_LEN + 1] << 8);
    h->flags = cn_get_u32le(in + OFF_FLAGS);
    h->meta_len = cn_get_u32le(in + OFF_META_LEN);
    h->body_len = cn_get_u64le(in + OFF_BODY_LEN);
    h->clock = cn_get_u64le(in + OFF_CLOCK);
    h->mtime_ms = cn_get_u64le(in + OFF_MTIME);
    h->data_crc = cn_get_u32le(in + OFF_DATA_CRC);
    h->obj_size = cn_get_u64le(in + OFF_OBJ_SIZE);
    etag_len = in[OFF_ETAG_LEN];
    if (h->key_len == 0 || h->key_len > STOR_KEY_MAX || h->meta_len > STOR_META_MAX ||
        h->body_len > (UINT64_C(1) << 48) || h->clock == 0 || etag_len > STOR_ETAG_MAX)
        return CN_ECORRUPT;
    memcpy(h->etag, in + OFF_ETAG, etag_len);
    h->etag[etag_len] = '\0';
    return 0;
}

void stor_rec_encode(cn_buf_t *out, const stor_rec_hdr_t *h, cn_slice_t key, cn_slice_t meta,
                     cn_slice_t body)
{
    uint8_t hdr[STOR_REC_HDR];
    stor_rec_hdr_t hh = *h;

    hh.key_len = (uint16_t)key.len;
    hh.meta_len = (uint32_t)meta.len;
    hh.body_len = body.len;
    if (!(hh.flags & CN_OBJ_MANIFEST))
        hh.obj_size = body.len;
    hh.data_crc = stor_rec_data_crc(key, meta, body);
    stor_rec_encode_hdr(&hh, hdr);
    cn_buf_reserve(out, STOR_REC_HDR + key.len + meta.len + body.len);
    cn_buf_append(out, hdr, sizeof(hdr));
    cn_buf_append(out, key.ptr, key.len);
    if (meta.len)
        cn_buf_append(out, meta.ptr, meta.len);
    if (body.len)
        cn_buf_append(out, body.ptr, body.len);
}

int stor_rec_decode(const void *p, size_t len, stor_rec_hdr_t *h, cn_slice_t *key,
                    cn_slice_t *meta, cn_slice_t *body, size_t *used)
{
    const char *b = p;
    uint64_t size;
    int rc;

    if (len < STOR_REC_HDR)
        return CN_EAGAIN;
    if ((rc = stor_rec_decode_hdr((const uint8_t *)b, h)) != 0)
        return rc;
    size = stor_rec_size(h);
    if (size > len)
        return CN_EAGAIN;
    *key = cn_slice(b + STOR_REC_HDR, h->key_len);
    *meta = cn_slice(b + STOR_REC_HDR + h->key_len, h->meta_len);
    *body = cn_slice(b + STOR_REC_HDR + h->key_len + h->meta_len, (size_t)h->body_len);
    if (stor_rec_data_crc(*key, *meta, *body) != h->data_crc)
        return CN_ECORRUPT;
    *used = (size_t)size;
    return 0;
}
