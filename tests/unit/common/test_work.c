/* tests/unit/common/test_work.c: tests common/work.c: a queued job runs on the pool and ends
 * in done with status 0; a job libuv refuses is logged and ends in done at once, with libuv's
 * error as the status. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/work.h"
#include "tests/harness/tmpdir.h"

static char dir[PATH_MAX / 2];

static void setup(void)
{
    t_tmpdir_make(dir, sizeof(dir));
}

static void teardown(void)
{
    t_tmpdir_remove(dir);
}

TestSuite(work, .init = setup, .fini = teardown);

struct job {
    uv_work_t req;
    int ran, done, status;
};

static void run(uv_work_t *w)
{
    struct job *j = w->data;

    j->ran = 1;
}

static void done(uv_work_t *w, int status)
{
    struct job *j = w->data;

    j->done++;
    j->status = status;
}

Test(work, queued_job_runs_then_ends_in_done, .timeout = 10)
{
    uv_loop_t loop;
    struct job j = {0};

    cr_assert_eq(uv_loop_init(&loop), 0);
    j.req.data = &j;
    cn_work_queue(&loop, &j.req, run, done, "test");
    cr_assert_eq(j.done, 0, "done runs on a later loop turn, never inside the call");
    cr_assert_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    cr_assert_eq(j.ran, 1);
    cr_assert_eq(j.done, 1);
    cr_assert_eq(j.status, 0);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(work, refused_job_is_logged_and_ends_in_done_at_once, .timeout = 10)
{
    char path[PATH_MAX], line[512];
    uv_loop_t loop;
    struct job j = {0};
    int logged = 0;
    FILE *f;

    snprintf(path, sizeof(path), "%s/log", dir);
    cr_assert_eq(cn_log_init("test", CN_LOG_INFO, path), 0);
    cr_assert_eq(uv_loop_init(&loop), 0);
    j.req.data = &j;
    cn_work_queue(&loop, &j.req, NULL, done, "refused-job"); /* libuv refuses a NULL run */
    cr_assert_eq(j.done, 1, "done ran before the call returned");
    cr_assert_eq(j.status, CN_EINVAL);
    cr_assert_eq(j.ran, 0);
    cr_assert_eq(uv_run(&loop, UV_RUN_DEFAULT), 0, "nothing was left queued");
    cr_assert_eq(j.done, 1, "done ran once");
    cr_assert_eq(uv_loop_close(&loop), 0);
    cr_assert_not_null(f = fopen(path, "r"));
    while (fgets(line, sizeof(line), f) != NULL)
        logged += strstr(line, " E ") != NULL && strstr(line, "job=refused-job") != NULL &&
                  strstr(line, "EINVAL") != NULL;
    fclose(f);
    cr_assert_eq(logged, 1, "one ERROR line names the job and the reason");
}
