/*
 * gateway/s3/s3_sse.h: server-side encryption of objects (issue 20): what PutObject,
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload and GetObject/HeadObject do with
 * the SSE headers, the bucket's default encryption and an object's encryption record. The
 * pure parts are elsewhere: the headers (sse_req.h), the bucket default (sse_conf.h), the
 * record (sse_obj.h), the crypto (common/sse.h); the keys of SSE-S3 and SSE-KMS come from the
 * key service (gateway/link/sse_keys.h).
 *
 * How an encrypted object is stored: always as a chunked object (chunk.h), whatever its size,
 * whose manifest is format 2 (common/manifest.h): its segments hold the stored streams
 * (common/sse.h's blocks), "plain" its size as clients see it, "sse" its record. Hence:
 *   - the parent record's "size" is the plaintext size: listings show what S3 shows;
 *   - the gateway caches never hold it (they keep no manifest object, cache.c), so an SSE-C
 *     object is never served without its key, and no cache holds plaintext;
 *   - replication, repair, rebalance, compaction and scrub move chunks and records as bytes:
 *     ciphertext, with no key anywhere on a storage node;
 *   - a gateway older than format 2 refuses the manifest (an error, not ciphertext).
 * A multipart upload decides its encryption at CreateMultipartUpload: its record (without
 * parts) is kept in the marker's metadata as GW_META_SSE (hex); each part is a stream of its
 * own under a key derived for that upload of the part (sse_obj.h); Complete joins the parts'
 * entries into the object's record. An SSE-C upload needs the same key on every part.
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

#define GW_META_SSE ":sse" /* an upload marker's encryption record, hex (sse_obj.h) */

/* One request's encryption state, owned by its operation (gw_obj_op_t's or the multipart
 * op's sse), made by the functions below. */
struct gw_ssekey; /* gateway/link/sse_keys.h */

enum gw_sse_op {
    GW_SSE_OP_GET = 0,
    GW_SSE_OP_PUT,
    GW_SSE_OP_CREATE,
    GW_SSE_OP_PART,
    GW_SSE_OP_PART_COPY, /* UploadPartCopy: the key first, the bytes later */
};

typedef struct gw_obj_sse {
    gw_req_t *r;
    enum gw_sse_op op;           /* what the request does with the record's key */
    gw_sse_req_t req;            /* the request's SSE headers */
    gw_sse_obj_t rec;            /* the object's record (a write: the new one) */
    uint8_t key[CN_SSE_KEY_LEN]; /* the record's key: its stream's (version 1) or its upload's
                                    (version 2) */
    int have_key;
    cn_slice_t name_of;          /* the object the record is bound to, when not r's (a copy's
                                    source: "bucket/key", borrowed) */
    void (*keyed)(struct gw_obj_sse *s, const struct gw_ssekey *k); /* after the key service */
    unsigned origin_next;        /* a read: the next linked origin's store to try (issue 22;
                                    s3_sse.c, next_origin) */
    int asked_fresh;             /* a read asked this cluster's store again, past a
                                  * negative answer of this worker (s3_sse.c) */
    void (*cont)(gw_req_t *r);   /* how the request goes on */
    /* PutObject, UploadPart */
    uint8_t dk[CN_SSE_KEY_LEN];  /* the stream's key */
    uint32_t stream;             /* its number: 0, or the part's */
    uint8_t *stored;             /* the encrypted body */
    size_t stored_len;
    uint64_t plain_len;
    /* CreateMultipartUpload */
    cn_buf_t *meta;              /* the marker's metadata: gets GW_META_SSE */
    /* GetObject: the plaintext range left to stream, and where the next part starts */
    cn_sse_dec_t *dec;
    uint8_t *out;                /* the plaintext piece h2o is sending */
    size_t out_cap;
    uint64_t want_off, want_end, base_plain, base_stored;
    size_t part_i;
} gw_obj_sse_t;

/** PutObject: reads the request's SSE headers (or takes the bucket's default) and, when the
 *  object is to be encrypted, prepares o->sse, encrypts r's body into it, wipes the plaintext
 *  and points o->body at the ciphertext (o->force_chunked, o->etag as above). Then calls
 *  cont(r), now or once the key service answered; or answers r with the S3 error. An object
 *  not to be encrypted goes to cont(r) at once, untouched. */
void gw_s3_sse_put(gw_req_t *r, void (*cont)(gw_req_t *r));
/** CreateMultipartUpload: the same decision; when the upload is to be encrypted, makes *sp
 *  and its record and sets GW_META_SSE in meta (the marker's, borrowed until cont). */
void gw_s3_sse_create(gw_req_t *r, gw_obj_sse_t **sp, cn_buf_t *meta,
                      void (*cont)(gw_req_t *r));
/** UploadPart of part number of the upload whose marker has metadata marker_meta: when the
 *  upload is encrypted, checks the request's SSE-C key (an SSE-C upload) or asks the key
 *  service, then encrypts r's body as gw_s3_sse_put does; else (and when the request names
 *  no key) cont(r) at once. UploadPartCopy into an encrypted upload: 501. */
void gw_s3_sse_part(gw_req_t *r, cn_slice_t marker_meta, uint32_t number,
                    void (*cont)(gw_req_t *r));
/** CompleteMultipartUpload: when meta (the marker's, the object's to be) has GW_META_SSE,
 *  removes it and gives man the object's record (the upload's, with parts[0..n)'s entries in
 *  order) and plaintext size. GW_S3_OK (also for a plain upload whose parts are plain), or
 *  GW_S3_INVALID_PART when a part's encryption is not the upload's, GW_S3_INTERNAL_ERROR for a
 *  record that does not read. */
gw_s3_err_t gw_s3_sse_complete(cn_buf_t *meta, const cn_manifest_t *const *parts, size_t n,
                               cn_manifest_t *man);

/** CopyObject: 1 when the copy goes through s3_sse_copy.c: its source is encrypted (src: the
 *  source's manifest, NULL for a single record), the request asks for encryption, or the
 *  bucket has a default. */
int gw_s3_sse_copy_wanted(gw_req_t *r, const cn_manifest_t *src);
/** CopyObject of a source that is not encrypted: 1 with 400 InvalidRequest answered when r
 *  gives a copy source's SSE-C key (there is nothing it could decrypt), else 0. */
int gw_s3_sse_copy_plain_source(gw_req_t *r);
/** CopyObject of the manifest source o->copy.src (UploadPartCopy: of its plaintext range
 *  [o->copy.pos, o->copy.end)): reads the plaintext (decrypting it with the copy source's
 *  key), then writes it as PutObject does (gw_s3_sse_put), or as UploadPart does
 *  (gw_s3_sse_part_encrypt); answers r. */
void gw_s3_sse_copy(gw_req_t *r);
/** UploadPartCopy, once the part's plaintext is o->body: encrypts it as UploadPart would when
 *  the upload is encrypted (gw_s3_sse_part made o->sse), then cont(r); else cont(r). */
void gw_s3_sse_part_encrypt(gw_req_t *r, void (*cont)(gw_req_t *r));
/** The encryption record and plaintext size for the manifest of r's write (chunk.c). */
void gw_s3_sse_manifest(gw_req_t *r, cn_manifest_t *man);
/** Adds the response headers that state the encryption of s's object (NULL: none). */
void gw_s3_sse_headers(gw_req_t *r, const gw_obj_sse_t *s);
/** The same from an object's manifest (Complete's answer). */
void gw_s3_sse_headers_of_man(gw_req_t *r, const cn_manifest_t *man);
/** 1 when r carries any x-amz-server-side-encryption* header (CopyObject refuses them). */
int gw_s3_sse_asked(const gw_req_t *r);
/** For the writes that cannot encrypt yet (CopyObject, POST): when r's bucket has a default
 *  encryption, answers 501 NotImplemented and returns 1 (the object would be stored in the
 *  clear); else 0. */
int gw_s3_sse_refuse_plain(gw_req_t *r);

/** GetObject/HeadObject once the object's parent (and manifest) are known and access was
 *  granted: 1 when the read may go on now (the object is not encrypted and the request asks
 *  for no key; or its key is known), 0 when cont(r) will be called once the key service
 *  answered, -1 when r was answered with the error (a missing or wrong SSE-C key, SSE-C
 *  headers for an object without them, the key service failing). */
int gw_s3_sse_get_open(gw_req_t *r, void (*cont)(gw_req_t *r));
/** ?partNumber=idx of an encrypted object: its plaintext [*off, + *len); 0, or 1 when r's
 *  object is not encrypted (the manifest's ranges hold), CN_EINVAL for no such part. */
int gw_s3_sse_part_range(const gw_req_t *r, uint32_t idx, uint64_t *off, uint64_t *len);
/** For chunk.c: starts decrypting the plaintext range [off, off + len) of r's encrypted
 *  object: sets *pos and *end to the stored bytes to fetch first. 0 or an error code. */
int gw_s3_sse_stream_start(gw_req_t *r, uint64_t off, uint64_t len, uint64_t *pos,
                           uint64_t *end);
/** For chunk.c, once [*pos, *end) was all fetched: the stored bytes of the next part the range
 *  covers, 1; 0 when the range is done; an error code. */
int gw_s3_sse_stream_next(gw_req_t *r, uint64_t *pos, uint64_t *end);
/** For chunk.c: decrypts the next stored piece; *out is the plaintext it releases (owned by
 *  the state, valid until the next call). 0, or CN_ECORRUPT (a tag failed: the stream ends
 *  in an error). last: the piece ends the stored bytes of gw_s3_sse_stream_start/next (the
 *  final tag is checked). */
int gw_s3_sse_stream_piece(gw_req_t *r, cn_slice_t in, int last, cn_slice_t *out);

/** Frees s (NULL is fine), wiping its keys and buffers. */
void gw_s3_sse_free(gw_obj_sse_t *s);

#endif
