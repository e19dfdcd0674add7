/*
 * gateway/s3/route.c: S3 request routing (path-style and virtual-host-style), query parameters,
 * Range headers and bucket-name rules. Pure functions over caller buffers.
 */
#include "gateway/s3/route.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "gateway/auth/s3_auth.h"
#include "gateway/auth/s3_uri.h"
#include "gateway/s3/tags.h"

static int method_is(const char *m, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(m, want, n) == 0;
}

/* Iterates "a=b&c" pairs: returns 1 with name/value slices for each. */
static int next_param(const char **p, const char *end, cn_slice_t *name, cn_slice_t *val,
                      int *has_val)
{
    while (*p < end && **p == '&')
        (*p)++;
    if (*p >= end)
        return 0;
    const char *s = *p;
    const char *amp = memchr(s, '&', (size_t)(end - s));
    const char *e = amp ? amp : end;
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (eq) {
        *name = cn_slice(s, (size_t)(eq - s));
        *val = cn_slice(eq + 1, (size_t)(e - eq - 1));
        *has_val = 1;
    } else {
        *name = cn_slice(s, (size_t)(e - s));
        *val = cn_slice("", 0);
        *has_val = 0;
    }
    *p = e;
    return 1;
}

int gw_query_has(const char *query, size_t query_len, const char *name)
{
    const char *p = query, *end = query ? query + query_len : NULL;
    cn_slice_t n, v;
    int hv;

    if (!query)
        return 0;
    while (next_param(&p, end, &n, &v, &hv))
        if (cn_slice_eq(n, cn_slice_str(name)))
            return 1;
    return 0;
}

int gw_query_get(const char *query, size_t query_len, const char *name, cn_buf_t *out)
{
    const char *p = query, *end = query ? query + query_len : NULL;
    cn_slice_t n, v;
    int hv;

    cn_buf_reset(out);
    if (!query)
        return 0;
    while (next_param(&p, end, &n, &v, &hv)) {
        if (!cn_slice_eq(n, cn_slice_str(name)))
            continue;
        if (gw_uri_decode(out, v.ptr, v.len, 1) != 0)
            return CN_EINVAL;
        cn_buf_reserve(out, 1); /* data is then a NUL-terminated string even when empty */
        out->data[out->len] = '\0';
        return 1;
    }
    return 0;
}

int gw_bucket_name_valid(const char *name)
{
    size_t n = strlen(name);
    int dots = 0, all_digits_dots = 1;

    if (n < 3 || n > GW_BUCKET_MAX)
        return 0;
    if (!isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            return 0;
        if (c == '.') {
            dots++;
            if (i + 1 < n && (name[i + 1] == '.' || name[i + 1] == '-'))
                return 0;
            if (i > 0 && name[i - 1] == '-')
                return 0;
        } else if (!(c >= '0' && c <= '9')) {
            all_digits_dots = 0;
        }
    }
    if (dots == 3 && all_digits_dots)
        return 0; /* looks like an IPv4 address */
    return 1;
}

static void set_bucket(gw_route_t *out, const char *b, size_t n)
{
    if (n > GW_BUCKET_MAX) {
        out->bucket_too_long = 1;
        n = GW_BUCKET_MAX + 1;
    }
    memcpy(out->bucket, b, n);
    out->bucket[n] = '\0';
}

/* 1 when s[0, n) is well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF): keys are UTF-8 in S3, and listings must be able to carry them. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n)
        if (gw_utf8_next(s, n, &i) < 0)
            return 0;
    return 1;
}

static gw_s3_err_t set_key(gw_route_t *out, const char *k, size_t n)
{
    cn_buf_t b;
    gw_s3_err_t e = GW_S3_OK;

    cn_buf_init(&b);
    if (gw_uri_decode(&b, k, n, 0) != 0) {
        e = GW_S3_INVALID_ARGUMENT;
        goto out;
    }
    if (b.len > GW_KEY_MAX) {
        e = GW_S3_KEY_TOO_LONG;
        goto out;
    }
    if (b.len && (memchr(b.data, '\0', b.len) || !utf8_valid((unsigned char *)b.data, b.len))) {
        e = GW_S3_INVALID_ARGUMENT;
        goto out;
    }
    if (b.len)
        memcpy(out->key, b.data, b.len);
    out->key[b.len] = '\0';
    out->key_len = b.len;
out:
    cn_buf_dispose(&b);
    return e;
}

/* Host without its port, lower case compare against domain; returns the bucket length
 * (0 when the host is not <bucket>.<domain>). */
static size_t vhost_bucket(const char *host, size_t host_len, const char *domain)
{
    size_t dl = strlen(domain);
    const char *colon = memrchr(host, ':', host_len);
    if (colon && !memchr(colon, ']', (size_t)(host + host_len - colon)))
        host_len = (size_t)(colon - host);
    if (host_len <= dl + 1)
        return 0;
    if (strncasecmp(host + host_len - dl, domain, dl) != 0 || host[host_len - dl - 1] != '.')
        return 0;
    return host_len - dl - 1;
}

/* ---- (method, sub-resource) -> operation ---------------------------------------------
 * One row per way to name an operation; the first row that matches wins, and a request no
 * row matches (or whose row names GW_OP_NONE) is 405 MethodNotAllowed. A new operation is a
 * row here, one in op_handlers (http.c) and one in op_perms (auth/access.c). */

enum target { T_SERVICE, T_BUCKET, T_OBJECT, T_ANY };

struct route_row {
    unsigned char target;
    const char *method; /* NULL: any */
    const char *sub;    /* a query parameter that must be there ("name" or "name=value");
                           NULL: none needed */
    gw_op_t op;         /* GW_OP_NONE: 405 */
};

static const struct route_row routes[] = {
    {T_ANY, "OPTIONS", NULL, GW_OP_OPTIONS},
    {T_SERVICE, "GET", NULL, GW_OP_LIST_BUCKETS},
    /* bucket sub-resources */
    {T_BUCKET, "GET", "location", GW_OP_GET_BUCKET_LOCATION},
    {T_BUCKET, "GET", "uploads", GW_OP_LIST_MULTIPART_UPLOADS},
    {T_BUCKET, "POST", "delete", GW_OP_DELETE_OBJECTS},
    {T_BUCKET, "GET", "acl", GW_OP_GET_BUCKET_ACL},
    {T_BUCKET, "PUT", "acl", GW_OP_PUT_BUCKET_ACL},
    {T_BUCKET, NULL, "acl", GW_OP_NONE},
    {T_BUCKET, NULL, "uploads", GW_OP_NONE},
    {T_BUCKET, NULL, "delete", GW_OP_NONE},
    /* bucket sub-resources we do not implement: 501 NotImplemented */
    {T_BUCKET, "GET", "policy", GW_OP_GET_BUCKET_POLICY},
    {T_BUCKET, "PUT", "policy", GW_OP_PUT_BUCKET_POLICY},
    {T_BUCKET, "DELETE", "policy", GW_OP_DELETE_BUCKET_POLICY},
    {T_BUCKET, NULL, "policy", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "versioning", GW_OP_GET_BUCKET_VERSIONING},
    {T_BUCKET, "PUT", "versioning", GW_OP_PUT_BUCKET_VERSIONING},
    {T_BUCKET, NULL, "versioning", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "versions", GW_OP_LIST_OBJECT_VERSIONS},
    {T_BUCKET, NULL, "versions", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "lifecycle", GW_OP_GET_BUCKET_LIFECYCLE},
    {T_BUCKET, "PUT", "lifecycle", GW_OP_PUT_BUCKET_LIFECYCLE},
    {T_BUCKET, "DELETE", "lifecycle", GW_OP_DELETE_BUCKET_LIFECYCLE},
    {T_BUCKET, NULL, "lifecycle", GW_OP_NONE},
    {T_BUCKET, "GET", "cors", GW_OP_GET_BUCKET_CORS},
    {T_BUCKET, "PUT", "cors", GW_OP_PUT_BUCKET_CORS},
    {T_BUCKET, "DELETE", "cors", GW_OP_DELETE_BUCKET_CORS},
    {T_BUCKET, NULL, "cors", GW_OP_NONE},
    {T_BUCKET, NULL, "website", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "tagging", GW_OP_GET_BUCKET_TAGGING},
    {T_BUCKET, "PUT", "tagging", GW_OP_PUT_BUCKET_TAGGING},
    {T_BUCKET, "DELETE", "tagging", GW_OP_DELETE_BUCKET_TAGGING},
    {T_BUCKET, NULL, "tagging", GW_OP_NONE},
    {T_BUCKET, "GET", "logging", GW_OP_GET_BUCKET_LOGGING},
    {T_BUCKET, "PUT", "logging", GW_OP_PUT_BUCKET_LOGGING},
    {T_BUCKET, NULL, "logging", GW_OP_NONE},
    {T_BUCKET, NULL, "notification", GW_OP_UNSUPPORTED},
    {T_BUCKET, NULL, "replication", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "encryption", GW_OP_GET_BUCKET_ENCRYPTION},
    {T_BUCKET, "PUT", "encryption", GW_OP_PUT_BUCKET_ENCRYPTION},
    {T_BUCKET, "DELETE", "encryption", GW_OP_DELETE_BUCKET_ENCRYPTION},
    {T_BUCKET, NULL, "encryption", GW_OP_NONE},
    {T_BUCKET, NULL, "requestPayment", GW_OP_UNSUPPORTED},
    {T_BUCKET, NULL, "accelerate", GW_OP_UNSUPPORTED},
    {T_BUCKET, NULL, "analytics", GW_OP_UNSUPPORTED},
    {T_BUCKET, NULL, "inventory", GW_OP_UNSUPPORTED},
    {T_BUCKET, NULL, "metrics", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "object-lock", GW_OP_GET_OBJECT_LOCK_CONFIG},
    {T_BUCKET, "PUT", "object-lock", GW_OP_PUT_OBJECT_LOCK_CONFIG},
    {T_BUCKET, NULL, "object-lock", GW_OP_NONE},
    {T_BUCKET, "GET", "ownershipControls", GW_OP_GET_OWNERSHIP_CONTROLS},
    {T_BUCKET, "PUT", "ownershipControls", GW_OP_PUT_OWNERSHIP_CONTROLS},
    {T_BUCKET, "DELETE", "ownershipControls", GW_OP_DELETE_OWNERSHIP_CONTROLS},
    {T_BUCKET, NULL, "ownershipControls", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "publicAccessBlock", GW_OP_GET_PUBLIC_ACCESS_BLOCK},
    {T_BUCKET, "PUT", "publicAccessBlock", GW_OP_PUT_PUBLIC_ACCESS_BLOCK},
    {T_BUCKET, "DELETE", "publicAccessBlock", GW_OP_DELETE_PUBLIC_ACCESS_BLOCK},
    {T_BUCKET, NULL, "publicAccessBlock", GW_OP_UNSUPPORTED},
    {T_BUCKET, NULL, "intelligent-tiering", GW_OP_UNSUPPORTED},
    {T_BUCKET, "GET", "policyStatus", GW_OP_GET_BUCKET_POLICY_STATUS},
    {T_BUCKET, NULL, "policyStatus", GW_OP_UNSUPPORTED},
    /* the bucket itself */
    {T_BUCKET, "GET", "list-type=2", GW_OP_LIST_OBJECTS_V2},
    {T_BUCKET, "GET", NULL, GW_OP_LIST_OBJECTS},
    {T_BUCKET, "PUT", NULL, GW_OP_CREATE_BUCKET},
    {T_BUCKET, "DELETE", NULL, GW_OP_DELETE_BUCKET},
    {T_BUCKET, "HEAD", NULL, GW_OP_HEAD_BUCKET},
    {T_BUCKET, "POST", NULL, GW_OP_POST_OBJECT},
    /* object sub-resources */
    {T_OBJECT, "GET", "acl", GW_OP_GET_OBJECT_ACL},
    {T_OBJECT, "PUT", "acl", GW_OP_PUT_OBJECT_ACL},
    {T_OBJECT, "GET", "tagging", GW_OP_GET_OBJECT_TAGGING},
    {T_OBJECT, "PUT", "tagging", GW_OP_PUT_OBJECT_TAGGING},
    {T_OBJECT, "DELETE", "tagging", GW_OP_DELETE_OBJECT_TAGGING},
    {T_OBJECT, NULL, "acl", GW_OP_UNSUPPORTED},
    {T_OBJECT, NULL, "tagging", GW_OP_NONE},
    {T_OBJECT, NULL, "torrent", GW_OP_UNSUPPORTED},
    {T_OBJECT, "GET", "retention", GW_OP_GET_OBJECT_RETENTION},
    {T_OBJECT, "PUT", "retention", GW_OP_PUT_OBJECT_RETENTION},
    {T_OBJECT, NULL, "retention", GW_OP_NONE},
    {T_OBJECT, "GET", "legal-hold", GW_OP_GET_OBJECT_LEGAL_HOLD},
    {T_OBJECT, "PUT", "legal-hold", GW_OP_PUT_OBJECT_LEGAL_HOLD},
    {T_OBJECT, NULL, "legal-hold", GW_OP_NONE},
    {T_OBJECT, NULL, "restore", GW_OP_UNSUPPORTED},
    {T_OBJECT, NULL, "select", GW_OP_UNSUPPORTED},
    {T_OBJECT, "GET", "attributes", GW_OP_GET_OBJECT_ATTRIBUTES},
    {T_OBJECT, NULL, "attributes", GW_OP_NONE},
    /* the object and its multipart upload */
    {T_OBJECT, "PUT", "uploadId", GW_OP_UPLOAD_PART},
    {T_OBJECT, "PUT", "partNumber", GW_OP_UPLOAD_PART},
    {T_OBJECT, "PUT", NULL, GW_OP_PUT_OBJECT},
    {T_OBJECT, "GET", "uploadId", GW_OP_LIST_PARTS},
    {T_OBJECT, "GET", NULL, GW_OP_GET_OBJECT},
    {T_OBJECT, "HEAD", NULL, GW_OP_HEAD_OBJECT},
    {T_OBJECT, "DELETE", "uploadId", GW_OP_ABORT_MULTIPART},
    {T_OBJECT, "DELETE", NULL, GW_OP_DELETE_OBJECT},
    {T_OBJECT, "POST", "uploads", GW_OP_CREATE_MULTIPART},
    {T_OBJECT, "POST", "uploadId", GW_OP_COMPLETE_MULTIPART},
};

/* 1 when the query has sub: a parameter by name, or "name=value" with that value. */
static int query_has_sub(const char *query, size_t qlen, const char *sub)
{
    const char *eq = strchr(sub, '=');
    char name[32];
    cn_buf_t v;
    int yes;

    if (!eq)
        return gw_query_has(query, qlen, sub);
    snprintf(name, sizeof(name), "%.*s", (int)(eq - sub), sub);
    cn_buf_init(&v);
    yes = gw_query_get(query, qlen, name, &v) == 1 && strcmp(v.data, eq + 1) == 0;
    cn_buf_dispose(&v);
    return yes;
}

static gw_s3_err_t route_op(const char *method, size_t mlen, const char *query, size_t qlen,
                            enum target t, gw_op_t *op)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route_row *row = &routes[i];

        if ((row->target != T_ANY && row->target != t) ||
            (row->method && !method_is(method, mlen, row->method)) ||
            (row->sub && !query_has_sub(query, qlen, row->sub)))
            continue;
        *op = row->op;
        return row->op != GW_OP_NONE ? GW_S3_OK : GW_S3_METHOD_NOT_ALLOWED;
    }
    *op = GW_OP_NONE;
    return GW_S3_METHOD_NOT_ALLOWED;
}

gw_s3_err_t gw_route_parse(const char *method, size_t mlen, const char *path, size_t path_len,
                           const char *query, size_t qlen, const char *host, size_t host_len,
                           const char *domain, gw_route_t *out)
{
    const char *p = path, *end = path + path_len;
    gw_s3_err_t e;
    int has_key;

    memset(out, 0, sizeof(*out));
    if (p < end && *p == '/')
        p++;
    if (domain && *domain && host) {
        size_t bl = vhost_bucket(host, host_len, domain);
        if (bl) {
            char lower[GW_BUCKET_MAX + 2];
            size_t n = bl > GW_BUCKET_MAX + 1 ? GW_BUCKET_MAX + 1 : bl;
            for (size_t i = 0; i < n; i++)
                lower[i] = (char)tolower((unsigned char)host[i]);
            set_bucket(out, lower, bl > GW_BUCKET_MAX ? bl : n);
            if (bl > GW_BUCKET_MAX)
                out->bucket_too_long = 1;
            out->vhost = 1;
        }
    }
    if (!out->vhost) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *be = slash ? slash : end;
        set_bucket(out, p, (size_t)(be - p));
        p = slash ? slash + 1 : end;
    }
    has_key = p < end;
    if (has_key && (e = set_key(out, p, (size_t)(end - p))) != GW_S3_OK)
        return e;

    return route_op(method, mlen, query, qlen,
                    !out->bucket[0] ? T_SERVICE : has_key ? T_OBJECT : T_BUCKET, &out->op);
}

static int parse_u64(const char **p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    if (s >= end || !isdigit((unsigned char)*s))
        return -1;
    while (s < end && isdigit((unsigned char)*s)) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

int gw_range_parse(const char *v, size_t n, uint64_t total, uint64_t *off, uint64_t *len)
{
    const char *p = v, *end = v + n;
    uint64_t a, b;

    while (p < end && *p == ' ')
        p++;
    if ((size_t)(end - p) < 6 || strncasecmp(p, "bytes=", 6) != 0)
        return 1;
    p += 6;
    while (end > p && end[-1] == ' ')
        end--;
    if (p >= end || memchr(p, ',', (size_t)(end - p)))
        return 1;
    if (p < end && *p == '-') { /* suffix: last n bytes */
        p++;
        if (parse_u64(&p, end, &b) != 0 || p != end)
            return 1;
        if (b == 0 || total == 0)
            return CN_EINVAL;
        if (b > total)
            b = total;
        *off = total - b;
        *len = b;
        return 0;
    }
    if (parse_u64(&p, end, &a) != 0 || p >= end || *p != '-')
        return 1;
    p++;
    if (p == end) {
        b = UINT64_MAX;
    } else {
        if (parse_u64(&p, end, &b) != 0 || p != end)
            return 1;
        if (b < a)
            return 1; /* syntactically invalid: ignore (RFC 7233) */
    }
    if (a >= total)
        return CN_EINVAL;
    if (b >= total)
        b = total - 1;
    *off = a;
    *len = b - a + 1;
    return 0;
}
