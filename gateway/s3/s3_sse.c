/*
 * gateway/s3/s3_sse.c: server-side encryption of PutObject and GetObject/HeadObject (see
 * s3_sse.h). The checks of a read follow S3's order: an encrypted object's SSE-C key first
 * (missing: 400 InvalidRequest, wrong: 403 AccessDenied), then the data key of SSE-S3/KMS
 * from the key service; no byte of the object is sent before both are settled.
 */
#include "gateway/s3/s3_sse.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/http/body_pager.h"
#include "gateway/link/sse_keys.h"
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

/* The request's SSE headers (only those: the parser skips others, but the array is small). */
static gw_s3_err_t read_headers(gw_req_t *r, gw_sse_req_t *out, const char **msg)
{
    h2o_req_t *req = r->http.req;
    gw_sse_hdr_t h[16];
    size_t n = 0;

    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *e = &req->headers.entries[i];
        if (!((e->name->len >= strlen(SSE_PREFIX) &&
               strncasecmp(e->name->base, SSE_PREFIX, strlen(SSE_PREFIX)) == 0) ||
              (e->name->len >= strlen(SSE_COPY_PREFIX) &&
               strncasecmp(e->name->base, SSE_COPY_PREFIX, strlen(SSE_COPY_PREFIX)) == 0)))
            continue;
        if (n == sizeof(h) / sizeof(h[0])) { /* more than every SSE header, twice */
            *msg = "Too many server-side encryption headers.";
            return GW_S3_INVALID_ARGUMENT;
        }
        h[n].name = cn_slice(e->name->base, e->name->len);
        h[n].value = cn_slice(e->value.base, e->value.len);
        n++;
    }
    return gw_sse_req_parse(h, n, out, msg);
}

/* ---- PUT ------------------------------------------------------------------------------- */

/* The object's "bucket/key" (without a version's suffix): what a wrapped key is bound to. */
static cn_slice_t object_name(const gw_req_t *r, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/", r->route.bucket);
    size_t k = r->route.key_len < cap - (size_t)n - 1 ? r->route.key_len : cap - (size_t)n - 1;
    memcpy(buf + n, r->route.key, k);
    return cn_slice(buf, (size_t)n + k);
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
    if (r->body.len) {
        OPENSSL_cleanse((void *)r->body.ptr, r->body.len);
        gw_body_pager_release(r->body.ptr, r->body.len);
    }
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

/* Answers r for a failure of the key service: rc from gw_ssekey_get or its callback. */
static void key_error(gw_req_t *r, int rc, const char *name)
{
    switch (rc) {
    case CN_ENOENT:
        gw_req_error(r, GW_S3_KMS_NOT_FOUND, NULL);
        break;
    case CN_ENOTSUP:
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED, "Server-side encryption with SSE-S3 or SSE-KMS "
                     "needs the managers' master key ([manager] sse_master_key_file).");
        break;
    case CN_EINVAL:
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Invalid KMS key id.");
        break;
    case CN_EAGAIN:
        gw_req_error(r, GW_S3_SLOW_DOWN, NULL);
        break;
    case CN_ECORRUPT:
        CN_LOG(CN_LOG_ERROR, "key %s: the managers cannot unwrap it (master key?)", name);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        break;
    default:
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

/* The key service's name of the key a request names: its KMS key id, else the built-in. */
static const char *key_name_of(const gw_sse_req_t *q)
{
    return q->mode == GW_SSE_KMS && q->kms_key_id ? q->kms_key_id : GW_SSE_S3_KEY;
}

/* SSE-S3/KMS: a new record and data key under k, then the body is encrypted. */
static void put_keyed(gw_req_t *r, const gw_ssekey_t *k)
{
    gw_obj_sse_t *s = ((gw_obj_op_t *)r->op)->sse;
    char buf[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];
    int rc = gw_sse_obj_new_wrapped(&s->rec, s->req.mode, k->name, k->epoch, k->kek,
                                    object_name(r, buf, sizeof(buf)), s->req.context, s->dk);

    if (rc != 0) {
        gw_req_error(r, rc == CN_EINVAL ? GW_S3_INVALID_ARGUMENT : GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    s->rec.bucket_key = s->req.bucket_key;
    s->have_dk = 1;
    put_encrypt(r);
}

static void on_put_key(void *arg, int rc, const gw_ssekey_t *k)
{
    gw_req_t *r = arg;

    if (gw_req_rpc_gone(r, NULL))
        return;
    if (rc != 0)
        key_error(r, rc, key_name_of(&((gw_obj_op_t *)r->op)->sse->req));
    else
        put_keyed(r, k);
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
    {   /* SSE-S3/KMS: the newest epoch of the key (the built-in one made on first use) */
        const char *name = key_name_of(&q);
        gw_ssekey_t k;
        int rc;

        r->http.pending++;
        rc = gw_ssekey_get(r->srv, name, 0, strcmp(name, GW_SSE_S3_KEY) == 0, on_put_key, r, &k);
        if (rc == 0)
            return; /* on_put_key goes on */
        r->http.pending--;
        if (rc == 1)
            put_keyed(r, &k);
        else
            key_error(r, rc, name);
        gw_ssekey_wipe(&k);
    }
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

/* SSE-S3/KMS: the data key from the record with k; 1, or -1 with r answered. */
static int get_keyed(gw_req_t *r, const gw_ssekey_t *k)
{
    gw_obj_sse_t *s = ((gw_obj_op_t *)r->op)->sse;
    char buf[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];

    if (gw_sse_obj_open_wrapped(&s->rec, k->kek, object_name(r, buf, sizeof(buf)), s->dk)) {
        CN_LOG(CN_LOG_ERROR, "object %s: its data key does not unwrap with %s epoch %u",
               r->route.key, k->name, k->epoch);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return -1;
    }
    s->have_dk = 1;
    return 1;
}

static void on_get_key(void *arg, int rc, const gw_ssekey_t *k)
{
    gw_req_t *r = arg;
    gw_obj_sse_t *s;

    if (gw_req_rpc_gone(r, NULL))
        return;
    s = ((gw_obj_op_t *)r->op)->sse;
    if (rc != 0)
        key_error(r, rc == CN_ENOENT ? CN_ECORRUPT : rc, s->rec.key_name); /* it was there */
    else if (get_keyed(r, k) == 1)
        s->get_cont(r);
}

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
    {   /* SSE-S3/KMS: the epoch of the key that wrapped it */
        gw_ssekey_t k;
        int rc;

        r->http.pending++;
        rc = gw_ssekey_get(r->srv, s->rec.key_name, s->rec.epoch, 0, on_get_key, r, &k);
        if (rc == 0)
            return 0; /* on_get_key goes on */
        r->http.pending--;
        if (rc == 1)
            rc = get_keyed(r, &k);
        else
            key_error(r, rc == CN_ENOENT ? CN_ECORRUPT : rc, s->rec.key_name);
        gw_ssekey_wipe(&k);
        return rc == 1 ? 1 : -1;
    }
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
