/*
 * gateway/auth/s3_auth_v4_canon.h: the SigV4 canonical request and string to sign (s3_auth_v4_canon.c):
 * the public form for tests and the fuzzer, and the verifier's own (gw__ names).
 */
#ifndef CAIRN_GATEWAY_S3_AUTH_V4_CANON_H
#define CAIRN_GATEWAY_S3_AUTH_V4_CANON_H

#include "gateway/auth/s3_auth.h"
#include "gateway/auth/s3_auth_int.h"

/* gw_auth_v4_canonical_request() flags */
#define GW_AUTH_CANON_PRESIGNED 1   /* leave X-Amz-Signature out of the canonical query */
#define GW_AUTH_CANON_RAW_QUERY 2   /* the query as sent instead of its canonical form (the
                                       curl 7.x retry of gw_auth_verify) */

/** Appends to out the SigV4 canonical request of req exactly as gw_auth_verify hashes it
 *  (exposed for tests/fuzz/fuzz_sigv4_canon.c and the unit tests; the verifier uses the same
 *  code): method LF canonical URI (each '/'-separated segment of the raw path decoded and
 *  re-encoded once, no dot-segment or "//" normalisation: S3 rules) LF canonical query (names
 *  and values decoded and re-encoded, sorted by name then value, "name=" for an empty value)
 *  LF one "name:value" LF per entry of signed_headers (names lower-cased; values trimmed, inner
 *  runs of spaces and tabs made one space, repeated headers joined with ',' in arrival order)
 *  LF signed_headers as given LF payload_hash. signed_headers is the client's list, used in
 *  its order. Returns 0, CN_EINVAL when signed_headers is not a list gw_auth_verify accepts
 *  (empty, an empty name, a control, space, ':' or ',' byte), CN_E2BIG for a query of more
 *  than 1024 parameters (out is then unchanged). */
int gw_auth_v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                 const char *signed_headers, size_t signed_headers_len,
                                 const char *payload_hash, size_t payload_hash_len, int flags);
/** Appends the SigV4 string to sign: "AWS4-HMAC-SHA256" LF amz_date LF scope LF the lower-case
 *  hex SHA-256 of the canonical request creq. */
void gw_auth_v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                               const char *creq, size_t creq_len);


/** 1 when s is a SignedHeaders list gw_auth_verify accepts (see s3_auth.h). */
int gw__auth_v4_signed_headers_ok(cn_slice_t s);
/** 1 when the query as sent differs from its canonical form. */
int gw__auth_query_has_unencoded(const gw_auth_req_t *req, const struct gw_auth_qlist *ql);
/** Appends the canonical request (see gw_auth_v4_canonical_request in s3_auth.h). */
void gw__auth_v4_canonical_request(cn_buf_t *out, const gw_auth_req_t *req,
                                   const struct gw_auth_qlist *ql, cn_slice_t signed_headers,
                                   cn_slice_t payload_hash, int presigned, int raw_query);
/** Appends the string to sign over creq_hex, the hex SHA-256 of the canonical request. */
void gw__auth_v4_string_to_sign(cn_buf_t *out, const char *amz_date, const char *scope,
                                const char *creq_hex);

#endif
