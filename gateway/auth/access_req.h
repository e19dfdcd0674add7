/*
 * gateway/auth/access_req.h: the access decision (gateway/auth/access.h) applied to a request: the
 * operation's bucket permission before dispatch, an object's permissions once its metadata
 * is read (access_req.c). Loop thread only.
 */
#ifndef CAIRN_GATEWAY_ACCESS_REQ_H
#define CAIRN_GATEWAY_ACCESS_REQ_H

#include "common/acl.h"
#include "common/buf.h"
#include "common/proto.h"
#include "gateway/auth/access.h"
#include "gateway/s3/s3_req.h"

typedef struct gw_bucket gw_bucket_t;

/** An object's owner, canned ACL and grant list as its metadata states them (gw_meta_access).
 *  Large (the grant list): not for the stack of a deep call. */
typedef struct gw_obj_access {
    char owner[72];
    char acl[32];
    char grants[CN_ACL_TEXT_MAX];  /* "" when acl is the ACL */
} gw_obj_access_t;

/** The bucket part of the decision for an S3 request: ListBuckets and CreateBucket need a
 *  signature; a named bucket must exist (NoSuchBucket) and grant the operation's bucket
 *  permission (gw_req_check_access). GW_S3_OK or the S3 error. */
gw_s3_err_t gw_req_check_bucket(gw_req_t *r);
/** x-amz-expected-bucket-owner (and x-amz-source-expected-bucket-owner of a copy): 1 when
 *  the header is absent or names owner (a canonical user id); a mismatch is AccessDenied. */
int gw_owner_expected(cn_slice_t expected, const char *owner);
/** Decides r's access to bucket b by its operation's bucket permission (sets r->may_list,
 *  and copies b's owner and ACL into r). An object permission is decided later, once the
 *  object's metadata is known (gw_obj_allows). GW_S3_OK or AccessDenied. */
gw_s3_err_t gw_req_check_access(gw_req_t *r, const gw_bucket_t *b);
/** 1 when r's requester has perm (a GW_PERM_OBJECT_*) on the object whose metadata is meta,
 *  in a bucket whose owner and ACL are bucket (r's own: gw_req_bucket(r)). Fills *out when
 *  not NULL. The one place where an object's grants are read. */
int gw_obj_allows(gw_req_t *r, const gw_acl_subject_t *bucket, cn_slice_t meta, gw_perm_t perm,
                  gw_obj_access_t *out);
/** A copy source: 1 when r's requester may read the object src_key of src_bucket (whose
 *  owner and ACL are sb, metadata meta), by its ACLs and src_bucket's policy. */
int gw_copy_source_allows(gw_req_t *r, const gw_acl_subject_t *sb, const char *src_bucket,
                          const char *src_key, size_t src_key_len, cn_slice_t meta);
/** An ACL a request sets on r's bucket or object (canned acl, or grants, a grant list; NULL
 *  or "" none) against the bucket's ownership controls and public access block: GW_S3_OK,
 *  AccessControlListNotSupported (ACLs disabled: anything but private or the bucket owner's
 *  full control) or AccessDenied (BlockPublicAcls: a public one, any grant to AllUsers or
 *  AuthenticatedUsers). */
gw_s3_err_t gw_req_acl_allowed(const gw_req_t *r, const char *acl, const char *grants);
/** 1 when r's requester may bypass a GOVERNANCE retention of key (key_len bytes) in r's bucket
 *  (s3:BypassGovernanceRetention): the bucket's owner unless its policy denies it, anyone
 *  else only when the policy allows it. */
int gw_req_bypass_allowed(gw_req_t *r, const char *key, size_t key_len);
/** Who owns an object r writes (gw_access_new_object_owner): r's requester, or the bucket's
 *  owner when its ownership controls are BucketOwnerEnforced, or BucketOwnerPreferred and r
 *  sets the canned ACL bucket-owner-full-control. */
const char *gw_req_object_owner(const gw_req_t *r);
/** The owner a listing of r's bucket shows for entry e (gw_access_stored_owner): the owner
 *  its picked metadata names (a listing with gw_stor_list_pick that asked for GW_META_OWNER),
 *  or r's bucket's owner when it names none (format 1, or an older node's entry) or the
 *  bucket's ownership is BucketOwnerEnforced. Into owner (a canonical id, "" anonymous). */
void gw_req_listed_owner(const gw_req_t *r, const cn_list_entry_t *e, char owner[72]);
/** r's bucket as gw_req_check_access saw it. */
gw_acl_subject_t gw_req_bucket(const gw_req_t *r);
/** The error for a key that does not exist: NoSuchKey to whoever may list bucket, else
 *  AccessDenied (S3 tells only listers which keys exist). */
gw_s3_err_t gw_obj_missing(const gw_req_t *r, const gw_acl_subject_t *bucket);

#endif
