/*
 * storage/cluster/range_hash_op.c: the op range_hash, this node's part of recover-cluster's
 * comparison of two clusters (issue 22; the summaries are common/range_hash.h, the fields
 * docs/PROTOCOL.md, "Replication" / "Ops").
 *
 * A request names a key prefix (e.g. "bucket/"; empty: every bucket), a range of hash
 * positions (depth, hash_prefix) and a fan-out (bits). The node walks its index under the
 * prefix in key order, on the thread pool, and takes every version there (object keys,
 * version keys "bucket/key\0ID", tombstones, delete markers) whose position is in the range
 * and whose FIRST owner on ring cur is this node, so that the answers of all the nodes of a
 * cluster, added up, count each key once whatever its N (and a node that holds no ring counts
 * all it holds: alone, it is its cluster). Left out: internal keys (a first byte below 0x20:
 * "\x01c/" chunks and their erasure-coded fragments, "\x01u/" upload markers; clusters may
 * chunk and code the same object differently, and recover-cluster copies objects, not chunks)
 * and entries marked bad by scrub or a read (the other side's copy then shows as a
 * difference, which brings a good one back). `all` = 1 takes every version the node holds,
 * owner or not (tests, one node's view).
 * Summary mode answers the 2^bits children's counts and sums (the sparse wire form); list
 * mode answers the versions themselves (key, clock, flags, ETag) of the range, or of the
 * children named in `select`, in key order. A walk visits at most max_scan index entries and
 * a list holds at most max versions; a cut answer says truncated = 1 and next (the last key
 * taken), and the asker goes on with start_after = next and adds the pages (sums add up).
 *
 * Threads: the request is checked and the job set up on the loop (ring cur cloned: rings are
 * replaced whole on the loop); rh_run touches only its job, its ring copy and the engine.
 * At most STOR_RH_JOBS jobs run at once (CN_EBUSY beyond), so comparisons never hold the
 * thread pool that serves reads and writes.
 */
#include "storage/cluster/cluster.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/range_hash.h"
#include "common/work.h"
#include "storage/engine/index.h"

#define STOR_RH_MAGIC 0x53524848u   /* "SRHH" */
#define STOR_RH_JOBS 2              /* range_hash jobs in the thread pool at once */
#define STOR_RH_SCAN_DEFAULT 100000 /* index entries one request visits by default */
#define STOR_RH_SCAN_MAX 1000000    /* ... and at most (about a second or two) */
#define STOR_RH_LIST_DEFAULT 1000   /* versions one list answer holds by default */
#define STOR_RH_LIST_MAX STOR_LIST_MAX_KEYS
#define STOR_RH_STEP 1024     /* index entries per engine scan call */
#define STOR_RH_INTERNAL 0x20 /* keys whose first byte is below this are internal */

static_assert(CN_RH_KEY_MAX == STOR_KEY_MAX, "range_hash lists carry any index key");
static_assert(CN_RH_ETAG_MAX == STOR_ETAG_MAX, "range_hash lists carry any ETag");

struct rh_job {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    /* the request (borrowed from req) */
    cn_slice_t prefix, start_after, select;
    cn_rh_range_t range;
    uint32_t bits;
    uint64_t list, all, max, max_scan;
    /* ownership: a copy of ring cur, NULL to take every version */
    cn_ring_t *ring;
    char self[STOR_NAME_MAX];
    uint64_t ring_cur, ring_prev;
    /* the result */
    cn_rh_summary_t sum; /* summary mode */
    cn_buf_t out;        /* list mode: the versions' wire form */
    cn_buf_t last;       /* the last key visited */
    uint64_t scanned, counted, bad;
    int truncated, past, rc;
};

/* memcmp order, as RocksDB's bytewise comparator */
static int key_cmp(cn_slice_t a, cn_slice_t b)
{
    int c = memcmp(a.ptr, b.ptr, a.len < b.len ? a.len : b.len);

    return c != 0 ? c : (a.len > b.len) - (a.len < b.len);
}

/* 1 when this job counts key: no ring copy (all, or no ring), or the key's first owner on
 * it is this node. */
static int owned(const struct rh_job *j, cn_slice_t key)
{
    const cn_ring_node_t *first;

    if (j->ring == NULL)
        return 1;
    return cn_ring_lookup(j->ring, key.ptr, key.len, 1, &first) == 1 &&
           strcmp(first->name, j->self) == 0;
}

static int rh_entry(void *arg, cn_slice_t key, const stor_obj_meta_t *m)
{
    struct rh_job *j = arg;
    uint8_t kh[CN_RH_SUM_LEN];
    uint64_t pos;

    if (key.len < j->prefix.len || memcmp(key.ptr, j->prefix.ptr, j->prefix.len) != 0) {
        j->past = 1;
        return 1;
    }
    if (j->scanned >= j->max_scan || (j->list && j->counted >= j->max)) {
        j->truncated = 1; /* exactly: a key under the prefix is left for the next page */
        return 1;
    }
    j->scanned++;
    cn_buf_reset(&j->last);
    cn_buf_append(&j->last, key.ptr, key.len);
    if (key.len == 0 || (unsigned char)key.ptr[0] < STOR_RH_INTERNAL)
        return 0;
    if (m->flags & STOR_IDX_BAD) {
        j->bad++;
        return 0;
    }
    pos = cn_rh_key_hash(key.ptr, key.len, kh);
    if (!cn_rh_range_has(j->range, pos))
        return 0;
    if (j->select.len > 0 &&
        !cn_rh_select_has((const uint8_t *)j->select.ptr, cn_rh_child_of(j->range, j->bits, pos)))
        return 0;
    if (!owned(j, key))
        return 0;
    if (j->list) {
        if (cn_rh_list_append(&j->out, key, m->clock, m->flags & ~STOR_IDX_BAD,
                              cn_slice_str(m->etag)) != 0)
            return 0; /* not an index key the engine would store; never happens */
    } else {
        cn_rh_summary_add_hashed(&j->sum, kh, m->clock, m->flags);
    }
    j->counted++;
    return 0;
}

static void rh_run(uv_work_t *w)
{
    struct rh_job *j = w->data;
    char floor_key[STOR_KEY_MAX];
    cn_slice_t floor, cur;
    cn_buf_t cursor;
    int more = 1;

    CN_CHECK_OBJ(j, STOR_RH_MAGIC);
    /* where the walk starts: after start_after when that is past the prefix's first key,
     * else at the prefix itself (a key equal to it is read alone: the scan starts after it),
     * and with no prefix after every internal key ("\x1f" + 0xff..., above any of them) */
    if (j->prefix.len > 0) {
        floor = j->prefix;
    } else {
        floor_key[0] = STOR_RH_INTERNAL - 1;
        memset(floor_key + 1, 0xff, sizeof(floor_key) - 1);
        floor = cn_slice(floor_key, sizeof(floor_key));
    }
    cn_buf_init(&cursor);
    if (j->start_after.len > 0 && key_cmp(j->start_after, floor) >= 0) {
        cn_buf_append(&cursor, j->start_after.ptr, j->start_after.len);
    } else {
        cn_buf_append(&cursor, floor.ptr, floor.len);
        if (j->prefix.len > 0) {
            stor_obj_meta_t m;
            int rc = stor_engine_stat(j->s->engine, j->prefix, &m, NULL);

            if (rc == CN_ECORRUPT)
                m.flags |= STOR_IDX_BAD;
            if (rc == 0 || rc == CN_ECORRUPT)
                rh_entry(j, j->prefix, &m);
            else if (rc != CN_ENOENT)
                j->rc = rc;
        }
    }
    while (j->rc == 0 && more && !j->past && !j->truncated) {
        cur = cn_slice(cursor.data, cursor.len);
        j->rc = stor_engine_scan(j->s->engine, cur, STOR_RH_STEP, rh_entry, j, &more);
        if (j->rc > 0)
            j->rc = 0; /* rh_entry stopped the walk */
        if (j->rc != 0 || j->last.len == 0 ||
            (j->last.len == cursor.len && memcmp(j->last.data, cursor.data, cursor.len) == 0))
            break; /* an error, or nothing visited: the end of the index */
        cn_buf_reset(&cursor);
        cn_buf_append(&cursor, j->last.data, j->last.len);
    }
    cn_buf_dispose(&cursor);
}

static void rh_free(struct rh_job *j)
{
    if (j->sum.magic != 0)
        cn_rh_summary_dispose(&j->sum);
    cn_buf_dispose(&j->out);
    cn_buf_dispose(&j->last);
    cn_ring_destroy(j->ring);
    j->magic = 0;
    cn_free(j);
}

static void rh_done(uv_work_t *w, int status)
{
    struct rh_job *j = w->data;
    cn_msg_t *resp = cn_msg_new(STOR_OP_RANGE_HASH);
    cn_buf_t body;
    size_t len, children = 0;

    CN_CHECK_OBJ(j, STOR_RH_MAGIC);
    j->s->rh_jobs--;
    if (status != 0)
        j->rc = CN_ECANCELED;
    cn_msg_set_rc(resp, j->rc);
    if (j->rc == 0) {
        cn_buf_init(&body);
        if (j->list) {
            body = j->out; /* taken: rh_free disposes of an empty j->out */
            cn_buf_init(&j->out);
        } else {
            children = cn_rh_summary_encode(&j->sum, &body);
        }
        cn_msg_set_u64(resp, "version", CN_RH_VERSION);
        cn_msg_set_str(resp, "node", j->self);
        cn_msg_set_u64(resp, "ring_cur", j->ring_cur);
        cn_msg_set_u64(resp, "ring_prev", j->ring_prev);
        cn_msg_set_u64(resp, "scanned", j->scanned);
        cn_msg_set_u64(resp, "count", j->counted);
        cn_msg_set_u64(resp, "bad", j->bad);
        cn_msg_set_u64(resp, "truncated", (uint64_t)j->truncated);
        if (j->truncated)
            cn_msg_set_bytes(resp, "next", j->last.data, j->last.len);
        if (!j->list)
            cn_msg_set_u64(resp, "children", children);
        if (body.len > 0) {
            void *p = cn_buf_steal(&body, &len);

            cn_msg_set_body(resp, p, len);
        }
        cn_buf_dispose(&body);
    } else {
        CN_LOG(CN_LOG_WARN, "op=range_hash prefix=%.*s rc=%s: the walk failed", (int)j->prefix.len,
               j->prefix.ptr, cn_strerror(j->rc));
    }
    cn_rpc_reply(j->conn, j->req, resp);
    rh_free(j);
}

/* Checks the request into j; 0 or CN_EINVAL. */
static int rh_parse(struct rh_job *j)
{
    const cn_msg_t *req = j->req;
    uint64_t depth, value, bits;

    if (cn_msg_opt_bytes(req, "prefix", &j->prefix) != 0 ||
        cn_msg_opt_bytes(req, "start_after", &j->start_after) != 0 ||
        cn_msg_opt_bytes(req, "select", &j->select) != 0 ||
        cn_msg_opt_u64(req, "depth", 0, &depth) != 0 ||
        cn_msg_opt_u64(req, "hash_prefix", 0, &value) != 0 ||
        cn_msg_opt_u64(req, "bits", 0, &bits) != 0 ||
        cn_msg_opt_u64(req, "list", 0, &j->list) != 0 ||
        cn_msg_opt_u64(req, "all", 0, &j->all) != 0 ||
        cn_msg_opt_u64(req, "max", STOR_RH_LIST_DEFAULT, &j->max) != 0 ||
        cn_msg_opt_u64(req, "max_scan", STOR_RH_SCAN_DEFAULT, &j->max_scan) != 0)
        return CN_EINVAL;
    if (j->prefix.len > STOR_KEY_MAX || j->start_after.len > STOR_KEY_MAX ||
        (j->prefix.len > 0 && (unsigned char)j->prefix.ptr[0] < STOR_RH_INTERNAL))
        return CN_EINVAL; /* internal keys are never summarized */
    if (depth > CN_RH_MAX_DEPTH || bits > CN_RH_MAX_BITS || depth + bits > CN_RH_MAX_DEPTH)
        return CN_EINVAL;
    j->range = (cn_rh_range_t){(uint32_t)depth, value};
    j->bits = (uint32_t)bits;
    if (cn_rh_range_check(j->range) != 0 || j->list > 1 || j->all > 1)
        return CN_EINVAL;
    if (j->select.len > 0 && (!j->list || j->select.len != cn_rh_select_len(j->bits)))
        return CN_EINVAL;
    if (j->max == 0 || j->max > STOR_RH_LIST_MAX)
        j->max = j->max == 0 ? 1 : STOR_RH_LIST_MAX;
    if (j->max_scan == 0 || j->max_scan > STOR_RH_SCAN_MAX)
        j->max_scan = j->max_scan == 0 ? 1 : STOR_RH_SCAN_MAX;
    if (!j->list && cn_rh_summary_init(&j->sum, j->range, j->bits) != 0)
        return CN_EINVAL;
    return 0;
}

int stor_range_hash_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    struct rh_job *j;
    cn_msg_t *resp;
    int rc;

    if (strcmp(cn_msg_op(req), STOR_OP_RANGE_HASH) != 0)
        return 0;
    j = cn_calloc(1, sizeof(*j));
    j->magic = STOR_RH_MAGIC;
    j->s = s;
    j->conn = conn;
    j->req = req;
    j->work.data = j;
    cn_buf_init(&j->out);
    cn_buf_init(&j->last);
    snprintf(j->self, sizeof(j->self), "%s", stor_self(s));
    if ((rc = rh_parse(j)) == 0 && s->rh_jobs >= STOR_RH_JOBS)
        rc = CN_EBUSY;
    if (rc != 0) {
        CN_LOG(CN_LOG_INFO, "op=range_hash peer=%s rc=%s", cn_rpc_conn_peer(conn), cn_strerror(rc));
        resp = cn_msg_new(STOR_OP_RANGE_HASH);
        cn_msg_set_rc(resp, rc);
        cn_rpc_reply(conn, req, resp);
        rh_free(j);
        return 1;
    }
    j->ring_cur = s->ring_cur != NULL ? cn_ring_checksum(s->ring_cur) : 0;
    j->ring_prev = s->ring_prev != NULL ? cn_ring_checksum(s->ring_prev) : 0;
    if (!j->all && s->ring_cur != NULL)
        j->ring = cn_ring_clone(s->ring_cur);
    s->rh_jobs++; /* first: a refused job's rh_done runs before cn_work_queue returns */
    cn_work_queue(s->loop, &j->work, rh_run, rh_done, STOR_OP_RANGE_HASH);
    return 1;
}
