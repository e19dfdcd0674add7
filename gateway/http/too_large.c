/*
 * gateway/http/too_large.c: EntityTooLarge before the body is read.
 * h2o refuses a body over max_request_entity_size (= max_object_size) on its own, as soon as
 * it sees Content-Length (or while reading a chunked body), with a plain-text 413 sent through
 * the host's fallback path. This filter, on that path, turns such a 413 into S3's 400
 * EntityTooLarge XML with a request id.
 */
#include "gateway/http/too_large.h"

#include <inttypes.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/log.h"
#include "gateway/gateway.h"

struct xml_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int sent;
};

static void xml_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                        h2o_send_state_t state)
{
    struct xml_ostream *o = (struct xml_ostream *)self;
    if (h2o_send_state_is_in_progress(state) || o->sent) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    o->sent = 1;
    h2o_ostream_send_next(self, req, &o->body, 1, state);
}

struct gw_filter {
    h2o_filter_t super;
    gw_server_t *srv;
};

static void on_setup_413(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    gw_server_t *s = ((struct gw_filter *)self)->srv;
    struct xml_ostream *o;
    char reqid[17], id2[128], res[1200];
    uint64_t id;
    cn_buf_t b;

    if (req->res.status != 413) {
        h2o_setup_next_ostream(req, slot);
        return;
    }
    id = s->reqid_seed + s->reqid_ctr++ * 0x9E3779B97F4A7C15ull;
    snprintf(reqid, sizeof(reqid), "%016" PRIX64, id);
    snprintf(id2, sizeof(id2), "%s/%s", s->conf.name, reqid);
    snprintf(res, sizeof(res), "%.*s",
             (int)(req->query_at != SIZE_MAX ? req->query_at : req->path.len), req->path.base);
    cn_buf_init(&b);
    gw_s3_err_xml(&b, GW_S3_ENTITY_TOO_LARGE, NULL, res, reqid);
    req->res.status = gw_s3_err_status(GW_S3_ENTITY_TOO_LARGE);
    req->res.reason = gw_http_reason(req->res.status);
    h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   H2O_STRLIT("application/xml"), 1);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amz-request-id"), 0, NULL,
                          h2o_strdup(&req->pool, reqid, SIZE_MAX).base, strlen(reqid));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-amz-id-2"), 0, NULL,
                          h2o_strdup(&req->pool, id2, SIZE_MAX).base, strlen(id2));
    o = (struct xml_ostream *)h2o_add_ostream(req, sizeof(*o), slot);
    o->super.do_send = xml_do_send;
    o->sent = 0;
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        o->body = h2o_iovec_init("", 0);
        req->res.content_length = 0;
    } else {
        o->body = h2o_strdup(&req->pool, b.data, b.len);
        req->res.content_length = b.len;
    }
    cn_buf_dispose(&b);
    h2o_setup_next_ostream(req, &o->super.next);
    CN_LOG(CN_LOG_DEBUG, "req=%s %s -> EntityTooLarge (before the body)", reqid, res);
}

void gw_too_large_filter(h2o_hostconf_t *hc, gw_server_t *s)
{
    struct gw_filter *f = (struct gw_filter *)h2o_create_filter(&hc->fallback_path, sizeof(*f));

    f->super.on_setup_ostream = on_setup_413;
    f->srv = s;
}
