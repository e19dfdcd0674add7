/*
 * tests/unit/manager/test_admin_json.c: the admin API's /v1 handlers (manager/admin_api.c)
 * called directly on a real state in a temp dir, for what fuzz_admin_json found: an error
 * answer quoting a name that is not UTF-8 must still be a JSON object (F-7: json_pack
 * refused it, a->json stayed NULL and admin_srv.c's CN_ASSERT ended the manager).
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "common/log.h"
#include "manager/admin_int.h"
#include "manager/state.h"
#include "tests/harness/tmpdir.h"
#include "tests/unit/manager/admin_call.h"

static void call(struct mgr_server *s, mgr_handler_fn fn, const char *param, const char *body,
                 struct mgr_answer *a)
{
    t_admin_call(s, fn, "PUT", "/test", param, body, a);
}

Test(admin_json, error_quoting_a_non_utf8_name_is_json, .timeout = 20)
{
    char dir[PATH_MAX];
    struct mgr_server s;
    struct mgr_answer a;
    const char *err;

    cn_log_init("test", CN_LOG_ERROR, NULL);
    t_tmpdir_make(dir, sizeof(dir));
    memset(&s, 0, sizeof(s));
    cr_assert_eq(mgr_state_open(dir, &s.st), 0);
    cr_assert_eq(mgr_fsm_create(s.st, NULL, NULL, &s.fsm), 0);
    /* PUT /v1/buckets/%86x/acl: no such bucket, and the name is not UTF-8 */
    call(&s, mgr_h_bucket_acl, "\x86x", "{\"acl\": \"private\"}", &a);
    cr_assert_eq(a.status, 404);
    cr_assert(json_is_object(a.json));
    err = json_string_value(json_object_get(a.json, "error"));
    cr_assert_not_null(err);
    cr_assert(strstr(err, "'?x'") != NULL, "error: %s", err);
    json_decref(a.json);
    json_decref(a.audit);
    /* a UTF-8 name cut inside a character by the message's %.80s */
    char name[200];
    memset(name, 'a', 79);
    strcpy(name + 79, "\xc3\xa9\xc3\xa9");
    call(&s, mgr_h_user_role, name, "{\"role\": \"admin\"}", &a);
    cr_assert_eq(a.status, 404);
    cr_assert(json_is_string(json_object_get(a.json, "error")));
    json_decref(a.json);
    json_decref(a.audit);
    /* a valid name keeps its UTF-8 */
    call(&s, mgr_h_bucket_acl, "caf\xc3\xa9", "{\"acl\": \"private\"}", &a);
    cr_assert_eq(a.status, 404);
    cr_assert(strstr(json_string_value(json_object_get(a.json, "error")), "caf\xc3\xa9") != NULL);
    json_decref(a.json);
    json_decref(a.audit);
    mgr_fsm_destroy(s.fsm);
    mgr_state_close(s.st);
    t_tmpdir_remove(dir);
}
