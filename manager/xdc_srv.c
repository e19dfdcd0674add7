/*
 * manager/xdc_srv.c: the manager's link listener (issue 22, multi-datacenter replication;
 * docs/PROTOCOL.md "The link listener"): a second RPC server on [xdc] listen, TLS only, that
 * other clusters (their storage nodes and managers) call. It serves the link ops alone
 * (xdc_nodes, xdc_state, and recover-cluster's xdc_range_hash and xdc_requeue, which fan out
 * to this cluster's storage nodes with blocking calls on the libuv thread pool and answer
 * from there, at most XDC_JOBS at once); any other op is CN_ENOTSUP, so a linked cluster never reaches the
 * cluster RPC (register, get_users, kms_key...), which keeps the cluster secret.
 * Authentication: the client's hello name is its cluster's id, optionally "/" and a node name
 * ("3f1c0a9e5b7d2c44/storage0"); its secret is the shared secret of this cluster's link to
 * that id, unwrapped, as 64 lower-case hex digits (clusters.h). Only a link in state
 * "linked" authenticates, and every request checks again that it still is (a link removed
 * while a connection is open refuses that connection's next request with CN_EAUTH).
 * Threads: the loop thread; the secret lookup and each op take s->lock for the state. The
 * unwrapped secret is on the stack of secret_of only and wiped there; the copy the RPC server
 * keeps for the handshake is common/rpc's.
 */
#include "manager/manager.h"

#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "common/proto.h"
#include "manager/clusters.h"
#include "common/work.h"
#include "manager/xdc_recover.h"
#include "manager/xdc_sync.h"

#define XDC_NODES_MAX 8192 /* bytes of xdc_nodes' comma-joined list */
#define XDC_JOB_MAGIC 0x58444a42u /* "XDJB" */
#define XDC_JOBS 2                /* recover-cluster ops on the thread pool at once */

/* The cluster id of a hello name ("ID" or "ID/NODE") into id: 0, or CN_EINVAL. */
static int peer_cluster(const char *peer, char id[MGR_CLUSTER_ID_LEN + 1])
{
    size_t n = strcspn(peer, "/");

    if (n != MGR_CLUSTER_ID_LEN)
        return CN_EINVAL;
    memcpy(id, peer, n);
    id[n] = '\0';
    return mgr_clusters_id_valid(id) ? 0 : CN_EINVAL;
}

/* 0 when the link to the cluster id is in state linked; CN_EAUTH otherwise. Lock held. */
static int linked(struct mgr_server *s, const char *id)
{
    mgr_cluster_link_t l;

    if (mgr_clusters_get(s->st, id, &l) != 0 || strcmp(l.state, MGR_LINK_LINKED) != 0)
        return CN_EAUTH;
    return 0;
}

int mgr_xdc_secret(struct mgr_server *s, const char *peer, char *secret, size_t cap)
{
    uint8_t raw[MGR_CLUSTER_SECRET_LEN];
    char id[MGR_CLUSTER_ID_LEN + 1];
    int rc;

    if (cap < 2 * MGR_CLUSTER_SECRET_LEN + 1 || peer_cluster(peer, id) != 0)
        return CN_EAUTH;
    pthread_mutex_lock(&s->lock);
    if ((rc = linked(s, id)) == 0 && mgr_clusters_secret(s->st, &s->kms, id, raw) != 0)
        rc = CN_EAUTH; /* logged by mgr_clusters_secret */
    pthread_mutex_unlock(&s->lock);
    if (rc == 0)
        cn_hex(raw, sizeof(raw), secret);
    OPENSSL_cleanse(raw, sizeof(raw));
    if (rc != 0)
        CN_LOG(CN_LOG_INFO, "peer=%.80s: link listener refused: no linked cluster by that id",
               peer);
    return rc;
}

static int secret_of(const char *peer, char *secret, size_t cap, void *arg)
{
    struct mgr_server *s = arg;

    CN_CHECK_OBJ(s, MGR_SERVER_MAGIC);
    return mgr_xdc_secret(s, peer, secret, cap);
}

void mgr_xdc_nodes_csv(const mgr_members_t *ms, char *out, size_t outlen)
{
    size_t off = 0;

    out[0] = '\0';
    for (size_t i = 0; i < ms->n; i++) {
        const mgr_member_t *m = &ms->v[i];
        int n;

        if (strcmp(m->type, CN_NODE_STORAGE) != 0 || strcmp(m->state, MGR_STATE_RUNNING) != 0 ||
            m->xdc_addr[0] == '\0')
            continue;
        n = snprintf(out + off, outlen - off, "%s%s", off ? "," : "", m->xdc_addr);
        if (n < 0 || (size_t)n >= outlen - off) {
            out[off] = '\0'; /* at an address boundary */
            return;
        }
        off += (size_t)n;
    }
}

/* xdc_nodes: {cluster_id, nodes}: this cluster's id and the link listeners of its running
 * storage nodes. The leader's: its heartbeats are where the addresses come from. */
static int op_xdc_nodes(struct mgr_server *s, cn_msg_t *resp)
{
    char id[MGR_CLUSTER_ID_LEN + 1], *nodes;
    int rc;

    if (!mgr_raft_is_leader(s)) {
        /* the leader's link listener address is not known here ([manager] peers names its
         * RPC and admin ports only): "" sends the remote to its next manager address */
        cn_msg_set_str(resp, "leader", "");
        return CN_ENOTLEADER;
    }
    if ((rc = mgr_clusters_id(s->st, id)) != 0)
        return rc == CN_ENOENT ? CN_EAGAIN : rc;
    nodes = cn_malloc(XDC_NODES_MAX);
    mgr_xdc_nodes_csv(&s->members, nodes, XDC_NODES_MAX);
    cn_msg_set_str(resp, "cluster_id", id);
    cn_msg_set_str(resp, "nodes", nodes);
    cn_free(nodes);
    return 0;
}

/* xdc_state {since}: this cluster's users, keys and buckets stamped after since, and its own
 * KEKs, for the remote cluster id, secrets and KEKs sealed by that link's key (xdc_sync.h,
 * xdc_keys.h). Lock held. */
static int op_xdc_state(struct mgr_server *s, const char *id, const cn_msg_t *req,
                        cn_msg_t *resp)
{
    uint8_t raw[MGR_CLUSTER_SECRET_LEN];
    uint64_t since = 0;
    cn_buf_t body;
    size_t len;
    int rc;

    if (cn_msg_opt_u64(req, "since", 0, &since) != 0)
        return CN_EINVAL;
    if (!mgr_raft_is_leader(s)) {
        cn_msg_set_str(resp, "leader", "");
        return CN_ENOTLEADER;
    }
    if ((rc = mgr_clusters_secret(s->st, &s->kms, id, raw)) != 0)
        return CN_EAUTH;
    cn_buf_init(&body);
    rc = mgr_xdc_sync_dump(s->st, &s->kms, raw, since, MGR_XDC_DUMP_LIMIT, &body);
    OPENSSL_cleanse(raw, sizeof(raw));
    if (rc == 0) {
        void *data = cn_buf_steal(&body, &len);

        cn_msg_set_body(resp, data, len);
    }
    cn_buf_dispose(&body);
    return rc;
}

/* ---- recover-cluster's ops (xdc_recover.h), on the thread pool --------------------------- */

struct xdc_job {
    uint32_t magic;
    uv_work_t work;
    struct mgr_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req, *resp;
    char why[512];
};

static int xdc_jobs; /* loop thread only */

/* xdc_range_hash: range_hash's fields (prefix, depth, hash_prefix, bits, list, select) asked
 * of every running storage node of this cluster, added up: the summary wire form (count =
 * the children) or the lists one after the other. */
static int job_range_hash(struct xdc_job *j)
{
    struct mgr_rh_q q = {0};
    uint64_t depth, value, bits, list;
    cn_rh_summary_t sum = {0};
    cn_buf_t out;
    size_t len, n = 0;
    int rc;

    if (cn_msg_opt_bytes(j->req, "prefix", &q.prefix) != 0 ||
        cn_msg_opt_bytes(j->req, "select", &q.select) != 0 ||
        cn_msg_opt_u64(j->req, "depth", 0, &depth) != 0 ||
        cn_msg_opt_u64(j->req, "hash_prefix", 0, &value) != 0 ||
        cn_msg_opt_u64(j->req, "bits", 0, &bits) != 0 ||
        cn_msg_opt_u64(j->req, "list", 0, &list) != 0 || list > 1 ||
        depth > CN_RH_MAX_DEPTH || bits > CN_RH_MAX_BITS || depth + bits > CN_RH_MAX_DEPTH)
        return CN_EINVAL;
    q.range = (cn_rh_range_t){(uint32_t)depth, value};
    q.bits = (uint32_t)bits;
    q.list = (int)list;
    if (cn_rh_range_check(q.range) != 0 ||
        (q.select.len > 0 && (!q.list || q.select.len != cn_rh_select_len(q.bits))))
        return CN_EINVAL;
    cn_buf_init(&out);
    if (!q.list && (rc = cn_rh_summary_init(&sum, q.range, q.bits)) != 0)
        goto out;
    if ((rc = mgr_xdc_rh_cluster(j->s, &q, q.list ? NULL : &sum, &out, j->why,
                                 sizeof(j->why))) != 0)
        goto out;
    if (!q.list)
        n = cn_rh_summary_encode(&sum, &out);
    cn_msg_set_u64(j->resp, "version", CN_RH_VERSION);
    if (!q.list)
        cn_msg_set_u64(j->resp, "children", n);
    if (out.len > 0) {
        void *p = cn_buf_steal(&out, &len); /* before len is read */

        cn_msg_set_body(j->resp, p, len);
    }
out:
    if (sum.magic != 0)
        cn_rh_summary_dispose(&sum);
    cn_buf_dispose(&out);
    return rc;
}

/* xdc_requeue {keys}: passed to this cluster's nodes, answered {queued}. */
static int job_requeue(struct xdc_job *j)
{
    cn_slice_t keys;
    uint64_t queued = 0;
    int rc;

    if (cn_msg_get_bytes(j->req, "keys", &keys) != 0)
        return CN_EINVAL;
    rc = mgr_xdc_requeue_cluster(j->s, keys, &queued, j->why, sizeof(j->why));
    cn_msg_set_u64(j->resp, "queued", queued);
    return rc;
}

static void job_run(uv_work_t *w)
{
    struct xdc_job *j = w->data;
    int rc;

    CN_CHECK_OBJ(j, XDC_JOB_MAGIC);
    rc = strcmp(cn_msg_op(j->req), CN_OP_XDC_REQUEUE) == 0 ? job_requeue(j) : job_range_hash(j);
    if (rc != 0)
        cn_msg_set_str(j->resp, "error", j->why[0] != '\0' ? j->why : cn_strerror(rc));
    cn_msg_set_rc(j->resp, rc);
}

static void job_done(uv_work_t *w, int status)
{
    struct xdc_job *j = w->data;

    CN_CHECK_OBJ(j, XDC_JOB_MAGIC);
    xdc_jobs--;
    if (status != 0)
        cn_msg_set_rc(j->resp, CN_ECANCELED);
    if (cn_msg_rc(j->resp) != 0)
        CN_LOG(CN_LOG_WARN, "op=%s peer=%.80s rc=%s why=%s: link op failed", cn_msg_op(j->req),
               cn_rpc_conn_peer(j->conn), cn_strerror(cn_msg_rc(j->resp)), j->why);
    cn_rpc_reply(j->conn, j->req, j->resp);
    j->magic = 0;
    cn_free(j);
}

/* Queues a recover-cluster op; the leader's only (its members are the heartbeats'). Lock
 * held; the job takes it itself. 0 (answered later) or the code to answer now. */
static int job_start(struct mgr_server *s, cn_rpc_conn_t *conn, cn_msg_t *req, cn_msg_t *resp)
{
    struct xdc_job *j;

    if (!mgr_raft_is_leader(s)) {
        cn_msg_set_str(resp, "leader", "");
        return CN_ENOTLEADER;
    }
    if (xdc_jobs >= XDC_JOBS)
        return CN_EBUSY;
    j = cn_calloc(1, sizeof(*j));
    j->magic = XDC_JOB_MAGIC;
    j->s = s;
    j->conn = conn;
    j->req = req;
    j->resp = resp;
    j->work.data = j;
    xdc_jobs++; /* first: a refused job's job_done runs before cn_work_queue returns */
    cn_work_queue(&s->loop, &j->work, job_run, job_done, cn_msg_op(req));
    return 0;
}

static void on_request(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct mgr_server *s = udata;
    const char *op = cn_msg_op(req), *peer = cn_rpc_conn_peer(conn);
    cn_msg_t *resp = cn_msg_new(op);
    char id[MGR_CLUSTER_ID_LEN + 1];
    int rc;

    CN_CHECK_OBJ(s, MGR_SERVER_MAGIC);
    pthread_mutex_lock(&s->lock);
    if (peer_cluster(peer, id) != 0 || (rc = linked(s, id)) != 0)
        rc = CN_EAUTH; /* removed since the hello */
    else if (strcmp(op, CN_OP_XDC_NODES) == 0)
        rc = op_xdc_nodes(s, resp);
    else if (strcmp(op, CN_OP_XDC_STATE) == 0)
        rc = op_xdc_state(s, id, req, resp);
    else if (strcmp(op, CN_OP_XDC_RANGE_HASH) != 0 && strcmp(op, CN_OP_XDC_REQUEUE) != 0)
        rc = CN_ENOTSUP;
    else if ((rc = job_start(s, conn, req, resp)) == 0) {
        pthread_mutex_unlock(&s->lock);
        return; /* job_done answers */
    }
    pthread_mutex_unlock(&s->lock);
    if (rc != 0 && rc != CN_ENOTLEADER)
        CN_LOG(CN_LOG_DEBUG, "op=%.32s peer=%.80s rc=%s: link listener", op, peer,
               cn_strerror(rc));
    cn_msg_set_rc(resp, rc);
    cn_rpc_reply(conn, req, resp);
}

/* ---- the puller's transport (xdc_sync.h: mgr_xdc_sync_set_fetch) ------------------------
 * One client per linked cluster, to one of its managers' link listeners, kept between pulls
 * and moved to the next address when a call fails; the hello names this cluster's id and
 * the link's secret keys it; the remote's certificate is checked with the link's own CA
 * when it was joined with one, else with [xdc] ca_file. */

struct xdc_pull {
    struct mgr_server *s;
    char id[MGR_CLUSTER_ID_LEN + 1];
    char managers[MGR_CLUSTER_MANAGERS_LEN + 1];
    size_t next;                   /* the address in use */
    cn_rpc_client_t *c;
    cn_rpc_tls_t *tls;             /* the link's CA; NULL: s->xdc_client_tls */
    int busy;                      /* a pull is out: one at a time, so a client is never
                                    * destroyed with a call on it under the lock (its
                                    * callback takes the lock) */
};

static void pull_close(struct xdc_pull *p)
{
    if (p->c != NULL)
        cn_rpc_client_destroy(p->c);
    p->c = NULL;
    cn_rpc_tls_free(p->tls);
    p->tls = NULL;
}

static struct xdc_pull *pull_for(struct mgr_server *s, const char *id)
{
    struct xdc_pull *free_slot = NULL;

    for (size_t i = 0; i < MGR_XDC_PULLS; i++) {
        if (s->xdc_pulls[i] != NULL && strcmp(s->xdc_pulls[i]->id, id) == 0)
            return s->xdc_pulls[i];
    }
    for (size_t i = 0; i < MGR_XDC_PULLS && free_slot == NULL; i++) {
        mgr_cluster_link_t l;

        /* a slot of a cluster no longer linked, idle, is taken back (lock held: the state) */
        if (s->xdc_pulls[i] != NULL && !s->xdc_pulls[i]->busy &&
            mgr_clusters_get(s->st, s->xdc_pulls[i]->id, &l) == CN_ENOENT) {
            pull_close(s->xdc_pulls[i]);
            cn_free(s->xdc_pulls[i]);
            s->xdc_pulls[i] = NULL;
        }
        if (s->xdc_pulls[i] == NULL) {
            s->xdc_pulls[i] = cn_calloc(1, sizeof(*free_slot));
            free_slot = s->xdc_pulls[i];
        }
    }
    if (free_slot != NULL) {
        free_slot->s = s;
        snprintf(free_slot->id, sizeof(free_slot->id), "%s", id);
    }
    return free_slot;
}


/* The n-th address of a comma-joined list into out; 0 or CN_ENOENT. */
static int nth_addr(const char *csv, size_t n, char *out, size_t cap)
{
    const char *p = csv;

    for (size_t i = 0; *p != '\0'; i++) {
        size_t k = strcspn(p, ",");

        if (i == n) {
            if (k >= cap)
                return CN_ENOENT;
            memcpy(out, p, k);
            out[k] = '\0';
            return 0;
        }
        p += k + (p[k] == ',');
    }
    return CN_ENOENT;
}

/* A TLS context for the link to id with its own CA into *tls (NULL: it was joined without
 * one; [xdc] ca_file checks it). 0 or CN_EIO. Lock held. */
static int link_ca_tls(struct mgr_server *s, const char *id, cn_rpc_tls_t **tls)
{
    char path[4200], *pem = NULL;
    size_t pem_len = 0;
    FILE *f;
    int rc;

    *tls = NULL;
    if (mgr_clusters_ca(s->st, id, &pem, &pem_len) != 0)
        return 0;
    snprintf(path, sizeof(path), "%s/xdc-%s.ca.pem", s->conf.data_dir, id);
    f = fopen(path, "w");
    rc = f == NULL || fwrite(pem, 1, pem_len, f) != pem_len;
    if (f != NULL && fclose(f) != 0)
        rc = 1;
    cn_free(pem);
    if (rc != 0 || cn_rpc_tls_client_new(path, tls) != 0)
        return CN_EIO;
    return 0;
}

/* A client for p's current address; lock held. */
static int pull_client(struct xdc_pull *p)
{
    struct mgr_server *s = p->s;
    char addr[128], host[64], self[MGR_CLUSTER_ID_LEN + 1], hex[2 * MGR_CLUSTER_SECRET_LEN + 1];
    uint8_t raw[MGR_CLUSTER_SECRET_LEN];
    cn_rpc_client_opts_t o = {0};
    int rc, port;

    if (p->c != NULL)
        return 0;
    if (nth_addr(p->managers, p->next, addr, sizeof(addr)) != 0) {
        p->next = 0;
        if (nth_addr(p->managers, 0, addr, sizeof(addr)) != 0)
            return CN_EINVAL;
    }
    if (cn_parse_hostport(addr, host, sizeof(host), &port) != 0 ||
        mgr_clusters_id(s->st, self) != 0)
        return CN_EINVAL;
    if (p->tls == NULL && (rc = link_ca_tls(s, p->id, &p->tls)) != 0)
        return rc;
    if (p->tls == NULL && s->xdc_client_tls == NULL)
        return CN_ENOTSUP; /* nothing to check the remote's certificate with */
    if ((rc = mgr_clusters_secret(s->st, &s->kms, p->id, raw)) != 0)
        return rc;
    cn_hex(raw, sizeof(raw), hex);
    OPENSSL_cleanse(raw, sizeof(raw));
    o.host = host;
    o.port = port;
    o.secret = hex;
    o.self_name = self;
    o.tls = p->tls != NULL ? p->tls : s->xdc_client_tls;
    rc = cn_rpc_client_create_opts(&s->loop, &o, &p->c);
    OPENSSL_cleanse(hex, sizeof(hex));
    return rc;
}

static void on_state(int status, cn_msg_t *resp, void *arg)
{
    struct xdc_pull *p = arg;
    struct mgr_server *s = p->s;
    int rc = status != 0 ? status : cn_msg_rc(resp);
    cn_slice_t body = resp != NULL ? cn_msg_body(resp) : cn_slice("", 0);
    cn_rpc_client_t *old = NULL;
    cn_rpc_tls_t *old_tls = NULL;

    pthread_mutex_lock(&s->lock);
    p->busy = 0;
    if (rc != 0 && status != CN_ECANCELED) {
        /* this manager is not (or no more) the remote's leader, or does not answer: the next
         * address at the next pull, with the link's CA read again (joined anew with another) */
        p->next++;
        old = p->c;
        old_tls = p->tls;
        p->c = NULL;
        p->tls = NULL;
    }
    if (s->xsync != NULL)
        mgr_xdc_sync_fetched(s->xsync, p->id, rc, body.ptr, body.len);
    pthread_mutex_unlock(&s->lock);
    if (old != NULL) /* no call left on it (one at a time), so no callback runs here */
        cn_rpc_client_destroy(old);
    cn_rpc_tls_free(old_tls);
    cn_msg_free(resp);
}

/* mgr_xdc_sync_fetch_fn: the loop thread, lock held. */
static void fetch_state(void *ctx, mgr_xdc_sync_t *xs, const char *remote,
                        const char *managers, uint64_t since)
{
    struct mgr_server *s = ctx;
    struct xdc_pull *p = pull_for(s, remote);
    cn_msg_t *req;
    int rc = p == NULL ? CN_ENOSPC : 0;

    if (rc == 0 && p->busy) { /* the last pull is still out (a leader change meanwhile) */
        mgr_xdc_sync_fetched(xs, remote, CN_EBUSY, NULL, 0);
        return;
    }
    if (rc == 0 && strcmp(p->managers, managers) != 0) {
        pull_close(p); /* the link was changed: new addresses, maybe a new CA */
        snprintf(p->managers, sizeof(p->managers), "%s", managers);
        p->next = 0;
    }
    if (rc == 0)
        rc = pull_client(p);
    if (rc != 0) {
        mgr_xdc_sync_fetched(xs, remote, rc, NULL, 0);
        return;
    }
    req = cn_msg_new(CN_OP_XDC_STATE);
    cn_msg_set_u64(req, "since", since);
    p->busy = 1;
    cn_rpc_call(p->c, req, MGR_XDC_CALL_MS, on_state, p);
}

int mgr_xdc_call_sync(struct mgr_server *s, const char *remote, cn_msg_t *req,
                      uint64_t timeout_ms, cn_msg_t **resp, char *why, size_t whylen)
{
    char managers[MGR_CLUSTER_MANAGERS_LEN + 1], self[MGR_CLUSTER_ID_LEN + 1];
    char hex[2 * MGR_CLUSTER_SECRET_LEN + 1], addr[128], host[64];
    uint8_t raw[MGR_CLUSTER_SECRET_LEN];
    cn_rpc_tls_t *own = NULL; /* this call's own: s->xdc_client_tls goes at mgr_xdc_stop */
    mgr_cluster_link_t l;
    int rc, port, ok;

    *resp = NULL;
    pthread_mutex_lock(&s->lock);
    if ((rc = mgr_clusters_get(s->st, remote, &l)) != 0 || strcmp(l.state, MGR_LINK_LINKED) != 0) {
        snprintf(why, whylen, "no linked cluster %s", remote);
        rc = rc != 0 ? rc : CN_ENOENT;
    } else if ((rc = mgr_clusters_id(s->st, self)) != 0) {
        snprintf(why, whylen, "this cluster has no id yet");
    } else if ((rc = link_ca_tls(s, remote, &own)) != 0 ||
               (own == NULL && (rc = s->conf.xdc_ca[0] != '\0'
                                         ? cn_rpc_tls_client_new(s->conf.xdc_ca, &own)
                                         : CN_ENOTSUP) != 0)) {
        snprintf(why, whylen, "nothing to check cluster %s's certificate with (its link's CA "
                 "or [xdc] ca_file does not load, or neither is set)", remote);
    } else if ((rc = mgr_clusters_secret(s->st, &s->kms, remote, raw)) != 0) {
        snprintf(why, whylen, "the link's secret does not unwrap here (%s)", cn_strerror(rc));
    }
    if ((ok = rc == 0)) {
        snprintf(managers, sizeof(managers), "%s", l.managers);
        cn_hex(raw, sizeof(raw), hex);
        OPENSSL_cleanse(raw, sizeof(raw));
        rc = CN_EINVAL; /* no address at all */
        snprintf(why, whylen, "cluster %s has no manager address", remote);
    }
    pthread_mutex_unlock(&s->lock);
    /* every manager in turn until one answers as the leader */
    for (size_t i = 0; ok; i++) {
        cn_rpc_client_opts_t o = {.secret = hex, .self_name = self, .tls = own};

        if (nth_addr(managers, i, addr, sizeof(addr)) != 0)
            break;
        if (cn_parse_hostport(addr, host, sizeof(host), &port) != 0)
            continue;
        o.host = host;
        o.port = port;
        rc = cn_rpc_call_sync_opts(&o, cn_msg_dup(req), timeout_ms, resp);
        if (rc == 0 && cn_msg_rc(*resp) != CN_ENOTLEADER)
            break;
        if (rc == 0) {
            rc = CN_ENOTLEADER;
            cn_msg_free(*resp);
            *resp = NULL;
        }
        snprintf(why, whylen, "cluster %s's manager %s: %s", remote, addr, cn_strerror(rc));
    }
    OPENSSL_cleanse(hex, sizeof(hex));
    cn_rpc_tls_free(own);
    cn_msg_free(req);
    if (rc != 0) {
        cn_msg_free(*resp);
        *resp = NULL;
    }
    return rc;
}

int mgr_xdc_start(struct mgr_server *s)
{
    cn_rpc_server_opts_t o = {
        .handler = on_request,
        .udata = s,
        .secret_fn = secret_of,
        .secret_arg = s,
    };
    int rc;

    if (s->conf.xdc_listen[0] == '\0')
        return 0;
    if ((rc = cn_rpc_tls_server_new(s->conf.xdc_cert, s->conf.xdc_key, &s->xdc_tls)) != 0) {
        CN_LOG(CN_LOG_ERROR, "cert_file=%s key_file=%s rc=%s: [xdc] the link listener's TLS "
               "certificate or key does not load", s->conf.xdc_cert, s->conf.xdc_key,
               cn_strerror(rc));
        return rc;
    }
    if (s->conf.xdc_ca[0] != '\0' &&
        (rc = cn_rpc_tls_client_new(s->conf.xdc_ca, &s->xdc_client_tls)) != 0) {
        CN_LOG(CN_LOG_ERROR, "ca_file=%s rc=%s: [xdc] the CA file does not load",
               s->conf.xdc_ca, cn_strerror(rc));
        return rc;
    }
    cn_parse_hostport(s->conf.xdc_listen, s->xdc_host, sizeof(s->xdc_host), &s->xdc_port);
    o.host = s->xdc_host;
    o.port = s->xdc_port;
    o.tls = s->xdc_tls;
    if ((rc = cn_rpc_server_start(&s->loop, &o, &s->xdc)) != 0) {
        CN_LOG(CN_LOG_ERROR, "listen=%s rc=%s: [xdc] cannot listen", s->conf.xdc_listen,
               cn_strerror(rc));
        return rc;
    }
    s->xdc_port = cn_rpc_server_port(s->xdc);
    mgr_xdc_sync_set_fetch(s->xsync, fetch_state, s);
    CN_LOG(CN_LOG_INFO, "xdc=%s:%d: link listener (TLS) running", s->xdc_host, s->xdc_port);
    return 0;
}

void mgr_xdc_stop(struct mgr_server *s)
{
    if (s->xsync != NULL)
        mgr_xdc_sync_set_fetch(s->xsync, NULL, NULL);
    for (size_t i = 0; i < MGR_XDC_PULLS; i++) {
        if (s->xdc_pulls[i] == NULL)
            continue;
        pull_close(s->xdc_pulls[i]);
        cn_free(s->xdc_pulls[i]);
        s->xdc_pulls[i] = NULL;
    }
    if (s->xdc != NULL)
        cn_rpc_server_stop(s->xdc);
    s->xdc = NULL;
    cn_rpc_tls_free(s->xdc_tls);
    cn_rpc_tls_free(s->xdc_client_tls);
    s->xdc_tls = s->xdc_client_tls = NULL;
}
