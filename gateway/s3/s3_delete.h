/*
 * gateway/s3/s3_delete.h: DeleteObjects (s3_delete.c).
 */
#ifndef CAIRN_GATEWAY_S3_DELETE_H
#define CAIRN_GATEWAY_S3_DELETE_H

#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_req.h"

void gw_s3_delete_objects(gw_req_t *r);

#endif
