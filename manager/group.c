/*
 * manager/group.c: the managers of the group as records and rules (see group.h): the peers
 * list of the config, the g/<id> records and the rule every membership change obeys.
 * Hostile input is bounded: a peer entry is at most 159 bytes, ids 1..255, ports 1..65535.
 */
#include "manager/group.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/proc.h"
#include "manager/cmd.h"

/* ---- the config's peers ------------------------------------------------------------------ */

int mgr_peer_parse(const char *e, size_t len, struct mgr_peer *p, char *err, size_t errlen)
{
    char buf[160], *at, *slash, *end;
    int rpc = 0, admin = 0;

    memset(p, 0, sizeof(*p));
    if (len == 0 || len >= sizeof(buf))
        goto bad;
    memcpy(buf, e, len);
    buf[len] = '\0';
    if ((at = strchr(buf, '@')) == NULL)
        goto bad;
    *at = '\0';
    errno = 0;
    p->id = strtoull(buf, &end, 10);
    if (errno != 0 || end == buf || *end != '\0' || p->id < 1 || p->id > 255)
        goto bad;
    if ((slash = strchr(at + 1, '/')) != NULL) {
        *slash = '\0';
        if (sscanf(slash + 1, "%d/%d", &rpc, &admin) != 2 || rpc < 1 || rpc > 65535 ||
            admin < 1 || admin > 65535)
            goto bad;
    }
    if (cn_parse_hostport(at + 1, p->host, sizeof(p->host), &p->raft_port) != 0 ||
        p->raft_port < 3)
        goto bad;
    p->rpc_port = rpc ? rpc : p->raft_port - 2;
    p->admin_port = admin ? admin : p->raft_port - 1;
    p->voter = 1;
    snprintf(p->raft_addr, sizeof(p->raft_addr), "%s:%d", p->host, p->raft_port);
    return 0;
bad:
    snprintf(err, errlen, "'%.*s' is not ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT] (ID 1..255)",
             (int)(len > 100 ? 100 : len), e);
    return CN_ECONFIG;
}

int mgr_peers_parse(const char *list, struct mgr_peer *out, size_t *n, char *err,
                    size_t errlen)
{
    const char *p = list;

    *n = 0;
    while (p != NULL && *p != '\0') {
        size_t len;
        int rc;

        p += strspn(p, " \t,");
        if (*p == '\0')
            break;
        len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (*n == MGR_PEERS_MAX) {
            snprintf(err, errlen, "more than %d managers", MGR_PEERS_MAX);
            return CN_ECONFIG;
        }
        if ((rc = mgr_peer_parse(p, len, &out[*n], err, errlen)) != 0)
            return rc;
        for (size_t i = 0; i < *n; i++)
            if (out[i].id == out[*n].id || strcmp(out[i].raft_addr, out[*n].raft_addr) == 0) {
                snprintf(err, errlen, "id %" PRIu64 " or address %s given twice", out[i].id,
                         out[i].raft_addr);
                return CN_ECONFIG;
            }
        (*n)++;
        p += strcspn(p, ",");
    }
    return 0;
}

/* ---- the records ------------------------------------------------------------------------- */

static void record_key(uint64_t id, char out[32])
{
    snprintf(out, 32, "g/%" PRIu64, id);
}

int mgr_group_record(mgr_state_t *st, uint64_t id, const char *raft_addr,
                     struct mgr_peer *out)
{
    char key[32];
    const char *host;
    json_t *j;
    int rc;

    record_key(id, key);
    if ((rc = mgr_state_get_json(st, key, &j)) != 0)
        return rc == CN_ECORRUPT ? CN_ENOENT : rc;
    memset(out, 0, sizeof(*out));
    out->id = id;
    host = json_string_value(json_object_get(j, "host"));
    snprintf(out->host, sizeof(out->host), "%s", host ? host : "");
    out->raft_port = (int)json_integer_value(json_object_get(j, "raft"));
    out->rpc_port = (int)json_integer_value(json_object_get(j, "rpc"));
    out->admin_port = (int)json_integer_value(json_object_get(j, "admin"));
    snprintf(out->raft_addr, sizeof(out->raft_addr), "%s:%d", out->host, out->raft_port);
    json_decref(j);
    return strcmp(out->raft_addr, raft_addr) == 0 ? 0 : CN_ENOENT;
}

void mgr_group_cmd_put(mgr_cmd_t *c, const struct mgr_peer *p)
{
    mgr_cmd_init(c, MGR_CMD_GROUP_PUT);
    c->peer = *p;
}

static int port_ok(int p)
{
    return p >= 1 && p <= 65535;
}

int mgr__group_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    const struct mgr_peer *p = &c->peer;
    char key[32];
    json_t *j;

    (void)st;
    if (p->id < 1 || p->id > 255)
        return CN_EINVAL;
    record_key(p->id, key);
    if (c->kind == MGR_CMD_GROUP_REMOVE) {
        mgr_batch_del(b, key);
        return 0;
    }
    if (p->host[0] == '\0' || !port_ok(p->raft_port) || !port_ok(p->rpc_port) ||
        !port_ok(p->admin_port))
        return CN_EINVAL;
    j = json_pack("{s:I, s:s, s:i, s:i, s:i}", "id", (json_int_t)p->id, "host", p->host,
                  "raft", p->raft_port, "rpc", p->rpc_port, "admin", p->admin_port);
    mgr_batch_put_json(b, key, j);
    json_decref(j);
    return 0;
}

/* ---- the rule of a change ---------------------------------------------------------------- */

int mgr_group_change_check(int op, uint64_t id, const struct mgr_group_seen *seen, size_t n,
                           char *why, size_t whylen)
{
    size_t voters = 0, up = 0, after, up_after, need;
    const struct mgr_group_seen *target = NULL;

    for (size_t i = 0; i < n; i++) {
        if (seen[i].id == id)
            target = &seen[i];
        if (seen[i].voter) {
            voters++;
            up += seen[i].up != 0;
        }
    }
    if (op == MGR_GROUP_ADD) {
        if (target != NULL) {
            snprintf(why, whylen, "manager %" PRIu64 " is in the group already", id);
            return CN_EEXIST;
        }
        if (n >= MGR_PEERS_MAX) {
            snprintf(why, whylen, "the group has %zu managers, the most it can have", n);
            return CN_ENOSPC;
        }
        /* the new manager is caught up before it votes, so it counts as up */
        after = voters + 1;
        up_after = up + 1;
    } else {
        if (target == NULL) {
            snprintf(why, whylen, "manager %" PRIu64 " is not in the group", id);
            return CN_ENOENT;
        }
        if (target->voter && voters == 1) {
            snprintf(why, whylen, "manager %" PRIu64 " is the group's last voter", id);
            return CN_EINVAL;
        }
        after = voters - (target->voter != 0);
        up_after = up - (target->voter && target->up);
    }
    need = after / 2 + 1;
    if (up_after < need) {
        snprintf(why, whylen, "after it the group would have %zu voters of which %zu answer, "
                 "fewer than the %zu a quorum needs: bring the managers that are down back "
                 "first", after, up_after, need);
        return CN_EQUORUM;
    }
    return 0;
}
