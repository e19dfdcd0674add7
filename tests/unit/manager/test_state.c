/* tests/unit/manager/test_state.c: tests manager/state.c, users.c, buckets.c, members.c and
 * ring_sync.c on a real RocksDB in a temp dir, across close and reopen. */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/ring.h"
#include "manager/buckets.h"
#include "manager/members.h"
#include "manager/migrate.h"
#include "manager/ring_sync.h"
#include "manager/state.h"
#include "manager/users.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX];
static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
}
static void teardown(void)
{
    t_tmpdir_remove(dir);
}
TestSuite(mgr_state, .init = setup, .fini = teardown);

static mgr_state_t *open_state(void)
{
    mgr_state_t *st = NULL;

    cr_assert_eq(mgr_state_open(dir, &st), 0);
    return st;
}

Test(mgr_state, users_survive_reopen_and_duplicates_are_refused, .timeout = 20)
{
    mgr_state_t *st = open_state();
    mgr_user_t alice, bob, got;

    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 0);
    cr_assert_eq(mgr_users_create(st, "alice", NULL, &alice), 0);
    cr_assert_eq(mgr_users_create(st, "bob", "admin", &bob), 0);
    cr_assert_eq(mgr_users_create(st, "alice", NULL, &got), CN_EEXIST);
    cr_assert_eq(mgr_users_create(st, "bad/name", NULL, &got), CN_EINVAL);
    cr_assert_eq(mgr_users_create(st, "", NULL, &got), CN_EINVAL);
    cr_assert_eq(mgr_users_create(st, "carol", "root", &got), CN_EINVAL);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 2);
    cr_assert_eq(strlen(alice.access_key), 20);
    cr_assert_eq(strlen(alice.secret), 40);
    cr_assert_eq(strspn(alice.access_key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 20);
    cr_assert_eq(strspn(alice.secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789/+"), 40);
    cr_assert_str_neq(alice.access_key, bob.access_key);
    cr_assert(mgr_user_id_valid(alice.id), "a canonical id: 64 hex, got %s", alice.id);
    cr_assert(mgr_user_id_valid(bob.id));
    cr_assert_str_neq(alice.id, bob.id);
    mgr_state_close(st);

    st = open_state();
    cr_assert_eq(mgr_users_get(st, "alice", &got), 0);
    cr_assert_str_eq(got.access_key, alice.access_key);
    cr_assert_str_eq(got.secret, alice.secret);
    cr_assert_str_eq(got.role, "user");
    cr_assert_eq(mgr_users_by_key(st, bob.access_key, &got), 0);
    cr_assert_str_eq(got.name, "bob");
    cr_assert_str_eq(got.role, "admin");
    cr_assert_str_eq(got.id, bob.id);
    cr_assert_eq(mgr_users_by_id(st, alice.id, &got), 0);
    cr_assert_str_eq(got.name, "alice");
    cr_assert_eq(mgr_users_by_id_or_key(st, alice.access_key, &got), 0);
    cr_assert_str_eq(got.name, "alice");
    cr_assert_eq(mgr_users_create(st, "alice", NULL, &got), CN_EEXIST);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 2);

    json_t *all = mgr_users_json(st, 1);
    cr_assert_eq(json_array_size(all), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "secret")),
                     alice.secret);
    json_decref(all);
    all = mgr_users_json(st, 0);
    cr_assert_null(json_object_get(json_array_get(all, 0), "secret"));
    json_decref(all);

    cr_assert_eq(mgr_users_delete(st, "bob"), 0);
    cr_assert_eq(mgr_users_delete(st, "bob"), CN_ENOENT);
    cr_assert_eq(mgr_users_by_key(st, bob.access_key, &got), CN_ENOENT);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 3);
    mgr_state_close(st);
}

Test(mgr_state, bucket_name_rules, .timeout = 5)
{
    static const char *const good[] = {"abc", "my-bucket", "my.bucket.01", "0bucket9",
                                       "a23456789012345678901234567890123456789012345678901234567890123"};
    static const char *const bad[] = {"ab", "", "My-Bucket", "-abc", "abc-", ".abc", "abc.",
                                      "a..b", "a_b", "a/b", "192.168.1.1", "a b",
                                      "a234567890123456789012345678901234567890123456789012345678901234"};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        cr_expect(mgr_bucket_name_valid(good[i]), "should be valid: %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect(!mgr_bucket_name_valid(bad[i]), "should be invalid: %s", bad[i]);
    cr_expect(mgr_bucket_acl_valid("public-read"));
    cr_expect(!mgr_bucket_acl_valid("everyone"));
}

Test(mgr_state, buckets_survive_reopen_and_duplicates_are_refused, .timeout = 20)
{
    mgr_state_t *st = open_state();
    mgr_user_t alice, bob;
    mgr_bucket_t b;

    cr_assert_eq(mgr_users_create(st, "alice", NULL, &alice), 0);
    cr_assert_eq(mgr_users_create(st, "bob", NULL, &bob), 0);
    cr_assert_eq(mgr_buckets_create(st, "photos", alice.access_key, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_create(st, "logs", bob.access_key, "public-read", NULL), 0);
    cr_assert_eq(mgr_buckets_create(st, "photos", bob.access_key, NULL, &b), CN_EEXIST);
    cr_assert_str_eq(b.owner, alice.id); /* created by access key, stored by canonical id */
    cr_assert_eq(mgr_buckets_create(st, "Bad_Name", alice.access_key, NULL, NULL), CN_EINVAL);
    cr_assert_eq(mgr_buckets_create(st, "other", "NOSUCHKEY00000000000", NULL, NULL),
                 CN_ENOENT);
    cr_assert_eq(mgr_buckets_create(st, "other", alice.access_key, "nope", NULL), CN_EINVAL);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), 2);
    mgr_state_close(st);

    st = open_state();
    cr_assert_eq(mgr_buckets_get(st, "photos", &b), 0);
    cr_assert_str_eq(b.owner, alice.id);
    cr_assert_str_eq(b.acl, "private");
    cr_assert_gt(b.created_ms, 0);
    cr_assert_eq(mgr_buckets_get(st, "logs", &b), 0);
    cr_assert_str_eq(b.acl, "public-read");
    json_t *all = mgr_buckets_json(st, 0);
    cr_assert_eq(json_array_size(all), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "name")), "logs");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "owner")),
                     bob.id);
    json_decref(all);
    /* the admin view names the owner by access key (leofs-adm), with its id and name */
    all = mgr_buckets_json(st, 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "owner")),
                     bob.access_key);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "owner_id")),
                     bob.id);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "owner_user")),
                     "bob");
    json_decref(all);
    /* a bucket may also be created by the owner's id (the gateway's RPC) */
    cr_assert_eq(mgr_buckets_create(st, "byid", bob.id, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_get(st, "byid", &b), 0);
    cr_assert_str_eq(b.owner, bob.id);
    cr_assert_eq(mgr_buckets_delete(st, "byid"), 0);
    cr_assert_eq(mgr_buckets_count_owned(st, alice.id), 1);
    cr_assert_eq(mgr_buckets_count_owned(st, alice.access_key), 0);
    /* a user who owns a bucket cannot be deleted */
    cr_assert_eq(mgr_users_delete(st, "alice"), CN_EBUSY);
    cr_assert_eq(mgr_buckets_delete(st, "photos"), 0);
    cr_assert_eq(mgr_buckets_delete(st, "photos"), CN_ENOENT);
    cr_assert_eq(mgr_users_delete(st, "alice"), 0);
    cr_assert_eq(mgr_users_by_id(st, alice.id, &bob), CN_ENOENT);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), 5);
    mgr_state_close(st);
}

Test(mgr_state, members_rings_and_levels_survive_reopen, .timeout = 30)
{
    mgr_state_t *st = open_state();
    mgr_members_t ms;
    mgr_member_t *m;
    mgr_levels_t lv = {3, 2, 1, 2}, lv2;
    cn_ring_t *cur = NULL, *cur2 = NULL, *prev2 = NULL;
    size_t started = 0;
    uint64_t now = cn_mono_ms(), sum;

    cr_assert_eq(mgr_members_load(&ms, st, now), 0);
    cr_assert_eq(ms.n, 0);
    cr_assert_eq(mgr_ring_start(&ms, st, NULL, &lv, &cur, &started), CN_ENOENT);
    cr_assert_eq(mgr_members_register(&ms, st, NULL, CN_NODE_STORAGE, "s0", "127.0.0.1", 10100,
                                      0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    cr_assert_eq(m->vnodes, CN_RING_DEFAULT_VNODES);
    cr_assert_eq(mgr_members_register(&ms, st, NULL, CN_NODE_STORAGE, "s1", "127.0.0.1", 10101,
                                      256, now, &m), 0);
    cr_assert_eq(mgr_members_register(&ms, st, NULL, CN_NODE_GATEWAY, "g0", "127.0.0.1", 8080,
                                      0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RUNNING);
    cr_assert_eq(mgr_members_register(&ms, st, NULL, CN_NODE_GATEWAY, "s0", "127.0.0.1", 8080,
                                      0, now, &m), CN_EEXIST);
    cr_assert_eq(mgr_members_register(&ms, st, NULL, "fridge", "f0", "127.0.0.1", 1, 0, now,
                                      &m), CN_EINVAL);
    cr_assert_eq(mgr_members_register(&ms, st, NULL, CN_NODE_STORAGE, "s2", "127.0.0.1", 0, 0,
                                      now, &m), CN_EINVAL);
    cr_assert_eq(mgr_members_heartbeat(&ms, st, NULL, "nobody", 0, 0, now, &m), CN_ENOENT);

    cr_assert_eq(mgr_ring_start(&ms, st, NULL, &lv, &cur, &started), 0);
    cr_assert_eq(started, 2);
    cr_assert_eq(cn_ring_node_count(cur), 2);
    cr_assert_eq(mgr_ring_start(&ms, st, cur, &lv, &cur2, &started), CN_EEXIST);
    sum = cn_ring_checksum(cur);
    cr_assert_neq(sum, 0);
    cr_assert_str_eq(mgr_members_find(&ms, "s0")->state, MGR_STATE_RUNNING);
    cr_assert_str_eq(mgr_members_find(&ms, "s1")->state, MGR_STATE_RUNNING);
    cr_assert_eq(cn_ring_find(cur, "s1")->vnodes, 256);

    /* a heartbeat records the checksums the node holds */
    cr_assert_eq(mgr_members_heartbeat(&ms, st, cur, "s0", sum, 0, now, &m), 0);
    cr_assert_eq(m->ring_cur, sum);
    /* silence past the timeout stops a node; a heartbeat brings it back */
    cr_assert_eq(mgr_members_monitor(&ms, st, 5000, now + 1000), 0);
    cr_assert_eq(mgr_members_monitor(&ms, st, 5000, now + 6000), 3);
    cr_assert_str_eq(mgr_members_find(&ms, "s1")->state, MGR_STATE_STOP);
    /* back from stop it is "restarted": not a coordinator until the queues drained */
    cr_assert_eq(mgr_members_heartbeat(&ms, st, cur, "s1", sum, 0, now + 6001, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RESTARTED);
    cr_assert_eq(mgr_members_set_state(&ms, st, "s1", MGR_STATE_RUNNING), 0);
    cr_assert_eq(mgr_members_heartbeat(&ms, st, cur, "s1", sum, 0, now + 6002, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RUNNING);
    mgr_members_dispose(&ms);
    mgr_state_close(st);

    st = open_state();
    cr_assert_eq(mgr_members_load(&ms, st, now), 0);
    cr_assert_eq(ms.n, 3);
    m = mgr_members_find(&ms, "s0");
    cr_assert_not_null(m);
    cr_assert_eq(m->port, 10100);
    cr_assert_eq(m->ring_cur, sum);
    cr_assert_str_eq(m->state, MGR_STATE_STOP);
    cr_assert_str_eq(mgr_members_find(&ms, "s1")->state, MGR_STATE_RUNNING);
    cr_assert_str_eq(mgr_members_find(&ms, "g0")->type, CN_NODE_GATEWAY);
    cr_assert_eq(mgr_rings_load(st, &cur2, &prev2), 0);
    cr_assert_not_null(cur2);
    cr_assert_null(prev2);
    cr_assert_eq(cn_ring_checksum(cur2), sum);
    cr_assert_eq(mgr_levels_load(st, &lv2), 0);
    cr_assert_eq(lv2.n, 3);
    cr_assert_eq(lv2.w, 2);
    cr_assert_eq(lv2.r, 1);
    cr_assert_eq(lv2.d, 2);
    /* a storage node in the ring that registers again (it restarted) is "restarted" */
    cr_assert_eq(mgr_members_register(&ms, st, cur2, CN_NODE_STORAGE, "s0", "127.0.0.1", 10100,
                                      0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RESTARTED);
    /* a new storage node after start stays attached (join is a later step) */
    cr_assert_eq(mgr_members_register(&ms, st, cur2, CN_NODE_STORAGE, "s9", "127.0.0.1", 10109,
                                      0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    cn_ring_destroy(cur);
    cn_ring_destroy(cur2);
    mgr_members_dispose(&ms);
    mgr_state_close(st);
}

Test(mgr_state, second_open_of_a_held_database_fails_cleanly, .timeout = 10)
{
    mgr_state_t *st = open_state(), *st2 = NULL;

    cr_assert_neq(mgr_state_open(dir, &st2), 0);
    cr_assert_null(st2);
    mgr_state_close(st);
}

Test(mgr_state, rebalance_rollback_and_down_list, .timeout = 30)
{
    mgr_state_t *st = open_state();
    mgr_members_t ms;
    mgr_member_t *m;
    mgr_levels_t lv = {3, 2, 1, 2};
    cn_ring_t *cur = NULL, *next = NULL, *lc = NULL, *lp = NULL;
    size_t started = 0;
    uint64_t now = cn_mono_ms();
    char why[512], down[256];
    const char *names[] = {"s0", "s1", "s2", "s3"};

    cr_assert_eq(mgr_members_load(&ms, st, now), 0);
    cr_assert_eq(mgr_ring_rebalance(&ms, st, NULL, NULL, &next, why, sizeof(why)), CN_ENOENT);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(mgr_members_register(&ms, st, NULL, CN_NODE_STORAGE, names[i], "127.0.0.1",
                                          10100 + i, 0, now, &m), 0);
    cr_assert_eq(mgr_ring_start(&ms, st, NULL, &lv, &cur, &started), 0);
    /* nothing attached or detached: nothing to do */
    cr_assert_eq(mgr_ring_rebalance(&ms, st, cur, NULL, &next, why, sizeof(why)), CN_EEXIST);
    cr_assert(strstr(why, "nothing to rebalance") != NULL);
    /* a fourth node attaches; the rebalance puts it in cur and keeps the old ring as prev */
    cr_assert_eq(mgr_members_register(&ms, st, cur, CN_NODE_STORAGE, "s3", "127.0.0.1", 10103, 0,
                                      now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    cr_assert_eq(mgr_ring_rebalance(&ms, st, cur, NULL, &next, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(cn_ring_node_count(next), 4);
    cr_assert_str_eq(mgr_members_find(&ms, "s3")->state, MGR_STATE_RUNNING);
    cr_assert_eq(mgr_rings_load(st, &lc, &lp), 0);
    cr_assert_eq(cn_ring_checksum(lc), cn_ring_checksum(next));
    cr_assert_eq(cn_ring_checksum(lp), cn_ring_checksum(cur));
    cn_ring_destroy(lc);
    cn_ring_destroy(lp);
    /* while prev is set a second rebalance is refused */
    cr_assert_eq(mgr_ring_rebalance(&ms, st, next, cur, &lc, why, sizeof(why)), CN_EBUSY);
    /* rollback swaps them: the old ring is cur again, the abandoned one prev */
    cr_assert_eq(mgr_ring_rollback(st, next, cur), 0);
    cr_assert_eq(mgr_rings_load(st, &lc, &lp), 0);
    cr_assert_eq(cn_ring_checksum(lc), cn_ring_checksum(cur));
    cr_assert_eq(cn_ring_checksum(lp), cn_ring_checksum(next));
    cn_ring_destroy(lc);
    cn_ring_destroy(lp);
    cr_assert_eq(mgr_ring_rollback(st, cur, NULL), CN_ENOENT);
    /* a stopped ring member blocks a rebalance; the down list names stop/suspend/restarted */
    cr_assert_eq(mgr_members_set_state(&ms, st, "s1", MGR_STATE_STOP), 0);
    cr_assert_eq(mgr_members_set_state(&ms, st, "s2", MGR_STATE_SUSPEND), 0);
    mgr_members_down_csv(&ms, next, down, sizeof(down));
    cr_assert_str_eq(down, "s1,s2");
    mgr_members_down_csv(&ms, NULL, down, sizeof(down));
    cr_assert_str_eq(down, "");
    cr_assert_eq(mgr_ring_rebalance(&ms, st, next, NULL, &lc, why, sizeof(why)), CN_EBUSY);
    cr_assert(strstr(why, "s1 is stop") != NULL, "%s", why);
    /* detaching the stopped node makes the next ring without it */
    cr_assert_eq(mgr_members_set_state(&ms, st, "s1", MGR_STATE_DETACHED), 0);
    cr_assert_eq(mgr_ring_rebalance(&ms, st, next, NULL, &lc, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(cn_ring_node_count(lc), 3);
    cr_assert_null(cn_ring_find(lc, "s1"));
    cn_ring_destroy(lc);
    cn_ring_destroy(next);
    cn_ring_destroy(cur);
    mgr_members_dispose(&ms);
    mgr_state_close(st);
}

/* A format-1 state (every release before canonical ids) as it lies on disk: users without
 * ids, buckets owned by access keys, no v/format. */
static void write_format1(mgr_state_t *st)
{
    static const char alice[] = "{\"user\":\"alice\",\"access_key\":\"AKALICE0000000000001\","
                                "\"secret\":\"s\",\"role\":\"user\",\"created_ms\":1}";
    static const char bob[] = "{\"user\":\"bob\",\"access_key\":\"AKBOB000000000000001\","
                              "\"secret\":\"s\",\"role\":\"user\",\"created_ms\":1}";
    static const char photos[] = "{\"name\":\"photos\",\"owner\":\"AKALICE0000000000001\","
                                 "\"acl\":\"public-read\",\"created_ms\":1}";
    static const char logs[] = "{\"name\":\"logs\",\"owner\":\"AKBOB000000000000001\","
                               "\"acl\":\"private\",\"created_ms\":1}";

    cr_assert_eq(mgr_state_put(st, "u/alice", alice, strlen(alice)), 0);
    cr_assert_eq(mgr_state_put(st, "k/AKALICE0000000000001", "alice", 5), 0);
    cr_assert_eq(mgr_state_put(st, "u/bob", bob, strlen(bob)), 0);
    cr_assert_eq(mgr_state_put(st, "k/AKBOB000000000000001", "bob", 3), 0);
    cr_assert_eq(mgr_state_put(st, "b/photos", photos, strlen(photos)), 0);
    cr_assert_eq(mgr_state_put(st, "b/logs", logs, strlen(logs)), 0);
}

Test(mgr_state, format1_state_is_migrated_once, .timeout = 20)
{
    mgr_state_t *st = open_state();
    char want_alice[MGR_USER_ID_LEN + 1], want_bob[MGR_USER_ID_LEN + 1];
    uint64_t users_ver, buckets_ver;
    mgr_user_t u;
    mgr_bucket_t b;

    write_format1(st);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_FORMAT), 0);
    cr_assert_eq(mgr_state_migrate(st), 0);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_FORMAT), MGR_STATE_FORMAT);
    mgr_user_legacy_id("alice", want_alice);
    mgr_user_legacy_id("bob", want_bob);
    cr_assert(mgr_user_id_valid(want_alice));
    cr_assert_eq(mgr_users_get(st, "alice", &u), 0);
    cr_assert_str_eq(u.id, want_alice);
    cr_assert_eq(mgr_users_by_id(st, want_bob, &u), 0);
    cr_assert_str_eq(u.name, "bob");
    cr_assert_str_eq(u.access_key, "AKBOB000000000000001"); /* keys and secrets untouched */
    cr_assert_eq(mgr_buckets_get(st, "photos", &b), 0);
    cr_assert_str_eq(b.owner, want_alice);
    cr_assert_str_eq(b.acl, "public-read");
    cr_assert_eq(mgr_buckets_get(st, "logs", &b), 0);
    cr_assert_str_eq(b.owner, want_bob);
    cr_assert_eq(mgr_buckets_count_owned(st, want_alice), 1);
    /* gateways refetch both tables */
    users_ver = mgr_state_get_u64(st, MGR_VER_USERS);
    buckets_ver = mgr_state_get_u64(st, MGR_VER_BUCKETS);
    cr_assert_gt(users_ver, 0);
    cr_assert_gt(buckets_ver, 0);
    mgr_state_close(st);

    /* idempotent: a second start changes nothing */
    st = open_state();
    cr_assert_eq(mgr_state_migrate(st), 0);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), users_ver);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), buckets_ver);
    cr_assert_eq(mgr_users_get(st, "alice", &u), 0);
    cr_assert_str_eq(u.id, want_alice);
    mgr_state_close(st);
}

Test(mgr_state, a_newer_format_is_refused, .timeout = 20)
{
    mgr_state_t *st = open_state();
    char v[8];

    cr_assert_eq(mgr_state_migrate(st), 0); /* an empty state becomes the current format */
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_FORMAT), MGR_STATE_FORMAT);
    cn_put_u64be(v, MGR_STATE_FORMAT + 1);
    cr_assert_eq(mgr_state_put(st, MGR_VER_FORMAT, v, sizeof(v)), 0);
    cr_assert_eq(mgr_state_migrate(st), CN_EPROTO);
    mgr_state_close(st);
}
