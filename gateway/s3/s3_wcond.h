/*
 * gateway/s3/s3_wcond.h: the conditions of conditional writes and deletes (issue 16) read from
 * an S3 request's headers: If-None-Match and If-Match on PutObject and CompleteMultipartUpload,
 * If-Match, x-amz-if-match-size and x-amz-if-match-last-modified-time on DeleteObject (and
 * the ETag, Size and LastModifiedTime elements of a DeleteObjects entry). The gateway only
 * reads them: the key's coordinator decides (common/wcond.h, docs/DESIGN.md "Conditional
 * writes"). Pure functions: no I/O, thread-safe.
 */
#ifndef CAIRN_GATEWAY_S3_WCOND_H
#define CAIRN_GATEWAY_S3_WCOND_H

#include "common/buf.h"
#include "common/wcond.h"
#include "gateway/s3/s3_error.h"

enum gw_wcond_op {
    GW_WCOND_PUT,    /* If-None-Match (only "*"), If-Match */
    GW_WCOND_DELETE, /* If-Match, size, last-modified time */
};

/** Fills *out (zeroed first) from the header values (ptr NULL: absent). Returns GW_S3_OK, or
 *  the error to answer and *msg (a static text, or NULL for the table's): NotImplemented for
 *  an If-None-Match other than "*", an ETag list, or If-Match with If-None-Match;
 *  InvalidArgument for an empty ETag, a size that is not a decimal number or a time that is
 *  neither an HTTP date nor ISO 8601. */
gw_s3_err_t gw_wcond_parse(enum gw_wcond_op op, cn_slice_t if_none_match, cn_slice_t if_match,
                           cn_slice_t if_size, cn_slice_t if_mtime, cn_wcond_t *out,
                           const char **msg);

#endif
