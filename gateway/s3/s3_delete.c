/*
 * gateway/s3/s3_delete.c: DeleteObjects (POST /bucket?delete). The body (at most 1000 keys) is
 * parsed by s3_xmlin.c; Content-MD5 or an x-amz-checksum-* header is required as S3 does (both
 * were verified against the body by http.c). Each key goes the way of DeleteObject: a head,
 * the manifest of a chunked object, the delete, then its chunks in the background; up to
 * DEL_WINDOW keys at a time. A missing key counts as deleted (S3 does the same); other
 * failures become per-key <Error> elements. Quiet mode lists the errors only.
 * Versions (issue 16): an Object with a VersionId deletes that version for good (its storage
 * key, version.h; a VersionId not of our form is that key's NoSuchVersion, as S3); without
 * one, in a bucket with versioning, a delete marker is written instead (a new version when
 * Enabled, the null version when Suspended), as DeleteObject does.
 * Conditions (issue 16): an Object's ETag, Size and LastModifiedTime are DeleteObject's
 * If-Match, x-amz-if-match-size and x-amz-if-match-last-modified-time, decided by the key's
 * coordinator (docs/DESIGN.md, "Conditional writes"): a failed one is that key's
 * PreconditionFailed (NoSuchKey for an ETag on a key that is not there). In a bucket with
 * versioning a condition without a VersionId is about the object's latest version, and the
 * delete marker is written only if it holds.
 */
#include "gateway/s3/chunk.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/s3_delete.h"
#include "gateway/s3/s3_objlock.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_wcond.h"
#include "gateway/link/stor_link.h"
#include "gateway/gateway.h"

#define DEL_WINDOW 8

/* what one Object's delete answers */
struct del_res {
    gw_s3_err_t e;
    char vid[CN_VER_ID_LEN + 1];        /* the version deleted (named), "" none */
    int marker;                         /* a delete marker was written, or deleted */
    char marker_vid[CN_VER_ID_LEN + 1]; /* its version */
};

struct del_op {
    gw_xml_delete_t d;
    struct del_res *res;
    size_t next, done, inflight;
};

struct del_item {
    gw_req_t *r;
    size_t i;
    cn_buf_t key;          /* "bucket/key", or a version's key */
    cn_manifest_t man;
    int have_man;
    int named;             /* the Object named its version */
    cn_wcond_t wcond;      /* the Object's condition, decided by the key's coordinator */
    int lock_bypass;       /* it bypasses a GOVERNANCE retention (s3_objlock.h) */
};

static void del_free(gw_req_t *r)
{
    struct del_op *o = r->op;
    gw_xml_delete_dispose(&o->d);
    cn_free(o->res);
    cn_free(o);
    r->op = NULL;
}

static void pump(gw_req_t *r);

static void item_free(struct del_item *it)
{
    cn_buf_dispose(&it->key);
    cn_manifest_dispose(&it->man);
    cn_free(it);
}

/* Records the result of one key and moves on; returns 1 when the request is gone. */
static int item_done(struct del_item *it, gw_s3_err_t e)
{
    gw_req_t *r = it->r;
    struct del_op *o;

    if (gw_req_rpc_done(r)) {
        item_free(it);
        return 1;
    }
    o = r->op;
    o->res[it->i].e = e;
    o->inflight--;
    o->done++;
    item_free(it);
    pump(r);
    return 0;
}

static int item_send(struct del_item *it, cn_msg_t *m, cn_rpc_done_fn cb, int write)
{
    gw_server_t *s = it->r->srv;
    int rc;

    it->r->http.pending++;
    rc = write ? gw_obj_write_send(s, it->key.data, it->key.len, m, cb, it)
               : gw_stor_send(s, it->key.data, it->key.len, m, cb, it);
    if (rc != 0) {
        it->r->http.pending--;
        return -1;
    }
    return 0;
}

static void on_item_deleted(int status, cn_msg_t *resp, void *arg)
{
    struct del_item *it = arg;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t missing = 0;

    if (status == 0 && resp != NULL)
        cn_msg_get_u64(resp, "cond_missing", &missing); /* an ETag on a missing key */
    if (resp)
        cn_msg_free(resp);
    if (rc == CN_ECOND || rc == CN_ECONFLICT) {
        item_done(it, rc == CN_ECOND && missing ? GW_S3_NO_SUCH_KEY : gw_s3_err_from_rc(rc));
        return;
    }
    if (rc == 0 && it->have_man)
        gw_chunk_delete_all(it->r->srv, &it->man);
    if (rc != 0 && rc != CN_ENOENT)
        CN_LOG(CN_LOG_WARN, "delete %s: %s", it->key.data, cn_strerror(rc));
    item_done(it, rc == 0 || rc == CN_ENOENT ? GW_S3_OK : gw_s3_err_from_rc(rc));
}

static void item_delete(struct del_item *it)
{
    cn_msg_t *m = cn_msg_new(CN_OP_DELETE);
    cn_msg_set_bytes(m, "key", it->key.data, it->key.len);
    cn_msg_set_u64(m, "clock", 0);
    if (it->lock_bypass) /* storage decides again */
        cn_msg_set_u64(m, "lock_bypass", 1);
    cn_wcond_to_msg(&it->wcond, m); /* the key's coordinator decides */
    if (item_send(it, m, on_item_deleted, 1) != 0) {
        it->r->http.pending++; /* item_done drops it */
        item_done(it, GW_S3_SERVICE_UNAVAILABLE);
    }
}

static void on_item_manifest(int status, cn_msg_t *resp, void *arg)
{
    struct del_item *it = arg;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t flags = 0;

    if (rc == 0) {
        cn_slice_t b = cn_msg_body(resp);
        cn_msg_get_u64(resp, "flags", &flags);
        if ((flags & CN_OBJ_MANIFEST) && cn_manifest_decode(b.ptr, b.len, &it->man) == 0)
            it->have_man = 1;
    }
    if (resp)
        cn_msg_free(resp);
    if (gw_req_rpc_done(it->r)) {
        item_free(it);
        return;
    }
    item_delete(it);
}

static void on_item_head(int status, cn_msg_t *resp, void *arg)
{
    struct del_item *it = arg;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t flags = 0;
    gw_s3_err_t locked;
    cn_slice_t ms = {0};
    cn_buf_t meta;

    cn_buf_init(&meta);
    if (rc == 0) {
        cn_msg_get_u64(resp, "flags", &flags);
        cn_msg_get_bytes(resp, "meta", &ms);
        cn_buf_append(&meta, ms.ptr ? ms.ptr : "", ms.len);
    }
    if (resp)
        cn_msg_free(resp);
    if (rc == CN_ENOENT && !cn_wcond_any(&it->wcond)) { /* a condition: the coordinator's */
        cn_buf_dispose(&meta);
        item_done(it, GW_S3_OK);
        return;
    }
    if (gw_req_rpc_done(it->r)) {
        cn_buf_dispose(&meta);
        item_free(it);
        return;
    }
    if (rc == 0) { /* a locked version: refused here as storage would */
        const struct del_op *o = it->r->op;

        locked = gw_lock_may_delete(it->r, cn_slice(meta.data, meta.len), o->d.keys[it->i],
                                    o->d.key_lens[it->i], &it->lock_bypass);
        if (locked != GW_S3_OK) {
            cn_buf_dispose(&meta);
            it->r->http.pending++; /* item_done drops it */
            item_done(it, locked);
            return;
        }
    }
    cn_buf_dispose(&meta);
    if (rc == 0 && (flags & CN_OBJ_DELETE_MARKER)) {
        struct del_res *res = &((struct del_op *)it->r->op)->res[it->i];
        res->marker = 1; /* a marker named by its version: the answer says so */
        snprintf(res->marker_vid, sizeof(res->marker_vid), "%s", res->vid);
    }
    if (rc == 0 && (flags & CN_OBJ_MANIFEST)) {
        cn_msg_t *m = cn_msg_new(CN_OP_GET);
        cn_msg_set_bytes(m, "key", it->key.data, it->key.len);
        if (item_send(it, m, on_item_manifest, 0) != 0) {
            it->r->http.pending++;
            item_done(it, GW_S3_SERVICE_UNAVAILABLE);
        }
        return;
    }
    item_delete(it);
}

/* ---- a delete marker instead (a bucket with versioning, no VersionId) ---- */

static void on_item_marker(int status, cn_msg_t *resp, void *arg)
{
    struct del_item *it = arg;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t missing = 0;

    if (rc == CN_ECOND || rc == CN_ECONFLICT) {
        cn_msg_get_u64(resp, "cond_missing", &missing);
        cn_msg_free(resp);
        item_done(it, rc == CN_ECOND && missing ? GW_S3_NO_SUCH_KEY : gw_s3_err_from_rc(rc));
        return;
    }
    if (rc == 0)
        gw_obj_keep_replaced(resp, &it->man, &it->have_man);
    if (resp)
        cn_msg_free(resp);
    if (rc == 0 && it->have_man)
        gw_chunk_delete_all(it->r->srv, &it->man); /* the null version it replaced */
    if (rc != 0 && rc != CN_ESTALE)
        CN_LOG(CN_LOG_WARN, "delete marker of %s: %s", it->key.data, cn_strerror(rc));
    item_done(it, rc == 0 || rc == CN_ESTALE ? GW_S3_OK : gw_s3_err_from_rc(rc));
}

static void item_marker(struct del_item *it, struct del_res *res)
{
    uint64_t clock;

    cn_msg_t *m;

    gw_ver_for_write(it->r, &it->key, res->marker_vid, &clock);
    res->marker = 1;
    m = gw_obj_marker_msg(it->r, &it->key, clock);
    cn_wcond_to_msg(&it->wcond, m); /* a condition: the object's coordinator decides */
    if (item_send(it, m, on_item_marker, 1) != 0) {
        it->r->http.pending++; /* item_done drops it */
        item_done(it, GW_S3_SERVICE_UNAVAILABLE);
    }
}

/* an Object's condition element as a header value would be: ptr NULL when absent */
static cn_slice_t slice_of(const char *s)
{
    return s ? cn_slice(s, strlen(s)) : cn_slice(NULL, 0);
}

static void answer(gw_req_t *r)
{
    struct del_op *o = r->op;
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "DeleteResult", GW_S3_XMLNS);
    for (size_t i = 0; i < o->d.n; i++) {
        const struct del_res *res = &o->res[i];
        if (res->e == GW_S3_OK) {
            if (o->d.quiet)
                continue;
            gw_xml_open(&b, "Deleted");
            gw_xml_text_elem(&b, "Key", o->d.keys[i], o->d.key_lens[i]);
            if (res->vid[0])
                gw_xml_str_elem(&b, "VersionId", res->vid);
            if (res->marker) {
                gw_xml_str_elem(&b, "DeleteMarker", "true");
                gw_xml_str_elem(&b, "DeleteMarkerVersionId", res->marker_vid);
            }
            gw_xml_close(&b, "Deleted");
        } else {
            gw_xml_open(&b, "Error");
            gw_xml_text_elem(&b, "Key", o->d.keys[i], o->d.key_lens[i]);
            if (o->d.vids[i])
                gw_xml_text_elem(&b, "VersionId", o->d.vids[i], strlen(o->d.vids[i]));
            gw_xml_str_elem(&b, "Code", gw_s3_err_code(res->e));
            gw_xml_str_elem(&b, "Message", gw_s3_err_message(res->e));
            gw_xml_close(&b, "Error");
        }
    }
    gw_xml_close(&b, "DeleteResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

static void pump(gw_req_t *r)
{
    struct del_op *o = r->op;

    while (o->inflight < DEL_WINDOW && o->next < o->d.n) {
        size_t i = o->next++;
        const char *vid = o->d.vids[i];
        struct del_item *it;
        cn_msg_t *m;

        cn_wcond_t wc;
        const char *msg;
        char *const *c = o->d.conds[i];
        gw_s3_err_t e;

        if (vid && !cn_ver_id_valid(vid, strlen(vid))) {
            o->res[i].e = GW_S3_NO_SUCH_VERSION; /* as S3 answers an ID it never made */
            o->done++;
            continue;
        }
        e = gw_wcond_parse(GW_WCOND_DELETE, cn_slice(NULL, 0), slice_of(c[0]), slice_of(c[1]),
                           slice_of(c[2]), &wc, &msg);
        if (e != GW_S3_OK) {
            o->res[i].e = e;
            o->done++;
            continue;
        }
        /* versioned, and no version named: about the object's latest (its coordinator's) */
        wc.group = cn_wcond_any(&wc) && !vid && gw_ver_bucket_state(r) != GW_VER_OFF;
        it = cn_calloc(1, sizeof(*it));
        it->wcond = wc;
        it->r = r;
        it->i = i;
        cn_buf_init(&it->key);
        cn_buf_appendf(&it->key, "%s/", r->route.bucket);
        cn_buf_append(&it->key, o->d.keys[i], o->d.key_lens[i]);
        o->inflight++;
        if (vid) {
            cn_buf_t base;
            cn_buf_init(&base);
            cn_buf_append(&base, it->key.data, it->key.len);
            cn_ver_key(&it->key, base.data, base.len, vid, strlen(vid));
            cn_buf_dispose(&base);
            snprintf(o->res[i].vid, sizeof(o->res[i].vid), "%s", vid);
            it->named = 1;
        } else if (gw_ver_bucket_state(r) != GW_VER_OFF) {
            item_marker(it, &o->res[i]);
            continue;
        }
        m = cn_msg_new(CN_OP_HEAD);
        cn_msg_set_bytes(m, "key", it->key.data, it->key.len);
        if (item_send(it, m, on_item_head, 0) != 0) {
            o->res[i].e = GW_S3_SERVICE_UNAVAILABLE;
            o->inflight--;
            o->done++;
            item_free(it);
        }
    }
    if (o->done == o->d.n && o->inflight == 0)
        answer(r);
}

void gw_s3_delete_objects(gw_req_t *r)
{
    struct del_op *o;

    if (!gw_req_header(r, "content-md5").ptr && !r->checksum_name[0]) {
        gw_req_error(r, GW_S3_INVALID_REQUEST,
                     "Missing required header for this request: Content-MD5");
        return;
    }
    o = cn_calloc(1, sizeof(*o));
    r->op = o;
    r->op_free = del_free;
    if (gw_xml_parse_delete(r->body.ptr, r->body.len, &o->d) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    o->res = cn_calloc(o->d.n, sizeof(*o->res));
    pump(r);
}
