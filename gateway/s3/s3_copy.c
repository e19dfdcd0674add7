/*
 * gateway/s3/s3_copy.c: CopyObject (PUT with x-amz-copy-source), within and across buckets.
 * The source is read with one get: a small object's body is stored again through the normal
 * PUT path; a chunked (manifest) source has its chunks copied one by one (COPY_WINDOW at a
 * time, each at most chunk_size in memory) under a fresh prefix of the destination, and then
 * the destination's manifest is written with the same segment layout, so source and copy
 * share no chunk and either can be deleted alone. x-amz-metadata-directive COPY (default)
 * keeps the source's metadata, REPLACE takes the request's (x-amz-tagging-directive does the
 * same for its tags, s3_tagging.c); x-amz-copy-source-if-* are
 * checked against the source (412). The requester must be allowed to read the source object
 * (its own grants decide, gateway/auth/access.h); the copy is the requester's, private unless the
 * request sets x-amz-acl.
 */
#include "gateway/s3/chunk.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/auth/access_req.h"
#include "gateway/s3/s3_bucket.h"
#include "gateway/s3/s3_copy.h"
#include "gateway/s3/s3_tagging.h"
#include "gateway/s3/s3_objlock.h"
#include "gateway/link/stor_link.h"
#include "gateway/link/mgr_link.h"
#include "gateway/gateway.h"
#include "gateway/auth/s3_uri.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_sse.h"

#define COPY_WINDOW 2

struct copy_chunk {
    gw_req_t *r;
    size_t seg;
    uint64_t idx;
};

/* the copy state lives in the object op (o->copy) */
#define state_of(r) (&((gw_obj_op_t *)(r)->op)->copy)

static void copy_pump(gw_req_t *r);

static void on_chunk_put(int status, cn_msg_t *resp, void *arg)
{
    struct copy_chunk *cc = arg;
    gw_req_t *r = cc->r;
    int rc = status ? status : cn_msg_rc(resp);

    if (resp)
        cn_msg_free(resp);
    cn_free(cc);
    if (gw_req_rpc_done(r))
        return;
    struct gw_copy_state *cs = state_of(r);
    cs->inflight--;
    if (rc != 0 && rc != CN_ESTALE && !cs->failed)
        cs->failed = rc;
    copy_pump(r);
}

static void on_chunk_get(int status, cn_msg_t *resp, void *arg)
{
    struct copy_chunk *cc = arg;
    gw_req_t *r = cc->r;
    int rc = status ? status : cn_msg_rc(resp);
    gw_obj_op_t *o;
    struct gw_copy_state *cs;
    char etag[80] = "";

    if (gw_req_rpc_done(r)) {
        if (resp)
            cn_msg_free(resp);
        cn_free(cc);
        return;
    }
    o = r->op;
    cs = state_of(r);
    if (rc != 0) {
        if (resp)
            cn_msg_free(resp);
        cn_free(cc);
        cs->inflight--;
        if (!cs->failed)
            cs->failed = rc == CN_ENOENT ? CN_ECORRUPT : rc;
        copy_pump(r);
        return;
    }
    cn_msg_get_str(resp, "etag", etag, sizeof(etag));
    {
        cn_slice_t b = cn_msg_body(resp);

        r->http.pending++;
        rc = gw_chunk_write(r->srv, &o->man.segs[cc->seg], cc->idx, b.ptr, b.len, 0, etag,
                            on_chunk_put, cc);
    }
    cn_msg_free(resp);
    if (rc != 0) {
        r->http.pending--;
        cn_free(cc);
        cs->inflight--;
        if (!cs->failed)
            cs->failed = CN_EUNAVAIL;
        copy_pump(r);
    }
}

static void copy_pump(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    struct gw_copy_state *cs = state_of(r);
    while (!cs->failed && cs->inflight < COPY_WINDOW && cs->seg < cs->src.nsegs) {
        const cn_manifest_seg_t *sg = &cs->src.segs[cs->seg];
        if (cs->idx >= cn_manifest_seg_chunks(sg)) {
            cs->seg++;
            cs->idx = 0;
            continue;
        }
        struct copy_chunk *cc = cn_calloc(1, sizeof(*cc));
        cc->r = r;
        cc->seg = cs->seg;
        cc->idx = cs->idx++;
        r->http.pending++;
        cs->inflight++;
        if (gw_chunk_get(r->srv, sg, cc->idx, 0, UINT64_MAX, on_chunk_get, cc) != 0) {
            r->http.pending--;
            cs->inflight--;
            cn_free(cc);
            cs->failed = CN_EUNAVAIL;
        }
    }
    if (cs->inflight)
        return;
    if (cs->failed) {
        CN_LOG(CN_LOG_WARN, "copy to %s: %s", o->key.data, cn_strerror(cs->failed));
        gw_chunk_delete_all(r->srv, &o->man);
        gw_req_error(r, gw_s3_err_from_rc(cs->failed), NULL);
        return;
    }
    o->man_ready = 1;
    gw_obj_put_start(r);
}

/* The source is read (resp, rc): may the requester read it? The source object's grants
 * decide, as for a GET (gateway/auth/access.h). 0, or the error answered and resp freed (-1). */
static int source_allowed(gw_req_t *r, cn_msg_t *resp, int rc)
{
    struct gw_copy_state *cs = state_of(r);
    gw_acl_subject_t sb = {cs->src_bucket.owner, cs->src_bucket.acl, cs->src_bucket.grants, 0};
    cn_slice_t meta = {0};

    if (rc == 0) {
        char bucket[GW_BUCKET_MAX + 2];
        uint64_t flags = 0;

        cn_msg_get_u64(resp, "flags", &flags);
        if (flags & CN_OBJ_DELETE_MARKER) { /* S3: never a copy of a delete marker */
            cn_msg_free(resp);
            gw_req_error(r, cs->src_named ? GW_S3_INVALID_REQUEST : GW_S3_NO_SUCH_KEY,
                         cs->src_named ? "The source of a copy request may not specifically "
                                         "refer to a delete marker by version id."
                                       : NULL);
            return -1;
        }
        cn_msg_get_bytes(resp, "meta", &meta);
        snprintf(bucket, sizeof(bucket), "%.*s", (int)cs->src_bucket_len, cs->src_path);
        if (gw_copy_source_allows(r, &sb, bucket, cs->src_path + cs->src_bucket_len + 1,
                                  cs->src_path_len - cs->src_bucket_len - 1, meta))
            return 0;
    }
    if (resp)
        cn_msg_free(resp);
    if (rc == 0) {
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
    } else if (rc == CN_ENOENT) {
        gw_s3_err_t e = gw_obj_missing(r, &sb);
        gw_req_error(r, e == GW_S3_NO_SUCH_KEY && cs->src_named ? GW_S3_NO_SUCH_VERSION : e, NULL);
    } else {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
    }
    return -1;
}

/* x-amz-copy-source-version-id: the source's version, when it has one */
static void source_version_header(gw_req_t *r)
{
    struct gw_copy_state *cs = state_of(r);

    if (cs->src_named || cs->src_versioned)
        gw_req_add_header(r, "x-amz-copy-source-version-id", cs->src_vid, strlen(cs->src_vid));
}

/* The source is read: conditions, metadata, then the body or the chunks. */
static void on_source(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    gw_obj_op_t *o;
    char etag[72] = "";
    uint64_t mtime = 0, flags = 0;
    int st;

    if (gw_req_rpc_gone(r, resp))
        return;
    o = r->op;
    if (source_allowed(r, resp, rc) != 0)
        return;
    source_version_header(r);
    o->parent = resp;
    cn_msg_get_str(resp, "etag", etag, sizeof(etag));
    cn_msg_get_u64(resp, "mtime", &mtime);
    cn_msg_get_u64(resp, "flags", &flags);
    if ((st = gw_obj_conditions(r, "x-amz-copy-source-", etag, mtime)) != 0) {
        gw_req_error(r, GW_S3_PRECONDITION_FAILED, NULL);
        return;
    }
    if (!o->meta.len) {
        /* COPY: the source's metadata; never its owner or ACL: the copy belongs to the
         * requester, private unless the request sets an ACL (as S3) */
        cn_slice_t meta = {0};
        gw_meta_t m = {0}, out = {0};
        cn_msg_get_bytes(resp, "meta", &meta);
        if (meta.ptr && gw_meta_decode(meta.ptr, meta.len, &m) == 0) {
            gw_meta_copy_user(&m, &out);
            gw_meta_dispose(&m);
        }
        gw_meta_add_access(&out, gw_req_object_owner(r), r->acl, r->grants);
        gw_meta_encode(&out, &o->meta);
        gw_meta_dispose(&out);
    }
    { /* x-amz-tagging-directive: the source's tags, or the request's */
        cn_slice_t src_meta = {0};
        cn_msg_get_bytes(resp, "meta", &src_meta);
        gw_tagging_copy(r, src_meta, &o->meta);
        gw_lock_meta_copy(r, &o->meta); /* a new version's lock, never the source's */
    }
    snprintf(o->etag, sizeof(o->etag), "%s", etag);
    if (!(flags & CN_OBJ_MANIFEST)) {
        o->body = cn_msg_body(resp);
        if (gw_quota_refuses(r, o->body.len))
            return;
        /* a plain record: encrypted as PutObject's body would be, when the copy is to be */
        if (!gw_s3_sse_copy_plain_source(r))
            gw_s3_sse_put(r, gw_obj_put_start);
        return;
    }
    {
        struct gw_copy_state *cs = state_of(r);
        cn_slice_t b = cn_msg_body(resp);
        uint64_t ver;
        cn_buf_t pfx;

        if (cn_manifest_decode(b.ptr ? b.ptr : "", b.len, &cs->src) != 0) {
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        if (cs->src.size > r->srv->conf.max_object_size) {
            gw_req_error(r, GW_S3_ENTITY_TOO_LARGE, NULL);
            return;
        }
        if (gw_quota_refuses(r, cn_manifest_object_size(&cs->src)))
            return;
        if (gw_s3_sse_copy_wanted(r, &cs->src)) { /* never ciphertext copied as it is */
            gw_s3_sse_copy(r);
            return;
        }
        if (cn_random_bytes(&ver, sizeof(ver)) != 0)
            ver = cn_now_ns();
        cn_buf_init(&pfx);
        cn_manifest_dispose(&o->man);
        for (size_t i = 0; i < cs->src.nsegs; i++) {
            cn_buf_reset(&pfx);
            cn_buf_appendf(&pfx, "\x01" "c/%s/%016" PRIx64 ".%zu/", o->key.data, ver, i);
            cn_manifest_add_seg(&o->man, pfx.data, pfx.len, cs->src.segs[i].size,
                                cs->src.segs[i].chunk_size);
            gw_chunk_code_seg(r->srv, r->route.bucket, &o->man, i); /* the destination's */
        }
        cn_buf_dispose(&pfx);
        cn_manifest_copy_parts(&o->man, &cs->src); /* one segment for one: its parts stay */
        o->man.size = cs->src.size;
        o->size = cs->src.size;
        snprintf(o->man.etag, sizeof(o->man.etag), "%s", etag);
        copy_pump(r);
    }
}

/* Keeps the source's "bucket/key" (skey, of copy_source) in cs for source_allowed. */
static void keep_source(struct gw_copy_state *cs, const cn_buf_t *skey)
{
    const char *slash = memchr(skey->data, '/', skey->len);

    cs->src_path_len = skey->len < sizeof(cs->src_path) ? skey->len : sizeof(cs->src_path);
    memcpy(cs->src_path, skey->data, cs->src_path_len);
    cs->src_bucket_len = slash ? (size_t)(slash - (const char *)skey->data) : 0;
}

/* Parses x-amz-copy-source into skey ("bucket/key") and checks that the source bucket
 * exists; its owner and ACL go to *sb for source_allowed, a ?versionId (its form checked by
 * s3_refuse.c) and whether the bucket has versioning to the copy state. Returns 0 or answers
 * the error (-1). */
static int copy_source(gw_req_t *r, cn_buf_t *skey, gw_obj_access_t *sb)
{
    struct gw_copy_state *cs = state_of(r);
    cn_slice_t src = gw_req_header(r, "x-amz-copy-source");
    const char *p = src.ptr, *end = src.ptr + src.len, *q;
    char sbucket[GW_BUCKET_MAX + 2];
    const gw_bucket_t *b;

    if ((q = memchr(p, '?', src.len)) != NULL) {
        cn_buf_t v;
        cn_buf_init(&v);
        if (gw_query_get(q + 1, (size_t)(end - q - 1), "versionId", &v) == 1 &&
            cn_ver_id_valid(v.data, v.len)) {
            snprintf(cs->src_vid, sizeof(cs->src_vid), "%s", v.data);
            cs->src_named = 1;
        }
        cn_buf_dispose(&v);
        end = q;
    }
    if (p < end && *p == '/')
        p++;
    q = memchr(p, '/', (size_t)(end - p));
    if (!q || q == p || (size_t)(q - p) > GW_BUCKET_MAX || q + 1 >= end) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Copy Source must mention the source bucket "
                                                "and key: sourcebucket/sourcekey");
        return -1;
    }
    snprintf(sbucket, sizeof(sbucket), "%.*s", (int)(q - p), p);
    cn_buf_append_str(skey, sbucket);
    cn_buf_append(skey, "/", 1);
    if (gw_uri_decode(skey, q + 1, (size_t)(end - q - 1), 0) != 0 ||
        skey->len - strlen(sbucket) - 1 > GW_KEY_MAX) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Bad copy source key");
        return -1;
    }
    if (!(b = gw_mgr_bucket_find(r->srv, sbucket))) {
        gw_req_error(r, GW_S3_NO_SUCH_BUCKET, NULL);
        return -1;
    }
    if (!gw_owner_expected(gw_req_header(r, "x-amz-source-expected-bucket-owner"), b->owner)) {
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
        return -1;
    }
    cs->src_versioned = b->versioning != GW_VER_OFF;
    snprintf(sb->owner, sizeof(sb->owner), "%s", b->owner ? b->owner : "");
    snprintf(sb->acl, sizeof(sb->acl), "%s", b->acl ? b->acl : "");
    snprintf(sb->grants, sizeof(sb->grants), "%s", b->grants ? b->grants : "");
    return 0;
}

static void get_key(gw_req_t *r, const char *key, size_t len, cn_rpc_done_fn cb)
{
    cn_msg_t *m = cn_msg_new(CN_OP_GET);
    cn_msg_set_bytes(m, "key", key, len);
    r->http.pending++;
    if (gw_stor_send(r->srv, key, len, m, cb, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

static void on_source_latest(gw_req_t *r, int status, const gw_ver_pick_t *pick)
{
    struct gw_copy_state *cs = state_of(r);
    gw_acl_subject_t sb = {cs->src_bucket.owner, cs->src_bucket.acl, cs->src_bucket.grants, 0};

    if (status != 0) {
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return;
    }
    if (!pick->found || (pick->flags & CN_OBJ_DELETE_MARKER)) {
        gw_req_error(r, gw_obj_missing(r, &sb), NULL);
        return;
    }
    cn_ver_of_key(cn_slice(pick->key.data, pick->key.len), cs->src_vid);
    get_key(r, pick->key.data, pick->key.len, cs->src_cb);
}

/* Reads the source: the version x-amz-copy-source names, else in a bucket with versioning
 * its latest version, else the object. */
static void get_source(gw_req_t *r, const cn_buf_t *skey, cn_rpc_done_fn cb)
{
    struct gw_copy_state *cs = state_of(r);
    cn_buf_t k;

    if (cs->src_named) {
        cn_buf_init(&k);
        cn_ver_key(&k, skey->data, skey->len, cs->src_vid, strlen(cs->src_vid));
        get_key(r, k.data, k.len, cb);
        cn_buf_dispose(&k);
    } else if (cs->src_versioned) {
        cs->src_cb = cb;
        gw_ver_find_latest(r, skey->data, skey->len, on_source_latest);
    } else {
        get_key(r, skey->data, skey->len, cb);
    }
}

void gw_s3_copy_object(gw_req_t *r)
{
    cn_slice_t dir = gw_req_header(r, "x-amz-metadata-directive");
    char dst[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];
    gw_obj_op_t *o;
    gw_obj_access_t sb;
    cn_buf_t skey;
    int replace = 0, n;

    if (dir.ptr) {
        if (dir.len == 7 && strncasecmp(dir.ptr, "REPLACE", 7) == 0)
            replace = 1;
        else if (!(dir.len == 4 && strncasecmp(dir.ptr, "COPY", 4) == 0)) {
            gw_req_error(r, GW_S3_INVALID_ARGUMENT, "Unknown metadata directive.");
            return;
        }
    }
    cn_buf_init(&skey);
    n = snprintf(dst, sizeof(dst), "%s/", r->route.bucket);
    memcpy(dst + n, r->route.key, r->route.key_len);
    o = gw_obj_op_new(r, dst, (size_t)n + r->route.key_len);
    if (copy_source(r, &skey, &sb) != 0)
        goto out;
    /* a named version onto its own key is how S3 restores an older version */
    if (!replace && !r->acl[0] && !r->grants && !o->copy.src_named &&
        skey.len == (size_t)n + r->route.key_len && memcmp(skey.data, dst, skey.len) == 0) {
        gw_req_error(r, GW_S3_INVALID_REQUEST,
                     "This copy request is illegal because it is trying to copy an object to "
                     "itself without changing the object's metadata, storage class, website "
                     "redirect location or encryption attributes.");
        goto out;
    }
    gw_obj_version_for_write(r, o);
    o->copy_reply = 1;
    o->copy.src_bucket = sb;
    keep_source(&o->copy, &skey);
    if (replace)
        gw_obj_meta_from_headers(r, &o->meta);
    get_source(r, &skey, on_source);
out:
    cn_buf_dispose(&skey);
}

/* ---- UploadPartCopy ------------------------------------------------------------------------
 * The part op (o: the part record's key, its chunk prefix) is set up by s3_multipart.c. A
 * small source's range is stored like an uploaded part's body. A chunked source's range is
 * read piece by piece (cn_manifest_locate) into o->copy.acc and written out as chunk_size
 * chunks of the part, one RPC at a time, the part's MD5 computed on the way: at most one
 * chunk plus one piece in memory. */

static void part_step(gw_req_t *r);

static void on_part_chunk_put(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc;

    if (gw_req_rpc_end(r, status, resp, &rc))
        return;
    if (rc != 0 && rc != CN_ESTALE) {
        gw_obj_op_t *o = r->op;
        gw_chunk_delete_all(r->srv, &o->man);
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    part_step(r);
}

static void on_part_piece(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    struct gw_copy_state *cs;
    cn_slice_t b;

    if (gw_req_rpc_gone(r, resp))
        return;
    cs = state_of(r);
    b = rc == 0 ? cn_msg_body(resp) : cn_slice(NULL, 0);
    if (rc == 0 && (b.len == 0 || b.len > cs->end - cs->pos))
        rc = CN_ECORRUPT;
    if (rc != 0) {
        gw_obj_op_t *o = r->op;
        if (resp)
            cn_msg_free(resp);
        CN_LOG(CN_LOG_WARN, "part copy to %s: source read: %s", o->key.data, cn_strerror(rc));
        gw_chunk_delete_all(r->srv, &o->man);
        gw_req_error(r, gw_s3_err_from_rc(rc == CN_ENOENT ? CN_ECORRUPT : rc), NULL);
        return;
    }
    cn_buf_append(&cs->acc, b.ptr, b.len);
    cn_digest_update(cs->md5, b.ptr, b.len);
    cs->pos += b.len;
    cn_msg_free(resp);
    part_step(r);
}

static void part_step(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    struct gw_copy_state *cs = state_of(r);
    uint64_t csize = o->man.segs[0].chunk_size;

    if (cs->acc.len >= csize || (cs->pos >= cs->end && cs->acc.len)) {
        size_t n = cs->acc.len < csize ? cs->acc.len : (size_t)csize;
        uint8_t md5[CN_MD5_LEN];
        char hex[2 * CN_MD5_LEN + 1];
        int rc;

        hex[0] = '\0';
        if (!o->man.segs[0].ec_k) { /* a coded chunk's fragments have their CRCs */
            cn_md5(cs->acc.data, n, md5);
            cn_hex(md5, sizeof(md5), hex);
        }
        r->http.pending++;
        rc = gw_chunk_write(r->srv, &o->man.segs[0], cs->out_idx++, cs->acc.data, n, 0, hex,
                            on_part_chunk_put, r);
        cn_buf_consume(&cs->acc, n);
        if (rc != 0) {
            r->http.pending--;
            gw_chunk_delete_all(r->srv, &o->man);
            gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
        }
    } else if (cs->pos < cs->end) {
        int rc = gw_chunk_read_send(r, &cs->src, cs->pos, cs->end, on_part_piece, r);
        if (rc != 0)
            gw_req_error(r, rc == CN_ECORRUPT ? GW_S3_INTERNAL_ERROR
                                              : GW_S3_SERVICE_UNAVAILABLE, NULL);
    } else {
        uint8_t md5[CN_MD5_LEN];
        cn_digest_final(cs->md5, md5);
        cs->md5 = NULL;
        cn_hex(md5, sizeof(md5), o->etag);
        snprintf(o->man.etag, sizeof(o->man.etag), "%s", o->etag);
        o->man_ready = 1;
        gw_obj_put_start(r);
    }
}

/* x-amz-copy-source-range "bytes=first-last" against a source of total bytes. */
static int part_range(gw_req_t *r, uint64_t total, uint64_t *off, uint64_t *len)
{
    cn_slice_t h = gw_req_header(r, "x-amz-copy-source-range");
    unsigned long long a, b;
    char buf[64], tail;

    if (!h.ptr) {
        *off = 0;
        *len = total;
        return 0;
    }
    snprintf(buf, sizeof(buf), "%.*s", (int)h.len, h.ptr);
    if (h.len >= sizeof(buf) || sscanf(buf, "bytes=%llu-%llu%c", &a, &b, &tail) != 2 || a > b) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT,
                     "The x-amz-copy-source-range value must be of the form bytes=first-last "
                     "where first and last are the zero-based offsets of the first and last "
                     "bytes to copy");
        return -1;
    }
    if (b >= total) {
        gw_req_error(r, GW_S3_INVALID_RANGE, NULL);
        return -1;
    }
    *off = a;
    *len = b - a + 1;
    return 0;
}

static void on_part_source(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    gw_obj_op_t *o;
    struct gw_copy_state *cs;
    char etag[72] = "";
    uint64_t mtime = 0, flags = 0, total, off, len;

    if (gw_req_rpc_gone(r, resp))
        return;
    o = r->op;
    cs = state_of(r);
    if (source_allowed(r, resp, rc) != 0)
        return;
    source_version_header(r);
    o->parent = resp;
    cn_msg_get_str(resp, "etag", etag, sizeof(etag));
    cn_msg_get_u64(resp, "mtime", &mtime);
    cn_msg_get_u64(resp, "flags", &flags);
    if (gw_obj_conditions(r, "x-amz-copy-source-", etag, mtime) != 0) {
        gw_req_error(r, GW_S3_PRECONDITION_FAILED, NULL);
        return;
    }
    if (flags & CN_OBJ_MANIFEST) {
        cn_slice_t b = cn_msg_body(resp);
        if (cn_manifest_decode(b.ptr ? b.ptr : "", b.len, &cs->src) != 0) {
            gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
            return;
        }
        total = cn_manifest_object_size(&cs->src); /* an encrypted one's plaintext */
    } else {
        total = cn_msg_body(resp).len;
    }
    if (part_range(r, total, &off, &len) != 0)
        return;
    if (len > r->srv->conf.max_object_size) {
        gw_req_error(r, GW_S3_ENTITY_TOO_LARGE, NULL);
        return;
    }
    if (gw_quota_refuses(r, len))
        return;
    if (!(flags & CN_OBJ_MANIFEST)) {
        uint8_t md5[CN_MD5_LEN];
        if (gw_s3_sse_copy_plain_source(r))
            return;
        o->body = cn_slice(cn_msg_body(resp).ptr + off, (size_t)len);
        cn_md5(len ? o->body.ptr : "", (size_t)len, md5);
        cn_hex(md5, sizeof(md5), o->etag);
        gw_s3_sse_part_encrypt(r, gw_obj_put_start); /* when the upload is encrypted */
        return;
    }
    if (cs->src.sse != NULL || o->sse != NULL) {
        /* an encrypted source or upload: through the gateway's memory (s3_sse_copy.c); a
         * plain upload stays plain whatever the bucket's default became after its Create,
         * so its plain source's chunks are copied as they are, below */
        cs->pos = off;
        cs->end = off + len;
        gw_s3_sse_copy(r);
        return;
    }
    if (gw_s3_sse_copy_plain_source(r)) /* a copy source's SSE-C key for a plain source */
        return;
    cn_manifest_dispose(&o->man);
    cn_manifest_add_seg(&o->man, o->chunk_prefix, strlen(o->chunk_prefix), len,
                        r->srv->conf.chunk_size);
    gw_chunk_code_seg(r->srv, r->route.bucket, &o->man, 0);
    o->man.size = len;
    o->size = len;
    cs->pos = off;
    cs->end = off + len;
    cs->md5 = cn_digest_md5_new();
    part_step(r);
}

void gw_s3_upload_part_copy(gw_req_t *r)
{
    cn_buf_t skey;

    cn_buf_init(&skey);
    if (copy_source(r, &skey, &state_of(r)->src_bucket) == 0) {
        keep_source(state_of(r), &skey);
        get_source(r, &skey, on_part_source);
    }
    cn_buf_dispose(&skey);
}
