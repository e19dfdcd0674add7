/* tests/unit/gateway/test_key_ask.c: tests gateway/link/key_ask.c against a stand-in manager
 * (common/rpc_server on loopback) that answers get_key: a known key is learned into the users
 * table; an unknown one is asked once, and asked again only after GW_KEYASK_NEG_MS; requests
 * for a key in flight share its one question. */
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
#include "tests/unit/gateway/stand_in_mgr.h"

#define KNOWN "AKKNOWN0000000000001"

static uv_loop_t loop;
static gw_server_t srv;
static cn_rpc_server_t *fake;
static int asked;                  /* get_key requests the stand-in received */

/* The stand-in manager: KNOWN is alice's Active key; any other key is unknown. */
static void on_fake(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    cn_msg_t *resp = cn_msg_new(cn_msg_op(req));
    char key[64] = "";

    asked++;
    cn_msg_get_str(req, "key", key, sizeof(key));
    if (strcmp(key, KNOWN) == 0) {
        cn_msg_set_str(resp, "user", "alice");
        cn_msg_set_str(resp, "id", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        cn_msg_set_str(resp, "role", "user");
        cn_msg_set_str(resp, "access_key", KNOWN);
        cn_msg_set_str(resp, "secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        cn_msg_set_rc(resp, 0);
    } else {
        cn_msg_set_rc(resp, CN_ENOENT);
    }
    cn_rpc_reply(conn, req, resp);
}

static void setup(void)
{
    t_stand_in_start(&loop, &srv, on_fake, &fake);
    asked = 0;
}
TestSuite(key_ask, .init = setup);

struct wait {
    int calls, rc;
};

static void on_done(void *arg, int rc)
{
    struct wait *w = arg;

    w->calls++;
    w->rc = rc;
}

/* Runs the loop until every wait has been called. */
static void run_until(struct wait *w, size_t n)
{
    uint64_t deadline = cn_mono_ms() + 5000;

    for (;;) {
        size_t done = 0;

        for (size_t i = 0; i < n; i++)
            done += w[i].calls > 0;
        if (done == n)
            return;
        cr_assert_lt(cn_mono_ms(), deadline, "no answer within 5 s");
        uv_run(&loop, UV_RUN_ONCE);
    }
}

Test(key_ask, a_known_key_is_learned_with_one_question_for_every_waiter, .timeout = 20)
{
    struct wait w[3] = {{0, 0}, {0, 0}, {0, 0}};
    const gw_user_t *u;

    cr_assert_null(gw_mgr_user_by_key(&srv, KNOWN));
    for (int i = 0; i < 3; i++)
        cr_assert_eq(gw_keyask_ask(&srv, KNOWN, on_done, &w[i]), 0);
    run_until(w, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(w[i].calls, 1);
        cr_assert_eq(w[i].rc, 0);
    }
    cr_assert_eq(asked, 1);
    u = gw_mgr_user_by_key(&srv, KNOWN);
    cr_assert_not_null(u);
    cr_assert_str_eq(u->user, "alice");
    cr_assert_str_eq(u->secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    cr_assert_not_null(gw_mgr_user_by_id(&srv, u->id));
    gw_keyask_dispose(&srv);
}

Test(key_ask, an_unknown_key_is_asked_once_per_period, .timeout = 20)
{
    struct wait w = {0, 0};
    char key[32];

    cr_assert_eq(gw_keyask_ask(&srv, "AKUNKNOWN00000000001", on_done, &w), 0);
    run_until(&w, 1);
    cr_assert_eq(w.rc, CN_ENOENT);
    cr_assert_eq(asked, 1);
    /* remembered: answered at once, nothing asked */
    for (int i = 0; i < 100; i++)
        cr_assert_eq(gw_keyask_ask(&srv, "AKUNKNOWN00000000001", on_done, &w), CN_ENOENT);
    cr_assert_eq(asked, 1);
    cr_assert_eq(srv.keyask.asked, 1);
    cr_assert_eq(srv.keyask.remembered, 100);
    /* many keys: one question each, the cache holds them all */
    for (int i = 0; i < 200; i++) {
        struct wait wi = {0, 0};

        snprintf(key, sizeof(key), "AKMANY%014d", i);
        cr_assert_eq(gw_keyask_ask(&srv, key, on_done, &wi), 0);
        run_until(&wi, 1);
    }
    cr_assert_eq(asked, 201);
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "AKMANY%014d", i);
        cr_assert_eq(gw_keyask_ask(&srv, key, on_done, &w), CN_ENOENT, "key %d", i);
    }
    cr_assert_eq(asked, 201);
    /* after the period it is asked again */
    uv_sleep(GW_KEYASK_NEG_MS + 100);
    w.calls = 0;
    cr_assert_eq(gw_keyask_ask(&srv, "AKUNKNOWN00000000001", on_done, &w), 0);
    run_until(&w, 1);
    cr_assert_eq(asked, 202);
    gw_keyask_dispose(&srv);
}

Test(key_ask, a_key_longer_than_any_is_refused_at_once, .timeout = 10)
{
    char key[GW_KEYASK_KEY_MAX + 8];
    struct wait w = {0, 0};

    memset(key, 'A', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    cr_assert_eq(gw_keyask_ask(&srv, key, on_done, &w), CN_ENAMETOOLONG);
    cr_assert_eq(asked, 0);
}
