/*
 * gateway/s3/sse_obj.h: an encrypted object's encryption record (issue 20), pure: what the
 * gateway stores with the object to find its data key again, and the key operations on it.
 * The record is the "sse" bytes of the object's chunk manifest (common/manifest.h, format 2);
 * the crypto is common/sse.h's, the reasons are docs/SECURITY.md's.
 *
 * The data key DK of the object's one stream (part 0, a single PUT):
 *   SSE-C        DK = cn_sse_c_derive(customer key, salt); the record holds the salt and the
 *                key check, never the key.
 *   SSE-S3/KMS   DK random; the record holds DK wrapped (cn_sse_wrap) under the key
 *                service's key-encryption key KEK of (key name, epoch), with the AAD
 *                "cairn sse obj v1|<mode>|<key name>|<epoch>|<bucket/key>|<context>", so that
 *                a record moved to another object, key, epoch or context does not unwrap.
 *                SSE-S3 uses the key "aws/s3"; so does aws:kms without a key id.
 *
 * A multipart upload (version 2): the key above is the upload's key UK, made at
 * CreateMultipartUpload and kept in the upload marker; each part's stream (stream number = its
 * part number) has DK = cn_sse_part_key(UK, a salt random per upload of the part). A part's
 * record is the upload's with one entry, the completed object's the upload's with an entry
 * per part in the object's order (their stored streams follow one another in its manifest).
 *
 * The record's bytes, big-endian:
 *   u8 version (1 one stream, 2 multipart), u8 mode (1 SSE-S3, 2 SSE-KMS, 3 SSE-C), u8 flags
 *   (bit 0: bucket key asked),
 *   SSE-C:      salt[16] check[32]
 *   SSE-S3/KMS: u32 epoch, wrapped[60], u16 n + key name, u16 n + context (compact JSON, may
 *               be empty)
 *   version 2:  u32 n, then n parts of u32 number (1..10000), salt[16], u64 plaintext length
 * and nothing after, GW_SSE_OBJ_MAX bytes at most (what a manifest holds; new records are
 * kept within it). The decoder refuses anything else (CN_ECORRUPT): the bytes come from the
 * cluster. No I/O, no globals; thread-safe.
 */
#ifndef CAIRN_GATEWAY_S3_SSE_OBJ_H
#define CAIRN_GATEWAY_S3_SSE_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/manifest.h"
#include "common/sse.h"
#include "gateway/s3/sse_req.h"

#define GW_SSE_OBJ_VERSION 1     /* a single PUT's record */
#define GW_SSE_OBJ_MULTIPART 2   /* a multipart upload's, a part's, a completed object's */
#define GW_SSE_OBJ_PARTS_MAX 10000

/* One part of a multipart record. */
typedef struct gw_sse_part {
    uint32_t number;                  /* its stream number: the part number (1..10000) */
    uint8_t salt[CN_SSE_SALT_LEN];
    uint64_t plain_len;
} gw_sse_part_t;
#define GW_SSE_OBJ_MAX CN_MANIFEST_SSE_MAX /* bytes of a record */
#define GW_SSE_S3_KEY "aws/s3" /* the key service's key of SSE-S3 and of aws:kms without id */

typedef struct gw_sse_obj {
    gw_sse_mode_t mode;                       /* GW_SSE_S3, GW_SSE_KMS or GW_SSE_C */
    int bucket_key;                           /* x-amz-server-side-encryption-bucket-key */
    uint8_t salt[CN_SSE_SALT_LEN];            /* SSE-C */
    uint8_t check[CN_SSE_CHECK_LEN];          /* SSE-C */
    uint32_t epoch;                           /* SSE-S3/KMS: of the key name */
    uint8_t wrapped[CN_SSE_WRAPPED_LEN];      /* SSE-S3/KMS */
    char key_name[GW_SSE_KMS_KEY_ID_MAX + 1]; /* SSE-S3/KMS */
    char *context;                            /* SSE-KMS: compact JSON, NULL: none (owned) */
    int multipart;                            /* version 2: the key is an upload's */
    gw_sse_part_t *parts;                     /* version 2 (owned) */
    size_t nparts;
} gw_sse_obj_t;

/** Appends the record's bytes to out. */
void gw_sse_obj_encode(const gw_sse_obj_t *o, cn_buf_t *out);
/** The record p[0, n) into *o: 0, or CN_ECORRUPT (o then zeroed). */
int gw_sse_obj_decode(const void *p, size_t n, gw_sse_obj_t *o);
/** Frees the context and parts and zeroes o. */
void gw_sse_obj_dispose(gw_sse_obj_t *o);
/** Appends a part to a multipart record (o->multipart set). */
void gw_sse_obj_add_part(gw_sse_obj_t *o, const gw_sse_part_t *p);
/** Copies src into dst (context and parts too): dst is then disposed of by its owner. */
void gw_sse_obj_copy(gw_sse_obj_t *dst, const gw_sse_obj_t *src);

/** SSE-C: a new record for the customer's key (a random salt, its check) and the stream's
 *  data key. 0 or CN_EIO (no randomness). */
int gw_sse_obj_new_c(gw_sse_obj_t *o, const uint8_t cust[CN_SSE_KEY_LEN],
                     uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);
/** SSE-C: the data key for the customer's key: 0, or CN_EACCES (not the key that wrote it;
 *  dk untouched), CN_EINVAL (the record is not SSE-C), CN_EIO. */
int gw_sse_obj_open_c(const gw_sse_obj_t *o, const uint8_t cust[CN_SSE_KEY_LEN],
                      uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);

/** SSE-S3/KMS: a new record of mode under (name, epoch)'s kek for the object object (its
 *  "bucket/key") and context (NULL: none; copied), with a new random data key. 0, CN_EINVAL
 *  (a mode other than S3/KMS, epoch 0, an invalid name, a record of name and context over
 *  GW_SSE_OBJ_MAX bytes, an object over 2048 bytes), CN_EIO. */
int gw_sse_obj_new_wrapped(gw_sse_obj_t *o, gw_sse_mode_t mode, const char *name,
                           uint32_t epoch, const uint8_t kek[CN_SSE_KEY_LEN], cn_slice_t object,
                           const char *context, uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);
/** SSE-S3/KMS: unwraps the data key with the kek of (o->key_name, o->epoch): 0, CN_ECORRUPT
 *  (not that kek, another object, altered), CN_EINVAL (not a wrapped record). */
int gw_sse_obj_open_wrapped(const gw_sse_obj_t *o, const uint8_t kek[CN_SSE_KEY_LEN],
                            cn_slice_t object, uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);

#endif
