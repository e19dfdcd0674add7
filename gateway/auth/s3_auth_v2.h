/*
 * gateway/auth/s3_auth_v2.h: SigV2 verification (s3_auth_v2.c). Internal to the s3_auth* files.
 */
#ifndef CAIRN_GATEWAY_S3_AUTH_V2_H
#define CAIRN_GATEWAY_S3_AUTH_V2_H

#include "gateway/auth/s3_auth_int.h"

/* The verifiers fill res and return GW_S3_OK or the S3 error; v is the Authorization value
 * after "AWS ". */
gw_s3_err_t gw__auth_v2_header(const gw_auth_req_t *req, cn_slice_t v,
                               const struct gw_auth_qlist *ql, gw_auth_lookup_fn lookup,
                               void *arg, gw_auth_result_t *res);
gw_s3_err_t gw__auth_v2_query(const gw_auth_req_t *req, const struct gw_auth_qlist *ql,
                              gw_auth_lookup_fn lookup, void *arg, gw_auth_result_t *res);

/** A POST form's SigV2 (s3_auth.h, gw_auth_verify_post): every field present. */
gw_s3_err_t gw__auth_v2_post(const gw_auth_post_t *in, gw_auth_lookup_fn lookup, void *arg,
                             gw_auth_result_t *res);

#endif
