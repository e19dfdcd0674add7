/*
 * manager/migrate.h: the format version of the manager's state, and the steps that bring an
 * older state up to it. The version is the 8-byte counter "v/format" (state.h); a state
 * without it is format 1 (every release before canonical user ids).
 *
 *   format 1: users u/<name> {user, access_key, secret, role, ...}, index k/<key> -> name;
 *             buckets b/<name> {owner: the owner's access key id, ...}
 *   format 2: users have "id" (64 hex, users.h) and the index i/<id> -> name; a bucket's
 *             "owner" is that id. Objects written under format 1 name no owner: the gateway
 *             takes their bucket's owner (gateway/auth/access.h).
 *
 * mgr_state_migrate runs when the manager opens its state and after a restore (a backup may
 * be older than the running release). Each step is idempotent and written with the version
 * bump in one batch per record plus one for the version, so a crash half-way is finished by
 * the next start. A state newer than this release is refused (CN_EPROTO): an old manager must
 * not half-understand it.
 * Threads: callers hold the server lock (or run before the loop starts).
 */
#ifndef CAIRN_MANAGER_MIGRATE_H
#define CAIRN_MANAGER_MIGRATE_H

#include "manager/state.h"

#define MGR_STATE_FORMAT 2
#define MGR_VER_FORMAT "v/format"

/** Brings st to MGR_STATE_FORMAT. 0, CN_EPROTO (written by a newer release), CN_EIO. */
int mgr_state_migrate(mgr_state_t *st);

#endif
