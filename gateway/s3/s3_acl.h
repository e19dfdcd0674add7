/*
 * gateway/s3/s3_acl.h: ACLs (s3_acl.c): Get/PutBucketAcl, Get/PutObjectAcl (canned ACLs and
 * grant lists, s3_grants.h), and the Owner element.
 */
#ifndef CAIRN_GATEWAY_S3_ACL_H
#define CAIRN_GATEWAY_S3_ACL_H

#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_req.h"

void gw_s3_get_bucket_acl(gw_req_t *r);
void gw_s3_put_bucket_acl(gw_req_t *r);
void gw_s3_get_object_acl(gw_req_t *r);
void gw_s3_put_object_acl(gw_req_t *r);
/** Appends <tag><ID>id</ID><DisplayName>the user's name</DisplayName></tag> (s3_acl.c). */
void gw_owner_xml(gw_req_t *r, cn_buf_t *b, const char *tag, const char *id);
/** 1 when a canned ACL name is one S3 knows (all eight, common/acl.h). */
int gw_acl_canned_valid(const char *acl);

#endif
