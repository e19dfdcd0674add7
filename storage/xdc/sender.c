/*
 * storage/xdc/sender.c: per link, this node's journal to the remote cluster (the design is in
 * storage/xdc/xdc.h).
 *
 * A change is one journal entry in the window, a small state machine driven by RPC answers:
 *   READ      get of the key from this node's own coordinator (the newest version the
 *             cluster holds: a tombstone answers CN_ENOENT with its clock; nothing at all,
 *             CN_ENOENT without one, leaves nothing to send)
 *   RECORDS   a chunk manifest's records (chunks, or an erasure-coded chunk's fragments), one
 *             at a time: get from this cluster, xdc_write to the remote
 *   LAST      the key's version itself: xdc_write (put, or delete with the tombstone's clock)
 * A change that fails (this cluster's read, the remote) stays where it was and is tried again
 * after a pause ([xdc] retry: 1 s), so the window stalls and the journal waits: nothing is
 * skipped but by the bound. The cursor advances over the changes done at the window's head,
 * so it only ever names a seq whose every predecessor reached the remote.
 * Remote nodes: the remote's managers answer xdc_nodes with their cluster's link listeners;
 * a key goes to one of them by hash (spreading the load; any node coordinates any key), to
 * the next one when that one does not answer.
 * Lifetimes: a change holds a reference on its link (l->inflight) while a call is out; a gone
 * link is freed once it has none (links.c marks, xdc_tick frees).
 */
#include "storage/xdc/xdc_int.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/mem.h"
#include "common/proto.h"
#include "common/work.h"
#include "storage/cluster/cluster.h"
#include "storage/storage.h"

#define XDC_CHANGE_MAGIC 0x58444348u /* "XDCH" */
#define XDC_TICK_MS 100
#define XDC_RETRY_MS 1000
#define XDC_NODES_EVERY_MS 30000
#define XDC_CALL_MS 30000
#define XDC_READ_MS 10000
#define XDC_SAVE_EVERY_MS 500
#define XDC_STALL_MS 10000      /* no change done this long: the journal bound may skip */

enum { CH_READ, CH_RECORDS, CH_LAST, CH_DONE };

struct xdc_change {
    uint32_t magic;
    struct xdc_change *next;
    xdc_link_t *l;
    uint64_t seq, jclock;
    cn_buf_t key;
    int step, busy, reads;
    uint64_t retry_at_ms;
    cn_msg_t *ver;              /* the key's version, as the coordinator answered it */
    int tomb;
    uint64_t clock;
    cn_manifest_t man;
    int have_man;
    size_t seg;                 /* the next record: segment, chunk, record */
    uint64_t chunk;
    unsigned rec;
    cn_buf_t rkey;
    size_t node_try;            /* remote nodes tried for the current write */
};

/* ---- the cursor file -------------------------------------------------------------------- */

static void cursor_path(const xdc_link_t *l, char *out, size_t cap, const char *ext)
{
    snprintf(out, cap, "%s/xdc/%s.%s", l->x->s->conf->data_dir, l->id, ext);
}

static void cursor_load(xdc_link_t *l)
{
    char path[4096];
    unsigned long long acked = 0;
    int nr = 0;
    FILE *f;

    cursor_path(l, path, sizeof(path), "cursor");
    f = fopen(path, "r");
    if (f != NULL && fscanf(f, "%llu %d", &acked, &nr) >= 1) {
        uint64_t last = 0;

        l->acked = l->saved = acked;
        l->needs_recover = nr != 0;
        stor_engine_journal_last(l->x->s->engine, &last);
        if (l->acked > last) {
            /* the journal restarted below the cursor (emptied by a release that trimmed its
             * newest entry): send it all again, and what went meanwhile needs a compare */
            CN_LOG(CN_LOG_WARN, "xdc link=%s: cursor %" PRIu64 " is past the journal's last "
                   "entry %" PRIu64 ": sending from the start, run recover-cluster %s",
                   l->id, l->acked, last, l->id);
            l->acked = 0;
            l->saved = UINT64_MAX;
            l->needs_recover = 1;
        }
    } else {
        /* a new link: what the journal holds now was written before it (recover-cluster's) */
        uint64_t last = 0;

        stor_engine_journal_last(l->x->s->engine, &last);
        l->acked = last;
        l->saved = UINT64_MAX; /* written at the next tick */
    }
    if (f != NULL)
        fclose(f);
    l->read = l->acked;
    CN_LOG(CN_LOG_INFO, "xdc link=%s: cursor at %" PRIu64, l->id, l->acked);
}

static void cursor_save(xdc_link_t *l)
{
    char path[4096], tmp[4100], dir[4096];
    FILE *f;

    if (l->saved == l->acked)
        return;
    snprintf(dir, sizeof(dir), "%s/xdc", l->x->s->conf->data_dir);
    (void)mkdir(dir, 0700);
    cursor_path(l, path, sizeof(path), "cursor");
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%" PRIu64 " %d\n", l->acked, l->needs_recover) < 0 ||
        fclose(f) != 0 || rename(tmp, path) != 0) {
        /* at least once: a cursor not saved resends, it never skips */
        CN_LOG(CN_LOG_WARN, "xdc link=%s: cannot save the cursor (%s)", l->id, strerror(errno));
        return;
    }
    l->saved = l->acked;
}

/* ---- clients ---------------------------------------------------------------------------- */

/* Drops the clients of the remote's nodes. The link forgets them before any is destroyed:
 * destroying a client runs its calls' callbacks (CN_ECANCELED), and on_remote_write, finding
 * the old list, would send the write on to the next node's client, perhaps one destroyed a
 * moment before, whose queue nobody runs any more (the assertion of rpc_client.c when it is
 * freed, seen when a restarted remote's manager listed no node yet). */
static void drop_node_clients(xdc_link_t *l)
{
    cn_rpc_client_t *old[XDC_NODES_MAX];
    size_t n = l->nnodes;

    memcpy(old, l->node_cli, sizeof(old));
    memset(l->node_cli, 0, sizeof(l->node_cli));
    l->nnodes = 0;
    for (size_t i = 0; i < n; i++)
        if (old[i] != NULL)
            cn_rpc_client_destroy(old[i]);
}

static void close_clients(xdc_link_t *l)
{
    cn_rpc_client_t *mgr = l->mgr_cli;

    drop_node_clients(l);
    l->mgr_cli = NULL; /* before on_nodes runs, as above */
    if (mgr != NULL)
        cn_rpc_client_destroy(mgr);
    l->nodes_at_ms = 0;
}

/* Notes what failed (what: a phrase, rc: why) for status, logged once per new message. */
static void set_error(xdc_link_t *l, const char *what, int rc)
{
    char msg[sizeof(l->last_error)];

    snprintf(msg, sizeof(msg), "%s: %s", what, cn_strerror(rc));
    if (strcmp(msg, l->last_error) != 0)
        CN_LOG(CN_LOG_WARN, "xdc link=%s: %s", l->id, msg);
    memcpy(l->last_error, msg, sizeof(msg));
    l->errors++;
}

/* The TLS context that checks the remote's certificates: the link's CA, else [xdc] ca_file. */
static int make_tls(xdc_link_t *l)
{
    const struct stor_conf *c = l->x->s->conf;
    char path[4096], dir[4096];
    const char *ca = c->xdc_ca;
    FILE *f;
    int rc;

    if (l->tls != NULL)
        return 0;
    if (l->ca_pem != NULL) {
        snprintf(dir, sizeof(dir), "%s/xdc", c->data_dir);
        (void)mkdir(dir, 0700);
        cursor_path(l, path, sizeof(path), "ca.pem");
        f = fopen(path, "w");
        if (f == NULL || fputs(l->ca_pem, f) < 0 || fclose(f) != 0)
            return CN_EIO;
        ca = path;
    }
    if (ca[0] == '\0') {
        set_error(l, "no CA to check the remote's certificates with ([xdc] ca_file, or a "
                  "link joined with its CA)", CN_EINVAL);
        return CN_EINVAL;
    }
    if ((rc = cn_rpc_tls_client_new(ca, &l->tls)) != 0)
        set_error(l, "the link's CA does not load", rc);
    return rc;
}

static int split_addr(const char *addr, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(addr, ':');

    if (colon == NULL || (size_t)(colon - addr) >= cap || sscanf(colon + 1, "%d", port) != 1)
        return CN_EINVAL;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    return 0;
}

static int client_for(xdc_link_t *l, const char *addr, cn_rpc_client_t **out)
{
    struct stor_xdc *x = l->x;
    char host[XDC_ADDR_MAX], self[STOR_XDC_ID_LEN + 2 + 64];
    cn_rpc_client_opts_t o = {0};
    int port, rc;

    if ((rc = make_tls(l)) != 0)
        return rc;
    if (split_addr(addr, host, sizeof(host), &port) != 0)
        return CN_EINVAL;
    snprintf(self, sizeof(self), "%s/%s", x->cluster_id, x->s->conf->name);
    o.host = host;
    o.port = port;
    o.secret = l->secret;
    o.self_name = self;
    o.tls = l->tls;
    return cn_rpc_client_create_opts(x->s->loop, &o, out);
}

/* ---- the remote's nodes ----------------------------------------------------------------- */

static void on_nodes(int status, cn_msg_t *resp, void *arg)
{
    xdc_link_t *l = arg;
    char *csv = cn_malloc(XDC_NODES_CSV), rid[STOR_XDC_ID_LEN + 1];
    int rc = status != 0 ? status : cn_msg_rc(resp);

    l->nodes_busy = 0;
    l->inflight--;
    if (l->gone || l->x->stopping)
        goto out;
    if (rc == 0 && (cn_msg_get_str(resp, "nodes", csv, XDC_NODES_CSV) != 0 ||
                    cn_msg_get_str(resp, "cluster_id", rid, sizeof(rid)) != 0))
        rc = CN_EPROTO;
    if (rc == 0 && strcmp(rid, l->id) != 0) {
        set_error(l, "the remote manager answers for another cluster id", CN_EAUTH);
        rc = CN_EAUTH;
    }
    if (rc != 0) {
        if (rc != CN_EAUTH)
            set_error(l, "xdc_nodes on the remote's manager", rc);
        l->mgr_next = (l->mgr_next + 1) % l->nmanagers; /* the next manager, next time */
        if (l->mgr_cli != NULL)
            cn_rpc_client_destroy(l->mgr_cli);
        l->mgr_cli = NULL;
        l->nodes_at_ms = cn_mono_ms() - XDC_NODES_EVERY_MS + XDC_RETRY_MS;
        goto out;
    }
    /* the same list keeps its connections */
    {
        char list[XDC_NODES_MAX][XDC_ADDR_MAX];
        size_t n = 0, same;
        const char *p = csv;

        while (*p != '\0' && n < XDC_NODES_MAX) {
            size_t k = strcspn(p, ",");

            if (k > 0 && k < XDC_ADDR_MAX) {
                memcpy(list[n], p, k);
                list[n++][k] = '\0';
            }
            p += k + (p[k] == ',');
        }
        same = n == l->nnodes;
        for (size_t i = 0; same && i < n; i++)
            same = strcmp(list[i], l->node_addr[i]) == 0;
        if (!same) {
            drop_node_clients(l);
            memcpy(l->node_addr, list, sizeof(list));
            l->nnodes = n;
            CN_LOG(CN_LOG_INFO, "xdc link=%s: %zu remote nodes", l->id, n);
        }
    }
    /* none running yet (its manager restarted before its nodes): ask again after a pause,
     * not after XDC_NODES_EVERY_MS with every change stalled meanwhile */
    l->nodes_at_ms = cn_mono_ms() - (l->nnodes == 0 ? XDC_NODES_EVERY_MS - XDC_RETRY_MS : 0);
out:
    cn_free(csv);
    cn_msg_free(resp);
}

static void fetch_nodes(xdc_link_t *l)
{
    if (l->nodes_busy || l->nmanagers == 0 || l->x->cluster_id[0] == '\0')
        return;
    if (l->mgr_cli == NULL &&
        client_for(l, l->managers[l->mgr_next % l->nmanagers], &l->mgr_cli) != 0) {
        l->nodes_at_ms = cn_mono_ms() - XDC_NODES_EVERY_MS + XDC_RETRY_MS;
        return;
    }
    l->nodes_busy = 1;
    l->inflight++;
    cn_rpc_call(l->mgr_cli, cn_msg_new(STOR_XDC_OP_NODES), XDC_READ_MS, on_nodes, l);
}

/* ---- one change ------------------------------------------------------------------------- */

static void change_free(struct xdc_change *ch)
{
    cn_msg_free(ch->ver);
    if (ch->have_man)
        cn_manifest_dispose(&ch->man);
    cn_buf_dispose(&ch->key);
    cn_buf_dispose(&ch->rkey);
    ch->magic = 0;
    cn_free(ch);
}

static void advance(struct xdc_change *ch);

/* The cursor moves over every change done at the head of the window. */
static void pop_done(xdc_link_t *l)
{
    while (l->win_head != NULL && l->win_head->step == CH_DONE) {
        struct xdc_change *h = l->win_head;

        l->win_head = h->next;
        if (l->win_head == NULL)
            l->win_tail = NULL;
        l->acked = h->seq;
        change_free(h);
    }
}

static void change_failed(struct xdc_change *ch)
{
    /* a record of a chunked object that did not land: the walk starts again from the key's
     * read, so no record is passed over and the manifest still goes last */
    if (ch->step == CH_RECORDS)
        ch->step = CH_READ;
    ch->busy = 0;
    ch->node_try = 0;
    ch->retry_at_ms = cn_mono_ms() + XDC_RETRY_MS;
}

static void read_more(xdc_link_t *l);

static void change_done(struct xdc_change *ch)
{
    xdc_link_t *l = ch->l;

    ch->busy = 0;
    ch->step = CH_DONE;
    l->sent++;
    l->last_ok_ms = cn_now_ms();
    l->progress_ms = cn_mono_ms();
    l->last_error[0] = '\0'; /* the link works again: status shows no stale error (the
                               * count stays in /metrics) */
    pop_done(l);
    if (!l->x->stopping && !l->gone)
        read_more(l); /* the window has room now, not at the next tick */
}

/* The xdc_write of version v (an answer of a get: fields and body) under key. */
static cn_msg_t *write_msg(const xdc_link_t *l, cn_slice_t key, const cn_msg_t *v, int tomb,
                           uint64_t clock)
{
    cn_msg_t *m = cn_msg_new(STOR_XDC_OP_WRITE);
    cn_slice_t b;
    uint64_t u;

    cn_msg_set_bytes(m, "key", key.ptr, key.len);
    cn_msg_set_u64(m, "clock", clock);
    cn_msg_set_str(m, "origin", l->x->cluster_id);
    if (tomb) {
        cn_msg_set_u64(m, "tomb", 1);
        return m;
    }
    if (cn_msg_get_bytes(v, "etag", &b) == 0)
        cn_msg_set_bytes(m, "etag", b.ptr, b.len);
    if (cn_msg_get_bytes(v, "meta", &b) == 0)
        cn_msg_set_bytes(m, "meta", b.ptr, b.len);
    if (cn_msg_get_u64(v, "flags", &u) == 0)
        cn_msg_set_u64(m, "flags", u & ~(uint64_t)CN_OBJ_JOURNALED);
    if (cn_msg_get_u64(v, "size", &u) == 0)
        cn_msg_set_u64(m, "size", u);
    if (cn_msg_get_u64(v, "mtime", &u) == 0)
        cn_msg_set_u64(m, "mtime", u);
    b = cn_msg_body(v);
    if (b.len > 0)
        cn_msg_set_body_copy(m, b.ptr, b.len);
    return m;
}

struct wr {
    struct xdc_change *ch;
    cn_msg_t *req;              /* kept for the next node */
};

static void send_write(struct xdc_change *ch, struct wr *w);

static void on_remote_write(int status, cn_msg_t *resp, void *arg)
{
    struct wr *w = arg;
    struct xdc_change *ch = w->ch;
    xdc_link_t *l = ch->l;
    int rc = status != 0 ? status : cn_msg_rc(resp);

    CN_CHECK_OBJ(ch, XDC_CHANGE_MAGIC);
    cn_msg_free(resp);
    l->inflight--;
    if (l->x->stopping || l->gone) {
        cn_msg_free(w->req);
        cn_free(w);
        change_failed(ch);
        return;
    }
    if (status != 0 && ++ch->node_try < l->nnodes) {
        send_write(ch, w); /* that node did not answer: the next one coordinates */
        return;
    }
    cn_msg_free(w->req);
    cn_free(w);
    /* CN_ESTALE: the remote holds this version or a newer one (its last writer won) */
    if (rc != 0 && rc != CN_ESTALE && !(rc == CN_ENOENT && ch->step == CH_LAST && ch->tomb)) {
        set_error(l, "xdc_write on the remote", rc);
        if (status != 0)
            l->nodes_at_ms = 0; /* ask the managers again */
        change_failed(ch);
        return;
    }
    ch->busy = 0;
    ch->node_try = 0;
    if (ch->step == CH_LAST) {
        change_done(ch);
        return;
    }
    advance(ch);
}

static uint64_t key_hash(cn_slice_t k)
{
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < k.len; i++)
        h = (h ^ (uint8_t)k.ptr[i]) * 1099511628211ull;
    return h;
}

static void send_write(struct xdc_change *ch, struct wr *w)
{
    xdc_link_t *l = ch->l;
    size_t i;

    if (l->nnodes == 0) { /* the list was replaced meanwhile */
        cn_msg_free(w->req);
        cn_free(w);
        change_failed(ch);
        return;
    }
    i = (size_t)((key_hash(cn_slice(ch->key.data, ch->key.len)) + ch->node_try) % l->nnodes);
    if (l->node_cli[i] == NULL && client_for(l, l->node_addr[i], &l->node_cli[i]) != 0) {
        cn_msg_free(w->req);
        cn_free(w);
        change_failed(ch);
        return;
    }
    l->inflight++;
    cn_rpc_call(l->node_cli[i], cn_msg_dup(w->req), XDC_CALL_MS, on_remote_write, w);
}

static void remote_write(struct xdc_change *ch, cn_msg_t *req)
{
    struct wr *w = cn_malloc(sizeof(*w));

    w->ch = ch;
    w->req = req;
    ch->busy = 1;
    send_write(ch, w);
}

/* A record of the manifest was read from this cluster: to the remote, under its own key. */
static void on_record_read(int status, cn_msg_t *resp, void *arg)
{
    struct xdc_change *ch = arg;
    xdc_link_t *l = ch->l;
    int rc = status != 0 ? status : cn_msg_rc(resp);
    uint64_t clock = 0;

    CN_CHECK_OBJ(ch, XDC_CHANGE_MAGIC);
    l->inflight--;
    ch->busy = 0;
    if (l->x->stopping || l->gone) {
        cn_msg_free(resp);
        change_failed(ch);
        return;
    }
    if (rc == CN_ENOENT && ch->man.segs[ch->seg].ec_k != 0) {
        /* a missing fragment: a coded chunk is read from any K of them, the remote's repair
         * makes the rest again */
        cn_msg_free(resp);
        advance(ch);
        return;
    }
    if (rc != 0 || cn_msg_get_u64(resp, "clock", &clock) != 0) {
        /* the object changed under the walk (its chunks went with a newer write): read the
         * key again; else this cluster cannot read it now */
        set_error(l, "a chunk of a changed object, read here", rc);
        cn_msg_free(resp);
        ch->step = CH_READ;
        change_failed(ch);
        return;
    }
    remote_write(ch, write_msg(l, cn_slice(ch->rkey.data, ch->rkey.len), resp, 0, clock));
    cn_msg_free(resp);
}

/* The next record of the manifest, or the version itself once they are all sent. */
static void next_record(struct xdc_change *ch)
{
    const cn_manifest_t *m = &ch->man;
    cn_msg_t *req;

    while (ch->seg < m->nsegs) {
        const cn_manifest_seg_t *sg = &m->segs[ch->seg];

        if (ch->chunk < cn_manifest_seg_chunks(sg) && ch->rec < cn_manifest_seg_records(sg))
            break;
        if (ch->chunk >= cn_manifest_seg_chunks(sg)) {
            ch->seg++;
            ch->chunk = 0;
        } else {
            ch->chunk++;
        }
        ch->rec = 0;
    }
    if (ch->seg >= m->nsegs) {
        ch->step = CH_LAST;
        remote_write(ch, write_msg(ch->l, cn_slice(ch->key.data, ch->key.len), ch->ver, 0,
                                   ch->clock));
        return;
    }
    cn_manifest_record_key(&m->segs[ch->seg], ch->chunk, ch->rec, &ch->rkey);
    ch->rec++;
    req = cn_msg_new(CN_OP_GET);
    cn_msg_set_bytes(req, "key", ch->rkey.data, ch->rkey.len);
    ch->busy = 1;
    ch->l->inflight++;
    if (stor_peer_call(ch->l->x->s, stor_self(ch->l->x->s), req, XDC_READ_MS, on_record_read,
                       ch) != 0) {
        ch->l->inflight--;
        ch->rec--;
        change_failed(ch);
    }
}

static void on_key_read(int status, cn_msg_t *resp, void *arg)
{
    struct xdc_change *ch = arg;
    xdc_link_t *l = ch->l;
    int rc = status != 0 ? status : cn_msg_rc(resp);
    uint64_t flags = 0, clock = 0;
    cn_slice_t body;

    CN_CHECK_OBJ(ch, XDC_CHANGE_MAGIC);
    l->inflight--;
    ch->busy = 0;
    if (l->x->stopping || l->gone) {
        cn_msg_free(resp);
        change_failed(ch);
        return;
    }
    if ((rc != 0 && rc != CN_ENOENT) || (rc == CN_ENOENT && status != 0)) {
        set_error(l, "a changed key, read here", rc);
        cn_msg_free(resp);
        change_failed(ch);
        return;
    }
    cn_msg_get_u64(resp, "clock", &clock);
    if (rc == CN_ENOENT && clock == 0) { /* no copy anywhere: nothing to send */
        cn_msg_free(resp);
        change_done(ch);
        return;
    }
    cn_msg_free(ch->ver);
    ch->ver = resp;
    ch->tomb = rc == CN_ENOENT;
    ch->clock = clock;
    if (ch->have_man)
        cn_manifest_dispose(&ch->man);
    ch->have_man = 0;
    cn_msg_get_u64(resp, "flags", &flags);
    if (!ch->tomb && (flags & CN_OBJ_MANIFEST)) {
        body = cn_msg_body(resp);
        if (cn_manifest_decode(body.ptr, body.len, &ch->man) != 0) {
            set_error(l, "the manifest of a changed key", CN_ECORRUPT);
            change_failed(ch);
            return;
        }
        ch->have_man = 1;
        ch->seg = 0;
        ch->chunk = 0;
        ch->rec = 0;
        ch->step = CH_RECORDS;
    } else {
        ch->step = CH_LAST;
    }
    advance(ch);
}

/* Runs the change's current step. */
static void advance(struct xdc_change *ch)
{
    xdc_link_t *l = ch->l;
    cn_msg_t *req;

    if (l->nnodes == 0) { /* the remote's nodes are not known yet */
        change_failed(ch);
        return;
    }
    switch (ch->step) {
    case CH_READ:
        req = cn_msg_new(CN_OP_GET);
        cn_msg_set_bytes(req, "key", ch->key.data, ch->key.len);
        ch->busy = 1;
        ch->reads++;
        l->inflight++;
        if (stor_peer_call(l->x->s, stor_self(l->x->s), req, XDC_READ_MS, on_key_read, ch) !=
            0) {
            l->inflight--;
            change_failed(ch);
        }
        break;
    case CH_RECORDS:
        next_record(ch);
        break;
    case CH_LAST:
        remote_write(ch, write_msg(l, cn_slice(ch->key.data, ch->key.len), ch->ver, ch->tomb,
                                   ch->clock));
        break;
    default:
        break;
    }
}

/* ---- reading the journal (thread pool) -------------------------------------------------- */

struct jread {
    uv_work_t work;
    xdc_link_t *l;
    stor_engine_t *e;
    uint64_t after;
    size_t max;
    int rc;
    struct xdc_change *head, *tail;
    size_t n;
};

static int on_entry(uint64_t seq, cn_slice_t key, uint64_t clock, uint32_t flags, void *arg)
{
    struct jread *r = arg;
    struct xdc_change *ch = cn_calloc(1, sizeof(*ch));

    (void)flags;
    ch->magic = XDC_CHANGE_MAGIC;
    ch->l = r->l;
    ch->seq = seq;
    ch->jclock = clock;
    cn_buf_init(&ch->key);
    cn_buf_init(&ch->rkey);
    cn_buf_append(&ch->key, key.ptr, key.len);
    if (r->tail != NULL)
        r->tail->next = ch;
    else
        r->head = ch;
    r->tail = ch;
    r->n++;
    return 0;
}

static void run_read(uv_work_t *w)
{
    struct jread *r = w->data;

    r->rc = stor_engine_journal_read(r->e, r->after, r->max, on_entry, r);
}

static void read_done(uv_work_t *w, int status)
{
    struct jread *r = w->data;
    xdc_link_t *l = r->l;
    struct xdc_change *ch, *next;

    l->reading = 0;
    l->inflight--;
    if (status != 0 || r->rc != 0 || l->gone || l->x->stopping) {
        for (ch = r->head; ch != NULL; ch = next) {
            next = ch->next;
            change_free(ch);
        }
        if (status == 0 && r->rc != 0)
            set_error(l, "journal read", r->rc);
        cn_free(r);
        return;
    }
    for (ch = r->head; ch != NULL; ch = next) {
        next = ch->next;
        ch->next = NULL;
        /* a key written again later in this batch: its later entry sends the current
         * version, which is all this one would */
        for (struct xdc_change *o = next; o != NULL; o = o->next)
            if (o->key.len == ch->key.len && memcmp(o->key.data, ch->key.data, ch->key.len) == 0) {
                ch->step = CH_DONE;
                break;
            }
        if (l->win_tail != NULL)
            l->win_tail->next = ch;
        else
            l->win_head = ch;
        l->win_tail = ch;
        l->read = ch->seq;
    }
    pop_done(l); /* collapsed ones at the head move the cursor at once */
    cn_free(r);
}

static size_t window_len(const xdc_link_t *l)
{
    size_t n = 0;

    for (const struct xdc_change *c = l->win_head; c != NULL; c = c->next)
        n++;
    return n;
}

static void read_more(xdc_link_t *l)
{
    struct stor_xdc *x = l->x;
    size_t room, have = window_len(l);
    struct jread *r;

    room = have < x->s->conf->xdc_window ? x->s->conf->xdc_window - have : 0;
    if (l->reading || room == 0 || l->read >= x->last_seq)
        return;
    r = cn_calloc(1, sizeof(*r));
    r->work.data = r;
    r->l = l;
    r->e = x->s->engine;
    r->after = l->read;
    r->max = room;
    l->reading = 1;
    l->inflight++;
    cn_work_queue(x->s->loop, &r->work, run_read, read_done, "xdc journal read");
}

/* ---- the journal's last seq and trim (thread pool) -------------------------------------- */

struct jtrim {
    uv_work_t work;
    struct stor_xdc *x;
    uint64_t upto, last;
    int rc;
};

static void run_trim(uv_work_t *w)
{
    struct jtrim *t = w->data;

    t->rc = 0;
    if (t->upto > 0)
        t->rc = stor_engine_journal_trim(t->x->s->engine, t->upto);
    if (t->rc == 0)
        t->rc = stor_engine_journal_last(t->x->s->engine, &t->last);
}

static void link_tick(xdc_link_t *l, uint64_t now);
static void trim_and_last(struct stor_xdc *x, int trim);

static void trim_done(uv_work_t *w, int status)
{
    struct jtrim *t = w->data;
    struct stor_xdc *x = t->x;

    x->trimming = 0;
    if (status == 0 && t->rc == 0)
        x->last_seq = t->last;
    if (status == 0 && (t->rc == 0 || t->rc == CN_EINVAL)) /* CN_EINVAL: no journal at all */
        x->last_known = 1;
    else if (status == 0 && t->rc != CN_EINVAL) /* CN_EINVAL: an engine without a journal */
        CN_LOG(CN_LOG_WARN, "xdc: journal trim/last: %s", cn_strerror(t->rc));
    cn_free(t);
    if (x->stopping)
        return;
    for (size_t i = 0; i < x->nlinks; i++) /* what the new last seq lets them read */
        if (!x->links[i]->gone)
            link_tick(x->links[i], cn_mono_ms());
    if (x->kicked) { /* kicked while this one ran */
        x->kicked = 0;
        trim_and_last(x, 0);
    }
}

/* The journal's last seq, and with trim the entries every link has sent trimmed: every
 * second, and on a kick (last seq only). */
static void trim_and_last(struct stor_xdc *x, int trim)
{
    uint64_t upto = UINT64_MAX;
    struct jtrim *t;
    int any = 0;

    if (x->trimming) {
        x->kicked |= !trim;
        return;
    }
    for (size_t i = 0; i < x->nlinks; i++) {
        if (x->links[i]->gone)
            continue;
        any = 1;
        if (x->links[i]->acked < upto)
            upto = x->links[i]->acked;
    }
    if (!any)
        upto = x->last_seq; /* no link left: nothing waits for what the journal holds */
    /* never the newest entry: the engine numbers the next seq after the last one it finds
     * at open, so an emptied journal would restart at 1, below every link's cursor, and the
     * changes after a restart would be taken for sent */
    if (upto >= x->last_seq)
        upto = x->last_seq > 0 ? x->last_seq - 1 : 0;
    if (!x->links_current)
        upto = 0; /* the links are not known yet (a restart): keep everything */
    t = cn_calloc(1, sizeof(*t));
    t->work.data = t;
    t->x = x;
    t->upto = trim ? upto : 0;
    x->trimming = 1;
    cn_work_queue(x->s->loop, &t->work, run_trim, trim_done, "xdc journal trim");
}

/* ---- the tick --------------------------------------------------------------------------- */

/* The bound: a link more than journal_max entries behind that has sent nothing for
 * XDC_STALL_MS skips the oldest and needs recover-cluster. The window's changes go first (a
 * remote that is down holds the window full: they are the oldest), those with a call out
 * once it has come back; then the cursor jumps. */
static void bound(xdc_link_t *l, uint64_t now)
{
    struct stor_xdc *x = l->x;
    uint64_t max = x->s->conf->xdc_journal_max;

    if (x->last_seq <= l->acked || x->last_seq - l->acked <= max)
        return;
    /* only a link that makes no progress: one that drains (the remote back, recover-cluster's
     * requeued keys) catches up instead of skipping what it is about to send */
    if (now - l->progress_ms < XDC_STALL_MS)
        return;
    if (!l->needs_recover)
        CN_LOG(CN_LOG_ERROR, "xdc link=%s: the journal bound ([xdc] journal_max = %" PRIu64
               ") is reached: the oldest changes are skipped, run recover-cluster %s",
               l->id, max, l->id);
    l->needs_recover = 1;
    l->saved = UINT64_MAX; /* the flag is in the cursor file */
    for (struct xdc_change *ch = l->win_head; ch != NULL; ch = ch->next)
        if (!ch->busy && ch->step != CH_DONE) {
            ch->step = CH_DONE;
            l->skipped++;
        }
    pop_done(l);
    if (l->win_head != NULL || l->reading || l->read > l->acked ||
        x->last_seq - l->acked <= max)
        return;
    l->skipped += x->last_seq - max - l->acked;
    l->acked = l->read = x->last_seq - max;
}

static void link_tick(xdc_link_t *l, uint64_t now)
{
    if (strcmp(l->state, "linked") != 0 || l->x->cluster_id[0] == '\0')
        return;
    if (l->nodes_at_ms == 0 || now - l->nodes_at_ms >= XDC_NODES_EVERY_MS)
        fetch_nodes(l);
    bound(l, now);
    read_more(l);
    for (struct xdc_change *ch = l->win_head; ch != NULL; ch = ch->next)
        if (ch->step != CH_DONE && !ch->busy && now >= ch->retry_at_ms)
            advance(ch);
}

static void on_tick(uv_timer_t *t)
{
    struct stor_xdc *x = t->data;
    uint64_t now = cn_mono_ms();
    size_t w = 0;

    if (x->stopping)
        return;
    for (size_t i = 0; i < x->nlinks; i++) {
        xdc_link_t *l = x->links[i];

        if (l->gone) {
            close_clients(l);
            if (xdc_sender_link_idle(l)) {
                xdc_link_free(l);
                continue;
            }
        } else {
            link_tick(l, now);
            if (now / XDC_SAVE_EVERY_MS != (now - XDC_TICK_MS) / XDC_SAVE_EVERY_MS)
                cursor_save(l);
        }
        x->links[w++] = l;
    }
    x->nlinks = w;
    /* once a second while there are links or entries (from links now gone, or journaled
     * before this node knew its links), and once after a start to know which */
    if (now / 1000 != (now - XDC_TICK_MS) / 1000 &&
        (x->nlinks > 0 || x->last_seq > 0 || !x->last_known))
        trim_and_last(x, 1);
}

/* ---- module interface ------------------------------------------------------------------- */

void stor_xdc_kick(struct stor_server *s)
{
    struct stor_xdc *x = s->xdc;

    if (x != NULL && !x->stopping && x->linked > 0)
        trim_and_last(x, 0);
}

void xdc_sender_link_changed(xdc_link_t *l)
{
    if (!l->started) {
        cursor_load(l);
        l->started = 1;
        l->progress_ms = cn_mono_ms(); /* a new link has its grace too */
    }
    close_clients(l);
    if (l->tls != NULL)
        cn_rpc_tls_free(l->tls);
    l->tls = NULL;
}

int xdc_sender_link_idle(xdc_link_t *l)
{
    struct xdc_change *ch, *next;

    if (l->inflight > 0)
        return 0;
    for (ch = l->win_head; ch != NULL; ch = next) {
        next = ch->next;
        change_free(ch);
    }
    l->win_head = l->win_tail = NULL;
    if (l->tls != NULL)
        cn_rpc_tls_free(l->tls);
    l->tls = NULL;
    return 1;
}

static void lag_of(const xdc_link_t *l, uint64_t *lag, uint64_t *lag_s)
{
    uint64_t last = l->x->last_seq, now = cn_now_ns();

    *lag = last > l->acked ? last - l->acked : 0;
    *lag_s = 0;
    if (*lag > 0 && l->win_head != NULL && l->win_head->jclock < now)
        *lag_s = (now - l->win_head->jclock) / 1000000000ull;
}

size_t stor_xdc_stats(const struct stor_server *s, stor_xdc_link_stats_t *out, size_t max)
{
    const struct stor_xdc *x = s->xdc;
    size_t n = 0;

    for (size_t i = 0; x != NULL && i < x->nlinks && n < max; i++) {
        const xdc_link_t *l = x->links[i];

        if (l->gone)
            continue;
        memcpy(out[n].id, l->id, sizeof(out[n].id));
        lag_of(l, &out[n].lag_objects, &out[n].lag_seconds);
        out[n].sent = l->sent;
        out[n].errors = l->errors;
        out[n].skipped = l->skipped;
        out[n].needs_recover = l->needs_recover;
        n++;
    }
    return n;
}

void xdc_sender_stats_json(xdc_link_t *l, void *obj)
{
    uint64_t lag, lag_s;
    json_t *o = json_object();

    lag_of(l, &lag, &lag_s);
    json_object_set_new(o, "sent", json_integer((json_int_t)l->sent));
    json_object_set_new(o, "lag_objects", json_integer((json_int_t)lag));
    json_object_set_new(o, "lag_seconds", json_integer((json_int_t)lag_s));
    /* an estimate: an entry is its key and 22 bytes of key, seq, clock and flags */
    json_object_set_new(o, "queue_bytes", json_integer((json_int_t)(lag * 64)));
    json_object_set_new(o, "last_error", json_string(l->last_error));
    json_object_set_new(o, "last_ok_ms", json_integer((json_int_t)l->last_ok_ms));
    json_object_set_new(o, "needs_recover", json_integer(l->needs_recover));
    json_object_set_new(o, "skipped", json_integer((json_int_t)l->skipped));
    json_object_set_new((json_t *)obj, l->id, o);
}

int xdc_sender_start(struct stor_xdc *x)
{
    int rc;

    if ((rc = uv_timer_init(x->s->loop, &x->timer)) != 0)
        return rc;
    x->timer.data = x;
    return uv_timer_start(&x->timer, on_tick, XDC_TICK_MS, XDC_TICK_MS);
}

void xdc_sender_stop(struct stor_xdc *x)
{
    uv_timer_stop(&x->timer);
    uv_close((uv_handle_t *)&x->timer, NULL);
    for (size_t i = 0; i < x->nlinks; i++)
        close_clients(x->links[i]);
}
