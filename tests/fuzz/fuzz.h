/*
 * tests/fuzz/fuzz.h: helpers shared by the fuzz targets: splitting an input shaped like an
 * HTTP/1.1 request head into method, path, query and headers, so that seeds can be real
 * requests captured from S3 clients (tests/fuzz/corpus/s3_*):
 *
 *   [@NOW_MS LF]                    optional server time in ms since the epoch
 *   METHOD SP TARGET [SP VERSION] LF   TARGET = path [? query]
 *   Name: value LF                  any number, up to FUZZ_MAX_HEADERS; CR before LF is dropped
 *   LF                              end of the head; what follows (a body) is ignored
 *
 * Pure, no allocation: every piece points into the input. Also the fixed key of the SSE targets.
 */
#ifndef CAIRN_TESTS_FUZZ_FUZZ_H
#define CAIRN_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_HEADERS 64

/* The key of the server-side encryption targets (an SSE-C key and a kek alike): their seeds
 * (tools/mkseeds.c) are made with it, so that the records open. */
#define FUZZ_SSE_KEY                                                                        \
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, \
     0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, \
     0x1e, 0x1f}

/* A target's own check: names the file and line, then aborts (libFuzzer keeps the input). */
#define FUZZ_CHECK(cond)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

typedef struct fuzz_hdr {
    const char *name, *value;
    size_t name_len, value_len;
} fuzz_hdr_t;

typedef struct fuzz_req {
    uint64_t now_ms;   /* 0 when the input did not give one */
    const char *method, *path, *query;
    size_t method_len, path_len, query_len;
    int has_query;
    fuzz_hdr_t h[FUZZ_MAX_HEADERS];
    size_t nh;
    const char *host;  /* the Host header's value, or NULL */
    size_t host_len;
} fuzz_req_t;

/* One line of [p, end): returns its length without CR LF and advances *p past the LF. */
static inline size_t fuzz_line(const char **p, const char *end, const char **line)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;

    *line = s;
    *p = nl ? nl + 1 : end;
    if (e > s && e[-1] == '\r')
        e--;
    return (size_t)(e - s);
}

static inline int fuzz_ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);

    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

static inline void fuzz_req_parse(const uint8_t *data, size_t size, fuzz_req_t *r)
{
    const char *p = (const char *)data, *end = p + size, *l, *sp, *q;
    size_t n;

    memset(r, 0, sizeof(*r));
    r->method = r->path = r->query = "";
    if (size > 0 && *p == '@') {
        n = fuzz_line(&p, end, &l);
        for (size_t i = 1; i < n && l[i] >= '0' && l[i] <= '9' && i < 20; i++)
            r->now_ms = r->now_ms * 10 + (uint64_t)(l[i] - '0');
    }
    n = fuzz_line(&p, end, &l);
    sp = memchr(l, ' ', n);
    r->method = l;
    r->method_len = sp ? (size_t)(sp - l) : n;
    if (sp) {
        const char *t = sp + 1, *te = l + n, *sp2 = memchr(t, ' ', (size_t)(te - t));
        if (sp2)
            te = sp2;
        r->path = t;
        q = memchr(t, '?', (size_t)(te - t));
        r->path_len = (size_t)((q ? q : te) - t);
        if (q) {
            r->has_query = 1;
            r->query = q + 1;
            r->query_len = (size_t)(te - q - 1);
        }
    }
    while (p < end && r->nh < FUZZ_MAX_HEADERS) {
        const char *colon, *v;
        n = fuzz_line(&p, end, &l);
        if (n == 0)
            break;
        colon = memchr(l, ':', n);
        if (colon == NULL)
            continue;
        v = colon + 1;
        while (v < l + n && (*v == ' ' || *v == '\t'))
            v++;
        fuzz_hdr_t *h = &r->h[r->nh++];
        h->name = l;
        h->name_len = (size_t)(colon - l);
        h->value = v;
        h->value_len = (size_t)(l + n - v);
        if (fuzz_ieq(h->name, h->name_len, "host")) {
            r->host = h->value;
            r->host_len = h->value_len;
        }
    }
}

#endif
