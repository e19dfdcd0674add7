/*
 * gateway/link/mgr_link.c: the gateway's link to the manager: register (retried every second until
 * it works), heartbeat every heartbeat_ms, and refetch of users, buckets and the ring when the
 * versions or checksums in a heartbeat reply differ from what the gateway holds. A fetched
 * table is built whole and published for every worker (tables.h): worker 0 fetches what the
 * heartbeat says changed, any worker the buckets it waits for (gw_mgr_refresh_buckets); a
 * worker reads the snapshot it holds through the views in struct gw_mgr (gw_mgr_sync).
 * A pointer into a table (gw_mgr_bucket_find) is valid until this worker's next
 * gw_mgr_sync: to the end of the callback that took it.
 * Every call goes through common/mgr_client.c: the first of [manager] addresses that answers,
 * the leader a follower names, the managers a reply's "managers" field adds; while none
 * answers the gateway serves with the tables it holds.
 */
#include "gateway/gateway.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/proc.h"
#include "gateway/workers.h"

struct gw_mgr_waiter {
    void (*cb)(int status, void *arg);
    void *arg;
    struct gw_mgr_waiter *next;
};

static void fetch_users(gw_server_t *s);
static void fetch_buckets(gw_server_t *s);
static void fetch_ring(gw_server_t *s);

static char *json_str_dup(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return cn_strdup(v ? v : "");
}

/* A users table's dispose (gw_tab_create): its entries and their strings. */
static void dispose_users(void *v, size_t n)
{
    gw_user_t *u = v;

    for (size_t i = 0; i < n; i++) {
        cn_free(u[i].user);
        cn_free(u[i].id);
        cn_free(u[i].access_key);
        cn_free(u[i].secret);
        cn_free(u[i].role);
        cn_free(u[i].email);
    }
    cn_free(u);
}

/* A buckets table's dispose: its entries with their compiled policies and rules. */
static void dispose_buckets(void *v, size_t n)
{
    gw_bucket_t *b = v;

    for (size_t i = 0; i < n; i++) {
        cn_free(b[i].name);
        cn_free(b[i].owner);
        cn_free(b[i].acl);
        cn_free(b[i].grants);
        cn_free(b[i].policy_doc);
        free(b[i].tagging); /* jansson's */
        free(b[i].cors_doc);
        if (b[i].cors != NULL)
            gw_cors_dispose(b[i].cors);
        cn_free(b[i].cors);
        free(b[i].lifecycle_doc);
        cn_lc_free(b[i].lifecycle);
        cn_free(b[i].log_target);
        cn_free(b[i].log_prefix);
        gw_policy_destroy(b[i].policy);
    }
    cn_free(b);
}

static void dispose_endpoints(void *v, size_t n)
{
    char **e = v;

    for (size_t i = 0; i < n; i++)
        cn_free(e[i]);
    cn_free(e);
}

static void dispose_ring(void *v, size_t n)
{
    gw_ring_pair_t *p = v;

    (void)n;
    if (p->cur)
        cn_ring_destroy(p->cur);
    if (p->prev)
        cn_ring_destroy(p->prev);
    cn_free(p);
}

static void dispose_stor(void *v, size_t n)
{
    (void)n;
    cn_free(v);
}

/* After this worker published: it moves to the new snapshot, the others are woken to. */
static void published(gw_server_t *s)
{
    gw_mgr_sync(s);
    gw_workers_wake(s->sh, s);
}

/* Publishes t for every worker (tables.h's rule: force, or not older than the published
 * one). */
static void publish(gw_server_t *s, enum gw_tab_kind kind, gw_tab_t *t, int force)
{
    gw_tables_publish(&s->sh->tables, kind, t, force);
    published(s);
}

void gw_mgr_sync(gw_server_t *s)
{
    gw_tables_t *t, *old = s->tabs;
    gw_tab_t *tab, *was;
    struct gw_mgr *M = &s->mgr;

    if (s->stopping || (old != NULL && gw_tables_gen(&s->sh->tables) == old->gen))
        return;
    t = gw_tables_get(&s->sh->tables);
    s->tabs = t;
    tab = t->tab[GW_TAB_USERS];
    M->users = tab ? tab->v : NULL;
    M->nusers = tab ? tab->n : 0;
    M->users_ver = tab ? tab->ver : 0;
    M->users_loaded = tab != NULL;
    tab = t->tab[GW_TAB_BUCKETS];
    M->buckets = tab ? tab->v : NULL;
    M->nbuckets = tab ? tab->n : 0;
    M->buckets_ver = tab ? tab->ver : 0;
    M->buckets_loaded = tab != NULL;
    tab = t->tab[GW_TAB_ENDPOINTS];
    M->endpoints = tab ? tab->v : NULL;
    M->nendpoints = tab ? tab->n : 0;
    M->endpoints_ver = tab ? tab->ver : 0;
    M->endpoints_loaded = tab != NULL;
    tab = t->tab[GW_TAB_RING];
    {
        const gw_ring_pair_t *p = tab ? tab->v : NULL;

        M->ring = p ? p->cur : NULL;
        M->ring_prev = p ? p->prev : NULL;
        M->ring_sum = p ? p->cur_sum : 0;
        M->ring_prev_sum = p ? p->prev_sum : 0;
    }
    was = old ? old->tab[GW_TAB_RING] : NULL;
    if (tab != was)
        gw_stor_sync_nodes(s); /* this worker's clients follow the ring */
    tab = t->tab[GW_TAB_STOR];
    was = old ? old->tab[GW_TAB_STOR] : NULL;
    M->stor = tab ? tab->v : NULL;
    if (tab != NULL && tab != was) {
        gw_stor_set_down(s, M->stor->down, M->stor->n);
        gw_stor_set_quorums(s, M->stor->w, M->stor->d);
    }
    /* not freed here: a caller up the stack may still hold a pointer into it (a request
     * started by h2o from within another callback); released at the loop's next turn */
    if (old != NULL) {
        if (s->nretired == s->retired_cap) {
            s->retired_cap = s->retired_cap ? 2 * s->retired_cap : 4;
            s->retired = cn_realloc(s->retired, s->retired_cap * sizeof(*s->retired));
        }
        s->retired[s->nretired++] = old;
    }
}

void gw_mgr_release_retired(gw_server_t *s)
{
    /* the tables live on while another worker reads them */
    while (s->nretired > 0)
        gw_tables_unref(s->retired[--s->nretired]);
}

/* b's named configurations from the table's "config" (o): the public access block, the
 * ownership controls, the tags and the access logs' target, as the gateway wrote them
 * (s3_bucket_conf.c, s3_tagging.c, s3_logging.c), and the redundancy policy and the
 * replication switch, as the manager wrote them (manager/buckets.h). */
static void load_config(gw_bucket_t *b, const json_t *o)
{
    static const char *const pab[] = {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                      "RestrictPublicBuckets"};
    const json_t *c = json_object_get(o, "config"), *p, *own;
    const char *mode;

    if ((p = json_object_get(c, "public_access_block")) != NULL) {
        b->has_pab = 1;
        for (unsigned i = 0; i < 4; i++)
            if (json_is_true(json_object_get(p, pab[i])))
                b->pab |= 1u << i;
    }
    if ((mode = json_string_value(json_object_get(json_object_get(c, "versioning"),
                                                  "Status"))) != NULL)
        b->versioning = strcmp(mode, "Enabled") == 0 ? GW_VER_ENABLED : GW_VER_SUSPENDED;
    if ((p = json_object_get(c, "tagging")) != NULL)
        b->tagging = json_dumps(p, JSON_COMPACT);
    if ((p = json_object_get(c, "object_lock")) != NULL) {
        b->object_lock = 1; /* a default retention that does not read: none is applied */
        if (gw_lock_conf_decode(p, &b->lock) != 0)
            CN_LOG(CN_LOG_WARN, "bucket=%s: its object lock rule does not read", b->name);
    }
    if ((p = json_object_get(c, "encryption")) != NULL) { /* sse_conf.h's stored form */
        char *doc = json_dumps(p, JSON_COMPACT);

        b->has_encryption = 1;
        if (doc == NULL || gw_sse_conf_decode(doc, strlen(doc), &b->encryption) != 0) {
            memset(&b->encryption, 0, sizeof(b->encryption));
            CN_LOG(CN_LOG_ERROR, "bucket=%s: its default encryption does not read; writes "
                   "are refused until it is replaced", b->name);
        }
        free(doc);
    }
    if ((p = json_object_get(c, "redundancy")) != NULL) { /* {"policy": "ec:K+M"} */
        /* read by the write paths through gw_chunk_code_seg (s3/chunk.c) */
        if (cn_redund_parse(json_string_value(json_object_get(p, "policy")), &b->redundancy,
                            NULL, 0) != 0) {
            b->redundancy = (cn_redund_t){CN_REDUND_REPLICATE, 0, 0};
            CN_LOG(CN_LOG_ERROR, "bucket=%s: its redundancy policy does not read; its "
                   "objects are replicated", b->name);
        }
    }
    b->replication = 1;
    if ((p = json_object_get(c, "replication")) != NULL) { /* {"replication": "off"} */
        mode = json_string_value(json_object_get(p, "replication"));
        if (mode != NULL && strcmp(mode, "off") == 0)
            b->replication = 0;
        else
            CN_LOG(CN_LOG_ERROR, "bucket=%s: its replication switch does not read; taken "
                   "as on", b->name);
    }
    p = json_object_get(c, "logging"); /* s3_logging.c's {"TargetBucket", "TargetPrefix"} */
    if ((mode = json_string_value(json_object_get(p, "TargetBucket"))) != NULL) {
        const char *pre = json_string_value(json_object_get(p, "TargetPrefix"));

        b->log_target = cn_strdup(mode);
        b->log_prefix = cn_strdup(pre ? pre : "");
    }
    own = json_object_get(c, "ownership_controls");
    if ((mode = json_string_value(json_object_get(own, "ObjectOwnership"))) != NULL) {
        b->has_ownership = 1;
        b->ownership = strcmp(mode, "BucketOwnerEnforced") == 0    ? GW_OWN_ENFORCED
                       : strcmp(mode, "BucketOwnerPreferred") == 0 ? GW_OWN_PREFERRED
                                                                   : GW_OWN_OBJECT_WRITER;
    }
}

/* b's CORS rules from the table's "config" "cors" (o), as s3_cors.c stored them, read into
 * b->cors. Read again for every table: the table before is still read by other workers, so
 * nothing is taken over from it. */
static void load_cors(gw_bucket_t *b, const json_t *o)
{
    const json_t *p = json_object_get(json_object_get(o, "config"), "cors");

    if (p == NULL || (b->cors_doc = json_dumps(p, JSON_COMPACT)) == NULL)
        return;
    b->cors = cn_calloc(1, sizeof(*b->cors));
    if (gw_cors_decode(b->cors_doc, strlen(b->cors_doc), b->cors) != 0) {
        cn_free(b->cors);
        b->cors = NULL;
        CN_LOG(CN_LOG_ERROR, "bucket=%s: its stored CORS rules do not read; no cross-origin "
               "request is allowed until they are replaced", b->name ? b->name : "?");
    }
}

/* b's lifecycle rules from the table's "config" "lifecycle" (o), as s3_lifecycle.c stored
 * them, read into b->lifecycle (again for every table, as the CORS rules are). */
static void load_lifecycle(gw_bucket_t *b, const json_t *o)
{
    const json_t *p = json_object_get(json_object_get(o, "config"), "lifecycle");

    if (p == NULL || (b->lifecycle_doc = json_dumps(p, JSON_COMPACT)) == NULL)
        return;
    if (cn_lc_parse(b->lifecycle_doc, strlen(b->lifecycle_doc), &b->lifecycle) != 0) {
        b->lifecycle = NULL;
        CN_LOG(CN_LOG_ERROR, "bucket=%s: its stored lifecycle rules do not read; no "
               "x-amz-expiration is answered until they are replaced", b->name ? b->name : "?");
    }
}

/* b's policy from the table's "policy" (o), compiled (again for every table, as the CORS
 * rules are: a compiled policy is never shared between two tables). */
static void load_policy(gw_bucket_t *b, const json_t *o)
{
    char msg[GW_POLICY_MSG_MAX];
    const char *doc = json_string_value(json_object_get(o, "policy"));

    if (doc == NULL || b->name == NULL)
        return;
    b->policy_doc = cn_strdup(doc);
    if (gw_policy_parse(doc, strlen(doc), b->name, &b->policy, msg, sizeof(msg)) != 0) {
        b->policy = NULL;
        b->policy_broken = 1;
        CN_LOG(CN_LOG_ERROR, "bucket=%s: its stored policy does not parse (%s); it denies "
               "every request but its owner's policy calls until it is replaced", b->name,
               msg);
    }
    b->policy_public = b->policy != NULL && gw_policy_is_public(b->policy);
}

int gw_mgr_ready(const gw_server_t *s)
{
    return s->mgr.users_loaded && s->mgr.ring != NULL;
}

const gw_user_t *gw_mgr_user_by_key(const gw_server_t *s, const char *access_key)
{
    for (size_t i = 0; access_key[0] && i < s->mgr.nusers; i++)
        if (strcmp(s->mgr.users[i].access_key, access_key) == 0)
            return &s->mgr.users[i];
    return NULL;
}

const gw_user_t *gw_mgr_user_by_id(const gw_server_t *s, const char *id)
{
    for (size_t i = 0; id && id[0] && i < s->mgr.nusers; i++)
        if (strcmp(s->mgr.users[i].id, id) == 0)
            return &s->mgr.users[i];
    return NULL;
}

const gw_user_t *gw_mgr_user_by_email(const gw_server_t *s, const char *email, size_t len)
{
    /* S3 matches an address without regard to case */
    for (size_t i = 0; len && i < s->mgr.nusers; i++)
        if (strlen(s->mgr.users[i].email) == len &&
            strncasecmp(s->mgr.users[i].email, email, len) == 0)
            return &s->mgr.users[i];
    return NULL;
}

int gw_mgr_quota_take(gw_server_t *s, const char *name, uint64_t bytes)
{
    for (size_t i = 0; i < s->mgr.nbuckets; i++) {
        gw_bucket_t *b = &s->mgr.buckets[i];

        if (strcmp(b->name, name) != 0)
            continue;
        if (b->quota == 0)
            return 0;
        /* every worker takes from the same count */
        uint64_t t = atomic_load(&b->taken);
        do {
            if (b->used + t + bytes > b->quota)
                return 1;
        } while (!atomic_compare_exchange_weak(&b->taken, &t, t + bytes));
        return 0;
    }
    return 0;
}

const gw_bucket_t *gw_mgr_bucket_find(const gw_server_t *s, const char *name)
{
    for (size_t i = 0; i < s->mgr.nbuckets; i++)
        if (strcmp(s->mgr.buckets[i].name, name) == 0)
            return &s->mgr.buckets[i];
    return NULL;
}

void gw_mgr_call(gw_server_t *s, cn_msg_t *m, gw_mgr_done_fn cb, void *arg)
{
    cn_mgr_client_call(s->mgr.client, m, s->conf.rpc_timeout_ms, cb, arg);
}

/* ---- fetches ------------------------------------------------------------------------- */

/* The JSON array a get_users / get_buckets / get_endpoints reply carries, and its "ver";
 * NULL (logged, *rc the code: the call's, or CN_ECORRUPT for a body that is not an array)
 * when there is none. */
static json_t *table_of(int status, cn_msg_t *resp, const char *op, uint64_t *ver, int *rc)
{
    json_error_t jerr;
    cn_slice_t body;
    json_t *root;

    *rc = status ? status : cn_msg_rc(resp);
    if (*rc != 0) {
        CN_LOG(CN_LOG_WARN, "%s failed: %s", op, cn_strerror(*rc));
        return NULL;
    }
    cn_msg_get_u64(resp, "ver", ver);
    body = cn_msg_body(resp);
    root = json_loadb(body.ptr ? body.ptr : "[]", body.ptr ? body.len : 2, 0, &jerr);
    if (!root || !json_is_array(root)) {
        CN_LOG(CN_LOG_WARN, "%s: bad JSON: %s", op, root ? "not an array" : jerr.text);
        json_decref(root);
        *rc = CN_ECORRUPT;
        return NULL;
    }
    return root;
}

/* Fills u from a user o of get_users with one key k ({"access_key", "secret"}; NULL: the user
 * has no Active key, and is kept only to be found by id). */
static void user_entry(gw_user_t *u, json_t *o, json_t *k)
{
    u->user = json_str_dup(o, "user");
    u->id = json_str_dup(o, "id");
    u->role = json_str_dup(o, "role");
    u->email = json_str_dup(o, "email");
    u->access_key = k ? json_str_dup(k, "access_key") : cn_strdup("");
    u->secret = k ? json_str_dup(k, "secret") : cn_strdup("");
}

/* The users table has one entry per Active key of each user (a manager before several keys
 * sends one "access_key" and "secret" per user, read as its only key), and one without a key
 * for a user that has none Active. */
static void on_users(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    uint64_t ver = 0;
    int rc;
    json_t *root = table_of(status, resp, CN_OP_GET_USERS, &ver, &rc), *o, *keys;
    gw_user_t *u;
    size_t i, n = 0;

    s->mgr.fetching_users = 0;
    if (!root)
        goto out;
    json_array_foreach(root, i, o) {
        keys = json_object_get(o, "keys");
        n += json_array_size(keys) ? json_array_size(keys) : 1;
    }
    u = cn_calloc(n ? n : 1, sizeof(*u));
    n = 0;
    json_array_foreach(root, i, o) {
        size_t j;
        json_t *k;

        keys = json_object_get(o, "keys");
        if (!json_is_array(keys)) /* a manager before several keys */
            user_entry(&u[n++], o, json_object_get(o, "access_key") ? o : NULL);
        else if (json_array_size(keys) == 0)
            user_entry(&u[n++], o, NULL);
        json_array_foreach(keys, j, k) {
            user_entry(&u[n++], o, k);
        }
    }
    if (!s->mgr.users_loaded)
        CN_LOG(CN_LOG_INFO, "users loaded: %zu keys (ver %" PRIu64 ")", n, ver);
    publish(s, GW_TAB_USERS, gw_tab_create(ver, u, n, dispose_users), s->mgr.force_users);
out:
    if (root)
        json_decref(root);
    if (resp)
        cn_msg_free(resp);
}

static void user_copy(gw_user_t *to, const gw_user_t *from)
{
    to->user = cn_strdup(from->user);
    to->id = cn_strdup(from->id);
    to->role = cn_strdup(from->role);
    to->email = cn_strdup(from->email);
    to->access_key = cn_strdup(from->access_key);
    to->secret = cn_strdup(from->secret);
}

/* The key is added to a copy of the published users table, published in its place unless
 * another worker published meanwhile (then again, from that one): every worker knows the
 * key at once, and no learned key is lost to a race. */
void gw_mgr_user_learn(gw_server_t *s, const cn_msg_t *resp)
{
    const char *fields[] = {"user", "id", "role", "access_key", "secret"};
    char vals[5][128], none[1] = "";
    gw_user_t learned = {vals[0], vals[1], vals[3], vals[4], vals[2], none};

    for (size_t i = 0; i < 5; i++)
        if (cn_msg_get_str(resp, fields[i], vals[i], sizeof(vals[i])) != 0 || !vals[i][0])
            return; /* not a key a request could be signed with */
    for (;;) {
        gw_tab_t *cur = gw_tables_get_tab(&s->sh->tables, GW_TAB_USERS), *t;
        const gw_user_t *old = cur ? cur->v : NULL;
        size_t n = cur ? cur->n : 0, i;
        gw_user_t *u;

        for (i = 0; i < n && strcmp(old[i].access_key, vals[3]) != 0; i++)
            ;
        if (i < n) { /* a fetch brought it meanwhile */
            gw_tab_unref(cur);
            break;
        }
        u = cn_calloc(n + 1, sizeof(*u));
        for (i = 0; i < n; i++)
            user_copy(&u[i], &old[i]);
        user_copy(&u[n], &learned); /* its email: the next users table brings it */
        t = gw_tab_create(cur ? cur->ver : 0, u, n + 1, dispose_users);
        i = (size_t)gw_tables_replace(&s->sh->tables, GW_TAB_USERS, cur, t);
        gw_tab_unref(cur);
        if (i)
            break;
    }
    published(s);
}

/* get_endpoints: a JSON array of the DNS names `cairn-adm add-endpoint` added, under which
 * hosts <bucket>.<endpoint> name a bucket (virtual-host routing, gw_mgr_vhost_domain). */
static void on_endpoints(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    uint64_t ver = 0;
    int rc;
    json_t *root = table_of(status, resp, CN_OP_GET_ENDPOINTS, &ver, &rc);

    s->mgr.fetching_endpoints = 0;
    if (!root)
        goto out;
    {
        size_t n = json_array_size(root);
        char **e = cn_calloc(n ? n : 1, sizeof(char *));

        for (size_t i = 0; i < n; i++) {
            const char *d = json_string_value(json_array_get(root, i));
            e[i] = cn_strdup(d ? d : "");
        }
        CN_LOG(CN_LOG_INFO, "endpoints loaded: %zu (ver %" PRIu64 ")", n, ver);
        publish(s, GW_TAB_ENDPOINTS, gw_tab_create(ver, e, n, dispose_endpoints),
                s->mgr.force_endpoints);
    }
out:
    if (root)
        json_decref(root);
    if (resp)
        cn_msg_free(resp);
}

static void fetch_endpoints(gw_server_t *s)
{
    if (s->mgr.fetching_endpoints || s->stopping)
        return;
    s->mgr.fetching_endpoints = 1;
    gw_mgr_call(s, cn_msg_new(CN_OP_GET_ENDPOINTS), on_endpoints, s);
}

/* 1 when host (its port cut) is <something>.<domain>, case-insensitively. */
static int host_under(const char *host, size_t host_len, const char *domain)
{
    size_t dl = strlen(domain);
    const char *colon = memchr(host, ':', host_len);

    if (colon)
        host_len = (size_t)(colon - host);
    return dl > 0 && host_len > dl + 1 && host[host_len - dl - 1] == '.' &&
           strncasecmp(host + host_len - dl, domain, dl) == 0;
}

const char *gw_mgr_vhost_domain(const gw_server_t *s, const char *host, size_t host_len)
{
    const char *best = NULL;

    if (host == NULL)
        return NULL;
    if (s->conf.domain && host_under(host, host_len, s->conf.domain))
        best = s->conf.domain;
    for (size_t i = 0; i < s->mgr.nendpoints; i++) /* the longest match names the bucket */
        if (host_under(host, host_len, s->mgr.endpoints[i]) &&
            (best == NULL || strlen(s->mgr.endpoints[i]) > strlen(best)))
            best = s->mgr.endpoints[i];
    return best;
}

static void fetch_users(gw_server_t *s)
{
    if (s->mgr.fetching_users || s->stopping)
        return;
    s->mgr.fetching_users = 1;
    gw_mgr_call(s, cn_msg_new(CN_OP_GET_USERS), on_users, s);
}

static void on_buckets(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    uint64_t ver = 0;
    int rc;
    json_t *root = table_of(status, resp, CN_OP_GET_BUCKETS, &ver, &rc);
    struct gw_mgr_waiter *w;

    s->mgr.fetching_buckets = 0;
    if (!root)
        goto out;
    size_t n = json_array_size(root);
    gw_bucket_t *b = cn_calloc(n ? n : 1, sizeof(*b));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(root, i);
        b[i].name = json_str_dup(o, "name");
        b[i].owner = json_str_dup(o, "owner");
        b[i].acl = json_str_dup(o, "acl");
        b[i].grants = json_str_dup(o, "grants");
        b[i].created_ms = (uint64_t)json_integer_value(json_object_get(o, "created_ms"));
        b[i].quota = (uint64_t)json_integer_value(json_object_get(o, "quota"));
        b[i].used = (uint64_t)json_integer_value(json_object_get(o, "used"));
        /* what this gateway let in is in `used` once the manager's sum moved (only a bucket
         * with a quota counts it) */
        gw_bucket_t *old = b[i].name ? (gw_bucket_t *)gw_mgr_bucket_find(s, b[i].name) : NULL;
        if (old != NULL && b[i].quota && old->used == b[i].used)
            atomic_store(&b[i].taken, atomic_load(&old->taken));
        load_policy(&b[i], o);
        load_config(&b[i], o);
        load_cors(&b[i], o);
        load_lifecycle(&b[i], o);
    }
    publish(s, GW_TAB_BUCKETS, gw_tab_create(ver, b, n, dispose_buckets),
            s->mgr.force_buckets);
out:
    if (root)
        json_decref(root);
    if (resp)
        cn_msg_free(resp);
    w = s->mgr.wait_cur;
    s->mgr.wait_cur = NULL;
    while (w) {
        struct gw_mgr_waiter *next = w->next;
        w->cb(rc, w->arg);
        cn_free(w);
        w = next;
    }
    if (s->mgr.wait_next)
        fetch_buckets(s);
}

static void fetch_buckets(gw_server_t *s)
{
    if (s->mgr.fetching_buckets || s->stopping)
        return;
    s->mgr.fetching_buckets = 1;
    /* waiters registered so far are satisfied by this fetch */
    while (s->mgr.wait_next) {
        struct gw_mgr_waiter *w = s->mgr.wait_next;
        s->mgr.wait_next = w->next;
        w->next = s->mgr.wait_cur;
        s->mgr.wait_cur = w;
    }
    gw_mgr_call(s, cn_msg_new(CN_OP_GET_BUCKETS), on_buckets, s);
}

void gw_mgr_refresh_buckets(gw_server_t *s, void (*cb)(int status, void *arg), void *arg)
{
    struct gw_mgr_waiter *w = cn_calloc(1, sizeof(*w));
    w->cb = cb;
    w->arg = arg;
    w->next = s->mgr.wait_next;
    s->mgr.wait_next = w;
    fetch_buckets(s);
}

static void on_ring(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    int rc = status ? status : cn_msg_rc(resp);
    cn_ring_t *cur = NULL, *prev = NULL;
    cn_slice_t b;
    uint64_t cs = 0, ps = 0;

    s->mgr.fetching_ring = 0;
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "get_ring failed: %s", cn_strerror(rc));
        goto out;
    }
    if (cn_msg_get_bytes(resp, "cur", &b) == 0 && b.len &&
        (rc = cn_ring_decode(b.ptr, b.len, &cur)) != 0) {
        CN_LOG(CN_LOG_WARN, "get_ring: bad cur ring: %s", cn_strerror(rc));
        goto out;
    }
    if (cn_msg_get_bytes(resp, "prev", &b) == 0 && b.len &&
        cn_ring_decode(b.ptr, b.len, &prev) != 0)
        prev = NULL;
    cn_msg_get_u64(resp, "cur_sum", &cs);
    cn_msg_get_u64(resp, "prev_sum", &ps);
    if (cur && cn_ring_node_count(cur) == 0) {
        cn_ring_destroy(cur);
        cur = NULL;
    }
    {
        gw_ring_pair_t *p = cn_calloc(1, sizeof(*p));
        char hex[17];

        p->cur = cur;
        p->prev = prev;
        p->cur_sum = cur ? cn_ring_checksum(cur) : 0;
        p->prev_sum = prev ? cn_ring_checksum(prev) : 0;
        cn_ring_checksum_hex(p->cur_sum, hex);
        CN_LOG(CN_LOG_INFO, "ring loaded: %zu nodes, checksum %s", cur ? cn_ring_node_count(cur) : 0,
               hex);
        /* worker 0 alone fetches rings: what it fetched last is the ring */
        publish(s, GW_TAB_RING, gw_tab_create(0, p, 0, dispose_ring), 1);
    }
out:
    if (resp)
        cn_msg_free(resp);
}

static void fetch_ring(gw_server_t *s)
{
    if (s->mgr.fetching_ring || s->stopping)
        return;
    s->mgr.fetching_ring = 1;
    gw_mgr_call(s, cn_msg_new(CN_OP_GET_RING), on_ring, s);
}

/* ---- register and heartbeat ---------------------------------------------------------- */

static void on_register(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    int rc = status ? status : cn_msg_rc(resp);

    s->mgr.inflight = 0;
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "register with manager %s failed: %s (retrying)",
               cn_mgr_client_current(s->mgr.client), cn_strerror(rc));
    } else {
        CN_LOG(CN_LOG_INFO, "registered with manager %s as gateway %s",
               cn_mgr_client_current(s->mgr.client), s->conf.name);
        s->mgr.registered = 1;
        fetch_users(s);
        fetch_buckets(s);
        fetch_ring(s);
    }
    if (resp)
        cn_msg_free(resp);
}

static void on_heartbeat(int status, cn_msg_t *resp, void *arg)
{
    gw_server_t *s = arg;
    int rc = status ? status : cn_msg_rc(resp);
    uint64_t v;

    s->mgr.inflight = 0;
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "heartbeat failed: %s (next: manager %s)", cn_strerror(rc),
               cn_mgr_client_current(s->mgr.client));
        if (status == 0 && rc == CN_ENOENT)
            s->mgr.registered = 0; /* the manager forgot us: register again */
        goto out;
    }
    {
        gw_stor_facts_t f = {.down = "", .kms_origins = ""};
        const gw_stor_facts_t *held = s->mgr.stor;

        cn_msg_get_u64(resp, "n", &f.n);
        cn_msg_get_u64(resp, "w", &f.w);
        cn_msg_get_u64(resp, "d", &f.d);
        if (cn_msg_get_str(resp, "down", f.down, sizeof(f.down)) != 0)
            f.down[0] = '\0';
        if (cn_msg_get_str(resp, "kms_origins", f.kms_origins, sizeof(f.kms_origins)) != 0)
            f.kms_origins[0] = '\0'; /* an older manager, or more than we try */
        /* published only when they changed: a heartbeat does not make a snapshot */
        if (held == NULL || held->n != f.n || held->w != f.w || held->d != f.d ||
            strcmp(held->down, f.down) != 0 || strcmp(held->kms_origins, f.kms_origins) != 0) {
            gw_stor_facts_t *nf = cn_malloc(sizeof(*nf));

            *nf = f;
            publish(s, GW_TAB_STOR, gw_tab_create(0, nf, 1, dispose_stor), 1);
        }
    }
    gw_cache_on_heartbeat(s, resp);
    if (cn_msg_get_u64(resp, "log_level", &v) == 0 && v <= CN_LOG_ERROR &&
        (int)v != cn_log_level) {
        CN_LOG(CN_LOG_WARN, "log level %s -> %s (update-log-level from the manager)",
               cn_log_level_name(cn_log_level), cn_log_level_name((int)v));
        cn_log_set_level((int)v);
    }
    if (cn_msg_get_u64(resp, "users_ver", &v) == 0 && (v != s->mgr.users_ver || !s->mgr.users_loaded)) {
        s->mgr.force_users = v < s->mgr.users_ver;
        fetch_users(s);
    }
    if (cn_msg_get_u64(resp, "buckets_ver", &v) == 0 &&
        (v != s->mgr.buckets_ver || !s->mgr.buckets_loaded)) {
        s->mgr.force_buckets = v < s->mgr.buckets_ver;
        fetch_buckets(s);
    }
    if (cn_msg_get_u64(resp, "endpoints_ver", &v) == 0 &&
        (v != s->mgr.endpoints_ver || !s->mgr.endpoints_loaded)) {
        s->mgr.force_endpoints = v < s->mgr.endpoints_ver;
        fetch_endpoints(s);
    }
    if ((cn_msg_get_u64(resp, "ring_cur", &v) == 0 && v != s->mgr.ring_sum) ||
        (cn_msg_get_u64(resp, "ring_prev", &v) == 0 && v != s->mgr.ring_prev_sum))
        fetch_ring(s);
out:
    if (resp)
        cn_msg_free(resp);
}

static void on_tick(uv_timer_t *t)
{
    gw_server_t *s = t->data;
    cn_msg_t *m;

    if (s->mgr.inflight || s->stopping)
        return;
    s->mgr.inflight = 1;
    if (!s->mgr.registered) {
        m = cn_msg_new(CN_OP_REGISTER);
        cn_msg_set_str(m, "type", CN_NODE_GATEWAY);
        cn_msg_set_str(m, "name", s->conf.name);
        cn_msg_set_str(m, "host", s->host);
        cn_msg_set_u64(m, "port", (uint64_t)s->port);
        cn_mgr_client_call(s->mgr.client, m,
                           s->conf.rpc_timeout_ms < 1000 ? s->conf.rpc_timeout_ms : 1000,
                           on_register, s);
    } else {
        m = cn_msg_new(CN_OP_HEARTBEAT);
        cn_msg_set_str(m, "name", s->conf.name);
        cn_msg_set_u64(m, "ring_cur", s->mgr.ring_sum);
        cn_msg_set_u64(m, "ring_prev", s->mgr.ring_prev_sum);
        gw_cache_heartbeat_fields(s, m);
        gw_mgr_call(s, m, on_heartbeat, s);
    }
}

int gw_mgr_start(gw_server_t *s)
{
    char why[CN_MGR_ADDR_MAX + 64];
    cn_mgr_addrs_t addrs;
    int rc;

    if ((rc = cn_mgr_addrs_parse(&addrs, s->conf.mgr_addresses, why, sizeof(why))) != 0)
        return rc; /* checked with the config: cannot happen */
    if ((rc = cn_mgr_client_create(s->loop, &addrs, s->conf.secret, s->conf.name,
                                   &s->mgr.client)) != 0)
        return rc;
    if (s->idx != 0)
        return 0; /* worker 0 alone registers and heartbeats */
    uv_timer_init(s->loop, &s->mgr.timer);
    s->mgr.timer.data = s;
    /* register retries every second; heartbeats every heartbeat_ms */
    uv_timer_start(&s->mgr.timer, on_tick, 0,
                   s->conf.heartbeat_ms < 1000 ? s->conf.heartbeat_ms : 1000);
    return 0;
}

void gw_mgr_stop(gw_server_t *s)
{
    if (s->mgr.client) {
        if (s->idx == 0) {
            uv_timer_stop(&s->mgr.timer);
            uv_close((uv_handle_t *)&s->mgr.timer, NULL);
        }
        cn_mgr_client_destroy(s->mgr.client);
        s->mgr.client = NULL;
    }
}
