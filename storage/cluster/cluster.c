/*
 * storage/cluster/cluster.c: the cluster side's common parts: the rings and consistency levels this
 * node holds, RPC clients to the other storage nodes (created lazily from the ring's
 * host/port, dropped when a node leaves both rings or moves), versions of a key, async engine
 * calls on the thread pool, fan-out reads, and the 100 ms cron that drives the repair queue.
 *
 * Invariants: a peer client exists only for a member of ring cur or prev with the same
 * host/port as when it was made. cl->stopping forbids new calls. cl->down is the manager's
 * last word on who is out of service (reads leave those nodes unasked when they may).
 * Ownership: s owns ring_cur/ring_prev; cl owns the clients. A gather or a local job owns
 * its key copy and results until its callback hands them over.
 * Threads: main loop only, except run_local (thread pool), which touches only its job and
 * the thread-safe engine.
 */
#include "storage/cluster/cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"

#define STOR_CLUSTER_MAGIC 0x53434c55u /* "SCLU" */
#define STOR_LOCAL_MAGIC 0x534c4f43u   /* "SLOC" */
#define STOR_GATHER_MAGIC 0x53474154u  /* "SGAT" */
#define CRON_MS 100

struct peer {
    char name[STOR_NAME_MAX];
    char host[CN_RING_HOST_MAX];
    uint16_t port;
    cn_rpc_client_t *cli;
};

struct stor_cluster {
    uint32_t magic;
    struct peer *peers;
    size_t n_peers, cap_peers;
    char *down;      /* ",a,b,": the members the manager reports out of service; NULL none */
    int stopping;
};

static const char *const reason_names[STOR_R_COUNT] = {
    "replicate", "read_repair", "recover_file", "recover_node", "rebalance", "scrub",
    "consistency",
};

const char *stor_reason_name(int reason)
{
    return reason >= 0 && reason < STOR_R_COUNT ? reason_names[reason] : "unknown";
}

/* ---- versions ----------------------------------------------------------------------- */

void stor_version_init(stor_version_t *v)
{
    memset(v, 0, sizeof(*v));
    v->rc = CN_ENOENT;
    cn_buf_init(&v->meta);
    cn_buf_init(&v->body);
}

void stor_version_dispose(stor_version_t *v)
{
    cn_buf_dispose(&v->meta);
    cn_buf_dispose(&v->body);
}

void stor_version_from_msg(stor_version_t *v, int status, cn_msg_t *resp)
{
    cn_slice_t b;
    uint64_t flags = 0;
    void *body;
    size_t len;

    v->rc = status != 0 ? status : cn_msg_rc(resp);
    if (v->rc != 0)
        return;
    memset(&v->m, 0, sizeof(v->m));
    if (cn_msg_get_u64(resp, "clock", &v->m.clock) != 0 || v->m.clock == 0) {
        v->rc = CN_EPROTO;
        return;
    }
    cn_msg_get_u64(resp, "size", &v->m.size);
    cn_msg_get_u64(resp, "mtime", &v->m.mtime_ms);
    cn_msg_get_u64(resp, "flags", &flags);
    v->m.flags = (uint32_t)flags;
    if (cn_msg_get_str(resp, "etag", v->m.etag, sizeof(v->m.etag)) != 0)
        v->m.etag[0] = '\0';
    cn_buf_reset(&v->meta);
    if (cn_msg_get_bytes(resp, "meta", &b) == 0 && b.len > 0)
        cn_buf_append(&v->meta, b.ptr, b.len);
    v->m.meta = cn_slice(v->meta.data ? v->meta.data : "", v->meta.len);
    cn_buf_reset(&v->body);
    body = cn_msg_steal_body(resp, &len);
    if (len > 0)
        cn_buf_append(&v->body, body, len);
    cn_free(body);
}

cn_msg_t *stor_write_msg(cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body)
{
    int tomb = (m->flags & CN_OBJ_TOMBSTONE) != 0;
    cn_msg_t *req = cn_msg_new(tomb ? CN_OP_DELETE : CN_OP_PUT);

    cn_msg_set_bytes(req, "key", key.ptr, key.len);
    cn_msg_set_u64(req, "clock", m->clock);
    cn_msg_set_u64(req, "replica", 1);
    if (!tomb) {
        cn_msg_set_str(req, "etag", m->etag);
        cn_msg_set_bytes(req, "meta", m->meta.ptr ? m->meta.ptr : "", m->meta.len);
        cn_msg_set_u64(req, "flags", m->flags);
        cn_msg_set_u64(req, "size", m->size);
        cn_msg_set_u64(req, "mtime", m->mtime_ms);
        if (body.len > 0)
            cn_msg_set_body_copy(req, body.ptr, body.len);
    }
    return req;
}

/* ---- owners ------------------------------------------------------------------------- */

void stor_owners_add(stor_owners_t *o, const char *name)
{
    if (stor_owners_has(o, name) || o->n >= STOR_READ_SET_MAX)
        return;
    snprintf(o->name[o->n++], STOR_NAME_MAX, "%s", name);
}

void stor_owners_of(const cn_ring_t *r, cn_slice_t key, size_t n, stor_owners_t *out)
{
    const cn_ring_node_t *nodes[CN_RING_MAX_REPLICAS];
    size_t got;

    out->n = 0;
    if (r == NULL || n == 0)
        return;
    if (n > CN_RING_MAX_REPLICAS)
        n = CN_RING_MAX_REPLICAS;
    got = cn_ring_lookup(r, key.ptr, key.len, n, nodes);
    for (size_t i = 0; i < got; i++)
        stor_owners_add(out, nodes[i]->name);
}

int stor_owners_has(const stor_owners_t *o, const char *name)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->name[i], name) == 0)
            return 1;
    return 0;
}

void stor_read_set(const struct stor_server *s, cn_slice_t key, const char *skip1,
                   const char *skip2, stor_owners_t *out)
{
    stor_owners_t cur, prev;

    out->n = 0;
    stor_owners_of(s->ring_cur, key, s->levels.n, &cur);
    stor_owners_of(s->ring_prev, key, s->levels.n, &prev);
    for (size_t i = 0; i < cur.n + prev.n; i++) {
        const char *nm = i < cur.n ? cur.name[i] : prev.name[i - cur.n];

        if ((skip1 && strcmp(nm, skip1) == 0) || (skip2 && strcmp(nm, skip2) == 0))
            continue;
        stor_owners_add(out, nm);
    }
}

int stor_is_owner(const struct stor_server *s, cn_slice_t key)
{
    stor_owners_t o;

    stor_owners_of(s->ring_cur, key, s->levels.n, &o);
    return stor_owners_has(&o, stor_self(s));
}

/* ---- peers -------------------------------------------------------------------------- */

static const cn_ring_node_t *find_node(const struct stor_server *s, const char *name)
{
    const cn_ring_node_t *n = s->ring_cur ? cn_ring_find(s->ring_cur, name) : NULL;

    if (n == NULL && s->ring_prev != NULL)
        n = cn_ring_find(s->ring_prev, name);
    return n;
}

int stor_peer_known(const struct stor_server *s, const char *name)
{
    return find_node(s, name) != NULL;
}

int stor_peer_call(struct stor_server *s, const char *name, cn_msg_t *req, uint64_t timeout_ms,
                   cn_rpc_done_fn cb, void *arg)
{
    struct stor_cluster *cl = s->cl;
    const cn_ring_node_t *n;
    struct peer *p = NULL;

    if (cl == NULL || cl->stopping || (n = find_node(s, name)) == NULL) {
        cn_msg_free(req);
        return CN_EUNAVAIL;
    }
    for (size_t i = 0; i < cl->n_peers; i++)
        if (strcmp(cl->peers[i].name, name) == 0)
            p = &cl->peers[i];
    if (p == NULL) {
        if (cl->n_peers == cl->cap_peers) {
            cl->cap_peers = cl->cap_peers ? cl->cap_peers * 2 : 8;
            cl->peers = cn_realloc(cl->peers, cl->cap_peers * sizeof(*cl->peers));
        }
        p = &cl->peers[cl->n_peers++];
        memset(p, 0, sizeof(*p));
        snprintf(p->name, sizeof(p->name), "%s", name);
    }
    if (p->cli == NULL) {
        snprintf(p->host, sizeof(p->host), "%s", n->host);
        p->port = n->port;
        if (cn_rpc_client_create(s->loop, p->host, p->port, s->conf->secret, stor_self(s),
                                 &p->cli) != 0) {
            p->cli = NULL;
            cn_msg_free(req);
            return CN_EUNAVAIL;
        }
    }
    cn_rpc_call(p->cli, req, timeout_ms, cb, arg);
    return 0;
}

void stor_cluster_set_down(struct stor_server *s, const char *csv)
{
    struct stor_cluster *cl = s->cl;
    size_t n;

    if (cl == NULL)
        return;
    if (csv == NULL)
        csv = "";
    n = strlen(csv);
    if (cl->down != NULL && strlen(cl->down) == n + 2 && memcmp(cl->down + 1, csv, n) == 0)
        return;
    if (cl->down != NULL || n > 0)
        CN_LOG(CN_LOG_INFO, "down=%s: peers left unasked by reads while they may be",
               n ? csv : "(none)");
    cn_free(cl->down);
    cl->down = NULL;
    if (n > 0) { /* framed by commas, so that a lookup is one strstr of ",name," */
        cl->down = cn_malloc(n + 3);
        cl->down[0] = ',';
        memcpy(cl->down + 1, csv, n);
        memcpy(cl->down + 1 + n, ",", 2);
    }
}

int stor_peer_down(const struct stor_server *s, const char *name)
{
    char framed[STOR_NAME_MAX + 3];

    if (s->cl == NULL || s->cl->down == NULL)
        return 0;
    snprintf(framed, sizeof(framed), ",%s,", name);
    return strstr(s->cl->down, framed) != NULL;
}

size_t stor_read_may_skip(const struct stor_server *s)
{
    uint32_t q = s->levels.w < s->levels.d ? s->levels.w : s->levels.d;

    if (q > s->levels.n)
        q = s->levels.n;
    return q > 1 ? q - 1 : 0;
}

/* Drops the clients of nodes that left both rings or changed address. */
static void prune_peers(struct stor_server *s)
{
    struct stor_cluster *cl = s->cl;
    size_t w = 0;

    for (size_t i = 0; i < cl->n_peers; i++) {
        struct peer *p = &cl->peers[i];
        const cn_ring_node_t *n = find_node(s, p->name);

        if (n == NULL || strcmp(n->host, p->host) != 0 || n->port != p->port) {
            if (p->cli != NULL) {
                CN_LOG(CN_LOG_INFO, "peer=%s: dropped (left the ring or moved)", p->name);
                cn_rpc_client_destroy(p->cli);
            }
            continue;
        }
        cl->peers[w++] = *p;
    }
    cl->n_peers = w;
}

/* ---- local engine calls ------------------------------------------------------------- */

enum { LOCAL_READ, LOCAL_WRITE, LOCAL_DROP, LOCAL_PUT_PREV, LOCAL_JOURNAL };

struct local_job {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    int op, want_body, rc;
    cn_buf_t key;
    uint64_t off, len, clock;
    stor_version_t *v;          /* read; put_prev: what the put replaced */
    stor_obj_meta_t m;          /* write (borrowed meta) */
    cn_slice_t body;
    stor_read_cb rcb;
    stor_write_cb wcb;
    stor_write_prev_cb pcb;
    void *arg;
};

void stor_version_read(stor_engine_t *e, cn_slice_t key, int want_body, uint64_t off,
                       uint64_t len, stor_version_t *v)
{
    v->rc = stor_engine_stat(e, key, &v->m, &v->meta);
    if (v->rc == 0 && !(v->m.flags & CN_OBJ_TOMBSTONE) && want_body &&
        (want_body != STOR_BODY_IF_MANIFEST || (v->m.flags & CN_OBJ_MANIFEST))) {
        stor_obj_meta_t m2;

        v->rc = stor_engine_get(e, key, off, len, &m2, NULL, &v->body);
        if (v->rc == 0 && m2.clock != v->m.clock) {
            /* a write came between stat and get: read again, meta first */
            cn_buf_reset(&v->meta);
            cn_buf_reset(&v->body);
            v->rc = stor_engine_get(e, key, off, len, &v->m, &v->meta, &v->body);
        } else if (v->rc == CN_ENOENT) {
            v->rc = stor_engine_stat(e, key, &v->m, NULL); /* deleted meanwhile */
        }
    }
    v->m.meta = cn_slice(v->meta.data ? v->meta.data : "", v->meta.len);
}

static void run_local(uv_work_t *w)
{
    struct local_job *j = w->data;
    cn_slice_t key = cn_slice(j->key.data, j->key.len);
    stor_engine_t *e = j->s->engine;

    CN_CHECK_OBJ(j, STOR_LOCAL_MAGIC);
    switch (j->op) {
    case LOCAL_READ:
        stor_version_read(e, key, j->want_body, j->off, j->len, j->v);
        break;
    case LOCAL_WRITE:
        if (!(j->m.flags & CN_OBJ_TOMBSTONE) && j->m.mtime_ms == 0)
            j->m.mtime_ms = cn_now_ms();
        j->rc = stor_engine_write(e, key, &j->m, j->body);
        break;
    case LOCAL_DROP:
        j->rc = stor_engine_drop(e, key, j->clock);
        break;
    case LOCAL_JOURNAL:
        j->rc = stor_engine_journal_add(e, key, j->clock, j->m.flags);
        break;
    case LOCAL_PUT_PREV: {
        stor_engine_prev_t prev = {.body = &j->v->body};

        if (j->m.mtime_ms == 0)
            j->m.mtime_ms = cn_now_ms();
        j->rc = stor_engine_put_prev(e, key, &j->m, j->body, &prev);
        j->v->rc = prev.rc;
        j->v->m = prev.m;
        j->v->m.meta = cn_slice("", 0);
        break;
    }
    }
}

static void local_done(uv_work_t *w, int status)
{
    struct local_job *j = w->data;

    CN_CHECK_OBJ(j, STOR_LOCAL_MAGIC);
    if (j->op == LOCAL_READ) {
        if (status != 0)
            j->v->rc = CN_ECANCELED;
        j->rcb(j->s, j->v, j->arg);
    } else if (j->op == LOCAL_PUT_PREV) {
        j->pcb(j->s, status != 0 ? CN_ECANCELED : j->rc, j->v, j->arg);
    } else {
        j->wcb(j->s, status != 0 ? CN_ECANCELED : j->rc, j->arg);
    }
    cn_buf_dispose(&j->key);
    j->magic = 0;
    cn_free(j);
}

static struct local_job *local_new(struct stor_server *s, int op, cn_slice_t key)
{
    struct local_job *j = cn_calloc(1, sizeof(*j));

    j->magic = STOR_LOCAL_MAGIC;
    j->s = s;
    j->op = op;
    j->work.data = j;
    cn_buf_init(&j->key);
    cn_buf_append(&j->key, key.ptr, key.len);
    return j;
}

static void local_queue(struct local_job *j)
{
    static const char *const what[] = {[LOCAL_READ] = "local read", [LOCAL_WRITE] = "local write",
                                       [LOCAL_DROP] = "local drop",
                                       [LOCAL_JOURNAL] = "local journal entry",
                                       [LOCAL_PUT_PREV] = "local put"};

    cn_work_queue(j->s->loop, &j->work, run_local, local_done, what[j->op]);
}

void stor_local_read(struct stor_server *s, cn_slice_t key, int want_body, uint64_t off,
                     uint64_t len, stor_read_cb cb, void *arg)
{
    struct local_job *j = local_new(s, LOCAL_READ, key);

    j->v = cn_malloc(sizeof(*j->v));
    stor_version_init(j->v);
    j->want_body = want_body;
    j->off = off;
    j->len = len;
    j->rcb = cb;
    j->arg = arg;
    local_queue(j);
}

void stor_local_write(struct stor_server *s, cn_slice_t key, const stor_obj_meta_t *m,
                      cn_slice_t body, stor_write_cb cb, void *arg)
{
    struct local_job *j = local_new(s, LOCAL_WRITE, key);

    j->m = *m;
    j->body = body;
    j->wcb = cb;
    j->arg = arg;
    local_queue(j);
}

void stor_local_put_prev(struct stor_server *s, cn_slice_t key, const stor_obj_meta_t *m,
                         cn_slice_t body, stor_write_prev_cb cb, void *arg)
{
    struct local_job *j = local_new(s, LOCAL_PUT_PREV, key);

    CN_ASSERT(!(m->flags & CN_OBJ_TOMBSTONE));
    j->v = cn_malloc(sizeof(*j->v));
    stor_version_init(j->v);
    j->m = *m;
    j->body = body;
    j->pcb = cb;
    j->arg = arg;
    local_queue(j);
}

void stor_local_drop(struct stor_server *s, cn_slice_t key, uint64_t clock, stor_write_cb cb,
                     void *arg)
{
    struct local_job *j = local_new(s, LOCAL_DROP, key);

    j->clock = clock;
    j->wcb = cb;
    j->arg = arg;
    local_queue(j);
}

void stor_local_journal(struct stor_server *s, cn_slice_t key, uint64_t clock, uint32_t flags,
                        stor_write_cb cb, void *arg)
{
    struct local_job *j = local_new(s, LOCAL_JOURNAL, key);

    j->clock = clock;
    j->m.flags = flags;
    j->wcb = cb;
    j->arg = arg;
    local_queue(j);
}

/* ---- fan-out reads ------------------------------------------------------------------ */

struct gather_call {
    stor_gather_t *g;
    size_t i;
};

static void gather_finish(stor_gather_t *g)
{
    if (g->pending == 0)
        g->cb(g, g->arg);
}

static void on_gather(int status, cn_msg_t *resp, void *arg)
{
    struct gather_call *c = arg;
    stor_gather_t *g = c->g;

    CN_CHECK_OBJ(g, STOR_GATHER_MAGIC);
    stor_version_from_msg(&g->res[c->i].v, status, resp);
    cn_msg_free(resp);
    cn_free(c);
    g->pending--;
    gather_finish(g);
}

static void on_gather_idle(uv_timer_t *t)
{
    stor_gather_t *g = t->data;

    uv_close((uv_handle_t *)t, (uv_close_cb)cn_free);
    gather_finish(g);
}

void stor_gather_start(struct stor_server *s, cn_slice_t key, const stor_owners_t *names,
                       const char *op, uint64_t off, uint64_t len,
                       void (*cb)(stor_gather_t *g, void *arg), void *arg)
{
    stor_gather_t *g = cn_calloc(1, sizeof(*g));
    uv_timer_t *t;

    g->magic = STOR_GATHER_MAGIC;
    g->s = s;
    g->cb = cb;
    g->arg = arg;
    cn_buf_init(&g->key);
    cn_buf_append(&g->key, key.ptr, key.len);
    g->n = names->n;
    g->pending = 1; /* held until every call is sent */
    for (size_t i = 0; i < g->n; i++) {
        struct gather_call *c = cn_malloc(sizeof(*c));
        cn_msg_t *req = cn_msg_new(op);

        snprintf(g->res[i].name, STOR_NAME_MAX, "%s", names->name[i]);
        stor_version_init(&g->res[i].v);
        cn_msg_set_bytes(req, "key", key.ptr, key.len);
        cn_msg_set_u64(req, "replica", 1);
        if (strcmp(op, CN_OP_GET) == 0) {
            cn_msg_set_u64(req, "offset", off);
            if (len != UINT64_MAX)
                cn_msg_set_u64(req, "length", len);
        }
        c->g = g;
        c->i = i;
        g->pending++;
        if ((g->res[i].v.rc = stor_peer_call(s, names->name[i], req, s->conf->repl_timeout_ms,
                                             on_gather, c)) != 0) {
            g->pending--;
            cn_free(c);
        }
    }
    g->pending--;
    if (g->pending == 0) { /* nothing in flight: answer on the next loop turn, never inline */
        t = cn_malloc(sizeof(*t));
        uv_timer_init(s->loop, t);
        t->data = g;
        uv_timer_start(t, on_gather_idle, 0, 0);
    }
}

int stor_gather_best(const stor_gather_t *g)
{
    int best = -1;

    for (size_t i = 0; i < g->n; i++)
        if (stor_version_found(&g->res[i].v) &&
            (best < 0 || g->res[i].v.m.clock > g->res[best].v.m.clock))
            best = (int)i;
    return best;
}

void stor_gather_heads(struct stor_server *s, cn_slice_t key,
                       void (*cb)(stor_gather_t *g, void *arg), void *arg)
{
    stor_owners_t ask;

    stor_read_set(s, key, stor_self(s), NULL, &ask);
    stor_gather_start(s, key, &ask, CN_OP_HEAD, 0, UINT64_MAX, cb, arg);
}

const stor_version_t *stor_gather_newest(const struct stor_server *s,
                                         const stor_owners_t *owners,
                                         const stor_version_t *local, const stor_gather_t *g,
                                         size_t *answered)
{
    const stor_version_t *best = NULL;

    *answered = 0;
    if (stor_owners_has(owners, stor_self(s)) && (local->rc == 0 || local->rc == CN_ENOENT))
        (*answered)++;
    if (stor_version_found(local))
        best = local;
    for (size_t i = 0; g != NULL && i < g->n; i++) {
        const stor_version_t *v = &g->res[i].v;

        if ((v->rc == 0 || v->rc == CN_ENOENT) && stor_owners_has(owners, g->res[i].name))
            (*answered)++;
        if (stor_version_found(v) && (best == NULL || v->m.clock > best->m.clock))
            best = v;
    }
    return best;
}

void stor_gather_free(stor_gather_t *g)
{
    CN_CHECK_OBJ(g, STOR_GATHER_MAGIC);
    for (size_t i = 0; i < g->n; i++)
        stor_version_dispose(&g->res[i].v);
    cn_buf_dispose(&g->key);
    g->magic = 0;
    cn_free(g);
}

/* ---- rings, levels, lifecycle ------------------------------------------------------- */

void stor_cluster_set_levels(struct stor_server *s, uint64_t n, uint64_t w, uint64_t r,
                             uint64_t d)
{
    struct stor_levels l = s->levels;

    if (n >= 1 && n <= CN_RING_MAX_REPLICAS)
        l.n = (uint32_t)n;
    if (w >= 1 && w <= CN_RING_MAX_REPLICAS)
        l.w = (uint32_t)w;
    if (r >= 1 && r <= CN_RING_MAX_REPLICAS)
        l.r = (uint32_t)r;
    if (d >= 1 && d <= CN_RING_MAX_REPLICAS)
        l.d = (uint32_t)d;
    if (memcmp(&l, &s->levels, sizeof(l)) != 0) {
        CN_LOG(CN_LOG_INFO, "consistency n=%u w=%u r=%u d=%u (was %u/%u/%u/%u)", l.n, l.w, l.r,
               l.d, s->levels.n, s->levels.w, s->levels.r, s->levels.d);
        s->levels = l;
    }
}

void stor_cluster_set_ring(struct stor_server *s, cn_ring_t *cur, cn_ring_t *prev)
{
    cn_ring_destroy(s->ring_cur);
    cn_ring_destroy(s->ring_prev);
    s->ring_cur = cur;
    s->ring_prev = prev;
    if (s->cl != NULL) {
        prune_peers(s);
        stor_recoverer_ring_changed(s);
    }
}

static void on_cron(uv_timer_t *t)
{
    struct stor_server *s = t->data;

    s->ticks++;
    stor_move_rate_cron(s);
    stor_repair_q_cron(s);
    stor_recoverer_kick(s);
    if (s->ticks % 10 == 0) {
        stor_metrics_cron(s);
        stor_recoverer_cron(s);
    }
}

int stor_cluster_start(struct stor_server *s)
{
    struct stor_cluster *cl = cn_calloc(1, sizeof(*cl));
    int rc;

    cl->magic = STOR_CLUSTER_MAGIC;
    s->cl = cl;
    if (s->levels.n == 0)
        s->levels = (struct stor_levels){3, 2, 1, 2};
    if ((rc = stor_repair_q_open(s)) != 0 || (rc = stor_recoverer_start(s)) != 0) {
        stor_repair_q_stop(s);
        stor_repair_q_close(s);
        cl->magic = 0;
        cn_free(cl);
        s->cl = NULL;
        return rc;
    }
    uv_timer_init(s->loop, &s->cron);
    s->cron.data = s;
    uv_timer_start(&s->cron, on_cron, CRON_MS, CRON_MS);
    return 0;
}

void stor_cluster_stop(struct stor_server *s)
{
    struct stor_cluster *cl = s->cl;

    if (cl == NULL || cl->stopping)
        return;
    cl->stopping = 1;
    uv_timer_stop(&s->cron);
    uv_close((uv_handle_t *)&s->cron, NULL);
    stor_recoverer_stop(s);
    stor_repair_q_stop(s);
    for (size_t i = 0; i < cl->n_peers; i++)
        if (cl->peers[i].cli != NULL)
            cn_rpc_client_destroy(cl->peers[i].cli);
    cl->n_peers = 0;
    stor_move_rate_stop(s); /* the moves waiting for the budget: the cron serves them no more */
}

void stor_cluster_close(struct stor_server *s)
{
    struct stor_cluster *cl = s->cl;

    stor_recoverer_close(s);
    stor_repair_q_close(s);
    stor_move_rate_close(s);
    cn_ring_destroy(s->ring_cur);
    cn_ring_destroy(s->ring_prev);
    s->ring_cur = s->ring_prev = NULL;
    if (cl == NULL)
        return;
    cn_free(cl->peers);
    cn_free(cl->down);
    cl->magic = 0;
    cn_free(cl);
    s->cl = NULL;
}
