/*
 * storage/engine/list_walk.c: the listing walk over "kind + key" RocksDB records (see list_walk.h).
 * Entries are gathered first (the msgpack array header needs their count), then encoded.
 * Threads: RocksDB is thread-safe; nothing here holds a lock.
 */
#include "storage/engine/list_walk.h"

#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/rocks_err.h"

/* One gathered entry: its key lives in listing.keys at koff, its picked metadata in
 * listing.picks at moff (the buffers may move). */
struct lent {
    size_t koff, klen, moff, mlen;
    cn_list_entry_t e;
};

struct listing {
    struct lent *v;
    size_t n, cap;
    cn_buf_t keys, picks;
};

static int slice_cmp(cn_slice_t a, cn_slice_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;

    if (c != 0)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* kind + key into buf (at least STOR_KEY_MAX + 1 bytes) */
static size_t mk_key(char *buf, char kind, cn_slice_t key)
{
    buf[0] = kind;
    memcpy(buf + 1, key.ptr, key.len);
    return key.len + 1;
}

/* The smallest byte string greater than every string starting with kind + key: strip
 * trailing 0xff bytes and increment the last one. Returns 0 when there is none. */
static size_t successor(char kind, cn_slice_t key, char *out)
{
    size_t len = mk_key(out, kind, key);

    while (len > 0 && (uint8_t)out[len - 1] == 0xff)
        len--;
    if (len == 0)
        return 0;
    out[len - 1] = (char)((uint8_t)out[len - 1] + 1);
    return len;
}

static cn_list_entry_t *listing_add(struct listing *l, cn_slice_t key)
{
    struct lent *le;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = cn_realloc(l->v, l->cap * sizeof(*l->v));
    }
    le = &l->v[l->n++];
    memset(le, 0, sizeof(*le));
    le->koff = l->keys.len;
    le->klen = key.len;
    cn_buf_append(&l->keys, key.ptr, key.len);
    return &le->e;
}

static void listing_encode(struct listing *l, cn_buf_t *out)
{
    cn_list_encode_begin(out, l->n);
    for (size_t i = 0; i < l->n; i++) {
        l->v[i].e.key = cn_slice(l->keys.data + l->v[i].koff, l->v[i].klen);
        l->v[i].e.meta = l->v[i].mlen ? cn_slice(l->picks.data + l->v[i].moff, l->v[i].mlen)
                                      : cn_slice(NULL, 0);
        cn_list_encode_entry(out, &l->v[i].e);
    }
}

int stor__list_walk(rocksdb_t *db, char kind, stor_list_decode_fn decode, cn_slice_t prefix,
                    cn_slice_t start_after, size_t max_keys, cn_slice_t delim, unsigned opts,
                    cn_slice_t pick, cn_buf_t *out, int *truncated, uint64_t *steps)
{
    char seek[STOR_KEY_MAX + 1], upper[STOR_KEY_MAX + 1];
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_iterator_t *it;
    struct listing l = {0};
    char *err = NULL;
    int rc = 0;

    *truncated = 0;
    cn_buf_init(&l.keys);
    cn_buf_init(&l.picks);
    /* kind is never 0xff, so the prefix always has an upper bound */
    rocksdb_readoptions_set_iterate_upper_bound(ro, upper, successor(kind, prefix, upper));
    it = rocksdb_create_iterator(db, ro);
    rocksdb_iter_seek(it, seek,
                      mk_key(seek, kind, slice_cmp(start_after, prefix) > 0 ? start_after
                                                                            : prefix));
    (*steps)++;
    while (rocksdb_iter_valid(it)) {
        size_t rklen, vlen;
        const char *rk = rocksdb_iter_key(it, &rklen);
        const char *val = rocksdb_iter_value(it, &vlen);
        cn_slice_t key = cn_slice(rk + 1, rklen - 1);
        const char *d = NULL;
        stor_obj_meta_t r;
        cn_list_entry_t *e;

        if (rklen < 1 + prefix.len || memcmp(key.ptr, prefix.ptr, prefix.len) != 0)
            break;
        if ((opts & STOR_LIST_GROUP) && key.len > prefix.len && key.ptr[prefix.len] != '\0')
            break; /* past the object's versions: another key that starts with this one */
        if (slice_cmp(key, start_after) <= 0 || decode(val, vlen, &r) != 0 ||
            ((r.flags & CN_OBJ_TOMBSTONE) && !(opts & STOR_LIST_TOMBSTONES)))
            goto next;
        if (delim.len > 0) {
            /* in the object's own key only, never in a version's suffix */
            const char *nul = memchr(key.ptr + prefix.len, '\0', key.len - prefix.len);
            size_t own = nul ? (size_t)(nul - key.ptr) : key.len;
            d = memmem(key.ptr + prefix.len, own - prefix.len, delim.ptr, delim.len);
        }
        if (d != NULL && (r.flags & CN_OBJ_TOMBSTONE))
            goto next; /* a tombstone inside a common prefix neither rolls up nor is listed */
        if (d != NULL) {
            cn_slice_t cp = cn_slice(key.ptr, (size_t)(d - key.ptr) + delim.len);
            size_t past_len;

            if (slice_cmp(cp, start_after) > 0) {
                if (l.n == max_keys) {
                    *truncated = 1;
                    break;
                }
                listing_add(&l, cp)->flags = CN_LIST_PREFIX;
            }
            if ((past_len = successor(kind, cp, seek)) == 0)
                break;
            rocksdb_iter_seek(it, seek, past_len);
            (*steps)++;
            continue;
        }
        if (l.n == max_keys) {
            *truncated = 1;
            break;
        }
        e = listing_add(&l, key);
        e->size = r.size;
        e->mtime_ms = r.mtime_ms;
        e->clock = r.clock;
        e->flags = r.flags;
        memcpy(e->etag, r.etag, sizeof(e->etag));
        if (pick.len && !(r.flags & CN_OBJ_TOMBSTONE)) {
            struct lent *le = &l.v[l.n - 1];

            le->moff = l.picks.len;
            cn_list_pick_meta(r.meta, pick, &l.picks);
            le->mlen = l.picks.len - le->moff;
        }
    next:
        rocksdb_iter_next(it);
        (*steps)++;
    }
    rocksdb_iter_get_error(it, &err);
    if (err != NULL) {
        rc = cn_rocks_err_rc(err);
        CN_LOG(CN_LOG_ERROR, "prefix=%.*s rc=%s: listing failed: %s", (int)prefix.len,
               prefix.ptr, cn_strerror(rc), err);
        rocksdb_free(err);
    }
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    if (rc == 0)
        listing_encode(&l, out);
    cn_free(l.v);
    cn_buf_dispose(&l.keys);
    cn_buf_dispose(&l.picks);
    return rc;
}
