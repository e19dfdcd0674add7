/*
 * gateway/s3/s3_bucket_conf.h: a bucket's named configurations (s3_bucket_conf.c), kept by
 * the manager (bucket_set_config) and carried by the bucket table: the public access block
 * (Put, Get, DeletePublicAccessBlock) and the ownership controls (Put, Get,
 * DeleteBucketOwnershipControls); and the steps every bucket configuration call shares with
 * the bucket policy's (s3_policy.c) and the bucket ACL's (s3_acl.c): owner only, then a
 * manager call answered once this gateway holds the new table.
 */
#ifndef CAIRN_GATEWAY_S3_BUCKET_CONF_H
#define CAIRN_GATEWAY_S3_BUCKET_CONF_H

#include "common/rpc.h"
#include "gateway/s3/s3_req.h"

void gw_s3_get_public_access_block(gw_req_t *r);
void gw_s3_put_public_access_block(gw_req_t *r);
void gw_s3_delete_public_access_block(gw_req_t *r);
void gw_s3_get_ownership_controls(gw_req_t *r);
void gw_s3_put_ownership_controls(gw_req_t *r);
void gw_s3_delete_ownership_controls(gw_req_t *r);

/** 1 when r's requester owns r's bucket; else answers 405 MethodNotAllowed (the access
 *  decision let it in, so a policy grants it the action: S3's answer to another account). */
int gw_bucket_conf_owner_only(gw_req_t *r);
/** Sends m (a bucket_set_acl, bucket_set_policy or bucket_set_config, taken) to the manager
 *  and answers ok_status with no body once this gateway holds the bucket table it changed
 *  (S3: 200 for PutBucketAcl, PutPublicAccessBlock and PutBucketOwnershipControls, 204 for
 *  PutBucketPolicy and the Deletes), or the S3 error: NoSuchBucket, AccessDenied when the
 *  bucket changed owner meanwhile, NotImplemented from a manager without the op. */
void gw_bucket_conf_send(gw_req_t *r, cn_msg_t *m, int ok_status);
/** bucket_set_config of r's bucket through gw_bucket_conf_send: config = value (JSON text;
 *  NULL: delete), on condition that the bucket's owner is owner (the manager checks). */
void gw_bucket_conf_set(gw_req_t *r, const char *owner, const char *config, const char *value,
                        int ok_status);

#endif
