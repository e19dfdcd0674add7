/*
 * storage/metrics.c: cairn-storage's Prometheus metrics ([storage] metrics_listen serves
 * GET /metrics and GET /health through storage/metrics_http.c):
 *   cairn_storage_requests_total{op,rc}           answered RPC requests (rc "ok" or a name)
 *   cairn_storage_request_duration_seconds{op}    latency histogram
 *   cairn_storage_bytes_in_total / _bytes_out_total   object bytes received / sent
 *   cairn_storage_repair_queue_depth, _repair_inflight, cairn_storage_repair_retries_total,
 *   cairn_storage_repair_done_total, cairn_storage_repair_dropped_total
 *   cairn_storage_rebalance_{running,scanned,queued,done}   the rebalance walk
 *   cairn_storage_move_{keys,bytes}_total, cairn_storage_move_{keys,bytes}_per_second,
 *   cairn_storage_move_window (jobs in flight), cairn_storage_move_rate_limit_bytes,
 *   cairn_storage_move_budget_bytes_per_second (the rate in force, fixed or adaptive),
 *   cairn_storage_foreground_p99_seconds{phase="last"|"idle"}   batched moves and their
 *     budget (storage/cluster/move_rate.c)
 *   cairn_storage_compaction_running, cairn_storage_compaction_containers{phase},
 *   cairn_storage_compaction_reclaimed_bytes
 *   cairn_storage_disk_bytes, cairn_storage_index_bytes
 *   cairn_storage_index_memory_bytes{kind}       the index's RocksDB memtables, block cache
 *   cairn_storage_engine_ops_total{op}
 *   cairn_storage_scrub_records_total{result}    records the scrub read: ok, bad (corrupt)
 *   cairn_storage_ec_fragments_rebuilt_total{result}   fragments the repair queue rebuilt
 *     from their chunks' others (ok), or could not yet (failed) (frag_rebuild.c)
 *   cairn_storage_ring_info{node,ring_cur,ring_prev} 1   ring checksums as labels
 * Threads: requests are counted from the loop; the loop's cron copies loop-owned state
 * (repair queue, rebalance, rings) into gauges once a second; the listener thread reads
 * the engine (thread-safe) just before each scrape.
 */
#include "storage/storage.h"

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "storage/cluster/cluster.h"
#include "storage/metrics_http.h"
#include "storage/xdc/xdc.h"

#define STOR_METRICS_MAGIC 0x534d4554u /* "SMET" */

struct stor_metrics {
    uint32_t magic;
    struct stor_server *s;
    cn_metrics_t *reg;
    cn_mhttp_t *http;
    cn_metric_t *req, *lat, *bin, *bout;
    cn_metric_t *rq_depth, *rq_inflight, *rq_retries, *rq_done, *rq_dropped;
    cn_metric_t *rb_running, *rb_scanned, *rb_queued, *rb_done;
    cn_metric_t *mv_keys, *mv_bytes, *mv_keys_s, *mv_bytes_s, *mv_window, *mv_limit, *mv_budget,
        *fg_p99;
    uint64_t last_mv_keys, last_mv_bytes;
    cn_metric_t *cp_running, *cp_containers, *cp_reclaimed;
    cn_metric_t *disk, *index, *index_mem, *eng_ops, *ring, *scrub, *frag;
    uint64_t last_scrub_ok, last_scrub_bad, last_frag_ok, last_frag_failed;
    cn_metric_t *lc_running, *lc_passes, *lc_actions, *lc_errors;
    cn_metric_t *xdc_lag, *xdc_lag_s, *xdc_sent, *xdc_errors, *xdc_skipped, *xdc_alarm;
    /* last values copied into counters (loop thread) */
    uint64_t last_retries, last_done, last_dropped;
    uint64_t last_eng[4];
    pthread_mutex_t eng_lock;
};

double stor_metrics_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *rc_label(int rc)
{
    return rc == 0 ? "ok" : cn_strerror(rc);
}

void stor_metrics_request(struct stor_server *s, const char *op, int rc, double seconds,
                          uint64_t bytes_in, uint64_t bytes_out)
{
    struct stor_metrics *m = s->metrics;

    if (m == NULL)
        return;
    cn_metric_add(m->req, (const char *[]){op, rc_label(rc)}, 1);
    cn_metric_observe(m->lat, (const char *[]){op}, seconds);
    if (bytes_in)
        cn_metric_add(m->bin, NULL, (double)bytes_in);
    if (bytes_out)
        cn_metric_add(m->bout, NULL, (double)bytes_out);
}

static void add_delta(cn_metric_t *f, uint64_t now, uint64_t *last)
{
    if (now > *last)
        cn_metric_add(f, NULL, (double)(now - *last));
    *last = now;
}

void stor_metrics_cron(struct stor_server *s)
{
    struct stor_metrics *m = s->metrics;
    uint64_t depth, inflight, retries, done, dropped, running, scanned, queued, rdone, rdrop;
    stor_move_stats_t ms;
    stor_lc_stats_t lcs;
    char cur[17], prev[17];

    if (m == NULL)
        return;
    stor_repair_q_counts(s, &depth, &inflight, &retries, &done, &dropped);
    cn_metric_set(m->rq_depth, NULL, (double)depth);
    cn_metric_set(m->rq_inflight, NULL, (double)inflight);
    add_delta(m->rq_retries, retries, &m->last_retries);
    add_delta(m->rq_done, done, &m->last_done);
    add_delta(m->rq_dropped, dropped, &m->last_dropped);
    stor_recoverer_rebalance_progress(s, &running, &scanned, &queued, &rdone, &rdrop);
    cn_metric_set(m->rb_running, NULL, (double)running);
    cn_metric_set(m->rb_scanned, NULL, (double)scanned);
    cn_metric_set(m->rb_queued, NULL, (double)queued);
    cn_metric_set(m->rb_done, NULL, (double)rdone);
    cn_metric_add(m->frag, (const char *[]){"ok"}, (double)(s->frag_rebuilt - m->last_frag_ok));
    m->last_frag_ok = s->frag_rebuilt;
    cn_metric_add(m->frag, (const char *[]){"failed"},
                  (double)(s->frag_rebuild_failed - m->last_frag_failed));
    m->last_frag_failed = s->frag_rebuild_failed;
    stor_move_rate_stats(s, &ms);
    add_delta(m->mv_keys, ms.keys, &m->last_mv_keys);
    add_delta(m->mv_bytes, ms.bytes, &m->last_mv_bytes);
    cn_metric_set(m->mv_keys_s, NULL, ms.rate_keys);
    cn_metric_set(m->mv_bytes_s, NULL, ms.rate_bytes);
    cn_metric_set(m->mv_window, NULL, (double)ms.window);
    cn_metric_set(m->mv_limit, NULL, (double)ms.rate_limit);
    cn_metric_set(m->mv_budget, NULL, (double)ms.rate_now);
    cn_metric_set(m->fg_p99, (const char *[]){"last"}, ms.fg_p99_ms / 1000.0);
    cn_metric_set(m->fg_p99, (const char *[]){"idle"}, ms.fg_idle_p99_ms / 1000.0);
    stor_lc_stats(s, &lcs);
    cn_metric_set(m->lc_running, NULL, lcs.running);
    cn_metric_set(m->lc_passes, NULL, (double)lcs.passes);
    cn_metric_set(m->lc_actions, (const char *[]){"expired"}, (double)lcs.expired);
    cn_metric_set(m->lc_actions, (const char *[]){"noncurrent_deleted"},
                  (double)lcs.versions_deleted);
    cn_metric_set(m->lc_actions, (const char *[]){"marker_deleted"}, (double)lcs.markers_deleted);
    cn_metric_set(m->lc_actions, (const char *[]){"upload_aborted"}, (double)lcs.uploads_aborted);
    cn_metric_set(m->lc_errors, NULL, (double)lcs.errors);
    {
        stor_xdc_link_stats_t xs[STOR_XDC_LINKS_MAX];
        size_t n = stor_xdc_stats(s, xs, STOR_XDC_LINKS_MAX);

        for (size_t i = 0; i < n; i++) {
            const char *lv[] = {xs[i].id};

            cn_metric_set(m->xdc_lag, lv, (double)xs[i].lag_objects);
            cn_metric_set(m->xdc_lag_s, lv, (double)xs[i].lag_seconds);
            cn_metric_set(m->xdc_sent, lv, (double)xs[i].sent);
            cn_metric_set(m->xdc_errors, lv, (double)xs[i].errors);
            cn_metric_set(m->xdc_skipped, lv, (double)xs[i].skipped);
            cn_metric_set(m->xdc_alarm, lv, xs[i].needs_recover);
        }
    }
    cn_ring_checksum_hex(s->ring_cur ? cn_ring_checksum(s->ring_cur) : 0, cur);
    cn_ring_checksum_hex(s->ring_prev ? cn_ring_checksum(s->ring_prev) : 0, prev);
    cn_metric_clear(m->ring);
    cn_metric_set(m->ring, (const char *[]){s->conf->name, cur, prev}, 1);
}

static uint64_t dir_bytes_acc;

static int dir_bytes_fn(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
    (void)path;
    (void)f;
    if (flag == FTW_F)
        dir_bytes_acc += (uint64_t)sb->st_size;
    return 0;
}

/* Listener thread, before each scrape: what the engine says. */
static void fill(void *arg)
{
    struct stor_metrics *m = arg;
    struct stor_server *s = m->s;
    stor_compact_status_t cs;
    stor_scrub_status_t ss;
    stor_engine_stats_t es;
    uint64_t disk = 0, idx, memtables, block_cache;
    char path[4096];
    static const char *const eng_names[4] = {"put", "get", "delete", "list"};
    uint64_t eng_now[4];

    pthread_mutex_lock(&m->eng_lock);
    if (stor_engine_compact_status(s->engine, &cs) == 0) {
        cn_metric_set(m->cp_running, NULL, strcmp(cs.state, "running") == 0);
        cn_metric_set(m->cp_containers, (const char *[]){"total"}, cs.total);
        cn_metric_set(m->cp_containers, (const char *[]){"pending"}, cs.pending);
        cn_metric_set(m->cp_containers, (const char *[]){"done"}, cs.done);
        cn_metric_set(m->cp_containers, (const char *[]){"failed"}, cs.failed);
        cn_metric_set(m->cp_reclaimed, NULL, (double)cs.reclaimed_bytes);
    }
    if (stor_engine_scrub_status(s->engine, &ss) == 0 && ss.records >= ss.bad) {
        cn_metric_add(m->scrub, (const char *[]){"ok"},
                      (double)(ss.records - ss.bad - m->last_scrub_ok));
        cn_metric_add(m->scrub, (const char *[]){"bad"}, (double)(ss.bad - m->last_scrub_bad));
        m->last_scrub_ok = ss.records - ss.bad;
        m->last_scrub_bad = ss.bad;
    }
    if (stor_engine_disk_usage(s->engine, &disk) == 0)
        cn_metric_set(m->disk, NULL, (double)disk);
    if (s->conf->index_dir[0] != '\0')
        snprintf(path, sizeof(path), "%s", s->conf->index_dir);
    else
        snprintf(path, sizeof(path), "%s/%s", s->conf->data_dir,
                 strcmp(s->conf->engine, "simple") == 0 ? "simple" : "index");
    dir_bytes_acc = 0;
    nftw(path, dir_bytes_fn, 16, FTW_PHYS);
    idx = dir_bytes_acc;
    cn_metric_set(m->index, NULL, (double)idx);
    stor_engine_mem_usage(s->engine, &memtables, &block_cache);
    cn_metric_set(m->index_mem, (const char *[]){"memtables"}, (double)memtables);
    cn_metric_set(m->index_mem, (const char *[]){"block_cache"}, (double)block_cache);
    stor_engine_stats(s->engine, &es);
    eng_now[0] = es.puts;
    eng_now[1] = es.gets;
    eng_now[2] = es.deletes;
    eng_now[3] = es.lists;
    for (int i = 0; i < 4; i++) {
        if (eng_now[i] > m->last_eng[i])
            cn_metric_add(m->eng_ops, (const char *[]){eng_names[i]},
                          (double)(eng_now[i] - m->last_eng[i]));
        m->last_eng[i] = eng_now[i];
    }
    pthread_mutex_unlock(&m->eng_lock);
}

int stor_metrics_start(struct stor_server *s)
{
    struct stor_metrics *m = cn_calloc(1, sizeof(*m));
    cn_metrics_t *r = cn_metrics_create();
    int rc;

    m->magic = STOR_METRICS_MAGIC;
    m->s = s;
    m->reg = r;
    pthread_mutex_init(&m->eng_lock, NULL);
    m->req = cn_metrics_counter(r, "cairn_storage_requests_total",
                                "RPC requests answered, by op and result", "op,rc");
    m->lat = cn_metrics_histogram(r, "cairn_storage_request_duration_seconds",
                                  "RPC request latency by op", "op", cn_metrics_latency_buckets,
                                  CN_METRICS_LATENCY_NBUCKETS);
    m->bin = cn_metrics_counter(r, "cairn_storage_bytes_in_total", "object bytes received",
                                NULL);
    m->bout = cn_metrics_counter(r, "cairn_storage_bytes_out_total", "object bytes sent", NULL);
    m->rq_depth = cn_metrics_gauge(r, "cairn_storage_repair_queue_depth",
                                   "entries in the repair queue", NULL);
    m->rq_inflight = cn_metrics_gauge(r, "cairn_storage_repair_inflight",
                                      "repair queue entries being worked on", NULL);
    m->rq_retries = cn_metrics_counter(r, "cairn_storage_repair_retries_total",
                                       "failed repair attempts retried later", NULL);
    m->rq_done = cn_metrics_counter(r, "cairn_storage_repair_done_total",
                                    "repair queue entries done", NULL);
    m->rq_dropped = cn_metrics_counter(r, "cairn_storage_repair_dropped_total",
                                       "repair queue entries dropped", NULL);
    m->rb_running = cn_metrics_gauge(r, "cairn_storage_rebalance_running",
                                     "1 while the rebalance walk runs", NULL);
    m->rb_scanned = cn_metrics_gauge(r, "cairn_storage_rebalance_scanned",
                                     "keys scanned by the current/last rebalance walk", NULL);
    m->rb_queued = cn_metrics_gauge(r, "cairn_storage_rebalance_queued",
                                    "keys queued to move by the current/last walk", NULL);
    m->rb_done = cn_metrics_gauge(r, "cairn_storage_rebalance_done",
                                  "keys moved by the current/last walk", NULL);
    m->mv_keys = cn_metrics_counter(r, "cairn_storage_move_keys_total",
                                    "keys this node moved to peers (rebalance, recover-*, "
                                    "handoff)", NULL);
    m->mv_bytes = cn_metrics_counter(r, "cairn_storage_move_bytes_total",
                                     "body bytes this node moved to peers", NULL);
    m->mv_keys_s = cn_metrics_gauge(r, "cairn_storage_move_keys_per_second",
                                    "keys moved per second, lately", NULL);
    m->mv_bytes_s = cn_metrics_gauge(r, "cairn_storage_move_bytes_per_second",
                                     "body bytes moved per second, lately", NULL);
    m->mv_window = cn_metrics_gauge(r, "cairn_storage_move_window",
                                    "move jobs in flight now", NULL);
    m->mv_budget = cn_metrics_gauge(r, "cairn_storage_move_budget_bytes_per_second",
                                    "the move rate in force (cost bytes: bodies + 1 KiB a "
                                    "key), fixed or set by the adaptive controller", NULL);
    m->mv_limit = cn_metrics_gauge(r, "cairn_storage_move_rate_limit_bytes",
                                   "[replication] move_rate (0: adaptive)", NULL);
    m->fg_p99 = cn_metrics_gauge(r, "cairn_storage_foreground_p99_seconds",
                                 "p99 of the requests coordinated here: the last second's "
                                 "and the idle one the adaptive move rate compares it with",
                                 "phase");
    m->cp_running = cn_metrics_gauge(r, "cairn_storage_compaction_running",
                                     "1 while a compaction runs", NULL);
    m->cp_containers = cn_metrics_gauge(r, "cairn_storage_compaction_containers",
                                        "containers of the current/last compaction by phase",
                                        "phase");
    m->cp_reclaimed = cn_metrics_gauge(r, "cairn_storage_compaction_reclaimed_bytes",
                                       "bytes reclaimed by the current/last compaction", NULL);
    m->lc_running = cn_metrics_gauge(r, "cairn_storage_lifecycle_running",
                                     "1 while the lifecycle worker is in a pass", NULL);
    m->lc_passes = cn_metrics_gauge(r, "cairn_storage_lifecycle_passes",
                                    "lifecycle passes completed since the node started", NULL);
    m->lc_actions = cn_metrics_gauge(r, "cairn_storage_lifecycle_actions",
                                     "what the lifecycle worker did since the node started, "
                                     "by action", "action");
    m->lc_errors = cn_metrics_gauge(r, "cairn_storage_lifecycle_errors",
                                    "lifecycle actions that failed (the next pass retries)",
                                    NULL);
    m->disk = cn_metrics_gauge(r, "cairn_storage_disk_bytes",
                               "bytes used by the data files (containers)", NULL);
    m->index = cn_metrics_gauge(r, "cairn_storage_index_bytes",
                                "bytes used by the index directory", NULL);
    m->index_mem = cn_metrics_gauge(r, "cairn_storage_index_memory_bytes",
                                    "memory the index's RocksDB holds, by kind (memtables, "
                                    "block_cache)", "kind");
    m->eng_ops = cn_metrics_counter(r, "cairn_storage_engine_ops_total",
                                    "engine operations by kind", "op");
    m->scrub = cn_metrics_counter(r, "cairn_storage_scrub_records_total",
                                  "records the scrub read, by result (ok, bad)", "result");
    /* issue 22: per link to another cluster (storage/xdc/xdc.h); cumulative figures are
     * gauges copied from the sender, like the lifecycle worker's */
    m->xdc_lag = cn_metrics_gauge(r, "cairn_storage_xdc_lag_objects",
                                  "journal entries of this node not yet at the linked cluster",
                                  "link");
    m->xdc_lag_s = cn_metrics_gauge(r, "cairn_storage_xdc_lag_seconds",
                                    "age of the oldest change in flight to the linked cluster",
                                    "link");
    m->xdc_sent = cn_metrics_gauge(r, "cairn_storage_xdc_sent",
                                   "changes sent to the linked cluster since start", "link");
    m->xdc_errors = cn_metrics_gauge(r, "cairn_storage_xdc_errors",
                                     "failed tries to send to the linked cluster since start",
                                     "link");
    m->xdc_skipped = cn_metrics_gauge(r, "cairn_storage_xdc_skipped",
                                      "journal entries skipped at [xdc] journal_max", "link");
    m->xdc_alarm = cn_metrics_gauge(r, "cairn_storage_xdc_needs_recover",
                                    "1: the journal bound was reached for this link, run "
                                    "cairn-adm recover-cluster", "link");
    m->frag = cn_metrics_counter(r, "cairn_storage_ec_fragments_rebuilt_total",
                                 "erasure-coded fragments rebuilt from their chunks' others "
                                 "(ok) or not yet rebuildable (failed)", "result");
    m->ring = cn_metrics_gauge(r, "cairn_storage_ring_info",
                               "ring checksums this node holds (labels), always 1",
                               "node,ring_cur,ring_prev");
    s->metrics = m;
    stor_metrics_cron(s);
    if (s->conf->metrics_listen == NULL || s->conf->metrics_listen[0] == '\0')
        return 0;
    rc = cn_mhttp_start(s->conf->metrics_listen, r, fill, m, &m->http, s->metrics_host,
                        sizeof(s->metrics_host), &s->metrics_port);
    if (rc != 0) {
        CN_LOG(CN_LOG_ERROR, "metrics_listen=%s rc=%s: cannot start the metrics listener",
               s->conf->metrics_listen, cn_strerror(rc));
        return rc;
    }
    CN_LOG(CN_LOG_INFO, "metrics listening on %s:%d", s->metrics_host, s->metrics_port);
    return 0;
}

void stor_metrics_stop(struct stor_server *s)
{
    struct stor_metrics *m = s->metrics;

    if (m == NULL)
        return;
    CN_CHECK_OBJ(m, STOR_METRICS_MAGIC);
    cn_mhttp_stop(m->http);
    s->metrics = NULL;
    cn_metrics_destroy(m->reg);
    pthread_mutex_destroy(&m->eng_lock);
    m->magic = 0;
    cn_free(m);
}
