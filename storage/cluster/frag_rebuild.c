/*
 * storage/cluster/frag_rebuild.c: the storage side of erasure coding (issue 21).
 *
 * A fragment is an ordinary record under its fragment key (common/ec_key.h), and the ring
 * gives that key one owner, owner i of its chunk's row, so the rebalance walk, hinted handoff
 * and the repair queue place it by key as they place any record. What a replicated key has
 * and a fragment has not is a second copy to repair from: a lost or corrupt fragment is
 * rebuilt from K of its chunk's other fragments. That is this file:
 *   stor_frag_rebuild    reads the chunk's other fragments (from their owners on ring cur,
 *                        and on prev during a rebalance; this node's own locally), keeps the
 *                        good ones (header and payload CRC32C, chunk id, code, index) of the
 *                        newest write that has K of them, and decodes the one fragment
 *                        (ISA-L: cn_ec_decode builds only the lost buffer). A tombstone newer
 *                        than that write (the chunk was deleted) is the answer instead, so a
 *                        repair never brings a deleted chunk back. The repair queue's worker
 *                        calls it where a replicated key's repair would read the other
 *                        owners' copies (repair_q.c, fetch_others).
 *   frag_handoff (op)    {key, target}: a gateway whose coded write reached its quorum but
 *                        not every owner hands each missing fragment here, to the chunk
 *                        key's first live owner; the answer waits until the repair entry
 *                        (key, target) is persistent, so no acked chunk depends on the
 *                        gateway (ec_chunk.h).
 *   stor_frag_recover_targets  recover_node's part: which missing fragments this node
 *                        rebuilds for a node that lost its disk.
 *   stor_frag_queue_object  recover_file's part: an erasure-coded object's every fragment is
 *                        queued for its owner (the entry checks it there, rebuilds when it is
 *                        missing, older or corrupt).
 * Threads: main loop only; local reads go to the thread pool (stor_local_read).
 */
#include "storage/cluster/cluster.h"

#include <string.h>

#include "common/ec.h"
#include "common/ec_frag.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/manifest.h"
#include "common/log.h"
#include "common/mem.h"

#define FRAG_RB_MAGIC 0x46524231u /* "FRB1" */
#define FRAG_ASK_MAX (2 * CN_EC_MAX_FRAGS) /* each sibling on its cur and its prev owner */

struct rb_call;

struct frag_rb {
    uint32_t magic;
    struct stor_server *s;
    cn_buf_t key;              /* the fragment to rebuild */
    cn_frag_key_t fk;
    uint8_t id[CN_FRAG_ID_LEN];
    size_t n, pending;
    struct rb_call {
        struct frag_rb *rb;
        unsigned index;        /* the sibling asked */
        stor_version_t v;
    } calls[FRAG_ASK_MAX];
    stor_read_cb cb;
    void *arg;
};

static void rb_free(struct frag_rb *rb)
{
    for (size_t i = 0; i < rb->n; i++)
        stor_version_dispose(&rb->calls[i].v);
    cn_buf_dispose(&rb->key);
    rb->magic = 0;
    cn_free(rb);
}

/* A good fragment of this chunk in c (its header into *h, its payload into *p), or 0. */
static int good_frag(const struct frag_rb *rb, const struct rb_call *c, cn_frag_hdr_t *h,
                     const uint8_t **p)
{
    if (c->v.rc != 0 || (c->v.m.flags & CN_OBJ_TOMBSTONE))
        return 0;
    return cn_frag_decode(c->v.body.data, c->v.body.len, h, p) == 0 && h->index == c->index &&
           h->k == rb->fk.k && h->m == rb->fk.m &&
           memcmp(h->chunk_id, rb->id, sizeof(rb->id)) == 0;
}

/* Every sibling answered: the newest write with K good fragments, decoded; or a newer
 * tombstone; or nothing. */
static void rb_finish(struct frag_rb *rb)
{
    unsigned k = rb->fk.k, n = rb->fk.k + rb->fk.m;
    const uint8_t *payload[FRAG_ASK_MAX];
    cn_frag_hdr_t hdr[FRAG_ASK_MAX];
    uint8_t ok[FRAG_ASK_MAX];
    int best, tomb = -1, found = 0, failed = 0;
    stor_version_t *out = cn_calloc(1, sizeof(*out));

    stor_version_init(out);
    for (size_t i = 0; i < rb->n; i++) {
        const stor_version_t *v = &rb->calls[i].v;

        ok[i] = (uint8_t)good_frag(rb, &rb->calls[i], &hdr[i], &payload[i]);
        found |= v->rc == 0;
        failed |= v->rc != 0 && v->rc != CN_ENOENT && v->rc != CN_ECORRUPT;
        if (v->rc == 0 && (v->m.flags & CN_OBJ_TOMBSTONE) &&
            (tomb < 0 || v->m.clock > rb->calls[tomb].v.m.clock))
            tomb = (int)i;
    }
    best = cn_frag_pick_write(hdr, ok, rb->n, k);
    if (tomb >= 0 && (best < 0 || rb->calls[tomb].v.m.clock >= rb->calls[best].v.m.clock)) {
        /* deleted: the tombstone is what the target must hold */
        const stor_version_t *t = &rb->calls[tomb].v;

        out->rc = 0;
        out->m = t->m;
        out->m.meta = cn_slice(NULL, 0);
    } else if (best < 0) {
        out->rc = found || failed ? CN_EUNAVAIL : CN_ENOENT;
        rb->s->frag_rebuild_failed += out->rc == CN_EUNAVAIL;
        if (found)
            CN_LOG(CN_LOG_WARN, "fragment %.*s: fewer than %u good fragments of its chunk "
                   "answered: cannot rebuild it yet", (int)rb->fk.chunk_len, rb->key.data + 1,
                   k);
    } else {
        uint8_t *frags[CN_EC_MAX_FRAGS] = {0};
        uint8_t present[CN_EC_MAX_FRAGS] = {0};
        uint64_t flen = hdr[best].payload_len;
        cn_frag_hdr_t h = hdr[best];
        cn_ec_t *ec;
        int rc;

        for (size_t j = 0; j < rb->n; j++)
            if (ok[j] && cn_frag_same_chunk(&hdr[j], &hdr[best]) && !present[hdr[j].index]) {
                present[hdr[j].index] = 1;
                frags[hdr[j].index] = (uint8_t *)payload[j]; /* read only (cn_ec_decode) */
            }
        cn_buf_reset(&out->body);
        cn_buf_reserve(&out->body, CN_FRAG_HDR_LEN + flen);
        out->body.len = CN_FRAG_HDR_LEN + flen;
        frags[rb->fk.index] = (uint8_t *)out->body.data + CN_FRAG_HDR_LEN;
        for (unsigned i = 0; i < n; i++)
            if (!present[i] && i != rb->fk.index)
                frags[i] = NULL; /* not wanted */
        if ((rc = cn_ec_create(k, rb->fk.m, &ec)) == 0) {
            rc = cn_ec_decode(ec, frags, present, flen);
            cn_ec_destroy(ec);
        }
        if (rc != 0) {
            out->rc = CN_EUNAVAIL;
            rb->s->frag_rebuild_failed++;
        } else {
            rb->s->frag_rebuilt++;
            h.index = rb->fk.index;
            cn_frag_encode(&h, frags[rb->fk.index], (uint8_t *)out->body.data);
            out->rc = 0;
            out->m = rb->calls[best].v.m; /* the write's clock and mtime */
            out->m.meta = cn_slice(NULL, 0);
            out->m.size = out->body.len;
            CN_LOG(CN_LOG_INFO, "fragment %u of %.*s rebuilt from %u+%u", rb->fk.index,
                   (int)rb->fk.chunk_len, rb->key.data + 1, k, rb->fk.m);
        }
    }
    rb->cb(rb->s, out, rb->arg);
    rb_free(rb);
}

static void rb_settle(struct frag_rb *rb)
{
    if (--rb->pending == 0)
        rb_finish(rb);
}

static void on_peer(int status, cn_msg_t *resp, void *arg)
{
    struct rb_call *c = arg;

    CN_CHECK_OBJ(c->rb, FRAG_RB_MAGIC);
    stor_version_from_msg(&c->v, status, resp);
    cn_msg_free(resp);
    rb_settle(c->rb);
}

static void on_self(struct stor_server *s, stor_version_t *v, void *arg)
{
    struct rb_call *c = arg;

    (void)s;
    CN_CHECK_OBJ(c->rb, FRAG_RB_MAGIC);
    stor_version_dispose(&c->v);
    c->v = *v; /* takes its buffers */
    if (c->v.rc == 0)
        c->v.m.meta = cn_slice(c->v.meta.data, c->v.meta.len);
    cn_free(v);
    rb_settle(c->rb);
}

void stor_frag_rebuild(struct stor_server *s, cn_slice_t key, stor_read_cb cb, void *arg)
{
    struct frag_rb *rb = cn_calloc(1, sizeof(*rb));
    cn_buf_t sk;

    rb->magic = FRAG_RB_MAGIC;
    rb->s = s;
    rb->cb = cb;
    rb->arg = arg;
    cn_buf_init(&rb->key);
    cn_buf_append(&rb->key, key.ptr, key.len);
    CN_ASSERT(cn_frag_key_parse(key.ptr, key.len, &rb->fk));
    cn_frag_chunk_id(key.ptr, rb->fk.chunk_len, rb->id);
    cn_buf_init(&sk);
    rb->pending = 1; /* held while asking */
    for (unsigned i = 0; i < (unsigned)rb->fk.k + rb->fk.m; i++) {
        stor_owners_t at;

        if (i == rb->fk.index)
            continue;
        cn_frag_key(key.ptr, rb->fk.chunk_len, rb->fk.k, rb->fk.m, i, &sk);
        stor_read_set(s, cn_slice(sk.data, sk.len), NULL, NULL, &at);
        for (size_t j = 0; j < at.n && rb->n < FRAG_ASK_MAX; j++) {
            struct rb_call *c = &rb->calls[rb->n++];

            c->rb = rb;
            c->index = i;
            stor_version_init(&c->v);
            rb->pending++;
            if (strcmp(at.name[j], stor_self(s)) == 0) {
                stor_local_read(s, cn_slice(sk.data, sk.len), 1, 0, UINT64_MAX, on_self, c);
                continue;
            }
            cn_msg_t *req = cn_msg_new(CN_OP_GET);
            cn_msg_set_bytes(req, "key", sk.data, sk.len);
            cn_msg_set_u64(req, "replica", 1);
            if ((c->v.rc = stor_peer_call(s, at.name[j], req, s->conf->repl_timeout_ms,
                                          on_peer, c)) != 0)
                rb->pending--;
        }
    }
    cn_buf_dispose(&sk);
    rb_settle(rb);
}

/* ---- frag_handoff ------------------------------------------------------------------- */

struct handoff {
    cn_rpc_conn_t *conn;
    cn_msg_t *req;
};

static void on_handoff_persisted(void *arg, int rc)
{
    struct handoff *h = arg;
    cn_msg_t *resp = cn_msg_new(STOR_OP_FRAG_HANDOFF);

    cn_msg_set_rc(resp, rc);
    cn_rpc_reply(h->conn, h->req, resp);
    cn_free(h);
}

int stor_frag_rpc(struct stor_server *s, cn_rpc_conn_t *conn, cn_msg_t *req)
{
    cn_slice_t key;
    char target[STOR_NAME_MAX];
    struct handoff *h;
    int rc;

    if (strcmp(cn_msg_op(req), STOR_OP_FRAG_HANDOFF) != 0)
        return 0;
    h = cn_malloc(sizeof(*h));
    h->conn = conn;
    h->req = req;
    if (cn_msg_get_bytes(req, "key", &key) != 0 || !cn_frag_key_parse(key.ptr, key.len, NULL) ||
        cn_msg_get_str(req, "target", target, sizeof(target)) != 0 ||
        !stor_peer_known(s, target)) {
        on_handoff_persisted(h, CN_EINVAL);
        return 1;
    }
    rc = stor_repair_q_push_cb(s, key, target, STOR_R_REPLICATE, on_handoff_persisted, h);
    if (rc <= 0) /* 0: already persistent; < 0: refused */
        on_handoff_persisted(h, rc);
    else
        CN_LOG(CN_LOG_DEBUG, "fragment %.*s handed over for %s by %s", (int)key.len,
               key.ptr + 1, target, cn_rpc_conn_peer(conn));
    return 1;
}

/* ---- recover_file ------------------------------------------------------------------- */

size_t stor_frag_queue_object(struct stor_server *s, const stor_version_t *v,
                              stor_rq_wait_t *w, int reason)
{
    cn_manifest_t m;
    cn_buf_t fk;
    const cn_ring_node_t *owner;
    size_t n = 0;

    if (v->rc != 0 || !(v->m.flags & CN_OBJ_MANIFEST) || (v->m.flags & CN_OBJ_TOMBSTONE) ||
        s->ring_cur == NULL || cn_manifest_decode(v->body.data, v->body.len, &m) != 0)
        return 0;
    cn_buf_init(&fk);
    for (size_t i = 0; i < m.nsegs; i++) {
        if (!m.segs[i].ec_k)
            continue;
        for (uint64_t c = 0; c < cn_manifest_seg_chunks(&m.segs[i]); c++)
            for (unsigned r = 0; r < cn_manifest_seg_records(&m.segs[i]); r++) {
                cn_manifest_record_key(&m.segs[i], c, r, &fk);
                if (cn_ring_lookup(s->ring_cur, fk.data, fk.len, 1, &owner) != 1)
                    continue;
                stor_rq_wait_push(s, w, cn_slice(fk.data, fk.len), owner->name, reason);
                n++;
            }
    }
    cn_buf_dispose(&fk);
    cn_manifest_dispose(&m);
    return n;
}

/* ---- recover_node ------------------------------------------------------------------- */

size_t stor_frag_recover_targets(const struct stor_server *s, cn_slice_t key,
                                 const char *target, cn_buf_t *keys)
{
    cn_frag_key_t fk;
    cn_buf_t sk;
    const cn_ring_node_t *own[CN_EC_MAX_FRAGS];
    size_t count = 0, got;

    if (!cn_frag_key_parse(key.ptr, key.len, &fk) || s->ring_cur == NULL)
        return 0;
    cn_buf_init(&sk);
    for (unsigned i = 0; i < (unsigned)fk.k + fk.m; i++) {
        cn_frag_key(key.ptr, fk.chunk_len, fk.k, fk.m, i, &sk);
        got = cn_ring_lookup(s->ring_cur, sk.data, sk.len, 1, &own[i]);
        if (got != 1) {
            cn_buf_dispose(&sk);
            return 0;
        }
    }
    for (unsigned i = 0; i < (unsigned)fk.k + fk.m; i++) {
        unsigned cand = 0;
        int mine = 0;

        if (strcmp(own[i]->name, target) != 0)
            continue;
        /* the first two holders (by index) of the chunk's other fragments that are not on
         * target queue the rebuild: every node decides alike from the ring, and the second
         * covers the first being away; the later of two entries finds the fragment there */
        for (unsigned j = 0; j < (unsigned)fk.k + fk.m && cand < 2; j++) {
            if (j == i || strcmp(own[j]->name, target) == 0)
                continue;
            cand++;
            mine |= j == fk.index && strcmp(own[j]->name, stor_self(s)) == 0;
        }
        if (!mine)
            continue;
        cn_frag_key(key.ptr, fk.chunk_len, fk.k, fk.m, i, &sk);
        cn_buf_append(keys, &(uint32_t){(uint32_t)sk.len}, 4);
        cn_buf_append(keys, sk.data, sk.len);
        count++;
    }
    cn_buf_dispose(&sk);
    return count;
}
