/*
 * common/metrics.h: a small thread-safe Prometheus registry. A daemon creates one registry,
 * registers its metric families once at start (counters, gauges, histograms with fixed
 * buckets, each with a fixed list of label names), updates series from any thread, and
 * writes the text exposition format (version 0.0.4) for GET /metrics:
 *
 *   cn_metric_t *req = cn_metrics_counter(reg, "cairn_manager_http_requests_total",
 *                                         "admin API requests", "endpoint,status");
 *   cn_metric_add(req, (const char *[]){"/v1/status", "200"}, 1);
 *   cn_metrics_write(reg, &buf);   # HELP / # TYPE lines, then every series
 *
 * A series is created on first use of its label values (at most CN_METRICS_MAX_SERIES per
 * family; past that, updates of new series are dropped and counted in
 * cairn_metrics_dropped_series_total, so a bug cannot eat the memory). Label values are
 * escaped on output (\\, \", \n); HELP text escapes \\ and \n.
 * Threads: every call takes the registry's one mutex; the critical sections are short.
 * Ownership: families belong to the registry and live until cn_metrics_destroy().
 */
#ifndef CAIRN_COMMON_METRICS_H
#define CAIRN_COMMON_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "common/buf.h"

#define CN_METRICS_MAX_LABELS 8
#define CN_METRICS_MAX_SERIES 2048
#define CN_METRICS_MAX_BUCKETS 32

typedef struct cn_metrics cn_metrics_t;
typedef struct cn_metric cn_metric_t;

/** Default latency buckets in seconds: 0.5 ms .. 10 s (CN_METRICS_LATENCY_NBUCKETS). */
extern const double cn_metrics_latency_buckets[];
#define CN_METRICS_LATENCY_NBUCKETS 14

cn_metrics_t *cn_metrics_create(void);
/** Frees the registry and all of its families. */
void cn_metrics_destroy(cn_metrics_t *m);

/** Registers a family. name is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), help one
 *  line, labels a comma-separated list of label names or NULL/"" for none. A bad name or
 *  label list, or a name registered twice, is a bug (asserts). The family is owned by m. */
cn_metric_t *cn_metrics_counter(cn_metrics_t *m, const char *name, const char *help,
                                const char *labels);
cn_metric_t *cn_metrics_gauge(cn_metrics_t *m, const char *name, const char *help,
                              const char *labels);
/** A histogram with upper bounds buckets[0..n) (strictly increasing, n <= 32); "+Inf" is
 *  implied. Writes name_bucket{le=...}, name_sum and name_count. */
cn_metric_t *cn_metrics_histogram(cn_metrics_t *m, const char *name, const char *help,
                                  const char *labels, const double *buckets, size_t n);

/** Label values (all calls below): an array with one string per label name of the family
 *  (NULL when the family has no labels); copied when a series is created.
 *  Counter or gauge: adds v (a counter ignores v < 0). */
void cn_metric_add(cn_metric_t *f, const char *const *values, double v);
/** Gauge: sets the value. */
void cn_metric_set(cn_metric_t *f, const char *const *values, double v);
/** Histogram: records one observation. */
void cn_metric_observe(cn_metric_t *f, const char *const *values, double v);
/** Drops every series of f (for gauges recomputed at each scrape). */
void cn_metric_clear(cn_metric_t *f);
/** The current value of a counter or gauge series (0 when it does not exist); for a
 *  histogram, its count. For tests and for /health style summaries. */
double cn_metric_value(cn_metric_t *f, const char *const *values);

/** Appends the text exposition of every family, in registration order, to out. */
void cn_metrics_write(cn_metrics_t *m, cn_buf_t *out);

#endif
