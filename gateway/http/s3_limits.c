/*
 * gateway/http/s3_limits.c: S3's limits on a request head, before anything else reads it.
 * h2o 2.2.5 itself closes a connection whose request head passes H2O_MAX_REQLEN (417,792
 * bytes) or holds more than H2O_MAX_HEADERS (100) headers (answering 400 where it can). Under
 * that, S3's own limits: the header section (names and values) at most 8 KiB
 * (RequestHeaderSectionTooLarge) and user metadata (x-amz-meta-* names without the prefix,
 * plus values) at most 2 KiB (MetadataTooLarge). */
#include "gateway/http/s3_limits.h"

#include <strings.h>

#define GW_MAX_HEADER_BYTES 8192
#define GW_MAX_META_BYTES 2048

gw_s3_err_t gw_s3_check_limits(const h2o_req_t *req)
{
    size_t all = 0, meta = 0;

    for (size_t i = 0; i < req->headers.size; i++) {
        const h2o_header_t *h = &req->headers.entries[i];

        all += h->name->len + h->value.len;
        if (h->name->len > 11 && strncasecmp(h->name->base, "x-amz-meta-", 11) == 0)
            meta += h->name->len - 11 + h->value.len;
    }
    if (all > GW_MAX_HEADER_BYTES)
        return GW_S3_HEADERS_TOO_LARGE;
    if (meta > GW_MAX_META_BYTES)
        return GW_S3_METADATA_TOO_LARGE;
    return GW_S3_OK;
}
