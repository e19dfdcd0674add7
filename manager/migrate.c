/*
 * manager/migrate.c: the formats of the manager's state (see migrate.h). 1 -> 2: every user
 * gets a canonical id, every bucket names its owner by that id. 2 -> 3: every user record
 * holds its keys as a "keys" array (users.c reads the old shape as one Active key and writes
 * the new one), so a user record is rewritten when it lacks "keys" or an id. Everything goes into the caller's
 * batch, so the whole migration lands at once; the records are read from the state as it
 * was before it, hence a bucket's owner gets the id its user is given in the same batch.
 */
#include "manager/migrate.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "manager/buckets.h"
#include "manager/users.h"

struct ctx {
    mgr_state_t *st;
    mgr_batch_t *b;
    int users, buckets;            /* records changed */
};

/* The id u has after the migration (user_one gives it in the same batch). */
static void id_after(const mgr_user_t *u, char id[MGR_USER_ID_LEN + 1])
{
    if (mgr_user_id_valid(u->id))
        snprintf(id, MGR_USER_ID_LEN + 1, "%s", u->id);
    else
        mgr_user_legacy_id(u->name, id);
}

/* 1 when a user record has format 3's "keys" array. */
static int has_keys(const char *val, size_t vlen)
{
    json_t *j = json_loadb(val, vlen, 0, NULL);
    int yes = json_is_array(json_object_get(j, "keys"));

    json_decref(j);
    return yes;
}

/* Users: an id for each user that has none (mgr_user_legacy_id), with its i/ index (format
 * 2); the record rewritten with its "keys" (format 3). */
static int user_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct ctx *c = arg;
    char name[MGR_USER_NAME_MAX + 1];
    unsigned what = 0;
    mgr_user_t u;

    if (klen < 3 || klen - 2 > MGR_USER_NAME_MAX)
        return 0;
    snprintf(name, sizeof(name), "%.*s", (int)(klen - 2), key + 2);
    if (mgr_users_get(c->st, name, &u) != 0)
        return 0; /* unreadable records are skipped (and logged) wherever users are listed */
    if (!mgr_user_id_valid(u.id)) {
        mgr_user_legacy_id(u.name, u.id);
        what = MGR_USER_PUT_ID;
        CN_LOG(CN_LOG_INFO, "user=%s id=%s: canonical id given (state format 2)", u.name, u.id);
    } else if (has_keys(val, vlen)) {
        return 0;
    }
    mgr__users_put(c->b, &u, what);
    c->users++;
    CN_LOG(CN_LOG_INFO, "user=%s keys=%u: keys listed in the user (state format 3)", u.name,
           u.nkeys);
    return 0;
}

/* Buckets: an owner named by access key becomes the owner's id. */
static int bucket_one(mgr_bucket_t *b, void *arg)
{
    struct ctx *c = arg;
    mgr_user_t u;
    char id[MGR_USER_ID_LEN + 1];

    if (mgr_user_id_valid(b->owner))
        return 0;
    if (mgr_users_by_key(c->st, b->owner, &u) != 0) {
        /* delete-user refuses while a user owns a bucket, so this is a damaged state: the
         * bucket keeps its record, and only the admin API can give it an owner again */
        CN_LOG(CN_LOG_ERROR, "bucket=%s owner=%s: no user has this access key; the bucket "
               "has no owner until cairn-adm chown-bucket gives it one", b->name, b->owner);
        return 0;
    }
    id_after(&u, id);
    CN_LOG(CN_LOG_INFO, "bucket=%s owner=%s -> %s: owner named by id (state format 2)",
           b->name, b->owner, id);
    snprintf(b->owner, sizeof(b->owner), "%s", id);
    mgr__buckets_put(c->st, c->b, b);
    c->buckets++;
    return 0;
}

int mgr_migrate_fill(mgr_state_t *st, mgr_batch_t *b, uint64_t *from)
{
    struct ctx c = {st, b, 0, 0};
    int rc;

    *from = mgr_state_get_u64(st, MGR_VER_FORMAT);
    if (*from == MGR_STATE_FORMAT)
        return 0;
    if (*from > MGR_STATE_FORMAT) {
        CN_LOG(CN_LOG_ERROR, "format=%llu supported=%d: this state was written by a newer "
               "release; run that release (or restore a backup of this one)",
               (unsigned long long)*from, MGR_STATE_FORMAT);
        return CN_EPROTO;
    }
    if ((rc = mgr_state_scan(st, "u/", user_one, &c)) != 0 ||
        (rc = mgr_buckets_each(st, bucket_one, &c)) != 0)
        return rc;
    if (c.users > 0) /* gateways refetch */
        mgr_batch_bump(b, st, MGR_VER_USERS);
    if (c.buckets > 0)
        mgr_batch_bump(b, st, MGR_VER_BUCKETS);
    mgr_batch_put_u64(b, MGR_VER_FORMAT, MGR_STATE_FORMAT);
    return 0;
}
