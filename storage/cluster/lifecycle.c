/*
 * storage/cluster/lifecycle.c: the lifecycle worker (issue 18): applies the buckets' lifecycle
 * rules (common/lifecycle.h) to the objects this node is the first owner of on ring cur.
 *
 * Why here: every node walks its own index, so the work is split by the ring without a
 * central scan; a node that is down leaves its share waiting (its successor becomes the first
 * owner once the ring changes). During a rebalance (a ring prev) nothing is done.
 *
 * A pass walks the index in key order in batches (stor_engine_scan on the thread pool),
 * keeps the objects of buckets that have rules and whose first owner is this node, and visits
 * them one at a time at [lifecycle] rate objects a second: it lists the object's versions on
 * this node (a group listing, with each version's tags), decides each with cn_lc_decide, and
 * acts through the cluster's normal write path, a coordinated request to itself, so that
 * replication, object lock (lock_check.c) and conditions apply as to any client:
 *   - the current version expires: unversioned, a delete conditional on its ETag; with
 *     versioning a delete marker put on top, conditional on the latest version still being
 *     the one decided on (a group If-Match), as a new version (Enabled) or as the null
 *     version (Suspended);
 *   - a noncurrent version, or an expired object delete marker: a delete of that version;
 *   - an upload marker ("\x01u/bucket/key/id") past DaysAfterInitiation: deleted, then its
 *     part records (listed on every node) and their chunks.
 * The chunks of a version deleted (or replaced by a null delete marker) are deleted after it,
 * as the gateway does. The position is saved in the repair queue's RocksDB (record 'l') every
 * batch, so a restarted node resumes its pass where it was. State: s->lc, main loop only.
 */
#include "storage/cluster/cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/version.h"
#include "common/wcond.h"
#include "common/work.h"

#define STOR_LC_MAGIC 0x534c4346u /* "SLCF" */
#define LC_TICK_MS 100
#define LC_SCAN_BATCH 512      /* index entries per scan */
#define LC_GROUP_MAX 1000      /* versions of one object looked at per visit */
#define LC_REC 'l'             /* its record in the repair queue's RocksDB */
#define LC_CALL_MS 10000
#define LC_TAGS ":tags"        /* gateway/s3/manifest.h: an object's tags */
#define LC_UPLOAD_PREFIX "\x01u/"
#define LC_PART_PREFIX "\x01p/"

enum lc_kind { LC_OBJECT = 'o', LC_UPLOAD = 'u' };

struct stor_lc {
    uint32_t magic;
    struct stor_server *s;
    uv_timer_t timer;
    int busy;                  /* a scan, a visit or an action is out */
    cn_buf_t cursor;           /* where the current batch's scan started ("": a new pass) */
    cn_buf_t batch_last;       /* the last index key the current batch's scan looked at */
    cn_buf_t cur_key, done_key; /* the batch's entry being visited, the last one finished */
    uint64_t pass_started_ms, last_pass_ms, next_pass_ms;
    double budget;             /* objects this node may still visit now (the rate's tokens) */
    /* the batch: kind byte, u32 length, key; visited from batch_off */
    cn_buf_t batch;
    size_t batch_off;
    int batch_more;
    /* the object being visited */
    cn_buf_t obj;
    cn_list_result_t *versions;  /* its versions on this node, as listed */
    const cn_list_entry_t **ord; /* ... ordered newest first (S3's order), nord of them */
    size_t nord;
    const stor_bucket_t *bucket;
    size_t pending;            /* calls and local reads out for the current visit */
    size_t jobs;               /* scans and listings on the thread pool */
    int stopping, timer_closed; /* freed once both hold and nothing is out (maybe_free) */
    stor_lc_stats_t st;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static cn_slice_t obj_part(cn_slice_t key)
{
    return cn_slice(key.ptr, cn_ver_base_len(key));
}

/* The bucket of "bucket/..." among the buckets with rules, or NULL. */
static const stor_bucket_t *rules_of(struct stor_server *s, cn_slice_t key)
{
    const char *slash = memchr(key.ptr, '/', key.len);
    const stor_bucket_t *b;

    if (slash == NULL)
        return NULL;
    b = stor_buckets_find(&s->buckets, key.ptr, (size_t)(slash - key.ptr));
    return b != NULL && b->lifecycle != NULL ? b : NULL;
}

static int first_owner_is_self(struct stor_server *s, cn_slice_t key)
{
    stor_owners_t o;

    stor_owners_of(s->ring_cur, key, s->levels.n, &o);
    return o.n > 0 && strcmp(o.name[0], stor_self(s)) == 0;
}

static uint64_t day_ms(const struct stor_server *s)
{
    return s->conf->lc_day_seconds * 1000;
}

/* ---- the position, saved ----------------------------------------------------------------- */

static void save_key(struct stor_lc *lc, const cn_buf_t *k)
{
    stor_repair_q_rec_put(lc->s, LC_REC, cn_slice("pass", 4),
                          cn_slice(k->data ? k->data : "", k->len), NULL, NULL);
}

/* The position to resume from: inside a batch, the last entry it finished (what follows is
 * looked at again: visits are decided afresh, so a second one does no harm); else the
 * batch's start. */
static void save_cursor(struct stor_lc *lc)
{
    save_key(lc, lc->busy && lc->done_key.len > 0 ? &lc->done_key : &lc->cursor);
}

static int load_cursor(void *arg, cn_slice_t name, cn_slice_t val)
{
    struct stor_lc *lc = arg;

    if (name.len == 4 && memcmp(name.ptr, "pass", 4) == 0 && val.len <= STOR_KEY_MAX) {
        cn_buf_reset(&lc->cursor);
        cn_buf_append(&lc->cursor, val.ptr, val.len);
        lc->st.resumed = val.len > 0;
    }
    return 0;
}

/* ---- calls to this node's coordinator ----------------------------------------------------- */

static void visit_next(struct stor_lc *lc);

/* The versions of the object visited: res (taken; NULL: none), ordered newest first once. */
static void set_versions(struct stor_lc *lc, cn_list_result_t *res)
{
    const cn_list_entry_t **ents;

    if (lc->versions != NULL)
        cn_list_result_free(lc->versions);
    cn_free(lc->ord);
    lc->versions = res;
    lc->ord = NULL;
    lc->nord = res != NULL ? cn_list_result_count(res) : 0;
    if (lc->nord == 0)
        return;
    ents = cn_calloc(lc->nord, sizeof(*ents));
    lc->ord = cn_calloc(lc->nord, sizeof(*lc->ord));
    for (size_t i = 0; i < lc->nord; i++)
        ents[i] = cn_list_result_at(res, i);
    cn_ver_order(ents, lc->nord, lc->ord);
    cn_free(ents);
}

static void maybe_free(struct stor_lc *lc)
{
    if (!lc->stopping || !lc->timer_closed || lc->pending > 0 || lc->jobs > 0)
        return;
    set_versions(lc, NULL);
    cn_buf_dispose(&lc->cursor);
    cn_buf_dispose(&lc->batch);
    cn_buf_dispose(&lc->obj);
    cn_buf_dispose(&lc->batch_last);
    cn_buf_dispose(&lc->cur_key);
    cn_buf_dispose(&lc->done_key);
    lc->magic = 0;
    cn_free(lc);
}

static void call_done(struct stor_lc *lc)
{
    if (--lc->pending > 0)
        return;
    if (lc->stopping)
        maybe_free(lc);
    else
        visit_next(lc);
}

/* What to do once a call answers. */
enum lc_then {
    THEN_NOTHING = 0,
    THEN_CHUNKS,               /* delete the chunks of the manifest kept in body */
    THEN_PREV_CHUNKS,          /* delete the chunks of what the put replaced (prev_body) */
    THEN_PART,                 /* a part record was read: delete it, then its chunks */
    THEN_PARTS,                /* an upload marker was deleted: list its parts everywhere */
};

struct lc_call {
    struct stor_lc *lc;
    uint64_t *counter;         /* counted on success (NULL: none) */
    enum lc_then then;
    cn_buf_t body;             /* THEN_CHUNKS: the manifest; THEN_PART, THEN_PARTS: the key */
};

static void delete_chunks(struct stor_lc *lc, const void *man, size_t len);
static void list_parts(struct stor_lc *lc, cn_slice_t marker);
static void call(struct stor_lc *lc, cn_msg_t *m, uint64_t *counter, enum lc_then then,
                 const void *data, size_t len);

static cn_msg_t *delete_msg(cn_slice_t key)
{
    cn_msg_t *m = cn_msg_new(CN_OP_DELETE);

    cn_msg_set_bytes(m, "key", key.ptr, key.len);
    return m;
}

static void then(struct stor_lc *lc, const struct lc_call *c, const cn_msg_t *resp)
{
    cn_slice_t b;
    uint64_t pflags = 0;

    switch (c->then) {
    case THEN_NOTHING:
        break;
    case THEN_CHUNKS:
        delete_chunks(lc, c->body.data, c->body.len);
        break;
    case THEN_PREV_CHUNKS:
        if (cn_msg_get_u64(resp, "prev_flags", &pflags) == 0 && (pflags & CN_OBJ_MANIFEST) &&
            !(pflags & CN_OBJ_TOMBSTONE) && cn_msg_get_bytes(resp, "prev_body", &b) == 0)
            delete_chunks(lc, b.ptr, b.len);
        break;
    case THEN_PART:
        b = cn_msg_body(resp);
        call(lc, delete_msg(cn_slice(c->body.data, c->body.len)), NULL, THEN_CHUNKS,
             b.ptr ? b.ptr : "", b.len);
        break;
    case THEN_PARTS:
        list_parts(lc, cn_slice(c->body.data, c->body.len));
        break;
    }
}

static void on_call(int status, cn_msg_t *resp, void *arg)
{
    struct lc_call *c = arg;
    struct stor_lc *lc = c->lc;
    int rc = status != 0 ? status : cn_msg_rc(resp);

    if (rc == 0) {
        if (c->counter != NULL)
            (*c->counter)++;
        if (!lc->stopping)
            then(lc, c, resp);
    } else if (rc != CN_ECOND && rc != CN_ENOENT) {
        /* CN_ECOND: the object changed since it was read; the next pass decides again */
        lc->st.errors++;
        CN_LOG(rc == CN_EPERM ? CN_LOG_INFO : CN_LOG_WARN, "lifecycle: a %s failed: %s%s",
               resp ? cn_msg_op(resp) : "call", cn_strerror(rc),
               rc == CN_EPERM ? " (the version is locked)" : "");
    }
    if (resp != NULL)
        cn_msg_free(resp);
    cn_buf_dispose(&c->body);
    cn_free(c);
    call_done(lc);
}

/* Sends m to this node as a client would (it coordinates); counter counted on success, then
 * what then says, with data. */
static void call(struct stor_lc *lc, cn_msg_t *m, uint64_t *counter, enum lc_then then_do,
                 const void *data, size_t len)
{
    struct lc_call *c = cn_calloc(1, sizeof(*c));

    c->lc = lc;
    c->counter = counter;
    c->then = then_do;
    cn_buf_init(&c->body);
    if (data != NULL)
        cn_buf_append(&c->body, data, len);
    lc->pending++;
    if (stor_peer_call(lc->s, stor_self(lc->s), m, LC_CALL_MS, on_call, c) != 0) {
        lc->st.errors++;
        cn_buf_dispose(&c->body);
        cn_free(c);
        lc->pending--;
    }
}

static void delete_chunks(struct stor_lc *lc, const void *man, size_t len)
{
    cn_manifest_t m;
    cn_buf_t k;

    if (cn_manifest_decode(man, len, &m) != 0) {
        lc->st.errors++;
        return;
    }
    cn_buf_init(&k);
    for (size_t i = 0; i < m.nsegs; i++)
        for (uint64_t j = 0; j < cn_manifest_seg_chunks(&m.segs[i]); j++)
            for (unsigned r = 0; r < cn_manifest_seg_records(&m.segs[i]); r++) {
                cn_manifest_record_key(&m.segs[i], j, r, &k); /* its record or fragments */
                call(lc, delete_msg(cn_slice(k.data, k.len)), NULL, THEN_NOTHING, NULL, 0);
            }
    cn_buf_dispose(&k);
    cn_manifest_dispose(&m);
}

/* ---- an object's versions: decide and act ------------------------------------------------ */

/* A delete marker put at key with clock, on condition that the object's latest version still
 * has etag (a group If-Match). */
static cn_msg_t *marker_msg(cn_slice_t key, uint64_t clock, const char *etag)
{
    cn_msg_t *m = cn_msg_new(CN_OP_PUT);
    cn_wcond_t c = {0};

    cn_msg_set_bytes(m, "key", key.ptr, key.len);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "etag", "");
    cn_msg_set_bytes(m, "meta", "", 0); /* no owner: the bucket's owner's, as S3's are */
    cn_msg_set_u64(m, "flags", CN_OBJ_DELETE_MARKER);
    cn_msg_set_u64(m, "want_prev", 1);
    c.has_if_match = 1;
    snprintf(c.if_match, sizeof(c.if_match), "%s", etag);
    c.group = 1;
    cn_wcond_to_msg(&c, m);
    return m;
}

/* The current version e expires. */
static void expire_current(struct stor_lc *lc, const cn_list_entry_t *e, const void *man,
                           size_t man_len)
{
    cn_slice_t obj = cn_slice(lc->obj.data, lc->obj.len);

    if (lc->bucket->versioning == STOR_VER_OFF) {
        cn_msg_t *m = delete_msg(e->key);
        cn_wcond_t c = {0};

        c.has_if_match = 1;
        snprintf(c.if_match, sizeof(c.if_match), "%s", e->etag);
        cn_wcond_to_msg(&c, m);
        call(lc, m, &lc->st.expired, man ? THEN_CHUNKS : THEN_NOTHING, man, man_len);
    } else if (lc->bucket->versioning == STOR_VER_ENABLED) {
        uint64_t clock = cn_hlc_next();
        char id[CN_VER_ID_LEN + 1];
        cn_buf_t key;

        cn_ver_id_make(clock, id);
        cn_buf_init(&key);
        cn_ver_key(&key, obj.ptr, obj.len, id, strlen(id));
        call(lc, marker_msg(cn_slice(key.data, key.len), clock, e->etag), &lc->st.expired,
             THEN_NOTHING, NULL, 0);
        cn_buf_dispose(&key);
    } else {
        /* Suspended: the null version becomes the marker; what it replaced goes */
        call(lc, marker_msg(obj, cn_hlc_next(), e->etag), &lc->st.expired, THEN_PREV_CHUNKS,
             NULL, 0);
    }
}

/* The lifecycle's view of entry i of the versions ordered newest first (ord). */
static void lc_object(const cn_list_entry_t *const *ord, size_t n, size_t i, cn_lc_object_t *o)
{
    const cn_list_entry_t *e = ord[i];
    const char *slash = memchr(e->key.ptr, '/', e->key.len);
    size_t base = cn_ver_base_len(e->key);
    cn_slice_t tags = {0};
    unsigned newer = 0;

    memset(o, 0, sizeof(*o));
    o->key = slash + 1;
    o->key_len = base - (size_t)(slash + 1 - e->key.ptr);
    o->size = e->size;
    if (cn_list_entry_meta(e, LC_TAGS, &tags) == 1) {
        o->tags = tags.ptr;
        o->tags_len = tags.len;
    }
    o->mtime_ms = e->mtime_ms;
    o->is_latest = i == 0;
    o->is_delete_marker = (e->flags & CN_OBJ_DELETE_MARKER) != 0;
    o->only_version = n == 1;
    if (i > 0) {
        o->noncurrent_since_ms = ord[i - 1]->mtime_ms;
        for (size_t j = 1; j < i; j++)
            newer += !(ord[j]->flags & CN_OBJ_DELETE_MARKER);
        o->newer_noncurrent = newer;
    }
}

struct manifest_read {
    struct stor_lc *lc;
    const cn_list_entry_t *e;  /* the version (in lc->versions, kept until the visit ends) */
    cn_lc_action_t action;
};

static void act(struct stor_lc *lc, const cn_list_entry_t *e, cn_lc_action_t a,
                const void *man, size_t len);

static void on_manifest(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct manifest_read *r = arg;
    struct stor_lc *lc = r->lc;

    (void)s;
    if (!lc->stopping) {
        int man = v->rc == 0 && (v->m.flags & CN_OBJ_MANIFEST) && !(v->m.flags & CN_OBJ_TOMBSTONE);
        act(lc, r->e, r->action, man ? v->body.data : NULL, man ? v->body.len : 0);
    }
    stor_version_dispose(v);
    cn_free(v);
    cn_free(r);
    call_done(lc);
}

static void act(struct stor_lc *lc, const cn_list_entry_t *e, cn_lc_action_t a,
                const void *man, size_t len)
{
    if (a == CN_LC_EXPIRE_CURRENT)
        expire_current(lc, e, man, len);
    else if (a == CN_LC_DELETE_VERSION)
        call(lc, delete_msg(e->key), &lc->st.versions_deleted, man ? THEN_CHUNKS : THEN_NOTHING,
             man, len);
    else if (a == CN_LC_DELETE_MARKER)
        call(lc, delete_msg(e->key), &lc->st.markers_deleted, THEN_NOTHING, NULL, 0);
}

/* Decides every version of the object visited; the actions run, then visit_next. */
static void decide_object(struct stor_lc *lc)
{
    uint64_t now = cn_now_ms();
    const cn_list_entry_t **ord = lc->ord;
    size_t n = lc->nord;

    lc->pending++; /* held while deciding */
    for (size_t i = 0; i < n; i++) {
        cn_lc_object_t o;
        cn_lc_action_t a;

        lc_object(ord, n, i, &o);
        a = cn_lc_decide(lc->bucket->lifecycle, &o, now, day_ms(lc->s));
        if (a == CN_LC_KEEP)
            continue;
        if (a == CN_LC_DELETE_MARKER || (ord[i]->flags & CN_OBJ_DELETE_MARKER) ||
            !(ord[i]->flags & CN_OBJ_MANIFEST) ||
            (a == CN_LC_EXPIRE_CURRENT && lc->bucket->versioning != STOR_VER_OFF)) {
            act(lc, ord[i], a, NULL, 0); /* nothing to clean after it (or the reply says) */
            continue;
        }
        /* a chunked version goes: read its manifest first, its chunks go after it */
        struct manifest_read *r = cn_malloc(sizeof(*r));
        r->lc = lc;
        r->e = ord[i];
        r->action = a;
        lc->pending++;
        stor_local_read(lc->s, ord[i]->key, 1, 0, UINT64_MAX, on_manifest, r);
    }
    call_done(lc);
}

/* ---- an upload marker past DaysAfterInitiation ------------------------------------------- */

static void on_parts(int status, cn_msg_t *resp, void *arg)
{
    struct stor_lc *lc = arg;
    cn_list_result_t *res = NULL;
    cn_slice_t b;

    if (status == 0 && cn_msg_rc(resp) == 0) {
        b = cn_msg_body(resp);
        if (cn_list_decode(b.ptr ? b.ptr : "", b.len, &res) == 0) {
            for (size_t i = 0; i < cn_list_result_count(res); i++) {
                const cn_list_entry_t *e = cn_list_result_at(res, i);
                cn_msg_t *g = cn_msg_new(CN_OP_GET);

                /* the part record's body is its chunks' manifest: read it, then both go */
                cn_msg_set_bytes(g, "key", e->key.ptr, e->key.len);
                call(lc, g, NULL, THEN_PART, e->key.ptr, e->key.len);
            }
            cn_list_result_free(res);
        }
    }
    if (resp != NULL)
        cn_msg_free(resp);
    call_done(lc);
}

/* The parts of the upload whose marker was deleted: "\x01p/<bucket>/<key>/<id>/...", which
 * the ring spreads over every node: each lists its own. */
static void list_parts(struct stor_lc *lc, cn_slice_t marker)
{
    const cn_ring_t *r = lc->s->ring_cur;
    cn_buf_t pfx;

    if (r == NULL)
        return;
    cn_buf_init(&pfx);
    cn_buf_append(&pfx, LC_PART_PREFIX, 3);
    cn_buf_append(&pfx, marker.ptr + 3, marker.len - 3);
    cn_buf_append(&pfx, "/", 1);
    for (size_t i = 0; i < cn_ring_node_count(r); i++) {
        cn_msg_t *m = cn_msg_new(CN_OP_LIST);

        cn_msg_set_bytes(m, "prefix", pfx.data, pfx.len);
        cn_msg_set_u64(m, "max_keys", LC_GROUP_MAX);
        lc->pending++;
        if (stor_peer_call(lc->s, cn_ring_node_at(r, i)->name, m, LC_CALL_MS, on_parts, lc) != 0)
            lc->pending--;
    }
    cn_buf_dispose(&pfx);
}

/* The key part of an upload marker "\x01u/<bucket>/<key>/<id>", or ptr NULL. */
static cn_slice_t upload_key(cn_slice_t marker)
{
    const char *b = memchr(marker.ptr + 3, '/', marker.len - 3);
    const char *end = marker.ptr + marker.len, *id = end;

    while (id > marker.ptr && id[-1] != '/')
        id--;
    if (b == NULL || id - 1 <= b)
        return cn_slice(NULL, 0);
    return cn_slice(b + 1, (size_t)(id - 1 - (b + 1)));
}

static void on_marker(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct stor_lc *lc = arg;
    cn_slice_t marker = cn_slice(lc->obj.data, lc->obj.len), key = upload_key(marker);

    (void)s;
    if (!lc->stopping && v->rc == 0 && !(v->m.flags & CN_OBJ_TOMBSTONE) && key.ptr != NULL &&
        cn_lc_abort_upload(lc->bucket->lifecycle, key.ptr, key.len, v->m.mtime_ms, cn_now_ms(),
                           day_ms(lc->s))) {
        /* only the marker as it was read (a marker has no ETag: its write time says which):
         * a Complete that replaced it meanwhile wins */
        cn_msg_t *m = delete_msg(marker);
        cn_wcond_t c = {0};

        c.has_if_mtime = 1;
        c.if_mtime_s = v->m.mtime_ms / 1000;
        cn_wcond_to_msg(&c, m);
        call(lc, m, &lc->st.uploads_aborted, THEN_PARTS, marker.ptr, marker.len);
    }
    stor_version_dispose(v);
    cn_free(v);
    call_done(lc);
}

/* ---- a visit -------------------------------------------------------------------------- */

struct group_job {
    struct stor_lc *lc;
    uv_work_t work;
    cn_buf_t out;
    int rc, truncated;
};

static void run_group(uv_work_t *w)
{
    struct group_job *j = w->data;
    struct stor_lc *lc = j->lc;

    j->rc = stor_engine_list(lc->s->engine, cn_slice(lc->obj.data, lc->obj.len),
                             cn_slice("", 0), LC_GROUP_MAX, cn_slice("", 0), STOR_LIST_GROUP,
                             cn_slice(LC_TAGS, strlen(LC_TAGS)), &j->out, &j->truncated);
}

static void group_done(uv_work_t *w, int status)
{
    struct group_job *j = w->data;
    struct stor_lc *lc = j->lc;
    cn_list_result_t *res = NULL;

    lc->jobs--;
    if (lc->stopping) {
        lc->pending--;
        cn_buf_dispose(&j->out);
        cn_free(j);
        maybe_free(lc);
        return;
    }
    if (status != 0 || j->rc != 0)
        lc->st.errors++;
    else if (cn_list_decode(j->out.data ? j->out.data : "", j->out.len, &res) != 0)
        res = NULL;
    set_versions(lc, res);
    cn_buf_dispose(&j->out);
    cn_free(j);
    /* the visit ends when the last of its actions answers (the job's pending count, taken
     * when it was queued, is the visit's own) */
    if (lc->nord > 0)
        decide_object(lc);
    call_done(lc);
}

/* Visits the next entry of the batch; the batch's end saves the position. */
static void visit_next(struct stor_lc *lc)
{
    struct stor_server *s = lc->s;

    if (lc->stopping)
        return;
    if (lc->cur_key.len > 0) { /* the entry visited before is finished */
        cn_buf_reset(&lc->done_key);
        cn_buf_append(&lc->done_key, lc->cur_key.data, lc->cur_key.len);
        cn_buf_reset(&lc->cur_key);
    }
    while (lc->batch_off < lc->batch.len && lc->budget >= 1) {
        char kind = lc->batch.data[lc->batch_off];
        uint32_t kl;
        cn_slice_t key;

        memcpy(&kl, lc->batch.data + lc->batch_off + 1, sizeof(kl));
        key = cn_slice(lc->batch.data + lc->batch_off + 1 + sizeof(kl), kl);
        lc->batch_off += 1 + sizeof(kl) + kl;
        lc->budget -= 1;
        lc->st.visited++;
        cn_buf_reset(&lc->cur_key);
        cn_buf_append(&lc->cur_key, key.ptr, key.len);
        if (s->ring_cur == NULL || s->ring_prev != NULL)
            continue; /* a rebalance: the owners are moving, the next pass decides */
        if ((lc->bucket = rules_of(s, kind == LC_UPLOAD ? cn_slice(key.ptr + 3, key.len - 3)
                                                        : key)) == NULL)
            continue;
        cn_buf_reset(&lc->obj);
        cn_buf_append(&lc->obj, key.ptr, key.len);
        if (kind == LC_UPLOAD) {
            lc->pending++;
            stor_local_read(s, key, 0, 0, UINT64_MAX, on_marker, lc);
            return;
        }
        struct group_job *j = cn_calloc(1, sizeof(*j));
        j->lc = lc;
        j->work.data = j;
        cn_buf_init(&j->out);
        lc->jobs++;
        /* pending from now: a tick meanwhile must not start the next visit, whose reset of
         * lc->obj would race with this job's read of it (found by scripts/test-tsan) */
        lc->pending++;
        cn_work_queue(s->loop, &j->work, run_group, group_done, "lifecycle group");
        return;
    }
    if (lc->batch_off < lc->batch.len)
        return; /* out of budget: the next tick goes on */
    /* the batch is done: the next one starts after it */
    cn_buf_reset(&lc->cur_key);
    cn_buf_reset(&lc->done_key);
    cn_buf_reset(&lc->cursor);
    cn_buf_append(&lc->cursor, lc->batch_last.data ? lc->batch_last.data : "", lc->batch_last.len);
    save_key(lc, &lc->cursor);
    if (!lc->batch_more) {
        lc->st.passes++;
        lc->last_pass_ms = cn_now_ms();
        lc->next_pass_ms = lc->pass_started_ms + lc->s->conf->lc_interval_ms;
        lc->pass_started_ms = 0;
        cn_buf_reset(&lc->cursor);
        save_key(lc, &lc->cursor);
    }
    lc->busy = 0;
}

/* ---- the scan -------------------------------------------------------------------------- */

struct scan_job {
    struct stor_lc *lc;
    uv_work_t work;
    cn_buf_t start;            /* the cursor when it started */
    char (*names)[STOR_BUCKET_NAME_MAX + 2]; /* "bucket/" of the buckets with rules */
    size_t nnames;
    cn_buf_t out;              /* kind, u32 length, key: the objects and uploads */
    cn_buf_t last;             /* the last index key seen */
    cn_buf_t prev_obj;
    int more, rc;
    uint64_t scanned;
};

static int has_rules(const struct scan_job *j, cn_slice_t key)
{
    for (size_t i = 0; i < j->nnames; i++) {
        size_t n = strlen(j->names[i]);
        if (key.len > n && memcmp(key.ptr, j->names[i], n) == 0)
            return 1;
    }
    return 0;
}

static void out_add(struct scan_job *j, char kind, cn_slice_t key)
{
    uint32_t kl = (uint32_t)key.len;

    cn_buf_append(&j->out, &kind, 1);
    cn_buf_append(&j->out, &kl, sizeof(kl));
    cn_buf_append(&j->out, key.ptr, key.len);
}

static int scan_one(void *arg, cn_slice_t key, const stor_obj_meta_t *m)
{
    struct scan_job *j = arg;

    j->scanned++;
    cn_buf_reset(&j->last);
    cn_buf_append(&j->last, key.ptr, key.len);
    if (m->flags & CN_OBJ_TOMBSTONE)
        return 0;
    if (key.len > 3 && memcmp(key.ptr, LC_UPLOAD_PREFIX, 3) == 0) {
        cn_slice_t rest = cn_slice(key.ptr + 3, key.len - 3);
        if (has_rules(j, rest))
            out_add(j, LC_UPLOAD, key);
        return 0;
    }
    if (key.ptr[0] == '\x01' || !has_rules(j, key))
        return 0;
    cn_slice_t obj = obj_part(key);
    if (j->prev_obj.len == obj.len && memcmp(j->prev_obj.data, obj.ptr, obj.len) == 0)
        return 0; /* a version of the object just added */
    cn_buf_reset(&j->prev_obj);
    cn_buf_append(&j->prev_obj, obj.ptr, obj.len);
    out_add(j, LC_OBJECT, obj);
    return 0;
}

static void run_scan(uv_work_t *w)
{
    struct scan_job *j = w->data;

    j->rc = stor_engine_scan(j->lc->s->engine,
                             cn_slice(j->start.data ? j->start.data : "", j->start.len),
                             LC_SCAN_BATCH, scan_one, j, &j->more);
}

static void scan_done(uv_work_t *w, int status)
{
    struct scan_job *j = w->data;
    struct stor_lc *lc = j->lc;
    struct stor_server *s = lc->s;
    size_t off = 0;

    lc->jobs--;
    if (lc->stopping) {
        status = CN_ECANCELED; /* nothing more is started: only freed below */
        lc->busy = 1;
    }
    cn_buf_reset(&lc->batch);
    lc->batch_off = 0;
    lc->batch_more = status == 0 && j->rc >= 0 && j->more;
    if (status != 0 || j->rc < 0) {
        lc->st.errors += !lc->stopping;
        lc->busy = 0;
    } else {
        lc->st.scanned += j->scanned;
        cn_buf_reset(&lc->batch_last);
        cn_buf_append(&lc->batch_last, j->last.data ? j->last.data : "", j->last.len);
        /* keep what this node is the first owner of (an upload's marker, by its own key) */
        while (off < j->out.len) {
            uint32_t kl;
            memcpy(&kl, j->out.data + off + 1, sizeof(kl));
            cn_slice_t key = cn_slice(j->out.data + off + 1 + sizeof(kl), kl);
            if (s->ring_cur != NULL && first_owner_is_self(s, key))
                cn_buf_append(&lc->batch, j->out.data + off, 1 + sizeof(kl) + kl);
            off += 1 + sizeof(kl) + kl;
        }
        visit_next(lc);
    }
    cn_free(j->names);
    cn_buf_dispose(&j->start);
    cn_buf_dispose(&j->out);
    cn_buf_dispose(&j->last);
    cn_buf_dispose(&j->prev_obj);
    cn_free(j);
    maybe_free(lc);
}

static void scan_start(struct stor_lc *lc)
{
    struct stor_server *s = lc->s;
    struct scan_job *j = cn_calloc(1, sizeof(*j));

    j->lc = lc;
    j->work.data = j;
    cn_buf_init(&j->start);
    cn_buf_init(&j->out);
    cn_buf_init(&j->last);
    cn_buf_init(&j->prev_obj);
    cn_buf_append(&j->start, lc->cursor.data ? lc->cursor.data : "", lc->cursor.len);
    j->names = cn_calloc(s->buckets.n + 1, sizeof(*j->names));
    for (size_t i = 0; i < s->buckets.n; i++)
        if (s->buckets.v[i].lifecycle != NULL)
            snprintf(j->names[j->nnames++], sizeof(j->names[0]), "%s/", s->buckets.v[i].name);
    lc->busy = 1;
    lc->jobs++;
    cn_work_queue(s->loop, &j->work, run_scan, scan_done, "lifecycle scan");
}

static int any_rules(const struct stor_server *s)
{
    for (size_t i = 0; i < s->buckets.n; i++)
        if (s->buckets.v[i].lifecycle != NULL)
            return 1;
    return 0;
}

static void on_tick(uv_timer_t *t)
{
    struct stor_lc *lc = t->data;
    struct stor_server *s = lc->s;
    double cap = (double)s->conf->lc_rate;

    CN_CHECK_OBJ(lc, STOR_LC_MAGIC);
    lc->budget += (double)s->conf->lc_rate * LC_TICK_MS / 1000.0;
    if (lc->budget > cap)
        lc->budget = cap;
    if (lc->busy) {
        if (lc->pending == 0 && lc->batch_off < lc->batch.len)
            visit_next(lc); /* a batch waiting for budget */
        return;
    }
    if (s->ring_cur == NULL || !any_rules(s))
        return;
    if (lc->pass_started_ms == 0) {
        if (cn_now_ms() < lc->next_pass_ms)
            return;
        lc->pass_started_ms = cn_now_ms();
    }
    scan_start(lc);
}

/* ---- start, stop, status ---------------------------------------------------------------- */

int stor_lc_start(struct stor_server *s)
{
    struct stor_lc *lc = cn_calloc(1, sizeof(*lc));

    lc->magic = STOR_LC_MAGIC;
    lc->s = s;
    cn_buf_init(&lc->cursor);
    cn_buf_init(&lc->batch);
    cn_buf_init(&lc->obj);
    cn_buf_init(&lc->batch_last);
    cn_buf_init(&lc->cur_key);
    cn_buf_init(&lc->done_key);
    stor_repair_q_rec_foreach(s, LC_REC, load_cursor, lc);
    if (lc->cursor.len > 0) {
        lc->pass_started_ms = cn_now_ms(); /* resumes the pass it was in */
        CN_LOG(CN_LOG_INFO, "lifecycle: resuming a pass after %.*s", (int)lc->cursor.len,
               lc->cursor.data);
    }
    uv_timer_init(s->loop, &lc->timer);
    lc->timer.data = lc;
    uv_timer_start(&lc->timer, on_tick, LC_TICK_MS, LC_TICK_MS);
    uv_unref((uv_handle_t *)&lc->timer);
    s->lc = lc;
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct stor_lc *lc = h->data;

    lc->timer_closed = 1;
    maybe_free(lc);
}

void stor_lc_stop(struct stor_server *s)
{
    struct stor_lc *lc = s->lc;

    if (lc == NULL)
        return;
    s->lc = NULL;
    lc->stopping = 1; /* what is out comes back to nothing and frees it last */
    if (lc->pass_started_ms != 0)
        save_cursor(lc);
    uv_timer_stop(&lc->timer);
    uv_close((uv_handle_t *)&lc->timer, on_timer_closed);
}

void stor_lc_stats(const struct stor_server *s, stor_lc_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (s->lc == NULL)
        return;
    *out = s->lc->st;
    out->running = s->lc->pass_started_ms != 0;
    out->last_pass_ms = s->lc->last_pass_ms;
    out->cursor_len = s->lc->cursor.len;
}
