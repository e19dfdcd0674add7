/*
 * common/lifecycle.h: S3 lifecycle rules (issue 18): their stored form, and the decisions a
 * lifecycle worker makes about one entry, so that the gateway (x-amz-expiration) and the
 * storage nodes' workers (which apply them) decide alike.
 *
 * Stored form: the manager's bucket configuration "lifecycle", a JSON object the gateway
 * writes from PutBucketLifecycleConfiguration (gateway/s3/s3_lifecycle.c) and the bucket table
 * carries to gateways and storage nodes:
 *   {"Rules": [{"ID": "...", "Status": "Enabled"|"Disabled",
 *               "Filter": {"Prefix": "...", "Tags": [{"Key": "...", "Value": "..."}],
 *                          "ObjectSizeGreaterThan": N, "ObjectSizeLessThan": N},
 *               "Expiration": {"Days": N} | {"Date": ms} | {"ExpiredObjectDeleteMarker": true},
 *               "NoncurrentVersionExpiration": {"NoncurrentDays": N,
 *                                               "NewerNoncurrentVersions": N},
 *               "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": N}}]}
 * (every member optional but ID, Status and one action; an And filter is stored flattened).
 * A rule of S3's "V1" form has its own "Prefix": "..." (a string) instead of a Filter; the two
 * are never both present. Date is ms since the epoch (the gateway writes only midnights UTC);
 * Days, NoncurrentDays and DaysAfterInitiation are 1..2^31-1; NewerNoncurrentVersions (0 is
 * none) and the sizes are >= 0. Tags are compared with an object's decoded tags, byte for byte.
 *
 * Days are S3's: an action due N days after a time t is due at t + N days rounded up to the
 * next day boundary (midnight UTC), where a day is day_ms ([lifecycle] day_seconds, shorter
 * in tests). Pure: no I/O, no globals.
 */
#ifndef CAIRN_COMMON_LIFECYCLE_H
#define CAIRN_COMMON_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cn_lc_rules cn_lc_rules_t; /* opaque: cn_lc_parse, cn_lc_free */

/** Rules from their stored form (JSON). 0 with *out, CN_EINVAL (nothing allocated). */
int cn_lc_parse(const char *json, size_t len, cn_lc_rules_t **out);
void cn_lc_free(cn_lc_rules_t *r);

/** One entry of a bucket as a worker sees it. */
typedef struct cn_lc_object {
    const char *key;              /* the object's key, without the bucket */
    size_t key_len;
    uint64_t size;
    const char *tags;             /* its tags, gateway/s3/tags.h's stored form; NULL none */
    size_t tags_len;
    uint64_t mtime_ms;            /* when this version was written */
    int is_latest;                /* the current version (an unversioned object is) */
    int is_delete_marker;
    uint64_t noncurrent_since_ms; /* not latest: when the version after it was written */
    unsigned newer_noncurrent;    /* not latest: how many noncurrent versions are newer */
    int only_version;             /* a delete marker that is the object's only version */
} cn_lc_object_t;

typedef enum cn_lc_action {
    CN_LC_KEEP = 0,
    CN_LC_EXPIRE_CURRENT,   /* the current version expires: deleted, or in a bucket with
                               versioning a delete marker is put on top */
    CN_LC_DELETE_VERSION,   /* a noncurrent version goes for good */
    CN_LC_DELETE_MARKER,    /* an expired object delete marker goes */
} cn_lc_action_t;

/** What the enabled rules that match o (prefix, every tag, size bounds) ask at now_ms; the
 *  first due action in rule order. */
cn_lc_action_t cn_lc_decide(const cn_lc_rules_t *r, const cn_lc_object_t *o, uint64_t now_ms,
                            uint64_t day_ms);

/** 1 when a rule matching key (prefix only: uploads have no tags or size yet) aborts an
 *  incomplete multipart upload initiated at initiated_ms, at now_ms. */
int cn_lc_abort_upload(const cn_lc_rules_t *r, const char *key, size_t key_len,
                       uint64_t initiated_ms, uint64_t now_ms, uint64_t day_ms);

/** For x-amz-expiration: when the current version o expires (ms) and under which rule (its
 *  ID, valid while r is). 0, or -1 when no enabled rule expires it. */
int cn_lc_expiration(const cn_lc_rules_t *r, const cn_lc_object_t *o, uint64_t day_ms,
                     uint64_t *when_ms, const char **rule_id);

#endif
