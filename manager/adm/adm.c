/*
 * manager/adm/adm.c: cairn-adm, the admin CLI (leofs-adm style) over the manager's admin
 * HTTP API (docs/ADMIN_API.md), with libcurl and jansson.
 *   cairn-adm [--manager HOST:PORT] [--token TOKEN] [--json] COMMAND [ARGS]
 * Options may come anywhere before "--". Tables by default, the API's JSON with --json.
 * --wait follows a long operation (rebalance, recover-*, compact-start, diagnose-start):
 * a progress bar with rate and ETA on a terminal, one plain line per change otherwise.
 * Exit codes: 0 ok, 1 any failure (one line on stderr), 2 usage error (with the usage of
 * the command). Each command is one row of cmds[] with its argument count and help.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/conf.h"

#define ADM_DEFAULT_MANAGER "127.0.0.1:10011"
#define ADM_TIMEOUT_S 30L
#define ADM_MAX_FILE (64u << 20)
#define ADM_RING_SLOTS 256

struct adm {
    const char *manager;           /* HOST:PORT of the admin API */
    const char *token;             /* bearer token or NULL */
    int json;                      /* print the API's JSON */
    int wait;                      /* --wait: follow a long operation until it ends */
};

struct cmd {
    const char *name;
    int min, max;                  /* argument counts */
    const char *args;
    const char *help;
    int (*run)(struct adm *a, int argc, char **argv);
};

/* ---- HTTP -------------------------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    cn_buf_append(arg, p, size * n);
    return size * n;
}

/* Calls the API with a raw body (or none). Returns 0 with *out (the JSON answer of a 2xx)
 * or 1 after printing the one line that explains the failure. */
static int call_raw(struct adm *a, const char *method, const char *path, const char *body,
                    size_t body_len, json_t **out)
{
    char url[2048], errbuf[CURL_ERROR_SIZE] = "", auth[1024];
    struct curl_slist *hdrs = NULL;
    CURL *c = curl_easy_init();
    cn_buf_t resp;
    json_t *j;
    long status = 0, oserr = 0;
    CURLcode cc;
    int rc = 1;

    if (c == NULL) {
        fprintf(stderr, "cairn-adm: cannot initialize libcurl\n");
        return 1;
    }
    cn_buf_init(&resp);
    snprintf(url, sizeof(url), "http://%s%s", a->manager, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, ADM_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (a->token != NULL && a->token[0] != '\0') {
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
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);

        curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
        if (cc == CURLE_COULDNT_CONNECT && oserr != 0)
            why = strerror((int)oserr);
        else if (cc == CURLE_OPERATION_TIMEDOUT)
            why = "timed out";
        fprintf(stderr, "cairn-adm: cannot reach the manager at %s (%s); is cairn-manager "
                        "running? (use --manager HOST:PORT or CAIRN_MANAGER)\n",
                a->manager, why);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    j = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
    if (status >= 400) {
        const char *msg = json_string_value(json_object_get(j, "error"));

        if (msg != NULL)
            fprintf(stderr, "cairn-adm: %s\n", msg);
        else
            fprintf(stderr, "cairn-adm: the manager at %s answered HTTP %ld\n", a->manager,
                    status);
        json_decref(j);
        goto out;
    }
    if (j == NULL) {
        fprintf(stderr, "cairn-adm: the manager at %s answered HTTP %ld without JSON; is %s "
                        "the admin port (not the RPC port)?\n", a->manager, status, a->manager);
        goto out;
    }
    *out = j;
    rc = 0;
out:
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    cn_buf_dispose(&resp);
    return rc;
}

/* Calls the API with a JSON body (taken: decref'd here) or none. */
static int call(struct adm *a, const char *method, const char *path, json_t *body,
                json_t **out)
{
    char *txt = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = call_raw(a, method, path, txt, txt ? strlen(txt) : 0, out);

    free(txt);
    json_decref(body);
    return rc;
}

/* path = prefix + escaped(name) + suffix. */
static void path_of(char *out, size_t outlen, const char *prefix, const char *name,
                    const char *suffix)
{
    char *esc = curl_easy_escape(NULL, name, 0);

    snprintf(out, outlen, "%s%s%s", prefix, esc ? esc : "", suffix ? suffix : "");
    curl_free(esc);
}

static void print_json(const json_t *j)
{
    char *txt = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    if (txt != NULL)
        puts(txt);
    free(txt);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "-";
}

/* Any scalar as text (static buffer: use at once). */
static const char *val(const json_t *o, const char *key)
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

/* Prints JSON with --json, else "OK" or the given line. Frees j. */
static int done(struct adm *a, json_t *j, const char *line)
{
    if (a->json)
        print_json(j);
    else
        printf("%s\n", line ? line : "OK");
    json_decref(j);
    return 0;
}

/* ---- tables -------------------------------------------------------------------------- */

#define ADM_MAX_COLS 8

struct table {
    size_t ncols, nrows;
    const char *head[ADM_MAX_COLS];
    char **cells;                  /* nrows * ncols, owned */
};

static void table_row(struct table *t, const char *const *vals)
{
    t->cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    if (t->cells == NULL)
        abort();
    for (size_t i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = strdup(vals[i] ? vals[i] : "-");
    t->nrows++;
}

static void table_print(struct table *t)
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
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* Two-column Item | Value table. */
static void item(struct table *t, const char *name, const char *value)
{
    const char *row[] = {name, value};

    table_row(t, row);
}

/* ---- cluster commands ---------------------------------------------------------------- */

static int status_node(struct adm *a, const char *node)
{
    struct table t = {.ncols = 2, .head = {"item", "value"}};
    char path[512], buf[160];
    json_t *j, *p;

    path_of(path, sizeof(path), "/v1/nodes/", node, NULL);
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
        json_decref(j);
        return 0;
    }
    item(&t, "node", str(j, "name"));
    item(&t, "type", str(j, "type"));
    item(&t, "state", str(j, "state"));
    if (strcmp(str(j, "type"), "manager") == 0) {
        const json_t *c = json_object_get(j, "consistency");

        item(&t, "version", str(j, "version"));
        item(&t, "rpc", str(j, "rpc"));
        item(&t, "admin", str(j, "admin"));
        item(&t, "ring cur", str(j, "ring_cur"));
        item(&t, "ring prev", str(j, "ring_prev"));
        snprintf(buf, sizeof(buf), "N=%s W=%s R=%s D=%s", val(c, "n"), val(c, "w"),
                 val(c, "r"), val(c, "d"));
        item(&t, "consistency", buf);
        item(&t, "members", val(j, "members"));
        item(&t, "data dir", str(j, "data_dir"));
        item(&t, "log level", str(j, "log_level"));
        item(&t, "audit log", str(j, "audit_log"));
        item(&t, "dashboard dir", str(j, "dashboard_dir"));
    } else {
        snprintf(buf, sizeof(buf), "%s:%s", str(j, "host"), val(j, "port"));
        item(&t, "address", buf);
        item(&t, "vnodes (weight)", val(j, "vnodes"));
        item(&t, "in ring", val(j, "in_ring"));
        item(&t, "ring cur", str(j, "ring_cur"));
        item(&t, "ring prev", str(j, "ring_prev"));
        item(&t, "manager ring cur", str(j, "manager_ring_cur"));
        item(&t, "ring checksum ok", val(j, "ring_ok"));
        item(&t, "last heartbeat", str(j, "updated_at"));
        snprintf(buf, sizeof(buf), "%s ms ago", val(j, "last_seen_ms"));
        item(&t, "last contact", buf);
        if ((p = json_object_get(j, "partitions")) != NULL) {
            snprintf(buf, sizeof(buf), "%s of %s (%s%%)", val(p, "primary"), val(p, "total"),
                     val(p, "primary_pct"));
            item(&t, "arcs as primary", buf);
            item(&t, "arcs holding a replica", val(p, "replica"));
        }
        if ((p = json_object_get(j, "cache")) != NULL) {
            snprintf(buf, sizeof(buf), "%s hits, %s misses, %s entries, %s bytes, %s evictions",
                     val(p, "mem_hits"), val(p, "mem_misses"), val(p, "mem_entries"),
                     val(p, "mem_bytes"), val(p, "mem_evictions"));
            item(&t, "memory cache", buf);
            snprintf(buf, sizeof(buf), "%s hits, %s misses, %s entries, %s bytes, %s evictions",
                     val(p, "disk_hits"), val(p, "disk_misses"), val(p, "disk_entries"),
                     val(p, "disk_bytes"), val(p, "disk_evictions"));
            item(&t, "disk cache", buf);
            snprintf(buf, sizeof(buf), "%s (%s found stale), %s misses coalesced",
                     val(p, "validations"), val(p, "validations_stale"), val(p, "coalesced"));
            item(&t, "cache validations", buf);
        }
        if ((p = json_object_get(j, "storage")) != NULL) {
            const json_t *q = json_object_get(p, "queue"), *c = json_object_get(p, "compaction");
            const json_t *sc = json_object_get(p, "scrub");

            if (json_object_get(p, "error") != NULL)
                item(&t, "storage", str(p, "error"));
            if (q != NULL) {
                snprintf(buf, sizeof(buf), "%s (inflight %s, retries %s, done %s)%s",
                         val(q, "depth"), val(q, "inflight"), val(q, "retries"),
                         val(q, "done"), json_integer_value(json_object_get(q, "suspended"))
                                             ? " SUSPENDED" : "");
                item(&t, "repair queue depth", buf);
                snprintf(buf, sizeof(buf), "replicate %s, read_repair %s, rebalance %s, "
                         "recover_node %s", val(q, "depth_replicate"),
                         val(q, "depth_read_repair"), val(q, "depth_rebalance"),
                         val(q, "depth_recover_node"));
                item(&t, "queue by reason", buf);
                snprintf(buf, sizeof(buf), "N=%s W=%s R=%s D=%s", val(q, "n"), val(q, "w"),
                         val(q, "r"), val(q, "d"));
                item(&t, "levels in force", buf);
            }
            if (c != NULL) {
                snprintf(buf, sizeof(buf), "%s (done %s/%s, reclaimed %s bytes)",
                         str(c, "state"), val(c, "done"), val(c, "total"),
                         val(c, "reclaimed_bytes"));
                item(&t, "compaction", buf);
            } else if ((c = json_object_get(p, "compaction")) == NULL) {
                item(&t, "compaction", "-");
            }
            if (sc != NULL) {
                snprintf(buf, sizeof(buf), "%s (passes %s, records %s, bad %s)", str(sc, "state"),
                         val(sc, "passes"), val(sc, "records"), val(sc, "bad"));
                item(&t, "scrub (diagnose)", buf);
            }
            if ((c = json_object_get(p, "rebalance")) != NULL) {
                snprintf(buf, sizeof(buf), "%s (scanned %s, queued %s, dropped %s)",
                         str(c, "state"), val(c, "scanned"), val(c, "queued"),
                         val(c, "dropped"));
                item(&t, "rebalance walk", buf);
            }
            if ((c = json_object_get(p, "recover_node")) != NULL) {
                snprintf(buf, sizeof(buf), "%s (target %s, scanned %s, queued %s)",
                         str(c, "state"), str(c, "target"), val(c, "scanned"),
                         val(c, "queued"));
                item(&t, "recover-node scan", buf);
            }
        }
    }
    table_print(&t);
    json_decref(j);
    return 0;
}

static int cmd_status(struct adm *a, int argc, char **argv)
{
    json_t *j, *mgr, *cons, *nodes, *n;
    struct table t = {.ncols = 6, .head = {"type", "node", "state", "ring cur", "ring prev",
                                           "updated at"}};
    size_t i;

    if (argc == 1)
        return status_node(a, argv[0]);
    if (call(a, "GET", "/v1/status", NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
        json_decref(j);
        return 0;
    }
    mgr = json_object_get(j, "manager");
    cons = json_object_get(j, "consistency");
    nodes = json_object_get(j, "nodes");
    printf("[System settings]\n");
    printf("  version              : %s\n", str(mgr, "version"));
    printf("  replicas (N)         : %s\n", val(cons, "n"));
    printf("  write quorum (W)     : %s\n", val(cons, "w"));
    printf("  read quorum (R)      : %s\n", val(cons, "r"));
    printf("  delete quorum (D)    : %s\n", val(cons, "d"));
    printf("  ring checksum (cur)  : %s\n", str(mgr, "ring_cur"));
    printf("  ring checksum (prev) : %s\n", str(mgr, "ring_prev"));
    printf("  manager rpc / admin  : %s / %s\n\n", str(mgr, "rpc"), str(mgr, "admin"));
    printf("[Node(s) state]\n");
    {
        const char *row[] = {"manager", str(mgr, "name"), str(mgr, "state"),
                             str(mgr, "ring_cur"), str(mgr, "ring_prev"), "-"};
        table_row(&t, row);
    }
    json_array_foreach(nodes, i, n) {
        const char *row[] = {str(n, "type"), str(n, "name"), str(n, "state"),
                             str(n, "ring_cur"), str(n, "ring_prev"), str(n, "updated_at")};
        table_row(&t, row);
    }
    table_print(&t);
    json_decref(j);
    return 0;
}

static int cmd_start(struct adm *a, int argc, char **argv)
{
    json_t *j;
    char line[160];

    if (call(a, "POST", "/v1/start", NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: cluster started, ring %s with %s storage node(s)",
             str(json_object_get(j, "ring"), "cur"), val(json_object_get(j, "ring"), "nodes"));
    return done(a, j, line);
}

static int cmd_version(struct adm *a, int argc, char **argv)
{
    json_t *j;

    if (!a->json)
        printf("cairn-adm %s\n", PACKAGE_VERSION);
    if (call(a, "GET", "/v1/version", NULL, &j) != 0)
        return 1;
    if (a->json) {
        json_object_set_new(j, "adm_version", json_string(PACKAGE_VERSION));
        print_json(j);
    } else {
        printf("%s %s (at %s)\n", str(j, "name"), str(j, "version"), a->manager);
    }
    json_decref(j);
    return 0;
}

/* The copies each owner holds (whereis answers with "copy" per replica). */
static void copies_print(const json_t *j)
{
    struct table t = {.ncols = 8, .head = {"node", "ring", "size", "etag", "clock", "time",
                                           "del", "state"}};
    static const char *const sets[] = {"replicas", "prev_replicas"};
    size_t i;
    json_t *n;
    int any = 0;

    for (size_t k = 0; k < 2; k++)
        json_array_foreach(json_object_get(j, sets[k]), i, n) {
            const json_t *c = json_object_get(n, "copy");
            char state[160];

            if (c == NULL)
                continue;
            any = 1;
            if (json_object_get(c, "error") != NULL)
                snprintf(state, sizeof(state), "error: %s", str(c, "error"));
            else if (!json_is_true(json_object_get(c, "present")))
                snprintf(state, sizeof(state), "no copy");
            else
                snprintf(state, sizeof(state), "%s%s", json_is_true(json_object_get(c,
                         "corrupt")) ? "CORRUPT" : "ok", json_is_true(json_object_get(c,
                         "manifest")) ? " (chunked)" : "");
            {
                const char *row[] = {str(n, "node"), k ? "prev" : "cur", val(c, "size"),
                                     str(c, "etag"), val(c, "clock"), str(c, "time"),
                                     json_is_true(json_object_get(c, "tombstone")) ? "yes"
                                                                                  : "no",
                                     state};
                table_row(&t, row);
            }
        }
    if (!any) {
        free(t.cells);
        return;
    }
    printf("\ncopies:\n");
    table_print(&t);
}

static int cmd_whereis(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 5, .head = {"#", "node", "address", "state", "role"}};
    const char *slash = strchr(argv[0], '/');
    char path[2400];
    json_t *j, *n;
    size_t i;

    if (slash == NULL || slash == argv[0] || slash[1] == '\0') {
        fprintf(stderr, "cairn-adm: give the key as BUCKET/KEY, e.g. photos/2024/cat.jpg\n");
        return 2;
    }
    path_of(path, sizeof(path), "/v1/whereis?key=", argv[0], NULL);
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
        json_decref(j);
        return 0;
    }
    printf("key      : %s\nposition : %s (arc %s)\nring     : %s (N=%s)\n\n", str(j, "key"),
           str(j, "position"), val(j, "arc"), str(j, "ring_cur"), val(j, "n"));
    json_array_foreach(json_object_get(j, "replicas"), i, n) {
        const char *row[] = {val(n, "n"), str(n, "node"), str(n, "address"), str(n, "state"),
                             str(n, "role")};
        table_row(&t, row);
    }
    table_print(&t);
    copies_print(j);
    if (json_object_get(j, "prev_replicas") != NULL) {
        struct table tp = {.ncols = 5, .head = {"#", "node (prev ring)", "address", "state",
                                                "role"}};

        printf("\nprevious ring %s:\n", str(j, "ring_prev"));
        json_array_foreach(json_object_get(j, "prev_replicas"), i, n) {
            const char *row[] = {val(n, "n"), str(n, "node"), str(n, "address"),
                                 str(n, "state"), str(n, "role")};
            table_row(&tp, row);
        }
        table_print(&tp);
    }
    json_decref(j);
    return 0;
}

static int node_action(struct adm *a, const char *node, const char *action)
{
    char path[512], line[256];
    json_t *j;

    path_of(path, sizeof(path), "/v1/nodes/", node, action);
    if (call(a, "POST", path, NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s is %s", str(j, "node"), str(j, "state"));
    return done(a, j, line);
}

static int cmd_detach(struct adm *a, int argc, char **argv)
{
    return node_action(a, argv[0], "/detach");
}

static int cmd_suspend(struct adm *a, int argc, char **argv)
{
    return node_action(a, argv[0], "/suspend");
}

static int cmd_resume(struct adm *a, int argc, char **argv)
{
    return node_action(a, argv[0], "/resume");
}

static int cmd_dump_ring(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 6, .head = {"node", "address", "vnodes", "state",
                                           "arcs as primary", "share"}};
    char path[64], addr[128], share[32];
    json_t *j, *m;
    size_t i;

    snprintf(path, sizeof(path), "/v1/ring%s", a->json ? "?arcs=" "256" : "");
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
        json_decref(j);
        return 0;
    }
    printf("ring checksum (cur)  : %s\nring checksum (prev) : %s\narcs                 : %s\n"
           "replicas (N)         : %s\n\n",
           str(j, "cur"), str(j, "prev"), val(j, "partitions"), val(j, "n"));
    json_array_foreach(json_object_get(j, "members"), i, m) {
        snprintf(addr, sizeof(addr), "%s:%s", str(m, "host"), val(m, "port"));
        snprintf(share, sizeof(share), "%s%%", val(m, "share_pct"));
        const char *row[] = {str(m, "name"), addr, val(m, "vnodes"), str(m, "state"),
                             val(m, "primary"), share};
        table_row(&t, row);
    }
    table_print(&t);
    json_decref(j);
    return 0;
}

static int cmd_update_log_level(struct adm *a, int argc, char **argv)
{
    char path[512], line[160];
    json_t *j;

    path_of(path, sizeof(path), "/v1/nodes/", argv[0], "/log-level");
    if (call(a, "PUT", path, json_pack("{s:s}", "level", argv[1]), &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s logs at %s", str(j, "node"), str(j, "level"));
    return done(a, j, line);
}

/* Parses a positive integer argument; 0 on a bad one. */
static long count_arg(const char *s)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    return errno || *s == '\0' || *end != '\0' || v < 1 || v > 1000 ? 0 : v;
}

static int cmd_update_consistency(struct adm *a, int argc, char **argv)
{
    long w = count_arg(argv[0]), r = count_arg(argv[1]), d = count_arg(argv[2]);
    char line[160];
    json_t *j;

    if (w == 0 || r == 0 || d == 0) {
        fprintf(stderr, "cairn-adm: W, R and D are whole numbers from 1 to N\n");
        return 2;
    }
    if (call(a, "PUT", "/v1/consistency",
             json_pack("{s:I, s:I, s:I}", "w", (json_int_t)w, "r", (json_int_t)r, "d",
                       (json_int_t)d), &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: N=%s W=%s R=%s D=%s", val(j, "n"), val(j, "w"),
             val(j, "r"), val(j, "d"));
    return done(a, j, line);
}

/* ---- users --------------------------------------------------------------------------- */

static int cmd_create_user(struct adm *a, int argc, char **argv)
{
    json_t *req = json_pack("{s:s}", "user", argv[0]), *j;

    if (argc == 2)
        json_object_set_new(req, "password", json_string(argv[1]));
    if (call(a, "POST", "/v1/users", req, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
    } else {
        printf("access-key-id: %s\n", str(j, "access_key"));
        printf("secret-access-key: %s\n", str(j, "secret"));
    }
    json_decref(j);
    return 0;
}

static int cmd_import_user(struct adm *a, int argc, char **argv)
{
    json_t *j;

    if (call(a, "POST", "/v1/users",
             json_pack("{s:s, s:s, s:s}", "user", argv[0], "access_key", argv[1], "secret",
                       argv[2]), &j) != 0)
        return 1;
    return done(a, j, NULL);
}

static int delete_named(struct adm *a, const char *what, const char *name)
{
    char path[512];
    json_t *j;

    path_of(path, sizeof(path), what, name, NULL);
    if (call(a, "DELETE", path, NULL, &j) != 0)
        return 1;
    return done(a, j, NULL);
}

static int cmd_delete_user(struct adm *a, int argc, char **argv)
{
    return delete_named(a, "/v1/users/", argv[0]);
}

static int cmd_get_users(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 5, .head = {"user", "role", "access key id", "password",
                                           "created at"}};
    json_t *j, *u;
    size_t i;

    if (call(a, "GET", "/v1/users", NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
    } else {
        json_array_foreach(j, i, u) {
            const char *row[] = {str(u, "user"),
                                 strcmp(str(u, "role"), "user") == 0 ? "normal" : str(u, "role"),
                                 str(u, "access_key"), val(u, "password"), str(u, "created")};
            table_row(&t, row);
        }
        table_print(&t);
    }
    json_decref(j);
    return 0;
}

static int cmd_update_user_role(struct adm *a, int argc, char **argv)
{
    char path[512];
    json_t *j;

    path_of(path, sizeof(path), "/v1/users/", argv[0], "/role");
    if (call(a, "PUT", path, json_pack("{s:s}", "role", argv[1]), &j) != 0)
        return 1;
    return done(a, j, NULL);
}

static int cmd_update_user_password(struct adm *a, int argc, char **argv)
{
    char path[512];
    json_t *j;

    path_of(path, sizeof(path), "/v1/users/", argv[0], "/password");
    if (call(a, "PUT", path, json_pack("{s:s}", "password", argv[1]), &j) != 0)
        return 1;
    return done(a, j, NULL);
}

/* ---- endpoints ----------------------------------------------------------------------- */

static int cmd_add_endpoint(struct adm *a, int argc, char **argv)
{
    json_t *j;

    if (call(a, "POST", "/v1/endpoints", json_pack("{s:s}", "endpoint", argv[0]), &j) != 0)
        return 1;
    return done(a, j, NULL);
}

static int cmd_delete_endpoint(struct adm *a, int argc, char **argv)
{
    return delete_named(a, "/v1/endpoints/", argv[0]);
}

static int cmd_get_endpoints(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 2, .head = {"endpoint", "created at"}};
    json_t *j, *e;
    size_t i;

    if (call(a, "GET", "/v1/endpoints", NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
    } else {
        json_array_foreach(j, i, e) {
            const char *row[] = {str(e, "endpoint"), str(e, "created")};
            table_row(&t, row);
        }
        table_print(&t);
    }
    json_decref(j);
    return 0;
}

/* ---- buckets ------------------------------------------------------------------------- */

static int cmd_add_bucket(struct adm *a, int argc, char **argv)
{
    json_t *j;

    if (call(a, "POST", "/v1/buckets",
             json_pack("{s:s, s:s}", "bucket", argv[0], "access_key", argv[1]), &j) != 0)
        return 1;
    return done(a, j, NULL);
}

/* With an access key (leofs-adm style), checks that it owns the bucket first. */
static int check_owner(struct adm *a, const char *bucket, const char *access_key)
{
    char path[512];
    json_t *j;
    int rc = 0;

    path_of(path, sizeof(path), "/v1/buckets/", bucket, NULL);
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (strcmp(str(j, "owner"), access_key) != 0) {
        fprintf(stderr, "cairn-adm: bucket %s is owned by %s, not %s\n", bucket, str(j, "owner"),
                access_key);
        rc = 1;
    }
    json_decref(j);
    return rc;
}

static int cmd_delete_bucket(struct adm *a, int argc, char **argv)
{
    if (argc == 2 && check_owner(a, argv[0], argv[1]) != 0)
        return 1;
    return delete_named(a, "/v1/buckets/", argv[0]);
}

static void quota_text(const json_t *b, char *out, size_t outlen)
{
    long long q = json_integer_value(json_object_get(b, "quota"));

    if (q <= 0)
        snprintf(out, outlen, "none");
    else
        snprintf(out, outlen, "%lld", q);
}

static int cmd_get_bucket(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 2, .head = {"item", "value"}};
    char path[512], q[32];
    json_t *j;

    path_of(path, sizeof(path), "/v1/buckets/", argv[0], NULL);
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
        json_decref(j);
        return 0;
    }
    quota_text(j, q, sizeof(q));
    item(&t, "bucket", str(j, "name"));
    item(&t, "owner access key", str(j, "owner"));
    item(&t, "owner user", str(j, "owner_user"));
    item(&t, "acl", str(j, "acl"));
    item(&t, "quota (bytes)", q);
    item(&t, "created at", str(j, "created"));
    table_print(&t);
    json_decref(j);
    return 0;
}

static int cmd_get_buckets(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 5, .head = {"bucket", "owner", "acl", "quota", "created at"}};
    char q[32];
    json_t *j, *b;
    size_t i;

    if (call(a, "GET", "/v1/buckets", NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
    } else {
        json_array_foreach(j, i, b) {
            quota_text(b, q, sizeof(q));
            const char *row[] = {str(b, "name"), str(b, "owner"), str(b, "acl"), q,
                                 str(b, "created")};
            table_row(&t, row);
        }
        table_print(&t);
    }
    json_decref(j);
    return 0;
}

static int bucket_put(struct adm *a, const char *bucket, const char *what, json_t *body)
{
    char path[512];
    json_t *j;

    path_of(path, sizeof(path), "/v1/buckets/", bucket, what);
    if (call(a, "PUT", path, body, &j) != 0)
        return 1;
    return done(a, j, NULL);
}

static int cmd_chown_bucket(struct adm *a, int argc, char **argv)
{
    return bucket_put(a, argv[0], "/owner", json_pack("{s:s}", "access_key", argv[1]));
}

static int cmd_update_acl(struct adm *a, int argc, char **argv)
{
    /* leofs-adm order: BUCKET ACCESS_KEY ACL; ours: BUCKET ACL */
    if (argc == 3 && check_owner(a, argv[0], argv[1]) != 0)
        return 1;
    return bucket_put(a, argv[0], "/acl", json_pack("{s:s}", "acl", argv[argc - 1]));
}

static int cmd_set_bucket_quota(struct adm *a, int argc, char **argv)
{
    uint64_t bytes = 0;

    if (strcmp(argv[1], "none") != 0 && cn_parse_size(argv[1], &bytes) != 0) {
        fprintf(stderr, "cairn-adm: bad size '%s': bytes, with an optional k, m, g or t "
                        "suffix (powers of 1024), or none\n", argv[1]);
        return 2;
    }
    if (bytes > (uint64_t)INT64_MAX) {
        fprintf(stderr, "cairn-adm: size '%s' is too big\n", argv[1]);
        return 2;
    }
    return bucket_put(a, argv[0], "/quota", json_pack("{s:I}", "bytes", (json_int_t)bytes));
}

/* ---- backup and restore -------------------------------------------------------------- */

static int cmd_backup(struct adm *a, int argc, char **argv)
{
    char tmp[4096 + 16], line[4200], *txt;
    size_t len, nrec;
    json_t *j;
    int fd;

    if (call(a, "GET", "/v1/backup", NULL, &j) != 0)
        return 1;
    nrec = json_array_size(json_object_get(j, "records"));
    txt = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (txt == NULL) {
        fprintf(stderr, "cairn-adm: out of memory\n");
        return 1;
    }
    len = strlen(txt);
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[0]);
    /* the backup holds every user's secret: 0600, written whole, then renamed */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, txt, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0 || close(fd) != 0 || rename(tmp, argv[0]) != 0) {
        fprintf(stderr, "cairn-adm: cannot write %s (%s)\n", argv[0], strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        free(txt);
        return 1;
    }
    free(txt);
    snprintf(line, sizeof(line), "OK: %zu records written to %s", nrec, argv[0]);
    if (a->json)
        printf("{\"file\": \"%s\", \"records\": %zu}\n", argv[0], nrec);
    else
        printf("%s\n", line);
    return 0;
}

static int cmd_restore(struct adm *a, int argc, char **argv)
{
    FILE *f = fopen(argv[0], "rb");
    char line[256];
    cn_buf_t b;
    char chunk[65536];
    size_t n;
    json_t *j;
    int rc;

    if (f == NULL) {
        fprintf(stderr, "cairn-adm: cannot open %s (%s)\n", argv[0], strerror(errno));
        return 1;
    }
    cn_buf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= ADM_MAX_FILE)
        cn_buf_append(&b, chunk, n);
    fclose(f);
    if (b.len > ADM_MAX_FILE) {
        fprintf(stderr, "cairn-adm: %s is over %u bytes; not a manager backup\n", argv[0],
                ADM_MAX_FILE);
        cn_buf_dispose(&b);
        return 1;
    }
    rc = call_raw(a, "POST", "/v1/restore", b.data ? b.data : "", b.len, &j);
    cn_buf_dispose(&b);
    if (rc != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: restored %s records (%s members, %s users, %s buckets), "
             "ring %s", val(j, "restored"), val(j, "members"), val(j, "users"),
             val(j, "buckets"), str(j, "ring_cur"));
    return done(a, j, line);
}

/* ---- the command table --------------------------------------------------------------- */

/* ---- long operations: progress ------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One progress report: a bar with rate and ETA on a terminal (redrawn in place), else one
 * line when something changed. done/total in units (keys, containers); total 0: unknown. */
static void progress(const char *what, double done_n, double total, double t0, const char *extra)
{
    static char last[512];
    double el = now_s() - t0, rate = el > 0 ? done_n / el : 0, pct;
    char line[512], eta[32] = "-";

    pct = total > 0 ? 100.0 * done_n / total : 0;
    if (pct > 100)
        pct = 100;
    if (rate > 0 && total > done_n)
        snprintf(eta, sizeof(eta), "%.0fs", (total - done_n) / rate);
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

static void progress_end(void)
{
    if (isatty(STDOUT_FILENO))
        putchar('\n');
}

/* Polls GET path every second until state_key's value is "idle"; prints progress from
 * the done/total keys. Returns 0, or 1 when the manager fails. */
static int wait_idle(struct adm *a, const char *what, const char *path, const char *state_key,
                     const char *done_key, const char *total_key, const char *pending_key)
{
    double t0 = now_s();
    json_t *j;

    for (;;) {
        double d, tot;
        char extra[128] = "";

        if (call(a, "GET", path, NULL, &j) != 0)
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
        if (strcmp(str(j, state_key), "idle") == 0) {
            progress(what, tot > 0 ? tot : d, tot > 0 ? tot : d, t0, "done");
            progress_end();
            if (a->json)
                print_json(j);
            json_decref(j);
            return 0;
        }
        progress(what, d, tot, t0, extra);
        json_decref(j);
        sleep(1);
    }
}

static int cmd_rebalance(struct adm *a, int argc, char **argv)
{
    json_t *j;
    char line[256];

    if (argc == 1 && strcmp(argv[0], "status") != 0)
        return 2;
    if (argc == 1) {
        if (call(a, "GET", "/v1/rebalance", NULL, &j) != 0)
            return 1;
        if (a->json)
            return done(a, j, NULL);
        printf("state: %s\nring cur: %s  prev: %s\nkeys queued %s, pending %s, copies "
               "dropped %s, nodes walking %s, progress %s%%\n%s%s\n", str(j, "state"),
               str(j, "ring_cur"), str(j, "ring_prev"), val(j, "queued"), val(j, "pending"),
               val(j, "dropped"), val(j, "walking"), val(j, "progress"),
               str(j, "last")[0] != '-' ? "last: " : "", str(j, "last")[0] != '-' ? str(j, "last")
                                                                                   : "");
        json_decref(j);
        return 0;
    }
    if (call(a, "POST", "/v1/rebalance", NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: rebalance started: ring %s (%s storage nodes), "
             "previous %s", str(json_object_get(j, "ring"), "cur"),
             val(json_object_get(j, "ring"), "nodes"), str(json_object_get(j, "ring"), "prev"));
    if (!a->wait)
        return done(a, j, line);
    if (!a->json)
        printf("%s\n", line);
    json_decref(j);
    if (wait_idle(a, "rebalance", "/v1/rebalance", "state", NULL, "queued", "pending") != 0)
        return 1;
    if (!a->json)
        printf("OK: rebalance done; every node holds the new ring and ring prev is dropped\n");
    return 0;
}

static int cmd_rollback(struct adm *a, int argc, char **argv)
{
    json_t *j;
    char line[256];

    if (call(a, "POST", "/v1/rollback", NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: rolled back: ring %s is current again; the data moves "
             "back (cairn-adm rebalance status)", str(json_object_get(j, "ring"), "cur"));
    return done(a, j, line);
}

static int post_node_body(struct adm *a, const char *path, const char *node, const char *disk,
                          json_t **out)
{
    json_t *b = json_pack("{s:s}", "node", node);

    if (disk != NULL)
        json_object_set_new(b, "disk", json_string(disk));
    return call(a, "POST", path, b, out);
}

static int recover_wait(struct adm *a, const char *what, const char *kind)
{
    char path[64];

    snprintf(path, sizeof(path), "/v1/recover?kind=%s", kind);
    if (wait_idle(a, what, path, "state", NULL, "queued", "pending") != 0)
        return 1;
    if (!a->json)
        printf("OK: %s done\n", what);
    return 0;
}

static int cmd_recover_file(struct adm *a, int argc, char **argv)
{
    json_t *j;
    char line[512];

    if (strchr(argv[0], '/') == NULL || argv[0][0] == '/') {
        fprintf(stderr, "cairn-adm: give the key as BUCKET/KEY\n");
        return 2;
    }
    if (call(a, "POST", "/v1/recover/file", json_pack("{s:s}", "key", argv[0]), &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s: newest copy on %s (clock %s), %s push(es) queued%s",
             argv[0], str(j, "newest"), val(j, "clock"), val(j, "queued"),
             json_integer_value(json_object_get(j, "forwarded")) ? ", forwarded to the holder"
                                                                 : "");
    return done(a, j, line);
}

static int recover_node_cmd(struct adm *a, const char *node, const char *disk)
{
    json_t *j;
    char line[512];
    const char *what = disk ? "recover-disk" : "recover-node";

    if (post_node_body(a, disk ? "/v1/recover/disk" : "/v1/recover/node", node, disk, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s %s: %s node(s) scan their keys and push what %s "
             "should hold%s", what, node, val(j, "started"), node,
             json_integer_value(json_object_get(j, "failed")) ? " (some nodes did not answer)"
                                                              : "");
    if (!a->wait)
        return done(a, j, line);
    if (!a->json)
        printf("%s\n", line);
    json_decref(j);
    return recover_wait(a, what, "node");
}

static int cmd_recover_node(struct adm *a, int argc, char **argv)
{
    return recover_node_cmd(a, argv[0], NULL);
}

static int cmd_recover_disk(struct adm *a, int argc, char **argv)
{
    return recover_node_cmd(a, argv[0], argv[1]);
}

static int cmd_recover_consistency(struct adm *a, int argc, char **argv)
{
    json_t *j;
    char line[256];

    if (post_node_body(a, "/v1/recover/consistency", argv[0], NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s compares its keys with the other owners", argv[0]);
    if (!a->wait)
        return done(a, j, line);
    if (!a->json)
        printf("%s\n", line);
    json_decref(j);
    return recover_wait(a, "recover-consistency", "consistency");
}

static int cmd_recover_ring(struct adm *a, int argc, char **argv)
{
    json_t *j;
    char line[256];

    if (post_node_body(a, "/v1/recover/ring", argv[0], NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s fetches the rings again at its next heartbeat",
             argv[0]);
    return done(a, j, line);
}

/* GET a node's sub-resource and print its fields as an item table. */
static int node_get_items(struct adm *a, const char *node, const char *sub)
{
    struct table t = {.ncols = 2, .head = {"item", "value"}};
    char path[512];
    const char *k;
    json_t *j, *v;

    path_of(path, sizeof(path), "/v1/nodes/", node, sub);
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (a->json)
        return done(a, j, NULL);
    json_object_foreach(j, k, v) {
        char tmp[64];

        snprintf(tmp, sizeof(tmp), "%s", val(j, k));
        item(&t, k, tmp);
    }
    table_print(&t);
    json_decref(j);
    return 0;
}

static int node_post(struct adm *a, const char *node, const char *sub, json_t *body,
                     const char *msg)
{
    char path[512], line[256];
    json_t *j;

    path_of(path, sizeof(path), "/v1/nodes/", node, sub);
    if (call(a, "POST", path, body, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s: %s", node, msg);
    return done(a, j, line);
}

static int cmd_mq_stats(struct adm *a, int argc, char **argv)
{
    return node_get_items(a, argv[0], "/mq");
}

static int cmd_mq_suspend(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/mq/suspend", NULL,
                     "repair queue suspended (it keeps taking entries)");
}

static int cmd_mq_resume(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/mq/resume", NULL, "repair queue running again");
}

static int cmd_compact_start(struct adm *a, int argc, char **argv)
{
    char path[512];
    long n = 0;
    int rc;

    if (strcmp(argv[1], "all") != 0 && (n = count_arg(argv[1])) < 1) {
        fprintf(stderr, "cairn-adm: compact-start NODE all|N: N is a positive count of "
                        "containers\n");
        return 2;
    }
    if (argc == 3 && count_arg(argv[2]) < 1) {
        fprintf(stderr, "cairn-adm: procs must be a positive number\n");
        return 2;
    }
    /* procs is accepted for leofs-adm compatibility: a node compacts one container at a time */
    rc = node_post(a, argv[0], "/compact/start", json_pack("{s:I}", "containers", (json_int_t)n),
                   "compaction started");
    if (rc != 0 || !a->wait)
        return rc;
    path_of(path, sizeof(path), "/v1/nodes/", argv[0], "/compact");
    if (wait_idle(a, "compaction", path, "state", "done", "total", NULL) != 0)
        return 1;
    if (!a->json)
        printf("OK: compaction of %s done\n", argv[0]);
    return 0;
}

static int cmd_compact_suspend(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/compact/suspend", NULL, "compaction suspended");
}

static int cmd_compact_resume(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/compact/resume", NULL, "compaction resumed");
}

static int cmd_compact_status(struct adm *a, int argc, char **argv)
{
    return node_get_items(a, argv[0], "/compact");
}

static int cmd_diagnose_start(struct adm *a, int argc, char **argv)
{
    char path[512];
    int rc = node_post(a, argv[0], "/diagnose", NULL,
                       "reading every record and checking its checksums (scrub)");

    if (rc != 0 || !a->wait)
        return rc;
    path_of(path, sizeof(path), "/v1/nodes/", argv[0], "/diagnose");
    if (wait_idle(a, "diagnose", path, "state", "records", "records", NULL) != 0)
        return 1;
    return node_get_items(a, argv[0], "/diagnose");
}

/* ---- du, update-property, remove-gateway, delete-bucket-stats --------------------------- */

static int cmd_du(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 4, .head = {"bucket", "objects", "bytes", "tombstones"}};
    const char *node = argv[0];
    int detail = 0;
    char path[512];
    json_t *j, *e;
    size_t i;

    if (argc == 2) { /* du NODE detail, or LeoFS's du detail NODE */
        if (strcmp(argv[0], "detail") == 0)
            node = argv[1];
        else if (strcmp(argv[1], "detail") != 0) {
            fprintf(stderr, "cairn-adm: du NODE [detail]\n");
            return 2;
        }
        detail = 1;
    }
    path_of(path, sizeof(path), "/v1/nodes/", node, "/du");
    if (call(a, "GET", path, NULL, &j) != 0)
        return 1;
    if (a->json)
        return done(a, j, NULL);
    printf("active objects: %s\ntotal objects:  %s\nactive size:    %s\ndisk used:      %s\n",
           val(j, "objects"), val(j, "entries"), val(j, "bytes"), val(j, "disk_bytes"));
    if (detail) {
        putchar('\n');
        json_array_foreach(json_object_get(j, "detail"), i, e) {
            const char *row[] = {str(e, "bucket"), val(e, "objects"), val(e, "bytes"),
                                 val(e, "tombstones")};
            table_row(&t, row);
        }
        table_print(&t);
    }
    json_decref(j);
    return 0;
}

static int cmd_update_property(struct adm *a, int argc, char **argv)
{
    char path[512], line[600];
    json_t *j;

    path_of(path, sizeof(path), "/v1/nodes/", argv[0], "/property");
    if (call(a, "PUT", path, json_pack("{s:s, s:s}", "name", argv[1], "value", argv[2]), &j) !=
        0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s %s = %s", str(j, "node"), str(j, "name"),
             str(j, "value"));
    return done(a, j, line);
}

static int cmd_remove_gateway(struct adm *a, int argc, char **argv)
{
    char line[200];
    char path[512];
    json_t *j;

    path_of(path, sizeof(path), "/v1/nodes/", argv[0], NULL);
    if (call(a, "DELETE", path, NULL, &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: gateway %s removed", argv[0]);
    return done(a, j, line);
}

static int cmd_purge_cache(struct adm *a, int argc, char **argv)
{
    char line[2200];
    json_t *j;

    if (strchr(argv[0], '/') == NULL || argv[0][0] == '/') {
        fprintf(stderr, "cairn-adm: purge-cache BUCKET/KEY\n");
        return 2;
    }
    if (call(a, "POST", "/v1/purge-cache", json_pack("{s:s}", "key", argv[0]), &j) != 0)
        return 1;
    snprintf(line, sizeof(line), "OK: %s is dropped from every gateway's cache at its next "
             "heartbeat", argv[0]);
    return done(a, j, line);
}

static int cmd_delete_bucket_stats(struct adm *a, int argc, char **argv)
{
    struct table t = {.ncols = 5, .head = {"node", "state", "scanned", "deleted", "error"}};
    char path[512];
    double t0 = now_s();
    json_t *j, *e;
    size_t i;

    path_of(path, sizeof(path), "/v1/buckets/", argv[0], "/delete-stats");
    for (;;) {
        if (call(a, "GET", path, NULL, &j) != 0)
            return 1;
        if (!a->wait || strcmp(str(j, "state"), "running") != 0)
            break;
        progress("delete-bucket", (double)json_integer_value(json_object_get(j, "deleted")),
                 0, t0, "keys tombstoned");
        json_decref(j);
        sleep(1);
    }
    if (a->wait)
        progress_end();
    if (a->json)
        return done(a, j, NULL);
    printf("bucket %s: %s, %s keys scanned, %s tombstoned\n", str(j, "bucket"), str(j, "state"),
           val(j, "scanned"), val(j, "deleted"));
    json_array_foreach(json_object_get(j, "nodes"), i, e) {
        const char *row[] = {str(e, "node"), str(e, "state"), val(e, "scanned"),
                             val(e, "deleted"), str(e, "error")};
        table_row(&t, row);
    }
    table_print(&t);
    json_decref(j);
    return 0;
}

static const struct cmd cmds[] = {
    {"version", 0, 0, "", "print the versions of cairn-adm and of the manager", cmd_version},
    {"status", 0, 1, "[NODE]",
     "the cluster: N/W/R/D, ring checksums and every node; NODE (or 'manager'): its "
     "registration, state, ring checksums and last heartbeat", cmd_status},
    {"start", 0, 0, "", "build the first ring from every attached storage node", cmd_start},
    {"whereis", 1, 1, "BUCKET/KEY", "the key's owners and the copy each one holds",
     cmd_whereis},
    {"detach", 1, 1, "NODE", "mark a storage node for removal at the next rebalance",
     cmd_detach},
    {"suspend", 1, 1, "NODE", "take a running storage node out of service (stays in the ring)",
     cmd_suspend},
    {"resume", 1, 1, "NODE", "put a suspended storage node back in service", cmd_resume},
    {"dump-ring", 0, 0, "", "the ring's members and checksum (--json: with the arcs)",
     cmd_dump_ring},
    {"update-log-level", 2, 2, "NODE LEVEL",
     "set the log level (debug, info, warn, error); for now only of 'manager'",
     cmd_update_log_level},
    {"update-consistency-level", 3, 3, "W R D", "set the write, read and delete quorums (1..N)",
     cmd_update_consistency},
    {"create-user", 1, 2, "USER [PASSWORD]",
     "create an S3 user; prints its access key id and secret", cmd_create_user},
    {"import-user", 3, 3, "USER ACCESS_KEY SECRET", "create a user with existing keys",
     cmd_import_user},
    {"delete-user", 1, 1, "USER", "delete a user (who owns no bucket)", cmd_delete_user},
    {"get-users", 0, 0, "", "list users", cmd_get_users},
    {"update-user-role", 2, 2, "USER ROLE", "set a user's role: admin or normal",
     cmd_update_user_role},
    {"update-user-password", 2, 2, "USER PASSWORD", "set a user's password",
     cmd_update_user_password},
    {"add-endpoint", 1, 1, "ENDPOINT", "accept virtual-host requests to BUCKET.ENDPOINT",
     cmd_add_endpoint},
    {"delete-endpoint", 1, 1, "ENDPOINT", "stop accepting an endpoint", cmd_delete_endpoint},
    {"get-endpoints", 0, 0, "", "list endpoints", cmd_get_endpoints},
    {"add-bucket", 2, 2, "BUCKET ACCESS_KEY", "create a bucket owned by ACCESS_KEY",
     cmd_add_bucket},
    {"delete-bucket", 1, 2, "BUCKET [ACCESS_KEY]",
     "delete a bucket (with ACCESS_KEY: only if it owns it): gone at once for S3 clients, "
     "its objects are removed by the storage nodes in the background (delete-bucket-stats)",
     cmd_delete_bucket},
    {"delete-bucket-stats", 1, 1, "BUCKET [--wait]",
     "progress of the asynchronous removal of a deleted bucket's objects on each storage node",
     cmd_delete_bucket_stats},
    {"du", 1, 2, "NODE [detail]",
     "objects and bytes a storage node holds (from its index); detail: per bucket", cmd_du},
    {"update-property", 3, 3, "NODE NAME VALUE",
     "set a reloadable config key (section.key) on a running node, e.g. log.level, "
     "storage.delete_bucket_rate, replication.repair_backoff_min", cmd_update_property},
    {"remove-gateway", 1, 1, "NODE", "forget a stopped gateway", cmd_remove_gateway},
    {"purge-cache", 1, 1, "BUCKET/KEY",
     "drop an object from every gateway's cache (the manager's invalidation feed)",
     cmd_purge_cache},
    {"get-bucket", 1, 1, "BUCKET", "one bucket: owner, acl, quota", cmd_get_bucket},
    {"get-buckets", 0, 0, "", "list buckets", cmd_get_buckets},
    {"chown-bucket", 2, 2, "BUCKET ACCESS_KEY", "give a bucket to another user",
     cmd_chown_bucket},
    {"update-acl", 2, 3, "BUCKET [ACCESS_KEY] ACL",
     "set a bucket's canned ACL: private, public-read, public-read-write, authenticated-read",
     cmd_update_acl},
    {"set-bucket-quota", 2, 2, "BUCKET BYTES",
     "set a bucket's quota (e.g. 500m, 10g; 0 or none removes it); gateways enforce it",
     cmd_set_bucket_quota},
    {"backup-manager", 1, 1, "FILE",
     "save the manager's whole state (users with secrets!) as JSON to FILE (mode 0600)",
     cmd_backup},
    {"restore-manager", 1, 1, "FILE",
     "replace the running manager's state with a backup-manager FILE", cmd_restore},
    {"rebalance", 0, 1, "[status] [--wait]",
     "make the ring from the running + attached nodes minus the detached ones and move the "
     "data (status: progress)", cmd_rebalance},
    {"rollback", 0, 0, "", "undo a running rebalance: the previous ring is current again",
     cmd_rollback},
    {"recover-file", 1, 1, "BUCKET/KEY", "push the newest copy of a key to its stale owners",
     cmd_recover_file},
    {"recover-node", 1, 1, "NODE [--wait]",
     "every other node pushes to NODE each object it should hold (after NODE lost its data)",
     cmd_recover_node},
    {"recover-disk", 2, 2, "NODE DISK [--wait]",
     "after NODE lost one container dir (restarted with --rebuild-index): push its keys back",
     cmd_recover_disk},
    {"recover-consistency", 1, 1, "NODE [--wait]",
     "compare NODE's keys with the other owners and repair the differences", cmd_recover_consistency},
    {"recover-ring", 1, 1, "NODE", "make NODE fetch the rings again", cmd_recover_ring},
    {"mq-stats", 1, 1, "NODE", "the repair queue of a storage node", cmd_mq_stats},
    {"mq-suspend", 1, 1, "NODE", "pause a node's repair queue (entries are kept)",
     cmd_mq_suspend},
    {"mq-resume", 1, 1, "NODE", "resume a node's repair queue", cmd_mq_resume},
    {"compact-start", 2, 3, "NODE all|N [PROCS] [--wait]",
     "compact all containers, or the N with the most dead bytes", cmd_compact_start},
    {"compact-suspend", 1, 1, "NODE", "pause a running compaction", cmd_compact_suspend},
    {"compact-resume", 1, 1, "NODE", "resume a paused compaction", cmd_compact_resume},
    {"compact-status", 1, 1, "NODE", "compaction state and counters", cmd_compact_status},
    {"diagnose-start", 1, 1, "NODE [--wait]",
     "check every record of a node against its checksums (a scrub pass)", cmd_diagnose_start},
    {"help", 0, 1, "[COMMAND]", "show the commands, or one command's usage", NULL},
};
#define ADM_NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < ADM_NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static void print_cmd_usage(FILE *out, const struct cmd *c)
{
    fprintf(out, "usage: cairn-adm [--manager HOST:PORT] [--token TOKEN] [--json] %s%s%s\n  %s\n",
            c->name, c->args[0] ? " " : "", c->args, c->help);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: cairn-adm [--manager HOST:PORT] [--token TOKEN] [--json] COMMAND "
                 "[ARGS]\n"
                 "  --manager HOST:PORT  the manager's admin API (default: $CAIRN_MANAGER, "
                 "else " ADM_DEFAULT_MANAGER ")\n"
                 "  --token TOKEN        the admin token (default: $CAIRN_TOKEN); needed "
                 "from other hosts\n"
                 "  --json               print the API's JSON instead of tables\n"
                 "  --wait               follow a long operation until it ends (progress)\n"
                 "commands:\n");
    for (size_t i = 0; i < ADM_NCMDS; i++) {
        char left[64];

        snprintf(left, sizeof(left), "%s %s", cmds[i].name, cmds[i].args);
        fprintf(out, "  %-38s %s\n", left, cmds[i].help);
    }
}

int main(int argc, char **argv)
{
    struct adm a = {.manager = getenv("CAIRN_MANAGER"), .token = getenv("CAIRN_TOKEN")};
    char **args = argv; /* the non-option arguments, compacted in place (n < i always) */
    const struct cmd *c;
    int n = 0, rc, opts_done = 0;

    if (a.manager == NULL || a.manager[0] == '\0')
        a.manager = ADM_DEFAULT_MANAGER;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];

        if (opts_done || o[0] != '-' || o[1] == '\0') {
            args[n++] = argv[i];
        } else if (strcmp(o, "--") == 0) {
            opts_done = 1;
        } else if (strcmp(o, "--json") == 0) {
            a.json = 1;
        } else if (strcmp(o, "--wait") == 0) {
            a.wait = 1;
        } else if ((strcmp(o, "--manager") == 0 || strcmp(o, "--token") == 0) && i + 1 < argc) {
            *(o[2] == 'm' ? &a.manager : &a.token) = argv[++i];
        } else if (strncmp(o, "--manager=", 10) == 0) {
            a.manager = o + 10;
        } else if (strncmp(o, "--token=", 8) == 0) {
            a.token = o + 8;
        } else if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(o, "-V") == 0 || strcmp(o, "--version") == 0) {
            printf("cairn-adm %s\n", PACKAGE_VERSION);
            return 0;
        } else {
            fprintf(stderr, "cairn-adm: unknown option '%s'\n", o);
            usage(stderr);
            return 2;
        }
    }
    if (n == 0) {
        usage(stderr);
        return 2;
    }
    if ((c = find_cmd(args[0])) == NULL) {
        fprintf(stderr, "cairn-adm: unknown command '%s' (see cairn-adm help)\n", args[0]);
        return 2;
    }
    if (n - 1 < c->min || n - 1 > c->max) {
        fprintf(stderr, "cairn-adm: %s takes %s\n", c->name,
                c->args[0] ? c->args : "no arguments");
        print_cmd_usage(stderr, c);
        return 2;
    }
    if (c->run == NULL) { /* help */
        const struct cmd *h;

        if (n == 1) {
            usage(stdout);
            return 0;
        }
        if ((h = find_cmd(args[1])) == NULL) {
            fprintf(stderr, "cairn-adm: unknown command '%s' (see cairn-adm help)\n", args[1]);
            return 2;
        }
        print_cmd_usage(stdout, h);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = c->run(&a, n - 1, args + 1);
    curl_global_cleanup();
    if (rc == 2)
        print_cmd_usage(stderr, c);
    return rc;
}
