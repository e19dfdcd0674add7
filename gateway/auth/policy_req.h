/*
 * gateway/auth/policy_req.h: a bucket policy (gateway/auth/policy.h) applied to an S3
 * request: the action of its operation, the resource it touches and the condition keys it
 * carries, evaluated against the policy the bucket has now. access_req.c combines the
 * result with the ACLs (gw_policy_combine): the one access decision. Loop thread only.
 */
#ifndef CAIRN_GATEWAY_POLICY_REQ_H
#define CAIRN_GATEWAY_POLICY_REQ_H

#include <stddef.h>

#include "gateway/auth/policy.h"
#include "gateway/s3/s3_req.h"

/** What the policy of bucket says of action (an S3 action, "s3:GetObject") on the object
 *  key[0..key_len) (key NULL: the bucket itself) for r's requester, with r's condition keys.
 *  GW_POLICY_NONE when the bucket has no policy (or does not exist) or action is NULL;
 *  GW_POLICY_DENY when its stored policy is broken (fail closed). The object's tags are not
 *  known: s3:ExistingObjectTag conditions fail closed (GW_POLICY_TAGS_CLOSED). */
gw_policy_result_t gw_req_policy_for(gw_req_t *r, const char *bucket, const char *action,
                                     const char *key, size_t key_len);
/** gw_req_policy_for with the object's tags known: tags is their stored form (tags.h; NULL
 *  or "": the object has none). */
gw_policy_result_t gw_req_policy_tags(gw_req_t *r, const char *bucket, const char *action,
                                      const char *key, size_t key_len, const char *tags);
/** The same for r's own operation on its own resource (its bucket, or its bucket and key);
 *  *action (may be NULL) gets the operation's S3 action (NULL for one without). An operation
 *  whose permission is its object's (gw_perm_is_object) passes over the statements that
 *  name s3:ExistingObjectTag keys: gw_obj_allows decides again with the object's tags
 *  (gw_req_policy_own_tags); any other fails closed on them. */
gw_policy_result_t gw_req_policy(gw_req_t *r, const char **action);
/** gw_req_policy once the object's tags are known (their stored form; NULL or "": none). */
gw_policy_result_t gw_req_policy_own_tags(gw_req_t *r, const char *tags);
/** 1 when the policy of bucket has s3:ExistingObjectTag conditions (else the tags change
 *  nothing and need not be read). */
int gw_req_policy_needs_tags(gw_req_t *r, const char *bucket);

#endif
