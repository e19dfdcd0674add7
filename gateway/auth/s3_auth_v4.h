/*
 * gateway/auth/s3_auth_v4.h: SigV4 verification (s3_auth_v4.c). Internal to the s3_auth* files.
 */
#ifndef CAIRN_GATEWAY_S3_AUTH_V4_H
#define CAIRN_GATEWAY_S3_AUTH_V4_H

#include "gateway/auth/s3_auth_int.h"

/* The verifiers fill res and return GW_S3_OK or the S3 error; auth is the Authorization
 * value after its algorithm name. */

gw_s3_err_t gw__auth_v4_header(const gw_auth_req_t *req, cn_slice_t auth,
                               const struct gw_auth_qlist *ql, gw_auth_lookup_fn lookup,
                               void *arg, gw_auth_result_t *res);
gw_s3_err_t gw__auth_v4_query(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                              gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res);

/** A POST form's SigV4 (s3_auth.h, gw_auth_verify_post): every field present. */
gw_s3_err_t gw__auth_v4_post(const gw_auth_post_t *in, gw_auth_lookup_fn lookup, void *arg,
                             gw_auth_result_t *res);

#endif
