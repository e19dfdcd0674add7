/*
 * common/rocks_err.h: RocksDB's error strings as CN_E* codes, the same way for every store.
 * RocksDB's C API reports a failure as a malloc'd "char *err" (a Status::ToString()); this
 * header only classifies that text. It needs no RocksDB: the caller, which owns err, logs it
 * once with what failed and frees it with rocksdb_free().
 */
#ifndef CAIRN_COMMON_ROCKS_ERR_H
#define CAIRN_COMMON_ROCKS_ERR_H

/** Maps RocksDB's error text to a code: CN_ECORRUPT ("Corruption: ..."), CN_ENOSPC (the file
 *  system is full), CN_EBUSY (another process or another open in this one holds the store's
 *  LOCK file, or "Resource busy"), else CN_EIO. Reads err only; NULL gives CN_EIO. Pure and
 *  thread-safe. */
int cn_rocks_err_rc(const char *err);

#endif
