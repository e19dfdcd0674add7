/*
 * gateway/s3/s3_cond.c: conditional request headers (If-Match, If-None-Match,
 * If-Modified-Since, If-Unmodified-Since) against an object's ETag and mtime; see s3_cond.h.
 * Moved out of s3_object.c so that the evaluation is one pure function (fuzzed by
 * tests/fuzz/fuzz_cond.c).
 */
#include "gateway/s3/s3_cond.h"

#include <string.h>

#include "gateway/s3/s3_xml.h"

int gw_cond_etag_matches(cn_slice_t hdr, const char *etag)
{
    const char *p, *end;
    size_t el = strlen(etag);

    if (hdr.ptr == NULL)
        return 0;
    p = hdr.ptr;
    end = hdr.ptr + hdr.len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        const char *s = p;
        while (p < end && *p != ',')
            p++;
        const char *e = p;
        while (e > s && e[-1] == ' ')
            e--;
        if (e - s == 1 && *s == '*')
            return 1;
        if (e - s >= 2 && s[0] == 'W' && s[1] == '/')
            s += 2;
        if (e - s >= 2 && *s == '"' && e[-1] == '"') {
            s++;
            e--;
        }
        if ((size_t)(e - s) == el && memcmp(s, etag, el) == 0)
            return 1;
    }
    return 0;
}

int gw_cond_eval(const gw_cond_t *c, const char *etag, uint64_t mtime_ms)
{
    uint64_t t, msec = mtime_ms / 1000;

    if (c->if_match.ptr && !gw_cond_etag_matches(c->if_match, etag))
        return 412;
    if (!c->if_match.ptr && c->if_unmodified_since.ptr &&
        gw_http_date_parse(c->if_unmodified_since.ptr, c->if_unmodified_since.len, &t) == 0 &&
        msec > t / 1000)
        return 412;
    if (c->if_none_match.ptr && gw_cond_etag_matches(c->if_none_match, etag))
        return 304;
    if (!c->if_none_match.ptr && c->if_modified_since.ptr &&
        gw_http_date_parse(c->if_modified_since.ptr, c->if_modified_since.len, &t) == 0 &&
        msec <= t / 1000)
        return 304;
    return 0;
}
