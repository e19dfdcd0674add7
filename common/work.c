/*
 * common/work.c: cn_work_queue, uv_queue_work with its failure turned into the job's done
 * callback (see work.h for why there is only that one error path).
 */
#include "common/work.h"

#include "common/err.h"
#include "common/log.h"

void cn_work_queue(uv_loop_t *loop, uv_work_t *req, uv_work_cb run, uv_after_work_cb done,
                   const char *what)
{
    int rc = uv_queue_work(loop, req, run, done);

    if (rc == 0)
        return;
    CN_LOG(CN_LOG_ERROR, "job=%s rc=%s: the thread pool refused the job", what,
           cn_strerror(rc));
    done(req, rc);
}
