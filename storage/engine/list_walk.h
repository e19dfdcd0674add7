/*
 * storage/engine/list_walk.h: the listing walk shared by both engines (engine_simple.c and the
 * container engine's index.c). Each keeps its records in RocksDB under a one-byte kind
 * ("m" + key, "o" + key); the walk does prefix, start_after (the marker), delimiter (common
 * prefixes, seeking past each one instead of walking the keys under it), max_keys and
 * tombstones once, and asks the engine only to decode a record's value.
 *
 * Threads: as RocksDB (thread-safe); holds no lock.
 */
#ifndef CAIRN_STORAGE_LIST_WALK_H
#define CAIRN_STORAGE_LIST_WALK_H

#include <rocksdb/c.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/proto.h"
#include "storage/engine/engine.h"

/** Decodes one record's value into m (clock, size, mtime_ms, flags, etag, and meta borrowed
 *  from val). Returns 0, or non-zero for a record the listing skips (corrupt). */
typedef int (*stor_list_decode_fn)(const char *val, size_t len, stor_obj_meta_t *m);

/** Lists the records "kind + key" of db as stor_engine_list (storage/engine/engine.h): appends
 *  cn_list_encode_* bytes to out, sets *truncated, adds the iterator positions visited to
 *  *steps. 0, or common/rocks_err.h's code for the error of RocksDB's iterator (logged here);
 *  then nothing is appended. With a pick, each object's entry carries the pairs of its
 *  metadata that pick names (cn_list_pick_meta). */
int stor__list_walk(rocksdb_t *db, char kind, stor_list_decode_fn decode, cn_slice_t prefix,
                    cn_slice_t start_after, size_t max_keys, cn_slice_t delim, unsigned opts,
                    cn_slice_t pick, cn_buf_t *out, int *truncated, uint64_t *steps);

#endif
