/*
 * storage/metrics_http.h: a tiny HTTP listener for GET /metrics (Prometheus text, from a
 * common/metrics.h registry) and GET /health, on libmicrohttpd's own thread. Used by
 * cairn-storage ([storage] metrics_listen) and cairn-gateway ([gateway] metrics_listen).
 * Anything else is 404; methods other than GET/HEAD are 405.
 * Threads: the fill callback and health callback run on the listener's thread, before each
 * /metrics or /health answer; they may only touch thread-safe state (the registry, the
 * engine, atomics). The daemon's loop updates loop-owned gauges itself.
 */
#ifndef CAIRN_STORAGE_METRICS_HTTP_H
#define CAIRN_STORAGE_METRICS_HTTP_H

#include "common/metrics.h"

typedef struct cn_mhttp cn_mhttp_t;

/** Called before /metrics is written (may be NULL): refresh gauges computed on demand. */
typedef void (*cn_mhttp_fill_fn)(void *arg);

/** Listens on listen ("host:port", port 0 picks one), serving reg. Fills host/port with the
 *  real address. 0 or CN_EINVAL (bad address) / a negative errno-style code (bind). */
int cn_mhttp_start(const char *listen, cn_metrics_t *reg, cn_mhttp_fill_fn fill, void *arg,
                   cn_mhttp_t **out, char *host, size_t hostlen, int *port);
/** Stops the listener thread and frees h (NULL is fine). */
void cn_mhttp_stop(cn_mhttp_t *h);

#endif
