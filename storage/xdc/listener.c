/*
 * storage/xdc/listener.c: the link listener of a storage node ([xdc] listen): the cluster RPC
 * framing over TLS ([xdc] cert_file, key_file), whose hello names the REMOTE cluster's id
 * (optionally "/node"), authenticated by that link's shared secret (a remote that is not
 * linked, or is being removed, cannot connect). One op, xdc_write: a version of a key as the
 * remote cluster stores it, which this node's coordinator writes with this cluster's N and W
 * and the version's own clock and mtime (storage/cluster/replicator.c, from a link: no
 * condition, no lock bypass, never journaled again), so the last writer by clock wins on both
 * sides.
 *   xdc_write {key, clock, origin, tomb: 0|1, etag, meta, flags, size, mtime, body}
 *     -> {rc: 0 | CN_ESTALE (this cluster holds this version or a newer one) | CN_E*}
 * origin must be the id the connection authenticated as: in a full mesh every change is sent
 * by the cluster where it was made, so anything else is refused (CN_EPERM).
 */
#include "storage/xdc/xdc_int.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "storage/cluster/cluster.h"
#include "storage/storage.h"

/* The secret of the remote cluster a hello names ("<id>" or "<id>/<node>"). */
static int secret_of(const char *peer, char *secret, size_t cap, void *arg)
{
    struct stor_xdc *x = arg;
    char id[STOR_XDC_ID_LEN + 1];
    xdc_link_t *l;
    size_t n = strcspn(peer, "/");

    if (n != STOR_XDC_ID_LEN)
        return CN_EAUTH;
    memcpy(id, peer, n);
    id[n] = '\0';
    l = xdc_link_find(x, id);
    if (l == NULL || strcmp(l->state, "linked") != 0 || l->secret[0] == '\0' ||
        cap <= strlen(l->secret))
        return CN_EAUTH;
    memcpy(secret, l->secret, strlen(l->secret) + 1);
    return 0;
}

/* 1 while the remote cluster a connection authenticated as is linked: checked on every
 * request, as the manager's listener does, so a removed link stops at once. */
static int peer_linked(struct stor_xdc *x, const char *peer)
{
    char id[STOR_XDC_ID_LEN + 1];
    xdc_link_t *l;

    if (strcspn(peer, "/") != STOR_XDC_ID_LEN)
        return 0;
    memcpy(id, peer, STOR_XDC_ID_LEN);
    id[STOR_XDC_ID_LEN] = '\0';
    l = xdc_link_find(x, id);
    return l != NULL && strcmp(l->state, "linked") == 0 && l->secret[0] != '\0';
}

static void reply_rc(cn_rpc_conn_t *conn, cn_msg_t *req, int rc)
{
    cn_msg_t *resp = cn_msg_new(cn_msg_op(req));

    cn_msg_set_rc(resp, rc);
    cn_rpc_reply(conn, req, resp);
}

/* Fills m and op from an xdc_write; 0 or CN_EINVAL / CN_EPERM. */
static int parse_write(cn_rpc_conn_t *conn, const cn_msg_t *req, enum stor_obj_op *op,
                       stor_obj_meta_t *m, cn_slice_t *body)
{
    cn_slice_t key, etag;
    uint64_t tomb = 0, flags = 0;
    char origin[STOR_XDC_ID_LEN + 2];
    const char *peer = cn_rpc_conn_peer(conn);

    memset(m, 0, sizeof(*m));
    *body = cn_slice("", 0);
    if (cn_msg_get_bytes(req, "key", &key) != 0 || key.len == 0 || key.len > STOR_KEY_MAX ||
        cn_msg_get_u64(req, "clock", &m->clock) != 0 || m->clock == 0 ||
        cn_msg_opt_u64(req, "tomb", 0, &tomb) != 0 ||
        cn_msg_get_str(req, "origin", origin, sizeof(origin)) != 0)
        return CN_EINVAL;
    if (strlen(origin) != STOR_XDC_ID_LEN || strncmp(peer, origin, STOR_XDC_ID_LEN) != 0 ||
        (peer[STOR_XDC_ID_LEN] != '\0' && peer[STOR_XDC_ID_LEN] != '/'))
        return CN_EPERM;
    if (tomb) {
        *op = STOR_OBJ_DELETE;
        m->flags = CN_OBJ_TOMBSTONE;
        return 0;
    }
    *op = STOR_OBJ_PUT;
    if (cn_msg_opt_bytes(req, "etag", &etag) != 0 || etag.len > STOR_ETAG_MAX ||
        memchr(etag.ptr, '\0', etag.len) != NULL ||
        cn_msg_opt_bytes(req, "meta", &m->meta) != 0 || m->meta.len > STOR_META_MAX ||
        cn_msg_opt_u64(req, "flags", 0, &flags) != 0 || flags > UINT32_MAX ||
        (flags & (CN_OBJ_TOMBSTONE | CN_OBJ_JOURNALED)) ||
        cn_msg_get_u64(req, "mtime", &m->mtime_ms) != 0 || m->mtime_ms == 0)
        return CN_EINVAL;
    if (etag.len > 0) /* an absent field is an empty slice, maybe without a pointer */
        memcpy(m->etag, etag.ptr, etag.len);
    m->flags = (uint32_t)flags;
    *body = cn_msg_body(req);
    if (cn_msg_opt_u64(req, "size", body->len, &m->size) != 0 ||
        (m->size != body->len && !(flags & CN_OBJ_MANIFEST)))
        return CN_EINVAL;
    return 0;
}

static void handle(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct stor_xdc *x = udata;
    struct stor_server *s = x->s;
    enum stor_obj_op op;
    stor_obj_meta_t m;
    cn_slice_t body;
    int rc;

    if (strcmp(cn_msg_op(req), STOR_XDC_OP_WRITE) != 0) {
        reply_rc(conn, req, CN_ENOTSUP); /* a link serves nothing else */
        return;
    }
    if (!peer_linked(x, cn_rpc_conn_peer(conn))) {
        reply_rc(conn, req, CN_EAUTH); /* removed (or its secret changed) since the hello */
        return;
    }
    if ((rc = parse_write(conn, req, &op, &m, &body)) != 0) {
        CN_LOG(CN_LOG_WARN, "xdc peer=%s rc=%s: xdc_write refused", cn_rpc_conn_peer(conn),
               cn_strerror(rc));
        reply_rc(conn, req, rc);
        return;
    }
    if (s->ring_cur == NULL || s->cl == NULL || x->stopping) {
        reply_rc(conn, req, CN_EUNAVAIL);
        return;
    }
    stor_repl_coordinate(s, conn, req, op, &m, body, 0, 0, STOR_FROM_LINK);
}

int xdc_listener_start(struct stor_xdc *x)
{
    const struct stor_conf *c = x->s->conf;
    cn_rpc_server_opts_t o = {0};
    char host[XDC_ADDR_MAX - 8];
    const char *colon;
    int rc, port;

    if (c->xdc_listen[0] == '\0')
        return 0;
    colon = strrchr(c->xdc_listen, ':');
    if (colon == NULL || (size_t)(colon - c->xdc_listen) >= sizeof(host) ||
        sscanf(colon + 1, "%d", &port) != 1) {
        CN_LOG(CN_LOG_ERROR, "[xdc] listen = %s: not HOST:PORT", c->xdc_listen);
        return CN_EINVAL;
    }
    memcpy(host, c->xdc_listen, (size_t)(colon - c->xdc_listen));
    host[colon - c->xdc_listen] = '\0';
    if (c->xdc_cert[0] == '\0' || c->xdc_key[0] == '\0') {
        CN_LOG(CN_LOG_ERROR, "[xdc] listen needs cert_file and key_file: a link is TLS only");
        return CN_EINVAL;
    }
    if ((rc = cn_rpc_tls_server_new(c->xdc_cert, c->xdc_key, &x->srv_tls)) != 0)
        return rc;
    o.host = host;
    o.port = port;
    o.tls = x->srv_tls;
    o.secret_fn = secret_of;
    o.secret_arg = x;
    o.handler = handle;
    o.udata = x;
    if ((rc = cn_rpc_server_start(x->s->loop, &o, &x->srv)) != 0) {
        CN_LOG(CN_LOG_ERROR, "[xdc] listen = %s: %s", c->xdc_listen, cn_strerror(rc));
        return rc;
    }
    snprintf(x->addr, sizeof(x->addr), "%s:%d", host, cn_rpc_server_port(x->srv));
    CN_LOG(CN_LOG_INFO, "xdc: link listener on %s (TLS)", x->addr);
    return 0;
}

void xdc_listener_stop(struct stor_xdc *x)
{
    if (x->srv != NULL)
        cn_rpc_server_stop(x->srv);
    x->srv = NULL;
}
