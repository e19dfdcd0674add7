/*
 * gateway/s3/s3_cors.c: CORS (see s3_cors.h). A bucket's rules are its manager configuration
 * "cors" (cors.h's stored form, bucket_set_config, record x/<bucket>/cors), replicated with
 * the rest of the manager's state; the gateway reads them once per bucket table
 * (gateway/link/mgr_link.c, gw_bucket_t.cors) and matches requests against that.
 *
 * S3's answers where its documentation is silent follow what was observed of it (recorded
 * by LocalStack's AWS-validated tests, ceph s3-tests and others): the preflight checks
 * Origin, then the requested method's form, then the bucket, then its rules; a bucket that
 * does not exist is a 403, not a 404; an actual request is never refused by CORS, it only
 * lacks the headers when no rule matches.
 */
#include "gateway/s3/s3_cors.h"

#include <stdio.h>
#include <string.h>

#include "gateway/gateway.h"
#include "gateway/link/mgr_link.h"
#include "gateway/s3/cors.h"
#include "gateway/s3/s3_bucket_conf.h"
#include "gateway/s3/s3_xml.h"
#include "gateway/s3/s3_xmlin.h"

#define CONF_CORS "cors"

/* What S3 answers in Vary, on preflights and actual requests alike. */
static const char vary[] = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

static const gw_bucket_t *route_bucket(const gw_req_t *r)
{
    if (r->route.bucket[0] == '\0' || r->route.bucket_too_long)
        return NULL;
    return gw_mgr_bucket_find(r->srv, r->route.bucket);
}

/* ---- the operations ------------------------------------------------------------------------ */

void gw_s3_put_bucket_cors(gw_req_t *r)
{
    char msg_buf[600];
    const char *msg = NULL;
    gw_cors_t c = {0};
    gw_s3_err_t e;
    cn_buf_t json;

    if (r->body.len > GW_CORS_DOC_MAX) {
        gw_req_error(r, GW_S3_MALFORMED_XML, "The CORS configuration is limited to 64 KB.");
        return;
    }
    if (gw_xml_parse_cors(r->body.ptr ? r->body.ptr : "", r->body.len, &c) != 0) {
        gw_req_error(r, GW_S3_MALFORMED_XML, NULL);
        return;
    }
    if ((e = gw_cors_check(&c, msg_buf, sizeof(msg_buf), &msg)) != GW_S3_OK) {
        gw_cors_dispose(&c);
        gw_req_error(r, e, msg);
        return;
    }
    cn_buf_init(&json);
    gw_cors_encode(&c, &json);
    gw_cors_dispose(&c);
    if (json.len == 0 || json.len > GW_CORS_DOC_MAX) {
        /* the stored form past the manager's limit: only a document of odd characters */
        gw_req_error(r, GW_S3_MALFORMED_XML, "The CORS configuration is limited to 64 KB.");
    } else {
        /* the owner the access decision saw: a bucket policy may grant s3:PutBucketCORS */
        gw_bucket_conf_set(r, r->bucket_owner, CONF_CORS, json.data, 200);
    }
    cn_buf_dispose(&json);
}

/* Appends one XML element per item of l to x. */
static void list_xml(cn_buf_t *x, const char *tag, const gw_cors_list_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        gw_xml_str_elem(x, tag, l->v[i]);
}

void gw_s3_get_bucket_cors(gw_req_t *r)
{
    const gw_bucket_t *b = route_bucket(r);
    cn_buf_t x;

    if (b == NULL || b->cors_doc == NULL) {
        gw_req_error(r, GW_S3_NO_SUCH_CORS, NULL);
        return;
    }
    if (b->cors == NULL) {
        gw_req_error(r, GW_S3_INTERNAL_ERROR, NULL); /* logged when the table was read */
        return;
    }
    cn_buf_init(&x);
    gw_xml_decl(&x);
    gw_xml_open_ns(&x, "CORSConfiguration", GW_S3_XMLNS);
    for (size_t i = 0; i < b->cors->n; i++) {
        const gw_cors_rule_t *rule = &b->cors->rules[i];

        gw_xml_open(&x, "CORSRule");
        if (rule->id != NULL)
            gw_xml_str_elem(&x, "ID", rule->id);
        list_xml(&x, "AllowedHeader", &rule->headers);
        list_xml(&x, "AllowedMethod", &rule->methods);
        list_xml(&x, "AllowedOrigin", &rule->origins);
        list_xml(&x, "ExposeHeader", &rule->expose);
        if (rule->max_age >= 0)
            gw_xml_u64_elem(&x, "MaxAgeSeconds", (uint64_t)rule->max_age);
        gw_xml_close(&x, "CORSRule");
    }
    gw_xml_close(&x, "CORSConfiguration");
    gw_req_send_xml(r, 200, &x);
    cn_buf_dispose(&x);
}

void gw_s3_delete_bucket_cors(gw_req_t *r)
{
    gw_bucket_conf_set(r, r->bucket_owner, CONF_CORS, NULL, 204); /* 204 with rules or not */
}

/* ---- the headers ---------------------------------------------------------------------------- */

/* The headers a matched rule gives a request from origin (S3's order): Allow-Origin (the
 * origin, or "*" when the rule's origin that matched is "*", then without credentials),
 * Allow-Methods, Allow-Headers (a preflight's requested names: asked, NULL otherwise),
 * Expose-Headers, Max-Age, Allow-Credentials, Vary. */
static void add_rule_headers(gw_req_t *r, const gw_cors_rule_t *rule, cn_slice_t origin,
                             const cn_slice_t *asked)
{
    int any = gw_cors_any_origin(rule, origin.ptr, origin.len);
    cn_buf_t v;

    cn_buf_init(&v);
    gw_req_add_header(r, "access-control-allow-origin", any ? "*" : origin.ptr,
                      any ? 1 : origin.len);
    gw_cors_join(&rule->methods, &v);
    gw_req_add_header(r, "access-control-allow-methods", v.data, v.len);
    if (asked != NULL) {
        cn_buf_reset(&v);
        gw_cors_header_names(asked->ptr, asked->len, &v);
        if (v.len)
            gw_req_add_header(r, "access-control-allow-headers", v.data, v.len);
    }
    if (rule->expose.n) {
        cn_buf_reset(&v);
        gw_cors_join(&rule->expose, &v);
        gw_req_add_header(r, "access-control-expose-headers", v.data, v.len);
    }
    if (rule->max_age >= 0) {
        cn_buf_reset(&v);
        cn_buf_appendf(&v, "%ld", rule->max_age);
        gw_req_add_header(r, "access-control-max-age", v.data, v.len);
    }
    if (!any)
        gw_req_add_header(r, "access-control-allow-credentials", "true", 4);
    gw_req_add_header(r, "vary", vary, sizeof(vary) - 1);
    cn_buf_dispose(&v);
}

void gw_cors_add_headers(gw_req_t *r)
{
    cn_slice_t origin = gw_req_header(r, "origin");
    cn_slice_t method = gw_req_header(r, "access-control-request-method");
    const gw_bucket_t *b;
    long i;

    if (origin.ptr == NULL || r->route.op == GW_OP_OPTIONS || (b = route_bucket(r)) == NULL ||
        b->cors == NULL)
        return; /* a preflight's headers are gw_cors_preflight's */
    if (method.ptr == NULL) /* S3 matches the method asked about when a request names one */
        method = cn_slice(r->http.req->method.base, r->http.req->method.len);
    i = gw_cors_match(b->cors, origin.ptr, origin.len, method.ptr, method.len, NULL, 0);
    if (i >= 0)
        add_rule_headers(r, &b->cors->rules[i], origin, NULL);
}

/* ---- the preflight -------------------------------------------------------------------------- */

void gw_cors_preflight(gw_req_t *r)
{
    cn_slice_t origin = gw_req_header(r, "origin");
    cn_slice_t method = gw_req_header(r, "access-control-request-method");
    cn_slice_t asked = gw_req_header(r, "access-control-request-headers");
    const gw_bucket_t *b;
    char msg[200];
    long i;

    if (origin.ptr == NULL) {
        gw_req_error(r, GW_S3_BAD_REQUEST, NULL);
        return;
    }
    if (method.ptr != NULL && !gw_cors_request_method_valid(method.ptr, method.len)) {
        snprintf(msg, sizeof(msg), "Invalid Access-Control-Request-Method: %.*s",
                 (int)(method.len > 128 ? 128 : method.len), method.ptr);
        gw_req_error(r, GW_S3_BAD_REQUEST, msg);
        return;
    }
    if ((b = route_bucket(r)) == NULL) {
        gw_req_error(r, GW_S3_CORS_FORBIDDEN, "CORSResponse: Bucket not found");
        return;
    }
    if (b->cors_doc == NULL) {
        gw_req_error(r, GW_S3_CORS_FORBIDDEN, "CORSResponse: CORS is not enabled for this "
                     "bucket.");
        return;
    }
    if (method.ptr == NULL) {
        gw_req_error(r, GW_S3_BAD_REQUEST, "Invalid Access-Control-Request-Method: null");
        return;
    }
    i = b->cors == NULL ? -1
                        : gw_cors_match(b->cors, origin.ptr, origin.len, method.ptr, method.len,
                                        asked.ptr ? asked.ptr : "", asked.len);
    if (i < 0) {
        gw_req_error(r, GW_S3_CORS_FORBIDDEN, NULL);
        return;
    }
    add_rule_headers(r, &b->cors->rules[i], origin, &asked);
    gw_req_send_empty(r, 200);
}
