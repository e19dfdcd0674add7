/*
 * manager/migrate.c: format 1 -> 2 of the manager's state (see migrate.h): every user gets a
 * canonical id, every bucket names its owner by that id.
 */
#include "manager/migrate.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "manager/buckets.h"
#include "manager/users.h"

/* Users: an id for each user that has none (mgr_user_legacy_id), with its i/ index. */
static int user_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    mgr_state_t *st = arg;
    char name[MGR_USER_NAME_MAX + 1];
    mgr_user_t u;
    int rc;

    (void)val;
    (void)vlen;
    if (klen < 3 || klen - 2 > MGR_USER_NAME_MAX)
        return 0;
    snprintf(name, sizeof(name), "%.*s", (int)(klen - 2), key + 2);
    if (mgr_users_get(st, name, &u) != 0 || mgr_user_id_valid(u.id))
        return 0; /* unreadable records are skipped (and logged) wherever users are listed */
    mgr_user_legacy_id(u.name, u.id);
    if ((rc = mgr_users_save_id(st, &u)) != 0)
        return rc;
    CN_LOG(CN_LOG_INFO, "user=%s id=%s: canonical id given (state format 2)", u.name, u.id);
    return 0;
}

/* Buckets: an owner named by access key becomes the owner's id. */
static int bucket_one(mgr_bucket_t *b, void *arg)
{
    mgr_state_t *st = arg;
    mgr_user_t u;

    if (mgr_user_id_valid(b->owner))
        return 0;
    if (mgr_users_by_key(st, b->owner, &u) != 0 || !mgr_user_id_valid(u.id)) {
        /* delete-user refuses while a user owns a bucket, so this is a damaged state: the
         * bucket keeps its record, and only the admin API can give it an owner again */
        CN_LOG(CN_LOG_ERROR, "bucket=%s owner=%s: no user has this access key; the bucket "
               "has no owner until cairn-adm chown-bucket gives it one", b->name, b->owner);
        return 0;
    }
    CN_LOG(CN_LOG_INFO, "bucket=%s owner=%s -> %s: owner named by id (state format 2)",
           b->name, b->owner, u.id);
    snprintf(b->owner, sizeof(b->owner), "%s", u.id);
    return mgr_buckets_update(st, b);
}

int mgr_state_migrate(mgr_state_t *st)
{
    uint64_t have = mgr_state_get_u64(st, MGR_VER_FORMAT);
    char v[8];
    int rc;

    if (have == MGR_STATE_FORMAT)
        return 0;
    if (have > MGR_STATE_FORMAT) {
        CN_LOG(CN_LOG_ERROR, "format=%llu supported=%d: this state was written by a newer "
               "release; run that release (or restore a backup of this one)",
               (unsigned long long)have, MGR_STATE_FORMAT);
        return CN_EPROTO;
    }
    if ((rc = mgr_state_scan(st, "u/", user_one, st)) != 0 ||
        (rc = mgr_buckets_each(st, bucket_one, st)) != 0)
        return rc;
    cn_put_u64be(v, MGR_STATE_FORMAT); /* a counter of state.h */
    if ((rc = mgr_state_put(st, MGR_VER_FORMAT, v, sizeof(v))) != 0)
        return rc;
    CN_LOG(CN_LOG_INFO, "format=%llu -> %d: state migrated", (unsigned long long)have,
           MGR_STATE_FORMAT);
    return 0;
}
