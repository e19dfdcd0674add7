/*
 * gateway/auth/access.h: the gateway's one access decision (issue 12). Every "may this requester
 * do this?" of the S3 and REST handlers, the copy and multipart paths and the cache hits is
 * answered by gw_access_allows, a pure function over canonical user ids and canned ACLs.
 *
 * The model is S3's ACLs (docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html):
 *  - A bucket's grants decide who may list it (READ), create, overwrite and delete objects
 *    in it (WRITE), and read or change its ACL (READ_ACP, WRITE_ACP).
 *  - An object's grants alone decide who may read it (READ) and its ACL (READ_ACP,
 *    WRITE_ACP). The bucket's owner is not the object's owner: a private object that another
 *    user wrote into a public-read-write bucket is not readable by the bucket's owner, who
 *    may still delete it (bucket WRITE).
 *  - An owner holds FULL_CONTROL of what it owns. The canned ACLs add:
 *      public-read          AllUsers READ
 *      public-read-write    AllUsers READ, WRITE
 *      authenticated-read   AuthenticatedUsers READ (any signed requester)
 *      bucket-owner-read    (objects) the bucket's owner READ
 *      bucket-owner-full-control (objects) the bucket's owner FULL_CONTROL
 *    and nothing else (aws-exec-read and log-delivery-write name AWS services).
 *  - Some operations belong to the bucket's owner alone whatever the ACL (DeleteBucket,
 *    GetBucketLocation), as in S3, where no ACL grant maps to them.
 * An object written before objects had owners (metadata format 1) is owned by its bucket's
 * owner: the caller passes that owner (gw_meta_access, gateway/s3/manifest.h).
 * Anonymous requesters (requester NULL or "") never own anything.
 */
#ifndef CAIRN_GATEWAY_ACCESS_H
#define CAIRN_GATEWAY_ACCESS_H

#include "gateway/s3/route.h"

typedef enum gw_perm {
    GW_PERM_UNLISTED = 0,    /* an operation missing from the table: decided as BUCKET_OWNER */
    GW_PERM_NONE,            /* no bucket involved (ListBuckets, CreateBucket): signed only */
    GW_PERM_BUCKET_LIST,     /* bucket READ */
    GW_PERM_BUCKET_WRITE,    /* bucket WRITE: put, delete, multipart steps */
    GW_PERM_BUCKET_READ_ACP, /* bucket READ_ACP */
    GW_PERM_BUCKET_WRITE_ACP,/* bucket WRITE_ACP */
    GW_PERM_BUCKET_OWNER,    /* the bucket's owner only */
    GW_PERM_OBJECT_READ,     /* object READ: GET, HEAD, a copy's source */
    GW_PERM_OBJECT_READ_ACP, /* object READ_ACP */
    GW_PERM_OBJECT_WRITE_ACP,/* object WRITE_ACP */
} gw_perm_t;

/** Who owns a bucket or an object, and its canned ACL. owner: a canonical id ("" none);
 *  acl: a canned ACL name (NULL or "" = private; an unknown name grants nothing more). */
typedef struct gw_acl_subject {
    const char *owner;
    const char *acl;
} gw_acl_subject_t;

/** 1 when requester (a canonical id; NULL or "" = anonymous) may do perm. bucket is always
 *  given; obj is needed for the GW_PERM_OBJECT_* permissions (NULL then denies). */
int gw_access_allows(const char *requester, const gw_acl_subject_t *bucket,
                     const gw_acl_subject_t *obj, gw_perm_t perm);

/** The permission S3 documents for an operation of the route (GW_PERM_NONE for the ones
 *  without a bucket). A CopyObject or UploadPartCopy also needs GW_PERM_OBJECT_READ on its
 *  source, which the copy path checks once the source's metadata is known. */
gw_perm_t gw_op_perm(gw_op_t op);

/** 1 for the permissions decided by an object's grants (known only once it is read). */
int gw_perm_is_object(gw_perm_t perm);

#endif
