/*
 * storage/engine/writer.c: the group-commit writer of the container engine.
 *
 * One queue and one commit leader for the whole engine, not one per container: with K
 * containers, per-container leaders made K small batches and K fdatasyncs where a single
 * file pays one (docs/PERFORMANCE.md). The first writer that finds no leader becomes the
 * leader and takes the whole queue. A small batch (under PAR_WRITE_MIN bytes, e.g. 4 KiB
 * objects) goes to ONE container per container directory (rotating from batch to batch),
 * so it costs one append and one fdatasync per disk, like a single log; a large batch
 * (1 MiB objects) goes to each key's home container (stor__route) and appends and syncs
 * those files in parallel on helper threads. The index entry names the container, so a
 * key's versions may sit in several containers (reads follow the entry; compaction keeps
 * tombstones until every container was compacted after them, storage/engine/compact.c).
 *
 * The leader takes every container's commit lock (ascending cid: the lock order), decides
 * last writer wins for each write (against the index and the earlier writes of the batch),
 * appends each container's winners with pwritev at its tail, fdatasyncs the touched files
 * (concurrently when several), writes every entry and every touched container's checkpoint
 * in ONE RocksDB WriteBatch, and only then marks each write of the batch done and wakes
 * them (a put that asked, stor_engine_put_prev, also gets what it replaced from that same
 * lookup: an earlier write of the batch, or the index entry, and a manifest's body read from
 * the container it names while the commit locks hold compaction off). Writers that queued
 * meanwhile form the next batch. Bodies are never copied: a
 * writer waits until its batch is done, so its slices stay valid.
 *
 * Durability is unchanged: an ack follows the fdatasync of the record's container and the
 * index write. A container whose append or sync fails is cut back to its old tail and only
 * its writes fail. Index writes are not synced: the containers are the source of truth,
 * synced before the index; after a crash recovery re-indexes everything past the last
 * checkpoint that reached the disk (checkpoints travel in the same WriteBatch as entries).
 *
 * Hand-off: a writer that finds a leader sleeps on its own semaphore; the leader, once its
 * batch is done, wakes the head of the queue to lead the next batch, then each writer of its
 * batch (never a broadcast).
 *
 * Locks: ce->qlock (queue, leader flag) alone; the leader, outside qlock, takes every
 * container's c->commit in ascending cid order, so any thread holding one container's
 * commit lock excludes the leader's batch. The helper pool's lock is a leaf.
 */
#include "storage/engine/cengine.h"

#include <inttypes.h>
#include <limits.h>
#include <semaphore.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define IOV_BATCH 1024
#define WPOOL_MAGIC 0x57504f4cu   /* "WPOL" */
#define WPOOL_MAX_THREADS 16      /* helpers beyond this gain nothing on one disk */
#define PAR_WRITE_MIN (512u << 10) /* a batch of at least this many bytes appends in parallel */

enum { JOB_WRITE, JOB_SYNC };

/** One container's part of a batch (the leader's scratch, ce->grp[cid]). */
struct stor_cgroup {
    stor_container_t *c;
    struct stor_wreq *head, **tail;
    struct iovec *iov;
    size_t niov, iov_cap, nwin;
    uint64_t start, end;           /* the container's tail before and after the batch */
    uint64_t avail;                /* free bytes on the container's file system */
    int rc;
};

/** Helper threads running the jobs of one batch phase (appends or fdatasyncs). */
struct stor_wpool {
    uint32_t magic;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    struct stor_cgroup **jobs;     /* of the phase in progress; guarded by lock */
    size_t njobs, next, finished;
    int op, stop;
    const struct cengine *ce;
    pthread_t *th;
    size_t nth;
};

uint32_t stor__route(const struct cengine *ce, cn_slice_t key)
{
    return cn_crc32c(0x5eed, key.ptr, key.len) % ce->k;
}

/* Writes iov fully at off, resuming after short writes. */
static int pwritev_all(int fd, struct iovec *iov, int n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwritev(fd, iov, n > IOV_BATCH ? IOV_BATCH : n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        off += (uint64_t)w;
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++, n--;
        }
        if (n > 0 && w > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* Runs one job on g (any thread; the leader holds g->c->commit). Sets g->rc. */
static void run_job(const struct cengine *ce, int op, struct stor_cgroup *g)
{
    stor_container_t *c = g->c;
    int rc;

    if (op == JOB_WRITE) {
        if ((rc = pwritev_all(c->fd, g->iov, (int)g->niov, g->start)) != 0) {
            CN_LOG(CN_LOG_ERROR, "container=%s off=%" PRIu64 " rc=%s: append failed, cutting "
                   "back", c->path, g->start, cn_strerror(rc));
            if (ftruncate(c->fd, (off_t)g->start) != 0)
                CN_LOG(CN_LOG_ERROR, "container=%s: cannot cut back the failed append", c->path);
            g->rc = rc;
        }
        return;
    }
    if (ce->sync && fdatasync(c->fd) != 0) {
        rc = -errno;
        /* after a failed fdatasync the page cache cannot be trusted: cut the batch off */
        CN_LOG(CN_LOG_ERROR, "container=%s rc=%s: fdatasync failed, batch refused", c->path,
               cn_strerror(rc));
        if (ftruncate(c->fd, (off_t)g->start) != 0)
            CN_LOG(CN_LOG_ERROR, "container=%s: cannot cut back the failed batch", c->path);
        g->rc = rc;
    }
}

static void *pool_main(void *arg)
{
    struct stor_wpool *p = arg;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct stor_cgroup *g;
        int op;

        while (!p->stop && p->next >= p->njobs)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stop)
            break;
        g = p->jobs[p->next++];
        op = p->op;
        pthread_mutex_unlock(&p->lock);
        run_job(p->ce, op, g);
        pthread_mutex_lock(&p->lock);
        if (++p->finished == p->njobs)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Runs op on every job, the leader taking its share; returns when all are done. */
static void run_jobs(struct cengine *ce, int op, struct stor_cgroup **jobs, size_t n)
{
    struct stor_wpool *p = ce->pool;

    if (n == 0)
        return;
    if (n == 1 || p == NULL || p->nth == 0) {
        for (size_t i = 0; i < n; i++)
            run_job(ce, op, jobs[i]);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->jobs = jobs;
    p->njobs = n;
    p->next = 0;
    p->finished = 0;
    p->op = op;
    for (size_t i = 1; i < n && i <= p->nth; i++)
        pthread_cond_signal(&p->work);
    while (p->next < p->njobs) {
        struct stor_cgroup *g = p->jobs[p->next++];

        pthread_mutex_unlock(&p->lock);
        run_job(ce, op, g);
        pthread_mutex_lock(&p->lock);
        p->finished++;
    }
    while (p->finished < p->njobs)
        pthread_cond_wait(&p->done, &p->lock);
    p->jobs = NULL;
    p->njobs = p->next = p->finished = 0;
    pthread_mutex_unlock(&p->lock);
}

/* The newest version stored for r->key: the earlier winners of its container's part of the
 * batch first (a key always routes to the same container), else the index. *last gets that
 * winner (or NULL, and then *e the index entry, its meta in ce->val, when found). */
static int current(struct cengine *ce, struct stor_wreq *first, struct stor_wreq *r,
                   uint64_t *clock, uint32_t *flags, int *found, struct stor_wreq **last,
                   stor_ientry_t *e)
{
    struct stor_wreq *w;
    int rc;

    *last = NULL;
    for (w = first; w != r; w = w->gnext)
        if (w->rc == 0 && cn_slice_eq(w->key, r->key))
            *last = w;
    if (*last != NULL) {
        *found = 1;
        *clock = (*last)->h.clock;
        *flags = (*last)->h.flags;
        return 0;
    }
    rc = stor_index_get(ce->ix, r->key, e, &ce->val);
    if (rc == CN_ENOENT || rc == CN_ECORRUPT) {
        *found = 0;
        if (r->prev != NULL)
            r->prev->rc = rc; /* an entry that does not decode is not "none" to the caller */
        return 0;
    }
    if (rc != 0)
        return rc;
    *found = 1;
    *clock = e->clock;
    *flags = e->flags;
    return 0;
}

/* Says in r->prev what r replaces: an earlier write of the batch (last) or the index entry e
 * (the leader holds every commit lock, so e's container and generation hold still; a
 * manifest's body is read from there). Leaves r->prev->rc as current() set it when nothing
 * was found. */
static void fill_prev(struct cengine *ce, struct stor_wreq *r, const struct stor_wreq *last,
                      const stor_ientry_t *e)
{
    stor_engine_prev_t *p = r->prev;
    stor_obj_meta_t *m = &p->m;
    size_t before;
    int manifest;

    memset(m, 0, sizeof(*m));
    if (last != NULL) {
        p->rc = 0;
        m->clock = last->h.clock;
        m->size = last->h.obj_size;
        m->mtime_ms = last->h.mtime_ms;
        m->flags = last->h.flags;
        memcpy(m->etag, last->h.etag, sizeof(last->h.etag));
        if (p->body != NULL && (m->flags & CN_OBJ_MANIFEST) && !(m->flags & CN_OBJ_TOMBSTONE))
            cn_buf_append(p->body, last->body.ptr, last->body.len);
        return;
    }
    m->clock = e->clock;
    m->size = e->size;
    m->mtime_ms = e->mtime_ms;
    m->flags = e->flags & ~STOR_IDX_BAD;
    memcpy(m->etag, e->etag, sizeof(m->etag));
    p->rc = (e->flags & STOR_IDX_BAD) ? CN_ECORRUPT : 0;
    manifest = (m->flags & CN_OBJ_MANIFEST) && !(m->flags & CN_OBJ_TOMBSTONE);
    if (p->rc != 0 || p->body == NULL || !manifest)
        return;
    if (e->cid >= ce->k || e->gen != ce->c[e->cid]->gen) {
        p->rc = CN_ECORRUPT;
        return;
    }
    /* a bad record is not marked here (that takes a commit lock the leader holds): the
     * caller hears CN_ECORRUPT, and the next read of the key marks it */
    before = p->body->len;
    if (stor__read_full(ce->c[e->cid], e, r->key, p->body) != 0) {
        p->body->len = before;
        p->rc = CN_ECORRUPT;
    }
}

static void iov_push(struct stor_cgroup *g, const void *p, size_t n)
{
    if (g->niov == g->iov_cap) {
        g->iov_cap = g->iov_cap ? g->iov_cap * 2 : 64;
        g->iov = cn_realloc(g->iov, g->iov_cap * sizeof(*g->iov));
    }
    g->iov[g->niov++] = (struct iovec){(void *)(uintptr_t)p, n};
}

/* Bytes an unprivileged writer may still use on the file system of fd (or path when fd < 0);
 * UINT64_MAX when it cannot be told. */
static uint64_t fs_avail(int fd, const char *path)
{
    struct statvfs v;
    int rc = fd >= 0 ? fstatvfs(fd, &v) : path != NULL ? statvfs(path, &v) : -1;

    if (rc != 0)
        return UINT64_MAX;
    return (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
}

/* 1 when a record of n bytes, planned after used bytes of the batch, would leave less than the
 * reserve free on its container's (avail) or the index's (ix_avail) file system. A tombstone
 * may use half of the reserve: deletes are how space comes back. */
static int over_reserve(const struct cengine *ce, uint64_t avail, uint64_t ix_avail,
                        uint64_t used, uint64_t n, int is_del)
{
    uint64_t reserve = is_del ? ce->min_free / 2 : ce->min_free;

    if (ce->min_free == 0)
        return 0;
    return ix_avail < reserve || avail < reserve || avail - reserve < used + n;
}

/* Decides last writer wins for g's writes and lays the winners out from the tail; a write
 * that would eat into the free-space reserve fails with CN_ENOSPC. Caller holds
 * g->c->commit. */
static void plan(struct cengine *ce, struct stor_cgroup *g, uint64_t ix_avail)
{
    struct stor_wreq *r;
    uint64_t off;

    g->start = off = g->c->tail;
    g->niov = g->nwin = 0;
    g->rc = 0;
    for (r = g->head; r; r = r->gnext) {
        struct stor_wreq *last;
        stor_ientry_t e;
        uint64_t clock;
        uint32_t flags;
        int found;

        if ((r->rc = current(ce, g->head, r, &clock, &flags, &found, &last, &e)) != 0)
            continue;
        /* an equal clock may replace a version marked bad: that is its repair */
        if (found && (clock > r->h.clock || (clock == r->h.clock && !(flags & STOR_IDX_BAD)))) {
            r->rc = CN_ESTALE;
            continue;
        }
        if (over_reserve(ce, g->avail, ix_avail, off - g->start, stor_rec_size(&r->h),
                         r->is_del)) {
            r->rc = CN_ENOSPC;
            continue;
        }
        r->was_live = found && !(flags & CN_OBJ_TOMBSTONE);
        if (r->prev != NULL && found)
            fill_prev(ce, r, last, &e);
        if (r->is_del) {
            /* stamped under the commit locks: the tombstone drop guard relies on it */
            r->h.mtime_ms = cn_now_ms();
            stor_rec_encode_hdr(&r->h, r->hdr);
        }
        iov_push(g, r->hdr, STOR_REC_HDR);
        iov_push(g, r->key.ptr, r->key.len);
        if (r->meta.len)
            iov_push(g, r->meta.ptr, r->meta.len);
        if (r->body.len)
            iov_push(g, r->body.ptr, r->body.len);
        r->off = off;
        off += stor_rec_size(&r->h);
        g->nwin++;
    }
    g->end = off;
}

/* Adds g's winners and its new checkpoint to the leader's WriteBatch. */
static void index_part(struct cengine *ce, struct stor_cgroup *g)
{
    stor_container_t *c = g->c;
    struct stor_wreq *r;

    for (r = g->head; r; r = r->gnext) {
        stor_ientry_t e;

        if (r->rc != 0)
            continue;
        memset(&e, 0, sizeof(e));
        e.cid = c->cid;
        e.gen = c->gen;
        e.off = r->off;
        e.flags = r->h.flags & ~CN_OBJ_JOURNALED; /* the record's alone (engine.h) */
        e.clock = r->h.clock;
        e.size = r->h.obj_size;
        e.body_len = r->h.body_len;
        e.mtime_ms = r->h.mtime_ms;
        memcpy(e.etag, r->h.etag, sizeof(e.etag));
        e.meta = r->meta;
        stor_index_batch_put(ce->ib, r->key, &e);
        if (r->h.flags & CN_OBJ_JOURNALED) /* in the same WriteBatch: no write without it */
            stor_index_batch_journal(ce->ib, ++ce->jseq, r->key, e.clock, e.flags);
    }
    stor_index_batch_checkpoint(ce->ib, c->cid, c->gen, g->end);
}

/* The container of r in a small batch: the batch's container in r's home directory. */
static stor_container_t *small_target(const struct cengine *ce, const struct stor_wreq *r)
{
    uint32_t d = r->c->cid % ce->ndirs, n = (ce->k - d + ce->ndirs - 1) / ce->ndirs;

    return ce->c[d + ce->ndirs * (uint32_t)(ce->batches % n)];
}

/* Runs one batch across containers; sets every request's rc. Called by the leader only. */
static void do_group(struct cengine *ce, struct stor_wreq *batch)
{
    struct stor_cgroup *jobs_buf[64], **jobs = jobs_buf;
    struct stor_wreq *r;
    size_t nt = 0, nj = 0;
    uint64_t bytes = 0, ix_avail = UINT64_MAX;
    int rc, full = 0;

    for (r = batch; r; r = r->next)
        bytes += stor_rec_size(&r->h);
    for (r = batch; r; r = r->next) {
        struct stor_cgroup *g;

        if (bytes < PAR_WRITE_MIN)
            r->c = small_target(ce, r);
        g = &ce->grp[r->c->cid];
        if (g->head == NULL) {
            g->tail = &g->head;
            ce->touched[nt++] = r->c->cid;
        }
        r->gnext = NULL;
        *g->tail = r;
        g->tail = &r->gnext;
    }
    ce->batches++;
    if (nt > sizeof(jobs_buf) / sizeof(jobs_buf[0]))
        jobs = cn_malloc(nt * sizeof(*jobs));
    for (uint32_t i = 0; i < ce->k; i++)
        pthread_mutex_lock(&ce->c[i]->commit);
    if (ce->min_free > 0)
        ix_avail = fs_avail(-1, ce->index_path);
    for (size_t i = 0; i < nt; i++) {
        struct stor_cgroup *g = &ce->grp[ce->touched[i]];

        g->avail = ce->min_free > 0 ? fs_avail(g->c->fd, NULL) : UINT64_MAX;
        plan(ce, g, ix_avail);
        if (g->niov > 0)
            jobs[nj++] = g;
    }
    /* append: small batches inline (a thread hand-off costs more than the copy) */
    if (bytes >= PAR_WRITE_MIN) {
        run_jobs(ce, JOB_WRITE, jobs, nj);
    } else {
        for (size_t i = 0; i < nj; i++)
            run_job(ce, JOB_WRITE, jobs[i]);
    }
    /* sync the touched files (concurrently when several); drop the containers that failed */
    {
        size_t ok = 0;

        for (size_t i = 0; i < nj; i++)
            if (jobs[i]->rc == 0)
                jobs[ok++] = jobs[i];
        nj = ok;
    }
    if (ce->sync)
        run_jobs(ce, JOB_SYNC, jobs, nj);
    stor_index_batch_clear(ce->ib);
    for (size_t i = 0; i < nj; i++)
        if (jobs[i]->rc == 0)
            index_part(ce, jobs[i]);
    rc = stor_index_batch_count(ce->ib) > 0 ? stor_index_batch_write(ce->ix, ce->ib, 0) : 0;
    for (size_t i = 0; i < nt; i++) {
        struct stor_cgroup *g = &ce->grp[ce->touched[i]];

        if (g->niov > 0 && g->rc == 0) {
            g->c->tail = g->end; /* on disk: if the index write failed, recovery indexes it */
            if (rc != 0)
                g->rc = rc;
        }
        if (g->rc != 0)
            for (r = g->head; r; r = r->gnext)
                if (r->rc == 0)
                    r->rc = g->rc;
        for (r = g->head; r; r = r->gnext)
            full |= r->rc == CN_ENOSPC;
        g->head = NULL;
        g->niov = 0;
    }
    if (full != ce->full) {
        ce->full = full;
        if (full)
            CN_LOG(CN_LOG_ERROR, "index=%s: a container or index file system is full (or under "
                   "min_free=%" PRIu64 "): refusing writes with ENOSPC, reads go on",
                   ce->index_path, ce->min_free);
        else
            CN_LOG(CN_LOG_WARN, "index=%s: space is back, writes accepted again",
                   ce->index_path);
    }
    for (uint32_t i = ce->k; i-- > 0;)
        pthread_mutex_unlock(&ce->c[i]->commit);
    if (jobs != jobs_buf)
        cn_free(jobs);
}

/* Leads batches until the queue is empty or leadership is handed on: takes the queue (self
 * is in it), runs it, then wakes the next leader (the head of the new queue) first and the
 * writers of the batch after. Only the writers concerned are woken: a broadcast woke every
 * queued writer at each batch just to put most of them back to sleep, and on two cores that
 * herd cost more CPU than the leader's own work (docs/PERFORMANCE.md). */
static void lead(struct cengine *ce, struct stor_wreq *self)
{
    struct stor_wreq *batch, *next_leader, *w, *next;

    pthread_mutex_lock(&ce->qlock);
    batch = ce->qhead;
    ce->qhead = NULL;
    ce->qtail = &ce->qhead;
    pthread_mutex_unlock(&ce->qlock);
    do_group(ce, batch);
    pthread_mutex_lock(&ce->qlock);
    next_leader = ce->qhead;
    if (next_leader == NULL)
        ce->leader = 0;
    pthread_mutex_unlock(&ce->qlock);
    if (next_leader != NULL)
        sem_post(&next_leader->wake); /* not done: it leads the next batch */
    for (w = batch; w; w = next) {
        next = w->next;
        w->done = 1; /* after the post, w may be gone */
        if (w != self)
            sem_post(&w->wake);
    }
}

/* Fills in what the leader needs of r (header, checksum, wake semaphore). */
static void wreq_prepare(stor_container_t *c, struct stor_wreq *r)
{
    r->next = NULL;
    r->c = c;
    r->done = 0;
    r->h.key_len = (uint16_t)r->key.len;
    r->h.meta_len = (uint32_t)r->meta.len;
    r->h.body_len = r->body.len;
    r->h.data_crc = stor_rec_data_crc(r->key, r->meta, r->body);
    stor_rec_encode_hdr(&r->h, r->hdr);
    sem_init(&r->wake, 0, 0);
}

/* Waits for r, which was queued: returns when its batch is done, after leading it (and the
 * batches queued behind it) when r was woken undone, i.e. made the leader. */
static void wreq_wait(struct cengine *ce, struct stor_wreq *r, int leader)
{
    if (!leader) {
        while (sem_wait(&r->wake) != 0)
            ; /* EINTR */
        leader = !r->done; /* woken undone: the previous leader handed over */
    }
    if (leader)
        lead(ce, r);
    sem_destroy(&r->wake);
}

int stor__commit(struct cengine *ce, stor_container_t *c, struct stor_wreq *r)
{
    int leader;

    wreq_prepare(c, r);
    pthread_mutex_lock(&ce->qlock);
    *ce->qtail = r;
    ce->qtail = &r->next;
    leader = !ce->leader;
    ce->leader = 1;
    pthread_mutex_unlock(&ce->qlock);
    wreq_wait(ce, r, leader);
    return r->rc;
}

/* The n writes are queued under one hold of qlock, so they are contiguous in the queue and
 * a leader takes them all at once (a leader always takes the whole queue): one batch. Only
 * the queue's head can be woken undone, and only r[0] can be that head, so waiting on each
 * in order never misses a hand-over. */
void stor__commit_many(struct cengine *ce, stor_container_t **c, struct stor_wreq *r, size_t n)
{
    int leader;

    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        wreq_prepare(c[i], &r[i]);
    pthread_mutex_lock(&ce->qlock);
    for (size_t i = 0; i < n; i++) {
        *ce->qtail = &r[i];
        ce->qtail = &r[i].next;
    }
    leader = !ce->leader;
    ce->leader = 1;
    pthread_mutex_unlock(&ce->qlock);
    wreq_wait(ce, &r[0], leader);
    for (size_t i = 1; i < n; i++)
        wreq_wait(ce, &r[i], 0);
}

int stor__writer_start(struct cengine *ce)
{
    struct stor_wpool *p;
    size_t want = ce->k > 1 ? ce->k - 1 : 0;
    int rc;

    pthread_mutex_init(&ce->qlock, NULL);
    pthread_cond_init(&ce->qcond, NULL);
    ce->qhead = NULL;
    ce->qtail = &ce->qhead;
    ce->grp = cn_calloc(ce->k, sizeof(*ce->grp));
    for (uint32_t i = 0; i < ce->k; i++)
        ce->grp[i].c = ce->c[i];
    ce->touched = cn_calloc(ce->k, sizeof(*ce->touched));
    ce->ib = stor_index_batch_new();
    cn_buf_init(&ce->val);
    if (want > WPOOL_MAX_THREADS)
        want = WPOOL_MAX_THREADS;
    p = cn_calloc(1, sizeof(*p));
    p->magic = WPOOL_MAGIC;
    p->ce = ce;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    p->th = cn_calloc(want ? want : 1, sizeof(*p->th));
    ce->pool = p;
    for (; p->nth < want; p->nth++) {
        if ((rc = pthread_create(&p->th[p->nth], NULL, pool_main, p)) != 0) {
            CN_LOG(CN_LOG_ERROR, "rc=%s: cannot start a group-commit helper thread",
                   cn_strerror(-rc));
            return -rc;
        }
    }
    return 0;
}

void stor__writer_stop(struct cengine *ce)
{
    struct stor_wpool *p = ce->pool;

    if (ce->grp == NULL)
        return; /* never started */
    if (p != NULL) {
        CN_CHECK_OBJ(p, WPOOL_MAGIC);
        pthread_mutex_lock(&p->lock);
        p->stop = 1;
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->lock);
        for (size_t i = 0; i < p->nth; i++)
            pthread_join(p->th[i], NULL);
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->work);
        pthread_cond_destroy(&p->done);
        cn_free(p->th);
        p->magic = 0;
        cn_free(p);
        ce->pool = NULL;
    }
    for (uint32_t i = 0; i < ce->k; i++)
        cn_free(ce->grp[i].iov);
    cn_free(ce->grp);
    ce->grp = NULL;
    cn_free(ce->touched);
    ce->touched = NULL;
    stor_index_batch_free(ce->ib);
    ce->ib = NULL;
    cn_buf_dispose(&ce->val);
    pthread_mutex_destroy(&ce->qlock);
    pthread_cond_destroy(&ce->qcond);
}
