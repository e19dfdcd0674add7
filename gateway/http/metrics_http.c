/*
 * gateway/http/metrics_http.c: cairn-gateway's GET /metrics (Prometheus text) and GET /health on
 * [gateway] metrics_listen, a tiny HTTP/1.0-style responder on the gateway's own libuv loop
 * (one request per connection, closed after the answer), so that the counters of the loop
 * (caches, rings) are read without locks.
 *   cairn_gateway_requests_total{op,status}        S3/REST requests by operation and status
 *   cairn_gateway_request_duration_seconds{op}     latency histogram (request start to end)
 *   cairn_gateway_bytes_in_total, cairn_gateway_bytes_out_total
 *   cairn_gateway_ring_info{ring_cur,ring_prev} 1  the ring checksums this gateway holds
 *   cairn_gateway_cache_*                          gw_cache_metrics_write (gateway/cache/cache.c)
 *   cairn_gateway_ec_reads_total{kind}             coded chunk reads (gateway/s3/ec_chunk.c)
 *   cairn_gateway_ec_handoffs_total                fragments handed to a repair queue (same)
 * Threads: everything on the loop thread.
 */
#include "gateway/http/metrics_http.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "common/proc.h"
#include "gateway/cache/cache.h"
#include "gateway/gateway.h"
#include "gateway/s3/route.h"

#define GW_MCONN_MAGIC 0x474d434eu /* "GMCN" */
#define GW_MREQ_MAX 8192

struct mconn {
    uint32_t magic;
    gw_server_t *s;
    uv_tcp_t tcp;
    uv_write_t wr;
    char in[GW_MREQ_MAX];
    size_t len;
    char *out;
    int answered;
};


static const char *const op_names[] = {
    [GW_OP_NONE] = "none",
    [GW_OP_LIST_BUCKETS] = "ListBuckets",
    [GW_OP_CREATE_BUCKET] = "CreateBucket",
    [GW_OP_DELETE_BUCKET] = "DeleteBucket",
    [GW_OP_HEAD_BUCKET] = "HeadBucket",
    [GW_OP_GET_BUCKET_LOCATION] = "GetBucketLocation",
    [GW_OP_LIST_OBJECTS] = "ListObjects",
    [GW_OP_LIST_OBJECTS_V2] = "ListObjectsV2",
    [GW_OP_PUT_OBJECT] = "PutObject",
    [GW_OP_GET_OBJECT] = "GetObject",
    [GW_OP_HEAD_OBJECT] = "HeadObject",
    [GW_OP_DELETE_OBJECT] = "DeleteObject",
    [GW_OP_CREATE_MULTIPART] = "CreateMultipartUpload",
    [GW_OP_UPLOAD_PART] = "UploadPart",
    [GW_OP_COMPLETE_MULTIPART] = "CompleteMultipartUpload",
    [GW_OP_ABORT_MULTIPART] = "AbortMultipartUpload",
    [GW_OP_LIST_PARTS] = "ListParts",
    [GW_OP_LIST_MULTIPART_UPLOADS] = "ListMultipartUploads",
    [GW_OP_DELETE_OBJECTS] = "DeleteObjects",
    [GW_OP_GET_BUCKET_ACL] = "GetBucketAcl",
    [GW_OP_PUT_BUCKET_ACL] = "PutBucketAcl",
    [GW_OP_GET_BUCKET_POLICY] = "GetBucketPolicy",
    [GW_OP_PUT_BUCKET_POLICY] = "PutBucketPolicy",
    [GW_OP_DELETE_BUCKET_POLICY] = "DeleteBucketPolicy",
    [GW_OP_GET_BUCKET_POLICY_STATUS] = "GetBucketPolicyStatus",
    [GW_OP_GET_PUBLIC_ACCESS_BLOCK] = "GetPublicAccessBlock",
    [GW_OP_PUT_PUBLIC_ACCESS_BLOCK] = "PutPublicAccessBlock",
    [GW_OP_DELETE_PUBLIC_ACCESS_BLOCK] = "DeletePublicAccessBlock",
    [GW_OP_GET_OWNERSHIP_CONTROLS] = "GetBucketOwnershipControls",
    [GW_OP_PUT_OWNERSHIP_CONTROLS] = "PutBucketOwnershipControls",
    [GW_OP_DELETE_OWNERSHIP_CONTROLS] = "DeleteBucketOwnershipControls",
    [GW_OP_GET_BUCKET_VERSIONING] = "GetBucketVersioning",
    [GW_OP_PUT_BUCKET_VERSIONING] = "PutBucketVersioning",
    [GW_OP_LIST_OBJECT_VERSIONS] = "ListObjectVersions",
    [GW_OP_PUT_OBJECT_TAGGING] = "PutObjectTagging",
    [GW_OP_DELETE_OBJECT_TAGGING] = "DeleteObjectTagging",
    [GW_OP_GET_BUCKET_TAGGING] = "GetBucketTagging",
    [GW_OP_PUT_BUCKET_TAGGING] = "PutBucketTagging",
    [GW_OP_DELETE_BUCKET_TAGGING] = "DeleteBucketTagging",
    [GW_OP_GET_OBJECT_ACL] = "GetObjectAcl",
    [GW_OP_PUT_OBJECT_ACL] = "PutObjectAcl",
    [GW_OP_GET_OBJECT_TAGGING] = "GetObjectTagging",
    [GW_OP_GET_OBJECT_ATTRIBUTES] = "GetObjectAttributes",
    [GW_OP_POST_OBJECT] = "PostObject",
    [GW_OP_OPTIONS] = "Options",
    [GW_OP_UNSUPPORTED] = "Unsupported",
};

void gw_metrics_request(gw_req_t *r, const h2o_req_t *req)
{
    struct timeval now;
    const char *op = "none";
    char status[16];
    double secs;

    struct gw_metrics *M = &r->srv->metrics;

    if (M->reg == NULL || req == NULL || req->res.status == 0)
        return;
    if ((size_t)r->route.op < sizeof(op_names) / sizeof(op_names[0]) &&
        op_names[r->route.op] != NULL)
        op = op_names[r->route.op];
    snprintf(status, sizeof(status), "%d", req->res.status);
    gettimeofday(&now, NULL);
    secs = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) +
           (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1e6;
    cn_metric_add(M->req, (const char *[]){op, status}, 1);
    if (secs >= 0 && req->timestamps.request_begin_at.tv_sec != 0)
        cn_metric_observe(M->lat, (const char *[]){op}, secs);
    if (req->entity.base != NULL && req->entity.len > 0)
        cn_metric_add(M->bin, NULL, (double)req->entity.len);
    if (req->bytes_sent > 0)
        cn_metric_add(M->bout, NULL, (double)req->bytes_sent);
}

static void on_closed(uv_handle_t *h)
{
    struct mconn *c = h->data;

    cn_free(c->out);
    c->magic = 0;
    cn_free(c);
}

static void on_written(uv_write_t *w, int status)
{
    struct mconn *c = w->data;

    (void)status;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void respond(struct mconn *c, int code, const char *ctype, const char *body, size_t len)
{
    cn_buf_t b;
    size_t n;
    uv_buf_t ub;

    c->answered = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    cn_buf_init(&b);
    cn_buf_appendf(&b,
                   "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n",
                   code, code == 200 ? "OK" : code == 404 ? "Not Found" : code == 405
                                                  ? "Method Not Allowed" : "Bad Request",
                   ctype, len);
    cn_buf_append(&b, body, len);
    c->out = cn_buf_steal(&b, &n);
    ub = uv_buf_init(c->out, (unsigned)n);
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &ub, 1, on_written) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void answer(struct mconn *c)
{
    struct gw_metrics *M = &c->s->metrics;
    char method[8], path[256];
    cn_buf_t b;
    char cur[17], prev[17];

    if (sscanf(c->in, "%7s %255s", method, path) != 2) {
        respond(c, 400, "text/plain", "bad request\n", 12);
        return;
    }
    if (strcmp(method, "GET") != 0) {
        respond(c, 405, "text/plain", "only GET\n", 9);
        return;
    }
    if (strcmp(path, "/health") == 0) {
        respond(c, 200, "application/json", "{\"status\":\"ok\"}\n", 16);
        return;
    }
    if (strcmp(path, "/metrics") != 0) {
        respond(c, 404, "text/plain", "not found: /metrics and /health only\n", 37);
        return;
    }
    cn_ring_checksum_hex(c->s->mgr.ring_sum, cur);
    cn_ring_checksum_hex(c->s->mgr.ring_prev_sum, prev);
    cn_metric_clear(M->ring);
    cn_metric_set(M->ring, (const char *[]){c->s->conf.name, cur, prev}, 1);
    cn_buf_init(&b);
    cn_metrics_write(M->reg, &b);
    gw_cache_metrics_write(c->s, &b);
    respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", b.data ? b.data : "", b.len);
    cn_buf_dispose(&b);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct mconn *c = h->data;

    (void)hint;
    *buf = uv_buf_init(c->in + c->len, (unsigned)(sizeof(c->in) - 1 - c->len));
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct mconn *c = st->data;

    (void)buf;
    if (c->answered)
        return;
    if (n < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    c->len += (size_t)n;
    c->in[c->len] = '\0';
    if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
        answer(c);
    else if (c->len >= sizeof(c->in) - 1)
        respond(c, 400, "text/plain", "request too large\n", 18);
}

static void on_conn(uv_stream_t *l, int status)
{
    struct mconn *c;

    if (status != 0)
        return;
    c = cn_calloc(1, sizeof(*c));
    c->magic = GW_MCONN_MAGIC;
    c->s = l->data;
    uv_tcp_init(l->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0 ||
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        uv_close((uv_handle_t *)&c->tcp, on_closed);
}

int gw_metrics_start(gw_server_t *s, uv_loop_t *loop, char *host, size_t hostlen, int *port)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss), p, rc;
    struct gw_metrics *M = &s->metrics;

    M->reg = cn_metrics_create();
    M->req = cn_metrics_counter(M->reg, "cairn_gateway_requests_total",
                               "requests answered, by S3 operation and HTTP status", "op,status");
    M->lat = cn_metrics_histogram(M->reg, "cairn_gateway_request_duration_seconds",
                                 "request latency by S3 operation", "op",
                                 cn_metrics_latency_buckets, CN_METRICS_LATENCY_NBUCKETS);
    M->bin = cn_metrics_counter(M->reg, "cairn_gateway_bytes_in_total",
                               "request body bytes received", NULL);
    M->bout = cn_metrics_counter(M->reg, "cairn_gateway_bytes_out_total",
                                "response bytes sent", NULL);
    M->ring = cn_metrics_gauge(M->reg, "cairn_gateway_ring_info",
                              "ring checksums this gateway holds (labels), always 1",
                              "node,ring_cur,ring_prev");
    M->ec_reads = cn_metrics_counter(M->reg, "cairn_gateway_ec_reads_total",
                                    "erasure-coded chunk reads: normal (data fragments only), "
                                    "degraded (rebuilt from parity), failed (too few fragments)",
                                    "kind");
    M->ec_handoffs = cn_metrics_counter(M->reg, "cairn_gateway_ec_handoffs_total",
                                       "fragments of acked coded writes that did not land and "
                                       "were handed to a storage node's repair queue", NULL);
    *port = 0;
    if (s->conf.metrics_listen == NULL || s->conf.metrics_listen[0] == '\0')
        return 0;
    if (cn_parse_hostport(s->conf.metrics_listen, host, hostlen, &p) != 0 || p < 0 || p > 65535)
        return CN_EINVAL;
    if ((rc = uv_ip4_addr(host, p, (struct sockaddr_in *)&ss)) != 0 &&
        (rc = uv_ip6_addr(host, p, (struct sockaddr_in6 *)&ss)) != 0)
        return CN_EINVAL;
    uv_tcp_init(loop, &M->listener);
    M->listener.data = s;
    M->listening = 1;
    if ((rc = uv_tcp_bind(&M->listener, (struct sockaddr *)&ss, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&M->listener, 64, on_conn)) != 0) {
        CN_LOG(CN_LOG_ERROR, "metrics_listen=%s: %s", s->conf.metrics_listen, uv_strerror(rc));
        return rc == UV_EADDRINUSE ? CN_EBUSY : CN_EIO;
    }
    uv_tcp_getsockname(&M->listener, (struct sockaddr *)&ss, &len);
    *port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    CN_LOG(CN_LOG_INFO, "metrics listening on %s:%d", host, *port);
    return 0;
}

void gw_metrics_stop(gw_server_t *s)
{
    if (s->metrics.listening) {
        uv_close((uv_handle_t *)&s->metrics.listener, NULL);
        s->metrics.listening = 0;
    }
}

void gw_metrics_dispose(gw_server_t *s)
{
    cn_metrics_destroy(s->metrics.reg);
    s->metrics.reg = NULL;
}
