/*
 * gateway/s3/chunk.c: large objects (see chunk.h). PUT writes up to GW_CHUNK_WINDOW chunks at a
 * time from the request body (h2o holds the whole body, in memory or an mmapped temp file),
 * then the manifest parent; a failed chunk fails the PUT and the chunks written are deleted.
 * GET fetches one chunk piece at a time: the generator's proceed callback asks for the next
 * piece only when h2o has sent the previous one, so at most one chunk is in memory.
 * If the client goes away during a chunked PUT, the chunks already written stay behind (they
 * are invisible to listings; logged).
 */
#include "gateway/s3/chunk.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "common/clock.h"
#include "common/ec.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/auth/auth_req.h"
#include "gateway/http/body_pager.h"
#include "gateway/link/mgr_link.h"
#include "gateway/link/stor_link.h"
#include "gateway/s3/ec_chunk.h"
#include "gateway/s3/s3_sse.h"
#include "gateway/gateway.h"

void gw_chunk_delete_bg(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx,
                        cn_buf_t *scratch)
{
    if (seg->ec_k) {
        gw_ec_delete_bg(s, seg, idx);
        return;
    }
    cn_manifest_chunk_key(seg, idx, scratch);
    gw_stor_delete_bg(s, scratch->data, scratch->len);
}

int gw_chunk_write(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, const void *data,
                   size_t len, int stable, const char *etag, cn_rpc_done_fn cb, void *arg)
{
    cn_buf_t k;
    cn_msg_t *m;
    int rc = 0;

    if (seg->ec_k)
        return gw_ec_write(s, seg, idx, data, len, stable, cb, arg);
    cn_buf_init(&k);
    cn_manifest_chunk_key(seg, idx, &k);
    m = cn_msg_new(CN_OP_PUT);
    cn_msg_set_bytes(m, "key", k.data, k.len);
    cn_msg_set_u64(m, "clock", 0);
    cn_msg_set_str(m, "etag", etag ? etag : "");
    cn_msg_set_bytes(m, "meta", "", 0);
    cn_msg_set_u64(m, "flags", 0);
    if (stable)
        cn_msg_set_body_ref(m, data, len);
    else
        cn_msg_set_body_copy(m, data, len);
    if (gw_stor_send(s, k.data, k.len, m, cb, arg) != 0)
        rc = CN_EUNAVAIL;
    cn_buf_dispose(&k);
    return rc;
}

int gw_chunk_get(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, uint64_t off,
                 uint64_t len, cn_rpc_done_fn cb, void *arg)
{
    uint64_t clen;
    cn_buf_t k;
    cn_msg_t *m;
    int rc = 0;

    if (idx >= cn_manifest_seg_chunks(seg))
        return CN_ECORRUPT;
    clen = cn_manifest_chunk_len(seg, idx);
    if (off >= clen || len == 0)
        return CN_ECORRUPT;
    if (len > clen - off)
        len = clen - off;
    if (seg->ec_k)
        return gw_ec_read(s, seg, idx, off, len, cb, arg);
    cn_buf_init(&k);
    cn_manifest_chunk_key(seg, idx, &k);
    m = cn_msg_new(CN_OP_GET);
    cn_msg_set_bytes(m, "key", k.data, k.len);
    if (off != 0 || len != clen) {
        cn_msg_set_u64(m, "offset", off);
        cn_msg_set_u64(m, "length", len);
    }
    if (gw_stor_send(s, k.data, k.len, m, cb, arg) != 0)
        rc = CN_EUNAVAIL;
    cn_buf_dispose(&k);
    return rc;
}

void gw_chunk_code_seg(gw_server_t *s, const char *bucket, cn_manifest_t *m, size_t seg)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(s, bucket);
    const cn_manifest_seg_t *sg = &m->segs[seg];

    if (b == NULL || b->redundancy.kind != CN_REDUND_EC || sg->size < s->conf.ec_min_object ||
        sg->chunk_size > CN_EC_CHUNK_MAX || sg->prefix_len < 3 ||
        memcmp(sg->prefix, "\x01" "c/", 3) != 0)
        return;
    cn_manifest_seg_set_ec(m, seg, b->redundancy.k, b->redundancy.m);
}

int gw_chunk_coded(gw_server_t *s, const char *bucket, uint64_t size)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(s, bucket);

    return b != NULL && b->redundancy.kind == CN_REDUND_EC && size >= s->conf.ec_min_object;
}

void gw_chunk_delete_replaced(gw_server_t *s, const cn_manifest_t *old,
                              const cn_manifest_t *keep)
{
    cn_buf_t k;
    cn_buf_init(&k);
    for (size_t i = 0; i < old->nsegs; i++) {
        const cn_manifest_seg_t *sg = &old->segs[i];
        int kept = 0;

        for (size_t j = 0; keep != NULL && j < keep->nsegs && !kept; j++)
            kept = keep->segs[j].prefix_len == sg->prefix_len &&
                   memcmp(keep->segs[j].prefix, sg->prefix, sg->prefix_len) == 0;
        for (uint64_t j = 0; !kept && j < cn_manifest_seg_chunks(sg); j++)
            gw_chunk_delete_bg(s, sg, j, &k);
    }
    cn_buf_dispose(&k);
}

void gw_chunk_delete_all(gw_server_t *s, const cn_manifest_t *m)
{
    gw_chunk_delete_replaced(s, m, NULL);
}

/* ---- PUT ----------------------------------------------------------------------------- */

static void pump(gw_req_t *r);

static void delete_written(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_buf_t k;
    cn_buf_init(&k);
    for (uint64_t j = 0; j < o->next_chunk; j++)
        gw_chunk_delete_bg(r->srv, &o->man.segs[0], j, &k);
    cn_buf_dispose(&k);
}

static void on_parent_put(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);

    if (gw_req_rpc_gone(r, resp))
        return;
    gw_obj_op_t *o = r->op;
    if (rc == 0)
        gw_obj_keep_replaced(resp, &o->old_man, &o->have_old); /* want_prev: chunks to drop */
    if (resp)
        cn_msg_free(resp);
    if (rc != 0 && rc != CN_ESTALE) {
        CN_LOG(CN_LOG_WARN, "put manifest %s: %s", o->key.data, cn_strerror(rc));
        delete_written(r);
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    if (o->have_old) /* a retried write's "replaced" copy is itself: its chunks stay */
        gw_chunk_delete_replaced(r->srv, &o->old_man, &o->man);
    gw_obj_put_reply(r);
}

void gw_chunk_put_manifest(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m = cn_msg_new(CN_OP_PUT);
    cn_buf_t body;

    cn_buf_init(&body);
    cn_manifest_encode(&o->man, &body);
    cn_msg_set_bytes(m, "key", o->key.data, o->key.len);
    cn_msg_set_u64(m, "clock", o->clock); /* a new version's (its ID's), else 0: storage's */
    cn_msg_set_str(m, "etag", o->etag);
    cn_msg_set_bytes(m, "meta", o->meta.data ? o->meta.data : "", o->meta.len);
    cn_msg_set_u64(m, "flags", CN_OBJ_MANIFEST);
    cn_msg_set_u64(m, "size", cn_manifest_object_size(&o->man)); /* plaintext: listings' */
    cn_msg_set_u64(m, "want_prev", 1); /* the reply says what it replaced */
    cn_wcond_to_msg(&o->wcond, m);      /* a condition: the key's coordinator decides */
    cn_msg_set_body_copy(m, body.data, body.len);
    cn_buf_dispose(&body);
    r->http.pending++;
    if (gw_obj_write_send(r->srv, o->key.data, o->key.len, m, on_parent_put, r) != 0) {
        r->http.pending--;
        delete_written(r);
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

static void on_chunk_put(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);

    if (resp)
        cn_msg_free(resp);
    if (gw_req_rpc_done(r)) {
        CN_LOG(CN_LOG_WARN, "client gone during a chunked PUT; its chunks stay behind");
        return;
    }
    gw_obj_op_t *o = r->op;
    o->inflight--;
    if (rc != 0 && rc != CN_ESTALE) {
        if (!o->failed)
            CN_LOG(CN_LOG_WARN, "put chunk of %s: %s", o->key.data, cn_strerror(rc));
        o->failed = rc;
    } else {
        o->done_chunks++;
    }
    pump(r);
}

static void pump(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    const cn_manifest_seg_t *seg = &o->man.segs[0];
    const char *base = o->body.ptr;
    while (!o->failed && o->inflight < GW_CHUNK_WINDOW && o->next_chunk < o->nchunks) {
        uint64_t i = o->next_chunk++;
        uint64_t off = i * seg->chunk_size;
        uint64_t len = cn_manifest_chunk_len(seg, i);
        uint8_t md5[CN_MD5_LEN];
        char etag[2 * CN_MD5_LEN + 1];

        if (o->sse != NULL || seg->ec_k) /* ciphertext: its blocks' GCM tags check it; a
                             * coded chunk: its fragments' CRCs. An MD5 of it would cost a
                             * pass that no client sees (PERFORMANCE.md, SSE) */
            etag[0] = '\0';
        else if (gw_req_chunk_md5(r, o->body, seg->chunk_size, i, md5) == 0)
            cn_hex(md5, sizeof(md5), etag);
        else { /* not from the body's one pass (auth_req.h) */
            cn_md5(base + off, len, md5);
            cn_hex(md5, sizeof(md5), etag);
        }
        r->http.pending++;
        o->inflight++;
        /* h2o keeps its body until we answer, and o->sse its ciphertext: no copy */
        if (gw_chunk_write(r->srv, seg, i, base + off, len,
                           o->sse != NULL || gw_http_body_stable(&r->http), etag, on_chunk_put,
                           r) != 0) {
            r->http.pending--;
            o->inflight--;
            o->failed = CN_EUNAVAIL;
        }
        if (!seg->ec_k) /* in the RPC frame now (a coded chunk's: once encoded) */
            gw_body_pager_release(base + off, len);
    }
    if (o->inflight)
        return;
    if (o->failed) {
        delete_written(r);
        gw_req_error(r, gw_s3_err_from_rc(o->failed), NULL);
    } else if (o->done_chunks == o->nchunks) {
        gw_chunk_put_manifest(r);
    }
}

void gw_chunk_put(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    uint64_t ver;
    char prefix[GW_KEY_MAX + GW_BUCKET_MAX + 64];
    int n;

    cn_manifest_dispose(&o->man);
    if (o->chunk_prefix) {
        cn_manifest_add_seg(&o->man, o->chunk_prefix, strlen(o->chunk_prefix), o->size,
                            r->srv->conf.chunk_size);
    } else {
        if (cn_random_bytes(&ver, sizeof(ver)) != 0)
            ver = cn_now_ns();
        n = snprintf(prefix, sizeof(prefix), "\x01" "c/%s/%016" PRIx64 "/", o->key.data, ver);
        cn_manifest_add_seg(&o->man, prefix, (size_t)n, o->size, r->srv->conf.chunk_size);
    }
    gw_chunk_code_seg(r->srv, r->route.bucket, &o->man, 0); /* its bucket's redundancy */
    o->man.size = o->size;
    snprintf(o->man.etag, sizeof(o->man.etag), "%s", o->etag);
    gw_s3_sse_manifest(r, &o->man); /* an encrypted object's record (s3_sse.h) */
    o->nchunks = cn_manifest_seg_chunks(&o->man.segs[0]);
    pump(r);
}

/* ---- GET ----------------------------------------------------------------------------- */

static void fetch_next(gw_req_t *r);

static void stream_fail(gw_req_t *r, int rc)
{
    gw_obj_op_t *o = r->op;
    CN_LOG(CN_LOG_WARN, "read of %s at %" PRIu64 ": %s", o->key.data, o->pos, cn_strerror(rc));
    if (!o->started) {
        gw_obj_drop_headers(r); /* an error, not the object */
        gw_req_error(r, rc == CN_ENOENT ? GW_S3_INTERNAL_ERROR : gw_s3_err_from_rc(rc), NULL);
        return;
    }
    h2o_send(r->http.req, NULL, 0, H2O_SEND_STATE_ERROR);
}

static void on_chunk_get(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);

    if (gw_req_rpc_gone(r, resp))
        return;
    gw_obj_op_t *o = r->op;
    cn_slice_t b = rc == 0 ? cn_msg_body(resp) : cn_slice(NULL, 0);
    if (rc == 0 && (b.len == 0 || b.len > o->end - o->pos))
        rc = CN_ECORRUPT;
    if (rc != 0) {
        if (resp)
            cn_msg_free(resp);
        stream_fail(r, rc);
        return;
    }
    o->pos += b.len;
    if (o->sse != NULL) { /* an encrypted object: the plaintext of the blocks it completes */
        cn_slice_t stored = b;
        if ((rc = gw_s3_sse_stream_piece(r, stored, o->pos >= o->end, &b)) != 0 ||
            (o->pos >= o->end && (rc = gw_s3_sse_stream_next(r, &o->pos, &o->end)) < 0)) {
            cn_msg_free(resp);
            stream_fail(r, rc);
            return;
        }
    }
    if (o->cur)
        cn_msg_free(o->cur);
    o->cur = resp;
    if (!o->started) {
        o->started = 1;
        r->http.responded = 1;
        r->http.req->res.status = o->ranged ? 206 : 200;
        r->http.req->res.reason = o->ranged ? "Partial Content" : "OK";
        r->http.req->res.content_length = o->len;
        h2o_start_response(r->http.req, &r->gen);
    }
    if (b.len == 0 && o->pos < o->end) { /* a block not complete yet: read on */
        cn_msg_free(o->cur);
        o->cur = NULL;
        fetch_next(r);
        return;
    }
    h2o_iovec_t iov = h2o_iovec_init(b.ptr, b.len);
    h2o_send(r->http.req, &iov, 1, o->pos >= o->end ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

int gw_chunk_read_send(gw_req_t *r, const cn_manifest_t *m, uint64_t pos, uint64_t end,
                       cn_rpc_done_fn cb, void *arg)
{
    cn_chunk_ref_t ref;
    int rc;

    if (cn_manifest_locate(m, pos, end, &ref) != 0)
        return CN_ECORRUPT;
    r->http.pending++;
    if ((rc = gw_chunk_get(r->srv, &m->segs[ref.seg], ref.idx, ref.off, ref.len, cb, arg)))
        r->http.pending--;
    return rc;
}

static void fetch_next(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    int rc = gw_chunk_read_send(r, &o->man, o->pos, o->end, on_chunk_get, r);

    if (rc != 0)
        stream_fail(r, rc);
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req)
{
    gw_req_t *r = (gw_req_t *)((char *)g - offsetof(gw_req_t, gen));
    gw_obj_op_t *o = r->op;
    if (o->cur) {
        cn_msg_free(o->cur);
        o->cur = NULL;
    }
    if (o->pos < o->end)
        fetch_next(r);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req)
{
    /* the request is going away; its pool dispose detaches the context (http.c) */
}

void gw_chunk_stream(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    int rc;

    o->pos = o->off;
    o->end = o->off + o->len;
    r->gen.proceed = on_proceed;
    r->gen.stop = on_stop;
    if (o->len == 0) {
        gw_req_send_inline(r, 200, "", 0);
        return;
    }
    /* an encrypted object: the stored blocks that hold the range (s3_sse.h) */
    if (o->sse != NULL && (rc = gw_s3_sse_stream_start(r, o->off, o->len, &o->pos, &o->end))) {
        stream_fail(r, rc);
        return;
    }
    fetch_next(r);
}
