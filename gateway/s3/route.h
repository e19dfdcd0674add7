/*
 * gateway/s3/route.h: turns an S3 request line (method, raw path, query, Host) into an
 * operation, a bucket and a decoded key; plus the small pure parsers the operations share
 * (query parameters, Range, bucket names). No I/O, no allocation beyond caller buffers.
 */
#ifndef CAIRN_GATEWAY_ROUTE_H
#define CAIRN_GATEWAY_ROUTE_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"
#include "gateway/s3/s3_error.h"

#define GW_KEY_MAX 1024
#define GW_BUCKET_MAX 63

typedef enum gw_op {
    GW_OP_NONE = 0,
    GW_OP_LIST_BUCKETS,
    GW_OP_CREATE_BUCKET,
    GW_OP_DELETE_BUCKET,
    GW_OP_HEAD_BUCKET,
    GW_OP_GET_BUCKET_LOCATION,
    GW_OP_LIST_OBJECTS,
    GW_OP_LIST_OBJECTS_V2,
    GW_OP_PUT_OBJECT,
    GW_OP_GET_OBJECT,
    GW_OP_HEAD_OBJECT,
    GW_OP_DELETE_OBJECT,
    GW_OP_CREATE_MULTIPART,
    GW_OP_UPLOAD_PART,
    GW_OP_COMPLETE_MULTIPART,
    GW_OP_ABORT_MULTIPART,
    GW_OP_LIST_PARTS,
    GW_OP_LIST_MULTIPART_UPLOADS,
    GW_OP_DELETE_OBJECTS,
    GW_OP_GET_BUCKET_ACL,
    GW_OP_PUT_BUCKET_ACL,
    GW_OP_GET_OBJECT_ACL,
    GW_OP_PUT_OBJECT_ACL,
    GW_OP_GET_OBJECT_TAGGING,
    GW_OP_GET_BUCKET_POLICY,
    GW_OP_PUT_BUCKET_POLICY,
    GW_OP_DELETE_BUCKET_POLICY,
    GW_OP_GET_BUCKET_POLICY_STATUS,
    GW_OP_GET_PUBLIC_ACCESS_BLOCK,
    GW_OP_PUT_PUBLIC_ACCESS_BLOCK,
    GW_OP_DELETE_PUBLIC_ACCESS_BLOCK,
    GW_OP_GET_OWNERSHIP_CONTROLS,
    GW_OP_PUT_OWNERSHIP_CONTROLS,
    GW_OP_DELETE_OWNERSHIP_CONTROLS,
    GW_OP_GET_BUCKET_VERSIONING,
    GW_OP_PUT_BUCKET_VERSIONING,
    GW_OP_LIST_OBJECT_VERSIONS,
    GW_OP_GET_OBJECT_ATTRIBUTES,
    GW_OP_PUT_OBJECT_TAGGING,
    GW_OP_DELETE_OBJECT_TAGGING,
    GW_OP_GET_BUCKET_TAGGING,
    GW_OP_PUT_BUCKET_TAGGING,
    GW_OP_DELETE_BUCKET_TAGGING,
    GW_OP_POST_OBJECT,      /* POST /bucket (HTML form upload, s3_post.c) */
    GW_OP_OPTIONS,          /* OPTIONS (CORS preflight, s3_cors.c) */
    GW_OP_GET_BUCKET_CORS,
    GW_OP_PUT_BUCKET_CORS,
    GW_OP_DELETE_BUCKET_CORS,
    GW_OP_GET_BUCKET_LIFECYCLE,       /* issue 18: s3_lifecycle.c */
    GW_OP_PUT_BUCKET_LIFECYCLE,
    GW_OP_DELETE_BUCKET_LIFECYCLE,
    GW_OP_GET_OBJECT_LOCK_CONFIG,     /* issue 18: s3_objlock.c */
    GW_OP_PUT_OBJECT_LOCK_CONFIG,
    GW_OP_GET_OBJECT_RETENTION,
    GW_OP_PUT_OBJECT_RETENTION,
    GW_OP_GET_OBJECT_LEGAL_HOLD,
    GW_OP_PUT_OBJECT_LEGAL_HOLD,
    GW_OP_GET_BUCKET_LOGGING,         /* issue 18: s3_logging.c */
    GW_OP_PUT_BUCKET_LOGGING,
    GW_OP_GET_BUCKET_ENCRYPTION,      /* issue 20: s3_bucket_sse.c */
    GW_OP_PUT_BUCKET_ENCRYPTION,
    GW_OP_DELETE_BUCKET_ENCRYPTION,
    GW_OP_UNSUPPORTED,      /* a sub-resource we do not implement: NotImplemented */
} gw_op_t;

typedef struct gw_route {
    gw_op_t op;
    int vhost;                        /* bucket came from the Host header */
    char bucket[GW_BUCKET_MAX + 2];   /* "" when none; over-long names are cut and flagged */
    int bucket_too_long;
    char key[GW_KEY_MAX + 1];         /* decoded, NUL-terminated (keys cannot hold NUL) */
    size_t key_len;
} gw_route_t;

/** Parses a request. path is the raw path without query, query without '?' (may be NULL),
 *  host the Host header (may be NULL), domain the configured virtual-host domain ("" or NULL
 *  = path-style only). Returns GW_S3_OK, KeyTooLong, InvalidArgument (bad escape or NUL in
 *  the key), MethodNotAllowed. */
gw_s3_err_t gw_route_parse(const char *method, size_t method_len, const char *path,
                           size_t path_len, const char *query, size_t query_len,
                           const char *host, size_t host_len, const char *domain,
                           gw_route_t *out);

/** Finds query parameter name (exact) and decodes its value into out (reset first; '+' is a
 *  space). Returns 1 found (a bare "name" gives ""), 0 absent, CN_EINVAL bad escape. */
int gw_query_get(const char *query, size_t query_len, const char *name, cn_buf_t *out);
/** 1 when the query has parameter name (with or without a value). */
int gw_query_has(const char *query, size_t query_len, const char *name);

/** S3 bucket naming rules (3-63 chars, lower case letters, digits, '.', '-', starts and ends
 *  with a letter or digit, no "..", not an IPv4 address). 1 valid, 0 not. */
int gw_bucket_name_valid(const char *name);

/** Parses a Range header against an object of total bytes. Returns 0 with [*off, *off+*len)
 *  for a satisfiable single range, 1 when the header must be ignored (not bytes=, several
 *  ranges, bad syntax: serve the whole object), CN_EINVAL when unsatisfiable (416). */
int gw_range_parse(const char *v, size_t n, uint64_t total, uint64_t *off, uint64_t *len);

#endif
