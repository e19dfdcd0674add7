/*
 * manager/admin_api.c: the /v1 handlers of the admin API (docs/ADMIN_API.md): status,
 * start, nodes (status NODE, detach, suspend, resume, log level), whereis, the ring dump,
 * consistency levels, users, endpoints, buckets, backup and restore.
 * Every handler runs with s->lock held (see admin_int.h) unless its route says otherwise,
 * answers through mgr_fail() or a->json, and records what a change touched in a->audit
 * (names, never secrets or passwords).
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
#include "common/redundancy.h"
#include "manager/backup.h"
#include "manager/buckets.h"
#include "manager/clusters.h"
#include "manager/endpoints.h"
#include "manager/users.h"

#define MGR_KEY_MAX 1100 /* bucket (63) + '/' + an S3 key (1024) */
#define MGR_RING_MAX_SLOTS 4096

static void hex16(uint64_t sum, char out[17])
{
    cn_ring_checksum_hex(sum, out);
}

static const char *body_str(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

void mgr_h_version(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    a->status = 200;
    a->json = json_pack("{s:s, s:s}", "name", "cairn-manager", "version", PACKAGE_VERSION);
}

/* ---- status and start ---------------------------------------------------------------- */

void mgr_h_status(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char cur[17], prev[17], rpc[96], admin[96], when[32], mc[17], mp[17];
    char id[MGR_CLUSTER_ID_LEN + 1];
    json_t *nodes = json_array();

    hex16(mgr_ring_sum(s->ring_cur), cur);
    hex16(mgr_ring_sum(s->ring_prev), prev);
    snprintf(rpc, sizeof(rpc), "%s:%d", s->rpc_host, s->rpc_port);
    snprintf(admin, sizeof(admin), "%s:%d", s->admin_host, s->admin_port);
    for (size_t i = 0; i < s->members.n; i++) {
        const mgr_member_t *m = &s->members.v[i];

        hex16(m->ring_cur, mc);
        hex16(m->ring_prev, mp);
        cn_fmt_iso8601_ms(m->updated_ms, when, sizeof(when));
        json_array_append_new(
            nodes, json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s}", "name", m->name,
                             "type", m->type, "state", m->state, "host", m->host, "port",
                             m->port, "vnodes", (json_int_t)m->vnodes, "ring_cur", mc,
                             "ring_prev", mp, "updated_at", when));
    }
    a->status = 200;
    a->json = json_pack(
        "{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:I, s:I, s:I, s:I},"
        " s:{s:s, s:s, s:I}, s:o, s:{s:I, s:I, s:I}}",
        "manager", "name", MGR_NAME, "rpc", rpc, "admin", admin, "state", MGR_STATE_RUNNING,
        "ring_cur", cur, "ring_prev", prev, "version", PACKAGE_VERSION,
        "consistency", "n", (json_int_t)s->levels.n, "w", (json_int_t)s->levels.w, "r",
        (json_int_t)s->levels.r, "d", (json_int_t)s->levels.d,
        "ring", "cur", cur, "prev", prev, "nodes",
        (json_int_t)(s->ring_cur ? cn_ring_node_count(s->ring_cur) : 0),
        "nodes", nodes,
        "versions", "users", (json_int_t)mgr_state_get_u64(s->st, MGR_VER_USERS), "buckets",
        (json_int_t)mgr_state_get_u64(s->st, MGR_VER_BUCKETS), "endpoints",
        (json_int_t)mgr_state_get_u64(s->st, MGR_VER_ENDPOINTS));
    CN_ASSERT(a->json != NULL);
    json_object_set_new(a->json, "managers", mgr_managers_json(s));
    json_object_set_new(a->json, "cluster_id", /* null until the leader made it */
                        mgr_clusters_id(s->st, id) == 0 ? json_string(id) : json_null());
}

void mgr_h_start(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char cur[17];
    size_t n = 0;
    int rc;

    mgr_audit(a, "cluster", "start");
    rc = mgr_ring_start(s->fsm, &s->members, s->ring_cur, &s->levels, &n);
    if (rc == CN_EEXIST) {
        hex16(mgr_ring_sum(s->ring_cur), cur);
        mgr_fail(a, 409, "the cluster is already started (ring %s); adding nodes later is a "
                         "rebalance", cur);
        return;
    }
    if (rc == CN_ENOENT) {
        mgr_fail(a, 400, "no storage node is attached; start cairn-storage nodes pointing at "
                         "this manager, check 'cairn-adm status', then start again");
        return;
    }
    if (rc != 0) {
        mgr_fail(a, 500, "could not build or save the ring (%s); see the manager log",
                 cn_strerror(rc));
        return;
    }
    hex16(mgr_ring_sum(s->ring_cur), cur); /* applied: the fsm's view holds it */
    mgr_audit(a, "ring_cur", cur);
    CN_LOG(CN_LOG_INFO, "ring=%s nodes=%zu: cluster started", cur, n);
    a->status = 200;
    a->json = json_pack("{s:s, s:{s:s, s:s, s:I}}", "status", "started", "ring", "cur", cur,
                        "prev", "0000000000000000", "nodes", (json_int_t)n);
}

/* ---- nodes --------------------------------------------------------------------------- */

/* Index of node in r (pointer identity: both borrowed from r), or count when absent. */
static size_t node_index(const cn_ring_t *r, const cn_ring_node_t *node)
{
    size_t n = cn_ring_node_count(r), i = 0;

    while (i < n && cn_ring_node_at(r, i) != node)
        i++;
    return i;
}

/* Per ring node: arcs it coordinates and arcs where it holds one of the n replicas. */
static void ring_counts(const cn_ring_t *r, size_t n, size_t *primary, size_t *replica)
{
    const cn_ring_node_t *out[CN_RING_MAX_REPLICAS];
    size_t count = cn_ring_node_count(r);

    memset(primary, 0, count * sizeof(size_t));
    memset(replica, 0, count * sizeof(size_t));
    for (uint32_t arc = 0; arc < CN_RING_PARTITIONS; arc++) {
        size_t k = cn_ring_lookup_arc(r, arc, n, out);

        for (size_t i = 0; i < k; i++) {
            size_t at = node_index(r, out[i]);
            if (at < count) {
                replica[at]++;
                primary[at] += i == 0;
            }
        }
    }
}

static json_t *manager_detail(struct mgr_server *s)
{
    char cur[17], prev[17], rpc[96], admin[96];

    hex16(mgr_ring_sum(s->ring_cur), cur);
    hex16(mgr_ring_sum(s->ring_prev), prev);
    snprintf(rpc, sizeof(rpc), "%s:%d", s->rpc_host, s->rpc_port);
    snprintf(admin, sizeof(admin), "%s:%d", s->admin_host, s->admin_port);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s,"
                     " s:{s:I, s:I, s:I, s:I}, s:i}",
                     "name", MGR_NAME, "type", CN_NODE_MANAGER, "state", MGR_STATE_RUNNING,
                     "version", PACKAGE_VERSION, "rpc", rpc, "admin", admin, "ring_cur", cur,
                     "ring_prev", prev, "data_dir", s->conf.data_dir, "log_level",
                     cn_log_level_name(cn_log_level), "audit_log", s->audit_path,
                     "dashboard_dir", s->dashboard_dir, "consistency", "n",
                     (json_int_t)s->levels.n, "w", (json_int_t)s->levels.w, "r",
                     (json_int_t)s->levels.r, "d", (json_int_t)s->levels.d, "members",
                     (int)s->members.n);
}

void mgr_h_node_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0];
    const mgr_member_t *m;
    const cn_ring_node_t *rn;
    char mc[17], mp[17], cur[17], when[32];
    uint64_t sum = mgr_ring_sum(s->ring_cur), now = cn_mono_ms();
    json_t *j;

    if (strcmp(name, MGR_NAME) == 0) {
        a->status = 200;
        a->json = manager_detail(s);
        return;
    }
    if ((m = mgr_members_find(&s->members, name)) == NULL) {
        mgr_fail(a, 404, "no node named '%.80s' (see cairn-adm status)", name);
        return;
    }
    hex16(m->ring_cur, mc);
    hex16(m->ring_prev, mp);
    hex16(sum, cur);
    cn_fmt_iso8601_ms(m->updated_ms, when, sizeof(when));
    rn = s->ring_cur ? cn_ring_find(s->ring_cur, m->name) : NULL;
    j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:b, s:s, s:s, s:s, s:b, s:s, s:I}", "name",
                  m->name, "type", m->type, "state", m->state, "host", m->host, "port",
                  m->port, "vnodes", (json_int_t)m->vnodes, "in_ring", rn != NULL, "ring_cur",
                  mc, "ring_prev", mp, "manager_ring_cur", cur, "ring_ok",
                  sum != 0 && m->ring_cur == sum, "updated_at", when, "last_seen_ms",
                  (json_int_t)(now > m->seen_mono_ms ? now - m->seen_mono_ms : 0));
    if (m->have_cache) {
        json_t *c = json_object();

        for (size_t i = 0; i < MGR_GW_CACHE_NFIELDS; i++)
            json_object_set_new(c, mgr_gw_cache_fields[i], json_integer((json_int_t)m->cache[i]));
        json_object_set_new(j, "cache", c);
    }
    if (rn != NULL) {
        size_t count = cn_ring_node_count(s->ring_cur), at = node_index(s->ring_cur, rn);
        size_t *pr = cn_calloc(count, sizeof(size_t)), *rp = cn_calloc(count, sizeof(size_t));

        ring_counts(s->ring_cur, (size_t)s->levels.n, pr, rp);
        json_object_set_new(j, "ring_address",
                            json_sprintf("%s:%u", rn->host, (unsigned)rn->port));
        json_object_set_new(j, "partitions",
                            json_pack("{s:I, s:I, s:I, s:f}", "primary", (json_int_t)pr[at],
                                      "replica", (json_int_t)rp[at], "total",
                                      (json_int_t)CN_RING_PARTITIONS, "primary_pct",
                                      100.0 * (double)pr[at] / CN_RING_PARTITIONS));
        cn_free(pr);
        cn_free(rp);
    }
    a->status = 200;
    a->json = j;
}

void mgr_h_node_action(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0], *action = strrchr(r->url, '/') + 1;
    const mgr_member_t *who;
    char why[512], hs[17], hm[17];
    int rc;

    mgr_audit(a, "node", name);
    mgr_audit(a, "action", action);
    if (mgr_members_find(&s->members, name) == NULL) {
        mgr_fail(a, 404, "no node named '%.80s' (see cairn-adm status)", name);
        return;
    }
    if (mgr_members_disagree(&s->members, mgr_ring_sum(s->ring_cur), &who)) {
        hex16(who->ring_cur, hs);
        hex16(mgr_ring_sum(s->ring_cur), hm);
        mgr_fail(a, 409, "ring checksums disagree (%s holds %s, the manager %s); %s waits "
                 "until every node has the current ring (see cairn-adm status)", who->name,
                 hs, hm, action);
        return;
    }
    rc = mgr_members_admin(s->fsm, &s->members, s->ring_cur, s->levels.n, name, action, why,
                           sizeof(why));
    if (rc == 0) {
        const mgr_member_t *m = mgr_members_find(&s->members, name);

        a->status = 200;
        a->json = json_pack("{s:s, s:s}", "node", name, "state", m->state);
        mgr_audit(a, "state", m->state);
        return;
    }
    mgr_fail(a, rc == CN_ENOENT ? 404 : rc == CN_EINVAL ? 400 : rc == CN_EIO ? 500 : 409, "%s",
             why);
}

/* ---- whereis and the ring ------------------------------------------------------------ */

static json_t *replica_set(struct mgr_server *s, const cn_ring_t *ring, const char *key)
{
    const cn_ring_node_t *out[CN_RING_MAX_REPLICAS];
    size_t k = cn_ring_lookup(ring, key, strlen(key), (size_t)s->levels.n, out);
    json_t *arr = json_array();

    for (size_t i = 0; i < k; i++) {
        const mgr_member_t *m = mgr_members_find(&s->members, out[i]->name);

        json_array_append_new(
            arr, json_pack("{s:i, s:s, s:o, s:s, s:s}", "n", (int)i + 1, "node", out[i]->name,
                           "address", json_sprintf("%s:%u", out[i]->host,
                                                   (unsigned)out[i]->port),
                           "state", m ? m->state : "unknown", "role",
                           i == 0 ? "primary" : "replica"));
    }
    return arr;
}

void mgr_h_whereis(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *key = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "key");
    const char *slash = key ? strchr(key, '/') : NULL;
    char pos[17], cur[17];
    uint64_t h;
    json_t *j;

    if (key == NULL || slash == NULL || slash == key || slash[1] == '\0' ||
        strlen(key) > MGR_KEY_MAX) {
        mgr_fail(a, 400, "give the key as ?key=BUCKET/KEY");
        return;
    }
    if (s->ring_cur == NULL) {
        mgr_fail(a, 409, "the cluster is not started yet: there is no ring (cairn-adm start)");
        return;
    }
    h = cn_ring_hash_key(key, strlen(key));
    hex16(h, pos);
    hex16(mgr_ring_sum(s->ring_cur), cur);
    j = json_pack("{s:s, s:s, s:I, s:s, s:I, s:o}", "key", key, "position", pos, "arc",
                  (json_int_t)(h >> (64 - CN_RING_PARTITION_BITS)), "ring_cur", cur, "n",
                  (json_int_t)s->levels.n, "replicas", replica_set(s, s->ring_cur, key));
    if (s->ring_prev != NULL) {
        hex16(mgr_ring_sum(s->ring_prev), cur);
        json_object_set_new(j, "ring_prev", json_string(cur));
        json_object_set_new(j, "prev_replicas", replica_set(s, s->ring_prev, key));
    }
    a->status = 200;
    a->json = j;
}

void mgr_h_ring(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *arcs_s = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "arcs");
    const cn_ring_t *ring = s->ring_cur;
    long slots = 0;
    char cur[17], prev[17], *end;
    size_t count, *pr, *rp;
    json_t *members, *j;

    if (arcs_s != NULL) {
        slots = strtol(arcs_s, &end, 10);
        if (*arcs_s == '\0' || *end != '\0' || slots < 1 || slots > MGR_RING_MAX_SLOTS) {
            mgr_fail(a, 400, "arcs must be 1..%d (slots around the ring)", MGR_RING_MAX_SLOTS);
            return;
        }
    }
    if (ring == NULL) {
        mgr_fail(a, 409, "the cluster is not started yet: there is no ring (cairn-adm start)");
        return;
    }
    count = cn_ring_node_count(ring);
    pr = cn_calloc(count, sizeof(size_t));
    rp = cn_calloc(count, sizeof(size_t));
    ring_counts(ring, (size_t)s->levels.n, pr, rp);
    members = json_array();
    for (size_t i = 0; i < count; i++) {
        const cn_ring_node_t *rn = cn_ring_node_at(ring, i);
        const mgr_member_t *m = mgr_members_find(&s->members, rn->name);

        json_array_append_new(
            members, json_pack("{s:s, s:s, s:i, s:I, s:s, s:I, s:I, s:f}", "name", rn->name,
                               "host", rn->host, "port", (int)rn->port, "vnodes",
                               (json_int_t)rn->vnodes, "state", m ? m->state : "unknown",
                               "primary", (json_int_t)pr[i], "replica", (json_int_t)rp[i],
                               "share_pct", 100.0 * (double)pr[i] / CN_RING_PARTITIONS));
    }
    cn_free(pr);
    cn_free(rp);
    hex16(mgr_ring_sum(ring), cur);
    hex16(mgr_ring_sum(s->ring_prev), prev);
    j = json_pack("{s:s, s:s, s:I, s:I, s:o}", "cur", cur, "prev", prev, "partitions",
                  (json_int_t)CN_RING_PARTITIONS, "n", (json_int_t)s->levels.n, "members",
                  members);
    if (slots > 0) {
        json_t *arcs = json_array();
        const cn_ring_node_t *owner, *last = NULL;
        uint32_t start = 0;

        for (long i = 0; i <= slots; i++) {
            uint32_t arc = (uint32_t)(((uint64_t)i * CN_RING_PARTITIONS) / (uint64_t)slots);

            owner = NULL;
            if (i < slots)
                cn_ring_lookup_arc(ring, arc, 1, &owner);
            if (i > 0 && (i == slots || owner != last)) {
                json_array_append_new(arcs, json_pack("{s:I, s:I, s:s}", "start",
                                                      (json_int_t)start, "end",
                                                      (json_int_t)arc, "node", last->name));
                start = arc;
            }
            last = owner;
        }
        json_object_set_new(j, "slots", json_integer(slots));
        json_object_set_new(j, "arcs", arcs);
    }
    a->status = 200;
    a->json = j;
}

/* ---- consistency --------------------------------------------------------------------- */

void mgr_h_consistency(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    static const char *const names[] = {"w", "r", "d"};
    json_int_t v[3];
    mgr_levels_t lv = s->levels;
    json_t *j, *saved;
    int rc;

    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    for (size_t i = 0; i < 3; i++) {
        json_t *x = json_object_get(j, names[i]);

        if (!json_is_integer(x) || (v[i] = json_integer_value(x)) < 1 ||
            (uint64_t)v[i] > s->levels.n) {
            mgr_fail(a, 400, "%s must be 1..N (N = %llu replicas); send {\"w\": W, \"r\": R, "
                     "\"d\": D}", names[i], (unsigned long long)s->levels.n);
            json_decref(j);
            return;
        }
    }
    json_decref(j);
    lv.w = (uint64_t)v[0];
    lv.r = (uint64_t)v[1];
    lv.d = (uint64_t)v[2];
    saved = json_pack("{s:I, s:I, s:I, s:I}", "n", (json_int_t)lv.n, "w", (json_int_t)lv.w,
                      "r", (json_int_t)lv.r, "d", (json_int_t)lv.d);
    rc = mgr_levels_set(s->fsm, &lv);
    a->audit = json_deep_copy(saved);
    if (rc != 0) {
        json_decref(saved);
        mgr_fail(a, 500, "could not save the levels (%s); see the manager log", cn_strerror(rc));
        return;
    }
    CN_LOG(CN_LOG_INFO, "n=%llu w=%llu r=%llu d=%llu: consistency levels changed (admin)",
           (unsigned long long)lv.n, (unsigned long long)lv.w, (unsigned long long)lv.r,
           (unsigned long long)lv.d);
    a->status = 200;
    a->json = saved;
}

/* ---- users --------------------------------------------------------------------------- */

void mgr_h_users(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    a->status = 200;
    a->json = mgr_users_json(s->st, 0);
}

void mgr_h_user_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j = mgr_body_json(r, a);
    const char *name, *role, *password, *ak, *secret;
    mgr_user_t u;
    int rc, why_key = 0;

    if (j == NULL)
        return;
    name = body_str(j, "user");
    role = body_str(j, "role");
    password = body_str(j, "password");
    ak = body_str(j, "access_key");
    secret = body_str(j, "secret");
    mgr_audit(a, "user", name);
    if (role != NULL)
        mgr_audit(a, "role", role);
    if (ak != NULL || secret != NULL)
        mgr_audit(a, "access_key", ak);
    if (password != NULL)
        mgr_audit(a, "password", "set");
    if (name == NULL)
        mgr_fail(a, 400, "missing \"user\": send {\"user\": \"NAME\"}");
    else if (!mgr_user_name_valid(name))
        mgr_fail(a, 400, "bad user name '%.80s': use 1..64 of A-Z a-z 0-9 . _ -", name);
    else if (mgr_user_role_canon(role) == NULL)
        mgr_fail(a, 400, "bad role '%.40s': use \"admin\" or \"normal\"", role);
    else if (password != NULL && !mgr_user_password_valid(password))
        mgr_fail(a, 400, "the password must have %d..%d characters", MGR_PASSWORD_MIN,
                 MGR_PASSWORD_MAX);
    else if ((ak == NULL) != (secret == NULL))
        mgr_fail(a, 400, "import needs both \"access_key\" and \"secret\"");
    else if (ak != NULL) {
        rc = mgr_users_import(s->fsm, name, ak, secret, role, password, &why_key);
        if (rc == CN_EINVAL)
            mgr_fail(a, 400, "bad keys: the access key id is 20 of A-Z a-z 0-9 and the secret "
                             "40 of A-Z a-z 0-9 / +");
        else if (rc == CN_EEXIST && why_key)
            mgr_fail(a, 409, "access key %.40s belongs to another user (see get-users)", ak);
        else if (rc == CN_EEXIST)
            mgr_fail(a, 409, "user %s exists; pick another name or delete-user %s first", name,
                     name);
        else if (rc != 0)
            mgr_fail(a, 500, "could not save the user (%s); see the manager log",
                     cn_strerror(rc));
        else {
            CN_LOG(CN_LOG_INFO, "user=%s access_key=%s: imported", name, ak);
            a->status = 201;
            a->json = json_pack("{s:s, s:s, s:s}", "user", name, "access_key", ak, "role",
                                mgr_user_role_canon(role));
        }
    } else if ((rc = mgr_users_create(s->fsm, name, role, password, &u)) == CN_EEXIST)
        mgr_fail(a, 409, "user %s exists; pick another name or delete-user %s first", name,
                 name);
    else if (rc != 0)
        mgr_fail(a, 500, "could not save the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s access_key=%s role=%s: created", u.name, u.access_key,
               u.role);
        mgr_audit(a, "access_key", u.access_key);
        a->status = 201;
        a->json = json_pack("{s:s, s:s, s:s, s:s}", "user", u.name, "access_key", u.access_key,
                            "secret", u.secret, "role", u.role);
    }
    json_decref(j);
}

void mgr_h_user_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0];
    int rc = mgr_users_delete(s->fsm, name);

    mgr_audit(a, "user", name);
    if (rc == CN_ENOENT)
        mgr_fail(a, 404, "no user named '%.80s' (see get-users)", name);
    else if (rc == CN_EBUSY)
        mgr_fail(a, 409, "user %s still owns buckets; delete them or chown-bucket first (see "
                         "get-buckets)", name);
    else if (rc != 0)
        mgr_fail(a, 500, "could not delete the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s: deleted", name);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "user", name, "deleted", 1);
    }
}

void mgr_h_user_role(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0], *role;
    json_t *j;
    int rc;

    mgr_audit(a, "user", name);
    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    role = body_str(j, "role");
    mgr_audit(a, "role", role);
    if (role == NULL || mgr_user_role_canon(role) == NULL)
        mgr_fail(a, 400, "bad role '%.40s': use admin or normal", role ? role : "");
    else if ((rc = mgr_users_set_role(s->fsm, name, role)) == CN_ENOENT)
        mgr_fail(a, 404, "no user named '%.80s' (see get-users)", name);
    else if (rc != 0)
        mgr_fail(a, 500, "could not save the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s role=%s: role changed", name, mgr_user_role_canon(role));
        a->status = 200;
        a->json = json_pack("{s:s, s:s}", "user", name, "role", mgr_user_role_canon(role));
    }
    json_decref(j);
}

void mgr_h_user_email(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0], *email;
    json_t *j;
    int rc;

    mgr_audit(a, "user", name);
    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    email = body_str(j, "email");
    mgr_audit(a, "email", email);
    if (email == NULL || (email[0] && !mgr_user_email_valid(email)))
        mgr_fail(a, 400, "bad email '%.80s': use an address such as user@example.com, or "
                 "\"\" for none", email ? email : "");
    else if ((rc = mgr_users_set_email(s->fsm, name, email)) == CN_ENOENT)
        mgr_fail(a, 404, "no user named '%.80s' (see get-users)", name);
    else if (rc == CN_EEXIST)
        mgr_fail(a, 409, "another user has the email '%.80s'", email);
    else if (rc != 0)
        mgr_fail(a, 500, "could not save the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s email=%s: email changed", name, email);
        a->status = 200;
        a->json = json_pack("{s:s, s:s}", "user", name, "email", email);
    }
    json_decref(j);
}

void mgr_h_user_password(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0], *pw;
    json_t *j;
    int rc;

    mgr_audit(a, "user", name);
    mgr_audit(a, "password", "set");
    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    pw = body_str(j, "password");
    if (!mgr_user_password_valid(pw))
        mgr_fail(a, 400, "send {\"password\": \"...\"} with %d..%d characters",
                 MGR_PASSWORD_MIN, MGR_PASSWORD_MAX);
    else if ((rc = mgr_users_set_password(s->fsm, name, pw)) == CN_ENOENT)
        mgr_fail(a, 404, "no user named '%.80s' (see get-users)", name);
    else if (rc != 0)
        mgr_fail(a, 500, "could not save the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s: password changed", name);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "user", name, "password", 1);
    }
    json_decref(j);
}

/* ---- endpoints ----------------------------------------------------------------------- */

void mgr_h_endpoints(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    a->status = 200;
    a->json = mgr_endpoints_json(s->st, 1);
}

void mgr_h_endpoint_add(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j = mgr_body_json(r, a);
    const char *ep;
    int rc;

    if (j == NULL)
        return;
    ep = body_str(j, "endpoint");
    mgr_audit(a, "endpoint", ep);
    if (ep == NULL || !mgr_endpoint_valid(ep))
        mgr_fail(a, 400, "bad endpoint '%.80s': send {\"endpoint\": \"s3.example.com\"}, a DNS "
                 "name", ep ? ep : "");
    else if ((rc = mgr_endpoints_add(s->fsm, ep)) == CN_EEXIST)
        mgr_fail(a, 409, "endpoint %s exists (see get-endpoints)", ep);
    else if (rc != 0)
        mgr_fail(a, 500, "could not save the endpoint (%s); see the manager log",
                 cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "endpoint=%s: added", ep);
        a->status = 201;
        a->json = json_pack("{s:s}", "endpoint", ep);
    }
    json_decref(j);
}

void mgr_h_endpoint_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *ep = r->param[0];
    int rc = mgr_endpoints_delete(s->fsm, ep);

    mgr_audit(a, "endpoint", ep);
    if (rc == CN_ENOENT)
        mgr_fail(a, 404, "no endpoint '%.80s' (see get-endpoints)", ep);
    else if (rc != 0)
        mgr_fail(a, 500, "could not delete the endpoint (%s); see the manager log",
                 cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "endpoint=%s: deleted", ep);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "endpoint", ep, "deleted", 1);
    }
}

/* ---- buckets ------------------------------------------------------------------------- */

void mgr_h_buckets(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    a->status = 200;
    a->json = mgr_buckets_json(s->st, 1);
    mgr_usage_annotate(s, a->json);
}

/* The owner of b as cairn-adm names owners: the access key (the id when no user has it). */
static const char *owner_key(struct mgr_server *s, mgr_bucket_t *b)
{
    mgr_user_t u;

    if (mgr_users_by_id(s->st, b->owner, &u) == 0)
        snprintf(b->owner, sizeof(b->owner), "%s", u.access_key);
    return b->owner;
}

void mgr_h_bucket_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j = mgr_body_json(r, a);
    const char *name, *owner, *acl;
    mgr_bucket_t cur;
    int rc;

    if (j == NULL)
        return;
    name = body_str(j, "bucket");
    owner = body_str(j, "access_key");
    acl = body_str(j, "acl");
    if (acl == NULL)
        acl = "private";
    mgr_audit(a, "bucket", name);
    mgr_audit(a, "owner", owner);
    mgr_audit(a, "acl", acl);
    if (name == NULL || owner == NULL)
        mgr_fail(a, 400, "send {\"bucket\": \"NAME\", \"access_key\": \"OWNER_ACCESS_KEY\"}");
    else if (!mgr_bucket_name_valid(name))
        mgr_fail(a, 400, "bad bucket name '%.80s': use 3..63 of a-z 0-9 . -, starting and "
                 "ending with a letter or digit, not an IP address", name);
    else if (!mgr_bucket_acl_valid(acl))
        mgr_fail(a, 400, "bad acl '%.40s': use a canned ACL such as private or public-read",
                 acl);
    else if ((rc = mgr_buckets_create(s->fsm, name, owner, acl, &cur)) == CN_EEXIST)
        mgr_fail(a, 409, "bucket %s exists (owner %s); pick another name", name,
                 owner_key(s, &cur));
    else if (rc == CN_ENOENT)
        mgr_fail(a, 400, "no user has access key '%.40s' (see get-users)", owner);
    else if (rc != 0)
        mgr_fail(a, 500, "could not save the bucket (%s); see the manager log",
                 cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "bucket=%s owner=%s acl=%s: created", name, owner, acl);
        a->status = 201;
        a->json = json_pack("{s:s, s:s, s:s}", "bucket", name, "owner", owner, "acl", acl);
    }
    json_decref(j);
}

/* Loads the bucket named by the route, or answers 404. */
static int bucket_of(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a,
                     mgr_bucket_t *b)
{
    mgr_audit(a, "bucket", r->param[0]);
    if (mgr_buckets_get(s->st, r->param[0], b) != 0) {
        mgr_fail(a, 404, "no bucket named '%.80s' (see get-buckets)", r->param[0]);
        return -1;
    }
    return 0;
}

void mgr_h_bucket_get(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    mgr_bucket_t b;

    if (bucket_of(s, r, a, &b) != 0)
        return;
    a->status = 200;
    a->json = mgr_bucket_json(s->st, &b, 1);
    json_decref(a->audit);
    a->audit = NULL;
}

void mgr_h_bucket_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0];
    int rc;

    mgr_audit(a, "bucket", name);
    if (mgr_buckets_has_object_lock(s->st, name) &&
        mgr_buckets_get(s->st, name, &(mgr_bucket_t){0}) == 0) {
        /* its locked versions cannot be deleted by anyone, the admin API included: S3 deletes
         * the bucket once it is empty (DeleteBucket), after the locks end */
        mgr_fail(a, 409, "bucket '%.80s' has Object Lock: its locked versions cannot be "
                 "deleted, not even by an administrator; delete its versions through S3 once "
                 "their locks end, then the bucket (DeleteBucket)", name);
        return;
    }
    rc = mgr_buckets_delete(s->fsm, name);
    if (rc == CN_ENOENT)
        mgr_fail(a, 404, "no bucket named '%.80s' (see get-buckets)", name);
    else if (rc != 0)
        mgr_fail(a, 500, "could not delete the bucket (%s); see the manager log",
                 cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "bucket=%s: deleted", name);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "bucket", name, "deleted", 1);
    }
}

/* Proposes the change kind of bucket b (its new acl, owner or quota) and answers with the
 * bucket. */
static void bucket_save(struct mgr_server *s, struct mgr_answer *a, const mgr_bucket_t *b,
                        int kind, const char *what)
{
    int rc = mgr_buckets_change(s->fsm, kind, b);

    if (rc == CN_ENOENT) {
        mgr_fail(a, 404, "no bucket named '%.80s' (see get-buckets)", b->name);
        return;
    }
    if (rc != 0) {
        mgr_fail(a, rc == CN_EINVAL ? 409 : 500, "could not save the bucket (%s); see the "
                 "manager log", cn_strerror(rc));
        return;
    }
    CN_LOG(CN_LOG_INFO, "bucket=%s owner=%s acl=%s quota=%llu: %s changed", b->name, b->owner,
           b->acl, (unsigned long long)b->quota_bytes, what);
    a->status = 200;
    a->json = mgr_bucket_json(s->st, b, 1);
}

void mgr_h_bucket_owner(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j;
    const char *ak;
    mgr_bucket_t b;
    mgr_user_t u;

    if (bucket_of(s, r, a, &b) != 0 || (j = mgr_body_json(r, a)) == NULL)
        return;
    ak = body_str(j, "access_key");
    mgr_audit(a, "owner", ak);
    if (ak == NULL || mgr_users_by_key(s->st, ak, &u) != 0) {
        mgr_fail(a, 400, "no user has access key '%.40s' (see get-users)", ak ? ak : "");
    } else {
        snprintf(b.owner, sizeof(b.owner), "%s", u.id);
        bucket_save(s, a, &b, MGR_CMD_BUCKET_SET_OWNER, "owner");
    }
    json_decref(j);
}

void mgr_h_bucket_acl(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j;
    const char *acl;
    mgr_bucket_t b;

    if (bucket_of(s, r, a, &b) != 0 || (j = mgr_body_json(r, a)) == NULL)
        return;
    acl = body_str(j, "acl");
    mgr_audit(a, "acl", acl);
    if (!mgr_bucket_acl_settable(acl)) {
        mgr_fail(a, 400, "bad acl '%.40s': use a canned ACL such as private or public-read",
                 acl ? acl : "");
    } else {
        snprintf(b.acl, sizeof(b.acl), "%s", acl);
        b.grants[0] = '\0'; /* a canned ACL replaces a grant list */
        bucket_save(s, a, &b, MGR_CMD_BUCKET_SET_ACL, "acl");
    }
    json_decref(j);
}

void mgr_h_bucket_quota(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *j, *v;
    mgr_bucket_t b;
    char num[32];

    if (bucket_of(s, r, a, &b) != 0 || (j = mgr_body_json(r, a)) == NULL)
        return;
    v = json_object_get(j, "bytes");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        mgr_fail(a, 400, "send {\"bytes\": N} with N >= 0 (0 removes the quota)");
    } else {
        b.quota_bytes = (uint64_t)json_integer_value(v);
        snprintf(num, sizeof(num), "%llu", (unsigned long long)b.quota_bytes);
        mgr_audit(a, "quota", num);
        bucket_save(s, a, &b, MGR_CMD_BUCKET_SET_QUOTA, "quota");
    }
    json_decref(j);
}

/* PUT /v1/buckets/{name}/redundancy {"policy": "replicate" | "ec:K+M"} (issue 21): stored
 * and shown, not applied to data yet (docs/OPERATIONS.md). */
void mgr_h_bucket_redundancy(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    char why[256] = "";
    const char *text;
    cn_redund_t pol;
    mgr_bucket_t b;
    json_t *j;
    int rc;

    if (bucket_of(s, r, a, &b) != 0 || (j = mgr_body_json(r, a)) == NULL)
        return;
    text = body_str(j, "policy");
    mgr_audit(a, "redundancy", text);
    if (text == NULL) {
        mgr_fail(a, 400, "send {\"policy\": \"replicate\"} or {\"policy\": \"ec:K+M\"}");
    } else if (cn_redund_parse(text, &pol, why, sizeof(why)) != 0) {
        mgr_fail(a, 400, "bad redundancy policy '%.40s': %s", text, why);
    } else if ((rc = mgr_buckets_set_redundancy(s->fsm, b.name, &pol, why, sizeof(why))) ==
               CN_ENOENT) {
        mgr_fail(a, 404, "no bucket named '%.80s' (see get-buckets)", b.name);
    } else if (rc == CN_EINVAL) {
        mgr_fail(a, 409, "cannot set redundancy %s on bucket %s: %s", text, b.name, why);
    } else if (rc != 0) {
        mgr_fail(a, 500, "could not save the bucket (%s); see the manager log",
                 cn_strerror(rc));
    } else {
        CN_LOG(CN_LOG_INFO, "bucket=%s redundancy=%s: redundancy changed (stored only: no "
               "write applies it yet, issue 21)", b.name, text);
        a->status = 200;
        a->json = mgr_bucket_json(s->st, &b, 1);
    }
    json_decref(j);
}

/* PUT /v1/buckets/{name}/replication {"replication": "on" | "off"} (issue 22): whether the
 * bucket's changes go to the linked clusters; stored and shown, nothing replicates yet
 * (docs/OPERATIONS.md "Links to other clusters"). */
void mgr_h_bucket_replication(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *text;
    mgr_bucket_t b;
    json_t *j;
    int rc, on;

    if (bucket_of(s, r, a, &b) != 0 || (j = mgr_body_json(r, a)) == NULL)
        return;
    text = body_str(j, "replication");
    mgr_audit(a, "replication", text);
    on = text != NULL && strcmp(text, "on") == 0;
    if (text == NULL || (!on && strcmp(text, "off") != 0)) {
        mgr_fail(a, 400, "send {\"replication\": \"on\"} or {\"replication\": \"off\"}");
    } else if ((rc = mgr_buckets_set_replication(s->fsm, b.name, on)) == CN_ENOENT) {
        mgr_fail(a, 404, "no bucket named '%.80s' (see get-buckets)", b.name);
    } else if (rc != 0) {
        mgr_fail(a, 500, "could not save the bucket (%s); see the manager log",
                 cn_strerror(rc));
    } else {
        CN_LOG(CN_LOG_INFO, "bucket=%s replication=%s: replication switched (stored only: "
               "nothing replicates to linked clusters yet, issue 22)", b.name, text);
        a->status = 200;
        a->json = mgr_bucket_json(s->st, &b, 1);
    }
    json_decref(j);
}

/* ---- backup and restore -------------------------------------------------------------- */

void mgr_h_backup(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    int rc = 0;
    json_t *doc = mgr_backup_export(s->st, &rc);

    if (doc == NULL) {
        mgr_fail(a, 500, "could not read the state (%s); see the manager log", cn_strerror(rc));
        return;
    }
    CN_LOG(CN_LOG_INFO, "records=%zu: backup taken (admin)",
           json_array_size(json_object_get(doc, "records")));
    a->status = 200;
    a->json = doc;
}

void mgr_h_restore(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *doc = mgr_body_json(r, a), *users, *buckets;
    char why[512], cur[17], num[32];
    size_t n = 0;
    int rc;

    if (doc == NULL)
        return;
    rc = mgr_backup_restore(s->fsm, doc, &n, why, sizeof(why));
    json_decref(doc);
    if (rc != 0) {
        mgr_fail(a, rc == CN_EINVAL ? 400 : 500, "%s", why);
        return;
    }
    snprintf(num, sizeof(num), "%zu", n);
    mgr_audit(a, "records", num); /* applied: members, rings and levels followed the state */
    hex16(mgr_ring_sum(s->ring_cur), cur);
    users = mgr_users_json(s->st, 0);
    buckets = mgr_buckets_json(s->st, 0);
    CN_LOG(CN_LOG_WARN, "records=%zu ring=%s: state restored from a backup (admin)", n, cur);
    a->status = 200;
    a->json = json_pack("{s:I, s:I, s:s, s:I, s:I}", "restored", (json_int_t)n, "members",
                        (json_int_t)s->members.n, "ring_cur", cur, "users",
                        (json_int_t)json_array_size(users), "buckets",
                        (json_int_t)json_array_size(buckets));
    json_decref(users);
    json_decref(buckets);
}
