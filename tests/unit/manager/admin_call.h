/*
 * tests/unit/manager/admin_call.h: calls one /v1 handler of the admin API directly, as
 * admin_srv.c would after routing (the server's lock is not taken: the tests have one
 * thread), for test_admin_json.c and test_clusters.c.
 */
#ifndef CAIRN_TESTS_UNIT_MANAGER_ADMIN_CALL_H
#define CAIRN_TESTS_UNIT_MANAGER_ADMIN_CALL_H

#include <stdio.h>
#include <string.h>

#include "manager/admin_int.h"

/* Calls fn with method, url, param as the route's one {} segment and body; the answer in
 * *a (json_decref a->json and a->audit after). */
static inline void t_admin_call(struct mgr_server *s, mgr_handler_fn fn, const char *method,
                                const char *url, const char *param, const char *body,
                                struct mgr_answer *a)
{
    struct mgr_req r;

    memset(&r, 0, sizeof(r));
    memset(a, 0, sizeof(*a));
    r.method = method;
    r.url = url;
    snprintf(r.param[0], sizeof(r.param[0]), "%s", param);
    r.body = body;
    r.body_len = strlen(body);
    fn(s, &r, a);
}

#endif
