/*
 * manager/admin_whereis_ec.c: whereis of an erasure-coded object (issue 21): each chunk of
 * each coded segment of its manifest, the K+M fragments of the chunk, the node the current
 * ring gives each fragment (cn_ring_lookup of the fragment key: owner i of the chunk's row,
 * common/ec_key.h) and what that node holds under the key.
 * The manifest comes from the newest live, good manifest copy that whereis found among the
 * owners (storage op whereis with manifest = 1); an object whose manifest is not format 3
 * gets nothing here. The owners are asked with whereis_keys, a batch of keys a call and one
 * node after another; a node that fails a call is not called again, and its fragments say
 * why. The index answers (no fragment is read): "corrupt" is a record that scrub or a read
 * marked bad. At most MGR_WHEREIS_EC_CHUNKS chunks are listed (the first, in manifest order).
 * Locking: s->lock only around the ring lookups, never across an RPC (mgr_node_call).
 */
#include "config.h"

#include "manager/admin_int.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/ec_key.h"
#include "common/err.h"
#include "common/manifest.h"
#include "common/mem.h"
#include "common/proto.h"

#define MGR_WHEREIS_EC_CHUNKS 1000 /* chunks whereis lists at most */
#define MGR_EC_KEYS_PER_CALL 1024  /* keys a whereis_keys asks about (storage: up to 4096) */
#define MGR_WHEREIS_ENT 21         /* bytes of whereis_keys' answer per key (recoverer.c) */

/* A fragment's state; the names are those of the JSON and of cairn-adm. */
enum { FS_OK, FS_MISSING, FS_CORRUPT, FS_DELETED, FS_ERROR, FS_NO_OWNER, FS_STATES };
static const char *const state_names[FS_STATES] = {"ok",      "missing", "corrupt",
                                                  "deleted", "error",   "no owner"};

struct frag {
    size_t koff, klen;  /* its key in walk.keys */
    size_t chunk;       /* its chunk in walk.chunks */
    uint8_t index;
    int node;           /* in walk.nodes; -1: the ring gave none */
    int state;
    uint64_t clock, size;
};

struct chunk {
    size_t seg;
    uint64_t idx;
    uint8_t k, m;
    size_t koff, klen;  /* its key in walk.keys */
};

struct node {
    char name[CN_RING_NAME_MAX];
    char why[512];      /* "": every call answered */
};

struct walk {
    cn_buf_t keys;
    struct chunk *chunks;
    size_t nchunks;
    struct frag *frags;
    size_t nfrags;
    struct node *nodes;
    size_t nnodes;
};

/* The node of the newest live manifest copy that is not marked corrupt, or NULL; its clock
 * to *clock. */
static const char *manifest_holder(const json_t *replicas, uint64_t *clock)
{
    const char *best = NULL;
    const json_t *e;
    size_t i;

    *clock = 0;
    json_array_foreach(replicas, i, e) {
        const json_t *c = json_object_get(e, "copy");
        uint64_t ck = (uint64_t)json_integer_value(json_object_get(c, "clock"));

        if (json_is_true(json_object_get(c, "present")) &&
            json_is_true(json_object_get(c, "manifest")) &&
            !json_is_true(json_object_get(c, "tombstone")) &&
            !json_is_true(json_object_get(c, "corrupt")) && ck > *clock) {
            best = json_string_value(json_object_get(e, "node"));
            *clock = ck;
        }
    }
    return best;
}

/* key with every byte below 0x20, 0x7f and above written \xNN: printable, valid UTF-8. */
static json_t *key_json(const char *p, size_t len)
{
    cn_buf_t b;
    json_t *j;

    cn_buf_init(&b);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x20 || c >= 0x7f || c == '\\')
            cn_buf_appendf(&b, "\\x%02x", c);
        else
            cn_buf_append(&b, &p[i], 1);
    }
    j = json_stringn(b.data ? b.data : "", b.len);
    cn_buf_dispose(&b);
    return j;
}

static int node_index(struct walk *w, const char *name)
{
    for (size_t i = 0; i < w->nnodes; i++)
        if (strcmp(w->nodes[i].name, name) == 0)
            return (int)i;
    w->nodes = cn_realloc(w->nodes, (w->nnodes + 1) * sizeof(*w->nodes));
    snprintf(w->nodes[w->nnodes].name, sizeof(w->nodes[0].name), "%s", name);
    w->nodes[w->nnodes].why[0] = '\0';
    return (int)w->nnodes++;
}

/* The chunks of m's coded segments (up to the cap) and their fragments, each fragment with
 * its owner on the current ring. Returns the coded chunks in m (listed or not); sets why and
 * returns 0 when there is no ring. */
static uint64_t plan(struct mgr_server *s, const cn_manifest_t *m, struct walk *w, char *why,
                     size_t whylen)
{
    cn_buf_t ck, fk;
    uint64_t total = 0;

    cn_buf_init(&ck);
    cn_buf_init(&fk);
    for (size_t i = 0; i < m->nsegs; i++) {
        const cn_manifest_seg_t *seg = &m->segs[i];
        uint64_t n = seg->ec_k ? cn_manifest_seg_chunks(seg) : 0;

        total += n;
        for (uint64_t c = 0; c < n && w->nchunks < MGR_WHEREIS_EC_CHUNKS; c++) {
            struct chunk *ch;

            w->chunks = cn_realloc(w->chunks, (w->nchunks + 1) * sizeof(*w->chunks));
            ch = &w->chunks[w->nchunks];
            *ch = (struct chunk){.seg = i, .idx = c, .k = seg->ec_k, .m = seg->ec_m};
            cn_manifest_chunk_key(seg, c, &ck);
            ch->koff = w->keys.len;
            ch->klen = ck.len;
            cn_buf_append(&w->keys, ck.data, ck.len);
            w->frags = cn_realloc(w->frags,
                                  (w->nfrags + seg->ec_k + seg->ec_m) * sizeof(*w->frags));
            for (unsigned f = 0; f < (unsigned)seg->ec_k + seg->ec_m; f++) {
                cn_frag_key(ck.data, ck.len, seg->ec_k, seg->ec_m, f, &fk);
                w->frags[w->nfrags++] = (struct frag){.koff = w->keys.len, .klen = fk.len,
                                                      .chunk = w->nchunks, .index = (uint8_t)f,
                                                      .node = -1, .state = FS_NO_OWNER};
                cn_buf_append(&w->keys, fk.data, fk.len);
            }
            w->nchunks++;
        }
    }
    cn_buf_dispose(&ck);
    cn_buf_dispose(&fk);

    pthread_mutex_lock(&s->lock);
    if (s->ring_cur == NULL) {
        pthread_mutex_unlock(&s->lock);
        snprintf(why, whylen, "the cluster has no ring");
        return 0;
    }
    for (size_t i = 0; i < w->nfrags; i++) {
        const cn_ring_node_t *o;

        if (cn_ring_lookup(s->ring_cur, w->keys.data + w->frags[i].koff, w->frags[i].klen, 1,
                           &o) == 1)
            w->frags[i].node = node_index(w, o->name);
    }
    pthread_mutex_unlock(&s->lock);
    return total;
}

/* Fills the states of frags[idx[0..n)], all owned by node ni, from one whereis_keys. */
static void ask(struct mgr_server *s, struct walk *w, int ni, const size_t *idx, size_t n)
{
    struct node *nd = &w->nodes[ni];
    cn_msg_t *req = cn_msg_new(MGR_SOP_WHEREIS_KEYS), *resp = NULL;
    cn_buf_t body;
    cn_slice_t ans;
    size_t len;
    void *p;
    int rc;

    cn_buf_init(&body);
    for (size_t i = 0; i < n; i++) {
        uint8_t l[4];

        cn_put_u32be(l, (uint32_t)w->frags[idx[i]].klen);
        cn_buf_append(&body, l, sizeof(l));
        cn_buf_append(&body, w->keys.data + w->frags[idx[i]].koff, w->frags[idx[i]].klen);
    }
    p = cn_buf_steal(&body, &len); /* before len is read */
    cn_msg_set_body(req, p, len);
    rc = mgr_node_call(s, nd->name, req, MGR_NODE_CALL_TIMEOUT_MS, &resp, nd->why,
                       sizeof(nd->why));
    if (rc == 0 && (rc = cn_msg_rc(resp)) != 0) /* a node before issue 21: an unknown op */
        snprintf(nd->why, sizeof(nd->why), "whereis_keys on %s: %s", nd->name,
                 cn_strerror(rc));
    ans = rc == 0 ? cn_msg_body(resp) : cn_slice("", 0);
    if (rc == 0 && ans.len != n * MGR_WHEREIS_ENT)
        snprintf(nd->why, sizeof(nd->why), "whereis_keys on %s: %zu bytes for %zu keys",
                 nd->name, ans.len, n);
    for (size_t i = 0; nd->why[0] == '\0' && i < n; i++) {
        const uint8_t *e = (const uint8_t *)ans.ptr + i * MGR_WHEREIS_ENT;
        struct frag *f = &w->frags[idx[i]];
        uint32_t flags = cn_get_u32be(e + 1);

        f->clock = cn_get_u64be(e + 5);
        f->size = cn_get_u64be(e + 13);
        f->state = e[0] == 1   ? FS_MISSING
                   : e[0] == 2 ? FS_CORRUPT
                   : e[0] != 0 ? FS_ERROR
                   : (flags & CN_OBJ_TOMBSTONE) ? FS_DELETED : FS_OK;
    }
    cn_msg_free(resp);
}

/* Asks every owner about its fragments, MGR_EC_KEYS_PER_CALL keys a call. */
static void ask_all(struct mgr_server *s, struct walk *w)
{
    size_t *idx = cn_malloc(MGR_EC_KEYS_PER_CALL * sizeof(*idx));

    for (size_t ni = 0; ni < w->nnodes; ni++) {
        size_t n = 0;

        for (size_t i = 0; i <= w->nfrags; i++) {
            if (i < w->nfrags && w->frags[i].node == (int)ni)
                idx[n++] = i;
            if (n > 0 && (n == MGR_EC_KEYS_PER_CALL || i == w->nfrags)) {
                if (w->nodes[ni].why[0] == '\0')
                    ask(s, w, (int)ni, idx, n);
                if (w->nodes[ni].why[0] != '\0')
                    for (size_t k = 0; k < n; k++)
                        w->frags[idx[k]].state = FS_ERROR;
                n = 0;
            }
        }
    }
    cn_free(idx);
}

static json_t *walk_json(const struct walk *w, const char *from, uint64_t clock,
                         uint64_t total)
{
    size_t count[FS_STATES] = {0};
    json_t *list = json_array(), *sum = json_object(), *frags = NULL;

    for (size_t i = 0; i < w->nfrags; i++) {
        const struct frag *f = &w->frags[i];
        const struct chunk *c = &w->chunks[f->chunk];
        json_t *e;

        if (f->index == 0) {
            frags = json_array();
            json_array_append_new(
                list, json_pack("{s:I, s:I, s:o, s:i, s:i, s:o}", "seg", (json_int_t)c->seg,
                                "chunk", (json_int_t)c->idx, "key",
                                key_json(w->keys.data + c->koff, c->klen), "k", c->k, "m",
                                c->m, "fragments", frags));
        }
        e = json_pack("{s:i, s:s, s:s}", "i", f->index, "node",
                      f->node >= 0 ? w->nodes[f->node].name : "", "state",
                      state_names[f->state]);
        if (f->state == FS_OK || f->state == FS_CORRUPT || f->state == FS_DELETED) {
            json_object_set_new(e, "clock", json_integer((json_int_t)f->clock));
            json_object_set_new(e, "size", json_integer((json_int_t)f->size));
        }
        if (f->state == FS_ERROR && f->node >= 0 && w->nodes[f->node].why[0] != '\0')
            json_object_set_new(e, "error", json_string(w->nodes[f->node].why));
        json_array_append_new(frags, e);
        count[f->state]++;
    }
    for (int i = 0; i < FS_STATES; i++)
        json_object_set_new(sum, state_names[i], json_integer((json_int_t)count[i]));
    return json_pack("{s:s, s:I, s:I, s:I, s:b, s:o, s:o}", "from", from, "clock",
                     (json_int_t)clock, "chunks", (json_int_t)total, "listed",
                     (json_int_t)w->nchunks, "truncated", total > w->nchunks, "fragments",
                     sum, "list", list);
}

void mgr_whereis_ec(struct mgr_server *s, json_t *j, const char *key)
{
    uint64_t clock, total;
    const char *from = manifest_holder(json_object_get(j, "replicas"), &clock);
    cn_msg_t *req, *resp = NULL;
    cn_manifest_t m;
    struct walk w;
    cn_slice_t body;
    char why[512];
    int rc;

    if (from == NULL)
        return;
    why[0] = '\0';
    req = cn_msg_new(MGR_SOP_WHEREIS);
    cn_msg_set_bytes(req, "key", key, strlen(key));
    cn_msg_set_u64(req, "manifest", 1);
    if ((rc = mgr_node_call(s, from, req, MGR_NODE_CALL_TIMEOUT_MS, &resp, why, sizeof(why))) ==
            0 &&
        (rc = cn_msg_rc(resp)) != 0)
        snprintf(why, sizeof(why), "whereis on %s: %s", from, cn_strerror(rc));
    body = rc == 0 ? cn_msg_body(resp) : cn_slice("", 0);
    if (rc == 0 && body.len == 0) /* overwritten or deleted meanwhile, or a node before 21 */
        snprintf(why, sizeof(why), "%s answered no manifest", from), rc = CN_ENOENT;
    if (rc == 0 && (rc = cn_manifest_decode(body.ptr, body.len, &m)) != 0)
        snprintf(why, sizeof(why), "the manifest on %s does not decode", from);
    cn_msg_free(resp);
    if (rc != 0) {
        json_object_set_new(j, "ec_error", json_string(why));
        return;
    }
    memset(&w, 0, sizeof(w));
    cn_buf_init(&w.keys);
    total = plan(s, &m, &w, why, sizeof(why));
    if (w.nchunks > 0 && w.nnodes == 0 && why[0] == '\0')
        snprintf(why, sizeof(why), "the ring gives the fragments no owner");
    if (total > 0 && w.nnodes == 0) {
        json_object_set_new(j, "ec_error", json_string(why));
    } else if (total > 0) {
        ask_all(s, &w);
        json_object_set_new(j, "ec", walk_json(&w, from, clock, total));
    }
    cn_manifest_dispose(&m);
    cn_buf_dispose(&w.keys);
    cn_free(w.chunks);
    cn_free(w.frags);
    cn_free(w.nodes);
}
