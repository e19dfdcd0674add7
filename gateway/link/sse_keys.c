/*
 * gateway/link/sse_keys.c: the key service's client (see sse_keys.h). The cache is an
 * open-addressing table keyed by (origin, name, epoch asked): an entry's slots are the
 * GW_SSEKEY_PROBE after the FNV-1a hash of the three; a lookup compares them (no false hit); a
 * store takes the entry's own slot, else a free or expired one, else the one usable for the
 * shortest time, wiping what it replaces. Questions in flight are a short list (at most
 * GW_SSEKEY_MAX_ASKING), each with the requests waiting on its answer.
 * Invariant: a slot whose name is "" holds no key bytes (wiped).
 */
#include "gateway/gateway.h"

#include <string.h>
#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

struct gw_ssekey_waiter {
    gw_ssekey_fn done;
    void *arg;
    struct gw_ssekey_waiter *next;
};

struct gw_ssekey_q {
    gw_server_t *s;
    char origin[GW_SSEKEY_ORIGIN_LEN + 1];
    char name[CN_KMS_NAME_MAX + 1];
    uint32_t epoch;
    int create;
    struct gw_ssekey_waiter *waiters;
    struct gw_ssekey_q *next;
};

/* ---- the cache ---------------------------------------------------------------------------- */

static size_t slot_of(const char *origin, const char *name, uint32_t asked)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (const unsigned char *p = (const unsigned char *)origin; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    h = (h ^ '|') * 0x100000001b3ull; /* never in a name nor an id */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    for (int i = 0; i < 4; i++)
        h = (h ^ ((asked >> (8 * i)) & 0xff)) * 0x100000001b3ull;
    return (size_t)(h % GW_SSEKEY_SLOTS);
}

static struct gw_ssekey_ent *ent_at(struct gw_ssekeys *c, size_t at, size_t i)
{
    return &c->ents[(at + i) % GW_SSEKEY_SLOTS];
}

static void ent_wipe(struct gw_ssekey_ent *e)
{
    OPENSSL_cleanse(e, sizeof(*e));
}

static int ent_is(const struct gw_ssekey_ent *e, const char *origin, const char *name,
                  uint32_t asked)
{
    return e->k.name[0] != '\0' && e->asked == asked && strcmp(e->k.name, name) == 0 &&
           strcmp(e->k.origin, origin) == 0;
}

int gw__ssekey_lookup(struct gw_ssekeys *c, const char *name, uint32_t asked, uint64_t now_ms,
                      int stale_ok, gw_ssekey_t *out)
{
    return gw__ssekey_lookup_of(c, "", name, asked, now_ms, stale_ok, out);
}

int gw__ssekey_lookup_of(struct gw_ssekeys *c, const char *origin, const char *name,
                         uint32_t asked, uint64_t now_ms, int stale_ok, gw_ssekey_t *out)
{
    size_t at = slot_of(origin, name, asked);

    for (size_t i = 0; c->ents != NULL && i < GW_SSEKEY_PROBE; i++) {
        struct gw_ssekey_ent *e = ent_at(c, at, i);

        if (!ent_is(e, origin, name, asked))
            continue;
        if (e->usable_ms <= now_ms) { /* past its bound: the key goes now */
            ent_wipe(e);
            return 0;
        }
        if (e->fresh_ms <= now_ms && !stale_ok)
            return 0;
        if (e->rc != 0)
            return e->fresh_ms > now_ms ? e->rc : 0;
        *out = e->k;
        return 1;
    }
    return 0;
}

void gw_ssekey_forget_neg(gw_server_t *s, const char *origin, const char *name,
                          uint32_t epoch)
{
    struct gw_ssekeys *c = &s->ssekeys;
    size_t at = slot_of(origin, name, epoch);

    for (size_t i = 0; c->ents != NULL && i < GW_SSEKEY_PROBE; i++) {
        struct gw_ssekey_ent *e = ent_at(c, at, i);

        if (ent_is(e, origin, name, epoch) && e->rc != 0)
            ent_wipe(e);
    }
}

static void put(struct gw_ssekeys *c, const char *origin, const char *name, uint32_t asked,
                int rc, const gw_ssekey_t *k, uint64_t now_ms, uint64_t fresh_ms,
                uint64_t usable_ms)
{
    size_t at = slot_of(origin, name, asked);
    struct gw_ssekey_ent *victim = NULL;

    if (c->ents == NULL)
        c->ents = cn_calloc(GW_SSEKEY_SLOTS, sizeof(*c->ents));
    for (size_t i = 0; i < GW_SSEKEY_PROBE; i++) {
        struct gw_ssekey_ent *e = ent_at(c, at, i);

        if (ent_is(e, origin, name, asked) || e->k.name[0] == '\0' || e->usable_ms <= now_ms) {
            victim = e;
            break;
        }
        if (victim == NULL || e->usable_ms < victim->usable_ms)
            victim = e;
    }
    ent_wipe(victim);
    if (k != NULL)
        victim->k = *k;
    snprintf(victim->k.name, sizeof(victim->k.name), "%s", name);
    snprintf(victim->k.origin, sizeof(victim->k.origin), "%s", origin);
    victim->asked = asked;
    victim->rc = rc;
    victim->fresh_ms = fresh_ms;
    victim->usable_ms = usable_ms;
}

void gw__ssekey_store(struct gw_ssekeys *c, const char *name, uint32_t asked, int rc,
                      const gw_ssekey_t *k, uint64_t now_ms, uint64_t bound_ms)
{
    gw__ssekey_store_of(c, "", name, asked, rc, k, now_ms, bound_ms);
}

void gw__ssekey_store_of(struct gw_ssekeys *c, const char *origin, const char *name,
                         uint32_t asked, int rc, const gw_ssekey_t *k, uint64_t now_ms,
                         uint64_t bound_ms)
{
    uint64_t newest_ms = bound_ms < GW_SSEKEY_NEWEST_MS ? bound_ms : GW_SSEKEY_NEWEST_MS;

    if (rc != 0) {
        put(c, origin, name, asked, rc, NULL, now_ms, now_ms + GW_SSEKEY_NEG_MS,
            now_ms + GW_SSEKEY_NEG_MS);
        return;
    }
    if (bound_ms == 0)
        return;
    put(c, origin, name, k->epoch, 0, k, now_ms, now_ms + bound_ms, now_ms + bound_ms);
    if (asked == 0)
        put(c, origin, name, 0, 0, k, now_ms, now_ms + newest_ms, now_ms + bound_ms);
}

size_t gw__ssekey_count(const struct gw_ssekeys *c)
{
    size_t n = 0;

    for (size_t i = 0; c->ents != NULL && i < GW_SSEKEY_SLOTS; i++)
        n += c->ents[i].k.name[0] != '\0' && c->ents[i].rc == 0;
    return n;
}

void gw__ssekey_clear(struct gw_ssekeys *c)
{
    if (c->ents != NULL)
        OPENSSL_cleanse(c->ents, GW_SSEKEY_SLOTS * sizeof(*c->ents));
    cn_free(c->ents);
    c->ents = NULL;
}

void gw_ssekey_wipe(gw_ssekey_t *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}

/* ---- asking ------------------------------------------------------------------------------- */

/* 1 for an answer the managers decided (kept GW_SSEKEY_NEG_MS), 0 for a failure to ask. */
static int is_answer(int rc)
{
    return rc == CN_ENOENT || rc == CN_ENOTSUP || rc == CN_ECORRUPT || rc == CN_EPERM ||
           rc == CN_EINVAL;
}

/* The key of a kms_key reply to q into k: 0 or CN_EPROTO. */
static int reply_key(const struct gw_ssekey_q *q, const cn_msg_t *resp, gw_ssekey_t *k)
{
    cn_slice_t key;
    uint64_t epoch = 0;

    if (cn_msg_get_u64(resp, "epoch", &epoch) != 0 || epoch == 0 || epoch > UINT32_MAX ||
        (q->epoch != 0 && epoch != q->epoch) || cn_msg_get_bytes(resp, "key", &key) != 0 ||
        key.len != CN_SSE_KEY_LEN)
        return CN_EPROTO;
    snprintf(k->origin, sizeof(k->origin), "%s", q->origin);
    snprintf(k->name, sizeof(k->name), "%s", q->name);
    k->epoch = (uint32_t)epoch;
    memcpy(k->kek, key.ptr, CN_SSE_KEY_LEN);
    return 0;
}

static void on_answer(int status, cn_msg_t *resp, void *arg)
{
    struct gw_ssekey_q *q = arg, **pp;
    gw_server_t *s = q->s;
    struct gw_ssekeys *c = &s->ssekeys;
    struct gw_ssekey_waiter *w, *next;
    uint64_t now = cn_mono_ms();
    gw_ssekey_t k;
    int rc = status ? status : cn_msg_rc(resp);

    memset(&k, 0, sizeof(k));
    if (rc == 0)
        rc = reply_key(q, resp, &k);
    if (resp != NULL)
        cn_msg_free(resp);
    if (!s->stopping && (rc == 0 || is_answer(rc))) {
        gw__ssekey_store_of(c, q->origin, q->name, q->epoch, rc, &k, now,
                            s->conf.sse_key_cache_s * 1000);
    } else if (!s->stopping &&
               gw__ssekey_lookup_of(c, q->origin, q->name, q->epoch, now, 1, &k) == 1) {
        CN_LOG(CN_LOG_WARN, "kms=%s rc=%s: no manager answered; the epoch known before is "
               "served until its bound passes", q->name, cn_strerror(rc));
        c->stale++;
        rc = 0;
    } else if (rc != CN_ECANCELED) {
        CN_LOG(CN_LOG_WARN, "kms=%s epoch=%u kms_key: %s", q->name, q->epoch,
               cn_strerror(rc));
    }
    for (pp = &c->asking; *pp != q; pp = &(*pp)->next)
        ;
    *pp = q->next;
    c->nasking--;
    for (w = q->waiters; w != NULL; w = next) {
        next = w->next;
        w->done(w->arg, rc, rc == 0 ? &k : NULL);
        cn_free(w);
    }
    gw_ssekey_wipe(&k);
    cn_free(q);
}

/* 1 for "" or a cluster id: 16 lower-case hex digits. */
static int origin_valid(const char *origin)
{
    size_t n = strspn(origin, "0123456789abcdef");

    return origin[n] == '\0' && (n == 0 || n == GW_SSEKEY_ORIGIN_LEN);
}

int gw_ssekey_get(gw_server_t *s, const char *name, uint32_t epoch, int create,
                  gw_ssekey_fn done, void *arg, gw_ssekey_t *hit)
{
    return gw_ssekey_get_of(s, "", name, epoch, create, done, arg, hit);
}

int gw_ssekey_get_of(gw_server_t *s, const char *origin, const char *name, uint32_t epoch,
                     int create, gw_ssekey_fn done, void *arg, gw_ssekey_t *hit)
{
    struct gw_ssekeys *c = &s->ssekeys;
    struct gw_ssekey_waiter *w;
    struct gw_ssekey_q *q;
    cn_msg_t *m;
    int rc;

    if (!cn_kms_name_valid(name) || !origin_valid(origin) ||
        (create && (strcmp(name, CN_KMS_BUILTIN) != 0 || origin[0] != '\0')))
        return CN_EINVAL;
    rc = gw__ssekey_lookup_of(c, origin, name, epoch, cn_mono_ms(), 0, hit);
    if (rc != 0 && !(create && rc == CN_ENOENT)) { /* a create asks what a read was told */
        c->hits += rc == 1;
        return rc;
    }
    for (q = c->asking; q != NULL; q = q->next)
        if (q->epoch == epoch && q->create >= create && strcmp(q->name, name) == 0 &&
            strcmp(q->origin, origin) == 0)
            break;
    if (q == NULL && c->nasking >= GW_SSEKEY_MAX_ASKING)
        return CN_EAGAIN;
    w = cn_calloc(1, sizeof(*w));
    w->done = done;
    w->arg = arg;
    if (q != NULL) { /* asked already: wait for that answer */
        w->next = q->waiters;
        q->waiters = w;
        return 0;
    }
    q = cn_calloc(1, sizeof(*q));
    q->s = s;
    snprintf(q->origin, sizeof(q->origin), "%s", origin);
    snprintf(q->name, sizeof(q->name), "%s", name);
    q->epoch = epoch;
    q->create = create != 0;
    q->waiters = w; /* before the call: its answer finds every waiter, whenever it comes */
    q->next = c->asking;
    c->asking = q;
    c->nasking++;
    c->asked++;
    m = cn_msg_new(CN_OP_KMS_KEY);
    if (origin[0] != '\0')
        cn_msg_set_str(m, "origin", origin);
    cn_msg_set_str(m, "name", name);
    cn_msg_set_u64(m, "epoch", epoch);
    cn_msg_set_u64(m, "create", q->create);
    gw_mgr_call(s, m, on_answer, q);
    return 0;
}

void gw_ssekey_dispose(gw_server_t *s)
{
    gw__ssekey_clear(&s->ssekeys);
}
