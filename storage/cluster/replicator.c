/*
 * storage/cluster/replicator.c: the coordinator. A put/delete/get/head that arrives without
 * "replica" = 1 while this node holds a ring is coordinated here (docs/PROTOCOL.md,
 * "Replication"):
 *   put/delete: written locally when this node is one of the key's N owners on ring cur,
 *     and sent with replica = 1 (same clock, etag, meta, flags, size, mtime, body) to the
 *     other owners in parallel; answered once the local write is done and W (D) owners,
 *     this one included, acked; CN_EQUORUM when that can no longer happen. Every replica
 *     write that fails or times out is queued for repair (hinted handoff), also after the
 *     answer; an answer waits until the hints queued before it are persistent (the queue's
 *     writer thread). A replica's CN_ESTALE (it holds this version or a newer one) and a delete's
 *     CN_ENOENT are acks. A put asked with want_prev = 1 has its reply say what it replaced
 *     (prev_*): the local engine's put returns it from the lookup its clock check does under
 *     the commit lock (stor_local_put_prev), so the key is read once and nothing can come
 *     between the version reported and the write.
 *   A put/delete with a condition (common/wcond.h) is checked first by cond_write.c, under
 *     its object's queue, and only on the key's first owner in service (else CN_EUNAVAIL);
 *     the queue is released when it answers (docs/DESIGN.md, "Conditional writes").
 *   get/head: read locally; with R > 1 also from R-1 other owners; when the local copy is
 *     missing or corrupt, or this node is not an owner, from every other node of the read
 *     set (owners on cur, then on prev during a rebalance), less the nodes the manager
 *     reports down while few enough of them are (skip_down). The newest clock wins (a
 *     tombstone answers CN_ENOENT). Stale or missing owners seen on the way are repaired:
 *     this node through its queue (pulling the newest), others through the queue when this
 *     node holds the newest, else by a recover_file sent to the node that does.
 * Lifetime: a coordination owns req until its reply and lives until every call it made has
 * come back. Threads: main loop only.
 */
#include "storage/cluster/cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "storage/xdc/xdc.h"

#define STOR_COORD_MAGIC 0x53434f4fu /* "SCOO" */

struct coord {
    uint32_t magic;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;            /* NULL once answered */
    enum stor_obj_op op;      /* any but STOR_OBJ_LIST */
    cn_buf_t key;
    stor_obj_meta_t m;        /* writes: the version (meta borrowed from req) */
    cn_slice_t body;          /* borrowed from req */
    uint64_t off, len;
    stor_owners_t owners;     /* cur owners */
    int self_owner;
    /* writes */
    int want_prev;            /* put asked with want_prev = 1: reply the version replaced */
    stor_version_t *prev;     /* what the local put replaced (owner coordinator only) */
    uint32_t need;
    size_t pending, acks, fails, nospc; /* nospc: failures that were CN_ENOSPC */
    size_t hints;             /* repair entries queued, not yet persistent: no answer yet */
    int local_done, local_rc, live_seen;
    /* conditional writes (cond_write.c): the check's queue, held until the answer */
    cn_wcond_t cond;
    stor_cond_t *ch;
    int clock_given;          /* the request named the clock (a version's): never re-stamped */
    int from_link;            /* a change another cluster sent (storage/xdc/listener.c) */
    int journaled;            /* the local write carries CN_OBJ_JOURNALED */
    size_t jwait;             /* journal entries written here in place of a failed journaling
                               * write, not yet stored: no answer yet */
    /* reads */
    stor_version_t *local;
    double t0;                /* for /metrics */
};

struct wcall {
    struct coord *c;
    char name[STOR_NAME_MAX];
    int journal;              /* this replica write was to journal the change */
};

static cn_slice_t ckey(const struct coord *c)
{
    return cn_slice(c->key.data, c->key.len);
}

static void coord_free(struct coord *c)
{
    CN_ASSERT(c->req == NULL);
    if (c->local != NULL) {
        stor_version_dispose(c->local);
        cn_free(c->local);
    }
    if (c->prev != NULL) {
        stor_version_dispose(c->prev);
        cn_free(c->prev);
    }
    cn_buf_dispose(&c->key);
    c->magic = 0;
    cn_free(c);
}

static void reply(struct coord *c, cn_msg_t *resp)
{
    double took = stor_metrics_now() - c->t0;

    if (c->ch != NULL) { /* the next conditional write of the object may check now */
        stor_cond_end(c->ch);
        c->ch = NULL;
    }

    stor_move_rate_fg(c->s, took); /* the foreground the moves must not hurt */
    stor_metrics_request(c->s, cn_msg_op(c->req), cn_msg_rc(resp), took,
                         c->op == STOR_OBJ_PUT ? c->body.len : 0,
                         c->op == STOR_OBJ_GET ? cn_msg_body(resp).len : 0);
    cn_rpc_reply(c->conn, c->req, resp);
    c->req = NULL;
}

/* ---- writes ------------------------------------------------------------------------- */

/* The version this put replaced, as this node held it just before its own write: prev_clock
 * (0: none), prev_flags, prev_body (a chunk manifest's body). Only when the local write
 * stored this version: otherwise nothing is said and the gateway cleans nothing. */
static void set_prev(struct coord *c, cn_msg_t *resp)
{
    const stor_version_t *p = c->prev;

    if (p == NULL || !c->self_owner || c->local_rc != 0 ||
        (p->rc != 0 && p->rc != CN_ENOENT) || (p->rc == 0 && p->m.clock >= c->m.clock))
        return;
    cn_msg_set_u64(resp, "prev_clock", p->rc == 0 ? p->m.clock : 0);
    if (p->rc != 0)
        return;
    cn_msg_set_u64(resp, "prev_flags", p->m.flags);
    if ((p->m.flags & CN_OBJ_MANIFEST) && !(p->m.flags & CN_OBJ_TOMBSTONE))
        cn_msg_set_bytes(resp, "prev_body", p->body.data ? p->body.data : "", p->body.len);
}

static void write_check(struct coord *c)
{
    cn_msg_t *resp;
    int rc;

    if (c->req != NULL && c->local_done && c->hints == 0 && c->jwait == 0 &&
        (c->acks >= c->need || c->pending == 0)) {
        if (c->acks >= c->need)
            rc = c->op == STOR_OBJ_DELETE && !c->live_seen ? CN_ENOENT : 0;
        else
            rc = c->nospc > 0 ? CN_ENOSPC : CN_EQUORUM; /* full disks: say so (S3 507) */
        if (c->self_owner && c->local_rc == CN_ESTALE)
            rc = CN_ESTALE; /* a newer version is stored: this write lost (last writer wins) */
        if (rc == CN_ESTALE && cn_wcond_any(&c->cond))
            rc = CN_ECONFLICT; /* its condition held, but a concurrent write came after it */
        if (rc == CN_EQUORUM || rc == CN_ENOSPC)
            CN_LOG(CN_LOG_WARN, "op=%s key=%.*s acks=%zu need=%u full=%zu: quorum not reached",
                   cn_msg_op(c->req), (int)c->key.len, c->key.data, c->acks,
                   c->need, c->nospc);
        resp = cn_msg_new(cn_msg_op(c->req));
        cn_msg_set_rc(resp, rc);
        cn_msg_set_u64(resp, "clock", c->m.clock);
        cn_msg_set_u64(resp, "acks", c->acks);
        if (rc == 0)
            set_prev(c, resp);
        reply(c, resp);
    }
    if (c->req == NULL && c->pending == 0 && c->hints == 0 && c->jwait == 0 && c->local_done)
        coord_free(c);
}

static void on_hint_persisted(void *arg, int rc)
{
    struct coord *c = arg;

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    c->hints--;
    write_check(c);
}

/* Hinted handoff: queues the repair of key on target; the answer waits until it is
 * persistent (an acked write's missing copy must survive a crash of this node). */
static void hint(struct coord *c, const char *target)
{
    if (stor_repair_q_push_cb(c->s, ckey(c), target, STOR_R_REPLICATE, on_hint_persisted, c) ==
        1)
        c->hints++;
}

static void on_journaled_here(struct stor_server *s, int rc, void *arg)
{
    struct coord *c = arg;

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    c->jwait--;
    if (rc == 0)
        stor_xdc_kick(s);
    else
        CN_LOG(CN_LOG_ERROR, "key=%.*s rc=%s: the change journal entry could not be written "
               "here either: the linked clusters get this change from recover-cluster",
               (int)c->key.len, c->key.data, cn_strerror(rc));
    write_check(c);
}

/* The node that was to journal this client write (this one, or the replica sent "journal")
 * did not store it, though others may ack it: the change's journal entry is written here,
 * alone, before the answer, so an acked change still reaches the linked clusters (the
 * sender reads the key's newest version wherever the ring put it). */
static void journal_here(struct coord *c)
{
    c->jwait++;
    stor_local_journal(c->s, ckey(c), c->m.clock, c->m.flags, on_journaled_here, c);
}

static int is_ack(enum stor_obj_op op, int rc)
{
    return rc == 0 || rc == CN_ESTALE || (op == STOR_OBJ_DELETE && rc == CN_ENOENT);
}

static void on_local_write(struct stor_server *s, int rc, void *arg)
{
    struct coord *c = arg;

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    c->local_done = 1;
    c->local_rc = rc;
    if (rc == 0 && c->journaled)
        stor_xdc_kick(s); /* a new journal entry: the senders read it now */
    else if (c->journaled && !is_ack(c->op, rc))
        journal_here(c);
    if (is_ack(c->op, rc)) {
        c->acks++;
        if (c->op == STOR_OBJ_DELETE && rc == 0)
            c->live_seen = 1;
    } else {
        CN_LOG(CN_LOG_ERROR, "key=%.*s rc=%s: local write failed, queued for repair",
               (int)c->key.len, c->key.data, cn_strerror(rc));
        c->fails++;
        c->nospc += rc == CN_ENOSPC;
        /* the other owners may take it: this node pulls the newest once it can write again */
        hint(c, stor_self(s));
    }
    write_check(c);
}

static void on_replica_write(int status, cn_msg_t *resp, void *arg)
{
    struct wcall *w = arg;
    struct coord *c = w->c;
    int rc = status != 0 ? status : cn_msg_rc(resp);

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    c->pending--;
    if (w->journal && !is_ack(c->op, rc))
        journal_here(c);
    if (is_ack(c->op, rc)) {
        c->acks++;
        if (c->op == STOR_OBJ_DELETE && rc == 0)
            c->live_seen = 1;
    } else {
        c->fails++;
        c->nospc += rc == CN_ENOSPC;
        CN_LOG(CN_LOG_DEBUG, "key=%.*s replica=%s rc=%s: replica write failed, queued for repair",
               (int)c->key.len, c->key.data, w->name, cn_strerror(rc));
        hint(c, w->name);
    }
    cn_msg_free(resp);
    cn_free(w);
    write_check(c);
}

/* The local put is done, and with it what it replaced (one lookup, the engine's own). */
static void on_local_put_prev(struct stor_server *s, int rc, stor_version_t *prev, void *arg)
{
    struct coord *c = arg;

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    c->prev = prev;
    on_local_write(s, rc, c);
}

static void coordinate_write(struct coord *c)
{
    struct stor_server *s = c->s;
    const char *self = stor_self(s);
    uint32_t q = c->op == STOR_OBJ_DELETE ? s->levels.d : s->levels.w;
    cn_msg_t *req;
    stor_obj_meta_t lm;
    /* the change journal (storage/xdc/xdc.h): one node journals a client's write, this one
     * when it is an owner, else the first owner it is sent to */
    int journal = !c->from_link && stor_xdc_journals(s, ckey(c));

    if (!c->from_link) /* a linked cluster's version keeps its own mtime */
        c->m.mtime_ms = cn_now_ms();
    if (c->op == STOR_OBJ_DELETE)
        c->m.flags = CN_OBJ_TOMBSTONE;
    lm = c->m;
    if (journal && c->self_owner) {
        lm.flags |= CN_OBJ_JOURNALED;
        c->journaled = 1;
    }
    c->need = q < c->owners.n ? q : (uint32_t)c->owners.n;
    if (c->need == 0)
        c->need = 1;
    c->pending = 1; /* held while sending */
    for (size_t i = 0; i < c->owners.n; i++) {
        struct wcall *w;

        if (strcmp(c->owners.name[i], self) == 0)
            continue;
        w = cn_malloc(sizeof(*w));
        w->c = c;
        snprintf(w->name, sizeof(w->name), "%s", c->owners.name[i]);
        c->pending++;
        req = stor_write_msg(ckey(c), &c->m, c->body);
        w->journal = journal && !c->self_owner;
        if (w->journal)
            cn_msg_set_u64(req, "journal", 1);
        if (stor_peer_call(s, w->name, req, s->conf->repl_timeout_ms, on_replica_write, w) ==
            0) {
            if (w->journal)
                journal = 0; /* that owner journals it (or journal_here, if it fails) */
        } else {
            c->pending--;
            c->fails++;
            hint(c, w->name);
            cn_free(w);
        }
    }
    if (journal && !c->self_owner)
        journal_here(c); /* no owner could be sent it */
    c->pending--;
    if (c->self_owner && c->want_prev) {
        stor_local_put_prev(s, ckey(c), &lm, c->body, on_local_put_prev, c);
    } else if (c->self_owner) {
        stor_local_write(s, ckey(c), &lm, c->body, on_local_write, c);
    } else {
        c->local_done = 1;
        write_check(c);
    }
}

/* ---- reads -------------------------------------------------------------------------- */

/* Answers a read from v (a tombstone answers CN_ENOENT). */
static void reply_version(struct coord *c, stor_version_t *v, int rc_none)
{
    cn_msg_t *resp = cn_msg_new(cn_msg_op(c->req));
    size_t len;
    char *body;

    if (v == NULL || !stor_version_found(v)) {
        cn_msg_set_rc(resp, rc_none);
    } else if (v->m.flags & CN_OBJ_TOMBSTONE) {
        cn_msg_set_rc(resp, CN_ENOENT);
        cn_msg_set_u64(resp, "clock", v->m.clock);
    } else {
        cn_msg_set_rc(resp, 0);
        cn_msg_set_u64(resp, "clock", v->m.clock);
        cn_msg_set_str(resp, "etag", v->m.etag);
        cn_msg_set_bytes(resp, "meta", v->meta.data ? v->meta.data : "", v->meta.len);
        cn_msg_set_u64(resp, "size", v->m.size);
        cn_msg_set_u64(resp, "mtime", v->m.mtime_ms);
        cn_msg_set_u64(resp, "flags", v->m.flags);
        if (c->op == STOR_OBJ_GET && v->body.len > 0) {
            body = cn_buf_steal(&v->body, &len);
            cn_msg_set_body(resp, body, len);
        }
    }
    reply(c, resp);
}

static void on_forget(int status, cn_msg_t *resp, void *arg)
{
    cn_msg_free(resp);
}

/* Queues the repairs a read saw the need for; best is the newest version seen. */
static void read_repair(struct coord *c, stor_gather_t *g, int best, const stor_version_t *bv)
{
    struct stor_server *s = c->s;
    const char *self = stor_self(s);
    int local_newest = best < 0;
    int others_stale = 0;

    if (c->self_owner && (!stor_version_found(c->local) || c->local->m.clock < bv->m.clock))
        stor_repair_q_push(s, ckey(c), self, c->local->rc == CN_ECORRUPT ? STOR_R_SCRUB
                                                                         : STOR_R_READ);
    for (size_t i = 0; i < g->n; i++) {
        const stor_version_t *v = &g->res[i].v;
        int stale = v->rc == CN_ENOENT || v->rc == CN_ECORRUPT ||
                    (v->rc == 0 && v->m.clock < bv->m.clock);

        if ((int)i == best || !stale || !stor_owners_has(&c->owners, g->res[i].name))
            continue;
        if (local_newest)
            stor_repair_q_push(s, ckey(c), g->res[i].name, STOR_R_READ);
        else
            others_stale = 1;
    }
    if (others_stale) {
        /* the newest holder pushes it to the stale owners */
        cn_msg_t *req = cn_msg_new(STOR_OP_RECOVER_FILE);

        cn_msg_set_bytes(req, "key", c->key.data, c->key.len);
        stor_peer_call(s, g->res[best].name, req, s->conf->repl_timeout_ms, on_forget, NULL);
    }
}

static void on_read_gather(stor_gather_t *g, void *arg)
{
    struct coord *c = arg;
    stor_version_t *lv = c->local;
    int best = stor_gather_best(g);
    stor_version_t *bv = NULL;

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    if (best >= 0 && (!stor_version_found(lv) || !c->self_owner ||
                      g->res[best].v.m.clock > lv->m.clock))
        bv = &g->res[best].v;
    else if (stor_version_found(lv))
        bv = lv, best = -1;
    if (bv != NULL)
        read_repair(c, g, best, bv);
    if (c->req != NULL) {
        if (bv == NULL)
            reply_version(c, NULL, lv->rc == CN_ECORRUPT ? CN_ECORRUPT : CN_ENOENT);
        else
            reply_version(c, bv, CN_ENOENT);
    }
    stor_gather_free(g);
    coord_free(c);
}

/* Leaves out of a miss's read set the nodes the manager reports down, when they are few
 * enough that every acked version is still on a node asked: an acked put is on W holders and
 * an acked delete on D, all in the read set, so up to min(W, D, N) - 1 of them may go unasked
 * (stor_read_may_skip). A hung peer then costs nothing instead of [replication] timeout.
 * With more of them down, every node is asked, as before. */
static void skip_down(const struct stor_server *s, stor_owners_t *ask)
{
    size_t down = 0, w = 0;

    for (size_t i = 0; i < ask->n; i++)
        down += stor_peer_down(s, ask->name[i]) != 0;
    if (down == 0 || down > stor_read_may_skip(s))
        return;
    for (size_t i = 0; i < ask->n; i++)
        if (!stor_peer_down(s, ask->name[i]))
            memmove(ask->name[w++], ask->name[i], STOR_NAME_MAX);
    ask->n = w;
}

static void on_local_read(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct coord *c = arg;
    stor_owners_t ask;
    const char *self = stor_self(s);
    int found = stor_version_found(v);

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    c->local = v;
    ask.n = 0;
    if (c->self_owner && found) {
        /* R-1 other owners, in ring order, those the manager reports down last */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < c->owners.n && ask.n + 1 < s->levels.r; i++)
                if (strcmp(c->owners.name[i], self) != 0 &&
                    stor_peer_down(s, c->owners.name[i]) == pass)
                    stor_owners_add(&ask, c->owners.name[i]);
        if (ask.n == 0) {
            reply_version(c, v, CN_ENOENT);
            coord_free(c);
            return;
        }
    } else {
        stor_read_set(s, ckey(c), self, NULL, &ask);
        skip_down(s, &ask);
    }
    stor_gather_start(s, ckey(c), &ask, c->op == STOR_OBJ_GET ? CN_OP_GET : CN_OP_HEAD, c->off,
                      c->len, on_read_gather, c);
}

/* ---- conditional writes ------------------------------------------------------------- */

static void reply_rc(struct coord *c, int rc, int missing)
{
    cn_msg_t *resp = cn_msg_new(cn_msg_op(c->req));

    cn_msg_set_rc(resp, rc);
    if (missing)
        cn_msg_set_u64(resp, "cond_missing", 1);
    reply(c, resp);
    coord_free(c);
}

/* The check is done (cond_write.c); the object's queue is held until the answer. */
static void on_cond_checked(struct stor_server *s, int rc, int missing, uint64_t seen_clock,
                            void *arg)
{
    struct coord *c = arg;

    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    if (rc == 0 && seen_clock >= c->m.clock) {
        /* the version read is newer than this write's clock (another coordinator's HLC ran
         * ahead): a clock of this node's own is stamped past it; a given clock cannot move */
        if (c->clock_given) {
            rc = CN_ECONFLICT;
        } else {
            cn_hlc_observe(seen_clock);
            c->m.clock = cn_hlc_next();
        }
    }
    if (rc != 0) {
        reply_rc(c, rc, missing);
        return;
    }
    coordinate_write(c);
}

/* A put or delete with a condition (common/wcond.h): only the key's first owner in service
 * coordinates it, after its check. 1 when it is taken care of here (answered or queued), 0 for
 * a plain write. */
static int cond_write(struct coord *c)
{
    struct stor_server *s = c->s;
    uint64_t clock = 0;
    int rc;

    if (c->from_link)
        return 0; /* a version another cluster stored: its conditions held there */
    if ((rc = cn_wcond_from_msg(c->req, &c->cond)) != 0) {
        reply_rc(c, rc, 0);
        return 1;
    }
    if (!cn_wcond_any(&c->cond))
        return 0;
    if (!stor_cond_is_coordinator(s, &c->owners)) {
        /* the gateway's view of who is down is not this node's: it decides nothing */
        CN_LOG(CN_LOG_INFO, "key=%.*s: conditional write refused, this node is not the key's "
               "first owner in service", (int)c->key.len, c->key.data);
        reply_rc(c, CN_EUNAVAIL, 0);
        return 1;
    }
    c->clock_given = cn_msg_get_u64(c->req, "clock", &clock) == 0 && clock != 0;
    c->ch = stor_cond_begin(s, ckey(c), &c->cond, &c->owners, on_cond_checked, c);
    return 1;
}

/* A write, its lock checked: a condition first (cond_write.c), else now. */
static void write_start(struct coord *c)
{
    if (cond_write(c) != 0)
        return;
    coordinate_write(c);
}

static void on_lock_checked(struct stor_server *s, int rc, void *arg)
{
    struct coord *c = arg;

    (void)s;
    CN_CHECK_OBJ(c, STOR_COORD_MAGIC);
    if (rc != 0) {
        reply_rc(c, rc, 0);
        return;
    }
    write_start(c);
}

/* ---- entry -------------------------------------------------------------------------- */

void stor_repl_coordinate(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req,
                          enum stor_obj_op op, const stor_obj_meta_t *m, cn_slice_t body,
                          uint64_t off, uint64_t len, enum stor_write_from from)
{
    struct coord *c = cn_calloc(1, sizeof(*c));
    uint64_t want_prev = 0;
    cn_slice_t key;

    c->magic = STOR_COORD_MAGIC;
    c->s = s;
    c->conn = conn;
    c->req = req;
    CN_ASSERT(op != STOR_OBJ_LIST); /* listing is never coordinated */
    c->op = op;
    c->t0 = stor_metrics_now();
    cn_msg_get_bytes(req, "key", &key);
    cn_buf_init(&c->key);
    cn_buf_append(&c->key, key.ptr, key.len);
    c->m = *m;
    c->body = body;
    c->off = off;
    c->len = len;
    if (op == STOR_OBJ_PUT)
        cn_msg_get_u64(req, "want_prev", &want_prev);
    c->want_prev = want_prev != 0 && from != STOR_FROM_LINK;
    c->from_link = from == STOR_FROM_LINK;
    c->clock_given = c->from_link;
    stor_owners_of(s->ring_cur, key, s->levels.n, &c->owners);
    c->self_owner = stor_owners_has(&c->owners, stor_self(s));
    if (op == STOR_OBJ_DELETE && stor_lock_applies(s, key)) {
        uint64_t bypass = 0;

        /* object lock: decided here, once, before any copy is touched (lock_check.c) */
        if (from != STOR_FROM_LINK)
            cn_msg_get_u64(req, "lock_bypass", &bypass);
        stor_lock_check(s, key, &c->owners, bypass != 0, on_lock_checked, c);
        return;
    }
    if (op == STOR_OBJ_PUT || op == STOR_OBJ_DELETE)
        write_start(c);
    else
        stor_local_read(s, key, op == STOR_OBJ_GET, off, len, on_local_read, c);
}
