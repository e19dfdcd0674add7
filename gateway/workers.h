/*
 * gateway/workers.h: the gateway's threads (issue 19). [gateway] threads = N runs N workers,
 * each a struct gw_server (gateway.h) over its own libuv loop: worker 0 on the main thread,
 * the others on threads of their own. Each listens on the same ports with SO_REUSEPORT, so
 * the kernel spreads connections over them, and a request never leaves the worker that
 * accepted it: every RPC it makes goes through that worker's clients and completes on its
 * loop.
 *
 * What the workers share is struct gw_shared, each part with its own rule:
 *  - the manager's tables: a snapshot published whole (link/tables.h), read without a lock;
 *  - the memory and disk caches: thread-safe themselves (mcache.h: a mutex per shard;
 *    dcache.h: one for its index), each worker keeping its own miss flights and
 *    validations;
 *  - the connection count (max_connections is per gateway): an atomic;
 *  - the TLS context: swapped on SIGHUP under tls_lock, each worker taking a reference;
 *  - the access-log queue (worker 0's, log_ship.h): its own mutex;
 *  - metrics: the registry is thread-safe (common/metrics.h); the cache counters are per
 *    worker and summed when read.
 *
 * Start: main.c starts worker 0, then gw_workers_start runs the others, each listening on
 * the ports worker 0 bound, and returns once all listen (or the first failure). Stop: worker
 * 0 (on SIGTERM) calls gw_workers_stop, which wakes every other worker to stop as worker 0
 * does; gw_workers_join waits for their loops to end.
 *
 * Lock order: a thread holds at most one of these mutexes at a time (tables, tls_lock,
 * start_lock, the caches' own, the log queue's); none is held across a call into another
 * module.
 */
#ifndef CAIRN_GATEWAY_WORKERS_H
#define CAIRN_GATEWAY_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gateway/cache/cache.h"
#include "gateway/link/tables.h"

typedef struct gw_server gw_server_t;
typedef struct gw_shared gw_shared_t;

struct gw_shared {
    unsigned nthreads;
    gw_server_t **w;              /* w[0]: worker 0, the main thread's */
    pthread_t *tid;               /* tid[i] runs w[i], i >= 1 */
    gw_tables_pub_t tables;       /* the manager's tables (link/tables.h) */
    struct gw_cache_shared cache; /* the caches every worker serves from (cache.h) */
    _Atomic uint64_t nconns;      /* open client connections, every worker and listener */
    pthread_mutex_t tls_lock;     /* guards tls_ctx */
    void *tls_ctx;                /* SSL_CTX * the next connections get; NULL without TLS */
    _Atomic uint64_t tls_gen;     /* bumped when tls_ctx is replaced */
    _Atomic int stop;             /* gw_workers_stop was called */
    pthread_mutex_t start_lock;   /* guards the start handshake: */
    pthread_cond_t start_cond;
    unsigned started;             /* workers that finished starting */
    int start_rc;                 /* the first failure, 0 */
};

/** The number of threads [gateway] threads asks for (0: the cores online, at least 1). */
unsigned gw_workers_wanted(uint64_t conf_threads);
/** The shared state for n workers, w[0] = s0 (which gets sh and idx 0). */
gw_shared_t *gw_shared_create(gw_server_t *s0, unsigned n);
/** Starts workers 1..n-1 on their threads, after worker 0 is listening: each copies s0's
 *  configuration and listens on its ports. 0 once every one listens, or the first
 *  failure's code (the ones started are stopped and joined). */
int gw_workers_start(gw_shared_t *sh);
/** Worker 0, stopping: asks the others to stop (they close their listeners and clients as
 *  worker 0 does, then their loops end). */
void gw_workers_stop(gw_shared_t *sh);
/** Waits for workers 1..n-1 to end (after their loops returned). */
void gw_workers_join(gw_shared_t *sh);
/** Wakes every worker but `self` (NULL: all): a new snapshot or TLS context is there. */
void gw_workers_wake(gw_shared_t *sh, const gw_server_t *self);
/** What a stopping worker closes after its listeners (and, worker 0, its metrics and access
 *  logs): its storage clients, then its manager link, key questions and cache glue. */
void gw_worker_close(gw_server_t *s);
/** Sets up s's wake-up handle and its loop-turn handle (which releases the snapshots it
 *  moved off) on its loop: every worker, worker 0 included. */
void gw_worker_wake_init(gw_server_t *s);

#endif
