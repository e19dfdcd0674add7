/*
 * gateway/logs/log_ship.c: the delivery of server access logs (see log_ship.h).
 *
 * Durability: a record is written to its segment at once and fsynced within a second (the
 * sync timer), so a crash of the gateway or its host loses at most the last second; a clean
 * stop fsyncs everything, and the next start delivers what is left (gw_logq_open replays the
 * directory). A batch is removed only once its put is acknowledged; a crash between the
 * acknowledgement and the removal puts it again under the same key (the key is made from the
 * segment, not the clock), so a log object is never doubled, only rewritten.
 *
 * Memory is bounded: one batch is read and put at a time (at most log_batch_size, itself
 * kept under chunk_size so a log object is one record). Disk is bounded by log_queue_max:
 * past it the oldest batch not in flight is dropped, with a warning and
 * cairn_gateway_access_log_records_dropped_total. An unreachable cluster or a failed put
 * keeps the batch queued and retries with a backoff (1 s doubling to 64 s).
 */
#include "gateway/logs/log_ship.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "gateway/gateway.h"
#include "gateway/workers.h"
#include "gateway/s3/manifest.h"
#include "gateway/s3/s3_object.h"
#include "common/version.h"

#define WARN_EVERY_MS 10000

/* the batch size actually used: a log object must fit in one record (no chunks) */
static uint64_t batch_limit(const gw_server_t *s)
{
    uint64_t b = s->conf.log_batch_size, c = s->conf.chunk_size / 2;

    return b < c ? b : c;
}

int gw_alog_enabled(const gw_server_t *s)
{
    /* worker 0's queue: set before the other workers start, cleared after they end */
    return s->sh->w[0]->alog.q.dir != NULL;
}

static void count(cn_metric_t *m, double v)
{
    if (m != NULL)
        cn_metric_add(m, NULL, v);
}

/* Drops the oldest segment not in flight; 0 when there is none. */
static int drop_oldest(gw_server_t *s)
{
    struct gw_alog *A = &s->alog;
    gw_logq_seg_t *seg = A->q.segs;

    while (seg != NULL && seg->busy)
        seg = seg->next;
    if (seg == NULL)
        return 0;
    CN_LOG(CN_LOG_WARN, "access log queue over log_queue_max (%" PRIu64 " bytes): the oldest "
           "batch, %" PRIu64 " records for bucket %s, is dropped", s->conf.log_queue_max,
           seg->nrecs, seg->bucket);
    count(A->m_dropped, (double)seg->nrecs);
    gw_logq_remove(seg);
    return 1;
}

static void deliver_next(gw_server_t *s);

/* A record another worker handed to worker 0 (gw_alog_enqueue), in one allocation. */
struct gw_alog_rec {
    struct gw_alog_rec *next;
    size_t len;
    char *target, *prefix;
    char line[]; /* line, then target and prefix, each NUL-terminated */
};

static void queue_record(gw_server_t *s, const char *target, const char *prefix,
                         const char *line, size_t len);

/* Worker 0: queues what the other workers handed over, in the order they did. */
static void drain_inbox(gw_server_t *s)
{
    struct gw_alog *A = &s->alog;
    struct gw_alog_rec *r;

    pthread_mutex_lock(&A->inbox_lock);
    r = A->inbox;
    A->inbox = NULL;
    A->inbox_tail = &A->inbox;
    pthread_mutex_unlock(&A->inbox_lock);
    while (r != NULL) {
        struct gw_alog_rec *next = r->next;

        queue_record(s, r->target, r->prefix, r->line, r->len);
        cn_free(r);
        r = next;
    }
}

static void on_inbox(uv_async_t *a)
{
    drain_inbox(a->data);
}

void gw_alog_enqueue(gw_server_t *s, const char *target, const char *prefix, const char *line,
                     size_t len)
{
    struct gw_alog *A = &s->sh->w[0]->alog;
    struct gw_alog_rec *r;
    size_t tl, pl;

    if (s->idx == 0) {
        queue_record(s, target, prefix, line, len);
        return;
    }
    /* another worker: the queue is worker 0's alone (its files, timers and fsyncs live on
     * its loop); the record waits in memory for a moment, as a record on disk waits for the
     * next fsync */
    if (A->q.dir == NULL)
        return;
    tl = strlen(target);
    pl = strlen(prefix);
    r = cn_malloc(sizeof(*r) + len + tl + pl + 3);
    r->next = NULL;
    r->len = len;
    memcpy(r->line, line, len);
    r->line[len] = '\0';
    r->target = r->line + len + 1;
    memcpy(r->target, target, tl + 1);
    r->prefix = r->target + tl + 1;
    memcpy(r->prefix, prefix, pl + 1);
    pthread_mutex_lock(&A->inbox_lock);
    *A->inbox_tail = r;
    A->inbox_tail = &r->next;
    pthread_mutex_unlock(&A->inbox_lock);
    uv_async_send(&A->inbox_async);
}

static void queue_record(gw_server_t *s, const char *target, const char *prefix,
                         const char *line, size_t len)
{
    struct gw_alog *A = &s->alog;
    gw_logq_seg_t *seg;
    uint64_t now = cn_now_ms();
    int rc;

    if (A->q.dir == NULL)
        return; /* not started, or closed; after gw_alog_stop records are still queued */
    seg = gw_logq_find_open(&A->q, target, prefix);
    rc = gw_logq_append(&A->q, seg, target, prefix, (int64_t)(now / 1000), line, len, &seg);
    if (rc != 0) {
        count(A->m_dropped, 1);
        if (now - A->warned_at_ms >= WARN_EVERY_MS) {
            A->warned_at_ms = now;
            CN_LOG(CN_LOG_WARN, "access log queue %s: a record for bucket %s cannot be "
                   "written (%s): dropped (more are counted in "
                   "cairn_gateway_access_log_records_dropped_total)", A->q.dir,
                   target, cn_strerror(rc));
        }
        return;
    }
    count(A->m_queued, 1);
    while (A->q.bytes > s->conf.log_queue_max && drop_oldest(s))
        ;
    if (seg->bytes >= batch_limit(s) && A->started) {
        gw_logq_seal(seg);
        deliver_next(s);
    }
}

/* ---- delivery ------------------------------------------------------------------------------ */

/* The log object's key in bucket b: "b/<prefix>YYYY-mm-DD-HH-MM-SS-<16 hex>", the time the
 * segment's first record came and a unique part of this gateway's name and the segment. */
static void object_key(const gw_server_t *s, const gw_logq_seg_t *seg, cn_buf_t *key)
{
    time_t t = (time_t)seg->created_s;
    struct tm tm;
    char when[32];
    uint32_t gw = cn_crc32c(0, s->conf.name, strlen(s->conf.name));

    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d-%H-%M-%S", &tm);
    cn_buf_appendf(key, "%s/%s%s-%06" PRIX32 "%010" PRIX64, seg->bucket, seg->prefix, when,
                   gw & 0xffffff, (uint64_t)(seg->seq & 0xffffffffffull));
}

static void batch_failed(gw_server_t *s, gw_logq_seg_t *seg, const char *why)
{
    struct gw_alog *A = &s->alog;
    uint64_t wait = 1000ull << (A->fails < 6 ? A->fails : 6);

    seg->busy = 0;
    A->fails++;
    A->retry_at_ms = cn_now_ms() + wait;
    CN_LOG(CN_LOG_WARN, "access log batch for bucket %s (%" PRIu64 " records) not delivered: "
           "%s; kept, retried in %" PRIu64 " ms", seg->bucket, seg->nrecs, why, wait);
}

static void on_put(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    struct gw_alog *A = &s->alog;
    gw_logq_seg_t *seg = A->inflight;
    int rc = status ? status : cn_msg_rc(resp);

    if (resp)
        cn_msg_free(resp);
    A->inflight = NULL;
    if (seg == NULL || !A->started)
        return; /* stopping: the batch stays on disk for the next start */
    if (rc != 0) {
        batch_failed(s, seg, cn_strerror(rc));
        return;
    }
    A->fails = 0;
    count(A->m_delivered, (double)seg->nrecs);
    gw_logq_remove(seg);
    deliver_next(s);
}

/* The put of body as key in bucket b: owned by b's owner, private, text/plain. */
static cn_msg_t *put_msg(const gw_bucket_t *b, const cn_buf_t *key, const cn_buf_t *body,
                         uint64_t clock)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT);
    gw_meta_t meta = {0};
    uint8_t md5[CN_MD5_LEN];
    char etag[2 * CN_MD5_LEN + 1];
    cn_buf_t mb;

    cn_buf_init(&mb);
    gw_meta_add(&meta, "content-type", 12, "text/plain", 10);
    gw_meta_add_access(&meta, b->owner, "private", NULL);
    gw_meta_encode(&meta, &mb);
    gw_meta_dispose(&meta);
    cn_md5(body->data ? body->data : "", body->len, md5);
    cn_hex(md5, sizeof(md5), etag);
    cn_msg_set_bytes(m, "key", key->data, key->len);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", etag);
    cn_msg_set_bytes(m, "meta", mb.data ? mb.data : "", mb.len);
    cn_msg_set_u64(m, "flags", 0);
    cn_msg_set_body_copy(m, body->data ? body->data : "", body->len);
    cn_buf_dispose(&mb);
    return m;
}

/* Puts seg as one object in its target bucket. */
static void deliver(gw_server_t *s, gw_logq_seg_t *seg)
{
    struct gw_alog *A = &s->alog;
    const gw_bucket_t *b = gw_mgr_bucket_find(s, seg->bucket);
    cn_buf_t body, key;
    uint64_t clock = 0;
    int rc;

    if (b == NULL || b->owner == NULL) {
        CN_LOG(CN_LOG_WARN, "access log target bucket %s does not exist: %" PRIu64 " records "
               "dropped", seg->bucket, seg->nrecs);
        count(A->m_dropped, (double)seg->nrecs);
        gw_logq_remove(seg);
        return;
    }
    cn_buf_init(&body);
    cn_buf_init(&key);
    if ((rc = gw_logq_read(seg, &body)) != 0) {
        batch_failed(s, seg, cn_strerror(rc));
        goto out;
    }
    object_key(s, seg, &key);
    if (b->versioning == GW_VER_ENABLED) { /* a new version, as a PUT makes */
        char vid[CN_VER_ID_LEN + 1];
        cn_buf_t base;

        clock = cn_hlc_next();
        cn_ver_id_make(clock, vid);
        cn_buf_init(&base);
        cn_buf_append(&base, key.data, key.len);
        cn_ver_key(&key, base.data, base.len, vid, CN_VER_ID_LEN);
        cn_buf_dispose(&base);
    }
    seg->busy = 1;
    A->inflight = seg;
    if (gw_obj_write_send(s, key.data, key.len, put_msg(b, &key, &body, clock), on_put, s) !=
        0) {
        A->inflight = NULL;
        batch_failed(s, seg, "no storage node to send it to");
    }
out:
    cn_buf_dispose(&body);
    cn_buf_dispose(&key);
}

/* Starts the delivery of the oldest sealed batch, unless one is in flight or a retry waits. */
static void deliver_next(gw_server_t *s)
{
    struct gw_alog *A = &s->alog;

    if (!A->started || A->inflight != NULL || s->stopping || !gw_mgr_ready(s) ||
        !s->mgr.buckets_loaded || cn_now_ms() < A->retry_at_ms)
        return;
    for (gw_logq_seg_t *seg = A->q.segs; seg != NULL; seg = seg->next)
        if (seg->sealed && !seg->busy) {
            deliver(s, seg);
            if (A->inflight != NULL || A->retry_at_ms > cn_now_ms())
                return;
            deliver_next(s); /* that one was dropped: the next */
            return;
        }
}

/* ---- timers -------------------------------------------------------------------------------- */

static void on_sync(uv_timer_t *t)
{
    gw_server_t *s = t->data;

    gw_logq_sync(&s->alog.q);
}

static void on_flush(uv_timer_t *t)
{
    gw_server_t *s = t->data;
    int64_t now_s = (int64_t)(cn_now_ms() / 1000);
    int64_t age_s = (int64_t)((s->conf.log_flush_ms + 999) / 1000);

    for (gw_logq_seg_t *seg = s->alog.q.segs; seg != NULL; seg = seg->next)
        if (!seg->sealed && now_s - seg->created_s >= age_s)
            gw_logq_seal(seg);
    deliver_next(s);
}

int gw_alog_start(gw_server_t *s)
{
    struct gw_alog *A = &s->alog;
    uint64_t tick = s->conf.log_flush_ms < 1000 ? s->conf.log_flush_ms : 1000;
    char dir[4096];
    int rc;

    /* default: under tmp_dir, which operators already point at the gateway's own disk */
    if (s->conf.log_queue_dir != NULL && s->conf.log_queue_dir[0])
        snprintf(dir, sizeof(dir), "%s", s->conf.log_queue_dir);
    else if (s->conf.tmp_dir != NULL && s->conf.tmp_dir[0])
        snprintf(dir, sizeof(dir), "%s/access-log-queue", s->conf.tmp_dir);
    else
        snprintf(dir, sizeof(dir), "access-log-queue");
    if ((rc = gw_logq_open(&A->q, s->loop, dir)) != 0) {
        CN_LOG(CN_LOG_ERROR, "gateway.log_queue_dir %s: %s", dir, cn_strerror(rc));
        return rc;
    }
    pthread_mutex_init(&A->inbox_lock, NULL);
    A->inbox_tail = &A->inbox;
    /* never closed: other workers may send until they are joined (gw_alog_close drains) */
    uv_async_init(s->loop, &A->inbox_async, on_inbox);
    A->inbox_async.data = s;
    uv_unref((uv_handle_t *)&A->inbox_async);
    if (s->metrics.reg != NULL) {
        A->m_queued = cn_metrics_counter(s->metrics.reg,
                                         "cairn_gateway_access_log_records_queued_total",
                                         "server access log records queued on disk", NULL);
        A->m_delivered = cn_metrics_counter(
            s->metrics.reg, "cairn_gateway_access_log_records_delivered_total",
            "server access log records delivered to their target bucket", NULL);
        A->m_dropped = cn_metrics_counter(
            s->metrics.reg, "cairn_gateway_access_log_records_dropped_total",
            "server access log records dropped (queue full, disk error, target gone)", NULL);
    }
    if (A->q.segs != NULL)
        CN_LOG(CN_LOG_INFO, "access log queue %s: %" PRIu64 " bytes left by the last run, to "
               "deliver", A->q.dir, A->q.bytes);
    uv_timer_init(s->loop, &A->sync_timer);
    uv_timer_init(s->loop, &A->flush_timer);
    A->sync_timer.data = A->flush_timer.data = s;
    uv_timer_start(&A->sync_timer, on_sync, 1000, 1000);
    uv_timer_start(&A->flush_timer, on_flush, tick, tick);
    A->started = 1;
    return 0;
}

void gw_alog_stop(gw_server_t *s)
{
    struct gw_alog *A = &s->alog;

    if (!A->started)
        return;
    uv_close((uv_handle_t *)&A->sync_timer, NULL);
    uv_close((uv_handle_t *)&A->flush_timer, NULL);
    A->started = 0;
    A->inflight = NULL; /* its answer, if any, finds started 0 and leaves the batch queued */
}

void gw_alog_close(gw_server_t *s)
{
    if (s->alog.q.dir != NULL) {
        drain_inbox(s); /* the other workers have ended: their last records */
        gw_logq_close(&s->alog.q);
    }
}
