/*
 * gateway/s3/s3_lifecycle.h: a bucket's lifecycle configuration (issue 18, s3_lifecycle.c):
 * Put, Get and DeleteBucketLifecycleConfiguration, and the x-amz-expiration header of the
 * current versions a rule will expire. The rules are applied by the storage nodes' workers.
 */
#ifndef CAIRN_GATEWAY_S3_LIFECYCLE_H
#define CAIRN_GATEWAY_S3_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/s3/s3_req.h"

void gw_s3_put_bucket_lifecycle(gw_req_t *r);
void gw_s3_get_bucket_lifecycle(gw_req_t *r);
void gw_s3_delete_bucket_lifecycle(gw_req_t *r);

/** Adds x-amz-expiration (expiry-date="<HTTP date>", rule-id="<ID>") to r's response when an
 *  enabled rule of r's bucket expires the current version of r's key with these size, tags
 *  (tags.h's stored form, NULL: none) and mtime_ms; nothing otherwise. */
void gw_lifecycle_expiration_header(gw_req_t *r, uint64_t size, const char *tags,
                                    uint64_t mtime_ms);

#endif
