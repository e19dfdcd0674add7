/* tests/unit/common/test_metrics.c: tests common/metrics.c. The output is checked by a strict
 * parser of the Prometheus text format (0.0.4) written here: comment lines, metric and label
 * names, label value escapes, values, one TYPE per family before its samples, histogram
 * buckets cumulative with a +Inf bucket equal to _count. Built from manager/Makefile.inc
 * (common/Makefile.inc belongs to the common/ owner). */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/metrics.h"
#include "common/mem.h"

#define MAX_FAM 64
#define MAX_SAMPLES 512

struct sample {
    char name[128];
    char labels[8][2][128];        /* name, unescaped value */
    int nlabels;
    double value;
};

struct parsed {
    char fam[MAX_FAM][128], type[MAX_FAM][16];
    int nfam;
    struct sample s[MAX_SAMPLES];
    int ns;
};

static int is_name_char(char c, int first, int colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (colon && c == ':') || (!first && c >= '0' && c <= '9');
}

/* Reads a name at *p; returns its length (0 when none). */
static size_t read_name(const char **p, char *out, size_t outlen, int colon)
{
    size_t n = 0;

    while (is_name_char((*p)[n], n == 0, colon))
        n++;
    if (n == 0 || n >= outlen)
        return 0;
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return n;
}

static int parse_value(const char *s, double *out)
{
    char *end;

    if (strcmp(s, "+Inf") == 0) {
        *out = INFINITY;
        return 0;
    }
    if (strcmp(s, "-Inf") == 0) {
        *out = -INFINITY;
        return 0;
    }
    if (strcmp(s, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    if (*s == '\0')
        return -1;
    *out = strtod(s, &end);
    return *end == '\0' ? 0 : -1;
}

/* The family a sample belongs to (histogram suffixes stripped when that family exists). */
static int family_of(const struct parsed *p, const char *name)
{
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};

    for (int i = 0; i < p->nfam; i++)
        if (strcmp(p->fam[i], name) == 0)
            return strcmp(p->type[i], "histogram") == 0 ? -1 : i;
    for (size_t k = 0; k < 3; k++) {
        size_t n = strlen(name), sl = strlen(suffixes[k]);
        if (n > sl && strcmp(name + n - sl, suffixes[k]) == 0)
            for (int i = 0; i < p->nfam; i++)
                if (strlen(p->fam[i]) == n - sl && strncmp(p->fam[i], name, n - sl) == 0 &&
                    strcmp(p->type[i], "histogram") == 0)
                    return i;
    }
    return -1;
}

/* Parses text strictly; returns NULL on success or a static reason with the line. */
static const char *prom_parse(const char *text, struct parsed *p)
{
    static char why[1200];
    const char *line = text;
    int lineno = 0, cur = -1;

    memset(p, 0, sizeof(*p));
    if (*text != '\0' && text[strlen(text) - 1] != '\n')
        return "output does not end with a newline";
    while (*line) {
        const char *nl = strchr(line, '\n');
        char buf[1024], name[128];
        const char *q;
        size_t len = (size_t)(nl - line);

        lineno++;
        if (len >= sizeof(buf))
            return "line too long";
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = nl + 1;
        q = buf;
        if (strncmp(q, "# HELP ", 7) == 0 || strncmp(q, "# TYPE ", 7) == 0) {
            int help = q[2] == 'H';
            q += 7;
            if (!read_name(&q, name, sizeof(name), 1) || *q != ' ')
                goto bad;
            q++;
            if (help) {
                for (const char *e = q; *e; e++)
                    if (*e == '\\') {
                        if (e[1] != '\\' && e[1] != 'n')
                            goto bad;
                        e++;
                    }
                continue;
            }
            if (strcmp(q, "counter") && strcmp(q, "gauge") && strcmp(q, "histogram") &&
                strcmp(q, "summary") && strcmp(q, "untyped"))
                goto bad;
            for (int i = 0; i < p->nfam; i++)
                if (strcmp(p->fam[i], name) == 0)
                    goto bad; /* a second TYPE line for one family */
            cr_assert_lt(p->nfam, MAX_FAM);
            strcpy(p->fam[p->nfam], name);
            strcpy(p->type[p->nfam], q);
            cur = p->nfam++;
            continue;
        }
        if (*q == '#' || *q == '\0')
            goto bad; /* we never write other comments or blank lines */
        struct sample *s = &p->s[p->ns];
        cr_assert_lt(p->ns, MAX_SAMPLES);
        memset(s, 0, sizeof(*s));
        if (!read_name(&q, s->name, sizeof(s->name), 1))
            goto bad;
        if (*q == '{') {
            q++;
            while (*q != '}') {
                char *v;
                size_t vn = 0;

                if (s->nlabels >= 8 || !read_name(&q, s->labels[s->nlabels][0], 128, 0))
                    goto bad;
                if (q[0] != '=' || q[1] != '"')
                    goto bad;
                q += 2;
                v = s->labels[s->nlabels][1];
                while (*q != '"') {
                    char c = *q++;
                    if (c == '\0' || vn + 1 >= 128)
                        goto bad;
                    if (c == '\\') {
                        c = *q++;
                        if (c == 'n')
                            c = '\n';
                        else if (c != '\\' && c != '"')
                            goto bad;
                    }
                    v[vn++] = c;
                }
                v[vn] = '\0';
                q++;
                s->nlabels++;
                if (*q == ',')
                    q++;
                else if (*q != '}')
                    goto bad;
            }
            q++;
        }
        if (*q != ' ' || parse_value(q + 1, &s->value) != 0)
            goto bad;
        int fam = family_of(p, s->name);
        if (fam < 0 || fam != cur)
            goto bad; /* a sample outside its family's block, or of no family */
        p->ns++;
        continue;
    bad:
        snprintf(why, sizeof(why), "line %d is not Prometheus text: '%s'", lineno, buf);
        return why;
    }
    return NULL;
}

static const char *label(const struct sample *s, const char *name)
{
    for (int i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i][0], name) == 0)
            return s->labels[i][1];
    return NULL;
}

static const struct sample *find(const struct parsed *p, const char *name, const char *lname,
                                 const char *lval)
{
    for (int i = 0; i < p->ns; i++)
        if (strcmp(p->s[i].name, name) == 0 &&
            (lname == NULL || (label(&p->s[i], lname) && !strcmp(label(&p->s[i], lname), lval))))
            return &p->s[i];
    return NULL;
}

static void write_and_parse(cn_metrics_t *m, struct parsed *p)
{
    cn_buf_t b;
    const char *why;

    cn_buf_init(&b);
    cn_metrics_write(m, &b);
    why = prom_parse(b.data ? b.data : "", p);
    cr_assert_null(why, "%s\n--- output:\n%s", why, b.data);
    cn_buf_dispose(&b);
}

Test(metrics, counters_gauges_histograms_parse_as_prometheus_text, .timeout = 10)
{
    cn_metrics_t *m = cn_metrics_create();
    cn_metric_t *req = cn_metrics_counter(m, "t_requests_total", "requests by path\\status",
                                          "path,status");
    cn_metric_t *up = cn_metrics_gauge(m, "t_up", "1 when up", NULL);
    cn_metric_t *lat = cn_metrics_histogram(m, "t_latency_seconds", "latency\nsecond line",
                                            "op", cn_metrics_latency_buckets,
                                            CN_METRICS_LATENCY_NBUCKETS);
    struct parsed *p = cn_calloc(1, sizeof(*p));
    const struct sample *s;

    cn_metric_add(req, (const char *[]){"/a", "200"}, 1);
    cn_metric_add(req, (const char *[]){"/a", "200"}, 2);
    cn_metric_add(req, (const char *[]){"we\"ird\\pa\nth", "404"}, 1);
    cn_metric_add(req, (const char *[]){"/a", "200"}, -5); /* ignored: counters only go up */
    cn_metric_set(up, NULL, 1);
    cn_metric_observe(lat, (const char *[]){"get"}, 0.0001);
    cn_metric_observe(lat, (const char *[]){"get"}, 0.003);
    cn_metric_observe(lat, (const char *[]){"get"}, 99);
    write_and_parse(m, p);

    cr_assert_eq(p->nfam, 3);
    s = find(p, "t_requests_total", "path", "/a");
    cr_assert_not_null(s);
    cr_assert_str_eq(label(s, "status"), "200");
    cr_assert_float_eq(s->value, 3, 1e-9);
    s = find(p, "t_requests_total", "path", "we\"ird\\pa\nth");
    cr_assert_not_null(s, "escaped label value did not round-trip");
    cr_assert_float_eq(s->value, 1, 1e-9);
    cr_assert_float_eq(find(p, "t_up", NULL, NULL)->value, 1, 1e-9);

    /* histogram: cumulative buckets, +Inf == count, sum */
    double last = -1;
    int nb = 0;
    for (int i = 0; i < p->ns; i++) {
        if (strcmp(p->s[i].name, "t_latency_seconds_bucket") != 0)
            continue;
        cr_assert_geq(p->s[i].value, last, "buckets are not cumulative");
        last = p->s[i].value;
        nb++;
    }
    cr_assert_eq(nb, CN_METRICS_LATENCY_NBUCKETS + 1);
    cr_assert_float_eq(find(p, "t_latency_seconds_bucket", "le", "0.0005")->value, 1, 1e-9);
    cr_assert_float_eq(find(p, "t_latency_seconds_bucket", "le", "0.005")->value, 2, 1e-9);
    cr_assert_float_eq(find(p, "t_latency_seconds_bucket", "le", "10")->value, 2, 1e-9);
    cr_assert_float_eq(find(p, "t_latency_seconds_bucket", "le", "+Inf")->value, 3, 1e-9);
    cr_assert_float_eq(find(p, "t_latency_seconds_count", NULL, NULL)->value, 3, 1e-9);
    cr_assert_float_eq(find(p, "t_latency_seconds_sum", NULL, NULL)->value, 99.0031, 1e-9);
    cr_assert_float_eq(cn_metric_value(lat, (const char *[]){"get"}), 3, 1e-9);

    /* clear drops the series but keeps the family */
    cn_metric_clear(req);
    write_and_parse(m, p);
    cr_assert_null(find(p, "t_requests_total", NULL, NULL));
    cr_assert_eq(p->nfam, 3);
    cn_free(p);
    cn_metrics_destroy(m);
}

Test(metrics, parser_rejects_bad_text, .timeout = 5)
{
    struct parsed *p = cn_calloc(1, sizeof(*p));

    cr_assert_not_null(prom_parse("x 1\n", p), "sample without TYPE");
    cr_assert_not_null(prom_parse("# TYPE x counter\nx{a=\"b} 1\n", p));
    cr_assert_not_null(prom_parse("# TYPE x counter\nx{a=\"\\t\"} 1\n", p));
    cr_assert_not_null(prom_parse("# TYPE x counter\nx 1x\n", p));
    cr_assert_not_null(prom_parse("# TYPE 1x counter\n", p));
    cr_assert_null(prom_parse("# TYPE x counter\nx{a=\"\\\"\"} 1\n", p));
    cn_free(p);
}

Test(metrics, values_are_exact_and_special_values_are_spelled_out, .timeout = 5)
{
    cn_metrics_t *m = cn_metrics_create();
    cn_metric_t *g = cn_metrics_gauge(m, "t_g", "", "k");
    struct parsed *p = cn_calloc(1, sizeof(*p));
    cn_buf_t b;

    cn_metric_set(g, (const char *[]){"big"}, 18446744073709551615.0);
    cn_metric_set(g, (const char *[]){"tenth"}, 0.1);
    cn_metric_set(g, (const char *[]){"inf"}, INFINITY);
    cn_metric_set(g, (const char *[]){"int"}, 1234567);
    write_and_parse(m, p);
    cr_assert_eq(find(p, "t_g", "k", "tenth")->value, 0.1);
    cr_assert_eq(find(p, "t_g", "k", "big")->value, 18446744073709551615.0);
    cr_assert(isinf(find(p, "t_g", "k", "inf")->value));
    cn_buf_init(&b);
    cn_metrics_write(m, &b);
    cr_assert(strstr(b.data, "t_g{k=\"int\"} 1234567\n") != NULL, "%s", b.data);
    cr_assert(strstr(b.data, "t_g{k=\"tenth\"} 0.1\n") != NULL, "%s", b.data);
    cn_buf_dispose(&b);
    cn_free(p);
    cn_metrics_destroy(m);
}

#define NTHREADS 4
#define PER_THREAD 20000

static void *hammer(void *arg)
{
    cn_metric_t **f = arg;
    const char *v[] = {"x"};

    for (int i = 0; i < PER_THREAD; i++) {
        cn_metric_add(f[0], v, 1);
        cn_metric_observe(f[1], v, 0.01);
    }
    return NULL;
}

Test(metrics, concurrent_updates_are_not_lost, .timeout = 20)
{
    cn_metrics_t *m = cn_metrics_create();
    cn_metric_t *f[2] = {
        cn_metrics_counter(m, "t_c_total", "c", "k"),
        cn_metrics_histogram(m, "t_h", "h", "k", cn_metrics_latency_buckets,
                             CN_METRICS_LATENCY_NBUCKETS),
    };
    pthread_t t[NTHREADS];
    struct parsed *p = cn_calloc(1, sizeof(*p));

    for (int i = 0; i < NTHREADS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, hammer, f), 0);
    for (int i = 0; i < 50; i++)
        write_and_parse(m, p); /* writers and a scraper at the same time */
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    cr_assert_float_eq(cn_metric_value(f[0], (const char *[]){"x"}), NTHREADS * PER_THREAD,
                       1e-9);
    write_and_parse(m, p);
    cr_assert_float_eq(find(p, "t_h_count", NULL, NULL)->value, NTHREADS * PER_THREAD, 1e-9);
    cn_free(p);
    cn_metrics_destroy(m);
}

Test(metrics, series_per_family_are_bounded, .timeout = 10)
{
    cn_metrics_t *m = cn_metrics_create();
    cn_metric_t *c = cn_metrics_counter(m, "t_many_total", "", "id");
    char id[32];
    cn_buf_t b;

    for (int i = 0; i < CN_METRICS_MAX_SERIES + 10; i++) {
        snprintf(id, sizeof(id), "%d", i);
        cn_metric_add(c, (const char *[]){id}, 1);
    }
    cr_assert_float_eq(cn_metric_value(c, (const char *[]){"5"}), 1, 1e-9);
    cr_assert_float_eq(cn_metric_value(c, (const char *[]){"2050"}), 0, 1e-9);
    cn_buf_init(&b);
    cn_metrics_write(m, &b);
    cr_assert(strstr(b.data, "cairn_metrics_dropped_series_total 10\n") != NULL);
    cn_buf_dispose(&b);
    cn_metrics_destroy(m);
}
