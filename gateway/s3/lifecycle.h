/*
 * gateway/s3/lifecycle.h: a bucket's lifecycle configuration as PutBucketLifecycleConfiguration
 * sends it (issue 18), pure: the rules as given (s3_xmlin.c reads the XML into them), S3's
 * checks of them, their stored form (common/lifecycle.h's JSON, written here) and the XML
 * GetBucketLifecycleConfiguration answers from that form. The decisions made from the rules
 * are common/lifecycle.c's. No I/O, no global state; any bytes are safe.
 *
 * S3 knows two forms of a configuration: "V1", whose rules name their objects by a Prefix of
 * their own, and "V2", whose rules have a Filter (Prefix, Tag, ObjectSizeGreaterThan,
 * ObjectSizeLessThan, or an And of them). The first rule decides; S3 refuses a mix.
 */
#ifndef CAIRN_GATEWAY_LIFECYCLE_H
#define CAIRN_GATEWAY_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/s3_error.h"
#include "gateway/s3/tags.h"

#define GW_LC_MAX_RULES 1000   /* rules in one configuration (S3's limit) */
#define GW_LC_ID_MAX 255       /* characters of a rule's ID */
#define GW_LC_DOC_MAX 65536    /* bytes of the stored form (the manager's limit of a config) */
#define GW_LC_SIZE_MAX 1099511627776000ll /* ObjectSizeGreaterThan / LessThan (S3's bound) */

#define GW_LC_NONE INT64_MIN /* a number whose element is absent */

/* One Rule as sent; a number is GW_LC_NONE when its element is absent. Strings are NUL-terminated
 * copies (XML text holds no NUL), NULL when absent. */
typedef struct gw_lc_rule {
    char *id;
    char *status;           /* as sent: "Enabled" and "Disabled" are valid */
    char *prefix;           /* the rule's own Prefix (V1) */
    int has_filter;         /* a Filter (V2), even an empty one */
    char *filter_prefix;    /* Filter/Prefix or Filter/And/Prefix */
    gw_tags_t tags;         /* Filter/Tag or Filter/And/Tag, in the order given */
    int64_t size_gt, size_lt;
    int has_expiration;
    int64_t days;
    char *date;             /* Expiration/Date as sent (ISO 8601) */
    int marker;             /* ExpiredObjectDeleteMarker: -1 absent, 0 false, 1 true */
    int has_noncurrent;
    int64_t noncurrent_days, newer_noncurrent;
    int has_abort;
    int64_t abort_days;
    int transitions;        /* Transition and NoncurrentVersionTransition elements */
} gw_lc_rule_t;

typedef struct gw_lc {
    gw_lc_rule_t *rules;
    size_t n;        /* kept, at most GW_LC_MAX_RULES */
    size_t seen;     /* added, kept or not: what the limit is checked against */
} gw_lc_t;

/** Appends an empty rule (numbers GW_LC_NONE) to c and returns it; past GW_LC_MAX_RULES the rule is
 *  only counted and NULL is returned. */
gw_lc_rule_t *gw_lc_add_rule(gw_lc_t *c);
/** Frees what c holds and empties it (a zeroed configuration needs no init). */
void gw_lc_dispose(gw_lc_t *c);

/** S3's rules for a configuration: GW_S3_OK, or the error with *msg (into msg_buf, msg_len
 *  bytes, or a static string; NULL: the table's message): MalformedXML (no Status or another
 *  one, a rule naming no objects, an Expiration not of exactly one of Days, Date and
 *  ExpiredObjectDeleteMarker, an action without its number, a Date that does not read),
 *  InvalidRequest (no rule or more than GW_LC_MAX_RULES, V1 and V2 mixed, a rule without an
 *  action, a tag key twice, bad size bounds, ExpiredObjectDeleteMarker or
 *  AbortIncompleteMultipartUpload with tags or sizes, overlapping V1 prefixes for one action),
 *  InvalidArgument (an ID over GW_LC_ID_MAX characters or twice, a day count not positive,
 *  a Date not at midnight GMT), and last NotImplemented for a transition (cairn has one
 *  storage class: never a wrong success). */
gw_s3_err_t gw_lc_check(const gw_lc_t *c, char *msg_buf, size_t msg_len, const char **msg);

/** Gives each rule of c without an ID (or an empty one) one as S3 does: 48 characters derived
 *  from seed (the caller's random number) and the rule's place, none equal to another's. */
void gw_lc_name_rules(gw_lc_t *c, uint64_t seed);

/** The stored form of a checked configuration c (common/lifecycle.h, every rule with an ID),
 *  appended to out. */
void gw_lc_encode(const gw_lc_t *c, cn_buf_t *out);

/** Appends the LifecycleConfiguration document of the stored form s[0..n) to out (the XML
 *  declaration included). 0, or CN_EINVAL when s is not that form (out then unchanged). */
int gw_lc_xml(const char *s, size_t n, cn_buf_t *out);

/** Milliseconds since the epoch of an ISO 8601 date-time s ("2012-12-23T00:00:00.000Z", the
 *  fraction optional, "Z" or "+hh:mm"/"-hh:mm"; or a date alone, midnight UTC). 0 with *ms,
 *  or CN_EINVAL. */
int gw_lc_parse_date(const char *s, int64_t *ms);

#endif
