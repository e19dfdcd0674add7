/*
 * common/mem.c: allocation wrappers. Out of memory is logged and aborts (Redis zmalloc);
 * cn_try_malloc is the one that returns NULL, for sizes a peer picks.
 */
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void oom(size_t n)
{
    CN_FATAL("out of memory allocating %zu bytes", n);
}

void *cn_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        oom(n);
    return p;
}

void *cn_calloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

    if (p == NULL)
        oom(nmemb * size);
    return p;
}

void *cn_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        oom(n);
    return q;
}

char *cn_strdup(const char *s)
{
    size_t n = strlen(s);
    char *d = cn_malloc(n + 1);

    memcpy(d, s, n + 1);
    return d;
}

char *cn_memdup0(const void *p, size_t n)
{
    char *d = cn_malloc(n + 1);

    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

char *cn_strndup(const char *s, size_t n)
{
    size_t len = n ? strnlen(s, n) : 0; /* s may be NULL when n is 0 (msgpack's empty str) */
    char *d = cn_malloc(len + 1);

    if (len)
        memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void *cn_try_malloc(size_t n)
{
    return malloc(n ? n : 1);
}

void cn_free(void *p)
{
    free(p);
}
