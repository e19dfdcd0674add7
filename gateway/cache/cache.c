/*
 * gateway/cache/cache.c: the caches in the GET/HEAD path (see cache.h for the coherence rules).
 *
 * A GET/HEAD first looks in the memory cache; a hit is validated (a storage `head`) when the
 * mode asks for it, then handed to the caller's answer function (gw_cache_get). A memory miss looks in the disk
 * cache index; a disk hit is validated, then read in a uv_queue_work job. A full miss of a
 * plain GET joins the key's flight: the leader reads storage (and fills), waiters are woken
 * with the filled entry and treat it as a hit. Everything that goes wrong on the cache side
 * (stale, validation error, corrupt file, fill refused) falls back to the storage path.
 *
 * Lifetime: a request waiting on a validation, a flight or a disk job holds one r->http.pending,
 * released with gw_req_rpc_done (which tells when the request is gone). Disk jobs hold
 * c->jobs; gw_cache_stop frees the cache after the last one.
 */
#include "gateway/cache/cache.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"
#include "gateway/s3/chunk.h"
#include "gateway/cache/coalesce.h"
#include "gateway/link/mgr_link.h"
#include "gateway/link/stor_link.h"
#include "gateway/gateway.h"
#include "gateway/workers.h"

#define GW_CACHE_MAGIC 0x67636368u /* "gcch" */
#define GW_CACHE_OP_INVALIDATE "cache_invalidate"
#define GW_CACHE_OP_GET_INVALIDATIONS "get_invalidations"

#define GW_CACHE_VBUCKETS 256
typedef struct vflight vflight_t;

struct gw_cache {
    uint32_t magic;
    gw_server_t *srv;
    struct gw_cache_conf conf;
    gw_mcache_t *mc;
    gw_dcache_t *dc;
    gw_flights_t *fl;
    gw_cache_counters_t n; /* this worker's; written with COUNT, summed by gw_cache_counters */
    int jobs;            /* disk jobs running */
    int stopping;
    uint64_t inval_seq;  /* the manager's invalidation feed position we hold */
    uint64_t inval_asked; /* the `since` of the get_invalidations in flight */
    int inval_fetching;
    int feed_unknown;    /* the manager does not serve the feed: stop asking */
    vflight_t *vtab[GW_CACHE_VBUCKETS]; /* validations in flight, by key */
};

/* A counter of this worker's glue, read by worker 0 for /metrics and the heartbeat: relaxed
 * atomics, one writer. */
#define COUNT(c, field, v) __atomic_fetch_add(&(c)->n.field, (v), __ATOMIC_RELAXED)

void gw_cache_shared_init(struct gw_cache_shared *cs)
{
    memset(cs, 0, sizeof(*cs));
    pthread_mutex_init(&cs->own_lock, NULL);
}

static gw_cache_t *cache_of(gw_server_t *s)
{
    return s->cache;
}

int gw_cache_start(gw_server_t *s)
{
    gw_cache_t *c = cn_calloc(1, sizeof(*c));
    gw_mcache_opts_t mo = {0};
    int rc;

    c->magic = GW_CACHE_MAGIC;
    c->srv = s;
    c->conf = s->conf.cache;
    mo.capacity_bytes = c->conf.mem_capacity;
    mo.max_object_bytes = c->conf.mem_max_object;
    if (s->sh->cache.made) { /* another worker's: worker 0 made them */
        c->mc = s->sh->cache.mc;
        c->dc = s->sh->cache.dc;
        c->fl = gw_flights_create();
        s->cache = c;
        return 0;
    }
    if ((rc = gw_mcache_create(&mo, &c->mc)) != 0)
        goto out_free;
    if (c->conf.disk_dir && c->conf.disk_dir[0] && c->conf.disk_capacity > 0) {
        gw_dcache_opts_t d = {.dir = c->conf.disk_dir,
                              .capacity_bytes = c->conf.disk_capacity,
                              .max_object_bytes = c->conf.disk_max_object};
        if ((rc = gw_dcache_open(&d, &c->dc)) != 0) {
            CN_LOG(CN_LOG_ERROR, "cache.disk_dir %s: %s", c->conf.disk_dir, cn_strerror(rc));
            goto out_mc;
        }
    }
    if (c->conf.mem_capacity > 0 && c->conf.mem_max_object > c->conf.mem_capacity / 16)
        CN_LOG(CN_LOG_WARN,
               "cache.mem_max_object %" PRIu64 " is above a 16th of cache.mem_capacity: objects "
               "larger than %" PRIu64 " bytes will not fit a shard",
               c->conf.mem_max_object, c->conf.mem_capacity / 16);
    c->fl = gw_flights_create();
    s->cache = c;
    s->sh->cache.mc = c->mc;
    s->sh->cache.dc = c->dc;
    s->sh->cache.made = 1;
    CN_LOG(CN_LOG_INFO,
           "cache: memory %" PRIu64 " bytes (objects <= %" PRIu64 "), disk %s, validate=%d "
           "ttl_ms=%" PRIu64,
           c->conf.mem_capacity, c->conf.mem_max_object, c->dc ? c->conf.disk_dir : "off",
           c->conf.validate, c->conf.ttl_ms);
    return 0;
out_mc:
    gw_mcache_destroy(c->mc);
out_free:
    cn_free(c);
    return rc;
}

static void cache_free(gw_cache_t *c)
{
    c->magic = 0;
    cn_free(c);
}

/* At stop: worker 0 logs the caches' totals with its counters; another worker its own
 * counters only (the caches are the gateway's: their totals are logged once). */
static void log_counters(gw_server_t *s, gw_cache_t *c)
{
    gw_cache_stats_t m, d = {0};

    if (s->idx != 0) {
        CN_LOG(CN_LOG_INFO,
               "cache: worker %u: checked=%" PRIu64 " heads=%" PRIu64 " stale=%" PRIu64
               " errors=%" PRIu64 " coalesced=%" PRIu64 " served=%" PRIu64 "+%" PRIu64,
               s->idx, c->n.validated_hits, c->n.validations, c->n.validations_stale,
               c->n.validation_errors, c->n.coalesced, c->n.served_mem, c->n.served_disk);
        return;
    }
    gw_mcache_stats(c->mc, &m);
    if (c->dc)
        gw_dcache_stats(c->dc, &d);
    CN_LOG(CN_LOG_INFO,
           "cache: memory hits=%" PRIu64 " misses=%" PRIu64 " evictions=%" PRIu64
           " bytes=%" PRIu64 " entries=%" PRIu64 "; disk hits=%" PRIu64 " misses=%" PRIu64
           " evictions=%" PRIu64 " corrupt=%" PRIu64 " bytes=%" PRIu64 "; checked=%" PRIu64
           " heads=%" PRIu64 " stale=%" PRIu64 " errors=%" PRIu64 " coalesced=%" PRIu64
           " served=%" PRIu64 "+%" PRIu64,
           m.hits, m.misses, m.evictions, m.bytes, m.entries, d.hits, d.misses, d.evictions,
           d.corrupt, d.bytes, c->n.validated_hits, c->n.validations, c->n.validations_stale,
           c->n.validation_errors, c->n.coalesced, c->n.served_mem, c->n.served_disk);
}

void gw_cache_stop(gw_server_t *s)
{
    gw_cache_t *c = cache_of(s);
    if (!c)
        return;
    log_counters(s, c);
    s->cache = NULL;
    gw_flights_destroy(c->fl); /* waiters fall back to storage, which fails fast: stopping */
    c->fl = NULL;
    c->stopping = 1;
    if (c->jobs == 0)
        cache_free(c);
}

/* ---- serving ---------------------------------------------------------------------------- */

static cn_slice_t op_key(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;
    return cn_slice(o->key.data, o->key.len);
}

/* The lookup's outcome, through the function its caller gave gw_cache_get. */
static void answer_hit(gw_req_t *r, const gw_cache_info_t *info, cn_slice_t meta,
                       cn_slice_t body)
{
    gw_obj_op_t *o = r->op;
    gw_cache_hit_t h = {info, meta, body};

    o->cache.answer(r, &h);
}

static void answer_miss(gw_req_t *r)
{
    gw_obj_op_t *o = r->op;

    o->cache.answer(r, NULL);
}

static int fresh_enough(gw_cache_t *c, gw_mcache_ent_t *e)
{
    uint64_t v = atomic_load_explicit(&e->validated_ms, memory_order_relaxed);
    if (c->conf.validate)
        return c->conf.ttl_ms > 0 && cn_mono_ms() - v < c->conf.ttl_ms;
    return c->conf.ttl_ms == 0 || cn_mono_ms() - v < c->conf.ttl_ms;
}

static void serve_ent(gw_req_t *r, gw_cache_t *c)
{
    gw_obj_op_t *o = r->op;
    gw_mcache_ent_t *e = o->cache.ent;
    COUNT(c, served_mem, 1);
    COUNT(c, bytes_served, o->head ? 0 : e->body.len);
    answer_hit(r, &e->info, e->meta, e->body);
}

static int same_version(const gw_cache_info_t *info, const cn_msg_t *resp)
{
    char etag[GW_CACHE_ETAG_MAX];
    uint64_t clock = 0, flags = 0;
    if (cn_msg_get_str(resp, "etag", etag, sizeof(etag)) != 0 ||
        cn_msg_get_u64(resp, "clock", &clock) != 0)
        return 0;
    cn_msg_get_u64(resp, "flags", &flags);
    return clock == info->clock && strcmp(etag, info->etag) == 0 &&
           (flags & (CN_OBJ_TOMBSTONE | CN_OBJ_MANIFEST)) == 0;
}

static void disk_read(gw_req_t *r, gw_cache_t *c);

/* The storage path, arming a fill when it is a plain GET. */
static void to_storage(gw_req_t *r, gw_cache_t *c)
{
    gw_obj_op_t *o = r->op;
    if (c && !o->head && !gw_req_header(r, "range").ptr && !o->cache.fill) {
        o->cache.fill = 1;
        o->cache.mticket = gw_mcache_ticket(c->mc, op_key(r));
        o->cache.dticket = c->dc ? gw_dcache_ticket(c->dc) : 0;
    }
    answer_miss(r);
}

/* A validation's answer for one request: serve its hit when the version is the one cached,
 * otherwise drop the entry and go to storage. */
static void validated(gw_req_t *r, int status, const cn_msg_t *resp)
{
    gw_cache_t *c;
    int rc = status ? status : cn_msg_rc(resp);

    if (gw_req_rpc_done(r))
        return;
    gw_obj_op_t *o = r->op;
    c = cache_of(r->srv);
    if (!c) {
        answer_miss(r);
        return;
    }
    const gw_cache_info_t *info = o->cache.disk ? &o->cache.dinfo : &o->cache.ent->info;
    if (rc == 0 && same_version(info, resp)) {
        if (o->cache.disk) {
            disk_read(r, c);
        } else {
            atomic_store_explicit(&o->cache.ent->validated_ms, cn_mono_ms(),
                                  memory_order_relaxed);
            serve_ent(r, c);
        }
        return;
    }
    if (rc == 0 || rc == CN_ENOENT) {
        COUNT(c, validations_stale, 1);
        gw_cache_invalidate(r->srv, o->key.data, o->key.len);
    } else {
        COUNT(c, validation_errors, 1);
    }
    gw_mcache_unref(o->cache.ent);
    o->cache.ent = NULL;
    o->cache.disk = 0;
    to_storage(r, c);
}

/* Validation batching. Hits on one key that need a check while its `head` is in flight wait
 * for the NEXT head, sent when the current one answers: every request is checked by a head
 * sent after it arrived (so it sees every write completed before it arrived), and a hot key
 * costs at most one head in flight however many clients read it. */
typedef struct vwait vwait_t;
struct vwait {
    gw_req_t *r;
    vwait_t *next;
};

struct vflight {
    gw_cache_t *c;
    char *key;
    size_t key_len;
    uint32_t hash;
    vwait_t *cur, *cur_tail;   /* requests the head in flight answers */
    vwait_t *next, *next_tail; /* requests for the next head */
    vflight_t *hnext;
};

static vflight_t **vf_slot(gw_cache_t *c, uint32_t h, cn_slice_t key)
{
    vflight_t **pp = &c->vtab[h % GW_CACHE_VBUCKETS];
    while (*pp && !((*pp)->hash == h && cn_slice_eq(cn_slice((*pp)->key, (*pp)->key_len), key)))
        pp = &(*pp)->hnext;
    return pp;
}

static void vf_deliver(vwait_t *w, int status, const cn_msg_t *resp)
{
    while (w) {
        vwait_t *next = w->next;
        validated(w->r, status, resp);
        cn_free(w);
        w = next;
    }
}

static void vf_send(vflight_t *vf);

static void on_vhead(int status, cn_msg_t *resp, void *arg)
{
    vflight_t *vf = arg;
    gw_cache_t *c = vf->c;
    vwait_t *w = vf->cur;

    c->jobs--;
    vf->cur = vf->cur_tail = NULL;
    vf_deliver(w, status, resp); /* may queue more requests on vf->next */
    if (resp)
        cn_msg_free(resp);
    if (vf->next && !c->stopping) {
        vf->cur = vf->next;
        vf->cur_tail = vf->next_tail;
        vf->next = vf->next_tail = NULL;
        vf_send(vf);
    } else {
        vflight_t **pp = vf_slot(c, vf->hash, cn_slice(vf->key, vf->key_len));
        CN_ASSERT(*pp == vf);
        *pp = vf->hnext;
        w = vf->next;
        cn_free(vf->key);
        cn_free(vf);
        vf_deliver(w, CN_ECANCELED, NULL);
    }
    if (c->stopping && c->jobs == 0)
        cache_free(c);
}

static void vf_send(vflight_t *vf)
{
    gw_cache_t *c = vf->c;
    cn_msg_t *m = cn_msg_new(CN_OP_HEAD);
    cn_msg_set_bytes(m, "key", vf->key, vf->key_len);
    COUNT(c, validations, 1);
    c->jobs++;
    if (gw_stor_send(c->srv, vf->key, vf->key_len, m, on_vhead, vf) != 0)
        on_vhead(CN_EUNAVAIL, NULL, vf); /* answers every waiter 503 through storage */
}

static void validate(gw_req_t *r, gw_cache_t *c)
{
    cn_slice_t key = op_key(r);
    uint32_t h = cn_crc32c(0, key.ptr, key.len);
    vflight_t **pp = vf_slot(c, h, key), *vf = *pp;
    vwait_t *w = cn_calloc(1, sizeof(*w));

    w->r = r;
    r->http.pending++;
    COUNT(c, validated_hits, 1);
    if (vf) { /* a head is in flight: wait for the next one */
        if (vf->next_tail)
            vf->next_tail->next = w;
        else
            vf->next = w;
        vf->next_tail = w;
        return;
    }
    vf = cn_calloc(1, sizeof(*vf));
    vf->c = c;
    vf->key = cn_memdup0(key.ptr, key.len);
    vf->key_len = key.len;
    vf->hash = h;
    vf->cur = vf->cur_tail = w;
    *pp = vf;
    vf_send(vf);
}

/* A memory entry for r (referenced in o->cache.ent): serve it or validate it first. */
static void hit(gw_req_t *r, gw_cache_t *c)
{
    gw_obj_op_t *o = r->op;
    if (fresh_enough(c, o->cache.ent))
        serve_ent(r, c);
    else
        validate(r, c);
}

/* ---- disk jobs -------------------------------------------------------------------------- */

typedef struct dc_job {
    uv_work_t w;
    gw_cache_t *c;
    gw_req_t *r;           /* read job: the request; NULL for a fill */
    gw_dcache_obj_t *obj;  /* read result */
    char *key;
    size_t key_len;
    gw_cache_info_t info;
    char *meta, *body;     /* fill: copies */
    size_t meta_len, body_len;
    uint64_t ticket;
    int rc;
} dc_job_t;

static void job_free(dc_job_t *j)
{
    gw_dcache_obj_free(j->obj);
    cn_free(j->key);
    cn_free(j->meta);
    cn_free(j->body);
    cn_free(j);
}

static void run_read(uv_work_t *w)
{
    dc_job_t *j = w->data;
    j->rc = gw_dcache_get(j->c->dc, cn_slice(j->key, j->key_len), &j->obj);
}

static void after_read(uv_work_t *w, int status)
{
    dc_job_t *j = w->data;
    gw_cache_t *c = j->c;
    gw_req_t *r = j->r;

    c->jobs--;
    if (!gw_req_rpc_done(r)) {
        gw_obj_op_t *o = r->op;
        if (status == 0 && j->rc == 0 && j->obj->info.clock == o->cache.dinfo.clock &&
            strcmp(j->obj->info.etag, o->cache.dinfo.etag) == 0) {
            COUNT(c, served_disk, 1);
            COUNT(c, bytes_served, o->head ? 0 : j->obj->body.len);
            o->cache.dobj = j->obj; /* lives until the request is freed */
            j->obj = NULL;
            answer_hit(r, &o->cache.dobj->info, o->cache.dobj->meta,
                                o->cache.dobj->body);
        } else {
            o->cache.disk = 0;
            to_storage(r, c->stopping ? NULL : c);
        }
    }
    job_free(j);
    if (c->stopping && c->jobs == 0)
        cache_free(c);
}

static void disk_read(gw_req_t *r, gw_cache_t *c)
{
    gw_obj_op_t *o = r->op;
    dc_job_t *j = cn_calloc(1, sizeof(*j));
    j->c = c;
    j->r = r;
    j->key = cn_memdup0(o->key.data, o->key.len);
    j->key_len = o->key.len;
    j->w.data = j;
    c->jobs++;
    r->http.pending++;
    cn_work_queue(r->srv->loop, &j->w, run_read, after_read, "disk cache read");
}

static void run_fill(uv_work_t *w)
{
    dc_job_t *j = w->data;
    j->rc = gw_dcache_put(j->c->dc, cn_slice(j->key, j->key_len), &j->info,
                          cn_slice(j->meta, j->meta_len), cn_slice(j->body, j->body_len),
                          j->ticket);
}

static void after_fill(uv_work_t *w, int status)
{
    dc_job_t *j = w->data;
    gw_cache_t *c = j->c;
    c->jobs--;
    if (status == 0 && j->rc == 0)
        COUNT(c, fills_disk, 1);
    else if (j->rc != CN_ESTALE && j->rc != CN_E2BIG)
        CN_LOG(CN_LOG_WARN, "cache: disk fill of %.*s: %s", (int)j->key_len, j->key,
               cn_strerror(status ? status : j->rc));
    job_free(j);
    if (c->stopping && c->jobs == 0)
        cache_free(c);
}

/* ---- the GET entry point ---------------------------------------------------------------- */

static void on_flight(int status, void *result, void *arg)
{
    gw_req_t *r = arg;
    if (gw_req_rpc_done(r))
        return;
    gw_obj_op_t *o = r->op;
    gw_cache_t *c = cache_of(r->srv);
    if (status == 0 && result && c) {
        o->cache.ent = result;
        gw_mcache_ref(o->cache.ent);
        hit(r, c);
        return;
    }
    to_storage(r, c);
}

int gw_cache_get(gw_req_t *r, gw_cache_answer_fn answer)
{
    gw_cache_t *c = cache_of(r->srv);
    gw_obj_op_t *o = r->op;
    cn_slice_t key = op_key(r);

    o->cache.answer = answer;
    if (!c || (c->conf.mem_capacity == 0 && !c->dc))
        return 0;
    if ((o->cache.ent = gw_mcache_get(c->mc, key)) != NULL) {
        hit(r, c);
        return 1;
    }
    if (c->dc && gw_dcache_peek(c->dc, key, &o->cache.dinfo)) {
        o->cache.disk = 1;
        validate(r, c); /* disk hits are always checked first */
        return 1;
    }
    if (o->head || gw_req_header(r, "range").ptr)
        return 0; /* not a whole-object read: no fill */
    o->cache.fill = 1;
    o->cache.mticket = gw_mcache_ticket(c->mc, key);
    o->cache.dticket = c->dc ? gw_dcache_ticket(c->dc) : 0;
    if (gw_flights_join(c->fl, key, on_flight, r)) {
        o->cache.leader = 1;
        return 0;
    }
    o->cache.fill = 0;
    COUNT(c, coalesced, 1);
    r->http.pending++;
    return 1;
}

static void finish_flight(gw_cache_t *c, gw_cache_req_t *cr, cn_slice_t key, int status,
                          void *result)
{
    if (!cr->leader)
        return;
    cr->leader = 0;
    if (c && c->fl)
        gw_flights_finish(c->fl, key, status, result);
}

void gw_cache_get_done(gw_req_t *r, int status, const cn_msg_t *resp)
{
    gw_cache_t *c = cache_of(r->srv);
    gw_obj_op_t *o = r->op;
    cn_slice_t key = cn_slice(o->key.data, o->key.len);
    gw_mcache_ent_t *e = NULL;
    gw_cache_info_t info;
    cn_slice_t meta = {0}, body;
    uint64_t flags = 0;
    int rc = status ? status : cn_msg_rc(resp);

    if (!o->cache.fill || !c) {
        finish_flight(c, &o->cache, key, rc ? rc : CN_EAGAIN, NULL);
        return;
    }
    o->cache.fill = 0;
    if (rc != 0)
        goto out;
    memset(&info, 0, sizeof(info));
    cn_msg_get_u64(resp, "flags", &flags);
    if (flags & (CN_OBJ_MANIFEST | CN_OBJ_TOMBSTONE) ||
        cn_msg_get_str(resp, "etag", info.etag, sizeof(info.etag)) != 0 ||
        cn_msg_get_u64(resp, "clock", &info.clock) != 0) {
        rc = CN_EAGAIN;
        goto out;
    }
    info.flags = (uint32_t)flags;
    cn_msg_get_u64(resp, "mtime", &info.mtime_ms);
    cn_msg_get_u64(resp, "size", &info.size);
    cn_msg_get_bytes(resp, "meta", &meta);
    body = cn_msg_body(resp);
    if (body.len != info.size) {
        rc = CN_EAGAIN;
        goto out;
    }
    if (body.len <= c->conf.mem_max_object && c->conf.mem_capacity > 0) {
        rc = gw_mcache_put(c->mc, key, &info, meta, body, o->cache.mticket);
        if (rc == 0) {
            COUNT(c, fills_mem, 1);
            e = gw_mcache_get(c->mc, key); /* for the waiters; counted as a hit */
            if (e)
                atomic_store_explicit(&e->validated_ms, cn_mono_ms(), memory_order_relaxed);
        }
    } else if (c->dc && body.len <= c->conf.disk_max_object) {
        dc_job_t *j = cn_calloc(1, sizeof(*j));
        j->c = c;
        j->key = cn_memdup0(key.ptr, key.len);
        j->key_len = key.len;
        j->info = info;
        j->meta = cn_malloc(meta.len + 1);
        if (meta.len)
            memcpy(j->meta, meta.ptr, meta.len);
        j->meta_len = meta.len;
        j->body = cn_try_malloc(body.len + 1);
        if (!j->body) {
            job_free(j);
        } else {
            memcpy(j->body, body.ptr, body.len);
            j->body_len = body.len;
            j->ticket = o->cache.dticket;
            j->w.data = j;
            c->jobs++;
            cn_work_queue(r->srv->loop, &j->w, run_fill, after_fill, "disk cache fill");
        }
        rc = CN_EAGAIN; /* waiters read storage themselves */
    } else {
        rc = CN_E2BIG;
    }
out:
    finish_flight(c, &o->cache, key, e ? 0 : (rc ? rc : CN_EAGAIN), e);
    gw_mcache_unref(e);
}

void gw_cache_req_dispose(gw_server_t *s, gw_cache_req_t *cr, cn_slice_t key)
{
    finish_flight(cache_of(s), cr, key, CN_ECANCELED, NULL);
    gw_mcache_unref(cr->ent);
    cr->ent = NULL;
    gw_dcache_obj_free(cr->dobj);
    cr->dobj = NULL;
    cr->body = (cn_slice_t){0};
}

static void noop_proceed(h2o_generator_t *g, h2o_req_t *req)
{
}

void gw_cache_send_body(gw_req_t *r, int status, uint64_t off, uint64_t len)
{
    gw_obj_op_t *o = r->op;
    h2o_req_t *req = r->http.req;
    h2o_iovec_t v;

    if (!req)
        return;
    CN_ASSERT(o->cache.body.ptr && off + len <= o->cache.body.len);
    r->http.responded = 1;
    req->res.status = status;
    req->res.reason = status == 206 ? "Partial Content" : "OK";
    req->res.content_length = len;
    r->gen.proceed = noop_proceed;
    r->gen.stop = NULL;
    h2o_start_response(req, &r->gen);
    v = h2o_iovec_init(o->cache.body.ptr + off, len);
    h2o_send(req, &v, 1, H2O_SEND_STATE_FINAL);
}

/* ---- invalidation ----------------------------------------------------------------------- */

void gw_cache_invalidate(gw_server_t *s, const char *key, size_t keylen)
{
    gw_cache_t *c = cache_of(s);
    if (!c)
        return;
    gw_mcache_invalidate(c->mc, cn_slice(key, keylen));
    if (c->dc)
        gw_dcache_invalidate(c->dc, cn_slice(key, keylen));
}

void gw_cache_clear(gw_server_t *s)
{
    gw_cache_t *c = cache_of(s);
    if (!c)
        return;
    gw_mcache_clear(c->mc);
    if (c->dc)
        gw_dcache_clear(c->dc);
}

#define GW_WRITE_WRAP_MAGIC 0x67777772u /* "gwwr" */
typedef struct write_wrap {
    uint32_t magic;
    gw_server_t *s;
    cn_rpc_done_fn cb;
    void *arg;
    size_t key_len;
    char key[];
} write_wrap_t;

/* The manager's answer to our announcement: the feed position it gave our write. The feed
 * will list the key back to us; we already dropped it when the write completed, and a second
 * drop would only throw away what was filled since (the version we wrote). */
static void on_mgr_inval(int status, cn_msg_t *resp, void *arg)
{
    gw_cache_t *c = cache_of(arg);
    uint64_t seq;

    if (c && status == 0 && cn_msg_rc(resp) == 0 && cn_msg_get_u64(resp, "seq", &seq) == 0) {
        struct gw_cache_shared *cs = &((gw_server_t *)arg)->sh->cache;

        pthread_mutex_lock(&cs->own_lock);
        cs->own_seqs[cs->own_next] = seq;
        cs->own_next = (cs->own_next + 1) % GW_CACHE_OWN_SEQS;
        pthread_mutex_unlock(&cs->own_lock);
    }
    if (resp)
        cn_msg_free(resp);
}

static int own_seq(gw_server_t *s, uint64_t seq)
{
    struct gw_cache_shared *cs = &s->sh->cache;
    int own = 0;

    pthread_mutex_lock(&cs->own_lock);
    for (unsigned i = 0; i < GW_CACHE_OWN_SEQS && !own; i++)
        own = cs->own_seqs[i] == seq;
    pthread_mutex_unlock(&cs->own_lock);
    return own;
}

static void on_write_done(int status, cn_msg_t *resp, void *arg)
{
    write_wrap_t *w = arg;
    gw_cache_t *c;
    CN_CHECK_OBJ(w, GW_WRITE_WRAP_MAGIC);
    if ((c = cache_of(w->s)) != NULL) {
        gw_cache_invalidate(w->s, w->key, w->key_len);
        COUNT(c, invalidations_local, 1);
        /* gateways that serve hits unchecked (validate = false) learn of the write through
         * the manager's feed; any gateway may run so, hence every write is announced */
        if (!c->feed_unknown && w->key[0] != '\x01') {
            cn_msg_t *m = cn_msg_new(GW_CACHE_OP_INVALIDATE);
            cn_msg_set_bytes(m, "key", w->key, w->key_len);
            gw_mgr_call(w->s, m, on_mgr_inval, w->s);
        }
    }
    w->cb(status, resp, w->arg);
    w->magic = 0;
    cn_free(w);
}

void *gw_cache_write_begin(gw_server_t *s, const char *key, size_t keylen, cn_rpc_done_fn *cb,
                           void **arg)
{
    write_wrap_t *w;
    if (!cache_of(s))
        return NULL;
    gw_cache_invalidate(s, key, keylen);
    w = cn_malloc(sizeof(*w) + keylen + 1);
    w->magic = GW_WRITE_WRAP_MAGIC;
    w->s = s;
    w->cb = *cb;
    w->arg = *arg;
    w->key_len = keylen;
    memcpy(w->key, key, keylen);
    w->key[keylen] = '\0';
    *cb = on_write_done;
    *arg = w;
    return w;
}

void gw_cache_write_abort(void *wrap)
{
    write_wrap_t *w = wrap;
    if (!w)
        return;
    CN_CHECK_OBJ(w, GW_WRITE_WRAP_MAGIC);
    w->magic = 0;
    cn_free(w);
}

/* ---- the manager's invalidation feed ---------------------------------------------------
 * A key this gateway announced itself (its feed position is in own_seqs) is not dropped
 * again when the feed lists it back.
 * Heartbeat replies carry inval_seq (u64), the position of the newest entry of the manager's
 * recent-invalidations list. When it differs from ours we ask get_invalidations {since}; the
 * reply has seq (new position), reset (1: since is older than the list, drop everything) and
 * a body: a msgpack array of keys ("bucket/key"; a key ending in '/' with field prefix = 1 in
 * the future; "" = everything). */

/* The keys after `since`, in feed order: the i-th has position since + 1 + i. */
static void apply_keys(gw_server_t *s, gw_cache_t *c, cn_slice_t body, uint64_t since)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    if (body.len && msgpack_unpack_next(&u, body.ptr, body.len, &off) == MSGPACK_UNPACK_SUCCESS &&
        u.data.type == MSGPACK_OBJECT_ARRAY) {
        for (uint32_t i = 0; i < u.data.via.array.size; i++) {
            msgpack_object *k = &u.data.via.array.ptr[i];
            const char *p = NULL;
            size_t n = 0;
            if (k->type == MSGPACK_OBJECT_STR) {
                p = k->via.str.ptr;
                n = k->via.str.size;
            } else if (k->type == MSGPACK_OBJECT_BIN) {
                p = k->via.bin.ptr;
                n = k->via.bin.size;
            } else {
                continue;
            }
            if (n == 0) {
                gw_cache_clear(s);
                COUNT(c, resets_remote, 1);
            } else if (!own_seq(s, since + 1 + i)) {
                gw_cache_invalidate(s, p, n);
                COUNT(c, invalidations_remote, 1);
            }
        }
    }
    msgpack_unpacked_destroy(&u);
}

static void on_invalidations(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    gw_cache_t *c = cache_of(s);
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t seq = 0, reset = 0;

    if (!c)
        goto out;
    c->inval_fetching = 0;
    if (rc != 0) {
        if (rc == CN_EINVAL || rc == CN_ENOENT || rc == -ENOSYS)
            c->feed_unknown = 1;
        CN_LOG(CN_LOG_WARN, "cache: get_invalidations: %s", cn_strerror(rc));
        goto out;
    }
    cn_msg_get_u64(resp, "seq", &seq);
    cn_msg_get_u64(resp, "reset", &reset);
    if (reset) {
        gw_cache_clear(s);
        COUNT(c, resets_remote, 1);
    } else {
        apply_keys(s, c, cn_msg_body(resp), c->inval_asked);
    }
    c->inval_seq = seq;
out:
    if (resp)
        cn_msg_free(resp);
}

void gw_cache_on_heartbeat(gw_server_t *s, const cn_msg_t *resp)
{
    gw_cache_t *c = cache_of(s);
    uint64_t seq;
    if (!c || c->inval_fetching || cn_msg_get_u64(resp, "inval_seq", &seq) != 0)
        return;
    c->feed_unknown = 0;
    if (seq == c->inval_seq)
        return;
    if (c->inval_seq == 0) {
        /* first contact: what the memory cache took in before it may predate invalidations
         * we cannot ask for; it is young, drop it. The disk cache is checked on every hit. */
        gw_mcache_clear(c->mc);
        c->inval_seq = seq;
        return;
    }
    cn_msg_t *m = cn_msg_new(GW_CACHE_OP_GET_INVALIDATIONS);
    cn_msg_set_u64(m, "since", c->inval_seq);
    c->inval_asked = c->inval_seq;
    c->inval_fetching = 1;
    gw_mgr_call(s, m, on_invalidations, s);
}

void gw_cache_heartbeat_fields(gw_server_t *s, cn_msg_t *m)
{
    gw_cache_counters_t n;
    gw_cache_stats_t mem, disk;
    if (!cache_of(s))
        return;
    gw_cache_counters(s, &n, &mem, &disk);
    cn_msg_set_u64(m, "cache_mem_hits", mem.hits);
    cn_msg_set_u64(m, "cache_mem_misses", mem.misses);
    cn_msg_set_u64(m, "cache_mem_bytes", mem.bytes);
    cn_msg_set_u64(m, "cache_mem_entries", mem.entries);
    cn_msg_set_u64(m, "cache_mem_evictions", mem.evictions);
    cn_msg_set_u64(m, "cache_disk_hits", disk.hits);
    cn_msg_set_u64(m, "cache_disk_misses", disk.misses);
    cn_msg_set_u64(m, "cache_disk_bytes", disk.bytes);
    cn_msg_set_u64(m, "cache_disk_entries", disk.entries);
    cn_msg_set_u64(m, "cache_disk_evictions", disk.evictions);
    cn_msg_set_u64(m, "cache_validations", n.validations);
    cn_msg_set_u64(m, "cache_validations_stale", n.validations_stale);
    cn_msg_set_u64(m, "cache_coalesced", n.coalesced);
}

/* ---- metrics ---------------------------------------------------------------------------- */

void gw_cache_counters(gw_server_t *s, gw_cache_counters_t *out, gw_cache_stats_t *mem,
                       gw_cache_stats_t *disk)
{
    gw_cache_t *c = cache_of(s);
    memset(out, 0, sizeof(*out));
    memset(mem, 0, sizeof(*mem));
    memset(disk, 0, sizeof(*disk));
    if (!c)
        return;
    /* every worker's glue (worker 0 reads; a worker's glue outlives its reads: workers stop
     * after worker 0 has stopped reading) */
    for (unsigned i = 0; i < s->sh->nthreads; i++) {
        const gw_cache_t *w = s->sh->w[i] != NULL ? s->sh->w[i]->cache : NULL;
        const uint64_t *from;
        uint64_t *to = (uint64_t *)out;

        if (w == NULL || (w != c && s->stopping))
            continue;
        from = (const uint64_t *)&w->n;
        for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
            to[k] += __atomic_load_n(&from[k], __ATOMIC_RELAXED);
    }
    gw_mcache_stats(c->mc, mem);
    if (c->dc)
        gw_dcache_stats(c->dc, disk);
}

static void metric(cn_buf_t *out, const char *name, const char *type, const char *help,
                   const char *label, uint64_t v)
{
    cn_buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n%s%s %" PRIu64 "\n", name, help, name, type,
                   name, label, v);
}

/* One family per cache field, with a series per cache (a family's lines stay together). */
static void stats_write(cn_buf_t *out, const gw_cache_stats_t *mem, const gw_cache_stats_t *disk)
{
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } f[] = {
        {"hits_total", "counter", "lookups that found the object",
         offsetof(gw_cache_stats_t, hits)},
        {"misses_total", "counter", "lookups that did not", offsetof(gw_cache_stats_t, misses)},
        {"inserts_total", "counter", "objects stored", offsetof(gw_cache_stats_t, inserts)},
        {"evictions_total", "counter", "objects evicted for room",
         offsetof(gw_cache_stats_t, evictions)},
        {"invalidations_total", "counter", "objects dropped by an invalidation",
         offsetof(gw_cache_stats_t, invalidations)},
        {"rejected_total", "counter", "fills refused (too big, stale)",
         offsetof(gw_cache_stats_t, rejected)},
        {"corrupt_total", "counter", "cache files that failed their checksum (dropped)",
         offsetof(gw_cache_stats_t, corrupt)},
        {"bytes", "gauge", "bytes held", offsetof(gw_cache_stats_t, bytes)},
        {"entries", "gauge", "objects held", offsetof(gw_cache_stats_t, entries)},
        {"capacity_bytes", "gauge", "configured capacity", offsetof(gw_cache_stats_t, capacity)},
    };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        uint64_t vm, vd;
        memcpy(&vm, (const char *)mem + f[i].off, sizeof(vm));
        memcpy(&vd, (const char *)disk + f[i].off, sizeof(vd));
        cn_buf_appendf(out,
                       "# HELP cairn_gateway_cache_%s %s\n# TYPE cairn_gateway_cache_%s %s\n"
                       "cairn_gateway_cache_%s{cache=\"memory\"} %" PRIu64 "\n"
                       "cairn_gateway_cache_%s{cache=\"disk\"} %" PRIu64 "\n",
                       f[i].name, f[i].help, f[i].name, f[i].type, f[i].name, vm, f[i].name, vd);
    }
}

void gw_cache_metrics_write(gw_server_t *s, cn_buf_t *out)
{
    gw_cache_counters_t n;
    gw_cache_stats_t mem, disk;
    gw_cache_counters(s, &n, &mem, &disk);
    stats_write(out, &mem, &disk);
    metric(out, "cairn_gateway_cache_checked_hits_total", "counter",
           "hits checked with storage before being served", "", n.validated_hits);
    metric(out, "cairn_gateway_cache_validations_total", "counter",
           "storage heads sent to validate a hit", "", n.validations);
    metric(out, "cairn_gateway_cache_validations_stale_total", "counter",
           "validations that found a newer version (entry dropped)", "", n.validations_stale);
    metric(out, "cairn_gateway_cache_validation_errors_total", "counter",
           "validations that failed (served from storage)", "", n.validation_errors);
    metric(out, "cairn_gateway_cache_served_total", "counter", "requests answered from a cache",
           "{cache=\"memory\"}", n.served_mem);
    cn_buf_appendf(out, "cairn_gateway_cache_served_total{cache=\"disk\"} %" PRIu64 "\n",
                   n.served_disk);
    metric(out, "cairn_gateway_cache_served_bytes_total", "counter",
           "body bytes answered from the caches", "", n.bytes_served);
    metric(out, "cairn_gateway_cache_coalesced_total", "counter",
           "misses that waited for another request's storage read", "", n.coalesced);
    metric(out, "cairn_gateway_cache_fills_total", "counter", "objects put into a cache",
           "{cache=\"memory\"}", n.fills_mem);
    cn_buf_appendf(out, "cairn_gateway_cache_fills_total{cache=\"disk\"} %" PRIu64 "\n",
                   n.fills_disk);
    metric(out, "cairn_gateway_cache_invalidations_by_source_total", "counter",
           "keys invalidated by this gateway's writes (local) or the manager's feed (remote)",
           "{source=\"local\"}", n.invalidations_local);
    cn_buf_appendf(out,
                   "cairn_gateway_cache_invalidations_by_source_total{source=\"remote\"} %" PRIu64
                   "\n",
                   n.invalidations_remote);
    metric(out, "cairn_gateway_cache_resets_total", "counter",
           "whole-cache drops the manager's feed asked for (a new leader's feed, or a position "
           "the manager no longer knows)", "", n.resets_remote);
}
