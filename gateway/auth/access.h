/*
 * gateway/auth/access.h: the gateway's one access decision (issue 12). Every "may this requester
 * do this?" of the S3 and REST handlers, the copy and multipart paths and the cache hits is
 * answered by gw_access_allows, a pure function over canonical user ids and ACLs (grant lists,
 * and canned ACLs as their shorthands).
 *
 * The model is S3's ACLs (docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html):
 *  - A bucket's grants decide who may list it (READ), create, overwrite and delete objects
 *    in it (WRITE), and read or change its ACL (READ_ACP, WRITE_ACP).
 *  - An object's grants alone decide who may read it (READ) and its ACL (READ_ACP,
 *    WRITE_ACP). The bucket's owner is not the object's owner: a private object that another
 *    user wrote into a public-read-write bucket is not readable by the bucket's owner, who
 *    may still delete it (bucket WRITE).
 *  - A resource has a grant list (common/acl.h: a canonical user, AllUsers, i.e. anyone,
 *    AuthenticatedUsers, i.e. any signed requester, or LogDelivery, which no requester here
 *    is; each READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL, which is all four), or a
 *    canned ACL, which is a shorthand for one (cn_acl_canned):
 *      public-read          AllUsers READ
 *      public-read-write    AllUsers READ, WRITE
 *      authenticated-read   AuthenticatedUsers READ
 *      bucket-owner-read    (objects) the bucket's owner READ
 *      bucket-owner-full-control (objects) the bucket's owner FULL_CONTROL
 *      log-delivery-write   LogDelivery WRITE, READ_ACP
 *    (aws-exec-read's grant names Amazon EC2: nothing here). WRITE on an object grants
 *    nothing (S3: "not applicable"); overwriting and deleting are the bucket's WRITE.
 *  - An owner holds FULL_CONTROL of what it owns, whatever its grant list says: S3 gives an
 *    owner READ_ACP and WRITE_ACP always, and its account's own policies the rest, which
 *    here is the owner itself.
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

/* A bucket's ownership controls (PutBucketOwnershipControls, S3 Object Ownership). */
typedef enum gw_ownership {
    GW_OWN_OBJECT_WRITER = 0,      /* none set, or ObjectWriter: the writer owns, ACLs apply */
    GW_OWN_PREFERRED,              /* BucketOwnerPreferred: the bucket's owner owns a new object
                                    * written with the canned ACL bucket-owner-full-control */
    GW_OWN_ENFORCED,               /* BucketOwnerEnforced: ACLs disabled, the bucket's owner
                                    * owns every object */
} gw_ownership_t;

#define GW_ACL_IGNORE_PUBLIC 1u /* grants to AllUsers and AuthenticatedUsers count for nothing
                                 * (the public access block's IgnorePublicAcls) */

/** Who owns a bucket or an object, and its ACL. owner: a canonical id ("" none); grants: a
 *  grant list in common/acl.h's text form, which when not NULL or "" is the ACL; else acl: a
 *  canned ACL name (NULL or "" = private; an unknown name grants nothing more). A malformed
 *  grant list grants what its well-formed grants before the defect say. flags:
 *  GW_ACL_IGNORE_PUBLIC. */
typedef struct gw_acl_subject {
    const char *owner;
    const char *acl;
    const char *grants;
    unsigned flags;
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

/** Who owns a new object that writer (a canonical id, "" anonymous) writes with the canned
 *  ACL acl (NULL or "" none) into a bucket of bucket_owner under the ownership controls own,
 *  as S3 Object Ownership documents: BucketOwnerEnforced, the bucket's owner; BucketOwnerPreferred,
 *  the bucket's owner when acl is bucket-owner-full-control (a grant header naming the owner
 *  does not count), else the writer; ObjectWriter, the writer. Returns bucket_owner or
 *  writer. */
const char *gw_access_new_object_owner(gw_ownership_t own, const char *bucket_owner,
                                       const char *writer, const char *acl);

/** Who owns a stored object: meta_owner, the owner its metadata names (NULL for format 1,
 *  which names none), or the bucket's owner when there is none or when the ownership controls
 *  are BucketOwnerEnforced (which make the bucket's owner the owner of every object, those
 *  written before they were set too). */
const char *gw_access_stored_owner(gw_ownership_t own, const char *bucket_owner,
                                   const char *meta_owner);

#endif
