/*
 * gateway/auth/s3_auth_int.h: the types and small inline helpers that the pieces of S3 request
 * authentication share: s3_auth.c (the entry point gw_auth_verify, the secret lookup),
 * s3_auth_req.c (the query parameters and headers as the verifiers read them),
 * s3_auth_v4_canon.c (the SigV4 canonical request and string to sign), s3_auth_v4.c (SigV4
 * header and presigned query) and s3_auth_v2.c (SigV2 header and query). Each declares its
 * functions in its own header. Not for other files: their interface is s3_auth.h.
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
#include "gateway/auth/s3_auth.h"
#include "gateway/s3/s3_error.h"

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
