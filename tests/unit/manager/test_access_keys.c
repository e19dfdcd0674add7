/* tests/unit/manager/test_access_keys.c: tests manager/access_keys.c and the keys of
 * users.c (several per user, Active or Inactive), the state format 2 -> 3 migration
 * (migrate.c) and a backup with several keys (backup.c), on a real RocksDB through the fsm
 * without a log (a proposal applies at once). */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>
#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/access_keys.h"
#include "manager/backup.h"
#include "manager/fsm.h"
#include "manager/migrate.h"
#include "manager/state.h"
#include "manager/users.h"
#include "tests/harness/tmpdir.h"
#define MGR_STATE_WRITER 1 /* write_format2 lays out an old state as it lies on disk */
#include "manager/state_int.h"

static char dir[PATH_MAX];
static mgr_state_t *st;
static mgr_fsm_t *f;

static void open_all(void)
{
    cr_assert_eq(mgr_state_open(dir, &st), 0);
    cr_assert_eq(mgr_fsm_create(st, NULL, NULL, &f), 0);
}

static void close_all(void)
{
    mgr_fsm_destroy(f);
    mgr_state_close(st);
}

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
}
static void teardown(void)
{
    t_tmpdir_remove(dir);
}
TestSuite(access_keys, .init = setup, .fini = teardown);

/* The user of users_json (with or without secrets) named name. */
static json_t *listed(int with_secrets, const char *name)
{
    json_t *arr = mgr_users_json(st, with_secrets), *u, *found = NULL;
    size_t i;

    json_array_foreach(arr, i, u) {
        if (strcmp(json_string_value(json_object_get(u, "user")), name) == 0)
            found = json_incref(u);
    }
    json_decref(arr);
    cr_assert_not_null(found, "%s is not listed", name);
    return found;
}

Test(access_keys, a_second_key_can_be_deactivated_and_deleted, .timeout = 20)
{
    mgr_user_t u, got;
    mgr_access_key_t k;
    char who[MGR_USER_NAME_MAX + 1];
    json_t *j;

    open_all();
    cr_assert_eq(mgr_users_create(f, "alice", NULL, NULL, &u), 0);
    cr_assert_eq(mgr_keys_create(f, "alice", &k), 0);
    cr_assert_str_eq(k.status, MGR_KEY_ACTIVE);
    cr_assert(mgr_user_keys_valid(k.id, k.secret));
    cr_assert_str_neq(k.id, u.access_key);
    cr_assert_eq(mgr_users_by_key(st, k.id, &got), 0);
    cr_assert_str_eq(got.name, "alice");
    cr_assert_eq(got.nkeys, 2);
    cr_assert_str_eq(got.access_key, u.access_key); /* the first key stays first */
    cr_assert_str_eq(got.keys[1].secret, k.secret);

    /* gateways get the Active keys, with secrets; the admin API every key, without */
    j = listed(1, "alice");
    cr_assert_eq(json_array_size(json_object_get(j, "keys")), 2);
    json_decref(j);
    cr_assert_eq(mgr_keys_set_status(f, u.access_key, MGR_KEY_INACTIVE, who), 0);
    cr_assert_str_eq(who, "alice");
    j = listed(1, "alice");
    cr_assert_eq(json_array_size(json_object_get(j, "keys")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(j, "access_key")), k.id);
    cr_assert_str_eq(json_string_value(json_object_get(j, "secret")), k.secret);
    json_decref(j);
    j = listed(0, "alice");
    cr_assert_eq(json_array_size(json_object_get(j, "keys")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(j, "keys"),
                                                                      0), "status")),
                     MGR_KEY_INACTIVE);
    cr_assert_null(json_object_get(json_array_get(json_object_get(j, "keys"), 0), "secret"));
    cr_assert_null(json_object_get(j, "secret"));
    json_decref(j);

    /* survives a reopen; then the first key goes */
    close_all();
    open_all();
    cr_assert_eq(mgr_users_get(st, "alice", &got), 0);
    cr_assert_eq(got.nkeys, 2);
    cr_assert_str_eq(got.keys[0].status, MGR_KEY_INACTIVE);
    cr_assert_eq(mgr_keys_set_status(f, u.access_key, MGR_KEY_ACTIVE, NULL), 0);
    cr_assert_eq(mgr_keys_delete(f, u.access_key, who), 0);
    cr_assert_eq(mgr_users_by_key(st, u.access_key, &got), CN_ENOENT);
    cr_assert_eq(mgr_users_get(st, "alice", &got), 0);
    cr_assert_eq(got.nkeys, 1);
    cr_assert_str_eq(got.access_key, k.id);
    cr_assert_eq(mgr_keys_delete(f, u.access_key, NULL), CN_ENOENT);

    /* a user without keys is still a user; deleting her drops every index */
    cr_assert_eq(mgr_keys_delete(f, k.id, NULL), 0);
    cr_assert_eq(mgr_users_get(st, "alice", &got), 0);
    cr_assert_eq(got.nkeys, 0);
    cr_assert_str_eq(got.access_key, "");
    j = listed(1, "alice");
    cr_assert_null(json_object_get(j, "access_key"));
    json_decref(j);
    cr_assert_eq(mgr_keys_create(f, "alice", &k), 0);
    cr_assert_eq(mgr_users_delete(f, "alice"), 0);
    cr_assert_eq(mgr_users_by_key(st, k.id, &got), CN_ENOENT);
    close_all();
}

Test(access_keys, refusals, .timeout = 20)
{
    mgr_access_key_t k;
    mgr_user_t u;

    open_all();
    cr_assert_eq(mgr_keys_create(f, "nobody", &k), CN_ENOENT);
    cr_assert_eq(mgr_users_create(f, "bob", NULL, NULL, &u), 0);
    cr_assert_eq(mgr_keys_set_status(f, u.access_key, "active", NULL), CN_EINVAL);
    cr_assert_eq(mgr_keys_set_status(f, u.access_key, "", NULL), CN_EINVAL);
    cr_assert_eq(mgr_keys_set_status(f, "AKNOSUCHKEY000000000", MGR_KEY_INACTIVE, NULL),
                 CN_ENOENT);
    for (int i = 1; i < MGR_USER_MAX_KEYS; i++)
        cr_assert_eq(mgr_keys_create(f, "bob", &k), 0, "key %d", i + 1);
    cr_assert_eq(mgr_keys_create(f, "bob", &k), CN_ENOSPC);
    cr_assert_eq(mgr_users_get(st, "bob", &u), 0);
    cr_assert_eq(u.nkeys, MGR_USER_MAX_KEYS);
    close_all();
}

#define ID_OLD "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* A state as the release before several keys left it: format 2, one key in the record. */
static void write_format2(void)
{
    static const char *const recs[][2] = {
        {"u/old", "{\"access_key\":\"AKOLD00000000000001X\",\"created_ms\":7,\"id\":\"" ID_OLD
                  "\",\"role\":\"user\",\"secret\":\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\","
                  "\"user\":\"old\"}"},
        {"k/AKOLD00000000000001X", "old"},
        {"i/" ID_OLD, "old"},
    };
    mgr_batch_t *b = mgr_batch_new();

    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
        mgr_batch_put(b, recs[i][0], recs[i][1], strlen(recs[i][1]));
    mgr_batch_put_u64(b, MGR_VER_FORMAT, 2);
    cr_assert_eq(mgr_state_open(dir, &st), 0);
    cr_assert_eq(mgr_batch_commit(st, b), 0);
    mgr_state_close(st);
}

Test(access_keys, a_format2_user_gets_its_key_listed_once, .timeout = 20)
{
    uint64_t users_ver;
    char *val;
    size_t len;
    json_t *j;
    mgr_user_t u;
    mgr_access_key_t k;

    write_format2();
    open_all(); /* migrates */
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_FORMAT), MGR_STATE_FORMAT);
    cr_assert_eq(mgr_fsm_applied(f), 0);
    cr_assert_eq(mgr_state_get(st, "u/old", &val, &len), 0);
    j = json_loadb(val, len, 0, NULL);
    cn_free(val);
    cr_assert_null(json_object_get(j, "access_key"));
    cr_assert_null(json_object_get(j, "secret"));
    cr_assert_eq(json_array_size(json_object_get(j, "keys")), 1);
    json_decref(j);
    cr_assert_eq(mgr_users_by_key(st, "AKOLD00000000000001X", &u), 0);
    cr_assert_eq(u.nkeys, 1);
    cr_assert_str_eq(u.keys[0].status, MGR_KEY_ACTIVE);
    cr_assert_str_eq(u.keys[0].secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    cr_assert_eq(u.keys[0].created_ms, 7);
    cr_assert_str_eq(u.id, ID_OLD);
    users_ver = mgr_state_get_u64(st, MGR_VER_USERS);
    cr_assert_gt(users_ver, 0);
    close_all();

    open_all(); /* idempotent */
    cr_assert_eq(mgr_state_get_u64(st, MGR_VER_USERS), users_ver);
    cr_assert_eq(mgr_keys_create(f, "old", &k), 0); /* and the state goes on */
    close_all();
}

Test(access_keys, a_backup_with_several_keys_restores, .timeout = 20)
{
    char why[256];
    size_t nrec = 0;
    mgr_access_key_t k;
    mgr_user_t u, got;
    json_t *doc;
    int rc;

    open_all();
    cr_assert_eq(mgr_users_create(f, "carol", NULL, NULL, &u), 0);
    cr_assert_eq(mgr_keys_create(f, "carol", &k), 0);
    cr_assert_eq(mgr_keys_set_status(f, u.access_key, MGR_KEY_INACTIVE, NULL), 0);
    doc = mgr_backup_export(st, &rc);
    cr_assert_eq(rc, 0);
    cr_assert_eq(mgr_users_delete(f, "carol"), 0);
    cr_assert_eq(mgr_backup_restore(f, doc, &nrec, why, sizeof(why)), 0, "%s", why);
    json_decref(doc);
    cr_assert_eq(mgr_users_by_key(st, k.id, &got), 0);
    cr_assert_eq(got.nkeys, 2);
    cr_assert_str_eq(got.keys[0].status, MGR_KEY_INACTIVE);
    cr_assert_str_eq(got.keys[1].status, MGR_KEY_ACTIVE);
    close_all();
}
