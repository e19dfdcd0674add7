/*
 * gateway/s3/s3_sse_copy.c: CopyObject when its source or its copy is encrypted (issue 20;
 * s3_sse.h). Ciphertext is never copied as it is (its key is bound to the source object, and
 * the copy may want another mode or key): the source's plaintext is read into the request's
 * memory (o->copy.acc), decrypted with the copy source's key (an SSE-C source needs
 * x-amz-copy-source-server-side-encryption-customer-*, as S3), and written as a new object
 * through PutObject's path (gw_s3_sse_put: the request's headers or the bucket's default
 * decide its encryption). That bounds such a copy to GW_SSE_COPY_MAX bytes: a larger one is
 * refused with 501, never made otherwise. One chunk is read at a time.
 */
#include "gateway/s3/s3_sse_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/s3/chunk.h"
#include "gateway/s3/s3_object.h"

#define GW_SSE_COPY_MAX (256ull << 20)

static const char need_key_msg[] = "The source object of the COPY action is encrypted with a "
                                   "customer-provided key; the "
                                   "x-amz-copy-source-server-side-encryption-customer-* "
                                   "headers must give it.";

static void read_next(gw_req_t *r);

/* Everything is read: the plaintext goes to PutObject's path, or UploadPart's. */
static void read_done(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    uint8_t md5[CN_MD5_LEN];

    o->body = cn_slice(o->copy.acc.data ? o->copy.acc.data : "", o->copy.acc.len);
    cn_md5(o->body.ptr, o->body.len, md5); /* a plain or SSE-S3 copy's ETag */
    cn_hex(md5, sizeof(md5), o->etag);
    if (o->copy_reply == 2)
        gw_s3_sse_part_encrypt(r, gw_obj_put_start); /* UploadPartCopy */
    else
        gw_s3_sse_put(r, gw_obj_put_start);
}

static void on_chunk(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    struct gw_copy_state *cs;
    cn_slice_t b, plain;

    if (gw_req_rpc_gone(r, resp))
        return;
    cs = &((gw_obj_op_t *)r->op)->copy;
    b = rc == 0 ? cn_msg_body(resp) : cn_slice(NULL, 0);
    if (rc == 0 && (b.len == 0 || b.len > cs->end - cs->pos))
        rc = CN_ECORRUPT;
    if (rc == 0) {
        cs->pos += b.len;
        plain = b;
        if (cs->src_sse != NULL &&
            ((rc = gw__sse_stream_piece(cs->src_sse, b, cs->pos >= cs->end, &plain)) != 0 ||
             (cs->pos >= cs->end &&
              (rc = gw__sse_stream_next(cs->src_sse, &cs->src, &cs->pos, &cs->end)) < 0)))
            plain.len = 0;
        else
            rc = 0;
        cn_buf_append(&cs->acc, plain.ptr, plain.len);
    }
    if (resp)
        cn_msg_free(resp);
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "copy of %s: reading the source: %s", cs->src_path, cn_strerror(rc));
        gw_req_error(r, rc == CN_ENOENT ? GW_S3_INTERNAL_ERROR : gw_s3_err_from_rc(rc), NULL);
        return;
    }
    if (cs->pos < cs->end)
        read_next(r);
    else
        read_done(r);
}

static void read_next(gw_req_t *r)
{
    struct gw_copy_state *cs = &((gw_obj_op_t *)r->op)->copy;
    int rc = gw_chunk_read_send(r, &cs->src, cs->pos, cs->end, on_chunk, r);

    if (rc != 0)
        gw_req_error(r, rc == CN_ECORRUPT ? GW_S3_INTERNAL_ERROR : GW_S3_SERVICE_UNAVAILABLE,
                     NULL);
}

/* The source's key is known (or it is not encrypted): read its plaintext bytes [want_off,
 * want_end) (gw_s3_sse_copy set them: all of it, or an UploadPartCopy's range). */
static void read_start(gw_req_t *r)
{
    struct gw_copy_state *cs = &((gw_obj_op_t *)r->op)->copy;
    uint64_t off = cs->want_off, len = cs->want_end - cs->want_off;
    int rc;

    cs->pos = off;
    cs->end = off + len;
    if (len == 0) {
        read_done(r);
        return;
    }
    if (cs->src_sse != NULL &&
        (rc = gw__sse_stream_start(cs->src_sse, &cs->src, off, len, &cs->pos, &cs->end)) != 0) {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    read_next(r);
}

static void src_keyed(gw_obj_sse_t *s, const gw_ssekey_t *k)
{
    if (gw__sse_open_wrapped(s, k) == 0)
        read_start(s->r);
}

/* 1 when r names a copy source's SSE-C key (its algorithm header). */
static int src_key_given(const gw_req_t *r)
{
    return gw_req_header(r, "x-amz-copy-source-server-side-encryption-customer-algorithm").ptr !=
           NULL;
}

int gw_s3_sse_copy_wanted(gw_req_t *r, const cn_manifest_t *src)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    return (src != NULL && src->sse != NULL) || gw_s3_sse_asked(r) || src_key_given(r) ||
           (b != NULL && b->has_encryption);
}

int gw_s3_sse_copy_plain_source(gw_req_t *r)
{
    if (!src_key_given(r))
        return 0;
    gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_not_applicable_msg);
    return 1;
}

void gw_s3_sse_copy(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    struct gw_copy_state *cs = &o->copy;
    gw_sse_req_t q = {0};
    const char *msg = NULL;
    gw_s3_err_t e = gw__sse_read_headers(r, &q, &msg);
    gw_obj_sse_t *s;

    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    /* what to read: an UploadPartCopy's range (in cs->pos/end now), else all of it */
    cs->want_off = o->copy_reply == 2 ? cs->pos : 0;
    cs->want_end = o->copy_reply == 2 ? cs->end : cn_manifest_object_size(&cs->src);
    if (cs->want_end - cs->want_off > GW_SSE_COPY_MAX) {
        gw_sse_req_dispose(&q);
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED, "A copy that decrypts or encrypts is limited "
                     "to 256 MiB for now: the source is larger.");
        return;
    }
    if (cs->src.sse == NULL) { /* a plain source, to be encrypted */
        gw_sse_req_dispose(&q);
        if (!gw_s3_sse_copy_plain_source(r))
            read_start(r);
        return;
    }
    cs->src_sse = s = gw__sse_new(r);
    s->req = q;
    if (gw_sse_obj_decode(cs->src.sse, cs->src.sse_len, &s->rec) != 0) {
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    /* the source's record is bound to the source's name */
    s->name_of = cn_slice(cs->src_path, cs->src_path_len);
    if (s->rec.mode == GW_SSE_C) {
        if (!q.copy_src.given) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, need_key_msg);
            return;
        }
        memcpy(&s->req.cust, &q.copy_src, sizeof(s->req.cust)); /* opens with that key */
        if (gw__sse_c_transport_ok(r) && gw__sse_open_c(s) == 0)
            read_start(r);
        return;
    }
    if (q.copy_src.given) {
        gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_not_applicable_msg);
        return;
    }
    s->keyed = src_keyed;
    gw__sse_with_key(s, s->rec.key_name, s->rec.epoch, 0, 1);
}
