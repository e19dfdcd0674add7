/*
 * storage/rpc_srv.c: the storage ops of the cluster RPC (docs/PROTOCOL.md): put, get, head,
 * delete, list; and the engine's maintenance ops compact_start, compact_suspend,
 * compact_resume, compact_status, scrub_start, scrub_status (answered on the loop thread:
 * they only flip flags or copy counters under the engine's short locks).
 *
 * A request is checked on the loop thread (fields and types; a bad one is answered
 * CN_EINVAL at once), turned into a job and run on the libuv thread pool (cn_work_queue):
 * run_job touches only the job and the thread-safe engine; job_done, back on the loop,
 * builds the response and replies (a stray replica write waits for its repair entries to be
 * persistent first: stray_replica). The job borrows key, metadata and body from the request,
 * which it owns until the reply, so nothing is copied on the way in.
 * Clocks: a request clock of 0 gets cn_hlc_next(); a given clock is observed
 * (cn_hlc_observe) so that this node's next clock is newer.
 * Threads: everything here runs on the main loop except run_job.
 */
#include "storage/storage.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"
#include "common/rpc.h"
#include "common/work.h"
#include "storage/cluster/cluster.h"
#include "storage/xdc/xdc.h"

#define STOR_RPC_MAGIC 0x53525043u /* "SRPC" */
#define STOR_JOB_MAGIC 0x534a4f42u /* "SJOB" */
#define STOR_LIST_DEFAULT_KEYS 1000

/* engine maintenance ops (docs/PROTOCOL.md, "Storage engine maintenance") */
#define STOR_OP_COMPACT_START "compact_start"
#define STOR_OP_COMPACT_SUSPEND "compact_suspend"
#define STOR_OP_COMPACT_RESUME "compact_resume"
#define STOR_OP_COMPACT_STATUS "compact_status"
#define STOR_OP_SCRUB_START "scrub_start"
#define STOR_OP_SCRUB_STATUS "scrub_status"
#define STOR_OP_LC_STATUS "lifecycle_status"

struct stor_rpc {
    uint32_t magic;
    struct stor_server *s;
    cn_rpc_server_t *srv;
};

struct job {
    uint32_t magic;
    uv_work_t work;
    stor_engine_t *engine;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    enum stor_obj_op op;
    uint64_t replica;     /* 1: a replica's request (get/head answer tombstones too) */
    /* request (borrowed from req) */
    cn_slice_t key, body, prefix, start_after, delimiter, meta_pick;
    uint64_t clock, off, len, max_keys, tombstones, group;
    stor_obj_meta_t m;
    /* result */
    int rc, truncated;
    cn_buf_t meta_out, body_out;
    stor_rq_wait_t strays; /* stray_replica's pushes: the reply waits until they persist */
    double t0;            /* for /metrics */
};

/* Fills j from the request; 0 or CN_EINVAL. */
static int parse_req(struct job *j)
{
    const cn_msg_t *req = j->req;
    cn_slice_t etag;
    uint64_t flags;
    int rc = 0;

    if (j->op != STOR_OBJ_LIST) {
        if (cn_msg_get_bytes(req, "key", &j->key) != 0 || j->key.len == 0 ||
            j->key.len > STOR_KEY_MAX)
            return CN_EINVAL;
    }
    if (cn_msg_opt_u64(req, "replica", 0, &j->replica) != 0)
        return CN_EINVAL;
    switch (j->op) {
    case STOR_OBJ_PUT:
        if ((rc = cn_msg_opt_u64(req, "clock", 0, &j->clock)) != 0 ||
            (rc = cn_msg_opt_bytes(req, "etag", &etag)) != 0 ||
            (rc = cn_msg_opt_bytes(req, "meta", &j->m.meta)) != 0 ||
            (rc = cn_msg_opt_u64(req, "flags", 0, &flags)) != 0)
            return CN_EINVAL;
        if (etag.len > STOR_ETAG_MAX || memchr(etag.ptr, '\0', etag.len) != NULL ||
            flags > UINT32_MAX || (flags & CN_OBJ_TOMBSTONE) || j->m.meta.len > STOR_META_MAX)
            return CN_EINVAL;
        memcpy(j->m.etag, etag.ptr, etag.len);
        j->m.flags = (uint32_t)flags & ~CN_OBJ_JOURNALED; /* never from the wire (proto.h) */
        j->body = cn_msg_body(req);
        if (cn_msg_opt_u64(req, "mtime", 0, &j->m.mtime_ms) != 0 ||
            cn_msg_opt_u64(req, "size", j->body.len, &j->m.size) != 0 ||
            (j->m.size != j->body.len && !(flags & CN_OBJ_MANIFEST)))
            return CN_EINVAL;
        break;
    case STOR_OBJ_GET:
        if (cn_msg_opt_u64(req, "offset", 0, &j->off) != 0 ||
            cn_msg_opt_u64(req, "length", UINT64_MAX, &j->len) != 0)
            return CN_EINVAL;
        break;
    case STOR_OBJ_HEAD:
        break;
    case STOR_OBJ_DELETE:
        if (cn_msg_opt_u64(req, "clock", 0, &j->clock) != 0)
            return CN_EINVAL;
        break;
    case STOR_OBJ_LIST:
        if (cn_msg_opt_bytes(req, "prefix", &j->prefix) != 0 ||
            cn_msg_opt_bytes(req, "start_after", &j->start_after) != 0 ||
            cn_msg_opt_bytes(req, "delimiter", &j->delimiter) != 0 ||
            cn_msg_opt_bytes(req, "meta_pick", &j->meta_pick) != 0 ||
            cn_msg_opt_u64(req, "max_keys", STOR_LIST_DEFAULT_KEYS, &j->max_keys) != 0 ||
            cn_msg_opt_u64(req, "tombstones", 0, &j->tombstones) != 0 ||
            cn_msg_opt_u64(req, "group", 0, &j->group) != 0)
            return CN_EINVAL;
        if (j->prefix.len > STOR_KEY_MAX || j->start_after.len > STOR_KEY_MAX ||
            j->delimiter.len > STOR_KEY_MAX || j->meta_pick.len > CN_LIST_PICK_MAX)
            return CN_EINVAL;
        if (j->max_keys > STOR_LIST_MAX_KEYS)
            j->max_keys = STOR_LIST_MAX_KEYS;
        break;
    }
    if (j->op == STOR_OBJ_PUT || j->op == STOR_OBJ_DELETE) {
        uint64_t journal = 0;

        /* the coordinator, not an owner itself, asks this owner to journal the change
         * (storage/xdc/xdc.h): the only way the bit comes from the wire */
        if (cn_msg_opt_u64(req, "journal", 0, &journal) != 0)
            return CN_EINVAL;
        if (journal && j->replica)
            j->m.flags |= CN_OBJ_JOURNALED;
        if (j->clock == 0)
            j->clock = cn_hlc_next();
        else
            cn_hlc_observe(j->clock);
        j->m.clock = j->clock;
    }
    return 0;
}

static void run_job(uv_work_t *w)
{
    struct job *j = w->data;

    CN_CHECK_OBJ(j, STOR_JOB_MAGIC);
    switch (j->op) {
    case STOR_OBJ_PUT:
        if (j->m.mtime_ms == 0 || !j->replica)
            j->m.mtime_ms = cn_now_ms();
        j->rc = stor_engine_put(j->engine, j->key, &j->m, j->body);
        break;
    case STOR_OBJ_GET:
    case STOR_OBJ_HEAD:
        if (j->replica) {
            /* a peer asks: a tombstone is a version (rc 0, flag set), a bad copy CN_ECORRUPT */
            j->rc = stor_engine_stat(j->engine, j->key, &j->m, &j->meta_out);
            if (j->rc != 0 || (j->m.flags & CN_OBJ_TOMBSTONE) || j->op == STOR_OBJ_HEAD)
                break;
            cn_buf_reset(&j->meta_out);
        }
        if (j->op == STOR_OBJ_GET)
            j->rc = stor_engine_get(j->engine, j->key, j->off, j->len, &j->m, &j->meta_out,
                                    &j->body_out);
        else
            j->rc = stor_engine_head(j->engine, j->key, &j->m, &j->meta_out);
        if (j->replica && j->rc == CN_ENOENT) /* deleted between the two reads */
            j->rc = stor_engine_stat(j->engine, j->key, &j->m, NULL);
        break;
    case STOR_OBJ_DELETE:
        j->m.clock = j->clock;
        j->m.flags |= CN_OBJ_TOMBSTONE;
        j->rc = stor_engine_write(j->engine, j->key, &j->m, cn_slice("", 0));
        break;
    case STOR_OBJ_LIST:
        j->rc = stor_engine_list(j->engine, j->prefix, j->start_after, (size_t)j->max_keys,
                                 j->delimiter,
                                 (j->tombstones ? STOR_LIST_TOMBSTONES : 0) |
                                     (j->group ? STOR_LIST_GROUP : 0),
                                 j->meta_pick, &j->body_out, &j->truncated);
        break;
    }
}

static void job_free(struct job *j)
{
    cn_buf_dispose(&j->meta_out);
    cn_buf_dispose(&j->body_out);
    j->magic = 0;
    cn_free(j);
}

static void job_reply(struct job *j);

static void on_strays_done(stor_rq_wait_t *w)
{
    struct job *j = (struct job *)((char *)w - offsetof(struct job, strays));

    CN_CHECK_OBJ(j, STOR_JOB_MAGIC);
    if (w->pending == 0)
        job_reply(j);
}

/* A replica write, during a rebalance, of a key this node does not own on cur: its
 * coordinator still held the old ring, and the rebalance walk may have passed the key
 * already. Queue it to the cur owners as the walk does, so that it moves and is dropped.
 * The ack waits until those entries are persistent, and is CN_EIO when one could not be
 * queued: the coordinator then hints this write again (a SIGKILL between the ack and the
 * queue's write would otherwise strand the copy here). (Control-side fix for the fault
 * test "attach and rebalance"; see docs/PROTOCOL.md.) */
static void stray_replica(struct job *j)
{
    struct stor_server *s = j->s;
    stor_owners_t cur;

    if (s == NULL || s->ring_cur == NULL || s->ring_prev == NULL || s->cl == NULL)
        return;
    stor_owners_of(s->ring_cur, j->key, s->levels.n, &cur);
    if (cur.n == 0 || stor_owners_has(&cur, stor_self(s)))
        return;
    j->strays.done = on_strays_done;
    for (size_t i = 0; i < cur.n; i++)
        stor_rq_wait_push(s, &j->strays, j->key, cur.name[i], STOR_R_REBALANCE);
}

static void job_done(uv_work_t *w, int status)
{
    struct job *j = w->data;

    CN_CHECK_OBJ(j, STOR_JOB_MAGIC);
    if (status != 0)
        j->rc = CN_ECANCELED;
    if (j->replica && (j->op == STOR_OBJ_PUT || j->op == STOR_OBJ_DELETE) && j->rc == 0)
        stray_replica(j);
    if (j->rc == 0 && (j->m.flags & CN_OBJ_JOURNALED))
        stor_xdc_kick(j->s); /* a new journal entry: the senders read it now */
    if (j->strays.pending == 0)
        job_reply(j); /* else on_strays_done replies */
}

static void job_reply(struct job *j)
{
    cn_msg_t *resp = cn_msg_new(cn_msg_op(j->req));
    size_t len;
    void *body;

    if (j->rc == 0 && j->strays.failed > 0)
        j->rc = CN_EIO; /* stored, but not queued onward: the coordinator must retry */
    cn_msg_set_rc(resp, j->rc);
    if (j->rc == 0 || (j->op == STOR_OBJ_DELETE && j->rc == CN_ENOENT)) {
        switch (j->op) {
        case STOR_OBJ_PUT:
        case STOR_OBJ_DELETE:
            cn_msg_set_u64(resp, "clock", j->clock);
            break;
        case STOR_OBJ_GET:
        case STOR_OBJ_HEAD:
            cn_msg_set_u64(resp, "clock", j->m.clock);
            cn_msg_set_str(resp, "etag", j->m.etag);
            cn_msg_set_bytes(resp, "meta", j->meta_out.data ? j->meta_out.data : "",
                             j->meta_out.len);
            cn_msg_set_u64(resp, "size", j->m.size);
            cn_msg_set_u64(resp, "mtime", j->m.mtime_ms);
            cn_msg_set_u64(resp, "flags", j->m.flags);
            break;
        case STOR_OBJ_LIST:
            cn_msg_set_u64(resp, "truncated", (uint64_t)j->truncated);
            break;
        }
        if ((j->op == STOR_OBJ_GET || j->op == STOR_OBJ_LIST) && j->body_out.len > 0) {
            body = cn_buf_steal(&j->body_out, &len);
            cn_msg_set_body(resp, body, len);
        }
    } else if (j->rc != CN_ENOENT && j->rc != CN_ESTALE && j->rc != CN_ECORRUPT) {
        CN_LOG(CN_LOG_WARN, "op=%s key=%.*s rc=%s: request failed", cn_msg_op(j->req),
               (int)j->key.len, j->key.ptr, cn_strerror(j->rc));
    }
    stor_metrics_request(j->s, cn_msg_op(j->req), j->rc, stor_metrics_now() - j->t0,
                         j->op == STOR_OBJ_PUT ? j->body.len : 0,
                         j->op == STOR_OBJ_GET ? cn_msg_body(resp).len : 0);
    cn_rpc_reply(j->conn, j->req, resp);
    job_free(j);
}

/* Maintenance ops; returns 1 when req was one of them (and is answered). */
static int maintenance(struct stor_rpc *r, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    const char *op = cn_msg_op(req);
    stor_engine_t *e = r->s->engine;
    cn_msg_t *resp;
    uint64_t n = 0;
    int rc;

    if (strcmp(op, STOR_OP_COMPACT_START) == 0) {
        rc = cn_msg_opt_u64(req, "containers", 0, &n);
        if (rc == 0 && n > UINT32_MAX)
            rc = CN_EINVAL;
        if (rc == 0)
            rc = stor_engine_compact_start(e, (uint32_t)n);
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_COMPACT_SUSPEND) == 0) {
        rc = stor_engine_compact_suspend(e);
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_COMPACT_RESUME) == 0) {
        rc = stor_engine_compact_resume(e);
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_COMPACT_STATUS) == 0) {
        stor_compact_status_t st;

        resp = cn_msg_new(op);
        if ((rc = stor_engine_compact_status(e, &st)) == 0) {
            cn_msg_set_str(resp, "state", st.state);
            cn_msg_set_u64(resp, "total", st.total);
            cn_msg_set_u64(resp, "pending", st.pending);
            cn_msg_set_i64(resp, "ongoing", st.ongoing);
            cn_msg_set_u64(resp, "done", st.done);
            cn_msg_set_u64(resp, "failed", st.failed);
            cn_msg_set_u64(resp, "reclaimed_bytes", st.reclaimed_bytes);
            cn_msg_set_u64(resp, "copied", st.copied);
            cn_msg_set_u64(resp, "dropped", st.dropped);
            cn_msg_set_u64(resp, "started_ms", st.started_ms);
            cn_msg_set_u64(resp, "finished_ms", st.finished_ms);
        }
    } else if (strcmp(op, STOR_OP_SCRUB_START) == 0) {
        rc = stor_engine_scrub_start(e);
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_SCRUB_STATUS) == 0) {
        stor_scrub_status_t st;

        resp = cn_msg_new(op);
        if ((rc = stor_engine_scrub_status(e, &st)) == 0) {
            cn_msg_set_str(resp, "state", st.running ? "running" : "idle");
            cn_msg_set_u64(resp, "passes", st.passes);
            cn_msg_set_u64(resp, "records", st.records);
            cn_msg_set_u64(resp, "bad", st.bad);
            cn_msg_set_u64(resp, "bytes", st.bytes);
            cn_msg_set_u64(resp, "last_pass_ms", st.last_pass_ms);
        }
    } else if (strcmp(op, STOR_OP_LC_STATUS) == 0) {
        stor_lc_stats_t st;

        stor_lc_stats(r->s, &st);
        rc = 0;
        resp = cn_msg_new(op);
        cn_msg_set_str(resp, "state", st.running ? "running" : "idle");
        cn_msg_set_u64(resp, "passes", st.passes);
        cn_msg_set_u64(resp, "scanned", st.scanned);
        cn_msg_set_u64(resp, "visited", st.visited);
        cn_msg_set_u64(resp, "expired", st.expired);
        cn_msg_set_u64(resp, "versions_deleted", st.versions_deleted);
        cn_msg_set_u64(resp, "markers_deleted", st.markers_deleted);
        cn_msg_set_u64(resp, "uploads_aborted", st.uploads_aborted);
        cn_msg_set_u64(resp, "errors", st.errors);
        cn_msg_set_u64(resp, "resumed", (uint64_t)st.resumed);
        cn_msg_set_u64(resp, "last_pass_ms", st.last_pass_ms);
    } else {
        return 0;
    }
    if (rc != 0)
        CN_LOG(CN_LOG_INFO, "op=%s peer=%s rc=%s", op, cn_rpc_conn_peer(conn), cn_strerror(rc));
    cn_msg_set_rc(resp, rc);
    cn_rpc_reply(conn, req, resp);
    return 1;
}

static void on_request(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct stor_rpc *r = udata;
    static const struct {
        const char *name;
        enum stor_obj_op op;
    } ops[] = {
        {CN_OP_PUT, STOR_OBJ_PUT},       {CN_OP_GET, STOR_OBJ_GET},   {CN_OP_HEAD, STOR_OBJ_HEAD},
        {CN_OP_DELETE, STOR_OBJ_DELETE}, {CN_OP_LIST, STOR_OBJ_LIST},
    };
    const char *opname = cn_msg_op(req);
    struct job *j;
    cn_msg_t *resp;
    int rc = CN_EINVAL, known = 0;

    CN_CHECK_OBJ(r, STOR_RPC_MAGIC);
    if (maintenance(r, conn, req) || stor_repair_q_rpc(r->s, conn, req) ||
        stor_frag_rpc(r->s, conn, req) ||
        stor_recoverer_rpc(r->s, conn, req) || stor_move_srv_rpc(r->s, conn, req) ||
        stor_admin_rpc(r->s, conn, req) || stor_range_hash_rpc(r->s, conn, req) ||
        stor_xdc_requeue_rpc(r->s, conn, req))
        return;
    j = cn_calloc(1, sizeof(*j));
    j->magic = STOR_JOB_MAGIC;
    j->engine = r->s->engine;
    j->s = r->s;
    j->conn = conn;
    j->req = req;
    j->work.data = j;
    j->t0 = stor_metrics_now();
    cn_buf_init(&j->meta_out);
    cn_buf_init(&j->body_out);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(opname, ops[i].name) == 0) {
            j->op = ops[i].op;
            known = 1;
        }
    }
    if (known && (rc = parse_req(j)) == 0 && !j->replica && j->op != STOR_OBJ_LIST &&
        r->s->ring_cur != NULL && r->s->cl != NULL) {
        stor_repl_coordinate(r->s, conn, req, j->op, &j->m, j->body, j->off, j->len,
                             STOR_FROM_CLIENT);
        job_free(j);
        return;
    }
    if (known && rc == 0) {
        cn_work_queue(r->s->loop, &j->work, run_job, job_done, opname);
        return;
    }
    if (!known)
        CN_LOG(CN_LOG_DEBUG, "op=%s peer=%s: unknown op", opname, cn_rpc_conn_peer(conn));
    resp = cn_msg_new(opname);
    cn_msg_set_rc(resp, CN_EINVAL); /* an unknown op, or parse_req refused a field */
    cn_rpc_reply(conn, req, resp);
    job_free(j);
}

int stor_rpc_start(struct stor_server *s)
{
    struct stor_rpc *r;
    cn_rpc_server_opts_t o = {0};
    char host[64];
    int port, rc;

    CN_CHECK_OBJ(s, STOR_SERVER_MAGIC);
    if (cn_parse_hostport(s->conf->rpc_listen, host, sizeof(host), &port) != 0)
        return CN_EINVAL;
    r = cn_calloc(1, sizeof(*r));
    r->magic = STOR_RPC_MAGIC;
    r->s = s;
    o.host = host;
    o.port = port;
    o.secret = s->conf->secret;
    o.handler = on_request;
    o.udata = r;
    if ((rc = cn_rpc_server_start(s->loop, &o, &r->srv)) != 0) {
        CN_LOG(CN_LOG_ERROR, "listen=%s rc=%s: cannot start the RPC server",
               s->conf->rpc_listen, cn_strerror(rc));
        r->magic = 0;
        cn_free(r);
        return rc;
    }
    snprintf(s->rpc_host, sizeof(s->rpc_host), "%s", host);
    s->rpc_port = cn_rpc_server_port(r->srv);
    s->rpc = r;
    CN_LOG(CN_LOG_INFO, "rpc listening on %s:%d", host, s->rpc_port);
    return 0;
}

void stor_rpc_stop(struct stor_server *s)
{
    struct stor_rpc *r = s->rpc;

    if (r == NULL)
        return;
    CN_CHECK_OBJ(r, STOR_RPC_MAGIC);
    cn_rpc_server_stop(r->srv);
    r->magic = 0;
    cn_free(r);
    s->rpc = NULL;
}
