/*
 * storage/engine/rocks_fail.h: the one way storage/ handles a failed RocksDB call: its
 * "char *err" is classified (common/rocks_err.h), logged once with the store and what
 * failed, and freed (rocks_fail.c). The index, the simple engine and the repair queue use it.
 */
#ifndef CAIRN_STORAGE_ROCKS_FAIL_H
#define CAIRN_STORAGE_ROCKS_FAIL_H

/** Logs "rc=CODE: STORE WHAT failed: ERR", frees err (rocksdb_free) and returns its code
 *  (CN_ECORRUPT, CN_ENOSPC, CN_EBUSY or CN_EIO). */
int stor_rocks_fail(const char *store, const char *what, char *err);

#endif
