/*
 * common/msgpack_check.h: check untrusted msgpack before msgpack-c allocates for it, and
 * read its strings with bounds; the two small writers every codec shares.
 */
#ifndef CAIRN_COMMON_MSGPACK_CHECK_H
#define CAIRN_COMMON_MSGPACK_CHECK_H

#include <stddef.h>

/** Walks the first msgpack value in buf[0..len) without allocating: it must be complete and
 *  no array or map may declare more items than bytes remain. Returns 0 with *used = the
 *  value's length in bytes (the caller decides whether bytes may follow), or CN_ECORRUPT.
 *  Thread-safe, no allocation. */
int cn_msgpack_check(const void *buf, size_t len, size_t *used);

struct msgpack_object;
/** Copies a msgpack str of 1..max-1 bytes without a NUL into out, NUL-terminated. 0, or
 *  CN_ECORRUPT for anything else (another type, empty, too long, a NUL inside). */
int cn_msgpack_copy_str(const struct msgpack_object *o, char *out, size_t max);

struct msgpack_packer;
/** A msgpack_packer write callback appending to a cn_buf_t (data). Always 0. */
int cn_msgpack_buf_write(void *data, const char *p, size_t n);
/** Packs the str s[0, n). */
void cn_msgpack_pack_str(struct msgpack_packer *pk, const char *s, size_t n);

#endif
