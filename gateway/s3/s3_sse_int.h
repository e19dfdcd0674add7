/*
 * gateway/s3/s3_sse_int.h: what s3_sse.c (the writes) and s3_sse_read.c (the reads) share:
 * the request's SSE headers, the object's name a wrapped key is bound to, the key service's
 * answers and the S3 errors its failures get. Not for other modules: s3_sse.h is the API.
 */
#ifndef CAIRN_GATEWAY_S3_SSE_INT_H
#define CAIRN_GATEWAY_S3_SSE_INT_H

#include "gateway/link/sse_keys.h"
#include "gateway/s3/s3_sse.h"

#define GW_SSE_HDR "x-amz-server-side-encryption"
#define GW_SSE_OBJ_NAME_MAX (GW_BUCKET_MAX + 2 + GW_KEY_MAX + 1)

extern const char gw__sse_http_msg[];
extern const char gw__sse_not_applicable_msg[];
extern const char gw__sse_not_for_op_msg[]; /* x-amz-server-side-encryption on a read or part */

/** A new state for r (zeroed, s->r set). */
gw_obj_sse_t *gw__sse_new(gw_req_t *r);
/** r's SSE headers into *out: GW_S3_OK, or the error with *msg (sse_req.h). */
gw_s3_err_t gw__sse_read_headers(gw_req_t *r, gw_sse_req_t *out, const char **msg);
/** r's object as a wrapped key is bound to: "bucket/key", never a version's key. */
cn_slice_t gw__sse_object_name(const gw_req_t *r, char buf[GW_SSE_OBJ_NAME_MAX]);
/** 1 when r may carry an SSE-C key: over TLS, or [gateway] sse_c_allow_http; else answers
 *  S3's 400 and returns 0. */
int gw__sse_c_transport_ok(gw_req_t *r);
/** Asks the key service for (name, epoch) (0: the newest; create: the built-in key is made
 *  when missing), then calls s->keyed(s, key): at once on a cache hit, or from the answer.
 *  A failure is answered on s->r with the S3 error of the key service's code (reading: a
 *  key that is gone is the object's fault, 500, not the request's). */
void gw__sse_with_key(gw_obj_sse_t *s, const char *name, uint32_t epoch, int create,
                      int reading);
/** The record's key into s->key: SSE-C from the request's key (0, or -1 with S3's 400/403
 *  answered). */
int gw__sse_open_c(gw_obj_sse_t *s);
/** gw_s3_sse_stream_start/next/piece (s3_sse.h) of state s and its object's manifest man. */
int gw__sse_stream_start(gw_obj_sse_t *s, const cn_manifest_t *man, uint64_t off,
                         uint64_t len, uint64_t *pos, uint64_t *end);
int gw__sse_stream_next(gw_obj_sse_t *s, const cn_manifest_t *man, uint64_t *pos,
                        uint64_t *end);
int gw__sse_stream_piece(gw_obj_sse_t *s, cn_slice_t in, int last, cn_slice_t *out);
/** SSE-S3/KMS: the record's key into s->key from k: 0; 1 when it does not open with k and
 *  a linked origin's store is being asked (s->keyed is called again with that key: the
 *  caller just returns); -1 with 500 answered when no store is left to try. */
int gw__sse_open_wrapped(gw_obj_sse_t *s, const gw_ssekey_t *k);

#endif
