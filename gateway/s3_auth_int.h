/*
 * gateway/s3_auth_int.h: what the pieces of S3 request authentication share: s3_auth.c (the
 * entry point gw_auth_verify, the secret lookup), s3_auth_req.c (the query parameters and
 * headers as the verifiers read them), s3_auth_v4_canon.c (the SigV4 canonical request and
 * string to sign), s3_auth_v4.c (SigV4 header and presigned query) and s3_auth_v2.c (SigV2
 * header and query). Not for other files: their interface is s3_auth.h.
 */
#ifndef CAIRN_GATEWAY_S3_AUTH_INT_H
#define CAIRN_GATEWAY_S3_AUTH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/err.h"
#include "gateway/s3_auth.h"
#include "gateway/s3_error.h"

#define GW_AUTH_V4_ALGO "AWS4-HMAC-SHA256"
#define GW_AUTH_SECRET_MAX 256

/* ---- query strings ---- */

struct gw_auth_qparam {
    cn_slice_t raw_name, raw_value;
    int has_eq;
    cn_buf_t name, value;   /* decoded (raw bytes kept when the escape is bad) */
};

struct gw_auth_qlist {
    struct gw_auth_qparam *v;
    size_t n;
};

/** Splits and decodes the query string q (n bytes, may be NULL) into ql. Returns 0 or
 *  CN_E2BIG for more than 1024 parameters. Dispose with gw__auth_qlist_dispose. */
int gw__auth_qlist_parse(const char *q, size_t n, struct gw_auth_qlist *ql);
void gw__auth_qlist_dispose(struct gw_auth_qlist *ql);
/** The first parameter whose decoded name is name, or NULL. */
const struct gw_auth_qparam *gw__auth_qlist_get(const struct gw_auth_qlist *ql,
                                                const char *name);

/* ---- headers and small parsers ---- */

/** The first header called name, trimmed; found = 0 when absent. */
cn_slice_t gw__auth_hdr_get(const gw_auth_req_t *req, const char *name, int *found);
/** Parses 1..19 decimal digits. Returns 0 or CN_EINVAL. */
int gw__auth_parse_u64(cn_slice_t s, uint64_t *out);

/* ---- secret lookup (s3_auth.c) ---- */

/** Calls lookup for ak into secret (GW_AUTH_SECRET_MAX bytes). Returns GW_S3_OK,
 *  GW_S3_INVALID_ACCESS_KEY_ID for an unknown key, or the error of another failure. */
gw_s3_err_t gw__auth_lookup_secret(gw_auth_lookup_fn lookup, void *arg, const char *ak,
                                   char *secret, gw_auth_result_t *res);

/* ---- SigV4 canonical request (s3_auth_v4_canon.c) ---- */

/** 1 when s is a SignedHeaders list gw_auth_verify accepts (see s3_auth.h). */
int gw__auth_v4_signed_headers_ok(cn_slice_t s);
/** 1 when the query as sent differs from its canonical form. */
int gw__auth_query_has_unencoded(const gw_auth_req_t *req, const struct gw_auth_qlist *ql);
/** Appends the canonical request (see gw_auth_v4_canonical_request in s3_auth.h). */
void gw__auth_v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                   const struct gw_auth_qlist *ql, cn_slice_t signed_headers,
                                   cn_slice_t payload_hash, int presigned, int raw_query);
/** Appends the string to sign over creq_hex, the hex SHA-256 of the canonical request. */
void gw__auth_v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                                const char *creq_hex);

/* ---- the verifiers: fill res and return GW_S3_OK or the S3 error (s3_auth_v4.c,
 *      s3_auth_v2.c); auth / v is the Authorization value after its algorithm name ---- */

gw_s3_err_t gw__auth_v4_header(const gw_auth_req_t *req, cn_slice_t auth,
                               const struct gw_auth_qlist *ql, gw_auth_lookup_fn lookup,
                               void *arg, gw_auth_result_t *res);
gw_s3_err_t gw__auth_v4_query(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                              gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res);
gw_s3_err_t gw__auth_v2_header(const gw_auth_req_t *req, cn_slice_t v,
                               const struct gw_auth_qlist *ql, gw_auth_lookup_fn lookup,
                               void *arg, gw_auth_result_t *res);
gw_s3_err_t gw__auth_v2_query(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                              gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res);

/* ---- small string helpers ---- */

static inline int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static inline cn_slice_t trim(const char *p, size_t n)
{
    while (n && is_ws(*p)) {
        p++;
        n--;
    }
    while (n && is_ws(p[n - 1]))
        n--;
    return cn_slice(p, n);
}

static inline int slice_eq_str(cn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static inline int slice_prefix(cn_slice_t s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

static inline int ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return 0;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

/* Copies s into a NUL-terminated fixed buffer; 0 or CN_E2BIG. */
static inline int copy_cstr(char *dst, size_t dstlen, cn_slice_t s)
{
    if (s.len >= dstlen)
        return CN_E2BIG;
    memcpy(dst, s.ptr, s.len);
    dst[s.len] = '\0';
    return 0;
}

static inline cn_slice_t qval(const struct gw_auth_qparam *p)
{
    return cn_slice(p->value.data, p->value.len);
}

static inline int hdr_name_is(const gw_auth_header_t *h, const char *name, size_t n)
{
    return h->name_len == n && strncasecmp(h->name, name, n) == 0;
}

static inline uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

#endif
