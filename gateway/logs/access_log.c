/*
 * gateway/logs/access_log.c: S3 server access log lines (see access_log.h). The fields, in
 * S3's order: bucket owner, bucket, [time], remote IP, requester, request id, operation, key,
 * "request-URI", HTTP status, error code, bytes sent, object size, total time, turn-around
 * time, "referer", "user-agent", version id, host id, signature version, cipher suite, auth
 * type, host header, TLS version, access point ARN, ACL required. Every byte that could
 * split a field (space, quote, control) is written \xHH, so a reader that splits on spaces
 * outside quotes always finds the same fields: the lines are read by the bucket owner's own
 * tools, and a request's headers are the client's to choose.
 */
#include "gateway/logs/access_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The resource part of S3's operation name, by operation ("REST.<METHOD>.<resource>"). */
static const char *const resources[] = {
    [GW_OP_LIST_BUCKETS] = "SERVICE",
    [GW_OP_CREATE_BUCKET] = "BUCKET",
    [GW_OP_DELETE_BUCKET] = "BUCKET",
    [GW_OP_HEAD_BUCKET] = "BUCKET",
    [GW_OP_GET_BUCKET_LOCATION] = "LOCATION",
    [GW_OP_LIST_OBJECTS] = "BUCKET",
    [GW_OP_LIST_OBJECTS_V2] = "BUCKET",
    [GW_OP_PUT_OBJECT] = "OBJECT",
    [GW_OP_GET_OBJECT] = "OBJECT",
    [GW_OP_HEAD_OBJECT] = "OBJECT",
    [GW_OP_DELETE_OBJECT] = "OBJECT",
    [GW_OP_CREATE_MULTIPART] = "UPLOADS",
    [GW_OP_UPLOAD_PART] = "PART",
    [GW_OP_COMPLETE_MULTIPART] = "UPLOAD",
    [GW_OP_ABORT_MULTIPART] = "UPLOAD",
    [GW_OP_LIST_PARTS] = "UPLOAD",
    [GW_OP_LIST_MULTIPART_UPLOADS] = "UPLOADS",
    [GW_OP_DELETE_OBJECTS] = "MULTI_OBJECT_DELETE",
    [GW_OP_GET_BUCKET_ACL] = "ACL",
    [GW_OP_PUT_BUCKET_ACL] = "ACL",
    [GW_OP_GET_OBJECT_ACL] = "ACL",
    [GW_OP_PUT_OBJECT_ACL] = "ACL",
    [GW_OP_GET_OBJECT_TAGGING] = "OBJECT_TAGGING",
    [GW_OP_GET_BUCKET_POLICY] = "BUCKETPOLICY",
    [GW_OP_PUT_BUCKET_POLICY] = "BUCKETPOLICY",
    [GW_OP_DELETE_BUCKET_POLICY] = "BUCKETPOLICY",
    [GW_OP_GET_BUCKET_POLICY_STATUS] = "POLICY_STATUS",
    [GW_OP_GET_PUBLIC_ACCESS_BLOCK] = "PUBLIC_ACCESS_BLOCK",
    [GW_OP_PUT_PUBLIC_ACCESS_BLOCK] = "PUBLIC_ACCESS_BLOCK",
    [GW_OP_DELETE_PUBLIC_ACCESS_BLOCK] = "PUBLIC_ACCESS_BLOCK",
    [GW_OP_GET_OWNERSHIP_CONTROLS] = "OWNERSHIP_CONTROLS",
    [GW_OP_PUT_OWNERSHIP_CONTROLS] = "OWNERSHIP_CONTROLS",
    [GW_OP_DELETE_OWNERSHIP_CONTROLS] = "OWNERSHIP_CONTROLS",
    [GW_OP_GET_BUCKET_VERSIONING] = "VERSIONING",
    [GW_OP_PUT_BUCKET_VERSIONING] = "VERSIONING",
    [GW_OP_LIST_OBJECT_VERSIONS] = "BUCKETVERSIONS",
    [GW_OP_GET_OBJECT_ATTRIBUTES] = "OBJECT_ATTRIBUTES",
    [GW_OP_PUT_OBJECT_TAGGING] = "OBJECT_TAGGING",
    [GW_OP_DELETE_OBJECT_TAGGING] = "OBJECT_TAGGING",
    [GW_OP_GET_BUCKET_TAGGING] = "TAGGING",
    [GW_OP_PUT_BUCKET_TAGGING] = "TAGGING",
    [GW_OP_DELETE_BUCKET_TAGGING] = "TAGGING",
    [GW_OP_POST_OBJECT] = "OBJECT",
    [GW_OP_OPTIONS] = "PREFLIGHT",
    [GW_OP_GET_BUCKET_CORS] = "CORS",
    [GW_OP_PUT_BUCKET_CORS] = "CORS",
    [GW_OP_DELETE_BUCKET_CORS] = "CORS",
    [GW_OP_GET_BUCKET_LIFECYCLE] = "LIFECYCLE",
    [GW_OP_GET_BUCKET_ENCRYPTION] = "ENCRYPTION",
    [GW_OP_PUT_BUCKET_ENCRYPTION] = "ENCRYPTION",
    [GW_OP_DELETE_BUCKET_ENCRYPTION] = "ENCRYPTION",
    [GW_OP_PUT_BUCKET_LIFECYCLE] = "LIFECYCLE",
    [GW_OP_DELETE_BUCKET_LIFECYCLE] = "LIFECYCLE",
    [GW_OP_GET_OBJECT_LOCK_CONFIG] = "OBJECT_LOCK_CONFIGURATION",
    [GW_OP_PUT_OBJECT_LOCK_CONFIG] = "OBJECT_LOCK_CONFIGURATION",
    [GW_OP_GET_OBJECT_RETENTION] = "RETENTION",
    [GW_OP_PUT_OBJECT_RETENTION] = "RETENTION",
    [GW_OP_GET_OBJECT_LEGAL_HOLD] = "LEGAL_HOLD",
    [GW_OP_PUT_OBJECT_LEGAL_HOLD] = "LEGAL_HOLD",
    [GW_OP_GET_BUCKET_LOGGING] = "LOGGING_STATUS",
    [GW_OP_PUT_BUCKET_LOGGING] = "LOGGING_STATUS",
};

void gw_alog_operation(gw_op_t op, const char *method, size_t method_len, int copy, char *out,
                       size_t out_len)
{
    const char *res = NULL;
    char m[16];
    size_t n = 0;

    if ((size_t)op < sizeof(resources) / sizeof(resources[0]))
        res = resources[op];
    for (; n < method_len && n < sizeof(m) - 1; n++) {
        char c = method[n];
        m[n] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ? (char)(c & ~0x20) : '_';
    }
    m[n] = '\0';
    if (copy && (op == GW_OP_PUT_OBJECT || op == GW_OP_UPLOAD_PART))
        snprintf(out, out_len, "REST.COPY.%s", op == GW_OP_PUT_OBJECT ? "OBJECT" : "PART");
    else
        snprintf(out, out_len, "REST.%s.%s", n ? m : "UNKNOWN", res ? res : "UNKNOWN");
}

/* Appends one field: '-' when s is NULL or empty; else s with the bytes that could split the
 * line escaped (unless quoted, a space and the brackets of the time field too: a Host of
 * "[::1]:80" must not look like a time to a reader). */
static void field(cn_buf_t *out, const char *s, int quoted)
{
    size_t n = s ? strnlen(s, GW_ALOG_FIELD_MAX) : 0;

    cn_buf_append(out, " ", 1);
    if (quoted)
        cn_buf_append(out, "\"", 1);
    if (n == 0)
        cn_buf_append(out, "-", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\' ||
            (!quoted && (c == ' ' || c == '[' || c == ']')))
            cn_buf_appendf(out, "\\x%02X", c);
        else
            cn_buf_append(out, (const char *)&c, 1);
    }
    if (quoted)
        cn_buf_append(out, "\"", 1);
}

/* The key URL-encoded (S3's log shows it so): unreserved bytes and '/' as they are. */
static void key_field(cn_buf_t *out, const char *k, size_t n)
{
    cn_buf_append(out, " ", 1);
    if (k == NULL || n == 0) {
        cn_buf_append(out, "-", 1);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)k[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == '/')
            cn_buf_append(out, (const char *)&c, 1);
        else
            cn_buf_appendf(out, "%%%02X", c);
    }
}

static void num_field(cn_buf_t *out, uint64_t v, int have)
{
    if (have)
        cn_buf_appendf(out, " %" PRIu64, v);
    else
        cn_buf_append(out, " -", 2);
}

void gw_alog_format(const gw_alog_rec_t *rec, cn_buf_t *out)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)rec->time_s;
    struct tm tm;
    size_t start = out->len;

    gmtime_r(&t, &tm);
    field(out, rec->bucket_owner, 0);
    field(out, rec->bucket, 0);
    cn_buf_appendf(out, " [%02d/%s/%04d:%02d:%02d:%02d +0000]", tm.tm_mday, mon[tm.tm_mon % 12],
                   tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    field(out, rec->remote_ip, 0);
    field(out, rec->requester, 0);
    field(out, rec->request_id, 0);
    field(out, rec->operation, 0);
    key_field(out, rec->key, rec->key_len);
    field(out, rec->request_line, 1);
    num_field(out, (uint64_t)rec->status, rec->status > 0);
    field(out, rec->error_code, 0);
    num_field(out, rec->bytes_sent, rec->bytes_sent > 0);
    num_field(out, rec->object_size, rec->has_object_size);
    num_field(out, rec->total_ms, 1);
    num_field(out, (uint64_t)rec->turnaround_ms, rec->turnaround_ms >= 0);
    field(out, rec->referer, 1);
    field(out, rec->user_agent, 1);
    field(out, rec->version_id, 0);
    field(out, rec->host_id, 0);
    field(out, rec->sig_version, 0);
    field(out, rec->cipher, 0);
    field(out, rec->auth_type, 0);
    field(out, rec->host, 0);
    field(out, rec->tls_version, 0);
    field(out, NULL, 0); /* access point ARN: cairn has no access points */
    field(out, NULL, 0); /* ACL required: not tracked ('-' is S3's "no") */
    /* every field above began with a space: the line does not */
    memmove(out->data + start, out->data + start + 1, out->len - start - 1);
    out->data[out->len - 1] = '\n';
}
