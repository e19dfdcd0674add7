/*
 * gateway/s3/s3_bucket.h: the bucket operations (s3_bucket.c): ListBuckets, CreateBucket,
 * DeleteBucket, HeadBucket, GetBucketLocation, ListObjects (v1 and v2), and the quota check.
 */
#ifndef CAIRN_GATEWAY_S3_BUCKET_H
#define CAIRN_GATEWAY_S3_BUCKET_H

#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_req.h"

void gw_s3_list_buckets(gw_req_t *r);
/** set-bucket-quota: when storing bytes more in the request's bucket would pass its quota,
 *  answers 403 QuotaExceeded and returns 1; else counts them in and returns 0. Checked
 *  against the manager's periodic sum plus what this gateway let in since
 *  (gw_mgr_quota_take; docs/ADMIN_API.md). PUT, UploadPart, CopyObject and UploadPartCopy
 *  call it. */
int gw_quota_refuses(gw_req_t *r, uint64_t bytes);
void gw_s3_create_bucket(gw_req_t *r);
void gw_s3_delete_bucket(gw_req_t *r);
void gw_s3_head_bucket(gw_req_t *r);
void gw_s3_bucket_location(gw_req_t *r);
void gw_s3_list_objects_v1(gw_req_t *r);
void gw_s3_list_objects_v2(gw_req_t *r);

#endif
