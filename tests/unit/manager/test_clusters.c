/* tests/unit/manager/test_clusters.c: tests manager/clusters.c and admin_clusters.c, this
 * cluster's id and its links to other clusters (issue 22, state only), on a real RocksDB in a
 * temp dir, every change through the fsm (no log: an entry applies when proposed):
 *   - the leader's duty proposes an id once, a state that has one keeps it;
 *   - join-cluster's refusals, each with its reason: a bad id or address list, this cluster's
 *     own id, no id yet, no master key, a CA that is not a certificate or holds a key, a
 *     second link to one id, a fifth link;
 *   - a link's secret is kept wrapped: no read shows it, it unwraps to the bytes given, and
 *     the wrapped bytes of one link do not unwrap as another's;
 *   - removal in two steps (removing, then the leader's duty drops it), survival across a
 *     reopen, master rotation with rewrap, backups (a restore takes the backup's id, or keeps
 *     this one when the backup has none);
 *   - the admin handlers: 201/200/400/404/409/501/503, never the secret in an answer or the
 *     audit record;
 *   - what the storage nodes get: links_sum (0 for nothing, changed by an id, a link added,
 *     its state, its removal), get_links's JSON (each secret unwrapped = the one joined, ""
 *     when it does not unwrap, the CA only where there is one), the heartbeats' xdc_stats
 *     summed into a link's live figures. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/admin_int.h"
#include "manager/backup.h"
#include "manager/clusters.h"
#include "manager/cmd.h"
#include "manager/fsm.h"
#include "manager/kms_master.h"
#include "manager/state.h"
#include "tests/harness/tmpdir.h"
#include "tests/unit/manager/admin_call.h"
#include "tests/unit/manager/kms_samples.h"

#define REMOTE_A "aaaaaaaaaaaaaaaa"
#define REMOTE_B "bbbbbbbbbbbbbbbb"

static char dir[PATH_MAX], dir2[PATH_MAX];
static mgr_state_t *st;
static mgr_fsm_t *fsm;
static int busy;

static void open_all(void)
{
    cr_assert_eq(mgr_state_open(dir, &st), 0);
    cr_assert_eq(mgr_fsm_create(st, NULL, NULL, &fsm), 0);
}

static void close_all(void)
{
    mgr_fsm_destroy(fsm);
    mgr_state_close(st);
}

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    t_tmpdir_make(dir2, sizeof(dir2));
    open_all();
    busy = 0;
}
static void teardown(void)
{
    close_all();
    t_tmpdir_remove(dir);
    t_tmpdir_remove(dir2);
}
TestSuite(clusters, .init = setup, .fini = teardown);


/* A secret whose bytes are fill, fill + 3, ... */
static void secret_of(uint8_t fill, uint8_t out[MGR_CLUSTER_SECRET_LEN])
{
    for (size_t i = 0; i < MGR_CLUSTER_SECRET_LEN; i++)
        out[i] = (uint8_t)(fill + 3 * i);
}

/* The leader's duty once; returns this cluster's id afterwards (static). */
static const char *make_id(void)
{
    static char id[MGR_CLUSTER_ID_LEN + 1];

    mgr_clusters_cron(fsm, &busy, 1700000000000ull);
    cr_assert_eq(busy, 0, "done clears busy (at once without a log)");
    cr_assert_eq(mgr_clusters_id(st, id), 0);
    return id;
}

/* join-cluster through clusters.c and the fsm: what the proposer or the apply decided. */
static int join_ca(const mgr_kms_masters_t *m, const char *id, const char *managers,
                   uint8_t fill, const char *ca, char *why, size_t whylen)
{
    uint8_t secret[MGR_CLUSTER_SECRET_LEN];
    struct mgr_cluster_join j = {id, managers, secret, ca, ca != NULL ? strlen(ca) : 0};
    mgr_cmd_t c;
    int rc;

    secret_of(fill, secret);
    if ((rc = mgr_clusters_join_cmd(st, m, &j, 1700000000100ull, &c, why, whylen)) != 0)
        return rc;
    rc = mgr_fsm_propose_wait(fsm, &c, NULL);
    mgr_cmd_dispose(&c);
    return rc;
}

static int join(const mgr_kms_masters_t *m, const char *id, const char *managers, uint8_t fill)
{
    char why[512];
    int rc = join_ca(m, id, managers, fill, NULL, why, sizeof(why));

    return rc;
}

static int set_state(const char *id, const char *from, const char *to)
{
    mgr_cmd_t c;
    int rc;

    mgr_clusters_state_cmd(&c, id, from, to);
    rc = mgr_fsm_propose_wait(fsm, &c, NULL);
    mgr_cmd_dispose(&c);
    return rc;
}

/* A self-signed certificate (and its key), as PEM text. cn_free both. */
static void make_cert(char **cert, char **key)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIO *b;
    char *p;
    long n;

    cr_assert_not_null(pk);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pk);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                               (const unsigned char *)"cairn test CA", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    cr_assert(X509_sign(x, pk, EVP_sha256()) > 0);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    n = BIO_get_mem_data(b, &p);
    *cert = cn_strndup(p, (size_t)n);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
    n = BIO_get_mem_data(b, &p);
    *key = cn_strndup(p, (size_t)n);
    BIO_free(b);
    X509_free(x);
    EVP_PKEY_free(pk);
}

Test(clusters, the_leader_makes_the_id_once, .timeout = 10)
{
    char id[MGR_CLUSTER_ID_LEN + 1], again[MGR_CLUSTER_ID_LEN + 1];
    uint64_t applied;
    mgr_cmd_t c;

    cr_assert_eq(mgr_clusters_id(st, id), CN_ENOENT, "a new state has no id");
    snprintf(id, sizeof(id), "%s", make_id());
    cr_assert(mgr_clusters_id_valid(id), "%s", id);
    applied = mgr_fsm_applied(fsm);
    mgr_clusters_cron(fsm, &busy, 1700000001000ull);
    cr_assert_eq(mgr_fsm_applied(fsm), applied, "a state with an id gets no other entry");
    /* another leader's proposal that lost the race changes nothing */
    cr_assert_eq(mgr_clusters_id_cmd(1700000002000ull, &c), 0);
    cr_assert_str_neq(c.cluster_id, id, "64 random bits");
    cr_assert_eq(mgr_fsm_propose_wait(fsm, &c, NULL), CN_EEXIST);
    mgr_cmd_dispose(&c);
    /* a busy duty waits for its entry */
    busy = 1;
    mgr_clusters_cron(fsm, &busy, 1700000003000ull);
    cr_assert_eq(busy, 1);
    busy = 0;
    close_all();
    open_all();
    cr_assert_eq(mgr_clusters_id(st, again), 0);
    cr_assert_str_eq(again, id, "the id survives a reopen");
}

Test(clusters, join_refusals_say_why, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)}, none = {0};
    char why[512], own[MGR_CLUSTER_ID_LEN + 1], many[600] = "";
    char *cert, *key, *both;
    size_t n;

    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1, NULL, why, sizeof(why)), CN_EAGAIN);
    cr_assert(strstr(why, "no id yet") != NULL, "%s", why);
    snprintf(own, sizeof(own), "%s", make_id());
    cr_assert_eq(join_ca(&m, "AAAAAAAAAAAAAAAA", "10.1.0.1:10010", 1, NULL, why, sizeof(why)),
                 CN_EINVAL);
    cr_assert(strstr(why, "16 lower-case hex") != NULL, "%s", why);
    cr_assert_eq(join_ca(&m, "aaaa", "10.1.0.1:10010", 1, NULL, why, sizeof(why)), CN_EINVAL);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1", 1, NULL, why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "managers: ") != NULL, "%s", why);
    cr_assert_eq(join_ca(&m, REMOTE_A, "", 1, NULL, why, sizeof(why)), CN_EINVAL);
    for (int i = 0; i < 8; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s10.1.0.%d:10010",
                 i ? "," : "", i + 1);
    cr_assert_eq(join_ca(&m, REMOTE_A, many, 1, NULL, why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "at most 7") != NULL, "%s", why);
    cr_assert_eq(join_ca(&m, own, "10.1.0.1:10010", 1, NULL, why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "own id") != NULL, "%s", why);
    cr_assert_eq(join_ca(&none, REMOTE_A, "10.1.0.1:10010", 1, NULL, why, sizeof(why)),
                 CN_ENOTSUP);
    cr_assert(strstr(why, "sse_master_key_file") != NULL, "%s", why);
    /* the CA: a certificate, nothing else */
    make_cert(&cert, &key);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1, "not pem", why, sizeof(why)),
                 CN_EINVAL);
    cr_assert(strstr(why, "no PEM certificate") != NULL, "%s", why);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1, key, why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "private key") != NULL, "%s", why);
    n = strlen(cert) + strlen(key) + 1;
    both = cn_malloc(n);
    snprintf(both, n, "%s%s", cert, key);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1, both, why, sizeof(why)),
                 CN_EINVAL, "a key after the certificate is refused too");
    cn_free(both);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1,
                         "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                         why, sizeof(why)), CN_EINVAL);
    cr_assert(strstr(why, "does not parse") != NULL, "%s", why);
    cr_assert_eq(mgr_clusters_count(st), 0, "no refusal wrote a link");
    cr_assert_eq(join_ca(&m, REMOTE_A, " 10.1.0.1:10010 ,10.1.0.2:10010", 1, cert, why,
                         sizeof(why)), 0, "%s", why);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.3:10010", 2, NULL, why, sizeof(why)), CN_EEXIST);
    cr_assert(strstr(why, "linked already") != NULL, "%s", why);
    cn_free(cert);
    cn_free(key);
}

Test(clusters, at_most_four_links, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    static const char *const ids[] = {"1111111111111111", "2222222222222222",
                                      "3333333333333333", "4444444444444444"};
    char why[512];

    make_id();
    for (int i = 0; i < 4; i++)
        cr_assert_eq(join(&m, ids[i], "10.1.0.1:10010", (uint8_t)i), 0, "link %d", i + 1);
    cr_assert_eq(mgr_clusters_count(st), MGR_CLUSTER_LINKS_MAX);
    cr_assert_eq(join_ca(&m, "5555555555555555", "10.1.0.1:10010", 5, NULL, why, sizeof(why)),
                 CN_ENOSPC);
    cr_assert(strstr(why, "4 links") != NULL, "%s", why);
    /* a link being removed still holds its place, until the leader dropped it */
    cr_assert_eq(set_state(ids[0], MGR_LINK_LINKED, MGR_LINK_REMOVING), 0);
    cr_assert_eq(join(&m, "5555555555555555", "10.1.0.1:10010", 5), CN_ENOSPC);
    mgr_clusters_cron(fsm, &busy, 1700000000000ull);
    cr_assert_eq(mgr_clusters_count(st), 3);
    cr_assert_eq(join(&m, "5555555555555555", "10.1.0.1:10010", 5), 0);
}

Test(clusters, the_secret_is_kept_wrapped_and_bound_to_its_link, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)}, other = {.cur = t_master_of(9)};
    uint8_t want[MGR_CLUSTER_SECRET_LEN], got[MGR_CLUSTER_SECRET_LEN];
    mgr_cluster_link_t a, b;
    char hex[2 * MGR_CLUSTER_SECRET_LEN + 1], b64[64], *txt;
    json_t *list;
    mgr_cmd_t c;
    int rc;

    make_id();
    cr_assert_eq(join(&m, REMOTE_A, "10.1.0.1:10010,h.example:10010", 7), 0);
    cr_assert_eq(join(&m, REMOTE_B, "10.2.0.1:10010", 8), 0);
    secret_of(7, want);
    cr_assert_eq(mgr_clusters_secret(st, &m, REMOTE_A, got), 0);
    cr_assert_arr_eq(got, want, sizeof(got));
    cr_assert_eq(mgr_clusters_secret(st, &other, REMOTE_A, got), CN_ECORRUPT,
                 "another master does not unwrap it");
    cr_assert_eq(mgr_clusters_secret(st, &(mgr_kms_masters_t){0}, REMOTE_A, got), CN_ENOTSUP);
    cr_assert_eq(mgr_clusters_secret(st, &m, "cccccccccccccccc", got), CN_ENOENT);
    /* nothing shows the secret, in hex or base64, wrapped or not */
    list = mgr_clusters_list_json(st, &rc);
    cr_assert_not_null(list);
    cr_assert_eq(json_array_size(list), 2);
    txt = json_dumps(list, 0);
    cn_hex(want, sizeof(want), hex);
    EVP_EncodeBlock((unsigned char *)b64, want, sizeof(want));
    cr_assert_null(strstr(txt, hex));
    cr_assert_null(strstr(txt, b64));
    cr_assert_null(strstr(txt, "wrapped"), "%s", txt);
    cr_assert_null(strstr(txt, "secret"), "%s", txt);
    cr_assert(strstr(txt, "\"h.example:10010\"") != NULL, "%s", txt);
    cr_assert(strstr(txt, "\"last_ok\": null") != NULL, "the sender's fields: never yet: %s",
              txt);
    free(txt);
    json_decref(list);
    /* B's wrapped bytes put on A (a rewrap entry carries any bytes): they do not unwrap as
     * A's secret, since the AAD names the link */
    cr_assert_eq(mgr_clusters_get(st, REMOTE_A, &a), 0);
    cr_assert_eq(mgr_clusters_get(st, REMOTE_B, &b), 0);
    cr_assert_str_eq(a.managers, "10.1.0.1:10010,h.example:10010");
    cr_assert_str_eq(a.state, MGR_LINK_LINKED);
    cr_assert_str_eq(a.master, m.cur.id);
    mgr_cmd_init(&c, MGR_CMD_CLUSTER_LINK_REWRAP);
    snprintf(c.link.id, sizeof(c.link.id), REMOTE_A);
    snprintf(c.link.master, sizeof(c.link.master), "%s", b.master);
    memcpy(c.link.wrapped, b.wrapped, sizeof(b.wrapped));
    cr_assert_eq(mgr_fsm_propose_wait(fsm, &c, NULL), 0);
    mgr_cmd_dispose(&c);
    cr_assert_eq(mgr_clusters_secret(st, &m, REMOTE_A, got), CN_ECORRUPT);
    cr_assert_eq(mgr_clusters_unknown_masters(st, &other, hex), 2);
    cr_assert_str_eq(hex, m.cur.id);
    cr_assert_eq(mgr_clusters_unknown_masters(st, &m, hex), 0);
}

Test(clusters, removal_is_two_steps_and_links_survive_a_reopen, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    mgr_cluster_link_t l;
    char *pem = NULL, *cert, *key, why[512];
    size_t len = 0;

    make_id();
    make_cert(&cert, &key);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1, cert, why, sizeof(why)), 0, "%s",
                 why);
    cr_assert_eq(join(&m, REMOTE_B, "10.2.0.1:10010", 2), 0);
    cr_assert_eq(mgr_clusters_ca(st, REMOTE_A, &pem, &len), 0);
    cr_assert_str_eq(pem, cert);
    cn_free(pem);
    cr_assert_eq(mgr_clusters_ca(st, REMOTE_B, &pem, &len), CN_ENOENT, "B has no CA");
    close_all();
    open_all();
    cr_assert_eq(mgr_clusters_count(st), 2, "the links survive a reopen");
    cr_assert_eq(mgr_clusters_get(st, REMOTE_A, &l), 0);
    cr_assert_str_eq(l.managers, "10.1.0.1:10010");
    /* remove: removing first, the same again is refused (the handler answers it as done) */
    cr_assert_eq(set_state(REMOTE_A, MGR_LINK_LINKED, MGR_LINK_REMOVING), 0);
    cr_assert_eq(set_state(REMOTE_A, MGR_LINK_LINKED, MGR_LINK_REMOVING), CN_EBUSY);
    cr_assert_eq(mgr_clusters_get(st, REMOTE_A, &l), 0);
    cr_assert_str_eq(l.state, MGR_LINK_REMOVING);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010", 1, NULL, why, sizeof(why)), CN_EEXIST);
    cr_assert(strstr(why, "being removed") != NULL, "%s", why);
    /* the leader's duty drops it; B stays */
    mgr_clusters_cron(fsm, &busy, 1700000000000ull);
    cr_assert_eq(mgr_clusters_get(st, REMOTE_A, &l), CN_ENOENT);
    cr_assert_eq(mgr_clusters_get(st, REMOTE_B, &l), 0);
    cr_assert_str_eq(l.state, MGR_LINK_LINKED);
    cr_assert_eq(join(&m, REMOTE_A, "10.1.0.9:10010", 3), 0, "linked again once gone");
    cn_free(cert);
    cn_free(key);
}

Test(clusters, master_rotation_with_rewrap_keeps_every_secret, .timeout = 10)
{
    mgr_kms_masters_t m1 = {.cur = t_master_of(1)}, both = {.cur = t_master_of(2), .prev = m1.cur},
                      m2 = {.cur = t_master_of(2)}, m3 = {.cur = t_master_of(3)};
    uint8_t want[MGR_CLUSTER_SECRET_LEN], got[MGR_CLUSTER_SECRET_LEN];
    size_t others = 9, done = 0;
    mgr_cmd_t c;

    make_id();
    cr_assert_eq(join(&m1, REMOTE_A, "10.1.0.1:10010", 1), 0);
    cr_assert_eq(join(&m1, REMOTE_B, "10.2.0.1:10010", 2), 0);
    cr_assert_eq(join(&m3, "cccccccccccccccc", "10.3.0.1:10010", 3), 0); /* a third master */
    while (mgr_clusters_rewrap_cmd(st, &both, &c, &others) == 0 && c.kind != MGR_CMD_NONE) {
        cr_assert_str_eq(c.link.master, m2.cur.id);
        cr_assert_eq(mgr_fsm_propose_wait(fsm, &c, NULL), 0);
        mgr_cmd_dispose(&c);
        cr_assert_lt(++done, 5);
    }
    cr_assert_eq(done, 2);
    cr_assert_eq(others, 1, "c's master is neither");
    secret_of(1, want);
    cr_assert_eq(mgr_clusters_secret(st, &m2, REMOTE_A, got), 0);
    cr_assert_arr_eq(got, want, sizeof(got));
    secret_of(2, want);
    cr_assert_eq(mgr_clusters_secret(st, &m2, REMOTE_B, got), 0);
    cr_assert_arr_eq(got, want, sizeof(got));
    cr_assert_eq(mgr_clusters_secret(st, &m1, REMOTE_A, got), CN_ECORRUPT, "the old one is out");
    cr_assert_eq(mgr_clusters_rewrap_cmd(st, &(mgr_kms_masters_t){0}, &c, &others), CN_ENOTSUP);
}

/* Restores a copy of doc with (keep_id) or without its c/id record into dir2's state. */
static void restore_into(mgr_fsm_t *f2, const json_t *doc, int keep_id)
{
    json_t *copy = json_deep_copy(doc), *recs = json_object_get(copy, "records"), *r;
    char why[256];
    size_t i, n = 0;

    json_array_foreach(recs, i, r) {
        if (!keep_id && strcmp(json_string_value(json_object_get(r, "key")),
                               MGR_CLUSTER_ID_KEY) == 0) {
            json_array_remove(recs, i);
            break;
        }
    }
    cr_assert_eq(mgr_backup_restore(f2, copy, &n, why, sizeof(why)), 0, "%s", why);
    json_decref(copy);
}

Test(clusters, a_restore_takes_the_backups_id_or_keeps_its_own, .timeout = 20)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    uint8_t want[MGR_CLUSTER_SECRET_LEN], got[MGR_CLUSTER_SECRET_LEN];
    char ours[MGR_CLUSTER_ID_LEN + 1], theirs[MGR_CLUSTER_ID_LEN + 1], id[MGR_CLUSTER_ID_LEN + 1];
    mgr_state_t *st2;
    mgr_fsm_t *f2;
    int busy2 = 0, rc;
    json_t *doc;
    char *txt;

    snprintf(ours, sizeof(ours), "%s", make_id());
    cr_assert_eq(join(&m, REMOTE_A, "10.1.0.1:10010", 4), 0);
    doc = mgr_backup_export(st, &rc);
    cr_assert_not_null(doc);
    txt = json_dumps(doc, 0);
    cr_assert(strstr(txt, "\"l/" REMOTE_A "\"") != NULL);
    cr_assert(strstr(txt, "\"c/id\"") != NULL);
    free(txt);
    cr_assert_eq(mgr_state_open(dir2, &st2), 0);
    cr_assert_eq(mgr_fsm_create(st2, NULL, NULL, &f2), 0);
    mgr_clusters_cron(f2, &busy2, 1700000000000ull);
    cr_assert_eq(mgr_clusters_id(st2, theirs), 0);
    cr_assert_str_neq(theirs, ours);
    /* a backup without an id (a release before ids): this cluster keeps its own */
    restore_into(f2, doc, 0);
    cr_assert_eq(mgr_clusters_id(st2, id), 0);
    cr_assert_str_eq(id, theirs);
    cr_assert_eq(mgr_clusters_count(st2), 1, "the links come with it");
    /* a backup with one: the cluster it restores is that one */
    restore_into(f2, doc, 1);
    cr_assert_eq(mgr_clusters_id(st2, id), 0);
    cr_assert_str_eq(id, ours);
    secret_of(4, want);
    cr_assert_eq(mgr_clusters_secret(st2, &m, REMOTE_A, got), 0, "the same master unwraps it");
    cr_assert_arr_eq(got, want, sizeof(got));
    /* a snapshot carries both */
    json_decref(doc);
    mgr_fsm_destroy(f2);
    mgr_state_close(st2);
}

/* ---- what the storage nodes get (links_sum, get_links, xdc_stats) -------------------------- */

Test(clusters, links_sum_follows_the_id_and_every_link, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    uint64_t none, with_id, one, two, removing, back;

    none = mgr_clusters_sum(st);
    cr_assert_eq(none, 0, "no id and no link: 0");
    make_id();
    with_id = mgr_clusters_sum(st);
    cr_assert_neq(with_id, 0);
    cr_assert_eq(mgr_clusters_sum(st), with_id, "stable");
    cr_assert_eq(join(&m, REMOTE_A, "10.1.0.1:10010", 1), 0);
    one = mgr_clusters_sum(st);
    cr_assert_neq(one, with_id, "a link added changes it");
    cr_assert_eq(join(&m, REMOTE_B, "10.2.0.1:10010", 2), 0);
    two = mgr_clusters_sum(st);
    cr_assert_neq(two, one);
    cr_assert_eq(set_state(REMOTE_B, MGR_LINK_LINKED, MGR_LINK_REMOVING), 0);
    removing = mgr_clusters_sum(st);
    cr_assert_neq(removing, two, "a link's state changes it");
    mgr_clusters_cron(fsm, &busy, 1700000000000ull);
    back = mgr_clusters_sum(st);
    cr_assert_eq(back, one, "B gone: the sum of A alone again");
    close_all();
    open_all();
    cr_assert_eq(mgr_clusters_sum(st), one, "the same after a reopen");
}

Test(clusters, get_links_lists_each_link_with_its_secret_unwrapped, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)}, other = {.cur = t_master_of(9)};
    uint8_t want[MGR_CLUSTER_SECRET_LEN];
    char hex[2 * MGR_CLUSTER_SECRET_LEN + 1], why[512], *cert, *key;
    const json_t *links, *a, *b;
    const char *own;
    json_t *j;
    int rc;

    j = mgr_clusters_links_json(st, &m, &rc);
    cr_assert_not_null(j);
    cr_assert_str_eq(json_string_value(json_object_get(j, "cluster_id")), "");
    cr_assert_eq(json_integer_value(json_object_get(j, "sum")), 0);
    cr_assert_eq(json_array_size(json_object_get(j, "links")), 0);
    json_decref(j);

    own = make_id(); /* before B is removing: the duty would drop it */
    make_cert(&cert, &key);
    cr_assert_eq(join_ca(&m, REMOTE_A, "10.1.0.1:10010,10.1.0.2:10010", 7, cert, why,
                         sizeof(why)), 0, "%s", why);
    cr_assert_eq(join(&m, REMOTE_B, "10.2.0.1:10010", 8), 0);
    cr_assert_eq(set_state(REMOTE_B, MGR_LINK_LINKED, MGR_LINK_REMOVING), 0);
    j = mgr_clusters_links_json(st, &m, &rc);
    cr_assert_not_null(j);
    cr_assert_str_eq(json_string_value(json_object_get(j, "cluster_id")), own);
    cr_assert_eq((uint64_t)json_integer_value(json_object_get(j, "sum")),
                 mgr_clusters_sum(st));
    links = json_object_get(j, "links");
    cr_assert_eq(json_array_size(links), 2);
    a = json_array_get(links, 0);
    b = json_array_get(links, 1);
    cr_assert_str_eq(json_string_value(json_object_get(a, "id")), REMOTE_A);
    cr_assert_str_eq(json_string_value(json_object_get(a, "state")), MGR_LINK_LINKED);
    cr_assert_str_eq(json_string_value(json_object_get(a, "managers")),
                     "10.1.0.1:10010,10.1.0.2:10010");
    secret_of(7, want);
    cn_hex(want, sizeof(want), hex);
    cr_assert_str_eq(json_string_value(json_object_get(a, "secret")), hex);
    cr_assert_str_eq(json_string_value(json_object_get(a, "ca")), cert);
    cr_assert_str_eq(json_string_value(json_object_get(b, "state")), MGR_LINK_REMOVING);
    cr_assert_null(json_object_get(b, "ca"), "B has no CA: no field");
    secret_of(8, want);
    cn_hex(want, sizeof(want), hex);
    cr_assert_str_eq(json_string_value(json_object_get(b, "secret")), hex);
    mgr_clusters_links_wipe(j);
    cr_assert_neq(strcmp(json_string_value(json_object_get(b, "secret")), hex), 0,
                  "wiped");
    json_decref(j);

    /* a master that does not unwrap them: listed, with no secret */
    j = mgr_clusters_links_json(st, &other, &rc);
    cr_assert_not_null(j);
    links = json_object_get(j, "links");
    cr_assert_eq(json_array_size(links), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(links, 0), "secret")),
                     "");
    json_decref(j);
    cn_free(cert);
    cn_free(key);
}

/* A storage member with what its heartbeat said (members.h). */
static void reporter(mgr_member_t *m, const char *name, const char *stats, uint64_t now_ms)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->type, sizeof(m->type), "storage");
    snprintf(m->state, sizeof(m->state), "running");
    cr_assert_eq(mgr_members_xdc_report(m, "127.0.0.1:7000", stats,
                                        stats != NULL ? strlen(stats) : 0, now_ms), 0);
}

Test(clusters, cluster_status_sums_the_nodes_live_figures, .timeout = 10)
{
    mgr_kms_masters_t m = {.cur = t_master_of(1)};
    mgr_member_t v[3];
    mgr_members_t ms = {v, 3, 3};
    const char *again = "{\"" REMOTE_A "\": {\"last_error\": \"refused\"}}";
    json_t *l;
    int rc;

    make_id();
    cr_assert_eq(join(&m, REMOTE_A, "10.1.0.1:10010", 1), 0);
    reporter(&v[0], "storage0", "{\"" REMOTE_A "\": {\"sent\": 5, \"lag_objects\": 3, "
             "\"lag_seconds\": 7, \"queue_bytes\": 100, \"last_error\": \"refused\", "
             "\"last_ok_ms\": 1700000000000, \"needs_recover\": 0}}", 1000);
    reporter(&v[1], "storage1", "{\"" REMOTE_A "\": {\"lag_objects\": 4, \"lag_seconds\": 2, "
             "\"queue_bytes\": 50, \"last_error\": \"timed out\", \"last_ok_ms\": "
             "1700000005000, \"needs_recover\": 1}, \"" REMOTE_B "\": {\"lag_objects\": 99}}",
             2000);
    reporter(&v[2], "storage2", NULL, 3000); /* no sender: not counted */
    /* storage0 says "refused" again later: it keeps its first time, storage1's is newer */
    cr_assert_eq(mgr_members_xdc_report(&v[0], "127.0.0.1:7000", again, strlen(again), 5000),
                 0);
    cr_assert_eq(v[0].xdc[0].error_since_ms, 1000);
    reporter(&v[0], "storage0", "{\"" REMOTE_A "\": {\"sent\": 5, \"lag_objects\": 3, "
             "\"lag_seconds\": 7, \"queue_bytes\": 100, \"last_error\": \"refused\", "
             "\"last_ok_ms\": 1700000000000, \"needs_recover\": 0}}", 1000);
    l = mgr_clusters_link_json(st, REMOTE_A, &rc);
    cr_assert_not_null(l);
    mgr_clusters_live(l, &ms);
    cr_assert_eq(json_integer_value(json_object_get(l, "nodes_reporting")), 2);
    cr_assert_eq(json_integer_value(json_object_get(l, "lag_objects")), 7);
    cr_assert_eq(json_integer_value(json_object_get(l, "queue_bytes")), 150);
    cr_assert_eq(json_integer_value(json_object_get(l, "lag_seconds")), 7);
    cr_assert_eq(json_integer_value(json_object_get(l, "last_ok_ms")), 1700000005000ll);
    cr_assert(json_is_string(json_object_get(l, "last_ok")));
    cr_assert_str_eq(json_string_value(json_object_get(l, "last_error")),
                     "storage1: timed out");
    cr_assert(json_is_true(json_object_get(l, "needs_recover")));
    json_decref(l);
    /* bad input is refused, the node keeps no figures */
    cr_assert_eq(mgr_members_xdc_report(&v[1], "no port", "[1]", 3, 1), CN_EINVAL);
    cr_assert_eq(v[1].have_xdc, 0);
    cr_assert_str_eq(v[1].xdc_addr, "");
    l = mgr_clusters_link_json(st, REMOTE_A, &rc);
    mgr_clusters_live(l, &ms);
    cr_assert_eq(json_integer_value(json_object_get(l, "nodes_reporting")), 1);
    cr_assert(json_is_false(json_object_get(l, "needs_recover")));
    json_decref(l);
}

/* ---- the admin handlers --------------------------------------------------------------- */

static void call(struct mgr_server *s, mgr_handler_fn fn, const char *param, const char *body,
                 struct mgr_answer *a)
{
    t_admin_call(s, fn, "POST", "/v1/clusters", param, body, a);
}

static void drop(struct mgr_answer *a)
{
    json_decref(a->json);
    json_decref(a->audit);
}

/* The answer's error text, or "". */
static const char *error_of(const struct mgr_answer *a)
{
    const char *e = json_string_value(json_object_get(a->json, "error"));

    return e != NULL ? e : "";
}

#define SECRET_HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void expect_status(struct mgr_server *s, mgr_handler_fn fn, const char *param,
                          const char *body, unsigned want, const char *needle)
{
    struct mgr_answer a;
    char *txt;

    call(s, fn, param, body, &a);
    cr_assert_eq(a.status, want, "%s -> %u %s", body, a.status, error_of(&a));
    cr_assert(json_is_object(a.json));
    if (needle != NULL)
        cr_assert(strstr(error_of(&a), needle) != NULL, "%s: %s", body, error_of(&a));
    txt = json_dumps(a.json, 0);
    cr_assert_null(strstr(txt, SECRET_HEX), "the secret in an answer: %s", txt);
    free(txt);
    if (a.audit != NULL) {
        txt = json_dumps(a.audit, 0);
        cr_assert_null(strstr(txt, SECRET_HEX), "the secret in the audit: %s", txt);
        free(txt);
    }
    drop(&a);
}

Test(clusters, the_admin_api_answers_each_case, .timeout = 20)
{
    struct mgr_server s;
    struct mgr_answer a;
    static const char ok[] = "{\"id\": \"" REMOTE_A "\", \"managers\": [\"10.1.0.1:10010\", "
                             "\"10.1.0.2:10010\"], \"secret\": \"" SECRET_HEX "\"}";
    char body[512];
    const json_t *links;

    memset(&s, 0, sizeof(s));
    s.st = st;
    s.fsm = fsm;
    /* no master key: 501; no id: 503 */
    expect_status(&s, mgr_h_cluster_join, "", ok, 501, "sse_master_key_file");
    s.kms.cur = t_master_of(1);
    expect_status(&s, mgr_h_cluster_join, "", ok, 503, "no id yet");
    call(&s, mgr_h_clusters, "", "", &a);
    cr_assert_eq(a.status, 200);
    cr_assert(json_is_null(json_object_get(a.json, "cluster_id")));
    drop(&a);
    make_id();
    /* malformed bodies: 400 */
    expect_status(&s, mgr_h_cluster_join, "", "[1]", 400, NULL);
    expect_status(&s, mgr_h_cluster_join, "",
                  "{\"id\": \"" REMOTE_A "\", \"secret\": \"" SECRET_HEX "\"}", 400,
                  "managers");
    expect_status(&s, mgr_h_cluster_join, "",
                  "{\"id\": \"" REMOTE_A "\", \"managers\": \"10.1.0.1:10010\", \"secret\": \""
                  SECRET_HEX "\"}", 400, "managers");
    expect_status(&s, mgr_h_cluster_join, "",
                  "{\"id\": \"" REMOTE_A "\", \"managers\": [\"a:1,b:2\"], \"secret\": \""
                  SECRET_HEX "\"}", 400, "item 0");
    expect_status(&s, mgr_h_cluster_join, "",
                  "{\"id\": \"" REMOTE_A "\", \"managers\": [\"10.1.0.1:10010\"], \"secret\": "
                  "\"abcd\"}", 400, "64 hex digits");
    expect_status(&s, mgr_h_cluster_join, "",
                  "{\"id\": \"" REMOTE_A "\", \"managers\": [\"10.1.0.1:10010\"], \"secret\": \""
                  SECRET_HEX "\", \"ca\": 5}", 400, "PEM");
    expect_status(&s, mgr_h_cluster_join, "",
                  "{\"id\": \"nope\", \"managers\": [\"10.1.0.1:10010\"], \"secret\": \""
                  SECRET_HEX "\"}", 400, "16 lower-case hex");
    snprintf(body, sizeof(body), "{\"id\": \"%s\", \"managers\": [\"10.1.0.1:10010\"], "
             "\"secret\": \"" SECRET_HEX "\"}", make_id());
    expect_status(&s, mgr_h_cluster_join, "", body, 400, "own id");
    /* linked: 201 with the link, then 409 */
    call(&s, mgr_h_cluster_join, "", ok, &a);
    cr_assert_eq(a.status, 201, "%u %s", a.status, error_of(&a));
    cr_assert_str_eq(json_string_value(json_object_get(a.json, "id")), REMOTE_A);
    cr_assert_str_eq(json_string_value(json_object_get(a.json, "state")), "linked");
    cr_assert_eq(json_array_size(json_object_get(a.json, "managers")), 2);
    cr_assert(json_is_false(json_object_get(a.json, "ca")));
    cr_assert_str_eq(json_string_value(json_object_get(a.audit, "cluster")), REMOTE_A);
    drop(&a);
    expect_status(&s, mgr_h_cluster_join, "", ok, 409, "linked already");
    for (int i = 1; i <= 3; i++) {
        snprintf(body, sizeof(body), "{\"id\": \"%016d\", \"managers\": [\"10.1.0.1:10010\"], "
                 "\"secret\": \"" SECRET_HEX "\"}", i);
        expect_status(&s, mgr_h_cluster_join, "", body, 201, NULL);
    }
    snprintf(body, sizeof(body), "{\"id\": \"%016d\", \"managers\": [\"10.1.0.1:10010\"], "
             "\"secret\": \"" SECRET_HEX "\"}", 4);
    expect_status(&s, mgr_h_cluster_join, "", body, 409, "the most it may have");
    /* GET: this cluster's id and the 4 links, no secret */
    call(&s, mgr_h_clusters, "", "", &a);
    cr_assert_eq(a.status, 200);
    cr_assert(mgr_clusters_id_valid(json_string_value(json_object_get(a.json, "cluster_id"))));
    cr_assert_eq(json_integer_value(json_object_get(a.json, "max_links")), 4);
    links = json_object_get(a.json, "links");
    cr_assert_eq(json_array_size(links), 4);
    cr_assert_null(json_object_get(json_array_get(links, 0), "secret"));
    cr_assert_null(json_object_get(json_array_get(links, 0), "wrapped"));
    drop(&a);
    /* DELETE: 400, 404, 200 removing (twice), then the leader drops it */
    expect_status(&s, mgr_h_cluster_remove, "nope", "", 400, "not a cluster id");
    expect_status(&s, mgr_h_cluster_remove, "ffffffffffffffff", "", 404, "no link");
    expect_status(&s, mgr_h_cluster_remove, REMOTE_A, "", 200, NULL);
    call(&s, mgr_h_cluster_remove, REMOTE_A, "", &a);
    cr_assert_eq(a.status, 200);
    cr_assert_str_eq(json_string_value(json_object_get(a.json, "state")), "removing");
    drop(&a);
    expect_status(&s, mgr_h_cluster_join, "", ok, 409, "being removed");
    mgr_clusters_cron(fsm, &busy, 1700000000000ull);
    expect_status(&s, mgr_h_cluster_remove, REMOTE_A, "", 404, NULL);
    expect_status(&s, mgr_h_cluster_join, "", ok, 201, NULL);
}
