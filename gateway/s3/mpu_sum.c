/*
 * gateway/s3/mpu_sum.c: composite checksums of multipart uploads (see mpu_sum.h). Pure; the
 * raw digests are decoded with OpenSSL's base64 and hashed again by gw_checksum_b64.
 */
#include "gateway/s3/mpu_sum.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"

static const struct alg_row {
    gw_checksum_alg_t alg;
    const char *name, *header, *element;
    size_t digest_len;
} algs[] = {
    {GW_CK_CRC32, "CRC32", "x-amz-checksum-crc32", "ChecksumCRC32", 4},
    {GW_CK_CRC32C, "CRC32C", "x-amz-checksum-crc32c", "ChecksumCRC32C", 4},
    {GW_CK_CRC64NVME, "CRC64NVME", "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME", 8},
    {GW_CK_SHA1, "SHA1", "x-amz-checksum-sha1", "ChecksumSHA1", 20},
    {GW_CK_SHA256, "SHA256", "x-amz-checksum-sha256", "ChecksumSHA256", 32},
};

static const struct alg_row *row_of(gw_checksum_alg_t alg)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (algs[i].alg == alg)
            return &algs[i];
    return NULL;
}

gw_checksum_alg_t gw_mpu_sum_alg(const char *v, size_t n)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (strlen(algs[i].name) == n && strncasecmp(algs[i].name, v, n) == 0)
            return algs[i].alg;
    return GW_CK_NONE;
}

const char *gw_mpu_sum_name(gw_checksum_alg_t alg)
{
    const struct alg_row *a = row_of(alg);
    return a ? a->name : "";
}

const char *gw_mpu_sum_header(gw_checksum_alg_t alg)
{
    const struct alg_row *a = row_of(alg);
    return a ? a->header : "";
}

const char *gw_mpu_sum_element(gw_checksum_alg_t alg)
{
    const struct alg_row *a = row_of(alg);
    return a ? a->element : "";
}

/* Decodes base64 b64[0, n) of a digest of alg into raw (32 bytes). Returns its length, or 0
 * when it is not one. */
static size_t decode_digest(const struct alg_row *a, const char *b64, size_t n, uint8_t *raw)
{
    unsigned char tmp[48];
    size_t want = (a->digest_len + 2) / 3 * 4, got;

    if (n != want || cn_base64_decode(b64, n, tmp, sizeof(tmp), &got) != 0 ||
        got != a->digest_len)
        return 0;
    memcpy(raw, tmp, a->digest_len);
    return a->digest_len;
}

int gw_mpu_sum_valid(gw_checksum_alg_t alg, const char *b64, size_t n)
{
    const struct alg_row *a = row_of(alg);
    uint8_t raw[48];
    char again[64];

    if (!a || decode_digest(a, b64, n, raw) == 0)
        return 0;
    /* canonical form only: the same bytes encode back to the same text */
    EVP_EncodeBlock((unsigned char *)again, raw, (int)a->digest_len);
    return strlen(again) == n && memcmp(again, b64, n) == 0;
}

int gw_mpu_sum_composite(gw_checksum_alg_t alg, const char *const *b64, size_t n,
                         char out[GW_MPU_SUM_MAX])
{
    const struct alg_row *a = row_of(alg);
    uint8_t *cat;
    char sum[64];

    out[0] = '\0';
    if (!a || alg == GW_CK_CRC64NVME || n == 0 || n > 10000)
        return CN_EINVAL;
    cat = cn_malloc(n * a->digest_len);
    for (size_t i = 0; i < n; i++)
        if (!gw_mpu_sum_valid(alg, b64[i], strlen(b64[i])) ||
            decode_digest(a, b64[i], strlen(b64[i]), cat + i * a->digest_len) == 0) {
            cn_free(cat);
            return CN_EINVAL;
        }
    gw_checksum_b64(alg, cat, n * a->digest_len, sum);
    cn_free(cat);
    snprintf(out, GW_MPU_SUM_MAX, "%.48s-%u", sum, (unsigned)n); /* sum: 44 at most */
    return 0;
}
