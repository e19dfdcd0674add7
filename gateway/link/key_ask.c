/*
 * gateway/link/key_ask.c: one question to the manager per unknown access key (see key_ask.h).
 * The negative cache is an open-addressing table: a key's slots are the GW_KEYASK_PROBE after
 * its FNV-1a hash; a lookup compares keys (no false hit), an insert takes the key's own slot,
 * else a free or expired one, else the one that expires first. Keys in flight are a short list
 * (at most GW_KEYASK_MAX_ASKING), each with the requests waiting on its answer.
 */
#include "gateway/gateway.h"

#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

struct gw_keyask_waiter {
    gw_keyask_fn done;
    void *arg;
    struct gw_keyask_waiter *next;
};

struct gw_keyask_q {
    gw_server_t *s;
    char key[GW_KEYASK_KEY_MAX];
    struct gw_keyask_waiter *waiters;
    struct gw_keyask_q *next;
};

static size_t slot_of(const char *key)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return (size_t)(h % GW_KEYASK_NEG_SLOTS);
}

/* The live negative entry of key, or NULL. */
static struct gw_keyask_neg *neg_find(struct gw_keyask *k, const char *key, uint64_t now)
{
    size_t at = slot_of(key);

    for (size_t i = 0; k->neg != NULL && i < GW_KEYASK_PROBE; i++) {
        struct gw_keyask_neg *e = &k->neg[(at + i) % GW_KEYASK_NEG_SLOTS];

        if (e->until_ms > now && strcmp(e->key, key) == 0)
            return e;
    }
    return NULL;
}

static void neg_put(struct gw_keyask *k, const char *key, int rc, uint64_t now)
{
    size_t at = slot_of(key);
    struct gw_keyask_neg *victim = NULL;

    if (k->neg == NULL)
        k->neg = cn_calloc(GW_KEYASK_NEG_SLOTS, sizeof(*k->neg));
    for (size_t i = 0; i < GW_KEYASK_PROBE; i++) {
        struct gw_keyask_neg *e = &k->neg[(at + i) % GW_KEYASK_NEG_SLOTS];

        if (strcmp(e->key, key) == 0 || e->until_ms <= now) {
            victim = e;
            break;
        }
        if (victim == NULL || e->until_ms < victim->until_ms)
            victim = e;
    }
    snprintf(victim->key, sizeof(victim->key), "%s", key);
    victim->until_ms = now + GW_KEYASK_NEG_MS;
    victim->rc = rc;
}

static void on_answer(int status, cn_msg_t *resp, void *arg)
{
    struct gw_keyask_q *q = arg, **pp;
    gw_server_t *s = q->s;
    struct gw_keyask *k = &s->keyask;
    struct gw_keyask_waiter *w, *next;
    int rc = status ? status : cn_msg_rc(resp);

    if (rc == 0)
        gw_mgr_user_learn(s, resp);
    else if (!s->stopping)
        neg_put(k, q->key, rc, cn_mono_ms());
    if (rc != 0 && rc != CN_ENOENT)
        CN_LOG(CN_LOG_WARN, "get_key: %s; the key is refused for %d ms", cn_strerror(rc),
               GW_KEYASK_NEG_MS);
    for (pp = &k->asking; *pp != q; pp = &(*pp)->next)
        ;
    *pp = q->next;
    k->nasking--;
    if (resp)
        cn_msg_free(resp);
    for (w = q->waiters; w != NULL; w = next) {
        next = w->next;
        w->done(w->arg, rc);
        cn_free(w);
    }
    cn_free(q);
}

int gw_keyask_ask(gw_server_t *s, const char *key, gw_keyask_fn done, void *arg)
{
    struct gw_keyask *k = &s->keyask;
    struct gw_keyask_neg *e;
    struct gw_keyask_waiter *w;
    struct gw_keyask_q *q;
    cn_msg_t *m;

    if (strlen(key) >= GW_KEYASK_KEY_MAX)
        return CN_ENAMETOOLONG;
    if ((e = neg_find(k, key, cn_mono_ms())) != NULL) {
        k->remembered++;
        return e->rc;
    }
    for (q = k->asking; q != NULL && strcmp(q->key, key) != 0; q = q->next)
        ;
    if (q == NULL) {
        if (k->nasking >= GW_KEYASK_MAX_ASKING)
            return CN_EAGAIN;
        q = cn_calloc(1, sizeof(*q));
        q->s = s;
        snprintf(q->key, sizeof(q->key), "%s", key);
        q->next = k->asking;
        k->asking = q;
        k->nasking++;
        k->asked++;
        m = cn_msg_new(CN_OP_GET_KEY);
        cn_msg_set_str(m, "key", key);
        gw_mgr_call(s, m, on_answer, q);
    }
    w = cn_calloc(1, sizeof(*w));
    w->done = done;
    w->arg = arg;
    w->next = q->waiters;
    q->waiters = w;
    return 0;
}

void gw_keyask_dispose(gw_server_t *s)
{
    cn_free(s->keyask.neg);
    s->keyask.neg = NULL;
}
