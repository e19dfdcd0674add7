/*
 * tests/cluster/test_objlock.c: object lock on the storage side (issue 18;
 * storage/cluster/lock_check.c): the lock pairs of a version's metadata (common/objlock.h)
 * decide, on real processes (a cairn-manager and three cairn-storage nodes on loopback,
 * tests/cluster/harness.h), driven over storage RPC below any gateway: a delete of a locked
 * version is refused by whichever node coordinates it (COMPLIANCE even with the bypass flag,
 * GOVERNANCE but with it, a legal hold always); an expired retention protects nothing; an
 * internal key is never checked; a locked version survives a node's SIGKILL and its catching
 * up, and neither compaction nor the admin API's delete-bucket job removes it.
 */
#include <criterion/criterion.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/objlock.h"
#include "common/proto.h"
#include "tests/cluster/harness.h"

static tc_cluster_t cl;

static void teardown(void)
{
    tc_finish(&cl);
}

TestSuite(objlock, .fini = teardown);

static void start3(void)
{
    tc_init(&cl, 1, 0);
    for (int i = 0; i < 3; i++)
        tc_node_start(&cl, i);
    tc_start_ring(&cl);
}

/* The metadata of a version locked by mode (NULL: no retention) until until_ms, hold "ON"
 * or NULL, as the gateway writes it (a msgpack map of strings). */
static void lock_meta(msgpack_sbuffer *sb, const char *mode, uint64_t until_ms, const char *hold)
{
    msgpack_packer pk;
    char until[24];
    const char *kv[8];
    size_t n = 0;

    kv[n++] = "content-type";
    kv[n++] = "text/plain";
    if (mode != NULL) {
        snprintf(until, sizeof(until), "%llu", (unsigned long long)until_ms);
        kv[n++] = CN_LOCK_META_MODE;
        kv[n++] = mode;
        kv[n++] = CN_LOCK_META_UNTIL;
        kv[n++] = until;
    }
    if (hold != NULL) {
        kv[n++] = CN_LOCK_META_HOLD;
        kv[n++] = hold;
    }
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, n / 2);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_str(&pk, strlen(kv[i]));
        msgpack_pack_str_body(&pk, kv[i], strlen(kv[i]));
    }
}

/* A put of key through node i (its coordinator) with that lock; the put's rc. */
static int put_locked(int i, const char *key, const char *mode, uint64_t until_ms,
                      const char *hold)
{
    msgpack_sbuffer sb;
    cn_msg_t *m = cn_msg_new(CN_OP_PUT), *resp;
    int rc;

    lock_meta(&sb, mode, until_ms, hold);
    cn_msg_set_bytes(m, "key", key, strlen(key));
    cn_msg_set_str(m, "etag", "0123456789abcdef0123456789abcdef");
    cn_msg_set_bytes(m, "meta", sb.data, sb.size);
    cn_msg_set_u64(m, "flags", 0);
    cn_msg_set_body_copy(m, "locked bytes", 12);
    msgpack_sbuffer_destroy(&sb);
    resp = tc_call(&cl, i, m);
    cr_assert_not_null(resp, "put %s: no answer", key);
    rc = cn_msg_rc(resp);
    cn_msg_free(resp);
    return rc;
}

/* A delete of key through node i, with the bypass flag or not; the delete's rc. */
static int delete_as(int i, const char *key, int bypass)
{
    cn_msg_t *m = cn_msg_new(CN_OP_DELETE), *resp;
    int rc;

    cn_msg_set_bytes(m, "key", key, strlen(key));
    if (bypass)
        cn_msg_set_u64(m, "lock_bypass", 1);
    resp = tc_call(&cl, i, m);
    cr_assert_not_null(resp, "delete %s: no answer", key);
    rc = cn_msg_rc(resp);
    cn_msg_free(resp);
    return rc;
}

static void assert_readable(const char *key)
{
    char got[64];

    for (int i = 0; i < 3; i++) {
        cr_assert_eq(tc_get(&cl, i, key, got, sizeof(got), NULL), 0, "%s through node %d", key,
                     i);
        cr_assert_str_eq(got, "locked bytes");
    }
}

Test(objlock, a_locked_version_is_refused_by_every_coordinator, .timeout = 90)
{
    uint64_t later = cn_now_ms() + 3600 * 1000;

    start3();
    cr_assert_eq(put_locked(0, "lk/compliance", "COMPLIANCE", later, NULL), 0);
    cr_assert_eq(put_locked(1, "lk/governance", "GOVERNANCE", later, NULL), 0);
    cr_assert_eq(put_locked(2, "lk/hold", NULL, 0, "ON"), 0);
    cr_assert_eq(put_locked(0, "lk/gov-hold", "GOVERNANCE", later, "ON"), 0);
    cr_assert_eq(put_locked(1, "lk/expired", "COMPLIANCE", cn_now_ms() - 1000, NULL), 0);
    cr_assert_eq(put_locked(2, "lk/hold-off", NULL, 0, "OFF"), 0);
    cr_assert_eq(put_locked(0, "\x01" "c/lk/chunk/000000", "COMPLIANCE", later, "ON"), 0);
    tc_wait_drained(&cl, 10000);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(delete_as(i, "lk/compliance", 0), CN_EPERM, "COMPLIANCE via node %d", i);
        cr_assert_eq(delete_as(i, "lk/compliance", 1), CN_EPERM,
                     "COMPLIANCE with bypass via node %d", i);
        cr_assert_eq(delete_as(i, "lk/governance", 0), CN_EPERM, "GOVERNANCE via node %d", i);
        cr_assert_eq(delete_as(i, "lk/hold", 1), CN_EPERM, "a legal hold via node %d", i);
        cr_assert_eq(delete_as(i, "lk/gov-hold", 1), CN_EPERM,
                     "GOVERNANCE and a hold, bypassed, via node %d", i);
    }
    assert_readable("lk/compliance");
    assert_readable("lk/governance");
    assert_readable("lk/hold");
    cr_assert_eq(delete_as(2, "lk/governance", 1), 0, "GOVERNANCE is bypassed");
    /* D = 2 acked it: the third copy may catch up a moment later */
    TC_WAIT(tc_get(&cl, 0, "lk/governance", NULL, 0, NULL) == CN_ENOENT, 5000,
            "the bypassed delete did not reach every copy");
    cr_assert_eq(delete_as(1, "lk/expired", 0), 0, "an expired retention protects nothing");
    cr_assert_eq(delete_as(0, "lk/hold-off", 0), 0, "a legal hold OFF protects nothing");
    cr_assert_eq(delete_as(0, "\x01" "c/lk/chunk/000000", 0), 0,
                 "an internal key is not checked");
}

Test(objlock, a_locked_version_survives_a_kill_compaction_and_delete_bucket, .timeout = 120)
{
    uint64_t later = cn_now_ms() + 3600 * 1000, clock[3], flags;
    int o[3];

    start3();
    cr_assert_eq(tc_owners(&cl, "lkb/obj", 3, o), 3);
    cr_assert_eq(put_locked(o[0], "lkb/obj", "COMPLIANCE", later, NULL), 0);
    cr_assert_eq(put_locked(o[0], "lkb/plain", NULL, 0, NULL), 0);
    tc_wait_drained(&cl, 10000);
    /* an owner killed: the others still refuse, it comes back with the version */
    tc_node_stop(&cl, o[1], SIGKILL);
    cr_assert_eq(delete_as(o[0], "lkb/obj", 1), CN_EPERM, "refused with an owner down");
    cr_assert_eq(delete_as(o[2], "lkb/obj", 0), CN_EPERM, "refused by another coordinator");
    tc_node_start(&cl, o[1]);
    tc_wait_ring(&cl, o[1], cn_ring_checksum(cl.ring));
    tc_wait_drained(&cl, 20000);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(tc_whereis(&cl, i, "lkb/obj", &clock[i], &flags, NULL), 0, "node %d", i);
        cr_assert(!(flags & CN_OBJ_TOMBSTONE), "node %d holds a tombstone", i);
    }
    cr_assert(clock[0] == clock[1] && clock[1] == clock[2], "the replicas differ");
    /* compaction on every node */
    for (int i = 0; i < 3; i++) {
        cn_msg_t *r = tc_call(&cl, i, cn_msg_new("compact_start"));
        cr_assert_not_null(r);
        cn_msg_free(r);
    }
    for (int i = 0; i < 3; i++)
        TC_WAIT(tc_stat(&cl, i, "compact_status", "pending") == 0 &&
                    tc_stat(&cl, i, "compact_status", "done") ==
                        tc_stat(&cl, i, "compact_status", "total"),
                30000, "compaction did not end");
    assert_readable("lkb/obj");
    /* the admin API's delete-bucket job on every node: the locked version stays */
    for (int i = 0; i < 3; i++) {
        cn_msg_t *m = cn_msg_new("delete_bucket"), *r;
        cn_msg_set_bytes(m, "bucket", "lkb", 3);
        r = tc_call(&cl, i, m);
        cr_assert_not_null(r);
        cr_assert_eq(cn_msg_rc(r), 0);
        cn_msg_free(r);
    }
    for (int i = 0; i < 3; i++) {
        cn_msg_t *m, *r;
        char st[16] = "";
        for (int w = 0; w < 30000 && strcmp(st, "done") != 0; w += 50) {
            m = cn_msg_new("delete_bucket_status");
            cn_msg_set_bytes(m, "bucket", "lkb", 3);
            r = tc_call(&cl, i, m);
            if (r != NULL && cn_msg_get_str(r, "state", st, sizeof(st)) != 0)
                st[0] = '\0';
            if (r != NULL)
                cn_msg_free(r);
            if (strcmp(st, "done") != 0)
                tc_sleep_ms(50);
        }
        cr_assert_str_eq(st, "done", "node %d's delete-bucket job", i);
        m = cn_msg_new("delete_bucket_status");
        cn_msg_set_bytes(m, "bucket", "lkb", 3);
        r = tc_call(&cl, i, m);
        uint64_t locked = 0;
        cn_msg_get_u64(r, "locked", &locked);
        cn_msg_free(r);
        cr_assert_eq(locked, 1, "node %d kept its locked copy and said so", i);
    }
    assert_readable("lkb/obj");
    TC_WAIT(tc_get(&cl, 0, "lkb/plain", NULL, 0, NULL) == CN_ENOENT, 5000,
            "the job deleted what was not locked");
}
