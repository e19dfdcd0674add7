/*
 * storage/cluster/recoverer.c: recovery between nodes and rebalancing on the storage side
 * (docs/OPERATIONS.md; a node's own crash recovery on open is storage/engine/replay.c):
 *   whereis {key}             this node's copy of key (size, etag, clock, mtime, flags);
 *                             with manifest = 1, a live manifest's body too;
 *   whereis_keys (body)       the same from the index for many keys at once, in a fixed
 *                             binary form (below): the fragments of an erasure-coded
 *                             object's chunks that the manager's whereis lists (issue 21);
 *   recover_file {key}        heads every owner; the holder of the newest version queues a
 *                             push to each stale owner (forwarded to it when it is a peer)
 *                             and, for an erasure-coded object, every fragment of its coded
 *                             chunks for its owner (frag_rebuild.c),
 *                             answered once those entries are persistent (CN_EIO if one
 *                             could not be written; queued counts the persistent ones);
 *   recover_node {target}     walks this node's index and moves every key whose owners
 *                             (ring cur) include target to it, as the rebalance walk does
 *                             (streamed, paced by the move budget, its position persisted;
 *                             a key whose move fails is queued, reason recover_node);
 *   recover_consistency       scans this node's index and compares every key it owns with
 *                             the other owners (head: clock), queueing differences both ways;
 *   rebalance (no op)         when the rings change and a prev ring exists, scans the index:
 *                             each key goes to its new owners (cur owners not in prev; all
 *                             cur owners when this node is no longer one); once every push of
 *                             a key is acked and this node is not a cur owner, its copy is
 *                             dropped (index entry only, no tombstone);
 *   recover_status, rebalance_status  progress of the scans.
 * A scan reads index entries on the thread pool and queues or moves on the loop (a batch
 * ends once its moves are answered and its queue entries persistent: queued counts those,
 * errors the others); one scan of each kind runs at a time (a second request answers
 * CN_EBUSY, a ring change restarts the rebalance walk). The two walks (rebalance,
 * recover_node) read a batch only when the move budget allows (move_rate.c), sized to it;
 * recover_consistency reads 64 entries a step. The ring pair walked last is persisted in the
 * repair queue's store, so a restart walks again only when the rings changed meanwhile (or
 * the walk had not finished); a recover_node walk persists its target and position, and a
 * restarted node resumes it.
 * Threads: main loop only, except scan_run (thread pool), which touches only its batch.
 */
#include "storage/cluster/cluster.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"
#include "storage/engine/index.h"

#define STOR_REC_MAGIC 0x53524543u  /* "SREC" */
#define STOR_BATCH_MAGIC 0x53424154u /* "SBAT" */
#define STOR_RFILE_MAGIC 0x53524649u /* "SRFI" */
#define STOR_WKEYS_MAGIC 0x53574b59u /* "SWKY" */
#define WALK_REC "rebalance"         /* the name of the walk's position record */
#define NODE_REC "recover_node"      /* the name of recover_node's record */

enum { SCAN_NODE, SCAN_CONS, SCAN_REBAL, SCAN_KINDS };
static const char *const scan_names[SCAN_KINDS] = {"node", "consistency", "rebalance"};

struct scan {
    int kind;
    int running, busy, restart;
    int waiting;                   /* rebalance: the next batch waits for the move budget */
    char target[STOR_NAME_MAX];
    cn_buf_t cursor;
    uint64_t scanned, queued, done, dropped, errors, started_ms, finished_ms;
    uint64_t bytes;                /* body bytes sent for the keys done */
    uint64_t cur_sum, prev_sum;    /* rebalance: the ring pair being walked */
};

struct stor_recoverer {
    uint32_t magic;
    struct scan sc[SCAN_KINDS];
    int stopping;
    int node_checked;              /* a saved recover_node walk was looked for (node_resume) */
    uint64_t next_anti_entropy_ms; /* monotonic time of the next periodic consistency pass */
};

struct bent {
    size_t koff, klen;
    stor_obj_meta_t m;
};

struct batch {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    struct scan *sc;
    cn_buf_t cursor, keys;
    struct bent *v;
    size_t n, cap, max, pending;
    int more, rc;
    stor_rq_wait_t rq;     /* the batch's pushes: it ends once they are persistent */
    /* rebalance: the moves of this batch (walk_send) */
    struct wlist *wl;      /* one list of keys per target */
    size_t nwl;
    uint32_t *left;        /* per key: moves not yet answered */
    uint8_t *failed;       /* per key: a move went to the queue (it drops the copy later) */
    uint64_t *clock;       /* per key: the version sent (0: none) */
};

/* The keys of a batch bound for one target. */
struct wlist {
    char target[STOR_NAME_MAX];
    size_t *idx, n;
    struct batch *b;
};

static void scan_next(struct stor_server *s, struct scan *sc);
static void walk_send(struct batch *b);
static void walk_save(struct stor_server *s, const struct scan *sc);
static void node_save(struct stor_server *s, const struct scan *sc);
static void on_dropped(struct stor_server *s, int rc, void *arg);

static cn_slice_t bkey(const struct batch *b, size_t i)
{
    return cn_slice(b->keys.data + b->v[i].koff, b->v[i].klen);
}

static int collect(void *arg, cn_slice_t key, const stor_obj_meta_t *m)
{
    struct batch *b = arg;

    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->v = cn_realloc(b->v, b->cap * sizeof(*b->v));
    }
    b->v[b->n].koff = b->keys.len;
    b->v[b->n].klen = key.len;
    b->v[b->n].m = *m;
    b->v[b->n].m.meta = cn_slice("", 0);
    b->n++;
    cn_buf_append(&b->keys, key.ptr, key.len);
    return 0;
}

static void scan_run(uv_work_t *w)
{
    struct batch *b = w->data;

    CN_CHECK_OBJ(b, STOR_BATCH_MAGIC);
    b->rc = stor_engine_scan(b->s->engine, cn_slice(b->cursor.data, b->cursor.len), b->max,
                             collect, b, &b->more);
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->nwl; i++)
        cn_free(b->wl[i].idx);
    cn_free(b->wl);
    cn_free(b->left);
    cn_free(b->failed);
    cn_free(b->clock);
    cn_buf_dispose(&b->cursor);
    cn_buf_dispose(&b->keys);
    cn_free(b->v);
    b->magic = 0;
    cn_free(b);
}

static void scan_finish(struct stor_server *s, struct scan *sc, const char *why)
{
    sc->running = 0;
    sc->finished_ms = cn_now_ms();
    CN_LOG(CN_LOG_INFO, "scan=%s target=%s scanned=%" PRIu64 " queued=%" PRIu64 ": %s",
           scan_names[sc->kind], sc->target[0] ? sc->target : "-", sc->scanned, sc->queued,
           why);
    if (sc->kind == SCAN_REBAL && strcmp(why, "finished") == 0) {
        stor_repair_q_meta_put(s, "walked_cur", sc->cur_sum);
        stor_repair_q_meta_put(s, "walked_prev", sc->prev_sum);
        stor_repair_q_rec_del(s, 'w', cn_slice(WALK_REC, strlen(WALK_REC)));
    }
    if (sc->kind == SCAN_NODE) /* done, or failed: the operator runs it again */
        stor_repair_q_rec_del(s, 'w', cn_slice(NODE_REC, strlen(NODE_REC)));
}

/* Called when a batch is fully handled (queued, and for consistency, compared). */
static void batch_end(struct batch *b)
{
    struct stor_server *s = b->s;
    struct scan *sc = b->sc;
    struct stor_recoverer *r = s->rec;

    sc->busy = 0;
    if (!sc->restart) {
        sc->queued += b->rq.queued;
        sc->errors += b->rq.failed;
    }
    if (b->n > 0) {
        cn_buf_reset(&sc->cursor);
        cn_buf_append(&sc->cursor, b->keys.data + b->v[b->n - 1].koff, b->v[b->n - 1].klen);
        if (sc->kind == SCAN_REBAL && !sc->restart && b->rc == 0 && b->more)
            walk_save(s, sc); /* every key before the cursor is moved or queued */
        if (sc->kind == SCAN_NODE && b->rc == 0 && b->more && !r->stopping)
            node_save(s, sc);
    }
    if (r->stopping) {
        sc->running = 0;
    } else if (sc->restart) {
        sc->restart = 0;
        cn_buf_reset(&sc->cursor);
        scan_next(s, sc);
    } else if (b->rc != 0) {
        scan_finish(s, sc, cn_strerror(b->rc));
    } else if (!b->more) {
        scan_finish(s, sc, "finished");
    } else {
        scan_next(s, sc);
    }
    batch_free(b);
}

static void on_batch_persisted(stor_rq_wait_t *w)
{
    struct batch *b = (struct batch *)((char *)w - offsetof(struct batch, rq));

    CN_CHECK_OBJ(b, STOR_BATCH_MAGIC);
    if (--b->pending == 0)
        batch_end(b);
}

/* Queues a push; the batch holds until it is persistent, so that a finished scan's queued
 * (counted at batch_end) are entries that survive a crash, and failures count as errors. */
static void queue(struct batch *b, cn_slice_t key, const char *target, int reason)
{
    if (stor_rq_wait_push(b->s, &b->rq, key, target, reason))
        b->pending++;
}

/* ---- consistency: compare with the other owners ------------------------------------- */

struct cmp {
    struct batch *b;
    size_t i;
};

static void on_compare(stor_gather_t *g, void *arg)
{
    struct cmp *c = arg;
    struct batch *b = c->b;
    struct stor_server *s = b->s;
    const stor_obj_meta_t *lm = &b->v[c->i].m;
    cn_slice_t key = bkey(b, c->i);

    for (size_t i = 0; i < g->n; i++) {
        const stor_version_t *v = &g->res[i].v;

        if (v->rc == CN_ENOENT || v->rc == CN_ECORRUPT || (v->rc == 0 && v->m.clock < lm->clock))
            queue(b, key, g->res[i].name, STOR_R_CONSISTENCY);
        else if (v->rc == 0 && v->m.clock > lm->clock)
            queue(b, key, stor_self(s), STOR_R_CONSISTENCY);
        else if (v->rc != 0)
            b->sc->errors++;
    }
    stor_gather_free(g);
    cn_free(c);
    if (--b->pending == 0)
        batch_end(b);
}

/* ---- the walks (rebalance, recover_node) hand their keys to the mover --------------- */

/* Adds key i of b to the moves to target. */
static void walk_add(struct batch *b, size_t i, const char *target)
{
    struct wlist *l = NULL;

    if (b->left == NULL) {
        b->left = cn_calloc(b->n, sizeof(*b->left));
        b->failed = cn_calloc(b->n, sizeof(*b->failed));
        b->clock = cn_calloc(b->n, sizeof(*b->clock));
    }
    for (size_t k = 0; k < b->nwl && l == NULL; k++)
        if (strcmp(b->wl[k].target, target) == 0)
            l = &b->wl[k];
    if (l == NULL) {
        b->wl = cn_realloc(b->wl, (b->nwl + 1) * sizeof(*b->wl));
        l = &b->wl[b->nwl++];
        memset(l, 0, sizeof(*l));
        snprintf(l->target, sizeof(l->target), "%s", target);
        l->idx = cn_malloc(b->n * sizeof(*l->idx));
        l->b = b;
    }
    l->idx[l->n++] = i;
    b->left[i]++;
    b->sc->queued++;
}

static void on_walk_dropped(struct stor_server *s, int rc, void *arg)
{
    struct batch *b = arg;

    CN_CHECK_OBJ(b, STOR_BATCH_MAGIC);
    on_dropped(s, rc, NULL);
    if (--b->pending == 0)
        batch_end(b);
}

/* A key's moves are all answered: drop this node's copy when it no longer owns the key and
 * every new owner acked the version read (a failed move's queue entry drops it later,
 * stor_recoverer_entry_done). The batch waits for the drop, so that the position saved
 * after it never skips a copy left behind by a crash. */
static void walk_key_settled(struct batch *b, size_t i)
{
    struct stor_server *s = b->s;
    cn_slice_t key = bkey(b, i);

    /* after a ring change (restart) the targets were another ring's: the new walk decides;
     * recover_node only copies */
    if (b->sc->kind != SCAN_REBAL || b->failed[i] || b->clock[i] == 0 || s->rec->stopping ||
        s->ring_cur == NULL || b->sc->restart || stor_is_owner(s, key))
        return;
    b->pending++;
    stor_local_drop(s, key, b->clock[i], on_walk_dropped, b);
}

static void on_walk_key(void *arg, size_t k, int rc, uint64_t local_clock, uint64_t bytes)
{
    struct wlist *l = arg;
    struct batch *b = l->b;
    size_t i = l->idx[k];

    if (local_clock != 0)
        b->clock[i] = local_clock;
    if (rc == 0) {
        b->sc->done++;
        b->sc->bytes += bytes;
        stor_move_rate_count(b->s, 1, bytes);
    } else {
        /* missing or corrupt here, or the target failed: the queue retries it */
        b->failed[i] = 1;
        b->sc->queued--; /* counted again by batch_end once persistent */
        queue(b, bkey(b, i), l->target,
              b->sc->kind == SCAN_NODE ? STOR_R_NODE : STOR_R_REBALANCE);
    }
    if (--b->left[i] == 0)
        walk_key_settled(b, i);
}

static void on_walk_end(void *arg)
{
    struct wlist *l = arg;
    struct batch *b = l->b;

    stor_move_rate_end(b->s);
    if (--b->pending == 0)
        batch_end(b);
}

/* Starts the batch's moves, one job per target (the mover splits them by size); the batch
 * holds until they are answered. */
static void walk_send(struct batch *b)
{
    for (size_t k = 0; k < b->nwl; k++) {
        struct wlist *l = &b->wl[k];
        cn_slice_t *keys = cn_malloc(l->n * sizeof(*keys));

        for (size_t j = 0; j < l->n; j++)
            keys[j] = bkey(b, l->idx[j]);
        b->pending++;
        stor_move_rate_begin(b->s, l->n, 0); /* the mover pays the bodies, chunk by chunk */
        stor_move_start(b->s, l->target, keys, l->n, on_walk_key, on_walk_end, l);
        cn_free(keys);
    }
}

/* The walk's position, in the queue's RocksDB (record 'w' WALK_REC): u8 version 1 | u64le
 * ring cur | u64le ring prev | u64le scanned | u64le done | u64le bytes | the last key
 * handled. A restart on the same ring pair resumes after that key. */
#define WALK_REC_VERSION 1
#define WALK_REC_HDR (1 + 5 * 8)

/* Writes the walk record name: h (hlen bytes), then a, then b (unsynced, as queue entries). */
static void rec_save(struct stor_server *s, const char *name, const char *h, size_t hlen,
                     cn_slice_t a, cn_slice_t b)
{
    cn_buf_t v;

    cn_buf_init(&v);
    cn_buf_append(&v, h, hlen);
    cn_buf_append(&v, a.ptr, a.len);
    cn_buf_append(&v, b.ptr, b.len);
    stor_repair_q_rec_put(s, 'w', cn_slice(name, strlen(name)), cn_slice(v.data, v.len), NULL,
                          NULL);
    cn_buf_dispose(&v);
}

static void walk_save(struct stor_server *s, const struct scan *sc)
{
    char h[WALK_REC_HDR];

    h[0] = WALK_REC_VERSION;
    cn_put_u64le(h + 1, sc->cur_sum);
    cn_put_u64le(h + 9, sc->prev_sum);
    cn_put_u64le(h + 17, sc->scanned);
    cn_put_u64le(h + 25, sc->done);
    cn_put_u64le(h + 33, sc->bytes);
    rec_save(s, WALK_REC, h, sizeof(h), cn_slice(sc->cursor.data, sc->cursor.len),
             cn_slice("", 0));
}

static int walk_load_one(void *arg, cn_slice_t name, cn_slice_t val)
{
    struct scan *sc = arg;

    if (!cn_slice_eq(name, cn_slice(WALK_REC, strlen(WALK_REC))))
        return 0;
    if (val.len < WALK_REC_HDR || val.ptr[0] != WALK_REC_VERSION) {
        CN_LOG(CN_LOG_WARN, "rebalance walk: position record of an unknown format ignored");
        return 1;
    }
    if (cn_get_u64le(val.ptr + 1) != sc->cur_sum || cn_get_u64le(val.ptr + 9) != sc->prev_sum)
        return 1; /* another ring pair's walk: start over */
    sc->scanned = cn_get_u64le(val.ptr + 17);
    sc->done = sc->queued = cn_get_u64le(val.ptr + 25);
    sc->bytes = cn_get_u64le(val.ptr + 33);
    cn_buf_reset(&sc->cursor);
    cn_buf_append(&sc->cursor, val.ptr + WALK_REC_HDR, val.len - WALK_REC_HDR);
    return 1;
}

/* recover_node's record ('w' NODE_REC): u8 version 1 | u64le scanned | u64le done | u64le
 * bytes | u8 target length | target | the last key handled (none: from the start). Written
 * when the walk starts and after each batch (every key before the cursor is moved or
 * queued), deleted when it finishes; a restarted node resumes the walk (node_resume). */
#define NODE_REC_VERSION 1
#define NODE_REC_HDR (1 + 3 * 8 + 1)

static void node_save(struct stor_server *s, const struct scan *sc)
{
    size_t tlen = strlen(sc->target);
    char h[NODE_REC_HDR];

    h[0] = NODE_REC_VERSION;
    cn_put_u64le(h + 1, sc->scanned);
    cn_put_u64le(h + 9, sc->done);
    cn_put_u64le(h + 17, sc->bytes);
    h[25] = (char)tlen;
    rec_save(s, NODE_REC, h, sizeof(h), cn_slice(sc->target, tlen),
             cn_slice(sc->cursor.data, sc->cursor.len));
}

static int node_load_one(void *arg, cn_slice_t name, cn_slice_t val)
{
    struct scan *sc = arg;
    size_t tlen;

    if (!cn_slice_eq(name, cn_slice(NODE_REC, strlen(NODE_REC))))
        return 0;
    tlen = val.len >= NODE_REC_HDR ? (uint8_t)val.ptr[25] : 0;
    if (val.len < NODE_REC_HDR || val.ptr[0] != NODE_REC_VERSION || tlen == 0 ||
        tlen >= sizeof(sc->target) || val.len < NODE_REC_HDR + tlen) {
        CN_LOG(CN_LOG_WARN, "recover_node: position record of an unknown format ignored");
        return 1;
    }
    sc->scanned = cn_get_u64le(val.ptr + 1);
    sc->done = sc->queued = cn_get_u64le(val.ptr + 9);
    sc->bytes = cn_get_u64le(val.ptr + 17);
    memcpy(sc->target, val.ptr + NODE_REC_HDR, tlen);
    sc->target[tlen] = '\0';
    cn_buf_reset(&sc->cursor);
    cn_buf_append(&sc->cursor, val.ptr + NODE_REC_HDR + tlen, val.len - NODE_REC_HDR - tlen);
    return 1;
}

/* Once the rings are known after a start: resumes the recover_node walk a stop or crash
 * interrupted. */
static void node_resume(struct stor_server *s)
{
    struct stor_recoverer *r = s->rec;
    struct scan *sc = &r->sc[SCAN_NODE];

    if (r->node_checked || s->ring_cur == NULL)
        return;
    r->node_checked = 1;
    if (sc->running || sc->busy)
        return;
    sc->target[0] = '\0';
    sc->scanned = sc->queued = sc->done = sc->dropped = sc->errors = sc->bytes = 0;
    if (stor_repair_q_rec_foreach(s, 'w', node_load_one, sc) < 0 || sc->target[0] == '\0')
        return;
    sc->started_ms = cn_now_ms();
    sc->finished_ms = 0;
    sc->running = 1;
    CN_LOG(CN_LOG_INFO, "scan=node target=%s: resumed after %" PRIu64 " keys (%" PRIu64
           " moved)", sc->target, sc->scanned, sc->done);
    scan_next(s, sc);
}

void stor_recoverer_kick(struct stor_server *s)
{
    if (s->rec == NULL || s->rec->stopping)
        return;
    node_resume(s);
    for (int k = 0; k < SCAN_KINDS; k++) {
        struct scan *sc = &s->rec->sc[k];

        if (sc->running && sc->waiting && !sc->busy)
            scan_next(s, sc);
    }
}

/* ---- one batch ---------------------------------------------------------------------- */

static void handle(struct batch *b, size_t i)
{
    struct stor_server *s = b->s;
    struct scan *sc = b->sc;
    cn_slice_t key = bkey(b, i);
    const char *self = stor_self(s);
    stor_owners_t cur, prev, ask;

    sc->scanned++;
    stor_owners_of(s->ring_cur, key, s->levels.n, &cur);
    switch (sc->kind) {
    case SCAN_NODE:
        if (stor_owners_has(&cur, sc->target)) {
            walk_add(b, i, sc->target);
        } else if (!(b->v[i].m.flags & (CN_OBJ_TOMBSTONE | STOR_IDX_BAD))) {
            /* a fragment: target's fragments of the same chunk are rebuilt, not copied */
            cn_buf_t fks;
            size_t nf, at = 0;

            cn_buf_init(&fks);
            nf = stor_frag_recover_targets(s, key, sc->target, &fks);
            for (size_t f = 0; f < nf; f++) {
                uint32_t l;

                memcpy(&l, fks.data + at, 4);
                queue(b, cn_slice(fks.data + at + 4, l), sc->target, STOR_R_NODE);
                at += 4 + l;
            }
            cn_buf_dispose(&fks);
        }
        break;
    case SCAN_REBAL: {
        int owner = stor_owners_has(&cur, self);

        stor_owners_of(s->ring_prev, key, s->levels.n, &prev);
        for (size_t k = 0; k < cur.n; k++)
            if (strcmp(cur.name[k], self) != 0 &&
                (!owner || !stor_owners_has(&prev, cur.name[k])))
                walk_add(b, i, cur.name[k]);
        break;
    }
    case SCAN_CONS:
        if (b->v[i].m.flags & STOR_IDX_BAD) {
            queue(b, key, self, STOR_R_SCRUB);
            break;
        }
        if (!stor_owners_has(&cur, self))
            break;
        ask.n = 0;
        for (size_t k = 0; k < cur.n; k++)
            if (strcmp(cur.name[k], self) != 0)
                stor_owners_add(&ask, cur.name[k]);
        if (ask.n > 0) {
            struct cmp *c = cn_malloc(sizeof(*c));

            c->b = b;
            c->i = i;
            b->pending++;
            stor_gather_start(s, key, &ask, CN_OP_HEAD, 0, 0, on_compare, c);
        }
        break;
    }
}

static void scan_done(uv_work_t *w, int status)
{
    struct batch *b = w->data;

    CN_CHECK_OBJ(b, STOR_BATCH_MAGIC);
    if (status != 0)
        b->rc = CN_ECANCELED;
    b->pending = 1;
    if (b->rc == 0 && !b->s->rec->stopping && b->s->ring_cur != NULL && !b->sc->restart) {
        for (size_t i = 0; i < b->n; i++)
            handle(b, i);
        walk_send(b);
    }
    if (--b->pending == 0)
        batch_end(b);
}

static void scan_next(struct stor_server *s, struct scan *sc)
{
    struct batch *b;

    if (sc->kind != SCAN_CONS && !stor_move_rate_allow(s, 0)) {
        sc->waiting = 1; /* stor_recoverer_kick goes on once the budget allows */
        return;
    }
    sc->waiting = 0;
    b = cn_calloc(1, sizeof(*b));
    b->magic = STOR_BATCH_MAGIC;
    b->s = s;
    b->sc = sc;
    b->work.data = b;
    b->rq.done = on_batch_persisted;
    b->max = 64;
    if (sc->kind != SCAN_CONS) { /* index entries, a little more than the moves they make */
        b->max = stor_move_rate_batch_cost(s) / STOR_MOVE_KEY_COST;
        if (b->max > s->conf->move_batch_keys)
            b->max = s->conf->move_batch_keys;
    }
    cn_buf_init(&b->cursor);
    cn_buf_init(&b->keys);
    cn_buf_append(&b->cursor, sc->cursor.data ? sc->cursor.data : "", sc->cursor.len);
    sc->busy = 1;
    cn_work_queue(s->loop, &b->work, scan_run, scan_done, scan_names[sc->kind]);
}

/* Starts a scan; CN_EBUSY when one of that kind runs (rebalance: restarts it). */
static int scan_start(struct stor_server *s, int kind, const char *target)
{
    struct scan *sc = &s->rec->sc[kind];

    if (sc->running && kind != SCAN_REBAL)
        return CN_EBUSY;
    snprintf(sc->target, sizeof(sc->target), "%s", target ? target : "");
    sc->scanned = sc->queued = sc->done = sc->dropped = sc->errors = sc->bytes = 0;
    sc->started_ms = cn_now_ms();
    sc->finished_ms = 0;
    cn_buf_reset(&sc->cursor);
    sc->running = 1;
    if (kind == SCAN_NODE) {
        s->rec->node_checked = 1; /* a saved walk is replaced by this one */
        node_save(s, sc);
    }
    if (sc->busy) {
        sc->restart = 1;
        return 0;
    }
    if (kind == SCAN_REBAL && stor_repair_q_rec_foreach(s, 'w', walk_load_one, sc) >= 0 &&
        sc->cursor.len > 0) {
        CN_LOG(CN_LOG_INFO, "scan=rebalance: resumed after %" PRIu64 " keys (%" PRIu64
               " moved)", sc->scanned, sc->done);
        scan_next(s, sc);
        return 0;
    }
    CN_LOG(CN_LOG_INFO, "scan=%s target=%s: started", scan_names[kind], target ? target : "-");
    scan_next(s, sc);
    return 0;
}

void stor_recoverer_ring_changed(struct stor_server *s)
{
    struct stor_recoverer *r = s->rec;
    struct scan *sc;
    uint64_t cur, prev, wc = 0, wp = 0;

    if (r == NULL || r->stopping || s->ring_cur == NULL || s->ring_prev == NULL)
        return;
    cur = cn_ring_checksum(s->ring_cur);
    prev = cn_ring_checksum(s->ring_prev);
    sc = &r->sc[SCAN_REBAL];
    if (sc->running && sc->cur_sum == cur && sc->prev_sum == prev)
        return;
    if (!sc->running && stor_repair_q_meta_get(s, "walked_cur", &wc) == 0 &&
        stor_repair_q_meta_get(s, "walked_prev", &wp) == 0 && wc == cur && wp == prev)
        return;
    sc->cur_sum = cur;
    sc->prev_sum = prev;
    scan_start(s, SCAN_REBAL, NULL);
}

/* ---- rebalance: drop a copy once its new owners hold it ----------------------------- */

static void on_dropped(struct stor_server *s, int rc, void *arg)
{
    if (s->rec == NULL)
        return;
    if (rc == 0)
        s->rec->sc[SCAN_REBAL].dropped++;
}

void stor_recoverer_entry_done(struct stor_server *s, cn_slice_t key, int reason,
                               uint64_t local_clock, uint64_t bytes)
{
    struct stor_recoverer *r = s->rec;
    stor_owners_t cur;
    int k = reason == STOR_R_NODE ? SCAN_NODE : reason == STOR_R_CONSISTENCY ? SCAN_CONS
            : reason == STOR_R_REBALANCE ? SCAN_REBAL : -1;

    if (r == NULL || k < 0)
        return;
    r->sc[k].done++;
    r->sc[k].bytes += bytes;
    if (reason != STOR_R_REBALANCE)
        return;
    if (local_clock == 0 || s->ring_cur == NULL || r->stopping)
        return;
    stor_owners_of(s->ring_cur, key, s->levels.n, &cur);
    if (cur.n == 0 || stor_owners_has(&cur, stor_self(s)))
        return;
    for (size_t i = 0; i < cur.n; i++)
        if (stor_repair_q_has(s, key, cur.name[i]))
            return; /* a push of this key is still pending */
    stor_local_drop(s, key, local_clock, on_dropped, NULL);
}

/* ---- recover_file ------------------------------------------------------------------- */

struct rfile {
    uint32_t magic;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    cn_buf_t key;
    stor_version_t *lv;
    stor_owners_t owners;
    uint64_t hops;
    cn_msg_t *resp;            /* the answer, sent once rq settles */
    int rc;                    /* 0 or CN_ENOENT */
    stor_rq_wait_t rq;         /* the pushes: queued counts only persistent ones */
};

static void file_reply(struct rfile *f)
{
    int rc = f->rc;

    if (rc == 0 && f->rq.failed > 0)
        rc = CN_EIO; /* some entry could not be persisted: recover-file must be retried */
    cn_msg_set_rc(f->resp, rc);
    cn_msg_set_u64(f->resp, "queued", f->rq.queued);
    cn_rpc_reply(f->conn, f->req, f->resp);
    stor_version_dispose(f->lv);
    cn_free(f->lv);
    cn_buf_dispose(&f->key);
    f->magic = 0;
    cn_free(f);
}

static void on_file_persisted(stor_rq_wait_t *w)
{
    struct rfile *f = (struct rfile *)((char *)w - offsetof(struct rfile, rq));

    CN_CHECK_OBJ(f, STOR_RFILE_MAGIC);
    if (w->pending == 0)
        file_reply(f);
}

static void on_forwarded(int status, cn_msg_t *resp, void *arg)
{
    cn_msg_free(resp);
}

static void on_file_heads(stor_gather_t *g, void *arg)
{
    struct rfile *f = arg;
    struct stor_server *s = f->s;
    cn_slice_t key = cn_slice(f->key.data, f->key.len);
    int best = stor_gather_best(g);
    const char *self = stor_self(s);
    cn_msg_t *resp = cn_msg_new(cn_msg_op(f->req));

    CN_CHECK_OBJ(f, STOR_RFILE_MAGIC);
    f->resp = resp;
    if (best >= 0 && stor_version_found(f->lv) && f->lv->m.clock >= g->res[best].v.m.clock)
        best = -1; /* this node holds the newest */
    if (best < 0 && !stor_version_found(f->lv)) {
        f->rc = CN_ENOENT;
    } else if (best < 0) {
        for (size_t i = 0; i < g->n; i++) {
            const stor_version_t *v = &g->res[i].v;

            if (v->rc == CN_ENOENT || v->rc == CN_ECORRUPT ||
                (v->rc == 0 && v->m.clock < f->lv->m.clock) ||
                (v->rc != 0 && stor_owners_has(&f->owners, g->res[i].name))) {
                stor_rq_wait_push(s, &f->rq, key, g->res[i].name, STOR_R_FILE);
            }
        }
        cn_msg_set_str(resp, "newest", self);
        cn_msg_set_u64(resp, "clock", f->lv->m.clock);
        /* an erasure-coded object: its fragments too, each checked on its owner */
        cn_msg_set_u64(resp, "fragments", stor_frag_queue_object(s, f->lv, &f->rq,
                                                                  STOR_R_FILE));
    } else {
        const char *holder = g->res[best].name;

        if (stor_owners_has(&f->owners, self))
            stor_rq_wait_push(s, &f->rq, key, self, STOR_R_FILE);
        if (f->hops == 0) {
            cn_msg_t *fw = cn_msg_new(STOR_OP_RECOVER_FILE);

            cn_msg_set_bytes(fw, "key", key.ptr, key.len);
            cn_msg_set_u64(fw, "hops", 1);
            if (stor_peer_call(s, holder, fw, s->conf->repl_timeout_ms, on_forwarded, NULL) == 0)
                cn_msg_set_u64(resp, "forwarded", 1);
        }
        cn_msg_set_str(resp, "newest", holder);
        cn_msg_set_u64(resp, "clock", g->res[best].v.m.clock);
    }
    stor_gather_free(g);
    if (f->rq.pending == 0)
        file_reply(f); /* else on_file_persisted answers */
}

static void on_file_local(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct rfile *f = arg;

    CN_CHECK_OBJ(f, STOR_RFILE_MAGIC);
    f->lv = v;
    stor_gather_heads(s, cn_slice(f->key.data, f->key.len), on_file_heads, f);
}

static void recover_file(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req,
                         cn_slice_t key)
{
    struct rfile *f = cn_calloc(1, sizeof(*f));

    f->magic = STOR_RFILE_MAGIC;
    f->s = s;
    f->conn = conn;
    f->req = req;
    f->rq.done = on_file_persisted;
    cn_buf_init(&f->key);
    cn_buf_append(&f->key, key.ptr, key.len);
    if (cn_msg_get_u64(req, "hops", &f->hops) != 0)
        f->hops = 0;
    stor_owners_of(s->ring_cur, key, s->levels.n, &f->owners);
    stor_local_read(s, key, STOR_BODY_IF_MANIFEST, 0, UINT64_MAX, on_file_local, f);
}

/* ---- whereis, whereis_keys --------------------------------------------------------- */

struct wreq {
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
};

static void on_whereis(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct wreq *w = arg;
    cn_msg_t *resp = cn_msg_new(STOR_OP_WHEREIS);
    cn_slice_t key;
    size_t len;

    cn_msg_get_bytes(w->req, "key", &key);
    cn_msg_set_str(resp, "node", stor_self(s));
    cn_msg_set_u64(resp, "owner", (uint64_t)stor_is_owner(s, key));
    cn_msg_set_rc(resp, v->rc == CN_ECORRUPT ? 0 : v->rc);
    if (v->rc == 0 || v->rc == CN_ECORRUPT) {
        cn_msg_set_u64(resp, "clock", v->m.clock);
        cn_msg_set_str(resp, "etag", v->m.etag);
        cn_msg_set_u64(resp, "size", v->m.size);
        cn_msg_set_u64(resp, "mtime", v->m.mtime_ms);
        cn_msg_set_u64(resp, "flags", v->m.flags);
        cn_msg_set_u64(resp, "corrupt", v->rc == CN_ECORRUPT);
    }
    /* asked with manifest = 1: a live manifest's body (the manager lists its fragments) */
    if (v->rc == 0 && (v->m.flags & CN_OBJ_MANIFEST) && !(v->m.flags & CN_OBJ_TOMBSTONE) &&
        v->body.len > 0) {
        void *p = cn_buf_steal(&v->body, &len);
        cn_msg_set_body(resp, p, len);
    }
    cn_rpc_reply(w->conn, w->req, resp);
    stor_version_dispose(v);
    cn_free(v);
    cn_free(w);
}

/* whereis_keys: the request body is keys, each u32be length | key (1..STOR_KEY_MAX bytes),
 * at most STOR_WHEREIS_KEYS_MAX of them; the answer's body has one STOR_WHEREIS_ENT-byte
 * entry per key, in order: u8 state (enum below) | u32be flags | u64be clock | u64be size
 * (flags, clock and size 0 for none and error). The index only (stor_engine_stat): a record
 * is corrupt when scrub or a read marked it so, never by a read here. */
enum { WK_FOUND = 0, WK_NONE = 1, WK_CORRUPT = 2, WK_ERROR = 3 };

struct wkeys {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    cn_buf_t out;
};

/* The number of keys of a whereis_keys body, or CN_EINVAL when it is malformed. */
static int wkeys_count(cn_slice_t body)
{
    size_t off = 0;
    int n = 0;

    while (off < body.len) {
        uint32_t len;

        if (body.len - off < 4 || n == STOR_WHEREIS_KEYS_MAX)
            return CN_EINVAL;
        len = cn_get_u32be(body.ptr + off);
        off += 4;
        if (len == 0 || len > STOR_KEY_MAX || len > body.len - off)
            return CN_EINVAL;
        off += len;
        n++;
    }
    return n;
}

static void wkeys_run(uv_work_t *w)
{
    struct wkeys *j = w->data;
    cn_slice_t body = cn_msg_body(j->req);

    CN_CHECK_OBJ(j, STOR_WKEYS_MAGIC);
    for (size_t off = 0; off < body.len;) {
        uint32_t len = cn_get_u32be(body.ptr + off);
        uint8_t ent[STOR_WHEREIS_ENT] = {0};
        stor_obj_meta_t m;
        int rc;

        rc = stor_engine_stat(j->s->engine, cn_slice(body.ptr + off + 4, len), &m, NULL);
        off += 4 + (size_t)len;
        ent[0] = rc == 0 ? WK_FOUND : rc == CN_ENOENT ? WK_NONE
                                    : rc == CN_ECORRUPT ? WK_CORRUPT : WK_ERROR;
        if (rc == 0 || rc == CN_ECORRUPT) {
            cn_put_u32be(ent + 1, m.flags & ~STOR_IDX_BAD);
            cn_put_u64be(ent + 5, m.clock);
            cn_put_u64be(ent + 13, m.size);
        }
        cn_buf_append(&j->out, ent, sizeof(ent));
    }
}

static void wkeys_done(uv_work_t *w, int status)
{
    struct wkeys *j = w->data;
    cn_msg_t *resp = cn_msg_new(STOR_OP_WHEREIS_KEYS);
    size_t len;

    CN_CHECK_OBJ(j, STOR_WKEYS_MAGIC);
    cn_msg_set_rc(resp, status != 0 ? CN_ECANCELED : 0);
    if (status == 0 && j->out.len > 0) {
        void *p = cn_buf_steal(&j->out, &len);
        cn_msg_set_body(resp, p, len);
    }
    cn_rpc_reply(j->conn, j->req, resp);
    cn_buf_dispose(&j->out);
    j->magic = 0;
    cn_free(j);
}

/* Answers whereis_keys later (1), or returns CN_EINVAL for a malformed body. */
static int whereis_keys(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    struct wkeys *j;

    if (wkeys_count(cn_msg_body(req)) < 0)
        return CN_EINVAL;
    j = cn_calloc(1, sizeof(*j));
    j->magic = STOR_WKEYS_MAGIC;
    j->s = s;
    j->conn = conn;
    j->req = req;
    j->work.data = j;
    cn_buf_init(&j->out);
    cn_work_queue(s->loop, &j->work, wkeys_run, wkeys_done, "whereis_keys");
    return 1;
}

/* ---- RPC ---------------------------------------------------------------------------- */

static void put_scan(struct stor_server *s, cn_msg_t *resp, const struct scan *sc,
                     const char *prefix)
{
    stor_move_stats_t ms;
    uint64_t left = sc->queued > sc->done ? sc->queued - sc->done : 0;
    uint64_t keys = stor_engine_key_estimate(s->engine);
    char n[64];

    /* a running walk has not seen every key yet: what it has not reached moves in the same
     * proportion as what it has (keys from RocksDB's estimate of the index) */
    if (sc->running && sc->scanned > 0 && keys > sc->scanned)
        left += (uint64_t)((double)(keys - sc->scanned) * (double)sc->queued /
                           (double)sc->scanned);

#define F(name, val)                                                                        \
    do {                                                                                    \
        snprintf(n, sizeof(n), "%s%s", prefix, name);                                      \
        cn_msg_set_u64(resp, n, (val));                                                     \
    } while (0)
    snprintf(n, sizeof(n), "%sstate", prefix);
    cn_msg_set_str(resp, n, sc->running ? "running" : "idle");
    F("running", (uint64_t)sc->running);
    F("scanned", sc->scanned);
    F("queued", sc->queued);
    F("done", sc->done);
    F("errors", sc->errors);
    F("started_ms", sc->started_ms);
    F("finished_ms", sc->finished_ms);
    if (sc->kind == SCAN_REBAL)
        F("dropped", sc->dropped);
    /* the truth of a move: bytes sent, this node's move rate and budget, the moves left
     * (those queued and not done, plus the walk's estimate for the keys it has not reached)
     * and the time they take at the current rate */
    stor_move_rate_stats(s, &ms);
    F("bytes", sc->bytes);
    F("budget_bytes_s", ms.rate_now);
    F("rate_keys_s", (uint64_t)ms.rate_keys);
    F("rate_bytes_s", (uint64_t)ms.rate_bytes);
    F("left", left);
    F("index_keys", keys);
    F("eta_s", sc->running || left > 0 ? (ms.rate_keys >= 1 ? (uint64_t)(left / ms.rate_keys)
                                                             : UINT64_MAX) : 0);
#undef F
    if (sc->target[0]) {
        snprintf(n, sizeof(n), "%starget", prefix);
        cn_msg_set_str(resp, n, sc->target);
    }
}

int stor_recoverer_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    const char *op = cn_msg_op(req);
    struct stor_recoverer *r = s->rec;
    cn_msg_t *resp;
    cn_slice_t key;
    char target[STOR_NAME_MAX];
    int rc = 0;

    if (strcmp(op, STOR_OP_WHEREIS) == 0 || strcmp(op, STOR_OP_RECOVER_FILE) == 0) {
        if (cn_msg_get_bytes(req, "key", &key) != 0 || key.len == 0 || key.len > STOR_KEY_MAX) {
            rc = CN_EINVAL;
        } else if (strcmp(op, STOR_OP_WHEREIS) == 0) {
            struct wreq *w = cn_malloc(sizeof(*w));
            uint64_t manifest = 0;

            w->conn = conn;
            w->req = req;
            cn_msg_get_u64(req, "manifest", &manifest);
            stor_local_read(s, key, manifest ? STOR_BODY_IF_MANIFEST : 0, 0,
                            manifest ? UINT64_MAX : 0, on_whereis, w);
            return 1;
        } else if (s->ring_cur == NULL) {
            rc = CN_EUNAVAIL;
        } else {
            recover_file(s, conn, req, key);
            return 1;
        }
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_WHEREIS_KEYS) == 0) {
        if ((rc = whereis_keys(s, conn, req)) == 1)
            return 1;
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_RECOVER_NODE) == 0) {
        resp = cn_msg_new(op);
        if (cn_msg_get_str(req, "target", target, sizeof(target)) != 0 || target[0] == '\0' ||
            strcmp(target, stor_self(s)) == 0)
            rc = CN_EINVAL;
        else if (s->ring_cur == NULL || r == NULL)
            rc = CN_EUNAVAIL;
        else
            rc = scan_start(s, SCAN_NODE, target);
    } else if (strcmp(op, STOR_OP_RECOVER_CONSISTENCY) == 0) {
        resp = cn_msg_new(op);
        rc = s->ring_cur == NULL || r == NULL ? CN_EUNAVAIL : scan_start(s, SCAN_CONS, NULL);
    } else if (strcmp(op, STOR_OP_RECOVER_STATUS) == 0) {
        resp = cn_msg_new(op);
        if (r != NULL) {
            put_scan(s, resp, &r->sc[SCAN_NODE], "node_");
            put_scan(s, resp, &r->sc[SCAN_CONS], "consistency_");
            put_scan(s, resp, &r->sc[SCAN_REBAL], "rebalance_");
        }
    } else if (strcmp(op, STOR_OP_REBALANCE_STATUS) == 0) {
        resp = cn_msg_new(op);
        if (r != NULL)
            put_scan(s, resp, &r->sc[SCAN_REBAL], "");
    } else {
        return 0;
    }
    if (rc != 0)
        CN_LOG(CN_LOG_INFO, "op=%s peer=%s rc=%s", op, cn_rpc_conn_peer(conn), cn_strerror(rc));
    cn_msg_set_rc(resp, rc);
    cn_rpc_reply(conn, req, resp);
    return 1;
}

/* ---- periodic anti-entropy ------------------------------------------------------------ */

/* Every anti_entropy_interval, when no scan is running, start the consistency scan: it finds
 * what the repair queue could not know about (a replica lost without an error seen, a
 * bit-rotted copy never read). The first pass waits one interval after start. */
void stor_recoverer_cron(struct stor_server *s)
{
    struct stor_recoverer *r = s->rec;
    uint64_t now = cn_mono_ms(), every = s->conf->anti_entropy_ms;

    if (r == NULL || r->stopping || every == 0 || s->ring_cur == NULL)
        return;
    if (r->next_anti_entropy_ms == 0 || r->next_anti_entropy_ms > now + every)
        r->next_anti_entropy_ms = now + every; /* first call, or the interval was shortened */
    if (now < r->next_anti_entropy_ms)
        return;
    for (int k = 0; k < SCAN_KINDS; k++)
        if (r->sc[k].running)
            return;
    r->next_anti_entropy_ms = now + every;
    CN_LOG(CN_LOG_INFO, "anti-entropy: periodic consistency pass (every %" PRIu64 " ms)", every);
    scan_start(s, SCAN_CONS, NULL);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int stor_recoverer_start(struct stor_server *s)
{
    struct stor_recoverer *r = cn_calloc(1, sizeof(*r));

    r->magic = STOR_REC_MAGIC;
    for (int k = 0; k < SCAN_KINDS; k++) {
        r->sc[k].kind = k;
        cn_buf_init(&r->sc[k].cursor);
    }
    s->rec = r;
    return 0;
}

void stor_recoverer_stop(struct stor_server *s)
{
    if (s->rec != NULL)
        s->rec->stopping = 1;
}

void stor_recoverer_close(struct stor_server *s)
{
    struct stor_recoverer *r = s->rec;

    if (r == NULL)
        return;
    for (int k = 0; k < SCAN_KINDS; k++)
        cn_buf_dispose(&r->sc[k].cursor);
    r->magic = 0;
    cn_free(r);
    s->rec = NULL;
}

void stor_recoverer_rebalance_progress(struct stor_server *s, uint64_t *running,
                                       uint64_t *scanned, uint64_t *queued, uint64_t *done,
                                       uint64_t *dropped)
{
    const struct scan *sc;

    *running = *scanned = *queued = *done = *dropped = 0;
    if (s->rec == NULL)
        return;
    sc = &s->rec->sc[SCAN_REBAL];
    *running = (uint64_t)sc->running;
    *scanned = sc->scanned;
    *queued = sc->queued;
    *done = sc->done;
    *dropped = sc->dropped;
}
