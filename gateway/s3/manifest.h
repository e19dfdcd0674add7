/*
 * gateway/s3/manifest.h: the gateway's two opaque formats stored in the cluster:
 *  - object metadata ("meta" field of a put): a msgpack map of lower-case header name ->
 *    value (Content-Type, Cache-Control..., x-amz-meta-*), and internal pairs whose names
 *    start with ':'. Its format version is the pair ":fmt":
 *      1 (no ":fmt"): ":acl" (canned ACL, absent = private); no owner: the object belongs to
 *        its bucket's owner (every release before issue 12);
 *      2: ":owner", the canonical id of the user who wrote the object ("" = anonymous).
 *      3: an object may have ":grants", its ACL as a grant list (common/acl.h's text form)
 *        in place of ":acl" (which it then lacks). Issue 15. A reader of format 2 takes such
 *        an object for a private one: its owner alone may read it.
 *    An upload marker's metadata (s3_multipart.c) has ":initiator" too, the canonical id of
 *    the user who created the upload; Complete leaves it out of the object's.
 *    An upload marker may have ":ckalg" (its checksum algorithm), left out of the object's
 *    too; a completed multipart object has ":mpu_id" and ":mpu_parts" (its upload, and a
 *    digest of the parts Complete named: a second Complete answers by them). Issue 16.
 *      Format 3 may also have ":tags", the object's tags (tags.h's stored form, "k=v&k2=v2"
 *      percent-encoded; issue 16). No new version: a reader that does not know the pair
 *      ignores it as it ignores every internal pair it does not know, and keeps it where it
 *      copies metadata (gw_meta_copy_user), so tags survive an older gateway's PutObjectAcl.
 *    Readers accept every version up to GW_META_FORMAT and treat a newer one as version 3
 *    plus pairs they ignore; tests/integration/test_old_data.sh serves a format-1 fixture;
 *  - the chunk manifest: common/manifest.h (the storage nodes read it too).
 * Pure functions; decoders return CN_ECORRUPT for bad bytes, never crash.
 */
#ifndef CAIRN_GATEWAY_MANIFEST_H
#define CAIRN_GATEWAY_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "common/manifest.h"

/* Internal metadata names start with ':' and are never sent as headers. */
#define GW_META_ACL ":acl"                 /* the object's canned ACL */
#define GW_META_OWNER ":owner"             /* canonical id of the object's owner (format 2) */
#define GW_META_GRANTS ":grants"           /* the object's grant list (format 3) */
#define GW_META_TAGS ":tags"               /* the object's tags (tags.h's stored form) */
#define GW_META_FMT ":fmt"                 /* the metadata's format version, "3" */
#define GW_META_INITIATOR ":initiator"     /* an upload marker's: who created the upload */
#define GW_META_FORMAT 3
#define GW_META_CHECKSUM_PREFIX "x-amz-checksum-" /* sent only with x-amz-checksum-mode */

typedef struct gw_meta_pair {
    char *name;   /* lower case */
    char *value;
} gw_meta_pair_t;

typedef struct gw_meta {
    gw_meta_pair_t *pairs;
    size_t n;
} gw_meta_t;

/** Adds a pair (copies). */
void gw_meta_add(gw_meta_t *m, const char *name, size_t nlen, const char *value, size_t vlen);
void gw_meta_encode(const gw_meta_t *m, cn_buf_t *out);
/** The value of the pair name of encoded metadata into out (reset first; data is NULL or a
 *  NUL-terminated string): 1 found, 0 absent, CN_ECORRUPT. */
int gw_meta_find(const void *p, size_t n, const char *name, cn_buf_t *out);
/** Decodes into m (empty input = no pairs). 0 or CN_ECORRUPT. */
int gw_meta_decode(const void *p, size_t n, gw_meta_t *m);
void gw_meta_dispose(gw_meta_t *m);
/** Sets the pair name of the encoded metadata enc to value, or removes it when value is NULL
 *  (enc re-encoded; its other pairs keep their order). 0 or CN_ECORRUPT (enc unchanged). */
int gw_meta_set(cn_buf_t *enc, const char *name, const char *value);
/** Adds the format version, the owner and the ACL: the grant list when grants is not NULL
 *  or "" (common/acl.h), else the canned ACL when acl is not NULL or "". */
void gw_meta_add_access(gw_meta_t *m, const char *owner, const char *acl, const char *grants);
/** The owner, canned ACL and grant list of encoded metadata: format 1 has no owner, so
 *  *owner is then bucket_owner; no ":acl" is "private"; grants (grants_cap bytes; 0: not
 *  wanted) gets ":grants" or "". 0 or CN_ECORRUPT (then owner is bucket_owner and acl
 *  "private": an unreadable object is its bucket owner's alone; a malformed grant list
 *  leaves the owner and grants nothing more). */
int gw_meta_access(const void *p, size_t n, const char *bucket_owner, char owner[72],
                   char acl[32], char *grants, size_t grants_cap);
/** Copies every pair of in to out but the access ones (":fmt", ":owner", ":acl",
 *  ":grants"): the metadata a copy keeps (x-amz-metadata-directive COPY). */
void gw_meta_copy_user(const gw_meta_t *in, gw_meta_t *out);

#endif
