/*
 * tests/cluster/test_rebalance.c: the storage side of a rebalance. The manager has no
 * rebalance command yet, so this test plays the manager (register, heartbeat, get_ring on
 * the real RPC server, in a thread) and pushes the new ring as the manager will: cur = the
 * ring with a 4th node, prev = the old one. Every node walks its index, pushes each key to
 * its new owners, and drops the copies it no longer owns once they are acked.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/proto.h"
#include "common/ring.h"
#include "common/rpc.h"
#include "tests/cluster/harness.h"

struct fake_mgr {
    uv_loop_t loop;
    uv_async_t stop;
    cn_rpc_server_t *srv;
    pthread_t th;
    int port;
    pthread_mutex_t lock;
    cn_ring_t *cur, *prev;    /* guarded by lock */
};

static struct fake_mgr fm;
static tc_cluster_t cl;

static void put_ring(cn_msg_t *resp, const char *field, const cn_ring_t *r)
{
    cn_buf_t b;

    cn_buf_init(&b);
    if (r != NULL)
        cn_ring_encode(r, &b);
    cn_msg_set_bytes(resp, field, b.data ? b.data : "", b.len);
    cn_buf_dispose(&b);
}

static void fake_handler(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct fake_mgr *f = udata;
    cn_msg_t *resp = cn_msg_new(cn_msg_op(req));
    const char *op = cn_msg_op(req);

    pthread_mutex_lock(&f->lock);
    if (strcmp(op, CN_OP_REGISTER) == 0 || strcmp(op, CN_OP_HEARTBEAT) == 0) {
        cn_msg_set_str(resp, "state", "running");
        cn_msg_set_u64(resp, "ring_cur", f->cur ? cn_ring_checksum(f->cur) : 0);
        cn_msg_set_u64(resp, "ring_prev", f->prev ? cn_ring_checksum(f->prev) : 0);
        cn_msg_set_u64(resp, "n", 3);
        cn_msg_set_u64(resp, "w", 2);
        cn_msg_set_u64(resp, "r", 1);
        cn_msg_set_u64(resp, "d", 2);
    } else if (strcmp(op, CN_OP_GET_RING) == 0) {
        put_ring(resp, "cur", f->cur);
        put_ring(resp, "prev", f->prev);
    } else {
        cn_msg_set_rc(resp, CN_EINVAL);
    }
    pthread_mutex_unlock(&f->lock);
    cn_rpc_reply(conn, req, resp);
}

static void fake_stop(uv_async_t *a)
{
    struct fake_mgr *f = a->data;

    cn_rpc_server_stop(f->srv);
    uv_close((uv_handle_t *)&f->stop, NULL);
}

static void *fake_run(void *arg)
{
    struct fake_mgr *f = arg;

    uv_run(&f->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void setup(void)
{
    cn_rpc_server_opts_t o = {.host = "127.0.0.1", .secret = TC_SECRET, .handler = fake_handler};

    memset(&fm, 0, sizeof(fm));
    pthread_mutex_init(&fm.lock, NULL);
    uv_loop_init(&fm.loop);
    o.udata = &fm;
    cr_assert_eq(cn_rpc_server_start(&fm.loop, &o, &fm.srv), 0);
    fm.port = cn_rpc_server_port(fm.srv);
    uv_async_init(&fm.loop, &fm.stop, fake_stop);
    fm.stop.data = &fm;
    pthread_create(&fm.th, NULL, fake_run, &fm);
}

static void teardown(void)
{
    tc_finish(&cl);
    uv_async_send(&fm.stop);
    pthread_join(fm.th, NULL);
    uv_loop_close(&fm.loop);
    cn_ring_destroy(fm.cur);
    cn_ring_destroy(fm.prev);
}

TestSuite(rebalance, .init = setup, .fini = teardown);

static cn_ring_t *ring_of(int n)
{
    cn_ring_t *r = cn_ring_create();

    for (int i = 0; i < n; i++)
        cr_assert_eq(cn_ring_add(r, cl.name[i], "127.0.0.1", (uint16_t)cl.port[i], 64), 0);
    cr_assert_eq(cn_ring_build(r), 0);
    return r;
}

/* Pushes (cur, prev) as the manager would and waits until every node holds cur. */
static void push_rings(cn_ring_t *cur, cn_ring_t *prev)
{
    pthread_mutex_lock(&fm.lock);
    cn_ring_destroy(fm.cur);
    cn_ring_destroy(fm.prev);
    fm.cur = cur;
    fm.prev = prev;
    pthread_mutex_unlock(&fm.lock);
    cn_ring_destroy(cl.ring);
    cl.ring = cn_ring_clone(cur);
    for (int i = 0; i < cl.n; i++)
        tc_wait_ring(&cl, i, cn_ring_checksum(cur));
}

static int walks_done(void)
{
    for (int i = 0; i < cl.n; i++)
        if (tc_stat(&cl, i, "rebalance_status", "running") != 0)
            return 0;
    return 1;
}

Test(rebalance, a_new_node_gets_its_keys_and_old_copies_are_dropped_after, .timeout = 90)
{
    enum { KEYS = 80 };
    uint64_t clocks[KEYS], c2, dropped = 0, moved = 0;
    char key[64], got[64];
    int o[3];

    tc_init(&cl, 1, fm.port);
    for (int i = 0; i < 4; i++)
        tc_node_start(&cl, i);
    push_rings(ring_of(3), NULL);
    for (int k = 0; k < KEYS; k++) {
        snprintf(key, sizeof(key), "b/m%d", k);
        tc_owners(&cl, key, 3, o);
        cr_assert_eq(tc_put(&cl, o[0], key, key, 0, 0, &clocks[k]), 0);
    }
    tc_wait_drained(&cl, 5000);
    cr_assert_eq(tc_whereis(&cl, 3, "b/m0", NULL, NULL, NULL), CN_ENOENT);

    /* the 4th node joins: cur = 4 nodes, prev = the 3-node ring */
    push_rings(ring_of(4), ring_of(3));
    TC_WAIT(walks_done(), 20000, "the rebalance walk never finished");
    tc_wait_drained(&cl, 30000);
    for (int k = 0; k < KEYS; k++) {
        snprintf(key, sizeof(key), "b/m%d", k);
        tc_owners(&cl, key, 3, o);
        for (int i = 0; i < 4; i++) {
            int owner = i == o[0] || i == o[1] || i == o[2];
            int rc = tc_whereis(&cl, i, key, &c2, NULL, NULL);

            if (owner) {
                cr_assert_eq(rc, 0, "%s: owner %s has no copy", key, cl.name[i]);
                cr_assert_eq(c2, clocks[k]);
                if (i == 3)
                    moved++;
            } else {
                cr_assert_eq(rc, CN_ENOENT, "%s: %s is no owner but kept its copy", key,
                             cl.name[i]);
            }
        }
        /* readable through any node */
        cr_assert_eq(tc_get(&cl, k % 4, key, got, sizeof(got), NULL), 0);
        cr_assert_str_eq(got, key);
    }
    for (int i = 0; i < 3; i++)
        dropped += tc_stat(&cl, i, "rebalance_status", "dropped");
    cr_assert_gt(moved, KEYS / 2, "the new node holds %lu keys", (unsigned long)moved);
    cr_assert_eq(dropped, moved, "one old copy dropped per key moved (%lu vs %lu)",
                 (unsigned long)dropped, (unsigned long)moved);
}
