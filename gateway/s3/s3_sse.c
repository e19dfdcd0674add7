/*
 * gateway/s3/s3_sse.c: server-side encryption of PutObject and GetObject/HeadObject (see
 * s3_sse.h). The checks of a read follow S3's order: an encrypted object's SSE-C key first
 * (missing: 400 InvalidRequest, wrong: 403 AccessDenied), then the data key of SSE-S3/KMS
 * from the key service; no byte of the object is sent before both are settled.
 */
#include "gateway/s3/s3_sse.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/http/body_pager.h"
#include "gateway/s3/s3_object.h"

#define SSE_PREFIX "x-amz-server-side-encryption"
#define SSE_COPY_PREFIX "x-amz-copy-source-server-side-encryption"

static const char http_msg[] = "Requests specifying Server Side Encryption with Customer "
                               "provided keys must be made over a secure connection.";
static const char need_key_msg[] = "The object was stored using a form of Server Side "
                                   "Encryption. The correct parameters must be provided to "
                                   "retrieve the object.";
static const char not_applicable_msg[] = "The encryption parameters are not applicable to "
                                         "this object.";

static gw_obj_sse_t *sse_new(gw_obj_op_t *o)
{
    if (o->sse == NULL)
        o->sse = cn_calloc(1, sizeof(*o->sse));
    return o->sse;
}

void gw_s3_sse_free(gw_obj_sse_t *s)
{
    if (s == NULL)
        return;
    gw_sse_req_dispose(&s->req);
    gw_sse_obj_dispose(&s->rec);
    OPENSSL_cleanse(s->dk, sizeof(s->dk));
    cn_sse_dec_destroy(s->dec);
    if (s->out) {
        OPENSSL_cleanse(s->out, s->out_cap);
        cn_free(s->out);
    }
    cn_free(s->stored); /* ciphertext: nothing to wipe */
    cn_free(s);
}

/* 1 when name is an SSE-C key's header, the request's or its copy source's. */
static int is_key_header(const h2o_iovec_t *name)
{
    static const char *const keys[] = {SSE_PREFIX "-customer-key",
                                       SSE_COPY_PREFIX "-customer-key"};

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (name->len == strlen(keys[i]) && strncasecmp(name->base, keys[i], name->len) == 0)
            return 1;
    return 0;
}

/* The request's SSE headers (only those: the parser skips others, but the array is small).
 * Then the SSE-C keys' text goes from h2o's buffer (out holds them): over HTTP/1 that buffer
 * holds the request head before the body, hence in the body's temp file when the body is
 * over 4 MiB (seen: tests/integration/test_sse_disk.sh). Once per request: a second call
 * would find the keys wiped. */
static gw_s3_err_t read_headers(gw_req_t *r, gw_sse_req_t *out, const char **msg)
{
    h2o_req_t *req = r->http.req;
    gw_sse_hdr_t h[16];
    size_t n = 0;
    gw_s3_err_t e = GW_S3_OK;

    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *hd = &req->headers.entries[i];
        if (!((hd->name->len >= strlen(SSE_PREFIX) &&
               strncasecmp(hd->name->base, SSE_PREFIX, strlen(SSE_PREFIX)) == 0) ||
              (hd->name->len >= strlen(SSE_COPY_PREFIX) &&
               strncasecmp(hd->name->base, SSE_COPY_PREFIX, strlen(SSE_COPY_PREFIX)) == 0)))
            continue;
        if (n == sizeof(h) / sizeof(h[0])) { /* more than every SSE header, twice */
            *msg = "Too many server-side encryption headers.";
            e = GW_S3_INVALID_ARGUMENT;
            break;
        }
        h[n].name = cn_slice(hd->name->base, hd->name->len);
        h[n].value = cn_slice(hd->value.base, hd->value.len);
        n++;
    }
    if (e == GW_S3_OK)
        e = gw_sse_req_parse(h, n, out, msg);
    for (size_t i = 0; i < req->headers.size; i++)
        if (is_key_header(req->headers.entries[i].name))
            OPENSSL_cleanse(req->headers.entries[i].value.base, req->headers.entries[i].value.len);
    return e;
}

/* ---- PUT ------------------------------------------------------------------------------- */

/* Overwrites the plaintext of r's body where h2o holds it: h2o's whole entity when the body
 * lies in it, not only r->body. An aws-chunked body was decoded in place (gw_chunked_decode):
 * the entity's last bytes, as long as the framing taken off, still hold the end of the
 * plaintext as it arrived (seen: tests/integration/test_sse_disk.sh). */
static void wipe_body(gw_req_t *r)
{
    const h2o_req_t *req = r->http.req;
    uintptr_t at = (uintptr_t)r->body.ptr;
    char *p = (char *)r->body.ptr;
    size_t n = r->body.len;

    if (req != NULL && req->entity.base != NULL && at >= (uintptr_t)req->entity.base &&
        at + n <= (uintptr_t)req->entity.base + req->entity.len) {
        p = req->entity.base;
        n = req->entity.len;
    }
    if (n) {
        OPENSSL_cleanse(p, n);
        gw_body_pager_release(p, n);
    }
}

/* Overwrites the text of the SSE-C keys of q (base64, as sent) in the request head h2o keeps
 * before the body in the body's temp file: read_headers wiped the header values h2o handed
 * out, but over HTTP/1 the head's raw bytes stay in the buffer with the body (seen:
 * tests/integration/test_sse_disk.sh). Searched from the mapping's start up to the body. */
static void wipe_head_keys(gw_req_t *r, const gw_sse_req_t *q)
{
    const h2o_req_t *req = r->http.req;
    const gw_sse_cust_t *keys[] = {&q->cust, &q->copy_src};
    char b64[2 * CN_SSE_KEY_LEN];
    uintptr_t lo, hi;

    if (req == NULL || req->entity.base == NULL || req->entity.len == 0 ||
        !gw_body_pager_map(req->entity.base, &lo, &hi))
        return;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *p = (char *)lo, *end = req->entity.base;
        int n;

        if (!keys[i]->given)
            continue;
        n = EVP_EncodeBlock((unsigned char *)b64, keys[i]->key, CN_SSE_KEY_LEN);
        while ((p = memmem(p, (size_t)(end - p), b64, (size_t)n)) != NULL) {
            OPENSSL_cleanse(p, (size_t)n);
            p += n;
        }
    }
    OPENSSL_cleanse(b64, sizeof(b64));
}

/* Encrypts r's body under s->dk into s->stored, wipes the plaintext, and goes on. */
static void put_encrypt(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    gw_obj_sse_t *s = o->sse;
    cn_sse_enc_t *e = NULL;
    size_t n1 = 0, n2 = 0;
    uint8_t rnd[16];

    /* the encryptor asks for room for a tag or two more than the stream will take */
    size_t cap = cn_sse_enc_update_max(r->body.len);

    s->plain_len = r->body.len;
    s->stored_len = (size_t)cn_sse_stored_len(s->plain_len);
    s->stored = cn_malloc(cap);
    if (cn_sse_enc_create(s->dk, 0, s->plain_len, &e) != 0 ||
        cn_sse_enc_update(e, r->body.ptr, r->body.len, s->stored, cap, &n1) != 0 ||
        cn_sse_enc_final(e, s->stored + n1, cap - n1, &n2) != 0 || n1 + n2 != s->stored_len) {
        cn_sse_enc_destroy(e);
        CN_LOG(CN_LOG_ERROR, "encrypting %s: the stream came out wrong", r->route.key);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    cn_sse_enc_destroy(e);
    /* the plaintext goes now, before any byte leaves: in h2o's buffer (its temp file's
     * pages when it is over 4 MiB) only zeros are left */
    wipe_body(r);
    wipe_head_keys(r, &s->req);
    o->body = cn_slice((const char *)s->stored, s->stored_len);
    o->force_chunked = 1;
    if (s->rec.mode != GW_SSE_S3) { /* S3: the ETag of SSE-C and SSE-KMS is not an MD5 */
        if (cn_random_bytes(rnd, sizeof(rnd)) != 0) {
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        cn_hex(rnd, sizeof(rnd), o->etag);
    }
    s->put_cont(r);
}

void gw_s3_sse_put(gw_req_t *r, void (*cont)(gw_req_t *r))
{
    gw_obj_op_t *o = r->op;
    gw_sse_req_t q = {0};
    const char *msg = NULL;
    gw_s3_err_t e = read_headers(r, &q, &msg);
    const gw_bucket_t *b;
    gw_obj_sse_t *s;

    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    if (q.mode == GW_SSE_NONE && (b = gw_mgr_bucket_find(r->srv, r->route.bucket)) != NULL &&
        b->has_encryption) {
        if (b->encryption.mode == GW_SSE_NONE) { /* stored, but does not read: fail closed */
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        q.mode = b->encryption.mode;
        if (b->encryption.mode == GW_SSE_KMS && b->encryption.kms_key_id[0])
            q.kms_key_id = cn_strdup(b->encryption.kms_key_id);
        q.bucket_key = b->encryption.bucket_key;
    }
    if (q.mode == GW_SSE_NONE) {
        gw_sse_req_dispose(&q);
        cont(r);
        return;
    }
    s = sse_new(o);
    s->req = q;
    s->put_cont = cont;
    if (q.mode == GW_SSE_C) {
        if (!gw_http_is_secure(&r->http) && !r->srv->conf.sse_c_allow_http) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, http_msg);
            return;
        }
        if (gw_sse_obj_new_c(&s->rec, q.cust.key, s->dk) != 0) {
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        s->have_dk = 1;
        put_encrypt(r);
        return;
    }
    /* TODO(sse): SSE-S3 and SSE-KMS through the key service (gateway/link/sse_keys.h). #20 */
    gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                 "Server-side encryption with the key service is not supported yet.");
}

int gw_s3_sse_asked(const gw_req_t *r)
{
    const h2o_req_t *req = r->http.req;

    for (size_t i = 0; req != NULL && i < req->headers.size; i++)
        if (req->headers.entries[i].name->len >= strlen(SSE_PREFIX) &&
            strncasecmp(req->headers.entries[i].name->base, SSE_PREFIX, strlen(SSE_PREFIX)) == 0)
            return 1;
    return 0;
}

int gw_s3_sse_refuse_plain(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    if (b == NULL || !b->has_encryption)
        return 0;
    gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                 "This bucket has a default encryption, which this operation cannot apply "
                 "yet: the object would be stored unencrypted.");
    return 1;
}

void gw_s3_sse_manifest(gw_req_t *r, cn_manifest_t *man)
{
    gw_obj_op_t *o = r->op;
    cn_buf_t b;

    if (o->sse == NULL || !o->sse->have_dk)
        return;
    cn_buf_init(&b);
    gw_sse_obj_encode(&o->sse->rec, &b);
    cn_manifest_set_sse(man, b.data, b.len, o->sse->plain_len);
    cn_buf_dispose(&b);
}

void gw_s3_sse_add_headers(gw_req_t *r)
{
    const gw_obj_op_t *o = r->op;
    const gw_obj_sse_t *s = o ? o->sse : NULL;
    const char *v;

    if (s == NULL || !s->have_dk)
        return;
    if (s->rec.mode == GW_SSE_C) {
        gw_req_add_header(r, SSE_PREFIX "-customer-algorithm", "AES256", 6);
        gw_req_add_header(r, SSE_PREFIX "-customer-key-md5", s->req.cust.md5_b64,
                          strlen(s->req.cust.md5_b64));
        return;
    }
    v = gw_sse_mode_header(s->rec.mode);
    gw_req_add_header(r, SSE_PREFIX, v, strlen(v));
    if (s->rec.mode == GW_SSE_KMS)
        gw_req_add_header(r, SSE_PREFIX "-aws-kms-key-id", s->rec.key_name,
                          strlen(s->rec.key_name));
    if (s->rec.bucket_key)
        gw_req_add_header(r, SSE_PREFIX "-bucket-key-enabled", "true", 4);
}

/* ---- GET / HEAD ------------------------------------------------------------------------ */

int gw_s3_sse_get_open(gw_req_t *r, void (*cont)(gw_req_t *r))
{
    gw_obj_op_t *o = r->op;
    gw_sse_req_t q = {0};
    const char *msg = NULL;
    gw_s3_err_t e;
    gw_obj_sse_t *s;
    int encrypted = o->is_manifest && o->man.sse != NULL;

    if (o->sse != NULL && o->sse->have_dk)
        return 1; /* back from the key service */
    if ((e = read_headers(r, &q, &msg)) != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return -1;
    }
    if (q.mode != GW_SSE_NONE && q.mode != GW_SSE_C) {
        gw_sse_req_dispose(&q);
        gw_req_error(r, GW_S3_INVALID_ARGUMENT,
                     "x-amz-server-side-encryption header is not supported for this "
                     "operation.");
        return -1;
    }
    if (!encrypted) {
        gw_sse_mode_t asked = q.mode;
        gw_sse_req_dispose(&q);
        if (asked == GW_SSE_C) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, not_applicable_msg);
            return -1;
        }
        return 1;
    }
    s = sse_new(o);
    gw_sse_req_dispose(&s->req);
    s->req = q;
    s->get_cont = cont;
    gw_sse_obj_dispose(&s->rec);
    if (gw_sse_obj_decode(o->man.sse, o->man.sse_len, &s->rec) != 0) {
        CN_LOG(CN_LOG_ERROR, "object %s: its encryption record does not read", o->key.data);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return -1;
    }
    if (s->rec.mode == GW_SSE_C) {
        if (q.mode != GW_SSE_C) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, need_key_msg);
            return -1;
        }
        if (!gw_http_is_secure(&r->http) && !r->srv->conf.sse_c_allow_http) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, http_msg);
            return -1;
        }
        if (gw_sse_obj_open_c(&s->rec, q.cust.key, s->dk) != 0) {
            gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
            return -1;
        }
        s->have_dk = 1;
        return 1;
    }
    if (q.mode == GW_SSE_C) {
        gw_req_error(r, GW_S3_INVALID_REQUEST, not_applicable_msg);
        return -1;
    }
    /* TODO(sse): SSE-S3 and SSE-KMS through the key service. #20 */
    gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                 "Server-side encryption with the key service is not supported yet.");
    return -1;
}

uint64_t gw_s3_sse_object_size(const gw_req_t *r, uint64_t size)
{
    const gw_obj_op_t *o = r->op;
    return o->is_manifest ? cn_manifest_object_size(&o->man) : size;
}

int gw_s3_sse_stream_start(gw_req_t *r, uint64_t off, uint64_t len, uint64_t *pos,
                           uint64_t *end)
{
    gw_obj_op_t *o = r->op;
    gw_obj_sse_t *s = o->sse;
    cn_sse_range_t rg;
    int rc;

    if (s == NULL || !s->have_dk)
        return CN_EINVAL;
    if ((rc = cn_sse_range(o->man.plain_size, off, len, &rg)) != 0)
        return rc;
    cn_sse_dec_destroy(s->dec);
    s->dec = NULL;
    if ((rc = cn_sse_dec_create(s->dk, 0, o->man.plain_size, &rg, &s->dec)) != 0)
        return rc;
    if (rg.stored_off + rg.stored_len > o->man.size)
        return CN_ECORRUPT;
    *pos = rg.stored_off;
    *end = rg.stored_off + rg.stored_len;
    return 0;
}

int gw_s3_sse_stream_piece(gw_req_t *r, cn_slice_t in, int last, cn_slice_t *out)
{
    gw_obj_op_t *o = r->op;
    gw_obj_sse_t *s = o->sse;
    size_t need = cn_sse_dec_update_max(in.len), n = 0;
    int rc;

    if (s->out_cap < need) {
        if (s->out) {
            OPENSSL_cleanse(s->out, s->out_cap);
            cn_free(s->out);
        }
        s->out = cn_malloc(need);
        s->out_cap = need;
    }
    rc = cn_sse_dec_update(s->dec, in.ptr, in.len, s->out, s->out_cap, &n);
    if (rc == 0 && last)
        rc = cn_sse_dec_final(s->dec);
    if (rc != 0) {
        CN_LOG(CN_LOG_ERROR, "object %s: a block does not decrypt (%s)", o->key.data,
               cn_strerror(rc));
        return rc;
    }
    *out = cn_slice((const char *)s->out, n);
    return 0;
}
