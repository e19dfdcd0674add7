/*
 * manager/adm/adm_ring.c: cairn-adm's commands on the whole cluster and its ring: status,
 * start, whereis, dump-ring, update-consistency-level, rebalance, rollback
 * (docs/ADMIN_API.md).
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "manager/adm/adm.h"

static void status_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 6, .head = {"type", "node", "state", "ring cur", "ring prev",
                                               "updated at"}};
    const json_t *mgr, *cons, *nodes, *n;
    size_t i;

    mgr = json_object_get(j, "manager");
    cons = json_object_get(j, "consistency");
    nodes = json_object_get(j, "nodes");
    printf("[System settings]\n");
    printf("  cluster id           : %s\n", adm_str(j, "cluster_id"));
    printf("  version              : %s\n", adm_str(mgr, "version"));
    printf("  replicas (N)         : %s\n", adm_val(cons, "n"));
    printf("  write quorum (W)     : %s\n", adm_val(cons, "w"));
    printf("  read quorum (R)      : %s\n", adm_val(cons, "r"));
    printf("  delete quorum (D)    : %s\n", adm_val(cons, "d"));
    printf("  ring checksum (cur)  : %s\n", adm_str(mgr, "ring_cur"));
    printf("  ring checksum (prev) : %s\n", adm_str(mgr, "ring_prev"));
    printf("  manager rpc / admin  : %s / %s\n\n", adm_str(mgr, "rpc"), adm_str(mgr, "admin"));
    printf("[Node(s) state]\n");
    {
        const char *row[] = {"manager", adm_str(mgr, "name"), adm_str(mgr, "state"),
                             adm_str(mgr, "ring_cur"), adm_str(mgr, "ring_prev"), "-"};
        adm_table_row(&t, row);
    }
    json_array_foreach(nodes, i, n) {
        const char *row[] = {adm_str(n, "type"), adm_str(n, "name"), adm_str(n, "state"),
                             adm_str(n, "ring_cur"), adm_str(n, "ring_prev"),
                             adm_str(n, "updated_at")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
    adm_managers_print(json_object_get(j, "managers"));
}

/* The admin address of the leader a follower's status names, or NULL (it leads itself, or
 * knows of none). */
static const char *leader_named(const json_t *j)
{
    const json_t *m;
    size_t i;

    json_array_foreach(json_object_get(j, "managers"), i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));

        if (role != NULL && strcmp(role, "leader") == 0)
            return json_is_true(json_object_get(m, "self"))
                       ? NULL
                       : json_string_value(json_object_get(m, "admin"));
    }
    return NULL;
}

int adm_cmd_status(struct adm *a, int argc, char **argv)
{
    json_t *j, *again;
    const char *leader;

    if (argc == 1)
        return adm_cmd_status_node(a, argc, argv);
    if (adm_call(a, "GET", "/v1/status", NULL, &j) != 0)
        return 1;
    /* a follower sees the group only in part (who leads, not who is down or behind): ask
     * the leader it names, once; when that fails, its answer is what there is */
    if ((leader = leader_named(j)) != NULL &&
        cn_mgr_addrs_not_leader(&a->addrs, a->addrs.cur, leader) == CN_MGR_NOW &&
        adm_call(a, "GET", "/v1/status", NULL, &again) == 0) {
        json_decref(j);
        j = again;
    }
    return adm_print(a, j, status_print, NULL);
}

int adm_cmd_start(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/start", NULL,
                       "OK: cluster started, ring #{ring.cur} with ${ring.nodes} storage node(s)");
}

/* The copies each owner holds (whereis answers with "copy" per replica). */
static void copies_print(const json_t *j)
{
    struct adm_table t = {.ncols = 8, .head = {"node", "ring", "size", "etag", "clock", "time",
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
                snprintf(state, sizeof(state), "error: %s", adm_str(c, "error"));
            else if (!json_is_true(json_object_get(c, "present")))
                snprintf(state, sizeof(state), "no copy");
            else
                snprintf(state, sizeof(state), "%s%s", json_is_true(json_object_get(c,
                         "corrupt")) ? "CORRUPT" : "ok", json_is_true(json_object_get(c,
                         "manifest")) ? " (chunked)" : "");
            {
                const char *row[] = {adm_str(n, "node"), k ? "prev" : "cur", adm_val(c, "size"),
                                     adm_str(c, "etag"), adm_val(c, "clock"), adm_str(c, "time"),
                                     json_is_true(json_object_get(c, "tombstone")) ? "yes"
                                                                                  : "no",
                                     state};
                adm_table_row(&t, row);
            }
        }
    if (!any) {
        adm_table_drop(&t);
        return;
    }
    printf("\ncopies:\n");
    adm_table_print(&t);
}

/* 1 when some copy holds a version other than the object's own key (issue 16). */
static int any_versions(const json_t *j)
{
    static const char *const sets[] = {"replicas", "prev_replicas"};
    size_t i, k;
    json_t *n, *v;

    for (size_t s = 0; s < 2; s++)
        json_array_foreach(json_object_get(j, sets[s]), i, n)
            json_array_foreach(json_object_get(json_object_get(n, "copy"), "versions"), k, v)
                if (strcmp(adm_str(v, "version"), "null") != 0)
                    return 1;
    return 0;
}

/* The versions each owner holds, in index order (the object's own key, the null version,
 * first; then the versions newest first): printed only for a key with versions, so that an
 * unversioned key's whereis reads as it always did. */
static void versions_print(const json_t *j)
{
    struct adm_table t = {.ncols = 8, .head = {"node", "ring", "version", "kind", "size", "etag",
                                               "clock", "time"}};
    static const char *const sets[] = {"replicas", "prev_replicas"};
    size_t i, k;
    json_t *n, *v;

    if (!any_versions(j))
        return;
    for (size_t s = 0; s < 2; s++)
        json_array_foreach(json_object_get(j, sets[s]), i, n) {
            const json_t *c = json_object_get(n, "copy");

            if (c == NULL)
                continue;
            if (json_object_get(c, "versions_error") != NULL) {
                const char *row[] = {adm_str(n, "node"), s ? "prev" : "cur", "-",
                                     adm_str(c, "versions_error"), NULL, NULL, NULL, NULL};
                adm_table_row(&t, row);
                continue;
            }
            json_array_foreach(json_object_get(c, "versions"), k, v) {
                const char *kind = json_is_true(json_object_get(v, "tombstone"))
                                       ? "deleted"
                                       : json_is_true(json_object_get(v, "delete_marker"))
                                             ? "delete marker"
                                             : "version";
                const char *row[] = {adm_str(n, "node"), s ? "prev" : "cur",
                                     adm_str(v, "version"), kind, adm_val(v, "size"),
                                     adm_str(v, "etag"), adm_val(v, "clock"),
                                     adm_str(v, "time")};
                adm_table_row(&t, row);
            }
            if (json_is_true(json_object_get(c, "versions_truncated"))) {
                const char *row[] = {adm_str(n, "node"), s ? "prev" : "cur", "...",
                                     "(more not shown)", NULL, NULL, NULL, NULL};
                adm_table_row(&t, row);
            }
        }
    printf("\nversions:\n");
    adm_table_print(&t);
}

/* An erasure-coded object's chunks (issue 21): a summary line, then one row per fragment
 * (its chunk's columns on the chunk's first row only). */
static void ec_print(const json_t *j)
{
    struct adm_table t = {.ncols = 8, .head = {"seg", "chunk", "code", "frag", "node", "state",
                                               "size", "clock"}};
    const json_t *ec = json_object_get(j, "ec"), *sum, *c, *f;
    size_t i, k;

    if (json_object_get(j, "ec_error") != NULL)
        printf("\nerasure-coded chunks: not listed: %s\n", adm_str(j, "ec_error"));
    if (ec == NULL)
        return;
    sum = json_object_get(ec, "fragments");
    printf("\nerasure-coded chunks: %s (manifest from %s, clock %s)\n", adm_val(ec, "chunks"),
           adm_str(ec, "from"), adm_val(ec, "clock"));
    printf("fragments: %s ok, %s missing, %s corrupt, %s deleted, %s error, %s no owner\n",
           adm_val(sum, "ok"), adm_val(sum, "missing"), adm_val(sum, "corrupt"),
           adm_val(sum, "deleted"), adm_val(sum, "error"), adm_val(sum, "no owner"));
    json_array_foreach(json_object_get(ec, "list"), i, c) {
        char code[16], frag[16];

        snprintf(code, sizeof(code), "%s+%s", adm_val(c, "k"), adm_val(c, "m"));
        json_array_foreach(json_object_get(c, "fragments"), k, f) {
            const char *state = adm_str(f, "state");
            char st[600];
            json_int_t idx = json_integer_value(json_object_get(f, "i"));

            snprintf(frag, sizeof(frag), "%lld %s", (long long)idx,
                     idx < json_integer_value(json_object_get(c, "k")) ? "data" : "parity");
            if (json_object_get(f, "error") != NULL)
                snprintf(st, sizeof(st), "%s: %s", state, adm_str(f, "error"));
            else
                snprintf(st, sizeof(st), "%s", state);
            {
                const char *row[] = {k ? "" : adm_val(c, "seg"), k ? "" : adm_val(c, "chunk"),
                                     k ? "" : code,      frag,
                                     adm_str(f, "node"), st,
                                     json_object_get(f, "size") ? adm_val(f, "size") : "-",
                                     json_object_get(f, "clock") ? adm_val(f, "clock") : "-"};
                adm_table_row(&t, row);
            }
        }
    }
    adm_table_print(&t);
    if (json_is_true(json_object_get(ec, "truncated")))
        printf("(the first %s of %s chunks)\n", adm_val(ec, "listed"), adm_val(ec, "chunks"));
}

static void whereis_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 5, .head = {"#", "node", "address", "state", "role"}};
    const json_t *n;
    size_t i;

    printf("key      : %s\nposition : %s (arc %s)\nring     : %s (N=%s)\n\n", adm_str(j, "key"),
           adm_str(j, "position"), adm_val(j, "arc"), adm_str(j, "ring_cur"), adm_val(j, "n"));
    json_array_foreach(json_object_get(j, "replicas"), i, n) {
        const char *row[] = {adm_val(n, "n"), adm_str(n, "node"), adm_str(n, "address"),
                             adm_str(n, "state"), adm_str(n, "role")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
    copies_print(j);
    versions_print(j);
    ec_print(j);
    if (json_object_get(j, "prev_replicas") != NULL) {
        struct adm_table tp = {.ncols = 5, .head = {"#", "node (prev ring)", "address", "state",
                                                "role"}};

        printf("\nprevious ring %s:\n", adm_str(j, "ring_prev"));
        json_array_foreach(json_object_get(j, "prev_replicas"), i, n) {
            const char *row[] = {adm_val(n, "n"), adm_str(n, "node"), adm_str(n, "address"),
                                 adm_str(n, "state"), adm_str(n, "role")};
            adm_table_row(&tp, row);
        }
        adm_table_print(&tp);
    }
}

int adm_cmd_whereis(struct adm *a, int argc, char **argv)
{
    const char *slash = strchr(argv[0], '/');

    if (slash == NULL || slash == argv[0] || slash[1] == '\0') {
        fprintf(stderr, "cairn-adm: give the key as BUCKET/KEY, e.g. photos/2024/cat.jpg\n");
        return 2;
    }
    return adm_call_print(a, "GET", adm_path("/v1/whereis?key=", argv[0], NULL), NULL,
                          whereis_print, NULL);
}

static void dump_ring_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 6, .head = {"node", "address", "vnodes", "state",
                                               "arcs as primary", "share"}};
    char addr[128], share[32];
    const json_t *m;
    size_t i;

    printf("ring checksum (cur)  : %s\nring checksum (prev) : %s\narcs                 : %s\n"
           "replicas (N)         : %s\n\n",
           adm_str(j, "cur"), adm_str(j, "prev"), adm_val(j, "partitions"), adm_val(j, "n"));
    json_array_foreach(json_object_get(j, "members"), i, m) {
        snprintf(addr, sizeof(addr), "%s:%s", adm_str(m, "host"), adm_val(m, "port"));
        snprintf(share, sizeof(share), "%s%%", adm_val(m, "share_pct"));
        const char *row[] = {adm_str(m, "name"), addr, adm_val(m, "vnodes"), adm_str(m, "state"),
                             adm_val(m, "primary"), share};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_dump_ring(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", a->json ? "/v1/ring?arcs=256" : "/v1/ring", NULL,
                          dump_ring_print, NULL);
}

int adm_cmd_update_consistency(struct adm *a, int argc, char **argv)
{
    long w = adm_count_arg(argv[0]), r = adm_count_arg(argv[1]), d = adm_count_arg(argv[2]);

    if (w == 0 || r == 0 || d == 0) {
        fprintf(stderr, "cairn-adm: W, R and D are whole numbers from 1 to N\n");
        return 2;
    }
    return adm_call_ok(a, "PUT", "/v1/consistency",
                       json_pack("{s:I, s:I, s:I}", "w", (json_int_t)w, "r", (json_int_t)r, "d",
                                 (json_int_t)d),
                       "OK: N=${n} W=${w} R=${r} D=${d}");
}

static void rebalance_print(struct adm *a, const json_t *j, const void *arg)
{
    const json_t *eta = json_object_get(j, "eta_s");
    char eta_s[32] = "-";

    if (json_is_integer(eta))
        snprintf(eta_s, sizeof(eta_s), "%llds", (long long)json_integer_value(eta));
    printf("state: %s\nring cur: %s  prev: %s\nkeys queued %s, done %s, left %s, pending %s, "
           "copies dropped %s, nodes walking %s, progress %s%%\n"
           "moved %.1f MiB; now %s keys/s, %.2f MiB/s; ETA %s\n%s%s\n",
           adm_str(j, "state"), adm_str(j, "ring_cur"), adm_str(j, "ring_prev"),
           adm_val(j, "queued"), adm_val(j, "done"), adm_val(j, "left"), adm_val(j, "pending"),
           adm_val(j, "dropped"), adm_val(j, "walking"), adm_val(j, "progress"),
           (double)json_integer_value(json_object_get(j, "bytes")) / 1048576.0,
           adm_val(j, "rate_keys_s"),
           (double)json_integer_value(json_object_get(j, "rate_bytes_s")) / 1048576.0, eta_s,
           adm_str(j, "last")[0] != '-' ? "last: " : "",
           adm_str(j, "last")[0] != '-' ? adm_str(j, "last") : "");
}

int adm_cmd_rebalance(struct adm *a, int argc, char **argv)
{
    int rc;

    if (argc == 1 && strcmp(argv[0], "status") != 0)
        return 2;
    if (a->rate != NULL && adm_set_move_rate(a) != 0)
        return 1;
    if (argc == 1)
        return adm_call_print(a, "GET", "/v1/rebalance", NULL, rebalance_print, NULL);
    rc = adm_call_start(a, "POST", "/v1/rebalance", NULL,
                        "OK: rebalance started: ring #{ring.cur} (${ring.nodes} storage nodes), "
                        "previous #{ring.prev}");
    if (rc >= 0)
        return rc;
    if (adm_wait_idle(a, "rebalance", "/v1/rebalance", "state", NULL, "queued", "pending") != 0)
        return 1;
    if (!a->json)
        printf("OK: rebalance done; every node holds the new ring and ring prev is dropped\n");
    return 0;
}

int adm_cmd_rollback(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/rollback", NULL,
                       "OK: rolled back: ring #{ring.cur} is current again; the data moves "
                       "back (cairn-adm rebalance status)");
}
