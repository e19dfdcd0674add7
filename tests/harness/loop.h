/*
 * tests/harness/loop.h: running a test's libuv loop until something happens, and closing it
 * with a check that no handle leaked.
 */
#ifndef CAIRN_TESTS_HARNESS_LOOP_H
#define CAIRN_TESTS_HARNESS_LOOP_H

#include <stdint.h>
#include <uv.h>

/** Runs loop until *flag >= want or ms elapse; fails the test on a timeout. */
void t_loop_run_until(uv_loop_t *loop, const int *flag, int want, uint64_t ms);
/** Runs loop until every handle is closed and closes it; fails the test (naming each handle
 *  type) when a handle is left open. */
void t_loop_close(uv_loop_t *loop);

#endif
