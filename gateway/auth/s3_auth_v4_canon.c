/*
 * gateway/auth/s3_auth_v4_canon.c: the AWS Signature V4 canonical request (canonical URI, query
 * and headers) and string to sign, used by the verifier (s3_auth_v4.c) and exposed as
 * gw_auth_v4_canonical_request / gw_auth_v4_string_to_sign for the unit tests and
 * tests/fuzz/fuzz_sigv4_canon.c, so that both hash the same bytes.
 */
#include "gateway/auth/s3_auth_v4_canon.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "gateway/auth/s3_auth_int.h"
#include "gateway/auth/s3_auth_req.h"
#include "gateway/auth/s3_uri.h"
#include "gateway/auth/s3_auth.h"

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

/* Checks a SignedHeaders list: non-empty names of token characters separated by ';'. */
int gw__auth_v4_signed_headers_ok(cn_slice_t s)
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
static void v4_canonical_query(cn_buf_t *out, const struct gw_auth_qlist *ql,
                               int presigned)
{
    cn_buf_t(*pairs)[2];
    size_t n = 0;

    if (ql->n == 0)
        return;
    pairs = cn_calloc(ql->n, sizeof(*pairs));
    for (size_t i = 0; i < ql->n; i++) {
        const struct gw_auth_qparam *p = &ql->v[i];
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
 * it as sent, see gw__auth_v4_header, may be retried with it). */
int gw__auth_query_has_unencoded(const gw_auth_req_t *req, const struct gw_auth_qlist *ql)
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

/* Appends the canonical request: method, canonical URI, canonical query (or the query as
 * sent when raw_query), the signed headers and their list, the payload hash. */
void gw__auth_v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                   const struct gw_auth_qlist *ql, cn_slice_t signed_headers,
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
void gw__auth_v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                                const char *creq_hex)
{
    cn_buf_appendf(out, GW_AUTH_V4_ALGO "\n%s\n%s\n%s", amz_date, scope, creq_hex);
}

int gw_auth_v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                 const char *signed_headers, size_t signed_headers_len,
                                 const char *payload_hash, size_t payload_hash_len, int flags)
{
    cn_slice_t sh = cn_slice(signed_headers, signed_headers_len);
    struct gw_auth_qlist ql;

    if (!gw__auth_v4_signed_headers_ok(sh))
        return CN_EINVAL;
    if (gw__auth_qlist_parse(req->query, req->query_len, &ql) != 0)
        return CN_E2BIG;
    gw__auth_v4_canonical_request(out, req, &ql, sh, cn_slice(payload_hash, payload_hash_len),
                                  (flags & GW_AUTH_CANON_PRESIGNED) != 0,
                                  (flags & GW_AUTH_CANON_RAW_QUERY) != 0);
    gw__auth_qlist_dispose(&ql);
    return 0;
}

void gw_auth_v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                               const char *creq, size_t creq_len)
{
    uint8_t digest[32];
    char creq_hex[65];

    cn_sha256(creq, creq_len, digest);
    cn_hex(digest, 32, creq_hex);
    gw__auth_v4_string_to_sign(out, amz_date, scope, creq_hex);
}
