/*
 * gateway/auth/access_req.c: the one access decision (gateway/auth/access.c) applied to a
 * request: the operation's bucket permission before dispatch (gw_req_check_bucket, from
 * http.c), an object permission (GET, HEAD, copy sources, the object's ACL and tags) once its
 * metadata is read (gw_obj_allows, from the S3 operations and the cache's hits alike). The
 * bucket's owner and ACL are copied into r: the bucket table may be replaced while an RPC is
 * pending.
 */
#include "gateway/auth/access_req.h"

#include <stdio.h>
#include <string.h>

#include "common/log.h"
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

    snprintf(r->bucket_owner, sizeof(r->bucket_owner), "%s", b->owner ? b->owner : "");
    snprintf(r->bucket_acl, sizeof(r->bucket_acl), "%s", b->acl ? b->acl : "");
    bs = (gw_acl_subject_t){r->bucket_owner, r->bucket_acl};
    r->may_list = gw_access_allows(r->requester, &bs, NULL, GW_PERM_BUCKET_LIST);
    if (gw_perm_is_object(perm))
        return GW_S3_OK;
    return gw_access_allows(r->requester, &bs, NULL, perm) ? GW_S3_OK : GW_S3_ACCESS_DENIED;
}

gw_acl_subject_t gw_req_bucket(const gw_req_t *r)
{
    return (gw_acl_subject_t){r->bucket_owner, r->bucket_acl};
}

int gw_obj_allows(gw_req_t *r, const gw_acl_subject_t *bucket, cn_slice_t meta, gw_perm_t perm,
                  gw_obj_access_t *out)
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

gw_s3_err_t gw_obj_missing(const gw_req_t *r, const gw_acl_subject_t *bucket)
{
    return gw_access_allows(r->requester, bucket, NULL, GW_PERM_BUCKET_LIST)
               ? GW_S3_NO_SUCH_KEY
               : GW_S3_ACCESS_DENIED;
}
