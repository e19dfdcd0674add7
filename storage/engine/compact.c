/*
 * storage/engine/compact.c: online compaction of the container engine, one container at a time,
 * on one background thread.
 *
 * For container c of generation g:
 *   1. note the tail; copy every live record below it (the index entry points at exactly
 *      that record) to "cNNNN.dat.compact" (generation g+1), throttled, suspendable;
 *      tombstones older than the grace period are dropped, younger ones are copied;
 *   2. take c->commit (writers of c wait): copy the records appended meanwhile, sync the
 *      new file, take c->swap exclusively (readers of c wait), then in one synced WriteBatch
 *      move every entry that still points at its old place to the new one, delete the
 *      dropped tombstones' entries that still point at them, and set the checkpoint to
 *      (g+1, new tail); rename the new file over the old one and sync the directory; switch
 *      fd and generation; release.
 * An entry changed by a write or delete during the copy no longer points at the old place,
 * so it is left alone: nothing written meanwhile is lost and nothing deleted comes back.
 * Crash safety: before the WriteBatch the old file and index are intact (the .compact file
 * is removed on open); after it, the checkpoint names generation g+1 and open finishes the
 * rename (stor__compact_fixup).
 * A record whose header is unreadable stops the compaction of that container (it is kept
 * as is and counted failed); a record with a bad body but a good header is copied as is
 * (its entry stays marked bad by the scrub, or is found bad by the next read).
 * Locks: comp->lock guards the status and requests; container locks as in container.h.
 */
#include "storage/engine/cengine.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

struct moved {
    size_t koff, klen;
    uint64_t old_off, new_off;
    int drop;
};

struct stor_compactor {
    pthread_t th;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop, suspended, requested, running;
    uint32_t req_n;
    stor_compact_status_t st;
};

struct job {
    struct cengine *ce;
    stor_container_t *c;
    uint32_t gen;
    int nfd;
    uint64_t ntail;
    cn_buf_t keys;
    struct moved *v;
    size_t n, cap;
    uint64_t read_bytes, t0;
};

int stor__compact_fixup(stor_index_t *ix, const char *dir, uint32_t cid)
{
    char path[PATH_MAX + 16], final[PATH_MAX];
    uint32_t scid, sgen, ck_gen;
    uint64_t ck_off;
    int fd, rc;

    snprintf(final, sizeof(final), "%s/c%04u.dat", dir, cid);
    snprintf(path, sizeof(path), "%s.compact", final);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return errno == ENOENT ? 0 : -errno;
    rc = stor_container_read_sb(fd, &scid, &sgen);
    close(fd);
    if (rc == 0 && scid == cid && stor_index_checkpoint_get(ix, cid, &ck_gen, &ck_off) == 0 &&
        ck_gen == sgen) {
        CN_LOG(CN_LOG_WARN, "container=%s gen=%u: finishing a compaction cut short", final,
               sgen);
        if (rename(path, final) != 0)
            return -errno;
    } else {
        CN_LOG(CN_LOG_WARN, "container=%s: dropping an unfinished compaction", final);
        if (unlink(path) != 0)
            return -errno;
    }
    return stor_fsync_dir(dir);
}

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const char *b = p;

    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        b += w, n -= (size_t)w, off += (uint64_t)w;
    }
    return 0;
}

/* Waits while suspended; 1 when asked to stop. */
static int pause_point(struct stor_compactor *k)
{
    int stop;

    pthread_mutex_lock(&k->lock);
    while (k->suspended && !k->stop)
        pthread_cond_wait(&k->cond, &k->lock);
    stop = k->stop;
    pthread_mutex_unlock(&k->lock);
    return stop;
}

/* Copies the live records of [from, end) of the old file. 0, CN_ECANCELED or an error. */
static int copy_range(struct job *j, uint64_t from, uint64_t end, int locked)
{
    struct cengine *ce = j->ce;
    stor_container_t *c = j->c;
    stor_scan_t s;
    stor_rec_hdr_t h;
    cn_slice_t key, meta, body;
    stor_ientry_t e;
    cn_buf_t val;
    uint64_t rec_off, now = cn_now_ms();
    int rc;

    cn_buf_init(&val);
    stor_scan_init(&s, c->fd, from, end);
    s.lenient = 1;
    while ((rc = stor_scan_next(&s, &h, &key, &meta, &body, &rec_off)) == 1) {
        uint64_t size = stor_rec_size(&h);
        struct moved *m;
        int drop = 0;

        j->read_bytes += size;
        if (!locked) {
            stor__throttle(ce->compact_rate, j->read_bytes, j->t0);
            if (pause_point(ce->comp)) {
                rc = CN_ECANCELED;
                break;
            }
        }
        if (stor_index_get(ce->ix, key, &e, &val) != 0 || e.cid != c->cid || e.gen != j->gen ||
            e.off != rec_off)
            continue; /* superseded (or gone): dead */
        if ((h.flags & CN_OBJ_TOMBSTONE) && now >= h.mtime_ms + ce->grace_ms &&
            stor__others_compacted_after(ce, c->cid, h.mtime_ms))
            drop = 1;
        if (j->n == j->cap) {
            j->cap = j->cap ? j->cap * 2 : 1024;
            j->v = cn_realloc(j->v, j->cap * sizeof(*j->v));
        }
        m = &j->v[j->n++];
        m->koff = j->keys.len;
        m->klen = key.len;
        cn_buf_append(&j->keys, key.ptr, key.len);
        m->old_off = rec_off;
        m->drop = drop;
        m->new_off = j->ntail;
        if (drop)
            continue;
        if ((rc = pwrite_all(j->nfd, key.ptr - STOR_REC_HDR, (size_t)size, j->ntail)) != 0)
            break;
        j->ntail += size;
    }
    if (rc == CN_ECORRUPT || rc == CN_EAGAIN)
        CN_LOG(CN_LOG_ERROR, "container=%s off=%" PRIu64 " rc=%s: unreadable record header, "
               "compaction of this container stopped (the file is kept as is)", c->path, s.off,
               cn_strerror(rc));
    stor_scan_dispose(&s);
    cn_buf_dispose(&val);
    return rc == 0 ? 0 : rc;
}

/* Switches entries and file. Caller holds c->commit. */
static int do_swap(struct job *j, uint64_t *copied, uint64_t *dropped)
{
    struct cengine *ce = j->ce;
    stor_container_t *c = j->c;
    stor_index_batch_t *b = stor_index_batch_new();
    char path[PATH_MAX + 16];
    stor_ientry_t e;
    cn_buf_t val;
    int rc;

    cn_buf_init(&val);
    snprintf(path, sizeof(path), "%s.compact", c->path);
    pthread_rwlock_wrlock(&c->swap);
    for (size_t i = 0; i < j->n; i++) {
        struct moved *m = &j->v[i];
        cn_slice_t key = cn_slice(j->keys.data + m->koff, m->klen);

        if (stor_index_get(ce->ix, key, &e, &val) != 0 || e.cid != c->cid || e.gen != j->gen ||
            e.off != m->old_off)
            continue;
        if (m->drop) {
            stor_index_batch_del(b, key);
            (*dropped)++;
        } else {
            e.gen = j->gen + 1;
            e.off = m->new_off;
            stor_index_batch_put(b, key, &e);
            (*copied)++;
        }
    }
    stor_index_batch_checkpoint(b, c->cid, j->gen + 1, j->ntail);
    if ((rc = stor_index_batch_write(ce->ix, b, 1)) != 0)
        goto out;
    /* from here on the index names generation g+1: a crash is finished on open */
    if (rename(path, c->path) != 0 || stor_fsync_dir(c->dir) != 0) {
        rc = -errno;
        CN_FATAL("container=%s rc=%s: rename after the index switch failed; restart finishes "
                 "it", c->path, cn_strerror(rc));
    }
    close(c->fd);
    c->fd = j->nfd;
    j->nfd = -1;
    c->gen = j->gen + 1;
    c->tail = j->ntail;
out:
    pthread_rwlock_unlock(&c->swap);
    stor_index_batch_free(b);
    cn_buf_dispose(&val);
    return rc;
}

/* ---- tombstone drop guard ------------------------------------------------------------ */

/* A key's versions may sit in several containers (a small batch goes to one container,
 * storage/engine/writer.c), so a tombstone stamped at t may be dropped only when every other
 * container finished a compaction that started after t: those passes dropped every older
 * version of its key, and a full rescan (--rebuild-index) cannot bring one back. The start
 * times live in the index ("!compacted.N"); unknown counts as never. */
static char *compacted_name(char *buf, size_t n, uint32_t cid)
{
    snprintf(buf, n, "compacted.%u", cid);
    return buf;
}

void stor__compacted_load(struct cengine *ce)
{
    char name[32];

    ce->compacted_ms = cn_calloc(ce->k, sizeof(*ce->compacted_ms));
    for (uint32_t i = 0; i < ce->k; i++)
        if (stor_index_u64_get(ce->ix, compacted_name(name, sizeof(name), i),
                               &ce->compacted_ms[i]) != 0)
            ce->compacted_ms[i] = 0;
}

void stor__compacted_set(struct cengine *ce, uint32_t cid, uint64_t start_ms)
{
    char name[32];

    ce->compacted_ms[cid] = start_ms;
    if (stor_index_u64_put(ce->ix, compacted_name(name, sizeof(name), cid), start_ms) != 0)
        CN_LOG(CN_LOG_WARN, "cid=%u: cannot record the compaction time (tombstones are kept "
               "longer)", cid);
}

int stor__others_compacted_after(const struct cengine *ce, uint32_t cid, uint64_t t_ms)
{
    for (uint32_t i = 0; i < ce->k; i++)
        if (i != cid && ce->compacted_ms[i] <= t_ms)
            return 0;
    return 1;
}

static int compact_one(struct cengine *ce, stor_container_t *c, uint64_t *reclaimed,
                       uint64_t *copied, uint64_t *dropped)
{
    struct job j = {.ce = ce, .c = c, .nfd = -1, .ntail = STOR_SB_SIZE, .t0 = cn_mono_ms()};
    char path[PATH_MAX + 16];
    uint64_t end0, old_size, start_ms;
    int rc;

    cn_buf_init(&j.keys);
    pthread_mutex_lock(&c->commit);
    end0 = c->tail;
    j.gen = c->gen;
    /* stamped under commit, as tombstones are (storage/engine/writer.c): every tombstone stamped
     * before it is indexed, so this pass drops every older version of its key */
    start_ms = cn_now_ms();
    pthread_mutex_unlock(&c->commit);
    snprintf(path, sizeof(path), "%s.compact", c->path);
    if ((rc = stor_container_create_file(path, c->cid, j.gen + 1, &j.nfd)) != 0)
        goto out;
    if ((rc = copy_range(&j, STOR_SB_SIZE, end0, 0)) != 0)
        goto out_unlink;
    pthread_mutex_lock(&c->commit);
    old_size = c->tail;
    rc = copy_range(&j, end0, c->tail, 1);
    if (rc == 0 && fdatasync(j.nfd) != 0)
        rc = -errno;
    if (rc == 0 && (rc = do_swap(&j, copied, dropped)) == 0)
        *reclaimed += old_size > j.ntail ? old_size - j.ntail : 0;
    pthread_mutex_unlock(&c->commit);
    if (rc == 0) {
        CN_LOG(CN_LOG_INFO, "container=%s gen=%u size=%" PRIu64 "->%" PRIu64 ": compacted",
               c->path, j.gen + 1, old_size, j.ntail);
        stor__compacted_set(ce, c->cid, start_ms);
        goto out;
    }
out_unlink:
    unlink(path);
out:
    if (j.nfd >= 0)
        close(j.nfd);
    cn_free(j.v);
    cn_buf_dispose(&j.keys);
    return rc;
}

/* ---- target choice ------------------------------------------------------------------ */

struct live_acc {
    struct cengine *ce;
    uint64_t *live;
};

static int add_live(cn_slice_t key, const stor_ientry_t *e, void *arg)
{
    struct live_acc *a = arg;

    if (e->cid < a->ce->k)
        a->live[e->cid] += STOR_REC_HDR + key.len + e->meta.len +
                           (e->flags & CN_OBJ_TOMBSTONE ? 0 : e->body_len);
    return 0;
}

/* Fills size[cid] (file bytes after the superblock) and dead[cid] (those not held by live
 * records), walking the whole index. */
static void dead_bytes(struct cengine *ce, uint64_t *dead, uint64_t *size)
{
    uint64_t *live = cn_calloc(ce->k, sizeof(*live));
    struct live_acc a = {ce, live};

    stor_index_foreach(ce->ix, add_live, &a);
    for (uint32_t i = 0; i < ce->k; i++) {
        pthread_mutex_lock(&ce->c[i]->commit);
        size[i] = ce->c[i]->tail - STOR_SB_SIZE;
        pthread_mutex_unlock(&ce->c[i]->commit);
        dead[i] = size[i] > live[i] ? size[i] - live[i] : 0;
    }
    cn_free(live);
}

/* Sorts targets[0..n) by dead bytes, most first (insertion sort: k is small). */
static void sort_by_dead(uint32_t *targets, uint32_t n, const uint64_t *dead)
{
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t x = i; x > 0 && dead[targets[x]] > dead[targets[x - 1]]; x--) {
            uint32_t t = targets[x];
            targets[x] = targets[x - 1];
            targets[x - 1] = t;
        }
}

/* The automatic choice: the containers whose live records are under compact_auto_pct of
 * their file and which hold at least compact_auto_min dead bytes, most dead first. Walks the
 * whole index, so it runs once per compact_auto_interval_ms at most. Returns how many. */
static uint32_t auto_targets(struct cengine *ce, uint32_t *targets, uint64_t *dead,
                             uint64_t *size)
{
    uint32_t n = 0;

    dead_bytes(ce, dead, size);
    for (uint32_t i = 0; i < ce->k; i++)
        /* live (size - dead) under pct% of the file */
        if (dead[i] >= ce->compact_auto_min && size[i] > 0 &&
            (size[i] - dead[i]) * 100 < size[i] * ce->compact_auto_pct)
            targets[n++] = i;
    sort_by_dead(targets, n, dead);
    return n;
}

/* Status of a pass about to start (compact-start or automatic); comp->lock held. */
static void run_begin(struct stor_compactor *k)
{
    memset(&k->st, 0, sizeof(k->st));
    k->st.ongoing = -1;
    k->st.started_ms = cn_now_ms();
    k->running = 1;
}

/* One compaction pass over targets[0..n); comp->lock held on entry and on return. */
static void compact_pass(struct cengine *ce, const uint32_t *targets, uint32_t n)
{
    struct stor_compactor *k = ce->comp;

    k->st.total = n;
    k->st.pending = n;
    for (uint32_t i = 0; i < n && !k->stop; i++) {
        uint64_t rec = 0, cop = 0, drp = 0;
        int rc;

        k->st.pending--;
        k->st.ongoing = (int32_t)targets[i];
        pthread_mutex_unlock(&k->lock);
        rc = compact_one(ce, ce->c[targets[i]], &rec, &cop, &drp);
        pthread_mutex_lock(&k->lock);
        k->st.ongoing = -1;
        if (rc == 0) {
            k->st.done++;
            k->st.reclaimed_bytes += rec;
            k->st.copied += cop;
            k->st.dropped += drp;
        } else if (rc != CN_ECANCELED) {
            k->st.failed++;
            CN_LOG(CN_LOG_ERROR, "container=%u rc=%s: compaction failed", targets[i],
                   cn_strerror(rc));
        }
    }
    k->running = 0;
    k->suspended = 0;
    k->st.pending = 0;
    k->st.finished_ms = cn_now_ms();
    CN_LOG(CN_LOG_INFO, "done=%u failed=%u reclaimed=%" PRIu64 ": compaction finished",
           k->st.done, k->st.failed, k->st.reclaimed_bytes);
}

static void *run(void *arg)
{
    struct cengine *ce = arg;
    struct stor_compactor *k = ce->comp;
    uint64_t next_auto = cn_mono_ms() + ce->compact_auto_interval_ms;
    uint32_t *targets = cn_calloc(ce->k, sizeof(*targets));
    uint64_t *dead = cn_calloc(ce->k, sizeof(*dead));
    uint64_t *size = cn_calloc(ce->k, sizeof(*size));

    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        uint32_t n;

        if (!k->requested && ce->compact_auto_pct && cn_mono_ms() >= next_auto) {
            pthread_mutex_unlock(&k->lock);
            n = auto_targets(ce, targets, dead, size);
            pthread_mutex_lock(&k->lock);
            next_auto = cn_mono_ms() + ce->compact_auto_interval_ms;
            if (n > 0 && !k->requested && !k->running && !k->stop) {
                run_begin(k); /* as compact-start does, for the chosen containers only */
                CN_LOG(CN_LOG_INFO, "containers=%u most_dead=%u dead=%" PRIu64 " "
                       "threshold=%u%%: starting an automatic compaction", n, targets[0],
                       dead[targets[0]], ce->compact_auto_pct);
                compact_pass(ce, targets, n);
            }
            continue;
        }
        if (!k->requested) {
            struct timespec ts;

            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&k->cond, &k->lock, &ts);
            continue;
        }
        k->requested = 0;
        n = k->req_n == 0 || k->req_n > ce->k ? ce->k : k->req_n;
        pthread_mutex_unlock(&k->lock);
        dead_bytes(ce, dead, size);
        for (uint32_t i = 0; i < ce->k; i++)
            targets[i] = i;
        sort_by_dead(targets, ce->k, dead);
        pthread_mutex_lock(&k->lock);
        compact_pass(ce, targets, n);
    }
    pthread_mutex_unlock(&k->lock);
    cn_free(targets);
    cn_free(dead);
    cn_free(size);
    return NULL;
}

int stor__compactor_start(struct cengine *ce)
{
    struct stor_compactor *k = cn_calloc(1, sizeof(*k));
    int rc;

    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->cond, NULL);
    k->st.ongoing = -1;
    ce->comp = k;
    if ((rc = pthread_create(&k->th, NULL, run, ce)) != 0) {
        ce->comp = NULL;
        cn_free(k);
        return -rc;
    }
    return 0;
}

void stor__compactor_stop(struct cengine *ce)
{
    struct stor_compactor *k = ce->comp;

    if (k == NULL)
        return;
    pthread_mutex_lock(&k->lock);
    k->stop = 1;
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->th, NULL);
    pthread_mutex_destroy(&k->lock);
    pthread_cond_destroy(&k->cond);
    cn_free(k);
    ce->comp = NULL;
}

int stor__compact_cmd(struct cengine *ce, int cmd, uint32_t n, stor_compact_status_t *st)
{
    struct stor_compactor *k = ce->comp;
    int rc = 0;

    pthread_mutex_lock(&k->lock);
    switch (cmd) {
    case STOR_CMD_START:
        if (k->running) {
            rc = CN_EBUSY;
            break;
        }
        run_begin(k);
        k->requested = 1;
        k->req_n = n;
        CN_LOG(CN_LOG_INFO, "containers=%u: compaction started", n);
        break;
    case STOR_CMD_SUSPEND:
        if (!k->running || k->suspended)
            rc = CN_EINVAL;
        else
            k->suspended = 1;
        break;
    case STOR_CMD_RESUME:
        if (!k->running || !k->suspended)
            rc = CN_EINVAL;
        else
            k->suspended = 0;
        break;
    case STOR_CMD_STATUS:
        *st = k->st;
        st->state = !k->running ? "idle" : k->suspended ? "suspended" : "running";
        break;
    }
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    return rc;
}
