/*
 * tests/unit/storage/test_move_rate.c: tests storage/cluster/move_rate.c, the budget of the
 * data moves (a token bucket refilled every tick, the FIFO of chunks waiting for it) and the
 * adaptive rate (slow start, halving when the foreground's p99 rises, holding one window,
 * additive growth after a back-off, the floor, the probe for the idle p99).
 * The clock is the test's: stor__move_rate_cron_at gets a virtual monotonic time, so that the
 * steps are exact and no assertion depends on how fast this machine runs. The foreground's
 * latencies are fed with stor_move_rate_fg; the rates come back through stor_move_rate_stats.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "storage/cluster/cluster.h"
#include "storage/storage.h"

#define MIB 1048576.0
#define RATE_START 524288 /* move_rate.c: the adaptive rate's start, 512 KiB/s */
#define RATE_MIN 65536    /* and its floor */
#define WIN_SLOTS 5       /* steps in the controller's window */

static struct stor_conf conf;
static struct stor_server srv;
static uint64_t now;

static void setup(void)
{
    cn_log_init("test", CN_LOG_ERROR, NULL);
    memset(&conf, 0, sizeof(conf));
    memset(&srv, 0, sizeof(srv));
    conf.repair_inflight = 8;
    srv.conf = &conf;
}

static void teardown(void)
{
    stor_move_rate_stop(&srv);
    stor_move_rate_close(&srv);
}

TestSuite(move_rate, .init = setup, .fini = teardown);

/* Creates the mover and takes the clock one second past its creation: that cron refills a
 * full burst and runs a controller step, after which steps come exactly every 200 ms. */
static void start(uint64_t rate)
{
    stor_move_stats_t st;

    conf.move_rate = rate;
    stor_move_rate_stats(&srv, &st);
    now = cn_mono_ms() + 1000;
    stor__move_rate_cron_at(&srv, now);
}

static void tick_ms(uint64_t ms)
{
    now += ms;
    stor__move_rate_cron_at(&srv, now);
}

/* One controller step (200 ms) after n foreground requests of ms each. */
static void step(int n, double ms)
{
    for (int i = 0; i < n; i++)
        stor_move_rate_fg(&srv, ms / 1000.0);
    tick_ms(200);
}

static uint64_t rate_now(void)
{
    stor_move_stats_t st;

    stor_move_rate_stats(&srv, &st);
    return st.rate_now;
}

static double idle_p99(void)
{
    stor_move_stats_t st;

    stor_move_rate_stats(&srv, &st);
    return st.fg_idle_p99_ms;
}

/* The moves want more than the rate gives: the next step may grow it. */
static void want_more(void)
{
    stor_move_rate_debit(&srv, 1000, 0);
}

Test(move_rate, a_job_starts_while_the_bucket_is_not_in_debt_and_repair_inflight_allows,
     .timeout = 5)
{
    conf.repair_inflight = 2;
    start(1048576); /* 1 MiB/s: a burst of 200 ms is 209,715.2 cost bytes */
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 1);
    stor_move_rate_begin(&srv, 100, 0); /* 102,400: 107,315.2 left */
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 1);
    cr_assert_eq(stor_move_rate_allow(&srv, 1), 0, "one in flight and one about to start");
    stor_move_rate_begin(&srv, 105, 0); /* 107,520: 204.8 in debt */
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 0, "two in flight");
    stor_move_rate_end(&srv);
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 0, "in debt");
    tick_ms(100); /* + 104,857.6 */
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 1);
    stor_move_rate_end(&srv);

    tick_ms(10000); /* ten seconds idle refill no more than one burst */
    stor_move_rate_begin(&srv, 205, 0); /* 209,920 > 209,715.2 */
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 0, "the bucket held more than 200 ms");
    stor_move_rate_end(&srv);
}

static int order[8], norder;
static void on_paid(void *arg, int status)
{
    cr_assert_lt(norder, 8);
    order[norder++] = status == 0 ? *(int *)arg : -*(int *)arg;
}

Test(move_rate, chunks_wait_in_order_while_in_debt_and_the_stop_cancels_them, .timeout = 5)
{
    int a = 1, b = 2, c = 3, d = 4;

    norder = 0;
    start(1048576);                     /* 209,715.2 */
    stor_move_rate_begin(&srv, 300, 0); /* 307,200: 97,484.8 in debt */
    cr_assert_eq(stor_move_rate_pay(&srv, 102400, on_paid, &a), 0);
    cr_assert_eq(stor_move_rate_pay(&srv, 10, on_paid, &b), 0, "a small chunk waits its turn");
    cr_assert_eq(norder, 0, "a waiting chunk is called later, from the cron");
    tick_ms(100); /* 7,372.8: a is paid, 95,027.2 in debt */
    cr_assert_eq(norder, 1);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 0, "a job waits while a paid chunk left debt");
    tick_ms(100); /* 9,830.4: b is paid */
    cr_assert_eq(norder, 2);
    cr_assert_eq(order[1], 2);
    cr_assert_eq(stor_move_rate_pay(&srv, 10, on_paid, &c), 1, "paid at once: no debt");
    cr_assert_eq(norder, 2, "a chunk paid at once is not called back");
    stor_move_rate_begin(&srv, 100, 0);
    cr_assert_eq(stor_move_rate_pay(&srv, 1, on_paid, &d), 0);
    stor_move_rate_stop(&srv);
    cr_assert_eq(norder, 3);
    cr_assert_eq(order[2], -4, "the stop calls a waiting chunk with an error");
    stor_move_rate_end(&srv);
    stor_move_rate_end(&srv);
}

Test(move_rate, a_job_carries_a_tenth_of_a_second_of_the_rate_and_at_least_16_keys,
     .timeout = 5)
{
    start(10 * 1048576);
    cr_assert_eq(stor_move_rate_batch_cost(&srv), 1048576);
    conf.move_rate = 1024;
    cr_assert_eq(stor_move_rate_batch_cost(&srv), 16 * STOR_MOVE_KEY_COST);
    conf.move_rate = 0; /* adaptive: from RATE_START */
    cr_assert_eq(rate_now(), RATE_START);
    cr_assert_eq(stor_move_rate_batch_cost(&srv), RATE_START / 10);
}

/* An adaptive mover with its idle p99 measured (1 ms requests: bucket edge ~1.13 ms) and
 * one job in flight. */
static void adaptive_moving(void)
{
    start(0);
    step(30, 1.0);
    cr_assert_gt(idle_p99(), 0.9);
    cr_assert_lt(idle_p99(), 1.5);
    stor_move_rate_begin(&srv, 1, 0);
}

Test(move_rate, slow_start_grows_a_quarter_a_step_while_the_moves_want_more, .timeout = 5)
{
    uint64_t r;

    adaptive_moving();
    r = rate_now();
    cr_assert_eq(r, RATE_START);
    for (int i = 0; i < 4; i++) {
        want_more();
        step(30, 1.0);
        cr_assert_eq(rate_now(), r + r / 4, "step %d: %" PRIu64 " after %" PRIu64, i, rate_now(),
                     r);
        r = rate_now();
    }
    step(30, 1.0); /* the moves took less than the rate: it holds */
    cr_assert_eq(rate_now(), r);
    for (int i = 0; i < WIN_SLOTS; i++) /* the foreground stops: nothing to protect... */
        step(0, 0);
    cr_assert_eq(rate_now(), r, "...but the moves wanted no more");
    want_more();
    step(5, 50.0); /* 5 requests in the window are too few to judge, slow or not */
    cr_assert_eq(rate_now(), r + r / 4);
    stor_move_rate_end(&srv);
}

Test(move_rate, a_slow_foreground_halves_the_rate_which_then_holds_one_window, .timeout = 5)
{
    uint64_t r;

    adaptive_moving();
    for (int i = 0; i < 4; i++) {
        want_more();
        step(30, 1.0);
    }
    r = rate_now();
    want_more();
    step(30, 10.0); /* p99 ~10.8 ms > 2 x idle */
    cr_assert_eq(rate_now(), r / 2);
    r = rate_now();
    for (int i = 0; i < WIN_SLOTS; i++) {
        want_more();
        step(30, 10.0);
        cr_assert_eq(rate_now(), r, "held for the window to measure the new rate (step %d)", i);
    }
    want_more();
    step(30, 10.0);
    cr_assert_eq(rate_now(), r / 2, "still slow after the hold: halves again");
    r = rate_now();
    /* the hold, and the slow requests leave the window */
    for (int i = 0; i < WIN_SLOTS; i++)
        step(30, 1.0);
    cr_assert_eq(rate_now(), r);
    want_more();
    step(30, 1.8); /* between 1.5 and 2 x idle (bucket edge ~1.9 ms): holds though dry */
    cr_assert_eq(rate_now(), r);
    for (int i = 0; i < WIN_SLOTS; i++)
        step(30, 1.0);
    want_more();
    step(30, 1.0);
    cr_assert_eq(rate_now(), r + RATE_MIN + r / 16, "after a back-off, growth is additive");
    stor_move_rate_end(&srv);
}

Test(move_rate, the_rate_never_falls_below_its_floor, .timeout = 5)
{
    adaptive_moving();
    for (int i = 0; i < 60; i++) {
        want_more();
        step(30, 40.0);
    }
    cr_assert_eq(rate_now(), RATE_MIN);
    stor_move_rate_end(&srv);
}

Test(move_rate, moves_pause_until_the_idle_p99_is_measured, .timeout = 5)
{
    int a = 1;

    norder = 0;
    start(0);
    stor_move_rate_begin(&srv, 1, 0); /* moving from the start: no idle p99 yet */
    step(30, 1.0);
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 0, "a probe pauses the moves");
    cr_assert_eq(stor_move_rate_pay(&srv, 1, on_paid, &a), 0, "and their chunks");
    stor_move_rate_end(&srv);
    /* the slots of the job's two steps leave the window, then a window without moves */
    for (int i = 0; i < WIN_SLOTS + 1; i++) {
        cr_assert_eq(norder, 0, "step %d", i);
        step(30, 1.0);
    }
    cr_assert_gt(idle_p99(), 0.9);
    tick_ms(100);
    cr_assert_eq(norder, 1, "the waiting chunk goes once the idle p99 is known");
    cr_assert_eq(order[0], 1);
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 1);
}

Test(move_rate, a_probe_that_finds_no_quiet_window_is_given_up, .timeout = 5)
{
    start(0);
    stor_move_rate_begin(&srv, 1, 0); /* a job that stays in flight: every slot has moves */
    step(30, 1.0);
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 0);
    for (int i = 0; i < 20; i++) /* 4 s > PROBE_MAX_MS */
        step(30, 1.0);
    cr_assert_eq(stor_move_rate_allow(&srv, 0), 1, "the moves go on after the probe's limit");
    cr_assert_eq(idle_p99(), 0.0, "no idle p99 was measured");
    stor_move_rate_end(&srv);
}
