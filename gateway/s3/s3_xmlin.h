/*
 * gateway/s3/s3_xmlin.h: parsers of the XML request bodies S3 clients send (expat underneath):
 * CompleteMultipartUpload, Delete (DeleteObjects), AccessControlPolicy (Put*Acl: its grants),
 * CreateBucketConfiguration, PublicAccessBlockConfiguration,
 * OwnershipControls, Tagging, CORSConfiguration, LifecycleConfiguration, BucketLoggingStatus,
 * the Object Lock documents and ServerSideEncryptionConfiguration. Strict: a wrong root, a missing or repeated
 * required element, a DOCTYPE (entity tricks) or bad XML is CN_EINVAL (the caller answers
 * MalformedXML). Namespaces are accepted and ignored. Pure functions, thread-safe.
 */
#ifndef CAIRN_GATEWAY_S3_XMLIN_H
#define CAIRN_GATEWAY_S3_XMLIN_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/s3/cors.h"
#include "gateway/s3/lifecycle.h"
#include "gateway/s3/tags.h"

#define GW_MPU_MAX_PARTS 10000
#define GW_DELETE_MAX_KEYS 1000

typedef struct gw_xml_part {
    uint32_t number;  /* 1..10000 */
    char etag[72];    /* without quotes, as sent */
    char checksum_elem[24]; /* "ChecksumCRC32"... when the part names its checksum, else "" */
    char checksum[64];      /* its value as sent (trimmed) */
} gw_xml_part_t;

/** Parses a CompleteMultipartUpload body into *parts (cn_free it) in document order.
 *  Returns 0, or CN_EINVAL (malformed, no parts, more than 10000, a part number outside
 *  1..10000, a missing PartNumber or ETag, two checksums in one part). Order is NOT checked
 *  here (InvalidPartOrder is the caller's). A part's Checksum<ALG> element is kept (the
 *  caller checks it against the part's); other unknown elements inside Part are ignored. */
int gw_xml_parse_complete(const char *p, size_t n, gw_xml_part_t **parts, size_t *nparts);

typedef struct gw_xml_delete {
    int quiet;
    char **keys;      /* NUL-terminated (keys cannot hold NUL) */
    size_t *key_lens;
    char **vids;      /* each Object's VersionId as sent (at most 71 bytes), NULL: none */
    char *(*conds)[3]; /* each Object's ETag, Size, LastModifiedTime as sent, NULL: none */
    size_t n;
} gw_xml_delete_t;

/** Parses a Delete body. Returns 0 or CN_EINVAL (malformed, no Object, more than 1000, an
 *  Object without Key, an empty key, a key over 1024 bytes). Free with gw_xml_delete_dispose
 *  (also after an error). */
int gw_xml_parse_delete(const char *p, size_t n, gw_xml_delete_t *out);
void gw_xml_delete_dispose(gw_xml_delete_t *d);

#define GW_XML_ACL_MAX 100 /* grants in one AccessControlPolicy (S3's limit) */

enum gw_xml_grantee { GW_XML_GRANTEE_ID, GW_XML_GRANTEE_EMAIL, GW_XML_GRANTEE_GROUP };

/* One Grant as sent: the grantee by its xsi:type, and the Permission, both unchecked but for
 * their shape (the caller resolves ids, addresses and group URIs). */
typedef struct gw_xml_grant {
    int type;          /* enum gw_xml_grantee */
    char value[256];   /* ID, EmailAddress or URI; a longer one is cut to 255 bytes */
    char perm[16];     /* one of READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL */
} gw_xml_grant_t;

typedef struct gw_xml_acl {
    char owner[72];    /* Owner/ID ("" when absent; cut to 71 bytes) */
    int has_owner;
    gw_xml_grant_t grants[GW_XML_ACL_MAX];
    size_t n;
} gw_xml_acl_t;

/** Parses an AccessControlPolicy body (Owner, then AccessControlList of Grant, each a
 *  Grantee with xsi:type CanonicalUser + ID, AmazonCustomerByEmail + EmailAddress or
 *  Group + URI (without xsi:type, the one of those it holds), and a Permission;
 *  DisplayName is ignored) into *out (large: allocate it).
 *  Returns 0, or CN_EINVAL (the caller answers MalformedACLError): bad XML, another root, a
 *  Grantee with an unknown xsi:type or without its value, an element of another type, an
 *  unknown Permission, a field twice, more than GW_XML_ACL_MAX grants. */
int gw_xml_parse_acl(const char *p, size_t n, gw_xml_acl_t *out);

/** Parses a CreateBucketConfiguration body (may be empty: region ""). Returns 0 with the
 *  LocationConstraint copied into region, or CN_EINVAL. */
int gw_xml_parse_location(const char *p, size_t n, char *region, size_t region_len);

/** Parses a PublicAccessBlockConfiguration body: bit i of *flags set when the i-th of
 *  BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets is "true" (an
 *  element left out is false). 0, or CN_EINVAL (malformed, an unknown or repeated element, a
 *  value other than true/false). */
int gw_xml_parse_pab(const char *p, size_t n, unsigned *flags);

/** Parses an OwnershipControls body (one Rule with one ObjectOwnership): mode gets
 *  "BucketOwnerEnforced", "BucketOwnerPreferred" or "ObjectWriter". 0 or CN_EINVAL. */
int gw_xml_parse_ownership(const char *p, size_t n, char mode[32]);

/** VersioningConfiguration {Status Enabled|Suspended, MfaDelete Enabled|Disabled}: *status
 *  GW_XML_VER_* (0 when Status is absent), *mfa GW_XML_MFA_ENABLED when MfaDelete is Enabled.
 *  CN_EINVAL for another Status or MfaDelete value or other elements. */
#define GW_XML_VER_ENABLED 1
#define GW_XML_VER_SUSPENDED 2
#define GW_XML_MFA_ENABLED 1u
int gw_xml_parse_versioning(const char *p, size_t n, int *status, unsigned *mfa);

/** Parses a Tagging body (Put{Object,Bucket}Tagging: one TagSet of Tag elements, each with
 *  one Key and one Value) into *out (emptied first), in document order, the tags unchecked
 *  (gw_tags_check tells S3's limits). 0, or CN_EINVAL (MalformedXML: bad XML, another root,
 *  no TagSet or two, an unknown element, a Tag without its Key or Value or with one twice);
 *  out is then empty. */
int gw_xml_parse_tagging(const char *p, size_t n, gw_tags_t *out);

/** Parses a CORSConfiguration body (PutBucketCors: CORSRule elements, each with any number of
 *  AllowedOrigin, AllowedMethod, AllowedHeader and ExposeHeader, at most one ID and one
 *  MaxAgeSeconds) into *out (emptied first), in document order, the text of each as sent and
 *  the rules unchecked (gw_cors_check tells S3's rules; rules past GW_CORS_MAX_RULES are only
 *  counted). 0, or CN_EINVAL (MalformedXML: bad XML, another root, an unknown element, an ID
 *  or MaxAgeSeconds twice in a rule, a MaxAgeSeconds that is not an integer 0..2^31-1); out
 *  is then empty. */
int gw_xml_parse_cors(const char *p, size_t n, gw_cors_t *out);

/** Parses a LifecycleConfiguration body (PutBucketLifecycleConfiguration: Rule elements, each
 *  with at most one ID, Prefix, Status, Filter, Expiration, NoncurrentVersionExpiration and
 *  AbortIncompleteMultipartUpload, any number of Transition and NoncurrentVersionTransition
 *  (only counted); a Filter of one of Prefix, Tag, And, ObjectSizeGreaterThan and
 *  ObjectSizeLessThan; an And of at most one Prefix and each size, any number of Tag) into
 *  *out (emptied first), in document order, the text of each as sent and the rules unchecked
 *  (gw_lc_check tells S3's rules; rules past GW_LC_MAX_RULES are only counted). 0, or
 *  CN_EINVAL (MalformedXML: bad XML, another root, an unknown or misplaced element, one twice
 *  where it may not be, a Tag without its Key or Value, a number that is not an integer
 *  (xsd:int for days and counts, xsd:long for sizes), an ExpiredObjectDeleteMarker other than
 *  true or false); out is then empty. */
int gw_xml_parse_lifecycle(const char *p, size_t n, gw_lc_t *out);
/* The Object Lock documents (issue 18): ObjectLockConfiguration, Retention and LegalHold,
 * each a fixed set of element paths read as text; gateway/s3/lock_doc.c gives them meaning. */
#define GW_XML_LOCK_VAL 48 /* a leaf's text, NUL included: longer ones are refused */
#define GW_XML_LOCK_PATHS 6
typedef struct gw_xml_lock {
    unsigned seen;                                /* bit i: the document's path i was there */
    char val[GW_XML_LOCK_PATHS][GW_XML_LOCK_VAL]; /* the text of leaf path i */
} gw_xml_lock_t;
/* ObjectLockConfiguration's paths */
enum { GW_XL_ENABLED, GW_XL_RULE, GW_XL_DEFAULT, GW_XL_MODE, GW_XL_DAYS, GW_XL_YEARS };
/* Retention's and LegalHold's */
enum { GW_XR_MODE, GW_XR_UNTIL };
enum { GW_XH_STATUS };
/** Reads a PutObjectLockConfiguration, PutObjectRetention or PutObjectLegalHold body into
 *  *out (zeroed first). 0, or CN_EINVAL for what is not XML, another root, an unknown or
 *  repeated element, or a leaf's text of GW_XML_LOCK_VAL bytes or more. */
int gw_xml_parse_object_lock(const char *p, size_t n, gw_xml_lock_t *out);
int gw_xml_parse_retention(const char *p, size_t n, gw_xml_lock_t *out);
int gw_xml_parse_legal_hold(const char *p, size_t n, gw_xml_lock_t *out);
/* A ServerSideEncryptionConfiguration (PutBucketEncryption, issue 20), read the same way;
 * gateway/s3/sse_conf.c gives it meaning. A second Rule is a repeated element (refused). */
#define GW_XML_SSE_VAL 2049 /* a leaf's text, NUL included: a KMS key id of 2048 bytes at most */
enum { GW_XSE_RULE, GW_XSE_DEFAULT, GW_XSE_ALG, GW_XSE_KMS_KEY, GW_XSE_BUCKET_KEY, GW_XSE_PATHS };
typedef struct gw_xml_sse {
    unsigned seen;
    char val[GW_XSE_PATHS][GW_XML_SSE_VAL];
} gw_xml_sse_t;
/** Reads a PutBucketEncryption body into *out (zeroed first; about 10 KiB: not on a small
 *  stack). 0, or CN_EINVAL as gw_xml_parse_object_lock. */
int gw_xml_parse_sse_conf(const char *p, size_t n, gw_xml_sse_t *out);
/* A BucketLoggingStatus body (PutBucketLogging), as sent. */
typedef struct gw_xml_logging {
    int enabled;       /* it has LoggingEnabled (else: logging off) */
    char bucket[256];  /* TargetBucket, white space trimmed */
    char prefix[1025]; /* TargetPrefix as sent ("" allowed) */
    int has_grants;    /* TargetGrants given */
    int partitioned;   /* TargetObjectKeyFormat PartitionedPrefix (SimplePrefix: 0) */
} gw_xml_logging_t;

/** Parses a BucketLoggingStatus body into *out (zeroed first): empty, or one LoggingEnabled
 *  with one TargetBucket and one TargetPrefix, and optionally TargetGrants and
 *  TargetObjectKeyFormat (only flagged). 0, or CN_EINVAL (MalformedXML: bad XML, another
 *  root, an unknown element, a member missing or twice, a TargetBucket over 255 bytes or a
 *  TargetPrefix over 1024); out is then zeroed. */
int gw_xml_parse_logging(const char *p, size_t n, gw_xml_logging_t *out);

#endif
