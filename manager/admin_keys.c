/*
 * manager/admin_keys.c: a user's access keys on the admin API (docs/ADMIN_API.md):
 *   GET    /v1/users/{user}/keys          the user's keys and their status (no secrets)
 *   POST   /v1/users/{user}/keys          a new Active key: the only answer with its secret
 *   DELETE /v1/keys/{key}                 delete a key
 *   PUT    /v1/keys/{key}/status {"status": "Active"|"Inactive"}
 * Handlers run with s->lock held (admin_int.h); a change is a command entry proposed by
 * access_keys.c, which releases the lock while it commits.
 */
#include "manager/admin_int.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "manager/access_keys.h"
#include "manager/users.h"

void mgr_h_keys_list(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    mgr_user_t u;
    int rc;

    if ((rc = mgr_users_get(s->st, r->param[0], &u)) == CN_ENOENT) {
        mgr_fail(a, 404, "no user named '%.80s' (see get-users)", r->param[0]);
    } else if (rc != 0) {
        mgr_fail(a, 500, "could not read the user (%s); see the manager log", cn_strerror(rc));
    } else {
        a->status = 200;
        a->json = json_pack("{s:s, s:o}", "user", u.name, "keys", mgr_user_keys_json(&u));
    }
}

void mgr_h_key_create(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *name = r->param[0];
    mgr_access_key_t k;
    char when[32];
    int rc;

    mgr_audit(a, "user", name);
    if ((rc = mgr_keys_create(s->fsm, name, &k)) == CN_ENOENT) {
        mgr_fail(a, 404, "no user named '%.80s' (see get-users)", name);
    } else if (rc == CN_ENOSPC) {
        mgr_fail(a, 409, "user %s has %d access keys, the most a user may have; delete one "
                 "first (delete-access-key)", name, MGR_USER_MAX_KEYS);
    } else if (rc != 0) {
        mgr_fail(a, 500, "could not save the key (%s); see the manager log", cn_strerror(rc));
    } else {
        CN_LOG(CN_LOG_INFO, "user=%s access_key=%s: access key created", name, k.id);
        mgr_audit(a, "access_key", k.id);
        cn_fmt_iso8601_ms(k.created_ms, when, sizeof(when));
        a->status = 201;
        a->json = json_pack("{s:s, s:s, s:s, s:s, s:s}", "user", name, "access_key", k.id,
                            "secret", k.secret, "status", k.status, "created", when);
    }
}

/* The answer to a change of key: 404 for a key no user has, else 500 for a failure. 1 when
 * it failed (answered). */
static int key_failed(struct mgr_answer *a, const char *key, int rc)
{
    if (rc == CN_ENOENT)
        mgr_fail(a, 404, "no access key '%.40s' (see get-access-keys USER)", key);
    else if (rc != 0)
        mgr_fail(a, 500, "could not change the key (%s); see the manager log",
                 cn_strerror(rc));
    return rc != 0;
}

void mgr_h_key_delete(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *key = r->param[0];
    char user[MGR_USER_NAME_MAX + 1] = "";
    int rc = mgr_keys_delete(s->fsm, key, user);

    mgr_audit(a, "access_key", key);
    if (key_failed(a, key, rc))
        return;
    CN_LOG(CN_LOG_INFO, "user=%s access_key=%s: access key deleted", user, key);
    a->status = 200;
    a->json = json_pack("{s:s, s:s, s:b}", "user", user, "access_key", key, "deleted", 1);
}

void mgr_h_key_status(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    const char *key = r->param[0], *status;
    char user[MGR_USER_NAME_MAX + 1] = "";
    json_t *j;

    mgr_audit(a, "access_key", key);
    if ((j = mgr_body_json(r, a)) == NULL)
        return;
    status = json_string_value(json_object_get(j, "status"));
    mgr_audit(a, "status", status);
    if (!mgr_key_status_valid(status))
        mgr_fail(a, 400, "send {\"status\": \"Active\"} or {\"status\": \"Inactive\"}");
    else if (!key_failed(a, key, mgr_keys_set_status(s->fsm, key, status, user))) {
        CN_LOG(CN_LOG_INFO, "user=%s access_key=%s status=%s: access key status set", user,
               key, status);
        a->status = 200;
        a->json = json_pack("{s:s, s:s, s:s}", "user", user, "access_key", key, "status",
                            status);
    }
    json_decref(j);
}
