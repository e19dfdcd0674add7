/*
 * gateway/http/metrics_http.h: the gateway's GET /metrics and GET /health listener and its request
 * counters (metrics_http.c). Its state is per gateway (struct gw_metrics in gw_server_t).
 * Loop thread only.
 */
#ifndef CAIRN_GATEWAY_METRICS_HTTP_H
#define CAIRN_GATEWAY_METRICS_HTTP_H

#include <stddef.h>
#define H2O_USE_LIBUV 1
#include <h2o.h>
#include <uv.h>

#include "common/metrics.h"

typedef struct gw_server gw_server_t;
typedef struct gw_req gw_req_t;

struct gw_metrics {
    uv_tcp_t listener;
    int listening;
    cn_metrics_t *reg;
    cn_metric_t *req, *lat, *bin, *bout, *ring;
    cn_metric_t *ec_reads;     /* coded chunk reads by kind: normal, degraded, failed */
    cn_metric_t *ec_handoffs;  /* fragments of acked writes handed to a repair queue */
};

/** Creates the registry; listens on conf.metrics_listen unless empty (*port = 0 then).
 *  0 or a CN_E* code. */
int gw_metrics_start(gw_server_t *s, uv_loop_t *loop, char *host, size_t hostlen, int *port);
/** Closes the listener (run the loop afterwards). */
void gw_metrics_stop(gw_server_t *s);
/** Frees the registry once the loop has returned. */
void gw_metrics_dispose(gw_server_t *s);
/** Counts one finished request (when h2o disposes of req, s3_req.c). */
void gw_metrics_request(gw_req_t *r, const h2o_req_t *req);

#endif
