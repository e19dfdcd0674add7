/*
 * gateway/auth/access_req.c: the one access decision (gateway/auth/access.c) applied to a
 * request: the operation's bucket permission before dispatch (gw_req_check_bucket, from
 * http.c), an object permission (GET, HEAD, copy sources, the object's ACL and tags) once its
 * metadata is read (gw_obj_allows, from the S3 operations and the cache's hits alike). The
 * bucket's owner and ACL are copied into r: the bucket table may be replaced while an RPC is
 * pending. The bucket policy (policy_req.h) has its word in each: an explicit Deny denies,
 * an Allow allows beside the ACLs (gw_policy_combine). The policy's result for r's own
 * operation and object is decided with the bucket's part and kept in r->obj_policy for the
 * object's part.
 */
#include "gateway/auth/access_req.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "gateway/auth/policy_req.h"
#include "gateway/gateway.h"
#include "gateway/s3/manifest.h"

gw_s3_err_t gw_req_check_bucket(gw_req_t *r)
{
    const gw_bucket_t *b;

    if (r->anonymous && (!r->route.bucket[0] || r->route.op == GW_OP_CREATE_BUCKET))
        return GW_S3_ACCESS_DENIED; /* ListBuckets and CreateBucket need a signature */
    if (!r->route.bucket[0] || r->route.op == GW_OP_CREATE_BUCKET)
        return GW_S3_OK;
    b = r->route.bucket_too_long ? NULL : gw_mgr_bucket_find(r->srv, r->route.bucket);
    if (!b)
        return GW_S3_NO_SUCH_BUCKET;
    if (!gw_owner_expected(gw_req_header(r, "x-amz-expected-bucket-owner"), b->owner))
        return GW_S3_ACCESS_DENIED;
    return gw_req_check_access(r, b);
}

int gw_owner_expected(cn_slice_t expected, const char *owner)
{
    /* S3 names the owner by account id; here an owner is a canonical user id (what
     * GetBucketAcl's Owner ID shows), so that is what the header must carry */
    return expected.ptr == NULL ||
           (owner != NULL && expected.len == strlen(owner) &&
            memcmp(expected.ptr, owner, expected.len) == 0);
}

gw_s3_err_t gw_req_check_access(gw_req_t *r, const gw_bucket_t *b)
{
    gw_perm_t perm = gw_op_perm(r->route.op);
    gw_acl_subject_t bs;
    const char *action;
    gw_policy_result_t pr;
    int owner;

    snprintf(r->bucket_owner, sizeof(r->bucket_owner), "%s", b->owner ? b->owner : "");
    snprintf(r->bucket_acl, sizeof(r->bucket_acl), "%s", b->acl ? b->acl : "");
    bs = (gw_acl_subject_t){r->bucket_owner, r->bucket_acl};
    owner = r->requester[0] && strcmp(r->requester, r->bucket_owner) == 0;
    r->may_list = gw_policy_combine(
        gw_req_policy_for(r, r->route.bucket, "s3:ListBucket", NULL, 0),
        gw_access_allows(r->requester, &bs, NULL, GW_PERM_BUCKET_LIST), owner, "s3:ListBucket");
    pr = gw_req_policy(r, &action);
    r->obj_policy = pr;
    if (gw_perm_is_object(perm)) /* the object's own grants are read later (gw_obj_allows) */
        return pr == GW_POLICY_DENY ? GW_S3_ACCESS_DENIED : GW_S3_OK;
    return gw_policy_combine(pr, gw_access_allows(r->requester, &bs, NULL, perm), owner, action)
               ? GW_S3_OK
               : GW_S3_ACCESS_DENIED;
}

gw_acl_subject_t gw_req_bucket(const gw_req_t *r)
{
    return (gw_acl_subject_t){r->bucket_owner, r->bucket_acl};
}

/* The ACL part of an object permission: the object's owner and canned ACL from meta. */
static int obj_acl_allows(gw_req_t *r, const gw_acl_subject_t *bucket, cn_slice_t meta,
                          gw_perm_t perm, gw_obj_access_t *out)
{
    gw_obj_access_t a;
    gw_acl_subject_t os = {a.owner, a.acl};

    if (gw_meta_access(meta.ptr ? meta.ptr : "", meta.ptr ? meta.len : 0, bucket->owner, a.owner,
                       a.acl) != 0)
        CN_LOG(CN_LOG_WARN, "req=%s %s: unreadable object metadata; only the bucket's owner "
               "may read it", r->reqid, r->resource);
    if (out)
        *out = a;
    return gw_access_allows(r->requester, bucket, &os, perm);
}

int gw_obj_allows(gw_req_t *r, const gw_acl_subject_t *bucket, cn_slice_t meta, gw_perm_t perm,
                  gw_obj_access_t *out)
{
    int acl = obj_acl_allows(r, bucket, meta, perm, out);

    /* the policy's word on r's operation and object, decided with the bucket's part */
    return gw_policy_combine(r->obj_policy, acl,
                             r->requester[0] && strcmp(r->requester, bucket->owner) == 0, NULL);
}

int gw_copy_source_allows(gw_req_t *r, const gw_acl_subject_t *sb, const char *src_bucket,
                          const char *src_key, size_t src_key_len, cn_slice_t meta)
{
    int acl = obj_acl_allows(r, sb, meta, GW_PERM_OBJECT_READ, NULL);
    gw_policy_result_t pr =
        gw_req_policy_for(r, src_bucket, "s3:GetObject", src_key, src_key_len);

    return gw_policy_combine(pr, acl, r->requester[0] && strcmp(r->requester, sb->owner) == 0,
                             "s3:GetObject");
}

gw_s3_err_t gw_obj_missing(const gw_req_t *r, const gw_acl_subject_t *bucket)
{
    /* r's own bucket: may_list, which its policy had its word in */
    int own = strcmp(bucket->owner, r->bucket_owner) == 0 &&
              strcmp(bucket->acl ? bucket->acl : "", r->bucket_acl) == 0;

    return (own ? r->may_list : gw_access_allows(r->requester, bucket, NULL, GW_PERM_BUCKET_LIST))
               ? GW_S3_NO_SUCH_KEY
               : GW_S3_ACCESS_DENIED;
}
