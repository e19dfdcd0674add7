/*
 * manager/admin_srv.c: the admin HTTP API (docs/ADMIN_API.md) on libmicrohttpd's own
 * thread: JSON in, JSON out, errors as {"error": "..."} with a fitting status.
 * We bind the listening socket ourselves (port 0 works, the real port is read back) and hand
 * it to MHD, which closes it on stop. Every handler takes s->lock around state work.
 * Request bodies are capped at MGR_ADMIN_MAX_BODY.
 */
#include "manager/manager.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <jansson.h>
#include <microhttpd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "manager/buckets.h"
#include "manager/users.h"

#define MGR_ADMIN_MAGIC 0x6d676164u /* "mgad" */
#define MGR_REQ_MAGIC 0x6d677271u   /* "mgrq" */
#define MGR_ADMIN_MAX_BODY (64u << 10)

struct mgr_admin {
    uint32_t magic;
    struct MHD_Daemon *d;
};

struct req_ctx {
    uint32_t magic;
    cn_buf_t body;
    int too_big;
};

/* The answer being built: status and JSON (or text for /metrics). */
struct answer {
    unsigned status;
    json_t *json;
    char *text;
};

static void fail(struct answer *a, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct answer *a, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    a->status = status;
    a->json = json_pack("{s:s}", "error", msg);
}

static void sum_hex(uint64_t sum, char out[17])
{
    cn_ring_checksum_hex(sum, out);
}

/* Lock held. */
static json_t *status_json(struct mgr_server *s)
{
    char cur[17], prev[17], rpc[96], admin[96], when[32], mc[17], mp[17];
    json_t *nodes = json_array(), *j;

    sum_hex(mgr_ring_sum(s->ring_cur), cur);
    sum_hex(mgr_ring_sum(s->ring_prev), prev);
    snprintf(rpc, sizeof(rpc), "%s:%d", s->rpc_host, s->rpc_port);
    snprintf(admin, sizeof(admin), "%s:%d", s->admin_host, s->admin_port);
    for (size_t i = 0; i < s->members.n; i++) {
        const mgr_member_t *m = &s->members.v[i];

        sum_hex(m->ring_cur, mc);
        sum_hex(m->ring_prev, mp);
        cn_fmt_iso8601_ms(m->updated_ms, when, sizeof(when));
        json_array_append_new(
            nodes, json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s}", "name", m->name,
                             "type", m->type, "state", m->state, "host", m->host, "port",
                             m->port, "vnodes", (json_int_t)m->vnodes, "ring_cur", mc,
                             "ring_prev", mp, "updated_at", when));
    }
    j = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:I, s:I, s:I, s:I},"
                  " s:{s:s, s:s, s:I}, s:o, s:{s:I, s:I}}",
                  "manager", "name", MGR_NAME, "rpc", rpc, "admin", admin, "state",
                  MGR_STATE_RUNNING, "ring_cur", cur, "ring_prev", prev,
                  "consistency", "n", (json_int_t)s->levels.n, "w", (json_int_t)s->levels.w,
                  "r", (json_int_t)s->levels.r, "d", (json_int_t)s->levels.d,
                  "ring", "cur", cur, "prev", prev, "nodes",
                  (json_int_t)(s->ring_cur ? cn_ring_node_count(s->ring_cur) : 0),
                  "nodes", nodes,
                  "versions", "users", (json_int_t)mgr_state_get_u64(s->st, MGR_VER_USERS),
                  "buckets", (json_int_t)mgr_state_get_u64(s->st, MGR_VER_BUCKETS));
    CN_ASSERT(j != NULL);
    return j;
}

/* Lock held. */
static void do_start(struct mgr_server *s, struct answer *a)
{
    char cur[17];
    cn_ring_t *r = NULL;
    size_t n = 0;
    int rc;

    rc = mgr_ring_start(&s->members, s->st, s->ring_cur, &s->levels, &r, &n);
    if (rc == CN_EEXIST) {
        sum_hex(mgr_ring_sum(s->ring_cur), cur);
        fail(a, 409, "the cluster is already started (ring %s); adding nodes later is a "
                     "rebalance", cur);
        return;
    }
    if (rc == CN_ENOENT) {
        fail(a, 400, "no storage node is attached; start cairn-storage nodes pointing at this "
                     "manager, check 'cairn-adm status', then start again");
        return;
    }
    if (rc != 0) {
        fail(a, 500, "could not build or save the ring (%s); see the manager log",
             cn_strerror(rc));
        return;
    }
    s->ring_cur = r;
    sum_hex(mgr_ring_sum(r), cur);
    CN_LOG(CN_LOG_INFO, "ring=%s nodes=%zu: cluster started", cur, n);
    a->status = 200;
    a->json = json_pack("{s:s, s:{s:s, s:s, s:I}}", "status", "started", "ring", "cur", cur,
                        "prev", "0000000000000000", "nodes", (json_int_t)n);
}

static json_t *parse_body(struct req_ctx *rq, struct answer *a)
{
    json_error_t jerr;
    json_t *j;

    if (rq->too_big) {
        fail(a, 413, "request body over %u bytes", MGR_ADMIN_MAX_BODY);
        return NULL;
    }
    j = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, 0, &jerr);
    if (j == NULL || !json_is_object(j)) {
        fail(a, 400, "request body must be a JSON object (%s)", j ? "got another JSON type"
                                                                   : jerr.text);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Lock held. */
static void do_user_create(struct mgr_server *s, struct req_ctx *rq, struct answer *a)
{
    json_t *j = parse_body(rq, a);
    const char *name, *role;
    mgr_user_t u;
    int rc;

    if (j == NULL)
        return;
    name = json_string_value(json_object_get(j, "user"));
    role = json_string_value(json_object_get(j, "role"));
    if (name == NULL)
        fail(a, 400, "missing \"user\": send {\"user\": \"NAME\"}");
    else if (!mgr_user_name_valid(name))
        fail(a, 400, "bad user name '%.80s': use 1..64 of A-Z a-z 0-9 . _ -", name);
    else if (role != NULL && strcmp(role, "user") != 0 && strcmp(role, "admin") != 0)
        fail(a, 400, "bad role '%.40s': use \"user\" or \"admin\"", role);
    else if ((rc = mgr_users_create(s->st, name, role, &u)) == CN_EEXIST)
        fail(a, 409, "user %s exists; pick another name or delete-user %s first", name, name);
    else if (rc != 0)
        fail(a, 500, "could not save the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s access_key=%s role=%s: created", u.name, u.access_key,
               u.role);
        a->status = 201;
        a->json = json_pack("{s:s, s:s, s:s, s:s}", "user", u.name, "access_key", u.access_key,
                            "secret", u.secret, "role", u.role);
    }
    json_decref(j);
}

/* Lock held. */
static void do_user_delete(struct mgr_server *s, const char *name, struct answer *a)
{
    int rc = mgr_users_delete(s->st, name);

    if (rc == CN_ENOENT)
        fail(a, 404, "no user named '%.80s' (see get-users)", name);
    else if (rc == CN_EBUSY)
        fail(a, 409, "user %s still owns buckets; delete them first (see get-buckets)", name);
    else if (rc != 0)
        fail(a, 500, "could not delete the user (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "user=%s: deleted", name);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "user", name, "deleted", 1);
    }
}

/* Lock held. */
static void do_bucket_create(struct mgr_server *s, struct req_ctx *rq, struct answer *a)
{
    json_t *j = parse_body(rq, a);
    const char *name, *owner, *acl;
    mgr_bucket_t cur;
    int rc;

    if (j == NULL)
        return;
    name = json_string_value(json_object_get(j, "bucket"));
    owner = json_string_value(json_object_get(j, "access_key"));
    acl = json_string_value(json_object_get(j, "acl"));
    if (acl == NULL)
        acl = "private";
    if (name == NULL || owner == NULL)
        fail(a, 400, "send {\"bucket\": \"NAME\", \"access_key\": \"OWNER_ACCESS_KEY\"}");
    else if (!mgr_bucket_name_valid(name))
        fail(a, 400, "bad bucket name '%.80s': use 3..63 of a-z 0-9 . -, starting and ending "
                     "with a letter or digit, not an IP address", name);
    else if (!mgr_bucket_acl_valid(acl))
        fail(a, 400, "bad acl '%.40s': use a canned ACL such as private or public-read", acl);
    else if ((rc = mgr_buckets_create(s->st, name, owner, acl, &cur)) == CN_EEXIST)
        fail(a, 409, "bucket %s exists (owner %s); pick another name", name, cur.owner);
    else if (rc == CN_ENOENT)
        fail(a, 400, "no user has access key '%.40s' (see get-users)", owner);
    else if (rc != 0)
        fail(a, 500, "could not save the bucket (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "bucket=%s owner=%s acl=%s: created", name, owner, acl);
        a->status = 201;
        a->json = json_pack("{s:s, s:s, s:s}", "bucket", name, "owner", owner, "acl", acl);
    }
    json_decref(j);
}

/* Lock held. */
static void do_bucket_delete(struct mgr_server *s, const char *name, struct answer *a)
{
    int rc = mgr_buckets_delete(s->st, name);

    if (rc == CN_ENOENT)
        fail(a, 404, "no bucket named '%.80s' (see get-buckets)", name);
    else if (rc != 0)
        fail(a, 500, "could not delete the bucket (%s); see the manager log", cn_strerror(rc));
    else {
        CN_LOG(CN_LOG_INFO, "bucket=%s: deleted", name);
        a->status = 200;
        a->json = json_pack("{s:s, s:b}", "bucket", name, "deleted", 1);
    }
}

/* Lock held. */
static char *metrics_text(struct mgr_server *s)
{
    static const char *const types[] = {CN_NODE_STORAGE, CN_NODE_GATEWAY};
    static const char *const states[] = {MGR_STATE_ATTACHED, MGR_STATE_RUNNING, MGR_STATE_STOP};
    json_t *users = mgr_users_json(s->st, 0), *buckets = mgr_buckets_json(s->st, 0);
    cn_buf_t b;

    cn_buf_init(&b);
    cn_buf_append_str(&b, "# TYPE cairn_manager_members gauge\n");
    for (size_t t = 0; t < 2; t++)
        for (size_t k = 0; k < 3; k++) {
            size_t n = 0;
            for (size_t i = 0; i < s->members.n; i++)
                n += strcmp(s->members.v[i].type, types[t]) == 0 &&
                     strcmp(s->members.v[i].state, states[k]) == 0;
            cn_buf_appendf(&b, "cairn_manager_members{type=\"%s\",state=\"%s\"} %zu\n",
                           types[t], states[k], n);
        }
    cn_buf_appendf(&b, "# TYPE cairn_manager_ring_nodes gauge\ncairn_manager_ring_nodes %zu\n",
                   s->ring_cur ? cn_ring_node_count(s->ring_cur) : 0);
    cn_buf_appendf(&b, "# TYPE cairn_manager_users gauge\ncairn_manager_users %zu\n",
                   json_array_size(users));
    cn_buf_appendf(&b, "# TYPE cairn_manager_buckets gauge\ncairn_manager_buckets %zu\n",
                   json_array_size(buckets));
    json_decref(users);
    json_decref(buckets);
    return cn_buf_steal(&b, NULL);
}

static void route(struct mgr_server *s, const char *method, const char *url,
                  struct req_ctx *rq, struct answer *a)
{
    int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0,
        del = strcmp(method, "DELETE") == 0;
    const char *allow = NULL;

    if (strcmp(url, "/health") == 0) {
        if (!get)
            allow = "GET";
        else {
            a->status = 200;
            a->json = json_pack("{s:s}", "status", "ok");
        }
    } else if (strcmp(url, "/metrics") == 0) {
        if (!get)
            allow = "GET";
        else {
            a->status = 200;
            a->text = metrics_text(s);
        }
    } else if (strcmp(url, "/v1/status") == 0) {
        if (!get)
            allow = "GET";
        else {
            a->status = 200;
            a->json = status_json(s);
        }
    } else if (strcmp(url, "/v1/start") == 0) {
        if (!post)
            allow = "POST";
        else
            do_start(s, a);
    } else if (strcmp(url, "/v1/users") == 0) {
        if (get) {
            a->status = 200;
            a->json = mgr_users_json(s->st, 0);
        } else if (post)
            do_user_create(s, rq, a);
        else
            allow = "GET, POST";
    } else if (strncmp(url, "/v1/users/", 10) == 0 && url[10] != '\0') {
        if (!del)
            allow = "DELETE";
        else
            do_user_delete(s, url + 10, a);
    } else if (strcmp(url, "/v1/buckets") == 0) {
        if (get) {
            a->status = 200;
            a->json = mgr_buckets_json(s->st, 1);
        } else if (post)
            do_bucket_create(s, rq, a);
        else
            allow = "GET, POST";
    } else if (strncmp(url, "/v1/buckets/", 12) == 0 && url[12] != '\0') {
        if (!del)
            allow = "DELETE";
        else
            do_bucket_delete(s, url + 12, a);
    } else {
        fail(a, 404, "no such endpoint: %.16s %.200s (see docs/ADMIN_API.md)", method, url);
    }
    if (allow != NULL)
        fail(a, 405, "%.16s is not allowed on %.200s; use %s", method, url, allow);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct mgr_server *s = cls;
    struct req_ctx *rq = *con_cls;
    struct answer a = {0};
    struct MHD_Response *resp;
    enum MHD_Result ret;
    char *txt;

    if (rq == NULL) {
        rq = cn_calloc(1, sizeof(*rq));
        rq->magic = MGR_REQ_MAGIC;
        cn_buf_init(&rq->body);
        *con_cls = rq;
        return MHD_YES;
    }
    CN_CHECK_OBJ(rq, MGR_REQ_MAGIC);
    if (*upload_data_size > 0) {
        if (rq->body.len + *upload_data_size > MGR_ADMIN_MAX_BODY)
            rq->too_big = 1;
        else
            cn_buf_append(&rq->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    pthread_mutex_lock(&s->lock);
    route(s, method, url, rq, &a);
    pthread_mutex_unlock(&s->lock);

    if (a.text != NULL) {
        resp = MHD_create_response_from_buffer(strlen(a.text), a.text, MHD_RESPMEM_MUST_COPY);
        cn_free(a.text);
        MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4");
    } else {
        CN_ASSERT(a.json != NULL);
        txt = json_dumps(a.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(a.json);
        CN_ASSERT(txt != NULL);
        resp = MHD_create_response_from_buffer(strlen(txt), txt, MHD_RESPMEM_MUST_COPY);
        free(txt);
        MHD_add_response_header(resp, "Content-Type", "application/json");
    }
    if (a.status >= 400)
        CN_LOG(CN_LOG_DEBUG, "admin %s %s -> %u", method, url, a.status);
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

/* Binds and listens on host:port (port 0: any). Returns the fd and the real port, or a
 * negative CN_E* code. */
static int listen_on(const char *host, int port, int *real_port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char portstr[16];
    int fd = -1, one = 1, rc;

    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(host, portstr, &hints, &res) != 0 || res == NULL)
        return CN_EINVAL;
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        goto out_free;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        rc = -errno;
        goto out_close;
    }
    *real_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                          : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    freeaddrinfo(res);
    return fd;

out_close:
    close(fd);
out_free:
    freeaddrinfo(res);
    return rc;
}

int mgr_admin_start(struct mgr_server *s)
{
    struct mgr_admin *ad;
    int fd;

    if ((fd = listen_on(s->admin_host, s->admin_port, &s->admin_port)) < 0)
        return fd;
    ad = cn_calloc(1, sizeof(*ad));
    ad->magic = MGR_ADMIN_MAGIC;
    ad->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL,
                             on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                             MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                             MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
    if (ad->d == NULL) {
        close(fd);
        cn_free(ad);
        return CN_EIO;
    }
    s->admin = ad;
    return 0;
}

void mgr_admin_stop(struct mgr_server *s)
{
    struct mgr_admin *ad = s->admin;

    if (ad == NULL)
        return;
    CN_CHECK_OBJ(ad, MGR_ADMIN_MAGIC);
    MHD_stop_daemon(ad->d);
    ad->magic = 0;
    cn_free(ad);
    s->admin = NULL;
}
