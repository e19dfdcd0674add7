/*
 * common/mem.h: allocation that logs and aborts on out-of-memory (Redis zmalloc idea).
 * Use cn_try_malloc when a peer picks the size (Content-Length, an RPC frame length) and
 * answer an error on NULL instead of aborting.
 */
#ifndef CAIRN_COMMON_MEM_H
#define CAIRN_COMMON_MEM_H

#include <stddef.h>

void *cn_malloc(size_t n);
void *cn_calloc(size_t nmemb, size_t size);
void *cn_realloc(void *p, size_t n);
char *cn_strdup(const char *s);
/** The n bytes at p, NUL bytes included, and a NUL after them (n + 1 bytes): for a key that
 *  may hold a NUL, as a version's storage key does ("bucket/key\0ID"), kept with its length.
 *  cn_strndup stops at the first NUL. */
char *cn_memdup0(const void *p, size_t n);
char *cn_strndup(const char *s, size_t n);
/** Returns NULL on failure instead of aborting. */
void *cn_try_malloc(size_t n);
void cn_free(void *p);

#endif
