/*
 * gateway/s3/s3_sse.h: server-side encryption of objects (issue 20): what PutObject and
 * GetObject/HeadObject do with the SSE headers, the bucket's default encryption and an
 * object's encryption record. The pure parts are elsewhere: the headers (sse_req.h), the
 * bucket default (sse_conf.h), the record (sse_obj.h), the crypto (common/sse.h); the keys of
 * SSE-S3 and SSE-KMS come from the key service (gateway/link/sse_keys.h).
 *
 * How an encrypted object is stored: always as a chunked object (chunk.h), whatever its size,
 * whose manifest is format 2 (common/manifest.h): its segments hold the stored stream
 * (common/sse.h's blocks), "plain" its size as clients see it, "sse" its record. Hence:
 *   - the parent record's "size" is the plaintext size: listings show what S3 shows;
 *   - the gateway caches never hold it (they keep no manifest object, cache.c), so an SSE-C
 *     object is never served without its key, and no cache holds plaintext;
 *   - replication, repair, rebalance, compaction and scrub move chunks and records as bytes:
 *     ciphertext, with no key anywhere on a storage node;
 *   - a gateway older than format 2 refuses the manifest (an error, not ciphertext).
 * The request body: h2o holds it (in memory, or over 4 MiB in an unlinked temp file, see
 * body_pager.h). It is encrypted into a buffer of the request's in one pass, then the
 * plaintext is overwritten in place (OPENSSL_cleanse) before anything is sent: h2o's whole
 * entity (an aws-chunked one was decoded in place) and an SSE-C key's text in the request
 * head kept in the same buffer. From then on the temp file's pages hold zeros, and only the
 * ciphertext travels. docs/SECURITY.md says what that does and does not cover.
 *
 * ETags: SSE-S3 the MD5 of the plaintext (as S3); SSE-C and SSE-KMS not an MD5 of the data
 * (S3 says so): 32 random hex digits, fixed at the write.
 * Loop thread of the request's worker.
 */
#ifndef CAIRN_GATEWAY_S3_SSE_H
#define CAIRN_GATEWAY_S3_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "common/sse.h"
#include "gateway/s3/s3_req.h"
#include "gateway/s3/sse_obj.h"
#include "gateway/s3/sse_req.h"

/* One request's encryption state, owned by its gw_obj_op_t (o->sse). */
typedef struct gw_obj_sse {
    gw_sse_req_t req;            /* the request's SSE headers */
    gw_sse_obj_t rec;            /* the object's record (PUT: the new one) */
    uint8_t dk[CN_SSE_KEY_LEN];  /* the stream's data key, once known */
    int have_dk;
    /* PUT */
    uint8_t *stored;             /* the encrypted body */
    size_t stored_len;
    uint64_t plain_len;
    void (*put_cont)(gw_req_t *r); /* how the put goes on once the body is encrypted */
    /* GET */
    void (*get_cont)(gw_req_t *r); /* how the read goes on once the key is known */
    cn_sse_dec_t *dec;
    uint8_t *out;                /* the plaintext piece h2o is sending */
    size_t out_cap;
} gw_obj_sse_t;

/** PutObject: reads the request's SSE headers (or takes the bucket's default) and, when the
 *  object is to be encrypted, prepares o->sse, encrypts r's body into it, wipes the plaintext
 *  and points o->body at the ciphertext (o->force_chunked, o->etag as above). Then calls
 *  cont(r), now or once the key service answered; or answers r with the S3 error. An object
 *  not to be encrypted goes to cont(r) at once, untouched. */
void gw_s3_sse_put(gw_req_t *r, void (*cont)(gw_req_t *r));
/** 1 when r carries any x-amz-server-side-encryption* header (CopyObject refuses them). */
int gw_s3_sse_asked(const gw_req_t *r);
/** For the writes that cannot encrypt yet (CopyObject, CreateMultipartUpload, POST): when
 *  r's bucket has a default encryption, answers 501 NotImplemented and returns 1 (the object
 *  would be stored in the clear); else 0. */
int gw_s3_sse_refuse_plain(gw_req_t *r);
/** The encryption record and plaintext size for the manifest of o (chunk.c, gw_chunk_put). */
void gw_s3_sse_manifest(gw_req_t *r, cn_manifest_t *man);
/** Adds the response headers that state the object's encryption (PUT, GET, HEAD). */
void gw_s3_sse_add_headers(gw_req_t *r);

/** GetObject/HeadObject once the object's parent (and manifest) are known and access was
 *  granted: 1 when the read may go on now (the object is not encrypted and the request asks
 *  for no key; or its data key is known), 0 when cont(r) will be called once the key service
 *  answered, -1 when r was answered with the error (a missing or wrong SSE-C key, SSE-C
 *  headers for an object without them, the key service failing). */
int gw_s3_sse_get_open(gw_req_t *r, void (*cont)(gw_req_t *r));
/** The object's size as clients see it when it is encrypted (the manifest's plain size),
 *  else size. */
uint64_t gw_s3_sse_object_size(const gw_req_t *r, uint64_t size);
/** For chunk.c: starts decrypting the plaintext range [off, off + len) of r's encrypted
 *  object: sets *pos and *end to the stored bytes to fetch. 0 or an error code. */
int gw_s3_sse_stream_start(gw_req_t *r, uint64_t off, uint64_t len, uint64_t *pos,
                           uint64_t *end);
/** For chunk.c: decrypts the next stored piece; *out is the plaintext it releases (owned by
 *  o->sse, valid until the next call). 0, or CN_ECORRUPT (a tag failed: the stream ends in an
 *  error). last: the piece ends the range (the final tag is checked). */
int gw_s3_sse_stream_piece(gw_req_t *r, cn_slice_t in, int last, cn_slice_t *out);

/** Frees s (NULL is fine), wiping its keys and buffers. */
void gw_s3_sse_free(gw_obj_sse_t *s);

#endif
