/*
 * gateway/s3/s3_cors.h: CORS (s3_cors.c, issue 17): Put, Get and DeleteBucketCors, the
 * preflight OPTIONS request, and the CORS headers of an actual request that carries an Origin.
 * The rules, their checks and their matching are cors.h's.
 */
#ifndef CAIRN_GATEWAY_S3_CORS_H
#define CAIRN_GATEWAY_S3_CORS_H

#include "gateway/s3/s3_req.h"

void gw_s3_get_bucket_cors(gw_req_t *r);
void gw_s3_put_bucket_cors(gw_req_t *r);
void gw_s3_delete_bucket_cors(gw_req_t *r);

/** Answers the preflight r (GW_OP_OPTIONS, routed, the bucket table loaded): unsigned, never
 *  authenticated (S3 answers it before any signature check). 200 with the
 *  Access-Control-Allow-* headers of the first rule of r's bucket that matches its Origin,
 *  Access-Control-Request-Method and Access-Control-Request-Headers; else the error S3 gives:
 *  400 BadRequest without Origin or with a method no request can have, 403 AccessForbidden
 *  for a bucket that does not exist, one without CORS rules, or no matching rule. */
void gw_cors_preflight(gw_req_t *r);

/** Adds to r's response, whatever it will be (an error too), the CORS headers of the first
 *  rule of r's bucket that matches its Origin and method (Access-Control-Request-Method when
 *  sent, else the request's): nothing without an Origin, a bucket, rules or a match. Call it
 *  once, as soon as r is routed. */
void gw_cors_add_headers(gw_req_t *r);

#endif
