/*
 * manager/adm/adm_nodes.c: cairn-adm's commands on one node: status NODE, detach, suspend,
 * resume, update-log-level, update-property, remove-gateway, purge-cache, du, recover-*,
 * mq-*, compact-*, diagnose-start (docs/ADMIN_API.md, /v1/nodes/NODE/...).
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "manager/adm/adm.h"

/* ---- status NODE ------------------------------------------------------------------------ */

static void status_node_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 2, .head = {"item", "value"}};
    char buf[160];
    const json_t *p;

    adm_item(&t, "node", adm_str(j, "name"));
    adm_item(&t, "type", adm_str(j, "type"));
    adm_item(&t, "state", adm_str(j, "state"));
    if (strcmp(adm_str(j, "type"), "manager") == 0) {
        const json_t *c = json_object_get(j, "consistency");

        adm_item(&t, "version", adm_str(j, "version"));
        adm_item(&t, "rpc", adm_str(j, "rpc"));
        adm_item(&t, "admin", adm_str(j, "admin"));
        adm_item(&t, "ring cur", adm_str(j, "ring_cur"));
        adm_item(&t, "ring prev", adm_str(j, "ring_prev"));
        snprintf(buf, sizeof(buf), "N=%s W=%s R=%s D=%s", adm_val(c, "n"), adm_val(c, "w"),
                 adm_val(c, "r"), adm_val(c, "d"));
        adm_item(&t, "consistency", buf);
        adm_item(&t, "members", adm_val(j, "members"));
        adm_item(&t, "data dir", adm_str(j, "data_dir"));
        adm_item(&t, "log level", adm_str(j, "log_level"));
        adm_item(&t, "audit log", adm_str(j, "audit_log"));
        adm_item(&t, "dashboard dir", adm_str(j, "dashboard_dir"));
    } else {
        snprintf(buf, sizeof(buf), "%s:%s", adm_str(j, "host"), adm_val(j, "port"));
        adm_item(&t, "address", buf);
        adm_item(&t, "vnodes (weight)", adm_val(j, "vnodes"));
        adm_item(&t, "in ring", adm_val(j, "in_ring"));
        adm_item(&t, "ring cur", adm_str(j, "ring_cur"));
        adm_item(&t, "ring prev", adm_str(j, "ring_prev"));
        adm_item(&t, "manager ring cur", adm_str(j, "manager_ring_cur"));
        adm_item(&t, "ring checksum ok", adm_val(j, "ring_ok"));
        adm_item(&t, "last heartbeat", adm_str(j, "updated_at"));
        snprintf(buf, sizeof(buf), "%s ms ago", adm_val(j, "last_seen_ms"));
        adm_item(&t, "last contact", buf);
        if ((p = json_object_get(j, "partitions")) != NULL) {
            snprintf(buf, sizeof(buf), "%s of %s (%s%%)", adm_val(p, "primary"),
                     adm_val(p, "total"), adm_val(p, "primary_pct"));
            adm_item(&t, "arcs as primary", buf);
            adm_item(&t, "arcs holding a replica", adm_val(p, "replica"));
        }
        if ((p = json_object_get(j, "cache")) != NULL) {
            snprintf(buf, sizeof(buf), "%s hits, %s misses, %s entries, %s bytes, %s evictions",
                     adm_val(p, "mem_hits"), adm_val(p, "mem_misses"), adm_val(p, "mem_entries"),
                     adm_val(p, "mem_bytes"), adm_val(p, "mem_evictions"));
            adm_item(&t, "memory cache", buf);
            snprintf(buf, sizeof(buf), "%s hits, %s misses, %s entries, %s bytes, %s evictions",
                     adm_val(p, "disk_hits"), adm_val(p, "disk_misses"), adm_val(p, "disk_entries"),
                     adm_val(p, "disk_bytes"), adm_val(p, "disk_evictions"));
            adm_item(&t, "disk cache", buf);
            snprintf(buf, sizeof(buf), "%s (%s found stale), %s misses coalesced",
                     adm_val(p, "validations"), adm_val(p, "validations_stale"),
                     adm_val(p, "coalesced"));
            adm_item(&t, "cache validations", buf);
        }
        if ((p = json_object_get(j, "storage")) != NULL) {
            const json_t *q = json_object_get(p, "queue"), *c = json_object_get(p, "compaction");
            const json_t *sc = json_object_get(p, "scrub");

            if (json_object_get(p, "error") != NULL)
                adm_item(&t, "storage", adm_str(p, "error"));
            if (q != NULL) {
                snprintf(buf, sizeof(buf), "%s (inflight %s, retries %s, done %s)%s",
                         adm_val(q, "depth"), adm_val(q, "inflight"), adm_val(q, "retries"),
                         adm_val(q, "done"), json_integer_value(json_object_get(q, "suspended"))
                                             ? " SUSPENDED" : "");
                adm_item(&t, "repair queue depth", buf);
                snprintf(buf, sizeof(buf), "replicate %s, read_repair %s, rebalance %s, "
                         "recover_node %s", adm_val(q, "depth_replicate"),
                         adm_val(q, "depth_read_repair"), adm_val(q, "depth_rebalance"),
                         adm_val(q, "depth_recover_node"));
                adm_item(&t, "queue by reason", buf);
                snprintf(buf, sizeof(buf), "N=%s W=%s R=%s D=%s", adm_val(q, "n"), adm_val(q, "w"),
                         adm_val(q, "r"), adm_val(q, "d"));
                adm_item(&t, "levels in force", buf);
            }
            if (c != NULL) {
                snprintf(buf, sizeof(buf), "%s (done %s/%s, reclaimed %s bytes)",
                         adm_str(c, "state"), adm_val(c, "done"), adm_val(c, "total"),
                         adm_val(c, "reclaimed_bytes"));
                adm_item(&t, "compaction", buf);
            } else if ((c = json_object_get(p, "compaction")) == NULL) {
                adm_item(&t, "compaction", "-");
            }
            if (sc != NULL) {
                snprintf(buf, sizeof(buf), "%s (passes %s, records %s, bad %s)",
                         adm_str(sc, "state"), adm_val(sc, "passes"), adm_val(sc, "records"),
                         adm_val(sc, "bad"));
                adm_item(&t, "scrub (diagnose)", buf);
            }
            if ((c = json_object_get(p, "lifecycle")) != NULL) {
                snprintf(buf, sizeof(buf), "%s (passes %s, expired %s, noncurrent deleted %s, "
                         "markers deleted %s, uploads aborted %s, errors %s)",
                         adm_str(c, "state"), adm_val(c, "passes"), adm_val(c, "expired"),
                         adm_val(c, "versions_deleted"), adm_val(c, "markers_deleted"),
                         adm_val(c, "uploads_aborted"), adm_val(c, "errors"));
                adm_item(&t, "lifecycle worker", buf);
            }
            if ((c = json_object_get(p, "rebalance")) != NULL) {
                snprintf(buf, sizeof(buf), "%s (scanned %s, queued %s, dropped %s)",
                         adm_str(c, "state"), adm_val(c, "scanned"), adm_val(c, "queued"),
                         adm_val(c, "dropped"));
                adm_item(&t, "rebalance walk", buf);
            }
            if ((c = json_object_get(p, "recover_node")) != NULL) {
                snprintf(buf, sizeof(buf), "%s (target %s, scanned %s, queued %s)",
                         adm_str(c, "state"), adm_str(c, "target"), adm_val(c, "scanned"),
                         adm_val(c, "queued"));
                adm_item(&t, "recover-node scan", buf);
            }
        }
    }
    adm_table_print(&t);
}

int adm_cmd_status_node(struct adm *a, int argc, char **argv)
{
    return adm_call_print(a, "GET", adm_path("/v1/nodes/", argv[0], NULL), NULL,
                          status_node_print, NULL);
}

/* ---- state, log level, properties, gateways, the caches ------------------------------- */

static int node_action(struct adm *a, const char *node, const char *action)
{
    return adm_call_ok(a, "POST", adm_path("/v1/nodes/", node, action), NULL,
                       "OK: #{node} is #{state}");
}

int adm_cmd_detach(struct adm *a, int argc, char **argv)
{
    return node_action(a, argv[0], "/detach");
}

int adm_cmd_suspend(struct adm *a, int argc, char **argv)
{
    return node_action(a, argv[0], "/suspend");
}

int adm_cmd_resume(struct adm *a, int argc, char **argv)
{
    return node_action(a, argv[0], "/resume");
}

int adm_cmd_update_log_level(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "PUT", adm_path("/v1/nodes/", argv[0], "/log-level"),
                       json_pack("{s:s}", "level", argv[1]), "OK: #{node} logs at #{level}");
}

int adm_cmd_update_property(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "PUT", adm_path("/v1/nodes/", argv[0], "/property"),
                       json_pack("{s:s, s:s}", "name", argv[1], "value", argv[2]),
                       "OK: #{node} #{name} = #{value}");
}

int adm_cmd_remove_gateway(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "DELETE", adm_path("/v1/nodes/", argv[0], NULL), NULL,
                       "OK: gateway %s removed", argv[0]);
}

int adm_cmd_purge_cache(struct adm *a, int argc, char **argv)
{
    if (strchr(argv[0], '/') == NULL || argv[0][0] == '/') {
        fprintf(stderr, "cairn-adm: purge-cache BUCKET/KEY\n");
        return 2;
    }
    return adm_call_ok(a, "POST", "/v1/purge-cache", json_pack("{s:s}", "key", argv[0]),
                       "OK: %s is dropped from every gateway's cache at its next heartbeat",
                       argv[0]);
}

/* ---- du --------------------------------------------------------------------------------- */

static void du_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 7, .head = {"bucket", "objects", "bytes", "tombstones",
                                               "non-current", "non-current bytes",
                                               "delete markers"}};
    const json_t *e;
    size_t i;

    printf("active objects: %s\ntotal objects:  %s\nactive size:    %s\ndisk used:      %s\n",
           adm_val(j, "objects"), adm_val(j, "entries"), adm_val(j, "bytes"),
           adm_val(j, "disk_bytes"));
    /* raw and logical bytes (issue 21); a node before them answers neither */
    if (json_object_get(j, "raw_bytes") != NULL) {
        printf("raw size:       %s (the records' bodies", adm_val(j, "raw_bytes"));
        if (json_integer_value(json_object_get(j, "fragments")) > 0)
            printf("; %s in %s erasure-coded fragments", adm_val(j, "fragment_bytes"),
                   adm_val(j, "fragments"));
        printf(")\nlogical size:   %s (this node's share: copies / %s, fragments K/(K+M))\n",
               adm_val(j, "logical_bytes"), adm_val(j, "copies"));
    }
    /* versions (issue 16): older versions and delete markers, counted apart */
    if (json_integer_value(json_object_get(j, "noncurrent")) > 0)
        printf("non-current:    %s (%s bytes; %s delete markers)\n", adm_val(j, "noncurrent"),
               adm_val(j, "noncurrent_bytes"), adm_val(j, "delete_markers"));
    if (!*(const int *)arg)
        return;
    putchar('\n');
    json_array_foreach(json_object_get(j, "detail"), i, e) {
        const char *row[] = {adm_str(e, "bucket"),     adm_val(e, "objects"),
                             adm_val(e, "bytes"),      adm_val(e, "tombstones"),
                             adm_val(e, "noncurrent"), adm_val(e, "noncurrent_bytes"),
                             adm_val(e, "delete_markers")};
        adm_table_row(&t, row);
    }
    adm_table_print(&t);
}

int adm_cmd_du(struct adm *a, int argc, char **argv)
{
    const char *node = argv[0];
    int detail = 0;

    if (argc == 2) { /* du NODE detail, or LeoFS's du detail NODE */
        if (strcmp(argv[0], "detail") == 0)
            node = argv[1];
        else if (strcmp(argv[1], "detail") != 0) {
            fprintf(stderr, "cairn-adm: du NODE [detail]\n");
            return 2;
        }
        detail = 1;
    }
    return adm_call_print(a, "GET", adm_path("/v1/nodes/", node, "/du"), NULL, du_print,
                          &detail);
}

/* ---- recover-* -------------------------------------------------------------------------- */

static json_t *node_body(const char *node, const char *disk)
{
    json_t *b = json_pack("{s:s}", "node", node);

    if (disk != NULL)
        json_object_set_new(b, "disk", json_string(disk));
    return b;
}

/* Follows a recover-* until the manager reports it idle. */
static int recover_wait(struct adm *a, const char *what, const char *kind)
{
    char path[64];

    snprintf(path, sizeof(path), "/v1/recover?kind=%s", kind);
    if (adm_wait_idle(a, what, path, "state", NULL, "queued", "pending") != 0)
        return 1;
    if (!a->json)
        printf("OK: %s done\n", what);
    return 0;
}

int adm_cmd_recover_file(struct adm *a, int argc, char **argv)
{
    if (strchr(argv[0], '/') == NULL || argv[0][0] == '/') {
        fprintf(stderr, "cairn-adm: give the key as BUCKET/KEY\n");
        return 2;
    }
    return adm_call_ok(a, "POST", "/v1/recover/file", json_pack("{s:s}", "key", argv[0]),
                       "OK: %s: newest copy on #{newest} (clock ${clock}), ${queued} push(es) "
                       "queued?{forwarded:, forwarded to the holder}", argv[0]);
}

int adm_set_move_rate(struct adm *a)
{
    json_t *st, *nodes;
    int bad = 0;

    if (adm_call(a, "GET", "/v1/status", NULL, &st) != 0)
        return 1;
    nodes = json_object_get(st, "nodes");
    for (size_t i = 0; i < json_array_size(nodes); i++) {
        const json_t *n = json_array_get(nodes, i);
        json_t *out;

        if (strcmp(adm_str(n, "type"), "storage") != 0 || strcmp(adm_str(n, "state"), "stop") == 0)
            continue;
        if (adm_call(a, "PUT", adm_path("/v1/nodes/", adm_str(n, "name"), "/property"),
                     json_pack("{s:s, s:s}", "name", "replication.move_rate", "value", a->rate),
                     &out) != 0) {
            bad = 1;
            continue;
        }
        if (!a->json)
            printf("OK: %s moves at %s%s\n", adm_str(n, "name"), a->rate,
                   strcmp(a->rate, "0") == 0 ? " (adaptive)" : " bytes/s");
        json_decref(out);
    }
    json_decref(st);
    return bad;
}

static int recover_node_cmd(struct adm *a, const char *node, const char *disk)
{
    const char *what = disk ? "recover-disk" : "recover-node";
    int rc;

    if (a->rate != NULL && adm_set_move_rate(a) != 0)
        return 1;
    rc = adm_call_start(a, "POST", disk ? "/v1/recover/disk" : "/v1/recover/node",
                            node_body(node, disk),
                            "OK: %s %s: ${started} node(s) scan their keys and push what %s "
                            "should hold?{failed: (some nodes did not answer)}", what, node,
                            node);

    return rc >= 0 ? rc : recover_wait(a, what, "node");
}

int adm_cmd_recover_node(struct adm *a, int argc, char **argv)
{
    return recover_node_cmd(a, argv[0], NULL);
}

int adm_cmd_recover_disk(struct adm *a, int argc, char **argv)
{
    return recover_node_cmd(a, argv[0], argv[1]);
}

int adm_cmd_recover_consistency(struct adm *a, int argc, char **argv)
{
    int rc;

    if (a->rate != NULL && adm_set_move_rate(a) != 0)
        return 1;
    rc = adm_call_start(a, "POST", "/v1/recover/consistency", node_body(argv[0], NULL),
                            "OK: %s compares its keys with the other owners", argv[0]);

    return rc >= 0 ? rc : recover_wait(a, "recover-consistency", "consistency");
}

int adm_cmd_recover_ring(struct adm *a, int argc, char **argv)
{
    return adm_call_ok(a, "POST", "/v1/recover/ring", node_body(argv[0], NULL),
                       "OK: %s fetches the rings again at its next heartbeat", argv[0]);
}

/* ---- mq-*, compact-*, diagnose-start ------------------------------------------------------ */

static void items_print(struct adm *a, const json_t *j, const void *arg)
{
    struct adm_table t = {.ncols = 2, .head = {"item", "value"}};
    const char *k;
    const json_t *v;

    json_object_foreach((json_t *)j, k, v) {
        char tmp[64];

        snprintf(tmp, sizeof(tmp), "%s", adm_val(j, k));
        adm_item(&t, k, tmp);
    }
    adm_table_print(&t);
}

/* GET a node's sub-resource and print its fields as an item table. */
static int node_get_items(struct adm *a, const char *node, const char *sub)
{
    return adm_call_print(a, "GET", adm_path("/v1/nodes/", node, sub), NULL, items_print,
                          NULL);
}

static int node_post(struct adm *a, const char *node, const char *sub, json_t *body,
                     const char *msg)
{
    return adm_call_ok(a, "POST", adm_path("/v1/nodes/", node, sub), body, "OK: %s: %s", node,
                       msg);
}

int adm_cmd_mq_stats(struct adm *a, int argc, char **argv)
{
    return node_get_items(a, argv[0], "/mq");
}

int adm_cmd_mq_suspend(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/mq/suspend", NULL,
                     "repair queue suspended (it keeps taking entries)");
}

int adm_cmd_mq_resume(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/mq/resume", NULL, "repair queue running again");
}

int adm_cmd_compact_start(struct adm *a, int argc, char **argv)
{
    long n = 0;
    int rc;

    if (strcmp(argv[1], "all") != 0 && (n = adm_count_arg(argv[1])) < 1) {
        fprintf(stderr, "cairn-adm: compact-start NODE all|N: N is a positive count of "
                        "containers\n");
        return 2;
    }
    if (argc == 3 && adm_count_arg(argv[2]) < 1) {
        fprintf(stderr, "cairn-adm: procs must be a positive number\n");
        return 2;
    }
    /* procs is accepted for leofs-adm compatibility: a node compacts one container at a time */
    rc = node_post(a, argv[0], "/compact/start", json_pack("{s:I}", "containers", (json_int_t)n),
                   "compaction started");
    if (rc != 0 || !a->wait)
        return rc;
    if (adm_wait_idle(a, "compaction", adm_path("/v1/nodes/", argv[0], "/compact"), "state",
                      "done", "total", NULL) != 0)
        return 1;
    if (!a->json)
        printf("OK: compaction of %s done\n", argv[0]);
    return 0;
}

int adm_cmd_compact_suspend(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/compact/suspend", NULL, "compaction suspended");
}

int adm_cmd_compact_resume(struct adm *a, int argc, char **argv)
{
    return node_post(a, argv[0], "/compact/resume", NULL, "compaction resumed");
}

int adm_cmd_compact_status(struct adm *a, int argc, char **argv)
{
    return node_get_items(a, argv[0], "/compact");
}

int adm_cmd_diagnose_start(struct adm *a, int argc, char **argv)
{
    int rc = node_post(a, argv[0], "/diagnose", NULL,
                       "reading every record and checking its checksums (scrub)");

    if (rc != 0 || !a->wait)
        return rc;
    if (adm_wait_idle(a, "diagnose", adm_path("/v1/nodes/", argv[0], "/diagnose"), "state",
                      "records", "records", NULL) != 0)
        return 1;
    return node_get_items(a, argv[0], "/diagnose");
}
