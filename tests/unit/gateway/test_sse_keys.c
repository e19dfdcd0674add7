/* tests/unit/gateway/test_sse_keys.c: tests gateway/link/sse_keys.c, the key service's
 * client. The cache alone, with the clock as a parameter: an explicit epoch is served for
 * the bound and then wiped, the newest epoch for min(bound, 5 s) and, when no manager
 * answers, for the bound; negative answers for 2 s; a bound of 0 keeps no key; the table
 * stays within its slots. Then against a stand-in manager (common/rpc_server on loopback)
 * that answers kms_key: concurrent asks share one question, a hit is answered at once
 * without a callback, an unknown key is asked once per period, questions in flight are
 * bounded, and the newest epoch survives an outage for the bound. */
#include <criterion/criterion.h>
#include <string.h>
#include <uv.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mgr_addrs.h"
#include "common/mgr_client.h"
#include "common/proto.h"
#include "common/rpc.h"
#include "gateway/gateway.h"
#include "gateway/workers.h"
#include "tests/harness/loop.h"
#include "tests/unit/gateway/stand_in_mgr.h"

#define B_MS 300000ull /* the bound of these tests: the default 300 s */

static uv_loop_t loop;
static gw_server_t srv;
static cn_rpc_server_t *fake;
static int asked;                  /* kms_key requests the stand-in received */
static int answers;                /* callbacks run */

/* The KEK the stand-in gives epoch e of a key: 32 bytes of e. */
static void kek_of(uint32_t e, uint8_t kek[CN_SSE_KEY_LEN])
{
    memset(kek, (int)e, CN_SSE_KEY_LEN);
}

/* The stand-in manager: "k" has epochs 1..3; "hold" is never answered; others are unknown. */
static void on_fake(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    cn_msg_t *resp = cn_msg_new(cn_msg_op(req));
    uint8_t kek[CN_SSE_KEY_LEN];
    uint64_t epoch = 0;
    char name[300] = "";

    asked++;
    cn_msg_get_str(req, "name", name, sizeof(name));
    cn_msg_get_u64(req, "epoch", &epoch);
    if (strcmp(name, "hold") == 0) {
        cn_msg_free(resp);
        cn_msg_free(req); /* no answer: the caller times out or is cancelled */
        return;
    }
    if (strcmp(name, "k") == 0 && epoch <= 3) {
        epoch = epoch ? epoch : 3;
        kek_of((uint32_t)epoch, kek);
        cn_msg_set_str(resp, "name", name);
        cn_msg_set_u64(resp, "epoch", epoch);
        cn_msg_set_bytes(resp, "key", kek, sizeof(kek));
    } else {
        cn_msg_set_rc(resp, CN_ENOENT);
    }
    cn_rpc_reply(conn, req, resp);
}

static void setup(void)
{
    t_stand_in_start(&loop, &srv, on_fake, &fake);
    srv.conf.sse_key_cache_s = B_MS / 1000;
    asked = 0;
}
TestSuite(sse_keys, .init = setup);

/* ---- the cache alone ---------------------------------------------------------------------- */

static gw_ssekey_t key_of(const char *name, uint32_t e)
{
    gw_ssekey_t k;

    memset(&k, 0, sizeof(k));
    snprintf(k.name, sizeof(k.name), "%s", name);
    k.epoch = e;
    kek_of(e, k.kek);
    return k;
}

Test(sse_keys, an_explicit_epoch_is_served_for_the_bound_then_wiped, .timeout = 10)
{
    struct gw_ssekeys c = {0};
    gw_ssekey_t k = key_of("aws/s3", 2), got;

    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s3", 2, 1000, 0, &got), 0);
    gw__ssekey_store(&c, "aws/s3", 2, 0, &k, 1000, B_MS);
    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s3", 2, 1000 + B_MS - 1, 0, &got), 1);
    cr_assert_eq(got.epoch, 2);
    cr_assert_arr_eq(got.kek, k.kek, CN_SSE_KEY_LEN);
    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s3", 1, 1000, 0, &got), 0, "another epoch");
    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s", 2, 1000, 0, &got), 0, "another name");
    cr_assert_eq(gw__ssekey_count(&c), 1);
    /* past the bound: a miss even for an outage (stale_ok), and the key is gone */
    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s3", 2, 1000 + B_MS, 1, &got), 0);
    cr_assert_eq(gw__ssekey_count(&c), 0);
    gw__ssekey_clear(&c);
}

Test(sse_keys, a_linked_origins_key_never_answers_for_this_clusters_own, .timeout = 10)
{
    static const char origin[] = "3f1c0a9e5b7d2c44";
    struct gw_ssekeys c = {0};
    gw_ssekey_t mine = key_of("aws/s3", 1), theirs = key_of("aws/s3", 7), got;

    snprintf(theirs.origin, sizeof(theirs.origin), "%s", origin);
    theirs.epoch = 1;
    gw__ssekey_store_of(&c, origin, "aws/s3", 1, 0, &theirs, 1000, B_MS);
    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s3", 1, 1000, 0, &got), 0, "not this cluster's");
    cr_assert_eq(gw__ssekey_lookup_of(&c, origin, "aws/s3", 1, 1000, 0, &got), 1);
    cr_assert_str_eq(got.origin, origin);
    cr_assert_arr_eq(got.kek, theirs.kek, CN_SSE_KEY_LEN);
    gw__ssekey_store(&c, "aws/s3", 1, 0, &mine, 1000, B_MS);
    cr_assert_eq(gw__ssekey_lookup(&c, "aws/s3", 1, 1000, 0, &got), 1);
    cr_assert_str_eq(got.origin, "");
    cr_assert_arr_eq(got.kek, mine.kek, CN_SSE_KEY_LEN);
    cr_assert_eq(gw__ssekey_lookup_of(&c, "aaaaaaaaaaaaaaaa", "aws/s3", 1, 1000, 0, &got), 0,
                 "another origin");
    cr_assert_eq(gw__ssekey_count(&c), 2);
    gw__ssekey_clear(&c);
}

Test(sse_keys, the_newest_epoch_is_believed_5s_and_served_in_an_outage_for_the_bound,
     .timeout = 10)
{
    struct gw_ssekeys c = {0};
    gw_ssekey_t k = key_of("k", 3), got;

    gw__ssekey_store(&c, "k", 0, 0, &k, 0, B_MS);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, GW_SSEKEY_NEWEST_MS - 1, 0, &got), 1);
    cr_assert_eq(got.epoch, 3);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, GW_SSEKEY_NEWEST_MS, 0, &got), 0,
                 "asked again after 5 s: a rotation shows");
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, B_MS - 1, 1, &got), 1, "no manager answers");
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 3, B_MS - 1, 0, &got), 1,
                 "the answer is also its own epoch, for the bound");
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, B_MS, 1, &got), 0);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 3, B_MS, 0, &got), 0);
    cr_assert_eq(gw__ssekey_count(&c), 0);
    /* a bound below 5 s bounds the newest too */
    gw__ssekey_store(&c, "k", 0, 0, &k, 0, 2000);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, 1999, 0, &got), 1);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, 2000, 1, &got), 0);
    gw__ssekey_clear(&c);
}

Test(sse_keys, negative_answers_2s_and_bound_0_keeps_no_key, .timeout = 10)
{
    struct gw_ssekeys c = {0};
    gw_ssekey_t k = key_of("k", 1), got;

    gw__ssekey_store(&c, "nokey", 0, CN_ENOENT, NULL, 0, B_MS);
    cr_assert_eq(gw__ssekey_lookup(&c, "nokey", 0, GW_SSEKEY_NEG_MS - 1, 0, &got), CN_ENOENT);
    cr_assert_eq(gw__ssekey_lookup(&c, "nokey", 0, GW_SSEKEY_NEG_MS, 0, &got), 0);
    gw__ssekey_store(&c, "k", 1, 0, &k, 0, 0);
    gw__ssekey_store(&c, "k", 0, 0, &k, 0, 0);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 1, 0, 1, &got), 0);
    cr_assert_eq(gw__ssekey_lookup(&c, "k", 0, 0, 1, &got), 0);
    cr_assert_eq(gw__ssekey_count(&c), 0);
    gw__ssekey_store(&c, "off", 0, CN_ENOTSUP, NULL, 0, 0);
    cr_assert_eq(gw__ssekey_lookup(&c, "off", 0, 1, 0, &got), CN_ENOTSUP,
                 "kept even with bound 0: it holds no key");
    gw__ssekey_clear(&c);
}

Test(sse_keys, the_table_stays_within_its_slots, .timeout = 20)
{
    struct gw_ssekeys c = {0};
    gw_ssekey_t k, got;
    char name[32];
    size_t found = 0;

    for (int i = 0; i < 4 * GW_SSEKEY_SLOTS; i++) {
        snprintf(name, sizeof(name), "key-%d", i);
        k = key_of(name, 1);
        gw__ssekey_store(&c, name, 1, 0, &k, (uint64_t)i, B_MS);
    }
    cr_assert_leq(gw__ssekey_count(&c), GW_SSEKEY_SLOTS);
    cr_assert_geq(gw__ssekey_count(&c), GW_SSEKEY_SLOTS / 2, "the table is used");
    for (int i = 4 * GW_SSEKEY_SLOTS - 64; i < 4 * GW_SSEKEY_SLOTS; i++) {
        snprintf(name, sizeof(name), "key-%d", i);
        found += gw__ssekey_lookup(&c, name, 1, 5000, 0, &got) == 1;
    }
    cr_assert_eq(found, 64, "the newest stores displace the oldest");
    gw__ssekey_clear(&c);
    cr_assert_null(c.ents);
}

/* ---- against the stand-in manager ---------------------------------------------------------- */

struct wait {
    int calls, rc;
    gw_ssekey_t key;
};

static void on_done(void *arg, int rc, const gw_ssekey_t *key)
{
    struct wait *w = arg;

    w->calls++;
    w->rc = rc;
    answers++;
    cr_assert_eq(rc == 0, key != NULL);
    if (key != NULL)
        w->key = *key;
}

/* Runs the loop until n callbacks ran since the last call (each batch of asks waits here
 * for exactly its callbacks, also those that ran before it). */
static void run_until(int n)
{
    t_loop_run_until(&loop, &answers, n, 5000);
    answers -= n;
}

Test(sse_keys, concurrent_asks_share_one_question_then_hits_are_synchronous, .timeout = 20)
{
    struct wait w[4];
    uint8_t want[CN_SSE_KEY_LEN];
    gw_ssekey_t hit;

    memset(w, 0, sizeof(w));
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gw_ssekey_get(&srv, "k", 0, 0, on_done, &w[i], &hit), 0);
    cr_assert_eq(w[0].calls, 0, "never called from inside gw_ssekey_get");
    cr_assert_eq(gw_ssekey_get(&srv, "k", 1, 0, on_done, &w[3], &hit), 0);
    run_until(4);
    cr_assert_eq(asked, 2, "one question per (name, epoch)");
    kek_of(3, want);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(w[i].calls, 1);
        cr_assert_eq(w[i].rc, 0);
        cr_assert_eq(w[i].key.epoch, 3);
        cr_assert_arr_eq(w[i].key.kek, want, CN_SSE_KEY_LEN);
    }
    cr_assert_eq(w[3].key.epoch, 1);
    /* cached now: the newest, and epochs 3 and 1 on their own */
    memset(&hit, 0, sizeof(hit));
    cr_assert_eq(gw_ssekey_get(&srv, "k", 0, 0, on_done, &w[0], &hit), 1);
    cr_assert_eq(hit.epoch, 3);
    cr_assert_arr_eq(hit.kek, want, CN_SSE_KEY_LEN);
    cr_assert_str_eq(hit.name, "k");
    cr_assert_eq(gw_ssekey_get(&srv, "k", 3, 0, on_done, &w[0], &hit), 1);
    cr_assert_eq(gw_ssekey_get(&srv, "k", 1, 0, on_done, &w[0], &hit), 1);
    cr_assert_eq(hit.epoch, 1);
    gw_ssekey_wipe(&hit);
    cr_assert_eq(hit.epoch, 0);
    cr_assert_eq(w[0].calls, 1, "a hit calls nothing");
    cr_assert_eq(asked, 2);
    cr_assert_eq(srv.ssekeys.hits, 3);
    gw_ssekey_dispose(&srv);
    cr_assert_null(srv.ssekeys.ents);
}

Test(sse_keys, unknown_keys_are_asked_once_per_period_and_bad_names_never, .timeout = 20)
{
    struct wait w = {0};
    gw_ssekey_t hit;

    cr_assert_eq(gw_ssekey_get(&srv, "nokey", 0, 0, on_done, &w, &hit), 0);
    run_until(1);
    cr_assert_eq(w.rc, CN_ENOENT);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(gw_ssekey_get(&srv, "nokey", 0, 0, on_done, &w, &hit), CN_ENOENT);
    cr_assert_eq(gw_ssekey_get(&srv, "k", 4, 0, on_done, &w, &hit), 0);
    w.calls = 0;
    run_until(1);
    cr_assert_eq(w.rc, CN_ENOENT, "no such epoch");
    cr_assert_eq(asked, 2);
    cr_assert_eq(gw_ssekey_get(&srv, "bad name", 0, 0, on_done, &w, &hit), CN_EINVAL);
    cr_assert_eq(gw_ssekey_get(&srv, "", 0, 0, on_done, &w, &hit), CN_EINVAL);
    cr_assert_eq(gw_ssekey_get(&srv, "k", 0, 1, on_done, &w, &hit), CN_EINVAL,
                 "create is for aws/s3 only");
    cr_assert_eq(asked, 2);
    /* "not found" for a read does not stop a create of aws/s3 meanwhile */
    cr_assert_eq(gw_ssekey_get(&srv, CN_KMS_BUILTIN, 0, 0, on_done, &w, &hit), 0);
    run_until(1);
    cr_assert_eq(gw_ssekey_get(&srv, CN_KMS_BUILTIN, 0, 0, on_done, &w, &hit), CN_ENOENT);
    cr_assert_eq(gw_ssekey_get(&srv, CN_KMS_BUILTIN, 0, 1, on_done, &w, &hit), 0);
    run_until(1);
    cr_assert_eq(asked, 4);
    uv_sleep(GW_SSEKEY_NEG_MS + 100);
    w.calls = 0;
    cr_assert_eq(gw_ssekey_get(&srv, "nokey", 0, 0, on_done, &w, &hit), 0);
    run_until(1);
    cr_assert_eq(asked, 5);
    gw_ssekey_dispose(&srv);
}

Test(sse_keys, questions_in_flight_are_bounded, .timeout = 20)
{
    static struct wait w[GW_SSEKEY_MAX_ASKING + 1];
    char name[32];
    gw_ssekey_t hit;

    memset(w, 0, sizeof(w));
    for (int i = 0; i < GW_SSEKEY_MAX_ASKING; i++) {
        snprintf(name, sizeof(name), "hold");
        cr_assert_eq(gw_ssekey_get(&srv, name, (uint32_t)i + 1, 0, on_done, &w[i], &hit), 0);
    }
    cr_assert_eq(gw_ssekey_get(&srv, "hold", 999, 0, on_done, &w[GW_SSEKEY_MAX_ASKING], &hit),
                 CN_EAGAIN);
    cr_assert_eq(gw_ssekey_get(&srv, "hold", 1, 0, on_done, &w[GW_SSEKEY_MAX_ASKING], &hit), 0,
                 "joining a question in flight is not one more");
    /* the gateway stops: every question in flight ends, nothing is kept */
    srv.stopping = 1;
    cn_mgr_client_destroy(srv.mgr.client);
    srv.mgr.client = NULL;
    run_until(GW_SSEKEY_MAX_ASKING + 1);
    for (int i = 0; i <= GW_SSEKEY_MAX_ASKING; i++)
        cr_assert_eq(w[i].rc, CN_ECANCELED);
    cr_assert_eq(srv.ssekeys.nasking, 0);
    gw_ssekey_dispose(&srv);
}

Test(sse_keys, the_newest_epoch_survives_an_outage_within_the_bound, .timeout = 30)
{
    struct wait w = {0};
    gw_ssekey_t hit;

    cr_assert_eq(gw_ssekey_get(&srv, "k", 0, 0, on_done, &w, &hit), 0);
    run_until(1);
    cr_assert_eq(w.rc, 0);
    cn_rpc_server_stop(fake); /* no manager answers from now on */
    uv_sleep(GW_SSEKEY_NEWEST_MS + 100);
    w.calls = 0;
    cr_assert_eq(gw_ssekey_get(&srv, "k", 0, 0, on_done, &w, &hit), 0, "asked again after 5 s");
    run_until(1);
    cr_assert_eq(w.rc, 0, "%s", cn_strerror(w.rc));
    cr_assert_eq(w.key.epoch, 3);
    cr_assert_eq(srv.ssekeys.stale, 1);
    w.calls = 0;
    cr_assert_eq(gw_ssekey_get(&srv, "other", 0, 0, on_done, &w, &hit), 0);
    run_until(1);
    cr_assert_neq(w.rc, 0, "nothing known before: the failure");
    gw_ssekey_dispose(&srv);
}
