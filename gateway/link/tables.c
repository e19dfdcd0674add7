/*
 * gateway/link/tables.c: the published snapshot of the manager's tables (tables.h has the
 * design and its invariants). A publication copies the snapshot's few pointers, not the
 * tables: publishing costs one allocation whatever the tables' size.
 */
#include "gateway/link/tables.h"

#include "common/mem.h"

gw_tab_t *gw_tab_create(uint64_t ver, void *v, size_t n, void (*dispose)(void *v, size_t n))
{
    gw_tab_t *t = cn_calloc(1, sizeof(*t));

    t->ver = ver;
    t->v = v;
    t->n = n;
    t->dispose = dispose;
    atomic_init(&t->_refs, 1);
    return t;
}

void gw_tab_ref(gw_tab_t *t)
{
    atomic_fetch_add_explicit(&t->_refs, 1, memory_order_relaxed);
}

void gw_tab_unref(gw_tab_t *t)
{
    if (t == NULL || atomic_fetch_sub_explicit(&t->_refs, 1, memory_order_acq_rel) != 1)
        return;
    if (t->dispose != NULL)
        t->dispose(t->v, t->n);
    cn_free(t);
}

void gw_tables_unref(gw_tables_t *t)
{
    if (t == NULL || atomic_fetch_sub_explicit(&t->_refs, 1, memory_order_acq_rel) != 1)
        return;
    for (int k = 0; k < GW_TAB_NKINDS; k++)
        gw_tab_unref(t->tab[k]);
    cn_free(t);
}

void gw_tables_pub_init(gw_tables_pub_t *p)
{
    pthread_mutex_init(&p->lock, NULL);
    p->cur = cn_calloc(1, sizeof(*p->cur));
    p->cur->gen = 1;
    atomic_init(&p->cur->_refs, 1);
    atomic_init(&p->gen, 1);
}

void gw_tables_pub_dispose(gw_tables_pub_t *p)
{
    if (p->cur == NULL)
        return;
    gw_tables_unref(p->cur);
    p->cur = NULL;
    pthread_mutex_destroy(&p->lock);
}

/* With p->lock held: a new snapshot, cur's tables but kind's replaced by t (its reference
 * passes to the snapshot), published in cur's place. */
static void do_swap(gw_tables_pub_t *p, enum gw_tab_kind kind, gw_tab_t *t)
{
    gw_tables_t *old = p->cur, *nt = cn_calloc(1, sizeof(*nt));

    for (int k = 0; k < GW_TAB_NKINDS; k++) {
        nt->tab[k] = k == (int)kind ? t : old->tab[k];
        if (k != (int)kind && nt->tab[k] != NULL)
            gw_tab_ref(nt->tab[k]);
    }
    nt->gen = old->gen + 1;
    atomic_init(&nt->_refs, 1);
    p->cur = nt;
    atomic_store_explicit(&p->gen, nt->gen, memory_order_release);
    gw_tables_unref(old); /* a thread still reading it holds its own reference */
}

/* Publishes t as kind's table when the rule holds against the published one: compare and
 * swap (cas: it is still expect), else tables.h's version rule. Takes t's reference. */
static int swap_when(gw_tables_pub_t *p, enum gw_tab_kind kind, gw_tab_t *t, int cas,
                     const gw_tab_t *expect, int force)
{
    const gw_tab_t *cur;
    int done;

    pthread_mutex_lock(&p->lock);
    cur = p->cur->tab[kind];
    done = cas ? cur == expect : force || cur == NULL || t->ver >= cur->ver;
    if (done)
        do_swap(p, kind, t);
    pthread_mutex_unlock(&p->lock);
    if (!done)
        gw_tab_unref(t);
    return done;
}

int gw_tables_publish(gw_tables_pub_t *p, enum gw_tab_kind kind, gw_tab_t *t, int force)
{
    return swap_when(p, kind, t, 0, NULL, force);
}

int gw_tables_replace(gw_tables_pub_t *p, enum gw_tab_kind kind, gw_tab_t *expect, gw_tab_t *t)
{
    return swap_when(p, kind, t, 1, expect, 0);
}

uint64_t gw_tables_gen(gw_tables_pub_t *p)
{
    return atomic_load_explicit(&p->gen, memory_order_acquire);
}

gw_tables_t *gw_tables_get(gw_tables_pub_t *p)
{
    gw_tables_t *t;

    pthread_mutex_lock(&p->lock);
    t = p->cur;
    atomic_fetch_add_explicit(&t->_refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&p->lock);
    return t;
}

gw_tab_t *gw_tables_get_tab(gw_tables_pub_t *p, enum gw_tab_kind kind)
{
    gw_tab_t *t;

    pthread_mutex_lock(&p->lock);
    if ((t = p->cur->tab[kind]) != NULL)
        gw_tab_ref(t);
    pthread_mutex_unlock(&p->lock);
    return t;
}
