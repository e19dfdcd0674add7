/*
 * storage/engine/replay.c: crash recovery of the container engine: on open, before any other thread
 * touches the engine, each container's log is replayed into the index. (Recovery between
 * nodes, recover_file/recover_node and the rebalance walk, is storage/cluster/recoverer.c.)
 *
 * For each container: scan the records past its checkpoint (all of them for a full rebuild
 * or when the checkpoint belongs to another generation), index every good one whose clock
 * is newer than what the index holds (last writer wins, tombstones included), and cut what
 * cannot be read: a torn tail (a partial record at the end) or a bad record with no good
 * record after it. A bad stretch followed by good records is skipped, never cut, so that a
 * flipped byte cannot take acked records with it. Every cut or skip is logged as a WARN.
 */
#include "storage/engine/cengine.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

/* Indexes one record when it is newer than the entry. */
static int apply(struct cengine *ce, stor_container_t *c, const stor_rec_hdr_t *h,
                 cn_slice_t key, cn_slice_t meta, uint64_t off, uint64_t next, uint64_t *n)
{
    stor_index_batch_t *b;
    stor_ientry_t e;
    cn_buf_t val;
    int rc;

    cn_buf_init(&val);
    rc = stor_index_get(ce->ix, key, &e, &val);
    if (rc == 0 && e.clock >= h->clock && !(e.cid == c->cid && e.gen != c->gen)) {
        rc = 0;
        goto out;
    }
    if (rc != 0 && rc != CN_ENOENT && rc != CN_ECORRUPT)
        goto out;
    memset(&e, 0, sizeof(e));
    e.cid = c->cid;
    e.gen = c->gen;
    e.off = off;
    e.flags = h->flags & ~CN_OBJ_JOURNALED;
    e.clock = h->clock;
    e.size = h->obj_size;
    e.body_len = h->body_len;
    e.mtime_ms = h->mtime_ms;
    memcpy(e.etag, h->etag, sizeof(e.etag));
    e.meta = meta;
    b = stor_index_batch_new();
    stor_index_batch_put(b, key, &e);
    if (h->flags & CN_OBJ_JOURNALED) /* its journal entry may not have reached the disk */
        stor_index_batch_journal(b, ++ce->jseq, key, e.clock, e.flags);
    stor_index_batch_checkpoint(b, c->cid, c->gen, next);
    rc = stor_index_batch_write(ce->ix, b, 0);
    stor_index_batch_free(b);
    (*n)++;
out:
    cn_buf_dispose(&val);
    return rc;
}

int stor__replay(struct cengine *ce, stor_container_t *c, int full)
{
    stor_index_batch_t *b;
    stor_scan_t s;
    stor_rec_hdr_t h;
    cn_slice_t key, meta, body;
    uint64_t from = STOR_SB_SIZE, ck_off, rec_off, indexed = 0, seen = 0;
    uint32_t ck_gen;
    int rc;

    rc = stor_index_checkpoint_get(ce->ix, c->cid, &ck_gen, &ck_off);
    if (rc == 0 && !full) {
        if (ck_gen != c->gen) {
            CN_LOG(CN_LOG_WARN, "container=%s gen=%u checkpoint_gen=%u: checkpoint of another "
                   "generation, re-reading the whole container", c->path, c->gen, ck_gen);
        } else if (ck_off > c->tail) {
            CN_LOG(CN_LOG_WARN, "container=%s checkpoint=%" PRIu64 " size=%" PRIu64 ": file "
                   "shorter than its checkpoint, re-reading the whole container", c->path,
                   ck_off, c->tail);
        } else {
            from = ck_off;
        }
    } else if (rc != 0 && rc != CN_ENOENT) {
        return rc;
    }
    stor_scan_init(&s, c->fd, from, c->tail);
    for (;;) {
        rc = stor_scan_next(&s, &h, &key, &meta, &body, &rec_off);
        if (rc == 1) {
            seen++;
            if ((rc = apply(ce, c, &h, key, meta, rec_off, s.off, &indexed)) != 0)
                goto out;
            continue;
        }
        if (rc == 0)
            break;
        if (rc == CN_ECORRUPT) {
            uint64_t bad = s.off;

            if (stor_scan_resync(&s) == 1) {
                CN_LOG(CN_LOG_WARN, "container=%s off=%" PRIu64 " bytes=%" PRIu64 ": corrupt "
                       "record(s) skipped, good records follow", c->path, bad, s.off - bad);
                continue;
            }
        }
        if (rc == CN_ECORRUPT || rc == CN_EAGAIN) {
            CN_LOG(CN_LOG_WARN, "container=%s off=%" PRIu64 " bytes=%" PRIu64 ": %s tail cut",
                   c->path, s.off, c->tail - s.off, rc == CN_EAGAIN ? "torn" : "corrupt");
            if (ftruncate(c->fd, (off_t)s.off) != 0 || fdatasync(c->fd) != 0) {
                rc = -errno;
                goto out;
            }
            c->tail = s.off;
            break;
        }
        goto out; /* a read error */
    }
    b = stor_index_batch_new();
    stor_index_batch_checkpoint(b, c->cid, c->gen, c->tail);
    rc = stor_index_batch_write(ce->ix, b, 1);
    stor_index_batch_free(b);
    if (seen > 0)
        CN_LOG(CN_LOG_INFO, "container=%s from=%" PRIu64 " records=%" PRIu64 " indexed=%" PRIu64
               ": recovered", c->path, from, seen, indexed);
out:
    stor_scan_dispose(&s);
    if (rc != 0)
        CN_LOG(CN_LOG_ERROR, "container=%s rc=%s: recovery failed", c->path, cn_strerror(rc));
    return rc;
}
