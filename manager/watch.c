/*
 * manager/watch.c: the watcher thread (see watch.h). Every MGR_WATCH_MS, or at once when
 * kicked, it looks at the members under s->lock, releases it, polls the storage nodes it
 * needs, and takes the lock again to apply what it found, re-checking that the rings did
 * not change meanwhile:
 *   - a rebalance is done when every storage node of cur or prev that is in contact holds
 *     the manager's (cur, prev) pair, its walk is idle and its queue has no rebalance entry
 *     (mq_stats depth_rebalance = 0); a cur member that is stop or unreachable keeps it
 *     running; a detached node of prev that is gone is skipped (its copies are elsewhere).
 *     Then it proposes dropping prev (a ring_drop_prev entry, fsm.h) and nodes learn it by
 *     heartbeat.
 *   - a "restarted" node becomes running (a member_set_state entry) once every storage node
 *     in contact that answers mq_stats says depth 0 (the hinted writes it missed have
 *     landed); one that does not answer is no evidence either way and is not waited for.
 * Only the leader of the manager group watches (raft.h); a follower's watcher idles.
 */
#include "manager/watch.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "manager/manager.h"

#define MGR_WATCH_MS 500
#define MGR_WATCH_CALL_MS 2000

struct mgr_watch {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, kicked;
};

const char *const mgr_mq_fields[] = {
    "u:depth", "u:depth_replicate", "u:depth_read_repair", "u:depth_recover_file",
    "u:depth_recover_node", "u:depth_rebalance", "u:depth_scrub", "u:depth_consistency",
    "u:inflight", "u:retries", "u:done", "u:dropped", "u:oldest_age_ms", "u:suspended",
    "x:ring_cur", "x:ring_prev", "u:n", "u:w", "u:r", "u:d",
    /* the moves (storage/cluster/move_rate.c) */
    "u:jobs", "u:move_window", "u:move_rate", "u:move_budget", "u:moved_keys", "u:moved_bytes",
    "u:move_keys_s", "u:move_bytes_s", "u:fg_p99_us", "u:fg_idle_p99_us", NULL};
const char *const mgr_scan_fields[] = {"s:state", "u:running", "u:scanned", "u:queued",
                                       "u:done", "u:errors", "u:started_ms", "u:finished_ms",
                                       "u:dropped", "s:target", "u:bytes", "u:rate_keys_s",
                                       "u:rate_bytes_s", "u:left", "u:eta_s",
                                       "u:budget_bytes_s", NULL};
const char *const mgr_compact_fields[] = {
    "s:state", "u:total", "u:pending", "u:done", "u:failed", "i:ongoing", "u:reclaimed_bytes",
    "u:copied", "u:dropped", "u:started_ms", "u:finished_ms", NULL};
const char *const mgr_lc_fields[] = {"s:state", "u:passes", "u:scanned", "u:visited",
                                     "u:expired", "u:versions_deleted", "u:markers_deleted",
                                     "u:uploads_aborted", "u:errors", "u:resumed",
                                     "u:last_pass_ms", NULL};
const char *const mgr_scrub_fields[] = {"s:state", "u:passes", "u:records", "u:bad",
                                        "u:bytes", "u:last_pass_ms", NULL};

json_t *mgr_msg_json(const cn_msg_t *m, const char *prefix, const char *const *specs)
{
    json_t *o = json_object();
    char name[96], str[1024], hex[17];

    for (size_t i = 0; specs[i] != NULL; i++) {
        const char *f = specs[i] + 2;
        uint64_t u;
        int64_t v;

        snprintf(name, sizeof(name), "%s%s", prefix ? prefix : "", f);
        switch (specs[i][0]) {
        case 'u':
            if (cn_msg_get_u64(m, name, &u) == 0)
                json_object_set_new(o, f, json_integer((json_int_t)u));
            break;
        case 'i':
            if (cn_msg_get_i64(m, name, &v) == 0)
                json_object_set_new(o, f, json_integer((json_int_t)v));
            break;
        case 'x':
            if (cn_msg_get_u64(m, name, &u) == 0) {
                cn_ring_checksum_hex(u, hex);
                json_object_set_new(o, f, json_string(hex));
            }
            break;
        default:
            if (cn_msg_get_str(m, name, str, sizeof(str)) == 0)
                json_object_set_new(o, f, json_string(str));
            break;
        }
    }
    return o;
}

int mgr_node_call(struct mgr_server *s, const char *name, cn_msg_t *req, uint64_t timeout_ms,
                  cn_msg_t **resp, char *why, size_t whylen)
{
    const mgr_member_t *m;
    char host[CN_RING_HOST_MAX];
    int port, rc;

    pthread_mutex_lock(&s->lock);
    m = mgr_members_find(&s->members, name);
    if (m != NULL && strcmp(m->type, CN_NODE_STORAGE) == 0) {
        snprintf(host, sizeof(host), "%s", m->host);
        port = m->port;
    } else {
        m = NULL;
    }
    pthread_mutex_unlock(&s->lock);
    if (m == NULL) {
        snprintf(why, whylen, "no storage node named '%.80s' (see cairn-adm status)", name);
        cn_msg_free(req);
        return CN_ENOENT;
    }
    rc = cn_rpc_call_sync(host, port, s->conf.secret, MGR_NAME, req, timeout_ms, resp);
    if (rc != 0)
        snprintf(why, whylen, "%s (%s:%d) did not answer: %s", name, host, port,
                 cn_strerror(rc));
    return rc;
}

/* A storage member as the watcher saw it under the lock. */
struct target {
    char name[CN_RING_NAME_MAX];
    char state[16];
    int in_cur, in_prev;
    int silent;                /* not heard from for node_timeout_ms */
};

static int node_u64(const cn_msg_t *m, const char *f, uint64_t *out)
{
    *out = 0;
    return cn_msg_get_u64(m, f, out);
}

/* Copies a node's rebalance_status figures into its detail object o and adds the summed
 * ones to p: keys scanned, queued, done, dropped, left; bytes moved; the rates; the budget
 * (storage/cluster/recoverer.c, put_scan). */
static void node_fields(const cn_msg_t *rb, json_t *o, struct mgr_rebal *p)
{
    static const struct {
        const char *name;
        size_t sum; /* offset in struct mgr_rebal, or SIZE_MAX: shown only */
    } f[] = {
        {"scanned", SIZE_MAX},
        {"queued", offsetof(struct mgr_rebal, queued)},
        {"done", offsetof(struct mgr_rebal, done)},
        {"dropped", offsetof(struct mgr_rebal, dropped)},
        {"bytes", offsetof(struct mgr_rebal, bytes)},
        {"left", offsetof(struct mgr_rebal, left)},
        {"rate_keys_s", offsetof(struct mgr_rebal, rate_keys)},
        {"rate_bytes_s", offsetof(struct mgr_rebal, rate_bytes)},
        {"budget_bytes_s", SIZE_MAX},
    };
    uint64_t v;

    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (node_u64(rb, f[i].name, &v) != 0)
            continue;
        json_object_set_new(o, f[i].name, json_integer((json_int_t)v));
        if (f[i].sum != SIZE_MAX)
            *(uint64_t *)((char *)p + f[i].sum) += v;
    }
}

static void poll_once(struct mgr_server *s)
{
    struct target *t = NULL;
    size_t nt = 0, restarted = 0;
    uint64_t cur_sum, prev_sum, now;
    int rebal, all_done = 1, all_empty = 1;
    struct mgr_rebal p = {0};
    json_t *detail;
    char why[256];

    pthread_mutex_lock(&s->lock);
    now = cn_mono_ms();
    cur_sum = mgr_ring_sum(s->ring_cur);
    prev_sum = mgr_ring_sum(s->ring_prev);
    rebal = s->ring_prev != NULL;
    t = cn_calloc(s->members.n ? s->members.n : 1, sizeof(*t));
    for (size_t i = 0; i < s->members.n; i++) {
        const mgr_member_t *m = &s->members.v[i];
        struct target *x = &t[nt];

        if (strcmp(m->type, CN_NODE_STORAGE) != 0)
            continue;
        x->in_cur = s->ring_cur && cn_ring_find(s->ring_cur, m->name) != NULL;
        x->in_prev = s->ring_prev && cn_ring_find(s->ring_prev, m->name) != NULL;
        if (!x->in_cur && !x->in_prev)
            continue;
        snprintf(x->name, sizeof(x->name), "%s", m->name);
        snprintf(x->state, sizeof(x->state), "%s", m->state);
        x->silent = now > m->seen_mono_ms && now - m->seen_mono_ms > s->conf.node_timeout_ms;
        restarted += strcmp(m->state, MGR_STATE_RESTARTED) == 0;
        nt++;
    }
    pthread_mutex_unlock(&s->lock);
    if (!rebal && restarted == 0) {
        cn_free(t);
        return;
    }

    detail = json_array();
    for (size_t i = 0; i < nt; i++) {
        cn_msg_t *mq = NULL, *rb = NULL;
        uint64_t rc_, rp, dr = 0, depth = 0, running = 0;
        json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "node", t[i].name, "state", t[i].state,
                              "in_cur", t[i].in_cur, "in_prev", t[i].in_prev);
        int ok = 0;

        if (strcmp(t[i].state, MGR_STATE_STOP) == 0 || (t[i].silent && !t[i].in_cur)) {
            /* a dead node that only prev holds is being removed: its copies are elsewhere */
            if (t[i].in_cur)
                all_done = 0;
            json_object_set_new(o, "reachable", json_false());
            json_array_append_new(detail, o);
            continue;
        }
        if (mgr_node_call(s, t[i].name, cn_msg_new(MGR_SOP_MQ_STATS), MGR_WATCH_CALL_MS,
                          &mq, why, sizeof(why)) == 0 && cn_msg_rc(mq) == 0) {
            ok = 1;
            node_u64(mq, "depth", &depth);
            node_u64(mq, "depth_rebalance", &dr);
            all_empty &= depth == 0;
            json_object_set_new(o, "depth", json_integer((json_int_t)depth));
            json_object_set_new(o, "depth_rebalance", json_integer((json_int_t)dr));
            if (rebal) {
                node_u64(mq, "ring_cur", &rc_);
                node_u64(mq, "ring_prev", &rp);
                json_object_set_new(o, "ring_ok", json_boolean(rc_ == cur_sum && rp == prev_sum));
                if (rc_ != cur_sum || rp != prev_sum || dr != 0)
                    all_done = 0;
                p.pending += dr;
            }
        } else {
            json_object_set_new(o, "error", json_string(why));
        }
        if (ok && rebal &&
            mgr_node_call(s, t[i].name, cn_msg_new(MGR_SOP_REBALANCE_STATUS),
                          MGR_WATCH_CALL_MS, &rb, why, sizeof(why)) == 0 && cn_msg_rc(rb) == 0) {
            node_u64(rb, "running", &running);
            json_object_set_new(o, "walk", json_string(running ? "running" : "idle"));
            node_fields(rb, o, &p);
            p.walking += running != 0;
            if (running)
                all_done = 0;
            p.nodes_ok++;
        } else if (rebal) {
            ok = 0;
        }
        if (rebal && !ok) {
            all_done = 0;
            json_object_set_new(o, "reachable", json_false());
        } else {
            json_object_set_new(o, "reachable", json_true());
        }
        cn_msg_free(mq);
        cn_msg_free(rb);
        json_array_append_new(detail, o);
    }
    p.nodes = nt;

    pthread_mutex_lock(&s->lock);
    if (rebal && mgr_ring_sum(s->ring_cur) == cur_sum && mgr_ring_sum(s->ring_prev) == prev_sum) {
        struct mgr_rebal *r = &s->rebal;

        if (r->cur != cur_sum || r->prev != prev_sum) { /* e.g. after a manager restart */
            r->cur = cur_sum;
            r->prev = prev_sum;
            r->started_ms = cn_now_ms();
        }
        r->finished_ms = 0;
        r->queued = p.queued;
        r->done = p.done;
        r->pending = p.pending;
        r->dropped = p.dropped;
        r->bytes = p.bytes;
        r->left = p.left;
        r->rate_keys = p.rate_keys;
        r->rate_bytes = p.rate_bytes;
        r->walking = p.walking;
        r->nodes_ok = p.nodes_ok;
        r->nodes = p.nodes;
        json_decref(r->detail);
        r->detail = json_incref(detail);
        if (all_done && nt > 0) {
            char a[17], b[17];
            int rc = mgr_ring_drop_prev(s->fsm, s->ring_cur, s->ring_prev);

            cn_ring_checksum_hex(cur_sum, a);
            cn_ring_checksum_hex(prev_sum, b);
            if (rc == 0) { /* applied: the fsm's view of prev is gone */
                r->finished_ms = cn_now_ms();
                snprintf(r->last, sizeof(r->last),
                         "ring %s replaced %s: %" PRIu64 " keys queued, %" PRIu64
                         " copies dropped, %.1f s",
                         a, b, r->queued, r->dropped,
                         (double)(r->finished_ms - r->started_ms) / 1000.0);
                CN_LOG(CN_LOG_INFO, "cur=%s prev=%s queued=%" PRIu64 " dropped=%" PRIu64
                       ": rebalance done, prev dropped", a, b, r->queued, r->dropped);
            } else {
                CN_LOG(CN_LOG_ERROR, "rc=%s: cannot save the ring without prev; retrying",
                       cn_strerror(rc));
            }
        }
    }
    if (restarted > 0 && all_empty) { /* a node that does not answer gives no evidence */
        for (size_t i = 0; i < nt; i++) {
            mgr_member_t *m = mgr_members_find(&s->members, t[i].name);

            if (m != NULL && strcmp(m->state, MGR_STATE_RESTARTED) == 0 &&
                mgr_members_set_state(s->fsm, &s->members, m->name, MGR_STATE_RUNNING) == 0)
                CN_LOG(CN_LOG_INFO, "node=%s: caught up (every repair queue is empty)",
                       t[i].name);
        }
    }
    pthread_mutex_unlock(&s->lock);
    json_decref(detail);
    cn_free(t);
}

static int leads(struct mgr_server *s)
{
    int is;

    pthread_mutex_lock(&s->lock);
    is = mgr_raft_is_leader(s);
    pthread_mutex_unlock(&s->lock);
    return is;
}

static void *watch_main(void *arg)
{
    struct mgr_server *s = arg;
    struct mgr_watch *w = s->watch;

    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec ts;

        if (!w->kicked) {
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += (long)MGR_WATCH_MS * 1000000L;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&w->cv, &w->mu, &ts);
        }
        w->kicked = 0;
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->mu);
        if (leads(s)) { /* rebalances, restarts and usage are the leader's to follow */
            poll_once(s);
            mgr_usage_poll(s);
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int mgr_watch_start(struct mgr_server *s)
{
    struct mgr_watch *w = cn_calloc(1, sizeof(*w));

    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    s->watch = w;
    if (pthread_create(&w->th, NULL, watch_main, s) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        cn_free(w);
        s->watch = NULL;
        return CN_EIO;
    }
    return 0;
}

void mgr_watch_kick(struct mgr_server *s)
{
    struct mgr_watch *w = s->watch;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->kicked = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void mgr_watch_stop(struct mgr_server *s)
{
    struct mgr_watch *w = s->watch;

    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    cn_free(w);
    s->watch = NULL;
    json_decref(s->rebal.detail);
    s->rebal.detail = NULL;
}
