/*
 * common/work.h: jobs on libuv's thread pool (uv_queue_work), queued one way everywhere.
 * A job's done callback is its one way back: it gets the result, or a non-zero status when
 * the job never ran (libuv's UV_ECANCELED after uv_cancel, or the refusal below), and it
 * answers, retries or frees accordingly. No caller has a second error path of its own.
 */
#ifndef CAIRN_COMMON_WORK_H
#define CAIRN_COMMON_WORK_H

#include <uv.h>

/** Runs run(req) on loop's thread pool, then done(req, status) on the loop thread, as
 *  uv_queue_work does. When libuv refuses the job (libuv 1.x refuses only a NULL run, so this
 *  is a bug of ours), logs one ERROR line naming what and calls done(req, rc) before
 *  returning, with rc libuv's error (a negative errno, so a CN_E* code). So the caller must
 *  not touch req after this call, and must set any "job running" state before it. Loop
 *  thread only. */
void cn_work_queue(uv_loop_t *loop, uv_work_t *req, uv_work_cb run, uv_after_work_cb done,
                   const char *what);

#endif
