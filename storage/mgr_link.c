/*
 * storage/mgr_link.c: the storage node's link to the manager: register, heartbeat, ring.
 *
 * States: REGISTERING (a register call every second until one succeeds; the first failure
 * logs one WARN line, success after failures logs one INFO line) then REGISTERED (a heartbeat
 * every heartbeat_ms with the ring checksums held; when the manager's differ, get_ring is
 * fetched and cur/prev are replaced; the `down` list goes to cluster.c). A heartbeat answered CN_ENOENT (the manager forgot
 * the node) goes back to REGISTERING. The manager's "state" is logged when it changes.
 * RPC keeps being served whatever happens here. The calls go through common/mgr_client.c:
 * to the first of [manager] addresses that answers, to the leader a follower names, and to
 * the managers a reply's "managers" field adds (docs/PROTOCOL.md, Finding the managers).
 *
 * Lifetime: the link is referenced by its timer (until close_cb) and by each call in flight
 * (until its callback, which cn_mgr_client_destroy makes fire with CN_ECANCELED after stop);
 * it is freed when the last reference goes. At most one call is in flight at a time.
 * Threads: main loop only.
 */
#include "storage/storage.h"
#include "storage/xdc/xdc.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mgr_client.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "storage/cluster/cluster.h"

#define STOR_MGR_MAGIC 0x534d474cu /* "SMGL" */
#define MGR_RETRY_MS 1000
#define MGR_CALL_TIMEOUT_MS 3000

enum link_state { LINK_REGISTERING, LINK_REGISTERED };

struct stor_mgr_link {
    uint32_t magic;
    struct stor_server *s;
    cn_mgr_client_t *mc;
    uv_timer_t timer;
    enum link_state state;
    int refs;
    int busy;        /* a call is in flight */
    int stopping;
    int failing;     /* the last call failed (and was logged) */
    char mgr_state[32];
    uint64_t cur_sum, prev_sum;
    uint64_t buckets_ver;      /* the bucket table's version this node holds (buckets.h) */
};

static void tick(uv_timer_t *t);

static void unref(struct stor_mgr_link *l)
{
    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    if (--l->refs > 0)
        return;
    l->magic = 0;
    cn_free(l);
}

static void on_timer_close(uv_handle_t *h)
{
    unref(h->data);
}

static void set_period(struct stor_mgr_link *l, uint64_t first_ms)
{
    uint64_t every = l->state == LINK_REGISTERED ? l->s->conf->heartbeat_ms : MGR_RETRY_MS;

    uv_timer_start(&l->timer, tick, first_ms, every);
}

/* The manager the next call goes to, for logs. */
static const char *mgr(const struct stor_mgr_link *l)
{
    return cn_mgr_client_current(l->mc);
}

/* Logs a failed call once per outage. */
static void call_failed(struct stor_mgr_link *l, const char *op, int rc)
{
    char all[1024];

    if (!l->failing) {
        cn_mgr_client_addrs(l->mc, all, sizeof(all));
        CN_LOG(CN_LOG_WARN, "managers=%s op=%s rc=%s: %s, retrying every %s", all, op,
               cn_strerror(rc),
               rc == CN_ENOTLEADER ? "no leader known (an election)" : "manager unreachable",
               l->state == LINK_REGISTERED ? "heartbeat" : "second");
    }
    l->failing = 1;
}

static void call_ok(struct stor_mgr_link *l)
{
    if (l->failing)
        CN_LOG(CN_LOG_INFO, "manager=%s: reachable again", mgr(l));
    l->failing = 0;
}

static void note_state(struct stor_mgr_link *l, const cn_msg_t *resp)
{
    char st[sizeof(l->mgr_state)];

    if (cn_msg_get_str(resp, "state", st, sizeof(st)) != 0)
        return;
    if (strcmp(st, l->mgr_state) != 0) {
        CN_LOG(CN_LOG_INFO, "manager=%s state=%s (was %s)", mgr(l), st,
               l->mgr_state[0] ? l->mgr_state : "none");
        snprintf(l->mgr_state, sizeof(l->mgr_state), "%s", st);
    }
}

/* Decodes one ring field (empty: no ring). 0 or CN_ECORRUPT. */
static int decode_ring(const cn_msg_t *resp, const char *name, cn_ring_t **out)
{
    cn_slice_t b;

    *out = NULL;
    if (cn_msg_get_bytes(resp, name, &b) != 0 || b.len == 0)
        return 0;
    return cn_ring_decode(b.ptr, b.len, out);
}

/* n, w, r, d of a register or heartbeat answer: they apply at once, without a restart. */
static void note_levels(struct stor_mgr_link *l, const cn_msg_t *resp)
{
    uint64_t n = 0, w = 0, r = 0, d = 0;

    cn_msg_get_u64(resp, "n", &n);
    cn_msg_get_u64(resp, "w", &w);
    cn_msg_get_u64(resp, "r", &r);
    cn_msg_get_u64(resp, "d", &d);
    stor_cluster_set_levels(l->s, n, w, r, d);
}

/* The members the manager reports out of service: reads leave them unasked when they may. */
static void note_down(struct stor_mgr_link *l, const cn_msg_t *resp)
{
    char down[4096];

    if (cn_msg_get_str(resp, "down", down, sizeof(down)) != 0)
        down[0] = '\0';
    stor_cluster_set_down(l->s, down);
}

static void on_get_ring(int status, cn_msg_t *resp, void *arg)
{
    struct stor_mgr_link *l = arg;
    cn_ring_t *cur = NULL, *prev = NULL;
    char a[17], b[17];
    int rc = status;

    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    l->busy = 0;
    if (l->stopping)
        goto out;
    if (rc == 0 && (rc = cn_msg_rc(resp)) == 0 && (rc = decode_ring(resp, "cur", &cur)) == 0)
        rc = decode_ring(resp, "prev", &prev);
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "manager=%s rc=%s: get_ring failed, retrying on the next heartbeat",
               mgr(l), cn_strerror(rc));
        cn_ring_destroy(cur);
        cn_ring_destroy(prev);
        goto out;
    }
    stor_cluster_set_ring(l->s, cur, prev);
    l->cur_sum = cur ? cn_ring_checksum(cur) : 0;
    l->prev_sum = prev ? cn_ring_checksum(prev) : 0;
    cn_ring_checksum_hex(l->cur_sum, a);
    cn_ring_checksum_hex(l->prev_sum, b);
    CN_LOG(CN_LOG_INFO, "ring cur=%s (%zu nodes) prev=%s (%zu nodes)", a,
           cur ? cn_ring_node_count(cur) : (size_t)0, b,
           prev ? cn_ring_node_count(prev) : (size_t)0);
out:
    cn_msg_free(resp);
    unref(l);
}

/* One call of op to the manager (the link is busy until cb runs). */
static void fetch(struct stor_mgr_link *l, const char *op, cn_rpc_done_fn cb)
{
    l->busy = 1;
    l->refs++;
    cn_mgr_client_call(l->mc, cn_msg_new(op), MGR_CALL_TIMEOUT_MS, cb, l);
}

static void on_get_buckets(int status, cn_msg_t *resp, void *arg)
{
    struct stor_mgr_link *l = arg;
    uint64_t ver = 0;
    cn_slice_t body;
    int rc = status;

    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    l->busy = 0;
    if (l->stopping)
        goto out;
    if (rc == 0)
        rc = cn_msg_rc(resp);
    if (rc == 0) {
        cn_msg_get_u64(resp, "ver", &ver);
        body = cn_msg_body(resp);
        rc = stor_buckets_load(&l->s->buckets, body.ptr ? body.ptr : "", body.len, ver);
    }
    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "manager=%s rc=%s: get_buckets failed, retrying on the next "
               "heartbeat", mgr(l), cn_strerror(rc));
    else
        l->buckets_ver = ver;
out:
    cn_msg_free(resp);
    unref(l);
}

static void on_get_links(int status, cn_msg_t *resp, void *arg)
{
    struct stor_mgr_link *l = arg;
    cn_slice_t body;
    int rc = status;

    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    l->busy = 0;
    if (l->stopping)
        goto out;
    if (rc == 0)
        rc = cn_msg_rc(resp);
    if (rc == 0) {
        body = cn_msg_body(resp);
        rc = stor_xdc_links_load(l->s, body.ptr ? body.ptr : "", body.len);
    }
    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "manager=%s rc=%s: get_links failed, retrying on the next "
               "heartbeat", mgr(l), cn_strerror(rc));
out:
    cn_msg_free(resp);
    unref(l);
}

static void on_heartbeat(int status, cn_msg_t *resp, void *arg)
{
    struct stor_mgr_link *l = arg;
    uint64_t cur = 0, prev = 0, bver = 0, lsum = 0;
    int rc = status;

    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    l->busy = 0;
    if (l->stopping)
        goto out;
    if (rc == 0)
        rc = cn_msg_rc(resp);
    if (rc == CN_ENOENT) {
        CN_LOG(CN_LOG_WARN, "manager=%s: does not know this node, registering again", mgr(l));
        l->state = LINK_REGISTERING;
        l->mgr_state[0] = '\0';
        set_period(l, 0);
        goto out;
    }
    if (rc != 0) {
        call_failed(l, CN_OP_HEARTBEAT, rc);
        goto out;
    }
    call_ok(l);
    note_state(l, resp);
    note_levels(l, resp);
    note_down(l, resp);
    if (cn_msg_get_u64(resp, "ring_cur", &cur) != 0)
        cur = 0;
    if (cn_msg_get_u64(resp, "ring_prev", &prev) != 0)
        prev = 0;
    if (cn_msg_get_u64(resp, "links_sum", &lsum) == 0)
        stor_xdc_links_seen(l->s, lsum); /* the links held are the manager's */
    if (cur != l->cur_sum || prev != l->prev_sum)
        fetch(l, CN_OP_GET_RING, on_get_ring);
    else if (cn_msg_get_u64(resp, "buckets_ver", &bver) == 0 && bver != l->buckets_ver)
        /* the buckets' versioning, lock and lifecycle settings (buckets.h), the table the
         * gateways read; one call at a time: the ring first, the buckets next beat */
        fetch(l, CN_OP_GET_BUCKETS, on_get_buckets);
    else if (cn_msg_get_u64(resp, "links_sum", &lsum) == 0 &&
             lsum != stor_xdc_links_sum(l->s))
        /* the links to other clusters (storage/xdc/xdc.h): ids, managers, secrets */
        fetch(l, CN_OP_GET_LINKS, on_get_links);
out:
    cn_msg_free(resp);
    unref(l);
}

static void on_register(int status, cn_msg_t *resp, void *arg)
{
    struct stor_mgr_link *l = arg;
    int rc = status;

    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    l->busy = 0;
    if (l->stopping)
        goto out;
    if (rc == 0)
        rc = cn_msg_rc(resp);
    if (rc != 0) {
        call_failed(l, CN_OP_REGISTER, rc);
        goto out;
    }
    call_ok(l);
    CN_LOG(CN_LOG_INFO, "manager=%s: registered as %s (%s:%d, vnodes=%" PRIu64 ")", mgr(l),
           l->s->conf->name, l->s->rpc_host, l->s->rpc_port, l->s->conf->vnodes);
    note_state(l, resp);
    note_levels(l, resp);
    l->state = LINK_REGISTERED;
    set_period(l, 0); /* first heartbeat now: it brings the ring checksums */
out:
    cn_msg_free(resp);
    unref(l);
}

static void tick(uv_timer_t *t)
{
    struct stor_mgr_link *l = t->data;
    const struct stor_conf *c = l->s->conf;
    cn_msg_t *m;

    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    if (l->busy || l->stopping)
        return;
    if (l->state == LINK_REGISTERING) {
        m = cn_msg_new(CN_OP_REGISTER);
        cn_msg_set_str(m, "type", CN_NODE_STORAGE);
        cn_msg_set_str(m, "name", c->name);
        cn_msg_set_str(m, "host", l->s->rpc_host);
        cn_msg_set_u64(m, "port", (uint64_t)l->s->rpc_port);
        cn_msg_set_u64(m, "vnodes", c->vnodes);
        l->busy = 1;
        l->refs++;
        cn_mgr_client_call(l->mc, m, MGR_CALL_TIMEOUT_MS, on_register, l);
        return;
    }
    m = cn_msg_new(CN_OP_HEARTBEAT);
    cn_msg_set_str(m, "name", c->name);
    cn_msg_set_u64(m, "ring_cur", l->cur_sum);
    cn_msg_set_u64(m, "ring_prev", l->prev_sum);
    stor_xdc_heartbeat_fields(l->s, m);
    l->busy = 1;
    l->refs++;
    cn_mgr_client_call(l->mc, m, MGR_CALL_TIMEOUT_MS, on_heartbeat, l);
}

int stor_mgr_start(struct stor_server *s)
{
    struct stor_mgr_link *l;
    cn_mgr_addrs_t addrs;
    char why[CN_MGR_ADDR_MAX + 64];
    int rc;

    CN_CHECK_OBJ(s, STOR_SERVER_MAGIC);
    if (cn_mgr_addrs_parse(&addrs, s->conf->manager_addresses, why, sizeof(why)) != 0)
        return CN_EINVAL; /* checked with the config: cannot happen */
    l = cn_calloc(1, sizeof(*l));
    l->magic = STOR_MGR_MAGIC;
    l->s = s;
    if ((rc = cn_mgr_client_create(s->loop, &addrs, s->conf->secret, s->conf->name, &l->mc)) !=
        0) {
        l->magic = 0;
        cn_free(l);
        return rc;
    }
    uv_timer_init(s->loop, &l->timer);
    l->timer.data = l;
    l->refs = 1;
    l->state = LINK_REGISTERING;
    set_period(l, 0);
    s->mgr = l;
    return 0;
}

void stor_mgr_stop(struct stor_server *s)
{
    struct stor_mgr_link *l = s->mgr;

    if (l == NULL)
        return;
    CN_CHECK_OBJ(l, STOR_MGR_MAGIC);
    l->stopping = 1;
    cn_mgr_client_destroy(l->mc);
    l->mc = NULL;
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, on_timer_close);
    s->mgr = NULL;
}
