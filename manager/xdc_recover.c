/*
 * manager/xdc_recover.c: recover-cluster (the design is in manager/xdc_recover.h): a
 * cluster's range_hash (every running storage node's answer added up), its requeue (keys
 * spread over the running nodes), and the comparison job on a thread of its own.
 * Invariants: the job's figures only grow while it runs; state goes running -> done or
 * failed once, under s->lock, and the thread touches nothing of s after that. A finished
 * thread is joined by the next start or by mgr_xdc_recover_stop.
 */
#include "manager/xdc_recover.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "manager/clusters.h"
#include "manager/manager.h"
#include "manager/watch.h"

#define XRC_MAGIC 0x58524352u       /* "XRCR" */
#define XRC_SOP_RANGE_HASH "range_hash"
#define XRC_NODES_MAX 256
#define XRC_NODE_CALL_MS 60000      /* a range_hash page walks up to max_scan entries */
#define XRC_LINK_CALL_MS 300000     /* the remote walks its whole cluster for one answer */
#define XRC_PAGE_MAX 10000          /* versions of one list page */
#define XRC_QUEUE_BYTES (1u << 20)  /* keys of one xdc_requeue at most */
#define XRC_KIND (CN_OBJ_TOMBSTONE | CN_OBJ_DELETE_MARKER)

struct mgr_xdc_recover {
    uint32_t magic;
    struct mgr_server *s;
    pthread_t th;
    int joinable, stop;
    char remote[MGR_CLUSTER_ID_LEN + 1];
    char bucket[256];
    char state[12];                 /* running, done, failed */
    char error[512];
    uint64_t started_ms, finished_ms;
    uint64_t compared, differed, listed, queued_here, queued_there;
};

/* ---- a whole cluster's answers ---------------------------------------------------------- */

/* The running storage nodes' names; how many. CN_EBUSY while a rebalance moves keys (ring
 * prev: the first owners are not settled, docs/PROTOCOL.md). */
static int running_nodes(struct mgr_server *s, char (*names)[CN_RING_NAME_MAX], size_t *n)
{
    int rc = 0;

    *n = 0;
    pthread_mutex_lock(&s->lock);
    if (s->ring_prev != NULL)
        rc = CN_EBUSY;
    for (size_t i = 0; rc == 0 && i < s->members.n && *n < XRC_NODES_MAX; i++)
        if (strcmp(s->members.v[i].type, CN_NODE_STORAGE) == 0 &&
            strcmp(s->members.v[i].state, MGR_STATE_RUNNING) == 0)
            snprintf(names[(*n)++], CN_RING_NAME_MAX, "%s", s->members.v[i].name);
    pthread_mutex_unlock(&s->lock);
    return rc == 0 && *n == 0 ? CN_EAGAIN : rc;
}

/* One node's pages into sum or list. */
static int rh_node(struct mgr_server *s, const char *node, const struct mgr_rh_q *q,
                   cn_rh_summary_t *sum, cn_buf_t *list, char *why, size_t whylen)
{
    cn_buf_t after;
    uint64_t truncated = 1;
    int rc = 0;

    cn_buf_init(&after);
    while (rc == 0 && truncated) {
        cn_msg_t *req = cn_msg_new(XRC_SOP_RANGE_HASH), *resp = NULL;
        cn_slice_t body, next;

        cn_msg_set_bytes(req, "prefix", q->prefix.ptr, q->prefix.len);
        cn_msg_set_u64(req, "depth", q->range.depth);
        cn_msg_set_u64(req, "hash_prefix", q->range.value);
        cn_msg_set_u64(req, "bits", q->bits);
        cn_msg_set_u64(req, "list", (uint64_t)q->list);
        if (q->list)
            cn_msg_set_u64(req, "max", XRC_PAGE_MAX);
        if (q->select.len > 0)
            cn_msg_set_bytes(req, "select", q->select.ptr, q->select.len);
        if (after.len > 0)
            cn_msg_set_bytes(req, "start_after", after.data, after.len);
        if ((rc = mgr_node_call(s, node, req, XRC_NODE_CALL_MS, &resp, why, whylen)) != 0)
            break;
        if ((rc = cn_msg_rc(resp)) != 0) {
            snprintf(why, whylen, "range_hash on %s: %s", node, cn_strerror(rc));
        } else {
            body = cn_msg_body(resp);
            if (list != NULL && list->len + body.len > MGR_XRC_LIST_BYTES) {
                rc = CN_E2BIG;
                snprintf(why, whylen, "a list of more than %u bytes", MGR_XRC_LIST_BYTES);
            } else if (list != NULL) {
                cn_buf_append(list, body.ptr, body.len);
            } else if ((rc = cn_rh_summary_decode_add(sum, body.ptr, body.len)) != 0) {
                snprintf(why, whylen, "range_hash on %s: the summary does not decode", node);
            }
            truncated = 0;
            if (rc == 0 && cn_msg_opt_u64(resp, "truncated", 0, &truncated) == 0 && truncated) {
                if (cn_msg_get_bytes(resp, "next", &next) != 0 || next.len == 0) {
                    rc = CN_ECORRUPT;
                    snprintf(why, whylen, "range_hash on %s: truncated without next", node);
                } else {
                    cn_buf_reset(&after);
                    cn_buf_append(&after, next.ptr, next.len);
                }
            }
        }
        cn_msg_free(resp);
    }
    cn_buf_dispose(&after);
    return rc;
}

int mgr_xdc_rh_cluster(struct mgr_server *s, const struct mgr_rh_q *q, cn_rh_summary_t *sum,
                       cn_buf_t *list, char *why, size_t whylen)
{
    char(*names)[CN_RING_NAME_MAX] = cn_malloc(XRC_NODES_MAX * sizeof(*names));
    size_t n;
    int rc;

    if ((rc = running_nodes(s, names, &n)) != 0)
        snprintf(why, whylen, "%s", rc == CN_EBUSY ? "a rebalance is moving keys: run it after"
                                                   : "no running storage node");
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = rh_node(s, names[i], q, q->list ? NULL : sum, q->list ? list : NULL, why, whylen);
    cn_free(names);
    return rc;
}

/* The length of the key at keys[off] (u16le len | key), or 0 when the bytes are not one. */
static size_t key_at(cn_slice_t keys, size_t off)
{
    size_t n;

    if (keys.len - off < 2)
        return 0;
    n = cn_get_u16le(keys.ptr + off);
    return n > 0 && keys.len - off - 2 >= n ? n : 0;
}

int mgr_xdc_requeue_cluster(struct mgr_server *s, cn_slice_t keys, uint64_t *queued, char *why,
                            size_t whylen)
{
    char(*names)[CN_RING_NAME_MAX] = cn_malloc(XRC_NODES_MAX * sizeof(*names));
    size_t n, off = 0, turn = 0;
    int rc;

    *queued = 0;
    if ((rc = running_nodes(s, names, &n)) == CN_EBUSY)
        rc = 0; /* a requeue needs no settled owners: any node's sender reads the newest */
    if (rc == 0 && n == 0)
        rc = CN_EAGAIN;
    if (rc != 0)
        snprintf(why, whylen, "no running storage node");
    while (rc == 0 && off < keys.len) {
        size_t start = off, count = 0, k;

        while (off < keys.len && count < CN_XDC_REQUEUE_MAX && off - start < XRC_QUEUE_BYTES &&
               (k = key_at(keys, off)) > 0) {
            off += 2 + k;
            count++;
        }
        if (count == 0) {
            rc = CN_EINVAL;
            snprintf(why, whylen, "keys: byte %zu is not a key", off);
            break;
        }
        /* the next node takes each batch; one that fails passes it on */
        rc = CN_EAGAIN;
        for (size_t t = 0; t < n && rc != 0; t++) {
            cn_msg_t *req = cn_msg_new(CN_OP_XDC_REQUEUE), *resp = NULL;
            const char *node = names[turn++ % n];
            uint64_t q = 0;

            cn_msg_set_bytes(req, "keys", keys.ptr + start, off - start);
            if ((rc = mgr_node_call(s, node, req, XRC_NODE_CALL_MS, &resp, why, whylen)) == 0 &&
                (rc = cn_msg_rc(resp)) != 0)
                snprintf(why, whylen, "xdc_requeue on %s: %s", node, cn_strerror(rc));
            if (rc == 0 && cn_msg_get_u64(resp, "queued", &q) == 0)
                *queued += q;
            cn_msg_free(resp);
        }
    }
    cn_free(names);
    return rc;
}

/* ---- the comparison job ------------------------------------------------------------------ */

struct item {
    cn_slice_t key;
    uint64_t clock;
    uint32_t flags;
};

/* The job thread's own state (the figures are in the shared struct). */
struct job {
    struct mgr_xdc_recover *x;
    struct mgr_server *s;
    char remote[MGR_CLUSTER_ID_LEN + 1];
    cn_buf_t prefix;
    cn_buf_t here, there;           /* keys to queue, (u16le len | key)* */
    size_t nhere, nthere;
    char why[512];
};

/* Adds to a figure under the lock; 1 when the job is asked to stop. */
static int progress(struct job *j, uint64_t *field, uint64_t add)
{
    int stop;

    pthread_mutex_lock(&j->s->lock);
    if (field != NULL)
        *field += add;
    stop = j->x->stop;
    pthread_mutex_unlock(&j->s->lock);
    return stop;
}

/* A link op to the remote's leader: 0 with *resp (rc 0), or an error (j->why). */
static int remote_call(struct job *j, cn_msg_t *req, cn_msg_t **resp)
{
    const char *op = cn_msg_op(req);
    char what[32], e[256] = "";
    int rc;

    snprintf(what, sizeof(what), "%s", op);
    if ((rc = mgr_xdc_call_sync(j->s, j->remote, req, XRC_LINK_CALL_MS, resp, j->why,
                                sizeof(j->why))) != 0)
        return rc;
    if ((rc = cn_msg_rc(*resp)) != 0) {
        cn_msg_get_str(*resp, "error", e, sizeof(e));
        snprintf(j->why, sizeof(j->why), "%s on cluster %s: %s%s%s", what, j->remote,
                 cn_strerror(rc), e[0] ? ": " : "", e);
        cn_msg_free(*resp);
        *resp = NULL;
    }
    return rc;
}

static int flush_here(struct job *j)
{
    uint64_t q = 0;
    int rc;

    if (j->nhere == 0)
        return 0;
    rc = mgr_xdc_requeue_cluster(j->s, cn_slice(j->here.data, j->here.len), &q, j->why,
                                 sizeof(j->why));
    progress(j, &j->x->queued_here, q);
    cn_buf_reset(&j->here);
    j->nhere = 0;
    return rc;
}

static int flush_there(struct job *j)
{
    cn_msg_t *req, *resp = NULL;
    uint64_t q = 0;
    int rc;

    if (j->nthere == 0)
        return 0;
    req = cn_msg_new(CN_OP_XDC_REQUEUE);
    cn_msg_set_bytes(req, "keys", j->there.data, j->there.len);
    rc = remote_call(j, req, &resp);
    if (rc == 0 && cn_msg_get_u64(resp, "queued", &q) == 0)
        progress(j, &j->x->queued_there, q);
    cn_msg_free(resp);
    cn_buf_reset(&j->there);
    j->nthere = 0;
    return rc;
}

/* Queues key on one side (here: this cluster's senders), flushing a full batch. */
static int queue_key(struct job *j, int here, cn_slice_t key)
{
    cn_buf_t *b = here ? &j->here : &j->there;
    size_t *n = here ? &j->nhere : &j->nthere;
    uint8_t l[2];

    cn_put_u16le(l, (uint16_t)key.len);
    cn_buf_append(b, l, sizeof(l));
    cn_buf_append(b, key.ptr, key.len);
    if (++*n < CN_XDC_REQUEUE_MAX && b->len < XRC_QUEUE_BYTES)
        return 0;
    return here ? flush_here(j) : flush_there(j);
}

static int item_cmp(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
    int c = memcmp(x->key.ptr, y->key.ptr, n);

    if (c != 0)
        return c;
    if (x->key.len != y->key.len)
        return x->key.len < y->key.len ? -1 : 1;
    return (x->clock < y->clock) - (x->clock > y->clock); /* the newest first */
}

/* The versions of a list wire form, sorted by key (newest first within a key). */
static int items_of(cn_slice_t list, struct item **out, size_t *n)
{
    size_t off = 0, cap = 0;
    cn_rh_item_t it;
    int rc;

    *out = NULL;
    *n = 0;
    while ((rc = cn_rh_list_next(list.ptr, list.len, &off, &it)) == 1) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            *out = cn_realloc(*out, cap * sizeof(**out));
        }
        (*out)[(*n)++] = (struct item){it.key, it.clock, it.flags};
    }
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), item_cmp);
    return rc;
}

static int same_key(const struct item *a, const struct item *b)
{
    return a->key.len == b->key.len && memcmp(a->key.ptr, b->key.ptr, a->key.len) == 0;
}

/* Merges the two sides' lists and queues what differs. */
static int diff_lists(struct job *j, cn_slice_t mine, cn_slice_t theirs)
{
    struct item *a = NULL, *b = NULL;
    size_t na, nb, i = 0, k = 0;
    int rc;

    if ((rc = items_of(mine, &a, &na)) != 0 || (rc = items_of(theirs, &b, &nb)) != 0) {
        snprintf(j->why, sizeof(j->why), "a list does not decode");
        goto out;
    }
    progress(j, &j->x->listed, na + nb);
    while (rc == 0 && (i < na || k < nb)) {
        int c = i == na ? 1 : k == nb ? -1 : item_cmp(&(struct item){a[i].key, 0, 0},
                                                      &(struct item){b[k].key, 0, 0});
        const struct item *x = c <= 0 ? &a[i] : NULL, *y = c >= 0 ? &b[k] : NULL;

        if (y == NULL || (x != NULL && x->clock > y->clock))
            rc = queue_key(j, 1, x->key); /* newer here, or only here */
        else if (x == NULL || y->clock > x->clock)
            rc = queue_key(j, 0, y->key); /* newer there, or only there */
        else if ((x->flags & XRC_KIND) != (y->flags & XRC_KIND) &&
                 (rc = queue_key(j, 1, x->key)) == 0)
            rc = queue_key(j, 0, y->key); /* a tie no clock breaks: both ways */
        /* past every version of this key on each side (a key counted twice: the newest) */
        for (const struct item *p = x ? x : y; i < na && same_key(&a[i], p);)
            i++;
        for (const struct item *p = y ? y : x; k < nb && same_key(&b[k], p);)
            k++;
    }
out:
    cn_free(a);
    cn_free(b);
    return rc;
}

/* The versions of the children of r in sel on both sides, compared. */
static int list_both(struct job *j, cn_rh_range_t r, uint32_t bits, const uint8_t *sel)
{
    struct mgr_rh_q q = {.prefix = cn_slice(j->prefix.data, j->prefix.len), .range = r,
                         .bits = bits, .list = 1,
                         .select = cn_slice((const char *)sel, cn_rh_select_len(bits))};
    cn_msg_t *req = cn_msg_new(CN_OP_XDC_RANGE_HASH), *resp = NULL;
    cn_buf_t mine;
    int rc;

    cn_buf_init(&mine);
    if ((rc = mgr_xdc_rh_cluster(j->s, &q, NULL, &mine, j->why, sizeof(j->why))) != 0) {
        cn_msg_free(req);
        goto out;
    }
    cn_msg_set_bytes(req, "prefix", q.prefix.ptr, q.prefix.len);
    cn_msg_set_u64(req, "depth", r.depth);
    cn_msg_set_u64(req, "hash_prefix", r.value);
    cn_msg_set_u64(req, "bits", bits);
    cn_msg_set_u64(req, "list", 1);
    cn_msg_set_bytes(req, "select", sel, cn_rh_select_len(bits));
    if ((rc = remote_call(j, req, &resp)) != 0)
        goto out;
    rc = diff_lists(j, cn_slice(mine.data ? mine.data : "", mine.len), cn_msg_body(resp));
out:
    cn_msg_free(resp);
    cn_buf_dispose(&mine);
    return rc;
}

/* Both sides' summaries of r split into 2^bits children: 0 with mine and theirs filled. */
static int summarize(struct job *j, cn_rh_range_t r, uint32_t bits, cn_rh_summary_t *mine,
                     cn_rh_summary_t *theirs)
{
    struct mgr_rh_q q = {.prefix = cn_slice(j->prefix.data, j->prefix.len), .range = r,
                         .bits = bits};
    cn_msg_t *req, *resp = NULL;
    cn_slice_t body;
    int rc;

    if ((rc = cn_rh_summary_init(mine, r, bits)) != 0 ||
        (rc = cn_rh_summary_init(theirs, r, bits)) != 0)
        return rc;
    if ((rc = mgr_xdc_rh_cluster(j->s, &q, mine, NULL, j->why, sizeof(j->why))) != 0)
        return rc;
    req = cn_msg_new(CN_OP_XDC_RANGE_HASH);
    cn_msg_set_bytes(req, "prefix", q.prefix.ptr, q.prefix.len);
    cn_msg_set_u64(req, "depth", r.depth);
    cn_msg_set_u64(req, "hash_prefix", r.value);
    cn_msg_set_u64(req, "bits", bits);
    if ((rc = remote_call(j, req, &resp)) != 0)
        return rc;
    body = cn_msg_body(resp);
    if ((rc = cn_rh_summary_decode_add(theirs, body.ptr, body.len)) != 0)
        snprintf(j->why, sizeof(j->why), "cluster %s's summary does not decode", j->remote);
    cn_msg_free(resp);
    return rc;
}

/* Compares range r: lists the small children that differ, returns the big ones in *push
 * (*npush of them, the caller's array of 2^bits). */
static int compare(struct job *j, cn_rh_range_t r, cn_rh_range_t *push, size_t *npush)
{
    uint32_t bits = CN_RH_MAX_DEPTH - r.depth < MGR_XRC_BITS ? CN_RH_MAX_DEPTH - r.depth
                                                              : MGR_XRC_BITS;
    cn_rh_summary_t mine = {0}, theirs = {0};
    uint8_t *sel = NULL;
    uint32_t *diff = NULL;
    size_t nd = 0, nonempty = 0, selected = 0;
    int rc;

    *npush = 0;
    if ((rc = summarize(j, r, bits, &mine, &theirs)) != 0)
        goto out;
    for (size_t i = 0; i < mine.n; i++)
        nonempty += mine.child[i].count > 0 || theirs.child[i].count > 0;
    cn_rh_summary_diff(&mine, &theirs, NULL, 0, &nd);
    diff = cn_malloc((nd ? nd : 1) * sizeof(*diff));
    cn_rh_summary_diff(&mine, &theirs, diff, nd, &nd);
    progress(j, &j->x->compared, nonempty);
    if (progress(j, &j->x->differed, nd)) {
        rc = CN_ECANCELED;
        goto out;
    }
    sel = cn_calloc(1, cn_rh_select_len(bits));
    for (size_t d = 0; rc == 0 && d < nd; d++) {
        uint64_t a = mine.child[diff[d]].count, b = theirs.child[diff[d]].count;
        uint64_t cnt = a > b ? a : b;

        if (cnt > MGR_XRC_LIST_MAX && r.depth + 2 * bits <= CN_RH_MAX_DEPTH) {
            push[(*npush)++] = cn_rh_range_child(r, bits, diff[d]);
            continue;
        }
        if (selected > 0 && selected + cnt > MGR_XRC_LIST_BATCH) {
            rc = list_both(j, r, bits, sel);
            memset(sel, 0, cn_rh_select_len(bits));
            selected = 0;
        }
        cn_rh_select_set(sel, diff[d]);
        selected += cnt;
    }
    if (rc == 0 && selected > 0)
        rc = list_both(j, r, bits, sel);
out:
    cn_free(sel);
    cn_free(diff);
    if (mine.magic != 0)
        cn_rh_summary_dispose(&mine);
    if (theirs.magic != 0)
        cn_rh_summary_dispose(&theirs);
    return rc;
}

/* Before comparing: every running node drops its needs-recover alarm for the remote (what
 * its journal skipped before now is what this run compares and queues; a skip while it runs
 * raises the alarm again). A node that does not answer keeps its alarm: logged, not fatal. */
static void clear_alarms(struct job *j)
{
    char(*names)[CN_RING_NAME_MAX] = cn_malloc(XRC_NODES_MAX * sizeof(*names));
    char why[256];
    size_t n = 0;

    running_nodes(j->s, names, &n);
    for (size_t i = 0; i < n; i++) {
        cn_msg_t *req = cn_msg_new(CN_OP_XDC_REQUEUE), *resp = NULL;
        int rc;

        cn_msg_set_bytes(req, "keys", "", 0);
        cn_msg_set_str(req, "clear_alarm", j->remote);
        if ((rc = mgr_node_call(j->s, names[i], req, XRC_NODE_CALL_MS, &resp, why,
                                sizeof(why))) == 0)
            rc = cn_msg_rc(resp);
        if (rc != 0)
            CN_LOG(CN_LOG_WARN, "node=%s rc=%s: recover-cluster could not clear its alarm for "
                   "%s", names[i], cn_strerror(rc), j->remote);
        cn_msg_free(resp);
    }
    cn_free(names);
}

/* Depth first from the root: at most 64 / MGR_XRC_BITS levels of 2^MGR_XRC_BITS ranges. */
static int run(struct job *j)
{
    size_t fan = (size_t)1 << MGR_XRC_BITS, cap = fan, n = 1;
    cn_rh_range_t *stack = cn_malloc(cap * sizeof(*stack)), *push = cn_malloc(fan * sizeof(*push));
    int rc = 0;

    clear_alarms(j);
    stack[0] = (cn_rh_range_t){0, 0};
    while (rc == 0 && n > 0) {
        cn_rh_range_t r = stack[--n];
        size_t np;

        if ((rc = compare(j, r, push, &np)) != 0)
            break;
        if (n + np > cap) {
            cap = n + np;
            stack = cn_realloc(stack, cap * sizeof(*stack));
        }
        memcpy(stack + n, push, np * sizeof(*push));
        n += np;
    }
    if (rc == 0)
        rc = flush_here(j);
    if (rc == 0)
        rc = flush_there(j);
    cn_free(stack);
    cn_free(push);
    return rc;
}

static void *job_main(void *arg)
{
    struct mgr_xdc_recover *x = arg;
    struct job j = {.x = x, .s = x->s};
    int rc;

    CN_CHECK_OBJ(x, XRC_MAGIC);
    pthread_mutex_lock(&j.s->lock);
    snprintf(j.remote, sizeof(j.remote), "%s", x->remote);
    cn_buf_init(&j.prefix);
    if (x->bucket[0] != '\0')
        cn_buf_appendf(&j.prefix, "%s/", x->bucket);
    pthread_mutex_unlock(&j.s->lock);
    cn_buf_init(&j.here);
    cn_buf_init(&j.there);
    rc = run(&j);
    pthread_mutex_lock(&j.s->lock);
    x->finished_ms = cn_now_ms();
    snprintf(x->state, sizeof(x->state), "%s", rc == 0 ? "done" : "failed");
    if (rc != 0)
        snprintf(x->error, sizeof(x->error), "%s", rc == CN_ECANCELED ? "stopped" : j.why);
    CN_LOG(rc == 0 ? CN_LOG_INFO : CN_LOG_WARN,
           "cluster=%s bucket=%s state=%s compared=%" PRIu64 " differed=%" PRIu64
           " listed=%" PRIu64 " queued_here=%" PRIu64 " queued_there=%" PRIu64 " error=%s: "
           "recover-cluster finished", x->remote, x->bucket[0] ? x->bucket : "*", x->state,
           x->compared, x->differed, x->listed, x->queued_here, x->queued_there, x->error);
    pthread_mutex_unlock(&j.s->lock);
    cn_buf_dispose(&j.prefix);
    cn_buf_dispose(&j.here);
    cn_buf_dispose(&j.there);
    return NULL;
}

int mgr_xdc_recover_start(struct mgr_server *s, const char *remote, const char *bucket,
                          char *why, size_t whylen)
{
    struct mgr_xdc_recover *x = s->xrecover;
    int rc;

    if (x != NULL && strcmp(x->state, "running") == 0) {
        snprintf(why, whylen, "a recover-cluster toward %s is running (since %" PRIu64 " ms)",
                 x->remote, cn_now_ms() - x->started_ms);
        return CN_EBUSY;
    }
    if (x == NULL) {
        x = s->xrecover = cn_calloc(1, sizeof(*x));
        x->magic = XRC_MAGIC;
        x->s = s;
    }
    if (x->joinable)
        pthread_join(x->th, NULL); /* finished: it touches nothing after its last unlock */
    x->joinable = 0;
    x->stop = 0;
    snprintf(x->remote, sizeof(x->remote), "%s", remote);
    snprintf(x->bucket, sizeof(x->bucket), "%s", bucket ? bucket : "");
    snprintf(x->state, sizeof(x->state), "running");
    x->error[0] = '\0';
    x->started_ms = cn_now_ms();
    x->finished_ms = 0;
    x->compared = x->differed = x->listed = x->queued_here = x->queued_there = 0;
    if ((rc = pthread_create(&x->th, NULL, job_main, x)) != 0) {
        snprintf(x->state, sizeof(x->state), "failed");
        snprintf(why, whylen, "cannot start a thread: %s", cn_strerror(-rc));
        snprintf(x->error, sizeof(x->error), "%s", why);
        return -rc;
    }
    x->joinable = 1;
    CN_LOG(CN_LOG_INFO, "cluster=%s bucket=%s: recover-cluster started", remote,
           x->bucket[0] ? x->bucket : "*");
    return 0;
}

json_t *mgr_xdc_recover_json(struct mgr_server *s, const char *remote)
{
    const struct mgr_xdc_recover *x = s->xrecover;
    uint64_t end;

    if (x == NULL || strcmp(x->remote, remote) != 0)
        return NULL;
    end = x->finished_ms ? x->finished_ms : cn_now_ms();
    return json_pack("{s:s, s:s?, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "remote",
                     x->remote, "bucket", x->bucket[0] ? x->bucket : NULL, "state", x->state,
                     "error", x->error[0] ? x->error : NULL, "ranges_compared",
                     (json_int_t)x->compared, "ranges_differed", (json_int_t)x->differed,
                     "keys_listed", (json_int_t)x->listed, "queued_here",
                     (json_int_t)x->queued_here, "queued_there", (json_int_t)x->queued_there,
                     "started_ms", (json_int_t)x->started_ms, "finished_ms",
                     (json_int_t)x->finished_ms, "seconds",
                     (double)(end - x->started_ms) / 1000.0);
}

void mgr_xdc_recover_stop(struct mgr_server *s)
{
    struct mgr_xdc_recover *x;
    int joinable;

    pthread_mutex_lock(&s->lock);
    x = s->xrecover;
    if (x != NULL)
        x->stop = 1;
    joinable = x != NULL && x->joinable;
    pthread_mutex_unlock(&s->lock);
    if (x == NULL)
        return;
    if (joinable)
        pthread_join(x->th, NULL);
    pthread_mutex_lock(&s->lock);
    s->xrecover = NULL;
    pthread_mutex_unlock(&s->lock);
    x->magic = 0;
    cn_free(x);
}
