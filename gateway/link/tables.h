/*
 * gateway/link/tables.h: what the manager says (users, buckets, rings, endpoints, and the
 * storage facts of its heartbeat), published as one snapshot that every thread of the gateway
 * reads without a lock (issue 19; docs/DESIGN.md, "Gateway threads").
 *
 * A table (gw_tab_t) is built whole by the thread that fetched it and never changes once
 * published: a change is a new table. A snapshot (gw_tables_t) names one table of each kind;
 * publishing a table makes a new snapshot that shares the other kinds' tables. Both are
 * reference counted: the publication holds one reference on the current snapshot, and each
 * thread one on the snapshot it reads, so a table is freed by whichever thread drops the last
 * reference, never while a thread still reads it.
 *
 * When a thread moves to a newer snapshot (gw_mgr_sync): only between callbacks (a request's
 * start, the wake-up after a publication, right after it published itself), so a pointer
 * into a table taken during one callback stays valid to that callback's end; that is the
 * contract lookups already had ("valid until the next fetch: use at once").
 *
 * Invariants: gw_tables_pub_t.cur is never NULL between init and dispose; a published
 * snapshot's gen is the publication's gen at the time, and gens only grow; a table's ver
 * only goes back when its publisher forces it (the manager's version went back: a rebuilt
 * cluster) or replaces a table by compare-and-swap (gw_tables_replace keeps the ver of the
 * table it was built from). A table published is never NULL: a kind is never unpublished.
 *
 * Threads: every function here is thread-safe (one mutex per publication; reference counts
 * are atomic), but gw_tables_pub_dispose, which runs once every other user has stopped.
 */
#ifndef CAIRN_GATEWAY_TABLES_H
#define CAIRN_GATEWAY_TABLES_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum gw_tab_kind {
    GW_TAB_USERS,     /* gw_user_t[] (mgr_link.h) */
    GW_TAB_BUCKETS,   /* gw_bucket_t[] */
    GW_TAB_RING,      /* one gw_ring_pair_t */
    GW_TAB_ENDPOINTS, /* char *[]: add-endpoint's DNS names */
    GW_TAB_STOR,      /* one gw_stor_facts_t: the heartbeat's down, n, w, d */
    GW_TAB_NKINDS
};

typedef struct gw_tab gw_tab_t;
struct gw_tab {
    uint64_t ver;                     /* the manager's version of it (0 where it has none) */
    void *v;                          /* the entries, owned */
    size_t n;
    void (*dispose)(void *v, size_t n); /* frees v, given by whoever built it */
    _Atomic unsigned _refs;
};

typedef struct gw_tables gw_tables_t;
struct gw_tables {
    uint64_t gen;
    gw_tab_t *tab[GW_TAB_NKINDS];     /* NULL: that kind was never loaded */
    _Atomic unsigned _refs;
};

typedef struct gw_tables_pub {
    pthread_mutex_t lock;             /* guards cur */
    gw_tables_t *cur;                 /* the published snapshot (holds one reference) */
    _Atomic uint64_t gen;             /* cur->gen, readable without the lock */
} gw_tables_pub_t;

/** A table of n entries v (owned from now on; freed by dispose(v, n) at its last unref),
 *  with one reference for the caller. */
gw_tab_t *gw_tab_create(uint64_t ver, void *v, size_t n, void (*dispose)(void *v, size_t n));
void gw_tab_ref(gw_tab_t *t);
void gw_tab_unref(gw_tab_t *t);

/** An empty publication (gen 1, no table of any kind). */
void gw_tables_pub_init(gw_tables_pub_t *p);
/** Drops the publication's reference (threads may still hold theirs). */
void gw_tables_pub_dispose(gw_tables_pub_t *p);
/** Publishes t as the table of kind when force, when none of that kind is published, or
 *  when t->ver >= the published one's. Takes the caller's reference on t either way.
 *  Returns 1 when published, 0 when a newer table was there. */
int gw_tables_publish(gw_tables_pub_t *p, enum gw_tab_kind kind, gw_tab_t *t, int force);
/** Publishes t as kind's table only if the published one is still expect (NULL: none):
 *  for a table built from the one a thread held. The comparison is by pointer: the caller
 *  must hold its reference on expect until this returns (so that no other table can have
 *  its address). Takes the reference on t either way. 1 published, 0 not (the caller
 *  builds again from the new one). */
int gw_tables_replace(gw_tables_pub_t *p, enum gw_tab_kind kind, gw_tab_t *expect, gw_tab_t *t);
/** The current snapshot's gen, without a lock: compare with the one a thread holds. */
uint64_t gw_tables_gen(gw_tables_pub_t *p);
/** The current snapshot, referenced for the caller. */
gw_tables_t *gw_tables_get(gw_tables_pub_t *p);
/** The current table of kind, referenced for the caller, or NULL. */
gw_tab_t *gw_tables_get_tab(gw_tables_pub_t *p, enum gw_tab_kind kind);
void gw_tables_unref(gw_tables_t *t);

#endif
