/*
 * manager/ring_sync.c: ring and consistency persistence, and the first ring ("start").
 * Nodes learn the ring by get_ring after a heartbeat shows them a checksum they do not hold;
 * nothing is pushed from here. rebalance and rollback only save rings; the watcher drops prev.
 * The proposers build rings from the members table (cn_ring_build) and propose them whole,
 * with the checksums they saw; mgr__rings_apply refuses an entry whose checksums are no
 * longer the state's (CN_ESTALE), so two proposers never stack rings on a stale view.
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
#include "manager/cmd.h"
#include "manager/fsm.h"

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

/* Proposes cmd, waits, disposes it. */
static int propose(mgr_fsm_t *f, mgr_cmd_t *cmd)
{
    int rc = mgr_fsm_propose_wait(f, cmd, NULL);

    mgr_cmd_dispose(cmd);
    return rc;
}

int mgr_ring_start(mgr_fsm_t *f, mgr_members_t *ms, const cn_ring_t *cur_now,
                   const mgr_levels_t *lv, size_t *started)
{
    cn_ring_t *r;
    mgr_cmd_t cmd;
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
    mgr_cmd_init(&cmd, MGR_CMD_RING_START);
    mgr_cmd_set_ring(&cmd, r);
    cmd.levels = *lv;
    if ((rc = propose(f, &cmd)) == 0)
        *started = n;

out_destroy:
    cn_ring_destroy(r);
    return rc;
}

int mgr_ring_rebalance(mgr_fsm_t *f, mgr_members_t *ms, const cn_ring_t *cur_now,
                       const cn_ring_t *prev_now, char *why, size_t whylen)
{
    cn_ring_t *r;
    mgr_cmd_t cmd;
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
    mgr_cmd_init(&cmd, MGR_CMD_RING_REBALANCE);
    mgr_cmd_set_ring(&cmd, r);
    cmd.expect_cur = cn_ring_checksum(cur_now);
    if ((rc = propose(f, &cmd)) == CN_ESTALE || rc == CN_EBUSY)
        snprintf(why, whylen, "the rings changed meanwhile; try again");
    else if (rc != 0)
        snprintf(why, whylen, "could not save the ring (%s); see the manager log",
                 cn_strerror(rc));

out_destroy:
    cn_ring_destroy(r);
    return rc;
}

/* Proposes kind (rollback, drop_prev) with the checksums the caller sees. */
static int propose_pair(mgr_fsm_t *f, enum mgr_cmd_kind kind, const cn_ring_t *cur_now,
                        const cn_ring_t *prev_now)
{
    mgr_cmd_t cmd;

    if (cur_now == NULL || prev_now == NULL)
        return CN_ENOENT;
    mgr_cmd_init(&cmd, kind);
    cmd.expect_cur = cn_ring_checksum(cur_now);
    cmd.expect_prev = cn_ring_checksum(prev_now);
    return propose(f, &cmd);
}

int mgr_ring_rollback(mgr_fsm_t *f, const cn_ring_t *cur_now, const cn_ring_t *prev_now)
{
    return propose_pair(f, MGR_CMD_RING_ROLLBACK, cur_now, prev_now);
}

int mgr_ring_drop_prev(mgr_fsm_t *f, const cn_ring_t *cur_now, const cn_ring_t *prev_now)
{
    return propose_pair(f, MGR_CMD_RING_DROP_PREV, cur_now, prev_now);
}

int mgr_levels_set(mgr_fsm_t *f, const mgr_levels_t *lv)
{
    mgr_cmd_t cmd;

    mgr_cmd_init(&cmd, MGR_CMD_LEVELS_SET);
    cmd.levels = *lv;
    return propose(f, &cmd);
}

/* ---- apply (fsm.c) --------------------------------------------------------------------- */

static int levels_valid(const mgr_levels_t *lv)
{
    return lv->n >= 1 && lv->n <= CN_RING_MAX_REPLICAS && lv->w >= 1 && lv->w <= lv->n &&
           lv->r >= 1 && lv->r <= lv->n && lv->d >= 1 && lv->d <= lv->n;
}

static void put_levels(mgr_batch_t *b, const mgr_levels_t *lv)
{
    json_t *j = json_pack("{s:I, s:I, s:I, s:I}", "n", (json_int_t)lv->n, "w",
                          (json_int_t)lv->w, "r", (json_int_t)lv->r, "d", (json_int_t)lv->d);

    mgr_batch_put_json(b, "c/levels", j);
    json_decref(j);
}

/* A saved ring: its bytes (cn_free) and checksum. CN_ENOENT when there is none. */
struct saved {
    char *bytes;
    size_t len;
    uint64_t sum;
};

static int saved_ring(mgr_state_t *st, const char *key, struct saved *out)
{
    cn_ring_t *r;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = mgr_state_get(st, key, &out->bytes, &out->len)) != 0)
        return rc;
    if (out->len == 0 || cn_ring_decode(out->bytes, out->len, &r) != 0) {
        cn_free(out->bytes);
        out->bytes = NULL;
        return out->len == 0 ? CN_ENOENT : CN_ECORRUPT;
    }
    out->sum = cn_ring_checksum(r);
    cn_ring_destroy(r);
    return 0;
}

/* The ring of a ring_start or ring_rebalance entry, decoded (destroy it). */
static int entry_ring(const mgr_cmd_t *c, cn_ring_t **out)
{
    return cn_ring_decode(c->ring, c->ring_len, out) == 0 ? 0 : CN_EINVAL;
}

static int apply_start(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b,
                       const struct saved *cur)
{
    cn_ring_t *r;
    int rc;

    if (cur->bytes != NULL)
        return CN_EEXIST;
    if (!levels_valid(&c->levels) || (rc = entry_ring(c, &r)) != 0)
        return CN_EINVAL;
    put_ring(b, "r/cur", r);
    mgr_batch_del(b, "r/prev");
    put_levels(b, &c->levels);
    rc = mgr__members_run_ring(st, b, r, 0);
    cn_ring_destroy(r);
    return rc;
}

static int apply_rebalance(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b,
                           const struct saved *cur, const struct saved *prev)
{
    cn_ring_t *r;
    int rc;

    if (cur->bytes == NULL)
        return CN_ENOENT;
    if (prev->bytes != NULL)
        return CN_EBUSY;
    if (cur->sum != c->expect_cur)
        return CN_ESTALE;
    if ((rc = entry_ring(c, &r)) != 0)
        return rc;
    if (cn_ring_checksum(r) == cur->sum) {
        cn_ring_destroy(r);
        return CN_EEXIST;
    }
    put_ring(b, "r/cur", r);
    mgr_batch_put(b, "r/prev", cur->bytes, cur->len);
    rc = mgr__members_run_ring(st, b, r, 1);
    cn_ring_destroy(r);
    return rc;
}

int mgr__rings_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    struct saved cur, prev;
    int rc = 0;

    if (c->kind == MGR_CMD_LEVELS_SET) {
        if (!levels_valid(&c->levels))
            return CN_EINVAL;
        put_levels(b, &c->levels);
        return 0;
    }
    if ((rc = saved_ring(st, "r/cur", &cur)) != 0 && rc != CN_ENOENT)
        return rc;
    if ((rc = saved_ring(st, "r/prev", &prev)) != 0 && rc != CN_ENOENT) {
        cn_free(cur.bytes);
        return rc;
    }
    switch (c->kind) {
    case MGR_CMD_RING_START:
        rc = apply_start(st, c, b, &cur);
        break;
    case MGR_CMD_RING_REBALANCE:
        rc = apply_rebalance(st, c, b, &cur, &prev);
        break;
    default: /* rollback, drop_prev */
        if (cur.bytes == NULL || prev.bytes == NULL)
            rc = CN_ENOENT;
        else if (cur.sum != c->expect_cur || prev.sum != c->expect_prev)
            rc = CN_ESTALE;
        else if (c->kind == MGR_CMD_RING_ROLLBACK) {
            mgr_batch_put(b, "r/cur", prev.bytes, prev.len);
            mgr_batch_put(b, "r/prev", cur.bytes, cur.len);
            rc = 0;
        } else {
            mgr_batch_del(b, "r/prev");
            rc = 0;
        }
        break;
    }
    cn_free(cur.bytes);
    cn_free(prev.bytes);
    return rc;
}
