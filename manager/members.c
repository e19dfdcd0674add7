/*
 * manager/members.c: member table, state transitions and the silence monitor.
 * Invariant: every member's state is one of attached, running, stop, restarted, suspend,
 * detached; a gateway is only running or stop; a storage node is running, restarted or
 * suspend only when it is in the current ring. suspend and detached are set by the admin and
 * never left by themselves.
 * The table in memory is a view of the m/ records: its saved fields change only when fsm.c
 * applies an entry and calls mgr_members_refresh. Decisions (a register's state, a silence)
 * are taken here on the table and proposed as entries; the memory-only fields (last contact,
 * the time of the last heartbeat, gateway cache counters, recover-ring and log-level marks)
 * are this manager's own observations and are set directly.
 */
#include "manager/members.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"
#include "manager/cmd.h"
#include "manager/fsm.h"

const char *const mgr_gw_cache_fields[MGR_GW_CACHE_NFIELDS] = {
    "mem_hits", "mem_misses", "mem_bytes", "mem_entries", "mem_evictions",
    "disk_hits", "disk_misses", "disk_bytes", "disk_entries", "disk_evictions",
    "validations", "validations_stale", "coalesced",
};

static void copy_str(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int mgr_node_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n < 1 || n >= CN_RING_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@' || c == ':'))
            return 0;
    }
    return 1;
}

static json_t *member_to_json(const mgr_member_t *m)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:I, s:I, s:I}", "name", m->name, "type",
                     m->type, "host", m->host, "port", m->port, "vnodes", (json_int_t)m->vnodes,
                     "state", m->state, "ring_cur", (json_int_t)m->ring_cur, "ring_prev",
                     (json_int_t)m->ring_prev, "updated_ms", (json_int_t)m->updated_ms);
}

static int member_from_json(const json_t *j, mgr_member_t *m)
{
    if (!json_is_object(j))
        return CN_ECORRUPT;
    memset(m, 0, sizeof(*m));
    copy_str(m->name, sizeof(m->name), json_string_value(json_object_get(j, "name")));
    copy_str(m->type, sizeof(m->type), json_string_value(json_object_get(j, "type")));
    copy_str(m->host, sizeof(m->host), json_string_value(json_object_get(j, "host")));
    copy_str(m->state, sizeof(m->state), json_string_value(json_object_get(j, "state")));
    m->port = (int)json_integer_value(json_object_get(j, "port"));
    m->vnodes = (uint32_t)json_integer_value(json_object_get(j, "vnodes"));
    /* checksums are u64; jansson keeps them as int64, the bits survive the round trip */
    m->ring_cur = (uint64_t)json_integer_value(json_object_get(j, "ring_cur"));
    m->ring_prev = (uint64_t)json_integer_value(json_object_get(j, "ring_prev"));
    m->updated_ms = (uint64_t)json_integer_value(json_object_get(j, "updated_ms"));
    return m->name[0] && m->type[0] && m->state[0] ? 0 : CN_ECORRUPT;
}

static mgr_member_t *add(mgr_members_t *ms)
{
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 8;
        ms->v = cn_realloc(ms->v, ms->cap * sizeof(*ms->v));
    }
    memset(&ms->v[ms->n], 0, sizeof(ms->v[0]));
    return &ms->v[ms->n++];
}

struct load_ctx {
    mgr_members_t *ms;
    uint64_t now;
};

static int load_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct load_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    mgr_member_t m;

    if (j == NULL || member_from_json(j, &m) != 0) {
        CN_LOG(CN_LOG_WARN, "key=%.*s: unreadable member record skipped", (int)klen, key);
    } else {
        m.seen_mono_ms = c->now;
        *add(c->ms) = m;
    }
    json_decref(j);
    return 0;
}

int mgr_members_load(mgr_members_t *ms, mgr_state_t *st, uint64_t now_mono_ms)
{
    struct load_ctx c = {ms, now_mono_ms};

    memset(ms, 0, sizeof(*ms));
    return mgr_state_scan(st, "m/", load_one, &c);
}

void mgr_members_dispose(mgr_members_t *ms)
{
    cn_free(ms->v);
    memset(ms, 0, sizeof(*ms));
}

mgr_member_t *mgr_members_find(mgr_members_t *ms, const char *name)
{
    for (size_t i = 0; i < ms->n; i++)
        if (strcmp(ms->v[i].name, name) == 0)
            return &ms->v[i];
    return NULL;
}

void mgr__members_put(mgr_batch_t *b, const mgr_member_t *m)
{
    char key[8 + CN_RING_NAME_MAX];
    json_t *j = member_to_json(m);

    snprintf(key, sizeof(key), "m/%s", m->name);
    mgr_batch_put_json(b, key, j);
    json_decref(j);
}

/* The saved record of name: 0, CN_ENOENT, CN_ECORRUPT, CN_EIO. */
static int member_get(mgr_state_t *st, const char *name, mgr_member_t *out)
{
    char key[8 + CN_RING_NAME_MAX];
    json_t *j;
    int rc;

    if (!mgr_node_name_valid(name))
        return CN_ENOENT;
    snprintf(key, sizeof(key), "m/%s", name);
    if ((rc = mgr_state_get_json(st, key, &j)) != 0)
        return rc;
    rc = member_from_json(j, out);
    json_decref(j);
    return rc;
}

/* Copies the saved fields of rec into the table entry of the same name (added, with a fresh
 * grace period, when the table has none). */
static void follow(mgr_members_t *ms, const mgr_member_t *rec, uint64_t now_mono_ms)
{
    mgr_member_t *m = mgr_members_find(ms, rec->name);

    if (m == NULL) {
        m = add(ms);
        *m = *rec;
        m->seen_mono_ms = now_mono_ms;
        return;
    }
    memcpy(m->type, rec->type, sizeof(m->type));
    memcpy(m->host, rec->host, sizeof(m->host));
    m->port = rec->port;
    m->vnodes = rec->vnodes;
    memcpy(m->state, rec->state, sizeof(m->state));
    m->ring_cur = rec->ring_cur;
    m->ring_prev = rec->ring_prev;
    m->updated_ms = rec->updated_ms;
}

static void forget(mgr_members_t *ms, const char *name)
{
    mgr_member_t *m = mgr_members_find(ms, name);

    if (m == NULL)
        return;
    memmove(m, m + 1, (size_t)(&ms->v[ms->n] - (m + 1)) * sizeof(*m));
    ms->n--;
}

struct refresh_ctx {
    mgr_members_t *ms;
    uint64_t now;
    char (*names)[CN_RING_NAME_MAX]; /* the names the state has */
    size_t n;
};

static int refresh_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct refresh_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    mgr_member_t rec;

    if (j != NULL && member_from_json(j, &rec) == 0) {
        follow(c->ms, &rec, c->now);
        c->names = cn_realloc(c->names, (c->n + 1) * sizeof(*c->names));
        memcpy(c->names[c->n++], rec.name, CN_RING_NAME_MAX);
    }
    json_decref(j);
    return 0;
}

int mgr_members_refresh(mgr_members_t *ms, mgr_state_t *st, const char *name,
                        uint64_t now_mono_ms)
{
    struct refresh_ctx c = {ms, now_mono_ms, NULL, 0};
    mgr_member_t rec;
    size_t i = 0;
    int rc;

    if (name != NULL) {
        if ((rc = member_get(st, name, &rec)) == 0)
            follow(ms, &rec, now_mono_ms);
        else if (rc == CN_ENOENT)
            forget(ms, name);
        return rc == CN_ENOENT ? 0 : rc;
    }
    if ((rc = mgr_state_scan(st, "m/", refresh_one, &c)) == 0) {
        while (i < ms->n) { /* those the state no longer has */
            size_t k = 0;

            while (k < c.n && strcmp(c.names[k], ms->v[i].name) != 0)
                k++;
            if (k < c.n)
                i++;
            else
                forget(ms, ms->v[i].name);
        }
    }
    cn_free(c.names);
    return rc;
}

/* 1 for "host:port" with a port of 1..65535 and no comma, space or control character. */
static int xdc_addr_valid(const char *a)
{
    const char *colon = strrchr(a, ':');
    char *end;
    unsigned long port;

    if (colon == NULL || colon == a || strlen(a) >= MGR_XDC_ADDR_MAX)
        return 0;
    for (const char *p = a; *p != '\0'; p++)
        if ((unsigned char)*p <= ' ' || *p == ',' || (unsigned char)*p >= 0x7f)
            return 0;
    port = strtoul(colon + 1, &end, 10);
    return colon[1] != '\0' && *end == '\0' && port >= 1 && port <= 65535;
}

static uint64_t stat_u64(const json_t *o, const char *name)
{
    json_int_t v = json_integer_value(json_object_get(o, name));

    return v > 0 ? (uint64_t)v : 0;
}

int mgr_members_xdc_report(mgr_member_t *m, const char *addr, const char *stats, size_t len,
                           uint64_t now_ms)
{
    mgr_xdc_stat_t prev[MGR_XDC_STATS_MAX];
    size_t nprev = m->n_xdc;
    const char *id;
    json_t *j, *o;
    int rc = 0;

    if (addr == NULL || addr[0] == '\0')
        m->xdc_addr[0] = '\0';
    else if (xdc_addr_valid(addr))
        snprintf(m->xdc_addr, sizeof(m->xdc_addr), "%s", addr);
    else {
        m->xdc_addr[0] = '\0';
        rc = CN_EINVAL;
    }
    memcpy(prev, m->xdc, sizeof(prev));
    m->n_xdc = 0;
    m->have_xdc = 0;
    if (stats == NULL)
        return rc;
    if ((j = json_loadb(stats, len, 0, NULL)) == NULL || !json_is_object(j)) {
        json_decref(j);
        return CN_EINVAL;
    }
    m->have_xdc = 1;
    json_object_foreach(j, id, o) {
        mgr_xdc_stat_t *x = &m->xdc[m->n_xdc];
        const char *err = json_string_value(json_object_get(o, "last_error"));
        size_t k;

        if (m->n_xdc == MGR_XDC_STATS_MAX || !json_is_object(o) || strlen(id) != 16 ||
            strspn(id, "0123456789abcdef") != 16)
            continue;
        memset(x, 0, sizeof(*x));
        memcpy(x->id, id, sizeof(x->id));
        x->sent = stat_u64(o, "sent");
        x->lag_objects = stat_u64(o, "lag_objects");
        x->lag_seconds = stat_u64(o, "lag_seconds");
        x->queue_bytes = stat_u64(o, "queue_bytes");
        x->last_ok_ms = stat_u64(o, "last_ok_ms");
        x->needs_recover = stat_u64(o, "needs_recover") != 0;
        snprintf(x->last_error, sizeof(x->last_error), "%s", err != NULL ? err : "");
        if (x->last_error[0] != '\0') { /* the same error as before keeps its first time */
            x->error_since_ms = now_ms;
            for (k = 0; k < nprev; k++)
                if (strcmp(prev[k].id, x->id) == 0 &&
                    strcmp(prev[k].last_error, x->last_error) == 0)
                    x->error_since_ms = prev[k].error_since_ms;
        }
        m->n_xdc++;
    }
    json_decref(j);
    return rc;
}

static int is_admin_state(const char *state)
{
    return strcmp(state, MGR_STATE_SUSPEND) == 0 || strcmp(state, MGR_STATE_DETACHED) == 0;
}

/* The state a member in contact has: an admin state it holds; attached for a storage node
 * not in cur; restarted for a ring member that registers again (reg) or comes back from stop
 * (the watcher makes it running once the repair queues drained); else running. */
static const char *live_state(const mgr_member_t *m, const cn_ring_t *cur, int reg)
{
    int storage = strcmp(m->type, CN_NODE_STORAGE) == 0;

    if (is_admin_state(m->state))
        return m->state;
    if (storage && (cur == NULL || cn_ring_find(cur, m->name) == NULL))
        return MGR_STATE_ATTACHED;
    if (storage && (strcmp(m->state, MGR_STATE_STOP) == 0 ||
                    strcmp(m->state, MGR_STATE_RESTARTED) == 0 ||
                    (reg && strcmp(m->state, MGR_STATE_RUNNING) == 0)))
        return MGR_STATE_RESTARTED;
    return MGR_STATE_RUNNING;
}

/* Fills cmd with a member_put of m's saved fields. */
static void put_cmd(const mgr_member_t *m, mgr_cmd_t *cmd)
{
    mgr_cmd_init(cmd, MGR_CMD_MEMBER_PUT);
    cmd->member = *m;
}

int mgr_members_register_cmd(mgr_members_t *ms, const cn_ring_t *cur, const char *type,
                             const char *name, const char *host, int port, uint32_t vnodes,
                             mgr_cmd_t *cmd)
{
    const mgr_member_t *old;
    mgr_member_t m;
    const char *state;

    if (type == NULL ||
        (strcmp(type, CN_NODE_STORAGE) != 0 && strcmp(type, CN_NODE_GATEWAY) != 0))
        return CN_EINVAL;
    if (!mgr_node_name_valid(name) || host == NULL || *host == '\0' ||
        strlen(host) >= CN_RING_HOST_MAX || port < 1 || port > 65535)
        return CN_EINVAL;
    if (vnodes == 0)
        vnodes = CN_RING_DEFAULT_VNODES;
    memset(&m, 0, sizeof(m));
    if ((old = mgr_members_find(ms, name)) != NULL) {
        if (strcmp(old->type, type) != 0)
            return CN_EEXIST;
        if ((strcmp(old->host, host) != 0 || old->port != port) && cur != NULL &&
            cn_ring_find(cur, name) != NULL)
            CN_LOG(CN_LOG_WARN, "node=%s old=%s:%d new=%s:%d: a ring member moved; the "
                   "ring keeps the old address until the next rebalance",
                   name, old->host, old->port, host, port);
        m = *old;
    } else {
        copy_str(m.name, sizeof(m.name), name);
        copy_str(m.type, sizeof(m.type), type);
        CN_LOG(CN_LOG_INFO, "node=%s type=%s addr=%s:%d: new member", name, type, host, port);
    }
    copy_str(m.host, sizeof(m.host), host);
    m.port = port;
    m.vnodes = vnodes;
    state = live_state(&m, cur, 1);
    if (strcmp(m.state, state) != 0) {
        if (m.state[0])
            CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s (register)", name, m.state, state);
        copy_str(m.state, sizeof(m.state), state);
    }
    m.updated_ms = cn_now_ms();
    put_cmd(&m, cmd);
    return 0;
}

void mgr_members_touch(mgr_members_t *ms, const char *name, uint64_t now_mono_ms)
{
    mgr_member_t *m = mgr_members_find(ms, name);

    if (m != NULL)
        m->seen_mono_ms = now_mono_ms;
}

int mgr_members_heartbeat_cmd(mgr_members_t *ms, const cn_ring_t *cur, const char *name,
                              uint64_t ring_cur, uint64_t ring_prev, uint64_t now_mono_ms,
                              mgr_cmd_t *cmd, int *changed)
{
    mgr_member_t *m = mgr_members_find(ms, name), next;
    const char *state;

    *changed = 0;
    if (m == NULL)
        return CN_ENOENT;
    m->updated_ms = cn_now_ms();
    m->seen_mono_ms = now_mono_ms;
    next = *m;
    state = live_state(m, cur, 0);
    if (strcmp(m->state, state) != 0) {
        CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s (heartbeat)", name, m->state, state);
        copy_str(next.state, sizeof(next.state), state);
        *changed = 1;
    }
    if (m->ring_cur != ring_cur || m->ring_prev != ring_prev) {
        next.ring_cur = ring_cur;
        next.ring_prev = ring_prev;
        *changed = 1;
    }
    if (*changed)
        put_cmd(&next, cmd);
    return 0;
}

void mgr_members_touch_all(mgr_members_t *ms, uint64_t now_mono_ms)
{
    for (size_t i = 0; i < ms->n; i++)
        ms->v[i].seen_mono_ms = now_mono_ms;
}

/* Fills cmd with a member_set_state of name from its state now to state. */
static void state_cmd(const mgr_member_t *m, const char *state, mgr_cmd_t *cmd)
{
    mgr_cmd_init(cmd, MGR_CMD_MEMBER_SET_STATE);
    copy_str(cmd->member.name, sizeof(cmd->member.name), m->name);
    copy_str(cmd->member.state, sizeof(cmd->member.state), state);
    copy_str(cmd->from, sizeof(cmd->from), m->state);
}

size_t mgr_members_monitor(mgr_fsm_t *f, mgr_members_t *ms, uint64_t timeout_ms,
                           uint64_t now_mono_ms)
{
    size_t stopped = 0, n = 0;
    mgr_cmd_t *cmds = cn_calloc(ms->n ? ms->n : 1, sizeof(*cmds));

    for (size_t i = 0; i < ms->n; i++) { /* decide on the table as it is, then propose */
        const mgr_member_t *m = &ms->v[i];

        if (strcmp(m->state, MGR_STATE_STOP) == 0 || is_admin_state(m->state) ||
            now_mono_ms < m->seen_mono_ms ||
            now_mono_ms - m->seen_mono_ms <= timeout_ms)
            continue;
        CN_LOG(CN_LOG_WARN, "node=%s type=%s silent_ms=%" PRIu64 ": %s -> stop", m->name,
               m->type, now_mono_ms - m->seen_mono_ms, m->state);
        state_cmd(m, MGR_STATE_STOP, &cmds[n++]);
    }
    for (size_t i = 0; i < n; i++) {
        /* no one waits: a refusal (it spoke meanwhile) leaves it as it is */
        mgr_fsm_propose(f, &cmds[i], NULL, NULL);
        mgr_cmd_dispose(&cmds[i]);
        stopped++;
    }
    cn_free(cmds);
    return stopped;
}

int mgr_members_disagree(mgr_members_t *ms, uint64_t sum, const mgr_member_t **who)
{
    if (sum == 0)
        return 0;
    for (size_t i = 0; i < ms->n; i++) {
        const mgr_member_t *m = &ms->v[i];

        if (strcmp(m->state, MGR_STATE_RUNNING) != 0 && strcmp(m->state, MGR_STATE_SUSPEND) != 0 &&
            strcmp(m->state, MGR_STATE_RESTARTED) != 0)
            continue;
        if (m->ring_cur != sum) {
            *who = m;
            return 1;
        }
    }
    return 0;
}

/* Ring members that are not detached. */
static size_t ring_members_kept(const mgr_members_t *ms, const cn_ring_t *cur)
{
    size_t n = 0;

    for (size_t i = 0; cur != NULL && i < ms->n; i++)
        n += cn_ring_find(cur, ms->v[i].name) != NULL &&
             strcmp(ms->v[i].state, MGR_STATE_DETACHED) != 0;
    return n;
}

/* Proposes name's move from its state now to state and waits. */
static int propose_state(mgr_fsm_t *f, const mgr_member_t *m, const char *state)
{
    char from[sizeof(m->state)];
    mgr_cmd_t cmd;
    int rc;

    memcpy(from, m->state, sizeof(from)); /* m may move while the entry is applied */
    state_cmd(m, state, &cmd);
    rc = mgr_fsm_propose_wait(f, &cmd, NULL);
    if (rc == 0)
        CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s", cmd.member.name, from, state);
    mgr_cmd_dispose(&cmd);
    return rc;
}

int mgr_members_admin(mgr_fsm_t *f, mgr_members_t *ms, const cn_ring_t *cur, uint64_t n,
                      const char *name, const char *action, char *why, size_t whylen)
{
    mgr_member_t *m = mgr_members_find(ms, name);
    int in_ring, rc;
    const char *to;

    if (m == NULL) {
        snprintf(why, whylen, "no node named '%.80s' (see cairn-adm status)", name);
        return CN_ENOENT;
    }
    if (strcmp(m->type, CN_NODE_STORAGE) != 0) {
        snprintf(why, whylen, "%s is a %s; %s applies to storage nodes", name, m->type, action);
        return CN_EINVAL;
    }
    in_ring = cur != NULL && cn_ring_find(cur, name) != NULL;
    if (strcmp(action, "suspend") == 0) {
        if (strcmp(m->state, MGR_STATE_RUNNING) != 0) {
            snprintf(why, whylen, "%s is %s; only a running node can be suspended", name,
                     m->state);
            return CN_EBUSY;
        }
        to = MGR_STATE_SUSPEND;
    } else if (strcmp(action, "resume") == 0) {
        if (strcmp(m->state, MGR_STATE_SUSPEND) != 0) {
            snprintf(why, whylen, "%s is %s; only a suspended node can be resumed", name,
                     m->state);
            return CN_EBUSY;
        }
        to = in_ring ? MGR_STATE_RUNNING : MGR_STATE_ATTACHED;
    } else if (strcmp(action, "detach") == 0) {
        if (strcmp(m->state, MGR_STATE_DETACHED) == 0) {
            snprintf(why, whylen, "%s is already detached; it leaves the ring at the next "
                     "rebalance", name);
            return CN_EBUSY;
        }
        if (in_ring && ring_members_kept(ms, cur) <= n) {
            snprintf(why, whylen, "detaching %s would leave %zu storage node(s) in the ring, "
                     "fewer than the %llu replicas (N); attach a node first", name,
                     ring_members_kept(ms, cur) - 1, (unsigned long long)n);
            return CN_ERING;
        }
        to = MGR_STATE_DETACHED;
    } else {
        snprintf(why, whylen, "unknown action '%.40s'", action);
        return CN_EINVAL;
    }
    if ((rc = propose_state(f, m, to)) == CN_EBUSY)
        snprintf(why, whylen, "%s changed state meanwhile; see cairn-adm status and try again",
                 name);
    else if (rc != 0)
        snprintf(why, whylen, "could not save the node (%s); see the manager log",
                 cn_strerror(rc));
    return rc;
}

int mgr_members_set_state(mgr_fsm_t *f, mgr_members_t *ms, const char *name,
                          const char *state)
{
    mgr_member_t *m = mgr_members_find(ms, name);

    return m != NULL ? propose_state(f, m, state) : CN_ENOENT;
}

void mgr_members_down_csv(const mgr_members_t *ms, const cn_ring_t *cur, char *out,
                          size_t outlen)
{
    size_t len = 0;

    if (outlen == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; cur != NULL && i < ms->n; i++) {
        const mgr_member_t *m = &ms->v[i];
        size_t nl = strlen(m->name);

        if (strcmp(m->type, CN_NODE_STORAGE) != 0 || cn_ring_find(cur, m->name) == NULL ||
            (strcmp(m->state, MGR_STATE_STOP) != 0 && strcmp(m->state, MGR_STATE_SUSPEND) != 0 &&
             strcmp(m->state, MGR_STATE_RESTARTED) != 0))
            continue;
        if (len + nl + 2 > outlen)
            break;
        if (len > 0)
            out[len++] = ',';
        memcpy(out + len, m->name, nl);
        len += nl;
        out[len] = '\0';
    }
}

int mgr_members_remove(mgr_fsm_t *f, mgr_members_t *ms, const char *name)
{
    mgr_cmd_t cmd;
    int rc;

    if (mgr_members_find(ms, name) == NULL)
        return CN_ENOENT;
    mgr_cmd_init(&cmd, MGR_CMD_MEMBER_REMOVE);
    copy_str(cmd.member.name, sizeof(cmd.member.name), name);
    rc = mgr_fsm_propose_wait(f, &cmd, NULL);
    mgr_cmd_dispose(&cmd);
    return rc;
}

/* ---- apply (fsm.c) --------------------------------------------------------------------- */

static int state_known(const char *state)
{
    static const char *const all[] = {MGR_STATE_ATTACHED, MGR_STATE_RUNNING, MGR_STATE_STOP,
                                      MGR_STATE_SUSPEND, MGR_STATE_DETACHED,
                                      MGR_STATE_RESTARTED};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(state, all[i]) == 0)
            return 1;
    return 0;
}

static int apply_put(mgr_state_t *st, const mgr_member_t *m, mgr_batch_t *b)
{
    mgr_member_t old;
    int rc;

    if ((strcmp(m->type, CN_NODE_STORAGE) != 0 && strcmp(m->type, CN_NODE_GATEWAY) != 0) ||
        !mgr_node_name_valid(m->name) || m->host[0] == '\0' || m->port < 1 ||
        m->vnodes == 0 || !state_known(m->state))
        return CN_EINVAL;
    if ((rc = member_get(st, m->name, &old)) == 0 && strcmp(old.type, m->type) != 0)
        return CN_EEXIST;
    if (rc != 0 && rc != CN_ENOENT && rc != CN_ECORRUPT)
        return rc;
    mgr__members_put(b, m);
    return 0;
}

int mgr__members_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char key[8 + CN_RING_NAME_MAX];
    mgr_member_t m;
    int rc;

    if (c->kind == MGR_CMD_MEMBER_PUT)
        return apply_put(st, &c->member, b);
    if ((rc = member_get(st, c->member.name, &m)) != 0)
        return rc;
    if (c->kind == MGR_CMD_MEMBER_REMOVE) {
        snprintf(key, sizeof(key), "m/%s", m.name);
        mgr_batch_del(b, key);
        return 0;
    }
    if (!state_known(c->member.state))
        return CN_EINVAL;
    if (strcmp(m.state, c->from) != 0)
        return CN_EBUSY; /* it changed since the proposer looked */
    copy_str(m.state, sizeof(m.state), c->member.state);
    mgr__members_put(b, &m);
    return 0;
}

struct running_ctx {
    mgr_batch_t *b;
    const cn_ring_t *r;
    int only_attached;
};

static int running_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct running_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    mgr_member_t m;

    if (j != NULL && member_from_json(j, &m) == 0 && cn_ring_find(c->r, m.name) != NULL &&
        (!c->only_attached || strcmp(m.state, MGR_STATE_ATTACHED) == 0)) {
        copy_str(m.state, sizeof(m.state), MGR_STATE_RUNNING);
        mgr__members_put(c->b, &m);
    }
    json_decref(j);
    return 0;
}

int mgr__members_run_ring(mgr_state_t *st, mgr_batch_t *b, const cn_ring_t *r,
                          int only_attached)
{
    struct running_ctx c = {b, r, only_attached};

    return mgr_state_scan(st, "m/", running_one, &c);
}
