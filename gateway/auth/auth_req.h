/*
 * gateway/auth/auth_req.h: authentication and body checks of a request (auth_req.c).
 */
#ifndef CAIRN_GATEWAY_AUTH_REQ_H
#define CAIRN_GATEWAY_AUTH_REQ_H

#include "gateway/s3/s3_req.h"

/** Verifies r's signature (or that it is anonymous) and sets r->auth, r->anonymous and
 *  r->requester (the signer's canonical id). GW_S3_OK or the S3 error. */
gw_s3_err_t gw_req_authenticate(gw_req_t *r);
/** gw_req_authenticate for a browser POST form: its signature fields (s3_post.c) instead of
 *  the request's headers. */
gw_s3_err_t gw_req_authenticate_form(gw_req_t *r, const gw_auth_post_t *in);
/** Points r->body at the payload (aws-chunked framing removed and its signatures checked)
 *  and checks x-amz-content-sha256, x-amz-checksum-* and Content-MD5 against it. */
gw_s3_err_t gw_req_check_body(gw_req_t *r);

#endif
