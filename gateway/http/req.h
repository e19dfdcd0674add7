/*
 * gateway/http/req.h: the leaf of the gateway's HTTP edge: one request as h2o gave it, and its
 * response. It knows h2o and common/ only, nothing of S3: the S3 context (gateway/s3/s3_req.h)
 * embeds a gw_http_t as its first member and builds on these helpers.
 *
 * Lifetime: a gw_http_t lives in memory its owner allocated (gw_http_init). h2o may dispose
 * of the request while RPCs made for it are still out (the client went away): a small slot in
 * req->pool points back at the gw_http_t, and its dispose clears ->req and calls the owner's
 * on_dispose. The owner frees its context once the request is gone AND nothing is pending
 * (gw_http_rpc_done says when), so a late RPC completion never touches a freed h2o_req_t.
 * Every helper is a no-op once the request is gone. Loop thread only.
 */
#ifndef CAIRN_GATEWAY_REQ_H
#define CAIRN_GATEWAY_REQ_H

#define H2O_USE_LIBUV 1
#include <h2o.h>
#include <stddef.h>

#include "common/buf.h"

typedef struct gw_http gw_http_t;

/** Called when h2o disposes of the request (answered or abandoned), with h->req already NULL
 *  and req the request being disposed (still readable: its response's status, bytes sent).
 *  The owner frees its context there when nothing is pending (gw_http_unused). */
typedef void (*gw_http_dispose_fn)(gw_http_t *h, const h2o_req_t *req);

struct gw_http {
    h2o_req_t *req;          /* NULL once h2o has disposed the request */
    int pending;             /* RPCs in flight that will come back to this request */
    int responded;
    gw_http_dispose_fn on_dispose;
};

/** Ties h to req (its pool's dispose calls on_dispose). */
void gw_http_init(gw_http_t *h, h2o_req_t *req, gw_http_dispose_fn on_dispose);
/** Drops one pending RPC. 1 when the request is gone (then the owner's context is to be
 *  freed when this returns 1 and pending is 0: see gw_http_unused). */
int gw_http_rpc_done(gw_http_t *h);
/** 1 when the request is gone and nothing is pending: the owner may free its context. */
int gw_http_unused(const gw_http_t *h);
/** The raw query (without '?'), or NULL with *len 0. */
const char *gw_http_query(const gw_http_t *h, size_t *len);
/** A request header by lower-case name; ptr NULL when absent. */
cn_slice_t gw_http_header(const gw_http_t *h, const char *lname);
/** 1 for a HEAD request. */
int gw_http_is_head(const gw_http_t *h);
/** Adds a response header (value copied into the pool). */
void gw_http_add_header(gw_http_t *h, const char *name, const char *value, size_t len);
/** Answers status with body (copied; none for HEAD's sake is the caller's choice) and
 *  Content-Type ctype (NULL: none). Marks h responded. */
void gw_http_send(gw_http_t *h, int status, const char *ctype, const char *body, size_t len);
/** 1 when the client connected from 127.0.0.0/8 or ::1 (or ::ffff:127.x). */
int gw_http_peer_is_loopback(const gw_http_t *h);
/** The peer's address as text ("10.0.0.7", "::1"; an IPv4-mapped IPv6 address as IPv4) into
 *  out; 0, or -1 when unknown. */
int gw_http_peer_ip(const gw_http_t *h, char *out, size_t len);
/** 1 when h2o keeps the request's body (req->entity) valid and unchanged until the request is
 *  answered, even if the client goes away meanwhile: HTTP/1, whose connection h2o stops reading
 *  once the body has arrived and whose buffer it frees only after the response. An HTTP/2
 *  stream's body is freed when the client resets the stream, before the request is disposed
 *  of: 0. What may borrow the body past the handler's return (a thread-pool job, an RPC body)
 *  asks this first. */
int gw_http_body_stable(const gw_http_t *h);
/** 1 when the request came over TLS. */
int gw_http_is_secure(const gw_http_t *h);
/** The reason phrase of an HTTP status. */
const char *gw_http_reason(int status);

#endif
