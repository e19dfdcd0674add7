/*
 * gateway/logs/log_req.h: a request's access log record (log_req.c). gw_alog_begin notes,
 * while h2o's request is whole, what the record needs of it (when its bucket has logging on);
 * gw_alog_end, when h2o disposes of the request, adds the outcome (status, bytes, times),
 * formats the line (access_log.h) and queues it (log_ship.h). Loop thread only.
 */
#ifndef CAIRN_GATEWAY_LOG_REQ_H
#define CAIRN_GATEWAY_LOG_REQ_H

#define H2O_USE_LIBUV 1
#include <h2o.h>

typedef struct gw_req gw_req_t;
typedef struct gw_alog_req gw_alog_req_t;

/** Called once r is routed: when r's bucket logs its requests, r->alog gets what h2o's
 *  request says of it (freed by gw_alog_req_free). */
void gw_alog_begin(gw_req_t *r);
/** Called when h2o disposes of req (r's request): queues r's record, if r has one. */
void gw_alog_end(gw_req_t *r, const h2o_req_t *req);
void gw_alog_req_free(gw_alog_req_t *a);

#endif
