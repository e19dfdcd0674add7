/*
 * gateway/s3/s3_delete.c: DeleteObjects (POST /bucket?delete). The body (at most 1000 keys) is
 * parsed by s3_xmlin.c; Content-MD5 or an x-amz-checksum-* header is required as S3 does (both
 * were verified against the body by http.c). Each key goes the way of DeleteObject: a head,
 * the manifest of a chunked object, the delete, then its chunks in the background; up to
 * DEL_WINDOW keys at a time. A missing key counts as deleted (S3 does the same); other
 * failures become per-key <Error> elements. Quiet mode lists the errors only.
 */
#include "gateway/s3/chunk.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/s3_delete.h"
#include "gateway/link/stor_link.h"
#include "gateway/gateway.h"

#define DEL_WINDOW 8

struct del_op {
    gw_xml_delete_t d;
    gw_s3_err_t *res;
    size_t next, done, inflight;
};

struct del_item {
    gw_req_t *r;
    size_t i;
    cn_buf_t key;          /* "bucket/key" */
    gw_manifest_t man;
    int have_man;
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
    gw_manifest_dispose(&it->man);
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
    o->res[it->i] = e;
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

    if (resp)
        cn_msg_free(resp);
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
        if ((flags & CN_OBJ_MANIFEST) && gw_manifest_decode(b.ptr, b.len, &it->man) == 0)
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

    if (rc == 0)
        cn_msg_get_u64(resp, "flags", &flags);
    if (resp)
        cn_msg_free(resp);
    if (rc == CN_ENOENT) {
        item_done(it, GW_S3_OK);
        return;
    }
    if (gw_req_rpc_done(it->r)) {
        item_free(it);
        return;
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

static void answer(gw_req_t *r)
{
    struct del_op *o = r->op;
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "DeleteResult", GW_S3_XMLNS);
    for (size_t i = 0; i < o->d.n; i++) {
        if (o->res[i] == GW_S3_OK) {
            if (o->d.quiet)
                continue;
            gw_xml_open(&b, "Deleted");
            gw_xml_text_elem(&b, "Key", o->d.keys[i], o->d.key_lens[i]);
            gw_xml_close(&b, "Deleted");
        } else {
            gw_xml_open(&b, "Error");
            gw_xml_text_elem(&b, "Key", o->d.keys[i], o->d.key_lens[i]);
            gw_xml_str_elem(&b, "Code", gw_s3_err_code(o->res[i]));
            gw_xml_str_elem(&b, "Message", gw_s3_err_message(o->res[i]));
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
        struct del_item *it = cn_calloc(1, sizeof(*it));
        cn_msg_t *m = cn_msg_new(CN_OP_HEAD);

        it->r = r;
        it->i = i;
        cn_buf_init(&it->key);
        cn_buf_appendf(&it->key, "%s/", r->route.bucket);
        cn_buf_append(&it->key, o->d.keys[i], o->d.key_lens[i]);
        cn_msg_set_bytes(m, "key", it->key.data, it->key.len);
        o->inflight++;
        if (item_send(it, m, on_item_head, 0) != 0) {
            o->res[i] = GW_S3_SERVICE_UNAVAILABLE;
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
    if (o->d.unsupported) { /* never a wrong success: it would delete the current object */
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                     strcmp(o->d.unsupported, "VersionId") == 0
                         ? "Deleting a version by VersionId is not supported yet"
                         : "Conditional deletes in DeleteObjects are not supported yet");
        return;
    }
    o->res = cn_calloc(o->d.n, sizeof(*o->res));
    pump(r);
}
