/*
 * gateway/s3/s3_multipart.h: multipart uploads (s3_multipart.c).
 */
#ifndef CAIRN_GATEWAY_S3_MULTIPART_H
#define CAIRN_GATEWAY_S3_MULTIPART_H

#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_req.h"

void gw_s3_create_multipart(gw_req_t *r);
void gw_s3_upload_part(gw_req_t *r);
void gw_s3_complete_multipart(gw_req_t *r);
void gw_s3_abort_multipart(gw_req_t *r);
void gw_s3_list_parts(gw_req_t *r);
void gw_s3_list_multipart_uploads(gw_req_t *r);

#endif
