/*
 * common/buf.c: growable owned buffers.
 * Invariant: cap == 0 and data == NULL, or data[len] == '\0' and len < cap.
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/mem.h"

void cn_buf_init(cn_buf_t *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void cn_buf_dispose(cn_buf_t *b)
{
    cn_free(b->data);
    cn_buf_init(b);
}

void cn_buf_reserve(cn_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* room for the NUL */
    size_t cap;

    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < ((size_t)1 << 62) ? cap * 2 : need;
    b->data = cn_realloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0';
}

void cn_buf_append(cn_buf_t *b, const void *p, size_t n)
{
    cn_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cn_buf_append_str(cn_buf_t *b, const char *s)
{
    cn_buf_append(b, s, strlen(s));
}

void cn_buf_appendf(cn_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    cn_buf_reserve(b, 64);
    va_start(ap, fmt);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= b->cap - b->len) {
        cn_buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void cn_buf_consume(cn_buf_t *b, size_t n)
{
    if (n >= b->len) {
        cn_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void cn_buf_reset(cn_buf_t *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0';
}

char *cn_buf_steal(cn_buf_t *b, size_t *len)
{
    char *p = b->data;

    if (len)
        *len = b->len;
    if (p == NULL)
        p = cn_calloc(1, 1);
    cn_buf_init(b);
    return p;
}
