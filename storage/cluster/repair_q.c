/*
 * storage/cluster/repair_q.c: the persistent repair queue and its worker.
 *
 * An entry says "target must hold key's newest version": {key, target node, reason,
 * attempts, next try, created}. Entries live in their own RocksDB under data_dir/repairq
 * (key "q" + target + NUL + key; value u8 version 1 | u8 reason | u32 attempts | u64 next try
 * ms | u64 created ms, little-endian; "m" + name holds small u64 values such as the last ring
 * pair walked) and in memory (a list in arrival order plus a hash on (target, key) that
 * dedupes; "r" + kind + name holds other modules' node-local records, such as the
 * delete-bucket jobs). Writes go to RocksDB's WAL unsynced: they survive a crash of the
 * process, and a lost entry after a power loss is found again by recover_consistency.
 * The writes run on one writer thread, not on the loop: the loop adds each put or delete to a
 * pending WriteBatch under wlock, the writer takes the whole batch and writes it (so writes
 * keep their order and batch up while one is on its way). A caller that must not answer
 * before an entry is persistent (the coordinator's hinted handoff) passes a callback: it
 * waits with the batch and runs on the loop (through q->async) once that batch is written.
 * stor_repair_q_stop waits for the writer to drain (shutdown only), runs the waiting
 * callbacks, and ends the thread; later writes (jobs ending during the last loop turns, the
 * delete-bucket jobs' last progress) are written synchronously.
 * Everything that reads a container goes to the thread pool.
 *
 * The worker (cron, every 100 ms) starts due entries, at most repair_inflight at a time:
 *   1. read the local version (body included; tombstones and bad versions too);
 *   2. target is this node: ask the other nodes of the key's read set, write the newest
 *      locally when it is newer than the local one (or equal and the local one is corrupt);
 *   3. target is a peer: head it; done when it holds this clock or a newer one; else push
 *      the local version (put or delete, replica = 1), or, when the local copy is missing or
 *      corrupt, the newest fetched from the other owners.
 * An acked push (0, CN_ESTALE, a delete's CN_ENOENT) ends the entry; a failure retries after
 * repair_backoff_min doubling up to repair_backoff_max. An entry pushed again while it runs
 * runs once more afterwards (the new push may carry a newer version). An entry whose target
 * is in neither ring is dropped (the node left the cluster).
 * Threads: main loop only, except stor_repair_hook (any engine thread), which hands keys to
 * the loop through a locked list and a uv_async_t, and the writer thread. wlock guards wb,
 * wb_ops, waiting, fired, writing, wquit and notify; hook_lock guards the hook list (the two
 * are never held together).
 */
#include "storage/cluster/cluster.h"

#include <inttypes.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"
#include "storage/engine/rocks_fail.h"

#define STOR_RQ_MAGIC 0x53525155u  /* "SRQU" */
#define STOR_RJOB_MAGIC 0x534a4f52u /* "SJOR" */
#define RQ_VAL_LEN (1 + 1 + 4 + 8 + 8)
#define RQ_META_MAX 8 /* meta names cached (the values written by this process) */

struct rq_waiter {
    stor_rq_persisted_fn cb;
    void *arg;
    int rc;
};

struct rq_waiters {
    struct rq_waiter *v;
    size_t n, cap;
};

#define STOR_RQ_SETTLE_TIMEOUTS 3 /* an entry that finds no copy anywhere is retried this
                                     * many replication timeouts after it was queued */

struct rq_ent {
    struct rq_ent *hnext, *prev, *next;
    char target[STOR_NAME_MAX];
    cn_buf_t key;
    uint8_t reason;
    uint32_t attempts;
    uint64_t next_try_ms, created_ms;
    int inflight, again;
};

struct stor_repair_q {
    uint32_t magic;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    struct rq_ent *head, *tail;
    struct rq_ent **tab;
    size_t tab_size, count, inflight;
    size_t jobs;            /* move batches and single repairs in flight */
    int suspended, stopping;
    uv_timer_t kick;        /* runs the worker on the next loop turn (no tick to wait for) */
    int kick_open;
    uint64_t done, retries, dropped;
    uv_async_t async;       /* hook keys and fired callbacks */
    int async_open;
    /* the writer thread (see the file comment) */
    pthread_t wthread;
    int wthread_on;         /* loop thread only: 0 means write synchronously */
    pthread_mutex_t wlock;
    pthread_cond_t wcond;   /* the writer waits for work */
    pthread_cond_t widle;   /* stop waits for the writer to drain */
    rocksdb_writebatch_t *wb;
    size_t wb_ops;
    struct rq_waiters waiting, fired;
    int writing, wquit;
    uv_async_t *notify;     /* &async while the loop listens */
    /* meta values written by this process (read back without waiting for the writer) */
    struct {
        char name[32];
        uint64_t v;
    } meta[RQ_META_MAX];
    size_t n_meta;
};

/* the engine's repair hook hands keys over here (any thread) */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static cn_buf_t hook_keys;            /* u32le length + key, repeated */
static uv_async_t *hook_async;        /* NULL when no loop listens */

/* ---- persistence -------------------------------------------------------------------- */

static void db_key(cn_buf_t *k, const char *target, cn_slice_t key)
{
    cn_buf_reset(k);
    cn_buf_append(k, "q", 1);
    cn_buf_append(k, target, strlen(target) + 1);
    cn_buf_append(k, key.ptr, key.len);
}

static void waiters_add(struct rq_waiters *w, stor_rq_persisted_fn cb, void *arg, int rc)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->v = cn_realloc(w->v, w->cap * sizeof(*w->v));
    }
    w->v[w->n++] = (struct rq_waiter){cb, arg, rc};
}

/* The writer thread: writes the pending batch, hands its waiters to the loop. */
static void *writer_main(void *arg)
{
    struct stor_repair_q *q = arg;

    pthread_mutex_lock(&q->wlock);
    for (;;) {
        rocksdb_writebatch_t *wb;
        struct rq_waiters w;
        char *err = NULL;
        int rc = 0;

        while (q->wb_ops == 0 && q->waiting.n == 0 && !q->wquit)
            pthread_cond_wait(&q->wcond, &q->wlock);
        if (q->wb_ops == 0 && q->waiting.n == 0)
            break; /* told to quit, and drained */
        wb = q->wb;
        q->wb = rocksdb_writebatch_create();
        q->wb_ops = 0;
        w = q->waiting;
        memset(&q->waiting, 0, sizeof(q->waiting));
        q->writing = 1;
        pthread_mutex_unlock(&q->wlock);

        if (rocksdb_writebatch_count(wb) > 0)
            rocksdb_write(q->db, q->wopts, wb, &err);
        rocksdb_writebatch_destroy(wb);
        if (err != NULL)
            rc = stor_rocks_fail("repair queue", "write", err);

        pthread_mutex_lock(&q->wlock);
        q->writing = 0;
        for (size_t i = 0; i < w.n; i++)
            waiters_add(&q->fired, w.v[i].cb, w.v[i].arg, rc);
        cn_free(w.v);
        if (w.n > 0 && q->notify != NULL)
            uv_async_send(q->notify);
        pthread_cond_broadcast(&q->widle);
    }
    pthread_mutex_unlock(&q->wlock);
    return NULL;
}

/* Runs the callbacks of written batches (loop thread). */
static void fire_waiters(struct stor_repair_q *q)
{
    struct rq_waiters w;

    pthread_mutex_lock(&q->wlock);
    w = q->fired;
    memset(&q->fired, 0, sizeof(q->fired));
    pthread_mutex_unlock(&q->wlock);
    for (size_t i = 0; i < w.n; i++)
        w.v[i].cb(w.v[i].arg, w.v[i].rc);
    cn_free(w.v);
}

/* Queues one put (val != NULL) or delete for the writer; with cb, cb waits for the batch.
 * Returns 1 when cb will be called, 0 when done (synchronously, once the writer stopped). */
static int db_write(struct stor_repair_q *q, const char *k, size_t kl, const char *val,
                    size_t vl, stor_rq_persisted_fn cb, void *arg)
{
    char *err = NULL;

    if (!q->wthread_on) {
        if (k == NULL)
            return 0;
        if (val != NULL)
            rocksdb_put(q->db, q->wopts, k, kl, val, vl, &err);
        else
            rocksdb_delete(q->db, q->wopts, k, kl, &err);
        return err != NULL ? stor_rocks_fail("repair queue", val != NULL ? "put" : "delete", err) : 0;
    }
    pthread_mutex_lock(&q->wlock);
    if (k != NULL && val != NULL)
        rocksdb_writebatch_put(q->wb, k, kl, val, vl);
    else if (k != NULL)
        rocksdb_writebatch_delete(q->wb, k, kl);
    q->wb_ops += k != NULL;
    if (cb != NULL)
        waiters_add(&q->waiting, cb, arg, 0);
    pthread_cond_signal(&q->wcond);
    pthread_mutex_unlock(&q->wlock);
    return cb != NULL;
}

static int db_save(struct stor_repair_q *q, const struct rq_ent *e, stor_rq_persisted_fn cb,
                   void *arg)
{
    char v[RQ_VAL_LEN];
    cn_buf_t k;
    int rc;

    cn_buf_init(&k);
    db_key(&k, e->target, cn_slice(e->key.data, e->key.len));
    v[0] = 1;
    v[1] = (char)e->reason;
    cn_put_u32le(v + 2, e->attempts);
    cn_put_u64le(v + 6, e->next_try_ms);
    cn_put_u64le(v + 14, e->created_ms);
    rc = db_write(q, k.data, k.len, v, sizeof(v), cb, arg);
    cn_buf_dispose(&k);
    return rc;
}

static void db_del(struct stor_repair_q *q, const struct rq_ent *e)
{
    cn_buf_t k;

    cn_buf_init(&k);
    db_key(&k, e->target, cn_slice(e->key.data, e->key.len));
    db_write(q, k.data, k.len, NULL, 0, NULL, NULL);
    cn_buf_dispose(&k);
}

int stor_repair_q_meta_put(struct stor_server *s, const char *name, uint64_t v)
{
    struct stor_repair_q *q = s->rq;
    char k[80], b[8];
    int n = snprintf(k, sizeof(k), "m%s", name);
    size_t i;

    if (q == NULL || strlen(name) >= sizeof(q->meta[0].name))
        return CN_EINVAL;
    for (i = 0; i < q->n_meta && strcmp(q->meta[i].name, name) != 0; i++)
        ;
    if (i == q->n_meta && q->n_meta < RQ_META_MAX)
        snprintf(q->meta[q->n_meta++].name, sizeof(q->meta[0].name), "%s", name);
    if (i < q->n_meta)
        q->meta[i].v = v;
    cn_put_u64le(b, v);
    return db_write(q, k, (size_t)n, b, sizeof(b), NULL, NULL);
}

int stor_repair_q_meta_get(struct stor_server *s, const char *name, uint64_t *v)
{
    struct stor_repair_q *q = s->rq;
    char k[80], *err = NULL, *val;
    int n = snprintf(k, sizeof(k), "m%s", name);
    size_t len;

    if (q == NULL)
        return CN_EINVAL;
    for (size_t i = 0; i < q->n_meta; i++) {
        if (strcmp(q->meta[i].name, name) == 0) {
            *v = q->meta[i].v; /* its write may still be on its way */
            return 0;
        }
    }
    val = rocksdb_get(q->db, q->ropts, k, (size_t)n, &len, &err);
    if (err != NULL)
        return stor_rocks_fail("repair queue", "get", err);
    if (val == NULL || len != 8) {
        rocksdb_free(val);
        return CN_ENOENT;
    }
    *v = cn_get_u64le(val);
    rocksdb_free(val);
    return 0;
}

/* Queues the put (val != NULL) or delete of a record (the db_write contract). */
static int rec_write(struct stor_server *s, char kind, cn_slice_t name, const char *val,
                     size_t vl, stor_rq_persisted_fn cb, void *arg)
{
    cn_buf_t k;
    int rc;

    if (s->rq == NULL)
        return CN_EINVAL;
    cn_buf_init(&k);
    cn_buf_append(&k, "r", 1);
    cn_buf_append(&k, &kind, 1);
    cn_buf_append(&k, name.ptr, name.len);
    rc = db_write(s->rq, k.data, k.len, val, vl, cb, arg);
    cn_buf_dispose(&k);
    return rc;
}

int stor_repair_q_rec_put(struct stor_server *s, char kind, cn_slice_t name, cn_slice_t val,
                          stor_rq_persisted_fn cb, void *arg)
{
    return rec_write(s, kind, name, val.len > 0 ? val.ptr : "", val.len, cb, arg);
}

int stor_repair_q_rec_del(struct stor_server *s, char kind, cn_slice_t name)
{
    return rec_write(s, kind, name, NULL, 0, NULL, NULL);
}

int stor_repair_q_rec_foreach(struct stor_server *s, char kind,
                              int (*fn)(void *arg, cn_slice_t name, cn_slice_t val), void *arg)
{
    struct stor_repair_q *q = s->rq;
    rocksdb_iterator_t *it;
    char pfx[2] = {'r', kind}, *err = NULL;
    int rc = 0;

    if (q == NULL)
        return CN_EINVAL;
    it = rocksdb_create_iterator(q->db, q->ropts);
    for (rocksdb_iter_seek(it, pfx, 2); rc == 0 && rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl);
        const char *v = rocksdb_iter_value(it, &vl);

        if (kl < 2 || memcmp(k, pfx, 2) != 0)
            break;
        rc = fn(arg, cn_slice(k + 2, kl - 2), cn_slice(v, vl));
    }
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    if (err != NULL)
        return stor_rocks_fail("repair queue", "scan", err);
    return rc;
}

/* ---- memory: list and hash ---------------------------------------------------------- */

static uint32_t ent_hash(const char *target, cn_slice_t key)
{
    return cn_crc32c(cn_crc32c(0, target, strlen(target) + 1), key.ptr, key.len);
}

static struct rq_ent **find_slot(struct stor_repair_q *q, const char *target, cn_slice_t key)
{
    struct rq_ent **pp = &q->tab[ent_hash(target, key) & (q->tab_size - 1)];

    for (; *pp != NULL; pp = &(*pp)->hnext)
        if (strcmp((*pp)->target, target) == 0 &&
            cn_slice_eq(cn_slice((*pp)->key.data, (*pp)->key.len), key))
            return pp;
    return pp;
}

static void grow(struct stor_repair_q *q)
{
    size_t old = q->tab_size;
    struct rq_ent **t = q->tab;

    q->tab_size = old ? old * 2 : 1024;
    q->tab = cn_calloc(q->tab_size, sizeof(*q->tab));
    for (size_t i = 0; i < old; i++) {
        struct rq_ent *e = t[i], *n;

        for (; e != NULL; e = n) {
            struct rq_ent **pp;

            n = e->hnext;
            e->hnext = NULL;
            pp = find_slot(q, e->target, cn_slice(e->key.data, e->key.len));
            *pp = e;
        }
    }
    cn_free(t);
}

static struct rq_ent *ent_add(struct stor_repair_q *q, const char *target, cn_slice_t key)
{
    struct rq_ent *e = cn_calloc(1, sizeof(*e)), **pp;

    if (q->count + 1 > q->tab_size)
        grow(q);
    snprintf(e->target, sizeof(e->target), "%s", target);
    cn_buf_init(&e->key);
    cn_buf_append(&e->key, key.ptr, key.len);
    pp = find_slot(q, target, key);
    CN_ASSERT(*pp == NULL);
    *pp = e;
    e->prev = q->tail;
    if (q->tail)
        q->tail->next = e;
    else
        q->head = e;
    q->tail = e;
    q->count++;
    return e;
}

static void ent_remove(struct stor_repair_q *q, struct rq_ent *e)
{
    struct rq_ent **pp = find_slot(q, e->target, cn_slice(e->key.data, e->key.len));

    CN_ASSERT(*pp == e);
    *pp = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        q->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        q->tail = e->prev;
    q->count--;
    cn_buf_dispose(&e->key);
    cn_free(e);
}

static void kick(struct stor_repair_q *q);

int stor_repair_q_has(struct stor_server *s, cn_slice_t key, const char *target)
{
    struct stor_repair_q *q = s->rq;

    return q != NULL && q->tab_size > 0 && *find_slot(q, target, key) != NULL;
}

int stor_repair_q_push_cb(struct stor_server *s, cn_slice_t key, const char *target, int reason,
                          stor_rq_persisted_fn cb, void *arg)
{
    struct stor_repair_q *q = s->rq;
    struct rq_ent *e, **pp;

    if (q == NULL || key.len == 0 || key.len > STOR_KEY_MAX)
        return CN_EINVAL;
    if (q->tab_size == 0)
        grow(q);
    pp = find_slot(q, target, key);
    if (*pp != NULL) {
        e = *pp;
        if (e->inflight)
            e->again = 1;
        /* its save may still wait in a batch: wait behind it (an empty wait when written) */
        return cb != NULL ? db_write(q, NULL, 0, NULL, 0, cb, arg) : 0;
    }
    e = ent_add(q, target, key);
    e->reason = (uint8_t)reason;
    e->created_ms = cn_now_ms();
    e->next_try_ms = e->created_ms;
    CN_LOG(CN_LOG_DEBUG, "repair queued key=%.*s target=%s reason=%s", (int)key.len, key.ptr,
           target, stor_reason_name(reason));
    kick(q);
    return db_save(q, e, cb, arg);
}

int stor_repair_q_push(struct stor_server *s, cn_slice_t key, const char *target, int reason)
{
    int rc = stor_repair_q_push_cb(s, key, target, reason, NULL, NULL);

    return rc > 0 ? 0 : rc;
}

static void on_wait_persisted(void *arg, int rc)
{
    stor_rq_wait_t *w = arg;

    CN_ASSERT(w->pending > 0);
    w->pending--;
    if (rc == 0)
        w->queued++;
    else
        w->failed++;
    w->done(w);
}

int stor_rq_wait_push(struct stor_server *s, stor_rq_wait_t *w, cn_slice_t key,
                      const char *target, int reason)
{
    int rc = stor_repair_q_push_cb(s, key, target, reason, on_wait_persisted, w);

    if (rc == 1)
        w->pending++;
    else if (rc == 0)
        w->queued++;
    else
        w->failed++;
    return rc == 1;
}

/* ---- the worker --------------------------------------------------------------------- */

struct rjob {
    uint32_t magic;
    struct stor_server *s;
    struct rq_ent *e;
    stor_version_t *lv;        /* the local version */
    stor_version_t tv;         /* the target's (head) */
    stor_gather_t *g;          /* the newest from others, when fetched */
    stor_version_t *rv;        /* a fragment rebuilt from its chunk's others */
    const stor_version_t *pushed; /* the version sent, if any (its bytes are counted) */
    int self_target;
};

static cn_slice_t jkey(const struct rjob *j)
{
    return cn_slice(j->e->key.data, j->e->key.len);
}

/* An entry's attempt ended with rc: done (removed, the recoverer told), or retried after a
 * back-off, or run again at once when it was pushed again meanwhile. */
static void ent_finish(struct stor_server *s, struct rq_ent *e, int rc, uint64_t local_clock,
                       uint64_t bytes)
{
    struct stor_repair_q *q = s->rq;
    int reason = e->reason;

    e->inflight = 0;
    q->inflight--;
    if (rc == 0 && e->again) {
        e->again = 0;
        e->attempts = 0;
        e->next_try_ms = cn_now_ms();
        db_save(q, e, NULL, NULL);
    } else if (rc == 0) {
        cn_buf_t key;

        q->done++;
        db_del(q, e);
        CN_LOG(CN_LOG_DEBUG, "repair done key=%.*s target=%s reason=%s", (int)e->key.len,
               e->key.data, e->target, stor_reason_name(reason));
        cn_buf_init(&key);
        cn_buf_append(&key, e->key.data, e->key.len);
        ent_remove(q, e);
        stor_recoverer_entry_done(s, cn_slice(key.data, key.len), reason, local_clock, bytes);
        cn_buf_dispose(&key);
    } else {
        uint64_t back = s->conf->repair_backoff_min_ms;

        for (uint32_t i = 0; i < e->attempts && back < s->conf->repair_backoff_max_ms; i++)
            back *= 2;
        if (back > s->conf->repair_backoff_max_ms)
            back = s->conf->repair_backoff_max_ms;
        e->attempts++;
        e->again = 0;
        e->next_try_ms = cn_now_ms() + back;
        q->retries++;
        CN_LOG(e->attempts % 10 == 0 ? CN_LOG_INFO : CN_LOG_DEBUG, "repair key=%.*s target=%s reason=%s attempts=%u rc=%s: "
                   "retrying in %" PRIu64 " ms", (int)e->key.len, e->key.data, e->target,
                   stor_reason_name(reason), e->attempts, cn_strerror(rc), back);
        db_save(q, e, NULL, NULL);
    }
}

static void job_end(struct rjob *j, int rc)
{
    struct stor_server *s = j->s;

    CN_CHECK_OBJ(j, STOR_RJOB_MAGIC);
    if (rc == 0 && j->pushed != NULL) {
        stor_move_rate_debit(s, 0, j->pushed->body.len);
        stor_move_rate_count(s, 1, j->pushed->body.len);
    }
    ent_finish(s, j->e, rc, stor_version_found(j->lv) ? j->lv->m.clock : 0,
               rc == 0 && j->pushed != NULL ? j->pushed->body.len : 0);
    j->e = NULL;
    s->rq->jobs--;
    stor_move_rate_end(s);
    kick(s->rq);
    stor_version_dispose(&j->tv);
    if (j->lv != NULL) {
        stor_version_dispose(j->lv);
        cn_free(j->lv);
    }
    if (j->g != NULL)
        stor_gather_free(j->g);
    if (j->rv != NULL) {
        stor_version_dispose(j->rv);
        cn_free(j->rv);
    }
    j->magic = 0;
    cn_free(j);
}

static void on_push(int status, cn_msg_t *resp, void *arg)
{
    struct rjob *j = arg;
    int rc = status != 0 ? status : cn_msg_rc(resp);

    CN_CHECK_OBJ(j, STOR_RJOB_MAGIC);
    cn_msg_free(resp);
    if (rc == CN_ESTALE || rc == CN_ENOENT)
        rc = 0;
    job_end(j, rc);
}

static void push(struct rjob *j, const stor_version_t *v)
{
    cn_msg_t *req = stor_write_msg(jkey(j), &v->m, cn_slice(v->body.data, v->body.len));
    int rc;

    j->pushed = v;
    rc = stor_peer_call(j->s, j->e->target, req, j->s->conf->repl_timeout_ms, on_push, j);
    if (rc != 0)
        job_end(j, rc);
}

static void on_self_write(struct stor_server *s, int rc, void *arg)
{
    struct rjob *j = arg;

    if (rc == CN_ESTALE || rc == CN_ENOENT)
        rc = 0;
    job_end(j, rc);
}

static void on_others(stor_gather_t *g, void *arg)
{
    struct rjob *j = arg;
    int best = stor_gather_best(g);
    const stor_version_t *have = j->self_target ? j->lv : &j->tv;
    const stor_version_t *bv;
    int failed = 0;

    CN_CHECK_OBJ(j, STOR_RJOB_MAGIC);
    j->g = g;
    for (size_t i = 0; i < g->n; i++)
        if (g->res[i].v.rc != 0 && g->res[i].v.rc != CN_ENOENT &&
            g->res[i].v.rc != CN_ECORRUPT)
            failed = 1;
    if (best < 0) {
        /* nobody has a version: retry when some could not be asked, and while the entry is
         * young. A coordinator queues a hint as soon as a replica write fails, while its own
         * write and the other replicas' may still be landing (replicator.c): the entry can
         * run before any copy is there, and ending it then would leave the target without
         * the copy for good (seen: tests/cluster/fault_28_sse_kill.sh). After
         * STOR_RQ_SETTLE_TIMEOUTS replication timeouts a write that never landed anywhere
         * has nothing to repair. */
        int young = cn_now_ms() - j->e->created_ms <
                    STOR_RQ_SETTLE_TIMEOUTS * j->s->conf->repl_timeout_ms;
        job_end(j, (failed || young) && !stor_version_found(have) ? CN_EUNAVAIL : 0);
        return;
    }
    bv = &g->res[best].v;
    if (stor_version_found(have) && have->m.clock >= bv->m.clock) {
        job_end(j, 0); /* nothing newer anywhere */
        return;
    }
    if (j->self_target)
        stor_local_write(j->s, jkey(j), &bv->m, cn_slice(bv->body.data, bv->body.len),
                         on_self_write, j);
    else
        push(j, bv);
}

/* A fragment has no other copy: it is rebuilt from its chunk's other fragments. */
static void on_rebuilt(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct rjob *j = arg;
    const stor_version_t *have = j->self_target ? j->lv : &j->tv;

    CN_CHECK_OBJ(j, STOR_RJOB_MAGIC);
    j->rv = v;
    if (v->rc == CN_ENOENT) { /* no fragment anywhere: as on_others, while young */
        int young = cn_now_ms() - j->e->created_ms <
                    STOR_RQ_SETTLE_TIMEOUTS * s->conf->repl_timeout_ms;
        job_end(j, young && !stor_version_found(have) ? CN_EUNAVAIL : 0);
        return;
    }
    if (v->rc != 0) {
        job_end(j, v->rc);
        return;
    }
    if (stor_version_found(have) && have->m.clock >= v->m.clock) {
        job_end(j, 0);
        return;
    }
    if (j->self_target)
        stor_local_write(s, jkey(j), &v->m, cn_slice(v->body.data, v->body.len),
                         on_self_write, j);
    else
        push(j, v);
}

static void fetch_others(struct rjob *j)
{
    stor_owners_t ask;

    if (cn_frag_key_parse(j->e->key.data, j->e->key.len, NULL)) {
        /* its one owner holds a good version: nothing to rebuild (a fragment's key is
         * written once; a corrupt copy reads as none) */
        if (stor_version_found(j->self_target ? j->lv : &j->tv))
            job_end(j, 0);
        else
            stor_frag_rebuild(j->s, jkey(j), on_rebuilt, j);
        return;
    }
    stor_read_set(j->s, jkey(j), stor_self(j->s), j->e->target, &ask);
    stor_gather_start(j->s, jkey(j), &ask, CN_OP_GET, 0, UINT64_MAX, on_others, j);
}

static void on_target_head(int status, cn_msg_t *resp, void *arg)
{
    struct rjob *j = arg;

    CN_CHECK_OBJ(j, STOR_RJOB_MAGIC);
    stor_version_from_msg(&j->tv, status, resp);
    cn_msg_free(resp);
    if (j->tv.rc == CN_ECORRUPT)
        j->tv.rc = CN_ENOENT; /* a bad copy counts as none: the same clock repairs it */
    if (j->tv.rc != 0 && j->tv.rc != CN_ENOENT) {
        job_end(j, j->tv.rc);
        return;
    }
    if (stor_version_found(j->lv)) {
        if (stor_version_found(&j->tv) && j->tv.m.clock >= j->lv->m.clock)
            job_end(j, 0);
        else
            push(j, j->lv);
    } else {
        fetch_others(j);
    }
}

static void on_local(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct rjob *j = arg;
    cn_msg_t *req;

    CN_CHECK_OBJ(j, STOR_RJOB_MAGIC);
    j->lv = v;
    if (v->rc != 0 && v->rc != CN_ENOENT && v->rc != CN_ECORRUPT) {
        job_end(j, v->rc);
        return;
    }
    if (j->self_target) {
        fetch_others(j);
        return;
    }
    req = cn_msg_new(CN_OP_HEAD);
    cn_msg_set_bytes(req, "key", j->e->key.data, j->e->key.len);
    cn_msg_set_u64(req, "replica", 1);
    if (stor_peer_call(s, j->e->target, req, s->conf->repl_timeout_ms, on_target_head, j) != 0)
        job_end(j, CN_EUNAVAIL);
}

/* Repairs e the single-key way (e is already counted in flight). */
static void start_single(struct stor_server *s, struct rq_ent *e)
{
    struct rjob *j = cn_calloc(1, sizeof(*j));

    j->magic = STOR_RJOB_MAGIC;
    j->s = s;
    j->e = e;
    j->self_target = strcmp(e->target, stor_self(s)) == 0;
    stor_version_init(&j->tv);
    s->rq->jobs++;
    stor_move_rate_begin(s, 1, 0);
    stor_local_read(s, cn_slice(e->key.data, e->key.len), 1, 0, UINT64_MAX, on_local, j);
}

/* A batch of entries bound for one peer (storage/cluster/mover.c). */
struct mgroup {
    struct stor_server *s;
    char target[STOR_NAME_MAX];
    struct rq_ent **e;
    size_t n;
};

static void on_group_key(void *arg, size_t i, int rc, uint64_t local_clock, uint64_t bytes)
{
    struct mgroup *g = arg;
    struct rq_ent *e = g->e[i];

    g->e[i] = NULL;
    if (rc == STOR_MOVE_FALLBACK) {
        start_single(g->s, e); /* no good local copy: from the other owners */
        return;
    }
    if (rc == 0)
        stor_move_rate_count(g->s, 1, bytes); /* the mover paid the bodies before reading */
    ent_finish(g->s, e, rc, local_clock, bytes);
}

static void on_group_end(void *arg)
{
    struct mgroup *g = arg;
    struct stor_repair_q *q = g->s->rq;

    q->jobs--;
    stor_move_rate_end(g->s);
    cn_free(g->e);
    cn_free(g);
    kick(q);
}

static void group_start(struct stor_server *s, struct mgroup *g)
{
    cn_slice_t *keys = cn_malloc(g->n * sizeof(*keys));

    for (size_t i = 0; i < g->n; i++)
        keys[i] = cn_slice(g->e[i]->key.data, g->e[i]->key.len);
    s->rq->jobs++;
    stor_move_rate_begin(s, g->n, 0);
    stor_move_start(s, g->target, keys, g->n, on_group_key, on_group_end, g);
    cn_free(keys);
}

#define RQ_GROUPS_MAX 16 /* peers batched in one pass of the worker */

/* The worker: starts the due entries while the budget allows (move_rate.c): entries for a
 * peer go in batches of up to move_batch_keys (one job each), entries for this node one by
 * one. Runs from the kick (after a push, after a job ends) and from the cron (back-offs,
 * the fixed rate's refill). */
static void run_due(struct stor_server *s)
{
    struct stor_repair_q *q = s->rq;
    struct mgroup *g[RQ_GROUPS_MAX];
    size_t ng = 0, bk = stor_move_rate_batch_cost(s) / STOR_MOVE_KEY_COST;
    struct rq_ent *e, *next;
    uint64_t now = cn_now_ms();

    if (q == NULL || q->suspended || q->stopping || s->ring_cur == NULL)
        return;
    if (bk > s->conf->move_batch_keys)
        bk = s->conf->move_batch_keys;
    for (e = q->head; e != NULL; e = next) {
        size_t k;

        next = e->next;
        if (e->inflight || e->next_try_ms > now)
            continue;
        if (strcmp(e->target, stor_self(s)) != 0 && !stor_peer_known(s, e->target)) {
            CN_LOG(CN_LOG_WARN, "repair key=%.*s target=%s: the target is in no ring, dropped",
                   (int)e->key.len, e->key.data, e->target);
            q->dropped++;
            db_del(q, e);
            ent_remove(q, e);
            continue;
        }
        if (strcmp(e->target, stor_self(s)) == 0) {
            if (!stor_move_rate_allow(s, ng))
                break;
            e->inflight = 1;
            q->inflight++;
            start_single(s, e);
            continue;
        }
        for (k = 0; k < ng && strcmp(g[k]->target, e->target) != 0; k++)
            ;
        if (k == ng) {
            if (ng == RQ_GROUPS_MAX || !stor_move_rate_allow(s, ng))
                continue;
            g[ng] = cn_calloc(1, sizeof(*g[ng]));
            g[ng]->s = s;
            snprintf(g[ng]->target, sizeof(g[ng]->target), "%s", e->target);
            g[ng]->e = cn_malloc(bk * sizeof(*g[ng]->e));
            ng++;
        }
        e->inflight = 1;
        q->inflight++;
        g[k]->e[g[k]->n++] = e;
        if (g[k]->n == bk) { /* full: it goes now, its slot takes the next batch */
            struct mgroup *full = g[k];

            g[k] = g[--ng];
            group_start(s, full);
        }
    }
    for (size_t k = 0; k < ng; k++)
        group_start(s, g[k]);
}

static void on_kick(uv_timer_t *t)
{
    run_due(t->data);
}

static void kick(struct stor_repair_q *q)
{
    if (q->kick_open && !q->stopping && !uv_is_active((uv_handle_t *)&q->kick))
        uv_timer_start(&q->kick, on_kick, 0, 0);
}

void stor_repair_q_cron(struct stor_server *s)
{
    run_due(s);
}

/* ---- the engine's hook -------------------------------------------------------------- */

void stor_repair_hook(void *arg, cn_slice_t key, int rc)
{
    char len[4];

    pthread_mutex_lock(&hook_lock);
    cn_put_u32le(len, (uint32_t)key.len);
    cn_buf_append(&hook_keys, len, 4);
    cn_buf_append(&hook_keys, key.ptr, key.len);
    if (hook_async != NULL)
        uv_async_send(hook_async);
    pthread_mutex_unlock(&hook_lock);
}

static void drain_hook(struct stor_server *s)
{
    cn_buf_t b;
    size_t off = 0;

    pthread_mutex_lock(&hook_lock);
    b = hook_keys;
    cn_buf_init(&hook_keys);
    pthread_mutex_unlock(&hook_lock);
    while (off + 4 <= b.len) {
        uint32_t n = cn_get_u32le(b.data + off);

        if (off + 4 + n > b.len)
            break;
        CN_LOG(CN_LOG_WARN, "key=%.*s: local copy corrupt, queued a repair from the replicas",
               (int)n, b.data + off + 4);
        stor_repair_q_push(s, cn_slice(b.data + off + 4, n), stor_self(s), STOR_R_SCRUB);
        off += 4 + n;
    }
    cn_buf_dispose(&b);
}

static void on_async(uv_async_t *a)
{
    struct stor_server *s = a->data;

    drain_hook(s);
    fire_waiters(s->rq);
}

/* ---- RPC: mq_stats, mq_suspend, mq_resume ------------------------------------------- */

int stor_repair_q_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    struct stor_repair_q *q = s->rq;
    const char *op = cn_msg_op(req);
    cn_msg_t *resp;

    if (strcmp(op, STOR_OP_MQ_STATS) != 0 && strcmp(op, STOR_OP_MQ_SUSPEND) != 0 &&
        strcmp(op, STOR_OP_MQ_RESUME) != 0)
        return 0;
    resp = cn_msg_new(op);
    if (q == NULL) {
        cn_msg_set_rc(resp, CN_EUNAVAIL);
    } else if (strcmp(op, STOR_OP_MQ_SUSPEND) == 0) {
        CN_LOG(CN_LOG_INFO, "repair queue suspended by %s", cn_rpc_conn_peer(conn));
        q->suspended = 1;
    } else if (strcmp(op, STOR_OP_MQ_RESUME) == 0) {
        CN_LOG(CN_LOG_INFO, "repair queue resumed by %s", cn_rpc_conn_peer(conn));
        q->suspended = 0;
    } else {
        uint64_t depth[STOR_R_COUNT] = {0}, oldest = 0, now = cn_now_ms();
        char name[64];

        for (struct rq_ent *e = q->head; e != NULL; e = e->next) {
            if (e->reason < STOR_R_COUNT)
                depth[e->reason]++;
            if (now > e->created_ms && now - e->created_ms > oldest)
                oldest = now - e->created_ms;
        }
        cn_msg_set_u64(resp, "depth", q->count);
        for (int r = 0; r < STOR_R_COUNT; r++) {
            snprintf(name, sizeof(name), "depth_%s", stor_reason_name(r));
            cn_msg_set_u64(resp, name, depth[r]);
        }
        stor_move_stats_t ms;

        stor_move_rate_stats(s, &ms);
        cn_msg_set_u64(resp, "inflight", q->inflight);
        cn_msg_set_u64(resp, "jobs", q->jobs);
        cn_msg_set_u64(resp, "move_window", ms.window);
        cn_msg_set_u64(resp, "move_rate", ms.rate_limit);
        cn_msg_set_u64(resp, "move_budget", ms.rate_now);
        cn_msg_set_u64(resp, "moved_keys", ms.keys);
        cn_msg_set_u64(resp, "moved_bytes", ms.bytes);
        cn_msg_set_u64(resp, "move_keys_s", (uint64_t)ms.rate_keys);
        cn_msg_set_u64(resp, "move_bytes_s", (uint64_t)ms.rate_bytes);
        cn_msg_set_u64(resp, "fg_p99_us", (uint64_t)(ms.fg_p99_ms * 1000));
        cn_msg_set_u64(resp, "fg_idle_p99_us", (uint64_t)(ms.fg_idle_p99_ms * 1000));
        cn_msg_set_u64(resp, "retries", q->retries);
        cn_msg_set_u64(resp, "done", q->done);
        cn_msg_set_u64(resp, "dropped", q->dropped);
        cn_msg_set_u64(resp, "oldest_age_ms", oldest);
        cn_msg_set_u64(resp, "suspended", (uint64_t)q->suspended);
        cn_msg_set_u64(resp, "ring_cur", s->ring_cur ? cn_ring_checksum(s->ring_cur) : 0);
        cn_msg_set_u64(resp, "ring_prev", s->ring_prev ? cn_ring_checksum(s->ring_prev) : 0);
        cn_msg_set_u64(resp, "n", s->levels.n);
        cn_msg_set_u64(resp, "w", s->levels.w);
        cn_msg_set_u64(resp, "r", s->levels.r);
        cn_msg_set_u64(resp, "d", s->levels.d);
    }
    cn_rpc_reply(conn, req, resp);
    return 1;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static int load(struct stor_repair_q *q)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator(q->db, q->ropts);
    char *err = NULL;
    size_t n = 0;

    for (rocksdb_iter_seek(it, "q", 1); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl);
        const char *v = rocksdb_iter_value(it, &vl);
        const char *nul;
        struct rq_ent *e;

        if (kl < 1 || k[0] != 'q')
            break;
        nul = memchr(k + 1, '\0', kl - 1);
        if (nul == NULL || vl != RQ_VAL_LEN || v[0] != 1 || nul - (k + 1) >= STOR_NAME_MAX ||
            nul + 1 == k + kl) {
            CN_LOG(CN_LOG_WARN, "repair queue: a malformed entry skipped");
            continue;
        }
        if (q->count + 1 > q->tab_size)
            grow(q);
        e = ent_add(q, k + 1, cn_slice(nul + 1, (size_t)(k + kl - nul - 1)));
        e->reason = (uint8_t)v[1];
        e->attempts = cn_get_u32le(v + 2);
        e->next_try_ms = cn_now_ms(); /* try again soon after a restart */
        e->created_ms = cn_get_u64le(v + 14);
        n++;
    }
    rocksdb_iter_get_error(it, &err);
    rocksdb_iter_destroy(it);
    if (err != NULL)
        return stor_rocks_fail("repair queue", "load", err);
    if (n > 0)
        CN_LOG(CN_LOG_INFO, "repair queue: %zu entries resumed", n);
    return 0;
}

int stor_repair_q_open(struct stor_server *s)
{
    struct stor_repair_q *q = cn_calloc(1, sizeof(*q));
    char path[4096], *err = NULL;
    int rc;

    q->magic = STOR_RQ_MAGIC;
    snprintf(path, sizeof(path), "%s/repairq", s->conf->data_dir);
    if ((rc = cn_mkdir_p(path)) != 0) {
        CN_LOG(CN_LOG_ERROR, "path=%s rc=%s: cannot make the repair queue dir", path,
               cn_strerror(rc));
        cn_free(q);
        return rc;
    }
    q->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(q->opts, 1);
    rocksdb_options_set_max_open_files(q->opts, 64);
    q->wopts = rocksdb_writeoptions_create();
    q->ropts = rocksdb_readoptions_create();
    q->db = rocksdb_open(q->opts, path, &err);
    if (err != NULL) {
        rc = stor_rocks_fail("repair queue", "open", err);
        rocksdb_writeoptions_destroy(q->wopts);
        rocksdb_readoptions_destroy(q->ropts);
        rocksdb_options_destroy(q->opts);
        cn_free(q);
        return rc;
    }
    pthread_mutex_init(&q->wlock, NULL);
    pthread_cond_init(&q->wcond, NULL);
    pthread_cond_init(&q->widle, NULL);
    q->wb = rocksdb_writebatch_create();
    s->rq = q;
    grow(q);
    if ((rc = load(q)) != 0) {
        stor_repair_q_close(s);
        return rc;
    }
    uv_async_init(s->loop, &q->async, on_async);
    q->async.data = s;
    q->async_open = 1;
    uv_timer_init(s->loop, &q->kick);
    q->kick.data = s;
    q->kick_open = 1;
    q->notify = &q->async;
    if ((rc = pthread_create(&q->wthread, NULL, writer_main, q)) != 0)
        CN_LOG(CN_LOG_WARN, "repair queue: no writer thread (%s): writing on the loop",
               strerror(rc));
    else
        q->wthread_on = 1;
    pthread_mutex_lock(&hook_lock);
    hook_async = &q->async;
    pthread_mutex_unlock(&hook_lock);
    drain_hook(s); /* keys found bad before the loop ran */
    return 0;
}

void stor_repair_q_stop(struct stor_server *s)
{
    struct stor_repair_q *q = s->rq;

    if (q == NULL)
        return;
    q->stopping = 1;
    pthread_mutex_lock(&hook_lock);
    hook_async = NULL;
    pthread_mutex_unlock(&hook_lock);
    if (q->wthread_on) {
        /* drain (blocks the loop, at shutdown only), answer the waiters, end the writer */
        pthread_mutex_lock(&q->wlock);
        while (q->wb_ops > 0 || q->waiting.n > 0 || q->writing)
            pthread_cond_wait(&q->widle, &q->wlock);
        q->wquit = 1;
        q->notify = NULL;
        pthread_cond_signal(&q->wcond);
        pthread_mutex_unlock(&q->wlock);
        pthread_join(q->wthread, NULL);
        q->wthread_on = 0;
        fire_waiters(q);
    }
    if (q->async_open) {
        uv_close((uv_handle_t *)&q->async, NULL);
        q->async_open = 0;
    }
    if (q->kick_open) {
        uv_timer_stop(&q->kick);
        uv_close((uv_handle_t *)&q->kick, NULL);
        q->kick_open = 0;
    }
}

void stor_repair_q_close(struct stor_server *s)
{
    struct stor_repair_q *q = s->rq;

    if (q == NULL)
        return;
    CN_ASSERT(!q->async_open);
    CN_ASSERT(!q->wthread_on);
    CN_ASSERT(q->waiting.n == 0 && q->fired.n == 0);
    while (q->head != NULL)
        ent_remove(q, q->head);
    cn_free(q->tab);
    cn_free(q->waiting.v);
    cn_free(q->fired.v);
    if (q->wb != NULL)
        rocksdb_writebatch_destroy(q->wb);
    pthread_mutex_destroy(&q->wlock);
    pthread_cond_destroy(&q->wcond);
    pthread_cond_destroy(&q->widle);
    rocksdb_close(q->db);
    rocksdb_writeoptions_destroy(q->wopts);
    rocksdb_readoptions_destroy(q->ropts);
    rocksdb_options_destroy(q->opts);
    q->magic = 0;
    cn_free(q);
    s->rq = NULL;
    pthread_mutex_lock(&hook_lock);
    cn_buf_dispose(&hook_keys);
    pthread_mutex_unlock(&hook_lock);
}

void stor_repair_q_counts(struct stor_server *s, uint64_t *depth, uint64_t *inflight,
                          uint64_t *retries, uint64_t *done, uint64_t *dropped)
{
    struct stor_repair_q *q = s->rq;

    *depth = *inflight = *retries = *done = *dropped = 0;
    if (q == NULL)
        return;
    *depth = q->count;
    *inflight = q->inflight;
    *retries = q->retries;
    *done = q->done;
    *dropped = q->dropped;
}
