/*
 * common/hash.h: checksums and digests. CRC32C through ISA-L, MD5/SHA-1/SHA-256/HMAC
 * through OpenSSL's EVP API. All functions are thread-safe and allocation-free.
 */
#ifndef CAIRN_COMMON_HASH_H
#define CAIRN_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

#define CN_MD5_LEN 16
#define CN_SHA1_LEN 20
#define CN_SHA256_LEN 32

/** CRC32C (Castagnoli), chainable: pass the previous result as crc, 0 to start. */
uint32_t cn_crc32c(uint32_t crc, const void *p, size_t n);
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

/** Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void cn_hex(const void *p, size_t n, char *out);
/** Parses 2n hex digits into n bytes; returns 0 or CN_EINVAL. */
int cn_unhex(const char *hex, size_t n, uint8_t *out);
/** Fills p with n cryptographically random bytes (OpenSSL RAND_bytes); 0 or CN_EIO. */
int cn_random_bytes(void *p, size_t n);

#endif
