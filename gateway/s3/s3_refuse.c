/*
 * gateway/s3/s3_refuse.c: what the gateway cannot honour exactly as S3 documents it (see
 * s3_refuse.h). The rules run in a fixed order and the first that applies answers: the
 * operations we do not have (POST object), the query parameters (versionId, the
 * form of partNumber), x-amz-copy-source's versionId, then the
 * headers of the table, then the headers whose value decides (storage class, the form of
 * x-amz-bucket-object-lock-enabled, object ownership). The operations on one object take versionId=null (the object's
 * own key) and any version ID of ours (version.h); another form is S3's InvalidArgument.
 * Messages are static strings.
 */
#include "gateway/s3/s3_refuse.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/gateway.h"
#include "common/version.h"

/* A set of operations: one bit per gw_op_t. */
#define OP(o) (UINT64_C(1) << (o))
static_assert(GW_OP_UNSUPPORTED < 64, "a set of operations is a 64-bit mask");

/* PutObject (CopyObject is a PUT with x-amz-copy-source) and CreateMultipartUpload: the
 * writes that give an object its attributes */
#define NEW_OBJECT (OP(GW_OP_PUT_OBJECT) | OP(GW_OP_CREATE_MULTIPART))
/* every request that carries an object's bytes or completes them */
#define OBJECT_WRITE (NEW_OBJECT | OP(GW_OP_UPLOAD_PART) | OP(GW_OP_COMPLETE_MULTIPART))
/* the requests whose source is x-amz-copy-source (CopyObject, UploadPartCopy) */
#define COPY (OP(GW_OP_PUT_OBJECT) | OP(GW_OP_UPLOAD_PART))
/* the operations on one object that ?versionId addresses (s3_version.h) */
#define VERSIONED                                                                              \
    (OP(GW_OP_GET_OBJECT) | OP(GW_OP_HEAD_OBJECT) | OP(GW_OP_DELETE_OBJECT) |                 \
     OP(GW_OP_GET_OBJECT_ACL) | OP(GW_OP_PUT_OBJECT_ACL) | OP(GW_OP_GET_OBJECT_TAGGING) |     \
     OP(GW_OP_PUT_OBJECT_TAGGING) | OP(GW_OP_DELETE_OBJECT_TAGGING) |                         \
     OP(GW_OP_GET_OBJECT_ATTRIBUTES) | OP(GW_OP_GET_OBJECT_RETENTION) |                    \
     OP(GW_OP_PUT_OBJECT_RETENTION) | OP(GW_OP_GET_OBJECT_LEGAL_HOLD) |                      \
     OP(GW_OP_PUT_OBJECT_LEGAL_HOLD))

static const char sse_msg[] = "Server-side encryption (x-amz-server-side-encryption*) is not "
                              "supported yet on this operation: the object would be stored "
                              "unencrypted.";
/* the operations that encrypt or decrypt (s3_sse.h): PutObject and CopyObject,
 * CreateMultipartUpload, UploadPart and UploadPartCopy (an SSE-C key; a copy source's key,
 * s3_sse_copy.c), GetObject and HeadObject; the others refuse the headers */
#define SSE_WRITE (OBJECT_WRITE & ~(OP(GW_OP_PUT_OBJECT) | OP(GW_OP_CREATE_MULTIPART)))
/* an SSE-C upload's parts carry its key (s3_sse.c checks it) */
#define SSE_C_WRITE (SSE_WRITE & ~OP(GW_OP_UPLOAD_PART))
#define SSE_C_READ OP(GW_OP_GET_OBJECT_ATTRIBUTES) /* an SSE-C key asks to decrypt */
static const char redirect_msg[] =
    "Website redirects (x-amz-website-redirect-location) are not supported yet.";

/* A header whose presence alone is refused (NotImplemented) on the operations in ops. */
static const struct header_rule {
    const char *name;
    uint64_t ops;
    const char *msg;
} header_rules[] = {
    {"x-amz-server-side-encryption", SSE_WRITE, sse_msg},
    {"x-amz-server-side-encryption-aws-kms-key-id", SSE_WRITE, sse_msg},
    {"x-amz-server-side-encryption-context", SSE_WRITE, sse_msg},
    {"x-amz-server-side-encryption-bucket-key-enabled", SSE_WRITE, sse_msg},
    {"x-amz-server-side-encryption-customer-algorithm", SSE_C_WRITE | SSE_C_READ, sse_msg},
    {"x-amz-server-side-encryption-customer-key", SSE_C_WRITE | SSE_C_READ, sse_msg},
    {"x-amz-server-side-encryption-customer-key-md5", SSE_C_WRITE | SSE_C_READ, sse_msg},
    {"x-amz-website-redirect-location", NEW_OBJECT, redirect_msg},
};

/* The storage classes S3 documents besides STANDARD (the one every object has here). */
static const char *const other_storage_classes[] = {
    "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
    "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS",
    "FSX_ONTAP",
};

static int slice_is(cn_slice_t s, const char *want)
{
    return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static int slice_is_nocase(cn_slice_t s, const char *want)
{
    return s.ptr && s.len == strlen(want) && strncasecmp(s.ptr, want, s.len) == 0;
}

/* A versionId value (v, found = 1 when the parameter was there, < 0 for a bad escape). */
static gw_s3_err_t check_version(int found, const cn_buf_t *v, const char **msg)
{
    if (found == 0)
        return GW_S3_OK;
    if (found > 0 && v->len == 0) {
        *msg = "Version id cannot be the empty string";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (found < 0 || !cn_ver_id_valid(v->data, v->len)) {
        *msg = "Invalid version id specified";
        return GW_S3_INVALID_ARGUMENT;
    }
    return GW_S3_OK;
}

/* ?partNumber on GetObject / HeadObject: a number of 1..10000 asks for one part (s3_object.c);
 * anything else is S3's InvalidArgument. */
static gw_s3_err_t check_part_number(int found, const cn_buf_t *v, const char **msg)
{
    unsigned long n = 0;
    size_t i;

    if (found == 0)
        return GW_S3_OK;
    for (i = 0; found > 0 && i < v->len && i < 6 && v->data[i] >= '0' && v->data[i] <= '9'; i++)
        n = n * 10 + (unsigned long)(v->data[i] - '0');
    if (found < 0 || v->len == 0 || i != v->len || n < 1 || n > 10000) {
        *msg = "Part number must be an integer between 1 and 10000, inclusive";
        return GW_S3_INVALID_ARGUMENT;
    }
    return GW_S3_OK;
}

/* The query parameters: versionId and partNumber. */
static gw_s3_err_t check_query(gw_op_t op, const char *query, size_t query_len, cn_buf_t *v,
                               const char **msg)
{
    gw_s3_err_t e = GW_S3_OK;
    int found;

    if (OP(op) & VERSIONED) {
        found = gw_query_get(query, query_len, "versionId", v);
        if ((e = check_version(found, v, msg)) != GW_S3_OK)
            return e;
    }
    if (op == GW_OP_GET_OBJECT || op == GW_OP_HEAD_OBJECT) {
        found = gw_query_get(query, query_len, "partNumber", v);
        if ((e = check_part_number(found, v, msg)) != GW_S3_OK)
            return e;
    }
    return GW_S3_OK;
}

/* x-amz-copy-source "bucket/key?versionId=...": the same versionId rule as the query's. */
static gw_s3_err_t check_copy_source(cn_slice_t src, cn_buf_t *v, const char **msg)
{
    const char *q = src.ptr ? memchr(src.ptr, '?', src.len) : NULL;
    int found;

    if (!q)
        return GW_S3_OK;
    q++;
    found = gw_query_get(q, (size_t)(src.ptr + src.len - q), "versionId", v);
    return check_version(found, v, msg);
}

/* The headers whose value decides. */
static gw_s3_err_t check_values(gw_op_t op, gw_refuse_header_fn header, const void *arg,
                                const char **msg)
{
    cn_slice_t h;

    if ((OP(op) & NEW_OBJECT) && (h = header(arg, "x-amz-storage-class")).ptr &&
        !slice_is(h, "STANDARD")) {
        for (size_t i = 0; i < sizeof(other_storage_classes) / sizeof(other_storage_classes[0]);
             i++)
            if (slice_is(h, other_storage_classes[i])) {
                *msg = "Storage classes other than STANDARD are not supported yet.";
                return GW_S3_NOT_IMPLEMENTED;
            }
        *msg = "The storage class you specified is not valid";
        return GW_S3_INVALID_STORAGE_CLASS;
    }
    if (op != GW_OP_CREATE_BUCKET)
        return GW_S3_OK;
    if ((h = header(arg, "x-amz-bucket-object-lock-enabled")).ptr &&
        !slice_is_nocase(h, "false") && !slice_is_nocase(h, "true")) {
        *msg = "x-amz-bucket-object-lock-enabled must be true or false.";
        return GW_S3_INVALID_ARGUMENT;
    }
    /* objects belong to their writers and ACLs apply: S3's ObjectWriter */
    if ((h = header(arg, "x-amz-object-ownership")).ptr && !slice_is(h, "ObjectWriter")) {
        if (slice_is(h, "BucketOwnerPreferred") || slice_is(h, "BucketOwnerEnforced")) {
            *msg = "Object ownership other than ObjectWriter is not supported yet.";
            return GW_S3_NOT_IMPLEMENTED;
        }
        *msg = "Invalid x-amz-object-ownership header.";
        return GW_S3_INVALID_ARGUMENT;
    }
    return GW_S3_OK;
}

gw_s3_err_t gw_refuse_check(gw_op_t op, const char *query, size_t query_len,
                            gw_refuse_header_fn header, const void *arg, const char **msg)
{
    gw_s3_err_t e;
    cn_buf_t v;

    *msg = NULL;
    cn_buf_init(&v);
    e = check_query(op, query, query_len, &v, msg);
    if (e == GW_S3_OK && (OP(op) & COPY))
        e = check_copy_source(header(arg, "x-amz-copy-source"), &v, msg);
    cn_buf_dispose(&v);
    if (e != GW_S3_OK)
        return e;
    for (size_t i = 0; i < sizeof(header_rules) / sizeof(header_rules[0]); i++)
        if ((header_rules[i].ops & OP(op)) && header(arg, header_rules[i].name).ptr) {
            *msg = header_rules[i].msg;
            return GW_S3_NOT_IMPLEMENTED;
        }
    return check_values(op, header, arg, msg);
}

static cn_slice_t req_header(const void *r, const char *lname)
{
    return gw_req_header(r, lname);
}

gw_s3_err_t gw_refuse_req(const struct gw_req *r, const char **msg)
{
    size_t qlen;
    const char *q = gw_req_query(r, &qlen);

    return gw_refuse_check(r->route.op, q, qlen, req_header, r, msg);
}

gw_s3_err_t gw_refuse_location(const char *constraint, const char *region, char *msg,
                               size_t msg_len)
{
    static const char incompatible[] =
        "location constraint is incompatible for the region specific endpoint this request "
        "was sent to.";
    int east = strcmp(region, "us-east-1") == 0;

    if (*constraint == '\0') {
        if (east)
            return GW_S3_OK;
        snprintf(msg, msg_len, "The unspecified %s", incompatible);
        return GW_S3_ILLEGAL_LOCATION_CONSTRAINT;
    }
    if (east && strcmp(constraint, "us-east-1") == 0) {
        snprintf(msg, msg_len, "The specified location-constraint is not valid");
        return GW_S3_INVALID_LOCATION_CONSTRAINT;
    }
    if (strcmp(constraint, region) == 0 ||
        (strcmp(constraint, "EU") == 0 && strcmp(region, "eu-west-1") == 0))
        return GW_S3_OK;
    snprintf(msg, msg_len, "The %s %s", constraint, incompatible);
    return GW_S3_ILLEGAL_LOCATION_CONSTRAINT;
}
