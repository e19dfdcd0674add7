/*
 * manager/state.h: the manager's persistent store, a RocksDB database under data_dir.
 * Keys are "<kind>/<name>" strings; values are JSON records (members, users, buckets,
 * consistency), raw cn_ring_encode bytes (rings) or 8-byte big-endian counters (versions):
 *   m/<node>      member          u/<user>     user          k/<access key>  user name
 *   b/<bucket>    bucket          r/cur r/prev ring bytes    v/users v/buckets  versions
 *   c/levels      consistency levels {n, w, r, d}          i/<user id>     user name
 *   v/format      the state's format version (manager/migrate.h)
 *   v/applied     the index of the last command entry applied (manager/fsm.h)
 *   e/<domain>    endpoint
 *   g/<id>        where manager <id> of the group answers (manager/group.h)
 *   p/<bucket>    the bucket's policy document, as given (manager/buckets.h)
 *   x/<bucket>/<name>  a named configuration of the bucket, JSON (manager/buckets.h);
 *                 x/<bucket>/redundancy is its redundancy policy (issue 21; no format bump:
 *                 a bucket without it replicates)
 *   s/<name>      a key of the key service: its epochs' KEKs, wrapped by the master key
 *                 (manager/kms.h; no format bump: a state without s/ simply has no keys)
 *   c/id          this cluster's id (manager/clusters.h; issue 22)
 *   l/<id>        a link to the cluster <id>, its secret wrapped by the master key
 *                 (manager/clusters.h; no format bump for either: a state without them has
 *                 no id yet, which its leader proposes, and no link)
 * One write path: every change is a command entry (manager/cmd.h) that manager/fsm.c
 * applies, committing the entry's effect and v/applied in one synced batch (WAL fsync), so
 * that a crash never leaves half a change. The modules fill batches for it (mgr_batch_*
 * below); only fsm.c commits them (state_int.h). Do not add a write here or anywhere else:
 * add a kind of entry.
 * Threads: not locked inside. The manager serializes every use with its server lock.
 */
#ifndef CAIRN_MANAGER_STATE_H
#define CAIRN_MANAGER_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct mgr_state mgr_state_t;
typedef struct mgr_batch mgr_batch_t;
typedef struct mgr_fsm mgr_fsm_t; /* the one writer (manager/fsm.h) */

#define MGR_VER_USERS "v/users"
#define MGR_VER_BUCKETS "v/buckets"

/** Opens (creating dir and the database if missing). 0, or CN_EIO / CN_EBUSY (another
 *  process holds the database) with the reason logged. */
int mgr_state_open(const char *dir, mgr_state_t **out);
void mgr_state_close(mgr_state_t *st);

/** Reads key. Returns 0 with *val (NUL-terminated, free with cn_free) and *len, CN_ENOENT
 *  when absent, CN_EIO. */
int mgr_state_get(mgr_state_t *st, const char *key, char **val, size_t *len);
/** Reads a JSON record; CN_ENOENT, CN_EIO, CN_ECORRUPT (not JSON). Free with json_decref. */
int mgr_state_get_json(mgr_state_t *st, const char *key, json_t **out);
/** Reads an 8-byte counter; an absent counter reads 0. */
uint64_t mgr_state_get_u64(mgr_state_t *st, const char *key);

/** Calls fn for every key starting with prefix, in key order. fn returns 0 to go on,
 *  anything else stops the scan and is returned. Key and value are borrowed for the call. */
typedef int (*mgr_state_scan_fn)(const char *key, size_t klen, const char *val, size_t vlen,
                                 void *arg);
int mgr_state_scan(mgr_state_t *st, const char *prefix, mgr_state_scan_fn fn, void *arg);

/** A group of writes that fsm.c commits atomically with an entry's index; free it with
 *  mgr_batch_free when it is not committed. */
mgr_batch_t *mgr_batch_new(void);
void mgr_batch_put(mgr_batch_t *b, const char *key, const void *val, size_t len);
/** Puts a JSON record (dumped compactly; j stays the caller's). */
void mgr_batch_put_json(mgr_batch_t *b, const char *key, const json_t *j);
void mgr_batch_del(mgr_batch_t *b, const char *key);
/** Adds "counter + 1" to the batch and returns the new value (read now, so hold the lock
 *  until the commit). */
uint64_t mgr_batch_bump(mgr_batch_t *b, mgr_state_t *st, const char *key);
/** Adds an 8-byte big-endian counter. */
void mgr_batch_put_u64(mgr_batch_t *b, const char *key, uint64_t v);
void mgr_batch_free(mgr_batch_t *b);

#endif
