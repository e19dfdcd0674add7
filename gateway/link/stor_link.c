/*
 * gateway/link/stor_link.c: RPC clients to the storage nodes, one per node keyed by node name and
 * rebuilt when the ring changes. A key's request goes to the first owner of its redundancy set
 * (N nodes on ring cur) that the manager does not report out of service (heartbeat field
 * `down`: stopped, suspended or restarting nodes); on a transport failure (refused, reset,
 * timeout) it is sent again to the next owner, the reported ones last. With several owners
 * an attempt gets 60% of rpc_timeout_ms (at most what is left) and the last one what is left,
 * so a request never waits longer than rpc_timeout_ms (keep the storage nodes' [replication]
 * timeout below 60% of it: a coordinator may wait that long for a hung replica on a miss); a node that timed out is skipped like a
 * reported one for GW_SUSPECT_MS (a hung peer costs one timeout, not one per request).
 * A conditional write (a request with field `cond`, docs/DESIGN.md "Conditional writes") goes
 * to the first owner the manager does not report down and to no other: its failure is the
 * caller's 503, so that no second coordinator ever decides it.
 * A listing asks every node but those reported down or suspect (while the others still
 * cover every key: list_may_miss), merges (list_merge.c), and answers without a node that is
 * slow to answer once the others cover every key. Loop thread only.
 */
#include "gateway/link/stor_link.h"

#include <errno.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/gateway.h"
#include "gateway/link/list_merge.h"

void gw_stor_init(gw_server_t *s)
{
    memset(&s->stor, 0, sizeof(s->stor));
    s->stor.owners_n = 3;
    s->stor.quorum_w = 2;
    s->stor.quorum_d = 2;
}

static gw_stor_node_t *find_node(gw_server_t *s, const char *name)
{
    for (size_t i = 0; i < s->stor.nnodes; i++)
        if (strcmp(s->stor.nodes[i].name, name) == 0)
            return &s->stor.nodes[i];
    return NULL;
}

void gw_stor_sync_nodes(gw_server_t *s)
{
    const cn_ring_t *r = s->mgr.ring;
    size_t n = r ? cn_ring_node_count(r) : 0;
    gw_stor_node_t *nodes = cn_calloc(n ? n : 1, sizeof(*nodes));

    for (size_t i = 0; i < n; i++) {
        const cn_ring_node_t *rn = cn_ring_node_at(r, i);
        gw_stor_node_t *old = find_node(s, rn->name);
        snprintf(nodes[i].name, sizeof(nodes[i].name), "%s", rn->name);
        snprintf(nodes[i].host, sizeof(nodes[i].host), "%s", rn->host);
        nodes[i].port = rn->port;
        if (old && old->client && strcmp(old->host, rn->host) == 0 && old->port == rn->port) {
            nodes[i].client = old->client;
            old->client = NULL;
        } else if (cn_rpc_client_create(s->loop, rn->host, rn->port, s->conf.secret, s->conf.name,
                                        &nodes[i].client) != 0) {
            CN_LOG(CN_LOG_WARN, "storage node %s %s:%u: cannot create client", rn->name, rn->host,
                   rn->port);
            nodes[i].client = NULL;
        }
    }
    for (size_t i = 0; i < s->stor.nnodes; i++)
        if (s->stor.nodes[i].client)
            cn_rpc_client_destroy(s->stor.nodes[i].client);
    cn_free(s->stor.nodes);
    s->stor.nodes = nodes;
    s->stor.nnodes = n;
}

void gw_stor_stop(gw_server_t *s)
{
    for (size_t i = 0; i < s->stor.nnodes; i++)
        if (s->stor.nodes[i].client)
            cn_rpc_client_destroy(s->stor.nodes[i].client);
    cn_free(s->stor.nodes);
    s->stor.nodes = NULL;
    s->stor.nnodes = 0;
    cn_free(s->stor.down_names);
    s->stor.down_names = NULL;
}

/* ---- coordinator choice and fallback ------------------------------------------------ */

#define GW_SEND_MAGIC 0x67777364u /* "gwsd" */

#define GW_SUSPECT_MS 5000

static void suspect(gw_server_t *s, const char *name)
{
    uint64_t now = cn_mono_ms();
    size_t at = 0;
    struct gw_stor_suspect *suspects = s->stor.suspects;

    for (size_t i = 0; i < GW_SUSPECTS; i++) {
        if (strcmp(suspects[i].name, name) == 0) {
            at = i;
            break;
        }
        if (suspects[i].until_ms < suspects[at].until_ms)
            at = i;
    }
    if (suspects[at].until_ms < now || strcmp(suspects[at].name, name) != 0)
        CN_LOG(CN_LOG_WARN, "node=%s: timed out; skipped as coordinator for %d ms", name,
               GW_SUSPECT_MS);
    snprintf(suspects[at].name, sizeof(suspects[at].name), "%s", name);
    suspects[at].until_ms = now + GW_SUSPECT_MS;
}

static int is_suspect(const gw_server_t *s, const char *name)
{
    uint64_t now = cn_mono_ms();
    const struct gw_stor_suspect *suspects = s->stor.suspects;

    for (size_t i = 0; i < GW_SUSPECTS; i++)
        if (suspects[i].until_ms > now && strcmp(suspects[i].name, name) == 0)
            return 1;
    return 0;
}
void gw_stor_set_down(gw_server_t *s, const char *csv, uint64_t n)
{
    if (n >= 1 && n <= CN_RING_MAX_REPLICAS)
        s->stor.owners_n = (size_t)n;
    if (csv == NULL)
        csv = "";
    if (s->stor.down_names != NULL && strcmp(s->stor.down_names, csv) == 0)
        return;
    if (s->stor.down_names != NULL || csv[0] != '\0')
        CN_LOG(CN_LOG_INFO, "down=%s: storage nodes skipped as coordinators",
               csv[0] ? csv : "(none)");
    cn_free(s->stor.down_names);
    s->stor.down_names = cn_strdup(csv);
}

/* 1 when the manager's heartbeat reports name out of service (this gateway's own suspects
 * are not asked: conditional writes go by the manager's view alone). */
static int is_reported_down(const gw_server_t *s, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = s->stor.down_names; p != NULL && *p != '\0';) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len + (e != NULL);
    }
    return 0;
}

static int is_down(const gw_server_t *s, const char *name)
{
    return is_suspect(s, name) || is_reported_down(s, name);
}

int gw_stor_key_avoided(const gw_server_t *s, const char *key, size_t keylen)
{
    const cn_ring_node_t *owner;

    if (s->mgr.ring == NULL || cn_ring_lookup(s->mgr.ring, key, keylen, 1, &owner) != 1)
        return 1;
    return is_down(s, owner->name);
}

/* One key request: its candidates in order and the request bytes to send again. */
struct send_ctx {
    uint32_t magic;
    gw_server_t *s;
    cn_msg_t *again;           /* the request to send again to the next candidate (NULL with a
                                  single one); a borrowed body stays borrowed (cn_msg_dup) */
    char names[CN_RING_MAX_REPLICAS][CN_RING_NAME_MAX];
    size_t n, next;
    uint64_t deadline_ms;      /* monotonic: the whole request's budget */
    cn_rpc_done_fn cb;
    void *arg;
};

static int transport_error(int status)
{
    return status == CN_ETIMEDOUT || status == CN_ECONNREFUSED || status == CN_ECONNRESET ||
           status == CN_EUNAVAIL || status == -EPIPE || status == -EHOSTUNREACH ||
           status == -ENETUNREACH;
}

static void send_free(struct send_ctx *c)
{
    cn_msg_free(c->again);
    c->magic = 0;
    cn_free(c);
}

static void on_send_done(int status, cn_msg_t *resp, void *arg);

/* Sends m to the next candidate that has a client. Returns 0 (on_send_done will run) or
 * CN_EUNAVAIL (none left; m is freed). */
static int send_next(struct send_ctx *c, cn_msg_t *m)
{
    while (c->next < c->n) {
        gw_stor_node_t *node = find_node(c->s, c->names[c->next++]);

        if (node != NULL && node->client != NULL && !c->s->stopping) {
            if (c->next < c->n && c->again == NULL)
                c->again = cn_msg_dup(m); /* cn_rpc_call takes m */
            uint64_t now = cn_mono_ms(), left, t;

            left = c->deadline_ms > now ? c->deadline_ms - now : 0;
            t = c->next < c->n ? c->s->conf.rpc_timeout_ms * 3 / 5 : left;
            if (t > left)
                t = left;
            if (t < 200)
                t = 200; /* a last try always gets a moment */
            cn_rpc_call(node->client, m, t, on_send_done, c);
            return 0;
        }
    }
    cn_msg_free(m);
    return CN_EUNAVAIL;
}

static void on_send_done(int status, cn_msg_t *resp, void *arg)
{
    struct send_ctx *c = arg;

    CN_CHECK_OBJ(c, GW_SEND_MAGIC);
    if (status == CN_ETIMEDOUT)
        suspect(c->s, c->names[c->next - 1]);
    if (status != 0 && transport_error(status) && c->next < c->n && c->again != NULL &&
        !c->s->stopping) {
        cn_msg_t *again = c->again;
        CN_LOG(CN_LOG_DEBUG, "node=%s rc=%s: trying the next owner %s", c->names[c->next - 1],
               cn_strerror(status), c->names[c->next]);
        c->again = NULL;
        if (send_next(c, again) == 0)
            return;
    }
    c->cb(status, resp, c->arg);
    send_free(c);
}

int gw_stor_send(gw_server_t *s, const char *key, size_t keylen, cn_msg_t *m, cn_rpc_done_fn cb,
                 void *arg)
{
    const cn_ring_node_t *owners[CN_RING_MAX_REPLICAS];
    struct send_ctx *c;
    uint64_t cond = 0;
    size_t k;

    if (!s->mgr.ring || s->stopping ||
        (k = cn_ring_lookup(s->mgr.ring, key, keylen, s->stor.owners_n, owners)) < 1) {
        cn_msg_free(m);
        return CN_EUNAVAIL;
    }
    c = cn_calloc(1, sizeof(*c));
    c->magic = GW_SEND_MAGIC;
    c->s = s;
    c->cb = cb;
    c->arg = arg;
    c->deadline_ms = cn_mono_ms() + s->conf.rpc_timeout_ms;
    if (cn_msg_get_u64(m, "cond", &cond) == 0 && cond != 0) {
        /* a conditional write (docs/DESIGN.md, "Conditional writes"): the first owner in ring
         * order that the manager does not report down, and no other; a failure is the
         * caller's 503, never a second coordinator */
        for (size_t i = 0; i < k && c->n == 0; i++)
            if (!is_reported_down(s, owners[i]->name))
                snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", owners[i]->name);
    } else {
        for (int pass = 0; pass < 2; pass++) /* owners in service first, the others last */
            for (size_t i = 0; i < k; i++)
                if (is_down(s, owners[i]->name) == pass)
                    snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", owners[i]->name);
    }
    if (send_next(c, m) != 0) {
        send_free(c);
        return CN_EUNAVAIL;
    }
    return 0;
}

/* ---- listing on every node ----------------------------------------------------------- */

#define GW_LIST_MAGIC 0x67776c73u /* "gwls" */
#define GW_LIST_GRACE_MS 50

void gw_stor_set_quorums(gw_server_t *s, uint64_t w, uint64_t d)
{
    if (w >= 1 && w <= CN_RING_MAX_REPLICAS)
        s->stor.quorum_w = (size_t)w;
    if (d >= 1 && d <= CN_RING_MAX_REPLICAS)
        s->stor.quorum_d = (size_t)d;
}

/* How many nodes a listing may miss and still be complete. Every key has its N owners on
 * distinct nodes (N capped at the ring's size), an acked put is on W of them and an acked
 * delete on D (the tombstone must win over a lagging copy), so any min(W, D, N) - 1 nodes
 * may be missing: every acked version, deletes included, is still on a node that answered.
 * During a rebalance (a prev ring) keys may sit on prev owners only: nothing may be missed. */
static size_t list_may_miss(const gw_server_t *s)
{
    size_t q = s->stor.quorum_w < s->stor.quorum_d ? s->stor.quorum_w : s->stor.quorum_d;

    if (s->mgr.ring_prev != NULL)
        return 0;
    if (q > s->stor.owners_n)
        q = s->stor.owners_n;
    if (q > s->stor.nnodes)
        q = s->stor.nnodes;
    return q > 1 ? q - 1 : 0;
}

/* One listing. It answers once every node asked came back, or earlier once the nodes that
 * answered cover every key (at most may_miss nodes missing, failed or still out) and the
 * others had GW_LIST_GRACE_MS more than the answering ones took; later answers are dropped.
 * It lives until its last call came back and its timer closed. */
struct list_ctx {
    uint32_t magic;
    gw_server_t *srv;
    gw_list_done_fn cb;
    void *arg;
    size_t n, remaining;       /* nodes; calls in flight */
    size_t missing, may_miss;  /* nodes unasked or failed; how many may be */
    uint32_t max_keys;
    cn_list_result_t **res;    /* handed to the gw_list_out_t once answered */
    int *trunc;
    int last_err, answered;
    int timer_state;           /* 0 none, 1 initialised, 2 closing */
    uint64_t t0_ms;
    uv_timer_t grace;
};

struct list_call {
    struct list_ctx *ctx;
    size_t i;
    char name[CN_RING_NAME_MAX];
};

void gw_list_out_free(gw_list_out_t *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nres; i++)
        if (o->res[i])
            cn_list_result_free(o->res[i]);
    cn_free(o->res);
    cn_free(o->ents);
    cn_free(o);
}

static void list_maybe_free(struct list_ctx *c)
{
    if (!c->answered || c->remaining > 0 || c->timer_state != 0)
        return;
    c->magic = 0;
    cn_free(c);
}

static void on_grace_closed(uv_handle_t *h)
{
    struct list_ctx *c = h->data;

    CN_CHECK_OBJ(c, GW_LIST_MAGIC);
    c->timer_state = 0;
    list_maybe_free(c);
}

/* Answers the listing from what came back (the calls still out count as missing). */
static void list_answer(struct list_ctx *c)
{
    gw_list_out_t *o;

    c->answered = 1;
    if (c->timer_state == 1) {
        c->timer_state = 2;
        uv_close((uv_handle_t *)&c->grace, on_grace_closed);
    }
    if (c->missing + c->remaining > c->may_miss) {
        CN_LOG(CN_LOG_WARN, "list: %zu of %zu nodes missing, at most %zu may be: not answered",
               c->missing + c->remaining, c->n, c->may_miss);
        for (size_t i = 0; i < c->n; i++)
            if (c->res[i])
                cn_list_result_free(c->res[i]);
        cn_free(c->res);
        cn_free(c->trunc);
        c->cb(c->last_err ? c->last_err : CN_EUNAVAIL, NULL, c->arg);
        return;
    }
    o = cn_calloc(1, sizeof(*o));
    o->res = c->res;
    o->nres = c->n;
    gw_list_merge(c->res, c->trunc, c->n, c->max_keys, &o->ents, &o->n, &o->truncated,
                  &o->resume);
    cn_free(c->trunc);
    c->res = NULL;
    c->trunc = NULL;
    c->cb(0, o, c->arg);
}

static void on_grace(uv_timer_t *t)
{
    struct list_ctx *c = t->data;

    CN_CHECK_OBJ(c, GW_LIST_MAGIC);
    if (c->answered)
        return;
    CN_LOG(CN_LOG_DEBUG, "list: answered without %zu slow node(s)", c->remaining);
    list_answer(c);
}

/* Answers when nothing is out; else, once the answers cover every key, gives the rest a
 * grace as long again as the answering nodes took. */
static void list_check(struct list_ctx *c)
{
    uint64_t grace;

    if (c->answered)
        return;
    if (c->remaining == 0) {
        list_answer(c);
        return;
    }
    if (c->timer_state != 0 || c->missing + c->remaining > c->may_miss)
        return;
    grace = cn_mono_ms() - c->t0_ms + GW_LIST_GRACE_MS;
    uv_timer_init(c->srv->loop, &c->grace);
    c->grace.data = c;
    c->timer_state = 1;
    uv_timer_start(&c->grace, on_grace, grace, 0);
}

static void on_list(int status, cn_msg_t *resp, void *arg)
{
    struct list_call *lc = arg;
    struct list_ctx *c = lc->ctx;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t t = 0;

    CN_CHECK_OBJ(c, GW_LIST_MAGIC);
    c->remaining--;
    if (status == CN_ETIMEDOUT)
        suspect(c->srv, lc->name); /* the next listings (and key requests) skip it a while */
    if (!c->answered) {
        if (rc == 0) {
            cn_slice_t b = cn_msg_body(resp);
            if ((rc = cn_list_decode(b.ptr ? b.ptr : "", b.len, &c->res[lc->i])) == 0) {
                cn_msg_get_u64(resp, "truncated", &t);
                c->trunc[lc->i] = t != 0;
            }
        }
        if (rc != 0) {
            CN_LOG(CN_LOG_WARN, "list on %s failed: %s", lc->name, cn_strerror(rc));
            c->last_err = rc;
            c->missing++;
        }
        list_check(c);
    }
    if (resp)
        cn_msg_free(resp);
    cn_free(lc);
    list_maybe_free(c);
}

/* gw_stor_list, or with group one object's versions (the storage's `group` option), with the
 * metadata pairs meta_pick names (NULL: none) */
static int list_send(gw_server_t *s, const char *prefix, size_t prefix_len,
                     const char *start_after, size_t start_after_len, uint32_t max_keys,
                     const char *delimiter, int group, const char *meta_pick,
                     gw_list_done_fn cb, void *arg)
{
    struct list_ctx *c;
    size_t live = 0;

    for (size_t i = 0; i < s->stor.nnodes; i++)
        live += s->stor.nodes[i].client != NULL;
    if (!live || s->stopping)
        return CN_EUNAVAIL;
    c = cn_calloc(1, sizeof(*c));
    c->magic = GW_LIST_MAGIC;
    c->srv = s;
    c->cb = cb;
    c->arg = arg;
    c->n = s->stor.nnodes;
    c->max_keys = max_keys;
    c->may_miss = list_may_miss(s);
    c->t0_ms = cn_mono_ms();
    c->res = cn_calloc(c->n, sizeof(*c->res));
    c->trunc = cn_calloc(c->n, sizeof(*c->trunc));
    c->missing = s->stor.nnodes - live;
    /* nodes the manager reports down (or that timed out lately) are not asked while the
     * others still cover every key */
    uint8_t *skip = cn_calloc(c->n, 1);
    for (size_t i = 0; i < s->stor.nnodes; i++)
        if (s->stor.nodes[i].client && c->missing < c->may_miss && is_down(s, s->stor.nodes[i].name)) {
            skip[i] = 1;
            c->missing++;
        }
    c->remaining = 1; /* held while sending */
    for (size_t i = 0; i < s->stor.nnodes; i++) {
        if (!s->stor.nodes[i].client || skip[i])
            continue;
        cn_msg_t *m = cn_msg_new(CN_OP_LIST);
        cn_msg_set_bytes(m, "prefix", prefix, prefix_len);
        if (start_after && start_after_len)
            cn_msg_set_bytes(m, "start_after", start_after, start_after_len);
        cn_msg_set_u64(m, "max_keys", max_keys);
        cn_msg_set_u64(m, "tombstones", 1); /* so a lagging replica cannot undo a delete */
        if (group)
            cn_msg_set_u64(m, "group", 1);
        if (delimiter && *delimiter)
            cn_msg_set_str(m, "delimiter", delimiter);
        if (meta_pick && *meta_pick)
            cn_msg_set_str(m, "meta_pick", meta_pick);
        struct list_call *lc = cn_calloc(1, sizeof(*lc));
        lc->ctx = c;
        lc->i = i;
        snprintf(lc->name, sizeof(lc->name), "%s", s->stor.nodes[i].name);
        c->remaining++;
        cn_rpc_call(s->stor.nodes[i].client, m, s->conf.rpc_timeout_ms, on_list, lc);
    }
    cn_free(skip);
    c->remaining--;
    list_check(c); /* may answer at once (every node unasked): cb then runs inline */
    list_maybe_free(c);
    return 0;
}

int gw_stor_list(gw_server_t *s, const char *prefix, size_t prefix_len, const char *start_after,
                 size_t start_after_len, uint32_t max_keys, const char *delimiter,
                 gw_list_done_fn cb, void *arg)
{
    return list_send(s, prefix, prefix_len, start_after, start_after_len, max_keys, delimiter,
                     0, NULL, cb, arg);
}

int gw_stor_list_pick(gw_server_t *s, const char *prefix, size_t prefix_len,
                      const char *start_after, size_t start_after_len, uint32_t max_keys,
                      const char *delimiter, const char *meta_pick, gw_list_done_fn cb,
                      void *arg)
{
    return list_send(s, prefix, prefix_len, start_after, start_after_len, max_keys, delimiter,
                     0, meta_pick, cb, arg);
}

int gw_stor_list_versions(gw_server_t *s, const char *key, size_t key_len,
                          const char *start_after, size_t start_after_len, uint32_t max_keys,
                          const char *meta_pick, gw_list_done_fn cb, void *arg)
{
    return list_send(s, key, key_len, start_after, start_after_len, max_keys, NULL, 1,
                     meta_pick, cb, arg);
}

/* ---- background deletes -------------------------------------------------------------- */

static void on_delete_bg(int status, cn_msg_t *resp, void *arg)
{
    char *key = arg;
    int rc = status ? status : cn_msg_rc(resp);
    if (rc != 0 && rc != CN_ENOENT)
        CN_LOG(CN_LOG_WARN, "delete of old chunk %s failed: %s", key + 1, cn_strerror(rc));
    if (resp)
        cn_msg_free(resp);
    cn_free(key);
}

void gw_stor_delete_bg(gw_server_t *s, const char *key, size_t keylen)
{
    cn_msg_t *m = cn_msg_new(CN_OP_DELETE);
    char *k = cn_strndup(key, keylen);
    cn_msg_set_bytes(m, "key", key, keylen);
    cn_msg_set_u64(m, "clock", 0);
    if (gw_stor_send(s, key, keylen, m, on_delete_bg, k) != 0) {
        CN_LOG(CN_LOG_WARN, "delete of old chunk %s: no storage node", k + 1);
        cn_free(k);
    }
}
