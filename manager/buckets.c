/*
 * manager/buckets.c: bucket records and S3 bucket-name rules. Changes are command entries:
 * the proposers here check what they can, resolve an owner given by access key to its
 * canonical id and choose the creation time; mgr__buckets_apply checks the entry against the
 * state again (it may have changed since) and fills fsm.c's batch.
 */
#include "manager/buckets.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/cmd.h"
#include "manager/fsm.h"
#include "manager/ring_sync.h"
#include "manager/users.h"

static const char *const canned_acls[] = {
    "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
    "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
};

static int is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int mgr_bucket_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    struct in_addr a;

    if (n < 3 || n > MGR_BUCKET_NAME_MAX)
        return 0;
    if (!is_lower_alnum(name[0]) || !is_lower_alnum(name[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!is_lower_alnum(c) && c != '.' && c != '-')
            return 0;
        if (c == '.' && name[i + 1] == '.')
            return 0;
    }
    if (inet_pton(AF_INET, name, &a) == 1)
        return 0;
    return 1;
}

int mgr_bucket_acl_settable(const char *acl)
{
    return mgr_bucket_acl_valid(acl);
}

int mgr_bucket_acl_valid(const char *acl)
{
    for (size_t i = 0; acl && i < sizeof(canned_acls) / sizeof(canned_acls[0]); i++)
        if (strcmp(acl, canned_acls[i]) == 0)
            return 1;
    return 0;
}

static int bucket_from_json(const json_t *j, mgr_bucket_t *out)
{
    const char *s;

    if (!json_is_object(j))
        return CN_ECORRUPT;
    memset(out, 0, sizeof(*out));
    s = json_string_value(json_object_get(j, "name"));
    snprintf(out->name, sizeof(out->name), "%s", s ? s : "");
    s = json_string_value(json_object_get(j, "owner"));
    snprintf(out->owner, sizeof(out->owner), "%s", s ? s : "");
    s = json_string_value(json_object_get(j, "acl"));
    snprintf(out->acl, sizeof(out->acl), "%s", s ? s : "private");
    s = json_string_value(json_object_get(j, "grants"));
    if (s != NULL && (strlen(s) >= sizeof(out->grants) || cn_acl_text_valid(s) != 0))
        return CN_ECORRUPT;
    snprintf(out->grants, sizeof(out->grants), "%s", s ? s : "");
    out->created_ms = (uint64_t)json_integer_value(json_object_get(j, "created_ms"));
    out->quota_bytes = (uint64_t)json_integer_value(json_object_get(j, "quota"));
    return out->name[0] ? 0 : CN_ECORRUPT;
}

int mgr_buckets_get(mgr_state_t *st, const char *name, mgr_bucket_t *out)
{
    char key[8 + MGR_BUCKET_NAME_MAX];
    json_t *j;
    int rc;

    if (!mgr_bucket_name_valid(name))
        return CN_ENOENT;
    snprintf(key, sizeof(key), "b/%s", name);
    if ((rc = mgr_state_get_json(st, key, &j)) != 0)
        return rc;
    rc = bucket_from_json(j, out);
    json_decref(j);
    return rc;
}

int mgr_buckets_create_cmd(mgr_state_t *st, const char *name, const char *owner,
                           const char *acl, mgr_bucket_t *existing, mgr_cmd_t *cmd)
{
    mgr_bucket_t cur;
    mgr_user_t u;
    int rc;

    if (acl == NULL || *acl == '\0')
        acl = "private";
    if (!mgr_bucket_name_valid(name) || !mgr_bucket_acl_valid(acl))
        return CN_EINVAL;
    if ((rc = mgr_buckets_get(st, name, &cur)) != CN_ENOENT) {
        if (rc == 0 && existing != NULL)
            *existing = cur;
        return rc == 0 ? CN_EEXIST : rc;
    }
    if ((rc = mgr_users_by_id_or_key(st, owner, &u)) != 0)
        return rc;
    mgr_cmd_init(cmd, MGR_CMD_BUCKET_CREATE);
    snprintf(cmd->bucket.name, sizeof(cmd->bucket.name), "%s", name);
    snprintf(cmd->bucket.owner, sizeof(cmd->bucket.owner), "%s", u.id);
    snprintf(cmd->bucket.acl, sizeof(cmd->bucket.acl), "%s", acl);
    cmd->bucket.created_ms = cn_now_ms();
    return 0;
}

/* Proposes cmd, waits, disposes it. */
static int propose(mgr_fsm_t *f, mgr_cmd_t *cmd)
{
    int rc = mgr_fsm_propose_wait(f, cmd, NULL);

    mgr_cmd_dispose(cmd);
    return rc;
}

int mgr_buckets_create(mgr_fsm_t *f, const char *name, const char *owner, const char *acl,
                       mgr_bucket_t *existing)
{
    mgr_cmd_t cmd;
    int rc;

    if ((rc = mgr_buckets_create_cmd(mgr_fsm_state(f), name, owner, acl, existing, &cmd)) != 0)
        return rc;
    if ((rc = propose(f, &cmd)) == CN_EEXIST && existing != NULL) /* created meanwhile */
        mgr_buckets_get(mgr_fsm_state(f), name, existing);
    return rc;
}

void mgr_buckets_change_cmd(int kind, const mgr_bucket_t *bk,
                            const char *if_owner, mgr_cmd_t *cmd)
{
    mgr_cmd_init(cmd, (enum mgr_cmd_kind)kind);
    cmd->bucket = *bk;
    snprintf(cmd->if_owner, sizeof(cmd->if_owner), "%s", if_owner ? if_owner : "");
}

int mgr_buckets_change(mgr_fsm_t *f, int kind, const mgr_bucket_t *bk)
{
    mgr_bucket_t cur;
    mgr_cmd_t cmd;
    int rc;

    if ((rc = mgr_buckets_get(mgr_fsm_state(f), bk->name, &cur)) != 0)
        return rc;
    mgr_buckets_change_cmd(kind, bk, NULL, &cmd);
    return propose(f, &cmd);
}

int mgr_buckets_delete(mgr_fsm_t *f, const char *name)
{
    mgr_bucket_t bk;

    if (!mgr_bucket_name_valid(name))
        return CN_ENOENT; /* also: it would not fit bk.name */
    memset(&bk, 0, sizeof(bk));
    snprintf(bk.name, sizeof(bk.name), "%s", name);
    return mgr_buckets_change(f, MGR_CMD_BUCKET_DELETE, &bk);
}

json_t *mgr_bucket_json(mgr_state_t *st, const mgr_bucket_t *bk, int admin)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I}", "name", bk->name, "owner", bk->owner,
                          "acl", bk->acl, "created_ms", (json_int_t)bk->created_ms, "quota",
                          (json_int_t)bk->quota_bytes);
    char when[32];
    mgr_user_t u;

    if (bk->grants[0])
        json_object_set_new(j, "grants", json_string(bk->grants));
    if (admin) {
        int known = mgr_users_by_id_or_key(st, bk->owner, &u) == 0;
        char policy[CN_REDUND_TEXT_MAX];
        cn_redund_t r;
        int on;

        cn_fmt_iso8601_ms(bk->created_ms, when, sizeof(when));
        json_object_set_new(j, "bucket", json_string(bk->name));
        json_object_set_new(j, "created", json_string(when));
        json_object_set_new(j, "owner", json_string(known ? u.access_key : bk->owner));
        json_object_set_new(j, "owner_id", json_string(known ? u.id : bk->owner));
        json_object_set_new(j, "owner_user", known ? json_string(u.name) : json_null());
        if (mgr_buckets_redundancy(st, bk->name, &r) == 0)
            cn_redund_format(&r, policy);
        else
            snprintf(policy, sizeof(policy), "unreadable");
        json_object_set_new(j, "redundancy", json_string(policy));
        if (mgr_buckets_replication(st, bk->name, &on) != 0)
            json_object_set_new(j, "replication", json_string("unreadable"));
        else
            json_object_set_new(j, "replication", json_string(on ? "on" : "off"));
    }
    return j;
}

void mgr__buckets_put(mgr_state_t *st, mgr_batch_t *b, const mgr_bucket_t *bk)
{
    char key[8 + MGR_BUCKET_NAME_MAX];
    json_t *j = mgr_bucket_json(st, bk, 0);

    snprintf(key, sizeof(key), "b/%s", bk->name);
    mgr_batch_put_json(b, key, j);
    json_decref(j);
}

/* The changes of an existing bucket: what cmd sets, on the record cur. */
static int apply_change(mgr_state_t *st, const mgr_cmd_t *c, mgr_bucket_t *cur)
{
    mgr_user_t u;

    switch (c->kind) {
    case MGR_CMD_BUCKET_SET_ACL:
        if (!mgr_bucket_acl_settable(c->bucket.acl))
            return CN_EINVAL;
        if (cn_acl_text_valid(c->bucket.grants) != 0)
            return CN_EINVAL;
        if (c->if_owner[0] && strcmp(c->if_owner, cur->owner) != 0)
            return CN_EPERM;
        snprintf(cur->acl, sizeof(cur->acl), "%s", c->bucket.acl);
        snprintf(cur->grants, sizeof(cur->grants), "%s", c->bucket.grants);
        return 0;
    case MGR_CMD_BUCKET_SET_OWNER:
        if (mgr_users_by_id(st, c->bucket.owner, &u) != 0)
            return CN_EINVAL;
        snprintf(cur->owner, sizeof(cur->owner), "%s", u.id);
        return 0;
    case MGR_CMD_BUCKET_SET_QUOTA:
        cur->quota_bytes = c->bucket.quota_bytes;
        return 0;
    default:
        return CN_EINVAL;
    }
}

static void policy_key(const char *bucket, char out[8 + MGR_BUCKET_NAME_MAX])
{
    snprintf(out, 8 + MGR_BUCKET_NAME_MAX, "p/%s", bucket);
}

/* bucket_set_policy on the record cur: p/<bucket> holds the document as given (the gateway
 * validated it; the manager keeps the text), none deletes it. */
static int apply_policy(const mgr_cmd_t *c, const mgr_bucket_t *cur, mgr_batch_t *b)
{
    char key[8 + MGR_BUCKET_NAME_MAX];

    if (c->if_owner[0] && strcmp(c->if_owner, cur->owner) != 0)
        return CN_EPERM;
    policy_key(cur->name, key);
    if (c->text_len == 0)
        mgr_batch_del(b, key);
    else
        mgr_batch_put(b, key, c->text, c->text_len);
    return 0;
}

/* ---- named configurations: x/<bucket>/<name> ----------------------------------------- */

static const char *const config_names[] = {"public_access_block", "ownership_controls",
                                           "versioning", "tagging", "cors",
                                           "lifecycle", "object_lock", "logging",
                                           "encryption", "redundancy", "replication"};

/* The configurations only an operator sets (the admin API): an entry with an if_owner (a
 * gateway's RPC for a bucket owner) is refused. */
static int operator_only(const char *name)
{
    return strcmp(name, "redundancy") == 0 || strcmp(name, "replication") == 0;
}

/* "versioning" is {"Status": "Enabled"|"Suspended"} and is never deleted: a bucket that had
 * versioning never returns to unversioned (S3), its versions stay addressable */
static int versioning_valid(const json_t *j)
{
    const char *st = json_string_value(json_object_get(j, "Status"));

    return st != NULL && (strcmp(st, "Enabled") == 0 || strcmp(st, "Suspended") == 0);
}

int mgr_bucket_config_known(const char *name)
{
    for (size_t i = 0; i < sizeof(config_names) / sizeof(config_names[0]); i++)
        if (strcmp(name, config_names[i]) == 0)
            return 1;
    return 0;
}

static void config_key(const char *bucket, const char *name, char *out, size_t len)
{
    snprintf(out, len, "x/%s/%s", bucket, name ? name : "");
}

/* "object_lock" is {"ObjectLockEnabled": "Enabled"[, "Rule": ...]} (the gateway's
 * s3_objlock.c checks the rule) and is never deleted either: locked versions stay locked
 * (issue 18). A bucket with it keeps versioning Enabled. */
static int object_lock_valid(const json_t *j)
{
    const char *st = json_string_value(json_object_get(j, "ObjectLockEnabled"));

    return st != NULL && strcmp(st, "Enabled") == 0;
}

int mgr_buckets_has_object_lock(mgr_state_t *st, const char *bucket)
{
    char key[16 + MGR_BUCKET_NAME_MAX + 16];
    char *v = NULL;
    size_t len;
    int rc;

    config_key(bucket, "object_lock", key, sizeof(key));
    rc = mgr_state_get(st, key, &v, &len);
    cn_free(v);
    return rc != CN_ENOENT;
}

/* "redundancy" is {"policy": "ec:K+M"} (buckets.h; replicate is no configuration): reads
 * back as an erasure-coded policy, or not at all. */
static int redundancy_decode(const json_t *j, cn_redund_t *out)
{
    cn_redund_t r;

    if (!json_is_object(j) || json_object_size(j) != 1 ||
        cn_redund_parse(json_string_value(json_object_get(j, "policy")), &r, NULL, 0) != 0 ||
        r.kind != CN_REDUND_EC)
        return CN_ECORRUPT;
    *out = r;
    return 0;
}

/* "replication" is {"replication": "off"} (buckets.h; on is no configuration): reads back
 * as off, or not at all. */
static int replication_decode(const json_t *j, int *on)
{
    const char *v = json_string_value(json_object_get(j, "replication"));

    if (!json_is_object(j) || json_object_size(j) != 1 || v == NULL || strcmp(v, "off") != 0)
        return CN_ECORRUPT;
    *on = 0;
    return 0;
}

int mgr_buckets_redundancy_fits(mgr_state_t *st, const cn_redund_t *r, char *why,
                                size_t whylen)
{
    char text[CN_REDUND_TEXT_MAX];
    cn_ring_t *cur = NULL, *prev = NULL;
    size_t nodes;
    int rc;

    if (cn_redund_nodes(r) == 0)
        return 0;
    cn_redund_format(r, text);
    if ((rc = mgr_rings_load(st, &cur, &prev)) != 0) {
        snprintf(why, whylen, "the rings do not read (%s)", cn_strerror(rc));
        return rc;
    }
    nodes = cur != NULL ? cn_ring_node_count(cur) : 0;
    cn_ring_destroy(cur);
    cn_ring_destroy(prev);
    if (nodes == 0) {
        snprintf(why, whylen, "%s needs a ring of at least %u storage nodes and there is no "
                 "ring yet (cairn-adm start)", text, cn_redund_nodes(r));
        return CN_EINVAL;
    }
    if (nodes < cn_redund_nodes(r)) {
        snprintf(why, whylen, "%s needs %u storage nodes (K+M: each fragment of a chunk on a "
                 "node of its own) but the current ring has %zu; attach nodes and rebalance, "
                 "or choose a smaller K+M", text, cn_redund_nodes(r), nodes);
        return CN_EINVAL;
    }
    return 0;
}

static int apply_config(mgr_state_t *st, const mgr_cmd_t *c, const mgr_bucket_t *cur,
                        mgr_batch_t *b)
{
    char key[16 + MGR_BUCKET_NAME_MAX + sizeof(c->config)];
    int versioning = strcmp(c->config, "versioning") == 0;
    int lock = strcmp(c->config, "object_lock") == 0;
    int redund = strcmp(c->config, "redundancy") == 0;
    int repl = strcmp(c->config, "replication") == 0;
    const char *status;
    cn_redund_t r;
    char why[256];
    json_t *j;
    int on;

    if (!mgr_bucket_config_known(c->config))
        return CN_EINVAL;
    if (operator_only(c->config) && c->if_owner[0])
        return CN_EPERM; /* an operator's setting, never a bucket owner's */
    if (c->if_owner[0] && strcmp(c->if_owner, cur->owner) != 0)
        return CN_EPERM;
    config_key(cur->name, c->config, key, sizeof(key));
    if (c->text_len == 0) {
        if (versioning || lock)
            return CN_EINVAL;
        mgr_batch_del(b, key);
        return 0;
    }
    j = json_loadb(c->text, c->text_len, 0, NULL);
    /* a configuration is a JSON object (backups keep it so) */
    if (!json_is_object(j) || (versioning && !versioning_valid(j)) ||
        (lock && !object_lock_valid(j)) ||
        (redund && (redundancy_decode(j, &r) != 0 ||
                    mgr_buckets_redundancy_fits(st, &r, why, sizeof(why)) != 0)) ||
        (repl && replication_decode(j, &on) != 0)) {
        json_decref(j);
        return CN_EINVAL;
    }
    status = versioning ? json_string_value(json_object_get(j, "Status")) : NULL;
    if (status != NULL && strcmp(status, "Enabled") != 0 &&
        mgr_buckets_has_object_lock(st, cur->name)) {
        json_decref(j);
        return CN_ECONFLICT; /* S3's InvalidBucketState */
    }
    json_decref(j);
    mgr_batch_put(b, key, c->text, c->text_len);
    return 0;
}

struct del_ctx {
    mgr_batch_t *b;
};

static int del_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    char *k = cn_strndup(key, klen);

    (void)val;
    (void)vlen;
    mgr_batch_del(((struct del_ctx *)arg)->b, k);
    cn_free(k);
    return 0;
}

int mgr__buckets_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char key[8 + MGR_BUCKET_NAME_MAX];
    mgr_bucket_t cur;
    mgr_user_t u;
    int rc = mgr_buckets_get(st, c->bucket.name, &cur);

    if (c->kind == MGR_CMD_BUCKET_CREATE) {
        if (!mgr_bucket_name_valid(c->bucket.name) || !mgr_bucket_acl_valid(c->bucket.acl) ||
            cn_acl_text_valid(c->bucket.grants) != 0)
            return CN_EINVAL;
        if (rc != CN_ENOENT)
            return rc == 0 ? CN_EEXIST : rc;
        if ((rc = mgr_users_by_id(st, c->bucket.owner, &u)) != 0)
            return rc;
        cur = c->bucket;
        cur.quota_bytes = 0;
        mgr__buckets_put(st, b, &cur);
    } else if (rc != 0) {
        return rc;
    } else if (c->kind == MGR_CMD_BUCKET_DELETE) {
        snprintf(key, sizeof(key), "b/%s", cur.name);
        mgr_batch_del(b, key);
        policy_key(cur.name, key);
        mgr_batch_del(b, key); /* a bucket made again later starts without them */
        {
            char prefix[8 + MGR_BUCKET_NAME_MAX];
            struct del_ctx dc = {b};

            config_key(cur.name, NULL, prefix, sizeof(prefix));
            if ((rc = mgr_state_scan(st, prefix, del_one, &dc)) != 0)
                return rc;
        }
    } else if (c->kind == MGR_CMD_BUCKET_SET_POLICY) {
        if ((rc = apply_policy(c, &cur, b)) != 0)
            return rc;
    } else if (c->kind == MGR_CMD_BUCKET_SET_CONFIG) {
        if ((rc = apply_config(st, c, &cur, b)) != 0)
            return rc;
    } else if ((rc = apply_change(st, c, &cur)) != 0) {
        return rc;
    } else {
        mgr__buckets_put(st, b, &cur);
    }
    mgr_batch_bump(b, st, MGR_VER_BUCKETS);
    return 0;
}

struct each_ctx {
    int (*fn)(mgr_bucket_t *b, void *arg);
    void *arg;
};

static int visit(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct each_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    mgr_bucket_t bk;

    if (j == NULL || bucket_from_json(j, &bk) != 0) {
        CN_LOG(CN_LOG_WARN, "key=%.*s: unreadable bucket record skipped", (int)klen, key);
        json_decref(j);
        return 0;
    }
    json_decref(j);
    return c->fn(&bk, c->arg);
}

int mgr_buckets_each(mgr_state_t *st, int (*fn)(mgr_bucket_t *b, void *arg), void *arg)
{
    struct each_ctx c = {fn, arg};

    return mgr_state_scan(st, "b/", visit, &c);
}

struct count_ctx {
    const char *owner;
    size_t count;
};

static int count_one(mgr_bucket_t *b, void *arg)
{
    struct count_ctx *c = arg;

    c->count += strcmp(b->owner, c->owner) == 0;
    return 0;
}

size_t mgr_buckets_count_owned(mgr_state_t *st, const char *user_id)
{
    struct count_ctx c = {.owner = user_id};

    mgr_buckets_each(st, count_one, &c);
    return c.count;
}

struct json_ctx {
    mgr_state_t *st;
    json_t *arr;
    int admin;
};

static int json_one(mgr_bucket_t *b, void *arg)
{
    struct json_ctx *c = arg;

    json_array_append_new(c->arr, mgr_bucket_json(c->st, b, c->admin));
    return 0;
}

json_t *mgr_buckets_json(mgr_state_t *st, int admin)
{
    struct json_ctx c = {st, json_array(), admin};

    mgr_buckets_each(st, json_one, &c);
    return c.arr;
}

int mgr_bucket_policy_get(mgr_state_t *st, const char *bucket, char **doc, size_t *len)
{
    char key[8 + MGR_BUCKET_NAME_MAX];

    if (!mgr_bucket_name_valid(bucket))
        return CN_ENOENT;
    policy_key(bucket, key);
    return mgr_state_get(st, key, doc, len);
}

struct conf_ctx {
    json_t *obj;
    size_t skip;                   /* the prefix "x/<bucket>/" */
};

static int conf_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct conf_ctx *c = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL);
    char *name;

    if (json_is_object(j) && klen > c->skip) {
        name = cn_strndup(key + c->skip, klen - c->skip);
        json_object_set_new(c->obj, name, j);
        cn_free(name);
    } else {
        json_decref(j);
    }
    return 0;
}

void mgr_buckets_add_policies(mgr_state_t *st, json_t *arr)
{
    json_t *bk;
    size_t i;

    json_array_foreach(arr, i, bk) {
        const char *name = json_string_value(json_object_get(bk, "name"));
        char *doc, prefix[8 + MGR_BUCKET_NAME_MAX];
        size_t len;
        struct conf_ctx cc;

        if (name == NULL)
            continue;
        if (mgr_bucket_policy_get(st, name, &doc, &len) == 0) {
            json_object_set_new(bk, "policy", json_stringn(doc, len));
            cn_free(doc);
        }
        config_key(name, NULL, prefix, sizeof(prefix));
        cc = (struct conf_ctx){json_object(), strlen(prefix)};
        mgr_state_scan(st, prefix, conf_one, &cc);
        if (json_object_size(cc.obj) > 0)
            json_object_set_new(bk, "config", cc.obj);
        else
            json_decref(cc.obj);
    }
}

int mgr_buckets_set_config_cmd(mgr_state_t *st, const char *bucket, const char *config,
                               const char *value, size_t len, const char *if_owner,
                               mgr_cmd_t *cmd)
{
    mgr_bucket_t b;
    int rc;

    if (!mgr_bucket_config_known(config) || len > MGR_CMD_MAX_TEXT ||
        (value != NULL && memchr(value, '\0', len) != NULL))
        return CN_EINVAL;
    if (if_owner != NULL && operator_only(config))
        return CN_EPERM;
    if ((rc = mgr_buckets_get(st, bucket, &b)) != 0)
        return rc;
    if (if_owner != NULL && strcmp(if_owner, b.owner) != 0)
        return CN_EPERM;
    mgr_cmd_init(cmd, MGR_CMD_BUCKET_SET_CONFIG);
    snprintf(cmd->bucket.name, sizeof(cmd->bucket.name), "%s", b.name);
    snprintf(cmd->config, sizeof(cmd->config), "%s", config);
    if (if_owner != NULL)
        snprintf(cmd->if_owner, sizeof(cmd->if_owner), "%s", if_owner);
    mgr_cmd_set_text(cmd, value, value != NULL ? len : 0);
    return 0;
}

int mgr_buckets_set_policy_cmd(mgr_state_t *st, const char *bucket, const char *doc,
                               size_t len, const char *if_owner, mgr_cmd_t *cmd)
{
    mgr_bucket_t b;
    int rc;

    if (len > MGR_CMD_MAX_TEXT || (doc != NULL && memchr(doc, '\0', len) != NULL))
        return CN_EINVAL;
    if ((rc = mgr_buckets_get(st, bucket, &b)) != 0)
        return rc;
    if (if_owner != NULL && strcmp(if_owner, b.owner) != 0)
        return CN_EPERM;
    mgr_cmd_init(cmd, MGR_CMD_BUCKET_SET_POLICY);
    snprintf(cmd->bucket.name, sizeof(cmd->bucket.name), "%s", b.name);
    if (if_owner != NULL)
        snprintf(cmd->if_owner, sizeof(cmd->if_owner), "%s", if_owner);
    mgr_cmd_set_text(cmd, doc, doc != NULL ? len : 0);
    return 0;
}

/* ---- the redundancy policy (issue 21) ---------------------------------------------------- */

/* bucket's configuration name: 0 with *j (json_decref), or with *j NULL when it has none;
 * CN_ENOENT (no such bucket), CN_ECORRUPT, CN_EIO. */
static int config_get(mgr_state_t *st, const char *bucket, const char *name, json_t **j)
{
    char key[16 + MGR_BUCKET_NAME_MAX + 16];
    mgr_bucket_t bk;
    int rc;

    *j = NULL;
    if ((rc = mgr_buckets_get(st, bucket, &bk)) != 0)
        return rc;
    config_key(bk.name, name, key, sizeof(key));
    rc = mgr_state_get_json(st, key, j);
    return rc == CN_ENOENT ? 0 : rc;
}

int mgr_buckets_redundancy(mgr_state_t *st, const char *bucket, cn_redund_t *out)
{
    json_t *j;
    int rc;

    if ((rc = config_get(st, bucket, "redundancy", &j)) != 0)
        return rc;
    if (j == NULL) {
        *out = (cn_redund_t){CN_REDUND_REPLICATE, 0, 0};
        return 0;
    }
    rc = redundancy_decode(j, out);
    json_decref(j);
    return rc;
}

int mgr_buckets_set_redundancy_cmd(mgr_state_t *st, const char *bucket, const cn_redund_t *r,
                                   char *why, size_t whylen, mgr_cmd_t *cmd)
{
    char text[CN_REDUND_TEXT_MAX], doc[64];
    mgr_bucket_t b;
    int rc;

    if ((rc = mgr_buckets_get(st, bucket, &b)) != 0)
        return rc;
    if ((rc = mgr_buckets_redundancy_fits(st, r, why, whylen)) != 0)
        return rc;
    if (r->kind == CN_REDUND_REPLICATE)
        return mgr_buckets_set_config_cmd(st, bucket, "redundancy", NULL, 0, NULL, cmd);
    cn_redund_format(r, text);
    snprintf(doc, sizeof(doc), "{\"policy\":\"%s\"}", text);
    return mgr_buckets_set_config_cmd(st, bucket, "redundancy", doc, strlen(doc), NULL, cmd);
}

int mgr_buckets_set_redundancy(mgr_fsm_t *f, const char *bucket, const cn_redund_t *r,
                               char *why, size_t whylen)
{
    mgr_cmd_t cmd;
    int rc;

    if ((rc = mgr_buckets_set_redundancy_cmd(mgr_fsm_state(f), bucket, r, why, whylen, &cmd)) !=
        0)
        return rc;
    if ((rc = propose(f, &cmd)) == CN_EINVAL)
        snprintf(why, whylen, "the ring changed meanwhile and the policy no longer fits it; "
                 "see cairn-adm status");
    return rc;
}

/* ---- the multi-datacenter replication switch (issue 22) ---------------------------------- */

int mgr_buckets_replication(mgr_state_t *st, const char *bucket, int *on)
{
    json_t *j;
    int rc;

    if ((rc = config_get(st, bucket, "replication", &j)) != 0)
        return rc;
    if (j == NULL) {
        *on = 1;
        return 0;
    }
    rc = replication_decode(j, on);
    json_decref(j);
    return rc;
}

int mgr_buckets_set_replication_cmd(mgr_state_t *st, const char *bucket, int on, mgr_cmd_t *cmd)
{
    static const char off[] = "{\"replication\":\"off\"}";

    if (on)
        return mgr_buckets_set_config_cmd(st, bucket, "replication", NULL, 0, NULL, cmd);
    return mgr_buckets_set_config_cmd(st, bucket, "replication", off, strlen(off), NULL, cmd);
}

int mgr_buckets_set_replication(mgr_fsm_t *f, const char *bucket, int on)
{
    mgr_cmd_t cmd;
    int rc;

    if ((rc = mgr_buckets_set_replication_cmd(mgr_fsm_state(f), bucket, on, &cmd)) != 0)
        return rc;
    return propose(f, &cmd);
}
