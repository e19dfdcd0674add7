/*
 * gateway/auth/access.c: the access decision (see access.h). Pure functions, no state.
 */
#include "gateway/auth/access.h"

#include <string.h>

#include "common/acl.h"

static int is_anonymous(const char *requester)
{
    return requester == NULL || requester[0] == '\0';
}

static int same_user(const char *requester, const char *owner)
{
    return !is_anonymous(requester) && owner != NULL && strcmp(requester, owner) == 0;
}

/* 1 when grant g gives want to requester. */
static int grant_gives(const cn_acl_grant_t *g, const char *requester, unsigned want,
                       unsigned flags)
{
    if ((g->perm & want) != want)
        return 0;
    if ((flags & GW_ACL_IGNORE_PUBLIC) && cn_acl_grant_public(g))
        return 0;
    switch (g->type) {
    case CN_ACL_USER: return same_user(requester, g->id);
    case CN_ACL_ALL_USERS: return 1;
    case CN_ACL_AUTH_USERS: return !is_anonymous(requester);
    case CN_ACL_LOG_DELIVERY: return 0; /* S3's log delivery: no requester here */
    }
    return 0;
}

/* 1 when subject s grants want to requester: its owner always, then its grant list, or the
 * list its canned ACL stands for (bucket_owner serves the bucket-owner-* ones). */
static int grants(const gw_acl_subject_t *s, const char *bucket_owner, const char *requester,
                  unsigned want)
{
    cn_acl_grant_t g[CN_ACL_CANNED_MAX];
    size_t n, pos = 0;

    if (same_user(requester, s->owner))
        return 1;
    if (s->grants != NULL && s->grants[0] != '\0') {
        while (cn_acl_next(s->grants, &pos, &g[0]) == 1)
            if (grant_gives(&g[0], requester, want, s->flags))
                return 1;
        return 0;
    }
    if (cn_acl_canned(s->acl, s->owner, bucket_owner, g, &n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (grant_gives(&g[i], requester, want, s->flags))
            return 1;
    return 0;
}

int gw_access_allows(const char *requester, const gw_acl_subject_t *bucket,
                     const gw_acl_subject_t *obj, gw_perm_t perm)
{
    switch (perm) {
    case GW_PERM_NONE: return !is_anonymous(requester);
    case GW_PERM_UNLISTED:
    case GW_PERM_BUCKET_OWNER: return same_user(requester, bucket->owner);
    /* bucket-owner-* name the bucket's own owner for a bucket: nothing more */
    case GW_PERM_BUCKET_LIST: return grants(bucket, NULL, requester, CN_ACL_READ);
    case GW_PERM_BUCKET_WRITE: return grants(bucket, NULL, requester, CN_ACL_WRITE);
    case GW_PERM_BUCKET_READ_ACP: return grants(bucket, NULL, requester, CN_ACL_READ_ACP);
    case GW_PERM_BUCKET_WRITE_ACP: return grants(bucket, NULL, requester, CN_ACL_WRITE_ACP);
    case GW_PERM_OBJECT_READ:
        return obj != NULL && grants(obj, bucket->owner, requester, CN_ACL_READ);
    case GW_PERM_OBJECT_READ_ACP:
        return obj != NULL && grants(obj, bucket->owner, requester, CN_ACL_READ_ACP);
    case GW_PERM_OBJECT_WRITE_ACP:
        return obj != NULL && grants(obj, bucket->owner, requester, CN_ACL_WRITE_ACP);
    }
    return 0;
}

int gw_perm_is_object(gw_perm_t perm)
{
    return perm == GW_PERM_OBJECT_READ || perm == GW_PERM_OBJECT_READ_ACP ||
           perm == GW_PERM_OBJECT_WRITE_ACP;
}

/* One row per operation: a new operation is one line here. */
static const gw_perm_t op_perms[] = {
    [GW_OP_LIST_BUCKETS] = GW_PERM_NONE,
    [GW_OP_CREATE_BUCKET] = GW_PERM_NONE,
    [GW_OP_DELETE_BUCKET] = GW_PERM_BUCKET_OWNER,
    [GW_OP_HEAD_BUCKET] = GW_PERM_BUCKET_LIST,        /* s3:ListBucket */
    [GW_OP_GET_BUCKET_LOCATION] = GW_PERM_BUCKET_OWNER,
    [GW_OP_LIST_OBJECTS] = GW_PERM_BUCKET_LIST,
    [GW_OP_LIST_OBJECTS_V2] = GW_PERM_BUCKET_LIST,
    [GW_OP_LIST_OBJECT_VERSIONS] = GW_PERM_BUCKET_LIST, /* s3:ListBucketVersions */
    [GW_OP_PUT_OBJECT] = GW_PERM_BUCKET_WRITE,
    [GW_OP_GET_OBJECT] = GW_PERM_OBJECT_READ,
    [GW_OP_HEAD_OBJECT] = GW_PERM_OBJECT_READ,
    [GW_OP_DELETE_OBJECT] = GW_PERM_BUCKET_WRITE,
    [GW_OP_CREATE_MULTIPART] = GW_PERM_BUCKET_WRITE,
    [GW_OP_UPLOAD_PART] = GW_PERM_BUCKET_WRITE,
    [GW_OP_COMPLETE_MULTIPART] = GW_PERM_BUCKET_WRITE,
    [GW_OP_ABORT_MULTIPART] = GW_PERM_BUCKET_WRITE,
    [GW_OP_LIST_PARTS] = GW_PERM_BUCKET_WRITE,        /* an upload belongs to its writers */
    [GW_OP_LIST_MULTIPART_UPLOADS] = GW_PERM_BUCKET_LIST, /* s3:ListBucketMultipartUploads */
    [GW_OP_DELETE_OBJECTS] = GW_PERM_BUCKET_WRITE,
    [GW_OP_GET_BUCKET_ACL] = GW_PERM_BUCKET_READ_ACP,
    [GW_OP_PUT_BUCKET_ACL] = GW_PERM_BUCKET_WRITE_ACP,
    [GW_OP_GET_OBJECT_ACL] = GW_PERM_OBJECT_READ_ACP,
    [GW_OP_PUT_OBJECT_ACL] = GW_PERM_OBJECT_WRITE_ACP,
    /* s3:*ObjectTagging is not granted by an ACL's READ or WRITE: by the object's owner
     * (FULL_CONTROL), READ_ACP and WRITE_ACP grants; a bucket's tags by its owner only (a
     * bucket policy may grant them to others) */
    [GW_OP_GET_OBJECT_TAGGING] = GW_PERM_OBJECT_READ_ACP,
    [GW_OP_GET_OBJECT_ATTRIBUTES] = GW_PERM_OBJECT_READ,
    [GW_OP_PUT_OBJECT_TAGGING] = GW_PERM_OBJECT_WRITE_ACP,
    [GW_OP_DELETE_OBJECT_TAGGING] = GW_PERM_OBJECT_WRITE_ACP,
    [GW_OP_GET_BUCKET_TAGGING] = GW_PERM_BUCKET_OWNER,
    [GW_OP_PUT_BUCKET_TAGGING] = GW_PERM_BUCKET_OWNER,
    [GW_OP_DELETE_BUCKET_TAGGING] = GW_PERM_BUCKET_OWNER,
    [GW_OP_POST_OBJECT] = GW_PERM_BUCKET_WRITE,       /* the form's signer (s3_post.c) */
    [GW_OP_OPTIONS] = GW_PERM_NONE,                   /* a preflight is unsigned: the bucket's
                                                         CORS rules decide (s3_cors.c) */
    [GW_OP_GET_BUCKET_CORS] = GW_PERM_BUCKET_OWNER,
    [GW_OP_PUT_BUCKET_CORS] = GW_PERM_BUCKET_OWNER,
    [GW_OP_DELETE_BUCKET_CORS] = GW_PERM_BUCKET_OWNER,
    [GW_OP_GET_BUCKET_LIFECYCLE] = GW_PERM_BUCKET_OWNER,
    [GW_OP_GET_BUCKET_ENCRYPTION] = GW_PERM_BUCKET_OWNER,
    [GW_OP_PUT_BUCKET_ENCRYPTION] = GW_PERM_BUCKET_OWNER,
    [GW_OP_DELETE_BUCKET_ENCRYPTION] = GW_PERM_BUCKET_OWNER,
    [GW_OP_PUT_BUCKET_LIFECYCLE] = GW_PERM_BUCKET_OWNER,
    [GW_OP_DELETE_BUCKET_LIFECYCLE] = GW_PERM_BUCKET_OWNER,
    [GW_OP_GET_OBJECT_LOCK_CONFIG] = GW_PERM_BUCKET_OWNER,
    [GW_OP_PUT_OBJECT_LOCK_CONFIG] = GW_PERM_BUCKET_OWNER,
    /* an object's retention and legal hold: as its ACL (READ_ACP / WRITE_ACP; its owner has
     * both), a bucket policy may grant them to others (s3:*ObjectRetention, ...) */
    [GW_OP_GET_OBJECT_RETENTION] = GW_PERM_OBJECT_READ_ACP,
    [GW_OP_PUT_OBJECT_RETENTION] = GW_PERM_OBJECT_WRITE_ACP,
    [GW_OP_GET_OBJECT_LEGAL_HOLD] = GW_PERM_OBJECT_READ_ACP,
    [GW_OP_PUT_OBJECT_LEGAL_HOLD] = GW_PERM_OBJECT_WRITE_ACP,
    [GW_OP_GET_BUCKET_LOGGING] = GW_PERM_BUCKET_OWNER,
    [GW_OP_PUT_BUCKET_LOGGING] = GW_PERM_BUCKET_OWNER,
};

gw_perm_t gw_op_perm(gw_op_t op)
{
    /* unknown or unlisted: the owner alone, who then gets NotImplemented or the operation */
    if ((size_t)op < sizeof(op_perms) / sizeof(op_perms[0]) && op_perms[op] != GW_PERM_UNLISTED)
        return op_perms[op];
    return GW_PERM_BUCKET_OWNER;
}

const char *gw_access_new_object_owner(gw_ownership_t own, const char *bucket_owner,
                                       const char *writer, const char *acl)
{
    if (own == GW_OWN_ENFORCED)
        return bucket_owner;
    if (own == GW_OWN_PREFERRED && acl != NULL && strcmp(acl, "bucket-owner-full-control") == 0)
        return bucket_owner;
    return writer;
}

const char *gw_access_stored_owner(gw_ownership_t own, const char *bucket_owner,
                                   const char *meta_owner)
{
    return own == GW_OWN_ENFORCED || meta_owner == NULL ? bucket_owner : meta_owner;
}
