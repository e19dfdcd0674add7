/*
 * manager/adm/adm_call.c: cairn-adm's calls of the manager's admin API (libcurl, jansson) and
 * the shapes every command takes: call, then print the answer for a person (a table, lines,
 * one "OK: ..." line) or, with --json, as the API's JSON; tables; the progress of --wait.
 * Output goes to stdout, the one line of a failure to stderr.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/buf.h"
#include "manager/adm/adm.h"

#define ADM_TIMEOUT_S 30L
#define ADM_ELECTION_WAIT_S 15 /* 421s naming no leader: how long to look for one */

/* ---- HTTP -------------------------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    cn_buf_append(arg, p, size * n);
    return size * n;
}

/* The outcome of one HTTP exchange with one manager. */
enum attempt { ANSWERED, NOT_CONNECTED, FAILED_AFTER_CONNECT };

/* Sends the request to addr. ANSWERED with *status and the body in resp; otherwise why says
 * what went wrong ("Connection refused", "timed out"). */
static enum attempt attempt(struct adm *a, const char *addr, const char *method,
                            const char *path, const char *body, size_t body_len, cn_buf_t *resp,
                            long *status, char *why, size_t whylen)
{
    char url[2048], errbuf[CURL_ERROR_SIZE] = "", auth[1024];
    struct curl_slist *hdrs = NULL;
    CURL *c = curl_easy_init();
    enum attempt out = ANSWERED;
    long oserr = 0;
    double connect_s = 0;
    CURLcode cc;

    if (c == NULL) {
        snprintf(why, whylen, "cannot initialize libcurl");
        return FAILED_AFTER_CONNECT;
    }
    snprintf(url, sizeof(url), "http://%s%s", addr, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, a->timeout_s > 0 ? a->timeout_s : ADM_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (a->user != NULL && a->user[0] != '\0') { /* a login wins over a token */
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, a->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, a->password ? a->password : "");
    } else if (a->token != NULL && a->token[0] != '\0') {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (body != NULL) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        const char *w = errbuf[0] ? errbuf : curl_easy_strerror(cc);

        curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
        curl_easy_getinfo(c, CURLINFO_CONNECT_TIME, &connect_s);
        if (cc == CURLE_COULDNT_CONNECT && oserr != 0)
            w = strerror((int)oserr);
        else if (cc == CURLE_OPERATION_TIMEDOUT)
            w = "timed out";
        snprintf(why, whylen, "%s", w);
        out = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
                      (cc == CURLE_OPERATION_TIMEDOUT && connect_s == 0)
                  ? NOT_CONNECTED
                  : FAILED_AFTER_CONNECT;
    } else {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return out;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

const char *adm_manager(const struct adm *a)
{
    return cn_mgr_addrs_cur(&a->addrs)->str;
}

/* Prints the one line of "no manager could be reached": the address and its reason when
 * there is one manager (the message scripts know), each address's reason otherwise. */
static void print_unreachable(const struct adm *a, const char *addr, const char *why,
                              const char *whys)
{
    if (a->addrs.n == 1)
        fprintf(stderr, "cairn-adm: cannot reach the manager at %s (%s); is cairn-manager "
                        "running? (use --manager HOST:PORT or CAIRN_MANAGER)\n",
                addr, why);
    else
        fprintf(stderr, "cairn-adm: cannot reach any manager (%s); is cairn-manager running? "
                        "(use --manager HOST:PORT,... or CAIRN_MANAGER)\n",
                whys);
}

int adm_call_raw(struct adm *a, const char *method, const char *path, const char *body,
                 size_t body_len, json_t **out)
{
    double give_up = adm_now_s() + ADM_ELECTION_WAIT_S;
    char why[CURL_ERROR_SIZE + 64], whys[2048] = "", addr[CN_MGR_ADDR_MAX];
    cn_buf_t resp;
    json_t *j = NULL;
    long status = 0;
    int rc = 1;

    cn_buf_init(&resp);
    for (;;) {
        size_t idx = a->addrs.cur;
        enum attempt at;
        enum cn_mgr_step step;
        const char *leader;

        snprintf(addr, sizeof(addr), "%s", a->addrs.a[idx].str);
        cn_buf_reset(&resp);
        at = attempt(a, addr, method, path, body, body_len, &resp, &status, why, sizeof(why));
        if (at != ANSWERED) {
            snprintf(whys + strlen(whys), sizeof(whys) - strlen(whys), "%s%s: %s",
                     whys[0] ? "; " : "", addr, why);
            step = cn_mgr_addrs_failed(&a->addrs, idx);
            /* a write whose connection was made may have been applied: never twice */
            if (step == CN_MGR_NOW && (at == NOT_CONNECTED || strcmp(method, "GET") == 0))
                continue;
            if (at == FAILED_AFTER_CONNECT && strcmp(method, "GET") != 0)
                fprintf(stderr, "cairn-adm: the manager at %s did not answer (%s); the change "
                                "may or may not have been made: check before trying again\n",
                        addr, why);
            else
                print_unreachable(a, addr, why, whys);
            goto out;
        }
        j = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
        if (status != 421)
            break;
        /* not the leader: follow the one named, or (none: an election) try the next */
        leader = json_string_value(json_object_get(j, "leader"));
        step = cn_mgr_addrs_not_leader(&a->addrs, idx, leader);
        if (step == CN_MGR_SOON) {
            if (adm_now_s() >= give_up) {
                const char *msg = json_string_value(json_object_get(j, "error"));

                fprintf(stderr, "cairn-adm: %s (no leader found in %d s)\n",
                        msg ? msg : "the manager is not the leader", ADM_ELECTION_WAIT_S);
                goto out;
            }
            sleep_ms(CN_MGR_ELECTION_WAIT_MS);
        }
        json_decref(j);
        j = NULL;
    }
    (void)cn_mgr_addrs_answered(&a->addrs, a->addrs.cur);
    if (status >= 400) {
        const char *msg = json_string_value(json_object_get(j, "error"));

        if (msg != NULL)
            fprintf(stderr, "cairn-adm: %s\n", msg);
        else
            fprintf(stderr, "cairn-adm: the manager at %s answered HTTP %ld\n", addr, status);
        goto out;
    }
    if (j == NULL) {
        fprintf(stderr, "cairn-adm: the manager at %s answered HTTP %ld without JSON; is %s "
                        "the admin port (not the RPC port)?\n", addr, status, addr);
        goto out;
    }
    *out = j;
    j = NULL;
    rc = 0;
out:
    json_decref(j);
    cn_buf_dispose(&resp);
    return rc;
}

int adm_call(struct adm *a, const char *method, const char *path, json_t *body, json_t **out)
{
    char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = adm_call_raw(a, method, path, txt, txt ? strlen(txt) : 0, out);

    free(txt);
    json_decref(body);
    return rc;
}

const char *adm_path(const char *prefix, const char *name, const char *suffix)
{
    static char path[2400];
    char *esc = curl_easy_escape(NULL, name, 0);

    snprintf(path, sizeof(path), "%s%s%s", prefix, esc ? esc : "", suffix ? suffix : "");
    curl_free(esc);
    return path;
}

/* ---- values ---------------------------------------------------------------------------- */

void adm_print_json(const json_t *j)
{
    char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (txt != NULL)
        puts(txt);
    free(txt);
}

const char *adm_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "-";
}

const char *adm_val(const json_t *o, const char *key)
{
    static char buf[8][64];
    static int next;
    const json_t *v = json_object_get(o, key);
    char *b = buf[next++ % 8];

    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(b, 64, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(b, 64, "%.2f", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(b, 64, "%s", json_is_true(v) ? "yes" : "no");
    else
        snprintf(b, 64, "-");
    return b;
}

long adm_count_arg(const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    return errno || *s == '\0' || *end != '\0' || v < 1 || v > 1000 ? 0 : v;
}

/* ---- the shapes of a command ------------------------------------------------------------ */

int adm_print(struct adm *a, json_t *j, adm_print_fn print, const void *arg)
{
    if (a->json)
        adm_print_json(j);
    else
        print(a, j, arg);
    json_decref(j);
    return 0;
}

int adm_call_print(struct adm *a, const char *method, const char *path, json_t *body,
                   adm_print_fn print, const void *arg)
{
    json_t *j;

    if (adm_call(a, method, path, body, &j) != 0)
        return 1;
    return adm_print(a, j, print, arg);
}

/* The "OK: ..." line of tmpl (see adm_ok) into out. */
static void line_fmt(cn_buf_t *out, const json_t *j, const char *tmpl, va_list ap)
{
    for (const char *p = tmpl; *p != '\0'; p++) {
        const char *end = strchr(p, '}');
        char key[64], *text = NULL, *dot;
        const json_t *o = j;

        if (p[0] == '%' && p[1] == 's') {
            cn_buf_append_str(out, va_arg(ap, const char *));
            p++;
            continue;
        }
        if (!(p[0] == '$' || p[0] == '#' || p[0] == '?') || p[1] != '{' || end == NULL ||
            (size_t)(end - p - 2) >= sizeof(key)) {
            cn_buf_append(out, p, 1);
            continue;
        }
        memcpy(key, p + 2, (size_t)(end - p - 2));
        key[end - p - 2] = '\0';
        if (p[0] == '?' && (text = strchr(key, ':')) != NULL)
            *text++ = '\0';
        if ((dot = strchr(key, '.')) != NULL) {
            *dot = '\0';
            o = json_object_get(j, key);
            memmove(key, dot + 1, strlen(dot + 1) + 1);
        }
        if (p[0] == '?')
            cn_buf_append_str(out, json_integer_value(json_object_get(o, key)) && text ? text
                                                                                       : "");
        else
            cn_buf_append_str(out, p[0] == '$' ? adm_val(o, key) : adm_str(o, key));
        p = end;
    }
}

/* adm_ok's work; follow: a long operation, see adm_call_start. */
static int vok(struct adm *a, json_t *j, int follow, const char *tmpl, va_list ap)
{
    cn_buf_t line;

    cn_buf_init(&line);
    line_fmt(&line, j, tmpl ? tmpl : "OK", ap);
    if (a->json && !(follow && a->wait))
        adm_print_json(j);
    else if (!a->json)
        printf("%s\n", line.data);
    cn_buf_dispose(&line);
    json_decref(j);
    return follow && a->wait ? -1 : 0;
}

int adm_ok(struct adm *a, json_t *j, const char *tmpl, ...)
{
    va_list ap;
    int rc;

    va_start(ap, tmpl);
    rc = vok(a, j, 0, tmpl, ap);
    va_end(ap);
    return rc;
}

int adm__call_ok(struct adm *a, int follow, const char *method, const char *path, json_t *body,
                 const char *tmpl, ...)
{
    va_list ap;
    json_t *j;
    int rc;

    if (adm_call(a, method, path, body, &j) != 0)
        return 1;
    va_start(ap, tmpl);
    rc = vok(a, j, follow, tmpl, ap);
    va_end(ap);
    return rc;
}

/* ---- tables -------------------------------------------------------------------------- */

void adm_table_row(struct adm_table *t, const char *const *vals)
{
    t->cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    if (t->cells == NULL)
        abort();
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = strdup(vals[i] ? vals[i] : "-");
    t->nrows++;
}

void adm_table_print(struct adm_table *t)
{
    size_t w[ADM_MAX_COLS];

    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t n = strlen(t->cells[r * t->ncols + c]);
            if (n > w[c])
                w[c] = n;
        }
    }
    for (size_t c = 0; c < t->ncols; c++)
        printf("%s%-*s", c ? " | " : "", c + 1 < t->ncols ? (int)w[c] : 0, t->head[c]);
    putchar('\n');
    for (size_t c = 0; c < t->ncols; c++) {
        printf("%s", c ? "-+-" : "");
        for (size_t i = 0; i < w[c]; i++)
            putchar('-');
    }
    putchar('\n');
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++)
            printf("%s%-*s", c ? " | " : "", c + 1 < t->ncols ? (int)w[c] : 0,
                   t->cells[r * t->ncols + c]);
        putchar('\n');
    }
    adm_table_drop(t);
}

void adm_table_drop(struct adm_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

void adm_item(struct adm_table *t, const char *name, const char *value)
{
    const char *row[] = {name, value};

    adm_table_row(t, row);
}

/* ---- long operations: progress ------------------------------------------------------ */

double adm_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One progress report: a bar with rate and ETA on a terminal (redrawn in place), else one
 * line when something changed. done/total in units (keys, containers); total 0: unknown. */
void adm_progress(const char *what, double done_n, double total, double t0, const char *extra)
{
    double el = adm_now_s() - t0, rate = el > 0 ? done_n / el : 0;

    adm_progress_at(what, done_n, total, t0, rate,
                    rate > 0 && total > done_n ? (total - done_n) / rate : -1, extra);
}

void adm_progress_at(const char *what, double done_n, double total, double t0, double rate,
                     double eta_s, const char *extra)
{
    static char last[512];
    double el = adm_now_s() - t0, pct;
    char line[512], eta[32] = "-";

    pct = total > 0 ? 100.0 * done_n / total : 0;
    if (pct > 100)
        pct = 100;
    if (eta_s >= 0)
        snprintf(eta, sizeof(eta), "%.0fs", eta_s);
    if (isatty(STDOUT_FILENO)) {
        char bar[31];
        int fill = (int)(pct * 30 / 100);

        for (int i = 0; i < 30; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        printf("\r%s [%s] %5.1f%% %.0f/%.0f %.1f/s ETA %s %s\033[K", what, bar, pct, done_n,
               total, rate, eta, extra ? extra : "");
        fflush(stdout);
        return;
    }
    snprintf(line, sizeof(line), "%s: %.1f%% %.0f/%.0f %.1f/s ETA %s %s", what, pct, done_n,
             total, rate, eta, extra ? extra : "");
    if (strcmp(line, last) != 0) {
        /* the elapsed time is printed but not compared, so that a stalled state prints once */
        printf("%s (%.0fs)\n", line, el);
        fflush(stdout);
        snprintf(last, sizeof(last), "%s", line);
    }
}

void adm_progress_end(void)
{
    if (isatty(STDOUT_FILENO))
        putchar('\n');
}

int adm_wait_idle(struct adm *a, const char *what, const char *path, const char *state_key,
                  const char *done_key, const char *total_key, const char *pending_key)
{
    double t0 = adm_now_s();
    json_t *j;

    for (;;) {
        double d, tot;
        char extra[256] = "";
        size_t ne;

        if (adm_call(a, "GET", path, NULL, &j) != 0)
            return 1;
        tot = (double)json_integer_value(json_object_get(j, total_key));
        if (pending_key != NULL) {
            d = tot - (double)json_integer_value(json_object_get(j, pending_key));
            if (d < 0)
                d = 0;
        } else {
            d = (double)json_integer_value(json_object_get(j, done_key));
        }
        if (json_object_get(j, "walking") != NULL &&
            json_integer_value(json_object_get(j, "walking")) > 0)
            snprintf(extra, sizeof(extra), "(%lld node(s) still walking their keys)",
                     (long long)json_integer_value(json_object_get(j, "walking")));
        else if (json_object_get(j, "scanning") != NULL &&
                 json_integer_value(json_object_get(j, "scanning")) > 0)
            snprintf(extra, sizeof(extra), "(%lld node(s) still scanning)",
                     (long long)json_integer_value(json_object_get(j, "scanning")));
        if (strcmp(adm_str(j, state_key), "idle") == 0) {
            adm_progress(what, tot > 0 ? tot : d, tot > 0 ? tot : d, t0, "done");
            adm_progress_end();
            if (a->json)
                adm_print_json(j);
            json_decref(j);
            return 0;
        }
        if (json_is_integer(json_object_get(j, "left"))) {
            /* the nodes' own figures: keys done and left (walks included), their summed
             * rate, the bytes moved, and the ETA at that rate (the manager's) */
            const json_t *eta = json_object_get(j, "eta_s");

            d = (double)json_integer_value(json_object_get(j, "done"));
            tot = d + (double)json_integer_value(json_object_get(j, "left"));
            ne = strlen(extra);
            snprintf(extra + ne, sizeof(extra) - ne, "%s%.1f MiB moved, %.2f MiB/s",
                     ne ? " " : "",
                     (double)json_integer_value(json_object_get(j, "bytes")) / 1048576.0,
                     (double)json_integer_value(json_object_get(j, "rate_bytes_s")) / 1048576.0);
            adm_progress_at(what, d, tot, t0,
                            (double)json_integer_value(json_object_get(j, "rate_keys_s")),
                            json_is_integer(eta) ? (double)json_integer_value(eta) : -1, extra);
        } else {
            adm_progress(what, d, tot, t0, extra);
        }
        json_decref(j);
        sleep(1);
    }
}
