/*
 * gateway/auth/s3_auth.h: S3 request authentication, as pure functions over the request as it
 * arrived (no I/O): AWS Signature V4 (Authorization header and presigned query) and
 * Signature V2 (header and query). The caller looks up secrets through a callback and checks
 * the body against x-amz-content-sha256 itself (gw_auth_result_t.payload_hash says what to
 * check), since the body may arrive after the headers.
 */
#ifndef CAIRN_GATEWAY_S3_AUTH_H
#define CAIRN_GATEWAY_S3_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "gateway/s3/s3_error.h"

#define GW_AUTH_MAX_SKEW_MS (15 * 60 * 1000)   /* RequestTimeTooSkewed beyond this */
#define GW_AUTH_MAX_EXPIRES_S 604800             /* presigned X-Amz-Expires, one week */

typedef struct gw_auth_header {
    const char *name;     /* as received; compared case-insensitively */
    size_t name_len;
    const char *value;
    size_t value_len;
} gw_auth_header_t;

typedef struct gw_auth_req {
    const char *method;
    size_t method_len;
    const char *path;     /* raw request path as sent on the wire (percent-encoded), no query */
    size_t path_len;
    const char *query;    /* raw query string without '?', may be NULL/empty */
    size_t query_len;
    const gw_auth_header_t *headers;
    size_t nheaders;
    uint64_t now_ms;      /* server time, for skew and presigned expiry checks */
    const char *region;   /* the gateway's region ("us-east-1"); any region is accepted in the
                             credential scope, but it is part of the signature */
    /* SigV2 only: the bucket of a virtual-host-style request (from Host), or NULL. SigV2
       signs "/bucket/key" whatever the URL style, so it is put in front of path. SigV4
       signs the path as sent and ignores this. */
    /* hex SHA-256 of the whole body when the caller has it, else NULL. Used only for SigV4
     * header requests that omit x-amz-content-sha256 (curl 7.x --aws-sigv4 signs the hash of
     * its POST data, or of "" for -T uploads, without sending the header). */
    const char *body_sha256;
    /* or, when body_sha256 is NULL, the way to compute it, called only when the signature is
     * not over the empty string's hash (hashing a large body costs): returns the hex (valid
     * until the check returns); NULL fn: no body hash can be had */
    const char *(*body_sha256_fn)(void *arg);
    void *body_sha256_arg;
    const char *v2_bucket;
    size_t v2_bucket_len;
} gw_auth_req_t;

/** Looks up the secret for an access key. Returns 0 and writes the NUL-terminated secret, or
 *  CN_ENOENT for an unknown key. */
typedef int (*gw_auth_lookup_fn)(void *arg, const char *access_key, char *secret,
                                 size_t secret_len);

typedef enum gw_auth_kind {
    GW_AUTH_ANONYMOUS = 0,   /* no Authorization header and no signature in the query */
    GW_AUTH_V4_HEADER,
    GW_AUTH_V4_QUERY,
    GW_AUTH_V2_HEADER,
    GW_AUTH_V2_QUERY,
    GW_AUTH_V4_POST,         /* a browser POST form signed with SigV4 (gw_auth_verify_post) */
    GW_AUTH_V2_POST,         /* ... with SigV2 */
} gw_auth_kind_t;

typedef enum gw_payload_kind {
    GW_PAYLOAD_UNCHECKED = 0,   /* V2, anonymous, presigned, UNSIGNED-PAYLOAD */
    GW_PAYLOAD_SHA256,          /* payload_sha256 holds the hex digest the body must match */
    GW_PAYLOAD_STREAMING,       /* STREAMING-* aws-chunked (decoded by aws_chunked.c) */
} gw_payload_kind_t;

typedef struct gw_auth_result {
    gw_auth_kind_t kind;
    char access_key[128];
    gw_payload_kind_t payload;
    char payload_sha256[65];
    /* V4 only, for aws-chunked chunk signatures: the seed signature and the signing key */
    char seed_signature[65];
    uint8_t signing_key[32];
    char amz_date[17];         /* "20130524T000000Z" */
    char scope[128];           /* "20130524/us-east-1/s3/aws4_request" */
    /* On error: a static, more precise S3 message ("Request has expired") to pass to
       gw_s3_err_xml(), or NULL for the table's message. */
    const char *err_message;
} gw_auth_result_t;

/** Authenticates req. Returns GW_S3_OK (res filled; kind GW_AUTH_ANONYMOUS when unsigned,
 *  and the caller decides whether anonymous access is allowed) or the S3 error to answer:
 *  AuthorizationHeaderMalformed for a malformed SigV4 header (missing part, bad credential
 *  scope, credential date != request date), AuthorizationQueryParametersError for malformed
 *  presigned SigV4 parameters (X-Amz-Expires outside 1..604800 included), InvalidArgument for
 *  an unsupported Authorization type, a malformed SigV2 header, a bad x-amz-content-sha256
 *  value or two auth mechanisms at once, AccessDenied for a missing/unparsable Date and
 *  x-amz-date and for an expired presigned URL (V4 or V2), InvalidAccessKeyId for an unknown
 *  key, SignatureDoesNotMatch, RequestTimeTooSkewed (more than 15 minutes apart),
 *  MissingSecurityHeader when x-amz-content-sha256 is missing for header SigV4, or
 *  gw_s3_err_from_rc() of a lookup failure other than CN_ENOENT. On error res->err_message
 *  may hold the precise S3 message ("Request has expired") for gw_s3_err_xml(); the rest of
 *  res is zeroed. Pure and thread-safe; lookup is called on the caller's thread, once per
 *  signature tried: up to twice, because two kinds of requests are tried again in another
 *  form when the first fails (SigV4 without x-amz-content-sha256: the body's hash, then the
 *  empty one; a query curl signed as sent: canonical, then as sent). The caller must pass the Host header (h2o's :authority) among headers. */
gw_s3_err_t gw_auth_verify(const gw_auth_req_t *req, gw_auth_lookup_fn lookup, void *arg,
                           gw_auth_result_t *res);

/* ---- browser POST uploads (POST Object) ----
 * The form's signature covers its policy field (the base64 text as sent), nothing of the
 * request line or headers: SigV4 hex(HMAC-SHA256(signing key of x-amz-credential, policy)),
 * SigV2 base64(HMAC-SHA1(secret, policy)). Whether the form meets the policy is
 * gateway/auth/post_policy.h's. */
typedef struct gw_auth_post {
    cn_slice_t policy;        /* each: the form field's value, ptr NULL when absent */
    cn_slice_t algorithm;     /* x-amz-algorithm */
    cn_slice_t credential;    /* x-amz-credential */
    cn_slice_t amz_date;      /* x-amz-date */
    cn_slice_t signature;     /* x-amz-signature */
    cn_slice_t access_key_id; /* AWSAccessKeyId (SigV2) */
    cn_slice_t signature_v2;  /* signature (SigV2) */
} gw_auth_post_t;

/** Authenticates a POST form: SigV4 when any of x-amz-signature, x-amz-algorithm or
 *  x-amz-credential is there, SigV2 when AWSAccessKeyId or signature is, else anonymous (no
 *  policy either: a policy nobody signed is refused). GW_S3_OK with res filled (kind
 *  GW_AUTH_V4_POST, GW_AUTH_V2_POST or GW_AUTH_ANONYMOUS), or InvalidArgument (a field
 *  missing, "Bucket POST must contain a field named '...'", a bad algorithm, credential or
 *  date; res->err_message says which), InvalidAccessKeyId, SignatureDoesNotMatch. Pure. */
gw_s3_err_t gw_auth_verify_post(const gw_auth_post_t *in, gw_auth_lookup_fn lookup, void *arg,
                                gw_auth_result_t *res);

/* ---- the secret lookup (s3_auth.c), for the verifiers ---- */

/** Calls lookup for ak into secret (GW_AUTH_SECRET_MAX bytes). Returns GW_S3_OK,
 *  GW_S3_INVALID_ACCESS_KEY_ID for an unknown key, or the error of another failure. */
gw_s3_err_t gw__auth_lookup_secret(gw_auth_lookup_fn lookup, void *arg, const char *ak,
                                   char *secret, gw_auth_result_t *res);

#endif
