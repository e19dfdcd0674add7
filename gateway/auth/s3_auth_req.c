/*
 * gateway/auth/s3_auth_req.c: the request as the S3 signature verifiers read it: the query string
 * split into decoded parameters (at most 1024), header lookup by name, decimal numbers. Every
 * parser is bounded by explicit lengths; request bytes are never assumed NUL-terminated.
 */
#include "gateway/auth/s3_auth_req.h"

#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "gateway/auth/s3_uri.h"
#include "gateway/auth/s3_auth_int.h"

#define MAX_QUERY_PARAMS 1024

static void decode_or_copy(cn_buf_t *out, cn_slice_t s)
{
    if (gw_uri_decode(out, s.ptr, s.len, 0) != 0)
        cn_buf_append(out, s.ptr, s.len);
    if (out->cap == 0)
        cn_buf_reserve(out, 1);   /* so that data is a valid empty C string */
}

int gw__auth_qlist_parse(const char *q, size_t n, struct gw_auth_qlist *ql)
{
    size_t count = 1, i, start = 0;

    ql->v = NULL;
    ql->n = 0;
    if (!q || n == 0)
        return 0;
    for (i = 0; i < n; i++)
        count += q[i] == '&';
    if (count > MAX_QUERY_PARAMS)
        return CN_E2BIG;
    ql->v = cn_calloc(count, sizeof(*ql->v));
    for (i = 0; i <= n; i++) {
        if (i < n && q[i] != '&')
            continue;
        if (i > start) {
            struct gw_auth_qparam *p = &ql->v[ql->n++];
            const char *eq = memchr(q + start, '=', i - start);
            if (eq) {
                p->raw_name = cn_slice(q + start, (size_t)(eq - (q + start)));
                p->raw_value = cn_slice(eq + 1, (size_t)(q + i - eq - 1));
                p->has_eq = 1;
            } else {
                p->raw_name = cn_slice(q + start, i - start);
                p->raw_value = cn_slice("", 0);
            }
            cn_buf_init(&p->name);
            cn_buf_init(&p->value);
            decode_or_copy(&p->name, p->raw_name);
            decode_or_copy(&p->value, p->raw_value);
        }
        start = i + 1;
    }
    return 0;
}

void gw__auth_qlist_dispose(struct gw_auth_qlist *ql)
{
    for (size_t i = 0; i < ql->n; i++) {
        cn_buf_dispose(&ql->v[i].name);
        cn_buf_dispose(&ql->v[i].value);
    }
    cn_free(ql->v);
    ql->v = NULL;
    ql->n = 0;
}

const struct gw_auth_qparam *gw__auth_qlist_get(const struct gw_auth_qlist *ql,
                                                const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ql->n; i++)
        if (ql->v[i].name.len == n && memcmp(ql->v[i].name.data, name, n) == 0)
            return &ql->v[i];
    return NULL;
}

/* The first header called name, trimmed; found = 0 when absent. */
cn_slice_t gw__auth_hdr_get(const gw_auth_req_t *req, const char *name, int *found)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->nheaders; i++) {
        const gw_auth_header_t *h = &req->headers[i];
        if (hdr_name_is(h, name, n)) {
            if (found)
                *found = 1;
            return trim(h->value, h->value_len);
        }
    }
    if (found)
        *found = 0;
    return cn_slice("", 0);
}

int gw__auth_parse_u64(cn_slice_t s, uint64_t *out)
{
    uint64_t v = 0;
    if (s.len == 0 || s.len > 19)
        return CN_EINVAL;
    for (size_t i = 0; i < s.len; i++) {
        if (s.ptr[i] < '0' || s.ptr[i] > '9')
            return CN_EINVAL;
        v = v * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *out = v;
    return 0;
}
