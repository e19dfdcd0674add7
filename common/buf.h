/*
 * common/buf.h: byte slices (borrowed) and growable buffers (owned), and explicit
 * little/big-endian encoders for on-disk and wire formats (never cast a buffer to a struct).
 */
#ifndef CAIRN_COMMON_BUF_H
#define CAIRN_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** A borrowed byte range; never owns memory. */
typedef struct cn_slice {
    const char *ptr;
    size_t len;
} cn_slice_t;

#define CN_SLICE(s) ((cn_slice_t){(s), sizeof(s) - 1})   /* from a string literal */
static inline cn_slice_t cn_slice(const void *p, size_t n)
{
    return (cn_slice_t){(const char *)p, n};
}
static inline cn_slice_t cn_slice_str(const char *s)
{
    return (cn_slice_t){s, s ? strlen(s) : 0};
}
static inline int cn_slice_eq(cn_slice_t a, cn_slice_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/** A growable owned buffer. init/dispose use caller storage; data is NUL-terminated
 *  past len whenever cap > 0 so that text can be used as a C string. */
typedef struct cn_buf {
    char *data;
    size_t len;
    size_t cap;
} cn_buf_t;

void cn_buf_init(cn_buf_t *b);
void cn_buf_dispose(cn_buf_t *b);
/** Grows capacity to at least len + extra (aborts on OOM). */
void cn_buf_reserve(cn_buf_t *b, size_t extra);
void cn_buf_append(cn_buf_t *b, const void *p, size_t n);
void cn_buf_append_str(cn_buf_t *b, const char *s);
void cn_buf_appendf(cn_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Drops the first n bytes, keeping the rest. */
void cn_buf_consume(cn_buf_t *b, size_t n);
void cn_buf_reset(cn_buf_t *b);
/** Hands the bytes to the caller (free with cn_free) and leaves b empty. */
char *cn_buf_steal(cn_buf_t *b, size_t *len);

static inline void cn_put_u32be(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v >> 24; b[1] = v >> 16; b[2] = v >> 8; b[3] = v;
}
static inline uint32_t cn_get_u32be(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline void cn_put_u64be(void *p, uint64_t v)
{
    cn_put_u32be(p, (uint32_t)(v >> 32));
    cn_put_u32be((char *)p + 4, (uint32_t)v);
}
static inline uint64_t cn_get_u64be(const void *p)
{
    return (uint64_t)cn_get_u32be(p) << 32 | cn_get_u32be((const char *)p + 4);
}
static inline void cn_put_u16le(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8);
}
static inline uint16_t cn_get_u16le(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[1] << 8 | b[0]);
}
static inline void cn_put_u32le(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = v; b[1] = v >> 8; b[2] = v >> 16; b[3] = v >> 24;
}
static inline uint32_t cn_get_u32le(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}
static inline void cn_put_u64le(void *p, uint64_t v)
{
    cn_put_u32le(p, (uint32_t)v);
    cn_put_u32le((char *)p + 4, (uint32_t)(v >> 32));
}
static inline uint64_t cn_get_u64le(const void *p)
{
    return (uint64_t)cn_get_u32le((const char *)p + 4) << 32 | cn_get_u32le(p);
}

#endif
