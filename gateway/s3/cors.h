/*
 * gateway/s3/cors.h: a bucket's CORS rules (issue 17), pure: the rules as PutBucketCors sends
 * them (s3_xmlin.c reads the XML), S3's checks of them, the stored form (the manager's bucket
 * configuration "cors", a JSON object) and the matching of a request against them. The
 * operations and the headers they answer are s3_cors.c's. No I/O, no global state; any bytes
 * are safe.
 *
 * Matching, as S3 does it: the FIRST rule whose AllowedOrigin matches the request's Origin
 * (byte for byte, one '*' in a pattern matching any run of bytes, the empty one too), whose
 * AllowedMethod holds the method (exactly: S3 knows GET, PUT, POST, DELETE and HEAD), and, for
 * a preflight, whose AllowedHeader patterns match every name of Access-Control-Request-Headers
 * (without regard to case, '*' as for origins).
 */
#ifndef CAIRN_GATEWAY_CORS_H
#define CAIRN_GATEWAY_CORS_H

#include <stddef.h>

#include "common/buf.h"
#include "gateway/s3/s3_error.h"

#define GW_CORS_MAX_RULES 100     /* rules in one configuration (S3's limit) */
#define GW_CORS_ID_MAX 255        /* characters of a rule's ID */
#define GW_CORS_DOC_MAX 65536     /* bytes of a PutBucketCors body (S3: 64 KB) */

/* A list of strings, each NUL-terminated and allocated (neither XML text nor the stored
 * JSON, read without JSON_ALLOW_NUL, can hold a NUL). */
typedef struct gw_cors_list {
    char **v;
    size_t n;
} gw_cors_list_t;

typedef struct gw_cors_rule {
    char *id;                /* NULL: none */
    gw_cors_list_t origins;  /* AllowedOrigin, in the order given */
    gw_cors_list_t methods;  /* AllowedMethod */
    gw_cors_list_t headers;  /* AllowedHeader */
    gw_cors_list_t expose;   /* ExposeHeader */
    long max_age;            /* MaxAgeSeconds, -1: none */
} gw_cors_rule_t;

typedef struct gw_cors {
    gw_cors_rule_t *rules;
    size_t n;        /* kept, at most GW_CORS_MAX_RULES */
    size_t seen;     /* added, kept or not: what the limit is checked against */
} gw_cors_t;

/** Appends an empty rule (max_age -1) to c and returns it; past GW_CORS_MAX_RULES rules the
 *  rule is only counted and NULL is returned (the caller adds nothing to it). */
gw_cors_rule_t *gw_cors_add_rule(gw_cors_t *c);
/** Appends a copy of s[0..len) (no NUL inside) to l. */
void gw_cors_list_add(gw_cors_list_t *l, const char *s, size_t len);
/** Frees what c holds and empties it (a zeroed configuration needs no init). */
void gw_cors_dispose(gw_cors_t *c);

/** S3's rules for a configuration PutBucketCors sends: GW_S3_OK, or the error, *msg then set
 *  (into msg_buf, msg_len bytes, or a static string; NULL: the table's message):
 *  MalformedXML (no rule, a rule without AllowedOrigin or AllowedMethod), InvalidRequest
 *  (more than GW_CORS_MAX_RULES rules; a method S3 does not know, "Found unsupported HTTP
 *  method in CORS config. Unsupported method is X"; an AllowedOrigin or AllowedHeader with
 *  two '*'), InvalidArgument (an ID over GW_CORS_ID_MAX characters). */
gw_s3_err_t gw_cors_check(const gw_cors_t *c, char *msg_buf, size_t msg_len, const char **msg);

/** The stored form of c: a JSON object {"CORSRules": [{"ID", "AllowedOrigins",
 *  "AllowedMethods", "AllowedHeaders", "ExposeHeaders", "MaxAgeSeconds"}]} (members absent
 *  when unset), appended to out. */
void gw_cors_encode(const gw_cors_t *c, cn_buf_t *out);
/** Reads the stored form s[0..n) into *out (emptied first). 0, or CN_EINVAL when s is not
 *  that form or breaks gw_cors_check (out then empty). */
int gw_cors_decode(const char *s, size_t n, gw_cors_t *out);

/** 1 when pattern (at most one '*', which matches any run of bytes) matches s[0..len);
 *  icase: ASCII letters without regard to case. */
int gw_cors_pattern_match(const char *pattern, const char *s, size_t len, int icase);

/** The first rule of c that matches origin[0..origin_len) and method[0..method_len) and, when
 *  req_headers is not NULL, every name of that comma-separated list (blanks around names and
 *  empty names ignored): its index, or -1 when none does. */
long gw_cors_match(const gw_cors_t *c, const char *origin, size_t origin_len, const char *method,
                   size_t method_len, const char *req_headers, size_t req_headers_len);

/** 1 when the first AllowedOrigin of rule that matches origin[0..len) is "*" itself: S3 then
 *  answers Access-Control-Allow-Origin "*" and no Access-Control-Allow-Credentials. */
int gw_cors_any_origin(const gw_cors_rule_t *rule, const char *origin, size_t len);

/** Appends the items of l joined by ", " to out (Access-Control-Allow-Methods and
 *  -Expose-Headers). */
void gw_cors_join(const gw_cors_list_t *l, cn_buf_t *out);
/** Appends the names of the comma-separated list h[0..len), lowercased, in the order given,
 *  joined by ", " to out (a preflight's Access-Control-Allow-Headers, as S3 answers it). */
void gw_cors_header_names(const char *h, size_t len, cn_buf_t *out);

/** 1 when m[0..len) is a method a preflight may ask about (Access-Control-Request-Method): GET,
 *  HEAD, POST, PUT, DELETE, PATCH or OPTIONS, exactly (S3 answers any other 400). */
int gw_cors_request_method_valid(const char *m, size_t len);

#endif
