/*
 * gateway/s3/s3_bucket_conf.c: the public access block and the ownership controls of a bucket
 * (see s3_bucket_conf.h). The gateway validates the XML, stores S3's settings as a JSON
 * object through the manager (bucket_set_config: "public_access_block" holds
 * {"BlockPublicAcls": bool, "IgnorePublicAcls": bool, "BlockPublicPolicy": bool,
 * "RestrictPublicBuckets": bool}, "ownership_controls" {"ObjectOwnership": mode}), and answers
 * Get* from the bucket table (gateway/link/mgr_link.c reads them into gw_bucket_t). What the
 * settings do is decided where access is: gateway/auth/access_req.c.
 */
#include "gateway/s3/s3_bucket_conf.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

#define CONF_PAB "public_access_block"
#define CONF_OWNERSHIP "ownership_controls"

static const char *const pab_names[] = {"BlockPublicAcls", "IgnorePublicAcls",
                                        "BlockPublicPolicy", "RestrictPublicBuckets"};

/* ---- shared with the bucket policy -------------------------------------------------------- */

int gw_bucket_conf_owner_only(gw_req_t *r)
{
    if (r->requester[0] && strcmp(r->requester, r->bucket_owner) == 0)
        return 1;
    gw_req_error(r, GW_S3_METHOD_NOT_ALLOWED,
                 "Only the bucket owner may manage its configuration");
    return 0;
}

#define CONF_CALL_MAGIC 0x67776363u /* "gwcc" */

/* One manager call of gw_bucket_conf_send: its request and what it answers on success. */
struct conf_call {
    uint32_t magic;
    gw_req_t *r;
    int ok_status;
};

static void conf_call_free(struct conf_call *c)
{
    c->magic = 0;
    cn_free(c);
}

static void on_refreshed(int status, void *arg)
{
    struct conf_call *c = arg;
    gw_req_t *r = c->r;
    int ok_status = c->ok_status;

    CN_CHECK_OBJ(c, CONF_CALL_MAGIC);
    (void)status;
    conf_call_free(c);
    if (gw_req_rpc_done(r))
        return;
    gw_req_send_empty(r, ok_status);
}

static void on_set(int status, cn_msg_t *resp, void *arg)
{
    struct conf_call *c = arg;
    gw_req_t *r = c->r;
    int rc;

    CN_CHECK_OBJ(c, CONF_CALL_MAGIC);
    if (gw_req_rpc_end(r, status, resp, &rc)) {
        conf_call_free(c);
        return;
    }
    if (rc == 0) {
        r->http.pending++;
        gw_mgr_refresh_buckets(r->srv, on_refreshed, c);
        return;
    }
    conf_call_free(c);
    if (rc == CN_ENOENT) {
        gw_req_error(r, GW_S3_NO_SUCH_BUCKET, NULL);
    } else if (rc == CN_EPROTO) {
        /* a manager that lacks the op answers it so */
        CN_LOG(CN_LOG_WARN, "bucket=%s: %s (does the manager have the op?)", r->route.bucket,
               cn_strerror(rc));
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED, "The manager cannot change this setting yet");
    } else {
        gw_req_error(r, gw_s3_err_from_rc(rc), NULL); /* CN_EPERM: AccessDenied */
    }
}

void gw_bucket_conf_send(gw_req_t *r, cn_msg_t *m, int ok_status)
{
    struct conf_call *c = cn_calloc(1, sizeof(*c));

    c->magic = CONF_CALL_MAGIC;
    c->r = r;
    c->ok_status = ok_status;
    r->http.pending++;
    gw_mgr_call(r->srv, m, on_set, c);
}

void gw_bucket_conf_set(gw_req_t *r, const char *owner, const char *config, const char *value,
                        int ok_status)
{
    cn_msg_t *m = cn_msg_new(CN_OP_BUCKET_SET_CONFIG);

    cn_msg_set_str(m, "name", r->route.bucket);
    cn_msg_set_str(m, "owner", owner);
    cn_msg_set_str(m, "config", config);
    if (value != NULL)
        cn_msg_set_bytes(m, "value", value, strlen(value));
    gw_bucket_conf_send(r, m, ok_status);
}

/* The requester's bucket_set_config: config = value (JSON text; NULL: delete). */
static void set_config(gw_req_t *r, const char *config, const char *value)
{
    gw_bucket_conf_set(r, r->requester, config, value, value != NULL ? 200 : 204); /* S3 */
}

/* ---- public access block ------------------------------------------------------------------ */

void gw_s3_put_public_access_block(gw_req_t *r)
{
    unsigned flags = 0;
    char json[160];

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (gw_xml_parse_pab(r->body.ptr ? r->body.ptr : "", r->body.len, &flags) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    snprintf(json, sizeof(json), "{\"%s\":%s,\"%s\":%s,\"%s\":%s,\"%s\":%s}", pab_names[0],
             flags & GW_PAB_BLOCK_ACLS ? "true" : "false", pab_names[1],
             flags & GW_PAB_IGNORE_ACLS ? "true" : "false", pab_names[2],
             flags & GW_PAB_BLOCK_POLICY ? "true" : "false", pab_names[3],
             flags & GW_PAB_RESTRICT ? "true" : "false");
    set_config(r, CONF_PAB, json);
}

void gw_s3_get_public_access_block(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    cn_buf_t x;

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (b == NULL || !b->has_pab) {
        gw_req_error(r, GW_S3_NO_SUCH_PUBLIC_ACCESS_BLOCK, NULL);
        return;
    }
    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "PublicAccessBlockConfiguration", GW_S3_XMLNS);
    for (unsigned i = 0; i < 4; i++)
        gw_xml_str_elem(&x, pab_names[i], b->pab & (1u << i) ? "true" : "false");
    gw_xml_close(&x, "PublicAccessBlockConfiguration");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

void gw_s3_delete_public_access_block(gw_req_t *r)
{
    if (gw_bucket_conf_owner_only(r))
        set_config(r, CONF_PAB, NULL);
}

/* ---- ownership controls ------------------------------------------------------------------- */

void gw_s3_put_ownership_controls(gw_req_t *r)
{
    char mode[32], json[64];

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (gw_xml_parse_ownership(r->body.ptr ? r->body.ptr : "", r->body.len, mode) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    snprintf(json, sizeof(json), "{\"ObjectOwnership\":\"%s\"}", mode);
    set_config(r, CONF_OWNERSHIP, json);
}

void gw_s3_get_ownership_controls(gw_req_t *r)
{
    static const char *const modes[] = {"ObjectWriter", "BucketOwnerPreferred",
                                        "BucketOwnerEnforced"};
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    cn_buf_t x;

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (b == NULL || !b->has_ownership) {
        gw_req_error(r, GW_S3_NO_OWNERSHIP_CONTROLS, NULL);
        return;
    }
    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "OwnershipControls", GW_S3_XMLNS);
    gw_xml_open(&x, "Rule");
    gw_xml_str_elem(&x, "ObjectOwnership", modes[b->ownership]);
    gw_xml_close(&x, "Rule");
    gw_xml_close(&x, "OwnershipControls");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

void gw_s3_delete_ownership_controls(gw_req_t *r)
{
    if (gw_bucket_conf_owner_only(r))
        set_config(r, CONF_OWNERSHIP, NULL);
}
