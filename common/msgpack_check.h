/*
 * common/msgpack_check.h: check untrusted msgpack before msgpack-c allocates for it.
 */
#ifndef CAIRN_COMMON_MSGPACK_CHECK_H
#define CAIRN_COMMON_MSGPACK_CHECK_H

#include <stddef.h>

/** Walks the first msgpack value in buf[0..len) without allocating: it must be complete and
 *  no array or map may declare more items than bytes remain. Returns 0 with *used = the
 *  value's length in bytes (the caller decides whether bytes may follow), or CN_ECORRUPT.
 *  Thread-safe, no allocation. */
int cn_msgpack_check(const void *buf, size_t len, size_t *used);

#endif
