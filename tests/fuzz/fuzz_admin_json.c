/*
 * tests/fuzz/fuzz_admin_json.c: libFuzzer target for the manager admin API's JSON request
 * bodies: the real /v1 handlers of manager/admin_api.c (admin_int.h) that turn a body into a
 * change of state (consistency levels, users, roles, passwords, endpoints, buckets, owners,
 * ACLs, quotas, restore of a backup), called without an HTTP server on a real manager state
 * (RocksDB in a temp dir, opened once, written through its fsm as the manager does). Before
 * each input the state is put back to a fixed baseline (one user with a known access key, one
 * bucket) with mgr_backup_restore.
 *
 * Input: "METHOD /v1/PATH" on the first line (as cairn-adm sends it; {} segments such as a
 * user or bucket name are taken from the path), then the body.
 * Checks: the answer is 200, 201, 400, 404 or 409 (never 500: the state works) with a JSON
 * object, and an "error" string on a failure; neither the answer nor the audit record
 * carries the password sent, nor the audit record the secret; a created user or bucket can be
 * read back; no leak (ASan/LSan). CAIRN_FUZZ_DEBUG=1 prints the baseline (a backup document)
 * and the status of each input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/admin_int.h"
#include "manager/backup.h"
#include "manager/buckets.h"
#include "manager/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE_USER "fuzzer"
#define BASE_KEY "AKIAFUZZ000000000001"
#define BASE_SECRET "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"
#define BASE_BUCKET "fuzz-bucket"

static const struct {
    const char *method, *pattern;
    mgr_handler_fn fn;
} routes[] = {
    {"PUT", "/v1/consistency", mgr_h_consistency},
    {"POST", "/v1/users", mgr_h_user_create},
    {"PUT", "/v1/users/{}/role", mgr_h_user_role},
    {"PUT", "/v1/users/{}/password", mgr_h_user_password},
    {"POST", "/v1/endpoints", mgr_h_endpoint_add},
    {"POST", "/v1/buckets", mgr_h_bucket_create},
    {"PUT", "/v1/buckets/{}/owner", mgr_h_bucket_owner},
    {"PUT", "/v1/buckets/{}/acl", mgr_h_bucket_acl},
    {"PUT", "/v1/buckets/{}/quota", mgr_h_bucket_quota},
    {"POST", "/v1/restore", mgr_h_restore},
};

static struct mgr_server srv;
static json_t *baseline;
static char dir[64];

/* 1 when path (n bytes) matches pattern, with the {} segments copied into r->param. */
static int match(const char *pattern, const char *path, size_t n, struct mgr_req *r)
{
    const char *p = pattern, *s = path, *end = path + n;
    int k = 0;

    while (*p && s < end) {
        if (p[0] == '{' && p[1] == '}') {
            const char *seg = s;
            while (s < end && *s != '/')
                s++;
            if (s == seg || (size_t)(s - seg) >= sizeof(r->param[0]) || k >= MGR_ROUTE_MAX_PARAMS)
                return 0;
            memcpy(r->param[k], seg, (size_t)(s - seg));
            r->param[k][s - seg] = '\0';
            k++;
            p += 2;
        } else if (*p++ != *s++) {
            return 0;
        }
    }
    return *p == '\0' && s == end;
}

static void setup(void)
{
    struct mgr_fsm_views views = {&srv.members, &srv.ring_cur, &srv.ring_prev, &srv.levels};
    mgr_user_t u;
    mgr_bucket_t b;
    int rc = 0;

    cn_log_set_level(CN_LOG_ERROR);
    snprintf(dir, sizeof(dir), "%s/fuzz_admin_json.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                              : "/tmp");
    if (mkdtemp(dir) == NULL || mgr_state_open(dir, &srv.st) != 0 ||
        mgr_fsm_create(srv.st, NULL, &views, &srv.fsm) != 0)
        abort();
    srv.levels = (mgr_levels_t){3, 2, 1, 2};
    if (mgr_users_import(srv.fsm, BASE_USER, BASE_KEY, BASE_SECRET, "admin", NULL, &rc) != 0 ||
        mgr_buckets_create(srv.fsm, BASE_BUCKET, BASE_KEY, "private", &b) != 0 ||
        mgr_users_get(srv.st, BASE_USER, &u) != 0)
        abort();
    if ((baseline = mgr_backup_export(srv.st, &rc)) == NULL)
        abort();
    if (getenv("CAIRN_FUZZ_DEBUG") != NULL) {
        char *txt = json_dumps(baseline, JSON_COMPACT);
        fprintf(stderr, "fuzz_admin_json: baseline %s\n", txt);
        free(txt);
    }
}

static void cleanup_at_exit(void)
{
    char cmd[128];

    json_decref(baseline);
    mgr_members_dispose(&srv.members);
    cn_ring_destroy(srv.ring_cur);
    cn_ring_destroy(srv.ring_prev);
    mgr_fsm_destroy(srv.fsm);
    mgr_state_close(srv.st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz_admin_json: could not remove %s\n", dir);
}

/* A string member of the body longer than 7 bytes (short ones match by chance), or NULL. */
static const char *secret_of(const json_t *body, const char *name)
{
    const char *v = json_string_value(json_object_get(body, name));
    return v != NULL && strlen(v) >= 8 ? v : NULL;
}

/* 1 when a string member of the object j is needle, and needle is not also a field of the
 * body that may be shown (a user named like their password, an access key holding the secret
 * are the sender's choice, not a leak). */
static int holds(const json_t *j, const char *needle, const json_t *body)
{
    static const char *const shown[] = {"user", "access_key", "role", "endpoint", "bucket",
                                        "acl"};
    const char *k;
    json_t *v;

    if (j == NULL || needle == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        const char *f = json_string_value(json_object_get(body, shown[i]));
        if (f != NULL && strcmp(f, needle) == 0)
            return 0;
    }
    json_object_foreach((json_t *)j, k, v)
        if (json_is_string(v) && strcmp(json_string_value(v), needle) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *nl = memchr(p, '\n', size), *sp;
    struct mgr_req r;
    struct mgr_answer a;
    json_t *body;
    size_t line = nl ? (size_t)(nl - p) : size, i;
    char why[256];
    size_t nrec;

    if (srv.st == NULL) {
        setup();
        atexit(cleanup_at_exit);
    }
    memset(&r, 0, sizeof(r));
    memset(&a, 0, sizeof(a));
    if (line > 0 && p[line - 1] == '\r')
        line--;
    sp = memchr(p, ' ', line);
    if (sp == NULL)
        return 0;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        if (strlen(routes[i].method) == (size_t)(sp - p) &&
            memcmp(routes[i].method, p, (size_t)(sp - p)) == 0 &&
            match(routes[i].pattern, sp + 1, line - (size_t)(sp + 1 - p), &r))
            break;
    if (i == sizeof(routes) / sizeof(routes[0]))
        return 0;

    /* the baseline state */
    if (mgr_backup_restore(srv.fsm, baseline, &nrec, why, sizeof(why)) != 0)
        abort();
    srv.levels = (mgr_levels_t){3, 2, 1, 2};

    r.method = routes[i].method;
    r.url = routes[i].pattern;
    r.body = nl ? nl + 1 : "";
    r.body_len = nl ? size - (size_t)(nl + 1 - p) : 0;
    routes[i].fn(&srv, &r, &a);
    if (getenv("CAIRN_FUZZ_DEBUG") != NULL)
        fprintf(stderr, "fuzz_admin_json: %s %s -> %u\n", r.method, r.url, a.status);

    if (a.status != 200 && a.status != 201 && a.status != 400 && a.status != 404 &&
        a.status != 409)
        abort(); /* 500 (or nothing): the state works, so this is a handler's bug */
    if (!json_is_object(a.json) || a.bytes != NULL)
        abort();
    if (a.status >= 400 && !json_is_string(json_object_get(a.json, "error")))
        abort();
    body = json_loadb(r.body, r.body_len, 0, NULL);
    if (json_is_object(body)) {
        const char *pw = secret_of(body, "password"), *sec = secret_of(body, "secret");

        if (holds(a.audit, pw, body) || holds(a.audit, sec, body) || holds(a.json, pw, body))
            abort(); /* a secret in the audit log or a password in the answer */
        if (a.status == 201 && routes[i].fn == mgr_h_user_create) {
            mgr_user_t u;
            const char *ak = json_string_value(json_object_get(a.json, "access_key"));
            if (ak == NULL || mgr_users_by_key(srv.st, ak, &u) != 0 ||
                strcmp(u.name, json_string_value(json_object_get(body, "user"))) != 0)
                abort(); /* a created user does not read back */
            if (pw != NULL && mgr_users_check_password(&u, pw) != 1)
                abort(); /* the password set is not the one sent */
        }
        if (a.status == 201 && routes[i].fn == mgr_h_bucket_create) {
            mgr_bucket_t b;
            if (mgr_buckets_get(srv.st, json_string_value(json_object_get(body, "bucket")),
                                &b) != 0)
                abort(); /* a created bucket does not read back */
        }
    }
    json_decref(body);
    json_decref(a.json);
    json_decref(a.audit);
    return 0;
}
