/*
 * storage/cluster/move_rate.c: how fast the data moves may go (rebalance walk, recover-*,
 * handoff: everything the repair queue and the walk send), and what they moved.
 *
 * Every move job pays for its work before it starts, from a token bucket of COST bytes:
 * each key costs its body plus STOR_MOVE_KEY_COST (its index lookup, record and commit
 * work, which dominate for small objects), so one bucket paces both keys/s and bytes/s.
 * The bucket refills every cron tick (100 ms) at the current rate and holds at most
 * BURST_MS of it; a job may start while the bucket is not in debt and fewer than
 * repair_inflight jobs are in flight. Jobs are cut to about BATCH_MS of the rate
 * (stor_move_rate_batch_cost), so that the moves come as a steady trickle of small batches
 * rather than bursts the foreground queues behind. A job pays its keys when it starts and
 * its bodies chunk by chunk before reading them (stor_move_rate_pay, from mover.c): a chunk
 * that finds the bucket in debt, or the moves paused for a probe, waits in a FIFO that the
 * cron serves as the bucket refills, so that a job of large objects cannot read and send
 * far more than the rate allows before it is charged.
 * The rate ([replication] move_rate, reloadable; cairn-adm rebalance --rate):
 *   move_rate > 0  fixed at that many cost bytes per second;
 *   move_rate = 0  adaptive (the default), AIMD on the foreground latency this node sees as
 *                  a coordinator (client puts, gets, heads, deletes; replicator.c reports
 *                  each one), sampled every CTL_MS on a sliding window of WIN_SLOTS slots
 *                  (1 s):
 *                    p99 = the window's 99th percentile (quarter-octave buckets, ~19%);
 *                    idle = a moving average of the p99 of windows without any move (never
 *                      below FG_FLOOR_MS);
 *                    with at least FG_MIN_SAMPLES requests in the window:
 *                      p99 > FG_HIGH x idle: rate halves (at least RATE_MIN), then holds one
 *                        window so that the window measures the new rate;
 *                      p99 <= FG_LOW x idle and the bucket ran dry since the last step (the
 *                        moves wanted more): rate grows, x RAMP while it never backed off
 *                        (slow start from RATE_START), else by RATE_MIN + rate/16;
 *                      in between: the rate holds;
 *                    fewer requests (no foreground to protect): it grows as above;
 *                  the idle p99 is measured, not assumed: when there is none yet (a node that
 *                  started moving at once) or it is older than IDLE_REFRESH_MS while moves go
 *                  on, the moves pause until one window without moves was measured (a probe,
 *                  given up after PROBE_MAX_MS; about 4% of a long move's time).
 * Threads: the loop only (foreground latencies are reported from the loop).
 */
#include "storage/cluster/cluster.h"

#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

#define STOR_MOVER_MAGIC 0x534d5652u /* "SMVR" */
#define NBUCKETS 80                  /* latency buckets: 0.05 ms * 2^(i/4), up to ~52 s */
#define BUCKET0_MS 0.05
#define CTL_MS 200                   /* the controller's step */
#define WIN_SLOTS 5                  /* the window: WIN_SLOTS steps */
#define FG_MIN_SAMPLES 20
#define FG_FLOOR_MS 1.0
#define FG_HIGH 2.0                  /* back off above this many times idle (target: 3) */
#define FG_LOW 1.5                   /* grow only below this many times idle */
#define RATE_START (512.0 * 1024)    /* about 500 small keys/s per node */
#define RATE_MIN (64.0 * 1024)
#define RATE_MAX (4096.0 * 1024 * 1024)
#define RAMP 1.25
#define BURST_MS 200
#define BATCH_MS 100
#define IDLE_REFRESH_MS 30000
#define PROBE_MAX_MS 3000

struct slot {
    uint32_t hist[NBUCKETS];
    uint32_t samples;
    int moved;                       /* a move job ran during this slot */
};

/* A chunk waiting for the budget (stor_move_rate_pay). */
struct waiter {
    struct waiter *next;
    uint64_t bytes;
    stor_move_paid_fn fn;
    void *arg;
};

struct stor_mover {
    uint32_t magic;
    struct waiter *wq_head, **wq_tail; /* chunks waiting for the budget, oldest first */
    struct slot win[WIN_SLOTS];
    size_t cur;                      /* the slot being filled */
    double edge_ms[NBUCKETS];        /* bucket b holds latencies up to edge_ms[b] */
    double idle_p99_ms, last_p99_ms;
    double rate;                     /* adaptive: cost bytes per second */
    int backed_off;                  /* left slow start */
    int hold;                        /* steps to wait after a decrease */
    int dry;                         /* a job waited for tokens since the last step */
    uint64_t idle_at_ms;             /* when idle_p99_ms was last measured */
    uint64_t probe_ms;               /* a probe for the idle p99 began then (0: none) */
    size_t jobs;                     /* move jobs in flight */
    double tokens;
    uint64_t last_refill_ms, last_step_ms, last_stat_ms;
    /* what moved: totals and the recent rate (a moving average over ~2 s) */
    uint64_t keys, bytes, keys_prev, bytes_prev;
    double rate_keys, rate_bytes;
};

static struct stor_mover *mv(struct stor_server *s)
{
    if (s->mv == NULL) {
        uint64_t now = cn_mono_ms();

        s->mv = cn_calloc(1, sizeof(*s->mv));
        s->mv->magic = STOR_MOVER_MAGIC;
        s->mv->rate = RATE_START;
        s->mv->edge_ms[0] = BUCKET0_MS;
        for (size_t b = 1; b < NBUCKETS; b++)
            s->mv->edge_ms[b] = s->mv->edge_ms[b - 1] * 1.189207115; /* 2^(1/4) */
        s->mv->last_refill_ms = s->mv->last_step_ms = s->mv->last_stat_ms = now;
        s->mv->wq_tail = &s->mv->wq_head;
    }
    return s->mv;
}

/* The rate in force: the fixed one, or the controller's. */
static double cur_rate(struct stor_server *s, const struct stor_mover *m)
{
    return s->conf->move_rate > 0 ? (double)s->conf->move_rate : m->rate;
}

void stor_move_rate_fg(struct stor_server *s, double seconds)
{
    struct stor_mover *m = mv(s);
    struct slot *sl = &m->win[m->cur];
    double ms = seconds * 1000.0;
    size_t b = 0;

    while (b + 1 < NBUCKETS && ms > m->edge_ms[b])
        b++;
    sl->hist[b]++;
    sl->samples++;
}

/* The window's p99 in ms (the upper edge of its bucket); *n = its samples, *moved = 1 when
 * some slot had moves. */
static double window_p99(const struct stor_mover *m, uint64_t *n, int *moved)
{
    uint64_t hist[NBUCKETS] = {0}, total = 0, want, acc = 0;

    *moved = 0;
    for (size_t k = 0; k < WIN_SLOTS; k++) {
        for (size_t b = 0; b < NBUCKETS; b++)
            hist[b] += m->win[k].hist[b];
        total += m->win[k].samples;
        *moved |= m->win[k].moved;
    }
    *n = total;
    want = total - total / 100;
    for (size_t b = 0; b < NBUCKETS; b++) {
        acc += hist[b];
        if (acc >= want && total > 0)
            return m->edge_ms[b];
    }
    return 0;
}

static void grow(struct stor_mover *m)
{
    m->rate = m->backed_off ? m->rate + RATE_MIN + m->rate / 16 : m->rate * RAMP;
    if (m->rate > RATE_MAX)
        m->rate = RATE_MAX;
}

/* One controller step (adaptive mode): see the file comment. */
static void step(struct stor_server *s, struct stor_mover *m, uint64_t now)
{
    uint64_t n;
    int moved;
    double p99 = window_p99(m, &n, &moved), idle = m->idle_p99_ms;

    if (idle < FG_FLOOR_MS)
        idle = FG_FLOOR_MS;
    if (n >= FG_MIN_SAMPLES)
        m->last_p99_ms = p99;
    if (n >= FG_MIN_SAMPLES && !moved) {
        m->idle_p99_ms = m->idle_p99_ms > 0 ? 0.8 * m->idle_p99_ms + 0.2 * p99 : p99;
        m->idle_at_ms = now;
        if (m->probe_ms != 0)
            CN_LOG(CN_LOG_DEBUG, "moves: idle foreground p99 measured: %.2f ms",
                   m->idle_p99_ms);
        m->probe_ms = 0;
    }
    if (m->probe_ms != 0 && (now - m->probe_ms > PROBE_MAX_MS || (n < FG_MIN_SAMPLES && !moved))) {
        m->probe_ms = 0; /* no foreground to measure, or it never settled: go on */
        m->idle_at_ms = now;
    }
    if (m->probe_ms == 0 && moved && n >= FG_MIN_SAMPLES &&
        (m->idle_at_ms == 0 || now - m->idle_at_ms > IDLE_REFRESH_MS))
        m->probe_ms = now; /* the moves pause until a window without them is measured */
    if (m->probe_ms != 0) {
        m->dry = 0;
        return;
    }
    if (m->hold > 0) {
        m->hold--;
    } else if (n >= FG_MIN_SAMPLES && moved && p99 > FG_HIGH * idle) {
        double r = m->rate / 2 > RATE_MIN ? m->rate / 2 : RATE_MIN;

        CN_LOG(CN_LOG_DEBUG, "moves: foreground p99 %.2f ms > %.1f x idle %.2f ms: "
               "rate %.0f -> %.0f KiB/s", p99, FG_HIGH, idle, m->rate / 1024, r / 1024);
        m->rate = r;
        m->backed_off = 1;
        m->hold = WIN_SLOTS;
    } else if (m->dry && (n < FG_MIN_SAMPLES || p99 <= FG_LOW * idle)) {
        grow(m);
    }
    m->dry = 0;
}

int stor_move_rate_allow(struct stor_server *s, size_t pending)
{
    struct stor_mover *m = mv(s);

    if (m->jobs + pending >= s->conf->repair_inflight || m->probe_ms != 0)
        return 0;
    if (m->tokens < 0) {
        m->dry = 1;
        return 0;
    }
    return 1;
}

void stor_move_rate_begin(struct stor_server *s, uint64_t keys, uint64_t bytes)
{
    struct stor_mover *m = mv(s);

    m->jobs++;
    m->win[m->cur].moved = 1;
    stor_move_rate_debit(s, keys, bytes);
}

void stor_move_rate_debit(struct stor_server *s, uint64_t keys, uint64_t bytes)
{
    struct stor_mover *m = mv(s);

    m->tokens -= (double)bytes + (double)keys * STOR_MOVE_KEY_COST;
    if (m->tokens <= 0)
        m->dry = 1;
}

/* 1 when a chunk may be paid now: the bucket is not in debt and no probe pauses the moves. */
static int can_pay(const struct stor_mover *m)
{
    return m->tokens >= 0 && m->probe_ms == 0;
}

int stor_move_rate_pay(struct stor_server *s, uint64_t bytes, stor_move_paid_fn fn, void *arg)
{
    struct stor_mover *m = mv(s);
    struct waiter *w;

    if (m->wq_head == NULL && can_pay(m)) {
        stor_move_rate_debit(s, 0, bytes);
        return 1;
    }
    m->dry = 1; /* the moves want more than the rate gives */
    w = cn_calloc(1, sizeof(*w));
    w->bytes = bytes;
    w->fn = fn;
    w->arg = arg;
    *m->wq_tail = w;
    m->wq_tail = &w->next;
    return 0;
}

/* Serves the waiting chunks while the budget allows (status 0), or all of them with status
 * (the cluster stops). A callback may queue a new chunk: it waits behind the others. */
static void serve_waiters(struct stor_server *s, struct stor_mover *m, int status)
{
    while (m->wq_head != NULL && (status != 0 || can_pay(m))) {
        struct waiter *w = m->wq_head;

        m->wq_head = w->next;
        if (m->wq_head == NULL)
            m->wq_tail = &m->wq_head;
        if (status == 0)
            stor_move_rate_debit(s, 0, w->bytes);
        w->fn(w->arg, status);
        cn_free(w);
    }
    if (m->wq_head != NULL)
        m->dry = 1;
}

void stor_move_rate_stop(struct stor_server *s)
{
    if (s->mv != NULL)
        serve_waiters(s, s->mv, CN_ECANCELED);
}

void stor_move_rate_end(struct stor_server *s)
{
    struct stor_mover *m = mv(s);

    CN_ASSERT(m->jobs > 0);
    m->jobs--;
}

void stor_move_rate_count(struct stor_server *s, uint64_t keys, uint64_t bytes)
{
    struct stor_mover *m = mv(s);

    m->keys += keys;
    m->bytes += bytes;
}

uint64_t stor_move_rate_batch_cost(struct stor_server *s)
{
    double c = cur_rate(s, mv(s)) * BATCH_MS / 1000.0;

    return c < 16.0 * STOR_MOVE_KEY_COST ? 16 * STOR_MOVE_KEY_COST : (uint64_t)c;
}

void stor_move_rate_cron(struct stor_server *s)
{
    stor__move_rate_cron_at(s, cn_mono_ms());
}

void stor__move_rate_cron_at(struct stor_server *s, uint64_t now)
{
    struct stor_mover *m = mv(s);
    double rate = cur_rate(s, m), dt = (double)(now - m->last_stat_ms) / 1000.0;

    m->tokens += rate * (double)(now - m->last_refill_ms) / 1000.0;
    if (m->tokens > rate * BURST_MS / 1000.0)
        m->tokens = rate * BURST_MS / 1000.0;
    m->last_refill_ms = now;
    serve_waiters(s, m, 0);
    if (now - m->last_step_ms >= CTL_MS) {
        m->last_step_ms = now;
        if (s->conf->move_rate == 0)
            step(s, m, now);
        else
            m->probe_ms = 0;
        m->cur = (m->cur + 1) % WIN_SLOTS;
        memset(&m->win[m->cur], 0, sizeof(m->win[m->cur]));
        if (m->jobs > 0)
            m->win[m->cur].moved = 1; /* a job still running counts for the new slot too */
    }
    if (dt >= 1.0) {
        m->rate_keys = 0.5 * m->rate_keys + 0.5 * (double)(m->keys - m->keys_prev) / dt;
        m->rate_bytes = 0.5 * m->rate_bytes + 0.5 * (double)(m->bytes - m->bytes_prev) / dt;
        m->keys_prev = m->keys;
        m->bytes_prev = m->bytes;
        m->last_stat_ms = now;
    }
}

void stor_move_rate_stats(struct stor_server *s, stor_move_stats_t *out)
{
    struct stor_mover *m = mv(s);

    out->keys = m->keys;
    out->bytes = m->bytes;
    out->rate_keys = m->rate_keys;
    out->rate_bytes = m->rate_bytes;
    out->window = m->jobs;
    out->fg_p99_ms = m->last_p99_ms;
    out->fg_idle_p99_ms = m->idle_p99_ms;
    out->rate_limit = s->conf->move_rate;
    out->rate_now = (uint64_t)cur_rate(s, m);
}

void stor_move_rate_close(struct stor_server *s)
{
    if (s->mv == NULL)
        return;
    CN_ASSERT(s->mv->wq_head == NULL); /* stor_move_rate_stop served them */
    s->mv->magic = 0;
    cn_free(s->mv);
    s->mv = NULL;
}
