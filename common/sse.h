/*
 * common/sse.h: the crypto core of server-side encryption (issue 20): the stored format of an
 * encrypted object, SSE-C key derivation and key check, data-key wrapping for SSE-S3 and
 * SSE-KMS, and the mapping of a plaintext range onto the blocks that hold it. Pure: no I/O, no
 * configuration, no logging; everything through OpenSSL 3's EVP API. The reasons for each
 * choice are in docs/SECURITY.md, "Encryption at rest (issue 20): the format".
 *
 * A stream is the plaintext of one single PUT (part 0) or of one multipart part (part
 * 1..CN_SSE_PART_MAX), of a length P known before it starts (0 <= P <= CN_SSE_PLAIN_MAX). It is
 * cut into blocks of CN_SSE_BLOCK bytes, the last one shorter or (P == 0: the only one) empty,
 * so a stream has cn_sse_blocks(P) = max(1, ceil(P / CN_SSE_BLOCK)) blocks. Block i is stored
 * as AES-256-GCM(DK, nonce, aad, plaintext) || tag, where
 *
 *     nonce = part (u32be) || i (u64be)                                         12 bytes
 *     aad   = CN_SSE_VERSION (u8) || part (u32be) || i (u64be) || final (u8, 1 on the last block)
 *
 * and the stored stream is the blocks one after the other: cn_sse_stored_len(P) = P +
 * CN_SSE_TAG_LEN * cn_sse_blocks(P). Invariants the callers keep:
 * - One data key DK encrypts one stream. A stream that is written again (a part uploaded
 *   again, a copy, a retried PUT) gets a new DK: a new random key, or a new salt for SSE-C.
 *   Nonces are then unique under each DK by construction, never by chance.
 * - Plaintext is released only from blocks whose tag verified; a block that fails leaves no
 *   plaintext in the caller's buffer (it is wiped) and the decryptor fails for good.
 *
 * Hostile input is bounded: lengths above CN_SSE_PLAIN_MAX, part numbers above CN_SSE_PART_MAX,
 * AAD above CN_SSE_AAD_MAX, output buffers below the stated bound and bytes past a stream's
 * end are refused with a code, never asserted. Encryptors and decryptors belong to one
 * thread at a time; the other functions are thread-safe.
 */
#ifndef CAIRN_COMMON_SSE_H
#define CAIRN_COMMON_SSE_H

#include <stddef.h>
#include <stdint.h>

#define CN_SSE_VERSION 1                 /* the format above; first byte of every block's AAD */
#define CN_SSE_BLOCK (64u * 1024)        /* plaintext bytes per block (the last may be fewer) */
#define CN_SSE_TAG_LEN 16                /* GCM tag stored after each block */
#define CN_SSE_STORED_BLOCK (CN_SSE_BLOCK + CN_SSE_TAG_LEN)
#define CN_SSE_KEY_LEN 32                /* AES-256: data keys, KEKs and SSE-C customer keys */
#define CN_SSE_NONCE_LEN 12
#define CN_SSE_SALT_LEN 16               /* SSE-C: random, stored with the object */
#define CN_SSE_CHECK_LEN 32              /* SSE-C: HMAC-SHA256 key check, stored with it */
#define CN_SSE_WRAPPED_LEN (CN_SSE_NONCE_LEN + CN_SSE_KEY_LEN + CN_SSE_TAG_LEN) /* 60 */
#define CN_SSE_PART_MAX 10000u           /* S3's highest part number; 0 is a single PUT */
#define CN_SSE_PLAIN_MAX (1ull << 47)    /* per stream: above [gateway] max_object_size's cap */
#define CN_SSE_AAD_MAX 4096u             /* a wrapping context ("...|bucket/key") at most */

/* ---- lengths ------------------------------------------------------------------------ */

/** Blocks in a stream of plain_len bytes: max(1, ceil(plain_len / CN_SSE_BLOCK)). plain_len
 *  <= CN_SSE_PLAIN_MAX (asserted: callers check lengths first, e.g. with cn_sse_plain_len). */
uint64_t cn_sse_blocks(uint64_t plain_len);
/** Stored bytes of a stream of plain_len bytes (plain_len <= CN_SSE_PLAIN_MAX, asserted). */
uint64_t cn_sse_stored_len(uint64_t plain_len);
/** The plaintext length of a stored stream of stored_len bytes: 0, or CN_ECORRUPT when no
 *  plaintext length gives stored_len (a torn or padded stream). */
int cn_sse_plain_len(uint64_t stored_len, uint64_t *plain_len /* OUT */);

/* ---- range reads -------------------------------------------------------------------- */

/** What to fetch and keep for the plaintext range [off, off + len) of one stream. */
typedef struct cn_sse_range {
    uint64_t plain_len;   /* of the whole stream */
    uint64_t first_block; /* index of the first block that holds the range */
    uint64_t nblocks;     /* blocks to fetch, from first_block on */
    uint64_t stored_off;  /* their bytes in the stored stream: [stored_off, + stored_len) */
    uint64_t stored_len;
    uint32_t skip;        /* plaintext bytes to drop from the first block (< CN_SSE_BLOCK) */
    uint64_t len;         /* plaintext bytes to keep after those */
} cn_sse_range_t;

/** Maps [off, off + len) of a stream of plain_len bytes. 0, or CN_EINVAL when plain_len >
 *  CN_SSE_PLAIN_MAX, len == 0 or the range passes plain_len (the caller answers 416 first). */
int cn_sse_range(uint64_t plain_len, uint64_t off, uint64_t len, cn_sse_range_t *out /* OUT */);

/* ---- streaming encryption and decryption ---------------------------------------------- */

typedef struct cn_sse_enc cn_sse_enc_t;
typedef struct cn_sse_dec cn_sse_dec_t;

/** Output room an update of n input bytes may need, whatever the state: n plus the tags of
 *  every block it can complete. */
#define cn_sse_enc_update_max(n) ((size_t)(n) + CN_SSE_TAG_LEN * ((size_t)(n) / CN_SSE_BLOCK + 2))
/** Plaintext an update of n stored bytes may release: n plus one buffered block. */
#define cn_sse_dec_update_max(n) ((size_t)(n) + CN_SSE_BLOCK)

/** An encryptor of the stream `part` (0..CN_SSE_PART_MAX) of plain_len bytes under dk. It
 *  holds one EVP context (the key schedule) for the whole stream and allocates nothing per
 *  block. 0, or CN_EINVAL for a part or length out of bounds. Free with cn_sse_enc_destroy. */
int cn_sse_enc_create(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t plain_len,
                      cn_sse_enc_t **out /* OUT */);
/** Encrypts in[0, n), any n, into out (cap >= cn_sse_enc_update_max(n)): the ciphertext of
 *  those bytes and the tag of each block they complete; *outlen is what was written. Chunks of
 *  any sizes give the same stored stream as one call. CN_EINVAL, with nothing taken, when cap
 *  is short or the bytes would pass plain_len; CN_EINVAL after final or a failure. */
int cn_sse_enc_update(cn_sse_enc_t *e, const void *in, size_t n, void *out, size_t cap,
                      size_t *outlen /* OUT */);
/** Ends the stream: writes what is left (the empty block's tag when plain_len == 0: cap >=
 *  CN_SSE_TAG_LEN) and checks that plain_len bytes came; CN_EINVAL when fewer did (the
 *  encryptor is then failed and what it wrote must be dropped). */
int cn_sse_enc_final(cn_sse_enc_t *e, void *out, size_t cap, size_t *outlen /* OUT */);
/** Frees e (NULL is fine); wipes its state. */
void cn_sse_enc_destroy(cn_sse_enc_t *e);

/** A decryptor of the stream `part` of plain_len bytes under dk: of all of it (range NULL),
 *  or of the stored bytes of *range, as cn_sse_range(plain_len, ...) gave it, releasing
 *  exactly the range's plaintext (the blocks' bytes before and after it are dropped). It keeps
 *  one EVP context and one stored block of buffer (CN_SSE_STORED_BLOCK). 0, or CN_EINVAL for a
 *  part or length out of bounds or a range cn_sse_range would not give. */
int cn_sse_dec_create(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t plain_len,
                      const cn_sse_range_t *range, cn_sse_dec_t **out /* OUT */);
/** Takes in[0, n), stored bytes in order, any n; writes into out (cap >=
 *  cn_sse_dec_update_max(n)) the plaintext of each block they complete, once its tag
 *  verified; *outlen is what was written. CN_ECORRUPT when a tag fails (the block was altered,
 *  moved, cut, is from another stream or part, or the key is wrong) or bytes come past the
 *  range's end: *outlen then counts the verified bytes written before, the failed block's
 *  bytes in out are wiped, and every later call fails. CN_EINVAL when cap is short (nothing
 *  taken). */
int cn_sse_dec_update(cn_sse_dec_t *d, const void *in, size_t n, void *out, size_t cap,
                      size_t *outlen /* OUT */);
/** Checks that the range's last block came and verified: 0, or CN_ECORRUPT (a truncated
 *  stream; the earlier call failed). */
int cn_sse_dec_final(cn_sse_dec_t *d);
/** Frees d (NULL is fine); wipes its buffer. */
void cn_sse_dec_destroy(cn_sse_dec_t *d);

/* ---- one block ------------------------------------------------------------------------ */

/** Encrypts block idx of stream part: in[0, n) to out (n + CN_SSE_TAG_LEN bytes: ciphertext
 *  then tag). n == CN_SSE_BLOCK unless final, n <= CN_SSE_BLOCK; CN_EINVAL otherwise. Allocates
 *  an EVP context per call: for a stream use the encryptor. */
int cn_sse_block_encrypt(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t idx,
                         int final, const void *in, size_t n, void *out);
/** Decrypts a stored block in[0, n) (ciphertext then tag, n >= CN_SSE_TAG_LEN) to out (n -
 *  CN_SSE_TAG_LEN bytes). CN_ECORRUPT when the tag fails (out wiped), CN_EINVAL for sizes
 *  as in cn_sse_block_encrypt. */
int cn_sse_block_decrypt(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t idx,
                         int final, const void *in, size_t n, void *out);

/* ---- keys ----------------------------------------------------------------------------- */

/** A new random key (data key or KEK) from RAND_bytes: 0 or CN_EIO. */
int cn_sse_random_key(uint8_t key[CN_SSE_KEY_LEN] /* OUT */);

/** SSE-C: DK = HKDF-SHA256(ikm = the customer's key, salt, info = "cairn sse-c object key v1").
 *  The salt is random per stream (cn_random_bytes) and stored with it. 0, or CN_EIO when
 *  OpenSSL fails. */
int cn_sse_c_derive(const uint8_t customer_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);
/** A multipart upload's part: DK = HKDF-SHA256(ikm = the upload's key, salt, info = "cairn sse
 *  part key v1"), the salt random per upload of the part (a part uploaded again is a new
 *  stream). 0, or CN_EIO when OpenSSL fails. */
int cn_sse_part_key(const uint8_t upload_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);
/** SSE-C: the key check stored with the object instead of the key, HMAC-SHA256(key = the
 *  customer's key, "cairn sse-c key check v1" || salt). */
void cn_sse_c_check(const uint8_t customer_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], uint8_t check[CN_SSE_CHECK_LEN] /* OUT */);
/** Whether customer_key is the key that made check: 0, or CN_EACCES (compared in constant
 *  time; S3 answers 403 for a wrong key). */
int cn_sse_c_verify(const uint8_t customer_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], const uint8_t check[CN_SSE_CHECK_LEN]);

/** SSE-S3/SSE-KMS: wraps dk under kek, bound to aad[0, aad_len) (the caller's context, e.g.
 *  "cairn sse wrap v1|<key id>|<epoch>|bucket/key"): wrapped = random nonce || AES-256-GCM
 *  ciphertext || tag. 0, CN_EINVAL for aad_len > CN_SSE_AAD_MAX, or CN_EIO (no randomness). */
int cn_sse_wrap(const uint8_t kek[CN_SSE_KEY_LEN], const uint8_t dk[CN_SSE_KEY_LEN],
                const void *aad, size_t aad_len, uint8_t wrapped[CN_SSE_WRAPPED_LEN] /* OUT */);
/** Unwraps: 0 with dk set, CN_ECORRUPT when the kek, the aad or the bytes are not those of the
 *  wrap (dk wiped), CN_EINVAL for aad_len > CN_SSE_AAD_MAX. */
int cn_sse_unwrap(const uint8_t kek[CN_SSE_KEY_LEN], const uint8_t wrapped[CN_SSE_WRAPPED_LEN],
                  const void *aad, size_t aad_len, uint8_t dk[CN_SSE_KEY_LEN] /* OUT */);

#endif
