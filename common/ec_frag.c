/*
 * common/ec_frag.c: the stored form of an erasure-coded fragment (layout in ec_frag.h, reasons
 * in docs/STORAGE_FORMAT.md). CRC32C through cn_crc32c (ISA-L's crc32_iscsi), the chunk id
 * through cn_sha256. The decoder reads only the CN_FRAG_HDR_LEN bytes it checked the length
 * of, checks the magic and version before the header CRC (so that a foreign or newer record is
 * refused for what it is), then every field against the bounds version 1 allows, so a header
 * that passes describes a fragment cn_ec_* can decode. A refusal zeroes the output.
 */
#include "common/ec_frag.h"

#include <assert.h>
#include <string.h>

#include "common/buf.h"
#include "common/ec.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"

/* field offsets (ec_frag.h) */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 4,
    OFF_K = 5,
    OFF_M = 6,
    OFF_INDEX = 7,
    OFF_ID = 8,
    OFF_CLOCK = 24,
    OFF_CHUNK_LEN = 32,
    OFF_PAYLOAD_LEN = 40,
    OFF_PAYLOAD_CRC = 44,
    OFF_RESERVED = 48,
    OFF_HDR_CRC = 60,
};

static_assert(OFF_HDR_CRC + 4 == CN_FRAG_HDR_LEN, "the header CRC ends the header");
static_assert(OFF_ID + CN_FRAG_ID_LEN == OFF_CLOCK, "no gap after the chunk id");
static_assert(CN_FRAG_ID_LEN <= CN_SHA256_LEN, "the id is a prefix of a SHA-256");
static_assert(CN_EC_MAX_FRAGS <= 255, "K, M and index are one byte each");

void cn_frag_chunk_id(const void *key, size_t len, uint8_t id[CN_FRAG_ID_LEN])
{
    uint8_t sum[CN_SHA256_LEN];

    cn_sha256(key, len, sum);
    memcpy(id, sum, CN_FRAG_ID_LEN);
}

/* 1 when the fields describe a fragment version 1 allows. */
static int valid(unsigned k, unsigned m, unsigned index, uint64_t chunk_len, uint64_t payload_len)
{
    return k >= 1 && m >= 1 && k + m <= CN_EC_MAX_FRAGS && index < k + m &&
           chunk_len <= CN_EC_CHUNK_MAX && payload_len == cn_ec_frag_len_k(k, chunk_len);
}

void cn_frag_hdr_encode(const cn_frag_hdr_t *h, uint8_t out[CN_FRAG_HDR_LEN])
{
    CN_ASSERT(valid(h->k, h->m, h->index, h->chunk_len, h->payload_len));
    memset(out, 0, CN_FRAG_HDR_LEN);
    cn_put_u32le(out + OFF_MAGIC, CN_FRAG_MAGIC);
    out[OFF_VERSION] = CN_FRAG_VERSION;
    out[OFF_K] = h->k;
    out[OFF_M] = h->m;
    out[OFF_INDEX] = h->index;
    memcpy(out + OFF_ID, h->chunk_id, CN_FRAG_ID_LEN);
    cn_put_u64le(out + OFF_CLOCK, h->clock);
    cn_put_u64le(out + OFF_CHUNK_LEN, h->chunk_len);
    cn_put_u32le(out + OFF_PAYLOAD_LEN, h->payload_len);
    cn_put_u32le(out + OFF_PAYLOAD_CRC, h->payload_crc);
    cn_put_u32le(out + OFF_HDR_CRC, cn_crc32c(0, out, OFF_HDR_CRC));
}

void cn_frag_encode(cn_frag_hdr_t *h, const void *payload, uint8_t out[CN_FRAG_HDR_LEN])
{
    CN_ASSERT(h->k >= 1 && h->chunk_len <= CN_EC_CHUNK_MAX);
    h->payload_len = (uint32_t)cn_ec_frag_len_k(h->k, h->chunk_len);
    h->payload_crc = cn_crc32c(0, payload, h->payload_len);
    cn_frag_hdr_encode(h, out);
}

int cn_frag_hdr_decode(const void *p, size_t len, cn_frag_hdr_t *out)
{
    const uint8_t *b = p;
    cn_frag_hdr_t h;

    memset(out, 0, sizeof(*out));
    if (len < CN_FRAG_HDR_LEN || cn_get_u32le(b + OFF_MAGIC) != CN_FRAG_MAGIC ||
        b[OFF_VERSION] != CN_FRAG_VERSION ||
        cn_get_u32le(b + OFF_HDR_CRC) != cn_crc32c(0, b, OFF_HDR_CRC))
        return CN_ECORRUPT;
    for (size_t i = OFF_RESERVED; i < OFF_HDR_CRC; i++)
        if (b[i] != 0)
            return CN_ECORRUPT;
    memset(&h, 0, sizeof(h));
    h.k = b[OFF_K];
    h.m = b[OFF_M];
    h.index = b[OFF_INDEX];
    memcpy(h.chunk_id, b + OFF_ID, CN_FRAG_ID_LEN);
    h.clock = cn_get_u64le(b + OFF_CLOCK);
    h.chunk_len = cn_get_u64le(b + OFF_CHUNK_LEN);
    h.payload_len = cn_get_u32le(b + OFF_PAYLOAD_LEN);
    h.payload_crc = cn_get_u32le(b + OFF_PAYLOAD_CRC);
    if (!valid(h.k, h.m, h.index, h.chunk_len, h.payload_len))
        return CN_ECORRUPT;
    *out = h;
    return 0;
}

int cn_frag_check_payload(const cn_frag_hdr_t *h, const void *payload, size_t len)
{
    if (len != h->payload_len || cn_crc32c(0, payload, len) != h->payload_crc)
        return CN_ECORRUPT;
    return 0;
}

int cn_frag_decode(const void *p, size_t len, cn_frag_hdr_t *out, const uint8_t **payload)
{
    const uint8_t *b = p;
    int rc;

    *payload = NULL;
    if ((rc = cn_frag_hdr_decode(p, len, out)) != 0)
        return rc;
    if (cn_frag_check_payload(out, b + CN_FRAG_HDR_LEN, len - CN_FRAG_HDR_LEN) != 0) {
        memset(out, 0, sizeof(*out));
        return CN_ECORRUPT;
    }
    *payload = b + CN_FRAG_HDR_LEN;
    return 0;
}

int cn_frag_pick_write(const cn_frag_hdr_t *hdr, const uint8_t *ok, size_t n, unsigned k)
{
    int best = -1;

    for (size_t i = 0; i < n; i++) {
        uint8_t seen[CN_EC_MAX_FRAGS] = {0};
        unsigned have = 0;

        if (!ok[i] || (best >= 0 && hdr[i].clock <= hdr[best].clock))
            continue;
        for (size_t j = 0; j < n; j++)
            if (ok[j] && hdr[j].index < CN_EC_MAX_FRAGS && !seen[hdr[j].index] &&
                cn_frag_same_chunk(&hdr[j], &hdr[i])) {
                seen[hdr[j].index] = 1;
                have++;
            }
        if (have >= k)
            best = (int)i;
    }
    return best;
}

int cn_frag_same_chunk(const cn_frag_hdr_t *a, const cn_frag_hdr_t *b)
{
    return memcmp(a->chunk_id, b->chunk_id, CN_FRAG_ID_LEN) == 0 && a->clock == b->clock &&
           a->k == b->k && a->m == b->m && a->chunk_len == b->chunk_len;
}
