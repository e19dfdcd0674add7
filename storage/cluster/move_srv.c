/*
 * storage/cluster/move_srv.c: the receiving side of a batched move (op "move",
 * docs/PROTOCOL.md, "Batched moves"; the sender is storage/cluster/mover.c).
 *   check = 1: the records carry key and clock only; the answer's body holds one byte per
 *              record, 1 when this node needs that version (it has none, a corrupt one or
 *              an older one), so that a key already in place costs no transfer;
 *   check = 0: the records carry whole versions; they are written with ONE group commit
 *              (stor_engine_write_many) and the answer's body holds one i32le rc per record
 *              (0, CN_ESTALE when this node holds that clock or a newer one, CN_ENOENT for
 *              a tombstone over nothing live, or the error). The sender acks key by key.
 * As for a replica put (storage/rpc_srv.c, stray_replica), a key written during a
 * rebalance that this node does not own on ring cur is queued to its cur owners, and the
 * answer waits until those entries are persistent; a key that could not be queued answers
 * CN_EIO, so the sender keeps its entry.
 * The job borrows the records from the request, which it owns until the reply.
 * Threads: parsing and the reply on the loop; the engine calls in the thread pool.
 */
#include "storage/cluster/cluster.h"

#include <stddef.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/work.h"

#define STOR_MOVEJ_MAGIC 0x534d564au /* "SMVJ" */
#define MOVE_MAX_RECS 65536

struct move_job {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    int check;
    size_t n;
    stor_engine_wr_t *w;   /* keys, bodies and metas borrowed from req */
    stor_obj_meta_t *m;
    uint8_t *need;         /* check: one byte per record */
    int *stray;            /* the record's strays could not all be queued */
    stor_rq_wait_t strays;
};

static void run_move(uv_work_t *work)
{
    struct move_job *j = work->data;

    CN_CHECK_OBJ(j, STOR_MOVEJ_MAGIC);
    if (!j->check) {
        stor_engine_write_many(j->s->engine, j->w, j->n);
        return;
    }
    for (size_t i = 0; i < j->n; i++) {
        stor_obj_meta_t have;
        int rc = stor_engine_stat(j->s->engine, j->w[i].key, &have, NULL);

        j->need[i] = rc == CN_ENOENT || rc == CN_ECORRUPT ||
                     (rc == 0 && have.clock < j->m[i].clock);
        /* another error: say "needed", and the write will tell */
        if (rc != 0 && rc != CN_ENOENT && rc != CN_ECORRUPT)
            j->need[i] = 1;
    }
}

static void job_free(struct move_job *j)
{
    cn_free(j->w);
    cn_free(j->m);
    cn_free(j->need);
    cn_free(j->stray);
    j->magic = 0;
    cn_free(j);
}

static void reply(struct move_job *j, int rc)
{
    cn_msg_t *resp = cn_msg_new(STOR_OP_MOVE);

    cn_msg_set_rc(resp, rc);
    if (rc == 0 && j->check) {
        cn_msg_set_body_copy(resp, j->need, j->n);
    } else if (rc == 0) {
        char *b = cn_malloc(j->n * 4 + 1);

        for (size_t i = 0; i < j->n; i++) {
            int r = j->w[i].rc;

            if (r == 0 && j->stray[i])
                r = CN_EIO;
            cn_put_u32le(b + 4 * i, (uint32_t)r);
        }
        cn_msg_set_body(resp, b, j->n * 4);
    }
    cn_rpc_reply(j->conn, j->req, resp);
    job_free(j);
}

static void on_strays_done(stor_rq_wait_t *w)
{
    struct move_job *j = (struct move_job *)((char *)w - offsetof(struct move_job, strays));

    CN_CHECK_OBJ(j, STOR_MOVEJ_MAGIC);
    if (w->pending == 0)
        reply(j, 0);
}

/* Queues the written keys this node does not own on cur to their cur owners (see the file
 * comment); a record whose pushes were not all queued answers CN_EIO. */
static void queue_strays(struct move_job *j)
{
    struct stor_server *s = j->s;

    j->strays.done = on_strays_done;
    if (s->ring_cur == NULL || s->ring_prev == NULL)
        return;
    for (size_t i = 0; i < j->n; i++) {
        stor_owners_t cur;
        size_t failed = j->strays.failed;

        if (j->w[i].rc != 0)
            continue;
        stor_owners_of(s->ring_cur, j->w[i].key, s->levels.n, &cur);
        if (cur.n == 0 || stor_owners_has(&cur, stor_self(s)))
            continue;
        for (size_t k = 0; k < cur.n; k++)
            stor_rq_wait_push(s, &j->strays, j->w[i].key, cur.name[k], STOR_R_REBALANCE);
        j->stray[i] = j->strays.failed != failed;
    }
}

static void move_done(uv_work_t *work, int status)
{
    struct move_job *j = work->data;

    CN_CHECK_OBJ(j, STOR_MOVEJ_MAGIC);
    if (status != 0) {
        reply(j, CN_ECANCELED);
        return;
    }
    if (!j->check)
        queue_strays(j);
    if (j->strays.pending == 0)
        reply(j, 0); /* else on_strays_done replies */
}

int stor_move_srv_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    struct move_job *j;
    uint64_t n = 0, check = 0;
    cn_slice_t in;
    int rc = 0;

    if (strcmp(cn_msg_op(req), STOR_OP_MOVE) != 0)
        return 0;
    j = cn_calloc(1, sizeof(*j));
    j->magic = STOR_MOVEJ_MAGIC;
    j->s = s;
    j->conn = conn;
    j->req = req;
    j->work.data = j;
    if (cn_msg_get_u64(req, "check", &check) != 0)
        check = 0;
    if (cn_msg_get_u64(req, "n", &n) != 0 || n == 0 || n > MOVE_MAX_RECS)
        rc = CN_EINVAL;
    j->check = check != 0;
    j->n = rc == 0 ? (size_t)n : 0;
    j->w = cn_calloc(j->n + 1, sizeof(*j->w));
    j->m = cn_calloc(j->n + 1, sizeof(*j->m));
    j->need = cn_calloc(j->n + 1, 1);
    j->stray = cn_calloc(j->n + 1, sizeof(*j->stray));
    in = cn_msg_body(req);
    for (size_t i = 0; rc == 0 && i < j->n; i++) {
        rc = stor_move_rec_decode(&in, &j->w[i].key, &j->m[i], &j->w[i].body);
        j->w[i].m = &j->m[i];
        if (rc == 0)
            cn_hlc_observe(j->m[i].clock);
    }
    if (rc == 0 && in.len != 0)
        rc = CN_EPROTO;
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "op=move peer=%s rc=%s: malformed batch refused",
               cn_rpc_conn_peer(conn), cn_strerror(rc));
        reply(j, rc);
        return 1;
    }
    cn_work_queue(s->loop, &j->work, run_move, move_done, STOR_OP_MOVE);
    return 1;
}
