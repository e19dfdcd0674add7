/*
 * gateway/cache/mcache.c: sharded, refcounted LRU of whole small objects (see mcache.h).
 *
 * Invariants (per shard, under its lock): every linked entry is in exactly one hash chain and
 * in the LRU list, holds one reference for the shard, and sh->bytes is the sum of the linked
 * entries' charges, at most sh->capacity after every put. An unlinked entry lives while
 * readers hold references. Lock order: one shard lock at a time, never nested.
 * Stats counters are plain integers guarded by the shard lock and summed on demand.
 */
#include "gateway/cache/mcache.h"

#include <pthread.h>
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"

#define MC_DEFAULT_SHARDS 16
#define MC_MIN_BUCKETS 64
#define MC_ENT_OVERHEAD 64 /* charged per entry besides its struct: the allocator's share */

typedef struct mc_shard {
    pthread_mutex_t lock;
    gw_mcache_ent_t **tab;
    size_t nbuckets; /* power of two */
    size_t n;
    uint64_t bytes, capacity;
    uint64_t gen; /* bumped by every invalidation in this shard */
    gw_mcache_ent_t *head, *tail;
    gw_cache_stats_t st;
} mc_shard_t;

struct gw_mcache {
    uint64_t max_object;
    uint64_t capacity;
    unsigned nshards; /* power of two */
    mc_shard_t *shards;
};

static uint32_t key_hash(cn_slice_t key)
{
    return cn_crc32c(0x9e3779b9u, key.ptr, key.len);
}

static mc_shard_t *shard_of(gw_mcache_t *mc, uint32_t h)
{
    /* the low bits pick the bucket, the high ones the shard */
    return &mc->shards[(h >> 24) & (mc->nshards - 1)];
}

int gw_mcache_create(const gw_mcache_opts_t *opts, gw_mcache_t **out)
{
    unsigned n = opts->nshards ? opts->nshards : MC_DEFAULT_SHARDS, p = 1;
    gw_mcache_t *mc;

    if (n > 256)
        return CN_EINVAL;
    while (p < n)
        p <<= 1;
    mc = cn_calloc(1, sizeof(*mc));
    mc->max_object = opts->max_object_bytes;
    mc->capacity = opts->capacity_bytes;
    mc->nshards = p;
    mc->shards = cn_calloc(p, sizeof(mc_shard_t));
    for (unsigned i = 0; i < p; i++) {
        mc_shard_t *sh = &mc->shards[i];
        pthread_mutex_init(&sh->lock, NULL);
        sh->nbuckets = MC_MIN_BUCKETS;
        sh->tab = cn_calloc(sh->nbuckets, sizeof(*sh->tab));
        sh->capacity = opts->capacity_bytes / p;
    }
    *out = mc;
    return 0;
}

static void ent_free(gw_mcache_ent_t *e)
{
    e->magic = 0;
    cn_free(e);
}

void gw_mcache_ref(gw_mcache_ent_t *e)
{
    CN_CHECK_OBJ(e, GW_MCACHE_ENT_MAGIC);
    atomic_fetch_add_explicit(&e->_refcnt, 1, memory_order_relaxed);
}

void gw_mcache_unref(gw_mcache_ent_t *e)
{
    if (!e)
        return;
    CN_CHECK_OBJ(e, GW_MCACHE_ENT_MAGIC);
    uint32_t old = atomic_fetch_sub_explicit(&e->_refcnt, 1, memory_order_acq_rel);
    CN_ASSERT(old > 0);
    if (old == 1)
        ent_free(e);
}

/* ---- shard internals (lock held) ------------------------------------------------------ */

static gw_mcache_ent_t **do_find_slot(mc_shard_t *sh, uint32_t h, cn_slice_t key)
{
    gw_mcache_ent_t **pp = &sh->tab[h & (sh->nbuckets - 1)];
    while (*pp && !((*pp)->_hash == h && cn_slice_eq((*pp)->key, key)))
        pp = &(*pp)->_hnext;
    return pp;
}

static void do_lru_unlink(mc_shard_t *sh, gw_mcache_ent_t *e)
{
    if (e->_prev)
        e->_prev->_next = e->_next;
    else
        sh->head = e->_next;
    if (e->_next)
        e->_next->_prev = e->_prev;
    else
        sh->tail = e->_prev;
    e->_prev = e->_next = NULL;
}

static void do_lru_push_head(mc_shard_t *sh, gw_mcache_ent_t *e)
{
    e->_prev = NULL;
    e->_next = sh->head;
    if (sh->head)
        sh->head->_prev = e;
    sh->head = e;
    if (!sh->tail)
        sh->tail = e;
}

/* Unlinks e from table and LRU and drops the shard's reference. */
static void do_remove(mc_shard_t *sh, gw_mcache_ent_t *e)
{
    gw_mcache_ent_t **pp = do_find_slot(sh, e->_hash, e->key);
    CN_ASSERT(*pp == e);
    *pp = e->_hnext;
    e->_hnext = NULL;
    do_lru_unlink(sh, e);
    e->_linked = 0;
    sh->n--;
    sh->bytes -= e->_charge;
    gw_mcache_unref(e);
}

static void do_grow(mc_shard_t *sh)
{
    size_t nb = sh->nbuckets * 2;
    gw_mcache_ent_t **tab = cn_calloc(nb, sizeof(*tab));
    for (size_t i = 0; i < sh->nbuckets; i++) {
        gw_mcache_ent_t *e = sh->tab[i], *next;
        for (; e; e = next) {
            next = e->_hnext;
            e->_hnext = tab[e->_hash & (nb - 1)];
            tab[e->_hash & (nb - 1)] = e;
        }
    }
    cn_free(sh->tab);
    sh->tab = tab;
    sh->nbuckets = nb;
}

/* ---- public ------------------------------------------------------------------------- */

gw_mcache_ent_t *gw_mcache_get(gw_mcache_t *mc, cn_slice_t key)
{
    uint32_t h = key_hash(key);
    mc_shard_t *sh = shard_of(mc, h);
    gw_mcache_ent_t *e;

    pthread_mutex_lock(&sh->lock);
    e = *do_find_slot(sh, h, key);
    if (e) {
        if (sh->head != e) {
            do_lru_unlink(sh, e);
            do_lru_push_head(sh, e);
        }
        atomic_fetch_add_explicit(&e->_refcnt, 1, memory_order_relaxed);
        sh->st.hits++;
    } else {
        sh->st.misses++;
    }
    pthread_mutex_unlock(&sh->lock);
    return e;
}

uint64_t gw_mcache_ticket(gw_mcache_t *mc, cn_slice_t key)
{
    mc_shard_t *sh = shard_of(mc, key_hash(key));
    uint64_t g;
    pthread_mutex_lock(&sh->lock);
    g = sh->gen;
    pthread_mutex_unlock(&sh->lock);
    return g;
}

int gw_mcache_put(gw_mcache_t *mc, cn_slice_t key, const gw_cache_info_t *info, cn_slice_t meta,
                  cn_slice_t body, uint64_t ticket)
{
    uint32_t h = key_hash(key);
    mc_shard_t *sh = shard_of(mc, h);
    size_t charge = sizeof(gw_mcache_ent_t) + key.len + meta.len + body.len + MC_ENT_OVERHEAD;
    gw_mcache_ent_t *e, **pp;
    char *p;
    int rc = 0;

    if (body.len > mc->max_object || charge > sh->capacity) {
        pthread_mutex_lock(&sh->lock);
        sh->st.rejected++;
        pthread_mutex_unlock(&sh->lock);
        return CN_E2BIG;
    }
    /* build outside the lock: one allocation, struct then key, meta, body */
    e = cn_malloc(sizeof(*e) + key.len + meta.len + body.len + 1);
    memset(e, 0, sizeof(*e));
    e->magic = GW_MCACHE_ENT_MAGIC;
    e->info = *info;
    e->info.etag[GW_CACHE_ETAG_MAX - 1] = '\0';
    p = (char *)(e + 1);
    memcpy(p, key.ptr, key.len);
    e->key = cn_slice(p, key.len);
    p += key.len;
    if (meta.len)
        memcpy(p, meta.ptr, meta.len);
    e->meta = cn_slice(p, meta.len);
    p += meta.len;
    if (body.len)
        memcpy(p, body.ptr, body.len);
    e->body = cn_slice(p, body.len);
    p[body.len] = '\0';
    e->_hash = h;
    e->_charge = charge;
    atomic_init(&e->_refcnt, 1);
    atomic_init(&e->validated_ms, 0);

    pthread_mutex_lock(&sh->lock);
    if (sh->gen != ticket) {
        sh->st.rejected++;
        rc = CN_ESTALE;
        goto out_unlock;
    }
    pp = do_find_slot(sh, h, key);
    if (*pp) {
        if ((*pp)->info.clock > info->clock) {
            sh->st.rejected++;
            rc = CN_ESTALE;
            goto out_unlock;
        }
        do_remove(sh, *pp);
    }
    while (sh->bytes + charge > sh->capacity && sh->tail) {
        do_remove(sh, sh->tail);
        sh->st.evictions++;
    }
    if (sh->n + 1 > sh->nbuckets)
        do_grow(sh);
    pp = &sh->tab[h & (sh->nbuckets - 1)];
    e->_hnext = *pp;
    *pp = e;
    do_lru_push_head(sh, e);
    e->_linked = 1;
    sh->n++;
    sh->bytes += charge;
    sh->st.inserts++;
    e = NULL;
out_unlock:
    pthread_mutex_unlock(&sh->lock);
    if (e)
        ent_free(e);
    return rc;
}

int gw_mcache_invalidate(gw_mcache_t *mc, cn_slice_t key)
{
    uint32_t h = key_hash(key);
    mc_shard_t *sh = shard_of(mc, h);
    gw_mcache_ent_t *e;
    int dropped = 0;

    pthread_mutex_lock(&sh->lock);
    sh->gen++;
    e = *do_find_slot(sh, h, key);
    if (e) {
        do_remove(sh, e);
        sh->st.invalidations++;
        dropped = 1;
    }
    pthread_mutex_unlock(&sh->lock);
    return dropped;
}

void gw_mcache_clear(gw_mcache_t *mc)
{
    for (unsigned i = 0; i < mc->nshards; i++) {
        mc_shard_t *sh = &mc->shards[i];
        pthread_mutex_lock(&sh->lock);
        sh->gen++;
        while (sh->tail) {
            do_remove(sh, sh->tail);
            sh->st.invalidations++;
        }
        pthread_mutex_unlock(&sh->lock);
    }
}

void gw_mcache_stats(gw_mcache_t *mc, gw_cache_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    out->capacity = mc->capacity;
    for (unsigned i = 0; i < mc->nshards; i++) {
        mc_shard_t *sh = &mc->shards[i];
        pthread_mutex_lock(&sh->lock);
        out->hits += sh->st.hits;
        out->misses += sh->st.misses;
        out->inserts += sh->st.inserts;
        out->evictions += sh->st.evictions;
        out->invalidations += sh->st.invalidations;
        out->rejected += sh->st.rejected;
        out->bytes += sh->bytes;
        out->entries += sh->n;
        pthread_mutex_unlock(&sh->lock);
    }
}

void gw_mcache_destroy(gw_mcache_t *mc)
{
    if (!mc)
        return;
    gw_mcache_clear(mc);
    for (unsigned i = 0; i < mc->nshards; i++) {
        pthread_mutex_destroy(&mc->shards[i].lock);
        cn_free(mc->shards[i].tab);
    }
    cn_free(mc->shards);
    cn_free(mc);
}
