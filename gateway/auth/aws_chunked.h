/*
 * gateway/auth/aws_chunked.h: the aws-chunked request body (Content-Encoding: aws-chunked) and the
 * S3 additional checksums. Pure functions over caller buffers, thread-safe.
 *
 * Bodies: "<hex size>[;chunk-signature=<64 hex>]\r\n<data>\r\n" ... then a zero-size chunk,
 * then optional trailer lines "name:value\r\n" (x-amz-checksum-*, and x-amz-trailer-signature
 * for the signed variant), then "\r\n". The modes follow x-amz-content-sha256:
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD          signed chunks, no trailer
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER  signed chunks, signed trailer
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER          plain chunks, unsigned trailer
 * A chunk signature is HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n<date>\n<scope>\n<previous
 * signature>\n<sha256("")>\n<sha256(chunk)>"), starting from the seed (header) signature; the
 * trailer's is HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n<date>\n<scope>\n<last chunk
 * signature>\n<sha256 of the trailer lines, each ending in \n>").
 */
#ifndef CAIRN_GATEWAY_AWS_CHUNKED_H
#define CAIRN_GATEWAY_AWS_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

typedef enum gw_chunked_mode {
    GW_CHUNKED_NONE = 0,
    GW_CHUNKED_SIGNED,           /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
    GW_CHUNKED_SIGNED_TRAILER,   /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER */
    GW_CHUNKED_UNSIGNED_TRAILER, /* STREAMING-UNSIGNED-PAYLOAD-TRAILER */
} gw_chunked_mode_t;

/** The mode named by an x-amz-content-sha256 value, or GW_CHUNKED_NONE. */
gw_chunked_mode_t gw_chunked_mode(const char *v, size_t n);

typedef struct gw_chunked_sig {
    const uint8_t *signing_key;   /* 32 bytes */
    const char *amz_date;         /* "20130524T000000Z" */
    const char *scope;            /* "20130524/us-east-1/s3/aws4_request" */
    const char *seed_signature;   /* 64 hex */
} gw_chunked_sig_t;

typedef struct gw_chunked_out {
    size_t len;                   /* payload bytes, now at the start of the buffer */
    char trailer_name[40];        /* lower-case "x-amz-checksum-crc32", or "" */
    char trailer_value[100];
} gw_chunked_out_t;

/** Decodes buf[0, n) in place: the payload ends up in buf[0, out->len). sig is needed for
 *  the signed modes (NULL otherwise). Returns 0; CN_EINVAL for bad framing (IncompleteBody);
 *  CN_EACCES for a chunk or trailer signature that does not match (SignatureDoesNotMatch);
 *  CN_E2BIG for a trailer over 1 KiB or more than one checksum line. */
int gw_chunked_decode(char *buf, size_t n, gw_chunked_mode_t mode, const gw_chunked_sig_t *sig,
                      gw_chunked_out_t *out);

typedef enum gw_checksum_alg {
    GW_CK_NONE = 0,
    GW_CK_CRC32,
    GW_CK_CRC32C,
    GW_CK_CRC64NVME,
    GW_CK_SHA1,
    GW_CK_SHA256,
} gw_checksum_alg_t;

/** The algorithm of a header name "x-amz-checksum-crc32" (any case), or GW_CK_NONE. */
gw_checksum_alg_t gw_checksum_alg(const char *name, size_t n);
/** Base64 of the checksum of p[0, n) (big-endian for CRCs) into out (at least 48 bytes). */
void gw_checksum_b64(gw_checksum_alg_t alg, const void *p, size_t n, char *out);
/** The CN_HASH_* digest (common/hash.h) that alg is, 0 for GW_CK_NONE. */
unsigned gw_checksum_hash(gw_checksum_alg_t alg);
/** gw_checksum_b64 from digests already computed (h->have must include alg's). */
void gw_checksum_b64_of(gw_checksum_alg_t alg, const cn_hashes_t *h, char *out);
/** CRC-64/NVME (the one S3 calls CRC64NVME), chainable from 0 (common/hash.h cn_crc64nvme). */
uint64_t gw_crc64nvme(uint64_t crc, const void *p, size_t n);

#endif
