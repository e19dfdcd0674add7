/*
 * common/objlock.c: object lock (see objlock.h): the lock pairs of a version's metadata and
 * the one decision whether a write may delete or replace it. Hostile input: the metadata is
 * checked by cn_msgpack_check before msgpack-c unpacks it (no allocation driven by its
 * lengths), a pair that does not read locks the version as hard as possible.
 */
#include "common/objlock.h"

#include <msgpack.h>
#include <string.h>

#include "common/err.h"
#include "common/msgpack_check.h"

const char *cn_lock_mode_name(cn_lock_mode_t m)
{
    return m == CN_LOCK_GOVERNANCE ? "GOVERNANCE" : m == CN_LOCK_COMPLIANCE ? "COMPLIANCE" : "";
}

cn_lock_mode_t cn_lock_mode_parse(const char *s, size_t n, int *ok)
{
    *ok = 1;
    if (n == 10 && memcmp(s, "GOVERNANCE", 10) == 0)
        return CN_LOCK_GOVERNANCE;
    if (n == 10 && memcmp(s, "COMPLIANCE", 10) == 0)
        return CN_LOCK_COMPLIANCE;
    *ok = 0;
    return CN_LOCK_NONE;
}

static int key_is(const msgpack_object *o, const char *name)
{
    size_t n = strlen(name);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           memcmp(o->via.str.ptr, name, n) == 0;
}

/* A decimal u64 of at most 19 digits: 0, or -1. */
static int parse_ms(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* One lock pair into out: 0, or -1 when it does not read. */
static int read_pair(const msgpack_object_kv *kv, cn_lock_t *out)
{
    const msgpack_object *v = &kv->val;
    int ok;

    if (!key_is(&kv->key, CN_LOCK_META_MODE) && !key_is(&kv->key, CN_LOCK_META_UNTIL) &&
        !key_is(&kv->key, CN_LOCK_META_HOLD))
        return 0; /* not a lock pair */
    if (v->type != MSGPACK_OBJECT_STR)
        return -1;
    if (key_is(&kv->key, CN_LOCK_META_MODE)) {
        out->mode = cn_lock_mode_parse(v->via.str.ptr, v->via.str.size, &ok);
        return ok ? 0 : -1;
    }
    if (key_is(&kv->key, CN_LOCK_META_UNTIL))
        return parse_ms(v->via.str.ptr, v->via.str.size, &out->until_ms);
    if (v->via.str.size == 2 && memcmp(v->via.str.ptr, "ON", 2) == 0)
        out->legal_hold = 1;
    else if (!(v->via.str.size == 3 && memcmp(v->via.str.ptr, "OFF", 3) == 0))
        return -1;
    return 0;
}

int cn_lock_from_meta(const void *meta, size_t len, cn_lock_t *out)
{
    msgpack_unpacked u;
    size_t off = 0, used;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (len == 0)
        return 0;
    msgpack_unpacked_init(&u);
    if (cn_msgpack_check(meta, len, &used) != 0 ||
        msgpack_unpack_next(&u, meta, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        u.data.type != MSGPACK_OBJECT_MAP)
        rc = CN_ECORRUPT;
    for (uint32_t i = 0; rc == 0 && i < u.data.via.map.size; i++)
        if (read_pair(&u.data.via.map.ptr[i], out) != 0)
            rc = CN_ECORRUPT;
    msgpack_unpacked_destroy(&u);
    /* a retention needs both halves: a mode without a date (or the reverse) is unreadable */
    if (rc == 0 && (out->mode == CN_LOCK_NONE) != (out->until_ms == 0))
        rc = CN_ECORRUPT;
    if (rc != 0)
        *out = (cn_lock_t){CN_LOCK_COMPLIANCE, UINT64_MAX, 1};
    return rc;
}

static int retention_active(const cn_lock_t *l, uint64_t now_ms)
{
    return l->mode != CN_LOCK_NONE && l->until_ms > now_ms;
}

int cn_lock_active(const cn_lock_t *l, uint64_t now_ms)
{
    return l->legal_hold || retention_active(l, now_ms);
}

/* 1 when next keeps at least cur's retention: the same or a later date, and COMPLIANCE
 * stays COMPLIANCE. */
static int keeps_retention(const cn_lock_t *cur, const cn_lock_t *next)
{
    if (next->mode == CN_LOCK_NONE || next->until_ms < cur->until_ms)
        return 0;
    return !(cur->mode == CN_LOCK_COMPLIANCE && next->mode != CN_LOCK_COMPLIANCE);
}

int cn_lock_allows(const cn_lock_t *cur, const cn_lock_t *next, int same_content, int bypass,
                   uint64_t now_ms)
{
    int retained = retention_active(cur, now_ms);
    int governance_only = cur->mode == CN_LOCK_GOVERNANCE;

    if (!cn_lock_active(cur, now_ms))
        return 0;
    if (next == NULL || !same_content) {
        /* the version would go: only a bypassed GOVERNANCE retention lets it */
        if (cur->legal_hold)
            return CN_EPERM;
        return governance_only && bypass ? 0 : CN_EPERM;
    }
    /* a metadata rewrite: the legal hold is the gateway's to change; the retention may only
     * grow, but for a bypassed GOVERNANCE one */
    if (!retained || keeps_retention(cur, next))
        return 0;
    return governance_only && bypass ? 0 : CN_EPERM;
}
