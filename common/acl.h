/*
 * common/acl.h: S3 ACL grant lists (issue 15) in the one text form every part of cairn stores
 * and passes around: the gateway writes it into object metadata (":grants",
 * gateway/s3/manifest.h) and sends it to the manager for a bucket (manager/buckets.h), the
 * manager checks its shape before storing it, and the gateway's access decision
 * (gateway/auth/access.c) reads it.
 *
 * Text form: grants separated by ',', each GRANTEE '/' PERMISSION, where GRANTEE is a
 * canonical user id (64 lower-case hex) or one of the groups AllUsers, AuthenticatedUsers,
 * LogDelivery, and PERMISSION one of READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL:
 *     "9f…3c/FULL_CONTROL,AllUsers/READ"
 * At most CN_ACL_MAX_GRANTS grants (S3's limit of 100). Grants by email address are resolved
 * to the user's id before they are stored (S3 shows them as CanonicalUser too). The empty
 * text is "no grant list": the canned ACL beside it applies.
 *
 * A canned ACL is a shorthand for a list (cn_acl_canned): the owner's FULL_CONTROL plus what
 * S3's documentation lists for it (docs.aws.amazon.com/AmazonS3/latest/userguide/
 * acl-overview.html#canned-acl). Pure functions, no allocation but the cn_buf ones.
 */
#ifndef CAIRN_COMMON_ACL_H
#define CAIRN_COMMON_ACL_H

#include <stddef.h>

#include "common/buf.h"

#define CN_ACL_MAX_GRANTS 100
#define CN_ACL_ID_LEN 64
/* the longest text: 100 x (64 + "/FULL_CONTROL" + ",") and the NUL */
#define CN_ACL_TEXT_MAX (CN_ACL_MAX_GRANTS * (CN_ACL_ID_LEN + 14) + 1)

/* Permissions as bits: a grant carries one of the five values, FULL_CONTROL being all four. */
#define CN_ACL_READ 1u
#define CN_ACL_WRITE 2u
#define CN_ACL_READ_ACP 4u
#define CN_ACL_WRITE_ACP 8u
#define CN_ACL_FULL_CONTROL 15u

typedef enum cn_acl_grantee {
    CN_ACL_USER = 0,        /* a canonical user id */
    CN_ACL_ALL_USERS,       /* anyone, signed or not */
    CN_ACL_AUTH_USERS,      /* any signed requester */
    CN_ACL_LOG_DELIVERY,    /* S3's log delivery group: stored and shown, grants no requester */
} cn_acl_grantee_t;

typedef struct cn_acl_grant {
    cn_acl_grantee_t type;
    unsigned perm;                 /* one of the five CN_ACL_* values */
    char id[CN_ACL_ID_LEN + 1];    /* CN_ACL_USER: the canonical id; else "" */
} cn_acl_grant_t;

/* The most grants a canned ACL stands for (log-delivery-write: owner, WRITE, READ_ACP). */
#define CN_ACL_CANNED_MAX 3

/** The next grant of text from *pos (start at 0): 1 with *g filled and *pos past it, 0 at
 *  the end, CN_ECORRUPT for a malformed grant. */
int cn_acl_next(const char *text, size_t *pos, cn_acl_grant_t *g);
/** 0 when text is a well-formed list of at most CN_ACL_MAX_GRANTS grants ("" included),
 *  CN_ECORRUPT otherwise. */
int cn_acl_text_valid(const char *text);
/** Appends g to out in the text form (a ',' first unless out is empty). */
void cn_acl_append(cn_buf_t *out, const cn_acl_grant_t *g);
/** 1 for the canned ACL names S3 knows: private, public-read, public-read-write,
 *  authenticated-read, aws-exec-read, bucket-owner-read, bucket-owner-full-control,
 *  log-delivery-write. */
int cn_acl_canned_known(const char *name);
/** The grants canned ACL name stands for on a resource owned by owner: out[0] is the owner's
 *  FULL_CONTROL, then the name's own grants. bucket_owner is the object's bucket's owner for
 *  the bucket-owner-* ACLs (NULL for a bucket's own ACL, where S3 ignores them; nothing is
 *  added when it is the owner). NULL or "" is private. 0 with *n set, CN_EINVAL for an
 *  unknown name (*n = 0). */
int cn_acl_canned(const char *name, const char *owner, const char *bucket_owner,
                  cn_acl_grant_t out[CN_ACL_CANNED_MAX], size_t *n);
/** 1 when a grant goes to AllUsers or AuthenticatedUsers: S3's "public" ACL (what the public
 *  access block refuses or ignores). */
int cn_acl_grant_public(const cn_acl_grant_t *g);
/** 1 when text (NULL, "" or malformed: 0) or, with no text, canned ACL name is public. */
int cn_acl_is_public(const char *name, const char *text);
/** The permission's S3 name ("READ"...), or NULL for a value that is not one of the five. */
const char *cn_acl_perm_name(unsigned perm);
/** The permission named s[0..n) (S3 spelling, exact): 0 with *perm, CN_EINVAL. */
int cn_acl_perm_parse(const char *s, size_t n, unsigned *perm);
/** The group's URI (http://acs.amazonaws.com/groups/global/AllUsers, .../s3/LogDelivery), or
 *  NULL for CN_ACL_USER. */
const char *cn_acl_group_uri(cn_acl_grantee_t type);
/** The group a URI names (s[0..n), exact): 0 with *type, CN_EINVAL. */
int cn_acl_group_parse(const char *s, size_t n, cn_acl_grantee_t *type);
/** 1 when s[0..n) is a canonical id: 64 of [0-9a-f]. */
int cn_acl_id_valid(const char *s, size_t n);

#endif
