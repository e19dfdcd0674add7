/*
 * gateway/s3/s3_bucket.c: bucket operations: ListBuckets, CreateBucket, DeleteBucket,
 * HeadBucket, GetBucketLocation and ListObjects v1/v2, and the quota check of the writes.
 * Bucket ownership was checked by the handler (http.c); the bucket table comes from the
 * manager (mgr_link.c).
 */
#include "gateway/s3/s3_objlock.h"
#include "gateway/gateway.h"

#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_refuse.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket.h"
#include "gateway/auth/access_req.h"
#include "gateway/auth/s3_uri.h"
#include "gateway/s3/manifest.h"

int gw_quota_refuses(gw_req_t *r, uint64_t bytes)
{
    if (!gw_mgr_quota_take(r->srv, r->route.bucket, bytes))
        return 0;
    gw_req_error(r, GW_S3_QUOTA_EXCEEDED, "The bucket's quota would be exceeded by this upload.");
    return 1;
}

void gw_s3_list_buckets(gw_req_t *r)
{
    gw_server_t *s = r->srv;
    char t[GW_S3_TIME_LEN];
    cn_buf_t b;

    cn_buf_init(&b);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "ListAllMyBucketsResult", GW_S3_XMLNS);
    gw_owner_xml(r, &b, "Owner", r->requester);
    gw_xml_open(&b, "Buckets");
    for (size_t i = 0; i < s->mgr.nbuckets; i++) {
        const gw_bucket_t *bk = &s->mgr.buckets[i];
        if (!r->requester[0] || strcmp(bk->owner, r->requester) != 0)
            continue;
        gw_xml_open(&b, "Bucket");
        gw_xml_str_elem(&b, "Name", bk->name);
        gw_s3_time_fmt(bk->created_ms, t);
        gw_xml_str_elem(&b, "CreationDate", t);
        gw_xml_close(&b, "Bucket");
    }
    gw_xml_close(&b, "Buckets");
    gw_xml_close(&b, "ListAllMyBucketsResult");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

void gw_s3_head_bucket(gw_req_t *r)
{
    gw_req_add_header(r, "x-amz-bucket-region", r->srv->conf.region, strlen(r->srv->conf.region));
    gw_req_send_empty(r, 200);
}

void gw_s3_bucket_location(gw_req_t *r)
{
    cn_buf_t b;
    const char *region = r->srv->conf.region;
    cn_buf_init(&b);
    gw_xml_decl(&b);
    cn_buf_append_str(&b, "<LocationConstraint xmlns=\"" GW_S3_XMLNS "\">");
    if (strcmp(region, "us-east-1") != 0)
        gw_xml_escape(&b, region, strlen(region));
    cn_buf_append_str(&b, "</LocationConstraint>");
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
}

/* ---- CreateBucket -------------------------------------------------------------------- */

/* CreateBucket's answer: 200 with Location: /bucket. */
static void send_created(gw_req_t *r)
{
    char loc[GW_BUCKET_MAX + 3];

    snprintf(loc, sizeof(loc), "/%s", r->route.bucket);
    gw_req_add_header(r, "location", loc, strlen(loc));
    gw_req_send_empty(r, 200);
}

static void on_create_refreshed(int status, void *arg)
{
    gw_req_t *r = arg;
    if (gw_req_rpc_done(r))
        return;
    send_created(r);
}

/* The bucket exists, owned by owner: S3 answers its owner 200 in us-east-1 (the legacy
 * region, where a re-create is a no-op that changes nothing, the ACL included) and 409
 * BucketAlreadyOwnedByYou in any other; anyone else 409 BucketAlreadyExists. */
static void answer_exists(gw_req_t *r, const char *owner)
{
    if (r->requester[0] && owner != NULL && strcmp(owner, r->requester) == 0) {
        if (strcmp(r->srv->conf.region, "us-east-1") == 0)
            send_created(r);
        else
            gw_req_error(r, GW_S3_BUCKET_ALREADY_OWNED_BY_YOU, NULL);
        return;
    }
    gw_req_error(r, GW_S3_BUCKET_ALREADY_EXISTS, NULL);
}

/* x-amz-bucket-object-lock-enabled: true (s3_refuse.c refused other values than false) */
static int lock_asked(const gw_req_t *r)
{
    cn_slice_t h = gw_req_header(r, "x-amz-bucket-object-lock-enabled");

    return h.ptr != NULL && h.len == 4 && strncasecmp(h.ptr, "true", 4) == 0;
}

static void on_bucket_create(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    char owner[128] = "";

    if (gw_req_rpc_done(r))
        goto out;
    if (rc == 0) {
        CN_LOG(CN_LOG_INFO, "bucket %s created by %s", r->route.bucket, r->auth.access_key);
        if (lock_asked(r)) { /* Object Lock: versioning and the lock, then the table */
            gw_lock_bucket_created(r, on_create_refreshed);
            goto out;
        }
        r->http.pending++;
        gw_mgr_refresh_buckets(r->srv, on_create_refreshed, r);
    } else if (rc == CN_EEXIST) {
        cn_msg_get_str(resp, "owner", owner, sizeof(owner));
        answer_exists(r, owner);
    } else if (rc == CN_EINVAL) {
        gw_req_error(r, GW_S3_INVALID_BUCKET_NAME, NULL);
    } else {
        CN_LOG(CN_LOG_WARN, "bucket_create %s: %s", r->route.bucket, cn_strerror(rc));
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
    }
out:
    if (resp)
        cn_msg_free(resp);
}

void gw_s3_create_bucket(gw_req_t *r)
{
    const gw_bucket_t *b;
    cn_slice_t acl = gw_req_header(r, "x-amz-acl");
    char aclbuf[64], loc[128], msg[320];
    gw_s3_err_t e;
    cn_msg_t *m;

    if (r->route.bucket_too_long || !gw_bucket_name_valid(r->route.bucket)) {
        gw_req_error(r, GW_S3_INVALID_BUCKET_NAME, NULL);
        return;
    }
    if (gw_xml_parse_location(r->body.ptr, r->body.len, loc, sizeof(loc)) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    if ((e = gw_refuse_location(loc, r->srv->conf.region, msg, sizeof(msg))) != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    if ((b = gw_mgr_bucket_find(r->srv, r->route.bucket)) != NULL) {
        if (lock_asked(r) && !b->object_lock && r->requester[0] && b->owner != NULL &&
            strcmp(b->owner, r->requester) == 0) { /* never a 200 that did not add the lock */
            gw_req_error(r, GW_S3_BUCKET_ALREADY_OWNED_BY_YOU, NULL);
            return;
        }
        answer_exists(r, b->owner);
        return;
    }
    snprintf(aclbuf, sizeof(aclbuf), "%.*s", acl.ptr ? (int)acl.len : 7,
             acl.ptr ? acl.ptr : "private");
    m = cn_msg_new(CN_OP_BUCKET_CREATE);
    cn_msg_set_str(m, "name", r->route.bucket);
    cn_msg_set_str(m, "owner", r->requester);
    cn_msg_set_str(m, "acl", aclbuf);
    if (r->grants) /* x-amz-grant-*, resolved (s3_grants.h): the bucket's ACL from the start */
        cn_msg_set_str(m, "grants", r->grants);
    r->http.pending++;
    gw_mgr_call(r->srv, m, on_bucket_create, r);
}

/* ---- DeleteBucket -------------------------------------------------------------------- */

static void on_delete_refreshed(int status, void *arg)
{
    gw_req_t *r = arg;
    if (gw_req_rpc_done(r))
        return;
    gw_req_send_empty(r, 204);
}

static void on_bucket_delete(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc;

    if (gw_req_rpc_end(r, status, resp, &rc))
        return;
    if (rc == 0 || rc == CN_ENOENT) {
        if (rc == 0)
            CN_LOG(CN_LOG_INFO, "bucket %s deleted", r->route.bucket);
        r->http.pending++;
        gw_mgr_refresh_buckets(r->srv, rc == 0 ? on_delete_refreshed : on_delete_refreshed, r);
        return;
    }
    gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
}

static void on_delete_list(int status, gw_list_out_t *out, void *arg)
{
    gw_req_t *r = arg;
    size_t n = out ? out->n : 0;
    cn_buf_t after;
    cn_msg_t *m;

    /* a page may hold only tombstones (listings carry them): then it is truncated and the
     * bucket is empty only if the rest is too, so list on after the last entry consumed */
    cn_buf_init(&after);
    if (out && n == 0 && out->truncated && out->resume)
        cn_buf_append(&after, out->resume->key.ptr, out->resume->key.len);
    gw_list_out_free(out);
    if (gw_req_rpc_done(r)) {
        cn_buf_dispose(&after);
        return;
    }
    if (status != 0) {
        cn_buf_dispose(&after);
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return;
    }
    if (n > 0) {
        cn_buf_dispose(&after);
        gw_req_error(r, GW_S3_BUCKET_NOT_EMPTY, NULL);
        return;
    }
    if (after.len > 0) {
        char prefix[GW_BUCKET_MAX + 3];
        int plen = snprintf(prefix, sizeof(prefix), "%s/", r->route.bucket);
        r->http.pending++;
        if (gw_stor_list(r->srv, prefix, (size_t)plen, after.data, after.len, 1000, NULL,
                         on_delete_list, r) != 0) {
            r->http.pending--;
            gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
        }
        cn_buf_dispose(&after);
        return;
    }
    cn_buf_dispose(&after);
    m = cn_msg_new(CN_OP_BUCKET_DELETE);
    cn_msg_set_str(m, "name", r->route.bucket);
    r->http.pending++;
    gw_mgr_call(r->srv, m, on_bucket_delete, r);
}

void gw_s3_delete_bucket(gw_req_t *r)
{
    char prefix[GW_BUCKET_MAX + 3];
    int n = snprintf(prefix, sizeof(prefix), "%s/", r->route.bucket);

    r->http.pending++;
    if (gw_stor_list(r->srv, prefix, (size_t)n, NULL, 0, 1, NULL, on_delete_list, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

/* ---- ListObjects v1 and v2 ----------------------------------------------------------- */

struct list_op {
    int v2, url, fetch_owner;
    cn_buf_t prefix, delim, marker, token, start_after;
    uint32_t max_keys;
    /* a bucket with versioning (s3_version.h): each object's current version */
    int versioned;
    gw_list_out_t *out;         /* the page, while its open tail is looked up */
    cn_buf_t tail_key, tail_meta; /* that tail's latest version */
    cn_list_entry_t tail;
};

static void list_op_free(gw_req_t *r)
{
    struct list_op *o = r->op;
    cn_buf_dispose(&o->prefix);
    cn_buf_dispose(&o->delim);
    cn_buf_dispose(&o->marker);
    cn_buf_dispose(&o->token);
    cn_buf_dispose(&o->start_after);
    cn_buf_dispose(&o->tail_key);
    cn_buf_dispose(&o->tail_meta);
    gw_list_out_free(o->out);
    cn_free(o);
    r->op = NULL;
}

static void elem(cn_buf_t *b, const struct list_op *o, const char *tag, const char *s, size_t n)
{
    gw_xml_key_elem(b, o->url, tag, s, n);
}

/* 1 when the listing shows each key's Owner: always in v1, with fetch-owner in v2 (S3) */
static int shows_owner(const struct list_op *o)
{
    return !o->v2 || o->fetch_owner;
}

/* A key's owner, as its metadata names it (the listing picked GW_META_OWNER) */
static void owner_elem(gw_req_t *r, cn_buf_t *b, const cn_list_entry_t *e)
{
    char owner[72];

    gw_req_listed_owner(r, e, owner);
    gw_owner_xml(r, b, "Owner", owner);
}

/* The page's next start: after the last entry consumed; in a bucket with versioning after
 * every version of its object ("\0\xff" sorts after each "\0ID"), whose current version the
 * page listed. */
static void next_start(const struct list_op *o, const cn_list_entry_t *last, cn_buf_t *out)
{
    cn_buf_reset(out);
    if (!o->versioned) {
        cn_buf_append(out, last->key.ptr, last->key.len);
        return;
    }
    cn_buf_append(out, last->key.ptr, cn_ver_base_len(last->key));
    cn_buf_append(out, "\0\xff", 2);
}

static void list_reply(gw_req_t *r, gw_list_out_t *out);

static void on_list_tail(gw_req_t *r, int status, const gw_ver_pick_t *pick)
{
    struct list_op *o = r->op;
    gw_list_out_t *out = o->out;

    o->out = NULL;
    if (status != 0) {
        gw_list_out_free(out);
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return;
    }
    if (pick->found && !(pick->flags & CN_OBJ_DELETE_MARKER)) {
        cn_buf_reset(&o->tail_key);
        cn_buf_append(&o->tail_key, pick->key.data, pick->key.len);
        cn_buf_reset(&o->tail_meta);
        cn_buf_append(&o->tail_meta, pick->meta.data, pick->meta.len);
        o->tail = pick->e;
        o->tail.key = cn_slice(o->tail_key.data, o->tail_key.len);
        o->tail.meta = cn_slice(o->tail_meta.data, o->tail_meta.len);
        out->ents = cn_realloc(out->ents, (out->n + 1) * sizeof(*out->ents));
        out->ents[out->n++] = &o->tail;
    }
    list_reply(r, out);
}

static void on_list(int status, gw_list_out_t *out, void *arg)
{
    gw_req_t *r = arg;
    struct list_op *o;
    int open = 0;

    if (gw_req_rpc_done(r)) {
        gw_list_out_free(out);
        return;
    }
    o = r->op;
    if (status != 0) {
        gw_list_out_free(out);
        gw_req_error(r, gw_s3_err_from_rc(status), NULL);
        return;
    }
    if (o->versioned) {
        cn_slice_t tail = out->truncated && out->resume ? out->resume->key : cn_slice("", 0);
        out->n = cn_ver_current(out->ents, out->n, tail, &open);
        if (open) {
            o->out = out;
            gw_ver_find_latest(r, tail.ptr, tail.len, on_list_tail);
            return;
        }
    }
    list_reply(r, out);
}

static void list_reply(gw_req_t *r, gw_list_out_t *out)
{
    struct list_op *o = r->op;
    size_t blen = strlen(r->route.bucket) + 1;
    const cn_list_entry_t *last = NULL;
    size_t nkeys = 0;
    char t[GW_S3_TIME_LEN];
    cn_buf_t b, next;

    cn_buf_init(&b);
    cn_buf_init(&next);
    gw_xml_decl(&b);
    gw_xml_open_ns(&b, "ListBucketResult", GW_S3_XMLNS);
    gw_xml_str_elem(&b, "Name", r->route.bucket);
    elem(&b, o, "Prefix", o->prefix.data ? o->prefix.data : "", o->prefix.len);
    if (o->v2) {
        if (o->start_after.len)
            elem(&b, o, "StartAfter", o->start_after.data, o->start_after.len);
        if (o->token.len)
            gw_xml_text_elem(&b, "ContinuationToken", o->token.data, o->token.len);
    } else {
        elem(&b, o, "Marker", o->marker.data ? o->marker.data : "", o->marker.len);
    }
    for (size_t i = 0; i < out->n; i++)
        if (out->ents[i]->key.len >= blen)
            nkeys++;
    if (o->v2)
        gw_xml_u64_elem(&b, "KeyCount", nkeys);
    gw_xml_u64_elem(&b, "MaxKeys", o->max_keys);
    if (o->delim.len)
        elem(&b, o, "Delimiter", o->delim.data, o->delim.len);
    if (o->url)
        gw_xml_str_elem(&b, "EncodingType", "url");
    gw_xml_bool_elem(&b, "IsTruncated", out->truncated);
    last = out->resume;
    if (out->truncated && last) {
        next_start(o, last, &next);
        if (o->v2) {
            char *hex = cn_malloc(2 * next.len + 1);
            cn_hex(next.data, next.len, hex);
            gw_xml_str_elem(&b, "NextContinuationToken", hex);
            cn_free(hex);
        } else if (last->key.len >= blen) {
            /* S3 sends NextMarker only with a delimiter; we always do, since a page of
             * deleted keys has no last Key for the client to continue from */
            elem(&b, o, "NextMarker", last->key.ptr + blen, cn_ver_base_len(last->key) - blen);
        }
    }
    for (size_t i = 0; i < out->n; i++) {
        const cn_list_entry_t *e = out->ents[i];
        char etag[80];
        if (e->key.len < blen || (e->flags & CN_LIST_PREFIX))
            continue;
        gw_xml_open(&b, "Contents");
        elem(&b, o, "Key", e->key.ptr + blen, cn_ver_base_len(e->key) - blen);
        gw_s3_time_fmt(e->mtime_ms, t);
        gw_xml_str_elem(&b, "LastModified", t);
        snprintf(etag, sizeof(etag), "\"%s\"", e->etag);
        gw_xml_str_elem(&b, "ETag", etag);
        gw_xml_u64_elem(&b, "Size", e->size);
        if (shows_owner(o))
            owner_elem(r, &b, e);
        gw_xml_str_elem(&b, "StorageClass", "STANDARD");
        gw_xml_close(&b, "Contents");
    }
    for (size_t i = 0; i < out->n; i++) {
        const cn_list_entry_t *e = out->ents[i];
        if (e->key.len < blen || !(e->flags & CN_LIST_PREFIX))
            continue;
        gw_xml_open(&b, "CommonPrefixes");
        elem(&b, o, "Prefix", e->key.ptr + blen, e->key.len - blen);
        gw_xml_close(&b, "CommonPrefixes");
    }
    gw_xml_close(&b, "ListBucketResult");
    gw_list_out_free(out);
    gw_req_send_xml(r, 200, &b);
    cn_buf_dispose(&b);
    cn_buf_dispose(&next);
}

static void list_objects(gw_req_t *r, int v2)
{
    h2o_req_t *req = r->http.req;
    size_t qat = req->query_at;
    const char *q = qat != SIZE_MAX ? req->path.base + qat + 1 : NULL;
    size_t qlen = qat != SIZE_MAX ? req->path.len - qat - 1 : 0;
    struct list_op *o = cn_calloc(1, sizeof(*o));
    cn_buf_t v, full, after;
    int rc;

    r->op = o;
    r->op_free = list_op_free;
    o->v2 = v2;
    o->max_keys = 1000;
    o->versioned = gw_ver_bucket_state(r) != GW_VER_OFF;
    cn_buf_init(&o->tail_key);
    cn_buf_init(&o->tail_meta);
    cn_buf_init(&v);
    cn_buf_init(&full);
    cn_buf_init(&after);
    if (gw_query_get(q, qlen, "prefix", &o->prefix) < 0 ||
        gw_query_get(q, qlen, "delimiter", &o->delim) < 0 ||
        gw_query_get(q, qlen, "marker", &o->marker) < 0 ||
        gw_query_get(q, qlen, "continuation-token", &o->token) < 0 ||
        gw_query_get(q, qlen, "start-after", &o->start_after) < 0)
        goto bad_arg;
    if ((rc = gw_query_get(q, qlen, "encoding-type", &v)) == 1) {
        if (strcmp(v.data, "url") != 0)
            goto bad_arg;
        o->url = 1;
    }
    if (gw_query_get(q, qlen, "fetch-owner", &v) == 1 && strcmp(v.data, "true") == 0)
        o->fetch_owner = 1;
    if ((rc = gw_query_get(q, qlen, "max-keys", &v)) == 1) {
        char *end;
        long long mk = strtoll(v.data, &end, 10);
        if (!v.len || *end || mk < 0)
            goto bad_arg;
        o->max_keys = mk > 1000 ? 1000 : (uint32_t)mk;
    } else if (rc < 0) {
        goto bad_arg;
    }
    /* where to start, as a full index key */
    if (v2 && o->token.len) {
        if (o->token.len % 2)
            goto bad_arg;
        char *raw = cn_malloc(o->token.len / 2 + 1);
        if (cn_unhex(o->token.data, o->token.len / 2, (uint8_t *)raw) != 0) {
            cn_free(raw);
            goto bad_arg;
        }
        cn_buf_append(&after, raw, o->token.len / 2);
        cn_free(raw);
    } else {
        const cn_buf_t *m = v2 ? &o->start_after : &o->marker;
        if (m->len) {
            cn_buf_append_str(&after, r->route.bucket);
            cn_buf_append(&after, "/", 1);
            cn_buf_append(&after, m->data, m->len);
            /* a marker inside a rolled-up common prefix: skip the whole prefix */
            if (o->delim.len && m->len > o->prefix.len &&
                memcmp(m->data, o->prefix.data ? o->prefix.data : "", o->prefix.len) == 0) {
                const char *rest = m->data + o->prefix.len;
                const char *d = memmem(rest, m->len - o->prefix.len, o->delim.data, o->delim.len);
                if (d) {
                    size_t keep = strlen(r->route.bucket) + 1 + (size_t)(d - m->data) + o->delim.len;
                    after.len = keep;
                    cn_buf_append(&after, "\xff\xff\xff\xff", 4);
                }
            }
            if (o->versioned && after.len == strlen(r->route.bucket) + 1 + m->len)
                cn_buf_append(&after, "\0\xff", 2); /* after every version of the marker */
        }
    }
    if (o->max_keys == 0) {
        gw_list_out_t empty = {0};
        gw_list_out_t *e = cn_calloc(1, sizeof(*e));
        *e = empty;
        r->http.pending++;
        on_list(0, e, r);
        goto out;
    }
    cn_buf_append_str(&full, r->route.bucket);
    cn_buf_append(&full, "/", 1);
    if (o->prefix.len)
        cn_buf_append(&full, o->prefix.data, o->prefix.len);
    r->http.pending++;
    if (gw_stor_list_pick(r->srv, full.data, full.len, after.data, after.len, o->max_keys,
                          o->delim.len ? o->delim.data : NULL,
                          shows_owner(o) ? GW_META_OWNER : NULL, on_list, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
    goto out;
bad_arg:
    gw_req_error(r, GW_S3_INVALID_ARGUMENT, NULL);
out:
    cn_buf_dispose(&v);
    cn_buf_dispose(&full);
    cn_buf_dispose(&after);
}

void gw_s3_list_objects_v1(gw_req_t *r)
{
    list_objects(r, 0);
}

void gw_s3_list_objects_v2(gw_req_t *r)
{
    list_objects(r, 1);
}
