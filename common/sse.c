/*
 * common/sse.c: the crypto core of server-side encryption (format and invariants in sse.h,
 * reasons in docs/SECURITY.md). AES-256-GCM, HKDF and HMAC through OpenSSL 3's EVP API.
 * An encryptor or decryptor sets its key once (EVP_CipherInit_ex with the cipher and key) and
 * then, per block, only the nonce (EVP_CipherInit_ex with NULLs and the IV), which keeps the
 * key schedule and allocates nothing. The encryptor knows the stream's length, so it knows at
 * each block's start whether the block is the last one, as the AAD must be given before the
 * plaintext: it encrypts straight from the caller's input into its output, without copying.
 * The decryptor must not release a block before its tag is checked: a block that arrives
 * whole in one input is decrypted straight into the caller's output (and wiped there if the
 * tag fails); one that arrives in pieces, or that a range cuts, goes through its buffer.
 * OpenSSL failures other than a failed tag cannot happen with valid arguments and abort, as
 * in common/hash.c.
 */
#include "common/sse.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"

#define ENC_MAGIC 0x53534545u /* "SSEE" */
#define DEC_MAGIC 0x53534544u /* "SSED" */
#define AAD_LEN 14            /* version, part, block index, final */
#define HKDF_INFO "cairn sse-c object key v1"
#define PART_INFO "cairn sse part key v1"
#define CHECK_LABEL "cairn sse-c key check v1"

enum { ST_OPEN, ST_DONE, ST_FAILED };

struct cn_sse_enc {
    uint32_t magic;
    int state;
    int in_block; /* the current block's nonce and AAD are set */
    uint32_t part;
    uint64_t plain_len, total; /* total: blocks in the stream */
    uint64_t pos;              /* plaintext bytes taken */
    EVP_CIPHER_CTX *ctx;
};

struct cn_sse_dec {
    uint32_t magic;
    int state;
    uint32_t part;
    uint64_t plain_len, total;
    uint64_t idx, end;  /* the next block expected, one past the range's last */
    uint64_t skip;      /* plaintext still to drop (first block of a range) */
    uint64_t want;      /* plaintext still to release */
    size_t have;        /* stored bytes of block idx in buf */
    EVP_CIPHER_CTX *ctx;
    uint8_t buf[CN_SSE_STORED_BLOCK];
};

static void ossl_ok(int ok, const char *what)
{
    if (ok != 1)
        CN_FATAL("OpenSSL %s failed", what);
}

uint64_t cn_sse_blocks(uint64_t plain_len)
{
    CN_ASSERT(plain_len <= CN_SSE_PLAIN_MAX);
    return plain_len == 0 ? 1 : (plain_len + CN_SSE_BLOCK - 1) / CN_SSE_BLOCK;
}

uint64_t cn_sse_stored_len(uint64_t plain_len)
{
    return plain_len + CN_SSE_TAG_LEN * cn_sse_blocks(plain_len);
}

int cn_sse_plain_len(uint64_t stored_len, uint64_t *plain_len)
{
    uint64_t blocks, plain;

    if (stored_len < CN_SSE_TAG_LEN || stored_len > cn_sse_stored_len(CN_SSE_PLAIN_MAX))
        return CN_ECORRUPT;
    blocks = (stored_len + CN_SSE_STORED_BLOCK - 1) / CN_SSE_STORED_BLOCK;
    if (stored_len - (blocks - 1) * CN_SSE_STORED_BLOCK < CN_SSE_TAG_LEN)
        return CN_ECORRUPT; /* a last block shorter than its tag */
    plain = stored_len - blocks * CN_SSE_TAG_LEN;
    if (cn_sse_stored_len(plain) != stored_len)
        return CN_ECORRUPT; /* an empty block after a full one: never written */
    *plain_len = plain;
    return 0;
}

/* Plaintext bytes of block idx of a stream of plain_len bytes. */
static size_t block_plain(uint64_t plain_len, uint64_t idx)
{
    uint64_t start = idx * CN_SSE_BLOCK;

    if (start >= plain_len)
        return 0;
    return plain_len - start < CN_SSE_BLOCK ? (size_t)(plain_len - start) : CN_SSE_BLOCK;
}

int cn_sse_range(uint64_t plain_len, uint64_t off, uint64_t len, cn_sse_range_t *out)
{
    uint64_t last, end;

    if (plain_len > CN_SSE_PLAIN_MAX || len == 0 || off >= plain_len || len > plain_len - off)
        return CN_EINVAL;
    memset(out, 0, sizeof(*out));
    out->plain_len = plain_len;
    out->first_block = off / CN_SSE_BLOCK;
    last = (off + len - 1) / CN_SSE_BLOCK;
    out->nblocks = last - out->first_block + 1;
    out->stored_off = out->first_block * CN_SSE_STORED_BLOCK;
    end = last + 1 == cn_sse_blocks(plain_len) ? cn_sse_stored_len(plain_len)
                                                : (last + 1) * CN_SSE_STORED_BLOCK;
    out->stored_len = end - out->stored_off;
    out->skip = (uint32_t)(off - out->first_block * CN_SSE_BLOCK);
    out->len = len;
    return 0;
}

/* ---- one block on a keyed context ------------------------------------------------------ */

static EVP_CIPHER_CTX *gcm_new(const uint8_t key[CN_SSE_KEY_LEN], int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL)
        CN_FATAL("out of memory allocating a cipher context");
    ossl_ok(EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL, enc), "GCM init");
    return ctx;
}

/* Sets the nonce and the AAD of block idx: the context is ready for its bytes. */
static void block_start(EVP_CIPHER_CTX *ctx, uint32_t part, uint64_t idx, int final, int enc)
{
    uint8_t nonce[CN_SSE_NONCE_LEN], aad[AAD_LEN];
    int len = 0;

    cn_put_u32be(nonce, part);
    cn_put_u64be(nonce + 4, idx);
    aad[0] = CN_SSE_VERSION;
    cn_put_u32be(aad + 1, part);
    cn_put_u64be(aad + 5, idx);
    aad[13] = final ? 1 : 0;
    ossl_ok(EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc), "GCM nonce");
    ossl_ok(EVP_CipherUpdate(ctx, NULL, &len, aad, AAD_LEN), "GCM AAD");
}

/* n <= CN_SSE_BLOCK, so an int holds it. */
static void block_bytes(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t n, uint8_t *out)
{
    int len = 0;

    if (n > 0)
        ossl_ok(EVP_CipherUpdate(ctx, out, &len, in, (int)n), "GCM update");
}

static void block_seal(EVP_CIPHER_CTX *ctx, uint8_t tag[CN_SSE_TAG_LEN])
{
    uint8_t none[16];
    int len = 0;

    ossl_ok(EVP_CipherFinal_ex(ctx, none, &len), "GCM final");
    ossl_ok(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CN_SSE_TAG_LEN, tag), "GCM tag");
}

/* Decrypts the stored block in[0, plain + tag) into out[0, plain) (out == in is allowed);
 * CN_ECORRUPT with out wiped when the tag fails. */
static int block_open(EVP_CIPHER_CTX *ctx, uint32_t part, uint64_t idx, int final,
                      const uint8_t *in, size_t plain, uint8_t *out)
{
    uint8_t tag[CN_SSE_TAG_LEN], none[16];
    int len = 0;

    memcpy(tag, in + plain, CN_SSE_TAG_LEN);
    block_start(ctx, part, idx, final, 0);
    block_bytes(ctx, in, plain, out);
    ossl_ok(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CN_SSE_TAG_LEN, tag), "GCM tag");
    if (EVP_CipherFinal_ex(ctx, none, &len) != 1) {
        OPENSSL_cleanse(out, plain);
        return CN_ECORRUPT;
    }
    return 0;
}

static int block_args_ok(uint32_t part, int final, size_t plain)
{
    return part <= CN_SSE_PART_MAX && plain <= CN_SSE_BLOCK && (final || plain == CN_SSE_BLOCK);
}

int cn_sse_block_encrypt(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t idx,
                         int final, const void *in, size_t n, void *out)
{
    EVP_CIPHER_CTX *ctx;

    if (!block_args_ok(part, final, n))
        return CN_EINVAL;
    ctx = gcm_new(dk, 1);
    block_start(ctx, part, idx, final, 1);
    block_bytes(ctx, in, n, out);
    block_seal(ctx, (uint8_t *)out + n);
    EVP_CIPHER_CTX_free(ctx);
    return 0;
}

int cn_sse_block_decrypt(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t idx,
                         int final, const void *in, size_t n, void *out)
{
    EVP_CIPHER_CTX *ctx;
    int rc;

    if (n < CN_SSE_TAG_LEN || !block_args_ok(part, final, n - CN_SSE_TAG_LEN))
        return CN_EINVAL;
    ctx = gcm_new(dk, 0);
    rc = block_open(ctx, part, idx, final, in, n - CN_SSE_TAG_LEN, out);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* ---- the encryptor ------------------------------------------------------------------- */

int cn_sse_enc_create(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t plain_len,
                      cn_sse_enc_t **out)
{
    cn_sse_enc_t *e;

    if (part > CN_SSE_PART_MAX || plain_len > CN_SSE_PLAIN_MAX)
        return CN_EINVAL;
    e = cn_calloc(1, sizeof(*e));
    e->magic = ENC_MAGIC;
    e->state = ST_OPEN;
    e->part = part;
    e->plain_len = plain_len;
    e->total = cn_sse_blocks(plain_len);
    e->ctx = gcm_new(dk, 1);
    *out = e;
    return 0;
}

int cn_sse_enc_update(cn_sse_enc_t *e, const void *in, size_t n, void *out, size_t cap,
                      size_t *outlen)
{
    const uint8_t *src = in;
    uint8_t *dst = out;

    CN_CHECK_OBJ(e, ENC_MAGIC);
    *outlen = 0;
    if (e->state != ST_OPEN || n > e->plain_len - e->pos || cap < cn_sse_enc_update_max(n))
        return CN_EINVAL;
    while (n > 0) {
        uint64_t idx = e->pos / CN_SSE_BLOCK;
        uint64_t end = (idx + 1) * CN_SSE_BLOCK < e->plain_len ? (idx + 1) * CN_SSE_BLOCK
                                                                : e->plain_len;
        size_t take = n < end - e->pos ? n : (size_t)(end - e->pos);

        if (!e->in_block) {
            block_start(e->ctx, e->part, idx, idx + 1 == e->total, 1);
            e->in_block = 1;
        }
        block_bytes(e->ctx, src, take, dst);
        src += take;
        dst += take;
        n -= take;
        e->pos += take;
        if (e->pos == end) {
            block_seal(e->ctx, dst);
            dst += CN_SSE_TAG_LEN;
            e->in_block = 0;
        }
    }
    *outlen = (size_t)(dst - (uint8_t *)out);
    return 0;
}

int cn_sse_enc_final(cn_sse_enc_t *e, void *out, size_t cap, size_t *outlen)
{
    CN_CHECK_OBJ(e, ENC_MAGIC);
    *outlen = 0;
    if (e->state != ST_OPEN)
        return CN_EINVAL;
    if (e->pos != e->plain_len) {
        e->state = ST_FAILED;
        return CN_EINVAL;
    }
    if (e->plain_len == 0) {
        if (cap < CN_SSE_TAG_LEN)
            return CN_EINVAL;
        block_start(e->ctx, e->part, 0, 1, 1);
        block_seal(e->ctx, out);
        *outlen = CN_SSE_TAG_LEN;
    }
    e->state = ST_DONE;
    return 0;
}

void cn_sse_enc_destroy(cn_sse_enc_t *e)
{
    if (e == NULL)
        return;
    CN_CHECK_OBJ(e, ENC_MAGIC);
    EVP_CIPHER_CTX_free(e->ctx); /* wipes the key schedule */
    OPENSSL_cleanse(e, sizeof(*e));
    cn_free(e);
}

/* ---- the decryptor ------------------------------------------------------------------- */

static int same_range(const cn_sse_range_t *a, const cn_sse_range_t *b)
{
    return a->plain_len == b->plain_len && a->first_block == b->first_block &&
           a->nblocks == b->nblocks && a->stored_off == b->stored_off &&
           a->stored_len == b->stored_len && a->skip == b->skip && a->len == b->len;
}

int cn_sse_dec_create(const uint8_t dk[CN_SSE_KEY_LEN], uint32_t part, uint64_t plain_len,
                      const cn_sse_range_t *range, cn_sse_dec_t **out)
{
    cn_sse_range_t whole = {0}, check;
    cn_sse_dec_t *d;

    if (part > CN_SSE_PART_MAX || plain_len > CN_SSE_PLAIN_MAX)
        return CN_EINVAL;
    if (range == NULL) {
        whole.plain_len = plain_len;
        whole.nblocks = cn_sse_blocks(plain_len);
        whole.stored_len = cn_sse_stored_len(plain_len);
        whole.len = plain_len;
        range = &whole;
    } else if (range->skip >= CN_SSE_BLOCK ||
               range->first_block > CN_SSE_PLAIN_MAX / CN_SSE_BLOCK ||
               cn_sse_range(plain_len, range->first_block * CN_SSE_BLOCK + range->skip,
                            range->len, &check) != 0 ||
               !same_range(&check, range)) {
        return CN_EINVAL;
    }
    d = cn_malloc(sizeof(*d));
    memset(d, 0, offsetof(cn_sse_dec_t, buf));
    d->magic = DEC_MAGIC;
    d->state = ST_OPEN;
    d->part = part;
    d->plain_len = plain_len;
    d->total = cn_sse_blocks(plain_len);
    d->idx = range->first_block;
    d->end = range->first_block + range->nblocks;
    d->skip = range->skip;
    d->want = range->len;
    d->ctx = gcm_new(dk, 0);
    *out = d;
    return 0;
}

/* Opens block d->idx from src (stored bytes) into dst; on failure the decryptor is failed. */
static int dec_block(cn_sse_dec_t *d, const uint8_t *src, size_t plain, uint8_t *dst)
{
    int rc = block_open(d->ctx, d->part, d->idx, d->idx + 1 == d->total, src, plain, dst);

    if (rc != 0)
        d->state = ST_FAILED;
    d->idx++;
    return rc;
}

int cn_sse_dec_update(cn_sse_dec_t *d, const void *in, size_t n, void *out, size_t cap,
                      size_t *outlen)
{
    const uint8_t *src = in;
    uint8_t *dst = out;
    int rc = 0;

    CN_CHECK_OBJ(d, DEC_MAGIC);
    *outlen = 0;
    if (d->state == ST_FAILED)
        return CN_ECORRUPT;
    if (d->state != ST_OPEN || n > CN_SSE_PLAIN_MAX || cap < cn_sse_dec_update_max(n))
        return CN_EINVAL;
    while (n > 0) {
        size_t plain, need, take, keep;
        int trim;

        if (d->idx == d->end) {
            d->state = ST_FAILED; /* bytes past the stream's (or the range's) end */
            rc = CN_ECORRUPT;
            break;
        }
        plain = block_plain(d->plain_len, d->idx);
        need = plain + CN_SSE_TAG_LEN;
        trim = d->skip > 0 || plain > d->want;
        if (d->have == 0 && n >= need && !trim) {
            /* the whole block is in the input: straight into the output */
            if ((rc = dec_block(d, src, plain, dst)) != 0)
                break;
            src += need;
            n -= need;
            dst += plain;
            d->want -= plain;
            continue;
        }
        take = need - d->have < n ? need - d->have : n;
        memcpy(d->buf + d->have, src, take);
        d->have += take;
        src += take;
        n -= take;
        if (d->have < need)
            break;
        d->have = 0;
        if (!trim) {
            if ((rc = dec_block(d, d->buf, plain, dst)) != 0)
                break;
            dst += plain;
            d->want -= plain;
            continue;
        }
        if ((rc = dec_block(d, d->buf, plain, d->buf)) != 0)
            break;
        keep = plain - d->skip < d->want ? plain - (size_t)d->skip : (size_t)d->want;
        memcpy(dst, d->buf + d->skip, keep);
        OPENSSL_cleanse(d->buf, plain);
        dst += keep;
        d->want -= keep;
        d->skip = 0;
    }
    *outlen = (size_t)(dst - (uint8_t *)out);
    return rc;
}

int cn_sse_dec_final(cn_sse_dec_t *d)
{
    CN_CHECK_OBJ(d, DEC_MAGIC);
    if (d->state == ST_FAILED)
        return CN_ECORRUPT;
    if (d->state != ST_OPEN)
        return CN_EINVAL;
    if (d->idx != d->end || d->have != 0) {
        d->state = ST_FAILED; /* truncated: the range's last block never came whole */
        return CN_ECORRUPT;
    }
    d->state = ST_DONE;
    return 0;
}

void cn_sse_dec_destroy(cn_sse_dec_t *d)
{
    if (d == NULL)
        return;
    CN_CHECK_OBJ(d, DEC_MAGIC);
    EVP_CIPHER_CTX_free(d->ctx);
    OPENSSL_cleanse(d, sizeof(*d));
    cn_free(d);
}

/* ---- keys ------------------------------------------------------------------------------ */

int cn_sse_random_key(uint8_t key[CN_SSE_KEY_LEN])
{
    return cn_random_bytes(key, CN_SSE_KEY_LEN);
}

/* HKDF-SHA256(ikm, salt, info) into dk: 0 or CN_EIO. */
static int hkdf(const uint8_t ikm[CN_SSE_KEY_LEN], const uint8_t salt[CN_SSE_SALT_LEN],
                char *info, size_t info_len, uint8_t dk[CN_SSE_KEY_LEN])
{
    static char digest[] = "SHA256";
    OSSL_PARAM params[5];
    EVP_KDF_CTX *kctx = NULL;
    EVP_KDF *kdf;
    int rc = CN_EIO;

    /* OSSL_PARAM takes non-const pointers for what it only reads */
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)ikm, CN_SSE_KEY_LEN);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)(uintptr_t)salt,
                                                  CN_SSE_SALT_LEN);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, info_len);
    params[4] = OSSL_PARAM_construct_end();
    if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
        return CN_EIO;
    if ((kctx = EVP_KDF_CTX_new(kdf)) != NULL &&
        EVP_KDF_derive(kctx, dk, CN_SSE_KEY_LEN, params) == 1)
        rc = 0;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

int cn_sse_c_derive(const uint8_t customer_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], uint8_t dk[CN_SSE_KEY_LEN])
{
    static char info[] = HKDF_INFO;
    return hkdf(customer_key, salt, info, sizeof(info) - 1, dk);
}

int cn_sse_part_key(const uint8_t upload_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], uint8_t dk[CN_SSE_KEY_LEN])
{
    static char info[] = PART_INFO;
    return hkdf(upload_key, salt, info, sizeof(info) - 1, dk);
}

void cn_sse_c_check(const uint8_t customer_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], uint8_t check[CN_SSE_CHECK_LEN])
{
    uint8_t msg[sizeof(CHECK_LABEL) - 1 + CN_SSE_SALT_LEN];

    memcpy(msg, CHECK_LABEL, sizeof(CHECK_LABEL) - 1);
    memcpy(msg + sizeof(CHECK_LABEL) - 1, salt, CN_SSE_SALT_LEN);
    cn_hmac_sha256(customer_key, CN_SSE_KEY_LEN, msg, sizeof(msg), check);
}

int cn_sse_c_verify(const uint8_t customer_key[CN_SSE_KEY_LEN],
                    const uint8_t salt[CN_SSE_SALT_LEN], const uint8_t check[CN_SSE_CHECK_LEN])
{
    uint8_t got[CN_SSE_CHECK_LEN];

    cn_sse_c_check(customer_key, salt, got);
    return CRYPTO_memcmp(got, check, CN_SSE_CHECK_LEN) == 0 ? 0 : CN_EACCES;
}

/* One GCM message under kek with a caller's nonce and AAD: the key wrap's cipher. */
static int wrap_cipher(const uint8_t kek[CN_SSE_KEY_LEN], const uint8_t nonce[CN_SSE_NONCE_LEN],
                       const void *aad, size_t aad_len, const uint8_t *in, uint8_t *out,
                       uint8_t tag[CN_SSE_TAG_LEN], int enc)
{
    EVP_CIPHER_CTX *ctx = gcm_new(kek, enc);
    uint8_t none[16];
    int len = 0, rc = 0;

    ossl_ok(EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc), "GCM nonce");
    if (aad_len > 0)
        ossl_ok(EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aad_len), "GCM AAD");
    ossl_ok(EVP_CipherUpdate(ctx, out, &len, in, CN_SSE_KEY_LEN), "GCM update");
    if (enc) {
        block_seal(ctx, tag);
    } else {
        ossl_ok(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CN_SSE_TAG_LEN, tag), "GCM tag");
        if (EVP_CipherFinal_ex(ctx, none, &len) != 1) {
            OPENSSL_cleanse(out, CN_SSE_KEY_LEN);
            rc = CN_ECORRUPT;
        }
    }
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int cn_sse_wrap(const uint8_t kek[CN_SSE_KEY_LEN], const uint8_t dk[CN_SSE_KEY_LEN],
                const void *aad, size_t aad_len, uint8_t wrapped[CN_SSE_WRAPPED_LEN])
{
    if (aad_len > CN_SSE_AAD_MAX)
        return CN_EINVAL;
    if (cn_random_bytes(wrapped, CN_SSE_NONCE_LEN) != 0)
        return CN_EIO;
    return wrap_cipher(kek, wrapped, aad, aad_len, dk, wrapped + CN_SSE_NONCE_LEN,
                       wrapped + CN_SSE_NONCE_LEN + CN_SSE_KEY_LEN, 1);
}

int cn_sse_unwrap(const uint8_t kek[CN_SSE_KEY_LEN], const uint8_t wrapped[CN_SSE_WRAPPED_LEN],
                  const void *aad, size_t aad_len, uint8_t dk[CN_SSE_KEY_LEN])
{
    uint8_t tag[CN_SSE_TAG_LEN];

    if (aad_len > CN_SSE_AAD_MAX)
        return CN_EINVAL;
    memcpy(tag, wrapped + CN_SSE_NONCE_LEN + CN_SSE_KEY_LEN, CN_SSE_TAG_LEN);
    return wrap_cipher(kek, wrapped, aad, aad_len, wrapped + CN_SSE_NONCE_LEN, dk, tag, 0);
}
