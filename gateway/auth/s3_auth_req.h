/*
 * gateway/auth/s3_auth_req.h: the query parameters and headers of a request as the S3 verifiers read them
 * (s3_auth_req.c). Internal to the s3_auth* files.
 */
#ifndef CAIRN_GATEWAY_S3_AUTH_REQ_H
#define CAIRN_GATEWAY_S3_AUTH_REQ_H

#include "gateway/auth/s3_auth_int.h"

/** Splits and decodes the query string q (n bytes, may be NULL) into ql. Returns 0 or
 *  CN_E2BIG for more than 1024 parameters. Dispose with gw__auth_qlist_dispose. */
int gw__auth_qlist_parse(const char *q, size_t n, struct gw_auth_qlist *ql);
void gw__auth_qlist_dispose(struct gw_auth_qlist *ql);
/** The first parameter whose decoded name is name, or NULL. */
const struct gw_auth_qparam *gw__auth_qlist_get(const struct gw_auth_qlist *ql,
                                                const char *name);

/** The first header called name, trimmed; found = 0 when absent. */
cn_slice_t gw__auth_hdr_get(const gw_auth_req_t *req, const char *name, int *found);
/** Parses 1..19 decimal digits. Returns 0 or CN_EINVAL. */
int gw__auth_parse_u64(cn_slice_t s, uint64_t *out);

#endif
