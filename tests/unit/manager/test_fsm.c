/* tests/unit/manager/test_fsm.c: tests manager/fsm.c, the one write path of the manager's
 * state: one scenario of entries that uses every kind (and some that are refused) is applied
 * to two fresh states, which must hold the same bytes after every entry (apply reads no clock
 * and no random source); the applied index moves with each entry's effect, a refused entry
 * moves it alone, a replayed one changes nothing, an undecodable one nothing at all; a state
 * of the release before the log starts at index 1; a snapshot installed in a fresh state
 * gives the same bytes; the views follow the state. */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/ring.h"
#include "manager/cmd.h"
#include "manager/fsm.h"
#include "manager/migrate.h"
#include "manager/state.h"
#include "tests/harness/tmpdir.h"
#define MGR_STATE_WRITER 1 /* an old state laid out as it lies on disk */
#include "manager/state_int.h"

#define ID_A "1111111111111111111111111111111111111111111111111111111111111111"
#define ID_B "2222222222222222222222222222222222222222222222222222222222222222"

static char dir_a[PATH_MAX], dir_b[PATH_MAX];

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir_a, sizeof(dir_a));
    t_tmpdir_make(dir_b, sizeof(dir_b));
}
static void teardown(void)
{
    t_tmpdir_remove(dir_a);
    t_tmpdir_remove(dir_b);
}
TestSuite(mgr_fsm, .init = setup, .fini = teardown);

/* A state with its fsm and views. */
struct side {
    mgr_state_t *st;
    mgr_fsm_t *f;
    mgr_members_t ms;
    cn_ring_t *cur, *prev;
    mgr_levels_t lv;
};

static void side_open(struct side *s, const char *dir)
{
    struct mgr_fsm_views v = {&s->ms, &s->cur, &s->prev, &s->lv};

    memset(s, 0, sizeof(*s));
    cr_assert_eq(mgr_state_open(dir, &s->st), 0);
    cr_assert_eq(mgr_fsm_create(s->st, NULL, &v, &s->f), 0);
    cr_assert_eq(mgr_members_load(&s->ms, s->st, 0), 0);
    cr_assert_eq(mgr_rings_load(s->st, &s->cur, &s->prev), 0);
}

static void side_close(struct side *s)
{
    mgr_fsm_destroy(s->f);
    mgr_members_dispose(&s->ms);
    cn_ring_destroy(s->cur);
    cn_ring_destroy(s->prev);
    mgr_state_close(s->st);
}

struct dump_ctx {
    cn_buf_t *out;
    int but_applied;
};

static int dump_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct dump_ctx *c = arg;

    if (c->but_applied && klen == strlen(MGR_VER_APPLIED) &&
        memcmp(key, MGR_VER_APPLIED, klen) == 0)
        return 0;
    cn_buf_appendf(c->out, "%.*s=%zu:", (int)klen, key, vlen);
    cn_buf_append(c->out, val, vlen);
    cn_buf_append(c->out, "\n", 1);
    return 0;
}

/* Every key and value of the state (but the applied index, if asked), in key order. */
static void dump_but(mgr_state_t *st, cn_buf_t *out, int but_applied)
{
    struct dump_ctx c = {out, but_applied};

    cn_buf_init(out);
    cr_assert_eq(mgr_state_scan(st, "", dump_one, &c), 0);
}

static void dump(mgr_state_t *st, cn_buf_t *out)
{
    dump_but(st, out, 0);
}

static void assert_same_bytes(mgr_state_t *a, mgr_state_t *b, const char *when)
{
    cn_buf_t da, db;

    dump(a, &da);
    dump(b, &db);
    cr_assert_eq(da.len, db.len, "%s: %zu bytes against %zu", when, da.len, db.len);
    cr_assert_arr_eq(da.data, db.data, da.len, "%s: the states differ", when);
    cn_buf_dispose(&da);
    cn_buf_dispose(&db);
}

/* ---- the scenario ------------------------------------------------------------------------ */

struct step {
    cn_buf_t entry;
    enum mgr_cmd_kind kind;
    int want;                      /* what applying must decide */
};

static struct step steps[160];
static size_t nsteps;

static void add(mgr_cmd_t *c, int want)
{
    struct step *s = &steps[nsteps++];

    cr_assert_lt(nsteps, sizeof(steps) / sizeof(steps[0]));
    cn_buf_init(&s->entry);
    mgr_cmd_encode(c, &s->entry);
    s->kind = c->kind;
    s->want = want;
    mgr_cmd_dispose(c);
}

static void user(mgr_cmd_t *c, enum mgr_cmd_kind k, const char *name)
{
    mgr_cmd_init(c, k);
    snprintf(c->user.name, sizeof(c->user.name), "%s", name);
}

static void create_user(const char *name, const char *id, const char *key, int want)
{
    mgr_cmd_t c;

    user(&c, MGR_CMD_USER_CREATE, name);
    snprintf(c.user.id, sizeof(c.user.id), "%s", id);
    snprintf(c.user.access_key, sizeof(c.user.access_key), "%s", key);
    snprintf(c.user.secret, sizeof(c.user.secret), "%.40s",
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN0123");
    snprintf(c.user.role, sizeof(c.user.role), "user");
    c.user.created_ms = 1700000000000ull;
    add(&c, want);
}

/* access_key_* of key (create: for user, with a fixed secret; set_status: to status). */
static void access_key(enum mgr_cmd_kind k, const char *user, const char *key,
                       const char *status, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, k);
    snprintf(c.user.name, sizeof(c.user.name), "%s", user);
    snprintf(c.user.access_key, sizeof(c.user.access_key), "%s", key);
    snprintf(c.user.secret, sizeof(c.user.secret), "%.40s",
             "0123abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
    snprintf(c.key_status, sizeof(c.key_status), "%s", status);
    c.created_ms = 1700000000005ull;
    add(&c, want);
}

static void bucket(enum mgr_cmd_kind k, const char *name, const char *owner, const char *acl,
                   uint64_t quota, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, k);
    snprintf(c.bucket.name, sizeof(c.bucket.name), "%s", name);
    snprintf(c.bucket.owner, sizeof(c.bucket.owner), "%s", owner);
    snprintf(c.bucket.acl, sizeof(c.bucket.acl), "%s", acl);
    c.bucket.created_ms = 1700000000001ull;
    c.bucket.quota_bytes = quota;
    add(&c, want);
}

/* bucket_set_config of "logs": config = text (NULL: its deletion) */
static void lock_config(const char *config, const char *text, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_CONFIG);
    snprintf(c.bucket.name, sizeof(c.bucket.name), "logs");
    snprintf(c.config, sizeof(c.config), "%s", config);
    if (text != NULL)
        mgr_cmd_set_text(&c, text, strlen(text));
    add(&c, want);
}

static void member(const char *name, const char *type, int port, const char *state, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, MGR_CMD_MEMBER_PUT);
    snprintf(c.member.name, sizeof(c.member.name), "%s", name);
    snprintf(c.member.type, sizeof(c.member.type), "%s", type);
    snprintf(c.member.host, sizeof(c.member.host), "127.0.0.1");
    c.member.port = port;
    c.member.vnodes = 64;
    snprintf(c.member.state, sizeof(c.member.state), "%s", state);
    c.member.updated_ms = 1700000000002ull;
    add(&c, want);
}

static void member_state(const char *name, const char *from, const char *to, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, MGR_CMD_MEMBER_SET_STATE);
    snprintf(c.member.name, sizeof(c.member.name), "%s", name);
    snprintf(c.member.state, sizeof(c.member.state), "%s", to);
    snprintf(c.from, sizeof(c.from), "%s", from);
    add(&c, want);
}

static cn_ring_t *ring_of(int n)
{
    static const char *const names[] = {"s0", "s1", "s2"};
    cn_ring_t *r = cn_ring_create();

    for (int i = 0; i < n; i++)
        cr_assert_eq(cn_ring_add(r, names[i], "127.0.0.1", (uint16_t)(10100 + i), 64), 0);
    cr_assert_eq(cn_ring_build(r), 0);
    return r;
}

static void rings(enum mgr_cmd_kind k, const cn_ring_t *r, uint64_t cur, uint64_t prev,
                  int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, k);
    if (r != NULL)
        mgr_cmd_set_ring(&c, r);
    c.expect_cur = cur;
    c.expect_prev = prev;
    c.levels = (mgr_levels_t){3, 2, 2, 2};
    add(&c, want);
}

/* kms_key_create (epoch 0) or kms_key_rotate of name, with wrapped bytes made of fill. */
static void kms_key(const char *name, uint64_t epoch, uint8_t fill, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, epoch == 0 ? MGR_CMD_KMS_KEY_CREATE : MGR_CMD_KMS_KEY_ROTATE);
    snprintf(c.kms.name, sizeof(c.kms.name), "%s", name);
    c.kms.epoch = epoch;
    snprintf(c.kms.master, sizeof(c.kms.master), "00112233aabbccdd");
    memset(c.kms.wrapped, fill, sizeof(c.kms.wrapped));
    c.created_ms = 1700000000100ull + fill;
    add(&c, want);
}

/* The key service's entries: created, rotated, rewrapped, and the refusals of each. */
static void scenario_kms(void)
{
    mgr_kms_wrap_t w = {.epoch = 2, .master = "ffeeddccbbaa9988"};
    mgr_cmd_t c;

    kms_key("aws/s3", 0, 1, 0);
    kms_key("aws/s3", 0, 2, CN_EEXIST);
    kms_key("bad name", 0, 2, CN_EINVAL);   /* the decoder takes it, the apply refuses it */
    kms_key("aws/s3", 2, 3, 0);
    kms_key("aws/s3", 2, 4, CN_ECONFLICT); /* another rotation came first */
    kms_key("aws/s3", 4, 4, CN_ECONFLICT);
    kms_key("nokey", 2, 4, CN_ENOENT);
    kms_key("app:key-1", 0, 5, 0);
    mgr_cmd_init(&c, MGR_CMD_KMS_REWRAP);
    snprintf(w.name, sizeof(w.name), "aws/s3");
    memset(w.wrapped, 9, sizeof(w.wrapped));
    mgr_cmd_add_wrap(&c, &w);
    w.epoch = 1;
    mgr_cmd_add_wrap(&c, &w);
    snprintf(w.name, sizeof(w.name), "app:key-1");
    mgr_cmd_add_wrap(&c, &w);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_KMS_REWRAP); /* all or nothing: epoch 3 does not exist */
    mgr_cmd_add_wrap(&c, &w);
    w.epoch = 3;
    mgr_cmd_add_wrap(&c, &w);
    add(&c, CN_ENOENT);
    /* a linked cluster's store (r/): epochs appended in order, held ones skipped, a gap or a
     * wrap without an origin refused; a rewrap reaches it by its origin */
    snprintf(w.origin, sizeof(w.origin), "aaaaaaaaaaaaaaaa");
    snprintf(w.name, sizeof(w.name), "aws/s3");
    mgr_cmd_init(&c, MGR_CMD_KMS_REMOTE_PUT);
    c.created_ms = 1732330000000ull;
    for (w.epoch = 1; w.epoch <= 2; w.epoch++)
        mgr_cmd_add_wrap(&c, &w);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_KMS_REMOTE_PUT);
    c.created_ms = 1732330000001ull;
    for (w.epoch = 2; w.epoch <= 3; w.epoch++)
        mgr_cmd_add_wrap(&c, &w);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_KMS_REMOTE_PUT);
    c.created_ms = 1732330000002ull;
    w.epoch = 5;
    mgr_cmd_add_wrap(&c, &w);
    add(&c, CN_EINVAL);
    mgr_cmd_init(&c, MGR_CMD_KMS_REWRAP);
    w.epoch = 1;
    memset(w.wrapped, 3, sizeof(w.wrapped));
    mgr_cmd_add_wrap(&c, &w);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_KMS_REMOTE_PUT);
    c.created_ms = 1732330000003ull;
    w.origin[0] = '\0';
    w.epoch = 4;
    mgr_cmd_add_wrap(&c, &w);
    add(&c, CN_EINVAL);
}

#define CL_OWN "3f1c0a9e5b7d2c44"
#define CL_PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

/* cluster_link_add of id (managers: list) with wrapped bytes made of fill. */
static void cluster_link(const char *id, const char *list, uint8_t fill, int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, MGR_CMD_CLUSTER_LINK_ADD);
    snprintf(c.link.id, sizeof(c.link.id), "%s", id);
    snprintf(c.link.managers, sizeof(c.link.managers), "%s", list);
    snprintf(c.link.master, sizeof(c.link.master), "00112233aabbccdd");
    memset(c.link.wrapped, fill, sizeof(c.link.wrapped));
    c.created_ms = 1700000000200ull + fill;
    if (fill % 2 == 0)
        mgr_cmd_set_text(&c, CL_PEM, strlen(CL_PEM));
    add(&c, want);
}

/* cluster_link_set_state (to != NULL), cluster_link_delete or cluster_link_rewrap of id. */
static void cluster_op(enum mgr_cmd_kind k, const char *id, const char *from, const char *to,
                       int want)
{
    mgr_cmd_t c;

    mgr_cmd_init(&c, k);
    snprintf(c.link.id, sizeof(c.link.id), "%s", id);
    if (from != NULL)
        snprintf(c.from, sizeof(c.from), "%s", from);
    if (to != NULL)
        snprintf(c.link.state, sizeof(c.link.state), "%s", to);
    snprintf(c.link.master, sizeof(c.link.master), "ffeeddccbbaa9988");
    memset(c.link.wrapped, 7, sizeof(c.link.wrapped));
    add(&c, want);
}

/* The cluster id and links (issue 22): set once, links up to 4, removal in two steps. */
static void scenario_clusters(void)
{
    mgr_cmd_t c;

    cluster_link("aaaaaaaaaaaaaaaa", "10.1.0.1:10010", 2, CN_EAGAIN); /* no own id yet */
    mgr_cmd_init(&c, MGR_CMD_CLUSTER_ID_SET);
    snprintf(c.cluster_id, sizeof(c.cluster_id), CL_OWN);
    c.created_ms = 1700000000150ull;
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_CLUSTER_ID_SET); /* an id is made once */
    snprintf(c.cluster_id, sizeof(c.cluster_id), "0000000000000001");
    add(&c, CN_EEXIST);
    mgr_cmd_init(&c, MGR_CMD_CLUSTER_ID_SET); /* the decoder takes it, the apply refuses it */
    snprintf(c.cluster_id, sizeof(c.cluster_id), "NOT-HEX");
    add(&c, CN_EINVAL);
    cluster_link("aaaaaaaaaaaaaaaa", "10.1.0.1:10010, 10.1.0.2:10010", 2, 0);
    cluster_link("aaaaaaaaaaaaaaaa", "10.1.0.3:10010", 3, CN_EEXIST);
    cluster_link(CL_OWN, "10.1.0.3:10010", 3, CN_EINVAL); /* itself */
    cluster_link("bbbbbbbbbbbbbbbb", "not an address", 3, CN_EINVAL);
    cluster_link("bbbbbbbbbbbbbbbb", "10.2.0.1:10010", 3, 0);
    cluster_link("cccccccccccccccc", "10.3.0.1:10010", 4, 0);
    cluster_link("dddddddddddddddd", "10.4.0.1:10010", 5, 0);
    cluster_link("eeeeeeeeeeeeeeee", "10.5.0.1:10010", 6, CN_ENOSPC); /* a fifth */
    cluster_op(MGR_CMD_CLUSTER_LINK_DELETE, "bbbbbbbbbbbbbbbb", NULL, NULL, CN_EBUSY);
    cluster_op(MGR_CMD_CLUSTER_LINK_SET_STATE, "aaaaaaaaaaaaaaaa", "linked", "removing", 0);
    cluster_op(MGR_CMD_CLUSTER_LINK_SET_STATE, "aaaaaaaaaaaaaaaa", "linked", "removing",
               CN_EBUSY);
    cluster_op(MGR_CMD_CLUSTER_LINK_SET_STATE, "bbbbbbbbbbbbbbbb", "removing", "linked",
               CN_EINVAL);
    cluster_link("aaaaaaaaaaaaaaaa", "10.1.0.1:10010", 2, CN_EEXIST); /* still removing */
    cluster_op(MGR_CMD_CLUSTER_LINK_DELETE, "aaaaaaaaaaaaaaaa", NULL, NULL, 0);
    cluster_op(MGR_CMD_CLUSTER_LINK_DELETE, "aaaaaaaaaaaaaaaa", NULL, NULL, CN_ENOENT);
    cluster_link("eeeeeeeeeeeeeeee", "10.5.0.1:10010", 6, 0); /* its place is free */
    cluster_op(MGR_CMD_CLUSTER_LINK_REWRAP, "cccccccccccccccc", NULL, NULL, 0);
    cluster_op(MGR_CMD_CLUSTER_LINK_REWRAP, "aaaaaaaaaaaaaaaa", NULL, NULL, CN_ENOENT);
}

/* issue 22 (xdc_sync.h): a user and a bucket that came over a link, one deleted, then the
 * tombstones purged. */
static void scenario_xdc(void)
{
    static const char user[] = "{\"c\":1732330003000000000,\"o\":\"aaaaaaaaaaaaaaaa\","
        "\"v\":\"{\\\"user\\\":\\\"remote\\\",\\\"id\\\":\\\""
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\\",\\\"role\\\":"
        "\\\"user\\\",\\\"keys\\\":[]}\"}";
    static const char gone[] = "{\"c\":1732330004000000000,\"o\":\"aaaaaaaaaaaaaaaa\","
        "\"d\":true}";
    mgr_cmd_t c;

    mgr_cmd_init(&c, MGR_CMD_XDC_STATE_PUT);
    mgr_cmd_add_rec(&c, "u/remote", user, strlen(user));
    mgr_cmd_add_rec(&c, "b/gone-bucket", gone, strlen(gone));
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_XDC_TOMBSTONE_PURGE);
    c.xclock = 1732330005000000000ull;
    add(&c, 0);
}

/* Every kind but snapshot, each applied at least once, and a few refused. */
static void scenario(void)
{
    cn_ring_t *r2 = ring_of(2), *r3 = ring_of(3);
    uint64_t s2 = cn_ring_checksum(r2), s3 = cn_ring_checksum(r3);
    mgr_cmd_t c;

    nsteps = 0;
    scenario_kms();
    scenario_clusters();
    create_user("alice", ID_A, "AKALICE0000000000001", 0);
    create_user("bob", ID_B, "AKBOB000000000000001", 0);
    create_user("alice", ID_B, "AKOTHER000000000001X", CN_EEXIST); /* refused: the name */
    create_user("carol", ID_A, "AKCAROL000000000001X", CN_EEXIST); /* refused: the id */
    access_key(MGR_CMD_ACCESS_KEY_CREATE, "alice", "AKALICE0000000000002", "", 0);
    access_key(MGR_CMD_ACCESS_KEY_CREATE, "alice", "AKBOB000000000000001", "", CN_EEXIST);
    access_key(MGR_CMD_ACCESS_KEY_CREATE, "nobody", "AKNOBODY000000000001", "", CN_ENOENT);
    access_key(MGR_CMD_ACCESS_KEY_SET_STATUS, "", "AKALICE0000000000002", "Inactive", 0);
    access_key(MGR_CMD_ACCESS_KEY_SET_STATUS, "", "AKNOBODY000000000001", "Active", CN_ENOENT);
    access_key(MGR_CMD_ACCESS_KEY_DELETE, "", "AKALICE0000000000001", "", 0);
    user(&c, MGR_CMD_USER_SET_ROLE, "bob");
    snprintf(c.user.role, sizeof(c.user.role), "admin");
    add(&c, 0);
    user(&c, MGR_CMD_USER_SET_PASSWORD, "alice");
    snprintf(c.user.pw_hash, sizeof(c.user.pw_hash), "pbkdf2-sha256$1$00$00");
    add(&c, 0);
    user(&c, MGR_CMD_USER_SET_ROLE, "nobody");
    snprintf(c.user.role, sizeof(c.user.role), "admin");
    add(&c, CN_ENOENT);
    user(&c, MGR_CMD_USER_SET_EMAIL, "alice"); /* an address is one user's (case aside) */
    snprintf(c.user.email, sizeof(c.user.email), "alice@example.com");
    add(&c, 0);
    user(&c, MGR_CMD_USER_SET_EMAIL, "bob");
    snprintf(c.user.email, sizeof(c.user.email), "ALICE@example.com");
    add(&c, CN_EEXIST);
    user(&c, MGR_CMD_USER_SET_EMAIL, "bob");
    snprintf(c.user.email, sizeof(c.user.email), "not an address");
    add(&c, CN_EINVAL);
    user(&c, MGR_CMD_USER_SET_EMAIL, "alice"); /* the same again: allowed */
    snprintf(c.user.email, sizeof(c.user.email), "alice@example.com");
    add(&c, 0);
    bucket(MGR_CMD_BUCKET_CREATE, "photos", ID_A, "private", 0, 0);
    bucket(MGR_CMD_BUCKET_CREATE, "logs", ID_B, "public-read", 0, 0);
    bucket(MGR_CMD_BUCKET_CREATE, "photos", ID_B, "private", 0, CN_EEXIST);
    bucket(MGR_CMD_BUCKET_SET_ACL, "photos", "", "public-read", 0, 0);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_ACL); /* only its owner may: bob is not */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    snprintf(c.bucket.acl, sizeof(c.bucket.acl), "private");
    snprintf(c.if_owner, sizeof(c.if_owner), "%s", ID_B);
    add(&c, CN_EPERM);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_ACL); /* a grant list (issue 15), then a bad one */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "logs");
    snprintf(c.bucket.acl, sizeof(c.bucket.acl), "private");
    snprintf(c.bucket.grants, sizeof(c.bucket.grants), "%s/READ,LogDelivery/WRITE", ID_A);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_ACL);
    snprintf(c.bucket.name, sizeof(c.bucket.name), "logs");
    snprintf(c.bucket.acl, sizeof(c.bucket.acl), "private");
    snprintf(c.bucket.grants, sizeof(c.bucket.grants), "Everyone/READ");
    add(&c, CN_EINVAL);
    bucket(MGR_CMD_BUCKET_SET_OWNER, "logs", ID_A, "", 0, 0);
    bucket(MGR_CMD_BUCKET_SET_QUOTA, "logs", "", "", 1u << 20, 0);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_POLICY); /* a policy of photos, then none */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    mgr_cmd_set_text(&c, "{\"Statement\":[]}", 16);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_POLICY); /* only by its owner, when asked */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    snprintf(c.if_owner, sizeof(c.if_owner), "%s", ID_B);
    mgr_cmd_set_text(&c, "{\"Statement\":[]}", 16);
    add(&c, CN_EPERM);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_POLICY);
    snprintf(c.bucket.name, sizeof(c.bucket.name), "nope");
    add(&c, CN_ENOENT);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_CONFIG); /* a named configuration, a JSON object */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    snprintf(c.config, sizeof(c.config), "public_access_block");
    mgr_cmd_set_text(&c, "{\"BlockPublicAcls\":true}", 24);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_CONFIG); /* a name the manager does not keep */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    snprintf(c.config, sizeof(c.config), "teleport");
    mgr_cmd_set_text(&c, "{}", 2);
    add(&c, CN_EINVAL);
    mgr_cmd_init(&c, MGR_CMD_BUCKET_SET_CONFIG); /* not a JSON object */
    snprintf(c.bucket.name, sizeof(c.bucket.name), "photos");
    snprintf(c.config, sizeof(c.config), "ownership_controls");
    mgr_cmd_set_text(&c, "[1]", 3);
    add(&c, CN_EINVAL);
    /* object lock (issue 18): only Enabled, never deleted, and versioning stays Enabled */
    lock_config("object_lock", "{\"ObjectLockEnabled\":\"Disabled\"}", CN_EINVAL);
    lock_config("object_lock", "{\"ObjectLockEnabled\":\"Enabled\"}", 0);
    lock_config("versioning", "{\"Status\":\"Suspended\"}", CN_ECONFLICT);
    lock_config("versioning", "{\"Status\":\"Enabled\"}", 0);
    lock_config("object_lock", NULL, CN_EINVAL);
    lock_config("versioning", NULL, CN_EINVAL);
    mgr_cmd_init(&c, MGR_CMD_ENDPOINT_ADD);
    snprintf(c.endpoint, sizeof(c.endpoint), "s3.example.com");
    c.created_ms = 1700000000003ull;
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_ENDPOINT_ADD);
    snprintf(c.endpoint, sizeof(c.endpoint), "old.example.com");
    c.created_ms = 1700000000004ull;
    add(&c, 0);
    member("s0", CN_NODE_STORAGE, 10100, "attached", 0);
    member("s1", CN_NODE_STORAGE, 10101, "attached", 0);
    member("g0", CN_NODE_GATEWAY, 8080, "running", 0);
    member("g0", CN_NODE_STORAGE, 8080, "attached", CN_EEXIST); /* another type */
    rings(MGR_CMD_RING_START, r2, 0, 0, 0);
    rings(MGR_CMD_RING_START, r2, 0, 0, CN_EEXIST);
    member("s2", CN_NODE_STORAGE, 10102, "attached", 0);
    rings(MGR_CMD_RING_REBALANCE, r3, s3, 0, CN_ESTALE); /* built on a ring it does not hold */
    rings(MGR_CMD_RING_REBALANCE, r3, s2, 0, 0);
    rings(MGR_CMD_RING_ROLLBACK, NULL, s3, s2, 0);
    rings(MGR_CMD_RING_DROP_PREV, NULL, s2, s3, 0);
    rings(MGR_CMD_RING_DROP_PREV, NULL, s2, s3, CN_ENOENT);
    mgr_cmd_init(&c, MGR_CMD_LEVELS_SET);
    c.levels = (mgr_levels_t){3, 1, 3, 2};
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_LEVELS_SET);
    c.levels = (mgr_levels_t){3, 4, 1, 1}; /* W > N */
    add(&c, CN_EINVAL);
    member_state("s1", "running", "suspend", 0);
    member_state("s1", "running", "stop", CN_EBUSY); /* it is suspended now */
    member_state("g0", "running", "stop", 0);
    mgr_cmd_init(&c, MGR_CMD_MEMBER_REMOVE);
    snprintf(c.member.name, sizeof(c.member.name), "g0");
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_ENDPOINT_DELETE);
    snprintf(c.endpoint, sizeof(c.endpoint), "old.example.com");
    add(&c, 0);
    user(&c, MGR_CMD_USER_DELETE, "bob");
    add(&c, 0);
    user(&c, MGR_CMD_USER_DELETE, "alice");
    add(&c, CN_EBUSY); /* she owns buckets */
    bucket(MGR_CMD_BUCKET_DELETE, "logs", "", "", 0, 0);
    mgr_cmd_init(&c, MGR_CMD_RESTORE); /* what a backup of one user and one bucket restores */
    mgr_cmd_add_rec(&c, "u/dora",
                    "{\"access_key\":\"AKDORA0000000000001X\",\"created_ms\":5,\"id\":\"" ID_B
                    "\",\"role\":\"user\",\"secret\":\"s\",\"user\":\"dora\"}",
                    strlen("{\"access_key\":\"AKDORA0000000000001X\",\"created_ms\":5,"
                           "\"id\":\"" ID_B "\",\"role\":\"user\",\"secret\":\"s\","
                           "\"user\":\"dora\"}"));
    mgr_cmd_add_rec(&c, "k/AKDORA0000000000001X", "dora", 4);
    mgr_cmd_add_rec(&c, "i/" ID_B, "dora", 4);
    mgr_cmd_add_rec(&c, "v/format", "\0\0\0\0\0\0\0\2", 8);
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_RESTORE); /* a key the manager does not keep */
    mgr_cmd_add_rec(&c, "x/other", "1", 1);
    add(&c, CN_EINVAL);
    create_user("erin", ID_A, "AKERIN0000000000001X", 0); /* the restored state goes on */
    mgr_cmd_init(&c, MGR_CMD_GROUP_PUT); /* update-managers: where manager 4 answers */
    c.peer.id = 4;
    snprintf(c.peer.host, sizeof(c.peer.host), "10.0.0.4");
    c.peer.raft_port = 10012;
    c.peer.rpc_port = 10010;
    c.peer.admin_port = 10011;
    add(&c, 0);
    mgr_cmd_init(&c, MGR_CMD_GROUP_PUT); /* a port out of range is refused */
    c.peer.id = 5;
    snprintf(c.peer.host, sizeof(c.peer.host), "10.0.0.5");
    c.peer.raft_port = 10012;
    add(&c, CN_EINVAL);
    mgr_cmd_init(&c, MGR_CMD_GROUP_REMOVE);
    c.peer.id = 4;
    add(&c, 0);
    scenario_xdc();
    cn_ring_destroy(r2);
    cn_ring_destroy(r3);
}

static void scenario_free(void)
{
    for (size_t i = 0; i < nsteps; i++)
        cn_buf_dispose(&steps[i].entry);
}

Test(mgr_fsm, every_kind_applied_in_two_fresh_states_gives_the_same_bytes, .timeout = 60)
{
    struct side a, b;
    int covered[MGR_CMD_NKINDS] = {0};

    scenario();
    side_open(&a, dir_a);
    side_open(&b, dir_b);
    for (size_t i = 0; i < nsteps; i++) {
        mgr_fsm_result_t ra, rb;
        char when[96];

        snprintf(when, sizeof(when), "step %zu (%s)", i + 1, mgr_cmd_kind_name(steps[i].kind));
        cr_assert_eq(mgr_fsm_apply(a.f, i + 1, steps[i].entry.data, steps[i].entry.len, &ra),
                     0, "%s", when);
        cr_assert_eq(mgr_fsm_apply(b.f, i + 1, steps[i].entry.data, steps[i].entry.len, &rb),
                     0, "%s", when);
        cr_assert_eq(ra.rc, steps[i].want, "%s: decided %s", when, cn_strerror(ra.rc));
        cr_assert_eq(rb.rc, ra.rc, "%s", when);
        cr_assert_eq(rb.why, ra.why, "%s", when);
        covered[steps[i].kind] |= ra.rc == 0;
        assert_same_bytes(a.st, b.st, when);
    }
    for (int k = MGR_CMD_NONE + 1; k < MGR_CMD_NKINDS; k++)
        cr_expect(covered[k] || k == MGR_CMD_SNAPSHOT, "no %s was applied",
                  mgr_cmd_kind_name((enum mgr_cmd_kind)k));
    side_close(&a);
    side_close(&b);
    scenario_free();
}

Test(mgr_fsm, the_applied_index_moves_with_each_entry, .timeout = 60)
{
    struct side a;
    cn_buf_t before, after;

    scenario();
    side_open(&a, dir_a);
    cr_assert_eq(mgr_fsm_applied(a.f), 0);
    for (size_t i = 0; i < nsteps; i++) {
        mgr_fsm_result_t res;

        dump_but(a.st, &before, 1);
        cr_assert_eq(mgr_fsm_apply(a.f, i + 1, steps[i].entry.data, steps[i].entry.len, &res),
                     0);
        cr_assert_eq(mgr_fsm_applied(a.f), i + 1);
        cr_assert_eq(mgr_state_get_u64(a.st, MGR_VER_APPLIED), i + 1);
        dump_but(a.st, &after, 1);
        if (res.rc != 0) { /* refused: the index alone moved */
            cr_assert_eq(after.len, before.len, "step %zu", i + 1);
            cr_assert_arr_eq(after.data, before.data, before.len, "step %zu", i + 1);
        } else { /* applied: its effect with it */
            cr_assert(after.len != before.len || memcmp(after.data, before.data, after.len),
                      "step %zu changed nothing", i + 1);
        }
        cn_buf_dispose(&before);
        cn_buf_dispose(&after);
    }
    /* a replayed entry (a restart replays the log from an earlier point) changes nothing */
    dump(a.st, &before);
    for (size_t i = 0; i < nsteps; i++) {
        mgr_fsm_result_t res;

        cr_assert_eq(mgr_fsm_apply(a.f, i + 1, steps[i].entry.data, steps[i].entry.len, &res),
                     0);
        cr_assert_eq(res.rc, 0);
    }
    dump(a.st, &after);
    cr_assert_eq(after.len, before.len);
    cr_assert_arr_eq(after.data, before.data, before.len);
    cn_buf_dispose(&after);
    side_close(&a);

    /* a restart goes on after the last applied index */
    side_open(&a, dir_a);
    cr_assert_eq(mgr_fsm_applied(a.f), nsteps);
    cr_assert_eq(mgr_users_delete(a.f, "erin"), 0);
    cr_assert_eq(mgr_fsm_applied(a.f), nsteps + 1);
    side_close(&a);
    cn_buf_dispose(&before);
    scenario_free();
}

Test(mgr_fsm, an_undecodable_entry_changes_nothing, .timeout = 20)
{
    static const char junk[] = "\x83\xa1v\x02\xa4kind\xabuser_delete\xa4user\xa5" "alice";
    struct side a;
    cn_buf_t before, after;
    mgr_fsm_result_t res;
    mgr_cmd_t c;

    side_open(&a, dir_a);
    nsteps = 0;
    cr_assert_eq(mgr_users_create(a.f, "alice", NULL, "password1", NULL), 0);
    dump(a.st, &before);
    /* "v": 2, a newer release's entry */
    cr_assert_eq(mgr_fsm_apply(a.f, 2, junk, sizeof(junk) - 1, &res), CN_EPROTO);
    /* cut short */
    user(&c, MGR_CMD_USER_DELETE, "alice");
    add(&c, 0);
    cr_assert_eq(mgr_fsm_apply(a.f, 2, steps[nsteps - 1].entry.data,
                               steps[nsteps - 1].entry.len - 1, &res),
                 CN_ECORRUPT);
    cr_assert_eq(mgr_fsm_applied(a.f), 1);
    dump(a.st, &after);
    cr_assert_eq(after.len, before.len);
    cr_assert_arr_eq(after.data, before.data, before.len);
    /* whole, it applies */
    cr_assert_eq(mgr_fsm_apply(a.f, 2, steps[nsteps - 1].entry.data,
                               steps[nsteps - 1].entry.len, &res),
                 0);
    cr_assert_eq(res.rc, 0);
    cn_buf_dispose(&before);
    cn_buf_dispose(&after);
    side_close(&a);
    scenario_free();
}

/* Raft's own entries (its configuration, barriers) take indexes that never reach the state
 * machine: the next command entry comes after a gap. */
Test(mgr_fsm, an_index_gap_is_the_logs_own_entries, .timeout = 20)
{
    struct side a;
    mgr_fsm_result_t res;
    mgr_cmd_t c;

    side_open(&a, dir_a);
    nsteps = 0;
    user(&c, MGR_CMD_USER_DELETE, "alice");
    add(&c, 0);
    cr_assert_eq(mgr_fsm_apply(a.f, 2, steps[0].entry.data, steps[0].entry.len, &res), 0);
    cr_assert_eq(mgr_fsm_applied(a.f), 2);
    cr_assert_eq(mgr_fsm_apply(a.f, 2, steps[0].entry.data, steps[0].entry.len, &res), 0);
    cr_assert_eq(mgr_fsm_applied(a.f), 2);
    side_close(&a);
    scenario_free();
}

Test(mgr_fsm, a_state_from_before_the_log_starts_at_index_1, .timeout = 20)
{
    static const char rec[] = "{\"access_key\":\"AKOLD00000000000001X\",\"created_ms\":1,"
                              "\"id\":\"" ID_A "\",\"role\":\"user\",\"secret\":\"s\","
                              "\"user\":\"old\"}";
    struct side a;
    mgr_state_t *st;
    mgr_batch_t *b = mgr_batch_new();
    mgr_user_t u;

    /* as the previous release left it: format 2, no "v/applied" */
    cr_assert_eq(mgr_state_open(dir_a, &st), 0);
    mgr_batch_put(b, "u/old", rec, strlen(rec));
    mgr_batch_put(b, "k/AKOLD00000000000001X", "old", 3);
    mgr_batch_put(b, "i/" ID_A, "old", 3);
    mgr_batch_put_u64(b, MGR_VER_FORMAT, 2);
    cr_assert_eq(mgr_batch_commit(st, b), 0);
    mgr_state_close(st);

    side_open(&a, dir_a);
    cr_assert_eq(mgr_fsm_applied(a.f), 0);
    cr_assert_eq(mgr_users_set_role(a.f, "old", "admin"), 0);
    cr_assert_eq(mgr_fsm_applied(a.f), 1);
    cr_assert_eq(mgr_state_get_u64(a.st, MGR_VER_APPLIED), 1);
    cr_assert_eq(mgr_users_get(a.st, "old", &u), 0);
    cr_assert_str_eq(u.role, "admin");
    side_close(&a);
}

Test(mgr_fsm, a_snapshot_installed_in_a_fresh_state_gives_the_same_bytes, .timeout = 60)
{
    struct side a, b;
    cn_buf_t snap, before, after;
    size_t half;

    scenario();
    side_open(&a, dir_a);
    side_open(&b, dir_b);
    half = nsteps / 2;
    for (size_t i = 0; i < nsteps; i++) {
        mgr_fsm_result_t res;

        cr_assert_eq(mgr_fsm_apply(a.f, i + 1, steps[i].entry.data, steps[i].entry.len, &res),
                     0);
        if (i + 1 == half) { /* b catches up from a snapshot half-way, then from the log */
            cn_buf_init(&snap);
            cr_assert_eq(mgr_fsm_snapshot(a.f, &snap), 0);
            cr_assert_eq(mgr_fsm_install(b.f, snap.data, snap.len), 0);
            cr_assert_eq(mgr_fsm_applied(b.f), half);
            assert_same_bytes(a.st, b.st, "after the install");
            cr_assert_eq(b.ms.n, a.ms.n);
            cr_assert_eq(mgr_ring_sum(b.cur), mgr_ring_sum(a.cur));
            cr_assert_eq(b.lv.n, a.lv.n);
            /* a snapshot not above the applied index changes nothing */
            dump(b.st, &before);
            cr_assert_eq(mgr_fsm_install(b.f, snap.data, snap.len), 0);
            dump(b.st, &after);
            cr_assert_eq(after.len, before.len);
            cn_buf_dispose(&before);
            cn_buf_dispose(&after);
            cr_assert_eq(mgr_fsm_install(b.f, snap.data, snap.len - 1), CN_ECORRUPT);
            cn_buf_dispose(&snap);
        } else if (i + 1 > half) {
            cr_assert_eq(
                mgr_fsm_apply(b.f, i + 1, steps[i].entry.data, steps[i].entry.len, &res), 0);
        }
    }
    assert_same_bytes(a.st, b.st, "at the end");
    side_close(&a);
    side_close(&b);
    scenario_free();
}

Test(mgr_fsm, the_views_follow_the_state, .timeout = 60)
{
    struct side a;
    mgr_members_t loaded;
    cn_ring_t *cur = NULL, *prev = NULL;
    mgr_levels_t lv;

    scenario();
    side_open(&a, dir_a);
    for (size_t i = 0; i < nsteps; i++) {
        mgr_fsm_result_t res;

        cr_assert_eq(mgr_fsm_apply(a.f, i + 1, steps[i].entry.data, steps[i].entry.len, &res),
                     0);
        cr_assert_eq(mgr_members_load(&loaded, a.st, 0), 0);
        cr_assert_eq(mgr_rings_load(a.st, &cur, &prev), 0);
        cr_assert_eq(a.ms.n, loaded.n, "step %zu", i + 1);
        for (size_t k = 0; k < loaded.n; k++) {
            const mgr_member_t *m = mgr_members_find(&a.ms, loaded.v[k].name);

            cr_assert_not_null(m, "step %zu: %s", i + 1, loaded.v[k].name);
            cr_assert_str_eq(m->state, loaded.v[k].state, "step %zu", i + 1);
            cr_assert_str_eq(m->type, loaded.v[k].type);
            cr_assert_eq(m->port, loaded.v[k].port);
        }
        cr_assert_eq(mgr_ring_sum(a.cur), mgr_ring_sum(cur), "step %zu", i + 1);
        cr_assert_eq(mgr_ring_sum(a.prev), mgr_ring_sum(prev), "step %zu", i + 1);
        if (mgr_levels_load(a.st, &lv) == 0)
            cr_assert_eq(a.lv.w, lv.w, "step %zu", i + 1);
        mgr_members_dispose(&loaded);
        cn_ring_destroy(cur);
        cn_ring_destroy(prev);
        cur = prev = NULL;
    }
    side_close(&a);
    scenario_free();
}
