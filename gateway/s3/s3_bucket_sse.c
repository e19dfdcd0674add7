/*
 * gateway/s3/s3_bucket_sse.c: Put/Get/DeleteBucketEncryption (see s3_bucket_sse.h). The
 * access decision (owner, or a policy granting s3:PutEncryptionConfiguration /
 * s3:GetEncryptionConfiguration) was taken before; a change is answered once this gateway
 * holds the bucket table that has it (gw_bucket_conf_set), so the next PUT sees it.
 */
#include "gateway/s3/s3_bucket_sse.h"

#include "common/buf.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/sse_conf.h"

#define CONF_ENCRYPTION "encryption"

void gw_s3_put_bucket_encryption(gw_req_t *r)
{
    gw_sse_conf_t c;
    const char *msg = NULL;
    gw_s3_err_t e = gw_sse_conf_parse(r->body.ptr ? r->body.ptr : "", r->body.len, &c, &msg);
    cn_buf_t json;

    if (e != GW_S3_OK) {
        gw_req_error(r, e, msg);
        return;
    }
    cn_buf_init(&json);
    gw_sse_conf_encode(&c, &json);
    gw_bucket_conf_set(r, r->bucket_owner, CONF_ENCRYPTION, json.data, 200);
    cn_buf_dispose(&json);
}

void gw_s3_get_bucket_encryption(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    cn_buf_t x;

    if (b == NULL || !b->has_encryption) {
        gw_req_error(r, GW_S3_NO_SUCH_ENCRYPTION_CONFIG, NULL);
        return;
    }
    if (b->encryption.mode == GW_SSE_NONE) { /* stored but unreadable: logged with the table */
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL);
        return;
    }
    cn_buf_init(&x);
    gw_sse_conf_xml(&b->encryption, &x);
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

void gw_s3_delete_bucket_encryption(gw_req_t *r)
{
    gw_bucket_conf_set(r, r->bucket_owner, CONF_ENCRYPTION, NULL, 204);
}
