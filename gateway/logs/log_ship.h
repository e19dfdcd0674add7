/*
 * gateway/logs/log_ship.h: the delivery of server access logs (log_ship.c): records are
 * queued on disk (log_queue.h) per target bucket and prefix, the queue is synced once a
 * second, and each batch (a sealed segment: [gateway] log_flush_ms old or log_batch_size
 * big) becomes one object in its target bucket, owned by that bucket's owner, removed from
 * the queue once storage acknowledged the put. Its state is worker 0's (struct gw_alog in
 * its gw_server_t), on its loop; another worker hands its records over through the inbox
 * (a mutex and an async wake-up), and worker 0 queues them (gateway/workers.h).
 */
#ifndef CAIRN_GATEWAY_LOG_SHIP_H
#define CAIRN_GATEWAY_LOG_SHIP_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "common/metrics.h"
#include "gateway/logs/log_queue.h"

typedef struct gw_server gw_server_t;

struct gw_alog {
    int started;
    gw_logq_t q;
    uv_timer_t sync_timer;     /* 1 s: fsync what changed */
    uv_timer_t flush_timer;    /* seals old segments, delivers the next batch */
    gw_logq_seg_t *inflight;   /* the batch being put, NULL when none */
    uint64_t retry_at_ms;      /* after a failed put: no delivery before this */
    unsigned fails;            /* failed puts in a row (backoff) */
    uint64_t warned_at_ms;     /* the last "cannot queue" warning (one per 10 s) */
    cn_metric_t *m_queued, *m_delivered, *m_dropped;
    pthread_mutex_t inbox_lock;       /* guards inbox, inbox_tail */
    struct gw_alog_rec *inbox, **inbox_tail; /* records other workers handed over */
    uv_async_t inbox_async;           /* wakes worker 0 to queue them */
};

/** Opens the queue ([gateway] log_queue_dir, default <tmp_dir>/access-log-queue; records a previous run left are delivered as
 *  they were) and starts the timers; registers the metrics (after gw_metrics_start).
 *  0 or a CN_E* code. */
int gw_alog_start(gw_server_t *s);
/** Stops the timers (the loop then closes them); what is queued stays on disk. */
void gw_alog_stop(gw_server_t *s);
/** After the loop has returned: fsyncs and closes the queue (a clean stop loses nothing). */
void gw_alog_close(gw_server_t *s);
/** 1 when records can be queued: from gw_alog_start to gw_alog_close (the requests h2o
 *  disposes of while the gateway stops are still queued). */
int gw_alog_enabled(const gw_server_t *s);
/** Queues one log line (len bytes, ending in '\n') for target bucket and prefix (from any
 *  worker: another than 0 hands it to worker 0). A record that cannot be written (full
 *  disk) is dropped, counted and warned about. */
void gw_alog_enqueue(gw_server_t *s, const char *target, const char *prefix, const char *line,
                     size_t len);

#endif
