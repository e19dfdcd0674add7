/*
 * gateway/s3/s3_sse_read.c: server-side encryption of GetObject and HeadObject (see
 * s3_sse.h). The checks follow S3's order: an encrypted object's SSE-C key first (missing:
 * 400 InvalidRequest, wrong: 403 AccessDenied), then the key of SSE-S3/KMS from the key
 * service; no byte of the object is sent before both are settled. A range is decrypted from
 * the blocks that hold it, part after part for a multipart object: each part is a stream of
 * its own (sse_obj.h), so the decryptor is made again at every part the range enters.
 */
#include "gateway/s3/s3_sse_int.h"

#include <openssl/crypto.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_object.h"

static const char need_key_msg[] = "The object was stored using a form of Server Side "
                                   "Encryption. The correct parameters must be provided to "
                                   "retrieve the object.";

static void get_keyed(gw_obj_sse_t *s, const gw_ssekey_t *k)
{
    if (gw__sse_open_wrapped(s, k) == 0)
        s->cont(s->r);
}

int gw_s3_sse_get_open(gw_req_t *r, void (*cont)(gw_req_t *r))
{
    gw_obj_op_t *o = r->op;
    gw_sse_req_t q = {0};
    const char *msg = NULL;
    gw_s3_err_t e;
    gw_obj_sse_t *s;
    int encrypted = o->is_manifest && o->man.sse != NULL;

    if (o->sse != NULL && o->sse->have_key)
        return 1; /* back from the key service */
    if ((e = gw__sse_read_headers(r, &q, &msg)) != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return -1;
    }
    if (q.mode != GW_SSE_NONE && q.mode != GW_SSE_C) {
        gw_sse_req_dispose(&q);
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, gw__sse_not_for_op_msg);
        return -1;
    }
    if (!encrypted) {
        gw_sse_mode_t asked = q.mode;
        gw_sse_req_dispose(&q);
        if (asked == GW_SSE_C) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_not_applicable_msg);
            return -1;
        }
        return 1;
    }
    gw_s3_sse_free(o->sse);
    o->sse = s = gw__sse_new(r);
    s->req = q;
    s->op = GW_SSE_OP_GET;
    s->cont = cont;
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
        return gw__sse_c_transport_ok(r) && gw__sse_open_c(s) == 0 ? 1 : -1;
    }
    if (q.mode == GW_SSE_C) {
        gw_req_error(r, GW_S3_INVALID_REQUEST, gw__sse_not_applicable_msg);
        return -1;
    }
    s->keyed = get_keyed;
    /* on a cache hit get_keyed goes on at once, through cont: this call is then done too */
    gw__sse_with_key(s, s->rec.key_name, s->rec.epoch, 0, 1);
    return 0;
}

/* Part i of s's object as streams: a single PUT's one stream is part 0 of the record's
 * length under the record's key. */
static size_t nstreams(const gw_obj_sse_t *s)
{
    return s->rec.multipart ? s->rec.nparts : 1;
}

static uint64_t stream_plain(const gw_obj_sse_t *s, const cn_manifest_t *man, size_t i)
{
    return s->rec.multipart ? s->rec.parts[i].plain_len : man->plain_size;
}

int gw_s3_sse_part_range(const gw_req_t *r, uint32_t idx, uint64_t *off, uint64_t *len)
{
    const gw_obj_op_t *o = r->op;
    const gw_obj_sse_t *s = o->sse;
    uint64_t at = 0;

    if (s == NULL || !s->have_key)
        return 1;
    if (!s->rec.multipart || idx < 1 || idx > s->rec.nparts)
        return CN_EINVAL;
    for (uint32_t i = 0; i + 1 < idx; i++)
        at += s->rec.parts[i].plain_len;
    *off = at;
    *len = s->rec.parts[idx - 1].plain_len;
    return 0;
}

int gw__sse_stream_start(gw_obj_sse_t *s, const cn_manifest_t *man, uint64_t off,
                         uint64_t len, uint64_t *pos, uint64_t *end)
{
    int rc;

    if (s == NULL || !s->have_key || len == 0)
        return CN_EINVAL;
    s->want_off = off;
    s->want_end = off + len;
    s->base_plain = 0;
    s->base_stored = 0;
    s->part_i = 0;
    rc = gw__sse_stream_next(s, man, pos, end);
    return rc == 1 ? 0 : rc == 0 ? CN_EINVAL : rc;
}

int gw_s3_sse_stream_start(gw_req_t *r, uint64_t off, uint64_t len, uint64_t *pos,
                           uint64_t *end)
{
    gw_obj_op_t *o = r->op;
    return gw__sse_stream_start(o->sse, &o->man, off, len, pos, end);
}

int gw_s3_sse_stream_next(gw_req_t *r, uint64_t *pos, uint64_t *end)
{
    gw_obj_op_t *o = r->op;
    return gw__sse_stream_next(o->sse, &o->man, pos, end);
}

int gw__sse_stream_next(gw_obj_sse_t *s, const cn_manifest_t *man, uint64_t *pos,
                        uint64_t *end)
{
    cn_sse_range_t rg;
    uint8_t dk[CN_SSE_KEY_LEN];
    int rc;

    while (s->want_off < s->want_end && s->part_i < nstreams(s)) {
        size_t i = s->part_i++;
        uint64_t plain = stream_plain(s, man, i), stored, a, b;
        uint32_t stream = s->rec.multipart ? s->rec.parts[i].number : 0;

        if (plain > CN_SSE_PLAIN_MAX)
            return CN_ECORRUPT;
        stored = cn_sse_stored_len(plain);
        if (s->want_off >= s->base_plain + plain) { /* the range starts past this part */
            s->base_plain += plain;
            s->base_stored += stored;
            continue;
        }
        a = s->want_off - s->base_plain;
        b = (s->want_end < s->base_plain + plain ? s->want_end : s->base_plain + plain) -
            s->base_plain;
        if ((rc = cn_sse_range(plain, a, b - a, &rg)) != 0)
            return CN_ECORRUPT;
        if (s->rec.multipart)
            rc = cn_sse_part_key(s->key, s->rec.parts[i].salt, dk);
        else
            memcpy(dk, s->key, sizeof(dk));
        cn_sse_dec_destroy(s->dec);
        s->dec = NULL;
        if (rc == 0)
            rc = cn_sse_dec_create(dk, stream, plain, &rg, &s->dec);
        OPENSSL_cleanse(dk, sizeof(dk));
        if (rc != 0)
            return rc;
        *pos = s->base_stored + rg.stored_off;
        *end = *pos + rg.stored_len;
        if (*end > man->size) /* the record promises more than the manifest holds */
            return CN_ECORRUPT;
        s->want_off = s->base_plain + b;
        s->base_plain += plain;
        s->base_stored += stored;
        return 1;
    }
    return s->want_off < s->want_end ? CN_ECORRUPT : 0;
}

int gw_s3_sse_stream_piece(gw_req_t *r, cn_slice_t in, int last, cn_slice_t *out)
{
    return gw__sse_stream_piece(((gw_obj_op_t *)r->op)->sse, in, last, out);
}

int gw__sse_stream_piece(gw_obj_sse_t *s, cn_slice_t in, int last, cn_slice_t *out)
{
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
        CN_LOG(CN_LOG_ERROR, "object %.*s: a block does not decrypt (%s)",
               (int)s->r->route.key_len, s->r->route.key, cn_strerror(rc));
        return rc;
    }
    *out = cn_slice((const char *)s->out, n);
    return 0;
}
