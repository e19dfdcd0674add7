/*
 * manager/admin_group.c: the manager group on the admin API (docs/ADMIN_API.md):
 *   GET  /v1/managers                  the managers, their roles, terms, applied indexes, lag
 *   POST /v1/managers {"add": "ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT]"}
 *   POST /v1/managers {"remove": ID}   update-managers, one change at a time (raft.h)
 * Handlers run with s->lock held (admin_int.h); a change releases it while it commits.
 */
#include "manager/admin_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "manager/group.h"

/* The group as this manager sees it (raft.h): itself exactly; the others as the leader
 * knows them (follower, down, or joining while a spare is caught up; applied = what they
 * hold of the committed log, lag = how far behind that is), or, on a follower, only which
 * one leads. */
json_t *mgr_managers_json(struct mgr_server *s)
{
    const struct mgr_raft_view *v = &s->rview;
    json_t *arr = json_array();

    for (size_t i = 0; i < s->npeers; i++) {
        const struct mgr_peer *p = &s->peers[i];
        const char *role = "-";
        int self = p->id == s->self.id;
        json_int_t applied = -1, lag = -1;
        char rpc[96], admin[96];
        json_t *m;

        if (self) {
            role = mgr_raft_role_name(v->role);
            applied = (json_int_t)v->applied;
            if (v->role == MGR_ROLE_LEADER)
                lag = 0;
        } else if (v->role == MGR_ROLE_LEADER) {
            uint64_t m_idx = v->peer[i].match < v->commit ? v->peer[i].match : v->commit;

            role = !p->voter ? "joining" : v->peer[i].up ? "follower" : "down";
            applied = (json_int_t)m_idx;
            lag = (json_int_t)(v->commit - m_idx);
        } else if (p->id == v->leader_id) {
            role = "leader";
        }
        snprintf(rpc, sizeof(rpc), "%s:%d", p->host, p->rpc_port);
        snprintf(admin, sizeof(admin), "%s:%d", p->host, p->admin_port);
        m = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:I}", "id", (json_int_t)p->id,
                      "raft", p->raft_addr, "rpc", rpc, "admin", admin, "role", role, "voter",
                      p->voter, "self", self, "term", (json_int_t)v->term);
        json_object_set_new(m, "applied", applied >= 0 ? json_integer(applied) : json_null());
        json_object_set_new(m, "lag", lag >= 0 ? json_integer(lag) : json_null());
        json_array_append_new(arr, m);
    }
    return arr;
}

void mgr_h_managers(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    (void)r;
    a->status = 200;
    a->json = json_pack("{s:o}", "managers", mgr_managers_json(s));
}

static unsigned status_of(int rc)
{
    switch (rc) {
    case CN_EEXIST:
    case CN_ENOENT:
    case CN_EBUSY:
    case CN_EQUORUM:
    case CN_ENOSPC:
    case CN_EINVAL: return 409;
    case CN_ETIMEDOUT: return 504;
    case CN_ECANCELED: return 503;
    default: return 500;
    }
}

void mgr_h_managers_change(struct mgr_server *s, struct mgr_req *r, struct mgr_answer *a)
{
    json_t *body = mgr_body_json(r, a), *add, *rem;
    struct mgr_peer peer;
    char why[256], idtxt[24];
    int op, rc;

    if (body == NULL)
        return;
    add = json_object_get(body, "add");
    rem = json_object_get(body, "remove");
    memset(&peer, 0, sizeof(peer));
    if (json_is_string(add) && rem == NULL) {
        op = MGR_GROUP_ADD;
        if (mgr_peer_parse(json_string_value(add), json_string_length(add), &peer, why,
                           sizeof(why)) != 0) {
            mgr_fail(a, 400, "add: %s", why);
            goto out;
        }
    } else if (json_is_integer(rem) && add == NULL && json_integer_value(rem) >= 1 &&
               json_integer_value(rem) <= 255) {
        op = MGR_GROUP_REMOVE;
        peer.id = (uint64_t)json_integer_value(rem);
    } else {
        mgr_fail(a, 400, "the body is {\"add\": \"ID@HOST:RAFT_PORT[/RPC_PORT/ADMIN_PORT]\"} "
                         "or {\"remove\": ID} (ID 1..255)");
        goto out;
    }
    snprintf(idtxt, sizeof(idtxt), "%" PRIu64, peer.id);
    mgr_audit(a, op == MGR_GROUP_ADD ? "add_manager" : "remove_manager", idtxt);
    rc = mgr_raft_change(s, op, &peer, why, sizeof(why));
    if (rc == CN_ENOTLEADER) {
        char leader[96];

        mgr_raft_leader_addr(s, 0, leader, sizeof(leader));
        mgr_fail(a, 421, "this manager is not the leader%s%s", why[0] ? ": " : "", why);
        json_object_set_new(a->json, "leader", json_string(leader));
    } else if (rc != 0) {
        mgr_fail(a, status_of(rc), "%s", why[0] ? why : cn_strerror(rc));
    } else {
        a->status = 200;
        a->json = json_pack("{s:o}", "managers", mgr_managers_json(s));
    }
out:
    json_decref(body);
}
