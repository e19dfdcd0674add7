/*
 * gateway/auth/s3_uri.h: SigV4 URI encoding and percent-decoding (s3_uri.c).
 */
#ifndef CAIRN_GATEWAY_S3_URI_H
#define CAIRN_GATEWAY_S3_URI_H

#include <stddef.h>

#include "common/buf.h"

/** URI-encodes per SigV4 (RFC 3986 unreserved kept; '/' kept when keep_slash) onto out. */
void gw_uri_encode(cn_buf_t *out, const char *s, size_t n, int keep_slash);
/** Percent-decodes s into out ('+' is NOT a space unless plus_is_space). Returns 0 or
 *  CN_EINVAL for a bad escape. */
int gw_uri_decode(cn_buf_t *out, const char *s, size_t n, int plus_is_space);

#endif
