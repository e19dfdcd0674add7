/*
 * gateway/auth/policy.h: S3 bucket policies (issue 15): parse a policy document into a
 * compiled form with S3's validation, evaluate it against a request, tell whether it is
 * public, and combine its result with the ACL decision (gateway/auth/access.h). Pure: no I/O,
 * no global state; a compiled policy is immutable and may be shared by threads.
 * NOT wired into the request path yet: PutBucketPolicy answers 501 until the manager stores
 * policies (docs/SECURITY.md, "Bucket policies (evaluator)").
 *
 * Grammar (IAM User Guide, "Grammar of the IAM JSON policy language"; S3 User Guide,
 * "Bucket policy examples"):
 *   { "Version": "2012-10-17" | "2008-10-17" (absent: 2008-10-17), "Id": string,
 *     "Statement": statement | [statement, ...] }   (no other top-level field)
 *   statement = { "Sid": string (unique in the policy when not empty),
 *     "Effect": "Allow" | "Deny",
 *     "Principal" | "NotPrincipal": "*" | { "AWS": v | [v...], "CanonicalUser": c | [c...] },
 *        v = "*", a canonical id (64 hex), "arn:aws:iam::<64 hex>:root" (that user), or
 *            "arn:aws:iam::<account>:user/[path/]NAME" (the user named NAME; cairn has no
 *            accounts, so the account part is not compared);
 *        c = a canonical id. {"Service": name} is valid and names no requester of ours;
 *        Federated and 12-digit account ids are invalid (no such principal exists here,
 *        which S3 answers as "Invalid principal in policy").
 *     "Action" | "NotAction": a | [a...],  a = "*" or "s3:NAME" with * and ? (case-
 *        insensitive), matching at least one S3 action of the catalog in policy.c;
 *     "Resource" | "NotResource": r | [r...], r = "arn:aws:s3:::" + pattern (* and ?,
 *        case-sensitive) that can name the policy's bucket or an object in it;
 *     "Condition": { OPERATOR: { KEY: value | [value...] } }  (policy_cond.h; values are
 *        strings, numbers or booleans; keys are aws:* and the S3 keys of policy.c) }
 * Policy variables ${key}, ${key, 'default'}, ${*}, ${?}, ${$} (Version 2012-10-17 only)
 * are expanded in Resource and in the values of the String* and Arn* operators, their
 * values always literal (a '*' in a user name is no wildcard); a variable whose key is
 * absent (or multivalued) and has no default makes that pattern match nothing.
 *
 * Evaluation (IAM "Policy evaluation logic", for one resource-based policy): a statement
 * applies when its principal, action, resource and every condition match; any applying Deny
 * gives GW_POLICY_DENY, else any applying Allow gives GW_POLICY_ALLOW, else GW_POLICY_NONE.
 * Anonymous requesters match only "*" (and {"AWS": "*"}); NotPrincipal applies to everyone
 * not listed, anonymous included. Actions compare case-insensitively, resources and
 * condition values case-sensitively (but for the IgnoreCase operators); condition key names
 * compare case-insensitively up to their first '/', and exactly after it (tag keys).
 */
#ifndef CAIRN_GATEWAY_POLICY_H
#define CAIRN_GATEWAY_POLICY_H

#include <stddef.h>

#include "gateway/s3/route.h"

#define GW_POLICY_MAX_BYTES 20480   /* S3's limit on a bucket policy (20 KiB), written compactly */
#define GW_POLICY_MAX_BODY 40960    /* what a document may take before it is compacted */
#define GW_POLICY_MSG_MAX 160       /* room for any MalformedPolicy message */

typedef struct gw_policy gw_policy_t;

typedef enum gw_policy_result {
    GW_POLICY_NONE = 0,   /* no statement applies: the ACLs decide */
    GW_POLICY_ALLOW,
    GW_POLICY_DENY,       /* explicit deny: nothing else can allow */
} gw_policy_result_t;

/** One condition key of a request and its values (n = 0: present with no value). */
typedef struct gw_policy_key {
    const char *name;              /* "aws:SourceIp", "s3:ExistingObjectTag/project" */
    const char *const *values;
    size_t n;
} gw_policy_key_t;

#define GW_POLICY_EXISTING_TAG "s3:ExistingObjectTag/" /* + a tag key: the object's tag */

/** Whether the object's tags (the s3:ExistingObjectTag/<key> condition keys) are known. */
typedef enum gw_policy_tags {
    GW_POLICY_TAGS_KNOWN = 0, /* keys has them all: an absent one is a tag the object lacks */
    GW_POLICY_TAGS_LATER,     /* unknown now, decided again once known: a statement with such
                                 a condition is passed over (neither allows nor denies) */
    GW_POLICY_TAGS_CLOSED,    /* unknown on this path for good: such a condition holds for a
                                 Deny and fails for an Allow (fail closed) */
} gw_policy_tags_t;

/** A request as the evaluator sees it; every pointer is borrowed for the call only. */
typedef struct gw_policy_ctx {
    const char *user_id;           /* canonical id; NULL or "" = anonymous */
    const char *user_name;         /* the signer's user name (NULL when anonymous) */
    const char *action;            /* "s3:GetObject" (gw_policy_op_action) */
    const char *resource;          /* "arn:aws:s3:::bucket" or ".../key" (gw_policy_arn) */
    const gw_policy_key_t *keys;   /* the condition keys present in the request */
    size_t nkeys;
    gw_policy_tags_t tags;         /* are the s3:ExistingObjectTag/ keys in keys? */
    /* aws:userid and aws:username, when absent from keys, are taken from user_id and
     * user_name (a signed request only). */
} gw_policy_ctx_t;

/** Parses and validates the document doc[0..len) for bucket. Returns 0 with *out (free it
 *  with gw_policy_destroy), CN_E2BIG past GW_POLICY_MAX_BODY bytes or past
 *  GW_POLICY_MAX_BYTES once written compactly (S3 measures the policy without its blanks),
 *  or CN_EINVAL; on an error msg
 *  (msg_size bytes, GW_POLICY_MSG_MAX is enough) holds S3's MalformedPolicy message, e.g.
 *  "Policy has invalid resource". Any bytes are safe. */
int gw_policy_parse(const char *doc, size_t len, const char *bucket, gw_policy_t **out,
                    char *msg, size_t msg_size);

/** 1 when some condition of p names an s3:ExistingObjectTag/ key (the object's tags must
 *  then be known to decide an object's request: gateway/auth/access_req.c). */
int gw_policy_uses_existing_tags(const gw_policy_t *p);

/** Frees a policy (NULL is fine). */
void gw_policy_destroy(gw_policy_t *p);

/** Evaluates p for the request ctx (see above). */
gw_policy_result_t gw_policy_eval(const gw_policy_t *p, const gw_policy_ctx_t *ctx);

/** 1 when p is "public" for GetBucketPolicyStatus and BlockPublicPolicy (S3 User Guide,
 *  "The meaning of public"): some Allow statement names everyone ("*", {"AWS": "*"}, or any
 *  NotPrincipal) without a condition that fixes who may come: IpAddress on aws:SourceIp
 *  with no range broader than a /8 (IPv4) or a /32 (IPv6), or a StringEquals/ArnEquals (not IfExists, no wildcard in any value)
 *  on aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount,
 *  aws:PrincipalOrgID, s3:x-amz-server-side-encryption-aws-kms-key-id or aws:userid
 *  (aws:userid values of the form "AROLEID:*" do not fix anyone and are refused: no
 *  wildcard). Statements whose every action is a "safe" one (not s3:Get*, s3:List*,
 *  s3:Put*, s3:Delete*, s3:AbortMultipartUpload or s3:RestoreObject) do not count. */
int gw_policy_is_public(const gw_policy_t *p);

/** The S3 action of an operation of the route: "s3:GetObject" ..., NULL for none (OPTIONS,
 *  unsupported sub-resources). A request naming a version (has_version_id: a versionId query
 *  parameter) asks for the version actions (s3:GetObjectVersion, s3:DeleteObjectVersion,
 *  s3:GetObjectVersionAcl, s3:PutObjectVersionAcl, s3:GetObjectVersionTagging). *object_level
 *  (may be NULL) is set to 1 when the resource is an object ARN, 0 for the bucket's ARN
 *  (ListAllMyBuckets has no bucket: its resource is "*"). HeadObject is s3:GetObject and
 *  HeadBucket s3:ListBucket, the multipart steps s3:PutObject, as S3 documents; DeleteObjects
 *  is s3:DeleteObject for each key. */
const char *gw_policy_op_action(gw_op_t op, int has_version_id, int *object_level);

/** Writes the resource ARN "arn:aws:s3:::bucket" (key NULL) or "arn:aws:s3:::bucket/key"
 *  into buf. Returns the length, or 0 when it does not fit in size bytes. */
size_t gw_policy_arn(char *buf, size_t size, const char *bucket, const char *key);

/** How a policy's result combines with the ACL decision (S3 User Guide, "How Amazon S3
 *  authorizes a request"; IAM "Policy evaluation logic"), in this order:
 *   1. The bucket owner may always read, change and delete the bucket policy
 *      (s3:GetBucketPolicy, s3:PutBucketPolicy, s3:DeleteBucketPolicy), even past a Deny,
 *      so that a policy can never lock its owner out.
 *   2. An explicit Deny denies.
 *   3. An Allow of the policy, or an ACL grant (acl_allows, gw_access_allows), allows.
 *   4. Otherwise deny (the implicit deny).
 *  Returns 1 allow, 0 deny. action is the request's S3 action (may be NULL). */
int gw_policy_combine(gw_policy_result_t r, int acl_allows, int is_bucket_owner,
                      const char *action);

#endif
