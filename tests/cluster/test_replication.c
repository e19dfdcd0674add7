/*
 * tests/cluster/test_replication.c: replication, hinted handoff, read repair, recovery and
 * scrub repair across real processes: a real cairn-manager and three cairn-storage nodes on
 * loopback (tests/cluster/harness.h), driven over storage RPC the way the gateway does (the
 * first owner of a key's redundancy set coordinates). The rebalance test is in
 * test_rebalance.c (it plays the manager to push a new ring).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/proto.h"
#include "tests/cluster/harness.h"

static tc_cluster_t cl;

static void teardown(void)
{
    tc_finish(&cl);
}

TestSuite(replication, .fini = teardown);

static void start3(int read_q)
{
    tc_init(&cl, read_q, 0);
    for (int i = 0; i < 3; i++)
        tc_node_start(&cl, i);
    tc_start_ring(&cl);
}

/* The coordinator of key: its first owner. */
static int coord(const char *key)
{
    int o[3];

    cr_assert_eq(tc_owners(&cl, key, 3, o), 3);
    return o[0];
}

Test(replication, put_with_w2_reaches_three_replicas, .timeout = 60)
{
    uint64_t clock = 0, c2 = 0, flags;
    char key[64], got[64];

    start3(1);
    for (int k = 0; k < 10; k++) {
        snprintf(key, sizeof(key), "b/key-%d", k);
        cr_assert_eq(tc_put(&cl, coord(key), key, key, 0, 0, &clock), 0);
        for (int i = 0; i < 3; i++)
            TC_WAIT(tc_whereis(&cl, i, key, &c2, &flags, NULL) == 0 && c2 == clock, 5000,
                    "a replica is missing or has another clock");
        /* any node answers a get, owner or not */
        cr_assert_eq(tc_get(&cl, (coord(key) + 1) % 3, key, got, sizeof(got), NULL), 0);
        cr_assert_str_eq(got, key);
    }
    /* a delete replicates as a tombstone with one clock */
    cr_assert_eq(tc_delete(&cl, coord("b/key-0"), "b/key-0", &clock), 0);
    for (int i = 0; i < 3; i++)
        TC_WAIT(tc_whereis(&cl, i, "b/key-0", &c2, &flags, NULL) == 0 && c2 == clock &&
                    (flags & CN_OBJ_TOMBSTONE),
                5000, "a replica has no tombstone");
    cr_assert_eq(tc_get(&cl, 1, "b/key-0", NULL, 0, NULL), CN_ENOENT);
    cr_assert_eq(tc_stat(&cl, 0, "mq_stats", "depth"), 0);
    cr_assert_eq(tc_stat(&cl, 0, "mq_stats", "w"), 2);
}

Test(replication, a_node_down_catches_up_puts_and_deletes_by_itself, .timeout = 90)
{
    uint64_t clock, c2, flags, depth = 0;
    char key[64];
    int down = 2;

    start3(1);
    /* k0..k9 exist everywhere before the node goes down */
    for (int k = 0; k < 10; k++) {
        snprintf(key, sizeof(key), "b/k%d", k);
        cr_assert_eq(tc_put(&cl, coord(key), key, "old", 0, 0, NULL), 0);
    }
    tc_wait_drained(&cl, 5000);
    tc_node_stop(&cl, down, SIGKILL);
    /* W=2 and D=2 still hold with one node down: writes succeed, replicas are queued */
    for (int k = 0; k < 30; k++) {
        int co;

        snprintf(key, sizeof(key), "b/k%d", k);
        co = coord(key) == down ? (coord(key) + 1) % 3 : coord(key); /* the gateway's next */
        if (k < 5)
            cr_assert_eq(tc_delete(&cl, co, key, NULL), 0, "delete %s", key);
        else
            cr_assert_eq(tc_put(&cl, co, key, "new", 0, 0, NULL), 0, "put %s", key);
    }
    for (int i = 0; i < 3; i++)
        if (i != down)
            depth += tc_stat(&cl, i, "mq_stats", "depth");
    cr_assert_geq(depth, 30, "the missed replica writes are queued (depth %lu)",
                  (unsigned long)depth);
    tc_node_start(&cl, down); /* same port, same data */
    tc_wait_drained(&cl, 30000);
    for (int k = 0; k < 30; k++) {
        snprintf(key, sizeof(key), "b/k%d", k);
        cr_assert_eq(tc_whereis(&cl, 0, key, &clock, NULL, NULL), 0);
        cr_assert_eq(tc_whereis(&cl, down, key, &c2, &flags, NULL), 0, "%s missing", key);
        cr_assert_eq(c2, clock, "%s: the restarted node has another clock", key);
        cr_assert_eq((flags & CN_OBJ_TOMBSTONE) != 0, k < 5, "%s: tombstone flag", key);
        if (k < 5) /* no deleted object comes back, through any coordinator */
            cr_assert_eq(tc_get(&cl, down, key, NULL, 0, NULL), CN_ENOENT);
    }
}

Test(replication, r2_returns_the_newest_and_read_repair_fixes_the_stale_replica,
     .timeout = 60)
{
    uint64_t c1, c2, got_clock, cs;
    char got[64];
    int o[3];

    start3(2);
    tc_owners(&cl, "b/rr", 3, o);
    cr_assert_eq(tc_put(&cl, o[0], "b/rr", "v1", 0, 0, &c1), 0);
    tc_wait_drained(&cl, 5000);
    /* v2 lands on two owners only, as if the third had missed it */
    c2 = c1 + 1000;
    cr_assert_eq(tc_put(&cl, o[0], "b/rr", "v2", 1, c2, NULL), 0);
    cr_assert_eq(tc_put(&cl, o[1], "b/rr", "v2", 1, c2, NULL), 0);
    cr_assert_eq(tc_whereis(&cl, o[2], "b/rr", &cs, NULL, NULL), 0);
    cr_assert_eq(cs, c1);
    /* the stale node coordinates the read: R=2 asks one more owner and returns the newest */
    cr_assert_eq(tc_get(&cl, o[2], "b/rr", got, sizeof(got), &got_clock), 0);
    cr_assert_str_eq(got, "v2");
    cr_assert_eq(got_clock, c2);
    TC_WAIT(tc_whereis(&cl, o[2], "b/rr", &cs, NULL, NULL) == 0 && cs == c2, 10000,
            "read repair did not fix the stale replica");
    /* a key missing on the coordinator is read from the others and repaired too */
    cr_assert_eq(tc_put(&cl, o[0], "b/miss", "m", 1, c2, NULL), 0);
    cr_assert_eq(tc_whereis(&cl, o[2], "b/miss", NULL, NULL, NULL), CN_ENOENT);
    cr_assert_eq(tc_get(&cl, o[2], "b/miss", got, sizeof(got), NULL), 0);
    cr_assert_str_eq(got, "m");
    TC_WAIT(tc_whereis(&cl, o[2], "b/miss", &cs, NULL, NULL) == 0 && cs == c2, 10000,
            "the missing copy was not repaired");
}

/* recover_file answers once its queue entries are persistent: a SIGKILL right after the
 * answer loses none of the queued pushes (the queue is suspended, so only the restarted
 * node's RocksDB can have them). */
Test(replication, recover_file_queues_persistent_pushes_to_stale_owners, .timeout = 60)
{
    uint64_t c1, cs, v;
    char newest[16];
    cn_msg_t *req, *resp;
    int o[3];

    start3(1);
    tc_owners(&cl, "b/rf", 3, o);
    c1 = 123456789;
    cr_assert_eq(tc_put(&cl, o[0], "b/rf", "only-here", 1, c1, NULL), 0);
    cr_assert_eq(tc_whereis(&cl, o[1], "b/rf", NULL, NULL, NULL), CN_ENOENT);
    cr_assert_not_null(resp = tc_call(&cl, o[0], cn_msg_new("mq_suspend")));
    cr_assert_eq(cn_msg_rc(resp), 0);
    cn_msg_free(resp);
    req = cn_msg_new("recover_file");
    cn_msg_set_bytes(req, "key", "b/rf", 4);
    cr_assert_not_null(resp = tc_call(&cl, o[0], req));
    tc_node_stop(&cl, o[0], SIGKILL);
    cr_assert_eq(cn_msg_rc(resp), 0);
    cr_assert_eq(cn_msg_get_str(resp, "newest", newest, sizeof(newest)), 0);
    cr_assert_str_eq(newest, cl.name[o[0]]);
    cr_assert_eq(cn_msg_get_u64(resp, "queued", &v), 0);
    cr_assert_eq(v, 2, "queued %llu, want the two stale owners", (unsigned long long)v);
    cn_msg_free(resp);
    /* restarted, the queue loads both entries (not suspended any more) and pushes them */
    tc_node_start(&cl, o[0]);
    for (int k = 1; k < 3; k++)
        TC_WAIT(tc_whereis(&cl, o[k], "b/rf", &cs, NULL, NULL) == 0 && cs == c1, 10000,
                "a stale owner did not get the pushed copy");
}

Test(replication, recover_node_restores_a_wiped_node, .timeout = 90)
{
    char key[64], cmd[4096];
    uint64_t clock, c2;
    int wiped = 1;
    cn_msg_t *m, *resp;

    start3(1);
    for (int k = 0; k < 40; k++) {
        snprintf(key, sizeof(key), "b/r%d", k);
        cr_assert_eq(tc_put(&cl, coord(key), key, key, 0, 0, NULL), 0);
    }
    tc_wait_drained(&cl, 5000);
    tc_node_stop(&cl, wiped, SIGTERM);
    snprintf(cmd, sizeof(cmd), "rm -rf %s/%s", cl.dir, cl.name[wiped]);
    cr_assert_eq(system(cmd), 0);
    tc_node_start(&cl, wiped);
    tc_wait_ring(&cl, wiped, cn_ring_checksum(cl.ring));
    cr_assert_eq(tc_whereis(&cl, wiped, "b/r0", NULL, NULL, NULL), CN_ENOENT);
    for (int i = 0; i < 3; i++) {
        if (i == wiped)
            continue;
        m = cn_msg_new("recover_node");
        cn_msg_set_str(m, "target", cl.name[wiped]);
        resp = tc_call(&cl, i, m);
        cr_assert_not_null(resp);
        cr_assert_eq(cn_msg_rc(resp), 0);
        cn_msg_free(resp);
    }
    for (int i = 0; i < 3; i++)
        if (i != wiped)
            TC_WAIT(tc_stat(&cl, i, "recover_status", "node_running") == 0, 10000,
                    "recover_node never finished its scan");
    cr_assert_geq(tc_stat(&cl, (wiped + 1) % 3, "recover_status", "node_scanned"), 40);
    tc_wait_drained(&cl, 30000);
    for (int k = 0; k < 40; k++) {
        snprintf(key, sizeof(key), "b/r%d", k);
        cr_assert_eq(tc_whereis(&cl, 0, key, &clock, NULL, NULL), 0);
        cr_assert_eq(tc_whereis(&cl, wiped, key, &c2, NULL, NULL), 0, "%s not recovered", key);
        cr_assert_eq(c2, clock);
    }
}

/* Flips one byte of the first occurrence of needle in path. */
static void corrupt_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r+b");
    static char buf[1 << 20];
    size_t n;
    char *p;

    cr_assert_not_null(f, "%s", path);
    n = fread(buf, 1, sizeof(buf), f);
    p = memmem(buf, n, needle, strlen(needle));
    cr_assert_not_null(p, "the body is not in %s", path);
    fseek(f, (long)(p - buf), SEEK_SET);
    fputc(p[0] ^ 0x20, f);
    fclose(f);
}

Test(replication, a_corrupted_replica_is_repaired_through_the_scrub_hook, .timeout = 60)
{
    const char *body = "precious-bytes-0123456789";
    char path[4096], got[64];
    uint64_t clock, c2, corrupt;
    int bad = 2;

    tc_init(&cl, 1, 0);
    cl.containers = 1;
    for (int i = 0; i < 3; i++)
        tc_node_start(&cl, i);
    tc_start_ring(&cl);
    cr_assert_eq(tc_put(&cl, coord("b/c"), "b/c", body, 0, 0, &clock), 0);
    tc_wait_drained(&cl, 5000);
    TC_WAIT(tc_whereis(&cl, bad, "b/c", &c2, NULL, NULL) == 0 && c2 == clock, 5000, "no copy");
    snprintf(path, sizeof(path), "%s/%s/containers/c0000.dat", cl.dir, cl.name[bad]);
    corrupt_file(path, body);
    cr_assert_eq(tc_stat(&cl, bad, "scrub_start", "rc"), 0);
    TC_WAIT(tc_stat(&cl, bad, "scrub_status", "bad") >= 1, 10000, "scrub found nothing");
    /* the hook queued a repair from the replicas: same clock, good bytes */
    TC_WAIT(tc_whereis(&cl, bad, "b/c", &c2, NULL, &corrupt) == 0 && corrupt == 0 &&
                c2 == clock,
            10000, "the corrupt replica was not repaired");
    cr_assert_eq(tc_get(&cl, bad, "b/c", got, sizeof(got), NULL), 0);
    cr_assert_str_eq(got, body);
}
