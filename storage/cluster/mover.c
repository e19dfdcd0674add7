/*
 * storage/cluster/mover.c: the sending side of a batched move (docs/PROTOCOL.md, "Batched
 * moves"; the receiver is storage/cluster/move_srv.c). The repair queue's worker hands it
 * up to move_batch_keys keys bound for ONE peer; it
 *   1. reads their local versions (bodies too) in one thread-pool job;
 *   2. asks the peer which of them it needs (op move, check = 1: keys and clocks only), so
 *      that a key already in place costs an index lookup there and no transfer;
 *   3. sends the needed versions in move requests of at most move_batch_bytes each (a
 *      version larger than that goes alone: a large chunk streams as its own frame), which
 *      the peer writes with one group commit each and acks key by key.
 * Each key's result goes to key_fn exactly once: 0 (the peer holds that version or a newer
 * one), STOR_MOVE_FALLBACK (the local copy is missing or corrupt: the caller repairs that
 * key the single-key way, from the other owners), or the error; then end_fn, once.
 * Ownership: the batch copies the keys; versions are freed when the batch ends.
 * Threads: the loop, except read_run (thread pool), which touches only the batch.
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

struct mv_batch {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    char target[STOR_NAME_MAX];
    size_t n, calls;            /* calls: move requests on their way */
    cn_buf_t keys;
    size_t *koff, *klen;
    stor_version_t *v;
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

static cn_slice_t bkey(const struct mv_batch *b, size_t i)
{
    return cn_slice(b->keys.data + b->koff[i], b->klen[i]);
}

static uint64_t timeout_ms(const struct mv_batch *b)
{
    uint64_t t = b->s->conf->repl_timeout_ms;

    return t > MOVE_MIN_TIMEOUT_MS ? t : MOVE_MIN_TIMEOUT_MS;
}

static void batch_end(struct mv_batch *b)
{
    b->end_fn(b->arg);
    for (size_t i = 0; i < b->n; i++)
        stor_version_dispose(&b->v[i]);
    cn_free(b->v);
    cn_free(b->koff);
    cn_free(b->klen);
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
    }
    cn_msg_free(resp);
    cn_free(c->idx);
    c->magic = 0;
    cn_free(c);
    if (--b->calls == 0)
        batch_end(b);
}

/* Sends the keys idx[0..n) with their versions in one move request. */
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
    b->calls++;
    if (stor_peer_call(b->s, b->target, req, timeout_ms(b), on_put, c) != 0)
        on_put(CN_EUNAVAIL, NULL, c);
}

static void on_check(int status, cn_msg_t *resp, void *arg)
{
    struct mv_batch *b = arg;
    int rc = status != 0 ? status : cn_msg_rc(resp);
    cn_slice_t need = resp != NULL ? cn_msg_body(resp) : cn_slice("", 0);
    size_t *idx = cn_malloc(b->n * sizeof(*idx)), ni = 0, nfound = 0;
    uint64_t bound = b->s->conf->move_batch_bytes;
    cn_buf_t recs;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    cn_buf_init(&recs);
    for (size_t i = 0; i < b->n; i++)
        nfound += stor_version_found(&b->v[i]);
    if (rc == 0 && need.len != nfound)
        rc = CN_EPROTO;
    /* the check call's own count holds the batch while the put calls start */
    for (size_t i = 0, f = 0; i < b->n; i++) {
        const stor_version_t *v = &b->v[i];

        if (!stor_version_found(v))
            continue;
        if (rc != 0 || !need.ptr[f++]) {
            key_done(b, i, rc, 0);
            continue;
        }
        if (ni > 0 && recs.len + v->body.len > bound) {
            send_put(b, idx, ni, &recs);
            ni = 0;
        }
        stor_move_rec_encode(&recs, bkey(b, i), &v->m, cn_slice(v->body.data, v->body.len));
        idx[ni++] = i;
    }
    if (ni > 0)
        send_put(b, idx, ni, &recs);
    cn_buf_dispose(&recs);
    cn_free(idx);
    cn_msg_free(resp);
    if (--b->calls == 0)
        batch_end(b);
}

static void read_run(uv_work_t *w)
{
    struct mv_batch *b = w->data;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    for (size_t i = 0; i < b->n; i++) {
        stor_version_read(b->s->engine, bkey(b, i), 1, 0, UINT64_MAX, &b->v[i]);
        if (i % YIELD_KEYS == YIELD_KEYS - 1)
            sched_yield(); /* on a small box, let the foreground's threads in between */
    }
}

static void read_done(uv_work_t *w, int status)
{
    struct mv_batch *b = w->data;
    cn_msg_t *req;
    cn_buf_t recs;
    size_t found = 0;

    CN_CHECK_OBJ(b, STOR_MOVEB_MAGIC);
    cn_buf_init(&recs);
    b->calls = 1; /* held while the keys are sorted out */
    for (size_t i = 0; i < b->n; i++) {
        stor_version_t *v = &b->v[i];

        if (status != 0) {
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
        b->calls++;
        if (stor_peer_call(b->s, b->target, req, timeout_ms(b), on_check, b) != 0)
            on_check(CN_EUNAVAIL, NULL, b);
    }
    cn_buf_dispose(&recs);
    if (--b->calls == 0)
        batch_end(b);
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
    cn_work_queue(s->loop, &b->work, read_run, read_done, "move");
}
