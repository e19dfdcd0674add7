/*
 * gateway/s3/s3_sse.c: server-side encryption of the writes: PutObject,
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload (see s3_sse.h); and what the
 * reads share with them (s3_sse_int.h): the headers, the key service, the records' keys.
 * A read whose record does not open with this cluster's own KEK (name, epoch), or whose KEK
 * this cluster does not have, tries the same (name, epoch) of each linked origin's store
 * (issue 22: an object written on another cluster came over the link as ciphertext, its
 * data key wrapped by that cluster's KEK), at most GW_SSEKEY_ORIGINS, then fails as before
 * (500). Only a key that AES-GCM authenticates opens a record; writes always use this
 * cluster's own keys.
 */
#include "gateway/s3/s3_sse_int.h"

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

#define SSE_COPY_PREFIX "x-amz-copy-source-server-side-encryption"

const char gw__sse_http_msg[] = "Requests specifying Server Side Encryption with Customer "
                                "provided keys must be made over a secure connection.";
const char gw__sse_not_applicable_msg[] = "The encryption parameters are not applicable to "
                                          "this object.";
const char gw__sse_not_for_op_msg[] = "x-amz-server-side-encryption header is not supported for "
                                      "this operation.";

/* ---- shared (s3_sse_int.h) -------------------------------------------------------------- */

gw_obj_sse_t *gw__sse_new(gw_req_t *r)
{
    gw_obj_sse_t *s = cn_calloc(1, sizeof(*s));
    s->r = r;
    return s;
}

void gw_s3_sse_free(gw_obj_sse_t *s)
{
    if (s == NULL)
        return;
    gw_sse_req_dispose(&s->req);
    gw_sse_obj_dispose(&s->rec);
    OPENSSL_cleanse(s->key, sizeof(s->key));
    OPENSSL_cleanse(s->dk, sizeof(s->dk));
    cn_sse_dec_destroy(s->dec);
    if (s->out) {
        OPENSSL_cleanse(s->out, s->out_cap);
        cn_free(s->out);
    }
    cn_free(s->stored); /* ciphertext: nothing to wipe */
    cn_free(s);
}

static int has_prefix(const h2o_iovec_t *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return name->len >= n && strncasecmp(name->base, prefix, n) == 0;
}

gw_s3_err_t gw__sse_read_headers(gw_req_t *r, gw_sse_req_t *out, const char **msg)
{
    h2o_req_t *req = r->http.req;
    gw_sse_hdr_t h[16];
    size_t n = 0;

    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *e = &req->headers.entries[i];
        if (!has_prefix(e->name, GW_SSE_HDR) && !has_prefix(e->name, SSE_COPY_PREFIX))
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

cn_slice_t gw__sse_object_name(const gw_req_t *r, char buf[GW_SSE_OBJ_NAME_MAX])
{
    int n = snprintf(buf, GW_SSE_OBJ_NAME_MAX, "%s/", r->route.bucket);
    memcpy(buf + n, r->route.key, r->route.key_len); /* GW_KEY_MAX at most: it fits */
    return cn_slice(buf, (size_t)n + r->route.key_len);
}

int gw__sse_c_transport_ok(gw_req_t *r)
{
    if (gw_http_is_secure(&r->http) || r->srv->conf.sse_c_allow_http)
        return 1;
    gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_http_msg);
    return 0;
}

/* Answers r for a failure of the key service (gw_ssekey_get's or its callback's code). */
static void key_error(gw_req_t *r, int rc, const char *name, int reading)
{
    if (reading && (rc == CN_ENOENT || rc == CN_EINVAL))
        rc = CN_ECORRUPT; /* the object names a key that was there when it was written */
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
        CN_LOG(CN_LOG_ERROR, "key %s: it does not unwrap, or is gone (master key?)", name);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        break;
    default:
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

/* The key service's answer to gw__sse_with_key. s lives while the ask is pending. */
struct key_ask {
    gw_obj_sse_t *s;
    int reading;
    char name[CN_KMS_NAME_MAX + 1];
};

static void ask(gw_obj_sse_t *s, const char *origin, const char *name, uint32_t epoch,
                int create, int reading);

/* 1 for an answer that says the key service has no such key (or cannot open it), where a
 * read may try a linked origin's store; a transport failure stays the request's 503. */
static int is_no_key(int rc)
{
    return rc == CN_ENOENT || rc == CN_ECORRUPT || rc == CN_EINVAL;
}

/* A read: asks for the record's (name, epoch) in the next linked origin's store (the
 * heartbeat's kms_origins, the first GW_SSEKEY_ORIGINS); 1 when asked (s->keyed follows),
 * 0 when none is left. */
static int next_origin(gw_obj_sse_t *s)
{
    const gw_stor_facts_t *f = s->r->srv->mgr.stor;
    const char *p = f != NULL ? f->kms_origins : "";
    char id[GW_SSEKEY_ORIGIN_LEN + 1];

    for (unsigned i = 0; *p != '\0' && i < GW_SSEKEY_ORIGINS; i++) {
        size_t n = strcspn(p, ",");

        if (i >= s->origin_next && n == GW_SSEKEY_ORIGIN_LEN) {
            memcpy(id, p, n);
            id[n] = '\0';
            s->origin_next = i + 1;
            ask(s, id, s->rec.key_name, s->rec.epoch, 0, 1);
            return 1;
        }
        p += n + (p[n] == ',');
    }
    if (!s->asked_fresh) {
        /* every store failed: this worker's "no such key" for its own store may be older
         * than the key (another worker's PUT made it); once, ask this cluster's again */
        s->asked_fresh = 1;
        s->origin_next = GW_SSEKEY_ORIGINS;
        gw_ssekey_forget_neg(s->r->srv, "", s->rec.key_name, s->rec.epoch);
        ask(s, "", s->rec.key_name, s->rec.epoch, 0, 1);
        return 1;
    }
    return 0;
}

static void on_key(void *arg, int rc, const gw_ssekey_t *k)
{
    struct key_ask *a = arg;
    gw_obj_sse_t *s = a->s;
    gw_req_t *r = s->r;

    if (gw_req_rpc_gone(r, NULL)) { /* s went with r's operation */
        cn_free(a);
        return;
    }
    if (rc == 0)
        s->keyed(s, k);
    else if (!(a->reading && is_no_key(rc) && next_origin(s)))
        key_error(r, rc, a->name, a->reading);
    cn_free(a);
}

static void ask(gw_obj_sse_t *s, const char *origin, const char *name, uint32_t epoch,
                int create, int reading)
{
    gw_req_t *r = s->r;
    struct key_ask *a = cn_calloc(1, sizeof(*a));
    gw_ssekey_t k;
    int rc;

    a->s = s;
    a->reading = reading;
    snprintf(a->name, sizeof(a->name), "%s", name);
    r->http.pending++;
    rc = gw_ssekey_get_of(r->srv, origin, name, epoch, create, on_key, a, &k);
    if (rc == 0)
        return; /* on_key goes on */
    r->http.pending--;
    cn_free(a);
    if (rc == 1) {
        s->keyed(s, &k);
        gw_ssekey_wipe(&k);
    } else if (!(reading && is_no_key(rc) && next_origin(s))) {
        key_error(r, rc, name, reading);
    }
}

void gw__sse_with_key(gw_obj_sse_t *s, const char *name, uint32_t epoch, int create,
                      int reading)
{
    s->origin_next = 0;
    s->asked_fresh = 0;
    ask(s, "", name, epoch, create, reading);
}

int gw__sse_open_c(gw_obj_sse_t *s)
{
    int rc = gw_sse_obj_open_c(&s->rec, s->req.cust.key, s->key);

    if (rc == CN_EACCES) {
        gw_req_error(s->r, GW_S3_ACCESS_DENIED, NULL); /* not the key that wrote it */
        return -1;
    }
    if (rc != 0) {
        gw_req_error(s->r, GW_S3_INTERNAL_ERROR, NULL);
        return -1;
    }
    s->have_key = 1;
    return 0;
}

int gw__sse_open_wrapped(gw_obj_sse_t *s, const gw_ssekey_t *k)
{
    char buf[GW_SSE_OBJ_NAME_MAX];

    cn_slice_t name = s->name_of.len ? s->name_of : gw__sse_object_name(s->r, buf);

    if (gw_sse_obj_open_wrapped(&s->rec, k->kek, name, s->key)) {
        if (next_origin(s)) /* written by a linked cluster? its key comes to s->keyed */
            return 1;
        CN_LOG(CN_LOG_ERROR, "object %s: its key does not unwrap with %s epoch %u%s%s",
               s->r->route.key, k->name, k->epoch, k->origin[0] ? " of linked cluster " : "",
               k->origin);
        gw_req_error(s->r, GW_S3_INTERNAL_ERROR, NULL);
        return -1;
    }
    s->have_key = 1;
    return 0;
}

/* ---- the decision: the request's headers or the bucket's default ------------------------ */

/* What a new object or upload of r is to be: GW_S3_OK with *q (mode GW_SSE_NONE: plain), or
 * r was answered (the error returned). */
static gw_s3_err_t decide(gw_req_t *r, gw_sse_req_t *q)
{
    const char *msg = NULL;
    gw_s3_err_t e = gw__sse_read_headers(r, q, &msg);
    const gw_bucket_t *b;

    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return e;
    }
    if (q->mode == GW_SSE_NONE && (b = gw_mgr_bucket_find(r->srv, r->route.bucket)) != NULL &&
        b->has_encryption) {
        if (b->encryption.mode == GW_SSE_NONE) { /* stored, but does not read: fail closed */
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return GW_S3_INTERNAL_ERROR;
        }
        q->mode = b->encryption.mode;
        if (b->encryption.mode == GW_SSE_KMS && b->encryption.kms_key_id[0])
            q->kms_key_id = cn_strdup(b->encryption.kms_key_id);
        q->bucket_key = b->encryption.bucket_key;
    }
    if (q->mode == GW_SSE_C && !gw__sse_c_transport_ok(r))
        return GW_S3_INVALID_REQUEST;
    return GW_S3_OK;
}

/* The key service's name of the key a request names: its KMS key id, else the built-in. */
static const char *key_name_of(const gw_sse_req_t *q)
{
    return q->mode == GW_SSE_KMS && q->kms_key_id ? q->kms_key_id : GW_SSE_S3_KEY;
}

/* A new record of s->req's mode (multipart: an upload's) with its key in s->key, then
 * after(s): SSE-C at once, SSE-S3/KMS under the newest epoch of its key. */
static void record_done(gw_obj_sse_t *s);

static void new_wrapped(gw_obj_sse_t *s, const gw_ssekey_t *k)
{
    char buf[GW_SSE_OBJ_NAME_MAX];
    int multipart = s->rec.multipart;
    int rc = gw_sse_obj_new_wrapped(&s->rec, s->req.mode, k->name, k->epoch, k->kek,
                                    gw__sse_object_name(s->r, buf), s->req.context, s->key);

    if (rc != 0) {
        gw_req_error(s->r, rc == CN_EINVAL ? GW_S3_INVALID_ARGUMENT : GW_S3_INTERNAL_ERROR,
                     NULL);
        return;
    }
    s->rec.multipart = multipart;
    s->rec.bucket_key = s->req.bucket_key;
    s->have_key = 1;
    record_done(s);
}

static void new_record(gw_obj_sse_t *s, int multipart)
{
    const char *name;

    if (s->req.mode == GW_SSE_C) {
        if (gw_sse_obj_new_c(&s->rec, s->req.cust.key, s->key) != 0) {
            gw_req_error(s->r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        s->rec.multipart = multipart;
        s->have_key = 1;
        record_done(s);
        return;
    }
    s->rec.multipart = multipart;
    s->keyed = new_wrapped;
    name = key_name_of(&s->req);
    gw__sse_with_key(s, name, 0, strcmp(name, GW_SSE_S3_KEY) == 0, 0);
}

/* ---- PutObject and UploadPart: the body ------------------------------------------------ */

/* Overwrites the plaintext p[0, n) of a write where it lies: h2o's whole entity when it lies
 * in it, not only the body. An aws-chunked body was decoded in place (gw_chunked_decode): the
 * entity's last bytes, as long as the framing taken off, still hold the end of the plaintext
 * as it arrived (seen: tests/integration/test_sse_disk.sh). A copy's plaintext is the
 * request's own buffer. */
static void wipe_plain(gw_req_t *r, char *p, size_t n)
{
    const h2o_req_t *req = r->http.req;
    uintptr_t at = (uintptr_t)p;

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

/* Overwrites the text of the SSE-C keys of q: the header values h2o hands out, and (base64,
 * as sent) the request head's raw bytes that h2o keeps before the body in the body's temp
 * file over HTTP/1 (seen: tests/integration/test_sse_disk.sh), searched from the mapping's
 * start up to the body. Called once the write's headers are read for the last time. */
static void wipe_keys(gw_req_t *r, const gw_sse_req_t *q)
{
    static const char *const names[] = {GW_SSE_HDR "-customer-key",
                                        "x-amz-copy-source-server-side-encryption-customer-key"};
    h2o_req_t *req = r->http.req;
    const gw_sse_cust_t *keys[] = {&q->cust, &q->copy_src};
    char b64[2 * CN_SSE_KEY_LEN];
    uintptr_t lo, hi;

    if (req == NULL)
        return;
    for (size_t i = 0; i < req->headers.size; i++)
        for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++)
            if (req->headers.entries[i].name->len == strlen(names[j]) &&
                strncasecmp(req->headers.entries[i].name->base, names[j], strlen(names[j])) ==
                    0)
                OPENSSL_cleanse(req->headers.entries[i].value.base,
                                req->headers.entries[i].value.len);
    if (req->entity.base == NULL || req->entity.len == 0 ||
        !gw_body_pager_map(req->entity.base, &lo, &hi))
        return;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char *p = (char *)lo, *end = req->entity.base;
        int n;

        if (!keys[i]->given)
            continue;
        n = EVP_EncodeBlock((unsigned char *)b64, keys[i]->key, CN_SSE_KEY_LEN);
        while (p < end && (p = memmem(p, (size_t)(end - p), b64, (size_t)n)) != NULL) {
            OPENSSL_cleanse(p, (size_t)n);
            p += n;
        }
    }
    OPENSSL_cleanse(b64, sizeof(b64));
}

/* Encrypts the write's plaintext o->body (r's body, or a copy's source) as stream s->stream
 * under s->dk into s->stored, wipes the plaintext, points o->body at the ciphertext, and goes
 * on to s->cont (the write's put). */
static void encrypt_body(gw_obj_sse_t *s)
{
    gw_req_t *r = s->r;
    gw_obj_op_t *o = r->op;
    cn_slice_t plain = o->body;
    cn_sse_enc_t *e = NULL;
    size_t n1 = 0, n2 = 0;
    uint8_t rnd[16];
    /* the encryptor asks for room for a tag or two more than the stream will take */
    size_t cap = cn_sse_enc_update_max(plain.len);

    s->plain_len = plain.len;
    s->stored_len = (size_t)cn_sse_stored_len(s->plain_len);
    s->stored = cn_malloc(cap);
    if (cn_sse_enc_create(s->dk, s->stream, s->plain_len, &e) != 0 ||
        cn_sse_enc_update(e, plain.ptr, plain.len, s->stored, cap, &n1) != 0 ||
        cn_sse_enc_final(e, s->stored + n1, cap - n1, &n2) != 0 || n1 + n2 != s->stored_len) {
        cn_sse_enc_destroy(e);
        CN_LOG(CN_LOG_ERROR, "encrypting %s: the stream came out wrong", r->route.key);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    cn_sse_enc_destroy(e);
    /* the plaintext goes now, before any byte leaves: in h2o's buffer (its temp file's
     * pages when it is over 4 MiB) only zeros are left */
    wipe_plain(r, (char *)plain.ptr, plain.len);
    wipe_keys(r, &s->req);
    o->body = cn_slice((const char *)s->stored, s->stored_len);
    o->force_chunked = 1;
    if (s->rec.mode != GW_SSE_S3) { /* S3: the ETag of SSE-C and SSE-KMS is not an MD5 */
        if (cn_random_bytes(rnd, sizeof(rnd)) != 0) {
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        cn_hex(rnd, sizeof(rnd), o->etag);
    }
    s->cont(r);
}

/* The record's key is known: what the operation does with it. */
static void record_done(gw_obj_sse_t *s)
{
    cn_buf_t b;
    char *hex;

    switch (s->op) {
    case GW_SSE_OP_PUT: /* one stream: the record's key is its key */
        memcpy(s->dk, s->key, sizeof(s->dk));
        s->stream = 0;
        encrypt_body(s);
        break;
    case GW_SSE_OP_CREATE: /* the upload's record goes into its marker */
        cn_buf_init(&b);
        gw_sse_obj_encode(&s->rec, &b);
        hex = cn_malloc(2 * b.len + 1);
        cn_hex(b.data, b.len, hex);
        gw_meta_set(s->meta, GW_META_SSE, hex); /* the marker's, just encoded */
        cn_free(hex);
        cn_buf_dispose(&b);
        s->cont(s->r);
        break;
    case GW_SSE_OP_PART: { /* a stream of its own for this upload of the part */
        gw_sse_part_t p = {.number = s->stream,
                           .plain_len = ((gw_obj_op_t *)s->r->op)->body.len};

        if (cn_random_bytes(p.salt, sizeof(p.salt)) != 0 ||
            cn_sse_part_key(s->key, p.salt, s->dk) != 0) {
            gw_req_error(s->r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        cn_free(s->rec.parts); /* the upload's record has none; the part's has itself */
        s->rec.parts = NULL;
        s->rec.nparts = 0;
        gw_sse_obj_add_part(&s->rec, &p);
        encrypt_body(s);
        break;
    }
    case GW_SSE_OP_PART_COPY: /* the key is known: the part's bytes come from its source
                                 (s3_sse_copy.c), then gw_s3_sse_part_encrypt */
        s->cont(s->r);
        break;
    case GW_SSE_OP_GET: /* reads open records, never make them (s3_sse_read.c) */
        CN_ASSERT(!"a read made a record");
    }
}

/* The decision of a new object or upload (decide): NULL when r was answered, or goes on in
 * the clear (cont(r) called); else the state that will make its record, then cont. */
static gw_obj_sse_t *begin_write(gw_req_t *r, enum gw_sse_op op, void (*cont)(gw_req_t *r))
{
    gw_sse_req_t q = {0};
    gw_obj_sse_t *s;

    if (decide(r, &q) != GW_S3_OK)
        return NULL;
    if (q.mode == GW_SSE_NONE) {
        gw_sse_req_dispose(&q);
        cont(r);
        return NULL;
    }
    s = gw__sse_new(r);
    s->req = q;
    s->op = op;
    s->cont = cont;
    return s;
}

void gw_s3_sse_put(gw_req_t *r, void (*cont)(gw_req_t *r))
{
    gw_obj_sse_t *s = begin_write(r, GW_SSE_OP_PUT, cont);

    if (s != NULL) {
        ((gw_obj_op_t *)r->op)->sse = s;
        new_record(s, 0);
    }
}

void gw_s3_sse_create(gw_req_t *r, gw_obj_sse_t **sp, cn_buf_t *meta,
                      void (*cont)(gw_req_t *r))
{
    gw_obj_sse_t *s = begin_write(r, GW_SSE_OP_CREATE, cont);

    if (s != NULL) {
        *sp = s;
        s->meta = meta;
        new_record(s, 1);
    }
}

/* The upload's record from a marker's metadata: 1 with *rec, 0 none, -1 unreadable. */
static int marker_record(cn_slice_t meta, gw_sse_obj_t *rec)
{
    cn_buf_t hex;
    uint8_t *bin;
    size_t n;
    int rc;

    cn_buf_init(&hex);
    rc = gw_meta_find(meta.ptr ? meta.ptr : "", meta.len, GW_META_SSE, &hex);
    if (rc <= 0) {
        cn_buf_dispose(&hex);
        return rc == 0 ? 0 : -1;
    }
    n = hex.len / 2;
    bin = cn_malloc(n ? n : 1);
    rc = hex.len % 2 == 0 && cn_unhex(hex.data, n, bin) == 0 &&
                 gw_sse_obj_decode(bin, n, rec) == 0 && rec->multipart && rec->nparts == 0
             ? 1
             : -1;
    cn_free(bin);
    cn_buf_dispose(&hex);
    return rc;
}

static void part_keyed(gw_obj_sse_t *s, const gw_ssekey_t *k)
{
    if (gw__sse_open_wrapped(s, k) == 0)
        record_done(s);
}

void gw_s3_sse_part(gw_req_t *r, cn_slice_t marker_meta, uint32_t number,
                    void (*cont)(gw_req_t *r))
{
    gw_obj_op_t *o = r->op;
    gw_sse_req_t q = {0};
    gw_sse_obj_t rec;
    const char *msg = NULL;
    gw_s3_err_t e = gw__sse_read_headers(r, &q, &msg);
    int have = e == GW_S3_OK ? marker_record(marker_meta, &rec) : 0;
    gw_obj_sse_t *s;

    if (e != GW_S3_OK || have < 0) {
        gw_sse_req_dispose(&q);
        gw_req_error(r, e != GW_S3_OK ? e : GW_S3_INTERNAL_ERROR, msg);
        return;
    }
    if (q.mode != GW_SSE_NONE && q.mode != GW_SSE_C) { /* the upload decided that */
        gw_sse_req_dispose(&q);
        if (have)
            gw_sse_obj_dispose(&rec);
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, gw__sse_not_for_op_msg);
        return;
    }
    if (!have) {
        gw_sse_mode_t asked = q.mode;
        gw_sse_req_dispose(&q);
        if (asked == GW_SSE_C)
            gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_not_applicable_msg);
        else
            cont(r);
        return;
    }
    o->sse = s = gw__sse_new(r);
    s->req = q;
    s->rec = rec;
    s->op = o->copy_reply == 2 ? GW_SSE_OP_PART_COPY : GW_SSE_OP_PART;
    s->stream = number;
    s->cont = cont;
    if (rec.mode == GW_SSE_C) {
        if (q.mode != GW_SSE_C) {
            gw_req_error(r, GW_S3_INVALID_REQUEST,
                         "The multipart upload initiate requested encryption. Subsequent part "
                         "requests must include the appropriate encryption parameters.");
            return;
        }
        if (gw__sse_c_transport_ok(r) && gw__sse_open_c(s) == 0)
            record_done(s);
        return;
    }
    if (q.mode == GW_SSE_C) {
        gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_not_applicable_msg);
        return;
    }
    s->keyed = part_keyed;
    gw__sse_with_key(s, rec.key_name, rec.epoch, 0, 1);
}

void gw_s3_sse_part_encrypt(gw_req_t *r, void (*cont)(gw_req_t *r))
{
    gw_obj_sse_t *s = ((gw_obj_op_t *)r->op)->sse;

    if (s == NULL) { /* a plain upload */
        cont(r);
        return;
    }
    CN_ASSERT(s->op == GW_SSE_OP_PART_COPY && s->have_key);
    s->op = GW_SSE_OP_PART;
    s->cont = cont;
    record_done(s);
}

gw_s3_err_t gw_s3_sse_complete(cn_buf_t *meta, const cn_manifest_t *const *parts, size_t n,
                               cn_manifest_t *man)
{
    gw_sse_obj_t up, part;
    uint64_t plain = 0;
    cn_buf_t a, b;
    int have = marker_record(cn_slice(meta->data, meta->len), &up);
    gw_s3_err_t e = GW_S3_OK;

    if (have <= 0) {
        for (size_t i = 0; i < n; i++)
            if (parts[i]->sse != NULL) /* a part of another upload's encryption */
                return GW_S3_INVALID_PART;
        return have < 0 ? GW_S3_INTERNAL_ERROR : GW_S3_OK;
    }
    cn_buf_init(&a);
    cn_buf_init(&b);
    gw_sse_obj_encode(&up, &a);
    for (size_t i = 0; i < n && e == GW_S3_OK; i++) {
        if (parts[i]->sse == NULL ||
            gw_sse_obj_decode(parts[i]->sse, parts[i]->sse_len, &part) != 0) {
            e = GW_S3_INVALID_PART;
            break;
        }
        /* the part's record is the upload's with one entry, whose stream is its bytes */
        cn_buf_reset(&b);
        if (part.nparts == 1) {
            gw_sse_part_t p = part.parts[0];
            part.nparts = 0;
            gw_sse_obj_encode(&part, &b);
            part.nparts = 1;
            if (b.len == a.len && memcmp(a.data, b.data, a.len) == 0 &&
                cn_sse_stored_len(p.plain_len) == parts[i]->size) {
                gw_sse_obj_add_part(&up, &p);
                plain += p.plain_len;
            } else {
                e = GW_S3_INVALID_PART;
            }
        } else {
            e = GW_S3_INVALID_PART;
        }
        gw_sse_obj_dispose(&part);
    }
    if (e == GW_S3_OK) {
        cn_buf_reset(&b);
        gw_sse_obj_encode(&up, &b);
        cn_manifest_set_sse(man, b.data, b.len, plain);
        gw_meta_set(meta, GW_META_SSE, NULL); /* in the manifest now */
    }
    cn_buf_dispose(&a);
    cn_buf_dispose(&b);
    gw_sse_obj_dispose(&up);
    return e;
}

/* ---- what every write answers ------------------------------------------------------------ */

void gw_s3_sse_manifest(gw_req_t *r, cn_manifest_t *man)
{
    gw_obj_op_t *o = r->op;
    cn_buf_t b;

    if (o->sse == NULL || !o->sse->have_key)
        return;
    cn_buf_init(&b);
    gw_sse_obj_encode(&o->sse->rec, &b);
    cn_manifest_set_sse(man, b.data, b.len, o->sse->plain_len);
    cn_buf_dispose(&b);
}

/* The headers of a record (cust: the request's key, for SSE-C's MD5). */
static void record_headers(gw_req_t *r, const gw_sse_obj_t *rec, const gw_sse_cust_t *cust)
{
    const char *v;

    if (rec->mode == GW_SSE_C) {
        gw_req_add_header(r, GW_SSE_HDR "-customer-algorithm", "AES256", 6);
        if (cust != NULL && cust->given)
            gw_req_add_header(r, GW_SSE_HDR "-customer-key-md5", cust->md5_b64,
                              strlen(cust->md5_b64));
        return;
    }
    v = gw_sse_mode_header(rec->mode);
    gw_req_add_header(r, GW_SSE_HDR, v, strlen(v));
    if (rec->mode == GW_SSE_KMS)
        gw_req_add_header(r, GW_SSE_HDR "-aws-kms-key-id", rec->key_name,
                          strlen(rec->key_name));
    if (rec->bucket_key)
        gw_req_add_header(r, GW_SSE_HDR "-bucket-key-enabled", "true", 4);
}

void gw_s3_sse_headers(gw_req_t *r, const gw_obj_sse_t *s)
{
    if (s != NULL && s->have_key)
        record_headers(r, &s->rec, &s->req.cust);
}

void gw_s3_sse_headers_of_man(gw_req_t *r, const cn_manifest_t *man)
{
    gw_sse_obj_t rec;

    if (man->sse != NULL && gw_sse_obj_decode(man->sse, man->sse_len, &rec) == 0) {
        record_headers(r, &rec, NULL);
        gw_sse_obj_dispose(&rec);
    }
}

int gw_s3_sse_asked(const gw_req_t *r)
{
    const h2o_req_t *req = r->http.req;

    for (size_t i = 0; req != NULL && i < req->headers.size; i++)
        if (has_prefix(req->headers.entries[i].name, GW_SSE_HDR))
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
