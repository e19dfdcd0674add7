/*
 * manager/backup.h: backup-manager / restore-manager. A backup is a JSON export of every
 * record of the manager's state (members, rings, consistency levels, users with their keys,
 * buckets, endpoints, versions), taken under the server lock so it is consistent:
 *   {"format": "cairn-manager-backup", "version": 1, "created": "ISO 8601",
 *    "records": [{"key": "u/alice", "json": {...}}, {"key": "r/cur", "hex": "..."}, ...]}
 * Records that are JSON objects stay readable ("json"); others (rings, counters, the access
 * key index) are hex. A backup holds the users' secrets: keep it like a key file.
 * Restore goes into a running manager: it validates the whole document first, then replaces
 * the state in one atomic batch. The versions of users, buckets and endpoints come out
 * higher than both the old and the restored ones, so every gateway refetches.
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
/** Validates doc and replaces the whole state with it. 0 with *nrec records written,
 *  CN_EINVAL (why says which record and what is wrong; nothing was changed), CN_EIO. */
int mgr_backup_restore(mgr_state_t *st, const json_t *doc, size_t *nrec, char *why,
                       size_t whylen);

#endif
