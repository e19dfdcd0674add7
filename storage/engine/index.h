/*
 * storage/engine/index.h: the container engine's RocksDB index (docs/STORAGE_FORMAT.md, "Index").
 *
 * RocksDB keys:
 *   "o" + key           -> entry: where the newest record of key is, and its metadata (so
 *                          HEAD and listing never read a container);
 *   "c" + u32be cid     -> checkpoint of container cid: u32 generation | u64 offset; every
 *                          record below offset in that generation is indexed;
 *   "!containers"       -> u64le number of containers the store was made with;
 *   "j" + u64be seq     -> a change-journal entry (issue 22): u8 version 1 | u64le clock |
 *                          u32le flags (CN_OBJ_TOMBSTONE, ...) | key; written in the
 *                          WriteBatch of the write it records (stor_index_batch_journal).
 * Entries, checkpoints and the records' index updates change together in one WriteBatch.
 *
 * Threads: every function is thread-safe (RocksDB is). Errors: RocksDB's char *err is
 * logged and freed here and mapped by common/rocks_err.h (CN_EBUSY when another process
 * holds the lock, CN_ENOSPC, CN_ECORRUPT, else CN_EIO).
 */
#ifndef CAIRN_STORAGE_INDEX_H
#define CAIRN_STORAGE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "storage/engine/engine.h"

#define STOR_IDX_BAD 0x10000u /* internal flag: scrub found the record corrupt */

typedef struct stor_index stor_index_t;
typedef struct stor_index_batch stor_index_batch_t;

/** One index entry. meta is borrowed from the buffer the entry was decoded from. */
typedef struct stor_ientry {
    uint32_t cid, gen;   /* container and its generation (bumped by each compaction) */
    uint64_t off;        /* offset of the record's header in the container file */
    uint32_t flags;      /* CN_OBJ_* | STOR_IDX_BAD */
    uint64_t clock, size, mtime_ms;  /* size: the object's (see obj_size in record.h) */
    uint64_t body_len;               /* bytes of the record's body */
    char etag[STOR_ETAG_MAX + 1];
    cn_slice_t meta;
} stor_ientry_t;

/** Opens (creating) the index under dir. 0, CN_EBUSY (locked by another process) or CN_EIO. */
int stor_index_open(const char *dir, uint64_t memtable_bytes, uint64_t cache_bytes,
                    stor_index_t **out);
void stor_index_close(stor_index_t *ix);
/** Closes nothing; deletes every entry and checkpoint (for --rebuild-index). */
int stor_index_wipe(stor_index_t *ix);

void stor_ientry_encode(cn_buf_t *out, const stor_ientry_t *e);
int stor_ientry_decode(const char *p, size_t len, stor_ientry_t *e);

/** Reads key's entry. val is reset and holds the bytes e->meta points into.
 *  0, CN_ENOENT, CN_ECORRUPT or CN_EIO. */
int stor_index_get(stor_index_t *ix, cn_slice_t key, stor_ientry_t *e, cn_buf_t *val);
/** As stor_index_get, but the entry is copied to small when it fits in small_len bytes (no
 *  allocation; e->meta then points into small), else to val. */
int stor_index_get_small(stor_index_t *ix, cn_slice_t key, stor_ientry_t *e, char *small,
                         size_t small_len, cn_buf_t *val);
/** Checkpoint of cid: 0 or CN_ENOENT (never written). */
int stor_index_checkpoint_get(stor_index_t *ix, uint32_t cid, uint32_t *gen, uint64_t *off);
int stor_index_u64_get(stor_index_t *ix, const char *name, uint64_t *v);
int stor_index_u64_put(stor_index_t *ix, const char *name, uint64_t v);
/** Memory RocksDB holds for the index: all memtables, and the block cache's usage. */
void stor_index_mem_usage(stor_index_t *ix, uint64_t *memtables, uint64_t *block_cache);
/** RocksDB's estimate of the entries in the index (cheap; 0 when it does not say). */
uint64_t stor_index_key_estimate(stor_index_t *ix);

stor_index_batch_t *stor_index_batch_new(void);
void stor_index_batch_free(stor_index_batch_t *b);
/** Empties b for reuse. */
void stor_index_batch_clear(stor_index_batch_t *b);
void stor_index_batch_put(stor_index_batch_t *b, cn_slice_t key, const stor_ientry_t *e);
void stor_index_batch_del(stor_index_batch_t *b, cn_slice_t key);
void stor_index_batch_checkpoint(stor_index_batch_t *b, uint32_t cid, uint32_t gen,
                                 uint64_t off);
/** Adds journal entry seq (key written at clock with flags) to b. */
void stor_index_batch_journal(stor_index_batch_t *b, uint64_t seq, cn_slice_t key,
                              uint64_t clock, uint32_t flags);
size_t stor_index_batch_count(stor_index_batch_t *b);
/** Applies b atomically; sync 1 waits for the WAL to be on disk. 0 or CN_EIO. */
int stor_index_batch_write(stor_index_t *ix, stor_index_batch_t *b, int sync);

/** The highest journal seq stored (0: none). 0 or CN_EIO. */
int stor_index_journal_last(stor_index_t *ix, uint64_t *seq);
/** Calls fn for the journal entries after seq `after`, in order, at most max, until fn
 *  returns non-zero (returned). An entry that does not decode is skipped (logged). */
int stor_index_journal_read(stor_index_t *ix, uint64_t after, size_t max,
                            int (*fn)(uint64_t seq, cn_slice_t key, uint64_t clock,
                                      uint32_t flags, void *arg),
                            void *arg);
/** Deletes the journal entries with seq <= upto (synced). 0 or CN_EIO. */
int stor_index_journal_trim(stor_index_t *ix, uint64_t upto);

/** Listing as stor_engine_list (engine.h), over the entries. */
int stor_index_list(stor_index_t *ix, cn_slice_t prefix, cn_slice_t start_after,
                    size_t max_keys, cn_slice_t delim, unsigned opts, cn_slice_t pick,
                    cn_buf_t *out, int *truncated, uint64_t *steps);

/** Calls fn for every entry in key order until fn returns non-zero (returned). */
int stor_index_foreach(stor_index_t *ix,
                       int (*fn)(cn_slice_t key, const stor_ientry_t *e, void *arg), void *arg);

/** Calls fn for up to max entries after start_after (exclusive; empty: from the first), in
 *  key order, until fn returns non-zero (returned). *more: max entries were visited. */
int stor_index_scan(stor_index_t *ix, cn_slice_t start_after, size_t max,
                    int (*fn)(cn_slice_t key, const stor_ientry_t *e, void *arg), void *arg,
                    int *more);

#endif
