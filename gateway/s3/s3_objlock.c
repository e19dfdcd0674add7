/*
 * gateway/s3/s3_objlock.c: S3 Object Lock in the gateway (see s3_objlock.h; issue 18).
 *
 * Where it lives: a bucket's lock is its manager configuration "object_lock"
 * ({"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode", "Days"|"Years"}}},
 * lock_doc.h), set when the bucket is created with x-amz-bucket-object-lock-enabled (with
 * versioning Enabled) and never removed; the manager refuses its deletion and versioning
 * Suspended. A version's lock is three internal pairs of its own metadata (common/objlock.h),
 * written with the version (PutObject, CopyObject, CompleteMultipartUpload) or rewritten on
 * it like its tags (Put*Retention, Put*LegalHold: gw_obj_put_again, same ETag, clock + 1).
 *
 * Who decides: the storage node coordinating a write asks cn_lock_allows before it applies a
 * put or a delete over a locked version, so every writer is held. The gateway asks the same
 * function first, to answer S3's AccessDenied without a round trip, and decides whether the
 * requester may bypass GOVERNANCE (the bucket owner; others through the bucket policy's
 * s3:BypassGovernanceRetention); a write that bypasses says so to storage ("lock_bypass").
 */
#include "gateway/s3/s3_objlock.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "gateway/auth/policy.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_object.h"
#include "gateway/s3/s3_tagging.h"
#include "gateway/s3/s3_version.h"
#include "gateway/s3/s3_xml.h"

#define CONF_OBJECT_LOCK "object_lock"
/* an upload marker's copy of its request's lock headers (applied at Complete) */
#define MPU_LOCK_MODE ":mpu-lock-mode"
#define MPU_LOCK_UNTIL ":mpu-lock-until"
#define MPU_LOCK_HOLD ":mpu-legal-hold"

static const char missing_msg[] = "Bucket is missing Object Lock Configuration";

static const gw_bucket_t *bucket_of(const gw_req_t *r)
{
    return gw_mgr_bucket_find(r->srv, r->route.bucket);
}

/* 1 when r's bucket has Object Lock; else answers 400 InvalidRequest (0). */
static int bucket_locked(gw_req_t *r)
{
    const gw_bucket_t *b = bucket_of(r);

    if (b != NULL && b->object_lock)
        return 1;
    gw_req_error(r, GW_S3_INVALID_REQUEST, missing_msg);
    return 0;
}

/* S3 wants a digest of these bodies (Content-MD5, or an x-amz-checksum-* the gateway
 * verified): 1 when r has one, else answers 400 InvalidRequest (0). */
static int body_digest(gw_req_t *r)
{
    if (gw_req_header(r, "content-md5").ptr != NULL || r->checksum_name[0])
        return 1;
    gw_req_error(r, GW_S3_INVALID_REQUEST,
                 "Missing required header for this request: Content-MD5");
    return 0;
}

/* ---- a bucket's configuration --------------------------------------------------------- */

void gw_s3_put_object_lock_config(gw_req_t *r)
{
    const gw_bucket_t *b = bucket_of(r);
    gw_lock_conf_t c;
    const char *msg;
    gw_s3_err_t e;
    cn_buf_t j;

    if (!gw_bucket_conf_owner_only(r) || !body_digest(r))
        return;
    e = gw_lock_conf_parse(r->body.ptr ? r->body.ptr : "", r->body.len, &c, &msg);
    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    if (b == NULL || !b->object_lock) { /* S3: only a bucket created with it */
        gw_req_error(r, GW_S3_INVALID_BUCKET_STATE,
                     "Object Lock configuration cannot be enabled on existing buckets");
        return;
    }
    cn_buf_init(&j);
    gw_lock_conf_encode(&c, &j);
    gw_bucket_conf_set(r, r->requester, CONF_OBJECT_LOCK, j.data, 200);
    cn_buf_dispose(&j);
}

void gw_s3_get_object_lock_config(gw_req_t *r)
{
    const gw_bucket_t *b = bucket_of(r);
    cn_buf_t x;

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (b == NULL || !b->object_lock) {
        gw_req_error(r, GW_S3_NO_OBJECT_LOCK_CONFIG, NULL);
        return;
    }
    cn_buf_init(&x);
    gw_lock_conf_xml(&b->lock, &x);
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

/* ---- CreateBucket with Object Lock: versioning Enabled, then the lock ------------------ */

#define LOCK_CREATE_MAGIC 0x67776c63u /* "gwlc" */

struct lock_create {
    uint32_t magic;
    gw_req_t *r;
    int step; /* 0: versioning sent, 1: object_lock sent */
    void (*done)(int status, void *arg);
};

static void send_conf(struct lock_create *c, const char *config, const char *value);

static void on_create_step(int status, cn_msg_t *resp, void *arg)
{
    struct lock_create *c = arg;
    gw_req_t *r = c->r;
    void (*done)(int, void *) = c->done;
    int rc;

    CN_CHECK_OBJ(c, LOCK_CREATE_MAGIC);
    if (gw_req_rpc_end(r, status, resp, &rc)) {
        c->magic = 0;
        cn_free(c);
        return;
    }
    if (rc != 0) {
        CN_LOG(CN_LOG_ERROR, "req=%s bucket=%s: created, but its object lock was not set "
               "(step %d): %s", r->reqid, r->route.bucket, c->step, cn_strerror(rc));
        c->magic = 0;
        cn_free(c);
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL);
        return;
    }
    if (c->step++ == 0) {
        send_conf(c, CONF_OBJECT_LOCK, "{\"ObjectLockEnabled\":\"Enabled\"}");
        return;
    }
    c->magic = 0;
    cn_free(c);
    r->http.pending++;
    gw_mgr_refresh_buckets(r->srv, done, r);
}

static void send_conf(struct lock_create *c, const char *config, const char *value)
{
    cn_msg_t *m = cn_msg_new(CN_OP_BUCKET_SET_CONFIG);

    cn_msg_set_str(m, "name", c->r->route.bucket);
    cn_msg_set_str(m, "owner", c->r->requester);
    cn_msg_set_str(m, "config", config);
    cn_msg_set_bytes(m, "value", value, strlen(value));
    c->r->http.pending++;
    gw_mgr_call(c->r->srv, m, on_create_step, c);
}

void gw_lock_bucket_created(gw_req_t *r, void (*done)(int status, void *arg))
{
    struct lock_create *c = cn_calloc(1, sizeof(*c));

    c->magic = LOCK_CREATE_MAGIC;
    c->r = r;
    c->done = done;
    send_conf(c, "versioning", "{\"Status\":\"Enabled\"}");
}

/* ---- the lock of a new version ---------------------------------------------------------- */

gw_s3_err_t gw_req_read_lock(gw_req_t *r, const char **msg)
{
    gw_op_t op = r->route.op;
    const gw_bucket_t *b;
    gw_s3_err_t e;

    *msg = NULL;
    if (op != GW_OP_PUT_OBJECT && op != GW_OP_CREATE_MULTIPART)
        return GW_S3_OK;
    e = gw_lock_headers_parse(gw_req_header(r, "x-amz-object-lock-mode"),
                              gw_req_header(r, "x-amz-object-lock-retain-until-date"),
                              gw_req_header(r, "x-amz-object-lock-legal-hold"), cn_now_ms(),
                              &r->lock, msg);
    if (e != GW_S3_OK || (!r->lock.retention && !r->lock.hold))
        return e;
    b = bucket_of(r);
    if (b != NULL && !b->object_lock) { /* a missing bucket: NoSuchBucket, later */
        *msg = missing_msg;
        return GW_S3_INVALID_REQUEST;
    }
    return GW_S3_OK;
}

/* The lock a version written now by r gets: r's headers, else the bucket's default. */
static void new_lock(const gw_req_t *r, cn_lock_t *l)
{
    const gw_bucket_t *b = bucket_of(r);

    *l = r->lock.lock;
    if (!r->lock.retention && b != NULL && b->object_lock && b->lock.mode != CN_LOCK_NONE) {
        l->mode = b->lock.mode;
        l->until_ms = gw_lock_conf_until(&b->lock, cn_now_ms());
    }
}

void gw_lock_meta_new(gw_req_t *r, gw_meta_t *meta)
{
    cn_lock_t l;
    char v[24];

    if (r->route.op != GW_OP_CREATE_MULTIPART) {
        new_lock(r, &l);
        gw_lock_meta_add(meta, &l, r->lock.hold);
        return;
    }
    if (r->lock.retention) {
        const char *mode = cn_lock_mode_name(r->lock.lock.mode);

        snprintf(v, sizeof(v), "%" PRIu64, r->lock.lock.until_ms);
        gw_meta_add(meta, MPU_LOCK_MODE, strlen(MPU_LOCK_MODE), mode, strlen(mode));
        gw_meta_add(meta, MPU_LOCK_UNTIL, strlen(MPU_LOCK_UNTIL), v, strlen(v));
    }
    if (r->lock.hold)
        gw_meta_add(meta, MPU_LOCK_HOLD, strlen(MPU_LOCK_HOLD),
                    r->lock.lock.legal_hold ? "ON" : "OFF", r->lock.lock.legal_hold ? 2 : 3);
}

/* Sets the lock pairs of *meta to l's, the legal hold's to hold ("ON", "OFF", NULL: none). */
static void meta_set_lock(gw_req_t *r, cn_buf_t *meta, const cn_lock_t *l, const char *hold)
{
    if (gw_lock_meta_set_retention(meta, l->mode, l->until_ms) != 0) {
        CN_LOG(CN_LOG_ERROR, "req=%s %s: unreadable metadata: no lock set on it", r->reqid,
               r->resource);
        return;
    }
    gw_meta_set(meta, CN_LOCK_META_HOLD, hold); /* decoded just above */
}

void gw_lock_meta_complete(gw_req_t *r, cn_buf_t *meta)
{
    cn_buf_t mode, until, hold;
    cn_lock_t l;
    int ok = 0;

    cn_buf_init(&mode);
    cn_buf_init(&until);
    cn_buf_init(&hold);
    new_lock(r, &l); /* the bucket's default, unless the upload named a retention */
    if (gw_meta_find(meta->data ? meta->data : "", meta->len, MPU_LOCK_MODE, &mode) == 1 &&
        gw_meta_find(meta->data, meta->len, MPU_LOCK_UNTIL, &until) == 1) {
        l.mode = cn_lock_mode_parse(mode.data, mode.len, &ok);
        l.until_ms = strtoull(until.data, NULL, 10);
        if (!ok) /* what cannot be read is kept the strongest way (objlock.h) */
            l = (cn_lock_t){CN_LOCK_COMPLIANCE, UINT64_MAX, 1};
    }
    if (gw_meta_find(meta->data ? meta->data : "", meta->len, MPU_LOCK_HOLD, &hold) != 1)
        cn_buf_reset(&hold);
    gw_meta_set(meta, MPU_LOCK_MODE, NULL);
    gw_meta_set(meta, MPU_LOCK_UNTIL, NULL);
    gw_meta_set(meta, MPU_LOCK_HOLD, NULL);
    meta_set_lock(r, meta, &l, l.legal_hold ? "ON" : hold.len ? hold.data : NULL);
    cn_buf_dispose(&mode);
    cn_buf_dispose(&until);
    cn_buf_dispose(&hold);
}

void gw_lock_meta_copy(gw_req_t *r, cn_buf_t *meta)
{
    cn_lock_t l;

    new_lock(r, &l);
    meta_set_lock(r, meta, &l, r->lock.hold ? (l.legal_hold ? "ON" : "OFF") : NULL);
}

int gw_lock_header(gw_req_t *r, const char *name, const char *value)
{
    char t[GW_S3_TIME_LEN];

    if (strcmp(name, CN_LOCK_META_MODE) == 0) {
        gw_req_add_header(r, "x-amz-object-lock-mode", value, strlen(value));
    } else if (strcmp(name, CN_LOCK_META_UNTIL) == 0) {
        gw_s3_time_fmt(strtoull(value, NULL, 10), t);
        gw_req_add_header(r, "x-amz-object-lock-retain-until-date", t, strlen(t));
    } else if (strcmp(name, CN_LOCK_META_HOLD) == 0) {
        gw_req_add_header(r, "x-amz-object-lock-legal-hold", value, strlen(value));
    } else {
        return 0;
    }
    return 1;
}

/* ---- bypass, deletes -------------------------------------------------------------------- */

int gw_lock_bypass(gw_req_t *r, const char *key, size_t key_len)
{
    cn_slice_t h = gw_req_header(r, "x-amz-bypass-governance-retention");

    if (h.ptr == NULL || h.len != 4 || strncasecmp(h.ptr, "true", 4) != 0)
        return 0;
    return gw_req_bypass_allowed(r, key, key_len); /* who may: access_req.c */
}

gw_s3_err_t gw_lock_may_delete(gw_req_t *r, cn_slice_t meta, const char *key, size_t key_len,
                               int *bypass)
{
    cn_lock_t cur;
    uint64_t now = cn_now_ms();

    *bypass = 0;
    cn_lock_from_meta(meta.ptr ? meta.ptr : "", meta.len, &cur); /* unreadable: strongest */
    if (!cn_lock_active(&cur, now))
        return GW_S3_OK;
    *bypass = gw_lock_bypass(r, key, key_len);
    return cn_lock_allows(&cur, NULL, 0, *bypass, now) == 0 ? GW_S3_OK : GW_S3_ACCESS_DENIED;
}

/* ---- an object's retention and legal hold ------------------------------------------------ */

static void on_get_lock(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int hold = r->route.op == GW_OP_GET_OBJECT_LEGAL_HOLD;
    cn_slice_t meta;
    cn_buf_t v, x;
    cn_lock_t l;
    int found;

    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_target_allowed(r, status ? status : cn_msg_rc(resp), resp, &meta) != 0)
        return;
    cn_buf_init(&v);
    cn_buf_init(&x);
    found = gw_meta_find(meta.ptr ? meta.ptr : "", meta.len,
                         hold ? CN_LOCK_META_HOLD : CN_LOCK_META_MODE, &v);
    if (found < 0 || cn_lock_from_meta(meta.ptr ? meta.ptr : "", meta.len, &l) != 0) {
        CN_LOG(CN_LOG_ERROR, "req=%s %s: unreadable object metadata", r->reqid, r->resource);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
    } else if (found == 0) {
        gw_req_error(r, GW_S3_NO_SUCH_OBJECT_LOCK, NULL);
    } else {
        if (hold)
            gw_lock_hold_xml(l.legal_hold, &x);
        else
            gw_lock_retention_xml(&l, &x);
        gw_ver_add_headers(r, ((gw_obj_op_t *)r->op)->vid, 0);
        gw_req_send_xml(r, 200, &x);
    }
    cn_buf_dispose(&v);
    cn_buf_dispose(&x);
    cn_msg_free(resp);
}

static void read_head(gw_req_t *r)
{
    gw_obj_read_send(r, CN_OP_HEAD, on_get_lock);
}

void gw_s3_get_object_retention(gw_req_t *r)
{
    if (bucket_locked(r))
        gw_obj_target(r, read_head);
}

void gw_s3_get_object_legal_hold(gw_req_t *r)
{
    if (bucket_locked(r))
        gw_obj_target(r, read_head);
}

/* The whole record is read: put it again with the retention or legal hold of r->lock, if
 * cn_lock_allows lets it. */
static void on_lock_record(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int hold = r->route.op == GW_OP_PUT_OBJECT_LEGAL_HOLD;
    gw_obj_op_t *o;
    cn_slice_t meta;
    cn_lock_t cur, next;
    uint64_t now = cn_now_ms();
    int bypass, rc;

    if (gw_req_rpc_gone(r, resp))
        return;
    if (gw_obj_target_allowed(r, status ? status : cn_msg_rc(resp), resp, &meta) != 0)
        return;
    o = r->op;
    rc = cn_lock_from_meta(meta.ptr ? meta.ptr : "", meta.len, &cur);
    next = cur;
    if (hold) {
        next.legal_hold = r->lock.lock.legal_hold;
    } else {
        next.mode = r->lock.lock.mode;
        next.until_ms = r->lock.lock.until_ms;
    }
    bypass = gw_lock_bypass(r, r->route.key, r->route.key_len);
    if (rc != 0 || cn_lock_allows(&cur, &next, 1, bypass, now) != 0) {
        cn_msg_free(resp);
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
        return;
    }
    r->lock_bypass = bypass && !hold;
    cn_buf_reset(&o->meta);
    cn_buf_append(&o->meta, meta.ptr ? meta.ptr : "", meta.len);
    if (hold)
        rc = gw_meta_set(&o->meta, CN_LOCK_META_HOLD, next.legal_hold ? "ON" : "OFF");
    else
        rc = gw_lock_meta_set_retention(&o->meta, next.mode, next.until_ms);
    if (rc != 0) {
        CN_LOG(CN_LOG_ERROR, "req=%s %s: unreadable object metadata", r->reqid, r->resource);
        cn_msg_free(resp);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    gw_obj_put_again(r, resp, &o->meta, 200);
}

static void read_record(gw_req_t *r)
{
    gw_obj_read_send(r, CN_OP_GET, on_lock_record);
}

void gw_s3_put_object_retention(gw_req_t *r)
{
    const char *msg;
    gw_s3_err_t e;

    if (!bucket_locked(r) || !body_digest(r))
        return;
    e = gw_lock_retention_parse(r->body.ptr ? r->body.ptr : "", r->body.len, cn_now_ms(),
                                &r->lock.lock.mode, &r->lock.lock.until_ms, &msg);
    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    gw_obj_target(r, read_record);
}

void gw_s3_put_object_legal_hold(gw_req_t *r)
{
    gw_s3_err_t e;

    if (!bucket_locked(r) || !body_digest(r))
        return;
    e = gw_lock_hold_parse(r->body.ptr ? r->body.ptr : "", r->body.len,
                           &r->lock.lock.legal_hold);
    if (e != GW_S3_OK) {
        gw_req_error(r, e, NULL);
        return;
    }
    gw_obj_target(r, read_record);
}
