/*
 * gateway/http/s3_limits.h: S3's limits on a request's headers (s3_limits.c).
 */
#ifndef CAIRN_GATEWAY_S3_LIMITS_H
#define CAIRN_GATEWAY_S3_LIMITS_H

#define H2O_USE_LIBUV 1
#include <h2o.h>

#include "gateway/s3/s3_error.h"

/** RequestHeaderSectionTooLarge over 8 KiB of headers, MetadataTooLarge over 2 KiB of user
 *  metadata, else GW_S3_OK. */
gw_s3_err_t gw_s3_check_limits(const h2o_req_t *req);

#endif
