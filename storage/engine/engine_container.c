/*
 * storage/engine/engine_container.c: the "container" engine (the default): K append-only container
 * files (storage/engine/container.c) spread over one or more directories, a RocksDB index
 * (storage/engine/index.c) that may live on another disk, durable group commit
 * (storage/engine/writer.c), crash recovery on open (storage/engine/replay.c), online compaction
 * (storage/engine/compact.c) and scrub (storage/engine/scrub.c). The on-disk format is in
 * docs/STORAGE_FORMAT.md.
 *
 * A key's home container is stor__route(key); a small write batch may put it in another
 * (storage/engine/writer.c): the index entry names the container. A GET costs one index lookup and one pread
 * (preadv of header + key + meta + body for a full read, whose checksums are verified; a
 * range read preads only the range: the scrub guards those bytes). HEAD and listing read
 * only the index.
 * Locks: see storage/engine/container.h; a read holds its container's swap lock shared.
 */
#include "storage/engine/cengine.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"

#define MAX_DIRS 64

static int mkdir_logged(const char *d)
{
    int rc = cn_mkdir_p(d);

    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "dir=%s rc=%s: cannot make the directory", d, cn_strerror(rc));
    return rc;
}

/* Splits a comma-separated list into dirs (cn_strdup'ed). Returns the count (0: bad). */
static size_t split_dirs(const char *list, char **dirs)
{
    size_t n = 0;
    const char *p = list;

    while (*p && n < MAX_DIRS) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);

        while (len > 0 && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0)
            dirs[n++] = cn_strndup(p, len);
        if (e == NULL)
            break;
        p = e + 1;
    }
    return n;
}

static void ce_close(void *impl);

static int ce_open(const char *dir, const stor_engine_opts_t *o, void **impl)
{
    struct cengine *ce = cn_calloc(1, sizeof(*ce));
    char *dirs[MAX_DIRS];
    char path[PATH_MAX];
    size_t ndirs = 0;
    uint64_t k;
    int rc;

    ce->magic = CENG_MAGIC;
    ce->sync = !o->no_sync;
    ce->grace_ms = o->tombstone_grace_ms ? o->tombstone_grace_ms : STOR_DEFAULT_GRACE_MS;
    ce->compact_rate = o->compact_rate;
    ce->compact_auto_pct = o->compact_auto_pct;
    ce->compact_auto_min = o->compact_auto_min ? o->compact_auto_min : 64ull << 20;
    ce->compact_auto_interval_ms = o->compact_auto_interval_ms ? o->compact_auto_interval_ms
                                                               : 60000;
    ce->scrub_rate = o->scrub_rate;
    ce->scrub_interval_ms = o->scrub_interval_ms;
    ce->repair = o->repair;
    ce->repair_arg = o->repair_arg;
    ce->min_free = o->min_free;
    if (o->container_dirs && *o->container_dirs) {
        ndirs = split_dirs(o->container_dirs, dirs);
    } else {
        snprintf(path, sizeof(path), "%s/containers", dir);
        dirs[ndirs++] = cn_strdup(path);
    }
    if (ndirs == 0) {
        rc = CN_EINVAL;
        goto out_fail;
    }
    for (size_t i = 0; i < ndirs; i++)
        if ((rc = mkdir_logged(dirs[i])) != 0)
            goto out_fail;
    if (o->index_dir && *o->index_dir)
        snprintf(path, sizeof(path), "%s", o->index_dir);
    else
        snprintf(path, sizeof(path), "%s/index", dir);
    ce->index_path = cn_strdup(path);
    if ((rc = stor_index_open(path, o->index_memtable, o->index_cache, &ce->ix)) != 0)
        goto out_fail;
    if (o->rebuild_index) {
        CN_LOG(CN_LOG_WARN, "index=%s: rebuilding the whole index from the containers", path);
        if ((rc = stor_index_wipe(ce->ix)) != 0)
            goto out_fail;
    }
    rc = stor_index_u64_get(ce->ix, "containers", &k);
    if (rc == CN_ENOENT) {
        k = o->containers ? o->containers : STOR_DEFAULT_CONTAINERS;
        if ((rc = stor_index_u64_put(ce->ix, "containers", k)) != 0)
            goto out_fail;
    } else if (rc != 0) {
        goto out_fail;
    } else if (o->containers && o->containers != k) {
        CN_LOG(CN_LOG_WARN, "containers=%u: the store was made with %" PRIu64 " containers; "
               "keeping %" PRIu64 " (the number is fixed at creation)", o->containers, k, k);
    }
    if (k == 0 || k > 65536) {
        rc = CN_ECORRUPT;
        goto out_fail;
    }
    if ((rc = stor_index_journal_last(ce->ix, &ce->jseq)) != 0)
        goto out_fail;
    ce->k = (uint32_t)k;
    ce->ndirs = (uint32_t)ndirs;
    ce->c = cn_calloc(ce->k, sizeof(*ce->c));
    for (uint32_t i = 0; i < ce->k; i++) {
        const char *d = dirs[i % ndirs];

        if ((rc = stor__compact_fixup(ce->ix, d, i)) != 0 ||
            (rc = stor_container_open(d, i, &ce->c[i])) != 0 ||
            (rc = stor__replay(ce, ce->c[i], o->rebuild_index)) != 0)
            goto out_fail;
    }
    stor__compacted_load(ce);
    if ((rc = stor__writer_start(ce)) != 0 || (rc = stor__compactor_start(ce)) != 0 ||
        (rc = stor__scrubber_start(ce)) != 0)
        goto out_fail;
    CN_LOG(CN_LOG_INFO, "engine=container index=%s containers=%u dirs=%zu first=%s sync=%d: "
           "opened", path, ce->k, ndirs, dirs[0], ce->sync);
    for (size_t i = 0; i < ndirs; i++)
        cn_free(dirs[i]);
    *impl = ce;
    return 0;

out_fail:
    for (size_t i = 0; i < ndirs; i++)
        cn_free(dirs[i]);
    ce_close(ce);
    return rc;
}

static void ce_close(void *impl)
{
    struct cengine *ce = impl;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    stor__scrubber_stop(ce);
    stor__compactor_stop(ce);
    stor__writer_stop(ce);
    if (ce->c != NULL)
        for (uint32_t i = 0; i < ce->k; i++)
            stor_container_close(ce->c[i]);
    cn_free(ce->c);
    cn_free(ce->compacted_ms);
    stor_index_close(ce->ix);
    cn_free(ce->index_path);
    ce->magic = 0;
    cn_free(ce);
}

/* Fills r for a put of key (ce_put, ce_write_many). */
static void put_req(struct stor_wreq *r, cn_slice_t key, const stor_obj_meta_t *m,
                    cn_slice_t body)
{
    memset(r, 0, sizeof(*r));
    r->key = key;
    r->meta = m->meta;
    r->body = body;
    r->h.flags = m->flags & ~(CN_OBJ_TOMBSTONE | STOR_IDX_BAD);
    r->h.clock = m->clock;
    r->h.obj_size = (m->flags & CN_OBJ_MANIFEST) ? m->size : body.len;
    r->h.mtime_ms = m->mtime_ms ? m->mtime_ms : cn_now_ms();
    memcpy(r->h.etag, m->etag, strnlen(m->etag, STOR_ETAG_MAX));
}

/* Fills r for a tombstone of key at clock (journaled: CN_OBJ_JOURNALED, or 0). */
static void del_req(struct stor_wreq *r, cn_slice_t key, uint64_t clock, uint32_t journaled)
{
    memset(r, 0, sizeof(*r));
    r->key = key;
    r->is_del = 1;
    r->h.flags = CN_OBJ_TOMBSTONE | (journaled & CN_OBJ_JOURNALED);
    r->h.clock = clock;
    r->h.mtime_ms = cn_now_ms();
}

static int ce_put(void *impl, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body)
{
    struct cengine *ce = impl;
    struct stor_wreq r;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    put_req(&r, key, m, body);
    return stor__commit(ce, ce->c[stor__route(ce, key)], &r);
}

static int ce_put_prev(void *impl, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body,
                       stor_engine_prev_t *prev)
{
    struct cengine *ce = impl;
    struct stor_wreq r;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    put_req(&r, key, m, body);
    r.prev = prev;
    return stor__commit(ce, ce->c[stor__route(ce, key)], &r);
}

static int ce_del(void *impl, cn_slice_t key, uint64_t clock)
{
    struct cengine *ce = impl;
    struct stor_wreq r;
    int rc;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    del_req(&r, key, clock, 0);
    rc = stor__commit(ce, ce->c[stor__route(ce, key)], &r);
    if (rc == 0 && !r.was_live)
        rc = CN_ENOENT;
    return rc;
}

/* Every item in one group commit (stor__commit_many); a delete's result as ce_del's. */
static void ce_write_many(void *impl, stor_engine_wr_t *w, size_t n)
{
    struct cengine *ce = impl;
    struct stor_wreq *r = cn_malloc((n ? n : 1) * sizeof(*r));
    stor_container_t **c = cn_malloc((n ? n : 1) * sizeof(*c));

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    for (size_t i = 0; i < n; i++) {
        if (w[i].m->flags & CN_OBJ_TOMBSTONE)
            del_req(&r[i], w[i].key, w[i].m->clock, w[i].m->flags);
        else
            put_req(&r[i], w[i].key, w[i].m, w[i].body);
        c[i] = ce->c[stor__route(ce, w[i].key)];
    }
    stor__commit_many(ce, c, r, n);
    for (size_t i = 0; i < n; i++)
        w[i].rc = r[i].rc == 0 && r[i].is_del && !r[i].was_live ? CN_ENOENT : r[i].rc;
    cn_free(c);
    cn_free(r);
}

int stor__read_full(const stor_container_t *c, const stor_ientry_t *e, cn_slice_t key,
                    cn_buf_t *body_out)
{
    size_t head = STOR_REC_HDR + key.len + e->meta.len;
    char small[2048];
    char *scratch = head <= sizeof(small) ? small : cn_malloc(head);
    struct iovec iov[2];
    stor_rec_hdr_t h;
    uint32_t crc;
    ssize_t n;
    int rc = 0;

    cn_buf_reserve(body_out, (size_t)e->body_len);
    iov[0] = (struct iovec){scratch, head};
    iov[1] = (struct iovec){body_out->data + body_out->len, (size_t)e->body_len};
    n = preadv(c->fd, iov, 2, (off_t)e->off);
    if (n < 0) {
        rc = -errno;
        goto out;
    }
    if ((size_t)n != head + e->body_len || stor_rec_decode_hdr((uint8_t *)scratch, &h) != 0 ||
        h.clock != e->clock || h.key_len != key.len || h.meta_len != e->meta.len ||
        h.body_len != e->body_len || memcmp(scratch + STOR_REC_HDR, key.ptr, key.len) != 0) {
        rc = CN_ECORRUPT;
        goto out;
    }
    crc = stor_rec_data_crc(cn_slice(scratch + STOR_REC_HDR, key.len),
                            cn_slice(scratch + STOR_REC_HDR + key.len, e->meta.len),
                            cn_slice(body_out->data + body_out->len, (size_t)e->body_len));
    if (crc != h.data_crc) {
        rc = CN_ECORRUPT;
        goto out;
    }
    body_out->len += (size_t)e->body_len;
    body_out->data[body_out->len] = '\0';
out:
    if (scratch != small)
        cn_free(scratch);
    return rc;
}

static int read_range(const stor_container_t *c, const stor_ientry_t *e, cn_slice_t key,
                      uint64_t off, uint64_t len, cn_buf_t *body_out)
{
    uint64_t pos = e->off + STOR_REC_HDR + key.len + e->meta.len + off;
    size_t done = 0;

    cn_buf_reserve(body_out, (size_t)len);
    while (done < len) {
        ssize_t n = pread(c->fd, body_out->data + body_out->len + done, (size_t)len - done,
                          (off_t)(pos + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return CN_ECORRUPT; /* the index points past the end of the file */
        done += (size_t)n;
    }
    body_out->len += done;
    body_out->data[body_out->len] = '\0';
    return 0;
}

/* A GET: one index lookup, then (under the swap lock of the container the entry names, and
 * only if that container is still of the entry's generation, else the lookup is redone) one
 * preadv. Per call it allocates only RocksDB's pinnable slice: the entry is decoded from a
 * stack buffer when it fits. */
static int ce_get(void *impl, cn_slice_t key, uint64_t off, uint64_t len, stor_obj_meta_t *m,
                  cn_buf_t *meta_out, cn_buf_t *body_out)
{
    struct cengine *ce = impl;
    stor_container_t *c = NULL;
    stor_ientry_t e;
    char small[1024];
    cn_buf_t val;
    uint32_t gen = 0;
    int rc, tries = 0;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    cn_buf_init(&val);
retry:
    if ((rc = stor_index_get_small(ce->ix, key, &e, small, sizeof(small), &val)) != 0)
        goto out;
    if (e.flags & CN_OBJ_TOMBSTONE) {
        rc = CN_ENOENT;
        goto out;
    }
    if (e.flags & STOR_IDX_BAD) {
        rc = CN_ECORRUPT;
        goto out;
    }
    if (e.cid >= ce->k) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s cid=%u: index entry names no container (k=%u)",
               (int)key.len, key.ptr, e.cid, ce->k);
        rc = CN_EIO;
        goto out;
    }
    c = ce->c[e.cid];
    pthread_rwlock_rdlock(&c->swap);
    if (e.gen != c->gen) {
        /* a compaction switched the container since the lookup: look again */
        pthread_rwlock_unlock(&c->swap);
        c = NULL;
        if (++tries < 4)
            goto retry;
        CN_LOG(CN_LOG_ERROR, "key=%.*s cid=%u gen=%u: index entry points at another "
               "generation", (int)key.len, key.ptr, e.cid, e.gen);
        rc = CN_EIO;
        goto out;
    }
    memset(m, 0, sizeof(*m));
    m->clock = e.clock;
    m->size = e.size;
    m->mtime_ms = e.mtime_ms;
    m->flags = e.flags;
    memcpy(m->etag, e.etag, sizeof(m->etag));
    if (meta_out != NULL && e.meta.len)
        cn_buf_append(meta_out, e.meta.ptr, e.meta.len);
    if (body_out != NULL && off < e.body_len && len > 0) {
        if (len > e.body_len - off)
            len = e.body_len - off;
        if (off == 0 && len == e.body_len)
            rc = stor__read_full(c, &e, key, body_out);
        else
            rc = read_range(c, &e, key, off, len, body_out);
        gen = e.gen;
    }
    pthread_rwlock_unlock(&c->swap);
out:
    if (rc == CN_ECORRUPT && gen != 0) {
        stor__mark_bad(ce, c, key, gen, e.off);
        rc = CN_ECORRUPT;
    }
    cn_buf_dispose(&val);
    return rc;
}

void stor__mark_bad(struct cengine *ce, stor_container_t *c, cn_slice_t key, uint32_t gen,
                    uint64_t off)
{
    stor_index_batch_t *b;
    stor_ientry_t e;
    cn_buf_t val;
    int marked = 0;

    cn_buf_init(&val);
    pthread_mutex_lock(&c->commit);
    if (stor_index_get(ce->ix, key, &e, &val) == 0 && e.cid == c->cid && e.gen == gen &&
        e.off == off && !(e.flags & STOR_IDX_BAD)) {
        e.flags |= STOR_IDX_BAD;
        b = stor_index_batch_new();
        stor_index_batch_put(b, key, &e);
        marked = stor_index_batch_write(ce->ix, b, 1) == 0;
        stor_index_batch_free(b);
    }
    pthread_mutex_unlock(&c->commit);
    cn_buf_dispose(&val);
    if (marked) {
        CN_LOG(CN_LOG_ERROR, "container=%s off=%" PRIu64 " key=%.*s: corrupt record, marked "
               "bad (never served) and handed to repair", c->path, off, (int)key.len, key.ptr);
        if (ce->repair)
            ce->repair(ce->repair_arg, key, CN_ECORRUPT);
    }
}

void stor__throttle(uint64_t rate, uint64_t bytes, uint64_t t0_ms)
{
    uint64_t due, now;

    if (rate == 0)
        return;
    due = t0_ms + bytes * 1000 / rate;
    now = cn_mono_ms();
    if (due > now) {
        uint64_t ms = due - now;
        struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int ce_list(void *impl, cn_slice_t prefix, cn_slice_t start_after, size_t max_keys,
                   cn_slice_t delim, unsigned opts, cn_slice_t pick, cn_buf_t *out,
                   int *truncated, uint64_t *steps)
{
    struct cengine *ce = impl;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    return stor_index_list(ce->ix, prefix, start_after, max_keys, delim, opts, pick, out,
                           truncated, steps);
}

static void entry_to_meta(const stor_ientry_t *e, stor_obj_meta_t *m)
{
    memset(m, 0, sizeof(*m));
    m->clock = e->clock;
    m->size = e->size;
    m->mtime_ms = e->mtime_ms;
    m->flags = e->flags & ~STOR_IDX_BAD;
    memcpy(m->etag, e->etag, sizeof(m->etag));
}

static int ce_stat(void *impl, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out)
{
    struct cengine *ce = impl;
    stor_ientry_t e;
    cn_buf_t val;
    int rc;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    cn_buf_init(&val);
    if ((rc = stor_index_get(ce->ix, key, &e, &val)) == 0) {
        entry_to_meta(&e, m);
        if (meta_out != NULL && e.meta.len)
            cn_buf_append(meta_out, e.meta.ptr, e.meta.len);
        if (e.flags & STOR_IDX_BAD)
            rc = CN_ECORRUPT;
    }
    cn_buf_dispose(&val);
    return rc;
}

struct scan_arg {
    stor_scan_fn fn;
    void *arg;
};

static int scan_one(cn_slice_t key, const stor_ientry_t *e, void *arg)
{
    struct scan_arg *a = arg;
    stor_obj_meta_t m;

    entry_to_meta(e, &m);
    if (e->flags & STOR_IDX_BAD)
        m.flags |= STOR_IDX_BAD; /* the caller may want to know; never on the wire */
    return a->fn(a->arg, key, &m);
}

static int ce_scan(void *impl, cn_slice_t start_after, size_t max, stor_scan_fn fn, void *arg,
                   int *more)
{
    struct cengine *ce = impl;
    struct scan_arg a = {fn, arg};

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    return stor_index_scan(ce->ix, start_after, max, scan_one, &a, more);
}

/* Drops the entry under the commit lock of the container it names: that excludes the
 * group-commit leader (which holds every commit lock) and that container's compaction. */
static int ce_drop(void *impl, cn_slice_t key, uint64_t clock)
{
    struct cengine *ce = impl;
    stor_index_batch_t *b;
    stor_ientry_t e;
    cn_buf_t val;
    uint32_t cid;
    int rc;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    cn_buf_init(&val);
    for (;;) {
        stor_container_t *c;

        if ((rc = stor_index_get(ce->ix, key, &e, &val)) != 0)
            break;
        cid = e.cid < ce->k ? e.cid : 0;
        c = ce->c[cid];
        pthread_mutex_lock(&c->commit);
        if ((rc = stor_index_get(ce->ix, key, &e, &val)) == 0 && e.cid < ce->k &&
            e.cid != cid) {
            pthread_mutex_unlock(&c->commit); /* rewritten elsewhere meanwhile */
            continue;
        }
        if (rc == 0 && e.clock != clock) {
            rc = CN_ESTALE;
        } else if (rc == 0) {
            b = stor_index_batch_new();
            stor_index_batch_del(b, key);
            rc = stor_index_batch_write(ce->ix, b, 0);
            stor_index_batch_free(b);
        }
        pthread_mutex_unlock(&c->commit);
        break;
    }
    cn_buf_dispose(&val);
    return rc;
}

static int ce_compact(void *impl, int cmd, uint32_t n, stor_compact_status_t *st)
{
    return stor__compact_cmd(impl, cmd, n, st);
}

static int ce_scrub(void *impl, int cmd, stor_scrub_status_t *st)
{
    return stor__scrub_cmd(impl, cmd, st);
}

static int ce_disk_usage(void *impl, uint64_t *bytes)
{
    struct cengine *ce = impl;
    struct stat st;

    *bytes = 0;
    for (uint32_t i = 0; i < ce->k; i++) {
        pthread_rwlock_rdlock(&ce->c[i]->swap);
        if (fstat(ce->c[i]->fd, &st) == 0)
            *bytes += (uint64_t)st.st_blocks * 512;
        pthread_rwlock_unlock(&ce->c[i]->swap);
    }
    return 0;
}

static int ce_mem_usage(void *impl, uint64_t *memtables, uint64_t *block_cache)
{
    struct cengine *ce = impl;

    stor_index_mem_usage(ce->ix, memtables, block_cache);
    return 0;
}

static int ce_journal(void *impl, int cmd, uint64_t seq, size_t max,
                      int (*fn)(uint64_t seq, cn_slice_t key, uint64_t clock, uint32_t flags,
                                void *arg),
                      void *arg, uint64_t *last)
{
    struct cengine *ce = impl;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    switch (cmd) {
    case STOR_JOURNAL_READ:
        return stor_index_journal_read(ce->ix, seq, max, fn, arg);
    case STOR_JOURNAL_TRIM:
        return stor_index_journal_trim(ce->ix, seq);
    default:
        return stor_index_journal_last(ce->ix, last);
    }
}

/* The seq is the commit leader's (ce->jseq): the leader holds every container's commit lock
 * from the moment it gives seqs until its WriteBatch is written (writer.c), so holding one
 * of them (c[0]'s; never more, as the lock order asks of anyone but the leader) is enough to
 * give the next seq and write it before any later batch writes a higher one. */
static int ce_journal_add(void *impl, cn_slice_t key, uint64_t clock, uint32_t flags)
{
    struct cengine *ce = impl;
    stor_index_batch_t *b;
    int rc;

    CN_CHECK_OBJ(ce, CENG_MAGIC);
    if (key.len == 0 || key.len > STOR_KEY_MAX)
        return CN_EINVAL;
    b = stor_index_batch_new();
    pthread_mutex_lock(&ce->c[0]->commit);
    stor_index_batch_journal(b, ce->jseq + 1, key, clock,
                             flags & ~(CN_OBJ_JOURNALED | STOR_IDX_BAD));
    if ((rc = stor_index_batch_write(ce->ix, b, 0)) == 0)
        ce->jseq++;
    pthread_mutex_unlock(&ce->c[0]->commit);
    stor_index_batch_free(b);
    return rc;
}

static uint64_t ce_key_estimate(void *impl)
{
    struct cengine *ce = impl;

    return stor_index_key_estimate(ce->ix);
}

const struct stor_engine_ops stor__engine_container_ops = {
    .kind = "container",
    .open = ce_open,
    .close = ce_close,
    .put = ce_put,
    .put_prev = ce_put_prev,
    .get = ce_get,
    .del = ce_del,
    .write_many = ce_write_many,
    .list = ce_list,
    .stat = ce_stat,
    .scan = ce_scan,
    .drop = ce_drop,
    .compact = ce_compact,
    .scrub = ce_scrub,
    .disk_usage = ce_disk_usage,
    .mem_usage = ce_mem_usage,
    .key_estimate = ce_key_estimate,
    .journal = ce_journal,
    .journal_add = ce_journal_add,
};
