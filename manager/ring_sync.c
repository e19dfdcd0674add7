/*
 * manager/ring_sync.c: ring and consistency persistence, and the first ring ("start").
 * Nodes learn the ring by get_ring after a heartbeat shows them a checksum they do not hold;
 * nothing is pushed from here. rebalance and rollback only save rings; the watcher drops prev.
 */
#include "manager/ring_sync.h"

#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

static int load_one(mgr_state_t *st, const char *key, cn_ring_t **out)
{
    char *v;
    size_t len;
    int rc;

    *out = NULL;
    if ((rc = mgr_state_get(st, key, &v, &len)) != 0)
        return rc == CN_ENOENT ? 0 : rc;
    if (len > 0 && (rc = cn_ring_decode(v, len, out)) != 0)
        CN_LOG(CN_LOG_ERROR, "key=%s len=%zu: stored ring does not decode", key, len);
    cn_free(v);
    return rc;
}

int mgr_rings_load(mgr_state_t *st, cn_ring_t **cur, cn_ring_t **prev)
{
    int rc;

    if ((rc = load_one(st, "r/cur", cur)) != 0)
        return rc;
    if ((rc = load_one(st, "r/prev", prev)) != 0) {
        cn_ring_destroy(*cur);
        *cur = NULL;
    }
    return rc;
}

static void put_ring(mgr_batch_t *b, const char *key, const cn_ring_t *r)
{
    cn_buf_t buf;

    if (r == NULL) {
        mgr_batch_del(b, key);
        return;
    }
    cn_buf_init(&buf);
    cn_ring_encode(r, &buf);
    mgr_batch_put(b, key, buf.data, buf.len);
    cn_buf_dispose(&buf);
}

int mgr_rings_save(mgr_state_t *st, const cn_ring_t *cur, const cn_ring_t *prev)
{
    mgr_batch_t *b = mgr_batch_new();

    put_ring(b, "r/cur", cur);
    put_ring(b, "r/prev", prev);
    return mgr_batch_commit(st, b);
}

uint64_t mgr_ring_sum(const cn_ring_t *r)
{
    return r != NULL ? cn_ring_checksum(r) : 0;
}

int mgr_levels_load(mgr_state_t *st, mgr_levels_t *out)
{
    json_t *j;
    int rc;

    if ((rc = mgr_state_get_json(st, "c/levels", &j)) != 0)
        return rc;
    out->n = (uint64_t)json_integer_value(json_object_get(j, "n"));
    out->w = (uint64_t)json_integer_value(json_object_get(j, "w"));
    out->r = (uint64_t)json_integer_value(json_object_get(j, "r"));
    out->d = (uint64_t)json_integer_value(json_object_get(j, "d"));
    json_decref(j);
    if (out->n < 1 || out->n > CN_RING_MAX_REPLICAS || out->w < 1 || out->w > out->n ||
        out->r < 1 || out->r > out->n || out->d < 1 || out->d > out->n)
        return CN_ECORRUPT;
    return 0;
}

int mgr_ring_start(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur_now,
                   const mgr_levels_t *lv, cn_ring_t **cur, size_t *started)
{
    cn_ring_t *r;
    mgr_batch_t *b;
    json_t *j;
    size_t n = 0;
    int rc;

    if (cur_now != NULL)
        return CN_EEXIST;
    r = cn_ring_create();
    for (size_t i = 0; i < ms->n; i++) {
        mgr_member_t *m = &ms->v[i];

        if (strcmp(m->type, CN_NODE_STORAGE) != 0 || strcmp(m->state, MGR_STATE_ATTACHED) != 0)
            continue;
        if ((rc = cn_ring_add(r, m->name, m->host, (uint16_t)m->port, m->vnodes)) != 0) {
            CN_LOG(CN_LOG_ERROR, "node=%s rc=%s: cannot add to the ring", m->name,
                   cn_strerror(rc));
            goto out_destroy;
        }
        n++;
    }
    if (n == 0) {
        rc = CN_ENOENT;
        goto out_destroy;
    }
    if ((rc = cn_ring_build(r)) != 0)
        goto out_destroy;

    b = mgr_batch_new();
    put_ring(b, "r/cur", r);
    mgr_batch_del(b, "r/prev");
    j = json_pack("{s:I, s:I, s:I, s:I}", "n", (json_int_t)lv->n, "w", (json_int_t)lv->w, "r",
                  (json_int_t)lv->r, "d", (json_int_t)lv->d);
    mgr_batch_put_json(b, "c/levels", j);
    json_decref(j);
    for (size_t i = 0; i < ms->n; i++) {
        mgr_member_t tmp = ms->v[i];

        if (cn_ring_find(r, tmp.name) == NULL)
            continue;
        snprintf(tmp.state, sizeof(tmp.state), "%s", MGR_STATE_RUNNING);
        mgr_members_save_batch(b, &tmp);
    }
    if ((rc = mgr_batch_commit(st, b)) != 0)
        goto out_destroy;
    /* saved: now the memory table may follow */
    for (size_t i = 0; i < ms->n; i++)
        if (cn_ring_find(r, ms->v[i].name) != NULL)
            snprintf(ms->v[i].state, sizeof(ms->v[i].state), "%s", MGR_STATE_RUNNING);
    *cur = r;
    *started = n;
    return 0;

out_destroy:
    cn_ring_destroy(r);
    return rc;
}

int mgr_ring_rebalance(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur_now,
                       const cn_ring_t *prev_now, cn_ring_t **next, char *why, size_t whylen)
{
    cn_ring_t *r;
    mgr_batch_t *b;
    size_t n = 0;
    int rc;

    if (cur_now == NULL) {
        snprintf(why, whylen, "the cluster is not started yet: there is no ring (cairn-adm "
                 "start)");
        return CN_ENOENT;
    }
    if (prev_now != NULL) {
        snprintf(why, whylen, "a rebalance is still moving data (ring prev is set); wait for "
                 "it (cairn-adm rebalance --wait) or roll it back (cairn-adm rollback)");
        return CN_EBUSY;
    }
    r = cn_ring_create();
    for (size_t i = 0; i < ms->n; i++) {
        mgr_member_t *m = &ms->v[i];
        int in_cur = cn_ring_find(cur_now, m->name) != NULL;

        if (strcmp(m->type, CN_NODE_STORAGE) != 0)
            continue;
        if (!(in_cur && strcmp(m->state, MGR_STATE_DETACHED) != 0) &&
            strcmp(m->state, MGR_STATE_ATTACHED) != 0)
            continue;
        if (strcmp(m->state, MGR_STATE_STOP) == 0) {
            snprintf(why, whylen, "%s is stop: bring it back, or detach it, before a "
                     "rebalance", m->name);
            rc = CN_EBUSY;
            goto out_destroy;
        }
        if ((rc = cn_ring_add(r, m->name, m->host, (uint16_t)m->port, m->vnodes)) != 0) {
            snprintf(why, whylen, "cannot add %s to the ring (%s)", m->name, cn_strerror(rc));
            goto out_destroy;
        }
        n++;
    }
    if (n == 0) {
        snprintf(why, whylen, "no storage node would be left in the ring");
        rc = CN_EINVAL;
        goto out_destroy;
    }
    if ((rc = cn_ring_build(r)) != 0) {
        snprintf(why, whylen, "cannot build the ring (%s)", cn_strerror(rc));
        goto out_destroy;
    }
    if (cn_ring_checksum(r) == cn_ring_checksum(cur_now)) {
        snprintf(why, whylen, "nothing to rebalance: no node is attached or detached");
        rc = CN_EEXIST;
        goto out_destroy;
    }
    b = mgr_batch_new();
    put_ring(b, "r/cur", r);
    put_ring(b, "r/prev", cur_now);
    for (size_t i = 0; i < ms->n; i++) {
        mgr_member_t tmp = ms->v[i];

        if (strcmp(tmp.state, MGR_STATE_ATTACHED) != 0 || cn_ring_find(r, tmp.name) == NULL)
            continue;
        snprintf(tmp.state, sizeof(tmp.state), "%s", MGR_STATE_RUNNING);
        mgr_members_save_batch(b, &tmp);
    }
    if ((rc = mgr_batch_commit(st, b)) != 0) {
        snprintf(why, whylen, "could not save the ring (%s); see the manager log",
                 cn_strerror(rc));
        goto out_destroy;
    }
    for (size_t i = 0; i < ms->n; i++)
        if (strcmp(ms->v[i].state, MGR_STATE_ATTACHED) == 0 && cn_ring_find(r, ms->v[i].name))
            snprintf(ms->v[i].state, sizeof(ms->v[i].state), "%s", MGR_STATE_RUNNING);
    *next = r;
    return 0;

out_destroy:
    cn_ring_destroy(r);
    return rc;
}

int mgr_ring_rollback(mgr_state_t *st, const cn_ring_t *cur_now, const cn_ring_t *prev_now)
{
    if (cur_now == NULL || prev_now == NULL)
        return CN_ENOENT;
    return mgr_rings_save(st, prev_now, cur_now);
}
