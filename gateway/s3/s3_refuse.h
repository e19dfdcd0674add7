/*
 * gateway/s3/s3_refuse.h: the requests the gateway cannot honour exactly as S3 documents them
 * ("never a wrong success", issue 13). A query parameter or header that asks for something
 * the gateway does not do (object versions, parts of an object, encryption, object lock,
 * storage classes, website redirects, grants, conditional writes, POST uploads, CORS) gets an
 * S3 error here, before access and dispatch, instead of a 200 that silently does something
 * else. The issue that adds such a feature deletes its rule here.
 */
#ifndef CAIRN_GATEWAY_S3_REFUSE_H
#define CAIRN_GATEWAY_S3_REFUSE_H

#include <stddef.h>

#include "common/buf.h"
#include "gateway/s3/route.h"
#include "gateway/s3/s3_error.h"

struct gw_req;

/** A request header by its lower-case name: its value, or a slice with ptr NULL when the
 *  request has no such header. */
typedef cn_slice_t (*gw_refuse_header_fn)(const void *arg, const char *lname);

/** Decides whether a request of operation op may go on. query is the raw query string
 *  without '?' (NULL when none); header(arg, name) looks up the request's headers. Returns
 *  GW_S3_OK, or the error to answer (NotImplemented for what is not supported yet; 400
 *  InvalidArgument or InvalidStorageClass for a value S3 itself refuses) with *msg set to a
 *  static message that names it. Pure: no I/O, thread-safe. */
gw_s3_err_t gw_refuse_check(gw_op_t op, const char *query, size_t query_len,
                            gw_refuse_header_fn header, const void *arg, const char **msg);

/** gw_refuse_check over a request of the S3 handler: its route's op, query and headers. */
gw_s3_err_t gw_refuse_req(const struct gw_req *r, const char **msg);

/** The CreateBucket LocationConstraint decision. constraint is what the body named ("" when
 *  the body, or its LocationConstraint, is absent or empty), region the gateway's [gateway]
 *  region. As S3: us-east-1 is expressed by an empty constraint, and naming it explicitly is
 *  InvalidLocationConstraint; "EU" is eu-west-1; any other mismatch (an empty constraint
 *  where the region is not us-east-1, another region) is IllegalLocationConstraintException.
 *  Returns GW_S3_OK or the error, with its message written to msg (msg_len bytes). Pure. */
gw_s3_err_t gw_refuse_location(const char *constraint, const char *region, char *msg,
                               size_t msg_len);

#endif
