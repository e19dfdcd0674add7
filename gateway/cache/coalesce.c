/*
 * gateway/cache/coalesce.c: single-flight table for cache misses (see coalesce.h).
 * A chained hash table of flights keyed by the object key; each flight has a FIFO of
 * waiters. Loop thread only.
 */
#include "gateway/cache/coalesce.h"

#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"

#define FL_BUCKETS 256 /* flights are few: the misses in flight at one moment */

typedef struct fl_waiter fl_waiter_t;
struct fl_waiter {
    gw_flight_fn cb;
    void *arg;
    fl_waiter_t *next;
};

typedef struct fl_flight fl_flight_t;
struct fl_flight {
    char *key;
    size_t key_len;
    uint32_t hash;
    fl_waiter_t *head, *tail;
    fl_flight_t *next;
};

struct gw_flights {
    fl_flight_t *tab[FL_BUCKETS];
    size_t n, nwaiters;
};

static uint32_t fl_hash(cn_slice_t k)
{
    return cn_crc32c(0, k.ptr, k.len);
}

static fl_flight_t **fl_slot(gw_flights_t *f, uint32_t h, cn_slice_t key)
{
    fl_flight_t **pp = &f->tab[h % FL_BUCKETS];
    while (*pp && !((*pp)->hash == h && cn_slice_eq(cn_slice((*pp)->key, (*pp)->key_len), key)))
        pp = &(*pp)->next;
    return pp;
}

gw_flights_t *gw_flights_create(void)
{
    return cn_calloc(1, sizeof(gw_flights_t));
}

static size_t run_waiters(gw_flights_t *f, fl_flight_t *fl, int status, void *result)
{
    size_t n = 0;
    fl_waiter_t *w = fl->head, *next;
    for (; w; w = next) {
        next = w->next;
        f->nwaiters--;
        w->cb(status, result, w->arg);
        cn_free(w);
        n++;
    }
    cn_free(fl->key);
    cn_free(fl);
    return n;
}

void gw_flights_destroy(gw_flights_t *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < FL_BUCKETS; i++) {
        while (f->tab[i]) {
            fl_flight_t *fl = f->tab[i];
            f->tab[i] = fl->next;
            f->n--;
            run_waiters(f, fl, CN_ECANCELED, NULL);
        }
    }
    cn_free(f);
}

int gw_flights_join(gw_flights_t *f, cn_slice_t key, gw_flight_fn cb, void *arg)
{
    uint32_t h = fl_hash(key);
    fl_flight_t **pp = fl_slot(f, h, key);
    if (!*pp) {
        fl_flight_t *fl = cn_calloc(1, sizeof(*fl));
        fl->key = cn_memdup0(key.ptr, key.len); /* a version's key holds a NUL */
        fl->key_len = key.len;
        fl->hash = h;
        *pp = fl;
        f->n++;
        return 1;
    }
    fl_waiter_t *w = cn_calloc(1, sizeof(*w));
    w->cb = cb;
    w->arg = arg;
    if ((*pp)->tail)
        (*pp)->tail->next = w;
    else
        (*pp)->head = w;
    (*pp)->tail = w;
    f->nwaiters++;
    return 0;
}

size_t gw_flights_finish(gw_flights_t *f, cn_slice_t key, int status, void *result)
{
    fl_flight_t **pp = fl_slot(f, fl_hash(key), key);
    fl_flight_t *fl = *pp;
    if (!fl)
        return 0;
    *pp = fl->next;
    f->n--;
    return run_waiters(f, fl, status, result);
}

size_t gw_flights_count(const gw_flights_t *f)
{
    return f->n;
}

size_t gw_flights_waiters(const gw_flights_t *f)
{
    return f->nwaiters;
}
