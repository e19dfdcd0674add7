/*
 * gateway/s3/s3_copy.h: CopyObject and UploadPartCopy (s3_copy.c).
 */
#ifndef CAIRN_GATEWAY_S3_COPY_H
#define CAIRN_GATEWAY_S3_COPY_H

#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_req.h"

/** CopyObject (PUT with x-amz-copy-source); s3_copy.c. */
void gw_s3_copy_object(gw_req_t *r);
/** UploadPartCopy into the part op already attached to r (s3_copy.c). */
void gw_s3_upload_part_copy(gw_req_t *r);

#endif
