/* tests/unit/manager/test_xdc_sync.c: tests manager/xdc_sync.c (issue 22, step 5): users,
 * keys, buckets and bucket settings between linked clusters, two clusters in one process,
 * each a real RocksDB state in a temp dir with its own cluster id, every change through its
 * fsm (no log: an entry applies when proposed):
 *   - the rule's table;
 *   - a dump of A applied on B gives the same users (the same keys and secrets), buckets,
 *     policies and configurations;
 *   - a deletion on A removes on B and an older dump does not bring it back;
 *   - one user made on both with other secrets converges on one winner, reported;
 *   - a local change newer than the dump stays;
 *   - a wrong link secret and malformed dumps are refused whole, never a crash;
 *   - the key service's KEKs: A's dump applied on B gives B the same KEK bytes under
 *     o/<A>/<name>, wrapped by B's own master, apart from B's own aws/s3; a rotation on A
 *     adds the epoch on B; B's dump sends only B's own keys; a wrong secret keeps none. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/access_keys.h"
#include "manager/buckets.h"
#include "manager/clusters.h"
#include "manager/cmd.h"
#include "manager/fsm.h"
#include "manager/kms.h"
#include "manager/state.h"
#include "manager/users.h"
#include "manager/xdc_sync.h"
#include "tests/harness/tmpdir.h"
#include "tests/unit/manager/kms_samples.h"

struct side {
    char dir[PATH_MAX];
    mgr_state_t *st;
    mgr_fsm_t *f;
    mgr_xdc_sync_t *xs;
    char id[MGR_CLUSTER_ID_LEN + 1];
};

static struct side A, B;
static uint8_t secret[MGR_CLUSTER_SECRET_LEN];

static void side_open(struct side *s)
{
    int busy = 0;

    t_tmpdir_make(s->dir, sizeof(s->dir));
    cr_assert_eq(mgr_state_open(s->dir, &s->st), 0);
    cr_assert_eq(mgr_fsm_create(s->st, NULL, NULL, &s->f), 0);
    mgr_clusters_cron(s->f, &busy, 1700000000000ull);
    cr_assert_eq(mgr_clusters_id(s->st, s->id), 0);
    s->xs = mgr_xdc_sync_create();
}

static void side_close(struct side *s)
{
    mgr_xdc_sync_destroy(s->xs);
    mgr_fsm_destroy(s->f);
    mgr_state_close(s->st);
    t_tmpdir_remove(s->dir);
}

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    for (size_t i = 0; i < sizeof(secret); i++)
        secret[i] = (uint8_t)(7 * i + 1);
    side_open(&A);
    side_open(&B);
}

static void teardown(void)
{
    side_close(&A);
    side_close(&B);
}

TestSuite(xdc_sync, .init = setup, .fini = teardown);

static void dump(struct side *s, uint64_t since, cn_buf_t *out)
{
    cn_buf_init(out);
    cr_assert_eq(mgr_xdc_sync_dump(s->st, NULL, secret, since, 0, out), 0);
}

struct res {
    int called, rc;
};

static void on_done(void *arg, int rc, int why)
{
    struct res *r = arg;

    (void)why;
    r->called++;
    r->rc = rc;
}

/* Applies d on s: the apply's code; the entry's decision must be 0. */
static int apply_on(struct side *s, const cn_buf_t *d, const uint8_t *key)
{
    struct res r = {0, -1};
    int rc = mgr_xdc_sync_apply(s->xs, s->f, NULL, "remote", key, d->data, d->len,
                                1700000001000ull, on_done, &r, NULL, NULL);

    if (rc == 0) {
        cr_assert_eq(r.called, 1);
        cr_assert_eq(r.rc, 0, "entry decided %s", cn_strerror(r.rc));
    } else {
        cr_assert_eq(r.called, 0);
    }
    return rc;
}

/* A full dump of from applied on to. */
static void sync_to(struct side *from, struct side *to)
{
    cn_buf_t d;

    dump(from, 0, &d);
    cr_assert_eq(apply_on(to, &d, secret), 0);
    cn_buf_dispose(&d);
}

static int set_config(struct side *s, const char *bucket, const char *name, const char *val)
{
    mgr_cmd_t c;
    int rc = mgr_buckets_set_config_cmd(s->st, bucket, name, val, val ? strlen(val) : 0, NULL,
                                        &c);

    if (rc == 0) {
        rc = mgr_fsm_propose_wait(s->f, &c, NULL);
        mgr_cmd_dispose(&c);
    }
    return rc;
}

static int set_policy(struct side *s, const char *bucket, const char *doc)
{
    mgr_cmd_t c;
    int rc = mgr_buckets_set_policy_cmd(s->st, bucket, doc, doc ? strlen(doc) : 0, NULL, &c);

    if (rc == 0) {
        rc = mgr_fsm_propose_wait(s->f, &c, NULL);
        mgr_cmd_dispose(&c);
    }
    return rc;
}

/* The stored value of key in s (cn_free), or NULL. */
static char *get(struct side *s, const char *key)
{
    char *v = NULL;
    size_t len;

    return mgr_state_get(s->st, key, &v, &len) == 0 ? v : NULL;
}

static void assert_same(const char *key)
{
    char *a = get(&A, key), *b = get(&B, key);

    cr_assert((a == NULL) == (b == NULL), "%s: %s on A, %s on B", key, a ? a : "none",
              b ? b : "none");
    if (a != NULL)
        cr_assert_str_eq(a, b, "%s", key);
    cn_free(a);
    cn_free(b);
}

Test(xdc_sync, the_rule_table)
{
    static const struct {
        uint64_t rc;
        const char *ro;
        uint64_t lc;
        const char *lo;
        int wins;
    } t[] = {
        {2, "aaaaaaaaaaaaaaaa", 1, "bbbbbbbbbbbbbbbb", 1}, /* a later clock wins */
        {1, "bbbbbbbbbbbbbbbb", 2, "aaaaaaaaaaaaaaaa", 0}, /* whatever the origin */
        {5, "bbbbbbbbbbbbbbbb", 5, "aaaaaaaaaaaaaaaa", 1}, /* a tie: the greater origin */
        {5, "aaaaaaaaaaaaaaaa", 5, "bbbbbbbbbbbbbbbb", 0},
        {5, "aaaaaaaaaaaaaaaa", 5, "aaaaaaaaaaaaaaaa", 0}, /* the same stamp: no change */
        {1, "", 0, "", 1},                                 /* any stamp beats an old record */
        {0, "aaaaaaaaaaaaaaaa", 0, "", 1},
        {0, "", 0, "", 0},                                 /* two unstamped: both stay */
        {0, "0000000000000000", 1, "", 0},
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        mgr_xdc_stamp_t r = {t[i].rc, ""}, l = {t[i].lc, ""};

        snprintf(r.origin, sizeof(r.origin), "%s", t[i].ro);
        snprintf(l.origin, sizeof(l.origin), "%s", t[i].lo);
        cr_assert_eq(mgr_xdc_sync_wins(&r, &l), t[i].wins, "row %zu", i);
        cr_assert_eq(mgr_xdc_sync_cmp(&r, &l), -mgr_xdc_sync_cmp(&l, &r), "row %zu", i);
    }
    {
        mgr_xdc_stamp_t r = {0, ""};

        cr_assert(mgr_xdc_sync_wins(&r, NULL), "no local record: the remote wins");
    }
}

Test(xdc_sync, a_dump_applied_gives_the_same_users_buckets_and_settings)
{
    mgr_user_t u, got;
    mgr_access_key_t k2;
    mgr_xdc_stamp_t s;
    uint64_t uv = mgr_state_get_u64(B.st, MGR_VER_USERS);
    uint64_t bv = mgr_state_get_u64(B.st, MGR_VER_BUCKETS);
    int del;

    cr_assert_eq(mgr_users_create(A.f, "alice", "admin", "correct horse", &u), 0);
    cr_assert_eq(mgr_keys_create(A.f, "alice", &k2), 0);
    cr_assert_eq(mgr_keys_set_status(A.f, k2.id, MGR_KEY_INACTIVE, NULL), 0);
    cr_assert_eq(mgr_users_set_email(A.f, "alice", "alice@example.com"), 0);
    cr_assert_eq(mgr_buckets_create(A.f, "photos", u.id, "public-read", NULL), 0);
    cr_assert_eq(set_config(&A, "photos", "tagging", "{\"TagSet\":[{\"Key\":\"a\"}]}"), 0);
    cr_assert_eq(set_config(&A, "photos", "replication", "{\"replication\":\"off\"}"), 0);
    cr_assert_eq(set_policy(&A, "photos", "{\"Version\":\"2012-10-17\",\"Statement\":[]}"), 0);
    cr_assert_eq(mgr_xdc_sync_stamp_get(A.st, "u/alice", &s, &del), 0);
    cr_assert_str_eq(s.origin, A.id, "a local change is stamped with this cluster's id");
    cr_assert_gt(s.clock, 0);

    sync_to(&A, &B);
    cr_assert_eq(mgr_users_by_key(B.st, u.access_key, &got), 0);
    cr_assert_str_eq(got.name, "alice");
    cr_assert_str_eq(got.id, u.id);
    cr_assert_str_eq(got.keys[0].secret, u.secret, "the same secret signs on B");
    cr_assert_eq(mgr_users_check_password(&got, "correct horse"), 1);
    cr_assert_eq(mgr_users_by_key(B.st, k2.id, &got), 0);
    cr_assert_str_eq(got.keys[1].status, MGR_KEY_INACTIVE);
    cr_assert_eq(mgr_users_by_id(B.st, u.id, &got), 0);
    assert_same("u/alice");
    assert_same("b/photos");
    assert_same("p/photos");
    assert_same("x/photos/tagging");
    assert_same("x/photos/replication");
    assert_same("t/u/alice");
    assert_same("t/x/photos/tagging");
    cr_assert_gt(mgr_state_get_u64(B.st, MGR_VER_USERS), uv, "gateways refetch users");
    cr_assert_gt(mgr_state_get_u64(B.st, MGR_VER_BUCKETS), bv, "and buckets");

    /* a second pull changes nothing: no entry at all */
    {
        uint64_t applied = mgr_fsm_applied(B.f);

        sync_to(&A, &B);
        cr_assert_eq(mgr_fsm_applied(B.f), applied);
    }
    /* and back: B's dump on A changes nothing either */
    {
        uint64_t applied = mgr_fsm_applied(A.f);

        sync_to(&B, &A);
        cr_assert_eq(mgr_fsm_applied(A.f), applied);
    }
}

Test(xdc_sync, a_deletion_replicates_and_an_older_dump_does_not_bring_it_back)
{
    mgr_user_t u, got;
    cn_buf_t old, incr;
    mgr_xdc_stamp_t s, last;
    int del;

    cr_assert_eq(mgr_users_create(A.f, "bob", NULL, NULL, &u), 0);
    cr_assert_eq(mgr_users_create(A.f, "carol", NULL, NULL, &got), 0);
    cr_assert_eq(mgr_buckets_create(A.f, "logs", got.id, NULL, NULL), 0);
    cr_assert_eq(set_config(&A, "logs", "tagging", "{\"TagSet\":[]}"), 0);
    dump(&A, 0, &old);
    cr_assert_eq(apply_on(&B, &old, secret), 0);
    cr_assert_eq(mgr_users_get(B.st, "bob", &got), 0);
    {
        mgr_bucket_t bk;

        cr_assert_eq(mgr_buckets_get(B.st, "logs", &bk), 0);
    }

    cr_assert_eq(mgr_xdc_sync_stamp_get(A.st, "x/logs/tagging", &last, &del), 0);
    cr_assert_eq(mgr_users_delete(A.f, "bob"), 0);
    cr_assert_eq(mgr_buckets_delete(A.f, "logs"), 0);
    cr_assert_eq(mgr_xdc_sync_stamp_get(A.st, "b/logs", &s, &del), 0);
    cr_assert_eq(del, 1, "a tombstone stays");
    cr_assert_null(get(&A, "t/x/logs/tagging"), "the bucket's tombstone covers its settings");
    dump(&A, last.clock, &incr); /* incremental: only what changed since */
    cr_assert_null(memmem(incr.data, incr.len, "carol", 5), "not what did not change");
    cr_assert_eq(apply_on(&B, &incr, secret), 0);
    cr_assert_eq(mgr_users_get(B.st, "bob", &got), CN_ENOENT);
    cr_assert_eq(mgr_users_by_key(B.st, u.access_key, &got), CN_ENOENT, "its key went too");
    cr_assert_eq(mgr_users_by_id(B.st, u.id, &got), CN_ENOENT);
    cr_assert_null(get(&B, "b/logs"));
    cr_assert_null(get(&B, "x/logs/tagging"));

    cr_assert_eq(apply_on(&B, &old, secret), 0); /* the older dump again */
    cr_assert_eq(mgr_users_get(B.st, "bob", &got), CN_ENOENT, "a deleted user stays deleted");
    cr_assert_null(get(&B, "b/logs"), "a deleted bucket stays deleted");
    cr_assert_null(get(&B, "x/logs/tagging"), "and its settings");
    assert_same("t/u/bob");
    assert_same("t/b/logs");

    /* tombstones go after their time, through an entry */
    {
        mgr_cmd_t c;

        mgr_xdc_sync_purge_cmd(s.clock + 1, &c);
        cr_assert_eq(mgr_fsm_propose_wait(B.f, &c, NULL), 0);
        mgr_cmd_dispose(&c);
        cr_assert_null(get(&B, "t/b/logs"));
        cr_assert_not_null(get(&B, "t/u/carol"), "a live record's stamp stays");
    }
    cn_buf_dispose(&old);
    cn_buf_dispose(&incr);
}

Test(xdc_sync, one_name_made_on_both_converges_on_one_winner_and_is_reported)
{
    mgr_user_t ua, ub, ga, gb;
    cn_buf_t da, db;
    json_t *ca, *cb;

    cr_assert_eq(mgr_users_create(A.f, "dave", NULL, NULL, &ua), 0);
    cr_assert_eq(mgr_users_create(B.f, "dave", NULL, NULL, &ub), 0);
    cr_assert_str_neq(ua.secret, ub.secret);
    dump(&A, 0, &da);
    dump(&B, 0, &db);
    cr_assert_eq(apply_on(&B, &da, secret), 0);
    cr_assert_eq(apply_on(&A, &db, secret), 0);
    cr_assert_eq(mgr_users_get(A.st, "dave", &ga), 0);
    cr_assert_eq(mgr_users_get(B.st, "dave", &gb), 0);
    cr_assert_str_eq(ga.id, gb.id, "the same winner on both sides");
    cr_assert_str_eq(ga.keys[0].secret, gb.keys[0].secret);
    cr_assert_str_eq(ga.id, ub.id, "B's was made later: it wins");
    cr_assert_eq(mgr_users_by_key(A.st, ua.access_key, &ga), CN_ENOENT, "the loser's key went");
    cr_assert_eq(mgr_users_by_id(A.st, ua.id, &ga), CN_ENOENT);
    assert_same("u/dave");
    assert_same("t/u/dave");

    ca = mgr_xdc_sync_conflicts_json(A.xs);
    cb = mgr_xdc_sync_conflicts_json(B.xs);
    cr_assert_eq(json_array_size(ca), 1);
    cr_assert_eq(json_array_size(cb), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ca, 0), "kind")), "user");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ca, 0), "name")), "dave");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ca, 0), "winner")), B.id);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(cb, 0), "loser")), A.id);
    json_decref(ca);
    json_decref(cb);
    cn_buf_dispose(&da);
    cn_buf_dispose(&db);
}

Test(xdc_sync, a_local_change_newer_than_the_dump_stays)
{
    mgr_user_t u, got;
    cn_buf_t d;

    cr_assert_eq(mgr_users_create(A.f, "erin", NULL, NULL, &u), 0);
    sync_to(&A, &B);
    cr_assert_eq(mgr_users_set_role(A.f, "erin", "admin"), 0);
    dump(&A, 0, &d); /* made before B's change below */
    cr_assert_eq(mgr_users_set_email(B.f, "erin", "erin@example.com"), 0);
    cr_assert_eq(apply_on(&B, &d, secret), 0);
    cr_assert_eq(mgr_users_get(B.st, "erin", &got), 0);
    cr_assert_str_eq(got.email, "erin@example.com", "the newer local change stays");
    cr_assert_str_eq(got.role, "user", "the whole record is the unit: B's is newer");
    sync_to(&B, &A);
    assert_same("u/erin");
    cn_buf_dispose(&d);
}

Test(xdc_sync, a_wrong_secret_is_refused_and_nothing_applied)
{
    uint8_t wrong[MGR_CLUSTER_SECRET_LEN];
    mgr_user_t u, got;
    uint64_t applied = mgr_fsm_applied(B.f);
    cn_buf_t d;

    memset(wrong, 0x5a, sizeof(wrong));
    cr_assert_eq(mgr_users_create(A.f, "frank", NULL, NULL, &u), 0);
    cr_assert_eq(mgr_buckets_create(A.f, "frank-bucket", u.id, NULL, NULL), 0);
    dump(&A, 0, &d);
    cr_assert_null(memmem(d.data, d.len, u.secret, strlen(u.secret)),
                   "no secret in the clear");
    cr_assert_eq(apply_on(&B, &d, wrong), CN_EACCES);
    cr_assert_eq(mgr_fsm_applied(B.f), applied, "no entry");
    cr_assert_eq(mgr_users_get(B.st, "frank", &got), CN_ENOENT);
    cr_assert_null(get(&B, "b/frank-bucket"), "not even the records that are not sealed");
    cn_buf_dispose(&d);
}

Test(xdc_sync, malformed_dumps_are_refused_never_a_crash, .timeout = 60)
{
    static const char *const bad[] = {
        "",
        "null",
        "[]",
        "{}",
        "{\"v\":2,\"recs\":[]}",
        "{\"v\":1,\"recs\":{}}",
        "{\"v\":1,\"recs\":[1]}",
        "{\"v\":1,\"recs\":[{\"k\":\"m/node\",\"c\":1,\"o\":\"\",\"v\":\"{}\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"b/x\",\"c\":1,\"o\":\"\",\"v\":\"{}\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"b/okay\",\"c\":-1,\"o\":\"\",\"v\":\"{\\\"owner\\\":\\\"a\\\"}\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"b/okay\",\"c\":1,\"o\":\"NOTHEX\",\"d\":true}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"b/okay\",\"c\":1,\"o\":\"\",\"v\":\"not json\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"b/okay\",\"c\":1,\"o\":\"\",\"d\":true,\"v\":\"{}\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"u/alice\",\"c\":1,\"o\":\"\",\"v\":\"{}\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"u/alice\",\"c\":1,\"o\":\"\",\"e\":\"AAAA\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"u/alice\",\"c\":1,\"o\":\"\",\"e\":\"!!!!\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"x/okay/nosuch\",\"c\":1,\"o\":\"\",\"v\":\"{}\"}]}",
        "{\"v\":1,\"recs\":[{\"k\":\"b/okay\",\"c\":1,\"o\":\"\",\"d\":true},"
        "{\"k\":\"b/okay\",\"c\":2,\"o\":\"\",\"d\":true}]}",
    };
    uint64_t applied = mgr_fsm_applied(B.f);
    mgr_user_t u;
    cn_buf_t d, one;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = mgr_xdc_sync_apply(B.xs, B.f, NULL, "remote", secret, bad[i], strlen(bad[i]),
                                    1, NULL, NULL, NULL, NULL);

        cr_assert(rc == CN_ECORRUPT || rc == CN_EACCES, "dump %zu: %s", i, cn_strerror(rc));
    }
    cr_assert_eq(mgr_users_create(A.f, "gina", NULL, NULL, &u), 0);
    cr_assert_eq(mgr_buckets_create(A.f, "gina-bucket", u.id, NULL, NULL), 0);
    dump(&A, 0, &d);
    for (size_t n = 0; n < d.len; n++) /* every proper prefix */
        cr_assert_neq(mgr_xdc_sync_apply(B.xs, B.f, NULL, "remote", secret, d.data, n, 1, NULL,
                                         NULL, NULL, NULL),
                      0, "cut at %zu", n);
    cn_buf_init(&one);
    cn_buf_append(&one, d.data, d.len);
    for (size_t i = 0; i < d.len; i += 7) { /* flipped bytes: a code or a valid dump */
        ((char *)one.data)[i] ^= 0x21;
        (void)mgr_xdc_sync_apply(B.xs, B.f, NULL, "remote", secret, one.data, one.len, 1, NULL,
                                 NULL, NULL, NULL);
        ((char *)one.data)[i] ^= 0x21;
    }
    (void)applied;
    cn_buf_dispose(&one);
    cn_buf_dispose(&d);
}

/* ---- the key service's KEKs (xdc_keys.h) ------------------------------------------------ */

static int kms_make(struct side *s, const mgr_kms_masters_t *m, const char *name, int rotate)
{
    mgr_cmd_t c;
    int rc = rotate ? mgr_kms_rotate_cmd(s->st, m, name, 1700000000000ull, &c)
                    : mgr_kms_create_cmd(s->st, m, name, 1700000000000ull, &c);

    if (rc == 0) {
        rc = mgr_fsm_propose_wait(s->f, &c, NULL);
        mgr_cmd_dispose(&c);
    }
    return rc;
}

/* A full dump of from (with its masters) applied on to (with its own), as the link from. */
static int keys_to(struct side *from, const mgr_kms_masters_t *mf, struct side *to,
                   const mgr_kms_masters_t *mt, const uint8_t *key)
{
    struct res r = {0, -1};
    cn_buf_t d;
    int rc;

    cn_buf_init(&d);
    cr_assert_eq(mgr_xdc_sync_dump(from->st, mf, secret, 0, 0, &d), 0);
    rc = mgr_xdc_sync_apply(to->xs, to->f, mt, from->id, key, d.data, d.len, 1700000001000ull,
                            on_done, &r, NULL, NULL);
    if (rc == 0)
        cr_assert_eq(r.rc, 0, "entry decided %s", cn_strerror(r.rc));
    cn_buf_dispose(&d);
    return rc;
}

Test(xdc_sync, keks_reach_the_remote_store_under_the_origin_wrapped_by_its_master)
{
    mgr_kms_masters_t ma = {.cur = t_master_of(1)}, mb = {.cur = t_master_of(2)};
    uint8_t ka[CN_SSE_KEY_LEN], kb[CN_SSE_KEY_LEN], own[CN_SSE_KEY_LEN];
    uint64_t e = 0, n = 0;
    char key[64], origins[128];
    cn_buf_t d;
    char *rec;

    cr_assert_eq(kms_make(&A, &ma, "aws/s3", 0), 0);
    cr_assert_eq(kms_make(&A, &ma, "app:key-1", 0), 0);
    cr_assert_eq(kms_make(&B, &mb, "aws/s3", 0), 0); /* B's own, another KEK */
    cn_buf_init(&d);
    cr_assert_eq(mgr_xdc_sync_dump(A.st, &ma, secret, 0, 0, &d), 0);
    cr_assert_not_null(memmem(d.data, d.len, "\"keks\"", 6));
    cr_assert_eq(mgr_kms_get(A.st, &ma, "aws/s3", 1, &e, ka), 0);
    cr_assert_null(memmem(d.data, d.len, ka, sizeof(ka)), "no KEK in the clear");
    cn_buf_dispose(&d);

    cr_assert_eq(keys_to(&A, &ma, &B, &mb, secret), 0);
    cr_assert_eq(mgr_kms_get_of(B.st, &mb, A.id, "aws/s3", 1, &e, kb), 0);
    cr_assert_arr_eq(kb, ka, sizeof(ka), "the same KEK bytes on B");
    cr_assert_eq(mgr_kms_get(B.st, &mb, "aws/s3", 1, &e, own), 0);
    cr_assert(memcmp(own, ka, sizeof(own)) != 0, "B's own aws/s3 stays B's");
    cr_assert_eq(mgr_kms_get_of(B.st, &mb, A.id, "app:key-1", 0, &e, kb), 0);
    cr_assert_eq(mgr_kms_get(A.st, &ma, "app:key-1", 1, &e, ka), 0);
    cr_assert_arr_eq(kb, ka, sizeof(ka));
    cr_assert_eq(mgr_kms_get(B.st, &mb, "app:key-1", 0, &e, kb), CN_ENOENT,
                 "never among B's own keys");
    snprintf(key, sizeof(key), "o/%s/aws/s3", A.id);
    cr_assert_not_null(rec = get(&B, key));
    cr_assert_not_null(strstr(rec, mb.cur.id), "wrapped by B's master: %s", rec);
    cn_free(rec);
    mgr_kms_origins_csv(B.st, origins, sizeof(origins));
    cr_assert_str_eq(origins, A.id);

    /* again: nothing new, no entry; a rotation on A: its epoch 2 comes */
    {
        uint64_t applied = mgr_fsm_applied(B.f);

        cr_assert_eq(keys_to(&A, &ma, &B, &mb, secret), 0);
        cr_assert_eq(mgr_fsm_applied(B.f), applied);
    }
    cr_assert_eq(kms_make(&A, &ma, "aws/s3", 1), 0);
    cr_assert_eq(keys_to(&A, &ma, &B, &mb, secret), 0);
    cr_assert_eq(mgr_kms_remote_epochs(B.st, A.id, "aws/s3", &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(mgr_kms_get(A.st, &ma, "aws/s3", 2, &e, ka), 0);
    cr_assert_eq(mgr_kms_get_of(B.st, &mb, A.id, "aws/s3", 2, &e, kb), 0);
    cr_assert_arr_eq(kb, ka, sizeof(ka));

    /* B's dump on A: only B's own aws/s3, never A's keys back (no relaying) */
    cr_assert_eq(keys_to(&B, &mb, &A, &ma, secret), 0);
    cr_assert_eq(mgr_kms_get_of(A.st, &ma, B.id, "aws/s3", 1, &e, ka), 0);
    cr_assert_arr_eq(ka, own, sizeof(own));
    cr_assert_eq(mgr_kms_remote_epochs(A.st, B.id, "app:key-1", &n), 0);
    cr_assert_eq(n, 0, "A's key did not come back as B's");
    snprintf(key, sizeof(key), "o/%s/", A.id);
    {
        char *none = get(&A, key);

        cr_assert_null(none);
    }

    /* a master rotation on B rewraps the remote store too */
    {
        mgr_kms_masters_t m2 = {.cur = t_master_of(3), .prev = t_master_of(2)};
        size_t others = 0;
        mgr_cmd_t c;

        cr_assert_eq(mgr_kms_rewrap_cmd(B.st, &m2, &c, &others), 0);
        cr_assert_eq(c.nwraps, 4, "B's aws/s3, A's aws/s3 (2 epochs) and app:key-1");
        cr_assert_eq(mgr_fsm_propose_wait(B.f, &c, NULL), 0);
        mgr_cmd_dispose(&c);
        cr_assert_eq(mgr_kms_get_of(B.st, &m2, A.id, "aws/s3", 2, &e, kb), 0);
        cr_assert_eq(mgr_kms_get(A.st, &ma, "aws/s3", 2, &e, ka), 0);
        cr_assert_arr_eq(kb, ka, sizeof(ka));
    }
}

Test(xdc_sync, keks_under_a_wrong_secret_are_refused_and_none_kept)
{
    mgr_kms_masters_t ma = {.cur = t_master_of(1)}, mb = {.cur = t_master_of(2)};
    uint8_t wrong[MGR_CLUSTER_SECRET_LEN], k[CN_SSE_KEY_LEN];
    uint64_t applied = mgr_fsm_applied(B.f), e;

    memset(wrong, 0x5a, sizeof(wrong));
    cr_assert_eq(kms_make(&A, &ma, "aws/s3", 0), 0);
    cr_assert_eq(keys_to(&A, &ma, &B, &mb, wrong), CN_EACCES);
    cr_assert_eq(mgr_fsm_applied(B.f), applied, "no entry");
    cr_assert_eq(mgr_kms_get_of(B.st, &mb, A.id, "aws/s3", 1, &e, k), CN_ENOENT);
    /* a sealed KEK moved to another epoch does not open */
    {
        cn_buf_t d;
        char *p;

        cn_buf_init(&d);
        cr_assert_eq(mgr_xdc_sync_dump(A.st, &ma, secret, 0, 0, &d), 0);
        cn_buf_append(&d, "", 1);
        cr_assert_not_null(p = strstr(d.data, "\"e\":1,"));
        p[4] = '2';
        cr_assert_eq(mgr_xdc_sync_apply(B.xs, B.f, &mb, A.id, secret, d.data, d.len - 1, 1,
                                        NULL, NULL, NULL, NULL),
                     CN_EACCES);
        cn_buf_dispose(&d);
    }
}
