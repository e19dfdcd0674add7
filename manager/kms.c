/*
 * manager/kms.c: the key service's store (see kms.h): the s/<name> records, the entries that
 * change them (proposed here with their random KEKs already wrapped, applied by
 * mgr__kms_apply) and the reads that unwrap a KEK for the RPC.
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

static void state_key(const char *name, char out[CN_KMS_NAME_MAX + 3])
{
    snprintf(out, CN_KMS_NAME_MAX + 3, MGR_KMS_PREFIX "%s", name);
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

/* Reads s/<name>: 0 with *rec (json_decref it), CN_ENOENT, CN_ECORRUPT, CN_EIO. */
static int read_record(mgr_state_t *st, const char *name, json_t **rec)
{
    char key[CN_KMS_NAME_MAX + 3];
    int rc;

    state_key(name, key);
    if ((rc = mgr_state_get_json(st, key, rec)) != 0)
        return rc;
    if (epochs_of(*rec) == NULL) {
        CN_LOG(CN_LOG_ERROR, "key=%s: not a key service record", key);
        json_decref(*rec);
        return CN_ECORRUPT;
    }
    return 0;
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
    char aad[CN_KMS_NAME_MAX + 48];
    size_t alen = mgr_kms_aad(name, epoch, aad, sizeof(aad));
    int rc;

    if ((rc = cn_sse_random_key(kek)) == 0)
        rc = cn_sse_wrap(m->cur.key, kek, aad, alen, w->wrapped);
    OPENSSL_cleanse(kek, sizeof(kek));
    snprintf(w->name, sizeof(w->name), "%s", name);
    w->epoch = epoch;
    snprintf(w->master, sizeof(w->master), "%s", m->cur.id);
    return rc;
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
    char aad[CN_KMS_NAME_MAX + 48];
    size_t alen = mgr_kms_aad(w->name, w->epoch, aad, sizeof(aad));
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
    int rc = 0;

    if (epochs_of(rec) == NULL) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a key service record", (int)klen, key);
        json_decref(rec);
        return sc->rc = CN_ECORRUPT;
    }
    for (uint64_t e = 1; e <= n && rc == 0; e++) {
        mgr_kms_wrap_t w;

        if ((rc = epoch_get(rec, e, &w)) != 0)
            break;
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
    snprintf(id, MGR_KMS_ID_LEN + 1, "%s", sc.id);
    return sc.n;
}

int mgr_kms_get(mgr_state_t *st, const mgr_kms_masters_t *m, const char *name, uint64_t epoch,
                uint64_t *got_epoch, uint8_t kek[CN_SSE_KEY_LEN])
{
    const mgr_kms_master_t *mk;
    char aad[CN_KMS_NAME_MAX + 48];
    mgr_kms_wrap_t w;
    json_t *rec;
    int rc;

    if (!m->cur.set)
        return CN_ENOTSUP;
    if (!cn_kms_name_valid(name))
        return CN_ENOENT;
    if ((rc = read_record(st, name, &rec)) != 0)
        return rc;
    if (epoch == 0)
        epoch = json_array_size(epochs_of(rec));
    rc = epoch_get(rec, epoch, &w);
    json_decref(rec);
    if (rc != 0)
        return rc;
    if ((mk = mgr_kms_masters_find(m, w.master)) == NULL) {
        CN_LOG(CN_LOG_ERROR, "kms=%s epoch=%" PRIu64 " master=%s: wrapped by a master this "
               "manager does not hold (current %s%s%s); give it that key file", name, epoch,
               w.master, m->cur.id, m->prev.set ? ", previous " : "", m->prev.id);
        return CN_ECORRUPT;
    }
    if ((rc = cn_sse_unwrap(mk->key, w.wrapped, aad, mgr_kms_aad(name, epoch, aad, sizeof(aad)),
                            kek)) != 0) {
        CN_LOG(CN_LOG_ERROR, "kms=%s epoch=%" PRIu64 " master=%s rc=%s: does not unwrap", name,
               epoch, w.master, cn_strerror(rc));
        return CN_ECORRUPT;
    }
    *got_epoch = epoch;
    return 0;
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
    char key[CN_KMS_NAME_MAX + 3];
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
    char key[CN_KMS_NAME_MAX + 3];
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

/* The records a rewrap entry changes, read once each (an entry may hold many epochs of one
 * key). */
struct touched {
    json_t **recs;
    size_t n;
};

static int touched_get(mgr_state_t *st, struct touched *t, const char *name, json_t **out)
{
    int rc;

    for (size_t i = 0; i < t->n; i++)
        if (strcmp(json_string_value(json_object_get(t->recs[i], "name")), name) == 0) {
            *out = t->recs[i];
            return 0;
        }
    if ((rc = read_record(st, name, out)) != 0)
        return rc == CN_ECORRUPT ? CN_ENOENT : rc;
    t->recs = cn_realloc(t->recs, (t->n + 1) * sizeof(*t->recs));
    t->recs[t->n++] = *out;
    return 0;
}

static int apply_rewrap(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    struct touched t = {NULL, 0};
    char key[CN_KMS_NAME_MAX + 3];
    int rc = 0;

    for (size_t i = 0; i < c->nwraps && rc == 0; i++) {
        const mgr_kms_wrap_t *w = &c->wraps[i];
        json_t *rec;

        if (!cn_kms_name_valid(w->name) || !id_valid(w->master))
            rc = CN_EINVAL;
        else if ((rc = touched_get(st, &t, w->name, &rec)) == 0 &&
                 (w->epoch == 0 || w->epoch > json_array_size(epochs_of(rec))))
            rc = CN_ENOENT;
        else if (rc == 0)
            epoch_set_wrap(json_array_get(epochs_of(rec), w->epoch - 1), w);
    }
    for (size_t i = 0; i < t.n; i++) {
        if (rc == 0) {
            state_key(json_string_value(json_object_get(t.recs[i], "name")), key);
            mgr_batch_put_json(b, key, t.recs[i]);
        }
        json_decref(t.recs[i]);
    }
    cn_free(t.recs);
    return rc;
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
    default:
        return CN_EINVAL;
    }
}
