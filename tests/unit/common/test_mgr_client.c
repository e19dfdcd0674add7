/* tests/unit/common/test_mgr_client.c: tests common/mgr_client.c over real sockets on
 * 127.0.0.1: stand-in managers (cn_rpc_server) that answer, answer "not the leader" (naming
 * a leader or none), name the other managers, hold requests, or are not there at all. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mgr_client.h"
#include "common/rpc.h"
#include "tests/harness/loop.h"
#include "tests/harness/tmpdir.h"

#define SECRET "s3cret"
#define MAX_HELD 8

enum { ANSWER, NOT_LEADER, HOLD };

/* A stand-in manager. */
struct tmgr {
    cn_rpc_server_t *srv;
    int port;
    char addr[32];
    int mode;
    const char *leader;     /* NOT_LEADER: the "leader" field (NULL: absent) */
    const char *managers;   /* ANSWER: the "managers" field (NULL: absent) */
    int handled;
    cn_rpc_conn_t *held_conn[MAX_HELD];
    cn_msg_t *held_req[MAX_HELD];
    int nheld;
};

static uv_loop_t loop;
static struct tmgr m[3];
static cn_mgr_client_t *mc;

static void handler(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct tmgr *t = udata;
    cn_msg_t *resp = cn_msg_new("x");

    t->handled++;
    if (t->mode == HOLD && t->nheld < MAX_HELD) {
        t->held_conn[t->nheld] = conn;
        t->held_req[t->nheld++] = req;
        cn_msg_free(resp);
        return;
    }
    if (t->mode == NOT_LEADER) {
        cn_msg_set_rc(resp, CN_ENOTLEADER);
        if (t->leader != NULL)
            cn_msg_set_str(resp, "leader", t->leader);
    } else {
        cn_msg_set_rc(resp, 0);
        cn_msg_set_u64(resp, "port", (uint64_t)t->port); /* who answered */
        if (t->managers != NULL)
            cn_msg_set_str(resp, "managers", t->managers);
    }
    cn_rpc_reply(conn, req, resp);
}

static void tmgr_start(struct tmgr *t, int mode)
{
    cn_rpc_server_opts_t o = {.host = "127.0.0.1", .port = 0, .secret = SECRET,
                              .handler = handler, .udata = t};

    memset(t, 0, sizeof(*t));
    t->mode = mode;
    cr_assert_eq(cn_rpc_server_start(&loop, &o, &t->srv), 0);
    t->port = cn_rpc_server_port(t->srv);
    snprintf(t->addr, sizeof(t->addr), "127.0.0.1:%d", t->port);
}

static void tmgr_stop(struct tmgr *t)
{
    if (t->srv == NULL)
        return;
    for (int i = 0; i < t->nheld; i++)
        cn_rpc_reply(t->held_conn[i], t->held_req[i], cn_msg_new("x"));
    t->nheld = 0;
    cn_rpc_server_stop(t->srv);
    t->srv = NULL;
}

static void setup(void)
{
    cn_log_init("test", CN_LOG_WARN, NULL);
    cr_assert_eq(uv_loop_init(&loop), 0);
    mc = NULL;
}

static void teardown(void)
{
    cn_mgr_client_destroy(mc);
    for (int i = 0; i < 3; i++)
        tmgr_stop(&m[i]);
    t_loop_close(&loop);
}

TestSuite(mgr_client, .init = setup, .fini = teardown);

static void run_until(const int *flag, int want, uint64_t ms)
{
    t_loop_run_until(&loop, flag, want, ms);
}

struct result {
    int done;
    int status;
    int rc;
    uint64_t port; /* the stand-in that answered */
};

static void on_result(int status, cn_msg_t *resp, void *arg)
{
    struct result *r = arg;

    r->done++;
    r->status = status;
    r->rc = resp ? cn_msg_rc(resp) : 0;
    r->port = 0;
    if (resp != NULL)
        (void)cn_msg_get_u64(resp, "port", &r->port);
    cn_msg_free(resp);
}

static void client(const char *list)
{
    cn_mgr_addrs_t a;
    char err[256];

    cr_assert_eq(cn_mgr_addrs_parse(&a, list, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cn_mgr_client_create(&loop, &a, SECRET, "tester", &mc), 0);
}

/* Two stand-ins, m[0] in mode0 naming leader0, m[1] in mode1 naming leader1 (NULL: none),
 * and a client of "m[0], m[1]". */
static void two(int mode0, const char *leader0, int mode1, const char *leader1)
{
    char list[128];

    tmgr_start(&m[0], mode0);
    tmgr_start(&m[1], mode1);
    m[0].leader = leader0 && strcmp(leader0, "m1") == 0 ? m[1].addr : leader0;
    m[1].leader = leader1 && strcmp(leader1, "m0") == 0 ? m[0].addr : leader1;
    snprintf(list, sizeof(list), "%s, %s", m[0].addr, m[1].addr);
    client(list);
}

/* One call, run to its end. */
static struct result call(void)
{
    struct result r = {0};

    cn_mgr_client_call(mc, cn_msg_new("heartbeat"), 2000, on_result, &r);
    run_until(&r.done, 1, 10000);
    cr_assert_eq(r.done, 1);
    return r;
}

Test(mgr_client, a_dead_first_address_is_passed_over_in_the_same_call, .timeout = 20)
{
    char list[128];
    struct result r;

    tmgr_start(&m[0], ANSWER);
    snprintf(list, sizeof(list), "127.0.0.1:%d, %s", t_free_port(), m[0].addr);
    client(list);
    r = call();
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.port, (uint64_t)m[0].port);
    cr_assert_str_eq(cn_mgr_client_current(mc), m[0].addr);
    r = call(); /* stays */
    cr_assert_eq(r.port, (uint64_t)m[0].port);
    cr_assert_eq(m[0].handled, 2);
}

Test(mgr_client, every_address_dead_fails_once_each_then_reports, .timeout = 20)
{
    char list[128];
    struct result r;
    int p0 = t_free_port(), p1 = t_free_port();

    snprintf(list, sizeof(list), "127.0.0.1:%d,127.0.0.1:%d", p0, p1);
    client(list);
    r = call();
    cr_assert_eq(r.status, CN_ECONNREFUSED);
    /* and a manager that comes back is found by a later call */
    tmgr_start(&m[0], ANSWER);
    snprintf(list, sizeof(list), "127.0.0.1:%d, %s", p0, m[0].addr);
    cn_mgr_client_destroy(mc);
    client(list);
    r = call();
    cr_assert_eq(r.status, 0);
}

Test(mgr_client, not_leader_with_a_leader_is_followed_at_once, .timeout = 20)
{
    struct result r;

    two(NOT_LEADER, "m1", ANSWER, NULL);
    r = call();
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.port, (uint64_t)m[1].port);
    cr_assert_eq(m[0].handled, 1);
    cr_assert_str_eq(cn_mgr_client_current(mc), m[1].addr);
    call();
    cr_assert_eq(m[0].handled, 1, "the follower is not asked again");
}

Test(mgr_client, a_leader_outside_the_list_is_added_for_the_session, .timeout = 20)
{
    char all[256], want[256];
    struct result r;

    tmgr_start(&m[0], NOT_LEADER);
    tmgr_start(&m[1], ANSWER);
    m[0].leader = m[1].addr;
    client(m[0].addr);
    r = call();
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.port, (uint64_t)m[1].port);
    cn_mgr_client_addrs(mc, all, sizeof(all));
    snprintf(want, sizeof(want), "%s, %s", m[0].addr, m[1].addr);
    cr_assert_str_eq(all, want);
}

Test(mgr_client, no_leader_known_reports_and_the_next_call_tries_the_next, .timeout = 20)
{
    struct result r;

    two(NOT_LEADER, NULL, ANSWER, NULL); /* an election: no "leader" field at all */
    r = call();
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.rc, CN_ENOTLEADER);
    cr_assert_str_eq(cn_mgr_client_current(mc), m[1].addr);
    r = call();
    cr_assert_eq(r.rc, 0);
    cr_assert_eq(r.port, (uint64_t)m[1].port);
}

Test(mgr_client, managers_that_name_each_other_do_not_loop, .timeout = 20)
{
    struct result r;

    two(NOT_LEADER, "m1", NOT_LEADER, "m0");
    r = call();
    cr_assert_eq(r.rc, CN_ENOTLEADER);
    cr_assert_leq(m[0].handled + m[1].handled, 5, "%d sends", m[0].handled + m[1].handled);
}

Test(mgr_client, the_managers_field_teaches_the_others, .timeout = 20)
{
    char managers[128], all[256];
    struct result r;

    tmgr_start(&m[0], ANSWER);
    tmgr_start(&m[1], ANSWER);
    snprintf(managers, sizeof(managers), "%s,%s", m[0].addr, m[1].addr);
    m[0].managers = managers;
    client(m[0].addr); /* configured with one address */
    r = call();
    cr_assert_eq(r.rc, 0);
    cn_mgr_client_addrs(mc, all, sizeof(all));
    cr_assert(strstr(all, m[1].addr) != NULL, "%s", all);
    /* the configured manager dies: the learned one answers the next call */
    tmgr_stop(&m[0]);
    r = call();
    if (r.status != 0) /* the old connection's reset may come first; the call after works */
        r = call();
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.port, (uint64_t)m[1].port);
}

Test(mgr_client, a_timeout_is_reported_not_resent_and_moves_on, .timeout = 20)
{
    struct result r = {0};

    two(HOLD, NULL, ANSWER, NULL);
    cn_mgr_client_call(mc, cn_msg_new("create_bucket"), 200, on_result, &r);
    run_until(&r.done, 1, 5000);
    cr_assert_eq(r.status, CN_ETIMEDOUT);
    cr_assert_eq(m[1].handled, 0, "a call that may have run is not sent twice");
    cr_assert_str_eq(cn_mgr_client_current(mc), m[1].addr);
    r = call();
    cr_assert_eq(r.port, (uint64_t)m[1].port);
}

Test(mgr_client, destroy_cancels_pending_calls, .timeout = 20)
{
    struct result r = {0};

    tmgr_start(&m[0], HOLD);
    client(m[0].addr);
    cn_mgr_client_call(mc, cn_msg_new("heartbeat"), 5000, on_result, &r);
    run_until(&m[0].handled, 1, 5000);
    cn_mgr_client_destroy(mc);
    mc = NULL;
    cr_assert_eq(r.done, 1);
    cr_assert_eq(r.status, CN_ECANCELED);
}

Test(mgr_client, names_are_refused_at_create, .timeout = 5)
{
    cn_mgr_addrs_t a;
    char err[256];

    cr_assert_eq(cn_mgr_addrs_parse(&a, "127.0.0.1:1, manager.example:10010", err, sizeof(err)),
                 0);
    cr_assert_eq(cn_mgr_client_check(&a, err, sizeof(err)), CN_EINVAL);
    cr_assert(strstr(err, "'manager.example:10010': not an IP address") != NULL, "%s", err);
    cr_assert_eq(cn_mgr_client_create(&loop, &a, SECRET, "t", &mc), CN_EINVAL);
    cr_assert_null(mc);
    cr_assert_eq(cn_mgr_addrs_parse(&a, "localhost:1,[::1]:2", err, sizeof(err)), 0);
    cr_assert_eq(cn_mgr_client_check(&a, err, sizeof(err)), 0);
}
