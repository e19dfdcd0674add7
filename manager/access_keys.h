/*
 * manager/access_keys.h: a user's access keys after the first (users.h keeps them in the
 * user's record): create, delete, set status Active/Inactive. Each change is a command entry
 * (access_key_create, access_key_delete, access_key_set_status; cmd.h) that bumps users_ver,
 * so that gateways refetch the users table, which lists only Active keys.
 * The proposers (mgr_keys_*) check what they can, choose the random key and secret and the
 * creation time, propose and wait (mgr_fsm_propose_wait: not for the loop thread);
 * mgr__keys_apply checks the entry again against the state.
 * Threads: callers hold the server lock.
 */
#ifndef CAIRN_MANAGER_ACCESS_KEYS_H
#define CAIRN_MANAGER_ACCESS_KEYS_H

#include "manager/state.h"
#include "manager/users.h"

/** Gives user a new Active key; *out gets it, secret included (shown once: never listed).
 *  0, CN_ENOENT (no such user), CN_ENOSPC (MGR_USER_MAX_KEYS already), CN_EIO. */
int mgr_keys_create(mgr_fsm_t *f, const char *user, mgr_access_key_t *out);
/** Deletes a key. *user (may be NULL) gets its user's name. 0, CN_ENOENT, CN_EIO. */
int mgr_keys_delete(mgr_fsm_t *f, const char *key, char user[MGR_USER_NAME_MAX + 1]);
/** Sets a key's status (MGR_KEY_ACTIVE or MGR_KEY_INACTIVE, as S3 spells them). *user (may
 *  be NULL) gets its user's name. 0, CN_ENOENT, CN_EINVAL (another status), CN_EIO. */
int mgr_keys_set_status(mgr_fsm_t *f, const char *key, const char *status,
                        char user[MGR_USER_NAME_MAX + 1]);
/** 1 for "Active" or "Inactive". */
int mgr_key_status_valid(const char *status);

/* For fsm.c (apply) only. */
struct mgr_cmd;
/** Checks an access_key_* entry against st and adds its effect and the users_ver bump to b.
 *  0, or the code that refuses it (CN_ENOENT, CN_EEXIST: the key is taken, CN_ENOSPC,
 *  CN_EINVAL), CN_EIO when st could not be read. */
int mgr__keys_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b);

#endif
