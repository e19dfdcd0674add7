/*
 * manager/clusters.c: this cluster's id and its links to other clusters (see clusters.h):
 * the c/id and l/<id> records, the entries that change them (proposed here with their random
 * id or their secret already wrapped, applied by mgr__clusters_apply), the leader's duty
 * that proposes the id and finishes removals, and the reads for the admin API and, later,
 * the sender.
 * An unwrapped secret lives only on the stack of the function that needs it and is wiped
 * (OPENSSL_cleanse) before it returns; the caller of mgr_clusters_secret wipes its copy.
 * A stored record is checked field by field when read (a record of a restore or a newer
 * release is bytes, not trust): a malformed one is CN_ECORRUPT, never an assert.
 */
#include "manager/clusters.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mgr_addrs.h"
#include "manager/cmd.h"
#include "manager/fsm.h"

#define B64_WRAPPED_LEN (4 * ((CN_SSE_WRAPPED_LEN + 2) / 3)) /* 80 */
#define LINK_KEY_LEN (sizeof(MGR_CLUSTER_PREFIX) + MGR_CLUSTER_ID_LEN)
#define AAD_CAP (sizeof(MGR_CLUSTER_AAD_LABEL) + MGR_CLUSTER_ID_LEN + 2)

int mgr_clusters_id_valid(const char *id)
{
    size_t n = id != NULL ? strspn(id, "0123456789abcdef") : 0;

    return n == MGR_CLUSTER_ID_LEN && id[n] == '\0';
}

static int master_valid(const char *id)
{
    size_t n = strspn(id, "0123456789abcdef");

    return n == MGR_KMS_ID_LEN && id[n] == '\0';
}

size_t mgr_clusters_aad(const char *id, char *out, size_t cap)
{
    int n = snprintf(out, cap, MGR_CLUSTER_AAD_LABEL "|%s", id);

    CN_ASSERT(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void link_key(const char *id, char out[LINK_KEY_LEN])
{
    snprintf(out, LINK_KEY_LEN, MGR_CLUSTER_PREFIX "%s", id);
}

/* 1 for the two states a link has. */
static int state_valid(const char *s)
{
    return strcmp(s, MGR_LINK_LINKED) == 0 || strcmp(s, MGR_LINK_REMOVING) == 0;
}

/* Parses a comma-separated address list into its canonical form (common/mgr_addrs.h: the
 * same parse as every manager client's): 0 with canon set, or CN_EINVAL with the reason in
 * why (a bad item, more than MGR_CLUSTER_MANAGERS_MAX, too long). */
static int managers_canon(const char *list, char canon[MGR_CLUSTER_MANAGERS_LEN + 1],
                          char *why, size_t whylen)
{
    cn_mgr_addrs_t *a = cn_calloc(1, sizeof(*a));
    char err[320];
    size_t off = 0;
    int rc = CN_EINVAL;

    if (cn_mgr_addrs_parse(a, list, err, sizeof(err)) != 0) {
        snprintf(why, whylen, "managers: %s", err);
        goto out;
    }
    if (a->n > MGR_CLUSTER_MANAGERS_MAX) {
        snprintf(why, whylen, "managers: %zu addresses, at most %d (a manager group's size)",
                 a->n, MGR_CLUSTER_MANAGERS_MAX);
        goto out;
    }
    canon[0] = '\0';
    for (size_t i = 0; i < a->n; i++) {
        int n = snprintf(canon + off, MGR_CLUSTER_MANAGERS_LEN + 1 - off, "%s%s", i ? "," : "",
                         a->a[i].str);

        if (n < 0 || (size_t)n >= MGR_CLUSTER_MANAGERS_LEN + 1 - off) {
            snprintf(why, whylen, "managers: longer than %d characters together",
                     MGR_CLUSTER_MANAGERS_LEN);
            goto out;
        }
        off += (size_t)n;
    }
    rc = 0;
out:
    cn_free(a);
    return rc;
}

/* The canonical list as a JSON array of "host:port" strings; NULL when one is not UTF-8. */
static json_t *managers_array(const char *canon)
{
    json_t *arr = json_array();
    const char *p = canon;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");

        if (json_array_append_new(arr, json_stringn(p, n)) != 0) {
            json_decref(arr);
            return NULL;
        }
        p += n + (p[n] == ',');
    }
    return arr;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Reads c/id: 0 with id, CN_ENOENT, CN_ECORRUPT, CN_EIO. */
int mgr_clusters_id(mgr_state_t *st, char id[MGR_CLUSTER_ID_LEN + 1])
{
    const char *v;
    json_t *rec;
    int rc;

    if ((rc = mgr_state_get_json(st, MGR_CLUSTER_ID_KEY, &rec)) != 0)
        return rc;
    v = json_string_value(json_object_get(rec, "id"));
    if (!mgr_clusters_id_valid(v)) {
        CN_LOG(CN_LOG_ERROR, "key=" MGR_CLUSTER_ID_KEY ": not a cluster id record");
        json_decref(rec);
        return CN_ECORRUPT;
    }
    snprintf(id, MGR_CLUSTER_ID_LEN + 1, "%s", v);
    json_decref(rec);
    return 0;
}

/* Fills out from a link record (id: the key's); 0 or CN_ECORRUPT. */
static int link_of(const json_t *rec, const char *id, mgr_cluster_link_t *out)
{
    const json_t *mgrs = json_object_get(rec, "managers"), *m;
    const char *state = json_string_value(json_object_get(rec, "state"));
    const char *master = json_string_value(json_object_get(rec, "master"));
    const char *b64 = json_string_value(json_object_get(rec, "wrapped"));
    const char *rid = json_string_value(json_object_get(rec, "id"));
    const json_t *ca = json_object_get(rec, "ca");
    size_t i, off = 0, len = 0;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(rec) || rid == NULL || strcmp(rid, id) != 0 ||
        !mgr_clusters_id_valid(rid) || state == NULL || !state_valid(state) ||
        master == NULL || !master_valid(master) || b64 == NULL ||
        strlen(b64) != B64_WRAPPED_LEN || !json_is_array(mgrs) || json_array_size(mgrs) == 0 ||
        json_array_size(mgrs) > MGR_CLUSTER_MANAGERS_MAX ||
        !json_is_integer(json_object_get(rec, "created_ms")) ||
        (ca != NULL && !json_is_string(ca)) ||
        cn_base64_decode(b64, B64_WRAPPED_LEN, out->wrapped, sizeof(out->wrapped), &len) != 0 ||
        len != CN_SSE_WRAPPED_LEN)
        return CN_ECORRUPT;
    json_array_foreach(mgrs, i, m) {
        const char *s = json_string_value(m);
        int n = s != NULL ? snprintf(out->managers + off, sizeof(out->managers) - off, "%s%s",
                                     i ? "," : "", s)
                          : -1;

        if (n < 0 || (size_t)n >= sizeof(out->managers) - off)
            return CN_ECORRUPT;
        off += (size_t)n;
    }
    snprintf(out->id, sizeof(out->id), "%s", rid);
    snprintf(out->state, sizeof(out->state), "%s", state);
    snprintf(out->master, sizeof(out->master), "%s", master);
    return 0;
}

/* Reads l/<id> as JSON: 0 with *rec (json_decref it), CN_ENOENT, CN_ECORRUPT (logged),
 * CN_EIO; with out, also its fields. */
static int read_link(mgr_state_t *st, const char *id, json_t **rec, mgr_cluster_link_t *out)
{
    char key[LINK_KEY_LEN];
    mgr_cluster_link_t tmp;
    int rc;

    if (!mgr_clusters_id_valid(id))
        return CN_ENOENT;
    link_key(id, key);
    if ((rc = mgr_state_get_json(st, key, rec)) != 0) {
        if (rc == CN_ECORRUPT)
            CN_LOG(CN_LOG_ERROR, "key=%s: not a cluster link record", key);
        return rc;
    }
    if (link_of(*rec, id, out != NULL ? out : &tmp) != 0) {
        CN_LOG(CN_LOG_ERROR, "key=%s: not a cluster link record", key);
        json_decref(*rec);
        return CN_ECORRUPT;
    }
    return 0;
}

int mgr_clusters_get(mgr_state_t *st, const char *id, mgr_cluster_link_t *out)
{
    json_t *rec;
    int rc;

    if ((rc = read_link(st, id, &rec, out)) == 0)
        json_decref(rec);
    return rc;
}

static int count_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    (*(size_t *)arg)++;
    return 0;
}

size_t mgr_clusters_count(mgr_state_t *st)
{
    size_t n = 0;

    if (mgr_state_scan(st, MGR_CLUSTER_PREFIX, count_one, &n) != 0)
        return 0;
    return n;
}

/* The id part of a link key (klen bytes), into id; 0 or CN_ECORRUPT. */
static int id_of_key(const char *key, size_t klen, char id[MGR_CLUSTER_ID_LEN + 1])
{
    size_t plen = strlen(MGR_CLUSTER_PREFIX);

    if (klen != plen + MGR_CLUSTER_ID_LEN)
        return CN_ECORRUPT;
    memcpy(id, key + plen, MGR_CLUSTER_ID_LEN);
    id[MGR_CLUSTER_ID_LEN] = '\0';
    return mgr_clusters_id_valid(id) ? 0 : CN_ECORRUPT;
}

/* One link as the admin API shows it, from its record (checked). */
static json_t *link_json(const json_t *rec, const mgr_cluster_link_t *l)
{
    uint64_t created = (uint64_t)json_integer_value(json_object_get(rec, "created_ms"));
    uint64_t ok_ms = (uint64_t)json_integer_value(json_object_get(rec, "last_ok_ms"));
    const char *err = json_string_value(json_object_get(rec, "last_error"));
    char when[32], ok[32];

    cn_fmt_iso8601_ms(created, when, sizeof(when));
    cn_fmt_iso8601_ms(ok_ms, ok, sizeof(ok));
    return json_pack("{s:s, s:o, s:s, s:s, s:I, s:s, s:b, s:I, s:I, s:I, s:o, s:o, s:I}", "id",
                     l->id, "managers", managers_array(l->managers), "state", l->state,
                     "created", when, "created_ms", (json_int_t)created, "master", l->master,
                     "ca", json_is_string(json_object_get(rec, "ca")), "lag_objects",
                     json_integer_value(json_object_get(rec, "lag_objects")), "lag_seconds",
                     json_integer_value(json_object_get(rec, "lag_seconds")), "queue_bytes",
                     json_integer_value(json_object_get(rec, "queue_bytes")), "last_error",
                     err != NULL && err[0] != '\0' ? json_string(err) : json_null(), "last_ok",
                     ok_ms != 0 ? json_string(ok) : json_null(), "last_ok_ms",
                     (json_int_t)ok_ms);
}

json_t *mgr_clusters_link_json(mgr_state_t *st, const char *id, int *rc)
{
    mgr_cluster_link_t l;
    json_t *rec, *j;

    if ((*rc = read_link(st, id, &rec, &l)) != 0)
        return NULL;
    j = link_json(rec, &l);
    json_decref(rec);
    return j;
}

static int list_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    char id[MGR_CLUSTER_ID_LEN + 1];
    mgr_cluster_link_t l;
    json_t *rec = NULL;

    if (id_of_key(key, klen, id) != 0 || (rec = json_loadb(val, vlen, 0, NULL)) == NULL ||
        link_of(rec, id, &l) != 0) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a cluster link record", (int)klen, key);
        json_decref(rec);
        return CN_ECORRUPT;
    }
    json_array_append_new(arg, link_json(rec, &l));
    json_decref(rec);
    return 0;
}

json_t *mgr_clusters_list_json(mgr_state_t *st, int *rc)
{
    json_t *arr = json_array();

    if ((*rc = mgr_state_scan(st, MGR_CLUSTER_PREFIX, list_one, arr)) != 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int mgr_clusters_secret(mgr_state_t *st, const mgr_kms_masters_t *m, const char *id,
                        uint8_t secret[MGR_CLUSTER_SECRET_LEN])
{
    const mgr_kms_master_t *mk;
    mgr_cluster_link_t l;
    char aad[AAD_CAP];
    int rc;

    if (!m->cur.set)
        return CN_ENOTSUP;
    if ((rc = mgr_clusters_get(st, id, &l)) != 0)
        return rc;
    if ((mk = mgr_kms_masters_find(m, l.master)) == NULL) {
        CN_LOG(CN_LOG_ERROR, "cluster=%s master=%s: the link's secret is wrapped by a master "
               "this manager does not hold (current %s); give it that key file", id, l.master,
               m->cur.id);
        return CN_ECORRUPT;
    }
    if ((rc = cn_sse_unwrap(mk->key, l.wrapped, aad, mgr_clusters_aad(id, aad, sizeof(aad)),
                            secret)) != 0) {
        CN_LOG(CN_LOG_ERROR, "cluster=%s master=%s rc=%s: the link's secret does not unwrap",
               id, l.master, cn_strerror(rc));
        return CN_ECORRUPT;
    }
    return 0;
}

int mgr_clusters_ca(mgr_state_t *st, const char *id, char **pem, size_t *len)
{
    const char *ca;
    json_t *rec;
    int rc;

    if ((rc = read_link(st, id, &rec, NULL)) != 0)
        return rc;
    if ((ca = json_string_value(json_object_get(rec, "ca"))) == NULL) {
        json_decref(rec);
        return CN_ENOENT;
    }
    *len = strlen(ca);
    *pem = cn_strndup(ca, *len);
    json_decref(rec);
    return 0;
}

/* ---- for the storage nodes ---------------------------------------------------------------- */

static int sum_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    uint64_t *crc = arg;

    *crc = cn_crc64nvme(*crc, key, klen);
    *crc = cn_crc64nvme(*crc, val, vlen);
    return 0;
}

uint64_t mgr_clusters_sum(mgr_state_t *st)
{
    uint64_t crc = 0;
    int any = 0;
    char *val;
    size_t len;

    if (mgr_state_get(st, MGR_CLUSTER_ID_KEY, &val, &len) == 0) {
        sum_one(MGR_CLUSTER_ID_KEY, strlen(MGR_CLUSTER_ID_KEY), val, len, &crc);
        cn_free(val);
        any = 1;
    }
    if (mgr_clusters_count(st) > 0) {
        if (mgr_state_scan(st, MGR_CLUSTER_PREFIX, sum_one, &crc) != 0)
            return 0;
        any = 1;
    }
    return any && crc == 0 ? 1 : crc; /* 0 says "nothing": never for something */
}

struct links_scan {
    mgr_state_t *st;
    const mgr_kms_masters_t *m;
    json_t *arr;
};

static int links_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct links_scan *sc = arg;
    uint8_t secret[MGR_CLUSTER_SECRET_LEN];
    char id[MGR_CLUSTER_ID_LEN + 1], hex[2 * MGR_CLUSTER_SECRET_LEN + 1] = "";
    const char *ca;
    mgr_cluster_link_t l;
    json_t *rec = NULL, *o;

    if (id_of_key(key, klen, id) != 0 || (rec = json_loadb(val, vlen, 0, NULL)) == NULL ||
        link_of(rec, id, &l) != 0) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a cluster link record", (int)klen, key);
        json_decref(rec);
        return CN_ECORRUPT;
    }
    /* mgr_clusters_secret logs why a secret does not unwrap; the link is listed all the same */
    if (mgr_clusters_secret(sc->st, sc->m, id, secret) == 0)
        cn_hex(secret, sizeof(secret), hex);
    else
        CN_LOG(CN_LOG_WARN, "cluster=%s: the link's secret is not available; get_links lists "
               "it without one", id);
    OPENSSL_cleanse(secret, sizeof(secret));
    o = json_pack("{s:s, s:s, s:s, s:s}", "id", l.id, "state", l.state, "managers", l.managers,
                  "secret", hex);
    OPENSSL_cleanse(hex, sizeof(hex));
    if ((ca = json_string_value(json_object_get(rec, "ca"))) != NULL)
        json_object_set_new(o, "ca", json_string(ca));
    json_array_append_new(sc->arr, o);
    json_decref(rec);
    return 0;
}

json_t *mgr_clusters_links_json(mgr_state_t *st, const mgr_kms_masters_t *m, int *rc)
{
    struct links_scan sc = {st, m, json_array()};
    char id[MGR_CLUSTER_ID_LEN + 1] = "";
    json_t *j;

    *rc = mgr_clusters_id(st, id);
    if (*rc != 0 && *rc != CN_ENOENT) {
        json_decref(sc.arr);
        return NULL;
    }
    if (*rc == CN_ENOENT)
        id[0] = '\0';
    j = json_pack("{s:s, s:I, s:o}", "cluster_id", id, "sum",
                  (json_int_t)mgr_clusters_sum(st), "links", sc.arr);
    if ((*rc = mgr_state_scan(st, MGR_CLUSTER_PREFIX, links_one, &sc)) != 0) {
        mgr_clusters_links_wipe(j);
        json_decref(j);
        return NULL;
    }
    return j;
}

void mgr_clusters_links_wipe(json_t *j)
{
    json_t *l;
    size_t i;

    json_array_foreach(json_object_get(j, "links"), i, l) {
        json_t *v = json_object_get(l, "secret");
        /* the string's bytes are the object's own (jansson copies on json_string) */
        char *p = (char *)(uintptr_t)json_string_value(v);

        if (p != NULL)
            OPENSSL_cleanse(p, json_string_length(v));
    }
}

void mgr_clusters_live(json_t *link, const mgr_members_t *ms)
{
    const char *id = json_string_value(json_object_get(link, "id"));
    uint64_t lag_objects = 0, lag_seconds = 0, queue_bytes = 0, last_ok_ms = 0, err_ms = 0;
    char err[MGR_XDC_ERROR_MAX + CN_RING_NAME_MAX + 2] = "", ok[32];
    int needs_recover = 0, nodes = 0;

    if (id == NULL)
        return;
    for (size_t i = 0; i < ms->n; i++) {
        const mgr_member_t *m = &ms->v[i];

        for (size_t k = 0; m->have_xdc && k < m->n_xdc; k++) {
            const mgr_xdc_stat_t *x = &m->xdc[k];

            if (strcmp(x->id, id) != 0)
                continue;
            nodes++;
            lag_objects += x->lag_objects;
            queue_bytes += x->queue_bytes;
            lag_seconds = x->lag_seconds > lag_seconds ? x->lag_seconds : lag_seconds;
            last_ok_ms = x->last_ok_ms > last_ok_ms ? x->last_ok_ms : last_ok_ms;
            needs_recover |= x->needs_recover;
            if (x->last_error[0] != '\0' && (err[0] == '\0' || x->error_since_ms > err_ms)) {
                snprintf(err, sizeof(err), "%s: %s", m->name, x->last_error);
                err_ms = x->error_since_ms;
            }
        }
    }
    cn_fmt_iso8601_ms(last_ok_ms, ok, sizeof(ok));
    json_object_set_new(link, "lag_objects", json_integer((json_int_t)lag_objects));
    json_object_set_new(link, "lag_seconds", json_integer((json_int_t)lag_seconds));
    json_object_set_new(link, "queue_bytes", json_integer((json_int_t)queue_bytes));
    json_object_set_new(link, "last_error", err[0] != '\0' ? json_string(err) : json_null());
    json_object_set_new(link, "last_ok", last_ok_ms != 0 ? json_string(ok) : json_null());
    json_object_set_new(link, "last_ok_ms", json_integer((json_int_t)last_ok_ms));
    json_object_set_new(link, "needs_recover", json_boolean(needs_recover));
    json_object_set_new(link, "nodes_reporting", json_integer(nodes));
}

struct unknown_scan {
    const mgr_kms_masters_t *m;
    size_t n;
    char id[MGR_KMS_ID_LEN + 1];
};

static int unknown_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct unknown_scan *sc = arg;
    char id[MGR_CLUSTER_ID_LEN + 1];
    mgr_cluster_link_t l;
    json_t *rec = NULL;

    if (id_of_key(key, klen, id) == 0 && (rec = json_loadb(val, vlen, 0, NULL)) != NULL &&
        link_of(rec, id, &l) == 0 && mgr_kms_masters_find(sc->m, l.master) == NULL &&
        sc->n++ == 0)
        snprintf(sc->id, sizeof(sc->id), "%s", l.master);
    json_decref(rec);
    return 0;
}

size_t mgr_clusters_unknown_masters(mgr_state_t *st, const mgr_kms_masters_t *m,
                                    char id[MGR_KMS_ID_LEN + 1])
{
    struct unknown_scan sc = {m, 0, ""};

    mgr_state_scan(st, MGR_CLUSTER_PREFIX, unknown_one, &sc);
    snprintf(id, MGR_KMS_ID_LEN + 1, "%s", sc.id);
    return sc.n;
}

/* ---- proposers ---------------------------------------------------------------------------- */

int mgr_clusters_id_cmd(uint64_t now_ms, mgr_cmd_t *cmd)
{
    uint8_t b[MGR_CLUSTER_ID_LEN / 2];
    int rc;

    if ((rc = cn_random_bytes(b, sizeof(b))) != 0)
        return rc;
    mgr_cmd_init(cmd, MGR_CMD_CLUSTER_ID_SET);
    cn_hex(b, sizeof(b), cmd->cluster_id);
    cmd->created_ms = now_ms;
    return 0;
}

/* Checks a CA given as PEM: 0, or CN_EINVAL with the reason in why. The apply takes the
 * text as it is (it parses nothing it does not need); this is where a typo is caught. */
static int ca_check(const char *pem, size_t len, char *why, size_t whylen)
{
    BIO *bio;
    X509 *x;
    size_t n = 0;
    unsigned long e;

    if (len == 0 || len > MGR_CLUSTER_CA_MAX || memchr(pem, '\0', len) != NULL) {
        snprintf(why, whylen, "ca: %zu bytes; a CA is 1 to %u bytes of PEM text", len,
                 MGR_CLUSTER_CA_MAX);
        return CN_EINVAL;
    }
    /* the reads below skip PEM blocks of other kinds: a key pasted in would be kept */
    if (memmem(pem, len, "PRIVATE KEY", 11) != NULL) {
        snprintf(why, whylen, "ca: holds a private key; give the CA's certificate alone");
        return CN_EINVAL;
    }
    ERR_clear_error();
    if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
        return CN_ENOMEM;
    while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_free(x);
        n++;
    }
    e = ERR_peek_last_error();
    BIO_free(bio);
    ERR_clear_error();
    /* the loop ends at the first read that fails: clean only when no block is left */
    if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
        snprintf(why, whylen, "ca: certificate %zu in it does not parse", n + 1);
        return CN_EINVAL;
    }
    if (n == 0) {
        snprintf(why, whylen, "ca: no PEM certificate in it (-----BEGIN CERTIFICATE-----)");
        return CN_EINVAL;
    }
    return 0;
}

int mgr_clusters_join_cmd(mgr_state_t *st, const mgr_kms_masters_t *m,
                          const struct mgr_cluster_join *j, uint64_t now_ms, mgr_cmd_t *cmd,
                          char *why, size_t whylen)
{
    char canon[MGR_CLUSTER_MANAGERS_LEN + 1], own[MGR_CLUSTER_ID_LEN + 1], aad[AAD_CAP];
    mgr_cluster_link_t l;
    size_t n;
    int rc;

    why[0] = '\0';
    if (!mgr_clusters_id_valid(j->id)) {
        snprintf(why, whylen, "the remote cluster id '%.40s' is not 16 lower-case hex digits "
                 "(the remote's cairn-adm status shows its id)", j->id != NULL ? j->id : "");
        return CN_EINVAL;
    }
    if ((rc = managers_canon(j->managers != NULL ? j->managers : "", canon, why, whylen)) != 0)
        return rc;
    if (j->ca != NULL && (rc = ca_check(j->ca, j->ca_len, why, whylen)) != 0)
        return rc;
    if (!m->cur.set) {
        snprintf(why, whylen, "no master key on this manager to keep the link's secret under: "
                 "set [manager] sse_master_key_file on every manager");
        return CN_ENOTSUP;
    }
    if ((rc = mgr_clusters_id(st, own)) != 0) {
        snprintf(why, whylen, "%s", rc == CN_ENOENT ? "this cluster has no id yet (its leader "
                 "makes one within a second of starting); retry" : "cannot read this "
                 "cluster's id; see the manager log");
        return rc == CN_ENOENT ? CN_EAGAIN : CN_EIO;
    }
    if (strcmp(own, j->id) == 0) {
        snprintf(why, whylen, "%s is this cluster's own id: a cluster cannot link to itself",
                 own);
        return CN_EINVAL;
    }
    if ((rc = mgr_clusters_get(st, j->id, &l)) == 0 || rc == CN_ECORRUPT) {
        if (rc == 0 && strcmp(l.state, MGR_LINK_REMOVING) == 0)
            snprintf(why, whylen, "cluster %s is being removed; link it again once "
                     "cluster-status no longer lists it", j->id);
        else
            snprintf(why, whylen, "cluster %s is linked already%s", j->id,
                     rc == 0 ? "" : " (its record does not read; see the manager log)");
        return CN_EEXIST;
    }
    if (rc != CN_ENOENT)
        return rc;
    if ((n = mgr_clusters_count(st)) >= MGR_CLUSTER_LINKS_MAX) {
        snprintf(why, whylen, "this cluster has %zu links, the most it may have; remove one "
                 "first (remove-cluster)", n);
        return CN_ENOSPC;
    }
    mgr_cmd_init(cmd, MGR_CMD_CLUSTER_LINK_ADD);
    snprintf(cmd->link.id, sizeof(cmd->link.id), "%s", j->id);
    snprintf(cmd->link.managers, sizeof(cmd->link.managers), "%s", canon);
    snprintf(cmd->link.master, sizeof(cmd->link.master), "%s", m->cur.id);
    cmd->created_ms = now_ms;
    if ((rc = cn_sse_wrap(m->cur.key, j->secret, aad,
                          mgr_clusters_aad(j->id, aad, sizeof(aad)), cmd->link.wrapped)) != 0) {
        mgr_cmd_dispose(cmd);
        return CN_EIO;
    }
    if (j->ca != NULL)
        mgr_cmd_set_text(cmd, j->ca, j->ca_len);
    return 0;
}

void mgr_clusters_state_cmd(mgr_cmd_t *cmd, const char *id, const char *from, const char *to)
{
    mgr_cmd_init(cmd, MGR_CMD_CLUSTER_LINK_SET_STATE);
    snprintf(cmd->link.id, sizeof(cmd->link.id), "%s", id);
    snprintf(cmd->from, sizeof(cmd->from), "%s", from);
    snprintf(cmd->link.state, sizeof(cmd->link.state), "%s", to);
}

struct rewrap_scan {
    const mgr_kms_masters_t *m;
    mgr_cmd_t *cmd;
    size_t others;
    int rc;
};

static int rewrap_one(const char *key, size_t klen, const char *val, size_t vlen, void *arg)
{
    struct rewrap_scan *sc = arg;
    uint8_t secret[MGR_CLUSTER_SECRET_LEN];
    char id[MGR_CLUSTER_ID_LEN + 1], aad[AAD_CAP];
    mgr_cluster_link_t l;
    json_t *rec = NULL;
    size_t alen;
    int rc;

    if (id_of_key(key, klen, id) != 0 || (rec = json_loadb(val, vlen, 0, NULL)) == NULL ||
        link_of(rec, id, &l) != 0) {
        CN_LOG(CN_LOG_ERROR, "key=%.*s: not a cluster link record", (int)klen, key);
        json_decref(rec);
        return sc->rc = CN_ECORRUPT;
    }
    json_decref(rec);
    if (strcmp(l.master, sc->m->cur.id) == 0)
        return 0;
    if (!sc->m->prev.set || strcmp(l.master, sc->m->prev.id) != 0) {
        sc->others++;
        return 0;
    }
    alen = mgr_clusters_aad(id, aad, sizeof(aad));
    if ((rc = cn_sse_unwrap(sc->m->prev.key, l.wrapped, aad, alen, secret)) == 0)
        rc = cn_sse_wrap(sc->m->cur.key, secret, aad, alen, l.wrapped);
    OPENSSL_cleanse(secret, sizeof(secret));
    if (rc != 0) {
        CN_LOG(CN_LOG_ERROR, "cluster=%s master=%s rc=%s: the link's secret does not unwrap "
               "with the previous master; not rewrapped", id, l.master, cn_strerror(rc));
        return sc->rc = CN_ECORRUPT;
    }
    mgr_cmd_init(sc->cmd, MGR_CMD_CLUSTER_LINK_REWRAP);
    snprintf(sc->cmd->link.id, sizeof(sc->cmd->link.id), "%s", id);
    snprintf(sc->cmd->link.master, sizeof(sc->cmd->link.master), "%s", sc->m->cur.id);
    memcpy(sc->cmd->link.wrapped, l.wrapped, sizeof(l.wrapped));
    return 1; /* one link per entry */
}

int mgr_clusters_rewrap_cmd(mgr_state_t *st, const mgr_kms_masters_t *m, mgr_cmd_t *cmd,
                            size_t *others)
{
    struct rewrap_scan sc = {m, cmd, 0, 0};
    int rc;

    *others = 0;
    mgr_cmd_init(cmd, MGR_CMD_NONE);
    if (!m->cur.set)
        return CN_ENOTSUP;
    rc = mgr_state_scan(st, MGR_CLUSTER_PREFIX, rewrap_one, &sc);
    if (sc.rc != 0 || rc < 0) {
        mgr_cmd_dispose(cmd);
        return sc.rc != 0 ? sc.rc : rc;
    }
    *others = sc.others;
    return 0;
}

/* ---- the leader's duty -------------------------------------------------------------------- */

static void duty_done(void *arg, int rc, int why)
{
    (void)why;
    *(int *)arg = 0;
    if (rc != 0 && rc != CN_ENOTLEADER && rc != CN_ECANCELED && rc != CN_EEXIST)
        CN_LOG(CN_LOG_WARN, "rc=%s: a cluster entry of the leader was not applied; it is "
               "proposed again", cn_strerror(rc));
}

static int first_removing(const char *key, size_t klen, const char *val, size_t vlen,
                          void *arg)
{
    char *out = arg;
    mgr_cluster_link_t l;
    json_t *rec;
    int found;

    if (id_of_key(key, klen, out) != 0 || (rec = json_loadb(val, vlen, 0, NULL)) == NULL)
        return 0;
    found = link_of(rec, out, &l) == 0 && strcmp(l.state, MGR_LINK_REMOVING) == 0;
    json_decref(rec);
    return found;
}

void mgr_clusters_cron(mgr_fsm_t *f, int *busy, uint64_t now_ms)
{
    mgr_state_t *st = mgr_fsm_state(f);
    char id[MGR_CLUSTER_ID_LEN + 1];
    mgr_cmd_t c;

    if (*busy)
        return;
    if (mgr_clusters_id(st, id) == CN_ENOENT) {
        if (mgr_clusters_id_cmd(now_ms, &c) != 0)
            return; /* no randomness now: the next call */
        CN_LOG(CN_LOG_INFO, "cluster_id=%s: this cluster has no id yet; proposing one",
               c.cluster_id);
        *busy = 1;
        mgr_fsm_propose(f, &c, duty_done, busy);
        mgr_cmd_dispose(&c);
        return;
    }
    /* a removing link: nothing sends over it (no sender exists yet), so it goes at once;
     * the sender, once built, holds this until it has stopped for the link */
    if (mgr_state_scan(st, MGR_CLUSTER_PREFIX, first_removing, id) != 1)
        return;
    mgr_cmd_init(&c, MGR_CMD_CLUSTER_LINK_DELETE);
    snprintf(c.link.id, sizeof(c.link.id), "%s", id);
    CN_LOG(CN_LOG_INFO, "cluster=%s: link being removed; dropping it", id);
    *busy = 1;
    mgr_fsm_propose(f, &c, duty_done, busy);
    mgr_cmd_dispose(&c);
}

/* ---- apply -------------------------------------------------------------------------------- */

/* Adds l/<id> = rec to b and releases rec. 0. */
static int put_link(mgr_batch_t *b, const char *id, json_t *rec)
{
    char key[LINK_KEY_LEN];

    link_key(id, key);
    mgr_batch_put_json(b, key, rec);
    json_decref(rec);
    return 0;
}

static int apply_id_set(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char id[MGR_CLUSTER_ID_LEN + 1];
    json_t *rec;
    int rc;

    if (!mgr_clusters_id_valid(c->cluster_id))
        return CN_EINVAL;
    if ((rc = mgr_clusters_id(st, id)) == 0 || rc == CN_ECORRUPT)
        return CN_EEXIST; /* an id is never replaced by an entry */
    if (rc != CN_ENOENT)
        return rc;
    rec = json_pack("{s:s, s:I}", "id", c->cluster_id, "created_ms", (json_int_t)c->created_ms);
    mgr_batch_put_json(b, MGR_CLUSTER_ID_KEY, rec);
    json_decref(rec);
    return 0;
}

static int apply_add(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char canon[MGR_CLUSTER_MANAGERS_LEN + 1], own[MGR_CLUSTER_ID_LEN + 1],
        b64[B64_WRAPPED_LEN + 1], why[400];
    mgr_cluster_link_t l;
    json_t *rec;
    int rc;

    if (!mgr_clusters_id_valid(c->link.id) || !master_valid(c->link.master) ||
        managers_canon(c->link.managers, canon, why, sizeof(why)) != 0 ||
        (c->text != NULL && (c->text_len > MGR_CLUSTER_CA_MAX ||
                             strstr(c->text, "-----BEGIN CERTIFICATE-----") == NULL)))
        return CN_EINVAL;
    if ((rc = mgr_clusters_id(st, own)) == CN_EIO)
        return rc;
    if (rc != 0)
        return CN_EAGAIN;
    if (strcmp(own, c->link.id) == 0)
        return CN_EINVAL;
    if ((rc = mgr_clusters_get(st, c->link.id, &l)) == 0 || rc == CN_ECORRUPT)
        return CN_EEXIST;
    if (rc != CN_ENOENT)
        return rc;
    if (mgr_clusters_count(st) >= MGR_CLUSTER_LINKS_MAX)
        return CN_ENOSPC;
    EVP_EncodeBlock((unsigned char *)b64, c->link.wrapped, CN_SSE_WRAPPED_LEN);
    rec = json_pack("{s:s, s:o, s:s, s:I, s:s, s:s, s:i, s:i, s:i, s:s, s:i}", "id",
                    c->link.id, "managers", managers_array(canon), "state", MGR_LINK_LINKED,
                    "created_ms", (json_int_t)c->created_ms, "master", c->link.master,
                    "wrapped", b64, "lag_objects", 0, "lag_seconds", 0, "queue_bytes", 0,
                    "last_error", "", "last_ok_ms", 0);
    /* an entry's bytes are not trusted: a host name or a CA that is not UTF-8 is no JSON */
    if (rec == NULL ||
        (c->text != NULL && json_object_set_new(rec, "ca", json_stringn(c->text,
                                                                        c->text_len)) != 0)) {
        json_decref(rec);
        return CN_EINVAL;
    }
    return put_link(b, c->link.id, rec);
}

static int apply_set_state(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    mgr_cluster_link_t l;
    json_t *rec;
    int rc;

    /* the one change of state there is: linked -> removing */
    if (strcmp(c->from, MGR_LINK_LINKED) != 0 || strcmp(c->link.state, MGR_LINK_REMOVING) != 0)
        return CN_EINVAL;
    if ((rc = read_link(st, c->link.id, &rec, &l)) != 0)
        return rc == CN_ECORRUPT ? CN_EINVAL : rc;
    if (strcmp(l.state, c->from) != 0) {
        json_decref(rec);
        return CN_EBUSY;
    }
    json_object_set_new(rec, "state", json_string(c->link.state));
    return put_link(b, c->link.id, rec);
}

static int apply_delete(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char key[LINK_KEY_LEN];
    mgr_cluster_link_t l;
    int rc;

    if ((rc = mgr_clusters_get(st, c->link.id, &l)) != 0)
        return rc == CN_ECORRUPT ? CN_EINVAL : rc;
    if (strcmp(l.state, MGR_LINK_REMOVING) != 0)
        return CN_EBUSY;
    link_key(c->link.id, key);
    mgr_batch_del(b, key);
    return 0;
}

static int apply_rewrap(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    char b64[B64_WRAPPED_LEN + 1];
    json_t *rec;
    int rc;

    if (!master_valid(c->link.master))
        return CN_EINVAL;
    if ((rc = read_link(st, c->link.id, &rec, NULL)) != 0)
        return rc == CN_ECORRUPT ? CN_EINVAL : rc;
    EVP_EncodeBlock((unsigned char *)b64, c->link.wrapped, CN_SSE_WRAPPED_LEN);
    json_object_set_new(rec, "master", json_string(c->link.master));
    json_object_set_new(rec, "wrapped", json_string(b64));
    return put_link(b, c->link.id, rec);
}

int mgr__clusters_apply(mgr_state_t *st, const mgr_cmd_t *c, mgr_batch_t *b)
{
    switch (c->kind) {
    case MGR_CMD_CLUSTER_ID_SET:
        return apply_id_set(st, c, b);
    case MGR_CMD_CLUSTER_LINK_ADD:
        return apply_add(st, c, b);
    case MGR_CMD_CLUSTER_LINK_SET_STATE:
        return apply_set_state(st, c, b);
    case MGR_CMD_CLUSTER_LINK_DELETE:
        return apply_delete(st, c, b);
    case MGR_CMD_CLUSTER_LINK_REWRAP:
        return apply_rewrap(st, c, b);
    default:
        return CN_EINVAL;
    }
}
