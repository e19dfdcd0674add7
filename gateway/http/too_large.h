/*
 * gateway/http/too_large.h: the filter that answers h2o's early 413 as S3's EntityTooLarge
 * (too_large.c).
 */
#ifndef CAIRN_GATEWAY_TOO_LARGE_H
#define CAIRN_GATEWAY_TOO_LARGE_H

#define H2O_USE_LIBUV 1
#include <h2o.h>

typedef struct gw_server gw_server_t;

/** Registers the filter on hc's fallback path (where h2o sends its own 413). */
void gw_too_large_filter(h2o_hostconf_t *hc, gw_server_t *s);

#endif
