/*
 * manager/raft_change.c: changes of the group's membership (update-managers, raft.h's
 * mgr_raft_change) and the leader's own g/<id> record (group.h).
 *
 * A change is a chain of asynchronous steps on the loop thread, one change at a time:
 *   add:    group_put entry (where the new manager answers)
 *           -> raft_add (a spare: no vote, no log)
 *           -> raft_assign voter: C-Raft catches it up in rounds first and gives up when
 *              it makes no progress (an unreachable manager: within seconds); then the configuration entry commits with it voting
 *           -> done. A manager that did not catch up is removed again (CN_ETIMEDOUT).
 *   remove: raft_remove -> group_remove entry -> done. Removing the leader itself first
 *           hands leadership to another voter (raft_transfer) and answers CN_ENOTLEADER, so
 *           cairn-adm asks the new leader, which removes it as any other.
 * Before the first step the rule of group.h (mgr_group_change_check) is checked against the
 * leader's view of who answers, as of the last cron tick.
 *
 * Lifetime: the admin thread owns struct mgr_change: it publishes it in r->change, wakes
 * the loop, waits on r->change_cond until `finished`, then unpublishes and frees it. C-Raft's
 * requests live in the change, and every C-Raft callback of a change arrives before it
 * finishes (a lost leadership fails pending changes at once, raft_close fails them before it
 * completes), so a callback never finds its change freed.
 * Locking: r->change and everything in it are [s->lock]; C-Raft is called on the loop thread
 * only (the steps run there, the lock held).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/cmd.h"
#include "manager/manager.h"
#include "manager/raft_int.h"

#define CHANGE_MAGIC 0x6d676368u /* "mgch" */

struct mgr_change {
    uint32_t magic;
    struct mgr_raft *r;
    int op;                        /* enum mgr_group_op */
    struct mgr_peer peer;
    int started, finished, rc;
    int undo_rc;                   /* add: the code to answer once the undo is done */
    char why[256];
    struct raft_change req;
    struct raft_transfer treq;
};

static int code_of(int status)
{
    switch (status) {
    case 0: return 0;
    case RAFT_NOTLEADER: return CN_ENOTLEADER;
    case RAFT_LEADERSHIPLOST:
    case RAFT_CANCELED:
    case RAFT_SHUTDOWN: return CN_ECANCELED;
    case RAFT_CANTCHANGE: return CN_EBUSY;
    case RAFT_NOCONNECTION: return CN_ETIMEDOUT;
    default: return CN_EIO;
    }
}

/* Ends the change with rc. Lock held. */
static void finish(struct mgr_change *ch, int rc, const char *why)
{
    struct mgr_server *s = ch->r->s;

    CN_CHECK_OBJ(ch, CHANGE_MAGIC);
    if (ch->finished)
        return;
    ch->finished = 1;
    ch->rc = rc;
    if (why != NULL && ch->why[0] == '\0')
        snprintf(ch->why, sizeof(ch->why), "%s", why);
    CN_LOG(rc == 0 ? CN_LOG_INFO : CN_LOG_WARN, "op=%s id=%" PRIu64 " raft=%s rc=%s%s%s: %s",
           ch->op == MGR_GROUP_ADD ? "add" : "remove", ch->peer.id, ch->peer.raft_addr,
           cn_strerror(rc), ch->why[0] ? " why=" : "", ch->why,
           rc == 0 ? "group changed" : "group not changed");
    mgr__raft_mirror_peers(s, ch->r); /* the answer shows the group as it is now */
    pthread_cond_broadcast(&ch->r->change_cond);
}

/* C-Raft's status as a change's end, with its message. Lock held. */
static void finish_status(struct mgr_change *ch, int status, const char *step)
{
    char why[200];

    snprintf(why, sizeof(why), "%s: %s", step, raft_strerror(status));
    finish(ch, code_of(status), why);
}

static struct mgr_change *change_of(struct raft_change *req)
{
    struct mgr_change *ch = req->data;

    CN_CHECK_OBJ(ch, CHANGE_MAGIC);
    return ch;
}

/* ---- add --------------------------------------------------------------------------------- */

static void on_undone(struct raft_change *req, int status)
{
    struct mgr_change *ch = change_of(req);
    struct mgr_server *s = ch->r->s;

    pthread_mutex_lock(&s->lock);
    if (status != 0)
        CN_LOG(CN_LOG_ERROR, "id=%" PRIu64 " err=%s: the manager that did not catch up is "
               "still in the group, as a spare (no vote): remove it with update-managers "
               "remove", ch->peer.id, raft_strerror(status));
    finish(ch, ch->undo_rc, NULL);
    pthread_mutex_unlock(&s->lock);
}

static void on_assigned(struct raft_change *req, int status)
{
    struct mgr_change *ch = change_of(req);
    struct mgr_raft *r = ch->r;
    struct mgr_server *s = r->s;

    pthread_mutex_lock(&s->lock);
    if (status == 0) {
        finish(ch, 0, NULL);
    } else if (status == RAFT_NOCONNECTION && raft_state(&r->raft) == RAFT_LEADER) {
        ch->undo_rc = CN_ETIMEDOUT;
        snprintf(ch->why, sizeof(ch->why), "manager %" PRIu64 " at %s did not catch up "
                 "with the log; it was taken out of the group again (is it running with "
                 "[manager] join = true, and can this manager reach it?)", ch->peer.id,
                 ch->peer.raft_addr);
        ch->req.data = ch;
        if (raft_remove(&r->raft, &ch->req, ch->peer.id, on_undone) != 0) {
            CN_LOG(CN_LOG_ERROR, "id=%" PRIu64 " err=%s: the manager that did not catch up "
                   "is still in the group, as a spare (no vote): remove it with "
                   "update-managers remove", ch->peer.id, raft_errmsg(&r->raft));
            finish(ch, CN_ETIMEDOUT, NULL);
        }
    } else {
        finish_status(ch, status, "promoting it to a voter");
    }
    pthread_mutex_unlock(&s->lock);
}

static void on_added(struct raft_change *req, int status)
{
    struct mgr_change *ch = change_of(req);
    struct mgr_raft *r = ch->r;
    struct mgr_server *s = r->s;
    int rc;

    pthread_mutex_lock(&s->lock);
    if (status != 0) {
        finish_status(ch, status, "adding it as a spare");
    } else {
        ch->req.data = ch;
        if ((rc = raft_assign(&r->raft, &ch->req, ch->peer.id, RAFT_VOTER, on_assigned)) != 0)
            finish_status(ch, rc, "promoting it to a voter");
    }
    pthread_mutex_unlock(&s->lock);
}

/* The group_put entry is applied (or failed): add the manager to the configuration. Loop
 * thread, lock held (fsm.h's done). */
static void on_put(void *arg, int rc, int why)
{
    struct mgr_change *ch = arg;
    struct mgr_raft *r = ch->r;
    int st;

    (void)why;
    CN_CHECK_OBJ(ch, CHANGE_MAGIC);
    if (rc != 0) {
        finish(ch, rc, "writing the manager's record");
        return;
    }
    ch->req.data = ch;
    if ((st = raft_add(&r->raft, &ch->req, ch->peer.id, ch->peer.raft_addr, on_added)) != 0)
        finish_status(ch, st, "adding it as a spare");
}

/* ---- remove ------------------------------------------------------------------------------ */

static void on_record_removed(void *arg, int rc, int why)
{
    struct mgr_change *ch = arg;

    (void)why;
    CN_CHECK_OBJ(ch, CHANGE_MAGIC);
    if (rc != 0) /* the configuration changed: the record is only an address */
        CN_LOG(CN_LOG_WARN, "id=%" PRIu64 " rc=%s: removed, but its record stays",
               ch->peer.id, cn_strerror(rc));
    finish(ch, 0, NULL);
}

static void on_removed(struct raft_change *req, int status)
{
    struct mgr_change *ch = change_of(req);
    struct mgr_server *s = ch->r->s;
    mgr_cmd_t c;

    pthread_mutex_lock(&s->lock);
    if (status != 0) {
        finish_status(ch, status, "removing it from the configuration");
    } else {
        mgr_cmd_init(&c, MGR_CMD_GROUP_REMOVE);
        c.peer.id = ch->peer.id;
        mgr_fsm_propose(s->fsm, &c, on_record_removed, ch);
        mgr_cmd_dispose(&c);
    }
    pthread_mutex_unlock(&s->lock);
}

static void on_transferred(struct raft_transfer *req)
{
    struct mgr_change *ch = req->data;
    struct mgr_raft *r = ch->r;
    struct mgr_server *s = r->s;
    raft_id lid = 0;
    const char *laddr = NULL;
    char why[160];

    CN_CHECK_OBJ(ch, CHANGE_MAGIC);
    pthread_mutex_lock(&s->lock);
    raft_leader(&r->raft, &lid, &laddr);
    if (lid != s->self.id)
        mgr_raft_cron(s); /* names the new leader in the 421 (no leadership won here) */
    snprintf(why, sizeof(why), "this manager led; leadership %s manager %" PRIu64
             ", which removes it", lid != s->self.id ? "went to" : "stayed with",
             (uint64_t)lid);
    finish(ch, lid != s->self.id ? CN_ENOTLEADER : CN_EBUSY, why);
    pthread_mutex_unlock(&s->lock);
}

/* ---- start ------------------------------------------------------------------------------- */

/* The leader's view of the group for the rule, as of the last cron tick. Lock held. */
static size_t seen_of(struct mgr_server *s, struct mgr_group_seen *seen)
{
    for (size_t i = 0; i < s->npeers; i++) {
        seen[i].id = s->peers[i].id;
        seen[i].voter = s->peers[i].voter;
        seen[i].up = s->rview.peer[i].up;
    }
    return s->npeers;
}

/* The first step of ch. Loop thread, lock held. */
static void begin(struct mgr_raft *r, struct mgr_change *ch)
{
    struct mgr_server *s = r->s;
    struct mgr_group_seen seen[MGR_PEERS_MAX];
    size_t n;
    mgr_cmd_t c;
    int rc;

    if (raft_state(&r->raft) != RAFT_LEADER) {
        finish(ch, CN_ENOTLEADER, "this manager is not the leader");
        return;
    }
    n = seen_of(s, seen);
    if ((rc = mgr_group_change_check(ch->op, ch->peer.id, seen, n, ch->why,
                                     sizeof(ch->why))) != 0) {
        finish(ch, rc, NULL);
        return;
    }
    if (ch->op == MGR_GROUP_REMOVE) {
        if (ch->peer.id == s->self.id) {
            ch->treq.data = ch;
            if ((rc = raft_transfer(&r->raft, &ch->treq, 0, on_transferred)) != 0)
                finish_status(ch, rc, "handing leadership to another voter");
            return;
        }
        ch->req.data = ch;
        if ((rc = raft_remove(&r->raft, &ch->req, ch->peer.id, on_removed)) != 0)
            finish_status(ch, rc, "removing it from the configuration");
        return;
    }
    for (size_t i = 0; i < s->npeers; i++) {
        if (strcmp(s->peers[i].raft_addr, ch->peer.raft_addr) == 0) {
            snprintf(ch->why, sizeof(ch->why), "manager %" PRIu64 " has the Raft address %s",
                     s->peers[i].id, ch->peer.raft_addr);
            finish(ch, CN_EEXIST, NULL);
            return;
        }
        if (s->peers[i].raft_port == 0) {
            snprintf(ch->why, sizeof(ch->why), "manager %" PRIu64 "'s Raft address %s has "
                     "no fixed port, so no other manager can reach it: give the group of "
                     "one a fixed [manager] raft_listen before it starts", s->peers[i].id,
                     s->peers[i].raft_addr);
            finish(ch, CN_EINVAL, NULL);
            return;
        }
    }
    mgr_group_cmd_put(&c, &ch->peer);
    mgr_fsm_propose(s->fsm, &c, on_put, ch);
    mgr_cmd_dispose(&c);
}

void mgr__raft_change_kick(struct mgr_raft *r)
{
    struct mgr_change *ch = r->change;

    if (ch == NULL || ch->started || ch->finished)
        return;
    ch->started = 1;
    begin(r, ch);
}

void mgr__raft_change_cancel(struct mgr_raft *r)
{
    if (r->change != NULL && !r->change->started)
        finish(r->change, CN_ECANCELED, "the manager stops");
    /* a started one ends through C-Raft's callbacks, which raft_close runs */
}

int mgr_raft_change(struct mgr_server *s, int op, const struct mgr_peer *peer, char *why,
                    size_t whylen)
{
    struct mgr_raft *r = s->raft;
    struct mgr_change *ch;
    int rc;

    why[0] = '\0';
    if (r == NULL || r->closing)
        return CN_ECANCELED;
    if (r->change != NULL) {
        snprintf(why, whylen, "another change of the group is under way");
        return CN_EBUSY;
    }
    ch = cn_calloc(1, sizeof(*ch));
    ch->magic = CHANGE_MAGIC;
    ch->r = r;
    ch->op = op;
    ch->peer = *peer;
    r->change = ch;
    uv_async_send(&r->async);
    while (!ch->finished)
        pthread_cond_wait(&r->change_cond, &s->lock);
    rc = ch->rc;
    snprintf(why, whylen, "%s", ch->why);
    r->change = NULL;
    ch->magic = 0;
    cn_free(ch);
    return rc;
}

/* ---- the leader's own record ------------------------------------------------------------- */

static void on_own_record(void *arg, int rc, int why)
{
    struct mgr_raft *r = arg;

    (void)why;
    if (rc != 0) /* the next leadership, or the next tick, tries again */
        r->own_record_due = 1;
}

void mgr__raft_own_record(struct mgr_raft *r)
{
    struct mgr_server *s = r->s;
    struct mgr_peer me = s->self, rec;
    mgr_cmd_t c;

    if (!r->own_record_due || s->admin == NULL || s->rpc_port == 0 || s->admin_port == 0)
        return; /* the listeners start after raft (their ports may be 0 until): a later tick */
    r->own_record_due = 0;
    me.rpc_port = s->rpc_port;
    me.admin_port = s->admin_port;
    if (me.raft_port == 0)
        return; /* nobody could reach it: no group beyond one */
    if (mgr_group_record(s->st, me.id, me.raft_addr, &rec) == 0 &&
        rec.rpc_port == me.rpc_port && rec.admin_port == me.admin_port &&
        strcmp(rec.host, me.host) == 0)
        return;
    mgr_group_cmd_put(&c, &me);
    mgr_fsm_propose(s->fsm, &c, on_own_record, r);
    mgr_cmd_dispose(&c);
}
