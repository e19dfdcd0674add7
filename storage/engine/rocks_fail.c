/*
 * storage/engine/rocks_fail.c: a failed RocksDB call, logged and freed (rocks_fail.h).
 */
#include "storage/engine/rocks_fail.h"

#include <rocksdb/c.h>

#include "common/err.h"
#include "common/log.h"
#include "common/rocks_err.h"

int stor_rocks_fail(const char *store, const char *what, char *err)
{
    int rc = cn_rocks_err_rc(err);

    CN_LOG(CN_LOG_ERROR, "rc=%s: %s %s failed: %s", cn_strerror(rc), store, what, err);
    rocksdb_free(err);
    return rc;
}
