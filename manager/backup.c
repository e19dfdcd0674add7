/*
 * manager/backup.c: JSON export and atomic restore of the manager's state (see backup.h).
 * A restore is one command entry carrying every record of the backup, checked here before it
 * is proposed and again when it is applied (mgr__backup_apply), which replaces the state in
 * the entry's batch. A snapshot (fsm.h) is installed by the same replacement.
 */
#include "manager/backup.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/ring.h"
#include "manager/buckets.h"
#include "manager/clusters.h"
#include "manager/cmd.h"
#include "manager/endpoints.h"
#include "manager/fsm.h"
#include "manager/migrate.h"

#define MGR_BACKUP_MAX_VALUE (16u << 20)

static const char *const ver_keys[] = {MGR_VER_USERS, MGR_VER_BUCKETS, MGR_VER_ENDPOINTS};

static int export_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    json_t *recs = arg, *j = NULL, *rec;
    char *hex;

    if (klen == strlen(MGR_VER_APPLIED) && memcmp(key, MGR_VER_APPLIED, klen) == 0)
        return 0; /* a position in this manager's log, not state: a restore is a new entry */
    rec = json_object();
    json_object_set_new(rec, "key", json_stringn(key, klen));
    if (vlen > 0 && val[0] == '{')
        j = json_loadb(val, vlen, 0, NULL);
    if (json_is_object(j)) {
        json_object_set_new(rec, "json", j);
    } else {
        json_decref(j);
        hex = cn_malloc(2 * vlen + 1);
        cn_hex(val, vlen, hex);
        json_object_set_new(rec, "hex", json_string(hex));
        cn_free(hex);
    }
    json_array_append_new(recs, rec);
    return 0;
}

json_t *mgr_backup_export(mgr_state_t *st, int *rc)
{
    json_t *recs = json_array();
    char when[32];

    if ((*rc = mgr_state_scan(st, "", export_one, recs)) != 0) {
        json_decref(recs);
        return NULL;
    }
    cn_fmt_iso8601_ms(cn_now_ms(), when, sizeof(when));
    return json_pack("{s:s, s:i, s:s, s:o}", "format", MGR_BACKUP_FORMAT, "version",
                     MGR_BACKUP_VERSION, "created", when, "records", recs);
}

/* The value of one record: JSON text or the decoded hex. Owned by the caller (cn_free). */
static int record_value(const json_t *rec, char **val, size_t *len)
{
    const json_t *j = json_object_get(rec, "json");
    const char *hex = json_string_value(json_object_get(rec, "hex"));

    if (json_is_object(j) && hex == NULL) {
        *val = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        if (*val == NULL)
            return CN_EINVAL;
        *len = strlen(*val);
        char *copy = cn_strndup(*val, *len);
        free(*val);
        *val = copy;
        return 0;
    }
    if (j == NULL && hex != NULL && strlen(hex) % 2 == 0 &&
        strlen(hex) / 2 <= MGR_BACKUP_MAX_VALUE) {
        *len = strlen(hex) / 2;
        *val = cn_malloc(*len + 1);
        if (cn_unhex(hex, *len, (uint8_t *)*val) != 0) {
            cn_free(*val);
            return CN_EINVAL;
        }
        return 0;
    }
    return CN_EINVAL;
}

/* Checks what a record under key must look like. NULL when fine, else the reason. */
static const char *check_record(const char *key, const char *val, size_t len, int is_json)
{
    static const char *const json_prefixes[] = {"m/", "u/", "b/", "e/", "g/", "p/", "x/",
                                                 "s/", "l/", "t/", "o/"};
    cn_ring_t *r;

    for (size_t i = 0; i < sizeof(json_prefixes) / sizeof(json_prefixes[0]); i++)
        if (strncmp(key, json_prefixes[i], 2) == 0)
            return is_json && key[2] != '\0' ? NULL : "must be a JSON record with a name";
    if (strcmp(key, "c/levels") == 0 || strcmp(key, MGR_CLUSTER_ID_KEY) == 0)
        return is_json ? NULL : "must be a JSON record";
    if (strncmp(key, "k/", 2) == 0 || strncmp(key, "i/", 2) == 0)
        return !is_json && key[2] != '\0' && len > 0 ? NULL : "must be a hex user name";
    if (strcmp(key, MGR_VER_FORMAT) == 0) {
        if (is_json || len != 8)
            return "must be an 8-byte counter";
        return cn_get_u64be(val) <= MGR_STATE_FORMAT ? NULL
                                                     : "is a format of a newer release";
    }
    if (strcmp(key, "r/cur") == 0 || strcmp(key, "r/prev") == 0) {
        if (is_json || cn_ring_decode(val, len, &r) != 0)
            return "is not a ring";
        cn_ring_destroy(r);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(ver_keys) / sizeof(ver_keys[0]); i++)
        if (strcmp(key, ver_keys[i]) == 0)
            return !is_json && len == 8 ? NULL : "must be an 8-byte counter";
    return "is not a key the manager keeps";
}

/* 1 when a stored value is a JSON object (as export_one decides between "json" and "hex"). */
static int is_json_object(const void *val, size_t len)
{
    json_t *j = len > 0 && ((const char *)val)[0] == '{' ? json_loadb(val, len, 0, NULL) : NULL;
    int yes = json_is_object(j);

    json_decref(j);
    return yes;
}

/* 1 for a g/<id> record: where a manager of this group answers (group.h). A restore
 * replaces the cluster's state, not the group that runs it: it keeps the group's records
 * and takes none from the backup. */
static int is_group_key(const char *key, size_t klen)
{
    return klen >= 2 && memcmp(key, "g/", 2) == 0;
}

/* What the replacement of the state deletes: every key, but a restore's kept ones. */
struct collect {
    mgr_batch_t *b;
    int keep_group;                /* a restore: the group's g/ records */
    int keep_id;                   /* a restore of a backup without a cluster id: this one's */
};

static int collect_key(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct collect *c = arg;
    char *k;

    if ((c->keep_group && is_group_key(key, klen)) ||
        (c->keep_id && klen == strlen(MGR_CLUSTER_ID_KEY) &&
         memcmp(key, MGR_CLUSTER_ID_KEY, klen) == 0))
        return 0;
    k = cn_strndup(key, klen);
    mgr_batch_del(c->b, k);
    cn_free(k);
    return 0;
}

int mgr_backup_restore(mgr_fsm_t *f, const json_t *doc, size_t *nrec, char *why,
                       size_t whylen)
{
    const json_t *recs = json_object_get(doc, "records"), *rec;
    mgr_cmd_t cmd;
    size_t i;
    int rc;

    if (!json_is_object(doc) ||
        strcmp(json_string_value(json_object_get(doc, "format")) ?: "", MGR_BACKUP_FORMAT) != 0) {
        snprintf(why, whylen, "not a cairn-manager backup (no \"format\": \"%s\")",
                 MGR_BACKUP_FORMAT);
        return CN_EINVAL;
    }
    if (json_integer_value(json_object_get(doc, "version")) != MGR_BACKUP_VERSION ||
        !json_is_array(recs)) {
        snprintf(why, whylen, "backup version %lld is not %d, or it has no \"records\" array",
                 (long long)json_integer_value(json_object_get(doc, "version")),
                 MGR_BACKUP_VERSION);
        return CN_EINVAL;
    }
    mgr_cmd_init(&cmd, MGR_CMD_RESTORE);
    json_array_foreach(recs, i, rec) {
        const char *key = json_string_value(json_object_get(rec, "key")), *bad;
        char *val = NULL;
        size_t len = 0;

        if (key == NULL || strlen(key) > MGR_CMD_MAX_KEY || record_value(rec, &val, &len) != 0) {
            snprintf(why, whylen, "record %zu: needs \"key\" and one of \"json\" (object) or "
                     "\"hex\"", i);
            mgr_cmd_dispose(&cmd);
            return CN_EINVAL;
        }
        if ((bad = check_record(key, val, len, json_object_get(rec, "json") != NULL)) != NULL) {
            snprintf(why, whylen, "record %zu (%.80s) %s", i, key, bad);
            cn_free(val);
            mgr_cmd_dispose(&cmd);
            return CN_EINVAL;
        }
        mgr_cmd_add_rec(&cmd, key, val, len);
        cn_free(val);
    }
    rc = mgr_fsm_propose_wait(f, &cmd, NULL);
    mgr_cmd_dispose(&cmd);
    if (rc != 0) {
        snprintf(why, whylen, "could not restore the state (%s); see the manager log",
                 cn_strerror(rc));
        return rc;
    }
    *nrec = json_array_size(recs);
    return 0;
}

int mgr__backup_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b, int bump)
{
    struct collect coll;
    uint64_t vers[3] = {0, 0, 0};
    int rc;

    for (size_t i = 0; i < c->nrecs; i++) {
        const mgr_cmd_rec_t *r = &c->recs[i];
        const char *bad = check_record(r->key, r->val, r->vlen, is_json_object(r->val, r->vlen));

        if (bad != NULL) {
            CN_LOG(CN_LOG_ERROR, "record=%zu key=%.80s: %s; the restore is refused", i, r->key,
                   bad);
            return CN_EINVAL;
        }
    }
    for (size_t k = 0; k < 3; k++)
        vers[k] = mgr_state_get_u64(st, ver_keys[k]);
    /* a restore (bump) keeps this group's g/ records, and this cluster's id when the backup
     * has none (clusters.h); a snapshot is the whole state */
    coll.b = b;
    coll.keep_group = bump;
    coll.keep_id = bump;
    for (size_t i = 0; i < c->nrecs && coll.keep_id; i++)
        coll.keep_id = strcmp(c->recs[i].key, MGR_CLUSTER_ID_KEY) != 0;
    if ((rc = mgr_state_scan(st, "", collect_key, &coll)) != 0)
        return rc;
    for (size_t i = 0; i < c->nrecs; i++) {
        const mgr_cmd_rec_t *r = &c->recs[i];

        if (bump && is_group_key(r->key, strlen(r->key)))
            continue;

        for (size_t k = 0; k < 3; k++)
            if (strcmp(r->key, ver_keys[k]) == 0 && cn_get_u64be(r->val) > vers[k])
                vers[k] = cn_get_u64be(r->val);
        mgr_batch_put(b, r->key, r->val, r->vlen);
    }
    for (size_t k = 0; bump && k < 3; k++) /* past both: every gateway refetches */
        mgr_batch_put_u64(b, ver_keys[k], vers[k] + 1);
    return 0;
}
