/*
 * manager/adm/adm.c: cairn-adm, the admin CLI (leofs-adm style) over the manager's admin
 * HTTP API (docs/ADMIN_API.md), with libcurl and jansson.
 *   cairn-adm [--manager HOST:PORT] [--json] COMMAND [ARGS]
 * Tables by default, the API's JSON with --json. Exit codes: 0 ok, 1 any failure (one line on
 * stderr), 2 usage error (with the usage of the command).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <jansson.h>

#include "common/buf.h"

#define ADM_DEFAULT_MANAGER "127.0.0.1:10011"
#define ADM_TIMEOUT_S 15L

struct adm {
    const char *manager;           /* HOST:PORT of the admin API */
    int json;                      /* print the API's JSON */
};

struct cmd {
    const char *name;
    int nargs;                     /* exact number of arguments; -1: 0 or 1 */
    const char *args;
    const char *help;
    int (*run)(struct adm *a, char **argv);
};

static const struct cmd *find_cmd(const char *name);

/* ---- HTTP -------------------------------------------------------------------------- */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    cn_buf_append(arg, p, size * n);
    return size * n;
}

/* Calls the API. Returns 0 with *out (the JSON answer of a 2xx) or 1 after printing the one
 * line that explains the failure. */
static int call(struct adm *a, const char *method, const char *path, json_t *body,
                json_t **out)
{
    char url[512], errbuf[CURL_ERROR_SIZE] = "", *txt = NULL;
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
    if (body != NULL) {
        txt = json_dumps(body, JSON_COMPACT);
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, txt);
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
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
    free(txt);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    cn_buf_dispose(&resp);
    return rc;
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
    size_t w[ADM_MAX_COLS], total = 0;

    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t n = strlen(t->cells[r * t->ncols + c]);
            if (n > w[c])
                w[c] = n;
        }
        total += w[c] + (c ? 3 : 0);
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
    (void)total;
}

/* ---- commands ------------------------------------------------------------------------ */

static int cmd_status(struct adm *a, char **argv)
{
    json_t *j, *mgr, *cons, *nodes, *n;
    struct table t = {.ncols = 6, .head = {"type", "node", "state", "ring cur", "ring prev",
                                           "updated at"}};
    size_t i;

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
    printf("  replicas (N)         : %lld\n", json_integer_value(json_object_get(cons, "n")));
    printf("  write quorum (W)     : %lld\n", json_integer_value(json_object_get(cons, "w")));
    printf("  read quorum (R)      : %lld\n", json_integer_value(json_object_get(cons, "r")));
    printf("  delete quorum (D)    : %lld\n", json_integer_value(json_object_get(cons, "d")));
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

static int cmd_start(struct adm *a, char **argv)
{
    json_t *j;

    if (call(a, "POST", "/v1/start", NULL, &j) != 0)
        return 1;
    if (a->json)
        print_json(j);
    else
        printf("OK: cluster started, ring %s with %lld storage node(s)\n",
               str(json_object_get(j, "ring"), "cur"),
               json_integer_value(json_object_get(json_object_get(j, "ring"), "nodes")));
    json_decref(j);
    return 0;
}

static int cmd_create_user(struct adm *a, char **argv)
{
    json_t *req = json_pack("{s:s}", "user", argv[0]), *j;
    int rc = call(a, "POST", "/v1/users", req, &j);

    json_decref(req);
    if (rc != 0)
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

static int delete_named(struct adm *a, const char *what, const char *name)
{
    char path[512];
    CURL *c = curl_easy_init();
    char *esc = c ? curl_easy_escape(c, name, 0) : NULL;
    json_t *j;
    int rc;

    if (esc == NULL) {
        fprintf(stderr, "cairn-adm: cannot encode '%s'\n", name);
        if (c)
            curl_easy_cleanup(c);
        return 1;
    }
    snprintf(path, sizeof(path), "/v1/%s/%s", what, esc);
    curl_free(esc);
    curl_easy_cleanup(c);
    if ((rc = call(a, "DELETE", path, NULL, &j)) != 0)
        return 1;
    if (a->json)
        print_json(j);
    else
        printf("OK\n");
    json_decref(j);
    return 0;
}

static int cmd_delete_user(struct adm *a, char **argv)
{
    return delete_named(a, "users", argv[0]);
}

static int cmd_delete_bucket(struct adm *a, char **argv)
{
    return delete_named(a, "buckets", argv[0]);
}

static int cmd_get_users(struct adm *a, char **argv)
{
    struct table t = {.ncols = 4, .head = {"user", "role", "access key id", "created at"}};
    json_t *j, *u;
    size_t i;

    if (call(a, "GET", "/v1/users", NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
    } else {
        json_array_foreach(j, i, u) {
            const char *row[] = {str(u, "user"), str(u, "role"), str(u, "access_key"),
                                 str(u, "created")};
            table_row(&t, row);
        }
        table_print(&t);
    }
    json_decref(j);
    return 0;
}

static int cmd_add_bucket(struct adm *a, char **argv)
{
    json_t *req = json_pack("{s:s, s:s}", "bucket", argv[0], "access_key", argv[1]), *j;
    int rc = call(a, "POST", "/v1/buckets", req, &j);

    json_decref(req);
    if (rc != 0)
        return 1;
    if (a->json)
        print_json(j);
    else
        printf("OK\n");
    json_decref(j);
    return 0;
}

static int cmd_get_buckets(struct adm *a, char **argv)
{
    struct table t = {.ncols = 4, .head = {"bucket", "owner", "acl", "created at"}};
    json_t *j, *b;
    size_t i;

    if (call(a, "GET", "/v1/buckets", NULL, &j) != 0)
        return 1;
    if (a->json) {
        print_json(j);
    } else {
        json_array_foreach(j, i, b) {
            const char *row[] = {str(b, "name"), str(b, "owner"), str(b, "acl"),
                                 str(b, "created")};
            table_row(&t, row);
        }
        table_print(&t);
    }
    json_decref(j);
    return 0;
}

static void print_cmd_usage(FILE *out, const struct cmd *c)
{
    fprintf(out, "usage: cairn-adm [--manager HOST:PORT] [--json] %s%s%s\n  %s\n", c->name,
            c->args[0] ? " " : "", c->args, c->help);
}

static const struct cmd cmds[] = {
    {"status", 0, "", "system settings (N/W/R/D, ring checksums) and every node's state",
     cmd_status},
    {"start", 0, "", "build the first ring from every attached storage node", cmd_start},
    {"create-user", 1, "USER", "create an S3 user; prints its access key id and secret",
     cmd_create_user},
    {"get-users", 0, "", "list users", cmd_get_users},
    {"delete-user", 1, "USER", "delete a user (who owns no bucket)", cmd_delete_user},
    {"add-bucket", 2, "BUCKET ACCESS_KEY", "create a bucket owned by ACCESS_KEY",
     cmd_add_bucket},
    {"get-buckets", 0, "", "list buckets", cmd_get_buckets},
    {"delete-bucket", 1, "BUCKET", "delete a bucket record", cmd_delete_bucket},
    {"help", -1, "[COMMAND]", "show the commands, or one command's usage", NULL},
    {"version", 0, "", "print the version", NULL},
};
#define ADM_NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < ADM_NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: cairn-adm [--manager HOST:PORT] [--json] COMMAND [ARGS]\n"
                 "  --manager HOST:PORT  the manager's admin API (default: $CAIRN_MANAGER, "
                 "else " ADM_DEFAULT_MANAGER ")\n"
                 "  --json               print the API's JSON instead of tables\n"
                 "commands:\n");
    for (size_t i = 0; i < ADM_NCMDS; i++) {
        char left[64];

        snprintf(left, sizeof(left), "%s %s", cmds[i].name, cmds[i].args);
        fprintf(out, "  %-32s %s\n", left, cmds[i].help);
    }
}

int main(int argc, char **argv)
{
    struct adm a = {.manager = getenv("CAIRN_MANAGER")};
    const struct cmd *c;
    int i = 1, nargs, rc;

    if (a.manager == NULL || a.manager[0] == '\0')
        a.manager = ADM_DEFAULT_MANAGER;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            a.json = 1;
        } else if (strcmp(argv[i], "--manager") == 0 && i + 1 < argc) {
            a.manager = argv[++i];
        } else if (strncmp(argv[i], "--manager=", 10) == 0) {
            a.manager = argv[i] + 10;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
            printf("cairn-adm %s\n", PACKAGE_VERSION);
            return 0;
        } else {
            fprintf(stderr, "cairn-adm: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    if ((c = find_cmd(argv[i])) == NULL) {
        fprintf(stderr, "cairn-adm: unknown command '%s' (see cairn-adm help)\n", argv[i]);
        return 2;
    }
    nargs = argc - i - 1;
    if ((c->nargs >= 0 && nargs != c->nargs) || (c->nargs < 0 && nargs > 1)) {
        fprintf(stderr, "cairn-adm: %s takes %s\n", c->name,
                c->args[0] ? c->args : "no arguments");
        print_cmd_usage(stderr, c);
        return 2;
    }
    if (strcmp(c->name, "help") == 0) {
        const struct cmd *h;

        if (nargs == 0) {
            usage(stdout);
            return 0;
        }
        if ((h = find_cmd(argv[i + 1])) == NULL) {
            fprintf(stderr, "cairn-adm: unknown command '%s' (see cairn-adm help)\n",
                    argv[i + 1]);
            return 2;
        }
        print_cmd_usage(stdout, h);
        return 0;
    }
    if (strcmp(c->name, "version") == 0) {
        printf("cairn-adm %s\n", PACKAGE_VERSION);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = c->run(&a, argv + i + 1);
    curl_global_cleanup();
    return rc;
}
