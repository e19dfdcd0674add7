/*
 * gateway/workers.c: the gateway's threads: the shared state, starting workers 1..N-1 on
 * their threads, waking them, stopping them (workers.h has the design).
 *
 * A worker past 0 is a struct gw_server made here, its configuration a copy of worker 0's
 * (the strings are worker 0's, read-only, freed by main.c after every thread ended), with
 * its own loop, listeners on worker 0's ports, storage and manager clients, caches' glue and
 * body pager. It serves until worker 0 asks it to stop; then it stops as worker 0 does on
 * SIGTERM (main.c) and its loop is stopped 200 ms later (h2o keeps handles open).
 */
#include "gateway/workers.h"

#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "gateway/gateway.h"
#include "gateway/http/http.h"
#include "gateway/http/tls.h"

/* A worker past 0: its server, and what it owns that worker 0 keeps in main.c. */
struct worker {
    gw_server_t s; /* first: the thread's argument is the struct worker */
    uv_loop_t loop;
    uv_timer_t exit_timer;
};

unsigned gw_workers_wanted(uint64_t conf_threads)
{
    long cores;

    if (conf_threads > 0)
        return (unsigned)conf_threads;
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (unsigned)cores : 1;
}

gw_shared_t *gw_shared_create(gw_server_t *s0, unsigned n)
{
    gw_shared_t *sh = cn_calloc(1, sizeof(*sh));

    sh->nthreads = n ? n : 1;
    sh->w = cn_calloc(sh->nthreads, sizeof(*sh->w));
    sh->tid = cn_calloc(sh->nthreads, sizeof(*sh->tid));
    sh->w[0] = s0;
    s0->sh = sh;
    s0->idx = 0;
    gw_tables_pub_init(&sh->tables);
    gw_cache_shared_init(&sh->cache);
    pthread_mutex_init(&sh->tls_lock, NULL);
    pthread_mutex_init(&sh->start_lock, NULL);
    pthread_cond_init(&sh->start_cond, NULL);
    return sh;
}

static void on_wake(uv_async_t *a);

static void on_turn(uv_prepare_t *p)
{
    gw_mgr_release_retired(p->data);
}

void gw_worker_wake_init(gw_server_t *s)
{
    uv_async_init(s->loop, &s->wake, on_wake);
    s->wake.data = s;
    /* the handle alone does not keep a loop running (worker 0's loop ends on uv_stop) */
    uv_unref((uv_handle_t *)&s->wake);
    uv_prepare_init(s->loop, &s->turn);
    s->turn.data = s;
    uv_prepare_start(&s->turn, on_turn);
    uv_unref((uv_handle_t *)&s->turn);
}

void gw_workers_wake(gw_shared_t *sh, const gw_server_t *self)
{
    /* worker i's wake handle is initialized before its start is reported, and never
     * closed: the send is safe from any thread for the process's life */
    for (unsigned i = 0; i < sh->nthreads; i++)
        if (sh->w[i] != NULL && sh->w[i] != self)
            uv_async_send(&sh->w[i]->wake);
}

static void on_exit_timer(uv_timer_t *t)
{
    uv_stop(t->loop);
}

void gw_worker_close(gw_server_t *s)
{
    gw_stor_stop(s); /* before the manager link: a cancelled write still announces its key */
    gw_mgr_stop(s);
    gw_keyask_dispose(s);
    gw_ssekey_dispose(s); /* after gw_mgr_stop: no question is left to answer */
    gw_cache_stop(s);
}

/* Worker i > 0 stops as worker 0 does on SIGTERM (main.c's on_stop_signal). */
static void worker_stop(struct worker *w)
{
    gw_server_t *s = &w->s;

    s->stopping = 1;
    gw_http_stop(s);
    gw_worker_close(s);
    gw_body_pager_stop(&s->pager);
    uv_timer_init(s->loop, &w->exit_timer);
    uv_timer_start(&w->exit_timer, on_exit_timer, 200, 0);
}

static void on_wake(uv_async_t *a)
{
    gw_server_t *s = a->data;

    if (s->stopping)
        return;
    if (s->idx != 0 && atomic_load(&s->sh->stop)) {
        worker_stop((struct worker *)s);
        return;
    }
    gw_mgr_sync(s);
    gw_tls_sync(s);
}

/* Worker i > 0 on its thread: everything worker 0 has but the manager's heartbeat, the
 * invalidation feed, /metrics, access-log delivery and the signals. */
static int worker_start(struct worker *w)
{
    gw_server_t *s = &w->s, *s0 = s->sh->w[0];
    int rc;

    uv_loop_init(&w->loop);
    s->loop = &w->loop;
    gw_worker_wake_init(s);
    if (cn_random_bytes(&s->reqid_seed, sizeof(s->reqid_seed)) != 0)
        s->reqid_seed = s0->reqid_seed ^ ((uint64_t)s->idx << 56);
    if ((rc = gw_body_pager_start(&s->pager, s->loop, s->conf.tmp_dir, s->idx)) != 0) {
        CN_LOG(CN_LOG_ERROR, "worker %u: gateway.tmp_dir %s: %s", s->idx, s->conf.tmp_dir,
               cn_strerror(rc));
        return rc;
    }
    if ((rc = gw_cache_start(s)) != 0)
        return rc;
    /* the metrics registry is thread-safe: every worker counts its requests into worker 0's */
    s->metrics.reg = s0->metrics.reg;
    s->metrics.req = s0->metrics.req;
    s->metrics.lat = s0->metrics.lat;
    s->metrics.bin = s0->metrics.bin;
    s->metrics.bout = s0->metrics.bout;
    s->metrics.ec_reads = s0->metrics.ec_reads;
    s->metrics.ec_handoffs = s0->metrics.ec_handoffs;
    if ((rc = gw_http_start(s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "worker %u: listen: %s", s->idx, cn_strerror(rc));
        return rc;
    }
    if ((rc = gw_mgr_start(s)) != 0) {
        CN_LOG(CN_LOG_ERROR, "worker %u: manager client: %s", s->idx, cn_strerror(rc));
        return rc;
    }
    gw_mgr_sync(s); /* the tables worker 0 holds by now, if any */
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    gw_shared_t *sh = w->s.sh;
    int rc = worker_start(w);

    pthread_mutex_lock(&sh->start_lock);
    sh->started++;
    if (rc != 0 && sh->start_rc == 0)
        sh->start_rc = rc;
    pthread_cond_broadcast(&sh->start_cond);
    pthread_mutex_unlock(&sh->start_lock);
    if (rc == 0)
        uv_run(w->s.loop, UV_RUN_DEFAULT);
    /* h2o's contexts keep handles open: the loop is not closed (the process exits next) */
    return NULL;
}

int gw_workers_start(gw_shared_t *sh)
{
    gw_server_t *s0 = sh->w[0];
    unsigned want = sh->nthreads - 1;
    int rc = 0;

    for (unsigned i = 1; i < sh->nthreads; i++) {
        struct worker *w = cn_calloc(1, sizeof(*w));
        gw_server_t *s = &w->s;

        s->magic = GW_SERVER_MAGIC;
        s->sh = sh;
        s->idx = i;
        s->conf = s0->conf; /* a shallow copy: worker 0's strings, read-only */
        memcpy(s->host, s0->host, sizeof(s->host));
        s->port = s0->port;
        memcpy(s->rest_host, s0->rest_host, sizeof(s->rest_host));
        s->rest_port = s0->rest_port;
        memcpy(s->tls_host, s0->tls_host, sizeof(s->tls_host));
        s->tls_port = s0->tls_port;
        memcpy(s->rest_tls_host, s0->rest_tls_host, sizeof(s->rest_tls_host));
        s->rest_tls_port = s0->rest_tls_port;
        gw_stor_init(s);
        sh->w[i] = s;
        if ((rc = pthread_create(&sh->tid[i], NULL, worker_main, w)) != 0) {
            CN_LOG(CN_LOG_ERROR, "worker %u: cannot start its thread: %s", i, strerror(rc));
            sh->w[i] = NULL;
            cn_free(w);
            want = i - 1;
            rc = CN_EAGAIN;
            break;
        }
    }
    pthread_mutex_lock(&sh->start_lock);
    while (sh->started < want)
        pthread_cond_wait(&sh->start_cond, &sh->start_lock);
    if (rc == 0)
        rc = sh->start_rc;
    pthread_mutex_unlock(&sh->start_lock);
    if (rc == 0)
        CN_LOG(CN_LOG_INFO, "%u threads serving", sh->nthreads);
    return rc;
}

void gw_workers_stop(gw_shared_t *sh)
{
    atomic_store(&sh->stop, 1);
    gw_workers_wake(sh, sh->w[0]);
}

void gw_workers_join(gw_shared_t *sh)
{
    for (unsigned i = 1; i < sh->nthreads; i++)
        if (sh->w[i] != NULL)
            pthread_join(sh->tid[i], NULL);
}
