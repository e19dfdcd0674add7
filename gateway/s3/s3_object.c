/*
 * gateway/s3/s3_object.c: PutObject, GetObject, HeadObject and DeleteObject. Small objects are
 * one storage record; bodies over chunk_size go through chunk.c. Metadata is the msgpack map
 * of manifest.h. Every RPC completion starts with gw_req_rpc_done (the client may be gone).
 */
#include "gateway/s3/chunk.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/http/body_pager.h"
#include "gateway/s3/s3_cond.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/auth/access.h"
#include "gateway/auth/access_req.h"
#include "gateway/auth/auth_req.h"
#include "gateway/s3/s3_bucket.h"
#include "gateway/s3/s3_copy.h"
#include "gateway/s3/s3_post.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_lifecycle.h"
#include "gateway/s3/s3_tagging.h"
#include "gateway/s3/s3_objlock.h"
#include "gateway/s3/s3_sse.h"
#include "gateway/link/stor_link.h"
#include "gateway/gateway.h"

static const char *const stored_headers[] = {
    "content-type", "content-encoding", "content-disposition", "content-language",
    "cache-control", "expires",
};

static void obj_op_free(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    gw_cache_req_dispose(r->srv, &o->cache, cn_slice(o->key.data, o->key.len));
    cn_free(o->chunk_prefix);
    cn_buf_dispose(&o->key);
    cn_buf_dispose(&o->meta);
    cn_manifest_dispose(&o->old_man);
    cn_manifest_dispose(&o->man);
    cn_manifest_dispose(&o->copy.src);
    cn_buf_dispose(&o->copy.acc);
    gw_s3_sse_free(o->sse);
    gw_s3_sse_free(o->copy.src_sse);
    if (o->copy.md5) {
        uint8_t d[CN_MD5_LEN];
        cn_digest_final(o->copy.md5, d);
    }
    if (o->parent)
        cn_msg_free(o->parent);
    if (o->cur)
        cn_msg_free(o->cur);
    cn_free(o);
    r->op = NULL;
}

gw_obj_op_t *gw_obj_op_new(gw_req_t *r, const char *key, size_t key_len)
{
    gw_obj_op_t *o = cn_calloc(1, sizeof(*o));
    CN_ASSERT(r->op == NULL);
    cn_buf_init(&o->key);
    cn_buf_init(&o->meta);
    cn_buf_init(&o->copy.acc);
    cn_buf_append(&o->key, key, key_len);
    r->op = o;
    r->op_free = obj_op_free;
    return o;
}

const gw_obj_op_t *gw_obj_op_of(const gw_req_t *r)
{
    return r->op != NULL && r->op_free == obj_op_free ? r->op : NULL;
}

static gw_obj_op_t *obj_op_new(gw_req_t *r)
{
    char k[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];
    int n = snprintf(k, sizeof(k), "%s/", r->route.bucket);
    memcpy(k + n, r->route.key, r->route.key_len);
    return gw_obj_op_new(r, k, (size_t)n + r->route.key_len);
}

int gw_obj_write_send(gw_server_t *s, const char *key, size_t keylen, cn_msg_t *m,
                      cn_rpc_done_fn cb, void *arg)
{
    void *inval = gw_cache_write_begin(s, key, keylen, &cb, &arg);

    if (gw_stor_send(s, key, keylen, m, cb, arg) != 0) {
        gw_cache_write_abort(inval);
        return CN_EUNAVAIL;
    }
    return 0;
}

/* Sends m for the object's own key (a write through gw_obj_write_send); on routing failure
 * answers 503. */
static void send_key_as(gw_req_t *r, cn_msg_t *m, cn_rpc_done_fn cb, int write)
{
    gw_obj_op_t *o = r->op;
    int rc;

    r->http.pending++;
    rc = write ? gw_obj_write_send(r->srv, o->key.data, o->key.len, m, cb, r)
               : gw_stor_send(r->srv, o->key.data, o->key.len, m, cb, r);
    if (rc != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

static void send_key(gw_req_t *r, cn_msg_t *m, cn_rpc_done_fn cb)
{
    send_key_as(r, m, cb, 0);
}

static void send_write(gw_req_t *r, cn_msg_t *m, cn_rpc_done_fn cb)
{
    send_key_as(r, m, cb, 1);
}

static cn_msg_t *key_msg(gw_req_t *r, const char *op)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m = cn_msg_new(op);
    cn_msg_set_bytes(m, "key", o->key.data, o->key.len);
    return m;
}

void gw_obj_read_send(gw_req_t *r, const char *op, cn_rpc_done_fn cb)
{
    send_key(r, key_msg(r, op), cb);
}

/* ---- PutObject ----------------------------------------------------------------------- */

/* The end of a put of o's own record (an object, or a delete marker): frees resp, deletes
 * the chunks of what it replaced (want_prev). 0 when it landed; -1 when r is gone or was
 * answered with the error. */
static int put_landed(gw_req_t *r, int status, cn_msg_t *resp)
{
    gw_obj_op_t *o;
    int rc = status ? status : cn_msg_rc(resp);

    if (gw_req_rpc_gone(r, resp))
        return -1;
    o = r->op;
    if (rc == 0)
        gw_obj_keep_replaced(resp, &o->old_man, &o->have_old);
    if (resp)
        cn_msg_free(resp);
    if (rc != 0 && rc != CN_ESTALE) {
        CN_LOG(CN_LOG_WARN, "put %s: %s", o->key.data, cn_strerror(rc));
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return -1;
    }
    if (o->have_old)
        gw_chunk_delete_all(r->srv, &o->old_man);
    return 0;
}

static void on_put_done(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;

    if (put_landed(r, status, resp) == 0)
        gw_obj_put_reply(r);
}

void gw_obj_put_reply(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    char etag[80], t[GW_S3_TIME_LEN];
    cn_buf_t b;

    snprintf(etag, sizeof(etag), "\"%s\"", o->etag);
    if (o->copy_reply != 2)
        gw_ver_add_headers(r, o->vid, 0);
    if (r->route.op == GW_OP_PUT_OBJECT && o->copy_reply != 2) { /* PutObject, CopyObject */
        cn_buf_t tags;

        cn_buf_init(&tags);
        if (o->meta.len == 0 || gw_meta_find(o->meta.data, o->meta.len, GW_META_TAGS, &tags) < 0)
            cn_buf_reset(&tags);
        gw_lifecycle_expiration_header(r, o->size, tags.data, cn_now_ms());
        cn_buf_dispose(&tags);
    }
    if (r->route.op == GW_OP_POST_OBJECT) { /* a form's answer: success_action_* */
        gw_post_reply(r);
        return;
    }
    gw_s3_sse_headers(r, o->sse);
    if (!o->copy_reply) {
        gw_req_add_header(r, "etag", etag, strlen(etag));
        if (r->checksum_name[0])
            gw_req_add_header(r, r->checksum_name, r->checksum_value,
                              strlen(r->checksum_value));
        gw_req_send_empty(r, 200);
        return;
    }
    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, o->copy_reply == 2 ? "CopyPartResult" : "CopyObjectResult", GW_S3_XMLNS);
    gw_s3_time_fmt(cn_now_ms(), t);
    gw_xml_str_elem(&b, "LastModified", t);
    gw_xml_str_elem(&b, "ETag", etag);
    gw_xml_close(&b, o->copy_reply == 2 ? "CopyPartResult" : "CopyObjectResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

static void put_small(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m = key_msg(r, CN_OP_PUT);
    cn_msg_set_u64(m, "clock", o->clock); /* a new version's (its ID's), else 0: storage's */
    cn_msg_set_str(m, "etag", o->etag);
    cn_msg_set_bytes(m, "meta", o->meta.data ? o->meta.data : "", o->meta.len);
    cn_msg_set_u64(m, "flags", 0);
    cn_msg_set_u64(m, "want_prev", 1); /* the reply says what it replaced */
    cn_wcond_to_msg(&o->wcond, m);      /* a condition: the key's coordinator decides */
    if (o->body.len && gw_http_body_stable(&r->http)) /* kept until we answer: no copy */
        cn_msg_set_body_ref(m, o->body.ptr, o->body.len);
    else if (o->body.len)
        cn_msg_set_body_copy(m, o->body.ptr, o->body.len);
    send_write(r, m, on_put_done);
}

static void put_continue(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    if (o->man_ready)
        gw_chunk_put_manifest(r);
    else if (o->force_chunked || o->size > r->srv->conf.chunk_size ||
             gw_chunk_coded(r->srv, r->route.bucket, o->size)) /* coded: always chunks */
        gw_chunk_put(r);
    else
        put_small(r);
}

/* Remembers the chunk manifest of the version being replaced or deleted (its flags and
 * body) in *man, so that its chunks can be removed once the parent is written. */
static void keep_manifest(cn_manifest_t *man, int *have, uint64_t flags, cn_slice_t b)
{
    if (!*have && (flags & CN_OBJ_MANIFEST) && !(flags & CN_OBJ_TOMBSTONE) &&
        cn_manifest_decode(b.ptr ? b.ptr : "", b.len, man) == 0)
        *have = 1;
}

/* The same from a get's answer. */
static void keep_old_manifest(gw_obj_op_t *o, const cn_msg_t *resp)
{
    uint64_t flags = 0;

    cn_msg_get_u64(resp, "flags", &flags);
    keep_manifest(&o->old_man, &o->have_old, flags, cn_msg_body(resp));
}

/* The same from a put's answer to want_prev (docs/PROTOCOL.md, `put`): prev_flags and
 * prev_body say what the put replaced. A storage node that does not say (an older one, or a
 * coordinator holding no copy) leaves nothing to clean. */
void gw_obj_keep_replaced(const cn_msg_t *resp, cn_manifest_t *man, int *have)
{
    uint64_t flags = 0;
    cn_slice_t b = {0};

    if (resp != NULL && cn_msg_get_u64(resp, "prev_flags", &flags) == 0 &&
        cn_msg_get_bytes(resp, "prev_body", &b) == 0)
        keep_manifest(man, have, flags, b);
}

/* Every put learns from its own reply what it replaced (want_prev, no head first): a single
 * record here (on_put_done), a chunked one's parent in chunk.c (on_parent_put). */
void gw_obj_put_start(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    if (!o->man_ready)
        o->size = o->body.len;
    put_continue(r);
}

/* Adds a header or form field to meta when an object keeps it: x-amz-meta-* and
 * stored_headers; Content-Encoding without aws-chunked, which is transfer framing, not the
 * object's encoding. */
static void meta_add_stored(gw_meta_t *meta, const char *name, size_t nlen, const char *val,
                            size_t vlen)
{
    int keep = nlen > 11 && strncasecmp(name, "x-amz-meta-", 11) == 0;

    for (size_t j = 0; !keep && j < sizeof(stored_headers) / sizeof(stored_headers[0]); j++)
        keep = strlen(stored_headers[j]) == nlen && strncasecmp(name, stored_headers[j], nlen) == 0;
    if (!keep)
        return;
    if (nlen == 16 && strncasecmp(name, "content-encoding", 16) == 0) {
        char v[256];
        size_t vn = 0;
        const char *p = val, *end = val + vlen;
        while (p < end) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            const char *e = c ? c : end;
            const char *s = p;
            while (s < e && *s == ' ')
                s++;
            size_t l = (size_t)(e - s);
            while (l && s[l - 1] == ' ')
                l--;
            if (!(l == 11 && strncasecmp(s, "aws-chunked", 11) == 0) && l && vn + l + 1 < sizeof(v)) {
                if (vn)
                    v[vn++] = ',';
                memcpy(v + vn, s, l);
                vn += l;
            }
            p = c ? c + 1 : end;
        }
        if (vn)
            gw_meta_add(meta, name, nlen, v, vn);
        return;
    }
    gw_meta_add(meta, name, nlen, val, vlen);
}

/* What every new object's metadata ends with: its owner and ACL, checksum, tags and lock. */
static void meta_finish(gw_req_t *r, gw_meta_t *meta, cn_buf_t *out)
{
    /* the writer owns what it writes (format 2 of manifest.h) */
    gw_meta_add_access(meta, gw_req_object_owner(r), r->acl, r->grants);
    if (r->checksum_name[0])
        gw_meta_add(meta, r->checksum_name, strlen(r->checksum_name), r->checksum_value,
                    strlen(r->checksum_value));
    if (r->tags != NULL && r->tags[0]) /* x-amz-tagging (s3_tagging.c) */
        gw_meta_add(meta, GW_META_TAGS, strlen(GW_META_TAGS), r->tags, strlen(r->tags));
    gw_lock_meta_new(r, meta); /* x-amz-object-lock-*, or the bucket's default */
    gw_meta_encode(meta, out);
    gw_meta_dispose(meta);
}

void gw_obj_meta_from_headers(gw_req_t *r, cn_buf_t *out)
{
    h2o_req_t *req = r->http.req;
    gw_meta_t meta = {0};

    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        meta_add_stored(&meta, h->name->base, h->name->len, h->value.base, h->value.len);
    }
    meta_finish(r, &meta, out);
}

void gw_obj_meta_from_fields(gw_req_t *r, const gw_post_field_t *f, size_t n, cn_buf_t *out)
{
    gw_meta_t meta = {0};

    for (size_t i = 0; i < n; i++)
        meta_add_stored(&meta, f[i].name.ptr, f[i].name.len, f[i].value.ptr, f[i].value.len);
    meta_finish(r, &meta, out);
}

void gw_obj_version_for_write(gw_req_t *r, gw_obj_op_t *o)
{
    gw_ver_for_write(r, &o->key, o->vid, &o->clock);
}

cn_msg_t *gw_obj_marker_msg(gw_req_t *r, const cn_buf_t *key, uint64_t clock)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT);
    gw_meta_t meta = {0};
    cn_buf_t mb;

    cn_buf_init(&mb);
    gw_meta_add_access(&meta, gw_req_object_owner(r), "private", NULL);
    gw_meta_encode(&meta, &mb);
    gw_meta_dispose(&meta);
    cn_msg_set_bytes(m, "key", key->data, key->len);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", "");
    cn_msg_set_bytes(m, "meta", mb.data ? mb.data : "", mb.len);
    cn_msg_set_u64(m, "flags", CN_OBJ_DELETE_MARKER);
    cn_msg_set_u64(m, "want_prev", 1); /* a replaced null version's chunks go */
    cn_buf_dispose(&mb);
    return m;
}

int gw_obj_read_wcond(gw_req_t *r, enum gw_wcond_op op, cn_wcond_t *out)
{
    const char *msg;
    gw_s3_err_t e = gw_wcond_parse(op, gw_req_header(r, "if-none-match"),
                                   gw_req_header(r, "if-match"),
                                   gw_req_header(r, "x-amz-if-match-size"),
                                   gw_req_header(r, "x-amz-if-match-last-modified-time"), out,
                                   &msg);

    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return 1;
    }
    /* in a bucket with versioning: about the object's latest version, which its coordinator
     * finds (a delete that names its version clears this: it is about that version) */
    if (cn_wcond_any(out) && gw_ver_bucket_state(r) != GW_VER_OFF)
        out->group = 1;
    return 0;
}

void gw_s3_put_object(gw_req_t *r)
{
    gw_obj_op_t *o;
    cn_wcond_t wc;
    uint8_t md5[CN_MD5_LEN];

    if (r->route.key_len == 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, NULL);
        return;
    }
    if (gw_obj_read_wcond(r, GW_WCOND_PUT, &wc))
        return;
    if (gw_req_header(r, "x-amz-copy-source").ptr) {
        if (cn_wcond_any(&wc)) { /* never a wrong success: the copy would ignore it */
            gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                         "Conditional writes (If-Match, If-None-Match) of CopyObject are not "
                         "supported yet.");
            return;
        }
        gw_s3_copy_object(r);
        return;
    }
    if (r->body.len > r->srv->conf.max_object_size) {
        gw_req_error(r, GW_S3_ENTITY_TOO_LARGE, NULL);
        return;
    }
    if (gw_quota_refuses(r, r->body.len))
        return;
    o = obj_op_new(r);
    o->wcond = wc;
    gw_obj_version_for_write(r, o);
    o->body = r->body;
    gw_obj_meta_from_headers(r, &o->meta);
    gw_req_body_md5(r, o->body, md5); /* the body's one pass (auth_req.h) computed it */
    cn_hex(md5, sizeof(md5), o->etag);
    gw_s3_sse_put(r, gw_obj_put_start); /* encrypted first when it is to be (s3_sse.h) */
}

/* ---- GetObject / HeadObject ---------------------------------------------------------- */

static cn_slice_t cond_header(gw_req_t *r, const char *prefix, const char *name)
{
    char h[64];
    snprintf(h, sizeof(h), "%s%s", prefix, name);
    return gw_req_header(r, h);
}

int gw_obj_conditions(gw_req_t *r, const char *prefix, const char *etag, uint64_t mtime_ms)
{
    gw_cond_t c;

    c.if_match = cond_header(r, prefix, "if-match");
    c.if_none_match = cond_header(r, prefix, "if-none-match");
    c.if_modified_since = cond_header(r, prefix, "if-modified-since");
    c.if_unmodified_since = cond_header(r, prefix, "if-unmodified-since");
    return gw_cond_eval(&c, etag, mtime_ms); /* s3_cond.c */
}

static void noop_proceed(h2o_generator_t *g, h2o_req_t *req)
{
}

/* GetObject's response-content-type (and -encoding, -disposition, -language, -cache-control,
 * -expires) query overrides: 1 when the query has "response-" NAME (its value decoded into
 * out when out is given), else 0. */
static int response_override(gw_req_t *r, const char *name, cn_buf_t *out)
{
    char qn[40];
    size_t qlen = 0;
    const char *q = gw_req_query(r, &qlen);
    cn_buf_t tmp;
    int rc;

    if (!q || snprintf(qn, sizeof(qn), "response-%s", name) >= (int)sizeof(qn))
        return 0;
    cn_buf_init(&tmp);
    rc = gw_query_get(q, qlen, qn, out ? out : &tmp);
    cn_buf_dispose(&tmp);
    return rc == 1;
}

/* x-amz-checksum-type with a checksum: COMPOSITE (of a multipart object's parts) or
 * FULL_OBJECT */
static void add_checksum_type(gw_req_t *r, int composite)
{
    const char *t = composite ? "COMPOSITE" : "FULL_OBJECT";
    gw_req_add_header(r, "x-amz-checksum-type", t, strlen(t));
}

/* ?partNumber: the part's bytes become the range (o->off, o->len), with x-amz-mp-parts-count
 * for a multipart object; an object of one part has only part 1, all of it. 0, or -1 when r
 * was answered 416 InvalidPartNumber. */
static int select_part(gw_req_t *r, const char *etag, uint64_t size)
{
    gw_obj_op_t *o = r->op;
    uint32_t count = o->is_manifest ? cn_manifest_parts(&o->man, etag) : 0;
    cn_part_range_t part;
    char n[16];

    if (count == 0) {
        if (o->part_number != 1) {
            gw_req_error(r, GW_S3_INVALID_PART_NUMBER, NULL);
            return -1;
        }
        o->part_whole = 1;
        o->off = 0;
        o->len = size;
        o->ranged = size > 0; /* S3: a range of all of it (206), but for an empty object */
        return 0;
    }
    if (cn_manifest_part_range(&o->man, etag, o->part_number, &part) != 0 ||
        gw_s3_sse_part_range(r, o->part_number, &part.off, &part.len) < 0) {
        /* an encrypted object's parts are its record's, in plaintext bytes */
        gw_req_error(r, GW_S3_INVALID_PART_NUMBER, NULL);
        return -1;
    }
    snprintf(n, sizeof(n), "%u", (unsigned)count);
    gw_req_add_header(r, "x-amz-mp-parts-count", n, strlen(n));
    o->off = part.off;
    o->len = part.len;
    o->ranged = 1;
    o->part_sum = part.checksum;
    if (part.len == 0) { /* an empty part: no byte range names it */
        o->ranged = 0;
        o->part_whole = 0;
    }
    return 0;
}

static void set_object_headers(gw_req_t *r, const char *etag, uint64_t mtime)
{
    gw_obj_op_t *o = r->op;
    char buf[GW_HTTP_DATE_LEN + 80];
    cn_slice_t meta = {0};
    gw_meta_t m = {0};
    const char *tags = NULL; /* the stored tags, in m */
    int have_ct = 0;

    if (r->http.req != NULL) {
        o->obj_hdrs_at = r->http.req->res.headers.size;
        o->obj_hdrs_set = 1;
    }
    snprintf(buf, sizeof(buf), "\"%s\"", etag);
    gw_req_add_header(r, "etag", buf, strlen(buf));
    gw_ver_add_headers(r, o->vid, 0);
    gw_http_date_fmt(mtime, buf);
    gw_req_add_header(r, "last-modified", buf, strlen(buf));
    gw_req_add_header(r, "accept-ranges", "bytes", 5);
    cn_msg_get_bytes(o->parent, "meta", &meta);
    if (meta.ptr && gw_meta_decode(meta.ptr, meta.len, &m) == 0) {
        cn_slice_t mode = gw_req_header(r, "x-amz-checksum-mode");
        int want_sum = mode.ptr && mode.len == 7 && strncasecmp(mode.ptr, "ENABLED", 7) == 0;
        for (size_t i = 0; i < m.n; i++) {
            const char *nm = m.pairs[i].name;
            if (strcmp(nm, GW_META_TAGS) == 0) {
                gw_tagging_count_header(r, m.pairs[i].value);
                tags = m.pairs[i].value;
            }
            if (nm[0] == ':' && gw_lock_header(r, nm, m.pairs[i].value))
                continue;
            if (nm[0] == ':')
                continue;
            if (strncmp(nm, GW_META_CHECKSUM_PREFIX, strlen(GW_META_CHECKSUM_PREFIX)) == 0) {
                /* the whole object's checksum, for the whole object only */
                if (want_sum && (!o->ranged || o->part_whole)) {
                    const char *v = m.pairs[i].value;
                    gw_req_add_header(r, nm, v, strlen(v));
                    add_checksum_type(r, strchr(v, '-') != NULL);
                }
                continue;
            }
            if (response_override(r, nm, NULL))
                continue;
            have_ct |= strcmp(nm, "content-type") == 0;
            gw_req_add_header(r, nm, m.pairs[i].value, strlen(m.pairs[i].value));
        }
        if (!o->named_version) /* the current version's: a rule expires it */
            gw_lifecycle_expiration_header(r, o->total, tags, mtime);
        gw_meta_dispose(&m);
    } else if (!o->named_version) {
        gw_lifecycle_expiration_header(r, o->total, NULL, mtime);
    }
    for (size_t i = 0; i < sizeof(stored_headers) / sizeof(stored_headers[0]); i++) {
        cn_buf_t v;
        cn_buf_init(&v);
        if (response_override(r, stored_headers[i], &v)) {
            have_ct |= i == 0;
            gw_req_add_header(r, stored_headers[i], v.data, v.len);
        }
        cn_buf_dispose(&v);
    }
    if (!have_ct)
        gw_req_add_header(r, "content-type", "binary/octet-stream", 19);
    if (o->part_sum && o->part_sum[0]) { /* one part of a multipart object: its checksum */
        cn_slice_t mode = gw_req_header(r, "x-amz-checksum-mode");
        const char *eq = strchr(o->part_sum, '=');
        if (mode.ptr && mode.len == 7 && strncasecmp(mode.ptr, "ENABLED", 7) == 0 && eq &&
            (size_t)(eq - o->part_sum) < sizeof(buf)) {
            snprintf(buf, sizeof(buf), "%.*s", (int)(eq - o->part_sum), o->part_sum);
            gw_req_add_header(r, buf, eq + 1, strlen(eq + 1));
            add_checksum_type(r, 1);
        }
    }
    if (o->ranged) {
        snprintf(buf, sizeof(buf), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, o->off,
                 o->off + o->len - 1, o->total);
        gw_req_add_header(r, "content-range", buf, strlen(buf));
    }
}

void gw_obj_drop_headers(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;

    if (o->obj_hdrs_set && r->http.req != NULL &&
        r->http.req->res.headers.size >= o->obj_hdrs_at)
        r->http.req->res.headers.size = o->obj_hdrs_at;
}

static void on_range_body(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);

    if (gw_req_rpc_gone(r, resp))
        return;
    if (rc != 0) {
        if (resp)
            cn_msg_free(resp);
        gw_obj_drop_headers(r); /* an error, not the object */
        gw_req_error(r, rc == CN_ENOENT ? GW_S3_NO_SUCH_KEY : gw_s3_err_from_rc(rc), NULL);
        return;
    }
    cn_slice_t b = cn_msg_body(resp);
    gw_req_send_inline(r, ((gw_obj_op_t *)r->op)->ranged ? 206 : 200, b.ptr, b.len);
    cn_msg_free(resp);
}

static void get_proceed_keyed(gw_req_t *r);

/* The parent is known (o->parent; for a manifest, o->man): conditions, range, headers, body. */
static void get_proceed(gw_req_t *r, int have_body)
{
    gw_obj_op_t *o = r->op;
    char etag[80] = "";
    uint64_t mtime = 0, size = 0;
    cn_slice_t rh = gw_req_header(r, "range");
    int st, rc;

    cn_msg_get_str(o->parent, "etag", etag, sizeof(etag));
    cn_msg_get_u64(o->parent, "mtime", &mtime);
    cn_msg_get_u64(o->parent, "size", &size);
    if (o->is_manifest) {
        size = cn_manifest_object_size(&o->man); /* an encrypted one's plaintext */
        if (o->man.etag[0])
            snprintf(etag, sizeof(etag), "%s", o->man.etag);
    }
    o->total = size;
    {   /* every read, from storage or a cache, is decided here by the object's grants */
        gw_acl_subject_t b = gw_req_bucket(r);
        cn_slice_t meta = {0};

        cn_msg_get_bytes(o->parent, "meta", &meta);
        if (!gw_obj_allows(r, &b, meta, GW_PERM_OBJECT_READ, NULL)) {
            gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
            return;
        }
    }
    /* an encrypted object's key (SSE-C: the request's; else the key service's) before any
     * answer about its bytes; an encrypted object is a manifest: have_body is 0 */
    if (gw_s3_sse_get_open(r, get_proceed_keyed) <= 0)
        return;
    if ((st = gw_obj_conditions(r, "", etag, mtime)) != 0) {
        if (st == 412) {
            gw_req_error(r, GW_S3_PRECONDITION_FAILED, NULL);
        } else {
            char buf[GW_HTTP_DATE_LEN + 80];
            snprintf(buf, sizeof(buf), "\"%s\"", etag);
            gw_req_add_header(r, "etag", buf, strlen(buf));
            gw_http_date_fmt(mtime, buf);
            gw_req_add_header(r, "last-modified", buf, strlen(buf));
            gw_req_send_empty(r, 304);
        }
        return;
    }
    o->off = 0;
    o->len = size;
    if (o->part_number && select_part(r, etag, size) != 0)
        return;
    if (rh.ptr && !o->part_number) {
        rc = gw_range_parse(rh.ptr, rh.len, size, &o->off, &o->len);
        if (rc < 0) {
            char cr[64];
            snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
            gw_req_add_header(r, "content-range", cr, strlen(cr));
            gw_req_error(r, GW_S3_INVALID_RANGE, NULL);
            return;
        }
        o->ranged = rc == 0;
        if (!o->ranged) {
            o->off = 0;
            o->len = size;
        }
    }
    set_object_headers(r, etag, mtime);
    gw_s3_sse_headers(r, o->sse);
    if (o->head) {
        r->http.responded = 1;
        r->http.req->res.status = o->ranged ? 206 : 200;
        r->http.req->res.reason = o->ranged ? "Partial Content" : "OK";
        r->http.req->res.content_length = o->len;
        r->gen.proceed = noop_proceed;
        r->gen.stop = NULL;
        h2o_start_response(r->http.req, &r->gen);
        h2o_send(r->http.req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    if (o->cache.body.ptr) { /* a cache hit: sent from the cache's memory, no copy */
        gw_cache_send_body(r, o->ranged ? 206 : 200, o->off, o->len);
        return;
    }
    if (o->is_manifest) {
        gw_chunk_stream(r);
        return;
    }
    if (have_body && !o->ranged) {
        cn_slice_t b = cn_msg_body(o->parent);
        gw_req_send_inline(r, 200, b.ptr, b.len);
        return;
    }
    if (have_body && cn_msg_body(o->parent).len == size) { /* a range of a body we hold */
        cn_slice_t b = cn_msg_body(o->parent);
        gw_req_send_inline(r, 206, b.ptr + o->off, o->len);
        return;
    }
    if (o->len == 0) {
        gw_req_send_inline(r, o->ranged ? 206 : 200, "", 0);
        return;
    }
    cn_msg_t *m = key_msg(r, CN_OP_GET);
    cn_msg_set_u64(m, "offset", o->off);
    cn_msg_set_u64(m, "length", o->len);
    send_key(r, m, on_range_body);
}

/* get_proceed once an encrypted object's key came from the key service. */
static void get_proceed_keyed(gw_req_t *r)
{
    get_proceed(r, 0);
}

int gw_obj_take_parent(gw_req_t *r, cn_msg_t *resp, int rc)
{
    gw_obj_op_t *o = r->op;
    uint64_t flags = 0;

    if (rc != 0) {
        if (resp)
            cn_msg_free(resp);
        if (rc == CN_ENOENT) {
            gw_acl_subject_t b = gw_req_bucket(r);
            gw_req_error(r, gw_obj_version_missing(r, &b), NULL);
        } else {
            gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        }
        return -1;
    }
    cn_msg_get_u64(resp, "flags", &flags);
    if (flags & CN_OBJ_DELETE_MARKER) {
        /* S3: a delete marker named by its ID is 405, the latest one 404, both saying so */
        cn_msg_free(resp);
        if (o->named_version) {
            gw_obj_refuse_marker(r);
        } else {
            gw_ver_add_headers(r, o->vid, 1);
            gw_req_error(r, GW_S3_NO_SUCH_KEY, NULL);
        }
        return -1;
    }
    if (o->parent)
        cn_msg_free(o->parent);
    o->parent = resp;
    o->is_manifest = (flags & CN_OBJ_MANIFEST) != 0;
    return 0;
}

static int decode_manifest(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_slice_t b = cn_msg_body(o->parent);
    cn_manifest_dispose(&o->man);
    if (cn_manifest_decode(b.ptr ? b.ptr : "", b.len, &o->man) != 0) {
        CN_LOG(CN_LOG_ERROR, "object %s: corrupt manifest", o->key.data);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return -1;
    }
    return 0;
}

static void on_get_manifest(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_take_parent(r, resp, status ? status : cn_msg_rc(resp)) != 0)
        return;
    gw_obj_op_t *o = r->op;
    if (!o->is_manifest) { /* overwritten by a small object meanwhile */
        get_proceed(r, 1);
        return;
    }
    if (decode_manifest(r) == 0)
        get_proceed(r, 0);
}

static void on_get_head(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_take_parent(r, resp, status ? status : cn_msg_rc(resp)) != 0)
        return;
    gw_obj_op_t *o = r->op;
    if (o->is_manifest)
        send_key(r, key_msg(r, CN_OP_GET), on_get_manifest);
    else
        get_proceed(r, 0);
}

static void on_get_full(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    gw_cache_get_done(r, status, resp); /* fills the caches, wakes coalesced misses */
    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_take_parent(r, resp, status ? status : cn_msg_rc(resp)) != 0)
        return;
    gw_obj_op_t *o = r->op;
    if (o->is_manifest && decode_manifest(r) != 0)
        return;
    get_proceed(r, !o->is_manifest);
}

static void get_storage(gw_req_t *r);
static void on_cache_answer(gw_req_t *r, const gw_cache_hit_t *hit);

/* Reads o->key (a version's storage key, or the object's own) from the caches or storage.
 * A part (?partNumber) is read from storage: a cached body has lost its manifest's parts. */
static void get_key(gw_req_t *r)
{
    if (!((gw_obj_op_t *)r->op)->part_number && gw_cache_get(r, on_cache_answer))
        return;
    get_storage(r);
}

static void on_target_latest(gw_req_t *r, int status, const gw_ver_pick_t *pick)
{
    gw_obj_op_t *o = r->op;

    if (status != 0) {
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return;
    }
    if (!pick->found) {
        gw_acl_subject_t b = gw_req_bucket(r);
        gw_req_error(r, gw_obj_missing(r, &b), NULL);
        return;
    }
    cn_buf_reset(&o->key);
    cn_buf_append(&o->key, pick->key.data, pick->key.len);
    cn_ver_of_key(cn_slice(o->key.data, o->key.len), o->vid);
    if (pick->flags & CN_OBJ_DELETE_MARKER) {
        gw_acl_subject_t b = gw_req_bucket(r);
        gw_s3_err_t e = gw_obj_missing(r, &b);
        if (e == GW_S3_NO_SUCH_KEY) /* a requester who may not list learns nothing more */
            gw_ver_add_headers(r, o->vid, 1);
        gw_req_error(r, e, NULL);
        return;
    }
    o->target_cont(r);
}

void gw_obj_version_target(gw_req_t *r, gw_obj_op_t *o, void (*cont)(gw_req_t *r))
{
    int named;

    if ((named = gw_ver_request_key(r, &o->key, o->vid)) < 0)
        return;
    o->named_version = named;
    if (!named && gw_ver_bucket_state(r) != GW_VER_OFF) {
        o->target_cont = cont;
        gw_ver_find_latest(r, o->key.data, o->key.len, on_target_latest);
        return;
    }
    cont(r);
}

void gw_obj_refuse_marker(gw_req_t *r)
{
    gw_ver_add_headers(r, ((gw_obj_op_t *)r->op)->vid, 1);
    gw_req_error(r, GW_S3_METHOD_NOT_ALLOWED,
                 "The specified method is not allowed against this resource.");
}

gw_s3_err_t gw_obj_version_missing(const gw_req_t *r, const gw_acl_subject_t *bucket)
{
    gw_s3_err_t e = gw_obj_missing(r, bucket);

    return e == GW_S3_NO_SUCH_KEY && ((const gw_obj_op_t *)r->op)->named_version
               ? GW_S3_NO_SUCH_VERSION
               : e;
}

/* ?partNumber of GetObject and HeadObject into *num (0: none; s3_refuse.c has checked its
 * form). A Range with it is InvalidRequest, as S3 answers. 0, or -1 when r was answered. */
static int request_part(gw_req_t *r, uint32_t *num)
{
    size_t ql;
    const char *q = gw_req_query(r, &ql);
    cn_buf_t v;
    unsigned long n = 0;
    int found;

    *num = 0;
    cn_buf_init(&v);
    found = gw_query_get(q, ql, "partNumber", &v);
    for (size_t i = 0; found == 1 && i < v.len && i < 6; i++)
        n = v.data[i] >= '0' && v.data[i] <= '9' ? n * 10 + (unsigned long)(v.data[i] - '0') : 0;
    cn_buf_dispose(&v);
    if (found != 1)
        return 0;
    if (n < 1 || n > 10000) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT,
                     "Part number must be an integer between 1 and 10000, inclusive");
        return -1;
    }
    if (gw_req_header(r, "range").ptr) {
        gw_req_error(r, GW_S3_INVALID_REQUEST,
                     "Cannot specify both Range header and partNumber query parameter");
        return -1;
    }
    *num = (uint32_t)n;
    return 0;
}

static void get_object(gw_req_t *r, int head)
{
    gw_obj_op_t *o;

    if (r->route.key_len == 0) {
        gw_req_error(r, GW_S3_NO_SUCH_KEY, NULL);
        return;
    }
    o = obj_op_new(r);
    o->head = head;
    if (request_part(r, &o->part_number) != 0)
        return;
    gw_obj_version_target(r, o, get_key);
}


void gw_s3_get_object(gw_req_t *r)
{
    get_object(r, 0);
}

void gw_s3_head_object(gw_req_t *r)
{
    get_object(r, 1);
}

static void get_storage(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    if (o->head || gw_req_header(r, "range").ptr)
        send_key(r, key_msg(r, CN_OP_HEAD), on_get_head);
    else
        send_key(r, key_msg(r, CN_OP_GET), on_get_full);
}

/* A cached version: served as if storage had answered it (get_proceed decides access). */
static void serve_cached(gw_req_t *r, const gw_cache_info_t *info, cn_slice_t meta,
                         cn_slice_t body)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m = cn_msg_new(CN_OP_GET);

    cn_msg_set_str(m, "etag", info->etag);
    cn_msg_set_u64(m, "clock", info->clock);
    cn_msg_set_u64(m, "mtime", info->mtime_ms);
    cn_msg_set_u64(m, "size", info->size);
    cn_msg_set_u64(m, "flags", info->flags);
    cn_msg_set_bytes(m, "meta", meta.ptr ? meta.ptr : "", meta.len);
    if (o->parent)
        cn_msg_free(o->parent);
    o->parent = m;
    o->is_manifest = 0;
    o->cache.body = body; /* borrowed from the cache entry the op holds */
    gw_req_add_header(r, "x-cairn-cache", "hit", 3);
    get_proceed(r, 0);
}

static void on_cache_answer(gw_req_t *r, const gw_cache_hit_t *hit)
{
    if (hit)
        serve_cached(r, hit->info, hit->meta, hit->body);
    else
        get_storage(r);
}

/* ---- DeleteObject -------------------------------------------------------------------- */

static void on_delete_done(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    uint64_t missing = 0;
    int rc;

    if (status == 0 && resp != NULL)
        cn_msg_get_u64(resp, "cond_missing", &missing); /* an If-Match on a missing key */
    if (gw_req_rpc_end(r, status, resp, &rc))
        return;
    gw_obj_op_t *o = r->op;
    if (rc == CN_ECOND && missing) {
        gw_req_error(r, GW_S3_NO_SUCH_KEY, NULL); /* If-Match on a key that is not there */
        return;
    }
    if (rc != 0 && rc != CN_ENOENT) {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    if (rc == 0 && o->have_old)
        gw_chunk_delete_all(r->srv, &o->old_man);
    gw_ver_add_headers(r, o->named_version ? o->vid : NULL, o->was_marker);
    gw_req_send_empty(r, 204);
}

static void delete_parent(gw_req_t *r)
{
    cn_msg_t *m = key_msg(r, CN_OP_DELETE);
    cn_msg_set_u64(m, "clock", 0);
    if (r->lock_bypass) /* a GOVERNANCE retention bypassed: storage decides again */
        cn_msg_set_u64(m, "lock_bypass", 1);
    cn_wcond_to_msg(&((gw_obj_op_t *)r->op)->wcond, m); /* the key's coordinator decides */
    send_write(r, m, on_delete_done);
}

static void on_delete_manifest(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    if (gw_req_rpc_gone(r, resp))
        return;
    if (rc == 0)
        keep_old_manifest(r->op, resp);
    if (resp)
        cn_msg_free(resp);
    delete_parent(r);
}

static void on_delete_head(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t flags = 0;
    gw_s3_err_t locked = GW_S3_OK;
    if (gw_req_rpc_gone(r, resp))
        return;
    if (rc == 0) {
        cn_slice_t meta = {0};
        cn_msg_get_u64(resp, "flags", &flags);
        cn_msg_get_bytes(resp, "meta", &meta);
        /* a locked version (s3_objlock.h): refused here as storage would */
        locked = gw_lock_may_delete(r, meta, r->route.key, r->route.key_len, &r->lock_bypass);
    }
    if (resp)
        cn_msg_free(resp);
    if (locked != GW_S3_OK) {
        gw_req_error(r, locked, NULL);
        return;
    }
    if (rc == CN_ENOENT && cn_wcond_any(&((gw_obj_op_t *)r->op)->wcond)) {
        delete_parent(r); /* a condition is the coordinator's to decide, not this head's */
        return;
    }
    if (rc == CN_ENOENT) {
        gw_ver_add_headers(r, ((gw_obj_op_t *)r->op)->named_version ? ((gw_obj_op_t *)r->op)->vid
                                                                      : NULL, 0);
        gw_req_send_empty(r, 204);
        return;
    }
    ((gw_obj_op_t *)r->op)->was_marker = (flags & CN_OBJ_DELETE_MARKER) != 0;
    if (rc == 0 && (flags & CN_OBJ_MANIFEST))
        send_key(r, key_msg(r, CN_OP_GET), on_delete_manifest);
    else
        delete_parent(r);
}

/* A delete marker written (Suspended: it replaced the null version, whose chunks go now) */
static void on_marker_put(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    uint64_t missing = 0;

    if (status == 0 && resp != NULL && cn_msg_rc(resp) == CN_ECOND &&
        cn_msg_get_u64(resp, "cond_missing", &missing) == 0 && missing) {
        cn_msg_free(resp); /* an If-Match on an object that is not there: as DeleteObject */
        if (!gw_req_rpc_done(r))
            gw_req_error(r, GW_S3_NO_SUCH_KEY, NULL);
        return;
    }
    if (put_landed(r, status, resp) != 0)
        return;
    gw_ver_add_headers(r, ((gw_obj_op_t *)r->op)->vid, 1);
    gw_req_send_empty(r, 204);
}

/* DELETE without a version in a versioned bucket: a delete marker becomes the latest version
 * (Enabled: a new one; Suspended: the null version, replacing what was there) */
static void put_delete_marker(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m;

    gw_obj_version_for_write(r, o);
    m = gw_obj_marker_msg(r, &o->key, o->clock);
    cn_wcond_to_msg(&o->wcond, m); /* a condition: the object's coordinator decides */
    send_write(r, m, on_marker_put);
}

void gw_s3_delete_object(gw_req_t *r)
{
    gw_obj_op_t *o;
    int named;

    if (r->route.key_len == 0) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, NULL);
        return;
    }
    o = obj_op_new(r);
    if (gw_obj_read_wcond(r, GW_WCOND_DELETE, &o->wcond))
        return;
    if ((named = gw_ver_request_key(r, &o->key, o->vid)) < 0)
        return;
    o->named_version = named;
    if (named)
        o->wcond.group = 0; /* about that version alone */
    if (!named && gw_ver_bucket_state(r) != GW_VER_OFF) {
        put_delete_marker(r);
        return;
    }
    send_key(r, key_msg(r, CN_OP_HEAD), on_delete_head);
}
