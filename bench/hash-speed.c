/*
 * bench/hash-speed.c: MB/s of the digests and checksums a gateway computes over request bodies
 * (issue 19), on this machine: OpenSSL EVP MD5, SHA-1 and SHA-256 (one-shot and incremental
 * in 1 MiB and 5 MiB updates), ISA-L's CRC32C, CRC-32 (crc32_gzip_refl, what the gateway uses
 * for x-amz-checksum-crc32) and crc32_ieee, zlib's crc32 for comparison, CRC-64/NVME (our
 * slice-by-8 tables; ISA-L 2.30 lacks it) against ISA-L's crc64_ecma_refl, and common/hash.h's one
 * pass (cn_hashes) against the same digests in separate passes.
 *
 * usage: bench/hash-speed [MIB]   (buffer size, default 256 MiB: larger than the caches, as a
 * request body is; each figure is the best of 3 runs over the buffer)
 */
#include <isa-l/crc.h>
#include <isa-l/crc64.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "common/hash.h"

static unsigned char *buf;
static size_t len;
static volatile uint64_t sink;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void evp_oneshot(const EVP_MD *md)
{
    unsigned char d[64];
    unsigned int n = 0;
    EVP_Digest(buf, len, d, &n, md, NULL);
    sink += d[0];
}

static void evp_steps(const EVP_MD *md, size_t step)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char d[64];
    unsigned int n = 0;

    EVP_DigestInit_ex(c, md, NULL);
    for (size_t off = 0; off < len; off += step)
        EVP_DigestUpdate(c, buf + off, len - off < step ? len - off : step);
    EVP_DigestFinal_ex(c, d, &n);
    EVP_MD_CTX_free(c);
    sink += d[0];
}

static void b_md5(void) { evp_oneshot(EVP_md5()); }
static void b_sha1(void) { evp_oneshot(EVP_sha1()); }
static void b_sha256(void) { evp_oneshot(EVP_sha256()); }
static void b_md5_1m(void) { evp_steps(EVP_md5(), 1u << 20); }
static void b_sha256_1m(void) { evp_steps(EVP_sha256(), 1u << 20); }
static void b_sha256_5m(void) { evp_steps(EVP_sha256(), 5u << 20); }
static void b_crc32c(void) { sink += cn_crc32c(0, buf, len); }
static void b_crc32_gzip(void) { sink += crc32_gzip_refl(0, buf, len); }
static void b_crc32_ieee(void) { sink += crc32_ieee(0, buf, len); }
static void b_crc64nvme(void) { sink += cn_crc64nvme(0, buf, len); }
static void b_crc64_ecma(void) { sink += crc64_ecma_refl(0, buf, len); }

static void b_zlib(void)
{
    uLong c = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < len; off += 1u << 30)
        c = crc32(c, buf + off, (uInt)(len - off < (1u << 30) ? len - off : (1u << 30)));
    sink += c;
}

static void passes(unsigned want)
{
    /* what the gateway did before issue 19: one pass per digest */
    for (unsigned bit = 1; bit <= CN_HASH_CRC64NVME; bit <<= 1) {
        cn_hashes_t h;
        if (want & bit) {
            cn_hashes(bit, buf, len, &h);
            sink += h.md5[0];
        }
    }
}

static void b_sep_md5_sha256(void) { passes(CN_HASH_MD5 | CN_HASH_SHA256); }
static void b_sep_md5_sha256_crc32(void) { passes(CN_HASH_MD5 | CN_HASH_SHA256 | CN_HASH_CRC32); }

static void one(unsigned want)
{
    cn_hashes_t h;
    cn_hashes(want, buf, len, &h);
    sink += h.md5[0];
}

static void b_one_md5_sha256(void) { one(CN_HASH_MD5 | CN_HASH_SHA256); }
static void b_one_md5_sha256_crc32(void) { one(CN_HASH_MD5 | CN_HASH_SHA256 | CN_HASH_CRC32); }
static void b_one_md5_crc32c(void) { one(CN_HASH_MD5 | CN_HASH_CRC32C); }
static void b_sep_md5_crc32c(void) { passes(CN_HASH_MD5 | CN_HASH_CRC32C); }

static void run(const char *name, void (*fn)(void))
{
    double best = 1e9;

    for (int i = 0; i < 3; i++) {
        double t0 = now_s();
        fn();
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    printf("%-44s %9.0f MB/s  %7.3f s/GiB\n", name, (double)len / best / 1e6,
           best * (double)(1u << 30) / (double)len);
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;

    len = mib << 20;
    if ((buf = malloc(len)) == NULL)
        return 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 2654435761u >> 13);
    printf("buffer %zu MiB (MB = 10^6 bytes; best of 3)\n", mib);
    run("EVP MD5 one-shot", b_md5);
    run("EVP MD5, 1 MiB updates", b_md5_1m);
    run("EVP SHA-1 one-shot", b_sha1);
    run("EVP SHA-256 one-shot", b_sha256);
    run("EVP SHA-256, 1 MiB updates", b_sha256_1m);
    run("EVP SHA-256, 5 MiB updates", b_sha256_5m);
    run("ISA-L crc32_iscsi (CRC32C, cn_crc32c)", b_crc32c);
    run("ISA-L crc32_gzip_refl (CRC-32, gateway)", b_crc32_gzip);
    run("ISA-L crc32_ieee (not S3's CRC-32)", b_crc32_ieee);
    run("zlib crc32", b_zlib);
    run("CRC-64/NVME slice-by-8 (cn_crc64nvme)", b_crc64nvme);
    run("ISA-L crc64_ecma_refl (other polynomial)", b_crc64_ecma);
    run("MD5 + SHA-256, two passes", b_sep_md5_sha256);
    run("MD5 + SHA-256, one pass (cn_hashes)", b_one_md5_sha256);
    run("MD5 + SHA-256 + CRC-32, three passes", b_sep_md5_sha256_crc32);
    run("MD5 + SHA-256 + CRC-32, one pass", b_one_md5_sha256_crc32);
    run("MD5 + CRC32C, two passes", b_sep_md5_crc32c);
    run("MD5 + CRC32C, one pass", b_one_md5_crc32c);
    free(buf);
    return (int)(sink & 0);
}
