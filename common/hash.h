/*
 * common/hash.h: checksums and digests. CRC-32 and CRC32C through ISA-L, CRC-64/NVME by
 * table, MD5/SHA-1/SHA-256/HMAC through OpenSSL's EVP API. All functions are thread-safe;
 * only the incremental digests and hash sets allocate (their EVP contexts).
 */
#ifndef CAIRN_COMMON_HASH_H
#define CAIRN_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CN_MD5_LEN 16
#define CN_SHA1_LEN 20
#define CN_SHA256_LEN 32
/* the SHA-256 of no bytes, in hex */
#define CN_SHA256_EMPTY_HEX "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/** CRC32C (Castagnoli), chainable: pass the previous result as crc, 0 to start. */
uint32_t cn_crc32c(uint32_t crc, const void *p, size_t n);
/** CRC-32 (zlib's, gzip's, S3's x-amz-checksum-crc32), chainable the same way. */
uint32_t cn_crc32(uint32_t crc, const void *p, size_t n);
/** CRC-64/NVME (S3's x-amz-checksum-crc64nvme), chainable the same way. */
uint64_t cn_crc64nvme(uint64_t crc, const void *p, size_t n);
void cn_md5(const void *p, size_t n, uint8_t out[CN_MD5_LEN]);
void cn_sha256(const void *p, size_t n, uint8_t out[CN_SHA256_LEN]);
void cn_hmac_sha256(const void *key, size_t keylen, const void *p, size_t n,
                    uint8_t out[CN_SHA256_LEN]);

/** Incremental MD5 and SHA-256 (for bodies that arrive in pieces). */
typedef struct cn_digest cn_digest_t;
cn_digest_t *cn_digest_md5_new(void);
cn_digest_t *cn_digest_sha256_new(void);
void cn_digest_update(cn_digest_t *d, const void *p, size_t n);
/** Writes the digest (16 or 32 bytes) and frees d. */
void cn_digest_final(cn_digest_t *d, uint8_t *out);

/* ---- several digests in one pass (issue 19) ------------------------------------------
 * A request body needs up to four digests (SHA-256 of the payload, MD5 for Content-MD5 and
 * the ETag, an x-amz-checksum-*). A hash set reads each byte once: update feeds every wanted
 * digest the same CN_HASH_STEP slice before moving on, so the slice is read from memory once
 * and from cache by the others. */
#define CN_HASH_STEP (1u << 20)

enum {
    CN_HASH_MD5 = 1u << 0,
    CN_HASH_SHA1 = 1u << 1,
    CN_HASH_SHA256 = 1u << 2,
    CN_HASH_CRC32 = 1u << 3,
    CN_HASH_CRC32C = 1u << 4,
    CN_HASH_CRC64NVME = 1u << 5,
};

/** The results: only the members named in have are set. */
typedef struct cn_hashes {
    unsigned have; /* CN_HASH_* */
    uint8_t md5[CN_MD5_LEN];
    uint8_t sha1[CN_SHA1_LEN];
    uint8_t sha256[CN_SHA256_LEN];
    uint32_t crc32;
    uint32_t crc32c;
    uint64_t crc64nvme;
} cn_hashes_t;

struct evp_md_ctx_st;

/** A running hash set, in caller storage; one thread at a time. */
typedef struct cn_hashset {
    uint32_t magic;
    unsigned want;
    struct evp_md_ctx_st *md5, *sha1, *sha256;
    cn_hashes_t acc; /* the CRCs so far */
} cn_hashset_t;

/** Starts the digests in want (CN_HASH_*; 0 is allowed and computes nothing). */
void cn_hashset_init(cn_hashset_t *h, unsigned want);
/** Feeds p[0, n) to every wanted digest, CN_HASH_STEP bytes at a time. */
void cn_hashset_update(cn_hashset_t *h, const void *p, size_t n);
/** Writes the results (out->have = want) and frees h's contexts. */
void cn_hashset_final(cn_hashset_t *h, cn_hashes_t *out);
/** The digests in want of p[0, n), in one pass; the same results as the one-shot functions. */
void cn_hashes(unsigned want, const void *p, size_t n, cn_hashes_t *out);

/** Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void cn_hex(const void *p, size_t n, char *out);
/** Parses 2n hex digits into n bytes; returns 0 or CN_EINVAL. */
int cn_unhex(const char *hex, size_t n, uint8_t *out);
/** Decodes standard base64 b64[0, n) into out (cap bytes): n a non-zero multiple of 4, at
 *  most two '=' of padding at its end, n / 4 * 3 <= cap. 0 with *len the bytes decoded
 *  (padding not counted), or CN_EINVAL. */
int cn_base64_decode(const char *b64, size_t n, void *out, size_t cap, size_t *len);
/** Fills p with n cryptographically random bytes (OpenSSL RAND_bytes); 0 or CN_EIO. */
int cn_random_bytes(void *p, size_t n);

#endif
