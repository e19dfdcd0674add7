/*
 * manager/admin_node.c: the admin API's per-node and bucket-removal commands that talk to
 * the storage nodes (docs/ADMIN_API.md): du, update-property, update-log-level (storage),
 * remove-gateway, and delete-bucket with its asynchronous object removal and
 * delete-bucket-stats.
 * Locking: every route here is MGR_ROUTE_NOLOCK; handlers take s->lock only to read or
 * change members and buckets, never across an RPC (mgr_node_call takes it itself).
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
#include "manager/buckets.h"

#define MGR_SOP_DU "du"
#define MGR_SOP_SET_PROPERTY "set_property"
#define MGR_SOP_DELETE_BUCKET "delete_bucket"
#define MGR_SOP_DELETE_BUCKET_STATUS "delete_bucket_status"
#define MGR_DU_TIMEOUT_MS 60000
#define MGR_MAX_NODES 256

/* The type of member name ("" when unknown; "manager" for the manager). */
static void member_type(struct mgr_server *s, const char *name, char *type, size_t len,
                        char *state, size_t slen)
{
    const mgr_member_t *m;

    type[0] = state[0] = '\0';
    if (strcmp(name, MGR_NAME) == 0) {
        snprintf(type, len, "%s", MGR_NAME);
        return;
    }
    pthread_mutex_lock(&s->lock);
    if ((m = mgr_members_find(&s->members, name)) != NULL) {
        snprintf(type, len, "%s", m->type);
        snprintf(state, slen, "%s", m->state);
    }
    pthread_mutex_unlock(&s->lock);
}

/* Calls a storage node; on failure answers a and returns NULL. */
static cn_msg_t *call(struct mgr_server *s, struct mgr_answer *a, const char *node,
                      cn_msg_t *req, uint64_t timeout_ms, const char *what)
{
    cn_msg_t *resp = NULL;
    char why[512];
    int rc = mgr_node_call(s, node, req, timeout_ms, &resp, why, sizeof(why));

    if (rc != 0) {
        mgr_fail(a, rc == CN_ENOENT ? 404 : 502, "%s: %s", what, why);
        return NULL;
    }
    return resp;
}

/* ---- du -------------------------------------------------------------------------------- */

/* One line of a storage node's du body: "BUCKET OBJECTS BYTES TOMBSTONES". */
struct du_line {
    char bucket[128];
    unsigned long long objects, bytes, tombstones;
    unsigned long long noncurrent, noncurrent_bytes, markers; /* 0 from a node before versions */
};

/* Reads the next well-formed line of body from *off (longer or malformed lines are skipped).
 * 1 when d holds one, 0 at the end. */
static int du_next(cn_slice_t body, size_t *off, struct du_line *d)
{
    while (*off < body.len) {
        const char *p = body.ptr + *off;
        const char *nl = memchr(p, '\n', body.len - *off);
        size_t ll = nl ? (size_t)(nl - p) : body.len - *off;
        char line[256];

        *off += ll + 1;
        if (ll >= sizeof(line))
            continue;
        memcpy(line, p, ll);
        line[ll] = '\0';
        d->noncurrent = d->noncurrent_bytes = d->markers = 0;
        if (sscanf(line, "%127s %llu %llu %llu %llu %llu %llu", d->bucket, &d->objects,
                   &d->bytes, &d->tombstones, &d->noncurrent, &d->noncurrent_bytes,
                   &d->markers) >= 4)
            return 1;
    }
    return 0;
}

void mgr_h_node_du(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char type[16], state[16];
    cn_msg_t *resp;
    cn_slice_t body;
    struct du_line d;
    json_t *j, *arr;
    int rc;

    member_type(s, r->param[0], type, sizeof(type), state, sizeof(state));
    if (strcmp(type, CN_NODE_STORAGE) != 0) {
        mgr_fail(a, 404, "no storage node named '%.80s' (see cairn-adm status)", r->param[0]);
        return;
    }
    if ((resp = call(s, a, r->param[0], cn_msg_new(MGR_SOP_DU), MGR_DU_TIMEOUT_MS, "du")) ==
        NULL)
        return;
    if ((rc = cn_msg_rc(resp)) != 0) {
        mgr_fail(a, 502, "du on %s: %s", r->param[0], cn_strerror(rc));
        cn_msg_free(resp);
        return;
    }
    j = mgr_msg_json(resp, NULL,
                     (const char *const[]){"u:objects", "u:bytes", "u:tombstones",
                                           "u:noncurrent", "u:noncurrent_bytes",
                                           "u:delete_markers", "u:entries", "u:buckets",
                                           "u:disk_bytes", "u:raw_bytes", "u:logical_bytes",
                                           "u:copies", "u:fragments", "u:fragment_bytes",
                                           NULL});
    json_object_set_new(j, "node", json_string(r->param[0]));
    arr = json_array();
    body = cn_msg_body(resp);
    for (size_t off = 0; du_next(body, &off, &d);)
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "bucket", d.bucket, "objects",
                           (json_int_t)d.objects, "bytes", (json_int_t)d.bytes, "tombstones",
                           (json_int_t)d.tombstones, "noncurrent", (json_int_t)d.noncurrent,
                           "noncurrent_bytes", (json_int_t)d.noncurrent_bytes,
                           "delete_markers", (json_int_t)d.markers));
    json_object_set_new(j, "detail", arr);
    cn_msg_free(resp);
    a->status = 200;
    a->json = j;
}

/* ---- update-property and update-log-level ---------------------------------------------- */

static void set_property(struct mgr_server *s, struct mgr_answer *a, const char *node,
                         const char *name, const char *value)
{
    char type[16], state[16];
    cn_msg_t *req, *resp;
    const char *err;
    int rc;

    member_type(s, node, type, sizeof(type), state, sizeof(state));
    if (type[0] == '\0') {
        mgr_fail(a, 404, "no node named '%.80s' (see cairn-adm status)", node);
        return;
    }
    if (strcmp(type, CN_NODE_GATEWAY) == 0) {
        /* The manager reaches a gateway only through its heartbeat replies: they carry the
         * level from now on, and the gateway applies it within a heartbeat. */
        mgr_member_t *m;
        int lv;

        if (strcmp(name, "log.level") != 0) {
            mgr_fail(a, 501, "%s is a gateway: only log.level changes at run time there; set "
                     "%s in its config and restart it", node, name);
            return;
        }
        if ((lv = cn_log_level_parse(value)) < 0) {
            mgr_fail(a, 400, "bad level '%.20s': use debug, info, warn or error", value);
            return;
        }
        pthread_mutex_lock(&s->lock);
        if ((m = mgr_members_find(&s->members, node)) != NULL) {
            m->log_level = lv;
            m->log_level_set = 1;
        }
        pthread_mutex_unlock(&s->lock);
        CN_LOG(CN_LOG_INFO, "gateway=%s: log level -> %s at its next heartbeat (admin)", node,
               cn_log_level_name(lv));
        a->status = 200;
        a->json = json_pack("{s:s, s:s, s:s, s:s}", "node", node, "name", name, "value", value,
                            "applied", "at the gateway's next heartbeat");
        return;
    }
    if (strcmp(type, MGR_NAME) == 0) {
        int lv;

        if (strcmp(name, "log.level") != 0) {
            mgr_fail(a, 409, "%s: not reloadable on the manager (only log.level is); set it "
                     "in its config and restart it", name);
            return;
        }
        if ((lv = cn_log_level_parse(value)) < 0) {
            mgr_fail(a, 400, "bad level '%.20s': use debug, info, warn or error", value);
            return;
        }
        pthread_mutex_lock(&s->lock);
        cn_log_set_level(lv);
        s->conf.log_level = lv;
        pthread_mutex_unlock(&s->lock);
        CN_LOG(CN_LOG_INFO, "log level -> %s (admin)", cn_log_level_name(lv));
    } else {
        req = cn_msg_new(MGR_SOP_SET_PROPERTY);
        cn_msg_set_str(req, "name", name);
        cn_msg_set_str(req, "value", value);
        if ((resp = call(s, a, node, req, MGR_NODE_CALL_TIMEOUT_MS, "update-property")) == NULL)
            return;
        if ((rc = cn_msg_rc(resp)) != 0) {
            err = NULL;
            {
                cn_slice_t e;

                if (cn_msg_get_bytes(resp, "error", &e) == 0)
                    mgr_fail(a, rc == CN_EPERM ? 409 : rc == CN_ENOENT ? 404 : 400,
                             "%s: %.*s", node, (int)e.len, e.ptr);
                else
                    mgr_fail(a, 502, "%s: %s", node, cn_strerror(rc));
            }
            (void)err;
            cn_msg_free(resp);
            return;
        }
        cn_msg_free(resp);
    }
    a->status = 200;
    a->json = json_pack("{s:s, s:s, s:s}", "node", node, "name", name, "value", value);
}

void mgr_h_node_property(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j;
    const char *name, *value;

    mgr_audit(a, "node", r->param[0]);
    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    name = json_string_value(json_object_get(j, "name"));
    value = json_string_value(json_object_get(j, "value"));
    if (name == NULL || value == NULL || strchr(name, '.') == NULL || strchr(name, '=') ||
        strlen(name) > 100 || strlen(value) > 300) {
        mgr_fail(a, 400, "body: {\"name\": \"section.key\", \"value\": \"...\"}");
    } else {
        mgr_audit(a, "property", name);
        mgr_audit(a, "value", value);
        set_property(s, a, r->param[0], name, value);
    }
    json_decref(j);
}

void mgr_h_node_log_level(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j;
    const char *level;

    mgr_audit(a, "node", r->param[0]);
    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    level = json_string_value(json_object_get(j, "level"));
    mgr_audit(a, "level", level);
    if (level == NULL || cn_log_level_parse(level) < 0) {
        mgr_fail(a, 400, "bad level '%.20s': use debug, info, warn or error",
                 level ? level : "");
    } else {
        set_property(s, a, r->param[0], "log.level", level);
        if (a->status == 200) {
            json_decref(a->json);
            a->json = json_pack("{s:s, s:s}", "node", r->param[0], "level", level);
        }
    }
    json_decref(j);
}

/* ---- remove-gateway -------------------------------------------------------------------- */

void mgr_h_node_remove(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const mgr_member_t *m;
    int rc;

    mgr_audit(a, "node", r->param[0]);
    mgr_audit(a, "action", "remove-gateway");
    pthread_mutex_lock(&s->lock);
    if ((m = mgr_members_find(&s->members, r->param[0])) == NULL) {
        mgr_fail(a, 404, "no node named '%.80s' (see cairn-adm status)", r->param[0]);
    } else if (strcmp(m->type, CN_NODE_GATEWAY) != 0) {
        mgr_fail(a, 409, "%s is a storage node: use detach and rebalance to remove it",
                 m->name);
    } else if (strcmp(m->state, MGR_STATE_STOP) != 0) {
        mgr_fail(a, 409, "gateway %s is %s: stop it first (only a stopped gateway can be "
                 "removed)", m->name, m->state);
    } else if ((rc = mgr_members_remove(s->fsm, &s->members, r->param[0])) != 0) {
        mgr_fail(a, 500, "could not remove %s (%s)", r->param[0], cn_strerror(rc));
    } else {
        CN_LOG(CN_LOG_INFO, "gateway=%s: removed (admin)", r->param[0]);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "node", r->param[0], "removed", 1);
    }
    pthread_mutex_unlock(&s->lock);
}

/* ---- delete-bucket --------------------------------------------------------------------- */

/* Storage members known to the manager (ring or not). */
static size_t storage_nodes(struct mgr_server *s, char (*names)[CN_RING_NAME_MAX], size_t max)
{
    size_t n = 0;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->members.n && n < max; i++)
        if (strcmp(s->members.v[i].type, CN_NODE_STORAGE) == 0)
            snprintf(names[n++], CN_RING_NAME_MAX, "%s", s->members.v[i].name);
    pthread_mutex_unlock(&s->lock);
    return n;
}

void mgr_h_bucket_delete2(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char (*names)[CN_RING_NAME_MAX] = cn_calloc(MGR_MAX_NODES, sizeof(*names));
    size_t n;
    json_t *started, *errors;

    pthread_mutex_lock(&s->lock);
    mgr_h_bucket_delete(s, r, a);
    pthread_mutex_unlock(&s->lock);
    if (a->status != 200)
        goto out;
    /* the bucket is gone for S3 clients; now its objects, node by node */
    n = storage_nodes(s, names, MGR_MAX_NODES);
    started = json_array();
    errors = json_object();
    for (size_t i = 0; i < n; i++) {
        cn_msg_t *req = cn_msg_new(MGR_SOP_DELETE_BUCKET), *resp = NULL;
        char why[512];
        int rc;

        cn_msg_set_str(req, "bucket", r->param[0]);
        rc = mgr_node_call(s, names[i], req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));
        if (rc == 0 && (rc = cn_msg_rc(resp)) == 0)
            json_array_append_new(started, json_string(names[i]));
        else
            json_object_set_new(errors, names[i],
                                json_string(resp ? cn_strerror(rc) : why));
        cn_msg_free(resp);
    }
    json_object_set_new(a->json, "removing_on", started);
    json_object_set_new(a->json, "errors", errors);
    json_object_set_new(a->json, "async", json_true());
out:
    cn_free(names);
}

void mgr_h_bucket_delete_stats(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char (*names)[CN_RING_NAME_MAX] = cn_calloc(MGR_MAX_NODES, sizeof(*names));
    size_t n = storage_nodes(s, names, MGR_MAX_NODES), known = 0, running = 0, failed = 0;
    uint64_t scanned = 0, deleted = 0;
    json_t *nodes = json_array();

    for (size_t i = 0; i < n; i++) {
        cn_msg_t *req = cn_msg_new(MGR_SOP_DELETE_BUCKET_STATUS), *resp = NULL;
        char why[512];
        int rc;
        json_t *e;

        cn_msg_set_str(req, "bucket", r->param[0]);
        rc = mgr_node_call(s, names[i], req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why));
        if (rc == 0 && cn_msg_rc(resp) == CN_ENOENT) {
            cn_msg_free(resp);
            continue;
        }
        if (rc != 0 || cn_msg_rc(resp) != 0) {
            e = json_pack("{s:s, s:s}", "node", names[i], "error",
                          rc != 0 ? why : cn_strerror(cn_msg_rc(resp)));
            failed++;
        } else {
            e = mgr_msg_json(resp, NULL,
                             (const char *const[]){"s:state", "u:scanned", "u:deleted",
                                                   "u:started_ms", "u:finished_ms", "u:rate",
                                                   "s:error", NULL});
            json_object_set_new(e, "node", json_string(names[i]));
            known++;
            running += strcmp(json_string_value(json_object_get(e, "state")) ?: "", "running") ==
                       0;
            failed += strcmp(json_string_value(json_object_get(e, "state")) ?: "", "failed") ==
                      0;
            scanned += (uint64_t)json_integer_value(json_object_get(e, "scanned"));
            deleted += (uint64_t)json_integer_value(json_object_get(e, "deleted"));
        }
        json_array_append_new(nodes, e);
        cn_msg_free(resp);
    }
    cn_free(names);
    if (known == 0 && failed == 0) {
        json_decref(nodes);
        mgr_fail(a, 404, "no removal of bucket '%.80s' is known to the storage nodes "
                 "(never deleted, or the nodes restarted since)", r->param[0]);
        return;
    }
    a->status = 200;
    a->json = json_pack("{s:s, s:s, s:I, s:I, s:o}", "bucket", r->param[0], "state",
                        failed ? "failed" : running ? "running" : "done", "scanned",
                        (json_int_t)scanned, "deleted", (json_int_t)deleted, "nodes", nodes);
}

/* ---- bucket usage for quotas ------------------------------------------------------------ */

/* Usage is polled every MGR_USAGE_POLL_MS: a bucket's "used" lags its real size by up to that
 * plus the gateway's next heartbeat (docs/ADMIN_API.md, set-bucket-quota). */
#define MGR_USAGE_POLL_MS 5000

/* Adds the per-bucket live bytes of a du body to acc. */
/* A bucket's usage counts every version it stores: current and non-current bytes. */
static void usage_add(json_t *acc, cn_slice_t body)
{
    struct du_line d;

    for (size_t off = 0; du_next(body, &off, &d);)
        json_object_set_new(acc, d.bucket,
                            json_integer(json_integer_value(json_object_get(acc, d.bucket)) +
                                         (json_int_t)(d.bytes + d.noncurrent_bytes)));
}

void mgr_usage_poll(struct mgr_server *s)
{
    char (*names)[CN_RING_NAME_MAX];
    uint64_t now = cn_now_ms(), n_copies;
    size_t n = 0, ok = 0;
    json_t *acc, *v, *quotas, *want;
    const char *k;
    int changed = 0;

    if (s->usage_polled_ms != 0 && now - s->usage_polled_ms < MGR_USAGE_POLL_MS)
        return;
    s->usage_polled_ms = now;
    /* only buckets with a quota are summed (a du limited to their prefix on each node) */
    want = json_array();
    pthread_mutex_lock(&s->lock);
    quotas = mgr_buckets_json(s->st, 0);
    for (size_t i = 0; i < json_array_size(quotas); i++) {
        json_t *b = json_array_get(quotas, i);

        if (json_integer_value(json_object_get(b, "quota")) > 0)
            json_array_append(want, json_object_get(b, "name"));
    }
    json_decref(quotas);
    if (json_array_size(want) == 0) {
        json_decref(s->usage);
        s->usage = NULL;
        pthread_mutex_unlock(&s->lock);
        json_decref(want);
        return;
    }
    pthread_mutex_unlock(&s->lock);
    names = cn_calloc(MGR_MAX_NODES, sizeof(*names));
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->members.n && n < MGR_MAX_NODES; i++)
        if (strcmp(s->members.v[i].type, CN_NODE_STORAGE) == 0 &&
            strcmp(s->members.v[i].state, MGR_STATE_RUNNING) == 0)
            snprintf(names[n++], CN_RING_NAME_MAX, "%s", s->members.v[i].name);
    n_copies = s->levels.n ? s->levels.n : 1;
    pthread_mutex_unlock(&s->lock);
    acc = json_object();
    for (size_t i = 0; i < n; i++) {
        int node_ok = 1;

        for (size_t q = 0; q < json_array_size(want) && node_ok; q++) {
            cn_msg_t *req = cn_msg_new(MGR_SOP_DU), *resp = NULL;
            char why[256];

            cn_msg_set_str(req, "bucket", json_string_value(json_array_get(want, q)));
            if (mgr_node_call(s, names[i], req, MGR_DU_TIMEOUT_MS, &resp, why, sizeof(why)) ==
                    0 &&
                cn_msg_rc(resp) == 0)
                usage_add(acc, cn_msg_body(resp));
            else
                node_ok = 0;
            cn_msg_free(resp);
        }
        ok += node_ok;
    }
    cn_free(names);
    json_decref(want);
    if (ok == 0) {
        json_decref(acc);
        return;
    }
    json_object_foreach(acc, k, v)
        json_integer_set(v, json_integer_value(v) / (json_int_t)n_copies);
    pthread_mutex_lock(&s->lock);
    /* a change matters to gateways only for buckets with a quota */
    quotas = mgr_buckets_json(s->st, 0);
    for (size_t i = 0; i < json_array_size(quotas); i++) {
        json_t *b = json_array_get(quotas, i);
        const char *name = json_string_value(json_object_get(b, "name"));

        if (name == NULL || json_integer_value(json_object_get(b, "quota")) <= 0)
            continue;
        if (json_integer_value(json_object_get(acc, name)) !=
            (s->usage ? json_integer_value(json_object_get(s->usage, name)) : 0))
            changed = 1;
    }
    json_decref(quotas);
    json_decref(s->usage);
    s->usage = acc;
    if (changed)
        s->usage_gen++;
    pthread_mutex_unlock(&s->lock);
}

void mgr_usage_annotate(struct mgr_server *s, json_t *arr)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *b = json_array_get(arr, i);
        const char *name = json_string_value(json_object_get(b, "name"));

        if (name == NULL)
            name = json_string_value(json_object_get(b, "bucket"));
        json_object_set_new(b, "used",
                            json_integer(s->usage && name
                                             ? json_integer_value(json_object_get(s->usage, name))
                                             : 0));
    }
}

uint64_t mgr_buckets_ver(struct mgr_server *s)
{
    return mgr_state_get_u64(s->st, MGR_VER_BUCKETS) + (s->usage_gen << 32);
}

/* ---- purge-cache ---------------------------------------------------------------------- */

void mgr_h_purge_cache(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j;
    const char *key;
    uint64_t seq;

    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    key = json_string_value(json_object_get(j, "key"));
    mgr_audit(a, "key", key);
    if (key == NULL || strlen(key) > 2048 || strchr(key, '/') == NULL || key[0] == '/' ||
        key[strlen(key) - 1] == '/') {
        mgr_fail(a, 400, "key: BUCKET/KEY");
    } else {
        seq = mgr_inval_add(s, key, strlen(key));
        CN_LOG(CN_LOG_INFO, "key=%s seq=%llu: purged from the gateways' caches (admin)", key,
               (unsigned long long)seq);
        a->status = 200;
        a->json = json_pack("{s:s, s:I}", "key", key, "seq", (json_int_t)seq);
    }
    json_decref(j);
}
