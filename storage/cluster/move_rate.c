/*
 * storage/cluster/move_rate.c: how much of the node the data moves may take (rebalance,
 * recover-*, handoff: everything the repair queue sends), and what they moved.
 * Two modes ([replication] move_rate, reloadable; cairn-adm rebalance --rate):
 *   move_rate > 0  a fixed budget in bytes per second (each key counts its body plus
 *                  STOR_MOVE_KEY_COST for its index and record work): a token bucket of one
 *                  second's worth; moves start while it is not in debt;
 *   move_rate = 0  adaptive (the default), AIMD on the number of move jobs in flight, from
 *                  the foreground latency this node sees as a coordinator (client puts,
 *                  gets, heads, deletes; replicator.c reports each one):
 *                    every second with at least STOR_FG_MIN_SAMPLES foreground requests,
 *                    p99 = their 99th percentile; a second without moves updates the idle
 *                    p99 (a moving average, never below STOR_FG_FLOOR_MS); a second with
 *                    moves whose p99 is over twice the idle p99 halves the window (at least
 *                    1 job), else a second in which the window was full widens it by one,
 *                    up to repair_inflight.
 * In both modes repair_inflight bounds the jobs in flight (a job is a batch of up to
 * move_batch_keys keys to one peer, or one key repaired the single-key way).
 * Threads: the loop only (foreground latencies are reported from the loop).
 */
#include "storage/cluster/cluster.h"

#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

#define STOR_MOVER_MAGIC 0x534d5652u /* "SMVR" */
#define NBUCKETS 20                  /* latency buckets: 0.25 ms * 2^i */
#define STOR_FG_MIN_SAMPLES 20
#define STOR_FG_FLOOR_MS 2.0

struct stor_mover {
    uint32_t magic;
    uint64_t hist[NBUCKETS], samples; /* this second's foreground latencies */
    double idle_p99_ms, last_p99_ms;
    size_t window;                    /* adaptive: jobs allowed in flight */
    int moved_this_sec, full_this_sec;
    double tokens;                    /* fixed rate: bytes that may still go */
    uint64_t last_ms;
    /* what moved: totals and the last second's rate (a moving average) */
    uint64_t keys, bytes, keys_prev, bytes_prev;
    double rate_keys, rate_bytes;
};

static struct stor_mover *mv(struct stor_server *s)
{
    if (s->mv == NULL) {
        s->mv = cn_calloc(1, sizeof(*s->mv));
        s->mv->magic = STOR_MOVER_MAGIC;
        s->mv->window = 2;
        s->mv->last_ms = cn_mono_ms();
    }
    return s->mv;
}

void stor_move_rate_fg(struct stor_server *s, double seconds)
{
    struct stor_mover *m = mv(s);
    double ms = seconds * 1000.0;
    size_t b = 0;

    while (b + 1 < NBUCKETS && ms > 0.25 * (double)(1u << b))
        b++;
    m->hist[b]++;
    m->samples++;
}

static double window_p99(const struct stor_mover *m)
{
    uint64_t want = m->samples - m->samples / 100, acc = 0;

    for (size_t b = 0; b < NBUCKETS; b++) {
        acc += m->hist[b];
        if (acc >= want)
            return 0.25 * (double)(1u << b);
    }
    return 0.25 * (double)(1u << (NBUCKETS - 1));
}

int stor_move_rate_allow(struct stor_server *s, size_t jobs)
{
    struct stor_mover *m = mv(s);
    size_t cap = s->conf->repair_inflight;
    size_t limit = s->conf->move_rate > 0 ? cap : (m->window < cap ? m->window : cap);

    if (jobs >= limit) {
        m->full_this_sec = 1;
        return 0;
    }
    if (s->conf->move_rate > 0 && m->tokens < 0)
        return 0;
    m->moved_this_sec = 1;
    return 1;
}

void stor_move_rate_charge(struct stor_server *s, uint64_t keys, uint64_t bytes)
{
    struct stor_mover *m = mv(s);

    m->keys += keys;
    m->bytes += bytes;
    if (s->conf->move_rate > 0)
        m->tokens -= (double)bytes + (double)keys * STOR_MOVE_KEY_COST;
}

void stor_move_rate_cron(struct stor_server *s)
{
    struct stor_mover *m = mv(s);
    uint64_t now = cn_mono_ms();
    double dt = (double)(now - m->last_ms) / 1000.0, rate = (double)s->conf->move_rate;
    size_t cap = s->conf->repair_inflight;

    if (rate > 0) { /* refill, at most one second's worth */
        m->tokens += rate * dt;
        if (m->tokens > rate)
            m->tokens = rate;
    }
    if (dt < 1.0)
        return;
    m->rate_keys = 0.5 * m->rate_keys + 0.5 * (double)(m->keys - m->keys_prev) / dt;
    m->rate_bytes = 0.5 * m->rate_bytes + 0.5 * (double)(m->bytes - m->bytes_prev) / dt;
    m->keys_prev = m->keys;
    m->bytes_prev = m->bytes;
    m->last_ms = now;
    if (m->samples >= STOR_FG_MIN_SAMPLES) {
        double p99 = window_p99(m), idle = m->idle_p99_ms;

        m->last_p99_ms = p99;
        if (idle < STOR_FG_FLOOR_MS)
            idle = STOR_FG_FLOOR_MS;
        if (!m->moved_this_sec) {
            m->idle_p99_ms = m->idle_p99_ms > 0 ? 0.8 * m->idle_p99_ms + 0.2 * p99 : p99;
        } else if (rate == 0 && p99 > 2.0 * idle) {
            size_t w = m->window / 2 ? m->window / 2 : 1;

            if (w != m->window)
                CN_LOG(CN_LOG_DEBUG, "moves: foreground p99 %.2f ms > 2 x idle %.2f ms: "
                       "window %zu -> %zu", p99, idle, m->window, w);
            m->window = w;
        } else if (m->full_this_sec && m->window < cap) {
            m->window++;
        }
    } else if (m->full_this_sec && m->window < cap) {
        m->window++; /* no foreground to protect */
    }
    if (m->window > cap)
        m->window = cap > 0 ? cap : 1;
    memset(m->hist, 0, sizeof(m->hist));
    m->samples = 0;
    m->moved_this_sec = m->full_this_sec = 0;
}

void stor_move_rate_stats(struct stor_server *s, stor_move_stats_t *out)
{
    struct stor_mover *m = mv(s);

    out->keys = m->keys;
    out->bytes = m->bytes;
    out->rate_keys = m->rate_keys;
    out->rate_bytes = m->rate_bytes;
    out->window = s->conf->move_rate > 0 ? s->conf->repair_inflight : m->window;
    out->fg_p99_ms = m->last_p99_ms;
    out->fg_idle_p99_ms = m->idle_p99_ms;
    out->rate_limit = s->conf->move_rate;
}

void stor_move_rate_close(struct stor_server *s)
{
    if (s->mv == NULL)
        return;
    s->mv->magic = 0;
    cn_free(s->mv);
    s->mv = NULL;
}
