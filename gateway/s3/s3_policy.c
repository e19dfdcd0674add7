/*
 * gateway/s3/s3_policy.c: Put, Get and DeleteBucketPolicy and GetBucketPolicyStatus (S3 API
 * reference). Only the bucket's owner manages its policy: the access decision lets the owner
 * through always (gw_policy_combine's first rule) and anyone else only when the policy
 * grants the action, and those get 405 MethodNotAllowed here, as S3 answers an identity of
 * another account. A document is validated (gateway/auth/policy.h: MalformedPolicy with
 * S3's message, 20 KiB) before the manager stores it; every gateway then compiles it from
 * the bucket table, this one before it answers (it waits for the refreshed table).
 */
#include "gateway/s3/s3_policy.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"
#include "gateway/auth/policy.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_xml.h"

/* Asks the manager to store doc[0..len) as r's bucket's policy (doc NULL: delete it). */
static void set_policy(gw_req_t *r, const char *doc, size_t len)
{
    cn_msg_t *m = cn_msg_new(CN_OP_BUCKET_SET_POLICY);

    cn_msg_set_str(m, "name", r->route.bucket);
    cn_msg_set_str(m, "owner", r->requester);
    if (doc != NULL)
        cn_msg_set_bytes(m, "policy", doc, len);
    gw_bucket_conf_send(r, m, 204); /* S3: PutBucketPolicy and DeleteBucketPolicy */
}

void gw_s3_put_bucket_policy(gw_req_t *r)
{
    const gw_bucket_t *b;
    char msg[GW_POLICY_MSG_MAX];
    gw_policy_t *p = NULL;
    int rc;

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (r->body.len == 0) {
        gw_req_error(r, GW_S3_MALFORMED_POLICY, "Policies must be valid JSON and the first "
                                                "byte must be '{'");
        return;
    }
    rc = gw_policy_parse(r->body.ptr, r->body.len, r->route.bucket, &p, msg, sizeof(msg));
    if (rc == CN_E2BIG) {
        gw_req_error(r, GW_S3_MALFORMED_POLICY, "Policy exceeds the maximum allowed document "
                                                "size.");
        return;
    }
    if (rc != 0) {
        gw_req_error(r, GW_S3_MALFORMED_POLICY, msg[0] ? msg : NULL);
        return;
    }
    b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    if (b != NULL && (b->pab & GW_PAB_BLOCK_POLICY) && gw_policy_is_public(p)) {
        gw_policy_destroy(p); /* S3: the public access block refuses a public policy */
        gw_req_error(r, GW_S3_ACCESS_DENIED, NULL);
        return;
    }
    gw_policy_destroy(p);
    set_policy(r, r->body.ptr, r->body.len);
}

void gw_s3_get_bucket_policy(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (b == NULL || b->policy_doc == NULL) {
        gw_req_error(r, GW_S3_NO_SUCH_BUCKET_POLICY, NULL);
        return;
    }
    gw_http_send(&r->http, 200, "application/json", b->policy_doc, strlen(b->policy_doc));
}

void gw_s3_delete_bucket_policy(gw_req_t *r)
{
    if (gw_bucket_conf_owner_only(r))
        set_policy(r, NULL, 0); /* 204 whether there was one or not, as S3 answers */
}

void gw_s3_get_bucket_policy_status(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    cn_buf_t x;

    if (!gw_bucket_conf_owner_only(r))
        return;
    if (b == NULL || (b->policy == NULL && !b->policy_broken)) {
        gw_req_error(r, GW_S3_NO_SUCH_BUCKET_POLICY, NULL);
        return;
    }
    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "PolicyStatus", GW_S3_XMLNS);
    gw_xml_str_elem(&x, "IsPublic", b->policy != NULL && gw_policy_is_public(b->policy)
                                        ? "true"
                                        : "false");
    gw_xml_close(&x, "PolicyStatus");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}
