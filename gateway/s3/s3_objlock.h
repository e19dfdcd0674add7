/*
 * gateway/s3/s3_objlock.h: S3 Object Lock in the gateway (s3_objlock.c, issue 18): the
 * bucket's ObjectLockConfiguration (Put, Get), an object's retention and legal hold (Put,
 * Get), the lock a new version gets (x-amz-object-lock-* headers, else the bucket's default
 * retention), the lock headers of GET and HEAD, and the early refusal of a delete that the
 * storage node would refuse anyway (common/objlock.h: cn_lock_allows decides both). The
 * documents and headers are read by lock_doc.h. Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_OBJLOCK_H
#define CAIRN_GATEWAY_S3_OBJLOCK_H

#include "common/buf.h"
#include "common/rpc.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/s3_req.h"

void gw_s3_put_object_lock_config(gw_req_t *r);
void gw_s3_get_object_lock_config(gw_req_t *r);
void gw_s3_put_object_retention(gw_req_t *r);
void gw_s3_get_object_retention(gw_req_t *r);
void gw_s3_put_object_legal_hold(gw_req_t *r);
void gw_s3_get_object_legal_hold(gw_req_t *r);

/** CreateBucket with x-amz-bucket-object-lock-enabled: true, once the bucket is made: sets
 *  its versioning Enabled and its "object_lock" in the manager, then refreshes the bucket
 *  table and calls done(status, r) (r's pending held, as gw_mgr_refresh_buckets does); a
 *  failure is answered (and logged: the bucket stays, without its lock). */
void gw_lock_bucket_created(gw_req_t *r, void (*done)(int status, void *arg));

/** Reads the x-amz-object-lock-* headers of a PutObject, CopyObject or
 *  CreateMultipartUpload into r->lock, before its access is decided. GW_S3_OK, or the error
 *  with *msg (static): InvalidArgument (lock_doc.h), InvalidRequest in a bucket without
 *  Object Lock. */
gw_s3_err_t gw_req_read_lock(gw_req_t *r, const char **msg);

/** Adds the lock pairs of the version r writes to its metadata being built: r's headers,
 *  else the bucket's default retention. An upload marker (CreateMultipartUpload) keeps the
 *  headers' under its own names instead (a marker is never locked): Complete applies them
 *  with gw_lock_meta_complete. */
void gw_lock_meta_new(gw_req_t *r, gw_meta_t *meta);
/** CompleteMultipartUpload: the marker's metadata *meta (encoded) becomes the object's:
 *  the lock its upload asked for, else the bucket's default retention now. */
void gw_lock_meta_complete(gw_req_t *r, cn_buf_t *meta);
/** CopyObject: the copy's metadata *meta (encoded) gets the lock of a new version (the
 *  source's is never copied). */
void gw_lock_meta_copy(gw_req_t *r, cn_buf_t *meta);

/** GET/HEAD: when name is a lock pair of the version's metadata, adds its response header
 *  (x-amz-object-lock-mode, -retain-until-date, -legal-hold) and returns 1; else 0. */
int gw_lock_header(gw_req_t *r, const char *name, const char *value);

/** 1 when r asks to bypass GOVERNANCE (x-amz-bypass-governance-retention: true) and may on
 *  the object key[0, key_len) of its bucket: the bucket owner may, unless the bucket policy
 *  denies s3:BypassGovernanceRetention; anyone else when the policy allows it. */
int gw_lock_bypass(gw_req_t *r, const char *key, size_t key_len);
/** Whether r may delete the version whose metadata is meta (key: the object's name in its
 *  bucket, for the policy): GW_S3_OK, or AccessDenied while its lock protects it. *bypass
 *  gets whether the delete bypasses GOVERNANCE (its storage message's "lock_bypass"). */
gw_s3_err_t gw_lock_may_delete(gw_req_t *r, cn_slice_t meta, const char *key, size_t key_len,
                               int *bypass);

#endif
