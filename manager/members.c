/*
 * manager/members.c: member table, state transitions and the silence monitor.
 * Invariant: every member's state is one of attached, running, stop, restarted, suspend,
 * detached; a gateway is only running or stop; a storage node is running, restarted or
 * suspend only when it is in the current ring. suspend and detached are set by the admin and never left by themselves.
 */
#include "manager/members.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proto.h"

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

void mgr_members_save_batch(mgr_batch_t *b, const mgr_member_t *m)
{
    char key[8 + CN_RING_NAME_MAX];
    json_t *j = member_to_json(m);

    snprintf(key, sizeof(key), "m/%s", m->name);
    mgr_batch_put_json(b, key, j);
    json_decref(j);
}

int mgr_members_save(mgr_state_t *st, const mgr_member_t *m)
{
    mgr_batch_t *b = mgr_batch_new();

    mgr_members_save_batch(b, m);
    return mgr_batch_commit(st, b);
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

int mgr_members_register(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur,
                         const char *type, const char *name, const char *host, int port,
                         uint32_t vnodes, uint64_t now_mono_ms, mgr_member_t **out)
{
    mgr_member_t *m;
    const char *state;
    int rc;

    if (type == NULL ||
        (strcmp(type, CN_NODE_STORAGE) != 0 && strcmp(type, CN_NODE_GATEWAY) != 0))
        return CN_EINVAL;
    if (!mgr_node_name_valid(name) || host == NULL || *host == '\0' ||
        strlen(host) >= CN_RING_HOST_MAX || port < 1 || port > 65535)
        return CN_EINVAL;
    if (vnodes == 0)
        vnodes = CN_RING_DEFAULT_VNODES;
    if ((m = mgr_members_find(ms, name)) != NULL) {
        if (strcmp(m->type, type) != 0)
            return CN_EEXIST;
        if (strcmp(m->host, host) != 0 || m->port != port) {
            if (cur != NULL && cn_ring_find(cur, name) != NULL)
                CN_LOG(CN_LOG_WARN, "node=%s old=%s:%d new=%s:%d: a ring member moved; the "
                       "ring keeps the old address until the next rebalance",
                       name, m->host, m->port, host, port);
        }
    } else {
        m = add(ms);
        copy_str(m->name, sizeof(m->name), name);
        copy_str(m->type, sizeof(m->type), type);
        CN_LOG(CN_LOG_INFO, "node=%s type=%s addr=%s:%d: new member", name, type, host, port);
    }
    copy_str(m->host, sizeof(m->host), host);
    m->port = port;
    m->vnodes = vnodes;
    state = live_state(m, cur, 1);
    if (strcmp(m->state, state) != 0) {
        if (m->state[0])
            CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s (register)", name, m->state, state);
        copy_str(m->state, sizeof(m->state), state);
    }
    m->updated_ms = cn_now_ms();
    m->seen_mono_ms = now_mono_ms;
    if ((rc = mgr_members_save(st, m)) != 0)
        return rc;
    *out = m;
    return 0;
}

int mgr_members_heartbeat(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur,
                          const char *name, uint64_t ring_cur, uint64_t ring_prev,
                          uint64_t now_mono_ms, mgr_member_t **out)
{
    mgr_member_t *m = mgr_members_find(ms, name);
    const char *state;
    int changed = 0;

    if (m == NULL)
        return CN_ENOENT;
    state = live_state(m, cur, 0);
    if (strcmp(m->state, state) != 0) {
        CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s (heartbeat)", name, m->state, state);
        copy_str(m->state, sizeof(m->state), state);
        changed = 1;
    }
    if (m->ring_cur != ring_cur || m->ring_prev != ring_prev) {
        m->ring_cur = ring_cur;
        m->ring_prev = ring_prev;
        changed = 1;
    }
    m->updated_ms = cn_now_ms();
    m->seen_mono_ms = now_mono_ms;
    if (changed)
        mgr_members_save(st, m); /* best effort: the next change saves again */
    *out = m;
    return 0;
}

size_t mgr_members_monitor(mgr_members_t *ms, mgr_state_t *st, uint64_t timeout_ms,
                           uint64_t now_mono_ms)
{
    size_t stopped = 0;

    for (size_t i = 0; i < ms->n; i++) {
        mgr_member_t *m = &ms->v[i];

        if (strcmp(m->state, MGR_STATE_STOP) == 0 || is_admin_state(m->state) ||
            now_mono_ms < m->seen_mono_ms ||
            now_mono_ms - m->seen_mono_ms <= timeout_ms)
            continue;
        CN_LOG(CN_LOG_WARN, "node=%s type=%s silent_ms=%" PRIu64 ": %s -> stop", m->name,
               m->type, now_mono_ms - m->seen_mono_ms, m->state);
        copy_str(m->state, sizeof(m->state), MGR_STATE_STOP);
        mgr_members_save(st, m);
        stopped++;
    }
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

int mgr_members_admin(mgr_members_t *ms, mgr_state_t *st, const cn_ring_t *cur, uint64_t n,
                      const char *name, const char *action, char *why, size_t whylen)
{
    mgr_member_t *m = mgr_members_find(ms, name), tmp;
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
    tmp = *m;
    copy_str(tmp.state, sizeof(tmp.state), to);
    if ((rc = mgr_members_save(st, &tmp)) != 0) {
        snprintf(why, whylen, "could not save the node (%s); see the manager log",
                 cn_strerror(rc));
        return rc;
    }
    CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s (%s)", name, m->state, to, action);
    copy_str(m->state, sizeof(m->state), to);
    return 0;
}

int mgr_members_set_state(mgr_members_t *ms, mgr_state_t *st, const char *name,
                          const char *state)
{
    mgr_member_t *m = mgr_members_find(ms, name), tmp;
    int rc;

    if (m == NULL)
        return CN_ENOENT;
    tmp = *m;
    copy_str(tmp.state, sizeof(tmp.state), state);
    if ((rc = mgr_members_save(st, &tmp)) != 0)
        return rc;
    CN_LOG(CN_LOG_INFO, "node=%s: %s -> %s", name, m->state, state);
    copy_str(m->state, sizeof(m->state), state);
    return 0;
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

int mgr_members_remove(mgr_members_t *ms, mgr_state_t *st, const char *name)
{
    char key[8 + CN_RING_NAME_MAX];
    int rc;

    for (size_t i = 0; i < ms->n; i++) {
        if (strcmp(ms->v[i].name, name) != 0)
            continue;
        snprintf(key, sizeof(key), "m/%s", name);
        if ((rc = mgr_state_del(st, key)) != 0)
            return rc;
        memmove(&ms->v[i], &ms->v[i + 1], (ms->n - i - 1) * sizeof(ms->v[0]));
        ms->n--;
        return 0;
    }
    return CN_ENOENT;
}
