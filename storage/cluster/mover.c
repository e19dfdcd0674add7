/*
 * storage/cluster/mover.c: the sending side of a batched move (docs/PROTOCOL.md, "Batched
 * moves"; the receiver is storage/cluster/move_srv.c). The repair queue's worker or the
 * rebalance walk hands it up to move_batch_keys keys bound for ONE peer; it
 *   1. looks their local versions up in the index (no bodies) in one thread-pool job;
 *   2. asks the peer which of them it needs (op move, check = 1: keys and clocks only), so
 *      that a key already in place costs an index lookup there and no transfer, and no body
 *      read here either (with three senders per key, two of three would be wasted);
 *   3. sends the needed versions chunk by chunk: a chunk is at most move_batch_bytes of
 *      bodies and at most one batch of the move rate (stor_move_rate_batch_cost), or one
 *      version alone when it is larger. Each chunk pays its bodies' bytes (known from the
 *      index) to the move rate BEFORE its bodies are read, waits while the budget is in
 *      debt, then is read in the thread pool and sent as one move request, which the peer
 *      writes with one group commit and acks key by key. At most PUTS_MAX chunks of a batch
 *      are on the wire at once, so that large objects stream at the rate instead of
 *      arriving as one burst of up to move_batch_keys bodies.
 * The caller pays each key's STOR_MOVE_KEY_COST when the job starts (stor_move_rate_begin);
 * the bodies are paid here, chunk by chunk.
 * Each key's result goes to key_fn exactly once: 0 (the peer holds that version or a newer
 * one), STOR_MOVE_FALLBACK (the local copy is missing or corrupt: the caller repairs that
 * key the single-key way, from the other owners), or the error; then end_fn, once.
 * Ownership: the batch copies the keys; versions are freed when the batch ends.
 * Threads: the loop, except stat_run and chunk_run (thread pool), which touch only the
 * batch's keys and versions, and only while no other step of the batch runs on them.
 */
#include "storage/cluster/cluster.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"

#define STOR_MOVEB_MAGIC 0x534d5642u /* "SMVB" */
#define STOR_MOVEC_MAGIC 0x534d5643u /* "SMVC" */
#define YIELD_KEYS 32                /* keys read between two sched_yield()s */
#define MOVE_MIN_TIMEOUT_MS 10000    /* a batch of group commits under load takes a while */
#define PUTS_MAX 2                   /* chunks of one batch on the wire at once */

struct mv_batch {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    char target[STOR_NAME_MAX];
    size_t n;
    size_t refs;                /* what holds the batch: a step in progress, each put call */
    size_t puts;                /* put calls on the wire */
    cn_buf_t keys;
    size_t *koff, *klen;
    stor_version_t *v;
    /* the versions the peer needs, in batch order; [cbeg, cend) the chunk being read */
    size_t *todo, ntodo, next, cbeg, cend;
    int chunking;               /* a chunk is paying or being read */
    stor_move_key_fn key_fn;
    stor_move_end_fn end_fn;
    void *arg;
};

/* One put call: the indexes of its keys in the batch. */
struct mv_call {
    uint32_t magic;
    struct mv_batch *b;
    size_t *idx, n;
};

static void next_chunk(struct mv_batch *b);

static cn_slice_t bkey(const struct mv_batch *b, size_t i)
{
    return cn_slice(b->keys.data + b->koff[i], b->klen[i]);
}

static uint64_t timeout_ms(const struct mv_batch *b)
{
    uint64_t t = b->s->conf->repl_timeout_ms;

    return t > MOVE_MIN_TIMEOUT_MS ? t : MOVE_MIN_TIMEOUT_MS;
}

/* The body bytes key i will send, from its index entry (a manifest's body is small; its
 * size is the whole object's). */
static uint64_t body_bytes(const struct mv_batch *b, size_t i)
{
    const stor_obj_meta_t *m = &b->v[i].m;

    return m->flags & (CN_OBJ_TOMBSTONE | CN_OBJ_MANIFEST) ? 0 : m->size;
}

static void unref(struct mv_batch *b)
{
    CN_ASSERT(b->refs > 0);
    if (--b->refs > 0)
        return;
    b->end_fn(b->arg);
    for (size_t i = 0; i < b->n; i++)
        stor_version_dispose(&b->v[i]);
    cn_free(b->v);
    cn_free(b->koff);
    cn_free(b->klen);
    cn_free(b->todo);
    cn_buf_dispose(&b->keys);
    b->magic = 0;
    cn_free(b);
}

/* sent: the version went in a put (its body counts as moved); a key the peer already held
 * moved no bytes. */
static void key_done(struct mv_batch *b, size_t i, int rc, int sent)
{
    const stor_version_t *v = &b->v[i];

    b->key_fn(b->arg, i, rc, stor_version_found(v) ? v->m.clock : 0,
              rc == 0 && sent && stor_version_found(v) ? v->body.len : 0);
}

static void on_put(int status, cn_msg_t *resp, void *arg)
{
    struct mv_call *c = arg;
    struct mv_batch *b = c->b;
    int rc = status != 0 ? status : cn_msg_rc(resp);
    cn_slice_t body = resp != NULL ? cn_msg_body(resp) : cn_slice("", 0);

    CN_CHECK_OBJ(c, STOR_MOVEC_MAGIC);
    if (rc == 0 && body.len != c->n * 4)
        rc = CN_EPROTO;
    for (size_t k = 0; k < c->n; k++) {
        int r = rc != 0 ? rc : (int)(int32_t)cn_get_u32le(body.ptr + 4 * k);

        key_done(b, c->idx[k], r == CN_ESTALE || r == CN_ENOENT ? 0 : r, 1);
        stor_version_dispose(&b->v[c->idx[k]]); /* its body is no longer needed */
        stor_version_init(&b->v[c->idx[k]]);
    }
    cn_msg_free(resp);
    cn_free(c->idx);
    c->magic = 0;
    cn_free(c);
    b->puts--;
    next_chunk(b);
    unref(b); /* the put's hold */
}

/* Sends the keys idx[0..n) with their versions, encoded in recs, in one move request. */
static void send_put(struct mv_batch *b, size_t *idx, size_t n, cn_buf_t *recs)
{
    struct mv_call *c = cn_calloc(1, sizeof(*c));
    cn_msg_t *req = cn_msg_new(STOR_OP_MOVE);
    char *body;
    size_t len;

    c->magic = STOR_MOVEC_MAGIC;
    c->b = b;
    c->idx = cn_malloc(n * sizeof(*c->idx));
    memcpy(c->idx, idx, n * sizeof(*idx));
    c->n = n;
    cn_msg_set_u64(req, "n", n);
    cn_msg_set_u64(req, "check", 0);
    body = cn_buf_steal(recs, &len); /* before len is read: argument order is unspecified */
    cn_msg_set_body(req, body, len);
    b->refs++;
    b->puts++;
    if (stor_peer_call(b->s, b->target, req, timeout_ms(b), on_put, c) != 0)
        on_put(CN_EUNAVAIL, NULL, c);
}

static void chunk_run(uv_work_t *w)
{
    struct mv_batch *b = w->data;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    for (size_t k = b->cbeg; k < b->cend; k++) {
        stor_version_t *v = &b->v[b->todo[k]];

        stor_version_dispose(v); /* the index entry read first; now the version, body too */
        stor_version_init(v);
        stor_version_read(b->s->engine, bkey(b, b->todo[k]), 1, 0, UINT64_MAX, v);
        if (k % YIELD_KEYS == YIELD_KEYS - 1)
            sched_yield(); /* on a small box, let the foreground's threads in between */
    }
}

static void chunk_done(uv_work_t *w, int status)
{
    struct mv_batch *b = w->data;
    size_t *idx = cn_malloc((b->cend - b->cbeg) * sizeof(*idx)), ni = 0;
    cn_buf_t recs;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    cn_buf_init(&recs);
    for (size_t k = b->cbeg; k < b->cend; k++) {
        size_t i = b->todo[k];
        const stor_version_t *v = &b->v[i];

        if (status != 0)
            key_done(b, i, CN_ECANCELED, 0);
        else if (v->rc == CN_ENOENT || v->rc == CN_ECORRUPT)
            key_done(b, i, STOR_MOVE_FALLBACK, 0); /* gone or bad since the check */
        else if (v->rc != 0)
            key_done(b, i, v->rc, 0);
        else {
            stor_move_rec_encode(&recs, bkey(b, i), &v->m, cn_slice(v->body.data, v->body.len));
            idx[ni++] = i;
        }
    }
    if (ni > 0)
        send_put(b, idx, ni, &recs);
    cn_buf_dispose(&recs);
    cn_free(idx);
    b->chunking = 0;
    next_chunk(b);
    unref(b); /* the chunk's hold */
}

static void on_paid(void *arg, int status)
{
    struct mv_batch *b = arg;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    if (status != 0) {
        chunk_done(&b->work, status);
        return;
    }
    cn_work_queue(b->s->loop, &b->work, chunk_run, chunk_done, "move");
}

/* Cuts the next chunk of the needed versions and pays for it (see the file comment);
 * nothing while a chunk is under way or PUTS_MAX puts are on the wire. */
static void next_chunk(struct mv_batch *b)
{
    uint64_t bound = b->s->conf->move_batch_bytes, rate = stor_move_rate_batch_cost(b->s);
    uint64_t bytes = 0;

    if (b->chunking || b->next == b->ntodo || b->puts >= PUTS_MAX)
        return;
    if (rate < bound)
        bound = rate;
    b->cbeg = b->next;
    while (b->next < b->ntodo) {
        uint64_t len = body_bytes(b, b->todo[b->next]);

        if (b->next > b->cbeg && bytes + len > bound)
            break;
        bytes += len;
        b->next++;
    }
    b->cend = b->next;
    b->chunking = 1;
    b->refs++;
    if (stor_move_rate_pay(b->s, bytes, on_paid, b))
        on_paid(b, 0);
}

static void on_check(int status, cn_msg_t *resp, void *arg)
{
    struct mv_batch *b = arg;
    int rc = status != 0 ? status : cn_msg_rc(resp);
    cn_slice_t need = resp != NULL ? cn_msg_body(resp) : cn_slice("", 0);
    size_t nfound = 0;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    for (size_t i = 0; i < b->n; i++)
        nfound += stor_version_found(&b->v[i]);
    if (rc == 0 && need.len != nfound)
        rc = CN_EPROTO;
    b->todo = cn_malloc(b->n * sizeof(*b->todo));
    for (size_t i = 0, f = 0; i < b->n; i++) {
        if (!stor_version_found(&b->v[i]))
            continue;
        if (rc != 0 || !need.ptr[f++])
            key_done(b, i, rc, 0);
        else
            b->todo[b->ntodo++] = i;
    }
    cn_msg_free(resp);
    next_chunk(b);
    unref(b); /* the check call's hold */
}

static void stat_run(uv_work_t *w)
{
    struct mv_batch *b = w->data;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    for (size_t i = 0; i < b->n; i++)
        stor_version_read(b->s->engine, bkey(b, i), 0, 0, UINT64_MAX, &b->v[i]);
}

static void stat_done(uv_work_t *w, int status)
{
    struct mv_batch *b = w->data;
    cn_msg_t *req;
    cn_buf_t recs;
    size_t found = 0;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    cn_buf_init(&recs);
    for (size_t i = 0; i < b->n; i++) {
        stor_version_t *v = &b->v[i];

        if (status != 0) {
            v->rc = CN_ECANCELED; /* not found: on_check leaves it alone */
            key_done(b, i, CN_ECANCELED, 0);
        } else if (v->rc == 0) {
            stor_obj_meta_t m = v->m;

            m.meta = cn_slice("", 0);
            stor_move_rec_encode(&recs, bkey(b, i), &m, cn_slice("", 0));
            found++;
        } else if (v->rc == CN_ENOENT || v->rc == CN_ECORRUPT) {
            key_done(b, i, STOR_MOVE_FALLBACK, 0);
        } else {
            key_done(b, i, v->rc, 0);
        }
    }
    if (found > 0) {
        size_t len;

        req = cn_msg_new(STOR_OP_MOVE);
        cn_msg_set_u64(req, "n", found);
        cn_msg_set_u64(req, "check", 1);
        char *body = cn_buf_steal(&recs, &len); /* before len is read */

        cn_msg_set_body(req, body, len);
        b->refs++;
        if (stor_peer_call(b->s, b->target, req, timeout_ms(b), on_check, b) != 0)
            on_check(CN_EUNAVAIL, NULL, b);
    }
    cn_buf_dispose(&recs);
    unref(b); /* the lookup's hold */
}

void stor_move_start(struct stor_server *s, const char *target, const cn_slice_t *keys,
                     size_t n, stor_move_key_fn key_fn, stor_move_end_fn end_fn, void *arg)
{
    struct mv_batch *b = cn_calloc(1, sizeof(*b));

    CN_ASSERT(n > 0);
    b->magic = STOR_MOVEB_MAGIC;
    b->s = s;
    snprintf(b->target, sizeof(b->target), "%s", target);
    b->n = n;
    b->refs = 1; /* the lookup */
    b->key_fn = key_fn;
    b->end_fn = end_fn;
    b->arg = arg;
    b->work.data = b;
    cn_buf_init(&b->keys);
    b->koff = cn_malloc(n * sizeof(*b->koff));
    b->klen = cn_malloc(n * sizeof(*b->klen));
    b->v = cn_malloc(n * sizeof(*b->v));
    for (size_t i = 0; i < n; i++) {
        b->koff[i] = b->keys.len;
        b->klen[i] = keys[i].len;
        cn_buf_append(&b->keys, keys[i].ptr, keys[i].len);
        stor_version_init(&b->v[i]);
    }
    cn_work_queue(s->loop, &b->work, stat_run, stat_done, "move");
}
