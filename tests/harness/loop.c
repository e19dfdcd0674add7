/*
 * tests/harness/loop.c: see loop.h. A guard timer keeps uv_run from blocking forever when
 * nothing else is active.
 */
#include "tests/harness/loop.h"

#include <criterion/criterion.h>
#include <stdio.h>

static void on_guard(uv_timer_t *t)
{
}

void t_loop_run_until(uv_loop_t *loop, const int *flag, int want, uint64_t ms)
{
    uint64_t end = uv_now(loop) + ms;
    uv_timer_t guard;

    uv_timer_init(loop, &guard);
    uv_timer_start(&guard, on_guard, ms, 0);
    while (*flag < want && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    cr_assert_geq(*flag, want, "timed out waiting (%d of %d)", *flag, want);
}

static void walk_cb(uv_handle_t *h, void *arg)
{
    fprintf(stderr, "leaked handle type %s\n", uv_handle_type_name(uv_handle_get_type(h)));
}

void t_loop_close(uv_loop_t *loop)
{
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0) {
        uv_walk(loop, walk_cb, NULL);
        cr_assert_fail("handles left open on the loop");
    }
}
