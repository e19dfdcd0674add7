/*
 * storage/engine/record.h: the on-disk record of a container (docs/STORAGE_FORMAT.md).
 *
 * A record is a fixed 128-byte little-endian header, then the key, the metadata and the body:
 *
 *   off size field
 *     0    4 magic        "CNR1" (0x31524e43 read as u32le)
 *     4    2 version      1
 *     6    2 key_len      1..STOR_KEY_MAX
 *     8    4 flags        CN_OBJ_* (tombstone, manifest)
 *    12    4 meta_len     <= STOR_META_MAX
 *    16    8 body_len     64-bit
 *    24    8 clock        HLC ns, > 0
 *    32    8 mtime_ms
 *    40    1 etag_len     <= STOR_ETAG_MAX
 *    41   71 etag         zero padded
 *   112    4 data_crc     CRC32C of key | meta | body
 *   116    8 obj_size     the object's size: body_len, or for a chunk manifest
 *                         (CN_OBJ_MANIFEST) the size of the whole chunked object
 *   124    4 hdr_crc      CRC32C of bytes 0..123
 *
 * Everything is encoded with cn_put_*; a header is never cast to a struct. Decoding checks the
 * magic, version, ranges and hdr_crc, so a flipped byte anywhere in the header is CN_ECORRUPT;
 * data_crc catches one anywhere in key, meta or body.
 * Threads: pure functions, thread-safe.
 */
#ifndef CAIRN_STORAGE_RECORD_H
#define CAIRN_STORAGE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "storage/engine/engine.h"

#define STOR_REC_MAGIC 0x31524e43u /* "CNR1" */
#define STOR_REC_VERSION 1
#define STOR_REC_HDR 128

/** A decoded header. etag is NUL-terminated. */
typedef struct stor_rec_hdr {
    uint32_t flags;
    uint16_t key_len;
    uint32_t meta_len;
    uint64_t body_len;
    uint64_t obj_size;
    uint64_t clock;
    uint64_t mtime_ms;
    uint32_t data_crc;
    char etag[STOR_ETAG_MAX + 1];
} stor_rec_hdr_t;

/** Bytes of the whole record (header + key + meta + body). */
static inline uint64_t stor_rec_size(const stor_rec_hdr_t *h)
{
    return STOR_REC_HDR + (uint64_t)h->key_len + h->meta_len + h->body_len;
}

/** CRC32C of key | meta | body, chainable pieces for callers holding them apart. */
uint32_t stor_rec_data_crc(cn_slice_t key, cn_slice_t meta, cn_slice_t body);

/** Encodes h into out (STOR_REC_HDR bytes), computing hdr_crc. h->data_crc must be set. */
void stor_rec_encode_hdr(const stor_rec_hdr_t *h, uint8_t out[STOR_REC_HDR]);

/** Decodes and checks a header: 0 or CN_ECORRUPT (bad magic, version, crc or range). */
int stor_rec_decode_hdr(const uint8_t in[STOR_REC_HDR], stor_rec_hdr_t *h);

/** Encodes a whole record into out (appended). For tests, tools and the fuzzer. */
void stor_rec_encode(cn_buf_t *out, const stor_rec_hdr_t *h, cn_slice_t key, cn_slice_t meta,
                     cn_slice_t body);

/** Decodes a whole record from p (len bytes available). On 0, *h is filled, key/meta/body
 *  point into p and *used is the record's size. CN_EAGAIN when p holds only part of a record
 *  (a torn tail), CN_ECORRUPT on any checksum or format error. */
int stor_rec_decode(const void *p, size_t len, stor_rec_hdr_t *h, cn_slice_t *key,
                    cn_slice_t *meta, cn_slice_t *body, size_t *used);

#endif
