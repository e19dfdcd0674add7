/*
 * manager/admin_ops.c: the admin API's cluster operations (docs/ADMIN_API.md, "Cluster
 * operations"): rebalance and its progress, rollback, the recover-* commands, and the
 * per-node commands that the manager relays to a storage node over RPC (mq-*, compact-*,
 * diagnose, status NODE's storage part, whereis copies; an erasure-coded object's fragments
 * are admin_whereis_ec.c's).
 * Locking: routes marked MGR_ROUTE_NOLOCK here take s->lock themselves only to read members
 * and rings, and never hold it across an RPC (mgr_node_call blocks on its own private loop;
 * the admin server runs one thread per connection, so a slow node delays only its caller).
 */
#include "config.h"

#include "manager/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define MGR_KEY_MAX 1100
#define MGR_WHEREIS_VERSIONS 10000 /* versions whereis lists per copy at most */

static void hex16(uint64_t sum, char out[17])
{
    cn_ring_checksum_hex(sum, out);
}

/* 409 when some node holds another ring than the manager. Lock held. */
static int refuse_on_disagree(struct mgr_server *s, struct mgr_answer *a, const char *what)
{
    const mgr_member_t *who;
    char hs[17], hm[17];

    if (!mgr_members_disagree(&s->members, mgr_ring_sum(s->ring_cur), &who))
        return 0;
    hex16(who->ring_cur, hs);
    hex16(mgr_ring_sum(s->ring_cur), hm);
    mgr_fail(a, 409, "ring checksums disagree (%s holds %s, the manager %s); %s waits until "
             "every node has the current ring (see cairn-adm status)", who->name, hs, hm, what);
    return 1;
}

/* The rc of a storage op as HTTP: 0 -> 200, else a status and a message. */
static unsigned rc_status(int rc)
{
    switch (rc) {
    case 0: return 200;
    case CN_EBUSY: return 409;
    case CN_EINVAL: return 409;
    case CN_ENOENT: return 404;
    case CN_EUNAVAIL: return 409;
    default: return 502;
    }
}

/* Sends op (with optional fields set by the caller in req) to node and answers its reply:
 * the fields in specs, or the error. */
static void relay(struct mgr_server *s, struct mgr_answer *a, const char *node, cn_msg_t *req,
                  const char *const *specs, const char *what)
{
    cn_msg_t *resp = NULL;
    char why[512];
    int rc = mgr_node_call(s, node, req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));
    json_t *j;

    if (rc == CN_ENOENT) {
        mgr_fail(a, 404, "%s", why);
        return;
    }
    if (rc != 0) {
        mgr_fail(a, 502, "%s", why);
        return;
    }
    if ((rc = cn_msg_rc(resp)) != 0) {
        if (rc == CN_EINVAL && strncmp(what, "compact", 7) == 0)
            mgr_fail(a, 409, "%s on %s: %s (nothing to do in this state, or the node runs "
                     "[storage] engine = simple)", what, node, cn_strerror(rc));
        else
            mgr_fail(a, rc_status(rc), "%s on %s: %s", what, node, cn_strerror(rc));
        cn_msg_free(resp);
        return;
    }
    j = specs ? mgr_msg_json(resp, NULL, specs) : json_object();
    json_object_set_new(j, "node", json_string(node));
    a->status = 200;
    a->json = j;
    cn_msg_free(resp);
}

/* ---- rebalance and rollback ---------------------------------------------------------- */

void mgr_h_rebalance_start(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char why[512], cur[17], prev[17];
    int rc;

    mgr_audit(a, "cluster", "rebalance");
    if (refuse_on_disagree(s, a, "rebalance"))
        return;
    rc = mgr_ring_rebalance(s->fsm, &s->members, s->ring_cur, s->ring_prev, why,
                            sizeof(why));
    if (rc != 0) {
        mgr_fail(a, rc == CN_EIO ? 500 : 409, "%s", why);
        return;
    }
    hex16(mgr_ring_sum(s->ring_cur), cur);
    hex16(mgr_ring_sum(s->ring_prev), prev);
    json_decref(s->rebal.detail);
    memset(&s->rebal, 0, sizeof(s->rebal));
    s->rebal.cur = mgr_ring_sum(s->ring_cur);
    s->rebal.prev = mgr_ring_sum(s->ring_prev);
    s->rebal.started_ms = cn_now_ms();
    mgr_audit(a, "ring_cur", cur);
    mgr_audit(a, "ring_prev", prev);
    CN_LOG(CN_LOG_INFO, "cur=%s prev=%s nodes=%zu: rebalance started", cur, prev,
           cn_ring_node_count(s->ring_cur));
    a->status = 200;
    a->json = json_pack("{s:s, s:{s:s, s:s, s:I}}", "status", "started", "ring", "cur", cur,
                        "prev", prev, "nodes", (json_int_t)cn_ring_node_count(s->ring_cur));
    mgr_watch_kick(s);
}

void mgr_h_rebalance_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const struct mgr_rebal *rb = &s->rebal;
    char cur[17], prev[17], when[32] = "", fin[32] = "";
    double pct;
    json_t *j;

    hex16(mgr_ring_sum(s->ring_cur), cur);
    hex16(mgr_ring_sum(s->ring_prev), prev);
    if (rb->started_ms)
        cn_fmt_iso8601_ms(rb->started_ms, when, sizeof(when));
    if (rb->finished_ms)
        cn_fmt_iso8601_ms(rb->finished_ms, fin, sizeof(fin));
    if (s->ring_prev == NULL)
        pct = 100.0;
    else if (rb->left > 0) /* the nodes' estimate, walks included */
        pct = 100.0 * (double)rb->done / (double)(rb->done + rb->left);
    else if (rb->walking > 0 || rb->queued == 0)
        pct = 0.0;
    else
        pct = 100.0 * (double)(rb->queued - (rb->pending < rb->queued ? rb->pending
                                                                      : rb->queued)) /
              (double)rb->queued;
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s}",
                  "state", s->ring_prev ? "running" : "idle", "ring_cur", cur, "ring_prev",
                  prev, "started", when, "finished", fin, "elapsed_ms",
                  (json_int_t)(rb->started_ms && s->ring_prev ? cn_now_ms() - rb->started_ms
                                                              : 0),
                  "queued", (json_int_t)rb->queued, "done", (json_int_t)rb->done, "pending",
                  (json_int_t)rb->pending, "dropped", (json_int_t)rb->dropped, "walking",
                  (json_int_t)rb->walking, "nodes", (json_int_t)rb->nodes, "progress", pct,
                  "last", rb->last);
    /* moved bytes, the rate summed over the nodes (they move in parallel) and the time the
     * moves left take at that rate (null: not moving yet, unknown) */
    json_object_set_new(j, "bytes", json_integer((json_int_t)rb->bytes));
    json_object_set_new(j, "left", json_integer((json_int_t)(s->ring_prev ? rb->left : 0)));
    json_object_set_new(j, "rate_keys_s", json_integer((json_int_t)rb->rate_keys));
    json_object_set_new(j, "rate_bytes_s", json_integer((json_int_t)rb->rate_bytes));
    json_object_set_new(j, "eta_s", !s->ring_prev ? json_integer(0)
                                    : rb->rate_keys > 0
                                        ? json_integer((json_int_t)(rb->left / rb->rate_keys))
                                        : json_null());
    json_object_set_new(j, "detail",
                        s->ring_prev && rb->detail ? json_deep_copy(rb->detail) : json_array());
    a->status = 200;
    a->json = j;
}

void mgr_h_rollback(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char cur[17], prev[17];
    int rc;

    mgr_audit(a, "cluster", "rollback");
    if (s->ring_prev == NULL) {
        mgr_fail(a, 409, "nothing to roll back: no rebalance is running (ring prev is empty)");
        return;
    }
    if ((rc = mgr_ring_rollback(s->fsm, s->ring_cur, s->ring_prev)) == CN_ESTALE ||
        rc == CN_ENOENT) {
        mgr_fail(a, 409, "the rings changed meanwhile (%s); see cairn-adm status",
                 cn_strerror(rc));
        return;
    }
    if (rc != 0) {
        mgr_fail(a, 500, "could not save the rings (%s); see the manager log", cn_strerror(rc));
        return;
    }
    hex16(mgr_ring_sum(s->ring_cur), cur);
    hex16(mgr_ring_sum(s->ring_prev), prev);
    s->rebal.cur = mgr_ring_sum(s->ring_cur);
    s->rebal.prev = mgr_ring_sum(s->ring_prev);
    s->rebal.started_ms = cn_now_ms();
    mgr_audit(a, "ring_cur", cur);
    CN_LOG(CN_LOG_INFO, "cur=%s prev=%s: rollback, the data moves back", cur, prev);
    a->status = 200;
    a->json = json_pack("{s:s, s:{s:s, s:s}}", "status", "rolled back", "ring", "cur", cur,
                        "prev", prev);
    mgr_watch_kick(s);
}

/* ---- recover-* ----------------------------------------------------------------------- */

/* Copies the names of the storage nodes in cur (or prev) into names; returns how many, or
 * -1 after answering an error. Takes the lock. */
static int ring_nodes(struct mgr_server *s, struct mgr_answer *a, const char *what,
                      char (*names)[CN_RING_NAME_MAX], size_t max)
{
    int n = 0;

    pthread_mutex_lock(&s->lock);
    if (s->ring_cur == NULL) {
        mgr_fail(a, 409, "the cluster is not started yet: there is no ring (cairn-adm start)");
        n = -1;
    } else if (refuse_on_disagree(s, a, what)) {
        n = -1;
    } else {
        for (size_t i = 0; i < s->members.n && (size_t)n < max; i++) {
            const mgr_member_t *m = &s->members.v[i];

            if (strcmp(m->type, CN_NODE_STORAGE) == 0 &&
                (cn_ring_find(s->ring_cur, m->name) != NULL ||
                 (s->ring_prev && cn_ring_find(s->ring_prev, m->name) != NULL)))
                snprintf(names[n++], CN_RING_NAME_MAX, "%s", m->name);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return n;
}

static int known_storage(struct mgr_server *s, struct mgr_answer *a, const char *name)
{
    const mgr_member_t *m;
    int ok;

    pthread_mutex_lock(&s->lock);
    m = name ? mgr_members_find(&s->members, name) : NULL;
    ok = m != NULL && strcmp(m->type, CN_NODE_STORAGE) == 0;
    pthread_mutex_unlock(&s->lock);
    if (!ok)
        mgr_fail(a, name ? 404 : 400, "no storage node named '%.80s' (see cairn-adm status)",
                 name ? name : "");
    return ok;
}

void mgr_h_recover_file(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char names[64][CN_RING_NAME_MAX], why[512] = "";
    const char *key;
    json_t *j = mgr_body_json(r, a), *tried = json_array();
    int n;

    if (j == NULL) {
        json_decref(tried);
        return;
    }
    key = json_string_value(json_object_get(j, "key"));
    mgr_audit(a, "key", key);
    if (key == NULL || strchr(key, '/') == NULL || key[0] == '/' || strlen(key) > MGR_KEY_MAX) {
        mgr_fail(a, 400, "send {\"key\": \"BUCKET/KEY\"}");
        goto out;
    }
    if ((n = ring_nodes(s, a, "recover-file", names, 64)) < 0)
        goto out;
    /* any node can run it: it asks the key's read set itself; try them until one answers */
    for (int i = 0; i < n; i++) {
        cn_msg_t *req = cn_msg_new(MGR_SOP_RECOVER_FILE), *resp = NULL;
        char nb[CN_RING_NAME_MAX];
        uint64_t v;
        int rc;

        cn_msg_set_bytes(req, "key", key, strlen(key));
        if ((rc = mgr_node_call(s, names[i], req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why,
                                sizeof(why))) != 0) {
            json_array_append_new(tried, json_string(why));
            continue;
        }
        rc = cn_msg_rc(resp);
        if (rc == CN_ENOENT) {
            mgr_fail(a, 404, "no node holds %s", key);
        } else if (rc != 0) {
            mgr_fail(a, 502, "recover-file on %s: %s", names[i], cn_strerror(rc));
        } else {
            a->status = 200;
            a->json = json_pack("{s:s, s:s}", "key", key, "via", names[i]);
            if (cn_msg_get_str(resp, "newest", nb, sizeof(nb)) == 0)
                json_object_set_new(a->json, "newest", json_string(nb));
            if (cn_msg_get_u64(resp, "clock", &v) == 0)
                json_object_set_new(a->json, "clock", json_integer((json_int_t)v));
            if (cn_msg_get_u64(resp, "queued", &v) == 0)
                json_object_set_new(a->json, "queued", json_integer((json_int_t)v));
            if (cn_msg_get_u64(resp, "forwarded", &v) == 0)
                json_object_set_new(a->json, "forwarded", json_integer((json_int_t)v));
        }
        cn_msg_free(resp);
        goto out;
    }
    mgr_fail(a, 502, "no storage node answered%s%s", why[0] ? ": " : "", why);
out:
    json_decref(tried);
    json_decref(j);
}

/* recover_node {target} on every other node of the rings (recover-node, recover-disk). */
static void recover_node_fanout(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a,
                                const char *what)
{
    char names[64][CN_RING_NAME_MAX], why[512];
    const char *node, *disk;
    json_t *j = mgr_body_json(r, a), *res;
    int n, sent = 0, failed = 0;

    if (j == NULL)
        return;
    node = json_string_value(json_object_get(j, "node"));
    disk = json_string_value(json_object_get(j, "disk"));
    mgr_audit(a, "node", node);
    if (strcmp(what, "recover-disk") == 0) {
        mgr_audit(a, "disk", disk);
        if (disk == NULL || disk[0] == '\0') {
            mgr_fail(a, 400, "send {\"node\": \"NODE\", \"disk\": \"DISK\"}");
            goto out;
        }
    }
    if (!known_storage(s, a, node) || (n = ring_nodes(s, a, what, names, 64)) < 0)
        goto out;
    res = json_array();
    for (int i = 0; i < n; i++) {
        cn_msg_t *req, *resp = NULL;
        int rc;

        if (strcmp(names[i], node) == 0)
            continue;
        req = cn_msg_new(MGR_SOP_RECOVER_NODE);
        cn_msg_set_str(req, "target", node);
        rc = mgr_node_call(s, names[i], req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));
        if (rc == 0 && (rc = cn_msg_rc(resp)) != 0)
            snprintf(why, sizeof(why), "%s", cn_strerror(rc));
        json_array_append_new(res, json_pack("{s:s, s:s}", "node", names[i], "result",
                                             rc == 0 ? "started" : why));
        sent += rc == 0;
        failed += rc != 0;
        cn_msg_free(resp);
    }
    CN_LOG(CN_LOG_INFO, "target=%s sent=%d failed=%d: %s", node, sent, failed, what);
    if (sent == 0) {
        json_decref(res);
        mgr_fail(a, 502, "%s %s: no other storage node started the scan%s", what, node,
                 failed ? " (see cairn-adm status)" : "");
        goto out;
    }
    a->status = 200;
    a->json = json_pack("{s:s, s:s, s:i, s:i, s:o}", "target", node, "status", "started",
                        "started", sent, "failed", failed, "nodes", res);
    if (disk != NULL)
        json_object_set_new(a->json, "disk", json_string(disk));
out:
    json_decref(j);
}

void mgr_h_recover_node(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    recover_node_fanout(s, r, a, "recover-node");
}

void mgr_h_recover_disk(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    recover_node_fanout(s, r, a, "recover-disk");
}

void mgr_h_recover_consistency(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char names[1][CN_RING_NAME_MAX];
    json_t *j = mgr_body_json(r, a);
    const char *node;

    if (j == NULL)
        return;
    node = json_string_value(json_object_get(j, "node"));
    mgr_audit(a, "node", node);
    if (known_storage(s, a, node) && ring_nodes(s, a, "recover-consistency", names, 0) >= 0)
        relay(s, a, node, cn_msg_new(MGR_SOP_RECOVER_CONSISTENCY), NULL,
              "recover-consistency");
    if (a->status == 200)
        json_object_set_new(a->json, "status", json_string("started"));
    json_decref(j);
}

void mgr_h_recover_ring(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j = mgr_body_json(r, a);
    const char *node;
    mgr_member_t *m;

    if (j == NULL)
        return;
    node = json_string_value(json_object_get(j, "node"));
    mgr_audit(a, "node", node);
    m = node ? mgr_members_find(&s->members, node) : NULL;
    if (m == NULL)
        mgr_fail(a, node ? 404 : 400, "no node named '%.80s' (see cairn-adm status)",
                 node ? node : "");
    else if (s->ring_cur == NULL)
        mgr_fail(a, 409, "the cluster is not started yet: there is no ring (cairn-adm start)");
    else {
        m->ring_push = 1;
        a->status = 200;
        a->json = json_pack("{s:s, s:s}", "node", node, "status",
                            "the node fetches the rings at its next heartbeat");
    }
    json_decref(j);
}

/* Adds the node's field prefix+name (0 when absent) to *acc. */
static void add_field(const cn_msg_t *st, const char *prefix, const char *name, uint64_t *acc)
{
    char f[64];
    uint64_t v;

    snprintf(f, sizeof(f), "%s%s", prefix, name);
    if (cn_msg_get_u64(st, f, &v) == 0)
        *acc += v;
}

/* GET /v1/recover?kind=node|consistency: each node's scan and queue depth of that reason,
 * and the sums: keys queued, done and left, bytes moved, the move rates and the ETA. */
void mgr_h_recover_progress(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *kind = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "kind");
    char names[64][CN_RING_NAME_MAX], why[512], prefix[32], reason[32], dfield[48];
    json_t *res = json_array();
    uint64_t running = 0, queued = 0, pending = 0, done = 0;
    uint64_t bytes = 0, left = 0, rate_keys = 0, rate_bytes = 0;
    int n;

    if (kind == NULL || (strcmp(kind, "node") != 0 && strcmp(kind, "consistency") != 0)) {
        json_decref(res);
        mgr_fail(a, 400, "give ?kind=node or ?kind=consistency");
        return;
    }
    snprintf(prefix, sizeof(prefix), "%s_", kind);
    snprintf(reason, sizeof(reason), "%s", strcmp(kind, "node") == 0 ? "recover_node"
                                                                     : "consistency");
    snprintf(dfield, sizeof(dfield), "depth_%s", reason);
    pthread_mutex_lock(&s->lock);
    n = 0;
    for (size_t i = 0; s->ring_cur && i < s->members.n && n < 64; i++)
        if (strcmp(s->members.v[i].type, CN_NODE_STORAGE) == 0 &&
            strcmp(s->members.v[i].state, MGR_STATE_STOP) != 0 &&
            cn_ring_find(s->ring_cur, s->members.v[i].name) != NULL)
            snprintf(names[n++], CN_RING_NAME_MAX, "%s", s->members.v[i].name);
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++) {
        cn_msg_t *st = NULL, *mq = NULL;
        json_t *o = json_pack("{s:s}", "node", names[i]);
        uint64_t v;

        if (mgr_node_call(s, names[i], cn_msg_new(MGR_SOP_RECOVER_STATUS),
                          MGR_NODE_CALL_TIMEOUT_MS, &st, why, sizeof(why)) == 0 &&
            cn_msg_rc(st) == 0) {
            json_object_set_new(o, "scan", mgr_msg_json(st, prefix, mgr_scan_fields));
            snprintf(why, sizeof(why), "%srunning", prefix);
            running += cn_msg_get_u64(st, why, &v) == 0 && v;
            add_field(st, prefix, "queued", &queued);
            add_field(st, prefix, "done", &done);
            add_field(st, prefix, "bytes", &bytes);
            add_field(st, prefix, "left", &left);
            add_field(st, prefix, "rate_keys_s", &rate_keys);
            add_field(st, prefix, "rate_bytes_s", &rate_bytes);
        } else {
            json_object_set_new(o, "error", json_string(why));
        }
        if (mgr_node_call(s, names[i], cn_msg_new(MGR_SOP_MQ_STATS), MGR_NODE_CALL_TIMEOUT_MS,
                          &mq, why, sizeof(why)) == 0 && cn_msg_rc(mq) == 0 &&
            cn_msg_get_u64(mq, dfield, &v) == 0) {
            json_object_set_new(o, "pending", json_integer((json_int_t)v));
            pending += v;
        }
        cn_msg_free(st);
        cn_msg_free(mq);
        json_array_append_new(res, o);
    }
    a->status = 200;
    a->json = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "kind", kind, "state",
                        running || pending ? "running" : "idle", "scanning",
                        (json_int_t)running, "queued", (json_int_t)queued, "done",
                        (json_int_t)done, "pending", (json_int_t)pending, "nodes", res);
    json_object_set_new(a->json, "bytes", json_integer((json_int_t)bytes));
    json_object_set_new(a->json, "left", json_integer((json_int_t)left));
    json_object_set_new(a->json, "rate_keys_s", json_integer((json_int_t)rate_keys));
    json_object_set_new(a->json, "rate_bytes_s", json_integer((json_int_t)rate_bytes));
    json_object_set_new(a->json, "eta_s", !running && !pending ? json_integer(0)
                                          : rate_keys > 0
                                              ? json_integer((json_int_t)(left / rate_keys))
                                              : json_null());
}

/* ---- per node relays ----------------------------------------------------------------- */

void mgr_h_node_mq(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *tail = strrchr(r->url, '/') + 1;

    if (strcmp(r->method, "GET") == 0) {
        relay(s, a, r->param[0], cn_msg_new(MGR_SOP_MQ_STATS), mgr_mq_fields, "mq-stats");
        return;
    }
    mgr_audit(a, "node", r->param[0]);
    mgr_audit(a, "action", strcmp(tail, "suspend") == 0 ? "mq-suspend" : "mq-resume");
    relay(s, a, r->param[0],
          cn_msg_new(strcmp(tail, "suspend") == 0 ? MGR_SOP_MQ_SUSPEND : MGR_SOP_MQ_RESUME),
          NULL, strcmp(tail, "suspend") == 0 ? "mq-suspend" : "mq-resume");
    if (a->status == 200)
        json_object_set_new(a->json, "queue", json_string(strcmp(tail, "suspend") == 0
                                                              ? "suspended"
                                                              : "running"));
}

void mgr_h_node_compact(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *tail = strrchr(r->url, '/') + 1;
    cn_msg_t *req;
    json_t *j;

    if (strcmp(r->method, "GET") == 0) {
        relay(s, a, r->param[0], cn_msg_new(MGR_SOP_COMPACT_STATUS), mgr_compact_fields,
              "compact-status");
        return;
    }
    mgr_audit(a, "node", r->param[0]);
    mgr_audit(a, "action", tail);
    if (strcmp(tail, "start") == 0) {
        json_int_t n = 0;

        if ((j = mgr_body_json(r, a)) == NULL)
            return;
        n = json_integer_value(json_object_get(j, "containers"));
        json_decref(j);
        if (n < 0 || n > 1000000) {
            mgr_fail(a, 400, "containers: 0 (all) or a count");
            return;
        }
        req = cn_msg_new(MGR_SOP_COMPACT_START);
        cn_msg_set_u64(req, "containers", (uint64_t)n);
        relay(s, a, r->param[0], req, NULL, "compact-start");
    } else {
        relay(s, a, r->param[0],
              cn_msg_new(strcmp(tail, "suspend") == 0 ? MGR_SOP_COMPACT_SUSPEND
                                                      : MGR_SOP_COMPACT_RESUME),
              NULL, strcmp(tail, "suspend") == 0 ? "compact-suspend" : "compact-resume");
    }
    if (a->status == 200)
        json_object_set_new(a->json, "compaction", json_string(strcmp(tail, "start") == 0
                                                                   ? "started"
                                                                   : strcmp(tail, "suspend") == 0
                                                                         ? "suspended"
                                                                         : "resumed"));
}

void mgr_h_node_diagnose(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    if (strcmp(r->method, "GET") == 0) {
        relay(s, a, r->param[0], cn_msg_new(MGR_SOP_SCRUB_STATUS), mgr_scrub_fields,
              "diagnose-status");
        return;
    }
    mgr_audit(a, "node", r->param[0]);
    mgr_audit(a, "action", "diagnose-start");
    relay(s, a, r->param[0], cn_msg_new(MGR_SOP_SCRUB_START), NULL, "diagnose-start");
    if (a->status == 200)
        json_object_set_new(a->json, "diagnose", json_string("started"));
}

/* ---- status NODE and whereis, with what the storage nodes say ------------------------- */

void mgr_h_node_full(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *type = NULL, *state = NULL;
    static const struct {
        const char *op, *key, *prefix;
        const char *const *specs;
    } parts[] = {
        {MGR_SOP_MQ_STATS, "queue", NULL, mgr_mq_fields},
        {MGR_SOP_COMPACT_STATUS, "compaction", NULL, mgr_compact_fields},
        {MGR_SOP_SCRUB_STATUS, "scrub", NULL, mgr_scrub_fields},
        {MGR_SOP_LC_STATUS, "lifecycle", NULL, mgr_lc_fields},
        {MGR_SOP_RECOVER_STATUS, "recover_node", "node_", mgr_scan_fields},
        {MGR_SOP_RECOVER_STATUS, "recover_consistency", "consistency_", mgr_scan_fields},
        {MGR_SOP_RECOVER_STATUS, "rebalance", "rebalance_", mgr_scan_fields},
    };
    json_t *sto;
    char why[512];

    pthread_mutex_lock(&s->lock);
    mgr_h_node_get(s, r, a);
    if (a->status == 200) {
        type = json_string_value(json_object_get(a->json, "type"));
        state = json_string_value(json_object_get(a->json, "state"));
    }
    pthread_mutex_unlock(&s->lock);
    if (type == NULL || strcmp(type, CN_NODE_STORAGE) != 0 || strcmp(state, MGR_STATE_STOP) == 0)
        return;
    sto = json_object();
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        cn_msg_t *resp = NULL;
        int rc = mgr_node_call(s, r->param[0], cn_msg_new(parts[i].op),
                               MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));

        if (rc == 0 && cn_msg_rc(resp) == 0)
            json_object_set_new(sto, parts[i].key,
                                mgr_msg_json(resp, parts[i].prefix, parts[i].specs));
        else if (rc == 0)
            json_object_set_new(sto, parts[i].key,
                                json_pack("{s:s}", "error", cn_strerror(cn_msg_rc(resp))));
        cn_msg_free(resp);
        if (rc != 0) {
            json_object_set_new(sto, "error", json_string(why));
            break;
        }
    }
    json_object_set_new(a->json, "storage", sto);
}

/* One entry of a node's version listing as JSON: its version ("null" for the object's own
 * key, else the ID after the NUL), whether it is a delete marker or a tombstone (a version
 * deleted for good), clock, size, ETag and time. */
static json_t *version_json(const cn_list_entry_t *e)
{
    const char *nul = memchr(e->key.ptr, '\0', e->key.len);
    char when[32];
    json_t *v;

    v = json_pack("{s:s%, s:b, s:b, s:I, s:I, s:s, s:I}", "version",
                  nul ? nul + 1 : "null",
                  nul ? e->key.len - (size_t)(nul + 1 - e->key.ptr) : strlen("null"),
                  "delete_marker", (e->flags & CN_OBJ_DELETE_MARKER) != 0, "tombstone",
                  (e->flags & CN_OBJ_TOMBSTONE) != 0, "clock", (json_int_t)e->clock, "size",
                  (json_int_t)e->size, "etag", e->etag, "flags", (json_int_t)e->flags);
    if (e->mtime_ms) {
        cn_fmt_iso8601_ms(e->mtime_ms, when, sizeof(when));
        json_object_set_new(v, "time", json_string(when));
    }
    return v;
}

/* Sets "versions" of copy c to what node holds of key and its versions (issue 16): a storage
 * `list` with group = 1 (only key and "key\0ID") and tombstones = 1, in index order (the
 * object's own key, then its versions newest first), at most MGR_WHEREIS_VERSIONS of them
 * ("versions_truncated" when more follow); "versions_error" when the node does not answer. */
static void add_versions(struct mgr_server *s, const char *node, json_t *c, const char *key)
{
    size_t klen = strlen(key);
    json_t *arr = json_array();
    cn_buf_t after;
    char why[512];
    int more = 1;

    cn_buf_init(&after);
    while (more && json_array_size(arr) < MGR_WHEREIS_VERSIONS) {
        cn_msg_t *req = cn_msg_new(CN_OP_LIST), *resp = NULL;
        cn_list_result_t *lr = NULL;
        cn_slice_t body;
        uint64_t trunc = 0;
        size_t n;
        int rc;

        cn_msg_set_bytes(req, "prefix", key, klen);
        if (after.len > 0)
            cn_msg_set_bytes(req, "start_after", after.data, after.len);
        cn_msg_set_u64(req, "group", 1);
        cn_msg_set_u64(req, "tombstones", 1);
        cn_msg_set_u64(req, "max_keys", 1000);
        rc = mgr_node_call(s, node, req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));
        if (rc == 0 && (rc = cn_msg_rc(resp)) != 0)
            snprintf(why, sizeof(why), "list: %s", cn_strerror(rc));
        if (rc == 0) {
            body = cn_msg_body(resp);
            if (body.len > 0 && (rc = cn_list_decode(body.ptr, body.len, &lr)) != 0)
                snprintf(why, sizeof(why), "list: %s", cn_strerror(rc));
        }
        if (rc != 0) {
            json_object_set_new(c, "versions_error", json_string(why));
            cn_msg_free(resp);
            break;
        }
        n = lr ? cn_list_result_count(lr) : 0;
        for (size_t i = 0; i < n; i++) {
            const cn_list_entry_t *e = cn_list_result_at(lr, i);

            json_array_append_new(arr, version_json(e));
            if (i + 1 == n) {
                cn_buf_reset(&after);
                cn_buf_append(&after, e->key.ptr, e->key.len);
            }
        }
        more = cn_msg_get_u64(resp, "truncated", &trunc) == 0 && trunc && n > 0;
        cn_list_result_free(lr);
        cn_msg_free(resp);
    }
    if (more && json_array_size(arr) >= MGR_WHEREIS_VERSIONS)
        json_object_set_new(c, "versions_truncated", json_true());
    cn_buf_dispose(&after);
    json_object_set_new(c, "versions", arr);
}

/* Adds "copy" (what the node's whereis says, with the versions it holds) to each entry of a
 * replica array. */
static void add_copies(struct mgr_server *s, json_t *arr, const char *key)
{
    static const char *const fields[] = {"u:owner", "u:clock", "s:etag", "u:size", "u:mtime",
                                         "u:flags", "u:corrupt", NULL};
    size_t i;
    json_t *e;
    char why[512], when[32];

    json_array_foreach(arr, i, e) {
        const char *node = json_string_value(json_object_get(e, "node"));
        cn_msg_t *req = cn_msg_new(MGR_SOP_WHEREIS), *resp = NULL;
        json_t *c;
        int rc;

        if (node == NULL) {
            cn_msg_free(req);
            continue;
        }
        cn_msg_set_bytes(req, "key", key, strlen(key));
        rc = mgr_node_call(s, node, req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));
        if (rc != 0) {
            c = json_pack("{s:s}", "error", why);
        } else if (cn_msg_rc(resp) == CN_ENOENT) {
            c = json_pack("{s:b}", "present", 0);
        } else if (cn_msg_rc(resp) != 0) {
            c = json_pack("{s:s}", "error", cn_strerror(cn_msg_rc(resp)));
        } else {
            uint64_t flags = 0, mt = 0;

            c = mgr_msg_json(resp, NULL, fields);
            cn_msg_get_u64(resp, "flags", &flags);
            cn_msg_get_u64(resp, "mtime", &mt);
            json_object_set_new(c, "present", json_true());
            json_object_set_new(c, "tombstone", json_boolean(flags & CN_OBJ_TOMBSTONE));
            json_object_set_new(c, "manifest", json_boolean(flags & CN_OBJ_MANIFEST));
            if (mt) {
                cn_fmt_iso8601_ms(mt, when, sizeof(when));
                json_object_set_new(c, "time", json_string(when));
            }
        }
        cn_msg_free(resp);
        if (rc == 0)
            add_versions(s, node, c, key);
        json_object_set_new(e, "copy", c);
    }
}

void mgr_h_whereis_full(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *key = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "key");
    const char *copies = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "copies");
    const char *all;
    json_t *arr;

    pthread_mutex_lock(&s->lock);
    mgr_h_whereis(s, r, a);
    pthread_mutex_unlock(&s->lock);
    if (a->status != 200 || (copies != NULL && strcmp(copies, "0") == 0))
        return;
    if ((arr = json_object_get(a->json, "replicas")) != NULL)
        add_copies(s, arr, key);
    if ((arr = json_object_get(a->json, "prev_replicas")) != NULL)
        add_copies(s, arr, key);
    mgr_whereis_ec(s, a->json, key); /* an erasure-coded object's fragments (issue 21) */
    if ((all = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "all")) != NULL &&
        strcmp(all, "1") == 0) {
        /* every other storage member too: a copy there is one a rebalance has not dropped */
        json_t *others = json_array();

        pthread_mutex_lock(&s->lock);
        for (size_t i = 0; i < s->members.n; i++) {
            const mgr_member_t *m = &s->members.v[i];
            int listed = 0;
            size_t k;
            json_t *e;

            if (strcmp(m->type, CN_NODE_STORAGE) != 0 || strcmp(m->state, MGR_STATE_STOP) == 0)
                continue;
            json_array_foreach(json_object_get(a->json, "replicas"), k, e)
                listed |= strcmp(json_string_value(json_object_get(e, "node")), m->name) == 0;
            json_array_foreach(json_object_get(a->json, "prev_replicas"), k, e)
                listed |= strcmp(json_string_value(json_object_get(e, "node")), m->name) == 0;
            if (!listed)
                json_array_append_new(others, json_pack("{s:s, s:s}", "node", m->name, "state",
                                                        m->state));
        }
        pthread_mutex_unlock(&s->lock);
        add_copies(s, others, key);
        json_object_set_new(a->json, "others", others);
    }
}
