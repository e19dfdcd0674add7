/* tests/unit/gateway/test_coalesce.c: tests gateway/cache/coalesce.c (miss coalescing). */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "gateway/cache/coalesce.h"

static int calls, last_status;
static void *last_result;
static int order[8], norder;

static void on_done(int status, void *result, void *arg)
{
    calls++;
    last_status = status;
    last_result = result;
    order[norder++] = (int)(intptr_t)arg;
}

Test(coalesce, concurrent_misses_make_one_leader, .timeout = 5)
{
    gw_flights_t *f = gw_flights_create();
    int res = 42;
    calls = norder = 0;
    cr_assert_eq(gw_flights_join(f, CN_SLICE("b/k"), on_done, (void *)1), 1); /* leads */
    cr_assert_eq(gw_flights_join(f, CN_SLICE("b/k"), on_done, (void *)2), 0);
    cr_assert_eq(gw_flights_join(f, CN_SLICE("b/k"), on_done, (void *)3), 0);
    cr_assert_eq(gw_flights_join(f, CN_SLICE("b/other"), on_done, (void *)4), 1);
    cr_assert_eq(gw_flights_count(f), 2);
    cr_assert_eq(gw_flights_waiters(f), 2);
    cr_assert_eq(gw_flights_finish(f, CN_SLICE("b/k"), 0, &res), 2);
    cr_assert_eq(calls, 2);
    cr_assert_eq(order[0], 2);
    cr_assert_eq(order[1], 3);
    cr_assert_eq(last_status, 0);
    cr_assert_eq(last_result, &res);
    /* the flight is over: the next miss leads again */
    cr_assert_eq(gw_flights_join(f, CN_SLICE("b/k"), on_done, (void *)5), 1);
    cr_assert_eq(gw_flights_finish(f, CN_SLICE("b/k"), 0, NULL), 0);
    cr_assert_eq(gw_flights_finish(f, CN_SLICE("b/other"), CN_EIO, NULL), 0);
    cr_assert_eq(gw_flights_count(f), 0);
    gw_flights_destroy(f);
}

static gw_flights_t *reentrant_f;
static int rejoined;
static void on_done_rejoin(int status, void *result, void *arg)
{
    /* a waiter that starts a new flight on the same key from its callback leads it */
    rejoined = gw_flights_join(reentrant_f, CN_SLICE("b/k"), on_done, NULL);
}

Test(coalesce, callback_may_start_a_new_flight, .timeout = 5)
{
    reentrant_f = gw_flights_create();
    cr_assert_eq(gw_flights_join(reentrant_f, CN_SLICE("b/k"), NULL, NULL), 1);
    cr_assert_eq(gw_flights_join(reentrant_f, CN_SLICE("b/k"), on_done_rejoin, NULL), 0);
    gw_flights_finish(reentrant_f, CN_SLICE("b/k"), 0, NULL);
    cr_assert_eq(rejoined, 1);
    cr_assert_eq(gw_flights_count(reentrant_f), 1);
    gw_flights_destroy(reentrant_f);
}

Test(coalesce, destroy_cancels_waiters, .timeout = 5)
{
    gw_flights_t *f = gw_flights_create();
    calls = norder = 0;
    gw_flights_join(f, CN_SLICE("b/k"), on_done, NULL);
    gw_flights_join(f, CN_SLICE("b/k"), on_done, NULL);
    gw_flights_destroy(f);
    cr_assert_eq(calls, 1);
    cr_assert_eq(last_status, CN_ECANCELED);
}

/* A version's storage key holds a NUL ("bucket/key\0ID", common/version.h): the table keeps
 * the whole key, so two versions of one object are two flights, and a lookup never reads past
 * a key cut at its NUL (under ASan, the old cn_strndup copy overflowed here). */
Test(coalesce, version_keys_with_a_nul_are_whole_keys, .timeout = 5)
{
    static const char v1[] = "b/k\0000000000000000001", v2[] = "b/k\0000000000000000002";
    gw_flights_t *f = gw_flights_create();

    calls = norder = 0;
    cr_assert_eq(gw_flights_join(f, cn_slice(v1, sizeof(v1) - 1), on_done, (void *)1), 1);
    cr_assert_eq(gw_flights_join(f, cn_slice(v2, sizeof(v2) - 1), on_done, (void *)2), 1);
    cr_assert_eq(gw_flights_join(f, cn_slice(v1, sizeof(v1) - 1), on_done, (void *)3), 0);
    cr_assert_eq(gw_flights_count(f), 2);
    cr_assert_eq(gw_flights_finish(f, cn_slice(v2, sizeof(v2) - 1), 0, NULL), 0);
    cr_assert_eq(gw_flights_finish(f, cn_slice(v1, sizeof(v1) - 1), 0, NULL), 1);
    cr_assert_eq(order[0], 3);
    cr_assert_eq(gw_flights_count(f), 0);
    gw_flights_destroy(f);
}
