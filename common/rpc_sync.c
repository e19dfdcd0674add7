/*
 * common/rpc_sync.c: a blocking RPC call on a private loop, for CLIs, tools and tests.
 * One loop, one client, one call: run the loop until the callback has fired, destroy the
 * client, run the loop until every handle is closed, close the loop. Never call this from a
 * daemon's loop thread (it would stall that loop for the whole call).
 */
#include "common/rpc.h"

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

struct sync_result {
    int done;
    int status;
    cn_msg_t *resp;
};

static void on_done(int status, cn_msg_t *resp, void *arg)
{
    struct sync_result *r = arg;

    r->done = 1;
    r->status = status;
    r->resp = resp;
}

int cn_rpc_call_sync(const char *host, int port, const char *secret, const char *self_name,
                     cn_msg_t *req, uint64_t timeout_ms, cn_msg_t **resp)
{
    cn_rpc_client_opts_t o = {.host = host, .port = port, .secret = secret,
                              .self_name = self_name};

    return cn_rpc_call_sync_opts(&o, req, timeout_ms, resp);
}

int cn_rpc_call_sync_opts(const cn_rpc_client_opts_t *o, cn_msg_t *req, uint64_t timeout_ms,
                          cn_msg_t **resp)
{
    struct sync_result r = {0};
    cn_rpc_client_t *c;
    uv_loop_t loop;
    int rc;

    *resp = NULL;
    if ((rc = uv_loop_init(&loop)) != 0) {
        cn_msg_free(req);
        return rc;
    }
    if ((rc = cn_rpc_client_create_opts(&loop, o, &c)) != 0) {
        cn_msg_free(req);
        goto out_loop;
    }
    cn_rpc_call(c, req, timeout_ms, on_done, &r);
    while (!r.done)
        uv_run(&loop, UV_RUN_ONCE);
    cn_rpc_client_destroy(c);
    rc = r.status;
    *resp = r.resp;
out_loop:
    uv_run(&loop, UV_RUN_DEFAULT);
    CN_ASSERT(uv_loop_close(&loop) == 0);
    return rc;
}
