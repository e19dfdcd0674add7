/*
 * gateway/auth/post_policy.h: the policy document of a browser POST upload (POST Object): its
 * parse and its check against the form's fields, as AWS documents them
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html).
 * The signature over the base64 policy is the caller's (s3_post.c); this file decides only
 * whether the form meets the policy. Pure: no I/O, no globals; thread-safe.
 *
 * A policy is {"expiration": "2007-12-01T12:00:00.000Z", "conditions": [...]} where each
 * condition is one of
 *   {"field": "value"}                          exact match (one member per object)
 *   ["eq", "$field", "value"]                   exact match
 *   ["starts-with", "$field", "prefix"]         prefix ("" matches anything)
 *   ["content-length-range", min, max]          the file's size, bytes, inclusive
 * Field names are case-insensitive ("$Content-Type" covers "content-type"), values are
 * case-sensitive. Each form field but the exempt ones (x-amz-signature, signature,
 * awsaccesskeyid, policy, file, x-ignore-*) must be named by some condition.
 * Details, after S3's behaviour: the expiration is "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (1 to 9
 * digits of fraction; other zones refused); the document has no other top-level member
 * ("Invalid Policy: Unexpected: \"name\""); operators are case-sensitive; a field written
 * without its '$' never holds; a starts-with on Content-Type holds when every entry of the
 * comma-separated value starts with the prefix; content-length-range bounds are integers
 * >= 0 or strings of digits, min <= max; the JSON is strict (no trailing comma, no repeated
 * member, no \u0000).
 */
#ifndef CAIRN_GATEWAY_POST_POLICY_H
#define CAIRN_GATEWAY_POST_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_error.h"

#define GW_POST_POLICY_MAX (20u * 1024)   /* bytes of decoded policy JSON we accept */
#define GW_POST_POLICY_CONDS_MAX 128      /* conditions per policy */
#define GW_POST_MSG_MAX 512               /* room for a message naming a condition */

/** One form field as sent (name before ${filename} substitution is the caller's business:
 *  pass the key after it). */
typedef struct gw_post_field {
    cn_slice_t name;
    cn_slice_t value;
} gw_post_field_t;

typedef struct gw_post_policy gw_post_policy_t; /* opaque; gw_post_policy_free */

/** Parses a decoded policy document. GW_S3_OK with *out, else GW_S3_INVALID_POLICY_DOCUMENT
 *  with msg set (S3's texts: "Invalid Policy: Invalid JSON.", "Invalid Policy: Policy missing
 *  expiration.", "Invalid Policy: Invalid 'expiration' value: '...'", "Invalid Policy: Policy
 *  missing conditions.", "Invalid Policy: Invalid Condition: ...", "Invalid Policy: Invalid
 *  Simple-Condition: ...", "Invalid Policy: Invalid Eq: wrong number of arguments." (also
 *  starts-with, content-length-range), "Invalid Policy: Invalid content-length-range
 *  condition ...").
 *  Over GW_POST_POLICY_MAX bytes or GW_POST_POLICY_CONDS_MAX conditions is refused too. */
gw_s3_err_t gw_post_policy_parse(const char *json, size_t len, gw_post_policy_t **out,
                                 char *msg, size_t msg_len);
void gw_post_policy_free(gw_post_policy_t *p);

/** Checks a form against p at now_ms (ms since the epoch): not expired; every condition met
 *  (the field "bucket" is bucket; a field the form lacks is ""); the file's size, file_size,
 *  within each content-length-range; every field of f[0, n) but the exempt ones named by a
 *  condition. GW_S3_OK, or with msg set:
 *    AccessDenied     "Invalid according to Policy: Policy expired."
 *    AccessDenied     "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"a\"]"
 *    AccessDenied     "Invalid according to Policy: Extra input fields: foo"
 *    EntityTooSmall / EntityTooLarge  (content-length-range)
 *  The first failure in condition order is reported (extra fields after every condition). */
gw_s3_err_t gw_post_policy_check(const gw_post_policy_t *p, uint64_t now_ms,
                                 const gw_post_field_t *f, size_t n, const char *bucket,
                                 uint64_t file_size, char *msg, size_t msg_len);

/** 1 when a field of this name needs no condition (the exempt ones above). */
int gw_post_field_exempt(cn_slice_t name);

#endif
