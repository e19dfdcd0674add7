/*
 * gateway/s3/s3_cond.h: the HTTP conditional request headers of GET, HEAD and CopyObject /
 * UploadPartCopy (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, and their
 * x-amz-copy-source-if-* forms), evaluated against an object's ETag and Last-Modified time as
 * RFC 7232 section 6 orders them. Pure functions: no I/O, no allocation, thread-safe; the
 * gateway's glue that reads the headers of a request is gw_obj_conditions (chunk.h).
 */
#ifndef CAIRN_GATEWAY_S3_COND_H
#define CAIRN_GATEWAY_S3_COND_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/** The four header values of one request; a NULL ptr means the header is absent (an empty
 *  value that is present has a non-NULL ptr and len 0). */
typedef struct gw_cond {
    cn_slice_t if_match;
    cn_slice_t if_none_match;
    cn_slice_t if_modified_since;
    cn_slice_t if_unmodified_since;
} gw_cond_t;

/** 1 when the entity-tag list hdr (If-Match / If-None-Match syntax: "*", or comma-separated
 *  tags, quoted or not, weak W/"..." compared as strong: S3 ETags are never weak) names etag
 *  (given without quotes), else 0. */
int gw_cond_etag_matches(cn_slice_t hdr, const char *etag);

/** Evaluates c against an object whose ETag (unquoted) is etag and whose Last-Modified time is
 *  mtime_ms (ms since the epoch; compared at one-second resolution, as the HTTP date carries
 *  it). In RFC 7232 order: If-Match, else If-Unmodified-Since (412 when it fails); then
 *  If-None-Match, else If-Modified-Since (304 when it fails). A date that does not parse
 *  (gw_http_date_parse) is ignored. Returns 0 to go on, 304 or 412. */
int gw_cond_eval(const gw_cond_t *c, const char *etag, uint64_t mtime_ms);

#endif
