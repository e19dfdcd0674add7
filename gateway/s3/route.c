/*
 * gateway/s3/route.c: S3 request routing (path-style and virtual-host-style), query parameters,
 * Range headers and bucket-name rules. Pure functions over caller buffers.
 */
#include "gateway/s3/route.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "gateway/auth/s3_auth.h"
#include "gateway/auth/s3_uri.h"

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

    while (i < n) {
        unsigned c = s[i], len, cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            len = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            len = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            len = 4, cp = c & 0x07;
        else
            return 0;
        if (n - i < len)
            return 0;
        for (unsigned j = 1; j < len; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += len;
    }
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

#define M(s) method_is(method, mlen, s)
#define Q(s) gw_query_has(query, qlen, s)
    if (M("OPTIONS")) {
        out->op = GW_OP_OPTIONS;
        return GW_S3_OK;
    }
    if (out->bucket[0] == '\0') {
        out->op = M("GET") ? GW_OP_LIST_BUCKETS : GW_OP_NONE;
        return out->op ? GW_S3_OK : GW_S3_METHOD_NOT_ALLOWED;
    }
    if (!has_key) {
        static const char *const unsupported[] = {
            "policy", "versioning", "versions", "lifecycle", "cors", "website", "tagging",
            "logging", "notification", "replication", "encryption",
            "requestPayment", "accelerate", "analytics", "inventory", "metrics", "object-lock",
            "ownershipControls", "publicAccessBlock", "intelligent-tiering", "policyStatus",
        };
        if (M("GET") && Q("location"))
            out->op = GW_OP_GET_BUCKET_LOCATION;
        else if (M("GET") && Q("uploads"))
            out->op = GW_OP_LIST_MULTIPART_UPLOADS;
        else if (M("POST") && Q("delete"))
            out->op = GW_OP_DELETE_OBJECTS;
        else if (M("GET") && Q("acl"))
            out->op = GW_OP_GET_BUCKET_ACL;
        else if (M("PUT") && Q("acl"))
            out->op = GW_OP_PUT_BUCKET_ACL;
        else if (Q("acl") || Q("uploads") || Q("delete"))
            return GW_S3_METHOD_NOT_ALLOWED;
        else {
            for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
                if (Q(unsupported[i])) {
                    out->op = GW_OP_UNSUPPORTED;
                    return GW_S3_OK;
                }
            if (M("GET")) {
                cn_buf_t v;
                cn_buf_init(&v);
                out->op = gw_query_get(query, qlen, "list-type", &v) == 1 &&
                                  strcmp(v.data, "2") == 0
                              ? GW_OP_LIST_OBJECTS_V2
                              : GW_OP_LIST_OBJECTS;
                cn_buf_dispose(&v);
            } else if (M("PUT"))
                out->op = GW_OP_CREATE_BUCKET;
            else if (M("DELETE"))
                out->op = GW_OP_DELETE_BUCKET;
            else if (M("HEAD"))
                out->op = GW_OP_HEAD_BUCKET;
            else if (M("POST"))
                out->op = GW_OP_POST_OBJECT;
            else
                return GW_S3_METHOD_NOT_ALLOWED;
        }
        return GW_S3_OK;
    }
    if (M("GET") && Q("acl")) {
        out->op = GW_OP_GET_OBJECT_ACL;
        return GW_S3_OK;
    }
    if (M("PUT") && Q("acl")) {
        out->op = GW_OP_PUT_OBJECT_ACL;
        return GW_S3_OK;
    }
    if (M("GET") && Q("tagging")) {
        out->op = GW_OP_GET_OBJECT_TAGGING;
        return GW_S3_OK;
    }
    if (Q("acl") || Q("tagging") || Q("torrent") || Q("retention") || Q("legal-hold") ||
        Q("restore") || Q("select") || Q("attributes")) {
        out->op = GW_OP_UNSUPPORTED;
        return GW_S3_OK;
    }
    if (M("PUT"))
        out->op = Q("uploadId") || Q("partNumber") ? GW_OP_UPLOAD_PART : GW_OP_PUT_OBJECT;
    else if (M("GET"))
        out->op = Q("uploadId") ? GW_OP_LIST_PARTS : GW_OP_GET_OBJECT;
    else if (M("HEAD"))
        out->op = GW_OP_HEAD_OBJECT;
    else if (M("DELETE"))
        out->op = Q("uploadId") ? GW_OP_ABORT_MULTIPART : GW_OP_DELETE_OBJECT;
    else if (M("POST") && Q("uploads"))
        out->op = GW_OP_CREATE_MULTIPART;
    else if (M("POST") && Q("uploadId"))
        out->op = GW_OP_COMPLETE_MULTIPART;
    else
        return GW_S3_METHOD_NOT_ALLOWED;
#undef M
#undef Q
    return GW_S3_OK;
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
