/*
 * manager/rpc_srv.c: the manager's cluster RPC ops (docs/PROTOCOL.md): register,
 * heartbeat, get_ring, get_users, get_buckets, get_endpoints, get_key, get_links,
 * bucket_create, bucket_delete, bucket_set_acl, kms_key.
 * A follower answers every op with CN_ENOTLEADER and "leader" = the leader's "host:rpc_port"
 * ("" when unknown), from [manager] peers (raft.h); but kms_key, which it answers when its
 * own state holds the key (see op_kms_key).
 * Runs on the loop thread; each request takes s->lock for its state work. Reads answer at
 * once. An op that changes the state proposes a command entry (fsm.h) and answers from the
 * entry's done callback, never by waiting: the loop is where entries commit.
 * register/heartbeat replies also carry `down` (comma-joined storage nodes out of service)
 * and `links_sum` (clusters.h: the links changed, get_links again). A storage node's
 * heartbeat may carry `xdc_addr` and `xdc_stats` (issue 22), kept in memory on its member
 * (members.h), never proposed.
 * Every request is counted in cairn_manager_rpc_requests_total{op, rc} and timed.
 */
#include "manager/manager.h"

#include <string.h>
#include <jansson.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "manager/buckets.h"
#include "manager/clusters.h"
#include "manager/endpoints.h"
#include "manager/kms.h"
#include "manager/users.h"

/* Fields every node wants back from register and heartbeat. Lock held.
 * down: the storage nodes of cur that should not coordinate (stop, suspend, restarted), for
 * gateways and storage nodes. A member marked by recover-ring gets a ring_cur that differs
 * from the one it holds once, so that it fetches the rings again. */
static void put_sync_fields(struct mgr_server *s, cn_msg_t *resp, mgr_member_t *m)
{
    uint64_t cur = mgr_ring_sum(s->ring_cur);
    char down[4096];

    if (m->ring_push && cur != 0) {
        CN_LOG(CN_LOG_INFO, "node=%s: ring pushed again (recover-ring)", m->name);
        cur = ~cur;
        m->ring_push = 0;
    }
    mgr_members_down_csv(&s->members, s->ring_cur, down, sizeof(down));
    cn_msg_set_str(resp, "state", m->state);
    cn_msg_set_str(resp, "down", down);
    cn_msg_set_u64(resp, "ring_cur", cur);
    cn_msg_set_u64(resp, "ring_prev", mgr_ring_sum(s->ring_prev));
    cn_msg_set_u64(resp, "users_ver", mgr_state_get_u64(s->st, MGR_VER_USERS));
    cn_msg_set_u64(resp, "buckets_ver", mgr_buckets_ver(s));
    cn_msg_set_u64(resp, "inval_seq", mgr_inval_seq(s));
    cn_msg_set_u64(resp, "endpoints_ver", mgr_state_get_u64(s->st, MGR_VER_ENDPOINTS));
    cn_msg_set_u64(resp, "n", s->levels.n);
    cn_msg_set_u64(resp, "w", s->levels.w);
    cn_msg_set_u64(resp, "r", s->levels.r);
    cn_msg_set_u64(resp, "d", s->levels.d);
    cn_msg_set_u64(resp, "links_sum", mgr_clusters_sum(s->st));
    {
        char origins[MGR_KMS_ORIGINS_MAX * (MGR_CLUSTER_ID_LEN + 1)];

        mgr_kms_origins_csv(s->st, origins, sizeof(origins));
        cn_msg_set_str(resp, "kms_origins", origins);
    }
    if (m->log_level_set)
        cn_msg_set_u64(resp, "log_level", (uint64_t)m->log_level);
}

/* One request being answered: at once, or by the done callback of the entry its op proposed
 * (fsm.h: once the entry commits and is applied, on the loop thread; at once without a log). */
struct rpc_call {
    uint32_t magic;
    struct mgr_server *s;
    cn_rpc_conn_t *conn;
    cn_msg_t *req, *resp;
    const char *label;
    double t0;
    char node[CN_RING_NAME_MAX];   /* register, heartbeat: whose sync fields to answer */
    char done_msg[192];            /* bucket ops: the line to log once applied */
};

#define RPC_CALL_MAGIC 0x6d677263u /* "mgrc" */
#define RPC_PENDING 1              /* an op's result: the entry it proposed answers */

/* "ok" or the code's name ("ENOENT" from "ENOENT: no such entry"). */
static void rc_label(int rc, char *out, size_t outlen)
{
    const char *e = rc == 0 ? "ok" : cn_strerror(rc);
    size_t n = strcspn(e, ":");

    snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), e);
}

/* Answers c with rc (counted and timed) and frees it. */
static void finish(struct rpc_call *c, int rc)
{
    struct mgr_server *s = c->s;
    char rcs[32];

    CN_CHECK_OBJ(c, RPC_CALL_MAGIC);
    if (rc != 0)
        CN_LOG(CN_LOG_DEBUG, "op=%s peer=%s rc=%s", cn_msg_op(c->req),
               cn_rpc_conn_peer(c->conn), cn_strerror(rc));
    cn_msg_set_rc(c->resp, rc);
    rc_label(rc, rcs, sizeof(rcs));
    cn_metric_add(s->metrics.rpc_requests, (const char *[]){c->label, rcs}, 1);
    cn_metric_observe(s->metrics.rpc_seconds, (const char *[]){c->label},
                      mgr_now_seconds() - c->t0);
    cn_rpc_reply(c->conn, c->req, c->resp);
    c->magic = 0;
    cn_free(c);
}

/* Done: the member_put of a register or heartbeat is applied; answer with the member. */
static void member_applied(void *arg, int rc, int why)
{
    struct rpc_call *c = arg;
    mgr_member_t *m;

    CN_CHECK_OBJ(c, RPC_CALL_MAGIC);
    if (rc == 0 && (m = mgr_members_find(&c->s->members, c->node)) != NULL) {
        m->seen_mono_ms = cn_mono_ms();
        put_sync_fields(c->s, c->resp, m);
    } else if (rc == 0) {
        rc = CN_EIO; /* applied, yet not in the table: the view failed to follow (logged) */
    }
    finish(c, rc);
}

/* Proposes cmd for c, which done answers; disposes cmd. */
static int propose(struct rpc_call *c, mgr_cmd_t *cmd, mgr_fsm_done_fn done)
{
    mgr_fsm_propose(c->s->fsm, cmd, done, c);
    mgr_cmd_dispose(cmd);
    return RPC_PENDING;
}

static int op_register(struct rpc_call *c)
{
    char type[16], host[CN_RING_HOST_MAX];
    uint64_t port = 0, vnodes = 0;
    mgr_cmd_t cmd;
    int rc;

    if (cn_msg_get_str(c->req, "type", type, sizeof(type)) != 0 ||
        cn_msg_get_str(c->req, "name", c->node, sizeof(c->node)) != 0 ||
        cn_msg_get_str(c->req, "host", host, sizeof(host)) != 0 ||
        cn_msg_get_u64(c->req, "port", &port) != 0 || port > 65535)
        return CN_EINVAL;
    if ((rc = cn_msg_get_u64(c->req, "vnodes", &vnodes)) != 0 && rc != CN_ENOENT)
        return CN_EINVAL;
    if (vnodes > 65536)
        return CN_EINVAL;
    if ((rc = mgr_members_register_cmd(&c->s->members, c->s->ring_cur, type, c->node, host,
                                       (int)port, (uint32_t)vnodes, &cmd)) != 0)
        return rc;
    return propose(c, &cmd, member_applied);
}

/* A storage node's heartbeat fields of issue 22 (members.h): memory only. A malformed one is
 * logged and dropped; the heartbeat goes on. */
static void xdc_fields(struct rpc_call *c, mgr_member_t *m)
{
    char addr[MGR_XDC_ADDR_MAX];
    cn_slice_t stats = {NULL, 0};
    int have_stats = cn_msg_get_bytes(c->req, "xdc_stats", &stats) == 0;

    if (cn_msg_get_str(c->req, "xdc_addr", addr, sizeof(addr)) != 0)
        addr[0] = '\0';
    if (cn_msg_get_u64(c->req, "links_sum", &m->links_sum) != 0)
        m->links_sum = 0;
    if (mgr_members_xdc_report(m, addr, have_stats ? stats.ptr : NULL, stats.len,
                               cn_now_ms()) != 0)
        CN_LOG(CN_LOG_DEBUG, "node=%s: xdc_addr or xdc_stats of its heartbeat do not parse",
               m->name);
}

static int op_heartbeat(struct rpc_call *c)
{
    struct mgr_server *s = c->s;
    uint64_t cur = 0, prev = 0;
    mgr_member_t *m;
    mgr_cmd_t cmd;
    int rc, changed = 0;

    if (cn_msg_get_str(c->req, "name", c->node, sizeof(c->node)) != 0)
        return CN_EINVAL;
    cn_msg_get_u64(c->req, "ring_cur", &cur);
    cn_msg_get_u64(c->req, "ring_prev", &prev);
    if ((rc = mgr_members_heartbeat_cmd(&s->members, s->ring_cur, c->node, cur, prev,
                                        cn_mono_ms(), &cmd, &changed)) != 0)
        return rc;
    m = mgr_members_find(&s->members, c->node);
    if (strcmp(m->type, CN_NODE_GATEWAY) == 0) { /* counters: memory only */
        char field[48];

        for (size_t i = 0; i < MGR_GW_CACHE_NFIELDS; i++) {
            snprintf(field, sizeof(field), "cache_%s", mgr_gw_cache_fields[i]);
            if (cn_msg_get_u64(c->req, field, &m->cache[i]) == 0)
                m->have_cache = 1;
        }
    }
    if (strcmp(m->type, CN_NODE_STORAGE) == 0)
        xdc_fields(c, m);
    if (changed)
        return propose(c, &cmd, member_applied);
    put_sync_fields(s, c->resp, m);
    return 0;
}

static void put_ring_field(cn_msg_t *resp, const char *field, const cn_ring_t *r)
{
    cn_buf_t b;

    cn_buf_init(&b);
    if (r != NULL)
        cn_ring_encode(r, &b);
    cn_msg_set_bytes(resp, field, b.data, b.len);
    cn_buf_dispose(&b);
}

static int op_get_ring(struct mgr_server *s, cn_msg_t *resp)
{
    put_ring_field(resp, "cur", s->ring_cur);
    put_ring_field(resp, "prev", s->ring_prev);
    cn_msg_set_u64(resp, "cur_sum", mgr_ring_sum(s->ring_cur));
    cn_msg_set_u64(resp, "prev_sum", mgr_ring_sum(s->ring_prev));
    return 0;
}

static void put_json_body(cn_msg_t *resp, json_t *j)
{
    char *txt = json_dumps(j, JSON_COMPACT);

    CN_ASSERT(txt != NULL);
    cn_msg_set_body_copy(resp, txt, strlen(txt));
    free(txt);
    json_decref(j);
}

/* Done: a bucket entry is applied (or refused). */
static void bucket_applied(void *arg, int rc, int why)
{
    struct rpc_call *c = arg;

    CN_CHECK_OBJ(c, RPC_CALL_MAGIC);
    if (rc == 0)
        CN_LOG(CN_LOG_INFO, "%s", c->done_msg);
    finish(c, rc);
}

/* Done: bucket_create, which answers CN_EEXIST with the owner of the bucket that exists. */
static void bucket_created(void *arg, int rc, int why)
{
    struct rpc_call *c = arg;
    char name[MGR_BUCKET_NAME_MAX + 2];
    mgr_bucket_t b;

    CN_CHECK_OBJ(c, RPC_CALL_MAGIC);
    if (rc == CN_EEXIST && cn_msg_get_str(c->req, "name", name, sizeof(name)) == 0 &&
        mgr_buckets_get(c->s->st, name, &b) == 0)
        cn_msg_set_str(c->resp, "owner", b.owner);
    else if (rc == CN_ENOENT)
        rc = CN_EINVAL; /* its owner was deleted meanwhile */
    bucket_applied(c, rc, why);
}

/* The optional "grants" of a bucket op (a grant list the gateway resolved, common/acl.h) into
 * grants ("" when absent). 0, or CN_EINVAL for one that is too long or malformed. */
static int rpc_grants(struct rpc_call *c, char grants[CN_ACL_TEXT_MAX])
{
    int rc = cn_msg_get_str(c->req, "grants", grants, CN_ACL_TEXT_MAX);

    if (rc != 0)
        grants[0] = '\0';
    if (rc == CN_ENOENT)
        return 0;
    return rc == 0 && cn_acl_text_valid(grants) == 0 ? 0 : CN_EINVAL;
}

static int op_bucket_create(struct rpc_call *c)
{
    char name[MGR_BUCKET_NAME_MAX + 2], owner[MGR_USER_ID_LEN + 8], acl[32] = "private";
    char grants[CN_ACL_TEXT_MAX];
    mgr_bucket_t existing;
    mgr_cmd_t cmd;
    int rc;

    if (cn_msg_get_str(c->req, "name", name, sizeof(name)) != 0 ||
        cn_msg_get_str(c->req, "owner", owner, sizeof(owner)) != 0)
        return CN_EINVAL;
    if ((rc = cn_msg_get_str(c->req, "acl", acl, sizeof(acl))) != 0 && rc != CN_ENOENT)
        return CN_EINVAL;
    if ((rc = rpc_grants(c, grants)) != 0)
        return rc;
    rc = mgr_buckets_create_cmd(c->s->st, name, owner, acl[0] ? acl : "private", &existing,
                                &cmd);
    if (rc == CN_EEXIST)
        cn_msg_set_str(c->resp, "owner", existing.owner);
    if (rc != 0)
        return rc == CN_ENOENT ? CN_EINVAL : rc; /* no user has that id (or access key, from
                                                  * an older gateway) */
    memcpy(cmd.bucket.grants, grants, sizeof(cmd.bucket.grants));
    snprintf(c->done_msg, sizeof(c->done_msg), "bucket=%s owner=%s acl=%s: created over RPC",
             name, owner, acl);
    return propose(c, &cmd, bucket_created);
}

static int op_bucket_delete(struct rpc_call *c)
{
    char name[MGR_BUCKET_NAME_MAX + 2];
    mgr_bucket_t b;
    mgr_cmd_t cmd;
    int rc;

    if (cn_msg_get_str(c->req, "name", name, sizeof(name)) != 0)
        return CN_ENOENT;
    if ((rc = mgr_buckets_get(c->s->st, name, &b)) != 0)
        return rc;
    mgr_buckets_change_cmd(MGR_CMD_BUCKET_DELETE, &b, NULL, &cmd);
    snprintf(c->done_msg, sizeof(c->done_msg), "bucket=%s: deleted", name);
    return propose(c, &cmd, bucket_applied);
}

/* bucket_set_acl {name, acl, grants (optional), owner}: the gateway's PutBucketAcl. owner is
 * the bucket's owner as the gateway saw it when it decided WRITE_ACP (an older gateway sends
 * the requester's id or access key); the change is refused (CN_EPERM) unless that user owns
 * the bucket, checked here and again when the entry is applied. */
static int op_bucket_set_acl(struct rpc_call *c)
{
    char name[MGR_BUCKET_NAME_MAX + 2], owner[MGR_USER_ID_LEN + 8], acl[32];
    char grants[CN_ACL_TEXT_MAX];
    const char *if_owner = NULL;
    mgr_bucket_t b;
    mgr_user_t u;
    mgr_cmd_t cmd;
    int rc;

    if (cn_msg_get_str(c->req, "name", name, sizeof(name)) != 0)
        return CN_ENOENT;
    if (cn_msg_get_str(c->req, "acl", acl, sizeof(acl)) != 0 || !mgr_bucket_acl_settable(acl))
        return CN_EINVAL;
    if ((rc = rpc_grants(c, grants)) != 0)
        return rc;
    if ((rc = mgr_buckets_get(c->s->st, name, &b)) != 0)
        return rc;
    if (cn_msg_get_str(c->req, "owner", owner, sizeof(owner)) == 0) {
        if (mgr_users_by_id_or_key(c->s->st, owner, &u) != 0 || strcmp(u.id, b.owner) != 0)
            return CN_EPERM;
        if_owner = u.id;
    }
    snprintf(b.acl, sizeof(b.acl), "%s", acl);
    memcpy(b.grants, grants, sizeof(b.grants)); /* "" : the canned acl replaces a list */
    mgr_buckets_change_cmd(MGR_CMD_BUCKET_SET_ACL, &b, if_owner, &cmd);
    snprintf(c->done_msg, sizeof(c->done_msg), "bucket=%s acl=%s: set over RPC", name, acl);
    return propose(c, &cmd, bucket_applied);
}

/* bucket_set_policy {name, policy (absent: delete), owner}: the gateway's Put and
 * DeleteBucketPolicy, which validated the document. owner is the requester's canonical id;
 * only the bucket's owner may change its policy (CN_EPERM otherwise, here and at apply). */
static int op_bucket_set_policy(struct rpc_call *c)
{
    char name[MGR_BUCKET_NAME_MAX + 2], owner[MGR_USER_ID_LEN + 8];
    cn_slice_t doc = {NULL, 0};
    mgr_cmd_t cmd;
    int rc;

    if (cn_msg_get_str(c->req, "name", name, sizeof(name)) != 0)
        return CN_ENOENT;
    if (cn_msg_get_str(c->req, "owner", owner, sizeof(owner)) != 0)
        return CN_EINVAL;
    if (cn_msg_get_bytes(c->req, "policy", &doc) == 0 && doc.len == 0)
        return CN_EINVAL;
    if ((rc = mgr_buckets_set_policy_cmd(c->s->st, name, doc.ptr, doc.len, owner, &cmd)) != 0)
        return rc;
    snprintf(c->done_msg, sizeof(c->done_msg), "bucket=%s: policy %s over RPC", name,
             doc.len ? "set" : "deleted");
    return propose(c, &cmd, bucket_applied);
}

/* bucket_set_config {name, config, value (absent: delete), owner}: the gateway's Put and
 * Delete of a bucket configuration (public access block, ownership controls), which it
 * validated and wrote as JSON; the owner only (CN_EPERM), as for the policy. */
static int op_bucket_set_config(struct rpc_call *c)
{
    char name[MGR_BUCKET_NAME_MAX + 2], owner[MGR_USER_ID_LEN + 8], config[32];
    cn_slice_t val = {NULL, 0};
    mgr_cmd_t cmd;
    int rc;

    if (cn_msg_get_str(c->req, "name", name, sizeof(name)) != 0)
        return CN_ENOENT;
    if (cn_msg_get_str(c->req, "owner", owner, sizeof(owner)) != 0 ||
        cn_msg_get_str(c->req, "config", config, sizeof(config)) != 0)
        return CN_EINVAL;
    if (cn_msg_get_bytes(c->req, "value", &val) == 0 && val.len == 0)
        return CN_EINVAL;
    if ((rc = mgr_buckets_set_config_cmd(c->s->st, name, config, val.ptr, val.len, owner,
                                         &cmd)) != 0)
        return rc;
    snprintf(c->done_msg, sizeof(c->done_msg), "bucket=%s: %s %s over RPC", name, config,
             val.len ? "set" : "deleted");
    return propose(c, &cmd, bucket_applied);
}

/* get_key {key}: one Active access key and its user, for a gateway that met a key its users
 * table lacks (a user made since its last fetch): {user, id, role, access_key, secret}, or
 * CN_ENOENT for a key that does not exist or is Inactive. Answered from the leader's state,
 * where every acked create-user and create-access-key is applied. */
static int op_get_key(struct rpc_call *c)
{
    char key[MGR_ACCESS_KEY_LEN + 2];
    mgr_user_t u;
    int i;

    if (cn_msg_get_str(c->req, "key", key, sizeof(key)) != 0)
        return CN_ENOENT;
    if (mgr_users_by_key(c->s->st, key, &u) != 0 || (i = mgr_user_key_index(&u, key)) < 0 ||
        strcmp(u.keys[i].status, MGR_KEY_ACTIVE) != 0)
        return CN_ENOENT;
    cn_msg_set_str(c->resp, "user", u.name);
    cn_msg_set_str(c->resp, "id", u.id);
    cn_msg_set_str(c->resp, "role", u.role);
    cn_msg_set_str(c->resp, "access_key", u.keys[i].id);
    cn_msg_set_str(c->resp, "secret", u.keys[i].secret);
    return 0;
}

/* Answers c with the KEK of (name, epoch) of the store of origin ("": this cluster's own)
 * from this manager's state. */
static int kms_answer(struct rpc_call *c, const char *origin, const char *name,
                      uint64_t epoch)
{
    uint8_t kek[CN_SSE_KEY_LEN];
    uint64_t got = 0;
    int rc;

    if ((rc = mgr_kms_get_of(c->s->st, &c->s->kms, origin, name, epoch, &got, kek)) != 0)
        return rc;
    if (origin[0] != '\0')
        cn_msg_set_str(c->resp, "origin", origin);
    cn_msg_set_str(c->resp, "name", name);
    cn_msg_set_u64(c->resp, "epoch", got);
    cn_msg_set_bytes(c->resp, "key", kek, sizeof(kek));
    OPENSSL_cleanse(kek, sizeof(kek));
    return 0;
}

/* The fields of a kms_key request: 0, or CN_EINVAL for a malformed one (origin: "" when
 * absent, else a cluster id). */
static int kms_fields(const cn_msg_t *req, char origin[MGR_CLUSTER_ID_LEN + 2],
                      char name[CN_KMS_NAME_MAX + 2], uint64_t *epoch, uint64_t *create)
{
    int rc;

    *epoch = *create = 0;
    origin[0] = '\0';
    if ((rc = cn_msg_get_str(req, "origin", origin, MGR_CLUSTER_ID_LEN + 2)) != 0 &&
        rc != CN_ENOENT)
        return CN_EINVAL;
    if (rc == 0 && origin[0] != '\0' && !mgr_clusters_id_valid(origin))
        return CN_EINVAL;
    if (cn_msg_get_str(req, "name", name, CN_KMS_NAME_MAX + 2) != 0 || !cn_kms_name_valid(name))
        return CN_EINVAL;
    if (((rc = cn_msg_get_u64(req, "epoch", epoch)) != 0 && rc != CN_ENOENT) ||
        *epoch > UINT32_MAX)
        return CN_EINVAL;
    if (((rc = cn_msg_get_u64(req, "create", create)) != 0 && rc != CN_ENOENT) || *create > 1)
        return CN_EINVAL;
    return 0;
}

/* Done: the kms_key_create of a kms_key is applied; CN_EEXIST: another one came first. */
static void kms_created(void *arg, int rc, int why)
{
    struct rpc_call *c = arg;
    char name[CN_KMS_NAME_MAX + 2], origin[MGR_CLUSTER_ID_LEN + 2];
    uint64_t epoch, create;

    CN_CHECK_OBJ(c, RPC_CALL_MAGIC);
    if ((rc == 0 || rc == CN_EEXIST) && kms_fields(c->req, origin, name, &epoch, &create) == 0) {
        if (rc == 0)
            CN_LOG(CN_LOG_INFO, "kms=%s: created on first use", name);
        rc = kms_answer(c, origin, name, epoch);
    }
    finish(c, rc);
}

/* Answers CN_ENOTLEADER with the leader's RPC address, for the client to ask it. */
static int not_leader(struct rpc_call *c)
{
    char leader[96];

    mgr_raft_leader_addr(c->s, 1, leader, sizeof(leader));
    cn_msg_set_str(c->resp, "leader", leader);
    return CN_ENOTLEADER;
}

/* kms_key {name, epoch (0: the newest), create (0/1)}: a KEK of the key service (kms.h),
 * unwrapped: {name, epoch, key (32 bytes)}, or CN_ENOENT, CN_ENOTSUP (no master key here),
 * CN_ECORRUPT (wrapped by a master this manager lacks), CN_EPERM (create for a name other
 * than "aws/s3"). Any manager with the master key answers from its own state: a follower's
 * newest epoch trails the leader's by the replication lag, which the gateways' 5 s cache of
 * the newest epoch dwarfs. A follower that lacks the key or the epoch, or would have to
 * create it, sends the client to the leader (CN_ENOTLEADER), whose state is the one that
 * says CN_ENOENT; create = 1 there proposes "aws/s3" (kms_key_create) and answers once it
 * is applied. The key travels as the object data does, over the authenticated cluster RPC
 * (docs/SECURITY.md, "The key service"). With origin (a linked cluster's id, issue 22) the
 * KEK comes from that cluster's store copied here (kms.h, o/<origin>/<name>), never created
 * (create with an origin: CN_EPERM). */
static int op_kms_key(struct rpc_call *c, int leader)
{
    char name[CN_KMS_NAME_MAX + 2], origin[MGR_CLUSTER_ID_LEN + 2];
    uint64_t epoch, create;
    mgr_cmd_t cmd;
    int rc;

    if (kms_fields(c->req, origin, name, &epoch, &create) != 0)
        return CN_EINVAL;
    if (create && (strcmp(name, CN_KMS_BUILTIN) != 0 || origin[0] != '\0'))
        return CN_EPERM;
    if ((rc = kms_answer(c, origin, name, epoch)) != CN_ENOENT)
        return rc;
    if (!leader)
        return not_leader(c);
    if (!create || epoch > 1)
        return CN_ENOENT;
    rc = mgr_kms_create_cmd(c->s->st, &c->s->kms, name, cn_now_ms(), &cmd);
    if (rc != 0)
        return rc == CN_EEXIST ? CN_ENOENT : rc; /* it exists: the epoch does not */
    return propose(c, &cmd, kms_created);
}

/* get_links: this cluster's id and links with their secrets unwrapped (clusters.h), for the
 * storage nodes' link senders and listeners; the body is JSON. The secrets leave over the
 * authenticated cluster RPC only; every copy this side makes is wiped. */
static int op_get_links(struct rpc_call *c)
{
    json_t *j;
    char *txt;
    int rc;

    if ((j = mgr_clusters_links_json(c->s->st, &c->s->kms, &rc)) == NULL)
        return rc;
    txt = json_dumps(j, JSON_COMPACT);
    mgr_clusters_links_wipe(j);
    json_decref(j);
    CN_ASSERT(txt != NULL);
    cn_msg_set_u64(c->resp, "sum", mgr_clusters_sum(c->s->st));
    cn_msg_set_body_copy(c->resp, txt, strlen(txt));
    OPENSSL_cleanse(txt, strlen(txt));
    free(txt);
    return 0;
}

/* The op as a metric label: known ops only, so a peer cannot grow the series. */
static const char *op_label(const char *op)
{
    static const char *const known[] = {
        CN_OP_REGISTER, CN_OP_HEARTBEAT, CN_OP_GET_RING, CN_OP_GET_USERS, CN_OP_GET_BUCKETS,
        CN_OP_GET_ENDPOINTS, CN_OP_BUCKET_CREATE, CN_OP_BUCKET_DELETE, CN_OP_BUCKET_SET_ACL,
        CN_OP_BUCKET_SET_POLICY, CN_OP_BUCKET_SET_CONFIG, "cache_invalidate",
        "get_invalidations", CN_OP_GET_KEY, CN_OP_KMS_KEY, CN_OP_GET_LINKS,
    };

    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(op, known[i]) == 0)
            return known[i];
    return "unknown";
}

/* Runs c's op with the lock held: 0 or a code to answer now, or RPC_PENDING. */
static int dispatch(struct rpc_call *c, const char *op)
{
    struct mgr_server *s = c->s;
    int rc;

    if (strcmp(op, CN_OP_KMS_KEY) == 0) /* any manager may answer a key it holds */
        return op_kms_key(c, mgr_raft_is_leader(s));
    if (!mgr_raft_is_leader(s)) /* every other op wants the leader's state, feed and rings */
        return not_leader(c);
    if (strcmp(op, CN_OP_REGISTER) == 0) {
        rc = op_register(c);
    } else if (strcmp(op, CN_OP_HEARTBEAT) == 0) {
        rc = op_heartbeat(c);
    } else if (strcmp(op, CN_OP_GET_RING) == 0) {
        rc = op_get_ring(s, c->resp);
    } else if (strcmp(op, CN_OP_GET_USERS) == 0) {
        cn_msg_set_u64(c->resp, "ver", mgr_state_get_u64(s->st, MGR_VER_USERS));
        put_json_body(c->resp, mgr_users_json(s->st, 1));
        rc = 0;
    } else if (strcmp(op, CN_OP_GET_BUCKETS) == 0) {
        json_t *arr = mgr_buckets_json(s->st, 0);

        cn_msg_set_u64(c->resp, "ver", mgr_buckets_ver(s));
        mgr_usage_annotate(s, arr);
        mgr_buckets_add_policies(s->st, arr);
        put_json_body(c->resp, arr);
        rc = 0;
    } else if (strcmp(op, CN_OP_GET_ENDPOINTS) == 0) {
        cn_msg_set_u64(c->resp, "ver", mgr_state_get_u64(s->st, MGR_VER_ENDPOINTS));
        put_json_body(c->resp, mgr_endpoints_json(s->st, 0));
        rc = 0;
    } else if (strcmp(op, CN_OP_GET_KEY) == 0) {
        rc = op_get_key(c);
    } else if (strcmp(op, CN_OP_GET_LINKS) == 0) {
        rc = op_get_links(c);
    } else if (strcmp(op, CN_OP_BUCKET_CREATE) == 0) {
        rc = op_bucket_create(c);
    } else if (strcmp(op, CN_OP_BUCKET_DELETE) == 0) {
        rc = op_bucket_delete(c);
    } else if (strcmp(op, CN_OP_BUCKET_SET_ACL) == 0) {
        rc = op_bucket_set_acl(c);
    } else if (strcmp(op, CN_OP_BUCKET_SET_POLICY) == 0) {
        rc = op_bucket_set_policy(c);
    } else if (strcmp(op, CN_OP_BUCKET_SET_CONFIG) == 0) {
        rc = op_bucket_set_config(c);
    } else if (strcmp(op, "cache_invalidate") == 0) {
        cn_slice_t key;

        rc = cn_msg_get_bytes(c->req, "key", &key) == 0 && key.len <= 2048 ? 0 : CN_EINVAL;
        if (rc == 0)
            cn_msg_set_u64(c->resp, "seq", mgr_inval_add(s, key.ptr, key.len));
    } else if (strcmp(op, "get_invalidations") == 0) {
        uint64_t since = 0;

        rc = cn_msg_get_u64(c->req, "since", &since) == 0 ? mgr_inval_get(s, since, c->resp)
                                                          : CN_EINVAL;
    } else {
        CN_LOG(CN_LOG_WARN, "op=%s peer=%s: unknown op", op, cn_rpc_conn_peer(c->conn));
        rc = CN_EPROTO;
    }
    return rc;
}

static void on_request(cn_rpc_conn_t *conn, cn_msg_t *req, void *udata)
{
    struct mgr_server *s = udata;
    const char *op = cn_msg_op(req);
    struct rpc_call *c = cn_calloc(1, sizeof(*c));
    int rc;

    CN_CHECK_OBJ(s, MGR_SERVER_MAGIC);
    c->magic = RPC_CALL_MAGIC;
    c->s = s;
    c->conn = conn;
    c->req = req;
    c->resp = cn_msg_new(op);
    c->label = op_label(op);
    c->t0 = mgr_now_seconds();
    pthread_mutex_lock(&s->lock);
    rc = dispatch(c, op);
    pthread_mutex_unlock(&s->lock);
    if (rc != RPC_PENDING) /* else the entry's done callback has answered, or will */
        finish(c, rc);
}

int mgr_rpc_start(struct mgr_server *s)
{
    cn_rpc_server_opts_t o = {
        .host = s->rpc_host,
        .port = s->rpc_port,
        .secret = s->conf.secret,
        .handler = on_request,
        .udata = s,
    };
    int rc;

    if ((rc = cn_rpc_server_start(&s->loop, &o, &s->rpc)) != 0)
        return rc;
    s->rpc_port = cn_rpc_server_port(s->rpc);
    return 0;
}

void mgr_rpc_stop(struct mgr_server *s)
{
    if (s->rpc != NULL)
        cn_rpc_server_stop(s->rpc);
    s->rpc = NULL;
}
