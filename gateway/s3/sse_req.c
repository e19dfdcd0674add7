/*
 * gateway/s3/sse_req.c: the server-side encryption headers of a request (see sse_req.h). The
 * headers are first picked out of the request's by name, each at most once; then S3's rules are
 * checked in S3's order. Base64 is taken only in its canonical form (decoded, then encoded back
 * to the same text), so a key has one spelling. Key bytes live in the caller's gw_sse_req_t and
 * in stack buffers that are wiped before return. Pure.
 */
#include "gateway/s3/sse_req.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define B64_KEY_MAX 1024 /* a customer key header past this is invalid without decoding it */

/* The headers read, in the order of `names`. */
enum {
    H_SSE,
    H_KMS_KEY,
    H_CONTEXT,
    H_BUCKET_KEY,
    H_C_ALG,
    H_C_KEY,
    H_C_MD5,
    H_SRC_ALG,
    H_SRC_KEY,
    H_SRC_MD5,
    H_COUNT
};

static const char *const names[H_COUNT] = {
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-context",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-customer-algorithm",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-server-side-encryption-customer-key-md5",
    "x-amz-copy-source-server-side-encryption-customer-algorithm",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key-md5",
};

static const char kms_only_msg[] = "Server Side Encryption with AWS KMS managed key requires HTTP "
                                   "header x-amz-server-side-encryption : aws:kms";
static const char bad_key_msg[] = "The secret key was invalid for the specified algorithm.";

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* The index of header name s among `names`, or -1. */
static int header_index(cn_slice_t s)
{
    for (int i = 0; i < H_COUNT; i++) {
        size_t len = strlen(names[i]), j;

        if (s.len != len)
            continue;
        for (j = 0; j < len && lower((unsigned char)s.ptr[j]) == names[i][j]; j++)
            ;
        if (j == len)
            return i;
    }
    return -1;
}

static int slice_is(cn_slice_t s, const char *want)
{
    return s.ptr != NULL && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static int slice_is_icase(cn_slice_t s, const char *want)
{
    if (s.ptr == NULL || s.len != strlen(want))
        return 0;
    for (size_t i = 0; i < s.len; i++)
        if (lower((unsigned char)s.ptr[i]) != want[i])
            return 0;
    return 1;
}

/* Decodes canonical base64 s (at most GW_SSE_CONTEXT_MAX bytes) into out (cap >= s.len / 4 *
 * 3): 0 with *len, or -1 (not base64, or not the one spelling of its bytes; out then wiped). */
static int b64_canonical(cn_slice_t s, uint8_t *out, size_t cap, size_t *len)
{
    char again[GW_SSE_CONTEXT_MAX + 4];
    int ok;

    if (s.len > GW_SSE_CONTEXT_MAX || cn_base64_decode(s.ptr, s.len, out, cap, len) != 0) {
        OPENSSL_cleanse(out, cap);
        return -1;
    }
    ok = EVP_EncodeBlock((unsigned char *)again, out, (int)*len) == (int)s.len &&
         memcmp(again, s.ptr, s.len) == 0;
    OPENSSL_cleanse(again, sizeof(again));
    if (!ok)
        OPENSSL_cleanse(out, cap);
    return ok ? 0 : -1;
}

/* One SSE-C trio (alg, key, md5: ptr NULL when absent) into *c, S3's order. */
static gw_s3_err_t customer(const cn_slice_t *v, gw_sse_cust_t *c, const char **msg)
{
    uint8_t key[B64_KEY_MAX / 4 * 3], md5[CN_MD5_LEN], given[CN_MD5_LEN + 2];
    size_t key_len, md5_len;
    gw_s3_err_t e = GW_S3_INVALID_ARGUMENT;
    int md5_ok;

    if (v[0].ptr == NULL && v[1].ptr == NULL && v[2].ptr == NULL)
        return GW_S3_OK;
    if (v[0].ptr == NULL) {
        *msg = "Requests specifying Server Side Encryption with Customer provided keys must "
               "provide a valid encryption algorithm.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (!slice_is(v[0], "AES256"))
        return GW_S3_INVALID_ENCRYPTION_ALGORITHM;
    if (v[1].ptr == NULL) {
        *msg = "Requests specifying Server Side Encryption with Customer provided keys must "
               "provide an appropriate secret key.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (v[2].ptr == NULL) {
        *msg = "Requests specifying Server Side Encryption with Customer provided keys must "
               "provide the client calculated MD5 of the secret key.";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (v[1].len > B64_KEY_MAX || b64_canonical(v[1], key, sizeof(key), &key_len) != 0) {
        *msg = bad_key_msg;
        return GW_S3_INVALID_ARGUMENT;
    }
    cn_md5(key, key_len, md5);
    md5_ok = v[2].len == GW_SSE_MD5_B64_LEN &&
             b64_canonical(v[2], given, sizeof(given), &md5_len) == 0 && md5_len == CN_MD5_LEN &&
             CRYPTO_memcmp(given, md5, CN_MD5_LEN) == 0;
    if (!md5_ok) {
        *msg = "The calculated MD5 hash of the key did not match the hash that was provided.";
    } else if (key_len != CN_SSE_KEY_LEN) {
        *msg = bad_key_msg;
    } else {
        memcpy(c->key, key, CN_SSE_KEY_LEN);
        memcpy(c->md5, md5, CN_MD5_LEN);
        memcpy(c->md5_b64, v[2].ptr, GW_SSE_MD5_B64_LEN);
        c->md5_b64[GW_SSE_MD5_B64_LEN] = '\0';
        c->given = 1;
        e = GW_S3_OK;
    }
    OPENSSL_cleanse(key, sizeof(key));
    return e;
}

int gw_sse_kms_key_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > GW_SSE_KMS_KEY_ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '!' || s[i] > '~')
            return 0;
    return 1;
}

/* The context header v: base64 of a JSON object whose values are strings. Its compact, sorted
 * JSON (allocated) into *out: 0 or -1. */
static int context(cn_slice_t v, char **out)
{
    uint8_t raw[GW_SSE_CONTEXT_MAX / 4 * 3];
    json_t *doc = NULL, *val;
    const char *k;
    size_t len;
    char *txt;
    int rc = -1;

    if (v.len > GW_SSE_CONTEXT_MAX || b64_canonical(v, raw, sizeof(raw), &len) != 0)
        return -1;
    doc = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc))
        goto out;
    json_object_foreach(doc, k, val) {
        if (!json_is_string(val))
            goto out;
    }
    if ((txt = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
        goto out;
    *out = cn_strdup(txt);
    free(txt); /* jansson's */
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* The rules of sse_req.h in order, the headers picked out in v. */
static gw_s3_err_t check(const cn_slice_t *v, gw_sse_req_t *out, const char **msg)
{
    int any_c = v[H_C_ALG].ptr || v[H_C_KEY].ptr || v[H_C_MD5].ptr;
    gw_s3_err_t e;

    if (any_c && v[H_SSE].ptr != NULL) {
        *msg = "Server Side Encryption with Customer provided key is incompatible with the "
               "encryption method specified";
        return GW_S3_INVALID_ARGUMENT;
    }
    if ((e = customer(&v[H_C_ALG], &out->cust, msg)) != GW_S3_OK ||
        (e = customer(&v[H_SRC_ALG], &out->copy_src, msg)) != GW_S3_OK)
        return e;
    if (out->cust.given)
        out->mode = GW_SSE_C;
    if (v[H_SSE].ptr != NULL) {
        if (slice_is(v[H_SSE], "AES256")) {
            out->mode = GW_SSE_S3;
        } else if (slice_is(v[H_SSE], "aws:kms")) {
            out->mode = GW_SSE_KMS;
        } else if (slice_is(v[H_SSE], "aws:kms:dsse")) {
            *msg = "Dual-layer server-side encryption (aws:kms:dsse) is not implemented.";
            return GW_S3_NOT_IMPLEMENTED; /* TODO(sse): DSSE-KMS #20 */
        } else {
            *msg = "The encryption method specified is not supported";
            return GW_S3_INVALID_ARGUMENT;
        }
    }
    if ((v[H_KMS_KEY].ptr != NULL || v[H_CONTEXT].ptr != NULL) && out->mode != GW_SSE_KMS) {
        *msg = kms_only_msg;
        return GW_S3_INVALID_ARGUMENT;
    }
    if (v[H_KMS_KEY].ptr != NULL) {
        if (!gw_sse_kms_key_id_valid(v[H_KMS_KEY].ptr, v[H_KMS_KEY].len)) {
            *msg = "The x-amz-server-side-encryption-aws-kms-key-id header is not a valid KMS "
                   "key id.";
            return GW_S3_INVALID_ARGUMENT;
        }
        out->kms_key_id = cn_strndup(v[H_KMS_KEY].ptr, v[H_KMS_KEY].len);
    }
    if (v[H_CONTEXT].ptr != NULL && context(v[H_CONTEXT], &out->context) != 0) {
        *msg = "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 "
               "string holding JSON which represents a string-string map";
        return GW_S3_INVALID_ARGUMENT;
    }
    if (v[H_BUCKET_KEY].ptr != NULL) {
        if (slice_is_icase(v[H_BUCKET_KEY], "true")) {
            out->bucket_key = 1;
        } else if (!slice_is_icase(v[H_BUCKET_KEY], "false")) {
            *msg = "The x-amz-server-side-encryption-bucket-key-enabled header must be true or "
                   "false.";
            return GW_S3_INVALID_ARGUMENT;
        }
        out->bucket_key_given = 1;
    }
    return GW_S3_OK;
}

gw_s3_err_t gw_sse_req_parse(const gw_sse_hdr_t *h, size_t n, gw_sse_req_t *out,
                             const char **msg)
{
    cn_slice_t v[H_COUNT];
    gw_s3_err_t e;

    *msg = NULL;
    memset(out, 0, sizeof(*out));
    memset(v, 0, sizeof(v));
    for (size_t i = 0; i < n; i++) {
        int k = header_index(h[i].name);

        if (k < 0)
            continue;
        if (v[k].ptr != NULL) {
            *msg = "A server-side encryption header was given more than once.";
            return GW_S3_INVALID_ARGUMENT;
        }
        /* an empty value is still a value: never NULL */
        v[k] = h[i].value.ptr != NULL ? h[i].value : cn_slice("", 0);
    }
    if ((e = check(v, out, msg)) != GW_S3_OK)
        gw_sse_req_dispose(out);
    return e;
}

void gw_sse_req_dispose(gw_sse_req_t *r)
{
    cn_free(r->kms_key_id);
    cn_free(r->context);
    OPENSSL_cleanse(r, sizeof(*r));
}

const char *gw_sse_mode_header(gw_sse_mode_t mode)
{
    return mode == GW_SSE_S3 ? "AES256" : mode == GW_SSE_KMS ? "aws:kms" : NULL;
}
