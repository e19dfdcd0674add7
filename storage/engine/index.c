/*
 * storage/engine/index.c: the container engine's RocksDB index (layout in storage/engine/index.h).
 * Entry value, explicitly encoded little-endian:
 *   u8 version (1) | u32 cid | u32 gen | u64 off | u32 flags | u64 clock | u64 size |
 *   u64 mtime_ms | u64 body_len | u8 etag_len | etag | u32 meta_len | meta
 * Listing is storage/engine/list_walk.c's walk over the "o" entries.
 * Threads: RocksDB is thread-safe; nothing here holds a lock.
 */
#include "storage/engine/index.h"

#include <rocksdb/c.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"
#include "storage/engine/list_walk.h"
#include "storage/engine/rocks_fail.h"

#define IX_MAGIC 0x53494458u /* "SIDX" */
#define ENT_VERSION 1
#define ENT_FIXED (1 + 4 + 4 + 8 + 4 + 8 + 8 + 8 + 8 + 1 + 4)

struct stor_index {
    uint32_t magic;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_block_based_table_options_t *topts;
    rocksdb_cache_t *cache;
    rocksdb_writeoptions_t *wsync, *wnosync;
    rocksdb_readoptions_t *ropts;
};

struct stor_index_batch {
    rocksdb_writebatch_t *wb;
};

static size_t mk_key(char *buf, char kind, cn_slice_t key)
{
    buf[0] = kind;
    memcpy(buf + 1, key.ptr, key.len);
    return key.len + 1;
}

int stor_index_open(const char *dir, uint64_t memtable_bytes, uint64_t cache_bytes,
                    stor_index_t **out)
{
    stor_index_t *ix;
    char *err = NULL;
    int rc;

    if ((rc = cn_mkdir_p(dir)) != 0) {
        CN_LOG(CN_LOG_ERROR, "dir=%s rc=%s: cannot make the index directory", dir,
               cn_strerror(rc));
        return rc;
    }
    ix = cn_calloc(1, sizeof(*ix));
    ix->magic = IX_MAGIC;
    ix->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(ix->opts, 1);
    rocksdb_options_increase_parallelism(ix->opts, 2);
    ix->topts = rocksdb_block_based_options_create();
    /* the index's memory: up to two memtables of memtable_bytes (one filling, one flushing)
     * and the block cache; both fill up over hours and then stay (docs/SECURITY.md, Soak) */
    rocksdb_options_set_write_buffer_size(ix->opts, memtable_bytes ? memtable_bytes
                                                                   : 64ull << 20);
    rocksdb_options_set_max_write_buffer_number(ix->opts, 2);
    ix->cache = rocksdb_cache_create_lru(cache_bytes ? cache_bytes : 64ull << 20);
    rocksdb_block_based_options_set_block_cache(ix->topts, ix->cache);
    rocksdb_block_based_options_set_filter_policy(ix->topts,
                                                  rocksdb_filterpolicy_create_bloom(10));
    rocksdb_options_set_block_based_table_factory(ix->opts, ix->topts);
    /* a bloom filter over the memtables' whole keys: each PUT's last-writer-wins lookup of a
     * new key would otherwise walk the skiplist of up to ~500k entries, twice when an
     * immutable memtable waits for its flush (docs/PERFORMANCE.md) */
    rocksdb_options_set_memtable_prefix_bloom_size_ratio(ix->opts, 0.05);
    rocksdb_options_set_memtable_whole_key_filtering(ix->opts, 1);
    ix->db = rocksdb_open(ix->opts, dir, &err);
    if (err != NULL) {
        rc = stor_rocks_fail("index", "open", err);
        rocksdb_options_destroy(ix->opts);
        rocksdb_block_based_options_destroy(ix->topts);
        rocksdb_cache_destroy(ix->cache);
        cn_free(ix);
        return rc;
    }
    ix->wsync = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(ix->wsync, 1);
    ix->wnosync = rocksdb_writeoptions_create();
    ix->ropts = rocksdb_readoptions_create();
    *out = ix;
    return 0;
}

void stor_index_close(stor_index_t *ix)
{
    if (ix == NULL)
        return;
    CN_CHECK_OBJ(ix, IX_MAGIC);
    rocksdb_close(ix->db);
    rocksdb_writeoptions_destroy(ix->wsync);
    rocksdb_writeoptions_destroy(ix->wnosync);
    rocksdb_readoptions_destroy(ix->ropts);
    rocksdb_options_destroy(ix->opts);
    rocksdb_block_based_options_destroy(ix->topts);
    rocksdb_cache_destroy(ix->cache);
    ix->magic = 0;
    cn_free(ix);
}

void stor_index_mem_usage(stor_index_t *ix, uint64_t *memtables, uint64_t *block_cache)
{
    CN_CHECK_OBJ(ix, IX_MAGIC);
    if (rocksdb_property_int(ix->db, "rocksdb.cur-size-all-mem-tables", memtables) != 0)
        *memtables = 0;
    *block_cache = rocksdb_cache_get_usage(ix->cache);
}

uint64_t stor_index_key_estimate(stor_index_t *ix)
{
    uint64_t n;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    return rocksdb_property_int(ix->db, "rocksdb.estimate-num-keys", &n) == 0 ? n : 0;
}

int stor_index_wipe(stor_index_t *ix)
{
    static const char lo[] = "", hi[] = "\xff\xff";
    char *err = NULL;
    rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
    int rc = 0;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    rocksdb_writebatch_delete_range(wb, lo, 0, hi, 2);
    rocksdb_write(ix->db, ix->wsync, wb, &err);
    if (err != NULL)
        rc = stor_rocks_fail("index", "wipe", err);
    rocksdb_writebatch_destroy(wb);
    return rc;
}

void stor_ientry_encode(cn_buf_t *out, const stor_ientry_t *e)
{
    size_t etag_len = strnlen(e->etag, STOR_ETAG_MAX);
    char h[ENT_FIXED + STOR_ETAG_MAX];
    char *p = h;

    *p++ = ENT_VERSION;
    cn_put_u32le(p, e->cid), p += 4;
    cn_put_u32le(p, e->gen), p += 4;
    cn_put_u64le(p, e->off), p += 8;
    cn_put_u32le(p, e->flags), p += 4;
    cn_put_u64le(p, e->clock), p += 8;
    cn_put_u64le(p, e->size), p += 8;
    cn_put_u64le(p, e->mtime_ms), p += 8;
    cn_put_u64le(p, e->body_len), p += 8;
    *p++ = (char)etag_len;
    memcpy(p, e->etag, etag_len), p += etag_len;
    cn_put_u32le(p, (uint32_t)e->meta.len), p += 4;
    cn_buf_reserve(out, (size_t)(p - h) + e->meta.len);
    cn_buf_append(out, h, (size_t)(p - h));
    if (e->meta.len)
        cn_buf_append(out, e->meta.ptr, e->meta.len);
}

int stor_ientry_decode(const char *p, size_t len, stor_ientry_t *e)
{
    size_t etag_len, meta_len;

    if (len < ENT_FIXED || p[0] != ENT_VERSION)
        return CN_ECORRUPT;
    e->cid = cn_get_u32le(p + 1);
    e->gen = cn_get_u32le(p + 5);
    e->off = cn_get_u64le(p + 9);
    e->flags = cn_get_u32le(p + 17);
    e->clock = cn_get_u64le(p + 21);
    e->size = cn_get_u64le(p + 29);
    e->mtime_ms = cn_get_u64le(p + 37);
    e->body_len = cn_get_u64le(p + 45);
    etag_len = (uint8_t)p[53];
    if (etag_len > STOR_ETAG_MAX || len < ENT_FIXED + etag_len)
        return CN_ECORRUPT;
    memcpy(e->etag, p + 54, etag_len);
    e->etag[etag_len] = '\0';
    meta_len = cn_get_u32le(p + 54 + etag_len);
    if (len != ENT_FIXED + etag_len + meta_len)
        return CN_ECORRUPT;
    e->meta = cn_slice(p + 58 + etag_len, meta_len);
    return 0;
}

int stor_index_get_small(stor_index_t *ix, cn_slice_t key, stor_ientry_t *e, char *small,
                         size_t small_len, cn_buf_t *val)
{
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'o', key), vlen;
    rocksdb_pinnableslice_t *ps;
    const char *v;
    char *err = NULL, *dst;
    int rc;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    ps = rocksdb_get_pinned(ix->db, ix->ropts, k, klen, &err);
    if (err != NULL)
        return stor_rocks_fail("index", "get", err);
    if (ps == NULL)
        return CN_ENOENT;
    v = rocksdb_pinnableslice_value(ps, &vlen);
    if (vlen <= small_len) {
        dst = small;
        memcpy(dst, v, vlen);
    } else {
        cn_buf_reset(val);
        cn_buf_append(val, v, vlen);
        dst = val->data;
    }
    rocksdb_pinnableslice_destroy(ps);
    rc = stor_ientry_decode(dst, vlen, e);
    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "key=%.*s: corrupt index entry", (int)key.len, key.ptr);
    return rc;
}

int stor_index_get(stor_index_t *ix, cn_slice_t key, stor_ientry_t *e, cn_buf_t *val)
{
    return stor_index_get_small(ix, key, e, NULL, 0, val);
}

static int get_raw(stor_index_t *ix, const char *k, size_t klen, char *out, size_t outlen)
{
    char *err = NULL, *v;
    size_t vlen;
    int rc = 0;

    v = rocksdb_get(ix->db, ix->ropts, k, klen, &vlen, &err);
    if (err != NULL)
        return stor_rocks_fail("index", "get", err);
    if (v == NULL)
        return CN_ENOENT;
    if (vlen != outlen)
        rc = CN_ECORRUPT;
    else
        memcpy(out, v, vlen);
    rocksdb_free(v);
    return rc;
}

int stor_index_checkpoint_get(stor_index_t *ix, uint32_t cid, uint32_t *gen, uint64_t *off)
{
    char k[5], v[12];
    int rc;

    k[0] = 'c';
    cn_put_u32be(k + 1, cid);
    if ((rc = get_raw(ix, k, sizeof(k), v, sizeof(v))) != 0)
        return rc;
    *gen = cn_get_u32le(v);
    *off = cn_get_u64le(v + 4);
    return 0;
}

int stor_index_u64_get(stor_index_t *ix, const char *name, uint64_t *val)
{
    char k[64], v[8];
    int n = snprintf(k, sizeof(k), "!%s", name), rc;

    if ((rc = get_raw(ix, k, (size_t)n, v, sizeof(v))) != 0)
        return rc;
    *val = cn_get_u64le(v);
    return 0;
}

int stor_index_u64_put(stor_index_t *ix, const char *name, uint64_t val)
{
    char k[64], v[8], *err = NULL;
    int n = snprintf(k, sizeof(k), "!%s", name);

    cn_put_u64le(v, val);
    rocksdb_put(ix->db, ix->wsync, k, (size_t)n, v, sizeof(v), &err);
    return err != NULL ? stor_rocks_fail("index", "put", err) : 0;
}

/* ---- the change journal (issue 22) --------------------------------------------------- */

#define JOURNAL_VERSION 1
#define JOURNAL_FIXED (1 + 8 + 4)

static void journal_key(char k[9], uint64_t seq)
{
    k[0] = 'j';
    cn_put_u64be(k + 1, seq);
}

void stor_index_batch_journal(stor_index_batch_t *b, uint64_t seq, cn_slice_t key,
                              uint64_t clock, uint32_t flags)
{
    char k[9], fixed[JOURNAL_FIXED];
    cn_buf_t v;

    journal_key(k, seq);
    fixed[0] = JOURNAL_VERSION;
    cn_put_u64le(fixed + 1, clock);
    cn_put_u32le(fixed + 9, flags);
    cn_buf_init(&v);
    cn_buf_append(&v, fixed, sizeof(fixed));
    cn_buf_append(&v, key.ptr, key.len);
    rocksdb_writebatch_put(b->wb, k, sizeof(k), v.data, v.len);
    cn_buf_dispose(&v);
}

int stor_index_journal_last(stor_index_t *ix, uint64_t *seq)
{
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it;
    char *err = NULL;
    int rc = 0;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    *seq = 0;
    rocksdb_readoptions_set_iterate_upper_bound(ro, "k", 1);
    it = rocksdb_create_iterator(ix->db, ro);
    rocksdb_iter_seek_to_last(it);
    if (rocksdb_iter_valid(it)) {
        size_t kl;
        const char *kp = rocksdb_iter_key(it, &kl);

        if (kl == 9 && kp[0] == 'j')
            *seq = cn_get_u64be(kp + 1);
    }
    rocksdb_iter_get_error(it, &err);
    if (err != NULL)
        rc = stor_rocks_fail("index", "journal seek", err);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

int stor_index_journal_read(stor_index_t *ix, uint64_t after, size_t max,
                            int (*fn)(uint64_t seq, cn_slice_t key, uint64_t clock,
                                      uint32_t flags, void *arg),
                            void *arg)
{
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it;
    char k[9], *err = NULL;
    size_t n = 0;
    int rc = 0;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    if (after == UINT64_MAX)
        return 0;
    journal_key(k, after + 1);
    rocksdb_readoptions_set_iterate_upper_bound(ro, "k", 1);
    it = rocksdb_create_iterator(ix->db, ro);
    for (rocksdb_iter_seek(it, k, sizeof(k)); rc == 0 && n < max && rocksdb_iter_valid(it);
         rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *kp = rocksdb_iter_key(it, &kl);
        const char *v = rocksdb_iter_value(it, &vl);

        if (kl != 9 || vl < JOURNAL_FIXED || v[0] != JOURNAL_VERSION ||
            vl - JOURNAL_FIXED > STOR_KEY_MAX) {
            CN_LOG(CN_LOG_ERROR, "index: a journal entry does not decode (%zu bytes): skipped",
                   vl);
            continue;
        }
        n++;
        rc = fn(cn_get_u64be(kp + 1), cn_slice(v + JOURNAL_FIXED, vl - JOURNAL_FIXED),
                cn_get_u64le(v + 1), cn_get_u32le(v + 9), arg);
    }
    rocksdb_iter_get_error(it, &err);
    if (err != NULL) {
        int irc = stor_rocks_fail("index", "journal read", err);

        rc = rc != 0 ? rc : irc;
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

int stor_index_journal_trim(stor_index_t *ix, uint64_t upto)
{
    char lo[9], hi[9], *err = NULL;
    rocksdb_writebatch_t *wb;
    int rc = 0;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    if (upto == 0)
        return 0;
    journal_key(lo, 0);
    if (upto == UINT64_MAX) {
        memcpy(hi, "k", 1);
        wb = rocksdb_writebatch_create();
        rocksdb_writebatch_delete_range(wb, lo, sizeof(lo), hi, 1);
    } else {
        journal_key(hi, upto + 1);
        wb = rocksdb_writebatch_create();
        rocksdb_writebatch_delete_range(wb, lo, sizeof(lo), hi, sizeof(hi));
    }
    rocksdb_write(ix->db, ix->wsync, wb, &err);
    if (err != NULL)
        rc = stor_rocks_fail("index", "journal trim", err);
    rocksdb_writebatch_destroy(wb);
    return rc;
}

stor_index_batch_t *stor_index_batch_new(void)
{
    stor_index_batch_t *b = cn_calloc(1, sizeof(*b));

    b->wb = rocksdb_writebatch_create();
    return b;
}

void stor_index_batch_free(stor_index_batch_t *b)
{
    if (b == NULL)
        return;
    rocksdb_writebatch_destroy(b->wb);
    cn_free(b);
}

void stor_index_batch_clear(stor_index_batch_t *b)
{
    rocksdb_writebatch_clear(b->wb);
}

void stor_index_batch_put(stor_index_batch_t *b, cn_slice_t key, const stor_ientry_t *e)
{
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'o', key);
    char small[512];
    cn_buf_t v;

    if (e->meta.len + ENT_FIXED + STOR_ETAG_MAX < sizeof(small)) {
        /* the common case: no allocation */
        cn_buf_t tmp = {small, 0, sizeof(small)};
        stor_ientry_encode(&tmp, e);
        rocksdb_writebatch_put(b->wb, k, klen, tmp.data, tmp.len);
        return;
    }
    cn_buf_init(&v);
    stor_ientry_encode(&v, e);
    rocksdb_writebatch_put(b->wb, k, klen, v.data, v.len);
    cn_buf_dispose(&v);
}

void stor_index_batch_del(stor_index_batch_t *b, cn_slice_t key)
{
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'o', key);

    rocksdb_writebatch_delete(b->wb, k, klen);
}

void stor_index_batch_checkpoint(stor_index_batch_t *b, uint32_t cid, uint32_t gen, uint64_t off)
{
    char k[5], v[12];

    k[0] = 'c';
    cn_put_u32be(k + 1, cid);
    cn_put_u32le(v, gen);
    cn_put_u64le(v + 4, off);
    rocksdb_writebatch_put(b->wb, k, sizeof(k), v, sizeof(v));
}

size_t stor_index_batch_count(stor_index_batch_t *b)
{
    return (size_t)rocksdb_writebatch_count(b->wb);
}

int stor_index_batch_write(stor_index_t *ix, stor_index_batch_t *b, int sync)
{
    char *err = NULL;

    CN_CHECK_OBJ(ix, IX_MAGIC);
    rocksdb_write(ix->db, sync ? ix->wsync : ix->wnosync, b->wb, &err);
    return err != NULL ? stor_rocks_fail("index", "write", err) : 0;
}

int stor_index_scan(stor_index_t *ix, cn_slice_t start_after, size_t max,
                    int (*fn)(cn_slice_t key, const stor_ientry_t *e, void *arg), void *arg,
                    int *more)
{
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it;
    char k[STOR_KEY_MAX + 1];
    size_t klen = mk_key(k, 'o', start_after), n = 0;
    char *err = NULL;
    int rc = 0;

    *more = 0;
    rocksdb_readoptions_set_iterate_upper_bound(ro, "p", 1);
    rocksdb_readoptions_set_fill_cache(ro, 0);
    it = rocksdb_create_iterator(ix->db, ro);
    rocksdb_iter_seek(it, k, klen);
    for (; rc == 0 && rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vlen;
        const char *kp = rocksdb_iter_key(it, &kl);
        const char *v = rocksdb_iter_value(it, &vlen);
        stor_ientry_t e;

        if (kl == klen && memcmp(kp, k, klen) == 0)
            continue; /* start_after itself */
        if (n == max) {
            *more = 1;
            break;
        }
        n++;
        if (stor_ientry_decode(v, vlen, &e) != 0)
            continue;
        rc = fn(cn_slice(kp + 1, kl - 1), &e, arg);
    }
    rocksdb_iter_get_error(it, &err);
    if (err != NULL) {
        int irc = stor_rocks_fail("index", "iterate", err);

        rc = rc != 0 ? rc : irc;
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

int stor_index_foreach(stor_index_t *ix,
                       int (*fn)(cn_slice_t key, const stor_ientry_t *e, void *arg), void *arg)
{
    int more;

    /* the whole index: a scan from the first key (no object key is empty), without a bound */
    return stor_index_scan(ix, cn_slice("", 0), SIZE_MAX, fn, arg, &more);
}

/* ---- listing ------------------------------------------------------------------------ */

static int list_decode(const char *val, size_t len, stor_obj_meta_t *m)
{
    stor_ientry_t e;
    int rc;

    if ((rc = stor_ientry_decode(val, len, &e)) != 0)
        return rc;
    *m = (stor_obj_meta_t){.clock = e.clock, .size = e.size, .mtime_ms = e.mtime_ms,
                           .flags = e.flags & ~STOR_IDX_BAD, .meta = e.meta};
    memcpy(m->etag, e.etag, sizeof(m->etag));
    return 0;
}

int stor_index_list(stor_index_t *ix, cn_slice_t prefix, cn_slice_t start_after,
                    size_t max_keys, cn_slice_t delim, unsigned opts, cn_slice_t pick,
                    cn_buf_t *out, int *truncated, uint64_t *steps)
{
    CN_CHECK_OBJ(ix, IX_MAGIC);
    return stor__list_walk(ix->db, 'o', list_decode, prefix, start_after, max_keys, delim,
                           opts, pick, out, truncated, steps);
}
