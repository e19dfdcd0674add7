/* tests/unit/manager/test_kms.c: tests manager/kms_master.c and manager/kms.c, the key
 * service's store: master key files (raw or hex, the mode check, the id against a known
 * answer computed with Python's hmac), keys created and rotated through the fsm (no log: an
 * entry applies when proposed), a KEK that is the same for the same (name, epoch) and differs
 * between epochs, a wrapped KEK moved to another epoch that does not unwrap, master rotation
 * with kms-rewrap, and backups that carry the keys (still wrapped). */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/backup.h"
#include "manager/cmd.h"
#include "manager/fsm.h"
#include "manager/kms.h"
#include "manager/kms_master.h"
#include "manager/state.h"
#include "tests/harness/tmpdir.h"
#include "tests/unit/manager/kms_samples.h"

static char dir[PATH_MAX], dir2[PATH_MAX];
static mgr_state_t *st;
static mgr_fsm_t *fsm;

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    t_tmpdir_make(dir2, sizeof(dir2));
    cr_assert_eq(mgr_state_open(dir, &st), 0);
    cr_assert_eq(mgr_fsm_create(st, NULL, NULL, &fsm), 0);
}
static void teardown(void)
{
    mgr_fsm_destroy(fsm);
    mgr_state_close(st);
    t_tmpdir_remove(dir);
    t_tmpdir_remove(dir2);
}
TestSuite(kms, .init = setup, .fini = teardown);

/* Writes bytes to dir/name with mode; returns the path (static). */
static const char *key_file(const char *name, const void *p, size_t n, mode_t mode)
{
    static char path[PATH_MAX + 32];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir2, name);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, p, n), (ssize_t)n);
    close(fd);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

static int propose(const mgr_cmd_t *c)
{
    return mgr_fsm_propose_wait(fsm, c, NULL);
}

typedef int (*make_fn)(mgr_state_t *, const mgr_kms_masters_t *, const char *, uint64_t,
                       mgr_cmd_t *);

/* Makes an entry with make (kms.c's proposer) and proposes it. */
static int change(make_fn make, const mgr_kms_masters_t *m, const char *name)
{
    mgr_cmd_t c;
    int rc = make(st, m, name, 1700000000000ull, &c);

    if (rc == 0) {
        rc = propose(&c);
        mgr_cmd_dispose(&c);
    }
    return rc;
}

static int create(const mgr_kms_masters_t *m, const char *name)
{
    return change(mgr_kms_create_cmd, m, name);
}

static int rotate(const mgr_kms_masters_t *m, const char *name)
{
    return change(mgr_kms_rotate_cmd, m, name);
}

Test(kms, master_files_raw_or_hex_mode_0600, .timeout = 10)
{
    static const char hex[] = "000102030405060708090a0b0c0d0e0f"
                              "101112131415161718191a1b1c1d1e1f";
    uint8_t raw[CN_SSE_KEY_LEN], key[CN_SSE_KEY_LEN];
    mgr_kms_master_t m;
    char err[512], line[80];

    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (uint8_t)i;
    cr_assert_eq(mgr_kms_master_parse(raw, 32, key), 0);
    cr_assert_arr_eq(key, raw, 32);
    memset(key, 0, sizeof(key));
    cr_assert_eq(mgr_kms_master_parse(hex, 64, key), 0);
    cr_assert_arr_eq(key, raw, 32);
    snprintf(line, sizeof(line), "%s\n", hex);
    cr_assert_eq(mgr_kms_master_parse(line, 65, key), 0);
    cr_assert_eq(mgr_kms_master_parse(line, 63, key), CN_EINVAL);
    cr_assert_eq(mgr_kms_master_parse(raw, 31, key), CN_EINVAL);
    cr_assert_eq(mgr_kms_master_parse(raw, 0, key), CN_EINVAL);
    line[64] = ' '; /* not a newline */
    cr_assert_eq(mgr_kms_master_parse(line, 65, key), CN_EINVAL);
    line[0] = 'g';
    cr_assert_eq(mgr_kms_master_parse(line, 64, key), CN_EINVAL);

    /* the id: HMAC-SHA256(key, "cairn sse master id v1")[0..8] in hex (Python's hmac) */
    cr_assert_eq(mgr_kms_master_load(key_file("raw", raw, 32, 0600), &m, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert(m.set);
    cr_assert_str_eq(m.id, "da7f61abd6268819");
    cr_assert_eq(mgr_kms_master_load(key_file("hex", line + 0, 0, 0600), &m, err, sizeof(err)),
                 CN_ECONFIG);
    cr_assert_eq(mgr_kms_master_load(key_file("hex2", hex, 64, 0400), &m, err, sizeof(err)), 0);
    cr_assert_str_eq(m.id, "da7f61abd6268819");
    /* group or others may read it: refused, with the fix in the reason */
    cr_assert_eq(mgr_kms_master_load(key_file("open", raw, 32, 0644), &m, err, sizeof(err)),
                 CN_ECONFIG);
    cr_assert(strstr(err, "chmod 600") != NULL, "%s", err);
    cr_assert_eq(m.set, 0);
    cr_assert_eq(mgr_kms_master_load(key_file("grp", raw, 32, 0640), &m, err, sizeof(err)),
                 CN_ECONFIG);
    cr_assert_eq(mgr_kms_master_load("/nonexistent/key", &m, err, sizeof(err)), CN_ECONFIG);
}

Test(kms, previous_master_needs_a_different_current_one, .timeout = 10)
{
    uint8_t a[CN_SSE_KEY_LEN], b[CN_SSE_KEY_LEN];
    char pa[PATH_MAX + 32], pb[PATH_MAX + 32], err[512];
    mgr_kms_masters_t m;

    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    snprintf(pa, sizeof(pa), "%s", key_file("a", a, 32, 0600));
    snprintf(pb, sizeof(pb), "%s", key_file("b", b, 32, 0600));
    cr_assert_eq(mgr_kms_masters_load("", "", &m, err, sizeof(err)), 0);
    cr_assert_eq(m.cur.set, 0);
    cr_assert_eq(mgr_kms_masters_load(NULL, pa, &m, err, sizeof(err)), CN_ECONFIG);
    cr_assert_eq(mgr_kms_masters_load(pa, pa, &m, err, sizeof(err)), CN_ECONFIG);
    cr_assert(strstr(err, "same key") != NULL, "%s", err);
    cr_assert_eq(mgr_kms_masters_load(pb, pa, &m, err, sizeof(err)), 0, "%s", err);
    cr_assert(m.cur.set && m.prev.set);
    cr_assert_str_neq(m.cur.id, m.prev.id);
    cr_assert_eq(mgr_kms_masters_find(&m, m.prev.id), &m.prev);
    cr_assert_null(mgr_kms_masters_find(&m, "0000000000000000"));
    mgr_kms_masters_dispose(&m);
    cr_assert_eq(m.cur.set, 0);
}

Test(kms, keys_epochs_and_what_each_answers, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)}, none = {0}, other = {.cur = t_master_of(9)};
    uint8_t k1[CN_SSE_KEY_LEN], k2[CN_SSE_KEY_LEN], k[CN_SSE_KEY_LEN];
    uint64_t e = 0;
    json_t *list;
    char *txt;
    int rc;

    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 0, &e, k), CN_ENOENT, "no key before first use");
    cr_assert_eq(create(&none, "aws/s3"), CN_ENOTSUP);
    cr_assert_eq(create(&m, "bad name"), CN_EINVAL);
    cr_assert_eq(create(&m, ""), CN_EINVAL);
    cr_assert_eq(create(&m, "aws/s3"), 0);
    cr_assert_eq(create(&m, "aws/s3"), CN_EEXIST);
    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 0, &e, k1), 0);
    cr_assert_eq(e, 1);
    cr_assert_eq(rotate(&m, "aws/s3"), 0);
    cr_assert_eq(rotate(&m, "nokey"), CN_ENOENT);
    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 0, &e, k2), 0);
    cr_assert_eq(e, 2);
    cr_assert(memcmp(k1, k2, sizeof(k1)) != 0, "each epoch has its own KEK");
    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 1, &e, k), 0);
    cr_assert_eq(e, 1);
    cr_assert_arr_eq(k, k1, sizeof(k), "an old epoch stays readable, the same KEK");
    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 2, &e, k), 0);
    cr_assert_arr_eq(k, k2, sizeof(k));
    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 3, &e, k), CN_ENOENT);
    cr_assert_eq(mgr_kms_get(st, &m, "other", 0, &e, k), CN_ENOENT);
    cr_assert_eq(mgr_kms_get(st, &none, "aws/s3", 1, &e, k), CN_ENOTSUP);
    cr_assert_eq(mgr_kms_get(st, &other, "aws/s3", 1, &e, k), CN_ECORRUPT,
                 "a master this manager does not hold");

    /* the list: names, epochs, master ids; no wrapped bytes, no key */
    cr_assert_eq(create(&m, "app/k:1"), 0);
    list = mgr_kms_list_json(st, &rc);
    cr_assert_not_null(list);
    cr_assert_eq(json_array_size(list), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "name")),
                     "aws/s3");
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(list, 1), "newest")), 2);
    cr_assert_str_eq(json_string_value(json_array_get(
                         json_object_get(json_array_get(list, 1), "masters"), 0)),
                     m.cur.id);
    txt = json_dumps(list, 0);
    cr_assert_null(strstr(txt, "wrapped"), "%s", txt);
    free(txt);
    json_decref(list);
}

Test(kms, a_wrapped_kek_moved_to_another_epoch_does_not_unwrap, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    uint8_t k[CN_SSE_KEY_LEN];
    mgr_kms_wrap_t w;
    uint64_t e;
    char *val;
    json_t *rec;
    mgr_cmd_t c;
    size_t len;

    cr_assert_eq(create(&m, "k"), 0);
    cr_assert_eq(rotate(&m, "k"), 0);
    cr_assert_eq(create(&m, "j"), 0);
    /* epoch 1's wrapped bytes, put in place of epoch 2's and of j's epoch 1 */
    cr_assert_eq(mgr_state_get(st, "s/k", &val, &len), 0);
    rec = json_loadb(val, len, 0, NULL);
    cn_free(val);
    memset(&w, 0, sizeof(w));
    cr_assert_eq(cn_base64_decode(json_string_value(json_object_get(
                                      json_array_get(json_object_get(rec, "epochs"), 0),
                                      "wrapped")),
                                  80, w.wrapped, sizeof(w.wrapped), &len),
                 0);
    json_decref(rec);
    snprintf(w.master, sizeof(w.master), "%s", m.cur.id);
    mgr_cmd_init(&c, MGR_CMD_KMS_REWRAP);
    snprintf(w.name, sizeof(w.name), "k");
    w.epoch = 2;
    mgr_cmd_add_wrap(&c, &w);
    snprintf(w.name, sizeof(w.name), "j");
    w.epoch = 1;
    mgr_cmd_add_wrap(&c, &w);
    cr_assert_eq(propose(&c), 0);
    mgr_cmd_dispose(&c);
    cr_assert_eq(mgr_kms_get(st, &m, "k", 1, &e, k), 0);
    cr_assert_eq(mgr_kms_get(st, &m, "k", 2, &e, k), CN_ECORRUPT, "another epoch");
    cr_assert_eq(mgr_kms_get(st, &m, "j", 1, &e, k), CN_ECORRUPT, "another name");
}

Test(kms, master_rotation_with_rewrap_keeps_every_kek, .timeout = 20)
{
    mgr_kms_masters_t m1 = {.cur = t_master_of(1)}, both = {.cur = t_master_of(2), .prev = m1.cur},
                      m2 = {.cur = t_master_of(2)}, m3 = {.cur = t_master_of(3)};
    uint8_t before[3][CN_SSE_KEY_LEN], k[CN_SSE_KEY_LEN];
    size_t others = 9;
    uint64_t e;
    mgr_cmd_t c;

    cr_assert_eq(create(&m1, "a"), 0);
    cr_assert_eq(rotate(&m1, "a"), 0);
    cr_assert_eq(create(&m1, "b"), 0);
    cr_assert_eq(create(&m3, "c"), 0); /* under a master nobody here holds */
    cr_assert_eq(mgr_kms_get(st, &m1, "a", 1, &e, before[0]), 0);
    cr_assert_eq(mgr_kms_get(st, &m1, "a", 2, &e, before[1]), 0);
    cr_assert_eq(mgr_kms_get(st, &m1, "b", 1, &e, before[2]), 0);
    cr_assert_eq(mgr_kms_get(st, &m2, "a", 1, &e, k), CN_ECORRUPT, "not rewrapped yet");
    /* the new master with the previous one: reads go on, new keys use the new master */
    cr_assert_eq(mgr_kms_get(st, &both, "a", 2, &e, k), 0);
    cr_assert_arr_eq(k, before[1], sizeof(k));
    cr_assert_eq(mgr_kms_rewrap_cmd(st, &both, &c, &others), 0);
    cr_assert_eq(c.nwraps, 3);
    cr_assert_eq(others, 1, "c's master is neither");
    for (size_t i = 0; i < c.nwraps; i++)
        cr_assert_str_eq(c.wraps[i].master, m2.cur.id);
    cr_assert_eq(propose(&c), 0);
    mgr_cmd_dispose(&c);
    cr_assert_eq(mgr_kms_rewrap_cmd(st, &both, &c, &others), 0);
    cr_assert_eq(c.nwraps, 0, "nothing left under the previous master");
    mgr_cmd_dispose(&c);
    /* the new master alone: every KEK the same as before */
    cr_assert_eq(mgr_kms_get(st, &m2, "a", 1, &e, k), 0);
    cr_assert_arr_eq(k, before[0], sizeof(k));
    cr_assert_eq(mgr_kms_get(st, &m2, "a", 2, &e, k), 0);
    cr_assert_arr_eq(k, before[1], sizeof(k));
    cr_assert_eq(mgr_kms_get(st, &m2, "b", 0, &e, k), 0);
    cr_assert_arr_eq(k, before[2], sizeof(k));
    cr_assert_eq(mgr_kms_get(st, &m1, "a", 1, &e, k), CN_ECORRUPT, "the old master is out");
    cr_assert_eq(mgr_kms_rewrap_cmd(st, &(mgr_kms_masters_t){0}, &c, &others), CN_ENOTSUP);
}

Test(kms, backups_carry_the_keys_wrapped, .timeout = 20)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    uint8_t k1[CN_SSE_KEY_LEN], k[CN_SSE_KEY_LEN];
    mgr_state_t *st2;
    mgr_fsm_t *f2;
    json_t *doc;
    char why[256], *txt, b64[64];
    size_t n = 0;
    uint64_t e;
    int rc;

    cr_assert_eq(create(&m, "aws/s3"), 0);
    cr_assert_eq(mgr_kms_get(st, &m, "aws/s3", 1, &e, k1), 0);
    doc = mgr_backup_export(st, &rc);
    cr_assert_not_null(doc);
    txt = json_dumps(doc, 0);
    cr_assert_not_null(strstr(txt, "\"s/aws/s3\""), "%s", txt);
    EVP_EncodeBlock((unsigned char *)b64, k1, 32); /* the KEK itself is nowhere */
    cr_assert_null(strstr(txt, b64));
    free(txt);
    cr_assert_eq(mgr_state_open(dir2, &st2), 0);
    cr_assert_eq(mgr_fsm_create(st2, NULL, NULL, &f2), 0);
    cr_assert_eq(mgr_backup_restore(f2, doc, &n, why, sizeof(why)), 0, "%s", why);
    cr_assert_eq(mgr_kms_get(st2, &m, "aws/s3", 0, &e, k), 0);
    cr_assert_arr_eq(k, k1, sizeof(k));
    json_decref(doc);
    mgr_fsm_destroy(f2);
    mgr_state_close(st2);
}

/* A manager started with the wrong master key file is told at startup (main.c): the epochs
 * wrapped by a master it holds neither as current nor as previous are counted, the first
 * one's id named. */
Test(kms, epochs_of_a_master_not_held_are_counted, .timeout = 10)
{
    mgr_kms_masters_t m1 = {.cur = t_master_of(1)}, m2 = {.cur = t_master_of(2)},
                      both = {.cur = t_master_of(2), .prev = m1.cur};
    char id[MGR_KMS_ID_LEN + 1];

    cr_assert_eq(mgr_kms_unknown_masters(st, &m2, id), 0, "no key yet");
    cr_assert_eq(create(&m1, "a"), 0);
    cr_assert_eq(rotate(&m1, "a"), 0);
    cr_assert_eq(create(&m1, "b"), 0);
    cr_assert_eq(mgr_kms_unknown_masters(st, &m1, id), 0);
    cr_assert_eq(mgr_kms_unknown_masters(st, &both, id), 0, "the previous one holds them");
    cr_assert_eq(mgr_kms_unknown_masters(st, &m2, id), 3);
    cr_assert_str_eq(id, m1.cur.id);
    cr_assert_eq(mgr_kms_unknown_masters(st, &(mgr_kms_masters_t){0}, id), 3, "no master");
}
