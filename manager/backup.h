/*
 * manager/backup.h: backup-manager / restore-manager. A backup is a JSON export of every
 * record of the manager's state (members, rings, consistency levels, users with their keys,
 * buckets, endpoints, versions), taken under the server lock so it is consistent:
 *   {"format": "cairn-manager-backup", "version": 1, "created": "ISO 8601",
 *    "records": [{"key": "u/alice", "json": {...}}, {"key": "r/cur", "hex": "..."}, ...]}
 * Records that are JSON objects stay readable ("json"); others (rings, counters, the access
 * key index) are hex. A backup holds the users' secrets: keep it like a key file.
 * The applied index (v/applied, fsm.h) is not exported: it is this manager's position in its
 * log, and a restore is an entry of its own.
 * Restore goes into a running manager: it validates the whole document first, then proposes
 * one restore entry (cmd.h) with every record, which replaces the state in one atomic batch
 * (then migrate.h brings an older backup's format up to date). The versions of users,
 * buckets and endpoints come out higher than both the old and the restored ones, so every
 * gateway refetches. A restore keeps the group's g/ records (group.h), and takes the
 * backup's cluster id (clusters.h) with its links; a backup without an id (a release before
 * ids) keeps this cluster's. Restoring another cluster's backup therefore gives this cluster
 * that one's id: two running clusters must never share one.
 * Threads: callers hold the server lock.
 */
#ifndef CAIRN_MANAGER_BACKUP_H
#define CAIRN_MANAGER_BACKUP_H

#include <stddef.h>
#include <jansson.h>
#include "manager/state.h"

#define MGR_BACKUP_FORMAT "cairn-manager-backup"
#define MGR_BACKUP_VERSION 1

/** A new backup document of the whole state. NULL with CN_EIO in *rc when the scan failed. */
json_t *mgr_backup_export(mgr_state_t *st, int *rc);
/** Validates doc and proposes the restore entry that replaces the whole state with it; waits
 *  (not the loop thread). 0 with *nrec records written, CN_EINVAL (why says which record and
 *  what is wrong; nothing was changed), CN_EIO. */
int mgr_backup_restore(mgr_fsm_t *f, const json_t *doc, size_t *nrec, char *why,
                       size_t whylen);

struct mgr_cmd;
/** For fsm.c: checks every record of a restore or snapshot entry and adds to b what makes
 *  the state hold exactly them; bump: also set the three versions past both the old and the
 *  restored ones (a restore; a snapshot keeps its own). 0, CN_EINVAL (a record the manager
 *  does not keep; logged), CN_EIO. */
int mgr__backup_apply(mgr_state_t *st, const struct mgr_cmd *c, mgr_batch_t *b, int bump);

#endif
