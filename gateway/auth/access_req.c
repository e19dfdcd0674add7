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

/* 1 for a canned ACL that grants anything to everyone or to every signed user (S3's
 * "public" ACLs, which the public access block blocks or ignores). */
static int acl_is_public(const char *acl)
{
    return acl != NULL && (strcmp(acl, "public-read") == 0 ||
                           strcmp(acl, "public-read-write") == 0 ||
                           strcmp(acl, "authenticated-read") == 0);
}

/* The canned ACL that counts for a decision in bucket b (NULL: none known): none with the
 * ownership controls BucketOwnerEnforced (ACLs disabled), and a public one grants nothing
 * with IgnorePublicAcls. */
static const char *acl_in_force(const gw_bucket_t *b, const char *acl)
{
    if (b != NULL && b->ownership == GW_OWN_ENFORCED)
        return "private";
    if (b != NULL && (b->pab & GW_PAB_IGNORE_ACLS) && acl_is_public(acl))
        return "private";
    return acl;
}

/* An ACL the request sets (x-amz-acl of a write or a Put*Acl, which r->acl holds once read)
 * against its bucket's settings: 400 AccessControlListNotSupported when ACLs are disabled
 * (BucketOwnerEnforced takes none but the default), 403 when BlockPublicAcls refuses a
 * public one. */
gw_s3_err_t gw_req_acl_allowed(const gw_req_t *r, const char *acl)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    if (b == NULL || acl == NULL || acl[0] == '\0')
        return GW_S3_OK;
    if (b->ownership == GW_OWN_ENFORCED && strcmp(acl, "private") != 0)
        return GW_S3_ACL_NOT_SUPPORTED;
    if ((b->pab & GW_PAB_BLOCK_ACLS) && acl_is_public(acl))
        return GW_S3_ACCESS_DENIED;
    return GW_S3_OK;
}

const char *gw_req_object_owner(const gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    return b != NULL && b->ownership == GW_OWN_ENFORCED ? r->bucket_owner : r->requester;
}

gw_s3_err_t gw_req_check_access(gw_req_t *r, const gw_bucket_t *b)
{
    gw_perm_t perm = gw_op_perm(r->route.op);
    gw_acl_subject_t bs;
    const char *action;
    gw_policy_result_t pr;
    gw_s3_err_t e;
    int owner;

    snprintf(r->bucket_owner, sizeof(r->bucket_owner), "%s", b->owner ? b->owner : "");
    snprintf(r->bucket_acl, sizeof(r->bucket_acl), "%s", b->acl ? b->acl : "");
    bs = (gw_acl_subject_t){r->bucket_owner, acl_in_force(b, r->bucket_acl)};
    owner = r->requester[0] && strcmp(r->requester, r->bucket_owner) == 0;
    r->may_list = gw_policy_combine(
        gw_req_policy_for(r, r->route.bucket, "s3:ListBucket", NULL, 0),
        gw_access_allows(r->requester, &bs, NULL, GW_PERM_BUCKET_LIST), owner, "s3:ListBucket");
    pr = gw_req_policy(r, &action);
    r->obj_policy = pr;
    if (gw_perm_is_object(perm)) { /* the object's own grants are read later (gw_obj_allows) */
        if (pr == GW_POLICY_DENY)
            return GW_S3_ACCESS_DENIED;
    } else if (!gw_policy_combine(pr, gw_access_allows(r->requester, &bs, NULL, perm), owner,
                                  action)) {
        return GW_S3_ACCESS_DENIED;
    }
    /* allowed: the ACL it sets must suit the bucket (Put*Acl with a body: s3_acl.c) */
    if (r->route.op == GW_OP_PUT_OBJECT || r->route.op == GW_OP_CREATE_MULTIPART ||
        r->route.op == GW_OP_PUT_BUCKET_ACL || r->route.op == GW_OP_PUT_OBJECT_ACL)
        if ((e = gw_req_acl_allowed(r, r->acl)) != GW_S3_OK)
            return e;
    return GW_S3_OK;
}

gw_acl_subject_t gw_req_bucket(const gw_req_t *r)
{
    return (gw_acl_subject_t){r->bucket_owner, r->bucket_acl};
}

/* The ACL part of an object permission in bucket bname: the object's owner and canned ACL
 * from meta, as its bucket's settings let them count. */
static int obj_acl_allows(gw_req_t *r, const char *bname, const gw_acl_subject_t *bucket,
                          cn_slice_t meta, gw_perm_t perm, gw_obj_access_t *out)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, bname);
    gw_obj_access_t a;
    gw_acl_subject_t os = {a.owner, NULL}, bs = *bucket;

    if (gw_meta_access(meta.ptr ? meta.ptr : "", meta.ptr ? meta.len : 0, bucket->owner, a.owner,
                       a.acl) != 0)
        CN_LOG(CN_LOG_WARN, "req=%s %s: unreadable object metadata; only the bucket's owner "
               "may read it", r->reqid, r->resource);
    if (out)
        *out = a;
    os.acl = acl_in_force(b, a.acl);
    bs.acl = acl_in_force(b, bucket->acl);
    if (b != NULL && b->ownership == GW_OWN_ENFORCED)
        os.owner = bucket->owner; /* the bucket's owner owns every object */
    return gw_access_allows(r->requester, &bs, &os, perm);
}

int gw_obj_allows(gw_req_t *r, const gw_acl_subject_t *bucket, cn_slice_t meta, gw_perm_t perm,
                  gw_obj_access_t *out)
{
    int acl = obj_acl_allows(r, r->route.bucket, bucket, meta, perm, out);

    /* the policy's word on r's operation and object, decided with the bucket's part */
    return gw_policy_combine(r->obj_policy, acl,
                             r->requester[0] && strcmp(r->requester, bucket->owner) == 0, NULL);
}

int gw_copy_source_allows(gw_req_t *r, const gw_acl_subject_t *sb, const char *src_bucket,
                          const char *src_key, size_t src_key_len, cn_slice_t meta)
{
    int acl = obj_acl_allows(r, src_bucket, sb, meta, GW_PERM_OBJECT_READ, NULL);
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
