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
 * With `group` (a bucket with versioning) the current version is the object's latest among
 * its versions: a group listing (tombstones included) of the object on this node and on the
 * others, each version key's newest entry deciding it (stor_group_latest, cond_group.c).
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
#include "common/work.h"

#define STOR_COND_MAGIC 0x53434e44u /* "SCND" */
#define GROUP_PAGE 256              /* versions each owner lists for a group check */

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
    struct group_read *group;   /* a group check's listings, while it runs */
};

/* A group check: the object's listing on this node (res[0], on the thread pool) and on each
 * other node of its read set (res[1..]). */
struct group_read {
    struct stor_cond *h;
    uv_work_t work;
    cn_buf_t local;             /* this node's listing, encoded */
    int local_rc;
    stor_owners_t ask;          /* the other nodes asked */
    cn_list_result_t **res;     /* 1 + ask.n; NULL: no answer */
    int *truncated;
    size_t pending;
    size_t answered;            /* owners on cur that answered */
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
    best = stor_gather_newest(s, &h->owners, h->local, g, &answered);
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

    CN_CHECK_OBJ(h, STOR_COND_MAGIC);
    h->local = v;
    stor_gather_heads(s, cn_slice(h->key.data, h->key.len), on_gather, h);
}

/* ---- a group check (cond_group) ---------------------------------------------------------- */

static void group_free(struct group_read *g)
{
    for (size_t i = 0; i <= g->ask.n; i++)
        if (g->res[i] != NULL)
            cn_list_result_free(g->res[i]);
    cn_free(g->res);
    cn_free(g->truncated);
    cn_buf_dispose(&g->local);
    cn_free(g);
}

static void group_decide(struct group_read *g)
{
    struct stor_cond *h = g->h;
    const cn_list_entry_t *latest = NULL;
    cn_wcond_cur_t cur = {0};
    char etag[sizeof(latest->etag)];
    uint64_t seen = 0;
    int rc, missing = 0;

    h->group = NULL;
    if (g->answered < stor_cond_need(h->s, h->owners.n) ||
        stor_group_latest(g->res, g->truncated, g->ask.n + 1, &latest) != 0) {
        CN_LOG(CN_LOG_WARN, "key=%.*s answered=%zu need=%zu: conditional write refused, its "
               "latest version is not known", (int)obj_len(cn_slice(h->key.data, h->key.len)),
               h->key.data, g->answered, stor_cond_need(h->s, h->owners.n));
        group_free(g);
        finish(h, CN_EUNAVAIL, 0, 0);
        return;
    }
    if (latest != NULL) {
        seen = latest->clock;
        if (!(latest->flags & CN_OBJ_DELETE_MARKER)) {
            memcpy(etag, latest->etag, sizeof(etag));
            cur.exists = 1;
            cur.etag = etag;
            cur.size = latest->size;
            cur.mtime_ms = latest->mtime_ms;
        }
    }
    rc = cn_wcond_eval(&h->c, &cur, &missing);
    group_free(g);
    finish(h, rc, missing, seen);
}

static void group_one_done(struct group_read *g)
{
    if (--g->pending == 0)
        group_decide(g);
}

struct group_call {
    struct group_read *g;
    size_t i;
};

static void on_group_list(int status, cn_msg_t *resp, void *arg)
{
    struct group_call *gc = arg;
    struct group_read *g = gc->g;
    size_t i = gc->i;
    uint64_t t = 0;

    cn_free(gc);
    if (status == 0 && cn_msg_rc(resp) == 0) {
        cn_slice_t b = cn_msg_body(resp);
        if (cn_list_decode(b.ptr ? b.ptr : "", b.len, &g->res[i]) == 0) {
            cn_msg_get_u64(resp, "truncated", &t);
            g->truncated[i] = t != 0;
            if (stor_owners_has(&g->h->owners, g->ask.name[i - 1]))
                g->answered++;
        }
    }
    if (resp)
        cn_msg_free(resp);
    group_one_done(g);
}

static void group_ask(struct group_read *g)
{
    struct stor_cond *h = g->h;
    size_t ol = obj_len(cn_slice(h->key.data, h->key.len));

    g->pending = g->ask.n + 1; /* held while sending */
    for (size_t i = 0; i < g->ask.n; i++) {
        cn_msg_t *m = cn_msg_new(CN_OP_LIST);
        struct group_call *gc = cn_malloc(sizeof(*gc));

        cn_msg_set_bytes(m, "prefix", h->key.data, ol);
        cn_msg_set_u64(m, "group", 1);
        cn_msg_set_u64(m, "tombstones", 1);
        cn_msg_set_u64(m, "max_keys", GROUP_PAGE);
        gc->g = g;
        gc->i = i + 1;
        if (stor_peer_call(h->s, g->ask.name[i], m, h->s->conf->repl_timeout_ms, on_group_list,
                           gc) != 0) {
            cn_free(gc);
            g->pending--;
        }
    }
    group_one_done(g);
}

static void run_group_local(uv_work_t *w)
{
    struct group_read *g = w->data;
    struct stor_cond *h = g->h;
    cn_slice_t obj = cn_slice(h->key.data, obj_len(cn_slice(h->key.data, h->key.len)));

    g->local_rc = stor_engine_list(h->s->engine, obj, cn_slice("", 0), GROUP_PAGE,
                                   cn_slice("", 0), STOR_LIST_GROUP | STOR_LIST_TOMBSTONES,
                                   cn_slice("", 0), &g->local, &g->truncated[0]);
}

static void group_local_done(uv_work_t *w, int status)
{
    struct group_read *g = w->data;

    if (status == 0 && g->local_rc == 0 &&
        cn_list_decode(g->local.data ? g->local.data : "", g->local.len, &g->res[0]) == 0 &&
        stor_owners_has(&g->h->owners, stor_self(g->h->s)))
        g->answered++;
    group_ask(g);
}

static void group_start(struct stor_cond *h)
{
    struct group_read *g = cn_calloc(1, sizeof(*g));

    g->h = h;
    h->group = g;
    cn_buf_init(&g->local);
    stor_read_set(h->s, cn_slice(h->key.data, h->key.len), stor_self(h->s), NULL, &g->ask);
    g->res = cn_calloc(g->ask.n + 1, sizeof(*g->res));
    g->truncated = cn_calloc(g->ask.n + 1, sizeof(*g->truncated));
    g->work.data = g;
    cn_work_queue(h->s->loop, &g->work, run_group_local, group_local_done, "group check");
}

static void cond_start(struct stor_cond *h)
{
    if (h->c.group) {
        group_start(h);
        return;
    }
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
