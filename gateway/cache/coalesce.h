/*
 * gateway/cache/coalesce.h: request coalescing for cache misses ("single flight"). The first miss
 * on a key leads: it reads storage once; misses on the same key that arrive meanwhile wait
 * behind it and are called back with the leader's result, so N concurrent misses make one
 * storage read.
 *
 * Threads: one loop thread owns a gw_flights_t; no locking.
 * Ownership: keys are copied; the result passed to gw_flights_finish is borrowed by the
 * callbacks for the duration of their call only (a waiter that keeps it takes a reference of
 * its own, e.g. gw_mcache_ref).
 */
#ifndef CAIRN_GATEWAY_COALESCE_H
#define CAIRN_GATEWAY_COALESCE_H

#include <stddef.h>

#include "common/buf.h"

typedef struct gw_flights gw_flights_t;
/** A waiter's completion: status 0 and the leader's result, or the leader's error
 *  (CN_ECANCELED when the table is destroyed with waiters). */
typedef void (*gw_flight_fn)(int status, void *result, void *arg);

gw_flights_t *gw_flights_create(void);
/** Cancels every waiter (CN_ECANCELED) and frees the table. */
void gw_flights_destroy(gw_flights_t *f);
/** Joins key's flight. Returns 1 when the caller leads (it must fetch, then call
 *  gw_flights_finish exactly once for key), 0 when (cb, arg) waits behind the leader. */
int gw_flights_join(gw_flights_t *f, cn_slice_t key, gw_flight_fn cb, void *arg);
/** Ends key's flight: detaches it first (a callback may start a new flight on the same key),
 *  then calls every waiter in join order. Returns how many waiters were called. */
size_t gw_flights_finish(gw_flights_t *f, cn_slice_t key, int status, void *result);
/** Number of flights in progress and of waiters (for tests and metrics). */
size_t gw_flights_count(const gw_flights_t *f);
size_t gw_flights_waiters(const gw_flights_t *f);

#endif
