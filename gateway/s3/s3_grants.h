/*
 * gateway/s3/s3_grants.h: ACL grants as S3 requests carry them (issue 15): the x-amz-grant-*
 * headers and an AccessControlPolicy body, resolved against the users table into a grant list
 * (common/acl.h: ids, groups); and the AccessControlPolicy document Get*Acl answers. What the
 * grants allow is gateway/auth/access.c's business. Loop thread only.
 */
#ifndef CAIRN_GATEWAY_S3_GRANTS_H
#define CAIRN_GATEWAY_S3_GRANTS_H

#include "common/buf.h"
#include "gateway/s3/s3_req.h"

/** On the operations that take them (CreateBucket, PutObject and CopyObject,
 *  CreateMultipartUpload, PutBucketAcl, PutObjectAcl), reads the x-amz-grant-read, -write,
 *  -read-acp, -write-acp and -full-control headers (each a comma-separated list of
 *  id="canonical id", emailAddress="address", uri="group URI") into r->grants. GW_S3_OK
 *  (none: r->grants stays NULL), or the error with *msg: InvalidRequest beside x-amz-acl,
 *  InvalidArgument for a malformed value, an unknown id or group, more than 100 grants;
 *  UnresolvableGrantByEmailAddress for an address no user has. */
gw_s3_err_t gw_req_read_grants(gw_req_t *r, const char **msg);

/** Resolves the AccessControlPolicy body of a Put*Acl into a grant list (out, appended) and
 *  its Owner ID (owner_claim, "" when the body names none; the caller compares it with the
 *  real owner). GW_S3_OK, or the error with *msg: MalformedACLError (a body that does not
 *  parse), InvalidArgument, UnresolvableGrantByEmailAddress (as the headers). */
gw_s3_err_t gw_grants_from_body(gw_req_t *r, cn_buf_t *out, char owner_claim[72],
                                const char **msg);

/** Answers 200 with the AccessControlPolicy of a resource owned by owner: its grant list
 *  when grants is not NULL or "", else the grants canned ACL acl stands for (bucket_owner:
 *  the object's bucket's owner, NULL for a bucket). Owner and CanonicalUser grantees carry
 *  the user's ID and DisplayName. */
void gw_acl_send_policy(gw_req_t *r, const char *owner, const char *acl, const char *grants,
                        const char *bucket_owner);

#endif
