/*
 * manager/users.h: S3 users (name, access key id, secret, role), stored in the manager's
 * state as u/<name> with the index k/<access key> -> name. Every change bumps users_ver
 * (MGR_VER_USERS) in the same atomic batch so that gateways refetch.
 * Threads: callers hold the server lock (the state is not locked inside).
 */
#ifndef CAIRN_MANAGER_USERS_H
#define CAIRN_MANAGER_USERS_H

#include <stdint.h>
#include <jansson.h>
#include "manager/state.h"

#define MGR_USER_NAME_MAX 64
#define MGR_ACCESS_KEY_LEN 20
#define MGR_SECRET_LEN 40

typedef struct mgr_user {
    char name[MGR_USER_NAME_MAX + 1];
    char access_key[MGR_ACCESS_KEY_LEN + 1];
    char secret[MGR_SECRET_LEN + 1];
    char role[16];                 /* "user" or "admin" */
    uint64_t created_ms;
} mgr_user_t;

/** 1 when name is 1..64 of [A-Za-z0-9._-]. */
int mgr_user_name_valid(const char *name);
/** Creates a user with fresh random credentials. role NULL means "user".
 *  0 with *out filled, CN_EINVAL (bad name or role), CN_EEXIST, CN_EIO. */
int mgr_users_create(mgr_state_t *st, const char *name, const char *role, mgr_user_t *out);
/** 0, CN_ENOENT. */
int mgr_users_get(mgr_state_t *st, const char *name, mgr_user_t *out);
/** Looks a user up by access key id. 0, CN_ENOENT. */
int mgr_users_by_key(mgr_state_t *st, const char *access_key, mgr_user_t *out);
/** Deletes a user. 0, CN_ENOENT, CN_EBUSY when the user still owns a bucket, CN_EIO. */
int mgr_users_delete(mgr_state_t *st, const char *name);
/** A new JSON array of every user in name order: {"user","access_key","role","created"}
 *  and, with secrets, also "secret" (the RPC get_users body). */
json_t *mgr_users_json(mgr_state_t *st, int with_secrets);

#endif
