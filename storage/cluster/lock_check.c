/*
 * storage/cluster/lock_check.c: object lock on the storage side (issue 18; common/objlock.h).
 *
 * The coordinator of a delete decides, once, for every copy: before it sends the tombstone
 * anywhere, it reads the key's current version on its read set (its own copy and the other
 * owners', as a conditional write does: enough of them that every acked write is among those
 * read, stor_cond_need) and refuses with CN_EPERM when the newest live version's lock
 * forbids the delete. Replication, read repair, hinted handoff, rebalance and recovery then
 * carry only decisions already made, as they carry any last-writer-wins outcome, and never
 * judge again. Writers that are not coordinated by a client's request (the delete-bucket job
 * of the admin API) ask stor_lock_guard on their own copy before each write: a locked
 * version is kept and counted.
 *
 * Internal keys ("\x01...": chunks, parts, upload markers) hold no lock and are not checked:
 * a large object's chunk deletes cost nothing more; nor are the keys of a bucket this node's
 * bucket table says has no Object Lock (storage/buckets.h: a bucket gets it at creation
 * only), so only deletes in lock buckets, or in buckets newer than the table, pay the read.
 *
 * Threads: stor_lock_check on the main loop (its callbacks too); stor_lock_guard on an engine
 * thread.
 */
#include "storage/cluster/cluster.h"

#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/objlock.h"
#include "common/proto.h"

#define STOR_LOCKCHK_MAGIC 0x534c434bu /* "SLCK" */

struct stor_lock_check {
    uint32_t magic;
    struct stor_server *s;
    cn_buf_t key;
    stor_owners_t owners;      /* cur owners: whose answers count */
    int bypass;
    stor_version_t *local;
    stor_lock_done_fn cb;
    void *arg;
};

int stor_lock_applies(const struct stor_server *s, cn_slice_t key)
{
    const char *slash;
    const stor_bucket_t *b;

    if (key.len == 0 || key.ptr[0] == '\x01')
        return 0;
    /* a bucket this node knows without Object Lock cannot hold a locked version (a bucket
     * gets it at creation only): its deletes skip the read. Unknown (a table older than the
     * bucket): checked. */
    slash = memchr(key.ptr, '/', key.len);
    b = slash ? stor_buckets_find(&s->buckets, key.ptr, (size_t)(slash - key.ptr)) : NULL;
    return b == NULL || b->object_lock;
}

/* CN_EPERM when v (a live version, not a delete marker) is locked against a delete. */
static int version_refuses(const stor_version_t *v, int bypass, uint64_t now_ms)
{
    cn_lock_t l;

    if (v == NULL || (v->m.flags & (CN_OBJ_TOMBSTONE | CN_OBJ_DELETE_MARKER)))
        return 0;
    cn_lock_from_meta(v->meta.data ? v->meta.data : "", v->meta.len, &l); /* unreadable: held */
    return cn_lock_allows(&l, NULL, 0, bypass, now_ms);
}

static void check_finish(struct stor_lock_check *h, int rc)
{
    h->cb(h->s, rc, h->arg);
    if (h->local != NULL) {
        stor_version_dispose(h->local);
        cn_free(h->local);
    }
    cn_buf_dispose(&h->key);
    h->magic = 0;
    cn_free(h);
}

static void on_gather(stor_gather_t *g, void *arg)
{
    struct stor_lock_check *h = arg;
    struct stor_server *s = h->s;
    const stor_version_t *best = NULL;
    size_t answered = 0;
    int rc;

    CN_CHECK_OBJ(h, STOR_LOCKCHK_MAGIC);
    best = stor_gather_newest(s, &h->owners, h->local, g, &answered);
    if (answered < stor_cond_need(s, h->owners.n)) {
        /* the version that might be locked could be on the owners that did not answer */
        CN_LOG(CN_LOG_WARN, "key=%.*s answered=%zu need=%zu: delete refused, too few owners "
               "answered to know whether its version is locked", (int)h->key.len, h->key.data,
               answered, stor_cond_need(s, h->owners.n));
        rc = CN_EUNAVAIL;
    } else if ((rc = version_refuses(best, h->bypass, cn_now_ms())) != 0) {
        CN_LOG(CN_LOG_INFO, "key=%.*s: delete refused, the version is locked (object lock)",
               (int)h->key.len, h->key.data);
    }
    if (g != NULL)
        stor_gather_free(g);
    check_finish(h, rc);
}

static void on_local(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct stor_lock_check *h = arg;

    CN_CHECK_OBJ(h, STOR_LOCKCHK_MAGIC);
    h->local = v;
    stor_gather_heads(s, cn_slice(h->key.data, h->key.len), on_gather, h);
}

void stor_lock_check(struct stor_server *s, cn_slice_t key, const stor_owners_t *owners,
                     int bypass, stor_lock_done_fn cb, void *arg)
{
    struct stor_lock_check *h = cn_calloc(1, sizeof(*h));

    h->magic = STOR_LOCKCHK_MAGIC;
    h->s = s;
    h->owners = *owners;
    h->bypass = bypass;
    h->cb = cb;
    h->arg = arg;
    cn_buf_init(&h->key);
    cn_buf_append(&h->key, key.ptr, key.len);
    stor_local_read(s, key, 0, 0, UINT64_MAX, on_local, h);
}

int stor_lock_guard(stor_engine_t *e, cn_slice_t key)
{
    stor_version_t v;
    int rc;

    if (key.len == 0 || key.ptr[0] == '\x01')
        return 0;
    stor_version_init(&v);
    stor_version_read(e, key, 0, 0, 0, &v);
    rc = v.rc == 0 ? version_refuses(&v, 0, cn_now_ms()) : 0;
    stor_version_dispose(&v);
    return rc;
}
