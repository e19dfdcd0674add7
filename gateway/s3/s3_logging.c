/*
 * gateway/s3/s3_logging.c: Put/GetBucketLogging (see s3_logging.h). A bucket's logging is its
 * manager configuration "logging" ({"TargetBucket", "TargetPrefix"}, bucket_set_config,
 * record x/<bucket>/logging), read back from the bucket table (gateway/link/mgr_link.c,
 * gw_bucket_t.log_target and log_prefix); an empty BucketLoggingStatus deletes it.
 *
 * S3's checks: the target bucket exists and has the logged bucket's owner
 * (InvalidTargetBucketForLogging). What we cannot honour is refused with 501, never
 * accepted and ignored: TargetGrants (log objects belong to the target's owner alone) and
 * the PartitionedPrefix key format.
 */
#include "gateway/s3/s3_logging.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

#define CONF_LOGGING "logging"

void gw_s3_put_bucket_logging(gw_req_t *r)
{
    gw_xml_logging_t l;
    const gw_bucket_t *t;
    json_t *o;
    char *json;

    if (gw_xml_parse_logging(r->body.ptr ? r->body.ptr : "", r->body.len, &l) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    if (!l.enabled) { /* an empty BucketLoggingStatus: logging off (200 whether on or not) */
        gw_bucket_conf_set(r, r->bucket_owner, CONF_LOGGING, NULL, 200);
        return;
    }
    if (l.has_grants) {
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED, "TargetGrants are not supported: log objects "
                     "belong to the target bucket's owner only.");
        return;
    }
    if (l.partitioned) {
        gw_req_error(r, GW_S3_NOT_IMPLEMENTED,
                     "TargetObjectKeyFormat PartitionedPrefix is not supported.");
        return;
    }
    if ((t = gw_mgr_bucket_find(r->srv, l.bucket)) == NULL) {
        gw_req_error(r, GW_S3_INVALID_TARGET_BUCKET_LOGGING, NULL);
        return;
    }
    if (t->owner == NULL || strcmp(t->owner, r->bucket_owner) != 0) {
        gw_req_error(r, GW_S3_INVALID_TARGET_BUCKET_LOGGING, "The owner for the bucket to be "
                     "logged and the target bucket must be the same.");
        return;
    }
    if (strlen(l.prefix) + GW_LOG_KEY_SUFFIX_LEN > GW_KEY_MAX) {
        gw_req_error(r, GW_S3_INVALID_ARGUMENT, "The TargetPrefix is too long.");
        return;
    }
    o = json_pack("{s:s, s:s}", "TargetBucket", l.bucket, "TargetPrefix", l.prefix);
    json = o ? json_dumps(o, JSON_COMPACT) : NULL; /* NULL: not UTF-8 */
    json_decref(o);
    if (json == NULL) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    /* the owner the access decision saw: a bucket policy may grant s3:PutBucketLogging */
    gw_bucket_conf_set(r, r->bucket_owner, CONF_LOGGING, json, 200);
    free(json);
}

void gw_s3_get_bucket_logging(gw_req_t *r)
{
    const gw_bucket_t *b = gw_mgr_bucket_find(r->srv, r->route.bucket);
    cn_buf_t x;

    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "BucketLoggingStatus", GW_S3_XMLNS);
    if (b != NULL && b->log_target != NULL) {
        gw_xml_open(&x, "LoggingEnabled");
        gw_xml_str_elem(&x, "TargetBucket", b->log_target);
        gw_xml_str_elem(&x, "TargetPrefix", b->log_prefix ? b->log_prefix : "");
        gw_xml_close(&x, "LoggingEnabled");
    }
    gw_xml_close(&x, "BucketLoggingStatus");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}
