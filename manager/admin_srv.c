/*
 * manager/admin_srv.c: the admin HTTP server (docs/ADMIN_API.md) on libmicrohttpd's own
 * thread: routing by a table of patterns, the bearer token, the audit log, /metrics,
 * /health and the static dashboard files. The /v1 handlers are in admin_api.c.
 * We bind the listening socket ourselves (port 0 works, the real port is read back) and hand
 * it to MHD, which closes it on stop. Handlers run with s->lock held unless their route is
 * MGR_ROUTE_NOLOCK. Bodies are capped at MGR_ADMIN_MAX_BODY (MGR_ADMIN_MAX_RESTORE for
 * routes marked MGR_ROUTE_BIG).
 * Access: peers on loopback are served; any other peer (and loopback peers too with
 * admin.require_token_on_loopback) must send "Authorization: Bearer TOKEN" matching
 * admin.token, else 401. /health and the dashboard files are public (no cluster data).
 * Audit: every POST/PUT/DELETE, whatever its outcome, appends one JSON line to
 * s->audit_path: time, peer, method, path, status and the object changed (never a secret).
 * The manager group (raft.h): only the leader takes a POST/PUT/DELETE (else 421 + "leader");
 * a GET of a locked route waits for a read barrier on the leader, and is answered from the
 * local state with "Cairn-Stale: true" anywhere else. Every answer has Cairn-Manager-Role.
 */
#include "manager/admin_int.h"
#include "manager/admin_login.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"
#include "manager/buckets.h"
#include "manager/endpoints.h"
#include "manager/users.h"

#define MGR_ADMIN_MAGIC 0x6d676164u /* "mgad" */
#define MGR_REQ_MAGIC 0x6d677271u   /* "mgrq" */
#define MGR_STATIC_MAX (4u << 20)

struct mgr_admin {
    uint32_t magic;
    struct MHD_Daemon *d;
    pthread_mutex_t audit_lock;
    struct mgr_login_cache logins;  /* admin_login.h */
};

struct req_ctx {
    uint32_t magic;
    cn_buf_t body;
    size_t max_body;
    int too_big;
    double t0;
};

/* ---- helpers for handlers ------------------------------------------------------------ */

void mgr_fail(struct mgr_answer *a, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    a->status = status;
    json_decref(a->json);
    a->json = json_pack("{s:s}", "error", msg);
    if (a->json == NULL) {
        /* jansson refuses a string that is not UTF-8: msg quotes a name from the request
         * (a %-decoded URL segment) or was cut inside a character; the answer must still be
         * JSON (the server asserts it) */
        for (char *p = msg; *p; p++)
            if ((unsigned char)*p >= 0x80)
                *p = '?';
        a->json = json_pack("{s:s}", "error", msg);
    }
}

json_t *mgr_body_json(const struct mgr_req *r, struct mgr_answer *a)
{
    json_error_t jerr;
    json_t *j;

    j = json_loadb(r->body ? r->body : "", r->body_len, 0, &jerr);
    if (j == NULL || !json_is_object(j)) {
        mgr_fail(a, 400, "request body must be a JSON object (%s)",
                 j ? "got another JSON type" : jerr.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

void mgr_audit(struct mgr_answer *a, const char *key, const char *value)
{
    if (a->audit == NULL)
        a->audit = json_object();
    json_object_set_new(a->audit, key, value ? json_string(value) : json_null());
}

double mgr_now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- metrics ------------------------------------------------------------------------- */

void mgr_metrics_init(struct mgr_metrics *m)
{
    cn_metrics_t *r = cn_metrics_create();

    m->reg = r;
    m->http_requests = cn_metrics_counter(r, "cairn_manager_http_requests_total",
                                          "admin API requests by endpoint, method and status",
                                          "endpoint,method,status");
    m->http_seconds = cn_metrics_histogram(r, "cairn_manager_http_request_duration_seconds",
                                           "admin API request latency", "endpoint",
                                           cn_metrics_latency_buckets,
                                           CN_METRICS_LATENCY_NBUCKETS);
    m->rpc_requests = cn_metrics_counter(r, "cairn_manager_rpc_requests_total",
                                         "cluster RPC requests by op and result code", "op,rc");
    m->rpc_seconds = cn_metrics_histogram(r, "cairn_manager_rpc_duration_seconds",
                                          "cluster RPC latency", "op",
                                          cn_metrics_latency_buckets,
                                          CN_METRICS_LATENCY_NBUCKETS);
    m->members = cn_metrics_gauge(r, "cairn_manager_members", "members by type and state",
                                  "type,state");
    m->node_info = cn_metrics_gauge(r, "cairn_manager_node_info",
                                    "1 per member, with the ring checksums it reported",
                                    "node,type,state,ring_cur,ring_prev");
    m->ring_info = cn_metrics_gauge(r, "cairn_manager_ring_info",
                                    "1, with the manager's ring checksums as labels",
                                    "ring_cur,ring_prev");
    m->ring_nodes = cn_metrics_gauge(r, "cairn_manager_ring_nodes",
                                     "storage nodes in the current ring", NULL);
    m->users = cn_metrics_gauge(r, "cairn_manager_users", "S3 users", NULL);
    m->buckets = cn_metrics_gauge(r, "cairn_manager_buckets", "buckets", NULL);
    m->endpoints = cn_metrics_gauge(r, "cairn_manager_endpoints", "virtual-host endpoints",
                                    NULL);
    m->consistency = cn_metrics_gauge(r, "cairn_manager_consistency",
                                      "consistency levels N, W, R, D", "level");
    m->start_time = cn_metrics_gauge(r, "cairn_manager_start_time_seconds",
                                     "when the manager started (Unix time)", NULL);
    cn_metric_set(m->start_time, NULL, (double)cn_now_ms() / 1000.0);
}

void mgr_metrics_dispose(struct mgr_metrics *m)
{
    cn_metrics_destroy(m->reg);
    memset(m, 0, sizeof(*m));
}

static const char *const all_states[] = {MGR_STATE_ATTACHED, MGR_STATE_RUNNING,
                                         MGR_STATE_STOP, MGR_STATE_RESTARTED,
                                         MGR_STATE_SUSPEND, MGR_STATE_DETACHED};

/* Lock held: refreshes the gauges that mirror the state, then writes everything. */
static void h_metrics(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    static const char *const types[] = {CN_NODE_STORAGE, CN_NODE_GATEWAY};
    struct mgr_metrics *m = &s->metrics;
    char cur[17], prev[17], mc[17], mp[17];
    json_t *j;
    cn_buf_t b;

    cn_metric_clear(m->members);
    for (size_t t = 0; t < 2; t++)
        for (size_t k = 0; k < sizeof(all_states) / sizeof(all_states[0]); k++) {
            size_t n = 0;
            for (size_t i = 0; i < s->members.n; i++)
                n += strcmp(s->members.v[i].type, types[t]) == 0 &&
                     strcmp(s->members.v[i].state, all_states[k]) == 0;
            cn_metric_set(m->members, (const char *[]){types[t], all_states[k]}, (double)n);
        }
    cn_metric_clear(m->node_info);
    for (size_t i = 0; i < s->members.n; i++) {
        const mgr_member_t *mb = &s->members.v[i];

        cn_ring_checksum_hex(mb->ring_cur, mc);
        cn_ring_checksum_hex(mb->ring_prev, mp);
        cn_metric_set(m->node_info, (const char *[]){mb->name, mb->type, mb->state, mc, mp}, 1);
    }
    cn_ring_checksum_hex(mgr_ring_sum(s->ring_cur), cur);
    cn_ring_checksum_hex(mgr_ring_sum(s->ring_prev), prev);
    cn_metric_clear(m->ring_info);
    cn_metric_set(m->ring_info, (const char *[]){cur, prev}, 1);
    cn_metric_set(m->ring_nodes, NULL,
                  (double)(s->ring_cur ? cn_ring_node_count(s->ring_cur) : 0));
    j = mgr_users_json(s->st, 0);
    cn_metric_set(m->users, NULL, (double)json_array_size(j));
    json_decref(j);
    j = mgr_buckets_json(s->st, 0);
    cn_metric_set(m->buckets, NULL, (double)json_array_size(j));
    json_decref(j);
    j = mgr_endpoints_json(s->st, 0);
    cn_metric_set(m->endpoints, NULL, (double)json_array_size(j));
    json_decref(j);
    cn_metric_set(m->consistency, (const char *[]){"n"}, (double)s->levels.n);
    cn_metric_set(m->consistency, (const char *[]){"w"}, (double)s->levels.w);
    cn_metric_set(m->consistency, (const char *[]){"r"}, (double)s->levels.r);
    cn_metric_set(m->consistency, (const char *[]){"d"}, (double)s->levels.d);

    cn_buf_init(&b);
    cn_metrics_write(m->reg, &b);
    a->status = 200;
    a->bytes = cn_buf_steal(&b, &a->len);
    a->ctype = "text/plain; version=0.0.4; charset=utf-8";
}

static void h_health(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    a->status = 200;
    a->json = json_pack("{s:s}", "status", "ok");
}

/* ---- static dashboard files ---------------------------------------------------------- */

static const char *content_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "application/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}, {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

/* Only plain names in the dashboard directory: no '/', no leading '.', so no traversal. */
static int file_name_ok(const char *name)
{
    if (name[0] == '\0' || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static void h_static(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0][0] ? r->param[0] : "index.html";
    char path[4096 + 256];
    struct stat sb;
    ssize_t got;
    int fd;

    if (s->dashboard_dir[0] == '\0') {
        mgr_fail(a, 404, "no dashboard files: set [admin] dashboard_dir to the directory "
                         "holding index.html");
        return;
    }
    if (!file_name_ok(name)) {
        mgr_fail(a, 404, "no such dashboard file");
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", s->dashboard_dir, name);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        mgr_fail(a, 404, "no such dashboard file: %.100s", name);
        return;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > MGR_STATIC_MAX) {
        close(fd);
        mgr_fail(a, 404, "no such dashboard file: %.100s", name);
        return;
    }
    a->bytes = cn_malloc((size_t)sb.st_size + 1);
    got = read(fd, a->bytes, (size_t)sb.st_size);
    close(fd);
    if (got != (ssize_t)sb.st_size) {
        cn_free(a->bytes);
        a->bytes = NULL;
        mgr_fail(a, 500, "could not read %.100s", name);
        return;
    }
    a->len = (size_t)got;
    a->ctype = content_type(name);
    a->status = 200;
}

/* ---- routing ------------------------------------------------------------------------- */

static const struct mgr_route routes[] = {
    {"GET", "/health", h_health, MGR_ROUTE_PUBLIC | MGR_ROUTE_NOLOCK},
    {"GET", "/metrics", h_metrics, 0},
    {"GET", "/", h_static, MGR_ROUTE_PUBLIC | MGR_ROUTE_NOLOCK},
    {"GET", "/dashboard/", h_static, MGR_ROUTE_PUBLIC | MGR_ROUTE_NOLOCK},
    {"GET", "/dashboard/{}", h_static, MGR_ROUTE_PUBLIC | MGR_ROUTE_NOLOCK},
    {"GET", "/v1/version", mgr_h_version, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/status", mgr_h_status, 0},
    {"POST", "/v1/start", mgr_h_start, 0},
    {"GET", "/v1/managers", mgr_h_managers, 0},
    {"POST", "/v1/managers", mgr_h_managers_change, 0},
    {"GET", "/v1/nodes/{}", mgr_h_node_full, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/nodes/{}/mq", mgr_h_node_mq, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/nodes/{}/mq/suspend", mgr_h_node_mq, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/nodes/{}/mq/resume", mgr_h_node_mq, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/nodes/{}/compact", mgr_h_node_compact, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/nodes/{}/compact/start", mgr_h_node_compact, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/nodes/{}/compact/suspend", mgr_h_node_compact, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/nodes/{}/compact/resume", mgr_h_node_compact, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/nodes/{}/diagnose", mgr_h_node_diagnose, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/nodes/{}/diagnose", mgr_h_node_diagnose, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/rebalance", mgr_h_rebalance_get, 0},
    {"POST", "/v1/rebalance", mgr_h_rebalance_start, 0},
    {"POST", "/v1/rollback", mgr_h_rollback, 0},
    {"GET", "/v1/recover", mgr_h_recover_progress, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/recover/file", mgr_h_recover_file, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/recover/node", mgr_h_recover_node, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/recover/disk", mgr_h_recover_disk, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/recover/consistency", mgr_h_recover_consistency, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/recover/ring", mgr_h_recover_ring, 0},
    {"POST", "/v1/nodes/{}/detach", mgr_h_node_action, 0},
    {"POST", "/v1/nodes/{}/suspend", mgr_h_node_action, 0},
    {"POST", "/v1/nodes/{}/resume", mgr_h_node_action, 0},
    {"PUT", "/v1/nodes/{}/log-level", mgr_h_node_log_level, MGR_ROUTE_NOLOCK},
    {"PUT", "/v1/nodes/{}/property", mgr_h_node_property, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/nodes/{}/du", mgr_h_node_du, MGR_ROUTE_NOLOCK},
    {"DELETE", "/v1/nodes/{}", mgr_h_node_remove, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/whereis", mgr_h_whereis_full, MGR_ROUTE_NOLOCK},
    {"POST", "/v1/purge-cache", mgr_h_purge_cache, 0},
    {"GET", "/v1/ring", mgr_h_ring, 0},
    {"PUT", "/v1/consistency", mgr_h_consistency, 0},
    {"GET", "/v1/users", mgr_h_users, 0},
    {"POST", "/v1/users", mgr_h_user_create, 0},
    {"DELETE", "/v1/users/{}", mgr_h_user_delete, 0},
    {"PUT", "/v1/users/{}/role", mgr_h_user_role, 0},
    {"PUT", "/v1/users/{}/email", mgr_h_user_email, 0},
    {"PUT", "/v1/users/{}/password", mgr_h_user_password, 0},
    {"GET", "/v1/users/{}/keys", mgr_h_keys_list, 0},
    {"POST", "/v1/users/{}/keys", mgr_h_key_create, 0},
    {"DELETE", "/v1/keys/{}", mgr_h_key_delete, 0},
    {"PUT", "/v1/keys/{}/status", mgr_h_key_status, 0},
    {"GET", "/v1/endpoints", mgr_h_endpoints, 0},
    {"POST", "/v1/endpoints", mgr_h_endpoint_add, 0},
    {"DELETE", "/v1/endpoints/{}", mgr_h_endpoint_delete, 0},
    {"GET", "/v1/buckets", mgr_h_buckets, 0},
    {"POST", "/v1/buckets", mgr_h_bucket_create, 0},
    {"GET", "/v1/buckets/{}", mgr_h_bucket_get, 0},
    {"DELETE", "/v1/buckets/{}", mgr_h_bucket_delete2, MGR_ROUTE_NOLOCK},
    {"GET", "/v1/buckets/{}/delete-stats", mgr_h_bucket_delete_stats, MGR_ROUTE_NOLOCK},
    {"PUT", "/v1/buckets/{}/owner", mgr_h_bucket_owner, 0},
    {"PUT", "/v1/buckets/{}/acl", mgr_h_bucket_acl, 0},
    {"PUT", "/v1/buckets/{}/quota", mgr_h_bucket_quota, 0},
    {"PUT", "/v1/buckets/{}/redundancy", mgr_h_bucket_redundancy, 0},
    {"PUT", "/v1/buckets/{}/replication", mgr_h_bucket_replication, 0},
    {"GET", "/v1/kms/keys", mgr_h_kms_list, 0},
    {"POST", "/v1/kms/keys", mgr_h_kms_create, 0},
    {"POST", "/v1/kms/rotate", mgr_h_kms_rotate, 0},
    {"POST", "/v1/kms/rewrap", mgr_h_kms_rewrap, 0},
    {"GET", "/v1/clusters", mgr_h_clusters, 0},
    {"GET", "/v1/clusters/{}", mgr_h_cluster, 0},
    {"POST", "/v1/clusters", mgr_h_cluster_join, 0},
    {"DELETE", "/v1/clusters/{}", mgr_h_cluster_remove, 0},
    {"POST", "/v1/clusters/{}/recover", mgr_h_cluster_recover, 0},
    {"GET", "/v1/clusters/{}/recover", mgr_h_cluster_recover_get, 0},
    {"GET", "/v1/backup", mgr_h_backup, 0},
    {"POST", "/v1/restore", mgr_h_restore, MGR_ROUTE_BIG},
};
#define MGR_NROUTES (sizeof(routes) / sizeof(routes[0]))

/* 1 when url matches pattern; fills r->param from the {} segments. */
static int match(const char *pattern, const char *url, struct mgr_req *r)
{
    const char *p = pattern, *u = url;
    size_t np = 0;

    while (*p && *u) {
        if (p[0] == '{' && p[1] == '}') {
            const char *end = strchr(u, '/');
            size_t n = end ? (size_t)(end - u) : strlen(u);

            if (n == 0 || n >= sizeof(r->param[0]) || np >= MGR_ROUTE_MAX_PARAMS)
                return 0;
            if (r != NULL) {
                memcpy(r->param[np], u, n);
                r->param[np][n] = '\0';
            }
            np++;
            u += n;
            p += 2;
        } else if (*p++ != *u++) {
            return 0;
        }
    }
    return *p == '\0' && *u == '\0';
}

/* The route for method and url; NULL with *allow listing the methods the path has (empty
 * when no route has the path). */
static const struct mgr_route *find_route(const char *method, const char *url, char *allow,
                                          size_t allowlen, struct mgr_req *r)
{
    allow[0] = '\0';
    for (size_t i = 0; i < MGR_NROUTES; i++) {
        if (!match(routes[i].pattern, url, NULL))
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            match(routes[i].pattern, url, r);
            return &routes[i];
        }
        if (strstr(allow, routes[i].method) == NULL)
            snprintf(allow + strlen(allow), allowlen - strlen(allow), "%s%s",
                     allow[0] ? ", " : "", routes[i].method);
    }
    return NULL;
}

/* ---- access and audit ---------------------------------------------------------------- */

static int peer_of(struct MHD_Connection *conn, char *out, size_t outlen)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0, loop = 0;

    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        loop = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        const uint8_t *b = in6->sin6_addr.s6_addr;

        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        loop = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
               (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127);
    }
    snprintf(out, outlen, "%s:%d", host, port);
    return loop;
}

/* 1 when the request carries the configured token. */
static void audit_write(struct mgr_server *s, const char *peer, const char *method,
                        const char *url, unsigned status, json_t *object)
{
    char when[32], *line;
    json_t *j;
    int fd;

    if (s->audit_path[0] == '\0')
        return;
    cn_fmt_iso8601_ms(cn_now_ms(), when, sizeof(when));
    j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:O}", "time", when, "peer", peer, "method",
                  method, "path", url, "status", (int)status, "object",
                  object ? object : json_null());
    line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (line == NULL)
        return;
    pthread_mutex_lock(&s->admin->audit_lock);
    fd = open(s->audit_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        CN_LOG(CN_LOG_ERROR, "audit_log=%s errno=%d: cannot open; change not audited: %s",
               s->audit_path, errno, line);
    } else {
        size_t n = strlen(line);
        char *out = cn_malloc(n + 1);

        memcpy(out, line, n); /* one write() per line: O_APPEND keeps lines whole */
        out[n] = '\n';
        if (write(fd, out, n + 1) != (ssize_t)(n + 1))
            CN_LOG(CN_LOG_ERROR, "audit_log=%s errno=%d: short write", s->audit_path, errno);
        cn_free(out);
        close(fd);
    }
    pthread_mutex_unlock(&s->admin->audit_lock);
    free(line);
}

/* ---- MHD glue ------------------------------------------------------------------------ */

static const char *method_label(const char *m)
{
    static const char *const known[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(m, known[i]) == 0)
            return known[i];
    return "other";
}

/* Answers 421 with the leader's admin address ("" while none is known: an election is
 * on, or no quorum). */
static void not_leader(struct mgr_server *s, struct mgr_answer *a)
{
    char leader[96];

    pthread_mutex_lock(&s->lock);
    mgr_raft_leader_addr(s, 0, leader, sizeof(leader));
    pthread_mutex_unlock(&s->lock);
    if (leader[0] != '\0')
        mgr_fail(a, 421, "this manager is not the leader; ask the leader at %s", leader);
    else
        mgr_fail(a, 421, "this manager is not the leader and knows of none: no quorum (fewer "
                 "than a majority of the managers answer) or an election under way");
    json_object_set_new(a->json, "leader", json_string(leader));
}

/* 1 when this manager is the leader; else answers 421. */
static int leader_here(struct mgr_server *s, struct mgr_answer *a)
{
    int is;

    pthread_mutex_lock(&s->lock);
    is = mgr_raft_is_leader(s);
    pthread_mutex_unlock(&s->lock);
    if (!is)
        not_leader(s, a);
    return is;
}

/* A write whose entry lost its leader meanwhile: 421 (refused, nothing applied) or 503 (the
 * leader changed while it committed: it may be applied), whatever the handler answered. */
static void lost(struct mgr_server *s, struct mgr_answer *a, int rc)
{
    if (rc == CN_ENOTLEADER) {
        not_leader(s, a);
    } else if (rc == CN_ECANCELED) {
        mgr_fail(a, 503, "the leader changed while this change committed: it may or may not "
                 "be applied; read the state, then retry");
    }
}

static int is_change(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "DELETE") == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct mgr_server *s = cls;
    struct req_ctx *rq = *con_cls;
    struct mgr_answer a = {0};
    struct mgr_req r;
    const struct mgr_route *rt;
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char allow[64], peer[80], status_s[8], who[MGR_USER_NAME_MAX + 1];
    enum mgr_caller caller;
    const char *role;
    int stale = 0;
    int loopback;

    if (rq == NULL) {
        char tmp[64];
        struct mgr_req probe;

        rq = cn_calloc(1, sizeof(*rq));
        rq->magic = MGR_REQ_MAGIC;
        rq->t0 = mgr_now_seconds();
        cn_buf_init(&rq->body);
        rt = find_route(method, url, tmp, sizeof(tmp), &probe);
        rq->max_body = rt && (rt->flags & MGR_ROUTE_BIG) ? MGR_ADMIN_MAX_RESTORE
                                                         : MGR_ADMIN_MAX_BODY;
        *con_cls = rq;
        return MHD_YES;
    }
    CN_CHECK_OBJ(rq, MGR_REQ_MAGIC);
    if (*upload_data_size > 0) {
        if (rq->too_big || rq->body.len + *upload_data_size > rq->max_body) {
            rq->too_big = 1;
            cn_buf_dispose(&rq->body);
        } else {
            cn_buf_append(&rq->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    memset(&r, 0, sizeof(r));
    r.conn = conn;
    r.method = method;
    r.url = url;
    r.body = rq->body.data;
    r.body_len = rq->body.len;
    loopback = peer_of(conn, peer, sizeof(peer));
    caller = mgr_login_identify(s, &s->admin->logins,
                                MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                            "Authorization"),
                                who, sizeof(who));
    rt = find_route(method, url, allow, sizeof(allow), &r);
    if (rt == NULL && allow[0] != '\0') {
        mgr_fail(&a, 405, "%.16s is not allowed on %.200s; use %s", method, url, allow);
    } else if (rt == NULL) {
        mgr_fail(&a, 404, "no such endpoint: %.16s %.200s (see docs/ADMIN_API.md)", method,
                 url);
    } else if (!(rt->flags & MGR_ROUTE_PUBLIC) && caller == MGR_CALLER_BAD) {
        mgr_fail(&a, 401, "wrong token, user or password (cairn-adm --token, or --user and "
                          "--password of a user with the admin role)");
        CN_LOG(CN_LOG_WARN, "peer=%s user=%s %s %s: refused, credentials do not check", peer,
               who, method, url);
    } else if (!(rt->flags & MGR_ROUTE_PUBLIC) && caller == MGR_CALLER_USER) {
        mgr_fail(&a, 403, "user %s has no admin role: the admin API is for admins "
                 "(cairn-adm update-user-role %s admin)", who, who);
        CN_LOG(CN_LOG_WARN, "peer=%s user=%s %s %s: refused, not an admin", peer, who, method,
               url);
    } else if (!(rt->flags & MGR_ROUTE_PUBLIC) && caller == MGR_CALLER_NONE &&
               (!loopback || s->conf.token_on_loopback)) {
        if (s->conf.admin_token == NULL || s->conf.admin_token[0] == '\0')
            mgr_fail(&a, 401, "the admin API serves %s only to an admin: log in as a user with "
                     "the admin role (cairn-adm --user and --password), or set [admin] token "
                     "in cairn-manager.conf and send it (cairn-adm --token or CAIRN_TOKEN)",
                     "this address");
        else
            mgr_fail(&a, 401, "missing credentials: send Authorization: Bearer TOKEN "
                              "(cairn-adm --token or CAIRN_TOKEN), or log in as an admin "
                              "(cairn-adm --user and --password)");
        CN_LOG(CN_LOG_WARN, "peer=%s %s %s: refused, no credentials", peer, method, url);
    } else if (rq->too_big) {
        mgr_fail(&a, 413, "request body over %zu bytes", rq->max_body);
    } else if (is_change(method) && !leader_here(s, &a)) {
        /* answered 421 with the leader's admin address */
    } else if (rt->flags & MGR_ROUTE_NOLOCK) {
        mgr_fsm_take_lost();
        rt->fn(s, &r, &a);
        lost(s, &a, mgr_fsm_take_lost());
    } else {
        pthread_mutex_lock(&s->lock);
        /* a read on the leader waits for a read barrier; anything else reads what this
         * manager holds, marked stale (a follower, or a leader that lost its quorum) */
        if (!is_change(method) && !(rt->flags & MGR_ROUTE_PUBLIC))
            stale = !mgr_raft_is_leader(s) || mgr_fsm_barrier_wait(s->fsm) != 0;
        mgr_fsm_take_lost();
        rt->fn(s, &r, &a);
        pthread_mutex_unlock(&s->lock);
        lost(s, &a, mgr_fsm_take_lost());
    }

    if (a.bytes != NULL) {
        resp = MHD_create_response_from_buffer(a.len, a.bytes, MHD_RESPMEM_MUST_COPY);
        cn_free(a.bytes);
        MHD_add_response_header(resp, "Content-Type", a.ctype);
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
    } else {
        char *txt;

        CN_ASSERT(a.json != NULL);
        txt = json_dumps(a.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        CN_ASSERT(txt != NULL);
        resp = MHD_create_response_from_buffer(strlen(txt), txt, MHD_RESPMEM_MUST_COPY);
        free(txt);
        MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    json_decref(a.json);
    if (a.status == 401) /* Basic: the browser's login prompt for the dashboard */
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Basic realm=\"cairn\", Bearer realm=\"cairn\"");
    if (a.status == 405)
        MHD_add_response_header(resp, "Allow", allow);
    pthread_mutex_lock(&s->lock);
    role = mgr_raft_role_name(s->rview.role);
    pthread_mutex_unlock(&s->lock);
    MHD_add_response_header(resp, "Cairn-Manager-Role", role);
    if (stale)
        MHD_add_response_header(resp, "Cairn-Stale", "true");
    if (is_change(method))
        audit_write(s, peer, method, url, a.status, a.audit);
    json_decref(a.audit);
    if (a.status >= 400)
        CN_LOG(CN_LOG_DEBUG, "admin %s %s -> %u", method, url, a.status);
    snprintf(status_s, sizeof(status_s), "%u", a.status);
    {
        const char *ep = rt ? rt->pattern : "unmatched";

        cn_metric_add(s->metrics.http_requests,
                      (const char *[]){ep, method_label(method), status_s}, 1);
        cn_metric_observe(s->metrics.http_seconds, (const char *[]){ep},
                          mgr_now_seconds() - rq->t0);
    }
    ret = MHD_queue_response(conn, a.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req_ctx *rq = *con_cls;

    if (rq == NULL)
        return;
    CN_CHECK_OBJ(rq, MGR_REQ_MAGIC);
    cn_buf_dispose(&rq->body);
    rq->magic = 0;
    cn_free(rq);
    *con_cls = NULL;
}

int mgr_admin_start(struct mgr_server *s)
{
    struct mgr_admin *ad;
    int fd;

    if ((fd = cn_listen_tcp(s->admin_host, s->admin_port, &s->admin_port)) < 0)
        return fd;
    ad = cn_calloc(1, sizeof(*ad));
    ad->magic = MGR_ADMIN_MAGIC;
    pthread_mutex_init(&ad->audit_lock, NULL);
    mgr_login_cache_init(&ad->logins);
    s->admin = ad;
    ad->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                                 MHD_USE_POLL, 0, NULL, NULL,
                             on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
    if (ad->d == NULL) {
        close(fd);
        pthread_mutex_destroy(&ad->audit_lock);
        mgr_login_cache_dispose(&ad->logins);
        cn_free(ad);
        s->admin = NULL;
        return CN_EIO;
    }
    return 0;
}

void mgr_admin_stop(struct mgr_server *s)
{
    struct mgr_admin *ad = s->admin;

    if (ad == NULL)
        return;
    CN_CHECK_OBJ(ad, MGR_ADMIN_MAGIC);
    MHD_stop_daemon(ad->d);
    pthread_mutex_destroy(&ad->audit_lock);
    mgr_login_cache_dispose(&ad->logins);
    ad->magic = 0;
    cn_free(ad);
    s->admin = NULL;
}
