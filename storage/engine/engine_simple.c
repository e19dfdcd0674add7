/*
 * storage/engine/engine_simple.c: the "simple" engine: one RocksDB under DIR/simple holds both the
 * metadata and the bodies. It is durable and correct, not fast for big objects; the
 * container engine (next issue) replaces it behind storage/engine/engine.h.
 *
 * RocksDB keys:
 *   "m" + key -> meta record (below), kept for tombstones too;
 *   "d" + key -> the body (absent for a tombstone).
 * Meta record, explicitly encoded, little-endian:
 *   u8 version (1) | u64 clock | u64 size | u64 mtime_ms | u32 flags |
 *   u8 etag_len | etag | u32 meta_len | meta
 * Bodies of 64 KiB and more go to RocksDB blob files (kept out of LSM compactions).
 *
 * Invariants: "m" and "d" of a key change only together, in one WriteBatch (synced unless
 * no_sync), under the key's stripe lock; so a reader using one snapshot sees a body whose
 * length is the record's size. The stripe lock orders the read-compare-write of last writer
 * wins; reads take no lock. Lock order: one stripe at a time, nothing else is held.
 * Foreign errors: RocksDB's char *err is logged and freed by stor_rocks_fail, which maps it
 * (CN_EBUSY when another process holds the store's lock, CN_ENOSPC, CN_ECORRUPT, else CN_EIO).
 */
#include "storage/engine/engine.h"

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"
#include "storage/engine/list_walk.h"
#include "storage/engine/rocks_fail.h"

#define SIMPLE_MAGIC 0x53494d50u /* "SIMP" */
#define SIMPLE_STRIPES 64
#define SIMPLE_REC_VERSION 1
#define SIMPLE_REC_FIXED (1 + 8 + 8 + 8 + 4 + 1 + 4)
#define SIMPLE_MIN_BLOB (64u << 10)

struct simple {
    uint32_t magic;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_writeoptions_t *wopts;
    rocksdb_readoptions_t *ropts;
    pthread_mutex_t stripes[SIMPLE_STRIPES];
};

/* A decoded meta record; etag and meta point into the record's bytes. */
struct rec {
    uint64_t clock, size, mtime_ms;
    uint32_t flags;
    cn_slice_t etag, meta;
};

/* prefix byte + key into buf (at least STOR_KEY_MAX + 1 bytes) */
static size_t mk_key(char *buf, char kind, cn_slice_t key)
{
    buf[0] = kind;
    memcpy(buf + 1, key.ptr, key.len);
    return key.len + 1;
}

static pthread_mutex_t *stripe_of(struct simple *s, cn_slice_t key)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < key.len; i++)
        h = (h ^ (uint8_t)key.ptr[i]) * 16777619u;
    return &s->stripes[h % SIMPLE_STRIPES];
}

static void rec_encode(cn_buf_t *out, const stor_obj_meta_t *m, uint32_t flags)
{
    size_t etag_len = strnlen(m->etag, STOR_ETAG_MAX);
    char hdr[SIMPLE_REC_FIXED + STOR_ETAG_MAX];

    hdr[0] = SIMPLE_REC_VERSION;
    cn_put_u64le(hdr + 1, m->clock);
    cn_put_u64le(hdr + 9, m->size);
    cn_put_u64le(hdr + 17, m->mtime_ms);
    cn_put_u32le(hdr + 25, flags);
    hdr[29] = (char)etag_len;
    memcpy(hdr + 30, m->etag, etag_len);
    cn_put_u32le(hdr + 30 + etag_len, (uint32_t)m->meta.len);
    cn_buf_reserve(out, SIMPLE_REC_FIXED + etag_len + m->meta.len);
    cn_buf_append(out, hdr, SIMPLE_REC_FIXED + etag_len);
    if (m->meta.len)
        cn_buf_append(out, m->meta.ptr, m->meta.len);
}

static int rec_decode(const char *p, size_t len, struct rec *r)
{
    size_t etag_len, meta_len;

    if (len < SIMPLE_REC_FIXED || p[0] != SIMPLE_REC_VERSION)
        return CN_ECORRUPT;
    r->clock = cn_get_u64le(p + 1);
    r->size = cn_get_u64le(p + 9);
    r->mtime_ms = cn_get_u64le(p + 17);
    r->flags = cn_get_u32le(p + 25);
    etag_len = (uint8_t)p[29];
    if (etag_len > STOR_ETAG_MAX || len < SIMPLE_REC_FIXED + etag_len)
        return CN_ECORRUPT;
    r->etag = cn_slice(p + 30, etag_len);
    meta_len = cn_get_u32le(p + 30 + etag_len);
    if (len != SIMPLE_REC_FIXED + etag_len + meta_len)
        return CN_ECORRUPT;
    r->meta = cn_slice(p + 34 + etag_len, meta_len);
    return 0;
}

static void rec_to_meta(const struct rec *r, stor_obj_meta_t *m)
{
    memset(m, 0, sizeof(*m));
    m->clock = r->clock;
    m->size = r->size;
    m->mtime_ms = r->mtime_ms;
    m->flags = r->flags;
    memcpy(m->etag, r->etag.ptr, r->etag.len);
    m->etag[r->etag.len] = '\0';
}

/* Reads the stored clock of key: 0 and *found = 0 when there is no record. */
static int read_clock(struct simple *s, cn_slice_t key, uint64_t *clock, int *found)
{
    char k[STOR_KEY_MAX + 1];
    char *err = NULL, *val;
    size_t vlen, klen = mk_key(k, 'm', key);
    struct rec r;
    int rc;

    val = rocksdb_get(s->db, s->ropts, k, klen, &vlen, &err);
    if (err != NULL)
        return stor_rocks_fail("simple engine", "get", err);
    *found = val != NULL;
    *clock = 0;
    if (val == NULL)
        return 0;
    rc = rec_decode(val, vlen, &r);
    if (rc == 0)
        *clock = r.clock;
    else
        CN_LOG(CN_LOG_ERROR, "key=%.*s: corrupt meta record, overwriting it", (int)key.len,
               key.ptr);
    rocksdb_free(val);
    *found = rc == 0;
    return 0;
}

static int simple_open(const char *dir, const stor_engine_opts_t *o, void **impl)
{
    struct simple *s;
    char path[PATH_MAX];
    char *err = NULL;
    int rc;

    if ((size_t)snprintf(path, sizeof(path), "%s/simple", dir) >= sizeof(path))
        return CN_ENAMETOOLONG;
    if ((rc = cn_mkdir_p(path)) != 0) {
        CN_LOG(CN_LOG_ERROR, "dir=%s rc=%s: cannot make the engine directory", path,
               cn_strerror(rc));
        return rc;
    }
    s = cn_calloc(1, sizeof(*s));
    s->magic = SIMPLE_MAGIC;
    s->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(s->opts, 1);
    rocksdb_options_increase_parallelism(s->opts, 2);
    rocksdb_options_set_enable_blob_files(s->opts, 1);
    rocksdb_options_set_min_blob_size(s->opts, SIMPLE_MIN_BLOB);
    s->db = rocksdb_open(s->opts, path, &err);
    if (err != NULL) {
        rc = stor_rocks_fail("simple engine", "open", err);
        goto out_free;
    }
    s->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(s->wopts, o->no_sync ? 0 : 1);
    s->ropts = rocksdb_readoptions_create();
    for (int i = 0; i < SIMPLE_STRIPES; i++)
        pthread_mutex_init(&s->stripes[i], NULL);
    CN_LOG(CN_LOG_INFO, "engine=simple dir=%s sync=%d: opened", path, !o->no_sync);
    *impl = s;
    return 0;

out_free:
    rocksdb_options_destroy(s->opts);
    cn_free(s);
    return rc;
}

static void simple_close(void *impl)
{
    struct simple *s = impl;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    rocksdb_close(s->db);
    rocksdb_writeoptions_destroy(s->wopts);
    rocksdb_readoptions_destroy(s->ropts);
    rocksdb_options_destroy(s->opts);
    for (int i = 0; i < SIMPLE_STRIPES; i++)
        pthread_mutex_destroy(&s->stripes[i]);
    s->magic = 0;
    cn_free(s);
}

/* Writes meta (+ body, or drops the body for a tombstone) in one batch. */
static int write_version(struct simple *s, cn_slice_t key, const stor_obj_meta_t *m,
                         uint32_t flags, cn_slice_t body)
{
    char mk[STOR_KEY_MAX + 1], dk[STOR_KEY_MAX + 1];
    size_t mlen = mk_key(mk, 'm', key), dlen = mk_key(dk, 'd', key);
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    char *err = NULL;
    cn_buf_t rec;
    int rc = 0;

    cn_buf_init(&rec);
    rec_encode(&rec, m, flags);
    rocksdb_writebatch_put(wb, mk, mlen, rec.data, rec.len);
    if (flags & CN_OBJ_TOMBSTONE)
        rocksdb_writebatch_delete(wb, dk, dlen);
    else
        rocksdb_writebatch_put(wb, dk, dlen, body.ptr ? body.ptr : "", body.len);
    rocksdb_write(s->db, s->wopts, wb, &err);
    if (err != NULL)
        rc = stor_rocks_fail("simple engine", "write", err);
    rocksdb_writebatch_destroy(wb);
    cn_buf_dispose(&rec);
    return rc;
}

static int simple_put(void *impl, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body)
{
    struct simple *s = impl;
    pthread_mutex_t *lock = stripe_of(s, key);
    stor_obj_meta_t mm = *m;
    uint64_t stored;
    int found, rc;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    if (mm.mtime_ms == 0)
        mm.mtime_ms = cn_now_ms();
    pthread_mutex_lock(lock);
    if ((rc = read_clock(s, key, &stored, &found)) != 0)
        goto out_unlock;
    if (found && stored >= m->clock) {
        rc = CN_ESTALE;
        goto out_unlock;
    }
    rc = write_version(s, key, &mm, m->flags & ~CN_OBJ_TOMBSTONE, body);
out_unlock:
    pthread_mutex_unlock(lock);
    return rc;
}

static int simple_del(void *impl, cn_slice_t key, uint64_t clock)
{
    struct simple *s = impl;
    pthread_mutex_t *lock = stripe_of(s, key);
    stor_obj_meta_t tomb = {.clock = clock, .mtime_ms = cn_now_ms()};
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'm', key), vlen;
    char *err = NULL, *val;
    struct rec r;
    int live = 0, rc;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    pthread_mutex_lock(lock);
    val = rocksdb_get(s->db, s->ropts, k, klen, &vlen, &err);
    if (err != NULL) {
        rc = stor_rocks_fail("simple engine", "get", err);
        goto out_unlock;
    }
    if (val != NULL && rec_decode(val, vlen, &r) == 0) {
        if (r.clock >= clock) {
            rc = CN_ESTALE;
            goto out_free;
        }
        live = !(r.flags & CN_OBJ_TOMBSTONE);
    }
    if ((rc = write_version(s, key, &tomb, CN_OBJ_TOMBSTONE, cn_slice("", 0))) == 0 && !live)
        rc = CN_ENOENT;
out_free:
    rocksdb_free(val);
out_unlock:
    pthread_mutex_unlock(lock);
    return rc;
}

static int simple_get(void *impl, cn_slice_t key, uint64_t off, uint64_t len,
                      stor_obj_meta_t *m, cn_buf_t *meta_out, cn_buf_t *body_out)
{
    struct simple *s = impl;
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'm', key), vlen = 0;
    const rocksdb_snapshot_t *snap = rocksdb_create_snapshot(s->db);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_pinnableslice_t *body = NULL;
    char *err = NULL, *val;
    struct rec r;
    int rc;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    rocksdb_readoptions_set_snapshot(ro, snap);
    val = rocksdb_get(s->db, ro, k, klen, &vlen, &err);
    if (err != NULL) {
        rc = stor_rocks_fail("simple engine", "get", err);
        goto out_snap;
    }
    if (val == NULL) {
        rc = CN_ENOENT;
        goto out_snap;
    }
    if ((rc = rec_decode(val, vlen, &r)) != 0) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: corrupt meta record", (int)key.len, key.ptr);
        goto out_val;
    }
    if (r.flags & CN_OBJ_TOMBSTONE) {
        rc = CN_ENOENT;
        goto out_val;
    }
    rec_to_meta(&r, m);
    if (meta_out != NULL)
        cn_buf_append(meta_out, r.meta.ptr, r.meta.len);
    if (body_out != NULL && off < r.size && len > 0) {
        const char *b;
        size_t blen;

        klen = mk_key(k, 'd', key);
        body = rocksdb_get_pinned(s->db, ro, k, klen, &err);
        if (err != NULL) {
            rc = stor_rocks_fail("simple engine", "get", err);
            goto out_val;
        }
        b = body ? rocksdb_pinnableslice_value(body, &blen) : NULL;
        if (b == NULL || (blen != r.size && !(r.flags & CN_OBJ_MANIFEST))) {
            CN_LOG(CN_LOG_ERROR, "key=%.*s size=%" PRIu64 ": body missing or of another size",
                   (int)key.len, key.ptr, r.size);
            rc = CN_ECORRUPT;
            goto out_body;
        }
        if (off >= blen)
            len = 0;
        else if (len > blen - off)
            len = blen - off;
        if (len > 0)
            cn_buf_append(body_out, b + off, (size_t)len);
    }
out_body:
    if (body != NULL)
        rocksdb_pinnableslice_destroy(body);
out_val:
    rocksdb_free(val);
out_snap:
    rocksdb_readoptions_destroy(ro);
    rocksdb_release_snapshot(s->db, snap);
    return rc;
}

/* ---- listing: storage/engine/list_walk.c over the "m" records ----------------------------- */

static int list_decode(const char *val, size_t len, stor_obj_meta_t *m)
{
    struct rec r;
    int rc;

    if ((rc = rec_decode(val, len, &r)) == 0) {
        rec_to_meta(&r, m);
        m->meta = r.meta;
    }
    return rc;
}

static int simple_list(void *impl, cn_slice_t prefix, cn_slice_t start_after, size_t max_keys,
                       cn_slice_t delim, unsigned opts, cn_slice_t pick, cn_buf_t *out,
                       int *truncated, uint64_t *steps)
{
    struct simple *s = impl;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    return stor__list_walk(s->db, 'm', list_decode, prefix, start_after, max_keys, delim, opts,
                           pick, out, truncated, steps);
}

/* ---- replication helpers: stat (tombstones too), scan, drop --------------------------- */

static int simple_stat(void *impl, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out)
{
    struct simple *s = impl;
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'm', key), vlen = 0;
    char *err = NULL, *val;
    struct rec r;
    int rc;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    val = rocksdb_get(s->db, s->ropts, k, klen, &vlen, &err);
    if (err != NULL)
        return stor_rocks_fail("simple engine", "get", err);
    if (val == NULL)
        return CN_ENOENT;
    if ((rc = rec_decode(val, vlen, &r)) == 0) {
        rec_to_meta(&r, m);
        if (meta_out != NULL)
            cn_buf_append(meta_out, r.meta.ptr, r.meta.len);
    }
    rocksdb_free(val);
    return rc;
}

/* simple_put that also says what it replaced: the stat under the key's stripe lock is the
 * lookup of the clock check, and a manifest's body is read under the same lock. */
static int simple_put_prev(void *impl, cn_slice_t key, const stor_obj_meta_t *m,
                           cn_slice_t body, stor_engine_prev_t *prev)
{
    struct simple *s = impl;
    pthread_mutex_t *lock = stripe_of(s, key);
    stor_obj_meta_t mm = *m, got;
    size_t before;
    int rc;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    if (mm.mtime_ms == 0)
        mm.mtime_ms = cn_now_ms();
    pthread_mutex_lock(lock);
    rc = simple_stat(s, key, &prev->m, NULL);
    if (rc != 0 && rc != CN_ENOENT && rc != CN_ECORRUPT)
        goto out_unlock;
    prev->rc = rc; /* a record that does not decode is overwritten, as simple_put does */
    if (rc == 0 && prev->m.clock >= m->clock) {
        rc = CN_ESTALE;
        goto out_unlock;
    }
    if (rc == 0 && prev->body != NULL && (prev->m.flags & CN_OBJ_MANIFEST) &&
        !(prev->m.flags & CN_OBJ_TOMBSTONE)) {
        before = prev->body->len;
        if (simple_get(s, key, 0, UINT64_MAX, &got, NULL, prev->body) != 0) {
            prev->body->len = before;
            prev->rc = CN_ECORRUPT;
        }
    }
    rc = write_version(s, key, &mm, m->flags & ~CN_OBJ_TOMBSTONE, body);
out_unlock:
    pthread_mutex_unlock(lock);
    return rc;
}

static int simple_scan(void *impl, cn_slice_t start_after, size_t max, stor_scan_fn fn,
                       void *arg, int *more)
{
    struct simple *s = impl;
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it;
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'm', start_after), n = 0;
    char *err = NULL;
    int rc = 0;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    *more = 0;
    rocksdb_readoptions_set_iterate_upper_bound(ro, "n", 1);
    it = rocksdb_create_iterator(s->db, ro);
    for (rocksdb_iter_seek(it, k, klen); rc == 0 && rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *kp = rocksdb_iter_key(it, &kl);
        const char *v = rocksdb_iter_value(it, &vl);
        stor_obj_meta_t m;
        struct rec r;

        if (kl == klen && memcmp(kp, k, klen) == 0)
            continue;
        if (n == max) {
            *more = 1;
            break;
        }
        n++;
        if (rec_decode(v, vl, &r) != 0)
            continue;
        rec_to_meta(&r, &m);
        rc = fn(arg, cn_slice(kp + 1, kl - 1), &m);
    }
    rocksdb_iter_get_error(it, &err);
    if (err != NULL) {
        int irc = stor_rocks_fail("simple engine", "iterate", err);

        rc = rc != 0 ? rc : irc;
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

static int simple_drop(void *impl, cn_slice_t key, uint64_t clock)
{
    struct simple *s = impl;
    pthread_mutex_t *lock = stripe_of(s, key);
    char mk[STOR_KEY_MAX + 1], dk[STOR_KEY_MAX + 1];
    size_t mlen = mk_key(mk, 'm', key), dlen = mk_key(dk, 'd', key);
    rocksdb_writebatch_t *wb;
    uint64_t stored;
    char *err = NULL;
    int found, rc;

    CN_CHECK_OBJ(s, SIMPLE_MAGIC);
    pthread_mutex_lock(lock);
    if ((rc = read_clock(s, key, &stored, &found)) != 0)
        goto out;
    if (!found) {
        rc = CN_ENOENT;
        goto out;
    }
    if (stored != clock) {
        rc = CN_ESTALE;
        goto out;
    }
    wb = rocksdb_writebatch_create();
    rocksdb_writebatch_delete(wb, mk, mlen);
    rocksdb_writebatch_delete(wb, dk, dlen);
    rocksdb_write(s->db, s->wopts, wb, &err);
    if (err != NULL)
        rc = stor_rocks_fail("simple engine", "write", err);
    rocksdb_writebatch_destroy(wb);
out:
    pthread_mutex_unlock(lock);
    return rc;
}

const struct stor_engine_ops stor__engine_simple_ops = {
    .kind = "simple",
    .open = simple_open,
    .close = simple_close,
    .put = simple_put,
    .put_prev = simple_put_prev,
    .get = simple_get,
    .del = simple_del,
    .list = simple_list,
    .stat = simple_stat,
    .scan = simple_scan,
    .drop = simple_drop,
};
