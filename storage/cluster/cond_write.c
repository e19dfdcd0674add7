/*
 * storage/cluster/cond_write.c: the coordinator's side of conditional writes and deletes
 * (issue 16; docs/DESIGN.md, "Conditional writes"). A put or delete that carries a condition
 * (common/wcond.h) is coordinated only by the key's first owner on ring cur that the manager
 * does not report down (stor_cond_is_coordinator); there the conditional writes of one object
 * run one at a time, in arrival order (a FIFO per object: the key up to its NUL, so that every
 * version "bucket/key\0ID" of an object shares its object's queue). The holder of the queue
 * reads the key's current version, the newest (by clock) of its own copy and of the copies of
 * every other node of the read set (owners on cur, then on prev during a rebalance), answered
 * by at least N - min(W, D) + 1 owners on cur (itself included), so that every acked put and
 * every acked delete is among those read; it evaluates the condition against that version,
 * and keeps the queue while the write runs (replicator.c releases it when the write answers).
 * Plain writes never wait here: a plain write that lands meanwhile either is older (the
 * conditional write wins by clock) or newer (the conditional write's local write answers
 * CN_ESTALE and the client gets 409 ConditionalRequestConflict).
 *
 * State: the queues hang off the storage server (s->cond_queues), main loop only. A
 * stor_cond_t lives from stor_cond_begin to stor_cond_end; its read and gather callbacks
 * always come back before the callback it was given runs.
 */
#include "storage/cluster/cluster.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

#define STOR_COND_MAGIC 0x53434e44u /* "SCND" */

struct cond_queue {
    cn_buf_t obj;               /* the object part of the key (up to its NUL) */
    struct stor_cond *head, *tail; /* head holds the queue; the others wait in order */
    struct cond_queue *next;
};

struct stor_cond {
    uint32_t magic;
    struct stor_server *s;
    cn_buf_t key;
    cn_wcond_t c;
    stor_owners_t owners;       /* cur owners */
    stor_cond_done_fn cb;
    void *arg;
    struct cond_queue *q;
    struct stor_cond *next;
    stor_version_t *local;
};


static size_t obj_len(cn_slice_t key)
{
    const char *nul = memchr(key.ptr, '\0', key.len);

    return nul ? (size_t)(nul - key.ptr) : key.len;
}

int stor_cond_is_coordinator(const struct stor_server *s, const stor_owners_t *owners)
{
    for (size_t i = 0; i < owners->n; i++)
        if (!stor_peer_down(s, owners->name[i]))
            return strcmp(owners->name[i], stor_self(s)) == 0;
    return 0;
}

size_t stor_cond_need(const struct stor_server *s, size_t owners)
{
    uint32_t q = s->levels.w < s->levels.d ? s->levels.w : s->levels.d;
    size_t need = q > s->levels.n ? 1 : s->levels.n - q + 1;

    return need > owners ? owners : need;
}

static void cond_start(struct stor_cond *h);

static void finish(struct stor_cond *h, int rc, int missing, uint64_t seen_clock)
{
    h->cb(h->s, rc, missing, seen_clock, h->arg);
}

static void on_gather(stor_gather_t *g, void *arg)
{
    struct stor_cond *h = arg;
    struct stor_server *s = h->s;
    const stor_version_t *best = NULL;
    size_t answered = 0;
    cn_wcond_cur_t cur = {0};
    int rc, missing = 0;

    CN_CHECK_OBJ(h, STOR_COND_MAGIC);
    if (stor_owners_has(&h->owners, stor_self(s)) &&
        (h->local->rc == 0 || h->local->rc == CN_ENOENT))
        answered++;
    if (stor_version_found(h->local))
        best = h->local;
    for (size_t i = 0; g != NULL && i < g->n; i++) {
        const stor_version_t *v = &g->res[i].v;

        if ((v->rc == 0 || v->rc == CN_ENOENT) && stor_owners_has(&h->owners, g->res[i].name))
            answered++;
        if (stor_version_found(v) && (best == NULL || v->m.clock > best->m.clock))
            best = v;
    }
    if (answered < stor_cond_need(s, h->owners.n)) {
        CN_LOG(CN_LOG_WARN, "key=%.*s answered=%zu need=%zu: conditional write refused, too few "
               "owners answered", (int)obj_len(cn_slice(h->key.data, h->key.len)), h->key.data,
               answered, stor_cond_need(s, h->owners.n));
        if (g != NULL)
            stor_gather_free(g);
        finish(h, CN_EUNAVAIL, 0, 0);
        return;
    }
    if (best != NULL && !(best->m.flags & (CN_OBJ_TOMBSTONE | CN_OBJ_DELETE_MARKER))) {
        cur.exists = 1;
        cur.etag = best->m.etag;
        cur.size = best->m.size;
        cur.mtime_ms = best->m.mtime_ms;
    }
    rc = cn_wcond_eval(&h->c, &cur, &missing);
    {
        uint64_t seen = best != NULL ? best->m.clock : 0;

        if (g != NULL)
            stor_gather_free(g);
        finish(h, rc, missing, seen);
    }
}

static void on_local(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct stor_cond *h = arg;
    stor_owners_t ask;

    CN_CHECK_OBJ(h, STOR_COND_MAGIC);
    h->local = v;
    stor_read_set(s, cn_slice(h->key.data, h->key.len), stor_self(s), NULL, &ask);
    if (ask.n == 0) {
        on_gather(NULL, h);
        return;
    }
    stor_gather_start(s, cn_slice(h->key.data, h->key.len), &ask, CN_OP_HEAD, 0, UINT64_MAX,
                      on_gather, h);
}

static void cond_start(struct stor_cond *h)
{
    stor_local_read(h->s, cn_slice(h->key.data, h->key.len), 0, 0, UINT64_MAX, on_local, h);
}

stor_cond_t *stor_cond_begin(struct stor_server *s, cn_slice_t key, const cn_wcond_t *c,
                             const stor_owners_t *owners, stor_cond_done_fn cb, void *arg)
{
    struct stor_cond *h = cn_calloc(1, sizeof(*h));
    size_t ol = obj_len(key);
    struct cond_queue *q;

    h->magic = STOR_COND_MAGIC;
    h->s = s;
    h->c = *c;
    h->owners = *owners;
    h->cb = cb;
    h->arg = arg;
    cn_buf_init(&h->key);
    cn_buf_append(&h->key, key.ptr, key.len);
    for (q = s->cond_queues; q != NULL; q = q->next)
        if (q->obj.len == ol && memcmp(q->obj.data, key.ptr, ol) == 0)
            break;
    if (q == NULL) {
        q = cn_calloc(1, sizeof(*q));
        cn_buf_init(&q->obj);
        cn_buf_append(&q->obj, key.ptr, ol);
        q->next = s->cond_queues;
        s->cond_queues = q;
    }
    h->q = q;
    if (q->tail != NULL) {
        q->tail->next = h; /* waits for the conditional writes before it */
        q->tail = h;
        return h;
    }
    q->head = q->tail = h;
    cond_start(h);
    return h;
}

void stor_cond_end(stor_cond_t *h)
{
    struct cond_queue *q = h->q, **pp;
    struct stor_cond *next;

    CN_CHECK_OBJ(h, STOR_COND_MAGIC);
    CN_ASSERT(q->head == h);
    next = h->next;
    q->head = next;
    if (next == NULL) {
        q->tail = NULL;
        for (pp = &h->s->cond_queues; *pp != q; pp = &(*pp)->next)
            ;
        *pp = q->next;
        cn_buf_dispose(&q->obj);
        cn_free(q);
    }
    if (h->local != NULL) {
        stor_version_dispose(h->local);
        cn_free(h->local);
    }
    cn_buf_dispose(&h->key);
    h->magic = 0;
    cn_free(h);
    if (next != NULL)
        cond_start(next);
}
