/*
 * gateway/s3/s3_lifecycle.c: lifecycle configuration (see s3_lifecycle.h). A bucket's rules
 * are its manager configuration "lifecycle" (common/lifecycle.h's stored form, written from
 * the XML by gateway/s3/lifecycle.c, record x/<bucket>/lifecycle), replicated with the rest
 * of the manager's state; the gateway reads them once per bucket table (gateway/link/
 * mgr_link.c, gw_bucket_t.lifecycle) for x-amz-expiration, and the storage nodes apply them.
 *
 * S3 requires Content-MD5 (or an x-amz-checksum-* header) on PutBucketLifecycleConfiguration,
 * as on DeleteObjects; http.c has checked it against the body when present.
 */
#include "gateway/s3/s3_lifecycle.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/hash.h"
#include "common/lifecycle.h"
#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/lifecycle.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

#define CONF_LIFECYCLE "lifecycle"

static const gw_bucket_t *route_bucket(const gw_req_t *r)
{
    if (r->route.bucket[0] == '\0' || r->route.bucket_too_long)
        return NULL;
    return gw_mgr_bucket_find(r->srv, r->route.bucket);
}

void gw_s3_put_bucket_lifecycle(gw_req_t *r)
{
    char msg_buf[300];
    const char *msg = NULL;
    gw_lc_t c = {0};
    gw_s3_err_t e;
    uint64_t seed = 0;
    cn_buf_t json;

    if (!gw_req_header(r, "content-md5").ptr && !r->checksum_name[0]) {
        gw_req_error(r, GW_S3_INVALID_REQUEST,
                     "Missing required header for this request: Content-MD5");
        return;
    }
    if (gw_xml_parse_lifecycle(r->body.ptr ? r->body.ptr : "", r->body.len, &c) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    if ((e = gw_lc_check(&c, msg_buf, sizeof(msg_buf), &msg)) != GW_S3_OK) {
        gw_lc_dispose(&c);
        gw_req_error(r, e, msg);
        return;
    }
    if (cn_random_bytes(&seed, sizeof(seed)) != 0)
        seed = cn_now_ms() ^ (uint64_t)(uintptr_t)r; /* IDs need only differ, not be secret */
    gw_lc_name_rules(&c, seed);
    cn_buf_init(&json);
    gw_lc_encode(&c, &json);
    gw_lc_dispose(&c);
    if (json.len == 0 || json.len > GW_LC_DOC_MAX) {
        /* past the manager's limit of a configuration: S3 has no such limit but the rules' */
        gw_req_error(r, GW_S3_INVALID_REQUEST, "The lifecycle configuration is limited to 64 KB "
                     "once stored; use fewer or shorter rules.");
    } else {
        /* the owner the access decision saw: a bucket policy may grant
         * s3:PutLifecycleConfiguration */
        gw_bucket_conf_set(r, r->bucket_owner, CONF_LIFECYCLE, json.data, 200);
    }
    cn_buf_dispose(&json);
}

void gw_s3_get_bucket_lifecycle(gw_req_t *r)
{
    const gw_bucket_t *b = route_bucket(r);
    cn_buf_t x;

    if (b == NULL || b->lifecycle_doc == NULL) {
        gw_req_error(r, GW_S3_NO_SUCH_LIFECYCLE, NULL);
        return;
    }
    cn_buf_init(&x);
    if (gw_lc_xml(b->lifecycle_doc, strlen(b->lifecycle_doc), &x) != 0) {
        cn_buf_dispose(&x);
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL); /* logged when the table was read */
        return;
    }
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

void gw_s3_delete_bucket_lifecycle(gw_req_t *r)
{
    gw_bucket_conf_set(r, r->bucket_owner, CONF_LIFECYCLE, NULL, 204); /* 204 with rules or not */
}

void gw_lifecycle_expiration_header(gw_req_t *r, uint64_t size, const char *tags,
                                    uint64_t mtime_ms)
{
    const gw_bucket_t *b = route_bucket(r);
    cn_lc_object_t o = {0};
    char date[GW_HTTP_DATE_LEN];
    const char *id = NULL;
    uint64_t when = 0;
    cn_buf_t v;

    if (b == NULL || b->lifecycle == NULL)
        return;
    o.key = r->route.key;
    o.key_len = r->route.key_len;
    o.size = size;
    o.tags = tags;
    o.tags_len = tags ? strlen(tags) : 0;
    o.mtime_ms = mtime_ms;
    o.is_latest = 1;
    if (cn_lc_expiration(b->lifecycle, &o, r->srv->conf.lc_day_seconds * 1000, &when, &id) != 0)
        return;
    gw_http_date_fmt(when, date);
    cn_buf_init(&v);
    cn_buf_appendf(&v, "expiry-date=\"%s\", rule-id=\"", date);
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        /* a quoted-string: '"' and '\' escaped, control bytes (CR, LF...) never sent */
        char ch = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;

        if (ch == '"' || ch == '\\')
            cn_buf_append(&v, "\\", 1);
        cn_buf_append(&v, &ch, 1);
    }
    cn_buf_append(&v, "\"", 1);
    gw_req_add_header(r, "x-amz-expiration", v.data, v.len);
    cn_buf_dispose(&v);
}
