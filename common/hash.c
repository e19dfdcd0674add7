/*
 * common/hash.c: CRC32C through ISA-L, digests and HMAC through OpenSSL 3's EVP API, hex,
 * and random bytes.
 * ISA-L's crc32_iscsi(buf, len, init) neither pre- nor post-inverts, so the standard CRC-32C
 * (init ~0, final xor ~0) is ~crc32_iscsi(buf, len, ~crc); feeding a previous result back in
 * as crc chains pieces: crc(crc(0, a), b) == crc(0, a || b).
 * Everything here is thread-safe; only the incremental digests allocate (one EVP_MD_CTX).
 */
#include "common/hash.h"

#include <limits.h>
#include <isa-l/crc.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

#define DIGEST_MAGIC 0x44494753u /* "DIGS" */

struct cn_digest {
    uint32_t magic;
    EVP_MD_CTX *ctx;
};

uint32_t cn_crc32c(uint32_t crc, const void *p, size_t n)
{
    unsigned char *b = (unsigned char *)(uintptr_t)p; /* ISA-L does not write, takes non-const */
    uint32_t c = ~crc;

    while (n > 0) {
        int chunk = n > (size_t)(INT_MAX / 2) ? INT_MAX / 2 : (int)n;
        c = crc32_iscsi(b, chunk, c);
        b += chunk;
        n -= (size_t)chunk;
    }
    return ~c;
}

static void digest_once(const EVP_MD *md, const void *p, size_t n, uint8_t *out)
{
    unsigned int len = 0;

    if (EVP_Digest(p, n, out, &len, md, NULL) != 1)
        CN_FATAL("EVP_Digest failed");
}

void cn_md5(const void *p, size_t n, uint8_t out[CN_MD5_LEN])
{
    digest_once(EVP_md5(), p, n, out);
}

void cn_sha256(const void *p, size_t n, uint8_t out[CN_SHA256_LEN])
{
    digest_once(EVP_sha256(), p, n, out);
}

void cn_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                    uint8_t out[CN_SHA256_LEN])
{
    size_t outlen = 0;

    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, keylen, p, n, out, CN_SHA256_LEN,
                  &outlen) == NULL)
        CN_FATAL("EVP_Q_mac(HMAC-SHA256) failed");
}

static cn_digest_t *digest_new(const EVP_MD *md)
{
    cn_digest_t *d = cn_malloc(sizeof(*d));

    d->magic = DIGEST_MAGIC;
    if ((d->ctx = EVP_MD_CTX_new()) == NULL)
        CN_FATAL("out of memory allocating a digest context");
    if (EVP_DigestInit_ex(d->ctx, md, NULL) != 1)
        CN_FATAL("EVP_DigestInit_ex failed");
    return d;
}

cn_digest_t *cn_digest_md5_new(void)
{
    return digest_new(EVP_md5());
}

cn_digest_t *cn_digest_sha256_new(void)
{
    return digest_new(EVP_sha256());
}

void cn_digest_update(cn_digest_t *d, const void *p, size_t n)
{
    CN_CHECK_OBJ(d, DIGEST_MAGIC);
    if (n > 0 && EVP_DigestUpdate(d->ctx, p, n) != 1)
        CN_FATAL("EVP_DigestUpdate failed");
}

void cn_digest_final(cn_digest_t *d, uint8_t *out)
{
    unsigned int len = 0;

    CN_CHECK_OBJ(d, DIGEST_MAGIC);
    if (EVP_DigestFinal_ex(d->ctx, out, &len) != 1)
        CN_FATAL("EVP_DigestFinal_ex failed");
    EVP_MD_CTX_free(d->ctx);
    d->magic = 0;
    cn_free(d);
}

void cn_hex(const void *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
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

int cn_unhex(const char *hex, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if ((hi = hexval(hex[2 * i])) < 0 || (lo = hexval(hex[2 * i + 1])) < 0)
            return CN_EINVAL; /* also stops at a NUL: a short string is never over-read */
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int cn_random_bytes(void *p, size_t n)
{
    while (n > 0) {
        int chunk = n > (size_t)INT_MAX ? INT_MAX : (int)n;
        if (RAND_bytes(p, chunk) != 1)
            return CN_EIO;
        p = (char *)p + chunk;
        n -= (size_t)chunk;
    }
    return 0;
}
