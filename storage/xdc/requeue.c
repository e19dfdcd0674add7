/*
 * storage/xdc/requeue.c: the cluster RPC op xdc_requeue, recover-cluster's way of making this
 * node's senders send keys again (issue 22; docs/PROTOCOL.md, "Range summaries").
 *
 * The request's field keys holds (u16le len | key)*, at most CN_XDC_REQUEUE_MAX keys of
 * user keys (a first byte of 0x20 or more, up to STOR_KEY_MAX bytes); each gets a journal
 * entry of its own (stor_engine_journal_add, the next seq), so every link's sender reads the
 * key's CURRENT version through this node's coordinator and sends it, as for a client's
 * write: the key need not be held here (its first owner is the usual choice, any node will
 * do). The entry's flags are those of the version this node holds (a stat; 0 when none) and
 * its clock is the time of the requeue, not the version's: the sender reads the version
 * anyway, and the links' lag_seconds then measures how long the requeued change has waited.
 * An optional clear_alarm (a linked cluster's id) drops the link's needs-recover alarm:
 * recover-cluster sends it to every running node, with no key, before it compares.
 * Only while this node has a linked link (the first condition of stor_xdc_journals; else
 * CN_EAGAIN: a node that has not fetched the links yet journals nothing any sender would
 * read). Bucket replication is not asked: the operator who runs recover-cluster asks for
 * the keys. The answer's queued says how many entries were written (all, or an error).
 *
 * Threads: checked on the loop, the stats and writes on the thread pool (rq_run touches only
 * its job and the engine), answered on the loop. At most STOR_XDC_REQUEUE_JOBS at once
 * (CN_EBUSY beyond: the manager tries again).
 */
#include "storage/xdc/xdc_int.h"

#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"
#include "storage/cluster/cluster.h"
#include "storage/storage.h"

#define XDC_RQ_MAGIC 0x58445251u /* "XDRQ" */
#define STOR_XDC_REQUEUE_JOBS 2

struct rq_job {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    cn_slice_t keys; /* borrowed from req */
    uint64_t queued;
    int rc;
};

/* The next key of a keys field at *off: 1 with *key, 0 at the end, CN_EINVAL for bytes that
 * are not one (a zero or too long length, a cut key, an internal key). */
static int next_key(cn_slice_t keys, size_t *off, cn_slice_t *key)
{
    size_t n;

    if (*off == keys.len)
        return 0;
    if (keys.len - *off < 2)
        return CN_EINVAL;
    n = cn_get_u16le(keys.ptr + *off);
    if (n == 0 || n > STOR_KEY_MAX || keys.len - *off - 2 < n ||
        (unsigned char)keys.ptr[*off + 2] < 0x20)
        return CN_EINVAL;
    *key = cn_slice(keys.ptr + *off + 2, n);
    *off += 2 + n;
    return 1;
}

static void rq_run(uv_work_t *w)
{
    struct rq_job *j = w->data;
    uint64_t now = cn_now_ns();
    cn_slice_t key;
    size_t off = 0;

    CN_CHECK_OBJ(j, XDC_RQ_MAGIC);
    while (j->rc == 0 && next_key(j->keys, &off, &key) == 1) {
        stor_obj_meta_t m;
        uint32_t flags = 0;
        int rc = stor_engine_stat(j->s->engine, key, &m, NULL);

        if (rc == 0 || rc == CN_ECORRUPT)
            flags = m.flags;
        if ((j->rc = stor_engine_journal_add(j->s->engine, key, now, flags)) == 0)
            j->queued++;
    }
}

static void rq_done(uv_work_t *w, int status)
{
    struct rq_job *j = w->data;
    cn_msg_t *resp = cn_msg_new(CN_OP_XDC_REQUEUE);

    CN_CHECK_OBJ(j, XDC_RQ_MAGIC);
    if (j->s->xdc != NULL)
        j->s->xdc->rq_jobs--;
    if (status != 0)
        j->rc = CN_ECANCELED;
    if (j->rc != 0)
        CN_LOG(CN_LOG_WARN, "op=xdc_requeue queued=%llu rc=%s: journal entries not written",
               (unsigned long long)j->queued, cn_strerror(j->rc));
    cn_msg_set_rc(resp, j->rc);
    cn_msg_set_u64(resp, "queued", j->queued);
    if (j->queued > 0)
        stor_xdc_kick(j->s); /* new entries: the senders read them now */
    cn_rpc_reply(j->conn, j->req, resp);
    j->magic = 0;
    cn_free(j);
}

/* clear_alarm (optional, a linked cluster's id): recover-cluster toward it has started, so
 * the link's needs-recover alarm goes (a later skip raises it again). 0 or CN_EINVAL. */
static int clear_alarm(struct stor_server *s, const cn_msg_t *req)
{
    char id[STOR_XDC_ID_LEN + 2];
    xdc_link_t *l;

    if (cn_msg_get_str(req, "clear_alarm", id, sizeof(id)) != 0)
        return 0;
    if (s->xdc != NULL && (l = xdc_link_find(s->xdc, id)) != NULL && l->needs_recover) {
        CN_LOG(CN_LOG_INFO, "xdc link=%s: recover-cluster started, its alarm is cleared", id);
        l->needs_recover = 0;
        l->saved = UINT64_MAX; /* the flag is in the cursor file */
    }
    return 0;
}

int stor_xdc_requeue_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    struct rq_job *j;
    cn_msg_t *resp;
    cn_slice_t key;
    size_t off = 0, n = 0;
    int rc = 0, more;

    if (strcmp(cn_msg_op(req), CN_OP_XDC_REQUEUE) != 0)
        return 0;
    j = cn_calloc(1, sizeof(*j));
    j->magic = XDC_RQ_MAGIC;
    j->s = s;
    j->conn = conn;
    j->req = req;
    j->work.data = j;
    if (cn_msg_get_bytes(req, "keys", &j->keys) != 0)
        rc = CN_EINVAL;
    if (rc == 0)
        rc = clear_alarm(s, req);
    while (rc == 0 && (more = next_key(j->keys, &off, &key)) != 0)
        if (more < 0 || ++n > CN_XDC_REQUEUE_MAX)
            rc = CN_EINVAL;
    if (rc == 0 && (s->xdc == NULL || s->xdc->linked == 0))
        rc = CN_EAGAIN; /* no sender would read the entries */
    if (rc == 0 && s->xdc->rq_jobs >= STOR_XDC_REQUEUE_JOBS)
        rc = CN_EBUSY;
    if (rc != 0) {
        CN_LOG(CN_LOG_INFO, "op=xdc_requeue peer=%s rc=%s", cn_rpc_conn_peer(conn),
               cn_strerror(rc));
        resp = cn_msg_new(CN_OP_XDC_REQUEUE);
        cn_msg_set_rc(resp, rc);
        cn_rpc_reply(conn, req, resp);
        j->magic = 0;
        cn_free(j);
        return 1;
    }
    s->xdc->rq_jobs++; /* first: a refused job's rq_done runs before cn_work_queue returns */
    cn_work_queue(s->loop, &j->work, rq_run, rq_done, CN_OP_XDC_REQUEUE);
    return 1;
}
