/*
 * gateway/s3/s3_tagging.c: S3 tags (see s3_tagging.h). An object's tags are the internal
 * metadata pair ":tags" (manifest.h) in tags.h's stored form: written by PutObject,
 * CopyObject and CreateMultipartUpload (carried by the upload's marker to Complete) from
 * x-amz-tagging, and by Put/DeleteObjectTagging, which read the whole record and put it again
 * with its own body and the new metadata, as PutObjectAcl does. Being metadata, they are
 * replicated, repaired and moved with the object, and served from the caches with it. A
 * bucket's tags are its manager configuration "tagging" ({"TagSet": [{"Key", "Value"}]},
 * bucket_set_config, record x/<bucket>/tagging), read back from the bucket table.
 * Who may do what is decided by gateway/auth/access.c (and the bucket policy,
 * s3:ExistingObjectTag included) once the object's metadata is read (gw_obj_allows).
 */
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_tagging.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "gateway/auth/access_req.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/link/stor_link.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_object.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/tags.h"

#define CONF_TAGGING "tagging"

static const char bad_header_msg[] =
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
    "without tag name duplicates.";

/* ---- reading what a request sets ------------------------------------------------------- */

/* t checked against max and kept as r->tags. */
static gw_s3_err_t keep_tags(gw_req_t *r, const gw_tags_t *t, size_t max, const char **msg)
{
    cn_buf_t enc;

    if ((*msg = gw_tags_check(t, max)) != NULL)
        return GW_S3_INVALID_TAG;
    cn_buf_init(&enc);
    gw_tags_encode(t, &enc);
    cn_free(r->tags);
    r->tags = cn_strndup(enc.len ? enc.data : "", enc.len);
    cn_buf_dispose(&enc);
    return GW_S3_OK;
}

/* 1 when a copy's x-amz-tagging-directive is REPLACE, 0 COPY (or absent), -1 neither. */
static int directive_replace(const gw_req_t *r)
{
    cn_slice_t d = gw_req_header(r, "x-amz-tagging-directive");

    if (d.ptr == NULL || (d.len == 4 && strncasecmp(d.ptr, "COPY", 4) == 0))
        return 0;
    return d.len == 7 && strncasecmp(d.ptr, "REPLACE", 7) == 0 ? 1 : -1;
}

gw_s3_err_t gw_req_read_tagging_xml(gw_req_t *r, cn_slice_t xml, size_t max, const char **msg)
{
    gw_tags_t t = {0};
    gw_s3_err_t e;

    *msg = NULL;
    if (gw_xml_parse_tagging(xml.ptr ? xml.ptr : "", xml.len, &t) != 0)
        e = GW_S3_MALFORMED_XML;
    else
        e = keep_tags(r, &t, max, msg);
    gw_tags_dispose(&t);
    return e;
}

gw_s3_err_t gw_req_read_tagging(gw_req_t *r, const char **msg)
{
    gw_op_t op = r->route.op;
    gw_tags_t t = {0};
    cn_slice_t h;
    gw_s3_err_t e = GW_S3_OK;

    *msg = NULL;
    if (op == GW_OP_PUT_OBJECT_TAGGING || op == GW_OP_PUT_BUCKET_TAGGING)
        return gw_req_read_tagging_xml(
            r, r->body, op == GW_OP_PUT_BUCKET_TAGGING ? GW_TAGS_BUCKET_MAX : GW_TAGS_OBJECT_MAX,
            msg);
    if (op != GW_OP_PUT_OBJECT && op != GW_OP_CREATE_MULTIPART)
        return GW_S3_OK;
    if (op == GW_OP_PUT_OBJECT && gw_req_header(r, "x-amz-copy-source").ptr != NULL) {
        int rep = directive_replace(r);

        if (rep < 0) {
            *msg = "Unknown tagging directive.";
            return GW_S3_INVALID_ARGUMENT;
        }
        if (rep == 0)
            return GW_S3_OK; /* the source's tags */
    }
    if ((h = gw_req_header(r, "x-amz-tagging")).ptr == NULL)
        return GW_S3_OK;
    if (gw_tags_parse_query(h.ptr, h.len, &t) != 0) {
        *msg = bad_header_msg;
        e = GW_S3_INVALID_ARGUMENT;
    } else {
        e = keep_tags(r, &t, GW_TAGS_OBJECT_MAX, msg);
    }
    gw_tags_dispose(&t);
    return e;
}

/* ---- metadata -------------------------------------------------------------------------- */

/* Re-encodes the metadata *meta with its ":tags" pair set to tags (NULL or "": none). 0, or
 * CN_ECORRUPT when *meta cannot be read (left as it is). */
static int meta_set_tags(cn_buf_t *meta, const char *tags)
{
    gw_meta_t in, out = {0};

    if (gw_meta_decode(meta->data ? meta->data : "", meta->len, &in) != 0)
        return CN_ECORRUPT;
    for (size_t i = 0; i < in.n; i++)
        if (strcmp(in.pairs[i].name, GW_META_TAGS) != 0)
            gw_meta_add(&out, in.pairs[i].name, strlen(in.pairs[i].name), in.pairs[i].value,
                        strlen(in.pairs[i].value));
    if (tags != NULL && tags[0])
        gw_meta_add(&out, GW_META_TAGS, strlen(GW_META_TAGS), tags, strlen(tags));
    cn_buf_reset(meta);
    gw_meta_encode(&out, meta);
    gw_meta_dispose(&in);
    gw_meta_dispose(&out);
    return 0;
}

void gw_tagging_copy(gw_req_t *r, cn_slice_t src_meta, cn_buf_t *meta)
{
    cn_buf_t src;

    cn_buf_init(&src);
    if (directive_replace(r) == 1)
        cn_buf_append_str(&src, r->tags ? r->tags : "");
    else if (src_meta.ptr)
        gw_meta_find(src_meta.ptr, src_meta.len, GW_META_TAGS, &src);
    if (meta_set_tags(meta, src.data) != 0)
        CN_LOG(CN_LOG_WARN, "req=%s %s: the copy's metadata does not decode; its tags are "
               "left out", r->reqid, r->resource);
    cn_buf_dispose(&src);
}

void gw_tagging_count_header(gw_req_t *r, const char *stored)
{
    char n[24];
    size_t c = gw_tags_count(stored);

    if (c == 0)
        return;
    snprintf(n, sizeof(n), "%zu", c);
    gw_req_add_header(r, "x-amz-tagging-count", n, strlen(n));
}

/* Appends <TagSet> of the stored tags to x. */
static void tagset_xml(cn_buf_t *x, const char *stored)
{
    gw_tags_t t = {0};

    if (stored != NULL && gw_tags_parse_query(stored, strlen(stored), &t) != 0)
        CN_LOG(CN_LOG_WARN, "stored tags do not decode: %s", stored);
    gw_xml_open(x, "TagSet");
    for (size_t i = 0; i < t.n; i++) {
        gw_xml_open(x, "Tag");
        gw_xml_text_elem(x, "Key", t.v[i].key, t.v[i].key_len);
        gw_xml_text_elem(x, "Value", t.v[i].value, t.v[i].value_len);
        gw_xml_close(x, "Tag");
    }
    gw_xml_close(x, "TagSet");
    gw_tags_dispose(&t);
}

static void send_tagging(gw_req_t *r, const char *stored)
{
    cn_buf_t x;

    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "Tagging", GW_S3_XMLNS);
    tagset_xml(&x, stored);
    gw_xml_close(&x, "Tagging");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

/* ---- object ---------------------------------------------------------------------------- */

/* The put of gw_obj_put_again: r->op's ok status (o->size holds it), or the error. */
static void on_put_again(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc;

    if (gw_req_rpc_end(r, status, resp, &rc))
        return;
    if (rc != 0 && rc != CN_ESTALE) {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    gw_req_send_empty(r, (int)((gw_obj_op_t *)r->op)->size);
}

void gw_obj_put_again(gw_req_t *r, cn_msg_t *resp, const cn_buf_t *meta, int ok_status)
{
    gw_obj_op_t *o = r->op;
    char etag[80] = "";
    uint64_t flags = 0, clock = 0;
    cn_msg_t *put;
    size_t blen;
    void *body;

    cn_msg_get_str(resp, "etag", etag, sizeof(etag));
    cn_msg_get_u64(resp, "flags", &flags);
    cn_msg_get_u64(resp, "clock", &clock);
    put = cn_msg_new(CN_OP_PUT);
    cn_msg_set_bytes(put, "key", o->key.data, o->key.len);
    /* with versions the record's clock orders them (version.h): the new metadata wins over
     * the old by a nanosecond and the version keeps its place; else storage's clock */
    cn_msg_set_u64(put, "clock", gw_ver_bucket_state(r) != GW_VER_OFF && clock ? clock + 1 : 0);
    cn_msg_set_str(put, "etag", etag);
    cn_msg_set_bytes(put, "meta", meta->data ? meta->data : "", meta->len);
    cn_msg_set_u64(put, "flags", flags & CN_OBJ_MANIFEST);
    if (r->lock_bypass) /* a GOVERNANCE retention shortened: storage decides again */
        cn_msg_set_u64(put, "lock_bypass", 1);
    body = cn_msg_steal_body(resp, &blen);
    if (flags & CN_OBJ_MANIFEST) {
        cn_manifest_t man = {0};
        if (cn_manifest_decode(body ? body : "", blen, &man) == 0)
            cn_msg_set_u64(put, "size", cn_manifest_object_size(&man));
        cn_manifest_dispose(&man);
    }
    cn_msg_set_body(put, body, blen);
    cn_msg_free(resp);
    o->size = (uint64_t)ok_status;
    gw_ver_add_headers(r, o->vid, 0);
    r->http.pending++;
    if (gw_obj_write_send(r->srv, o->key.data, o->key.len, put, on_put_again, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

static void on_get_tagging(int status, cn_msg_t *resp, void *arg);
static void on_tagging_record(int status, cn_msg_t *resp, void *arg);

static void read_tags(gw_req_t *r)
{
    gw_obj_read_send(r, CN_OP_HEAD, on_get_tagging);
}

static void read_record(gw_req_t *r)
{
    gw_obj_read_send(r, CN_OP_GET, on_tagging_record);
}

void gw_obj_target(gw_req_t *r, void (*cont)(gw_req_t *r))
{
    char k[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];
    int n;

    if (r->route.key_len == 0) {
        gw_req_error(r, GW_S3_NO_SUCH_KEY, NULL);
        return;
    }
    n = snprintf(k, sizeof(k), "%s/", r->route.bucket);
    memcpy(k + n, r->route.key, r->route.key_len);
    gw_obj_version_target(r, gw_obj_op_new(r, k, (size_t)n + r->route.key_len), cont);
}

int gw_obj_target_allowed(gw_req_t *r, int rc, cn_msg_t *resp, cn_slice_t *meta)
{
    gw_acl_subject_t bk = gw_req_bucket(r);
    uint64_t flags = 0;
    int allowed = 0;

    *meta = (cn_slice_t){0};
    if (rc == 0) {
        cn_msg_get_bytes(resp, "meta", meta);
        cn_msg_get_u64(resp, "flags", &flags);
        allowed = gw_obj_allows(r, &bk, *meta, gw_op_perm(r->route.op), NULL);
        if (allowed && !(flags & CN_OBJ_DELETE_MARKER))
            return 0;
    }
    if (resp)
        cn_msg_free(resp);
    if (rc == 0 && !allowed) {
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
    } else if (rc == 0) {
        gw_obj_refuse_marker(r);
    } else if (rc == CN_ENOENT) {
        gw_req_error(r, gw_obj_version_missing(r, &bk), NULL);
    } else {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
    }
    return -1;
}

static void on_get_tagging(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    cn_slice_t meta;
    cn_buf_t tags;

    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_target_allowed(r, status ? status : cn_msg_rc(resp), resp, &meta) != 0)
        return;
    cn_buf_init(&tags);
    if (gw_meta_find(meta.ptr ? meta.ptr : "", meta.len, GW_META_TAGS, &tags) < 0) {
        CN_LOG(CN_LOG_ERROR, "req=%s %s: unreadable object metadata", r->reqid, r->resource);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
    } else {
        gw_ver_add_headers(r, ((gw_obj_op_t *)r->op)->vid, 0);
        send_tagging(r, tags.data);
    }
    cn_buf_dispose(&tags);
    cn_msg_free(resp);
}

void gw_s3_get_object_tagging(gw_req_t *r)
{
    gw_obj_target(r, read_tags);
}

/* The whole record is read: put it again with r->tags (NULL: none) in its metadata. */
static void on_tagging_record(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    gw_obj_op_t *o;
    cn_slice_t meta;
    cn_buf_t old;
    int had;

    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_target_allowed(r, status ? status : cn_msg_rc(resp), resp, &meta) != 0)
        return;
    o = r->op;
    cn_buf_init(&old);
    had = gw_meta_find(meta.ptr ? meta.ptr : "", meta.len, GW_META_TAGS, &old);
    cn_buf_dispose(&old);
    if (had == 0 && (r->tags == NULL || r->tags[0] == '\0')) {
        cn_msg_free(resp); /* nothing to remove: no write */
        gw_req_send_empty(r, r->route.op == GW_OP_DELETE_OBJECT_TAGGING ? 204 : 200);
        return;
    }
    cn_buf_reset(&o->meta);
    cn_buf_append(&o->meta, meta.ptr ? meta.ptr : "", meta.len);
    if (had < 0 || meta_set_tags(&o->meta, r->tags) != 0) {
        CN_LOG(CN_LOG_ERROR, "req=%s %s: unreadable object metadata; its tags are left as "
               "they are", r->reqid, r->resource);
        cn_msg_free(resp);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    gw_obj_put_again(r, resp, &o->meta, r->route.op == GW_OP_DELETE_OBJECT_TAGGING ? 204 : 200);
}

void gw_s3_put_object_tagging(gw_req_t *r)
{
    gw_obj_target(r, read_record);
}

void gw_s3_delete_object_tagging(gw_req_t *r)
{
    cn_free(r->tags);
    r->tags = NULL;
    gw_obj_target(r, read_record);
}

/* ---- bucket ---------------------------------------------------------------------------- */

/* bucket_set_config "tagging" of r's bucket: value (JSON; NULL deletes). The owner sent is
 * the one the access decision saw (a policy may let others change the tags). */
static void set_bucket_tagging(gw_req_t *r, const char *value)
{
    gw_bucket_conf_set(r, r->bucket_owner, CONF_TAGGING, value, 204); /* Put, Delete: as S3 */
}

void gw_s3_put_bucket_tagging(gw_req_t *r)
{
    gw_tags_t t = {0};
    json_t *set = json_array(), *doc;
    char *txt;

    if (r->tags != NULL)
        gw_tags_parse_query(r->tags, strlen(r->tags), &t);
    for (size_t i = 0; i < t.n; i++)
        json_array_append_new(set, json_pack("{s:s%,s:s%}", "Key", t.v[i].key, t.v[i].key_len,
                                             "Value", t.v[i].value, t.v[i].value_len));
    doc = json_pack("{s:o}", "TagSet", set);
    txt = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    /* an empty TagSet leaves the bucket without tags, as DeleteBucketTagging */
    set_bucket_tagging(r, t.n && txt ? txt : NULL);
    free(txt);
    gw_tags_dispose(&t);
}

void gw_s3_get_bucket_tagging(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    json_t *doc, *set, *e;
    gw_tags_t t = {0};
    cn_buf_t enc;
    size_t i;

    if (b == NULL || b->tagging == NULL) {
        gw_req_error(r, GW_S3_NO_SUCH_TAG_SET, NULL);
        return;
    }
    doc = json_loads(b->tagging, 0, NULL);
    set = json_object_get(doc, "TagSet");
    json_array_foreach(set, i, e) {
        const json_t *k = json_object_get(e, "Key"), *v = json_object_get(e, "Value");
        if (json_is_string(k) && json_is_string(v))
            gw_tags_add(&t, json_string_value(k), json_string_length(k), json_string_value(v),
                        json_string_length(v));
    }
    json_decref(doc);
    cn_buf_init(&enc);
    gw_tags_encode(&t, &enc);
    send_tagging(r, enc.data ? enc.data : "");
    cn_buf_dispose(&enc);
    gw_tags_dispose(&t);
}

void gw_s3_delete_bucket_tagging(gw_req_t *r)
{
    set_bucket_tagging(r, NULL);
}
