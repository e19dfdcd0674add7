/*
 * gateway/gateway.h: the gateway server (struct gw_server), its configuration and the
 * per-request context shared by the S3 operation files.
 *
 * Threads (issue 19; gateway/workers.h, docs/DESIGN.md "Gateway threads"): the gateway runs
 * [gateway] threads loops, each with its own struct gw_server (a worker): its loop, h2o
 * contexts, listeners on the shared ports, storage and manager clients, key questions and
 * request ids. A worker's fields are its thread's alone, but for what `sh` points to (the
 * state the workers share: the manager's tables as a snapshot, the caches, the connection
 * count, the TLS context) and the views of the tables in `mgr`, which gw_mgr_sync refreshes
 * between callbacks. Worker 0 runs on the main thread and alone runs the manager's heartbeat,
 * the cache's invalidation feed, /metrics, access-log delivery and the signals.
 *
 * Lifetime of a request context (gw_req_t): allocated with cn_calloc when h2o calls the
 * handler; a small slot in req->pool points back at it and its dispose callback clears r->http.req
 * (the request is gone). The context is freed once the request is gone AND no RPC is pending
 * (r->http.pending == 0), so a late RPC completion never touches a freed h2o_req_t.
 */
#ifndef CAIRN_GATEWAY_GATEWAY_H
#define CAIRN_GATEWAY_GATEWAY_H

#define H2O_USE_LIBUV 1
#include <h2o.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "gateway/s3/route.h"
#include "gateway/auth/s3_auth.h"
#include "gateway/s3/s3_error.h"
#include "gateway/s3/s3_req.h"
#include "gateway/http/body_pager.h"
#include "gateway/cache/cache.h"
#include "gateway/http/metrics_http.h"
#include "gateway/link/key_ask.h"
#include "gateway/link/sse_keys.h"
#include "gateway/link/mgr_link.h"
#include "gateway/link/stor_link.h"
#include "gateway/logs/log_ship.h"
#include "gateway/link/tables.h"

#define GW_SERVER_MAGIC 0x67777372u /* "gwsr" */

struct gw_conf {
    struct gw_cache_conf cache; /* [cache] (cache.h) */
    char *name;
    char *s3_listen;
    char *region;
    char *domain;
    uint64_t chunk_size;
    uint64_t max_object_size;
    uint64_t rpc_timeout_ms;
    char *mgr_addresses; /* [manager] addresses: the list, as configured */
    char *secret;
    uint64_t heartbeat_ms;
    char *rest_listen;
    int rest_enabled;
    int rest_trust_loopback;
    int sse_c_allow_http;  /* SSE-C over plain HTTP (s3_sse.c) */
    int log_level;
    char *log_file;
    /* limits and TLS (gateway/http/tls.c, issue 8) */
    uint64_t threads;            /* loop threads (workers.c); 0 = one per core */
    uint64_t max_connections;    /* open client connections; beyond: 503 SlowDown and close */
    uint64_t request_timeout_ms; /* h2o's HTTP/1 request and HTTP/2 idle timeouts (slowloris) */
    char *tls_listen;            /* "" = no HTTPS listener */
    char *tls_cert;
    char *tls_key;
    char *rest_tls_listen;       /* "" = no HTTPS REST listener (needs rest_enabled) */
    char *tls_ciphers;           /* OpenSSL cipher list for TLS 1.2 ("" = OpenSSL's) */
    char *tls_min_version;       /* "1.2" or "1.3" */
    char *tmp_dir; /* h2o's temp files for request bodies over 4 MiB (gateway/http/body_pager.c) */
    char *metrics_listen; /* GET /metrics and /health (gateway/http/metrics_http.c); "" = off */
    uint64_t lc_day_seconds; /* [lifecycle] day_seconds: a lifecycle day (x-amz-expiration) */
    uint64_t sse_key_cache_s; /* how long a KEK of the key service is kept (sse_keys.h) */
    uint64_t ec_min_object;   /* an ec bucket's objects this large and over are coded */
    uint64_t ec_write_quorum; /* fragments durable before a coded chunk is acked (0: K+1) */
    uint64_t ec_hedge_ms;     /* a fragment read slower than this: parity is read too; a
                               * write's stragglers after its quorum: handed over */
    /* server access logs (gateway/logs/log_ship.c) */
    char *log_queue_dir;     /* "" = <tmp_dir>/access-log-queue */
    uint64_t log_flush_ms;   /* a batch is delivered once its first record is this old */
    uint64_t log_batch_size; /* ... or once it is this big */
    uint64_t log_queue_max;  /* past this, the oldest batch is dropped */
};

typedef struct gw_server gw_server_t;
typedef struct gw_shared gw_shared_t; /* gateway/workers.h */

struct gw_server {
    uint32_t magic;
    gw_shared_t *sh;        /* what the workers share (workers.h) */
    unsigned idx;           /* this worker's index; 0: the main thread's */
    gw_tables_t *tabs;      /* the snapshot this worker reads (gw_mgr_sync), referenced */
    gw_tables_t **retired;  /* snapshots it moved off, released at its loop's next turn (a
                               snapshot is shared: the list is this worker's, not in it) */
    size_t nretired, retired_cap;
    uv_prepare_t turn;      /* that turn (gw_mgr_release_retired) */
    gw_cache_t *cache;      /* object caches (cache.c), NULL before start */
    uv_loop_t *loop;
    struct gw_conf conf;
    char host[64];
    int port;               /* the real S3 port once listening */
    /* h2o */
    h2o_globalconf_t h2o_cfg;
    h2o_context_t h2o_ctx;
    h2o_accept_ctx_t accept_ctx;
    uv_tcp_t listener;
    int listening;
    /* REST listener (plain PUT/GET/HEAD/DELETE /bucket/key, no S3 auth; see http.c) */
    h2o_globalconf_t rest_cfg;
    h2o_context_t rest_ctx;
    h2o_accept_ctx_t rest_accept_ctx;
    uv_tcp_t rest_listener;
    int rest_listening;
    char rest_host[64];
    int rest_port;
    /* HTTPS listener (gateway/http/tls.c): the S3 handler and context behind OpenSSL */
    h2o_accept_ctx_t tls_accept_ctx;
    uv_tcp_t tls_listener;
    int tls_listening;
    char tls_host[64];
    int tls_port;
    void *tls_ssl_ctx;      /* SSL_CTX *, NULL without TLS; replaced by gw_tls_reload */
    uint64_t tls_gen;       /* the shared context's gen this worker serves (gw_tls_sync) */
    /* HTTPS REST listener: the REST handler and context behind the same SSL_CTX */
    h2o_accept_ctx_t rest_tls_accept_ctx;
    uv_tcp_t rest_tls_listener;
    int rest_tls_listening;
    char rest_tls_host[64];
    int rest_tls_port;
    /* cluster */
    struct gw_mgr mgr;
    struct gw_keyask keyask; /* access keys the users table lacks, asked of the manager */
    struct gw_ssekeys ssekeys; /* the key service's KEKs, asked of the managers (sse_keys.h) */
    struct gw_stor stor;    /* the storage nodes' clients and what the manager says of them */
    uint64_t reqid_seed, reqid_ctr;
    gw_body_pager_t pager;  /* drops h2o's mapped request bodies from RSS (body_pager.c) */
    struct gw_metrics metrics; /* /metrics and /health (metrics_http.c) */
    struct gw_alog alog;    /* server access logs: the queue and its delivery (log_ship.c) */
    uv_async_t wake;        /* another thread published tables, or asks this one to stop */
    int stopping;
};

#endif
