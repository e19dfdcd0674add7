/*
 * gateway/s3/sse_req.h: the server-side encryption headers of a request (issue 20), pure: what
 * PutObject, CopyObject, CreateMultipartUpload, UploadPart, UploadPartCopy, GetObject and
 * HeadObject carry, read into a gw_sse_req_t and checked as S3 checks them. Which operation may
 * carry which header (x-amz-server-side-encryption on a GET, a copy source's key on a PUT) is the
 * caller's to decide; so are the key service and the crypto (common/sse.h). No I/O, no globals;
 * messages are static strings.
 *
 * The headers, matched without regard to case (others are ignored):
 *   x-amz-server-side-encryption                  AES256 | aws:kms | aws:kms:dsse
 *   x-amz-server-side-encryption-aws-kms-key-id   only with aws:kms
 *   x-amz-server-side-encryption-context          only with aws:kms: base64 of a JSON object of
 *                                                 string values
 *   x-amz-server-side-encryption-bucket-key-enabled   true | false (any case)
 *   x-amz-server-side-encryption-customer-algorithm / -customer-key / -customer-key-MD5   SSE-C
 *   x-amz-copy-source-server-side-encryption-customer-*   the copy source's SSE-C key
 *
 * S3's refusals, checked in this order (the first one answers):
 *   - a header given twice: InvalidArgument (ours: S3 would read the values joined by ",",
 *     which no valid value of these headers survives, so a refusal answers the same class);
 *   - SSE-C's headers with x-amz-server-side-encryption: InvalidArgument;
 *   - SSE-C (the request's, then the copy source's): the key or its MD5 without the algorithm,
 *     InvalidArgument; an algorithm other than AES256, InvalidEncryptionAlgorithmError; no key,
 *     no MD5, a key that is not base64, an MD5 that does not match the key's (checked before the
 *     key's length, as S3 does; a key header over 1024 bytes is invalid before any MD5), a
 *     key that is not 32 bytes: InvalidArgument. Base64 is taken in its canonical spelling only
 *     (padded, no blanks, unused bits zero);
 *   - x-amz-server-side-encryption of another value (empty too): InvalidArgument; aws:kms:dsse:
 *     NotImplemented (501) for now;
 *   - a KMS key id or context without aws:kms: InvalidArgument; an empty or over-long key id, or
 *     one with a byte outside '!'..'~', and a context that is not base64 of a JSON object of
 *     string values (or is over GW_SSE_CONTEXT_MAX): InvalidArgument;
 *   - x-amz-server-side-encryption-bucket-key-enabled other than true or false: InvalidArgument.
 * S3's own messages are used where they are recorded; the duplicate, key id and bucket key
 * messages are ours.
 */
#ifndef CAIRN_GATEWAY_S3_SSE_REQ_H
#define CAIRN_GATEWAY_S3_SSE_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/sse.h"
#include "gateway/s3/s3_error.h"

#define GW_SSE_KMS_KEY_ID_MAX 2048 /* bytes of a KMS key id (KMS's KeyId: an ARN at most) */
#define GW_SSE_CONTEXT_MAX 4096    /* bytes of the context header (base64), ours */
#define GW_SSE_MD5_B64_LEN 24      /* base64 of an MD5, padding included */

typedef enum gw_sse_mode {
    GW_SSE_NONE = 0, /* no encryption header (a bucket default may still apply) */
    GW_SSE_S3,       /* x-amz-server-side-encryption: AES256 */
    GW_SSE_KMS,      /* aws:kms */
    GW_SSE_C,        /* the customer's key */
} gw_sse_mode_t;

/* One request header, as the caller has it (not NUL-terminated). */
typedef struct gw_sse_hdr {
    cn_slice_t name;
    cn_slice_t value;
} gw_sse_hdr_t;

/* An SSE-C key the request names: for the object written or read, or for the copy source. */
typedef struct gw_sse_cust {
    int given;                               /* the three headers were there and valid */
    uint8_t key[CN_SSE_KEY_LEN];             /* the customer's key (wiped by dispose) */
    uint8_t md5[CN_MD5_LEN];                 /* its MD5 */
    char md5_b64[GW_SSE_MD5_B64_LEN + 1];    /* as responses echo it */
} gw_sse_cust_t;

typedef struct gw_sse_req {
    gw_sse_mode_t mode;
    gw_sse_cust_t cust;     /* mode GW_SSE_C */
    char *kms_key_id;       /* mode GW_SSE_KMS: the key id given, NULL: none (the default key) */
    char *context;          /* mode GW_SSE_KMS: the context as compact JSON, keys sorted,
                               NULL: none */
    int bucket_key;         /* x-amz-server-side-encryption-bucket-key-enabled: true */
    int bucket_key_given;   /* ... was there */
    gw_sse_cust_t copy_src; /* the copy source's SSE-C key (copy_src.given) */
} gw_sse_req_t;

/** Reads the SSE headers among h[0, n) (any others are skipped) into *out: GW_SSE_NONE and
 *  nothing else when there are none. GW_S3_OK, or the error of the first rule broken (see
 *  above) with *msg set, out then disposed. Any bytes are safe: values are (ptr, len) and may
 *  hold NULs. *out owns memory and key bytes either way: release it with gw_sse_req_dispose. */
gw_s3_err_t gw_sse_req_parse(const gw_sse_hdr_t *h, size_t n, gw_sse_req_t *out,
                             const char **msg);
/** Wipes the key bytes (OPENSSL_cleanse), frees the strings and zeroes r. A zeroed or disposed
 *  r is fine. */
void gw_sse_req_dispose(gw_sse_req_t *r);

/** 1 when s[0, len) is a KMS key id this gateway takes: 1..GW_SSE_KMS_KEY_ID_MAX bytes, each
 *  '!'..'~' (an id, an alias or an ARN; whether the key exists is the key service's). */
int gw_sse_kms_key_id_valid(const char *s, size_t len);

/** The x-amz-server-side-encryption value of mode: "AES256", "aws:kms", or NULL (NONE, C). */
const char *gw_sse_mode_header(gw_sse_mode_t mode);

#endif
