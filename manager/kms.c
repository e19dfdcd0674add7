/*
 * manager/kms.c: the key service's store (see kms.h): the s/<name> records, the entries that
 * change them (proposed here with their random KEKs already wrapped, applied by
 * mgr__kms_apply) and the reads that unwrap a KEK for the RPC; and the linked clusters'
 * stores o/<origin>/<name> (issue 22), the same records under their own prefix and AAD.
 * Unwrapped KEKs live only on the stack of the function that needs them and are wiped
 * (OPENSSL_cleanse) before it returns; the caller of mgr_kms_get wipes its copy.
 * A stored record is checked field by field when read (a record of a restore or a newer
 * release is bytes, not trust): a malformed one is CN_ECORRUPT, never an assert.
 */
#include "manager/kms.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/cmd.h"

#define B64_WRAPPED_LEN (4 * ((CN_SSE_WRAPPED_LEN + 2) / 3)) /* 80 */

size_t mgr_kms_aad(const char *name, uint64_t epoch, char *out, size_t cap)
{
    int n = snprintf(out, cap, MGR_KMS_AAD_LABEL "|%s|%" PRIu64, name, epoch);

    CN_ASSERT(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

size_t mgr_kms_aad_of(const char *origin, const char *name, uint64_t epoch, char *out,
                      size_t cap)
{
    int n;

    if (origin == NULL || origin[0] == '\0')
        return mgr_kms_aad(name, epoch, out, cap);
    n = snprintf(out, cap, MGR_KMS_AAD_LABEL "|" MGR_KMS_REMOTE_PREFIX "%s/%s|%" PRIu64, origin,
                 name, epoch);
    CN_ASSERT(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

#define KEY_CAP (CN_KMS_NAME_MAX + MGR_CLUSTER_ID_LEN + 8)

/* The state key of name in the store of origin ("": s/<name>, else o/<origin>/<name>). */
static void state_key_of(const char *origin, const char *name, char out[KEY_CAP])
{
    if (origin == NULL || origin[0] == '\0')
        snprintf(out, KEY_CAP, MGR_KMS_PREFIX "%s", name);
    else
        snprintf(out, KEY_CAP, MGR_KMS_REMOTE_PREFIX "%s/%s", origin, name);
}

static void state_key(const char *name, char out[KEY_CAP])
{
    state_key_of("", name, out);
}

/* The origin of a state key of either store into origin ("" for s/): 0, or CN_ECORRUPT for
 * an r/ key that names no cluster id. */
static int origin_of_key(const char *key, size_t klen, char origin[MGR_CLUSTER_ID_LEN + 1])
{
    origin[0] = '\0';
    if (klen < 2 || memcmp(key, MGR_KMS_REMOTE_PREFIX, 2) != 0)
        return 0;
    if (klen < 2 + MGR_CLUSTER_ID_LEN + 2 || key[2 + MGR_CLUSTER_ID_LEN] != '/')
        return CN_ECORRUPT;
    memcpy(origin, key + 2, MGR_CLUSTER_ID_LEN);
    origin[MGR_CLUSTER_ID_LEN] = '\0';
    return mgr_clusters_id_valid(origin) ? 0 : CN_ECORRUPT;
}

static int id_valid(const char *id)
{
    size_t n = strspn(id, "0123456789abcdef");

    return n == MGR_KMS_ID_LEN && id[n] == '\0';
}

/* ---- records ------------------------------------------------------------------------------ */

/* The epochs array of a record, or NULL when the record is not one. */
static json_t *epochs_of(const json_t *rec)
{
    json_t *e = json_object_get(rec, "epochs");

    return json_is_object(rec) && json_is_string(json_object_get(rec, "name")) &&
                   json_is_array(e)
               ? e
               : NULL;
}

/* Reads s/<name> (origin "") or o/<origin>/<name>: 0 with *rec (json_decref it), CN_ENOENT,
 * CN_ECORRUPT, CN_EIO. */
static int read_record_of(mgr_state_t *st, const char *origin, const char *name, json_t **rec)
{
    char key[KEY_CAP];
    int rc;

    state_key_of(origin, name, key);
    if ((rc = mgr_state_get_json(st, key, rec)) != 0)
        return rc;
    if (epochs_of(*rec) == NULL) {
        CN_LOG(CN_LOG_ERROR, "key=%s: not a key service record", key);
        json_decref(*rec);
        return CN_ECORRUPT;
    }
    return 0;
}

static int read_record(mgr_state_t *st, const char *name, json_t **rec)
{
    return read_record_of(st, "", name, rec);
}

/* Epoch e (1-based) of rec as a wrap: 0, CN_ENOENT (no such epoch), CN_ECORRUPT. */
static int epoch_get(const json_t *rec, uint64_t e, mgr_kms_wrap_t *w)
{
    const json_t *epochs = epochs_of(rec), *o;
    const char *master, *b64;
    size_t len = 0;

    if (e == 0 || e > json_array_size(epochs))
        return CN_ENOENT;
    o = json_array_get(epochs, e - 1);
    master = json_string_value(json_object_get(o, "master"));
    b64 = json_string_value(json_object_get(o, "wrapped"));
    if ((uint64_t)json_integer_value(json_object_get(o, "epoch")) != e || master == NULL ||
        !id_valid(master) || b64 == NULL || strlen(b64) != B64_WRAPPED_LEN ||
        cn_base64_decode(b64, B64_WRAPPED_LEN, w->wrapped, sizeof(w->wrapped), &len) != 0 ||
        len != CN_SSE_WRAPPED_LEN)
        return CN_ECORRUPT;
    snprintf(w->name, sizeof(w->name), "%s", json_string_value(json_object_get(rec, "name")));
    w->epoch = e;
    snprintf(w->master, sizeof(w->master), "%s", master);
    w->origin[0] = '\0';
    return 0;
}

/* Sets an epoch object's master and wrapped bytes from w. */
static void epoch_set_wrap(json_t *o, const mgr_kms_wrap_t *w)
{
    char b64[B64_WRAPPED_LEN + 1];

    EVP_EncodeBlock((unsigned char *)b64, w->wrapped, CN_SSE_WRAPPED_LEN);
    json_object_set_new(o, "master", json_string(w->master));
    json_object_set_new(o, "wrapped", json_string(b64));
}

static json_t *epoch_new(const mgr_kms_wrap_t *w, uint64_t epoch, uint64_t created_ms)
{
    json_t *o = json_pack("{s:I, s:I}", "epoch", (json_int_t)epoch, "created_ms",
                          (json_int_t)created_ms);

    epoch_set_wrap(o, w);
    return o;
}

/* ---- proposers ---------------------------------------------------------------------------- */

/* A new random KEK for epoch of name, wrapped under m's current master, into w. */
static int wrap_new(const mgr_kms_masters_t *m, const char *name, uint64_t epoch,
                    mgr_kms_wrap_t *w)
{
    uint8_t kek[CN_SSE_KEY_LEN];
    char aad[MGR_KMS_AAD_MAX];
    size_t alen = mgr_kms_aad(name, epoch, aad, sizeof(aad));
    int rc;

    memset(w, 0, sizeof(*w));
    if ((rc = cn_sse_random_key(kek)) == 0)
        rc = cn_sse_wrap(m->cur.key, kek, aad, alen, w->wrapped);
    OPENSSL_cleanse(kek, sizeof(kek));
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->epoch = epoch;
    snprintf(w->master, sizeof(w->master), "%s", m->cur.id);
    return rc;
}

int mgr_kms_wrap_remote(const mgr_kms_masters_t *m, const char *origin, const char *name,
                        uint64_t epoch, const uint8_t kek[CN_SSE_KEY_LEN], mgr_kms_wrap_t *w)
{
    char aad[MGR_KMS_AAD_MAX];
    size_t alen;

    if (!m->cur.set)
        return CN_ENOTSUP;
    if (!mgr_clusters_id_valid(origin) || !cn_kms_name_valid(name) || epoch == 0)
        return CN_EINVAL;
    memset(w, 0, sizeof(*w));
    alen = mgr_kms_aad_of(origin, name, epoch, aad, sizeof(aad));
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->epoch = epoch;
    snprintf(w->master, sizeof(w->master), "%s", m->cur.id);
    snprintf(w->origin, sizeof(w->origin), "%s", origin);
    return cn_sse_wrap(m->cur.key, kek, aad, alen, w->wrapped);
}

int mgr_kms_create_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name,
                       uint64_t now_ms, mgr_cmd_t *cmd)
{
    json_t *rec;
    int rc;

    if (!cn_kms_name_valid(name))
        return CN_EINVAL;
    if (!m->cur.set)
        return CN_ENOTSUP;
    if ((rc = read_record(st, name, &rec)) == 0) {
        json_decref(rec);
        return CN_EEXIST;
    }
    if (rc != CN_ENOENT)
        return rc;
    mgr_cmd_init(cmd, MGR_CMD_KMS_KEY_CREATE);
    cmd->created_ms = now_ms;
    if ((rc = wrap_new(m, name, 1, &cmd->kms)) != 0)
        mgr_cmd_dispose(cmd);
    return rc;
}

int mgr_kms_rotate_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name,
                       uint64_t now_ms, mgr_cmd_t *cmd)
{
    json_t *rec;
    size_t n;
    int rc;

    if (!cn_kms_name_valid(name))
        return CN_EINVAL;
    if (!m->cur.set)
        return CN_ENOTSUP;
    if ((rc = read_record(st, name, &rec)) != 0)
        return rc;
    n = json_array_size(epochs_of(rec));
    json_decref(rec);
    if (n >= MGR_KMS_MAX_EPOCHS)
        return CN_ENOSPC;
    mgr_cmd_init(cmd, MGR_CMD_KMS_KEY_ROTATE);
    cmd->created_ms = now_ms;
    if ((rc = wrap_new(m, name, n + 1, &cmd->kms)) != 0)
        mgr_cmd_dispose(cmd);
    return rc;
}

struct rewrap_scan {
    const mgr_kms_masters_t *m;
    mgr_cmd_t *cmd;
    size_t others;
    int rc;
};

/* Rewraps w (wrapped by the previous master) under the current one, in place. */
static int rewrap_one(const mgr_kms_masters_t *m, mgr_kms_wrap_t *w)
{
    uint8_t kek[CN_SSE_KEY_LEN];
    char aad[MGR_KMS_AAD_MAX];
    size_t alen = mgr_kms_aad_of(w->origin, w->name, w->epoch, aad, sizeof(aad));
    int rc;

    if ((rc = cn_sse_unwrap(m->prev.key, w->wrapped, aad, alen, kek)) == 0)
        rc = cn_sse_wrap(m->cur.key, kek, aad, alen, w->wrapped);
    OPENSSL_cleanse(kek, sizeof(kek));
    if (rc == 0)
        snprintf(w->master, sizeof(w->master), "%s", m->cur.id);
    else
        CN_LOG(CN_LOG_ERROR, "kms=%s epoch=%" PRIu64 " master=%s rc=%s: does not unwrap with "
               "the previous master; not rewrapped", w->name, w->epoch, w->master,
               cn_strerror(rc));
    return rc;
}

static int rewrap_rec(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct rewrap_scan *sc = arg;
    json_t *rec = json_loadb(val, vlen, 0, NULL);
    size_t n = json_array_size(epochs_of(rec));
    char origin[MGR_CLUSTER_ID_LEN + 1];
    int rc = 0;

    if (epochs_of(rec) == NULL || origin_of_key(key, klen, origin) != 0) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a key service record", (int)klen, key);
        json_decref(rec);
        return sc->rc = CN_ECORRUPT;
    }
    for (uint64_t e = 1; e <= n && rc == 0; e++) {
        mgr_kms_wrap_t w;

        if ((rc = epoch_get(rec, e, &w)) != 0)
            break;
        snprintf(w.origin, sizeof(w.origin), "%s", origin);
        if (strcmp(w.master, sc->m->cur.id) == 0)
            continue;
        if (!sc->m->prev.set || strcmp(w.master, sc->m->prev.id) != 0) {
            sc->others++;
            continue;
        }
        if (sc->cmd->nwraps >= MGR_KMS_REWRAP_BATCH)
            rc = 1; /* full: the next entry takes the rest */
        else if ((rc = rewrap_one(sc->m, &w)) == 0)
            mgr_cmd_add_wrap(sc->cmd, &w);
    }
    json_decref(rec);
    if (rc < 0)
        sc->rc = rc;
    return rc;
}

int mgr_kms_rewrap_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, mgr_cmd_t *cmd,
                       size_t *others)
{
    struct rewrap_scan sc = {m, cmd, 0, 0};
    int rc;

    *others = 0;
    if (!m->cur.set)
        return CN_ENOTSUP;
    mgr_cmd_init(cmd, MGR_CMD_KMS_REWRAP);
    rc = mgr_state_scan(st, MGR_KMS_PREFIX, rewrap_rec, &sc);
    if (rc == 0 && sc.rc == 0) /* the linked clusters' stores are wrapped by this master too */
        rc = mgr_state_scan(st, MGR_KMS_REMOTE_PREFIX, rewrap_rec, &sc);
    if (sc.rc != 0 || rc < 0) {
        mgr_cmd_dispose(cmd);
        return sc.rc != 0 ? sc.rc : rc;
    }
    *others = sc.others;
    return 0;
}

/* ---- reads -------------------------------------------------------------------------------- */

struct unknown_scan {
    const mgr_kms_masters_t *m;
    size_t n;
    char id[MGR_KMS_ID_LEN + 1];
};

static int unknown_rec(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct unknown_scan *sc = arg;
    json_t *rec = json_loadb(val, vlen, 0, NULL);
    size_t n = json_array_size(epochs_of(rec));

    (void)key;
    (void)klen;
    for (uint64_t e = 1; e <= n; e++) {
        mgr_kms_wrap_t w;

        if (epoch_get(rec, e, &w) != 0 || mgr_kms_masters_find(sc->m, w.master) != NULL)
            continue;
        if (sc->n++ == 0)
            snprintf(sc->id, sizeof(sc->id), "%s", w.master);
    }
    json_decref(rec);
    return 0;
}

size_t mgr_kms_unknown_masters(mgr_state_t *st, const mgr_kms_masters_t *m,
                               char id[MGR_KMS_ID_LEN + 1])
{
    struct unknown_scan sc = {m, 0, ""};

    mgr_state_scan(st, MGR_KMS_PREFIX, unknown_rec, &sc);
    mgr_state_scan(st, MGR_KMS_REMOTE_PREFIX, unknown_rec, &sc);
    snprintf(id, MGR_KMS_ID_LEN + 1, "%s", sc.id);
    return sc.n;
}

int mgr_kms_get(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name, uint64_t epoch,
                uint64_t *got_epoch, uint8_t kek[CN_SSE_KEY_LEN])
{
    return mgr_kms_get_of(st, m, "", name, epoch, got_epoch, kek);
}

int mgr_kms_get_of(mgr_state_t *st, const mgr_kms_masters_t *m, const char *origin,
                   const char *name, uint64_t epoch, uint64_t *got_epoch,
                   uint8_t kek[CN_SSE_KEY_LEN])
{
    const mgr_kms_master_t *mk;
    char aad[MGR_KMS_AAD_MAX];
    mgr_kms_wrap_t w;
    json_t *rec;
    int rc;

    if (origin == NULL)
        origin = "";
    if (!m->cur.set)
        return CN_ENOTSUP;
    if (!cn_kms_name_valid(name) || (origin[0] != '\0' && !mgr_clusters_id_valid(origin)))
        return CN_ENOENT;
    if ((rc = read_record_of(st, origin, name, &rec)) != 0)
        return rc;
    if (epoch == 0)
        epoch = json_array_size(epochs_of(rec));
    rc = epoch_get(rec, epoch, &w);
    json_decref(rec);
    if (rc != 0)
        return rc;
    if ((mk = mgr_kms_masters_find(m, w.master)) == NULL) {
        CN_LOG(CN_LOG_ERROR, "kms=%s origin=%s epoch=%" PRIu64 " master=%s: wrapped by a "
               "master this manager does not hold (current %s%s%s); give it that key file",
               name, origin, epoch, w.master, m->cur.id, m->prev.set ? ", previous " : "",
               m->prev.id);
        return CN_ECORRUPT;
    }
    if ((rc = cn_sse_unwrap(mk->key, w.wrapped, aad,
                            mgr_kms_aad_of(origin, name, epoch, aad, sizeof(aad)), kek)) != 0) {
        CN_LOG(CN_LOG_ERROR, "kms=%s origin=%s epoch=%" PRIu64 " master=%s rc=%s: does not "
               "unwrap", name, origin, epoch, w.master, cn_strerror(rc));
        return CN_ECORRUPT;
    }
    *got_epoch = epoch;
    return 0;
}

int mgr_kms_remote_epochs(mgr_state_t *st, const char *origin, const char *name, uint64_t *n)
{
    json_t *rec;
    int rc;

    *n = 0;
    if (!mgr_clusters_id_valid(origin) || !cn_kms_name_valid(name))
        return CN_EINVAL;
    if ((rc = read_record_of(st, origin, name, &rec)) != 0)
        return rc == CN_ENOENT ? 0 : rc;
    *n = json_array_size(epochs_of(rec));
    json_decref(rec);
    return 0;
}

struct each_scan {
    mgr_state_t *st;
    const mgr_kms_masters_t *m;
    int (*fn)(void *arg, const char *name, uint64_t epoch, const uint8_t kek[CN_SSE_KEY_LEN]);
    void *arg;
    int rc;
};

static int each_rec(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct each_scan *sc = arg;
    json_t *rec = json_loadb(val, vlen, 0, NULL);
    const char *name = json_string_value(json_object_get(rec, "name"));
    size_t n = json_array_size(epochs_of(rec));
    uint8_t kek[CN_SSE_KEY_LEN];
    uint64_t got;
    int rc = 0;

    if (epochs_of(rec) == NULL || !cn_kms_name_valid(name)) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a key service record", (int)klen, key);
        rc = CN_ECORRUPT;
    }
    for (uint64_t e = 1; e <= n && rc == 0; e++) {
        if ((rc = mgr_kms_get_of(sc->st, sc->m, "", name, e, &got, kek)) == 0)
            rc = sc->fn(sc->arg, name, e, kek);
        OPENSSL_cleanse(kek, sizeof(kek));
    }
    json_decref(rec);
    return sc->rc = rc;
}

int mgr_kms_each_own(mgr_state_t *st, const mgr_kms_masters_t *m,
                     int (*fn)(void *arg, const char *name, uint64_t epoch,
                               const uint8_t kek[CN_SSE_KEY_LEN]),
                     void *arg)
{
    struct each_scan sc = {st, m, fn, arg, 0};
    int rc;

    if (!m->cur.set)
        return CN_ENOTSUP;
    rc = mgr_state_scan(st, MGR_KMS_PREFIX, each_rec, &sc);
    return sc.rc != 0 ? sc.rc : rc;
}

struct origins_scan {
    char ids[MGR_KMS_ORIGINS_MAX][MGR_CLUSTER_ID_LEN + 1];
    size_t n;
};

static int origin_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct origins_scan *sc = arg;
    char id[MGR_CLUSTER_ID_LEN + 1];

    (void)val;
    (void)vlen;
    if (origin_of_key(key, klen, id) != 0 || id[0] == '\0')
        return 0;
    if (sc->n > 0 && strcmp(sc->ids[sc->n - 1], id) == 0)
        return 0; /* keys are in order: an origin's names are together */
    if (sc->n == MGR_KMS_ORIGINS_MAX)
        return 1;
    snprintf(sc->ids[sc->n++], sizeof(sc->ids[0]), "%s", id);
    return 0;
}

void mgr_kms_origins_csv(mgr_state_t *st, char *out, size_t cap)
{
    struct origins_scan sc = {.n = 0};
    size_t off = 0;

    out[0] = '\0';
    mgr_state_scan(st, MGR_KMS_REMOTE_PREFIX, origin_one, &sc);
    for (size_t i = 0; i < sc.n; i++) {
        int n = snprintf(out + off, cap - off, "%s%s", i ? "," : "", sc.ids[i]);

        if (n < 0 || (size_t)n >= cap - off) {
            out[off] = '\0';
            return;
        }
        off += (size_t)n;
    }
}

static int list_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    json_t *rec = json_loadb(val, vlen, 0, NULL), *masters = json_array(), *o;
    const json_t *epochs = epochs_of(rec);
    size_t n = json_array_size(epochs), i;
    char created[32], rotated[32];

    if (epochs == NULL) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a key service record", (int)klen, key);
        json_decref(rec);
        json_decref(masters);
        return CN_ECORRUPT;
    }
    json_array_foreach(epochs, i, o) {
        json_t *id = json_object_get(o, "master");
        size_t j;
        json_t *seen;
        int dup = 0;

        json_array_foreach(masters, j, seen)
            dup |= json_equal(seen, id);
        if (!dup && json_is_string(id))
            json_array_append(masters, id);
    }
    cn_fmt_iso8601_ms((uint64_t)json_integer_value(json_object_get(rec, "created_ms")), created,
                      sizeof(created));
    cn_fmt_iso8601_ms((uint64_t)json_integer_value(json_object_get(
                          json_array_get(epochs, n ? n - 1 : 0), "created_ms")),
                      rotated, sizeof(rotated));
    json_array_append_new(arg, json_pack("{s:O, s:s, s:I, s:I, s:s, s:o}", "name",
                                         json_object_get(rec, "name"), "created", created,
                                         "epochs", (json_int_t)n, "newest", (json_int_t)n,
                                         "newest_created", rotated, "masters", masters));
    json_decref(rec);
    return 0;
}

json_t *mgr_kms_list_json(mgr_state_t *st, int *rc)
{
    json_t *arr = json_array();

    if ((*rc = mgr_state_scan(st, MGR_KMS_PREFIX, list_one, arr)) != 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* ---- apply -------------------------------------------------------------------------------- */

static int apply_create(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char key[KEY_CAP];
    json_t *rec;
    int rc;

    if (!cn_kms_name_valid(c->kms.name) || !id_valid(c->kms.master))
        return CN_EINVAL;
    if ((rc = read_record(st, c->kms.name, &rec)) == 0) {
        json_decref(rec);
        return CN_EEXIST;
    }
    if (rc != CN_ENOENT)
        return rc == CN_ECORRUPT ? CN_EEXIST : rc; /* taken, if unreadable */
    rec = json_pack("{s:s, s:I, s:[o]}", "name", c->kms.name, "created_ms",
                    (json_int_t)c->created_ms, "epochs", epoch_new(&c->kms, 1, c->created_ms));
    state_key(c->kms.name, key);
    mgr_batch_put_json(b, key, rec);
    json_decref(rec);
    return 0;
}

static int apply_rotate(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char key[KEY_CAP];
    json_t *rec, *epochs;
    int rc;

    if (!cn_kms_name_valid(c->kms.name) || !id_valid(c->kms.master))
        return CN_EINVAL;
    if ((rc = read_record(st, c->kms.name, &rec)) != 0)
        return rc == CN_ECORRUPT ? CN_EINVAL : rc;
    epochs = epochs_of(rec);
    if (c->kms.epoch != json_array_size(epochs) + 1)
        rc = CN_ECONFLICT; /* another rotation came first */
    else if (json_array_size(epochs) >= MGR_KMS_MAX_EPOCHS)
        rc = CN_ENOSPC;
    if (rc == 0) {
        json_array_append_new(epochs, epoch_new(&c->kms, c->kms.epoch, c->created_ms));
        state_key(c->kms.name, key);
        mgr_batch_put_json(b, key, rec);
    }
    json_decref(rec);
    return rc;
}

/* The records an entry changes, read once each (an entry may hold many epochs of one key),
 * by state key. */
struct touched {
    json_t **recs;
    char (*keys)[KEY_CAP];
    size_t n;
};

/* The record of w's (origin, name): 0 with *out (t's), CN_ENOENT (none: make says whether a
 * new empty record is made for it), CN_EIO. */
static int touched_get(mgr_state_t *st, struct touched *t, const mgr_kms_wrap_t *w, int make,
                       uint64_t created_ms, json_t **out)
{
    char key[KEY_CAP];
    int rc;

    state_key_of(w->origin, w->name, key);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->keys[i], key) == 0) {
            *out = t->recs[i];
            return 0;
        }
    if ((rc = read_record_of(st, w->origin, w->name, out)) != 0) {
        if (rc != CN_ENOENT && rc != CN_ECORRUPT)
            return rc;
        if (!make || rc == CN_ECORRUPT)
            return CN_ENOENT;
        *out = json_pack("{s:s, s:I, s:[]}", "name", w->name, "created_ms",
                         (json_int_t)created_ms, "epochs");
    }
    t->recs = cn_realloc(t->recs, (t->n + 1) * sizeof(*t->recs));
    t->keys = cn_realloc(t->keys, (t->n + 1) * sizeof(*t->keys));
    t->recs[t->n] = *out;
    memcpy(t->keys[t->n++], key, KEY_CAP);
    return 0;
}

/* Writes t's records to b when rc is 0, and frees t. */
static int touched_flush(struct touched *t, mgr_batch_t *b, int rc)
{
    for (size_t i = 0; i < t->n; i++) {
        if (rc == 0)
            mgr_batch_put_json(b, t->keys[i], t->recs[i]);
        json_decref(t->recs[i]);
    }
    cn_free(t->recs);
    cn_free(t->keys);
    return rc;
}

/* 1 when w names a valid key of a valid store; remote: it must be a linked cluster's. */
static int wrap_valid(const mgr_kms_wrap_t *w, int remote)
{
    return cn_kms_name_valid(w->name) && id_valid(w->master) &&
           (remote ? mgr_clusters_id_valid(w->origin)
                   : w->origin[0] == '\0' || mgr_clusters_id_valid(w->origin));
}

static int apply_rewrap(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    struct touched t = {NULL, NULL, 0};
    int rc = 0;

    for (size_t i = 0; i < c->nwraps && rc == 0; i++) {
        const mgr_kms_wrap_t *w = &c->wraps[i];
        json_t *rec;

        if (!wrap_valid(w, 0))
            rc = CN_EINVAL;
        else if ((rc = touched_get(st, &t, w, 0, 0, &rec)) == 0 &&
                 (w->epoch == 0 || w->epoch > json_array_size(epochs_of(rec))))
            rc = CN_ENOENT;
        else if (rc == 0)
            epoch_set_wrap(json_array_get(epochs_of(rec), w->epoch - 1), w);
    }
    return touched_flush(&t, b, rc);
}

/* kms_remote_put: epochs held already are skipped (a pull that raced another), the next one
 * of its store appended, a gap refused. */
static int apply_remote_put(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    struct touched t = {NULL, NULL, 0};
    int rc = 0;

    for (size_t i = 0; i < c->nwraps && rc == 0; i++) {
        const mgr_kms_wrap_t *w = &c->wraps[i];
        json_t *rec, *epochs;
        size_t n;

        if (!wrap_valid(w, 1) || w->epoch == 0) {
            rc = CN_EINVAL;
            break;
        }
        if ((rc = touched_get(st, &t, w, 1, c->created_ms, &rec)) != 0)
            break;
        epochs = epochs_of(rec);
        n = json_array_size(epochs);
        if (w->epoch <= n)
            continue;
        if (w->epoch != n + 1)
            rc = CN_EINVAL;
        else if (n >= MGR_KMS_MAX_EPOCHS)
            rc = CN_ENOSPC;
        else
            json_array_append_new(epochs, epoch_new(w, w->epoch, c->created_ms));
    }
    return touched_flush(&t, b, rc);
}

int mgr__kms_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    switch (c->kind) {
    case MGR_CMD_KMS_KEY_CREATE:
        return apply_create(st, c, b);
    case MGR_CMD_KMS_KEY_ROTATE:
        return apply_rotate(st, c, b);
    case MGR_CMD_KMS_REWRAP:
        return apply_rewrap(st, c, b);
    case MGR_CMD_KMS_REMOTE_PUT:
        return apply_remote_put(st, c, b);
    default:
        return CN_EINVAL;
    }
}
