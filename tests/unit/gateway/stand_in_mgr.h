/*
 * tests/unit/gateway/stand_in_mgr.h: a gateway worker wired to a stand-in manager, for the
 * tests of what a worker asks the managers (key_ask.c, sse_keys.c): a common/rpc_server on
 * loopback whose handler the test writes, and the worker's manager client pointed at it.
 */
#ifndef CAIRN_TESTS_UNIT_GATEWAY_STAND_IN_MGR_H
#define CAIRN_TESTS_UNIT_GATEWAY_STAND_IN_MGR_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "common/log.h"
#include "common/mgr_addrs.h"
#include "common/mgr_client.h"
#include "common/rpc.h"
#include "gateway/gateway.h"
#include "gateway/workers.h"

/** Inits loop and srv (a worker with its shared tables) and starts *fake, a stand-in
 *  manager answering with handler, as the only manager srv knows. */
static inline void t_stand_in_start(uv_loop_t *loop, gw_server_t *srv,
                                    cn_rpc_handler_fn handler, cn_rpc_server_t **fake)
{
    cn_rpc_server_opts_t o = {.host = "127.0.0.1", .port = 0, .secret = "s3cret",
                              .handler = handler};
    cn_mgr_addrs_t addrs;
    char list[64], err[128];

    cn_log_init("test", CN_LOG_ERROR, NULL);
    cr_assert_eq(uv_loop_init(loop), 0);
    memset(srv, 0, sizeof(*srv));
    srv->loop = loop;
    gw_shared_create(srv, 1); /* the tables a learned user is published to */
    srv->conf.rpc_timeout_ms = 2000;
    cr_assert_eq(cn_rpc_server_start(loop, &o, fake), 0);
    snprintf(list, sizeof(list), "127.0.0.1:%d", cn_rpc_server_port(*fake));
    cr_assert_eq(cn_mgr_addrs_parse(&addrs, list, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(cn_mgr_client_create(loop, &addrs, "s3cret", "gw-test", &srv->mgr.client), 0);
}

#endif
