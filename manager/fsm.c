/*
 * manager/fsm.c: the manager's state machine (see fsm.h): the one place that commits to the
 * RocksDB state. mgr_fsm_apply decodes an entry, has the module that owns its keys check it
 * and fill a batch, adds "v/applied" and commits; a refused entry commits the index alone.
 * Then the views (members table, rings, levels) are reloaded from what was written.
 * Besides entries, two local steps write here: the format migration (migrate.h explains why
 * it is not an entry) and the install of a snapshot (the log's own catch-up, fsm.h).
 * Invariant: f->applied is the "v/applied" of the state: both move only after a commit.
 * Locking: every call with the server lock held (fsm.h); nothing here locks.
 */
#define MGR_STATE_WRITER 1
#include "manager/fsm.h"

#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/access_keys.h"
#include "manager/backup.h"
#include "manager/buckets.h"
#include "manager/clusters.h"
#include "manager/endpoints.h"
#include "manager/kms.h"
#include "manager/migrate.h"
#include "manager/state_int.h"
#include "manager/users.h"
#include "manager/xdc_sync.h"

#define MGR_FSM_MAGIC 0x6d67666du /* "mgfm" */

struct mgr_fsm {
    uint32_t magic;
    mgr_state_t *st;
    pthread_mutex_t *lock;         /* the server lock (NULL in tests); see propose_wait */
    struct mgr_fsm_views v;
    uint64_t applied;
    struct mgr_fsm_log log;        /* how proposals reach the log; submit NULL: at once */
    pthread_cond_t applied_cond;   /* with *lock: broadcast when a waited entry is done */
};

/* Brings the state to the current format in one batch of its own (migrate.h). */
static int migrate(mgr_fsm_t *f)
{
    mgr_batch_t *b = mgr_batch_new();
    uint64_t from = 0;
    int rc;

    if ((rc = mgr_migrate_fill(f->st, b, &from)) != 0 || from == MGR_STATE_FORMAT) {
        mgr_batch_free(b);
        return rc;
    }
    if ((rc = mgr_batch_commit(f->st, b)) != 0)
        return rc;
    CN_LOG(CN_LOG_INFO, "format=%llu -> %d: state migrated", (unsigned long long)from,
           MGR_STATE_FORMAT);
    return 0;
}

int mgr_fsm_create(mgr_state_t *st, pthread_mutex_t *lock, const struct mgr_fsm_views *views,
                   mgr_fsm_t **out)
{
    mgr_fsm_t *f = cn_calloc(1, sizeof(*f));
    int rc;

    f->magic = MGR_FSM_MAGIC;
    f->st = st;
    f->lock = lock;
    pthread_cond_init(&f->applied_cond, NULL);
    if (views != NULL)
        f->v = *views;
    if ((rc = migrate(f)) != 0) {
        f->magic = 0;
        pthread_cond_destroy(&f->applied_cond);
        cn_free(f);
        return rc;
    }
    f->applied = mgr_state_get_u64(st, MGR_VER_APPLIED); /* 0: a state from before the log */
    *out = f;
    return 0;
}

void mgr_fsm_destroy(mgr_fsm_t *f)
{
    if (f == NULL)
        return;
    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    f->magic = 0;
    pthread_cond_destroy(&f->applied_cond);
    cn_free(f);
}

void mgr_fsm_set_log(mgr_fsm_t *f, const struct mgr_fsm_log *log)
{
    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    f->log = *log;
}

mgr_state_t *mgr_fsm_state(const mgr_fsm_t *f)
{
    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    return f->st;
}

uint64_t mgr_fsm_applied(const mgr_fsm_t *f)
{
    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    return f->applied;
}

/* ---- views ------------------------------------------------------------------------------ */

static void reload_members(mgr_fsm_t *f, const char *name)
{
    int rc;

    if (f->v.members != NULL &&
        (rc = mgr_members_refresh(f->v.members, f->st, name, cn_mono_ms())) != 0)
        CN_LOG(CN_LOG_ERROR, "rc=%s: the members table could not follow the state; restart "
               "the manager", cn_strerror(rc));
}

static void reload_rings(mgr_fsm_t *f)
{
    cn_ring_t *cur = NULL, *prev = NULL;
    int rc;

    if (f->v.ring_cur == NULL || f->v.ring_prev == NULL)
        return;
    if ((rc = mgr_rings_load(f->st, &cur, &prev)) != 0) {
        CN_LOG(CN_LOG_ERROR, "rc=%s: the rings in memory could not follow the state; restart "
               "the manager", cn_strerror(rc));
        return;
    }
    cn_ring_destroy(*f->v.ring_cur);
    cn_ring_destroy(*f->v.ring_prev);
    *f->v.ring_cur = cur;
    *f->v.ring_prev = prev;
}

static void reload_levels(mgr_fsm_t *f)
{
    mgr_levels_t lv;

    if (f->v.levels != NULL && mgr_levels_load(f->st, &lv) == 0)
        *f->v.levels = lv; /* none saved yet: the configured ones stay */
}

/* After the commit of an applied entry c: the views say what the state now says. */
static void follow(mgr_fsm_t *f, const mgr_cmd_t *c)
{
    switch (c->kind) {
    case MGR_CMD_MEMBER_PUT:
    case MGR_CMD_MEMBER_SET_STATE:
    case MGR_CMD_MEMBER_REMOVE:
        reload_members(f, c->member.name);
        break;
    case MGR_CMD_RING_START:
    case MGR_CMD_RING_REBALANCE:
        reload_rings(f);
        reload_members(f, NULL);
        reload_levels(f);
        break;
    case MGR_CMD_RING_ROLLBACK:
    case MGR_CMD_RING_DROP_PREV:
        reload_rings(f);
        break;
    case MGR_CMD_LEVELS_SET:
        reload_levels(f);
        break;
    case MGR_CMD_RESTORE:
    case MGR_CMD_SNAPSHOT:
        reload_rings(f);
        reload_members(f, NULL);
        reload_levels(f);
        break;
    default:
        break;
    }
}

/* ---- apply -------------------------------------------------------------------------------- */

/* Checks c against the state and fills b with its effect: 0, the code that refuses it, or
 * CN_EIO when the state could not be read (then nothing is decided). */
static int fill(mgr_fsm_t *f, const mgr_cmd_t *c, mgr_batch_t *b, int *why)
{
    switch (c->kind) {
    case MGR_CMD_USER_CREATE:
    case MGR_CMD_USER_DELETE:
    case MGR_CMD_USER_SET_ROLE:
    case MGR_CMD_USER_SET_PASSWORD:
    case MGR_CMD_USER_SET_EMAIL:
        return mgr__users_apply(f->st, c, b, why);
    case MGR_CMD_BUCKET_CREATE:
    case MGR_CMD_BUCKET_DELETE:
    case MGR_CMD_BUCKET_SET_ACL:
    case MGR_CMD_BUCKET_SET_OWNER:
    case MGR_CMD_BUCKET_SET_QUOTA:
    case MGR_CMD_BUCKET_SET_POLICY:
    case MGR_CMD_BUCKET_SET_CONFIG:
        return mgr__buckets_apply(f->st, c, b);
    case MGR_CMD_ENDPOINT_ADD:
    case MGR_CMD_ENDPOINT_DELETE:
        return mgr__endpoints_apply(f->st, c, b);
    case MGR_CMD_MEMBER_PUT:
    case MGR_CMD_MEMBER_SET_STATE:
    case MGR_CMD_MEMBER_REMOVE:
        return mgr__members_apply(f->st, c, b);
    case MGR_CMD_RING_START:
    case MGR_CMD_RING_REBALANCE:
    case MGR_CMD_RING_ROLLBACK:
    case MGR_CMD_RING_DROP_PREV:
    case MGR_CMD_LEVELS_SET:
        return mgr__rings_apply(f->st, c, b);
    case MGR_CMD_RESTORE:
        return mgr__backup_apply(f->st, c, b, 1);
    case MGR_CMD_GROUP_PUT:
    case MGR_CMD_GROUP_REMOVE:
        return mgr__group_apply(f->st, c, b);
    case MGR_CMD_ACCESS_KEY_CREATE:
    case MGR_CMD_ACCESS_KEY_DELETE:
    case MGR_CMD_ACCESS_KEY_SET_STATUS:
        return mgr__keys_apply(f->st, c, b);
    case MGR_CMD_KMS_KEY_CREATE:
    case MGR_CMD_KMS_KEY_ROTATE:
    case MGR_CMD_KMS_REWRAP:
    case MGR_CMD_KMS_REMOTE_PUT:
        return mgr__kms_apply(f->st, c, b);
    case MGR_CMD_CLUSTER_ID_SET:
    case MGR_CMD_CLUSTER_LINK_ADD:
    case MGR_CMD_CLUSTER_LINK_SET_STATE:
    case MGR_CMD_CLUSTER_LINK_DELETE:
    case MGR_CMD_CLUSTER_LINK_REWRAP:
        return mgr__clusters_apply(f->st, c, b);
    case MGR_CMD_XDC_STATE_PUT:
    case MGR_CMD_XDC_TOMBSTONE_PURGE:
        return mgr__xdc_sync_apply(f->st, c, b);
    default: /* a snapshot is installed, never applied as an entry */
        return CN_EINVAL;
    }
}

int mgr_fsm_apply(mgr_fsm_t *f, uint64_t index, const void *entry, size_t len,
                  mgr_fsm_result_t *res)
{
    mgr_batch_t *b;
    mgr_cmd_t c;
    int rc;

    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    res->rc = 0;
    res->why = MGR_WHY_NONE;
    if (index <= f->applied)
        return 0; /* replayed after a restart: its effect is in the state */
    /* index > applied + 1 is a gap of the log's own entries (Raft's configuration and
     * barriers take indexes that never reach the state machine): nothing is missing */
    if ((rc = mgr_cmd_decode(entry, len, &c)) != 0) {
        CN_LOG(CN_LOG_ERROR, "index=%llu len=%zu rc=%s: entry does not decode; not applied",
               (unsigned long long)index, len, cn_strerror(rc));
        return rc;
    }
    b = mgr_batch_new();
    res->rc = fill(f, &c, b, &res->why);
    if (res->rc == 0 && mgr_xdc_sync_stamped(c.kind)) /* the record's stamp (xdc_sync.h) */
        res->rc = mgr__xdc_sync_stamp(f->st, &c, b);
    if (res->rc == CN_EIO) {
        mgr_batch_free(b);
        mgr_cmd_dispose(&c);
        return CN_EIO;
    }
    if (res->rc != 0) { /* refused: the entry is applied all the same, as its index alone */
        mgr_batch_free(b);
        b = mgr_batch_new();
    }
    mgr_batch_put_u64(b, MGR_VER_APPLIED, index);
    if ((rc = mgr_batch_commit(f->st, b)) != 0) {
        mgr_cmd_dispose(&c);
        return rc;
    }
    f->applied = index;
    if (res->rc == 0 && c.kind == MGR_CMD_RESTORE && (rc = migrate(f)) != 0)
        CN_LOG(CN_LOG_ERROR, "index=%llu rc=%s: restored, but its format could not be brought "
               "up to date; the next start tries again", (unsigned long long)index,
               cn_strerror(rc));
    if (res->rc == 0)
        follow(f, &c);
    else
        CN_LOG(CN_LOG_DEBUG, "index=%llu kind=%s rc=%s: entry refused",
               (unsigned long long)index, mgr_cmd_kind_name(c.kind), cn_strerror(res->rc));
    mgr_cmd_dispose(&c);
    return 0;
}

/* ---- propose ------------------------------------------------------------------------------ */

void mgr_fsm_propose(mgr_fsm_t *f, const mgr_cmd_t *cmd, mgr_fsm_done_fn done, void *arg)
{
    mgr_fsm_result_t res;
    mgr_cmd_t stamped;
    cn_buf_t buf;
    int rc;

    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    if (mgr_xdc_sync_stamped(cmd->kind) && cmd->xclock == 0) {
        /* every local change of a replicated record carries its proposer's clock
         * (xdc_sync.h, "Who stamps"); a shallow copy: encode only reads it */
        stamped = *cmd;
        stamped.xclock = cn_hlc_next();
        cmd = &stamped;
    }
    cn_buf_init(&buf);
    mgr_cmd_encode(cmd, &buf);
    if (f->log.submit != NULL) { /* the log (raft.c) owns buf from here on */
        f->log.submit(f->log.ctx, &buf, done, arg);
        return;
    }
    /* no log (tests, tools): the entry is committed as soon as it is proposed */
    rc = mgr_fsm_apply(f, f->applied + 1, buf.data, buf.len, &res);
    cn_buf_dispose(&buf);
    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "kind=%s rc=%s: entry not applied", mgr_cmd_kind_name(cmd->kind),
               cn_strerror(rc));
    if (done != NULL)
        done(arg, rc != 0 ? rc : res.rc, res.why);
}

struct waiter {
    mgr_fsm_t *f;
    int done, rc, why;
};

/* The proposal's done: on the loop thread with the lock held, or at once without a log. */
static void wake(void *arg, int rc, int why)
{
    struct waiter *w = arg;

    w->rc = rc;
    w->why = why;
    w->done = 1;
    pthread_cond_broadcast(&w->f->applied_cond);
}

/* Waits until w is done: the lock is free while the entry commits. */
static void wait_for(mgr_fsm_t *f, struct waiter *w)
{
    while (!w->done) {
        CN_ASSERT(f->lock != NULL);
        pthread_cond_wait(&f->applied_cond, f->lock);
    }
}

int mgr_fsm_barrier_wait(mgr_fsm_t *f)
{
    struct waiter w = {f, 0, 0, MGR_WHY_NONE};

    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    if (f->log.barrier == NULL)
        return 0; /* no log: every entry is applied when proposed */
    CN_ASSERT(f->log.on_loop == NULL || !f->log.on_loop(f->log.ctx));
    f->log.barrier(f->log.ctx, wake, &w);
    wait_for(f, &w);
    return w.rc;
}

/* The calling thread's first proposal refused for want of a leader (mgr_fsm_take_lost). */
static _Thread_local int lost_rc;

int mgr_fsm_take_lost(void)
{
    int rc = lost_rc;

    lost_rc = 0;
    return rc;
}

int mgr_fsm_propose_wait(mgr_fsm_t *f, const mgr_cmd_t *cmd, int *why)
{
    struct waiter w = {f, 0, 0, MGR_WHY_NONE};

    CN_ASSERT(f->log.on_loop == NULL || !f->log.on_loop(f->log.ctx));
    mgr_fsm_propose(f, cmd, wake, &w);
    wait_for(f, &w);
    if ((w.rc == CN_ENOTLEADER || w.rc == CN_ECANCELED) && lost_rc == 0)
        lost_rc = w.rc;
    if (why != NULL)
        *why = w.why;
    return w.rc;
}

/* ---- snapshots ---------------------------------------------------------------------------- */

static int snap_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    char k[MGR_CMD_MAX_KEY + 1];

    if (klen > MGR_CMD_MAX_KEY)
        return CN_EIO; /* no key of state.h is that long */
    memcpy(k, key, klen);
    k[klen] = '\0';
    if (strcmp(k, MGR_VER_APPLIED) != 0)
        mgr_cmd_add_rec(arg, k, val, vlen);
    return 0;
}

int mgr_fsm_snapshot(mgr_fsm_t *f, cn_buf_t *out)
{
    mgr_cmd_t c;
    int rc;

    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    mgr_cmd_init(&c, MGR_CMD_SNAPSHOT);
    c.applied = f->applied;
    if ((rc = mgr_state_scan(f->st, "", snap_one, &c)) == 0)
        mgr_cmd_encode(&c, out);
    mgr_cmd_dispose(&c);
    return rc;
}

static int is_record(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    (void)val;
    (void)vlen;
    if (klen < 2 || memcmp(key, "v/", 2) != 0) {
        *(int *)arg = 1;
        return 1; /* one is enough */
    }
    return 0;
}

/* 1 when the state holds no record but versions: a manager that joins a group. */
static int holds_nothing(mgr_fsm_t *f)
{
    int any = 0;

    mgr_state_scan(f->st, "", is_record, &any);
    return f->applied == 0 && !any;
}

int mgr_fsm_install(mgr_fsm_t *f, const void *snap, size_t len)
{
    mgr_batch_t *b;
    mgr_cmd_t c;
    int rc;

    CN_CHECK_OBJ(f, MGR_FSM_MAGIC);
    if ((rc = mgr_cmd_decode(snap, len, &c)) != 0)
        return rc;
    /* a snapshot of a state from before the log says applied 0 (raft.h: the first snapshot
     * of an upgraded state); a manager that holds nothing yet still takes it */
    if (c.kind != MGR_CMD_SNAPSHOT ||
        (c.applied <= f->applied && !(c.applied == 0 && holds_nothing(f)))) {
        rc = c.kind != MGR_CMD_SNAPSHOT ? CN_ECORRUPT : 0;
        mgr_cmd_dispose(&c);
        return rc;
    }
    b = mgr_batch_new();
    if ((rc = mgr__backup_apply(f->st, &c, b, 0)) != 0) {
        mgr_batch_free(b);
        mgr_cmd_dispose(&c);
        return rc;
    }
    mgr_batch_put_u64(b, MGR_VER_APPLIED, c.applied);
    if ((rc = mgr_batch_commit(f->st, b)) == 0) {
        f->applied = c.applied;
        if ((rc = migrate(f)) == 0) /* a snapshot of an older release */
            follow(f, &c);
    }
    mgr_cmd_dispose(&c);
    return rc;
}
