/*
 * gateway/auth/aws_chunked.c: the aws-chunked decoder and the S3 checksums (aws_chunked.h); pure
 * functions (auth_req.c applies them to a request before any operation sees its body).
 * The decoder works in place: the write position never passes the read position, so the
 * payload is moved towards the start of h2o's body buffer (memory or its mmapped temp file)
 * and no second copy of a large upload is made. The stored object never holds chunk framing.
 */
#include "gateway/auth/aws_chunked.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"

#define TRAILER_MAX 1024
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

gw_chunked_mode_t gw_chunked_mode(const char *v, size_t n)
{
    if (n == 34 && memcmp(v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", 34) == 0)
        return GW_CHUNKED_SIGNED;
    if (n == 42 && memcmp(v, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", 42) == 0)
        return GW_CHUNKED_SIGNED_TRAILER;
    if (n == 34 && memcmp(v, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", 34) == 0)
        return GW_CHUNKED_UNSIGNED_TRAILER;
    return GW_CHUNKED_NONE;
}

/* ---- checksums ------------------------------------------------------------------------- */

uint64_t gw_crc64nvme(uint64_t crc, const void *p, size_t n)
{
    return cn_crc64nvme(crc, p, n);
}

gw_checksum_alg_t gw_checksum_alg(const char *name, size_t n)
{
    static const struct {
        const char *name;
        gw_checksum_alg_t alg;
    } t[] = {
        {"x-amz-checksum-crc32", GW_CK_CRC32},   {"x-amz-checksum-crc32c", GW_CK_CRC32C},
        {"x-amz-checksum-crc64nvme", GW_CK_CRC64NVME}, {"x-amz-checksum-sha1", GW_CK_SHA1},
        {"x-amz-checksum-sha256", GW_CK_SHA256},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strlen(t[i].name) == n && strncasecmp(t[i].name, name, n) == 0)
            return t[i].alg;
    return GW_CK_NONE;
}

unsigned gw_checksum_hash(gw_checksum_alg_t alg)
{
    switch (alg) {
    case GW_CK_CRC32: return CN_HASH_CRC32;
    case GW_CK_CRC32C: return CN_HASH_CRC32C;
    case GW_CK_CRC64NVME: return CN_HASH_CRC64NVME;
    case GW_CK_SHA1: return CN_HASH_SHA1;
    case GW_CK_SHA256: return CN_HASH_SHA256;
    default: return 0;
    }
}

void gw_checksum_b64_of(gw_checksum_alg_t alg, const cn_hashes_t *h, char *out)
{
    uint8_t d[32];
    size_t dl = 0;

    CN_ASSERT((h->have & gw_checksum_hash(alg)) == gw_checksum_hash(alg));
    switch (alg) {
    case GW_CK_CRC32:
        cn_put_u32be(d, h->crc32);
        dl = 4;
        break;
    case GW_CK_CRC32C:
        cn_put_u32be(d, h->crc32c);
        dl = 4;
        break;
    case GW_CK_CRC64NVME:
        cn_put_u64be(d, h->crc64nvme);
        dl = 8;
        break;
    case GW_CK_SHA1:
        memcpy(d, h->sha1, CN_SHA1_LEN);
        dl = CN_SHA1_LEN;
        break;
    case GW_CK_SHA256:
        memcpy(d, h->sha256, CN_SHA256_LEN);
        dl = CN_SHA256_LEN;
        break;
    default:
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, d, (int)dl);
}

void gw_checksum_b64(gw_checksum_alg_t alg, const void *p, size_t n, char *out)
{
    cn_hashes_t h;

    cn_hashes(gw_checksum_hash(alg), p, n, &h);
    gw_checksum_b64_of(alg, &h, out);
}

/* ---- the decoder ----------------------------------------------------------------------- */

static int chunk_signature(const gw_chunked_sig_t *sig, const char *prev, const char *data,
                           size_t len, char out[65])
{
    uint8_t d[32];
    char hex[65];
    cn_buf_t sts;

    cn_sha256(data, len, d);
    cn_hex(d, 32, hex);
    cn_buf_init(&sts);
    cn_buf_appendf(&sts, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n" EMPTY_SHA256 "\n%s",
                   sig->amz_date, sig->scope, prev, hex);
    cn_hmac_sha256(sig->signing_key, 32, sts.data, sts.len, d);
    cn_buf_dispose(&sts);
    cn_hex(d, 32, out);
    return 0;
}

static int hex_eq_ci(const char *a, const char *b, size_t n)
{
    unsigned diff = 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'F')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'F')
            y = (char)(y - 'A' + 'a');
        diff |= (unsigned)(x ^ y);
    }
    return diff == 0;
}

/* Finds "\r\n" in [p, end); returns its position or NULL. */
static const char *find_crlf(const char *p, const char *end)
{
    while (p + 1 < end) {
        const char *c = memchr(p, '\r', (size_t)(end - p - 1));
        if (!c)
            return NULL;
        if (c[1] == '\n')
            return c;
        p = c + 1;
    }
    return NULL;
}

static int parse_trailer(const char *p, const char *end, gw_chunked_mode_t mode,
                         const gw_chunked_sig_t *sig, const char *prev, gw_chunked_out_t *out)
{
    char tsig[65] = "";
    cn_buf_t signed_part;
    int rc = 0, nsums = 0;

    if (end - p > TRAILER_MAX + 2)
        return CN_E2BIG;
    cn_buf_init(&signed_part);
    for (;;) {
        const char *e = find_crlf(p, end);
        const char *colon;
        if (!e) {
            rc = CN_EINVAL;
            goto out;
        }
        if (e == p) { /* the empty line that ends the body */
            if (e + 2 != end)
                rc = CN_EINVAL;
            break;
        }
        colon = memchr(p, ':', (size_t)(e - p));
        if (!colon || colon == p) {
            rc = CN_EINVAL;
            goto out;
        }
        size_t nl = (size_t)(colon - p);
        const char *v = colon + 1;
        size_t vl = (size_t)(e - v);
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
        if (nl == 23 && strncasecmp(p, "x-amz-trailer-signature", 23) == 0) {
            if (vl != 64) {
                rc = CN_EINVAL;
                goto out;
            }
            memcpy(tsig, v, 64);
        } else {
            if (nl >= sizeof(out->trailer_name) || vl >= sizeof(out->trailer_value) ||
                ++nsums > 1) {
                rc = CN_E2BIG;
                goto out;
            }
            for (size_t i = 0; i < nl; i++)
                out->trailer_name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
            out->trailer_name[nl] = '\0';
            memcpy(out->trailer_value, v, vl);
            out->trailer_value[vl] = '\0';
            cn_buf_append(&signed_part, p, (size_t)(e - p));
            cn_buf_append(&signed_part, "\n", 1);
        }
        p = e + 2;
    }
    if (mode == GW_CHUNKED_SIGNED_TRAILER) {
        uint8_t d[32];
        char hex[65], want[65];
        cn_buf_t sts;
        if (!tsig[0]) {
            rc = CN_EACCES;
            goto out;
        }
        cn_sha256(signed_part.data ? signed_part.data : "", signed_part.len, d);
        cn_hex(d, 32, hex);
        cn_buf_init(&sts);
        cn_buf_appendf(&sts, "AWS4-HMAC-SHA256-TRAILER\n%s\n%s\n%s\n%s", sig->amz_date,
                       sig->scope, prev, hex);
        cn_hmac_sha256(sig->signing_key, 32, sts.data, sts.len, d);
        cn_buf_dispose(&sts);
        cn_hex(d, 32, want);
        if (!hex_eq_ci(want, tsig, 64))
            rc = CN_EACCES;
    }
out:
    cn_buf_dispose(&signed_part);
    return rc;
}

int gw_chunked_decode(char *buf, size_t n, gw_chunked_mode_t mode, const gw_chunked_sig_t *sig,
                      gw_chunked_out_t *out)
{
    const char *p = buf, *end = buf + n;
    int is_signed = mode == GW_CHUNKED_SIGNED || mode == GW_CHUNKED_SIGNED_TRAILER;
    char prev[65];
    size_t w = 0;

    memset(out, 0, sizeof(*out));
    if (mode == GW_CHUNKED_NONE || (is_signed && !sig))
        return CN_EINVAL;
    if (is_signed)
        memcpy(prev, sig->seed_signature, 65);
    for (;;) {
        const char *e = find_crlf(p, end);
        const char *q = p;
        uint64_t size = 0;
        int digits = 0;

        if (!e)
            return CN_EINVAL;
        while (q < e && digits < 16) {
            char c = *q;
            int v = c >= '0' && c <= '9' ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (v < 0)
                break;
            size = size << 4 | (uint64_t)v;
            digits++;
            q++;
        }
        if (!digits)
            return CN_EINVAL;
        if (is_signed) {
            static const char tag[] = ";chunk-signature=";
            char want[65];
            if ((size_t)(e - q) != sizeof(tag) - 1 + 64 || memcmp(q, tag, sizeof(tag) - 1) != 0)
                return CN_EINVAL;
            q += sizeof(tag) - 1;
            if (size > (uint64_t)(end - (e + 2)))
                return CN_EINVAL;
            chunk_signature(sig, prev, e + 2, (size_t)size, want);
            if (!hex_eq_ci(want, q, 64))
                return CN_EACCES;
            memcpy(prev, want, 65);
        } else if (q != e) {
            /* unsigned chunks carry no extension; tolerate none */
            return CN_EINVAL;
        }
        p = e + 2;
        if (size == 0)
            break;
        if (size > (uint64_t)(end - p) || (uint64_t)(end - p) - size < 2 ||
            p[size] != '\r' || p[size + 1] != '\n')
            return CN_EINVAL;
        memmove(buf + w, p, (size_t)size);
        w += (size_t)size;
        p += size + 2;
    }
    out->len = w;
    if (mode == GW_CHUNKED_SIGNED) {
        /* "0;chunk-signature=...\r\n\r\n" */
        if (end - p != 2 || p[0] != '\r' || p[1] != '\n')
            return CN_EINVAL;
        return 0;
    }
    return parse_trailer(p, end, mode, sig, is_signed ? prev : NULL, out);
}
