/*
 * gateway/s3/ec_chunk.c: erasure-coded chunks (see ec_chunk.h): the write (encode on the
 * thread pool, K + M puts, quorum, handoffs), the read (data fragments, else a degraded
 * decode) and the delete.
 * Lifetimes: a write or read is its own heap object, alive until its last RPC came back and
 * its callback ran; it never touches the request it serves (the caller's callback does, as
 * for any RPC), so a client going away needs nothing here.
 */
#include "gateway/s3/ec_chunk.h"

#include <inttypes.h>
#include <string.h>

#include "common/clock.h"
#include "common/ec.h"
#include "common/ec_frag.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"
#include "gateway/gateway.h"
#include "gateway/link/stor_link.h"

#define EC_WRITE_MAGIC 0x65637772u /* "ecwr" */
#define EC_READ_MAGIC 0x65637264u  /* "ecrd" */
#define OP_FRAG_HANDOFF "frag_handoff" /* storage/cluster/frag_rebuild.c */

unsigned gw_ec_write_quorum(const gw_server_t *s, unsigned k, unsigned m)
{
    uint64_t w = s->conf.ec_write_quorum;

    if (w == 0)
        w = k + 1;
    if (w < k)
        w = k;
    if (w > k + m)
        w = k + m;
    return (unsigned)w;
}

/* a finished operation's answer, in the form of an RPC's; body (cn_malloc'd, or NULL) is
 * taken: a chunk's bytes are copied once, from the fragments into it */
static void answer(cn_rpc_done_fn cb, void *arg, int rc, void *body, size_t len)
{
    cn_msg_t *resp = cn_msg_new(CN_OP_GET);

    cn_msg_set_rc(resp, rc);
    if (body != NULL)
        cn_msg_set_body(resp, body, len);
    cb(0, resp, arg);
}

/* ---- write ---------------------------------------------------------------------------- */

struct ec_write;
struct frag_call {
    struct ec_write *w;
    unsigned i;
};

struct ec_write {
    uint32_t magic;
    gw_server_t *s;
    cn_buf_t ckey;               /* the chunk's key */
    unsigned k, m, q;            /* code and write quorum */
    uint64_t clock;
    const uint8_t *src;          /* the chunk's bytes (w->copy when not stable) */
    uint8_t *copy;
    size_t len, flen;            /* chunk and fragment payload lengths */
    uint8_t *frags;              /* K + M stored fragments: header + payload each (the puts
                                  * borrow them: freed once no put is out) */
    int enc_rc;
    uv_work_t work;
    unsigned puts_out, handoffs_out, ok;
    int handing, answered;       /* the handoffs were sent; the caller was answered */
    uint8_t state[CN_EC_MAX_FRAGS]; /* FW_* */
    struct frag_call calls[CN_EC_MAX_FRAGS];
    int last_err, handoff_err;
    uv_timer_t hedge;            /* the quorum is in, stragglers are handed over after it */
    int timer_open;
    cn_rpc_done_fn cb;
    void *arg;
};

enum { FW_OUT = 0, FW_DURABLE, FW_FAILED, FW_HANDED }; /* HANDED: failed or a straggler */

static uint8_t *frag_at(const struct ec_write *w, unsigned i)
{
    return w->frags + (size_t)i * (CN_FRAG_HDR_LEN + w->flen);
}

static void write_free(struct ec_write *w)
{
    cn_buf_dispose(&w->ckey);
    cn_free(w->copy);
    cn_free(w->frags);
    w->magic = 0;
    cn_free(w);
}

static void on_write_timer_closed(uv_handle_t *h)
{
    write_free(h->data);
}

/* Frees w once it answered and nothing it sent is still out. */
static void write_maybe_free(struct ec_write *w)
{
    if (!w->answered || w->puts_out > 0 || w->handoffs_out > 0 || w->magic != EC_WRITE_MAGIC)
        return;
    w->magic = EC_WRITE_MAGIC + 1; /* closing */
    if (w->timer_open)
        uv_close((uv_handle_t *)&w->hedge, on_write_timer_closed);
    else
        write_free(w);
}

static void write_end(struct ec_write *w, int rc)
{
    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "coded chunk %s (%u+%u): %u of %u fragments durable: %s",
               w->ckey.data + 1, w->k, w->m, w->ok, w->k + w->m, cn_strerror(rc));
    w->answered = 1;
    if (w->timer_open)
        uv_timer_stop(&w->hedge);
    answer(w->cb, w->arg, rc, NULL, 0);
    write_maybe_free(w);
}

static void handoff_done(struct ec_write *w, int rc)
{
    if (rc != 0)
        w->handoff_err = rc;
    if (--w->handoffs_out == 0 && !w->answered)
        write_end(w, w->handoff_err ? CN_EUNAVAIL : 0);
    else
        write_maybe_free(w);
}

static void on_handoff(int status, cn_msg_t *resp, void *arg)
{
    struct ec_write *w = arg;
    int rc = status ? status : cn_msg_rc(resp);

    CN_CHECK_OBJ(w, EC_WRITE_MAGIC);
    if (resp)
        cn_msg_free(resp);
    if (rc == 0)
        cn_metric_add(w->s->metrics.ec_handoffs, NULL, 1);
    else
        CN_LOG(CN_LOG_WARN, "coded chunk %s: handing a fragment over: %s", w->ckey.data + 1,
               cn_strerror(rc));
    handoff_done(w, rc);
}

/* The quorum is in: each fragment that failed or is still out goes to the repair queue of
 * the chunk key's first live owner, and the write is acked once every one is persistent
 * there. A straggler that lands later is found there by the entry's check of its target. */
static void handoff_rest(struct ec_write *w)
{
    cn_buf_t fk;
    const cn_ring_node_t *owner;

    cn_buf_init(&fk);
    w->handing = 1;
    w->handoffs_out = 1; /* held while sending */
    for (unsigned i = 0; i < w->k + w->m; i++) {
        if (w->state[i] == FW_DURABLE)
            continue;
        w->state[i] = FW_HANDED;
        cn_frag_key(w->ckey.data, w->ckey.len, w->k, w->m, i, &fk);
        if (w->s->mgr.ring == NULL ||
            cn_ring_lookup(w->s->mgr.ring, fk.data, fk.len, 1, &owner) != 1) {
            w->handoff_err = CN_EUNAVAIL;
            continue;
        }
        cn_msg_t *m = cn_msg_new(OP_FRAG_HANDOFF);
        cn_msg_set_bytes(m, "key", fk.data, fk.len);
        cn_msg_set_str(m, "target", owner->name);
        w->handoffs_out++;
        if (gw_stor_send(w->s, w->ckey.data, w->ckey.len, m, on_handoff, w) != 0) {
            w->handoffs_out--;
            w->handoff_err = CN_EUNAVAIL;
        }
    }
    cn_buf_dispose(&fk);
    handoff_done(w, 0); /* the hold */
}

static void on_write_hedge(uv_timer_t *t)
{
    struct ec_write *w = t->data;

    CN_CHECK_OBJ(w, EC_WRITE_MAGIC);
    if (w->answered || w->handing)
        return;
    CN_LOG(CN_LOG_INFO, "coded chunk %s: %u fragment(s) slow after the quorum: handed over",
           w->ckey.data + 1, w->puts_out);
    handoff_rest(w);
}

static void frag_record(struct ec_write *w, unsigned i, int rc)
{
    if (rc == 0 || rc == CN_ESTALE) { /* ESTALE: this write's own copy, sent again */
        w->ok++;
        if (w->state[i] == FW_OUT)
            w->state[i] = FW_DURABLE;
        return;
    }
    if (w->state[i] == FW_OUT)
        w->state[i] = FW_FAILED;
    w->last_err = rc;
    CN_LOG(CN_LOG_INFO, "coded chunk %s: fragment %u: %s", w->ckey.data + 1, i,
           cn_strerror(rc));
}

/* After each put (or the sender's hold): every put back, the quorum decides; the quorum in
 * with stragglers out, they get [gateway] ec_hedge_ms more before they are handed over. */
static void frag_settle(struct ec_write *w)
{
    if (w->answered || w->handing) {
        write_maybe_free(w);
        return;
    }
    if (w->puts_out == 0) {
        if (w->ok < w->q)
            write_end(w, w->last_err ? w->last_err : CN_EUNAVAIL);
        else if (w->ok < w->k + w->m)
            handoff_rest(w);
        else
            write_end(w, 0);
    } else if (w->ok >= w->q && !uv_is_active((uv_handle_t *)&w->hedge) &&
               w->s->conf.ec_hedge_ms > 0) {
        uv_timer_start(&w->hedge, on_write_hedge, w->s->conf.ec_hedge_ms, 0);
    }
}

static void on_frag_put(int status, cn_msg_t *resp, void *arg)
{
    struct frag_call *c = arg;
    int rc = status ? status : cn_msg_rc(resp);

    CN_CHECK_OBJ(c->w, EC_WRITE_MAGIC);
    if (resp)
        cn_msg_free(resp);
    c->w->puts_out--;
    frag_record(c->w, c->i, rc);
    frag_settle(c->w);
}

/* Thread pool: the fragments and their headers. */
static void run_encode(uv_work_t *wk)
{
    struct ec_write *w = wk->data;
    uint8_t *payload[CN_EC_MAX_FRAGS];
    uint8_t id[CN_FRAG_ID_LEN];
    cn_ec_t *ec;

    if ((w->enc_rc = cn_ec_create(w->k, w->m, &ec)) != 0)
        return;
    for (unsigned i = 0; i < w->k + w->m; i++)
        payload[i] = frag_at(w, i) + CN_FRAG_HDR_LEN;
    w->enc_rc = cn_ec_encode(ec, w->src, w->len, payload);
    cn_ec_destroy(ec);
    if (w->enc_rc != 0)
        return;
    cn_frag_chunk_id(w->ckey.data, w->ckey.len, id);
    for (unsigned i = 0; i < w->k + w->m; i++) {
        cn_frag_hdr_t h = {.k = (uint8_t)w->k, .m = (uint8_t)w->m, .index = (uint8_t)i,
                           .clock = w->clock, .chunk_len = w->len};
        memcpy(h.chunk_id, id, sizeof(id));
        cn_frag_encode(&h, payload[i], frag_at(w, i));
    }
}

/* Back on the loop: the K + M puts, all at once. */
static void after_encode(uv_work_t *wk, int status)
{
    struct ec_write *w = wk->data;
    uint8_t away[CN_EC_MAX_FRAGS];
    unsigned naway = 0;
    cn_buf_t fk;

    CN_CHECK_OBJ(w, EC_WRITE_MAGIC);
    if (status != 0) /* never ran (cn_work_queue logged why): run it here */
        run_encode(wk);
    cn_free(w->copy); /* the fragments hold the bytes now */
    w->copy = NULL;
    w->src = NULL;
    if (w->enc_rc != 0) {
        write_end(w, w->enc_rc);
        return;
    }
    cn_buf_init(&fk);
    uv_timer_init(w->s->loop, &w->hedge);
    w->hedge.data = w;
    w->timer_open = 1;
    /* owners known to be away get no put (it would wait for its timeout): their fragments
     * go to the repair queue with the quorum's handoffs, unless the quorum needs them */
    for (unsigned i = 0; i < w->k + w->m; i++) {
        cn_frag_key(w->ckey.data, w->ckey.len, w->k, w->m, i, &fk);
        away[i] = gw_stor_key_avoided(w->s, fk.data, fk.len);
        naway += away[i];
    }
    if (w->k + w->m - naway < w->q)
        memset(away, 0, sizeof(away));
    w->puts_out = 1; /* held while sending */
    for (unsigned i = 0; i < w->k + w->m; i++) {
        if (away[i]) {
            frag_record(w, i, CN_EUNAVAIL);
            continue;
        }
        cn_msg_t *m = cn_msg_new(CN_OP_PUT);

        cn_frag_key(w->ckey.data, w->ckey.len, w->k, w->m, i, &fk);
        cn_msg_set_bytes(m, "key", fk.data, fk.len);
        cn_msg_set_u64(m, "clock", w->clock); /* one clock for all: the header's */
        cn_msg_set_str(m, "etag", "");
        cn_msg_set_bytes(m, "meta", "", 0);
        cn_msg_set_u64(m, "flags", 0);
        cn_msg_set_body_ref(m, frag_at(w, i), CN_FRAG_HDR_LEN + w->flen); /* freed last */
        w->calls[i] = (struct frag_call){w, i};
        w->puts_out++;
        if (gw_stor_send(w->s, fk.data, fk.len, m, on_frag_put, &w->calls[i]) != 0) {
            w->puts_out--;
            frag_record(w, i, CN_EUNAVAIL);
        }
    }
    cn_buf_dispose(&fk);
    w->puts_out--; /* the hold */
    frag_settle(w);
}

int gw_ec_write(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, const void *data,
                size_t len, int stable, cn_rpc_done_fn cb, void *arg)
{
    struct ec_write *w = cn_calloc(1, sizeof(*w));

    CN_ASSERT(seg->ec_k >= 1 && len <= CN_EC_CHUNK_MAX);
    w->magic = EC_WRITE_MAGIC;
    w->s = s;
    cn_buf_init(&w->ckey);
    cn_manifest_chunk_key(seg, idx, &w->ckey);
    w->k = seg->ec_k;
    w->m = seg->ec_m;
    w->q = gw_ec_write_quorum(s, w->k, w->m);
    w->clock = cn_hlc_next();
    w->len = len;
    w->flen = (size_t)cn_ec_frag_len_k(w->k, len);
    w->frags = cn_malloc((size_t)(w->k + w->m) * (CN_FRAG_HDR_LEN + w->flen));
    if (stable) {
        w->src = data;
    } else {
        w->copy = cn_malloc(len ? len : 1);
        memcpy(w->copy, data, len);
        w->src = w->copy;
    }
    w->cb = cb;
    w->arg = arg;
    w->work.data = w;
    cn_work_queue(s->loop, &w->work, run_encode, after_encode, "erasure coding");
    return 0;
}

/* ---- read ----------------------------------------------------------------------------- */

enum { FR_UNASKED = 0, FR_PENDING, FR_GOOD, FR_BAD };

struct ec_read;
struct read_call {
    struct ec_read *rd;
    unsigned i;
};

struct ec_read {
    uint32_t magic;
    gw_server_t *s;
    cn_buf_t ckey;
    unsigned k, m;
    uint64_t len_chunk, flen;   /* the chunk's length (the manifest's word) and F */
    uint64_t off, len;          /* the range asked */
    uint8_t id[CN_FRAG_ID_LEN];
    unsigned pending;
    int degraded, answered, last_err;
    uv_timer_t hedge;           /* going degraded when a data fragment is slow */
    uint8_t state[CN_EC_MAX_FRAGS];
    cn_frag_hdr_t hdr[CN_EC_MAX_FRAGS];
    cn_msg_t *resp[CN_EC_MAX_FRAGS];        /* a good fragment's answer (its body) */
    const uint8_t *payload[CN_EC_MAX_FRAGS];
    struct read_call calls[CN_EC_MAX_FRAGS];
    cn_rpc_done_fn cb;
    void *arg;
};

static void on_hedge_closed(uv_handle_t *h)
{
    struct ec_read *rd = h->data;

    for (unsigned i = 0; i < rd->k + rd->m; i++)
        if (rd->resp[i] != NULL)
            cn_msg_free(rd->resp[i]);
    cn_buf_dispose(&rd->ckey);
    rd->magic = 0;
    cn_free(rd);
}

/* Frees rd once it answered and no fragment read is still out. */
static void read_maybe_free(struct ec_read *rd)
{
    if (rd->answered && rd->pending == 0 && rd->magic == EC_READ_MAGIC) {
        rd->magic = EC_READ_MAGIC + 1; /* closing */
        uv_close((uv_handle_t *)&rd->hedge, on_hedge_closed);
    }
}

/* The answer (once; fragment reads still out are awaited, then dropped); body is taken. */
static void read_end(struct ec_read *rd, int rc, void *body, size_t len)
{
    const char *kind = rc != 0 ? "failed" : rd->degraded ? "degraded" : "normal";

    rd->answered = 1;
    uv_timer_stop(&rd->hedge);
    cn_metric_add(rd->s->metrics.ec_reads, (const char *[]){kind}, 1);
    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "coded chunk %s (%u+%u): read: %s", rd->ckey.data + 1, rd->k, rd->m,
               cn_strerror(rc));
    answer(rd->cb, rd->arg, rc, body, len);
    read_maybe_free(rd);
}

/* the data fragments holding [off, off + len) */
static void data_span(const struct ec_read *rd, unsigned *lo, unsigned *hi)
{
    *lo = (unsigned)(rd->off / rd->flen);
    *hi = (unsigned)((rd->off + rd->len - 1) / rd->flen);
}

static void ask(struct ec_read *rd, unsigned i);
static void read_settle(struct ec_read *rd);
static int try_fast(struct ec_read *rd);

/* The range from data fragments alone, when every one it needs is good and of one write. */
static int try_fast(struct ec_read *rd)
{
    unsigned lo, hi;
    uint8_t *out;
    size_t at = 0;

    data_span(rd, &lo, &hi);
    for (unsigned i = lo; i <= hi; i++)
        if (rd->state[i] != FR_GOOD || !cn_frag_same_chunk(&rd->hdr[i], &rd->hdr[lo]))
            return 0;
    out = cn_malloc(rd->len);
    for (unsigned i = lo; i <= hi; i++) {
        uint64_t from = i == lo ? rd->off - (uint64_t)i * rd->flen : 0;
        uint64_t to = i == hi ? rd->off + rd->len - (uint64_t)i * rd->flen : rd->flen;

        memcpy(out + at, rd->payload[i] + from, to - from);
        at += to - from;
    }
    read_end(rd, 0, out, rd->len);
    return 1;
}

/* Rebuilds the range from K good fragments of the newest write that has K (fragments of an
 * older write of the same key are never mixed in: cn_frag_same_chunk). Without K: an error
 * when final (every fragment answered), else 0 and nothing done (more may come). 1 when it
 * answered. */
static int decode(struct ec_read *rd, int final)
{
    const uint8_t *frags[CN_EC_MAX_FRAGS] = {0};
    uint8_t present[CN_EC_MAX_FRAGS] = {0}, good[CN_EC_MAX_FRAGS] = {0};
    unsigned n = rd->k + rd->m;
    uint8_t *chunk;
    cn_ec_t *ec;
    int rc, best;

    for (unsigned i = 0; i < n; i++)
        good[i] = rd->state[i] == FR_GOOD;
    if ((best = cn_frag_pick_write(rd->hdr, good, n, rd->k)) < 0) {
        if (final)
            read_end(rd, CN_EUNAVAIL, NULL, 0);
        return final;
    }
    for (unsigned i = 0; i < n; i++)
        if (rd->state[i] == FR_GOOD && cn_frag_same_chunk(&rd->hdr[i], &rd->hdr[best])) {
            present[i] = 1;
            frags[i] = rd->payload[i];
        }
    if ((rc = cn_ec_create(rd->k, rd->m, &ec)) != 0) {
        read_end(rd, rc, NULL, 0);
        return 1;
    }
    /* the whole chunk: a degraded read is the rare path, and a chunk is a few MiB */
    chunk = cn_malloc(rd->len_chunk ? rd->len_chunk : 1);
    rc = cn_ec_reconstruct_chunk(ec, frags, present, rd->flen, chunk, rd->len_chunk);
    cn_ec_destroy(ec);
    if (rc != 0) {
        cn_free(chunk);
        read_end(rd, CN_ECORRUPT, NULL, 0);
    } else if (rd->off == 0) { /* the range is the chunk's start: the buffer itself */
        read_end(rd, 0, chunk, rd->len);
    } else {
        uint8_t *out = cn_malloc(rd->len);

        memcpy(out, chunk + rd->off, rd->len);
        cn_free(chunk);
        read_end(rd, 0, out, rd->len);
    }
    return 1;
}

/* 1 when fragment i's owner is away (gw_stor_key_avoided). */
static int avoided(const struct ec_read *rd, unsigned i)
{
    cn_buf_t fk;
    int r;

    cn_buf_init(&fk);
    cn_frag_key(rd->ckey.data, rd->ckey.len, rd->k, rd->m, i, &fk);
    r = gw_stor_key_avoided(rd->s, fk.data, fk.len);
    cn_buf_dispose(&fk);
    return r;
}

/* Degraded from now on: every fragment not asked yet is asked (those on nodes known to be
 * away only when the others cannot make K). */
static void go_degraded(struct ec_read *rd)
{
    uint8_t away[CN_EC_MAX_FRAGS] = {0};
    unsigned usable = 0;

    rd->degraded = 1;
    for (unsigned i = 0; i < rd->k + rd->m; i++) {
        away[i] = rd->state[i] == FR_UNASKED && avoided(rd, i);
        usable += rd->state[i] != FR_BAD && !away[i];
    }
    rd->pending++; /* held while asking */
    for (unsigned i = 0; i < rd->k + rd->m; i++)
        if (rd->state[i] == FR_UNASKED && (!away[i] || usable < rd->k))
            ask(rd, i);
    rd->pending--;
}

static void on_defer(uv_timer_t *t)
{
    struct ec_read *rd = t->data;

    CN_CHECK_OBJ(rd, EC_READ_MAGIC);
    read_settle(rd);
}

static void on_hedge(uv_timer_t *t)
{
    struct ec_read *rd = t->data;

    CN_CHECK_OBJ(rd, EC_READ_MAGIC);
    if (rd->answered || rd->degraded)
        return;
    CN_LOG(CN_LOG_INFO, "coded chunk %s: a data fragment is slow: reading parity too",
           rd->ckey.data + 1);
    go_degraded(rd);
    read_settle(rd);
}

/* After each answer: the fast path once the data fragments a range needs are in; degraded,
 * an answer as soon as K good fragments of one write are in (a slow one is not awaited), or
 * the error once every fragment answered. */
static void read_settle(struct ec_read *rd)
{
    unsigned lo, hi, waiting = 0;

    if (rd->answered) {
        read_maybe_free(rd);
        return;
    }
    if (!rd->degraded) {
        data_span(rd, &lo, &hi);
        for (unsigned i = lo; i <= hi; i++)
            waiting += rd->state[i] == FR_PENDING;
        if (waiting > 0 || try_fast(rd))
            return;
        go_degraded(rd);
    }
    if (decode(rd, 0) || rd->pending > 0)
        return;
    /* every fragment asked answered and K good are not there: the ones left on nodes
     * thought away are asked after all, before giving up */
    rd->pending++;
    for (unsigned i = 0; i < rd->k + rd->m; i++)
        if (rd->state[i] == FR_UNASKED)
            ask(rd, i);
    if (--rd->pending == 0)
        decode(rd, 1);
}

static void on_frag_get(int status, cn_msg_t *resp, void *arg)
{
    struct read_call *c = arg;
    struct ec_read *rd = c->rd;
    unsigned i = c->i;
    int rc = status ? status : cn_msg_rc(resp);
    cn_frag_hdr_t h;
    const uint8_t *payload;

    CN_CHECK_OBJ(rd, EC_READ_MAGIC);
    if (rc == 0) {
        cn_slice_t b = cn_msg_body(resp);

        /* the fragment of this chunk and index, of the length the manifest says */
        if (cn_frag_decode(b.ptr, b.len, &h, &payload) != 0 || h.index != i || h.k != rd->k ||
            h.m != rd->m || h.chunk_len != rd->len_chunk ||
            memcmp(h.chunk_id, rd->id, sizeof(rd->id)) != 0)
            rc = CN_ECORRUPT;
    }
    if (rc == 0) {
        rd->state[i] = FR_GOOD;
        rd->hdr[i] = h;
        rd->resp[i] = resp;
        rd->payload[i] = payload;
    } else {
        rd->state[i] = FR_BAD;
        rd->last_err = rc;
        if (rc != CN_ENOENT || !rd->degraded)
            CN_LOG(rc == CN_ECORRUPT ? CN_LOG_WARN : CN_LOG_INFO,
                   "coded chunk %s: fragment %u: %s", rd->ckey.data + 1, i, cn_strerror(rc));
        if (resp)
            cn_msg_free(resp);
    }
    rd->pending--;
    read_settle(rd);
}

static void ask(struct ec_read *rd, unsigned i)
{
    cn_buf_t fk;
    cn_msg_t *m = cn_msg_new(CN_OP_GET);

    cn_buf_init(&fk);
    cn_frag_key(rd->ckey.data, rd->ckey.len, rd->k, rd->m, i, &fk);
    cn_msg_set_bytes(m, "key", fk.data, fk.len);
    rd->state[i] = FR_PENDING;
    rd->calls[i] = (struct read_call){rd, i};
    rd->pending++;
    if (gw_stor_send(rd->s, fk.data, fk.len, m, on_frag_get, &rd->calls[i]) != 0) {
        rd->pending--;
        rd->state[i] = FR_BAD;
        rd->last_err = CN_EUNAVAIL;
    }
    cn_buf_dispose(&fk);
}

int gw_ec_read(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx, uint64_t off,
               uint64_t len, cn_rpc_done_fn cb, void *arg)
{
    struct ec_read *rd = cn_calloc(1, sizeof(*rd));
    unsigned lo, hi;

    rd->magic = EC_READ_MAGIC;
    rd->s = s;
    cn_buf_init(&rd->ckey);
    cn_manifest_chunk_key(seg, idx, &rd->ckey);
    cn_frag_chunk_id(rd->ckey.data, rd->ckey.len, rd->id);
    rd->k = seg->ec_k;
    rd->m = seg->ec_m;
    rd->len_chunk = cn_manifest_chunk_len(seg, idx);
    rd->flen = cn_ec_frag_len_k(rd->k, rd->len_chunk);
    CN_ASSERT(len >= 1 && off + len <= rd->len_chunk);
    rd->off = off;
    rd->len = len;
    rd->cb = cb;
    rd->arg = arg;
    data_span(rd, &lo, &hi);
    uv_timer_init(s->loop, &rd->hedge);
    rd->hedge.data = rd;
    if (s->conf.ec_hedge_ms > 0)
        uv_timer_start(&rd->hedge, on_hedge, s->conf.ec_hedge_ms, 0);
    rd->pending = 1; /* held while asking */
    for (unsigned i = lo; i <= hi && !rd->degraded; i++)
        if (avoided(rd, i))
            go_degraded(rd); /* a data fragment on a node known to be away: parity at once */
    for (unsigned i = lo; i <= hi; i++)
        if (rd->state[i] == FR_UNASKED)
            ask(rd, i);
    rd->pending--;
    if (rd->pending == 0) /* every ask failed at once: settle on the next turn, never inline */
        uv_timer_start(&rd->hedge, on_defer, 0, 0);
    return 0;
}

/* ---- delete --------------------------------------------------------------------------- */

void gw_ec_delete_bg(gw_server_t *s, const cn_manifest_seg_t *seg, uint64_t idx)
{
    cn_buf_t fk;

    cn_buf_init(&fk);
    for (unsigned i = 0; i < cn_manifest_seg_records(seg); i++) {
        cn_manifest_record_key(seg, idx, i, &fk);
        gw_stor_delete_bg(s, fk.data, fk.len);
    }
    cn_buf_dispose(&fk);
}
