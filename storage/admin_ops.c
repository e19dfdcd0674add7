/*
 * storage/admin_ops.c: the operator's storage ops (docs/PROTOCOL.md, "Operator ops"):
 *   du                    objects and bytes per bucket from the index (thread pool scan);
 *                         an object's entries (its own key "bucket/key" and its versions
 *                         "bucket/key\0ID", consecutive in the index) are one group whose
 *                         entry with the newest clock, tombstones left out, is current
 *                         (issue 16): the others, and a current delete marker, count as
 *                         non-current; a group spans scan batches (struct du_job's grp_*);
 *                         also raw and logical bytes (issue 21): raw_bytes, the bodies of
 *                         the records held (every live entry, versions and chunks too; a
 *                         manifest's small body is left out: the index gives the object's
 *                         size for it); logical_bytes, this node's share of what clients
 *                         see: a whole copy counts 1/copies of its size (copies: the
 *                         replication level N, at most the ring's nodes), a fragment of a
 *                         chunk coded K+M (a key cn_frag_key_parse takes) its payload
 *                         (body - header) * K / (K + M), about the chunk's bytes / (K + M),
 *                         and a manifest nothing (its chunks count); so over a cluster
 *                         whose keys all have their copies and fragments the logical bytes
 *                         add up to the data once, and raw / logical is the redundancy
 *                         (3 for N = 3 copies, 1.5 and a header per fragment for 4+2)
 *   set_property          a reloadable config key at run time (update-property,
 *                         update-log-level)
 *   delete_bucket         starts the asynchronous removal of every key under BUCKET/ held
 *                         here: versions older than the request are tombstoned, at most
 *                         [storage] delete_bucket_rate keys per second
 *   delete_bucket_status  its progress
 * A started job is recorded in the node's repair-queue RocksDB (stor_repair_q_rec_*, kind
 * 'b', name = the bucket): version | start clock | started_ms | scanned | deleted | marker
 * (the last key whose batch is done). delete_bucket answers once that record is persistent;
 * the marker is saved every STOR_DEL_SAVE_EVERY keys scanned and at a clean stop; a finished
 * job's record is removed (a failed one stays, and is retried at the next start). At start,
 * stor_admin_start resumes every recorded job from its marker with its start clock, so keys
 * tombstoned again after a crash are skipped (already tombstones) and nothing is missed.
 * A version written after the job started (clock newer than its start clock) is kept, so a
 * bucket created again at once keeps its new objects, also across a restart.
 * Threads: requests and the worker timer on the loop; scans and deletes in the thread pool;
 * the records' writes on the repair queue's writer thread.
 */
#include "storage/storage.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/ec_frag.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"
#include "storage/cluster/cluster.h"

#define STOR_ADMIN_MAGIC 0x5341444du /* "SADM" */
#define STOR_DU_MAGIC 0x53445521u    /* "SDU!" */
#define STOR_DEL_MAX_JOBS 64
#define STOR_DEL_TICK_MS 100
#define STOR_BUCKET_MAX 64
#define STOR_DEL_SAVE_EVERY 256 /* keys scanned between two saves of a job's marker */
#define STOR_DEL_REC 'b'        /* the jobs' record kind in the repair queue's RocksDB */
#define STOR_DEL_REC_V 1
#define STOR_DEL_REC_FIXED (1 + 8 + 8 + 8 + 8 + 4)
#define STOR_DEL_REPLY_MAGIC 0x53444252u /* "SDBR" */

#define STOR_OP_DU "du"
#define STOR_OP_SET_PROPERTY "set_property"
#define STOR_OP_DELETE_BUCKET "delete_bucket"
#define STOR_OP_DELETE_BUCKET_STATUS "delete_bucket_status"

struct del_job {
    char bucket[STOR_BUCKET_MAX + 2]; /* "bucket/" */
    int state;                        /* 0 idle slot, 1 running, 2 done, 3 failed */
    int busy;                         /* a batch is in the thread pool */
    uint64_t clock;                   /* versions older than this go */
    cn_buf_t cursor;
    uint64_t scanned, deleted, started_ms, finished_ms;
    uint64_t locked;            /* locked versions kept (object lock), since this run started */
    uint64_t saved_scanned; /* scanned when the marker was last saved */
    int resumed;            /* loaded from its record at start */
    int rc;
};

/* a delete_bucket request waiting for its job's record to be persistent */
struct del_reply {
    uint32_t magic;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    char bucket[STOR_BUCKET_MAX + 2];
};

struct stor_admin {
    uint32_t magic;
    uv_timer_t timer;
    int timer_on, stopping;
    struct del_job jobs[STOR_DEL_MAX_JOBS];
};

struct du_bucket {
    char name[STOR_BUCKET_MAX + 1];
    uint64_t objects, bytes, tombstones;       /* current objects and their bytes */
    uint64_t noncurrent, noncurrent_bytes;     /* older versions and delete markers */
    uint64_t markers;                          /* delete markers (among noncurrent) */
};

struct du_job {
    uint32_t magic;
    uv_work_t work;
    struct stor_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
    /* du */
    char prefix[STOR_BUCKET_MAX + 2];
    struct du_bucket *v;
    size_t n, cap;
    uint64_t disk;
    cn_buf_t grp;              /* the object part of the group being counted ("" none) */
    size_t grp_n;              /* its live entries so far */
    uint64_t grp_bytes;        /* their sizes */
    uint64_t grp_clock, grp_size; /* the newest of them */
    uint32_t grp_flags;
    uint64_t raw;              /* bodies held (manifests' left out) */
    uint64_t copy_bytes;       /* whole copies' sizes: logical is copy_bytes / copies */
    uint64_t frag_logical;     /* fragments' shares of their chunks */
    uint64_t frags, frag_bytes; /* fragment records and their bodies */
    uint64_t copies;           /* the replication level, at most the ring's nodes */
    /* delete batch */
    struct del_job *dj;
    size_t max;
    cn_buf_t keys;      /* u32 length + key, repeated */
    uint64_t deleted, locked;
    int more, past, rc;
};

static struct stor_admin *adm_get(struct stor_server *s)
{
    if (s->adm == NULL) {
        s->adm = cn_calloc(1, sizeof(*s->adm));
        s->adm->magic = STOR_ADMIN_MAGIC;
    }
    return s->adm;
}

/* 1 when name is a plausible bucket name (1..63 bytes, no '/', printable). */
static int bucket_ok(cn_slice_t b)
{
    if (b.len == 0 || b.len > 63)
        return 0;
    for (size_t i = 0; i < b.len; i++)
        if (b.ptr[i] == '/' || (unsigned char)b.ptr[i] <= ' ' || b.ptr[i] == 0x7f)
            return 0;
    return 1;
}

/* ---- du -------------------------------------------------------------------------------- */

/* Counts the group of entries of one object (j->grp) into the last bucket, where its
 * entries went, and starts none. */
static void du_group_end(struct du_job *j)
{
    struct du_bucket *b = j->n > 0 ? &j->v[j->n - 1] : NULL;

    if (b != NULL && j->grp_n > 0) {
        if (j->grp_flags & CN_OBJ_DELETE_MARKER) { /* the object is deleted */
            b->noncurrent += j->grp_n;
            b->noncurrent_bytes += j->grp_bytes;
        } else {
            b->objects++;
            b->bytes += j->grp_size;
            b->noncurrent += j->grp_n - 1;
            b->noncurrent_bytes += j->grp_bytes - j->grp_size;
        }
    }
    cn_buf_reset(&j->grp);
    j->grp_n = 0;
    j->grp_bytes = 0;
}

/* Counts a live entry's raw and logical bytes (the file comment says how). */
static void du_raw(struct du_job *j, cn_slice_t key, const stor_obj_meta_t *m)
{
    cn_frag_key_t fk;

    if (m->flags & CN_OBJ_MANIFEST)
        return;
    j->raw += m->size;
    if (cn_frag_key_parse(key.ptr, key.len, &fk)) {
        uint64_t payload = m->size > CN_FRAG_HDR_LEN ? m->size - CN_FRAG_HDR_LEN : 0;

        j->frags++;
        j->frag_bytes += m->size;
        j->frag_logical += payload / (fk.k + fk.m) * fk.k +
                           payload % (fk.k + fk.m) * fk.k / (fk.k + fk.m);
    } else {
        j->copy_bytes += m->size;
    }
}

static int du_entry(void *arg, cn_slice_t key, const stor_obj_meta_t *m)
{
    struct du_job *j = arg;
    size_t plen = strlen(j->prefix), blen;
    const char *slash, *nul;
    cn_slice_t obj;
    struct du_bucket *b;

    if (plen > 0 && (key.len < plen || memcmp(key.ptr, j->prefix, plen) != 0)) {
        du_group_end(j);
        j->past = 1;
        return 1;
    }
    nul = memchr(key.ptr, '\0', key.len);
    obj = cn_slice(key.ptr, nul ? (size_t)(nul - key.ptr) : key.len);
    if (j->grp.len != obj.len || memcmp(j->grp.data, obj.ptr, obj.len) != 0) {
        du_group_end(j); /* before the bucket changes: the group's bucket is the last one */
        cn_buf_append(&j->grp, obj.ptr, obj.len);
    }
    slash = memchr(key.ptr, '/', key.len);
    blen = slash ? (size_t)(slash - key.ptr) : key.len;
    if (blen > STOR_BUCKET_MAX)
        blen = STOR_BUCKET_MAX;
    b = j->n > 0 ? &j->v[j->n - 1] : NULL; /* keys come in order: buckets are runs */
    if (b == NULL || strlen(b->name) != blen || memcmp(b->name, key.ptr, blen) != 0) {
        if (j->n == j->cap) {
            j->cap = j->cap ? j->cap * 2 : 16;
            j->v = cn_realloc(j->v, j->cap * sizeof(*j->v));
        }
        b = &j->v[j->n++];
        memset(b, 0, sizeof(*b));
        memcpy(b->name, key.ptr, blen);
    }
    if (m->flags & CN_OBJ_TOMBSTONE) {
        b->tombstones++;
    } else {
        du_raw(j, key, m);
        if (j->grp_n == 0 || m->clock > j->grp_clock) {
            j->grp_clock = m->clock;
            j->grp_size = m->size;
            j->grp_flags = m->flags;
        }
        j->grp_n++;
        j->grp_bytes += m->size;
        if (m->flags & CN_OBJ_DELETE_MARKER)
            b->markers++;
    }
    cn_buf_reset(&j->keys);
    cn_buf_append(&j->keys, key.ptr, key.len);
    return 0;
}

static void du_run(uv_work_t *w)
{
    struct du_job *j = w->data;
    cn_buf_t cur;
    int more = 1;

    cn_buf_init(&cur);
    cn_buf_append(&cur, j->prefix, strlen(j->prefix));
    while (more && !j->past) {
        cn_buf_reset(&j->keys);
        j->rc = stor_engine_scan(j->s->engine, cn_slice(cur.data ? cur.data : "", cur.len),
                                 1024, du_entry, j, &more);
        if (j->rc < 0)
            break;
        j->rc = 0;
        if (j->keys.len == 0)
            break;
        cn_buf_reset(&cur);
        cn_buf_append(&cur, j->keys.data, j->keys.len);
    }
    du_group_end(j);
    cn_buf_dispose(&cur);
    stor_engine_disk_usage(j->s->engine, &j->disk);
}

/* A job of s's thread-pool walks (du and delete-bucket share the struct). */
static struct du_job *du_job_new(struct stor_server *s)
{
    struct du_job *j = cn_calloc(1, sizeof(*j));

    j->magic = STOR_DU_MAGIC;
    j->s = s;
    j->work.data = j;
    cn_buf_init(&j->keys);
    cn_buf_init(&j->grp);
    return j;
}

static void du_job_free(struct du_job *j)
{
    cn_buf_dispose(&j->keys);
    cn_buf_dispose(&j->grp);
    cn_free(j->v);
    j->magic = 0;
    cn_free(j);
}

static void du_done(uv_work_t *w, int status)
{
    struct du_job *j = w->data;
    cn_msg_t *resp = cn_msg_new(STOR_OP_DU);
    uint64_t objects = 0, bytes = 0, tomb = 0, nc = 0, nc_bytes = 0, markers = 0;
    cn_buf_t body;
    char line[256];
    size_t len;

    CN_CHECK_OBJ(j, STOR_DU_MAGIC);
    if (status != 0)
        j->rc = CN_ECANCELED;
    cn_msg_set_rc(resp, j->rc);
    if (j->rc == 0) {
        cn_buf_init(&body);
        for (size_t i = 0; i < j->n; i++) {
            const struct du_bucket *b = &j->v[i];
            /* the first four columns are those of a node before versions */
            int n = snprintf(line, sizeof(line), "%s %llu %llu %llu %llu %llu %llu\n", b->name,
                             (unsigned long long)b->objects, (unsigned long long)b->bytes,
                             (unsigned long long)b->tombstones,
                             (unsigned long long)b->noncurrent,
                             (unsigned long long)b->noncurrent_bytes,
                             (unsigned long long)b->markers);
            cn_buf_append(&body, line, (size_t)n);
            objects += b->objects;
            bytes += b->bytes;
            tomb += b->tombstones;
            nc += b->noncurrent;
            nc_bytes += b->noncurrent_bytes;
            markers += b->markers;
        }
        cn_msg_set_u64(resp, "objects", objects);
        cn_msg_set_u64(resp, "bytes", bytes);
        cn_msg_set_u64(resp, "tombstones", tomb);
        cn_msg_set_u64(resp, "noncurrent", nc);
        cn_msg_set_u64(resp, "noncurrent_bytes", nc_bytes);
        cn_msg_set_u64(resp, "delete_markers", markers);
        cn_msg_set_u64(resp, "entries", objects + nc + tomb);
        cn_msg_set_u64(resp, "buckets", j->n);
        cn_msg_set_u64(resp, "disk_bytes", j->disk);
        cn_msg_set_u64(resp, "raw_bytes", j->raw);
        cn_msg_set_u64(resp, "logical_bytes", j->copy_bytes / j->copies + j->frag_logical);
        cn_msg_set_u64(resp, "copies", j->copies);
        cn_msg_set_u64(resp, "fragments", j->frags);
        cn_msg_set_u64(resp, "fragment_bytes", j->frag_bytes);
        if (body.len > 0) {
            void *p = cn_buf_steal(&body, &len);
            cn_msg_set_body(resp, p, len);
        }
        cn_buf_dispose(&body);
    }
    cn_rpc_reply(j->conn, j->req, resp);
    du_job_free(j);
}

static int op_du(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    struct du_job *j;
    cn_slice_t b;
    int rc = cn_msg_get_bytes(req, "bucket", &b);

    if (rc != 0 && rc != CN_ENOENT)
        return CN_EINVAL;
    if (rc == 0 && b.len > 0 && !bucket_ok(b))
        return CN_EINVAL;
    j = du_job_new(s);
    j->conn = conn;
    j->req = req;
    j->copies = s->levels.n ? s->levels.n : 1;
    if (s->ring_cur != NULL && cn_ring_node_count(s->ring_cur) > 0 &&
        cn_ring_node_count(s->ring_cur) < j->copies)
        j->copies = cn_ring_node_count(s->ring_cur);
    if (rc == 0 && b.len > 0)
        snprintf(j->prefix, sizeof(j->prefix), "%.*s/", (int)b.len, b.ptr);
    cn_work_queue(s->loop, &j->work, du_run, du_done, "du");
    return 1;
}

/* ---- delete_bucket --------------------------------------------------------------------- */

static cn_slice_t del_name(const struct del_job *dj)
{
    return cn_slice(dj->bucket, strlen(dj->bucket) - 1); /* without the '/' */
}

/* Records dj (see the file comment); the stor_repair_q_rec_put contract (1: cb will run). */
static int del_save(struct stor_server *s, struct del_job *dj, stor_rq_persisted_fn cb,
                    void *arg)
{
    cn_buf_t v;
    char b[STOR_DEL_REC_FIXED];
    int rc;

    b[0] = STOR_DEL_REC_V;
    cn_put_u64le(b + 1, dj->clock);
    cn_put_u64le(b + 9, dj->started_ms);
    cn_put_u64le(b + 17, dj->scanned);
    cn_put_u64le(b + 25, dj->deleted);
    cn_put_u32le(b + 33, (uint32_t)dj->cursor.len);
    cn_buf_init(&v);
    cn_buf_append(&v, b, sizeof(b));
    if (dj->cursor.len > 0)
        cn_buf_append(&v, dj->cursor.data, dj->cursor.len);
    rc = stor_repair_q_rec_put(s, STOR_DEL_REC, del_name(dj), cn_slice(v.data, v.len), cb, arg);
    cn_buf_dispose(&v);
    dj->saved_scanned = dj->scanned;
    if (rc < 0)
        CN_LOG(CN_LOG_WARN, "delete-bucket %.*s rc=%s: cannot record the job (a restart would "
               "forget it)", (int)del_name(dj).len, dj->bucket, cn_strerror(rc));
    return rc;
}

static int del_collect(void *arg, cn_slice_t key, const stor_obj_meta_t *m)
{
    struct du_job *j = arg;
    size_t plen = strlen(j->dj->bucket);
    uint32_t kl = (uint32_t)key.len;

    if (key.len < plen || memcmp(key.ptr, j->dj->bucket, plen) != 0) {
        j->past = 1;
        return 1;
    }
    j->n++; /* scanned */
    /* cursor: the last key seen, then a flag byte: 1 = tombstone it */
    cn_buf_append(&j->keys, &kl, sizeof(kl));
    cn_buf_append(&j->keys, key.ptr, key.len);
    cn_buf_append(&j->keys, (m->flags & CN_OBJ_TOMBSTONE) || m->clock >= j->dj->clock ? "0" : "1",
                  1);
    return 0;
}

static void del_run(uv_work_t *w)
{
    struct du_job *j = w->data;
    struct del_job *dj = j->dj;
    size_t off = 0;

    j->rc = stor_engine_scan(j->s->engine,
                             cn_slice(dj->cursor.data ? dj->cursor.data : "", dj->cursor.len),
                             j->max, del_collect, j, &j->more);
    if (j->rc > 0)
        j->rc = 0;
    while (j->rc == 0 && off < j->keys.len) {
        uint32_t kl;
        cn_slice_t key;
        int rc;

        memcpy(&kl, j->keys.data + off, sizeof(kl));
        key = cn_slice(j->keys.data + off + sizeof(kl), kl);
        off += sizeof(kl) + kl + 1;
        if (j->keys.data[off - 1] != '1')
            continue;
        if (stor_lock_guard(j->s->engine, key) != 0) {
            j->locked++; /* object lock: not even the admin API deletes a locked version */
            continue;
        }
        rc = stor_engine_delete(j->s->engine, key, cn_hlc_next());
        if (rc == 0)
            j->deleted++;
        else if (rc != CN_ENOENT && rc != CN_ESTALE)
            j->rc = rc;
    }
}

static void del_done(uv_work_t *w, int status)
{
    struct du_job *j = w->data;
    struct del_job *dj = j->dj;
    size_t off = 0, last = 0;
    int any = 0;

    dj->busy = 0;
    dj->scanned += j->n;
    dj->deleted += j->deleted;
    dj->locked += j->locked;
    if (status != 0)
        j->rc = CN_ECANCELED;
    while (off < j->keys.len) { /* the last key seen becomes the cursor */
        uint32_t kl;

        memcpy(&kl, j->keys.data + off, sizeof(kl));
        last = off;
        off += sizeof(kl) + kl + 1;
        any = 1;
    }
    if (any) {
        uint32_t kl;

        memcpy(&kl, j->keys.data + last, sizeof(kl));
        cn_buf_reset(&dj->cursor);
        cn_buf_append(&dj->cursor, j->keys.data + last + sizeof(kl), kl);
    }
    if (j->rc != 0) {
        dj->state = 3;
        dj->rc = j->rc;
        dj->finished_ms = cn_now_ms();
        del_save(j->s, dj, NULL, NULL); /* kept: the next start retries from here */
        CN_LOG(CN_LOG_WARN, "delete-bucket %.*s rc=%s: stopped", (int)strlen(dj->bucket) - 1,
               dj->bucket, cn_strerror(j->rc));
    } else if (j->past || !j->more || !any) {
        dj->state = 2;
        dj->finished_ms = cn_now_ms();
        stor_repair_q_rec_del(j->s, STOR_DEL_REC, del_name(dj));
        CN_LOG(CN_LOG_INFO, "delete-bucket %.*s: done, %llu keys scanned, %llu tombstoned, "
               "%llu locked versions kept", (int)strlen(dj->bucket) - 1, dj->bucket,
               (unsigned long long)dj->scanned, (unsigned long long)dj->deleted,
               (unsigned long long)dj->locked);
    } else if (dj->scanned - dj->saved_scanned >= STOR_DEL_SAVE_EVERY) {
        del_save(j->s, dj, NULL, NULL);
    }
    cn_buf_dispose(&j->keys);
    j->magic = 0;
    cn_free(j);
}

static void on_tick(uv_timer_t *t)
{
    struct stor_server *s = t->data;
    struct stor_admin *a = s->adm;
    size_t running = 0;
    uint64_t per_tick;

    if (a->stopping)
        return;
    for (size_t i = 0; i < STOR_DEL_MAX_JOBS; i++)
        running += a->jobs[i].state == 1;
    if (running == 0)
        return;
    per_tick = s->conf->delete_bucket_rate * STOR_DEL_TICK_MS / 1000 / running;
    if (per_tick == 0)
        per_tick = 1;
    for (size_t i = 0; i < STOR_DEL_MAX_JOBS; i++) {
        struct del_job *dj = &a->jobs[i];
        struct du_job *j;

        if (dj->state != 1 || dj->busy)
            continue;
        j = du_job_new(s);
        j->dj = dj;
        j->max = per_tick;
        dj->busy = 1; /* first: a refused job's del_done clears it before cn_work_queue returns */
        cn_work_queue(s->loop, &j->work, del_run, del_done, "delete-bucket");
    }
}

static struct del_job *del_find(struct stor_admin *a, const char *pfx)
{
    for (size_t i = 0; i < STOR_DEL_MAX_JOBS; i++)
        if (a->jobs[i].state != 0 && strcmp(a->jobs[i].bucket, pfx) == 0)
            return &a->jobs[i];
    return NULL;
}

/* A free slot for pfx (an idle one, else a finished one), initialized; NULL when all run. */
static struct del_job *del_slot(struct stor_admin *a, const char *pfx)
{
    struct del_job *dj = del_find(a, pfx);

    for (size_t i = 0; i < STOR_DEL_MAX_JOBS && dj == NULL; i++)
        if (a->jobs[i].state == 0)
            dj = &a->jobs[i];
    for (size_t i = 0; i < STOR_DEL_MAX_JOBS && dj == NULL; i++)
        if (a->jobs[i].state >= 2 && !a->jobs[i].busy)
            dj = &a->jobs[i]; /* reuse a finished slot */
    if (dj == NULL)
        return NULL;
    cn_buf_dispose(&dj->cursor);
    memset(dj, 0, sizeof(*dj));
    cn_buf_init(&dj->cursor);
    memcpy(dj->bucket, pfx, strlen(pfx) + 1);
    return dj;
}

static void timer_ensure(struct stor_server *s, struct stor_admin *a)
{
    if (a->timer_on)
        return;
    uv_timer_init(s->loop, &a->timer);
    a->timer.data = s;
    uv_timer_start(&a->timer, on_tick, STOR_DEL_TICK_MS, STOR_DEL_TICK_MS);
    a->timer_on = 1;
}

static void on_job_recorded(void *arg, int rc)
{
    struct del_reply *r = arg;
    cn_msg_t *resp = cn_msg_new(STOR_OP_DELETE_BUCKET);

    CN_CHECK_OBJ(r, STOR_DEL_REPLY_MAGIC);
    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "delete-bucket %s rc=%s: runs, but its record failed (a restart "
               "would forget it)", r->bucket, cn_strerror(rc));
    cn_msg_set_str(resp, "state", "running");
    cn_msg_set_rc(resp, 0);
    cn_rpc_reply(r->conn, r->req, resp);
    r->magic = 0;
    cn_free(r);
}

/* Starts (or finds running) the job; 1 when the answer comes later (once its record is
 * persistent), else an rc answered now. */
static int op_delete_bucket(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req,
                            cn_msg_t *resp)
{
    struct stor_admin *a = adm_get(s);
    struct del_job *dj;
    struct del_reply *r;
    char pfx[STOR_BUCKET_MAX + 2];
    cn_slice_t b;

    if (cn_msg_get_bytes(req, "bucket", &b) != 0 || !bucket_ok(b))
        return CN_EINVAL;
    if (a->stopping)
        return CN_ECANCELED;
    snprintf(pfx, sizeof(pfx), "%.*s/", (int)b.len, b.ptr);
    if ((dj = del_find(a, pfx)) != NULL && dj->state == 1) {
        cn_msg_set_str(resp, "state", "running");
        return 0; /* idempotent */
    }
    if ((dj = del_slot(a, pfx)) == NULL)
        return CN_EBUSY;
    cn_buf_append(&dj->cursor, pfx, strlen(pfx));
    dj->state = 1;
    dj->clock = cn_hlc_next();
    dj->started_ms = cn_now_ms();
    timer_ensure(s, a);
    CN_LOG(CN_LOG_INFO, "delete-bucket %.*s: started (%llu keys/s)", (int)b.len, b.ptr,
           (unsigned long long)s->conf->delete_bucket_rate);
    r = cn_calloc(1, sizeof(*r));
    r->magic = STOR_DEL_REPLY_MAGIC;
    r->conn = conn;
    r->req = req;
    snprintf(r->bucket, sizeof(r->bucket), "%.*s", (int)b.len, b.ptr);
    if (del_save(s, dj, on_job_recorded, r) == 1)
        return 1;
    cn_free(r);
    cn_msg_set_str(resp, "state", "running");
    return 0;
}

/* One recorded job (stor_repair_q_rec_foreach), resumed. */
static int del_resume(void *arg, cn_slice_t name, cn_slice_t v)
{
    struct stor_server *s = arg;
    struct stor_admin *a = adm_get(s);
    struct del_job *dj;
    char pfx[STOR_BUCKET_MAX + 2];
    uint32_t clen;

    if (!bucket_ok(name) || v.len < STOR_DEL_REC_FIXED || v.ptr[0] != STOR_DEL_REC_V ||
        (clen = cn_get_u32le(v.ptr + 33)) != v.len - STOR_DEL_REC_FIXED) {
        CN_LOG(CN_LOG_WARN, "delete-bucket: a malformed job record (%zu bytes) dropped", v.len);
        stor_repair_q_rec_del(s, STOR_DEL_REC, name);
        return 0;
    }
    snprintf(pfx, sizeof(pfx), "%.*s/", (int)name.len, name.ptr);
    if ((dj = del_slot(a, pfx)) == NULL) {
        CN_LOG(CN_LOG_WARN, "delete-bucket %.*s: no free job slot, not resumed", (int)name.len,
               name.ptr);
        return 0;
    }
    dj->clock = cn_get_u64le(v.ptr + 1);
    dj->started_ms = cn_get_u64le(v.ptr + 9);
    dj->scanned = dj->saved_scanned = cn_get_u64le(v.ptr + 17);
    dj->deleted = cn_get_u64le(v.ptr + 25);
    if (clen >= strlen(pfx) && memcmp(v.ptr + STOR_DEL_REC_FIXED, pfx, strlen(pfx)) == 0)
        cn_buf_append(&dj->cursor, v.ptr + STOR_DEL_REC_FIXED, clen);
    else
        cn_buf_append(&dj->cursor, pfx, strlen(pfx)); /* a marker outside: from the start */
    dj->state = 1;
    dj->resumed = 1;
    cn_hlc_observe(dj->clock);
    timer_ensure(s, a);
    CN_LOG(CN_LOG_INFO, "delete-bucket %.*s: resumed after a restart, %llu keys scanned so far "
           "(%llu keys/s)", (int)name.len, name.ptr, (unsigned long long)dj->scanned,
           (unsigned long long)s->conf->delete_bucket_rate);
    return 0;
}

int stor_admin_start(struct stor_server *s)
{
    int rc = stor_repair_q_rec_foreach(s, STOR_DEL_REC, del_resume, s);

    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "rc=%s: cannot read the delete-bucket jobs", cn_strerror(rc));
    return rc;
}

static int op_delete_bucket_status(struct stor_server *s, cn_msg_t *req, cn_msg_t *resp)
{
    static const char *const states[] = {"none", "running", "done", "failed"};
    struct del_job *dj;
    char pfx[STOR_BUCKET_MAX + 2];
    cn_slice_t b;

    if (cn_msg_get_bytes(req, "bucket", &b) != 0 || !bucket_ok(b))
        return CN_EINVAL;
    snprintf(pfx, sizeof(pfx), "%.*s/", (int)b.len, b.ptr);
    if (s->adm == NULL || (dj = del_find(s->adm, pfx)) == NULL)
        return CN_ENOENT;
    cn_msg_set_str(resp, "state", states[dj->state]);
    cn_msg_set_u64(resp, "scanned", dj->scanned);
    cn_msg_set_u64(resp, "deleted", dj->deleted);
    cn_msg_set_u64(resp, "locked", dj->locked); /* object lock: versions kept (since start) */
    cn_msg_set_u64(resp, "started_ms", dj->started_ms);
    cn_msg_set_u64(resp, "finished_ms", dj->finished_ms);
    cn_msg_set_u64(resp, "rate", s->conf->delete_bucket_rate);
    cn_msg_set_u64(resp, "clock", dj->clock);
    cn_msg_set_u64(resp, "resumed", (uint64_t)dj->resumed);
    if (dj->rc != 0)
        cn_msg_set_str(resp, "error", cn_strerror(dj->rc));
    return 0;
}

/* ---- set_property ---------------------------------------------------------------------- */

static int op_set_property(cn_msg_t *req, cn_msg_t *resp)
{
    cn_slice_t name, value;
    char assign[512], err[512];
    int rc;

    if (cn_msg_get_bytes(req, "name", &name) != 0 || cn_msg_get_bytes(req, "value", &value) != 0 ||
        name.len == 0 || name.len + value.len + 2 > sizeof(assign) ||
        memchr(name.ptr, '=', name.len) != NULL)
        return CN_EINVAL;
    snprintf(assign, sizeof(assign), "%.*s=%.*s", (int)name.len, name.ptr, (int)value.len,
             value.ptr);
    err[0] = '\0';
    if ((rc = stor_conf_update(assign, err, sizeof(err))) != 0) {
        cn_msg_set_str(resp, "error", err);
        return rc;
    }
    CN_LOG(CN_LOG_INFO, "property %s: set (admin)", assign);
    return 0;
}

/* ---- dispatch -------------------------------------------------------------------------- */

int stor_admin_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    const char *op = cn_msg_op(req);
    cn_msg_t *resp;
    int rc;

    if (strcmp(op, STOR_OP_DU) == 0) {
        if ((rc = op_du(s, conn, req)) == 1)
            return 1;
        resp = cn_msg_new(op);
    } else if (strcmp(op, STOR_OP_SET_PROPERTY) == 0) {
        resp = cn_msg_new(op);
        rc = op_set_property(req, resp);
    } else if (strcmp(op, STOR_OP_DELETE_BUCKET) == 0) {
        resp = cn_msg_new(op);
        if ((rc = op_delete_bucket(s, conn, req, resp)) == 1) {
            cn_msg_free(resp);
            return 1;
        }
    } else if (strcmp(op, STOR_OP_DELETE_BUCKET_STATUS) == 0) {
        resp = cn_msg_new(op);
        rc = op_delete_bucket_status(s, req, resp);
    } else {
        return 0;
    }
    cn_msg_set_rc(resp, rc);
    cn_rpc_reply(conn, req, resp);
    return 1;
}

void stor_admin_stop(struct stor_server *s)
{
    struct stor_admin *a = s->adm;

    if (a == NULL)
        return;
    CN_CHECK_OBJ(a, STOR_ADMIN_MAGIC);
    a->stopping = 1;
    if (a->timer_on) {
        uv_timer_stop(&a->timer);
        uv_close((uv_handle_t *)&a->timer, NULL);
    }
}

void stor_admin_close(struct stor_server *s)
{
    struct stor_admin *a = s->adm;

    if (a == NULL)
        return;
    CN_CHECK_OBJ(a, STOR_ADMIN_MAGIC);
    for (size_t i = 0; i < STOR_DEL_MAX_JOBS; i++) {
        struct del_job *dj = &a->jobs[i];

        if (dj->state == 1 && dj->scanned != dj->saved_scanned)
            del_save(s, dj, NULL, NULL); /* the last marker, for the next start */
        cn_buf_dispose(&dj->cursor);
    }
    a->magic = 0;
    cn_free(a);
    s->adm = NULL;
}
