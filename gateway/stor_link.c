/*
 * gateway/stor_link.c: RPC clients to the storage nodes, one per node keyed by node name and
 * rebuilt when the ring changes. A key's request goes to the first node of its redundancy set
 * (the coordinator); a listing asks every node and merges (list_merge.c). Loop thread only.
 */
#include "gateway/gateway.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "gateway/list_merge.h"

static gw_stor_node_t *find_node(gw_server_t *s, const char *name)
{
    for (size_t i = 0; i < s->nnodes; i++)
        if (strcmp(s->nodes[i].name, name) == 0)
            return &s->nodes[i];
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
    for (size_t i = 0; i < s->nnodes; i++)
        if (s->nodes[i].client)
            cn_rpc_client_destroy(s->nodes[i].client);
    cn_free(s->nodes);
    s->nodes = nodes;
    s->nnodes = n;
}

void gw_stor_stop(gw_server_t *s)
{
    for (size_t i = 0; i < s->nnodes; i++)
        if (s->nodes[i].client)
            cn_rpc_client_destroy(s->nodes[i].client);
    cn_free(s->nodes);
    s->nodes = NULL;
    s->nnodes = 0;
}

int gw_stor_send(gw_server_t *s, const char *key, size_t keylen, cn_msg_t *m, cn_rpc_done_fn cb,
                 void *arg)
{
    const cn_ring_node_t *owners[1];
    gw_stor_node_t *n;

    if (!s->mgr.ring || s->stopping ||
        cn_ring_lookup(s->mgr.ring, key, keylen, 1, owners) < 1 ||
        !(n = find_node(s, owners[0]->name)) || !n->client) {
        cn_msg_free(m);
        return CN_EUNAVAIL;
    }
    cn_rpc_call(n->client, m, s->conf.rpc_timeout_ms, cb, arg);
    return 0;
}

/* ---- listing on every node ----------------------------------------------------------- */

struct list_ctx {
    gw_server_t *srv;
    gw_list_done_fn cb;
    void *arg;
    size_t n, remaining;
    uint32_t max_keys;
    cn_list_result_t **res;
    int *trunc;
    int ok, last_err;
};

struct list_call {
    struct list_ctx *ctx;
    size_t i;
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

static void list_finish(struct list_ctx *c)
{
    gw_list_out_t *o;

    if (!c->ok) {
        for (size_t i = 0; i < c->n; i++)
            if (c->res[i])
                cn_list_result_free(c->res[i]);
        cn_free(c->res);
        cn_free(c->trunc);
        c->cb(c->last_err ? c->last_err : CN_EUNAVAIL, NULL, c->arg);
        cn_free(c);
        return;
    }
    o = cn_calloc(1, sizeof(*o));
    o->res = c->res;
    o->nres = c->n;
    gw_list_merge(c->res, c->trunc, c->n, c->max_keys, &o->ents, &o->n, &o->truncated);
    cn_free(c->trunc);
    c->cb(0, o, c->arg);
    cn_free(c);
}

static void on_list(int status, cn_msg_t *resp, void *arg)
{
    struct list_call *lc = arg;
    struct list_ctx *c = lc->ctx;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t t = 0;

    if (rc == 0) {
        cn_slice_t b = cn_msg_body(resp);
        if ((rc = cn_list_decode(b.ptr ? b.ptr : "", b.len, &c->res[lc->i])) == 0) {
            cn_msg_get_u64(resp, "truncated", &t);
            c->trunc[lc->i] = t != 0;
            c->ok = 1;
        }
    }
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "list on %s failed: %s", c->srv->nodes && lc->i < c->srv->nnodes
                                                          ? c->srv->nodes[lc->i].name
                                                          : "?",
               cn_strerror(rc));
        c->last_err = rc;
    }
    if (resp)
        cn_msg_free(resp);
    cn_free(lc);
    if (--c->remaining == 0)
        list_finish(c);
}

int gw_stor_list(gw_server_t *s, const char *prefix, size_t prefix_len, const char *start_after,
                 size_t start_after_len, uint32_t max_keys, const char *delimiter,
                 gw_list_done_fn cb, void *arg)
{
    struct list_ctx *c;
    size_t live = 0;

    for (size_t i = 0; i < s->nnodes; i++)
        live += s->nodes[i].client != NULL;
    if (!live || s->stopping)
        return CN_EUNAVAIL;
    c = cn_calloc(1, sizeof(*c));
    c->srv = s;
    c->cb = cb;
    c->arg = arg;
    c->n = s->nnodes;
    c->max_keys = max_keys;
    c->res = cn_calloc(c->n, sizeof(*c->res));
    c->trunc = cn_calloc(c->n, sizeof(*c->trunc));
    c->remaining = live;
    for (size_t i = 0; i < s->nnodes; i++) {
        if (!s->nodes[i].client)
            continue;
        cn_msg_t *m = cn_msg_new(CN_OP_LIST);
        cn_msg_set_bytes(m, "prefix", prefix, prefix_len);
        if (start_after && start_after_len)
            cn_msg_set_bytes(m, "start_after", start_after, start_after_len);
        cn_msg_set_u64(m, "max_keys", max_keys);
        if (delimiter && *delimiter)
            cn_msg_set_str(m, "delimiter", delimiter);
        struct list_call *lc = cn_calloc(1, sizeof(*lc));
        lc->ctx = c;
        lc->i = i;
        cn_rpc_call(s->nodes[i].client, m, s->conf.rpc_timeout_ms, on_list, lc);
    }
    return 0;
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
