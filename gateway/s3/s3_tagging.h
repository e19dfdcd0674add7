/*
 * gateway/s3/s3_tagging.h: S3 tags (s3_tagging.c, issue 16): Put/Get/DeleteObjectTagging,
 * Put/Get/DeleteBucketTagging, the x-amz-tagging header of PutObject, CopyObject
 * (x-amz-tagging-directive) and CreateMultipartUpload, and x-amz-tagging-count on GET and
 * HEAD. The tag rules and forms are tags.h's.
 */
#ifndef CAIRN_GATEWAY_S3_TAGGING_H
#define CAIRN_GATEWAY_S3_TAGGING_H

#include "common/buf.h"
#include "common/rpc.h"
#include "gateway/s3/s3_req.h"

void gw_s3_get_object_tagging(gw_req_t *r);
void gw_s3_put_object_tagging(gw_req_t *r);
void gw_s3_delete_object_tagging(gw_req_t *r);
void gw_s3_get_bucket_tagging(gw_req_t *r);
void gw_s3_put_bucket_tagging(gw_req_t *r);
void gw_s3_delete_bucket_tagging(gw_req_t *r);

/** Reads the tags r sets into r->tags (stored form), before its access is decided (the
 *  policy sees them as s3:RequestObjectTag keys): x-amz-tagging of a PutObject or
 *  CreateMultipartUpload, and of a CopyObject whose x-amz-tagging-directive is REPLACE (COPY,
 *  the default, keeps the source's tags: r->tags stays NULL); the body of a PutObjectTagging
 *  or PutBucketTagging. GW_S3_OK, or the error with *msg (static, NULL: the table's):
 *  InvalidArgument (an undecodable header, an unknown directive), MalformedXML, InvalidTag
 *  (S3's limits, tags.h). */
gw_s3_err_t gw_req_read_tagging(gw_req_t *r, const char **msg);
/** A Tagging XML document (a Put*Tagging body, a POST form's tagging field) into r->tags,
 *  at most max tags: GW_S3_OK, MalformedXML or InvalidTag with *msg. */
gw_s3_err_t gw_req_read_tagging_xml(gw_req_t *r, cn_slice_t xml, size_t max, const char **msg);

/** A copy's tags: sets the ":tags" pair of *meta (the copy's encoded metadata, rewritten) to
 *  the source's (src_meta) under x-amz-tagging-directive COPY, or to r->tags under REPLACE. */
void gw_tagging_copy(gw_req_t *r, cn_slice_t src_meta, cn_buf_t *meta);

/** Adds x-amz-tagging-count to r's response for the stored tags (nothing for none). */
void gw_tagging_count_header(gw_req_t *r, const char *stored);

/** Puts the record resp (a storage get's answer: key r->op's, body, flags, etag; taken) again
 *  with the metadata meta: how an object's tags and ACL change. Answers ok_status (no body)
 *  once written, or the S3 error. */
void gw_obj_put_again(gw_req_t *r, cn_msg_t *resp, const cn_buf_t *meta, int ok_status);

/** Finds the version of r's object it addresses (?versionId, else the latest: s3_object.h)
 *  as r->op, then cont sends its read; a key-less request is answered NoSuchKey. For the
 *  operations on an object's metadata: tags, retention, legal hold. */
void gw_obj_target(gw_req_t *r, void (*cont)(gw_req_t *r));
/** The read of gw_obj_target (rc, resp): 0 with *meta set (resp's) when the version exists,
 *  is no delete marker and r may do its operation; else the error is answered and resp freed
 *  (-1). After gw_req_rpc_gone. */
int gw_obj_target_allowed(gw_req_t *r, int rc, cn_msg_t *resp, cn_slice_t *meta);

#endif
