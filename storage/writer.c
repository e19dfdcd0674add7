/*
 * storage/writer.c: the group-commit writer of the container engine.
 *
 * Each container has a queue of waiting writes. The first writer that finds no leader
 * becomes the leader: it takes the whole queue, and under c->commit it decides last writer
 * wins for each write (against the index and the earlier writes of the batch), appends the
 * winners with pwritev at the tail, makes them durable with one fdatasync, indexes them and
 * moves the container's checkpoint in one RocksDB WriteBatch, and only then marks every write
 * of the batch done and wakes them. Writers that queued meanwhile form the next batch.
 * Bodies are never copied: a writer waits until its batch is done, so its slices stay valid.
 *
 * Index writes are not synced: the container is the source of truth, synced before the
 * index; after a crash recovery re-indexes everything past the last checkpoint that reached
 * the disk (the checkpoint travels in the same WriteBatch as the entries).
 * Locks: c->qlock (queue, leader flag), then c->commit held by the leader alone.
 */
#include "storage/cengine.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define IOV_BATCH 1024

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

/* The newest clock stored for r->key, looking at the earlier winners of the batch first. */
static int current(struct cengine *ce, struct stor_wreq *batch, struct stor_wreq *r,
                   uint64_t *clock, uint32_t *flags, int *found, cn_buf_t *val)
{
    struct stor_wreq *w, *last = NULL;
    stor_ientry_t e;
    int rc;

    for (w = batch; w != r; w = w->next)
        if (w->rc == 0 && cn_slice_eq(w->key, r->key))
            last = w;
    if (last != NULL) {
        *found = 1;
        *clock = last->h.clock;
        *flags = last->h.flags;
        return 0;
    }
    rc = stor_index_get(ce->ix, r->key, &e, val);
    if (rc == CN_ENOENT || rc == CN_ECORRUPT) {
        *found = 0;
        return 0;
    }
    if (rc != 0)
        return rc;
    *found = 1;
    *clock = e.clock;
    *flags = e.flags;
    return 0;
}

/* Runs one batch; sets every request's rc. Caller holds c->commit. */
static void do_batch(struct cengine *ce, stor_container_t *c, struct stor_wreq *batch)
{
    struct stor_wreq *r;
    struct iovec *iov;
    stor_index_batch_t *ib = NULL;
    cn_buf_t val;
    size_t n = 0, niov = 0, cap = 0;
    uint64_t off = c->tail, start = c->tail;
    int rc = 0;

    cn_buf_init(&val);
    for (r = batch; r; r = r->next)
        n++;
    cap = n * 4;
    iov = cn_malloc(cap * sizeof(*iov));
    for (r = batch; r; r = r->next) {
        uint64_t clock;
        uint32_t flags;
        int found;

        if ((r->rc = current(ce, batch, r, &clock, &flags, &found, &val)) != 0)
            continue;
        /* an equal clock may replace a version marked bad: that is its repair */
        if (found && (clock > r->h.clock || (clock == r->h.clock && !(flags & STOR_IDX_BAD)))) {
            r->rc = CN_ESTALE;
            continue;
        }
        r->was_live = found && !(flags & CN_OBJ_TOMBSTONE);
        iov[niov++] = (struct iovec){r->hdr, STOR_REC_HDR};
        iov[niov++] = (struct iovec){(void *)(uintptr_t)r->key.ptr, r->key.len};
        if (r->meta.len)
            iov[niov++] = (struct iovec){(void *)(uintptr_t)r->meta.ptr, r->meta.len};
        if (r->body.len)
            iov[niov++] = (struct iovec){(void *)(uintptr_t)r->body.ptr, r->body.len};
    }
    if (niov == 0)
        goto out;
    /* offsets: in batch order, winners only */
    ib = stor_index_batch_new();
    for (r = batch; r; r = r->next) {
        stor_ientry_t e;

        if (r->rc != 0)
            continue;
        memset(&e, 0, sizeof(e));
        e.cid = c->cid;
        e.gen = c->gen;
        e.off = off;
        e.flags = r->h.flags;
        e.clock = r->h.clock;
        e.size = r->h.obj_size;
        e.body_len = r->h.body_len;
        e.mtime_ms = r->h.mtime_ms;
        memcpy(e.etag, r->h.etag, sizeof(e.etag));
        e.meta = r->meta;
        stor_index_batch_put(ib, r->key, &e);
        off += stor_rec_size(&r->h);
    }
    stor_index_batch_checkpoint(ib, c->cid, c->gen, off);
    if ((rc = pwritev_all(c->fd, iov, (int)niov, start)) != 0) {
        CN_LOG(CN_LOG_ERROR, "container=%s off=%" PRIu64 " rc=%s: append failed, cutting back",
               c->path, start, cn_strerror(rc));
        if (ftruncate(c->fd, (off_t)start) != 0)
            CN_LOG(CN_LOG_ERROR, "container=%s: cannot cut back the failed append", c->path);
        goto fail;
    }
    if (ce->sync && fdatasync(c->fd) != 0) {
        rc = -errno;
        /* after a failed fdatasync the page cache cannot be trusted: cut the batch off */
        CN_LOG(CN_LOG_ERROR, "container=%s rc=%s: fdatasync failed, batch refused", c->path,
               cn_strerror(rc));
        if (ftruncate(c->fd, (off_t)start) != 0)
            CN_LOG(CN_LOG_ERROR, "container=%s: cannot cut back the failed batch", c->path);
        goto fail;
    }
    if ((rc = stor_index_batch_write(ce->ix, ib, 0)) != 0) {
        /* the records are on disk: the next recovery indexes them; no ack now */
        c->tail = off;
        goto fail;
    }
    c->tail = off;
    goto out;
fail:
    for (r = batch; r; r = r->next)
        if (r->rc == 0)
            r->rc = rc;
out:
    stor_index_batch_free(ib);
    cn_buf_dispose(&val);
    cn_free(iov);
}

int stor__commit(struct cengine *ce, stor_container_t *c, struct stor_wreq *r)
{
    r->next = NULL;
    r->done = 0;
    r->h.key_len = (uint16_t)r->key.len;
    r->h.meta_len = (uint32_t)r->meta.len;
    r->h.body_len = r->body.len;
    r->h.data_crc = stor_rec_data_crc(r->key, r->meta, r->body);
    stor_rec_encode_hdr(&r->h, r->hdr);

    pthread_mutex_lock(&c->qlock);
    *c->qtail = r;
    c->qtail = &r->next;
    while (!r->done) {
        if (!c->leader) {
            struct stor_wreq *batch = c->qhead, *w;

            c->leader = 1;
            c->qhead = NULL;
            c->qtail = &c->qhead;
            pthread_mutex_unlock(&c->qlock);
            pthread_mutex_lock(&c->commit);
            do_batch(ce, c, batch);
            pthread_mutex_unlock(&c->commit);
            pthread_mutex_lock(&c->qlock);
            for (w = batch; w; ) {
                struct stor_wreq *next = w->next;
                w->done = 1; /* w may be freed by its owner from here on */
                w = next;
            }
            c->leader = 0;
            pthread_cond_broadcast(&c->qcond);
        } else {
            pthread_cond_wait(&c->qcond, &c->qlock);
        }
    }
    pthread_mutex_unlock(&c->qlock);
    return r->rc;
}
