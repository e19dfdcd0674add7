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
/* A body over this many bytes is hashed on libuv's thread pool (when it came over HTTP/1) */
#define GW_BODY_HASH_INLINE (1u << 20)

/** Where gw_req_check_body goes on: e is GW_S3_OK or the error to answer. */
typedef void (*gw_req_body_fn)(gw_req_t *r, gw_s3_err_t e);
/** Points r->body at the payload (aws-chunked framing removed and its signatures checked),
 *  computes in ONE pass over it every digest r needs (x-amz-content-sha256's, x-amz-checksum-*,
 *  Content-MD5 and, for PutObject and UploadPart, the ETag's MD5 and the MD5 of each chunk)
 *  into r->body_hashes and r->chunk_md5, checks them, then calls done. A body over
 *  GW_BODY_HASH_INLINE from an HTTP/1 client is hashed on the thread pool: done then runs
 *  later on the loop, r counted pending meanwhile, and is not called at all when h2o disposed
 *  of the request meanwhile. Otherwise done runs before this returns. */
void gw_req_check_body(gw_req_t *r, gw_req_body_fn done);
/** For a body that is not the request's own as gw_req_check_body saw it (a POST form's file):
 *  its MD5 and its chunks' (gw_req_body_md5, gw_req_chunk_md5 then have them) in one pass,
 *  then done(r, GW_S3_OK); on the thread pool for a large body, with gw_req_check_body's rules
 *  (body must lie in h2o's request body; done is not called when the request went away). */
void gw_req_hash_etag(gw_req_t *r, cn_slice_t body, gw_req_body_fn done);
/** The MD5 of body: the one pass's when it was over the same bytes, else computed now
 *  (gw_body_md5, on the calling thread). */
void gw_req_body_md5(gw_req_t *r, cn_slice_t body, uint8_t out[CN_MD5_LEN]);
/** The MD5 of chunk i (chunk_size bytes from i * chunk_size) of body when the one pass computed
 *  it: 0, else CN_ENOENT (compute it yourself). */
int gw_req_chunk_md5(const gw_req_t *r, cn_slice_t body, uint64_t chunk_size, uint64_t i,
                     uint8_t out[CN_MD5_LEN]);

#endif
