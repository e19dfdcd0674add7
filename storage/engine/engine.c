/*
 * storage/engine/engine.c: the engine front: picks an implementation by kind, checks arguments
 * once for every engine (key length, clock, size) and keeps the counters.
 * Invariants: e->ops and e->impl are set for the engine's whole life. Counters are updated
 * with relaxed atomics (they are statistics, not synchronisation).
 */
#include "storage/engine/engine.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define STOR_ENGINE_MAGIC 0x53454e47u /* "SENG" */

struct stor_engine {
    uint32_t magic;
    const struct stor_engine_ops *ops;
    void *impl;
    stor_engine_stats_t stats;
};

static const struct stor_engine_ops *const engines[] = {
    &stor__engine_container_ops,
    &stor__engine_simple_ops,
};

static int key_ok(cn_slice_t key)
{
    return key.len > 0 && key.len <= STOR_KEY_MAX && key.ptr != NULL;
}

static void count(uint64_t *c, uint64_t n)
{
    __atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

/* stor_engine_put's argument checks (CN_EINVAL or 0) */
static int put_ok(cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body)
{
    if (!key_ok(key) || m == NULL || m->clock == 0 ||
        (m->size != body.len && !(m->flags & CN_OBJ_MANIFEST)) ||
        strnlen(m->etag, sizeof(m->etag)) > STOR_ETAG_MAX || m->meta.len > STOR_META_MAX ||
        (body.len > 0 && body.ptr == NULL) || (m->meta.len > 0 && m->meta.ptr == NULL))
        return CN_EINVAL;
    return 0;
}

int stor_engine_open(const char *dir, const stor_engine_opts_t *opts, stor_engine_t **out)
{
    static const stor_engine_opts_t defaults = {0};
    const struct stor_engine_ops *ops = NULL;
    const char *kind;
    stor_engine_t *e;
    int rc;

    if (opts == NULL)
        opts = &defaults;
    kind = opts->kind && *opts->kind ? opts->kind : "container";
    for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++)
        if (strcmp(engines[i]->kind, kind) == 0)
            ops = engines[i];
    if (ops == NULL || dir == NULL || *dir == '\0')
        return CN_EINVAL;
    e = cn_calloc(1, sizeof(*e));
    e->magic = STOR_ENGINE_MAGIC;
    e->ops = ops;
    if ((rc = ops->open(dir, opts, &e->impl)) != 0) {
        e->magic = 0;
        cn_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

void stor_engine_close(stor_engine_t *e)
{
    if (e == NULL)
        return;
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    e->ops->close(e->impl);
    e->magic = 0;
    cn_free(e);
}

int stor_engine_put(stor_engine_t *e, cn_slice_t key, const stor_obj_meta_t *m, cn_slice_t body)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (put_ok(key, m, body) != 0)
        return CN_EINVAL;
    count(&e->stats.puts, 1);
    return e->ops->put(e->impl, key, m, body);
}

int stor_engine_put_prev(stor_engine_t *e, cn_slice_t key, const stor_obj_meta_t *m,
                         cn_slice_t body, stor_engine_prev_t *prev)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    CN_ASSERT(prev != NULL);
    memset(&prev->m, 0, sizeof(prev->m));
    prev->rc = CN_ENOENT;
    if (put_ok(key, m, body) != 0)
        return CN_EINVAL;
    count(&e->stats.puts, 1);
    return e->ops->put_prev(e->impl, key, m, body, prev);
}

int stor_engine_write(stor_engine_t *e, cn_slice_t key, const stor_obj_meta_t *m,
                      cn_slice_t body)
{
    stor_engine_wr_t w = {.key = key, .m = m, .body = body};

    if (!(m->flags & CN_OBJ_TOMBSTONE))
        return stor_engine_put(e, key, m, body);
    if (!(m->flags & CN_OBJ_JOURNALED))
        return stor_engine_delete(e, key, m->clock);
    stor_engine_write_many(e, &w, 1); /* the one delete that carries flags */
    return w.rc;
}

void stor_engine_write_many(stor_engine_t *e, stor_engine_wr_t *w, size_t n)
{
    stor_engine_wr_t *ok = cn_malloc((n ? n : 1) * sizeof(*ok));
    size_t *at = cn_malloc((n ? n : 1) * sizeof(*at)), m = 0;
    uint64_t puts = 0, dels = 0;

    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    /* refused items answer at once; the rest go to the engine together */
    for (size_t i = 0; i < n; i++) {
        int tomb = w[i].m != NULL && (w[i].m->flags & CN_OBJ_TOMBSTONE);

        w[i].rc = tomb ? (key_ok(w[i].key) && w[i].m->clock != 0 ? 0 : CN_EINVAL)
                       : put_ok(w[i].key, w[i].m, w[i].body);
        if (w[i].rc != 0)
            continue;
        puts += !tomb;
        dels += tomb;
        at[m] = i;
        ok[m++] = w[i];
    }
    count(&e->stats.puts, puts);
    count(&e->stats.deletes, dels);
    if (e->ops->write_many != NULL) {
        e->ops->write_many(e->impl, ok, m);
    } else {
        for (size_t i = 0; i < m; i++)
            ok[i].rc = (ok[i].m->flags & CN_OBJ_TOMBSTONE)
                           ? e->ops->del(e->impl, ok[i].key, ok[i].m->clock)
                           : e->ops->put(e->impl, ok[i].key, ok[i].m, ok[i].body);
    }
    for (size_t i = 0; i < m; i++)
        w[at[i]].rc = ok[i].rc;
    cn_free(ok);
    cn_free(at);
}

int stor_engine_get(stor_engine_t *e, cn_slice_t key, uint64_t off, uint64_t len,
                    stor_obj_meta_t *m, cn_buf_t *meta_out, cn_buf_t *body_out)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (!key_ok(key) || m == NULL)
        return CN_EINVAL;
    count(&e->stats.gets, 1);
    return e->ops->get(e->impl, key, off, len, m, meta_out, body_out);
}

int stor_engine_head(stor_engine_t *e, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out)
{
    return stor_engine_get(e, key, 0, 0, m, meta_out, NULL);
}

int stor_engine_delete(stor_engine_t *e, cn_slice_t key, uint64_t clock)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (!key_ok(key) || clock == 0)
        return CN_EINVAL;
    count(&e->stats.deletes, 1);
    return e->ops->del(e->impl, key, clock);
}

int stor_engine_list(stor_engine_t *e, cn_slice_t prefix, cn_slice_t start_after,
                     size_t max_keys, cn_slice_t delimiter, unsigned opts, cn_slice_t pick,
                     cn_buf_t *out_listing, int *truncated)
{
    uint64_t steps = 0;
    int rc;

    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (prefix.len > STOR_KEY_MAX || start_after.len > STOR_KEY_MAX ||
        delimiter.len > STOR_KEY_MAX || out_listing == NULL || truncated == NULL)
        return CN_EINVAL;
    if (max_keys > STOR_LIST_MAX_KEYS)
        max_keys = STOR_LIST_MAX_KEYS;
    count(&e->stats.lists, 1);
    rc = e->ops->list(e->impl, prefix, start_after, max_keys, delimiter, opts, pick,
                      out_listing, truncated, &steps);
    count(&e->stats.list_steps, steps);
    return rc;
}

int stor_engine_stat(stor_engine_t *e, cn_slice_t key, stor_obj_meta_t *m, cn_buf_t *meta_out)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (!key_ok(key) || m == NULL)
        return CN_EINVAL;
    return e->ops->stat(e->impl, key, m, meta_out);
}

int stor_engine_scan(stor_engine_t *e, cn_slice_t start_after, size_t max, stor_scan_fn fn,
                     void *arg, int *more)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    *more = 0;
    if (start_after.len > STOR_KEY_MAX || fn == NULL)
        return CN_EINVAL;
    return e->ops->scan(e->impl, start_after, max, fn, arg, more);
}

int stor_engine_drop(stor_engine_t *e, cn_slice_t key, uint64_t clock)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (!key_ok(key) || clock == 0)
        return CN_EINVAL;
    return e->ops->drop(e->impl, key, clock);
}

void stor_engine_stats(stor_engine_t *e, stor_engine_stats_t *out)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    out->puts = __atomic_load_n(&e->stats.puts, __ATOMIC_RELAXED);
    out->gets = __atomic_load_n(&e->stats.gets, __ATOMIC_RELAXED);
    out->deletes = __atomic_load_n(&e->stats.deletes, __ATOMIC_RELAXED);
    out->lists = __atomic_load_n(&e->stats.lists, __ATOMIC_RELAXED);
    out->list_steps = __atomic_load_n(&e->stats.list_steps, __ATOMIC_RELAXED);
}

static int compact_cmd(stor_engine_t *e, int cmd, uint32_t n, stor_compact_status_t *st)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    if (e->ops->compact == NULL)
        return CN_EINVAL;
    return e->ops->compact(e->impl, cmd, n, st);
}

int stor_engine_compact_start(stor_engine_t *e, uint32_t n)
{
    return compact_cmd(e, STOR_CMD_START, n, NULL);
}

int stor_engine_compact_suspend(stor_engine_t *e)
{
    return compact_cmd(e, STOR_CMD_SUSPEND, 0, NULL);
}

int stor_engine_compact_resume(stor_engine_t *e)
{
    return compact_cmd(e, STOR_CMD_RESUME, 0, NULL);
}

int stor_engine_compact_status(stor_engine_t *e, stor_compact_status_t *out)
{
    return compact_cmd(e, STOR_CMD_STATUS, 0, out);
}

int stor_engine_scrub_start(stor_engine_t *e)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    return e->ops->scrub ? e->ops->scrub(e->impl, STOR_CMD_START, NULL) : CN_EINVAL;
}

int stor_engine_scrub_status(stor_engine_t *e, stor_scrub_status_t *out)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    return e->ops->scrub ? e->ops->scrub(e->impl, STOR_CMD_STATUS, out) : CN_EINVAL;
}

int stor_engine_disk_usage(stor_engine_t *e, uint64_t *bytes)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    *bytes = 0;
    return e->ops->disk_usage ? e->ops->disk_usage(e->impl, bytes) : 0;
}

uint64_t stor_engine_key_estimate(stor_engine_t *e)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    return e->ops->key_estimate ? e->ops->key_estimate(e->impl) : 0;
}

int stor_engine_mem_usage(stor_engine_t *e, uint64_t *memtables, uint64_t *block_cache)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    *memtables = *block_cache = 0;
    return e->ops->mem_usage ? e->ops->mem_usage(e->impl, memtables, block_cache) : 0;
}

int stor_engine_journal_read(stor_engine_t *e, uint64_t after, size_t max, stor_journal_fn fn,
                             void *arg)
{
    return e->ops->journal ? e->ops->journal(e->impl, STOR_JOURNAL_READ, after, max, fn, arg,
                                             NULL)
                           : CN_EINVAL;
}

int stor_engine_journal_trim(stor_engine_t *e, uint64_t upto)
{
    return e->ops->journal ? e->ops->journal(e->impl, STOR_JOURNAL_TRIM, upto, 0, NULL, NULL,
                                             NULL)
                           : CN_EINVAL;
}

int stor_engine_journal_add(stor_engine_t *e, cn_slice_t key, uint64_t clock, uint32_t flags)
{
    CN_CHECK_OBJ(e, STOR_ENGINE_MAGIC);
    return e->ops->journal_add ? e->ops->journal_add(e->impl, key, clock, flags) : CN_EINVAL;
}

int stor_engine_journal_last(stor_engine_t *e, uint64_t *seq)
{
    *seq = 0;
    return e->ops->journal ? e->ops->journal(e->impl, STOR_JOURNAL_LAST, 0, 0, NULL, NULL, seq)
                           : CN_EINVAL;
}
