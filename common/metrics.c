/*
 * common/metrics.c: the Prometheus registry behind common/metrics.h.
 * A family keeps its series in an array searched linearly (families have few series: label
 * values are endpoints, ops, result codes, states). Histogram series keep per-bucket counts
 * (not cumulative) and make them cumulative when written.
 * Locking: m->lock guards every family and series; it is the only lock and is never held
 * while calling out.
 */
#include "common/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"

#define CN_METRICS_MAGIC 0x6d747273u /* "mtrs" */
#define CN_METRIC_MAGIC 0x6d747263u  /* "mtrc" */

enum { MT_COUNTER, MT_GAUGE, MT_HISTOGRAM };

const double cn_metrics_latency_buckets[CN_METRICS_LATENCY_NBUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

struct series {
    char **values;                 /* nlabels strings, owned */
    double value;                  /* counter, gauge */
    uint64_t *buckets;             /* histogram: nb + 1 counts (last: above every bound) */
    double sum;
    uint64_t count;
};

struct cn_metric {
    uint32_t magic;
    cn_metrics_t *reg;
    int type;
    char *name, *help;
    size_t nlabels;
    char *labels[CN_METRICS_MAX_LABELS];
    double bounds[CN_METRICS_MAX_BUCKETS];
    size_t nb;
    struct series *v;
    size_t n, cap;
    struct cn_metric *next;
};

struct cn_metrics {
    uint32_t magic;
    pthread_mutex_t lock;
    cn_metric_t *head, *tail;
    uint64_t dropped;              /* updates refused by CN_METRICS_MAX_SERIES */
};

cn_metrics_t *cn_metrics_create(void)
{
    cn_metrics_t *m = cn_calloc(1, sizeof(*m));

    m->magic = CN_METRICS_MAGIC;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void free_series(cn_metric_t *f)
{
    for (size_t i = 0; i < f->n; i++) {
        for (size_t k = 0; k < f->nlabels; k++)
            cn_free(f->v[i].values[k]);
        cn_free(f->v[i].values);
        cn_free(f->v[i].buckets);
    }
    f->n = 0;
}

void cn_metrics_destroy(cn_metrics_t *m)
{
    cn_metric_t *f, *next;

    if (m == NULL)
        return;
    CN_CHECK_OBJ(m, CN_METRICS_MAGIC);
    for (f = m->head; f != NULL; f = next) {
        next = f->next;
        free_series(f);
        cn_free(f->v);
        for (size_t k = 0; k < f->nlabels; k++)
            cn_free(f->labels[k]);
        cn_free(f->name);
        cn_free(f->help);
        f->magic = 0;
        cn_free(f);
    }
    pthread_mutex_destroy(&m->lock);
    m->magic = 0;
    cn_free(m);
}

static int name_valid(const char *s, int colon_ok)
{
    if (s == NULL || *s == '\0')
        return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (colon_ok && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return 0;
    }
    return 1;
}

static cn_metric_t *add_family(cn_metrics_t *m, int type, const char *name, const char *help,
                               const char *labels)
{
    cn_metric_t *f = cn_calloc(1, sizeof(*f));

    CN_CHECK_OBJ(m, CN_METRICS_MAGIC);
    CN_ASSERT(name_valid(name, 1));
    f->magic = CN_METRIC_MAGIC;
    f->reg = m;
    f->type = type;
    f->name = cn_strdup(name);
    f->help = cn_strdup(help ? help : "");
    if (labels != NULL && *labels != '\0') {
        const char *p = labels;

        for (;;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);

            CN_ASSERT(f->nlabels < CN_METRICS_MAX_LABELS);
            f->labels[f->nlabels] = cn_strndup(p, len);
            CN_ASSERT(name_valid(f->labels[f->nlabels], 0));
            CN_ASSERT(strncmp(f->labels[f->nlabels], "__", 2) != 0);
            CN_ASSERT(type != MT_HISTOGRAM || strcmp(f->labels[f->nlabels], "le") != 0);
            f->nlabels++;
            if (comma == NULL)
                break;
            p = comma + 1;
        }
    }
    pthread_mutex_lock(&m->lock);
    for (cn_metric_t *g = m->head; g != NULL; g = g->next)
        CN_ASSERT(strcmp(g->name, name) != 0);
    if (m->tail != NULL)
        m->tail->next = f;
    else
        m->head = f;
    m->tail = f;
    pthread_mutex_unlock(&m->lock);
    return f;
}

cn_metric_t *cn_metrics_counter(cn_metrics_t *m, const char *name, const char *help,
                                const char *labels)
{
    return add_family(m, MT_COUNTER, name, help, labels);
}

cn_metric_t *cn_metrics_gauge(cn_metrics_t *m, const char *name, const char *help,
                              const char *labels)
{
    return add_family(m, MT_GAUGE, name, help, labels);
}

cn_metric_t *cn_metrics_histogram(cn_metrics_t *m, const char *name, const char *help,
                                  const char *labels, const double *buckets, size_t n)
{
    cn_metric_t *f;

    CN_ASSERT(n >= 1 && n <= CN_METRICS_MAX_BUCKETS);
    for (size_t i = 1; i < n; i++)
        CN_ASSERT(buckets[i] > buckets[i - 1]);
    f = add_family(m, MT_HISTOGRAM, name, help, labels);
    memcpy(f->bounds, buckets, n * sizeof(double));
    f->nb = n;
    return f;
}

/* Finds or (create) makes the series for values. Lock held. NULL when the family is full. */
static struct series *do_series(cn_metric_t *f, const char *const *values, int create)
{
    struct series *s;

    for (size_t i = 0; i < f->n; i++) {
        size_t k = 0;

        while (k < f->nlabels && strcmp(f->v[i].values[k], values[k] ? values[k] : "") == 0)
            k++;
        if (k == f->nlabels)
            return &f->v[i];
    }
    if (!create)
        return NULL;
    if (f->n >= CN_METRICS_MAX_SERIES) {
        f->reg->dropped++;
        return NULL;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = cn_realloc(f->v, f->cap * sizeof(*f->v));
    }
    s = &f->v[f->n++];
    memset(s, 0, sizeof(*s));
    s->values = cn_calloc(f->nlabels ? f->nlabels : 1, sizeof(char *));
    for (size_t k = 0; k < f->nlabels; k++)
        s->values[k] = cn_strdup(values[k] ? values[k] : "");
    if (f->type == MT_HISTOGRAM)
        s->buckets = cn_calloc(f->nb + 1, sizeof(uint64_t));
    return s;
}

void cn_metric_add(cn_metric_t *f, const char *const *values, double v)
{
    struct series *s;

    CN_CHECK_OBJ(f, CN_METRIC_MAGIC);
    CN_ASSERT(f->type != MT_HISTOGRAM);
    if (f->type == MT_COUNTER && !(v >= 0))
        return;
    pthread_mutex_lock(&f->reg->lock);
    if ((s = do_series(f, values, 1)) != NULL)
        s->value += v;
    pthread_mutex_unlock(&f->reg->lock);
}

void cn_metric_set(cn_metric_t *f, const char *const *values, double v)
{
    struct series *s;

    CN_CHECK_OBJ(f, CN_METRIC_MAGIC);
    CN_ASSERT(f->type == MT_GAUGE);
    pthread_mutex_lock(&f->reg->lock);
    if ((s = do_series(f, values, 1)) != NULL)
        s->value = v;
    pthread_mutex_unlock(&f->reg->lock);
}

void cn_metric_observe(cn_metric_t *f, const char *const *values, double v)
{
    struct series *s;
    size_t b = 0;

    CN_CHECK_OBJ(f, CN_METRIC_MAGIC);
    CN_ASSERT(f->type == MT_HISTOGRAM);
    if (isnan(v))
        return;
    while (b < f->nb && v > f->bounds[b])
        b++;
    pthread_mutex_lock(&f->reg->lock);
    if ((s = do_series(f, values, 1)) != NULL) {
        s->buckets[b]++;
        s->sum += v;
        s->count++;
    }
    pthread_mutex_unlock(&f->reg->lock);
}

void cn_metric_clear(cn_metric_t *f)
{
    CN_CHECK_OBJ(f, CN_METRIC_MAGIC);
    pthread_mutex_lock(&f->reg->lock);
    free_series(f);
    pthread_mutex_unlock(&f->reg->lock);
}

double cn_metric_value(cn_metric_t *f, const char *const *values)
{
    struct series *s;
    double v = 0;

    CN_CHECK_OBJ(f, CN_METRIC_MAGIC);
    pthread_mutex_lock(&f->reg->lock);
    if ((s = do_series(f, values, 0)) != NULL)
        v = f->type == MT_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&f->reg->lock);
    return v;
}

/* Shortest text that reads back as v; Prometheus spells the specials +Inf, -Inf, NaN. */
static void fmt_double(double v, char out[40])
{
    if (isnan(v)) {
        strcpy(out, "NaN");
    } else if (isinf(v)) {
        strcpy(out, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, 40, "%.0f", v);
    } else {
        snprintf(out, 40, "%.15g", v);
        if (strtod(out, NULL) != v)
            snprintf(out, 40, "%.17g", v);
    }
}

static void put_escaped(cn_buf_t *out, const char *s, int quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            cn_buf_append_str(out, "\\\\");
        else if (*s == '\n')
            cn_buf_append_str(out, "\\n");
        else if (quote && *s == '"')
            cn_buf_append_str(out, "\\\"");
        else
            cn_buf_append(out, s, 1);
    }
}

/* name{l1="v1",...[,le="x"]} */
static void put_labels(cn_buf_t *out, const cn_metric_t *f, const struct series *s,
                       const char *le)
{
    if (f->nlabels == 0 && le == NULL)
        return;
    cn_buf_append_str(out, "{");
    for (size_t k = 0; k < f->nlabels; k++) {
        cn_buf_appendf(out, "%s%s=\"", k ? "," : "", f->labels[k]);
        put_escaped(out, s->values[k], 1);
        cn_buf_append_str(out, "\"");
    }
    if (le != NULL)
        cn_buf_appendf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le);
    cn_buf_append_str(out, "}");
}

static const char *type_name(int type)
{
    return type == MT_COUNTER ? "counter" : type == MT_GAUGE ? "gauge" : "histogram";
}

void cn_metrics_write(cn_metrics_t *m, cn_buf_t *out)
{
    char num[40], le[40];

    CN_CHECK_OBJ(m, CN_METRICS_MAGIC);
    pthread_mutex_lock(&m->lock);
    for (const cn_metric_t *f = m->head; f != NULL; f = f->next) {
        cn_buf_appendf(out, "# HELP %s ", f->name);
        put_escaped(out, f->help, 0);
        cn_buf_appendf(out, "\n# TYPE %s %s\n", f->name, type_name(f->type));
        for (size_t i = 0; i < f->n; i++) {
            const struct series *s = &f->v[i];

            if (f->type != MT_HISTOGRAM) {
                cn_buf_append_str(out, f->name);
                put_labels(out, f, s, NULL);
                fmt_double(s->value, num);
                cn_buf_appendf(out, " %s\n", num);
                continue;
            }
            uint64_t cum = 0;
            for (size_t b = 0; b <= f->nb; b++) {
                cum += s->buckets[b];
                if (b < f->nb)
                    fmt_double(f->bounds[b], le);
                else
                    strcpy(le, "+Inf");
                cn_buf_appendf(out, "%s_bucket", f->name);
                put_labels(out, f, s, le);
                cn_buf_appendf(out, " %llu\n", (unsigned long long)cum);
            }
            cn_buf_appendf(out, "%s_sum", f->name);
            put_labels(out, f, s, NULL);
            fmt_double(s->sum, num);
            cn_buf_appendf(out, " %s\n", num);
            cn_buf_appendf(out, "%s_count", f->name);
            put_labels(out, f, s, NULL);
            cn_buf_appendf(out, " %llu\n", (unsigned long long)s->count);
        }
    }
    if (m->dropped > 0)
        cn_buf_appendf(out, "# HELP cairn_metrics_dropped_series_total updates dropped because "
                            "a family had too many series\n"
                            "# TYPE cairn_metrics_dropped_series_total counter\n"
                            "cairn_metrics_dropped_series_total %llu\n",
                       (unsigned long long)m->dropped);
    pthread_mutex_unlock(&m->lock);
}
