/*
 * common/ec_frag.h: the stored form of one erasure-coded fragment (issue 21): a fixed
 * CN_FRAG_HDR_LEN-byte header, then the fragment's payload (cn_ec_encode's output for its
 * index). Pure: no I/O, no logging. Layout and reasons: docs/STORAGE_FORMAT.md, "Erasure-coded
 * fragments (issue 21): the format". All integers little-endian, encoded explicitly:
 *
 *     0  4  magic "CNEF" (0x46454e43)          32  8  chunk length L (<= CN_EC_CHUNK_MAX)
 *     4  1  version (1)                        40  4  payload length (== ceil(L / K))
 *     5  1  K (data fragments)                 44  4  payload CRC32C
 *     6  1  M (parity fragments)               48 12  zero (reserved)
 *     7  1  index (0..K+M-1; < K is data)      60  4  header CRC32C of bytes 0..59
 *     8 16  chunk id
 *    24  8  clock (the chunk's write)
 *
 * The chunk id is 16 bytes, not the chunk's key: the first 16 bytes of SHA-256 of the key
 * (cn_frag_chunk_id). A fixed size keeps the header fixed and its decoder trivially bounded
 * (a key is up to 1152 bytes, and the record that holds the fragment is stored under a key
 * made from the chunk's already); the id only has to tell this chunk's fragments from any
 * other chunk's (a misplaced fragment, a bug in repair), which 128 bits of SHA-256 do by a
 * margin. It is not authentication: peers are trusted for data (docs/SECURITY.md). The clock
 * tells two writes of the same key apart, so fragments of an older write are never combined
 * with a newer one's. Version 1 also fixes the code itself: systematic Cauchy over GF(2^8)
 * with polynomial 0x11d, ISA-L's gf_gen_cauchy1_matrix (ec.h); another code is another version.
 *
 * Decoding is strict, for bytes from a disk or a peer: any truncation, bad magic, unknown
 * version, K, M or index out of range, a chunk length above CN_EC_CHUNK_MAX, a payload length
 * other than ceil(L / K), non-zero reserved bytes, a header or payload CRC mismatch, or bytes
 * after the payload give CN_ECORRUPT and a zeroed header, never an assert. Every function is
 * thread-safe.
 */
#ifndef CAIRN_COMMON_EC_FRAG_H
#define CAIRN_COMMON_EC_FRAG_H

#include <stddef.h>
#include <stdint.h>

#define CN_FRAG_MAGIC 0x46454e43u /* "CNEF" as stored (little-endian) */
#define CN_FRAG_VERSION 1
#define CN_FRAG_HDR_LEN 64
#define CN_FRAG_ID_LEN 16

/** A fragment's header, decoded. */
typedef struct cn_frag_hdr {
    uint8_t k, m;                     /* the chunk's code: K data + M parity fragments */
    uint8_t index;                    /* this fragment: 0..K+M-1, data when < K */
    uint8_t chunk_id[CN_FRAG_ID_LEN]; /* cn_frag_chunk_id of the chunk's key */
    uint64_t clock;                   /* the chunk's write (HLC ns, as its records') */
    uint64_t chunk_len;               /* the chunk's bytes before encoding, without padding */
    uint32_t payload_len;             /* cn_ec_frag_len_k(k, chunk_len) */
    uint32_t payload_crc;             /* CRC32C of the payload (its padding included) */
} cn_frag_hdr_t;

/** The chunk id of a chunk key: the first CN_FRAG_ID_LEN bytes of SHA-256(key[0, len)). */
void cn_frag_chunk_id(const void *key, size_t len, uint8_t id[CN_FRAG_ID_LEN] /* OUT */);

/** Sets h->payload_len (from h->k and h->chunk_len) and h->payload_crc (CRC32C of
 *  payload[0, payload_len)), then writes the header to out: the caller stores out, then the
 *  payload. k, m, index and chunk_len must be valid (asserted: they are ours). */
void cn_frag_encode(cn_frag_hdr_t *h, const void *payload, uint8_t out[CN_FRAG_HDR_LEN]);
/** Writes h as it is (payload_len and payload_crc already set, e.g. copied from a decoded
 *  header); every field must be valid (asserted). */
void cn_frag_hdr_encode(const cn_frag_hdr_t *h, uint8_t out[CN_FRAG_HDR_LEN]);

/** Decodes and checks the header in p[0, CN_FRAG_HDR_LEN) (len is what the caller has: the
 *  bytes past the header are not read). 0, or CN_ECORRUPT (len too short, or any check
 *  above) with *out zeroed. */
int cn_frag_hdr_decode(const void *p, size_t len, cn_frag_hdr_t *out /* OUT */);
/** Checks a payload read apart from its header: len == h->payload_len and its CRC32C. 0 or
 *  CN_ECORRUPT. */
int cn_frag_check_payload(const cn_frag_hdr_t *h, const void *payload, size_t len);
/** Decodes a whole stored fragment p[0, len): the header, then exactly payload_len bytes
 *  whose CRC32C matches. 0 with *out set and *payload pointing into p (borrowed, lives as long
 *  as p), or CN_ECORRUPT with *out zeroed and *payload NULL. */
int cn_frag_decode(const void *p, size_t len, cn_frag_hdr_t *out /* OUT */,
                   const uint8_t **payload /* OUT */);

/** 1 when a and b are fragments of the same write of the same chunk (id, clock, K, M, chunk
 *  length): only such fragments may be decoded together. 0 otherwise. */
int cn_frag_same_chunk(const cn_frag_hdr_t *a, const cn_frag_hdr_t *b);

/** The write a decode may use among n fragment headers, hdr[i] good when ok[i] is non-zero:
 *  the newest (by clock) of the writes with k or more distinct good indexes (fragments of one
 *  write told apart by cn_frag_same_chunk; an index seen twice counts once), as the position
 *  in hdr of one of its fragments; -1 when no write has k. The gateway's degraded read and
 *  the storage node's rebuild choose with it alike. */
int cn_frag_pick_write(const cn_frag_hdr_t *hdr, const uint8_t *ok, size_t n, unsigned k);

#endif
