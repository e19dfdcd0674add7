/*
 * manager/raft.c: the manager group on C-Raft (see raft.h): config, bootstrap and upgrade,
 * the raft_fsm callbacks onto fsm.c, and the proposal path from any thread to raft_apply.
 * Invariants: C-Raft is touched only on the loop thread; every fsm call holds s->lock;
 * a proposal's done runs exactly once (applied, refused by raft_apply, failed by C-Raft or
 * cancelled at stop).
 * Locking: the queue of proposals from other threads and s->rview are [s->lock].
 */
#include "manager/raft.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <raft.h>
#include <raft/uv.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "manager/manager.h"
#include "manager/migrate.h"
#include "manager/raft_int.h"

#define PROP_MAGIC 0x6d677070u     /* "mgpp" */
/* A log entry is u64le length | command entry (cmd.h) | zeros to a multiple of 8: C-Raft's
 * uv segments pad entries to 8 bytes and read them back padded. */
#define ENTRY_HDR 8

/* One proposal (or read barrier) on its way to the log. */
struct prop {
    struct raft_apply req;         /* first: C-Raft's request */
    struct raft_barrier breq;      /* a barrier's request instead */
    int is_barrier;
    uint32_t magic;
    struct mgr_raft *r;
    struct raft_buffer buf;        /* the encoded entry, C-Raft's after raft_apply */
    mgr_fsm_done_fn done;
    void *arg;
    struct prop *next;             /* the queue of proposals from other threads */
};

/* ---- config ------------------------------------------------------------------------------ */

int mgr_raft_check_conf(const struct mgr_conf *c, char *err, size_t errlen)
{
    struct mgr_peer peers[MGR_PEERS_MAX];
    char host[64];
    size_t n;
    int port;

    if (mgr_peers_parse(c->peers, peers, &n, err, errlen) != 0)
        return CN_ECONFIG;
    if (n == 0) {
        if (cn_parse_hostport(c->raft_listen, host, sizeof(host), &port) != 0) {
            snprintf(err, errlen, "manager.raft_listen: '%s' is not HOST:PORT",
                     c->raft_listen);
            return CN_ECONFIG;
        }
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (peers[i].id == c->id)
            return 0;
    snprintf(err, errlen, "manager.peers: no entry for this manager's id %" PRIu64
             " (manager.id)", c->id);
    return CN_ECONFIG;
}

/* s->conf_peers and s->self from the config (checked); a group of one is this manager on
 * raft_listen. */
static void load_peers(struct mgr_server *s)
{
    char err[256];

    CN_ASSERT(mgr_peers_parse(s->conf.peers, s->conf_peers, &s->nconf_peers, err,
                              sizeof(err)) == 0);
    if (s->nconf_peers == 0) {
        struct mgr_peer *p = &s->conf_peers[0];

        memset(p, 0, sizeof(*p));
        p->id = s->conf.id;
        p->voter = 1;
        CN_ASSERT(cn_parse_hostport(s->conf.raft_listen, p->host, sizeof(p->host),
                                    &p->raft_port) == 0);
        /* the ports are known after listen: the leader's own record names them */
        snprintf(p->raft_addr, sizeof(p->raft_addr), "%s:%d", p->host, p->raft_port);
        s->nconf_peers = 1;
    }
    for (size_t i = 0; i < s->nconf_peers; i++)
        if (s->conf_peers[i].id == s->conf.id)
            s->self = s->conf_peers[i];
    CN_ASSERT(s->self.id == s->conf.id);
}

/* ---- the state machine ------------------------------------------------------------------- */

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    struct mgr_raft *r = fsm->data;
    struct mgr_server *s = r->s;
    uint64_t index = raft_last_applied(&r->raft) + 1, len;
    int rc;

    CN_CHECK_OBJ(r, MGR_RAFT_MAGIC);
    if (buf->len < ENTRY_HDR || (len = cn_get_u64le(buf->base)) > buf->len - ENTRY_HDR)
        CN_FATAL("index=%" PRIu64 " len=%zu: a committed entry is not framed; this manager "
                 "stops", index, buf->len);
    pthread_mutex_lock(&s->lock);
    rc = mgr_fsm_apply(s->fsm, index, (const char *)buf->base + ENTRY_HDR, len, &r->last);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) /* skipping it would fork this replica's state from the others' */
        CN_FATAL("index=%" PRIu64 " rc=%s: a committed entry could not be applied; this "
                 "manager stops (a newer release's entry, or a failed write)",
                 index, cn_strerror(rc));
    *result = &r->last;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct mgr_raft *r = fsm->data;
    struct mgr_server *s = r->s;
    cn_buf_t b;
    int rc;

    CN_CHECK_OBJ(r, MGR_RAFT_MAGIC);
    cn_buf_init(&b);
    pthread_mutex_lock(&s->lock);
    rc = mgr_fsm_snapshot(s->fsm, &b);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        cn_buf_dispose(&b);
        CN_LOG(CN_LOG_ERROR, "rc=%s: no snapshot taken", cn_strerror(rc));
        return RAFT_IOERR;
    }
    *bufs = raft_malloc(sizeof(**bufs));
    (*bufs)[0].base = raft_malloc(b.len ? b.len : 1);
    if (*bufs == NULL || (*bufs)[0].base == NULL)
        CN_FATAL("out of memory for a snapshot of %zu bytes", b.len);
    memcpy((*bufs)[0].base, b.data, b.len);
    (*bufs)[0].len = b.len;
    *n_bufs = 1;
    cn_buf_dispose(&b);
    return 0;
}

/* Version 2: the buffers are ours to free, once C-Raft has written them. */
static int fsm_snapshot_finalize(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                                 unsigned *n_bufs)
{
    for (unsigned i = 0; i < *n_bufs; i++)
        raft_free((*bufs)[i].base);
    raft_free(*bufs);
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct mgr_raft *r = fsm->data;
    struct mgr_server *s = r->s;
    int rc;

    CN_CHECK_OBJ(r, MGR_RAFT_MAGIC);
    pthread_mutex_lock(&s->lock);
    rc = mgr_fsm_install(s->fsm, buf->base, buf->len);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        CN_LOG(CN_LOG_ERROR, "len=%zu rc=%s: snapshot not installed", buf->len,
               cn_strerror(rc));
        return RAFT_CORRUPT;
    }
    CN_LOG(CN_LOG_INFO, "len=%zu applied=%" PRIu64 ": snapshot installed", buf->len,
           mgr_fsm_applied(s->fsm));
    raft_free(buf->base);
    return 0;
}

/* ---- proposals --------------------------------------------------------------------------- */

static int code_of(int status)
{
    switch (status) {
    case RAFT_NOTLEADER: return CN_ENOTLEADER;
    case RAFT_LEADERSHIPLOST: /* it may be applied yet, by the next leader */
    case RAFT_CANCELED:
    case RAFT_SHUTDOWN: return CN_ECANCELED;
    default: return CN_EIO;
    }
}

/* Calls p's done once and frees p. Lock held. */
static void prop_finish(struct prop *p, int rc, int why)
{
    CN_CHECK_OBJ(p, PROP_MAGIC);
    if (p->done != NULL)
        p->done(p->arg, rc, why);
    p->magic = 0;
    cn_free(p);
}

static void on_applied(struct raft_apply *req, int status, void *result)
{
    struct prop *p = req->data;
    struct mgr_server *s = p->r->s;
    const mgr_fsm_result_t *res = result;

    pthread_mutex_lock(&s->lock);
    if (status == 0)
        prop_finish(p, res->rc, res->why);
    else
        prop_finish(p, code_of(status), MGR_WHY_NONE);
    pthread_mutex_unlock(&s->lock);
}

static void on_barrier(struct raft_barrier *req, int status)
{
    struct prop *p = req->data;
    struct mgr_server *s = p->r->s;

    pthread_mutex_lock(&s->lock);
    prop_finish(p, status == 0 ? 0 : code_of(status), MGR_WHY_NONE);
    pthread_mutex_unlock(&s->lock);
}

/* Hands p to C-Raft. Loop thread, lock held. */
static void prop_start(struct mgr_raft *r, struct prop *p)
{
    int rc;

    if (r->closing) {
        raft_free(p->buf.base);
        prop_finish(p, CN_ECANCELED, MGR_WHY_NONE);
        return;
    }
    if (p->is_barrier) {
        p->breq.data = p;
        if ((rc = raft_barrier(&r->raft, &p->breq, on_barrier)) != 0)
            prop_finish(p, code_of(rc), MGR_WHY_NONE);
        return;
    }
    p->req.data = p;
    if ((rc = raft_apply(&r->raft, &p->req, &p->buf, 1, on_applied)) != 0) {
        raft_free(p->buf.base);
        prop_finish(p, code_of(rc), MGR_WHY_NONE);
    }
}

static void on_async(uv_async_t *h)
{
    struct mgr_raft *r = h->data;
    struct mgr_server *s = r->s;

    CN_CHECK_OBJ(r, MGR_RAFT_MAGIC);
    pthread_mutex_lock(&s->lock);
    while (r->qhead != NULL) {
        struct prop *p = r->qhead;

        if ((r->qhead = p->next) == NULL)
            r->qtail = &r->qhead;
        prop_start(r, p);
    }
    mgr__raft_change_kick(r);
    pthread_mutex_unlock(&s->lock);
}

static int on_loop(void *ctx)
{
    struct mgr_raft *r = ctx;
    uv_thread_t self = uv_thread_self();

    return uv_thread_equal(&self, &r->loop_thread);
}

/* Starts p now on the loop thread, else queues it for on_async. Lock held. */
static void hand_over(struct mgr_raft *r, struct prop *p)
{
    if (on_loop(r)) {
        prop_start(r, p);
    } else if (r->closing) {
        raft_free(p->buf.base);
        prop_finish(p, CN_ECANCELED, MGR_WHY_NONE);
    } else {
        *r->qtail = p;
        r->qtail = &p->next;
        uv_async_send(&r->async);
    }
}

static void submit(void *ctx, cn_buf_t *entry, mgr_fsm_done_fn done, void *arg)
{
    struct mgr_raft *r = ctx;
    struct prop *p = cn_calloc(1, sizeof(*p));

    CN_CHECK_OBJ(r, MGR_RAFT_MAGIC);
    p->magic = PROP_MAGIC;
    p->r = r;
    p->done = done;
    p->arg = arg;
    p->buf.len = (ENTRY_HDR + entry->len + 7) & ~(size_t)7;
    if ((p->buf.base = raft_calloc(1, p->buf.len)) == NULL)
        CN_FATAL("out of memory for an entry of %zu bytes", entry->len);
    cn_put_u64le(p->buf.base, entry->len);
    memcpy((char *)p->buf.base + ENTRY_HDR, entry->data, entry->len);
    cn_buf_dispose(entry);
    hand_over(r, p);
}

static void barrier(void *ctx, mgr_fsm_done_fn done, void *arg)
{
    struct mgr_raft *r = ctx;
    struct prop *p = cn_calloc(1, sizeof(*p));

    CN_CHECK_OBJ(r, MGR_RAFT_MAGIC);
    p->magic = PROP_MAGIC;
    p->r = r;
    p->is_barrier = 1;
    p->done = done;
    p->arg = arg;
    hand_over(r, p);
}

/* ---- bootstrap --------------------------------------------------------------------------- */

static int has_record(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    if (klen < 2 || memcmp(key, "v/", 2) != 0)
        *(int *)arg = 1;
    return 0;
}

static int make_conf(struct mgr_server *s, struct raft_configuration *conf)
{
    raft_configuration_init(conf);
    for (size_t i = 0; i < s->nconf_peers; i++)
        if (raft_configuration_add(conf, s->conf_peers[i].id, s->conf_peers[i].raft_addr,
                                   RAFT_VOTER) != 0) {
            raft_configuration_close(conf);
            return CN_ENOMEM;
        }
    return 0;
}

struct boot {
    int done, status;
};

static void boot_put_cb(struct raft_io_snapshot_put *req, int status)
{
    struct boot *b = req->data;

    b->status = status;
    b->done = 1;
}

static void boot_close_cb(struct raft_io *io)
{
    ((struct boot *)io->data)->done = 1;
}

static void run_until(uv_loop_t *loop, struct boot *b)
{
    while (!b->done)
        uv_run(loop, UV_RUN_ONCE);
}

struct boot_io {
    struct raft_uv_transport t;
    struct raft_io io;
    struct boot b;
    int t_open, io_open, io_init;
};

/* Opens C-Raft's uv io on dir, for a bootstrap before raft_start. */
static int boot_open(struct mgr_server *s, const char *dir, struct boot_io *bi)
{
    memset(bi, 0, sizeof(*bi));
    if (raft_uv_tcp_init(&bi->t, &s->loop) != 0)
        return CN_EIO;
    bi->t_open = 1;
    if (raft_uv_init(&bi->io, &s->loop, dir, &bi->t) != 0)
        return CN_EIO;
    bi->io_open = 1;
    bi->io.data = &bi->b;
    if (bi->io.init(&bi->io, s->self.id, s->self.raft_addr) != 0) {
        CN_LOG(CN_LOG_ERROR, "dir=%s err=%s: cannot open the raft log", dir, bi->io.errmsg);
        return CN_EIO;
    }
    bi->io_init = 1;
    return 0;
}

/* Closing the io closes its transport too (C-Raft's uv io). */
static void boot_close(struct mgr_server *s, struct boot_io *bi)
{
    if (bi->io_init) {
        bi->b.done = 0;
        bi->io.close(&bi->io, boot_close_cb);
        run_until(&s->loop, &bi->b);
    }
    if (bi->io_open)
        raft_uv_close(&bi->io);
    if (bi->t_open)
        raft_uv_tcp_close(&bi->t);
}

/* The upgrade (raft.h): a log that starts with a snapshot of the state at max(applied, 1).
 * Runs the loop until C-Raft's uv io has written it. */
static int boot_from_state(struct mgr_server *s, const struct raft_configuration *conf,
                           struct boot_io *bi)
{
    struct raft_io_snapshot_put put = {0};
    struct raft_snapshot snap = {0};
    struct raft_buffer buf;
    struct raft_snapshot *old = NULL;
    struct raft_entry *ents = NULL;
    raft_term term;
    raft_id vote;
    raft_index start;
    size_t nents = 0;
    cn_buf_t data;
    int rc;

    cn_buf_init(&data);
    pthread_mutex_lock(&s->lock);
    rc = mgr_fsm_snapshot(s->fsm, &data);
    snap.index = mgr_fsm_applied(s->fsm) > 0 ? mgr_fsm_applied(s->fsm) : 1;
    pthread_mutex_unlock(&s->lock);
    if (rc != 0)
        goto out;
    buf.base = data.data;
    buf.len = data.len;
    snap.term = 1;
    snap.configuration = *conf;
    snap.configuration_index = snap.index;
    snap.bufs = &buf;
    snap.n_bufs = 1;
    rc = CN_EIO;
    if (bi->io.load(&bi->io, &term, &vote, &old, &start, &ents, &nents) != 0 || old != NULL ||
        nents != 0) {
        CN_LOG(CN_LOG_ERROR, "err=%s: the new raft log is not empty", bi->io.errmsg);
        goto out;
    }
    put.data = &bi->b;
    bi->b.done = 0;
    if (bi->io.set_term(&bi->io, 1) != 0 ||
        bi->io.snapshot_put(&bi->io, 0, &put, &snap, boot_put_cb) != 0) {
        CN_LOG(CN_LOG_ERROR, "err=%s: cannot write the first snapshot", bi->io.errmsg);
        goto out;
    }
    run_until(&s->loop, &bi->b);
    if (bi->b.status != 0)
        CN_LOG(CN_LOG_ERROR, "status=%d err=%s: the first snapshot was not written",
               bi->b.status, bi->io.errmsg);
    else
        rc = 0;
out:
    cn_buf_dispose(&data);
    return rc;
}

/* Removes a half-made raft.new: C-Raft's directory holds files only. */
static int rm_flat_dir(const char *dir)
{
    char path[PATH_MAX + 256];
    struct dirent *e;
    DIR *d = opendir(dir);

    if (d == NULL)
        return errno == ENOENT ? 0 : CN_EIO;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
            unlink(path) != 0) {
            closedir(d);
            return CN_EIO;
        }
    }
    closedir(d);
    return rmdir(dir) == 0 ? 0 : CN_EIO;
}

/* Makes data_dir/raft when missing (raft.h). */
static int bootstrap(struct mgr_server *s, struct mgr_raft *r)
{
    char tmp[PATH_MAX + 8];
    struct raft_configuration conf;
    struct boot_io bi;
    int old = 0, rc;

    if (access(r->dir, F_OK) == 0)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s.new", r->dir);
    if (rm_flat_dir(tmp) != 0 || mkdir(tmp, 0700) != 0)
        return CN_EIO;
    pthread_mutex_lock(&s->lock);
    rc = mgr_state_scan(mgr_fsm_state(s->fsm), "", has_record, &old);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0)
        return rc;
    if (s->conf.join) { /* update-managers adds it: the leader sends it the log */
        CN_LOG(CN_LOG_INFO, "dir=%s id=%" PRIu64 ": no group bootstrapped (manager.join): "
               "waiting to be added with cairn-adm update-managers", r->dir, s->self.id);
        return mkdir(r->dir, 0700) == 0 ? 0 : CN_EIO;
    }
    if (old && s->nconf_peers > 1) {
        CN_LOG(CN_LOG_ERROR, "data_dir=%s peers=%zu: this state was kept by one manager; "
               "start it as a group of one (peers = its own entry) and add managers to "
               "that group", s->conf.data_dir, s->nconf_peers);
        return CN_ECONFIG;
    }
    if ((rc = make_conf(s, &conf)) != 0)
        return rc;
    if ((rc = boot_open(s, tmp, &bi)) == 0) {
        if (old) {
            rc = boot_from_state(s, &conf, &bi);
        } else if (bi.io.bootstrap(&bi.io, &conf) != 0) {
            CN_LOG(CN_LOG_ERROR, "err=%s: cannot bootstrap the raft log", bi.io.errmsg);
            rc = CN_EIO;
        }
    }
    boot_close(s, &bi);
    raft_configuration_close(&conf);
    if (rc != 0)
        return rc;
    if (rename(tmp, r->dir) != 0)
        return CN_EIO;
    CN_LOG(CN_LOG_INFO, "dir=%s peers=%zu applied=%" PRIu64 ": group bootstrapped%s", r->dir,
           s->nconf_peers, mgr_fsm_applied(s->fsm),
           old ? " from the existing state (the log begins with a snapshot of it)" : "");
    return 0;
}

/* ---- start, stop ------------------------------------------------------------------------- */

int mgr_raft_start(struct mgr_server *s)
{
    struct mgr_raft *r = cn_calloc(1, sizeof(*r));
    struct mgr_fsm_log log;
    int rc;

    r->magic = MGR_RAFT_MAGIC;
    r->s = s;
    r->qtail = &r->qhead;
    pthread_cond_init(&r->change_cond, NULL);
    r->loop_thread = uv_thread_self();
    r->fsm.version = 2;
    r->fsm.data = r;
    r->fsm.apply = fsm_apply;
    r->fsm.snapshot = fsm_snapshot;
    r->fsm.snapshot_finalize = fsm_snapshot_finalize;
    r->fsm.restore = fsm_restore;
    s->raft = r;
    load_peers(s);
    snprintf(r->dir, sizeof(r->dir), "%s/raft", s->conf.data_dir);
    if ((rc = bootstrap(s, r)) != 0) {
        CN_LOG(CN_LOG_ERROR, "dir=%s rc=%s: cannot bootstrap the manager group", r->dir,
               cn_strerror(rc));
        return rc;
    }
    if (raft_uv_tcp_init(&r->transport, &s->loop) != 0 ||
        raft_uv_init(&r->io, &s->loop, r->dir, &r->transport) != 0) {
        CN_LOG(CN_LOG_ERROR, "dir=%s: cannot open the raft log", r->dir);
        return CN_EIO;
    }
    if (raft_init(&r->raft, &r->io, &r->fsm, s->self.id, s->self.raft_addr) != 0) {
        CN_LOG(CN_LOG_ERROR, "err=%s: raft_init", r->raft.errmsg);
        return CN_EIO;
    }
    r->raft_open = 1;
    r->raft.data = r;
    /* the timings: [manager] election_timeout_ms (an election takes 1-2 of them),
     * raft_heartbeat_ms, snapshot_threshold and snapshot_trailing (conf_keys.h) */
    raft_set_election_timeout(&r->raft, (unsigned)s->conf.election_ms);
    raft_set_heartbeat_timeout(&r->raft, (unsigned)s->conf.raft_heartbeat_ms);
    raft_set_snapshot_threshold(&r->raft, (unsigned)s->conf.snapshot_threshold);
    raft_set_snapshot_trailing(&r->raft, (unsigned)s->conf.snapshot_trailing);
    raft_set_pre_vote(&r->raft, true); /* a manager back from a partition does not depose */
    if ((rc = raft_start(&r->raft)) != 0) {
        CN_LOG(CN_LOG_ERROR, "rc=%d err=%s: raft_start (address %s)", rc,
               raft_errmsg(&r->raft), s->self.raft_addr);
        return CN_EIO;
    }
    uv_async_init(&s->loop, &r->async, on_async);
    r->async.data = r;
    r->async_open = 1;
    log.submit = submit;
    log.barrier = barrier;
    log.on_loop = on_loop;
    log.ctx = r;
    pthread_mutex_lock(&s->lock);
    mgr_fsm_set_log(s->fsm, &log);
    /* after set_log: the cron may propose (the leader's own record), and a proposal before
     * it would be applied at once, beside the log, taking the index of the log's next entry */
    mgr_raft_cron(s); /* a group of one is its leader already */
    pthread_mutex_unlock(&s->lock);
    CN_LOG(CN_LOG_INFO, "id=%" PRIu64 " raft=%s peers=%zu applied=%" PRIu64
           ": manager group started", s->self.id, s->self.raft_addr, s->nconf_peers,
           (uint64_t)raft_last_applied(&r->raft));
    return 0;
}

static void on_raft_closed(struct raft *raft)
{
    struct mgr_raft *r = raft->data;

    r->raft_open = 0;
}

void mgr_raft_stop(struct mgr_server *s)
{
    struct mgr_raft *r = s->raft;

    if (r == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    r->closing = 1;
    while (r->qhead != NULL) { /* queued, never handed to C-Raft */
        struct prop *p = r->qhead;

        r->qhead = p->next;
        raft_free(p->buf.base);
        prop_finish(p, CN_ECANCELED, MGR_WHY_NONE);
    }
    r->qtail = &r->qhead;
    mgr__raft_change_cancel(r);
    s->rview.role = MGR_ROLE_DOWN;
    pthread_mutex_unlock(&s->lock);
    if (r->raft_open)
        raft_close(&r->raft, on_raft_closed); /* fails pending applies: CN_ECANCELED */
    if (r->async_open) {
        uv_close((uv_handle_t *)&r->async, NULL);
        r->async_open = 0;
    }
}

void mgr_raft_dispose(struct mgr_server *s)
{
    struct mgr_raft *r = s->raft;

    if (r == NULL)
        return;
    if (!r->raft_open && r->io.impl != NULL) {
        raft_uv_close(&r->io);
        raft_uv_tcp_close(&r->transport);
    }
    pthread_cond_destroy(&r->change_cond);
    r->magic = 0;
    cn_free(r);
    s->raft = NULL;
}

/* ---- the mirror -------------------------------------------------------------------------- */

/* Where manager id at raft_addr answers: its g/<id> record, else its entry of the config's
 * peers, else this manager's own listeners, else the default layout (raft.h). */
static void peer_ports(struct mgr_server *s, struct mgr_peer *p)
{
    struct mgr_peer rec;

    if (mgr_group_record(s->st, p->id, p->raft_addr, &rec) == 0) {
        p->rpc_port = rec.rpc_port;
        p->admin_port = rec.admin_port;
        return;
    }
    for (size_t i = 0; i < s->nconf_peers; i++)
        if (s->conf_peers[i].id == p->id &&
            strcmp(s->conf_peers[i].raft_addr, p->raft_addr) == 0 &&
            s->conf_peers[i].rpc_port != 0) {
            p->rpc_port = s->conf_peers[i].rpc_port;
            p->admin_port = s->conf_peers[i].admin_port;
            return;
        }
    if (p->id == s->self.id) {
        p->rpc_port = s->rpc_port;
        p->admin_port = s->admin_port;
        return;
    }
    p->rpc_port = p->raft_port - 2;
    p->admin_port = p->raft_port - 1;
}

/* 1 when manager id was heard from within two election timeouts: recent_recv now, or at an
 * earlier mirror (C-Raft clears recent_recv each election timeout, see raft_int.h). */
static int heard_recently(struct mgr_server *s, struct mgr_raft *r, uint64_t id, int now_recv)
{
    uint64_t now = cn_mono_ms(), window = 2 * s->conf.election_ms;
    size_t i, free_slot = MGR_PEERS_MAX, oldest = 0;

    for (i = 0; i < MGR_PEERS_MAX; i++) {
        if (r->heard[i].id == id)
            break;
        if (r->heard[i].id == 0 && free_slot == MGR_PEERS_MAX)
            free_slot = i;
        if (r->heard[i].ms < r->heard[oldest].ms)
            oldest = i;
    }
    if (i == MGR_PEERS_MAX) { /* first look at it: a slot of its own */
        i = free_slot != MGR_PEERS_MAX ? free_slot : oldest;
        r->heard[i].id = id;
        r->heard[i].ms = 0;
    }
    if (now_recv)
        r->heard[i].ms = now;
    return r->heard[i].ms != 0 && now - r->heard[i].ms <= window;
}

void mgr__raft_mirror_peers(struct mgr_server *s, struct mgr_raft *r)
{
    struct mgr_raft_view *v = &s->rview;
    const struct raft_configuration *c = &r->raft.configuration;

    v->commit = r->raft.commit_index;
    v->last_index = raft_last_index(&r->raft);
    v->applied = raft_last_applied(&r->raft);
    s->npeers = 0;
    for (unsigned j = 0; j < c->n && s->npeers < MGR_PEERS_MAX; j++) {
        struct mgr_peer *p = &s->peers[s->npeers];
        size_t i = s->npeers++;

        memset(p, 0, sizeof(*p));
        p->id = c->servers[j].id;
        p->voter = c->servers[j].role == RAFT_VOTER;
        snprintf(p->raft_addr, sizeof(p->raft_addr), "%s", c->servers[j].address);
        if (cn_parse_hostport(p->raft_addr, p->host, sizeof(p->host), &p->raft_port) != 0)
            p->raft_port = 0;
        peer_ports(s, p);
        v->peer[i].up = p->id == s->self.id;
        v->peer[i].match = p->id == s->self.id ? v->last_index : 0;
        if (v->role == MGR_ROLE_LEADER && p->id != s->self.id &&
            r->raft.leader_state.progress != NULL) {
            const struct raft_progress *pr = &r->raft.leader_state.progress[j];

            v->peer[i].up = heard_recently(s, r, p->id, pr->recent_recv);
            v->peer[i].match = pr->match_index;
        }
    }
}

int mgr_raft_cron(struct mgr_server *s)
{
    struct mgr_raft *r = s->raft;
    struct mgr_raft_view *v = &s->rview;
    int was = v->role;
    raft_id lid = 0;
    const char *laddr = NULL;

    if (r == NULL || r->closing)
        return 0;
    switch (raft_state(&r->raft)) {
    case RAFT_LEADER: v->role = MGR_ROLE_LEADER; break;
    case RAFT_FOLLOWER: v->role = MGR_ROLE_FOLLOWER; break;
    case RAFT_CANDIDATE: v->role = MGR_ROLE_CANDIDATE; break;
    default: v->role = MGR_ROLE_DOWN; break;
    }
    v->term = r->raft.current_term;
    raft_leader(&r->raft, &lid, &laddr);
    v->leader_id = lid;
    mgr__raft_mirror_peers(s, r);
    if (v->role != was)
        CN_LOG(CN_LOG_INFO, "id=%" PRIu64 " term=%" PRIu64 " leader=%" PRIu64 ": %s -> %s",
               s->self.id, v->term, v->leader_id, mgr_raft_role_name(was),
               mgr_raft_role_name(v->role));
    if (v->role == MGR_ROLE_LEADER) {
        if (was != MGR_ROLE_LEADER)
            r->own_record_due = 1;
        mgr__raft_own_record(r);
    }
    return v->role == MGR_ROLE_LEADER && was != MGR_ROLE_LEADER;
}

int mgr_raft_is_leader(const struct mgr_server *s)
{
    return s->rview.role == MGR_ROLE_LEADER;
}

void mgr_raft_leader_addr(const struct mgr_server *s, int rpc, char *out, size_t outlen)
{
    out[0] = '\0';
    if (s->rview.role == MGR_ROLE_LEADER || s->rview.leader_id == 0)
        return;
    for (size_t i = 0; i < s->npeers; i++)
        if (s->peers[i].id == s->rview.leader_id)
            snprintf(out, outlen, "%s:%d", s->peers[i].host,
                     rpc ? s->peers[i].rpc_port : s->peers[i].admin_port);
}

const char *mgr_raft_role_name(int role)
{
    switch (role) {
    case MGR_ROLE_LEADER: return "leader";
    case MGR_ROLE_FOLLOWER: return "follower";
    case MGR_ROLE_CANDIDATE: return "candidate";
    default: return "down";
    }
}
