/*
 * gateway/s3/lock_doc.h: S3 Object Lock's documents and headers (issue 18), pure: a
 * bucket's ObjectLockConfiguration (its default retention), an object's Retention and
 * LegalHold bodies, the x-amz-object-lock-* headers of PutObject, CopyObject and
 * CreateMultipartUpload, and the lock's pairs in a version's metadata (common/objlock.h keeps
 * them; the decision whether a write may go over a lock is cn_lock_allows). No I/O, no
 * globals; messages are static strings.
 */
#ifndef CAIRN_GATEWAY_S3_LOCK_DOC_H
#define CAIRN_GATEWAY_S3_LOCK_DOC_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/objlock.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/s3_error.h"

#define GW_LOCK_MAX_DAYS 36500u /* S3's longest default retention */
#define GW_LOCK_MAX_YEARS 100u

/* a bucket's ObjectLockConfiguration: ObjectLockEnabled is always Enabled */
typedef struct gw_lock_conf {
    cn_lock_mode_t mode; /* the default retention's mode; CN_LOCK_NONE: no Rule */
    uint32_t days;       /* its period: days or years, one of them (when mode is set) */
    uint32_t years;
} gw_lock_conf_t;

/* what a request sets on the version it writes (headers) */
typedef struct gw_lock_req {
    cn_lock_t lock;
    int retention; /* x-amz-object-lock-mode and -retain-until-date were given */
    int hold;      /* x-amz-object-lock-legal-hold was given (lock.legal_hold its value) */
} gw_lock_req_t;

/** A PutObjectLockConfiguration body: GW_S3_OK with *out, MalformedXML (not the document,
 *  ObjectLockEnabled not Enabled, a Rule without a mode and exactly one period) or
 *  InvalidArgument with *msg (a period of 0 or past S3's limits). */
gw_s3_err_t gw_lock_conf_parse(const char *xml, size_t n, gw_lock_conf_t *out,
                               const char **msg);
/** The stored form of c (the manager's "object_lock", JSON) appended to out. */
void gw_lock_conf_encode(const gw_lock_conf_t *c, cn_buf_t *out);
/** The stored form back: 0, or CN_EINVAL (then *out has no rule). */
int gw_lock_conf_decode(const json_t *j, gw_lock_conf_t *out);
/** GetObjectLockConfiguration's document for c appended to x. */
void gw_lock_conf_xml(const gw_lock_conf_t *c, cn_buf_t *x);
/** The retain-until date c's default retention gives a version written at now_ms (0: c has
 *  no rule). Years are calendar years. */
uint64_t gw_lock_conf_until(const gw_lock_conf_t *c, uint64_t now_ms);

/** A PutObjectRetention body at now_ms: GW_S3_OK with *mode and *until_ms (CN_LOCK_NONE and 0
 *  for an empty Retention: its removal), MalformedXML, or InvalidArgument with *msg (a date
 *  not in the future). */
gw_s3_err_t gw_lock_retention_parse(const char *xml, size_t n, uint64_t now_ms,
                                    cn_lock_mode_t *mode, uint64_t *until_ms, const char **msg);
/** A PutObjectLegalHold body: GW_S3_OK with *on, or MalformedXML. */
gw_s3_err_t gw_lock_hold_parse(const char *xml, size_t n, int *on);
/** Retention and LegalHold documents (GetObjectRetention, GetObjectLegalHold) appended to x. */
void gw_lock_retention_xml(const cn_lock_t *l, cn_buf_t *x);
void gw_lock_hold_xml(int on, cn_buf_t *x);

/** The x-amz-object-lock-mode, -retain-until-date and -legal-hold headers (ptr NULL: absent)
 *  at now_ms into *out: GW_S3_OK, or InvalidArgument with *msg (one of mode and date without
 *  the other, an unknown mode, a date not ISO 8601 or not in the future, a legal hold other
 *  than ON or OFF). */
gw_s3_err_t gw_lock_headers_parse(cn_slice_t mode, cn_slice_t until, cn_slice_t hold,
                                  uint64_t now_ms, gw_lock_req_t *out, const char **msg);

/** Adds l's pairs to metadata being built: its retention when it has one, its legal hold
 *  when it is ON or hold_given ("OFF" then: GetObjectLegalHold answers it). */
void gw_lock_meta_add(gw_meta_t *m, const cn_lock_t *l, int hold_given);
/** Sets the retention pairs of the encoded metadata *enc to mode and until_ms (CN_LOCK_NONE:
 *  removes them). 0, or CN_ECORRUPT when *enc does not decode (left as it is). */
int gw_lock_meta_set_retention(cn_buf_t *enc, cn_lock_mode_t mode, uint64_t until_ms);

#endif
