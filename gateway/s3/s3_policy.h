/*
 * gateway/s3/s3_policy.h: the bucket policy operations (s3_policy.c): Put, Get and
 * DeleteBucketPolicy, GetBucketPolicyStatus. The policy itself is manager state (a
 * bucket_set_policy entry); the decision it takes part in is gateway/auth/access_req.c's.
 */
#ifndef CAIRN_GATEWAY_S3_POLICY_H
#define CAIRN_GATEWAY_S3_POLICY_H

#include "gateway/s3/s3_req.h"

void gw_s3_put_bucket_policy(gw_req_t *r);
void gw_s3_get_bucket_policy(gw_req_t *r);
void gw_s3_delete_bucket_policy(gw_req_t *r);
void gw_s3_get_bucket_policy_status(gw_req_t *r);

#endif
