/*
 * gateway/s3_auth.c: S3 request authentication (AWS Signature V4 header and presigned query,
 * Signature V2 header and query) as pure functions over the request as it arrived.
 * Nothing here does I/O or keeps state; secrets come from the caller's lookup callback and are
 * wiped from the stack before returning. Every parser is bounded by explicit lengths (request
 * bytes are never assumed NUL-terminated) and answers malformed input with an S3 error code,
 * never a crash. Signatures are compared in constant time.
 */
#include "gateway/s3_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "gateway/s3_xml.h"

#define V4_ALGO "AWS4-HMAC-SHA256"
#define SECRET_MAX 256
#define MAX_QUERY_PARAMS 1024

/* ---- small string helpers ---- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static cn_slice_t trim(const char *p, size_t n)
{
    while (n && is_ws(*p)) {
        p++;
        n--;
    }
    while (n && is_ws(p[n - 1]))
        n--;
    return cn_slice(p, n);
}

static int slice_eq_str(cn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static int slice_prefix(cn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

static int ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

static int is_hex_lower_or_upper(cn_slice_t s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

/* Copies s into a NUL-terminated fixed buffer; 0 or CN_E2BIG. */
static int copy_cstr(char *dst, size_t dstlen, cn_slice_t s)
{
    if (s.len >= dstlen)
        return CN_E2BIG;
    memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    return 0;
}

/* ---- URI encoding ---- */

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

void gw_uri_encode(cn_buf_t *out, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            run++;
            continue;
        }
        if (run)
            cn_buf_append(out, s + i - run, run);
        run = 0;
        char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
        cn_buf_append(out, esc, 3);
    }
    if (run)
        cn_buf_append(out, s + n - run, run);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gw_uri_decode(cn_buf_t *out, const char *s, size_t n, int plus_is_space)
{
    size_t i, start = out->len;

    cn_buf_reserve(out, n);
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 || (lo = hexval(s[i + 2])) < 0)
                goto bad;
            char b = (char)(hi << 4 | lo);
            cn_buf_append(out, &b, 1);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            cn_buf_append(out, " ", 1);
        } else {
            cn_buf_append(out, &c, 1);
        }
    }
    return 0;
bad:
    out->len = start;
    if (out->cap)
        out->data[start] = '\0';
    return CN_EINVAL;
}

/* Appends decode(s) re-encoded; bytes that do not decode are encoded as they are, so "%zz"
 * becomes "%25zz" (and will simply not match a client that meant something else). */
static void reencode(cn_buf_t *out, const char *s, size_t n, int keep_slash)
{
    cn_buf_t tmp;

    cn_buf_init(&tmp);
    if (gw_uri_decode(&tmp, s, n, 0) == 0)
        gw_uri_encode(out, tmp.data ? tmp.data : "", tmp.len, keep_slash);
    else
        gw_uri_encode(out, s, n, keep_slash);
    cn_buf_dispose(&tmp);
}

/* ---- query strings ---- */

struct qparam {
    cn_slice_t raw_name, raw_value;
    int has_eq;
    cn_buf_t name, value;   /* decoded (raw bytes kept when the escape is bad) */
};

struct qlist {
    struct qparam *v;
    size_t n;
};

static void decode_or_copy(cn_buf_t *out, cn_slice_t s)
{
    if (gw_uri_decode(out, s.ptr, s.len, 0) != 0)
        cn_buf_append(out, s.ptr, s.len);
    if (out->cap == 0)
        cn_buf_reserve(out, 1);   /* so that data is a valid empty C string */
}

static int qlist_parse(const char *q, size_t n, struct qlist *ql)
{
    size_t count = 1, i, start = 0;

    ql->v = NULL;
    ql->n = 0;
    if (!q || n == 0)
        return 0;
    for (i = 0; i < n; i++)
        count += q[i] == '&';
    if (count > MAX_QUERY_PARAMS)
        return CN_E2BIG;
    ql->v = cn_calloc(count, sizeof(*ql->v));
    for (i = 0; i <= n; i++) {
        if (i < n && q[i] != '&')
            continue;
        if (i > start) {
            struct qparam *p = &ql->v[ql->n++];
            const char *eq = memchr(q + start, '=', i - start);
            if (eq) {
                p->raw_name = cn_slice(q + start, (size_t)(eq - (q + start)));
                p->raw_value = cn_slice(eq + 1, (size_t)(q + i - eq - 1));
                p->has_eq = 1;
            } else {
                p->raw_name = cn_slice(q + start, i - start);
                p->raw_value = cn_slice("", 0);
            }
            cn_buf_init(&p->name);
            cn_buf_init(&p->value);
            decode_or_copy(&p->name, p->raw_name);
            decode_or_copy(&p->value, p->raw_value);
        }
        start = i + 1;
    }
    return 0;
}

static void qlist_dispose(struct qlist *ql)
{
    for (size_t i = 0; i < ql->n; i++) {
        cn_buf_dispose(&ql->v[i].name);
        cn_buf_dispose(&ql->v[i].value);
    }
    cn_free(ql->v);
    ql->v = NULL;
    ql->n = 0;
}

static const struct qparam *qlist_get(const struct qlist *ql, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ql->n; i++)
        if (ql->v[i].name.len == n && memcmp(ql->v[i].name.data, name, n) == 0)
            return &ql->v[i];
    return NULL;
}

static cn_slice_t qval(const struct qparam *p)
{
    return cn_slice(p->value.data, p->value.len);
}

/* ---- headers ---- */

static int hdr_name_is(const gw_auth_header_t *h, const char *name, size_t n)
{
    return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

/* The first header called name, trimmed; found = 0 when absent. */
static cn_slice_t hdr_get(const gw_auth_req_t *req, const char *name, int *found)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const gw_auth_header_t *h = &req->headers[i];
        if (hdr_name_is(h, name, n)) {
            if (found)
                *found = 1;
            return trim(h->value, h->value_len);
        }
    }
    if (found)
        *found = 0;
    return cn_slice("", 0);
}

/* Appends value trimmed, with inner runs of spaces/tabs collapsed to one space (SigV4). */
static void append_trimall(cn_buf_t *out, const char *p, size_t n)
{
    cn_slice_t t = trim(p, n);
    int in_ws = 0;

    for (size_t i = 0; i < t.len; i++) {
        if (is_ws(t.ptr[i])) {
            in_ws = 1;
            continue;
        }
        if (in_ws)
            cn_buf_append(out, " ", 1);
        in_ws = 0;
        cn_buf_append(out, &t.ptr[i], 1);
    }
}

/* ---- dates ---- */

/* Parses an x-amz-date or Date header value in any accepted form into ms. */
static int parse_any_date(cn_slice_t s, uint64_t *ms)
{
    if (gw_iso8601_parse(s.ptr, s.len, ms) == 0)
        return 0;
    return gw_http_date_parse(s.ptr, s.len, ms);
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

static int parse_u64(cn_slice_t s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0 || s.len > 19)
        return CN_EINVAL;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return CN_EINVAL;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *out = v;
    return 0;
}

/* ---- secret lookup ---- */

static gw_s3_err_t lookup_secret(gw_auth_lookup_fn lookup, void *arg, const char *ak,
                                 char *secret, gw_auth_result_t *res)
{
    int rc = lookup(arg, ak, secret, SECRET_MAX);
    secret[SECRET_MAX - 1] = '\0';
    if (rc == CN_ENOENT)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if (rc != 0) {
        res->err_message = NULL;
        return gw_s3_err_from_rc(rc);
    }
    return GW_S3_OK;
}

/* ================= Signature V4 ================= */

struct v4_cred {
    cn_slice_t access_key, date, region, service, terminator;
};

/* Parses "AK/20130524/us-east-1/s3/aws4_request". Returns 0 or a static reason. */
static const char *v4_parse_cred(cn_slice_t s, struct v4_cred *c)
{
    cn_slice_t part[5];
    size_t np = 0, start = 0;

    for (size_t i = 0; i <= s.len; i++) {
        if (i < s.len && s.ptr[i] != '/')
            continue;
        if (np == 5)
            return "Credential has too many parts; expecting "
                   "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
        part[np++] = cn_slice(s.ptr + start, i - start);
        start = i + 1;
    }
    if (np != 5)
        return "Credential is malformed; expecting "
               "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";
    c->access_key = part[0];
    c->date = part[1];
    c->region = part[2];
    c->service = part[3];
    c->terminator = part[4];
    if (c->access_key.len == 0 || c->access_key.len >= sizeof(((gw_auth_result_t *)0)->access_key))
        return "Credential access key is empty or too long.";
    if (c->date.len != 8)
        return "Invalid credential date \"YYYYMMDD\".";
    for (size_t i = 0; i < 8; i++)
        if (c->date.ptr[i] < '0' || c->date.ptr[i] > '9')
            return "Invalid credential date \"YYYYMMDD\".";
    if (c->region.len == 0 || c->region.len > 64)
        return "Credential region is empty or too long.";
    for (size_t i = 0; i < c->region.len; i++) {
        char ch = c->region.ptr[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return "Credential region is not valid.";
    }
    if (!slice_eq_str(c->service, "s3"))
        return "Credential should be scoped to correct service: 's3'.";
    if (!slice_eq_str(c->terminator, "aws4_request"))
        return "Credential should be scoped with a valid terminator: 'aws4_request'.";
    return NULL;
}

struct v4_params {
    struct v4_cred cred;
    cn_slice_t signed_headers;
    cn_slice_t signature;
    char amz_date[17];
    uint64_t date_ms;
    cn_slice_t payload_hash;
    int presigned;
    int raw_query;   /* canonical query = the query string as sent (see v4_header) */
};

/* Checks a SignedHeaders list: non-empty names of token characters separated by ';'. */
static int v4_signed_headers_ok(cn_slice_t s)
{
    size_t len = 0;
    if (s.len == 0)
        return 0;
    for (size_t i = 0; i <= s.len; i++) {
        if (i == s.len || s.ptr[i] == ';') {
            if (len == 0)
                return 0;
            len = 0;
            continue;
        }
        unsigned char c = (unsigned char)s.ptr[i];
        if (c <= ' ' || c >= 0x7f || c == ':' || c == ',')
            return 0;
        len++;
    }
    return 1;
}

static int v4_signature_ok(cn_slice_t s)
{
    return s.len == 64 && is_hex_lower_or_upper(s);
}

/* Parses the Authorization header after "AWS4-HMAC-SHA256". */
static const char *v4_parse_header(cn_slice_t v, struct v4_params *p)
{
    int have_cred = 0, have_sh = 0, have_sig = 0;
    size_t start = 0;
    const char *why;

    for (size_t i = 0; i <= v.len; i++) {
        if (i < v.len && v.ptr[i] != ',')
            continue;
        cn_slice_t part = trim(v.ptr + start, i - start);
        start = i + 1;
        if (part.len == 0)
            return "the authorization header has an empty component.";
        const char *eq = memchr(part.ptr, '=', part.len);
        if (!eq)
            return "the authorization header component is not of the form key=value.";
        cn_slice_t key = trim(part.ptr, (size_t)(eq - part.ptr));
        cn_slice_t val = trim(eq + 1, (size_t)(part.ptr + part.len - eq - 1));
        if (slice_eq_str(key, "Credential") && !have_cred) {
            have_cred = 1;
            if ((why = v4_parse_cred(val, &p->cred)) != NULL)
                return why;
        } else if (slice_eq_str(key, "SignedHeaders") && !have_sh) {
            have_sh = 1;
            p->signed_headers = val;
        } else if (slice_eq_str(key, "Signature") && !have_sig) {
            have_sig = 1;
            p->signature = val;
        } else {
            return "the authorization header has an unknown or repeated component.";
        }
    }
    if (!have_cred)
        return "the authorization header is missing the Credential.";
    if (!have_sh)
        return "the authorization header is missing the SignedHeaders.";
    if (!have_sig)
        return "the authorization header is missing the Signature.";
    if (!v4_signed_headers_ok(p->signed_headers))
        return "the SignedHeaders component is not valid.";
    if (!v4_signature_ok(p->signature))
        return "the Signature component is not 64 hex digits.";
    return NULL;
}

static int qparam_cmp(const void *a, const void *b)
{
    const cn_buf_t *x = a, *y = b;   /* pairs: [0] encoded name, [1] encoded value */
    size_t n = x[0].len < y[0].len ? x[0].len : y[0].len;
    int c = memcmp(x[0].data, y[0].data, n);
    if (c || x[0].len != y[0].len)
        return c ? c : (x[0].len < y[0].len ? -1 : 1);
    n = x[1].len < y[1].len ? x[1].len : y[1].len;
    c = memcmp(x[1].data, y[1].data, n);
    if (c || x[1].len != y[1].len)
        return c ? c : (x[1].len < y[1].len ? -1 : 1);
    return 0;
}

/* Appends the canonical query string: names and values decoded and re-encoded, sorted by
 * name then value, "a=" for empty values, X-Amz-Signature left out when presigned. */
static void v4_canonical_query(cn_buf_t *out, const struct qlist *ql, int presigned)
{
    cn_buf_t(*pairs)[2];
    size_t n = 0;

    if (ql->n == 0)
        return;
    pairs = cn_calloc(ql->n, sizeof(*pairs));
    for (size_t i = 0; i < ql->n; i++) {
        const struct qparam *p = &ql->v[i];
        if (presigned && p->name.len == 15 && memcmp(p->name.data, "X-Amz-Signature", 15) == 0)
            continue;
        cn_buf_init(&pairs[n][0]);
        cn_buf_init(&pairs[n][1]);
        gw_uri_encode(&pairs[n][0], p->name.data, p->name.len, 0);
        gw_uri_encode(&pairs[n][1], p->value.data, p->value.len, 0);
        cn_buf_reserve(&pairs[n][0], 1);
        cn_buf_reserve(&pairs[n][1], 1);
        n++;
    }
    qsort(pairs, n, sizeof(*pairs), qparam_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            cn_buf_append(out, "&", 1);
        cn_buf_append(out, pairs[i][0].data, pairs[i][0].len);
        cn_buf_append(out, "=", 1);
        cn_buf_append(out, pairs[i][1].data, pairs[i][1].len);
        cn_buf_dispose(&pairs[i][0]);
        cn_buf_dispose(&pairs[i][1]);
    }
    cn_free(pairs);
}

/* 1 when the query as sent differs from its canonical form (so that a client which signed
 * it as sent, see v4_header, may be retried with it). */
static int query_has_unencoded(const gw_auth_req_t *req, const struct qlist *ql)
{
    cn_buf_t c;
    int diff;

    if (!req->query || req->query_len == 0)
        return 0;
    cn_buf_init(&c);
    v4_canonical_query(&c, ql, 0);
    diff = !cn_slice_eq(cn_slice(c.data, c.len), cn_slice(req->query, req->query_len));
    cn_buf_dispose(&c);
    return diff;
}

/* Appends the canonical URI: each '/'-separated segment of the raw path decoded and
 * re-encoded, so that equivalent client encodings give the same bytes. */
static void v4_canonical_uri(cn_buf_t *out, const char *path, size_t n)
{
    size_t start = 0;

    if (n == 0) {
        cn_buf_append(out, "/", 1);
        return;
    }
    for (size_t i = 0; i <= n; i++) {
        if (i < n && path[i] != '/')
            continue;
        reencode(out, path + start, i - start, 0);
        if (i < n)
            cn_buf_append(out, "/", 1);
        start = i + 1;
    }
}

/* Appends "name:value\n" for every signed header (values of repeated headers joined with
 * ','), then "\n" + the signed header list. */
static void v4_canonical_headers(cn_buf_t *out, const gw_auth_req_t *req, cn_slice_t sh)
{
    size_t start = 0;

    for (size_t i = 0; i <= sh.len; i++) {
        if (i < sh.len && sh.ptr[i] != ';')
            continue;
        const char *name = sh.ptr + start;
        size_t nlen = i - start, nfound = 0;
        start = i + 1;
        for (size_t k = 0; k < nlen; k++) {
            char c = name[k];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            cn_buf_append(out, &c, 1);
        }
        cn_buf_append(out, ":", 1);
        for (size_t h = 0; h < req->nheaders; h++) {
            if (!hdr_name_is(&req->headers[h], name, nlen))
                continue;
            if (nfound++)
                cn_buf_append(out, ",", 1);
            append_trimall(out, req->headers[h].value, req->headers[h].value_len);
        }
        cn_buf_append(out, "\n", 1);
    }
    cn_buf_append(out, "\n", 1);
    cn_buf_append(out, sh.ptr, sh.len);
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    cn_hmac_sha256(key, klen, msg, mlen, out);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static void v4_signing_key(const char *secret, const struct v4_cred *c, uint8_t key[32])
{
    char k0[4 + SECRET_MAX];
    size_t slen = strlen(secret);
    uint8_t a[32], b[32];

    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, slen);
    hmac(k0, 4 + slen, c->date.ptr, c->date.len, a);
    hmac(a, 32, c->region.ptr, c->region.len, b);
    hmac(b, 32, c->service.ptr, c->service.len, a);
    hmac(a, 32, "aws4_request", 12, key);
    OPENSSL_cleanse(k0, sizeof(k0));
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(b, sizeof(b));
}

/* Appends the canonical request: method, canonical URI, canonical query (or the query as
 * sent when raw_query), the signed headers and their list, the payload hash. */
static void v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                 const struct qlist *ql, cn_slice_t signed_headers,
                                 cn_slice_t payload_hash, int presigned, int raw_query)
{
    cn_buf_append(out, req->method, req->method_len);
    cn_buf_append(out, "\n", 1);
    v4_canonical_uri(out, req->path, req->path_len);
    cn_buf_append(out, "\n", 1);
    if (raw_query)
        cn_buf_append(out, req->query, req->query_len);
    else
        v4_canonical_query(out, ql, presigned);
    cn_buf_append(out, "\n", 1);
    v4_canonical_headers(out, req, signed_headers);
    cn_buf_append(out, "\n", 1);
    cn_buf_append(out, payload_hash.ptr, payload_hash.len);
}

/* Appends the string to sign over the hex SHA-256 of the canonical request. */
static void v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                              const char *creq_hex)
{
    cn_buf_appendf(out, V4_ALGO "\n%s\n%s\n%s", amz_date, scope, creq_hex);
}

int gw_auth_v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                 const char *signed_headers, size_t signed_headers_len,
                                 const char *payload_hash, size_t payload_hash_len, int flags)
{
    cn_slice_t sh = cn_slice(signed_headers, signed_headers_len);
    struct qlist ql;

    if (!v4_signed_headers_ok(sh))
        return CN_EINVAL;
    if (qlist_parse(req->query, req->query_len, &ql) != 0)
        return CN_E2BIG;
    v4_canonical_request(out, req, &ql, sh, cn_slice(payload_hash, payload_hash_len),
                         (flags & GW_AUTH_CANON_PRESIGNED) != 0,
                         (flags & GW_AUTH_CANON_RAW_QUERY) != 0);
    qlist_dispose(&ql);
    return 0;
}

void gw_auth_v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                               const char *creq, size_t creq_len)
{
    uint8_t digest[32];
    char creq_hex[65];

    cn_sha256(creq, creq_len, digest);
    cn_hex(digest, 32, creq_hex);
    v4_string_to_sign(out, amz_date, scope, creq_hex);
}

/* Builds the canonical request and string to sign, and checks the signature. */
static gw_s3_err_t v4_verify(const gw_auth_req_t *req, const struct qlist *ql,
                             struct v4_params *p, gw_auth_lookup_fn lookup, void *arg,
                             gw_auth_result_t *res)
{
    char secret[SECRET_MAX] = {0};
    char sig_hex[65], sig_given[65], creq_hex[65];
    uint8_t digest[32], key[32];
    cn_buf_t creq, sts;
    gw_s3_err_t e;

    if (copy_cstr(res->access_key, sizeof(res->access_key), p->cred.access_key) != 0)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if ((e = lookup_secret(lookup, arg, res->access_key, secret, res)) != GW_S3_OK)
        return e;

    cn_buf_init(&creq);
    v4_canonical_request(&creq, req, ql, p->signed_headers, p->payload_hash, p->presigned,
                         p->raw_query);
    cn_sha256(creq.data, creq.len, digest);
    cn_hex(digest, 32, creq_hex);
    cn_buf_dispose(&creq);

    snprintf(res->scope, sizeof(res->scope), "%.*s/%.*s/%.*s/aws4_request",
             (int)p->cred.date.len, p->cred.date.ptr, (int)p->cred.region.len,
             p->cred.region.ptr, (int)p->cred.service.len, p->cred.service.ptr);
    memcpy(res->amz_date, p->amz_date, sizeof(res->amz_date));
    cn_buf_init(&sts);
    v4_string_to_sign(&sts, p->amz_date, res->scope, creq_hex);

    v4_signing_key(secret, &p->cred, key);
    OPENSSL_cleanse(secret, sizeof(secret));
    hmac(key, 32, sts.data, sts.len, digest);
    cn_buf_dispose(&sts);
    cn_hex(digest, 32, sig_hex);

    for (size_t i = 0; i < 64; i++) {
        char c = p->signature.ptr[i];
        sig_given[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
    }
    sig_given[64] = '\0';
    if (!ct_equal(sig_hex, 64, sig_given, 64)) {
        OPENSSL_cleanse(key, sizeof(key));
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    }
    memcpy(res->seed_signature, sig_hex, sizeof(res->seed_signature));
    memcpy(res->signing_key, key, sizeof(res->signing_key));
    OPENSSL_cleanse(key, sizeof(key));
    return GW_S3_OK;
}

/* Sets the payload kind from a x-amz-content-sha256 value; 0 or CN_EINVAL. */
static int v4_payload(cn_slice_t v, gw_auth_result_t *res)
{
    if (v.len == 64 && is_hex_lower_or_upper(v)) {
        res->payload = GW_PAYLOAD_SHA256;
        for (size_t i = 0; i < 64; i++) {
            char c = v.ptr[i];
            res->payload_sha256[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
        }
        res->payload_sha256[64] = '\0';
        return 0;
    }
    if (slice_eq_str(v, "UNSIGNED-PAYLOAD")) {
        res->payload = GW_PAYLOAD_UNCHECKED;
        return 0;
    }
    if (slice_prefix(v, "STREAMING-")) {
        res->payload = GW_PAYLOAD_STREAMING;
        return 0;
    }
    return CN_EINVAL;
}

/* The client signed without x-amz-content-sha256 (curl 7.x). It signed either the body's
 * hash (POST data) or the empty string's (uploads it streams from a file); try both. The
 * second binds no body, which is what UNSIGNED-PAYLOAD means, so it is checked as such. */
static gw_s3_err_t v4_header_without_payload_hash(const gw_auth_req_t *req,
                                                  const struct qlist *ql, struct v4_params *p,
                                                  gw_auth_lookup_fn lookup, void *arg,
                                                  gw_auth_result_t *res)
{
    static const char empty_sha256[] =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    gw_s3_err_t e;

    if (req->body_sha256 == NULL || strlen(req->body_sha256) != 64) {
        res->err_message = "Missing required header for this request: x-amz-content-sha256";
        return GW_S3_MISSING_SECURITY_HEADER;
    }
    p->payload_hash = cn_slice(req->body_sha256, 64);
    v4_payload(p->payload_hash, res);
    e = v4_verify(req, ql, p, lookup, arg, res);
    if (e != GW_S3_SIGNATURE_DOES_NOT_MATCH || strcmp(req->body_sha256, empty_sha256) == 0)
        return e;
    p->payload_hash = cn_slice(empty_sha256, 64);
    e = v4_verify(req, ql, p, lookup, arg, res);
    if (e == GW_S3_OK) {
        res->payload = GW_PAYLOAD_UNCHECKED;
        res->payload_sha256[0] = '\0';
    }
    return e;
}

static gw_s3_err_t v4_header(const gw_auth_req_t *req, cn_slice_t auth, const struct qlist *ql,
                             gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    struct v4_params p;
    gw_s3_err_t e;
    cn_slice_t d;
    int found;

    memset(&p, 0, sizeof(p));
    res->kind = GW_AUTH_V4_HEADER;
    if ((res->err_message = v4_parse_header(auth, &p)) != NULL)
        return GW_S3_AUTH_HEADER_MALFORMED;

    d = hdr_get(req, "x-amz-date", &found);
    if (found) {
        if (gw_iso8601_parse(d.ptr, d.len, &p.date_ms) != 0 &&
            gw_http_date_parse(d.ptr, d.len, &p.date_ms) != 0)
            found = 0;
    } else {
        d = hdr_get(req, "date", &found);
        if (found && gw_http_date_parse(d.ptr, d.len, &p.date_ms) != 0)
            found = 0;
    }
    if (!found) {
        res->err_message = "AWS authentication requires a valid Date or x-amz-date header";
        return GW_S3_ACCESS_DENIED;
    }
    gw_amz_date_fmt(p.date_ms, p.amz_date);
    if (memcmp(p.amz_date, p.cred.date.ptr, 8) != 0) {
        res->err_message = "Invalid credential date. Date is not the same as X-Amz-Date.";
        return GW_S3_AUTH_HEADER_MALFORMED;
    }
    if (absdiff(p.date_ms, req->now_ms) > GW_AUTH_MAX_SKEW_MS)
        return GW_S3_REQUEST_TIME_TOO_SKEWED;

    p.payload_hash = hdr_get(req, "x-amz-content-sha256", &found);
    if (!found) {
        e = v4_header_without_payload_hash(req, ql, &p, lookup, arg, res);
        if (e == GW_S3_SIGNATURE_DOES_NOT_MATCH && query_has_unencoded(req, ql)) {
            p.raw_query = 1; /* curl 7.x: see below */
            e = v4_header_without_payload_hash(req, ql, &p, lookup, arg, res);
        }
        return e;
    }
    if (v4_payload(p.payload_hash, res) != 0) {
        res->err_message = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.";
        return GW_S3_INVALID_ARGUMENT;
    }
    e = v4_verify(req, ql, &p, lookup, arg, res);
    if (e == GW_S3_SIGNATURE_DOES_NOT_MATCH && query_has_unencoded(req, ql)) {
        /* curl 7.x --aws-sigv4 signs the query exactly as sent ("prefix=a/&list-type=2",
         * neither sorted nor encoded); that string is what arrived, so accepting its
         * signature binds the very same parameters */
        p.raw_query = 1;
        e = v4_verify(req, ql, &p, lookup, arg, res);
    }
    return e;
}

static gw_s3_err_t v4_query(const gw_auth_req_t *req, const struct qlist *ql,
                            gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    const struct qparam *algo, *cred, *date, *exp, *sh, *sig;
    struct v4_params p;
    uint64_t expires_s;
    const char *why;
    int found;

    memset(&p, 0, sizeof(p));
    res->kind = GW_AUTH_V4_QUERY;
    p.presigned = 1;
    algo = qlist_get(ql, "X-Amz-Algorithm");
    cred = qlist_get(ql, "X-Amz-Credential");
    date = qlist_get(ql, "X-Amz-Date");
    exp = qlist_get(ql, "X-Amz-Expires");
    sh = qlist_get(ql, "X-Amz-SignedHeaders");
    sig = qlist_get(ql, "X-Amz-Signature");
    if (!algo || !slice_eq_str(qval(algo), V4_ALGO)) {
        res->err_message = "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (!cred || !date || !exp || !sh || !sig)
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;   /* the table's message lists them */
    if ((why = v4_parse_cred(qval(cred), &p.cred)) != NULL) {
        res->err_message = why;
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (date->value.len != 16 ||
        gw_iso8601_parse(date->value.data, date->value.len, &p.date_ms) != 0) {
        res->err_message = "X-Amz-Date must be in the ISO8601 Long Format "
                           "\"yyyyMMdd'T'HHmmss'Z'\"";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (parse_u64(qval(exp), &expires_s) != 0 || expires_s == 0) {
        res->err_message = "X-Amz-Expires should be a number greater than 0";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (expires_s > GW_AUTH_MAX_EXPIRES_S) {
        res->err_message = "X-Amz-Expires must be less than a week (in seconds) that is 604800";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    p.signed_headers = qval(sh);
    p.signature = qval(sig);
    if (!v4_signed_headers_ok(p.signed_headers)) {
        res->err_message = "X-Amz-SignedHeaders is not valid.";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (!v4_signature_ok(p.signature)) {
        res->err_message = "X-Amz-Signature is not 64 hex digits.";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    memcpy(p.amz_date, date->value.data, 16);
    p.amz_date[16] = '\0';
    if (memcmp(p.amz_date, p.cred.date.ptr, 8) != 0) {
        res->err_message = "Invalid credential date. Date is not the same as X-Amz-Date.";
        return GW_S3_AUTH_QUERY_PARAMS_ERROR;
    }
    if (req->now_ms > p.date_ms + expires_s * 1000) {
        res->err_message = "Request has expired";
        return GW_S3_ACCESS_DENIED;
    }
    if (p.date_ms > req->now_ms + GW_AUTH_MAX_SKEW_MS) {
        res->err_message = "Request is not valid yet";
        return GW_S3_ACCESS_DENIED;
    }
    p.payload_hash = hdr_get(req, "x-amz-content-sha256", &found);
    if (!found)
        p.payload_hash = cn_slice("UNSIGNED-PAYLOAD", 16);
    if (v4_payload(p.payload_hash, res) != 0) {
        res->err_message = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                           "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.";
        return GW_S3_INVALID_ARGUMENT;
    }
    return v4_verify(req, ql, &p, lookup, arg, res);
}

/* ================= Signature V2 ================= */

/* Sub-resources and overrides that are part of the V2 canonicalized resource. */
static const char *const v2_subresources[] = {
    "accelerate", "acl", "analytics", "cors", "delete", "encryption", "intelligent-tiering",
    "inventory", "legal-hold", "lifecycle", "location", "logging", "metrics", "notification",
    "object-lock", "ownershipControls", "partNumber", "policy", "publicAccessBlock",
    "replication", "requestPayment", "response-cache-control", "response-content-disposition",
    "response-content-encoding", "response-content-language", "response-content-type",
    "response-expires", "restore", "retention", "select", "select-type", "tagging", "torrent",
    "uploadId", "uploads", "versionId", "versioning", "versions", "website",
};

static int v2_is_subresource(const cn_buf_t *name)
{
    for (size_t i = 0; i < sizeof(v2_subresources) / sizeof(v2_subresources[0]); i++)
        if (strlen(v2_subresources[i]) == name->len &&
            memcmp(v2_subresources[i], name->data, name->len) == 0)
            return 1;
    return 0;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

/* Appends the canonicalized x-amz-* headers: lower-case names, sorted, repeated values
 * joined with ',', each "name:value\n". A stable insertion sort keeps arrival order. */
static void v2_amz_headers(cn_buf_t *out, const gw_auth_req_t *req)
{
    size_t *idx, n = 0;

    if (req->nheaders == 0)
        return;
    idx = cn_calloc(req->nheaders, sizeof(*idx));
    for (size_t i = 0; i < req->nheaders; i++) {
        const gw_auth_header_t *h = &req->headers[i];
        if (h->name_len < 6 || strncasecmp(h->name, "x-amz-", 6) != 0)
            continue;
        size_t j = n++;
        while (j > 0) {
            const gw_auth_header_t *o = &req->headers[idx[j - 1]];
            size_t m = o->name_len < h->name_len ? o->name_len : h->name_len;
            int c = strncasecmp(o->name, h->name, m);
            if (c < 0 || (c == 0 && o->name_len <= h->name_len))
                break;
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
    for (size_t i = 0; i < n; i++) {
        const gw_auth_header_t *h = &req->headers[idx[i]];
        int same = i > 0 && hdr_name_is(&req->headers[idx[i - 1]], h->name, h->name_len);
        if (same) {
            cn_buf_append(out, ",", 1);
        } else {
            if (i > 0)
                cn_buf_append(out, "\n", 1);
            for (size_t k = 0; k < h->name_len; k++) {
                char c = h->name[k];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c - 'A' + 'a');
                cn_buf_append(out, &c, 1);
            }
            cn_buf_append(out, ":", 1);
        }
        cn_slice_t v = trim(h->value, h->value_len);
        cn_buf_append(out, v.ptr, v.len);
    }
    if (n)
        cn_buf_append(out, "\n", 1);
    cn_free(idx);
}

/* Appends the canonicalized resource: [/bucket] + raw path + sorted sub-resources. */
static void v2_resource(cn_buf_t *out, const gw_auth_req_t *req, const struct qlist *ql)
{
    const struct qparam **sub;
    size_t n = 0;

    if (req->v2_bucket && req->v2_bucket_len) {
        cn_buf_append(out, "/", 1);
        cn_buf_append(out, req->v2_bucket, req->v2_bucket_len);
    }
    if (req->path_len)
        cn_buf_append(out, req->path, req->path_len);
    else if (!(req->v2_bucket && req->v2_bucket_len))
        cn_buf_append(out, "/", 1);
    if (ql->n == 0)
        return;
    sub = cn_calloc(ql->n, sizeof(*sub));
    for (size_t i = 0; i < ql->n; i++) {
        const struct qparam *q = &ql->v[i];
        if (!v2_is_subresource(&q->name))
            continue;
        size_t j = n++;
        while (j > 0 && bytes_cmp(sub[j - 1]->name.data, sub[j - 1]->name.len, q->name.data,
                                  q->name.len) > 0) {
            sub[j] = sub[j - 1];
            j--;
        }
        sub[j] = q;
    }
    for (size_t i = 0; i < n; i++) {
        cn_buf_append(out, i ? "&" : "?", 1);
        cn_buf_append(out, sub[i]->name.data, sub[i]->name.len);
        if (sub[i]->has_eq) {
            cn_buf_append(out, "=", 1);
            cn_buf_append(out, sub[i]->value.data, sub[i]->value.len);
        }
    }
    cn_free(sub);
}

/* base64(HMAC-SHA1(secret, string to sign)) into out (29 bytes). */
static int v2_sign(const char *secret, const cn_buf_t *sts, char out[29])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const unsigned char *)sts->data,
              sts->len, md, &mdlen) ||
        mdlen != 20)
        return CN_EIO;
    EVP_EncodeBlock((unsigned char *)out, md, 20);
    return 0;
}

static gw_s3_err_t v2_verify(const gw_auth_req_t *req, const struct qlist *ql, cn_slice_t ak,
                             cn_slice_t sig, cn_slice_t date_line, gw_auth_lookup_fn lookup,
                             void *arg, gw_auth_result_t *res)
{
    char secret[SECRET_MAX] = {0};
    char mine[29];
    cn_buf_t sts;
    cn_slice_t v;
    gw_s3_err_t e;
    int rc;

    if (copy_cstr(res->access_key, sizeof(res->access_key), ak) != 0)
        return GW_S3_INVALID_ACCESS_KEY_ID;
    if ((e = lookup_secret(lookup, arg, res->access_key, secret, res)) != GW_S3_OK)
        return e;
    cn_buf_init(&sts);
    cn_buf_append(&sts, req->method, req->method_len);
    cn_buf_append(&sts, "\n", 1);
    v = hdr_get(req, "content-md5", NULL);
    cn_buf_append(&sts, v.ptr, v.len);
    cn_buf_append(&sts, "\n", 1);
    v = hdr_get(req, "content-type", NULL);
    cn_buf_append(&sts, v.ptr, v.len);
    cn_buf_append(&sts, "\n", 1);
    cn_buf_append(&sts, date_line.ptr, date_line.len);
    cn_buf_append(&sts, "\n", 1);
    v2_amz_headers(&sts, req);
    v2_resource(&sts, req, ql);
    rc = v2_sign(secret, &sts, mine);
    OPENSSL_cleanse(secret, sizeof(secret));
    cn_buf_dispose(&sts);
    if (rc != 0)
        return GW_S3_INTERNAL_ERROR;
    if (!ct_equal(mine, 28, sig.ptr, sig.len))
        return GW_S3_SIGNATURE_DOES_NOT_MATCH;
    res->payload = GW_PAYLOAD_UNCHECKED;
    return GW_S3_OK;
}

static gw_s3_err_t v2_header(const gw_auth_req_t *req, cn_slice_t v, const struct qlist *ql,
                             gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    const char *colon = memchr(v.ptr, ':', v.len);
    cn_slice_t ak, sig, d, date_line;
    uint64_t date_ms;
    int found_amz, found_date;

    res->kind = GW_AUTH_V2_HEADER;
    if (!colon) {
        res->err_message = "AWS authorization header is invalid.  Expected "
                           "AwsAccessKeyId:signature";
        return GW_S3_INVALID_ARGUMENT;
    }
    ak = trim(v.ptr, (size_t)(colon - v.ptr));
    sig = trim(colon + 1, (size_t)(v.ptr + v.len - colon - 1));
    if (ak.len == 0 || sig.len == 0) {
        res->err_message = "AWS authorization header is invalid.  Expected "
                           "AwsAccessKeyId:signature";
        return GW_S3_INVALID_ARGUMENT;
    }
    d = hdr_get(req, "x-amz-date", &found_amz);
    date_line = cn_slice("", 0);
    if (!found_amz) {
        d = hdr_get(req, "date", &found_date);
        date_line = d;
    }
    if ((!found_amz && !found_date) || parse_any_date(d, &date_ms) != 0) {
        res->err_message = "AWS authentication requires a valid Date or x-amz-date header";
        return GW_S3_ACCESS_DENIED;
    }
    if (absdiff(date_ms, req->now_ms) > GW_AUTH_MAX_SKEW_MS)
        return GW_S3_REQUEST_TIME_TOO_SKEWED;
    return v2_verify(req, ql, ak, sig, date_line, lookup, arg, res);
}

static gw_s3_err_t v2_query(const gw_auth_req_t *req, const struct qlist *ql,
                            gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res)
{
    const struct qparam *ak = qlist_get(ql, "AWSAccessKeyId");
    const struct qparam *sig = qlist_get(ql, "Signature");
    const struct qparam *exp = qlist_get(ql, "Expires");
    uint64_t expires_s;

    res->kind = GW_AUTH_V2_QUERY;
    if (!ak || !sig || !exp || ak->value.len == 0 || sig->value.len == 0) {
        res->err_message = "Query-string authentication requires the Signature, Expires and "
                           "AWSAccessKeyId parameters";
        return GW_S3_ACCESS_DENIED;
    }
    if (parse_u64(qval(exp), &expires_s) != 0 || expires_s > UINT64_MAX / 1000) {
        res->err_message = "Invalid date (should be seconds since epoch)";
        return GW_S3_ACCESS_DENIED;
    }
    if (req->now_ms > expires_s * 1000) {
        res->err_message = "Request has expired";
        return GW_S3_ACCESS_DENIED;
    }
    return v2_verify(req, ql, qval(ak), qval(sig), trim(exp->value.data, exp->value.len), lookup,
                     arg, res);
}

/* ================= entry point ================= */

gw_s3_err_t gw_auth_verify(const gw_auth_req_t *req, gw_auth_lookup_fn lookup, void *arg,
                           gw_auth_result_t *res)
{
    struct qlist ql;
    cn_slice_t auth;
    int have_auth, q_v4, q_v2;
    gw_s3_err_t e;

    memset(res, 0, sizeof(*res));
    res->kind = GW_AUTH_ANONYMOUS;
    res->payload = GW_PAYLOAD_UNCHECKED;
    if (qlist_parse(req->query, req->query_len, &ql) != 0) {
        res->err_message = "Too many query parameters";
        return GW_S3_INVALID_ARGUMENT;
    }
    auth = hdr_get(req, "authorization", &have_auth);
    q_v4 = qlist_get(&ql, "X-Amz-Algorithm") != NULL;
    q_v2 = !q_v4 && (qlist_get(&ql, "AWSAccessKeyId") != NULL ||
                     (qlist_get(&ql, "Signature") != NULL && qlist_get(&ql, "Expires") != NULL));

    if (have_auth && (q_v4 || q_v2)) {
        res->err_message = "Only one auth mechanism allowed; only the X-Amz-Algorithm query "
                           "parameter, Signature query string parameter or the Authorization "
                           "header should be specified";
        e = GW_S3_INVALID_ARGUMENT;
    } else if (have_auth) {
        if (auth.len > strlen(V4_ALGO) && slice_prefix(auth, V4_ALGO) &&
            is_ws(auth.ptr[strlen(V4_ALGO)])) {
            e = v4_header(req, trim(auth.ptr + strlen(V4_ALGO), auth.len - strlen(V4_ALGO)), &ql,
                          lookup, arg, res);
        } else if (auth.len > 4 && slice_prefix(auth, "AWS") && is_ws(auth.ptr[3])) {
            e = v2_header(req, trim(auth.ptr + 4, auth.len - 4), &ql, lookup, arg, res);
        } else {
            res->err_message = "Unsupported Authorization Type";
            e = GW_S3_INVALID_ARGUMENT;
        }
    } else if (q_v4) {
        e = v4_query(req, &ql, lookup, arg, res);
    } else if (q_v2) {
        e = v2_query(req, &ql, lookup, arg, res);
    } else {
        e = GW_S3_OK;
    }
    qlist_dispose(&ql);
    if (e != GW_S3_OK) {
        /* keep only the diagnosis: no half-filled secrets for a failed request */
        const char *msg = res->err_message;
        gw_auth_kind_t kind = res->kind;
        OPENSSL_cleanse(res, sizeof(*res));
        res->err_message = msg;
        res->kind = kind;
    }
    return e;
}
