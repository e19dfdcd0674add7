/*
 * gateway/auth/access_req.c: the one access decision (gateway/auth/access.c) applied to a
 * request: the operation's bucket permission before dispatch (gw_req_check_bucket, from
 * http.c), an object permission (GET, HEAD, copy sources, the object's ACL and tags) once its
 * metadata is read (gw_obj_allows, from the S3 operations and the cache's hits alike). The
 * bucket's owner and ACL are copied into r: the bucket table may be replaced while an RPC is
 * pending. The bucket policy (policy_req.h) has its word in each: an explicit Deny denies,
 * an Allow allows beside the ACLs (gw_policy_combine). The policy's result for r's own
 * operation and object is decided with the bucket's part and kept in r->obj_policy for the
 * object's part, where it is decided again with the object's tags when the policy names
 * s3:ExistingObjectTag keys (policy_req.h: before the metadata is read, such statements are
 * passed over; on the paths that never read it, object writes and deletes, they fail
 * closed).
 */
#include "gateway/auth/access_req.h"

#include <stdio.h>
#include <string.h>

#include "common/acl.h"
#include "common/log.h"
#include "common/mem.h"
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

/* The ACL subject s as bucket b's settings let it count: nothing but its owner's with the
 * ownership controls BucketOwnerEnforced (ACLs disabled), and its grants to AllUsers and
 * AuthenticatedUsers (S3's "public" grants) nothing with IgnorePublicAcls. */
static void acl_in_force(const gw_bucket_t *b, gw_acl_subject_t *s)
{
    if (b != NULL && b->ownership == GW_OWN_ENFORCED) {
        s->acl = "private";
        s->grants = NULL;
    }
    if (b != NULL && (b->pab & GW_PAB_IGNORE_ACLS))
        s->flags |= GW_ACL_IGNORE_PUBLIC;
}

/* 1 when an ACL set under BucketOwnerEnforced is one S3 still takes: the default, or one that
 * gives the bucket's owner FULL_CONTROL and nothing else (bucket-owner-full-control, or that
 * as a grant list). */
static int acl_enforced_ok(const char *acl, const char *grants, const char *bucket_owner)
{
    cn_acl_grant_t g;
    size_t pos = 0;
    int rc;

    if (grants == NULL || grants[0] == '\0')
        return acl == NULL || acl[0] == '\0' || strcmp(acl, "private") == 0 ||
               strcmp(acl, "bucket-owner-full-control") == 0;
    while ((rc = cn_acl_next(grants, &pos, &g)) == 1)
        if (g.type != CN_ACL_USER || g.perm != CN_ACL_FULL_CONTROL ||
            strcmp(g.id, bucket_owner) != 0)
            return 0;
    return rc == 0;
}

/* An ACL the request sets (x-amz-acl or x-amz-grant-* of a write or a Put*Acl, which r->acl
 * and r->grants hold once read; a Put*Acl body's) against its bucket's settings: 400
 * AccessControlListNotSupported when ACLs are disabled (BucketOwnerEnforced takes none but
 * the bucket owner's full control), 403 when BlockPublicAcls refuses a public one. */
gw_s3_err_t gw_req_acl_allowed(const gw_req_t *r, const char *acl, const char *grants)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    int none = (acl == NULL || acl[0] == '\0') && (grants == NULL || grants[0] == '\0');

    if (b == NULL || none)
        return GW_S3_OK;
    if (b->ownership == GW_OWN_ENFORCED && !acl_enforced_ok(acl, grants, b->owner))
        return GW_S3_ACL_NOT_SUPPORTED;
    if ((b->pab & GW_PAB_BLOCK_ACLS) && cn_acl_is_public(acl, grants))
        return GW_S3_ACCESS_DENIED;
    return GW_S3_OK;
}

int gw_req_bypass_allowed(gw_req_t *r, const char *key, size_t key_len)
{
    static const char action[] = "s3:BypassGovernanceRetention";
    int owner = r->requester[0] && strcmp(r->requester, r->bucket_owner) == 0;

    return gw_policy_combine(gw_req_policy_for(r, r->route.bucket, action, key, key_len), owner,
                             owner, action);
}

const char *gw_req_object_owner(const gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    return gw_access_new_object_owner(b != NULL ? b->ownership : GW_OWN_OBJECT_WRITER,
                                      r->bucket_owner, r->requester, r->acl);
}

void gw_req_listed_owner(const gw_req_t *r, const cn_list_entry_t *e, char owner[72])
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    cn_slice_t v;
    char meta_owner[72];
    int named = cn_list_entry_meta(e, GW_META_OWNER, &v) && v.len < sizeof(meta_owner);

    if (named)
        snprintf(meta_owner, sizeof(meta_owner), "%.*s", (int)v.len, v.ptr);
    snprintf(owner, 72, "%s",
             gw_access_stored_owner(b != NULL ? b->ownership : GW_OWN_OBJECT_WRITER,
                                    r->bucket_owner, named ? meta_owner : NULL));
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
    cn_free(r->bucket_grants);
    r->bucket_grants = cn_strdup(b->grants ? b->grants : "");
    bs = (gw_acl_subject_t){r->bucket_owner, r->bucket_acl, r->bucket_grants, 0};
    acl_in_force(b, &bs);
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
        r->route.op == GW_OP_POST_OBJECT || r->route.op == GW_OP_PUT_BUCKET_ACL || r->route.op == GW_OP_PUT_OBJECT_ACL)
        if ((e = gw_req_acl_allowed(r, r->acl, r->grants)) != GW_S3_OK)
            return e;
    return GW_S3_OK;
}

gw_acl_subject_t gw_req_bucket(const gw_req_t *r)
{
    return (gw_acl_subject_t){r->bucket_owner, r->bucket_acl, r->bucket_grants, 0};
}

/* The ACL part of an object permission in bucket bname: the object's owner and ACL from
 * meta, as its bucket's settings let them count. */
static int obj_acl_allows(gw_req_t *r, const char *bname, const gw_acl_subject_t *bucket,
                          cn_slice_t meta, gw_perm_t perm, gw_obj_access_t *out)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, bname);
    gw_obj_access_t *a = cn_malloc(sizeof(*a)); /* a grant list is up to 8 KiB */
    gw_acl_subject_t os, bs = *bucket;
    int ok;

    if (gw_meta_access(meta.ptr ? meta.ptr : "", meta.ptr ? meta.len : 0, bucket->owner, a->owner,
                       a->acl, a->grants, sizeof(a->grants)) != 0)
        CN_LOG(CN_LOG_WARN, "req=%s %s: unreadable object metadata; only the bucket's owner "
               "may read it", r->reqid, r->resource);
    if (out)
        *out = *a;
    os = (gw_acl_subject_t){a->owner, a->acl, a->grants, 0};
    acl_in_force(b, &os);
    acl_in_force(b, &bs);
    /* BucketOwnerEnforced: the bucket's owner owns every object */
    os.owner = gw_access_stored_owner(b != NULL ? b->ownership : GW_OWN_OBJECT_WRITER,
                                      bucket->owner, a->owner);
    ok = gw_access_allows(r->requester, &bs, &os, perm);
    cn_free(a);
    return ok;
}

/* The tags of an object (its metadata meta) into tags, for a policy of bucket bname that
 * names s3:ExistingObjectTag keys: 1 read (maybe none), 0 the policy does not need them, -1
 * the metadata cannot be read (the decision then fails closed: a Deny). */
static int obj_tags(gw_req_t *r, const char *bname, cn_slice_t meta, cn_buf_t *tags)
{
    if (!gw_req_policy_needs_tags(r, bname))
        return 0;
    if (gw_meta_find(meta.ptr ? meta.ptr : "", meta.ptr ? meta.len : 0, GW_META_TAGS, tags) >=
        0)
        return 1;
    CN_LOG(CN_LOG_WARN, "req=%s %s: unreadable object metadata; its bucket policy, which "
           "names object tags, denies", r->reqid, r->resource);
    return -1;
}

int gw_obj_allows(gw_req_t *r, const gw_acl_subject_t *bucket, cn_slice_t meta, gw_perm_t perm,
                  gw_obj_access_t *out)
{
    int acl = obj_acl_allows(r, r->route.bucket, bucket, meta, perm, out), t;
    cn_buf_t tags;

    /* the policy's word on r's operation and object, decided with the bucket's part, or
     * again now with the object's tags (s3:ExistingObjectTag) when the policy names them */
    cn_buf_init(&tags);
    if ((t = obj_tags(r, r->route.bucket, meta, &tags)) != 0)
        r->obj_policy = t < 0 ? GW_POLICY_DENY : gw_req_policy_own_tags(r, tags.data);
    cn_buf_dispose(&tags);
    return gw_policy_combine(r->obj_policy, acl,
                             r->requester[0] && strcmp(r->requester, bucket->owner) == 0, NULL);
}

int gw_copy_source_allows(gw_req_t *r, const gw_acl_subject_t *sb, const char *src_bucket,
                          const char *src_key, size_t src_key_len, cn_slice_t meta)
{
    int acl = obj_acl_allows(r, src_bucket, sb, meta, GW_PERM_OBJECT_READ, NULL);
    cn_buf_t tags;
    int t;
    gw_policy_result_t pr;

    cn_buf_init(&tags);
    t = obj_tags(r, src_bucket, meta, &tags);
    pr = t < 0    ? GW_POLICY_DENY
         : t == 0 ? gw_req_policy_for(r, src_bucket, "s3:GetObject", src_key, src_key_len)
                  : gw_req_policy_tags(r, src_bucket, "s3:GetObject", src_key, src_key_len,
                                       tags.data);
    cn_buf_dispose(&tags);

    return gw_policy_combine(pr, acl, r->requester[0] && strcmp(r->requester, sb->owner) == 0,
                             "s3:GetObject");
}

gw_s3_err_t gw_obj_missing(const gw_req_t *r, const gw_acl_subject_t *bucket)
{
    /* r's own bucket: may_list, which its policy had its word in */
    int own = strcmp(bucket->owner, r->bucket_owner) == 0 &&
              strcmp(bucket->acl ? bucket->acl : "", r->bucket_acl) == 0 &&
              strcmp(bucket->grants ? bucket->grants : "",
                     r->bucket_grants ? r->bucket_grants : "") == 0;

    return (own ? r->may_list : gw_access_allows(r->requester, bucket, NULL, GW_PERM_BUCKET_LIST))
               ? GW_S3_NO_SUCH_KEY
               : GW_S3_ACCESS_DENIED;
}
