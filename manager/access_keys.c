/*
 * manager/access_keys.c: a user's access keys after the first (see access_keys.h). The
 * proposers choose the key id and secret (users.c's random alphabets) and the creation time;
 * the apply finds the user by the key's index (k/<key>) or by name and rewrites the user's
 * record with its keys (mgr__users_put), adding or dropping the key's index.
 */
#include "manager/access_keys.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "manager/cmd.h"
#include "manager/fsm.h"

int mgr_key_status_valid(const char *status)
{
    return status != NULL &&
           (strcmp(status, MGR_KEY_ACTIVE) == 0 || strcmp(status, MGR_KEY_INACTIVE) == 0);
}

/* Proposes c, disposes it; *user gets the name of the key's user as the proposer saw it. */
static int propose(mgr_fsm_t *f, mgr_cmd_t *c, const mgr_user_t *u,
                   char user[MGR_USER_NAME_MAX + 1])
{
    int rc = mgr_fsm_propose_wait(f, c, NULL);

    mgr_cmd_dispose(c);
    if (user != NULL)
        snprintf(user, MGR_USER_NAME_MAX + 1, "%s", u->name);
    return rc;
}

int mgr_keys_create(mgr_fsm_t *f, const char *user, mgr_access_key_t *out)
{
    mgr_state_t *st = mgr_fsm_state(f);
    mgr_user_t u;
    mgr_cmd_t c;
    int rc;

    if ((rc = mgr_users_get(st, user, &u)) != 0)
        return rc;
    if (u.nkeys >= MGR_USER_MAX_KEYS)
        return CN_ENOSPC;
    mgr_cmd_init(&c, MGR_CMD_ACCESS_KEY_CREATE);
    snprintf(c.user.name, sizeof(c.user.name), "%s", u.name);
    c.created_ms = cn_now_ms();
    if ((rc = mgr__users_new_key(st, c.user.access_key, c.user.secret)) != 0) {
        mgr_cmd_dispose(&c);
        return rc;
    }
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", c.user.access_key);
    snprintf(out->secret, sizeof(out->secret), "%s", c.user.secret);
    snprintf(out->status, sizeof(out->status), MGR_KEY_ACTIVE);
    out->created_ms = c.created_ms;
    return propose(f, &c, &u, NULL);
}

int mgr_keys_delete(mgr_fsm_t *f, const char *key, char user[MGR_USER_NAME_MAX + 1])
{
    mgr_user_t u;
    mgr_cmd_t c;
    int rc;

    if ((rc = mgr_users_by_key(mgr_fsm_state(f), key, &u)) != 0)
        return rc;
    mgr_cmd_init(&c, MGR_CMD_ACCESS_KEY_DELETE);
    snprintf(c.user.access_key, sizeof(c.user.access_key), "%s", key);
    return propose(f, &c, &u, user);
}

int mgr_keys_set_status(mgr_fsm_t *f, const char *key, const char *status,
                        char user[MGR_USER_NAME_MAX + 1])
{
    mgr_user_t u;
    mgr_cmd_t c;
    int rc;

    if (!mgr_key_status_valid(status))
        return CN_EINVAL;
    if ((rc = mgr_users_by_key(mgr_fsm_state(f), key, &u)) != 0)
        return rc;
    mgr_cmd_init(&c, MGR_CMD_ACCESS_KEY_SET_STATUS);
    snprintf(c.user.access_key, sizeof(c.user.access_key), "%s", key);
    snprintf(c.key_status, sizeof(c.key_status), "%s", status);
    return propose(f, &c, &u, user);
}

/* ---- apply (fsm.c) --------------------------------------------------------------------- */

static int apply_create(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    mgr_user_t u, tmp;
    mgr_access_key_t *k;
    int rc;

    if (!mgr_user_keys_valid(c->user.access_key, c->user.secret))
        return CN_EINVAL;
    if ((rc = mgr_users_get(st, c->user.name, &u)) != 0)
        return rc;
    if ((rc = mgr_users_by_key(st, c->user.access_key, &tmp)) != CN_ENOENT)
        return rc == 0 ? CN_EEXIST : rc;
    if (u.nkeys >= MGR_USER_MAX_KEYS)
        return CN_ENOSPC;
    k = &u.keys[u.nkeys++];
    memset(k, 0, sizeof(*k));
    snprintf(k->id, sizeof(k->id), "%s", c->user.access_key);
    snprintf(k->secret, sizeof(k->secret), "%s", c->user.secret);
    snprintf(k->status, sizeof(k->status), MGR_KEY_ACTIVE);
    k->created_ms = c->created_ms;
    mgr__users_put(b, &u, MGR_USER_PUT_KEY);
    return 0;
}

/* access_key_delete and access_key_set_status: the key's user, rewritten. */
static int apply_change(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char kkey[8 + MGR_ACCESS_KEY_LEN];
    mgr_user_t u;
    int i, rc;

    if ((rc = mgr_users_by_key(st, c->user.access_key, &u)) != 0)
        return rc;
    if ((i = mgr_user_key_index(&u, c->user.access_key)) < 0)
        return CN_ENOENT; /* an index without its key: nothing of it to change */
    if (c->kind == MGR_CMD_ACCESS_KEY_SET_STATUS) {
        if (!mgr_key_status_valid(c->key_status))
            return CN_EINVAL;
        snprintf(u.keys[i].status, sizeof(u.keys[i].status), "%s", c->key_status);
    } else {
        memmove(&u.keys[i], &u.keys[i + 1], (u.nkeys - (unsigned)i - 1) * sizeof(u.keys[0]));
        u.nkeys--;
        snprintf(kkey, sizeof(kkey), "k/%s", c->user.access_key);
        mgr_batch_del(b, kkey);
    }
    mgr__users_put(b, &u, 0);
    return 0;
}

int mgr__keys_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    int rc = c->kind == MGR_CMD_ACCESS_KEY_CREATE ? apply_create(st, c, b)
                                                  : apply_change(st, c, b);

    if (rc == 0)
        mgr_batch_bump(b, st, MGR_VER_USERS);
    return rc;
}
