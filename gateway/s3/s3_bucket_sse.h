/*
 * gateway/s3/s3_bucket_sse.h: a bucket's default encryption (issue 20): PutBucketEncryption,
 * GetBucketEncryption, DeleteBucketEncryption. The document is sse_conf.h's; the manager
 * keeps its stored form as the bucket's configuration "encryption"; s3_sse.c applies it to
 * every new object that names no encryption.
 */
#ifndef CAIRN_GATEWAY_S3_BUCKET_SSE_H
#define CAIRN_GATEWAY_S3_BUCKET_SSE_H

#include "gateway/s3/s3_req.h"

void gw_s3_put_bucket_encryption(gw_req_t *r);
void gw_s3_get_bucket_encryption(gw_req_t *r);
void gw_s3_delete_bucket_encryption(gw_req_t *r);

#endif
