/*
 * gateway/s3/sse_obj.c: an encrypted object's encryption record and its key operations (see
 * sse_obj.h). The wrap's AAD holds the context's SHA-256, not the context, so that it stays
 * within CN_SSE_AAD_MAX whatever the client sent.
 */
#include "gateway/s3/sse_obj.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"

enum { REC_S3 = 1, REC_KMS = 2, REC_C = 3 };

/* Big-endian integers appended to b (common/buf.h's byte order helpers). */
static void put_u16(cn_buf_t *b, size_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    cn_buf_append(b, x, 2);
}

static void put_u32(cn_buf_t *b, uint32_t v)
{
    uint8_t x[4];
    cn_put_u32be(x, v);
    cn_buf_append(b, x, 4);
}

static void put_u64(cn_buf_t *b, uint64_t v)
{
    uint8_t x[8];
    cn_put_u64be(x, v);
    cn_buf_append(b, x, 8);
}

static void encode_parts(const gw_sse_obj_t *o, cn_buf_t *out)
{
    if (!o->multipart)
        return;
    put_u32(out, (uint32_t)o->nparts);
    for (size_t i = 0; i < o->nparts; i++) {
        put_u32(out, o->parts[i].number);
        cn_buf_append(out, o->parts[i].salt, CN_SSE_SALT_LEN);
        put_u64(out, o->parts[i].plain_len);
    }
}

void gw_sse_obj_encode(const gw_sse_obj_t *o, cn_buf_t *out)
{
    uint8_t head[3] = {o->multipart ? GW_SSE_OBJ_MULTIPART : GW_SSE_OBJ_VERSION, 0,
                       (uint8_t)(o->bucket_key ? 1 : 0)};

    head[1] = o->mode == GW_SSE_C ? REC_C : o->mode == GW_SSE_KMS ? REC_KMS : REC_S3;
    cn_buf_append(out, head, sizeof(head));
    if (o->mode == GW_SSE_C) {
        cn_buf_append(out, o->salt, sizeof(o->salt));
        cn_buf_append(out, o->check, sizeof(o->check));
        encode_parts(o, out);
        return;
    }
    put_u32(out, o->epoch);
    cn_buf_append(out, o->wrapped, sizeof(o->wrapped));
    put_u16(out, strlen(o->key_name));
    cn_buf_append(out, o->key_name, strlen(o->key_name));
    put_u16(out, o->context ? strlen(o->context) : 0);
    if (o->context)
        cn_buf_append(out, o->context, strlen(o->context));
    encode_parts(o, out);
}

/* A reader of n bytes that fails for good once it runs short. */
struct rd {
    const uint8_t *p;
    size_t n;
    int bad;
};

static const uint8_t *take(struct rd *r, size_t len)
{
    const uint8_t *p = r->p;
    if (r->bad || r->n < len) {
        r->bad = 1;
        return NULL;
    }
    r->p += len;
    r->n -= len;
    return p;
}

static size_t take_u16(struct rd *r)
{
    const uint8_t *p = take(r, 2);
    return p ? (size_t)p[0] << 8 | p[1] : 0;
}

static uint32_t take_u32(struct rd *r)
{
    const uint8_t *p = take(r, 4);
    return p ? cn_get_u32be(p) : 0;
}

static uint64_t take_u64(struct rd *r)
{
    const uint8_t *p = take(r, 8);
    return p ? cn_get_u64be(p) : 0;
}

/* version 2's parts table into o */
static void decode_parts(struct rd *r, gw_sse_obj_t *o)
{
    uint32_t n = take_u32(r);

    if (n > GW_SSE_OBJ_PARTS_MAX || (size_t)n * (4 + CN_SSE_SALT_LEN + 8) > r->n) {
        r->bad = 1;
        return;
    }
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        gw_sse_part_t p;
        const uint8_t *x;

        p.number = take_u32(r);
        if ((x = take(r, CN_SSE_SALT_LEN)) != NULL)
            memcpy(p.salt, x, CN_SSE_SALT_LEN);
        p.plain_len = take_u64(r);
        if (p.number < 1 || p.number > CN_SSE_PART_MAX || p.plain_len > CN_SSE_PLAIN_MAX)
            r->bad = 1;
        else if (!r->bad)
            gw_sse_obj_add_part(o, &p);
    }
}

int gw_sse_obj_decode(const void *p, size_t n, gw_sse_obj_t *o)
{
    struct rd r = {p, n, 0};
    const uint8_t *h = take(&r, 3), *x;
    size_t len;

    memset(o, 0, sizeof(*o));
    if (h == NULL || n > GW_SSE_OBJ_MAX ||
        (h[0] != GW_SSE_OBJ_VERSION && h[0] != GW_SSE_OBJ_MULTIPART) || h[2] > 1)
        return CN_ECORRUPT;
    o->bucket_key = h[2];
    o->multipart = h[0] == GW_SSE_OBJ_MULTIPART;
    switch (h[1]) {
    case REC_C:
        o->mode = GW_SSE_C;
        if ((x = take(&r, sizeof(o->salt))) != NULL)
            memcpy(o->salt, x, sizeof(o->salt));
        if ((x = take(&r, sizeof(o->check))) != NULL)
            memcpy(o->check, x, sizeof(o->check));
        break;
    case REC_S3:
    case REC_KMS:
        o->mode = h[1] == REC_S3 ? GW_SSE_S3 : GW_SSE_KMS;
        o->epoch = take_u32(&r);
        if ((x = take(&r, sizeof(o->wrapped))) != NULL)
            memcpy(o->wrapped, x, sizeof(o->wrapped));
        len = take_u16(&r);
        if (len == 0 || len > GW_SSE_KMS_KEY_ID_MAX || (x = take(&r, len)) == NULL ||
            !gw_sse_kms_key_id_valid((const char *)x, len))
            r.bad = 1;
        else
            memcpy(o->key_name, x, len);
        len = take_u16(&r);
        if (len && (x = take(&r, len)) != NULL) {
            if (memchr(x, '\0', len) != NULL)
                r.bad = 1;
            else
                o->context = cn_strndup((const char *)x, len);
        }
        if (o->epoch == 0)
            r.bad = 1;
        break;
    default:
        r.bad = 1;
    }
    if (o->multipart)
        decode_parts(&r, o);
    if (r.bad || r.n != 0) {
        gw_sse_obj_dispose(o);
        return CN_ECORRUPT;
    }
    return 0;
}

void gw_sse_obj_dispose(gw_sse_obj_t *o)
{
    cn_free(o->context);
    cn_free(o->parts);
    memset(o, 0, sizeof(*o));
}

void gw_sse_obj_add_part(gw_sse_obj_t *o, const gw_sse_part_t *p)
{
    o->multipart = 1;
    o->parts = cn_realloc(o->parts, (o->nparts + 1) * sizeof(*o->parts));
    o->parts[o->nparts++] = *p;
}

void gw_sse_obj_copy(gw_sse_obj_t *dst, const gw_sse_obj_t *src)
{
    *dst = *src;
    dst->context = src->context ? cn_strdup(src->context) : NULL;
    dst->parts = NULL;
    dst->nparts = 0;
    for (size_t i = 0; i < src->nparts; i++)
        gw_sse_obj_add_part(dst, &src->parts[i]);
}

int gw_sse_obj_new_c(gw_sse_obj_t *o, const uint8_t cust[CN_SSE_KEY_LEN],
                     uint8_t dk[CN_SSE_KEY_LEN])
{
    memset(o, 0, sizeof(*o));
    o->mode = GW_SSE_C;
    if (cn_random_bytes(o->salt, sizeof(o->salt)) != 0)
        return CN_EIO;
    cn_sse_c_check(cust, o->salt, o->check);
    return cn_sse_c_derive(cust, o->salt, dk);
}

int gw_sse_obj_open_c(const gw_sse_obj_t *o, const uint8_t cust[CN_SSE_KEY_LEN],
                      uint8_t dk[CN_SSE_KEY_LEN])
{
    int rc;

    if (o->mode != GW_SSE_C)
        return CN_EINVAL;
    if ((rc = cn_sse_c_verify(cust, o->salt, o->check)) != 0)
        return rc;
    return cn_sse_c_derive(cust, o->salt, dk);
}

/* The wrap's AAD (sse_obj.h) into b. */
static int wrap_aad(const gw_sse_obj_t *o, cn_slice_t object, cn_buf_t *b)
{
    uint8_t d[CN_SHA256_LEN];
    char hex[2 * CN_SHA256_LEN + 1], head[64];

    if (object.len > 2048)
        return CN_EINVAL;
    cn_sha256(o->context ? o->context : "", o->context ? strlen(o->context) : 0, d);
    cn_hex(d, sizeof(d), hex);
    snprintf(head, sizeof(head), "cairn sse obj v1|%s|", o->mode == GW_SSE_KMS ? "kms" : "s3");
    cn_buf_append(b, head, strlen(head));
    cn_buf_append(b, o->key_name, strlen(o->key_name));
    snprintf(head, sizeof(head), "|%u|", o->epoch);
    cn_buf_append(b, head, strlen(head));
    cn_buf_append(b, object.ptr, object.len);
    cn_buf_append(b, "|", 1);
    cn_buf_append(b, hex, strlen(hex));
    return b->len <= CN_SSE_AAD_MAX ? 0 : CN_EINVAL;
}

int gw_sse_obj_new_wrapped(gw_sse_obj_t *o, gw_sse_mode_t mode, const char *name,
                           uint32_t epoch, const uint8_t kek[CN_SSE_KEY_LEN], cn_slice_t object,
                           const char *context, uint8_t dk[CN_SSE_KEY_LEN])
{
    cn_buf_t aad;
    int rc;

    memset(o, 0, sizeof(*o));
    /* the record's bytes (sse_obj.h): head, epoch, wrapped, name and context with lengths */
    if ((mode != GW_SSE_S3 && mode != GW_SSE_KMS) || epoch == 0 ||
        !gw_sse_kms_key_id_valid(name, strlen(name)) ||
        (context != NULL && strlen(context) > UINT16_MAX) || /* its length is a u16 */
        3 + 4 + CN_SSE_WRAPPED_LEN + 2 + strlen(name) + 2 + (context ? strlen(context) : 0) >
            GW_SSE_OBJ_MAX)
        return CN_EINVAL;
    o->mode = mode;
    o->epoch = epoch;
    snprintf(o->key_name, sizeof(o->key_name), "%s", name);
    o->context = context && context[0] ? cn_strdup(context) : NULL;
    cn_buf_init(&aad);
    if ((rc = wrap_aad(o, object, &aad)) == 0 && (rc = cn_sse_random_key(dk)) == 0)
        rc = cn_sse_wrap(kek, dk, aad.data, aad.len, o->wrapped);
    cn_buf_dispose(&aad);
    if (rc != 0) {
        OPENSSL_cleanse(dk, CN_SSE_KEY_LEN);
        gw_sse_obj_dispose(o);
    }
    return rc;
}

int gw_sse_obj_open_wrapped(const gw_sse_obj_t *o, const uint8_t kek[CN_SSE_KEY_LEN],
                            cn_slice_t object, uint8_t dk[CN_SSE_KEY_LEN])
{
    cn_buf_t aad;
    int rc;

    if (o->mode != GW_SSE_S3 && o->mode != GW_SSE_KMS)
        return CN_EINVAL;
    cn_buf_init(&aad);
    if ((rc = wrap_aad(o, object, &aad)) == 0)
        rc = cn_sse_unwrap(kek, o->wrapped, aad.data, aad.len, dk);
    cn_buf_dispose(&aad);
    return rc;
}
