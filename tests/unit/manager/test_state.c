/* tests/unit/manager/test_state.c: tests manager/state.c, users.c, buckets.c, members.c and
 * ring_sync.c on a real RocksDB in a temp dir, across close and reopen. Every change goes
 * through the fsm (manager/fsm.h), as in the manager; the members table and rings are its
 * views. */
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
#include "manager/cmd.h"
#include "manager/fsm.h"
#include "manager/members.h"
#include "manager/migrate.h"
#include "manager/ring_sync.h"
#include "manager/state.h"
#include "manager/users.h"
#include "tests/harness/tmpdir.h"
#define MGR_STATE_WRITER 1 /* write_format1 lays out an old state as it lies on disk */
#include "manager/state_int.h"

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

/* The fsm and its views, as the manager's main.c makes them. */
static mgr_fsm_t *f;
static mgr_members_t ms;
static cn_ring_t *vcur, *vprev;
static mgr_levels_t vlv;

static mgr_state_t *open_fsm(void)
{
    struct mgr_fsm_views v = {&ms, &vcur, &vprev, &vlv};
    mgr_state_t *st = open_state();

    cr_assert_eq(mgr_fsm_create(st, NULL, &v, &f), 0);
    cr_assert_eq(mgr_members_load(&ms, st, cn_mono_ms()), 0);
    cr_assert_eq(mgr_rings_load(st, &vcur, &vprev), 0);
    return st;
}

static void close_fsm(mgr_state_t *st)
{
    mgr_fsm_destroy(f);
    mgr_members_dispose(&ms);
    cn_ring_destroy(vcur);
    cn_ring_destroy(vprev);
    vcur = vprev = NULL;
    mgr_state_close(st);
}

/* register and heartbeat as rpc_srv.c does them: decide, propose, note the contact. */
static int reg(const cn_ring_t *cur, const char *type, const char *name, int port,
               uint32_t vnodes, uint64_t now, mgr_member_t **m)
{
    mgr_cmd_t c;
    int rc = mgr_members_register_cmd(&ms, cur, type, name, "127.0.0.1", port, vnodes, &c);

    if (rc != 0)
        return rc;
    rc = mgr_fsm_propose_wait(f, &c, NULL);
    mgr_cmd_dispose(&c);
    mgr_members_touch(&ms, name, now);
    *m = mgr_members_find(&ms, name);
    return rc;
}

static int beat(const cn_ring_t *cur, const char *name, uint64_t sum, uint64_t now,
                mgr_member_t **m)
{
    mgr_cmd_t c;
    int changed = 0, rc = mgr_members_heartbeat_cmd(&ms, cur, name, sum, 0, now, &c, &changed);

    if (rc == 0 && changed) {
        rc = mgr_fsm_propose_wait(f, &c, NULL);
        mgr_cmd_dispose(&c);
    }
    *m = mgr_members_find(&ms, name);
    return rc;
}

Test(mgr_state, users_survive_reopen_and_duplicates_are_refused, .timeout = 20)
{
    mgr_state_t *st = open_fsm();
    mgr_user_t alice, bob, got;

    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 0);
    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &alice), 0);
    cr_assert_eq(mgr_users_create(f, "bob", "admin", NULL, &bob), 0);
    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &got), CN_EEXIST);
    cr_assert_eq(mgr_users_create(f, "bad/name", NULL, NULL, &got), CN_EINVAL);
    cr_assert_eq(mgr_users_create(f, "", NULL, NULL, &got), CN_EINVAL);
    cr_assert_eq(mgr_users_create(f, "carol", "root", NULL, &got), CN_EINVAL);
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
    close_fsm(st);

    st = open_fsm();
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
    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &got), CN_EEXIST);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 2);

    json_t *all = mgr_users_json(st, 1);
    cr_assert_eq(json_array_size(all), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(all, 0), "secret")),
                     alice.secret);
    json_decref(all);
    all = mgr_users_json(st, 0);
    cr_assert_null(json_object_get(json_array_get(all, 0), "secret"));
    json_decref(all);

    cr_assert_eq(mgr_users_delete(f, "bob"), 0);
    cr_assert_eq(mgr_users_delete(f, "bob"), CN_ENOENT);
    cr_assert_eq(mgr_users_by_key(st, bob.access_key, &got), CN_ENOENT);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), 3);
    close_fsm(st);
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
    mgr_state_t *st = open_fsm();
    mgr_user_t alice, bob;
    mgr_bucket_t b;

    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &alice), 0);
    cr_assert_eq(mgr_users_create(f, "bob", NULL, NULL, &bob), 0);
    cr_assert_eq(mgr_buckets_create(f, "photos", alice.access_key, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_create(f, "logs", bob.access_key, "public-read", NULL), 0);
    cr_assert_eq(mgr_buckets_create(f, "photos", bob.access_key, NULL, &b), CN_EEXIST);
    cr_assert_str_eq(b.owner, alice.id); /* created by access key, stored by canonical id */
    cr_assert_eq(mgr_buckets_create(f, "Bad_Name", alice.access_key, NULL, NULL), CN_EINVAL);
    cr_assert_eq(mgr_buckets_create(f, "other", "NOSUCHKEY00000000000", NULL, NULL),
                 CN_ENOENT);
    cr_assert_eq(mgr_buckets_create(f, "other", alice.access_key, "nope", NULL), CN_EINVAL);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), 2);
    close_fsm(st);

    st = open_fsm();
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
    cr_assert_eq(mgr_buckets_create(f, "byid", bob.id, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_get(st, "byid", &b), 0);
    cr_assert_str_eq(b.owner, bob.id);
    cr_assert_eq(mgr_buckets_delete(f, "byid"), 0);
    cr_assert_eq(mgr_buckets_count_owned(st, alice.id), 1);
    cr_assert_eq(mgr_buckets_count_owned(st, alice.access_key), 0);
    /* a user who owns a bucket cannot be deleted */
    cr_assert_eq(mgr_users_delete(f, "alice"), CN_EBUSY);
    cr_assert_eq(mgr_buckets_delete(f, "photos"), 0);
    cr_assert_eq(mgr_buckets_delete(f, "photos"), CN_ENOENT);
    cr_assert_eq(mgr_users_delete(f, "alice"), 0);
    cr_assert_eq(mgr_users_by_id(st, alice.id, &bob), CN_ENOENT);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), 5);
    close_fsm(st);
}

Test(mgr_state, members_rings_and_levels_survive_reopen, .timeout = 30)
{
    mgr_state_t *st = open_fsm();
    mgr_member_t *m;
    mgr_levels_t lv = {3, 2, 1, 2}, lv2;
    cn_ring_t *cur2 = NULL, *prev2 = NULL;
    size_t started = 0;
    uint64_t now = cn_mono_ms(), sum;

    cr_assert_eq(ms.n, 0);
    cr_assert_eq(mgr_ring_start(f, &ms, NULL, &lv, &started), CN_ENOENT);
    cr_assert_eq(reg(NULL, CN_NODE_STORAGE, "s0", 10100, 0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    cr_assert_eq(m->vnodes, CN_RING_DEFAULT_VNODES);
    cr_assert_eq(reg(NULL, CN_NODE_STORAGE, "s1", 10101, 256, now, &m), 0);
    cr_assert_eq(reg(NULL, CN_NODE_GATEWAY, "g0", 8080, 0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RUNNING);
    cr_assert_eq(reg(NULL, CN_NODE_GATEWAY, "s0", 8080, 0, now, &m), CN_EEXIST);
    cr_assert_eq(reg(NULL, "fridge", "f0", 1, 0, now, &m), CN_EINVAL);
    cr_assert_eq(reg(NULL, CN_NODE_STORAGE, "s2", 0, 0, now, &m), CN_EINVAL);
    cr_assert_eq(beat(NULL, "nobody", 0, now, &m), CN_ENOENT);

    cr_assert_eq(mgr_ring_start(f, &ms, NULL, &lv, &started), 0);
    cr_assert_eq(started, 2);
    cr_assert_not_null(vcur); /* the applied ring is the fsm's view */
    cr_assert_eq(cn_ring_node_count(vcur), 2);
    cr_assert_eq(mgr_ring_start(f, &ms, vcur, &lv, &started), CN_EEXIST);
    sum = cn_ring_checksum(vcur);
    cr_assert_neq(sum, 0);
    cr_assert_eq(vlv.w, 2);
    cr_assert_str_eq(mgr_members_find(&ms, "s0")->state, MGR_STATE_RUNNING);
    cr_assert_str_eq(mgr_members_find(&ms, "s1")->state, MGR_STATE_RUNNING);
    cr_assert_eq(cn_ring_find(vcur, "s1")->vnodes, 256);

    /* a heartbeat records the checksums the node holds */
    cr_assert_eq(beat(vcur, "s0", sum, now, &m), 0);
    cr_assert_eq(m->ring_cur, sum);
    /* silence past the timeout stops a node; a heartbeat brings it back */
    cr_assert_eq(mgr_members_monitor(f, &ms, 5000, now + 1000), 0);
    cr_assert_eq(mgr_members_monitor(f, &ms, 5000, now + 6000), 3);
    cr_assert_str_eq(mgr_members_find(&ms, "s1")->state, MGR_STATE_STOP);
    /* back from stop it is "restarted": not a coordinator until the queues drained */
    cr_assert_eq(beat(vcur, "s1", sum, now + 6001, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RESTARTED);
    cr_assert_eq(mgr_members_set_state(f, &ms, "s1", MGR_STATE_RUNNING), 0);
    cr_assert_eq(beat(vcur, "s1", sum, now + 6002, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RUNNING);
    close_fsm(st);

    st = open_fsm();
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
    cr_assert_eq(reg(vcur, CN_NODE_STORAGE, "s0", 10100, 0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_RESTARTED);
    /* a new storage node after start stays attached (join is a later step) */
    cr_assert_eq(reg(vcur, CN_NODE_STORAGE, "s9", 10109, 0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    cn_ring_destroy(cur2);
    close_fsm(st);
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
    mgr_state_t *st = open_fsm();
    mgr_member_t *m;
    mgr_levels_t lv = {3, 2, 1, 2};
    cn_ring_t *cur = NULL, *next = NULL, *lc = NULL, *lp = NULL;
    size_t started = 0;
    uint64_t now = cn_mono_ms();
    char why[512], down[256];
    const char *names[] = {"s0", "s1", "s2", "s3"};

    cr_assert_eq(mgr_ring_rebalance(f, &ms, NULL, NULL, why, sizeof(why)), CN_ENOENT);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(reg(NULL, CN_NODE_STORAGE, names[i], 10100 + i, 0, now, &m), 0);
    cr_assert_eq(mgr_ring_start(f, &ms, NULL, &lv, &started), 0);
    cur = cn_ring_clone(vcur);
    /* nothing attached or detached: nothing to do */
    cr_assert_eq(mgr_ring_rebalance(f, &ms, vcur, NULL, why, sizeof(why)), CN_EEXIST);
    cr_assert(strstr(why, "nothing to rebalance") != NULL);
    /* a fourth node attaches; the rebalance puts it in cur and keeps the old ring as prev */
    cr_assert_eq(reg(vcur, CN_NODE_STORAGE, "s3", 10103, 0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    cr_assert_eq(mgr_ring_rebalance(f, &ms, vcur, NULL, why, sizeof(why)), 0, "%s", why);
    next = cn_ring_clone(vcur);
    cr_assert_eq(cn_ring_node_count(next), 4);
    cr_assert_eq(cn_ring_checksum(vprev), cn_ring_checksum(cur));
    cr_assert_str_eq(mgr_members_find(&ms, "s3")->state, MGR_STATE_RUNNING);
    cr_assert_eq(mgr_rings_load(st, &lc, &lp), 0);
    cr_assert_eq(cn_ring_checksum(lc), cn_ring_checksum(next));
    cr_assert_eq(cn_ring_checksum(lp), cn_ring_checksum(cur));
    cn_ring_destroy(lc);
    cn_ring_destroy(lp);
    /* while prev is set a second rebalance is refused */
    cr_assert_eq(mgr_ring_rebalance(f, &ms, vcur, vprev, why, sizeof(why)), CN_EBUSY);
    /* rollback swaps them: the old ring is cur again, the abandoned one prev */
    cr_assert_eq(mgr_ring_rollback(f, vcur, vprev), 0);
    cr_assert_eq(mgr_rings_load(st, &lc, &lp), 0);
    cr_assert_eq(cn_ring_checksum(lc), cn_ring_checksum(cur));
    cr_assert_eq(cn_ring_checksum(lp), cn_ring_checksum(next));
    cr_assert_eq(cn_ring_checksum(vcur), cn_ring_checksum(cur));
    cn_ring_destroy(lc);
    cn_ring_destroy(lp);
    cr_assert_eq(mgr_ring_rollback(f, vcur, NULL), CN_ENOENT);
    /* the watcher drops prev once the data moved; the rings it saw must still be the state's */
    cr_assert_eq(mgr_ring_drop_prev(f, next, cur), CN_ESTALE);
    cr_assert_eq(mgr_ring_drop_prev(f, vcur, vprev), 0);
    cr_assert_null(vprev);
    /* s3, out of cur again, is attached from its next heartbeat on */
    cr_assert_eq(beat(vcur, "s3", 0, now, &m), 0);
    cr_assert_str_eq(m->state, MGR_STATE_ATTACHED);
    /* a stopped ring member blocks a rebalance; the down list names stop/suspend/restarted */
    cr_assert_eq(mgr_members_set_state(f, &ms, "s1", MGR_STATE_STOP), 0);
    cr_assert_eq(mgr_members_set_state(f, &ms, "s2", MGR_STATE_SUSPEND), 0);
    mgr_members_down_csv(&ms, vcur, down, sizeof(down));
    cr_assert_str_eq(down, "s1,s2");
    mgr_members_down_csv(&ms, NULL, down, sizeof(down));
    cr_assert_str_eq(down, "");
    cr_assert_eq(mgr_ring_rebalance(f, &ms, vcur, NULL, why, sizeof(why)), CN_EBUSY);
    cr_assert(strstr(why, "s1 is stop") != NULL, "%s", why);
    /* detaching the stopped node makes the next ring without it */
    cr_assert_eq(mgr_members_set_state(f, &ms, "s1", MGR_STATE_DETACHED), 0);
    cr_assert_eq(mgr_ring_rebalance(f, &ms, vcur, NULL, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(cn_ring_node_count(vcur), 3);
    cr_assert_null(cn_ring_find(vcur, "s1"));
    cn_ring_destroy(next);
    cn_ring_destroy(cur);
    close_fsm(st);
}

/* Sets the redundancy policy text of bucket photos; its code, with the reason in why. */
static int set_redund(const char *text, char *why, size_t whylen)
{
    cn_redund_t r;

    cr_assert_eq(cn_redund_parse(text, &r, why, whylen), 0, "%s: %s", text, why);
    why[0] = '\0';
    return mgr_buckets_set_redundancy(f, "photos", &r, why, whylen);
}

/* Proposes a bucket_set_config of photos' configuration name = value, bypassing the
 * proposer's checks (as an entry from another release or a peer might): the apply's own
 * checks. */
static int raw_config(const char *name, const char *value, const char *if_owner)
{
    mgr_cmd_t c;
    int rc;

    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_CONFIG);
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    snprintf(c.config, sizeof(c.config), "%s", name);
    snprintf(c.if_owner, sizeof(c.if_owner), "%s", if_owner ? if_owner : "");
    mgr_cmd_set_text(&c, value, value ? strlen(value) : 0);
    rc = mgr_fsm_propose_wait(f, &c, NULL);
    mgr_cmd_dispose(&c);
    return rc;
}

static int raw_redund(const char *value, const char *if_owner)
{
    return raw_config("redundancy", value, if_owner);
}

static const char *admin_redund(mgr_state_t *st, char *out, size_t outlen)
{
    mgr_bucket_t b;
    json_t *j;

    cr_assert_eq(mgr_buckets_get(st, "photos", &b), 0);
    j = mgr_bucket_json(st, &b, 1);
    snprintf(out, outlen, "%s", json_string_value(json_object_get(j, "redundancy")));
    json_decref(j);
    return out;
}

Test(mgr_state, redundancy_policy_is_checked_stored_and_survives_reopen, .timeout = 30)
{
    mgr_state_t *st = open_fsm();
    mgr_levels_t lv = {3, 2, 1, 2};
    uint64_t now = cn_mono_ms(), ver;
    cn_redund_t r = {CN_REDUND_EC, 9, 9};
    char why[256], text[64], *v = NULL;
    mgr_member_t *m;
    mgr_user_t alice;
    mgr_cmd_t c;
    json_t *arr, *conf;
    size_t started, len;

    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &alice), 0);
    cr_assert_eq(mgr_buckets_create(f, "photos", alice.access_key, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert_eq(r.kind, CN_REDUND_REPLICATE, "a new bucket replicates");
    cr_assert_eq(mgr_buckets_redundancy(st, "nope", &r), CN_ENOENT);
    cr_assert_str_eq(admin_redund(st, text, sizeof(text)), "replicate");

    /* ec needs a ring of K+M storage nodes */
    cr_assert_eq(set_redund("ec:2+1", why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "no ring yet") != NULL, "%s", why);
    cr_assert_eq(set_redund("replicate", why, sizeof(why)), 0, "%s", why); /* always fits */
    for (int i = 0; i < 3; i++) {
        char name[8];

        snprintf(name, sizeof(name), "s%d", i);
        cr_assert_eq(reg(NULL, CN_NODE_STORAGE, name, 10100 + i, 0, now, &m), 0);
    }
    cr_assert_eq(mgr_ring_start(f, &ms, NULL, &lv, &started), 0);
    cr_assert_eq(started, 3);
    ver = mgr_state_get_u64(st, MGR_VER_BUCKETS);
    cr_assert_eq(set_redund("ec:4+2", why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "ec:4+2 needs 6 storage nodes") != NULL, "%s", why);
    cr_assert(strstr(why, "the current ring has 3") != NULL, "%s", why);
    cr_assert_eq(set_redund("ec:3+1", why, sizeof(why)), CN_EINVAL, "4 > 3 nodes");
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), ver, "a refusal changes nothing");
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert_eq(r.kind, CN_REDUND_REPLICATE);

    cr_assert_eq(set_redund("ec:2+1", why, sizeof(why)), 0, "%s", why);
    cr_assert_gt(mgr_state_get_u64(st, MGR_VER_BUCKETS), ver, "gateways refetch");
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert(r.kind == CN_REDUND_EC && r.k == 2 && r.m == 1);
    cr_assert_str_eq(admin_redund(st, text, sizeof(text)), "ec:2+1");
    /* the gateways' table carries it as the configuration */
    arr = mgr_buckets_json(st, 0);
    mgr_buckets_add_policies(st, arr);
    conf = json_object_get(json_object_get(json_array_get(arr, 0), "config"), "redundancy");
    cr_assert_str_eq(json_string_value(json_object_get(conf, "policy")), "ec:2+1");
    cr_assert_null(json_object_get(json_array_get(arr, 0), "redundancy"),
                   "not in the b/ record");
    json_decref(arr);

    /* only an operator sets it: a gateway's RPC (an owner's request) is refused */
    {
        static const char doc[] = "{\"policy\":\"ec:1+1\"}";

        cr_assert_eq(mgr_buckets_set_config_cmd(st, "photos", "redundancy", doc, strlen(doc),
                                                alice.id, &c), CN_EPERM);
    }
    /* the apply checks again: an owner's entry, shapes and the ring */
    ver = mgr_state_get_u64(st, MGR_VER_BUCKETS);
    cr_assert_eq(raw_redund("{\"policy\":\"ec:1+1\"}", alice.id), CN_EPERM);
    cr_assert_eq(raw_redund("{\"policy\":\"ec:4+2\"}", NULL), CN_EINVAL);
    cr_assert_eq(raw_redund("{\"policy\":\"replicate\"}", NULL), CN_EINVAL,
                 "replicate has one form: no configuration");
    cr_assert_eq(raw_redund("{\"policy\":\"EC:1+1\"}", NULL), CN_EINVAL);
    cr_assert_eq(raw_redund("{\"policy\":\"ec:1+1\",\"x\":1}", NULL), CN_EINVAL);
    cr_assert_eq(raw_redund("{\"policy\":3}", NULL), CN_EINVAL);
    cr_assert_eq(raw_redund("[]", NULL), CN_EINVAL);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), ver);
    cr_assert_eq(raw_redund("{\"policy\":\"ec:1+1\"}", NULL), 0);
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert(r.kind == CN_REDUND_EC && r.k == 1 && r.m == 1);
    cr_assert_eq(set_redund("ec:2+1", why, sizeof(why)), 0, "%s", why);
    close_fsm(st);

    st = open_fsm(); /* it is state: it survives a restart */
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert(r.kind == CN_REDUND_EC && r.k == 2 && r.m == 1);
    /* back to replicate: the configuration is gone */
    cr_assert_eq(set_redund("replicate", why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(mgr_state_get(st, "x/photos/redundancy", &v, &len), CN_ENOENT);
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert_eq(r.kind, CN_REDUND_REPLICATE);
    cr_assert_str_eq(admin_redund(st, text, sizeof(text)), "replicate");
    /* a deleted bucket's policy goes with it */
    cr_assert_eq(set_redund("ec:2+1", why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(mgr_buckets_delete(f, "photos"), 0);
    cr_assert_eq(mgr_buckets_create(f, "photos", alice.access_key, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
    cr_assert_eq(r.kind, CN_REDUND_REPLICATE);
    /* a stored form that does not read is shown so, not as replicate */
    {
        static const char bad[] = "{\"policy\":\"ec:99+1\"}";
        mgr_batch_t *b = mgr_batch_new();

        mgr_batch_put(b, "x/photos/redundancy", bad, strlen(bad));
        cr_assert_eq(mgr_batch_commit(st, b), 0);
    }
    cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), CN_ECORRUPT);
    cr_assert_str_eq(admin_redund(st, text, sizeof(text)), "unreadable");
    close_fsm(st);
}

static int raw_repl(const char *value, const char *if_owner)
{
    return raw_config("replication", value, if_owner);
}

/* photos' "replication" as get-bucket shows it, and as get-buckets does. */
static void admin_repl(mgr_state_t *st, char *out, size_t outlen)
{
    json_t *arr = mgr_buckets_json(st, 1);
    mgr_bucket_t b;
    json_t *j;

    cr_assert_eq(mgr_buckets_get(st, "photos", &b), 0);
    j = mgr_bucket_json(st, &b, 1);
    snprintf(out, outlen, "%s", json_string_value(json_object_get(j, "replication")));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "replication")),
                     out);
    json_decref(j);
    json_decref(arr);
}

Test(mgr_state, replication_switch_defaults_on_is_stored_and_survives_reopen, .timeout = 30)
{
    mgr_state_t *st = open_fsm();
    char text[32], *v = NULL;
    mgr_user_t alice;
    uint64_t ver;
    json_t *arr, *conf;
    mgr_cmd_t c;
    size_t len;
    int on = -1;

    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &alice), 0);
    cr_assert_eq(mgr_buckets_create(f, "photos", alice.access_key, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), 0);
    cr_assert_eq(on, 1, "a new bucket replicates to linked clusters");
    cr_assert_eq(mgr_buckets_replication(st, "nope", &on), CN_ENOENT);
    cr_assert_eq(mgr_buckets_set_replication(f, "nope", 0), CN_ENOENT);
    admin_repl(st, text, sizeof(text));
    cr_assert_str_eq(text, "on");
    /* on is no configuration: the default has one form */
    cr_assert_eq(mgr_buckets_set_replication(f, "photos", 1), 0);
    cr_assert_eq(mgr_state_get(st, "x/photos/replication", &v, &len), CN_ENOENT);

    ver = mgr_state_get_u64(st, MGR_VER_BUCKETS);
    cr_assert_eq(mgr_buckets_set_replication(f, "photos", 0), 0);
    cr_assert_gt(mgr_state_get_u64(st, MGR_VER_BUCKETS), ver, "gateways and nodes refetch");
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), 0);
    cr_assert_eq(on, 0);
    admin_repl(st, text, sizeof(text));
    cr_assert_str_eq(text, "off");
    /* the gateways' and storage nodes' table carries it as the configuration */
    arr = mgr_buckets_json(st, 0);
    mgr_buckets_add_policies(st, arr);
    conf = json_object_get(json_object_get(json_array_get(arr, 0), "config"), "replication");
    cr_assert_str_eq(json_string_value(json_object_get(conf, "replication")), "off");
    cr_assert_null(json_object_get(json_array_get(arr, 0), "replication"),
                   "not in the b/ record");
    json_decref(arr);

    /* only an operator sets it: a gateway's RPC (an owner's request) is refused */
    {
        static const char doc[] = "{\"replication\":\"on\"}";

        cr_assert_eq(mgr_buckets_set_config_cmd(st, "photos", "replication", NULL, 0, alice.id,
                                                &c), CN_EPERM);
        cr_assert_eq(mgr_buckets_set_config_cmd(st, "photos", "replication", doc, strlen(doc),
                                                alice.id, &c), CN_EPERM);
    }
    /* the apply checks again: an owner's entry and the shape */
    ver = mgr_state_get_u64(st, MGR_VER_BUCKETS);
    cr_assert_eq(raw_repl(NULL, alice.id), CN_EPERM);
    cr_assert_eq(raw_repl("{\"replication\":\"on\"}", NULL), CN_EINVAL,
                 "on has one form: no configuration");
    cr_assert_eq(raw_repl("{\"replication\":\"OFF\"}", NULL), CN_EINVAL);
    cr_assert_eq(raw_repl("{\"replication\":false}", NULL), CN_EINVAL);
    cr_assert_eq(raw_repl("{\"replication\":\"off\",\"x\":1}", NULL), CN_EINVAL);
    cr_assert_eq(raw_repl("[]", NULL), CN_EINVAL);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), ver, "a refusal changes nothing");
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), 0);
    cr_assert_eq(on, 0);
    close_fsm(st);

    st = open_fsm(); /* it is state: it survives a restart */
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), 0);
    cr_assert_eq(on, 0);
    cr_assert_eq(mgr_buckets_set_replication(f, "photos", 1), 0);
    cr_assert_eq(mgr_state_get(st, "x/photos/replication", &v, &len), CN_ENOENT);
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), 0);
    cr_assert_eq(on, 1);
    /* a deleted bucket's switch goes with it */
    cr_assert_eq(mgr_buckets_set_replication(f, "photos", 0), 0);
    cr_assert_eq(mgr_buckets_delete(f, "photos"), 0);
    cr_assert_eq(mgr_buckets_create(f, "photos", alice.access_key, NULL, NULL), 0);
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), 0);
    cr_assert_eq(on, 1);
    /* a stored form that does not read is shown so, not as on */
    {
        static const char bad[] = "{\"replication\":\"sometimes\"}";
        mgr_batch_t *b = mgr_batch_new();

        mgr_batch_put(b, "x/photos/replication", bad, strlen(bad));
        cr_assert_eq(mgr_batch_commit(st, b), 0);
    }
    cr_assert_eq(mgr_buckets_replication(st, "photos", &on), CN_ECORRUPT);
    admin_repl(st, text, sizeof(text));
    cr_assert_str_eq(text, "unreadable");
    close_fsm(st);
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
    mgr_batch_t *b = mgr_batch_new();

    mgr_batch_put(b, "u/alice", alice, strlen(alice));
    mgr_batch_put(b, "k/AKALICE0000000000001", "alice", 5);
    mgr_batch_put(b, "u/bob", bob, strlen(bob));
    mgr_batch_put(b, "k/AKBOB000000000000001", "bob", 3);
    mgr_batch_put(b, "b/photos", photos, strlen(photos));
    mgr_batch_put(b, "b/logs", logs, strlen(logs));
    cr_assert_eq(mgr_batch_commit(st, b), 0);
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
    mgr_state_close(st);
    st = open_fsm(); /* opening migrates */
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_FORMAT), MGR_STATE_FORMAT);
    cr_assert_eq(mgr_fsm_applied(f), 0); /* a local step: no entry was applied */
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
    {   /* a state from before redundancy policies (issue 21): every bucket replicates */
        cn_redund_t r = {CN_REDUND_EC, 9, 9};

        cr_assert_eq(mgr_buckets_redundancy(st, "photos", &r), 0);
        cr_assert_eq(r.kind, CN_REDUND_REPLICATE);
    }
    {   /* ... and every bucket's replication to linked clusters is on (issue 22) */
        int on = 0;

        cr_assert_eq(mgr_buckets_replication(st, "logs", &on), 0);
        cr_assert_eq(on, 1);
    }
    /* gateways refetch both tables */
    users_ver = mgr_state_get_u64(st, MGR_VER_USERS);
    buckets_ver = mgr_state_get_u64(st, MGR_VER_BUCKETS);
    cr_assert_gt(users_ver, 0);
    cr_assert_gt(buckets_ver, 0);
    close_fsm(st);

    /* idempotent: a second start changes nothing */
    st = open_fsm();
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), users_ver);
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_BUCKETS), buckets_ver);
    cr_assert_eq(mgr_users_get(st, "alice", &u), 0);
    cr_assert_str_eq(u.id, want_alice);
    close_fsm(st);
}

Test(mgr_state, a_newer_format_is_refused, .timeout = 20)
{
    mgr_state_t *st = open_fsm(); /* an empty state becomes the current format */
    mgr_batch_t *b = mgr_batch_new();

    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_FORMAT), MGR_STATE_FORMAT);
    mgr_batch_put_u64(b, MGR_VER_FORMAT, MGR_STATE_FORMAT + 1);
    cr_assert_eq(mgr_batch_commit(st, b), 0);
    close_fsm(st);
    st = open_state();
    cr_assert_eq(mgr_fsm_create(st, NULL, NULL, &f), CN_EPROTO);
    mgr_state_close(st);
}
