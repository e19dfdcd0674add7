/*
 * gateway/s3/s3_acl.c: Get/PutBucketAcl and Get/PutObjectAcl (issue 15: grants, complete). An
 * ACL is a canned name or a grant list (common/acl.h): from x-amz-acl, the x-amz-grant-*
 * headers or an AccessControlPolicy body, resolved by s3_grants.c. A bucket's ACL lives in
 * the manager's bucket table (the manager RPC op "bucket_set_acl", with "grants" for a
 * list); an object's is the internal metadata pair GW_META_ACL or GW_META_GRANTS, rewritten
 * by putting the record again with its own body. What the ACLs allow is decided by
 * gateway/auth/access.c: the bucket's permissions before dispatch (http.c), an object's here
 * and in s3_object.c once its metadata is read (gw_obj_allows).
 */
#include "gateway/s3/s3_version.h"
#include "gateway/s3/chunk.h"

#include <string.h>

#include "common/acl.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"
#include "gateway/auth/access_req.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/s3_acl.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_grants.h"
#include "gateway/s3/s3_tagging.h"
#include "gateway/link/stor_link.h"
#include "gateway/gateway.h"

int gw_acl_canned_valid(const char *acl)
{
    return cn_acl_canned_known(acl);
}

void gw_owner_xml(gw_req_t *r, cn_buf_t *b, const char *tag, const char *id)
{
    const gw_user_t *u = gw_mgr_user_by_id(r->srv, id);

    gw_xml_open(b, tag);
    gw_xml_str_elem(b, "ID", id);
    gw_xml_str_elem(b, "DisplayName", u ? u->user : "");
    gw_xml_close(b, tag);
}

/* The ACL a Put*Acl asks for: the canned acl (x-amz-acl), or a grant list into grants (the
 * x-amz-grant-* headers or the body; then *owner_claim is the body's Owner ID, "" none).
 * Returns 0, or answers and returns -1. */
static int wanted_acl(gw_req_t *r, char acl[32], cn_buf_t *grants, char owner_claim[72])
{
    const char *msg = NULL;
    gw_s3_err_t e;

    acl[0] = owner_claim[0] = '\0';
    if (r->acl[0] || r->grants) {
        if (r->body.len) {
            gw_req_error(r, GW_S3_INVALID_REQUEST, r->acl[0]
                             ? "Specifying both Canned ACLs and an ACL body is not allowed"
                             : "Specifying both Header Grants and an ACL body is not allowed");
            return -1;
        }
        if (r->grants)
            cn_buf_append_str(grants, r->grants);
        else
            memcpy(acl, r->acl, sizeof(r->acl));
        return 0; /* checked against the bucket's settings with its access */
    }
    if (r->body.len == 0) {
        gw_req_error(r, GW_S3_MALFORMED_ACL, NULL);
        return -1;
    }
    if ((e = gw_grants_from_body(r, grants, owner_claim, &msg)) != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return -1;
    }
    if (grants->len == 0)
        strcpy(acl, "private"); /* an empty list: the owner's implicit control alone */
    /* a body's ACL meets the bucket's settings as the headers did (gw_req_check_access) */
    if ((e = gw_req_acl_allowed(r, acl, grants->data)) != GW_S3_OK) {
        gw_req_error(r, e, NULL);
        return -1;
    }
    return 0;
}

/* 1 when a body's Owner (claim, "" none) names the real owner; else answers AccessDenied: an
 * ACL cannot give a resource away. */
static int owner_claim_ok(gw_req_t *r, const char *claim, const char *owner)
{
    if (claim[0] == '\0' || strcmp(claim, owner) == 0)
        return 1;
    gw_req_error(r, GW_S3_ACCESS_DENIED, "The Owner of an ACL must be the resource's owner");
    return 0;
}

/* ---- bucket ---------------------------------------------------------------------------- */

void gw_s3_get_bucket_acl(gw_req_t *r)
{
    gw_acl_send_policy(r, r->bucket_owner, r->bucket_acl[0] ? r->bucket_acl : "private",
                       r->bucket_grants, NULL);
}

void gw_s3_put_bucket_acl(gw_req_t *r)
{
    char acl[32], claim[72];
    cn_buf_t grants;
    cn_msg_t *m;

    cn_buf_init(&grants);
    if (wanted_acl(r, acl, &grants, claim) != 0 || !owner_claim_ok(r, claim, r->bucket_owner)) {
        cn_buf_dispose(&grants);
        return;
    }
    /* bucket_set_acl (docs/PROTOCOL.md): refused (CN_EPERM) if another owns the bucket by
     * then */
    m = cn_msg_new(CN_OP_BUCKET_SET_ACL);
    cn_msg_set_str(m, "name", r->route.bucket);
    cn_msg_set_str(m, "acl", acl[0] ? acl : "private");
    if (grants.len)
        cn_msg_set_str(m, "grants", grants.data);
    cn_buf_dispose(&grants);
    /* WRITE_ACP was decided here (it may be another user's grant); the manager checks that
     * the owner is still the one this decision saw */
    cn_msg_set_str(m, "owner", r->bucket_owner);
    gw_bucket_conf_send(r, m, 200);
}

/* ---- object ---------------------------------------------------------------------------- */

static gw_obj_op_t *object_op(gw_req_t *r)
{
    char k[GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1];
    int n = snprintf(k, sizeof(k), "%s/", r->route.bucket);
    memcpy(k + n, r->route.key, r->route.key_len);
    return gw_obj_op_new(r, k, (size_t)n + r->route.key_len);
}

static void on_object_acl_head(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    gw_acl_subject_t bk = gw_req_bucket(r);
    gw_obj_access_t oa;
    cn_slice_t meta = {0};
    uint64_t flags = 0;
    int allowed = 0;

    if (rc == 0) {
        cn_msg_get_bytes(resp, "meta", &meta);
        cn_msg_get_u64(resp, "flags", &flags);
        allowed = gw_obj_allows(r, &bk, meta, GW_PERM_OBJECT_READ_ACP, &oa);
    }
    if (resp)
        cn_msg_free(resp);
    if (gw_req_rpc_done(r))
        return;
    if (rc != 0)
        gw_req_error(r, rc == CN_ENOENT ? gw_obj_version_missing(r, &bk) : gw_s3_err_from_rc(rc), NULL);
    else if (!allowed)
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
    else if (flags & CN_OBJ_DELETE_MARKER)
        gw_obj_refuse_marker(r);
    else
        gw_acl_send_policy(r, oa.owner, oa.acl, oa.grants, r->bucket_owner);
}

static void get_object_acl(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m = cn_msg_new(CN_OP_HEAD);

    cn_msg_set_bytes(m, "key", o->key.data, o->key.len);
    r->http.pending++;
    if (gw_stor_send(r->srv, o->key.data, o->key.len, m, on_object_acl_head, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

void gw_s3_get_object_acl(gw_req_t *r)
{
    gw_obj_version_target(r, object_op(r), get_object_acl); /* ?versionId, or the latest */
}

/* The whole record is known: put it again with the new ACL in its metadata. */
static void on_object_acl_get(int status, cn_msg_t *resp, void *arg)
{
    gw_req_t *r = arg;
    int rc = status ? status : cn_msg_rc(resp);
    gw_obj_op_t *o;
    cn_slice_t meta = {0};
    gw_meta_t m = {0}, out = {0};
    uint64_t flags = 0;

    if (gw_req_rpc_gone(r, resp))
        return;
    if (rc != 0) {
        if (resp)
            cn_msg_free(resp);
        gw_acl_subject_t bk = gw_req_bucket(r);
        gw_req_error(r, rc == CN_ENOENT ? gw_obj_version_missing(r, &bk) : gw_s3_err_from_rc(rc), NULL);
        return;
    }
    o = r->op;
    cn_msg_get_u64(resp, "flags", &flags);
    cn_msg_get_bytes(resp, "meta", &meta);
    {
        gw_acl_subject_t bk = gw_req_bucket(r);
        gw_obj_access_t oa;

        if (!gw_obj_allows(r, &bk, meta, GW_PERM_OBJECT_WRITE_ACP, &oa)) {
            cn_msg_free(resp);
            gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
            return;
        }
        if (!owner_claim_ok(r, r->acl_owner_claim, oa.owner)) {
            cn_msg_free(resp);
            return;
        }
        if (flags & CN_OBJ_DELETE_MARKER) {
            cn_msg_free(resp);
            gw_obj_refuse_marker(r);
            return;
        }
        if (meta.ptr && gw_meta_decode(meta.ptr, meta.len, &m) == 0) {
            gw_meta_copy_user(&m, &out);
            gw_meta_dispose(&m);
        }
        /* the owner stays (a format-1 object gets its bucket owner's id written down) */
        gw_meta_add_access(&out, oa.owner, o->etag, r->grants);
    }
    gw_meta_encode(&out, &o->meta);
    gw_meta_dispose(&out);
    gw_obj_put_again(r, resp, &o->meta, 200);
}

static void put_object_acl(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    cn_msg_t *m = cn_msg_new(CN_OP_GET);

    cn_msg_set_bytes(m, "key", o->key.data, o->key.len);
    r->http.pending++;
    if (gw_stor_send(r->srv, o->key.data, o->key.len, m, on_object_acl_get, r) != 0) {
        r->http.pending--;
        gw_req_error(r, GW_S3_SERVICE_UNAVAILABLE, NULL);
    }
}

void gw_s3_put_object_acl(gw_req_t *r)
{
    char acl[32];
    cn_buf_t grants;
    gw_obj_op_t *o;
    int rc;

    cn_buf_init(&grants);
    rc = wanted_acl(r, acl, &grants, r->acl_owner_claim);
    if (rc == 0 && grants.len) { /* the grant list to store, until the record is read */
        cn_free(r->grants);
        r->grants = cn_strdup(grants.data);
    }
    cn_buf_dispose(&grants);
    if (rc != 0)
        return;
    o = object_op(r);
    snprintf(o->etag, sizeof(o->etag), "%s", acl); /* the new ACL, until the record is read */
    gw_obj_version_target(r, o, put_object_acl); /* ?versionId, or the latest */
}
