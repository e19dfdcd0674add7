/*
 * common/rocks_err.c: the one mapping of RocksDB error text to CN_E* codes (rocks_err.h).
 * The text is "<code prefix><subcode message><state>" (rocksdb/status.h, 7.x), e.g.
 *   "Corruption: block checksum mismatch: stored = 1, computed = 2 ..."
 *   "IO error: No space left on device: While appending to file: /d/000012.log"
 *   "IO error: While lock file: /d/LOCK: Resource temporarily unavailable"   (other process)
 *   "IO error: lock hold by current process, acquire time ... : /d/LOCK: No locks available"
 * Corruption is judged by the prefix alone and first: its state often names a "block", and a
 * bare search for "lock" (as the per-file copies this replaces did) took a corrupt block for
 * a held lock. The other tests look for whole phrases, never for a path component.
 */
#include "common/rocks_err.h"

#include <string.h>

#include "common/err.h"

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int cn_rocks_err_rc(const char *err)
{
    if (err == NULL)
        return CN_EIO;
    if (has_prefix(err, "Corruption: "))
        return CN_ECORRUPT;
    if (strstr(err, "No space left on device") != NULL)
        return CN_ENOSPC;
    if (strstr(err, "While lock file") != NULL ||
        strstr(err, "lock hold by current process") != NULL ||
        strstr(err, "Resource temporarily unavailable") != NULL ||
        has_prefix(err, "Resource busy"))
        return CN_EBUSY;
    return CN_EIO;
}
