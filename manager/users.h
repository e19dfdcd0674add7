/*
 * manager/users.h: S3 users (name, canonical id, access keys, role), stored in the manager's
 * state as u/<name> with the indexes k/<access key> -> name (one per key, whatever its status)
 * and i/<id> -> name.
 * Access keys (state format 3, migrate.h): a user has 0..MGR_USER_MAX_KEYS keys, each an id,
 * a secret, a status ("Active" or "Inactive", as S3's IAM says) and a creation time, kept in
 * the user's record in creation order ("keys"). Only an Active key signs requests: gateways
 * are sent the Active ones alone. create-user makes the first key; access_keys.h adds,
 * deactivates and deletes keys. A record of format 2 (one "access_key" and "secret") reads
 * as a user whose only key is Active.
 * Every change is a command entry (cmd.h) that bumps users_ver (MGR_VER_USERS) in the batch
 * that applies it, so that gateways refetch. The functions that change users propose an
 * entry and wait for it (mgr_fsm_propose_wait): not for the loop thread.
 * The canonical id (64 lower-case hex characters, as S3's) is what owns buckets and objects:
 * it never changes, so a user's keys may change without touching stored data. A new user's
 * id is random; a user made before ids existed gets mgr_user_legacy_id(name) when the state
 * is migrated (manager/migrate.c).
 * Roles are "user" (cairn-adm also says "normal") and "admin". A user may have a password
 * (for consoles; S3 uses the keys): only its PBKDF2-HMAC-SHA256 hash is stored, and it is
 * never listed nor sent to gateways.
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
#define MGR_USER_ID_LEN 64
#define MGR_USER_MAX_KEYS 10           /* keys of one user: bounds the record */
#define MGR_USER_EMAIL_MAX 254         /* bytes of an email address (RFC 5321's path limit) */
#define MGR_KEY_ACTIVE "Active"
#define MGR_KEY_INACTIVE "Inactive"

/* One access key of a user. */
typedef struct mgr_access_key {
    char id[MGR_ACCESS_KEY_LEN + 1];
    char secret[MGR_SECRET_LEN + 1];
    char status[12];               /* MGR_KEY_ACTIVE or MGR_KEY_INACTIVE */
    uint64_t created_ms;
} mgr_access_key_t;

typedef struct mgr_user {
    char name[MGR_USER_NAME_MAX + 1];
    char id[MGR_USER_ID_LEN + 1];  /* canonical id, 64 hex */
    /* user_create: the user's first key (what the entry carries). Read from the state: the
     * first of keys[], whatever its status ("" when the user has none). */
    char access_key[MGR_ACCESS_KEY_LEN + 1];
    char secret[MGR_SECRET_LEN + 1];
    char role[16];                 /* "user" or "admin" */
    uint64_t created_ms;
    char pw_hash[160];             /* "pbkdf2-sha256$ITER$SALT$HASH" or "" */
    char email[MGR_USER_EMAIL_MAX + 1]; /* "" or the address S3 grants by email name (state
                                    * format 4; unique among users, without regard to case) */
    unsigned nkeys;                /* read from the state; never in an entry */
    mgr_access_key_t keys[MGR_USER_MAX_KEYS];
} mgr_user_t;

#define MGR_PASSWORD_MIN 8
#define MGR_PASSWORD_MAX 1024

/** 1 when name is 1..64 of [A-Za-z0-9._-]. */
int mgr_user_name_valid(const char *name);
/** Creates a user with fresh random credentials. role NULL means "user"; password may be
 *  NULL (none). 0 with *out filled, CN_EINVAL (bad name, role or password), CN_EEXIST,
 *  CN_EIO. */
int mgr_users_create(mgr_fsm_t *f, const char *name, const char *role, const char *password,
                     mgr_user_t *out);
/** Maps a role as the admin types it ("user", "normal", "admin") to the stored one, or NULL. */
const char *mgr_user_role_canon(const char *role);
/** 1 when a password has MGR_PASSWORD_MIN..MGR_PASSWORD_MAX bytes. */
int mgr_user_password_valid(const char *password);
/** Creates a user with the given keys (moving a user from another system). role NULL means
 *  "user"; password may be NULL. 0, CN_EINVAL (bad name, key, secret, role or password),
 *  CN_EEXIST (the name exists; *why_key = 0) or the access key is taken (*why_key = 1),
 *  CN_EIO. Keys: access key 20 of [A-Za-z0-9], secret 40 of [A-Za-z0-9/+]. */
int mgr_users_import(mgr_fsm_t *f, const char *name, const char *access_key,
                     const char *secret, const char *role, const char *password,
                     int *why_key);
/** Sets the password (NULL: none; its hash is computed here and only the hash is proposed).
 *  0, CN_ENOENT, CN_EINVAL, CN_EIO. */
int mgr_users_set_password(mgr_fsm_t *f, const char *name, const char *password);
/** Sets the user's email address ("" or NULL: none). 0, CN_ENOENT, CN_EINVAL (not an
 *  address: 3..254 bytes, one '@' with text on both sides, no blank or control character),
 *  CN_EEXIST (another user has it), CN_EIO. */
int mgr_users_set_email(mgr_fsm_t *f, const char *name, const char *email);
/** 1 when email is an address update-user-email takes (see mgr_users_set_email). */
int mgr_user_email_valid(const char *email);
/** Changes the role. 0, CN_ENOENT, CN_EINVAL, CN_EIO. */
int mgr_users_set_role(mgr_fsm_t *f, const char *name, const char *role);
/** 1 when password matches the user's stored hash. */
int mgr_users_check_password(const mgr_user_t *u, const char *password);
/** 0, CN_ENOENT. */
int mgr_users_get(mgr_state_t *st, const char *name, mgr_user_t *out);
/** Looks a user up by access key id (any status). 0, CN_ENOENT. */
int mgr_users_by_key(mgr_state_t *st, const char *access_key, mgr_user_t *out);
/** Looks a user up by canonical id. 0, CN_ENOENT. */
int mgr_users_by_id(mgr_state_t *st, const char *id, mgr_user_t *out);
/** Looks a user up by canonical id or, failing that, by access key (callers that accept
 *  either, as the bucket RPCs of older gateways send a key). 0, CN_ENOENT. */
int mgr_users_by_id_or_key(mgr_state_t *st, const char *who, mgr_user_t *out);
/** 1 when s is a canonical id: 64 of [0-9a-f]. */
int mgr_user_id_valid(const char *s);
/** The id a user made before ids existed gets on migration: hex SHA-256 of
 *  "cairn-user-id:" + name, so that the migration is deterministic and idempotent. */
void mgr_user_legacy_id(const char *name, char out[MGR_USER_ID_LEN + 1]);
/** Deletes a user. 0, CN_ENOENT, CN_EBUSY when the user still owns a bucket, CN_EIO. */
int mgr_users_delete(mgr_fsm_t *f, const char *name);
/** The index of key in u->keys, or -1. */
int mgr_user_key_index(const mgr_user_t *u, const char *key);
/** 1 when key is 20 of [A-Za-z0-9] and secret 40 of [A-Za-z0-9/+] (what import accepts). */
int mgr_user_keys_valid(const char *key, const char *secret);
/** A fresh random access key id that no user has, and a random secret. 0, CN_EIO. */
int mgr__users_new_key(mgr_state_t *st, char key[MGR_ACCESS_KEY_LEN + 1],
                       char secret[MGR_SECRET_LEN + 1]);
/** A user's keys as a new JSON array of {"access_key","status","created"} (no secrets). */
json_t *mgr_user_keys_json(const mgr_user_t *u);
/** A new JSON array of every user in name order: {"user","id","role","created"} and
 *  and "email" when the user has one;
 *  - with secrets (the RPC get_users body, for gateways): "keys" [{"access_key","secret"}] of
 *    the Active keys only, and "access_key"/"secret" of the first of them (gateways of the
 *    release before several keys read those; left out when no key is Active);
 *  - without (the admin API): "access_key" (the first key, "" when none), "keys" as
 *    mgr_user_keys_json and "password" (bool: whether one is set). */
json_t *mgr_users_json(mgr_state_t *st, int with_secrets);

/* For fsm.c (apply) and migrate.c only: what a user entry writes. */
struct mgr_cmd;
#define MGR_USER_PUT_KEY 1u        /* also the k/<access key> index of each key */
#define MGR_USER_PUT_ID 2u         /* also the i/<id> index */
/** Adds u's record (and the indexes asked for) to b. The record holds u->keys. */
void mgr__users_put(mgr_batch_t *b, const mgr_user_t *u, unsigned what);
/** Checks a user_* entry against st and adds its effect and the users_ver bump to b. 0, or
 *  the code that refuses it (CN_EEXIST with *why, CN_ENOENT, CN_EBUSY, CN_EINVAL), CN_EIO
 *  when st could not be read. */
int mgr__users_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b, int *why);

#endif
