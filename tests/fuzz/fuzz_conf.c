/*
 * tests/fuzz/fuzz_conf.c: libFuzzer target for the INI configuration loader (common/conf.h).
 * The input is written to a memfd and loaded with cn_conf_load against a table holding every
 * key type; its first line is also tried as a --set assignment. A load must end in 0,
 * CN_ECONFIG or CN_ENOENT with a "where: section.key: why" message, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/err.h"
#include "common/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fconf {
    char *name;
    char *dir;
    int64_t offset;
    uint64_t workers;
    int sync;
    uint64_t size;
    uint64_t timeout_ms;
    int level;
    uint64_t free_uint;
    int64_t free_int;
};

static const cn_conf_key_t keys[] = {
    CN_CONF_KEY(CN_CONF_STR, "node", "name", struct fconf, name, "storage0", 0, 0, 0, "name"),
    CN_CONF_KEY(CN_CONF_PATH, "node", "dir", struct fconf, dir, "./data", 0, 0, 0, "dir"),
    CN_CONF_KEY(CN_CONF_INT, "tune", "offset", struct fconf, offset, "-5", -100, 100, 1, "int"),
    CN_CONF_KEY(CN_CONF_UINT, "tune", "workers", struct fconf, workers, "4", 1, 64, 0, "uint"),
    CN_CONF_KEY(CN_CONF_BOOL, "tune", "sync", struct fconf, sync, "true", 0, 0, 1, "bool"),
    CN_CONF_KEY(CN_CONF_SIZE, "cache", "size", struct fconf, size, "64m", 0, 0, 1, "size"),
    CN_CONF_KEY(CN_CONF_MS, "cache", "timeout", struct fconf, timeout_ms, "5s", 100, 3600000, 1,
                "ms"),
    CN_CONF_KEY(CN_CONF_LEVEL, "log", "level", struct fconf, level, "info", 0, 0, 1, "level"),
    CN_CONF_KEY(CN_CONF_UINT, "tune", "free_uint", struct fconf, free_uint, "0", 0, 0, 0, "uint"),
    CN_CONF_KEY(CN_CONF_INT, "tune", "free_int", struct fconf, free_int, "0", 0, 0, 0, "int"),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int memfd = -1;
static char path[64];
static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fconf c;
    char err[512], line[256];
    const char *nl;
    size_t n;
    int rc;

    cn_log_set_level(CN_LOG_ERROR);
    if (memfd < 0) {
        if ((memfd = memfd_create("cairn-fuzz-conf", MFD_CLOEXEC)) < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
        if ((devnull = fopen("/dev/null", "w")) == NULL)
            abort();
    }
    if (ftruncate(memfd, 0) != 0 || (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size))
        abort();

    memset(&c, 0, sizeof(c));
    if (cn_conf_defaults(keys, NKEYS, &c, err, sizeof(err)) != 0)
        abort();
    err[0] = '\0';
    rc = cn_conf_load(path, keys, NKEYS, &c, err, sizeof(err));
    if (rc != 0 && ((rc != CN_ECONFIG && rc != CN_ENOENT) || err[0] == '\0'))
        abort(); /* an error must come with its message */
    cn_conf_print(keys, NKEYS, &c, devnull);

    nl = memchr(data, '\n', size);
    n = nl ? (size_t)(nl - (const char *)data) : size;
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    memcpy(line, data, n);
    line[n] = '\0';
    err[0] = '\0';
    rc = cn_conf_set(line, keys, NKEYS, &c, err, sizeof(err));
    if (rc != 0 && err[0] == '\0')
        abort();
    cn_conf_dispose(keys, NKEYS, &c);
    return 0;
}
