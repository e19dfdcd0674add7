/*
 * gateway/http/http.h: the HTTP edge's listeners and handlers (http.c).
 */
#ifndef CAIRN_GATEWAY_HTTP_H
#define CAIRN_GATEWAY_HTTP_H

typedef struct gw_server gw_server_t;

/** Binds the S3 listener and sets up h2o. Returns 0 or a CN_E* code. */
int gw_http_start(gw_server_t *s);
void gw_http_stop(gw_server_t *s);

#endif
