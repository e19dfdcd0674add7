/*
 * gateway/logs/access_log.h: one S3 server access log line (access_log.c), in the field order
 * of Amazon S3's documented format ("Amazon S3 server access log format"), '-' where a field
 * does not apply. Pure: no state, thread-safe.
 */
#ifndef CAIRN_GATEWAY_ACCESS_LOG_H
#define CAIRN_GATEWAY_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "gateway/s3/route.h"

#define GW_ALOG_FIELD_MAX 2048 /* a header value or request line is cut to this many bytes */
#define GW_ALOG_NFIELDS 26     /* fields of a line, as gw_alog_format writes them */

/* What a line says of one request. Strings may be NULL or "" ('-' then); none is owned. */
typedef struct gw_alog_rec {
    const char *bucket_owner;  /* canonical id of the logged bucket's owner */
    const char *bucket;
    int64_t time_s;            /* when the request was received, Unix seconds (UTC) */
    const char *remote_ip;
    const char *requester;     /* canonical id, "" anonymous */
    const char *request_id;
    const char *operation;     /* gw_alog_operation's */
    const char *key;           /* the object key (raw bytes; written URL-encoded) */
    size_t key_len;
    const char *request_line;  /* "GET /b/k?x HTTP/1.1", as received */
    int status;
    const char *error_code;    /* S3 error code, NULL/"" none */
    uint64_t bytes_sent;       /* response body bytes; 0 is written '-' */
    int has_object_size;
    uint64_t object_size;
    uint64_t total_ms;
    int64_t turnaround_ms;     /* < 0: unknown ('-') */
    const char *referer;
    const char *user_agent;
    const char *version_id;
    const char *host_id;       /* x-amz-id-2 */
    const char *sig_version;   /* "SigV4", "SigV2", NULL */
    const char *cipher;        /* TLS cipher suite, NULL plain HTTP */
    const char *auth_type;     /* "AuthHeader", "QueryString", NULL */
    const char *host;          /* the Host header */
    const char *tls_version;   /* "TLSv1.3"..., NULL plain HTTP */
} gw_alog_rec_t;

/** S3's operation name of a request: "REST.GET.OBJECT", "REST.PUT.LOGGING_STATUS", ...;
 *  copy (a PUT with x-amz-copy-source) gives "REST.COPY.OBJECT" / "REST.COPY.PART".
 *  method is the HTTP method (used for the operations the table lacks). Writes into out. */
void gw_alog_operation(gw_op_t op, const char *method, size_t method_len, int copy, char *out,
                       size_t out_len);

/** Appends rec's line to out, ending with '\n'. A value with a space, a quote, a backslash or
 *  a control byte writes those bytes as \xHH (spaces are kept in the quoted fields, brackets
 *  are escaped outside them), so the line always splits into GW_ALOG_NFIELDS fields. */
void gw_alog_format(const gw_alog_rec_t *rec, cn_buf_t *out);

#endif
