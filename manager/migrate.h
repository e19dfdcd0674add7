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
 *   format 3: a user's keys are a "keys" array in u/<name>, each {access_key, secret, status
 *             (Active|Inactive), created_ms} (users.h); the record has no top-level
 *             "access_key" and "secret" any more. Format 2's one key becomes the user's only
 *             key, Active, made when the user was. The k/ index is unchanged (one per key).
 *   format 4: (issue 15, ACL grants) a bucket record may have "grants", its ACL as a grant
 *             list (common/acl.h) in place of its canned "acl"; a user record may have
 *             "email" (what a grant by email address names). Both are optional and their
 *             absence means what format 3 said, so the step rewrites nothing; the number
 *             only keeps a release before it from reading grants it would ignore (a bucket
 *             shared by a grant list would look private to it).
 *
 * Not a format: the key service's s/<name> records (issue 20, manager/kms.h) are a new
 * prefix that nothing older reads or writes, so a state without them is simply one with no
 * keys, and no step is needed. The same holds for the cluster id c/id and the links l/<id>
 * (issue 22, manager/clusters.h): an old state has no id until its leader proposes one (an
 * entry: the id is random, which a migration must not be).
 *
 * The migration is a local step, not a command entry (fsm.h): it changes how the state is
 * encoded, not what it says, and it is a pure function of the state's bytes (a legacy id is
 * a hash of the name; no clock, no randomness), so every manager of one release that holds
 * the same state writes the same bytes. It must also run before any entry is applied, since
 * entries are interpreted in the current format. fsm.c runs it when it opens the state and
 * right after applying a restore entry (a backup may be older than the running release), and
 * commits what mgr_migrate_fill adds in one batch with the new "v/format" (not "v/applied":
 * no entry was applied), so a crash leaves the old format whole and the next start migrates
 * again. A state newer than this release is refused (CN_EPROTO): an old manager must not
 * half-understand it.
 * Threads: callers hold the server lock (or run before the loop starts).
 */
#ifndef CAIRN_MANAGER_MIGRATE_H
#define CAIRN_MANAGER_MIGRATE_H

#include "manager/state.h"

#define MGR_STATE_FORMAT 4
#define MGR_VER_FORMAT "v/format"

/** Adds to b what brings st to MGR_STATE_FORMAT, "v/format" included; adds nothing when st
 *  is at it. Reads st, never writes it. 0 with *from = the format st has, CN_EPROTO (written
 *  by a newer release), CN_EIO (a scan failed). */
int mgr_migrate_fill(mgr_state_t *st, mgr_batch_t *b, uint64_t *from);

#endif
