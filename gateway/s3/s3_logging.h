/*
 * gateway/s3/s3_logging.h: PutBucketLogging and GetBucketLogging (s3_logging.c): where a
 * bucket's server access logs go. The records themselves are made and delivered by
 * gateway/logs/ (log_ship.h). Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_LOGGING_H
#define CAIRN_GATEWAY_S3_LOGGING_H

#include "gateway/s3/s3_req.h"

/* room a log object's key needs after its prefix: "YYYY-mm-DD-HH-MM-SS-" and 16 hex digits */
#define GW_LOG_KEY_SUFFIX_LEN 36

void gw_s3_put_bucket_logging(gw_req_t *r);
void gw_s3_get_bucket_logging(gw_req_t *r);

#endif
