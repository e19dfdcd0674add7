/*
 * manager/xdc_sync.c: users, keys, buckets and bucket settings between linked clusters (see
 * xdc_sync.h): the rule, the stamps the local entries write, the dump, the apply of a remote
 * dump (proposer side and entry side) and the leader's puller.
 * Locking: every call with the server lock held; nothing here locks.
 */
#include "manager/xdc_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "manager/buckets.h"
#include "manager/cmd.h"
#include "manager/users.h"
#include "manager/xdc_keys.h"

#define XS_MAGIC 0x78647373u /* "xdss" */
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_MAX (MGR_CMD_MAX_KEY)
#define PURGE_EVERY_MS (3600ull * 1000)
#define NS_PER_MS 1000000ull

struct conflict {
    char kind[16];
    char name[MGR_USER_NAME_MAX + MGR_BUCKET_NAME_MAX + 2];
    char winner[MGR_CLUSTER_ID_LEN + 1], loser[MGR_CLUSTER_ID_LEN + 1];
    uint64_t time_ms;
};

struct remote {
    char id[MGR_CLUSTER_ID_LEN + 1];
    uint64_t seen;                 /* the greatest clock seen from it (0: pull all) */
    uint64_t next_ms;              /* when the next pull is due */
    int in_flight;
};

struct mgr_xdc_sync {
    uint32_t magic;
    struct conflict conf[MGR_XDC_CONFLICTS_MAX];
    size_t nconf, conf_head;       /* a ring: conf_head is the oldest when full */
    struct remote rem[MGR_CLUSTER_LINKS_MAX];
    mgr_xdc_sync_fetch_fn fetch;
    void *fetch_ctx;
    mgr_fsm_t *f;                  /* the last cron's, for mgr_xdc_sync_fetched */
    const mgr_kms_masters_t *m;
    uint64_t now_ms, next_purge_ms;
};

/* ---- the rule ----------------------------------------------------------------------------- */

int mgr_xdc_sync_cmp(const mgr_xdc_stamp_t *a, const mgr_xdc_stamp_t *b)
{
    int c;

    if (a->clock != b->clock)
        return a->clock < b->clock ? -1 : 1;
    c = strcmp(a->origin, b->origin); /* bytes: both are hex or "" */
    return c < 0 ? -1 : c > 0;
}

int mgr_xdc_sync_wins(const mgr_xdc_stamp_t *remote, const mgr_xdc_stamp_t *local)
{
    return local == NULL || mgr_xdc_sync_cmp(remote, local) > 0;
}

int mgr_xdc_sync_stamped(int kind)
{
    switch (kind) {
    case MGR_CMD_USER_CREATE:
    case MGR_CMD_USER_DELETE:
    case MGR_CMD_USER_SET_ROLE:
    case MGR_CMD_USER_SET_PASSWORD:
    case MGR_CMD_USER_SET_EMAIL:
    case MGR_CMD_ACCESS_KEY_CREATE:
    case MGR_CMD_ACCESS_KEY_DELETE:
    case MGR_CMD_ACCESS_KEY_SET_STATUS:
    case MGR_CMD_BUCKET_CREATE:
    case MGR_CMD_BUCKET_DELETE:
    case MGR_CMD_BUCKET_SET_ACL:
    case MGR_CMD_BUCKET_SET_OWNER:
    case MGR_CMD_BUCKET_SET_QUOTA:
    case MGR_CMD_BUCKET_SET_POLICY:
    case MGR_CMD_BUCKET_SET_CONFIG:
        return 1;
    default:
        return 0;
    }
}

/* A stamp record {"c", "o", "d"?} into *s and *deleted: 0 or CN_ECORRUPT. */
static int stamp_from_json(const json_t *j, mgr_xdc_stamp_t *s, int *deleted)
{
    const json_t *c = json_object_get(j, "c");
    const char *o = json_string_value(json_object_get(j, "o"));
    const json_t *d = json_object_get(j, "d");

    if (!json_is_object(j) || !json_is_integer(c) || json_integer_value(c) < 0 || o == NULL ||
        (o[0] != '\0' && !mgr_clusters_id_valid(o)) || (d != NULL && !json_is_boolean(d)))
        return CN_ECORRUPT;
    s->clock = (uint64_t)json_integer_value(c);
    snprintf(s->origin, sizeof(s->origin), "%s", o);
    *deleted = json_is_true(d);
    return 0;
}

static json_t *stamp_json(const mgr_xdc_stamp_t *s, int deleted)
{
    json_t *j = json_pack("{s:I, s:s}", "c", (json_int_t)s->clock, "o", s->origin);

    if (deleted)
        json_object_set_new(j, "d", json_true());
    return j;
}

int mgr_xdc_sync_stamp_get(mgr_state_t *st, const char *key, mgr_xdc_stamp_t *out,
                           int *deleted)
{
    char tkey[KEY_MAX + 3];
    json_t *j;
    int rc;

    snprintf(tkey, sizeof(tkey), MGR_XDC_STAMP_PREFIX "%s", key);
    if ((rc = mgr_state_get_json(st, tkey, &j)) != 0)
        return rc;
    rc = stamp_from_json(j, out, deleted);
    json_decref(j);
    return rc;
}

/* ---- which keys replicate ------------------------------------------------------------------ */

enum rkind { RK_NONE, RK_USER, RK_BUCKET, RK_POLICY, RK_CONFIG };

/* What a state key is, with its bucket (b/, p/, x/) into bucket: RK_NONE for a key that does
 * not replicate or a malformed name. */
static enum rkind key_kind(const char *key, char bucket[MGR_BUCKET_NAME_MAX + 1])
{
    const char *slash;

    if (strncmp(key, "u/", 2) == 0)
        return mgr_user_name_valid(key + 2) ? RK_USER : RK_NONE;
    if (strncmp(key, "b/", 2) == 0 || strncmp(key, "p/", 2) == 0) {
        if (!mgr_bucket_name_valid(key + 2))
            return RK_NONE;
        snprintf(bucket, MGR_BUCKET_NAME_MAX + 1, "%s", key + 2);
        return key[0] == 'b' ? RK_BUCKET : RK_POLICY;
    }
    if (strncmp(key, "x/", 2) == 0 && (slash = strchr(key + 2, '/')) != NULL &&
        (size_t)(slash - key - 2) <= MGR_BUCKET_NAME_MAX) {
        memcpy(bucket, key + 2, (size_t)(slash - key - 2));
        bucket[slash - key - 2] = '\0';
        return mgr_bucket_name_valid(bucket) && mgr_bucket_config_known(slash + 1) ? RK_CONFIG
                                                                                  : RK_NONE;
    }
    return RK_NONE;
}

/* ---- sealing ------------------------------------------------------------------------------- */

int mgr_xdc_sync_key(const uint8_t secret[MGR_CLUSTER_SECRET_LEN], uint8_t key[32])
{
    static char digest[] = "SHA256";
    static char info[] = MGR_XDC_INFO;
    OSSL_PARAM params[4];
    EVP_KDF_CTX *kctx = NULL;
    EVP_KDF *kdf;
    int rc = CN_EIO;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_octet_string(
        OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)secret, MGR_CLUSTER_SECRET_LEN);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(info) - 1);
    params[3] = OSSL_PARAM_construct_end();
    if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
        return CN_EIO;
    if ((kctx = EVP_KDF_CTX_new(kdf)) != NULL && EVP_KDF_derive(kctx, key, 32, params) == 1)
        rc = 0;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

static size_t aad_of(const char *key, char *out, size_t cap)
{
    int n = snprintf(out, cap, MGR_XDC_INFO "|%s", key);

    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* AES-256-GCM of p[0..n) under k, bound to the record's key: a new string, base64 of nonce |
 * ciphertext | tag; NULL on an OpenSSL failure. */
char *mgr__xdc_sync_seal(const uint8_t k[32], const char *key, const char *p, size_t n)
{
    char aad[KEY_MAX + sizeof(MGR_XDC_INFO) + 2];
    size_t alen = aad_of(key, aad, sizeof(aad)), blen = NONCE_LEN + n + TAG_LEN;
    uint8_t *buf = cn_malloc(blen);
    char *b64 = NULL;
    EVP_CIPHER_CTX *cx = EVP_CIPHER_CTX_new();
    int l1 = 0, l2 = 0;

    if (cx != NULL && cn_random_bytes(buf, NONCE_LEN) == 0 &&
        EVP_EncryptInit_ex(cx, EVP_aes_256_gcm(), NULL, k, buf) == 1 &&
        EVP_EncryptUpdate(cx, NULL, &l1, (const uint8_t *)aad, (int)alen) == 1 &&
        EVP_EncryptUpdate(cx, buf + NONCE_LEN, &l1, (const uint8_t *)p, (int)n) == 1 &&
        EVP_EncryptFinal_ex(cx, buf + NONCE_LEN + l1, &l2) == 1 &&
        EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + n) == 1) {
        b64 = cn_malloc(4 * ((blen + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)b64, buf, (int)blen);
    }
    EVP_CIPHER_CTX_free(cx);
    OPENSSL_cleanse(buf, blen);
    cn_free(buf);
    return b64;
}

/* Opens a sealed record: 0 with *out (NUL-terminated, cn_free; the caller wipes it) and
 * *outlen, CN_ECORRUPT (not base64 of a sealed record), CN_EACCES (does not open). */
int mgr__xdc_sync_unseal(const uint8_t k[32], const char *key, const char *b64, char **out,
                         size_t *outlen)
{
    char aad[KEY_MAX + sizeof(MGR_XDC_INFO) + 2];
    size_t alen = aad_of(key, aad, sizeof(aad)), n = strlen(b64), blen = 0, plen;
    uint8_t *buf;
    char *plain;
    EVP_CIPHER_CTX *cx;
    int l1 = 0, l2 = 0, ok;

    if (n == 0 || n % 4 != 0 || n > MGR_CMD_MAX_VALUE)
        return CN_ECORRUPT;
    buf = cn_malloc(n / 4 * 3);
    if (cn_base64_decode(b64, n, buf, n / 4 * 3, &blen) != 0 || blen < NONCE_LEN + TAG_LEN) {
        cn_free(buf);
        return CN_ECORRUPT;
    }
    plen = blen - NONCE_LEN - TAG_LEN;
    plain = cn_malloc(plen + 1);
    cx = EVP_CIPHER_CTX_new();
    ok = cx != NULL && EVP_DecryptInit_ex(cx, EVP_aes_256_gcm(), NULL, k, buf) == 1 &&
         EVP_DecryptUpdate(cx, NULL, &l1, (const uint8_t *)aad, (int)alen) == 1 &&
         EVP_DecryptUpdate(cx, (uint8_t *)plain, &l1, buf + NONCE_LEN, (int)plen) == 1 &&
         EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                             buf + NONCE_LEN + plen) == 1 &&
         EVP_DecryptFinal_ex(cx, (uint8_t *)plain + l1, &l2) == 1;
    EVP_CIPHER_CTX_free(cx);
    cn_free(buf);
    if (!ok) {
        OPENSSL_cleanse(plain, plen + 1);
        cn_free(plain);
        return CN_EACCES;
    }
    plain[plen] = '\0';
    *out = plain;
    *outlen = plen;
    return 0;
}

/* ---- dump ---------------------------------------------------------------------------------- */

struct drec {
    char *key;
    mgr_xdc_stamp_t s;
    int deleted;
};

struct dctx {
    mgr_state_t *st;
    uint64_t since;
    struct drec *r;
    size_t n, cap;
    int rc;
};

static void drec_add(struct dctx *d, const char *key, const mgr_xdc_stamp_t *s, int deleted)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->r = cn_realloc(d->r, d->cap * sizeof(*d->r));
    }
    d->r[d->n].key = cn_strdup(key);
    d->r[d->n].s = *s;
    d->r[d->n].deleted = deleted;
    d->n++;
}

/* t/<key>: a stamped record or a tombstone. */
static int dump_stamp(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct dctx *d = arg;
    char k[KEY_MAX + 1], bucket[MGR_BUCKET_NAME_MAX + 1];
    mgr_xdc_stamp_t s;
    json_t *j;
    int del, rc;

    if (klen - 2 > KEY_MAX)
        return 0;
    memcpy(k, key + 2, klen - 2);
    k[klen - 2] = '\0';
    if (key_kind(k, bucket) == RK_NONE)
        return 0;
    j = json_loadb(val, vlen, 0, NULL);
    rc = stamp_from_json(j, &s, &del);
    json_decref(j);
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "key=%s: stamp does not read; not sent", k);
        return 0;
    }
    if (s.clock > d->since)
        drec_add(d, k, &s, del);
    return 0;
}

/* u/, b/, p/, x/ without a stamp: sent (as clock 0) in a full dump only. */
static int dump_unstamped(const char *key, size_t klen, const char *val, size_t vlen,
                          void *arg)
{
    struct dctx *d = arg;
    char k[KEY_MAX + 1], bucket[MGR_BUCKET_NAME_MAX + 1];
    mgr_xdc_stamp_t s = {0, ""};
    int del, rc;

    (void)val;
    (void)vlen;
    if (klen > KEY_MAX)
        return 0;
    memcpy(k, key, klen);
    k[klen] = '\0';
    if (key_kind(k, bucket) == RK_NONE)
        return 0;
    if ((rc = mgr_xdc_sync_stamp_get(d->st, k, &s, &del)) == CN_ENOENT)
        drec_add(d, k, &s, 0);
    else if (rc == CN_EIO)
        return rc;
    return 0;
}

static int drec_cmp(const void *pa, const void *pb)
{
    const struct drec *a = pa, *b = pb;
    int c = mgr_xdc_sync_cmp(&a->s, &b->s);

    return c != 0 ? c : strcmp(a->key, b->key);
}

int mgr_xdc_sync_dump(mgr_state_t *st, const mgr_kms_masters_t *m,
                      const uint8_t secret[MGR_CLUSTER_SECRET_LEN], uint64_t since, size_t limit,
                      cn_buf_t *out)
{
    static const char *const prefixes[] = {"u/", "b/", "p/", "x/"};
    struct dctx d = {st, since, NULL, 0, 0, 0};
    char id[MGR_CLUSTER_ID_LEN + 1] = "", bucket[MGR_BUCKET_NAME_MAX + 1];
    uint8_t k[32];
    json_t *doc = NULL, *recs;
    uint64_t max = since;
    size_t n;
    char *text;
    int rc;

    if ((rc = mgr_xdc_sync_key(secret, k)) != 0)
        return rc;
    if ((rc = mgr_clusters_id(st, id)) != 0 && rc != CN_ENOENT)
        goto out;
    if ((rc = mgr_state_scan(st, MGR_XDC_STAMP_PREFIX, dump_stamp, &d)) != 0)
        goto out;
    for (size_t i = 0; since == 0 && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if ((rc = mgr_state_scan(st, prefixes[i], dump_unstamped, &d)) != 0)
            goto out;
    if (d.n > 1) /* d.r is NULL with no record: qsort must not see it */
        qsort(d.r, d.n, sizeof(*d.r), drec_cmp);
    n = d.n;
    if (limit > 0 && n > limit) {
        n = limit; /* never split one clock: since is "clock >" */
        while (n < d.n && d.r[n].s.clock == d.r[n - 1].s.clock)
            n++;
    }
    recs = json_array();
    doc = json_pack("{s:i, s:s, s:o}", "v", 1, "origin", id, "recs", recs);
    for (size_t i = 0; i < n; i++) {
        struct drec *r = &d.r[i];
        json_t *j = json_pack("{s:s, s:I, s:s}", "k", r->key, "c", (json_int_t)r->s.clock,
                              "o", r->s.origin);
        char *val = NULL;
        size_t vlen = 0;

        if (r->s.clock > max)
            max = r->s.clock;
        if (!r->deleted && (rc = mgr_state_get(st, r->key, &val, &vlen)) == CN_ENOENT)
            r->deleted = 1; /* a stamp without its record: say deleted */
        else if (!r->deleted && rc != 0) {
            json_decref(j);
            goto out;
        }
        if (r->deleted) {
            json_object_set_new(j, "d", json_true());
        } else if (key_kind(r->key, bucket) == RK_USER) {
            char *sealed = mgr__xdc_sync_seal(k, r->key, val, vlen);

            OPENSSL_cleanse(val, vlen);
            if (sealed == NULL) {
                cn_free(val);
                json_decref(j);
                rc = CN_EIO;
                goto out;
            }
            json_object_set_new(j, "e", json_string(sealed));
            cn_free(sealed);
        } else {
            json_object_set_new(j, "v", json_stringn(val, vlen));
        }
        cn_free(val);
        json_array_append_new(recs, j);
    }
    json_object_set_new(doc, "max", json_integer((json_int_t)max));
    json_object_set_new(doc, "more", json_boolean(n < d.n));
    if ((rc = mgr__xdc_keys_dump(st, m, k, doc)) != 0)
        goto out;
    text = json_dumps(doc, JSON_COMPACT);
    cn_buf_append(out, text, strlen(text));
    free(text);
    rc = 0;
out:
    json_decref(doc);
    for (size_t i = 0; i < d.n; i++)
        cn_free(d.r[i].key);
    cn_free(d.r);
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

/* ---- conflicts ------------------------------------------------------------------------------ */

mgr_xdc_sync_t *mgr_xdc_sync_create(void)
{
    mgr_xdc_sync_t *xs = cn_calloc(1, sizeof(*xs));

    xs->magic = XS_MAGIC;
    return xs;
}

void mgr_xdc_sync_destroy(mgr_xdc_sync_t *xs)
{
    if (xs == NULL)
        return;
    CN_CHECK_OBJ(xs, XS_MAGIC);
    xs->magic = 0;
    cn_free(xs);
}

static void conflict_add(mgr_xdc_sync_t *xs, const char *kind, const char *name,
                         const char *winner, const char *loser, uint64_t now_ms)
{
    struct conflict *c;

    for (size_t i = 0; i < xs->nconf; i++) {
        c = &xs->conf[i];
        if (strcmp(c->kind, kind) == 0 && strcmp(c->name, name) == 0 &&
            strcmp(c->winner, winner) == 0 && strcmp(c->loser, loser) == 0)
            return; /* seen already (a full dump sends it again) */
    }
    if (xs->nconf < MGR_XDC_CONFLICTS_MAX) {
        c = &xs->conf[xs->nconf++];
    } else {
        c = &xs->conf[xs->conf_head];
        xs->conf_head = (xs->conf_head + 1) % MGR_XDC_CONFLICTS_MAX;
    }
    snprintf(c->kind, sizeof(c->kind), "%s", kind);
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->winner, sizeof(c->winner), "%s", winner);
    snprintf(c->loser, sizeof(c->loser), "%s", loser);
    c->time_ms = now_ms;
    CN_LOG(CN_LOG_WARN, "kind=%s name=%s winner=%s loser=%s: made in two clusters at once; "
           "the winner's is kept on both", kind, name, winner, loser);
}

json_t *mgr_xdc_sync_conflicts_json(const mgr_xdc_sync_t *xs)
{
    json_t *arr = json_array();

    CN_CHECK_OBJ(xs, XS_MAGIC);
    for (size_t i = 0; i < xs->nconf; i++) {
        const struct conflict *c = &xs->conf[(xs->nconf < MGR_XDC_CONFLICTS_MAX
                                                  ? i
                                                  : (xs->conf_head + i) % MGR_XDC_CONFLICTS_MAX)];
        char when[32];

        cn_fmt_iso8601_ms(c->time_ms, when, sizeof(when));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "kind", c->kind,
                                             "name", c->name, "winner", c->winner, "loser",
                                             c->loser, "time", when, "time_ms",
                                             (json_int_t)c->time_ms));
    }
    return arr;
}

/* ---- apply, proposer side ------------------------------------------------------------------ */

struct inrec {
    const char *key;               /* borrowed from the dump's JSON */
    mgr_xdc_stamp_t s;
    int deleted;
    char *val;                     /* owned: the record's text (a user's: opened) */
    size_t vlen;
    enum rkind kind;
};

/* Checks a record's value for its kind: 0 or CN_ECORRUPT. */
static int value_valid(enum rkind kind, const char *key, const char *val, size_t vlen)
{
    json_t *j;
    int ok = 1;

    if (memchr(val, '\0', vlen) != NULL)
        return CN_ECORRUPT;
    if (kind == RK_POLICY)
        return vlen > 0 && vlen <= MGR_CMD_MAX_TEXT ? 0 : CN_ECORRUPT;
    if (vlen > MGR_CMD_MAX_VALUE || (j = json_loadb(val, vlen, 0, NULL)) == NULL)
        return CN_ECORRUPT;
    ok = json_is_object(j);
    if (ok && kind == RK_USER) {
        const char *name = json_string_value(json_object_get(j, "user"));
        const char *id = json_string_value(json_object_get(j, "id"));
        const json_t *keys = json_object_get(j, "keys"), *k;
        size_t i;

        ok = name != NULL && strcmp(name, key + 2) == 0 && id != NULL &&
             mgr_user_id_valid(id) && json_is_array(keys) &&
             json_array_size(keys) <= MGR_USER_MAX_KEYS;
        json_array_foreach(keys, i, k) {
            const char *ak = json_string_value(json_object_get(k, "access_key"));
            const char *sec = json_string_value(json_object_get(k, "secret"));

            ok = ok && ak != NULL && sec != NULL && mgr_user_keys_valid(ak, sec);
        }
    } else if (ok && kind == RK_BUCKET) {
        ok = json_is_string(json_object_get(j, "owner"));
    }
    json_decref(j);
    return ok ? 0 : CN_ECORRUPT;
}

static void inrecs_free(struct inrec *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].val != NULL)
            OPENSSL_cleanse(r[i].val, r[i].vlen);
        cn_free(r[i].val);
    }
    cn_free(r);
}

/* One record of a dump into *r: 0, CN_ECORRUPT, CN_EACCES. */
static int read_rec(const json_t *j, const uint8_t k[32], struct inrec *r)
{
    char bucket[MGR_BUCKET_NAME_MAX + 1];
    const char *key = json_string_value(json_object_get(j, "k"));
    const char *v = json_string_value(json_object_get(j, "v"));
    const char *e = json_string_value(json_object_get(j, "e"));
    int rc;

    if (!json_is_object(j) || key == NULL || strlen(key) > KEY_MAX ||
        (r->kind = key_kind(key, bucket)) == RK_NONE ||
        stamp_from_json(j, &r->s, &r->deleted) != 0 ||
        json_integer_value(json_object_get(j, "c")) < 0)
        return CN_ECORRUPT;
    r->key = key;
    if (r->deleted)
        return v == NULL && e == NULL ? 0 : CN_ECORRUPT;
    if (r->kind == RK_USER) { /* only sealed */
        if (e == NULL || v != NULL)
            return CN_ECORRUPT;
        if ((rc = mgr__xdc_sync_unseal(k, key, e, &r->val, &r->vlen)) != 0)
            return rc;
    } else {
        if (v == NULL || e != NULL)
            return CN_ECORRUPT;
        r->vlen = json_string_length(json_object_get(j, "v"));
        r->val = cn_malloc(r->vlen + 1);
        memcpy(r->val, v, r->vlen);
        r->val[r->vlen] = '\0';
    }
    return value_valid(r->kind, key, r->val, r->vlen);
}

/* The local stamp of key: 0 with *s (a record without a stamp: (0, "")), CN_ENOENT (neither
 * record nor tombstone), CN_EIO. *deleted: a tombstone. */
static int local_stamp(mgr_state_t *st, const char *key, mgr_xdc_stamp_t *s, int *deleted)
{
    char *val;
    size_t len;
    int rc = mgr_xdc_sync_stamp_get(st, key, s, deleted);

    if (rc == CN_ECORRUPT) { /* a damaged stamp reads as (0, ""): any stamp replaces it */
        memset(s, 0, sizeof(*s));
        *deleted = 0;
        return 0;
    }
    if (rc != CN_ENOENT)
        return rc;
    memset(s, 0, sizeof(*s));
    *deleted = 0;
    if ((rc = mgr_state_get(st, key, &val, &len)) != 0)
        return rc;
    cn_free(val);
    return 0;
}

/* Two records of one name that are not one record changed twice: a user of another id, a
 * bucket of another creation time or owner. */
static int identity_differs(enum rkind kind, const char *a, size_t alen, const char *b,
                            size_t blen)
{
    json_t *ja = json_loadb(a, alen, 0, NULL), *jb = json_loadb(b, blen, 0, NULL);
    int differs = 0;

    if (kind == RK_USER)
        differs = !json_equal(json_object_get(ja, "id"), json_object_get(jb, "id"));
    else if (kind == RK_BUCKET)
        differs = !json_equal(json_object_get(ja, "created_ms"),
                              json_object_get(jb, "created_ms")) ||
                  !json_equal(json_object_get(ja, "owner"), json_object_get(jb, "owner"));
    json_decref(ja);
    json_decref(jb);
    return differs;
}

/* Reports what r against the local state will make a conflict (as the entry's apply will
 * decide: the same rule). */
static void note_conflicts(mgr_xdc_sync_t *xs, mgr_state_t *st, const struct inrec *r,
                           const mgr_xdc_stamp_t *ls, int lexists, int wins, uint64_t now_ms)
{
    char *val = NULL;
    size_t len = 0;
    json_t *j, *k;
    size_t i;

    if (r->deleted || !lexists || (r->kind != RK_USER && r->kind != RK_BUCKET))
        return;
    if (mgr_state_get(st, r->key, &val, &len) == 0 &&
        identity_differs(r->kind, r->val, r->vlen, val, len))
        conflict_add(xs, r->kind == RK_USER ? "user" : "bucket", r->key + 2,
                     wins ? r->s.origin : ls->origin, wins ? ls->origin : r->s.origin, now_ms);
    if (val != NULL)
        OPENSSL_cleanse(val, len);
    cn_free(val);
    if (r->kind != RK_USER || !wins)
        return;
    j = json_loadb(r->val, r->vlen, 0, NULL);
    json_array_foreach(json_object_get(j, "keys"), i, k) {
        const char *ak = json_string_value(json_object_get(k, "access_key"));
        mgr_user_t u;
        mgr_xdc_stamp_t vs;
        char ukey[8 + MGR_USER_NAME_MAX];
        int del;

        if (mgr_users_by_key(st, ak, &u) != 0 || strcmp(u.name, r->key + 2) == 0)
            continue;
        snprintf(ukey, sizeof(ukey), "u/%s", u.name);
        if (local_stamp(st, ukey, &vs, &del) != 0)
            memset(&vs, 0, sizeof(vs));
        if (mgr_xdc_sync_wins(&r->s, &vs))
            conflict_add(xs, "access_key", ak, r->s.origin, vs.origin, now_ms);
        else
            conflict_add(xs, "access_key", ak, vs.origin, r->s.origin, now_ms);
        OPENSSL_cleanse(&u, sizeof(u));
    }
    json_decref(j);
}

/* The envelope of r for the entry: {"c", "o", "d": true | "v": text}. */
static char *envelope(const struct inrec *r, size_t *len)
{
    mgr_xdc_stamp_t s = r->s;
    json_t *j = stamp_json(&s, r->deleted);
    char *text;

    if (!r->deleted)
        json_object_set_new(j, "v", json_stringn(r->val, r->vlen));
    text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    *len = strlen(text);
    return text;
}

int mgr_xdc_sync_apply(mgr_xdc_sync_t *xs, mgr_fsm_t *f, const mgr_kms_masters_t *m,
                       const char *remote, const uint8_t secret[MGR_CLUSTER_SECRET_LEN],
                       const void *dump, size_t len, uint64_t now_ms, mgr_fsm_done_fn done,
                       void *arg, uint64_t *max, int *more)
{
    mgr_state_t *st = mgr_fsm_state(f);
    json_t *doc = NULL, *recs, *j;
    struct inrec *r = NULL;
    uint8_t k[32];
    size_t n = 0, i;
    mgr_cmd_t cmd, keys;
    int rc;

    CN_CHECK_OBJ(xs, XS_MAGIC);
    mgr_cmd_init(&cmd, MGR_CMD_XDC_STATE_PUT);
    mgr_cmd_init(&keys, MGR_CMD_KMS_REMOTE_PUT);
    if (len == 0 || len > MGR_XDC_DUMP_MAX ||
        (doc = json_loadb(dump, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        !json_is_object(doc) || json_integer_value(json_object_get(doc, "v")) != 1 ||
        !json_is_array(recs = json_object_get(doc, "recs")) ||
        json_array_size(recs) > MGR_XDC_DUMP_MAX / 16) {
        rc = CN_ECORRUPT;
        goto out;
    }
    if ((rc = mgr_xdc_sync_key(secret, k)) != 0)
        goto out;
    r = cn_calloc(json_array_size(recs) + 1, sizeof(*r));
    json_array_foreach(recs, i, j) { /* the whole dump is checked before anything is done */
        if ((rc = read_rec(j, k, &r[n++])) != 0)
            goto out;
        for (size_t p = 0; p + 1 < n; p++)
            if (strcmp(r[p].key, r[n - 1].key) == 0) {
                rc = CN_ECORRUPT; /* one key twice */
                goto out;
            }
    }
    mgr_cmd_dispose(&keys);
    if ((rc = mgr__xdc_keys_read(st, m, remote, k, json_object_get(doc, "keks"), now_ms,
                                 &keys)) != 0)
        goto out;
    if (max != NULL)
        *max = (uint64_t)json_integer_value(json_object_get(doc, "max"));
    if (more != NULL)
        *more = json_is_true(json_object_get(doc, "more"));
    for (i = 0; i < n; i++) {
        mgr_xdc_stamp_t ls;
        int ldel, lrc, wins;

        cn_hlc_observe(r[i].s.clock); /* a local change after this one is stamped above it */
        if ((lrc = local_stamp(st, r[i].key, &ls, &ldel)) != 0 && lrc != CN_ENOENT) {
            rc = lrc;
            goto out;
        }
        wins = mgr_xdc_sync_wins(&r[i].s, lrc == 0 ? &ls : NULL);
        note_conflicts(xs, st, &r[i], &ls, lrc == 0 && !ldel, wins, now_ms);
        if (wins) {
            size_t elen;
            char *env = envelope(&r[i], &elen);

            mgr_cmd_add_rec(&cmd, r[i].key, env, elen);
            OPENSSL_cleanse(env, elen);
            free(env);
        }
    }
    CN_LOG(CN_LOG_DEBUG, "remote=%s records=%zu winners=%zu keys=%zu", remote, n, cmd.nrecs,
           keys.nwraps);
    rc = 0;
    if (keys.nwraps > 0) /* before the records: done answers for those alone */
        mgr_fsm_propose(f, &keys, NULL, NULL);
    if (cmd.nrecs == 0) {
        if (done != NULL)
            done(arg, 0, MGR_WHY_NONE);
    } else {
        mgr_fsm_propose(f, &cmd, done, arg);
    }
out:
    if (rc != 0)
        CN_LOG(CN_LOG_WARN, "remote=%s rc=%s: its dump is refused, nothing applied", remote,
               cn_strerror(rc));
    for (i = 0; i < cmd.nrecs; i++)
        OPENSSL_cleanse(cmd.recs[i].val, cmd.recs[i].vlen);
    mgr_cmd_dispose(&cmd);
    mgr_cmd_dispose(&keys);
    inrecs_free(r, n);
    json_decref(doc);
    OPENSSL_cleanse(k, sizeof(k));
    return rc;
}

/* ---- apply, entry side ---------------------------------------------------------------------- */

/* What the entry has written so far, read before the state: key -> a JSON object (a JSON
 * record), a string (raw bytes: an index, a policy) or null (deleted). Flushed to the batch
 * at the end, in key order. */
struct ov {
    mgr_state_t *st;
    json_t *w;
    int users, buckets;            /* what to bump */
};

static void ov_set(struct ov *o, const char *key, json_t *v /* stolen */)
{
    json_object_set_new(o->w, key, v);
}

/* A JSON record: a new reference, or NULL (absent, deleted, unreadable). */
static json_t *ov_json(struct ov *o, const char *key)
{
    json_t *v = json_object_get(o->w, key), *j = NULL;

    if (v != NULL)
        return json_is_object(v) ? json_incref(v) : NULL;
    return mgr_state_get_json(o->st, key, &j) == 0 ? j : NULL;
}

/* A raw value (an index) into out: 1 when present. */
static int ov_str(struct ov *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o->w, key);
    char *val;
    size_t len;

    if (v != NULL) {
        if (!json_is_string(v))
            return 0;
        snprintf(out, cap, "%s", json_string_value(v));
        return 1;
    }
    if (mgr_state_get(o->st, key, &val, &len) != 0)
        return 0;
    snprintf(out, cap, "%.*s", (int)len, val);
    cn_free(val);
    return 1;
}

static int ov_exists(struct ov *o, const char *key)
{
    json_t *v = json_object_get(o->w, key);
    char *val;
    size_t len;

    if (v != NULL)
        return !json_is_null(v);
    if (mgr_state_get(o->st, key, &val, &len) != 0)
        return 0;
    cn_free(val);
    return 1;
}

/* The stamp of key as the entry left it so far (local_stamp's meanings). */
static int ov_stamp(struct ov *o, const char *key, mgr_xdc_stamp_t *s, int *deleted)
{
    char tkey[KEY_MAX + 3];
    json_t *j;
    int rc;

    snprintf(tkey, sizeof(tkey), MGR_XDC_STAMP_PREFIX "%s", key);
    if ((j = ov_json(o, tkey)) != NULL) {
        rc = stamp_from_json(j, s, deleted);
        json_decref(j);
        if (rc == 0)
            return 0;
    }
    memset(s, 0, sizeof(*s));
    *deleted = 0;
    return ov_exists(o, key) ? 0 : CN_ENOENT;
}

static void ov_put_stamp(struct ov *o, const char *key, const mgr_xdc_stamp_t *s, int deleted)
{
    char tkey[KEY_MAX + 3];

    snprintf(tkey, sizeof(tkey), MGR_XDC_STAMP_PREFIX "%s", key);
    ov_set(o, tkey, stamp_json(s, deleted));
}

static void ov_flush(struct ov *o, mgr_batch_t *b)
{
    const char *key;
    json_t *v;

    json_object_foreach(o->w, key, v) {
        if (json_is_null(v))
            mgr_batch_del(b, key);
        else if (json_is_string(v))
            mgr_batch_put(b, key, json_string_value(v), json_string_length(v));
        else
            mgr_batch_put_json(b, key, v);
    }
    if (o->users)
        mgr_batch_bump(b, o->st, MGR_VER_USERS);
    if (o->buckets)
        mgr_batch_bump(b, o->st, MGR_VER_BUCKETS);
}

static const char *user_id_of(const json_t *u)
{
    const char *id = json_string_value(json_object_get(u, "id"));

    return id != NULL ? id : "";
}

/* Drops user record u's indexes that still name it. */
static void ov_drop_user_indexes(struct ov *o, const char *name, const json_t *u)
{
    char key[KEY_MAX], who[MGR_USER_NAME_MAX + 1];
    json_t *k;
    size_t i;

    json_array_foreach(json_object_get(u, "keys"), i, k) {
        snprintf(key, sizeof(key), "k/%s",
                 json_string_value(json_object_get(k, "access_key")) ?: "");
        if (ov_str(o, key, who, sizeof(who)) && strcmp(who, name) == 0)
            ov_set(o, key, json_null());
    }
    snprintf(key, sizeof(key), "i/%s", user_id_of(u));
    if (ov_str(o, key, who, sizeof(who)) && strcmp(who, name) == 0)
        ov_set(o, key, json_null());
}

/* Removes key ak from user record u (changed in place). */
static void user_drop_key(json_t *u, const char *ak)
{
    json_t *keys = json_object_get(u, "keys"), *k;
    size_t i;

    json_array_foreach(keys, i, k) {
        if (strcmp(json_string_value(json_object_get(k, "access_key")) ?: "", ak) == 0) {
            json_array_remove(keys, i);
            return;
        }
    }
}

struct email_scan {
    struct ov *o;
    const char *self, *email;
    char other[MGR_USER_NAME_MAX + 1];
};

static int email_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct email_scan *e = arg;
    char k[KEY_MAX + 1];
    json_t *u;
    const char *em;

    (void)val;
    (void)vlen;
    if (klen > KEY_MAX)
        return 0;
    memcpy(k, key, klen);
    k[klen] = '\0';
    if (strcmp(k + 2, e->self) == 0 || (u = ov_json(e->o, k)) == NULL)
        return 0;
    em = json_string_value(json_object_get(u, "email"));
    if (em != NULL && strcasecmp(em, e->email) == 0)
        snprintf(e->other, sizeof(e->other), "%.*s", MGR_USER_NAME_MAX, k + 2);
    json_decref(u);
    return e->other[0] != '\0';
}

/* The other user (in the state or written by this entry) with email, into other ("" none). */
static void email_holder(struct ov *o, const char *self, const char *email,
                         char other[MGR_USER_NAME_MAX + 1])
{
    struct email_scan e = {o, self, email, ""};
    const char *key;
    json_t *v;

    mgr_state_scan(o->st, "u/", email_one, &e);
    json_object_foreach(o->w, key, v) {
        if (e.other[0] == '\0' && strncmp(key, "u/", 2) == 0 && json_is_object(v))
            email_one(key, strlen(key), NULL, 0, &e);
    }
    snprintf(other, MGR_USER_NAME_MAX + 1, "%s", e.other);
}

/* A remote user that won the rule: record, indexes, stamp (xdc_sync.h, "Indexes"). */
static void put_user(struct ov *o, const char *key, const mgr_xdc_stamp_t *s, json_t *u)
{
    const char *name = key + 2, *email;
    char ikey[8 + MGR_USER_ID_LEN], kkey[64], who[MGR_USER_NAME_MAX + 1];
    char other[MGR_USER_NAME_MAX + 1];
    json_t *old;
    size_t i;

    snprintf(ikey, sizeof(ikey), "i/%s", user_id_of(u));
    if (ov_str(o, ikey, who, sizeof(who)) && strcmp(who, name) != 0) {
        CN_LOG(CN_LOG_WARN, "user=%s id=%s: the id is another user's (%s); not applied", name,
               user_id_of(u), who);
        return;
    }
    if ((old = ov_json(o, key)) != NULL) {
        ov_drop_user_indexes(o, name, old);
        json_decref(old);
    }
    for (i = 0; i < json_array_size(json_object_get(u, "keys"));) {
        const char *ak = json_string_value(
            json_object_get(json_array_get(json_object_get(u, "keys"), i), "access_key"));
        char vkey[8 + MGR_USER_NAME_MAX];
        mgr_xdc_stamp_t vs;
        json_t *v;
        int del;

        snprintf(kkey, sizeof(kkey), "k/%s", ak);
        if (ov_str(o, kkey, who, sizeof(who)) && strcmp(who, name) != 0) {
            snprintf(vkey, sizeof(vkey), "u/%s", who);
            if (ov_stamp(o, vkey, &vs, &del) != 0)
                memset(&vs, 0, sizeof(vs));
            if (!mgr_xdc_sync_wins(s, &vs)) {
                json_array_remove(json_object_get(u, "keys"), i); /* the key stays V's */
                continue;
            }
            if ((v = ov_json(o, vkey)) != NULL) { /* V loses the key, its stamp unchanged */
                user_drop_key(v, ak);
                ov_set(o, vkey, v);
            }
        }
        ov_set(o, kkey, json_string(name));
        i++;
    }
    if ((email = json_string_value(json_object_get(u, "email"))) != NULL) {
        email_holder(o, name, email, other);
        if (other[0] != '\0') {
            char vkey[8 + MGR_USER_NAME_MAX];
            mgr_xdc_stamp_t vs;
            json_t *v;
            int del;

            snprintf(vkey, sizeof(vkey), "u/%s", other);
            if (ov_stamp(o, vkey, &vs, &del) != 0)
                memset(&vs, 0, sizeof(vs));
            if (!mgr_xdc_sync_wins(s, &vs)) {
                json_object_del(u, "email");
            } else if ((v = ov_json(o, vkey)) != NULL) {
                json_object_del(v, "email");
                ov_set(o, vkey, v);
            }
        }
    }
    ov_set(o, ikey, json_string(name));
    ov_set(o, key, json_incref(u));
    ov_put_stamp(o, key, s, 0);
    o->users = 1;
}

static void del_user(struct ov *o, const char *key, const mgr_xdc_stamp_t *s)
{
    json_t *old = ov_json(o, key);

    if (old != NULL) {
        ov_drop_user_indexes(o, key + 2, old);
        json_decref(old);
    }
    ov_set(o, key, json_null());
    ov_put_stamp(o, key, s, 1);
    o->users = 1;
}

struct del_prefix {
    struct ov *o;
};

static int del_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct del_prefix *d = arg;
    char k[KEY_MAX + 1];

    (void)val;
    (void)vlen;
    if (klen > KEY_MAX)
        return 0;
    memcpy(k, key, klen);
    k[klen] = '\0';
    ov_set(d->o, k, json_null());
    return 0;
}

/* Deletes every key under prefix, in the state and in what the entry wrote. */
static int ov_del_prefix(struct ov *o, const char *prefix)
{
    struct del_prefix d = {o};
    const char *key;
    json_t *v;
    void *tmp;

    json_object_foreach_safe(o->w, tmp, key, v) {
        if (strncmp(key, prefix, strlen(prefix)) == 0)
            ov_set(o, key, json_null());
    }
    return mgr_state_scan(o->st, prefix, del_one, &d);
}

/* A bucket's tombstone: the bucket, its policy and configurations and their stamps go. */
static int del_bucket(struct ov *o, const char *bucket, const mgr_xdc_stamp_t *s)
{
    char key[KEY_MAX];
    int rc;

    snprintf(key, sizeof(key), "b/%s", bucket);
    ov_set(o, key, json_null());
    ov_put_stamp(o, key, s, 1);
    snprintf(key, sizeof(key), "p/%s", bucket);
    ov_set(o, key, json_null());
    snprintf(key, sizeof(key), MGR_XDC_STAMP_PREFIX "p/%s", bucket);
    ov_set(o, key, json_null());
    snprintf(key, sizeof(key), "x/%s/", bucket);
    if ((rc = ov_del_prefix(o, key)) != 0)
        return rc;
    snprintf(key, sizeof(key), MGR_XDC_STAMP_PREFIX "x/%s/", bucket);
    o->buckets = 1;
    return ov_del_prefix(o, key);
}

/* One record of an xdc_state_put. 0, CN_ECORRUPT, CN_EIO. */
static int apply_rec(struct ov *o, const mgr_cmd_rec_t *rec)
{
    char bucket[MGR_BUCKET_NAME_MAX + 1], bkey[8 + MGR_BUCKET_NAME_MAX];
    enum rkind kind = strlen(rec->key) <= KEY_MAX ? key_kind(rec->key, bucket) : RK_NONE;
    json_t *env = json_loadb(rec->val, rec->vlen, 0, NULL), *val = NULL;
    const char *text = json_string_value(json_object_get(env, "v"));
    mgr_xdc_stamp_t s, ls;
    int del, ldel, lrc, rc = CN_ECORRUPT;

    if (kind == RK_NONE || stamp_from_json(env, &s, &del) != 0 || (!del && text == NULL) ||
        (!del && value_valid(kind, rec->key, text,
                             json_string_length(json_object_get(env, "v"))) != 0))
        goto out;
    rc = 0;
    if ((lrc = ov_stamp(o, rec->key, &ls, &ldel)) == 0 && !mgr_xdc_sync_wins(&s, &ls))
        goto out; /* a change made here meanwhile is newer: it stays */
    snprintf(bkey, sizeof(bkey), "b/%s", bucket);
    if (!del && kind != RK_POLICY)
        val = json_loads(text, 0, NULL);
    switch (kind) {
    case RK_USER:
        if (del)
            del_user(o, rec->key, &s);
        else
            put_user(o, rec->key, &s, val);
        break;
    case RK_BUCKET:
        if (del) {
            rc = del_bucket(o, bucket, &s);
        } else {
            ov_set(o, rec->key, json_incref(val));
            ov_put_stamp(o, rec->key, &s, 0);
            o->buckets = 1;
        }
        break;
    default: /* a policy or a configuration: only of a bucket that exists here */
        if (!ov_exists(o, bkey))
            break;
        if (del)
            ov_set(o, rec->key, json_null());
        else
            ov_set(o, rec->key, kind == RK_POLICY ? json_string(text) : json_incref(val));
        ov_put_stamp(o, rec->key, &s, del);
        o->buckets = 1;
        break;
    }
out:
    json_decref(val);
    json_decref(env);
    return rc;
}

struct purge {
    mgr_batch_t *b;
    uint64_t before;
};

static int purge_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct purge *p = arg;
    char k[KEY_MAX + 3];
    json_t *j = json_loadb(val, vlen, 0, NULL);
    mgr_xdc_stamp_t s;
    int del;

    if (klen <= KEY_MAX && stamp_from_json(j, &s, &del) == 0 && del && s.clock < p->before) {
        memcpy(k, key, klen);
        k[klen] = '\0';
        mgr_batch_del(p->b, k);
    }
    json_decref(j);
    return 0;
}

int mgr__xdc_sync_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    struct ov o = {st, NULL, 0, 0};
    int rc = 0;

    if (c->kind == MGR_CMD_XDC_TOMBSTONE_PURGE) {
        struct purge p = {b, c->xclock};

        return mgr_state_scan(st, MGR_XDC_STAMP_PREFIX, purge_one, &p);
    }
    o.w = json_object();
    for (size_t i = 0; i < c->nrecs && rc == 0; i++)
        rc = apply_rec(&o, &c->recs[i]);
    if (rc == 0)
        ov_flush(&o, b);
    json_decref(o.w);
    return rc;
}

/* ---- the stamps of local entries ------------------------------------------------------------- */

int mgr__xdc_sync_stamp(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    mgr_xdc_stamp_t s = {c->xclock, ""};
    struct ov o = {st, NULL, 0, 0};
    char key[KEY_MAX];
    mgr_user_t u;
    int rc = 0, del = 0;

    if ((rc = mgr_clusters_id(st, s.origin)) != 0) {
        if (rc != CN_ENOENT && rc != CN_ECORRUPT)
            return rc;
        s.origin[0] = '\0';
    }
    switch (c->kind) {
    case MGR_CMD_USER_DELETE:
        del = 1;
        /* fall through */
    case MGR_CMD_USER_CREATE:
    case MGR_CMD_USER_SET_ROLE:
    case MGR_CMD_USER_SET_PASSWORD:
    case MGR_CMD_USER_SET_EMAIL:
    case MGR_CMD_ACCESS_KEY_CREATE:
        snprintf(key, sizeof(key), "u/%s", c->user.name);
        break;
    case MGR_CMD_ACCESS_KEY_DELETE:
    case MGR_CMD_ACCESS_KEY_SET_STATUS: /* read before the commit: the key is still there */
        if ((rc = mgr_users_by_key(st, c->user.access_key, &u)) != 0)
            return rc == CN_ENOENT ? 0 : rc;
        snprintf(key, sizeof(key), "u/%s", u.name);
        OPENSSL_cleanse(&u, sizeof(u));
        break;
    case MGR_CMD_BUCKET_DELETE:
        o.w = json_object();
        if ((rc = del_bucket(&o, c->bucket.name, &s)) == 0) {
            const char *k;
            json_t *v;

            json_object_foreach(o.w, k, v) {
                if (strncmp(k, MGR_XDC_STAMP_PREFIX, 2) != 0)
                    continue; /* the records themselves: buckets.c deleted them */
                if (json_is_null(v))
                    mgr_batch_del(b, k);
                else
                    mgr_batch_put_json(b, k, v);
            }
        }
        json_decref(o.w);
        return rc;
    case MGR_CMD_BUCKET_SET_POLICY:
        del = c->text == NULL;
        snprintf(key, sizeof(key), "p/%s", c->bucket.name);
        break;
    case MGR_CMD_BUCKET_SET_CONFIG:
        del = c->text == NULL;
        snprintf(key, sizeof(key), "x/%s/%s", c->bucket.name, c->config);
        break;
    default: /* bucket_create, _set_acl, _set_owner, _set_quota */
        snprintf(key, sizeof(key), "b/%s", c->bucket.name);
        break;
    }
    {
        char tkey[KEY_MAX + 3];
        json_t *j = stamp_json(&s, del);

        snprintf(tkey, sizeof(tkey), MGR_XDC_STAMP_PREFIX "%s", key);
        mgr_batch_put_json(b, tkey, j);
        json_decref(j);
    }
    return 0;
}

/* ---- the puller ------------------------------------------------------------------------------ */

void mgr_xdc_sync_purge_cmd(uint64_t before_clock, mgr_cmd_t *cmd)
{
    mgr_cmd_init(cmd, MGR_CMD_XDC_TOMBSTONE_PURGE);
    cmd->xclock = before_clock;
}

void mgr_xdc_sync_set_fetch(mgr_xdc_sync_t *xs, mgr_xdc_sync_fetch_fn fetch, void *ctx)
{
    CN_CHECK_OBJ(xs, XS_MAGIC);
    xs->fetch = fetch;
    xs->fetch_ctx = ctx;
}

static struct remote *remote_of(mgr_xdc_sync_t *xs, const char *id, int make)
{
    for (size_t i = 0; i < MGR_CLUSTER_LINKS_MAX; i++)
        if (strcmp(xs->rem[i].id, id) == 0)
            return &xs->rem[i];
    for (size_t i = 0; make && i < MGR_CLUSTER_LINKS_MAX; i++)
        if (xs->rem[i].id[0] == '\0') {
            memset(&xs->rem[i], 0, sizeof(xs->rem[i]));
            snprintf(xs->rem[i].id, sizeof(xs->rem[i].id), "%s", id);
            return &xs->rem[i];
        }
    return NULL;
}

void mgr_xdc_sync_fetched(mgr_xdc_sync_t *xs, const char *remote, int rc, const void *body,
                          size_t len)
{
    struct remote *r = remote_of(xs, remote, 0);
    uint8_t secret[MGR_CLUSTER_SECRET_LEN];
    uint64_t max = 0;
    int more = 0;

    CN_CHECK_OBJ(xs, XS_MAGIC);
    if (r == NULL)
        return; /* unlinked meanwhile */
    r->in_flight = 0;
    if (rc == 0 && xs->f != NULL &&
        (rc = mgr_clusters_secret(mgr_fsm_state(xs->f), xs->m, remote, secret)) == 0) {
        rc = mgr_xdc_sync_apply(xs, xs->f, xs->m, remote, secret, body, len, xs->now_ms, NULL,
                                NULL, &max, &more);
        OPENSSL_cleanse(secret, sizeof(secret));
    }
    if (rc != 0) {
        CN_LOG(CN_LOG_WARN, "remote=%s rc=%s: pull failed; tried again", remote,
               cn_strerror(rc));
        return;
    }
    if (max > r->seen)
        r->seen = max;
    if (more)
        r->next_ms = 0; /* the rest at the next tick */
}

struct links {
    mgr_xdc_sync_t *xs;
    uint64_t now_ms;
    int seen[MGR_CLUSTER_LINKS_MAX];
};

static int pull_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct links *l = arg;
    json_t *j = json_loadb(val, vlen, 0, NULL), *m;
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *state = json_string_value(json_object_get(j, "state"));
    char managers[MGR_CLUSTER_MANAGERS_LEN + 1] = "";
    struct remote *r;
    size_t i, off = 0;

    (void)key;
    (void)klen;
    if (id == NULL || state == NULL || strcmp(state, MGR_LINK_LINKED) != 0 ||
        (r = remote_of(l->xs, id, 1)) == NULL) {
        json_decref(j);
        return 0;
    }
    l->seen[r - l->xs->rem] = 1;
    json_array_foreach(json_object_get(j, "managers"), i, m) {
        int n = snprintf(managers + off, sizeof(managers) - off, "%s%s", off ? "," : "",
                         json_string_value(m) ?: "");

        if (n > 0 && (size_t)n < sizeof(managers) - off)
            off += (size_t)n;
    }
    if (!r->in_flight && l->now_ms >= r->next_ms) {
        uint64_t slack = MGR_XDC_SINCE_SLACK_MS * NS_PER_MS;

        r->in_flight = 1;
        r->next_ms = l->now_ms + MGR_XDC_PULL_MS;
        l->xs->fetch(l->xs->fetch_ctx, l->xs, r->id, managers,
                     r->seen > slack ? r->seen - slack : 0);
    }
    json_decref(j);
    return 0;
}

void mgr_xdc_sync_cron(mgr_xdc_sync_t *xs, mgr_fsm_t *f, const mgr_kms_masters_t *m,
                       int leader, uint64_t now_ms)
{
    struct links l = {xs, now_ms, {0}};
    mgr_cmd_t cmd;

    CN_CHECK_OBJ(xs, XS_MAGIC);
    if (!leader) { /* a new term starts from full dumps */
        memset(xs->rem, 0, sizeof(xs->rem));
        xs->next_purge_ms = 0;
        return;
    }
    xs->f = f;
    xs->m = m;
    xs->now_ms = now_ms;
    if (xs->fetch != NULL) {
        mgr_state_scan(mgr_fsm_state(f), MGR_CLUSTER_PREFIX, pull_one, &l);
        for (size_t i = 0; i < MGR_CLUSTER_LINKS_MAX; i++)
            if (!l.seen[i] && !xs->rem[i].in_flight)
                xs->rem[i].id[0] = '\0'; /* unlinked */
    }
    if (now_ms >= xs->next_purge_ms) {
        xs->next_purge_ms = now_ms + PURGE_EVERY_MS;
        if (now_ms > MGR_XDC_TOMBSTONE_MS) {
            mgr_xdc_sync_purge_cmd((now_ms - MGR_XDC_TOMBSTONE_MS) * NS_PER_MS, &cmd);
            mgr_fsm_propose(f, &cmd, NULL, NULL);
            mgr_cmd_dispose(&cmd);
        }
    }
}
