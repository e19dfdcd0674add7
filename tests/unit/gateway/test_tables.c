/* tests/unit/gateway/test_tables.c: tests gateway/link/tables.c, the manager's tables as one
 * refcounted snapshot. Every table here holds its own ver in v (a malloc'd uint64_t) and its
 * dispose counts what it frees, so a test sees which tables are still alive, that none is freed
 * early or twice, and (with the stress test) that a reader never meets a freed or torn table. */
#include <criterion/criterion.h>
#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common/mem.h"
#include "gateway/link/tables.h"

#define NPUB 4      /* stress: publishing threads, one kind each */
#define NREAD 2     /* stress: reading threads */
#define NEACH 10000 /* stress: tables each publisher makes */

static_assert(NPUB < GW_TAB_NKINDS, "the stress test leaves one kind never published");

static atomic_uint created, disposed;
static _Atomic uint64_t last_disposed_ver;
/* How often the table of each ver was freed; the stress test makes vers unique to check that
 * each of its tables was freed exactly once, which equal totals alone would not show. */
static _Atomic unsigned char freed_times[NPUB * NEACH + 1];

static void reset(void)
{
    atomic_store(&created, 0);
    atomic_store(&disposed, 0);
    atomic_store(&last_disposed_ver, 0);
    for (size_t i = 0; i < sizeof(freed_times); i++)
        atomic_store(&freed_times[i], 0);
}
TestSuite(tables, .init = reset);

static void dispose_ver(void *v, size_t n)
{
    uint64_t ver = *(uint64_t *)v;

    atomic_store(&last_disposed_ver, ver);
    if (ver < sizeof(freed_times))
        atomic_fetch_add(&freed_times[ver], 1);
    cn_free(v);
    atomic_fetch_add(&disposed, 1);
}

/* A table of ver, with the caller's reference. */
static gw_tab_t *mk(uint64_t ver)
{
    uint64_t *v = cn_malloc(sizeof(*v));

    *v = ver;
    atomic_fetch_add(&created, 1);
    return gw_tab_create(ver, v, 1, dispose_ver);
}

/* Its v still says its ver: not freed (a freed one faults under ASan or valgrind), not torn. */
static int intact(const gw_tab_t *t)
{
    return *(const uint64_t *)t->v == t->ver;
}

/* The published table of kind's ver, 0 when none is. */
static uint64_t cur_ver(gw_tables_pub_t *p, enum gw_tab_kind kind)
{
    gw_tab_t *t = gw_tables_get_tab(p, kind);
    uint64_t ver = t != NULL ? t->ver : 0;

    gw_tab_unref(t);
    return ver;
}

Test(tables, fresh_publication_is_gen_1_without_tables, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tables_t *s;

    gw_tables_pub_init(&p);
    cr_assert_eq(gw_tables_gen(&p), 1);
    s = gw_tables_get(&p);
    cr_assert_eq(s->gen, 1);
    for (int k = 0; k < GW_TAB_NKINDS; k++) {
        cr_assert_null(gw_tables_get_tab(&p, (enum gw_tab_kind)k), "kind %d", k);
        cr_assert_null(s->tab[k], "kind %d", k);
    }
    gw_tables_unref(s);
    gw_tables_pub_dispose(&p);
}

Test(tables, each_publication_adds_one_to_gen, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tables_t *s;

    gw_tables_pub_init(&p);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_USERS, mk(5), 0), 1);
    cr_assert_eq(gw_tables_gen(&p), 2);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_RING, mk(1), 0), 1);
    cr_assert_eq(gw_tables_gen(&p), 3);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_USERS, mk(6), 0), 1);
    cr_assert_eq(gw_tables_gen(&p), 4);
    /* users 5 is no longer published and nobody else held it */
    cr_assert_eq(atomic_load(&disposed), 1);
    cr_assert_eq(atomic_load(&last_disposed_ver), 5);
    s = gw_tables_get(&p);
    cr_assert_eq(s->gen, 4, "the snapshot's gen is the lock-free gen");
    cr_assert_eq(s->tab[GW_TAB_USERS]->ver, 6);
    cr_assert_eq(s->tab[GW_TAB_RING]->ver, 1);
    gw_tables_unref(s);
    gw_tables_pub_dispose(&p);
    cr_assert_eq(atomic_load(&disposed), atomic_load(&created));
}

/* Publishes buckets 5, then a buckets table of ver (forced or not) that should be published
 * or not (want), and checks that the loser is the one freed and the winner the one current. */
static void publish_over_5(uint64_t ver, int force, int want)
{
    gw_tables_pub_t p;
    gw_tab_t *first = mk(5), *second = mk(ver), *got;

    gw_tables_pub_init(&p);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_BUCKETS, first, 0), 1);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_BUCKETS, second, force), want);
    /* the publication took the caller's reference either way: the loser is freed, not leaked */
    cr_assert_eq(atomic_load(&disposed), 1);
    cr_assert_eq(atomic_load(&last_disposed_ver), want ? 5 : ver);
    cr_assert_eq(gw_tables_gen(&p), want ? 3 : 2, "only a publication makes a snapshot");
    got = gw_tables_get_tab(&p, GW_TAB_BUCKETS);
    /* a pointer, not a ver: with equal vers only the pointer tells which one is current */
    cr_assert_eq(got, want ? second : first);
    gw_tab_unref(got);
    gw_tables_pub_dispose(&p);
    cr_assert_eq(atomic_load(&disposed), 2);
}

Test(tables, lower_ver_is_refused_and_freed, .timeout = 5)
{
    publish_over_5(4, 0, 0);
}

/* the manager's version went back (a rebuilt cluster) */
Test(tables, force_publishes_a_lower_ver, .timeout = 5)
{
    publish_over_5(2, 1, 1);
}

Test(tables, equal_ver_publishes, .timeout = 5)
{
    publish_over_5(5, 0, 1);
}

Test(tables, other_kinds_are_shared_not_copied, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tables_t *before, *after;

    gw_tables_pub_init(&p);
    gw_tables_publish(&p, GW_TAB_USERS, mk(1), 0);
    gw_tables_publish(&p, GW_TAB_BUCKETS, mk(2), 0);
    before = gw_tables_get(&p);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_RING, mk(3), 0), 1);
    after = gw_tables_get(&p);
    cr_assert_neq(after, before);
    cr_assert_eq(after->gen, before->gen + 1);
    cr_assert_eq(after->tab[GW_TAB_USERS], before->tab[GW_TAB_USERS]);
    cr_assert_eq(after->tab[GW_TAB_BUCKETS], before->tab[GW_TAB_BUCKETS]);
    cr_assert_null(before->tab[GW_TAB_RING]);
    cr_assert_eq(after->tab[GW_TAB_RING]->ver, 3);
    gw_tables_unref(before);
    /* a shared table is referenced once per snapshot: dropping one snapshot frees nothing */
    cr_assert_eq(atomic_load(&disposed), 0);
    cr_assert(intact(after->tab[GW_TAB_USERS]));
    cr_assert(intact(after->tab[GW_TAB_BUCKETS]));
    gw_tables_unref(after);
    gw_tables_pub_dispose(&p);
    cr_assert_eq(atomic_load(&disposed), 3, "each shared table freed once, not per snapshot");
}

/* A publication of users 1 and kind b 7, and a reader's snapshot of it. */
static gw_tables_t *users_1_b_7_and_a_reader(gw_tables_pub_t *p, enum gw_tab_kind b)
{
    gw_tables_pub_init(p);
    cr_assert_eq(gw_tables_publish(p, GW_TAB_USERS, mk(1), 0), 1);
    cr_assert_eq(gw_tables_publish(p, b, mk(7), 0), 1);
    return gw_tables_get(p);
}

Test(tables, a_held_snapshot_outlives_newer_publications, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tables_t *reader = users_1_b_7_and_a_reader(&p, GW_TAB_STOR);

    gw_tables_publish(&p, GW_TAB_USERS, mk(2), 0);
    gw_tables_publish(&p, GW_TAB_USERS, mk(3), 0);
    /* users 2 was only ever in the publication's snapshot; users 1 is still the reader's */
    cr_assert_eq(atomic_load(&disposed), 1);
    cr_assert_eq(atomic_load(&last_disposed_ver), 2);
    cr_assert_eq(reader->tab[GW_TAB_USERS]->ver, 1);
    cr_assert(intact(reader->tab[GW_TAB_USERS]));
    cr_assert(intact(reader->tab[GW_TAB_STOR]));
    gw_tables_unref(reader);
    /* the reader held users 1's last reference; stor 7 is still published */
    cr_assert_eq(atomic_load(&disposed), 2);
    cr_assert_eq(atomic_load(&last_disposed_ver), 1);
    cr_assert_eq(cur_ver(&p, GW_TAB_STOR), 7);
    gw_tables_pub_dispose(&p);
    cr_assert_eq(atomic_load(&disposed), 4);
    cr_assert_eq(atomic_load(&created), 4);
}

Test(tables, a_table_taken_alone_outlives_its_snapshots, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tab_t *t;

    gw_tables_pub_init(&p);
    gw_tables_publish(&p, GW_TAB_RING, mk(1), 0);
    t = gw_tables_get_tab(&p, GW_TAB_RING);
    gw_tables_publish(&p, GW_TAB_RING, mk(2), 0);
    gw_tables_pub_dispose(&p);
    /* every snapshot that named ring 1 is gone, but the caller's reference keeps it */
    cr_assert_eq(atomic_load(&disposed), 1);
    cr_assert_eq(atomic_load(&last_disposed_ver), 2);
    cr_assert(intact(t));
    gw_tab_unref(t);
    cr_assert_eq(atomic_load(&disposed), 2);
}

Test(tables, replace_only_over_the_expected_table, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tab_t *held, *fresh;

    gw_tables_pub_init(&p);
    /* NULL expects a kind never published */
    cr_assert_eq(gw_tables_replace(&p, GW_TAB_RING, NULL, mk(1)), 1);
    cr_assert_eq(gw_tables_gen(&p), 2);
    cr_assert_eq(gw_tables_replace(&p, GW_TAB_RING, NULL, mk(2)), 0);
    cr_assert_eq(atomic_load(&disposed), 1, "the refused table is freed");
    cr_assert_eq(atomic_load(&last_disposed_ver), 2);
    cr_assert_eq(gw_tables_gen(&p), 2, "a refusal makes no snapshot");
    /* expect is per kind: another kind's NULL is still NULL */
    cr_assert_eq(gw_tables_replace(&p, GW_TAB_USERS, NULL, mk(3)), 1);
    cr_assert_eq(gw_tables_gen(&p), 3);

    /* a thread builds from ring 1 while another publishes ring 4 meanwhile */
    held = gw_tables_get_tab(&p, GW_TAB_RING);
    cr_assert_eq(gw_tables_publish(&p, GW_TAB_RING, mk(4), 0), 1);
    cr_assert_eq(gw_tables_replace(&p, GW_TAB_RING, held, mk(5)), 0);
    cr_assert_eq(atomic_load(&last_disposed_ver), 5);
    cr_assert_eq(cur_ver(&p, GW_TAB_RING), 4);
    gw_tab_unref(held);
    cr_assert_eq(atomic_load(&last_disposed_ver), 1);
    cr_assert_eq(atomic_load(&disposed), 3);

    /* built again from the new one, it goes in */
    held = gw_tables_get_tab(&p, GW_TAB_RING);
    fresh = mk(6);
    cr_assert_eq(gw_tables_replace(&p, GW_TAB_RING, held, fresh), 1);
    gw_tab_unref(held);
    cr_assert_eq(atomic_load(&last_disposed_ver), 4);
    held = gw_tables_get_tab(&p, GW_TAB_RING);
    cr_assert_eq(held, fresh);
    gw_tab_unref(held);
    cr_assert_eq(gw_tables_gen(&p), 5);
    gw_tables_pub_dispose(&p);
    cr_assert_eq(atomic_load(&disposed), atomic_load(&created));
}

Test(tables, pub_dispose_leaves_a_reader_its_snapshot, .timeout = 5)
{
    gw_tables_pub_t p;
    gw_tables_t *reader = users_1_b_7_and_a_reader(&p, GW_TAB_BUCKETS);

    gw_tables_pub_dispose(&p);
    cr_assert_eq(atomic_load(&disposed), 0);
    cr_assert_eq(reader->gen, 3);
    cr_assert_eq(reader->tab[GW_TAB_USERS]->ver, 1);
    cr_assert_eq(reader->tab[GW_TAB_BUCKETS]->ver, 7);
    cr_assert(intact(reader->tab[GW_TAB_USERS]));
    cr_assert(intact(reader->tab[GW_TAB_BUCKETS]));
    gw_tables_unref(reader);
    cr_assert_eq(atomic_load(&disposed), 2);
}

/* The stress test: NPUB threads each publish NEACH tables of their own kind, in rising ver,
 * while NREAD threads read every table of whatever snapshot is current. Publisher k's vers are
 * k * NEACH + 1 .. (k + 1) * NEACH, unique across threads for freed_times. */
static gw_tables_pub_t pub;
static pthread_barrier_t start;
static atomic_int publishing;
static atomic_uint refused, mismatches, reads;

static uint64_t first_ver(int k)
{
    return (uint64_t)k * NEACH + 1;
}

static void *publish_loop(void *arg)
{
    int k = (int)(intptr_t)arg;

    pthread_barrier_wait(&start);
    for (uint64_t ver = first_ver(k); ver < first_ver(k + 1); ver++)
        if (!gw_tables_publish(&pub, (enum gw_tab_kind)k, mk(ver), 0))
            atomic_fetch_add(&refused, 1);
    atomic_fetch_sub(&publishing, 1);
    return NULL;
}

/* One snapshot, checked: every table intact; gens and each kind's ver never go back (nor a
 * kind to none); the kind nobody publishes stays empty; and since every publication so far
 * succeeded in ver order, the gen counts exactly the publications of the vers this snapshot
 * names (a snapshot mixing two moments would miscount). */
static int snapshot_ok(gw_tables_t *s, uint64_t *last_gen, uint64_t *last_ver)
{
    uint64_t published = 0;
    int ok = 1;

    if (s->gen < *last_gen || gw_tables_gen(&pub) < s->gen)
        ok = 0;
    *last_gen = s->gen;
    for (int k = 0; k < NPUB; k++) {
        gw_tab_t *t = s->tab[k];

        if (t == NULL) {
            ok &= last_ver[k] == 0;
            continue;
        }
        if (!intact(t) || t->ver < last_ver[k])
            ok = 0;
        last_ver[k] = t->ver;
        published += t->ver - first_ver(k) + 1;
    }
    return ok && s->tab[NPUB] == NULL && s->gen == 1 + published;
}

static void *read_loop(void *arg)
{
    uint64_t last_gen = 0, last_ver[NPUB] = {0};
    unsigned n = 0;

    pthread_barrier_wait(&start);
    do {
        gw_tables_t *s = gw_tables_get(&pub);
        gw_tab_t *t;

        if (!snapshot_ok(s, &last_gen, last_ver))
            atomic_fetch_add(&mismatches, 1);
        gw_tables_unref(s);
        /* the other way in: one table alone, which must not outlive its reference either */
        if ((t = gw_tables_get_tab(&pub, (enum gw_tab_kind)(n % NPUB))) != NULL) {
            if (!intact(t))
                atomic_fetch_add(&mismatches, 1);
            gw_tab_unref(t);
        }
        n++;
    } while (atomic_load(&publishing) > 0);
    atomic_fetch_add(&reads, n);
    return NULL;
}

Test(tables, concurrent_publishers_and_readers, .timeout = 120)
{
    pthread_t th[NPUB + NREAD];

    gw_tables_pub_init(&pub);
    atomic_store(&publishing, NPUB);
    cr_assert_eq(pthread_barrier_init(&start, NULL, NPUB + NREAD), 0);
    for (int i = 0; i < NPUB; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, publish_loop, (void *)(intptr_t)i), 0);
    for (int i = NPUB; i < NPUB + NREAD; i++)
        cr_assert_eq(pthread_create(&th[i], NULL, read_loop, NULL), 0);
    for (int i = 0; i < NPUB + NREAD; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);

    cr_assert_eq(atomic_load(&mismatches), 0,
                 "a reader saw a freed, torn or inconsistent snapshot");
    cr_assert_eq(atomic_load(&refused), 0, "a rising ver was refused");
    cr_assert_geq(atomic_load(&reads), NREAD);
    cr_assert_eq(gw_tables_gen(&pub), 1 + (uint64_t)NPUB * NEACH);
    for (int k = 0; k < NPUB; k++)
        cr_assert_eq(cur_ver(&pub, (enum gw_tab_kind)k), first_ver(k + 1) - 1, "kind %d", k);
    cr_assert_eq(atomic_load(&created), NPUB * NEACH);
    /* all but the last of each kind are already freed */
    cr_assert_eq(atomic_load(&disposed), NPUB * (NEACH - 1));
    gw_tables_pub_dispose(&pub);
    cr_assert_eq(atomic_load(&disposed), atomic_load(&created));
    /* one assert, not one per table: each is a message to the runner */
    for (uint64_t ver = 1; ver < sizeof(freed_times); ver++)
        if (atomic_load(&freed_times[ver]) != 1)
            cr_assert_fail("table of ver %" PRIu64 " freed %u times", ver,
                           (unsigned)atomic_load(&freed_times[ver]));
}
