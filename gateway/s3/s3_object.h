/*
 * gateway/s3/s3_object.h: the object operations (s3_object.c): PutObject, GetObject, HeadObject,
 * DeleteObject, and the object operation state (gw_obj_op_t) that the
 * chunk, copy, multipart and cache code share for one request.
 */
#ifndef CAIRN_GATEWAY_S3_OBJECT_H
#define CAIRN_GATEWAY_S3_OBJECT_H

#include <stdint.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/rpc.h"
#include "gateway/auth/access_req.h"
#include "gateway/auth/post_policy.h"
#include "gateway/cache/cache.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/s3_req.h"
#include "common/version.h"
#include "gateway/s3/s3_wcond.h"

typedef struct gw_obj_op {
    gw_cache_req_t cache;    /* GET/HEAD through the caches (cache.h) */
    cn_buf_t key;            /* "bucket/key" (or an internal key: a multipart part record) */
    /* PUT */
    cn_slice_t body;         /* the bytes to store (r->body, or a copy source's; borrowed) */
    char *chunk_prefix;      /* owned; NULL = "\x01c/<key>/<random>/" */
    int force_chunked;       /* store as a manifest even when small (multipart parts) */
    int man_ready;           /* o->man already names written chunks: only put the parent */
    int copy_reply;          /* 1: answer a CopyObjectResult body, 2: a CopyPartResult */
    cn_buf_t meta;
    char etag[72];           /* hex MD5, or "<hex>-<parts>" for a copied multipart object */
    uint64_t size;
    cn_manifest_t old_man;   /* previous version's manifest, to delete its chunks */
    int have_old;
    cn_manifest_t man;
    uint64_t next_chunk, nchunks, done_chunks;
    int inflight, failed;
    /* versions (s3_version.h) */
    uint64_t clock;          /* the write's clock (a new version's, in its ID); 0: storage's */
    char vid[CN_VER_ID_LEN + 1]; /* the version answered in x-amz-version-id; "": none */
    int named_version;       /* the request named its version (?versionId) */
    int was_marker;          /* DELETE of a version that was a delete marker */
    void (*target_cont)(gw_req_t *r); /* gw_obj_version_target's, while the latest is found */
    cn_wcond_t wcond;        /* a conditional write's or delete's condition (s3_wcond.h) */
    struct gw_obj_sse *sse;  /* server-side encryption (s3_sse.h); NULL: none. Owned */
    /* GET / HEAD / DELETE */
    int head;
    cn_msg_t *parent;        /* the parent's head/get response */
    int is_manifest;
    uint64_t total, off, len;
    int ranged;
    uint32_t part_number;    /* ?partNumber (1..10000), 0 when none; UploadPart's number */
    int part_whole;          /* ?partNumber=1 of an object that is one part: all of it */
    const char *part_sum;    /* the part's "x-amz-checksum-<alg>=<base64>" (in o->man) or NULL */
    uint64_t pos, end;
    cn_msg_t *cur;           /* chunk whose bytes h2o is sending */
    int started;
    size_t obj_hdrs_at;      /* response headers before the object's own (set_object_headers):
                              * an error answered before the body started drops those */
    int obj_hdrs_set;
    /* CopyObject and UploadPartCopy of a chunked source (s3_copy.c) */
    struct gw_copy_state {
        cn_manifest_t src;
        size_t seg;
        uint64_t idx;
        int inflight, failed;
        uint64_t pos, end, out_idx;  /* UploadPartCopy: source range read so far */
        cn_buf_t acc;                /* bytes read, not yet written as a part chunk */
        cn_digest_t *md5;            /* of the part */
        gw_obj_access_t src_bucket;  /* the source bucket's owner and ACL (copy_source) */
        char src_path[GW_BUCKET_MAX + 2 + GW_KEY_MAX]; /* "bucket/key" of the source */
        size_t src_path_len, src_bucket_len;            /* (for its bucket policy) */
        char src_vid[CN_VER_ID_LEN + 1]; /* the source's version: named or the latest */
        int src_named;               /* x-amz-copy-source named it (?versionId=) */
        int src_versioned;           /* the source bucket has (had) versioning */
        cn_rpc_done_fn src_cb;       /* what reads the source, once its version is known */
        struct gw_obj_sse *src_sse;  /* an encrypted source's key (s3_sse_copy.c); owned */
        uint64_t want_off, want_end; /* s3_sse_copy.c: the source's plaintext to read */
    } copy;
} gw_obj_op_t;

/** Makes o's write a version of its object as r's bucket wants it: a new version (ID and
 *  clock, o->key becomes its version key) when versioning is Enabled, the null version when
 *  Suspended (o->vid "null"), the object itself when it never had versioning. */
void gw_obj_version_for_write(gw_req_t *r, gw_obj_op_t *o);
/** The put of a delete marker at key (a new version's key and clock, or the null version's
 *  with clock 0): flag CN_OBJ_DELETE_MARKER, no body, r's requester its owner, want_prev (a
 *  replaced null version's chunks are the caller's to delete). */
cn_msg_t *gw_obj_marker_msg(gw_req_t *r, const cn_buf_t *key, uint64_t clock);
/** Points o at the version r addresses, then calls cont(r): the one ?versionId names (o->key
 *  its storage key, o->vid, o->named_version), else in a bucket with versioning the latest
 *  (found on the storage nodes; when it is a delete marker, or there is none, r is answered
 *  404 as GetObject does and cont is not called), else the object itself. A bad versionId
 *  is answered 400 here. */
void gw_obj_version_target(gw_req_t *r, gw_obj_op_t *o, void (*cont)(gw_req_t *r));
/** Takes back the object's own response headers (ETag, Content-Type, Last-Modified, x-amz-meta-*,
 *  its SSE headers...) set for a GET that then fails before its body started: an error is
 *  answered without them. A no-op before they were set. */
void gw_obj_drop_headers(gw_req_t *r);
/** Sends op (CN_OP_HEAD or CN_OP_GET) of o->key to its coordinator for cb(r); on routing
 *  failure answers 503. */
void gw_obj_read_send(gw_req_t *r, const char *op, cn_rpc_done_fn cb);
/** Answers S3's 405 for an operation on a version that is a delete marker, named by its ID
 *  (o->vid), with x-amz-delete-marker. */
void gw_obj_refuse_marker(gw_req_t *r);
/** gw_obj_missing, but NoSuchVersion when r named the version (o->named_version). */
gw_s3_err_t gw_obj_version_missing(const gw_req_t *r, const gw_acl_subject_t *bucket);
void gw_s3_put_object(gw_req_t *r);
void gw_s3_get_object(gw_req_t *r);
void gw_s3_head_object(gw_req_t *r);
void gw_s3_delete_object(gw_req_t *r);
/** Object metadata (stored headers, x-amz-meta-*, canned ACL, checksum, the tags r sets) of
 *  r, msgpack. */
void gw_obj_meta_from_headers(gw_req_t *r, cn_buf_t *out);
/** The same from name/value pairs (a POST form's fields) instead of the request's headers. */
void gw_obj_meta_from_fields(gw_req_t *r, const gw_post_field_t *f, size_t n, cn_buf_t *out);
/** Sends a PUT or DELETE of an object's key (not a chunk's: chunks are never cached). The
 *  caches drop the key now and again when the write is answered, and announce it to the
 *  manager's feed (gw_cache_write_begin); every write of an object key goes through here.
 *  0 (cb will run) or CN_EUNAVAIL (cb will not). s3_object.c. */
int gw_obj_write_send(gw_server_t *s, const char *key, size_t keylen, cn_msg_t *m,
                      cn_rpc_done_fn cb, void *arg);
/** Answers a successful PUT or copy: ETag header, and the CopyObjectResult body for a copy. */
void gw_obj_put_reply(gw_req_t *r);
/** Evaluates If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since (header names
 *  after prefix: "" or "x-amz-copy-source-") against an object. Returns 0 to go on, 304 or
 *  412. */
int gw_obj_conditions(gw_req_t *r, const char *prefix, const char *etag, uint64_t mtime_ms);
/** Reads r's conditional-write headers (s3_wcond.h) for op into *out. 0, or 1 when r was
 *  answered: a header we cannot honour (501), a bad one (400), or a condition in a bucket that
 *  has (had) versioning (501: not decided by the coordinator yet, never a wrong success). */
int gw_obj_read_wcond(gw_req_t *r, enum gw_wcond_op op, cn_wcond_t *out);
/** r's object operation (gw_obj_op_new's), or NULL when r has none or another kind. */
const gw_obj_op_t *gw_obj_op_of(const gw_req_t *r);
/** Allocates r's object operation for key (bucket "/" key, copied) and attaches it to r. */
gw_obj_op_t *gw_obj_op_new(gw_req_t *r, const char *key, size_t key_len);
/** Stores o->body under o->key with o->meta and o->etag: writes one record or chunks plus a
 *  manifest (the put of the record asks want_prev, and the chunks of the version it replaced
 *  are dropped), answers 200 with the ETag header (or the S3 error). */
void gw_obj_put_start(gw_req_t *r);
/** From the reply of a put sent with want_prev = 1 (docs/PROTOCOL.md): when the version it
 *  replaced was a chunk manifest and *have is 0, decodes it into *man and sets *have, for
 *  gw_chunk_delete_all once the put succeeded. resp may be NULL. */
void gw_obj_keep_replaced(const cn_msg_t *resp, cn_manifest_t *man, int *have);
/** The read of an object's head or record (resp, its result rc): on success keeps resp as
 *  o->parent (o->is_manifest from its flags) and returns 0; else frees resp and answers
 *  r the error (NoSuchKey, or AccessDenied to a requester who may not list; NoSuchVersion
 *  for a named version; a delete marker: 404, or 405 when named) and returns -1. */
int gw_obj_take_parent(gw_req_t *r, cn_msg_t *resp, int rc);

#endif
