/*
 * gateway/s3/s3_wcond.c: conditional writes' headers to a condition (s3_wcond.h).
 */
#include "gateway/s3/s3_wcond.h"

#include <string.h>

#include "gateway/s3/s3_xml.h"

static cn_slice_t trim(cn_slice_t v)
{
    while (v.len > 0 && (v.ptr[0] == ' ' || v.ptr[0] == '\t'))
        v.ptr++, v.len--;
    while (v.len > 0 && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
        v.len--;
    return v;
}

/* One entity tag, quoted or not (W/ compared as strong: S3 ETags are never weak), or "*". */
static gw_s3_err_t one_etag(cn_slice_t v, char *out, size_t cap, const char **msg)
{
    v = trim(v);
    if (memchr(v.ptr, ',', v.len) != NULL) {
        *msg = "A list of ETags in a conditional write is not supported.";
        return GW_S3_NOT_IMPLEMENTED;
    }
    if (v.len >= 2 && v.ptr[0] == 'W' && v.ptr[1] == '/')
        v.ptr += 2, v.len -= 2;
    if (v.len >= 2 && v.ptr[0] == '"' && v.ptr[v.len - 1] == '"')
        v.ptr++, v.len -= 2;
    if (v.len == 0 || v.len >= cap || memchr(v.ptr, '\0', v.len) != NULL ||
        memchr(v.ptr, '"', v.len) != NULL) {
        *msg = "The ETag of the condition is not valid.";
        return GW_S3_INVALID_ARGUMENT;
    }
    memcpy(out, v.ptr, v.len);
    out[v.len] = '\0';
    return GW_S3_OK;
}

gw_s3_err_t gw_wcond_parse(enum gw_wcond_op op, cn_slice_t if_none_match, cn_slice_t if_match,
                           cn_slice_t if_size, cn_slice_t if_mtime, cn_wcond_t *out,
                           const char **msg)
{
    gw_s3_err_t e;

    memset(out, 0, sizeof(*out));
    *msg = NULL;
    if (op == GW_WCOND_PUT && if_none_match.ptr != NULL) {
        cn_slice_t v = trim(if_none_match);

        if (!(v.len == 1 && v.ptr[0] == '*') && !(v.len == 3 && memcmp(v.ptr, "\"*\"", 3) == 0)) {
            *msg = "If-None-Match on a write takes only the value *.";
            return GW_S3_NOT_IMPLEMENTED;
        }
        out->if_none_match = 1;
    }
    if (if_match.ptr != NULL) {
        if (out->if_none_match) {
            *msg = "If-Match and If-None-Match together are not supported on a write.";
            return GW_S3_NOT_IMPLEMENTED;
        }
        if ((e = one_etag(if_match, out->if_match, sizeof(out->if_match), msg)) != GW_S3_OK)
            return e;
        out->has_if_match = 1;
    }
    if (op != GW_WCOND_DELETE)
        return GW_S3_OK;
    if (if_size.ptr != NULL) {
        cn_slice_t v = trim(if_size);
        uint64_t n = 0;

        if (v.len == 0 || v.len > 19) {
            *msg = "x-amz-if-match-size is not a size in bytes.";
            return GW_S3_INVALID_ARGUMENT;
        }
        for (size_t i = 0; i < v.len; i++) {
            if (v.ptr[i] < '0' || v.ptr[i] > '9') {
                *msg = "x-amz-if-match-size is not a size in bytes.";
                return GW_S3_INVALID_ARGUMENT;
            }
            n = n * 10 + (uint64_t)(v.ptr[i] - '0');
        }
        out->has_if_size = 1;
        out->if_size = n;
    }
    if (if_mtime.ptr != NULL) {
        cn_slice_t v = trim(if_mtime);
        uint64_t ms;

        if (gw_http_date_parse(v.ptr, v.len, &ms) != 0 && gw_iso8601_parse(v.ptr, v.len, &ms) != 0) {
            *msg = "x-amz-if-match-last-modified-time is not a date.";
            return GW_S3_INVALID_ARGUMENT;
        }
        out->has_if_mtime = 1;
        out->if_mtime_s = ms / 1000;
    }
    return GW_S3_OK;
}
